//! Rendering pages: every HTML answer goes through [`render`], which marks
//! it `no-store`.

use askama::Template;
use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};

use crate::WebError;

/// Renders a page. Pages are never cached, so the back button after logout
/// asks the server again and lands on the login page.
pub fn render(page: &impl Template, status: axum::http::StatusCode) -> Result<Response, WebError> {
    let html = page.render()?;
    let mut r = (status, Html(html)).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

pub fn ok(page: &impl Template) -> Result<Response, WebError> {
    render(page, axum::http::StatusCode::OK)
}
