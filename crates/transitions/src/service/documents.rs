//! Documents a hospital sends as FHIR document Bundles (JP-CLINS
//! 診療情報提供書, 退院時サマリー): checked for their structure and attached
//! to the patient by the team, and listed for the team.

use super::*;
use crate::documents::check_bundle;
use crate::model::Document;

/// LOINC 18842-5 Discharge summary: the Composition.type of a JP-CLINS
/// 退院時サマリー.
const DISCHARGE_SUMMARY_LOINC: &str = "18842-5";

impl Transitions {
    /// Attaches a document Bundle to the patient. A Bundle that fails the
    /// structural checks is refused with every problem and its place; the
    /// Bundle is kept as received.
    pub async fn import_document(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<renkei_domain::DocumentId, TransitionsError> {
        let patient = self.require_team_writer(p, ctx, patient_id, now).await?;
        let (bundle, summary) = check_bundle(bytes).map_err(|problems| {
            let mut e = ValidationErrors::new();
            for pr in problems {
                e.add(
                    &pr.path,
                    "document",
                    &format!("{}: {}", pr.path, pr.ja),
                    &format!("{}: {}", pr.path, pr.en),
                );
            }
            TransitionsError::Validation(e)
        })?;
        let sections = json(&summary.sections)?;
        let bundle = json(&bundle)?;
        let authors = summary.authors.join("\n");
        let mut tx = self.db.begin().await?;
        let id = store::insert_document(
            &mut tx,
            &store::NewDocument {
                region_id: patient.region_id,
                patient_id,
                summary: &summary,
                authors: &authors,
                sections: &sections,
                bundle: &bundle,
                by: p.user_id,
            },
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "document.import", "document", id, Some(patient_id)),
        )
        .await?;
        // A discharge summary (退院時サマリー) is the one a stay asked for:
        // its return is recorded with the document attached.
        if summary.type_code == DISCHARGE_SUMMARY_LOINC {
            let awaiting = store::stays_of_patient(&self.db, patient_id)
                .await?
                .into_iter()
                .find(|s| s.summary_requested_at.is_some() && s.summary_returned_on.is_none());
            if let Some(stay) = awaiting {
                store::summary_returned(
                    &mut tx,
                    stay.id,
                    &format_date(now.jst_date()),
                    &format!("FHIR文書「{}」として添付（文書番号 {id}）", summary.title),
                    now,
                )
                .await?;
                audit::append(
                    &mut tx,
                    &audit_entry(
                        p,
                        ctx,
                        "stay.summary_returned",
                        "stay",
                        stay.id,
                        Some(patient_id),
                    ),
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(id)
    }

    /// The documents attached to a patient, for the team. Audited.
    pub async fn documents_of_patient(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        now: Timestamp,
    ) -> Result<Vec<Document>, TransitionsError> {
        self.require_team_writer(p, ctx, patient_id, now).await?;
        let docs = store::documents_of_patient(&self.db, patient_id).await?;
        self.audit(vec![audit_entry(
            p,
            ctx,
            "documents.list",
            "patient",
            patient_id,
            Some(patient_id),
        )])
        .await?;
        Ok(docs)
    }

    /// Whether the user may attach documents to the patient (asked before
    /// an upload is read, so a refused user learns nothing from it).
    pub async fn may_attach_documents(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        patient_id: PatientId,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        self.require_team_writer(p, ctx, patient_id, now).await?;
        Ok(())
    }
}
