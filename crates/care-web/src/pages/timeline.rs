//! The timeline of a patient or a group, with its one-handed posting form.

use super::*;

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
    pub(super) fn fresh() -> Self {
        Self {
            key: new_key(),
            ..Default::default()
        }
    }
    /// The form as it was sent, to show again with the errors; the same
    /// idempotency key, so resending it cannot post twice.
    pub(super) fn refused(f: &FormData, errors: &ValidationErrors) -> Self {
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
    /// Other capabilities' lines about the patient (emergency, ACP).
    elsewhere: Vec<renkei_web_kit::PatientItem>,
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

pub(super) fn sign_fields(lang: &str) -> Vec<SignField> {
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

/// A timeline page; the posting form shows `form` with `errors` (answered
/// with 422 when there are some).
async fn timeline_page(
    req: &Req<'_>,
    which: Timeline,
    params: TimelineParams,
    form: PostFormState,
    errors: ValidationErrors,
) -> Result<Response, WebError> {
    let Req {
        state,
        p,
        ctx,
        rc,
        now,
    } = *req;
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
        Timeline::Patient(id) => state.care.patient_timeline(p, rc, id, q, now).await?,
        Timeline::Group(id) => state.care.timeline(p, rc, id, q, now).await?,
    };
    let base = which.base();
    let now = now.millis();
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
    let elsewhere = match which {
        Timeline::Patient(id) => {
            ctx.patient_items
                .items(p, rc, id, ctx.lang, Timestamp(now))
                .await
        }
        Timeline::Group(_) => Vec::new(),
    };
    let page = TimelinePage {
        elsewhere,
        l: Layout::new(ctx, &title),
        base,
        is_group,
        description: v.space.description.clone(),
        title,
        patient,
        consent_active: v.consent_active,
        break_glass_until,
        may_write: v.access.may_write(),
        urgent: v
            .urgent
            .iter()
            .map(|x| post_card(ctx.lang, x, now))
            .collect(),
        posts: v
            .posts
            .iter()
            .map(|x| post_card(ctx.lang, x, now))
            .collect(),
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
    let status = form_status(&page.errors);
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
        &Req::new(&state, &p, &ctx, &rc),
        Timeline::Patient(id),
        params,
        PostFormState::fresh(),
        ValidationErrors::new(),
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
        &Req::new(&state, &p, &ctx, &rc),
        Timeline::Group(id),
        params,
        PostFormState::fresh(),
        ValidationErrors::new(),
    )
    .await
}

async fn create_post_in(
    req: &Req<'_>,
    space: SpaceId,
    which: Timeline,
    form: UploadForm,
) -> Result<Response, WebError> {
    let f = &form.fields;
    let outcome = if !form.file_errors.is_empty() {
        Err(CareError::Validation(form.file_errors.clone()))
    } else {
        match post_input(f) {
            Ok(input) => {
                req.state
                    .care
                    .post(req.p, req.rc, space, input, form.files, req.now)
                    .await
            }
            Err(e) => Err(CareError::Validation(e)),
        }
    };
    refuse_or(
        outcome,
        |_| Redirect::to(&format!("{}?posted=1", which.base())).into_response(),
        |errors| {
            let st = PostFormState::refused(f, &errors);
            timeline_page(req, which, TimelineParams::default(), st, errors)
        },
    )
    .await
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
    let req = Req::new(&state, &p, &ctx, &rc);
    create_post_in(&req, space, Timeline::Patient(id), form).await
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
    let req = Req::new(&state, &p, &ctx, &rc);
    create_post_in(&req, id, Timeline::Group(id), form).await
}
