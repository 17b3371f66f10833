//! FHIR R4 endpoints of emergency: a team patient's emergency record and
//! ACP versions as DocumentReferences (read, and search by patient), for
//! the team members who read the record; every read is audited by the
//! service. The mapping and why it is DocumentReference are in
//! [`crate::fhir_resources`] and docs/fhir.md.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use renkei_domain::{PatientId, Timestamp, ValidationErrors};
use renkei_interop::{FhirResource, SearchParam};

use crate::fhir_resources as fhir;
use crate::EmergencyState;
use renkei_web_kit::auth::Ctx;
use renkei_web_kit::fhir::{fhir_json, Search};
use renkei_web_kit::{CurrentUser, WebError};

/// DocumentReference: the emergency record (LOINC 60591-5) and each ACP
/// version (LOINC 42348-3) of a team patient.
pub const DOCUMENT_REFERENCE: FhirResource = FhirResource {
    kind: "DocumentReference",
    interactions: &["read", "search-type"],
    profile: None,
    search: &[SearchParam {
        name: "patient",
        kind: "reference",
        documentation: "required: Patient/123 or 123 (the patient's care team only)",
    }],
    documentation: Some(
        "A team patient's emergency information (緊急時情報, LOINC 60591-5) and every version of \
         their ACP record (人生会議, LOINC 42348-3; the newest current, the others superseded, \
         linked by relatesTo replaces), as Japanese text attachments. The team members who read \
         the record; every read is audited.",
    ),
};

fn patient_of(raw: &str) -> Result<PatientId, WebError> {
    raw.strip_prefix("Patient/")
        .unwrap_or(raw)
        .parse()
        .map_err(|_| {
            let mut e = ValidationErrors::new();
            e.add(
                "patient",
                "required",
                "patient（患者ID）を指定してください。",
                "Give the patient search parameter (Patient/123 or 123).",
            );
            WebError::Validation(e)
        })
}

fn base(state: &EmergencyState) -> String {
    state.config.public_url.clone()
}

/// The patient's documents, or none when the user is not of the team
/// (as for a patient that does not exist; the service audited it).
async fn documents(
    state: &EmergencyState,
    p: &renkei_identity::Principal,
    rc: &renkei_identity::RequestContext,
    patient: PatientId,
) -> Result<Vec<(String, serde_json::Value)>, WebError> {
    match state
        .emergency
        .documents_of_patient(p, rc, patient, Timestamp::now())
        .await
    {
        Ok((record, versions)) => Ok(fhir::documents(&record, &versions)),
        Err(renkei_emergency::EmergencyError::NotFound)
        | Err(renkei_emergency::EmergencyError::Forbidden) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

pub async fn search_document_reference(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let search = Search::parse(&DOCUMENT_REFERENCE, raw.as_deref(), &headers)?;
    let patient = patient_of(search.get("patient"))?;
    let docs = documents(&state, &p, &rc, patient).await?;
    Ok(search.bundle_all(&base(&state), docs, |(_, doc)| doc))
}

/// `emergency-{record}` or `acp-{version}`: found through the record's
/// patient, so the same rule and audit apply as to the search.
pub async fn read_document_reference(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let patient = state
        .emergency
        .patient_of_document(&id)
        .await?
        .ok_or(WebError::NotFound)?;
    let doc = documents(&state, &p, &rc, patient)
        .await?
        .into_iter()
        .find(|(key, _)| *key == id)
        .map(|(_, doc)| doc)
        .ok_or(WebError::NotFound)?;
    Ok(fhir_json(StatusCode::OK, doc))
}
