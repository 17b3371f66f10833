//! The stays: the lists, recording an admission, and the stay page with
//! the admission form's way, the planned discharge, the contact log and
//! the discharge.

use renkei_domain::transitions::FormStatus;

use super::*;

#[derive(Template)]
#[template(path = "transitions/stays.html")]
struct StaysPage {
    l: Layout,
    hospital: Vec<StayRow>,
    office: Vec<StayRow>,
    patients: Vec<(PatientId, String)>,
}

/// The user's stays: those handed to their hospital and those of their
/// care-management office.
pub async fn stays(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
) -> Result<Response, WebError> {
    let hospital = state.transitions.hospital_inbox(&p, &rc).await?;
    let office = state
        .transitions
        .office_stays(&p, &rc, Timestamp::now())
        .await?;
    let patients = state.transitions.my_patients(&p, &rc).await?;
    ok(&StaysPage {
        patients,
        l: Layout::new(&ctx, ctx.lang.tr("入退院", "Admissions")),
        hospital: hospital.iter().map(|l| row_of(ctx.lang, l)).collect(),
        office: office.iter().map(|l| row_of(ctx.lang, l)).collect(),
    })
}

#[derive(Template)]
#[template(path = "transitions/patient_stays.html")]
struct PatientStaysPage {
    l: Layout,
    patient_id: PatientId,
    patient_name: String,
    stays: Vec<StayRow>,
    hospital_q: String,
    hospitals: Vec<(i64, String, String)>,
    municipalities: Vec<(String, String)>,
    /// The daily-life areas the region has a rule for (none: no choice).
    areas: Vec<String>,
    via: Vec<(&'static str, &'static str)>,
    /// Documents hospitals sent: title, date, authors, sections.
    documents: Vec<(renkei_transitions::model::Document, Vec<(String, String)>)>,
    /// Why an uploaded document was refused, one line per problem.
    document_errors: Vec<String>,
    form: FormData,
    errors: ValidationErrors,
}

#[derive(Deserialize, Default)]
pub struct HospitalQuery {
    #[serde(default)]
    pub hospital_q: String,
}

async fn patient_stays_page(
    req: &Req<'_>,
    id: PatientId,
    hospital_q: &str,
    form: FormData,
    errors: ValidationErrors,
) -> Result<Response, WebError> {
    let t = &req.state.transitions;
    let (patient, lines) = t.stays_of_patient(req.p, req.rc, id, req.now).await?;
    let lang = req.ctx.lang;
    let status = renkei_web_kit::page::form_status(&errors);
    let documents = t
        .documents_of_patient(req.p, req.rc, id, req.now)
        .await?
        .into_iter()
        .map(|d| {
            let sections = d.sections();
            (d, sections)
        })
        .collect();
    let document_errors = errors
        .0
        .iter()
        .filter(|e| e.code == "document")
        .map(|e| lang.tr(&e.message, &e.message_en).to_string())
        .collect();
    let page = PatientStaysPage {
        documents,
        document_errors,
        l: Layout::new(req.ctx, lang.tr("入退院の記録", "Hospital stays")),
        patient_id: id,
        patient_name: patient.record.name.clone(),
        stays: lines.iter().map(|l| row_of(lang, l)).collect(),
        hospital_q: hospital_q.to_string(),
        hospitals: t
            .find_hospitals(hospital_q, 30)
            .into_iter()
            .map(|(id, name, address)| (id.0, name, address))
            .collect(),
        municipalities: t.municipalities(req.p).await?,
        areas: match req.p.region_scope() {
            Some(region) => t.adopted_areas(region).await?,
            None => Vec::new(),
        },
        via: ReportedVia::ALL
            .iter()
            .filter(|v| **v != ReportedVia::Ems)
            .map(|v| (v.code(), v.label(lang.code())))
            .collect(),
        form,
        errors,
    };
    render(&page, status)
}

pub async fn patient_stays(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    Query(q): Query<HospitalQuery>,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    patient_stays_page(
        &req,
        id,
        &q.hospital_q,
        FormData::default(),
        ValidationErrors::new(),
    )
    .await
}

pub async fn record_admission(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    let input = renkei_transitions::model::AdmissionInput {
        hospital_entry_id: form
            .opt_i64("hospital_entry_id")
            .ok()
            .flatten()
            .unwrap_or(0),
        ward: form.get("ward").to_string(),
        admitted_at: form.get("admitted_at").to_string(),
        outside_hours: match form.get("outside_hours") {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
        reported_via: form.get("reported_via").to_string(),
        municipality_code: form.get("municipality_code").to_string(),
        area: form.get("area").to_string(),
        terminal: form.get("terminal") == "on",
    };
    let result = state
        .transitions
        .record_admission(&p, &rc, id, &input, req.now)
        .await;
    let q = form.get("hospital_q").to_string();
    refuse_or(
        result,
        |stay| Redirect::to(&format!("/stays/{stay}")).into_response(),
        |errors| patient_stays_page(&req, id, &q, form.clone(), errors),
    )
    .await
}

#[derive(Template)]
#[template(path = "transitions/stay.html")]
struct StayPage {
    l: Layout,
    v: renkei_transitions::model::StayView,
    team: bool,
    admitted: String,
    flagged: Vec<String>,
    routes: Vec<(String, String)>,
    /// The hub every discharge of the region's residents goes to first.
    hub: String,
    /// The hospital's liaison window in one line, or empty.
    liaison: String,
    admission_status: String,
    /// No form yet, or a draft: the team may still write and send it.
    admission_draft: bool,
    /// Sent or opened: the hospital may acknowledge it.
    may_acknowledge: bool,
    admission_sent: String,
    admission_opened: String,
    admission_acknowledged: String,
    /// When the hospital returned the sheet annotated.
    hospital_note_at: String,
    admission_channel: String,
    tier: String,
    tier_units: u32,
    discharge_tier: String,
    discharge_units: u32,
    discharge_told: String,
    notice_days: u32,
    rule: String,
    /// Each conference with its checklist items.
    conferences: Vec<(renkei_transitions::model::Conference, Vec<(String, bool)>)>,
    summary_requested: String,
    channels: Vec<(&'static str, &'static str)>,
    today: String,
    form: FormData,
    errors: ValidationErrors,
}

async fn stay_page(
    req: &Req<'_>,
    id: StayId,
    form: FormData,
    errors: ValidationErrors,
) -> Result<Response, WebError> {
    let lang = req.ctx.lang;
    let code = lang.code();
    let v = req
        .state
        .transitions
        .stay(req.p, req.rc, id, req.now)
        .await?;
    let s = &v.stay;
    let af = v.admission_form.as_ref();
    let rule_body = v.rule.as_ref().map(|r| r.body.clone()).unwrap_or_default();
    let routes = s
        .routes()
        .iter()
        .map(|case| {
            let to = rule_body
                .route(*case)
                .map(|r| r.to.clone())
                .unwrap_or_else(|| {
                    lang.tr("（ルールに定めなし）", "(not set in the rule)")
                        .to_string()
                });
            (case.label(code).to_string(), to)
        })
        .collect();
    let status = renkei_web_kit::page::form_status(&errors);
    let page = StayPage {
        hub: rule_body.hub.clone(),
        liaison: v.liaison_window.describe_ja(),
        l: Layout::new(
            req.ctx,
            &format!("{} {}", s.patient_name, lang.tr("入退院", "stay")),
        ),
        team: v.viewer == Viewer::Team,
        admitted: s.admitted_local.replace('T', " "),
        flagged: s.screening_labels(),
        routes,
        admission_status: af
            .map(|f| f.status.label(code).to_string())
            .unwrap_or_else(|| lang.tr("未作成", "Not written").to_string()),
        admission_draft: af.is_none_or(|f| f.status == FormStatus::Draft),
        may_acknowledge: v.viewer == Viewer::Hospital
            && af.is_some_and(|f| matches!(f.status, FormStatus::Sent | FormStatus::Opened)),
        admission_sent: af
            .map(|f| {
                let mut t = f.informed_on.clone().unwrap_or_default();
                if f.sent_at.is_some() {
                    t = format!("{t}（{}）", when(f.sent_at));
                }
                t
            })
            .unwrap_or_default(),
        admission_opened: when(af.and_then(|f| f.opened_at)),
        admission_acknowledged: when(af.and_then(|f| f.acknowledged_at)),
        hospital_note_at: when(af.and_then(|f| f.hospital_note_at)),
        admission_channel: af
            .and_then(|f| f.channel)
            .map(|c| {
                let who = af.map(|f| f.received_by.clone()).unwrap_or_default();
                if who.is_empty() {
                    c.label(code).to_string()
                } else {
                    format!("{}（{who}）", c.label(code))
                }
            })
            .unwrap_or_default(),
        tier: v
            .admission_tier
            .map(|t| t.label(code).to_string())
            .unwrap_or_default(),
        tier_units: match (&v.fee_rules, v.admission_tier) {
            (Some(f), Some(t)) => f.admission_units(t),
            _ => 0,
        },
        discharge_tier: v
            .discharge_tier
            .map(|t| t.label(code).to_string())
            .unwrap_or_else(|| {
                lang.tr("（連絡の記録なし）", "(no contact logged)")
                    .to_string()
            }),
        discharge_units: match (&v.fee_rules, v.discharge_tier) {
            (Some(f), Some(t)) => f.discharge_units(t),
            _ => 0,
        },
        discharge_told: when(s.discharge_told_at),
        notice_days: rule_body.discharge_notice_days_before,
        rule: v
            .rule
            .as_ref()
            .map(|r| format!("{}（第{}版・{}施行）", r.name, r.version, r.effective_from))
            .unwrap_or_else(|| {
                lang.tr(
                    "（ルール未設定：標準の基準で判定）",
                    "(no rule: default criteria)",
                )
                .to_string()
            }),
        conferences: v
            .conferences
            .iter()
            .map(|c| (c.clone(), c.items()))
            .collect(),
        summary_requested: when(s.summary_requested_at),
        channels: ContactChannel::ALL
            .iter()
            .filter(|c| **c != ContactChannel::Renkei)
            .map(|c| (c.code(), c.label(code)))
            .collect(),
        today: req.now.to_jst_display().get(..10).unwrap_or("").to_string(),
        form,
        errors,
        v,
    };
    render(&page, status)
}

pub async fn stay(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
) -> Result<Response, WebError> {
    stay_page(
        &Req::new(&state, &p, &ctx, &rc),
        id,
        FormData::default(),
        ValidationErrors::new(),
    )
    .await
}

/// Answers a form posted from the stay page: back to it when accepted,
/// the page again with the refused fields otherwise.
async fn on_stay<T>(
    req: &Req<'_>,
    id: StayId,
    form: FormData,
    result: Result<T, renkei_transitions::TransitionsError>,
) -> Result<Response, WebError> {
    refuse_or(
        result,
        |_| Redirect::to(&format!("/stays/{id}")).into_response(),
        |errors| stay_page(req, id, form.clone(), errors),
    )
    .await
}

pub async fn plan_discharge(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    let result = state
        .transitions
        .plan_discharge(&p, &rc, id, form.get("planned_discharge_on"), req.now)
        .await;
    on_stay(&req, id, form, result).await
}

pub async fn record_discharge(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    let result = state
        .transitions
        .record_discharge(&p, &rc, id, form.get("discharged_on"), req.now)
        .await;
    on_stay(&req, id, form, result).await
}

pub async fn log_contact(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    let input = renkei_transitions::model::ContactInput {
        contacted_on: form.get("contacted_on").to_string(),
        channel: form.get("channel").to_string(),
        informant_profession: form.get("informant_profession").to_string(),
        informant_name: form.get("informant_name").to_string(),
        conference: form.get("conference") == "on",
        note: form.get("note").to_string(),
    };
    let result = state
        .transitions
        .log_contact(&p, &rc, id, &input, req.now)
        .await;
    on_stay(&req, id, form, result).await
}

pub async fn send_form(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    let result = state
        .transitions
        .send_admission_form(&p, &rc, id, req.now)
        .await;
    on_stay(&req, id, form, result).await
}

pub async fn log_delivery(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    let input = renkei_transitions::model::DeliveryInput {
        channel: form.get("channel").to_string(),
        informed_on: form.get("informed_on").to_string(),
        received_by: form.get("received_by").to_string(),
    };
    let result = state
        .transitions
        .log_admission_delivery(&p, &rc, id, &input, req.now)
        .await;
    on_stay(&req, id, form, result).await
}

pub async fn acknowledge(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    let result = state
        .transitions
        .acknowledge_admission_form(&p, &rc, id, req.now)
        .await;
    on_stay(&req, id, form, result).await
}

pub async fn annotate(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    let result = state
        .transitions
        .annotate_admission_form(&p, &rc, id, form.get("hospital_note"), req.now)
        .await;
    on_stay(&req, id, form, result).await
}

pub async fn schedule_conference(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    let input = renkei_transitions::model::ConferenceInput {
        scheduled_at: form.get("scheduled_at").to_string(),
        place: form.get("place").to_string(),
        online: form.get("online") == "on",
        invited: form.get("invited").replace("\r\n", "\n"),
    };
    let result = state
        .transitions
        .schedule_conference(&p, &rc, id, &input, req.now)
        .await;
    on_stay(&req, id, form, result).await
}

pub async fn record_conference(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    let input = renkei_transitions::model::ConferenceRecord {
        conference_id: form.opt_i64("conference_id")?.unwrap_or(0),
        held_on: form.get("held_on").to_string(),
        attended: form.get("attended").replace("\r\n", "\n"),
        confirmed: form
            .all("confirmed")
            .iter()
            .map(|s| s.to_string())
            .collect(),
        minutes: form.get("minutes").replace("\r\n", "\n"),
    };
    let result = state
        .transitions
        .record_conference(&p, &rc, id, &input, req.now)
        .await;
    on_stay(&req, id, form, result).await
}

pub async fn request_summary(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    let result = state
        .transitions
        .request_summary(&p, &rc, id, req.now)
        .await;
    on_stay(&req, id, form, result).await
}

pub async fn summary_returned(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
    form: FormData,
) -> Result<Response, WebError> {
    let req = Req::new(&state, &p, &ctx, &rc);
    let result = state
        .transitions
        .record_summary_returned(
            &p,
            &rc,
            id,
            form.get("summary_returned_on"),
            form.get("summary_note"),
            req.now,
        )
        .await;
    on_stay(&req, id, form, result).await
}

/// Attaches a FHIR document Bundle a hospital sent (an uploaded .json).
pub async fn attach_document(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    request: axum::extract::Request,
) -> Result<Response, WebError> {
    use axum::extract::FromRequest;
    let req = Req::new(&state, &p, &ctx, &rc);
    state
        .transitions
        .may_attach_documents(&p, &rc, id, req.now)
        .await?;
    let mut multipart = axum::extract::Multipart::from_request(request, &state)
        .await
        .map_err(|e| WebError::BadRequest(e.body_text()))?;
    let mut bytes = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| WebError::BadRequest(e.body_text()))?
    {
        if field.name() == Some("document") {
            bytes = field
                .bytes()
                .await
                .map_err(|e| WebError::BadRequest(e.body_text()))?
                .to_vec();
        }
    }
    let result = state
        .transitions
        .import_document(&p, &rc, id, &bytes, req.now)
        .await;
    refuse_or(
        result,
        |_| Redirect::to(&format!("/patients/{id}/stays#documents")).into_response(),
        |errors| patient_stays_page(&req, id, "", FormData::default(), errors),
    )
    .await
}
