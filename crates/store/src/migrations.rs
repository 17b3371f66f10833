//! Numbered SQL migrations, one directory per backend, embedded in the binary.
//!
//! Each capability adds its own numbered files; the file name says which
//! capability owns the tables it creates (`0002_identity.sql`, and the
//! views it publishes); `ownership.rs` derives its owner map from this.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::{Db, StoreError};

macro_rules! migrations {
    ($($version:literal => $name:literal),+ $(,)?) => {
        pub(crate) const SQLITE: &[(i64, &str, &str)] = &[
            $(($version, $name, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite/", $name, ".sql")))),+
        ];
        pub(crate) const POSTGRES: &[(i64, &str, &str)] = &[
            $(($version, $name, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres/", $name, ".sql")))),+
        ];
    };
}

// The list of files under migrations/, made by build.rs: a new migration
// is its two files and nothing else.
include!(concat!(env!("OUT_DIR"), "/migration_list.rs"));
/// How many migrations the binary carries.
pub const MIGRATION_COUNT: usize = SQLITE.len();

fn migrator(list: &'static [(i64, &'static str, &'static str)]) -> Migrator {
    let migrations: Vec<Migration> = list
        .iter()
        .map(|(version, name, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*name),
                MigrationType::Simple,
                Cow::Borrowed(*sql),
                false,
            )
        })
        .collect();
    Migrator {
        migrations: Cow::Owned(migrations),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    }
}

pub(crate) async fn applied_version(db: &Db) -> Result<i64, StoreError> {
    let exists_sql = match db {
        Db::Sqlite(_) => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
        }
        Db::Postgres(_) => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = '_sqlx_migrations' AND table_schema = current_schema()"
        }
    };
    let exists: i64 = crate::read!(db, |c| sqlx::query_scalar(exists_sql).fetch_one(c).await?);
    if exists == 0 {
        return Ok(0);
    }
    let version: Option<i64> = crate::read!(db, |c| {
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(c)
            .await?
    });
    Ok(version.unwrap_or(0))
}

pub(crate) async fn run(db: &Db) -> Result<(), StoreError> {
    let found = applied_version(db).await?;
    if found > LATEST_SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found,
            known: LATEST_SCHEMA_VERSION,
        });
    }
    match db {
        Db::Sqlite(s) => migrator(SQLITE).run(&s.write).await?,
        Db::Postgres(p) => migrator(POSTGRES).run(p).await?,
    }
    Ok(())
}
