//! ACP templates and versions, and end-of-life records.

use renkei_domain::emergency::{Certification, DeathPlace, WishMet};
use renkei_domain::{
    AcpTemplateId, AcpVersionId, DeathRecordId, EmergencyRecordId, RegionId, Timestamp, UserId,
};
use renkei_store::{read, write, Db, StoreError, Tx};

use crate::model::DeathRecord;

/// The region's latest template: (id, name, sections JSON).
pub async fn latest_template(
    db: &Db,
    region: RegionId,
) -> Result<Option<(AcpTemplateId, String, String)>, StoreError> {
    Ok(read!(db, |c| sqlx::query_as(
        "SELECT id, name, sections FROM emergency_acp_templates WHERE region_id = $1 \
         ORDER BY id DESC LIMIT 1"
    )
    .bind(region)
    .fetch_optional(c)
    .await?))
}

pub async fn insert_template(
    tx: &mut Tx,
    region: RegionId,
    name: &str,
    sections: &str,
    by: UserId,
    now: Timestamp,
) -> Result<AcpTemplateId, StoreError> {
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO emergency_acp_templates (region_id, name, sections, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(region)
        .bind(name)
        .bind(sections)
        .bind(by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

/// A stored ACP version: (id, version, template name, answers JSON,
/// participants, discussed_on, written_by's name, written_at).
pub type VersionRow = (
    AcpVersionId,
    i64,
    String,
    String,
    String,
    String,
    String,
    i64,
);

/// The record's versions, newest first.
pub async fn versions(db: &Db, record: EmergencyRecordId) -> Result<Vec<VersionRow>, StoreError> {
    Ok(read!(db, |c| sqlx::query_as(
        "SELECT v.id, v.version, v.template_name, v.answers, v.participants, v.discussed_on, \
         COALESCE(u.display_name, ''), v.written_at FROM emergency_acp_versions v \
         LEFT JOIN identity_people u ON u.id = v.written_by WHERE v.record_id = $1 \
         ORDER BY v.version DESC"
    )
    .bind(record)
    .fetch_all(c)
    .await?))
}

/// The record's newest version, if any (the sheet shows it).
pub async fn latest_version(
    db: &Db,
    record: EmergencyRecordId,
) -> Result<Option<VersionRow>, StoreError> {
    Ok(read!(db, |c| sqlx::query_as(
        "SELECT v.id, v.version, v.template_name, v.answers, v.participants, v.discussed_on, \
         COALESCE(u.display_name, ''), v.written_at FROM emergency_acp_versions v \
         LEFT JOIN identity_people u ON u.id = v.written_by WHERE v.record_id = $1 \
         ORDER BY v.version DESC LIMIT 1"
    )
    .bind(record)
    .fetch_optional(c)
    .await?))
}

/// A new version after the latest: the (record, version) pair is unique,
/// so two writers at once cannot both take the same number.
#[allow(clippy::too_many_arguments)]
pub async fn insert_version(
    tx: &mut Tx,
    record: EmergencyRecordId,
    template_name: &str,
    answers: &str,
    participants: &str,
    discussed_on: &str,
    by: UserId,
    now: Timestamp,
) -> Result<(AcpVersionId, i64), StoreError> {
    let next: i64 = write!(tx, |c| {
        sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM emergency_acp_versions WHERE record_id = $1",
        )
        .bind(record)
        .fetch_one(&mut *c)
        .await?
    });
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO emergency_acp_versions (record_id, version, template_name, answers, \
             participants, discussed_on, written_by, written_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(record)
        .bind(next)
        .bind(template_name)
        .bind(answers)
        .bind(participants)
        .bind(discussed_on)
        .bind(by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok((id, next))
}

/// A death's fields, checked by the service.
pub struct NewDeath<'a> {
    pub record_id: EmergencyRecordId,
    pub region_id: RegionId,
    pub municipality_code: &'a str,
    pub died_on: &'a str,
    pub place: DeathPlace,
    pub certified_by: Certification,
    pub attending_doctor: &'a str,
    pub ems_called: bool,
    pub wish_met: WishMet,
    pub note: &'a str,
}

pub async fn insert_death(
    tx: &mut Tx,
    d: &NewDeath<'_>,
    by: UserId,
    now: Timestamp,
) -> Result<DeathRecordId, StoreError> {
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO emergency_deaths (record_id, region_id, municipality_code, died_on, place, \
             certified_by, attending_doctor, ems_called, wish_met, note, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(d.record_id)
        .bind(d.region_id)
        .bind(d.municipality_code)
        .bind(d.died_on)
        .bind(d.place)
        .bind(d.certified_by)
        .bind(d.attending_doctor)
        .bind(d.ems_called)
        .bind(d.wish_met)
        .bind(d.note)
        .bind(by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

const DEATH: &str = "SELECT id, record_id, municipality_code, died_on, place, certified_by, \
    attending_doctor, ems_called, wish_met, note, recorded_at FROM emergency_deaths";

pub async fn death_of(
    db: &Db,
    record: EmergencyRecordId,
) -> Result<Option<DeathRecord>, StoreError> {
    let sql = format!("{DEATH} WHERE record_id = $1");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(record)
        .fetch_optional(c)
        .await?))
}

/// The region's deaths with `from <= died_on < until` (YYYY-MM-DD).
pub async fn deaths_between(
    db: &Db,
    region: RegionId,
    from: &str,
    until: &str,
) -> Result<Vec<DeathRecord>, StoreError> {
    let sql = format!(
        "{DEATH} WHERE region_id = $1 AND died_on >= $2 AND died_on < $3 ORDER BY died_on, id"
    );
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(region)
        .bind(from)
        .bind(until)
        .fetch_all(c)
        .await?))
}

/// The record an ACP version belongs to.
pub async fn record_of_version(
    db: &Db,
    version: AcpVersionId,
) -> Result<Option<EmergencyRecordId>, StoreError> {
    Ok(read!(db, |c| sqlx::query_scalar(
        "SELECT record_id FROM emergency_acp_versions WHERE id = $1"
    )
    .bind(version)
    .fetch_optional(c)
    .await?))
}
