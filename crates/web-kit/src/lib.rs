//! The small shared kit every capability's web crate is built on.
//!
//! A capability's web crate (`renkei-<cap>-web`) depends on this kit and on
//! its own capability crate, never on another capability's web crate. From
//! the kit it takes: the request context ([`CurrentUser`], [`PageCtx`],
//! [`auth::Ctx`]), the one error type [`WebError`] with its HTML and
//! problem+json rendering, the page frame [`Layout`], form reading
//! ([`FormData`]), JSON bodies ([`ApiJson`]), the UI language ([`i18n`]),
//! and the route table whose every route carries its authorisation-matrix
//! row ([`routes::RouteTable`]). It hands the assembly (`renkei-web`) one
//! [`Capability`] value that says everything it contributes.

// The edge: handlers read the clock and pass the moment down to the
// services (clippy.toml forbids reading it below the edge).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

pub mod api;
pub mod auth;
pub mod capability;
mod config;
pub mod error;
pub mod fhir;
pub mod form;
pub mod i18n;
pub mod layout;
pub mod limit;
pub mod page;
pub mod routes;

use std::sync::Arc;

use renkei_identity::Identity;

pub use api::ApiJson;
pub use auth::{AuthState, CurrentUser, PageCtx};
pub use capability::{
    Capability, HomeItem, HomeItems, Job, NavEntry, PatientItem, PatientItems, Synthetic, Urgency,
};
pub use config::{ProxyHeader, WebConfig, GSI_TILES};
pub use error::WebError;
pub use form::FormData;
pub use layout::Layout;
pub use routes::{Persona, RouteSpec, RouteTable, Routes};

/// What the authentication middleware needs: identity, the settings, and
/// the merged navigation of every registered capability.
#[derive(Clone)]
pub struct Kit(Arc<KitInner>);

pub struct KitInner {
    pub identity: Identity,
    pub config: WebConfig,
    pub nav: Arc<[NavEntry]>,
    /// Every capability's provider of lines on a care patient's page.
    pub patient_items: capability::PatientItemProviders,
}

impl Kit {
    pub fn new(
        identity: Identity,
        config: WebConfig,
        nav: Vec<NavEntry>,
        patient_items: Vec<Arc<dyn PatientItems>>,
    ) -> Self {
        Self(Arc::new(KitInner {
            identity,
            config,
            nav: nav.into(),
            patient_items: capability::PatientItemProviders(patient_items.into()),
        }))
    }
}

impl std::ops::Deref for Kit {
    type Target = KitInner;
    fn deref(&self) -> &KitInner {
        &self.0
    }
}

/// A path as a log may keep it: a capability link's secret (an emergency
/// card's `/e/{token}`, and the pages under it) is never written to a log,
/// whoever logs the path — the request span, or a refusal's warning.
pub fn loggable_path(path: &str) -> &str {
    if path.starts_with("/e/") {
        "/e/{token}"
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_card_token_never_reaches_the_log() {
        let token = "LcHHMqizH5JAz4AnjnKHfnk8w3chyBewZrNRUEi_pxQ";
        assert_eq!(super::loggable_path(&format!("/e/{token}")), "/e/{token}");
        assert_eq!(
            super::loggable_path(&format!("/e/{token}/transport")),
            "/e/{token}"
        );
        assert_eq!(super::loggable_path("/patients/12"), "/patients/12");
    }
}
