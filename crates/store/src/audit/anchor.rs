//! Signed checkpoints: the audit chain anchored outside the database.
//!
//! The hash chain shows an edit, a gap or a swap, but whoever can write the
//! database can also delete the newest records and set `audit_head` back, or
//! edit a record and recompute every hash after it; the chain then verifies
//! again. A checkpoint closes that hole: it is the head of the chain at one
//! moment — (sequence number, head hash, time, key id) — signed with an
//! Ed25519 key that lives in a file outside the database, appended as one
//! JSON line to an anchor file that the operator ships elsewhere (and kept
//! in `audit_checkpoints` so the server can show the latest one).
//! [`verify_anchored`] then requires the chain to pass through every
//! checkpoint: deleting the newest records, or rewriting and recomputing the
//! chain, is detected back to the newest checkpoint. Records written after
//! the newest checkpoint are protected by the chain only.
//!
//! Keys are PKCS#8 / SubjectPublicKeyInfo PEM, the formats `openssl genpkey
//! -algorithm ed25519` writes and `openssl pkeyutl -verify -rawin` reads, so
//! an auditor can check a checkpoint without Renkei: the signed message is
//! [`Checkpoint::message`].

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use renkei_domain::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{head, walk, Expected, Verification, GENESIS_HASH};
use crate::{read, write, Db, StoreError};

/// The schema version that created `audit_checkpoints`.
pub const CHECKPOINT_SCHEMA_VERSION: i64 = 7;

/// The format version of a checkpoint line.
pub const FORMAT: u32 = 1;

/// DER prefix of an Ed25519 PKCS#8 v1 private key (RFC 8410); the 32-byte
/// seed follows.
const PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the 32-byte key
/// follows.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

fn invalid(message: impl Into<String>) -> StoreError {
    StoreError::Invalid(message.into())
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = B64.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The DER inside the first `label` PEM block of `text`, if any.
fn pem_body(text: &str, label: &str) -> Option<Result<Vec<u8>, String>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let Some(stop) = text[start..].find(&end) else {
        return Some(Err(format!("the {label} block has no END line")));
    };
    let body: String = text[start..start + stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    Some(
        B64.decode(body)
            .map_err(|e| format!("the {label} block is not base64: {e}")),
    )
}

fn key_bytes(der: &[u8], prefix: &[u8], what: &str) -> Result<[u8; 32], String> {
    der.strip_prefix(prefix)
        .and_then(|rest| <[u8; 32]>::try_from(rest).ok())
        .ok_or_else(|| format!("the {what} is not an Ed25519 key (expected the RFC 8410 encoding)"))
}

/// A public key that verifies checkpoints, with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
    id: String,
}

impl PublicKey {
    fn new(key: VerifyingKey) -> Self {
        let digest = Sha256::digest(key.as_bytes());
        Self {
            key,
            id: hex::encode(&digest[..8]),
        }
    }

    /// The key id: the first 8 bytes of the SHA-256 of the raw public key,
    /// in hex. Every checkpoint names the key that signed it.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn to_pem(&self) -> String {
        let mut der = SPKI_PREFIX.to_vec();
        der.extend_from_slice(self.key.as_bytes());
        pem("PUBLIC KEY", &der)
    }

    /// Reads a public key PEM, or derives the public key from a private key
    /// PEM (so the signing key file also works for verification).
    pub fn from_pem(text: &str) -> Result<Self, StoreError> {
        if let Some(der) = pem_body(text, "PUBLIC KEY") {
            let bytes =
                key_bytes(&der.map_err(invalid)?, &SPKI_PREFIX, "public key").map_err(invalid)?;
            let key = VerifyingKey::from_bytes(&bytes)
                .map_err(|_| invalid("the public key is not a valid Ed25519 point"))?;
            return Ok(Self::new(key));
        }
        Ok(AuditKey::from_pem(text)?.public)
    }

    /// Reads [`PublicKey::from_pem`] from a file.
    pub fn load(path: &Path) -> Result<Self, StoreError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
        Self::from_pem(&text).map_err(|e| invalid(format!("{}: {e}", path.display())))
    }
}

/// The signing key of checkpoints.
pub struct AuditKey {
    signing: SigningKey,
    public: PublicKey,
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("AuditKey")
            .field("key_id", &self.public.id)
            .finish()
    }
}

impl AuditKey {
    /// A new random key from the operating system's generator.
    pub fn generate() -> Self {
        Self::from_signing(SigningKey::generate(&mut rand::rngs::OsRng))
    }

    fn from_signing(signing: SigningKey) -> Self {
        let public = PublicKey::new(signing.verifying_key());
        Self { signing, public }
    }

    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn to_pem(&self) -> String {
        let mut der = PKCS8_PREFIX.to_vec();
        der.extend_from_slice(self.signing.as_bytes());
        pem("PRIVATE KEY", &der)
    }

    pub fn from_pem(text: &str) -> Result<Self, StoreError> {
        let der = pem_body(text, "PRIVATE KEY")
            .ok_or_else(|| {
                invalid("no -----BEGIN PRIVATE KEY----- or -----BEGIN PUBLIC KEY----- block found")
            })?
            .map_err(invalid)?;
        let seed = key_bytes(&der, &PKCS8_PREFIX, "private key").map_err(invalid)?;
        Ok(Self::from_signing(SigningKey::from_bytes(&seed)))
    }

    /// Reads the signing key from `path`.
    pub fn load(path: &Path) -> Result<Self, StoreError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
        Self::from_pem(&text).map_err(|e| invalid(format!("{}: {e}", path.display())))
    }

    /// Signs the head (`seq`, `head_hash`) as of `at`.
    pub fn sign(&self, seq: i64, head_hash: &str, at: Timestamp) -> Checkpoint {
        let mut checkpoint = Checkpoint {
            v: FORMAT,
            seq,
            head_hash: head_hash.to_string(),
            at: at.millis(),
            key_id: self.public.id.clone(),
            signature: String::new(),
        };
        let signature = self.signing.sign(checkpoint.message().as_bytes());
        checkpoint.signature = B64.encode(signature.to_bytes());
        checkpoint
    }
}

/// Where [`write_new_key`] puts the public key: `FILE.pub`.
pub fn public_key_path(key_file: &Path) -> PathBuf {
    let mut name = key_file.as_os_str().to_os_string();
    name.push(".pub");
    PathBuf::from(name)
}

/// Generates a key and writes it to `path` (created, never overwritten,
/// mode 0600) and its public key to `path.pub` (mode 0644).
pub fn write_new_key(path: &Path) -> Result<AuditKey, StoreError> {
    let key = AuditKey::generate();
    let public_path = public_key_path(path);
    for p in [path, public_path.as_path()] {
        if p.exists() {
            return Err(invalid(format!(
                "{} already exists; choose a new file",
                p.display()
            )));
        }
    }
    let secret = format!(
        "# Renkei audit signing key (Ed25519), key id {}.\n\
         # Keep it outside the database and outside database backups.\n{}",
        key.public.id,
        key.to_pem()
    );
    write_new_file(path, secret.as_bytes(), 0o600)?;
    let public = format!(
        "# Renkei audit verification key (Ed25519), key id {}.\n\
         # Give it to auditors: renkei audit verify --anchor FILE --public-key THIS_FILE\n{}",
        key.public.id,
        key.public.to_pem()
    );
    write_new_file(&public_path, public.as_bytes(), 0o644)?;
    Ok(key)
}

fn write_new_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options
        .open(path)
        .map_err(|e| invalid(format!("cannot create {}: {e}", path.display())))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| invalid(format!("cannot write {}: {e}", path.display())))
}

/// A warning when the key file can be read by users other than its owner.
pub fn key_permission_warning(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode();
        (mode & 0o077 != 0).then(|| {
            format!(
                "{} can be read by other users (mode {:o}); chmod 600 it",
                path.display(),
                mode & 0o777
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// One signed checkpoint: one line of the anchor file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// [`FORMAT`].
    pub v: u32,
    /// The number of records the chain held (the head's sequence number).
    pub seq: i64,
    /// The hash of record `seq` ([`GENESIS_HASH`] when `seq` is 0).
    pub head_hash: String,
    /// When it was signed, Unix milliseconds, by the server's clock.
    pub at: i64,
    /// [`PublicKey::id`] of the signing key.
    pub key_id: String,
    /// Ed25519 signature of [`Checkpoint::message`], base64.
    pub signature: String,
}

impl Checkpoint {
    /// The exact bytes that are signed (UTF-8, `\n` after every line):
    ///
    /// ```text
    /// renkei-audit-checkpoint v1
    /// seq 1234
    /// head 9f86d081…
    /// at 1795337400000
    /// key 0123456789abcdef
    /// ```
    pub fn message(&self) -> String {
        format!(
            "renkei-audit-checkpoint v{}\nseq {}\nhead {}\nat {}\nkey {}\n",
            self.v, self.seq, self.head_hash, self.at, self.key_id
        )
    }

    /// The anchor file line (JSON, no newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn time(&self) -> Timestamp {
        Timestamp(self.at)
    }

    /// Checks the form and the signature against `keys` (chosen by key id).
    pub fn check(&self, keys: &[PublicKey]) -> Result<(), String> {
        if self.v != FORMAT {
            return Err(format!(
                "format version {} is not known (this Renkei reads {FORMAT})",
                self.v
            ));
        }
        if self.seq < 0 {
            return Err(format!("seq {} is negative", self.seq));
        }
        let hex_ok = self.head_hash.len() == 64
            && self
                .head_hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex_ok {
            return Err("head_hash is not a SHA-256 in lower-case hex".into());
        }
        let Some(key) = keys.iter().find(|k| k.id == self.key_id) else {
            let known: Vec<&str> = keys.iter().map(|k| k.id.as_str()).collect();
            return Err(format!(
                "signed by key {:?}, which is not among the public keys given ({})",
                self.key_id,
                known.join(", ")
            ));
        };
        let bytes = B64
            .decode(&self.signature)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
            .ok_or("the signature is not 64 bytes of base64")?;
        key.key
            .verify_strict(self.message().as_bytes(), &Signature::from_bytes(&bytes))
            .map_err(|_| {
                "the signature does not verify: the checkpoint was forged or altered".to_string()
            })
    }
}

/// What [`check_anchor`] found in an anchor file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorFile {
    /// Every line is a checkpoint signed by one of the keys: (line number,
    /// checkpoint), in file order.
    Valid(Vec<(usize, Checkpoint)>),
    /// The first line that is not.
    Invalid { line: usize, problem: String },
}

/// Parses an anchor file (one JSON checkpoint a line; blank lines are
/// skipped) and checks every signature. A file with no checkpoint is
/// invalid: it anchors nothing.
pub fn check_anchor(text: &str, keys: &[PublicKey]) -> AnchorFile {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let checkpoint: Checkpoint = match serde_json::from_str(line) {
            Ok(c) => c,
            Err(e) => {
                return AnchorFile::Invalid {
                    line: line_no,
                    problem: format!("not a checkpoint: {e}"),
                }
            }
        };
        if let Err(problem) = checkpoint.check(keys) {
            return AnchorFile::Invalid {
                line: line_no,
                problem,
            };
        }
        found.push((line_no, checkpoint));
    }
    if found.is_empty() {
        return AnchorFile::Invalid {
            line: 0,
            problem: "the file holds no checkpoint, so nothing is anchored".into(),
        };
    }
    AnchorFile::Valid(found)
}

/// Recomputes the whole chain and requires it to pass through every
/// checkpoint (already checked with [`check_anchor`]).
pub async fn verify_anchored(
    db: &Db,
    checkpoints: &[(usize, Checkpoint)],
) -> Result<Verification, StoreError> {
    let expected: Vec<Expected> = checkpoints
        .iter()
        .map(|(line, c)| Expected {
            seq: c.seq,
            hash: c.head_hash.clone(),
            label: format!(
                "the checkpoint signed {} (anchor line {line})",
                c.time().to_rfc3339()
            ),
        })
        .collect();
    let (head_seq, head_hash) = head(db).await?;
    walk(db, 0, GENESIS_HASH, head_seq, &head_hash, &expected).await
}

/// A checkpoint as kept in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub checkpoint: Checkpoint,
    /// What wrote it: `serve`, `backup` or `cli`.
    pub source: String,
}

type CheckpointRow = (i64, String, i64, String, String, String);

fn from_row((seq, head_hash, at, key_id, signature, source): CheckpointRow) -> StoredCheckpoint {
    StoredCheckpoint {
        checkpoint: Checkpoint {
            v: FORMAT,
            seq,
            head_hash,
            at,
            key_id,
            signature,
        },
        source,
    }
}

/// The newest checkpoint kept in the database (for the server to show).
/// The database copy is a convenience: whoever can write the database can
/// delete it, which is why the anchor file goes elsewhere.
pub async fn latest(db: &Db) -> Result<Option<StoredCheckpoint>, StoreError> {
    let row: Option<CheckpointRow> = read!(db, |c| {
        sqlx::query_as(
            "SELECT seq, head_hash, at, key_id, signature, source FROM audit_checkpoints \
             ORDER BY seq DESC, id DESC LIMIT 1",
        )
        .fetch_optional(c)
        .await?
    });
    Ok(row.map(from_row))
}

/// What [`checkpoint`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointOutcome {
    /// Signed, appended to the anchor file and kept in the database.
    Written(Checkpoint),
    /// The head has not moved since this checkpoint (only with
    /// `only_if_moved`); nothing was written.
    Unchanged(Checkpoint),
    /// The chain is broken since the last good checkpoint; nothing was
    /// signed, so the damage cannot be blessed.
    Refused { seq: i64, problem: String },
}

/// Signs the current head and appends it to `anchor_file` (when given) and
/// to `audit_checkpoints`.
///
/// Before signing, the chain must still pass through the newest checkpoint in
/// the database that this key signed, and is recomputed from there (or from
/// the first record when there is none), so a checkpoint never vouches for a
/// chain that is already broken. Deleting checkpoints from the database only
/// makes this check start earlier (the anchor file still has them).
pub async fn checkpoint(
    db: &Db,
    key: &AuditKey,
    anchor_file: Option<&Path>,
    source: &str,
    only_if_moved: bool,
) -> Result<CheckpointOutcome, StoreError> {
    let (head_seq, head_hash) = head(db).await?;
    let start = newest_signed(db, key).await?;
    if let Some(last) = &start {
        if only_if_moved && last.seq == head_seq && last.head_hash == head_hash {
            return Ok(CheckpointOutcome::Unchanged(last.clone()));
        }
        if let Some((seq, problem)) = still_holds(db, last, head_seq).await? {
            return Ok(CheckpointOutcome::Refused { seq, problem });
        }
    }
    let (start_seq, start_hash) = start
        .as_ref()
        .map(|c| (c.seq, c.head_hash.clone()))
        .unwrap_or((0, GENESIS_HASH.to_string()));
    if let Verification::Broken { seq, problem } =
        walk(db, start_seq, &start_hash, head_seq, &head_hash, &[]).await?
    {
        return Ok(CheckpointOutcome::Refused { seq, problem });
    }
    // A checkpoint says when the head was signed: the real time, on purpose.
    #[allow(clippy::disallowed_methods)]
    let signed = key.sign(head_seq, &head_hash, Timestamp::now());
    if let Some(path) = anchor_file {
        append_line(path, &signed.to_line())?;
    }
    let mut tx = db.begin().await?;
    write!(&mut tx, |c| {
        sqlx::query(
            "INSERT INTO audit_checkpoints (seq, head_hash, at, key_id, signature, source) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(signed.seq)
        .bind(&signed.head_hash)
        .bind(signed.at)
        .bind(&signed.key_id)
        .bind(&signed.signature)
        .bind(source)
        .execute(&mut *c)
        .await?;
    });
    tx.commit().await?;
    Ok(CheckpointOutcome::Written(signed))
}

/// The newest checkpoint in the database that `key` really signed (rows
/// with a bad signature are ignored: they prove nothing).
async fn newest_signed(db: &Db, key: &AuditKey) -> Result<Option<Checkpoint>, StoreError> {
    let rows: Vec<CheckpointRow> = read!(db, |c| {
        sqlx::query_as(
            "SELECT seq, head_hash, at, key_id, signature, source FROM audit_checkpoints \
             WHERE key_id = $1 ORDER BY seq DESC, id DESC LIMIT 50",
        )
        .bind(key.public.id())
        .fetch_all(c)
        .await?
    });
    let keys = [key.public.clone()];
    Ok(rows
        .into_iter()
        .map(|row| from_row(row).checkpoint)
        .find(|c| c.check(&keys).is_ok()))
}

/// Whether the chain (ending at `head_seq`) still passes through `c`.
/// When not: the record where it breaks, and why.
async fn still_holds(
    db: &Db,
    c: &Checkpoint,
    head_seq: i64,
) -> Result<Option<(i64, String)>, StoreError> {
    if c.seq > head_seq {
        return Ok(Some((head_seq + 1, format!(
            "the newest checkpoint (signed {}) covers {} records but the trail ends at record {head_seq}: \
             the newest records were deleted",
            c.time().to_rfc3339(),
            c.seq
        ))));
    }
    let hash: Option<String> = if c.seq == 0 {
        Some(GENESIS_HASH.to_string())
    } else {
        read!(db, |conn| {
            sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
                .bind(c.seq)
                .fetch_optional(conn)
                .await?
        })
    };
    Ok((hash.as_deref() != Some(c.head_hash.as_str())).then(|| {
        (
            c.seq,
            format!(
                "record {} no longer has the hash signed in the newest checkpoint (signed {}): \
             the trail was rewritten",
                c.seq,
                c.time().to_rfc3339()
            ),
        )
    }))
}

/// Appends `line` and a newline in one write and flushes it to disk.
fn append_line(path: &Path, line: &str) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o644);
    }
    let mut file = options.open(path).map_err(|e| {
        invalid(format!(
            "cannot open the anchor file {}: {e}",
            path.display()
        ))
    })?;
    file.write_all(format!("{line}\n").as_bytes())
        .and_then(|()| file.sync_data())
        .map_err(|e| {
            invalid(format!(
                "cannot append to the anchor file {}: {e}",
                path.display()
            ))
        })
}
