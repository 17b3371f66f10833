//! Security headers and the request body limit.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{AppState, WebError};

/// Scripts and styles only from Renkei itself; no framing; no inline
/// script. Images may also come from the map tile server's origin.
pub fn content_security_policy(tile_url: &str) -> HeaderValue {
    let tiles = url::Url::parse(&tile_url.replace(['{', '}'], ""))
        .ok()
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null")
        .unwrap_or_default();
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: {tiles}; \
         font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    );
    HeaderValue::from_str(&csp).unwrap_or_else(|_| {
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
    })
}

pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let api = renkei_web_kit::error::is_api_path(request.uri().path());
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    // A handler's stricter policy (attachments: `default-src 'none'; sandbox`)
    // is kept; every other response gets the site's.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, state.csp.clone());
    }
    // JSON API and FHIR answers may carry patient data: never cached by
    // the browser or a proxy, unless a handler chose otherwise.
    if api && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(self), payment=()"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if state.config.hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// Refuses a declared body over the limit before reading it; bodies without a
/// length are cut off by the limit layer and by the extractors.
pub async fn body_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Uploads (multipart) get the larger limit; everything else the small one.
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let limit = if multipart {
        state.config.max_upload_bytes
    } else {
        state.config.max_body_bytes
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return WebError::PayloadTooLarge.into_response();
    }
    // A body without a length is cut off at the limit while it is read.
    let request =
        request.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, limit)));
    next.run(request).await
}
