//! The discharge contact log.

use super::*;
use renkei_store::{read, write};

#[allow(clippy::too_many_arguments)]
pub async fn insert_contact(
    tx: &mut Tx,
    stay: StayId,
    contacted_on: &str,
    channel: ContactChannel,
    profession: &str,
    name: &str,
    conference: bool,
    note: &str,
    by: UserId,
    now: Timestamp,
) -> Result<DischargeContactId, StoreError> {
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO transitions_contacts (stay_id, contacted_on, channel, informant_profession, informant_name, \
             conference, note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(stay)
        .bind(contacted_on)
        .bind(channel)
        .bind(profession)
        .bind(name)
        .bind(conference)
        .bind(note)
        .bind(by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

const CONTACT: &str =
    "SELECT id, stay_id, contacted_on, channel, informant_profession, informant_name, \
    conference, note, recorded_at FROM transitions_contacts";

pub async fn contacts(db: &Db, stay: StayId) -> Result<Vec<DischargeContactRecord>, StoreError> {
    let sql = format!("{CONTACT} WHERE stay_id = $1 ORDER BY contacted_on, id");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(stay)
        .fetch_all(c)
        .await?))
}

pub async fn contacts_of_stays(
    db: &Db,
    stays: &[StayId],
) -> Result<Vec<DischargeContactRecord>, StoreError> {
    if stays.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (0..stays.len()).map(|i| format!("${}", i + 1)).collect();
    let sql = format!(
        "{CONTACT} WHERE stay_id IN ({}) ORDER BY contacted_on, id",
        marks.join(", ")
    );
    Ok(read!(db, |c| {
        let mut q = sqlx::query_as(&sql);
        for s in stays {
            q = q.bind(*s);
        }
        q.fetch_all(c).await?
    }))
}
