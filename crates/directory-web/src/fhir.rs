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
use serde_json::Value;

use crate::DirectoryState;
use renkei_web_kit::fhir::fhir_json;
use renkei_web_kit::{CurrentUser, FormData, WebError};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Organization,
    Location,
    HealthcareService,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Organization => "Organization",
            Kind::Location => "Location",
            Kind::HealthcareService => "HealthcareService",
        }
    }
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

/// The token's code: `system|code` or `code`.
fn token(v: &str) -> &str {
    v.rsplit('|').next().unwrap_or(v)
}

async fn search_kind(
    state: &DirectoryState,
    p: &renkei_identity::Principal,
    kind: Kind,
    raw: Option<String>,
) -> Result<Response, WebError> {
    if !p.role.may(Permission::ViewProfessionalDirectory) {
        return Err(WebError::Forbidden);
    }
    let raw = raw.unwrap_or_default();
    let form = FormData::parse(raw.as_bytes())?;
    let mut v = ValidationErrors::new();
    let count = match form.get("_count") {
        "" => 20,
        c => c
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .unwrap_or_else(|| {
                v.add(
                    "_count",
                    "range",
                    "_count は1〜100です。",
                    "_count must be 1 to 100.",
                );
                20
            }),
    };
    let offset = match form.get("_offset") {
        "" => 0,
        o => o
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= 10_000)
            .unwrap_or_else(|| {
                v.add(
                    "_offset",
                    "range",
                    "_offset は0〜10000です。",
                    "_offset must be 0 to 10000.",
                );
                0
            }),
    };
    let kind_code = token(form.get("type")).to_string();
    if !kind_code.is_empty() && OrgKind::from_code(&kind_code).is_none() {
        v.add(
            "type",
            "unknown",
            "種別が正しくありません。",
            "Unknown type.",
        );
    }
    let service = token(form.get("service-type")).to_string();
    if !service.is_empty() && renkei_domain::directory::service_name(&service).is_none() {
        v.add(
            "service-type",
            "unknown",
            "サービス種類コードが正しくありません。",
            "Unknown service-type.",
        );
    }
    let mut near = None;
    let mut radius = None;
    if !form.get("near").is_empty() {
        if kind != Kind::Location {
            v.add(
                "near",
                "unsupported",
                "near は Location でのみ使えます。",
                "near is supported on Location only.",
            );
        }
        let parts: Vec<&str> = form.get("near").split('|').collect();
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
    let index = state.directory.current();
    let identifier = token(form.get("identifier")).to_string();
    // An identifier search returns every match; a paged index search
    // does not count them all (no total).
    let (entries, next, complete): (Vec<Entry>, Option<usize>, bool) = if !identifier.is_empty() {
        let ids = state
            .directory_service
            .ids_by_official_code(&identifier)
            .await?;
        let list: Vec<Entry> = ids.iter().filter_map(|id| index.get(*id)).collect();
        (list, None, true)
    } else {
        let page = index.search(&search::Query {
            text: Some(form.get("name").to_string()).filter(|s| !s.is_empty()),
            kind: Some(kind_code).filter(|s| !s.is_empty()),
            service: Some(service).filter(|s| !s.is_empty()),
            near,
            radius_km: radius,
            offset,
            limit: count,
            ..search::Query::default()
        });
        let complete = offset == 0 && page.next_offset.is_none();
        (
            page.items.into_iter().map(|h| h.entry).collect(),
            page.next_offset,
            complete,
        )
    };
    let ids: Vec<EntryId> = entries.iter().map(|e| e.id).collect();
    let codes = state.directory_service.codes_of(&ids).await?;
    let base = base_url(state);
    let self_url = format!("{base}/fhir/{}?{raw}", kind.name());
    let next_url = next.map(|o| {
        let pairs: Vec<(String, String)> = form
            .0
            .iter()
            .filter(|(k, _)| k != "_offset")
            .cloned()
            .chain([("_offset".to_string(), o.to_string())])
            .collect();
        format!(
            "{base}/fhir/{}?{}",
            kind.name(),
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    });
    let resources: Vec<Value> = entries.iter().map(|e| resource(kind, e, &codes)).collect();
    let total = complete.then_some(resources.len());
    Ok(fhir_json(
        StatusCode::OK,
        renkei_interop::searchset(&base, &self_url, next_url, resources, total),
    ))
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
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    search_kind(&state, &p, Kind::Organization, raw).await
}

pub async fn search_location(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    search_kind(&state, &p, Kind::Location, raw).await
}

pub async fn search_healthcare_service(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    search_kind(&state, &p, Kind::HealthcareService, raw).await
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
