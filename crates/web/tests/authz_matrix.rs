//! The authorisation matrix: every route × every role (plus anonymous and a
//! session still waiting for its TOTP code), on both databases.
//!
//! The expected access is written out here by hand, independently of the
//! code's permission table. A route that is served but missing from this
//! matrix fails the test, so nobody can add a route without deciding who may
//! use it.

mod support;

use std::collections::HashMap;

use renkei_store::Backend;
use renkei_web::{route_table, RouteSpec, WebConfig};
use support::*;

use Who::*;

const SIGNED_IN: &[Who] = &[
    SystemAdmin,
    RegionAdmin,
    MunicipalOfficer,
    Coordinator,
    Professional,
    Family,
    Ems,
];
const EVERYONE: &[Who] = &[
    Anonymous,
    PendingMfa,
    SystemAdmin,
    RegionAdmin,
    MunicipalOfficer,
    Coordinator,
    Professional,
    Family,
    Ems,
];
const HALF_OR_MORE: &[Who] = &[
    PendingMfa,
    SystemAdmin,
    RegionAdmin,
    MunicipalOfficer,
    Coordinator,
    Professional,
    Family,
    Ems,
];
const VIEW_ORGS: &[Who] = &[SystemAdmin, RegionAdmin, MunicipalOfficer, Coordinator];
const MANAGE_ORGS: &[Who] = &[SystemAdmin, RegionAdmin, Coordinator];
const ADMINS: &[Who] = &[SystemAdmin, RegionAdmin];
/// Everyone signed in but family members, who use the public map.
const STAFF: &[Who] = &[
    SystemAdmin,
    RegionAdmin,
    MunicipalOfficer,
    Coordinator,
    Professional,
    Ems,
];

/// Those who curate the directory of their region.
const CURATORS: &[Who] = &[SystemAdmin, RegionAdmin, Coordinator];
/// Curators bound to one region (freshness is counted per region).
const REGION_CURATORS: &[Who] = &[RegionAdmin, Coordinator];

/// (method, path, who may use it, request body)
fn matrix() -> Vec<(
    &'static str,
    &'static str,
    &'static [Who],
    Option<&'static str>,
)> {
    vec![
        ("GET", "/healthz", EVERYONE, None),
        ("GET", "/readyz", EVERYONE, None),
        ("GET", "/metrics", EVERYONE, None),
        ("GET", "/static/{file}", EVERYONE, None),
        ("GET", "/", SIGNED_IN, None),
        ("GET", "/login", EVERYONE, None),
        (
            "POST",
            "/login",
            EVERYONE,
            Some("username=nobody&password=wrong-password"),
        ),
        ("POST", "/logout", EVERYONE, None),
        ("GET", "/mfa", HALF_OR_MORE, None),
        ("POST", "/mfa", HALF_OR_MORE, Some("code=")),
        ("GET", "/mfa/enrol", SIGNED_IN, None),
        ("POST", "/mfa/enrol", SIGNED_IN, Some("code=")),
        ("POST", "/lang", EVERYONE, Some("lang=en&back=/")),
        ("GET", "/account", SIGNED_IN, None),
        ("POST", "/account/tokens", SIGNED_IN, Some("name=")),
        ("POST", "/account/tokens/{id}/revoke", SIGNED_IN, None),
        ("GET", "/admin/organisations", VIEW_ORGS, None),
        (
            "POST",
            "/admin/organisations",
            MANAGE_ORGS,
            Some("kind=&name="),
        ),
        ("GET", "/admin/users", ADMINS, None),
        ("POST", "/admin/users", ADMINS, Some("username=")),
        ("POST", "/admin/users/{id}/disable", ADMINS, None),
        ("POST", "/admin/users/{id}/enable", ADMINS, None),
        ("POST", "/admin/users/{id}/unlock", ADMINS, None),
        ("POST", "/admin/users/{id}/reset-mfa", ADMINS, None),
        ("GET", "/admin/audit", ADMINS, None),
        ("GET", "/admin/audit.csv", ADMINS, None),
        ("GET", "/api/v1/openapi.json", EVERYONE, None),
        ("GET", "/api/v1/me", SIGNED_IN, None),
        ("GET", "/api/v1/organizations", VIEW_ORGS, None),
        (
            "POST",
            "/api/v1/organizations",
            MANAGE_ORGS,
            Some(r#"{"kind":"","name":""}"#),
        ),
        ("GET", "/api/v1/municipalities", SIGNED_IN, None),
        ("GET", "/api/v1/users", ADMINS, None),
        ("GET", "/api/v1/directory/search", STAFF, None),
        ("GET", "/api/v1/public/directory/search", EVERYONE, None),
        ("GET", "/directory", STAFF, None),
        ("GET", "/directory/mine", STAFF, None),
        ("GET", "/directory/entries/{id}", STAFF, None),
        // Members of the maintaining organisation (every staff user of the
        // test region is one) and curators; never family members.
        (
            "POST",
            "/directory/entries/{id}/acceptance",
            STAFF,
            Some("acceptance=full"),
        ),
        ("POST", "/directory/entries/{id}/confirm", STAFF, None),
        ("GET", "/directory/entries/{id}/edit", STAFF, None),
        (
            "POST",
            "/directory/entries/{id}/edit",
            STAFF,
            Some("area=test"),
        ),
        ("GET", "/directory/reviews", CURATORS, None),
        (
            "POST",
            "/directory/reviews/{id}",
            CURATORS,
            Some("decision=reject"),
        ),
        ("GET", "/directory/freshness", REGION_CURATORS, None),
        ("POST", "/directory/freshness/remind", REGION_CURATORS, None),
        ("GET", "/directory/new", CURATORS, None),
        ("POST", "/directory/new", CURATORS, Some("kind=&name=")),
        ("GET", "/map", EVERYONE, None),
        ("GET", "/map/entries/{id}", EVERYONE, None),
        ("GET", "/fhir/metadata", EVERYONE, None),
        ("GET", "/fhir/Organization", STAFF, None),
        ("GET", "/fhir/Organization/{id}", STAFF, None),
        ("GET", "/fhir/Location", STAFF, None),
        ("GET", "/fhir/Location/{id}", STAFF, None),
        ("GET", "/fhir/HealthcareService", STAFF, None),
        ("GET", "/fhir/HealthcareService/{id}", STAFF, None),
        // Last but for logout: it unlinks the entry from its organisation,
        // which ends the members' right to edit it.
        (
            "POST",
            "/directory/entries/{id}/link",
            CURATORS,
            Some("org_id="),
        ),
    ]
}

/// Denied means: 401 or 403, or sent to the login or code page.
fn denied(reply: &Reply) -> bool {
    matches!(reply.status.as_u16(), 401 | 403)
        || reply.location.as_deref().is_some_and(|l| {
            l == "/login" || l.starts_with("/login?expired") || l.starts_with("/mfa")
        })
}

fn concrete(path: &str, w: &World) -> String {
    path.replace("{file}", "renkei.css")
        .replace(
            "/directory/entries/{id}",
            &format!("/directory/entries/{}", w.entry),
        )
        .replace("/map/entries/{id}", &format!("/map/entries/{}", w.entry))
        .replace(
            "/fhir/Organization/{id}",
            &format!("/fhir/Organization/{}", w.entry),
        )
        .replace(
            "/fhir/Location/{id}",
            &format!("/fhir/Location/{}", w.entry),
        )
        .replace(
            "/fhir/HealthcareService/{id}",
            &format!("/fhir/HealthcareService/{}", w.entry),
        )
        .replace(
            "/directory/reviews/{id}",
            &format!("/directory/reviews/{}", w.change_request),
        )
        .replace("/account/tokens/{id}", "/account/tokens/999999")
        .replace("{id}", &w.target_user.to_string())
}

#[test]
fn every_route_is_in_the_matrix_and_nothing_else() {
    let served: Vec<RouteSpec> = route_table();
    let listed: Vec<(&str, &str)> = matrix().iter().map(|(m, p, _, _)| (*m, *p)).collect();
    for r in &served {
        assert!(
            listed.contains(&(r.method, r.path)),
            "route {} {} is not in the authorisation matrix",
            r.method,
            r.path
        );
    }
    for (m, p) in &listed {
        assert!(
            served.iter().any(|r| r.method == *m && r.path == *p),
            "matrix lists {m} {p}, which is not served"
        );
    }
}

async fn run_matrix(backend: Backend) {
    let w = world(
        backend,
        WebConfig {
            cookie_secure: false,
            ..WebConfig::default()
        },
    )
    .await;
    let mut failures = Vec::new();
    let mut checked = 0;
    // Logout ends the session, so it runs last for everyone.
    let mut rows = matrix();
    rows.sort_by_key(|(_, p, _, _)| *p == "/logout");
    let mut outcomes: HashMap<(String, Who), u16> = HashMap::new();
    for (method, path, allowed, body) in rows {
        for who in Who::ALL {
            let req = request(method, &concrete(path, &w), w.session(who), body);
            let reply = send(&w.app, req).await;
            let expect_allowed = allowed.contains(&who);
            checked += 1;
            outcomes.insert((format!("{method} {path}"), who), reply.status.as_u16());
            if denied(&reply) == expect_allowed {
                failures.push(format!(
                    "{method} {path} as {who:?}: expected {}, got {} {:?}",
                    if expect_allowed { "allow" } else { "deny" },
                    reply.status,
                    reply.location
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(checked, route_table().len() * Who::ALL.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matrix_on_sqlite() {
    run_matrix(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matrix_on_postgres() {
    run_matrix(Backend::Postgres).await;
}

/// Another region's user is invisible to a region administrator: acting on
/// them answers 404, and lists never show them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_region_is_out_of_reach() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let w = world(
            backend,
            WebConfig {
                cookie_secure: false,
                ..WebConfig::default()
            },
        )
        .await;
        let admin = w.session(RegionAdmin);
        let reply = send(
            &w.app,
            request(
                "POST",
                &format!("/admin/users/{}/disable", w.foreign_user),
                admin,
                None,
            ),
        )
        .await;
        assert_eq!(reply.status, 404, "{backend:?}");
        let list = send(&w.app, request("GET", "/api/v1/users", admin, None)).await;
        assert!(
            list.body.contains("\"target\"") && !list.body.contains("\"foreign\""),
            "{}",
            list.body
        );
        let sys = send(
            &w.app,
            request("GET", "/api/v1/users", w.session(SystemAdmin), None),
        )
        .await;
        assert!(
            sys.body.contains("\"foreign\""),
            "system admins see every region"
        );
        // Creating in another region is refused.
        let body = format!(
            r#"{{"region_id":{},"kind":"clinic","name":"越境診療所"}}"#,
            w.other_region
        );
        let reply = send(
            &w.app,
            request(
                "POST",
                "/api/v1/organizations",
                w.session(Coordinator),
                Some(&body),
            ),
        )
        .await;
        assert_eq!(reply.status, 403);
    }
}
