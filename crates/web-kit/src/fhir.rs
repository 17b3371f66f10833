//! Answering FHIR requests: the content type and the searchset Bundle every
//! capability's FHIR handlers share.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::{FormData, WebError};

/// A FHIR JSON answer.
pub fn fhir_json(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/fhir+json; charset=utf-8"),
    );
    r
}

/// A searchset Bundle of `resources`, found at `self_path` under `base`.
pub fn bundle(base: &str, self_path: &str, resources: Vec<Value>) -> Response {
    let base = base.trim_end_matches('/');
    fhir_json(
        StatusCode::OK,
        &renkei_interop::searchset(base, &format!("{base}{self_path}"), None, resources),
    )
}

/// The query string of a search, as form fields.
pub fn parse_query(raw: Option<String>) -> Result<FormData, WebError> {
    FormData::parse(raw.unwrap_or_default().as_bytes())
}
