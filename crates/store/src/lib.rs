//! Storage for Renkei on SQLite (embedded, the default) and PostgreSQL
//! (several processes, a prefecture).
//!
//! Both backends are served by one set of queries: SQL is written once with
//! `$1` placeholders (which SQLite also understands) and types that exist on
//! both (BIGINT, TEXT, BOOLEAN). The [`read!`] and [`write!`] macros expand a
//! query body once per backend so that each runs on its native sqlx driver;
//! anything backend-specific is confined to `migrations/<backend>/` and to the
//! few places that call [`Db::backend`]. This is the shape vaultwarden uses.

pub mod audit;
pub mod batch;
mod error;
mod migrations;
#[cfg(test)]
mod ownership;
#[cfg(feature = "testing")]
pub mod testing;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use error::{ServiceError, StoreError};
pub use migrations::{LATEST_SCHEMA_VERSION, MIGRATION_COUNT};
pub use sqlx;

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// SQLite is used through two pools: one connection for every write (SQLite
/// has a single writer anyway, and queuing in-process is cheaper than
/// `SQLITE_BUSY` retries) and several read-only connections, which WAL lets
/// run alongside the writer.
#[derive(Clone, Debug)]
pub struct SqliteDb {
    pub write: SqlitePool,
    pub read: SqlitePool,
    pub path: PathBuf,
}

/// The database handle every capability's store code receives.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqliteDb),
    Postgres(PgPool),
}

/// A write transaction. SQLite transactions start with `BEGIN IMMEDIATE` so a
/// read-then-write never fails half way with `SQLITE_BUSY`.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs `$body` with `$conn` bound to a read connection pool of whichever
/// backend `$db` is.
#[macro_export]
macro_rules! read {
    ($db:expr, |$conn:ident| $body:expr) => {
        match $db {
            $crate::Db::Sqlite(sqlite) => {
                let $conn = &sqlite.read;
                $body
            }
            $crate::Db::Postgres(pool) => {
                let $conn = pool;
                $body
            }
        }
    };
}

/// Runs `$body` with `$conn` bound to the connection of the open transaction
/// `$tx` (a `&mut Tx`).
#[macro_export]
macro_rules! write {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

/// Settings for opening a database.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// `sqlite://path/to/file.db` or `postgres://user@host:port/db`.
    pub url: String,
    /// Connections per pool (PostgreSQL) or read connections (SQLite).
    pub max_connections: u32,
    /// The SQLite writer's page cache in MiB (`PRAGMA cache_size`), for
    /// commands that write in bulk: a national import's transaction outgrows
    /// SQLite's default 2 MB and then spends a third of its time reading
    /// index pages back from the OS and spilling dirty ones early. `None`
    /// keeps the default (the server, whose RSS holds the search index).
    pub write_cache_mib: Option<u32>,
}

impl DbOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 8,
            write_cache_mib: None,
        }
    }
}

/// A PostgreSQL connection idle longer than this is pinged before use.
const PG_IDLE_BEFORE_PING: Duration = Duration::from_secs(30);

/// Turns on SQLite's query planner stability guarantee for a connection.
///
/// Once `ANALYZE` has written `sqlite_stat4` (the bundled SQLite is built with
/// STAT4, and the synthetic-prefecture generator or an operator may run
/// ANALYZE), SQLite plans with the *values* bound to a statement and marks
/// the cached statement expired whenever a value changes, so every execution
/// of `WHERE space_id = $1` parses and plans the SQL again. Measured on the
/// timeline page: 718 pages/s with re-preparation, 1,009 without. With the
/// guarantee a statement keeps one plan (still chosen from the statistics)
/// and the statement cache does its job.
async fn stable_query_plans(c: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = c.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: the locked handle guarantees sqlx's worker thread makes no call
    // on this connection meanwhile; SQLITE_DBCONFIG_ENABLE_QPSG takes an int
    // and an optional int* for the previous value (null: not wanted).
    let rc = unsafe {
        libsqlite3_sys::sqlite3_db_config(
            db,
            libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as std::os::raw::c_int,
            std::ptr::null_mut::<std::os::raw::c_int>(),
        )
    };
    if rc == libsqlite3_sys::SQLITE_OK {
        Ok(())
    } else {
        Err(sqlx::Error::Configuration(
            format!("SQLite refused SQLITE_DBCONFIG_ENABLE_QPSG (code {rc})").into(),
        ))
    }
}

impl Db {
    /// Opens (and for SQLite creates) the database. Does not migrate.
    pub async fn connect(options: &DbOptions) -> Result<Db, StoreError> {
        let url = options.url.trim();
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() {
                return Err(StoreError::BadUrl(format!(
                    "{url:?} has no file path; use sqlite://./data/renkei.db"
                )));
            }
            Self::connect_sqlite(
                Path::new(path),
                options.max_connections,
                options.write_cache_mib,
            )
            .await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let connect = PgConnectOptions::from_str(url)
                .map_err(|e| StoreError::BadUrl(format!("{url:?}: {e}")))?;
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections.max(2))
                .acquire_timeout(Duration::from_secs(10))
                // sqlx pings a connection on every checkout by default: one
                // more round trip per query. Ping only one that sat idle
                // long enough for a restart or a firewall to have cut it.
                .test_before_acquire(false)
                .before_acquire(|c, meta| {
                    Box::pin(async move {
                        if meta.idle_for > PG_IDLE_BEFORE_PING {
                            sqlx::Connection::ping(c).await?;
                        }
                        Ok(true)
                    })
                })
                .connect_with(connect)
                .await
                .map_err(|e| StoreError::Unreachable(format!("{}: {e}", redact(url))))?;
            Ok(Db::Postgres(pool))
        } else {
            Err(StoreError::BadUrl(format!(
                "{:?} is neither sqlite://… nor postgres://…",
                redact(url)
            )))
        }
    }

    async fn connect_sqlite(
        path: &Path,
        readers: u32,
        write_cache_mib: Option<u32>,
    ) -> Result<Db, StoreError> {
        if let Some(parent) = path.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    StoreError::Unreachable(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
        }
        // synchronous=FULL: a write acknowledged to a user survives a power cut.
        // No test before acquire: an embedded connection cannot have been cut,
        // and sqlx's default ping is a round trip to the connection's thread
        // before every query.
        let base = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = match write_cache_mib {
            // Negative: a size in KiB rather than in pages.
            Some(mib) => base
                .clone()
                .pragma("cache_size", format!("-{}", u64::from(mib) * 1024)),
            None => base.clone(),
        };
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .test_before_acquire(false)
            .after_connect(|c, _| Box::pin(stable_query_plans(c)))
            .connect_with(writer)
            .await
            .map_err(|e| StoreError::Unreachable(format!("{}: {e}", path.display())))?;
        let read = SqlitePoolOptions::new()
            .max_connections(readers.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .test_before_acquire(false)
            .after_connect(|c, _| Box::pin(stable_query_plans(c)))
            .connect_with(base.read_only(true))
            .await
            .map_err(|e| StoreError::Unreachable(format!("{}: {e}", path.display())))?;
        Ok(Db::Sqlite(SqliteDb {
            write,
            read,
            path: path.to_path_buf(),
        }))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        match self {
            Db::Sqlite(s) => Ok(Tx::Sqlite(s.write.begin_with("BEGIN IMMEDIATE").await?)),
            Db::Postgres(p) => Ok(Tx::Postgres(p.begin().await?)),
        }
    }

    /// Applies every migration this binary knows. Refuses a database written
    /// by a newer Renkei instead of guessing.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrations::run(self).await
    }

    /// The schema version recorded in the database (0 when empty).
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        migrations::applied_version(self).await
    }

    /// A cheap round trip, for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        read!(self, |c| {
            sqlx::query("SELECT 1").execute(c).await?;
        });
        Ok(())
    }

    /// Pool sizes for `/metrics`: (open connections, idle connections).
    pub fn pool_stats(&self) -> (u32, u32) {
        match self {
            Db::Sqlite(s) => (
                s.write.size() + s.read.size(),
                (s.write.num_idle() + s.read.num_idle()) as u32,
            ),
            Db::Postgres(p) => (p.size(), p.num_idle() as u32),
        }
    }

    /// Writes a consistent copy of a live SQLite database to `target`
    /// (`VACUUM INTO` reads one snapshot, so concurrent writes are either
    /// wholly in the copy or wholly absent). PostgreSQL is backed up with
    /// `pg_dump`, which the operator guide describes.
    pub async fn backup_to(&self, target: &Path) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(s) => {
                if target.exists() {
                    return Err(StoreError::Invalid(format!(
                        "{} already exists; choose a new file",
                        target.display()
                    )));
                }
                let target = target
                    .to_str()
                    .ok_or_else(|| StoreError::Invalid("backup path is not UTF-8".into()))?;
                sqlx::query("VACUUM INTO $1")
                    .bind(target)
                    .execute(&s.read)
                    .await?;
                Ok(())
            }
            Db::Postgres(_) => Err(StoreError::Invalid(
                "online backup of PostgreSQL is done with pg_dump; see docs/operations.md".into(),
            )),
        }
    }

    /// Closes every pool, waiting for queries in flight.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(s) => {
                s.write.close().await;
                s.read.close().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Hides the password of a database URL in messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}
