//! The directory's pages: the professional search with its map
//! (`/directory`), one entry, editing one's own entry, the two-tap
//! acceptance update, the coordinator's review and freshness pages, and the
//! public resident map (`/map`).

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use renkei_directory::model::{
    ChangeRequestId, EditOutcome, EntryId, EntryView, LocalFields, NewLocalEntry, OrgId,
};
use renkei_directory::search::{self, Entry};
use renkei_domain::directory::{
    service_name, ContactWindow, LiaisonWindow, CARE_SERVICES, CONTACT_METHODS,
    HOME_CARE_FUNCTIONS, LIFE_SUPPORT_SERVICES, PUBLIC_FIELD_CHOICES, WEEKDAYS_EN, WEEKDAYS_JA,
};
use renkei_domain::people::Permission;
use renkei_domain::transitions::ContactChannel;
use renkei_domain::{OrgKind, Timestamp, ValidationErrors};
use renkei_identity::{Actor, Principal};
use serde::Serialize;

use crate::api::{public_item, SearchParams};
use crate::DirectoryState;
use renkei_web_kit::auth::{Ctx, CurrentUser, PageCtx};
use renkei_web_kit::i18n::Lang;
use renkei_web_kit::page::{form_status, render};
use renkei_web_kit::FormData;
use renkei_web_kit::Layout;
use renkei_web_kit::WebError;

pub(crate) fn acceptance_label(lang: Lang, code: &str) -> &'static str {
    let (ja, en) = renkei_domain::directory::acceptance_labels(code);
    lang.tr(ja, en)
}

pub(crate) fn kind_label(lang: Lang, code: &str) -> String {
    OrgKind::from_code(code)
        .map(|k| k.label(lang.code()).to_string())
        .unwrap_or_else(|| code.to_string())
}

pub(crate) fn function_label(lang: Lang, code: &str) -> String {
    HOME_CARE_FUNCTIONS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, ja, en)| lang.tr(ja, en).to_string())
        .unwrap_or_else(|| code.to_string())
}

/// One result as the list shows it.
pub struct Card {
    pub id: EntryId,
    pub name: String,
    pub kana: String,
    pub kind: String,
    pub services: Vec<String>,
    pub address: String,
    pub phone: String,
    pub distance: String,
    pub acceptance: String,
    pub acceptance_label: &'static str,
    pub acceptance_note: String,
    pub acceptance_as_of: String,
    /// The status is older than its kind allows (ACCEPTANCE_FRESH_DAYS):
    /// "check before relying on it".
    pub acceptance_stale: bool,
    pub windows: Vec<String>,
    pub functions: Vec<String>,
    /// 診療科目, "・"-separated.
    pub departments: String,
    /// Opening hours as people read them (where the entry shows them).
    pub hours: String,
    /// Staff as the office tells them: "3人（看護師・社会福祉士）".
    pub staff: String,
    /// "圏域外" marks for a professional of a region ("" inside).
    pub region: &'static str,
    pub has_position: bool,
}

/// How a card marks an entry outside the viewer's region ("" inside).
pub(crate) fn place_label(lang: Lang, place: renkei_directory::model::RegionPlace) -> &'static str {
    use renkei_directory::model::RegionPlace;
    match place {
        RegionPlace::Inside => "",
        RegionPlace::OutsideListed => lang.tr(
            "圏域外（住民が利用）",
            "Outside the region (used by residents)",
        ),
        RegionPlace::Outside => lang.tr("圏域外", "Outside the region"),
    }
}

/// An office's staff in one line: how many, and their qualifications.
pub(crate) fn staff_line(lang: Lang, e: &Entry) -> String {
    let names: Vec<&str> = e
        .staff_qualifications
        .iter()
        .filter_map(|q| {
            renkei_domain::directory::STAFF_QUALIFICATIONS
                .iter()
                .find(|(c, _, _)| c == q)
                .map(|(_, ja, en)| lang.tr(ja, en))
        })
        .collect();
    let count = e
        .staff_count
        .map(|n| lang.tr(&format!("{n}人"), &format!("{n}")).to_string());
    match (count, names.is_empty()) {
        (None, true) => String::new(),
        (Some(n), true) => n,
        (None, false) => names.join(lang.tr("・", ", ")),
        (Some(n), false) => format!(
            "{n}{}{}{}",
            lang.tr("（", " ("),
            names.join(lang.tr("・", ", ")),
            lang.tr("）", ")")
        ),
    }
}

/// A marker for map.js: the list and the map show the same entries.
#[derive(Serialize)]
struct Marker {
    id: EntryId,
    name: String,
    lat: f64,
    lon: f64,
    href: String,
}

pub(crate) fn card(
    lang: Lang,
    e: &Entry,
    distance: Option<f64>,
    public: bool,
    now: Timestamp,
) -> Card {
    let show = |field: &str| !public || e.is_public(field);
    Card {
        id: e.id,
        name: e.name.clone(),
        kana: e.kana.clone(),
        kind: kind_label(lang, &e.kind),
        services: e
            .services
            .iter()
            .map(|s| service_name(s).unwrap_or(s).to_string())
            .collect(),
        address: e.address.clone(),
        phone: if show("phone") {
            e.phone.clone()
        } else {
            String::new()
        },
        departments: e.departments.replace(';', "・"),
        hours: if show("hours") {
            e.hours.clone()
        } else {
            String::new()
        },
        region: "",
        staff: if show("staff") {
            staff_line(lang, e)
        } else {
            String::new()
        },
        distance: distance.map(|d| format!("{d:.1} km")).unwrap_or_default(),
        acceptance: if show("acceptance") {
            e.acceptance.clone()
        } else {
            String::new()
        },
        acceptance_label: acceptance_label(lang, &e.acceptance),
        acceptance_note: if public {
            String::new()
        } else {
            e.acceptance_note.clone()
        },
        acceptance_stale: e.acceptance != "unknown"
            && renkei_domain::directory::acceptance_is_stale(&e.kind, e.acceptance_as_of, now),
        acceptance_as_of: e
            .acceptance_as_of
            .map(|t| Timestamp(t).to_jst_display())
            .unwrap_or_default(),
        windows: if public {
            Vec::new()
        } else {
            e.contact_windows
                .iter()
                .map(|w| w.describe(lang.code()))
                .collect()
        },
        functions: if show("functions") {
            e.functions
                .iter()
                .map(|f| function_label(lang, f))
                .collect()
        } else {
            Vec::new()
        },
        has_position: e.lat.is_some(),
    }
}

fn markers(entries: &[(Entry, Option<f64>)], base: &str) -> String {
    let list: Vec<Marker> = entries
        .iter()
        .filter_map(|(e, _)| {
            Some(Marker {
                id: e.id,
                name: e.name.clone(),
                lat: e.lat?,
                lon: e.lon?,
                href: format!("{base}{}", e.id),
            })
        })
        .collect();
    serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
}

/// The choices of the search form.
pub struct Choices {
    /// The kind groups (医療, 介護) first, then every kind.
    pub kinds: Vec<(&'static str, &'static str)>,
    /// 診療科目 (code, name) the directory knows.
    pub specialities: Vec<(String, String)>,
    pub services: Vec<(&'static str, &'static str)>,
    pub functions: Vec<(&'static str, &'static str)>,
    pub procedures: Vec<(String, String)>,
    pub qualifications: Vec<(&'static str, &'static str)>,
}

async fn choices(state: &DirectoryState, lang: Lang) -> Result<Choices, WebError> {
    Ok(Choices {
        kinds: renkei_domain::org::KIND_GROUPS
            .iter()
            .map(|(code, ja, en, _)| (*code, lang.tr(ja, en)))
            .chain(
                OrgKind::ALL
                    .iter()
                    .map(|k| (k.code(), k.label(lang.code()))),
            )
            .collect(),
        specialities: state.directory_service.specialities().await?,
        services: CARE_SERVICES
            .iter()
            .chain(LIFE_SUPPORT_SERVICES.iter())
            .map(|(c, n)| (*c, *n))
            .collect(),
        functions: HOME_CARE_FUNCTIONS
            .iter()
            .map(|(c, ja, en)| (*c, lang.tr(ja, en)))
            .collect(),
        procedures: state.directory.procedures().as_ref().clone(),
        qualifications: qualification_choices(lang),
    })
}

/// The staff qualifications as a form offers them (code, label).
pub(crate) fn qualification_choices(lang: Lang) -> Vec<(&'static str, &'static str)> {
    renkei_domain::directory::STAFF_QUALIFICATIONS
        .iter()
        .map(|(c, ja, en)| (*c, lang.tr(ja, en)))
        .collect()
}

fn params_from(form: &FormData) -> SearchParams {
    let opt = |k: &str| Some(form.get(k).to_string()).filter(|v| !v.is_empty());
    SearchParams {
        q: opt("q"),
        // Check boxes repeat the field; the API takes a comma list.
        kind: Some(form.all("kind").join(",")).filter(|v| !v.is_empty()),
        speciality: Some(form.all("speciality").join(",")).filter(|v| !v.is_empty()),
        prefecture: opt("prefecture"),
        open_now: opt("open_now"),
        open_at: opt("open_at"),
        service: opt("service"),
        function: opt("function"),
        procedure: opt("procedure"),
        qualification: opt("qualification"),
        accepting: opt("accepting"),
        contactable_now: opt("contactable_now"),
        in_region: opt("in_region"),
        area: opt("area"),
        near: opt("near"),
        radius_km: opt("radius_km"),
        municipality: opt("municipality"),
        limit: None,
        cursor: opt("cursor"),
    }
}

/// The query string of the next page: the same filters, a new cursor.
/// How many matched, as the results heading says it.
fn total_label(lang: Lang, page: &renkei_directory::search::Page) -> String {
    let n = page.total.to_string();
    // Thousands separators, as Japanese pages write counts.
    let mut grouped = String::new();
    for (i, c) in n.chars().enumerate() {
        if i > 0 && (n.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match (page.total_exact, lang) {
        (true, _) if lang.code() == "en" => format!("{grouped} found"),
        (false, _) if lang.code() == "en" => format!("about {grouped} found"),
        (true, _) => format!("{grouped}件"),
        (false, _) => format!("約{grouped}件"),
    }
}

fn next_link(base: &str, form: &FormData, cursor: Option<String>) -> String {
    let Some(c) = cursor else {
        return String::new();
    };
    let mut pairs: Vec<(String, String)> = form
        .0
        .iter()
        .filter(|(k, v)| k != "cursor" && !v.is_empty())
        .cloned()
        .collect();
    pairs.push(("cursor".into(), c));
    format!(
        "{base}?{}",
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    )
}

#[derive(Template)]
#[template(path = "directory/search.html")]
struct DirectoryPage {
    l: Layout,
    form: FormData,
    errors: ValidationErrors,
    c: Choices,
    cards: Vec<Card>,
    markers: String,
    next: String,
    /// "123件" or "約1,200件".
    total: String,
    may_curate: bool,
    tiles: String,
    attribution: String,
}

fn query_form(raw: Option<String>) -> Result<FormData, WebError> {
    FormData::parse(raw.unwrap_or_default().as_bytes())
}

fn require_staff(p: &Principal) -> Result<(), WebError> {
    if p.role.may(Permission::ViewProfessionalDirectory) {
        Ok(())
    } else {
        Err(WebError::Forbidden)
    }
}

/// The professional directory: search, list and map.
pub async fn directory_page(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    require_staff(&p)?;
    let form = query_form(raw)?;
    let l = Layout::new(
        &ctx,
        ctx.lang
            .tr("医療・介護資源の検索", "Medical and care resources"),
    );
    let params = params_from(&form);
    let (mut errors, mut hits, mut next) = (ValidationErrors::new(), Vec::new(), None);
    let mut total = String::new();
    let region = state
        .directory_service
        .region_resources(&Actor::User(p.clone()))
        .await?;
    match params.to_query(&state.directory, false) {
        Ok(mut query) => {
            crate::api::restrict_to_region(&mut query, region.as_ref());
            let page = state.directory.search(&query);
            next = crate::api::next_cursor(&page);
            total = total_label(ctx.lang, &page);
            hits = page
                .items
                .into_iter()
                .map(|h| (h.entry, h.distance_km))
                .collect();
        }
        Err(WebError::Validation(v)) => errors = v,
        Err(e) => return Err(e),
    }
    let status = form_status(&errors);
    let page = DirectoryPage {
        cards: hits
            .iter()
            .map(|(e, d)| Card {
                region: region
                    .as_ref()
                    .map(|r| place_label(ctx.lang, r.place_of(e.id, &e.municipality_code)))
                    .unwrap_or(""),
                ..card(ctx.lang, e, *d, false, Timestamp::now())
            })
            .collect(),
        markers: markers(&hits, "/directory/entries/"),
        next: next_link("/directory", &form, next),
        total,
        may_curate: p.role.may(Permission::CurateDirectory),
        c: choices(&state, ctx.lang).await?,
        tiles: state.config.map_tile_url.clone(),
        attribution: state.config.map_attribution.clone(),
        l,
        form,
        errors,
    };
    render(&page, status)
}

#[derive(Template)]
#[template(path = "directory/map.html")]
struct MapPage {
    l: Layout,
    form: FormData,
    errors: ValidationErrors,
    c: Choices,
    cards: Vec<Card>,
    desks: Vec<Card>,
    markers: String,
    next: String,
    /// "123件" or "約1,200件".
    total: String,
    tiles: String,
    attribution: String,
}

/// The public resident map: public fields only, large type, and the
/// consultation desks ("where can I ask?").
pub async fn public_map(
    State(state): State<DirectoryState>,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    crate::api::check_public_rate(&state, &rc)?;
    let form = query_form(raw)?;
    let l = Layout::new(
        &ctx,
        ctx.lang.tr(
            "地域の医療・介護資源マップ",
            "Medical and care resources near you",
        ),
    );
    let params = params_from(&form);
    let (mut errors, mut hits, mut next) = (ValidationErrors::new(), Vec::new(), None);
    let mut total = String::new();
    match params.to_query(&state.directory, true) {
        Ok(query) => {
            let page = state.directory.search(&query);
            next = crate::api::next_cursor(&page);
            total = total_label(ctx.lang, &page);
            hits = page
                .items
                .into_iter()
                .map(|h| (h.entry, h.distance_km))
                .collect();
        }
        Err(WebError::Validation(v)) => errors = v,
        Err(e) => return Err(e),
    }
    // Consultation desks and community general support centres near the
    // same point (or anywhere when no point is given).
    let place = params.to_query(&state.directory, true).ok();
    let desk_query = |kind: &str| search::Query {
        kind: Some(kind.to_string()),
        public: true,
        near: place.as_ref().and_then(|q| q.near),
        municipality: place.as_ref().and_then(|q| q.municipality.clone()),
        limit: 5,
        ..search::Query::default()
    };
    let mut desks: Vec<Card> = Vec::new();
    for kind in [
        "consultation_desk",
        "community_care_centre",
        "support_centre",
    ] {
        for h in state.directory.search(&desk_query(kind)).items {
            desks.push(card(
                ctx.lang,
                &h.entry,
                h.distance_km,
                true,
                Timestamp::now(),
            ));
        }
    }
    let status = form_status(&errors);
    let page = MapPage {
        cards: hits
            .iter()
            .map(|(e, d)| card(ctx.lang, e, *d, true, Timestamp::now()))
            .collect(),
        markers: markers(&hits, "/map/entries/"),
        next: next_link("/map", &form, next),
        total,
        desks,
        c: choices(&state, ctx.lang).await?,
        tiles: state.config.map_tile_url.clone(),
        attribution: state.config.map_attribution.clone(),
        l,
        form,
        errors,
    };
    render(&page, status)
}

#[derive(Template)]
#[template(path = "directory/map_entry.html")]
struct PublicEntryPage {
    l: Layout,
    card: Card,
    item: crate::api::PublicItem,
    markers: String,
    tiles: String,
    attribution: String,
}

/// One entry on the public map: only what the entry made public.
pub async fn public_entry(
    State(state): State<DirectoryState>,
    ctx: PageCtx,
    Path(id): Path<EntryId>,
) -> Result<Response, WebError> {
    let entry = state
        .directory_service
        .public_entry(id)
        .await?
        .ok_or(WebError::NotFound)?;
    let l = Layout::new(&ctx, &entry.name);
    let page = PublicEntryPage {
        card: card(ctx.lang, &entry, None, true, Timestamp::now()),
        markers: markers(&[(entry.clone(), None)], "/map/entries/"),
        item: public_item(entry, None),
        tiles: state.config.map_tile_url.clone(),
        attribution: state.config.map_attribution.clone(),
        l,
    };
    render(&page, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "directory/entry.html")]
struct EntryPage {
    l: Layout,
    v: EntryView,
    card: Card,
    markers: String,
    tiles: String,
    attribution: String,
    departments: String,
    /// (診療科目 name, its hours) when the specialities keep different hours.
    speciality_hours: Vec<(String, String)>,
    procedures: Vec<String>,
    public_fields: Vec<&'static str>,
    confirmed: String,
    orgs: Vec<(OrgId, String)>,
    /// For a curator viewing an entry outside the region: whether the
    /// region lists it (the button lists or unlists it).
    listing: Option<bool>,
    /// The liaison window in one line, or empty.
    liaison: String,
}

/// One entry with everything a professional may see.
pub async fn entry_page(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Path(id): Path<EntryId>,
) -> Result<Response, WebError> {
    entry_response(&state, &ctx, p, id, None).await
}

/// One entry's page, with a message after an action.
pub(crate) async fn entry_response(
    state: &DirectoryState,
    ctx: &PageCtx,
    p: Principal,
    id: EntryId,
    flash: Option<(&'static str, &'static str)>,
) -> Result<Response, WebError> {
    let actor = Actor::User(p.clone());
    let v = state
        .directory_service
        .entry(&actor, id, Timestamp::now())
        .await?;
    // A merged entry is listed through the entry it was merged into.
    if let Some(kept) = v.meta.merged_into {
        return Ok(Redirect::to(&format!("/directory/entries/{kept}")).into_response());
    }
    let mut l = Layout::new(ctx, &v.entry.name);
    if let Some((kind, message)) = flash {
        l = l.with_flash(kind, message);
    }
    let lang = ctx.lang;
    let procedures = state.directory.procedures();
    let orgs = if v.may_curate {
        state
            .identity
            .list_organisations(&actor)
            .await?
            .into_iter()
            .map(|o| (OrgId(o.id), o.name))
            .collect()
    } else {
        Vec::new()
    };
    let listing = match v.place {
        Some(renkei_directory::model::RegionPlace::Outside)
            if p.role.may(Permission::CurateDirectory) =>
        {
            Some(false)
        }
        Some(renkei_directory::model::RegionPlace::OutsideListed)
            if p.role.may(Permission::CurateDirectory) =>
        {
            Some(true)
        }
        _ => None,
    };
    let page = EntryPage {
        listing,
        liaison: v.local.liaison_window.describe_ja(),
        card: Card {
            region: v.place.map(|pl| place_label(lang, pl)).unwrap_or(""),
            ..card(ctx.lang, &v.entry, None, false, Timestamp::now())
        },
        markers: markers(&[(v.entry.clone(), None)], "/directory/entries/"),
        tiles: state.config.map_tile_url.clone(),
        attribution: state.config.map_attribution.clone(),
        departments: v.meta.departments.replace(';', "・"),
        speciality_hours: {
            let lines = v
                .meta
                .schedule()
                .describe_by_speciality(lang.code() == "ja");
            let names = if lines.is_empty() {
                Vec::new()
            } else {
                state.directory_service.specialities().await?
            };
            lines
                .into_iter()
                .map(|(code, hours)| {
                    let name = names
                        .iter()
                        .find(|(c, _)| *c == code)
                        .map_or(code, |(_, n)| n.clone());
                    (name, hours)
                })
                .collect()
        },
        procedures: v
            .entry
            .procedures
            .iter()
            .map(|c| {
                procedures
                    .iter()
                    .find(|(k, _)| k == c)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_else(|| c.clone())
            })
            .collect(),
        public_fields: PUBLIC_FIELD_CHOICES
            .iter()
            .filter(|(f, _, _)| v.entry.is_public(f))
            .map(|(_, ja, en)| lang.tr(ja, en))
            .collect(),
        confirmed: match (&v.meta.confirmed_at, &v.meta.confirmed_by_name) {
            (Some(t), Some(who)) => format!("{} {who}", Timestamp(*t).to_jst_display()),
            (Some(t), None) => Timestamp(*t).to_jst_display(),
            _ => String::new(),
        },
        orgs,
        l,
        v,
    };
    render(&page, StatusCode::OK)
}

/// The two-tap acceptance update (one tap on the entry or "my entries"
/// page after opening it).
pub async fn set_acceptance(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<EntryId>,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let form = FormData::parse(&body)?;
    let beds = form.get("vacant_beds").trim();
    let vacant_beds = if beds.is_empty() {
        None
    } else {
        match renkei_domain::text::nfkc(beds).parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => Some(-1),
        }
    };
    state
        .directory_service
        .set_acceptance(
            &Actor::User(p.clone()),
            id,
            renkei_directory::model::Acceptance {
                status: form.get("acceptance"),
                note: form.get("acceptance_note"),
                vacant_beds,
            },
            &rc,
            Timestamp::now(),
        )
        .await?;
    let back = form.get("back");
    if back == "/directory/mine" {
        return Ok(Redirect::to("/directory/mine?done=acceptance").into_response());
    }
    entry_response(
        &state,
        &ctx,
        p,
        id,
        Some((
            "success",
            ctx.lang
                .tr("受入状況を更新しました。", "Acceptance status updated."),
        )),
    )
    .await
}

/// "Still correct".
pub async fn confirm(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<EntryId>,
) -> Result<Response, WebError> {
    state
        .directory_service
        .confirm(&Actor::User(p.clone()), id, &rc, Timestamp::now())
        .await?;
    entry_response(
        &state,
        &ctx,
        p,
        id,
        Some((
            "success",
            ctx.lang
                .tr("確認を記録しました。", "Confirmation recorded."),
        )),
    )
    .await
}

/// A curator sets which organisation maintains an entry.
pub async fn link_organisation(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<EntryId>,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let form = FormData::parse(&body)?;
    let org = form.opt_i64("org_id")?.map(OrgId);
    state
        .directory_service
        .link_organisation(&Actor::User(p), id, org, &rc, Timestamp::now())
        .await?;
    Ok(Redirect::to(&format!("/directory/entries/{id}")).into_response())
}

/// One row of the contact-window editor.
pub struct WindowRow {
    pub method: String,
    pub days: Vec<u8>,
    pub from: String,
    pub to: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "directory/edit.html")]
struct EditPage {
    l: Layout,
    id: EntryId,
    name: String,
    f: LocalFields,
    rows: Vec<WindowRow>,
    errors: ValidationErrors,
    functions: Vec<(&'static str, &'static str)>,
    procedures: Vec<(String, String)>,
    methods: Vec<(&'static str, &'static str)>,
    public_choices: Vec<(&'static str, &'static str)>,
    weekdays: Vec<(u8, &'static str)>,
    qualifications: Vec<(&'static str, &'static str)>,
    staff_count: String,
    /// How a liaison window takes handoffs (code, label).
    channels: Vec<(&'static str, &'static str)>,
    /// Keying in a returned confirmation sheet (確認票) rather than an edit:
    /// the form posts there and asks how the sheet came back.
    sheet_return: bool,
    returns: Vec<(&'static str, &'static str)>,
}

/// What the edit form is used for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum EditMode {
    Edit,
    /// The support centre keys in a returned confirmation sheet.
    SheetReturn,
}

pub(crate) fn edit_page(
    state: &DirectoryState,
    ctx: &PageCtx,
    id: EntryId,
    name: String,
    f: LocalFields,
    errors: ValidationErrors,
) -> Result<Response, WebError> {
    edit_page_for(state, ctx, id, name, f, errors, EditMode::Edit)
}

pub(crate) fn edit_page_for(
    state: &DirectoryState,
    ctx: &PageCtx,
    id: EntryId,
    name: String,
    f: LocalFields,
    errors: ValidationErrors,
    mode: EditMode,
) -> Result<Response, WebError> {
    let lang = ctx.lang;
    let l = Layout::new(
        ctx,
        match mode {
            EditMode::Edit => lang.tr("掲載内容の修正", "Edit entry"),
            EditMode::SheetReturn => lang.tr("確認票の入力", "Key in a returned sheet"),
        },
    );
    let mut rows: Vec<WindowRow> = f
        .contact_windows
        .iter()
        .map(|w| WindowRow {
            method: w.method.clone(),
            days: w.weekdays.clone(),
            from: w.from.clone(),
            to: w.to.clone(),
            note: w.note.clone(),
        })
        .collect();
    for _ in 0..2 {
        rows.push(WindowRow {
            method: "phone".into(),
            days: Vec::new(),
            from: String::new(),
            to: String::new(),
            note: String::new(),
        });
    }
    let status = form_status(&errors);
    let page = EditPage {
        id,
        name,
        rows,
        errors,
        functions: HOME_CARE_FUNCTIONS
            .iter()
            .map(|(c, ja, en)| (*c, lang.tr(ja, en)))
            .collect(),
        procedures: state.directory.procedures().as_ref().clone(),
        methods: CONTACT_METHODS
            .iter()
            .map(|(c, ja, en)| (*c, lang.tr(ja, en)))
            .collect(),
        public_choices: PUBLIC_FIELD_CHOICES
            .iter()
            .map(|(c, ja, en)| (*c, lang.tr(ja, en)))
            .collect(),
        weekdays: (1..=7u8)
            .map(|d| {
                let i = d as usize - 1;
                (d, lang.tr(WEEKDAYS_JA[i], WEEKDAYS_EN[i]))
            })
            .collect(),
        qualifications: qualification_choices(lang),
        staff_count: f.staff_count.map(|n| n.to_string()).unwrap_or_default(),
        channels: ContactChannel::ALL
            .iter()
            .map(|c| (c.code(), c.label(lang.code())))
            .collect(),
        sheet_return: mode == EditMode::SheetReturn,
        returns: renkei_directory::model::SheetReturn::ALL
            .iter()
            .map(|r| {
                let (ja, en) = r.label();
                (r.code(), lang.tr(ja, en))
            })
            .collect(),
        f,
        l,
    };
    render(&page, status)
}

pub async fn edit_form(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Path(id): Path<EntryId>,
) -> Result<Response, WebError> {
    let v = state
        .directory_service
        .entry(&Actor::User(p), id, Timestamp::now())
        .await?;
    if !v.may_edit {
        return Err(WebError::Forbidden);
    }
    edit_page(
        &state,
        &ctx,
        id,
        v.entry.name,
        v.local,
        ValidationErrors::new(),
    )
}

/// Reads the edit form. Contact-window rows are `w{i}_method`, `w{i}_day`
/// (repeated), `w{i}_from`, `w{i}_to`, `w{i}_note`; blank rows are dropped.
pub(crate) fn local_fields_from(form: &FormData) -> LocalFields {
    let mut windows = Vec::new();
    for i in 0..30 {
        let key = |k: &str| format!("w{i}_{k}");
        if !form.0.iter().any(|(k, _)| k.starts_with(&format!("w{i}_"))) {
            continue;
        }
        let days: Vec<u8> = form
            .all(&key("day"))
            .iter()
            .filter_map(|d| d.parse().ok())
            .collect();
        let (from, to) = (
            renkei_domain::text::nfkc(form.get(&key("from"))),
            renkei_domain::text::nfkc(form.get(&key("to"))),
        );
        let note = form.get(&key("note")).trim().to_string();
        if days.is_empty() && from.is_empty() && to.is_empty() && note.is_empty() {
            continue;
        }
        windows.push(ContactWindow {
            method: form.get(&key("method")).to_string(),
            weekdays: days,
            from,
            to,
            note,
        });
    }
    let list = |k: &str| -> Vec<String> { form.all(k).iter().map(|s| s.to_string()).collect() };
    let liaison_window = LiaisonWindow {
        department: form.get("lw_department").trim().to_string(),
        phone: renkei_domain::text::nfkc(form.get("lw_phone"))
            .trim()
            .to_string(),
        fax: renkei_domain::text::nfkc(form.get("lw_fax"))
            .trim()
            .to_string(),
        weekdays: form
            .all("lw_day")
            .iter()
            .filter_map(|d| d.parse().ok())
            .collect(),
        from: renkei_domain::text::nfkc(form.get("lw_from"))
            .trim()
            .to_string(),
        to: renkei_domain::text::nfkc(form.get("lw_to"))
            .trim()
            .to_string(),
        person: form.get("lw_person").trim().to_string(),
        channel: form.get("lw_channel").trim().to_string(),
    };
    LocalFields {
        liaison_window,
        area: form.get("area").trim().to_string(),
        functions: list("functions"),
        procedures: list("procedures"),
        contact_windows: windows,
        contact_person: form.get("contact_person").trim().to_string(),
        features: form.get("features").trim().to_string(),
        languages: form.get("languages").trim().to_string(),
        local_notes: form.get("local_notes").trim().to_string(),
        public_fields: list("public_fields"),
        publish_consent: form.get("publish_consent") == "on",
        // What is not a number is kept as an out-of-range count, so the
        // form answers with the range instead of dropping what was typed.
        staff_count: match renkei_domain::text::nfkc(form.get("staff_count")).trim() {
            "" => None,
            n => Some(n.parse::<i64>().unwrap_or(-1)),
        },
        staff_qualifications: list("staff_qualifications"),
    }
}

pub async fn edit(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<EntryId>,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let form = FormData::parse(&body)?;
    let fields = local_fields_from(&form);
    let actor = Actor::User(p.clone());
    match state
        .directory_service
        .update(&actor, id, fields.clone(), &rc, Timestamp::now())
        .await
    {
        Ok(outcome) => {
            let flash = match outcome {
                EditOutcome::Applied => ("success", ctx.lang.tr("保存しました。", "Saved.")),
                EditOutcome::AwaitingReview(_) => (
                    "warning",
                    ctx.lang.tr(
                        "公開される項目の変更のため、支援センターの確認後に反映されます。",
                        "This change touches public information and will apply after the support centre reviews it.",
                    ),
                ),
                EditOutcome::Unchanged => (
                    "success",
                    ctx.lang.tr("変更はありませんでした。", "Nothing changed."),
                ),
            };
            entry_response(&state, &ctx, p, id, Some(flash)).await
        }
        Err(renkei_directory::service::DirectoryError::Validation(errors)) => {
            let v = state
                .directory_service
                .entry(&actor, id, Timestamp::now())
                .await?;
            edit_page(&state, &ctx, id, v.entry.name, fields, errors)
        }
        Err(e) => Err(e.into()),
    }
}

/// Lists an entry outside the curator's region as used by its residents,
/// or takes it off (`listed=false`).
pub async fn region_listing(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<EntryId>,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let form = FormData::parse(&body)?;
    let listed = form.get("listed") != "false";
    state
        .directory_service
        .list_for_region(&Actor::User(p.clone()), id, listed, &rc, Timestamp::now())
        .await?;
    let message = if listed {
        ctx.lang.tr(
            "この圏域の住民が利用する資源として掲載しました。",
            "Listed as a resource the region's residents use.",
        )
    } else {
        ctx.lang.tr(
            "圏域の資源から外しました。",
            "Taken off the region's resources.",
        )
    };
    entry_response(&state, &ctx, p, id, Some(("success", message))).await
}

/// An own entry with its status buttons.
pub struct MineRow {
    pub card: Card,
}

#[derive(Template)]
#[template(path = "directory/mine.html")]
struct MinePage {
    l: Layout,
    rows: Vec<MineRow>,
    /// For members of an association that keeps a category (stewardship):
    /// the kinds' labels and their overdue entries.
    steward_kinds: Vec<String>,
    steward_overdue: Vec<(EntryId, String, String, String)>,
}

/// The user's organisations' entries, each with one-tap status buttons.
pub async fn mine(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    require_staff(&p)?;
    let actor = Actor::User(p);
    let mut l = Layout::new(
        &ctx,
        ctx.lang
            .tr("自分の事業所の掲載情報", "My organisation's entries"),
    );
    if raw.as_deref() == Some("done=acceptance") {
        l = l.with_flash(
            "success",
            ctx.lang
                .tr("受入状況を更新しました。", "Acceptance status updated."),
        );
    }
    let mut rows = Vec::new();
    for (id, _) in state.directory_service.my_entries(&actor).await? {
        let v = state
            .directory_service
            .entry(&actor, id, Timestamp::now())
            .await?;
        rows.push(MineRow {
            card: card(ctx.lang, &v.entry, None, false, Timestamp::now()),
        });
    }
    let work = state
        .directory_service
        .steward_work(&actor, Timestamp::now())
        .await?;
    let never = ctx.lang.tr("未確認", "Never");
    render(
        &MinePage {
            l,
            rows,
            steward_kinds: work.kinds.iter().map(|k| kind_label(ctx.lang, k)).collect(),
            steward_overdue: work
                .overdue
                .into_iter()
                .map(|o| {
                    (
                        o.id,
                        o.name,
                        o.municipality_name,
                        o.confirmed_at
                            .map(|t| Timestamp(t).to_jst_display())
                            .unwrap_or_else(|| never.to_string()),
                    )
                })
                .collect(),
        },
        StatusCode::OK,
    )
}

/// A change request as the review page lists it.
pub struct ReviewRow {
    pub id: ChangeRequestId,
    pub entry_id: EntryId,
    pub entry_name: String,
    pub requested_by: String,
    pub requested_at: String,
    /// (field, current, proposed)
    pub diffs: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "directory/reviews.html")]
struct ReviewsPage {
    l: Layout,
    rows: Vec<ReviewRow>,
}

fn describe_fields(lang: Lang, f: &LocalFields) -> Vec<(&'static str, String)> {
    vec![
        ("area", f.area.clone()),
        (
            "functions",
            f.functions
                .iter()
                .map(|c| function_label(lang, c))
                .collect::<Vec<_>>()
                .join("・"),
        ),
        ("procedures", f.procedures.join(", ")),
        (
            "contact_windows",
            f.contact_windows
                .iter()
                .map(|w| w.describe(lang.code()))
                .collect::<Vec<_>>()
                .join(" / "),
        ),
        ("contact_person", f.contact_person.clone()),
        ("liaison_window", f.liaison_window.describe_ja()),
        ("features", f.features.clone()),
        ("languages", f.languages.clone()),
        ("local_notes", f.local_notes.clone()),
        ("public_fields", f.public_fields.join(", ")),
        ("publish_consent", f.publish_consent.to_string()),
    ]
}

pub async fn reviews(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
) -> Result<Response, WebError> {
    reviews_response(&state, &ctx, p, None).await
}

async fn reviews_response(
    state: &DirectoryState,
    ctx: &PageCtx,
    p: Principal,
    flash: Option<&'static str>,
) -> Result<Response, WebError> {
    let actor = Actor::User(p);
    let mut l = Layout::new(
        ctx,
        ctx.lang
            .tr("掲載内容の変更の確認", "Review directory changes"),
    );
    if let Some(m) = flash {
        l = l.with_flash("success", m);
    }
    let mut rows = Vec::new();
    for r in state.directory_service.pending_reviews(&actor).await? {
        let (_, current, proposed) = state.directory_service.change_request(&actor, r.id).await?;
        let diffs = describe_fields(ctx.lang, &current)
            .into_iter()
            .zip(describe_fields(ctx.lang, &proposed))
            .filter(|((_, a), (_, b))| a != b)
            .map(|((name, a), (_, b))| (name.to_string(), a, b))
            .collect();
        rows.push(ReviewRow {
            id: r.id,
            entry_id: r.entry_id,
            entry_name: r.entry_name,
            requested_by: r.requested_by_name,
            requested_at: Timestamp(r.requested_at).to_jst_display(),
            diffs,
        });
    }
    render(&ReviewsPage { l, rows }, StatusCode::OK)
}

pub async fn review(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<ChangeRequestId>,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let form = FormData::parse(&body)?;
    let approve = match form.get("decision") {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(WebError::BadRequest(
                "decision must be approve or reject".into(),
            ))
        }
    };
    state
        .directory_service
        .review(
            &Actor::User(p.clone()),
            id,
            approve,
            form.get("note"),
            &rc,
            Timestamp::now(),
        )
        .await?;
    reviews_response(
        &state,
        &ctx,
        p,
        Some(ctx.lang.tr("確認結果を記録しました。", "Review recorded.")),
    )
    .await
}

pub struct FreshnessRow {
    pub name: String,
    pub code: String,
    pub entries: i64,
    pub confirmed: i64,
    pub share: String,
}

pub struct OverdueItem {
    pub id: EntryId,
    pub name: String,
    pub municipality: String,
    pub org: String,
    pub confirmed: String,
    pub reminded: String,
}

/// An acceptance status past its kind's deadline.
pub struct StaleItem {
    pub id: EntryId,
    pub name: String,
    pub kind: String,
    pub municipality: String,
    pub org: String,
    pub status: &'static str,
    pub as_of: String,
    pub fresh_days: i64,
}

#[derive(Template)]
#[template(path = "directory/freshness.html")]
struct FreshnessPage {
    l: Layout,
    days: i64,
    rows: Vec<FreshnessRow>,
    overdue: Vec<OverdueItem>,
    stale: Vec<StaleItem>,
}

pub async fn freshness(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
) -> Result<Response, WebError> {
    freshness_response(&state, &ctx, p, None).await
}

async fn freshness_response(
    state: &DirectoryState,
    ctx: &PageCtx,
    p: Principal,
    flash: Option<String>,
) -> Result<Response, WebError> {
    let f = state
        .directory_service
        .freshness(&Actor::User(p), Timestamp::now())
        .await?;
    let mut l = Layout::new(
        ctx,
        ctx.lang.tr("掲載情報の確認状況", "Directory freshness"),
    );
    if let Some(m) = flash {
        l = l.with_flash("success", m);
    }
    let never = ctx.lang.tr("まだ確認されていません", "Not confirmed yet");
    let page = FreshnessPage {
        days: state.directory_service.config().confirm_every_days,
        rows: f
            .by_municipality
            .iter()
            .map(|m| FreshnessRow {
                name: m.name.clone(),
                code: m.code.clone(),
                entries: m.entries,
                confirmed: m.confirmed,
                share: format!("{:.0}%", m.share() * 100.0),
            })
            .collect(),
        overdue: f
            .overdue
            .into_iter()
            .map(|o| OverdueItem {
                id: o.id,
                name: o.name,
                municipality: o.municipality_name,
                org: o.org_name.unwrap_or_default(),
                confirmed: o
                    .confirmed_at
                    .map(|t| Timestamp(t).to_jst_display())
                    .unwrap_or_else(|| never.to_string()),
                reminded: o
                    .last_reminder_at
                    .map(|t| Timestamp(t).to_jst_display())
                    .unwrap_or_default(),
            })
            .collect(),
        stale: f
            .stale_acceptance
            .into_iter()
            .map(|a| StaleItem {
                id: a.id,
                kind: kind_label(ctx.lang, &a.kind),
                fresh_days: renkei_domain::directory::acceptance_fresh_days(&a.kind),
                status: acceptance_label(ctx.lang, &a.acceptance),
                as_of: Timestamp(a.acceptance_as_of).to_jst_display(),
                name: a.name,
                municipality: a.municipality_name,
                org: a.org_name.unwrap_or_default(),
            })
            .collect(),
        l,
    };
    render(&page, StatusCode::OK)
}

pub async fn send_reminders(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
) -> Result<Response, WebError> {
    let run = state
        .directory_service
        .send_reminders(&Actor::User(p.clone()), &rc, Timestamp::now())
        .await?;
    let (sent, failed, without, recent) = (
        run.sent,
        run.failed,
        run.without_address,
        run.recently_reminded,
    );
    let captured = |note| if run.delivered { "" } else { note };
    let message = ctx
        .lang
        .tr(
            &format!(
                "確認依頼: 送信 {sent}件、失敗 {failed}件、宛先なし {without}件、最近依頼済み {recent}件 {}",
                captured("（デモ: メールは送信せず記録のみ）")
            ),
            &format!(
                "Reminders: sent {sent}, failed {failed}, no address {without}, reminded recently {recent} {}",
                captured("(demo: mail captured, not sent)")
            ),
        )
        .to_string();
    freshness_response(&state, &ctx, p, Some(message)).await
}

#[derive(Template)]
#[template(path = "directory/new.html")]
struct NewEntryPage {
    l: Layout,
    form: FormData,
    errors: ValidationErrors,
    kinds: Vec<(&'static str, &'static str)>,
    services: Vec<(&'static str, &'static str)>,
}

fn new_entry_page(
    ctx: &PageCtx,
    form: FormData,
    errors: ValidationErrors,
) -> Result<Response, WebError> {
    let l = Layout::new(
        ctx,
        ctx.lang.tr(
            "資源を追加（生活支援・相談窓口など）",
            "Add a resource (life support, consultation desk …)",
        ),
    );
    let lang = l.lang;
    let status = form_status(&errors);
    let page = NewEntryPage {
        kinds: [
            OrgKind::LifeSupport,
            OrgKind::ConsultationDesk,
            OrgKind::CommunityCareCentre,
            OrgKind::SupportCentre,
            OrgKind::Municipality,
            OrgKind::HealthCentre,
            OrgKind::Association,
            OrgKind::SocialWelfareCouncil,
            OrgKind::DisabilityService,
            OrgKind::DisabilityConsultation,
            OrgKind::DementiaCentre,
            OrgKind::DementiaCafe,
            OrgKind::FamilyAssociation,
            OrgKind::PaidNursingHome,
            OrgKind::ServicedHousing,
            OrgKind::CareService,
            OrgKind::Clinic,
        ]
        .iter()
        .map(|k| (k.code(), k.label(lang)))
        .collect(),
        services: LIFE_SUPPORT_SERVICES.to_vec(),
        l,
        form,
        errors,
    };
    render(&page, status)
}

pub async fn new_entry_form(
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
) -> Result<Response, WebError> {
    if !p.role.may(Permission::CurateDirectory) {
        return Err(WebError::Forbidden);
    }
    new_entry_page(&ctx, FormData::default(), ValidationErrors::new())
}

pub async fn create_entry(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let form = FormData::parse(&body)?;
    let coordinate = |k: &str| -> Result<Option<f64>, ()> {
        let v = renkei_domain::text::nfkc(form.get(k));
        if v.is_empty() {
            Ok(None)
        } else {
            v.parse::<f64>().map(Some).map_err(|_| ())
        }
    };
    let mut errors = ValidationErrors::new();
    let (lat, lon) = match (coordinate("lat"), coordinate("lon")) {
        (Ok(a), Ok(b)) => (a, b),
        _ => {
            errors.add(
                "lat",
                "format",
                "緯度・経度は数字で入力してください（例: 35.6812）。",
                "Latitude and longitude must be numbers (e.g. 35.6812).",
            );
            (None, None)
        }
    };
    let municipality_code = renkei_domain::text::nfkc(form.get("municipality_code"));
    if !municipality_code.is_empty()
        && (municipality_code.len() != 6
            || renkei_domain::LocalGovernmentCode::parse(&municipality_code).is_err())
    {
        errors.add(
            "municipality_code",
            "format",
            "市区町村コードは検査数字つきの6桁です。",
            "The municipality code has 6 digits including the check digit.",
        );
    }
    if !errors.is_empty() {
        return new_entry_page(&ctx, form, errors);
    }
    let new = NewLocalEntry {
        kind: form.get("kind").to_string(),
        name: form.get("name").trim().to_string(),
        kana: form.get("kana").trim().to_string(),
        municipality_code,
        municipality_name: form.get("municipality_name").trim().to_string(),
        address: form.get("address").trim().to_string(),
        lat,
        lon,
        phone: renkei_domain::text::nfkc(form.get("phone")),
        url: form.get("url").trim().to_string(),
        hours: form.get("hours").trim().to_string(),
        services: form.all("services").iter().map(|s| s.to_string()).collect(),
        org_id: None,
        departments: String::new(),
        speciality_codes: String::new(),
        schedule: Default::default(),
        outside_region: form.get("outside_region") == "on",
    };
    match state
        .directory_service
        .create_local(&Actor::User(p.clone()), new, &rc, Timestamp::now())
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/directory/entries/{id}")).into_response()),
        Err(renkei_directory::service::DirectoryError::Validation(errors)) => {
            new_entry_page(&ctx, form, errors)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The edit form's liaison-window fields (full-width digits folded)
    /// become the entry's liaison window; a blank fieldset is "not told".
    #[test]
    fn the_edit_form_reads_the_liaison_window() {
        let form = |pairs: &[(&str, &str)]| {
            FormData(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        let f = local_fields_from(&form(&[
            ("lw_department", " 地域連携室 "),
            ("lw_phone", "０９９９-２０-２２１０"),
            ("lw_day", "1"),
            ("lw_day", "5"),
            ("lw_from", "08:30"),
            ("lw_to", "17:00"),
            ("lw_channel", "fax"),
        ]));
        let w = &f.liaison_window;
        assert_eq!(w.department, "地域連携室");
        assert_eq!(w.phone, "0999-20-2210");
        assert_eq!(w.weekdays, [1, 5]);
        assert_eq!(
            w.describe_ja(),
            "地域連携室 ・ 電話 0999-20-2210 ・ 月金 08:30〜17:00 ・ 受付 FAX"
        );
        assert!(local_fields_from(&form(&[])).liaison_window.is_empty());
    }
}
