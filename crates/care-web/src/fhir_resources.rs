//! The care team's records as FHIR R4 / JP Core: Patient (JP_Patient),
//! CareTeam, Communication (timeline posts), Observation
//! (JP_Observation_VitalSigns, LOINC coded, UCUM units) and Consent.

use renkei_care::model::{Consent, Member, Patient, Post};
use renkei_domain::care::{MemberStatus, VITAL_SIGNS};
use renkei_domain::{EntryId, OrgId, PatientId, Profession, Timestamp, UserId};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};

use renkei_interop::JP_CORE;

/// Renkei's own code systems (no national one exists for these).
pub const TEAM_ROLE_SYSTEM: &str = "urn:renkei:cs:care-team-role";
pub const POST_CATEGORY_SYSTEM: &str = "urn:renkei:cs:post-category";
/// Patient ids within one Renkei deployment.
pub use renkei_domain::ids::PATIENT_ID_SYSTEM;
/// 介護保険被保険者番号 (there is no JP Core identifier system for it yet).
pub const CARE_INSURED_SYSTEM: &str = "urn:renkei:sid:care-insurance-insured-number";

fn reference(kind: &str, id: impl std::fmt::Display) -> Value {
    json!({"reference": format!("{kind}/{id}")})
}

/// Renkei's user ids (a Practitioner's identifier, and a family
/// member's).
pub const USER_ID_SYSTEM: &str = "urn:renkei:sid:user";
/// Renkei's organisation ids, for an organisation without a directory entry.
pub const ORGANISATION_ID_SYSTEM: &str = "urn:renkei:sid:organisation";

/// What the mappings need to reference organisations and people: their
/// names, the directory entry (the FHIR Organization) of organisations
/// that have one, and the people this reader can read as Practitioners.
/// A literal reference is written only where this reader could follow it;
/// the rest are logical references (type, identifier, display).
#[derive(Debug, Default)]
pub struct References {
    pub org_names: HashMap<OrgId, String>,
    pub org_entries: HashMap<OrgId, EntryId>,
    pub practitioners: HashSet<UserId>,
}

impl References {
    /// `Organization/{entry}` with the name when the organisation is in the
    /// directory; otherwise a logical reference by its Renkei id.
    pub fn organisation(&self, org: OrgId) -> Value {
        let display = self.org_names.get(&org).cloned().unwrap_or_default();
        match self.org_entries.get(&org) {
            Some(entry) => {
                json!({"reference": format!("Organization/{entry}"), "display": display})
            }
            None => json!({
                "type": "Organization",
                "identifier": {"system": ORGANISATION_ID_SYSTEM, "value": org.to_string()},
                "display": display,
            }),
        }
    }

    /// A person who wrote or works on the record: `Practitioner/{user}`
    /// (served by identity) with the name; a family member is a logical
    /// RelatedPerson reference (Renkei serves no RelatedPerson), anyone
    /// else this reader cannot read a logical Practitioner reference.
    pub fn person(&self, user: UserId, profession: Profession, name: &str) -> Value {
        let logical = |kind: &str| {
            json!({
                "type": kind,
                "identifier": {"system": USER_ID_SYSTEM, "value": user.to_string()},
                "display": name,
            })
        };
        if profession == Profession::Family {
            logical("RelatedPerson")
        } else if self.practitioners.contains(&user) {
            json!({"reference": format!("Practitioner/{user}"), "display": name})
        } else {
            logical("Practitioner")
        }
    }
}

fn time(ms: i64) -> String {
    Timestamp(ms).to_rfc3339()
}

/// JP_Patient: kanji and kana names, sex, birth date, address, phone, the
/// Renkei id and the 介護保険被保険者番号, and the care level (要介護度) as a
/// Renkei extension.
pub fn patient(p: &Patient, refs: &References) -> Value {
    let f = &p.record;
    let mut identifiers = vec![json!({"system": PATIENT_ID_SYSTEM, "value": p.id.to_string()})];
    if !f.insured_number.is_empty() {
        identifiers.push(json!({"system": CARE_INSURED_SYSTEM, "value": f.insured_number}));
    }
    let mut r = json!({
        "resourceType": "Patient",
        "id": p.id.to_string(),
        "meta": {"profile": [format!("{JP_CORE}JP_Patient")], "lastUpdated": time(p.updated_at)},
        "identifier": identifiers,
        "active": true,
        // The kana name as JP Core writes it: full-width katakana, one
        // half-width space between the parts (however it was typed).
        "name": [
            renkei_interop::human_name(&f.name, "IDE"),
            renkei_interop::human_name(&renkei_domain::text::katakana_name(&f.kana), "SYL"),
        ],
        // Renkei's codes are FHIR's administrative genders.
        "gender": f.sex.code(),
        "birthDate": f.birth_date,
        "managingOrganization": refs.organisation(p.registering_org_id),
    });
    if !f.address.is_empty() {
        r["address"] = json!([{"text": f.address, "country": "JP"}]);
    }
    if !f.phone.is_empty() {
        r["telecom"] = json!([{"system": "phone", "value": f.phone}]);
    }
    let level = f.care_level;
    r["extension"] = json!([{
        "url": "urn:renkei:ext:care-level",
        "valueCoding": {"system": "urn:renkei:cs:care-level", "code": level.code(), "display": level.label_ja()},
    }]);
    r
}

/// The patient's care team; its id is the patient's.
pub fn care_team(p: &Patient, members: &[Member], refs: &References) -> Value {
    let participants: Vec<Value> = members
        .iter()
        .filter(|m| m.status == MemberStatus::Active)
        .map(|m| {
            let mut part = json!({
                "role": [{"coding": [{
                    "system": TEAM_ROLE_SYSTEM,
                    "code": m.team_role.code(),
                    "display": m.team_role.label_ja(),
                }]}],
                "member": refs.person(m.user_id, m.profession, &m.display_name),
                "period": {"start": time(m.accepted_at.unwrap_or(m.invited_at))},
            });
            if let Some(org) = m.org_id {
                part["onBehalfOf"] = refs.organisation(org);
            }
            part
        })
        .collect();
    json!({
        "resourceType": "CareTeam",
        "id": p.id.to_string(),
        "status": "active",
        "name": "在宅ケアチーム",
        "subject": reference("Patient", p.id),
        "participant": participants,
    })
}

/// A timeline post. Withdrawn posts keep their place as
/// `entered-in-error` without their text.
pub fn communication(patient_id: PatientId, post: &Post, refs: &References) -> Value {
    let withdrawn = post.withdrawn_at.is_some();
    let mut r = json!({
        "resourceType": "Communication",
        "id": post.id.to_string(),
        "status": if withdrawn { "entered-in-error" } else { "completed" },
        "category": [{"coding": [{
            "system": POST_CATEGORY_SYSTEM,
            "code": post.category.code(),
            "display": post.category.label_ja(),
        }]}],
        "priority": if post.urgent { "urgent" } else { "routine" },
        "subject": reference("Patient", patient_id),
        "sent": time(post.created_at),
        "sender": refs.person(post.author_id, post.author_profession, &post.author_name),
    });
    if !withdrawn && !post.body.is_empty() {
        r["payload"] = json!([{"contentString": post.body}]);
    }
    if let Some(parent) = post.reply_to {
        r["inResponseTo"] = json!([reference("Communication", parent)]);
    }
    if post.has_vitals && !withdrawn {
        r["about"] = json!(vital_ids(post)
            .into_iter()
            .map(|id| json!({"reference": format!("Observation/{id}")}))
            .collect::<Vec<_>>());
    }
    r
}

/// The Observation ids of a post: `<post>-<sign>` (blood pressure is one
/// panel, `<post>-bp`).
pub fn vital_ids(post: &Post) -> Vec<String> {
    let v = post.vitals();
    let mut ids = Vec::new();
    if v.bp_systolic.is_some() && v.bp_diastolic.is_some() {
        ids.push(format!("{}-bp", post.id));
    }
    for s in VITAL_SIGNS {
        if s.code.starts_with("bp_") {
            continue;
        }
        if v.get(s.code).is_some() {
            ids.push(format!("{}-{}", post.id, s.code));
        }
    }
    ids
}

fn quantity(value: f64, unit: &str, ucum: &str) -> Value {
    json!({"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": ucum})
}

/// JP_Observation_VitalSigns for one sign of a post (`code` is a sign code
/// or `bp`). `None` when the post has no such value.
pub fn observation(
    patient_id: PatientId,
    post: &Post,
    code: &str,
    refs: &References,
) -> Option<Value> {
    if post.withdrawn_at.is_some() {
        return None;
    }
    let v = post.vitals();
    let base = |id: String, loinc: &str, display: &str| {
        // HL7's category (R4's vital-signs profile), JP Core's simple
        // category, and JP Core's vital-sign category where one fits.
        let mut category = vec![
            json!({"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "vital-signs",
                "display": "Vital Signs",
            }]}),
            json!({"coding": [{
                "system": JP_SIMPLE_OBSERVATION_CATEGORY,
                "code": "vital-signs",
                "display": "バイタルサイン",
            }]}),
        ];
        if let Some((jp_code, jp_display)) = jp_vital_sign_category(code) {
            category.push(json!({"coding": [{
                "system": JP_VITAL_SIGNS_CATEGORY,
                "code": jp_code,
                "display": jp_display,
            }]}));
        }
        json!({
            "resourceType": "Observation",
            "id": id,
            "meta": {"profile": [format!("{JP_CORE}JP_Observation_VitalSigns")]},
            "status": "final",
            "category": category,
            "code": {"coding": [{"system": "http://loinc.org", "code": loinc, "display": display}]},
            "subject": reference("Patient", patient_id),
            "effectiveDateTime": time(post.created_at),
            "performer": [refs.person(post.author_id, post.author_profession, &post.author_name)],
            // No derivedFrom: R4 does not allow it to point at a
            // Communication. The post names its observations instead
            // (Communication.about).
        })
    };
    if code == "bp" {
        let (s, d) = (v.bp_systolic?, v.bp_diastolic?);
        let mut r = base(
            format!("{}-bp", post.id),
            "85354-9",
            "Blood pressure panel with all children optional",
        );
        let comp = |loinc: &str, display: &str, x: f64| {
            json!({
                "code": {"coding": [{"system": "http://loinc.org", "code": loinc, "display": display}]},
                "valueQuantity": quantity(x, "mmHg", "mm[Hg]"),
            })
        };
        r["component"] = json!([
            comp("8480-6", "Systolic blood pressure", s),
            comp("8462-4", "Diastolic blood pressure", d),
        ]);
        return Some(r);
    }
    let sign = VITAL_SIGNS
        .iter()
        .find(|s| s.code == code && !s.code.starts_with("bp_"))?;
    let value = v.get(sign.code)?;
    let mut r = base(
        format!("{}-{}", post.id, sign.code),
        sign.loinc,
        sign.loinc_display,
    );
    r["valueQuantity"] = quantity(value, sign.unit, sign.ucum);
    if sign.loinc == SPO2_BY_PULSE_OXIMETRY {
        // R4's oxygen-saturation profile requires 2708-6 in every SpO₂
        // Observation; the pulse oximeter's own code 59408-5 stays first.
        if let Some(codings) = r["code"]["coding"].as_array_mut() {
            codings.push(json!({
                "system": "http://loinc.org",
                "code": "2708-6",
                "display": "Oxygen saturation in Arterial blood",
            }));
        }
    }
    Some(r)
}

/// JP Core's simple Observation category (JP_SimpleObservationCategory_CS).
const JP_SIMPLE_OBSERVATION_CATEGORY: &str =
    "http://jpfhir.jp/fhir/core/CodeSystem/JP_SimpleObservationCategory_CS";
/// JP Core's vital-sign categories (JP_ObservationVitalSignsCategory_CS,
/// from MEDIS-DC's nursing practice terminology).
const JP_VITAL_SIGNS_CATEGORY: &str =
    "http://jpfhir.jp/fhir/core/CodeSystem/JP_ObservationVitalSignsCategory_CS";

/// The JP vital-sign category of a sign (`bp` or a sign code), where the
/// code system has one (body weight has none).
fn jp_vital_sign_category(code: &str) -> Option<(&'static str, &'static str)> {
    match code {
        "bp" => Some(("blood-pressure", "血圧")),
        "temperature" => Some(("temperature", "体温")),
        "pulse" => Some(("pulse-rate", "脈拍数")),
        "spo2" | "respiration" => Some(("respiratory-function", "呼吸機能")),
        _ => None,
    }
}

/// LOINC of SpO₂ measured by pulse oximetry (what a visiting nurse records).
const SPO2_BY_PULSE_OXIMETRY: &str = "59408-5";

/// Every Observation of a post.
pub fn observations(patient_id: PatientId, post: &Post, refs: &References) -> Vec<Value> {
    vital_ids(post)
        .iter()
        .filter_map(|id| id.split_once('-'))
        .filter_map(|(_, code)| observation(patient_id, post, code, refs))
        .collect()
}

/// The consent to share: who it covers, when and by whom it was obtained,
/// the signed form, and whether it is still in force.
/// `custodian` is the organisation that registered the patient, which
/// keeps the signed form.
pub fn consent(c: &Consent, custodian: OrgId, refs: &References) -> Value {
    let mut actors: Vec<Value> = c
        .coverage
        .org_ids
        .iter()
        .copied()
        .map(|o| {
            json!({
                "role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP", "display": "information recipient"}]},
                "reference": refs.organisation(o),
            })
        })
        .collect();
    for p in &c.coverage.professions {
        actors.push(json!({
            "role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]},
            "reference": {"display": format!("profession:{p}")},
        }));
    }
    if c.coverage.family {
        actors.push(json!({
            "role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]},
            "reference": {"display": "family"},
        }));
    }
    let mut r = json!({
        "resourceType": "Consent",
        "id": c.id.to_string(),
        "status": if c.active() { "active" } else { "inactive" },
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}]}],
        "patient": reference("Patient", c.patient_id),
        "dateTime": c.obtained_on,
        "performer": [{"display": if c.signer.is_empty() { "patient".to_string() } else { c.signer.clone() }}],
        "organization": [refs.organisation(custodian)],
        "policyRule": {"text": "在宅医療・介護連携のための情報共有"},
        "provision": {"type": "permit", "actor": actors},
    });
    if !c.obtained_by.is_empty() {
        // Who obtained the consent (a name as typed on the form): R4's
        // Consent has no element for it.
        r["extension"] =
            json!([{"url": "urn:renkei:ext:consent-obtained-by", "valueString": c.obtained_by}]);
    }
    if let Some(form) = c.form_attachment_id {
        r["sourceAttachment"] = json!({"url": format!("/attachments/{form}"), "title": "同意書"});
    }
    if let Some(w) = c.withdrawn_at {
        r["provision"]["period"] = json!({"end": time(w)});
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use renkei_domain::care::{PostAuthorRole, PostCategory, PostKind, TeamRole};
    use renkei_domain::{PostId, Profession, SpaceId, UserId};

    fn post() -> Post {
        Post {
            id: PostId(7),
            space_id: SpaceId(1),
            author_id: UserId(2),
            author_name: "加藤".into(),
            author_profession: Profession::Nurse,
            author_role: PostAuthorRole::Team(TeamRole::VisitingNurse),
            kind: PostKind::Post,
            category: PostCategory::Vitals,
            body: "発熱".into(),
            reply_to: None,
            temperature: Some(38.9),
            bp_systolic: Some(150.0),
            bp_diastolic: Some(90.0),
            pulse: None,
            spo2: Some(93.0),
            respiration: None,
            weight: None,
            glucose: None,
            pain: None,
            has_vitals: true,
            urgent: true,
            ack_role: Some(TeamRole::AttendingDoctor),
            acked_by: None,
            acked_by_name: None,
            acked_at: None,
            version: 1,
            created_at: 0,
            edited_at: None,
            withdrawn_at: None,
            withdrawn_by: None,
            withdrawn_reason: String::new(),
            idempotency_key: None,
            request_hash: String::new(),
            has_replies: false,
            has_attachments: false,
            read_by: None,
        }
    }

    #[test]
    fn vitals_become_loinc_observations() {
        let obs = observations(PatientId(3), &post(), &References::default());
        let codes: Vec<&str> = obs
            .iter()
            .map(|o| o["code"]["coding"][0]["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, vec!["85354-9", "8310-5", "59408-5"]);
        // HL7's, JP Core's simple and JP Core's vital-sign categories.
        assert_eq!(obs[0]["category"][1]["coding"][0]["code"], "vital-signs");
        assert_eq!(obs[0]["category"][2]["coding"][0]["code"], "blood-pressure");
        assert_eq!(obs[1]["category"][2]["coding"][0]["code"], "temperature");
        // SpO₂ also carries 2708-6, which R4's oxygen-saturation profile requires.
        assert_eq!(obs[2]["code"]["coding"][1]["code"], "2708-6");
        assert_eq!(obs[1]["valueQuantity"]["code"], "Cel");
        assert_eq!(obs[0]["component"][0]["valueQuantity"]["value"], 150.0);
        assert!(obs[0]["meta"]["profile"][0]
            .as_str()
            .unwrap()
            .ends_with("JP_Observation_VitalSigns"));
    }

    #[test]
    fn communication_is_urgent_and_links_observations() {
        let c = communication(PatientId(3), &post(), &References::default());
        assert_eq!(c["priority"], "urgent");
        assert_eq!(c["about"][0]["reference"], "Observation/7-bp");
        let mut w = post();
        w.withdrawn_at = Some(1);
        let c = communication(PatientId(3), &w, &References::default());
        assert_eq!(c["status"], "entered-in-error");
        assert!(c.get("payload").is_none());
        assert!(observations(PatientId(3), &w, &References::default()).is_empty());
    }
}
