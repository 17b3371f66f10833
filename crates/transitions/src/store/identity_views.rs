//! What the stores read of identity's published views.

use super::*;
use renkei_store::read;

/// The municipalities of a region (code, name), from identity's view.
pub async fn municipalities(
    db: &Db,
    region: RegionId,
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(read!(db, |c| sqlx::query_as(
        "SELECT code, name FROM identity_municipalities WHERE region_id = $1 ORDER BY code"
    )
    .bind(region)
    .fetch_all(c)
    .await?))
}

/// Organisations' names, from identity's view.
pub async fn organisation_names(
    db: &Db,
    ids: &[OrgId],
) -> Result<std::collections::HashMap<OrgId, String>, StoreError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let marks: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 1)).collect();
    let sql = format!(
        "SELECT id, name FROM identity_organisations WHERE id IN ({})",
        marks.join(", ")
    );
    let rows: Vec<(OrgId, String)> = read!(db, |c| {
        let mut q = sqlx::query_as(&sql);
        for o in ids {
            q = q.bind(*o);
        }
        q.fetch_all(c).await?
    });
    Ok(rows.into_iter().collect())
}
