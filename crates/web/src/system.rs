//! Operations endpoints and static assets.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::routes::Assembled;
use crate::WebError;

/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Readiness: the database answers, and every capability is ready.
pub async fn readyz(State(state): State<Assembled>) -> Response {
    match state.app.identity.db().ping().await {
        Ok(()) => match state.not_ready.iter().find_map(|check| check()) {
            Some(reason) => {
                (StatusCode::SERVICE_UNAVAILABLE, format!("{reason}\n")).into_response()
            }
            None => (StatusCode::OK, "ready\n").into_response(),
        },
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

/// Prometheus text exposition.
pub async fn metrics(State(state): State<Assembled>) -> Response {
    let (open, idle) = state.app.identity.db().pool_stats();
    let body = state.app.metrics.render(open, idle);
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    r
}

macro_rules! asset {
    ($name:literal) => {
        include_bytes!(concat!(env!("OUT_DIR"), "/", $name))
    };
}

/// Assets compiled into the binary, so one file is the whole deployment:
/// (name, bytes, content type). The npm ones come from `node_modules`
/// through build.rs.
const ASSETS: &[(&str, &[u8], &str)] = &[
    (
        "tokens.css",
        asset!("tokens.css"),
        "text/css; charset=utf-8",
    ),
    (
        "design-tokens-LICENSE.txt",
        asset!("design-tokens-LICENSE.txt"),
        "text/plain; charset=utf-8",
    ),
    (
        "leaflet.js",
        asset!("leaflet.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "leaflet.css",
        asset!("leaflet.css"),
        "text/css; charset=utf-8",
    ),
    ("marker-icon.png", asset!("marker-icon.png"), "image/png"),
    (
        "marker-icon-2x.png",
        asset!("marker-icon-2x.png"),
        "image/png",
    ),
    (
        "marker-shadow.png",
        asset!("marker-shadow.png"),
        "image/png",
    ),
    (
        "leaflet-LICENSE.txt",
        asset!("leaflet-LICENSE.txt"),
        "text/plain; charset=utf-8",
    ),
    (
        "leaflet.markercluster.js",
        asset!("leaflet.markercluster.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "MarkerCluster.css",
        asset!("MarkerCluster.css"),
        "text/css; charset=utf-8",
    ),
    (
        "MarkerCluster.Default.css",
        asset!("MarkerCluster.Default.css"),
        "text/css; charset=utf-8",
    ),
    (
        "markercluster-LICENSE.txt",
        asset!("markercluster-LICENSE.txt"),
        "text/plain; charset=utf-8",
    ),
    (
        "renkei.css",
        include_bytes!("../static/renkei.css"),
        "text/css; charset=utf-8",
    ),
    (
        "map.js",
        include_bytes!("../static/map.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "nav.js",
        include_bytes!("../static/nav.js"),
        "text/javascript; charset=utf-8",
    ),
];

pub async fn static_file(Path(name): Path<String>) -> Result<Response, WebError> {
    let Some((_, body, content_type)) = ASSETS.iter().find(|(n, _, _)| *n == name) else {
        return Err(WebError::NotFound);
    };
    let (body, content_type) = (*body, *content_type);
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    Ok(r)
}

/// The CapabilityStatement, assembled from what the capabilities register:
/// open to everyone, as FHIR expects.
pub async fn fhir_metadata(State(state): State<Assembled>) -> Response {
    renkei_web_kit::fhir::fhir_json(StatusCode::OK, (*state.capability_statement).clone())
}
