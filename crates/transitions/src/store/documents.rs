//! Documents hospitals sent, attached to patients.

use super::*;
use renkei_store::{read, write};

/// A document as first attached.
pub struct NewDocument<'a> {
    pub region_id: RegionId,
    pub patient_id: PatientId,
    pub summary: &'a crate::documents::DocumentSummary,
    pub authors: &'a str,
    pub sections: &'a str,
    pub bundle: &'a str,
    pub by: UserId,
}

pub async fn insert_document(
    tx: &mut Tx,
    d: &NewDocument<'_>,
    now: Timestamp,
) -> Result<DocumentId, StoreError> {
    let id = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO transitions_documents (region_id, patient_id, title, type_code, type_display, doc_date, \
             authors, sections, bundle, imported_by, imported_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(d.region_id)
        .bind(d.patient_id)
        .bind(&d.summary.title)
        .bind(&d.summary.type_code)
        .bind(&d.summary.type_display)
        .bind(&d.summary.date)
        .bind(d.authors)
        .bind(d.sections)
        .bind(d.bundle)
        .bind(d.by)
        .bind(now.millis())
        .fetch_one(&mut *c)
        .await?
    });
    Ok(id)
}

pub async fn documents_of_patient(
    db: &Db,
    patient: PatientId,
) -> Result<Vec<Document>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
        "SELECT id, patient_id, title, type_code, type_display, doc_date, authors, sections, imported_at \
         FROM transitions_documents WHERE patient_id = $1 ORDER BY imported_at DESC, id DESC"
    )
    .bind(patient)
    .fetch_all(c)
    .await?
    }))
}

/// A document's patient and the Bundle as it was received.
pub async fn document_bundle(
    db: &Db,
    id: DocumentId,
) -> Result<Option<(PatientId, String)>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as("SELECT patient_id, bundle FROM transitions_documents WHERE id = $1")
            .bind(id)
            .fetch_optional(c)
            .await?
    }))
}
