//! SQL for care spaces, patients, consent, members, posts, receipts,
//! attachments, summaries, break-glass and notification preferences.
//!
//! Functions here do what they are told; who may do it is decided in
//! [`crate::service`].

use renkei_domain::care::{
    AttachmentPurpose, MemberStatus, PostAuthorRole, PostCategory, PostKind, SpaceKind, TeamRole,
    Vitals,
};
use renkei_domain::{
    AttachmentId, BreakGlassId, ConsentId, OrgId, PatientId, PostId, RegionId, Role, SpaceId,
    Timestamp, UserId,
};
use renkei_store::{read, write, Db, StoreError, Tx};

use crate::model::{
    AttachmentMeta, BreakGlassAccess, CategoryFilter, Consent, Coverage, Invitee, Member, Patient,
    PatientRecord, Post, PostVersion, Preferences, Space, Summary, SummaryFields, TimelineQuery,
};

use std::sync::OnceLock;

/// `$first, $first+1, …` for `n` values bound to an `IN (…)` clause.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A comma-separated list of ids for an `IN (…)` clause. Ids are integers,
/// so the list cannot carry SQL.
fn id_list<T: std::fmt::Display>(ids: &[T]) -> String {
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

// ---------------------------------------------------------------- patients

/// A patient as stored: the contacts are JSON text, read apart so that a
/// row whose JSON does not parse is refused by name.
#[derive(sqlx::FromRow)]
struct StoredPatient {
    #[sqlx(flatten)]
    patient: Patient,
    contacts: String,
}

impl StoredPatient {
    fn into_patient(self) -> Result<Patient, StoreError> {
        let mut patient = self.patient;
        patient.record.contacts = json_column("patients", patient.id, "contacts", &self.contacts)?;
        Ok(patient)
    }
}

/// The value of a JSON column. A value that does not parse is logged,
/// naming the table and the row, and refused: never read as a default.
fn json_column<T: serde::de::DeserializeOwned>(
    table: &str,
    row: impl std::fmt::Display,
    column: &str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| {
        tracing::error!(table, row = %row, column, error = %e, "stored JSON does not parse");
        StoreError::Invalid(format!("{table} {row}: {column} is not valid JSON ({e})"))
    })
}

/// JSON text of a value for a JSON column.
fn json_text<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(format!("JSON: {e}")))
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
fn patient_columns(prefix: &str, skip: &[&str]) -> String {
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
fn patient_select() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| format!("SELECT {} FROM patients", patient_columns("", &[])))
}

pub async fn insert_space(
    tx: &mut Tx,
    region_id: RegionId,
    kind: SpaceKind,
    name: &str,
    description: &str,
    created_by: UserId,
    now: Timestamp,
) -> Result<SpaceId, StoreError> {
    let id: SpaceId = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO care_spaces (region_id, kind, name, description, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(region_id)
        .bind(kind)
        .bind(name)
        .bind(description)
        .bind(created_by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
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

/// The patients of a region matching a break-glass identification: the
/// 被保険者番号, or the folded name and the birth date. Never an internal
/// id, which anyone could count through. At most two rows, so the caller
/// can refuse an ambiguous match.
pub async fn find_patients_for_break_glass(
    db: &Db,
    region_id: RegionId,
    insured_number: &str,
    name_key: &str,
    birth_date: &str,
) -> Result<Vec<Patient>, StoreError> {
    let by_number = !insured_number.is_empty();
    let sql = if by_number {
        format!(
            "{} WHERE region_id = $1 AND insured_number = $2 ORDER BY id LIMIT 2",
            patient_select()
        )
    } else {
        format!(
            "{} WHERE region_id = $1 AND birth_date = $3 ORDER BY id",
            patient_select()
        )
    };
    let rows: Vec<StoredPatient> = read!(db, |c| {
        sqlx::query_as(&sql)
            .bind(region_id)
            .bind(insured_number)
            .bind(birth_date)
            .fetch_all(c)
            .await?
    });
    let rows = rows
        .into_iter()
        .map(StoredPatient::into_patient)
        .collect::<Result<Vec<_>, _>>()?;
    if by_number {
        return Ok(rows);
    }
    // Names are compared folded (width, kana, spaces), in Rust, over the
    // few patients born on that day.
    Ok(rows
        .into_iter()
        .filter(|p| {
            renkei_domain::text::fold(&p.record.name) == name_key
                || renkei_domain::text::fold(&p.record.kana) == name_key
        })
        .take(2)
        .collect())
}

/// One recorded break-glass attempt (found or not), counted for the
/// per-user limit. Only the store and the service handle these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(transparent)]
pub struct AttemptId(i64);

/// Records a break-glass attempt for the per-user limit; returns its id.
pub async fn insert_break_glass_attempt(
    tx: &mut Tx,
    user_id: UserId,
    at: Timestamp,
    found: bool,
) -> Result<AttemptId, StoreError> {
    Ok(write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO care_break_glass_attempts (user_id, at, found) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(user_id)
        .bind(at.millis())
        .bind(found)
        .fetch_one(&mut *c)
        .await?
    }))
}

/// The attempt found its patient.
pub async fn mark_break_glass_attempt_found(tx: &mut Tx, id: AttemptId) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query("UPDATE care_break_glass_attempts SET found = TRUE WHERE id = $1")
            .bind(id)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

/// Break-glass attempts of a user since `since`.
pub async fn break_glass_attempts_since(
    db: &Db,
    user_id: UserId,
    since: Timestamp,
) -> Result<i64, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM care_break_glass_attempts WHERE user_id = $1 AND at >= $2",
        )
        .bind(user_id)
        .bind(since.millis())
        .fetch_one(c)
        .await?
    }))
}

/// Users of the region in one of `roles` with an address (but `except`):
/// the service names the roles told of every break-glass use.
pub async fn break_glass_watchers(
    db: &Db,
    region_id: RegionId,
    roles: &[Role],
    except: UserId,
) -> Result<Vec<Recipient>, StoreError> {
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT u.id AS user_id, u.email FROM identity_people u \
         WHERE u.region_id = $1 AND u.id <> $2 AND u.role IN ({}) \
         AND u.email <> '' AND NOT u.disabled ORDER BY u.id",
        placeholders(3, roles.len())
    );
    Ok(read!(db, |c| {
        let mut q = sqlx::query_as(&sql).bind(region_id).bind(except);
        for r in roles {
            q = q.bind(r.code());
        }
        q.fetch_all(c).await?
    }))
}

// ------------------------------------------------------------------ spaces

pub async fn space(db: &Db, id: SpaceId) -> Result<Option<Space>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT id, region_id, kind, name, description, family_summary_open, created_by, created_at \
             FROM care_spaces WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?
    }))
}

pub async fn set_family_summary_open(
    tx: &mut Tx,
    space_id: SpaceId,
    open: bool,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query("UPDATE care_spaces SET family_summary_open = $2 WHERE id = $1")
            .bind(space_id)
            .bind(open)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

/// Everything an access decision about one user and one space needs, read
/// in one query (it runs on every patient request).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessRow {
    pub space_id: SpaceId,
    pub kind: SpaceKind,
    pub region_id: RegionId,
    pub family_summary_open: bool,
    pub space_name: String,
    pub space_description: String,
    pub space_created_by: UserId,
    pub space_created_at: i64,
    pub member_status: Option<MemberStatus>,
    pub team_role: Option<TeamRole>,
    pub is_lead: Option<bool>,
    pub member_org_id: Option<OrgId>,
    pub joined_after_post: Option<PostId>,
    pub patient_id: Option<PatientId>,
    pub registering_org_id: Option<OrgId>,
    pub consent_id: Option<ConsentId>,
    /// What the consent in force covers (JSON lists, as stored).
    pub covers_orgs: Option<String>,
    pub covers_professions: Option<String>,
    pub covers_family: Option<bool>,
    pub break_glass_id: Option<BreakGlassId>,
    pub break_glass_reason: Option<String>,
    pub break_glass_expires: Option<i64>,
    /// Urgent posts still waiting for acknowledgement (the timeline reads
    /// them only when there are some).
    pub open_urgent: i64,
}

/// What a consent covers, from its stored columns (two JSON lists and a
/// flag). Lists that do not parse refuse the row.
fn coverage(
    consent: ConsentId,
    orgs: &str,
    professions: &str,
    family: bool,
) -> Result<Coverage, StoreError> {
    Ok(Coverage {
        org_ids: json_column("care_consents", consent, "covers_orgs", orgs)?,
        professions: json_column("care_consents", consent, "covers_professions", professions)?,
        family,
    })
}

/// The coverage of the consent in force (`None` without one), from the
/// columns the access and list queries read with it.
fn coverage_of(
    consent: Option<ConsentId>,
    orgs: &Option<String>,
    professions: &Option<String>,
    family: Option<bool>,
) -> Result<Option<Coverage>, StoreError> {
    let Some(id) = consent else {
        return Ok(None);
    };
    coverage(
        id,
        orgs.as_deref().unwrap_or_default(),
        professions.as_deref().unwrap_or_default(),
        family.unwrap_or(false),
    )
    .map(Some)
}

impl MySpaceRow {
    pub fn coverage(&self) -> Result<Option<Coverage>, StoreError> {
        coverage_of(
            self.consent_id,
            &self.covers_orgs,
            &self.covers_professions,
            self.covers_family,
        )
    }
}

impl AccessRow {
    pub fn coverage(&self) -> Result<Option<Coverage>, StoreError> {
        coverage_of(
            self.consent_id,
            &self.covers_orgs,
            &self.covers_professions,
            self.covers_family,
        )
    }

    /// The space itself (the access query already read it).
    pub fn space(&self) -> Space {
        Space {
            id: self.space_id,
            region_id: self.region_id,
            kind: self.kind,
            name: self.space_name.clone(),
            description: self.space_description.clone(),
            family_summary_open: self.family_summary_open,
            created_by: self.space_created_by,
            created_at: self.space_created_at,
        }
    }
}

/// What [`access_row`] reads: the space, the user's membership, the patient,
/// the consent in force, a live break-glass and the open urgent count.
/// `$2` is the user, `$3` the time.
const ACCESS_COLUMNS: &str = "s.id AS space_id, s.kind, s.region_id, s.family_summary_open, s.name AS space_name, \
    s.description AS space_description, s.created_by AS space_created_by, \
    s.created_at AS space_created_at, \
    m.status AS member_status, m.team_role, m.is_lead, m.org_id AS member_org_id, m.joined_after_post, \
    p.id AS patient_id, p.registering_org_id, \
    c.id AS consent_id, c.covers_orgs, c.covers_professions, c.covers_family, \
    b.id AS break_glass_id, b.reason AS break_glass_reason, b.expires_at AS break_glass_expires, \
    (SELECT COUNT(*) FROM care_posts u WHERE u.space_id = s.id \
        AND u.urgent AND u.acked_at IS NULL AND u.withdrawn_at IS NULL) AS open_urgent";
const ACCESS_FROM: &str = "FROM care_spaces s \
    LEFT JOIN care_members m ON m.space_id = s.id AND m.user_id = $2 \
    LEFT JOIN patients p ON p.space_id = s.id \
    LEFT JOIN care_consents c ON c.id = (SELECT MAX(x.id) FROM care_consents x \
        WHERE x.patient_id = p.id AND x.withdrawn_at IS NULL) \
    LEFT JOIN care_break_glass b ON b.id = (SELECT MAX(g.id) FROM care_break_glass g \
        WHERE g.patient_id = p.id AND g.user_id = $2 AND g.expires_at > $3)";

pub async fn access_row(
    db: &Db,
    space_id: SpaceId,
    user_id: UserId,
    now: Timestamp,
) -> Result<Option<AccessRow>, StoreError> {
    let sql = format!("SELECT {ACCESS_COLUMNS} {ACCESS_FROM} WHERE s.id = $1");
    Ok(read!(db, |c| {
        sqlx::query_as(&sql)
            .bind(space_id)
            .bind(user_id)
            .bind(now.millis())
            .fetch_optional(c)
            .await?
    }))
}

/// [`access_row`] for a patient's team, with the patient read in the same
/// query (the timeline page needs both; one query less per page).
pub async fn access_row_of_patient(
    db: &Db,
    patient_id: PatientId,
    user_id: UserId,
    now: Timestamp,
) -> Result<Option<(AccessRow, Patient)>, StoreError> {
    use sqlx::FromRow;
    static SQL: OnceLock<String> = OnceLock::new();
    let sql = SQL.get_or_init(|| {
        // space_id, region_id and registering_org_id are already among the
        // access columns (the same values: the space is the patient's).
        let patient = patient_columns("p.", &["space_id", "region_id", "registering_org_id"]);
        format!("SELECT {ACCESS_COLUMNS}, {patient} {ACCESS_FROM} WHERE p.id = $1")
    });
    Ok(read!(db, |c| {
        match sqlx::query(sql)
            .bind(patient_id)
            .bind(user_id)
            .bind(now.millis())
            .fetch_optional(c)
            .await?
        {
            Some(row) => Some((
                AccessRow::from_row(&row)?,
                StoredPatient::from_row(&row)?.into_patient()?,
            )),
            None => None,
        }
    }))
}

// ----------------------------------------------------------------- consent

pub struct NewConsent<'a> {
    pub patient_id: PatientId,
    pub coverage: &'a Coverage,
    pub obtained_on: &'a str,
    pub obtained_by: &'a str,
    pub signer: &'a str,
    pub form_attachment_id: Option<AttachmentId>,
    pub recorded_by: UserId,
}

const CONSENT_SELECT: &str = "SELECT c.id, c.patient_id, c.covers_orgs, c.covers_professions, c.covers_family, \
    c.obtained_on, c.obtained_by, c.signer, c.form_attachment_id, c.recorded_by, u.display_name AS recorded_by_name, \
    c.recorded_at, c.withdrawn_at, c.withdrawn_by, c.withdrawal_reason \
    FROM care_consents c JOIN identity_people u ON u.id = c.recorded_by";

pub async fn insert_consent(
    tx: &mut Tx,
    n: &NewConsent<'_>,
    now: Timestamp,
) -> Result<ConsentId, StoreError> {
    let orgs = json_text(&n.coverage.org_ids)?;
    let profs = json_text(&n.coverage.professions)?;
    let id: ConsentId = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO care_consents (patient_id, covers_orgs, covers_professions, covers_family, obtained_on, \
             obtained_by, signer, form_attachment_id, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(n.patient_id)
        .bind(&orgs)
        .bind(&profs)
        .bind(n.coverage.family)
        .bind(n.obtained_on)
        .bind(n.obtained_by)
        .bind(n.signer)
        .bind(n.form_attachment_id)
        .bind(n.recorded_by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

/// Withdraws every active consent of the patient; returns how many.
pub async fn withdraw_consents(
    tx: &mut Tx,
    patient_id: PatientId,
    by: UserId,
    reason: &str,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let n = write!(tx, |c| {
        sqlx::query(
            "UPDATE care_consents SET withdrawn_at = $2, withdrawn_by = $3, withdrawal_reason = $4 \
             WHERE patient_id = $1 AND withdrawn_at IS NULL",
        )
        .bind(patient_id)
        .bind(now.millis())
        .bind(by)
        .bind(reason)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(n)
}

/// A consent as stored: its coverage is read apart (JSON lists).
#[derive(sqlx::FromRow)]
struct StoredConsent {
    #[sqlx(flatten)]
    consent: Consent,
    covers_orgs: String,
    covers_professions: String,
    covers_family: bool,
}

impl StoredConsent {
    fn into_consent(self) -> Result<Consent, StoreError> {
        let mut consent = self.consent;
        consent.coverage = coverage(
            consent.id,
            &self.covers_orgs,
            &self.covers_professions,
            self.covers_family,
        )?;
        Ok(consent)
    }
}

pub async fn consents(db: &Db, patient_id: PatientId) -> Result<Vec<Consent>, StoreError> {
    let sql = format!("{CONSENT_SELECT} WHERE c.patient_id = $1 ORDER BY c.id DESC");
    let rows: Vec<StoredConsent> = read!(db, |c| {
        sqlx::query_as(&sql).bind(patient_id).fetch_all(c).await?
    });
    rows.into_iter().map(StoredConsent::into_consent).collect()
}

pub async fn consent(db: &Db, id: ConsentId) -> Result<Option<Consent>, StoreError> {
    let sql = format!("{CONSENT_SELECT} WHERE c.id = $1");
    let row: Option<StoredConsent> = read!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?);
    row.map(StoredConsent::into_consent).transpose()
}

// ----------------------------------------------------------------- members

const MEMBER_SELECT: &str = "SELECT m.space_id, m.user_id, u.username, u.display_name, u.profession, u.role AS user_role, u.email, \
    m.org_id, o.name AS org_name, m.team_role, m.is_lead, m.status, m.invited_by, m.invited_at, m.accepted_at, \
    m.left_at, m.joined_after_post \
    FROM care_members m JOIN identity_people u ON u.id = m.user_id LEFT JOIN identity_organisations o ON o.id = m.org_id";

pub async fn members(db: &Db, space_id: SpaceId) -> Result<Vec<Member>, StoreError> {
    let sql = format!(
        "{MEMBER_SELECT} WHERE m.space_id = $1 ORDER BY CASE m.status WHEN 'active' THEN 0 WHEN 'invited' THEN 1 ELSE 2 END, \
         m.is_lead DESC, m.id"
    );
    Ok(read!(db, |c| {
        sqlx::query_as(&sql).bind(space_id).fetch_all(c).await?
    }))
}

pub async fn member(
    db: &Db,
    space_id: SpaceId,
    user_id: UserId,
) -> Result<Option<Member>, StoreError> {
    let sql = format!("{MEMBER_SELECT} WHERE m.space_id = $1 AND m.user_id = $2");
    Ok(read!(db, |c| {
        sqlx::query_as(&sql)
            .bind(space_id)
            .bind(user_id)
            .fetch_optional(c)
            .await?
    }))
}

pub struct NewMember {
    pub space_id: SpaceId,
    pub user_id: UserId,
    pub org_id: Option<OrgId>,
    pub team_role: TeamRole,
    pub is_lead: bool,
    pub status: MemberStatus,
    pub invited_by: Option<UserId>,
}

/// Adds a member, or re-invites someone who left or declined.
pub async fn upsert_member(tx: &mut Tx, m: &NewMember, now: Timestamp) -> Result<(), StoreError> {
    let last_post = last_post_id(tx, m.space_id).await?;
    let accepted = (m.status == MemberStatus::Active).then_some(now.millis());
    write!(tx, |c| {
        sqlx::query(
            "INSERT INTO care_members (space_id, user_id, org_id, team_role, is_lead, status, invited_by, invited_at, \
             accepted_at, joined_after_post) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (space_id, user_id) DO UPDATE SET org_id = excluded.org_id, team_role = excluded.team_role, \
             is_lead = excluded.is_lead, status = excluded.status, invited_by = excluded.invited_by, \
             invited_at = excluded.invited_at, accepted_at = excluded.accepted_at, left_at = NULL, \
             joined_after_post = excluded.joined_after_post",
        )
        .bind(m.space_id)
        .bind(m.user_id)
        .bind(m.org_id)
        .bind(m.team_role)
        .bind(m.is_lead)
        .bind(m.status)
        .bind(m.invited_by)
        .bind(now.millis())
        .bind(accepted)
        .bind(last_post)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

pub async fn set_member_status(
    tx: &mut Tx,
    space_id: SpaceId,
    user_id: UserId,
    status: MemberStatus,
    now: Timestamp,
) -> Result<(), StoreError> {
    let last_post = last_post_id(tx, space_id).await?;
    write!(tx, |c| {
        sqlx::query(
            "UPDATE care_members SET status = $3, \
               accepted_at = CASE WHEN $3 = 'active' THEN $4 ELSE accepted_at END, \
               joined_after_post = CASE WHEN $3 = 'active' THEN $5 ELSE joined_after_post END, \
               left_at = CASE WHEN $3 = 'left' THEN $4 ELSE left_at END, \
               is_lead = CASE WHEN $3 = 'active' THEN is_lead ELSE FALSE END \
             WHERE space_id = $1 AND user_id = $2",
        )
        .bind(space_id)
        .bind(user_id)
        .bind(status)
        .bind(now.millis())
        .bind(last_post)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

pub async fn set_lead(tx: &mut Tx, space_id: SpaceId, user_id: UserId) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query("UPDATE care_members SET is_lead = (user_id = $2) WHERE space_id = $1")
            .bind(space_id)
            .bind(user_id)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

async fn last_post_id(tx: &mut Tx, space_id: SpaceId) -> Result<PostId, StoreError> {
    let id: Option<PostId> = write!(tx, |c| {
        sqlx::query_scalar("SELECT MAX(id) FROM care_posts WHERE space_id = $1")
            .bind(space_id)
            .fetch_one(&mut *c)
            .await?
    });
    Ok(id.unwrap_or(PostId(0)))
}

/// One of a user's spaces with what the lists show.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MySpaceRow {
    pub space_id: SpaceId,
    pub kind: SpaceKind,
    pub space_name: String,
    pub status: MemberStatus,
    pub team_role: TeamRole,
    pub is_lead: bool,
    pub member_org_id: Option<OrgId>,
    pub patient_id: Option<PatientId>,
    pub patient_name: Option<String>,
    pub patient_kana: Option<String>,
    pub registering_org_id: Option<OrgId>,
    pub consent_id: Option<ConsentId>,
    /// What the consent in force covers (JSON lists, as stored).
    pub covers_orgs: Option<String>,
    pub covers_professions: Option<String>,
    pub covers_family: Option<bool>,
    pub unread: i64,
    pub urgent_open: i64,
    pub last_post_at: Option<i64>,
}

/// Every space the user is an active or invited member of, with unread and
/// open-urgent counts. Counting is bounded by the posts since each
/// membership began (`joined_after_post`), checked against the receipt
/// primary key, so it costs the user's own traffic, not the region's.
pub async fn my_spaces(db: &Db, user_id: UserId) -> Result<Vec<MySpaceRow>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT s.id AS space_id, s.kind, s.name AS space_name, m.status, m.team_role, m.is_lead, \
                    m.org_id AS member_org_id, p.id AS patient_id, p.name AS patient_name, p.kana AS patient_kana, \
                    p.registering_org_id, \
                    c.id AS consent_id, c.covers_orgs, c.covers_professions, c.covers_family, \
                    CASE WHEN m.status = 'active' THEN (SELECT COUNT(*) FROM care_posts t \
                       WHERE t.space_id = m.space_id AND t.id > m.joined_after_post AND t.author_id <> m.user_id \
                       AND t.withdrawn_at IS NULL \
                       AND NOT EXISTS (SELECT 1 FROM care_reads r WHERE r.post_id = t.id AND r.user_id = m.user_id)) \
                    ELSE 0 END AS unread, \
                    CASE WHEN m.status = 'active' THEN (SELECT COUNT(*) FROM care_posts t \
                       WHERE t.space_id = m.space_id AND t.urgent AND t.acked_at IS NULL AND t.withdrawn_at IS NULL) \
                    ELSE 0 END AS urgent_open, \
                    (SELECT MAX(t.created_at) FROM care_posts t WHERE t.space_id = m.space_id) AS last_post_at \
             FROM care_members m \
             JOIN care_spaces s ON s.id = m.space_id \
             LEFT JOIN patients p ON p.space_id = s.id \
             LEFT JOIN care_consents c ON c.id = (SELECT MAX(x.id) FROM care_consents x \
                 WHERE x.patient_id = p.id AND x.withdrawn_at IS NULL) \
             WHERE m.user_id = $1 AND m.status IN ('active', 'invited') \
             ORDER BY m.status DESC, s.kind DESC, p.kana, s.name, s.id",
        )
        .bind(user_id)
        .fetch_all(c)
        .await?
    }))
}

// ------------------------------------------------------------------- posts

/// What a new post carries.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub space_id: SpaceId,
    pub author_id: UserId,
    pub author_role: PostAuthorRole,
    pub kind: PostKind,
    pub category: PostCategory,
    pub body: String,
    pub search_text: String,
    pub reply_to: Option<PostId>,
    pub vitals: Vitals,
    pub urgent: bool,
    pub ack_role: Option<TeamRole>,
    pub idempotency_key: Option<String>,
    pub request_hash: String,
    pub mentions: Vec<UserId>,
}

/// The columns of a post with its author's and acknowledger's names; `$extra`
/// adds columns.
macro_rules! post_select {
    ($extra:literal) => {
        concat!(
            "SELECT p.id, p.space_id, p.author_id, u.display_name AS author_name, u.profession AS author_profession, \
    p.author_role, p.kind, p.category, p.body, p.reply_to, p.temperature, p.bp_systolic, p.bp_diastolic, p.pulse, p.spo2, \
    p.respiration, p.weight, p.glucose, p.pain, p.has_vitals, p.urgent, NULLIF(p.ack_role, '') AS ack_role, p.acked_by, a.display_name AS acked_by_name, \
    p.acked_at, p.version, p.created_at, p.edited_at, p.withdrawn_at, p.withdrawn_by, p.withdrawn_reason, \
    p.idempotency_key, p.request_hash, \
    EXISTS (SELECT 1 FROM care_posts r WHERE r.reply_to = p.id) AS has_replies, \
    EXISTS (SELECT 1 FROM care_attachments f WHERE f.post_id = p.id) AS has_attachments",
            $extra,
            " FROM care_posts p JOIN identity_people u ON u.id = p.author_id LEFT JOIN identity_people a ON a.id = p.acked_by"
        )
    };
}
const POST_SELECT: &str = post_select!("");
/// Posts as a timeline shows them: with who has read each, as
/// `user:millis,…` (digits only, so portable SQL and trivial to parse; the
/// page names readers from the team's member list).
const TIMELINE_SELECT: &str = post_select!(
    ", (SELECT string_agg(r.user_id || ':' || r.read_at, ',') FROM care_reads r WHERE r.post_id = p.id) AS read_by"
);

/// The post an author already made with this idempotency key.
pub async fn post_by_key(
    tx: &mut Tx,
    author_id: UserId,
    key: &str,
) -> Result<Option<Post>, StoreError> {
    let sql = format!("{POST_SELECT} WHERE p.author_id = $1 AND p.idempotency_key = $2");
    Ok(write!(tx, |c| {
        sqlx::query_as(&sql)
            .bind(author_id)
            .bind(key)
            .fetch_optional(&mut *c)
            .await?
    }))
}

pub async fn insert_post(tx: &mut Tx, p: &NewPost, now: Timestamp) -> Result<PostId, StoreError> {
    let v = &p.vitals;
    let id: PostId = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO care_posts (space_id, author_id, author_role, kind, category, body, search_text, reply_to, \
             temperature, bp_systolic, bp_diastolic, pulse, spo2, respiration, weight, glucose, pain, has_vitals, \
             urgent, ack_role, created_at, idempotency_key, request_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) \
             RETURNING id",
        )
        .bind(p.space_id)
        .bind(p.author_id)
        .bind(p.author_role.code())
        .bind(p.kind)
        .bind(p.category)
        .bind(&p.body)
        .bind(&p.search_text)
        .bind(p.reply_to)
        .bind(v.temperature)
        .bind(v.bp_systolic)
        .bind(v.bp_diastolic)
        .bind(v.pulse)
        .bind(v.spo2)
        .bind(v.respiration)
        .bind(v.weight)
        .bind(v.glucose)
        .bind(v.pain)
        .bind(!v.is_empty())
        .bind(p.urgent)
        .bind(p.ack_role.map_or("", |r| r.code()))
        .bind(now.millis())
        .bind(&p.idempotency_key)
        .bind(&p.request_hash)
        .fetch_one(&mut *c)
        .await?
    });
    if !p.mentions.is_empty() {
        let values: Vec<String> = p.mentions.iter().map(|u| format!("({id}, {u})")).collect();
        let sql = format!(
            "INSERT INTO care_mentions (post_id, user_id) VALUES {} ON CONFLICT DO NOTHING",
            values.join(", ")
        );
        write!(tx, |c| {
            sqlx::query(&sql).execute(&mut *c).await?;
        });
    }
    // The author has read what they wrote.
    write!(tx, |c| {
        sqlx::query("INSERT INTO care_reads (post_id, user_id, read_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(p.author_id)
            .bind(now.millis())
            .execute(&mut *c)
            .await?;
    });
    Ok(id)
}

pub async fn post(db: &Db, id: PostId) -> Result<Option<Post>, StoreError> {
    let sql = format!("{TIMELINE_SELECT} WHERE p.id = $1");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?))
}

pub async fn post_in_tx(tx: &mut Tx, id: PostId) -> Result<Option<Post>, StoreError> {
    let sql = format!("{POST_SELECT} WHERE p.id = $1");
    Ok(write!(tx, |c| {
        sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&mut *c)
            .await?
    }))
}

/// Top-level posts newest first (or every matching post when searching).
pub async fn timeline(
    db: &Db,
    space_id: SpaceId,
    q: &TimelineQuery,
) -> Result<Vec<Post>, StoreError> {
    let mut sql = format!("{TIMELINE_SELECT} WHERE p.space_id = $1");
    let mut n = 1;
    if q.text.is_none() {
        sql.push_str(" AND p.reply_to IS NULL");
    }
    if q.before.is_some() {
        n += 1;
        sql.push_str(&format!(" AND p.id < ${n}"));
    }
    if q.text.is_some() {
        n += 1;
        sql.push_str(&format!(" AND p.search_text LIKE ${n} ESCAPE '\\'"));
    }
    match q.category {
        CategoryFilter::Any => {}
        CategoryFilter::Only(_) => {
            n += 1;
            sql.push_str(&format!(" AND p.category = ${n}"));
        }
        CategoryFilter::NoSuch => sql.push_str(" AND 1 = 0"),
    }
    sql.push_str(&format!(
        " ORDER BY p.id DESC LIMIT {}",
        q.limit.clamp(1, 200)
    ));
    let pattern = q.text.as_ref().map(|t| {
        let escaped = t
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    });
    Ok(read!(db, |c| {
        let mut query = sqlx::query_as(&sql).bind(space_id);
        if let Some(b) = q.before {
            query = query.bind(b);
        }
        if let Some(p) = &pattern {
            query = query.bind(p.clone());
        }
        if let CategoryFilter::Only(category) = q.category {
            query = query.bind(category);
        }
        query.fetch_all(c).await?
    }))
}

/// Replies to these posts, oldest first.
pub async fn replies(db: &Db, parent_ids: &[PostId]) -> Result<Vec<Post>, StoreError> {
    if parent_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{TIMELINE_SELECT} WHERE p.reply_to IN ({}) ORDER BY p.id",
        id_list(parent_ids)
    );
    Ok(read!(db, |c| sqlx::query_as(&sql).fetch_all(c).await?))
}

/// Urgent posts still waiting for acknowledgement, oldest first.
pub async fn open_urgent(db: &Db, space_id: SpaceId) -> Result<Vec<Post>, StoreError> {
    let sql = format!(
        "{TIMELINE_SELECT} WHERE p.space_id = $1 AND p.urgent AND p.acked_at IS NULL AND p.withdrawn_at IS NULL ORDER BY p.id"
    );
    Ok(read!(db, |c| {
        sqlx::query_as(&sql).bind(space_id).fetch_all(c).await?
    }))
}

/// Posts with vital signs since `since`, oldest first (for the charts).
pub async fn vitals_since(
    db: &Db,
    space_id: SpaceId,
    since: Timestamp,
) -> Result<Vec<Post>, StoreError> {
    let sql = format!(
        "{POST_SELECT} WHERE p.space_id = $1 AND p.has_vitals AND p.created_at >= $2 AND p.withdrawn_at IS NULL \
         ORDER BY p.created_at, p.id"
    );
    Ok(read!(db, |c| {
        sqlx::query_as(&sql)
            .bind(space_id)
            .bind(since.millis())
            .fetch_all(c)
            .await?
    }))
}

/// All posts of a space with vitals (FHIR Observation search).
pub async fn posts_with_vitals(
    db: &Db,
    space_ids: &[SpaceId],
    limit: i64,
) -> Result<Vec<Post>, StoreError> {
    if space_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{POST_SELECT} WHERE p.space_id IN ({}) AND p.has_vitals AND p.withdrawn_at IS NULL ORDER BY p.id DESC LIMIT {}",
        id_list(space_ids),
        limit.clamp(1, 1000)
    );
    Ok(read!(db, |c| sqlx::query_as(&sql).fetch_all(c).await?))
}

/// Newest posts of these spaces (FHIR Communication search).
pub async fn recent_posts(
    db: &Db,
    space_ids: &[SpaceId],
    limit: i64,
) -> Result<Vec<Post>, StoreError> {
    if space_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{POST_SELECT} WHERE p.space_id IN ({}) ORDER BY p.id DESC LIMIT {}",
        id_list(space_ids),
        limit.clamp(1, 1000)
    );
    Ok(read!(db, |c| sqlx::query_as(&sql).fetch_all(c).await?))
}

pub async fn acknowledge(
    tx: &mut Tx,
    post_id: PostId,
    by: UserId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = write!(tx, |c| {
        sqlx::query(
            "UPDATE care_posts SET acked_by = $2, acked_at = $3 WHERE id = $1 AND urgent AND acked_at IS NULL",
        )
        .bind(post_id)
        .bind(by)
        .bind(now.millis())
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(n == 1)
}

/// Keeps the current text as a version and writes the new one.
#[allow(clippy::too_many_arguments)]
pub async fn edit_post(
    tx: &mut Tx,
    old: &Post,
    category: PostCategory,
    body: &str,
    search_text: &str,
    vitals: &Vitals,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    let old_vitals = json_text(&old.vitals())?;
    let written_at = old.edited_at.unwrap_or(old.created_at);
    let written_by = if old.version == 1 { old.author_id } else { by };
    write!(tx, |c| {
        sqlx::query(
            "INSERT INTO care_post_versions (post_id, version, category, body, vitals, written_by, written_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(old.id)
        .bind(old.version)
        .bind(old.category)
        .bind(&old.body)
        .bind(&old_vitals)
        .bind(written_by)
        .bind(written_at)
        .execute(&mut *c)
        .await?;
        sqlx::query(
            "UPDATE care_posts SET category = $2, body = $3, search_text = $4, temperature = $5, bp_systolic = $6, \
             bp_diastolic = $7, pulse = $8, spo2 = $9, respiration = $10, weight = $11, glucose = $12, pain = $13, \
             has_vitals = $14, version = version + 1, edited_at = $15 WHERE id = $1",
        )
        .bind(old.id)
        .bind(category)
        .bind(body)
        .bind(search_text)
        .bind(vitals.temperature)
        .bind(vitals.bp_systolic)
        .bind(vitals.bp_diastolic)
        .bind(vitals.pulse)
        .bind(vitals.spo2)
        .bind(vitals.respiration)
        .bind(vitals.weight)
        .bind(vitals.glucose)
        .bind(vitals.pain)
        .bind(!vitals.is_empty())
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

pub async fn post_versions(
    db: &Db,
    post_ids: &[PostId],
) -> Result<Vec<(PostId, PostVersion)>, StoreError> {
    if post_ids.is_empty() {
        return Ok(Vec::new());
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        post_id: PostId,
        #[sqlx(flatten)]
        v: PostVersion,
        vitals: String,
    }
    let sql = format!(
        "SELECT v.post_id, v.version, v.category, v.body, v.vitals, v.written_by, u.display_name AS written_by_name, \
         v.written_at FROM care_post_versions v JOIN identity_people u ON u.id = v.written_by \
         WHERE v.post_id IN ({}) ORDER BY v.post_id, v.version",
        id_list(post_ids)
    );
    let rows: Vec<Row> = read!(db, |c| sqlx::query_as(&sql).fetch_all(c).await?);
    rows.into_iter()
        .map(|r| {
            let row = format!("{} v{}", r.post_id, r.v.version);
            let vitals = json_column("care_post_versions", row, "vitals", &r.vitals)?;
            Ok((r.post_id, PostVersion { vitals, ..r.v }))
        })
        .collect()
}

/// Withdrawal keeps the row (and its versions) and hides the text from the
/// timeline; the audit trail says who and why.
pub async fn withdraw_post(
    tx: &mut Tx,
    id: PostId,
    by: UserId,
    reason: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = write!(tx, |c| {
        sqlx::query(
            "UPDATE care_posts SET withdrawn_at = $2, withdrawn_by = $3, withdrawn_reason = $4, search_text = '' \
             WHERE id = $1 AND withdrawn_at IS NULL",
        )
        .bind(id)
        .bind(now.millis())
        .bind(by)
        .bind(reason)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(n == 1)
}

// ----------------------------------------------------------- read receipts

/// Records that `user_id` has read these posts (first reading only).
pub async fn mark_read(
    tx: &mut Tx,
    user_id: UserId,
    post_ids: &[PostId],
    now: Timestamp,
) -> Result<(), StoreError> {
    if post_ids.is_empty() {
        return Ok(());
    }
    let at = now.millis();
    let values: Vec<String> = post_ids
        .iter()
        .map(|p| format!("({p}, {user_id}, {at})"))
        .collect();
    let sql = format!(
        "INSERT INTO care_reads (post_id, user_id, read_at) VALUES {} ON CONFLICT DO NOTHING",
        values.join(", ")
    );
    write!(tx, |c| {
        sqlx::query(&sql).execute(&mut *c).await?;
    });
    Ok(())
}

// ------------------------------------------------------------- attachments

const ATTACHMENT_META: &str =
    "SELECT id, space_id, post_id, purpose, media_type, size, sha256, filename, \
    (thumbnail IS NOT NULL) AS has_thumbnail, uploaded_by, uploaded_at FROM care_attachments";

pub struct NewAttachment<'a> {
    pub space_id: SpaceId,
    pub post_id: Option<PostId>,
    pub purpose: AttachmentPurpose,
    pub media_type: &'a str,
    pub sha256: &'a str,
    pub filename: &'a str,
    pub data: &'a [u8],
    pub thumbnail: Option<&'a [u8]>,
    pub uploaded_by: UserId,
}

pub async fn insert_attachment(
    tx: &mut Tx,
    a: &NewAttachment<'_>,
    now: Timestamp,
) -> Result<AttachmentId, StoreError> {
    let id: AttachmentId = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO care_attachments (space_id, post_id, purpose, media_type, size, sha256, filename, data, \
             thumbnail, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(a.space_id)
        .bind(a.post_id)
        .bind(a.purpose)
        .bind(a.media_type)
        .bind(a.data.len() as i64)
        .bind(a.sha256)
        .bind(a.filename)
        .bind(a.data)
        .bind(a.thumbnail)
        .bind(a.uploaded_by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

pub async fn attachments_of_posts(
    db: &Db,
    post_ids: &[PostId],
) -> Result<Vec<AttachmentMeta>, StoreError> {
    if post_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{ATTACHMENT_META} WHERE post_id IN ({}) ORDER BY id",
        id_list(post_ids)
    );
    Ok(read!(db, |c| sqlx::query_as(&sql).fetch_all(c).await?))
}

pub async fn attachment_meta(
    db: &Db,
    id: AttachmentId,
) -> Result<Option<AttachmentMeta>, StoreError> {
    let sql = format!("{ATTACHMENT_META} WHERE id = $1");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?))
}

/// The stored bytes (or the thumbnail).
pub async fn attachment_bytes(
    db: &Db,
    id: AttachmentId,
    thumbnail: bool,
) -> Result<Option<Vec<u8>>, StoreError> {
    let sql = if thumbnail {
        "SELECT thumbnail FROM care_attachments WHERE id = $1"
    } else {
        "SELECT data FROM care_attachments WHERE id = $1"
    };
    let bytes: Option<Option<Vec<u8>>> = read!(db, |c| {
        sqlx::query_scalar(sql).bind(id).fetch_optional(c).await?
    });
    Ok(bytes.flatten())
}

// ----------------------------------------------------------------- summary

const SUMMARY_SELECT: &str =
    "SELECT s.patient_id, s.version, s.diagnoses, s.medicines, s.allergies, s.adl, s.procedures, \
    s.notes, s.changed_by, u.display_name AS changed_by_name, s.changed_at \
    FROM care_summaries s JOIN identity_people u ON u.id = s.changed_by";

/// Every version, newest first.
pub async fn summaries(db: &Db, patient_id: PatientId) -> Result<Vec<Summary>, StoreError> {
    let sql = format!("{SUMMARY_SELECT} WHERE s.patient_id = $1 ORDER BY s.version DESC");
    Ok(read!(db, |c| {
        sqlx::query_as(&sql).bind(patient_id).fetch_all(c).await?
    }))
}

/// Writes version `version` (the primary key turns a concurrent save of the
/// same version into a conflict).
pub async fn insert_summary(
    tx: &mut Tx,
    patient_id: PatientId,
    version: i64,
    f: &SummaryFields,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "INSERT INTO care_summaries (patient_id, version, diagnoses, medicines, allergies, adl, procedures, notes, \
             changed_by, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(patient_id)
        .bind(version)
        .bind(&f.diagnoses)
        .bind(&f.medicines)
        .bind(&f.allergies)
        .bind(&f.adl)
        .bind(&f.procedures)
        .bind(&f.notes)
        .bind(by)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

// ------------------------------------------------------------- break-glass

pub async fn insert_break_glass(
    tx: &mut Tx,
    patient_id: PatientId,
    user_id: UserId,
    reason: &str,
    now: Timestamp,
    expires: Timestamp,
) -> Result<BreakGlassId, StoreError> {
    let id: BreakGlassId = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO care_break_glass (patient_id, user_id, reason, started_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(patient_id)
        .bind(user_id)
        .bind(reason)
        .bind(now.millis())
        .bind(expires.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

/// A user's break-glass accesses that are still running.
pub async fn active_break_glass(
    db: &Db,
    user_id: UserId,
    now: Timestamp,
) -> Result<Vec<BreakGlassAccess>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT b.id, b.patient_id, p.name AS patient_name, b.reason, b.started_at, b.expires_at \
             FROM care_break_glass b JOIN patients p ON p.id = b.patient_id \
             WHERE b.user_id = $1 AND b.expires_at > $2 ORDER BY b.id DESC",
        )
        .bind(user_id)
        .bind(now.millis())
        .fetch_all(c)
        .await?
    }))
}

// ------------------------------------------------------------ notification

pub async fn preferences(db: &Db, user_id: UserId) -> Result<Preferences, StoreError> {
    let row: Option<Preferences> = read!(db, |c| {
        sqlx::query_as(
            "SELECT email_urgent, email_digest FROM care_notification_prefs WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(c)
        .await?
    });
    Ok(row.unwrap_or_default())
}

pub async fn set_preferences(
    tx: &mut Tx,
    user_id: UserId,
    p: Preferences,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "INSERT INTO care_notification_prefs (user_id, email_urgent, email_digest) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET email_urgent = excluded.email_urgent, email_digest = excluded.email_digest",
        )
        .bind(user_id)
        .bind(p.email_urgent)
        .bind(p.email_digest)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

/// A member to tell about an urgent post.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Recipient {
    pub user_id: UserId,
    pub email: String,
}

/// Active members of a space (but `except`) who want urgent e-mail and
/// have an address.
pub async fn urgent_recipients(
    db: &Db,
    space_id: SpaceId,
    except: UserId,
) -> Result<Vec<Recipient>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT u.id AS user_id, u.email FROM care_members m JOIN identity_people u ON u.id = m.user_id \
             LEFT JOIN care_notification_prefs n ON n.user_id = u.id \
             WHERE m.space_id = $1 AND m.status = 'active' AND m.user_id <> $2 AND u.email <> '' \
             AND NOT u.disabled AND COALESCE(n.email_urgent, TRUE)",
        )
        .bind(space_id)
        .bind(except)
        .fetch_all(c)
        .await?
    }))
}

/// Users who want the daily digest, have an address, and were not sent one
/// since `not_since`.
pub async fn digest_candidates(
    db: &Db,
    not_since: Timestamp,
) -> Result<Vec<Recipient>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT DISTINCT u.id AS user_id, u.email FROM care_members m JOIN identity_people u ON u.id = m.user_id \
             LEFT JOIN care_notification_prefs n ON n.user_id = u.id \
             WHERE m.status = 'active' AND u.email <> '' AND NOT u.disabled AND COALESCE(n.email_digest, TRUE) \
             AND (n.digest_sent_at IS NULL OR n.digest_sent_at < $1) ORDER BY u.id",
        )
        .bind(not_since.millis())
        .fetch_all(c)
        .await?
    }))
}

pub async fn record_digest(tx: &mut Tx, user_id: UserId, now: Timestamp) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "INSERT INTO care_notification_prefs (user_id, digest_sent_at) VALUES ($1, $2) \
             ON CONFLICT (user_id) DO UPDATE SET digest_sent_at = excluded.digest_sent_at",
        )
        .bind(user_id)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

pub async fn user(db: &Db, id: UserId) -> Result<Option<Invitee>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT id, username, display_name, role, profession, region_id, disabled FROM identity_people WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?
    }))
}

pub async fn user_by_username(db: &Db, username: &str) -> Result<Option<Invitee>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT id, username, display_name, role, profession, region_id, disabled FROM identity_people WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(c)
        .await?
    }))
}

/// Organisation ids of a user.
pub async fn user_orgs(db: &Db, user_id: UserId) -> Result<Vec<OrgId>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_scalar(
            "SELECT org_id FROM identity_memberships WHERE user_id = $1 ORDER BY org_id",
        )
        .bind(user_id)
        .fetch_all(c)
        .await?
    }))
}

/// Enabled users of the region in one of `roles`, for the invitation form
/// (the service derives the roles from `Role::may`).
pub async fn region_users(
    db: &Db,
    region_id: RegionId,
    roles: &[Role],
) -> Result<Vec<Invitee>, StoreError> {
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, username, display_name, role, profession, region_id, disabled FROM identity_people \
         WHERE region_id = $1 AND NOT disabled AND role IN ({}) ORDER BY display_name",
        placeholders(2, roles.len())
    );
    Ok(read!(db, |c| {
        let mut q = sqlx::query_as(&sql).bind(region_id);
        for r in roles {
            q = q.bind(r.code());
        }
        q.fetch_all(c).await?
    }))
}

/// The enabled organisations of a region as (id, name), in kana order,
/// for the consent form.
pub async fn region_organisations(
    db: &Db,
    region_id: RegionId,
) -> Result<Vec<(OrgId, String)>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT id, name FROM identity_organisations WHERE region_id = $1 AND NOT disabled ORDER BY kana, name",
        )
        .bind(region_id)
        .fetch_all(c)
        .await?
    }))
}

pub async fn user_email(db: &Db, user_id: UserId) -> Result<String, StoreError> {
    let email: Option<String> = read!(db, |c| {
        sqlx::query_scalar("SELECT email FROM identity_people WHERE id = $1")
            .bind(user_id)
            .fetch_optional(c)
            .await?
    });
    Ok(email.unwrap_or_default())
}

/// Moves a post (and its read receipts) to another time. Only the demo
/// loader and the benchmark generator use this, to lay out a week of care.
pub async fn set_post_time(
    tx: &mut Tx,
    post_id: PostId,
    created_at: i64,
    acked_at: Option<i64>,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query("UPDATE care_posts SET created_at = $2, acked_at = COALESCE($3, acked_at) WHERE id = $1")
            .bind(post_id)
            .bind(created_at)
            .bind(acked_at)
            .execute(&mut *c)
            .await?;
        sqlx::query("UPDATE care_reads SET read_at = $2 WHERE post_id = $1 AND read_at < $2")
            .bind(post_id)
            .bind(created_at + 600_000)
            .execute(&mut *c)
            .await?;
        sqlx::query("UPDATE care_reads SET read_at = $2 WHERE post_id = $1 AND read_at > $2")
            .bind(post_id)
            .bind(created_at + 600_000)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}
