//! Operations endpoints and static assets.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::{AppState, WebError};

/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Readiness: the database answers too.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.identity.db().ping().await {
        Ok(()) if !state.directory.is_ready() => {
            (StatusCode::SERVICE_UNAVAILABLE, "directory index loading\n").into_response()
        }
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

/// Prometheus text exposition.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let (open, idle) = state.identity.db().pool_stats();
    let body = state.metrics.render(open, idle);
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    r
}

const TOKENS_CSS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/tokens.css"));
const TOKENS_LICENSE: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/design-tokens-LICENSE.txt"));
const HTMX_JS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/htmx.min.js"));
const RENKEI_CSS: &[u8] = include_bytes!("../static/renkei.css");

/// Assets compiled into the binary, so one file is the whole deployment.
pub async fn static_file(Path(name): Path<String>) -> Result<Response, WebError> {
    let (body, content_type) = match name.as_str() {
        "tokens.css" => (TOKENS_CSS, "text/css; charset=utf-8"),
        "renkei.css" => (RENKEI_CSS, "text/css; charset=utf-8"),
        "htmx.min.js" => (HTMX_JS, "text/javascript; charset=utf-8"),
        "design-tokens-LICENSE.txt" => (TOKENS_LICENSE, "text/plain; charset=utf-8"),
        _ => return Err(WebError::NotFound),
    };
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    Ok(r)
}
