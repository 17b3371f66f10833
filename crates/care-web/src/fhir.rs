//! FHIR R4 endpoints of care: Patient, CareTeam, Communication, Observation
//! and Consent (read and search), mapped by [`crate::fhir_resources`]. Every
//! read goes through the care service, so only the patient's care team
//! (or break-glass) gets an answer, and every read is audited.
//!
//! Each resource is declared here ([`PATIENT`], …) with exactly the search
//! parameters its handler reads; `/fhir/metadata` lists the same
//! declarations, and [`Search`] refuses or reports any other parameter.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use renkei_care::model::{Member, Patient, Post};
use renkei_domain::people::Permission;
use renkei_domain::{ConsentId, OrgId, PatientId, PostId, Timestamp, UserId, ValidationErrors};
use renkei_identity::Principal;
use renkei_interop::{FhirResource, SearchParam};
use serde_json::Value;

use crate::fhir_resources::{self as fhir, References};
use crate::CareState;
use renkei_web_kit::auth::Ctx;
use renkei_web_kit::fhir::{fhir_json, Search, Token};
use renkei_web_kit::{CurrentUser, WebError};

const TEAM_ONLY: Option<&str> =
    Some("Only members of the patient's care team under consent; every read is audited.");

const PATIENT_PARAM: SearchParam = SearchParam {
    name: "patient",
    kind: "reference",
    documentation: "required: Patient/123 or 123",
};

/// Patient (JP_Patient): the patients the user may see.
pub const PATIENT: FhirResource = FhirResource {
    kind: "Patient",
    interactions: &["read", "search-type"],
    profile: Some("JP_Patient"),
    search: &[
        SearchParam {
            name: "name",
            kind: "string",
            documentation: "氏名・ふりがな（全角半角・ひらがなカタカナの違いを無視）",
        },
        SearchParam {
            name: "identifier",
            kind: "token",
            documentation: "urn:renkei:sid:patient|id or \
                            urn:renkei:sid:care-insurance-insured-number|被保険者番号; \
                            value alone matches either; a comma means or",
        },
    ],
    documentation: TEAM_ONLY,
};
/// CareTeam: one per patient, its id the patient's.
pub const CARE_TEAM: FhirResource = FhirResource {
    kind: "CareTeam",
    interactions: &["read", "search-type"],
    profile: None,
    search: &[PATIENT_PARAM],
    documentation: TEAM_ONLY,
};
/// Communication: the timeline's posts, newest first.
pub const COMMUNICATION: FhirResource = FhirResource {
    kind: "Communication",
    interactions: &["read", "search-type"],
    profile: None,
    search: &[PATIENT_PARAM],
    documentation: TEAM_ONLY,
};
/// Observation (JP_Observation_VitalSigns): the vital signs of posts.
pub const OBSERVATION: FhirResource = FhirResource {
    kind: "Observation",
    interactions: &["read", "search-type"],
    profile: Some("JP_Observation_VitalSigns"),
    search: &[
        PATIENT_PARAM,
        SearchParam {
            name: "code",
            kind: "token",
            documentation: "LOINC of the Observation (http://loinc.org|8310-5 or 8310-5; \
                            85354-9 for blood pressure); a comma means or",
        },
        SearchParam {
            name: "component-code",
            kind: "token",
            documentation: "LOINC of a component (8480-6 systolic, 8462-4 diastolic)",
        },
    ],
    documentation: Some(
        "Only members of the patient's care team who see clinical records, \
         under consent; every read is audited.",
    ),
};
/// Consent: the patient's consents to share, withdrawn ones included.
pub const CONSENT: FhirResource = FhirResource {
    kind: "Consent",
    interactions: &["read", "search-type"],
    profile: None,
    search: &[PATIENT_PARAM],
    documentation: TEAM_ONLY,
};

/// The `patient` search parameter (`123` or `Patient/123`), required for
/// the per-patient resources.
fn patient_param(search: &Search) -> Result<PatientId, WebError> {
    let raw = search.get("patient");
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

fn base(state: &CareState) -> &str {
    &state.care.config().public_url
}

/// A search about a patient who does not exist finds nothing: FHIR
/// answers it with an empty Bundle, not 404. A patient outside the user's
/// teams answers exactly the same (the service has audited the refusal
/// and answers NotFound, as every patient route does), so a search cannot
/// tell the two apart.
fn found<T>(r: Result<T, renkei_care::CareError>) -> Result<Option<T>, WebError> {
    match r {
        Ok(t) => Ok(Some(t)),
        Err(renkei_care::CareError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What the references of an answer to `p` need: the organisations'
/// names, their directory entries when `p` may read the directory, and
/// which of `people` `p` can read as Practitioners.
async fn references(
    state: &CareState,
    p: &Principal,
    orgs: &[OrgId],
    people: &[UserId],
) -> Result<References, WebError> {
    let mut orgs = orgs.to_vec();
    orgs.sort_unstable();
    orgs.dedup();
    let org_names = state.care.organisation_names(&orgs).await?;
    let org_entries = if p.role.may(Permission::ViewProfessionalDirectory) {
        state.directory.entries_of_organisations(&orgs).await?
    } else {
        Default::default()
    };
    let practitioners = state.identity.visible_practitioners(p, people).await?;
    Ok(References {
        org_names,
        org_entries,
        practitioners,
    })
}

fn member_orgs(members: &[Member]) -> Vec<OrgId> {
    members.iter().filter_map(|m| m.org_id).collect()
}

fn member_ids(members: &[Member]) -> Vec<UserId> {
    members.iter().map(|m| m.user_id).collect()
}

fn author_ids(posts: &[Post]) -> Vec<UserId> {
    posts.iter().map(|x| x.author_id).collect()
}

pub async fn search_patient(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    crate::posts::require_care_role(&p)?;
    let search = Search::parse(&PATIENT, raw.as_deref(), &headers)?;
    let name = renkei_domain::text::fold(search.get("name"));
    let identifiers = search.tokens("identifier");
    let patients = state
        .care
        .accessible_patients(&p, &rc, Timestamp::now())
        .await?;
    let list: Vec<Patient> = patients
        .into_iter()
        .map(|(pt, _)| pt)
        .filter(|pt| {
            name.is_empty()
                || renkei_domain::text::fold(&pt.record.name).contains(&name)
                || renkei_domain::text::fold(&pt.record.kana).contains(&name)
        })
        .filter(|pt| {
            identifiers.is_empty()
                || identifiers.iter().any(|t| {
                    t.matches(fhir::PATIENT_ID_SYSTEM, &pt.id.to_string())
                        || (!pt.record.insured_number.is_empty()
                            && t.matches(fhir::CARE_INSURED_SYSTEM, &pt.record.insured_number))
                })
        })
        .collect();
    let (page, total) = search.page(list);
    let refs = references(
        &state,
        &p,
        &page
            .iter()
            .map(|pt| pt.registering_org_id)
            .collect::<Vec<_>>(),
        &[],
    )
    .await?;
    let more = search.offset + page.len() < total;
    let resources = page.iter().map(|pt| fhir::patient(pt, &refs)).collect();
    Ok(search.bundle(base(&state), resources, Some(total), more))
}

pub async fn read_patient(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: PatientId = id.parse().map_err(|_| WebError::NotFound)?;
    let (pt, _) = state.care.patient(&p, &rc, id, Timestamp::now()).await?;
    let refs = references(&state, &p, &[pt.registering_org_id], &[]).await?;
    Ok(fhir_json(StatusCode::OK, fhir::patient(&pt, &refs)))
}

pub async fn search_care_team(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    crate::posts::require_care_role(&p)?;
    let search = Search::parse(&CARE_TEAM, raw.as_deref(), &headers)?;
    let pid = patient_param(&search)?;
    let Some((pt, members)) = found(
        state
            .care
            .team_for_fhir(&p, &rc, pid, Timestamp::now())
            .await,
    )?
    else {
        return Ok(search.bundle_all(base(&state), Vec::<Value>::new(), |v| v));
    };
    let refs = references(&state, &p, &member_orgs(&members), &member_ids(&members)).await?;
    Ok(
        search.bundle_all(base(&state), vec![(pt, members)], |(pt, members)| {
            fhir::care_team(&pt, &members, &refs)
        }),
    )
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
    let refs = references(&state, &p, &member_orgs(&members), &member_ids(&members)).await?;
    Ok(fhir_json(
        StatusCode::OK,
        fhir::care_team(&pt, &members, &refs),
    ))
}

pub async fn search_communication(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    crate::posts::require_care_role(&p)?;
    let search = Search::parse(&COMMUNICATION, raw.as_deref(), &headers)?;
    let pid = patient_param(&search)?;
    let Some((pt, posts, total)) = found(
        state
            .care
            .patient_posts_page(&p, &rc, pid, search.count, search.offset, Timestamp::now())
            .await,
    )?
    else {
        return Ok(search.bundle(base(&state), Vec::new(), Some(0), false));
    };
    let more = search.offset + posts.len() < total && search.count > 0;
    let refs = references(&state, &p, &[], &author_ids(&posts)).await?;
    let list = posts
        .iter()
        .map(|x| fhir::communication(pt.id, x, &refs))
        .collect();
    Ok(search.bundle(base(&state), list, Some(total), more))
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
    let refs = references(&state, &p, &[], &[post.author_id]).await?;
    Ok(fhir_json(
        StatusCode::OK,
        fhir::communication(pt.id, &post, &refs),
    ))
}

/// The (system, code) pairs of a CodeableConcept.
fn codings(concept: &Value) -> Vec<(&str, &str)> {
    concept["coding"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|x| {
                    (
                        x["system"].as_str().unwrap_or(""),
                        x["code"].as_str().unwrap_or(""),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether one of `tokens` matches the Observation's code (`code`) or one
/// of its components' codes (`component-code`); no tokens match all.
fn matches_code(observation: &Value, tokens: &[Token], components: bool) -> bool {
    if tokens.is_empty() {
        return true;
    }
    let pairs: Vec<(&str, &str)> = if components {
        observation["component"]
            .as_array()
            .map(|c| c.iter().flat_map(|x| codings(&x["code"])).collect())
            .unwrap_or_default()
    } else {
        codings(&observation["code"])
    };
    tokens
        .iter()
        .any(|t| pairs.iter().any(|(system, code)| t.matches(system, code)))
}

pub async fn search_observation(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    crate::posts::require_care_role(&p)?;
    let search = Search::parse(&OBSERVATION, raw.as_deref(), &headers)?;
    let pid = patient_param(&search)?;
    let codes = search.tokens("code");
    let component_codes = search.tokens("component-code");
    let Some((pt, posts)) = found(
        state
            .care
            .patient_vitals(&p, &rc, pid, Timestamp::now())
            .await,
    )?
    else {
        return Ok(search.bundle(base(&state), Vec::new(), Some(0), false));
    };
    let refs = references(&state, &p, &[], &author_ids(&posts)).await?;
    let list: Vec<Value> = posts
        .iter()
        .flat_map(|x| fhir::observations(pt.id, x, &refs))
        .filter(|o| matches_code(o, &codes, false) && matches_code(o, &component_codes, true))
        .collect();
    Ok(search.bundle_all(base(&state), list, |o| o))
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
    let refs = references(&state, &p, &[], &[post.author_id]).await?;
    let obs = fhir::observation(pt.id, &post, code, &refs).ok_or(WebError::NotFound)?;
    Ok(fhir_json(StatusCode::OK, obs))
}

pub async fn search_consent(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    crate::posts::require_care_role(&p)?;
    let search = Search::parse(&CONSENT, raw.as_deref(), &headers)?;
    let pid = patient_param(&search)?;
    let Some(v) = found(
        state
            .care
            .consent_view(&p, &rc, pid, Timestamp::now())
            .await,
    )?
    else {
        return Ok(search.bundle(base(&state), Vec::new(), Some(0), false));
    };
    let mut orgs: Vec<OrgId> = v
        .consents
        .iter()
        .flat_map(|c| c.coverage.org_ids.iter().copied())
        .collect();
    orgs.push(v.patient.registering_org_id);
    let refs = references(&state, &p, &orgs, &[]).await?;
    let custodian = v.patient.registering_org_id;
    Ok(search.bundle_all(base(&state), v.consents, |c| {
        fhir::consent(&c, custodian, &refs)
    }))
}

pub async fn read_consent(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: ConsentId = id.parse().map_err(|_| WebError::NotFound)?;
    let (pt, consent) = state
        .care
        .consent_for_fhir(&p, &rc, id, Timestamp::now())
        .await?;
    let mut orgs = consent.coverage.org_ids.clone();
    orgs.push(pt.registering_org_id);
    let refs = references(&state, &p, &orgs, &[]).await?;
    Ok(fhir_json(
        StatusCode::OK,
        fhir::consent(&consent, pt.registering_org_id, &refs),
    ))
}
