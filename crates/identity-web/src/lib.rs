//! Identity's web side: login, two-factor authentication, the account page,
//! organisations and users, the audit trail pages, and identity's part of
//! the JSON API. [`capability`] declares all of it for the assembly.

// The edge: handlers read the clock and pass the moment down to the
// services (clippy.toml forbids reading it below the edge).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

pub mod account;
pub mod admin;
pub mod api;
pub mod audit;
pub mod fhir;
pub mod login;

use std::sync::Arc;

use renkei_domain::people::Permission;
use renkei_identity::Identity;
use renkei_web_kit::routes::audience::{ADMINS, EVERYONE, HALF_OR_MORE, SIGNED_IN, STAFF};
use renkei_web_kit::routes::{Persona, RowOrder};
use renkei_web_kit::{Capability, NavEntry, RouteTable, WebConfig};
use utoipa::OpenApi;

/// What identity's handlers need.
#[derive(Clone)]
pub struct IdentityState(Arc<Inner>);

pub struct Inner {
    pub identity: Identity,
    pub config: WebConfig,
}

impl IdentityState {
    pub fn new(identity: Identity, config: WebConfig) -> Self {
        Self(Arc::new(Inner { identity, config }))
    }
}

impl std::ops::Deref for IdentityState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

use Persona::*;
/// Who may see organisations.
const VIEW_ORGS: &[Persona] = &[SystemAdmin, RegionAdmin, MunicipalOfficer, Coordinator];
/// Who may register organisations.
const MANAGE_ORGS: &[Persona] = &[SystemAdmin, RegionAdmin, Coordinator];

/// Identity's routes, each with its authorisation-matrix row.
fn routes() -> RouteTable<IdentityState> {
    RouteTable::new()
        .get("/login", login::login_form, EVERYONE)
        .post("/login", login::login, EVERYONE)
        .body("username=nobody&password=wrong-password")
        // Logout ends the session, so the matrix runs it last for everyone.
        .post("/logout", login::logout, EVERYONE)
        .order(RowOrder::Last)
        .get("/mfa", login::mfa_form, HALF_OR_MORE)
        .post("/mfa", login::mfa_verify, HALF_OR_MORE)
        .body("code=")
        .get("/mfa/enrol", login::enrol_form, SIGNED_IN)
        .post("/mfa/enrol", login::enrol_confirm, SIGNED_IN)
        .body("code=")
        .post("/lang", login::switch_language, EVERYONE)
        .body("lang=en&back=/")
        .get("/account", account::show, SIGNED_IN)
        .post("/account/tokens", account::create_token, SIGNED_IN)
        .body("name=")
        .post(
            "/account/tokens/{id}/revoke",
            account::revoke_token,
            SIGNED_IN,
        )
        .sample("/account/tokens/999999/revoke")
        .get("/admin/organisations", admin::organisations, VIEW_ORGS)
        .post(
            "/admin/organisations",
            admin::create_organisation,
            MANAGE_ORGS,
        )
        .body("kind=&name=")
        .get("/admin/users", admin::users, ADMINS)
        .post("/admin/users", admin::create_user, ADMINS)
        .body("username=")
        .post("/admin/users/{id}/disable", admin::disable_user, ADMINS)
        .sample("/admin/users/{user}/disable")
        .post("/admin/users/{id}/enable", admin::enable_user, ADMINS)
        .sample("/admin/users/{user}/enable")
        .post("/admin/users/{id}/unlock", admin::unlock_user, ADMINS)
        .sample("/admin/users/{user}/unlock")
        .post("/admin/users/{id}/reset-mfa", admin::reset_mfa, ADMINS)
        .sample("/admin/users/{user}/reset-mfa")
        .get("/admin/audit", audit::page, ADMINS)
        .get("/admin/audit.csv", audit::export_csv, ADMINS)
        .get("/api/v1/me", api::me, SIGNED_IN)
        .get("/api/v1/organizations", api::list_organisations, VIEW_ORGS)
        .post(
            "/api/v1/organizations",
            api::create_organisation,
            MANAGE_ORGS,
        )
        .body(r#"{"kind":"","name":""}"#)
        .get(
            "/api/v1/municipalities",
            api::list_municipalities,
            SIGNED_IN,
        )
        .get("/api/v1/users", api::list_users, ADMINS)
        .get("/fhir/Practitioner", fhir::search_practitioner, STAFF)
        .get("/fhir/Practitioner/{id}", fhir::read_practitioner, STAFF)
        .sample("/fhir/Practitioner/{user}")
}

/// Everything identity contributes to the assembly.
pub fn capability(state: IdentityState) -> Capability {
    let mut cap = Capability::new(
        "identity",
        routes().with_state(state.clone()),
        api::IdentityApi::openapi(),
    );
    cap.fhir = vec![fhir::PRACTITIONER];
    // The demo region, its organisations and one account per role.
    cap.demo = Some(Arc::new(move |_now| {
        let identity = state.identity.clone();
        Box::pin(async move {
            renkei_identity::demo::load(&identity)
                .await
                .map_err(|e| e.to_string())
        })
    }));
    cap.nav = vec![
        NavEntry {
            href: "/admin/organisations",
            ja: "事業所・機関",
            en: "Organisations",
            order: 50,
            shown_to: |p| p.role.may(Permission::ViewOrganisations),
        },
        NavEntry {
            href: "/admin/users",
            ja: "利用者管理",
            en: "Users",
            order: 60,
            shown_to: |p| p.role.may(Permission::ManageUsers),
        },
        NavEntry {
            href: "/admin/audit",
            ja: "監査ログ",
            en: "Audit trail",
            order: 70,
            shown_to: |p| p.role.may(Permission::ViewAudit),
        },
        NavEntry {
            href: "/account",
            ja: "アカウント",
            en: "Account",
            order: 90,
            shown_to: |_| true,
        },
    ];
    cap
}
