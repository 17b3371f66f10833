//! What a capability hands the assembly: one [`Capability`] value.
//!
//! The assembly (`renkei-web`, `renkei serve`, `--demo`, `/fhir/metadata`)
//! loops over the registered capabilities and merges these parts, so adding
//! a capability is one line there. Each part is built by the capability's
//! own web crate from its own services.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use renkei_domain::Timestamp;
use renkei_identity::{Principal, RequestContext};

use crate::i18n::Lang;
use crate::routes::Routes;

/// A boxed future, for the parts that run later (home items, jobs, demo data).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Everything one capability contributes.
pub struct Capability {
    /// The capability's name (`identity`, `directory`, `care`, …), as in its crates.
    pub name: &'static str,
    /// Its pages, JSON API and FHIR routes, each with its matrix row.
    pub routes: Routes,
    /// Its part of `/api/v1/openapi.json`.
    pub openapi: utoipa::openapi::OpenApi,
    /// Its entries in the main menu.
    pub nav: Vec<NavEntry>,
    /// The FHIR resources it serves, for `/fhir/metadata`.
    pub fhir: Vec<renkei_interop::FhirResource>,
    /// What needs the signed-in user now, for the home page.
    pub home: Option<Arc<dyn HomeItems>>,
    /// What it shows on a care patient's page.
    pub patient: Option<Arc<dyn PatientItems>>,
    /// Background work the server runs while it is up.
    pub jobs: Vec<Job>,
    /// Whether the capability can answer yet; `Some(reason)` keeps
    /// `/readyz` at 503 (a search index still loading).
    pub not_ready: Option<ReadinessCheck>,
    /// Loads the capability's demo data (`renkei serve --demo`), after the
    /// capabilities registered before it.
    pub demo: Option<DemoLoader>,
    /// Writes the capability's deterministic synthetic data at a scale
    /// (`renkei bench populate`), after the capabilities registered before
    /// it: what load tests and benchmarks run against.
    pub synthetic: Option<SyntheticLoader>,
}

impl Capability {
    /// A capability with routes and an OpenAPI part and nothing else yet.
    pub fn new(name: &'static str, routes: Routes, openapi: utoipa::openapi::OpenApi) -> Self {
        Self {
            name,
            routes,
            openapi,
            nav: Vec::new(),
            fhir: Vec::new(),
            home: None,
            patient: None,
            jobs: Vec::new(),
            not_ready: None,
            demo: None,
            synthetic: None,
        }
    }
}

/// One entry of the main menu.
#[derive(Clone, Copy)]
pub struct NavEntry {
    pub href: &'static str,
    pub ja: &'static str,
    pub en: &'static str,
    /// Position in the menu (home is 0; gaps leave room for new capabilities).
    pub order: u16,
    /// Whether the signed-in user sees it.
    pub shown_to: fn(&Principal) -> bool,
}

impl std::fmt::Debug for NavEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NavEntry")
            .field("href", &self.href)
            .field("order", &self.order)
            .finish()
    }
}

impl NavEntry {
    pub fn label(&self, lang: Lang) -> &'static str {
        lang.tr(self.ja, self.en)
    }
}

/// How soon a home item needs the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Urgency {
    /// Now: an urgent post, a patient waiting for an answer.
    Urgent,
    /// Today: invitations, reviews, entries to confirm.
    Due,
    /// Good to know.
    Info,
}

impl Urgency {
    /// The CSS class of the item.
    pub fn class(self) -> &'static str {
        match self {
            Urgency::Urgent => "urgent",
            Urgency::Due => "due",
            Urgency::Info => "info",
        }
    }
}

/// One line of a user's work list on the home page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeItem {
    pub urgency: Urgency,
    /// What it is, in the page's language.
    pub title: String,
    /// One line more (who, when), in the page's language.
    pub detail: String,
    pub href: String,
}

/// A capability's contribution to the home page: what needs this user now.
pub trait HomeItems: Send + Sync {
    fn items<'a>(
        &'a self,
        user: &'a Principal,
        ctx: &'a RequestContext,
        lang: Lang,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Vec<HomeItem>, String>>;
}

/// One line another capability shows on a care patient's page (the
/// emergency record and its ACP summary; later the 副主治医): what it is
/// and where to read more, already in the page's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientItem {
    pub title: String,
    pub detail: String,
    pub href: String,
}

/// A capability's contribution to a care patient's page. Care's page asks
/// every registered provider; each decides (and audits) what the viewer
/// may see of the patient, and answers nothing for anyone else.
pub trait PatientItems: Send + Sync {
    fn items<'a>(
        &'a self,
        user: &'a Principal,
        ctx: &'a RequestContext,
        patient: renkei_domain::PatientId,
        lang: Lang,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Vec<PatientItem>, String>>;
}

/// Every registered [`PatientItems`] provider, as the request context
/// carries them to care's patient page.
#[derive(Clone)]
pub struct PatientItemProviders(pub Arc<[Arc<dyn PatientItems>]>);

impl Default for PatientItemProviders {
    fn default() -> Self {
        Self(Arc::from(Vec::new()))
    }
}

impl std::fmt::Debug for PatientItemProviders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PatientItemProviders({})", self.0.len())
    }
}

impl PatientItemProviders {
    /// Every provider's lines for the patient, in registration order; a
    /// provider that fails is logged and left out, so one capability's
    /// trouble never hides the patient's page.
    pub async fn items(
        &self,
        user: &Principal,
        ctx: &RequestContext,
        patient: renkei_domain::PatientId,
        lang: Lang,
        now: Timestamp,
    ) -> Vec<PatientItem> {
        let mut out = Vec::new();
        for provider in self.0.iter() {
            match provider.items(user, ctx, patient, lang, now).await {
                Ok(items) => out.extend(items),
                Err(e) => tracing::warn!(error = %e, patient = %patient, "patient page items"),
            }
        }
        out
    }
}

/// Background work the server runs every `every`, given the current time.
#[derive(Clone)]
pub struct Job {
    pub name: &'static str,
    pub every: Duration,
    /// Wait one period before the first run (a daily digest) or run at once
    /// (an index that must be built).
    pub first_run_at_start: bool,
    pub run: Arc<dyn Fn(Timestamp) -> BoxFuture<'static, Result<String, String>> + Send + Sync>,
}

/// `Some(reason)` while a capability cannot answer yet.
pub type ReadinessCheck = Arc<dyn Fn() -> Option<&'static str> + Send + Sync>;

/// Loads demo data as of the given moment; says what it loaded.
pub type DemoLoader =
    Arc<dyn Fn(Timestamp) -> BoxFuture<'static, Result<String, String>> + Send + Sync>;

/// What a synthetic-data generator is asked for.
#[derive(Debug, Clone)]
pub struct Synthetic {
    /// The same seed gives the same data.
    pub seed: u64,
    /// 1.0 is the size the benchmarks are specified at (the national files
    /// for the directory, a prefecture for care); 0.01 is a quick run.
    pub scale: f64,
    /// The moment the data is generated at (recent activity is dated
    /// before it).
    pub now: Timestamp,
    /// Who runs it at the command line, for the audit trail.
    pub operator: String,
}

/// Writes synthetic data into the database; says what it wrote.
pub type SyntheticLoader =
    Arc<dyn Fn(Synthetic) -> BoxFuture<'static, Result<String, String>> + Send + Sync>;
