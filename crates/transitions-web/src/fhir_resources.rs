//! The handoff forms in FHIR R4: each saved form is a Composition whose
//! sections are its template's sections (their values as the narrative),
//! and its document Bundle (`type=document`, the Composition first), which
//! follows the JP-CLINS document conventions for 診療情報提供書 and
//! 退院時サマリー where they apply:
//!
//! - a document identifier as a urn:uuid, a timestamp, the LOINC document
//!   type both in LOINC and in JP-CLINS's document-type code system, and
//!   the same code as the category;
//! - the admission sheet's sections as JP-CLINS's referral: 紹介先情報
//!   (910, the hospital), 紹介元情報 (920, the care-management office)
//!   and 構造情報 (300) holding the sheet's own sections;
//! - structured entries beside the narrative: the stay as an Encounter
//!   (入院), the hospital and the office as Organizations, each line of
//!   the diseases as a Condition, of the medicines taken as a
//!   MedicationStatement and of the allergies as an AllergyIntolerance,
//!   each referenced from the section its field is in.
//!
//! The document claims no JP-CLINS profile in `meta.profile`: JP-CLINS
//! requires what a care manager's sheet does not hold (the patient's sex
//! and address, a practitioner author, coded diagnoses), so a claim would
//! be false. The entries carry text, not codes, for the same reason: the
//! shared summary is written in words.

use renkei_domain::transitions::{FormKind, FormStatus};
use renkei_domain::Timestamp;
use renkei_transitions::forms::{Content, Template};
use renkei_transitions::model::{HandoffForm, Stay};
use serde_json::{json, Value};

/// The system of a form's own identifier.
pub const FORM_ID_SYSTEM: &str = "urn:renkei:sid:handoff-form";
/// Renkei's code for the kind of form, beside LOINC's document type.
pub const FORM_KIND_SYSTEM: &str = "urn:renkei:cs:handoff-form";
/// JP-CLINS's document types (文書種別), the LOINC codes with Japanese
/// names.
pub const JP_DOC_TYPE_SYSTEM: &str = "http://jpfhir.jp/fhir/Common/CodeSystem/doc-typecodes";
/// JP-CLINS's section codes of the referral (診療情報提供書).
pub const JP_REFERRAL_SECTION_SYSTEM: &str =
    "http://jpfhir.jp/fhir/eReferral/CodeSystem/document-section";
/// A directory entry's id (the hospital's Organization in a document).
pub const DIRECTORY_ENTRY_SYSTEM: &str = "urn:renkei:sid:directory-entry";
/// Patient ids within one Renkei deployment.
pub use renkei_domain::ids::PATIENT_ID_SYSTEM;

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

/// JP-CLINS's Japanese name of the document type.
fn jp_doc_type(kind: FormKind) -> &'static str {
    match kind {
        FormKind::Admission => "診療情報提供書",
        FormKind::Discharge => "退院時サマリー",
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

/// The resources a document holds besides the Composition and the
/// Patient, each with its fullUrl, and which field each came from (so the
/// section that shows the field references it).
struct Entries {
    encounter: String,
    hospital: String,
    office: Option<String>,
    /// (field key, fullUrl, resource)
    clinical: Vec<(&'static str, String, Value)>,
    resources: Vec<(String, Value)>,
}

/// The items of a free-text list: one a line, and for `by_comma` also
/// split at 「、」「，」「,」 outside brackets (「慢性心不全（NYHA II）、2型糖尿病」
/// is two diseases); bullets and blanks dropped, and "なし" (none) is not
/// an item.
fn items(text: &str, by_comma: bool) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut depth = 0usize;
        let mut current = String::new();
        for ch in line.chars() {
            match ch {
                '（' | '(' | '「' | '【' => depth += 1,
                '）' | ')' | '」' | '】' => depth = depth.saturating_sub(1),
                _ => {}
            }
            if by_comma && depth == 0 && matches!(ch, '、' | '，' | ',') {
                out.push(std::mem::take(&mut current));
            } else {
                current.push(ch);
            }
        }
        out.push(current);
    }
    out.into_iter()
        .map(|l| {
            l.trim()
                .trim_start_matches(['・', '-', '*', '●', '○'])
                .trim()
                .to_string()
        })
        .filter(|l| !l.is_empty() && !matches!(l.as_str(), "なし" | "特になし" | "無" | "無し"))
        .collect()
}

/// The stay as the Encounter of the document: an inpatient stay (IMP) at
/// the hospital, from the admission to the discharge when it is known.
fn encounter(stay: &Stay, patient: &str, hospital: &str) -> Value {
    let mut period = json!({"start": Timestamp(stay.admitted_at).to_rfc3339()});
    if let Some(d) = stay
        .discharged_on
        .as_deref()
        .filter(|d| renkei_domain::transitions::parse_date(d).is_some())
    {
        period["end"] = json!(d);
    }
    json!({
        "resourceType": "Encounter",
        "identifier": [{"system": "urn:renkei:sid:stay", "value": stay.id.to_string()}],
        "status": if stay.discharged_on.is_some() { "finished" } else { "in-progress" },
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "IMP",
            "display": "inpatient encounter",
        },
        "subject": {"reference": patient},
        "period": period,
        "serviceProvider": {"reference": hospital, "display": stay.hospital_name},
    })
}

/// The structured entries of a form's content (see the module's notes):
/// only of fields the form's sheet holds, so each is in a section.
fn entries(
    stay: &Stay,
    form: &HandoffForm,
    template: &Template,
    content: &Content,
    patient: &str,
) -> Entries {
    let url = |part: u16| uuid(stay, form.kind, part);
    let on_sheet = |key: &str| {
        template
            .sections
            .iter()
            .any(|s| s.fields.iter().any(|f| f == key))
    };
    let text_of = |key: &str| -> &str {
        match content.get(key) {
            Some(v) if on_sheet(key) => v.as_str(),
            _ => "",
        }
    };
    let encounter_url = url(4);
    let hospital_url = url(5);
    let mut resources = vec![
        (
            encounter_url.clone(),
            encounter(stay, patient, &hospital_url),
        ),
        (
            hospital_url.clone(),
            json!({
                "resourceType": "Organization",
                "identifier": [{"system": DIRECTORY_ENTRY_SYSTEM, "value": stay.hospital_entry_id.to_string()}],
                "type": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                    "code": "prov",
                    "display": "Healthcare Provider",
                }]}],
                "name": stay.hospital_name,
            }),
        ),
    ];
    let office_name = content
        .get("office")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty());
    let office = match (form.kind, office_name) {
        (FormKind::Admission, Some(name)) => {
            let office_url = url(6);
            let mut org = json!({"resourceType": "Organization", "name": name});
            let telecom: Vec<Value> = [("office_tel", "phone"), ("office_fax", "fax")]
                .iter()
                .filter_map(|(k, system)| {
                    content
                        .get(*k)
                        .filter(|v| !v.trim().is_empty())
                        .map(|v| json!({"system": system, "value": v.trim(), "use": "work"}))
                })
                .collect();
            if !telecom.is_empty() {
                org["telecom"] = json!(telecom);
            }
            resources.push((office_url.clone(), org));
            Some(office_url)
        }
        _ => None,
    };
    let mut clinical = Vec::new();
    let mut part: u16 = 100;
    let mut next = || {
        part += 1;
        url(part)
    };
    let condition = |text: &str, category: Option<&str>, active: bool| {
        let mut c = json!({
            "resourceType": "Condition",
            "code": {"text": text},
            "subject": {"reference": patient},
        });
        if let Some(category) = category {
            c["category"] = json!([{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                "code": category,
            }]}]);
            c["encounter"] = json!({"reference": encounter_url});
        }
        if active {
            c["clinicalStatus"] = json!({"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                "code": "active",
            }]});
        }
        c
    };
    match form.kind {
        FormKind::Admission => {
            // 疾患歴: the diseases as the shared summary or the care
            // manager gives them, current or past (no status is claimed).
            for d in items(text_of("diseases"), true) {
                clinical.push(("diseases", next(), condition(&d, None, false)));
            }
            for m in items(text_of("medicines_taken"), false) {
                clinical.push((
                    "medicines_taken",
                    next(),
                    json!({
                        "resourceType": "MedicationStatement",
                        "status": "active",
                        "medicationCodeableConcept": {"text": m},
                        "subject": {"reference": patient},
                    }),
                ));
            }
            for a in items(text_of("allergies"), true) {
                clinical.push((
                    "allergies",
                    next(),
                    json!({
                        "resourceType": "AllergyIntolerance",
                        "clinicalStatus": {"coding": [{
                            "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                            "code": "active",
                        }]},
                        "code": {"text": a},
                        "patient": {"reference": patient},
                    }),
                ));
            }
        }
        FormKind::Discharge => {
            // 入院原因疾患: the stay's diagnosis; 現在治療中の疾患: active.
            for d in items(text_of("cause"), true) {
                clinical.push((
                    "cause",
                    next(),
                    condition(&d, Some("encounter-diagnosis"), false),
                ));
            }
            for d in items(text_of("diseases_current"), true) {
                clinical.push((
                    "diseases_current",
                    next(),
                    condition(&d, Some("problem-list-item"), true),
                ));
            }
        }
    }
    Entries {
        encounter: encounter_url,
        hospital: hospital_url,
        office,
        clinical,
        resources,
    }
}

fn reference(url: &str, resource: &Value) -> Value {
    json!({"reference": url, "type": resource["resourceType"]})
}

/// The Composition of a saved form. `subject` is how it names the patient
/// (`Patient/{id}` standalone, the Patient entry's urn:uuid in a
/// document); in a document, `entries` are the resources its sections
/// and header reference.
fn composition_with(
    stay: &Stay,
    form: &HandoffForm,
    template: &Template,
    subject: &str,
    entries: Option<&Entries>,
) -> Value {
    let content: Content = form.content();
    let (code, display) = loinc(form.kind);
    let sheet_sections: Vec<Value> = template
        .layout()
        .into_iter()
        .map(|(title, fields)| {
            let filled: Vec<(&str, String)> = fields
                .iter()
                .filter_map(|f| content.get(f.key).map(|v| (f.ja, v.clone())))
                .collect();
            let mut section = json!({
                "title": title,
                "text": {"status": "generated", "div": narrative(&filled)},
            });
            if let Some(e) = entries {
                let refs: Vec<Value> = e
                    .clinical
                    .iter()
                    .filter(|(key, _, _)| fields.iter().any(|f| f.key == *key))
                    .map(|(_, url, r)| reference(url, r))
                    .collect();
                if !refs.is_empty() {
                    section["entry"] = json!(refs);
                }
            }
            section
        })
        .collect();
    let author_name = if form.kind == FormKind::Admission {
        content
            .get("office")
            .or_else(|| content.get("care_manager"))
            .cloned()
            .unwrap_or_else(|| "居宅介護支援事業所".to_string())
    } else {
        stay.hospital_name.clone()
    };
    let type_code = json!({
        "coding": [
            {"system": "http://loinc.org", "code": code, "display": display},
            {"system": JP_DOC_TYPE_SYSTEM, "code": code, "display": jp_doc_type(form.kind)},
            {"system": FORM_KIND_SYSTEM, "code": form.kind.code(), "display": form.kind.label_ja()},
        ],
        "text": form.kind.label_ja(),
    });
    let mut author = json!({"display": author_name});
    let sections = match (form.kind, entries) {
        // JP-CLINS's referral: to (910), from (920), and the content
        // under 構造情報 (300).
        (FormKind::Admission, Some(e)) => {
            let section_code = |code: &str, display: &str| json!({"coding": [{"system": JP_REFERRAL_SECTION_SYSTEM, "code": code, "display": display}]});
            let mut to = json!({
                "title": "紹介先情報",
                "code": section_code("910", "紹介先情報セクション"),
                "text": {"status": "generated", "div": narrative(&[("医療機関", stay.hospital_name.clone())])},
                "entry": [{"reference": e.hospital, "type": "Organization"}],
            });
            if !stay.ward.trim().is_empty() {
                to["text"]["div"] = json!(narrative(&[
                    ("医療機関", stay.hospital_name.clone()),
                    ("病棟", stay.ward.clone()),
                ]));
            }
            let mut from = json!({
                "title": "紹介元情報",
                "code": section_code("920", "紹介元情報セクション"),
                "text": {"status": "generated", "div": narrative(&[("居宅介護支援事業所", author_name.clone())])},
            });
            if let Some(office) = &e.office {
                from["entry"] = json!([{"reference": office, "type": "Organization"}]);
                author =
                    json!({"reference": office, "type": "Organization", "display": author_name});
            }
            vec![
                to,
                from,
                json!({
                    "title": "構造情報",
                    "code": section_code("300", "構造情報セクション"),
                    "section": sheet_sections,
                }),
            ]
        }
        (FormKind::Discharge, Some(e)) => {
            author =
                json!({"reference": e.hospital, "type": "Organization", "display": author_name});
            sheet_sections
        }
        (_, None) => sheet_sections,
    };
    let mut composition = json!({
        "resourceType": "Composition",
        "id": composition_id(stay, form.kind),
        "meta": {"lastUpdated": Timestamp(form.updated_at).to_rfc3339()},
        "identifier": {"system": FORM_ID_SYSTEM, "value": form.id.to_string()},
        "status": if form.status == FormStatus::Draft { "preliminary" } else { "final" },
        "type": type_code,
        "category": [{"coding": [{"system": JP_DOC_TYPE_SYSTEM, "code": code, "display": jp_doc_type(form.kind)}]}],
        "subject": {"reference": subject, "display": stay.patient_name},
        "date": Timestamp(form.updated_at).to_rfc3339(),
        "author": [author],
        "title": form.kind.label_ja(),
        "section": sections,
    });
    if let Some(e) = entries {
        composition["encounter"] = json!({"reference": e.encounter, "type": "Encounter"});
        composition["custodian"] = match (&e.office, form.kind) {
            (Some(office), FormKind::Admission) => {
                json!({"reference": office, "type": "Organization"})
            }
            _ => json!({"reference": e.hospital, "type": "Organization"}),
        };
        composition["event"] = json!([{
            "code": [{"text": format!("{}の作成", form.kind.label_ja())}],
            "period": {"start": Timestamp(stay.admitted_at).to_rfc3339()},
        }]);
    }
    composition
}

/// The Composition of a saved form read on its own (`Composition/{id}`):
/// the sections' narratives, with no references into a document.
pub fn composition(stay: &Stay, form: &HandoffForm, template: &Template, subject: &str) -> Value {
    composition_with(stay, form, template, subject, None)
}

/// The document Bundle of a saved form: the Composition, the Patient as
/// the stay knows it (name, reading, birth date, Renkei's id), and the
/// structured entries (see the module's notes).
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
    let content = form.content();
    let e = entries(stay, form, template, &content, &patient_url);
    let mut entry = vec![
        json!({"fullUrl": composition_url, "resource": composition_with(stay, form, template, &patient_url, Some(&e))}),
        json!({"fullUrl": patient_url, "resource": patient}),
    ];
    for (url, resource) in e.resources.iter() {
        entry.push(json!({"fullUrl": url, "resource": resource}));
    }
    for (_, url, resource) in e.clinical.iter() {
        entry.push(json!({"fullUrl": url, "resource": resource}));
    }
    json!({
        "resourceType": "Bundle",
        "id": format!("{}-document", composition_id(stay, form.kind)),
        "meta": {"lastUpdated": Timestamp(form.updated_at).to_rfc3339()},
        "identifier": {"system": "urn:ietf:rfc:3986", "value": uuid(stay, form.kind, 3)},
        "type": "document",
        "timestamp": Timestamp(form.updated_at).to_rfc3339(),
        "entry": entry,
    })
}

#[cfg(test)]
mod tests {
    use super::items;

    #[test]
    fn lists_split_by_line_and_by_comma_outside_brackets() {
        assert_eq!(
            items(
                "慢性心不全（NYHA II、軽度）、2型糖尿病\n・変形性膝関節症\nなし",
                true
            ),
            ["慢性心不全（NYHA II、軽度）", "2型糖尿病", "変形性膝関節症"]
        );
        // Medicines are one a line: a comma is part of the dose.
        assert_eq!(
            items("フロセミド錠20mg 1錠, 朝\n\n", false),
            ["フロセミド錠20mg 1錠, 朝"]
        );
        assert!(items("特になし", true).is_empty());
    }
}
