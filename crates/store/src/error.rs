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
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_string())
            }
            _ => StoreError::Database(error),
        }
    }
}
