//! FHIR R4 endpoints of the resource directory: Organization, Location
//! and HealthcareService (read and search), mapped by [`crate::fhir_resources`].
//! Search runs on the same in-process index as the directory pages.

use std::collections::HashMap;

use crate::fhir_resources as fhir;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use renkei_directory::model::EntryId;
use renkei_directory::search::{self, Entry};
use renkei_domain::people::Permission;
use renkei_domain::{OrgKind, ValidationErrors};
use renkei_interop::{FhirResource, SearchParam};
use serde_json::Value;

use crate::DirectoryState;
use axum::http::HeaderMap;
use renkei_web_kit::fhir::{fhir_json, Search, Token};
use renkei_web_kit::{CurrentUser, WebError};

/// How deep the index pages (issue 13 replaces this with a cursor).
const MAX_OFFSET: usize = 10_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Organization,
    Location,
    HealthcareService,
}

fn base_url(state: &DirectoryState) -> String {
    state
        .directory_service
        .config()
        .public_url
        .trim_end_matches('/')
        .to_string()
}

fn resource(kind: Kind, e: &Entry, codes: &HashMap<EntryId, (String, String)>) -> Value {
    let (source, code) = codes
        .get(&e.id)
        .map(|(s, c)| (s.as_str(), c.as_str()))
        .unwrap_or(("local", ""));
    match kind {
        Kind::Organization => fhir::organization(e, source, code),
        Kind::Location => fhir::location(e, source, code),
        Kind::HealthcareService => fhir::healthcare_service(e, source, code),
    }
}

const NAME: SearchParam = SearchParam {
    name: "name",
    kind: "string",
    documentation: "名称・ふりがな・住所（全角半角・ひらがなカタカナの違いを無視）",
};
const TYPE: SearchParam = SearchParam {
    name: "type",
    kind: "token",
    documentation: "種別 (urn:renkei:cs:org-kind); one value",
};
const IDENTIFIER: SearchParam = SearchParam {
    name: "identifier",
    kind: "token",
    documentation: "医療機関コード、介護保険事業所番号、医療情報ネットID、Renkei entry id: \
                    system|value, |value or value; a comma means or",
};
const NEAR: SearchParam = SearchParam {
    name: "near",
    kind: "special",
    documentation: "lat|lon|distance|km (distance default 10 km)",
};
const SERVICE_TYPE: SearchParam = SearchParam {
    name: "service-type",
    kind: "token",
    documentation: "介護サービス種類コード (urn:renkei:cs:care-service); one value",
};

/// Organization (JP_Organization): every directory entry.
pub const ORGANIZATION: FhirResource = FhirResource {
    kind: "Organization",
    interactions: &["read", "search-type"],
    profile: Some("JP_Organization"),
    search: &[NAME, TYPE, IDENTIFIER],
    documentation: None,
};
/// Location (JP_Location): the entry's place and position.
pub const LOCATION: FhirResource = FhirResource {
    kind: "Location",
    interactions: &["read", "search-type"],
    profile: Some("JP_Location"),
    search: &[NAME, TYPE, IDENTIFIER, NEAR],
    documentation: None,
};
/// HealthcareService: the entry's services and contact windows.
pub const HEALTHCARE_SERVICE: FhirResource = FhirResource {
    kind: "HealthcareService",
    interactions: &["read", "search-type"],
    profile: None,
    search: &[NAME, TYPE, IDENTIFIER, SERVICE_TYPE],
    documentation: None,
};

/// The one code of a token parameter that the index filters on, checked
/// against its system; `Ok(None)` when not given, `Err(())` when its
/// system is not `system` (nothing can match).
fn one_code(
    search: &Search,
    name: &str,
    system: &str,
    v: &mut ValidationErrors,
) -> Result<Option<String>, ()> {
    let tokens = search.tokens(name);
    match tokens.as_slice() {
        [] => Ok(None),
        [t] => match t.system.as_deref() {
            None => Ok(Some(t.code.clone())),
            Some(s) if s == system => Ok(Some(t.code.clone())),
            Some(_) => Err(()),
        },
        _ => {
            v.add(
                name,
                "one-value",
                &format!("{name} には値を一つだけ指定してください。"),
                &format!("{name} takes one value."),
            );
            Ok(None)
        }
    }
}

/// The entries an `identifier` search names, each value honouring its
/// system: a Renkei entry id (LOCAL_SYSTEM) or an official code in the
/// system of the source it came from.
async fn identified_entries(
    state: &DirectoryState,
    tokens: &[Token],
) -> Result<Vec<EntryId>, WebError> {
    let mut ids = Vec::new();
    for t in tokens {
        if t.system.as_deref().is_none_or(|s| s == fhir::LOCAL_SYSTEM) {
            if let Ok(id) = t.code.parse::<EntryId>() {
                ids.push(id);
            }
        }
        if t.system.as_deref() == Some(fhir::LOCAL_SYSTEM) {
            continue;
        }
        let found = state
            .directory_service
            .ids_by_official_code(&t.code)
            .await?;
        let codes = state.directory_service.codes_of(&found).await?;
        ids.extend(found.into_iter().filter(|id| {
            codes
                .get(id)
                .is_some_and(|(source, code)| t.matches(fhir::identifier_system(source), code))
        }));
    }
    Ok(ids)
}

async fn search_kind(
    state: &DirectoryState,
    p: &renkei_identity::Principal,
    declared: &FhirResource,
    kind: Kind,
    raw: Option<String>,
    headers: &HeaderMap,
) -> Result<Response, WebError> {
    if !p.role.may(Permission::ViewProfessionalDirectory) {
        return Err(WebError::Forbidden);
    }
    let mut v = ValidationErrors::new();
    let search = Search::parse_into(declared, raw.as_deref(), headers, &mut v)?;
    let base = base_url(state);
    if search.offset > MAX_OFFSET {
        v.add(
            "_offset",
            "range",
            "_offset は0〜10000です。",
            "_offset must be 0 to 10000.",
        );
    }
    // A filter in a system the directory does not code in matches nothing.
    let mut nothing = false;
    let kind_code = one_code(&search, "type", fhir::KIND_SYSTEM, &mut v).unwrap_or_else(|()| {
        nothing = true;
        None
    });
    if let Some(k) = &kind_code {
        if OrgKind::from_code(k).is_none() {
            v.add(
                "type",
                "unknown",
                "種別が正しくありません。",
                "Unknown type.",
            );
        }
    }
    let service = one_code(&search, "service-type", fhir::CARE_SERVICE_SYSTEM, &mut v)
        .unwrap_or_else(|()| {
            nothing = true;
            None
        });
    if let Some(s) = &service {
        if renkei_domain::directory::service_name(s).is_none() {
            v.add(
                "service-type",
                "unknown",
                "サービス種類コードが正しくありません。",
                "Unknown service-type.",
            );
        }
    }
    let mut near = None;
    let mut radius = None;
    if !search.get("near").is_empty() {
        let parts: Vec<&str> = search.get("near").split('|').collect();
        let num = |i: usize| parts.get(i).and_then(|x| x.trim().parse::<f64>().ok());
        match (num(0), num(1)) {
            (Some(lat), Some(lon))
                if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
            {
                near = Some((lat, lon));
                let unit = parts.get(3).copied().unwrap_or("km");
                let factor = match unit {
                    "km" | "" => Some(1.0),
                    "m" => Some(0.001),
                    _ => None,
                };
                match (num(2), factor) {
                    (Some(d), Some(f)) if d > 0.0 && d * f <= 500.0 => radius = Some(d * f),
                    (None, Some(_)) => radius = Some(10.0),
                    _ => v.add(
                        "near",
                        "distance",
                        "距離は500km以内で、単位は km か m です。",
                        "distance must be within 500 km, units km or m.",
                    ),
                }
            }
            _ => v.add(
                "near",
                "format",
                "near は 緯度|経度|距離|km の形式です。",
                "near must be lat|lon|distance|units.",
            ),
        }
    }
    v.into_result().map_err(WebError::Validation)?;
    let identifiers = search.tokens("identifier");
    let only = if identifiers.is_empty() {
        None
    } else {
        Some(identified_entries(state, &identifiers).await?)
    };
    if nothing || search.count == 0 {
        let total = (nothing).then_some(0);
        return Ok(search.bundle(&base, Vec::new(), total, false));
    }
    let page = state.directory.search(&search::Query {
        text: Some(search.get("name").to_string()).filter(|s| !s.is_empty()),
        kind: kind_code,
        service,
        near,
        radius_km: radius,
        ids: only,
        offset: search.offset,
        limit: search.count,
        ..search::Query::default()
    });
    let entries: Vec<Entry> = page.items.into_iter().map(|h| h.entry).collect();
    // The index counts the matches, exactly up to its scan limit (an
    // estimate beyond is no FHIR total).
    let total = page.total_exact.then_some(page.total);
    // No next link to a page the directory refuses to serve.
    let more = page.next_offset.is_some_and(|next| next <= MAX_OFFSET);
    let ids: Vec<EntryId> = entries.iter().map(|e| e.id).collect();
    let codes = state.directory_service.codes_of(&ids).await?;
    let resources: Vec<Value> = entries.iter().map(|e| resource(kind, e, &codes)).collect();
    Ok(search.bundle(&base, resources, total, more))
}

async fn read_kind(
    state: &DirectoryState,
    p: &renkei_identity::Principal,
    kind: Kind,
    id: &str,
) -> Result<Response, WebError> {
    if !p.role.may(Permission::ViewProfessionalDirectory) {
        return Err(WebError::Forbidden);
    }
    let id: EntryId = id.parse().map_err(|_| WebError::NotFound)?;
    let entry = state
        .directory_service
        .entry_for_interop(id)
        .await?
        .ok_or(WebError::NotFound)?;
    let codes = state.directory_service.codes_of(&[id]).await?;
    Ok(fhir_json(StatusCode::OK, resource(kind, &entry, &codes)))
}

pub async fn search_organization(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    search_kind(&state, &p, &ORGANIZATION, Kind::Organization, raw, &headers).await
}

pub async fn search_location(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    search_kind(&state, &p, &LOCATION, Kind::Location, raw, &headers).await
}

pub async fn search_healthcare_service(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    search_kind(
        &state,
        &p,
        &HEALTHCARE_SERVICE,
        Kind::HealthcareService,
        raw,
        &headers,
    )
    .await
}

pub async fn read_organization(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    read_kind(&state, &p, Kind::Organization, &id).await
}

pub async fn read_location(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    read_kind(&state, &p, Kind::Location, &id).await
}

pub async fn read_healthcare_service(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    read_kind(&state, &p, Kind::HealthcareService, &id).await
}
