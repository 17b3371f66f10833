//! The transitions service: every rule about admissions, handoff forms,
//! discharges, regional rules and the compliance report, and the audit
//! record of every read and write of patient data.
//!
//! Who may see a stay:
//! - the patient's care team (its professionals), through care's own
//!   access decision ([`Care::patient`]: consent, membership, region);
//! - the staff of the hospital the patient was handed to (members of the
//!   organisation that receives the hospital's handoffs in Renkei), for
//!   that stay only: "a hospital sees only the patients handed to it".
//!
//! Everyone else gets "not found", as for a stay that does not exist, and
//! the attempt is in the audit trail.

use std::collections::HashMap;

use renkei_care::model::{PostInput, SummaryFields};
use renkei_care::Care;
use renkei_directory::service::Directory;
use renkei_domain::care::{MemberStatus, TeamRole};
use renkei_domain::holidays::Holidays;
use renkei_domain::people::Permission;
use renkei_domain::transitions::{
    admission_fee_deadlines, admission_fee_tier, age_on, counted_discharge_contacts,
    discharge_fee_tier, format_date, parse_date, parse_local_datetime, AdmissionTiming,
    BusinessCalendar, ContactChannel, DischargeContact, FeeRules, FormKind, FormStatus,
    ReportedVia, RuleBody, RuleScope, ScreeningFacts,
};
use renkei_domain::{
    EntryId, OrgId, PatientId, RegionId, Role, RuleSetId, StayId, Timestamp, ValidationErrors,
};
use renkei_identity::{Principal, RequestContext};
use renkei_store::audit::{self, AuditEntry, Outcome};
use renkei_store::{Db, ServiceError};
use time::{Duration, PrimitiveDateTime};

use crate::forms::{self, Content, Template};
use crate::model::{
    AdmissionInput, ContactInput, DeliveryInput, FormView, HandoffForm, RuleInForce, RulesView,
    Stay, StayLine, StayView, Viewer,
};
use crate::store;

/// The one error type of the transitions service.
pub type TransitionsError = ServiceError;

fn invalid(field: &str, code: &str, ja: &str, en: &str) -> TransitionsError {
    ServiceError::invalid(field, code, ja, en)
}

/// The transitions capability's service.
#[derive(Clone)]
pub struct Transitions {
    db: Db,
    care: Care,
    directory: Directory,
}

fn audit_entry(
    p: &Principal,
    ctx: &RequestContext,
    action: &str,
    kind: &str,
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
        object_kind: kind.to_string(),
        object_id: id.to_string(),
        patient_id: patient.map(|i| i.to_string()),
        outcome: Some(Outcome::Success),
        source_addr: ctx.source_addr.clone(),
        user_agent: ctx.user_agent.clone(),
        reason: String::new(),
    }
}

/// A value as stored JSON.
fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, TransitionsError> {
    serde_json::to_string(value)
        .map_err(|e| TransitionsError::Store(renkei_store::StoreError::Invalid(e.to_string())))
}

/// The Japan-time calendar day of an instant.
fn jst_day(t: Timestamp) -> time::Date {
    t.to_offset_datetime()
        .to_offset(renkei_domain::timestamp::JST)
        .date()
}

/// The instant of a Japan-time wall-clock moment.
fn jst_instant(at: PrimitiveDateTime) -> i64 {
    let t = at.assume_offset(renkei_domain::timestamp::JST);
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Whether the role takes part in care teams as a professional (the
/// people who record admissions, write forms and staff liaison offices).
fn professional(p: &Principal) -> bool {
    matches!(p.role, Role::Professional | Role::Coordinator)
}

impl Transitions {
    pub fn new(db: Db, care: Care, directory: Directory) -> Self {
        Self {
            db,
            care,
            directory,
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The care service handoffs are written from.
    pub fn care(&self) -> &Care {
        &self.care
    }

    /// The directory hospitals are found in.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    async fn audit(&self, entries: Vec<AuditEntry>) -> Result<(), TransitionsError> {
        let mut tx = self.db.begin().await?;
        for e in &entries {
            audit::append(&mut tx, e).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The public holidays as the directory keeps them (bundled, replaced
    /// by the operator's import of the Cabinet Office file).
    fn holidays(&self) -> std::sync::Arc<Holidays> {
        self.directory.live().holidays()
    }

    /// A professional of the patient's team who may write (care decides).
    async fn require_team_writer(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        now: Timestamp,
    ) -> Result<renkei_care::model::Patient, TransitionsError> {
        let (patient, access) = self.care.patient(p, ctx, patient_id, now).await?;
        if !professional(p) || !access.may_write() || access.team_role() == Some(TeamRole::Family) {
            return Err(TransitionsError::Forbidden);
        }
        Ok(patient)
    }

    /// Who the user is to a stay, or "not found" (audited) when nobody.
    async fn viewer(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        stay: &Stay,
        now: Timestamp,
    ) -> Result<Viewer, TransitionsError> {
        if professional(p) && stay.hospital_org_id.is_some_and(|o| p.org_ids.contains(&o)) {
            return Ok(Viewer::Hospital);
        }
        if professional(p) {
            match self.care.patient(p, ctx, stay.patient_id, now).await {
                Ok((_, access))
                    if access.may_write() && access.team_role() != Some(TeamRole::Family) =>
                {
                    return Ok(Viewer::Team)
                }
                Ok(_) | Err(ServiceError::NotFound) | Err(ServiceError::Forbidden) => {}
                Err(e) => return Err(e),
            }
        }
        let mut e = audit_entry(p, ctx, "stay.read", "stay", stay.id, Some(stay.patient_id));
        e.outcome = Some(Outcome::Denied);
        self.audit(vec![e]).await?;
        Err(TransitionsError::NotFound)
    }

    async fn stay_row(&self, id: StayId) -> Result<Stay, TransitionsError> {
        store::stay(&self.db, id)
            .await?
            .ok_or(TransitionsError::NotFound)
    }

    // ------------------------------------------------------------- rules

    /// The rule version a patient of `region` living in `municipality`
    /// (daily-life area `area`) is judged by on `on` (YYYY-MM-DD): the most
    /// specific adoption in force (area, then municipality, then the whole
    /// region; the latest adopted among equals), and that rule set's
    /// latest version in force on that day. A patient admitted to a
    /// hospital of another region is judged by the patient's region.
    pub async fn rule_in_force(
        &self,
        region: RegionId,
        municipality: &str,
        area: &str,
        on: &str,
    ) -> Result<Option<RuleInForce>, TransitionsError> {
        let adoptions = store::adoptions(&self.db, region).await?;
        let best = adoptions
            .iter()
            .filter(|a| a.adopted_from.as_str() <= on)
            .filter(|a| match a.scope {
                RuleScope::Region => true,
                RuleScope::Municipality => a.scope_code == municipality,
                RuleScope::Area => !area.is_empty() && a.scope_code == area,
            })
            .max_by(|a, b| {
                let rank = |s: RuleScope| match s {
                    RuleScope::Region => 0,
                    RuleScope::Municipality => 1,
                    RuleScope::Area => 2,
                };
                (rank(a.scope), &a.adopted_from, a.id).cmp(&(rank(b.scope), &b.adopted_from, b.id))
            });
        let Some(adoption) = best else {
            return Ok(None);
        };
        let Some(set) = store::rule_set(&self.db, adoption.rule_set_id).await? else {
            return Ok(None);
        };
        let versions = store::rule_versions(&self.db, set.id).await?;
        let version = versions
            .into_iter()
            .filter(|v| v.effective_from.as_str() <= on)
            .max_by(|a, b| (&a.effective_from, a.version).cmp(&(&b.effective_from, b.version)));
        Ok(version.map(|v| RuleInForce {
            rule_set_id: set.id,
            name: set.name.clone(),
            publisher: set.publisher.clone(),
            version_id: v.id,
            version: v.version,
            effective_from: v.effective_from.clone(),
            body: v.body(),
        }))
    }

    async fn rule_of_stay(&self, stay: &Stay) -> Result<Option<RuleInForce>, TransitionsError> {
        let Some(vid) = stay.rule_version_id else {
            return Ok(None);
        };
        let Some(v) = store::rule_version(&self.db, vid).await? else {
            return Ok(None);
        };
        let Some(set) = store::rule_set(&self.db, v.rule_set_id).await? else {
            return Ok(None);
        };
        Ok(Some(RuleInForce {
            rule_set_id: set.id,
            name: set.name,
            publisher: set.publisher,
            version_id: v.id,
            version: v.version,
            effective_from: v.effective_from.clone(),
            body: v.body(),
        }))
    }

    /// Whether the user writes the region's rules (the pages ask before
    /// reading a rule form, so a refused user learns nothing from it).
    pub fn may_edit_rules(p: &Principal) -> bool {
        p.role.may(Permission::EditHandoffRules) && p.region_scope().is_some()
    }

    /// The rules page.
    pub async fn rules(&self, p: &Principal) -> Result<RulesView, TransitionsError> {
        if p.role == Role::Family {
            return Err(TransitionsError::Forbidden);
        }
        let region = p.region_scope().ok_or(TransitionsError::Forbidden)?;
        let mut own = Vec::new();
        for set in store::rule_sets_of_region(&self.db, region).await? {
            let versions = store::rule_versions(&self.db, set.id).await?;
            own.push((set, versions));
        }
        Ok(RulesView {
            own,
            shared_by_others: store::shared_rule_sets(&self.db, region).await?,
            adoptions: store::adoptions(&self.db, region).await?,
            may_edit: Self::may_edit_rules(p),
        })
    }

    /// A rule set with its versions (its own region's, or a shared one).
    pub async fn rule_set(
        &self,
        p: &Principal,
        id: RuleSetId,
    ) -> Result<(crate::model::RuleSet, Vec<crate::model::RuleVersion>), TransitionsError> {
        if p.role == Role::Family {
            return Err(TransitionsError::Forbidden);
        }
        let region = p.region_scope().ok_or(TransitionsError::Forbidden)?;
        let set = store::rule_set(&self.db, id)
            .await?
            .filter(|s| s.region_id == region || s.shared)
            .ok_or(TransitionsError::NotFound)?;
        let versions = store::rule_versions(&self.db, id).await?;
        Ok((set, versions))
    }

    fn check_body(body: &RuleBody) -> Result<(), TransitionsError> {
        body.validate().map_err(|problems| {
            let mut e = ValidationErrors::new();
            for p in problems {
                e.add("body", "rule", &p, &p);
            }
            TransitionsError::Validation(e)
        })
    }

    /// A version takes effect today (Japan time) or later: changing a rule
    /// never rewrites how past handoffs were judged.
    fn check_effective_from(from: &str, now: Timestamp) -> Result<String, TransitionsError> {
        let Some(date) = parse_date(from) else {
            return Err(invalid(
                "effective_from",
                "date",
                "施行日は YYYY-MM-DD の形で入力してください。",
                "Give the effective date as YYYY-MM-DD.",
            ));
        };
        if date < jst_day(now) {
            return Err(invalid(
                "effective_from",
                "past",
                "施行日は今日以降にしてください（過去の判定は変わりません）。",
                "A new version takes effect today or later (past handoffs keep their rule).",
            ));
        }
        Ok(format_date(date))
    }

    /// Creates a rule set with its first version, adopted by the region
    /// for the whole region from the same day unless `adopt` is false.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_rule_set(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        name: &str,
        publisher: &str,
        shared: bool,
        body: &RuleBody,
        effective_from: &str,
        adopt: bool,
        now: Timestamp,
    ) -> Result<RuleSetId, TransitionsError> {
        if !Self::may_edit_rules(p) {
            return Err(TransitionsError::Forbidden);
        }
        let region = p.region_scope().ok_or(TransitionsError::Forbidden)?;
        let mut errors = ValidationErrors::new();
        errors.require("name", name, "ルールの名称", "Name");
        errors.require("publisher", publisher, "策定主体", "Publisher");
        errors.into_result()?;
        Self::check_body(body)?;
        let from = Self::check_effective_from(effective_from, now)?;
        let json = json(body)?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_rule_set(
            &mut tx,
            region,
            name.trim(),
            publisher.trim(),
            shared,
            p.user_id,
            now,
        )
        .await?;
        store::insert_rule_version(&mut tx, id, &from, &json, "初版", p.user_id, now).await?;
        if adopt {
            store::insert_adoption(
                &mut tx,
                region,
                RuleScope::Region,
                "",
                id,
                &from,
                p.user_id,
                now,
            )
            .await?;
        }
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "rule_set.create", "rule_set", id, None),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Adds a version to one of the region's rule sets.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_rule_version(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: RuleSetId,
        body: &RuleBody,
        effective_from: &str,
        note: &str,
        now: Timestamp,
    ) -> Result<i64, TransitionsError> {
        if !Self::may_edit_rules(p) {
            return Err(TransitionsError::Forbidden);
        }
        let region = p.region_scope().ok_or(TransitionsError::Forbidden)?;
        let set = store::rule_set(&self.db, id)
            .await?
            .filter(|s| s.region_id == region)
            .ok_or(TransitionsError::NotFound)?;
        Self::check_body(body)?;
        let from = Self::check_effective_from(effective_from, now)?;
        let json = json(body)?;
        let mut tx = self.db.begin().await?;
        let (_, version) =
            store::insert_rule_version(&mut tx, set.id, &from, &json, note.trim(), p.user_id, now)
                .await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "rule_set.version", "rule_set", id, None),
        )
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// The region adopts a rule set (its own or one another region
    /// shares) for a scope from a day on.
    #[allow(clippy::too_many_arguments)]
    pub async fn adopt(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: RuleSetId,
        scope: &str,
        scope_code: &str,
        from: &str,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        if !Self::may_edit_rules(p) {
            return Err(TransitionsError::Forbidden);
        }
        let region = p.region_scope().ok_or(TransitionsError::Forbidden)?;
        store::rule_set(&self.db, id)
            .await?
            .filter(|s| s.region_id == region || s.shared)
            .ok_or(TransitionsError::NotFound)?;
        let Some(scope) = RuleScope::from_code(scope) else {
            return Err(invalid(
                "scope",
                "choice",
                "適用範囲を選んでください。",
                "Choose a scope.",
            ));
        };
        let code = scope_code.trim();
        match scope {
            RuleScope::Region => {}
            RuleScope::Municipality => {
                let known = store::municipalities(&self.db, region).await?;
                if !known.iter().any(|(c, _)| c == code) {
                    return Err(invalid(
                        "scope_code",
                        "municipality",
                        "圏域の市区町村を選んでください。",
                        "Choose a municipality of the region.",
                    ));
                }
            }
            RuleScope::Area if code.is_empty() => {
                return Err(invalid(
                    "scope_code",
                    "required",
                    "日常生活圏域の名称を入力してください。",
                    "Name the daily-life area.",
                ))
            }
            RuleScope::Area => {}
        }
        let from = Self::check_effective_from(from, now)?;
        let code = if scope == RuleScope::Region { "" } else { code };
        let mut tx = self.db.begin().await?;
        store::insert_adoption(&mut tx, region, scope, code, id, &from, p.user_id, now).await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "rule_set.adopt", "rule_set", id, None),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The municipalities of the user's region (code, name).
    pub async fn municipalities(
        &self,
        p: &Principal,
    ) -> Result<Vec<(String, String)>, TransitionsError> {
        let region = p.region_scope().ok_or(TransitionsError::Forbidden)?;
        Ok(store::municipalities(&self.db, region).await?)
    }

    // --------------------------------------------------------- calendars

    /// An office's business week (the common week when it has not set one).
    pub async fn office_calendar(&self, org: OrgId) -> Result<BusinessCalendar, TransitionsError> {
        Ok(store::office_calendar(&self.db, org)
            .await?
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default())
    }

    /// Sets the business week of one of the user's organisations.
    pub async fn save_office_calendar(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        org: OrgId,
        calendar: &BusinessCalendar,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        if !professional(p) || !p.org_ids.contains(&org) {
            return Err(TransitionsError::Forbidden);
        }
        if let Err(problem) = calendar.validate() {
            return Err(invalid(
                "calendar",
                "calendar",
                &problem,
                "Check the business week.",
            ));
        }
        let json = json(calendar)?;
        let mut tx = self.db.begin().await?;
        store::save_office_calendar(&mut tx, org, &json, p.user_id, now).await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "office_calendar.save", "organisation", org, None),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // -------------------------------------------------------- admissions

    /// Records an admission: the hospital (a directory entry, in or out of
    /// the region), when, whether outside the office's hours, and who
    /// learned of it. Screens the patient by the rule in force, marks a
    /// readmission, and tells the team on its timeline.
    pub async fn record_admission(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        input: &AdmissionInput,
        now: Timestamp,
    ) -> Result<StayId, TransitionsError> {
        let patient = self.require_team_writer(p, ctx, patient_id, now).await?;
        let mut errors = ValidationErrors::new();
        let admitted = parse_local_datetime(&input.admitted_at);
        let today = jst_day(now);
        match admitted {
            None => errors.add(
                "admitted_at",
                "datetime",
                "入院日時を入力してください（例: 2026-12-07 10:30）。",
                "Give the admission date and time.",
            ),
            Some(at)
                if at.date() > today + Duration::days(60)
                    || at.date() < today - Duration::days(366) =>
            {
                errors.add(
                    "admitted_at",
                    "range",
                    "入院日は過去1年から60日先までの日付にしてください。",
                    "The admission day must be within the past year or the next 60 days.",
                )
            }
            Some(_) => {}
        }
        let via = ReportedVia::from_code(&input.reported_via);
        if via.is_none() {
            errors.add(
                "reported_via",
                "choice",
                "誰から入院を知ったかを選んでください。",
                "Choose who reported the admission.",
            );
        }
        let hospital = self
            .directory
            .entry_for_interop(EntryId(input.hospital_entry_id))
            .await
            .map_err(|e| TransitionsError::Conflict(e.to_string()))?;
        if hospital.is_none() {
            errors.add(
                "hospital_entry_id",
                "hospital",
                "医療機関を地域資源から選んでください。",
                "Choose the hospital from the directory.",
            );
        }
        errors.into_result()?;
        let (Some(admitted), Some(via), Some(hospital)) = (admitted, via, hospital) else {
            return Err(TransitionsError::Forbidden);
        };
        let hospital_org = self
            .directory
            .receiving_organisation(hospital.id)
            .await
            .map_err(|e| TransitionsError::Conflict(e.to_string()))?;

        // What the screening looks at: the record, the summary, the team.
        let team = self.care.team(p, ctx, patient.space_id, now).await?;
        let active = |role: TeamRole| {
            team.members
                .iter()
                .any(|m| m.team_role == role && m.status == MemberStatus::Active)
        };
        let office_org = team
            .members
            .iter()
            .find(|m| m.team_role == TeamRole::CareManager && m.status == MemberStatus::Active)
            .and_then(|m| m.org_id);
        let summary = self.care.summary(p, ctx, patient_id, now).await.ok();
        let procedures = summary
            .as_ref()
            .and_then(|s| s.current.as_ref())
            .is_some_and(|s| !s.fields.procedures.trim().is_empty());
        let record = &patient.record;
        let facts = ScreeningFacts {
            age: parse_date(&record.birth_date).and_then(|b| age_on(b, admitted.date())),
            care_level: record.care_level,
            household: record.household,
            dementia: record.independence_dementia,
            medical_procedures: procedures,
            has_care_manager: active(TeamRole::CareManager),
            has_home_doctor: active(TeamRole::AttendingDoctor),
            terminal: input.terminal,
        };
        let municipality = self
            .patient_municipality(&input.municipality_code, patient.region_id, office_org)
            .await?;
        let admitted_on = format_date(admitted.date());
        let rule = self
            .rule_in_force(patient.region_id, &municipality, "", &admitted_on)
            .await?;
        let body = rule.as_ref().map(|r| r.body.clone()).unwrap_or_default();
        let met: Vec<String> = body.screen(&facts).iter().map(|c| c.label_ja()).collect();
        let cases: Vec<&str> = RuleBody::route_cases(&facts, false)
            .iter()
            .map(|c| c.code())
            .collect();
        let admitted_at = jst_instant(admitted);
        if let Some(open) = store::stays_of_patient(&self.db, patient_id)
            .await?
            .into_iter()
            .find(|s| s.discharged_on.is_none() && s.admitted_at <= admitted_at)
        {
            return Err(invalid(
                "admitted_at",
                "still_in_hospital",
                &format!(
                    "{}（{}入院）の退院がまだ記録されていません。先に退院日を記録してください。",
                    open.hospital_name,
                    open.admitted_on()
                ),
                "The previous stay has no discharge yet: record it first.",
            ));
        }
        let readmission_of = match store::last_discharge(&self.db, patient_id, admitted_at).await? {
            Some(prev) => prev
                .discharged_on
                .as_deref()
                .and_then(parse_date)
                .filter(|d| {
                    (admitted.date() - *d).whole_days() <= i64::from(body.readmission_within_days)
                })
                .map(|_| prev.id),
            None => None,
        };
        let calendar = match office_org {
            Some(o) => self.office_calendar(o).await?,
            None => BusinessCalendar::default(),
        };
        let outside_hours = input
            .outside_hours
            .unwrap_or_else(|| calendar.is_outside_hours(admitted, &self.holidays()));
        let screening = json(&met)?;
        let route_cases = json(&cases)?;
        let local = format!(
            "{}T{:02}:{:02}",
            admitted_on,
            admitted.hour(),
            admitted.minute()
        );
        let mut tx = self.db.begin().await?;
        let id = store::insert_stay(
            &mut tx,
            &store::NewStay {
                region_id: patient.region_id,
                patient_id,
                patient_name: &record.name,
                patient_kana: &record.kana,
                patient_birth_date: &record.birth_date,
                municipality_code: &municipality,
                hospital_entry_id: hospital.id,
                hospital_name: &hospital.name,
                hospital_org_id: hospital_org,
                ward: input.ward.trim(),
                admitted_local: &local,
                admitted_at,
                outside_hours,
                reported_via: via,
                reported_by: p.user_id,
                office_org_id: office_org,
                rule_version_id: rule.as_ref().map(|r| r.version_id),
                needs_coordination: !met.is_empty(),
                screening: &screening,
                route_cases: &route_cases,
                terminal: input.terminal,
                readmission_of,
            },
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "stay.create", "stay", id, Some(patient_id)),
        )
        .await?;
        tx.commit().await?;

        // The team hears of it on the patient's timeline.
        let mut body_text = format!(
            "【入院】{} に入院（{} {}）。",
            hospital.name,
            local.replace('T', " "),
            if outside_hours {
                "営業時間外"
            } else {
                "営業時間内"
            }
        );
        if !met.is_empty() {
            body_text.push_str(&format!(" 退院調整が必要: {}。", met.join("、")));
        }
        if readmission_of.is_some() {
            body_text.push_str(" 退院後の再入院です。");
        }
        let post = PostInput {
            category: "other".into(),
            body: body_text,
            urgent: false,
            idempotency_key: format!("transitions-stay-{id}"),
            ..PostInput::default()
        };
        if let Err(e) = self
            .care
            .post(p, ctx, patient.space_id, post, Vec::new(), now)
            .await
        {
            tracing::warn!(error = %e, stay = %id, "could not tell the team of an admission");
        }
        Ok(id)
    }

    /// The patient's municipality: as given (one of the region's), else
    /// the care-management office's, else the region's first.
    async fn patient_municipality(
        &self,
        given: &str,
        region: RegionId,
        office: Option<OrgId>,
    ) -> Result<String, TransitionsError> {
        let known = store::municipalities(&self.db, region).await?;
        let given = given.trim();
        if !given.is_empty() {
            if known.iter().any(|(c, _)| c == given) {
                return Ok(given.to_string());
            }
            return Err(invalid(
                "municipality_code",
                "municipality",
                "圏域の市区町村を選んでください。",
                "Choose a municipality of the region.",
            ));
        }
        if let Some(o) = office {
            let entries = self
                .directory
                .entries_of_organisations(&[o])
                .await
                .map_err(|e| TransitionsError::Conflict(e.to_string()))?;
            if let Some(entry) = entries.get(&o) {
                if let Some(e) = self
                    .directory
                    .entry_for_interop(*entry)
                    .await
                    .map_err(|e| TransitionsError::Conflict(e.to_string()))?
                {
                    if known.iter().any(|(c, _)| *c == e.municipality_code) {
                        return Ok(e.municipality_code);
                    }
                }
            }
        }
        Ok(known.first().map(|(c, _)| c.clone()).unwrap_or_default())
    }

    /// Hospitals and clinics with beds by name, from the directory (in and
    /// out of the region): what an admission names.
    pub fn find_hospitals(&self, text: &str, limit: usize) -> Vec<(EntryId, String, String)> {
        let text = text.trim();
        let q = renkei_directory::search::Query {
            text: (!text.is_empty()).then(|| text.to_string()),
            kinds: vec!["hospital".into(), "clinic".into()],
            limit,
            ..Default::default()
        };
        self.directory
            .live()
            .search(&q)
            .items
            .into_iter()
            .map(|h| (h.entry.id, h.entry.name, h.entry.address))
            .collect()
    }

    /// The patients whose teams the user writes for (name, id): where an
    /// admission is recorded from. Care audits the listing.
    pub async fn my_patients(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<Vec<(PatientId, String)>, TransitionsError> {
        if !professional(p) {
            return Ok(Vec::new());
        }
        Ok(self
            .care
            .my_spaces(p, ctx)
            .await?
            .into_iter()
            .filter(|c| c.status == MemberStatus::Active && c.team_role != TeamRole::Family)
            .filter_map(|c| c.patient_id.map(|id| (id, c.name)))
            .collect())
    }

    /// The open stays of the user's care-management offices.
    pub async fn office_stays(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<Vec<StayLine>, TransitionsError> {
        if !professional(p) {
            return Err(TransitionsError::Forbidden);
        }
        let stays = store::open_stays_of_offices(&self.db, &p.org_ids, 200).await?;
        let entries: Vec<AuditEntry> = stays
            .iter()
            .map(|s| audit_entry(p, ctx, "stays.office", "stay", s.id, Some(s.patient_id)))
            .collect();
        let lines = self.lines(stays).await?;
        if !entries.is_empty() {
            self.audit(entries).await?;
        }
        Ok(lines)
    }

    /// A patient's stays, for the team.
    pub async fn stays_of_patient(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        now: Timestamp,
    ) -> Result<(renkei_care::model::Patient, Vec<StayLine>), TransitionsError> {
        let patient = self.require_team_writer(p, ctx, patient_id, now).await?;
        let stays = store::stays_of_patient(&self.db, patient_id).await?;
        let lines = self.lines(stays).await?;
        self.audit(vec![audit_entry(
            p,
            ctx,
            "stays.list",
            "patient",
            patient_id,
            Some(patient_id),
        )])
        .await?;
        Ok((patient, lines))
    }

    async fn lines(&self, stays: Vec<Stay>) -> Result<Vec<StayLine>, TransitionsError> {
        let ids: Vec<StayId> = stays.iter().map(|s| s.id).collect();
        let forms = store::forms_of_stays(&self.db, &ids).await?;
        let holidays = self.holidays();
        let mut out = Vec::with_capacity(stays.len());
        for stay in stays {
            let form = forms
                .iter()
                .find(|f| f.stay_id == stay.id && f.kind == FormKind::Admission);
            let tier = match form {
                Some(f) => self.tier_of(&stay, f, &holidays).await?,
                None => None,
            };
            out.push(StayLine {
                admission_status: form.map(|f| f.status),
                admission_tier: tier,
                stay,
            });
        }
        Ok(out)
    }

    async fn calendar_of(&self, stay: &Stay) -> Result<BusinessCalendar, TransitionsError> {
        Ok(match stay.office_org_id {
            Some(o) => self.office_calendar(o).await?,
            None => BusinessCalendar::default(),
        })
    }

    async fn tier_of(
        &self,
        stay: &Stay,
        form: &HandoffForm,
        holidays: &Holidays,
    ) -> Result<Option<renkei_domain::transitions::AdmissionFeeTier>, TransitionsError> {
        let (Some(informed), Some(admitted)) = (
            form.informed_on.as_deref().and_then(parse_date),
            parse_local_datetime(&stay.admitted_local),
        ) else {
            return Ok(None);
        };
        let calendar = self.calendar_of(stay).await?;
        Ok(Some(admission_fee_tier(
            AdmissionTiming {
                admitted_at: admitted,
                outside_hours: stay.outside_hours,
                informed_on: informed,
            },
            &calendar,
            holidays,
        )))
    }

    /// The stays handed to the user's hospitals (the liaison's list).
    pub async fn hospital_inbox(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<Vec<StayLine>, TransitionsError> {
        if !professional(p) {
            return Err(TransitionsError::Forbidden);
        }
        let stays = store::stays_of_hospitals(&self.db, &p.org_ids, 200).await?;
        let entries: Vec<AuditEntry> = stays
            .iter()
            .map(|s| audit_entry(p, ctx, "stays.inbox", "stay", s.id, Some(s.patient_id)))
            .collect();
        let lines = self.lines(stays).await?;
        if !entries.is_empty() {
            self.audit(entries).await?;
        }
        Ok(lines)
    }

    /// What needs the user now: for a care-management office, admissions
    /// whose information has not been given and discharges coming within a
    /// week; for a hospital, admission forms not yet acknowledged. Audited
    /// like a listing.
    pub async fn work_list(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<Vec<StayLine>, TransitionsError> {
        if !professional(p) {
            return Ok(Vec::new());
        }
        let today = format_date(jst_day(now));
        let week = format_date(jst_day(now) + Duration::days(7));
        let mut lines = Vec::new();
        for line in self
            .lines(store::open_stays_of_offices(&self.db, &p.org_ids, 100).await?)
            .await?
        {
            let unsent = matches!(line.admission_status, None | Some(FormStatus::Draft));
            let leaving = line
                .stay
                .planned_discharge_on
                .as_deref()
                .is_some_and(|d| d >= today.as_str() && d <= week.as_str());
            if unsent || leaving {
                lines.push(line);
            }
        }
        for line in self
            .lines(store::stays_of_hospitals(&self.db, &p.org_ids, 100).await?)
            .await?
        {
            if matches!(
                line.admission_status,
                Some(FormStatus::Sent | FormStatus::Opened)
            ) {
                lines.push(line);
            }
        }
        let entries: Vec<AuditEntry> = lines
            .iter()
            .map(|l| {
                audit_entry(
                    p,
                    ctx,
                    "stays.work_list",
                    "stay",
                    l.stay.id,
                    Some(l.stay.patient_id),
                )
            })
            .collect();
        if !entries.is_empty() {
            self.audit(entries).await?;
        }
        Ok(lines)
    }

    /// One stay with its forms, contacts, fee tiers and rule.
    pub async fn stay(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        now: Timestamp,
    ) -> Result<StayView, TransitionsError> {
        let stay = self.stay_row(id).await?;
        let viewer = self.viewer(p, ctx, &stay, now).await?;
        let view = self.view_of(stay, viewer, jst_day(now)).await?;
        self.audit(vec![audit_entry(
            p,
            ctx,
            "stay.read",
            "stay",
            id,
            Some(view.stay.patient_id),
        )])
        .await?;
        Ok(view)
    }

    async fn view_of(
        &self,
        stay: Stay,
        viewer: Viewer,
        today: time::Date,
    ) -> Result<StayView, TransitionsError> {
        let holidays = self.holidays();
        let admission_form = store::form(&self.db, stay.id, FormKind::Admission).await?;
        let discharge_form = store::form(&self.db, stay.id, FormKind::Discharge).await?;
        let contacts = store::contacts(&self.db, stay.id).await?;
        let conferences = store::conferences(&self.db, stay.id).await?;
        let admission_tier = match &admission_form {
            Some(f) => self.tier_of(&stay, f, &holidays).await?,
            None => None,
        };
        let calendar = self.calendar_of(&stay).await?;
        let admitted = parse_local_datetime(&stay.admitted_local);
        let deadlines = admitted
            .map(|a| admission_fee_deadlines(a, stay.outside_hours, &calendar, &holidays))
            .map(|(a, b)| (format_date(a), format_date(b)))
            .unwrap_or_default();
        let counted = match admitted {
            Some(a) => {
                let logged: Vec<DischargeContact> = contacts
                    .iter()
                    .filter_map(|c| {
                        parse_date(&c.contacted_on).map(|on| DischargeContact {
                            on,
                            conference: c.conference,
                        })
                    })
                    .collect();
                counted_discharge_contacts(
                    &logged,
                    a.date(),
                    stay.discharged_on.as_deref().and_then(parse_date),
                )
            }
            None => (0, 0),
        };
        let rule = self.rule_of_stay(&stay).await?;
        let notice_days = rule
            .as_ref()
            .map(|r| r.body.discharge_notice_days_before)
            .unwrap_or_else(|| RuleBody::default().discharge_notice_days_before);
        let discharge_notice_on_time = discharge_notice_on_time(&stay, notice_days);
        let body = rule.as_ref().map(|r| r.body.clone()).unwrap_or_default();
        let discharged = stay.discharged_on.as_deref().and_then(parse_date);
        let follow_up_until =
            discharged.map(|d| format_date(d + Duration::days(i64::from(body.follow_up_days))));
        let summary_overdue = summary_overdue(&stay, body.summary_due_days, today);
        let fee_rules = admitted.and_then(|a| FeeRules::in_force(a.date()));
        Ok(StayView {
            viewer,
            admission_form,
            discharge_form,
            contacts,
            conferences,
            summary_overdue,
            follow_up_until,
            admission_tier,
            admission_deadlines: deadlines,
            counted_contacts: counted,
            discharge_tier: discharge_fee_tier(counted.0, counted.1),
            fee_rules,
            rule,
            discharge_notice_on_time,
            stay,
        })
    }

    // ------------------------------------------------------------- forms

    /// A form to read or fill in. The team gets a draft pre-filled from
    /// the record, summary, team and latest vital signs when none is saved;
    /// the hospital sees only a form that was sent, and its first opening
    /// is recorded.
    pub async fn form(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        kind: FormKind,
        now: Timestamp,
    ) -> Result<FormView, TransitionsError> {
        let stay = self.stay_row(id).await?;
        let viewer = self.viewer(p, ctx, &stay, now).await?;
        let saved = store::form(&self.db, id, kind).await?;
        let (form, content) = match (viewer, saved) {
            (Viewer::Hospital, Some(f))
                if f.status != FormStatus::Draft && kind == FormKind::Admission =>
            {
                let mut f = f;
                if f.status == FormStatus::Sent {
                    let mut tx = self.db.begin().await?;
                    if store::mark_opened(&mut tx, f.id, now).await? {
                        f.status = FormStatus::Opened;
                        f.opened_at = Some(now.millis());
                    }
                    tx.commit().await?;
                }
                let content = f.content();
                (f, content)
            }
            (Viewer::Hospital, _) => return Err(TransitionsError::NotFound),
            (Viewer::Team, Some(f)) => {
                let content = f.content();
                (f, content)
            }
            (Viewer::Team, None) => {
                let content = self.prefill(p, ctx, &stay, kind, now).await?;
                let draft = HandoffForm {
                    id: renkei_domain::HandoffFormId(0),
                    stay_id: id,
                    kind,
                    template: Template::national(kind).code,
                    content: String::new(),
                    status: FormStatus::Draft,
                    created_by: p.user_id,
                    created_at: now.millis(),
                    updated_at: now.millis(),
                    sent_at: None,
                    channel: None,
                    informed_on: None,
                    received_by: String::new(),
                    opened_at: None,
                    acknowledged_at: None,
                };
                (draft, content)
            }
        };
        self.audit(vec![audit_entry(
            p,
            ctx,
            &format!("form.{}.read", kind.code()),
            "stay",
            id,
            Some(stay.patient_id),
        )])
        .await?;
        Ok(FormView {
            template: Template::national(kind),
            stay,
            viewer,
            form,
            content,
        })
    }

    /// What the team already knows, in the form's national fields.
    async fn prefill(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        stay: &Stay,
        kind: FormKind,
        now: Timestamp,
    ) -> Result<Content, TransitionsError> {
        let mut c = Content::new();
        let mut put = |k: &str, v: String| {
            if !v.trim().is_empty() {
                c.insert(k.to_string(), v);
            }
        };
        let admitted_on = stay.admitted_on().to_string();
        if kind == FormKind::Discharge {
            put("admitted_on", admitted_on);
            put("ward", format!("{} {}", stay.hospital_name, stay.ward));
            if let Some(d) = &stay.planned_discharge_on {
                put("discharge_planned_on", d.clone());
            }
            return Ok(c);
        }
        let (patient, _) = self.care.patient(p, ctx, stay.patient_id, now).await?;
        let r = &patient.record;
        put("filled_on", format_date(jst_day(now)));
        put("admitted_on", admitted_on);
        put("hospital", stay.hospital_name.clone());
        put("name", r.name.clone());
        put("kana", r.kana.clone());
        put("birth_date", r.birth_date.clone());
        put("address", r.address.clone());
        put("phone", r.phone.clone());
        put("care_level", r.care_level.label_ja().to_string());
        if !r.care_level_from.is_empty() || !r.care_level_to.is_empty() {
            put(
                "care_level_period",
                format!("{}〜{}", r.care_level_from, r.care_level_to),
            );
        }
        put(
            "care_application",
            r.care_application.label_ja().to_string(),
        );
        if let Some(v) = r.independence_physical {
            put("independence_physical", v.code().to_string());
        }
        if let Some(v) = r.independence_dementia {
            put("independence_dementia", v.code().to_string());
        }
        if let Some(h) = r.household {
            put("household", h.label_ja().to_string());
            put(
                "daytime_alone",
                if h == renkei_domain::care::Household::AloneDaytime {
                    "あり"
                } else {
                    "なし"
                }
                .to_string(),
            );
        }
        if let Some(k) = r.contacts.iter().find(|k| k.key_person) {
            put("key_person", format!("{}（{}）", k.name, k.relation));
            put("key_person_contact", k.phone.clone());
        }
        let team = self.care.team(p, ctx, patient.space_id, now).await?;
        let active = |role: TeamRole| {
            team.members
                .iter()
                .find(|m| m.team_role == role && m.status == MemberStatus::Active)
        };
        if let Some(cm) = active(TeamRole::CareManager) {
            put("care_manager", cm.display_name.clone());
            put("office", cm.org_name.clone().unwrap_or_default());
        }
        if let Some(doc) = active(TeamRole::AttendingDoctor) {
            put("family_doctor", doc.display_name.clone());
            put("family_clinic", doc.org_name.clone().unwrap_or_default());
            put("visit_style", "訪問診療".to_string());
        }
        let services: Vec<String> = team
            .members
            .iter()
            .filter(|m| {
                m.status == MemberStatus::Active && !matches!(m.team_role, TeamRole::Family)
            })
            .map(|m| {
                format!(
                    "{}: {}",
                    m.team_role.label_ja(),
                    m.org_name.clone().unwrap_or_else(|| m.display_name.clone())
                )
            })
            .collect();
        put("services_before", services.join("\n"));
        if let Ok(summary) = self.care.summary(p, ctx, stay.patient_id, now).await {
            if let Some(s) = summary.current {
                let SummaryFields {
                    diagnoses,
                    medicines,
                    allergies,
                    adl,
                    procedures,
                    notes,
                } = s.fields;
                put("diseases", diagnoses);
                let mut med = medicines;
                if !allergies.trim().is_empty() {
                    med.push_str(&format!("\nアレルギー: {allergies}"));
                }
                put("medicine_notes", med);
                put("procedures_before", procedures);
                put("outlook_notes", [adl, notes].join("\n").trim().to_string());
            }
        }
        if let Ok((_, posts)) = self.care.vitals(p, ctx, stay.patient_id, 14, now).await {
            if let Some(latest) = posts.iter().max_by_key(|post| post.created_at) {
                let mut parts = Vec::new();
                if let Some(t) = latest.temperature {
                    parts.push(format!("体温 {t:.1}℃"));
                }
                if let (Some(s), Some(d)) = (latest.bp_systolic, latest.bp_diastolic) {
                    parts.push(format!("血圧 {s:.0}/{d:.0}"));
                }
                if let Some(v) = latest.pulse {
                    parts.push(format!("脈拍 {v:.0}"));
                }
                if let Some(v) = latest.spo2 {
                    parts.push(format!("SpO2 {v:.0}%"));
                }
                if !parts.is_empty() {
                    put(
                        "latest_vitals",
                        format!(
                            "{} {}",
                            Timestamp(latest.created_at).to_jst_display(),
                            parts.join(" ")
                        ),
                    );
                }
            }
        }
        Ok(c)
    }

    /// Saves a form the team writes (a sent admission form is final).
    pub async fn save_form(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        kind: FormKind,
        raw: &Content,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let stay = self.stay_row(id).await?;
        if self.viewer(p, ctx, &stay, now).await? != Viewer::Team {
            return Err(TransitionsError::Forbidden);
        }
        if let Some(f) = store::form(&self.db, id, kind).await? {
            if kind == FormKind::Admission && f.status != FormStatus::Draft {
                return Err(TransitionsError::Conflict(
                    "送付済みの入院時情報提供書は変更できません。".into(),
                ));
            }
        }
        let content = forms::check_content(kind, raw).map_err(|problems| {
            let mut e = ValidationErrors::new();
            for (field, msg) in problems {
                e.add(&field, "field", &msg, &msg);
            }
            TransitionsError::Validation(e)
        })?;
        let json = json(&content)?;
        let mut tx = self.db.begin().await?;
        store::save_form(
            &mut tx,
            id,
            kind,
            &Template::national(kind).code,
            &json,
            p.user_id,
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            &audit_entry(
                p,
                ctx,
                &format!("form.{}.save", kind.code()),
                "stay",
                id,
                Some(stay.patient_id),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sends the saved admission form to the hospital's liaison inbox in
    /// Renkei; the information is given today (Japan time).
    pub async fn send_admission_form(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let stay = self.stay_row(id).await?;
        if self.viewer(p, ctx, &stay, now).await? != Viewer::Team {
            return Err(TransitionsError::Forbidden);
        }
        let org = self
            .directory
            .receiving_organisation(stay.hospital_entry_id)
            .await
            .map_err(|e| TransitionsError::Conflict(e.to_string()))?;
        let Some(org) = org else {
            return Err(invalid(
                "channel",
                "not_on_renkei",
                "この医療機関は Renkei で受け取れません。印刷して FAX などで送り、送付を記録してください。",
                "This hospital does not receive handoffs in Renkei: print or fax the form and log it.",
            ));
        };
        self.deliver(
            p,
            ctx,
            &stay,
            Some(org),
            ContactChannel::Renkei,
            jst_day(now),
            "",
            now,
        )
        .await
    }

    /// Logs by hand how the admission form reached a hospital (FAX,
    /// phone, in person, post), and on which day.
    pub async fn log_admission_delivery(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        input: &DeliveryInput,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let stay = self.stay_row(id).await?;
        if self.viewer(p, ctx, &stay, now).await? != Viewer::Team {
            return Err(TransitionsError::Forbidden);
        }
        let mut errors = ValidationErrors::new();
        let channel =
            ContactChannel::from_code(&input.channel).filter(|c| *c != ContactChannel::Renkei);
        if channel.is_none() {
            errors.add(
                "channel",
                "choice",
                "送付方法を選んでください。",
                "Choose how it was sent.",
            );
        }
        let day = parse_date(&input.informed_on);
        match day {
            None => errors.add(
                "informed_on",
                "date",
                "情報提供日を YYYY-MM-DD の形で入力してください。",
                "Give the day as YYYY-MM-DD.",
            ),
            Some(d) if d > jst_day(now) => errors.add(
                "informed_on",
                "future",
                "情報提供日に未来の日付は入力できません。",
                "The day cannot be in the future.",
            ),
            Some(_) => {}
        }
        errors.into_result()?;
        let (Some(channel), Some(day)) = (channel, day) else {
            return Err(TransitionsError::Forbidden);
        };
        self.deliver(
            p,
            ctx,
            &stay,
            None,
            channel,
            day,
            input.received_by.trim(),
            now,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn deliver(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        stay: &Stay,
        org: Option<OrgId>,
        channel: ContactChannel,
        day: time::Date,
        received_by: &str,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let Some(form) = store::form(&self.db, stay.id, FormKind::Admission).await? else {
            return Err(invalid(
                "form",
                "unsaved",
                "先に入院時情報提供書を保存してください。",
                "Save the admission form first.",
            ));
        };
        if form.status != FormStatus::Draft {
            return Err(TransitionsError::Conflict(
                "この入院時情報提供書は送付済みです。".into(),
            ));
        }
        let mut tx = self.db.begin().await?;
        if org.is_some() {
            store::set_hospital_org(&mut tx, stay.id, org, now).await?;
        }
        store::mark_sent(
            &mut tx,
            form.id,
            channel,
            &format_date(day),
            received_by,
            p.user_id,
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            &audit_entry(
                p,
                ctx,
                "form.admission.send",
                "stay",
                stay.id,
                Some(stay.patient_id),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The hospital confirms it has the admission form.
    pub async fn acknowledge_admission_form(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let stay = self.stay_row(id).await?;
        if self.viewer(p, ctx, &stay, now).await? != Viewer::Hospital {
            return Err(TransitionsError::Forbidden);
        }
        let form = store::form(&self.db, id, FormKind::Admission)
            .await?
            .filter(|f| f.status != FormStatus::Draft)
            .ok_or(TransitionsError::NotFound)?;
        if form.status == FormStatus::Acknowledged {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        store::mark_acknowledged(&mut tx, form.id, p.user_id, now).await?;
        audit::append(
            &mut tx,
            &audit_entry(
                p,
                ctx,
                "form.admission.acknowledge",
                "stay",
                id,
                Some(stay.patient_id),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // --------------------------------------------------------- discharge

    /// The planned discharge day, told by the hospital (or noted by the
    /// team when the hospital phoned): the day it was told is kept, so the
    /// report can say whether it came the rule's days ahead.
    pub async fn plan_discharge(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        on: &str,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let stay = self.stay_row(id).await?;
        self.viewer(p, ctx, &stay, now).await?;
        let Some(day) = parse_date(on) else {
            return Err(invalid(
                "planned_discharge_on",
                "date",
                "退院予定日を YYYY-MM-DD の形で入力してください。",
                "Give the planned discharge day as YYYY-MM-DD.",
            ));
        };
        if format_date(day).as_str() < stay.admitted_on() {
            return Err(invalid(
                "planned_discharge_on",
                "before_admission",
                "退院予定日は入院日以降にしてください。",
                "The discharge cannot be before the admission.",
            ));
        }
        let mut tx = self.db.begin().await?;
        store::plan_discharge(&mut tx, id, &format_date(day), p.user_id, now).await?;
        audit::append(
            &mut tx,
            &audit_entry(
                p,
                ctx,
                "stay.plan_discharge",
                "stay",
                id,
                Some(stay.patient_id),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The day the patient left hospital.
    pub async fn record_discharge(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        on: &str,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let stay = self.stay_row(id).await?;
        let viewer = self.viewer(p, ctx, &stay, now).await?;
        let Some(day) = parse_date(on) else {
            return Err(invalid(
                "discharged_on",
                "date",
                "退院日を YYYY-MM-DD の形で入力してください。",
                "Give the discharge day as YYYY-MM-DD.",
            ));
        };
        if format_date(day).as_str() < stay.admitted_on() || day > jst_day(now) {
            return Err(invalid(
                "discharged_on",
                "range",
                "退院日は入院日から今日までの日付にしてください。",
                "The discharge day must be between the admission and today.",
            ));
        }
        let mut tx = self.db.begin().await?;
        store::record_discharge(&mut tx, id, &format_date(day), now).await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "stay.discharge", "stay", id, Some(stay.patient_id)),
        )
        .await?;
        tx.commit().await?;
        // The team hears of it, with the follow-up period of the rule.
        if viewer == Viewer::Team {
            let body = self
                .rule_of_stay(&stay)
                .await?
                .map(|r| r.body)
                .unwrap_or_default();
            let until = format_date(day + Duration::days(i64::from(body.follow_up_days)));
            let post = PostInput {
                category: "other".into(),
                body: format!(
                    "【退院】{} を {} に退院。退院後のフォロー期間は {} まで（{}日）。",
                    stay.hospital_name,
                    format_date(day),
                    until,
                    body.follow_up_days
                ),
                idempotency_key: format!("transitions-discharge-{id}"),
                ..PostInput::default()
            };
            let (patient, _) = self.care.patient(p, ctx, stay.patient_id, now).await?;
            if let Err(e) = self
                .care
                .post(p, ctx, patient.space_id, post, Vec::new(), now)
                .await
            {
                tracing::warn!(error = %e, stay = %id, "could not tell the team of a discharge");
            }
        }
        Ok(())
    }

    /// Logs one contact of the discharge's contact log (the care manager
    /// received the hospital's information: by phone, FAX, in person, or
    /// at a conference).
    pub async fn log_contact(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        input: &ContactInput,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let stay = self.stay_row(id).await?;
        if self.viewer(p, ctx, &stay, now).await? != Viewer::Team {
            return Err(TransitionsError::Forbidden);
        }
        let mut errors = ValidationErrors::new();
        let day = parse_date(&input.contacted_on);
        match day {
            None => errors.add(
                "contacted_on",
                "date",
                "日付を YYYY-MM-DD の形で入力してください。",
                "Give the day as YYYY-MM-DD.",
            ),
            Some(d) if d > jst_day(now) => errors.add(
                "contacted_on",
                "future",
                "未来の日付は記録できません。",
                "The day cannot be in the future.",
            ),
            Some(_) => {}
        }
        let channel = ContactChannel::from_code(&input.channel);
        if channel.is_none() {
            errors.add(
                "channel",
                "choice",
                "連絡方法を選んでください。",
                "Choose how.",
            );
        }
        errors.require(
            "informant_profession",
            &input.informant_profession,
            "情報提供者の職種",
            "Informant's profession",
        );
        errors.require(
            "informant_name",
            &input.informant_name,
            "情報提供者の氏名",
            "Informant's name",
        );
        errors.into_result()?;
        let (Some(day), Some(channel)) = (day, channel) else {
            return Err(TransitionsError::Forbidden);
        };
        let mut tx = self.db.begin().await?;
        store::insert_contact(
            &mut tx,
            id,
            &format_date(day),
            channel,
            input.informant_profession.trim(),
            input.informant_name.trim(),
            input.conference,
            input.note.trim(),
            p.user_id,
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "stay.contact", "stay", id, Some(stay.patient_id)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The team asks the hospital for the discharge summary (退院時サマリー);
    /// its return is then tracked.
    pub async fn request_summary(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let stay = self.stay_row(id).await?;
        if self.viewer(p, ctx, &stay, now).await? != Viewer::Team {
            return Err(TransitionsError::Forbidden);
        }
        let mut tx = self.db.begin().await?;
        store::request_summary(&mut tx, id, now).await?;
        audit::append(
            &mut tx,
            &audit_entry(
                p,
                ctx,
                "stay.summary_request",
                "stay",
                id,
                Some(stay.patient_id),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The discharge summary came back (recorded by the team or the
    /// hospital), with a note of what came and where it is kept.
    pub async fn record_summary_returned(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        on: &str,
        note: &str,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let stay = self.stay_row(id).await?;
        self.viewer(p, ctx, &stay, now).await?;
        let day = parse_date(on)
            .filter(|d| *d <= jst_day(now) && format_date(*d).as_str() >= stay.admitted_on());
        let Some(day) = day else {
            return Err(invalid(
                "summary_returned_on",
                "date",
                "返却日は入院日から今日までの日付を YYYY-MM-DD の形で入力してください。",
                "Give the day it came back, between the admission and today.",
            ));
        };
        if note.chars().count() > 1000 {
            return Err(invalid(
                "summary_note",
                "length",
                "メモは1000文字以内で入力してください。",
                "At most 1000 characters.",
            ));
        }
        let mut tx = self.db.begin().await?;
        store::summary_returned(&mut tx, id, &format_date(day), note.trim(), now).await?;
        audit::append(
            &mut tx,
            &audit_entry(
                p,
                ctx,
                "stay.summary_returned",
                "stay",
                id,
                Some(stay.patient_id),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Schedules a pre-discharge conference (the team or the hospital);
    /// its checklist is the rule's in force for the stay.
    pub async fn schedule_conference(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        input: &crate::model::ConferenceInput,
        now: Timestamp,
    ) -> Result<renkei_domain::ConferenceId, TransitionsError> {
        let stay = self.stay_row(id).await?;
        self.viewer(p, ctx, &stay, now).await?;
        let mut errors = ValidationErrors::new();
        let at = parse_local_datetime(&input.scheduled_at);
        match at {
            None => errors.add(
                "scheduled_at",
                "datetime",
                "日時を入力してください（例: 2026-12-10 14:00）。",
                "Give the date and time.",
            ),
            Some(at) if format_date(at.date()).as_str() < stay.admitted_on() => errors.add(
                "scheduled_at",
                "before_admission",
                "カンファレンスの日時は入院日以降にしてください。",
                "The conference cannot be before the admission.",
            ),
            Some(_) => {}
        }
        if !input.online && input.place.trim().is_empty() {
            errors.add(
                "place",
                "required",
                "場所を入力するか、オンラインを選んでください。",
                "Give the place or choose online.",
            );
        }
        errors.into_result()?;
        let Some(at) = at else {
            return Err(TransitionsError::Forbidden);
        };
        let body = self
            .rule_of_stay(&stay)
            .await?
            .map(|r| r.body)
            .unwrap_or_default();
        let items: Vec<(String, bool)> = body
            .conference_checklist
            .iter()
            .map(|i| (i.clone(), false))
            .collect();
        let local = format!(
            "{}T{:02}:{:02}",
            format_date(at.date()),
            at.hour(),
            at.minute()
        );
        let invited: Vec<&str> = input
            .invited
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let mut tx = self.db.begin().await?;
        let cid = store::insert_conference(
            &mut tx,
            id,
            &local,
            input.place.trim(),
            input.online,
            &invited.join("\n"),
            &json(&items)?,
            p.user_id,
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "stay.conference", "stay", id, Some(stay.patient_id)),
        )
        .await?;
        tx.commit().await?;
        Ok(cid)
    }

    /// Records a held conference: who came, which checklist items were
    /// confirmed, the minutes. It is also one contact of the discharge's
    /// contact log, a conference, on the day it was held.
    pub async fn record_conference(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: StayId,
        input: &crate::model::ConferenceRecord,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        let stay = self.stay_row(id).await?;
        self.viewer(p, ctx, &stay, now).await?;
        let conference = store::conferences(&self.db, id)
            .await?
            .into_iter()
            .find(|c| c.id.0 == input.conference_id)
            .ok_or_else(|| {
                invalid(
                    "conference_id",
                    "conference",
                    "この入院のカンファレンスを選んでください。",
                    "Choose a conference of this stay.",
                )
            })?;
        if conference.status != renkei_domain::transitions::ConferenceStatus::Scheduled {
            return Err(TransitionsError::Conflict(
                "このカンファレンスは記録済みです。".into(),
            ));
        }
        let day = parse_date(&input.held_on)
            .filter(|d| *d <= jst_day(now) && format_date(*d).as_str() >= stay.admitted_on());
        let Some(day) = day else {
            return Err(invalid(
                "held_on",
                "date",
                "開催日は入院日から今日までの日付にしてください。",
                "The day held must be between the admission and today.",
            ));
        };
        let items: Vec<(String, bool)> = conference
            .items()
            .into_iter()
            .map(|(item, _)| {
                let done = input.confirmed.contains(&item);
                (item, done)
            })
            .collect();
        let channel = if conference.online {
            ContactChannel::Online
        } else {
            ContactChannel::Visit
        };
        let mut tx = self.db.begin().await?;
        store::record_conference(
            &mut tx,
            conference.id,
            &format_date(day),
            input.attended.trim(),
            &json(&items)?,
            input.minutes.trim(),
            now,
        )
        .await?;
        store::insert_contact(
            &mut tx,
            id,
            &format_date(day),
            channel,
            "退院前カンファレンス",
            &stay.hospital_name,
            true,
            "",
            p.user_id,
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            &audit_entry(
                p,
                ctx,
                "stay.conference_held",
                "stay",
                id,
                Some(stay.patient_id),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // ------------------------------------------------------------ report

    /// The compliance report of a month (YYYY-MM) for the user's region.
    pub async fn compliance(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        month: &str,
        now: Timestamp,
    ) -> Result<crate::model::ComplianceReport, TransitionsError> {
        if !p.role.may(Permission::ViewHandoffCompliance) {
            return Err(TransitionsError::Forbidden);
        }
        let region = p.region_scope().ok_or(TransitionsError::Forbidden)?;
        let Some(first) = parse_date(&format!("{month}-01")) else {
            return Err(invalid(
                "month",
                "month",
                "月を YYYY-MM の形で指定してください。",
                "Give the month as YYYY-MM.",
            ));
        };
        let next = crate::report::next_month(first);
        let from = jst_instant(PrimitiveDateTime::new(first, time::Time::MIDNIGHT));
        let to = jst_instant(PrimitiveDateTime::new(next, time::Time::MIDNIGHT));
        let month = &format_date(first)[..7];
        let stays = store::stays_of_region_month(&self.db, region, from, to, month).await?;
        let ids: Vec<StayId> = stays.iter().map(|s| s.id).collect();
        let forms = store::forms_of_stays(&self.db, &ids).await?;
        let contacts = store::contacts_of_stays(&self.db, &ids).await?;
        let offices: Vec<OrgId> = stays.iter().filter_map(|s| s.office_org_id).collect();
        let office_names = store::organisation_names(&self.db, &offices).await?;
        let mut calendars = HashMap::new();
        let mut rules = HashMap::new();
        for s in &stays {
            if let Some(o) = s.office_org_id {
                if let std::collections::hash_map::Entry::Vacant(v) = calendars.entry(o) {
                    v.insert(self.office_calendar(o).await?);
                }
            }
            if let Some(r) = s.rule_version_id {
                if let std::collections::hash_map::Entry::Vacant(v) = rules.entry(r) {
                    if let Some(version) = store::rule_version(&self.db, r).await? {
                        v.insert(version.body());
                    }
                }
            }
        }
        let report = crate::report::build(crate::report::Inputs {
            month,
            from,
            to,
            today: jst_day(now),
            stays: &stays,
            forms: &forms,
            contacts: &contacts,
            office_names: &office_names,
            calendars: &calendars,
            rules: &rules,
            holidays: &self.holidays(),
        });
        self.audit(vec![audit_entry(
            p,
            ctx,
            "transitions.compliance",
            "region",
            region,
            None,
        )])
        .await?;
        Ok(report)
    }
}

/// Whether the discharge summary was asked for and has not come back
/// within `due_days` after discharge, as of `today`.
pub fn summary_overdue(stay: &Stay, due_days: u32, today: time::Date) -> bool {
    let Some(discharged) = stay.discharged_on.as_deref().and_then(parse_date) else {
        return false;
    };
    stay.summary_requested_at.is_some()
        && stay.summary_returned_on.is_none()
        && today > discharged + Duration::days(i64::from(due_days))
}

/// Whether the planned discharge was told at least `days` ahead.
pub fn discharge_notice_on_time(stay: &Stay, days: u32) -> Option<bool> {
    let planned = stay.planned_discharge_on.as_deref().and_then(parse_date)?;
    let told = jst_day(Timestamp(stay.discharge_told_at?));
    Some((planned - told).whole_days() >= i64::from(days))
}
