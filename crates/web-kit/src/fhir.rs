//! Answering FHIR requests: the content type and the searchset Bundle every
//! capability's FHIR handlers share.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::{FormData, WebError};

/// A FHIR JSON answer, without the empty arrays, objects and strings FHIR
/// JSON never holds ([`renkei_interop::prune_empty`]).
pub fn fhir_json(status: StatusCode, body: Value) -> Response {
    let body = renkei_interop::prune_empty(body);
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/fhir+json; charset=utf-8"),
    );
    r
}

/// A searchset Bundle of `resources`, found at `self_path` under `base`;
/// `complete` when they are every match (the Bundle then says its `total`).
pub fn bundle(base: &str, self_path: &str, resources: Vec<Value>, complete: bool) -> Response {
    let base = base.trim_end_matches('/');
    let total = complete.then_some(resources.len());
    fhir_json(
        StatusCode::OK,
        renkei_interop::searchset(base, &format!("{base}{self_path}"), None, resources, total),
    )
}

/// The query string of a search, as form fields.
pub fn parse_query(raw: Option<String>) -> Result<FormData, WebError> {
    FormData::parse(raw.unwrap_or_default().as_bytes())
}

/// Whether a format a FHIR client asks for (`_format`, `Accept`) is one
/// Renkei answers: JSON only.
fn json_acceptable(format: &str) -> bool {
    let f = format.trim().to_ascii_lowercase();
    f.is_empty()
        || f.contains("json")
        || f.contains("*/*")
        || f.contains("application/*")
        || f == "html"
}

/// Renkei's FHIR API answers JSON only: a request for XML (`_format=xml`,
/// `Accept: application/fhir+xml`) or another format gets 406 Not
/// Acceptable as an OperationOutcome, not JSON it did not ask for.
pub async fn formats(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if crate::error::is_fhir_path(path) {
        let asked_format = request
            .uri()
            .query()
            .and_then(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .find(|(k, _)| k == "_format")
                    .map(|(_, v)| v.into_owned())
            })
            .unwrap_or_default();
        let accept = request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if !json_acceptable(&asked_format) || !json_acceptable(&accept) {
            let mut response = StatusCode::NOT_ACCEPTABLE.into_response();
            response.extensions_mut().insert(crate::error::ErrorInfo {
                detail: "Renkei's FHIR API answers JSON only: ask with _format=json or \
                         Accept: application/fhir+json."
                    .into(),
                errors: None,
            });
            return response;
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::json_acceptable;

    #[test]
    fn json_and_wildcards_are_acceptable_xml_is_not() {
        for ok in [
            "",
            "json",
            "application/fhir+json",
            "application/json",
            "*/*",
            "text/html,*/*;q=0.8",
        ] {
            assert!(json_acceptable(ok), "{ok}");
        }
        for refused in ["xml", "application/fhir+xml", "text/xml", "ttl"] {
            assert!(!json_acceptable(refused), "{refused}");
        }
    }
}
