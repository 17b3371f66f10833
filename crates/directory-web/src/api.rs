//! Directory search over HTTP: the professional API for staff and the
//! public, anonymous, rate-limited API for residents. Both run the same
//! in-process search; the public one answers with a type that has no
//! professional-only fields, so it cannot leak them.

use axum::extract::{Path, Query, State};
use axum::Json;
use renkei_directory::model::EntryId;
use renkei_directory::search;
use renkei_domain::people::Permission;
use renkei_domain::{Timestamp, ValidationErrors};
use renkei_identity::Actor;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::DirectoryState;
use renkei_web_kit::auth::{Ctx, CurrentUser};
use renkei_web_kit::WebError;

/// Query parameters shared by both search endpoints.
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Text over names, kana and addresses; width and kana differences are ignored.
    pub q: Option<String>,
    /// Organisation kinds, comma-separated (any of them): kind codes such as
    /// `visiting_nursing`, or the groups `medical` and `care`.
    pub kind: Option<String>,
    /// 診療科目コード, comma-separated (any of them), e.g. `01001` (内科).
    pub speciality: Option<String>,
    /// 都道府県コード (2 digits, `13`).
    pub prefecture: Option<String>,
    /// `true`: only entries open now by their consultation hours
    /// (Asia/Tokyo, public holidays included).
    pub open_now: Option<String>,
    /// Only entries open at this moment: `2026-12-08T10:30` (Japan time) or
    /// RFC 3339.
    pub open_at: Option<String>,
    /// Care service code, e.g. `130` (訪問看護), or a life-support code (`L01` 配食).
    pub service: Option<String>,
    /// Home-care function: `home_visit` (訪問診療), `home_visit_conditional`
    /// (条件が合えば訪問診療), `house_call` (往診), `h24`, `end_of_life`.
    pub function: Option<String>,
    /// Procedure code, e.g. `suction` (喀痰吸引).
    pub procedure: Option<String>,
    /// A qualification one of the staff holds, e.g. `nurse` (看護師) for a
    /// care-management office whose care manager is a nurse.
    pub qualification: Option<String>,
    /// `true`: only entries taking new patients now.
    pub accepting: Option<String>,
    /// `true`: only entries with a contact window for care managers open now
    /// (Asia/Tokyo). Professional search only.
    pub contactable_now: Option<String>,
    /// `true`: only the viewer's region — its municipalities and the
    /// resources outside it that it lists as used by its residents.
    /// Professional search only.
    pub in_region: Option<String>,
    /// 日常生活圏域 (daily-life area) name.
    pub area: Option<String>,
    /// `LAT,LON`: nearest first.
    pub near: Option<String>,
    /// With `near`: only within this distance (km, up to 500).
    pub radius_km: Option<String>,
    /// 6-digit 全国地方公共団体コード.
    pub municipality: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<String>,
    /// `next_cursor` of the previous page (`p…` resumes after the last
    /// entry, to the end; `o…` is an offset, up to 10,000, for near searches).
    pub cursor: Option<String>,
}

fn flag(v: &mut ValidationErrors, field: &str, value: Option<&str>) -> bool {
    match value.unwrap_or("") {
        "" | "false" | "0" => false,
        "true" | "1" | "on" => true,
        _ => {
            v.add(
                field,
                "format",
                &format!("{field} は true か false です。"),
                &format!("{field} must be true or false."),
            );
            false
        }
    }
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl SearchParams {
    /// Checks every parameter and names each bad one. `procedures` are the
    /// codes the region's list knows; `public` refuses professional-only
    /// filters.
    pub fn to_query(
        &self,
        live: &renkei_directory::live::LiveIndex,
        public: bool,
    ) -> Result<search::Query, WebError> {
        let procedures = live.procedures();
        let mut v = ValidationErrors::new();
        let text = self
            .q
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        if text.as_ref().is_some_and(|t| t.chars().count() > 100) {
            v.add(
                "q",
                "too_long",
                "検索語は100文字以内にしてください。",
                "q must be at most 100 characters.",
            );
        }
        let mut kinds: Vec<String> = Vec::new();
        for value in self
            .kind
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            match renkei_domain::org::kinds_named(value) {
                Some(named) => kinds.extend(named.into_iter().map(str::to_string)),
                None => v.add(
                    "kind",
                    "unknown",
                    &format!("種別「{value}」が正しくありません。"),
                    &format!("Unknown kind {value:?}."),
                ),
            }
        }
        kinds.sort();
        kinds.dedup();
        let specialities: Vec<String> = self
            .speciality
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        if specialities
            .iter()
            .any(|c| c.len() > 10 || !c.chars().all(|ch| ch.is_ascii_alphanumeric()))
        {
            v.add(
                "speciality",
                "format",
                "診療科目コードは英数字（例: 01001）をカンマで区切って指定してください。",
                "speciality must be comma-separated codes such as 01001.",
            );
        }
        let prefecture = non_empty(&self.prefecture);
        if prefecture
            .as_deref()
            .is_some_and(|p| p.len() != 2 || !p.parse::<u8>().is_ok_and(|n| (1..=47).contains(&n)))
        {
            v.add(
                "prefecture",
                "format",
                "都道府県コードは01〜47の2桁です。",
                "prefecture must be a 2-digit code from 01 to 47.",
            );
        }
        let open_now = flag(&mut v, "open_now", self.open_now.as_deref());
        let open_at = match non_empty(&self.open_at) {
            None if open_now => Some(Timestamp::now()),
            None => None,
            Some(at) => match Timestamp::parse_moment(&at) {
                Some(t) => Some(t),
                None => {
                    v.add(
                        "open_at",
                        "format",
                        "日時は 2026-12-08T10:30 のように指定してください（日本時間）。",
                        "open_at must be like 2026-12-08T10:30 (Japan time) or RFC 3339.",
                    );
                    None
                }
            },
        };
        let service = self
            .service
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        if service
            .as_deref()
            .is_some_and(|s| renkei_domain::directory::service_name(s).is_none())
        {
            v.add(
                "service",
                "unknown",
                "サービス種別コードが正しくありません。",
                "Unknown service code.",
            );
        }
        let accepting = flag(&mut v, "accepting", self.accepting.as_deref());
        let in_region = flag(&mut v, "in_region", self.in_region.as_deref());
        if in_region && public {
            v.add(
                "in_region",
                "professional_only",
                "圏域の絞り込みは専門職向けの検索でだけ使えます。",
                "in_region is available in the professional search only.",
            );
        }
        let contactable_now = flag(&mut v, "contactable_now", self.contactable_now.as_deref());
        if contactable_now && public {
            v.add(
                "contactable_now",
                "professional_only",
                "連絡可能時間での絞り込みは専門職向け検索でのみ使えます。",
                "contactable_now is available in the professional search only.",
            );
        }
        let function = non_empty(&self.function);
        if function.as_deref().is_some_and(|f| {
            !renkei_domain::directory::HOME_CARE_FUNCTIONS
                .iter()
                .any(|(c, _, _)| *c == f)
        }) {
            v.add(
                "function",
                "unknown",
                "在宅医療の機能が正しくありません（home_visit, home_visit_conditional, house_call, h24, end_of_life）。",
                "function must be home_visit, home_visit_conditional, house_call, h24 or end_of_life.",
            );
        }
        let procedure = non_empty(&self.procedure);
        if procedure
            .as_deref()
            .is_some_and(|p| !procedures.iter().any(|(c, _)| c == p))
        {
            v.add(
                "procedure",
                "unknown",
                "医療処置のコードが正しくありません。",
                "Unknown procedure code.",
            );
        }
        let qualification = non_empty(&self.qualification);
        if qualification.as_deref().is_some_and(|q| {
            !renkei_domain::directory::STAFF_QUALIFICATIONS
                .iter()
                .any(|(c, _, _)| *c == q)
        }) {
            v.add(
                "qualification",
                "unknown",
                "保有資格のコードが正しくありません。",
                "Unknown qualification code.",
            );
        }
        let area = non_empty(&self.area);
        if area.as_ref().is_some_and(|a| a.chars().count() > 50) {
            v.add(
                "area",
                "too_long",
                "圏域名は50文字以内です。",
                "area must be at most 50 characters.",
            );
        }
        let near = match self.near.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => {
                let parts: Vec<Option<f64>> =
                    s.split(',').map(|p| p.trim().parse::<f64>().ok()).collect();
                match parts.as_slice() {
                    [Some(lat), Some(lon)]
                        if (-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon) =>
                    {
                        Some((*lat, *lon))
                    }
                    _ => {
                        v.add(
                            "near",
                            "format",
                            "位置は「緯度,経度」で指定してください。",
                            "near must be LAT,LON.",
                        );
                        None
                    }
                }
            }
        };
        let radius_km = match non_empty(&self.radius_km) {
            None => None,
            Some(r) => match r.parse::<f64>() {
                Ok(r) => Some(r),
                Err(_) => Some(f64::NAN),
            },
        };
        if let Some(r) = radius_km {
            if !(r > 0.0 && r <= 500.0) {
                v.add(
                    "radius_km",
                    "range",
                    "距離は0より大きく500km以下で指定してください。",
                    "radius_km must be in (0, 500].",
                );
            }
            if near.is_none() {
                v.add(
                    "radius_km",
                    "needs_near",
                    "距離を指定するときは位置（near）も指定してください。",
                    "radius_km needs near.",
                );
            }
        }
        let municipality = self
            .municipality
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        if municipality
            .as_deref()
            .is_some_and(|m| renkei_domain::LocalGovernmentCode::parse(m).is_err() || m.len() != 6)
        {
            v.add(
                "municipality",
                "format",
                "市区町村コードは検査数字つきの6桁です。",
                "municipality must be a 6-digit code with check digit.",
            );
        }
        let limit = match non_empty(&self.limit) {
            None => 20,
            Some(l) => l.parse::<usize>().unwrap_or(0),
        };
        if !(1..=100).contains(&limit) {
            v.add(
                "limit",
                "range",
                "件数は1〜100で指定してください。",
                "limit must be 1 to 100.",
            );
        }
        let (offset, after) = match self.cursor.as_deref().filter(|s| !s.is_empty()) {
            None => (0, None),
            Some(c) => match (
                c.strip_prefix('o').and_then(|n| n.parse::<usize>().ok()),
                c.parse::<search::Cursor>().ok(),
            ) {
                (Some(n), _) if n <= 10_000 => (n, None),
                (_, Some(after)) => (0, Some(after)),
                _ => {
                    v.add(
                        "cursor",
                        "format",
                        "cursor が正しくありません。",
                        "Invalid cursor.",
                    );
                    (0, None)
                }
            },
        };
        v.into_result().map_err(WebError::Validation)?;
        let holidays = live.holidays();
        Ok(search::Query {
            text,
            kind: None,
            kinds,
            specialities,
            prefecture,
            open_at: open_at.map(|t| {
                renkei_domain::directory::LocalMoment::at(t, |y, m, d| holidays.is_holiday(y, m, d))
            }),
            service,
            accepting,
            function,
            procedure,
            qualification,
            // Filled in by the handler, which knows the viewer's region.
            within: in_region.then(Default::default),
            area,
            contactable_at: contactable_now
                .then(|| renkei_domain::directory::jst_weekday_minute(Timestamp::now())),
            public,
            municipality,
            near,
            radius_km,
            ids: None,
            after,
            offset,
            limit,
        })
    }
}

/// A directory entry as anyone may see it. Optional fields appear only
/// where the entry has made them public.
#[derive(Serialize, ToSchema)]
pub struct PublicItem {
    #[schema(value_type = i64)]
    pub id: EntryId,
    pub name: String,
    pub kind: String,
    pub services: Vec<String>,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// With `near`: distance in km.
    pub distance_km: Option<f64>,
    /// 診療科目コード (national open data, always public).
    pub specialities: Vec<String>,
    /// 診療科目 names, in the order of `specialities`.
    pub departments: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fax: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub functions: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub procedures: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub features: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub languages: Option<String>,
    /// 受入状況, when the entry has made it public.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acceptance: Option<String>,
    /// How many professionals the office has, when public and told.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff_count: Option<i64>,
    /// Qualifications its staff hold (`nurse`, `social_worker`, …), when public.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff_qualifications: Option<Vec<String>>,
}

/// A contact window for care managers (Japan time).
#[derive(Serialize, ToSchema)]
pub struct ContactWindowItem {
    /// phone, fax, email, in_person or timeline.
    pub method: String,
    /// 1 = Monday … 7 = Sunday.
    pub weekdays: Vec<u8>,
    pub from: String,
    pub to: String,
    pub note: String,
}

/// A directory entry as staff see it: every field, public or not.
#[derive(Serialize, ToSchema)]
pub struct ProfessionalItem {
    #[schema(value_type = i64)]
    pub id: EntryId,
    pub name: String,
    pub kana: String,
    pub kind: String,
    pub services: Vec<String>,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub distance_km: Option<f64>,
    /// 診療科目コード and names.
    pub specialities: Vec<String>,
    pub departments: Vec<String>,
    pub phone: String,
    pub fax: String,
    pub url: String,
    pub email: String,
    pub hours: String,
    pub area: String,
    pub functions: Vec<String>,
    pub procedures: Vec<String>,
    pub features: String,
    pub languages: String,
    /// How many professionals the office has (for a care-management office,
    /// its care managers), as it tells.
    pub staff_count: Option<i64>,
    /// Qualifications its staff hold (`STAFF_QUALIFICATIONS` codes).
    pub staff_qualifications: Vec<String>,
    pub contact_windows: Vec<ContactWindowItem>,
    /// 受入状況: accepting, waiting_list, full or unknown.
    pub acceptance: String,
    pub acceptance_note: String,
    /// When the status was last set (Unix ms).
    pub acceptance_as_of: Option<i64>,
    pub vacant_beds: Option<i64>,
    /// When the entry was last confirmed as correct (Unix ms).
    pub confirmed_at: Option<i64>,
    /// Consent to publish on the public map.
    pub published: bool,
    /// Where it stands to the viewer's region: `inside`, `outside_listed`
    /// (outside, listed as a resource its residents use) or `outside`;
    /// absent for a viewer of every region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_place: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PublicPage {
    pub items: Vec<PublicItem>,
    pub next_cursor: Option<String>,
    /// How many entries match (an estimate when `total_is_estimate`).
    pub total: usize,
    pub total_is_estimate: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ProfessionalPage {
    pub items: Vec<ProfessionalItem>,
    pub next_cursor: Option<String>,
    pub total: usize,
    pub total_is_estimate: bool,
}

/// The cursor of the page after `page`: `p<tier>.<position>` resumes after
/// the last entry (searches by relevance, to the end at the cost of one
/// page), `o<offset>` counts from the start (nearest-first searches).
pub fn next_cursor(page: &search::Page) -> Option<String> {
    match (page.next_after, page.next_offset) {
        (Some(after), _) => Some(after.to_string()),
        (None, Some(offset)) => Some(format!("o{offset}")),
        (None, None) => None,
    }
}

fn round_km(d: Option<f64>) -> Option<f64> {
    d.map(|d| (d * 100.0).round() / 100.0)
}

/// The public view of an entry: each optional field only where the entry
/// made it public. This is the one place that decides.
pub fn public_item(e: search::Entry, distance_km: Option<f64>) -> PublicItem {
    let show = |field: &str| e.is_public(field);
    let text = |field: &str, value: String| (show(field) && !value.is_empty()).then_some(value);
    PublicItem {
        id: e.id,
        phone: text("phone", e.phone.clone()),
        fax: text("fax", e.fax.clone()),
        url: text("url", e.url.clone()),
        email: text("email", e.email.clone()),
        hours: text("hours", e.hours.clone()),
        functions: show("functions").then(|| e.functions.clone()),
        procedures: show("procedures").then(|| e.procedures.clone()),
        features: text("features", e.features.clone()),
        languages: text("languages", e.languages.clone()),
        acceptance: show("acceptance").then(|| e.acceptance.clone()),
        staff_count: e.staff_count.filter(|_| show("staff")),
        staff_qualifications: (show("staff") && !e.staff_qualifications.is_empty())
            .then(|| e.staff_qualifications.clone()),
        specialities: e.specialities,
        departments: departments(&e.departments),
        name: e.name,
        kind: e.kind,
        services: e.services,
        address: e.address,
        lat: e.lat,
        lon: e.lon,
        distance_km: round_km(distance_km),
    }
}

/// The 診療科目 names of an entry as a list.
fn departments(joined: &str) -> Vec<String> {
    joined
        .split(';')
        .filter(|d| !d.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn professional_item(e: search::Entry, distance_km: Option<f64>) -> ProfessionalItem {
    ProfessionalItem {
        id: e.id,
        name: e.name,
        kana: e.kana,
        kind: e.kind,
        services: e.services,
        address: e.address,
        lat: e.lat,
        lon: e.lon,
        distance_km: round_km(distance_km),
        departments: departments(&e.departments),
        specialities: e.specialities,
        phone: e.phone,
        fax: e.fax,
        url: e.url,
        email: e.email,
        hours: e.hours,
        area: e.area,
        functions: e.functions,
        procedures: e.procedures,
        features: e.features,
        staff_count: e.staff_count,
        staff_qualifications: e.staff_qualifications,
        languages: e.languages,
        contact_windows: e
            .contact_windows
            .into_iter()
            .map(|w| ContactWindowItem {
                method: w.method,
                weekdays: w.weekdays,
                from: w.from,
                to: w.to,
                note: w.note,
            })
            .collect(),
        acceptance: e.acceptance,
        acceptance_note: e.acceptance_note,
        acceptance_as_of: e.acceptance_as_of,
        vacant_beds: e.vacant_beds,
        confirmed_at: e.confirmed_at,
        published: e.published,
        region_place: None,
    }
}

#[utoipa::path(get, path = "/api/v1/directory/search", tag = "directory", params(SearchParams),
    responses((status = 200, body = ProfessionalPage), (status = 422, description = "Invalid parameters, listed in `errors`", content_type = "application/problem+json"),
              (status = 403, description = "Not a staff role", content_type = "application/problem+json")))]
pub async fn search_professional(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    Query(params): Query<SearchParams>,
) -> Result<Json<ProfessionalPage>, WebError> {
    if !p.role.may(Permission::ViewProfessionalDirectory) {
        return Err(WebError::Forbidden);
    }
    let mut query = params.to_query(&state.directory, false)?;
    let region = state
        .directory_service
        .region_resources(&Actor::User(p.clone()))
        .await?;
    restrict_to_region(&mut query, region.as_ref());
    let page = state.directory.search(&query);
    Ok(Json(ProfessionalPage {
        next_cursor: next_cursor(&page),
        total: page.total,
        total_is_estimate: !page.total_exact,
        items: page
            .items
            .into_iter()
            .map(|h| {
                let place = region
                    .as_ref()
                    .map(|r| place_code(r.place_of(h.entry.id, &h.entry.municipality_code)));
                ProfessionalItem {
                    region_place: place,
                    ..professional_item(h.entry, h.distance_km)
                }
            })
            .collect(),
    }))
}

/// Fills in `in_region`: the viewer's municipalities and listed outside
/// entries (a viewer of every region is not restricted).
pub fn restrict_to_region(
    query: &mut search::Query,
    region: Option<&renkei_directory::model::RegionResources>,
) {
    if query.within.is_some() {
        query.within = region.map(|r| (r.municipalities.clone(), r.listed.clone()));
    }
}

/// The API's name of where an entry stands to the viewer's region.
pub fn place_code(place: renkei_directory::model::RegionPlace) -> String {
    use renkei_directory::model::RegionPlace;
    match place {
        RegionPlace::Inside => "inside",
        RegionPlace::OutsideListed => "outside_listed",
        RegionPlace::Outside => "outside",
    }
    .to_string()
}

#[utoipa::path(get, path = "/api/v1/public/directory/search", tag = "directory", params(SearchParams), security(()),
    responses((status = 200, body = PublicPage), (status = 422, description = "Invalid parameters", content_type = "application/problem+json"),
              (status = 429, description = "Too many requests from this address", content_type = "application/problem+json")))]
pub async fn search_public(
    State(state): State<DirectoryState>,
    Ctx(rc): Ctx,
    Query(params): Query<SearchParams>,
) -> Result<Json<PublicPage>, WebError> {
    check_public_rate(&state, &rc)?;
    let query = params.to_query(&state.directory, true)?;
    let page = state.directory.search(&query);
    Ok(Json(PublicPage {
        next_cursor: next_cursor(&page),
        total: page.total,
        total_is_estimate: !page.total_exact,
        items: page
            .items
            .into_iter()
            .map(|h| public_item(h.entry, h.distance_km))
            .collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/public/directory/entries/{id}", tag = "directory", security(()),
    params(("id" = i64, Path, description = "The entry's id")),
    responses((status = 200, body = PublicItem), (status = 404, description = "No such entry, or not published", content_type = "application/problem+json"),
              (status = 429, description = "Too many requests from this address", content_type = "application/problem+json")))]
/// One entry as anyone may see it (public fields only): what the public
/// map's detail shows, as JSON, from the in-memory index. An entry whose
/// organisation has not consented to publication answers 404, as one
/// that does not exist.
pub async fn public_entry(
    State(state): State<DirectoryState>,
    Ctx(rc): Ctx,
    Path(id): Path<EntryId>,
) -> Result<Json<PublicItem>, WebError> {
    check_public_rate(&state, &rc)?;
    let entry = state
        .directory
        .get(id)
        .filter(|e| e.published)
        .ok_or(WebError::NotFound)?;
    Ok(Json(public_item(entry, None)))
}

/// Anonymous directory requests (API and map) share one per-address budget.
pub fn check_public_rate(
    state: &DirectoryState,
    rc: &renkei_identity::RequestContext,
) -> Result<(), WebError> {
    if state
        .public_limiter
        .allow(&rc.source_addr, state.config.public_search_per_minute)
    {
        Ok(())
    } else {
        Err(WebError::TooManyRequests(60))
    }
}

pub use renkei_web_kit::limit::RateLimiter;

/// Query parameters of the partner export.
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `medical` (医療機関一覧) or `care` (介護サービス事業所一覧).
    pub dataset: Option<String>,
    /// `professional` (default: every field, for staff of the region) or
    /// `public` (only what entries consented to publish).
    pub edition: Option<String>,
    /// Entry kinds, comma-separated (all when absent), e.g. `dental_clinic`.
    pub kind: Option<String>,
}

/// The partner export: the caller's region as the municipal standard CSV
/// (自治体標準オープンデータセット, UTF-8 with BOM), for a cooperating body
/// signed in with an account or a read-only API token. Audited.
#[utoipa::path(get, path = "/api/v1/directory/export.csv", tag = "directory", params(ExportParams),
    responses((status = 200, description = "The municipal standard CSV", content_type = "text/csv"),
              (status = 422, description = "Invalid parameters, listed in `errors`", content_type = "application/problem+json"),
              (status = 403, description = "Not a staff role", content_type = "application/problem+json")))]
pub async fn partner_export(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Query(params): Query<ExportParams>,
) -> Result<axum::response::Response, WebError> {
    use axum::response::IntoResponse;
    use renkei_directory::export::{csv_standard::Dataset, Edition};
    let mut errors = ValidationErrors::new();
    let dataset = match params.dataset.as_deref() {
        Some("medical") => Some(Dataset::Medical),
        Some("care") => Some(Dataset::Care),
        _ => {
            errors.add(
                "dataset",
                "unknown",
                "dataset は medical か care を指定してください。",
                "dataset must be medical or care.",
            );
            None
        }
    };
    let edition = match params.edition.as_deref() {
        None | Some("professional") => Some(Edition::Professional),
        Some("public") => Some(Edition::Public),
        Some(_) => {
            errors.add(
                "edition",
                "unknown",
                "edition は professional か public を指定してください。",
                "edition must be professional or public.",
            );
            None
        }
    };
    let kinds: Vec<String> = params
        .kind
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect();
    if let Some(bad) = kinds
        .iter()
        .find(|k| renkei_domain::OrgKind::from_code(k).is_none())
    {
        errors.add(
            "kind",
            "unknown",
            &format!("種別 {bad} はありません。"),
            &format!("unknown kind {bad}"),
        );
    }
    let (Some(dataset), Some(edition), true) = (dataset, edition, errors.is_empty()) else {
        return Err(WebError::Validation(errors));
    };
    let csv = state
        .directory_service
        .partner_export(&Actor::User(p), dataset, edition, &kinds, &rc)
        .await?;
    let name = match dataset {
        Dataset::Medical => "medical_institutions.csv",
        Dataset::Care => "care_offices.csv",
    };
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        csv,
    )
        .into_response())
}
