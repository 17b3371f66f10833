//! Emergency's JSON API: the records a user keeps, one record with its
//! freshness, registering one, and verifying it. Every call goes through
//! the service, which checks who may and audits it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use renkei_domain::{EmergencyRecordId, Timestamp};
use renkei_emergency::model::{RecordInput, RecordLine, RecordView};

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
