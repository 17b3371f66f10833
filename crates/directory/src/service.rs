//! Keeping the directory fresh (program item ア): organisations edit their
//! own entries, a coordinator reviews changes to public fields, acceptance
//! status is set in two taps, and a yearly confirmation campaign reminds
//! whoever has not confirmed their entry.
//!
//! Authorisation lives here, not in the pages: a member of the organisation
//! that maintains an entry may edit it; a curator (coordinator or region
//! administrator, `Permission::CurateDirectory`) may edit and review every
//! entry of the region.

use std::sync::Arc;

use renkei_domain::directory::ChangeRequestStatus;
use renkei_domain::directory::{HOME_CARE_FUNCTIONS, PUBLIC_FIELD_CHOICES};
use renkei_domain::people::Permission;
use renkei_domain::{OrgKind, Timestamp, ValidationErrors};
use renkei_identity::{Actor, Principal, RequestContext};
use renkei_mail::{Mail, Mailer};
use renkei_store::audit::{self, AuditEntry, Outcome};
use renkei_store::{Db, StoreError};

use crate::live::LiveIndex;
use crate::model::{
    Acceptance, ChangeRequest, ChangeRequestId, EditOutcome, Entry, EntryId, EntryMeta, EntryView,
    Freshness, LocalFields, NewLocalEntry, OrgId, ReminderRun,
};
use crate::search::ACCEPTANCE;
use crate::store;

mod same_facility;
mod stewardship;

/// The one error type of the directory service: the shape every
/// capability service shares.
pub type DirectoryError = renkei_store::ServiceError;

/// Settings of the campaign.
#[derive(Debug, Clone)]
pub struct DirectoryConfig {
    /// An entry confirmed longer ago than this is overdue (default 365).
    pub confirm_every_days: i64,
    /// A reminder is not repeated within this many days (default 14).
    pub remind_every_days: i64,
    /// Links in e-mail start here (`https://renkei.example.jp`).
    pub public_url: String,
    /// Where the search index is saved between starts
    /// (`RENKEI_DIRECTORY_INDEX_FILE`); without it every start builds the
    /// index from the database.
    pub index_snapshot: Option<std::path::PathBuf>,
}

impl Default for DirectoryConfig {
    fn default() -> Self {
        Self {
            confirm_every_days: 365,
            remind_every_days: 14,
            public_url: "http://127.0.0.1:8080".into(),
            index_snapshot: None,
        }
    }
}

#[derive(Clone)]
pub struct Directory {
    db: Db,
    live: LiveIndex,
    mailer: Arc<dyn Mailer>,
    config: DirectoryConfig,
}

fn principal(actor: &Actor) -> Result<&Principal, DirectoryError> {
    match actor {
        Actor::User(p) => Ok(p),
        Actor::Cli { .. } => Err(DirectoryError::Forbidden),
    }
}

fn audit_entry(
    p: &Principal,
    ctx: &RequestContext,
    action: &str,
    id: EntryId,
    reason: String,
) -> AuditEntry {
    AuditEntry {
        region_id: p.region_id,
        actor_user_id: Some(p.user_id),
        actor_username: p.username.clone(),
        role: p.role.code().to_string(),
        org_id: p.org_ids.first().copied(),
        action: action.to_string(),
        object_kind: "directory_entry".into(),
        object_id: id.to_string(),
        outcome: Some(Outcome::Success),
        source_addr: ctx.source_addr.clone(),
        user_agent: ctx.user_agent.clone(),
        reason,
        ..AuditEntry::default()
    }
}

/// An audit record of a call by any actor, the operator at the command
/// line included (as identity records them: `cli:<os user>`, acting as
/// system administrator, from `cli`).
fn actor_audit_entry(
    actor: &Actor,
    ctx: &RequestContext,
    action: &str,
    object_kind: &str,
    object_id: &str,
    reason: String,
) -> AuditEntry {
    let (region_id, org_id) = match actor {
        Actor::User(p) => (p.region_id, p.org_ids.first().copied()),
        Actor::Cli { .. } => (None, None),
    };
    AuditEntry {
        region_id,
        actor_user_id: actor.user_id(),
        actor_username: actor.username(),
        role: actor.role().code().to_string(),
        org_id,
        action: action.to_string(),
        object_kind: object_kind.to_string(),
        object_id: object_id.to_string(),
        outcome: Some(Outcome::Success),
        source_addr: ctx.source_addr.clone(),
        user_agent: ctx.user_agent.clone(),
        reason,
        ..AuditEntry::default()
    }
}

impl Directory {
    pub fn new(db: Db, live: LiveIndex, mailer: Arc<dyn Mailer>, config: DirectoryConfig) -> Self {
        Self {
            db,
            live,
            mailer,
            config,
        }
    }

    pub fn live(&self) -> &LiveIndex {
        &self.live
    }

    pub fn config(&self) -> &DirectoryConfig {
        &self.config
    }

    fn since(&self, now: Timestamp) -> Timestamp {
        now.plus_seconds(-self.config.confirm_every_days * 86_400)
    }

    /// Puts an edited entry in the search index before the request
    /// answers, so lists show the edit at once. The edit is committed
    /// whatever happens here; a failure is logged and the index job's next
    /// refresh applies it.
    async fn reindex(&self, id: EntryId) {
        if let Err(e) = self.live.reindex(&self.db, id).await {
            tracing::warn!(entry_id = id.0, error = %e, "directory index update after an edit failed");
        }
    }

    /// Whether `p` may curate entry `id` (coordinator of its region).
    async fn curates(&self, p: &Principal, id: EntryId) -> Result<bool, DirectoryError> {
        if !p.role.may(Permission::CurateDirectory) {
            return Ok(false);
        }
        match p.region_scope() {
            None => Ok(true),
            Some(region) => Ok(store::entry_in_region(&self.db, id, region).await?),
        }
    }

    async fn may_edit(&self, p: &Principal, meta: &EntryMeta) -> Result<bool, DirectoryError> {
        if !p.role.may(Permission::ViewProfessionalDirectory) {
            return Ok(false);
        }
        if meta.org_id.is_some_and(|o| p.org_ids.contains(&o)) {
            return Ok(true);
        }
        self.reviews(p, meta.id).await
    }

    /// Whether `p` may review, correct and confirm entry `id`: its region's
    /// curator, or a member of an association that is steward of the
    /// entry's kind in that region (stewardship by category).
    async fn reviews(&self, p: &Principal, id: EntryId) -> Result<bool, DirectoryError> {
        Ok(self.curates(p, id).await? || self.stewards(p, id).await?)
    }

    /// Whether one of `p`'s organisations is steward of entry `id`'s kind
    /// in its region.
    async fn stewards(&self, p: &Principal, id: EntryId) -> Result<bool, DirectoryError> {
        if !p.role.may(Permission::ViewProfessionalDirectory) {
            return Ok(false);
        }
        Ok(store::entry_stewarded_by(&self.db, id, &p.org_ids).await?)
    }

    /// One entry with everything its page needs.
    pub async fn entry(
        &self,
        actor: &Actor,
        id: EntryId,
        now: Timestamp,
    ) -> Result<EntryView, DirectoryError> {
        let p = principal(actor)?;
        if !p.role.may(Permission::ViewProfessionalDirectory) {
            return Err(DirectoryError::Forbidden);
        }
        let meta = store::entry_meta(&self.db, id)
            .await?
            .ok_or(DirectoryError::NotFound)?;
        let entry = store::entry_by_id(&self.db, id)
            .await?
            .ok_or(DirectoryError::NotFound)?;
        let local = store::local_fields(&self.db, id)
            .await?
            .ok_or(DirectoryError::NotFound)?;
        // Each right asked once (may_edit would ask curates again).
        let may_curate = self.curates(p, id).await?;
        let may_review = may_curate || self.stewards(p, id).await?;
        let may_edit = may_review || meta.org_id.is_some_and(|o| p.org_ids.contains(&o));
        let pending = if may_edit {
            store::pending_for_entry(&self.db, id).await?
        } else {
            Vec::new()
        };
        let overdue = meta
            .confirmed_at
            .is_none_or(|t| t < self.since(now).millis());
        let place = self
            .region_resources(actor)
            .await?
            .map(|r| r.place_of(id, &entry.municipality_code));
        let merged = store::merged_sources(&self.db, id).await?;
        Ok(EntryView {
            entry,
            meta,
            local,
            pending,
            may_edit,
            may_curate,
            may_review,
            overdue,
            place,
            merged,
        })
    }

    /// The viewer's region: its municipalities and the outside entries it
    /// lists (`None` for a viewer of every region).
    pub async fn region_resources(
        &self,
        actor: &Actor,
    ) -> Result<Option<crate::model::RegionResources>, DirectoryError> {
        let p = principal(actor)?;
        let Some(region) = p.region_scope() else {
            return Ok(None);
        };
        let (municipalities, listed) = store::region_resources(&self.db, region).await?;
        Ok(Some(crate::model::RegionResources {
            municipalities,
            listed,
        }))
    }

    /// Lists an entry outside the curator's region as a resource its
    /// residents use (or, `listed` false, takes it off): it then shows in
    /// the region's searches, marked as outside, and the region's curators
    /// keep it. Audited.
    pub async fn list_for_region(
        &self,
        actor: &Actor,
        id: EntryId,
        listed: bool,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<(), DirectoryError> {
        let p = principal(actor)?;
        if !p.role.may(Permission::CurateDirectory) {
            return Err(DirectoryError::Forbidden);
        }
        let region = p.region_scope().ok_or(DirectoryError::Forbidden)?;
        let entry = store::entry_by_id(&self.db, id)
            .await?
            .ok_or(DirectoryError::NotFound)?;
        if store::municipality_region(&self.db, &entry.municipality_code).await? == Some(region) {
            return Err(DirectoryError::Conflict(
                "the entry is in the region already".into(),
            ));
        }
        let mut tx = self.db.begin().await?;
        store::set_region_listing(&mut tx, id, region, listed, Some(p.user_id), now).await?;
        audit::append(
            &mut tx,
            &audit_entry(
                p,
                ctx,
                if listed {
                    "directory.region_listing.add"
                } else {
                    "directory.region_listing.remove"
                },
                id,
                format!("region {region}"),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The public view of an entry, for the resident map: `None` without
    /// consent to publish.
    /// An entry merged into another (one facility, one entry) answers
    /// with the entry that lists it.
    pub async fn public_entry(&self, id: EntryId) -> Result<Option<Entry>, DirectoryError> {
        let id = store::listed_as(&self.db, id).await?.unwrap_or(id);
        let entry = store::entry_by_id(&self.db, id).await?;
        Ok(entry.filter(|e| e.published))
    }

    /// An entry's liaison window (地域連携室), for other capabilities'
    /// handoff pages: professional contact details, never patient data
    /// (callers show it to professionals only). Empty when not told.
    pub async fn liaison_window(
        &self,
        id: EntryId,
    ) -> Result<renkei_domain::directory::LiaisonWindow, DirectoryError> {
        Ok(store::local_fields(&self.db, id)
            .await?
            .map(|f| f.liaison_window)
            .unwrap_or_default())
    }

    /// One entry for the FHIR read interactions (callers check the role).
    pub async fn entry_for_interop(&self, id: EntryId) -> Result<Option<Entry>, DirectoryError> {
        Ok(store::entry_by_id(&self.db, id).await?)
    }

    /// (source, official code) of entries, for FHIR identifiers.
    pub async fn codes_of(
        &self,
        ids: &[EntryId],
    ) -> Result<std::collections::HashMap<EntryId, (String, String)>, DirectoryError> {
        Ok(store::codes_of(&self.db, ids).await?)
    }

    /// The medical procedures entries can offer (code, name), in the order
    /// they were added: public vocabulary, so anyone may read it.
    pub async fn procedures(&self) -> Result<Vec<(String, String)>, DirectoryError> {
        Ok(store::procedures(&self.db).await?)
    }

    /// The 診療科目 the directory knows (code, name), by code: public
    /// vocabulary (the national files' list and what a region added).
    pub async fn specialities(&self) -> Result<Vec<(String, String)>, DirectoryError> {
        Ok(store::specialities(&self.db).await?)
    }

    /// Entries with an official code, for FHIR `identifier` searches.
    pub async fn ids_by_official_code(&self, code: &str) -> Result<Vec<EntryId>, DirectoryError> {
        Ok(store::ids_by_official_code(&self.db, code).await?)
    }

    /// The directory entry of each organisation that maintains exactly
    /// one: what FHIR references to an organisation point at
    /// (`Organization/{entry}`). Public directory data, so it needs no
    /// actor.
    pub async fn entries_of_organisations(
        &self,
        org_ids: &[OrgId],
    ) -> Result<std::collections::HashMap<OrgId, EntryId>, DirectoryError> {
        Ok(store::entry_of_each_org(&self.db, org_ids).await?)
    }

    /// The organisation that maintains an entry in Renkei, if any: where
    /// handoffs to that facility (a hospital's liaison office) are
    /// received. Public directory data, so it needs no actor.
    pub async fn receiving_organisation(
        &self,
        id: EntryId,
    ) -> Result<Option<OrgId>, DirectoryError> {
        let id = store::listed_as(&self.db, id).await?.unwrap_or(id);
        Ok(store::entry_meta(&self.db, id)
            .await?
            .and_then(|m| m.org_id))
    }

    /// Entries the user's organisations maintain ("my entries").
    pub async fn my_entries(
        &self,
        actor: &Actor,
    ) -> Result<Vec<(EntryId, String)>, DirectoryError> {
        let p = principal(actor)?;
        let orgs: Vec<OrgId> = p.org_ids.clone();
        Ok(store::entries_of_orgs(&self.db, &orgs).await?)
    }

    /// Checks an edit and names every problem.
    pub fn validate(&self, f: &LocalFields) -> Result<(), ValidationErrors> {
        let mut v = ValidationErrors::new();
        let procedures = self.live.procedures();
        for code in &f.functions {
            if !HOME_CARE_FUNCTIONS.iter().any(|(c, _, _)| c == code) {
                v.add(
                    "functions",
                    "unknown",
                    "在宅医療の機能が正しくありません。",
                    "Unknown function.",
                );
            }
        }
        for code in &f.procedures {
            if !procedures.iter().any(|(c, _)| c == code) {
                v.add(
                    "procedures",
                    "unknown",
                    "医療処置が正しくありません。",
                    "Unknown procedure.",
                );
            }
        }
        for code in &f.staff_qualifications {
            if !renkei_domain::directory::STAFF_QUALIFICATIONS
                .iter()
                .any(|(c, _, _)| c == code)
            {
                v.add(
                    "staff_qualifications",
                    "unknown",
                    "保有資格が正しくありません。",
                    "Unknown qualification.",
                );
            }
        }
        if f.staff_count
            .is_some_and(|n| !(0..=renkei_domain::directory::STAFF_COUNT_MAX).contains(&n))
        {
            v.add(
                "staff_count",
                "range",
                &format!(
                    "職員数は0〜{}で入力してください。",
                    renkei_domain::directory::STAFF_COUNT_MAX
                ),
                &format!(
                    "Staff count must be 0 to {}.",
                    renkei_domain::directory::STAFF_COUNT_MAX
                ),
            );
        }
        for field in &f.public_fields {
            if !PUBLIC_FIELD_CHOICES.iter().any(|(c, _, _)| c == field) {
                v.add(
                    "public_fields",
                    "unknown",
                    "公開項目が正しくありません。",
                    "Unknown public field.",
                );
            }
        }
        for (i, w) in f.contact_windows.iter().enumerate() {
            if let Err(message) = w.validate() {
                v.add(
                    &format!("contact_windows[{i}]"),
                    "invalid",
                    &format!("連絡可能時間{}: {message}", i + 1),
                    &format!("Contact window {}: {message}", i + 1),
                );
            }
        }
        if f.contact_windows.len() > 20 {
            v.add(
                "contact_windows",
                "too_many",
                "連絡可能時間は20件までです。",
                "At most 20 contact windows.",
            );
        }
        if let Err(message) = f.liaison_window.validate() {
            v.add(
                "liaison_window",
                "invalid",
                &message,
                "Check the liaison window.",
            );
        }
        for (field, value, max) in [
            ("area", &f.area, 50),
            ("contact_person", &f.contact_person, 100),
            ("features", &f.features, 1000),
            ("languages", &f.languages, 200),
            ("local_notes", &f.local_notes, 2000),
        ] {
            if value.chars().count() > max {
                v.add(
                    field,
                    "too_long",
                    &format!("{max}文字以内で入力してください。"),
                    &format!("At most {max} characters."),
                );
            }
        }
        v.into_result()
    }

    /// Saves an edit. Changes to what the public sees (a public field, the
    /// list of public fields, consent) from a non-curator wait for review;
    /// everything else applies at once.
    pub async fn update(
        &self,
        actor: &Actor,
        id: EntryId,
        new: LocalFields,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<EditOutcome, DirectoryError> {
        let p = principal(actor)?;
        let meta = store::entry_meta(&self.db, id)
            .await?
            .ok_or(DirectoryError::NotFound)?;
        if !self.may_edit(p, &meta).await? {
            return Err(DirectoryError::Forbidden);
        }
        self.validate(&new)?;
        let old = store::local_fields(&self.db, id)
            .await?
            .ok_or(DirectoryError::NotFound)?;
        let changed = old.changed_fields(&new);
        if changed.is_empty() {
            return Ok(EditOutcome::Unchanged);
        }
        let public_now: Vec<&str> = old
            .public_fields
            .iter()
            .chain(new.public_fields.iter())
            .map(String::as_str)
            .collect();
        // The staff fields show under one public choice, "staff".
        let choice_of = |f: &'static str| match f {
            "staff_count" | "staff_qualifications" => "staff",
            other => other,
        };
        let touches_public = changed.iter().any(|f| {
            matches!(*f, "public_fields" | "publish_consent") || public_now.contains(&choice_of(f))
        });
        let mut tx = self.db.begin().await?;
        let outcome = if touches_public && !self.reviews(p, id).await? {
            let request = store::insert_change_request(&mut tx, id, p.user_id, &new, now).await?;
            audit::append(
                &mut tx,
                &audit_entry(p, ctx, "directory.change_requested", id, changed.join(",")),
            )
            .await?;
            EditOutcome::AwaitingReview(request)
        } else {
            store::write_local_fields(&mut tx, id, &new, now).await?;
            audit::append(
                &mut tx,
                &audit_entry(p, ctx, "directory.update", id, changed.join(",")),
            )
            .await?;
            EditOutcome::Applied
        };
        tx.commit().await?;
        self.reindex(id).await;
        Ok(outcome)
    }

    /// Sets the acceptance status: time-sensitive, so it never waits for
    /// review.
    pub async fn set_acceptance(
        &self,
        actor: &Actor,
        id: EntryId,
        acceptance: Acceptance<'_>,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<(), DirectoryError> {
        let Acceptance {
            status,
            note,
            vacant_beds,
        } = acceptance;
        let p = principal(actor)?;
        let meta = store::entry_meta(&self.db, id)
            .await?
            .ok_or(DirectoryError::NotFound)?;
        if !self.may_edit(p, &meta).await? {
            return Err(DirectoryError::Forbidden);
        }
        let mut v = ValidationErrors::new();
        if !ACCEPTANCE.contains(&status) {
            v.add(
                "acceptance",
                "unknown",
                "受入状況を選んでください。",
                "Choose an acceptance status.",
            );
        }
        if note.chars().count() > 200 {
            v.add(
                "acceptance_note",
                "too_long",
                "補足は200文字以内です。",
                "At most 200 characters.",
            );
        }
        if vacant_beds.is_some_and(|b| !(0..=10_000).contains(&b)) {
            v.add(
                "vacant_beds",
                "range",
                "空床数は0〜10000です。",
                "Vacant beds must be 0 to 10000.",
            );
        }
        v.into_result()?;
        let mut tx = self.db.begin().await?;
        store::write_acceptance(&mut tx, id, status, note.trim(), vacant_beds, now).await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "directory.acceptance", id, status.to_string()),
        )
        .await?;
        tx.commit().await?;
        self.reindex(id).await;
        Ok(())
    }

    /// "Still correct": records who confirmed the entry and when.
    pub async fn confirm(
        &self,
        actor: &Actor,
        id: EntryId,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<(), DirectoryError> {
        let p = principal(actor)?;
        let meta = store::entry_meta(&self.db, id)
            .await?
            .ok_or(DirectoryError::NotFound)?;
        if !self.may_edit(p, &meta).await? {
            return Err(DirectoryError::Forbidden);
        }
        let mut tx = self.db.begin().await?;
        store::write_confirmation(&mut tx, id, p.user_id, now).await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "directory.confirm", id, String::new()),
        )
        .await?;
        tx.commit().await?;
        self.reindex(id).await;
        Ok(())
    }

    /// Changes waiting for review in the curator's region.
    pub async fn pending_reviews(
        &self,
        actor: &Actor,
    ) -> Result<Vec<ChangeRequest>, DirectoryError> {
        let p = principal(actor)?;
        if p.role.may(Permission::CurateDirectory) {
            return Ok(store::pending_change_requests(&self.db, p.region_scope()).await?);
        }
        // A steward sees the requests for entries of its categories.
        let orgs: &[OrgId] = &p.org_ids;
        if !p.role.may(Permission::ViewProfessionalDirectory)
            || store::steward_kinds(&self.db, orgs).await?.is_empty()
        {
            return Err(DirectoryError::Forbidden);
        }
        Ok(store::pending_change_requests_stewarded(&self.db, orgs).await?)
    }

    /// The requested fields of a change request next to the current ones.
    pub async fn change_request(
        &self,
        actor: &Actor,
        request_id: ChangeRequestId,
    ) -> Result<(ChangeRequest, LocalFields, LocalFields), DirectoryError> {
        let p = principal(actor)?;
        let request = store::change_request(&self.db, request_id)
            .await?
            .ok_or(DirectoryError::NotFound)?;
        if !self.reviews(p, request.entry_id).await? {
            return Err(DirectoryError::Forbidden);
        }
        let proposed: LocalFields = serde_json::from_str(&request.changes)
            .map_err(|e| StoreError::Invalid(format!("change request {request_id}: {e}")))?;
        let current = store::local_fields(&self.db, request.entry_id)
            .await?
            .ok_or(DirectoryError::NotFound)?;
        Ok((request, current, proposed))
    }

    /// Approves (applies) or rejects a change request.
    pub async fn review(
        &self,
        actor: &Actor,
        request_id: ChangeRequestId,
        approve: bool,
        note: &str,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<(), DirectoryError> {
        let p = principal(actor)?;
        let (request, _, proposed) = self.change_request(actor, request_id).await?;
        let mut tx = self.db.begin().await?;
        let status = if approve {
            ChangeRequestStatus::Approved
        } else {
            ChangeRequestStatus::Rejected
        };
        if !store::close_change_request(&mut tx, request_id, status, p.user_id, note.trim(), now)
            .await?
        {
            return Err(DirectoryError::Conflict("already reviewed".into()));
        }
        if approve {
            store::write_local_fields(&mut tx, request.entry_id, &proposed, now).await?;
        }
        audit::append(
            &mut tx,
            &audit_entry(
                p,
                ctx,
                &format!("directory.review.{status}"),
                request.entry_id,
                format!("request {request_id}"),
            ),
        )
        .await?;
        tx.commit().await?;
        self.reindex(request.entry_id).await;
        Ok(())
    }

    /// Freshness per municipality and the overdue entries of the region.
    pub async fn freshness(
        &self,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Freshness, DirectoryError> {
        let p = principal(actor)?;
        if !p.role.may(Permission::CurateDirectory) {
            return Err(DirectoryError::Forbidden);
        }
        let region = p.region_scope().ok_or(DirectoryError::Forbidden)?;
        let since = self.since(now);
        let stale_acceptance = store::acceptance_statuses(&self.db, region)
            .await?
            .into_iter()
            .filter(|a| {
                renkei_domain::directory::acceptance_is_stale(
                    &a.kind,
                    Some(a.acceptance_as_of),
                    now,
                )
            })
            .take(500)
            .collect();
        Ok(Freshness {
            by_municipality: store::freshness_by_municipality(&self.db, region, since).await?,
            overdue: store::overdue_entries(&self.db, region, since, 500).await?,
            since,
            stale_acceptance,
        })
    }

    /// Sends the confirmation reminders: one e-mail per overdue entry to
    /// each member of the organisation that maintains it, at most once per
    /// `remind_every_days`. The body holds only the entry's name and a link.
    pub async fn send_reminders(
        &self,
        actor: &Actor,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<ReminderRun, DirectoryError> {
        let p = principal(actor)?;
        let freshness = self.freshness(actor, now).await?;
        let quiet_since = now
            .plus_seconds(-self.config.remind_every_days * 86_400)
            .millis();
        let mut run = ReminderRun {
            delivered: self.mailer.delivers(),
            ..ReminderRun::default()
        };
        for entry in &freshness.overdue {
            let Some(org) = entry.org_id else { continue };
            run.entries += 1;
            if entry.last_reminder_at.is_some_and(|t| t >= quiet_since) {
                run.recently_reminded += 1;
                continue;
            }
            let addresses = store::member_addresses(&self.db, org).await?;
            if addresses.is_empty() {
                run.without_address += 1;
                continue;
            }
            for to in addresses {
                let mail = Mail {
                    to: to.clone(),
                    subject: format!("【Renkei】掲載情報の確認のお願い（{}）", entry.name),
                    body: format!(
                        "地域の医療・介護資源マップに掲載している「{}」の情報が、{}日以上確認されていません。\n\
                         内容に変わりがなければ「この内容で正しい」を押してください。変更があれば修正してください。\n\n\
                         {}/directory/entries/{}\n\n\
                         このメールは在宅医療・介護連携支援センターの確認依頼として自動送信しています。",
                        entry.name,
                        self.config.confirm_every_days,
                        self.config.public_url.trim_end_matches('/'),
                        entry.id
                    ),
                };
                match self.mailer.send(mail).await {
                    Ok(()) => {
                        store::record_reminder(&self.db, entry.id, &to, now).await?;
                        run.sent += 1;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, entry = entry.id.0, "reminder not sent");
                        run.failed += 1;
                    }
                }
            }
        }
        audit::append_alone(
            &self.db,
            &audit_entry(
                p,
                ctx,
                "directory.reminders",
                EntryId(0),
                format!(
                    "sent {}, failed {}, entries {}",
                    run.sent, run.failed, run.entries
                ),
            ),
        )
        .await?;
        Ok(run)
    }

    /// Adds a locally kept entry (life-support service, consultation desk).
    pub async fn create_local(
        &self,
        actor: &Actor,
        new: NewLocalEntry,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<EntryId, DirectoryError> {
        let p = principal(actor)?;
        if !p.role.may(Permission::CurateDirectory) {
            return Err(DirectoryError::Forbidden);
        }
        let mut v = ValidationErrors::new();
        if new.name.trim().is_empty() || new.name.chars().count() > 200 {
            v.add(
                "name",
                "required",
                "名称を200文字以内で入力してください。",
                "Name is required (200 characters at most).",
            );
        }
        if OrgKind::from_code(&new.kind).is_none() {
            v.add(
                "kind",
                "unknown",
                "種別を選んでください。",
                "Choose a kind.",
            );
        }
        for s in &new.services {
            if renkei_domain::directory::service_name(s).is_none() {
                v.add(
                    "services",
                    "unknown",
                    "サービスが正しくありません。",
                    "Unknown service.",
                );
            }
        }
        if !new.url.trim().is_empty() && !renkei_domain::directory::is_web_url(&new.url) {
            v.add(
                "url",
                "scheme",
                "ホームページは http:// または https:// で始まるアドレスを入力してください。",
                "The web address must start with http:// or https://.",
            );
        }
        // A region's curator adds entries in the region's own municipalities,
        // or, said so, a resource in another one that residents use (then
        // listed by the region in the same transaction).
        let mut listing = None;
        if let Some(region) = p.region_scope() {
            let home = match renkei_domain::LocalGovernmentCode::parse(&new.municipality_code) {
                Ok(code) => Some(store::municipality_region(&self.db, code.as_str()).await?),
                Err(_) => None,
            };
            match (home, new.outside_region) {
                (Some(Some(r)), _) if r == region => {}
                (Some(_), true) => listing = Some(region),
                (None, true) => v.add(
                    "municipality_code",
                    "format",
                    "市区町村コードは検査数字つきの6桁で入力してください。",
                    "Enter a 6-digit municipality code with its check digit.",
                ),
                (_, false) => v.add(
                    "municipality_code",
                    "other_region",
                    "この圏域の市区町村コードを入力してください（隣の市町村の資源なら「圏域外」に印をつけてください）。",
                    "Enter the code of a municipality of this region (or mark a resource of a neighbouring municipality as outside the region).",
                ),
            }
        }
        if let Some(org) = new.org_id {
            self.check_linkable(p, org, &mut v).await?;
        }
        if new.lat.is_some() != new.lon.is_some()
            || new.lat.is_some_and(|l| !(20.0..=46.0).contains(&l))
            || new.lon.is_some_and(|l| !(122.0..=154.0).contains(&l))
        {
            v.add(
                "lat",
                "range",
                "緯度・経度は日本国内の値を両方入力してください。",
                "Latitude and longitude must both be in Japan.",
            );
        }
        v.into_result()?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_local_entry(&mut tx, &new, now).await?;
        if let Some(region) = listing {
            store::set_region_listing(&mut tx, id, region, true, Some(p.user_id), now).await?;
        }
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "directory.create", id, new.kind.clone()),
        )
        .await?;
        tx.commit().await?;
        self.reindex(id).await;
        Ok(id)
    }

    /// Records a returned confirmation sheet (確認票), keyed in by the
    /// support centre: the sheet's corrections (including consent to
    /// publish, which the sheet asks for) apply at once, since the curator
    /// is the one who would review them, and the entry counts as confirmed
    /// today by the curator. One audited transaction names how the sheet
    /// came back and what changed. Returns the changed fields.
    pub async fn record_returned_sheet(
        &self,
        actor: &Actor,
        id: EntryId,
        new: LocalFields,
        via: crate::model::SheetReturn,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<Vec<&'static str>, DirectoryError> {
        let p = principal(actor)?;
        if !self.reviews(p, id).await? {
            return Err(DirectoryError::Forbidden);
        }
        self.validate(&new)?;
        let old = store::local_fields(&self.db, id)
            .await?
            .ok_or(DirectoryError::NotFound)?;
        let changed = old.changed_fields(&new);
        let mut tx = self.db.begin().await?;
        if !changed.is_empty() {
            store::write_local_fields(&mut tx, id, &new, now).await?;
        }
        store::write_confirmation(&mut tx, id, p.user_id, now).await?;
        audit::append(
            &mut tx,
            &audit_entry(
                p,
                ctx,
                "directory.sheet_returned",
                id,
                format!("via {}; changed {}", via.code(), changed.join(",")),
            ),
        )
        .await?;
        tx.commit().await?;
        self.reindex(id).await;
        Ok(changed)
    }

    /// The region's entries whose confirmation is overdue, as the sheets to
    /// print for them (at most `limit`).
    pub async fn overdue_for_sheets(
        &self,
        actor: &Actor,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<EntryView>, DirectoryError> {
        let p = principal(actor)?;
        if !p.role.may(Permission::CurateDirectory) {
            return Err(DirectoryError::Forbidden);
        }
        let region = p.region_scope().ok_or(DirectoryError::Forbidden)?;
        let overdue = store::overdue_entries(&self.db, region, self.since(now), limit).await?;
        let mut out = Vec::with_capacity(overdue.len());
        for o in overdue {
            out.push(self.entry(actor, o.id, now).await?);
        }
        Ok(out)
    }

    /// Adds a medical procedure to the list entries can offer (the seed list
    /// is DOMAIN.md §3). The list serves every region of the deployment, so
    /// only the operator or a system administrator extends it; audited in
    /// the same transaction. Servers see it at their next index refresh.
    pub async fn add_procedure(
        &self,
        actor: &Actor,
        code: &str,
        name: &str,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<(), DirectoryError> {
        if !actor.role().may(Permission::AllRegions) {
            return Err(DirectoryError::Forbidden);
        }
        let name = name.trim();
        let mut v = ValidationErrors::new();
        let code_ok = !code.is_empty()
            && code.len() <= 40
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !code_ok {
            v.add(
                "code",
                "format",
                "コードは英小文字・数字・_ の1〜40文字にしてください。",
                "The code must be 1–40 lower-case letters, digits or _.",
            );
        }
        if name.is_empty() || name.chars().count() > 60 {
            v.add(
                "name",
                "length",
                "名称は1〜60文字にしてください。",
                "The name must be 1–60 characters.",
            );
        }
        v.into_result()?;
        let mut tx = self.db.begin().await?;
        match store::insert_procedure(&mut tx, code, name, now).await {
            Err(StoreError::Conflict(_)) => {
                return Err(DirectoryError::Conflict(format!(
                    "procedure {code:?} already exists"
                )))
            }
            other => other?,
        }
        audit::append(
            &mut tx,
            &actor_audit_entry(
                actor,
                ctx,
                "directory.procedure.add",
                "directory_procedure",
                code,
                name.to_string(),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An organisation may maintain an entry only if it exists and belongs to
    /// the curator's region: its members gain the right to edit the entry.
    async fn check_linkable(
        &self,
        p: &Principal,
        org: OrgId,
        v: &mut ValidationErrors,
    ) -> Result<(), DirectoryError> {
        match (
            store::organisation_region(&self.db, org).await?,
            p.region_scope(),
        ) {
            (None, _) => v.add(
                "org_id",
                "not_found",
                "その事業所・機関は登録されていません。番号を確かめてください。",
                "No organisation has that number.",
            ),
            (Some(r), Some(mine)) if r != mine => v.add(
                "org_id",
                "other_region",
                "他の圏域の事業所・機関には紐づけられません。",
                "An organisation of another region cannot maintain this entry.",
            ),
            _ => {}
        }
        Ok(())
    }

    /// Links an entry to the organisation whose members maintain it.
    pub async fn link_organisation(
        &self,
        actor: &Actor,
        id: EntryId,
        org_id: Option<OrgId>,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<(), DirectoryError> {
        let p = principal(actor)?;
        if !self.curates(p, id).await? {
            return Err(DirectoryError::Forbidden);
        }
        if let Some(org) = org_id {
            let mut v = ValidationErrors::new();
            self.check_linkable(p, org, &mut v).await?;
            v.into_result()?;
        }
        let mut tx = self.db.begin().await?;
        store::link_org(&mut tx, id, org_id, now).await?;
        audit::append(
            &mut tx,
            &audit_entry(
                p,
                ctx,
                "directory.link",
                id,
                org_id.map(|o| o.to_string()).unwrap_or_default(),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests are the edge: they read the clock
mod tests {
    use super::*;
    use renkei_domain::{Profession, RegionId, Role, UserId};
    use renkei_identity::Credential;
    use renkei_store::audit::{AuditQuery, Verification};
    use renkei_store::both_backends;

    fn user(role: Role) -> Actor {
        Actor::User(Principal {
            user_id: UserId(1),
            username: "someone".into(),
            display_name: "誰か".into(),
            role,
            profession: Profession::Coordinator,
            region_id: Some(RegionId(1)),
            org_ids: Vec::new(),
            credential: Credential::Session {
                csrf_token: String::new(),
            },
            mfa_enabled: true,
            is_demo: false,
        })
    }

    both_backends!(
        procedures_are_the_operators_and_audited,
        |db: Db| async move {
            let directory = Directory::new(
                db.clone(),
                LiveIndex::empty(),
                Arc::new(renkei_mail::NoMailer),
                DirectoryConfig::default(),
            );
            let ctx = RequestContext::cli();
            for role in [Role::Coordinator, Role::RegionAdmin] {
                let refused = directory
                    .add_procedure(
                        &user(role),
                        "nasal_feeding",
                        "経鼻経管栄養",
                        &ctx,
                        Timestamp::now(),
                    )
                    .await;
                assert!(
                    matches!(refused, Err(DirectoryError::Forbidden)),
                    "{role:?}"
                );
            }
            let cli = Actor::Cli {
                os_user: "op".into(),
            };
            directory
                .add_procedure(
                    &cli,
                    "nasal_feeding",
                    "経鼻経管栄養",
                    &ctx,
                    Timestamp::now(),
                )
                .await
                .unwrap();
            let again = directory
                .add_procedure(
                    &user(Role::SystemAdmin),
                    "nasal_feeding",
                    "別名",
                    &ctx,
                    Timestamp::now(),
                )
                .await;
            assert!(
                matches!(again, Err(DirectoryError::Conflict(_))),
                "{again:?}"
            );
            assert!(store::procedures(&db)
                .await
                .unwrap()
                .contains(&("nasal_feeding".into(), "経鼻経管栄養".into())));
            let query = AuditQuery {
                limit: 10,
                ..AuditQuery::default()
            };
            let records = audit::search(&db, &query).await.unwrap();
            assert_eq!(records.len(), 1, "only the addition is recorded");
            let r = &records[0];
            assert_eq!(
                (
                    r.actor_username.as_str(),
                    r.role.as_str(),
                    r.action.as_str()
                ),
                ("cli:op", "system_admin", "directory.procedure.add")
            );
            assert!(matches!(
                audit::verify(&db).await.unwrap(),
                Verification::Intact { .. }
            ));
        }
    );
}
