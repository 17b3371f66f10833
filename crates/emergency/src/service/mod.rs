//! The emergency service: who keeps a record, its freshness, the card's
//! links and what opening one does. Every read and write of a record is
//! in the audit trail; so is every opening of a card's link, which the
//! team also hears of by e-mail.

use std::sync::Arc;

use base64::Engine;
use rand::RngCore;
use renkei_care::{Care, TeamNotice};
use renkei_domain::care::{Household, MemberStatus, TeamRole};
use renkei_domain::emergency::{ChangeEvent, Device, DueReason, Freshness, DEFAULT_VERIFY_MONTHS};
use renkei_domain::transitions::{age_on, format_date, parse_date};
use renkei_domain::{
    EmergencyLinkId, EmergencyRecordId, PatientId, Role, Timestamp, TransportId, UserId,
};
use renkei_identity::{Principal, RequestContext};
use renkei_mail::{Mail, Mailer};
use renkei_store::audit::{self, AuditEntry, Outcome};
use renkei_store::{Db, ServiceError};
use renkei_transitions::Transitions;
use sha2::{Digest, Sha256};

use crate::model::{
    EmergencyRecord, EmergencySheet, FreshnessLine, NewLink, RecordInput, RecordLine, RecordView,
};
use crate::store;

mod acp;
mod applications;
mod disaster;
mod search;
mod transport;
pub use acp::builtin_acp_template;
pub use applications::APPLICATIONS_PER_HOUR;
pub use search::SEARCHES_PER_DAY;

/// The one error type of the emergency service.
pub type EmergencyError = ServiceError;

fn invalid(field: &str, code: &str, ja: &str, en: &str) -> EmergencyError {
    ServiceError::invalid(field, code, ja, en)
}

/// The longest free text of a field.
const MAX_TEXT: usize = 4_000;

/// The emergency capability's service.
#[derive(Clone)]
pub struct Emergency {
    db: Db,
    care: Care,
    transitions: Transitions,
    mailer: Arc<dyn Mailer>,
    /// Links in e-mail start here.
    public_url: String,
}

/// The longest interval between verifications a region may set (months).
pub const MAX_VERIFY_MONTHS: u8 = 24;

/// A reminder is sent again after this many days while a record stays due.
pub const REMIND_EVERY_DAYS: i64 = 7;

fn audit_entry(
    p: &Principal,
    ctx: &RequestContext,
    action: &str,
    id: impl std::fmt::Display,
    patient: Option<PatientId>,
) -> AuditEntry {
    AuditEntry {
        region_id: p.region_id,
        actor_user_id: Some(p.user_id),
        actor_username: p.username.clone(),
        role: p.role.code().to_string(),
        org_id: p.org_ids.first().copied(),
        action: action.to_string(),
        object_kind: "emergency_record".to_string(),
        object_id: id.to_string(),
        patient_id: patient.map(|i| i.to_string()),
        outcome: Some(Outcome::Success),
        source_addr: ctx.source_addr.clone(),
        user_agent: ctx.user_agent.clone(),
        reason: String::new(),
    }
}

/// The SHA-256 of a card's token, as stored: the database alone cannot be
/// turned back into working links, and a lookup compares hashes, so how
/// long it takes says nothing about how much of a guess was right.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh card token: 256 random bits, base64url without padding.
fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A token as a card carries it: 43 base64url characters.
pub fn is_token_shaped(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A record's fields checked: trimmed, required ones present, the birth
/// date a date, devices known, nothing too long.
struct Checked {
    input: RecordInput,
    devices: String,
}

fn check(input: &RecordInput) -> Result<Checked, EmergencyError> {
    let mut errors = renkei_domain::ValidationErrors::new();
    let mut c = input.clone();
    for f in [
        &mut c.name,
        &mut c.kana,
        &mut c.birth_date,
        &mut c.address,
        &mut c.municipality_code,
        &mut c.area,
        &mut c.phone,
        &mut c.family_doctor,
        &mut c.diseases,
        &mut c.medicines,
        &mut c.allergies,
        &mut c.contacts,
        &mut c.insurance,
        &mut c.home_file,
        &mut c.wishes,
    ] {
        *f = f.trim().to_string();
    }
    if c.name.is_empty() {
        errors.add(
            "name",
            "required",
            "氏名を入力してください。",
            "Give the name.",
        );
    }
    if parse_date(&c.birth_date).is_none() {
        errors.add(
            "birth_date",
            "date",
            "生年月日を YYYY-MM-DD の形で入力してください。",
            "Give the date of birth as YYYY-MM-DD.",
        );
    }
    if c.contacts.is_empty() {
        errors.add(
            "contacts",
            "required",
            "緊急連絡先を1件以上入力してください。",
            "Give at least one emergency contact.",
        );
    }
    for (field, value) in [
        ("name", &c.name),
        ("kana", &c.kana),
        ("phone", &c.phone),
        ("area", &c.area),
    ] {
        if value.chars().count() > 200 {
            errors.add(
                field,
                "too_long",
                "200文字以内で入力してください。",
                "At most 200 characters.",
            );
        }
    }
    for (field, value) in [
        ("diseases", &c.diseases),
        ("medicines", &c.medicines),
        ("allergies", &c.allergies),
        ("contacts", &c.contacts),
        ("wishes", &c.wishes),
        ("family_doctor", &c.family_doctor),
        ("insurance", &c.insurance),
        ("address", &c.address),
        ("home_file", &c.home_file),
    ] {
        if value.chars().count() > MAX_TEXT {
            errors.add(
                field,
                "too_long",
                "4,000文字以内で入力してください。",
                "At most 4,000 characters.",
            );
        }
    }
    let mut devices = Vec::new();
    for d in &c.devices {
        match Device::from_code(d.trim()) {
            Some(d) if !devices.contains(&d) => devices.push(d),
            Some(_) => {}
            None => errors.add(
                "devices",
                "choice",
                "医療機器は一覧から選んでください。",
                "Choose devices from the list.",
            ),
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let devices = devices
        .iter()
        .map(|d| d.code())
        .collect::<Vec<_>>()
        .join(",");
    Ok(Checked { input: c, devices })
}

impl Checked {
    fn fields(&self) -> store::Fields<'_> {
        let c = &self.input;
        store::Fields {
            patient_id: c.patient_id,
            name: &c.name,
            kana: &c.kana,
            birth_date: &c.birth_date,
            address: &c.address,
            municipality_code: &c.municipality_code,
            area: &c.area,
            phone: &c.phone,
            family_doctor: &c.family_doctor,
            diseases: &c.diseases,
            medicines: &c.medicines,
            allergies: &c.allergies,
            contacts: &c.contacts,
            insurance: &c.insurance,
            devices: &self.devices,
            home_file: &c.home_file,
            wishes: &c.wishes,
            lives_alone: c.lives_alone,
            disaster_share: c.disaster_share,
        }
    }
}

/// Whom a record's opening is told to: the whole active team.
const TOLD_OF_OPENINGS: &[TeamRole] = TeamRole::ALL;

impl Emergency {
    pub fn new(
        db: Db,
        care: Care,
        transitions: Transitions,
        mailer: Arc<dyn Mailer>,
        public_url: &str,
    ) -> Self {
        Self {
            db,
            care,
            transitions,
            mailer,
            public_url: public_url.trim_end_matches('/').to_string(),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The care service records are kept beside.
    pub fn care(&self) -> &Care {
        &self.care
    }

    async fn audit(&self, entries: Vec<AuditEntry>) -> Result<(), EmergencyError> {
        let mut tx = self.db.begin().await?;
        for e in &entries {
            audit::append(&mut tx, e).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Whether the user keeps records without a care team: the region's
    /// support centre (the desk).
    fn keeps_unlinked(p: &Principal, record_region: Option<renkei_domain::RegionId>) -> bool {
        p.role == Role::Coordinator && record_region.is_none_or(|r| p.region_id == Some(r))
    }

    /// Who the user is to a record: `Ok(true)` may write, `Ok(false)` may
    /// only read; anyone else gets "not found", and the refusal is audited.
    async fn access(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        record: &EmergencyRecord,
        now: Timestamp,
    ) -> Result<bool, EmergencyError> {
        match self.access_of(p, ctx, record, now).await? {
            Some(w) => Ok(w),
            None => {
                let mut e = audit_entry(p, ctx, "emergency.read", record.id, record.patient_id);
                e.outcome = Some(Outcome::Denied);
                self.audit(vec![e]).await?;
                Err(ServiceError::NotFound)
            }
        }
    }

    /// Who the user is to a record, without auditing a refusal: `None`
    /// nobody, `Some(true)` a writer, `Some(false)` a reader.
    async fn access_of(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        record: &EmergencyRecord,
        now: Timestamp,
    ) -> Result<Option<bool>, EmergencyError> {
        let allowed = match record.patient_id {
            // The patient's team, as care decides (consent, membership),
            // and only those who see its clinical records: the sheet is
            // clinical. Family members read it when care lets them; only
            // professionals write it (as only they write the summary).
            Some(pid) => match self.care.patient(p, ctx, pid, now).await {
                Ok((_, access)) if access.sees_clinical() => {
                    Some(access.may_write() && access.team_role() != Some(TeamRole::Family))
                }
                Ok(_) | Err(ServiceError::NotFound | ServiceError::Forbidden) => None,
                Err(e) => return Err(e),
            },
            // Without a team: the region's desk, as long as the user is
            // the desk of that region.
            // Without a team: the region's desk, as long as the user is
            // the desk of that region; or a watcher (民生委員・見守りサポー
            // ター) the desk assigned to this resident.
            None if Self::keeps_unlinked(p, Some(record.region_id)) => Some(true),
            None if matches!(p.role, Role::Watcher | Role::Family)
                && p.region_id == Some(record.region_id) =>
            {
                store::is_watcher(&self.db, record.id, p.user_id)
                    .await?
                    .then_some(true)
            }
            None => None,
        };
        Ok(allowed)
    }

    /// What a care patient's page shows of emergency: the record's id and
    /// freshness and the newest ACP version, for a viewer who may read the
    /// record (audited as a read); nothing for anyone else, and nothing
    /// audited then, since nothing was shown.
    pub async fn patient_page_line(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient: PatientId,
        now: Timestamp,
    ) -> Result<
        Option<(
            EmergencyRecordId,
            Freshness,
            Option<crate::model::AcpVersion>,
        )>,
        EmergencyError,
    > {
        let Some(record) = store::record_of_patient(&self.db, patient).await? else {
            return Ok(None);
        };
        if self.access_of(p, ctx, &record, now).await?.is_none() {
            return Ok(None);
        }
        let freshness = self.freshness(&record, now).await?;
        let acp = self.latest_acp(record.id).await?;
        let mut e = audit_entry(p, ctx, "emergency.read", record.id, record.patient_id);
        e.reason = "patient page".into();
        self.audit(vec![e]).await?;
        Ok(Some((record.id, freshness, acp)))
    }

    /// The region's municipalities (code, name), for the form's choice.
    pub async fn municipalities(
        &self,
        region: renkei_domain::RegionId,
    ) -> Result<Vec<(String, String)>, EmergencyError> {
        Ok(store::municipalities(&self.db, region).await?)
    }

    /// Refuses a municipality that is not the region's.
    async fn check_municipality(
        &self,
        region: renkei_domain::RegionId,
        code: &str,
    ) -> Result<(), EmergencyError> {
        if store::municipalities(&self.db, region)
            .await?
            .iter()
            .any(|(c, _)| c == code.trim())
        {
            Ok(())
        } else {
            Err(invalid(
                "municipality_code",
                "municipality",
                "住所地の市区町村を選んでください。",
                "Choose the municipality of the address.",
            ))
        }
    }

    async fn row(&self, id: EmergencyRecordId) -> Result<EmergencyRecord, EmergencyError> {
        store::record(&self.db, id)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// What makes the record doubtful since its last verification: for a
    /// team's patient, the summary, medication posts, a new care manager
    /// (care) and a discharge (transitions).
    async fn events(&self, record: &EmergencyRecord) -> Result<Vec<ChangeEvent>, EmergencyError> {
        // Content changed after the verification: the verifier did not see
        // it, so the sheet must not carry their name as if they had.
        let edited = ChangeEvent {
            reason: DueReason::EditedSinceVerified,
            at: record.updated_at,
        };
        let Some(pid) = record.patient_id else {
            return Ok(vec![edited]);
        };
        let marks = self.care.change_marks(pid).await?;
        let mut events: Vec<ChangeEvent> = [
            (DueReason::SummaryChanged, marks.summary_at),
            (DueReason::MedicationPost, marks.medication_post_at),
            (DueReason::NewCareManager, marks.care_manager_since),
        ]
        .into_iter()
        .filter_map(|(reason, at)| at.map(|at| ChangeEvent { reason, at }))
        .collect();
        events.push(edited);
        // A discharge is known by its day only: it counts as at the day's
        // end, so a check earlier that day (perhaps before the patient
        // left with new medicines) does not clear it. Verify the next day.
        if let Some(day) = self.transitions.last_discharge_on(pid).await? {
            if let Some(start) = Timestamp::from_jst_date(&day) {
                events.push(ChangeEvent {
                    reason: DueReason::Discharge,
                    at: start.plus_seconds(24 * 3600).millis() - 1,
                });
            }
        }
        Ok(events)
    }

    /// The record's freshness today.
    pub async fn freshness(
        &self,
        record: &EmergencyRecord,
        now: Timestamp,
    ) -> Result<Freshness, EmergencyError> {
        let events = self.events(record).await?;
        let months = self.verify_months(record.region_id).await?;
        let verified = record.verified_at.map(|at| (at, Timestamp(at).jst_date()));
        Ok(Freshness::judge(verified, months, &events, now.jst_date()))
    }

    /// The region's interval between verifications (months): its own
    /// setting, else [`DEFAULT_VERIFY_MONTHS`].
    pub async fn verify_months(
        &self,
        region: renkei_domain::RegionId,
    ) -> Result<u8, EmergencyError> {
        Ok(store::verify_months(&self.db, region)
            .await?
            .and_then(|m| u8::try_from(m).ok())
            .filter(|m| (1..=MAX_VERIFY_MONTHS).contains(m))
            .unwrap_or(DEFAULT_VERIFY_MONTHS))
    }

    /// Sets the region's interval between verifications (1 to 24 months):
    /// the support centre or the region's administrator. Audited.
    pub async fn set_verify_months(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        months: i64,
        now: Timestamp,
    ) -> Result<(), EmergencyError> {
        if !Self::keeps_settings(p) {
            return Err(ServiceError::Forbidden);
        }
        let region = p.region_id.ok_or(ServiceError::Forbidden)?;
        if !(1..=i64::from(MAX_VERIFY_MONTHS)).contains(&months) {
            return Err(invalid(
                "verify_months",
                "range",
                "確認の間隔は1〜24か月で入力してください。",
                "The interval is 1 to 24 months.",
            ));
        }
        let mut tx = self.db.begin().await?;
        store::set_verify_months(&mut tx, region, months, p.user_id, now).await?;
        let mut e = audit_entry(p, ctx, "emergency.settings", region, None);
        e.object_kind = "region".into();
        e.reason = format!("verify every {months} months");
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether the user sets the region's emergency settings.
    pub fn keeps_settings(p: &Principal) -> bool {
        matches!(p.role, Role::Coordinator | Role::RegionAdmin) && p.region_id.is_some()
    }

    /// A new record's fields from a team's patient: the record, the shared
    /// summary and the attending doctor, so the team starts from what it
    /// already wrote.
    pub async fn prefill(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        now: Timestamp,
    ) -> Result<RecordInput, EmergencyError> {
        let (patient, access) = self.care.patient(p, ctx, patient_id, now).await?;
        if !access.may_write() || access.team_role() == Some(TeamRole::Family) {
            return Err(ServiceError::Forbidden);
        }
        let r = &patient.record;
        let mut input = RecordInput {
            patient_id: Some(patient_id),
            name: r.name.clone(),
            kana: r.kana.clone(),
            birth_date: r.birth_date.clone(),
            address: r.address.clone(),
            phone: r.phone.clone(),
            lives_alone: r.household == Some(Household::Alone),
            insurance: if r.insured_number.is_empty() {
                String::new()
            } else {
                format!("介護保険 被保険者番号 {}", r.insured_number)
            },
            ..RecordInput::default()
        };
        if let Ok(summary) = self.care.summary(p, ctx, patient_id, now).await {
            if let Some(s) = summary.current {
                input.diseases = s.fields.diagnoses;
                input.medicines = s.fields.medicines;
                input.allergies = s.fields.allergies;
            }
        }
        if let Ok(team) = self.care.team(p, ctx, patient.space_id, now).await {
            if let Some(doc) = team.members.iter().find(|m| {
                m.team_role == TeamRole::AttendingDoctor && m.status == MemberStatus::Active
            }) {
                input.family_doctor = format!(
                    "{} {}",
                    doc.org_name.clone().unwrap_or_default(),
                    doc.display_name
                )
                .trim()
                .to_string();
            }
            let family: Vec<String> = team
                .members
                .iter()
                .filter(|m| m.team_role == TeamRole::Family && m.status == MemberStatus::Active)
                .map(|m| m.display_name.clone())
                .collect();
            if !family.is_empty() {
                input.contacts = family.join("\n");
            }
        }
        Ok(input)
    }

    /// Registers a record: for a team's patient by a team member who may
    /// write (one record a patient), or without a team by the desk.
    /// Audited.
    pub async fn create_record(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        input: &RecordInput,
        now: Timestamp,
    ) -> Result<EmergencyRecordId, EmergencyError> {
        let region = match input.patient_id {
            Some(pid) => {
                let (patient, access) = self.care.patient(p, ctx, pid, now).await?;
                if !access.may_write() || access.team_role() == Some(TeamRole::Family) {
                    return Err(ServiceError::Forbidden);
                }
                if store::record_of_patient(&self.db, pid).await?.is_some() {
                    return Err(ServiceError::Conflict(
                        "この患者の緊急時情報はすでにあります。 The patient already has a record."
                            .into(),
                    ));
                }
                patient.region_id
            }
            None => {
                if !Self::may_register_unlinked(p) {
                    return Err(ServiceError::Forbidden);
                }
                p.region_id.ok_or(ServiceError::Forbidden)?
            }
        };
        let checked = check(input)?;
        self.check_municipality(region, &checked.input.municipality_code)
            .await?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_record(&mut tx, region, &checked.fields(), p.user_id, now).await?;
        // A watcher (or a family member) who registers a resident keeps
        // watching them.
        if matches!(p.role, Role::Watcher | Role::Family) {
            store::assign_watcher(&mut tx, id, p.user_id, p.user_id, now).await?;
        }
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "emergency.create", id, input.patient_id),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Rewrites a record's fields (its team or keeper). Audited. Editing is
    /// not verifying: the record stays due until someone verifies it.
    pub async fn update_record(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: EmergencyRecordId,
        input: &RecordInput,
        now: Timestamp,
    ) -> Result<(), EmergencyError> {
        let record = self.row(id).await?;
        if !self.access(p, ctx, &record, now).await? {
            return Err(ServiceError::Forbidden);
        }
        let mut input = input.clone();
        input.patient_id = record.patient_id;
        let checked = check(&input)?;
        self.check_municipality(record.region_id, &checked.input.municipality_code)
            .await?;
        let mut tx = self.db.begin().await?;
        store::update_record(&mut tx, id, &checked.fields(), now).await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "emergency.update", id, record.patient_id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Confirms the record is current as of now; the verifier becomes its
    /// responsible person (reminders go to them). Audited.
    pub async fn verify(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: EmergencyRecordId,
        now: Timestamp,
    ) -> Result<(), EmergencyError> {
        let record = self.row(id).await?;
        if !self.access(p, ctx, &record, now).await? {
            return Err(ServiceError::Forbidden);
        }
        let mut tx = self.db.begin().await?;
        store::verify(&mut tx, id, p.user_id, now).await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "emergency.verify", id, record.patient_id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A record with its freshness, links and latest openings. Audited.
    pub async fn record(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: EmergencyRecordId,
        now: Timestamp,
    ) -> Result<RecordView, EmergencyError> {
        let record = self.row(id).await?;
        let may_write = self.access(p, ctx, &record, now).await?;
        let freshness = self.freshness(&record, now).await?;
        let links = store::links(&self.db, id).await?;
        let openings = store::openings(&self.db, id, 20).await?;
        let transports = self.transports_of(id).await?;
        let verify_months = self.verify_months(record.region_id).await?;
        let acp = self.latest_acp(id).await?;
        let death = store::death_of(&self.db, id).await?;
        let ids: Vec<UserId> = [Some(record.responsible_user_id), record.verified_by]
            .into_iter()
            .flatten()
            .collect();
        let names = store::display_names(&self.db, &ids).await?;
        let name = |u: Option<UserId>| u.and_then(|u| names.get(&u).cloned()).unwrap_or_default();
        self.audit(vec![audit_entry(
            p,
            ctx,
            "emergency.read",
            id,
            record.patient_id,
        )])
        .await?;
        Ok(RecordView {
            responsible_name: name(Some(record.responsible_user_id)),
            verified_by_name: name(record.verified_by),
            record,
            freshness,
            verify_months,
            links,
            openings,
            transports,
            acp,
            death,
            may_write,
        })
    }

    /// The team patient's record, if there is one, for a professional of
    /// the team who may keep it (the new-record page goes there instead).
    pub async fn record_of_patient(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        now: Timestamp,
    ) -> Result<Option<EmergencyRecordId>, EmergencyError> {
        let (_, access) = self.care.patient(p, ctx, patient_id, now).await?;
        if !access.may_write() || access.team_role() == Some(TeamRole::Family) {
            return Err(ServiceError::Forbidden);
        }
        Ok(store::record_of_patient(&self.db, patient_id)
            .await?
            .map(|r| r.id))
    }

    /// The records the user keeps: those of their teams' patients, and for
    /// the desk the region's records without a team. Not audited: callers
    /// audit what they show.
    async fn rows_of(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<Vec<EmergencyRecord>, EmergencyError> {
        let patients: Vec<PatientId> = match p.role {
            Role::Professional | Role::Coordinator => self.care.visible_patients(p, ctx).await?,
            // A watcher: the residents assigned to them, nothing else; a
            // family member: the relative they registered without a team
            // (a team's record they read from the patient's page, as care
            // lets them).
            Role::Watcher | Role::Family => {
                let mut rows = Vec::new();
                for id in store::watched_records(&self.db, p.user_id).await? {
                    if let Some(r) = store::record(&self.db, id).await? {
                        if Some(r.region_id) == p.region_id && r.patient_id.is_none() {
                            rows.push(r);
                        }
                    }
                }
                return Ok(rows);
            }
            _ => return Err(ServiceError::Forbidden),
        };
        let mut rows = store::records_of_patients(&self.db, &patients).await?;
        if Self::keeps_unlinked(p, None) {
            if let Some(region) = p.region_id {
                rows.extend(store::unlinked_records(&self.db, region).await?);
            }
        }
        Ok(rows)
    }

    /// The records the user keeps, due ones first. The listing is audited
    /// (it shows names).
    pub async fn records(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<Vec<RecordLine>, EmergencyError> {
        let rows = self.rows_of(p, ctx).await?;
        let mut lines = Vec::with_capacity(rows.len());
        for r in &rows {
            lines.push(RecordLine {
                id: r.id,
                name: r.name.clone(),
                municipality_code: r.municipality_code.clone(),
                verified_at: r.verified_at,
                freshness: self.freshness(r, now).await?,
                devices: r
                    .devices()
                    .iter()
                    .map(|d| d.label_ja())
                    .collect::<Vec<_>>()
                    .join("、"),
            });
        }
        lines.sort_by_key(|l| (l.freshness.is_current(), l.name.clone()));
        let entries = rows
            .iter()
            .map(|r| {
                let mut e = audit_entry(p, ctx, "emergency.list", r.id, r.patient_id);
                e.reason = "records listed".into();
                e
            })
            .collect();
        self.audit(entries).await?;
        Ok(lines)
    }

    /// The user's team patients who have no record yet (care audits the
    /// listing), to start one from.
    pub async fn patients_without_record(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<Vec<(PatientId, String)>, EmergencyError> {
        if !matches!(p.role, Role::Professional | Role::Coordinator) {
            return Ok(Vec::new());
        }
        let cards: Vec<(PatientId, String)> = self
            .care
            .my_spaces(p, ctx)
            .await?
            .into_iter()
            .filter(|c| c.status == MemberStatus::Active)
            .filter_map(|c| c.patient_id.map(|id| (id, c.name)))
            .collect();
        let ids: Vec<PatientId> = cards.iter().map(|(id, _)| *id).collect();
        let with: Vec<PatientId> = store::records_of_patients(&self.db, &ids)
            .await?
            .into_iter()
            .filter_map(|r| r.patient_id)
            .collect();
        Ok(cards
            .into_iter()
            .filter(|(id, _)| !with.contains(id))
            .collect())
    }

    /// Whether the user registers residents without a care team: the desk,
    /// and a watcher (an appointed 民生委員, who then watches the resident).
    /// Family members and residents apply on the public form instead, for
    /// the desk to confirm.
    pub fn may_register_unlinked(p: &Principal) -> bool {
        Self::keeps_unlinked(p, None) || (p.role == Role::Watcher && p.region_id.is_some())
    }

    /// The watchers of a record and, for the desk, the region's watchers
    /// it may assign: (current, candidates), each (user, name).
    pub async fn watchers(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: EmergencyRecordId,
        now: Timestamp,
    ) -> Result<(Vec<(UserId, String)>, Vec<(UserId, String)>), EmergencyError> {
        let record = self.row(id).await?;
        self.access(p, ctx, &record, now).await?;
        let current = store::watchers_of(&self.db, id).await?;
        let candidates =
            if Self::keeps_unlinked(p, Some(record.region_id)) && record.patient_id.is_none() {
                store::region_watchers(&self.db, record.region_id, Role::Watcher.code())
                    .await?
                    .into_iter()
                    .filter(|(u, _)| !current.iter().any(|(c, _)| c == u))
                    .collect()
            } else {
                Vec::new()
            };
        Ok((current, candidates))
    }

    /// Assigns a watcher (民生委員・見守りサポーター of the region) to a
    /// resident without a team: the desk only; the watcher then sees,
    /// verifies and confirms the safety of this resident. Audited.
    pub async fn assign_watcher(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: EmergencyRecordId,
        watcher: UserId,
        now: Timestamp,
    ) -> Result<(), EmergencyError> {
        let record = self.row(id).await?;
        if !Self::keeps_unlinked(p, Some(record.region_id)) {
            return Err(ServiceError::Forbidden);
        }
        if record.patient_id.is_some() {
            return Err(invalid(
                "user_id",
                "team",
                "チームのある方の緊急時情報は、チームが管理します（見守りの担当は付けられません）。",
                "A team keeps its patient's record: no watcher can be assigned.",
            ));
        }
        let candidates =
            store::region_watchers(&self.db, record.region_id, Role::Watcher.code()).await?;
        if !candidates.iter().any(|(u, _)| *u == watcher) {
            return Err(invalid(
                "user_id",
                "watcher",
                "圏域の民生委員・見守りサポーターから選んでください。",
                "Choose a community watcher of the region.",
            ));
        }
        if store::is_watcher(&self.db, id, watcher).await? {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        store::assign_watcher(&mut tx, id, watcher, p.user_id, now).await?;
        let mut e = audit_entry(p, ctx, "emergency.watcher_assign", id, None);
        e.reason = format!("watcher user {watcher}");
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends a watcher's assignment (the desk). Audited.
    pub async fn end_watcher(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: EmergencyRecordId,
        watcher: UserId,
        now: Timestamp,
    ) -> Result<(), EmergencyError> {
        let record = self.row(id).await?;
        if !Self::keeps_unlinked(p, Some(record.region_id)) {
            return Err(ServiceError::Forbidden);
        }
        let mut tx = self.db.begin().await?;
        if !store::end_watcher(&mut tx, id, watcher, now).await? {
            return Err(ServiceError::NotFound);
        }
        // Nothing of the record stays with them: the desk keeps it again
        // (reminders, mails), and the cards they made stop working.
        store::take_back(&mut tx, id, watcher, p.user_id, now).await?;
        let mut e = audit_entry(p, ctx, "emergency.watcher_end", id, None);
        e.reason = format!("watcher user {watcher}");
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// For the home page, counts only (no names, so nothing to audit): the
    /// records the user keeps that are due, and those whose card was
    /// opened in the last day (the team knows an ambulance came).
    pub async fn home_counts(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<(usize, usize), EmergencyError> {
        let rows = self.rows_of(p, ctx).await?;
        let since = now.plus_seconds(-24 * 3600).millis();
        let (mut due, mut opened) = (0, 0);
        for r in &rows {
            if !self.freshness(r, now).await?.is_current() {
                due += 1;
            }
            if store::openings(&self.db, r.id, 1)
                .await?
                .first()
                .is_some_and(|o| o.opened_at >= since)
            {
                opened += 1;
            }
        }
        Ok((due, opened))
    }

    /// A new link for the record's card. With `rotate`, every earlier link
    /// stops working (a lost card). The token is returned once; only its
    /// hash is kept. Audited.
    pub async fn create_link(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: EmergencyRecordId,
        rotate: bool,
        now: Timestamp,
    ) -> Result<NewLink, EmergencyError> {
        let record = self.row(id).await?;
        if !self.access(p, ctx, &record, now).await? {
            return Err(ServiceError::Forbidden);
        }
        let token = new_token();
        let mut tx = self.db.begin().await?;
        if rotate {
            store::revoke_all_links(&mut tx, id, p.user_id, now).await?;
        }
        let link = store::insert_link(&mut tx, id, &token_hash(&token), p.user_id, now).await?;
        let mut e = audit_entry(p, ctx, "emergency.link_create", id, record.patient_id);
        e.reason = if rotate { "rotated" } else { "added" }.into();
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        let team = match record.patient_id {
            Some(pid) => {
                let space = self.care.patient_space(pid).await?;
                match self.care.team(p, ctx, space, now).await {
                    Ok(t) => t
                        .members
                        .iter()
                        .filter(|m| {
                            m.status == MemberStatus::Active && m.team_role != TeamRole::Family
                        })
                        .map(|m| {
                            (
                                m.team_role.label_ja().to_string(),
                                m.display_name.clone(),
                                m.org_name.clone().unwrap_or_default(),
                            )
                        })
                        .collect(),
                    Err(_) => Vec::new(),
                }
            }
            None => vec![(
                p.role.label_ja().to_string(),
                p.display_name.clone(),
                String::new(),
            )],
        };
        Ok(NewLink {
            id: link,
            token,
            name: record.name,
            team,
            home_file: record.home_file,
        })
    }

    /// Revokes one link (a card taken back; again changes nothing). Audited.
    pub async fn revoke_link(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: EmergencyRecordId,
        link: EmergencyLinkId,
        now: Timestamp,
    ) -> Result<(), EmergencyError> {
        let record = self.row(id).await?;
        if !self.access(p, ctx, &record, now).await? {
            return Err(ServiceError::Forbidden);
        }
        let mut tx = self.db.begin().await?;
        if !store::revoke_link(&mut tx, id, link, p.user_id, now).await? {
            return Err(ServiceError::NotFound);
        }
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "emergency.link_revoke", id, record.patient_id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Opens a card's link (anyone holding the card: an ambulance crew, a
    /// hospital): the sheet, read-only. A wrong, revoked or rotated token
    /// is "not found", the same answer as a token that never existed.
    /// Every opening is kept, written to the audit trail with the source
    /// address, and e-mailed to the patient's team.
    pub async fn open_link(
        &self,
        token: &str,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<EmergencySheet, EmergencyError> {
        if !is_token_shaped(token) {
            return Err(ServiceError::NotFound);
        }
        let Some((link, id, revoked)) = store::link_by_hash(&self.db, &token_hash(token)).await?
        else {
            return Err(ServiceError::NotFound);
        };
        let record = self.row(id).await?;
        let anonymous = |outcome: Outcome, reason: String| AuditEntry {
            region_id: Some(record.region_id),
            actor_user_id: None,
            actor_username: "card-link".into(),
            role: "anonymous".into(),
            org_id: None,
            action: "emergency.card_open".into(),
            object_kind: "emergency_record".into(),
            object_id: id.to_string(),
            patient_id: record.patient_id.map(|p| p.to_string()),
            outcome: Some(outcome),
            source_addr: ctx.source_addr.clone(),
            user_agent: ctx.user_agent.clone(),
            reason,
        };
        // A revoked (lost, remade) card in use is worth knowing: audited as
        // refused, and answered like a token that never existed.
        if revoked {
            self.audit(vec![anonymous(
                Outcome::Denied,
                format!("revoked link {link}"),
            )])
            .await?;
            return Err(ServiceError::NotFound);
        }
        // The team is told once per half hour of openings, not at each.
        let told_recently = store::openings(&self.db, id, 1)
            .await?
            .first()
            .is_some_and(|o| o.opened_at > now.plus_seconds(-30 * 60).millis());
        let mut tx = self.db.begin().await?;
        store::insert_opening(&mut tx, id, link, &ctx.source_addr, now).await?;
        audit::append(
            &mut tx,
            &anonymous(Outcome::Success, format!("link {link}")),
        )
        .await?;
        tx.commit().await?;
        if !told_recently {
            self.tell_of_opening(
                &record,
                now,
                "カードのリンクが開かれました（救急隊・病院など）",
            )
            .await;
        }
        self.sheet_of(record, now).await
    }

    /// Tells the record's team (or, without a team, its keeper) that its
    /// sheet was opened: a link and the moment, never the name.
    async fn tell_of_opening(&self, record: &EmergencyRecord, now: Timestamp, what: &str) {
        let id = record.id;
        if let Some(pid) = record.patient_id {
            match self.care.patient_space(pid).await {
                Ok(space) => self.care.notify_team(
                    space,
                    TOLD_OF_OPENINGS,
                    UserId(0),
                    TeamNotice {
                        subject: "緊急時情報が開かれました / Emergency card opened".into(),
                        text: format!(
                            "担当の方の緊急時情報の{what}（{}）。\
                             搬送先などを Renkei でご確認ください。\n\
                             The emergency information of a person in your care was opened at {}.",
                            now.to_jst_display(),
                            now.to_jst_display()
                        ),
                        path: format!("/emergency/records/{id}"),
                    },
                ),
                Err(e) => tracing::warn!(error = %e, record = %id, "card opening not mailed"),
            }
        } else {
            // A resident without a team: the desk person who keeps it.
            self.tell_keeper(record, now).await;
        }
    }

    /// The sheet EMS reads of a record: the medical facts, the newest ACP's
    /// medical wishes, and when and by whom it was last verified.
    async fn sheet_of(
        &self,
        record: EmergencyRecord,
        now: Timestamp,
    ) -> Result<EmergencySheet, EmergencyError> {
        let id = record.id;
        let freshness = self.freshness(&record, now).await?;
        let verified_by_name = match record.verified_by {
            Some(u) => store::display_names(&self.db, &[u])
                .await?
                .remove(&u)
                .unwrap_or_default(),
            None => String::new(),
        };
        let today = now.jst_date();
        let acp = self.latest_acp(id).await?;
        Ok(EmergencySheet {
            acp: acp
                .as_ref()
                .map(|v| {
                    v.ems_summary()
                        .into_iter()
                        .map(|a| (a.title.clone(), a.display()))
                        .collect()
                })
                .unwrap_or_default(),
            acp_on: acp.map(|v| v.discussed_on).unwrap_or_default(),
            age: parse_date(&record.birth_date)
                .and_then(|b| age_on(b, today))
                .map(|a| a as i32),
            devices: record.devices(),
            verified_on: record
                .verified_at
                .map(|at| format_date(Timestamp(at).jst_date()))
                .unwrap_or_default(),
            verified_by_name,
            freshness,
            name: record.name,
            kana: record.kana,
            birth_date: record.birth_date,
            address: record.address,
            phone: record.phone,
            family_doctor: record.family_doctor,
            diseases: record.diseases,
            medicines: record.medicines,
            allergies: record.allergies,
            contacts: record.contacts,
            insurance: record.insurance,
            home_file: record.home_file,
            wishes: record.wishes,
            lives_alone: record.lives_alone,
        })
    }

    /// Whether the user reads the region's freshness dashboard (counts,
    /// no names): the municipal officer, the support centre, the region's
    /// administrator.
    pub fn reads_dashboard(p: &Principal) -> bool {
        matches!(
            p.role,
            Role::MunicipalOfficer | Role::Coordinator | Role::RegionAdmin
        ) && p.region_id.is_some()
    }

    /// The freshness dashboard: per municipality of the region, records
    /// registered, current and due, why they are due, and how many depend
    /// on a device or live alone. Counts only, so no patient leaves the
    /// service; the viewing is audited once.
    pub async fn freshness_dashboard(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<Vec<FreshnessLine>, EmergencyError> {
        if !Self::reads_dashboard(p) {
            return Err(ServiceError::Forbidden);
        }
        let region = p.region_id.ok_or(ServiceError::Forbidden)?;
        let mut lines: Vec<FreshnessLine> = store::municipalities(&self.db, region)
            .await?
            .into_iter()
            .map(|(code, name)| FreshnessLine {
                municipality_code: code,
                municipality_name: name,
                reasons: DueReason::ALL
                    .iter()
                    .map(|r| (r.code().to_string(), r.label_ja().to_string(), 0))
                    .collect(),
                ..FreshnessLine::default()
            })
            .collect();
        for r in store::records_of_region(&self.db, region).await? {
            let Some(line) = lines
                .iter_mut()
                .find(|l| l.municipality_code == r.municipality_code)
            else {
                continue;
            };
            let f = self.freshness(&r, now).await?;
            line.registered += 1;
            if f.is_current() {
                line.current += 1;
            } else {
                line.due += 1;
                for reason in &f.reasons {
                    if let Some(slot) = line.reasons.iter_mut().find(|x| x.0 == reason.code()) {
                        slot.2 += 1;
                    }
                }
            }
            if !r.devices().is_empty() {
                line.with_devices += 1;
            }
            if r.lives_alone {
                line.living_alone += 1;
            }
        }
        let mut e = audit_entry(p, ctx, "emergency.dashboard", region, None);
        e.object_kind = "region".into();
        self.audit(vec![e]).await?;
        Ok(lines)
    }

    /// E-mails a team-less record's keeper that its card was opened (a
    /// link, no name); a failure is logged, the opening stands.
    async fn tell_keeper(&self, record: &EmergencyRecord, now: Timestamp) {
        let at = now.to_jst_display();
        self.mail_keeper(
            record,
            "緊急時情報が開かれました / Emergency card opened",
            &format!(
                "担当の方の緊急時情報カードのリンクが {at} に開かれました（救急隊・病院など）。\n\
                 The emergency card of a person you keep was opened at {at}."
            ),
        )
        .await;
    }

    /// E-mails the person who keeps a record (a team-less resident's
    /// keeper) a notice and the record's link, never the resident's name;
    /// no address or a failed send is logged, what happened stands.
    pub(super) async fn mail_keeper(&self, record: &EmergencyRecord, subject: &str, text: &str) {
        let email = match store::email_of(&self.db, record.responsible_user_id).await {
            Ok(Some(e)) if !e.is_empty() => e,
            Ok(_) => return,
            Err(e) => {
                tracing::warn!(error = %e, record = %record.id, subject, "keeper not mailed");
                return;
            }
        };
        let mail = Mail {
            to: email,
            subject: format!("【Renkei】{subject}"),
            body: format!(
                "{text}\n\n{}/emergency/records/{}\n",
                self.public_url, record.id
            ),
        };
        if let Err(e) = self.mailer.send(mail).await {
            tracing::warn!(error = %e, record = %record.id, subject, "keeper not mailed");
        }
    }

    /// The reminder (the job runs hourly): e-mails the person who keeps each record that is
    /// due (a link and the reasons, never the person's name), again every
    /// [`REMIND_EVERY_DAYS`] days while it stays due. A failed send is
    /// counted and tried again next time. Returns (sent, failed).
    pub async fn send_reminders(&self, now: Timestamp) -> Result<(usize, usize), EmergencyError> {
        let again_after = now.plus_seconds(-REMIND_EVERY_DAYS * 24 * 3600).millis();
        let (mut sent, mut failed) = (0, 0);
        for (record, email, reminded_at) in store::records_to_remind(&self.db).await? {
            if email.is_empty() || reminded_at.is_some_and(|at| at > again_after) {
                continue;
            }
            let f = self.freshness(&record, now).await?;
            if f.is_current() {
                continue;
            }
            let mail = Mail {
                to: email,
                subject: "【Renkei】緊急時情報の確認をお願いします / Emergency information to verify".into(),
                body: format!(
                    "担当の緊急時情報に確認が必要です（{}）。内容を本人・家族と確かめ、「内容を確認した」を押してください。\n\
                     Emergency information you keep needs verifying. Sign in to Renkei to check it.\n\n{}/emergency/records/{}\n",
                    f.reasons_ja(),
                    self.public_url,
                    record.id
                ),
            };
            match self.mailer.send(mail).await {
                Ok(()) => {
                    let mut tx = self.db.begin().await?;
                    store::mark_reminded(&mut tx, record.id, now).await?;
                    tx.commit().await?;
                    sent += 1;
                }
                Err(e) => {
                    tracing::warn!(error = %e, record = %record.id, "reminder not sent");
                    failed += 1;
                }
            }
        }
        Ok((sent, failed))
    }
}
