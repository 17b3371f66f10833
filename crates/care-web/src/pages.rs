//! The care pages: my patients and groups with unread counts, registering a
//! patient, the timeline with its one-handed posting form, vital-sign
//! charts, the shared summary, the team, consent, break-glass, and
//! notification settings.

// The page helpers take the request's parts (state, user, page context,
// audit context) plus what they re-render after a refusal.
#![allow(clippy::too_many_arguments)]

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use renkei_care::model::{
    BreakGlassRequest, CategoryFilter, ConsentInput, Contact, PatientInput, PostDetail,
    Preferences, SpaceCard, SummaryFields, TimelineQuery,
};
use renkei_care::CareError;
use renkei_domain::care::{
    BreakGlassReason, CareApplication, CareLevel, DementiaIndependence, Household, MemberStatus,
    PhysicalIndependence, PostCategory, Sex, SpaceKind, TeamRole, VITAL_SIGNS,
};
use renkei_domain::people::Permission;
use renkei_domain::{
    AttachmentId, ConsentId, OrgId, PatientId, PostId, Profession, SpaceId, Timestamp, UserId,
    ValidationErrors,
};
use renkei_identity::Principal;
use serde::Deserialize;

use crate::posts::{new_key, post_card, post_input, PostCard, UploadForm};
use crate::CareState;
use renkei_web_kit::auth::{Ctx, CurrentUser, PageCtx};
use renkei_web_kit::page::{ok, render};
use renkei_web_kit::FormData;
use renkei_web_kit::Layout;
use renkei_web_kit::WebError;

fn age(birth: &str) -> String {
    let today = Timestamp::now().to_jst_display();
    let (Some(b), Some(t)) = (birth.get(0..10), today.get(0..10)) else {
        return String::new();
    };
    let by: i32 = b[0..4].parse().unwrap_or(0);
    let ty: i32 = t[0..4].parse().unwrap_or(0);
    let mut years = ty - by;
    if t[5..10] < b[5..10] {
        years -= 1;
    }
    if by == 0 {
        String::new()
    } else {
        years.to_string()
    }
}

/// The line under a patient's name: age, sex, care level.
pub struct PatientHeader {
    pub id: PatientId,
    pub name: String,
    pub kana: String,
    pub age: String,
    pub sex: String,
    pub care_level: String,
}

fn header_of(lang: &str, p: &renkei_care::model::Patient) -> PatientHeader {
    PatientHeader {
        id: p.id,
        name: p.record.name.clone(),
        kana: p.record.kana.clone(),
        age: age(&p.record.birth_date),
        sex: p.record.sex.label(lang).to_string(),
        care_level: p.record.care_level.label(lang).to_string(),
    }
}

// ---------------------------------------------------------------- my lists

#[derive(Template)]
#[template(path = "care/patients.html")]
struct PatientsPage {
    l: Layout,
    patients: Vec<SpaceCard>,
    invitations: Vec<SpaceCard>,
    may_register: bool,
    may_break_glass: bool,
    break_glass: Vec<(PatientId, String, String)>,
    total_unread: i64,
}

pub async fn patients(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
) -> Result<Response, WebError> {
    crate::posts::require_care_role(&p)?;
    let l = Layout::new(
        &ctx,
        if ctx.lang.code() == "en" {
            "Patients"
        } else {
            "担当患者"
        },
    );
    let spaces = state.care.my_spaces(&p, &rc).await?;
    let (invitations, rest): (Vec<_>, Vec<_>) = spaces
        .into_iter()
        .partition(|s| s.status == MemberStatus::Invited);
    let patients: Vec<SpaceCard> = rest
        .into_iter()
        .filter(|s| s.kind == SpaceKind::Patient)
        .collect();
    let total_unread = patients.iter().map(|s| s.unread).sum();
    let break_glass = state
        .care
        .active_break_glass(&p, Timestamp::now())
        .await?
        .into_iter()
        .map(|b| {
            (
                b.patient_id,
                b.patient_name,
                Timestamp(b.expires_at).to_jst_display(),
            )
        })
        .collect();
    ok(&PatientsPage {
        l,
        patients,
        invitations,
        may_register: p.role.may(Permission::RegisterPatients),
        may_break_glass: p.role.may(Permission::BreakGlass),
        break_glass,
        total_unread,
    })
}

// ---------------------------------------------------- patient's record

#[derive(Template)]
#[template(path = "care/patient_form.html")]
struct PatientFormPage {
    l: Layout,
    action: String,
    new: bool,
    f: PatientInput,
    contacts: Vec<Contact>,
    errors: ValidationErrors,
    orgs: Vec<(OrgId, String)>,
    org_id: Option<OrgId>,
    team_role: String,
    sexes: &'static [Sex],
    levels: &'static [CareLevel],
    applications: &'static [CareApplication],
    households: &'static [Household],
    physical: &'static [PhysicalIndependence],
    dementia: &'static [DementiaIndependence],
    roles: Vec<TeamRole>,
}

impl PatientFormPage {
    /// Whether `id` is the organisation chosen.
    fn is_org(&self, id: &OrgId) -> bool {
        self.org_id == Some(*id)
    }
}

/// The record as the form sent it. The form's fields are named as the
/// record's (a field left out is empty); the contacts are rows of three.
fn patient_input(f: &FormData) -> Result<PatientInput, WebError> {
    let mut fields = match serde_json::to_value(PatientInput::default()) {
        Ok(serde_json::Value::Object(fields)) => fields,
        _ => return Err(WebError::Internal("the patient form's fields".into())),
    };
    for (name, value) in fields.iter_mut() {
        if let serde_json::Value::String(text) = value {
            *text = f.get(name).to_string();
        }
    }
    let mut input: PatientInput = serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|e| WebError::BadRequest(e.to_string()))?;
    input.contacts = (0..3)
        .map(|i| Contact {
            name: f.get(&format!("contact_{i}_name")).to_string(),
            relation: f.get(&format!("contact_{i}_relation")).to_string(),
            phone: f.get(&format!("contact_{i}_phone")).to_string(),
            key_person: f.get(&format!("contact_{i}_key")) == "on",
            emergency: f.get(&format!("contact_{i}_emergency")) == "on",
        })
        .collect();
    Ok(input)
}

fn padded(mut c: Vec<Contact>) -> Vec<Contact> {
    while c.len() < 3 {
        c.push(Contact::default());
    }
    c
}

async fn my_orgs(state: &CareState, p: &Principal) -> Result<Vec<(OrgId, String)>, WebError> {
    let orgs = state.identity.organisations_of(p).await?;
    Ok(orgs.into_iter().map(|o| (OrgId(o.id), o.name)).collect())
}

fn professional_roles() -> Vec<TeamRole> {
    TeamRole::ALL
        .iter()
        .copied()
        .filter(|r| *r != TeamRole::Family)
        .collect()
}

fn patient_form(
    ctx: &PageCtx,
    title: &str,
    action: String,
    new: bool,
    f: PatientInput,
    errors: ValidationErrors,
    orgs: Vec<(OrgId, String)>,
    org_id: Option<OrgId>,
    team_role: String,
) -> PatientFormPage {
    PatientFormPage {
        l: Layout::new(ctx, title),
        action,
        new,
        contacts: padded(f.contacts.clone()),
        f,
        errors,
        orgs,
        org_id,
        team_role,
        sexes: Sex::ALL,
        levels: CareLevel::ALL,
        applications: CareApplication::ALL,
        households: Household::ALL,
        physical: PhysicalIndependence::ALL,
        dementia: DementiaIndependence::ALL,
        roles: professional_roles(),
    }
}

pub async fn new_patient_form(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
) -> Result<Response, WebError> {
    if !p.role.may(Permission::RegisterPatients) {
        return Err(WebError::Forbidden);
    }
    let orgs = my_orgs(&state, &p).await?;
    let first = orgs.first().map(|o| o.0);
    let title = if ctx.lang.code() == "en" {
        "Register a patient"
    } else {
        "患者の登録"
    };
    ok(&patient_form(
        &ctx,
        title,
        "/patients/new".into(),
        true,
        PatientInput {
            care_level: CareLevel::None.code().into(),
            care_application: CareApplication::NotApplied.code().into(),
            ..Default::default()
        },
        ValidationErrors::new(),
        orgs,
        first,
        "care_manager".into(),
    ))
}

pub async fn create_patient(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    let input = patient_input(&form)?;
    let org_id = form.opt_i64("org_id")?.map(OrgId);
    let role = form.get("team_role").to_string();
    match state
        .care
        .register_patient(&p, &rc, org_id, &role, &input, Timestamp::now())
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/patients/{id}/consent?new=1")).into_response()),
        Err(CareError::Validation(errors)) => {
            let orgs = my_orgs(&state, &p).await?;
            let title = if ctx.lang.code() == "en" {
                "Register a patient"
            } else {
                "患者の登録"
            };
            render(
                &patient_form(
                    &ctx,
                    title,
                    "/patients/new".into(),
                    true,
                    input,
                    errors,
                    orgs,
                    org_id,
                    role,
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn profile_form(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
) -> Result<Response, WebError> {
    let (patient, access) = state.care.patient(&p, &rc, id, Timestamp::now()).await?;
    if !access.may_write() || access.team_role() == Some(TeamRole::Family) {
        return Err(WebError::Forbidden);
    }
    let title = if ctx.lang.code() == "en" {
        "Basic information"
    } else {
        "基本情報"
    };
    ok(&patient_form(
        &ctx,
        title,
        format!("/patients/{id}/profile"),
        false,
        PatientInput::from(&patient.record),
        ValidationErrors::new(),
        Vec::new(),
        None,
        String::new(),
    ))
}

pub async fn update_profile(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    form: FormData,
) -> Result<Response, WebError> {
    let input = patient_input(&form)?;
    match state
        .care
        .update_patient(&p, &rc, id, &input, Timestamp::now())
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/patients/{id}/summary")).into_response()),
        Err(CareError::Validation(errors)) => {
            let title = if ctx.lang.code() == "en" {
                "Basic information"
            } else {
                "基本情報"
            };
            render(
                &patient_form(
                    &ctx,
                    title,
                    format!("/patients/{id}/profile"),
                    false,
                    input,
                    errors,
                    Vec::new(),
                    None,
                    String::new(),
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- timeline

/// What the posting form shows again after a refusal.
#[derive(Default)]
pub struct PostFormState {
    pub category: String,
    pub body: String,
    pub vitals: Vec<(String, String)>,
    pub urgent: bool,
    pub ack_role: String,
    pub key: String,
    /// Values outside the plausible range were found: show the confirmation.
    pub ask_confirm: bool,
}

impl PostFormState {
    fn fresh() -> Self {
        Self {
            key: new_key(),
            ..Default::default()
        }
    }
    /// The form as it was sent, to show again with the errors; the same
    /// idempotency key, so resending it cannot post twice.
    fn refused(f: &FormData, errors: &ValidationErrors) -> Self {
        let key = f.get("idempotency_key");
        Self {
            category: f.get("category").to_string(),
            body: f.get("body").to_string(),
            vitals: VITAL_SIGNS
                .iter()
                .map(|s| {
                    (
                        s.code.to_string(),
                        f.get(&format!("vital_{}", s.code)).to_string(),
                    )
                })
                .collect(),
            urgent: f.get("urgent") == "on",
            ack_role: f.get("ack_role").to_string(),
            key: if key.is_empty() {
                new_key()
            } else {
                key.to_string()
            },
            ask_confirm: errors.0.iter().any(|e| e.code == "unusual"),
        }
    }

    pub fn vital(&self, code: &str) -> &str {
        self.vitals
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

pub struct SignField {
    pub code: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub min: String,
    pub max: String,
}

#[derive(Template)]
#[template(path = "care/timeline.html")]
struct TimelinePage {
    l: Layout,
    base: String,
    is_group: bool,
    title: String,
    description: String,
    patient: Option<PatientHeader>,
    consent_active: bool,
    break_glass_until: String,
    may_write: bool,
    urgent: Vec<PostCard>,
    posts: Vec<PostCard>,
    next_before: Option<PostId>,
    q: String,
    category: String,
    categories: Vec<(&'static str, &'static str)>,
    ack_roles: Vec<(&'static str, &'static str)>,
    signs: Vec<SignField>,
    form: PostFormState,
    errors: ValidationErrors,
    members: usize,
    posted: bool,
}

#[derive(Deserialize, Default)]
pub struct TimelineParams {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub before: Option<PostId>,
    #[serde(default)]
    pub posted: Option<String>,
}

fn sign_fields(lang: &str) -> Vec<SignField> {
    VITAL_SIGNS
        .iter()
        .map(|s| SignField {
            code: s.code,
            label: s.label(lang),
            unit: s.unit,
            min: format!("{}", s.accept.0),
            max: format!("{}", s.accept.1),
        })
        .collect()
}

/// Whose timeline a page shows.
#[derive(Clone, Copy)]
enum Timeline {
    Patient(PatientId),
    Group(SpaceId),
}

impl Timeline {
    fn base(self) -> String {
        match self {
            Timeline::Patient(id) => format!("/patients/{id}"),
            Timeline::Group(id) => format!("/groups/{id}"),
        }
    }
}

async fn timeline_page(
    state: &CareState,
    p: &Principal,
    ctx: &PageCtx,
    rc: &renkei_identity::RequestContext,
    which: Timeline,
    params: TimelineParams,
    form: PostFormState,
    errors: ValidationErrors,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = ctx.lang.code();
    let q = TimelineQuery {
        before: params.before,
        text: (!params.q.trim().is_empty()).then(|| params.q.clone()),
        // The page ignores a category it does not know.
        category: PostCategory::from_code(&params.category)
            .map_or(CategoryFilter::Any, CategoryFilter::Only),
        limit: 0,
    };
    let v = match which {
        Timeline::Patient(id) => {
            state
                .care
                .patient_timeline(p, rc, id, q, Timestamp::now())
                .await?
        }
        Timeline::Group(id) => state.care.timeline(p, rc, id, q, Timestamp::now()).await?,
    };
    let base = which.base();
    let now = Timestamp::now().millis();
    let is_group = v.space.kind == SpaceKind::Group;
    let (title, patient) = match &v.patient {
        Some(pt) => (pt.record.name.clone(), Some(header_of(lang, pt))),
        None => (v.space.name.clone(), None),
    };
    let mut roles: Vec<(&'static str, &'static str)> = Vec::new();
    for r in TeamRole::ALL {
        if *r == TeamRole::Family {
            continue;
        }
        if v.members.iter().any(|m| {
            m.status == MemberStatus::Active && renkei_care::service::acknowledges(*r, m.team_role)
        }) {
            roles.push((r.code(), r.label(lang)));
        }
    }
    let break_glass_until = match &v.access {
        renkei_care::Access::BreakGlass { expires_at, .. } => {
            Timestamp(*expires_at).to_jst_display()
        }
        _ => String::new(),
    };
    let page = TimelinePage {
        l: Layout::new(ctx, &title),
        base,
        is_group,
        description: v.space.description.clone(),
        title,
        patient,
        consent_active: v.consent_active,
        break_glass_until,
        may_write: v.access.may_write(),
        urgent: v.urgent.iter().map(|x| post_card(lang, x, now)).collect(),
        posts: v.posts.iter().map(|x| post_card(lang, x, now)).collect(),
        next_before: v.next_before,
        q: params.q,
        category: params.category,
        categories: PostCategory::ALL
            .iter()
            .map(|c| (c.code(), c.label(lang)))
            .collect(),
        ack_roles: roles,
        signs: sign_fields(lang),
        form,
        errors,
        members: v
            .members
            .iter()
            .filter(|m| m.status == MemberStatus::Active)
            .count(),
        posted: params.posted.is_some(),
    };
    render(&page, status)
}

pub async fn patient_timeline(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    Query(params): Query<TimelineParams>,
) -> Result<Response, WebError> {
    timeline_page(
        &state,
        &p,
        &ctx,
        &rc,
        Timeline::Patient(id),
        params,
        PostFormState::fresh(),
        ValidationErrors::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn group_timeline(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<SpaceId>,
    Query(params): Query<TimelineParams>,
) -> Result<Response, WebError> {
    if !state.care.is_group(id).await? {
        return Err(WebError::NotFound);
    }
    timeline_page(
        &state,
        &p,
        &ctx,
        &rc,
        Timeline::Group(id),
        params,
        PostFormState::fresh(),
        ValidationErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn create_post_in(
    state: CareState,
    p: Principal,
    ctx: PageCtx,
    rc: renkei_identity::RequestContext,
    space: SpaceId,
    which: Timeline,
    form: UploadForm,
) -> Result<Response, WebError> {
    let f = &form.fields;
    let outcome = if !form.file_errors.is_empty() {
        Err(CareError::Validation(form.file_errors.clone()))
    } else {
        match post_input(f) {
            Ok(input) => state
                .care
                .post(&p, &rc, space, input, form.files, Timestamp::now())
                .await
                .map(|_| ()),
            Err(e) => Err(CareError::Validation(e)),
        }
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("{}?posted=1", which.base())).into_response()),
        Err(CareError::Validation(errors)) => {
            let st = PostFormState::refused(f, &errors);
            timeline_page(
                &state,
                &p,
                &ctx,
                &rc,
                which,
                TimelineParams::default(),
                st,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn create_patient_post(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    form: UploadForm,
) -> Result<Response, WebError> {
    let space = state.care.patient_space(id).await?;
    create_post_in(state, p, ctx, rc, space, Timeline::Patient(id), form).await
}

pub async fn create_group_post(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<SpaceId>,
    form: UploadForm,
) -> Result<Response, WebError> {
    if !state.care.is_group(id).await? {
        return Err(WebError::NotFound);
    }
    create_post_in(state, p, ctx, rc, id, Timeline::Group(id), form).await
}

// ---------------------------------------------------------------- one post

#[derive(Template)]
#[template(path = "care/post.html")]
struct PostPage {
    l: Layout,
    back: String,
    card: PostCard,
    versions: Vec<(i64, String, String, String, String)>,
    categories: Vec<(&'static str, &'static str)>,
    signs: Vec<SignField>,
    form: PostFormState,
    errors: ValidationErrors,
}

/// Where a space's pages live: the patient's timeline or the group's.
fn space_link(space_id: SpaceId, patient_id: Option<PatientId>) -> String {
    match patient_id {
        Some(pid) => format!("/patients/{pid}"),
        None => format!("/groups/{space_id}"),
    }
}

async fn post_page(
    state: &CareState,
    p: &Principal,
    ctx: &PageCtx,
    rc: &renkei_identity::RequestContext,
    id: PostId,
    form: Option<PostFormState>,
    errors: ValidationErrors,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = ctx.lang.code();
    let PostDetail {
        view,
        versions,
        space_id,
        patient_id,
    } = state.care.post_detail(p, rc, id, Timestamp::now()).await?;
    let back = space_link(space_id, patient_id);
    let post = &view.post;
    let form = form.unwrap_or_else(|| PostFormState {
        category: post.category.code().to_string(),
        body: post.body.clone(),
        vitals: VITAL_SIGNS
            .iter()
            .map(|s| {
                (
                    s.code.to_string(),
                    post.vitals()
                        .get(s.code)
                        .map(|x| renkei_care::chart::format_value(x, s.decimals))
                        .unwrap_or_default(),
                )
            })
            .collect(),
        key: new_key(),
        ..Default::default()
    });
    let versions = versions
        .into_iter()
        .map(|v| {
            let shown = crate::posts::vitals_shown(lang, &v.vitals)
                .into_iter()
                .map(|s| format!("{} {}", s.label, s.value))
                .collect::<Vec<_>>()
                .join("、");
            (
                v.version,
                v.written_by_name,
                Timestamp(v.written_at).to_jst_display(),
                v.body,
                shown,
            )
        })
        .collect();
    let page = PostPage {
        l: Layout::new(ctx, if lang == "en" { "Post" } else { "投稿" }),
        back,
        card: post_card(lang, &view, Timestamp::now().millis()),
        versions,
        categories: PostCategory::ALL
            .iter()
            .map(|c| (c.code(), c.label(lang)))
            .collect(),
        signs: sign_fields(lang),
        form,
        errors,
    };
    render(&page, status)
}

pub async fn post_detail(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PostId>,
) -> Result<Response, WebError> {
    post_page(
        &state,
        &p,
        &ctx,
        &rc,
        id,
        None,
        ValidationErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn back_of_post(state: &CareState, space_id: SpaceId) -> Result<String, WebError> {
    Ok(space_link(
        space_id,
        state.care.patient_of_space(space_id).await?,
    ))
}

pub async fn acknowledge(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<PostId>,
) -> Result<Response, WebError> {
    let space = state
        .care
        .acknowledge(&p, &rc, id, Timestamp::now())
        .await?;
    let back = back_of_post(&state, space).await?;
    Ok(Redirect::to(&format!("{back}#post-{id}")).into_response())
}

pub async fn edit_post(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PostId>,
    form: FormData,
) -> Result<Response, WebError> {
    let result = match post_input(&form) {
        Ok(input) => {
            state
                .care
                .edit_post(&p, &rc, id, input, Timestamp::now())
                .await
        }
        Err(e) => Err(CareError::Validation(e)),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/posts/{id}")).into_response()),
        Err(CareError::Validation(errors)) => {
            let st = PostFormState {
                key: new_key(),
                ..PostFormState::refused(&form, &errors)
            };
            post_page(
                &state,
                &p,
                &ctx,
                &rc,
                id,
                Some(st),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn withdraw_post(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PostId>,
    form: FormData,
) -> Result<Response, WebError> {
    match state
        .care
        .withdraw_post(&p, &rc, id, form.get("reason"), Timestamp::now())
        .await
    {
        Ok(space) => {
            let back = back_of_post(&state, space).await?;
            Ok(Redirect::to(&back).into_response())
        }
        Err(CareError::Validation(errors)) => {
            post_page(
                &state,
                &p,
                &ctx,
                &rc,
                id,
                None,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn send_attachment(
    state: CareState,
    p: Principal,
    rc: renkei_identity::RequestContext,
    id: AttachmentId,
    thumb: bool,
) -> Result<Response, WebError> {
    let (meta, bytes) = state
        .care
        .attachment(&p, &rc, id, thumb, Timestamp::now())
        .await?;
    let media = if thumb {
        "image/jpeg"
    } else {
        meta.media_type.as_str()
    };
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(media).map_err(|e| WebError::Internal(e.to_string()))?,
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    // PDFs open in the browser's viewer; nothing here is ever run as a page.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    // Images and PDFs open in the browser; the sandbox CSP keeps them inert.
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&content_disposition("inline", &meta.filename))
            .unwrap_or_else(|_| HeaderValue::from_static("inline")),
    );
    Ok(r)
}

/// A `Content-Disposition` value (RFC 6266): an ASCII `filename` for old
/// clients and the exact name as `filename*` in UTF-8, percent-encoded as
/// RFC 8187 asks (a space is `%20`, never `+`).
pub fn content_disposition(disposition: &str, filename: &str) -> String {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in filename.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

pub async fn attachment(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<AttachmentId>,
) -> Result<Response, WebError> {
    send_attachment(state, p, rc, id, false).await
}

pub async fn thumbnail(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<AttachmentId>,
) -> Result<Response, WebError> {
    send_attachment(state, p, rc, id, true).await
}

// ------------------------------------------------------------------ vitals

#[derive(Template)]
#[template(path = "care/vitals.html")]
struct VitalsPage {
    l: Layout,
    patient: PatientHeader,
    days: i64,
    charts: Vec<(String, String)>,
    rows: Vec<(PostId, String, String, Vec<crate::posts::VitalShown>)>,
}

#[derive(Deserialize)]
pub struct DaysParam {
    #[serde(default)]
    days: Option<String>,
}

pub async fn vitals(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    Query(d): Query<DaysParam>,
) -> Result<Response, WebError> {
    let lang = ctx.lang.code();
    let days = match d.days.as_deref().map(str::trim) {
        None | Some("") => 14,
        Some(s) => s
            .parse::<i64>()
            .map_err(|_| WebError::BadRequest("days must be a number".into()))?
            .clamp(1, 365),
    };
    let (patient, posts) = state
        .care
        .vitals(&p, &rc, id, days, Timestamp::now())
        .await?;
    let mut charts = Vec::new();
    let series_of = |code: &str| -> Vec<(i64, f64)> {
        posts
            .iter()
            .filter_map(|p| p.vitals().get(code).map(|v| (p.created_at, v)))
            .collect()
    };
    for sign in VITAL_SIGNS {
        if sign.code == "bp_diastolic" {
            continue;
        }
        let main = series_of(sign.code);
        if main.is_empty() {
            continue;
        }
        let (title, svg) = if sign.code == "bp_systolic" {
            let dia = series_of("bp_diastolic");
            let title = if lang == "en" {
                "Blood pressure (mmHg)"
            } else {
                "血圧（mmHg）"
            };
            let svg = renkei_care::chart::render(
                sign,
                title,
                &[
                    renkei_care::chart::Series {
                        label: if lang == "en" { "Systolic" } else { "上" },
                        colour: "#b3261e",
                        points: &main,
                    },
                    renkei_care::chart::Series {
                        label: if lang == "en" { "Diastolic" } else { "下" },
                        colour: "#1a56a8",
                        points: &dia,
                    },
                ],
            );
            (title.to_string(), svg)
        } else {
            let title = format!("{}（{}）", sign.label(lang), sign.unit);
            let svg = renkei_care::chart::render(
                sign,
                &title,
                &[renkei_care::chart::Series {
                    label: sign.label(lang),
                    colour: "#1a56a8",
                    points: &main,
                }],
            );
            (title, svg)
        };
        charts.push((title, svg));
    }
    let rows = posts
        .iter()
        .rev()
        .map(|x| {
            (
                x.id,
                Timestamp(x.created_at).to_jst_display(),
                x.author_name.clone(),
                crate::posts::vitals_shown(lang, &x.vitals()),
            )
        })
        .collect();
    ok(&VitalsPage {
        l: Layout::new(
            &ctx,
            if lang == "en" {
                "Vital signs"
            } else {
                "バイタルの推移"
            },
        ),
        patient: header_of(lang, &patient),
        days,
        charts,
        rows,
    })
}

// ----------------------------------------------------------------- summary

#[derive(Template)]
#[template(path = "care/summary.html")]
struct SummaryPage {
    l: Layout,
    patient: PatientHeader,
    basics: Vec<(&'static str, String)>,
    contacts: Vec<Contact>,
    current: SummaryFields,
    version: i64,
    changed: String,
    history: Vec<(i64, String, String, SummaryFields)>,
    may_edit: bool,
    errors: ValidationErrors,
    conflict: bool,
}

fn basics(lang: &str, p: &renkei_care::model::Patient) -> Vec<(&'static str, String)> {
    let en = lang == "en";
    let f = &p.record;
    let level = f.care_level.label(lang);
    let application = f.care_application.label(lang);
    let validity = if f.care_level_from.is_empty() && f.care_level_to.is_empty() {
        String::new()
    } else {
        format!("{}〜{}", f.care_level_from, f.care_level_to)
    };
    vec![
        (
            if en { "Birth date" } else { "生年月日" },
            format!(
                "{}（{}{}）",
                f.birth_date,
                age(&f.birth_date),
                if en { "" } else { "歳" }
            ),
        ),
        (
            if en { "Sex" } else { "性別" },
            f.sex.label(lang).to_string(),
        ),
        (if en { "Address" } else { "住所" }, f.address.clone()),
        (if en { "Phone" } else { "電話" }, f.phone.clone()),
        (
            if en {
                "Insured person number"
            } else {
                "被保険者番号"
            },
            f.insured_number.clone(),
        ),
        (
            if en { "Care level" } else { "要介護度" },
            format!("{level} {validity} {application}")
                .trim()
                .to_string(),
        ),
        (
            if en {
                "Independence (physical)"
            } else {
                "障害高齢者の日常生活自立度"
            },
            f.independence_physical.map_or("", |x| x.code()).to_string(),
        ),
        (
            if en {
                "Independence (dementia)"
            } else {
                "認知症高齢者の日常生活自立度"
            },
            f.independence_dementia.map_or("", |x| x.code()).to_string(),
        ),
        (
            if en { "Household" } else { "世帯" },
            f.household.map_or("", |h| h.label(lang)).to_string(),
        ),
    ]
}

async fn summary_page(
    state: &CareState,
    p: &Principal,
    ctx: &PageCtx,
    rc: &renkei_identity::RequestContext,
    id: PatientId,
    draft: Option<SummaryFields>,
    errors: ValidationErrors,
    conflict: bool,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = ctx.lang.code();
    let v = state.care.summary(p, rc, id, Timestamp::now()).await?;
    let current = v
        .current
        .as_ref()
        .map(|c| c.fields.clone())
        .unwrap_or_default();
    let page = SummaryPage {
        l: Layout::new(
            ctx,
            if lang == "en" {
                "Shared summary"
            } else {
                "共有サマリー"
            },
        ),
        patient: header_of(lang, &v.patient),
        basics: basics(lang, &v.patient),
        contacts: v.patient.record.contacts.clone(),
        version: v.current.as_ref().map(|c| c.version).unwrap_or(0),
        changed: v
            .current
            .as_ref()
            .map(|c| {
                format!(
                    "{} {}",
                    Timestamp(c.changed_at).to_jst_display(),
                    c.changed_by_name
                )
            })
            .unwrap_or_default(),
        current: draft.unwrap_or(current),
        history: v
            .history
            .iter()
            .map(|h| {
                (
                    h.version,
                    h.changed_by_name.clone(),
                    Timestamp(h.changed_at).to_jst_display(),
                    h.fields.clone(),
                )
            })
            .collect(),
        may_edit: v.access.may_write() && v.access.team_role() != Some(TeamRole::Family),
        errors,
        conflict,
    };
    render(&page, status)
}

pub async fn summary(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
) -> Result<Response, WebError> {
    summary_page(
        &state,
        &p,
        &ctx,
        &rc,
        id,
        None,
        ValidationErrors::new(),
        false,
        StatusCode::OK,
    )
    .await
}

pub fn summary_fields(f: &FormData) -> SummaryFields {
    let t = |n: &str| f.get(n).replace("\r\n", "\n").trim().to_string();
    SummaryFields {
        diagnoses: t("diagnoses"),
        medicines: t("medicines"),
        allergies: t("allergies"),
        adl: t("adl"),
        procedures: t("procedures"),
        notes: t("notes"),
    }
}

pub async fn save_summary(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    form: FormData,
) -> Result<Response, WebError> {
    let fields = summary_fields(&form);
    let base = form.opt_i64("version")?.unwrap_or(0);
    match state
        .care
        .save_summary(&p, &rc, id, base, &fields, Timestamp::now())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/patients/{id}/summary")).into_response()),
        Err(CareError::Validation(errors)) => {
            summary_page(
                &state,
                &p,
                &ctx,
                &rc,
                id,
                Some(fields),
                errors,
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(CareError::Conflict(_)) => {
            summary_page(
                &state,
                &p,
                &ctx,
                &rc,
                id,
                Some(fields),
                ValidationErrors::new(),
                true,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// -------------------------------------------------------------------- team

pub struct MemberShown {
    pub user_id: UserId,
    pub name: String,
    pub username: String,
    pub profession: String,
    pub org: String,
    pub role: String,
    pub is_lead: bool,
    /// Invited, not yet joined (the others listed are active).
    pub invited: bool,
    pub since: String,
}

#[derive(Template)]
#[template(path = "care/team.html")]
struct TeamPage {
    l: Layout,
    base: String,
    is_group: bool,
    title: String,
    members: Vec<MemberShown>,
    candidates: Vec<(String, String)>,
    roles: Vec<(&'static str, &'static str)>,
    may_invite: bool,
    is_lead: bool,
    is_member: bool,
    family_summary_open: bool,
    consent_line: String,
    errors: ValidationErrors,
}

async fn team_page(
    state: &CareState,
    p: &Principal,
    ctx: &PageCtx,
    rc: &renkei_identity::RequestContext,
    space: SpaceId,
    base: String,
    errors: ValidationErrors,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = ctx.lang.code();
    let v = state.care.team(p, rc, space, Timestamp::now()).await?;
    let is_group = v.space.kind == SpaceKind::Group;
    let title = match &v.patient {
        Some(pt) => pt.record.name.clone(),
        None => v.space.name.clone(),
    };
    let members = v
        .members
        .iter()
        .filter(|m| m.status.holds_place())
        .map(|m| MemberShown {
            user_id: m.user_id,
            name: m.display_name.clone(),
            username: m.username.clone(),
            profession: m.profession.label(lang).to_string(),
            org: m.org_name.clone().unwrap_or_default(),
            role: if is_group {
                String::new()
            } else {
                m.team_role.label(lang).to_string()
            },
            is_lead: m.is_lead,
            invited: m.status == MemberStatus::Invited,
            since: Timestamp(m.accepted_at.unwrap_or(m.invited_at)).to_jst_display(),
        })
        .collect();
    let consent_line = match &v.consent {
        Some(c) => format!(
            "{} {}（{}）",
            if lang == "en" {
                "Consent in force since"
            } else {
                "同意取得日"
            },
            c.obtained_on,
            c.obtained_by
        ),
        None if is_group => String::new(),
        None => if lang == "en" {
            "No consent in force: only the registering organisation has access."
        } else {
            "有効な同意がありません。登録した事業所の職員だけが閲覧できます。"
        }
        .to_string(),
    };
    let page = TeamPage {
        l: Layout::new(ctx, if lang == "en" { "Team" } else { "チーム" }),
        base,
        is_group,
        title,
        members,
        candidates: v
            .candidates
            .iter()
            .map(|u| {
                let prof = u.profession.label(lang);
                (
                    u.username.clone(),
                    format!("{}（{}）", u.display_name, prof),
                )
            })
            .collect(),
        roles: TeamRole::ALL
            .iter()
            .map(|r| (r.code(), r.label(lang)))
            .collect(),
        may_invite: v.access.may_write() && v.access.team_role() != Some(TeamRole::Family),
        is_lead: v.access.is_lead(),
        is_member: v.access.may_write(),
        family_summary_open: v.space.family_summary_open,
        consent_line,
        errors,
    };
    render(&page, status)
}

pub async fn patient_team(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
) -> Result<Response, WebError> {
    let space = state.care.patient_space(id).await?;
    team_page(
        &state,
        &p,
        &ctx,
        &rc,
        space,
        format!("/patients/{id}"),
        ValidationErrors::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn group_members(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<SpaceId>,
) -> Result<Response, WebError> {
    if !state.care.is_group(id).await? {
        return Err(WebError::NotFound);
    }
    team_page(
        &state,
        &p,
        &ctx,
        &rc,
        id,
        format!("/groups/{id}"),
        ValidationErrors::new(),
        StatusCode::OK,
    )
    .await
}

/// Whose team an action is about: a patient's (addressed by the patient)
/// or a group's (addressed by its space).
#[derive(Clone, Copy)]
enum TeamOf {
    Patient(PatientId),
    Group(SpaceId),
}

impl TeamOf {
    /// The team's space and where its pages live.
    async fn space_and_base(self, state: &CareState) -> Result<(SpaceId, String), WebError> {
        match self {
            TeamOf::Patient(id) => Ok((
                state.care.patient_space(id).await?,
                format!("/patients/{id}"),
            )),
            TeamOf::Group(id) if state.care.is_group(id).await? => {
                Ok((id, format!("/groups/{id}")))
            }
            TeamOf::Group(_) => Err(WebError::NotFound),
        }
    }

    /// The team page, and the list a member who left goes back to.
    fn pages(self, base: &str) -> (String, &'static str) {
        match self {
            TeamOf::Patient(_) => (format!("{base}/team"), "/patients"),
            TeamOf::Group(_) => (format!("{base}/members"), "/groups"),
        }
    }
}

/// What a team form asks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TeamAction {
    Invite,
    Accept,
    Leave,
    Lead,
    FamilySummary,
}

async fn team_action(
    state: CareState,
    p: Principal,
    ctx: PageCtx,
    rc: renkei_identity::RequestContext,
    team: TeamOf,
    action: TeamAction,
    form: FormData,
) -> Result<Response, WebError> {
    let (space, base) = team.space_and_base(&state).await?;
    let result = match action {
        TeamAction::Invite => {
            state
                .care
                .invite(
                    &p,
                    &rc,
                    space,
                    form.get("invitee"),
                    form.get("team_role"),
                    Timestamp::now(),
                )
                .await
        }
        TeamAction::Accept => state.care.accept(&p, &rc, space, Timestamp::now()).await,
        TeamAction::Leave => {
            state
                .care
                .leave(
                    &p,
                    &rc,
                    space,
                    form.get("confirm") == "on",
                    Timestamp::now(),
                )
                .await
        }
        // A missing choice is user 0, which the service refuses as "not a
        // member" after checking that the caller is the lead.
        TeamAction::Lead => {
            let user = UserId(form.opt_i64("user_id")?.unwrap_or(0));
            state
                .care
                .set_lead(&p, &rc, space, user, Timestamp::now())
                .await
        }
        TeamAction::FamilySummary => {
            state
                .care
                .set_family_summary(&p, &rc, space, form.get("open") == "on", Timestamp::now())
                .await
        }
    };
    let (team_page_link, list) = team.pages(&base);
    match result {
        Ok(()) if action == TeamAction::Accept => Ok(Redirect::to(&base).into_response()),
        Ok(()) if action == TeamAction::Leave => Ok(Redirect::to(list).into_response()),
        Ok(()) => Ok(Redirect::to(&team_page_link).into_response()),
        Err(CareError::Validation(errors))
            if action != TeamAction::Accept && action != TeamAction::Leave =>
        {
            team_page(
                &state,
                &p,
                &ctx,
                &rc,
                space,
                base,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(CareError::Validation(errors)) => {
            // Leaving or accepting is refused: show why on the team page
            // when the user can still see it, otherwise as an error.
            match team_page(
                &state,
                &p,
                &ctx,
                &rc,
                space,
                base,
                errors.clone(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
            {
                Ok(r) => Ok(r),
                Err(_) => Err(WebError::Validation(errors)),
            }
        }
        Err(e) => Err(e.into()),
    }
}

macro_rules! team_handler {
    ($name:ident, $id:ty, $team:ident, $action:ident) => {
        pub async fn $name(
            State(state): State<CareState>,
            CurrentUser(p): CurrentUser,
            ctx: PageCtx,
            Ctx(rc): Ctx,
            Path(id): Path<$id>,
            form: FormData,
        ) -> Result<Response, WebError> {
            team_action(
                state,
                p,
                ctx,
                rc,
                TeamOf::$team(id),
                TeamAction::$action,
                form,
            )
            .await
        }
    };
}

team_handler!(patient_invite, PatientId, Patient, Invite);
team_handler!(patient_accept, PatientId, Patient, Accept);
team_handler!(patient_leave, PatientId, Patient, Leave);
team_handler!(patient_lead, PatientId, Patient, Lead);
team_handler!(patient_family_summary, PatientId, Patient, FamilySummary);
team_handler!(group_invite, SpaceId, Group, Invite);
team_handler!(group_accept, SpaceId, Group, Accept);
team_handler!(group_leave, SpaceId, Group, Leave);

// ----------------------------------------------------------------- consent

pub struct ConsentShown {
    pub id: ConsentId,
    pub active: bool,
    pub obtained_on: String,
    pub obtained_by: String,
    pub signer: String,
    pub covers: Vec<String>,
    pub form_id: Option<AttachmentId>,
    pub recorded: String,
    pub withdrawn: String,
    pub withdrawal_reason: String,
}

#[derive(Template)]
#[template(path = "care/consent.html")]
struct ConsentPage {
    l: Layout,
    patient: PatientHeader,
    consents: Vec<ConsentShown>,
    may_record: bool,
    organisations: Vec<(OrgId, String)>,
    professions: Vec<(&'static str, &'static str)>,
    errors: ValidationErrors,
    just_registered: bool,
    today: String,
}

#[derive(Deserialize)]
pub struct NewParam {
    #[serde(default)]
    new: Option<String>,
}

async fn consent_page(
    state: &CareState,
    p: &Principal,
    ctx: &PageCtx,
    rc: &renkei_identity::RequestContext,
    id: PatientId,
    errors: ValidationErrors,
    just_registered: bool,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = ctx.lang.code();
    let v = state.care.consent_view(p, rc, id, Timestamp::now()).await?;
    let org_name = |o: OrgId| {
        v.organisations
            .iter()
            .find(|(i, _)| *i == o)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| format!("#{o}"))
    };
    let consents = v
        .consents
        .iter()
        .map(|c| {
            let mut covers: Vec<String> =
                c.coverage.org_ids.iter().copied().map(org_name).collect();
            covers.extend(
                c.coverage
                    .professions
                    .iter()
                    .map(|x| x.label(lang).to_string()),
            );
            if c.coverage.family {
                covers.push(if lang == "en" { "Family" } else { "家族" }.into());
            }
            ConsentShown {
                id: c.id,
                active: c.active(),
                obtained_on: c.obtained_on.clone(),
                obtained_by: c.obtained_by.clone(),
                signer: c.signer.clone(),
                covers,
                form_id: c.form_attachment_id,
                recorded: format!(
                    "{} {}",
                    Timestamp(c.recorded_at).to_jst_display(),
                    c.recorded_by_name
                ),
                withdrawn: c
                    .withdrawn_at
                    .map(|t| Timestamp(t).to_jst_display())
                    .unwrap_or_default(),
                withdrawal_reason: c.withdrawal_reason.clone(),
            }
        })
        .collect();
    let page = ConsentPage {
        l: Layout::new(ctx, if lang == "en" { "Consent" } else { "同意" }),
        patient: header_of(lang, &v.patient),
        consents,
        may_record: v.may_record,
        organisations: v.organisations.clone(),
        professions: Profession::ALL
            .iter()
            .filter(|x| {
                !matches!(
                    x,
                    Profession::Family | Profession::MunicipalOfficer | Profession::Ems
                )
            })
            .map(|x| (x.code(), x.label(lang)))
            .collect(),
        errors,
        just_registered,
        today: Timestamp::now().to_jst_display().chars().take(10).collect(),
    };
    render(&page, status)
}

pub async fn consent(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    Query(n): Query<NewParam>,
) -> Result<Response, WebError> {
    consent_page(
        &state,
        &p,
        &ctx,
        &rc,
        id,
        ValidationErrors::new(),
        n.new.is_some(),
        StatusCode::OK,
    )
    .await
}

pub async fn record_consent(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    form: UploadForm,
) -> Result<Response, WebError> {
    let f = &form.fields;
    let input = ConsentInput {
        covers_orgs: f
            .all("covers_orgs")
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect(),
        covers_professions: f
            .all("covers_professions")
            .iter()
            .map(|s| s.to_string())
            .collect(),
        covers_family: f.get("covers_family") == "on",
        obtained_on: f.get("obtained_on").into(),
        obtained_by: f.get("obtained_by").into(),
        signer: f.get("signer").into(),
    };
    let result = if !form.file_errors.is_empty() {
        Err(CareError::Validation(form.file_errors.clone()))
    } else {
        state
            .care
            .record_consent(
                &p,
                &rc,
                id,
                &input,
                form.files.into_iter().next(),
                Timestamp::now(),
            )
            .await
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/patients/{id}/team")).into_response()),
        Err(CareError::Validation(errors)) => {
            consent_page(
                &state,
                &p,
                &ctx,
                &rc,
                id,
                errors,
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn withdraw_consent(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    form: FormData,
) -> Result<Response, WebError> {
    match state
        .care
        .withdraw_consent(&p, &rc, id, form.get("reason"), Timestamp::now())
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/patients/{id}/consent")).into_response()),
        Err(CareError::Validation(errors)) => {
            consent_page(
                &state,
                &p,
                &ctx,
                &rc,
                id,
                errors,
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------- break-glass

#[derive(Template)]
#[template(path = "care/break_glass.html")]
struct BreakGlassPage {
    l: Layout,
    form: FormData,
    reasons: Vec<(&'static str, &'static str)>,
    minutes: i64,
    per_day: i64,
    errors: ValidationErrors,
    limited: bool,
}

fn break_glass_page(
    state: &CareState,
    ctx: &PageCtx,
    form: FormData,
    errors: ValidationErrors,
    limited: bool,
) -> BreakGlassPage {
    let lang = ctx.lang.code();
    BreakGlassPage {
        l: Layout::new(
            ctx,
            if lang == "en" {
                "Emergency access"
            } else {
                "緊急アクセス"
            },
        ),
        form,
        reasons: BreakGlassReason::ALL
            .iter()
            .map(|r| (r.code(), r.label(lang)))
            .collect(),
        minutes: state.care.config().break_glass_minutes,
        per_day: state.care.config().break_glass_per_day,
        errors,
        limited,
    }
}

pub async fn break_glass_form(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
) -> Result<Response, WebError> {
    if !p.role.may(Permission::BreakGlass) {
        return Err(WebError::Forbidden);
    }
    ok(&break_glass_page(
        &state,
        &ctx,
        FormData::default(),
        ValidationErrors::new(),
        false,
    ))
}

pub async fn break_glass(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    let request = BreakGlassRequest::from_fields(
        form.get("insured_number"),
        form.get("name"),
        form.get("birth_date"),
        form.get("reason_code"),
        form.get("explanation"),
    );
    let outcome = match request {
        Ok(r) => state.care.break_glass(&p, &rc, &r, Timestamp::now()).await,
        Err(e) => {
            if !p.role.may(Permission::BreakGlass) {
                return Err(WebError::Forbidden);
            }
            Err(e)
        }
    };
    match outcome {
        Ok(pid) => Ok(Redirect::to(&format!("/patients/{pid}")).into_response()),
        Err(CareError::Validation(errors)) => render(
            &break_glass_page(&state, &ctx, form, errors, false),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(CareError::Limited(_)) => render(
            &break_glass_page(&state, &ctx, form, ValidationErrors::new(), true),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ groups

#[derive(Template)]
#[template(path = "care/groups.html")]
struct GroupsPage {
    l: Layout,
    groups: Vec<SpaceCard>,
    invitations: Vec<SpaceCard>,
    name: String,
    description: String,
    errors: ValidationErrors,
}

async fn groups_page(
    state: &CareState,
    p: &Principal,
    ctx: &PageCtx,
    rc: &renkei_identity::RequestContext,
    name: String,
    description: String,
    errors: ValidationErrors,
    status: StatusCode,
) -> Result<Response, WebError> {
    if !p.role.may(Permission::ProfessionalGroups) {
        return Err(WebError::Forbidden);
    }
    let spaces: Vec<SpaceCard> = state
        .care
        .my_spaces(p, rc)
        .await?
        .into_iter()
        .filter(|s| s.kind == SpaceKind::Group)
        .collect();
    let (invitations, groups) = spaces
        .into_iter()
        .partition(|s| s.status == MemberStatus::Invited);
    render(
        &GroupsPage {
            l: Layout::new(
                ctx,
                if ctx.lang.code() == "en" {
                    "Groups"
                } else {
                    "グループ"
                },
            ),
            groups,
            invitations,
            name,
            description,
            errors,
        },
        status,
    )
}

pub async fn groups(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
) -> Result<Response, WebError> {
    groups_page(
        &state,
        &p,
        &ctx,
        &rc,
        String::new(),
        String::new(),
        ValidationErrors::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn create_group(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    match state
        .care
        .create_group(
            &p,
            &rc,
            form.get("name"),
            form.get("description"),
            Timestamp::now(),
        )
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/groups/{id}/members")).into_response()),
        Err(CareError::Validation(errors)) => {
            groups_page(
                &state,
                &p,
                &ctx,
                &rc,
                form.get("name").into(),
                form.get("description").into(),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ----------------------------------------------------------- notifications

#[derive(Template)]
#[template(path = "care/notifications.html")]
struct NotificationsPage {
    l: Layout,
    prefs: Preferences,
    saved: bool,
    has_email: bool,
}

#[derive(Deserialize)]
pub struct SavedParam {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn notifications(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Query(s): Query<SavedParam>,
) -> Result<Response, WebError> {
    let prefs = state.care.preferences(&p).await?;
    let has_email = !state.care.email_of(&p).await?.is_empty();
    ok(&NotificationsPage {
        l: Layout::new(
            &ctx,
            if ctx.lang.code() == "en" {
                "Notifications"
            } else {
                "通知設定"
            },
        ),
        prefs,
        saved: s.saved.is_some(),
        has_email,
    })
}

pub async fn save_notifications(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    let prefs = Preferences {
        email_urgent: form.get("email_urgent") == "on",
        email_digest: form.get("email_digest") == "on",
    };
    state.care.set_preferences(&p, &rc, prefs).await?;
    Ok(Redirect::to("/notifications?saved=1").into_response())
}

#[cfg(test)]
mod disposition_tests {
    use super::content_disposition;

    #[test]
    fn names_are_encoded_as_rfc_6266_asks() {
        assert_eq!(
            content_disposition("inline", "処方 箋.pdf"),
            "inline; filename=\"____.pdf\"; filename*=UTF-8''%E5%87%A6%E6%96%B9%20%E7%AE%8B.pdf"
        );
        let v = content_disposition("inline", "a\"b;c.pdf");
        assert!(
            v.starts_with("inline; filename=\"a_b;c.pdf\"; filename*=UTF-8''a%22b%3Bc.pdf"),
            "{v}"
        );
    }
}
