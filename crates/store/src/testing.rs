//! Throw-away databases for tests, on both backends.
//!
//! PostgreSQL: the first test in a process runs `initdb` and `pg_ctl start`
//! on a free port under a temporary directory (as the `postgres` system user
//! when running as root, because `initdb` refuses root). Every test then gets
//! a fresh database in that cluster. A small watchdog shell stops the cluster
//! and removes its directory once the test process has gone, however it ends.
//!
//! Migrations run once per test process and backend, into a template:
//! [`TestDb::new`] clones it instead of migrating again. On PostgreSQL the
//! template is the database [`PG_TEMPLATE`] in the process's cluster, and a
//! test's database is `CREATE DATABASE … TEMPLATE renkei_template` (the
//! template's pool is closed once it is migrated, and connections to it are
//! refused from then on, because PostgreSQL clones only a database nobody is
//! connected to). On SQLite the template is a migrated file written out with
//! `VACUUM INTO` (one consistent file, nothing left in a `-wal` beside it)
//! and kept in memory; each test writes those bytes to its own file.
//! [`TestDb::empty`] and [`fresh_url`] still give databases with no tables,
//! for tests that migrate themselves or start the `renkei` binary.
//!
//! Everything lives in [`scratch_dir`]: `/dev/shm` when there is one and
//! `TMPDIR` is not set. On a disk, `CREATE DATABASE` (which copies some
//! 7 MB of catalogue) and SQLite's `synchronous=FULL` commits spend most of
//! their time waiting for the file system; on tmpfs they do not. A test's
//! PostgreSQL database is dropped when its [`TestDb`] is.
//!
//! Set `RENKEI_TEST_PG_BIN` to point at another PostgreSQL `bin` directory.

use std::future::Future;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use crate::{Backend, Db, DbOptions};

/// The migrated template database that every PostgreSQL [`TestDb::new`]
/// is cloned from, in the process's own cluster.
pub const PG_TEMPLATE: &str = "renkei_template";

/// A migrated database that lives as long as this value.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL database to drop with this value.
    pg_database: Option<String>,
}

impl TestDb {
    /// A fresh, migrated database on `backend`: a copy of the process's
    /// template, which is migrated on first use.
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let image = sqlite_template().unwrap_or_else(|e| panic!("{e}"));
                let dir = scratch_tempdir();
                let path = dir.path().join("renkei.db");
                std::fs::write(&path, image).expect("write the test database");
                Self::open(sqlite_url(&path), Some(dir), None).await
            }
            Backend::Postgres => {
                let cluster = postgres();
                pg_template(cluster).unwrap_or_else(|e| panic!("{e}"));
                let name = cluster.next_name();
                cluster
                    .admin(&format!("CREATE DATABASE {name} TEMPLATE {PG_TEMPLATE}"))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                Self::open(cluster.url(&name), None, Some(name)).await
            }
        }
    }

    /// A fresh database on `backend` with no tables.
    pub async fn empty(backend: Backend) -> TestDb {
        let (url, dir) = fresh_url(backend);
        Self::open(url, dir, None).await
    }

    async fn open(
        url: String,
        dir: Option<tempfile::TempDir>,
        pg_database: Option<String>,
    ) -> TestDb {
        let mut options = DbOptions::new(url.clone());
        options.max_connections = 4;
        let db = Db::connect(&options).await.expect("connect test database");
        TestDb {
            db,
            url,
            _dir: dir,
            pg_database,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // In the background, so that the test does not wait for it; FORCE
        // ends the connections still open (the pool closes lazily). Should
        // the process end first, the watchdog removes the whole cluster.
        if let Some(name) = self.pg_database.take() {
            std::thread::spawn(move || {
                let _ = postgres().psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            });
        }
    }
}

/// Where the throw-away databases live: `/dev/shm` (memory) when it is a
/// writable directory and `TMPDIR` is not set, the system's temporary
/// directory otherwise.
pub fn scratch_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let writable = std::env::var_os("TMPDIR").is_none()
            && shm.is_dir()
            && tempfile::tempdir_in(shm).is_ok();
        if writable {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        }
    })
    .clone()
}

fn scratch_tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("renkei-test-")
        .tempdir_in(scratch_dir())
        .expect("temp dir")
}

/// A URL for a new, empty database on `backend` (and the directory holding
/// it, for SQLite). Used by tests that start the `renkei` binary itself.
pub fn fresh_url(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = scratch_tempdir();
            let url = sqlite_url(&dir.path().join("renkei.db"));
            (url, Some(dir))
        }
        Backend::Postgres => (postgres().create_database(), None),
    }
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// Runs `work` to completion on a runtime of its own, in a thread of its
/// own. The templates are built this way so that their pools never outlive
/// the runtime that made them: each test has its own runtime, and the first
/// test to ask may finish (and drop its runtime) before the last one clones.
fn on_own_runtime<T, F>(work: F) -> Result<T, String>
where
    T: Send + 'static,
    F: Future<Output = Result<T, String>> + Send + 'static,
{
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start a runtime for the template: {e}"))?
            .block_on(work)
    })
    .join()
    .unwrap_or_else(|_| Err("building the template database panicked".into()))
}

/// The bytes of a migrated SQLite database, built on first use. A failure
/// is kept too, so that every test reports it rather than retrying.
fn sqlite_template() -> Result<&'static [u8], String> {
    static TEMPLATE: OnceLock<Result<Vec<u8>, String>> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| on_own_runtime(build_sqlite_template()))
        .as_deref()
        .map_err(|e| format!("cannot build the SQLite template database: {e}"))
}

async fn build_sqlite_template() -> Result<Vec<u8>, String> {
    let dir = tempfile::Builder::new()
        .prefix("renkei-template-")
        .tempdir_in(scratch_dir())
        .map_err(|e| format!("temp dir: {e}"))?;
    let db = Db::connect(&DbOptions::new(sqlite_url(&dir.path().join("template.db"))))
        .await
        .map_err(|e| e.to_string())?;
    let image = dir.path().join("image.db");
    let made = async {
        db.migrate().await?;
        db.backup_to(&image).await
    }
    .await;
    db.close().await;
    made.map_err(|e| e.to_string())?;
    std::fs::read(&image).map_err(|e| format!("read {}: {e}", image.display()))
}

/// Creates and migrates [`PG_TEMPLATE`] in `cluster` on first use.
fn pg_template(cluster: &'static PgCluster) -> Result<(), String> {
    static TEMPLATE: OnceLock<Result<(), String>> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| on_own_runtime(build_pg_template(cluster)))
        .clone()
        .map_err(|e| format!("cannot build the PostgreSQL template database: {e}"))
}

async fn build_pg_template(cluster: &'static PgCluster) -> Result<(), String> {
    cluster.psql(&format!("CREATE DATABASE {PG_TEMPLATE}"))?;
    let mut options = DbOptions::new(cluster.url(PG_TEMPLATE));
    options.max_connections = 2;
    let db = Db::connect(&options).await.map_err(|e| e.to_string())?;
    let migrated = db.migrate().await;
    // Every connection must be gone before the template can be cloned.
    db.close().await;
    migrated.map_err(|e| e.to_string())?;
    // No test may connect to the template by mistake: a clone fails while
    // anyone is connected.
    cluster.psql(&format!(
        "ALTER DATABASE {PG_TEMPLATE} WITH ALLOW_CONNECTIONS false"
    ))
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
            .tempdir_in(scratch_dir())
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
                 -c full_page_writes=off -c max_connections=300 -c shared_buffers=64MB -c max_wal_size=64MB",
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

    /// The URL of database `name` in this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates a new empty database and returns its URL.
    pub fn create_database(&self) -> String {
        let name = self.next_name();
        self.psql(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("{e}"));
        self.url(&name)
    }

    fn next_name(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        format!("renkei_test_{}_{n}", std::process::id())
    }

    /// Runs one SQL statement on the maintenance database, over a
    /// connection of its own (quicker than starting `psql`).
    pub async fn admin(&self, sql: &str) -> Result<(), String> {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&self.admin_url())
            .await
            .map_err(|e| format!("cannot connect to the test cluster: {e}"))?;
        let done = sqlx::raw_sql(sql).execute(&mut c).await.map(drop);
        let _ = c.close().await;
        done.map_err(|e| format!("{sql} failed: {e}"))
    }

    /// Runs one SQL statement on the maintenance database.
    fn psql(&self, sql: &str) -> Result<(), String> {
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
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
            ])
            .arg(sql)
            .output()
            .map_err(|e| format!("cannot run psql: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{sql} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
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
