//! What identity stores and hands to the rest of Renkei.

use renkei_domain::{OrgId, OrgKind, Profession, RegionId, Role, Timestamp, UserId};
use serde::Serialize;

/// 連携圏域: a municipality, a group of municipalities working jointly, or a prefecture.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Region {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub is_demo: bool,
    pub created_at: i64,
}

/// 市区町村, identified by its 全国地方公共団体コード (six digits, check digit valid).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Municipality {
    pub id: i64,
    pub region_id: i64,
    pub code: String,
    pub name: String,
    pub kana: String,
    pub population: Option<i64>,
}

/// 事業所・機関.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Organisation {
    pub id: i64,
    pub region_id: i64,
    pub kind: String,
    pub name: String,
    pub kana: String,
    pub municipality_id: Option<i64>,
    pub address: String,
    pub phone: String,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Organisation {
    pub fn org_id(&self) -> OrgId {
        OrgId(self.id)
    }
    pub fn kind(&self) -> Option<OrgKind> {
        OrgKind::from_code(&self.kind)
    }
}

/// A user as stored, secrets included. Never serialised.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRecord {
    pub id: i64,
    pub region_id: Option<i64>,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub role: String,
    pub profession: String,
    pub password_hash: String,
    pub mfa_secret: Option<String>,
    pub mfa_enabled: bool,
    pub mfa_last_step: i64,
    pub disabled: bool,
    pub failed_logins: i64,
    pub locked_at: Option<i64>,
    pub is_demo: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// Wrong second-factor codes since the last successful second factor.
    pub mfa_failures: i64,
    /// A lock-out ends by itself at this instant (Unix ms).
    pub locked_until: Option<i64>,
    /// Lock-outs since the last full login: each one lasts twice as long.
    pub lock_count: i64,
}

impl UserRecord {
    pub fn role(&self) -> Role {
        // An unknown code can only come from manual editing; treat it as the
        // least-privileged role rather than failing every page.
        Role::from_code(&self.role).unwrap_or(Role::Family)
    }
    pub fn profession(&self) -> Profession {
        Profession::from_code(&self.profession).unwrap_or(Profession::Other)
    }
    /// Whether a lock-out is in force at `now`.
    pub fn locked_at_time(&self, now: Timestamp) -> bool {
        self.locked_until.is_some_and(|until| until > now.millis())
    }
    /// The user as lists show them, locked or not at `now`.
    pub fn summary(&self, now: Timestamp) -> UserSummary {
        UserSummary {
            id: self.id,
            region_id: self.region_id,
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            email: self.email.clone(),
            role: self.role(),
            profession: self.profession(),
            mfa_enabled: self.mfa_enabled,
            disabled: self.disabled,
            locked: self.locked_at_time(now),
            failed_logins: self.failed_logins,
            is_demo: self.is_demo,
        }
    }
}

/// A user without secrets, for lists and the API.
#[derive(Debug, Clone, Serialize)]
pub struct UserSummary {
    pub id: i64,
    pub region_id: Option<i64>,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub role: Role,
    pub profession: Profession,
    pub mfa_enabled: bool,
    pub disabled: bool,
    pub locked: bool,
    pub failed_logins: i64,
    pub is_demo: bool,
}

/// A person who works in a region, as the other staff of the region may see
/// them (FHIR Practitioner): no e-mail, no account state. Family members
/// and system administrators are not practitioners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PractitionerView {
    pub id: UserId,
    pub display_name: String,
    pub profession: Profession,
    pub role: Role,
    /// A disabled account: the person no longer works here.
    pub active: bool,
}

impl UserRecord {
    /// Whether this account is a practitioner ([`PractitionerView`]).
    pub fn is_practitioner(&self) -> bool {
        !matches!(
            self.role(),
            Role::Family | Role::SystemAdmin | Role::Watcher
        ) && self.profession() != Profession::Family
    }
}

/// A stored session.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRecord {
    pub token_hash: String,
    pub user_id: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub mfa_passed: bool,
    pub csrf_token: String,
    pub ended_at: Option<i64>,
    /// Codes tried in this session (see `store::reserve_code_attempt`).
    pub code_attempts: i64,
}

/// A personal API token as listed to its owner (never the secret).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApiTokenRecord {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl ApiTokenRecord {
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at > now.millis()
    }
}

/// What an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// GET requests.
    Read,
    /// Everything else.
    Write,
}

impl Scope {
    pub fn parse_list(s: &str) -> Vec<Scope> {
        s.split([',', ' '])
            .filter_map(|p| match p.trim() {
                "read" => Some(Scope::Read),
                "write" => Some(Scope::Write),
                _ => None,
            })
            .collect()
    }
}

/// How the current request was authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A browser session (cookie) that passed MFA where required.
    Session { csrf_token: String },
    /// A personal API token with its scopes.
    ApiToken { token_id: i64, scopes: Vec<Scope> },
}

/// The authenticated user of a request: who they are, what role they act in,
/// and which region and organisations bound what they see.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub profession: Profession,
    /// `None` only for system administrators, who span regions.
    pub region_id: Option<RegionId>,
    pub org_ids: Vec<OrgId>,
    pub credential: Credential,
    pub mfa_enabled: bool,
    pub is_demo: bool,
}

impl Principal {
    /// The region every query of this user is limited to; `None` means all
    /// regions (system administrators only).
    pub fn region_scope(&self) -> Option<RegionId> {
        if self.role == Role::SystemAdmin {
            None
        } else {
            // A non-admin without a region sees nothing: scope to an id that never exists.
            Some(self.region_id.unwrap_or(RegionId(-1)))
        }
    }

    /// Whether this request may change data (API tokens need the write scope).
    pub fn may_write(&self) -> bool {
        match &self.credential {
            Credential::Session { .. } => true,
            Credential::ApiToken { scopes, .. } => scopes.contains(&Scope::Write),
        }
    }
}

/// Who performs a service call, for authorisation and the audit trail.
#[derive(Debug, Clone)]
pub enum Actor {
    /// An authenticated user through the web UI or the API.
    User(Principal),
    /// An operator at the server's command line (`renkei user create` …),
    /// who already has full control of the database.
    Cli { os_user: String },
}

impl Actor {
    pub fn role(&self) -> Role {
        match self {
            Actor::User(p) => p.role,
            Actor::Cli { .. } => Role::SystemAdmin,
        }
    }
    pub fn region_scope(&self) -> Option<RegionId> {
        match self {
            Actor::User(p) => p.region_scope(),
            Actor::Cli { .. } => None,
        }
    }
    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Actor::User(p) => Some(p.user_id),
            Actor::Cli { .. } => None,
        }
    }
    pub fn username(&self) -> String {
        match self {
            Actor::User(p) => p.username.clone(),
            Actor::Cli { os_user } => format!("cli:{os_user}"),
        }
    }
}

/// Where a request came from, for the audit trail and throttling.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub source_addr: String,
    pub user_agent: String,
}

impl RequestContext {
    pub fn cli() -> Self {
        Self {
            source_addr: "cli".into(),
            user_agent: "renkei-cli".into(),
        }
    }
}

/// Input for a new organisation.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewOrganisation {
    pub region_id: Option<i64>,
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub kana: String,
    #[serde(default)]
    pub municipality_id: Option<i64>,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub phone: String,
}

/// Input for a new user.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewUser {
    pub region_id: Option<i64>,
    pub username: String,
    pub display_name: String,
    #[serde(default)]
    pub email: String,
    pub role: String,
    pub profession: String,
    pub password: String,
    #[serde(default)]
    pub org_ids: Vec<i64>,
    #[serde(default)]
    pub is_demo: bool,
}

/// Input for a new municipality.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewMunicipality {
    pub region_id: Option<i64>,
    /// 全国地方公共団体コード, five digits or six with the check digit.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub kana: String,
    #[serde(default)]
    pub population: Option<i64>,
}
