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

mod admissions;
mod discharge;
mod documents;
mod handoff_forms;
mod inquiries;
mod report;
mod rules;
mod tasks;

use std::collections::HashMap;

use renkei_care::model::{PostInput, SummaryFields};
use renkei_care::{Care, TeamNotice};
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
    let told = Timestamp(stay.discharge_told_at?).jst_date();
    Some((planned - told).whole_days() >= i64::from(days))
}
