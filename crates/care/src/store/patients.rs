//! Patients: the record (one column list for reading and writing), and
//! reading a patient by id or team.

use super::*;
use renkei_store::{read, write};

/// A patient as stored: the contacts are JSON text, read apart so that a
/// row whose JSON does not parse is refused by name.
#[derive(sqlx::FromRow)]
pub(super) struct StoredPatient {
    #[sqlx(flatten)]
    patient: Patient,
    contacts: String,
}

impl StoredPatient {
    pub(super) fn into_patient(self) -> Result<Patient, StoreError> {
        let mut patient = self.patient;
        patient.record.contacts = json_column("patients", patient.id, "contacts", &self.contacts)?;
        Ok(patient)
    }
}

/// The columns of `patients` in [`Patient`] order.
const PATIENT_COLUMNS: &[&str] = &[
    "id",
    "space_id",
    "region_id",
    "registering_org_id",
    "registered_by",
    "name",
    "kana",
    "birth_date",
    "sex",
    "address",
    "phone",
    "insured_number",
    "care_level",
    "care_level_from",
    "care_level_to",
    "care_application",
    "independence_physical",
    "independence_dementia",
    "household",
    "contacts",
    "created_at",
    "updated_at",
];

/// Optional choices: stored as '' when not given, read as NULL (`None`).
const OPTIONAL_CODES: &[&str] = &[
    "independence_physical",
    "independence_dementia",
    "household",
];

/// The select list of a patient row, each column prefixed with `prefix`
/// (`"p."` or `""`), leaving out `skip`.
pub(super) fn patient_columns(prefix: &str, skip: &[&str]) -> String {
    PATIENT_COLUMNS
        .iter()
        .filter(|c| !skip.contains(c))
        .map(|c| {
            if OPTIONAL_CODES.contains(c) {
                format!("NULLIF({prefix}{c}, '') AS {c}")
            } else {
                format!("{prefix}{c}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `SELECT <patient columns> FROM patients` (built once).
pub(super) fn patient_select() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| format!("SELECT {} FROM patients", patient_columns("", &[])))
}

/// The record's own columns, in [`PatientRecord`] order: what registration
/// and update write.
const RECORD_COLUMNS: &[&str] = &[
    "name",
    "kana",
    "birth_date",
    "sex",
    "address",
    "phone",
    "insured_number",
    "care_level",
    "care_level_from",
    "care_level_to",
    "care_application",
    "independence_physical",
    "independence_dementia",
    "household",
    "contacts",
];

/// Binds the record, in [`RECORD_COLUMNS`] order, to the next fifteen
/// placeholders; optional choices not given are stored as ''.
macro_rules! bind_record {
    ($query:expr, $r:expr, $contacts:expr) => {
        $query
            .bind(&$r.name)
            .bind(&$r.kana)
            .bind(&$r.birth_date)
            .bind($r.sex)
            .bind(&$r.address)
            .bind(&$r.phone)
            .bind(&$r.insured_number)
            .bind($r.care_level)
            .bind(&$r.care_level_from)
            .bind(&$r.care_level_to)
            .bind($r.care_application)
            .bind($r.independence_physical.map_or("", |x| x.code()))
            .bind($r.independence_dementia.map_or("", |x| x.code()))
            .bind($r.household.map_or("", |x| x.code()))
            .bind($contacts)
    };
}

/// `$first, $first+1, …` for each record column.
fn record_placeholders(first: usize) -> String {
    placeholders(first, RECORD_COLUMNS.len())
}

pub async fn insert_patient(
    tx: &mut Tx,
    space_id: SpaceId,
    region_id: RegionId,
    org_id: OrgId,
    registered_by: UserId,
    r: &PatientRecord,
    now: Timestamp,
) -> Result<PatientId, StoreError> {
    static SQL: OnceLock<String> = OnceLock::new();
    let sql = SQL.get_or_init(|| {
        let now = RECORD_COLUMNS.len() + 5;
        format!(
            "INSERT INTO patients (space_id, region_id, registering_org_id, registered_by, {}, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, {}, ${now}, ${now}) RETURNING id",
            RECORD_COLUMNS.join(", "),
            record_placeholders(5)
        )
    });
    let contacts = json_text(&r.contacts)?;
    let id: PatientId = write!(tx, |c| {
        let query = sqlx::query_scalar(sql)
            .bind(space_id)
            .bind(region_id)
            .bind(org_id)
            .bind(registered_by);
        bind_record!(query, r, &contacts)
            .bind(now.millis())
            .fetch_one(&mut *c)
            .await?
    });
    Ok(id)
}

pub async fn update_patient(
    tx: &mut Tx,
    id: PatientId,
    r: &PatientRecord,
    now: Timestamp,
) -> Result<(), StoreError> {
    static SQL: OnceLock<String> = OnceLock::new();
    let sql = SQL.get_or_init(|| {
        let set: Vec<String> = RECORD_COLUMNS
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} = ${}", i + 2))
            .collect();
        format!(
            "UPDATE patients SET {}, updated_at = ${} WHERE id = $1",
            set.join(", "),
            RECORD_COLUMNS.len() + 2
        )
    });
    let contacts = json_text(&r.contacts)?;
    write!(tx, |c| {
        let query = sqlx::query(sql).bind(id);
        bind_record!(query, r, &contacts)
            .bind(now.millis())
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

pub async fn patient(db: &Db, id: PatientId) -> Result<Option<Patient>, StoreError> {
    let sql = format!("{} WHERE id = $1", patient_select());
    let row: Option<StoredPatient> = read!(db, |c| {
        sqlx::query_as(&sql).bind(id).fetch_optional(c).await?
    });
    row.map(StoredPatient::into_patient).transpose()
}

pub async fn patient_by_space(db: &Db, space_id: SpaceId) -> Result<Option<Patient>, StoreError> {
    let sql = format!("{} WHERE space_id = $1", patient_select());
    let row: Option<StoredPatient> = read!(db, |c| {
        sqlx::query_as(&sql)
            .bind(space_id)
            .fetch_optional(c)
            .await?
    });
    row.map(StoredPatient::into_patient).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The record's columns are written by one list and read by the other:
    /// a field added to one only would make reads and writes drift.
    #[test]
    fn the_row_holds_the_record_columns_in_order() {
        assert!(PATIENT_COLUMNS
            .windows(RECORD_COLUMNS.len())
            .any(|w| w == RECORD_COLUMNS));
    }
}
