//! FHIR document Bundles a hospital sends (JP-CLINS 診療情報提供書,
//! 退院時サマリー): the structural checks an incoming document must pass
//! before it is attached to a patient, and what its page shows.
//!
//! The checks are R4's document rules (bdl-7, bdl-9, bdl-10, bdl-11,
//! cmp-1) and what Renkei needs to show the document: a Composition with
//! status, type, date, author, title and a subject that is a Patient in
//! the Bundle. Each problem names its place (FHIRPath-like) in Japanese
//! and English, so the sender can fix it.

use renkei_domain::ids::PATIENT_ID_SYSTEM;
use renkei_domain::PatientId;
use serde_json::Value;

/// The largest document accepted (bytes).
pub const MAX_BYTES: usize = 2 * 1024 * 1024;

/// One problem of an incoming document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub ja: String,
    pub en: String,
}

fn problem(path: &str, ja: &str, en: &str) -> Problem {
    Problem {
        path: path.to_string(),
        ja: ja.to_string(),
        en: en.to_string(),
    }
}

/// What Renkei keeps of a document besides the Bundle itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSummary {
    pub title: String,
    pub type_code: String,
    pub type_display: String,
    pub date: String,
    pub authors: Vec<String>,
    /// The patient's name as the document gives it.
    pub patient_name: String,
    /// The patient's Renkei id, when the document's Patient carries it
    /// (`identifier` of system [`PATIENT_ID_SYSTEM`]): a hospital returning
    /// a document about a patient whose sheet Renkei sent it.
    pub renkei_patient: Option<PatientId>,
    /// Each section's title and its narrative as plain text, nested
    /// sections (JP-CLINS's 構造情報) in document order after their parent.
    pub sections: Vec<(String, String)>,
}

/// The text of an XHTML narrative: tags dropped, line breaks kept at
/// block ends, entities decoded for the common ones. The result is shown
/// as text (escaped by the templates), never as HTML.
pub fn narrative_text(div: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    let mut tag = String::new();
    for ch in div.chars() {
        match ch {
            '<' => {
                in_tag = true;
                tag.clear();
            }
            '>' if in_tag => {
                in_tag = false;
                let name = tag
                    .trim_start_matches('/')
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if matches!(
                    name.trim_end_matches('/'),
                    "br" | "p" | "tr" | "li" | "div" | "h1" | "h2" | "h3"
                ) && !out.ends_with('\n')
                    && !out.is_empty()
                {
                    out.push('\n');
                } else if matches!(name.as_str(), "td" | "th")
                    && !out.ends_with([' ', '\n'])
                    && !out.is_empty()
                {
                    out.push(' ');
                }
            }
            _ if in_tag => tag.push(ch),
            _ => out.push(ch),
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .trim()
        .to_string()
}

fn text_of(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Checks an incoming document Bundle; on success, what its page shows.
pub fn check_bundle(bytes: &[u8]) -> Result<(Value, DocumentSummary), Vec<Problem>> {
    if bytes.len() > MAX_BYTES {
        return Err(vec![problem(
            "Bundle",
            "文書が大きすぎます（2MBまで）。",
            "The document is too large (2 MB at most).",
        )]);
    }
    let bundle: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            return Err(vec![Problem {
                path: "Bundle".into(),
                ja: format!("FHIR の JSON として読めません（{}行目）。", e.line()),
                en: format!("Not FHIR JSON: {e}"),
            }])
        }
    };
    let mut p = Vec::new();
    if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        return Err(vec![problem(
            "Bundle.resourceType",
            "resourceType が Bundle ではありません。",
            "resourceType is not Bundle.",
        )]);
    }
    if bundle.get("type").and_then(Value::as_str) != Some("document") {
        p.push(problem(
            "Bundle.type",
            "Bundle.type が document ではありません。",
            "Bundle.type is not document.",
        ));
    }
    let identifier = bundle.get("identifier");
    if identifier.is_none_or(|i| text_of(i, "system").is_empty() || text_of(i, "value").is_empty())
    {
        p.push(problem(
            "Bundle.identifier",
            "文書の識別子（identifier の system と value）がありません（bdl-9）。",
            "A document needs identifier.system and identifier.value (bdl-9).",
        ));
    }
    let timestamp = text_of(&bundle, "timestamp");
    if renkei_domain::Timestamp::parse_moment(&timestamp).is_none() {
        p.push(problem(
            "Bundle.timestamp",
            "文書の作成日時（timestamp）がないか、日時として読めません（bdl-10）。",
            "A document needs a timestamp (bdl-10).",
        ));
    }
    let entries: Vec<&Value> = bundle
        .get("entry")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    if entries.is_empty() {
        p.push(problem(
            "Bundle.entry",
            "entry がありません。",
            "The Bundle has no entry.",
        ));
        return Err(p);
    }
    let mut urls = std::collections::BTreeSet::new();
    for (i, e) in entries.iter().enumerate() {
        let url = text_of(e, "fullUrl");
        if url.is_empty() {
            p.push(problem(
                &format!("Bundle.entry[{i}].fullUrl"),
                "fullUrl がありません。",
                "The entry has no fullUrl.",
            ));
        } else if !urls.insert(url.clone()) {
            p.push(problem(
                &format!("Bundle.entry[{i}].fullUrl"),
                "同じ fullUrl が2回あります（bdl-7）。",
                "The same fullUrl appears twice (bdl-7).",
            ));
        }
        if e.get("resource")
            .and_then(|r| r.get("resourceType"))
            .and_then(Value::as_str)
            .is_none()
        {
            p.push(problem(
                &format!("Bundle.entry[{i}].resource"),
                "resource（resourceType つき）がありません。",
                "The entry has no resource with a resourceType.",
            ));
        }
    }
    let composition = entries[0].get("resource").cloned().unwrap_or(Value::Null);
    if composition.get("resourceType").and_then(Value::as_str) != Some("Composition") {
        p.push(problem(
            "Bundle.entry[0].resource",
            "最初の entry が Composition ではありません（bdl-11）。",
            "The first entry is not a Composition (bdl-11).",
        ));
        return Err(p);
    }
    let c = &composition;
    if !matches!(
        c.get("status").and_then(Value::as_str),
        Some("preliminary" | "final" | "amended" | "entered-in-error")
    ) {
        p.push(problem(
            "Composition.status",
            "status がないか、R4 の値ではありません。",
            "Composition.status is missing or not an R4 code.",
        ));
    }
    let coding = c
        .get("type")
        .and_then(|t| t.get("coding"))
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .cloned()
        .unwrap_or(Value::Null);
    let type_code = text_of(&coding, "code");
    if type_code.is_empty() {
        p.push(problem(
            "Composition.type",
            "文書の種類（type.coding）がありません。",
            "Composition.type has no coding.",
        ));
    }
    let date = text_of(c, "date");
    if renkei_domain::Timestamp::parse_moment(&date).is_none() {
        p.push(problem(
            "Composition.date",
            "作成日時（date）がないか、日時として読めません。",
            "Composition.date is missing or not a dateTime.",
        ));
    }
    let title = text_of(c, "title");
    if title.is_empty() {
        p.push(problem(
            "Composition.title",
            "表題（title）がありません。",
            "Composition.title is missing.",
        ));
    }
    let authors: Vec<String> = c
        .get("author")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|x| {
                    let display = text_of(x, "display");
                    if display.is_empty() {
                        text_of(x, "reference")
                    } else {
                        display
                    }
                })
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if authors.is_empty() {
        p.push(problem(
            "Composition.author",
            "作成者（author）がありません。",
            "Composition.author is missing.",
        ));
    }
    let subject = c
        .get("subject")
        .map(|s| text_of(s, "reference"))
        .unwrap_or_default();
    let patient = entries.iter().find(|e| {
        let url = text_of(e, "fullUrl");
        !subject.is_empty() && (url == subject || url.ends_with(&format!("/{subject}")))
    });
    let patient_name = match patient.and_then(|e| e.get("resource")) {
        Some(r) if r.get("resourceType").and_then(Value::as_str) == Some("Patient") => r
            .get("name")
            .and_then(Value::as_array)
            .and_then(|n| n.first())
            .map(|n| {
                let t = text_of(n, "text");
                if t.is_empty() {
                    let family = text_of(n, "family");
                    let given: Vec<String> = n
                        .get("given")
                        .and_then(Value::as_array)
                        .map(|g| {
                            g.iter()
                                .filter_map(Value::as_str)
                                .map(String::from)
                                .collect()
                        })
                        .unwrap_or_default();
                    format!("{family} {}", given.join(" ")).trim().to_string()
                } else {
                    t
                }
            })
            .unwrap_or_default(),
        _ => {
            p.push(problem(
                "Composition.subject",
                "subject が文書内の Patient を指していません。",
                "Composition.subject does not point at a Patient in the Bundle.",
            ));
            String::new()
        }
    };
    let renkei_patient = patient
        .and_then(|e| e.get("resource"))
        .and_then(|r| r.get("identifier"))
        .and_then(Value::as_array)
        .and_then(|ids| {
            ids.iter()
                .find(|i| text_of(i, "system") == PATIENT_ID_SYSTEM)
                .and_then(|i| text_of(i, "value").parse().ok())
        });
    let mut sections = Vec::new();
    read_sections(c, "Composition", &mut sections, &mut p, 0);
    if !p.is_empty() {
        return Err(p);
    }
    let summary = DocumentSummary {
        title,
        type_code,
        type_display: text_of(&coding, "display"),
        date,
        authors,
        patient_name,
        renkei_patient,
        sections,
    };
    Ok((bundle, summary))
}

/// The sections under `parent` (the Composition or a section), depth
/// first, each checked against cmp-1; deeper than 4 levels is refused.
fn read_sections(
    parent: &Value,
    path: &str,
    out: &mut Vec<(String, String)>,
    p: &mut Vec<Problem>,
    depth: usize,
) {
    let list: Vec<&Value> = parent
        .get("section")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    if depth >= 4 && !list.is_empty() {
        p.push(problem(
            path,
            "セクションの入れ子が深すぎます（4階層まで）。",
            "Sections are nested too deep (4 levels at most).",
        ));
        return;
    }
    for (i, s) in list.into_iter().enumerate() {
        let here = format!("{path}.section[{i}]");
        let div = s.get("text").map(|t| text_of(t, "div")).unwrap_or_default();
        let has_entries = s
            .get("entry")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        let has_sub = s
            .get("section")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        if div.is_empty() && !has_entries && !has_sub {
            p.push(problem(
                &here,
                "セクションに本文・entry・下位セクションのいずれもありません（cmp-1）。",
                "A section needs text, entries or sub-sections (cmp-1).",
            ));
        }
        // A section that only groups others (構造情報) shows no text.
        if !(div.is_empty() && has_sub) {
            out.push((text_of(s, "title"), narrative_text(&div)));
        }
        read_sections(s, &here, out, p, depth + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn good() -> Value {
        json!({
            "resourceType": "Bundle",
            "type": "document",
            "identifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:1b6d0e5e-0000-4000-8000-000000000001"},
            "timestamp": "2026-12-14T10:00:00+09:00",
            "entry": [
                {"fullUrl": "urn:uuid:c", "resource": {
                    "resourceType": "Composition", "status": "final",
                    "type": {"coding": [{"system": "http://loinc.org", "code": "18842-5", "display": "Discharge summary"}]},
                    "subject": {"reference": "urn:uuid:p"},
                    "date": "2026-12-14T10:00:00+09:00",
                    "author": [{"display": "第一市立病院 内科"}],
                    "title": "退院時サマリー",
                    "section": [{"title": "入院中の経過", "text": {"status": "generated",
                        "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>肺炎で入院。</p><p>抗菌薬で改善&amp;退院。<script>x</script></p></div>"}}]
                }},
                {"fullUrl": "urn:uuid:p", "resource": {"resourceType": "Patient", "name": [{"text": "山田 花子"}]}}
            ]
        })
    }

    #[test]
    fn a_good_document_is_summarised() {
        let bytes = serde_json::to_vec(&good()).expect("json");
        let (_, s) = check_bundle(&bytes).expect("valid");
        assert_eq!(s.title, "退院時サマリー");
        assert_eq!(s.type_code, "18842-5");
        assert_eq!(s.patient_name, "山田 花子");
        assert_eq!(s.authors, ["第一市立病院 内科"]);
        assert_eq!(s.sections[0].1, "肺炎で入院。\n抗菌薬で改善&退院。x");
    }

    #[test]
    fn every_problem_is_named_with_its_place() {
        let mut b = good();
        b["type"] = json!("collection");
        b["identifier"] = json!(null);
        b["entry"][0]["resource"]["subject"]["reference"] = json!("urn:uuid:nobody");
        b["entry"][0]["resource"]["section"][0]["text"] = json!(null);
        b["entry"][1]["fullUrl"] = json!("urn:uuid:c");
        let problems = check_bundle(&serde_json::to_vec(&b).expect("json")).expect_err("bad");
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "Bundle.type",
                "Bundle.identifier",
                "Bundle.entry[1].fullUrl",
                "Composition.subject",
                "Composition.section[0]"
            ]
        );
        assert!(check_bundle(b"{not json").is_err());
        let not_first = json!({"resourceType": "Bundle", "type": "document", "entry": [{"fullUrl": "x", "resource": {"resourceType": "Patient"}}]});
        let p = check_bundle(&serde_json::to_vec(&not_first).expect("json")).expect_err("bad");
        assert!(p.iter().any(|x| x.path == "Bundle.entry[0].resource"));
    }
}
