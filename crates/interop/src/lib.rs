//! Interoperability (連携の標準化): the shared FHIR R4 / JP Core kit
//! (DOMAIN.md §9). Each capability maps its own data to FHIR in its web
//! crate and declares the resources it serves as [`FhirResource`]s; the
//! CapabilityStatement at `/fhir/metadata` is assembled from those
//! declarations by [`capability_statement`], so it cannot drift from the
//! routes the capabilities register.

use serde_json::{json, Value};

/// The JP Core canonical base.
pub const JP_CORE: &str = "http://jpfhir.jp/fhir/core/StructureDefinition/";
/// JP Core extensions live under this base.
pub const JP_CORE_EXTENSION: &str = "http://jpfhir.jp/fhir/core/Extension/StructureDefinition/";

/// One search parameter of a resource, as the CapabilityStatement lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchParam {
    pub name: &'static str,
    /// FHIR search parameter type: `string`, `token`, `reference`, `number`, `special`.
    pub kind: &'static str,
    pub documentation: &'static str,
}

/// A resource type a capability serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FhirResource {
    /// The FHIR resource type, e.g. `Organization`.
    pub kind: &'static str,
    /// The interactions it answers (`read`, `search-type`, `create`), as
    /// `/fhir/metadata` lists them.
    pub interactions: &'static [&'static str],
    /// The JP Core profile name, e.g. `JP_Organization`, if one applies.
    pub profile: Option<&'static str>,
    /// Exactly the parameters its search handler reads: the handler checks
    /// a request against this list, and `/fhir/metadata` lists it.
    pub search: &'static [SearchParam],
    /// Who may read it, when that is narrower than "staff".
    pub documentation: Option<&'static str>,
}

impl FhirResource {
    fn to_json(self) -> Value {
        let mut r = json!({
            "type": self.kind,
            "interaction": self.interactions.iter().map(|i| json!({"code": i})).collect::<Vec<_>>(),
            "searchParam": self.search.iter().map(|p| json!({
                "name": p.name, "type": p.kind, "documentation": p.documentation,
            })).collect::<Vec<_>>(),
        });
        if let Some(p) = self.profile {
            r["supportedProfile"] = json!([format!("{JP_CORE}{p}")]);
        }
        if let Some(d) = self.documentation {
            r["documentation"] = json!(d);
        }
        r
    }
}

/// The CapabilityStatement for `/fhir/metadata`, listing exactly the
/// resources the registered capabilities declare.
pub fn capability_statement(base: &str, version: &str, resources: &[FhirResource]) -> Value {
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-11-22",
        "kind": "instance",
        "software": {"name": "Renkei", "version": version},
        "implementation": {"description": "Renkei: resource directory and care teams", "url": format!("{base}/fhir")},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "security": {"description": "Session cookie or Bearer API token of a staff user (read scope)."},
            "documentation": "Searches page with _count (0 to 100, default 20) and _offset, with self, first, \
                next and previous links that keep them; total is given when it is known. A parameter a \
                resource does not list is ignored with a warning (an OperationOutcome entry, search.mode \
                outcome), or refused with 400 when the request says Prefer: handling=strict. JSON only \
                (406 for XML). Errors are OperationOutcomes.",
            "resource": resources.iter().map(|r| r.to_json()).collect::<Vec<_>>(),
        }],
    })
}

/// The JSON as FHIR writes it: R4's JSON representation never holds an
/// empty array, an empty object or an empty (or blank) string, so they are
/// left out, recursively (an object emptied by this is left out too).
/// Every FHIR answer passes through here, so a mapping may build a list
/// that turns out empty without breaking the document.
pub fn prune_empty(value: Value) -> Value {
    fn prune(value: Value) -> Option<Value> {
        match value {
            Value::Array(items) => {
                let kept: Vec<Value> = items.into_iter().filter_map(prune).collect();
                (!kept.is_empty()).then_some(Value::Array(kept))
            }
            Value::Object(map) => {
                let kept: serde_json::Map<String, Value> = map
                    .into_iter()
                    .filter_map(|(k, v)| prune(v).map(|v| (k, v)))
                    .collect();
                (!kept.is_empty()).then_some(Value::Object(kept))
            }
            Value::String(s) if s.trim().is_empty() => None,
            Value::Null => None,
            other => Some(other),
        }
    }
    prune(value).unwrap_or(Value::Null)
}

/// A searchset Bundle. `links` are its `self`, `next`, `previous`… links
/// (relation, URL); `total` is the number of matches when it is known
/// without counting again, left out otherwise, as R4 allows. `outcome` is an
/// OperationOutcome telling the client what the search did not use (an
/// entry with `search.mode = outcome`).
pub fn searchset(
    base: &str,
    links: &[(&str, String)],
    resources: Vec<Value>,
    total: Option<usize>,
    outcome: Option<Value>,
) -> Value {
    let mut entries: Vec<Value> = resources
        .into_iter()
        .map(|r| {
            let full = format!(
                "{base}/fhir/{}/{}",
                r["resourceType"].as_str().unwrap_or(""),
                r["id"].as_str().unwrap_or("")
            );
            json!({"fullUrl": full, "resource": r, "search": {"mode": "match"}})
        })
        .collect();
    if let Some(o) = outcome {
        entries.push(json!({"resource": o, "search": {"mode": "outcome"}}));
    }
    json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links.iter().map(|(relation, url)| json!({"relation": relation, "url": url})).collect::<Vec<_>>(),
        "entry": entries,
    })
}

/// A JP Core HumanName: `text` split into family and given names at a
/// space (half- or full-width), marked as the kanji (`IDE`) or kana
/// (`SYL`) representation with the iso21090-EN-representation extension.
pub fn human_name(text: &str, representation: &str) -> Value {
    let mut parts = text.split([' ', '\u{3000}']).filter(|p| !p.is_empty());
    let family = parts.next().unwrap_or("");
    let given: Vec<&str> = parts.collect();
    let mut n = json!({
        "extension": [{
            "url": "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation",
            "valueCode": representation,
        }],
        "use": "official",
        "text": text,
        "family": family,
    });
    if !given.is_empty() {
        n["given"] = json!(given);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_arrays_objects_and_strings_are_left_out() {
        let v = json!({
            "resourceType": "Location",
            "hoursOfOperation": [],
            "telecom": [{"system": "phone", "value": ""}, {"system": "phone", "value": "03"}],
            "address": {"text": " ", "line": []},
            "name": "みどり",
            "active": false,
            "position": {"latitude": 0.0, "longitude": 139.7},
        });
        assert_eq!(
            prune_empty(v),
            json!({
                "resourceType": "Location",
                "telecom": [{"system": "phone"}, {"system": "phone", "value": "03"}],
                "name": "みどり",
                "active": false,
                "position": {"latitude": 0.0, "longitude": 139.7},
            })
        );
    }
}
