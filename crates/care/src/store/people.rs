//! People and organisations of the region, read from identity's published
//! views (for invitations, mentions and the consent form).

use super::*;
use renkei_store::read;

pub async fn user(db: &Db, id: UserId) -> Result<Option<Invitee>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT id, username, display_name, role, profession, region_id, disabled FROM identity_people WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?
    }))
}

pub async fn user_by_username(db: &Db, username: &str) -> Result<Option<Invitee>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT id, username, display_name, role, profession, region_id, disabled FROM identity_people WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(c)
        .await?
    }))
}

/// Organisation ids of a user.
pub async fn user_orgs(db: &Db, user_id: UserId) -> Result<Vec<OrgId>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_scalar(
            "SELECT org_id FROM identity_memberships WHERE user_id = $1 ORDER BY org_id",
        )
        .bind(user_id)
        .fetch_all(c)
        .await?
    }))
}

/// Enabled users of the region in one of `roles`, for the invitation form
/// (the service derives the roles from `Role::may`).
pub async fn region_users(
    db: &Db,
    region_id: RegionId,
    roles: &[Role],
) -> Result<Vec<Invitee>, StoreError> {
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, username, display_name, role, profession, region_id, disabled FROM identity_people \
         WHERE region_id = $1 AND NOT disabled AND role IN ({}) ORDER BY display_name",
        placeholders(2, roles.len())
    );
    Ok(read!(db, |c| {
        let mut q = sqlx::query_as(&sql).bind(region_id);
        for r in roles {
            q = q.bind(r.code());
        }
        q.fetch_all(c).await?
    }))
}

/// The enabled organisations of a region as (id, name), in kana order,
/// for the consent form.
pub async fn region_organisations(
    db: &Db,
    region_id: RegionId,
) -> Result<Vec<(OrgId, String)>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT id, name FROM identity_organisations WHERE region_id = $1 AND NOT disabled ORDER BY kana, name",
        )
        .bind(region_id)
        .fetch_all(c)
        .await?
    }))
}

/// Organisations' names by id (FHIR references).
pub async fn organisation_names(
    db: &Db,
    ids: &[OrgId],
) -> Result<std::collections::HashMap<OrgId, String>, StoreError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT id, name FROM identity_organisations WHERE id IN ({})",
        id_list(ids)
    );
    let rows: Vec<(OrgId, String)> = read!(db, |c| sqlx::query_as(&sql).fetch_all(c).await?);
    Ok(rows.into_iter().collect())
}

pub async fn user_email(db: &Db, user_id: UserId) -> Result<String, StoreError> {
    let email: Option<String> = read!(db, |c| {
        sqlx::query_scalar("SELECT email FROM identity_people WHERE id = $1")
            .bind(user_id)
            .fetch_optional(c)
            .await?
    });
    Ok(email.unwrap_or_default())
}
