//! Pre-discharge conferences.

use super::*;
use renkei_store::{read, write};

#[allow(clippy::too_many_arguments)]
pub async fn insert_conference(
    tx: &mut Tx,
    stay: StayId,
    scheduled_local: &str,
    place: &str,
    online: bool,
    invited: &str,
    checklist: &str,
    by: UserId,
    now: Timestamp,
) -> Result<ConferenceId, StoreError> {
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO transitions_conferences (stay_id, scheduled_local, place, online, invited, status, attended, \
             checklist, minutes, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, '', $7, '', $8, $9, $9) RETURNING id",
        )
        .bind(stay)
        .bind(scheduled_local)
        .bind(place)
        .bind(online)
        .bind(invited)
        .bind(ConferenceStatus::Scheduled)
        .bind(checklist)
        .bind(by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

pub async fn record_conference(
    tx: &mut Tx,
    id: ConferenceId,
    held_on: &str,
    attended: &str,
    checklist: &str,
    minutes: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = write!(tx, |c| {
        sqlx::query(
            "UPDATE transitions_conferences SET status = $2, held_on = $3, attended = $4, checklist = $5, \
             minutes = $6, updated_at = $7 WHERE id = $1 AND status = $8",
        )
        .bind(id)
        .bind(ConferenceStatus::Held)
        .bind(held_on)
        .bind(attended)
        .bind(checklist)
        .bind(minutes)
        .bind(now.millis())
        .bind(ConferenceStatus::Scheduled)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(n > 0)
}

const CONFERENCE: &str =
    "SELECT id, stay_id, scheduled_local, place, online, invited, status, attended, \
    checklist, minutes, held_on, created_at FROM transitions_conferences";

pub async fn conferences(db: &Db, stay: StayId) -> Result<Vec<Conference>, StoreError> {
    let sql = format!("{CONFERENCE} WHERE stay_id = $1 ORDER BY scheduled_local, id");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(stay)
        .fetch_all(c)
        .await?))
}
