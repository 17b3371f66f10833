//! Stays: the admission, the planned and actual discharge, the discharge summary.

use super::*;
use renkei_store::{read, write};

/// A stay as first recorded.
pub struct NewStay<'a> {
    pub region_id: RegionId,
    pub patient_id: PatientId,
    pub patient_name: &'a str,
    pub patient_kana: &'a str,
    pub patient_birth_date: &'a str,
    pub municipality_code: &'a str,
    /// 日常生活圏域, as the region's area adoptions name it ("" unknown).
    pub area: &'a str,
    pub hospital_entry_id: EntryId,
    pub hospital_name: &'a str,
    pub hospital_org_id: Option<OrgId>,
    pub ward: &'a str,
    pub admitted_local: &'a str,
    pub admitted_at: i64,
    pub outside_hours: bool,
    pub reported_via: ReportedVia,
    pub reported_by: UserId,
    pub office_org_id: Option<OrgId>,
    pub rule_version_id: Option<RuleVersionId>,
    pub needs_coordination: bool,
    pub screening: &'a str,
    pub route_cases: &'a str,
    pub terminal: bool,
    pub readmission_of: Option<StayId>,
}

pub async fn insert_stay(
    tx: &mut Tx,
    s: &NewStay<'_>,
    now: Timestamp,
) -> Result<StayId, StoreError> {
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO transitions_stays (region_id, patient_id, patient_name, patient_kana, patient_birth_date, \
             municipality_code, hospital_entry_id, hospital_name, hospital_org_id, ward, admitted_local, admitted_at, \
             outside_hours, reported_via, reported_by, learned_at, office_org_id, rule_version_id, needs_coordination, \
             screening, route_cases, terminal, readmission_of, summary_note, created_at, updated_at, area) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, \
             $22, $23, '', $16, $16, $24) RETURNING id",
        )
        .bind(s.region_id)
        .bind(s.patient_id)
        .bind(s.patient_name)
        .bind(s.patient_kana)
        .bind(s.patient_birth_date)
        .bind(s.municipality_code)
        .bind(s.hospital_entry_id)
        .bind(s.hospital_name)
        .bind(s.hospital_org_id)
        .bind(s.ward)
        .bind(s.admitted_local)
        .bind(s.admitted_at)
        .bind(s.outside_hours)
        .bind(s.reported_via)
        .bind(s.reported_by)
        .bind(now.millis())
        .bind(s.office_org_id)
        .bind(s.rule_version_id)
        .bind(s.needs_coordination)
        .bind(s.screening)
        .bind(s.route_cases)
        .bind(s.terminal)
        .bind(s.readmission_of)
        .bind(s.area)
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

const STAY: &str = "SELECT id, region_id, patient_id, patient_name, patient_kana, patient_birth_date, \
    municipality_code, hospital_entry_id, hospital_name, hospital_org_id, ward, admitted_local, admitted_at, \
    outside_hours, reported_via, reported_by, learned_at, office_org_id, rule_version_id, needs_coordination, \
    screening, route_cases, terminal, readmission_of, planned_discharge_on, discharge_told_at, discharged_on, \
    summary_requested_at, summary_returned_on, summary_note, created_at, updated_at, area FROM transitions_stays";

pub async fn stay(db: &Db, id: StayId) -> Result<Option<Stay>, StoreError> {
    let sql = format!("{STAY} WHERE id = $1");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?))
}

pub async fn stays_of_patient(db: &Db, patient: PatientId) -> Result<Vec<Stay>, StoreError> {
    let sql = format!("{STAY} WHERE patient_id = $1 ORDER BY admitted_at DESC, id DESC");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(patient)
        .fetch_all(c)
        .await?))
}

/// Stays handed to one of these organisations (a hospital's list), the
/// newest first, at most `limit`.
pub async fn stays_of_hospitals(
    db: &Db,
    orgs: &[OrgId],
    limit: i64,
) -> Result<Vec<Stay>, StoreError> {
    if orgs.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (0..orgs.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "{STAY} WHERE hospital_org_id IN ({}) ORDER BY admitted_at DESC, id DESC LIMIT $1",
        marks.join(", ")
    );
    Ok(read!(db, |c| {
        let mut q = sqlx::query_as(&sql).bind(limit);
        for o in orgs {
            q = q.bind(*o);
        }
        q.fetch_all(c).await?
    }))
}

/// Stays not yet discharged whose care manager acts for one of these
/// offices (the care manager's work list), the newest first.
pub async fn open_stays_of_offices(
    db: &Db,
    orgs: &[OrgId],
    limit: i64,
) -> Result<Vec<Stay>, StoreError> {
    if orgs.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (0..orgs.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "{STAY} WHERE discharged_on IS NULL AND office_org_id IN ({}) ORDER BY admitted_at DESC, id DESC LIMIT $1",
        marks.join(", ")
    );
    Ok(read!(db, |c| {
        let mut q = sqlx::query_as(&sql).bind(limit);
        for o in orgs {
            q = q.bind(*o);
        }
        q.fetch_all(c).await?
    }))
}

/// A region's stays admitted in [from, to) or discharged in the month
/// named `month` (YYYY-MM).
pub async fn stays_of_region_month(
    db: &Db,
    region: RegionId,
    from: i64,
    to: i64,
    month: &str,
) -> Result<Vec<Stay>, StoreError> {
    let sql = format!(
        "{STAY} WHERE region_id = $1 AND ((admitted_at >= $2 AND admitted_at < $3) \
         OR (discharged_on >= $4 AND discharged_on < $5)) ORDER BY admitted_at, id"
    );
    let month_start = format!("{month}-01");
    let month_end = format!("{month}-99");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(region)
        .bind(from)
        .bind(to)
        .bind(&month_start)
        .bind(&month_end)
        .fetch_all(c)
        .await?))
}

/// The patient's latest discharge before `before` (admission instant),
/// for readmission.
pub async fn last_discharge(
    db: &Db,
    patient: PatientId,
    before: i64,
) -> Result<Option<Stay>, StoreError> {
    let sql = format!(
        "{STAY} WHERE patient_id = $1 AND discharged_on IS NOT NULL AND admitted_at < $2 \
         ORDER BY discharged_on DESC, id DESC LIMIT 1"
    );
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(patient)
        .bind(before)
        .fetch_optional(c)
        .await?))
}

pub async fn set_hospital_org(
    tx: &mut Tx,
    id: StayId,
    org: Option<OrgId>,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "UPDATE transitions_stays SET hospital_org_id = $2, updated_at = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(org)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

pub async fn plan_discharge(
    tx: &mut Tx,
    id: StayId,
    on: &str,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "UPDATE transitions_stays SET planned_discharge_on = $2, discharge_told_at = $3, \
             discharge_told_by = $4, updated_at = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(on)
        .bind(now.millis())
        .bind(by)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

pub async fn record_discharge(
    tx: &mut Tx,
    id: StayId,
    on: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "UPDATE transitions_stays SET discharged_on = $2, updated_at = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(on)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

/// The team asks the hospital for the discharge summary.
pub async fn request_summary(tx: &mut Tx, id: StayId, now: Timestamp) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "UPDATE transitions_stays SET summary_requested_at = COALESCE(summary_requested_at, $2), \
             updated_at = $2 WHERE id = $1",
        )
        .bind(id)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

/// The discharge summary came back.
pub async fn summary_returned(
    tx: &mut Tx,
    id: StayId,
    on: &str,
    note: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "UPDATE transitions_stays SET summary_returned_on = $2, summary_note = $3, \
             summary_requested_at = COALESCE(summary_requested_at, $4), updated_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(on)
        .bind(note)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}
