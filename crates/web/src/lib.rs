//! The web layer of Renkei: router assembly, the page layout, authentication
//! and CSRF middleware, security headers, metrics, error pages and the JSON
//! API base. Handlers call capability services; they never run SQL.

pub mod api;
mod auth;
mod care;
mod directory;
mod error;
mod fhir;
mod form;
pub mod i18n;
mod identity;
mod layout;
pub mod metrics;
mod routes;
mod security;
mod system;

use std::sync::Arc;
use std::time::Duration;

use renkei_identity::Identity;

pub use auth::{AuthState, CurrentUser, PageCtx};
pub use error::WebError;
pub use routes::{app, route_table, RouteSpec};

/// Web settings, from `renkei.toml` / `RENKEI_*`.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Running with `--demo`: every page is marked DEMO.
    pub demo: bool,
    /// Send cookies with `Secure` (on by default; browsers accept it on
    /// http://localhost, so turning it off is only for unusual set-ups).
    pub cookie_secure: bool,
    /// Send `Strict-Transport-Security` (when served over TLS).
    pub hsts: bool,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Largest `multipart/form-data` body (posts with attachments, consent
    /// forms); each file is also held to the care capability's limit.
    pub max_upload_bytes: usize,
    /// Longest time a request may take.
    pub request_timeout: Duration,
    /// Take the client address from `Forwarded` / `X-Forwarded-For` (behind
    /// a reverse proxy).
    pub trust_proxy: bool,
    /// The one header the reverse proxies append the client address to.
    pub proxy_header: ProxyHeader,
    /// How many reverse proxies in front of Renkei append to that header:
    /// the client address is the entry that many places from the right.
    pub trusted_proxy_hops: usize,
    /// (role label, user name, password) of the demo accounts, shown on the
    /// login page under `--demo` only.
    pub demo_logins: Vec<(String, String, String)>,
    /// Public directory searches allowed per source address per minute.
    pub public_search_per_minute: u32,
    /// Base map tiles (`{z}/{x}/{y}`): 地理院タイル 標準地図 by default.
    pub map_tile_url: String,
    /// Attribution shown on the map for the tiles.
    pub map_attribution: String,
}

/// Which header carries the client address behind reverse proxies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyHeader {
    /// `X-Forwarded-For` (nginx `$proxy_add_x_forwarded_for`, most proxies).
    XForwardedFor,
    /// `Forwarded` (RFC 7239), its `for=` parameters.
    Forwarded,
}

impl ProxyHeader {
    /// The setting's value: `x-forwarded-for` or `forwarded`.
    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Some(Self::XForwardedFor),
            "forwarded" => Some(Self::Forwarded),
            _ => None,
        }
    }
}

/// 地理院タイル（標準地図）.
pub const GSI_TILES: &str = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png";

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            demo: false,
            cookie_secure: true,
            hsts: false,
            max_body_bytes: 1024 * 1024,
            max_upload_bytes: 32 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            trust_proxy: false,
            proxy_header: ProxyHeader::XForwardedFor,
            trusted_proxy_hops: 1,
            demo_logins: Vec::new(),
            map_tile_url: GSI_TILES.into(),
            map_attribution:
                "<a href=\"https://maps.gsi.go.jp/development/ichiran.html\">地理院タイル</a>"
                    .into(),
            public_search_per_minute: 600,
        }
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub identity: Identity,
    pub config: WebConfig,
    pub metrics: metrics::Metrics,
    /// The directory search index, refreshed by the server's background task.
    pub directory: renkei_directory::live::LiveIndex,
    /// Edits, reviews and the confirmation campaign of the directory.
    pub directory_service: renkei_directory::service::Directory,
    pub public_limiter: directory::RateLimiter,
    /// Patients, teams, the timeline and the summary.
    pub care: renkei_care::Care,
    /// The Content-Security-Policy, which names the map tile server.
    pub csp: axum::http::HeaderValue,
}

impl AppState {
    /// A state that sends no e-mail (tests that do not look at mail).
    pub fn new(identity: Identity, config: WebConfig) -> Self {
        Self::with_mail(
            identity,
            config,
            Arc::new(renkei_mail::NoMailer),
            renkei_directory::service::DirectoryConfig::default(),
        )
    }

    pub fn with_mail(
        identity: Identity,
        config: WebConfig,
        mailer: Arc<dyn renkei_mail::Mailer>,
        directory_config: renkei_directory::service::DirectoryConfig,
    ) -> Self {
        let care_config = renkei_care::CareConfig {
            public_url: directory_config.public_url.clone(),
            ..renkei_care::CareConfig::default()
        };
        Self::with_services(identity, config, mailer, directory_config, care_config)
    }

    /// Every service with its own settings (the server).
    pub fn with_services(
        identity: Identity,
        config: WebConfig,
        mailer: Arc<dyn renkei_mail::Mailer>,
        directory_config: renkei_directory::service::DirectoryConfig,
        care_config: renkei_care::CareConfig,
    ) -> Self {
        let care = renkei_care::Care::new(identity.db().clone(), mailer.clone(), care_config);
        let live = renkei_directory::live::LiveIndex::empty();
        let directory_service = renkei_directory::service::Directory::new(
            identity.db().clone(),
            live.clone(),
            mailer,
            directory_config,
        );
        let csp = security::content_security_policy(&config.map_tile_url);
        Self(Arc::new(Inner {
            identity,
            config,
            metrics: metrics::Metrics::new(),
            directory: live,
            directory_service,
            public_limiter: directory::RateLimiter::default(),
            care,
            csp,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
