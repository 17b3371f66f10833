//! The audit trail (監査ログ).
//!
//! MHLW guideline 6.0 asks for logs of who operated which record, kept so that
//! tampering shows. Every record stores the SHA-256 of the previous record and
//! its own hash over all of its fields, and `audit_head` holds the newest
//! sequence number and hash. [`verify`] recomputes the chain and names the
//! first record that was edited, deleted or moved.
//!
//! Records are appended inside the caller's transaction, so a change and its
//! audit record commit together or not at all.
//!
//! The chain alone cannot show that someone with write access to the database
//! deleted the newest records or rewrote the trail and recomputed every hash;
//! [`anchor`] signs checkpoints of the head with a key kept outside the
//! database, and [`anchor::verify_anchored`] checks the chain against them.
//!
//! Every text field is cut to a documented bound ([`bounds`]) before it is
//! hashed and stored, so no request can grow the append-only table without
//! limit.

pub mod anchor;

use renkei_domain::{OrgId, RegionId, Timestamp, UserId};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{read, write, Db, StoreError, Tx};

/// The hash the first record chains to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    /// Refused by an access rule.
    Denied,
    /// Attempted and failed (wrong password, invalid code).
    Failure,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failure => "failure",
        }
    }
}

/// The most characters (Unicode scalar values) each text field of a record
/// keeps. A longer value is cut and ends with [`bounds::MARKER`], so the
/// stored text is exactly the bound long and visibly incomplete. The values
/// are documented in docs/security.md.
pub mod bounds {
    pub const ACTOR_USERNAME: usize = 128;
    pub const ROLE: usize = 64;
    pub const ACTION: usize = 64;
    pub const OBJECT_KIND: usize = 64;
    pub const OBJECT_ID: usize = 128;
    pub const PATIENT_ID: usize = 128;
    pub const SOURCE_ADDR: usize = 64;
    pub const USER_AGENT: usize = 300;
    pub const REASON: usize = 1000;
    /// Ends every cut value.
    pub const MARKER: &str = "…[truncated]";
}

/// `s` unchanged when it has at most `max_chars` characters; otherwise its
/// first characters followed by [`bounds::MARKER`], `max_chars` in all.
pub fn bounded(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        return s.to_string();
    }
    let marker_chars = bounds::MARKER.chars().count();
    let keep = max_chars.saturating_sub(marker_chars);
    let mut out: String = s.chars().take(keep).collect();
    out.push_str(bounds::MARKER);
    out
}

/// A record to append; the store adds the sequence number, time and hashes.
#[derive(Debug, Clone, Default)]
pub struct AuditEntry {
    pub region_id: Option<RegionId>,
    pub actor_user_id: Option<UserId>,
    /// The user name as typed (also for failed logins of unknown users).
    pub actor_username: String,
    pub role: String,
    pub org_id: Option<OrgId>,
    /// What happened, e.g. `login`, `user.create`, `patient.read`.
    pub action: String,
    pub object_kind: String,
    pub object_id: String,
    pub patient_id: Option<String>,
    pub outcome: Option<Outcome>,
    pub source_addr: String,
    pub user_agent: String,
    /// Why: required for break-glass access.
    pub reason: String,
}

/// A stored record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: i64,
    pub region_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub actor_username: String,
    pub role: String,
    pub org_id: Option<i64>,
    pub action: String,
    pub object_kind: String,
    pub object_id: String,
    pub patient_id: Option<String>,
    pub outcome: String,
    pub source_addr: String,
    pub user_agent: String,
    pub reason: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRecord {
    /// The hash of this record's content and its predecessor's hash. Fields
    /// are length-prefixed so that moving text between fields changes it.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
        let fields: [String; 16] = [
            self.seq.to_string(),
            self.at.to_string(),
            opt(self.region_id),
            opt(self.actor_user_id),
            self.actor_username.clone(),
            self.role.clone(),
            opt(self.org_id),
            self.action.clone(),
            self.object_kind.clone(),
            self.object_id.clone(),
            self.patient_id.clone().unwrap_or_else(|| "-".into()),
            self.outcome.clone(),
            self.source_addr.clone(),
            self.user_agent.clone(),
            self.reason.clone(),
            self.prev_hash.clone(),
        ];
        for field in &fields {
            h.update((field.len() as u64).to_be_bytes());
            h.update(field.as_bytes());
        }
        hex::encode(h.finalize())
    }

    pub fn time(&self) -> Timestamp {
        Timestamp(self.at)
    }
}

/// Appends `entry` inside `tx` and returns its sequence number.
pub async fn append(tx: &mut Tx, entry: &AuditEntry) -> Result<i64, StoreError> {
    // Taking the head row first orders every appender: SQLite already holds
    // the write lock (BEGIN IMMEDIATE), PostgreSQL locks this row until commit.
    let (seq, prev_hash): (i64, String) = write!(tx, |c| {
        sqlx::query_as("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut *c)
            .await?
    });
    // The trail records when a record was written, not the moment a service
    // decided with: a sealed fact, read from the clock here on purpose.
    #[allow(clippy::disallowed_methods)]
    let written_at = Timestamp::now().millis();
    let mut record = AuditRecord {
        seq,
        at: written_at,
        region_id: entry.region_id.map(|r| r.0),
        actor_user_id: entry.actor_user_id.map(|u| u.0),
        actor_username: bounded(&entry.actor_username, bounds::ACTOR_USERNAME),
        role: bounded(&entry.role, bounds::ROLE),
        org_id: entry.org_id.map(|o| o.0),
        action: bounded(&entry.action, bounds::ACTION),
        object_kind: bounded(&entry.object_kind, bounds::OBJECT_KIND),
        object_id: bounded(&entry.object_id, bounds::OBJECT_ID),
        patient_id: entry
            .patient_id
            .as_deref()
            .map(|p| bounded(p, bounds::PATIENT_ID)),
        outcome: entry.outcome.unwrap_or(Outcome::Success).code().to_string(),
        source_addr: bounded(&entry.source_addr, bounds::SOURCE_ADDR),
        user_agent: bounded(&entry.user_agent, bounds::USER_AGENT),
        reason: bounded(&entry.reason, bounds::REASON),
        prev_hash,
        hash: String::new(),
    };
    record.hash = record.compute_hash();
    write!(tx, |c| {
        sqlx::query(
            "INSERT INTO audit_log (seq, at, region_id, actor_user_id, actor_username, role, org_id, action, \
             object_kind, object_id, patient_id, outcome, source_addr, user_agent, reason, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(record.seq)
        .bind(record.at)
        .bind(record.region_id)
        .bind(record.actor_user_id)
        .bind(&record.actor_username)
        .bind(&record.role)
        .bind(record.org_id)
        .bind(&record.action)
        .bind(&record.object_kind)
        .bind(&record.object_id)
        .bind(&record.patient_id)
        .bind(&record.outcome)
        .bind(&record.source_addr)
        .bind(&record.user_agent)
        .bind(&record.reason)
        .bind(&record.prev_hash)
        .bind(&record.hash)
        .execute(&mut *c)
        .await?;
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&record.hash)
            .execute(&mut *c)
            .await?;
    });
    Ok(seq)
}

/// Appends `entry` in a transaction of its own (for events with no other
/// write, such as a failed login).
pub async fn append_alone(db: &Db, entry: &AuditEntry) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    let seq = append(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(seq)
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Verification {
    /// The whole chain is intact.
    Intact { records: i64, head_hash: String },
    /// The first broken place in the chain.
    Broken { seq: i64, problem: String },
}

const SELECT_RECORD: &str = "SELECT seq, at, region_id, actor_user_id, actor_username, role, org_id, action, \
    object_kind, object_id, patient_id, outcome, source_addr, user_agent, reason, prev_hash, hash FROM audit_log";

/// A place the chain must pass through: record `seq` must have `hash`
/// (taken from a signed checkpoint). `label` names it in messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub seq: i64,
    pub hash: String,
    pub label: String,
}

/// The newest sequence number and hash, as last committed.
pub async fn head(db: &Db) -> Result<(i64, String), StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(c)
            .await?
    }))
}

/// Recomputes the whole chain, in batches, and reports the first problem.
///
/// Only records up to the head read at the start are checked, so records
/// appended meanwhile by a running server are not mistaken for damage.
pub async fn verify(db: &Db) -> Result<Verification, StoreError> {
    let (head_seq, head_hash) = head(db).await?;
    walk(db, 0, GENESIS_HASH, head_seq, &head_hash, &[]).await
}

/// Recomputes the chain from the record after `start_seq` (whose hash is
/// `start_hash`) up to `head_seq`, which must end at `head_hash`, and checks
/// that it passes through every place in `expected`.
pub(crate) async fn walk(
    db: &Db,
    start_seq: i64,
    start_hash: &str,
    head_seq: i64,
    head_hash: &str,
    expected: &[Expected],
) -> Result<Verification, StoreError> {
    const BATCH: i64 = 5000;
    let mut expected: Vec<&Expected> = expected.iter().filter(|e| e.seq >= start_seq).collect();
    expected.sort_by_key(|e| e.seq);
    let mut next = 0usize;
    // The newest record a checkpoint has confirmed (or the starting point).
    let mut confirmed = start_seq;
    while let Some(e) = expected.get(next).filter(|e| e.seq == start_seq) {
        if e.hash != start_hash {
            return Ok(Verification::Broken {
                seq: start_seq.max(1),
                problem: format!(
                    "{}: record {} does not have the hash that was signed",
                    e.label, start_seq
                ),
            });
        }
        next += 1;
    }
    let mut expected_seq = start_seq + 1;
    let mut prev_hash = start_hash.to_string();
    let mut last_seen = start_seq;
    loop {
        let sql = format!("{SELECT_RECORD} WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3");
        let rows: Vec<AuditRecord> = read!(db, |c| {
            sqlx::query_as(&sql)
                .bind(last_seen)
                .bind(head_seq)
                .bind(BATCH)
                .fetch_all(c)
                .await?
        });
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            if row.seq != expected_seq {
                return Ok(Verification::Broken {
                    seq: expected_seq,
                    problem: format!(
                        "record {expected_seq} is missing (deleted); the next record is {}",
                        row.seq
                    ),
                });
            }
            if row.hash != row.compute_hash() {
                return Ok(Verification::Broken {
                    seq: row.seq,
                    problem: format!(
                        "record {} was edited: its content no longer matches its hash",
                        row.seq
                    ),
                });
            }
            if row.prev_hash != prev_hash {
                return Ok(Verification::Broken {
                    seq: row.seq,
                    problem: format!(
                        "record {} does not follow record {}: records were deleted, inserted or reordered",
                        row.seq,
                        row.seq - 1
                    ),
                });
            }
            while let Some(e) = expected.get(next).filter(|e| e.seq == row.seq) {
                if e.hash != row.hash {
                    return Ok(Verification::Broken {
                        seq: confirmed + 1,
                        problem: format!(
                            "{}: record {} no longer has the hash that was signed, so one or more of records {}–{} were \
                             rewritten and the chain recomputed",
                            e.label,
                            row.seq,
                            confirmed + 1,
                            row.seq
                        ),
                    });
                }
                confirmed = row.seq;
                next += 1;
            }
            prev_hash = row.hash.clone();
            expected_seq += 1;
            last_seen = row.seq;
        }
    }
    let records = expected_seq - 1;
    if records != head_seq || prev_hash != head_hash {
        return Ok(Verification::Broken {
            seq: records + 1,
            problem: format!(
                "the trail ends at record {records} but {head_seq} records were written: the newest records were deleted or replaced"
            ),
        });
    }
    if let Some(e) = expected.get(next) {
        return Ok(Verification::Broken {
            seq: records + 1,
            problem: format!(
                "{} covers {} records but the trail ends at record {records}: the newest records were deleted \
                 (or this database is a copy older than the checkpoint)",
                e.label, e.seq
            ),
        });
    }
    Ok(Verification::Intact {
        records,
        head_hash: prev_hash,
    })
}

/// Search criteria for the audit page and CSV export.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only this region's records; `None` for a system administrator.
    pub region_id: Option<RegionId>,
    pub actor_username: Option<String>,
    pub patient_id: Option<String>,
    pub action: Option<String>,
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Records with `seq` below this (for paging, newest first).
    pub before_seq: Option<i64>,
    pub limit: i64,
}

/// Newest first.
pub async fn search(db: &Db, q: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
    let mut sql = format!("{SELECT_RECORD} WHERE 1 = 1");
    let mut n = 0;
    let mut next = |sql: &mut String, clause: &str| {
        n += 1;
        sql.push_str(&clause.replace('?', &format!("${n}")));
    };
    if q.region_id.is_some() {
        next(&mut sql, " AND region_id = ?");
    }
    if q.actor_username.is_some() {
        next(&mut sql, " AND actor_username = ?");
    }
    if q.patient_id.is_some() {
        next(&mut sql, " AND patient_id = ?");
    }
    if q.action.is_some() {
        next(&mut sql, " AND action = ?");
    }
    if q.from.is_some() {
        next(&mut sql, " AND at >= ?");
    }
    if q.until.is_some() {
        next(&mut sql, " AND at < ?");
    }
    if q.before_seq.is_some() {
        next(&mut sql, " AND seq < ?");
    }
    next(&mut sql, " ORDER BY seq DESC LIMIT ?");
    let rows = read!(db, |c| {
        let mut query = sqlx::query_as::<_, AuditRecord>(&sql);
        if let Some(r) = q.region_id {
            query = query.bind(r.0);
        }
        if let Some(v) = &q.actor_username {
            query = query.bind(v);
        }
        if let Some(v) = &q.patient_id {
            query = query.bind(v);
        }
        if let Some(v) = &q.action {
            query = query.bind(v);
        }
        if let Some(v) = q.from {
            query = query.bind(v.0);
        }
        if let Some(v) = q.until {
            query = query.bind(v.0);
        }
        if let Some(v) = q.before_seq {
            query = query.bind(v);
        }
        query.bind(q.limit.clamp(1, 100_000)).fetch_all(c).await?
    });
    Ok(rows)
}
