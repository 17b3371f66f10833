//! The team: its members and the people who may be invited.

use super::*;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Member {
    pub space_id: SpaceId,
    pub user_id: UserId,
    pub username: String,
    pub display_name: String,
    pub profession: Profession,
    pub user_role: Role,
    pub email: String,
    pub org_id: Option<OrgId>,
    pub org_name: Option<String>,
    pub team_role: TeamRole,
    pub is_lead: bool,
    pub status: MemberStatus,
    pub invited_by: Option<UserId>,
    pub invited_at: i64,
    pub accepted_at: Option<i64>,
    pub left_at: Option<i64>,
    pub joined_after_post: PostId,
}

/// Users of a region by id, for invitations and mentions: (id, display
/// name, role code, profession code, organisation ids).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Invitee {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub profession: Profession,
    pub region_id: Option<RegionId>,
    pub disabled: bool,
}

pub struct TeamView {
    pub space: Space,
    pub patient: Option<Patient>,
    pub access: Access,
    pub members: Vec<Member>,
    pub consent: Option<Consent>,
    pub candidates: Vec<Invitee>,
}
