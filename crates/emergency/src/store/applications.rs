//! Residents' own applications (住民からの申し込み).

use renkei_domain::{ApplicationId, EmergencyRecordId, RegionId, Timestamp, UserId};
use renkei_store::{read, write, Db, StoreError, Tx};

/// An application as stored: (id, name, input JSON, submitted at, status).
pub type ApplicationRow = (ApplicationId, String, String, i64, String);

pub async fn insert_application(
    tx: &mut Tx,
    region: RegionId,
    input: &str,
    name: &str,
    source_addr: &str,
    now: Timestamp,
) -> Result<ApplicationId, StoreError> {
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO emergency_applications (region_id, input, name, source_addr, submitted_at, status) \
             VALUES ($1, $2, $3, $4, $5, 'pending') RETURNING id",
        )
        .bind(region)
        .bind(input)
        .bind(name)
        .bind(source_addr)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

/// The region's applications waiting for the desk, oldest first.
pub async fn pending_applications(
    db: &Db,
    region: RegionId,
) -> Result<Vec<ApplicationRow>, StoreError> {
    Ok(read!(db, |c| sqlx::query_as(
        "SELECT id, name, input, submitted_at, status FROM emergency_applications \
         WHERE region_id = $1 AND status = 'pending' ORDER BY id"
    )
    .bind(region)
    .fetch_all(c)
    .await?))
}

/// One application of the region.
pub async fn application(
    db: &Db,
    region: RegionId,
    id: ApplicationId,
) -> Result<Option<ApplicationRow>, StoreError> {
    Ok(read!(db, |c| sqlx::query_as(
        "SELECT id, name, input, submitted_at, status FROM emergency_applications \
         WHERE region_id = $1 AND id = $2"
    )
    .bind(region)
    .bind(id)
    .fetch_optional(c)
    .await?))
}

/// Decides a pending application; false when it was no longer pending.
pub async fn decide_application(
    tx: &mut Tx,
    id: ApplicationId,
    status: &str,
    by: UserId,
    record: Option<EmergencyRecordId>,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = write!(tx, |c| {
        sqlx::query(
            "UPDATE emergency_applications SET status = $2, decided_by = $3, decided_at = $4, record_id = $5 \
             WHERE id = $1 AND status = 'pending'",
        )
        .bind(id)
        .bind(status)
        .bind(by)
        .bind(now.millis())
        .bind(record)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(n == 1)
}

/// Applications sent from an address since a moment (the public form's
/// limit).
pub async fn applications_from_since(
    db: &Db,
    source_addr: &str,
    since: Timestamp,
) -> Result<i64, StoreError> {
    Ok(read!(db, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM emergency_applications WHERE source_addr = $1 AND submitted_at >= $2"
    )
    .bind(source_addr)
    .bind(since.millis())
    .fetch_one(c)
    .await?))
}
