//! Regions' own sheets.

use super::*;
use renkei_store::{read, write};

/// A region's own template as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredTemplate {
    pub region_id: RegionId,
    pub kind: FormKind,
    pub code: String,
    pub name: String,
    pub sections: String,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_template(
    tx: &mut Tx,
    region: RegionId,
    kind: FormKind,
    code: &str,
    name: &str,
    sections: &str,
    by: UserId,
    now: Timestamp,
) -> Result<FormTemplateId, StoreError> {
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO transitions_templates (region_id, kind, code, name, sections, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(region)
        .bind(kind)
        .bind(code)
        .bind(name)
        .bind(sections)
        .bind(by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

const TEMPLATE: &str = "SELECT region_id, kind, code, name, sections FROM transitions_templates";

pub async fn templates_of_region(
    db: &Db,
    region: RegionId,
) -> Result<Vec<StoredTemplate>, StoreError> {
    let sql = format!("{TEMPLATE} WHERE region_id = $1 ORDER BY id");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(region)
        .fetch_all(c)
        .await?))
}

pub async fn template_by_code(db: &Db, code: &str) -> Result<Option<StoredTemplate>, StoreError> {
    let sql = format!("{TEMPLATE} WHERE code = $1");
    Ok(read!(db, |c| sqlx::query_as(&sql)
        .bind(code)
        .fetch_optional(c)
        .await?))
}
