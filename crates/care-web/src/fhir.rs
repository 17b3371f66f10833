//! FHIR R4 endpoints of care: Patient, CareTeam, Communication, Observation
//! and Consent (read and search), mapped by [`crate::fhir_resources`]. Every
//! read goes through the care service, so only the patient's care team
//! (or break-glass) gets an answer, and every read is audited.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use renkei_domain::{ConsentId, OrgId, PatientId, PostId, Timestamp, ValidationErrors};
use serde_json::Value;

use crate::fhir_resources as fhir;
use crate::CareState;
use renkei_web_kit::auth::Ctx;
use renkei_web_kit::fhir::{fhir_json, parse_query};
use renkei_web_kit::{CurrentUser, FormData, WebError};

/// The `patient` search parameter (`123` or `Patient/123`), required for
/// the per-patient resources.
fn patient_param(f: &FormData) -> Result<PatientId, WebError> {
    let raw = f.get("patient").trim();
    let id = raw.strip_prefix("Patient/").unwrap_or(raw);
    id.parse::<PatientId>().map_err(|_| {
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

/// `_count`: 1 to 100 (20 when not given); a larger number is taken as 100.
fn count_param(f: &FormData) -> Result<i64, WebError> {
    match f.get("_count").trim() {
        "" => Ok(20),
        s => s.parse::<i64>().map(|n| n.clamp(1, 100)).map_err(|_| {
            let mut e = ValidationErrors::new();
            e.add(
                "_count",
                "number",
                "_count は1〜100の数です。",
                "_count must be a number from 1 to 100.",
            );
            WebError::Validation(e)
        }),
    }
}

/// A searchset of `resources`; `complete` when they are every match.
fn bundle(state: &CareState, self_url: &str, resources: Vec<Value>, complete: bool) -> Response {
    renkei_web_kit::fhir::bundle(
        &state.care.config().public_url,
        self_url,
        resources,
        complete,
    )
}

pub async fn search_patient(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    crate::posts::require_care_role(&p)?;
    let f = parse_query(raw)?;
    let name = renkei_domain::text::fold(f.get("name"));
    let patients = state
        .care
        .accessible_patients(&p, &rc, Timestamp::now())
        .await?;
    let list = patients
        .iter()
        .filter(|(pt, _)| {
            name.is_empty()
                || renkei_domain::text::fold(&pt.record.name).contains(&name)
                || renkei_domain::text::fold(&pt.record.kana).contains(&name)
        })
        .map(|(pt, _)| fhir::patient(pt))
        .collect();
    Ok(bundle(&state, "/fhir/Patient", list, true))
}

pub async fn read_patient(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: PatientId = id.parse().map_err(|_| WebError::NotFound)?;
    let (pt, _) = state.care.patient(&p, &rc, id, Timestamp::now()).await?;
    Ok(fhir_json(StatusCode::OK, fhir::patient(&pt)))
}

pub async fn search_care_team(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let pid = patient_param(&parse_query(raw)?)?;
    let (pt, members) = state
        .care
        .team_for_fhir(&p, &rc, pid, Timestamp::now())
        .await?;
    Ok(bundle(
        &state,
        &format!("/fhir/CareTeam?patient={pid}"),
        vec![fhir::care_team(&pt, &members)],
        true,
    ))
}

pub async fn read_care_team(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: PatientId = id.parse().map_err(|_| WebError::NotFound)?;
    let (pt, members) = state
        .care
        .team_for_fhir(&p, &rc, id, Timestamp::now())
        .await?;
    Ok(fhir_json(StatusCode::OK, fhir::care_team(&pt, &members)))
}

pub async fn search_communication(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let f = parse_query(raw)?;
    let pid = patient_param(&f)?;
    let (pt, posts) = state
        .care
        .patient_posts(&p, &rc, pid, false, count_param(&f)?, Timestamp::now())
        .await?;
    let list = posts
        .iter()
        .map(|x| fhir::communication(pt.id, x))
        .collect();
    Ok(bundle(
        &state,
        &format!("/fhir/Communication?patient={pid}"),
        list,
        false,
    ))
}

pub async fn read_communication(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: PostId = id.parse().map_err(|_| WebError::NotFound)?;
    let (pt, post, _) = state
        .care
        .post_for_fhir(&p, &rc, id, Timestamp::now())
        .await?;
    Ok(fhir_json(StatusCode::OK, fhir::communication(pt.id, &post)))
}

pub async fn search_observation(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let f = parse_query(raw)?;
    let pid = patient_param(&f)?;
    let code = token(f.get("code")).to_string();
    let (pt, posts) = state
        .care
        .patient_posts(&p, &rc, pid, true, count_param(&f)?, Timestamp::now())
        .await?;
    let list = posts
        .iter()
        .flat_map(|x| fhir::observations(pt.id, x))
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
        false,
    ))
}

pub async fn read_observation(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (post_id, code) = id.split_once('-').ok_or(WebError::NotFound)?;
    let post_id: PostId = post_id.parse().map_err(|_| WebError::NotFound)?;
    let (pt, post, access) = state
        .care
        .post_for_fhir(&p, &rc, post_id, Timestamp::now())
        .await?;
    if !access.sees_clinical() {
        return Err(WebError::Forbidden);
    }
    let obs = fhir::observation(pt.id, &post, code).ok_or(WebError::NotFound)?;
    Ok(fhir_json(StatusCode::OK, obs))
}

pub async fn search_consent(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let pid = patient_param(&parse_query(raw)?)?;
    let v = state
        .care
        .consent_view(&p, &rc, pid, Timestamp::now())
        .await?;
    let names = |o: OrgId| {
        v.organisations
            .iter()
            .find(|(i, _)| *i == o)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| format!("organisation #{o}"))
    };
    let list = v
        .consents
        .iter()
        .map(|c| fhir::consent(c, &names))
        .collect();
    Ok(bundle(
        &state,
        &format!("/fhir/Consent?patient={pid}"),
        list,
        true,
    ))
}

pub async fn read_consent(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: ConsentId = id.parse().map_err(|_| WebError::NotFound)?;
    let (_, consent) = state
        .care
        .consent_for_fhir(&p, &rc, id, Timestamp::now())
        .await?;
    let names = |o: OrgId| format!("organisation #{o}");
    Ok(fhir_json(StatusCode::OK, fhir::consent(&consent, &names)))
}

/// The token's code: `system|code` or `code`.
fn token(v: &str) -> &str {
    v.rsplit('|').next().unwrap_or(v)
}
