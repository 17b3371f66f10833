//! Identity's read model: the SQL views other capabilities read identity
//! through (migration `0010_identity_read_model.sql`, the same on both
//! backends).
//!
//! A capability never names identity's tables (`users`, `memberships`,
//! `organisations`, `municipalities`, `regions`, `sessions`, …); it joins
//! these views instead, or calls the [`crate::Identity`] service. The
//! ownership test in `renkei-store` (`ownership.rs`) fails when one does.
//!
//! The promise, for each view: identity keeps the name and the columns
//! listed here, with the meaning written here, whatever becomes of its own
//! tables. A column is added by a new identity migration that re-creates
//! the view (and by a line in [`PUBLISHED`]); one is never removed or
//! renamed while a capability reads it. No view carries a password hash, a
//! TOTP secret or recovery code, a session or an API token. Each view is a
//! plain projection of one table, so SQLite and PostgreSQL inline it into
//! the query that reads it and the table's indexes serve that query.
//!
//! | view | columns | rows |
//! |---|---|---|
//! | `identity_people` | `id, username, display_name, email, role, profession, region_id, disabled` | every user, disabled ones included (teams and histories still name them) |
//! | `identity_memberships` | `user_id, org_id` | which organisations a user acts for |
//! | `identity_organisations` | `id, region_id, name, kana, disabled` | every organisation (事業所・機関), disabled ones included |
//! | `identity_municipalities` | `code, region_id, name` | the municipalities (市区町村) of each region |
//!
//! - `identity_people.role` and `.profession` are the codes of
//!   [`renkei_domain::Role`] and [`renkei_domain::Profession`]; decide what
//!   a role may do with `Role::may`, never with a list of codes in SQL.
//!   `email` is `''` when unknown; `region_id` is NULL only for system
//!   administrators.
//! - `identity_municipalities.code` is the six-digit 全国地方公共団体コード,
//!   check digit included (identity normalises it on the way in).
//! - `kana` is `''` when unknown.

/// Every published view and its columns, in order: the promise above as
/// data (the test below holds both backends to it).
pub const PUBLISHED: &[(&str, &[&str])] = &[
    (
        "identity_people",
        &[
            "id",
            "username",
            "display_name",
            "email",
            "role",
            "profession",
            "region_id",
            "disabled",
        ],
    ),
    ("identity_memberships", &["user_id", "org_id"]),
    (
        "identity_organisations",
        &["id", "region_id", "name", "kana", "disabled"],
    ),
    ("identity_municipalities", &["code", "region_id", "name"]),
];

#[cfg(test)]
mod tests {
    use super::PUBLISHED;
    use renkei_store::{both_backends, read, Db};
    use sqlx::{Column, Executor};

    async fn columns(db: &Db, view: &str) -> Vec<String> {
        let sql = format!("SELECT * FROM {view}");
        let described = read!(db, |c| {
            c.describe(&sql)
                .await
                .map(|d| d.columns().iter().map(|c| c.name().to_string()).collect())
        });
        described.unwrap_or_else(|e| panic!("{view}: {e}"))
    }

    both_backends!(
        views_have_exactly_the_promised_columns,
        |db: Db| async move {
            for (view, promised) in PUBLISHED {
                assert_eq!(columns(&db, view).await, *promised, "{view}");
            }
        }
    );

    #[test]
    fn no_secret_is_published() {
        for (view, columns) in PUBLISHED {
            for c in *columns {
                assert!(
                    !["password", "mfa", "secret", "token", "hash", "recovery", "session"]
                        .iter()
                        .any(|s| c.contains(s)),
                    "{view}.{c} looks like a secret"
                );
            }
        }
    }
}
