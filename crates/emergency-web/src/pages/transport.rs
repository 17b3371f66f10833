//! Back from EMS: the transport form an EMS user reaches from a card's
//! sheet (`/e/{token}/transport`, signed in), to record where the
//! ambulance took the resident. No script: the hospital is found with a
//! plain search form, then chosen from a list.

use super::*;
use renkei_emergency::model::{Transport, TransportInput};

#[derive(Template)]
#[template(path = "emergency/transport.html")]
struct TransportPage {
    l: Layout,
    token: String,
    name: String,
    q: String,
    hospitals: Vec<(i64, String, String)>,
    input: TransportInput,
    /// Reports already made: when, hospital, reason.
    done: Vec<Transport>,
    recorded: bool,
    errors: ValidationErrors,
}

#[derive(Deserialize, Default)]
pub struct TransportQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub recorded: Option<String>,
}

/// The hospitals to choose from: those matching the search, or the first
/// of the directory.
fn hospitals(state: &EmergencyState, q: &str) -> Vec<(i64, String, String)> {
    state
        .emergency
        .find_hospitals(q, 30)
        .into_iter()
        .map(|(id, name, address)| (id.0, name, address))
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn transport_page(
    state: &EmergencyState,
    p: &Principal,
    rc: &renkei_identity::RequestContext,
    ctx: &PageCtx,
    token: String,
    q: String,
    input: TransportInput,
    recorded: bool,
    errors: ValidationErrors,
) -> Result<Response, WebError> {
    let (name, done) = state.emergency.transport_form(p, rc, &token).await?;
    let status = form_status(&errors);
    let page = TransportPage {
        l: Layout::new(ctx, ctx.lang.tr("搬送の記録", "Transport report")),
        hospitals: hospitals(state, &q),
        token,
        name,
        q,
        input,
        done,
        recorded,
        errors,
    };
    let mut r = render(&page, status)?;
    // The crew's page names the resident: not cached, no referrer.
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(r)
}

pub async fn transport_form(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(token): Path<String>,
    Query(q): Query<TransportQuery>,
) -> Result<Response, WebError> {
    let input = TransportInput {
        transported_at: Timestamp::now().to_jst_display().replace(' ', "T"),
        ..TransportInput::default()
    };
    transport_page(
        &state,
        &p,
        &rc,
        &ctx,
        token,
        q.q,
        input,
        q.recorded.is_some(),
        ValidationErrors::new(),
    )
    .await
}

pub async fn record_transport(
    State(state): State<EmergencyState>,
    CurrentUser(p): CurrentUser,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    Path(token): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    if !state
        .transport_limiter
        .allow(&p.user_id.to_string(), crate::TRANSPORTS_PER_MINUTE)
    {
        return Err(WebError::TooManyRequests(60));
    }
    let input = TransportInput {
        hospital_entry_id: form.get("hospital_entry_id").trim().parse().unwrap_or(0),
        transported_at: form.get("transported_at").to_string(),
        reason: form.get("reason").to_string(),
    };
    let result = state
        .emergency
        .record_transport(&p, &rc, &token, &input, Timestamp::now())
        .await;
    refuse_or(
        result,
        |_| Redirect::to(&format!("/e/{token}/transport?recorded=1")).into_response(),
        |errors| async {
            transport_page(
                &state,
                &p,
                &rc,
                &ctx,
                token.clone(),
                String::new(),
                input.clone(),
                false,
                errors,
            )
            .await
        },
    )
    .await
}
