//! Spaces: a patient's team or a professional group, and the user's list of
//! them.

use super::*;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Space {
    pub id: SpaceId,
    pub region_id: RegionId,
    pub kind: SpaceKind,
    pub name: String,
    pub description: String,
    pub family_summary_open: bool,
    pub created_by: UserId,
    pub created_at: i64,
}

/// A space in the user's lists.
#[derive(Debug, Clone)]
pub struct SpaceCard {
    pub space_id: SpaceId,
    pub kind: SpaceKind,
    pub name: String,
    pub kana: String,
    pub patient_id: Option<PatientId>,
    pub status: MemberStatus,
    pub team_role: TeamRole,
    pub is_lead: bool,
    pub unread: i64,
    pub urgent_open: i64,
    pub last_post_at: Option<i64>,
}
