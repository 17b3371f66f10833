//! FHIR R4 Practitioner (JP_Practitioner): the people who work in the
//! region, as their colleagues may see them. Care's CareTeam members,
//! Communication senders and Observation performers reference them.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use renkei_domain::UserId;
use renkei_identity::model::PractitionerView;
use renkei_interop::{FhirResource, SearchParam, JP_CORE};
use renkei_web_kit::fhir::{fhir_json, Search};
use renkei_web_kit::{CurrentUser, WebError};
use serde_json::{json, Value};

use crate::IdentityState;

/// Renkei's user ids: a Practitioner's identifier.
pub const USER_ID_SYSTEM: &str = "urn:renkei:sid:user";
/// Renkei's professions (職種); no national code system covers them all.
pub const PROFESSION_SYSTEM: &str = "urn:renkei:cs:profession";

/// Practitioner (JP_Practitioner): staff of the viewer's region.
pub const PRACTITIONER: FhirResource = FhirResource {
    kind: "Practitioner",
    interactions: &["read", "search-type"],
    profile: Some("JP_Practitioner"),
    search: &[
        SearchParam {
            name: "name",
            kind: "string",
            documentation: "氏名（全角半角・ひらがなカタカナの違いを無視）",
        },
        SearchParam {
            name: "identifier",
            kind: "token",
            documentation: "urn:renkei:sid:user|id or id; a comma means or",
        },
    ],
    documentation: Some(
        "Staff (not family members) see the practitioners of their own region: \
         name and profession, no contact details.",
    ),
};

/// A practitioner as JP_Practitioner: the name as written (IDE), the
/// profession as qualification.
pub fn practitioner(p: &PractitionerView) -> Value {
    let mut parts = p.display_name.split([' ', '　']).filter(|x| !x.is_empty());
    let family = parts.next().unwrap_or("");
    let given: Vec<&str> = parts.collect();
    let mut name = json!({
        "extension": [{
            "url": "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation",
            "valueCode": "IDE",
        }],
        "use": "official",
        "text": p.display_name,
        "family": family,
    });
    if !given.is_empty() {
        name["given"] = json!(given);
    }
    json!({
        "resourceType": "Practitioner",
        "id": p.id.to_string(),
        "meta": {"profile": [format!("{JP_CORE}JP_Practitioner")]},
        "identifier": [{"system": USER_ID_SYSTEM, "value": p.id.to_string()}],
        "active": p.active,
        "name": [name],
        "qualification": [{"code": {"coding": [{
            "system": PROFESSION_SYSTEM,
            "code": p.profession.code(),
            "display": p.profession.label_ja(),
        }]}}],
    })
}

pub async fn search_practitioner(
    State(state): State<IdentityState>,
    CurrentUser(p): CurrentUser,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let search = Search::parse(&PRACTITIONER, raw.as_deref(), &headers)?;
    let name = renkei_domain::text::fold(search.get("name"));
    let identifiers = search.tokens("identifier");
    let list: Vec<PractitionerView> = state
        .identity
        .practitioners(&p)
        .await?
        .into_iter()
        // A disabled account is no one to contact; a reference to it
        // still reads (active: false).
        .filter(|x| x.active)
        .filter(|x| name.is_empty() || renkei_domain::text::fold(&x.display_name).contains(&name))
        .filter(|x| {
            identifiers.is_empty()
                || identifiers
                    .iter()
                    .any(|t| t.matches(USER_ID_SYSTEM, &x.id.to_string()))
        })
        .collect();
    Ok(search.bundle_all(&state.config.public_url, list, |x| practitioner(&x)))
}

pub async fn read_practitioner(
    State(state): State<IdentityState>,
    CurrentUser(p): CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: UserId = id.parse().map_err(|_| WebError::NotFound)?;
    let view = state.identity.practitioner(&p, id).await?;
    Ok(fhir_json(StatusCode::OK, practitioner(&view)))
}
