//! The disaster list (災害時の名簿): the list by municipality and area
//! with a quick safety confirmation (安否確認) per resident that works on a
//! phone, the open disaster, the equipment register, the print view and
//! the CSV for the fire service.

use super::*;
use renkei_domain::emergency::{EquipmentKind, SafetyStatus};
use renkei_domain::{DisasterId, EquipmentId};
use renkei_emergency::model::{
    DisasterList, DisasterScope, DisasterUse, EquipmentInput, SafetyInput,
};

/// A line as shown: the line, its devices in words, its status's time.
type Shown = (renkei_emergency::model::DisasterLine, String, String);

#[derive(Template)]
#[template(path = "emergency/disaster.html")]
struct DisasterPage {
    l: Layout,
    list: DisasterList,
    shown: Vec<Shown>,
    municipalities: Vec<(String, String)>,
    areas: Vec<(String, String)>,
    statuses: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    /// The scope as a query string (`municipality=…&area=…`).
    scope_query: String,
    started: String,
    runs: bool,
    errors: ValidationErrors,
}

#[derive(Template)]
#[template(path = "emergency/disaster_print.html")]
struct DisasterPrint {
    list: DisasterList,
    shown: Vec<Shown>,
    scope_label: String,
    printed_at: String,
}

fn shown(list: &DisasterList, lang: &str) -> Vec<Shown> {
    list.lines
        .iter()
        .map(|line| {
            let devices = line
                .devices
                .iter()
                .map(|d| d.label(lang))
                .collect::<Vec<_>>()
                .join("、");
            (line.clone(), devices, when(line.status_at))
        })
        .collect()
}

fn scope_query(scope: &DisasterScope) -> String {
    serde_urlencoded::to_string([
        ("municipality", scope.municipality.as_str()),
        ("area", scope.area.as_str()),
    ])
    .unwrap_or_default()
}

async fn disaster_page(
    state: &EmergencyState,
    p: &Principal,
    rc: &renkei_identity::RequestContext,
    ctx: &PageCtx,
    scope: &DisasterScope,
    errors: ValidationErrors,
) -> Result<Response, WebError> {
    let e = &state.emergency;
    let list = e.disaster_list(p, rc, scope, DisasterUse::Screen).await?;
    let (municipalities, areas) = e.disaster_scopes(p).await?;
    let lang = ctx.lang.code();
    let page = DisasterPage {
        l: Layout::new(ctx, ctx.lang.tr("災害時の名簿", "Disaster list")),
        shown: shown(&list, lang),
        started: when(list.disaster.as_ref().map(|d| d.started_at)),
        scope_query: scope_query(&list.scope),
        list,
        municipalities,
        areas,
        statuses: SafetyStatus::ALL
            .iter()
            .map(|s| (s.code(), s.label(lang)))
            .collect(),
        kinds: EquipmentKind::ALL
            .iter()
            .map(|k| (k.code(), k.label(lang)))
            .collect(),
        runs: Emergency::runs_disaster_list(p),
        errors: errors.clone(),
    };
    render(&page, form_status(&errors))
}

pub async fn disaster(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Query(scope): Query<DisasterScope>,
) -> Result<Response, WebError> {
    disaster_page(&state, &p, &rc, &ctx, &scope, ValidationErrors::new()).await
}

/// The scope a form carried back, so the page returns to where it was.
fn scope_of(form: &FormData) -> DisasterScope {
    DisasterScope {
        municipality: form.get("municipality").to_string(),
        area: form.get("area").to_string(),
    }
}

fn back_to(scope: &DisasterScope, anchor: &str) -> Response {
    Redirect::to(&format!(
        "/emergency/disaster?{}{anchor}",
        scope_query(scope)
    ))
    .into_response()
}

pub async fn start_disaster(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    let scope = scope_of(&form);
    let result = state
        .emergency
        .start_disaster(&p, &rc, form.get("name"), Timestamp::now())
        .await;
    refuse_or(
        result,
        |_| back_to(&scope, ""),
        |errors| async { disaster_page(&state, &p, &rc, &ctx, &scope, errors).await },
    )
    .await
}

pub async fn close_disaster(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<DisasterId>,
    form: FormData,
) -> Result<Response, WebError> {
    state
        .emergency
        .close_disaster(&p, &rc, id, Timestamp::now())
        .await?;
    Ok(back_to(&scope_of(&form), ""))
}

pub async fn confirm_safety(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<EmergencyRecordId>,
    form: FormData,
) -> Result<Response, WebError> {
    let scope = scope_of(&form);
    let input = SafetyInput {
        status: form.get("status").to_string(),
        note: form.get("note").to_string(),
    };
    let result = state
        .emergency
        .confirm_safety(&p, &rc, id, &input, Timestamp::now())
        .await;
    refuse_or(
        result,
        |_| back_to(&scope, &format!("#r{id}")),
        |errors| async { disaster_page(&state, &p, &rc, &ctx, &scope, errors).await },
    )
    .await
}

fn equipment_of(form: &FormData) -> EquipmentInput {
    EquipmentInput {
        municipality_code: form.get("municipality_code").to_string(),
        kind: form.get("kind").to_string(),
        label: form.get("label").to_string(),
        place: form.get("place").to_string(),
        quantity: form.get("quantity").trim().parse().unwrap_or(0),
        contact: form.get("contact").to_string(),
    }
}

async fn save_equipment(
    state: EmergencyState,
    p: Principal,
    ctx: PageCtx,
    rc: renkei_identity::RequestContext,
    id: Option<EquipmentId>,
    form: FormData,
) -> Result<Response, WebError> {
    let scope = scope_of(&form);
    let input = equipment_of(&form);
    let result = state
        .emergency
        .save_equipment(&p, &rc, id, &input, Timestamp::now())
        .await;
    refuse_or(
        result,
        |_| back_to(&scope, "#equipment"),
        |errors| async { disaster_page(&state, &p, &rc, &ctx, &scope, errors).await },
    )
    .await
}

pub async fn add_equipment(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    save_equipment(state, p, ctx, rc, None, form).await
}

pub async fn update_equipment(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<EquipmentId>,
    form: FormData,
) -> Result<Response, WebError> {
    save_equipment(state, p, ctx, rc, Some(id), form).await
}

/// The list to print for the fire service and the shelter (audited as a
/// print): one standalone page, landscape tables, no navigation.
pub async fn disaster_print(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Query(scope): Query<DisasterScope>,
) -> Result<Response, WebError> {
    let e = &state.emergency;
    let list = e.disaster_list(&p, &rc, &scope, DisasterUse::Print).await?;
    let (municipalities, _) = e.disaster_scopes(&p).await?;
    let muni = municipalities
        .iter()
        .find(|(c, _)| *c == list.scope.municipality)
        .map(|(_, n)| n.clone())
        .unwrap_or_else(|| "圏域全体".into());
    let scope_label = if list.scope.area.is_empty() {
        muni
    } else {
        format!("{muni} {}", list.scope.area)
    };
    let html = print_html(list, scope_label, Timestamp::now().to_jst_display())?;
    let mut r = axum::response::Html(html).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// The print view's HTML of a list (the benchmark renders it too).
pub fn print_html(
    list: DisasterList,
    scope_label: String,
    printed_at: String,
) -> Result<String, askama::Error> {
    DisasterPrint {
        shown: shown(&list, "ja"),
        list,
        scope_label,
        printed_at,
    }
    .render()
}

/// The list as CSV (UTF-8 with BOM) for the fire service; audited as an
/// export.
pub async fn disaster_csv(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Query(scope): Query<DisasterScope>,
) -> Result<Response, WebError> {
    let list = state
        .emergency
        .disaster_list(&p, &rc, &scope, DisasterUse::Export)
        .await?;
    let body = renkei_emergency::export::disaster_csv(&list)
        .map_err(|e| WebError::Internal(e.to_string()))?;
    // The file's name carries only digits of the municipality's code.
    let code: String = list
        .scope
        .municipality
        .chars()
        .filter(char::is_ascii_digit)
        .take(6)
        .collect();
    let name = format!(
        "disaster-list-{}{}.csv",
        if code.is_empty() { "region" } else { &code },
        if list.scope.area.is_empty() {
            ""
        } else {
            "-area"
        }
    );
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response())
}
