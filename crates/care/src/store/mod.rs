//! SQL for care spaces, patients, consent, members, posts, receipts,
//! attachments, summaries, break-glass and notification preferences.
//!
//! Functions here do what they are told; who may do it is decided in
//! [`crate::service`]. The store is private to care: it reads and writes
//! the model's types, one file per part, all re-exported here.

mod attachments;
mod break_glass;
mod consent;
mod members;
mod notifications;
mod patients;
mod people;
mod posts;
mod spaces;
mod summary;

pub use attachments::*;
pub use break_glass::*;
pub use consent::*;
pub use members::*;
pub use notifications::*;
pub use patients::*;
pub use people::*;
pub use posts::*;
pub use spaces::*;
pub use summary::*;

use renkei_domain::care::{
    AttachmentPurpose, MemberStatus, PostAuthorRole, PostCategory, PostKind, SpaceKind, TeamRole,
    Vitals,
};
use renkei_domain::{
    AttachmentId, BreakGlassId, ConsentId, OrgId, PatientId, PostId, RegionId, Role, SpaceId,
    Timestamp, UserId,
};
use renkei_store::{Db, StoreError, Tx};

use crate::model::{
    AttachmentMeta, BreakGlassAccess, CategoryFilter, Consent, Coverage, Invitee, Member, Patient,
    PatientRecord, Post, PostVersion, Preferences, Space, Summary, SummaryFields, TimelineQuery,
};

use std::sync::OnceLock;

/// `$first, $first+1, …` for `n` values bound to an `IN (…)` clause.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A comma-separated list of ids for an `IN (…)` clause. Ids are integers,
/// so the list cannot carry SQL.
fn id_list<T: std::fmt::Display>(ids: &[T]) -> String {
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The value of a JSON column. A value that does not parse is logged,
/// naming the table and the row, and refused: never read as a default.
fn json_column<T: serde::de::DeserializeOwned>(
    table: &str,
    row: impl std::fmt::Display,
    column: &str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| {
        tracing::error!(table, row = %row, column, error = %e, "stored JSON does not parse");
        StoreError::Invalid(format!("{table} {row}: {column} is not valid JSON ({e})"))
    })
}

/// JSON text of a value for a JSON column.
fn json_text<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(format!("JSON: {e}")))
}
