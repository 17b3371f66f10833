//! Rule sets, their versions and adoptions.

use super::*;
use renkei_store::{read, write};

pub async fn insert_rule_set(
    tx: &mut Tx,
    region_id: RegionId,
    name: &str,
    publisher: &str,
    shared: bool,
    by: UserId,
    now: Timestamp,
) -> Result<RuleSetId, StoreError> {
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO transitions_rule_sets (region_id, name, publisher, shared, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(region_id)
        .bind(name)
        .bind(publisher)
        .bind(shared)
        .bind(by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

/// Adds the next version of a rule set; returns its id and number.
pub async fn insert_rule_version(
    tx: &mut Tx,
    rule_set_id: RuleSetId,
    effective_from: &str,
    body: &str,
    note: &str,
    by: UserId,
    now: Timestamp,
) -> Result<(RuleVersionId, i64), StoreError> {
    let last: Option<i64> = write!(tx, |c| {
        sqlx::query_scalar(
            "SELECT MAX(version) FROM transitions_rule_versions WHERE rule_set_id = $1",
        )
        .bind(rule_set_id)
        .fetch_one(&mut *c)
        .await?
    });
    let version = last.unwrap_or(0) + 1;
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO transitions_rule_versions (rule_set_id, version, effective_from, body, note, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(rule_set_id)
        .bind(version)
        .bind(effective_from)
        .bind(body)
        .bind(note)
        .bind(by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok((id, version))
}

const RULE_SET: &str =
    "SELECT id, region_id, name, publisher, shared, created_at FROM transitions_rule_sets";

pub async fn rule_set(db: &Db, id: RuleSetId) -> Result<Option<RuleSet>, StoreError> {
    let sql = format!("{RULE_SET} WHERE id = $1");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?))
}

/// The region's own rule sets.
pub async fn rule_sets_of_region(db: &Db, region: RegionId) -> Result<Vec<RuleSet>, StoreError> {
    let sql = format!("{RULE_SET} WHERE region_id = $1 ORDER BY id");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(region)
        .fetch_all(c)
        .await?))
}

/// Rule sets other regions share for adoption.
pub async fn shared_rule_sets(db: &Db, except: RegionId) -> Result<Vec<RuleSet>, StoreError> {
    let sql = format!("{RULE_SET} WHERE shared AND region_id <> $1 ORDER BY id");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(except)
        .fetch_all(c)
        .await?))
}

const RULE_VERSION: &str =
    "SELECT id, rule_set_id, version, effective_from, body, note, created_at \
    FROM transitions_rule_versions";

pub async fn rule_versions(
    db: &Db,
    rule_set_id: RuleSetId,
) -> Result<Vec<RuleVersion>, StoreError> {
    let sql = format!("{RULE_VERSION} WHERE rule_set_id = $1 ORDER BY version DESC");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(rule_set_id)
        .fetch_all(c)
        .await?))
}

pub async fn rule_version(db: &Db, id: RuleVersionId) -> Result<Option<RuleVersion>, StoreError> {
    let sql = format!("{RULE_VERSION} WHERE id = $1");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?))
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_adoption(
    tx: &mut Tx,
    region_id: RegionId,
    scope: RuleScope,
    scope_code: &str,
    rule_set_id: RuleSetId,
    adopted_from: &str,
    by: UserId,
    now: Timestamp,
) -> Result<AdoptionId, StoreError> {
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO transitions_adoptions (region_id, scope, scope_code, rule_set_id, adopted_from, adopted_by, adopted_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(region_id)
        .bind(scope)
        .bind(scope_code)
        .bind(rule_set_id)
        .bind(adopted_from)
        .bind(by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

pub async fn adoptions(db: &Db, region: RegionId) -> Result<Vec<Adoption>, StoreError> {
    Ok(read!(db, |c| sqlx::query_as(
        "SELECT id, region_id, scope, scope_code, rule_set_id, adopted_from, adopted_at \
         FROM transitions_adoptions WHERE region_id = $1 ORDER BY adopted_from, id",
    )
    .bind(region)
    .fetch_all(c)
    .await?))
}
