//! The audit chain on both backends: appends verify, and every kind of
//! tampering (edit, delete, swap, truncate) is caught at the right record.

use renkei_store::audit::{self, AuditEntry, Outcome, Verification};
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
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
        ],
        Db::Postgres(_) => vec!["DROP TRIGGER audit_log_no_change ON audit_log"],
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
