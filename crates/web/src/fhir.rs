//! FHIR R4 endpoints for the resource directory: Organization, Location
//! and HealthcareService (read and search) and the CapabilityStatement.
//! Search runs on the same in-process index as the directory pages.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use renkei_directory::search::{self, Entry};
use renkei_domain::people::Permission;
use renkei_domain::{OrgKind, ValidationErrors};
use renkei_interop::directory as fhir;
use serde_json::Value;

use crate::auth::CurrentUser;
use crate::form::FormData;
use crate::{AppState, WebError};

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

fn fhir_json(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/fhir+json; charset=utf-8"),
    );
    r
}

fn base_url(state: &AppState) -> String {
    state
        .directory_service
        .config()
        .public_url
        .trim_end_matches('/')
        .to_string()
}

fn resource(kind: Kind, e: &Entry, codes: &HashMap<i64, (String, String)>) -> Value {
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
    state: &AppState,
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
    let (entries, next): (Vec<Entry>, Option<usize>) = if !identifier.is_empty() {
        let ids = state
            .directory_service
            .ids_by_official_code(&identifier)
            .await?;
        let list: Vec<Entry> = ids.iter().filter_map(|id| index.get(*id)).collect();
        (list, None)
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
        (
            page.items.into_iter().map(|h| h.entry).collect(),
            page.next_offset,
        )
    };
    let ids: Vec<i64> = entries.iter().map(|e| e.id).collect();
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
    let resources = entries.iter().map(|e| resource(kind, e, &codes)).collect();
    Ok(fhir_json(
        StatusCode::OK,
        &fhir::searchset(&base, &self_url, next_url, resources),
    ))
}

async fn read_kind(
    state: &AppState,
    p: &renkei_identity::Principal,
    kind: Kind,
    id: &str,
) -> Result<Response, WebError> {
    if !p.role.may(Permission::ViewProfessionalDirectory) {
        return Err(WebError::Forbidden);
    }
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let entry = state
        .directory_service
        .entry_for_interop(id)
        .await?
        .ok_or(WebError::NotFound)?;
    let codes = state.directory_service.codes_of(&[id]).await?;
    Ok(fhir_json(StatusCode::OK, &resource(kind, &entry, &codes)))
}

pub async fn search_organization(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    search_kind(&state, &p, Kind::Organization, raw).await
}

pub async fn search_location(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    search_kind(&state, &p, Kind::Location, raw).await
}

pub async fn search_healthcare_service(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    search_kind(&state, &p, Kind::HealthcareService, raw).await
}

pub async fn read_organization(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    read_kind(&state, &p, Kind::Organization, &id).await
}

pub async fn read_location(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    read_kind(&state, &p, Kind::Location, &id).await
}

pub async fn read_healthcare_service(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    read_kind(&state, &p, Kind::HealthcareService, &id).await
}

/// The CapabilityStatement: open to everyone, as FHIR expects.
pub async fn metadata(State(state): State<AppState>) -> Response {
    fhir_json(
        StatusCode::OK,
        &fhir::capability_statement(&base_url(&state), env!("CARGO_PKG_VERSION")),
    )
}

// ---------------------------------------------------------------- care

/// The `patient` search parameter (`123` or `Patient/123`), required for
/// the per-patient resources.
fn patient_param(f: &FormData) -> Result<i64, WebError> {
    let raw = f.get("patient").trim();
    let id = raw.strip_prefix("Patient/").unwrap_or(raw);
    id.parse::<i64>().map_err(|_| {
        let mut e = ValidationErrors::new();
        e.add(
            "patient",
            "required",
            "patient（患者ID）を指定してください。",
            "Give the patient search parameter (Patient/123 or 123).",
        );
        WebError::Validation(e)
    })
}

fn count_param(f: &FormData) -> Result<i64, WebError> {
    match f.get("_count").trim() {
        "" => Ok(20),
        s => s
            .parse::<i64>()
            .map(|n| n.clamp(1, 100))
            .map_err(|_| WebError::BadRequest("_count must be a number".into())),
    }
}

fn parse_query(raw: Option<String>) -> Result<FormData, WebError> {
    FormData::parse(raw.unwrap_or_default().as_bytes())
}

fn bundle(state: &AppState, self_url: &str, resources: Vec<Value>) -> Response {
    let base = base_url(state);
    fhir_json(
        StatusCode::OK,
        &fhir::searchset(&base, &format!("{base}{self_url}"), None, resources),
    )
}

pub async fn search_patient(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    crate::auth::Ctx(rc): crate::auth::Ctx,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    crate::care::require_care_role(&p)?;
    let f = parse_query(raw)?;
    let name = renkei_domain::text::fold(f.get("name"));
    let patients = state.care.accessible_patients(&p, &rc).await?;
    let list = patients
        .iter()
        .filter(|(pt, _)| {
            name.is_empty()
                || renkei_domain::text::fold(&pt.fields.name).contains(&name)
                || renkei_domain::text::fold(&pt.fields.kana).contains(&name)
        })
        .map(|(pt, _)| renkei_interop::care::patient(pt))
        .collect();
    Ok(bundle(&state, "/fhir/Patient", list))
}

pub async fn read_patient(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    crate::auth::Ctx(rc): crate::auth::Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let (pt, _) = state.care.patient(&p, &rc, id).await?;
    Ok(fhir_json(
        StatusCode::OK,
        &renkei_interop::care::patient(&pt),
    ))
}

pub async fn search_care_team(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    crate::auth::Ctx(rc): crate::auth::Ctx,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let pid = patient_param(&parse_query(raw)?)?;
    let (pt, members) = state.care.team_for_fhir(&p, &rc, pid).await?;
    Ok(bundle(
        &state,
        &format!("/fhir/CareTeam?patient={pid}"),
        vec![renkei_interop::care::care_team(&pt, &members)],
    ))
}

pub async fn read_care_team(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    crate::auth::Ctx(rc): crate::auth::Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let (pt, members) = state.care.team_for_fhir(&p, &rc, id).await?;
    Ok(fhir_json(
        StatusCode::OK,
        &renkei_interop::care::care_team(&pt, &members),
    ))
}

pub async fn search_communication(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    crate::auth::Ctx(rc): crate::auth::Ctx,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let f = parse_query(raw)?;
    let pid = patient_param(&f)?;
    let (pt, posts) = state
        .care
        .patient_posts(&p, &rc, pid, false, count_param(&f)?)
        .await?;
    let list = posts
        .iter()
        .map(|x| renkei_interop::care::communication(pt.id, x))
        .collect();
    Ok(bundle(
        &state,
        &format!("/fhir/Communication?patient={pid}"),
        list,
    ))
}

pub async fn read_communication(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    crate::auth::Ctx(rc): crate::auth::Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let (pt, post, _) = state.care.post_for_fhir(&p, &rc, id).await?;
    Ok(fhir_json(
        StatusCode::OK,
        &renkei_interop::care::communication(pt.id, &post),
    ))
}

pub async fn search_observation(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    crate::auth::Ctx(rc): crate::auth::Ctx,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let f = parse_query(raw)?;
    let pid = patient_param(&f)?;
    let code = token(f.get("code")).to_string();
    let (pt, posts) = state
        .care
        .patient_posts(&p, &rc, pid, true, count_param(&f)?)
        .await?;
    let list = posts
        .iter()
        .flat_map(|x| renkei_interop::care::observations(pt.id, x))
        .filter(|o| {
            code.is_empty()
                || o["code"]["coding"][0]["code"] == code.as_str()
                || o["component"].as_array().is_some_and(|c| {
                    c.iter()
                        .any(|x| x["code"]["coding"][0]["code"] == code.as_str())
                })
        })
        .collect();
    Ok(bundle(
        &state,
        &format!("/fhir/Observation?patient={pid}"),
        list,
    ))
}

pub async fn read_observation(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    crate::auth::Ctx(rc): crate::auth::Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (post_id, code) = id.split_once('-').ok_or(WebError::NotFound)?;
    let post_id: i64 = post_id.parse().map_err(|_| WebError::NotFound)?;
    let (pt, post, access) = state.care.post_for_fhir(&p, &rc, post_id).await?;
    if !access.sees_clinical() {
        return Err(WebError::Forbidden);
    }
    let obs = renkei_interop::care::observation(pt.id, &post, code).ok_or(WebError::NotFound)?;
    Ok(fhir_json(StatusCode::OK, &obs))
}

pub async fn search_consent(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    crate::auth::Ctx(rc): crate::auth::Ctx,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let pid = patient_param(&parse_query(raw)?)?;
    let v = state.care.consent_view(&p, &rc, pid).await?;
    let names = |o: i64| {
        v.organisations
            .iter()
            .find(|(i, _)| *i == o)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| format!("organisation #{o}"))
    };
    let list = v
        .consents
        .iter()
        .map(|c| renkei_interop::care::consent(c, &names))
        .collect();
    Ok(bundle(
        &state,
        &format!("/fhir/Consent?patient={pid}"),
        list,
    ))
}

pub async fn read_consent(
    State(state): State<AppState>,
    CurrentUser(p): CurrentUser,
    crate::auth::Ctx(rc): crate::auth::Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let (_, consent) = state.care.consent_for_fhir(&p, &rc, id).await?;
    let names = |o: i64| format!("organisation #{o}");
    Ok(fhir_json(
        StatusCode::OK,
        &renkei_interop::care::consent(&consent, &names),
    ))
}
