//! The user's own account: MFA status and personal API tokens.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use renkei_domain::{Timestamp, ValidationErrors};
use renkei_identity::{IdentityError, Principal, Scope};

use crate::IdentityState;
use renkei_web_kit::auth::{Ctx, CurrentUser, PageCtx};
use renkei_web_kit::page::{form_status, render};
use renkei_web_kit::FormData;
use renkei_web_kit::Layout;
use renkei_web_kit::WebError;

struct TokenRow {
    id: i64,
    name: String,
    prefix: String,
    scopes: String,
    created: String,
    expires: String,
    last_used: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "identity/account.html")]
struct AccountPage {
    l: Layout,
    p: Principal,
    recovery_left: i64,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    errors: ValidationErrors,
}

async fn page(
    state: &IdentityState,
    ctx: &PageCtx,
    p: Principal,
    new_token: Option<String>,
    errors: ValidationErrors,
    flash: Option<&'static str>,
) -> Result<Response, WebError> {
    let now = Timestamp::now();
    let tokens = state
        .identity
        .list_api_tokens(&p)
        .await?
        .into_iter()
        .map(|tk| TokenRow {
            id: tk.id,
            active: tk.is_active(now),
            name: tk.name,
            prefix: tk.prefix,
            scopes: tk.scopes,
            created: Timestamp(tk.created_at).to_jst_display(),
            expires: Timestamp(tk.expires_at).to_jst_display(),
            last_used: tk
                .last_used_at
                .map(|at| Timestamp(at).to_jst_display())
                .unwrap_or_else(|| "—".into()),
        })
        .collect();
    let recovery_left = state.identity.unused_recovery_codes(&p).await?;
    let status = form_status(&errors);
    let mut l = Layout::new(ctx, ctx.lang.tr("アカウント", "Account"));
    if let Some(msg) = flash {
        l = l.with_flash("success", msg);
    }
    render(
        &AccountPage {
            l,
            p,
            recovery_left,
            tokens,
            new_token,
            errors,
        },
        status,
    )
}

#[derive(serde::Deserialize, Default)]
pub struct Revoked {
    #[serde(default)]
    revoked: Option<String>,
}

pub async fn show(
    State(state): State<IdentityState>,
    ctx: PageCtx,
    CurrentUser(p): CurrentUser,
    axum::extract::Query(q): axum::extract::Query<Revoked>,
) -> Result<Response, WebError> {
    let flash = q
        .revoked
        .map(|_| ctx.lang.tr("トークンを無効にしました。", "Token revoked."));
    page(&state, &ctx, p, None, ValidationErrors::new(), flash).await
}

pub async fn create_token(
    State(state): State<IdentityState>,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    CurrentUser(p): CurrentUser,
    form: FormData,
) -> Result<Response, WebError> {
    let scopes: Vec<Scope> = form
        .all("scope")
        .iter()
        .flat_map(|s| Scope::parse_list(s))
        .collect();
    let days: i64 = form.get("days").trim().parse().unwrap_or(0);
    match state
        .identity
        .create_api_token(&p, form.get("name"), &scopes, days, &rc)
        .await
    {
        Ok((_, secret)) => page(&state, &ctx, p, Some(secret), ValidationErrors::new(), None).await,
        Err(IdentityError::Validation(v)) => page(&state, &ctx, p, None, v, None).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_token(
    State(state): State<IdentityState>,
    Ctx(rc): Ctx,
    CurrentUser(p): CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    state.identity.revoke_api_token(&p, id, &rc).await?;
    Ok(Redirect::to("/account?revoked=1").into_response())
}
