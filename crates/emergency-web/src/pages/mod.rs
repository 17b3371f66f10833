//! Emergency's pages: the records list, a record's page, its form, the
//! printable card (shown once, when its link is made), and the sheet a
//! card's link opens.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use renkei_domain::emergency::Device;
use renkei_domain::{EmergencyLinkId, EmergencyRecordId, PatientId, Timestamp, ValidationErrors};
use renkei_emergency::model::{EmergencySheet, RecordInput, RecordLine, RecordView};
use renkei_emergency::Emergency;
use renkei_identity::Principal;
use serde::Deserialize;

use crate::EmergencyState;

mod acp;
mod applications;
mod disaster;
mod search;
mod transport;
pub use acp::*;
pub use applications::*;
pub use disaster::*;
use renkei_web_kit::auth::{Ctx, CurrentUser, PageCtx};
use renkei_web_kit::page::{form_status, ok, refuse_or, render};
use renkei_web_kit::{FormData, Layout, WebError};
pub use search::*;
pub use transport::*;

/// An instant as Japan time, or "".
fn when(ms: Option<i64>) -> String {
    ms.map(|t| Timestamp(t).to_jst_display())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "emergency/list.html")]
struct ListPage {
    l: Layout,
    lines: Vec<(RecordLine, String, String)>,
    without: Vec<(PatientId, String)>,
    may_register_unlinked: bool,
    /// The desk: residents' applications waiting.
    desk: bool,
    pending: usize,
}

pub async fn list(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
) -> Result<Response, WebError> {
    let now = Timestamp::now();
    let e = &state.emergency;
    let lines = e
        .records(&p, &rc, now)
        .await?
        .into_iter()
        .map(|l| {
            let verified = when(l.verified_at);
            let reasons = l.freshness.reasons_ja();
            (l, verified, reasons)
        })
        .collect();
    let page = ListPage {
        l: Layout::new(&ctx, ctx.lang.tr("緊急時情報", "Emergency information")),
        lines,
        without: e.patients_without_record(&p, &rc).await?,
        may_register_unlinked: Emergency::may_register_unlinked(&p),
        desk: p.role == renkei_domain::Role::Coordinator,
        pending: if p.role == renkei_domain::Role::Coordinator {
            e.pending_applications(&p).await?
        } else {
            0
        },
    };
    ok(&page)
}

#[derive(Template)]
#[template(path = "emergency/form.html")]
struct FormPage {
    l: Layout,
    /// The record being edited; none: a new one.
    id: Option<EmergencyRecordId>,
    /// A resident's own application to this region (the public form).
    region_code: Option<String>,
    input: RecordInput,
    municipalities: Vec<(String, String)>,
    devices: Vec<(&'static str, &'static str, bool)>,
    errors: ValidationErrors,
}

fn form_page(
    ctx: &PageCtx,
    id: Option<EmergencyRecordId>,
    input: RecordInput,
    municipalities: Vec<(String, String)>,
    errors: ValidationErrors,
) -> Result<Response, WebError> {
    form_page_for(ctx, id, None, input, municipalities, errors)
}

/// The record's form: the team's or desk's (`region_code` none), or a
/// resident's application to a region.
pub(crate) fn form_page_for(
    ctx: &PageCtx,
    id: Option<EmergencyRecordId>,
    region_code: Option<String>,
    input: RecordInput,
    municipalities: Vec<(String, String)>,
    errors: ValidationErrors,
) -> Result<Response, WebError> {
    let status = form_status(&errors);
    let devices = Device::ALL
        .iter()
        .map(|d| {
            (
                d.code(),
                d.label(ctx.lang.code()),
                input.devices.iter().any(|c| c == d.code()),
            )
        })
        .collect();
    let title = if region_code.is_some() {
        ctx.lang.tr(
            "緊急時情報（救急医療情報キット）の申し込み",
            "Apply for emergency information",
        )
    } else if id.is_some() {
        ctx.lang
            .tr("緊急時情報の編集", "Edit emergency information")
    } else {
        ctx.lang.tr("緊急時情報の登録", "New emergency information")
    };
    render(
        &FormPage {
            l: Layout::new(ctx, title),
            id,
            region_code,
            input,
            municipalities,
            devices,
            errors,
        },
        status,
    )
}

pub(crate) fn input_of(form: &FormData) -> RecordInput {
    RecordInput {
        patient_id: form.opt_i64("patient_id").ok().flatten().map(PatientId),
        name: form.get("name").to_string(),
        kana: form.get("kana").to_string(),
        birth_date: form.get("birth_date").to_string(),
        address: form.get("address").to_string(),
        municipality_code: form.get("municipality_code").to_string(),
        area: form.get("area").to_string(),
        phone: form.get("phone").to_string(),
        family_doctor: form.get("family_doctor").to_string(),
        diseases: form.get("diseases").to_string(),
        medicines: form.get("medicines").to_string(),
        allergies: form.get("allergies").to_string(),
        contacts: form.get("contacts").to_string(),
        insurance: form.get("insurance").to_string(),
        devices: form.all("devices").into_iter().map(String::from).collect(),
        home_file: form.get("home_file").to_string(),
        wishes: form.get("wishes").to_string(),
        lives_alone: form.get("lives_alone") == "on",
        disaster_share: form.get("disaster_share") == "on",
    }
}

async fn municipalities(
    state: &EmergencyState,
    p: &Principal,
) -> Result<Vec<(String, String)>, WebError> {
    Ok(match p.region_id {
        Some(r) => state.emergency.municipalities(r).await?,
        None => Vec::new(),
    })
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    pub patient: Option<i64>,
}

pub async fn new_record(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Query(q): Query<NewQuery>,
) -> Result<Response, WebError> {
    let now = Timestamp::now();
    let input = match q.patient {
        Some(pid) => {
            let pid = PatientId(pid);
            if let Some(id) = state.emergency.record_of_patient(&p, &rc, pid, now).await? {
                return Ok(Redirect::to(&format!("/emergency/records/{id}")).into_response());
            }
            state.emergency.prefill(&p, &rc, pid, now).await?
        }
        None if Emergency::may_register_unlinked(&p) => RecordInput::default(),
        None => return Err(WebError::Forbidden),
    };
    let m = municipalities(&state, &p).await?;
    form_page(&ctx, None, input, m, ValidationErrors::new())
}

pub async fn create_record(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    let input = input_of(&form);
    let result = state
        .emergency
        .create_record(&p, &rc, &input, Timestamp::now())
        .await;
    refuse_or(
        result,
        |id| Redirect::to(&format!("/emergency/records/{id}")).into_response(),
        |errors| async {
            let m = municipalities(&state, &p).await?;
            form_page(&ctx, None, input.clone(), m, errors)
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "emergency/record.html")]
struct RecordPage {
    l: Layout,
    v: RecordView,
    devices: String,
    verified: String,
    reasons: String,
    /// Links: id, made, revoked ("" live).
    links: Vec<(EmergencyLinkId, String, String)>,
    /// Openings: when, from where.
    openings: Vec<(String, String)>,
    /// The resident's watchers, and those the desk may assign.
    watchers: Vec<(renkei_domain::UserId, String)>,
    candidates: Vec<(renkei_domain::UserId, String)>,
    /// Whether the user is the desk keeping this resident.
    desk: bool,
}

pub async fn record(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<EmergencyRecordId>,
) -> Result<Response, WebError> {
    let now = Timestamp::now();
    let v = state.emergency.record(&p, &rc, id, now).await?;
    let (watchers, candidates) = state.emergency.watchers(&p, &rc, id, now).await?;
    let page = RecordPage {
        desk: p.role == renkei_domain::Role::Coordinator
            && v.record.patient_id.is_none()
            && v.may_write,
        watchers,
        candidates,
        l: Layout::new(
            &ctx,
            &format!(
                "{} {}",
                ctx.lang.tr("緊急時情報", "Emergency information"),
                v.record.name
            ),
        ),
        devices: v
            .record
            .devices()
            .iter()
            .map(|d| d.label(ctx.lang.code()))
            .collect::<Vec<_>>()
            .join("、"),
        verified: when(v.record.verified_at),
        reasons: v.freshness.reasons_ja(),
        links: v
            .links
            .iter()
            .map(|k| (k.id, when(Some(k.created_at)), when(k.revoked_at)))
            .collect(),
        openings: v
            .openings
            .iter()
            .map(|o| (when(Some(o.opened_at)), o.source_addr.clone()))
            .collect(),
        v,
    };
    ok(&page)
}

pub async fn edit_record(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<EmergencyRecordId>,
) -> Result<Response, WebError> {
    let v = state
        .emergency
        .record(&p, &rc, id, Timestamp::now())
        .await?;
    if !v.may_write {
        return Err(WebError::Forbidden);
    }
    let input = RecordInput::from(&v.record);
    let m = municipalities(&state, &p).await?;
    form_page(&ctx, Some(id), input, m, ValidationErrors::new())
}

pub async fn update_record(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<EmergencyRecordId>,
    form: FormData,
) -> Result<Response, WebError> {
    let input = input_of(&form);
    let result = state
        .emergency
        .update_record(&p, &rc, id, &input, Timestamp::now())
        .await;
    refuse_or(
        result,
        |_| Redirect::to(&format!("/emergency/records/{id}")).into_response(),
        |errors| async {
            let m = municipalities(&state, &p).await?;
            form_page(&ctx, Some(id), input.clone(), m, errors)
        },
    )
    .await
}

pub async fn verify(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<EmergencyRecordId>,
) -> Result<Response, WebError> {
    state
        .emergency
        .verify(&p, &rc, id, Timestamp::now())
        .await?;
    Ok(Redirect::to(&format!("/emergency/records/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "emergency/card.html")]
struct CardPage {
    l: Layout,
    id: EmergencyRecordId,
    name: String,
    url: String,
    /// The care team for the hospital's A4 sheet: (role, name, organisation).
    team: Vec<(String, String, String)>,
    home_file: String,
    /// The QR code as SVG (drawn here from the URL; no user text in it).
    qr_svg: String,
}

/// Makes a link (with `rotate=on`, the earlier ones stop working) and
/// shows the card to print: the only time its token is shown.
pub async fn create_link(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<EmergencyRecordId>,
    form: FormData,
) -> Result<Response, WebError> {
    let now = Timestamp::now();
    let rotate = form.get("rotate") == "on";
    let link = state
        .emergency
        .create_link(&p, &rc, id, rotate, now)
        .await?;
    let url = format!("{}/e/{}", state.config.public_url, link.token);
    let qr_svg = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| WebError::Internal(format!("qr: {e}")))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let page = CardPage {
        l: Layout::new(&ctx, ctx.lang.tr("緊急時情報カード", "Emergency card")),
        id,
        name: link.name,
        team: link.team,
        home_file: link.home_file,
        url,
        qr_svg,
    };
    ok(&page)
}

pub async fn revoke_link(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path((id, link)): Path<(EmergencyRecordId, EmergencyLinkId)>,
) -> Result<Response, WebError> {
    state
        .emergency
        .revoke_link(&p, &rc, id, link, Timestamp::now())
        .await?;
    Ok(Redirect::to(&format!("/emergency/records/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "emergency/sheet.html")]
struct SheetPage {
    s: EmergencySheet,
    /// The card's token (from the path, checked), for the transport link.
    token: String,
    devices: String,
    reasons: String,
}

#[derive(Template)]
#[template(path = "emergency/sheet_missing.html")]
struct SheetMissing;

/// The sheet a card's link opens: one small page in large type, no
/// script, not cached, not indexed, no referrer. An unknown, revoked or
/// rotated token is one and the same 404; past the address's budget, 429.
pub async fn card_sheet(
    State(state): State<EmergencyState>,
    Ctx(rc): Ctx,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    if !state
        .card_limiter
        .allow(&rc.source_addr, crate::CARD_OPENINGS_PER_MINUTE)
    {
        return Err(WebError::TooManyRequests(60));
    }
    match state
        .emergency
        .open_link(&token, &rc, Timestamp::now())
        .await
    {
        Ok(s) => Ok(sheet_response(s, token)),
        Err(renkei_emergency::EmergencyError::NotFound) => Ok(private(
            (
                StatusCode::NOT_FOUND,
                axum::response::Html(SheetMissing.render()?),
            )
                .into_response(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// The sheet as EMS reads it: from a card (`token`, which links the
/// transport form) or found by a search (no token).
pub(crate) fn sheet_response(s: EmergencySheet, token: String) -> Response {
    let page = SheetPage {
        devices: s
            .devices
            .iter()
            .map(|d| d.label_ja())
            .collect::<Vec<_>>()
            .join("、"),
        reasons: s.freshness.reasons_ja(),
        token,
        s,
    };
    match page.render() {
        Ok(html) => private(axum::response::Html(html).into_response()),
        Err(e) => WebError::from(e).into_response(),
    }
}

/// A page about one person: not cached, not indexed, no referrer.
fn private(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

#[derive(Template)]
#[template(path = "emergency/freshness.html")]
struct FreshnessPage {
    l: Layout,
    /// The region's interval, and whether the user may change it.
    verify_months: u8,
    may_set: bool,
    lines: Vec<renkei_emergency::model::FreshnessLine>,
    /// The reasons' labels, in the columns' order.
    reasons: Vec<String>,
    total: (usize, usize, usize),
}

/// The region's freshness dashboard: per municipality, registered,
/// current, due and why (counts only).
pub async fn freshness(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
) -> Result<Response, WebError> {
    let lines = state
        .emergency
        .freshness_dashboard(&p, &rc, Timestamp::now())
        .await?;
    let reasons = renkei_domain::emergency::DueReason::ALL
        .iter()
        .map(|r| r.label(ctx.lang.code()).to_string())
        .collect();
    let verify_months = match p.region_id {
        Some(r) => state.emergency.verify_months(r).await?,
        None => renkei_domain::emergency::DEFAULT_VERIFY_MONTHS,
    };
    let total = lines.iter().fold((0, 0, 0), |(a, b, c), l| {
        (a + l.registered, b + l.current, c + l.due)
    });
    ok(&FreshnessPage {
        l: Layout::new(
            &ctx,
            ctx.lang
                .tr("緊急時情報の鮮度", "Emergency information freshness"),
        ),
        lines,
        reasons,
        total,
        verify_months,
        may_set: Emergency::keeps_settings(&p),
    })
}

/// Sets the region's verification interval (the support centre, the
/// region's administrator) and goes back to the dashboard.
pub async fn save_settings(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    let months = form.get("verify_months").trim().parse::<i64>().unwrap_or(0);
    state
        .emergency
        .set_verify_months(&p, &rc, months, Timestamp::now())
        .await?;
    Ok(Redirect::to("/emergency/freshness?saved=1").into_response())
}

/// Assigns a watcher to a resident without a team (the desk).
pub async fn assign_watcher(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<EmergencyRecordId>,
    form: FormData,
) -> Result<Response, WebError> {
    let user = renkei_domain::UserId(form.get("user_id").trim().parse().unwrap_or(0));
    state
        .emergency
        .assign_watcher(&p, &rc, id, user, Timestamp::now())
        .await?;
    Ok(Redirect::to(&format!("/emergency/records/{id}#watchers")).into_response())
}

/// Ends a watcher's assignment (the desk).
pub async fn end_watcher(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path((id, user)): Path<(EmergencyRecordId, renkei_domain::UserId)>,
) -> Result<Response, WebError> {
    state
        .emergency
        .end_watcher(&p, &rc, id, user, Timestamp::now())
        .await?;
    Ok(Redirect::to(&format!("/emergency/records/{id}#watchers")).into_response())
}
