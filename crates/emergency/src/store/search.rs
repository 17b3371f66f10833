//! EMS search: the agreements between regions and the searches made.

use renkei_domain::{EmergencyRecordId, RegionId, Timestamp, UserId};
use renkei_store::{read, write, Db, StoreError, Tx};

use super::{ALIVE, RECORD};
use crate::model::EmergencyRecord;

/// The regions whose residents the EMS of `ems_region` may find: its own
/// and those that agreed.
pub async fn searchable_regions(
    db: &Db,
    ems_region: RegionId,
) -> Result<Vec<RegionId>, StoreError> {
    let mut regions: Vec<RegionId> = read!(db, |c| {
        sqlx::query_scalar(
        "SELECT region_id FROM emergency_agreements WHERE ems_region_id = $1 AND ended_at IS NULL \
         ORDER BY region_id"
    )
    .bind(ems_region)
    .fetch_all(c)
    .await?
    });
    regions.insert(0, ems_region);
    regions.dedup();
    Ok(regions)
}

/// The living residents of a region born on `birth_date` (the service
/// compares the names).
pub async fn records_born_on(
    db: &Db,
    region: RegionId,
    birth_date: &str,
) -> Result<Vec<EmergencyRecord>, StoreError> {
    let sql = format!("{RECORD} WHERE region_id = $1 AND birth_date = $2 AND {ALIVE} ORDER BY id");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(region)
        .bind(birth_date)
        .fetch_all(c)
        .await?))
}

pub async fn insert_search(
    tx: &mut Tx,
    user: UserId,
    record: Option<EmergencyRecordId>,
    reason: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "INSERT INTO emergency_searches (user_id, record_id, reason, searched_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(user)
        .bind(record)
        .bind(reason)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

pub async fn searches_since(db: &Db, user: UserId, since: Timestamp) -> Result<i64, StoreError> {
    Ok(read!(db, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM emergency_searches WHERE user_id = $1 AND searched_at >= $2"
    )
    .bind(user)
    .bind(since.millis())
    .fetch_one(c)
    .await?))
}

/// The region's agreements in force: (id, EMS region, agreed at).
pub async fn agreements(
    db: &Db,
    region: RegionId,
) -> Result<Vec<(i64, RegionId, i64)>, StoreError> {
    Ok(read!(db, |c| sqlx::query_as(
        "SELECT id, ems_region_id, agreed_at FROM emergency_agreements WHERE region_id = $1 \
         AND ended_at IS NULL ORDER BY id"
    )
    .bind(region)
    .fetch_all(c)
    .await?))
}

pub async fn insert_agreement(
    tx: &mut Tx,
    region: RegionId,
    ems_region: RegionId,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "INSERT INTO emergency_agreements (region_id, ems_region_id, agreed_by, agreed_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(region)
        .bind(ems_region)
        .bind(by)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

/// Ends an agreement of the region; false when there is none in force.
pub async fn end_agreement(
    tx: &mut Tx,
    region: RegionId,
    id: i64,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = write!(tx, |c| {
        sqlx::query(
            "UPDATE emergency_agreements SET ended_at = $3 WHERE id = $1 AND region_id = $2 AND ended_at IS NULL",
        )
        .bind(id)
        .bind(region)
        .bind(now.millis())
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(n == 1)
}
