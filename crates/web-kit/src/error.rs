//! The one error type of the web layer. It becomes an HTML error page in the
//! user's language for the UI and `application/problem+json` (RFC 9457) for
//! `/api/` — the choice is made in [`render_errors`], which knows the request.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use renkei_domain::ValidationErrors;
use renkei_identity::IdentityError;
use serde_json::json;

use crate::i18n::Lang;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("authentication required")]
    Unauthenticated,
    #[error("CSRF token missing or wrong")]
    Csrf,
    /// An API token without the scope this request needs.
    #[error("insufficient scope")]
    InsufficientScope,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("validation failed")]
    Validation(ValidationErrors),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("too many requests")]
    TooManyRequests(i64),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<IdentityError> for WebError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::Validation(v) => WebError::Validation(v),
            IdentityError::Forbidden => WebError::Forbidden,
            IdentityError::Unauthenticated => WebError::Unauthenticated,
            IdentityError::NotFound => WebError::NotFound,
            IdentityError::Conflict(m) => WebError::Conflict(m),
            IdentityError::Throttled { retry_after_secs } => {
                WebError::TooManyRequests(retry_after_secs)
            }
            IdentityError::Store(e) => e.into(),
            other => WebError::Internal(other.to_string()),
        }
    }
}

/// The one mapping of every capability service's errors. The store's
/// `NotFound` and `Conflict` answer 404 and 409 wherever they come from, so
/// a constraint a service did not anticipate is not a 500.
impl From<renkei_store::ServiceError> for WebError {
    fn from(e: renkei_store::ServiceError) -> Self {
        use renkei_store::ServiceError as S;
        match e {
            S::Validation(v) => WebError::Validation(v),
            S::Forbidden => WebError::Forbidden,
            S::NotFound => WebError::NotFound,
            S::Conflict(m) => WebError::Conflict(m),
            S::Limited(_) => WebError::TooManyRequests(3600),
            S::Store(e) => e.into(),
        }
    }
}

impl From<renkei_store::StoreError> for WebError {
    fn from(e: renkei_store::StoreError) -> Self {
        use renkei_store::StoreError as S;
        match e {
            S::NotFound => WebError::NotFound,
            // The database's own message names tables and constraints: it
            // goes to the log, the client gets a plain sentence.
            S::Conflict(m) => {
                tracing::warn!(conflict = %m, "a write conflicted with a stored row");
                WebError::Conflict(
                    "This conflicts with something already saved: reload and try again.".into(),
                )
            }
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(format!("template: {e}"))
    }
}

/// Attached to error responses so [`render_errors`] can render them.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub detail: String,
    pub errors: Option<ValidationErrors>,
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Forbidden | WebError::Csrf | WebError::InsufficientScope => {
                StatusCode::FORBIDDEN
            }
            WebError::Unauthenticated => StatusCode::UNAUTHORIZED,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = match &self {
            // Internals go to the log, never to the client.
            WebError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                String::new()
            }
            WebError::BadRequest(m) | WebError::Conflict(m) => m.clone(),
            WebError::Csrf => "csrf".into(),
            WebError::InsufficientScope => "insufficient_scope".into(),
            _ => String::new(),
        };
        let retry_after = match &self {
            WebError::TooManyRequests(secs) => HeaderValue::from_str(&secs.to_string()).ok(),
            _ => None,
        };
        let errors = match self {
            WebError::Validation(v) => Some(v),
            _ => None,
        };
        let mut response = (status, "").into_response();
        if let Some(v) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
            .extensions_mut()
            .insert(ErrorInfo { detail, errors });
        response
    }
}

/// Whether a path is served by the FHIR API (errors are OperationOutcomes).
pub fn is_fhir_path(path: &str) -> bool {
    path.starts_with("/fhir/") || path == "/fhir"
}

pub fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/fhir/")
}

fn message(lang: Lang, status: StatusCode, detail: &str) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => lang.tr(
            "お探しのページは見つかりませんでした。",
            "The page was not found.",
        ),
        StatusCode::FORBIDDEN if detail == "csrf" => lang.tr(
            "フォームの有効期限が切れたか、不正な送信です。ページを再読み込みしてもう一度お試しください。",
            "The form expired or the request was not sent from Renkei. Reload the page and try again.",
        ),
        StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => lang.tr(
            "この操作を行う権限がありません。",
            "You are not allowed to do this.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => lang.tr(
            "送信されたデータが大きすぎます。",
            "The data sent is too large.",
        ),
        StatusCode::REQUEST_TIMEOUT => lang.tr(
            "処理に時間がかかりすぎました。もう一度お試しください。",
            "The request took too long. Please try again.",
        ),
        StatusCode::METHOD_NOT_ALLOWED => lang.tr(
            "この方法ではページを利用できません。",
            "This page does not accept that method.",
        ),
        StatusCode::TOO_MANY_REQUESTS => lang.tr(
            "この端末からのログイン失敗が多すぎます。15分ほど待ってからもう一度お試しください。",
            "Too many failed logins from this device. Wait about 15 minutes and try again.",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => lang.tr(
            "入力内容を確認してください。",
            "Please check the form.",
        ),
        StatusCode::CONFLICT => lang.tr(
            "既に保存されている内容と重なるため、保存できませんでした。ページを再読み込みしてからやり直してください。",
            "This conflicts with something already saved. Reload the page and try again.",
        ),
        s if s.is_server_error() => lang.tr(
            "システムエラーが発生しました。時間をおいてもう一度お試しください。問題が続く場合は管理者に連絡してください。",
            "Something went wrong. Try again later; tell your administrator if it persists.",
        ),
        _ => lang.tr("送信内容を読み取れませんでした。", "The request could not be read."),
    }
}

/// Turns every error response (ours, axum's rejections, tower-http's 408 and
/// 413) into a proper page or problem document.
pub async fn render_errors(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    // A refused field of a POST is in the posted resource, not the URL.
    let posted = request.method() == axum::http::Method::POST;
    let lang = crate::auth::lang_of(request.headers());
    let response = next.run(request).await;
    let page_ctx = response.extensions().get::<crate::auth::PageCtx>().cloned();
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let info = response.extensions().get::<ErrorInfo>().cloned();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    // FHIR clients get an OperationOutcome for every error, including the
    // problem documents the authentication layer writes for the API.
    let fhir = is_fhir_path(&path);
    let already_rendered = info.is_none()
        && (content_type.starts_with("text/html")
            || (content_type.starts_with("application/problem+json") && !fhir));
    if already_rendered {
        return response;
    }
    let info = info.unwrap_or(ErrorInfo {
        detail: String::new(),
        errors: None,
    });
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let mut out = if fhir {
        // FHIR's search answers a refused parameter with 400 (R4 has no
        // 422 for reads and searches), and so does a create whose resource
        // fails the basic rules; the outcome names each place.
        let status = if status == StatusCode::UNPROCESSABLE_ENTITY {
            StatusCode::BAD_REQUEST
        } else {
            status
        };
        operation_outcome(status, &info, posted)
    } else if is_api_path(&path) {
        problem(status, &info, &Lang::En)
    } else {
        error_page(status, &info, lang, page_ctx)
    };
    if let Some(v) = retry_after {
        out.headers_mut().insert(header::RETRY_AFTER, v);
    }
    out
}

/// A FHIR R4 OperationOutcome (`application/fhir+json`) for an error of the
/// FHIR API: one issue with the FHIR issue type of the status, the detail as
/// diagnostics, and one issue per refused field: located as the request
/// parameter (`http.name`) of a read or search, or by its FHIRPath in the
/// resource (`expression`) when it was `posted`.
pub fn operation_outcome(status: StatusCode, info: &ErrorInfo, posted: bool) -> Response {
    let code = match status {
        StatusCode::NOT_FOUND | StatusCode::GONE => "not-found",
        StatusCode::UNAUTHORIZED => "login",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_ACCEPTABLE => "not-supported",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "too-costly",
        StatusCode::TOO_MANY_REQUESTS => "throttled",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        s if s.is_server_error() => "exception",
        _ => "invalid",
    };
    let severity = if status.is_server_error() {
        "fatal"
    } else {
        "error"
    };
    let diagnostics = if info.errors.is_some() {
        "Some parameters are invalid: see the issues that follow.".to_string()
    } else {
        client_detail(status, info)
    };
    let mut issues = vec![json!({"severity": severity, "code": code, "diagnostics": diagnostics})];
    if let Some(errors) = &info.errors {
        for e in &errors.0 {
            // A parameter the resource does not support (strict handling)
            // is FHIR's not-supported; every other field error is invalid.
            let code = if e.code == "unsupported" {
                "not-supported"
            } else {
                "invalid"
            };
            let mut issue = json!({
                "severity": "error",
                "code": code,
                "details": {"text": e.message_en},
                "diagnostics": e.message,
            });
            if posted {
                issue["expression"] = json!([e.field]);
            } else {
                // A read's or search's field is a request parameter: R4
                // locates it as "http." + its name.
                issue["location"] = json!([format!("http.{}", e.field)]);
            }
            issues.push(issue);
        }
    }
    let body = json!({"resourceType": "OperationOutcome", "issue": issues});
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/fhir+json; charset=utf-8"),
    );
    response
}

/// The English sentence an API client gets for an error (the detail the
/// handler gave, or one for the status).
fn client_detail(status: StatusCode, info: &ErrorInfo) -> String {
    let title = status.canonical_reason().unwrap_or("Error");
    match status {
        StatusCode::UNAUTHORIZED => {
            "Sign in, or send a personal API token as `Authorization: Bearer rk_…`.".to_string()
        }
        StatusCode::FORBIDDEN if info.detail == "csrf" => {
            "Requests authenticated by the session cookie must send the X-CSRF-Token header."
                .to_string()
        }
        StatusCode::FORBIDDEN if info.detail == "insufficient_scope" => {
            "This API token has only the read scope; changes need a token with the write scope."
                .to_string()
        }
        StatusCode::FORBIDDEN => "Your role does not allow this.".to_string(),
        StatusCode::PAYLOAD_TOO_LARGE => {
            "The request body is larger than the configured limit.".to_string()
        }
        StatusCode::UNPROCESSABLE_ENTITY => "Some fields are invalid; see `errors`.".to_string(),
        _ if !info.detail.is_empty() => info.detail.clone(),
        _ => title.to_string(),
    }
}

/// An RFC 9457 problem document. API errors are in English, with the
/// Japanese message alongside for field errors.
pub fn problem(status: StatusCode, info: &ErrorInfo, _lang: &Lang) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let detail = client_detail(status, info);
    let mut body = json!({
        "type": "about:blank",
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    if let Some(errors) = &info.errors {
        body["errors"] = json!(errors
            .0
            .iter()
            .map(|e| json!({"field": e.field, "code": e.code, "message": e.message_en, "message_ja": e.message}))
            .collect::<Vec<_>>());
    }
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

fn error_page(
    status: StatusCode,
    info: &ErrorInfo,
    lang: Lang,
    ctx: Option<crate::auth::PageCtx>,
) -> Response {
    let msg = message(lang, status, &info.detail);
    let ctx = ctx.unwrap_or_else(|| crate::auth::PageCtx::anonymous(lang));
    let details = info
        .errors
        .as_ref()
        .map(|v| {
            v.0.iter()
                .map(|e| lang.tr(&e.message, &e.message_en).to_string())
                .collect()
        })
        .unwrap_or_default();
    let page = crate::layout::ErrorPage {
        l: crate::layout::Layout::new(&ctx, lang.tr("エラー", "Error")),
        status: status.as_u16(),
        message: msg,
        details,
    };
    match askama::Template::render(&page) {
        Ok(html) => {
            let mut r = (status, axum::response::Html(html)).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(_) => (status, Body::from(msg)).into_response(),
    }
}
