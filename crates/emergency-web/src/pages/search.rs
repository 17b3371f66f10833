//! EMS search (救急隊による検索): the form an EMS user fills in when there
//! is no card (name, birth date, reason), the sheet it finds, and the
//! region administrator's agreements with neighbouring regions.

use super::*;
use renkei_domain::care::BreakGlassReason;
use renkei_emergency::model::EmsSearchInput;

#[derive(Template)]
#[template(path = "emergency/search.html")]
struct SearchPage {
    l: Layout,
    input: EmsSearchInput,
    reasons: Vec<(&'static str, &'static str)>,
    errors: ValidationErrors,
}

fn search_page(
    ctx: &PageCtx,
    input: EmsSearchInput,
    errors: ValidationErrors,
) -> Result<Response, WebError> {
    let lang = ctx.lang.code();
    let page = SearchPage {
        l: Layout::new(ctx, ctx.lang.tr("救急隊による検索", "EMS search")),
        input,
        reasons: BreakGlassReason::ALL
            .iter()
            .map(|r| (r.code(), r.label(lang)))
            .collect(),
        errors: errors.clone(),
    };
    render(&page, form_status(&errors))
}

pub async fn search_form(CurrentUser(p): CurrentUser, ctx: PageCtx) -> Result<Response, WebError> {
    if !Emergency::searches_by_name(&p) {
        return Err(WebError::Forbidden);
    }
    search_page(&ctx, EmsSearchInput::default(), ValidationErrors::new())
}

/// Searches; the sheet found is shown like a card's, not cached.
pub async fn search(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    let input = EmsSearchInput {
        name: form.get("name").to_string(),
        birth_date: form.get("birth_date").to_string(),
        address: form.get("address").to_string(),
        reason: form.get("reason").to_string(),
        explanation: form.get("explanation").to_string(),
    };
    let result = state
        .emergency
        .ems_search(&p, &rc, &input, Timestamp::now())
        .await;
    refuse_or(
        result,
        |s| sheet_response(s, String::new()),
        |errors| async { search_page(&ctx, input.clone(), errors) },
    )
    .await
}

#[derive(Template)]
#[template(path = "emergency/agreements.html")]
struct AgreementsPage {
    l: Layout,
    /// (id, region code and name, since).
    agreements: Vec<(i64, String, String)>,
}

pub async fn agreements(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
) -> Result<Response, WebError> {
    let list = state.emergency.agreements(&p).await?;
    let mut agreements = Vec::with_capacity(list.len());
    for (id, region, at) in list {
        let name = state
            .identity
            .region_by_id(region.0)
            .await
            .map_err(|e| WebError::Internal(e.to_string()))?
            .map(|r| format!("{}（{}）", r.name, r.code))
            .unwrap_or_else(|| region.to_string());
        agreements.push((id, name, when(Some(at))));
    }
    let page = AgreementsPage {
        l: Layout::new(
            &ctx,
            ctx.lang
                .tr("救急隊による検索の協定", "EMS search agreements"),
        ),
        agreements,
    };
    ok(&page)
}

pub async fn agree(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    if !Emergency::keeps_agreements(&p) {
        return Err(WebError::Forbidden);
    }
    let region = state
        .identity
        .region_by_code(form.get("region_code").trim())
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?
        .ok_or_else(|| {
            WebError::Validation({
                let mut e = ValidationErrors::new();
                e.add(
                    "region_code",
                    "unknown",
                    "圏域を一覧から選んでください。",
                    "Choose a region from the list.",
                );
                e
            })
        })?;
    state
        .emergency
        .agree(
            &p,
            &rc,
            renkei_domain::RegionId(region.id),
            Timestamp::now(),
        )
        .await?;
    Ok(Redirect::to("/emergency/agreements").into_response())
}

pub async fn end_agreement(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    state
        .emergency
        .end_agreement(&p, &rc, id, Timestamp::now())
        .await?;
    Ok(Redirect::to("/emergency/agreements").into_response())
}
