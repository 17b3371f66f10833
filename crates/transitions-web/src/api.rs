//! The transitions JSON API under `/api/v1/stays` and
//! `/api/v1/patients/{id}/stays`: the same service rules and audit as the
//! pages. Refused fields answer 422 problem+json.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use renkei_domain::transitions::FormKind;
use renkei_domain::{HandoffTaskId, PatientId, StayId, Timestamp};
use renkei_transitions::model::{
    AdmissionInput, ComplianceReport, Conference, ConferenceInput, ConferenceRecord, ContactInput,
    DeliveryInput, DischargeContactRecord, Document, HandoffForm, HandoffTask, Inquiry,
    InquiryAnswer, InquiryInput, Stay, StayLine, StayView, TaskDoneInput,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::TransitionsState;
use renkei_web_kit::api::Created;
use renkei_web_kit::auth::{Ctx, CurrentUser};
use renkei_web_kit::ApiJson;
use renkei_web_kit::WebError;

/// A stay in a list.
#[derive(Serialize, ToSchema)]
pub struct StayItem {
    #[serde(flatten)]
    pub stay: Stay,
    /// draft, sent, opened or acknowledged; absent before a form is saved.
    pub admission_status: Option<String>,
    /// i, ii or late: the 入院時情報連携加算 tier earned.
    pub admission_tier: Option<String>,
}

fn item(l: StayLine) -> StayItem {
    StayItem {
        admission_status: l.admission_status.map(|s| s.code().to_string()),
        admission_tier: l.admission_tier.map(|t| t.code().to_string()),
        stay: l.stay,
    }
}

/// A stay with its forms, contacts and fee tiers.
#[derive(Serialize, ToSchema)]
pub struct StayOut {
    #[serde(flatten)]
    pub stay: Stay,
    /// team or hospital.
    pub viewer: String,
    pub admission_form: Option<HandoffForm>,
    pub discharge_form: Option<HandoffForm>,
    pub contacts: Vec<DischargeContactRecord>,
    pub conferences: Vec<Conference>,
    /// The discharge summary was asked for and is overdue.
    pub summary_overdue: bool,
    /// The last day of the follow-up after discharge.
    pub follow_up_until: Option<String>,
    pub admission_tier: Option<String>,
    /// The last day for (Ⅰ) and for (Ⅱ).
    pub admission_deadline_one: String,
    pub admission_deadline_two: String,
    pub counted_contacts: usize,
    pub counted_conferences: usize,
    /// i_a, i_b, ii_a, ii_b or iii: the 退院・退所加算 tier.
    pub discharge_tier: Option<String>,
    pub discharge_notice_on_time: Option<bool>,
    /// The rule the stay is judged by: name and version.
    pub rule: Option<String>,
}

fn out(v: StayView) -> StayOut {
    StayOut {
        viewer: match v.viewer {
            renkei_transitions::model::Viewer::Team => "team".into(),
            renkei_transitions::model::Viewer::Hospital => "hospital".into(),
        },
        admission_tier: v.admission_tier.map(|t| t.code().to_string()),
        admission_deadline_one: v.admission_deadlines.0,
        admission_deadline_two: v.admission_deadlines.1,
        counted_contacts: v.counted_contacts.0,
        counted_conferences: v.counted_contacts.1,
        discharge_tier: v.discharge_tier.map(|t| t.code().to_string()),
        discharge_notice_on_time: v.discharge_notice_on_time,
        rule: v.rule.map(|r| format!("{} v{}", r.name, r.version)),
        admission_form: v.admission_form,
        discharge_form: v.discharge_form,
        contacts: v.contacts,
        conferences: v.conferences,
        summary_overdue: v.summary_overdue,
        follow_up_until: v.follow_up_until,
        stay: v.stay,
    }
}

fn kind_of(code: &str) -> Result<FormKind, WebError> {
    FormKind::from_code(code).ok_or(WebError::NotFound)
}

#[utoipa::path(get, path = "/api/v1/stays", tag = "transitions",
    responses((status = 200, body = [StayItem], description = "Stays handed to the caller's hospitals and the open stays of the caller's care-management offices")))]
pub async fn list_stays(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
) -> Result<Json<Vec<StayItem>>, WebError> {
    let mut lines = state.transitions.hospital_inbox(&p, &rc).await?;
    let known: Vec<StayId> = lines.iter().map(|l| l.stay.id).collect();
    lines.extend(
        state
            .transitions
            .office_stays(&p, &rc, Timestamp::now())
            .await?
            .into_iter()
            .filter(|l| !known.contains(&l.stay.id)),
    );
    Ok(Json(lines.into_iter().map(item).collect()))
}

#[utoipa::path(get, path = "/api/v1/patients/{id}/stays", tag = "transitions",
    params(("id" = i64, Path, description = "Patient id")),
    responses((status = 200, body = [StayItem]), (status = 404, description = "Not the caller's patient", content_type = "application/problem+json")))]
pub async fn patient_stays(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
) -> Result<Json<Vec<StayItem>>, WebError> {
    let (_, lines) = state
        .transitions
        .stays_of_patient(&p, &rc, id, Timestamp::now())
        .await?;
    Ok(Json(lines.into_iter().map(item).collect()))
}

#[utoipa::path(post, path = "/api/v1/patients/{id}/stays", tag = "transitions",
    params(("id" = i64, Path, description = "Patient id")), request_body = AdmissionInput,
    responses((status = 201, body = Created), (status = 422, description = "Invalid fields", content_type = "application/problem+json")))]
pub async fn record_admission(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    ApiJson(b): ApiJson<AdmissionInput>,
) -> Result<Response, WebError> {
    let stay = state
        .transitions
        .record_admission(&p, &rc, id, &b, Timestamp::now())
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: stay.0 })).into_response())
}

#[utoipa::path(get, path = "/api/v1/stays/{id}", tag = "transitions",
    params(("id" = i64, Path, description = "Stay id")),
    responses((status = 200, body = StayOut), (status = 404, description = "Not the caller's", content_type = "application/problem+json")))]
pub async fn get_stay(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
) -> Result<Json<StayOut>, WebError> {
    let v = state
        .transitions
        .stay(&p, &rc, id, Timestamp::now())
        .await?;
    Ok(Json(out(v)))
}

/// A form's template and content.
#[derive(Serialize, ToSchema)]
pub struct FormOut {
    pub kind: String,
    pub template: String,
    /// draft, sent, opened or acknowledged.
    pub status: String,
    /// National field key → value (pre-filled for a new draft).
    pub content: BTreeMap<String, String>,
}

#[utoipa::path(get, path = "/api/v1/stays/{id}/forms/{kind}", tag = "transitions",
    params(("id" = i64, Path, description = "Stay id"), ("kind" = String, Path, description = "admission or discharge")),
    responses((status = 200, body = FormOut)))]
pub async fn get_form(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path((id, kind)): Path<(StayId, String)>,
) -> Result<Json<FormOut>, WebError> {
    let kind = kind_of(&kind)?;
    let v = state
        .transitions
        .form(&p, &rc, id, kind, Timestamp::now())
        .await?;
    Ok(Json(FormOut {
        kind: kind.code().into(),
        template: v.template.code,
        status: v.form.status.code().into(),
        content: v.content,
    }))
}

/// A form's content to save.
#[derive(Deserialize, ToSchema)]
pub struct FormIn {
    /// National field key → value; unknown keys are ignored.
    pub content: BTreeMap<String, String>,
}

#[utoipa::path(post, path = "/api/v1/stays/{id}/forms/{kind}", tag = "transitions",
    params(("id" = i64, Path, description = "Stay id"), ("kind" = String, Path, description = "admission or discharge")),
    request_body = FormIn,
    responses((status = 204), (status = 409, description = "Already sent", content_type = "application/problem+json"), (status = 422, description = "Invalid fields", content_type = "application/problem+json")))]
pub async fn save_form(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path((id, kind)): Path<(StayId, String)>,
    ApiJson(b): ApiJson<FormIn>,
) -> Result<StatusCode, WebError> {
    let kind = kind_of(&kind)?;
    state
        .transitions
        .save_form(&p, &rc, id, kind, &b.content, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/stays/{id}/send", tag = "transitions",
    params(("id" = i64, Path, description = "Stay id")),
    responses((status = 204, description = "Sent to the hospital's liaison inbox; the information counts as given today"), (status = 422, description = "Not saved yet, or the hospital is not on Renkei", content_type = "application/problem+json")))]
pub async fn send_form(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
) -> Result<StatusCode, WebError> {
    state
        .transitions
        .send_admission_form(&p, &rc, id, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/stays/{id}/delivery", tag = "transitions",
    params(("id" = i64, Path, description = "Stay id")), request_body = DeliveryInput,
    responses((status = 204), (status = 422, description = "Invalid fields", content_type = "application/problem+json")))]
pub async fn log_delivery(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
    ApiJson(b): ApiJson<DeliveryInput>,
) -> Result<StatusCode, WebError> {
    state
        .transitions
        .log_admission_delivery(&p, &rc, id, &b, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/stays/{id}/acknowledge", tag = "transitions",
    params(("id" = i64, Path, description = "Stay id")),
    responses((status = 204), (status = 403, description = "Not the hospital's staff", content_type = "application/problem+json")))]
pub async fn acknowledge(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
) -> Result<StatusCode, WebError> {
    state
        .transitions
        .acknowledge_admission_form(&p, &rc, id, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The hospital's note on the sheet it returns.
#[derive(Deserialize, ToSchema)]
pub struct AnnotationIn {
    /// What changed since admission.
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/stays/{id}/annotate", tag = "transitions",
    params(("id" = i64, Path, description = "Stay id")), request_body = AnnotationIn,
    responses((status = 204), (status = 403, description = "Not the hospital's staff", content_type = "application/problem+json"),
        (status = 422, description = "No note", content_type = "application/problem+json")))]
pub async fn annotate(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
    ApiJson(b): ApiJson<AnnotationIn>,
) -> Result<StatusCode, WebError> {
    state
        .transitions
        .annotate_admission_form(&p, &rc, id, &b.note, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A day.
#[derive(Deserialize, ToSchema)]
pub struct DayIn {
    /// YYYY-MM-DD.
    pub on: String,
}

#[utoipa::path(post, path = "/api/v1/stays/{id}/discharge-plan", tag = "transitions",
    params(("id" = i64, Path, description = "Stay id")), request_body = DayIn,
    responses((status = 204), (status = 422, description = "Invalid day", content_type = "application/problem+json")))]
pub async fn plan_discharge(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
    ApiJson(b): ApiJson<DayIn>,
) -> Result<StatusCode, WebError> {
    state
        .transitions
        .plan_discharge(&p, &rc, id, &b.on, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/stays/{id}/discharge", tag = "transitions",
    params(("id" = i64, Path, description = "Stay id")), request_body = DayIn,
    responses((status = 204), (status = 422, description = "Invalid day", content_type = "application/problem+json")))]
pub async fn record_discharge(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
    ApiJson(b): ApiJson<DayIn>,
) -> Result<StatusCode, WebError> {
    state
        .transitions
        .record_discharge(&p, &rc, id, &b.on, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/stays/{id}/contacts", tag = "transitions",
    params(("id" = i64, Path, description = "Stay id")), request_body = ContactInput,
    responses((status = 204), (status = 422, description = "Invalid fields", content_type = "application/problem+json")))]
pub async fn log_contact(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
    ApiJson(b): ApiJson<ContactInput>,
) -> Result<StatusCode, WebError> {
    state
        .transitions
        .log_contact(&p, &rc, id, &b, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/stays/{id}/conferences", tag = "transitions",
    params(("id" = i64, Path, description = "Stay id")), request_body = ConferenceInput,
    responses((status = 201, body = Created), (status = 422, description = "Invalid fields", content_type = "application/problem+json")))]
pub async fn schedule_conference(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
    ApiJson(b): ApiJson<ConferenceInput>,
) -> Result<Response, WebError> {
    let cid = state
        .transitions
        .schedule_conference(&p, &rc, id, &b, Timestamp::now())
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: cid.0 })).into_response())
}

#[utoipa::path(post, path = "/api/v1/stays/{id}/conferences/record", tag = "transitions",
    params(("id" = i64, Path, description = "Stay id")), request_body = ConferenceRecord,
    responses((status = 204, description = "Recorded, and logged as a conference contact"), (status = 409, description = "Already recorded", content_type = "application/problem+json")))]
pub async fn record_conference(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
    ApiJson(b): ApiJson<ConferenceRecord>,
) -> Result<StatusCode, WebError> {
    state
        .transitions
        .record_conference(&p, &rc, id, &b, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/stays/{id}/summary/request", tag = "transitions",
    params(("id" = i64, Path, description = "Stay id")),
    responses((status = 204, description = "The discharge summary's return is tracked from now")))]
pub async fn request_summary(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
) -> Result<StatusCode, WebError> {
    state
        .transitions
        .request_summary(&p, &rc, id, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The discharge summary came back.
#[derive(Deserialize, ToSchema)]
pub struct SummaryReturnedIn {
    /// YYYY-MM-DD.
    pub on: String,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/stays/{id}/summary/returned", tag = "transitions",
    params(("id" = i64, Path, description = "Stay id")), request_body = SummaryReturnedIn,
    responses((status = 204), (status = 422, description = "Invalid day", content_type = "application/problem+json")))]
pub async fn summary_returned(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<StayId>,
    ApiJson(b): ApiJson<SummaryReturnedIn>,
) -> Result<StatusCode, WebError> {
    state
        .transitions
        .record_summary_returned(&p, &rc, id, &b.on, &b.note, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/transitions/inquiries", tag = "transitions",
    responses((status = 200, body = [Inquiry], description = "The region's requests (municipality, support centre) or the caller's own")))]
pub async fn inquiries(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
) -> Result<Json<Vec<Inquiry>>, WebError> {
    Ok(Json(state.transitions.inquiries(&p, &rc).await?))
}

#[utoipa::path(post, path = "/api/v1/transitions/inquiries", tag = "transitions",
    request_body = InquiryInput,
    responses((status = 201, body = Created), (status = 422, description = "Invalid fields", content_type = "application/problem+json")))]
pub async fn ask_for_care_manager(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    ApiJson(b): ApiJson<InquiryInput>,
) -> Result<Response, WebError> {
    let id = state
        .transitions
        .ask_for_care_manager(&p, &rc, &b, Timestamp::now())
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: id.0 })).into_response())
}

#[utoipa::path(post, path = "/api/v1/transitions/inquiries/answer", tag = "transitions",
    request_body = InquiryAnswer,
    responses((status = 204), (status = 409, description = "Already answered", content_type = "application/problem+json"), (status = 422, description = "Invalid fields, or no two-factor sign-in", content_type = "application/problem+json")))]
pub async fn answer_inquiry(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    ApiJson(b): ApiJson<InquiryAnswer>,
) -> Result<StatusCode, WebError> {
    state
        .transitions
        .answer_inquiry(&p, &rc, &b, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/patients/{id}/documents", tag = "transitions",
    params(("id" = i64, Path, description = "Patient id")),
    responses((status = 200, body = [Document])))]
pub async fn documents(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
) -> Result<Json<Vec<Document>>, WebError> {
    Ok(Json(
        state
            .transitions
            .documents_of_patient(&p, &rc, id, Timestamp::now())
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/patients/{id}/documents", tag = "transitions",
    params(("id" = i64, Path, description = "Patient id")),
    request_body(content = Object, description = "A FHIR R4 document Bundle (JP-CLINS), application/fhir+json", content_type = "application/fhir+json"),
    responses((status = 201, body = Created), (status = 422, description = "Each structural problem with its place", content_type = "application/problem+json")))]
pub async fn attach_document(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let doc = state
        .transitions
        .import_document(&p, &rc, id, &body, Timestamp::now())
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: doc.0 })).into_response())
}

#[derive(Deserialize, IntoParams)]
pub struct MonthParam {
    /// YYYY-MM (default: the current month, Japan time).
    #[serde(default)]
    pub month: String,
}

#[utoipa::path(get, path = "/api/v1/transitions/compliance", tag = "transitions",
    params(MonthParam),
    responses((status = 200, body = ComplianceReport, description = "Counts only, no patient names")))]
pub async fn compliance(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Query(q): Query<MonthParam>,
) -> Result<Json<ComplianceReport>, WebError> {
    let now = Timestamp::now();
    let month = if q.month.trim().is_empty() {
        now.to_jst_display().get(..7).unwrap_or("").to_string()
    } else {
        q.month.trim().to_string()
    };
    Ok(Json(
        state.transitions.compliance(&p, &rc, &month, now).await?,
    ))
}

/// A rule set with its versions (each body as JSON).
#[derive(Serialize, ToSchema)]
pub struct RuleSetOut {
    pub id: i64,
    pub name: String,
    pub publisher: String,
    pub shared: bool,
    #[schema(value_type = Vec<Object>)]
    pub versions: Vec<serde_json::Value>,
}

#[utoipa::path(get, path = "/api/v1/transitions/rules", tag = "transitions",
    responses((status = 200, body = [RuleSetOut], description = "The region's rule sets with every version")))]
pub async fn rules(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
) -> Result<Json<Vec<RuleSetOut>>, WebError> {
    let view = state.transitions.rules(&p).await?;
    Ok(Json(
        view.own
            .into_iter()
            .map(|(s, versions)| RuleSetOut {
                id: s.id.0,
                name: s.name,
                publisher: s.publisher,
                shared: s.shared,
                versions: versions
                    .iter()
                    .map(|v| {
                        serde_json::json!({
                            "version": v.version,
                            "effective_from": v.effective_from,
                            "note": v.note,
                            "body": v.body(),
                        })
                    })
                    .collect(),
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/transitions/tasks", tag = "transitions",
    responses((status = 200, body = [HandoffTask], description = "The tasks in the caller's inboxes (support centre, hub, team), open first, the earliest due first")))]
pub async fn tasks(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
) -> Result<Json<Vec<HandoffTask>>, WebError> {
    Ok(Json(
        state.transitions.tasks(&p, &rc, Timestamp::now()).await?,
    ))
}

/// A care-management office a task may choose.
#[derive(Serialize, ToSchema)]
pub struct OfficeItem {
    pub entry_id: i64,
    pub name: String,
    pub phone: String,
    /// accepting, waiting_list, full or unknown (受入状況).
    pub acceptance: String,
}

/// One task with what helps to act on it.
#[derive(Serialize, ToSchema)]
pub struct TaskOut {
    pub task: HandoffTask,
    /// The rule's steps.
    pub steps: Vec<String>,
    /// For a person without a care manager: the offices of their
    /// municipality, accepting first.
    pub offices: Vec<OfficeItem>,
    /// For widening the team: the roles it lacks (Japanese names).
    pub missing_roles: Vec<String>,
    /// The chosen office's name, once done.
    pub chosen_name: String,
}

#[utoipa::path(get, path = "/api/v1/transitions/tasks/{id}", tag = "transitions",
    params(("id" = i64, Path, description = "Task id")),
    responses((status = 200, body = TaskOut), (status = 404, description = "No such task in the caller's inboxes", content_type = "application/problem+json")))]
pub async fn task(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<HandoffTaskId>,
) -> Result<Json<TaskOut>, WebError> {
    let v = state
        .transitions
        .task(&p, &rc, id, Timestamp::now())
        .await?;
    Ok(Json(TaskOut {
        steps: v.task.steps(),
        offices: v
            .offices
            .into_iter()
            .map(|(id, name, phone, acceptance)| OfficeItem {
                entry_id: id.0,
                name,
                phone,
                acceptance,
            })
            .collect(),
        missing_roles: v.missing_roles,
        chosen_name: v.chosen_name,
        task: v.task,
    }))
}

#[utoipa::path(post, path = "/api/v1/transitions/tasks/{id}/done", tag = "transitions",
    params(("id" = i64, Path, description = "Task id")), request_body = TaskDoneInput,
    responses((status = 204), (status = 409, description = "Done already", content_type = "application/problem+json"),
        (status = 422, description = "No outcome, or an office not listed", content_type = "application/problem+json")))]
pub async fn close_task(
    State(state): State<TransitionsState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<HandoffTaskId>,
    ApiJson(b): ApiJson<TaskDoneInput>,
) -> Result<StatusCode, WebError> {
    state
        .transitions
        .close_task(&p, &rc, id, &b, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
