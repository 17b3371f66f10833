//! Nothing acknowledged is ever lost.
//!
//! - Crash: under a stream of writes, `kill -9` the server, restart it, and
//!   every write the client saw acknowledged is there and the audit chain
//!   verifies (SQLite and PostgreSQL).
//! - Backup: `renkei backup` while writes flow; the copy opens in a fresh
//!   server, verifies its chain, and holds every write acknowledged before
//!   the backup began.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::*;
use renkei_store::testing::fresh_url;
use renkei_store::Backend;

/// Writers that create organisations until told to stop, recording every
/// name the server acknowledged with 201.
struct Writers {
    acked: Arc<Mutex<BTreeSet<String>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    handles: Vec<tokio::task::JoinHandle<()>>,
}

fn start_writers(client: &Client, n: usize) -> Writers {
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut handles = Vec::new();
    for w in 0..n {
        let client = client.clone();
        let acked = acked.clone();
        let stop = stop.clone();
        handles.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let name = format!("耐久試験-{w}-{i}");
                let body = format!(r#"{{"kind":"clinic","name":"{name}"}}"#);
                match client.post_json("/api/v1/organizations", &body).await {
                    Ok((201, _)) => {
                        acked.lock().unwrap().insert(name);
                    }
                    Ok((status, text)) => panic!("unexpected {status}: {text}"),
                    Err(_) => break, // the server is gone
                }
                i += 1;
            }
        }));
    }
    Writers {
        acked,
        stop,
        handles,
    }
}

impl Writers {
    fn snapshot(&self) -> BTreeSet<String> {
        self.acked.lock().unwrap().clone()
    }
    async fn finish(self) -> BTreeSet<String> {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        for h in self.handles {
            let _ = h.await;
        }
        let set = self.acked.lock().unwrap().clone();
        set
    }
}

async fn names_on(server_base: &str) -> BTreeSet<String> {
    let mut c = Client::new(server_base);
    let (_, location, _) = c.login("coord", PASSWORD).await;
    assert_eq!(location.as_deref(), Some("/"));
    let (status, _, body) = c.get("/api/v1/organizations").await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap().to_string())
        .collect()
}

fn verify_audit(db_url: &str) {
    let out = cli(db_url, &["audit", "verify"], None);
    assert!(
        out.status.success(),
        "audit verify failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact"));
}

async fn crash_test(backend: Backend) {
    let (db_url, _dir) = fresh_url(backend);
    seed(&db_url);
    let server = Server::start(&db_url, &[]);
    let mut client = Client::new(&server.base);
    client.login("coord", PASSWORD).await;
    let writers = start_writers(&client, 4);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill9();
    let acked = writers.finish().await;
    assert!(
        acked.len() > 20,
        "the stream wrote too little to mean anything: {}",
        acked.len()
    );

    let server = Server::start(&db_url, &[]);
    let present = names_on(&server.base).await;
    let lost: Vec<&String> = acked.difference(&present).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged writes lost after kill -9: {:?}",
        lost.len(),
        &lost[..lost.len().min(5)]
    );
    server.stop();
    verify_audit(&db_url);
    eprintln!(
        "{backend:?}: {} acknowledged writes survived kill -9",
        acked.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_keeps_every_acknowledged_write_sqlite() {
    crash_test(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_keeps_every_acknowledged_write_postgres() {
    crash_test(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn online_backup_holds_every_write_acknowledged_before_it_began() {
    let (db_url, dir) = fresh_url(Backend::Sqlite);
    let dir = dir.unwrap();
    seed(&db_url);
    let server = Server::start(&db_url, &[]);
    let mut client = Client::new(&server.base);
    client.login("coord", PASSWORD).await;
    let writers = start_writers(&client, 3);
    tokio::time::sleep(Duration::from_millis(800)).await;

    let before_backup = writers.snapshot();
    let backup_path = dir.path().join("backup.db");
    let out = tokio::task::spawn_blocking({
        let db_url = db_url.clone();
        let path = backup_path.display().to_string();
        move || cli(&db_url, &["backup", &path], None)
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "backup failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all = writers.finish().await;
    server.stop();
    assert!(
        all.len() > before_backup.len(),
        "writes kept flowing during the backup"
    );

    // A backup over an existing file is refused rather than overwriting it.
    let again = cli(
        &db_url,
        &["backup", &backup_path.display().to_string()],
        None,
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let restored_url = format!("sqlite://{}", backup_path.display());
    verify_audit(&restored_url);
    let restored = Server::start(&restored_url, &[]);
    let present = names_on(&restored.base).await;
    let missing: Vec<&String> = before_backup.difference(&present).collect();
    assert!(
        missing.is_empty(),
        "backup lacks {} writes acknowledged before it began",
        missing.len()
    );
    restored.stop();
    eprintln!(
        "backup held all {} writes acknowledged before it began ({} in total)",
        before_backup.len(),
        all.len()
    );
}
