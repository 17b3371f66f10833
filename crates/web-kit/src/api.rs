//! The JSON API's request side: bodies whose errors are problem documents,
//! and the write-scope check.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::Json;
use renkei_identity::Principal;
use serde::Serialize;
use utoipa::ToSchema;

use crate::WebError;

/// JSON body extractor whose errors are problem documents.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::BytesRejection(e))
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(WebError::PayloadTooLarge)
            }
            Err(e) => Err(WebError::BadRequest(e.body_text())),
        }
    }
}

pub fn require_write(p: &Principal) -> Result<(), WebError> {
    if p.may_write() {
        Ok(())
    } else {
        Err(WebError::Forbidden)
    }
}

/// The id of what a `POST` created.
#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}
