//! The shared summary's versions.

use super::*;
use renkei_store::{read, write};

const SUMMARY_SELECT: &str =
    "SELECT s.patient_id, s.version, s.diagnoses, s.medicines, s.allergies, s.adl, s.procedures, \
    s.notes, s.changed_by, u.display_name AS changed_by_name, s.changed_at \
    FROM care_summaries s JOIN identity_people u ON u.id = s.changed_by";

/// Every version, newest first.
pub async fn summaries(db: &Db, patient_id: PatientId) -> Result<Vec<Summary>, StoreError> {
    let sql = format!("{SUMMARY_SELECT} WHERE s.patient_id = $1 ORDER BY s.version DESC");
    Ok(read!(db, |c| {
        sqlx::query_as(&sql).bind(patient_id).fetch_all(c).await?
    }))
}

/// Writes version `version` (the primary key turns a concurrent save of the
/// same version into a conflict).
pub async fn insert_summary(
    tx: &mut Tx,
    patient_id: PatientId,
    version: i64,
    f: &SummaryFields,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "INSERT INTO care_summaries (patient_id, version, diagnoses, medicines, allergies, adl, procedures, notes, \
             changed_by, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(patient_id)
        .bind(version)
        .bind(&f.diagnoses)
        .bind(&f.medicines)
        .bind(&f.allergies)
        .bind(&f.adl)
        .bind(&f.procedures)
        .bind(&f.notes)
        .bind(by)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

/// When the patient's shared summary, its medication posts and its care
/// manager last changed (see `Care::change_marks`).
pub async fn change_marks(
    db: &Db,
    patient_id: PatientId,
    space_id: SpaceId,
) -> Result<(Option<i64>, Option<i64>, Option<i64>), StoreError> {
    let summary: Option<i64> = read!(db, |c| {
        sqlx::query_scalar("SELECT MAX(changed_at) FROM care_summaries WHERE patient_id = $1")
            .bind(patient_id)
            .fetch_one(c)
            .await?
    });
    let medication: Option<i64> = read!(db, |c| {
        sqlx::query_scalar(
            "SELECT MAX(created_at) FROM care_posts WHERE space_id = $1 AND category = $2 \
             AND withdrawn_at IS NULL",
        )
        .bind(space_id)
        .bind(PostCategory::Medication)
        .fetch_one(c)
        .await?
    });
    let care_manager: Option<i64> = read!(db, |c| {
        sqlx::query_scalar(
            "SELECT MAX(accepted_at) FROM care_members WHERE space_id = $1 AND team_role = $2 \
             AND status = $3",
        )
        .bind(space_id)
        .bind(TeamRole::CareManager)
        .bind(MemberStatus::Active)
        .fetch_one(c)
        .await?
    });
    Ok((summary, medication, care_manager))
}
