//! `/api/v1/openapi.json`: the capabilities' fragments merged into one
//! document. Each fragment is generated from its handlers' annotations, so
//! the document cannot drift from the code; a test checks that every API
//! route appears in it.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::Assembled;
use crate::WebError;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("rk_…")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                renkei_web_kit::auth::SESSION_COOKIE,
            ))),
        );
    }
}

/// The document's frame: title, authentication, and the error format.
#[derive(OpenApi)]
#[openapi(
    info(title = "Renkei API", description = "JSON API of Renkei (在宅医療・介護連携). Authenticated by the session cookie (plus the `X-CSRF-Token` header for writes) or a personal API token (`Authorization: Bearer rk_…`). Errors are RFC 9457 problem documents."),
    modifiers(&SecuritySchemes),
    security(("api_token" = []), ("session" = [])),
)]
struct ApiFrame;

pub fn base() -> utoipa::openapi::OpenApi {
    ApiFrame::openapi()
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi(State(state): State<Assembled>) -> Response {
    if state.openapi.is_empty() {
        return WebError::Internal("OpenAPI document could not be built".into()).into_response();
    }
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        state.openapi.as_str().to_string(),
    )
        .into_response()
}
