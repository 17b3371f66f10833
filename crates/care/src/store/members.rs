//! Team members: invitations, status changes and the lead.

use super::*;
use renkei_store::{read, write};

const MEMBER_SELECT: &str = "SELECT m.space_id, m.user_id, u.username, u.display_name, u.profession, u.role AS user_role, u.email, \
    m.org_id, o.name AS org_name, m.team_role, m.is_lead, m.status, m.invited_by, m.invited_at, m.accepted_at, \
    m.left_at, m.joined_after_post \
    FROM care_members m JOIN identity_people u ON u.id = m.user_id LEFT JOIN identity_organisations o ON o.id = m.org_id";

pub async fn members(db: &Db, space_id: SpaceId) -> Result<Vec<Member>, StoreError> {
    let sql = format!(
        "{MEMBER_SELECT} WHERE m.space_id = $1 ORDER BY CASE WHEN m.status = $2 THEN 0 WHEN m.status = $3 THEN 1 ELSE 2 END, \
         m.is_lead DESC, m.id"
    );
    Ok(read!(db, |c| {
        sqlx::query_as(&sql)
            .bind(space_id)
            .bind(MemberStatus::Active)
            .bind(MemberStatus::Invited)
            .fetch_all(c)
            .await?
    }))
}

pub async fn member(
    db: &Db,
    space_id: SpaceId,
    user_id: UserId,
) -> Result<Option<Member>, StoreError> {
    let sql = format!("{MEMBER_SELECT} WHERE m.space_id = $1 AND m.user_id = $2");
    Ok(read!(db, |c| {
        sqlx::query_as(&sql)
            .bind(space_id)
            .bind(user_id)
            .fetch_optional(c)
            .await?
    }))
}

pub struct NewMember {
    pub space_id: SpaceId,
    pub user_id: UserId,
    pub org_id: Option<OrgId>,
    pub team_role: TeamRole,
    pub is_lead: bool,
    pub status: MemberStatus,
    pub invited_by: Option<UserId>,
}

/// Adds a member, or re-invites someone who left or declined.
pub async fn upsert_member(tx: &mut Tx, m: &NewMember, now: Timestamp) -> Result<(), StoreError> {
    let last_post = last_post_id(tx, m.space_id).await?;
    let accepted = (m.status == MemberStatus::Active).then_some(now.millis());
    write!(tx, |c| {
        sqlx::query(
            "INSERT INTO care_members (space_id, user_id, org_id, team_role, is_lead, status, invited_by, invited_at, \
             accepted_at, joined_after_post) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (space_id, user_id) DO UPDATE SET org_id = excluded.org_id, team_role = excluded.team_role, \
             is_lead = excluded.is_lead, status = excluded.status, invited_by = excluded.invited_by, \
             invited_at = excluded.invited_at, accepted_at = excluded.accepted_at, left_at = NULL, \
             joined_after_post = excluded.joined_after_post",
        )
        .bind(m.space_id)
        .bind(m.user_id)
        .bind(m.org_id)
        .bind(m.team_role)
        .bind(m.is_lead)
        .bind(m.status)
        .bind(m.invited_by)
        .bind(now.millis())
        .bind(accepted)
        .bind(last_post)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

pub async fn set_member_status(
    tx: &mut Tx,
    space_id: SpaceId,
    user_id: UserId,
    status: MemberStatus,
    now: Timestamp,
) -> Result<(), StoreError> {
    let last_post = last_post_id(tx, space_id).await?;
    write!(tx, |c| {
        sqlx::query(
            "UPDATE care_members SET status = $3, \
               accepted_at = CASE WHEN $3 = $6 THEN $4 ELSE accepted_at END, \
               joined_after_post = CASE WHEN $3 = $6 THEN $5 ELSE joined_after_post END, \
               left_at = CASE WHEN $3 = $7 THEN $4 ELSE left_at END, \
               is_lead = CASE WHEN $3 = $6 THEN is_lead ELSE FALSE END \
             WHERE space_id = $1 AND user_id = $2",
        )
        .bind(space_id)
        .bind(user_id)
        .bind(status)
        .bind(now.millis())
        .bind(last_post)
        .bind(MemberStatus::Active)
        .bind(MemberStatus::Left)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

pub async fn set_lead(tx: &mut Tx, space_id: SpaceId, user_id: UserId) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query("UPDATE care_members SET is_lead = (user_id = $2) WHERE space_id = $1")
            .bind(space_id)
            .bind(user_id)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

async fn last_post_id(tx: &mut Tx, space_id: SpaceId) -> Result<PostId, StoreError> {
    let id: Option<PostId> = write!(tx, |c| {
        sqlx::query_scalar("SELECT MAX(id) FROM care_posts WHERE space_id = $1")
            .bind(space_id)
            .fetch_one(&mut *c)
            .await?
    });
    Ok(id.unwrap_or(PostId(0)))
}
