//! Login, two-factor authentication, logout and the language switch.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use renkei_identity::service_types::NextStep;
use renkei_identity::service_types::SessionState;
use renkei_identity::{Credential, IdentityError};
use serde::Deserialize;

use crate::IdentityState;
use renkei_web_kit::auth::{set_cookie, AuthState, Ctx, PageCtx, LANG_COOKIE, SESSION_COOKIE};
use renkei_web_kit::page::{ok, render};
use renkei_web_kit::FormData;
use renkei_web_kit::Layout;
use renkei_web_kit::WebError;

#[derive(Template)]
#[template(path = "identity/login.html")]
struct LoginPage<'a> {
    l: Layout,
    error: Option<&'static str>,
    info: Option<&'static str>,
    username: String,
    demo_logins: &'a [(String, String, String)],
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    expired: Option<String>,
    #[serde(default)]
    logged_out: Option<String>,
    /// Sent back from the code page after too many wrong codes.
    #[serde(default)]
    again: Option<String>,
}

pub async fn login_form(
    State(state): State<IdentityState>,
    ctx: PageCtx,
    Query(q): Query<LoginQuery>,
) -> Result<Response, WebError> {
    if matches!(ctx.auth, AuthState::Active(_)) {
        return Ok(Redirect::to("/").into_response());
    }
    let expired = q.expired.is_some() || matches!(ctx.auth, AuthState::Anonymous { expired: true });
    let info = if q.again.is_some() {
        Some(ctx.lang.tr(
            "確認コードの誤りが続いたため、この手続きを終了しました。パスワードからやり直してください。誤りが続いたアカウントは、しばらくの間ログインできません。",
            "Too many wrong codes: this sign-in has ended. Start again from the password. An account with repeated failures cannot sign in for a while.",
        ))
    } else if q.logged_out.is_some() {
        Some(ctx.lang.tr("ログアウトしました。", "You have logged out."))
    } else if expired {
        Some(ctx.lang.tr(
            "一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。",
            "Your session ended. Please log in again.",
        ))
    } else {
        None
    };
    ok(&LoginPage {
        l: Layout::new(&ctx, ctx.lang.tr("ログイン", "Log in")),
        error: None,
        info,
        username: String::new(),
        demo_logins: &state.config.demo_logins,
    })
}

pub async fn login(
    State(state): State<IdentityState>,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    let username = form.get("username").to_string();
    match state
        .identity
        .login(&username, form.get("password"), &rc)
        .await
    {
        Ok(result) => {
            let to = match result.next {
                NextStep::Home => "/",
                NextStep::Mfa => "/mfa",
                NextStep::Enrol => "/mfa/enrol",
            };
            let mut r = Redirect::to(to).into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    SESSION_COOKIE,
                    &result.session_token,
                    state.config.cookie_secure,
                    None,
                ),
            );
            Ok(r)
        }
        Err(e) => {
            let (status, message) = match e {
                IdentityError::BadCredentials => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ctx.lang.tr(
                        "ユーザー名またはパスワードが正しくありません。失敗が続いたアカウントは、しばらくの間（最初は15分）ログインできません。",
                        "The user name or password is wrong. An account with repeated failures cannot sign in for a while (15 minutes at first).",
                    ),
                ),
                IdentityError::Disabled => (
                    StatusCode::FORBIDDEN,
                    ctx.lang.tr(
                        "このアカウントは利用停止されています。所属の管理者にお問い合わせください。",
                        "This account is disabled. Contact your administrator.",
                    ),
                ),
                IdentityError::Throttled { .. } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    ctx.lang.tr(
                        "この端末からのログイン失敗が多すぎます。15分ほど待ってからもう一度お試しください。",
                        "Too many failed logins from this device. Wait about 15 minutes and try again.",
                    ),
                ),
                other => return Err(other.into()),
            };
            render(
                &LoginPage {
                    l: Layout::new(&ctx, ctx.lang.tr("ログイン", "Log in")),
                    error: Some(message),
                    info: None,
                    username,
                    demo_logins: &state.config.demo_logins,
                },
                status,
            )
        }
    }
}

pub async fn logout(
    State(state): State<IdentityState>,
    ctx: PageCtx,
    Ctx(rc): Ctx,
) -> Result<Response, WebError> {
    if let Some(token) = &ctx.session_token {
        state.identity.logout(token, &rc).await?;
    }
    let mut r = Redirect::to("/login?logged_out=1").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", state.config.cookie_secure, Some(0)),
    );
    Ok(r)
}

/// A response that also sets the session cookie (a new session after the
/// second factor).
fn with_session_cookie(state: &IdentityState, r: impl IntoResponse, token: &str) -> Response {
    let mut r = r.into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, token, state.config.cookie_secure, None),
    );
    r
}

#[derive(Template)]
#[template(path = "identity/mfa.html")]
struct MfaPage {
    l: Layout,
    error: Option<&'static str>,
    demo_code: Option<String>,
}

/// Where someone who is not half-way through logging in belongs.
fn misplaced(ctx: &PageCtx, want_enrol: bool) -> Option<Response> {
    match &ctx.auth {
        AuthState::Active(_) => Some(Redirect::to("/").into_response()),
        AuthState::Anonymous { .. } => Some(Redirect::to("/login").into_response()),
        AuthState::Pending { enrol, .. } if *enrol != want_enrol => {
            Some(Redirect::to(if *enrol { "/mfa/enrol" } else { "/mfa" }).into_response())
        }
        AuthState::Pending { .. } => None,
    }
}

async fn mfa_page(
    state: &IdentityState,
    ctx: &PageCtx,
    error: Option<&'static str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let demo_code = match &ctx.auth {
        AuthState::Pending { user, .. } if user.is_demo => {
            state.identity.demo_totp_code(user.id).await?
        }
        _ => None,
    };
    render(
        &MfaPage {
            l: Layout::new(
                ctx,
                ctx.lang
                    .tr("確認コードの入力", "Enter your verification code"),
            ),
            error,
            demo_code,
        },
        status,
    )
}

pub async fn mfa_form(
    State(state): State<IdentityState>,
    ctx: PageCtx,
) -> Result<Response, WebError> {
    if let Some(r) = misplaced(&ctx, false) {
        return Ok(r);
    }
    mfa_page(&state, &ctx, None, StatusCode::OK).await
}

pub async fn mfa_verify(
    State(state): State<IdentityState>,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    if let Some(r) = misplaced(&ctx, false) {
        return Ok(r);
    }
    let token = ctx.session_token.clone().unwrap_or_default();
    match state
        .identity
        .verify_mfa(&token, form.get("code"), &rc)
        .await
    {
        Ok(new_token) => Ok(with_session_cookie(&state, Redirect::to("/"), &new_token)),
        Err(IdentityError::BadCode) => {
            mfa_page(
                &state,
                &ctx,
                Some(bad_code(ctx.lang)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(IdentityError::Locked) => Ok(Redirect::to("/login?again=1").into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "identity/mfa_enrol.html")]
struct EnrolPage {
    l: Layout,
    error: Option<&'static str>,
    qr_svg: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "identity/recovery_codes.html")]
struct RecoveryPage {
    l: Layout,
    codes: Vec<String>,
}

async fn enrol_page(
    state: &IdentityState,
    ctx: &PageCtx,
    error: Option<&'static str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let token = ctx.session_token.clone().unwrap_or_default();
    let enrolment = state.identity.begin_enrolment(&token).await?;
    render(
        &EnrolPage {
            l: Layout::new(
                ctx,
                ctx.lang
                    .tr("二要素認証の設定", "Set up two-factor authentication"),
            ),
            error,
            qr_svg: enrolment.qr_svg,
            secret: enrolment.secret,
        },
        status,
    )
}

pub async fn enrol_form(
    State(state): State<IdentityState>,
    ctx: PageCtx,
) -> Result<Response, WebError> {
    if let Some(r) = misplaced(&ctx, true) {
        return Ok(r);
    }
    enrol_page(&state, &ctx, None, StatusCode::OK).await
}

pub async fn enrol_confirm(
    State(state): State<IdentityState>,
    ctx: PageCtx,
    Ctx(rc): Ctx,
    form: FormData,
) -> Result<Response, WebError> {
    if let Some(r) = misplaced(&ctx, true) {
        return Ok(r);
    }
    let token = ctx.session_token.clone().unwrap_or_default();
    match state
        .identity
        .confirm_enrolment(&token, form.get("code"), &rc)
        .await
    {
        Ok((new_token, codes)) => {
            // The page is drawn for the new session (its CSRF token).
            let mut page_ctx = ctx.clone();
            if let Some(SessionState::Active(p)) = state.identity.session(&new_token).await? {
                if let Credential::Session { csrf_token } = &p.credential {
                    page_ctx.csrf = csrf_token.clone();
                }
                page_ctx.auth = AuthState::Active(p);
            }
            let page = ok(&RecoveryPage {
                l: Layout::new(&page_ctx, ctx.lang.tr("回復コード", "Recovery codes")),
                codes,
            })?;
            Ok(with_session_cookie(&state, page, &new_token))
        }
        Err(IdentityError::BadCode) => {
            enrol_page(
                &state,
                &ctx,
                Some(bad_code(ctx.lang)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(IdentityError::Locked) => Ok(Redirect::to("/login?again=1").into_response()),
        Err(e) => Err(e.into()),
    }
}

/// Switches the UI language and returns to the page the user was on.
pub async fn switch_language(
    State(state): State<IdentityState>,
    form: FormData,
) -> Result<Response, WebError> {
    let lang = renkei_web_kit::i18n::Lang::from_code(form.get("lang"))
        .ok_or_else(|| WebError::BadRequest("lang must be ja or en".into()))?;
    // Only paths on this site, so the switch cannot be used as an open redirect.
    let back = same_site_path(form.get("back"));
    let mut r = Redirect::to(back).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LANG_COOKIE,
            lang.code(),
            state.config.cookie_secure,
            Some(365 * 86_400),
        ),
    );
    Ok(r)
}

/// `back` if it is a path on this site, else `/`: it must start with one
/// `/`, and hold no backslash, space or control character (a tab, CR or LF
/// would otherwise reach the `Location` header, or be dropped by browsers
/// so that `/<tab>/evil` becomes `//evil`, another site).
fn same_site_path(back: &str) -> &str {
    let ok = back.starts_with('/')
        && !back.starts_with("//")
        && !back.contains('\\')
        && !back.chars().any(|c| c.is_control() || c.is_whitespace());
    if ok {
        back
    } else {
        "/"
    }
}

/// What a wrong or reused second-factor code is answered with (the sign-in
/// page and the enrolment page say the same).
fn bad_code(lang: renkei_web_kit::i18n::Lang) -> &'static str {
    lang.tr(
        "確認コードが正しくないか、既に使われています。新しいコードを入力してください。",
        "The code is wrong or was already used. Enter a new code.",
    )
}

#[cfg(test)]
mod tests {
    use super::same_site_path;

    #[test]
    fn only_same_site_paths_come_back() {
        assert_eq!(same_site_path("/patients?x=1"), "/patients?x=1");
        for bad in [
            "//evil.example",
            "/\t/evil",
            "\t//evil",
            "/\\evil",
            "/a\r\nSet-Cookie: x=1",
            "https://evil",
            "",
            "/ /x",
        ] {
            assert_eq!(same_site_path(bad), "/", "{bad:?}");
        }
    }
}
