//! Merging the capabilities into one application.
//!
//! [`assemble`] takes every capability from [`crate::capabilities`] plus
//! the assembly's own routes (operations, static files, the home page,
//! `/api/v1/openapi.json`, `/fhir/metadata`) and returns the router, the
//! matrix rows of every route it serves, and the jobs the server runs.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderName, Request};
use axum::middleware::from_fn_with_state;
use axum::Router;
use renkei_web_kit::capability::ReadinessCheck;
use renkei_web_kit::routes::audience::{EVERYONE, SIGNED_IN};
use renkei_web_kit::routes::MatrixRow;
use renkei_web_kit::{Capability, HomeItems, Job, Kit, NavEntry, RouteSpec, RouteTable};
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::{home, metrics, openapi, security, system, AppState, WebError};

/// What the assembly's own routes need besides the services.
#[derive(Clone)]
pub struct Assembled {
    pub app: AppState,
    /// `/fhir/metadata`, built from the capabilities' FHIR resources.
    pub capability_statement: Arc<serde_json::Value>,
    /// `/api/v1/openapi.json`, merged from the capabilities' fragments.
    pub openapi: Arc<String>,
    pub home: Arc<[Arc<dyn HomeItems>]>,
    pub not_ready: Arc<[ReadinessCheck]>,
}

/// The assembly's own routes, each with its matrix row.
fn own_routes() -> RouteTable<Assembled> {
    RouteTable::new()
        .get("/healthz", system::healthz, EVERYONE)
        .get("/readyz", system::readyz, EVERYONE)
        .get("/metrics", system::metrics, EVERYONE)
        .get("/static/{file}", system::static_file, EVERYONE)
        .sample("/static/renkei.css")
        .get("/", home::home, SIGNED_IN)
        .get("/api/v1/openapi.json", openapi::openapi, EVERYONE)
        .get("/fhir/metadata", system::fhir_metadata, EVERYONE)
}

/// The whole application and what the server runs beside it.
pub struct Assembly {
    pub router: Router,
    /// Every route served, with who may use it.
    pub rows: Vec<MatrixRow>,
    /// Every capability's background jobs.
    pub jobs: Vec<(&'static str, Job)>,
    /// Every capability's demo loader, in registration order.
    pub demo: Vec<(&'static str, renkei_web_kit::capability::DemoLoader)>,
    /// Every capability's synthetic-data generator, in registration order.
    pub synthetic: Vec<(&'static str, renkei_web_kit::capability::SyntheticLoader)>,
}

impl Assembly {
    pub fn route_table(&self) -> Vec<RouteSpec> {
        self.rows.iter().map(|r| r.route).collect()
    }
}

async fn not_found() -> WebError {
    WebError::NotFound
}

/// Merges every capability and wraps the result in the middleware.
pub fn assemble(state: AppState) -> Assembly {
    let capabilities: Vec<Capability> = crate::capabilities(&state);
    let mut router = Router::new();
    let mut rows = Vec::new();
    let mut nav: Vec<NavEntry> = Vec::new();
    let mut fhir = Vec::new();
    let mut home = Vec::new();
    let mut patient_items = Vec::new();
    let mut not_ready = Vec::new();
    let mut jobs = Vec::new();
    let mut demo = Vec::new();
    let mut synthetic = Vec::new();
    let mut api = openapi::base();
    for cap in capabilities {
        let (cap_router, cap_rows) = cap.routes.into_parts();
        router = router.merge(cap_router);
        rows.extend(cap_rows);
        nav.extend(cap.nav);
        fhir.extend(cap.fhir);
        home.extend(cap.home);
        patient_items.extend(cap.patient);
        not_ready.extend(cap.not_ready);
        jobs.extend(cap.jobs.into_iter().map(|j| (cap.name, j)));
        demo.extend(cap.demo.map(|d| (cap.name, d)));
        synthetic.extend(cap.synthetic.map(|g| (cap.name, g)));
        api.merge(cap.openapi);
    }
    let base = state
        .directory_service
        .config()
        .public_url
        .trim_end_matches('/')
        .to_string();
    let assembled = Assembled {
        app: state.clone(),
        capability_statement: Arc::new(renkei_interop::capability_statement(
            &base,
            env!("CARGO_PKG_VERSION"),
            &fhir,
        )),
        openapi: Arc::new(api.to_pretty_json().unwrap_or_else(|e| {
            tracing::error!(error = %e, "OpenAPI document");
            String::new()
        })),
        home: home.into(),
        not_ready: not_ready.into(),
    };
    let (own_router, own_rows) = own_routes().with_state(assembled).into_parts();
    router = router.merge(own_router);
    rows.splice(0..0, own_rows);
    let kit = Kit::new(
        state.identity.clone(),
        state.config.clone(),
        nav,
        patient_items,
    );
    Assembly {
        router: with_middleware(router, &state, kit),
        rows,
        jobs,
        demo,
        synthetic,
    }
}

/// The whole application with its middleware.
pub fn app(state: AppState) -> Router {
    assemble(state).router
}

fn with_middleware(router: Router, state: &AppState, kit: Kit) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let timeout = state.config.request_timeout;
    let max_body = state.config.max_body_bytes;
    let max_upload = state.config.max_upload_bytes;
    let middleware = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", request_id = %id, method = %req.method(), path = %renkei_web_kit::loggable_path(req.uri().path()))
        })
        // One structured line per request (status, latency) inside the span
        // that carries the request id.
        .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO).latency_unit(tower_http::LatencyUnit::Micros))
        .on_request(()))
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(from_fn_with_state(state.clone(), metrics::record))
        .layer(from_fn_with_state(state.clone(), security::security_headers))
        .layer(axum::middleware::from_fn(renkei_web_kit::error::render_errors))
        .layer(axum::middleware::from_fn(renkei_web_kit::fhir::formats))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            if timeout.is_zero() { Duration::from_secs(30) } else { timeout },
        ))
        .layer(from_fn_with_state(state.clone(), security::body_limit))
        .layer(axum::extract::DefaultBodyLimit::max(max_body.max(max_upload)))
        .layer(from_fn_with_state(kit, renkei_web_kit::auth::authenticate));
    router.fallback(not_found).layer(middleware)
}
