//! Bulk seeding for benchmark generators: one region, its organisations and
//! its people (with their memberships), written by identity into its own
//! tables so that a generator elsewhere (`renkei bench care-generate`) never
//! names them.
//!
//! This is not the way accounts are made: there is no validation beyond the
//! types, no audit record, every person shares one password hash and none
//! has MFA. It writes into an empty identity only, in one transaction, with
//! multi-row INSERTs of bound values (a hundred rows a statement, one
//! prepared statement for them all), so 30,000 people take a fraction of a
//! second.

use renkei_domain::{OrgKind, Profession, Role, Timestamp};
use renkei_store::{write, Backend, Db, StoreError, Tx};

/// The region to create.
#[derive(Debug, Clone, Copy)]
pub struct SeedRegion<'a> {
    pub code: &'a str,
    pub name: &'a str,
}

/// An organisation of the region.
#[derive(Debug, Clone)]
pub struct SeedOrganisation {
    pub kind: OrgKind,
    pub name: String,
    pub kana: String,
}

/// A person of the region.
#[derive(Debug, Clone)]
pub struct SeedPerson {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub role: Role,
    pub profession: Profession,
    /// The organisation they act for: an index into the organisations given.
    pub organisation: Option<usize>,
}

/// The ids given to what was seeded, in the order it was given. On the
/// empty identity this writes into they are 1, 2, 3, … (generators that
/// derive ids from positions may rely on it).
#[derive(Debug, Clone)]
pub struct Seeded {
    pub region_id: i64,
    pub organisation_ids: Vec<i64>,
    pub person_ids: Vec<i64>,
}

/// Rows per INSERT. The statement's text depends only on how many rows it
/// holds, so every full chunk reuses one prepared statement; SQLite finds a
/// `$n` by a linear search among the statement's parameters, when preparing
/// and again when binding, so a statement must not hold thousands of them
/// (with 2,750 that search took four fifths of the seeding).
const ROWS_PER_STATEMENT: usize = 100;

/// `(…), (…)`: one row per `k` in `0..rows`, written by `row(k)`.
fn rows(n: usize, row: impl Fn(usize) -> String) -> String {
    (0..n).map(row).collect::<Vec<_>>().join(", ")
}

/// Organisations: `$1` region, `$2` time and `$3` the first id, then kind,
/// name and kana bound per row.
async fn insert_organisations(
    tx: &mut Tx,
    first_id: i64,
    region_id: i64,
    chunk: &[SeedOrganisation],
    now: i64,
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO organisations (id, region_id, kind, name, kana, created_at, updated_at) VALUES {}",
        rows(chunk.len(), |k| {
            let n = 4 + 3 * k;
            format!("($3 + {k}, $1, ${n}, ${}, ${}, $2, $2)", n + 1, n + 2)
        })
    );
    write!(tx, |c| {
        let mut q = sqlx::query(&sql).bind(region_id).bind(now).bind(first_id);
        for o in chunk {
            q = q.bind(o.kind.code()).bind(&o.name).bind(&o.kana);
        }
        q.execute(&mut *c).await?;
    });
    Ok(())
}

/// People: `$1` region, `$2` password hash, `$3` time and `$4` the first
/// id, then five values bound per row. Memberships are all integers, written
/// as literals.
async fn insert_people(
    tx: &mut Tx,
    region_id: i64,
    first_id: i64,
    chunk: &[SeedPerson],
    organisation_ids: &[i64],
    password_hash: &str,
    now: i64,
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO users (id, region_id, username, display_name, email, role, profession, password_hash, \
         mfa_enabled, created_at, updated_at) VALUES {}",
        rows(chunk.len(), |k| {
            let n = 5 + 5 * k;
            format!(
                "($4 + {k}, $1, ${n}, ${}, ${}, ${}, ${}, $2, FALSE, $3, $3)",
                n + 1,
                n + 2,
                n + 3,
                n + 4
            )
        })
    );
    write!(tx, |c| {
        let mut q = sqlx::query(&sql)
            .bind(region_id)
            .bind(password_hash)
            .bind(now)
            .bind(first_id);
        for p in chunk {
            q = q
                .bind(&p.username)
                .bind(&p.display_name)
                .bind(&p.email)
                .bind(p.role.code())
                .bind(p.profession.code());
        }
        q.execute(&mut *c).await?;
    });
    let members: Vec<String> = chunk
        .iter()
        .enumerate()
        .filter_map(|(k, p)| {
            p.organisation
                .and_then(|o| organisation_ids.get(o))
                .map(|org| format!("({}, {org}, {region_id})", first_id + k as i64))
        })
        .collect();
    if members.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO memberships (user_id, org_id, region_id) VALUES {}",
        members.join(", ")
    );
    write!(tx, |c| {
        sqlx::query(&sql).execute(&mut *c).await?;
    });
    Ok(())
}

/// Writes a region with its organisations and people into an empty
/// identity (no region, organisation or user yet), all or nothing. A
/// person whose organisation index is out of range gets no membership.
pub async fn bulk_people(
    db: &Db,
    region: SeedRegion<'_>,
    organisations: &[SeedOrganisation],
    people: impl IntoIterator<Item = SeedPerson>,
    password_hash: &str,
    now: Timestamp,
) -> Result<Seeded, StoreError> {
    let now = now.millis();
    let mut tx = db.begin().await?;
    let existing: i64 = write!(&mut tx, |c| {
        sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM regions) + (SELECT COUNT(*) FROM organisations) \
             + (SELECT COUNT(*) FROM users)",
        )
        .fetch_one(&mut *c)
        .await?
    });
    if existing > 0 {
        return Err(StoreError::Invalid(
            "bulk seeding writes into an empty identity only (no region, organisation or user yet)"
                .into(),
        ));
    }
    let region_id = 1;
    write!(&mut tx, |c| {
        sqlx::query(
            "INSERT INTO regions (id, code, name, is_demo, created_at) VALUES ($1, $2, $3, FALSE, $4)",
        )
        .bind(region_id)
        .bind(region.code)
        .bind(region.name)
        .bind(now)
        .execute(&mut *c)
        .await?;
    });

    let organisation_ids: Vec<i64> = (1..=organisations.len() as i64).collect();
    for (n, chunk) in organisations.chunks(ROWS_PER_STATEMENT).enumerate() {
        let first = (n * ROWS_PER_STATEMENT) as i64 + 1;
        insert_organisations(&mut tx, first, region_id, chunk, now).await?;
    }

    let mut person_ids = Vec::new();
    let mut chunk: Vec<SeedPerson> = Vec::with_capacity(ROWS_PER_STATEMENT);
    let mut first = 1;
    for person in people {
        person_ids.push(first + chunk.len() as i64);
        chunk.push(person);
        if chunk.len() == ROWS_PER_STATEMENT {
            insert_people(
                &mut tx,
                region_id,
                first,
                &chunk,
                &organisation_ids,
                password_hash,
                now,
            )
            .await?;
            first += chunk.len() as i64;
            chunk.clear();
        }
    }
    if !chunk.is_empty() {
        insert_people(
            &mut tx,
            region_id,
            first,
            &chunk,
            &organisation_ids,
            password_hash,
            now,
        )
        .await?;
    }

    // Explicit ids leave PostgreSQL's identity sequences behind; the next
    // ordinary insert must not collide with a seeded row.
    if tx.backend() == Backend::Postgres {
        for table in ["regions", "organisations", "users"] {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT MAX(id) FROM {table}), 1))"
            );
            write!(&mut tx, |c| {
                sqlx::query(&sql).execute(&mut *c).await?;
            });
        }
    }
    tx.commit().await?;
    Ok(Seeded {
        region_id,
        organisation_ids,
        person_ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Actor, Identity, IdentityConfig, NewUser, RequestContext};
    use renkei_store::{both_backends, read};

    fn person(n: usize, organisation: Option<usize>) -> SeedPerson {
        SeedPerson {
            username: format!("seed{n:03}"),
            // Texts are bound, so quotes and backslashes arrive as written.
            display_name: if n == 3 {
                r"O'Brien \ 種".to_string()
            } else {
                format!("種 {n}")
            },
            email: if n == 0 {
                String::new()
            } else {
                format!("seed{n}@example.jp")
            },
            role: [Role::Professional, Role::Coordinator][n % 2],
            profession: Profession::Nurse,
            organisation,
        }
    }

    both_backends!(seeds_an_empty_identity_once, |db: Db| async move {
        let orgs: Vec<SeedOrganisation> = (0..3)
            .map(|o| SeedOrganisation {
                kind: OrgKind::VisitingNursing,
                name: format!("訪問看護{o}"),
                kana: String::new(),
            })
            .collect();
        // More people than one statement holds, one without an organisation
        // and one naming an organisation that was not given.
        let people = (0..ROWS_PER_STATEMENT + 7).map(|n| {
            person(
                n,
                match n {
                    1 => None,
                    2 => Some(99),
                    _ => Some(n % 3),
                },
            )
        });
        let region = SeedRegion {
            code: "seed",
            name: "種県",
        };
        let seeded = bulk_people(&db, region, &orgs, people, "x", Timestamp(1_000))
            .await
            .unwrap();
        assert_eq!(seeded.region_id, 1);
        assert_eq!(seeded.organisation_ids, vec![1, 2, 3]);
        assert_eq!(
            seeded.person_ids,
            (1..=(ROWS_PER_STATEMENT + 7) as i64).collect::<Vec<_>>()
        );
        // What others see through the read model.
        let (people, members, coordinators): (i64, i64, i64) = read!(&db, |c| {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM identity_people), (SELECT COUNT(*) FROM identity_memberships), \
                 (SELECT COUNT(*) FROM identity_people WHERE role = 'coordinator' AND region_id = 1)",
            )
            .fetch_one(c)
            .await
            .unwrap()
        });
        assert_eq!(people, (ROWS_PER_STATEMENT + 7) as i64);
        let name: String = read!(&db, |c| {
            sqlx::query_scalar(
                "SELECT display_name FROM identity_people WHERE username = 'seed003'",
            )
            .fetch_one(c)
            .await
            .unwrap()
        });
        assert_eq!(name, r"O'Brien \ 種");
        assert_eq!(members, (ROWS_PER_STATEMENT + 7 - 2) as i64);
        assert_eq!(coordinators, ((ROWS_PER_STATEMENT + 7) / 2) as i64);

        // Only into an empty identity.
        let again = bulk_people(
            &db,
            region,
            &orgs,
            vec![person(900, None)],
            "x",
            Timestamp(1),
        )
        .await;
        assert!(matches!(again, Err(StoreError::Invalid(_))), "{again:?}");

        // Accounts made the ordinary way get the next ids.
        let identity = Identity::new(db.clone(), IdentityConfig::default());
        let id = identity
            .create_user(
                &Actor::Cli {
                    os_user: "test".into(),
                },
                &NewUser {
                    region_id: Some(1),
                    username: "after_seed".into(),
                    display_name: "後".into(),
                    role: "professional".into(),
                    profession: "nurse".into(),
                    password: "a long enough password".into(),
                    org_ids: vec![3],
                    ..NewUser::default()
                },
                &RequestContext::cli(),
            )
            .await
            .unwrap();
        assert_eq!(id, (ROWS_PER_STATEMENT + 8) as i64);
    });
}
