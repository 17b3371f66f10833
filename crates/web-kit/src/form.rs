//! Reading HTML forms, including repeated fields (check boxes), which
//! `serde_urlencoded` into a struct cannot do.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};

use crate::WebError;

/// The fields of a submitted `application/x-www-form-urlencoded` form.
#[derive(Debug, Clone, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn parse(bytes: &[u8]) -> Result<Self, WebError> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
            .map(FormData)
            .map_err(|e| WebError::BadRequest(format!("form: {e}")))
    }

    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// `name` as an optional integer ("" = none).
    pub fn opt_i64(&self, name: &str) -> Result<Option<i64>, WebError> {
        let v = self.get(name).trim();
        if v.is_empty() {
            return Ok(None);
        }
        v.parse()
            .map(Some)
            .map_err(|_| WebError::BadRequest(format!("{name} must be a number")))
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                WebError::PayloadTooLarge
            } else {
                WebError::BadRequest(e.body_text())
            }
        })?;
        FormData::parse(&bytes)
    }
}
