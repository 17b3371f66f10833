//! The care JSON API under `/api/v1/patients/…`: patients, consent, team,
//! posts (with the `Idempotency-Key` header), acknowledgements, read
//! receipts and the summary. The same service rules and audit as the pages.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use renkei_care::model::{
    CategoryFilter, ConsentInput, PatientInput, PatientRecord, PostInput, PostView, Receipt,
    SummaryFields, TimelineQuery,
};
use renkei_domain::care::{MemberStatus, SpaceKind, Vitals};
use renkei_domain::{
    AttachmentId, ConsentId, OrgId, PatientId, PostId, SpaceId, Timestamp, UserId,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::CareState;
use renkei_web_kit::auth::{Ctx, CurrentUser};
use renkei_web_kit::ApiJson;
use renkei_web_kit::WebError;

fn rfc3339(ms: i64) -> String {
    Timestamp(ms).to_rfc3339()
}

/// A patient in the user's list.
#[derive(Serialize, ToSchema)]
pub struct PatientListItem {
    #[schema(value_type = i64)]
    pub id: PatientId,
    pub name: String,
    pub kana: String,
    pub team_role: String,
    pub is_lead: bool,
    pub unread: i64,
    pub urgent_open: i64,
}

/// A patient's basic record.
#[derive(Serialize, ToSchema)]
pub struct PatientOut {
    #[schema(value_type = i64)]
    pub id: PatientId,
    #[serde(flatten)]
    pub record: PatientRecord,
    #[schema(value_type = i64)]
    pub registering_organization_id: OrgId,
}

/// A new patient.
#[derive(Deserialize, ToSchema)]
pub struct PatientIn {
    /// One of the caller's organisations (default: the first).
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub organization_id: Option<OrgId>,
    /// The caller's role in the new team, e.g. `care_manager`.
    pub team_role: String,
    #[serde(flatten)]
    pub patient: PatientInput,
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    /// The new patient's or consent's id.
    pub id: i64,
}

#[utoipa::path(get, path = "/api/v1/patients", tag = "care",
    responses((status = 200, body = [PatientListItem])))]
pub async fn list_patients(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
) -> Result<Json<Vec<PatientListItem>>, WebError> {
    crate::posts::require_care_role(&p)?;
    let spaces = state.care.my_spaces(&p, &rc).await?;
    Ok(Json(
        spaces
            .into_iter()
            .filter(|s| s.kind == SpaceKind::Patient && s.status == MemberStatus::Active)
            .filter_map(|s| {
                Some(PatientListItem {
                    id: s.patient_id?,
                    name: s.name,
                    kana: s.kana,
                    team_role: s.team_role.code().into(),
                    is_lead: s.is_lead,
                    unread: s.unread,
                    urgent_open: s.urgent_open,
                })
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/patients", tag = "care", request_body = PatientIn,
    responses((status = 201, body = Created), (status = 422, description = "Invalid fields", content_type = "application/problem+json")))]
pub async fn create_patient(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    ApiJson(b): ApiJson<PatientIn>,
) -> Result<Response, WebError> {
    let id = state
        .care
        .register_patient(
            &p,
            &rc,
            b.organization_id,
            &b.team_role,
            &b.patient,
            Timestamp::now(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: id.0 })).into_response())
}

#[utoipa::path(get, path = "/api/v1/patients/{id}", tag = "care",
    params(("id" = i64, Path, description = "Patient id")),
    responses((status = 200, body = PatientOut), (status = 403, description = "Not on the team", content_type = "application/problem+json")))]
pub async fn get_patient(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
) -> Result<Json<PatientOut>, WebError> {
    let (pt, _) = state.care.patient(&p, &rc, id, Timestamp::now()).await?;
    Ok(Json(PatientOut {
        id: pt.id,
        record: pt.record,
        registering_organization_id: pt.registering_org_id,
    }))
}

/// A consent record.
#[derive(Serialize, ToSchema)]
pub struct ConsentOut {
    #[schema(value_type = i64)]
    pub id: ConsentId,
    pub active: bool,
    #[schema(value_type = Vec<i64>)]
    pub covers_organization_ids: Vec<OrgId>,
    pub covers_professions: Vec<String>,
    pub covers_family: bool,
    pub obtained_on: String,
    pub obtained_by: String,
    pub signer: String,
    #[schema(value_type = Option<i64>)]
    pub form_attachment_id: Option<AttachmentId>,
    pub recorded_at: String,
    pub withdrawn_at: Option<String>,
    pub withdrawal_reason: String,
}

#[utoipa::path(get, path = "/api/v1/patients/{id}/consents", tag = "care",
    params(("id" = i64, Path, description = "Patient id")),
    responses((status = 200, body = [ConsentOut])))]
pub async fn list_consents(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
) -> Result<Json<Vec<ConsentOut>>, WebError> {
    let consents = state.care.consents(&p, &rc, id, Timestamp::now()).await?;
    Ok(Json(
        consents
            .into_iter()
            .map(|c| ConsentOut {
                id: c.id,
                active: c.active(),
                covers_organization_ids: c.coverage.org_ids.clone(),
                covers_professions: c
                    .coverage
                    .professions
                    .iter()
                    .map(|x| x.code().to_string())
                    .collect(),
                covers_family: c.coverage.family,
                obtained_on: c.obtained_on,
                obtained_by: c.obtained_by,
                signer: c.signer,
                form_attachment_id: c.form_attachment_id,
                recorded_at: rfc3339(c.recorded_at),
                withdrawn_at: c.withdrawn_at.map(rfc3339),
                withdrawal_reason: c.withdrawal_reason,
            })
            .collect(),
    ))
}

/// A consent to record (the signed form is uploaded through the web page).
#[derive(Deserialize, ToSchema)]
pub struct ConsentIn {
    #[serde(default)]
    #[schema(value_type = Vec<i64>)]
    pub covers_organization_ids: Vec<OrgId>,
    #[serde(default)]
    pub covers_professions: Vec<String>,
    #[serde(default)]
    pub covers_family: bool,
    pub obtained_on: String,
    pub obtained_by: String,
    #[serde(default)]
    pub signer: String,
}

#[utoipa::path(post, path = "/api/v1/patients/{id}/consents", tag = "care", request_body = ConsentIn,
    params(("id" = i64, Path, description = "Patient id")),
    responses((status = 201, body = Created), (status = 422, description = "Invalid fields", content_type = "application/problem+json")))]
pub async fn record_consent(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    ApiJson(b): ApiJson<ConsentIn>,
) -> Result<Response, WebError> {
    let input = ConsentInput {
        covers_orgs: b.covers_organization_ids,
        covers_professions: b.covers_professions,
        covers_family: b.covers_family,
        obtained_on: b.obtained_on,
        obtained_by: b.obtained_by,
        signer: b.signer,
    };
    let cid = state
        .care
        .record_consent(&p, &rc, id, &input, None, Timestamp::now())
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: cid.0 })).into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct ReasonIn {
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/patients/{id}/consents/withdraw", tag = "care", request_body = ReasonIn,
    params(("id" = i64, Path, description = "Patient id")),
    responses((status = 204, description = "Withdrawn; only the registering organisation keeps access")))]
pub async fn withdraw_consent(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    ApiJson(b): ApiJson<ReasonIn>,
) -> Result<StatusCode, WebError> {
    state
        .care
        .withdraw_consent(&p, &rc, id, &b.reason, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A team member.
#[derive(Serialize, ToSchema)]
pub struct MemberOut {
    #[schema(value_type = i64)]
    pub user_id: UserId,
    pub username: String,
    pub display_name: String,
    pub profession: String,
    #[schema(value_type = Option<i64>)]
    pub organization_id: Option<OrgId>,
    pub organization_name: Option<String>,
    /// e.g. `attending_doctor`, `visiting_nurse`, `family`.
    pub team_role: String,
    pub is_lead: bool,
    /// `active`, `invited`, `left`, `declined`.
    pub status: String,
}

#[utoipa::path(get, path = "/api/v1/patients/{id}/team", tag = "care",
    params(("id" = i64, Path, description = "Patient id")),
    responses((status = 200, body = [MemberOut])))]
pub async fn team(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
) -> Result<Json<Vec<MemberOut>>, WebError> {
    let space = state.care.patient_space(id).await?;
    let v = state.care.team(&p, &rc, space, Timestamp::now()).await?;
    Ok(Json(
        v.members
            .into_iter()
            .map(|m| MemberOut {
                user_id: m.user_id,
                username: m.username,
                display_name: m.display_name,
                profession: m.profession.code().into(),
                organization_id: m.org_id,
                organization_name: m.org_name,
                team_role: m.team_role.code().into(),
                is_lead: m.is_lead,
                status: m.status.code().into(),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct InviteIn {
    /// User name or id of the person to invite.
    pub invitee: String,
    pub team_role: String,
}

#[utoipa::path(post, path = "/api/v1/patients/{id}/team", tag = "care", request_body = InviteIn,
    params(("id" = i64, Path, description = "Patient id")),
    responses((status = 204, description = "Invited; the invitee accepts")))]
pub async fn invite(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    ApiJson(b): ApiJson<InviteIn>,
) -> Result<StatusCode, WebError> {
    let space = state.care.patient_space(id).await?;
    state
        .care
        .invite(&p, &rc, space, &b.invitee, &b.team_role, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/patients/{id}/team/accept", tag = "care",
    params(("id" = i64, Path, description = "Patient id")),
    responses((status = 204, description = "Joined")))]
pub async fn accept(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
) -> Result<StatusCode, WebError> {
    let space = state.care.patient_space(id).await?;
    state.care.accept(&p, &rc, space, Timestamp::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/patients/{id}/team/leave", tag = "care",
    params(("id" = i64, Path, description = "Patient id")),
    responses((status = 204, description = "Left (or declined the invitation); access ends at once")))]
pub async fn leave(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
) -> Result<StatusCode, WebError> {
    let space = state.care.patient_space(id).await?;
    state
        .care
        .leave(&p, &rc, space, true, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A timeline post.
#[derive(Serialize, ToSchema)]
pub struct PostOut {
    #[schema(value_type = i64)]
    pub id: PostId,
    #[schema(value_type = i64)]
    pub author_id: UserId,
    pub author_name: String,
    pub author_team_role: String,
    /// `post`, or `notice` for what Renkei writes (break-glass).
    pub kind: String,
    pub category: String,
    /// Empty when withdrawn.
    pub text: String,
    #[schema(value_type = Option<i64>)]
    pub reply_to: Option<PostId>,
    #[schema(value_type = Object)]
    pub vitals: Vitals,
    pub urgent: bool,
    pub acknowledgement_role: String,
    #[schema(value_type = Option<i64>)]
    pub acknowledged_by: Option<UserId>,
    pub acknowledged_at: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub edited_at: Option<String>,
    pub withdrawn_at: Option<String>,
    pub read_by: Vec<ReceiptOut>,
    #[schema(value_type = Vec<i64>)]
    pub attachment_ids: Vec<AttachmentId>,
}

/// Who read a post and when.
#[derive(Serialize, ToSchema)]
pub struct ReceiptOut {
    #[schema(value_type = i64)]
    pub user_id: UserId,
    pub display_name: String,
    pub read_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct TimelineOut {
    pub urgent: Vec<PostOut>,
    pub posts: Vec<PostOut>,
    /// Pass as `before` for the next page.
    #[schema(value_type = Option<i64>)]
    pub next_before: Option<PostId>,
}

#[derive(Deserialize, IntoParams)]
pub struct TimelineParams {
    /// Posts older than this id.
    #[param(value_type = Option<i64>)]
    pub before: Option<PostId>,
    /// Search text.
    pub q: Option<String>,
    pub category: Option<String>,
    /// At most 100 (default 20).
    pub limit: Option<i64>,
}

impl From<&Receipt> for ReceiptOut {
    fn from(r: &Receipt) -> Self {
        ReceiptOut {
            user_id: r.user_id,
            display_name: r.display_name.clone(),
            read_at: rfc3339(r.read_at),
        }
    }
}

fn post_out(v: &PostView) -> PostOut {
    let p = &v.post;
    let withdrawn = p.withdrawn_at.is_some();
    PostOut {
        id: p.id,
        author_id: p.author_id,
        author_name: p.author_name.clone(),
        author_team_role: p.author_role.code().into(),
        kind: p.kind.code().into(),
        category: p.category.code().into(),
        text: if withdrawn {
            String::new()
        } else {
            p.body.clone()
        },
        reply_to: p.reply_to,
        vitals: if withdrawn {
            Vitals::default()
        } else {
            p.vitals()
        },
        urgent: p.urgent,
        acknowledgement_role: p.ack_role.map_or("", |r| r.code()).into(),
        acknowledged_by: p.acked_by,
        acknowledged_at: p.acked_at.map(rfc3339),
        version: p.version,
        created_at: rfc3339(p.created_at),
        edited_at: p.edited_at.map(rfc3339),
        withdrawn_at: p.withdrawn_at.map(rfc3339),
        read_by: v.receipts.iter().map(ReceiptOut::from).collect(),
        attachment_ids: v.attachments.iter().map(|a| a.id).collect(),
    }
}

#[utoipa::path(get, path = "/api/v1/patients/{id}/posts", tag = "care",
    params(("id" = i64, Path, description = "Patient id"), TimelineParams),
    responses((status = 200, body = TimelineOut)))]
pub async fn list_posts(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    Query(q): Query<TimelineParams>,
) -> Result<Json<TimelineOut>, WebError> {
    let v = state
        .care
        .patient_timeline(
            &p,
            &rc,
            id,
            TimelineQuery {
                before: q.before,
                text: q.q,
                // A code that names no category matches no post.
                category: CategoryFilter::from_code(q.category.as_deref().unwrap_or("")),
                limit: q.limit.unwrap_or(0).clamp(0, 100),
            },
            Timestamp::now(),
        )
        .await?;
    let mut posts = Vec::new();
    for x in &v.posts {
        posts.push(post_out(x));
        posts.extend(x.replies.iter().map(post_out));
    }
    Ok(Json(TimelineOut {
        urgent: v.urgent.iter().map(post_out).collect(),
        posts,
        next_before: v.next_before,
    }))
}

/// A new post. Send the `Idempotency-Key` header: a retry with the same key
/// and body answers with the first post instead of writing another.
#[derive(Deserialize, ToSchema)]
pub struct PostIn {
    /// `vitals`, `medication`, `meals`, `excretion`, `skin`, `adl`,
    /// `mental`, `family`, `request`, `visit_report`, `other`.
    pub category: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub vitals: Vitals,
    #[serde(default)]
    pub urgent: bool,
    /// Team role that must acknowledge an urgent post, e.g. `attending_doctor`.
    #[serde(default)]
    pub acknowledgement_role: String,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub reply_to: Option<PostId>,
    /// Set after a 422 with code `unusual` to confirm implausible values.
    #[serde(default)]
    pub confirm_unusual: bool,
}

#[derive(Serialize, ToSchema)]
pub struct PostCreated {
    #[schema(value_type = i64)]
    pub id: PostId,
    /// True when this was a retry of an already committed post.
    pub duplicate: bool,
}

#[utoipa::path(post, path = "/api/v1/patients/{id}/posts", tag = "care", request_body = PostIn,
    params(("id" = i64, Path, description = "Patient id"),
           ("Idempotency-Key" = String, Header, description = "8–100 characters of A–Z a–z 0–9 - _, unique per post")),
    responses((status = 201, body = PostCreated, description = "Committed"),
              (status = 200, body = PostCreated, description = "A retry: the post committed earlier"),
              (status = 409, description = "The key was used for a different post", content_type = "application/problem+json"),
              (status = 422, description = "Invalid fields or unusual vital signs to confirm", content_type = "application/problem+json")))]
pub async fn create_post(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<PostIn>,
) -> Result<Response, WebError> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_string();
    // A missing or malformed key is refused by the service, after the
    // access check, with a field error naming `idempotency_key`.
    let space = state.care.patient_space(id).await?;
    let out = state
        .care
        .post(
            &p,
            &rc,
            space,
            PostInput {
                category: b.category,
                body: b.text,
                vitals: b.vitals,
                urgent: b.urgent,
                ack_role: b.acknowledgement_role,
                reply_to: b.reply_to,
                idempotency_key: key,
                confirm_unusual: b.confirm_unusual,
            },
            Vec::new(),
            Timestamp::now(),
        )
        .await?;
    let status = if out.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(PostCreated {
            id: out.post_id,
            duplicate: out.duplicate,
        }),
    )
        .into_response())
}

/// The post must belong to the patient in the path.
async fn check_post(state: &CareState, patient: PatientId, post: PostId) -> Result<(), WebError> {
    let space = state.care.patient_space(patient).await?;
    match state.care.post_space(post).await? {
        s if s == space => Ok(()),
        _ => Err(WebError::NotFound),
    }
}

#[utoipa::path(post, path = "/api/v1/patients/{id}/posts/{post}/acknowledge", tag = "care",
    params(("id" = i64, Path, description = "Patient id"), ("post" = i64, Path, description = "Post id")),
    responses((status = 204, description = "Acknowledged"), (status = 409, description = "Already acknowledged", content_type = "application/problem+json")))]
pub async fn acknowledge(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path((id, post)): Path<(PatientId, PostId)>,
) -> Result<StatusCode, WebError> {
    check_post(&state, id, post).await?;
    state
        .care
        .acknowledge(&p, &rc, post, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/patients/{id}/posts/{post}/read", tag = "care",
    params(("id" = i64, Path, description = "Patient id"), ("post" = i64, Path, description = "Post id")),
    responses((status = 204, description = "Receipt recorded (first reading only)")))]
pub async fn mark_read(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path((id, post)): Path<(PatientId, PostId)>,
) -> Result<StatusCode, WebError> {
    check_post(&state, id, post).await?;
    state
        .care
        .mark_read(&p, &rc, post, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/patients/{id}/posts/{post}/reads", tag = "care",
    params(("id" = i64, Path, description = "Patient id"), ("post" = i64, Path, description = "Post id")),
    responses((status = 200, body = [ReceiptOut])))]
pub async fn receipts(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path((id, post)): Path<(PatientId, PostId)>,
) -> Result<Json<Vec<ReceiptOut>>, WebError> {
    check_post(&state, id, post).await?;
    let r = state.care.receipts(&p, &rc, post, Timestamp::now()).await?;
    Ok(Json(r.iter().map(ReceiptOut::from).collect()))
}

/// The shared summary.
#[derive(Serialize, ToSchema)]
pub struct SummaryOut {
    /// 0 before the first save.
    pub version: i64,
    pub diagnoses: String,
    pub medicines: String,
    pub allergies: String,
    pub adl: String,
    pub procedures: String,
    pub notes: String,
    pub changed_by: Option<String>,
    pub changed_at: Option<String>,
    /// From the basic record.
    pub care_level: String,
}

#[utoipa::path(get, path = "/api/v1/patients/{id}/summary", tag = "care",
    params(("id" = i64, Path, description = "Patient id")),
    responses((status = 200, body = SummaryOut), (status = 403, description = "Family members until the lead opens it", content_type = "application/problem+json")))]
pub async fn summary(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
) -> Result<Json<SummaryOut>, WebError> {
    let v = state.care.summary(&p, &rc, id, Timestamp::now()).await?;
    let f = v
        .current
        .as_ref()
        .map(|c| c.fields.clone())
        .unwrap_or_default();
    Ok(Json(SummaryOut {
        version: v.current.as_ref().map(|c| c.version).unwrap_or(0),
        diagnoses: f.diagnoses,
        medicines: f.medicines,
        allergies: f.allergies,
        adl: f.adl,
        procedures: f.procedures,
        notes: f.notes,
        changed_by: v.current.as_ref().map(|c| c.changed_by_name.clone()),
        changed_at: v.current.as_ref().map(|c| rfc3339(c.changed_at)),
        care_level: v.patient.record.care_level.code().into(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct SummaryIn {
    /// The version the change is based on (409 if someone saved since).
    pub base_version: i64,
    #[serde(default)]
    pub diagnoses: String,
    #[serde(default)]
    pub medicines: String,
    #[serde(default)]
    pub allergies: String,
    #[serde(default)]
    pub adl: String,
    #[serde(default)]
    pub procedures: String,
    #[serde(default)]
    pub notes: String,
}

#[derive(Serialize, ToSchema)]
pub struct VersionOut {
    pub version: i64,
}

#[utoipa::path(post, path = "/api/v1/patients/{id}/summary", tag = "care", request_body = SummaryIn,
    params(("id" = i64, Path, description = "Patient id")),
    responses((status = 201, body = VersionOut), (status = 409, description = "Changed by someone else since base_version", content_type = "application/problem+json")))]
pub async fn save_summary(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<PatientId>,
    ApiJson(b): ApiJson<SummaryIn>,
) -> Result<Response, WebError> {
    let fields = SummaryFields {
        diagnoses: b.diagnoses,
        medicines: b.medicines,
        allergies: b.allergies,
        adl: b.adl,
        procedures: b.procedures,
        notes: b.notes,
    };
    let version = state
        .care
        .save_summary(&p, &rc, id, b.base_version, &fields, Timestamp::now())
        .await?;
    Ok((StatusCode::CREATED, Json(VersionOut { version })).into_response())
}

/// Unread posts across the user's patients and groups.
#[derive(Serialize, ToSchema)]
pub struct UnreadOut {
    pub total: i64,
    pub urgent_open: i64,
    pub spaces: Vec<UnreadSpace>,
}

#[derive(Serialize, ToSchema)]
pub struct UnreadSpace {
    /// `patient` or `group`.
    pub kind: String,
    #[schema(value_type = Option<i64>)]
    pub patient_id: Option<PatientId>,
    #[schema(value_type = Option<i64>)]
    pub group_id: Option<SpaceId>,
    pub name: String,
    pub unread: i64,
    pub urgent_open: i64,
}

#[utoipa::path(get, path = "/api/v1/me/unread", tag = "care",
    responses((status = 200, body = UnreadOut)))]
pub async fn unread(
    State(state): State<CareState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
) -> Result<Json<UnreadOut>, WebError> {
    crate::posts::require_care_role(&p)?;
    let spaces: Vec<_> = state
        .care
        .my_spaces(&p, &rc)
        .await?
        .into_iter()
        .filter(|s| s.status == MemberStatus::Active)
        .collect();
    Ok(Json(UnreadOut {
        total: spaces.iter().map(|s| s.unread).sum(),
        urgent_open: spaces.iter().map(|s| s.urgent_open).sum(),
        spaces: spaces
            .into_iter()
            .map(|s| UnreadSpace {
                group_id: (s.kind == SpaceKind::Group).then_some(s.space_id),
                kind: s.kind.code().into(),
                patient_id: s.patient_id,
                name: s.name,
                unread: s.unread,
                urgent_open: s.urgent_open,
            })
            .collect(),
    }))
}
