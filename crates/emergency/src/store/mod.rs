//! Emergency's SQL: records, card links and their openings (private to
//! the crate; the service is the only caller).

use renkei_domain::{EmergencyLinkId, EmergencyRecordId, PatientId, RegionId, Timestamp, UserId};
use renkei_store::{read, write, Db, StoreError, Tx};

use crate::model::{CardLink, EmergencyRecord, Opening};

mod acp;
mod applications;
mod disaster;
mod search;
mod settings;
mod transport;
pub use acp::*;
pub use applications::*;
pub use disaster::*;
pub use search::*;
pub use settings::*;
pub use transport::*;

/// A record's fields, checked by the service.
pub struct Fields<'a> {
    pub patient_id: Option<PatientId>,
    pub name: &'a str,
    pub kana: &'a str,
    pub birth_date: &'a str,
    pub address: &'a str,
    pub municipality_code: &'a str,
    pub area: &'a str,
    pub phone: &'a str,
    pub family_doctor: &'a str,
    pub diseases: &'a str,
    pub medicines: &'a str,
    pub allergies: &'a str,
    pub contacts: &'a str,
    pub insurance: &'a str,
    pub devices: &'a str,
    pub home_file: &'a str,
    pub wishes: &'a str,
    pub lives_alone: bool,
    pub disaster_share: bool,
}

const RECORD: &str = "SELECT id, region_id, patient_id, name, kana, birth_date, address, municipality_code, \
    area, phone, family_doctor, diseases, medicines, allergies, contacts, insurance, devices, home_file, wishes, \
    lives_alone, disaster_share, responsible_user_id, verified_at, verified_by, created_by, created_at, updated_at \
    FROM emergency_records";

/// Records whose resident has not died (a death takes a record out of
/// the reminders, the freshness count and the disaster list).
const ALIVE: &str =
    "NOT EXISTS (SELECT 1 FROM emergency_deaths d WHERE d.record_id = emergency_records.id)";

pub async fn insert_record(
    tx: &mut Tx,
    region: RegionId,
    f: &Fields<'_>,
    by: UserId,
    now: Timestamp,
) -> Result<EmergencyRecordId, StoreError> {
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO emergency_records (region_id, patient_id, name, kana, birth_date, address, \
             municipality_code, phone, family_doctor, diseases, medicines, allergies, contacts, insurance, \
             devices, home_file, wishes, lives_alone, responsible_user_id, created_by, created_at, updated_at, area, disaster_share) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19, \
             $20, $20, $21, $22) RETURNING id",
        )
        .bind(region)
        .bind(f.patient_id)
        .bind(f.name)
        .bind(f.kana)
        .bind(f.birth_date)
        .bind(f.address)
        .bind(f.municipality_code)
        .bind(f.phone)
        .bind(f.family_doctor)
        .bind(f.diseases)
        .bind(f.medicines)
        .bind(f.allergies)
        .bind(f.contacts)
        .bind(f.insurance)
        .bind(f.devices)
        .bind(f.home_file)
        .bind(f.wishes)
        .bind(f.lives_alone)
        .bind(by)
        .bind(now.millis())
        .bind(f.area)
        .bind(f.disaster_share)
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

/// Writes the fields (the patient link stays as it was).
pub async fn update_record(
    tx: &mut Tx,
    id: EmergencyRecordId,
    f: &Fields<'_>,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "UPDATE emergency_records SET name = $2, kana = $3, birth_date = $4, address = $5, \
             municipality_code = $6, phone = $7, family_doctor = $8, diseases = $9, medicines = $10, \
             allergies = $11, contacts = $12, insurance = $13, devices = $14, home_file = $15, wishes = $16, \
             lives_alone = $17, updated_at = $18, area = $19, disaster_share = $20 WHERE id = $1",
        )
        .bind(id)
        .bind(f.name)
        .bind(f.kana)
        .bind(f.birth_date)
        .bind(f.address)
        .bind(f.municipality_code)
        .bind(f.phone)
        .bind(f.family_doctor)
        .bind(f.diseases)
        .bind(f.medicines)
        .bind(f.allergies)
        .bind(f.contacts)
        .bind(f.insurance)
        .bind(f.devices)
        .bind(f.home_file)
        .bind(f.wishes)
        .bind(f.lives_alone)
        .bind(now.millis())
        .bind(f.area)
        .bind(f.disaster_share)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

/// Marks the record verified by `by` now; they become its responsible person.
pub async fn verify(
    tx: &mut Tx,
    id: EmergencyRecordId,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "UPDATE emergency_records SET verified_at = $2, verified_by = $3, responsible_user_id = $3, \
             reminded_at = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(now.millis())
        .bind(by)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

pub async fn record(db: &Db, id: EmergencyRecordId) -> Result<Option<EmergencyRecord>, StoreError> {
    let sql = format!("{RECORD} WHERE id = $1");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?))
}

pub async fn record_of_patient(
    db: &Db,
    patient: PatientId,
) -> Result<Option<EmergencyRecord>, StoreError> {
    let sql = format!("{RECORD} WHERE patient_id = $1");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(patient)
        .fetch_optional(c)
        .await?))
}

/// The region's records without a care team (the desk keeps them).
pub async fn unlinked_records(
    db: &Db,
    region: RegionId,
) -> Result<Vec<EmergencyRecord>, StoreError> {
    let sql = format!("{RECORD} WHERE region_id = $1 AND patient_id IS NULL ORDER BY kana, id");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(region)
        .fetch_all(c)
        .await?))
}

/// Records of these patients (integers from care, not input).
pub async fn records_of_patients(
    db: &Db,
    patients: &[PatientId],
) -> Result<Vec<EmergencyRecord>, StoreError> {
    if patients.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=patients.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "{RECORD} WHERE patient_id IN ({}) ORDER BY kana, id",
        marks.join(", ")
    );
    Ok(read!(db, |c| {
        let mut q = sqlx::query_as(&sql);
        for p in patients {
            q = q.bind(*p);
        }
        q.fetch_all(c).await?
    }))
}

pub async fn insert_link(
    tx: &mut Tx,
    record: EmergencyRecordId,
    token_hash: &str,
    by: UserId,
    now: Timestamp,
) -> Result<EmergencyLinkId, StoreError> {
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO emergency_links (record_id, token_hash, created_by, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(record)
        .bind(token_hash)
        .bind(by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

/// Revokes a link of the record (again is a no-op); false when the record
/// has no such link.
pub async fn revoke_link(
    tx: &mut Tx,
    record: EmergencyRecordId,
    link: EmergencyLinkId,
    by: UserId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let exists: Option<i64> = write!(tx, |c| {
        sqlx::query_scalar("SELECT id FROM emergency_links WHERE id = $1 AND record_id = $2")
            .bind(link)
            .bind(record)
            .fetch_optional(&mut *c)
            .await?
    });
    if exists.is_none() {
        return Ok(false);
    }
    write!(tx, |c| {
        sqlx::query(
            "UPDATE emergency_links SET revoked_at = $3, revoked_by = $4 \
             WHERE id = $1 AND record_id = $2 AND revoked_at IS NULL",
        )
        .bind(link)
        .bind(record)
        .bind(now.millis())
        .bind(by)
        .execute(&mut *c)
        .await?;
    });
    Ok(true)
}

/// Revokes every live link of the record (rotation).
pub async fn revoke_all_links(
    tx: &mut Tx,
    record: EmergencyRecordId,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "UPDATE emergency_links SET revoked_at = $2, revoked_by = $3 \
             WHERE record_id = $1 AND revoked_at IS NULL",
        )
        .bind(record)
        .bind(now.millis())
        .bind(by)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

pub async fn links(db: &Db, record: EmergencyRecordId) -> Result<Vec<CardLink>, StoreError> {
    Ok(read!(db, |c| sqlx::query_as(
        "SELECT id, record_id, created_at, revoked_at FROM emergency_links WHERE record_id = $1 \
         ORDER BY id DESC"
    )
    .bind(record)
    .fetch_all(c)
    .await?))
}

/// The link with this token hash, live or revoked: (link, record, revoked).
pub async fn link_by_hash(
    db: &Db,
    token_hash: &str,
) -> Result<Option<(EmergencyLinkId, EmergencyRecordId, bool)>, StoreError> {
    let row: Option<(EmergencyLinkId, EmergencyRecordId, Option<i64>)> = read!(db, |c| {
        sqlx::query_as(
            "SELECT id, record_id, revoked_at FROM emergency_links WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(c)
        .await?
    });
    Ok(row.map(|(l, r, revoked)| (l, r, revoked.is_some())))
}

/// A person's e-mail address ("" unknown; none for a disabled account),
/// from identity's published view.
pub async fn email_of(db: &Db, user: UserId) -> Result<Option<String>, StoreError> {
    let row: Option<(String, bool)> = read!(db, |c| {
        sqlx::query_as("SELECT email, disabled FROM identity_people WHERE id = $1")
            .bind(user)
            .fetch_optional(c)
            .await?
    });
    Ok(row.and_then(|(email, disabled)| (!disabled).then_some(email)))
}

pub async fn insert_opening(
    tx: &mut Tx,
    record: EmergencyRecordId,
    link: EmergencyLinkId,
    source_addr: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "INSERT INTO emergency_openings (record_id, link_id, opened_at, source_addr) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(record)
        .bind(link)
        .bind(now.millis())
        .bind(source_addr)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

pub async fn openings(
    db: &Db,
    record: EmergencyRecordId,
    limit: i64,
) -> Result<Vec<Opening>, StoreError> {
    Ok(read!(db, |c| sqlx::query_as(
        "SELECT link_id, opened_at, source_addr FROM emergency_openings WHERE record_id = $1 \
         ORDER BY opened_at DESC, id DESC LIMIT $2"
    )
    .bind(record)
    .bind(limit)
    .fetch_all(c)
    .await?))
}

/// People's display names, from identity's published view.
pub async fn display_names(
    db: &Db,
    ids: &[UserId],
) -> Result<std::collections::HashMap<UserId, String>, StoreError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT id, display_name FROM identity_people WHERE id IN ({})",
        marks.join(", ")
    );
    let rows: Vec<(UserId, String)> = read!(db, |c| {
        let mut q = sqlx::query_as(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await?
    });
    Ok(rows.into_iter().collect())
}

/// The region's municipalities (code, name), from identity's published view.
pub async fn municipalities(
    db: &Db,
    region: RegionId,
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(read!(db, |c| sqlx::query_as(
        "SELECT code, name FROM identity_municipalities WHERE region_id = $1 ORDER BY code"
    )
    .bind(region)
    .fetch_all(c)
    .await?))
}

/// Every record of the region (the freshness dashboard counts them).
pub async fn records_of_region(
    db: &Db,
    region: RegionId,
) -> Result<Vec<EmergencyRecord>, StoreError> {
    let sql = format!("{RECORD} WHERE region_id = $1 AND {ALIVE} ORDER BY municipality_code, id");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(region)
        .fetch_all(c)
        .await?))
}

/// Every region's records with the e-mail of the person who keeps each
/// ("" when none), for the reminder job: (record, email, reminded_at).
pub async fn records_to_remind(
    db: &Db,
) -> Result<Vec<(EmergencyRecord, String, Option<i64>)>, StoreError> {
    let sql = format!("{RECORD} WHERE {ALIVE} ORDER BY id");
    let records: Vec<EmergencyRecord> = read!(db, |c| sqlx::query_as(&sql).fetch_all(c).await?);
    let rows: Vec<(EmergencyRecordId, Option<i64>, String, bool)> = read!(db, |c| {
        sqlx::query_as(
            "SELECT r.id, r.reminded_at, COALESCE(u.email, ''), COALESCE(u.disabled, TRUE) \
             FROM emergency_records r LEFT JOIN identity_people u ON u.id = r.responsible_user_id",
        )
        .fetch_all(c)
        .await?
    });
    let by_id: std::collections::HashMap<EmergencyRecordId, (Option<i64>, String, bool)> = rows
        .into_iter()
        .map(|(id, at, email, disabled)| (id, (at, email, disabled)))
        .collect();
    Ok(records
        .into_iter()
        .filter_map(|r| {
            let (at, email, disabled) = by_id.get(&r.id)?.clone();
            (!disabled).then_some((r, email, at))
        })
        .collect())
}

pub async fn mark_reminded(
    tx: &mut Tx,
    id: EmergencyRecordId,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query("UPDATE emergency_records SET reminded_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now.millis())
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}
