//! Identity's routes of the JSON API under `/api/v1/`. The OpenAPI
//! fragment [`IdentityApi`] is generated from the handlers' annotations and
//! merged by the assembly.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use renkei_identity::{Actor, NewOrganisation};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::IdentityState;
use renkei_web_kit::api::{require_write, Created};
use renkei_web_kit::auth::{Ctx, CurrentUser};
use renkei_web_kit::ApiJson;
use renkei_web_kit::WebError;

/// The signed-in user.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// Role code, e.g. `coordinator`.
    pub role: String,
    /// Profession code, e.g. `nurse`.
    pub profession: String,
    pub region_id: Option<i64>,
    pub organisation_ids: Vec<i64>,
    pub mfa_enabled: bool,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "identity",
    responses((status = 200, body = Me), (status = 401, description = "Not signed in", content_type = "application/problem+json")))]
pub async fn me(CurrentUser(p): CurrentUser) -> Json<Me> {
    Json(Me {
        id: p.user_id.0,
        username: p.username,
        display_name: p.display_name,
        role: p.role.code().into(),
        profession: p.profession.code().into(),
        region_id: p.region_id.map(|r| r.0),
        organisation_ids: p.org_ids.iter().map(|o| o.0).collect(),
        mfa_enabled: p.mfa_enabled,
    })
}

/// An organisation (事業所・機関).
#[derive(Serialize, ToSchema)]
pub struct OrganisationOut {
    pub id: i64,
    pub region_id: i64,
    /// Kind code, e.g. `visiting_nursing`.
    pub kind: String,
    pub name: String,
    pub kana: String,
    pub municipality_id: Option<i64>,
    pub address: String,
    pub phone: String,
}

impl From<renkei_identity::Organisation> for OrganisationOut {
    fn from(o: renkei_identity::Organisation) -> Self {
        Self {
            id: o.id,
            region_id: o.region_id,
            kind: o.kind,
            name: o.name,
            kana: o.kana,
            municipality_id: o.municipality_id,
            address: o.address,
            phone: o.phone,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/organizations", tag = "identity",
    responses((status = 200, body = [OrganisationOut]), (status = 403, description = "Role may not list organisations", content_type = "application/problem+json")))]
pub async fn list_organisations(
    State(state): State<IdentityState>,
    CurrentUser(p): CurrentUser,
) -> Result<Json<Vec<OrganisationOut>>, WebError> {
    let orgs = state.identity.list_organisations(&Actor::User(p)).await?;
    Ok(Json(orgs.into_iter().map(Into::into).collect()))
}

/// A new organisation.
#[derive(Deserialize, ToSchema)]
pub struct OrganisationIn {
    /// Only for system administrators; others create in their own region.
    #[serde(default)]
    pub region_id: Option<i64>,
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub kana: String,
    #[serde(default)]
    pub municipality_id: Option<i64>,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub phone: String,
}

#[utoipa::path(post, path = "/api/v1/organizations", tag = "identity", request_body = OrganisationIn,
    responses((status = 201, body = Created), (status = 422, description = "Invalid fields, listed in `errors`", content_type = "application/problem+json"),
              (status = 403, description = "Not allowed", content_type = "application/problem+json")))]
pub async fn create_organisation(
    State(state): State<IdentityState>,
    Ctx(rc): Ctx,
    CurrentUser(p): CurrentUser,
    ApiJson(body): ApiJson<OrganisationIn>,
) -> Result<Response, WebError> {
    require_write(&p)?;
    let new = NewOrganisation {
        region_id: body.region_id,
        kind: body.kind,
        name: body.name,
        kana: body.kana,
        municipality_id: body.municipality_id,
        address: body.address,
        phone: body.phone,
    };
    let id = state
        .identity
        .create_organisation(&Actor::User(p), &new, &rc)
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id })).into_response())
}

/// A municipality (市区町村).
#[derive(Serialize, ToSchema)]
pub struct MunicipalityOut {
    pub id: i64,
    pub region_id: i64,
    /// 全国地方公共団体コード, six digits with check digit.
    pub code: String,
    pub name: String,
    pub kana: String,
}

#[utoipa::path(get, path = "/api/v1/municipalities", tag = "identity", responses((status = 200, body = [MunicipalityOut])))]
pub async fn list_municipalities(
    State(state): State<IdentityState>,
    CurrentUser(p): CurrentUser,
) -> Result<Json<Vec<MunicipalityOut>>, WebError> {
    let list = state.identity.list_municipalities(&Actor::User(p)).await?;
    Ok(Json(
        list.into_iter()
            .map(|m| MunicipalityOut {
                id: m.id,
                region_id: m.region_id,
                code: m.code,
                name: m.name,
                kana: m.kana,
            })
            .collect(),
    ))
}

/// A user, without secrets.
#[derive(Serialize, ToSchema)]
pub struct UserOut {
    pub id: i64,
    pub region_id: Option<i64>,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub profession: String,
    pub mfa_enabled: bool,
    pub disabled: bool,
    pub locked: bool,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "identity",
    responses((status = 200, body = [UserOut]), (status = 403, description = "Administrators only", content_type = "application/problem+json")))]
pub async fn list_users(
    State(state): State<IdentityState>,
    CurrentUser(p): CurrentUser,
) -> Result<Json<Vec<UserOut>>, WebError> {
    let users = state.identity.list_users(&Actor::User(p)).await?;
    Ok(Json(
        users
            .into_iter()
            .map(|u| UserOut {
                id: u.id,
                region_id: u.region_id,
                username: u.username,
                display_name: u.display_name,
                role: u.role.code().into(),
                profession: u.profession.code().into(),
                mfa_enabled: u.mfa_enabled,
                disabled: u.disabled,
                locked: u.locked,
            })
            .collect(),
    ))
}

/// Identity's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(
    me,
    list_organisations,
    create_organisation,
    list_municipalities,
    list_users
))]
pub struct IdentityApi;
