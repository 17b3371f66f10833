//! The audit chain on both backends: appends verify, and every kind of
//! tampering (edit, delete, swap, truncate) is caught at the right record;
//! signed checkpoints catch what the chain alone cannot (the newest records
//! deleted with the head set back, a chain rewritten and recomputed); every
//! field is bounded.

use renkei_domain::Timestamp;
use renkei_store::audit::anchor::{self, AnchorFile, AuditKey, CheckpointOutcome, PublicKey};
use renkei_store::audit::{self, AuditEntry, AuditRecord, Outcome, Verification};
use renkei_store::{both_backends, sqlx, Db, Tx};

fn entry(n: usize) -> AuditEntry {
    AuditEntry {
        actor_username: format!("user{n}"),
        role: "coordinator".into(),
        action: "test.write".into(),
        object_kind: "thing".into(),
        object_id: n.to_string(),
        outcome: Some(Outcome::Success),
        source_addr: "127.0.0.1".into(),
        user_agent: "test".into(),
        ..AuditEntry::default()
    }
}

async fn fill(db: &Db, n: usize) {
    for i in 1..=n {
        audit::append_alone(db, &entry(i)).await.unwrap();
    }
}

/// Runs raw SQL as an attacker with database access would: with the
/// append-only triggers removed first.
async fn tamper(db: &Db, sql: &str) {
    let drop = match db {
        Db::Sqlite(_) => vec![
            "DROP TRIGGER IF EXISTS audit_log_no_update",
            "DROP TRIGGER IF EXISTS audit_log_no_delete",
        ],
        Db::Postgres(_) => vec!["DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log"],
    };
    let mut tx = db.begin().await.unwrap();
    for statement in drop
        .iter()
        .copied()
        .chain(sql.split(';').map(str::trim).filter(|s| !s.is_empty()))
    {
        renkei_store::write!(&mut tx, |c| {
            sqlx::query(statement).execute(&mut *c).await.unwrap();
        });
    }
    tx.commit().await.unwrap();
}

fn broken_at(v: Verification) -> i64 {
    match v {
        Verification::Broken { seq, .. } => seq,
        Verification::Intact { .. } => panic!("tampering was not detected"),
    }
}

both_backends!(intact_chain_verifies, |db: Db| async move {
    fill(&db, 25).await;
    match audit::verify(&db).await.unwrap() {
        Verification::Intact { records, .. } => assert_eq!(records, 25),
        other => panic!("{other:?}"),
    }
});

both_backends!(empty_chain_verifies, |db: Db| async move {
    assert!(matches!(
        audit::verify(&db).await.unwrap(),
        Verification::Intact { records: 0, .. }
    ));
});

both_backends!(
    trail_is_append_only_without_tampering,
    |db: Db| async move {
        fill(&db, 2).await;
        let mut tx: Tx = db.begin().await.unwrap();
        let result = renkei_store::write!(&mut tx, |c| {
            sqlx::query("UPDATE audit_log SET action = 'x' WHERE seq = 1")
                .execute(&mut *c)
                .await
                .map(|_| ())
        });
        assert!(result.is_err(), "the trigger must refuse updates");
    }
);

both_backends!(edit_is_caught, |db: Db| async move {
    fill(&db, 10).await;
    tamper(
        &db,
        "UPDATE audit_log SET actor_username = 'someone-else' WHERE seq = 4",
    )
    .await;
    assert_eq!(broken_at(audit::verify(&db).await.unwrap()), 4);
});

both_backends!(delete_is_caught, |db: Db| async move {
    fill(&db, 10).await;
    tamper(&db, "DELETE FROM audit_log WHERE seq = 6").await;
    assert_eq!(broken_at(audit::verify(&db).await.unwrap()), 6);
});

both_backends!(swap_is_caught, |db: Db| async move {
    fill(&db, 10).await;
    tamper(
        &db,
        "UPDATE audit_log SET seq = -3 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 7; UPDATE audit_log SET seq = 7 WHERE seq = -3",
    )
    .await;
    assert_eq!(broken_at(audit::verify(&db).await.unwrap()), 3);
});

both_backends!(truncation_of_newest_is_caught, |db: Db| async move {
    fill(&db, 10).await;
    tamper(&db, "DELETE FROM audit_log WHERE seq >= 9").await;
    assert_eq!(broken_at(audit::verify(&db).await.unwrap()), 9);
});

both_backends!(
    search_filters_by_user_and_is_newest_first,
    |db: Db| async move {
        fill(&db, 5).await;
        let rows = audit::search(
            &db,
            &audit::AuditQuery {
                actor_username: Some("user3".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].object_id, "3");
        let all = audit::search(
            &db,
            &audit::AuditQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(all.first().map(|r| r.seq), Some(5));
    }
);

both_backends!(concurrent_appends_keep_the_chain, |db: Db| async move {
    let mut handles = Vec::new();
    for t in 0..8 {
        let db = db.clone();
        handles.push(tokio::spawn(async move {
            for i in 0..10 {
                audit::append_alone(&db, &entry(t * 100 + i)).await.unwrap();
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    assert!(matches!(
        audit::verify(&db).await.unwrap(),
        Verification::Intact { records: 80, .. }
    ));
});

both_backends!(newer_schema_is_refused, |db: Db| async move {
    let mut tx = db.begin().await.unwrap();
    renkei_store::write!(&mut tx, |c| {
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (999, 'from the future', TRUE, $1, 0)",
        )
        .bind(vec![0u8; 48])
        .execute(&mut *c)
        .await
        .unwrap();
    });
    tx.commit().await.unwrap();
    let err = db.migrate().await.unwrap_err().to_string();
    assert!(err.contains("newer Renkei"), "{err}");
    assert!(err.contains("999"), "{err}");
});

both_backends!(long_fields_are_stored_bounded, |db: Db| async move {
    let huge = "長".repeat(300_000); // 900 KB of UTF-8
    let long = |n: usize| "x".repeat(n);
    let seq = audit::append_alone(
        &db,
        &AuditEntry {
            actor_username: huge.clone(),
            role: long(5_000),
            action: long(5_000),
            object_kind: long(5_000),
            object_id: long(5_000),
            patient_id: Some(long(5_000)),
            source_addr: long(5_000),
            user_agent: long(5_000),
            reason: long(50_000),
            ..entry(1)
        },
    )
    .await
    .unwrap();
    audit::append_alone(&db, &entry(2)).await.unwrap();
    let rows = audit::search(
        &db,
        &audit::AuditQuery {
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let row = rows.iter().find(|r| r.seq == seq).unwrap();
    let marker = audit::bounds::MARKER;
    for (name, value, bound) in [
        (
            "actor_username",
            &row.actor_username,
            audit::bounds::ACTOR_USERNAME,
        ),
        ("role", &row.role, audit::bounds::ROLE),
        ("action", &row.action, audit::bounds::ACTION),
        ("object_kind", &row.object_kind, audit::bounds::OBJECT_KIND),
        ("object_id", &row.object_id, audit::bounds::OBJECT_ID),
        (
            "patient_id",
            row.patient_id.as_ref().unwrap(),
            audit::bounds::PATIENT_ID,
        ),
        ("source_addr", &row.source_addr, audit::bounds::SOURCE_ADDR),
        ("user_agent", &row.user_agent, audit::bounds::USER_AGENT),
        ("reason", &row.reason, audit::bounds::REASON),
    ] {
        assert_eq!(value.chars().count(), bound, "{name}");
        assert!(value.ends_with(marker), "{name} shows it was cut");
    }
    assert!(row.actor_username.starts_with("長長長"));
    assert_eq!(audit::bounds::ACTOR_USERNAME, 128);
    // A value within its bound is kept as it is.
    let short = rows.iter().find(|r| r.seq != seq).unwrap();
    assert_eq!(short.actor_username, "user2");
    assert!(matches!(
        audit::verify(&db).await.unwrap(),
        Verification::Intact { records: 2, .. }
    ));
});

both_backends!(verify_while_records_are_appended, |db: Db| async move {
    fill(&db, 50).await;
    let writer = {
        let db = db.clone();
        tokio::spawn(async move {
            for i in 0..300 {
                audit::append_alone(&db, &entry(1000 + i)).await.unwrap();
            }
        })
    };
    for _ in 0..30 {
        let v = audit::verify(&db).await.unwrap();
        assert!(
            matches!(v, Verification::Intact { .. }),
            "false alarm: {v:?}"
        );
    }
    writer.await.unwrap();
    assert!(matches!(
        audit::verify(&db).await.unwrap(),
        Verification::Intact { records: 350, .. }
    ));
});

fn anchor_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Writes a checkpoint of the current head to `file`.
async fn checkpoint(db: &Db, key: &AuditKey, file: &std::path::Path) -> anchor::Checkpoint {
    match anchor::checkpoint(db, key, Some(file), "test", false)
        .await
        .unwrap()
    {
        CheckpointOutcome::Written(c) => c,
        other => panic!("{other:?}"),
    }
}

/// Checks the anchor file's signatures and the chain against it.
async fn verify_with(db: &Db, key: &AuditKey, file: &std::path::Path) -> Verification {
    let text = std::fs::read_to_string(file).unwrap();
    match anchor::check_anchor(&text, &[key.public().clone()]) {
        AnchorFile::Valid(list) => anchor::verify_anchored(db, &list).await.unwrap(),
        other => panic!("{other:?}"),
    }
}

/// What someone with database access does to make truncation invisible to
/// the chain: delete the newest records and set the head back to match.
async fn truncate_to(db: &Db, keep: i64) {
    tamper(
        db,
        &format!(
            "DELETE FROM audit_log WHERE seq > {keep}; \
             UPDATE audit_head SET seq = {keep}, hash = (SELECT hash FROM audit_log WHERE seq = {keep}) WHERE id = 1"
        ),
    )
    .await;
}

/// Edits record `seq` and recomputes the hash of it and every later record,
/// and the head: the chain verifies again.
async fn rewrite_and_recompute(db: &Db, seq: i64) {
    let mut rows: Vec<AuditRecord> = audit::search(
        db,
        &audit::AuditQuery {
            limit: 100_000,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    rows.sort_by_key(|r| r.seq);
    let mut sql = String::new();
    let mut prev = audit::GENESIS_HASH.to_string();
    for row in rows.iter_mut() {
        if row.seq == seq {
            row.actor_username = "mallory".into();
        }
        if row.seq >= seq {
            row.prev_hash = prev.clone();
            row.hash = row.compute_hash();
            sql.push_str(&format!(
                "UPDATE audit_log SET actor_username = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {};",
                row.actor_username, row.prev_hash, row.hash, row.seq
            ));
        }
        prev = row.hash.clone();
    }
    sql.push_str(&format!(
        "UPDATE audit_head SET hash = '{prev}' WHERE id = 1;"
    ));
    tamper(db, &sql).await;
}

both_backends!(anchor_catches_deleted_newest_records, |db: Db| async move {
    let dir = anchor_dir();
    let file = dir.path().join("anchors.jsonl");
    let key = AuditKey::generate();
    fill(&db, 10).await;
    checkpoint(&db, &key, &file).await;
    fill(&db, 5).await;
    assert!(matches!(
        verify_with(&db, &key, &file).await,
        Verification::Intact { records: 15, .. }
    ));
    truncate_to(&db, 7).await;
    assert!(
        matches!(
            audit::verify(&db).await.unwrap(),
            Verification::Intact { records: 7, .. }
        ),
        "the chain alone cannot see this"
    );
    match verify_with(&db, &key, &file).await {
        Verification::Broken { seq, problem } => {
            assert_eq!(seq, 8, "{problem}");
            assert!(
                problem.contains("covers 10 records") && problem.contains("deleted"),
                "{problem}"
            );
        }
        other => panic!("not detected: {other:?}"),
    }
});

both_backends!(
    anchor_catches_a_rewritten_recomputed_chain,
    |db: Db| async move {
        let dir = anchor_dir();
        let file = dir.path().join("anchors.jsonl");
        let key = AuditKey::generate();
        fill(&db, 5).await;
        checkpoint(&db, &key, &file).await;
        fill(&db, 5).await;
        checkpoint(&db, &key, &file).await;
        fill(&db, 2).await;
        // A record after the first checkpoint: the first still holds, the
        // second does not, so the rewrite lies in records 6–10.
        rewrite_and_recompute(&db, 8).await;
        assert!(
            matches!(
                audit::verify(&db).await.unwrap(),
                Verification::Intact { records: 12, .. }
            ),
            "the chain alone cannot see this"
        );
        match verify_with(&db, &key, &file).await {
            Verification::Broken { seq, problem } => {
                assert_eq!(seq, 6, "{problem}");
                assert!(problem.contains("records 6–10"), "{problem}");
                assert!(problem.contains("anchor line 2"), "{problem}");
            }
            other => panic!("not detected: {other:?}"),
        }
        // Before the first checkpoint: caught from record 1.
        rewrite_and_recompute(&db, 2).await;
        match verify_with(&db, &key, &file).await {
            Verification::Broken { seq, problem } => {
                assert_eq!(seq, 1, "{problem}");
                assert!(problem.contains("anchor line 1"), "{problem}");
            }
            other => panic!("not detected: {other:?}"),
        }
    }
);

both_backends!(
    checkpoints_refuse_a_broken_chain_and_skip_an_unmoved_head,
    |db: Db| async move {
        let dir = anchor_dir();
        let file = dir.path().join("anchors.jsonl");
        let key = AuditKey::generate();
        assert!(anchor::latest(&db).await.unwrap().is_none());
        let empty = checkpoint(&db, &key, &file).await;
        assert_eq!(
            (empty.seq, empty.head_hash.as_str()),
            (0, audit::GENESIS_HASH)
        );
        fill(&db, 4).await;
        let first = checkpoint(&db, &key, &file).await;
        assert_eq!(first.seq, 4);
        let latest = anchor::latest(&db).await.unwrap().unwrap();
        assert_eq!(
            (latest.checkpoint, latest.source.as_str()),
            (first.clone(), "test")
        );
        // The server's loop writes only when the head moved.
        assert_eq!(
            anchor::checkpoint(&db, &key, Some(&file), "serve", true)
                .await
                .unwrap(),
            CheckpointOutcome::Unchanged(first.clone())
        );
        fill(&db, 2).await;
        assert!(matches!(
            anchor::checkpoint(&db, &key, Some(&file), "serve", true)
                .await
                .unwrap(),
            CheckpointOutcome::Written(_)
        ));
        let lines = std::fs::read_to_string(&file).unwrap();
        assert_eq!(lines.lines().count(), 3);
        // Rewritten and recomputed, or truncated below the newest
        // checkpoint: nothing is signed.
        fill(&db, 2).await;
        rewrite_and_recompute(&db, 3).await;
        match anchor::checkpoint(&db, &key, Some(&file), "serve", true)
            .await
            .unwrap()
        {
            CheckpointOutcome::Refused { seq, problem } => {
                assert_eq!(seq, 6, "{problem}");
                assert!(problem.contains("rewritten"), "{problem}");
            }
            other => panic!("{other:?}"),
        }
        truncate_to(&db, 5).await;
        assert!(matches!(
            anchor::checkpoint(&db, &key, Some(&file), "cli", false)
                .await
                .unwrap(),
            CheckpointOutcome::Refused { seq: 6, .. }
        ));
        assert_eq!(
            std::fs::read_to_string(&file).unwrap().lines().count(),
            3,
            "a refused checkpoint is not appended"
        );
        // An edit after the newest checkpoint is caught by the chain.
        let key2 = AuditKey::generate();
        let file2 = dir.path().join("other.jsonl");
        tamper(&db, "UPDATE audit_log SET reason = 'x' WHERE seq = 5").await;
        assert!(matches!(
            anchor::checkpoint(&db, &key2, Some(&file2), "cli", false)
                .await
                .unwrap(),
            CheckpointOutcome::Refused { .. }
        ));
    }
);

/// A key made by `openssl genpkey -algorithm ed25519` and its public key
/// from `openssl pkey -pubout`.
const OPENSSL_KEY: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJt4sOOFrAJLtbEYS1tycUZbkdVn7Nj9ATTkUN9xYpab
-----END PRIVATE KEY-----
";
const OPENSSL_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEA++Um1GuSGihtjzUz/DZavBgy/jnAS79omKtVofnoZC8=
-----END PUBLIC KEY-----
";
/// `openssl pkeyutl -sign -rawin` of the message of the checkpoint below.
const OPENSSL_SIGNATURE: &str =
    "GlugeygG0L/jSLXfNMeEkUNFtZ5okFbxJRlNWyOoMFb0k5lkJ7vMf5Pp67T+vXD52Ct7RtkQMSl3nlF6rVyuAg==";

#[test]
fn keys_and_signatures_are_openssl_compatible() {
    let key = AuditKey::from_pem(OPENSSL_KEY).unwrap();
    assert_eq!(key.public().to_pem(), OPENSSL_PUBLIC);
    assert_eq!(key.public().id(), "a2b99577cf309973");
    let public = PublicKey::from_pem(OPENSSL_PUBLIC).unwrap();
    assert_eq!(&public, key.public());
    let c = key.sign(3, &"a".repeat(64), Timestamp(1_795_337_400_000));
    assert_eq!(c.signature, OPENSSL_SIGNATURE);
    assert!(c.check(&[public]).is_ok());
    assert_eq!(
        AuditKey::from_pem(&key.to_pem()).unwrap().public(),
        key.public()
    );
}

#[test]
fn key_files_are_private_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.key");
    let key = anchor::write_new_key(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(anchor::key_permission_warning(&path).is_none());
    assert_eq!(AuditKey::load(&path).unwrap().public(), key.public());
    let public_path = anchor::public_key_path(&path);
    assert_eq!(&PublicKey::load(&public_path).unwrap(), key.public());
    // The private key file also serves as a public key.
    assert_eq!(&PublicKey::load(&path).unwrap(), key.public());
    let again = anchor::write_new_key(&path).unwrap_err().to_string();
    assert!(again.contains("already exists"), "{again}");
    assert_eq!(AuditKey::load(&path).unwrap().public(), key.public());
    let err = AuditKey::from_pem("not a key").unwrap_err().to_string();
    assert!(err.contains("PRIVATE KEY"), "{err}");
}

#[test]
fn forged_or_altered_checkpoints_are_rejected() {
    let key = AuditKey::generate();
    let keys = [key.public().clone()];
    let good = key.sign(10, &"b".repeat(64), Timestamp(1_795_337_400_000));
    let good_line = good.to_line();
    assert!(
        matches!(anchor::check_anchor(&good_line, &keys), AnchorFile::Valid(ref l) if l.len() == 1)
    );
    let invalid = |text: &str| match anchor::check_anchor(text, &keys) {
        AnchorFile::Invalid { line, problem } => (line, problem),
        AnchorFile::Valid(_) => panic!("accepted: {text}"),
    };
    // Moved forward (to hide deleted records) or pointed at another hash.
    for altered in [
        anchor::Checkpoint {
            seq: 7,
            ..good.clone()
        },
        anchor::Checkpoint {
            head_hash: "c".repeat(64),
            ..good.clone()
        },
        anchor::Checkpoint {
            at: good.at + 1,
            ..good.clone()
        },
    ] {
        let (line, problem) = invalid(&format!("{good_line}\n\n{}\n", altered.to_line()));
        assert_eq!(line, 3);
        assert!(problem.contains("does not verify"), "{problem}");
    }
    // Signed by a key the auditor does not trust.
    let mallory = AuditKey::generate().sign(10, &"b".repeat(64), Timestamp::now());
    let (_, problem) = invalid(&mallory.to_line());
    assert!(problem.contains("not among the public keys"), "{problem}");
    // Claiming the right key id with someone else's signature.
    let claimed = anchor::Checkpoint {
        key_id: good.key_id.clone(),
        ..mallory
    };
    assert!(invalid(&claimed.to_line()).1.contains("does not verify"));
    assert!(invalid("{\"seq\": 1}").1.contains("not a checkpoint"));
    assert!(invalid("garbage").1.contains("not a checkpoint"));
    assert!(invalid("\n").1.contains("no checkpoint"));
    let extra = good_line.replacen('{', "{\"note\":\"x\",", 1);
    assert!(invalid(&extra).1.contains("not a checkpoint"));
}
