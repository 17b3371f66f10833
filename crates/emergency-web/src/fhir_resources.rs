//! Emergency's FHIR R4 mapping: a team patient's emergency record (緊急時
//! 情報) and each version of their ACP record (人生会議) as a
//! DocumentReference whose attachment is the text in Japanese.
//!
//! Why DocumentReference and not Consent: FHIR's Consent with scope `adr`
//! (advance directive) fits an ACP, but `/fhir/Consent` already answers
//! care's consents to share, and neither JP Core nor JP-CLINS profiles an
//! ACP. A DocumentReference typed by LOINC (42348-3 Advance healthcare
//! directives; 60591-5 Patient summary Document for the emergency sheet)
//! carries the document as written, with its versions linked by
//! `relatesTo: replaces` and the older ones `superseded`. Residents
//! without a care team have no FHIR Patient and are not exposed.

use base64::Engine;
use renkei_domain::Timestamp;
use renkei_emergency::model::{AcpVersion, EmergencyRecord};
use serde_json::{json, Value};

/// The id of the emergency record's DocumentReference.
pub fn record_id(record: &EmergencyRecord) -> String {
    format!("emergency-{}", record.id)
}

/// The id of an ACP version's DocumentReference.
pub fn acp_id(v: &AcpVersion) -> String {
    format!("acp-{}", v.id)
}

fn instant(ms: i64) -> String {
    Timestamp(ms).to_rfc3339()
}

fn attachment(text: &str, title: &str, created: i64) -> Value {
    json!({
        "contentType": "text/plain",
        "language": "ja",
        "data": base64::engine::general_purpose::STANDARD.encode(text.as_bytes()),
        "title": title,
        "creation": instant(created),
    })
}

/// The emergency record as a DocumentReference (the sheet's text).
pub fn record_document(record: &EmergencyRecord, patient: &str) -> Value {
    let devices: Vec<&str> = record.devices().iter().map(|d| d.label_ja()).collect();
    let text = format!(
        "緊急時情報: {}（{}） 生年月日 {}\n住所: {}\n電話: {}\nかかりつけ医: {}\n病名・既往歴:\n{}\n服用中の薬:\n{}\nアレルギー: {}\n医療機器: {}\n緊急連絡先:\n{}\n保険証: {}\nキットの保管場所: {}\n治療・療養場所の希望: {}\n一人暮らし: {}\n最終確認: {}",
        record.name,
        record.kana,
        record.birth_date,
        record.address,
        record.phone,
        record.family_doctor,
        record.diseases,
        record.medicines,
        record.allergies,
        if devices.is_empty() { "なし".to_string() } else { devices.join("、") },
        record.contacts,
        record.insurance,
        record.home_file,
        record.wishes,
        if record.lives_alone { "はい" } else { "いいえ" },
        record
            .verified_at
            .map(|at| Timestamp(at).to_jst_display())
            .unwrap_or_else(|| "なし".into()),
    );
    json!({
        "resourceType": "DocumentReference",
        "id": record_id(record),
        "status": "current",
        "type": {"coding": [{"system": "http://loinc.org", "code": "60591-5", "display": "Patient summary Document"}],
                 "text": "緊急時情報（救急医療情報キット）"},
        "subject": {"reference": patient},
        "date": instant(record.updated_at),
        "description": "緊急時情報 / Emergency information",
        "content": [{"attachment": attachment(&text, "緊急時情報", record.updated_at)}],
    })
}

/// One ACP version as a DocumentReference: the newest `current`, the
/// others `superseded`, each replacing the one before.
pub fn acp_document(
    v: &AcpVersion,
    previous: Option<&AcpVersion>,
    latest: bool,
    patient: &str,
) -> Value {
    let mut text = format!(
        "人生会議（ACP）の記録 第{}版\n話し合った日: {}\n参加した人: {}\n様式: {}\n",
        v.version, v.discussed_on, v.participants, v.template_name
    );
    for a in &v.answers {
        if a.choice.is_empty() && a.text.is_empty() {
            continue;
        }
        text.push_str(&format!(
            "■ {}{}\n{}{}{}\n",
            a.title,
            if a.ems {
                "（救急隊に表示）"
            } else {
                ""
            },
            a.choice,
            if !a.choice.is_empty() && !a.text.is_empty() {
                "："
            } else {
                ""
            },
            a.text
        ));
    }
    let mut doc = json!({
        "resourceType": "DocumentReference",
        "id": acp_id(v),
        "status": if latest { "current" } else { "superseded" },
        "type": {"coding": [{"system": "http://loinc.org", "code": "42348-3", "display": "Advance healthcare directives"}],
                 "text": "人生会議（ACP）の記録"},
        "subject": {"reference": patient},
        "date": instant(v.written_at),
        "description": format!("人生会議の記録 第{}版（{}）", v.version, v.discussed_on),
        "content": [{"attachment": attachment(&text, &format!("人生会議 第{}版", v.version), v.written_at)}],
    });
    if let Some(prev) = previous {
        doc["relatesTo"] = json!([{"code": "replaces", "target": {"reference": format!("DocumentReference/{}", acp_id(prev))}}]);
    }
    doc
}

/// Every DocumentReference of a patient: the record, then the ACP
/// versions newest first.
pub fn documents(record: &EmergencyRecord, versions: &[AcpVersion]) -> Vec<(String, Value)> {
    let patient = match record.patient_id {
        Some(p) => format!("Patient/{p}"),
        None => return Vec::new(),
    };
    let mut out = vec![(record_id(record), record_document(record, &patient))];
    for (i, v) in versions.iter().enumerate() {
        let previous = versions.get(i + 1);
        out.push((acp_id(v), acp_document(v, previous, i == 0, &patient)));
    }
    out
}
