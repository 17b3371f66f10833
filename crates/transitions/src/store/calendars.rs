//! Offices' business weeks.

use super::*;
use renkei_store::{read, write};

pub async fn office_calendar(db: &Db, org: OrgId) -> Result<Option<String>, StoreError> {
    Ok(read!(db, |c| sqlx::query_scalar(
        "SELECT calendar FROM transitions_office_calendars WHERE org_id = $1"
    )
    .bind(org)
    .fetch_optional(c)
    .await?))
}

pub async fn save_office_calendar(
    tx: &mut Tx,
    org: OrgId,
    calendar: &str,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "INSERT INTO transitions_office_calendars (org_id, calendar, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (org_id) DO UPDATE SET \
             calendar = excluded.calendar, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(org)
        .bind(calendar)
        .bind(by)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}
