//! The resource directory as FHIR: each entry is an Organization
//! (JP_Organization), a Location (JP_Location) with its position, and a
//! HealthcareService with the care service codes, home-care functions and
//! the contact windows for care managers.

use renkei_directory::search::Entry;
use renkei_domain::directory::{service_name, HOME_CARE_FUNCTIONS};
use serde_json::{json, Value};

use renkei_interop::{JP_CORE, JP_CORE_EXTENSION};

/// 医療機関コード (10 digits), JP Core's identifier system.
pub const MEDICAL_INSTITUTION_SYSTEM: &str =
    "http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no";
/// 介護保険事業所番号 (10 digits). JP Core names no system for it; this URI
/// is Renkei's and is listed in /fhir/metadata.
pub const CARE_OFFICE_SYSTEM: &str = "urn:renkei:id:care-office-number";
/// The 13-digit ID of the national medical open data (医療情報ネット).
pub const MEDICAL_NET_SYSTEM: &str = "urn:renkei:id:iryo-joho-net";
/// Entries Renkei keeps itself.
pub const LOCAL_SYSTEM: &str = "urn:renkei:id:directory-entry";
/// Renkei's organisation kinds and service codes.
pub const KIND_SYSTEM: &str = "urn:renkei:cs:org-kind";
pub const CARE_SERVICE_SYSTEM: &str = "urn:renkei:cs:care-service";
pub const FUNCTION_SYSTEM: &str = "urn:renkei:cs:home-care-function";

/// The identifier system of an entry's official code by its source.
pub fn identifier_system(source: &str) -> &'static str {
    match source {
        "care_open_data" => CARE_OFFICE_SYSTEM,
        "medical_institution_code" => MEDICAL_INSTITUTION_SYSTEM,
        "medical_open_data" => MEDICAL_NET_SYSTEM,
        _ => LOCAL_SYSTEM,
    }
}

fn telecom(e: &Entry) -> Vec<Value> {
    let mut out = Vec::new();
    for (system, value) in [
        ("phone", &e.phone),
        ("fax", &e.fax),
        ("email", &e.email),
        ("url", &e.url),
    ] {
        if !value.is_empty() {
            out.push(json!({"system": system, "value": value, "use": "work"}));
        }
    }
    out
}

fn kind_concept(e: &Entry) -> Value {
    let display = renkei_domain::OrgKind::from_code(&e.kind)
        .map(|k| k.label("ja"))
        .unwrap_or("");
    json!({"coding": [{"system": KIND_SYSTEM, "code": e.kind, "display": display}]})
}

/// JP Core's prefecture numbers (都道府県番号, 2 digits; OID
/// 1.2.392.100495.20.3.21) and fee-table categories (点数表コード; OID
/// 1.2.392.100495.20.3.22) as JP Core names them: its extensions carry
/// them as `valueCoding` of these code systems.
const JP_PREFECTURE_NO: &str = "http://jpfhir.jp/fhir/core/mhlw/CodeSystem/PrefectureNo-2digits";
const JP_FEE_SCORE_TYPE: &str = "http://jpfhir.jp/fhir/core/mhlw/CodeSystem/MedicationFeeScoreType";

/// The JP_Organization_PrefectureNo extension for a 2-digit prefecture number.
fn prefecture_no(code: &str) -> Value {
    json!({
        "url": format!("{JP_CORE_EXTENSION}JP_Organization_PrefectureNo"),
        "valueCoding": {"system": JP_PREFECTURE_NO, "code": code},
    })
}

/// Organization (JP_Organization). For 医療機関コード the JP Core
/// extensions carry the prefecture number, fee-table category and the
/// 7-digit institution number.
/// An entry's identifiers: its official code in the system of its source
/// (when it has one) and its Renkei entry id. Every resource of the entry
/// carries both, so an `identifier` search finds what a read shows.
fn identifiers(e: &Entry, source: &str, official_code: &str) -> Vec<Value> {
    let mut out = Vec::new();
    if !official_code.is_empty() && identifier_system(source) != LOCAL_SYSTEM {
        out.push(json!({"system": identifier_system(source), "value": official_code}));
    }
    out.push(json!({"system": LOCAL_SYSTEM, "value": e.id.to_string()}));
    out
}

pub fn organization(e: &Entry, source: &str, official_code: &str) -> Value {
    let mut extension = Vec::new();
    if source == "medical_institution_code" && official_code.len() == 10 {
        let (pref, rest) = official_code.split_at(2);
        let (category, number) = rest.split_at(1);
        extension.push(prefecture_no(pref));
        extension.push(json!({"url": format!("{JP_CORE_EXTENSION}JP_Organization_InsuranceOrganizationCategory"),
            "valueCoding": {"system": JP_FEE_SCORE_TYPE, "code": category}}));
        extension.push(
            json!({"url": format!("{JP_CORE_EXTENSION}JP_Organization_InsuranceOrganizationNo"),
            "valueIdentifier": {"system": "urn:oid:1.2.392.100495.20.3.23", "value": number}}),
        );
    } else if e.municipality_code.len() >= 2 {
        extension.push(prefecture_no(&e.municipality_code[..2]));
    }
    let mut resource = json!({
        "resourceType": "Organization",
        "id": e.id.to_string(),
        "meta": {"profile": [format!("{JP_CORE}JP_Organization")]},
        "identifier": identifiers(e, source, official_code),
        "active": true,
        "type": [kind_concept(e)],
        "name": e.name,
        "telecom": telecom(e),
        "address": [{"text": e.address, "country": "JP"}],
    });
    if !e.kana.is_empty() {
        resource["alias"] = json!([e.kana]);
    }
    if !extension.is_empty() {
        resource["extension"] = Value::Array(extension);
    }
    resource
}

/// Location (JP_Location) with the map position.
pub fn location(e: &Entry, source: &str, official_code: &str) -> Value {
    let mut resource = json!({
        "resourceType": "Location",
        "id": e.id.to_string(),
        "meta": {"profile": [format!("{JP_CORE}JP_Location")]},
        "identifier": identifiers(e, source, official_code),
        "status": "active",
        "name": e.name,
        "mode": "instance",
        "type": [kind_concept(e)],
        "telecom": telecom(e),
        "address": {"text": e.address, "country": "JP"},
        "managingOrganization": {"reference": format!("Organization/{}", e.id)},
    });
    if let (Some(lat), Some(lon)) = (e.lat, e.lon) {
        resource["position"] = json!({"latitude": lat, "longitude": lon});
    }
    if !e.hours.is_empty() {
        resource["hoursOfOperation"] = json!([]);
        resource["description"] = json!(e.hours);
    }
    resource
}

const FHIR_DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// HealthcareService: services, functions, and the contact windows for
/// care managers as `availableTime` (Japan time).
pub fn healthcare_service(e: &Entry, source: &str, official_code: &str) -> Value {
    let mut types: Vec<Value> = e
        .services
        .iter()
        .map(|s| json!({"coding": [{"system": CARE_SERVICE_SYSTEM, "code": s, "display": service_name(s).unwrap_or("")}]}))
        .collect();
    types.extend(e.functions.iter().filter_map(|f| {
        HOME_CARE_FUNCTIONS.iter().find(|(c, _, _)| c == f).map(
            |(c, ja, _)| json!({"coding": [{"system": FUNCTION_SYSTEM, "code": c, "display": ja}]}),
        )
    }));
    let available: Vec<Value> = e
        .contact_windows
        .iter()
        .map(|w| {
            let mut t = json!({
                "daysOfWeek": w.weekdays.iter().filter_map(|d| FHIR_DAYS.get((*d as usize).checked_sub(1)?)).collect::<Vec<_>>(),
            });
            if w.from == "00:00" && w.to == "24:00" {
                t["allDay"] = json!(true);
            } else {
                t["availableStartTime"] = json!(format!("{}:00", w.from));
                t["availableEndTime"] = json!(format!("{}:00", if w.to == "24:00" { "23:59" } else { &w.to }));
            }
            t
        })
        .collect();
    let mut resource = json!({
        "resourceType": "HealthcareService",
        "id": e.id.to_string(),
        "identifier": identifiers(e, source, official_code),
        "active": true,
        "providedBy": {"reference": format!("Organization/{}", e.id), "display": e.name},
        "category": [kind_concept(e)],
        "type": types,
        "name": e.name,
        "telecom": telecom(e),
        "appointmentRequired": false,
    });
    if e.lat.is_some() {
        resource["location"] = json!([{"reference": format!("Location/{}", e.id)}]);
    }
    if !available.is_empty() {
        resource["availableTime"] = Value::Array(available);
        resource["availabilityExceptions"] = json!(e
            .contact_windows
            .iter()
            .map(|w| w.describe("ja"))
            .collect::<Vec<_>>()
            .join(" / "));
    }
    if !e.features.is_empty() {
        resource["comment"] = json!(e.features);
    }
    resource
}
