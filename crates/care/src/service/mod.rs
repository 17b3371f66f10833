//! The care service: every rule about patients, consent, teams, posts and
//! the summary, and the audit record of every read and write of patient
//! data. Handlers call these functions; nothing else touches the tables.
//!
//! This module holds the service itself, its settings, the access decision
//! every function starts with, and the audit helpers; each of its
//! submodules adds one part of the service (one `impl Care` block each).

mod break_glass;
mod consent;
mod fhir;
mod groups;
mod notifications;
pub use notifications::TeamNotice;
mod outside;
mod patients;
mod posts;
mod summary;
mod team;
mod timeline;

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
    AttachmentMeta, BreakGlassAccess, BreakGlassRequest, CategoryFilter, ChangeMarks, Consent,
    ConsentInput, ConsentView, Coverage, DigestRun, Member, Patient, PatientInput, Post,
    PostDetail, PostInput, PostOutcome, PostView, Preferences, Receipt, SpaceCard, SummaryFields,
    SummaryView, TeamView, TimelineQuery, TimelineView,
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

// ------------------------------------------------------------------- audit

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
        assert!(posts::valid_key("2f1c9a6e-6a1b-4c4e-9a55-0b8e0f1d2c3b"));
        assert!(!posts::valid_key("short"));
        assert!(!posts::valid_key("has space in it"));
    }
}
