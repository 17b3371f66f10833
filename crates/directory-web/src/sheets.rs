//! The confirmation sheet (確認票): a pre-filled A4 page per entry that the
//! support centre prints or faxes to offices that answer on paper better
//! than by e-mail, and the fast keyed entry of the sheet when it comes back
//! (the edit form in the sheet's order, with how it came back and a "no
//! changes" button). One sheet, or every overdue entry's sheet in one
//! document for the yearly round.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use renkei_directory::model::{EntryId, EntryView, SheetReturn};
use renkei_domain::directory::{HOME_CARE_FUNCTIONS, PUBLIC_FIELD_CHOICES, STAFF_QUALIFICATIONS};
use renkei_domain::{Timestamp, ValidationErrors};
use renkei_identity::Actor;
use renkei_web_kit::auth::{Ctx, CurrentUser, PageCtx};
use renkei_web_kit::i18n::Lang;
use renkei_web_kit::page::render;
use renkei_web_kit::{FormData, Layout, WebError};

use crate::pages::{
    acceptance_label, edit_page_for, entry_response, kind_label, local_fields_from, EditMode,
};
use crate::DirectoryState;

/// The most sheets one document holds (a round is printed in batches).
const SHEETS_PER_DOCUMENT: i64 = 200;

/// One entry's sheet: what is on file, each choice with its box ticked or
/// not, and blank lines for what the office adds.
pub struct Sheet {
    pub id: EntryId,
    pub name: String,
    pub kana: String,
    pub kind: String,
    pub municipality: String,
    pub official_code: String,
    /// Read from the national or municipal data: corrected by writing on
    /// the sheet, passed on by the centre to whoever publishes them.
    pub official: Vec<(&'static str, String)>,
    pub functions: Vec<(&'static str, bool)>,
    pub procedures: Vec<(String, bool)>,
    pub windows: Vec<String>,
    pub contact_person: String,
    pub features: String,
    pub languages: String,
    pub staff_count: String,
    pub qualifications: Vec<(&'static str, bool)>,
    pub acceptance: Vec<(&'static str, bool)>,
    pub publish_consent: bool,
    pub public: Vec<(&'static str, bool)>,
}

fn sheet_of(state: &DirectoryState, lang: Lang, v: &EntryView) -> Sheet {
    let e = &v.entry;
    let tr = |ja: &'static str, en: &'static str| lang.tr(ja, en);
    let procedures = state.directory.procedures();
    Sheet {
        id: e.id,
        name: e.name.clone(),
        kana: e.kana.clone(),
        kind: kind_label(lang, &e.kind),
        municipality: v.meta.municipality_name.clone(),
        official_code: v.meta.official_code.clone(),
        official: vec![
            (tr("住所", "Address"), e.address.clone()),
            (tr("電話", "Phone"), e.phone.clone()),
            (tr("FAX", "FAX"), e.fax.clone()),
            (tr("ホームページ", "Web site"), e.url.clone()),
            (
                tr("受付時間・休業日", "Hours and closed days"),
                e.hours.clone(),
            ),
            (
                tr("診療科目", "Departments"),
                v.meta.departments.replace(';', "・"),
            ),
        ],
        functions: HOME_CARE_FUNCTIONS
            .iter()
            .map(|(c, ja, en)| (tr(ja, en), v.local.functions.iter().any(|f| f == c)))
            .collect(),
        procedures: procedures
            .iter()
            .map(|(c, n)| (n.clone(), v.local.procedures.contains(c)))
            .collect(),
        windows: v
            .local
            .contact_windows
            .iter()
            .map(|w| w.describe(lang.code()))
            .collect(),
        contact_person: v.local.contact_person.clone(),
        features: v.local.features.clone(),
        languages: v.local.languages.clone(),
        staff_count: v
            .local
            .staff_count
            .map(|n| n.to_string())
            .unwrap_or_default(),
        qualifications: STAFF_QUALIFICATIONS
            .iter()
            .map(|(c, ja, en)| {
                (
                    tr(ja, en),
                    v.local.staff_qualifications.iter().any(|q| q == c),
                )
            })
            .collect(),
        acceptance: ["accepting", "waiting_list", "full"]
            .into_iter()
            .map(|a| (acceptance_label(lang, a), e.acceptance == a))
            .collect(),
        publish_consent: v.local.publish_consent,
        public: PUBLIC_FIELD_CHOICES
            .iter()
            .map(|(c, ja, en)| (tr(ja, en), v.local.public_fields.iter().any(|f| f == c)))
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "directory/sheet.html")]
struct SheetsPage {
    l: Layout,
    sheets: Vec<Sheet>,
    printed: String,
    /// Where the batch came from, for the screen (not printed).
    batch: bool,
}

fn sheets_response(ctx: &PageCtx, sheets: Vec<Sheet>, batch: bool) -> Result<Response, WebError> {
    let l = Layout::new(ctx, ctx.lang.tr("掲載情報の確認票", "Confirmation sheet"));
    render(
        &SheetsPage {
            l,
            sheets,
            printed: Timestamp::now().to_jst_display(),
            batch,
        },
        StatusCode::OK,
    )
}

/// One entry's sheet, for its maintainers and curators.
pub async fn sheet(
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
    let sheet = sheet_of(&state, ctx.lang, &v);
    sheets_response(&ctx, vec![sheet], false)
}

/// Every overdue entry's sheet of the curator's region, one per page.
pub async fn overdue_sheets(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
) -> Result<Response, WebError> {
    let views = state
        .directory_service
        .overdue_for_sheets(&Actor::User(p), Timestamp::now(), SHEETS_PER_DOCUMENT)
        .await?;
    let sheets = views
        .iter()
        .map(|v| sheet_of(&state, ctx.lang, v))
        .collect();
    sheets_response(&ctx, sheets, true)
}

/// The keyed-entry form of a returned sheet (curators).
pub async fn return_form(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Path(id): Path<EntryId>,
) -> Result<Response, WebError> {
    let v = state
        .directory_service
        .entry(&Actor::User(p), id, Timestamp::now())
        .await?;
    if !v.may_review {
        return Err(WebError::Forbidden);
    }
    edit_page_for(
        &state,
        &ctx,
        id,
        v.entry.name,
        v.local,
        ValidationErrors::new(),
        EditMode::SheetReturn,
    )
}

/// Records a returned sheet: its corrections, or "no changes", and that
/// the entry is confirmed.
pub async fn record_return(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<EntryId>,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let form = FormData::parse(&body)?;
    let actor = Actor::User(p.clone());
    let v = state
        .directory_service
        .entry(&actor, id, Timestamp::now())
        .await?;
    // "No changes": what is on file, whatever the form carried.
    let fields = if form.get("unchanged") == "1" {
        v.local.clone()
    } else {
        local_fields_from(&form)
    };
    // The form again, with what was typed and what is wrong.
    let again = |fields, errors| {
        edit_page_for(
            &state,
            &ctx,
            id,
            v.entry.name.clone(),
            fields,
            errors,
            EditMode::SheetReturn,
        )
    };
    let Some(via) = SheetReturn::parse(form.get("via")) else {
        let mut errors = ValidationErrors::new();
        errors.add(
            "via",
            "unknown",
            "返送方法を選んでください。",
            "Choose how the sheet came back.",
        );
        return again(fields, errors);
    };
    match state
        .directory_service
        .record_returned_sheet(&actor, id, fields.clone(), via, &rc, Timestamp::now())
        .await
    {
        Ok(changed) => {
            let message = if changed.is_empty() {
                ctx.lang.tr(
                    "確認票を記録しました（変更なし・確認済み）。",
                    "Sheet recorded (no changes, confirmed).",
                )
            } else {
                ctx.lang.tr(
                    "確認票の修正を反映し、確認済みにしました。",
                    "Sheet's corrections applied; the entry is confirmed.",
                )
            };
            entry_response(&state, &ctx, p, id, Some(("success", message))).await
        }
        Err(renkei_directory::service::DirectoryError::Validation(errors)) => again(fields, errors),
        Err(e) => Err(e.into()),
    }
}
