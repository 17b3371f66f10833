//! The assembly: the one place that knows which capabilities Renkei has.
//!
//! [`capabilities`] builds each capability's declaration from its services
//! (one line per capability); [`assemble`] merges their routes, menu,
//! OpenAPI fragments, FHIR resources, home items, readiness checks and jobs,
//! and wraps everything in the middleware every request passes through
//! (request ids, tracing, metrics, security headers, error pages, time-out,
//! body limits, authentication and CSRF). Handlers live in the capabilities'
//! web crates and never run SQL.

// The edge: handlers read the clock and pass the moment down to the
// services (clippy.toml forbids reading it below the edge).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod home;
pub mod metrics;
mod openapi;
mod routes;
mod security;
mod system;

use std::sync::Arc;

use renkei_identity::Identity;
use renkei_web_kit::Capability;

pub use renkei_web_kit::routes::{audience, MatrixRow, Persona, RowOrder};
pub use renkei_web_kit::{
    i18n, Job, ProxyHeader, RouteSpec, Synthetic, WebConfig, WebError, GSI_TILES,
};
pub use renkei_web_kit::{AuthState, CurrentUser, PageCtx};
pub use routes::{app, assemble, Assembly};

/// Every capability's services, built once by the server (or a test).
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub identity: Identity,
    pub config: WebConfig,
    pub metrics: metrics::Metrics,
    /// The directory search index, refreshed by the directory's job.
    pub directory: renkei_directory::live::LiveIndex,
    /// Edits, reviews and the confirmation campaign of the directory.
    pub directory_service: renkei_directory::service::Directory,
    /// Patients, teams, the timeline and the summary.
    pub care: renkei_care::Care,
    /// Admissions, discharges, handoff forms and regional rules.
    pub transitions: renkei_transitions::Transitions,
    /// Emergency information, its freshness and the cards' links.
    pub emergency: renkei_emergency::Emergency,
    /// The Content-Security-Policy, which names the map tile server.
    pub csp: axum::http::HeaderValue,
}

/// Every registered capability, in menu and demo-data order. Adding a
/// capability is one line here (and its services in [`AppState`]).
pub fn capabilities(state: &AppState) -> Vec<Capability> {
    let (identity, config) = (&state.identity, &state.config);
    vec![
        renkei_identity_web::capability(renkei_identity_web::IdentityState::new(
            identity.clone(),
            config.clone(),
        )),
        renkei_directory_web::capability(renkei_directory_web::DirectoryState::new(
            identity.clone(),
            config.clone(),
            state.directory.clone(),
            state.directory_service.clone(),
        )),
        renkei_care_web::capability(renkei_care_web::CareState::new(
            identity.clone(),
            config.clone(),
            state.care.clone(),
            state.directory_service.clone(),
        )),
        renkei_transitions_web::capability(renkei_transitions_web::TransitionsState::new(
            identity.clone(),
            config.clone(),
            state.transitions.clone(),
        )),
        renkei_emergency_web::capability(renkei_emergency_web::EmergencyState::new(
            identity.clone(),
            config.clone(),
            state.emergency.clone(),
        )),
    ]
}

/// Every capability's own settings (its section of `renkei.toml` and its
/// `RENKEI_*` variables), one field per capability that has any. The binary
/// builds it in one place (`Config::capability_settings`), so a new
/// capability's settings are a field here and a section there.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub directory: renkei_directory::service::DirectoryConfig,
    pub care: renkei_care::CareConfig,
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
        let settings = Settings {
            directory: directory_config,
            care: care_config,
        };
        Self::with_services(identity, config, mailer, settings)
    }

    /// Every service with its own settings (the server).
    pub fn with_services(
        identity: Identity,
        config: WebConfig,
        mailer: Arc<dyn renkei_mail::Mailer>,
        settings: Settings,
    ) -> Self {
        let Settings {
            directory: directory_config,
            care: care_config,
        } = settings;
        let public_url = care_config.public_url.clone();
        let care = renkei_care::Care::new(identity.db().clone(), mailer.clone(), care_config);
        let live = renkei_directory::live::LiveIndex::new(directory_config.index_snapshot.clone());
        let directory_service = renkei_directory::service::Directory::new(
            identity.db().clone(),
            live.clone(),
            mailer.clone(),
            directory_config,
        );
        let transitions = renkei_transitions::Transitions::new(
            identity.db().clone(),
            care.clone(),
            directory_service.clone(),
        );
        let emergency = renkei_emergency::Emergency::new(
            identity.db().clone(),
            care.clone(),
            transitions.clone(),
            mailer.clone(),
            &public_url,
        );
        let csp = security::content_security_policy(&config.map_tile_url);
        Self(Arc::new(Inner {
            identity,
            config,
            metrics: metrics::Metrics::new(),
            directory: live,
            directory_service,
            care,
            transitions,
            emergency,
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
