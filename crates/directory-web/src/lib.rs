//! The resource directory's web side (地域の医療・介護資源の把握): the
//! professional and public search (pages, map, JSON API), entry upkeep and
//! review pages, and the FHIR Organization, Location and HealthcareService.
//! [`capability`] declares all of it for the assembly.

// The edge: handlers read the clock and pass the moment down to the
// services (clippy.toml forbids reading it below the edge).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

pub mod api;
pub mod fhir;
pub mod fhir_resources;
pub mod pages;
pub mod same_facility;
pub mod sheets;
pub mod stewardship;

use std::sync::Arc;
use std::time::Duration;

use renkei_directory::live::LiveIndex;
use renkei_directory::service::Directory;
use renkei_domain::people::Permission;
use renkei_domain::Timestamp;
use renkei_identity::{Actor, Identity, Principal, RequestContext};
use renkei_interop::FhirResource;
use renkei_web_kit::capability::BoxFuture;
use renkei_web_kit::i18n::Lang;
use renkei_web_kit::routes::audience::{EVERYONE, STAFF};
use renkei_web_kit::routes::{Persona, RowOrder};
use renkei_web_kit::{
    Capability, HomeItem, HomeItems, Job, NavEntry, RouteTable, Synthetic, Urgency, WebConfig,
};
use utoipa::OpenApi;

/// What the directory's handlers need.
#[derive(Clone)]
pub struct DirectoryState(Arc<Inner>);

pub struct Inner {
    pub identity: Identity,
    pub config: WebConfig,
    /// The search index, refreshed by the capability's background job.
    pub directory: LiveIndex,
    /// Edits, reviews and the confirmation campaign.
    pub directory_service: Directory,
    /// Anonymous searches per source address.
    pub public_limiter: api::RateLimiter,
}

impl DirectoryState {
    pub fn new(identity: Identity, config: WebConfig, live: LiveIndex, service: Directory) -> Self {
        Self(Arc::new(Inner {
            identity,
            config,
            directory: live,
            directory_service: service,
            public_limiter: api::RateLimiter::default(),
        }))
    }
}

impl std::ops::Deref for DirectoryState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

use Persona::*;
/// Those who curate the directory of their region.
const CURATORS: &[Persona] = &[SystemAdmin, RegionAdmin, Coordinator];
/// Curators bound to one region (freshness is counted per region).
const REGION_CURATORS: &[Persona] = &[RegionAdmin, Coordinator];

/// The directory's routes, each with its authorisation-matrix row.
fn routes() -> RouteTable<DirectoryState> {
    RouteTable::new()
        .get("/api/v1/directory/search", api::search_professional, STAFF)
        .get(
            "/api/v1/public/directory/search",
            api::search_public,
            EVERYONE,
        )
        .get(
            "/api/v1/public/directory/entries/{id}",
            api::public_entry,
            EVERYONE,
        )
        .sample("/api/v1/public/directory/entries/{entry}")
        .get("/directory", pages::directory_page, STAFF)
        .get("/directory/mine", pages::mine, STAFF)
        .get("/directory/entries/{id}", pages::entry_page, STAFF)
        .sample("/directory/entries/{entry}")
        // Members of the maintaining organisation (every staff user of the
        // test region is one) and curators; never family members.
        .post(
            "/directory/entries/{id}/acceptance",
            pages::set_acceptance,
            STAFF,
        )
        .sample("/directory/entries/{entry}/acceptance")
        .body("acceptance=full")
        .post("/directory/entries/{id}/confirm", pages::confirm, STAFF)
        .sample("/directory/entries/{entry}/confirm")
        // It unlinks the entry from its organisation, which ends the
        // members' right to edit it: late in the matrix.
        .post(
            "/directory/entries/{id}/link",
            pages::link_organisation,
            CURATORS,
        )
        .sample("/directory/entries/{entry}/link")
        .body("org_id=")
        .order(RowOrder::Later)
        .get("/directory/entries/{id}/edit", pages::edit_form, STAFF)
        .sample("/directory/entries/{entry}/edit")
        .post("/directory/entries/{id}/edit", pages::edit, STAFF)
        .sample("/directory/entries/{entry}/edit")
        .body("area=test")
        // The confirmation sheet (確認票): printed by the entry's maintainers
        // and curators; keyed in by curators when it comes back.
        .get("/directory/entries/{id}/sheet", sheets::sheet, STAFF)
        .sample("/directory/entries/{entry}/sheet")
        .get(
            "/directory/entries/{id}/sheet/return",
            sheets::return_form,
            CURATORS,
        )
        .sample("/directory/entries/{entry}/sheet/return")
        .post(
            "/directory/entries/{id}/sheet/return",
            sheets::record_return,
            CURATORS,
        )
        .sample("/directory/entries/{entry}/sheet/return")
        .body("via=fax&unchanged=1")
        .get("/directory/sheets", sheets::overdue_sheets, REGION_CURATORS)
        // Region curators list a resource outside the region that its
        // residents use (or take it off).
        .post(
            "/directory/entries/{id}/region-listing",
            pages::region_listing,
            REGION_CURATORS,
        )
        .sample("/directory/entries/{entry}/region-listing")
        .body("listed=true")
        // One facility, one entry: the coordinator's review of pairs the
        // matching found (curators of both entries decide; a pair id that
        // does not exist answers 404 to them).
        .get("/directory/same-facility", same_facility::review, CURATORS)
        .post("/directory/same-facility/run", same_facility::run, CURATORS)
        .post(
            "/directory/same-facility/{id}/merge",
            same_facility::merge,
            CURATORS,
        )
        .sample("/directory/same-facility/999999/merge")
        .body("keep=1")
        .post(
            "/directory/same-facility/{id}/reject",
            same_facility::reject,
            CURATORS,
        )
        .sample("/directory/same-facility/999999/reject")
        .post(
            "/directory/same-facility/{id}/split",
            same_facility::split,
            CURATORS,
        )
        .sample("/directory/same-facility/999999/split")
        // Stewardship by category: region curators make an association
        // steward of a kind of entry. The steward's members then review,
        // correct and confirm those entries through the routes above and
        // below (none is a steward in the matrix world).
        .get("/directory/stewards", stewardship::stewards, CURATORS)
        .post("/directory/stewards", stewardship::set_steward, CURATORS)
        .body("org_id=&kind=clinic&on=1")
        // The partner export: the viewer's region as the municipal
        // standard CSV, for a cooperating body's account or read token.
        .get("/api/v1/directory/export.csv", api::partner_export, STAFF)
        .sample("/api/v1/directory/export.csv?dataset=medical")
        .get("/directory/reviews", pages::reviews, CURATORS)
        .post("/directory/reviews/{id}", pages::review, CURATORS)
        .sample("/directory/reviews/{change_request}")
        .body("decision=reject")
        .get("/directory/freshness", pages::freshness, REGION_CURATORS)
        .post(
            "/directory/freshness/remind",
            pages::send_reminders,
            REGION_CURATORS,
        )
        .get("/directory/new", pages::new_entry_form, CURATORS)
        .post("/directory/new", pages::create_entry, CURATORS)
        .body("kind=&name=")
        .get("/map", pages::public_map, EVERYONE)
        .get("/map/entries/{id}", pages::public_entry, EVERYONE)
        .sample("/map/entries/{entry}")
        .get("/fhir/Organization", fhir::search_organization, STAFF)
        .get("/fhir/Organization/{id}", fhir::read_organization, STAFF)
        .sample("/fhir/Organization/{entry}")
        .get("/fhir/Location", fhir::search_location, STAFF)
        .get("/fhir/Location/{id}", fhir::read_location, STAFF)
        .sample("/fhir/Location/{entry}")
        .get(
            "/fhir/HealthcareService",
            fhir::search_healthcare_service,
            STAFF,
        )
        .get(
            "/fhir/HealthcareService/{id}",
            fhir::read_healthcare_service,
            STAFF,
        )
        .sample("/fhir/HealthcareService/{entry}")
}

#[derive(OpenApi)]
#[openapi(paths(
    api::search_professional,
    api::search_public,
    api::public_entry,
    api::partner_export
))]
struct DirectoryApi;

/// The FHIR resources the directory serves (declared beside their
/// handlers, which read exactly these search parameters).
fn fhir_resources() -> Vec<FhirResource> {
    vec![fhir::ORGANIZATION, fhir::LOCATION, fhir::HEALTHCARE_SERVICE]
}

/// The directory's part of a user's work list: change requests waiting for
/// a curator, entries nobody has confirmed for a year.
struct DirectoryHome(DirectoryState);

impl HomeItems for DirectoryHome {
    fn items<'a>(
        &'a self,
        user: &'a Principal,
        _ctx: &'a RequestContext,
        lang: Lang,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Vec<HomeItem>, String>> {
        Box::pin(async move {
            let mut items = Vec::new();
            if !user.role.may(Permission::CurateDirectory) {
                return Ok(items);
            }
            let actor = Actor::User(user.clone());
            let service = &self.0.directory_service;
            let pending = service
                .pending_reviews(&actor)
                .await
                .map_err(|e| e.to_string())?;
            if !pending.is_empty() {
                items.push(HomeItem {
                    urgency: Urgency::Due,
                    title: lang
                        .tr(
                            &format!("資源情報の変更申請 {}件が確認待ちです", pending.len()),
                            &format!("{} directory change requests await review", pending.len()),
                        )
                        .to_string(),
                    detail: pending
                        .iter()
                        .take(3)
                        .map(|r| r.entry_name.as_str())
                        .collect::<Vec<_>>()
                        .join("、"),
                    href: "/directory/reviews".into(),
                });
            }
            if user.region_scope().is_some() {
                let fresh = service
                    .freshness(&actor, now)
                    .await
                    .map_err(|e| e.to_string())?;
                if !fresh.overdue.is_empty() {
                    items.push(HomeItem {
                        urgency: Urgency::Info,
                        title: lang
                            .tr(
                                &format!(
                                    "1年以上確認されていない資源情報が {}件あります",
                                    fresh.overdue.len()
                                ),
                                &format!(
                                    "{} directory entries have not been confirmed for a year",
                                    fresh.overdue.len()
                                ),
                            )
                            .to_string(),
                        detail: String::new(),
                        href: "/directory/freshness".into(),
                    });
                }
            }
            Ok(items)
        })
    }
}

/// Everything the directory contributes to the assembly.
pub fn capability(state: DirectoryState) -> Capability {
    let mut cap = Capability::new(
        "directory",
        routes().with_state(state.clone()),
        DirectoryApi::openapi(),
    );
    cap.nav = vec![
        NavEntry {
            href: "/directory",
            ja: "資源検索",
            en: "Directory",
            order: 30,
            shown_to: |p| p.role.may(Permission::ViewProfessionalDirectory),
        },
        NavEntry {
            href: "/map",
            ja: "地域の資源マップ",
            en: "Resource map",
            order: 40,
            shown_to: |_| true,
        },
    ];
    cap.fhir = fhir_resources();
    cap.home = Some(Arc::new(DirectoryHome(state.clone())));
    let demo = state.clone();
    cap.demo = Some(Arc::new(move |now| {
        let state = demo.clone();
        Box::pin(async move {
            renkei_directory::demo::load(state.identity.db(), &state.identity, now)
                .await
                .map_err(|e| e.to_string())
        })
    }));
    // The synthetic national open data (care and medical files), imported
    // through the importers as the operator.
    let db = state.identity.db().clone();
    cap.synthetic = Some(Arc::new(move |run: Synthetic| {
        let db = db.clone();
        Box::pin(async move {
            renkei_directory::synthetic::populate(&db, run.scale, run.seed, &run.operator, run.now)
                .await
                .map_err(|e| e.to_string())
        })
    }));
    let live = state.directory.clone();
    cap.not_ready = Some(Arc::new(move || {
        (!live.is_ready()).then_some("directory index loading")
    }));
    // The index loads in the background (/readyz says so until it is
    // ready) and follows imports made by other processes.
    let refresh = state.clone();
    cap.jobs = vec![Job {
        name: "directory index refresh",
        every: Duration::from_secs(15),
        first_run_at_start: true,
        run: Arc::new(move |now| {
            let state = refresh.clone();
            Box::pin(async move {
                use renkei_directory::live::Refreshed;
                let live = &state.directory;
                let done = live
                    .refresh(state.identity.db(), now)
                    .await
                    .map_err(|e| e.to_string())?;
                // A whole build is saved at once (the next start reads it
                // instead of building); edits at most every ten minutes.
                let every_ms = if done == Refreshed::Built { 0 } else { 600_000 };
                let saved = match live.save_snapshot_if_due(now, every_ms).await {
                    Ok(saved) => saved,
                    Err(e) => {
                        tracing::warn!(error = %e, "directory index snapshot not written");
                        false
                    }
                };
                let saved = if saved { "; snapshot saved" } else { "" };
                Ok(match done {
                    Refreshed::Current => String::new(),
                    Refreshed::Applied(n) => {
                        format!("directory index: {n} changed entries applied{saved}")
                    }
                    Refreshed::Built => {
                        format!("directory index built: {} entries{saved}", live.len())
                    }
                    Refreshed::FromSnapshot => format!(
                        "directory index read from its snapshot: {} entries{saved}",
                        live.len()
                    ),
                })
            })
        }),
    }];
    cap
}
