use renkei_domain::ValidationErrors;
use renkei_store::StoreError;
use thiserror::Error;

/// The one error type of the identity service.
#[derive(Debug, Error)]
pub enum IdentityError {
    #[error("invalid input: {0}")]
    Validation(ValidationErrors),
    #[error("not allowed")]
    Forbidden,
    #[error("not signed in")]
    Unauthenticated,
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    /// Wrong user name or password. Deliberately does not say which.
    #[error("wrong user name or password")]
    BadCredentials,
    /// Too many failures: the account waits for an administrator.
    #[error("account locked after repeated failed logins")]
    Locked,
    /// The account was disabled by an administrator.
    #[error("account disabled")]
    Disabled,
    /// Too many failures from one address in a short time.
    #[error("too many attempts; retry after {retry_after_secs} s")]
    Throttled { retry_after_secs: i64 },
    #[error("wrong or reused one-time code")]
    BadCode,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl IdentityError {
    pub fn validation(field: &str, code: &str, ja: &str, en: &str) -> Self {
        let mut v = ValidationErrors::new();
        v.add(field, code, ja, en);
        IdentityError::Validation(v)
    }
}
