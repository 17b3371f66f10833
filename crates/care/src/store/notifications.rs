//! Notification preferences, and whom to tell about urgent posts and the
//! daily digest.

use super::*;
use renkei_store::{read, write};

pub async fn preferences(db: &Db, user_id: UserId) -> Result<Preferences, StoreError> {
    let row: Option<Preferences> = read!(db, |c| {
        sqlx::query_as(
            "SELECT email_urgent, email_digest FROM care_notification_prefs WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(c)
        .await?
    });
    Ok(row.unwrap_or_default())
}

pub async fn set_preferences(
    tx: &mut Tx,
    user_id: UserId,
    p: Preferences,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "INSERT INTO care_notification_prefs (user_id, email_urgent, email_digest) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET email_urgent = excluded.email_urgent, email_digest = excluded.email_digest",
        )
        .bind(user_id)
        .bind(p.email_urgent)
        .bind(p.email_digest)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

/// A member to tell about an urgent post.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Recipient {
    pub user_id: UserId,
    pub email: String,
}

/// Active members of a space (but `except`) who want urgent e-mail and
/// have an address.
pub async fn urgent_recipients(
    db: &Db,
    space_id: SpaceId,
    except: UserId,
) -> Result<Vec<Recipient>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT u.id AS user_id, u.email FROM care_members m JOIN identity_people u ON u.id = m.user_id \
             LEFT JOIN care_notification_prefs n ON n.user_id = u.id \
             WHERE m.space_id = $1 AND m.status = $3 AND m.user_id <> $2 AND u.email <> '' \
             AND NOT u.disabled AND COALESCE(n.email_urgent, TRUE)",
        )
        .bind(space_id)
        .bind(except)
        .bind(MemberStatus::Active)
        .fetch_all(c)
        .await?
    }))
}

/// Active members of a space in one of `roles` (but `except`) who want
/// time-critical e-mail and have an address: whom another capability's
/// notice reaches (the care manager told a discharge day).
pub async fn role_recipients(
    db: &Db,
    space_id: SpaceId,
    roles: &[TeamRole],
    except: UserId,
) -> Result<Vec<Recipient>, StoreError> {
    let rows: Vec<(UserId, String, TeamRole)> = read!(db, |c| {
        sqlx::query_as(
            "SELECT u.id, u.email, m.team_role FROM care_members m JOIN identity_people u ON u.id = m.user_id \
             LEFT JOIN care_notification_prefs n ON n.user_id = u.id \
             WHERE m.space_id = $1 AND m.status = $3 AND m.user_id <> $2 AND u.email <> '' \
             AND NOT u.disabled AND COALESCE(n.email_urgent, TRUE)",
        )
        .bind(space_id)
        .bind(except)
        .bind(MemberStatus::Active)
        .fetch_all(c)
        .await?
    });
    Ok(rows
        .into_iter()
        .filter(|(_, _, role)| roles.contains(role))
        .map(|(user_id, email, _)| Recipient { user_id, email })
        .collect())
}

/// Users who want the daily digest, have an address, and were not sent one
/// since `not_since`.
pub async fn digest_candidates(
    db: &Db,
    not_since: Timestamp,
) -> Result<Vec<Recipient>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT DISTINCT u.id AS user_id, u.email FROM care_members m JOIN identity_people u ON u.id = m.user_id \
             LEFT JOIN care_notification_prefs n ON n.user_id = u.id \
             WHERE m.status = $2 AND u.email <> '' AND NOT u.disabled AND COALESCE(n.email_digest, TRUE) \
             AND (n.digest_sent_at IS NULL OR n.digest_sent_at < $1) ORDER BY u.id",
        )
        .bind(not_since.millis())
        .bind(MemberStatus::Active)
        .fetch_all(c)
        .await?
    }))
}

pub async fn record_digest(tx: &mut Tx, user_id: UserId, now: Timestamp) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "INSERT INTO care_notification_prefs (user_id, digest_sent_at) VALUES ($1, $2) \
             ON CONFLICT (user_id) DO UPDATE SET digest_sent_at = excluded.digest_sent_at",
        )
        .bind(user_id)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}
