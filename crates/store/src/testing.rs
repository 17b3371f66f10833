//! Throw-away databases for tests, on both backends.
//!
//! PostgreSQL: the first test in a process runs `initdb` and `pg_ctl start`
//! on a free port under a temporary directory (as the `postgres` system user
//! when running as root, because `initdb` refuses root). Every test then gets
//! a fresh database in that cluster. A small watchdog shell stops the cluster
//! and removes its directory once the test process has gone, however it ends.
//!
//! Set `RENKEI_TEST_PG_BIN` to point at another PostgreSQL `bin` directory.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use crate::{Backend, Db, DbOptions};

/// A migrated database that lives as long as this value.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A fresh, migrated database on `backend`.
    pub async fn new(backend: Backend) -> TestDb {
        let t = Self::empty(backend).await;
        t.db.migrate().await.expect("migrate test database");
        t
    }

    /// A fresh database on `backend` with no tables.
    pub async fn empty(backend: Backend) -> TestDb {
        let (url, dir) = fresh_url(backend);
        let mut options = DbOptions::new(url.clone());
        options.max_connections = 4;
        let db = Db::connect(&options).await.expect("connect test database");
        TestDb { db, url, _dir: dir }
    }
}

/// A URL for a new, empty database on `backend` (and the directory holding
/// it, for SQLite). Used by tests that start the `renkei` binary itself.
pub fn fresh_url(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("renkei.db").display());
            (url, Some(dir))
        }
        Backend::Postgres => (postgres().create_database(), None),
    }
}

/// A running throw-away PostgreSQL cluster.
pub struct PgCluster {
    pub port: u16,
    pub dir: PathBuf,
    counter: AtomicU32,
}

static CLUSTER: OnceLock<PgCluster> = OnceLock::new();

/// The process-wide cluster, started on first use.
pub fn postgres() -> &'static PgCluster {
    CLUSTER.get_or_init(|| {
        PgCluster::start().unwrap_or_else(|e| panic!("cannot start PostgreSQL for tests: {e}"))
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn pg_bin_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("RENKEI_TEST_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// Runs a PostgreSQL tool as the `postgres` user when we are root.
fn pg_command(tool: &str) -> Command {
    let program = pg_bin_dir()
        .map(|d| d.join(tool))
        .unwrap_or_else(|| PathBuf::from(tool));
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl PgCluster {
    fn start() -> Result<PgCluster, String> {
        let dir = tempfile::Builder::new()
            .prefix("renkei-pg-")
            .tempdir()
            .map_err(|e| e.to_string())?
            .keep();
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .map_err(|e| format!("chown: {e}"))?;
            if !status.success() {
                return Err("chown of the temp dir to postgres failed".into());
            }
        }
        let data = dir.join("data");
        let out = pg_command("initdb")
            .arg("-D")
            .arg(&data)
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ])
            .stdout(Stdio::null())
            .output()
            .map_err(|e| {
                format!("initdb could not run (is the postgresql package installed?): {e}")
            })?;
        if !out.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        // Stop the cluster and remove it once this process has gone.
        let watchdog = format!(
            "while [ -d /proc/{pid} ]; do sleep 1; done; {pg_ctl} -D {data} stop -m immediate >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            pg_ctl = pg_bin_dir().map(|d| d.join("pg_ctl")).unwrap_or_else(|| "pg_ctl".into()).display(),
            data = data.display(),
            dir = dir.display(),
        );
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port().map_err(|e| e.to_string())?;
            let opts = format!(
                "-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
                 -c full_page_writes=off -c max_connections=300 -c shared_buffers=64MB",
                sock = dir.display()
            );
            let out = pg_command("pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(dir.join("postgres.log"))
                .args(["-w", "-t", "60", "-o", &opts, "start"])
                .stdout(Stdio::null())
                .output()
                .map_err(|e| format!("pg_ctl: {e}"))?;
            if out.status.success() {
                spawn_watchdog(&watchdog);
                return Ok(PgCluster {
                    port,
                    dir,
                    counter: AtomicU32::new(0),
                });
            }
            last_error = std::fs::read_to_string(dir.join("postgres.log")).unwrap_or_default();
        }
        Err(format!("pg_ctl start failed: {last_error}"))
    }

    /// The URL of the cluster's maintenance database.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Creates a new empty database and returns its URL.
    pub fn create_database(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let name = format!("renkei_test_{}_{n}", std::process::id());
        let out = pg_command("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-q",
                "-c",
            ])
            .arg(format!("CREATE DATABASE {name}"))
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "CREATE DATABASE failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }
}

fn spawn_watchdog(script: &str) {
    use std::os::unix::process::CommandExt;
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", "sh", "-c", script]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    };
    // Its own process group, so that a test runner killing ours leaves it to clean up.
    let _ = cmd
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

/// Both backends, for tests that loop over them.
pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// Declares one async test per backend: `both_backends!(name, |db: Db| async move { … })`
/// expands to `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = $crate::testing::TestDb::new($crate::Backend::Sqlite).await;
                let f = $body;
                f(t.db.clone()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let t = $crate::testing::TestDb::new($crate::Backend::Postgres).await;
                let f = $body;
                f(t.db.clone()).await;
            }
        }
    };
}
