//! A capability's route table: every route is declared together with its
//! row of the authorisation matrix, so nobody can add a route without
//! deciding who may use it.
//!
//! The matrix is written by hand, independently of the code's permission
//! table: each row names the [`Persona`]s of the matrix test's world who must
//! get through. The test in `renkei-web` (`authz_matrix`) walks every
//! registered capability's rows, sends each request as every persona, and
//! fails on a served route without a row.

use axum::handler::Handler;
use axum::routing::{get, post};
use axum::Router;

/// One route: method and path pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
}

/// Who asks, in the authorisation-matrix test's world. Its region has a
/// patient whose care team is led by `Professional` (主治医) with `Family`
/// as a member, and a professional group `Professional` belongs to; nobody
/// holds an open invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Persona {
    Anonymous,
    /// Password given, TOTP code not yet.
    PendingMfa,
    SystemAdmin,
    RegionAdmin,
    MunicipalOfficer,
    Coordinator,
    /// The lead of the test patient's team and a member of the test group.
    Professional,
    /// A family member on the test patient's team.
    Family,
    Ems,
    /// A 民生委員 / 見守りサポーター, assigned to residents by the desk.
    Watcher,
}

impl Persona {
    pub const ALL: [Persona; 10] = [
        Persona::Anonymous,
        Persona::PendingMfa,
        Persona::SystemAdmin,
        Persona::RegionAdmin,
        Persona::MunicipalOfficer,
        Persona::Coordinator,
        Persona::Professional,
        Persona::Family,
        Persona::Ems,
        Persona::Watcher,
    ];
}

/// Audiences every capability uses; a capability names its own beside its
/// routes.
pub mod audience {
    use super::Persona::{self, *};

    pub const EVERYONE: &[Persona] = &Persona::ALL;
    pub const SIGNED_IN: &[Persona] = &[
        SystemAdmin,
        RegionAdmin,
        MunicipalOfficer,
        Coordinator,
        Professional,
        Family,
        Ems,
        Watcher,
    ];
    /// Signed in, or half-way (password given).
    pub const HALF_OR_MORE: &[Persona] = &[
        PendingMfa,
        SystemAdmin,
        RegionAdmin,
        MunicipalOfficer,
        Coordinator,
        Professional,
        Family,
        Ems,
        Watcher,
    ];
    /// Everyone signed in but family members and community watchers.
    pub const STAFF: &[Persona] = &[
        SystemAdmin,
        RegionAdmin,
        MunicipalOfficer,
        Coordinator,
        Professional,
        Ems,
    ];
    pub const ADMINS: &[Persona] = &[SystemAdmin, RegionAdmin];
    pub const NOBODY: &[Persona] = &[];
}

/// When a row runs in the matrix test: rows that end a right (leaving a
/// team, unlinking an entry, logging out) run after the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum RowOrder {
    #[default]
    Normal,
    Late,
    Later,
    Last,
}

/// One row of the authorisation matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatrixRow {
    pub route: RouteSpec,
    /// Who must get through; everyone else must be refused.
    pub allowed: &'static [Persona],
    /// The request body the test sends (forms urlencoded, API JSON).
    pub body: Option<&'static str>,
    /// The concrete path the test requests, with `{name}` standing for the
    /// test world's ids (`{patient}`, `{post}`, `{entry}`, …). By default
    /// the route's own path.
    pub sample: Option<&'static str>,
    pub order: RowOrder,
    /// The route names something only its audience may know exists (a
    /// patient, a post, a group): others get 404, exactly as for an id that
    /// does not exist, and the matrix counts that 404 as a refusal.
    pub conceals: bool,
}

impl MatrixRow {
    /// The path to request, before the world's ids are filled in.
    pub fn sample_path(&self) -> &'static str {
        self.sample.unwrap_or(self.route.path)
    }
}

/// A capability's routes under construction: the router and the matrix
/// rows grow together.
pub struct RouteTable<S> {
    router: Router<S>,
    rows: Vec<MatrixRow>,
}

impl<S: Clone + Send + Sync + 'static> Default for RouteTable<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Clone + Send + Sync + 'static> RouteTable<S> {
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, method: &'static str, path: &'static str, allowed: &'static [Persona]) {
        self.rows.push(MatrixRow {
            route: RouteSpec { method, path },
            allowed,
            body: None,
            sample: None,
            order: RowOrder::Normal,
            conceals: false,
        });
    }

    /// `GET path`, which `allowed` may use.
    pub fn get<H: Handler<T, S>, T: 'static>(
        mut self,
        path: &'static str,
        handler: H,
        allowed: &'static [Persona],
    ) -> Self {
        self.row("GET", path, allowed);
        self.router = self.router.route(path, get(handler));
        self
    }

    /// `POST path`, which `allowed` may use.
    pub fn post<H: Handler<T, S>, T: 'static>(
        mut self,
        path: &'static str,
        handler: H,
        allowed: &'static [Persona],
    ) -> Self {
        self.row("POST", path, allowed);
        self.router = self.router.route(path, post(handler));
        self
    }

    fn last_row(&mut self) -> &mut MatrixRow {
        let n = self.rows.len();
        assert!(n > 0, "a matrix modifier needs a route before it");
        &mut self.rows[n - 1]
    }

    /// The body the matrix test sends to the route declared last.
    pub fn body(mut self, body: &'static str) -> Self {
        self.last_row().body = Some(body);
        self
    }

    /// The concrete path the matrix test requests for the route declared last.
    pub fn sample(mut self, path: &'static str) -> Self {
        self.last_row().sample = Some(path);
        self
    }

    /// When the matrix test runs the route declared last.
    pub fn order(mut self, order: RowOrder) -> Self {
        self.last_row().order = order;
        self
    }

    /// The route declared last answers 404 to those it refuses (see
    /// [`MatrixRow::conceals`]).
    pub fn conceals(mut self) -> Self {
        self.last_row().conceals = true;
        self
    }

    /// The finished table, its handlers bound to the capability's state.
    pub fn with_state(self, state: S) -> Routes {
        Routes {
            router: self.router.with_state(state),
            rows: self.rows,
        }
    }
}

/// A capability's finished routes and their matrix rows. The fields are
/// private: a route is added only through [`RouteTable`], with its row, and
/// the assembly takes the router and the rows together ([`Routes::into_parts`]),
/// so no route can be served without its row in the matrix.
pub struct Routes {
    router: Router,
    rows: Vec<MatrixRow>,
}

impl Routes {
    pub fn specs(&self) -> impl Iterator<Item = RouteSpec> + '_ {
        self.rows.iter().map(|r| r.route)
    }

    /// The router and its matrix rows, for the assembly to merge.
    pub fn into_parts(self) -> (Router, Vec<MatrixRow>) {
        (self.router, self.rows)
    }
}
