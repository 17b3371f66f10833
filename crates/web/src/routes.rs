//! Every route of Renkei, declared in one table.
//!
//! [`route_table`] lists exactly the routes [`app`] serves, because both come
//! from [`build`]. The authorisation-matrix test walks this list, so a route
//! added without an entry in the matrix fails that test.

use std::time::Duration;

use axum::handler::Handler;
use axum::http::{HeaderName, Request};
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::identity::{account, admin, audit, login};
use crate::{
    api, auth, care, directory, error, fhir, metrics, security, system, AppState, WebError,
};

/// One route: method and path pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
}

struct Routes {
    router: Router<AppState>,
    list: Vec<RouteSpec>,
}

impl Routes {
    fn get<H: Handler<T, AppState>, T: 'static>(mut self, path: &'static str, h: H) -> Self {
        self.list.push(RouteSpec {
            method: "GET",
            path,
        });
        self.router = self.router.route(path, get(h));
        self
    }
    fn post<H: Handler<T, AppState>, T: 'static>(mut self, path: &'static str, h: H) -> Self {
        self.list.push(RouteSpec {
            method: "POST",
            path,
        });
        self.router = self.router.route(path, post(h));
        self
    }
}

fn build() -> Routes {
    Routes {
        router: Router::new(),
        list: Vec::new(),
    }
    // operations
    .get("/healthz", system::healthz)
    .get("/readyz", system::readyz)
    .get("/metrics", system::metrics)
    .get("/static/{file}", system::static_file)
    // identity pages
    .get("/", login::home)
    .get("/login", login::login_form)
    .post("/login", login::login)
    .post("/logout", login::logout)
    .get("/mfa", login::mfa_form)
    .post("/mfa", login::mfa_verify)
    .get("/mfa/enrol", login::enrol_form)
    .post("/mfa/enrol", login::enrol_confirm)
    .post("/lang", login::switch_language)
    .get("/account", account::show)
    .post("/account/tokens", account::create_token)
    .post("/account/tokens/{id}/revoke", account::revoke_token)
    .get("/admin/organisations", admin::organisations)
    .post("/admin/organisations", admin::create_organisation)
    .get("/admin/users", admin::users)
    .post("/admin/users", admin::create_user)
    .post("/admin/users/{id}/disable", admin::disable_user)
    .post("/admin/users/{id}/enable", admin::enable_user)
    .post("/admin/users/{id}/unlock", admin::unlock_user)
    .post("/admin/users/{id}/reset-mfa", admin::reset_mfa)
    .get("/admin/audit", audit::page)
    .get("/admin/audit.csv", audit::export_csv)
    // JSON API
    .get("/api/v1/openapi.json", api::openapi)
    .get("/api/v1/me", api::me)
    .get("/api/v1/organizations", api::list_organisations)
    .post("/api/v1/organizations", api::create_organisation)
    .get("/api/v1/municipalities", api::list_municipalities)
    .get("/api/v1/users", api::list_users)
    // directory
    .get("/api/v1/directory/search", directory::search_professional)
    .get("/api/v1/public/directory/search", directory::search_public)
    // directory pages
    .get("/directory", directory::pages::directory_page)
    .get("/directory/mine", directory::pages::mine)
    .get("/directory/entries/{id}", directory::pages::entry_page)
    .post(
        "/directory/entries/{id}/acceptance",
        directory::pages::set_acceptance,
    )
    .post("/directory/entries/{id}/confirm", directory::pages::confirm)
    .post(
        "/directory/entries/{id}/link",
        directory::pages::link_organisation,
    )
    .get("/directory/entries/{id}/edit", directory::pages::edit_form)
    .post("/directory/entries/{id}/edit", directory::pages::edit)
    .get("/directory/reviews", directory::pages::reviews)
    .post("/directory/reviews/{id}", directory::pages::review)
    .get("/directory/freshness", directory::pages::freshness)
    .post(
        "/directory/freshness/remind",
        directory::pages::send_reminders,
    )
    .get("/directory/new", directory::pages::new_entry_form)
    .post("/directory/new", directory::pages::create_entry)
    .get("/map", directory::pages::public_map)
    .get("/map/entries/{id}", directory::pages::public_entry)
    // care: patients, teams, the timeline
    .get("/patients", care::pages::patients)
    .get("/patients/new", care::pages::new_patient_form)
    .post("/patients/new", care::pages::create_patient)
    .get("/patients/break-glass", care::pages::break_glass_form)
    .post("/patients/break-glass", care::pages::break_glass)
    .get("/patients/{id}", care::pages::patient_timeline)
    .post("/patients/{id}/posts", care::pages::create_patient_post)
    .get("/patients/{id}/vitals", care::pages::vitals)
    .get("/patients/{id}/summary", care::pages::summary)
    .post("/patients/{id}/summary", care::pages::save_summary)
    .get("/patients/{id}/profile", care::pages::profile_form)
    .post("/patients/{id}/profile", care::pages::update_profile)
    .get("/patients/{id}/team", care::pages::patient_team)
    .post("/patients/{id}/team/invite", care::pages::patient_invite)
    .post("/patients/{id}/team/accept", care::pages::patient_accept)
    .post("/patients/{id}/team/leave", care::pages::patient_leave)
    .post("/patients/{id}/team/lead", care::pages::patient_lead)
    .post(
        "/patients/{id}/team/family-summary",
        care::pages::patient_family_summary,
    )
    .get("/patients/{id}/consent", care::pages::consent)
    .post("/patients/{id}/consent", care::pages::record_consent)
    .post(
        "/patients/{id}/consent/withdraw",
        care::pages::withdraw_consent,
    )
    .get("/posts/{id}", care::pages::post_detail)
    .post("/posts/{id}/ack", care::pages::acknowledge)
    .post("/posts/{id}/edit", care::pages::edit_post)
    .post("/posts/{id}/withdraw", care::pages::withdraw_post)
    .get("/attachments/{id}", care::pages::attachment)
    .get("/attachments/{id}/thumbnail", care::pages::thumbnail)
    .get("/groups", care::pages::groups)
    .post("/groups", care::pages::create_group)
    .get("/groups/{id}", care::pages::group_timeline)
    .post("/groups/{id}/posts", care::pages::create_group_post)
    .get("/groups/{id}/members", care::pages::group_members)
    .post("/groups/{id}/invite", care::pages::group_invite)
    .post("/groups/{id}/accept", care::pages::group_accept)
    .post("/groups/{id}/leave", care::pages::group_leave)
    .get("/notifications", care::pages::notifications)
    .post("/notifications", care::pages::save_notifications)
    // care API
    .get("/api/v1/patients", care::api::list_patients)
    .post("/api/v1/patients", care::api::create_patient)
    .get("/api/v1/patients/{id}", care::api::get_patient)
    .get("/api/v1/patients/{id}/consents", care::api::list_consents)
    .post("/api/v1/patients/{id}/consents", care::api::record_consent)
    .post(
        "/api/v1/patients/{id}/consents/withdraw",
        care::api::withdraw_consent,
    )
    .get("/api/v1/patients/{id}/team", care::api::team)
    .post("/api/v1/patients/{id}/team", care::api::invite)
    .post("/api/v1/patients/{id}/team/accept", care::api::accept)
    .post("/api/v1/patients/{id}/team/leave", care::api::leave)
    .get("/api/v1/patients/{id}/posts", care::api::list_posts)
    .post("/api/v1/patients/{id}/posts", care::api::create_post)
    .post(
        "/api/v1/patients/{id}/posts/{post}/acknowledge",
        care::api::acknowledge,
    )
    .post(
        "/api/v1/patients/{id}/posts/{post}/read",
        care::api::mark_read,
    )
    .get(
        "/api/v1/patients/{id}/posts/{post}/reads",
        care::api::receipts,
    )
    .get("/api/v1/patients/{id}/summary", care::api::summary)
    .post("/api/v1/patients/{id}/summary", care::api::save_summary)
    .get("/api/v1/me/unread", care::api::unread)
    // FHIR
    .get("/fhir/metadata", fhir::metadata)
    .get("/fhir/Organization", fhir::search_organization)
    .get("/fhir/Organization/{id}", fhir::read_organization)
    .get("/fhir/Location", fhir::search_location)
    .get("/fhir/Location/{id}", fhir::read_location)
    .get("/fhir/HealthcareService", fhir::search_healthcare_service)
    .get(
        "/fhir/HealthcareService/{id}",
        fhir::read_healthcare_service,
    )
    .get("/fhir/Patient", fhir::search_patient)
    .get("/fhir/Patient/{id}", fhir::read_patient)
    .get("/fhir/CareTeam", fhir::search_care_team)
    .get("/fhir/CareTeam/{id}", fhir::read_care_team)
    .get("/fhir/Communication", fhir::search_communication)
    .get("/fhir/Communication/{id}", fhir::read_communication)
    .get("/fhir/Observation", fhir::search_observation)
    .get("/fhir/Observation/{id}", fhir::read_observation)
    .get("/fhir/Consent", fhir::search_consent)
    .get("/fhir/Consent/{id}", fhir::read_consent)
}

/// Every route `app` serves.
pub fn route_table() -> Vec<RouteSpec> {
    build().list
}

async fn not_found() -> WebError {
    WebError::NotFound
}

/// The whole application with its middleware.
pub fn app(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let timeout = state.config.request_timeout;
    let max_body = state.config.max_body_bytes;
    let max_upload = state.config.max_upload_bytes;
    let middleware = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
        })
        // One structured line per request (status, latency) inside the span
        // that carries the request id.
        .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO).latency_unit(tower_http::LatencyUnit::Micros))
        .on_request(()))
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(from_fn_with_state(state.clone(), metrics::record))
        .layer(from_fn_with_state(state.clone(), security::security_headers))
        .layer(axum::middleware::from_fn(error::render_errors))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            if timeout.is_zero() { Duration::from_secs(30) } else { timeout },
        ))
        .layer(from_fn_with_state(state.clone(), security::body_limit))
        .layer(axum::extract::DefaultBodyLimit::max(max_body.max(max_upload)))
        .layer(from_fn_with_state(state.clone(), auth::authenticate));
    build()
        .router
        .fallback(not_found)
        .layer(middleware)
        .with_state(state)
}
