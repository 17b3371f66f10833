//! The SQLite and PostgreSQL migrations build the same schema.
//!
//! Both backends are migrated from empty and read back from their catalogues
//! (`sqlite_master` and its pragmas; `pg_catalog`), table by table: the
//! tables, each column's name, type class (integer, text, boolean, real,
//! blob, …) and nullability, the primary key, the indexes by name with their
//! columns (indexes that back a UNIQUE constraint by their columns, since the
//! engines name those themselves), the foreign keys, and the views by name.
//! Triggers, CHECK constraints and defaults are written differently on the
//! two engines by design (`audit_log_no_update` and `…_no_delete` on SQLite
//! are one `audit_log_no_change` on PostgreSQL) and are not compared.
//!
//! Every difference is listed in the failure, so a column added to one
//! backend's migration only reads as `table.column: only on sqlite`.

use std::collections::{BTreeMap, BTreeSet};

use renkei_store::testing::TestDb;
use renkei_store::{sqlx, Backend, Db};

/// Tables that are not Renkei's: sqlx's own bookkeeping, whose column types
/// sqlx chooses per engine.
const NOT_OURS: &[&str] = &["_sqlx_migrations"];

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    class: String,
    not_null: bool,
}

/// An index. `name` is `None` for the index behind a UNIQUE constraint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Index {
    name: Option<String>,
    columns: Vec<String>,
    unique: bool,
    partial: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ForeignKey {
    columns: Vec<String>,
    references: String,
    ref_columns: Vec<String>,
    on_delete: String,
}

#[derive(Debug, Clone, Default)]
struct Table {
    columns: BTreeMap<String, Column>,
    primary_key: Vec<String>,
    indexes: BTreeSet<Index>,
    foreign_keys: BTreeSet<ForeignKey>,
}

#[derive(Debug, Clone, Default)]
struct Schema {
    tables: BTreeMap<String, Table>,
    views: BTreeSet<String>,
}

/// The class of a declared or catalogued type, the same word on both
/// engines: what matters is that a value written by one store function is
/// read back the same way on either backend.
fn type_class(declared: &str) -> String {
    let t = declared.to_ascii_lowercase();
    let t = t.split('(').next().unwrap_or("").trim();
    let class = match t {
        "boolean" | "bool" => "boolean",
        "bytea" | "blob" | "" => "blob",
        "real" | "double precision" | "double" | "float" | "float4" | "float8" => "real",
        "numeric" | "decimal" => "numeric",
        "json" | "jsonb" => "json",
        "integer" | "int" | "bigint" | "smallint" | "tinyint" | "int2" | "int4" | "int8" => {
            "integer"
        }
        "text" | "clob" | "varchar" | "character varying" | "character" | "char" => "text",
        t if t.starts_with("timestamp") || t == "datetime" => "timestamp",
        other => return format!("other ({other})"),
    };
    class.to_string()
}

fn on_delete_sqlite(action: &str) -> String {
    action.to_ascii_lowercase()
}

fn on_delete_postgres(code: &str) -> String {
    match code {
        "a" => "no action",
        "r" => "restrict",
        "c" => "cascade",
        "n" => "set null",
        "d" => "set default",
        other => other,
    }
    .to_string()
}

async fn sqlite_schema(db: &Db) -> Schema {
    let Db::Sqlite(s) = db else {
        panic!("sqlite expected")
    };
    let pool = &s.read;
    let mut schema = Schema::default();
    let objects: Vec<(String, String)> = sqlx::query_as(
        "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') \
         AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (kind, name) in objects {
        if kind == "view" {
            schema.views.insert(name);
            continue;
        }
        if NOT_OURS.contains(&name.as_str()) {
            continue;
        }
        let mut table = Table::default();
        let columns: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid",
        )
        .bind(&name)
        .fetch_all(pool)
        .await
        .unwrap();
        let mut key: Vec<(i64, String)> = Vec::new();
        for (column, declared, not_null, pk) in columns {
            if pk > 0 {
                key.push((pk, column.clone()));
            }
            // A PRIMARY KEY column counts as NOT NULL, as PostgreSQL makes
            // it. (SQLite enforces that only for INTEGER PRIMARY KEY and
            // WITHOUT ROWID tables; see docs/testing.md.)
            table.columns.insert(
                column,
                Column {
                    class: type_class(&declared),
                    not_null: not_null != 0 || pk > 0,
                },
            );
        }
        key.sort();
        table.primary_key = key.into_iter().map(|(_, c)| c).collect();

        let indexes: Vec<(String, i64, String, i64)> = sqlx::query_as(
            "SELECT name, \"unique\", origin, partial FROM pragma_index_list($1) ORDER BY name",
        )
        .bind(&name)
        .fetch_all(pool)
        .await
        .unwrap();
        for (index, unique, origin, partial) in indexes {
            if origin == "pk" {
                continue; // compared as the primary key
            }
            let columns: Vec<Option<String>> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&index)
                    .fetch_all(pool)
                    .await
                    .unwrap();
            table.indexes.insert(Index {
                name: (origin == "c").then_some(index),
                columns: columns
                    .into_iter()
                    .map(|c| c.unwrap_or_else(|| "<expression>".into()))
                    .collect(),
                unique: unique != 0,
                partial: partial != 0,
            });
        }

        let keys: Vec<(i64, String, String, Option<String>, String)> = sqlx::query_as(
            "SELECT id, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list($1) \
             ORDER BY id, seq",
        )
        .bind(&name)
        .fetch_all(pool)
        .await
        .unwrap();
        let mut by_id: BTreeMap<i64, ForeignKey> = BTreeMap::new();
        for (id, references, from, to, on_delete) in keys {
            let fk = by_id.entry(id).or_insert_with(|| ForeignKey {
                columns: Vec::new(),
                references: references.clone(),
                ref_columns: Vec::new(),
                on_delete: on_delete_sqlite(&on_delete),
            });
            fk.columns.push(from);
            // No column named: the referenced table's primary key (filled in below).
            if let Some(to) = to {
                fk.ref_columns.push(to);
            }
        }
        table.foreign_keys = by_id.into_values().collect();
        schema.tables.insert(name, table);
    }
    // `REFERENCES t` without columns means t's primary key.
    let keys: BTreeMap<String, Vec<String>> = schema
        .tables
        .iter()
        .map(|(name, t)| (name.clone(), t.primary_key.clone()))
        .collect();
    for table in schema.tables.values_mut() {
        table.foreign_keys = std::mem::take(&mut table.foreign_keys)
            .into_iter()
            .map(|mut fk| {
                if fk.ref_columns.is_empty() {
                    fk.ref_columns = keys.get(&fk.references).cloned().unwrap_or_default();
                }
                fk
            })
            .collect();
    }
    schema
}

async fn postgres_schema(db: &Db) -> Schema {
    let Db::Postgres(pool) = db else {
        panic!("postgres expected")
    };
    let mut schema = Schema::default();
    let objects: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relkind::text, c.relname::text FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm') \
         ORDER BY c.relname",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (kind, name) in objects {
        if kind == "v" || kind == "m" {
            schema.views.insert(name);
            continue;
        }
        if NOT_OURS.contains(&name.as_str()) {
            continue;
        }
        let mut table = Table::default();
        let columns: Vec<(String, String, bool)> = sqlx::query_as(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull \
             FROM pg_attribute a \
             WHERE a.attrelid = (SELECT c.oid FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = current_schema() AND c.relname = $1) \
             AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        )
        .bind(&name)
        .fetch_all(pool)
        .await
        .unwrap();
        for (column, declared, not_null) in columns {
            table.columns.insert(
                column,
                Column {
                    class: type_class(&declared),
                    not_null,
                },
            );
        }

        let indexes: Vec<(String, bool, bool, bool, bool, Vec<String>)> = sqlx::query_as(
            "SELECT ic.relname::text, ix.indisunique, ix.indisprimary, ix.indpred IS NOT NULL, \
                 EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = ix.indexrelid \
                         AND k.contype IN ('u', 'p')), \
                 ARRAY(SELECT COALESCE(a.attname::text, '<expression>') \
                       FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS key(attnum, ord) \
                       LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = key.attnum \
                       WHERE key.ord <= ix.indnkeyatts ORDER BY key.ord) \
             FROM pg_index ix \
             JOIN pg_class ic ON ic.oid = ix.indexrelid \
             JOIN pg_class t ON t.oid = ix.indrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE n.nspname = current_schema() AND t.relname = $1 \
             ORDER BY ic.relname",
        )
        .bind(&name)
        .fetch_all(pool)
        .await
        .unwrap();
        for (index, unique, primary, partial, constraint, columns) in indexes {
            if primary {
                table.primary_key = columns;
                continue;
            }
            table.indexes.insert(Index {
                name: (!constraint).then_some(index),
                columns,
                unique,
                partial,
            });
        }

        let keys: Vec<(Vec<String>, String, Vec<String>, String)> = sqlx::query_as(
            "SELECT \
                 ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY AS c(attnum, ord) \
                       JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = c.attnum \
                       ORDER BY c.ord), \
                 r.relname::text, \
                 ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY AS c(attnum, ord) \
                       JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = c.attnum \
                       ORDER BY c.ord), \
                 k.confdeltype::text \
             FROM pg_constraint k \
             JOIN pg_class t ON t.oid = k.conrelid \
             JOIN pg_class r ON r.oid = k.confrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE k.contype = 'f' AND n.nspname = current_schema() AND t.relname = $1",
        )
        .bind(&name)
        .fetch_all(pool)
        .await
        .unwrap();
        table.foreign_keys = keys
            .into_iter()
            .map(|(columns, references, ref_columns, on_delete)| ForeignKey {
                columns,
                references,
                ref_columns,
                on_delete: on_delete_postgres(&on_delete),
            })
            .collect();
        schema.tables.insert(name, table);
    }
    schema
}

fn describe_column(c: &Column) -> String {
    let null = if c.not_null { "NOT NULL" } else { "NULL" };
    format!("{} {null}", c.class)
}

fn describe_index(i: &Index) -> String {
    let mut s = match &i.name {
        Some(name) => format!("index {name}"),
        None => "UNIQUE constraint".to_string(),
    };
    s.push_str(&format!(" ({})", i.columns.join(", ")));
    if i.unique && i.name.is_some() {
        s.push_str(" unique");
    }
    if i.partial {
        s.push_str(" partial");
    }
    s
}

fn describe_foreign_key(k: &ForeignKey) -> String {
    format!(
        "foreign key ({}) references {} ({}) on delete {}",
        k.columns.join(", "),
        k.references,
        k.ref_columns.join(", "),
        k.on_delete
    )
}

/// What is only on one side of two sets, as "… only on sqlite/postgres".
fn one_sided<T: Ord>(
    out: &mut Vec<String>,
    prefix: &str,
    sqlite: &BTreeSet<T>,
    postgres: &BTreeSet<T>,
    describe: impl Fn(&T) -> String,
) {
    for x in sqlite.difference(postgres) {
        out.push(format!("{prefix}{} only on sqlite", describe(x)));
    }
    for x in postgres.difference(sqlite) {
        out.push(format!("{prefix}{} only on postgres", describe(x)));
    }
}

/// Every difference between the two schemas, one line each.
fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    one_sided(&mut out, "", &sqlite.views, &postgres.views, |v| {
        format!("view {v}:")
    });
    let names: BTreeSet<&String> = sqlite.tables.keys().chain(postgres.tables.keys()).collect();
    for name in names {
        let (s, p) = match (sqlite.tables.get(name), postgres.tables.get(name)) {
            (Some(s), Some(p)) => (s, p),
            (Some(_), None) => {
                out.push(format!("table {name}: only on sqlite"));
                continue;
            }
            (None, _) => {
                out.push(format!("table {name}: only on postgres"));
                continue;
            }
        };
        let columns: BTreeSet<&String> = s.columns.keys().chain(p.columns.keys()).collect();
        for column in columns {
            match (s.columns.get(column), p.columns.get(column)) {
                (Some(a), Some(b)) if a == b => {}
                (Some(a), Some(b)) => out.push(format!(
                    "{name}.{column}: sqlite {}, postgres {}",
                    describe_column(a),
                    describe_column(b)
                )),
                (Some(_), None) => out.push(format!("{name}.{column}: only on sqlite")),
                (None, _) => out.push(format!("{name}.{column}: only on postgres")),
            }
        }
        if s.primary_key != p.primary_key {
            out.push(format!(
                "{name}: primary key ({}) on sqlite, ({}) on postgres",
                s.primary_key.join(", "),
                p.primary_key.join(", ")
            ));
        }
        let prefix = format!("{name}: ");
        one_sided(&mut out, &prefix, &s.indexes, &p.indexes, describe_index);
        one_sided(
            &mut out,
            &prefix,
            &s.foreign_keys,
            &p.foreign_keys,
            describe_foreign_key,
        );
    }
    out
}

async fn migrated(backend: Backend) -> TestDb {
    // From empty, not from the test template: this is about the migrations.
    let t = TestDb::empty(backend).await;
    t.db.migrate().await.unwrap();
    t
}

async fn both_schemas() -> (Schema, Schema) {
    let sqlite = migrated(Backend::Sqlite).await;
    let postgres = migrated(Backend::Postgres).await;
    (
        sqlite_schema(&sqlite.db).await,
        postgres_schema(&postgres.db).await,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_migrations_build_the_same_schema() {
    let (sqlite, postgres) = both_schemas().await;
    // Each kind of fact is read on both sides: two empty catalogues would
    // agree too.
    for (backend, schema) in [("sqlite", &sqlite), ("postgres", &postgres)] {
        assert!(
            schema.tables.len() > 20,
            "{backend}: {:?}",
            schema.tables.keys()
        );
        let users = &schema.tables["users"];
        assert_eq!(users.primary_key, ["id"], "{backend}");
        assert_eq!(users.columns["username"].class, "text", "{backend}");
        assert!(users.columns["username"].not_null, "{backend}");
        assert!(
            users
                .indexes
                .iter()
                .any(|i| i.name.is_none() && i.unique && i.columns == ["username"]),
            "{backend}: {:?}",
            users.indexes
        );
        assert!(
            users.foreign_keys.iter().any(|k| k.references == "regions"
                && k.columns == ["region_id"]
                && k.ref_columns == ["id"]),
            "{backend}: {:?}",
            users.foreign_keys
        );
        let posts = &schema.tables["care_posts"];
        assert!(
            posts
                .indexes
                .iter()
                .any(|i| i.name.as_deref() == Some("care_posts_idempotency")
                    && i.unique
                    && i.columns == ["author_id", "idempotency_key"]),
            "{backend}: {:?}",
            posts.indexes
        );
        assert!(
            posts
                .indexes
                .iter()
                .any(|i| i.name.as_deref() == Some("care_posts_vitals") && i.partial),
            "{backend}: {:?}",
            posts.indexes
        );
    }
    let found = differences(&sqlite, &postgres);
    assert!(
        found.is_empty(),
        "the SQLite and PostgreSQL migrations disagree:\n  {}",
        found.join("\n  ")
    );
}

/// The comparison itself catches what it is there for: a column, an index
/// or a table on one backend only, a type or nullability that differs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_sided_change_is_reported() {
    let (sqlite, postgres) = both_schemas().await;
    // Only what the change adds, whatever the other test finds.
    let today = differences(&sqlite, &postgres);
    let differences = |s: &Schema, p: &Schema| -> Vec<String> {
        differences(s, p)
            .into_iter()
            .filter(|d| !today.contains(d))
            .collect()
    };

    let mut extra_column = sqlite.clone();
    extra_column
        .tables
        .get_mut("audit_log")
        .unwrap()
        .columns
        .insert(
            "added_here_only".into(),
            Column {
                class: "text".into(),
                not_null: false,
            },
        );
    assert_eq!(
        differences(&extra_column, &postgres),
        ["audit_log.added_here_only: only on sqlite"]
    );

    let mut retyped = postgres.clone();
    let column = retyped
        .tables
        .get_mut("audit_log")
        .unwrap()
        .columns
        .get_mut("at")
        .unwrap();
    column.class = "text".into();
    column.not_null = false;
    assert_eq!(
        differences(&sqlite, &retyped),
        ["audit_log.at: sqlite integer NOT NULL, postgres text NULL"]
    );

    let mut unindexed = postgres.clone();
    let indexes = &mut unindexed.tables.get_mut("audit_log").unwrap().indexes;
    let actor = indexes
        .iter()
        .find(|i| i.name.as_deref() == Some("audit_log_actor"))
        .cloned()
        .unwrap();
    indexes.remove(&actor);
    assert_eq!(
        differences(&sqlite, &unindexed),
        ["audit_log: index audit_log_actor (actor_username, seq) only on sqlite"]
    );

    let mut dropped = sqlite.clone();
    dropped.tables.remove("audit_head");
    assert_eq!(
        differences(&dropped, &postgres),
        ["table audit_head: only on postgres"]
    );
}

#[test]
fn type_classes_match_across_engines() {
    for (sqlite, postgres, class) in [
        ("BIGINT", "bigint", "integer"),
        ("INTEGER", "integer", "integer"),
        ("TEXT", "text", "text"),
        ("VARCHAR(20)", "character varying(20)", "text"),
        ("BOOLEAN", "boolean", "boolean"),
        ("REAL", "double precision", "real"),
        ("BLOB", "bytea", "blob"),
    ] {
        assert_eq!(type_class(sqlite), class, "{sqlite}");
        assert_eq!(type_class(postgres), class, "{postgres}");
    }
    assert_eq!(type_class("TIMESTAMPTZ"), "timestamp");
    assert_eq!(type_class("interval"), "other (interval)");
}
