//! FHIR R4 endpoints of transitions: the handoff forms as Compositions
//! (read, and search by patient for the team) and as documents
//! (`Composition/{id}/$document`, a `type=document` Bundle). Every read
//! goes through the transitions service: the patient's care team, or the
//! hospital the form was sent to, and every read is audited.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use renkei_domain::transitions::FormKind;
use renkei_domain::{PatientId, StayId, Timestamp, ValidationErrors};
use renkei_interop::{FhirResource, SearchParam};

use crate::fhir_resources as fhir;
use crate::TransitionsState;
use renkei_web_kit::auth::Ctx;
use renkei_web_kit::fhir::{fhir_json, Search};
use renkei_web_kit::{CurrentUser, WebError};

/// Composition: the saved handoff forms (入院時情報提供書, 退院・退所情報記録書).
pub const COMPOSITION: FhirResource = FhirResource {
    kind: "Composition",
    interactions: &["read", "search-type"],
    profile: None,
    search: &[SearchParam {
        name: "patient",
        kind: "reference",
        documentation: "required: Patient/123 or 123 (the patient's care team only)",
    }],
    documentation: Some(
        "The patient's care team, or the hospital a form was sent to; \
         Composition/{id}/$document answers the form as a document Bundle. Every read is audited.",
    ),
};

/// `{stay}-{kind}` as the stay and the form kind.
fn composition_key(id: &str) -> Result<(StayId, FormKind), WebError> {
    let (stay, kind) = id.split_once('-').ok_or(WebError::NotFound)?;
    let stay: StayId = stay.parse().map_err(|_| WebError::NotFound)?;
    let kind = FormKind::from_code(kind).ok_or(WebError::NotFound)?;
    Ok((stay, kind))
}

fn base(state: &TransitionsState) -> String {
    state.config.public_url.clone()
}

/// A saved form the user may read, or 404 (an unsaved draft is not a
/// Composition yet).
async fn saved_form(
    state: &TransitionsState,
    p: &renkei_identity::Principal,
    rc: &renkei_identity::RequestContext,
    id: &str,
) -> Result<renkei_transitions::model::FormView, WebError> {
    let (stay, kind) = composition_key(id)?;
    let v = state
        .transitions
        .form(p, rc, stay, kind, Timestamp::now())
        .await?;
    if v.form.id.0 == 0 {
        return Err(WebError::NotFound);
    }
    Ok(v)
}

pub async fn read_composition(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let v = saved_form(&state, &p, &rc, &id).await?;
    let subject = format!("Patient/{}", v.stay.patient_id);
    Ok(fhir_json(
        StatusCode::OK,
        fhir::composition(&v.stay, &v.form, &v.template, &subject),
    ))
}

pub async fn document(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let v = saved_form(&state, &p, &rc, &id).await?;
    Ok(fhir_json(
        StatusCode::OK,
        fhir::document(&v.stay, &v.form, &v.template),
    ))
}

pub async fn search_composition(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let search = Search::parse(&COMPOSITION, raw.as_deref(), &headers)?;
    let raw_patient = search.get("patient");
    let patient: PatientId = raw_patient
        .strip_prefix("Patient/")
        .unwrap_or(raw_patient)
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
        })?;
    // Not the user's patient answers as a patient that does not exist: an
    // empty Bundle (the service has audited the refusal).
    let forms = match state
        .transitions
        .saved_forms_of_patient(&p, &rc, patient, Timestamp::now())
        .await
    {
        Ok(f) => f,
        Err(renkei_transitions::TransitionsError::NotFound)
        | Err(renkei_transitions::TransitionsError::Forbidden) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let base = base(&state);
    Ok(search.bundle_all(&base, forms, |(stay, form, template)| {
        let subject = format!("Patient/{}", stay.patient_id);
        fhir::composition(&stay, &form, &template, &subject)
    }))
}

/// Bundle: documents received (JP-CLINS 診療情報提供書, 退院時サマリー),
/// attached to the patient their Patient names by Renkei's id.
pub const BUNDLE: FhirResource = FhirResource {
    kind: "Bundle",
    interactions: &["read", "create"],
    search: &[],
    profile: None,
    documentation: Some(
        "POST a document Bundle (type=document) whose Patient carries Renkei's patient id \
         (identifier.system urn:renkei:sid:patient, as Renkei's own documents do): the patient's \
         care team, or the staff of a hospital the patient stayed in, attach it to the patient; a \
         discharge summary (LOINC 18842-5) records the summary's return. Problems come back as an \
         OperationOutcome with one issue per place. Bundle/{id} reads a received document (the team).",
    ),
};

/// `POST /fhir/Bundle`: a document is checked and attached; 201 with an
/// OperationOutcome that says where it went, and the Location of the
/// Bundle as received.
pub async fn create_bundle(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let (patient, id) = state
        .transitions
        .import_fhir_document(&p, &rc, &body, Timestamp::now())
        .await?;
    let mut r = fhir_json(
        StatusCode::CREATED,
        serde_json::json!({
            "resourceType": "OperationOutcome",
            "issue": [{
                "severity": "information",
                "code": "informational",
                "diagnostics": format!(
                    "文書を患者 {patient} に添付しました（文書番号 {id}）。 Attached to patient {patient} as document {id}."
                ),
            }],
        }),
    );
    if let Ok(v) = axum::http::HeaderValue::from_str(&format!("{}/fhir/Bundle/{id}", base(&state)))
    {
        r.headers_mut().insert(axum::http::header::LOCATION, v);
    }
    Ok(r)
}

/// `GET /fhir/Bundle/{id}`: a received document as it came.
pub async fn read_bundle(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<renkei_domain::DocumentId>,
) -> Result<Response, WebError> {
    let bundle = state
        .transitions
        .document_bundle(&p, &rc, id, Timestamp::now())
        .await?;
    let mut value: serde_json::Value =
        serde_json::from_str(&bundle).map_err(|e| WebError::Internal(e.to_string()))?;
    // The id under which Renkei keeps it.
    value["id"] = serde_json::json!(id.to_string());
    Ok(fhir_json(StatusCode::OK, value))
}
