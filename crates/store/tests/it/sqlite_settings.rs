//! SQLite runs with the settings that make acknowledged writes durable.

use renkei_store::testing::TestDb;
use renkei_store::{sqlx, Backend, Db};

#[tokio::test]
async fn wal_full_sync_foreign_keys_and_busy_timeout() {
    let t = TestDb::new(Backend::Sqlite).await;
    let Db::Sqlite(s) = &t.db else {
        panic!("sqlite expected")
    };
    for pool in [&s.write, &s.read] {
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(sync, 2, "synchronous=FULL");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(fk, 1);
        let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(pool)
            .await
            .unwrap();
        assert!(busy >= 5000, "busy timeout {busy}");
    }
}

#[tokio::test]
async fn bad_urls_are_explained() {
    for (url, needle) in [
        ("mysql://x/y", "neither sqlite"),
        ("sqlite://", "no file path"),
        (
            "postgres://nobody@127.0.0.1:1/none",
            "cannot open the database",
        ),
    ] {
        let err = Db::connect(&renkei_store::DbOptions::new(url))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{url}: {err}");
    }
}
