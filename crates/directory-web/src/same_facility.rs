//! The coordinator's review of entries that list one facility twice
//! (同一施設の名寄せ): pairs the matching found, side by side with the
//! evidence and its confidence, to merge (choosing which entry stays) or
//! to mark as two facilities; merged pairs, including those the matching
//! merged by itself, to split again. Every decision is audited by the
//! service.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use renkei_directory::same_facility::{Pair, PairSide};
use renkei_directory::service::DirectoryError;
use renkei_domain::{EntryId, SameFacilityPairId, Timestamp};
use renkei_identity::{Actor, Principal};
use renkei_web_kit::auth::{Ctx, CurrentUser, PageCtx};
use renkei_web_kit::i18n::Lang;
use renkei_web_kit::page::render;
use renkei_web_kit::{FormData, Layout, WebError};

use crate::pages::kind_label;
use crate::DirectoryState;

/// One side of a pair as the page prints it.
struct SideView {
    id: EntryId,
    source: &'static str,
    official_code: String,
    kind: String,
    name: String,
    address: String,
    phone: String,
    municipality: String,
    corporate_number: String,
}

struct PairView {
    id: SameFacilityPairId,
    a: SideView,
    b: SideView,
    confidence: u8,
    evidence: Vec<&'static str>,
    keep: EntryId,
    /// When and by whom it was merged ("自動" for the matching run).
    decided: String,
}

#[derive(Template)]
#[template(path = "directory/same_facility.html")]
struct ReviewPage {
    l: Layout,
    proposed: Vec<PairView>,
    merged: Vec<PairView>,
}

/// The source's name as the coordinator knows it.
fn source_label(lang: Lang, source: &str) -> &'static str {
    match source {
        "medical_open_data" => lang.tr("医療情報ネット（全国）", "National medical data"),
        "medical_institution_code" => lang.tr("自治体標準 医療機関一覧", "Municipal medical list"),
        "care_open_data" => lang.tr("介護サービス情報公表（事業所番号）", "Care office data"),
        "local" => lang.tr("地域で登録", "Kept locally"),
        _ => lang.tr("その他", "Other"),
    }
}

fn side_view(lang: Lang, s: PairSide) -> SideView {
    SideView {
        id: s.id,
        source: source_label(lang, &s.source),
        official_code: s.official_code,
        kind: kind_label(lang, &s.kind),
        name: s.name,
        address: s.address,
        phone: s.phone,
        municipality: s.municipality_name,
        corporate_number: s.corporate_number,
    }
}

fn pair_view(lang: Lang, p: Pair) -> PairView {
    let decided = match (p.decided_at, &p.decided_by_name) {
        (Some(t), Some(who)) => format!("{} {who}", Timestamp(t).to_jst_display()),
        (Some(t), None) => format!(
            "{} {}",
            Timestamp(t).to_jst_display(),
            lang.tr("（自動で統合）", "(merged automatically)")
        ),
        _ => String::new(),
    };
    PairView {
        id: p.id,
        confidence: p.confidence,
        evidence: p
            .evidence
            .iter()
            .map(|e| {
                if lang == Lang::Ja {
                    e.label()
                } else {
                    e.code()
                }
            })
            .collect(),
        keep: p.keep,
        decided,
        a: side_view(lang, p.a),
        b: side_view(lang, p.b),
    }
}

async fn review_response(
    state: &DirectoryState,
    ctx: &PageCtx,
    p: Principal,
    flash: Option<(&'static str, String)>,
) -> Result<Response, WebError> {
    let review = state
        .directory_service
        .same_facility_review(&Actor::User(p))
        .await?;
    let mut l = Layout::new(
        ctx,
        ctx.lang
            .tr("同一施設の確認（名寄せ）", "Same facility, two entries"),
    );
    if let Some((kind, message)) = flash {
        l = l.with_flash(kind, &message);
    }
    let lang = ctx.lang;
    render(
        &ReviewPage {
            l,
            proposed: review
                .proposed
                .into_iter()
                .map(|p| pair_view(lang, p))
                .collect(),
            merged: review
                .merged
                .into_iter()
                .map(|p| pair_view(lang, p))
                .collect(),
        },
        StatusCode::OK,
    )
}

/// The review page.
pub async fn review(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
) -> Result<Response, WebError> {
    review_response(&state, &ctx, p, None).await
}

/// Runs the matching over the curator's region (every prefecture for a
/// system administrator) and shows what it found.
pub async fn run(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    FormData::parse(&body)?;
    let found = state
        .directory_service
        .find_same_facilities(&Actor::User(p.clone()), &rc, &renkei_domain::SystemClock)
        .await?;
    let message = match ctx.lang {
        Lang::Ja => format!(
            "{}件の掲載を照合しました。確認待ち {}組、自動で統合 {}組。",
            found.entries_compared, found.proposed, found.merged_automatically
        ),
        Lang::En => format!(
            "Compared {} entries: {} pairs await review, {} merged automatically.",
            found.entries_compared, found.proposed, found.merged_automatically
        ),
    };
    review_response(&state, &ctx, p, Some(("success", message))).await
}

/// What a decision answers: the review again with what happened, or the
/// refusal as a message on it (a pair decided meanwhile by a colleague).
async fn after_decision(
    state: &DirectoryState,
    ctx: &PageCtx,
    p: Principal,
    outcome: Result<(), DirectoryError>,
    done: (&'static str, &'static str),
) -> Result<Response, WebError> {
    match outcome {
        Ok(()) => {
            let message = ctx.lang.tr(done.0, done.1).to_string();
            review_response(state, ctx, p, Some(("success", message))).await
        }
        Err(DirectoryError::Conflict(_)) => {
            let message = ctx
                .lang
                .tr(
                    "この組はすでに処理されています。最新の状態を表示しました。",
                    "This pair was decided already; the page shows where it stands.",
                )
                .to_string();
            review_response(state, ctx, p, Some(("error", message))).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Merges a proposed pair, keeping the entry chosen in `keep`.
pub async fn merge(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<SameFacilityPairId>,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let form = FormData::parse(&body)?;
    let Ok(keep) = form.get("keep").parse::<EntryId>() else {
        let message = ctx
            .lang
            .tr("残す掲載を選んでください。", "Choose the entry to keep.")
            .to_string();
        return review_response(&state, &ctx, p, Some(("error", message))).await;
    };
    let outcome = state
        .directory_service
        .merge_pair(&Actor::User(p.clone()), id, keep, &rc, Timestamp::now())
        .await;
    after_decision(
        &state,
        &ctx,
        p,
        outcome,
        ("1件に統合しました。", "Merged into one entry."),
    )
    .await
}

/// Marks a proposed pair as two facilities.
pub async fn reject(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<SameFacilityPairId>,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    FormData::parse(&body)?;
    let outcome = state
        .directory_service
        .reject_pair(&Actor::User(p.clone()), id, &rc, Timestamp::now())
        .await;
    after_decision(
        &state,
        &ctx,
        p,
        outcome,
        (
            "別の施設として記録しました（再提案されません）。",
            "Recorded as two facilities (not proposed again).",
        ),
    )
    .await
}

/// Splits a merged pair.
pub async fn split(
    State(state): State<DirectoryState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(id): Path<SameFacilityPairId>,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    FormData::parse(&body)?;
    let outcome = state
        .directory_service
        .split_pair(&Actor::User(p.clone()), id, &rc, Timestamp::now())
        .await;
    after_decision(
        &state,
        &ctx,
        p,
        outcome,
        (
            "統合を解除し、2件の掲載に戻しました。",
            "Split: both entries are listed again.",
        ),
    )
    .await
}
