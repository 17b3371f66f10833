//! Who is asking: the authentication and CSRF middleware, and the extractors
//! handlers use ([`CurrentUser`], [`PageCtx`], [`Ctx`]).
//!
//! Every request passes through [`authenticate`], which resolves the session
//! cookie or bearer token once, checks the CSRF token of every state-changing
//! request, and leaves the result in the request's extensions. A handler that
//! takes [`CurrentUser`] cannot run for anyone who is not fully signed in.

use std::net::SocketAddr;

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use rand::RngCore;
use renkei_identity::service_types::SessionState;
use renkei_identity::{Credential, Principal, RequestContext, UserSummary};

use crate::capability::NavEntry;
use crate::error::is_api_path;
use crate::form::FormData;
use crate::i18n::Lang;
use crate::{Kit, WebError};

pub const SESSION_COOKIE: &str = "renkei_session";
pub const CSRF_COOKIE: &str = "renkei_csrf";
pub const LANG_COOKIE: &str = "renkei_lang";

/// The authentication state of a request.
#[derive(Debug, Clone)]
pub enum AuthState {
    Anonymous {
        /// A session cookie was sent but has ended (time-out or logout).
        expired: bool,
    },
    /// Password given, second factor due.
    Pending {
        user: UserSummary,
        enrol: bool,
    },
    Active(Principal),
}

/// Everything a page needs to draw the layout.
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub lang: Lang,
    pub csrf: String,
    pub auth: AuthState,
    pub demo: bool,
    pub path: String,
    /// The raw session cookie, for logout and MFA steps.
    pub session_token: Option<String>,
    /// The main menu of every registered capability (filtered per user by
    /// the layout).
    pub nav: std::sync::Arc<[NavEntry]>,
    /// Every capability's lines for a care patient's page.
    pub patient_items: crate::capability::PatientItemProviders,
}

impl PageCtx {
    pub fn anonymous(lang: Lang) -> Self {
        Self {
            lang,
            csrf: String::new(),
            auth: AuthState::Anonymous { expired: false },
            demo: false,
            path: String::new(),
            session_token: None,
            nav: std::sync::Arc::from(Vec::new()),
            patient_items: Default::default(),
        }
    }

    pub fn principal(&self) -> Option<&Principal> {
        match &self.auth {
            AuthState::Active(p) => Some(p),
            _ => None,
        }
    }
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

pub fn lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(Lang::from_code)
        .unwrap_or_default()
}

/// A `Set-Cookie` value with the attributes Renkei always uses.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

fn random_csrf() -> String {
    let mut buf = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut buf);
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The client's address as the trusted proxies saw it.
///
/// Each proxy appends the address it received the request from, so only
/// the right-most `hops` entries were written by proxies we trust; anything
/// further left was sent by the client and is ignored. With one proxy
/// (`hops = 1`) that is the right-most entry. Only the one header the
/// proxies write is read (`proxy_header`): a proxy that appends to
/// `X-Forwarded-For` passes a client's own `Forwarded` through untouched,
/// and the other way round. `None` when the header holds fewer entries than
/// there are proxies, or no usable address, so the caller falls back to the
/// TCP peer.
pub fn forwarded_client(
    headers: &HeaderMap,
    header: crate::ProxyHeader,
    hops: usize,
) -> Option<std::net::IpAddr> {
    let values = headers.get_all(match header {
        crate::ProxyHeader::XForwardedFor => "x-forwarded-for",
        crate::ProxyHeader::Forwarded => "forwarded",
    });
    let elements = values
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','));
    let list: Vec<String> = match header {
        crate::ProxyHeader::XForwardedFor => elements
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        crate::ProxyHeader::Forwarded => elements
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (k, v) = pair.trim().split_once('=')?;
                    k.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| v.trim().trim_matches('"').to_string())
                })
            })
            .collect(),
    };
    let hops = hops.max(1);
    let chosen = list.len().checked_sub(hops).map(|i| &list[i])?;
    parse_node(chosen)
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`,
/// `[2001:db8::1]:4711` or `2001:db8::1`.
fn parse_node(node: &str) -> Option<std::net::IpAddr> {
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    node.parse::<SocketAddr>().ok().map(|s| s.ip())
}

fn request_context(
    req: &Request,
    trust_proxy: bool,
    header: crate::ProxyHeader,
    hops: usize,
) -> RequestContext {
    let forwarded = trust_proxy
        .then(|| forwarded_client(req.headers(), header, hops))
        .flatten()
        .map(|ip| ip.to_string());
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    RequestContext {
        source_addr: forwarded.or(peer).unwrap_or_else(|| "unknown".into()),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
    }
}

/// Resolves the caller and enforces CSRF on state-changing requests.
pub async fn authenticate(State(state): State<Kit>, request: Request, next: Next) -> Response {
    match authenticate_inner(state, request, next).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn authenticate_inner(
    state: Kit,
    mut request: Request,
    next: Next,
) -> Result<Response, WebError> {
    let path = request.uri().path().to_string();
    let api = is_api_path(&path);
    let lang = lang_of(request.headers());
    let ctx = request_context(
        &request,
        state.config.trust_proxy,
        state.config.proxy_header,
        state.config.trusted_proxy_hops,
    );

    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|s| s.trim().to_string());
    let session_token = cookie(request.headers(), SESSION_COOKIE).map(str::to_string);

    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let mut session_csrf = None;
    let mut clear_session_cookie = false;
    let auth = if let Some(token) = bearer.filter(|_| api) {
        match state.identity.authenticate_token(&token).await? {
            Some(p) => AuthState::Active(p),
            None => return Err(WebError::Unauthenticated),
        }
    } else if let Some(token) = &session_token {
        match state.identity.session(token).await? {
            Some(SessionState::Active(p)) => {
                if let Credential::Session { csrf_token } = &p.credential {
                    session_csrf = Some(csrf_token.clone());
                }
                AuthState::Active(p)
            }
            Some(SessionState::NeedsMfa { user, csrf_token }) => {
                session_csrf = Some(csrf_token);
                AuthState::Pending { user, enrol: false }
            }
            Some(SessionState::NeedsEnrolment { user, csrf_token }) => {
                session_csrf = Some(csrf_token);
                AuthState::Pending { user, enrol: true }
            }
            None => {
                clear_session_cookie = true;
                AuthState::Anonymous { expired: true }
            }
        }
    } else {
        AuthState::Anonymous { expired: false }
    };

    // The token forms must carry: the session's, or for anonymous visitors
    // (the login form) a random value also held in a cookie.
    let anon_cookie = cookie(request.headers(), CSRF_COOKIE).map(str::to_string);
    let mut new_anon_cookie = None;
    let expected_csrf = match (&session_csrf, &anon_cookie) {
        (Some(s), _) => s.clone(),
        (None, Some(c)) => c.clone(),
        (None, None) => {
            let fresh = random_csrf();
            new_anon_cookie = Some(fresh.clone());
            fresh
        }
    };

    let via_token = matches!(&auth, AuthState::Active(p) if matches!(p.credential, Credential::ApiToken { .. }));
    // Scopes are enforced here, once, for every route: a token without the
    // write scope can change nothing, whatever the handler checks.
    if let AuthState::Active(p) = &auth {
        if unsafe_method && !p.may_write() {
            tracing::warn!(path = %crate::loggable_path(&path), "API token without the write scope");
            return Err(WebError::InsufficientScope);
        }
    }
    if unsafe_method && !via_token {
        let header_token = request
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let sent = if api {
            header_token
        } else {
            let is_form = request
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.starts_with("application/x-www-form-urlencoded"))
                .unwrap_or(false);
            let is_multipart = request
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("multipart/form-data"));
            if is_multipart {
                // Upload forms carry the token in their action URL: the
                // body is a stream of files this middleware does not buffer.
                request
                    .uri()
                    .query()
                    .and_then(|q| {
                        url::form_urlencoded::parse(q.as_bytes())
                            .find(|(k, _)| k == "csrf")
                            .map(|(_, v)| v.into_owned())
                    })
                    .or(header_token)
            } else if is_form {
                let (parts, body) = request.into_parts();
                let bytes = to_bytes(body, state.config.max_body_bytes)
                    .await
                    .map_err(|_| WebError::PayloadTooLarge)?;
                let field = FormData::parse(&bytes)
                    .ok()
                    .map(|f| f.get("csrf").to_string());
                request = Request::from_parts(parts, Body::from(bytes));
                field.filter(|f| !f.is_empty()).or(header_token)
            } else {
                header_token
            }
        };
        let anonymous_api = api && matches!(auth, AuthState::Anonymous { .. });
        if !anonymous_api {
            match sent {
                Some(s) if constant_time_eq(&s, &expected_csrf) => {}
                _ => {
                    tracing::warn!(path = %crate::loggable_path(&path), "CSRF token missing or wrong");
                    return Err(WebError::Csrf);
                }
            }
        }
    }

    let page_ctx = PageCtx {
        lang,
        csrf: expected_csrf,
        auth: auth.clone(),
        demo: state.config.demo,
        path: path.clone(),
        session_token,
        nav: state.nav.clone(),
        patient_items: state.patient_items.clone(),
    };
    request.extensions_mut().insert(ctx);
    request.extensions_mut().insert(page_ctx.clone());

    let mut response = next.run(request).await;
    let is_error_page = response
        .extensions()
        .get::<crate::error::ErrorInfo>()
        .is_some()
        && !api;
    // The error renderer runs outside this middleware; hand it the context.
    response.extensions_mut().insert(page_ctx);
    let secure = state.config.cookie_secure;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
        || is_error_page;
    if let Some(fresh) = new_anon_cookie.filter(|_| is_html) {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, &fresh, secure, None),
        );
    }
    if clear_session_cookie && !response.headers().contains_key(header::SET_COOKIE) {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(SESSION_COOKIE, "", secure, Some(0)),
        );
    }
    Ok(response)
}

/// The signed-in user. Anyone else is sent to the right step of logging in
/// (pages) or answered 401 (API).
pub struct CurrentUser(pub Principal);

/// Why [`CurrentUser`] refused.
pub enum NotSignedIn {
    Redirect(&'static str),
    Api,
}

impl IntoResponse for NotSignedIn {
    fn into_response(self) -> Response {
        match self {
            NotSignedIn::Redirect(to) => Redirect::to(to).into_response(),
            NotSignedIn::Api => WebError::Unauthenticated.into_response(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = NotSignedIn;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let api = is_api_path(parts.uri.path());
        match parts.extensions.get::<PageCtx>().map(|c| &c.auth) {
            Some(AuthState::Active(p)) => Ok(CurrentUser(p.clone())),
            _ if api => Err(NotSignedIn::Api),
            Some(AuthState::Pending { enrol: true, .. }) => {
                Err(NotSignedIn::Redirect("/mfa/enrol"))
            }
            Some(AuthState::Pending { enrol: false, .. }) => Err(NotSignedIn::Redirect("/mfa")),
            Some(AuthState::Anonymous { expired: true }) => {
                Err(NotSignedIn::Redirect("/login?expired=1"))
            }
            _ => Err(NotSignedIn::Redirect("/login")),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageCtx {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<PageCtx>()
            .cloned()
            .ok_or_else(|| WebError::Internal("authenticate middleware missing".into()))
    }
}

/// The request's source address and user agent, for the audit trail.
pub struct Ctx(pub RequestContext);

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Ctx(parts
            .extensions
            .get::<RequestContext>()
            .cloned()
            .unwrap_or_default()))
    }
}

#[cfg(test)]
mod forwarded_tests {
    use super::*;
    use crate::ProxyHeader::{Forwarded, XForwardedFor};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn a_prepended_address_is_ignored() {
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.7")]);
        assert_eq!(
            forwarded_client(&h, XForwardedFor, 1),
            "203.0.113.7".parse().ok()
        );
        // Two proxies: the second appended the first one's address.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.0.0.2")]);
        assert_eq!(
            forwarded_client(&h, XForwardedFor, 2),
            "203.0.113.7".parse().ok()
        );
        // Several header lines count as one list.
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "203.0.113.7"),
        ]);
        assert_eq!(
            forwarded_client(&h, XForwardedFor, 1),
            "203.0.113.7".parse().ok()
        );
        // Fewer entries than proxies: nothing here is trusted.
        let h = headers(&[("x-forwarded-for", "6.6.6.6")]);
        assert_eq!(forwarded_client(&h, XForwardedFor, 2), None);
    }

    #[test]
    fn only_the_configured_header_is_read() {
        // The proxy appends to X-Forwarded-For and passes the client's own
        // Forwarded header through: it must not count.
        let h = headers(&[
            ("forwarded", "for=6.6.6.6"),
            ("x-forwarded-for", "203.0.113.7"),
        ]);
        assert_eq!(
            forwarded_client(&h, XForwardedFor, 1),
            "203.0.113.7".parse().ok()
        );
        let h = headers(&[
            (
                "forwarded",
                "for=6.6.6.6, for=\"[2001:db8::7]:4711\";proto=https",
            ),
            ("x-forwarded-for", "9.9.9.9"),
        ]);
        assert_eq!(
            forwarded_client(&h, Forwarded, 1),
            "2001:db8::7".parse().ok()
        );
        let h = headers(&[("forwarded", "for=192.0.2.60:8080;by=203.0.113.43")]);
        assert_eq!(
            forwarded_client(&h, Forwarded, 1),
            "192.0.2.60".parse().ok()
        );
    }

    #[test]
    fn garbage_falls_back_to_the_peer() {
        assert_eq!(
            forwarded_client(&headers(&[("x-forwarded-for", "x")]), XForwardedFor, 1),
            None
        );
        assert_eq!(forwarded_client(&HeaderMap::new(), XForwardedFor, 1), None);
    }
}
