use thiserror::Error;

/// The one error type of the storage layer.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database URL {0}")]
    BadUrl(String),
    #[error("cannot open the database: {0}")]
    Unreachable(String),
    #[error(
        "the database was written by a newer Renkei (schema version {found}, this binary knows up to {known}); \
         upgrade Renkei or restore a backup taken with this version"
    )]
    NewerSchema { found: i64, known: i64 },
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    /// Unique-constraint violations become [`StoreError::Conflict`] here, in
    /// one place, so callers can answer 409 without inspecting driver codes.
    /// A stored value that does not decode (a code its vocabulary does not
    /// know) is logged and refused as [`StoreError::Invalid`], never read as
    /// a default.
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_string())
            }
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
                tracing::error!(error = %error, "a stored value does not decode");
                StoreError::Invalid(format!("stored value refused: {error}"))
            }
            _ => StoreError::Database(error),
        }
    }
}

/// The one error shape of every capability's service (care, directory, and
/// the capabilities after them): what the caller did wrong, or what the
/// store said. Identity keeps its own richer type for the login steps.
///
/// The web kit maps it once for every capability: the store's `NotFound`
/// and `Conflict` become 404 and 409 even where a service did not
/// anticipate them.
#[derive(Debug, Error)]
pub enum ServiceError {
    #[error("invalid input: {0}")]
    Validation(renkei_domain::ValidationErrors),
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    /// A per-user limit was reached (the number allowed a day).
    #[error("limit reached ({0} a day)")]
    Limited(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<renkei_domain::ValidationErrors> for ServiceError {
    fn from(v: renkei_domain::ValidationErrors) -> Self {
        ServiceError::Validation(v)
    }
}

impl ServiceError {
    /// A refusal of one field.
    pub fn invalid(field: &str, code: &str, ja: &str, en: &str) -> Self {
        let mut e = renkei_domain::ValidationErrors::new();
        e.add(field, code, ja, en);
        ServiceError::Validation(e)
    }
}
