//! Documents a hospital sends as FHIR document Bundles (JP-CLINS
//! 診療情報提供書, 退院時サマリー): checked for their structure and attached
//! to the patient by the team, and listed for the team.

use super::*;
use crate::documents::check_bundle;
use crate::model::Document;

/// LOINC 18842-5 Discharge summary: the Composition.type of a JP-CLINS
/// 退院時サマリー.
const DISCHARGE_SUMMARY_LOINC: &str = "18842-5";

/// The structural checks, each problem as a field error at its place.
fn checked(
    bytes: &[u8],
) -> Result<(serde_json::Value, crate::documents::DocumentSummary), TransitionsError> {
    check_bundle(bytes).map_err(|problems| {
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
    })
}

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
        let (bundle, summary) = checked(bytes)?;
        self.attach(
            p,
            ctx,
            patient.region_id,
            patient_id,
            None,
            &bundle,
            &summary,
            now,
        )
        .await
    }

    /// A document posted to the FHIR API (`POST /fhir/Bundle`): the
    /// patient is the one its Patient names by Renkei's id (as Renkei's
    /// own documents carry it, so a hospital answers the sheet it was
    /// sent with its discharge summary). The patient's team may attach
    /// it, and so may the staff of a hospital the patient stayed in, for
    /// that hospital's stays. Anyone else learns only that the patient is
    /// not found (the refusal is audited by care).
    pub async fn import_fhir_document(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<(PatientId, renkei_domain::DocumentId), TransitionsError> {
        let (bundle, summary) = checked(bytes)?;
        let Some(patient_id) = summary.renkei_patient else {
            return Err(invalid(
                "Patient.identifier",
                "patient",
                "文書の Patient に Renkei の患者ID（identifier.system = urn:renkei:sid:patient）がありません。Renkei から送られた文書の患者IDを付けてください。",
                "The document's Patient has no Renkei patient id (identifier.system = urn:renkei:sid:patient); give the id of the document Renkei sent.",
            ));
        };
        let (region, hospital_stays) = match self.require_team_writer(p, ctx, patient_id, now).await
        {
            Ok(patient) => (patient.region_id, None),
            Err(TransitionsError::Forbidden | TransitionsError::NotFound) => {
                let mine: Vec<Stay> = store::stays_of_patient(&self.db, patient_id)
                    .await?
                    .into_iter()
                    .filter(|s| {
                        professional(p) && s.hospital_org_id.is_some_and(|o| p.org_ids.contains(&o))
                    })
                    .collect();
                let Some(first) = mine.first() else {
                    return Err(TransitionsError::NotFound);
                };
                (
                    first.region_id,
                    Some(mine.iter().map(|s| s.id).collect::<Vec<_>>()),
                )
            }
            Err(e) => return Err(e),
        };
        let id = self
            .attach(
                p,
                ctx,
                region,
                patient_id,
                hospital_stays.as_deref(),
                &bundle,
                &summary,
                now,
            )
            .await?;
        Ok((patient_id, id))
    }

    /// A document as received, for the patient's team (the FHIR API's
    /// `Bundle/{id}`). Audited.
    pub async fn document_bundle(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: renkei_domain::DocumentId,
        now: Timestamp,
    ) -> Result<String, TransitionsError> {
        let (patient_id, bundle) = store::document_bundle(&self.db, id)
            .await?
            .ok_or(TransitionsError::NotFound)?;
        self.require_team_writer(p, ctx, patient_id, now)
            .await
            .map_err(|_| TransitionsError::NotFound)?;
        self.audit(vec![audit_entry(
            p,
            ctx,
            "document.read",
            "document",
            id,
            Some(patient_id),
        )])
        .await?;
        Ok(bundle)
    }

    /// Keeps a checked document. A discharge summary (退院時サマリー)
    /// records the return of the summary a stay asked for (of `stays`
    /// only, when given: a hospital answers for its own stays).
    #[allow(clippy::too_many_arguments)]
    async fn attach(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        region_id: RegionId,
        patient_id: PatientId,
        stays: Option<&[StayId]>,
        bundle: &serde_json::Value,
        summary: &crate::documents::DocumentSummary,
        now: Timestamp,
    ) -> Result<renkei_domain::DocumentId, TransitionsError> {
        let sections = json(&summary.sections)?;
        let bundle = json(bundle)?;
        let authors = summary.authors.join("\n");
        let mut tx = self.db.begin().await?;
        let id = store::insert_document(
            &mut tx,
            &store::NewDocument {
                region_id,
                patient_id,
                summary,
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
        if summary.type_code == DISCHARGE_SUMMARY_LOINC {
            let awaiting = store::stays_of_patient(&self.db, patient_id)
                .await?
                .into_iter()
                .filter(|s| stays.is_none_or(|mine| mine.contains(&s.id)))
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
