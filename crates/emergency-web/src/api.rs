//! Emergency's JSON API: the records a user keeps, one record with its
//! freshness, registering one, and verifying it. Every call goes through
//! the service, which checks who may and audits it.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use renkei_domain::{EmergencyRecordId, Timestamp};
use renkei_emergency::model::{
    AcpInput, AcpTemplate, AcpTemplateInput, AcpView, DeathCounts, DeathInput, DisasterList,
    DisasterScope, DisasterUse, EquipmentInput, RecordInput, RecordLine, RecordView, SafetyInput,
    TransportInput,
};
use renkei_emergency::Emergency;

use crate::EmergencyState;
use renkei_web_kit::api::{ApiJson, Created};
use renkei_web_kit::auth::{Ctx, CurrentUser};
use renkei_web_kit::WebError;

#[utoipa::path(get, path = "/api/v1/emergency/records", tag = "emergency",
    responses((status = 200, body = [RecordLine], description = "The records the caller keeps (their teams' patients; for the support centre also residents without a team), due ones first")))]
pub async fn list(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
) -> Result<Json<Vec<RecordLine>>, WebError> {
    Ok(Json(
        state.emergency.records(&p, &rc, Timestamp::now()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/emergency/records", tag = "emergency",
    request_body = RecordInput,
    responses((status = 201, body = Created), (status = 422, description = "Invalid fields", content_type = "application/problem+json"),
              (status = 409, description = "The patient already has a record", content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    ApiJson(b): ApiJson<RecordInput>,
) -> Result<Response, WebError> {
    let id = state
        .emergency
        .create_record(&p, &rc, &b, Timestamp::now())
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: id.0 })).into_response())
}

#[utoipa::path(get, path = "/api/v1/emergency/records/{id}", tag = "emergency",
    params(("id" = i64, Path, description = "Record id")),
    responses((status = 200, body = RecordView), (status = 404, description = "Not the caller's", content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<EmergencyRecordId>,
) -> Result<Json<RecordView>, WebError> {
    Ok(Json(
        state
            .emergency
            .record(&p, &rc, id, Timestamp::now())
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/emergency/records/{id}/verify", tag = "emergency",
    params(("id" = i64, Path, description = "Record id")),
    responses((status = 204, description = "Verified as of now"), (status = 404, description = "Not the caller's", content_type = "application/problem+json")))]
pub async fn verify(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<EmergencyRecordId>,
) -> Result<StatusCode, WebError> {
    state
        .emergency
        .verify(&p, &rc, id, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/emergency/freshness", tag = "emergency",
    responses((status = 200, body = [renkei_emergency::model::FreshnessLine], description = "Per municipality of the caller's region: registered, current, due and why (counts only)"),
              (status = 403, description = "Not the municipality, the support centre or the region's administrator", content_type = "application/problem+json")))]
pub async fn freshness(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
) -> Result<Json<Vec<renkei_emergency::model::FreshnessLine>>, WebError> {
    Ok(Json(
        state
            .emergency
            .freshness_dashboard(&p, &rc, Timestamp::now())
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/emergency/disaster", tag = "emergency",
    params(DisasterScope),
    responses((status = 200, body = DisasterList, description = "Residents with a record who depend on a powered device or live alone, with their safety confirmation in the open disaster; the equipment register. The desk and the municipality (with two-factor sign-in) see the region; a professional their own residents"),
              (status = 403, description = "No disaster list for the caller", content_type = "application/problem+json")))]
pub async fn disaster(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Query(scope): Query<DisasterScope>,
) -> Result<Json<DisasterList>, WebError> {
    // The whole region through the API is an export (audited as one); a
    // professional's own residents are a showing.
    let purpose = if Emergency::runs_disaster_list(&p) {
        DisasterUse::Export
    } else {
        DisasterUse::Screen
    };
    Ok(Json(
        state
            .emergency
            .disaster_list(&p, &rc, &scope, purpose)
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/emergency/records/{id}/safety", tag = "emergency",
    params(("id" = i64, Path, description = "Record id")),
    request_body = SafetyInput,
    responses((status = 204, description = "Recorded in the open disaster"),
              (status = 404, description = "Not the caller's", content_type = "application/problem+json"),
              (status = 409, description = "No disaster is open", content_type = "application/problem+json"),
              (status = 422, description = "Invalid fields", content_type = "application/problem+json")))]
pub async fn safety(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<EmergencyRecordId>,
    ApiJson(b): ApiJson<SafetyInput>,
) -> Result<StatusCode, WebError> {
    state
        .emergency
        .confirm_safety(&p, &rc, id, &b, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/emergency/equipment", tag = "emergency",
    request_body = EquipmentInput,
    responses((status = 201, body = Created), (status = 422, description = "Invalid fields", content_type = "application/problem+json")))]
pub async fn add_equipment(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    ApiJson(b): ApiJson<EquipmentInput>,
) -> Result<Response, WebError> {
    let id = state
        .emergency
        .save_equipment(&p, &rc, None, &b, Timestamp::now())
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: id.0 })).into_response())
}

/// A transport report through the API: the card's token travels in the
/// body, never in the path (paths are logged).
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct TransportReport {
    /// The card link's token (the part after `/e/`).
    pub token: String,
    #[serde(flatten)]
    pub transport: TransportInput,
}

#[utoipa::path(post, path = "/api/v1/emergency/transports", tag = "emergency",
    request_body = TransportReport,
    responses((status = 201, body = Created, description = "Recorded; for a team's patient the stay opened in transitions"),
              (status = 403, description = "Not an EMS user", content_type = "application/problem+json"),
              (status = 404, description = "No live card link with this token", content_type = "application/problem+json"),
              (status = 422, description = "Invalid fields", content_type = "application/problem+json")))]
pub async fn transport(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    ApiJson(b): ApiJson<TransportReport>,
) -> Result<Response, WebError> {
    if !state
        .transport_limiter
        .allow(&p.user_id.to_string(), crate::TRANSPORTS_PER_MINUTE)
    {
        return Err(WebError::TooManyRequests(60));
    }
    let id = state
        .emergency
        .record_transport(&p, &rc, &b.token, &b.transport, Timestamp::now())
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: id.0 })).into_response())
}

#[utoipa::path(get, path = "/api/v1/emergency/records/{id}/acp", tag = "emergency",
    params(("id" = i64, Path, description = "Record id")),
    responses((status = 200, body = AcpView, description = "The region's ACP template and every version of the resident's ACP record, newest first"),
              (status = 404, description = "Not the caller's", content_type = "application/problem+json")))]
pub async fn acp(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<EmergencyRecordId>,
) -> Result<Json<AcpView>, WebError> {
    Ok(Json(
        state.emergency.acp(&p, &rc, id, Timestamp::now()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/emergency/records/{id}/acp", tag = "emergency",
    params(("id" = i64, Path, description = "Record id")),
    request_body = AcpInput,
    responses((status = 201, body = Created, description = "A new version (earlier ones stay)"),
              (status = 404, description = "Not the caller's", content_type = "application/problem+json"),
              (status = 422, description = "Invalid fields", content_type = "application/problem+json")))]
pub async fn save_acp(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<EmergencyRecordId>,
    ApiJson(b): ApiJson<AcpInput>,
) -> Result<Response, WebError> {
    let (vid, _) = state
        .emergency
        .save_acp(&p, &rc, id, &b, Timestamp::now())
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: vid.0 })).into_response())
}

#[utoipa::path(get, path = "/api/v1/emergency/acp-template", tag = "emergency",
    responses((status = 200, body = AcpTemplate, description = "The caller's region's ACP template in force")))]
pub async fn acp_template(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
) -> Result<Json<AcpTemplate>, WebError> {
    if !Emergency::prints_acp_blank(&p) {
        return Err(WebError::Forbidden);
    }
    let region = p.region_id.ok_or(WebError::Forbidden)?;
    Ok(Json(state.emergency.acp_template(region).await?))
}

#[utoipa::path(post, path = "/api/v1/emergency/acp-template", tag = "emergency",
    request_body = AcpTemplateInput,
    responses((status = 201, body = Created, description = "A new version of the region's template"),
              (status = 422, description = "Invalid fields", content_type = "application/problem+json")))]
pub async fn save_acp_template(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    ApiJson(b): ApiJson<AcpTemplateInput>,
) -> Result<Response, WebError> {
    let id = state
        .emergency
        .save_acp_template(&p, &rc, &b, Timestamp::now())
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: id.0 })).into_response())
}

#[utoipa::path(post, path = "/api/v1/emergency/records/{id}/death", tag = "emergency",
    params(("id" = i64, Path, description = "Record id")),
    request_body = DeathInput,
    responses((status = 201, body = Created),
              (status = 404, description = "Not the caller's", content_type = "application/problem+json"),
              (status = 409, description = "Already recorded", content_type = "application/problem+json"),
              (status = 422, description = "Invalid fields", content_type = "application/problem+json")))]
pub async fn record_death(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<EmergencyRecordId>,
    ApiJson(b): ApiJson<DeathInput>,
) -> Result<Response, WebError> {
    let did = state
        .emergency
        .record_death(&p, &rc, id, &b, Timestamp::now())
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: did.0 })).into_response())
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct FiscalYear {
    /// The fiscal year (April to March) by its starting year.
    pub fiscal_year: i32,
}

#[utoipa::path(get, path = "/api/v1/emergency/deaths", tag = "emergency",
    params(FiscalYear),
    responses((status = 200, body = [DeathCounts], description = "Per municipality: deaths, home deaths, 在宅看取り (certified by a doctor) and police examinations apart, by place, EMS called, wishes met (counts only)")))]
pub async fn deaths(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Query(q): Query<FiscalYear>,
) -> Result<Json<Vec<DeathCounts>>, WebError> {
    Ok(Json(
        state.emergency.death_counts(&p, &rc, q.fiscal_year).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/emergency/search", tag = "emergency",
    request_body = renkei_emergency::model::EmsSearchInput,
    responses((status = 200, body = renkei_emergency::model::EmergencySheet, description = "The one living resident matching, in the caller's region or one that agreed (break-glass: audited with the reason, the team told)"),
              (status = 422, description = "Invalid fields, nobody or several match", content_type = "application/problem+json"),
              (status = 429, description = "10 searches a day reached", content_type = "application/problem+json")))]
pub async fn search(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    ApiJson(b): ApiJson<renkei_emergency::model::EmsSearchInput>,
) -> Result<Json<renkei_emergency::model::EmergencySheet>, WebError> {
    Ok(Json(
        state
            .emergency
            .ems_search(&p, &rc, &b, Timestamp::now())
            .await?,
    ))
}
