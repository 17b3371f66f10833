//! The disaster list (災害時の名簿): disasters, safety confirmations
//! (安否確認) and the equipment register.

use std::collections::HashMap;

use renkei_domain::emergency::{EquipmentKind, SafetyStatus};
use renkei_domain::{DisasterId, EmergencyRecordId, EquipmentId, RegionId, Timestamp, UserId};
use renkei_store::{read, write, Db, StoreError, Tx};

use crate::model::{Disaster, Equipment};

/// A record as the disaster list needs it, with its keeper's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListRow {
    pub id: EmergencyRecordId,
    pub patient_id: Option<renkei_domain::PatientId>,
    pub name: String,
    pub kana: String,
    pub birth_date: String,
    pub address: String,
    pub municipality_code: String,
    pub area: String,
    pub phone: String,
    pub devices: String,
    pub lives_alone: bool,
    pub family_doctor: String,
    pub contacts: String,
    pub keeper_name: String,
}

/// The region's records in the scope whose resident depends on a device
/// or lives alone (and has not died), by municipality, area and kana, in
/// one statement. With `consented_only`, only those who agreed to be on
/// the list, and (`desk`) the desk's own residents without a team.
pub async fn list_rows(
    db: &Db,
    region: RegionId,
    municipality: &str,
    area: &str,
    consented_only: bool,
    desk: bool,
) -> Result<Vec<ListRow>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
        "SELECT r.id, r.patient_id, r.name, r.kana, r.birth_date, r.address, r.municipality_code, r.area, \
         r.phone, r.devices, r.lives_alone, r.family_doctor, r.contacts, \
         COALESCE(u.display_name, '') AS keeper_name \
         FROM emergency_records r LEFT JOIN identity_people u ON u.id = r.responsible_user_id \
         WHERE r.region_id = $1 AND (r.devices <> '' OR r.lives_alone) \
         AND NOT EXISTS (SELECT 1 FROM emergency_deaths d WHERE d.record_id = r.id) \
         AND ($2 = '' OR r.municipality_code = $2) AND ($3 = '' OR r.area = $3) \
         AND (NOT $4 OR r.disaster_share OR ($5 AND r.patient_id IS NULL)) \
         ORDER BY r.municipality_code, r.area, r.kana, r.id"
    )
    .bind(region)
    .bind(municipality)
    .bind(area)
    .bind(consented_only)
    .bind(desk)
    .fetch_all(c)
    .await?
    }))
}

/// The areas the region's records name, by municipality (code, area).
pub async fn areas(db: &Db, region: RegionId) -> Result<Vec<(String, String)>, StoreError> {
    Ok(read!(db, |c| sqlx::query_as(
        "SELECT DISTINCT municipality_code, area FROM emergency_records \
         WHERE region_id = $1 AND area <> '' ORDER BY municipality_code, area"
    )
    .bind(region)
    .fetch_all(c)
    .await?))
}

/// The region's open disaster, if one is open (the latest).
pub async fn open_disaster(db: &Db, region: RegionId) -> Result<Option<Disaster>, StoreError> {
    Ok(read!(db, |c| sqlx::query_as(
        "SELECT id, region_id, name, started_at, closed_at FROM emergency_disasters \
         WHERE region_id = $1 AND closed_at IS NULL ORDER BY started_at DESC, id DESC LIMIT 1"
    )
    .bind(region)
    .fetch_optional(c)
    .await?))
}

pub async fn insert_disaster(
    tx: &mut Tx,
    region: RegionId,
    name: &str,
    by: UserId,
    now: Timestamp,
) -> Result<DisasterId, StoreError> {
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO emergency_disasters (region_id, name, started_at, started_by) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(region)
        .bind(name)
        .bind(now.millis())
        .bind(by)
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

/// Closes the disaster; false when it was not open.
pub async fn close_disaster(
    tx: &mut Tx,
    region: RegionId,
    id: DisasterId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let done = write!(tx, |c| {
        sqlx::query(
            "UPDATE emergency_disasters SET closed_at = $3 \
             WHERE id = $1 AND region_id = $2 AND closed_at IS NULL",
        )
        .bind(id)
        .bind(region)
        .bind(now.millis())
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(done == 1)
}

pub async fn insert_safety_check(
    tx: &mut Tx,
    disaster: DisasterId,
    record: EmergencyRecordId,
    status: SafetyStatus,
    note: &str,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "INSERT INTO emergency_safety_checks (disaster_id, record_id, status, note, checked_by, checked_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(disaster)
        .bind(record)
        .bind(status)
        .bind(note)
        .bind(by)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

/// The latest confirmation of each record in the disaster: record →
/// (status, note, at, by whom).
pub async fn latest_checks(
    db: &Db,
    disaster: DisasterId,
) -> Result<HashMap<EmergencyRecordId, (SafetyStatus, String, i64, String)>, StoreError> {
    let rows: Vec<(EmergencyRecordId, SafetyStatus, String, i64, String)> = read!(db, |c| {
        sqlx::query_as(
            "SELECT s.record_id, s.status, s.note, s.checked_at, COALESCE(u.display_name, '') \
             FROM emergency_safety_checks s LEFT JOIN identity_people u ON u.id = s.checked_by \
             WHERE s.disaster_id = $1 AND s.id IN \
             (SELECT MAX(id) FROM emergency_safety_checks WHERE disaster_id = $1 GROUP BY record_id)",
        )
        .bind(disaster)
        .fetch_all(c)
        .await?
    });
    Ok(rows
        .into_iter()
        .map(|(r, s, n, at, by)| (r, (s, n, at, by)))
        .collect())
}

/// An equipment entry's fields, checked by the service.
pub struct EquipmentFields<'a> {
    pub municipality_code: &'a str,
    pub kind: EquipmentKind,
    pub label: &'a str,
    pub place: &'a str,
    pub quantity: i64,
    pub contact: &'a str,
}

pub async fn insert_equipment(
    tx: &mut Tx,
    region: RegionId,
    f: &EquipmentFields<'_>,
    by: UserId,
    now: Timestamp,
) -> Result<EquipmentId, StoreError> {
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO emergency_equipment (region_id, municipality_code, kind, label, place, quantity, \
             contact, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(region)
        .bind(f.municipality_code)
        .bind(f.kind)
        .bind(f.label)
        .bind(f.place)
        .bind(f.quantity)
        .bind(f.contact)
        .bind(by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

/// Rewrites an entry of the region; false when there is none.
pub async fn update_equipment(
    tx: &mut Tx,
    region: RegionId,
    id: EquipmentId,
    f: &EquipmentFields<'_>,
    by: UserId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = write!(tx, |c| {
        sqlx::query(
            "UPDATE emergency_equipment SET municipality_code = $3, kind = $4, label = $5, place = $6, \
             quantity = $7, contact = $8, updated_by = $9, updated_at = $10 WHERE id = $1 AND region_id = $2",
        )
        .bind(id)
        .bind(region)
        .bind(f.municipality_code)
        .bind(f.kind)
        .bind(f.label)
        .bind(f.place)
        .bind(f.quantity)
        .bind(f.contact)
        .bind(by)
        .bind(now.millis())
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(n == 1)
}

/// The region's equipment, of one municipality or (empty) all.
pub async fn equipment(
    db: &Db,
    region: RegionId,
    municipality: &str,
) -> Result<Vec<Equipment>, StoreError> {
    Ok(read!(db, |c| sqlx::query_as(
        "SELECT id, municipality_code, kind, label, place, quantity, contact, updated_at \
         FROM emergency_equipment WHERE region_id = $1 AND ($2 = '' OR municipality_code = $2) \
         ORDER BY municipality_code, kind, id"
    )
    .bind(region)
    .bind(municipality)
    .fetch_all(c)
    .await?))
}
