//! SQL of the transitions capability: rule sets, their versions and
//! adoptions, office calendars, stays, handoff forms and the discharge
//! contact log. Functions here do what they are told; who may do it is
//! decided in [`crate::service`].

use renkei_domain::transitions::{
    ConferenceStatus, ContactChannel, FormKind, FormStatus, InquiryStatus, ReportedVia, RuleScope,
};
use renkei_domain::{
    AdoptionId, ConferenceId, DischargeContactId, EntryId, FormTemplateId, HandoffFormId,
    InquiryId, OrgId, PatientId, RegionId, RuleSetId, RuleVersionId, StayId, Timestamp, UserId,
};
use renkei_store::{read, write, Db, StoreError, Tx};

use crate::model::{
    Adoption, Conference, DischargeContactRecord, HandoffForm, Inquiry, RuleSet, RuleVersion, Stay,
};

// ------------------------------------------------------------------ rules

pub async fn insert_rule_set(
    tx: &mut Tx,
    region_id: RegionId,
    name: &str,
    publisher: &str,
    shared: bool,
    by: UserId,
    now: Timestamp,
) -> Result<RuleSetId, StoreError> {
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO transitions_rule_sets (region_id, name, publisher, shared, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(region_id)
        .bind(name)
        .bind(publisher)
        .bind(shared)
        .bind(by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

/// Adds the next version of a rule set; returns its id and number.
pub async fn insert_rule_version(
    tx: &mut Tx,
    rule_set_id: RuleSetId,
    effective_from: &str,
    body: &str,
    note: &str,
    by: UserId,
    now: Timestamp,
) -> Result<(RuleVersionId, i64), StoreError> {
    let last: Option<i64> = write!(tx, |c| {
        sqlx::query_scalar(
            "SELECT MAX(version) FROM transitions_rule_versions WHERE rule_set_id = $1",
        )
        .bind(rule_set_id)
        .fetch_one(&mut *c)
        .await?
    });
    let version = last.unwrap_or(0) + 1;
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO transitions_rule_versions (rule_set_id, version, effective_from, body, note, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(rule_set_id)
        .bind(version)
        .bind(effective_from)
        .bind(body)
        .bind(note)
        .bind(by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok((id, version))
}

const RULE_SET: &str =
    "SELECT id, region_id, name, publisher, shared, created_at FROM transitions_rule_sets";

pub async fn rule_set(db: &Db, id: RuleSetId) -> Result<Option<RuleSet>, StoreError> {
    let sql = format!("{RULE_SET} WHERE id = $1");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?))
}

/// The region's own rule sets.
pub async fn rule_sets_of_region(db: &Db, region: RegionId) -> Result<Vec<RuleSet>, StoreError> {
    let sql = format!("{RULE_SET} WHERE region_id = $1 ORDER BY id");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(region)
        .fetch_all(c)
        .await?))
}

/// Rule sets other regions share for adoption.
pub async fn shared_rule_sets(db: &Db, except: RegionId) -> Result<Vec<RuleSet>, StoreError> {
    let sql = format!("{RULE_SET} WHERE shared AND region_id <> $1 ORDER BY id");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(except)
        .fetch_all(c)
        .await?))
}

const RULE_VERSION: &str =
    "SELECT id, rule_set_id, version, effective_from, body, note, created_at \
    FROM transitions_rule_versions";

pub async fn rule_versions(
    db: &Db,
    rule_set_id: RuleSetId,
) -> Result<Vec<RuleVersion>, StoreError> {
    let sql = format!("{RULE_VERSION} WHERE rule_set_id = $1 ORDER BY version DESC");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(rule_set_id)
        .fetch_all(c)
        .await?))
}

pub async fn rule_version(db: &Db, id: RuleVersionId) -> Result<Option<RuleVersion>, StoreError> {
    let sql = format!("{RULE_VERSION} WHERE id = $1");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?))
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_adoption(
    tx: &mut Tx,
    region_id: RegionId,
    scope: RuleScope,
    scope_code: &str,
    rule_set_id: RuleSetId,
    adopted_from: &str,
    by: UserId,
    now: Timestamp,
) -> Result<AdoptionId, StoreError> {
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO transitions_adoptions (region_id, scope, scope_code, rule_set_id, adopted_from, adopted_by, adopted_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(region_id)
        .bind(scope)
        .bind(scope_code)
        .bind(rule_set_id)
        .bind(adopted_from)
        .bind(by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

pub async fn adoptions(db: &Db, region: RegionId) -> Result<Vec<Adoption>, StoreError> {
    Ok(read!(db, |c| sqlx::query_as(
        "SELECT id, region_id, scope, scope_code, rule_set_id, adopted_from, adopted_at \
         FROM transitions_adoptions WHERE region_id = $1 ORDER BY adopted_from, id",
    )
    .bind(region)
    .fetch_all(c)
    .await?))
}

// -------------------------------------------------------------- calendars

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

// ------------------------------------------------------------------ stays

/// A stay as first recorded.
pub struct NewStay<'a> {
    pub region_id: RegionId,
    pub patient_id: PatientId,
    pub patient_name: &'a str,
    pub patient_kana: &'a str,
    pub patient_birth_date: &'a str,
    pub municipality_code: &'a str,
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
             screening, route_cases, terminal, readmission_of, summary_note, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, \
             $22, $23, '', $16, $16) RETURNING id",
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
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

const STAY: &str = "SELECT id, region_id, patient_id, patient_name, patient_kana, patient_birth_date, \
    municipality_code, hospital_entry_id, hospital_name, hospital_org_id, ward, admitted_local, admitted_at, \
    outside_hours, reported_via, reported_by, learned_at, office_org_id, rule_version_id, needs_coordination, \
    screening, route_cases, terminal, readmission_of, planned_discharge_on, discharge_told_at, discharged_on, \
    summary_requested_at, summary_returned_on, summary_note, created_at, updated_at FROM transitions_stays";

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

// ------------------------------------------------------------ conferences

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
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "UPDATE transitions_conferences SET status = $2, held_on = $3, attended = $4, checklist = $5, \
             minutes = $6, updated_at = $7 WHERE id = $1",
        )
        .bind(id)
        .bind(ConferenceStatus::Held)
        .bind(held_on)
        .bind(attended)
        .bind(checklist)
        .bind(minutes)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
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

// ------------------------------------------------------------------ forms

const FORM: &str =
    "SELECT id, stay_id, kind, template, content, status, created_by, created_at, updated_at, \
    sent_at, channel, informed_on, received_by, opened_at, acknowledged_at FROM transitions_forms";

pub async fn form(
    db: &Db,
    stay: StayId,
    kind: FormKind,
) -> Result<Option<HandoffForm>, StoreError> {
    let sql = format!("{FORM} WHERE stay_id = $1 AND kind = $2");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(stay)
        .bind(kind)
        .fetch_optional(c)
        .await?))
}

/// The forms of these stays.
pub async fn forms_of_stays(db: &Db, stays: &[StayId]) -> Result<Vec<HandoffForm>, StoreError> {
    if stays.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (0..stays.len()).map(|i| format!("${}", i + 1)).collect();
    let sql = format!("{FORM} WHERE stay_id IN ({})", marks.join(", "));
    Ok(read!(db, |c| {
        let mut q = sqlx::query_as(&sql);
        for s in stays {
            q = q.bind(*s);
        }
        q.fetch_all(c).await?
    }))
}

/// Writes a form's content (creating it as a draft the first time).
pub async fn save_form(
    tx: &mut Tx,
    stay: StayId,
    kind: FormKind,
    template: &str,
    content: &str,
    by: UserId,
    now: Timestamp,
) -> Result<HandoffFormId, StoreError> {
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO transitions_forms (stay_id, kind, template, content, status, created_by, created_at, \
             updated_by, updated_at, received_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $7, '') \
             ON CONFLICT (stay_id, kind) DO UPDATE SET template = excluded.template, content = excluded.content, \
             updated_by = excluded.updated_by, updated_at = excluded.updated_at RETURNING id",
        )
        .bind(stay)
        .bind(kind)
        .bind(template)
        .bind(content)
        .bind(FormStatus::Draft)
        .bind(by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

/// Marks a form as given to the hospital.
pub async fn mark_sent(
    tx: &mut Tx,
    id: HandoffFormId,
    channel: ContactChannel,
    informed_on: &str,
    received_by: &str,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "UPDATE transitions_forms SET status = $2, channel = $3, informed_on = $4, received_by = $5, \
             sent_at = $6, sent_by = $7 WHERE id = $1",
        )
        .bind(id)
        .bind(FormStatus::Sent)
        .bind(channel)
        .bind(informed_on)
        .bind(received_by)
        .bind(now.millis())
        .bind(by)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

/// Marks a sent form as opened, once.
pub async fn mark_opened(
    tx: &mut Tx,
    id: HandoffFormId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = write!(tx, |c| {
        sqlx::query(
            "UPDATE transitions_forms SET status = $2, opened_at = $3 WHERE id = $1 AND status = $4",
        )
        .bind(id)
        .bind(FormStatus::Opened)
        .bind(now.millis())
        .bind(FormStatus::Sent)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(n > 0)
}

pub async fn mark_acknowledged(
    tx: &mut Tx,
    id: HandoffFormId,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "UPDATE transitions_forms SET status = $2, acknowledged_at = $3, acknowledged_by = $4, \
             opened_at = COALESCE(opened_at, $3) WHERE id = $1",
        )
        .bind(id)
        .bind(FormStatus::Acknowledged)
        .bind(now.millis())
        .bind(by)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

// --------------------------------------------------------------- contacts

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

// ------------------------------------------------- identity's read model

/// The municipalities of a region (code, name), from identity's view.
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

/// Organisations' names, from identity's view.
pub async fn organisation_names(
    db: &Db,
    ids: &[OrgId],
) -> Result<std::collections::HashMap<OrgId, String>, StoreError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let marks: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 1)).collect();
    let sql = format!(
        "SELECT id, name FROM identity_organisations WHERE id IN ({})",
        marks.join(", ")
    );
    let rows: Vec<(OrgId, String)> = read!(db, |c| {
        let mut q = sqlx::query_as(&sql);
        for o in ids {
            q = q.bind(*o);
        }
        q.fetch_all(c).await?
    });
    Ok(rows.into_iter().collect())
}

// -------------------------------------------------------------- templates

/// A region's own template as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredTemplate {
    pub region_id: RegionId,
    pub kind: FormKind,
    pub code: String,
    pub name: String,
    pub sections: String,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_template(
    tx: &mut Tx,
    region: RegionId,
    kind: FormKind,
    code: &str,
    name: &str,
    sections: &str,
    by: UserId,
    now: Timestamp,
) -> Result<FormTemplateId, StoreError> {
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO transitions_templates (region_id, kind, code, name, sections, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(region)
        .bind(kind)
        .bind(code)
        .bind(name)
        .bind(sections)
        .bind(by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

const TEMPLATE: &str = "SELECT region_id, kind, code, name, sections FROM transitions_templates";

pub async fn templates_of_region(
    db: &Db,
    region: RegionId,
) -> Result<Vec<StoredTemplate>, StoreError> {
    let sql = format!("{TEMPLATE} WHERE region_id = $1 ORDER BY id");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(region)
        .fetch_all(c)
        .await?))
}

pub async fn template_by_code(db: &Db, code: &str) -> Result<Option<StoredTemplate>, StoreError> {
    let sql = format!("{TEMPLATE} WHERE code = $1");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(code)
        .fetch_optional(c)
        .await?))
}

// -------------------------------------------------------------- inquiries

/// A request as first written.
pub struct NewInquiry<'a> {
    pub region_id: RegionId,
    pub input: &'a crate::model::InquiryInput,
    pub asked_by: UserId,
    pub asked_by_org: Option<OrgId>,
    pub due_at: i64,
}

pub async fn insert_inquiry(
    tx: &mut Tx,
    n: &NewInquiry<'_>,
    now: Timestamp,
) -> Result<InquiryId, StoreError> {
    let i = n.input;
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO transitions_inquiries (region_id, municipality_code, asked_by, asked_by_org, hospital_name, \
             person_name, person_kana, birth_date, insured_number, address, admitted_on, note, due_at, status, \
             answer_office, answer_care_manager, answer_note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, '', '', '', $15) RETURNING id",
        )
        .bind(n.region_id)
        .bind(i.municipality_code.trim())
        .bind(n.asked_by)
        .bind(n.asked_by_org)
        .bind(i.hospital_name.trim())
        .bind(i.person_name.trim())
        .bind(i.person_kana.trim())
        .bind(i.birth_date.trim())
        .bind(i.insured_number.trim())
        .bind(i.address.trim())
        .bind(i.admitted_on.trim())
        .bind(i.note.trim())
        .bind(n.due_at)
        .bind(InquiryStatus::Open)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

const INQUIRY: &str = "SELECT id, municipality_code, hospital_name, person_name, person_kana, birth_date, \
    insured_number, address, admitted_on, note, due_at, status, answer_office, answer_care_manager, answer_note, \
    answered_at, created_at FROM transitions_inquiries";

/// A region's requests (the municipality's inbox), open first, newest first.
pub async fn inquiries_of_region(db: &Db, region: RegionId) -> Result<Vec<Inquiry>, StoreError> {
    let sql =
        format!("{INQUIRY} WHERE region_id = $1 ORDER BY status DESC, created_at DESC LIMIT 200");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(region)
        .fetch_all(c)
        .await?))
}

/// The requests a user asked.
pub async fn inquiries_asked_by(db: &Db, user: UserId) -> Result<Vec<Inquiry>, StoreError> {
    let sql = format!("{INQUIRY} WHERE asked_by = $1 ORDER BY created_at DESC LIMIT 200");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(user)
        .fetch_all(c)
        .await?))
}

/// One request with its region and who asked.
pub async fn inquiry(
    db: &Db,
    id: InquiryId,
) -> Result<Option<(Inquiry, RegionId, UserId)>, StoreError> {
    let sql = format!("{INQUIRY} WHERE id = $1");
    let row: Option<Inquiry> = read!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?);
    let Some(row) = row else { return Ok(None) };
    let (region, asked_by): (RegionId, UserId) = read!(db, |c| sqlx::query_as(
        "SELECT region_id, asked_by FROM transitions_inquiries WHERE id = $1"
    )
    .bind(id)
    .fetch_one(c)
    .await?);
    Ok(Some((row, region, asked_by)))
}

pub async fn answer_inquiry(
    tx: &mut Tx,
    id: InquiryId,
    a: &crate::model::InquiryAnswer,
    by: UserId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = write!(tx, |c| {
        sqlx::query(
            "UPDATE transitions_inquiries SET status = $2, answer_office = $3, answer_care_manager = $4, \
             answer_note = $5, answered_by = $6, answered_at = $7 WHERE id = $1 AND status = $8",
        )
        .bind(id)
        .bind(InquiryStatus::Answered)
        .bind(a.office.trim())
        .bind(a.care_manager.trim())
        .bind(a.note.trim())
        .bind(by)
        .bind(now.millis())
        .bind(InquiryStatus::Open)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(n > 0)
}
