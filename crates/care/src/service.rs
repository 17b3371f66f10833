//! The care service: every rule about patients, consent, teams, posts and
//! the summary, and the audit record of every read and write of patient
//! data. Handlers call these functions; nothing else touches the tables.

use std::collections::HashMap;
use std::sync::Arc;

use renkei_domain::care::{
    AttachmentPurpose, BreakGlassReason, MemberStatus, PostAuthorRole, PostCategory, PostKind,
    SpaceKind, TeamRole, Vitals,
};
use renkei_domain::people::Permission;
use renkei_domain::text::fold;
use renkei_domain::{
    AttachmentId, BreakGlassId, ConsentId, OrgId, PatientId, PostId, Profession, RegionId, Role,
    SpaceId, Timestamp, UserId, ValidationErrors,
};
use renkei_identity::{Principal, RequestContext};
use renkei_mail::{Mail, Mailer};
use renkei_store::audit::{self, AuditEntry, Outcome};
use renkei_store::batch::WriteBatcher;
use renkei_store::{Db, StoreError};
use sha2::{Digest, Sha256};

use crate::access::{self, Access};
use crate::attachments::CheckedUpload;
use crate::model::{
    AttachmentMeta, BreakGlassAccess, BreakGlassRequest, CategoryFilter, Consent, ConsentInput,
    ConsentView, Coverage, DigestRun, Member, Patient, PatientInput, Post, PostDetail, PostInput,
    PostOutcome, PostView, Preferences, Receipt, SpaceCard, SummaryFields, SummaryView, TeamView,
    TimelineQuery, TimelineView,
};
use crate::store;

/// The one error type of the care service: the shape every capability
/// service shares.
pub type CareError = renkei_store::ServiceError;

/// The roles that have `permission`, for queries that select users by role:
/// `Role::may` stays the one place that decides.
fn roles_that_may(permission: Permission) -> Vec<Role> {
    Role::ALL
        .iter()
        .copied()
        .filter(|r| r.may(permission))
        .collect()
}

/// Who in a region is told of every break-glass use: its coordinators and
/// region administrators (those with an e-mail address).
const BREAK_GLASS_WATCHERS: &[Role] = &[Role::Coordinator, Role::RegionAdmin];

fn invalid(field: &str, code: &str, ja: &str, en: &str) -> CareError {
    let mut e = ValidationErrors::new();
    e.add(field, code, ja, en);
    CareError::Validation(e)
}

/// Settings of the care capability.
#[derive(Debug, Clone)]
pub struct CareConfig {
    /// Links in e-mail start here.
    pub public_url: String,
    /// How long break-glass access lasts (default 60 minutes).
    pub break_glass_minutes: i64,
    /// Largest attachment (default 10 MB).
    pub max_attachment_bytes: usize,
    /// Posts per timeline page.
    pub page_size: i64,
    /// Break-glass attempts (found or not) one user may make in 24 hours.
    pub break_glass_per_day: i64,
    /// The hour (Japan time, 0–23) the daily digest of unread posts goes out.
    pub digest_hour: u32,
}

impl Default for CareConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            break_glass_minutes: 60,
            max_attachment_bytes: crate::attachments::DEFAULT_MAX_BYTES,
            page_size: 20,
            break_glass_per_day: 5,
            digest_hour: 7,
        }
    }
}

#[derive(Clone)]
pub struct Care {
    db: Db,
    batcher: WriteBatcher,
    mailer: Arc<dyn Mailer>,
    config: CareConfig,
}

// ------------------------------------------------------------------ inputs

/// A post as its checks found it.
struct CheckedPost {
    category: PostCategory,
    /// Who must acknowledge (urgent posts only).
    ack_role: Option<TeamRole>,
    mentions: Vec<UserId>,
}

// ------------------------------------------------------------------- views

fn audit_entry(
    p: &Principal,
    ctx: &RequestContext,
    action: &str,
    kind: &str,
    id: impl std::fmt::Display,
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
        patient_id: None,
        outcome: Some(Outcome::Success),
        source_addr: ctx.source_addr.clone(),
        user_agent: ctx.user_agent.clone(),
        reason: String::new(),
    }
}

/// The audit record of an action on a space: patient spaces name the patient.
fn space_audit(
    p: &Principal,
    ctx: &RequestContext,
    action: &str,
    space: &store::AccessRow,
    access: Option<&Access>,
) -> AuditEntry {
    let mut e = match space.patient_id {
        Some(pid) => audit_entry(p, ctx, action, "patient", pid),
        None => audit_entry(p, ctx, action, "care_group", space.space_id),
    };
    e.patient_id = space.patient_id.map(|i| i.to_string());
    if let Some(a) = access {
        e.reason = a.audit_reason();
    }
    e
}

/// Points an audit record at one object (a post, an attachment, a consent)
/// of the space it already names.
fn about(mut e: AuditEntry, kind: &str, id: impl std::fmt::Display) -> AuditEntry {
    e.object_kind = kind.to_string();
    e.object_id = id.to_string();
    e
}

/// `@username` tokens of a post body.
pub fn mention_names(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in body.match_indices('@') {
        let before_ok = body[..i]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || !c.is_ascii_alphanumeric());
        if !before_ok {
            continue;
        }
        let name: String = body[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            .collect();
        let name = name.trim_end_matches('.').to_string();
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

fn valid_key(key: &str) -> bool {
    (8..=100).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Care {
    /// Starts the care service (and its group-commit writer).
    pub fn new(db: Db, mailer: Arc<dyn Mailer>, config: CareConfig) -> Self {
        let batcher = WriteBatcher::start(db.clone());
        Self {
            db,
            batcher,
            mailer,
            config,
        }
    }

    pub fn config(&self) -> &CareConfig {
        &self.config
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Appends audit records through the group-commit writer.
    async fn audit(&self, entries: Vec<AuditEntry>) -> Result<(), CareError> {
        self.batcher
            .run(move |tx| {
                Box::pin(async move {
                    for e in &entries {
                        audit::append(tx, e).await?;
                    }
                    Ok(())
                })
            })
            .await?;
        Ok(())
    }

    /// Records a refused attempt on a patient, then refuses.
    async fn deny(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        row: &store::AccessRow,
        action: &str,
    ) -> CareError {
        let mut e = space_audit(p, ctx, action, row, None);
        e.outcome = Some(Outcome::Denied);
        if let Err(err) = self.audit(vec![e]).await {
            tracing::error!(error = %err, "could not audit a denied access");
        }
        CareError::Forbidden
    }

    /// Like [`Care::deny`], but for a caller with no access at all: the
    /// answer is "not found", the same as for an id that does not exist, so
    /// refusals do not reveal which patients, posts or attachments exist
    /// (also across regions). The audit trail still records the attempt.
    async fn conceal(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        row: &store::AccessRow,
        action: &str,
    ) -> CareError {
        let _ = self.deny(p, ctx, row, action).await;
        CareError::NotFound
    }

    async fn coverage(&self, patient_id: PatientId) -> Result<Option<Coverage>, CareError> {
        let consents = store::consents(&self.db, patient_id).await?;
        Ok(consents
            .into_iter()
            .find(|c| c.active())
            .map(|c| c.coverage))
    }

    /// Decides access to a space. `None` with the row when refused.
    async fn access(
        &self,
        p: &Principal,
        space_id: SpaceId,
        now: Timestamp,
    ) -> Result<(store::AccessRow, Option<Access>), CareError> {
        let row = store::access_row(&self.db, space_id, p.user_id, now)
            .await?
            .ok_or(CareError::NotFound)?;
        self.decide(p, row, now)
    }

    /// Access to a patient's team, with the patient read in the same query.
    async fn access_to_patient(
        &self,
        p: &Principal,
        patient_id: PatientId,
        now: Timestamp,
    ) -> Result<(store::AccessRow, Option<Access>, Patient), CareError> {
        let (row, patient) = store::access_row_of_patient(&self.db, patient_id, p.user_id, now)
            .await?
            .ok_or(CareError::NotFound)?;
        let (row, decided) = self.decide(p, row, now)?;
        Ok((row, decided, patient))
    }

    fn decide(
        &self,
        p: &Principal,
        row: store::AccessRow,
        now: Timestamp,
    ) -> Result<(store::AccessRow, Option<Access>), CareError> {
        // Coverage matters only for members outside the registering organisation.
        let needs_coverage = row.consent_id.is_some()
            && row.member_status == Some(MemberStatus::Active)
            && row.member_org_id != row.registering_org_id;
        // The access query read the consent in force with it.
        let coverage = if needs_coverage {
            row.coverage()?
        } else {
            None
        };
        let decided = access::decide(
            &row,
            coverage.as_ref(),
            p.profession,
            p.region_scope(),
            now.millis(),
        );
        Ok((row, decided))
    }

    /// Access or an audited refusal.
    async fn require(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        space_id: SpaceId,
        action: &str,
        now: Timestamp,
    ) -> Result<(store::AccessRow, Access), CareError> {
        let (row, access) = self.access(p, space_id, now).await?;
        match access {
            Some(a) => Ok((row, a)),
            None => Err(self.conceal(p, ctx, &row, action).await),
        }
    }

    async fn space_of_patient(&self, patient_id: PatientId) -> Result<Patient, CareError> {
        store::patient(&self.db, patient_id)
            .await?
            .ok_or(CareError::NotFound)
    }

    /// The patient a space belongs to (`None` for a group).
    pub async fn patient_of_space(
        &self,
        space_id: SpaceId,
    ) -> Result<Option<PatientId>, CareError> {
        Ok(store::patient_by_space(&self.db, space_id)
            .await?
            .map(|p| p.id))
    }

    /// The space a post belongs to.
    pub async fn post_space(&self, post_id: PostId) -> Result<SpaceId, CareError> {
        Ok(store::post(&self.db, post_id)
            .await?
            .ok_or(CareError::NotFound)?
            .space_id)
    }

    /// The space a patient id belongs to.
    pub async fn patient_space(&self, patient_id: PatientId) -> Result<SpaceId, CareError> {
        Ok(self.space_of_patient(patient_id).await?.space_id)
    }

    // --------------------------------------------------------- patients

    /// Registers a patient for one of the user's organisations; the user
    /// becomes the team lead in `team_role`.
    pub async fn register_patient(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        org_id: Option<OrgId>,
        team_role: &str,
        input: &PatientInput,
        now: Timestamp,
    ) -> Result<PatientId, CareError> {
        if !p.role.may(Permission::RegisterPatients) {
            return Err(CareError::Forbidden);
        }
        let region = p.region_scope().ok_or(CareError::Forbidden)?;
        let org = match org_id {
            Some(o) => o,
            None => p.org_ids.first().copied().ok_or_else(|| {
                invalid(
                    "org_id",
                    "no_organisation",
                    "患者を登録するには事業所に所属している必要があります。",
                    "You must belong to an organisation to register patients.",
                )
            })?,
        };
        let mut errors = ValidationErrors::new();
        if !p.org_ids.contains(&org) {
            errors.add(
                "org_id",
                "not_member",
                "所属している事業所を選んでください。",
                "Choose one of your organisations.",
            );
        }
        let role = TeamRole::from_code(team_role);
        if role.is_none() || role == Some(TeamRole::Family) {
            errors.add(
                "team_role",
                "choice",
                "チームでの役割を選んでください。",
                "Choose your role in the team.",
            );
        }
        let fields = match input.check(now) {
            Ok(f) => Some(f),
            Err(v) => {
                errors.0.extend(v.0);
                None
            }
        };
        errors.into_result()?;
        let (Some(fields), Some(role)) = (fields, role) else {
            return Err(CareError::Forbidden);
        };
        let mut tx = self.db.begin().await?;
        let space =
            store::insert_space(&mut tx, region, SpaceKind::Patient, "", "", p.user_id, now)
                .await?;
        let id =
            store::insert_patient(&mut tx, space, region, org, p.user_id, &fields, now).await?;
        store::upsert_member(
            &mut tx,
            &store::NewMember {
                space_id: space,
                user_id: p.user_id,
                org_id: Some(org),
                team_role: role,
                is_lead: true,
                status: MemberStatus::Active,
                invited_by: None,
            },
            now,
        )
        .await?;
        let mut e = audit_entry(p, ctx, "patient.create", "patient", id);
        e.patient_id = Some(id.to_string());
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A patient's basic record (audited read).
    pub async fn patient(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        now: Timestamp,
    ) -> Result<(Patient, Access), CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "patient.read", now)
            .await?;
        self.audit(vec![space_audit(
            p,
            ctx,
            "patient.read",
            &row,
            Some(&access),
        )])
        .await?;
        Ok((patient, access))
    }

    pub async fn update_patient(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        input: &PatientInput,
        now: Timestamp,
    ) -> Result<(), CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "patient.update", now)
            .await?;
        if !access.may_write() || access.team_role() == Some(TeamRole::Family) {
            return Err(self.deny(p, ctx, &row, "patient.update").await);
        }
        let fields = input.check(now)?;
        let mut tx = self.db.begin().await?;
        store::update_patient(&mut tx, patient_id, &fields, now).await?;
        audit::append(
            &mut tx,
            &space_audit(p, ctx, "patient.update", &row, Some(&access)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The user's patients, groups and invitations with unread counts. Only
    /// spaces the user may see right now are listed (a withdrawn consent
    /// removes the patient from other organisations' lists at once); the
    /// listing itself is audited because it shows patient names.
    pub async fn my_spaces(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<Vec<SpaceCard>, CareError> {
        let rows = store::my_spaces(&self.db, p.user_id).await?;
        let mut cards = Vec::with_capacity(rows.len());
        let mut shown_patients = 0usize;
        for r in rows {
            let visible = match (r.patient_id, r.registering_org_id) {
                (Some(_), Some(reg)) => {
                    let role = r.team_role;
                    if r.member_org_id == Some(reg) {
                        true
                    } else if r.consent_id.is_none() {
                        false
                    } else {
                        let c = r.coverage()?;
                        access::covered(c.as_ref(), reg, r.member_org_id, p.profession, role)
                    }
                }
                _ => true,
            };
            if !visible {
                continue;
            }
            if r.patient_id.is_some() {
                shown_patients += 1;
            }
            cards.push(SpaceCard {
                space_id: r.space_id,
                kind: r.kind,
                name: r.patient_name.unwrap_or(r.space_name),
                kana: r.patient_kana.unwrap_or_default(),
                patient_id: r.patient_id,
                status: r.status,
                team_role: r.team_role,
                is_lead: r.is_lead,
                unread: r.unread,
                urgent_open: r.urgent_open,
                last_post_at: r.last_post_at,
            });
        }
        if shown_patients > 0 {
            let mut e = audit_entry(p, ctx, "patient.list", "patient_list", p.user_id);
            e.reason = format!("{shown_patients} patients listed");
            self.audit(vec![e]).await?;
        }
        Ok(cards)
    }

    // ---------------------------------------------------------- consent

    /// Members acting for the registering organisation record and withdraw
    /// consent (they obtained it); so may the team lead.
    fn may_manage_consent(&self, row: &store::AccessRow, access: &Access) -> bool {
        access.may_write()
            && access.team_role() != Some(TeamRole::Family)
            && (access.is_lead()
                || (row.member_org_id.is_some() && row.member_org_id == row.registering_org_id))
    }

    pub async fn consent_view(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        now: Timestamp,
    ) -> Result<ConsentView, CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "patient.consent.read", now)
            .await?;
        let consents = store::consents(&self.db, patient_id).await?;
        let may_record = self.may_manage_consent(&row, &access);
        let organisations = self.region_organisations(row.region_id).await?;
        self.audit(vec![space_audit(
            p,
            ctx,
            "patient.consent.read",
            &row,
            Some(&access),
        )])
        .await?;
        Ok(ConsentView {
            patient,
            access,
            consents,
            may_record,
            organisations,
        })
    }

    async fn region_organisations(
        &self,
        region_id: RegionId,
    ) -> Result<Vec<(OrgId, String)>, CareError> {
        Ok(store::region_organisations(&self.db, region_id).await?)
    }

    pub async fn record_consent(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        input: &ConsentInput,
        form: Option<CheckedUpload>,
        now: Timestamp,
    ) -> Result<ConsentId, CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "patient.consent.record", now)
            .await?;
        if !self.may_manage_consent(&row, &access) {
            return Err(self.deny(p, ctx, &row, "patient.consent.record").await);
        }
        let mut e = ValidationErrors::new();
        crate::model::check_date(
            &mut e,
            "obtained_on",
            &input.obtained_on,
            true,
            "同意取得日",
            "Date obtained",
        );
        if let Some(d) = Timestamp::from_jst_date(input.obtained_on.trim()) {
            if d.millis() > now.millis() {
                e.add(
                    "obtained_on",
                    "future",
                    "同意取得日が未来の日付です。",
                    "The date is in the future.",
                );
            }
        }
        e.require(
            "obtained_by",
            &input.obtained_by,
            "同意を取得した人",
            "Obtained by",
        );
        let orgs: Vec<(OrgId, String)> = self.region_organisations(row.region_id).await?;
        for o in &input.covers_orgs {
            if !orgs.iter().any(|(id, _)| id == o) {
                e.add(
                    "covers_orgs",
                    "unknown",
                    "この圏域の事業所を選んでください。",
                    "Choose organisations of this region.",
                );
                break;
            }
        }
        for prof in &input.covers_professions {
            if Profession::from_code(prof).is_none() {
                e.add(
                    "covers_professions",
                    "unknown",
                    "職種の選択が正しくありません。",
                    "Unknown profession.",
                );
                break;
            }
        }
        if input.covers_orgs.is_empty()
            && input.covers_professions.is_empty()
            && !input.covers_family
        {
            e.add(
                "covers_orgs",
                "empty",
                "同意の範囲（事業所・職種・家族）を一つ以上選んでください。",
                "Choose at least one organisation, profession or family.",
            );
        }
        e.into_result()?;
        let coverage = Coverage {
            org_ids: input.covers_orgs.clone(),
            professions: input
                .covers_professions
                .iter()
                .filter_map(|c| Profession::from_code(c))
                .collect(),
            family: input.covers_family,
        };
        let mut tx = self.db.begin().await?;
        let form_id = match &form {
            Some(f) => Some(
                store::insert_attachment(
                    &mut tx,
                    &store::NewAttachment {
                        space_id: patient.space_id,
                        post_id: None,
                        purpose: AttachmentPurpose::Consent,
                        media_type: f.media_type,
                        sha256: &f.sha256,
                        filename: &f.filename,
                        data: &f.data,
                        thumbnail: f.thumbnail.as_deref(),
                        uploaded_by: p.user_id,
                    },
                    now,
                )
                .await?,
            ),
            None => None,
        };
        // A new consent replaces the one in force.
        store::withdraw_consents(&mut tx, patient_id, p.user_id, "superseded", now).await?;
        let id = store::insert_consent(
            &mut tx,
            &store::NewConsent {
                patient_id,
                coverage: &coverage,
                obtained_on: input.obtained_on.trim(),
                obtained_by: input.obtained_by.trim(),
                signer: input.signer.trim(),
                form_attachment_id: form_id,
                recorded_by: p.user_id,
            },
            now,
        )
        .await?;
        let entry = about(
            space_audit(p, ctx, "patient.consent.record", &row, Some(&access)),
            "consent",
            id,
        );
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Withdraws consent: from this moment only the registering
    /// organisation's members see the patient. Nothing is deleted.
    pub async fn withdraw_consent(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        reason: &str,
        now: Timestamp,
    ) -> Result<(), CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "patient.consent.withdraw", now)
            .await?;
        if !self.may_manage_consent(&row, &access) {
            return Err(self.deny(p, ctx, &row, "patient.consent.withdraw").await);
        }
        if reason.trim().is_empty() {
            return Err(invalid(
                "reason",
                "required",
                "撤回の理由（本人の申し出など）を入力してください。",
                "Give the reason for the withdrawal.",
            ));
        }
        let mut tx = self.db.begin().await?;
        let n =
            store::withdraw_consents(&mut tx, patient_id, p.user_id, reason.trim(), now).await?;
        if n == 0 {
            return Err(CareError::Conflict("no consent is in force".into()));
        }
        let mut entry = space_audit(p, ctx, "patient.consent.withdraw", &row, Some(&access));
        entry.reason = reason.trim().to_string();
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn consents(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        now: Timestamp,
    ) -> Result<Vec<Consent>, CareError> {
        Ok(self.consent_view(p, ctx, patient_id, now).await?.consents)
    }

    // ------------------------------------------------------------- team

    pub async fn team(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        space_id: SpaceId,
        now: Timestamp,
    ) -> Result<TeamView, CareError> {
        let (row, access) = self.require(p, ctx, space_id, "team.read", now).await?;
        let space = store::space(&self.db, space_id)
            .await?
            .ok_or(CareError::NotFound)?;
        let patient = match row.patient_id {
            Some(_) => store::patient_by_space(&self.db, space_id).await?,
            None => None,
        };
        let members = store::members(&self.db, space_id).await?;
        let consent = match row.patient_id {
            Some(pid) => store::consents(&self.db, pid)
                .await?
                .into_iter()
                .find(|c| c.active()),
            None => None,
        };
        let candidates = if access.may_write() && access.team_role() != Some(TeamRole::Family) {
            // The same rule as `invite`: a patient's team takes the roles
            // that may join care teams, a group those of professional groups.
            let permission = match row.patient_id {
                Some(_) => Permission::JoinCareTeams,
                None => Permission::ProfessionalGroups,
            };
            store::region_users(&self.db, row.region_id, &roles_that_may(permission))
                .await?
                .into_iter()
                .filter(|u| {
                    !members
                        .iter()
                        .any(|m| m.user_id == u.id && m.status.holds_place())
                })
                .collect()
        } else {
            Vec::new()
        };
        self.audit(vec![space_audit(p, ctx, "team.read", &row, Some(&access))])
            .await?;
        Ok(TeamView {
            space,
            patient,
            access,
            members,
            consent,
            candidates,
        })
    }

    /// Invites a user. The invitee must be of the same region, may join care
    /// teams, and (for a patient) be covered by the consent in force unless
    /// they belong to the registering organisation.
    pub async fn invite(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        space_id: SpaceId,
        invitee: &str,
        team_role: &str,
        now: Timestamp,
    ) -> Result<(), CareError> {
        let (row, access) = self.require(p, ctx, space_id, "team.invite", now).await?;
        if !access.may_write() || access.team_role() == Some(TeamRole::Family) {
            return Err(self.deny(p, ctx, &row, "team.invite").await);
        }
        let user = match invitee.trim().parse::<UserId>() {
            Ok(id) => store::user(&self.db, id).await?,
            Err(_) => store::user_by_username(&self.db, invitee.trim()).await?,
        };
        let Some(user) = user.filter(|u| !u.disabled && u.region_id == Some(row.region_id)) else {
            return Err(invalid(
                "invitee",
                "unknown",
                "この圏域の利用者を選んでください。",
                "Choose a user of this region.",
            ));
        };
        let (role, profession) = (user.role, user.profession);
        let is_group = row.patient_id.is_none();
        let team_role = if is_group {
            TeamRole::Other
        } else {
            match TeamRole::from_code(team_role) {
                Some(t) => t,
                None => {
                    return Err(invalid(
                        "team_role",
                        "choice",
                        "チームでの役割を選んでください。",
                        "Choose a team role.",
                    ))
                }
            }
        };
        let allowed = if is_group {
            role.may(Permission::ProfessionalGroups)
        } else {
            role.may(Permission::JoinCareTeams)
        };
        if !allowed {
            return Err(invalid(
                "invitee",
                "role",
                "この利用者はチームに参加できない権限です。",
                "This user's role cannot join teams.",
            ));
        }
        if !is_group && ((role == Role::Family) != (team_role == TeamRole::Family)) {
            return Err(invalid(
                "team_role",
                "family",
                "家族の利用者は役割「家族」で、専門職は家族以外の役割で招待してください。",
                "Family users join as family; professionals in a professional role.",
            ));
        }
        let orgs = store::user_orgs(&self.db, user.id).await?;
        // The organisation the member acts for: none for family; the
        // registering one if they belong to it; else one the consent names;
        // else their first. Coverage is then checked once for that choice.
        let coverage = match row.patient_id {
            Some(pid) => self.coverage(pid).await?,
            None => None,
        };
        let named = |o: &OrgId| coverage.as_ref().is_some_and(|c| c.org_ids.contains(o));
        let org_id = match role {
            Role::Family => None,
            _ => row
                .registering_org_id
                .filter(|reg| orgs.contains(reg))
                .or_else(|| orgs.iter().copied().find(named))
                .or_else(|| orgs.first().copied()),
        };
        if let Some(reg) = row.registering_org_id {
            if !access::covered(coverage.as_ref(), reg, org_id, profession, team_role) {
                return Err(invalid(
                    "invitee",
                    "not_consented",
                    "この方は本人の同意の範囲に含まれていません。先に同意の範囲を更新してください。",
                    "The patient's consent does not cover this person; update the consent first.",
                ));
            }
        }
        if let Some(m) = store::member(&self.db, space_id, user.id).await? {
            if m.status.holds_place() {
                return Err(CareError::Conflict("already a member or invited".into()));
            }
        }
        let mut tx = self.db.begin().await?;
        store::upsert_member(
            &mut tx,
            &store::NewMember {
                space_id,
                user_id: user.id,
                org_id,
                team_role,
                is_lead: false,
                status: MemberStatus::Invited,
                invited_by: Some(p.user_id),
            },
            now,
        )
        .await?;
        let mut e = space_audit(p, ctx, "team.invite", &row, Some(&access));
        e.reason = format!("user {} as {}", user.id, team_role.code());
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The invitee accepts (only their own invitation).
    pub async fn accept(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        space_id: SpaceId,
        now: Timestamp,
    ) -> Result<(), CareError> {
        let (row, _) = self.access(p, space_id, now).await?;
        if row.member_status.is_none() {
            return Err(self.conceal(p, ctx, &row, "team.accept").await);
        }
        if row.member_status != Some(MemberStatus::Invited) {
            return Err(self.deny(p, ctx, &row, "team.accept").await);
        }
        if let (Some(pid), Some(reg)) = (row.patient_id, row.registering_org_id) {
            let coverage = self.coverage(pid).await?;
            let role = row.team_role.unwrap_or(TeamRole::Other);
            if !access::covered(
                coverage.as_ref(),
                reg,
                row.member_org_id,
                p.profession,
                role,
            ) {
                return Err(invalid(
                    "consent",
                    "not_consented",
                    "本人の同意の範囲が変わったため、参加できません。",
                    "The patient's consent no longer covers you.",
                ));
            }
        }
        let mut tx = self.db.begin().await?;
        store::set_member_status(&mut tx, space_id, p.user_id, MemberStatus::Active, now).await?;
        audit::append(&mut tx, &space_audit(p, ctx, "team.accept", &row, None)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Leaving (or declining an invitation) ends access at once. The lead
    /// hands over first unless nobody else is left.
    pub async fn leave(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        space_id: SpaceId,
        confirm: bool,
        now: Timestamp,
    ) -> Result<(), CareError> {
        let (row, _) = self.access(p, space_id, now).await?;
        let Some(status) = row.member_status else {
            return Err(self.conceal(p, ctx, &row, "team.leave").await);
        };
        if !status.holds_place() {
            return Err(self.deny(p, ctx, &row, "team.leave").await);
        }
        if !confirm {
            return Err(invalid(
                "confirm",
                "required",
                "確認にチェックを入れてください。",
                "Tick the confirmation.",
            ));
        }
        if row.is_lead == Some(true) {
            let others = store::members(&self.db, space_id)
                .await?
                .into_iter()
                .filter(|m| m.status == MemberStatus::Active && m.user_id != p.user_id)
                .count();
            if others > 0 {
                return Err(invalid(
                    "confirm",
                    "lead",
                    "チームリーダーは、先に他のメンバーにリーダーを交代してから退出してください。",
                    "Hand the lead to another member before leaving.",
                ));
            }
        }
        let invited = status == MemberStatus::Invited;
        let new_status = if invited {
            MemberStatus::Declined
        } else {
            MemberStatus::Left
        };
        let mut tx = self.db.begin().await?;
        store::set_member_status(&mut tx, space_id, p.user_id, new_status, now).await?;
        audit::append(
            &mut tx,
            &space_audit(
                p,
                ctx,
                if invited {
                    "team.decline"
                } else {
                    "team.leave"
                },
                &row,
                None,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The lead hands the lead to another active member.
    pub async fn set_lead(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        space_id: SpaceId,
        user_id: UserId,
        now: Timestamp,
    ) -> Result<(), CareError> {
        let (row, access) = self.require(p, ctx, space_id, "team.lead", now).await?;
        if !access.is_lead() {
            return Err(self.deny(p, ctx, &row, "team.lead").await);
        }
        let target = store::member(&self.db, space_id, user_id).await?;
        match target {
            Some(m) if m.status == MemberStatus::Active && m.team_role != TeamRole::Family => {}
            _ => {
                return Err(invalid(
                    "user_id",
                    "not_member",
                    "リーダーはチームの専門職メンバーから選んでください。",
                    "Choose a professional member of the team.",
                ))
            }
        }
        let mut tx = self.db.begin().await?;
        store::set_lead(&mut tx, space_id, user_id).await?;
        let mut e = space_audit(p, ctx, "team.lead", &row, Some(&access));
        e.reason = format!("lead to user {user_id}");
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The lead opens (or closes) the clinical summary to family members.
    pub async fn set_family_summary(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        space_id: SpaceId,
        open: bool,
        now: Timestamp,
    ) -> Result<(), CareError> {
        let (row, access) = self
            .require(p, ctx, space_id, "team.family_summary", now)
            .await?;
        if !access.is_lead() || row.patient_id.is_none() {
            return Err(self.deny(p, ctx, &row, "team.family_summary").await);
        }
        let mut tx = self.db.begin().await?;
        store::set_family_summary_open(&mut tx, space_id, open).await?;
        let mut e = space_audit(p, ctx, "team.family_summary", &row, Some(&access));
        e.reason = if open {
            "opened to family"
        } else {
            "closed to family"
        }
        .into();
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(())
    }

    // ------------------------------------------------------------ posts

    /// Validates a post: category, text, vital signs (with the plausibility
    /// confirmation), urgency and mentions. Returns the mentioned user ids.
    fn validate_post(
        &self,
        row: &store::AccessRow,
        input: &PostInput,
        members: &[Member],
        uploads: usize,
    ) -> Result<CheckedPost, CareError> {
        let mut e = ValidationErrors::new();
        let category = PostCategory::from_code(&input.category);
        if category.is_none() {
            e.add(
                "category",
                "choice",
                "分類を選んでください。",
                "Choose a category.",
            );
        }
        let body_len = input.body.chars().count();
        if input.body.trim().is_empty() && input.vitals.is_empty() && uploads == 0 {
            e.add(
                "body",
                "required",
                "本文・バイタル・添付のいずれかを入力してください。",
                "Write something, add vital signs or attach a file.",
            );
        }
        if body_len > 10_000 {
            e.add(
                "body",
                "too_long",
                "本文は10,000文字以内です。",
                "At most 10,000 characters.",
            );
        }
        if row.patient_id.is_none() && !input.vitals.is_empty() {
            e.add(
                "vital_temperature",
                "no_patient_information",
                "このグループは患者情報を扱いません。バイタルは患者のタイムラインに書いてください。",
                "This group carries no patient information; post vital signs in the patient's timeline.",
            );
        }
        let warnings = input.vitals.check(&mut e);
        if !input.confirm_unusual {
            for (code, ja, en) in warnings.0 {
                e.add(&format!("vital_{code}"), "unusual", &ja, &en);
            }
        }
        let ack_role = if input.urgent {
            TeamRole::from_code(&input.ack_role)
        } else {
            None
        };
        if input.urgent {
            match ack_role {
                None => e.add(
                    "ack_role",
                    "required",
                    "確認してほしい役割を選んでください。",
                    "Choose who must acknowledge.",
                ),
                Some(role) => {
                    let present = members.iter().any(|m| {
                        m.status == MemberStatus::Active && acknowledges(role, m.team_role)
                    });
                    if !present {
                        e.add(
                            "ack_role",
                            "absent",
                            &format!("このチームに「{}」のメンバーがいません。", role.label_ja()),
                            &format!("Nobody in this team is {}.", role.label_en()),
                        );
                    }
                }
            }
        }
        let mut mentions = Vec::new();
        for name in mention_names(&input.body) {
            match members
                .iter()
                .find(|m| m.status == MemberStatus::Active && username_matches(m, &name))
            {
                Some(m) => mentions.push(m.user_id),
                None => e.add(
                    "body",
                    "mention",
                    &format!("@{name} はこのチームのメンバーではありません。"),
                    &format!("@{name} is not a member of this team."),
                ),
            }
        }
        match category {
            Some(category) if e.is_empty() => Ok(CheckedPost {
                category,
                ack_role,
                mentions,
            }),
            // An unknown category added its field error.
            _ => Err(CareError::Validation(e)),
        }
    }

    /// Posts to a space. A retry with the same idempotency key and the same
    /// content returns the first post; the same key with different content
    /// is a conflict. The answer comes only after the commit.
    pub async fn post(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        space_id: SpaceId,
        input: PostInput,
        uploads: Vec<CheckedUpload>,
        now: Timestamp,
    ) -> Result<PostOutcome, CareError> {
        let (row, access) = self.require(p, ctx, space_id, "post.create", now).await?;
        if !access.may_write() {
            return Err(self.deny(p, ctx, &row, "post.create").await);
        }
        if !valid_key(&input.idempotency_key) {
            return Err(invalid(
                "idempotency_key",
                "invalid",
                "送信キーが正しくありません。画面を読み込み直してください。",
                "Idempotency key must be 8–100 characters of A–Z, a–z, 0–9, '-' or '_'.",
            ));
        }
        let members = store::members(&self.db, space_id).await?;
        let checked = self.validate_post(&row, &input, &members, uploads.len())?;
        if let Some(parent) = input.reply_to {
            match store::post(&self.db, parent).await? {
                Some(pp) if pp.space_id == space_id && pp.reply_to.is_none() => {}
                _ => {
                    return Err(invalid(
                        "reply_to",
                        "unknown",
                        "返信先の投稿が見つかりません。",
                        "The post replied to was not found.",
                    ))
                }
            }
        }
        let vitals = input.vitals.rounded();
        let mut hasher = Sha256::new();
        hasher.update(input.category.as_bytes());
        hasher.update([0]);
        hasher.update(input.body.as_bytes());
        hasher.update([0]);
        let vitals_json = serde_json::to_string(&vitals)
            .map_err(|e| StoreError::Invalid(format!("vital signs as JSON: {e}")))?;
        hasher.update(vitals_json.as_bytes());
        hasher.update(
            format!("|{}|{}|{:?}", input.urgent, input.ack_role, input.reply_to).as_bytes(),
        );
        for u in &uploads {
            hasher.update(u.sha256.as_bytes());
        }
        let request_hash = hex::encode(hasher.finalize());
        let team_role = access.team_role().unwrap_or(TeamRole::Other);
        let new_post = store::NewPost {
            space_id,
            author_id: p.user_id,
            author_role: PostAuthorRole::Team(team_role),
            kind: PostKind::Post,
            category: checked.category,
            search_text: fold(&input.body),
            body: input.body.clone(),
            reply_to: input.reply_to,
            vitals,
            urgent: input.urgent,
            ack_role: checked.ack_role,
            idempotency_key: Some(input.idempotency_key.clone()),
            request_hash: request_hash.clone(),
            mentions: checked.mentions,
        };
        let audit_entry = space_audit(p, ctx, "post.create", &row, Some(&access));
        let author = p.user_id;
        let key = input.idempotency_key.clone();
        enum Done {
            New(PostId),
            Duplicate(PostId),
            KeyReused,
        }
        let done = self
            .batcher
            .run(move |tx| {
                Box::pin(async move {
                    if let Some(existing) = store::post_by_key(tx, author, &key).await? {
                        return Ok(
                            if existing.request_hash == request_hash
                                && existing.space_id == new_post.space_id
                            {
                                Done::Duplicate(existing.id)
                            } else {
                                Done::KeyReused
                            },
                        );
                    }
                    let id = store::insert_post(tx, &new_post, now).await?;
                    for u in &uploads {
                        store::insert_attachment(
                            tx,
                            &store::NewAttachment {
                                space_id: new_post.space_id,
                                post_id: Some(id),
                                purpose: AttachmentPurpose::Post,
                                media_type: u.media_type,
                                sha256: &u.sha256,
                                filename: &u.filename,
                                data: &u.data,
                                thumbnail: u.thumbnail.as_deref(),
                                uploaded_by: author,
                            },
                            now,
                        )
                        .await?;
                    }
                    audit::append(tx, &about(audit_entry, "post", id)).await?;
                    Ok(Done::New(id))
                })
            })
            .await?;
        match done {
            Done::New(id) => {
                if input.urgent {
                    self.notify_urgent(space_id, row.patient_id, author);
                }
                Ok(PostOutcome {
                    post_id: id,
                    duplicate: false,
                })
            }
            Done::Duplicate(id) => Ok(PostOutcome {
                post_id: id,
                duplicate: true,
            }),
            Done::KeyReused => Err(CareError::Conflict(
                "this idempotency key was already used for a different post".into(),
            )),
        }
    }

    /// E-mails the team about an urgent post: a link, never patient content.
    fn notify_urgent(&self, space_id: SpaceId, patient_id: Option<PatientId>, author: UserId) {
        let db = self.db.clone();
        let mailer = self.mailer.clone();
        let link = match patient_id {
            Some(pid) => format!("{}/patients/{pid}", self.config.public_url),
            None => format!("{}/groups/{space_id}", self.config.public_url),
        };
        tokio::spawn(async move {
            let recipients = match store::urgent_recipients(&db, space_id, author).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "urgent recipients");
                    return;
                }
            };
            for r in recipients {
                let mail = Mail {
                    to: r.email.clone(),
                    subject: "【Renkei】至急の確認依頼があります / Urgent post".into(),
                    body: format!(
                        "担当チームに至急の確認依頼が投稿されました。内容は Renkei にログインしてご確認ください。\n\
                         An urgent post needs your attention. Sign in to Renkei to read it.\n\n{link}\n"
                    ),
                };
                if let Err(e) = mailer.send(mail).await {
                    tracing::warn!(error = %e, user = %r.user_id, "urgent mail not sent");
                }
            }
        });
    }

    /// One page of a timeline. Shown posts are marked read and the reading
    /// is audited in one group-committed write before the page is returned.
    pub async fn timeline(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        space_id: SpaceId,
        q: TimelineQuery,
        now: Timestamp,
    ) -> Result<TimelineView, CareError> {
        let allowed = self.require(p, ctx, space_id, "timeline.read", now).await?;
        self.timeline_of(p, ctx, allowed, None, q, now).await
    }

    /// A patient's timeline, addressed by patient id: the patient is read
    /// once and handed on.
    pub async fn patient_timeline(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        q: TimelineQuery,
        now: Timestamp,
    ) -> Result<TimelineView, CareError> {
        let (row, access, patient) = self.access_to_patient(p, patient_id, now).await?;
        let access = match access {
            Some(a) => a,
            None => return Err(self.conceal(p, ctx, &row, "timeline.read").await),
        };
        self.timeline_of(p, ctx, (row, access), Some(patient), q, now)
            .await
    }

    /// A page of a timeline the caller may read (`allowed`: the access
    /// query's row and decision).
    async fn timeline_of(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        allowed: (store::AccessRow, Access),
        patient: Option<Patient>,
        mut q: TimelineQuery,
        now: Timestamp,
    ) -> Result<TimelineView, CareError> {
        let (row, access) = allowed;
        let space_id = row.space_id;
        if q.limit <= 0 {
            q.limit = self.config.page_size;
        }
        let limit = q.limit;
        q.limit += 1;
        if let Some(t) = &q.text {
            let folded = fold(t.trim());
            q.text = (!folded.is_empty()).then_some(folded);
        }
        let mut posts = store::timeline(&self.db, space_id, &q).await?;
        let next_before = if posts.len() as i64 > limit {
            posts.truncate(limit as usize);
            posts.last().map(|p| p.id)
        } else {
            None
        };
        let first_page =
            q.before.is_none() && q.text.is_none() && q.category == CategoryFilter::Any;
        let urgent = if first_page && row.open_urgent > 0 {
            store::open_urgent(&self.db, space_id).await?
        } else {
            Vec::new()
        };
        let search = q.text.is_some();
        let answered: Vec<PostId> = posts
            .iter()
            .filter(|p| p.has_replies)
            .map(|p| p.id)
            .collect();
        let replies = if search {
            Vec::new()
        } else {
            store::replies(&self.db, &answered).await?
        };
        let members = store::members(&self.db, space_id).await?;
        let (urgent, posts) = self
            .views(p, &access, &members, posts, replies, urgent)
            .await?;
        // Receipts: what this page showed, by a member (break-glass readers
        // leave no receipt: they are not part of the team's conversation).
        let mut shown: Vec<PostId> = Vec::new();
        // A read-only API token leaves no receipt: it may change nothing.
        if access.may_write() && p.may_write() {
            for v in urgent.iter().chain(posts.iter()) {
                if v.post.author_id != p.user_id
                    && !v.receipts.iter().any(|r| r.user_id == p.user_id)
                {
                    shown.push(v.post.id);
                }
                for r in &v.replies {
                    if r.post.author_id != p.user_id
                        && !r.receipts.iter().any(|x| x.user_id == p.user_id)
                    {
                        shown.push(r.post.id);
                    }
                }
            }
            shown.sort_unstable();
            shown.dedup();
        }
        let entry = space_audit(p, ctx, "timeline.read", &row, Some(&access));
        let user = p.user_id;
        self.batcher
            .run(move |tx| {
                Box::pin(async move {
                    store::mark_read(tx, user, &shown, now).await?;
                    audit::append(tx, &entry).await?;
                    Ok(())
                })
            })
            .await?;
        let patient = match (patient, row.patient_id) {
            (Some(pt), _) => Some(pt),
            (None, Some(_)) => store::patient_by_space(&self.db, space_id).await?,
            (None, None) => None,
        };
        Ok(TimelineView {
            space: row.space(),
            patient,
            consent_active: row.consent_id.is_some(),
            access,
            urgent,
            posts,
            next_before,
            members,
        })
    }

    async fn views(
        &self,
        p: &Principal,
        access: &Access,
        members: &[Member],
        posts: Vec<Post>,
        replies: Vec<Post>,
        urgent: Vec<Post>,
    ) -> Result<(Vec<PostView>, Vec<PostView>), CareError> {
        let posts = shown_to(access, p, posts);
        let replies = shown_to(access, p, replies);
        let urgent = shown_to(access, p, urgent);
        let mut with_files: Vec<PostId> = posts
            .iter()
            .chain(replies.iter())
            .chain(urgent.iter())
            .filter(|p| p.has_attachments)
            .map(|p| p.id)
            .collect();
        with_files.sort_unstable();
        with_files.dedup();
        let attachments = store::attachments_of_posts(&self.db, &with_files).await?;
        // Readers are (or were) members: the team list names them.
        let names: HashMap<UserId, &str> = members
            .iter()
            .map(|m| (m.user_id, m.display_name.as_str()))
            .collect();
        let receipts_of = |post: &Post| -> Vec<Receipt> {
            post.readers()
                .into_iter()
                .map(|(user_id, read_at)| Receipt {
                    post_id: post.id,
                    user_id,
                    display_name: names.get(&user_id).copied().unwrap_or("—").to_string(),
                    read_at,
                })
                .collect()
        };
        let mut files: HashMap<PostId, Vec<AttachmentMeta>> = HashMap::new();
        for a in attachments {
            if let Some(pid) = a.post_id {
                files.entry(pid).or_default().push(a);
            }
        }
        let me = p.user_id;
        let my_handle = format!("@{}", p.username);
        let lead = access.is_lead();
        let role = access.team_role();
        let make = |post: Post| -> PostView {
            let mine = post.author_id == me && post.kind == PostKind::Post;
            let open = post.withdrawn_at.is_none();
            PostView {
                receipts: receipts_of(&post),
                attachments: if open {
                    files.get(&post.id).cloned().unwrap_or_default()
                } else {
                    Vec::new()
                },
                mentions_me: post.body.contains(&my_handle),
                may_ack: open
                    && post.urgent
                    && post.acked_at.is_none()
                    && role.is_some_and(|r| post.ack_role.is_some_and(|a| acknowledges(a, r))),
                may_edit: mine && open && access.may_write(),
                may_withdraw: open
                    && access.may_write()
                    && (mine || (lead && post.kind == PostKind::Post)),
                replies: Vec::new(),
                post,
            }
        };
        let mut reply_views: HashMap<PostId, Vec<PostView>> = HashMap::new();
        for r in replies {
            if let Some(parent) = r.reply_to {
                reply_views.entry(parent).or_default().push(make(r));
            }
        }
        let urgent_views = urgent.into_iter().map(&make).collect();
        let post_views = posts
            .into_iter()
            .map(|post| {
                let id = post.id;
                let mut v = make(post);
                v.replies = reply_views.remove(&id).unwrap_or_default();
                v
            })
            .collect();
        Ok((urgent_views, post_views))
    }

    async fn post_and_access(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        post_id: PostId,
        action: &str,
        now: Timestamp,
    ) -> Result<(Post, store::AccessRow, Access), CareError> {
        let post = store::post(&self.db, post_id)
            .await?
            .ok_or(CareError::NotFound)?;
        let (row, access) = self.require(p, ctx, post.space_id, action, now).await?;
        Ok((post, row, access))
    }

    /// Acknowledges an urgent post: only a member holding the named role
    /// (a 副主治医 covers for the 主治医).
    pub async fn acknowledge(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        post_id: PostId,
        now: Timestamp,
    ) -> Result<SpaceId, CareError> {
        let (post, row, access) = self
            .post_and_access(p, ctx, post_id, "post.acknowledge", now)
            .await?;
        let allowed = post.urgent
            && access
                .team_role()
                .is_some_and(|r| post.ack_role.is_some_and(|a| acknowledges(a, r)));
        if !allowed {
            return Err(self.deny(p, ctx, &row, "post.acknowledge").await);
        }
        if post.acked_at.is_some() {
            return Err(CareError::Conflict("already acknowledged".into()));
        }
        let e = about(
            space_audit(p, ctx, "post.acknowledge", &row, Some(&access)),
            "post",
            post_id,
        );
        let user = p.user_id;
        let done = self
            .batcher
            .run(move |tx| {
                Box::pin(async move {
                    if !store::acknowledge(tx, post_id, user, now).await? {
                        return Ok(false);
                    }
                    store::mark_read(tx, user, &[post_id], now).await?;
                    audit::append(tx, &e).await?;
                    Ok(true)
                })
            })
            .await?;
        if !done {
            return Err(CareError::Conflict("already acknowledged".into()));
        }
        Ok(post.space_id)
    }

    /// Marks one post read (the API's explicit receipt).
    pub async fn mark_read(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        post_id: PostId,
        now: Timestamp,
    ) -> Result<(), CareError> {
        let (post, row, access) = self
            .post_and_access(p, ctx, post_id, "post.read", now)
            .await?;
        if !access.may_write() {
            return Err(self.deny(p, ctx, &row, "post.read").await);
        }
        let e = about(
            space_audit(p, ctx, "post.read", &row, Some(&access)),
            "post",
            post.id,
        );
        let user = p.user_id;
        self.batcher
            .run(move |tx| {
                Box::pin(async move {
                    store::mark_read(tx, user, &[post_id], now).await?;
                    audit::append(tx, &e).await?;
                    Ok(())
                })
            })
            .await?;
        Ok(())
    }

    /// A post with its receipts, replies and earlier versions (audited).
    pub async fn post_detail(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        post_id: PostId,
        now: Timestamp,
    ) -> Result<PostDetail, CareError> {
        let (post, row, access) = self
            .post_and_access(p, ctx, post_id, "post.read", now)
            .await?;
        let replies = store::replies(&self.db, &[post.id]).await?;
        let members = store::members(&self.db, post.space_id).await?;
        let (_, mut views) = self
            .views(p, &access, &members, vec![post], replies, Vec::new())
            .await?;
        let view = views.pop().ok_or(CareError::NotFound)?;
        // A withdrawn post's earlier texts are its author's alone; the team
        // sees the marker and the reason. The versions stay in the database
        // and the audit trail records every edit and the withdrawal.
        let versions = if view.post.withdrawn_at.is_some() && view.post.author_id != p.user_id {
            Vec::new()
        } else {
            store::post_versions(&self.db, &[post_id])
                .await?
                .into_iter()
                .map(|(_, v)| v)
                .collect()
        };
        let e = about(
            space_audit(p, ctx, "post.read", &row, Some(&access)),
            "post",
            post_id,
        );
        self.audit(vec![e]).await?;
        Ok(PostDetail {
            view,
            versions,
            space_id: row.space_id,
            patient_id: row.patient_id,
        })
    }

    /// The author edits a post; the earlier text stays as a visible version.
    pub async fn edit_post(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        post_id: PostId,
        input: PostInput,
        now: Timestamp,
    ) -> Result<SpaceId, CareError> {
        let (post, row, access) = self
            .post_and_access(p, ctx, post_id, "post.edit", now)
            .await?;
        if post.author_id != p.user_id || post.kind != PostKind::Post || !access.may_write() {
            return Err(self.deny(p, ctx, &row, "post.edit").await);
        }
        if post.withdrawn_at.is_some() {
            return Err(CareError::Conflict("the post was withdrawn".into()));
        }
        let members = store::members(&self.db, post.space_id).await?;
        // The urgency of a post is not editable; only its content is checked.
        let check = PostInput {
            urgent: false,
            ..input.clone()
        };
        let attachments = store::attachments_of_posts(&self.db, &[post_id])
            .await?
            .len();
        let checked = self.validate_post(&row, &check, &members, attachments)?;
        let vitals = input.vitals.rounded();
        let mut tx = self.db.begin().await?;
        let current = store::post_in_tx(&mut tx, post_id)
            .await?
            .ok_or(CareError::NotFound)?;
        store::edit_post(
            &mut tx,
            &current,
            checked.category,
            &input.body,
            &fold(&input.body),
            &vitals,
            p.user_id,
            now,
        )
        .await?;
        let e = about(
            space_audit(p, ctx, "post.edit", &row, Some(&access)),
            "post",
            post_id,
        );
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(post.space_id)
    }

    /// Withdraws a post (its author, or the team lead): the text leaves the
    /// timeline, a marker stays, and the audit trail says who and why.
    pub async fn withdraw_post(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        post_id: PostId,
        reason: &str,
        now: Timestamp,
    ) -> Result<SpaceId, CareError> {
        let (post, row, access) = self
            .post_and_access(p, ctx, post_id, "post.withdraw", now)
            .await?;
        let mine = post.author_id == p.user_id;
        if !access.may_write() || post.kind != PostKind::Post || !(mine || access.is_lead()) {
            return Err(self.deny(p, ctx, &row, "post.withdraw").await);
        }
        if reason.trim().is_empty() {
            return Err(invalid(
                "reason",
                "required",
                "取り消しの理由を入力してください。",
                "Give a reason.",
            ));
        }
        let mut tx = self.db.begin().await?;
        if !store::withdraw_post(&mut tx, post_id, p.user_id, reason.trim(), now).await? {
            return Err(CareError::Conflict("already withdrawn".into()));
        }
        let mut e = about(
            space_audit(p, ctx, "post.withdraw", &row, Some(&access)),
            "post",
            post_id,
        );
        e.reason = reason.trim().to_string();
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(post.space_id)
    }

    /// Who has read a post, and when.
    pub async fn receipts(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        post_id: PostId,
        now: Timestamp,
    ) -> Result<Vec<Receipt>, CareError> {
        Ok(self.post_detail(p, ctx, post_id, now).await?.view.receipts)
    }

    /// An attachment's bytes (audited). Consent forms are for professionals.
    pub async fn attachment(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: AttachmentId,
        thumbnail: bool,
        now: Timestamp,
    ) -> Result<(AttachmentMeta, Vec<u8>), CareError> {
        let meta = store::attachment_meta(&self.db, id)
            .await?
            .ok_or(CareError::NotFound)?;
        let (row, access) = self
            .require(p, ctx, meta.space_id, "attachment.read", now)
            .await?;
        if meta.purpose == AttachmentPurpose::Consent && !access.sees_clinical() {
            return Err(self.deny(p, ctx, &row, "attachment.read").await);
        }
        if let Some(post_id) = meta.post_id {
            if let Some(post) = store::post(&self.db, post_id).await? {
                if post.withdrawn_at.is_some() {
                    return Err(CareError::NotFound);
                }
            }
        }
        let bytes = store::attachment_bytes(&self.db, id, thumbnail)
            .await?
            .ok_or(CareError::NotFound)?;
        let e = about(
            space_audit(p, ctx, "attachment.read", &row, Some(&access)),
            "attachment",
            id,
        );
        self.audit(vec![e]).await?;
        Ok((meta, bytes))
    }

    /// Posts with vital signs of the last `days` days, for the charts.
    pub async fn vitals(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        days: i64,
        now: Timestamp,
    ) -> Result<(Patient, Vec<Post>), CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "vitals.read", now)
            .await?;
        if !access.sees_vitals() {
            return Err(self.deny(p, ctx, &row, "vitals.read").await);
        }
        let since = now.plus_seconds(-days.clamp(1, 3650) * 86_400);
        let posts = store::vitals_since(&self.db, patient.space_id, since).await?;
        self.audit(vec![space_audit(
            p,
            ctx,
            "vitals.read",
            &row,
            Some(&access),
        )])
        .await?;
        Ok((patient, posts))
    }

    // ---------------------------------------------------------- summary

    pub async fn summary(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        now: Timestamp,
    ) -> Result<SummaryView, CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "summary.read", now)
            .await?;
        if !access.sees_clinical() {
            return Err(self.deny(p, ctx, &row, "summary.read").await);
        }
        let history = store::summaries(&self.db, patient_id).await?;
        self.audit(vec![space_audit(
            p,
            ctx,
            "summary.read",
            &row,
            Some(&access),
        )])
        .await?;
        Ok(SummaryView {
            patient,
            access,
            current: history.first().cloned(),
            history,
        })
    }

    /// Saves a new version of the summary. `base_version` is the version the
    /// writer started from; if someone saved in between, the save is refused
    /// so nobody overwrites a colleague's change unseen.
    pub async fn save_summary(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        base_version: i64,
        fields: &SummaryFields,
        now: Timestamp,
    ) -> Result<i64, CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "summary.update", now)
            .await?;
        if !access.may_write() || access.team_role() == Some(TeamRole::Family) {
            return Err(self.deny(p, ctx, &row, "summary.update").await);
        }
        let mut e = ValidationErrors::new();
        for (field, value) in [
            ("diagnoses", &fields.diagnoses),
            ("medicines", &fields.medicines),
            ("allergies", &fields.allergies),
            ("adl", &fields.adl),
            ("procedures", &fields.procedures),
            ("notes", &fields.notes),
        ] {
            if value.chars().count() > 5_000 {
                e.add(
                    field,
                    "too_long",
                    "5,000文字以内で入力してください。",
                    "At most 5,000 characters.",
                );
            }
        }
        e.into_result()?;
        let current = store::summaries(&self.db, patient_id)
            .await?
            .first()
            .map(|s| s.version)
            .unwrap_or(0);
        if current != base_version {
            return Err(CareError::Conflict(format!(
                "the summary was changed by someone else (now version {current}); reload and apply your change again"
            )));
        }
        let version = current + 1;
        let mut tx = self.db.begin().await?;
        store::insert_summary(&mut tx, patient_id, version, fields, p.user_id, now)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    CareError::Conflict("the summary was changed at the same moment; reload".into())
                }
                other => CareError::Store(other),
            })?;
        let mut a = space_audit(p, ctx, "summary.update", &row, Some(&access));
        a.reason = format!("version {version}");
        audit::append(&mut tx, &a).await?;
        tx.commit().await?;
        Ok(version)
    }

    // ------------------------------------------------------ break-glass

    /// Emergency access for a coordinator or EMS user who knows whom they
    /// look for (insured number or patient id): a reason is required, the
    /// access is read-only and time-limited, the team sees a notice in the
    /// timeline and gets an e-mail, and the audit record is flagged.
    pub async fn break_glass(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        request: &BreakGlassRequest,
        now: Timestamp,
    ) -> Result<PatientId, CareError> {
        if !p.role.may(Permission::BreakGlass) {
            return Err(CareError::Forbidden);
        }
        let region = p.region_scope().ok_or(CareError::Forbidden)?;
        let (insured, name_key, birth_date, reason) = request.check()?;
        // The attempt is recorded (committed) before it is counted, so that
        // parallel requests cannot all slip under the limit: each counts at
        // least every attempt committed before its own.
        let mut tx = self.db.begin().await?;
        let attempt = store::insert_break_glass_attempt(&mut tx, p.user_id, now, false).await?;
        tx.commit().await?;
        let since = now.plus_seconds(-86_400);
        let attempts = store::break_glass_attempts_since(&self.db, p.user_id, since).await?;
        if attempts > self.config.break_glass_per_day {
            let mut a = audit_entry(p, ctx, "patient.break_glass", "patient", 0);
            a.outcome = Some(Outcome::Denied);
            a.reason = format!(
                "limit of {} a day reached: {reason}",
                self.config.break_glass_per_day
            );
            self.audit(vec![a]).await?;
            return Err(CareError::Limited(self.config.break_glass_per_day));
        }
        let found = store::find_patients_for_break_glass(
            &self.db,
            region,
            &insured,
            &name_key,
            &birth_date,
        )
        .await?;
        let patient = match found.as_slice() {
            [one] => one.clone(),
            many => {
                let mut tx = self.db.begin().await?;
                let mut a = audit_entry(p, ctx, "patient.break_glass", "patient", 0);
                a.outcome = Some(Outcome::Failure);
                a.reason = format!(
                    "{} for the identification given: {reason}",
                    if many.is_empty() {
                        "no patient"
                    } else {
                        "several patients"
                    }
                );
                audit::append(&mut tx, &a).await?;
                tx.commit().await?;
                return Err(if many.is_empty() {
                    invalid(
                        "insured_number",
                        "not_found",
                        "該当する患者が見つかりません。被保険者番号、または氏名と生年月日を確かめてください。",
                        "No patient matches. Check the insured number, or the name and birth date.",
                    )
                } else {
                    invalid(
                        "insured_number",
                        "ambiguous",
                        "氏名と生年月日が同じ患者が複数います。被保険者番号で探してください。",
                        "Several patients share this name and birth date. Use the insured number.",
                    )
                });
            }
        };
        let expires = now.plus_seconds(self.config.break_glass_minutes * 60);
        let mut tx = self.db.begin().await?;
        store::mark_break_glass_attempt_found(&mut tx, attempt).await?;
        let id = store::insert_break_glass(&mut tx, patient.id, p.user_id, &reason, now, expires)
            .await?;
        let body = format!(
            "緊急アクセス: {}（{}）が {} まで閲覧しています。理由: {}\nBreak-glass access by {} until {}. Reason: {}",
            p.display_name,
            p.role.label_ja(),
            expires.to_jst_display(),
            reason,
            p.display_name,
            expires.to_jst_display(),
            reason
        );
        store::insert_post(
            &mut tx,
            &store::NewPost {
                space_id: patient.space_id,
                author_id: p.user_id,
                author_role: PostAuthorRole::BreakGlass,
                kind: PostKind::Notice,
                category: PostCategory::Other,
                search_text: fold(&body),
                body,
                reply_to: None,
                vitals: Vitals::default(),
                urgent: false,
                ack_role: None,
                idempotency_key: None,
                request_hash: String::new(),
                mentions: Vec::new(),
            },
            now,
        )
        .await?;
        let mut a = audit_entry(p, ctx, "patient.break_glass", "patient", patient.id);
        a.patient_id = Some(patient.id.to_string());
        a.reason = format!("break-glass #{id}: {reason}");
        audit::append(&mut tx, &a).await?;
        tx.commit().await?;
        self.notify_urgent(patient.space_id, Some(patient.id), p.user_id);
        self.notify_break_glass_watchers(region, p, id, request.reason_code, now);
        Ok(patient.id)
    }

    /// Tells the region's coordinators and administrators of a break-glass
    /// use: who, when and why (the reason category), never which patient,
    /// since e-mail carries no patient information. They find the record in
    /// the audit trail by its number.
    fn notify_break_glass_watchers(
        &self,
        region_id: RegionId,
        p: &Principal,
        id: BreakGlassId,
        reason: BreakGlassReason,
        at: Timestamp,
    ) {
        let db = self.db.clone();
        let mailer = self.mailer.clone();
        let who = format!("{}（{}）", p.display_name, p.role.label_ja());
        let link = format!(
            "{}/admin/audit?action=patient.break_glass",
            self.config.public_url
        );
        let actor = p.user_id;
        tokio::spawn(async move {
            let recipients = match store::break_glass_watchers(
                &db,
                region_id,
                BREAK_GLASS_WATCHERS,
                actor,
            )
            .await
            {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "break-glass watchers");
                    return;
                }
            };
            for r in recipients {
                let mail = Mail {
                    to: r.email.clone(),
                    subject: format!("【Renkei】緊急アクセスが使われました #{id} / Break-glass access used"),
                    body: format!(
                        "圏域内で緊急アクセスが使われました。\n利用者: {who}\n日時: {}\n理由の分類: {}\n記録番号: #{id}\n\n\
                         Break-glass access was used in your region by {who} at {} ({}), record #{id}.\n\n{link}\n",
                        at.to_jst_display(),
                        reason.label_ja(),
                        at.to_jst_display(),
                        reason.label_en(),
                    ),
                };
                if let Err(e) = mailer.send(mail).await {
                    tracing::warn!(error = %e, user = %r.user_id, "break-glass notice not sent");
                }
            }
        });
    }

    pub async fn active_break_glass(
        &self,
        p: &Principal,
        now: Timestamp,
    ) -> Result<Vec<BreakGlassAccess>, CareError> {
        Ok(store::active_break_glass(&self.db, p.user_id, now).await?)
    }

    // ----------------------------------------------------------- groups

    /// Creates a regional professional group (no patient information).
    pub async fn create_group(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        name: &str,
        description: &str,
        now: Timestamp,
    ) -> Result<SpaceId, CareError> {
        if !p.role.may(Permission::ProfessionalGroups) {
            return Err(CareError::Forbidden);
        }
        let region = p.region_scope().ok_or(CareError::Forbidden)?;
        let mut e = ValidationErrors::new();
        e.require("name", name, "グループ名", "Group name");
        if name.chars().count() > 100 {
            e.add(
                "name",
                "too_long",
                "100文字以内で入力してください。",
                "At most 100 characters.",
            );
        }
        e.into_result()?;
        let mut tx = self.db.begin().await?;
        let space = store::insert_space(
            &mut tx,
            region,
            SpaceKind::Group,
            name.trim(),
            description.trim(),
            p.user_id,
            now,
        )
        .await?;
        store::upsert_member(
            &mut tx,
            &store::NewMember {
                space_id: space,
                user_id: p.user_id,
                org_id: p.org_ids.first().copied(),
                team_role: TeamRole::Other,
                is_lead: true,
                status: MemberStatus::Active,
                invited_by: None,
            },
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "group.create", "care_group", space),
        )
        .await?;
        tx.commit().await?;
        Ok(space)
    }

    /// Whether a space is a group (not a patient).
    pub async fn is_group(&self, space_id: SpaceId) -> Result<bool, CareError> {
        Ok(store::space(&self.db, space_id)
            .await?
            .ok_or(CareError::NotFound)?
            .kind
            == SpaceKind::Group)
    }

    // ---------------------------------------------------- notifications

    /// The user's own e-mail address ("" when none): notifications need one.
    pub async fn email_of(&self, p: &Principal) -> Result<String, CareError> {
        Ok(store::user_email(&self.db, p.user_id).await?)
    }

    pub async fn preferences(&self, p: &Principal) -> Result<Preferences, CareError> {
        Ok(store::preferences(&self.db, p.user_id).await?)
    }

    pub async fn set_preferences(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        prefs: Preferences,
    ) -> Result<(), CareError> {
        let mut tx = self.db.begin().await?;
        store::set_preferences(&mut tx, p.user_id, prefs).await?;
        let mut e = audit_entry(p, ctx, "notification.preferences", "user", p.user_id);
        e.reason = format!(
            "urgent={} digest={}",
            prefs.email_urgent, prefs.email_digest
        );
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sends the daily digest to everyone who wants it and has unread posts:
    /// the number of unread posts and a link, nothing about any patient. Not
    /// repeated within 20 hours.
    pub async fn send_digests(&self, now: Timestamp) -> Result<DigestRun, CareError> {
        let mut run = DigestRun::default();
        let candidates = store::digest_candidates(&self.db, now.plus_seconds(-20 * 3600)).await?;
        for r in candidates {
            let spaces = store::my_spaces(&self.db, r.user_id).await?;
            let unread: i64 = spaces
                .iter()
                .filter(|s| s.status == MemberStatus::Active)
                .map(|s| s.unread)
                .sum();
            if unread == 0 {
                run.nothing_unread += 1;
                continue;
            }
            let mail = Mail {
                to: r.email.clone(),
                subject: format!("【Renkei】未読の投稿が {unread} 件あります / {unread} unread posts"),
                body: format!(
                    "担当チームに未読の投稿が {unread} 件あります。\nYou have {unread} unread posts in your teams.\n\n{}/patients\n",
                    self.config.public_url
                ),
            };
            match self.mailer.send(mail).await {
                Ok(()) => {
                    let mut tx = self.db.begin().await?;
                    store::record_digest(&mut tx, r.user_id, now).await?;
                    tx.commit().await?;
                    run.sent += 1;
                }
                Err(e) => {
                    tracing::warn!(error = %e, user = %r.user_id, "digest not sent");
                    run.failed += 1;
                }
            }
        }
        Ok(run)
    }

    // ------------------------------------------------------------- FHIR

    /// Every patient the user may see now, with the access (for FHIR
    /// searches). The search is audited once, naming how many were returned.
    pub async fn accessible_patients(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<Vec<(Patient, Access)>, CareError> {
        let rows = store::my_spaces(&self.db, p.user_id).await?;
        let mut ids: Vec<SpaceId> = rows
            .iter()
            .filter(|r| r.status == MemberStatus::Active && r.patient_id.is_some())
            .map(|r| r.space_id)
            .collect();
        for b in store::active_break_glass(&self.db, p.user_id, now).await? {
            if let Some(pt) = store::patient(&self.db, b.patient_id).await? {
                ids.push(pt.space_id);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        let mut out = Vec::new();
        for space in ids {
            if let (_, Some(a)) = self.access(p, space, now).await? {
                if let Some(pt) = store::patient_by_space(&self.db, space).await? {
                    out.push((pt, a));
                }
            }
        }
        let mut e = audit_entry(p, ctx, "fhir.search", "patient_list", p.user_id);
        e.reason = format!("{} patients", out.len());
        self.audit(vec![e]).await?;
        Ok(out)
    }

    /// Posts (newest first) of one patient, for FHIR Communication/Observation.
    pub async fn patient_posts(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        vitals_only: bool,
        limit: i64,
        now: Timestamp,
    ) -> Result<(Patient, Vec<Post>), CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "fhir.read", now)
            .await?;
        if vitals_only && !access.sees_clinical() {
            return Err(self.deny(p, ctx, &row, "fhir.read").await);
        }
        let posts = if vitals_only {
            store::posts_with_vitals(&self.db, &[patient.space_id], limit).await?
        } else {
            shown_to(
                &access,
                p,
                store::recent_posts(&self.db, &[patient.space_id], limit).await?,
            )
        };
        self.audit(vec![space_audit(p, ctx, "fhir.read", &row, Some(&access))])
            .await?;
        Ok((patient, posts))
    }

    /// One post by id (FHIR Communication/Observation read).
    pub async fn post_for_fhir(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        post_id: PostId,
        now: Timestamp,
    ) -> Result<(Patient, Post, Access), CareError> {
        let (post, row, access) = self
            .post_and_access(p, ctx, post_id, "fhir.read", now)
            .await?;
        let patient = store::patient_by_space(&self.db, post.space_id)
            .await?
            .ok_or(CareError::NotFound)?;
        let e = about(
            space_audit(p, ctx, "fhir.read", &row, Some(&access)),
            "post",
            post_id,
        );
        self.audit(vec![e]).await?;
        let post = shown_to(&access, p, vec![post])
            .pop()
            .ok_or(CareError::NotFound)?;
        Ok((patient, post, access))
    }

    /// One consent by id with its patient.
    pub async fn consent_for_fhir(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        consent_id: ConsentId,
        now: Timestamp,
    ) -> Result<(Patient, Consent), CareError> {
        let consent = store::consent(&self.db, consent_id)
            .await?
            .ok_or(CareError::NotFound)?;
        let patient = self.space_of_patient(consent.patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "fhir.read", now)
            .await?;
        let e = about(
            space_audit(p, ctx, "fhir.read", &row, Some(&access)),
            "consent",
            consent_id,
        );
        self.audit(vec![e]).await?;
        Ok((patient, consent))
    }

    /// Members of a patient's team (FHIR CareTeam).
    pub async fn team_for_fhir(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        now: Timestamp,
    ) -> Result<(Patient, Vec<Member>), CareError> {
        let patient = self.space_of_patient(patient_id).await?;
        let (row, access) = self
            .require(p, ctx, patient.space_id, "fhir.read", now)
            .await?;
        let members = store::members(&self.db, patient.space_id).await?;
        self.audit(vec![space_audit(p, ctx, "fhir.read", &row, Some(&access))])
            .await?;
        Ok((patient, members))
    }
}

/// Whether a member in `member_role` may acknowledge what `required` must
/// acknowledge: the role itself, and the 副主治医 for the 主治医 (they cover
/// each other at night).
pub fn acknowledges(required: TeamRole, member_role: TeamRole) -> bool {
    member_role == required
        || (required == TeamRole::AttendingDoctor && member_role == TeamRole::BackupDoctor)
}

fn username_matches(m: &Member, name: &str) -> bool {
    m.username.eq_ignore_ascii_case(name)
}

/// `posts` as `reader` with `access` may see them: without structured vital
/// signs unless the reader sees clinical information
/// (`Access::sees_vitals`), and a withdrawn post without its text and vital
/// signs unless the reader wrote it.
fn shown_to(access: &Access, reader: &Principal, posts: Vec<Post>) -> Vec<Post> {
    posts
        .into_iter()
        .map(|post| {
            let withdrawn_from_reader =
                post.withdrawn_at.is_some() && post.author_id != reader.user_id;
            if withdrawn_from_reader {
                let mut post = post.without_vitals();
                post.body = String::new();
                post
            } else if access.sees_vitals() {
                post
            } else {
                post.without_vitals()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_found() {
        assert_eq!(
            mention_names("@dr_sato 発熱です。@nurse-1 さんも"),
            vec!["dr_sato", "nurse-1"]
        );
        assert!(mention_names("mail@example.jp").is_empty());
        assert_eq!(mention_names("（@kato）"), vec!["kato"]);
    }

    #[test]
    fn backup_doctor_covers_attending() {
        assert!(acknowledges(
            TeamRole::AttendingDoctor,
            TeamRole::BackupDoctor
        ));
        assert!(acknowledges(
            TeamRole::AttendingDoctor,
            TeamRole::AttendingDoctor
        ));
        assert!(!acknowledges(
            TeamRole::AttendingDoctor,
            TeamRole::VisitingNurse
        ));
        assert!(!acknowledges(
            TeamRole::VisitingNurse,
            TeamRole::AttendingDoctor
        ));
    }

    #[test]
    fn idempotency_keys() {
        assert!(valid_key("2f1c9a6e-6a1b-4c4e-9a55-0b8e0f1d2c3b"));
        assert!(!valid_key("short"));
        assert!(!valid_key("has space in it"));
    }
}
