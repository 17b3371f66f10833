//! The region's settings (the verification interval) and the watchers
//! (民生委員・見守りサポーター) assigned to residents.

use renkei_domain::{EmergencyRecordId, RegionId, Timestamp, UserId};
use renkei_store::{read, write, Db, StoreError, Tx};

/// The region's interval between verifications, if it set one.
pub async fn verify_months(db: &Db, region: RegionId) -> Result<Option<i64>, StoreError> {
    Ok(read!(db, |c| sqlx::query_scalar(
        "SELECT verify_months FROM emergency_settings WHERE region_id = $1"
    )
    .bind(region)
    .fetch_optional(c)
    .await?))
}

pub async fn set_verify_months(
    tx: &mut Tx,
    region: RegionId,
    months: i64,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "INSERT INTO emergency_settings (region_id, verify_months, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (region_id) DO UPDATE SET \
             verify_months = excluded.verify_months, updated_by = excluded.updated_by, \
             updated_at = excluded.updated_at",
        )
        .bind(region)
        .bind(months)
        .bind(by)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

/// The records assigned to a watcher now.
pub async fn watched_records(db: &Db, user: UserId) -> Result<Vec<EmergencyRecordId>, StoreError> {
    Ok(read!(db, |c| sqlx::query_scalar(
        "SELECT record_id FROM emergency_watchers WHERE user_id = $1 AND ended_at IS NULL \
         ORDER BY record_id"
    )
    .bind(user)
    .fetch_all(c)
    .await?))
}

/// Whether the record is assigned to the watcher now.
pub async fn is_watcher(
    db: &Db,
    record: EmergencyRecordId,
    user: UserId,
) -> Result<bool, StoreError> {
    let n: i64 = read!(db, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM emergency_watchers WHERE record_id = $1 AND user_id = $2 \
         AND ended_at IS NULL"
    )
    .bind(record)
    .bind(user)
    .fetch_one(c)
    .await?);
    Ok(n > 0)
}

/// The watchers of a record now: (user, display name).
pub async fn watchers_of(
    db: &Db,
    record: EmergencyRecordId,
) -> Result<Vec<(UserId, String)>, StoreError> {
    Ok(read!(db, |c| sqlx::query_as(
        "SELECT w.user_id, COALESCE(u.display_name, '') FROM emergency_watchers w \
         LEFT JOIN identity_people u ON u.id = w.user_id \
         WHERE w.record_id = $1 AND w.ended_at IS NULL ORDER BY w.id"
    )
    .bind(record)
    .fetch_all(c)
    .await?))
}

pub async fn assign_watcher(
    tx: &mut Tx,
    record: EmergencyRecordId,
    user: UserId,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "INSERT INTO emergency_watchers (record_id, user_id, assigned_by, assigned_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(record)
        .bind(user)
        .bind(by)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

/// Ends a watcher's assignment; false when there was none.
pub async fn end_watcher(
    tx: &mut Tx,
    record: EmergencyRecordId,
    user: UserId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = write!(tx, |c| {
        sqlx::query(
            "UPDATE emergency_watchers SET ended_at = $3 WHERE record_id = $1 AND user_id = $2 \
             AND ended_at IS NULL",
        )
        .bind(record)
        .bind(user)
        .bind(now.millis())
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(n > 0)
}

/// The region's watchers who may be assigned: users with the watcher
/// role, from identity's published view: (id, display name).
pub async fn region_watchers(
    db: &Db,
    region: RegionId,
    role_code: &str,
) -> Result<Vec<(UserId, String)>, StoreError> {
    Ok(read!(db, |c| sqlx::query_as(
        "SELECT id, display_name FROM identity_people WHERE region_id = $1 AND role = $2 \
         AND NOT disabled ORDER BY display_name, id"
    )
    .bind(region)
    .bind(role_code)
    .fetch_all(c)
    .await?))
}

/// After a watcher's assignment ends: the desk person becomes the record's
/// responsible person if the watcher was, and the links the watcher made
/// are revoked.
pub async fn take_back(
    tx: &mut Tx,
    record: EmergencyRecordId,
    watcher: UserId,
    desk: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "UPDATE emergency_records SET responsible_user_id = $3 WHERE id = $1 AND responsible_user_id = $2",
        )
        .bind(record)
        .bind(watcher)
        .bind(desk)
        .execute(&mut *c)
        .await?;
    });
    write!(tx, |c| {
        sqlx::query(
            "UPDATE emergency_links SET revoked_at = $3, revoked_by = $4 \
             WHERE record_id = $1 AND created_by = $2 AND revoked_at IS NULL",
        )
        .bind(record)
        .bind(watcher)
        .bind(now.millis())
        .bind(desk)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}
