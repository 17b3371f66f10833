//! The web layer of Renkei: router assembly, the page layout, authentication
//! and CSRF middleware, security headers, metrics, error pages and the JSON
//! API base. Handlers call capability services; they never run SQL.

pub mod api;
mod auth;
mod directory;
mod error;
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
    /// Longest time a request may take.
    pub request_timeout: Duration,
    /// Take the client address from `X-Forwarded-For` (behind a reverse proxy).
    pub trust_proxy: bool,
    /// (role label, user name, password) of the demo accounts, shown on the
    /// login page under `--demo` only.
    pub demo_logins: Vec<(String, String, String)>,
    /// Public directory searches allowed per source address per minute.
    pub public_search_per_minute: u32,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            demo: false,
            cookie_secure: true,
            hsts: false,
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            trust_proxy: false,
            demo_logins: Vec::new(),
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
    pub public_limiter: directory::RateLimiter,
}

impl AppState {
    pub fn new(identity: Identity, config: WebConfig) -> Self {
        Self(Arc::new(Inner {
            identity,
            config,
            metrics: metrics::Metrics::new(),
            directory: renkei_directory::live::LiveIndex::empty(),
            public_limiter: directory::RateLimiter::default(),
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
