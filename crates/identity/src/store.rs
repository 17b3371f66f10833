//! SQL for identity. Every function that reads region-owned rows takes the
//! region scope (`None` = all regions, for system administrators only).

use renkei_domain::{RegionId, Timestamp};
use renkei_store::{read, write, Db, StoreError, Tx};

use crate::model::*;

const USER_COLUMNS: &str = "id, region_id, username, display_name, email, role, profession, password_hash, \
    mfa_secret, mfa_enabled, mfa_last_step, disabled, failed_logins, locked_at, is_demo, created_at, updated_at, mfa_failures, locked_until, lock_count";
const ORG_COLUMNS: &str =
    "id, region_id, kind, name, kana, municipality_id, address, phone, disabled, created_at, updated_at";

// ---- regions and municipalities -------------------------------------------

pub async fn insert_region(
    tx: &mut Tx,
    code: &str,
    name: &str,
    is_demo: bool,
    now: Timestamp,
) -> Result<i64, StoreError> {
    Ok(write!(tx, |c| {
        sqlx::query_scalar("INSERT INTO regions (code, name, is_demo, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(code)
            .bind(name)
            .bind(is_demo)
            .bind(now.millis())
            .fetch_one(&mut *c)
            .await?
    }))
}

pub async fn list_regions(db: &Db, scope: Option<RegionId>) -> Result<Vec<Region>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as("SELECT id, code, name, is_demo, created_at FROM regions WHERE ($1 IS NULL OR id = $1) ORDER BY id")
            .bind(scope.map(|r| r.0))
            .fetch_all(c)
            .await?
    }))
}

pub async fn region_by_code(db: &Db, code: &str) -> Result<Option<Region>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as("SELECT id, code, name, is_demo, created_at FROM regions WHERE code = $1")
            .bind(code)
            .fetch_optional(c)
            .await?
    }))
}

pub async fn region_by_id(db: &Db, id: i64) -> Result<Option<Region>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as("SELECT id, code, name, is_demo, created_at FROM regions WHERE id = $1")
            .bind(id)
            .fetch_optional(c)
            .await?
    }))
}

pub async fn count_regions(db: &Db) -> Result<i64, StoreError> {
    Ok(read!(db, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM regions"
    )
    .fetch_one(c)
    .await?))
}

pub async fn insert_municipality(
    tx: &mut Tx,
    region: RegionId,
    code: &str,
    name: &str,
    kana: &str,
    population: Option<i64>,
    now: Timestamp,
) -> Result<i64, StoreError> {
    Ok(write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO municipalities (region_id, code, name, kana, population, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(region.0)
        .bind(code)
        .bind(name)
        .bind(kana)
        .bind(population)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    }))
}

pub async fn list_municipalities(
    db: &Db,
    scope: Option<RegionId>,
) -> Result<Vec<Municipality>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT id, region_id, code, name, kana, population FROM municipalities \
             WHERE ($1 IS NULL OR region_id = $1) ORDER BY code",
        )
        .bind(scope.map(|r| r.0))
        .fetch_all(c)
        .await?
    }))
}

// ---- organisations --------------------------------------------------------

pub async fn insert_organisation(
    tx: &mut Tx,
    region: RegionId,
    o: &NewOrganisation,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let now = now.millis();
    Ok(write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO organisations (region_id, kind, name, kana, municipality_id, address, phone, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(region.0)
        .bind(&o.kind)
        .bind(o.name.trim())
        .bind(o.kana.trim())
        .bind(o.municipality_id)
        .bind(o.address.trim())
        .bind(o.phone.trim())
        .bind(now)
        .fetch_one(&mut *c)
        .await?
    }))
}

pub async fn list_organisations(
    db: &Db,
    scope: Option<RegionId>,
) -> Result<Vec<Organisation>, StoreError> {
    let sql = format!("SELECT {ORG_COLUMNS} FROM organisations WHERE ($1 IS NULL OR region_id = $1) ORDER BY region_id, kana, name");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(scope.map(|r| r.0))
        .fetch_all(c)
        .await?))
}

/// The organisations with these ids, in one query (the home page shows a
/// user's organisations on every visit).
pub async fn organisations_by_ids(db: &Db, ids: &[i64]) -> Result<Vec<Organisation>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT {ORG_COLUMNS} FROM organisations WHERE id IN ({}) ORDER BY kana, name",
        placeholders.join(", ")
    );
    Ok(read!(db, |c| {
        let mut q = sqlx::query_as(&sql);
        for id in ids {
            q = q.bind(id);
        }
        q.fetch_all(c).await?
    }))
}

// ---- users ----------------------------------------------------------------

pub async fn insert_user(
    tx: &mut Tx,
    u: &NewUser,
    password_hash: &str,
    region: Option<RegionId>,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let now = now.millis();
    Ok(write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO users (region_id, username, display_name, email, role, profession, password_hash, is_demo, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
        )
        .bind(region.map(|r| r.0))
        .bind(u.username.trim().to_lowercase())
        .bind(u.display_name.trim())
        .bind(u.email.trim())
        .bind(&u.role)
        .bind(&u.profession)
        .bind(password_hash)
        .bind(u.is_demo)
        .bind(now)
        .fetch_one(&mut *c)
        .await?
    }))
}

pub async fn insert_membership(
    tx: &mut Tx,
    user_id: i64,
    org_id: i64,
    region: RegionId,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query("INSERT INTO memberships (user_id, org_id, region_id) VALUES ($1, $2, $3)")
            .bind(user_id)
            .bind(org_id)
            .bind(region.0)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

pub async fn user_by_username(db: &Db, username: &str) -> Result<Option<UserRecord>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(username.trim().to_lowercase())
        .fetch_optional(c)
        .await?))
}

pub async fn user_by_id(db: &Db, id: i64) -> Result<Option<UserRecord>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?))
}

pub async fn list_users(db: &Db, scope: Option<RegionId>) -> Result<Vec<UserRecord>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE ($1 IS NULL OR region_id = $1) ORDER BY region_id, username");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(scope.map(|r| r.0))
        .fetch_all(c)
        .await?))
}

pub async fn org_ids_of_user(db: &Db, user_id: i64) -> Result<Vec<i64>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_scalar("SELECT org_id FROM memberships WHERE user_id = $1 ORDER BY org_id")
            .bind(user_id)
            .fetch_all(c)
            .await?
    }))
}

pub async fn count_users(db: &Db) -> Result<i64, StoreError> {
    Ok(read!(db, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM users"
    )
    .fetch_one(c)
    .await?))
}

/// Which counter a failure goes to. Password failures are forgotten at the
/// next correct password; second-factor failures only when a second factor
/// succeeds, so "password, then wrong codes" cannot be repeated for ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureCounter {
    Password,
    SecondFactor,
}

impl FailureCounter {
    fn column(self) -> &'static str {
        match self {
            FailureCounter::Password => "failed_logins",
            FailureCounter::SecondFactor => "mfa_failures",
        }
    }
}

/// Counts a failure and, at `threshold`, locks the account until
/// `now + lock_ms` (both counters start again at zero and `lock_count`
/// grows). Returns whether this failure locked the account. Done as one
/// UPDATE so that processes sharing the database count together.
pub async fn record_failure(
    tx: &mut Tx,
    user_id: i64,
    counter: FailureCounter,
    threshold: i64,
    now: Timestamp,
    lock_ms: i64,
) -> Result<bool, StoreError> {
    let col = counter.column();
    let sql = format!(
        "UPDATE users SET \
         locked_at = CASE WHEN {col} + 1 >= $2 THEN $3 ELSE locked_at END, \
         locked_until = CASE WHEN {col} + 1 >= $2 THEN $4 ELSE locked_until END, \
         lock_count = CASE WHEN {col} + 1 >= $2 THEN lock_count + 1 ELSE lock_count END, \
         failed_logins = CASE WHEN {col} + 1 >= $2 THEN 0 ELSE failed_logins + $5 END, \
         mfa_failures = CASE WHEN {col} + 1 >= $2 THEN 0 ELSE mfa_failures + $6 END \
         WHERE id = $1 RETURNING COALESCE(locked_at = $3, FALSE)"
    );
    let (password, code) = match counter {
        FailureCounter::Password => (1i64, 0i64),
        FailureCounter::SecondFactor => (0, 1),
    };
    Ok(write!(tx, |c| {
        sqlx::query_scalar::<_, bool>(&sql)
            .bind(user_id)
            .bind(threshold)
            .bind(now.millis())
            .bind(now.millis() + lock_ms)
            .bind(password)
            .bind(code)
            .fetch_one(&mut *c)
            .await?
    }))
}

/// A correct password: forgets earlier wrong passwords and an expired lock.
pub async fn reset_failed_logins(tx: &mut Tx, user_id: i64) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "UPDATE users SET failed_logins = 0, locked_at = NULL, locked_until = NULL \
             WHERE id = $1 AND (failed_logins <> 0 OR locked_at IS NOT NULL)",
        )
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

/// A full login (password and, where due, second factor): every counter
/// and the lock-out escalation start again.
pub async fn reset_all_failures(tx: &mut Tx, user_id: i64) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "UPDATE users SET failed_logins = 0, mfa_failures = 0, lock_count = 0, locked_at = NULL, locked_until = NULL \
             WHERE id = $1 AND (failed_logins <> 0 OR mfa_failures <> 0 OR lock_count <> 0 OR locked_at IS NOT NULL)",
        )
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

pub async fn unlock_user(tx: &mut Tx, user_id: i64, now: Timestamp) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "UPDATE users SET failed_logins = 0, mfa_failures = 0, lock_count = 0, locked_at = NULL, \
             locked_until = NULL, updated_at = $2 WHERE id = $1",
        )
        .bind(user_id)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

pub async fn set_disabled(
    tx: &mut Tx,
    user_id: i64,
    disabled: bool,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query("UPDATE users SET disabled = $2, updated_at = $3 WHERE id = $1")
            .bind(user_id)
            .bind(disabled)
            .bind(now.millis())
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

pub async fn set_password(
    tx: &mut Tx,
    user_id: i64,
    hash: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
            .bind(user_id)
            .bind(hash)
            .bind(now.millis())
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

/// Stores a pending (not yet confirmed) TOTP secret.
pub async fn set_mfa_secret(
    tx: &mut Tx,
    user_id: i64,
    secret: Option<&str>,
    enabled: bool,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query("UPDATE users SET mfa_secret = $2, mfa_enabled = $3, mfa_last_step = 0, updated_at = $4 WHERE id = $1")
            .bind(user_id)
            .bind(secret)
            .bind(enabled)
            .bind(now.millis())
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

/// Records the accepted TOTP step; fails (returns false) when a newer or equal
/// step was already used, which closes the replay window across processes.
pub async fn advance_mfa_step(tx: &mut Tx, user_id: i64, step: i64) -> Result<bool, StoreError> {
    let rows = write!(tx, |c| {
        sqlx::query("UPDATE users SET mfa_last_step = $2 WHERE id = $1 AND mfa_last_step < $2")
            .bind(user_id)
            .bind(step)
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    Ok(rows == 1)
}

pub async fn replace_recovery_codes(
    tx: &mut Tx,
    user_id: i64,
    hashes: &[String],
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *c)
            .await?;
        for h in hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user_id)
                .bind(h)
                .execute(&mut *c)
                .await?;
        }
    });
    Ok(())
}

/// Marks a recovery code used; true when it existed and was unused.
pub async fn use_recovery_code(
    tx: &mut Tx,
    user_id: i64,
    hash: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let rows = write!(tx, |c| {
        sqlx::query("UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL")
            .bind(user_id)
            .bind(hash)
            .bind(now.millis())
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    Ok(rows == 1)
}

pub async fn unused_recovery_codes(db: &Db, user_id: i64) -> Result<i64, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(c)
        .await?
    }))
}

// ---- login failures by address ---------------------------------------------

pub async fn insert_login_failure(
    tx: &mut Tx,
    username: &str,
    source: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query("INSERT INTO login_failures (username, source_addr, at) VALUES ($1, $2, $3)")
            .bind(username)
            .bind(source)
            .bind(now.millis())
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

pub async fn count_login_failures_since(
    db: &Db,
    source: &str,
    since: Timestamp,
) -> Result<i64, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_failures WHERE source_addr = $1 AND at >= $2",
        )
        .bind(source)
        .bind(since.millis())
        .fetch_one(c)
        .await?
    }))
}

// ---- sessions -------------------------------------------------------------

pub async fn insert_session(
    tx: &mut Tx,
    token_hash: &str,
    user_id: i64,
    mfa_passed: bool,
    csrf_token: &str,
    ctx: &RequestContext,
    now: Timestamp,
) -> Result<(), StoreError> {
    let now = now.millis();
    write!(tx, |c| {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, mfa_passed, csrf_token, source_addr, user_agent) \
             VALUES ($1, $2, $3, $3, $4, $5, $6, $7)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(mfa_passed)
        .bind(csrf_token)
        .bind(&ctx.source_addr)
        .bind(ctx.user_agent.chars().take(300).collect::<String>())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

pub async fn session_by_hash(
    db: &Db,
    token_hash: &str,
) -> Result<Option<SessionRecord>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT token_hash, user_id, created_at, last_seen_at, mfa_passed, csrf_token, ended_at, code_attempts FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(c)
        .await?
    }))
}

/// A session with its user and the user's organisations, in one round trip:
/// this runs on every signed-in request.
pub async fn session_with_user(
    db: &Db,
    token_hash: &str,
) -> Result<Option<(SessionRecord, UserRecord, Vec<i64>)>, StoreError> {
    use sqlx::{FromRow, Row};
    let orgs = match db {
        Db::Sqlite(_) => "(SELECT group_concat(m.org_id) FROM memberships m WHERE m.user_id = u.id)",
        Db::Postgres(_) => "(SELECT string_agg(m.org_id::text, ',' ORDER BY m.org_id) FROM memberships m WHERE m.user_id = u.id)",
    };
    let user_columns: String = USER_COLUMNS
        .split(", ")
        .map(|c| format!("u.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT s.token_hash, s.created_at AS session_created_at, s.last_seen_at, s.mfa_passed, s.csrf_token, s.ended_at, s.code_attempts, \
         {user_columns}, {orgs} AS org_ids FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1"
    );
    Ok(read!(db, |c| {
        match sqlx::query(&sql).bind(token_hash).fetch_optional(c).await? {
            None => None,
            Some(row) => {
                let user = UserRecord::from_row(&row)?;
                let session = SessionRecord {
                    token_hash: row.try_get("token_hash")?,
                    user_id: user.id,
                    created_at: row.try_get("session_created_at")?,
                    last_seen_at: row.try_get("last_seen_at")?,
                    mfa_passed: row.try_get("mfa_passed")?,
                    csrf_token: row.try_get("csrf_token")?,
                    ended_at: row.try_get("ended_at")?,
                    code_attempts: row.try_get("code_attempts")?,
                };
                let org_ids: Option<String> = row.try_get("org_ids")?;
                let org_ids = org_ids
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|id| id.trim().parse().ok())
                    .collect();
                Some((session, user, org_ids))
            }
        }
    }))
}

/// Refreshes the idle clock. Writes only when the stored time is older than
/// `min_gap_ms`, so busy pages do not turn every read into a write.
pub async fn touch_session(
    db: &Db,
    token_hash: &str,
    now: Timestamp,
    min_gap_ms: i64,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    write!(&mut tx, |c| {
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1 AND last_seen_at < $3 AND ended_at IS NULL")
            .bind(token_hash)
            .bind(now.millis())
            .bind(now.millis() - min_gap_ms)
            .execute(&mut *c)
            .await?;
    });
    tx.commit().await
}

/// Takes one of a session's code attempts, atomically: `None` when the
/// session has ended or used all `limit` attempts. (A signed-in session
/// enrolling voluntarily takes attempts too.)
/// Taken before the code is checked, so parallel guesses on one session
/// cannot all pass a "how many so far" check.
pub async fn reserve_code_attempt(
    tx: &mut Tx,
    token_hash: &str,
    limit: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(write!(tx, |c| {
        sqlx::query_scalar(
            "UPDATE sessions SET code_attempts = code_attempts + 1 \
             WHERE token_hash = $1 AND ended_at IS NULL AND code_attempts < $2 \
             RETURNING code_attempts",
        )
        .bind(token_hash)
        .bind(limit)
        .fetch_optional(&mut *c)
        .await?
    }))
}

/// Whether a lock-out of the user is in force at `now` (read inside the
/// transaction that would sign them in).
pub async fn locked_now(tx: &mut Tx, user_id: i64, now: Timestamp) -> Result<bool, StoreError> {
    Ok(write!(tx, |c| {
        sqlx::query_scalar::<_, bool>(
            "SELECT COALESCE(locked_until > $2, FALSE) FROM users WHERE id = $1",
        )
        .bind(user_id)
        .bind(now.millis())
        .fetch_optional(&mut *c)
        .await?
        .unwrap_or(true)
    }))
}

/// Ends the sessions of a user that have not passed the second factor (at a
/// lock-out: whoever is guessing codes must start again from the password).
pub async fn end_pending_sessions_of_user(
    tx: &mut Tx,
    user_id: i64,
    now: Timestamp,
) -> Result<u64, StoreError> {
    Ok(write!(tx, |c| {
        sqlx::query(
            "UPDATE sessions SET ended_at = $2 WHERE user_id = $1 AND ended_at IS NULL AND mfa_passed = FALSE",
        )
        .bind(user_id)
        .bind(now.millis())
        .execute(&mut *c)
        .await?
        .rows_affected()
    }))
}

pub async fn end_session(
    tx: &mut Tx,
    token_hash: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let rows = write!(tx, |c| {
        sqlx::query("UPDATE sessions SET ended_at = $2 WHERE token_hash = $1 AND ended_at IS NULL")
            .bind(token_hash)
            .bind(now.millis())
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    Ok(rows == 1)
}

pub async fn end_sessions_of_user(
    tx: &mut Tx,
    user_id: i64,
    now: Timestamp,
) -> Result<u64, StoreError> {
    Ok(write!(tx, |c| {
        sqlx::query("UPDATE sessions SET ended_at = $2 WHERE user_id = $1 AND ended_at IS NULL")
            .bind(user_id)
            .bind(now.millis())
            .execute(&mut *c)
            .await?
            .rows_affected()
    }))
}

// ---- API tokens -----------------------------------------------------------

/// A personal API token to store (only its hash; the secret is shown once).
pub struct NewApiToken<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub prefix: &'a str,
    pub token_hash: &'a str,
    pub scopes: &'a str,
    pub expires_at: Timestamp,
}

pub async fn insert_api_token(
    tx: &mut Tx,
    token: &NewApiToken<'_>,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let NewApiToken {
        user_id,
        name,
        prefix,
        token_hash,
        scopes,
        expires_at,
    } = *token;
    Ok(write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, name, prefix, token_hash, scopes, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(prefix)
        .bind(token_hash)
        .bind(scopes)
        .bind(now.millis())
        .bind(expires_at.millis())
        .fetch_one(&mut *c)
        .await?
    }))
}

const TOKEN_COLUMNS: &str =
    "id, user_id, name, prefix, scopes, created_at, expires_at, last_used_at, revoked_at";

pub async fn api_token_by_hash(
    db: &Db,
    token_hash: &str,
) -> Result<Option<ApiTokenRecord>, StoreError> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(token_hash)
        .fetch_optional(c)
        .await?))
}

pub async fn api_tokens_of_user(db: &Db, user_id: i64) -> Result<Vec<ApiTokenRecord>, StoreError> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id DESC");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(user_id)
        .fetch_all(c)
        .await?))
}

pub async fn revoke_api_token(
    tx: &mut Tx,
    user_id: i64,
    token_id: i64,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let rows = write!(tx, |c| {
        sqlx::query("UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL")
            .bind(token_id)
            .bind(user_id)
            .bind(now.millis())
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    Ok(rows == 1)
}

/// Revokes every live token of a user (account recovery); returns how many.
pub async fn revoke_api_tokens_of_user(
    tx: &mut Tx,
    user_id: i64,
    now: Timestamp,
) -> Result<u64, StoreError> {
    Ok(write!(tx, |c| {
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(user_id)
        .bind(now.millis())
        .execute(&mut *c)
        .await?
        .rows_affected()
    }))
}

pub async fn touch_api_token(db: &Db, token_id: i64, now: Timestamp) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    write!(&mut tx, |c| {
        sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)")
            .bind(token_id)
            .bind(now.millis())
            .bind(now.millis() - 60_000)
            .execute(&mut *c)
            .await?;
    });
    tx.commit().await
}
