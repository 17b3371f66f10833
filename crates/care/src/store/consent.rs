//! Consents: recording, withdrawing, and reading them with their coverage.

use super::*;
use renkei_store::{read, write};

pub struct NewConsent<'a> {
    pub patient_id: PatientId,
    pub coverage: &'a Coverage,
    pub obtained_on: &'a str,
    pub obtained_by: &'a str,
    pub signer: &'a str,
    pub form_attachment_id: Option<AttachmentId>,
    pub recorded_by: UserId,
}

const CONSENT_SELECT: &str = "SELECT c.id, c.patient_id, c.covers_orgs, c.covers_professions, c.covers_family, \
    c.obtained_on, c.obtained_by, c.signer, c.form_attachment_id, c.recorded_by, u.display_name AS recorded_by_name, \
    c.recorded_at, c.withdrawn_at, c.withdrawn_by, c.withdrawal_reason \
    FROM care_consents c JOIN identity_people u ON u.id = c.recorded_by";

pub async fn insert_consent(
    tx: &mut Tx,
    n: &NewConsent<'_>,
    now: Timestamp,
) -> Result<ConsentId, StoreError> {
    let orgs = json_text(&n.coverage.org_ids)?;
    let profs = json_text(&n.coverage.professions)?;
    let id: ConsentId = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO care_consents (patient_id, covers_orgs, covers_professions, covers_family, obtained_on, \
             obtained_by, signer, form_attachment_id, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(n.patient_id)
        .bind(&orgs)
        .bind(&profs)
        .bind(n.coverage.family)
        .bind(n.obtained_on)
        .bind(n.obtained_by)
        .bind(n.signer)
        .bind(n.form_attachment_id)
        .bind(n.recorded_by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

/// Withdraws every active consent of the patient; returns how many.
pub async fn withdraw_consents(
    tx: &mut Tx,
    patient_id: PatientId,
    by: UserId,
    reason: &str,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let n = write!(tx, |c| {
        sqlx::query(
            "UPDATE care_consents SET withdrawn_at = $2, withdrawn_by = $3, withdrawal_reason = $4 \
             WHERE patient_id = $1 AND withdrawn_at IS NULL",
        )
        .bind(patient_id)
        .bind(now.millis())
        .bind(by)
        .bind(reason)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(n)
}

/// A consent as stored: its coverage is read apart (JSON lists).
#[derive(sqlx::FromRow)]
struct StoredConsent {
    #[sqlx(flatten)]
    consent: Consent,
    covers_orgs: String,
    covers_professions: String,
    covers_family: bool,
}

impl StoredConsent {
    fn into_consent(self) -> Result<Consent, StoreError> {
        let mut consent = self.consent;
        consent.coverage = stored_coverage(
            consent.id,
            &self.covers_orgs,
            &self.covers_professions,
            self.covers_family,
        )?;
        Ok(consent)
    }
}

pub async fn consents(db: &Db, patient_id: PatientId) -> Result<Vec<Consent>, StoreError> {
    let sql = format!("{CONSENT_SELECT} WHERE c.patient_id = $1 ORDER BY c.id DESC");
    let rows: Vec<StoredConsent> = read!(db, |c| {
        sqlx::query_as(&sql).bind(patient_id).fetch_all(c).await?
    });
    rows.into_iter().map(StoredConsent::into_consent).collect()
}

pub async fn consent(db: &Db, id: ConsentId) -> Result<Option<Consent>, StoreError> {
    let sql = format!("{CONSENT_SELECT} WHERE c.id = $1");
    let row: Option<StoredConsent> = read!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?);
    row.map(StoredConsent::into_consent).transpose()
}
