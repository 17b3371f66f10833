//! The handoff forms in FHIR R4: each saved form is a Composition whose
//! sections are its template's sections (their values as the narrative),
//! and its document Bundle (`type=document`, the Composition first, then
//! the Patient it is about), following the JP-CLINS document conventions
//! for 診療情報提供書 and 退院時サマリー where they apply: a document
//! identifier as a urn:uuid, a timestamp, LOINC document types.

use renkei_domain::transitions::{FormKind, FormStatus};
use renkei_domain::Timestamp;
use renkei_transitions::forms::{Content, Template};
use renkei_transitions::model::{HandoffForm, Stay};
use serde_json::{json, Value};

/// The system of a form's own identifier.
pub const FORM_ID_SYSTEM: &str = "urn:renkei:sid:handoff-form";
/// Renkei's code for the kind of form, beside LOINC's document type.
pub const FORM_KIND_SYSTEM: &str = "urn:renkei:cs:handoff-form";
/// The patient's id (the same system as care's Patient).
pub const PATIENT_ID_SYSTEM: &str = "urn:renkei:sid:patient";

/// The Composition's id: the stay and the kind ("12-admission").
pub fn composition_id(stay: &Stay, kind: FormKind) -> String {
    format!("{}-{}", stay.id, kind.code())
}

/// LOINC's document type: 57133-1 Referral note for the admission sheet
/// (as JP-CLINS's 診療情報提供書), 18842-5 Discharge summary for the
/// discharge record (as its 退院時サマリー).
fn loinc(kind: FormKind) -> (&'static str, &'static str) {
    match kind {
        FormKind::Admission => ("57133-1", "Referral note"),
        FormKind::Discharge => ("18842-5", "Discharge summary"),
    }
}

/// A urn:uuid that is the same for the same stay, kind and part.
fn uuid(stay: &Stay, kind: FormKind, part: u16) -> String {
    let k = match kind {
        FormKind::Admission => 1,
        FormKind::Discharge => 2,
    };
    format!(
        "urn:uuid:{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        stay.id.0 as u32,
        part,
        k,
        (stay.patient_id.0 as u64 & 0xfff),
        stay.created_at as u64 & 0xffff_ffff_ffff
    )
}

use renkei_domain::text::xml_escape as escape;

/// One section's narrative: its filled fields as a table.
fn narrative(fields: &[(&str, String)]) -> String {
    let rows: String = fields
        .iter()
        .map(|(label, value)| {
            format!(
                "<tr><th>{}</th><td>{}</td></tr>",
                escape(label),
                escape(value).replace('\n', "<br/>")
            )
        })
        .collect();
    if rows.is_empty() {
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>記載なし</p></div>".to_string()
    } else {
        format!("<div xmlns=\"http://www.w3.org/1999/xhtml\"><table>{rows}</table></div>")
    }
}

/// The Composition of a saved form. `subject` is how it names the patient
/// (`Patient/{id}` standalone, the Patient entry's urn:uuid in a document).
pub fn composition(stay: &Stay, form: &HandoffForm, template: &Template, subject: &str) -> Value {
    let content: Content = form.content();
    let (code, display) = loinc(form.kind);
    let sections: Vec<Value> = template
        .layout()
        .into_iter()
        .map(|(title, fields)| {
            let filled: Vec<(&str, String)> = fields
                .iter()
                .filter_map(|f| content.get(f.key).map(|v| (f.ja, v.clone())))
                .collect();
            json!({
                "title": title,
                "text": {"status": "generated", "div": narrative(&filled)},
            })
        })
        .collect();
    let author = if form.kind == FormKind::Admission {
        content
            .get("office")
            .or_else(|| content.get("care_manager"))
            .cloned()
            .unwrap_or_else(|| "居宅介護支援事業所".to_string())
    } else {
        stay.hospital_name.clone()
    };
    json!({
        "resourceType": "Composition",
        "id": composition_id(stay, form.kind),
        "meta": {"lastUpdated": Timestamp(form.updated_at).to_rfc3339()},
        "identifier": {"system": FORM_ID_SYSTEM, "value": form.id.to_string()},
        "status": if form.status == FormStatus::Draft { "preliminary" } else { "final" },
        "type": {
            "coding": [
                {"system": "http://loinc.org", "code": code, "display": display},
                {"system": FORM_KIND_SYSTEM, "code": form.kind.code(), "display": form.kind.label_ja()},
            ],
            "text": form.kind.label_ja(),
        },
        "subject": {"reference": subject, "display": stay.patient_name},
        "date": Timestamp(form.updated_at).to_rfc3339(),
        "author": [{"display": author}],
        "title": form.kind.label_ja(),
        "section": sections,
    })
}

/// The document Bundle of a saved form: the Composition, then the Patient
/// as the stay knows it (name, reading, birth date, Renkei's id).
pub fn document(stay: &Stay, form: &HandoffForm, template: &Template) -> Value {
    let patient_url = uuid(stay, form.kind, 2);
    let composition_url = uuid(stay, form.kind, 1);
    // JP Core's names: kanji (IDE) and, when known, the reading in
    // full-width katakana (SYL).
    let mut names = vec![renkei_interop::human_name(&stay.patient_name, "IDE")];
    if !stay.patient_kana.is_empty() {
        names.push(renkei_interop::human_name(
            &renkei_domain::text::katakana_name(&stay.patient_kana),
            "SYL",
        ));
    }
    let mut patient = json!({
        "resourceType": "Patient",
        "identifier": [{"system": PATIENT_ID_SYSTEM, "value": stay.patient_id.to_string()}],
        "name": names,
    });
    if renkei_domain::transitions::parse_date(&stay.patient_birth_date).is_some() {
        patient["birthDate"] = json!(stay.patient_birth_date);
    }
    json!({
        "resourceType": "Bundle",
        "id": format!("{}-document", composition_id(stay, form.kind)),
        "meta": {"lastUpdated": Timestamp(form.updated_at).to_rfc3339()},
        "identifier": {"system": "urn:ietf:rfc:3986", "value": uuid(stay, form.kind, 3)},
        "type": "document",
        "timestamp": Timestamp(form.updated_at).to_rfc3339(),
        "entry": [
            {"fullUrl": composition_url, "resource": composition(stay, form, template, &patient_url)},
            {"fullUrl": patient_url, "resource": patient},
        ],
    })
}
