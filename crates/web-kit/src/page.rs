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

/// 200 for a form shown as it is, 422 for one shown again with its refused
/// fields.
pub fn form_status(errors: &renkei_domain::ValidationErrors) -> axum::http::StatusCode {
    if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// The one answer to a submitted form: when the service accepted it,
/// `done` (usually a redirect); when it refused fields, the form again with
/// them (`again`, which renders with 422); any other error as it is.
pub async fn refuse_or<T, E, Again, Fut>(
    result: Result<T, E>,
    done: impl FnOnce(T) -> Response,
    again: Again,
) -> Result<Response, WebError>
where
    E: Into<WebError>,
    Again: FnOnce(renkei_domain::ValidationErrors) -> Fut,
    Fut: std::future::Future<Output = Result<Response, WebError>>,
{
    match result.map_err(Into::into) {
        Ok(value) => Ok(done(value)),
        Err(WebError::Validation(errors)) => again(errors).await,
        Err(e) => Err(e),
    }
}
