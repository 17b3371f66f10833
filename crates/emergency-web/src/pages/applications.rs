//! A resident's own application (住民からの申し込み): the public form
//! (`/emergency/apply?region=…`, no sign-in) and the desk's list to accept
//! or decline.

use super::*;
use renkei_domain::ApplicationId;
use renkei_emergency::model::Application;

#[derive(Deserialize, Default)]
pub struct RegionQuery {
    #[serde(default)]
    pub region: String,
}

/// The region a public form names, with its municipalities; unknown: 404.
async fn region_of(
    state: &EmergencyState,
    code: &str,
) -> Result<(renkei_domain::RegionId, Vec<(String, String)>), WebError> {
    let region = state
        .identity
        .region_by_code(code.trim())
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?
        .ok_or(WebError::NotFound)?;
    let id = renkei_domain::RegionId(region.id);
    Ok((id, state.emergency.municipalities(id).await?))
}

pub async fn apply_form(
    State(state): State<EmergencyState>,
    ctx: PageCtx,
    Query(q): Query<RegionQuery>,
) -> Result<Response, WebError> {
    let (_, municipalities) = region_of(&state, &q.region).await?;
    form_page_for(
        &ctx,
        None,
        Some(q.region.trim().to_string()),
        RecordInput::default(),
        municipalities,
        ValidationErrors::new(),
    )
}

#[derive(Template)]
#[template(path = "emergency/applied.html")]
struct AppliedPage {
    l: Layout,
}

pub async fn apply(
    State(state): State<EmergencyState>,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    if !state
        .card_limiter
        .allow(&format!("apply {}", rc.source_addr), 10)
    {
        return Err(WebError::TooManyRequests(60));
    }
    let code = form.get("region").trim().to_string();
    let (region, municipalities) = region_of(&state, &code).await?;
    let input = input_of(&form);
    let result = state
        .emergency
        .apply(region, &rc, &input, Timestamp::now())
        .await;
    refuse_or(
        result,
        |_| match (AppliedPage {
            l: Layout::new(
                &ctx,
                ctx.lang
                    .tr("申し込みを受け付けました", "Application received"),
            ),
        })
        .render()
        {
            Ok(html) => axum::response::Html(html).into_response(),
            Err(e) => WebError::from(e).into_response(),
        },
        |errors| async {
            form_page_for(
                &ctx,
                None,
                Some(code.clone()),
                input.clone(),
                municipalities.clone(),
                errors,
            )
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "emergency/applications.html")]
struct ApplicationsPage {
    l: Layout,
    /// (application, sent at, devices in words).
    items: Vec<(Application, String, String)>,
}

pub async fn applications(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
) -> Result<Response, WebError> {
    let items = state
        .emergency
        .applications(&p, &rc)
        .await?
        .into_iter()
        .map(|a| {
            let devices = a
                .input
                .devices
                .iter()
                .filter_map(|c| Device::from_code(c))
                .map(|d| d.label(ctx.lang.code()))
                .collect::<Vec<_>>()
                .join("、");
            let at = when(Some(a.submitted_at));
            (a, at, devices)
        })
        .collect();
    ok(&ApplicationsPage {
        l: Layout::new(
            &ctx,
            ctx.lang.tr("住民からの申し込み", "Residents' applications"),
        ),
        items,
    })
}

pub async fn accept_application(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<ApplicationId>,
) -> Result<Response, WebError> {
    let record = state
        .emergency
        .accept_application(&p, &rc, id, Timestamp::now())
        .await?;
    Ok(Redirect::to(&format!("/emergency/records/{record}")).into_response())
}

pub async fn decline_application(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    Ctx(rc): Ctx,
    Path(id): Path<ApplicationId>,
) -> Result<Response, WebError> {
    state
        .emergency
        .decline_application(&p, &rc, id, Timestamp::now())
        .await?;
    Ok(Redirect::to("/emergency/applications").into_response())
}
