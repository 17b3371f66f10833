//! Who may see a patient, decided in one pure function.
//!
//! The rule (ARCHITECTURE.md, "Data, privacy, security"): a user sees a
//! patient only as an active member of that patient's care team, under a
//! recorded consent. Until consent is recorded — and again from the moment it
//! is withdrawn — only members acting for the registering organisation keep
//! access. A consent names who it covers (organisations, professions,
//! family); members outside that coverage are shut out even if invited.
//! Break-glass access by a coordinator or EMS is the one exception: read-only,
//! time-limited, and flagged in the audit trail.

use renkei_domain::care::{MemberStatus, TeamRole};
use renkei_domain::{BreakGlassId, OrgId, PostId, Profession, RegionId};

use crate::model::Coverage;
use crate::store::AccessRow;

/// How a user reaches a space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// An active member.
    Member {
        team_role: TeamRole,
        is_lead: bool,
        /// Family members see the clinical summary only when the lead opened it.
        clinical: bool,
        /// Posts up to this id predate the membership.
        joined_after_post: PostId,
    },
    /// Emergency access: read-only until `expires_at`.
    BreakGlass {
        id: BreakGlassId,
        reason: String,
        expires_at: i64,
    },
}

impl Access {
    pub fn may_write(&self) -> bool {
        matches!(self, Access::Member { .. })
    }

    pub fn sees_clinical(&self) -> bool {
        match self {
            Access::Member { clinical, .. } => *clinical,
            Access::BreakGlass { .. } => true,
        }
    }

    /// Whether structured vital signs are shown: the one rule for every
    /// path (timeline page, vitals chart, JSON API, FHIR Communication and
    /// Observation). Vital signs are clinical, so a family member sees them
    /// only when the lead has opened the clinical summary to the family; the
    /// text of the posts they see stays.
    pub fn sees_vitals(&self) -> bool {
        self.sees_clinical()
    }

    pub fn is_lead(&self) -> bool {
        matches!(self, Access::Member { is_lead: true, .. })
    }

    pub fn team_role(&self) -> Option<TeamRole> {
        match self {
            Access::Member { team_role, .. } => Some(*team_role),
            Access::BreakGlass { .. } => None,
        }
    }

    /// The audit record's reason: break-glass reads carry theirs.
    pub fn audit_reason(&self) -> String {
        match self {
            Access::BreakGlass { id, reason, .. } => format!("break-glass #{id}: {reason}"),
            Access::Member { .. } => String::new(),
        }
    }
}

/// Whether the member acting for `member_org` with `profession` is covered by
/// the consent `coverage` of a patient registered by `registering_org`.
pub fn covered(
    coverage: Option<&Coverage>,
    registering_org: OrgId,
    member_org: Option<OrgId>,
    profession: Profession,
    team_role: TeamRole,
) -> bool {
    if member_org == Some(registering_org) {
        return true;
    }
    let Some(c) = coverage else { return false };
    if team_role == TeamRole::Family || profession == Profession::Family {
        return c.family;
    }
    member_org.is_some_and(|o| c.org_ids.contains(&o)) || c.professions.contains(&profession)
}

/// The decision. `coverage` is the active consent's coverage (None when no
/// consent is active), `user_region` the user's region.
pub(crate) fn decide(
    row: &AccessRow,
    coverage: Option<&Coverage>,
    profession: Profession,
    user_region: Option<RegionId>,
    now_ms: i64,
) -> Option<Access> {
    if user_region.is_some_and(|r| r != row.region_id) {
        return None;
    }
    let member = match (row.member_status, row.team_role) {
        (Some(MemberStatus::Active), Some(role)) => Some(role),
        _ => None,
    };
    if let Some(team_role) = member {
        let allowed = match row.registering_org_id {
            // A group carries no patient information: membership is enough.
            None => true,
            Some(reg) => covered(coverage, reg, row.member_org_id, profession, team_role),
        };
        if allowed {
            let family = team_role == TeamRole::Family;
            return Some(Access::Member {
                team_role,
                is_lead: row.is_lead.unwrap_or(false),
                clinical: !family || row.family_summary_open,
                joined_after_post: row.joined_after_post.unwrap_or(PostId(0)),
            });
        }
    }
    match (row.break_glass_id, row.break_glass_expires) {
        (Some(id), Some(exp)) if exp > now_ms && row.patient_id.is_some() => {
            Some(Access::BreakGlass {
                id,
                reason: row.break_glass_reason.clone().unwrap_or_default(),
                expires_at: exp,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use renkei_domain::care::SpaceKind;
    use renkei_domain::{PatientId, SpaceId, UserId};

    fn row(status: Option<MemberStatus>, org: Option<i64>, role: TeamRole) -> AccessRow {
        AccessRow {
            space_id: SpaceId(1),
            kind: SpaceKind::Patient,
            region_id: RegionId(1),
            family_summary_open: false,
            space_name: String::new(),
            space_description: String::new(),
            space_created_by: UserId(1),
            space_created_at: 0,
            member_status: status,
            team_role: Some(role),
            is_lead: Some(false),
            member_org_id: org.map(OrgId),
            joined_after_post: Some(PostId(0)),
            patient_id: Some(PatientId(7)),
            registering_org_id: Some(OrgId(10)),
            consent_id: None,
            covers_orgs: None,
            covers_professions: None,
            covers_family: None,
            break_glass_id: None,
            break_glass_reason: None,
            break_glass_expires: None,
            open_urgent: 0,
        }
    }

    #[test]
    fn registering_org_sees_without_consent() {
        let r = row(Some(MemberStatus::Active), Some(10), TeamRole::CareManager);
        assert!(decide(&r, None, Profession::CareManager, Some(RegionId(1)), 0).is_some());
    }

    #[test]
    fn other_org_needs_covering_consent() {
        let r = row(
            Some(MemberStatus::Active),
            Some(20),
            TeamRole::VisitingNurse,
        );
        assert!(decide(&r, None, Profession::Nurse, Some(RegionId(1)), 0).is_none());
        let by_org = Coverage {
            org_ids: vec![OrgId(20)],
            ..Default::default()
        };
        assert!(decide(&r, Some(&by_org), Profession::Nurse, Some(RegionId(1)), 0).is_some());
        let by_prof = Coverage {
            professions: vec![Profession::Nurse],
            ..Default::default()
        };
        assert!(decide(&r, Some(&by_prof), Profession::Nurse, Some(RegionId(1)), 0).is_some());
        let other = Coverage {
            professions: vec![Profession::Doctor],
            ..Default::default()
        };
        assert!(decide(&r, Some(&other), Profession::Nurse, Some(RegionId(1)), 0).is_none());
    }

    #[test]
    fn family_needs_family_consent_and_no_clinical_by_default() {
        let r = row(Some(MemberStatus::Active), None, TeamRole::Family);
        assert!(decide(
            &r,
            Some(&Coverage::default()),
            Profession::Family,
            Some(RegionId(1)),
            0
        )
        .is_none());
        let c = Coverage {
            family: true,
            ..Default::default()
        };
        let a = decide(&r, Some(&c), Profession::Family, Some(RegionId(1)), 0).unwrap();
        assert!(!a.sees_clinical());
        assert!(
            !a.sees_vitals(),
            "family sees no structured vitals by default"
        );
        let mut open = r.clone();
        open.family_summary_open = true;
        let opened = decide(&open, Some(&c), Profession::Family, Some(RegionId(1)), 0).unwrap();
        assert!(opened.sees_clinical() && opened.sees_vitals());
    }

    #[test]
    fn invited_or_left_members_see_nothing() {
        for s in [
            MemberStatus::Invited,
            MemberStatus::Left,
            MemberStatus::Declined,
        ] {
            let r = row(Some(s), Some(10), TeamRole::CareManager);
            assert!(decide(&r, None, Profession::CareManager, Some(RegionId(1)), 0).is_none());
        }
    }

    #[test]
    fn other_region_sees_nothing() {
        let r = row(Some(MemberStatus::Active), Some(10), TeamRole::CareManager);
        assert!(decide(&r, None, Profession::CareManager, Some(RegionId(2)), 0).is_none());
    }

    #[test]
    fn break_glass_expires() {
        let mut r = row(None, None, TeamRole::Other);
        r.team_role = None;
        r.break_glass_id = Some(BreakGlassId(3));
        r.break_glass_expires = Some(1000);
        r.break_glass_reason = Some("救急搬送".into());
        let a = decide(&r, None, Profession::Ems, Some(RegionId(1)), 999).unwrap();
        assert!(!a.may_write());
        assert!(decide(&r, None, Profession::Ems, Some(RegionId(1)), 1000).is_none());
    }
}
