//! Posts: writing, reading pages and replies, vital signs,
//! acknowledgements, edits with their versions, withdrawal, read receipts,
//! and the demo's move of a post in time.

use super::*;
use renkei_store::{read, write};

/// What a new post carries.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub space_id: SpaceId,
    pub author_id: UserId,
    pub author_role: PostAuthorRole,
    pub kind: PostKind,
    pub category: PostCategory,
    pub body: String,
    pub search_text: String,
    pub reply_to: Option<PostId>,
    pub vitals: Vitals,
    pub urgent: bool,
    pub ack_role: Option<TeamRole>,
    pub idempotency_key: Option<String>,
    pub request_hash: String,
    pub mentions: Vec<UserId>,
}

/// The columns of a post with its author's and acknowledger's names; `$extra`
/// adds columns.
macro_rules! post_select {
    ($extra:literal) => {
        concat!(
            "SELECT p.id, p.space_id, p.author_id, u.display_name AS author_name, u.profession AS author_profession, \
    p.author_role, p.kind, p.category, p.body, p.reply_to, p.temperature, p.bp_systolic, p.bp_diastolic, p.pulse, p.spo2, \
    p.respiration, p.weight, p.glucose, p.pain, p.has_vitals, p.urgent, NULLIF(p.ack_role, '') AS ack_role, p.acked_by, a.display_name AS acked_by_name, \
    p.acked_at, p.version, p.created_at, p.edited_at, p.withdrawn_at, p.withdrawn_by, p.withdrawn_reason, \
    p.idempotency_key, p.request_hash, \
    EXISTS (SELECT 1 FROM care_posts r WHERE r.reply_to = p.id) AS has_replies, \
    EXISTS (SELECT 1 FROM care_attachments f WHERE f.post_id = p.id) AS has_attachments",
            $extra,
            " FROM care_posts p JOIN identity_people u ON u.id = p.author_id LEFT JOIN identity_people a ON a.id = p.acked_by"
        )
    };
}

const POST_SELECT: &str = post_select!("");

/// Posts as a timeline shows them: with who has read each, as
/// `user:millis,…` (digits only, so portable SQL and trivial to parse; the
/// page names readers from the team's member list).
const TIMELINE_SELECT: &str = post_select!(
    ", (SELECT string_agg(r.user_id || ':' || r.read_at, ',') FROM care_reads r WHERE r.post_id = p.id) AS read_by"
);

/// The post an author already made with this idempotency key.
pub async fn post_by_key(
    tx: &mut Tx,
    author_id: UserId,
    key: &str,
) -> Result<Option<Post>, StoreError> {
    let sql = format!("{POST_SELECT} WHERE p.author_id = $1 AND p.idempotency_key = $2");
    Ok(write!(tx, |c| {
        sqlx::query_as(&sql)
            .bind(author_id)
            .bind(key)
            .fetch_optional(&mut *c)
            .await?
    }))
}

pub async fn insert_post(tx: &mut Tx, p: &NewPost, now: Timestamp) -> Result<PostId, StoreError> {
    let v = &p.vitals;
    let id: PostId = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO care_posts (space_id, author_id, author_role, kind, category, body, search_text, reply_to, \
             temperature, bp_systolic, bp_diastolic, pulse, spo2, respiration, weight, glucose, pain, has_vitals, \
             urgent, ack_role, created_at, idempotency_key, request_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) \
             RETURNING id",
        )
        .bind(p.space_id)
        .bind(p.author_id)
        .bind(p.author_role.code())
        .bind(p.kind)
        .bind(p.category)
        .bind(&p.body)
        .bind(&p.search_text)
        .bind(p.reply_to)
        .bind(v.temperature)
        .bind(v.bp_systolic)
        .bind(v.bp_diastolic)
        .bind(v.pulse)
        .bind(v.spo2)
        .bind(v.respiration)
        .bind(v.weight)
        .bind(v.glucose)
        .bind(v.pain)
        .bind(!v.is_empty())
        .bind(p.urgent)
        .bind(p.ack_role.map_or("", |r| r.code()))
        .bind(now.millis())
        .bind(&p.idempotency_key)
        .bind(&p.request_hash)
        .fetch_one(&mut *c)
        .await?
    });
    if !p.mentions.is_empty() {
        let values: Vec<String> = p.mentions.iter().map(|u| format!("({id}, {u})")).collect();
        let sql = format!(
            "INSERT INTO care_mentions (post_id, user_id) VALUES {} ON CONFLICT DO NOTHING",
            values.join(", ")
        );
        write!(tx, |c| {
            sqlx::query(&sql).execute(&mut *c).await?;
        });
    }
    // The author has read what they wrote.
    write!(tx, |c| {
        sqlx::query("INSERT INTO care_reads (post_id, user_id, read_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(p.author_id)
            .bind(now.millis())
            .execute(&mut *c)
            .await?;
    });
    Ok(id)
}

pub async fn post(db: &Db, id: PostId) -> Result<Option<Post>, StoreError> {
    let sql = format!("{TIMELINE_SELECT} WHERE p.id = $1");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?))
}

pub async fn post_in_tx(tx: &mut Tx, id: PostId) -> Result<Option<Post>, StoreError> {
    let sql = format!("{POST_SELECT} WHERE p.id = $1");
    Ok(write!(tx, |c| {
        sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&mut *c)
            .await?
    }))
}

/// Top-level posts newest first (or every matching post when searching).
pub async fn timeline(
    db: &Db,
    space_id: SpaceId,
    q: &TimelineQuery,
) -> Result<Vec<Post>, StoreError> {
    let mut sql = format!("{TIMELINE_SELECT} WHERE p.space_id = $1");
    let mut n = 1;
    if q.text.is_none() {
        sql.push_str(" AND p.reply_to IS NULL");
    }
    if q.before.is_some() {
        n += 1;
        sql.push_str(&format!(" AND p.id < ${n}"));
    }
    if q.text.is_some() {
        n += 1;
        sql.push_str(&format!(" AND p.search_text LIKE ${n} ESCAPE '\\'"));
    }
    match q.category {
        CategoryFilter::Any => {}
        CategoryFilter::Only(_) => {
            n += 1;
            sql.push_str(&format!(" AND p.category = ${n}"));
        }
        CategoryFilter::NoSuch => sql.push_str(" AND 1 = 0"),
    }
    sql.push_str(&format!(
        " ORDER BY p.id DESC LIMIT {}",
        q.limit.clamp(1, 200)
    ));
    let pattern = q.text.as_ref().map(|t| {
        let escaped = t
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    });
    Ok(read!(db, |c| {
        let mut query = sqlx::query_as(&sql).bind(space_id);
        if let Some(b) = q.before {
            query = query.bind(b);
        }
        if let Some(p) = &pattern {
            query = query.bind(p.clone());
        }
        if let CategoryFilter::Only(category) = q.category {
            query = query.bind(category);
        }
        query.fetch_all(c).await?
    }))
}

/// Replies to these posts, oldest first.
pub async fn replies(db: &Db, parent_ids: &[PostId]) -> Result<Vec<Post>, StoreError> {
    if parent_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{TIMELINE_SELECT} WHERE p.reply_to IN ({}) ORDER BY p.id",
        id_list(parent_ids)
    );
    Ok(read!(db, |c| sqlx::query_as(&sql).fetch_all(c).await?))
}

/// Urgent posts still waiting for acknowledgement, oldest first.
pub async fn open_urgent(db: &Db, space_id: SpaceId) -> Result<Vec<Post>, StoreError> {
    let sql = format!(
        "{TIMELINE_SELECT} WHERE p.space_id = $1 AND p.urgent AND p.acked_at IS NULL AND p.withdrawn_at IS NULL ORDER BY p.id"
    );
    Ok(read!(db, |c| {
        sqlx::query_as(&sql).bind(space_id).fetch_all(c).await?
    }))
}

/// Posts with vital signs since `since`, oldest first (for the charts).
pub async fn vitals_since(
    db: &Db,
    space_id: SpaceId,
    since: Timestamp,
) -> Result<Vec<Post>, StoreError> {
    let sql = format!(
        "{POST_SELECT} WHERE p.space_id = $1 AND p.has_vitals AND p.created_at >= $2 AND p.withdrawn_at IS NULL \
         ORDER BY p.created_at, p.id"
    );
    Ok(read!(db, |c| {
        sqlx::query_as(&sql)
            .bind(space_id)
            .bind(since.millis())
            .fetch_all(c)
            .await?
    }))
}

/// Every post with vital signs of one space, newest first (FHIR
/// Observation search, which pages the Observations they hold).
pub async fn posts_with_vitals(db: &Db, space_id: SpaceId) -> Result<Vec<Post>, StoreError> {
    let sql = format!(
        "{POST_SELECT} WHERE p.space_id = $1 AND p.has_vitals AND p.withdrawn_at IS NULL ORDER BY p.id DESC"
    );
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(space_id)
        .fetch_all(c)
        .await?))
}

/// One page of a space's posts, newest first, and how many it has (FHIR
/// Communication search).
pub async fn posts_page(
    db: &Db,
    space_id: SpaceId,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Post>, i64), StoreError> {
    let sql = format!("{POST_SELECT} WHERE p.space_id = $1 ORDER BY p.id DESC LIMIT $2 OFFSET $3");
    let posts = read!(db, |c| sqlx::query_as(&sql)
        .bind(space_id)
        .bind(limit.max(0))
        .bind(offset.max(0))
        .fetch_all(c)
        .await?);
    let total: i64 = read!(db, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM care_posts WHERE space_id = $1"
    )
    .bind(space_id)
    .fetch_one(c)
    .await?);
    Ok((posts, total))
}

pub async fn acknowledge(
    tx: &mut Tx,
    post_id: PostId,
    by: UserId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = write!(tx, |c| {
        sqlx::query(
            "UPDATE care_posts SET acked_by = $2, acked_at = $3 WHERE id = $1 AND urgent AND acked_at IS NULL",
        )
        .bind(post_id)
        .bind(by)
        .bind(now.millis())
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(n == 1)
}

/// A post's new content.
pub struct PostEdit<'a> {
    pub category: PostCategory,
    pub body: &'a str,
    /// The folded body that search matches.
    pub search_text: &'a str,
    pub vitals: &'a Vitals,
}

/// Keeps the current text as a version and writes the new one.
pub async fn edit_post(
    tx: &mut Tx,
    old: &Post,
    new: &PostEdit<'_>,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    let PostEdit {
        category,
        body,
        search_text,
        vitals,
    } = *new;
    let old_vitals = json_text(&old.vitals())?;
    let written_at = old.edited_at.unwrap_or(old.created_at);
    let written_by = if old.version == 1 { old.author_id } else { by };
    write!(tx, |c| {
        sqlx::query(
            "INSERT INTO care_post_versions (post_id, version, category, body, vitals, written_by, written_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(old.id)
        .bind(old.version)
        .bind(old.category)
        .bind(&old.body)
        .bind(&old_vitals)
        .bind(written_by)
        .bind(written_at)
        .execute(&mut *c)
        .await?;
        sqlx::query(
            "UPDATE care_posts SET category = $2, body = $3, search_text = $4, temperature = $5, bp_systolic = $6, \
             bp_diastolic = $7, pulse = $8, spo2 = $9, respiration = $10, weight = $11, glucose = $12, pain = $13, \
             has_vitals = $14, version = version + 1, edited_at = $15 WHERE id = $1",
        )
        .bind(old.id)
        .bind(category)
        .bind(body)
        .bind(search_text)
        .bind(vitals.temperature)
        .bind(vitals.bp_systolic)
        .bind(vitals.bp_diastolic)
        .bind(vitals.pulse)
        .bind(vitals.spo2)
        .bind(vitals.respiration)
        .bind(vitals.weight)
        .bind(vitals.glucose)
        .bind(vitals.pain)
        .bind(!vitals.is_empty())
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

pub async fn post_versions(
    db: &Db,
    post_ids: &[PostId],
) -> Result<Vec<(PostId, PostVersion)>, StoreError> {
    if post_ids.is_empty() {
        return Ok(Vec::new());
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        post_id: PostId,
        #[sqlx(flatten)]
        v: PostVersion,
        vitals: String,
    }
    let sql = format!(
        "SELECT v.post_id, v.version, v.category, v.body, v.vitals, v.written_by, u.display_name AS written_by_name, \
         v.written_at FROM care_post_versions v JOIN identity_people u ON u.id = v.written_by \
         WHERE v.post_id IN ({}) ORDER BY v.post_id, v.version",
        id_list(post_ids)
    );
    let rows: Vec<Row> = read!(db, |c| sqlx::query_as(&sql).fetch_all(c).await?);
    rows.into_iter()
        .map(|r| {
            let row = format!("{} v{}", r.post_id, r.v.version);
            let vitals = json_column("care_post_versions", row, "vitals", &r.vitals)?;
            Ok((r.post_id, PostVersion { vitals, ..r.v }))
        })
        .collect()
}

/// Withdrawal keeps the row (and its versions) and hides the text from the
/// timeline; the audit trail says who and why.
pub async fn withdraw_post(
    tx: &mut Tx,
    id: PostId,
    by: UserId,
    reason: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = write!(tx, |c| {
        sqlx::query(
            "UPDATE care_posts SET withdrawn_at = $2, withdrawn_by = $3, withdrawn_reason = $4, search_text = '' \
             WHERE id = $1 AND withdrawn_at IS NULL",
        )
        .bind(id)
        .bind(now.millis())
        .bind(by)
        .bind(reason)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(n == 1)
}

/// Records that `user_id` has read these posts (first reading only).
pub async fn mark_read(
    tx: &mut Tx,
    user_id: UserId,
    post_ids: &[PostId],
    now: Timestamp,
) -> Result<(), StoreError> {
    if post_ids.is_empty() {
        return Ok(());
    }
    let at = now.millis();
    let values: Vec<String> = post_ids
        .iter()
        .map(|p| format!("({p}, {user_id}, {at})"))
        .collect();
    let sql = format!(
        "INSERT INTO care_reads (post_id, user_id, read_at) VALUES {} ON CONFLICT DO NOTHING",
        values.join(", ")
    );
    write!(tx, |c| {
        sqlx::query(&sql).execute(&mut *c).await?;
    });
    Ok(())
}

/// Moves a post (and its read receipts) to another time. Only the demo
/// loader and the benchmark generator use this, to lay out a week of care.
pub async fn set_post_time(
    tx: &mut Tx,
    post_id: PostId,
    created_at: i64,
    acked_at: Option<i64>,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query("UPDATE care_posts SET created_at = $2, acked_at = COALESCE($3, acked_at) WHERE id = $1")
            .bind(post_id)
            .bind(created_at)
            .bind(acked_at)
            .execute(&mut *c)
            .await?;
        sqlx::query("UPDATE care_reads SET read_at = $2 WHERE post_id = $1 AND read_at < $2")
            .bind(post_id)
            .bind(created_at + 600_000)
            .execute(&mut *c)
            .await?;
        sqlx::query("UPDATE care_reads SET read_at = $2 WHERE post_id = $1 AND read_at > $2")
            .bind(post_id)
            .bind(created_at + 600_000)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}
