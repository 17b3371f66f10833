//! The identity service: every rule about logging in, sessions, MFA, tokens
//! and administering users and organisations lives here, and every outcome is
//! audited.

use base64::Engine;
use rand::RngCore;
use renkei_domain::people::Permission;
use renkei_domain::{
    LocalGovernmentCode, OrgId, OrgKind, Profession, RegionId, Role, Timestamp, UserId,
    ValidationErrors,
};
use renkei_store::audit::{self, AuditEntry, AuditQuery, AuditRecord, Outcome};
use renkei_store::{Db, Tx};

use crate::model::*;
use crate::{mfa, password, store, IdentityError};

/// Tunables, from `renkei.toml` / `RENKEI_*`.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    /// A session unused for this long ends (MHLW 6.0: no long idle sessions).
    pub session_idle_secs: i64,
    /// A session ends this long after login whatever happens.
    pub session_absolute_secs: i64,
    /// Consecutive failed passwords, or consecutive failed codes, before an
    /// account locks.
    pub lockout_threshold: i64,
    /// How long the first lock-out lasts; each further one (before a full
    /// successful login) lasts twice as long, up to `lockout_max_secs`.
    pub lockout_base_secs: i64,
    pub lockout_max_secs: i64,
    /// Wrong codes one pending session may type before it ends (the user
    /// starts again from the password).
    pub mfa_attempts_per_session: i64,
    /// Failed logins allowed from one address within `throttle_window_secs`.
    pub throttle_per_source: i64,
    pub throttle_window_secs: i64,
    /// Whether roles that can see patient data must use TOTP.
    pub require_mfa: bool,
    /// Whether the server runs with `--demo`; demo accounts log in only then.
    pub demo_mode: bool,
    /// Longest lifetime of a personal API token.
    pub api_token_max_days: i64,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            session_idle_secs: 30 * 60,
            session_absolute_secs: 12 * 3600,
            lockout_threshold: 5,
            lockout_base_secs: 15 * 60,
            lockout_max_secs: 24 * 3600,
            mfa_attempts_per_session: 5,
            throttle_per_source: 30,
            throttle_window_secs: 15 * 60,
            require_mfa: true,
            demo_mode: false,
            api_token_max_days: 365,
        }
    }
}

/// What happens after a correct password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// Signed in; go home.
    Home,
    /// Enter the current TOTP code.
    Mfa,
    /// This role must enrol TOTP before anything else.
    Enrol,
}

/// What an account-recovery step ended: the CLI and the admin page say so.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CredentialsEnded {
    pub sessions: u64,
    pub api_tokens: u64,
}

/// The cookie value of a new session and where to go next.
#[derive(Debug, Clone)]
pub struct LoginResult {
    pub session_token: String,
    pub next: NextStep,
}

/// What a session cookie stands for.
#[derive(Debug, Clone)]
pub enum SessionState {
    /// Fully signed in.
    Active(Principal),
    /// Password given; the TOTP code is still due.
    NeedsMfa {
        user: UserSummary,
        csrf_token: String,
    },
    /// Password given; this role must enrol TOTP first.
    NeedsEnrolment {
        user: UserSummary,
        csrf_token: String,
    },
}

/// A TOTP enrolment in progress.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub secret: String,
    pub url: String,
    pub qr_svg: String,
}

#[derive(Clone)]
pub struct Identity {
    db: Db,
    config: IdentityConfig,
    /// Where every rule (session idle and absolute limits, lock-outs,
    /// throttles, code steps) reads the time.
    clock: std::sync::Arc<dyn renkei_domain::Clock>,
}

fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

fn entry(
    actor: &Actor,
    ctx: &RequestContext,
    action: &str,
    kind: &str,
    id: impl ToString,
) -> AuditEntry {
    let (region_id, org_id) = match actor {
        Actor::User(p) => (p.region_id, p.org_ids.first().copied()),
        Actor::Cli { .. } => (None, None),
    };
    AuditEntry {
        region_id,
        actor_user_id: actor.user_id(),
        actor_username: actor.username(),
        role: actor.role().code().to_string(),
        org_id,
        action: action.to_string(),
        object_kind: kind.to_string(),
        object_id: id.to_string(),
        patient_id: None,
        outcome: Some(Outcome::Success),
        source_addr: ctx.source_addr.clone(),
        user_agent: ctx.user_agent.clone(),
        reason: String::new(),
    }
}

/// A login attempt by no known user (or before the user is looked up): the
/// name as typed, no role.
fn attempt_entry(
    username: &str,
    ctx: &RequestContext,
    outcome: Outcome,
    reason: &str,
) -> AuditEntry {
    AuditEntry {
        actor_username: username.to_string(),
        action: "login".into(),
        object_kind: "user".into(),
        outcome: Some(outcome),
        source_addr: ctx.source_addr.clone(),
        user_agent: ctx.user_agent.clone(),
        reason: reason.into(),
        ..AuditEntry::default()
    }
}

/// Refuses passwords shorter than [`password::MIN_LENGTH`].
fn check_password_length(password: &str, errors: &mut ValidationErrors) {
    if password.chars().count() < password::MIN_LENGTH {
        errors.add(
            "password",
            "too_short",
            &format!(
                "パスワードは{}文字以上にしてください。",
                password::MIN_LENGTH
            ),
            &format!(
                "Password must be at least {} characters.",
                password::MIN_LENGTH
            ),
        );
    }
}

fn user_entry(
    user: &UserRecord,
    ctx: &RequestContext,
    action: &str,
    outcome: Outcome,
) -> AuditEntry {
    AuditEntry {
        region_id: user.region_id.map(RegionId),
        actor_user_id: Some(UserId(user.id)),
        actor_username: user.username.clone(),
        role: user.role.clone(),
        org_id: None,
        action: action.to_string(),
        object_kind: "user".into(),
        object_id: user.id.to_string(),
        patient_id: None,
        outcome: Some(outcome),
        source_addr: ctx.source_addr.clone(),
        user_agent: ctx.user_agent.clone(),
        reason: String::new(),
    }
}

impl Identity {
    pub fn new(db: Db, config: IdentityConfig) -> Self {
        // The one place below the edge that takes the real clock: identity
        // reads it per request through `Clock`, which tests replace.
        #[allow(clippy::disallowed_types)]
        let clock = std::sync::Arc::new(renkei_domain::SystemClock);
        Self::with_clock(db, config, clock)
    }

    /// An identity service that reads the time from `clock` (tests of
    /// expiry and lock-out at any instant).
    pub fn with_clock(
        db: Db,
        config: IdentityConfig,
        clock: std::sync::Arc<dyn renkei_domain::Clock>,
    ) -> Self {
        Self { db, config, clock }
    }

    /// The current time, from the service's clock (crate-private: other
    /// capabilities take the time as a parameter from their edge).
    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn config(&self) -> &IdentityConfig {
        &self.config
    }

    fn needs_mfa(&self, user: &UserRecord) -> bool {
        user.mfa_enabled || (self.config.require_mfa && user.role().requires_mfa())
    }

    // ---- logging in ---------------------------------------------------------

    /// How long the next lock-out of `user` lasts: the base period, doubled
    /// for every lock-out since the last full login, up to the maximum.
    fn lock_ms(&self, user: &UserRecord) -> i64 {
        let doubling = user.lock_count.clamp(0, 20) as u32;
        self.config
            .lockout_base_secs
            .saturating_mul(1i64 << doubling)
            .min(self.config.lockout_max_secs)
            .max(1)
            * 1000
    }

    /// Refuses when one address has failed too often recently (passwords and
    /// codes alike).
    async fn check_throttle(
        &self,
        username: &str,
        ctx: &RequestContext,
    ) -> Result<(), IdentityError> {
        let since = self.now().plus_seconds(-self.config.throttle_window_secs);
        let recent = store::count_login_failures_since(&self.db, &ctx.source_addr, since).await?;
        if recent >= self.config.throttle_per_source {
            let e = attempt_entry(username, ctx, Outcome::Denied, "throttled");
            audit::append_alone(&self.db, &e).await?;
            return Err(IdentityError::Throttled {
                retry_after_secs: self.config.throttle_window_secs,
            });
        }
        Ok(())
    }

    /// Checks a password. Failures are counted per account (lock-out) and per
    /// source address (throttling), in the database so every process agrees.
    ///
    /// A locked account and a wrong password get the same answer
    /// ([`IdentityError::BadCredentials`]), so the answer reveals neither
    /// which names exist nor which accounts are locked; the audit trail
    /// records which it was.
    pub async fn login(
        &self,
        username: &str,
        pass: &str,
        ctx: &RequestContext,
    ) -> Result<LoginResult, IdentityError> {
        let username = username.trim().to_lowercase();
        self.check_throttle(&username, ctx).await?;
        let Some(user) = store::user_by_username(&self.db, &username).await? else {
            password::verify_dummy(pass).await;
            let mut tx = self.db.begin().await?;
            store::insert_login_failure(&mut tx, &username, &ctx.source_addr, self.now()).await?;
            let e = attempt_entry(&username, ctx, Outcome::Failure, "unknown user");
            audit::append(&mut tx, &e).await?;
            tx.commit().await?;
            return Err(IdentityError::BadCredentials);
        };
        let now = self.now();
        if user.locked_at_time(now) {
            // The hash is still checked so a locked account answers as slowly
            // as any other; the attempt counts against the address only.
            let _ = password::verify(pass, &user.password_hash).await;
            let mut tx = self.db.begin().await?;
            store::insert_login_failure(&mut tx, &user.username, &ctx.source_addr, self.now())
                .await?;
            let mut e = user_entry(&user, ctx, "login", Outcome::Denied);
            e.reason = "locked".into();
            audit::append(&mut tx, &e).await?;
            tx.commit().await?;
            return Err(IdentityError::BadCredentials);
        }
        if !password::verify(pass, &user.password_hash).await {
            return Err(self
                .count_failure(
                    &user,
                    ctx,
                    "login",
                    "wrong password",
                    store::FailureCounter::Password,
                )
                .await?);
        }
        // Only someone who knows the password learns that the account is
        // disabled.
        if user.disabled || (user.is_demo && !self.config.demo_mode) {
            let mut e = user_entry(&user, ctx, "login", Outcome::Denied);
            e.reason = if user.disabled {
                "disabled".into()
            } else {
                "demo account outside --demo".into()
            };
            audit::append_alone(&self.db, &e).await?;
            return Err(IdentityError::Disabled);
        }
        let token = random_token(32);
        let next = if !self.needs_mfa(&user) {
            NextStep::Home
        } else if user.mfa_enabled {
            NextStep::Mfa
        } else {
            NextStep::Enrol
        };
        let mut tx = self.db.begin().await?;
        if next == NextStep::Home {
            store::reset_all_failures(&mut tx, user.id).await?;
        } else {
            // Wrong codes are remembered until a second factor succeeds.
            store::reset_failed_logins(&mut tx, user.id).await?;
        }
        store::insert_session(
            &mut tx,
            &mfa::sha256_hex(&token),
            user.id,
            next == NextStep::Home,
            &random_token(24),
            ctx,
            self.now(),
        )
        .await?;
        let mut e = user_entry(&user, ctx, "login", Outcome::Success);
        e.reason = match next {
            NextStep::Home => "password".into(),
            NextStep::Mfa => "password; awaiting MFA code".into(),
            NextStep::Enrol => "password; MFA enrolment required".into(),
        };
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(LoginResult {
            session_token: token,
            next,
        })
    }

    /// Counts one failure against `user` and returns the error to show.
    async fn count_failure(
        &self,
        user: &UserRecord,
        ctx: &RequestContext,
        action: &str,
        reason: &str,
        counter: store::FailureCounter,
    ) -> Result<IdentityError, IdentityError> {
        let now = self.now();
        let lock_ms = self.lock_ms(user);
        let mut tx = self.db.begin().await?;
        let locked = store::record_failure(
            &mut tx,
            user.id,
            counter,
            self.config.lockout_threshold,
            now,
            lock_ms,
        )
        .await?;
        store::insert_login_failure(&mut tx, &user.username, &ctx.source_addr, self.now()).await?;
        let mut e = user_entry(user, ctx, action, Outcome::Failure);
        e.reason = reason.into();
        audit::append(&mut tx, &e).await?;
        if locked {
            store::end_pending_sessions_of_user(&mut tx, user.id, self.now()).await?;
            let mut e = user_entry(user, ctx, "account.lock", Outcome::Success);
            e.reason = format!(
                "{} consecutive failures ({}); locked for {} min",
                self.config.lockout_threshold,
                match counter {
                    store::FailureCounter::Password => "passwords",
                    store::FailureCounter::SecondFactor => "codes",
                },
                lock_ms / 60_000
            );
            audit::append(&mut tx, &e).await?;
        }
        tx.commit().await?;
        Ok(match (action, locked) {
            ("login", _) => IdentityError::BadCredentials,
            (_, true) => IdentityError::Locked,
            _ => IdentityError::BadCode,
        })
    }

    /// Resolves a session cookie, enforcing the idle and absolute time-outs.
    pub async fn session(&self, token: &str) -> Result<Option<SessionState>, IdentityError> {
        let hash = mfa::sha256_hex(token);
        let Some((s, user, org_ids)) = store::session_with_user(&self.db, &hash).await? else {
            return Ok(None);
        };
        let now = self.now();
        if s.ended_at.is_some()
            || now.millis() - s.last_seen_at > self.config.session_idle_secs * 1000
            || now.millis() - s.created_at > self.config.session_absolute_secs * 1000
        {
            return Ok(None);
        }
        // A lock-out stops new logins; sessions that passed both factors
        // before it go on (otherwise anyone could sign a user out by typing
        // wrong passwords). Pending sessions were ended when the lock began.
        if user.disabled || (user.is_demo && !self.config.demo_mode) {
            return Ok(None);
        }
        let gap = (self.config.session_idle_secs * 1000 / 4).clamp(1000, 60_000);
        if now.millis() - s.last_seen_at > gap {
            store::touch_session(&self.db, &hash, now, gap).await?;
        }
        if !s.mfa_passed && self.needs_mfa(&user) {
            return Ok(Some(if user.mfa_enabled {
                SessionState::NeedsMfa {
                    user: user.summary(self.now()),
                    csrf_token: s.csrf_token,
                }
            } else {
                SessionState::NeedsEnrolment {
                    user: user.summary(self.now()),
                    csrf_token: s.csrf_token,
                }
            }));
        }
        Ok(Some(SessionState::Active(principal(
            &user,
            org_ids,
            Credential::Session {
                csrf_token: s.csrf_token,
            },
        ))))
    }

    async fn pending_session_user(
        &self,
        token: &str,
    ) -> Result<(String, UserRecord), IdentityError> {
        let hash = mfa::sha256_hex(token);
        match self.session(token).await? {
            Some(SessionState::NeedsMfa { user, .. })
            | Some(SessionState::NeedsEnrolment { user, .. }) => {
                let record = store::user_by_id(&self.db, user.id)
                    .await?
                    .ok_or(IdentityError::Unauthenticated)?;
                Ok((hash, record))
            }
            Some(SessionState::Active(p)) => {
                let record = store::user_by_id(&self.db, p.user_id.0)
                    .await?
                    .ok_or(IdentityError::Unauthenticated)?;
                Ok((hash, record))
            }
            None => Err(IdentityError::Unauthenticated),
        }
    }

    /// Checks that a pending session may try another code, and takes one of
    /// its attempts: the address is not throttled, the account not locked,
    /// the session neither ended nor used up. Returns how many attempts the
    /// session has now used.
    async fn take_code_attempt(
        &self,
        hash: &str,
        user: &UserRecord,
        ctx: &RequestContext,
    ) -> Result<i64, IdentityError> {
        self.check_throttle(&user.username, ctx).await?;
        let mut tx = self.db.begin().await?;
        let locked = user.locked_at_time(self.now());
        let taken = if locked {
            None
        } else {
            store::reserve_code_attempt(&mut tx, hash, self.config.mfa_attempts_per_session).await?
        };
        match taken {
            Some(n) => {
                tx.commit().await?;
                Ok(n)
            }
            None => {
                store::end_session(&mut tx, hash, self.now()).await?;
                let mut e = user_entry(user, ctx, "login.mfa", Outcome::Denied);
                e.reason = if locked {
                    "locked".into()
                } else {
                    "no code attempts left in this session".into()
                };
                audit::append(&mut tx, &e).await?;
                tx.commit().await?;
                Err(IdentityError::Locked)
            }
        }
    }

    /// A wrong code: counted against the account (second-factor counter)
    /// and the address; the pending session ends when its attempts are used
    /// up.
    async fn wrong_code(
        &self,
        hash: &str,
        attempts_used: i64,
        user: &UserRecord,
        ctx: &RequestContext,
        action: &str,
        reason: &str,
    ) -> Result<IdentityError, IdentityError> {
        let err = self
            .count_failure(
                user,
                ctx,
                action,
                reason,
                store::FailureCounter::SecondFactor,
            )
            .await?;
        if attempts_used >= self.config.mfa_attempts_per_session {
            let mut tx = self.db.begin().await?;
            store::end_session(&mut tx, hash, self.now()).await?;
            tx.commit().await?;
            return Ok(IdentityError::Locked);
        }
        Ok(err)
    }

    /// Replaces a pending session by a fully signed-in one: a new cookie
    /// value and a new CSRF token, so a copy of the pre-MFA cookie is worth
    /// nothing. Runs inside the caller's transaction.
    async fn promote_session(
        &self,
        tx: &mut Tx,
        old_hash: &str,
        user: &UserRecord,
        ctx: &RequestContext,
    ) -> Result<String, IdentityError> {
        // The pending session must still be live (not ended by a lock-out or
        // by its attempt limit while this code was being checked), and the
        // account not locked, both read inside this transaction.
        if !store::end_session(tx, old_hash, self.now()).await?
            || store::locked_now(tx, user.id, self.now()).await?
        {
            return Err(IdentityError::Locked);
        }
        let token = random_token(32);
        store::insert_session(
            tx,
            &mfa::sha256_hex(&token),
            user.id,
            true,
            &random_token(24),
            ctx,
            self.now(),
        )
        .await?;
        store::reset_all_failures(tx, user.id).await?;
        Ok(token)
    }

    /// Second factor: a TOTP code or an unused recovery code. Returns the
    /// new session cookie value (the pending one has ended).
    pub async fn verify_mfa(
        &self,
        token: &str,
        code: &str,
        ctx: &RequestContext,
    ) -> Result<String, IdentityError> {
        let (hash, user) = self.pending_session_user(token).await?;
        let Some(secret) = user.mfa_secret.as_deref().filter(|_| user.mfa_enabled) else {
            return Err(IdentityError::Forbidden);
        };
        let attempts_used = self.take_code_attempt(&hash, &user, ctx).await?;
        let now_secs = self.now().millis() as u64 / 1000;
        let mut tx = self.db.begin().await?;
        let accepted = if let Some(step) = mfa::check(secret, code, now_secs, user.mfa_last_step)? {
            store::advance_mfa_step(&mut tx, user.id, step)
                .await?
                .then_some("totp")
        } else if code.trim().len() >= 8 && code.len() <= 64 {
            store::use_recovery_code(&mut tx, user.id, &mfa::sha256_hex(code), self.now())
                .await?
                .then_some("recovery code")
        } else {
            None
        };
        match accepted {
            Some(how) => {
                let new_token = self.promote_session(&mut tx, &hash, &user, ctx).await?;
                let mut e = user_entry(&user, ctx, "login.mfa", Outcome::Success);
                e.reason = how.into();
                audit::append(&mut tx, &e).await?;
                tx.commit().await?;
                Ok(new_token)
            }
            None => {
                drop(tx);
                Err(self
                    .wrong_code(
                        &hash,
                        attempts_used,
                        &user,
                        ctx,
                        "login.mfa",
                        "wrong or reused code",
                    )
                    .await?)
            }
        }
    }

    /// Starts (or restarts) TOTP enrolment for the session's user.
    pub async fn begin_enrolment(&self, token: &str) -> Result<Enrolment, IdentityError> {
        let (_, user) = self.pending_session_user(token).await?;
        if user.mfa_enabled {
            return Err(IdentityError::Conflict("MFA is already enabled".into()));
        }
        let secret = match user.mfa_secret {
            Some(s) => s,
            None => {
                let s = mfa::new_secret();
                let mut tx = self.db.begin().await?;
                store::set_mfa_secret(&mut tx, user.id, Some(&s), false, self.now()).await?;
                tx.commit().await?;
                s
            }
        };
        let url = mfa::provisioning_url(&secret, &user.username)?;
        let qr_svg = mfa::qr_svg(&url)?;
        Ok(Enrolment {
            secret,
            url,
            qr_svg,
        })
    }

    /// Confirms enrolment with a first code; returns the new session cookie
    /// value (the pending session has ended) and the recovery codes, shown
    /// once.
    pub async fn confirm_enrolment(
        &self,
        token: &str,
        code: &str,
        ctx: &RequestContext,
    ) -> Result<(String, Vec<String>), IdentityError> {
        let (hash, user) = self.pending_session_user(token).await?;
        if user.mfa_enabled {
            return Err(IdentityError::Conflict("MFA is already enabled".into()));
        }
        let secret = user.mfa_secret.clone().ok_or(IdentityError::Forbidden)?;
        let attempts_used = self.take_code_attempt(&hash, &user, ctx).await?;
        let now_secs = self.now().millis() as u64 / 1000;
        let Some(step) = mfa::check(&secret, code, now_secs, 0)? else {
            return Err(self
                .wrong_code(
                    &hash,
                    attempts_used,
                    &user,
                    ctx,
                    "mfa.enrol",
                    "wrong code at enrolment",
                )
                .await?);
        };
        let codes = mfa::new_recovery_codes();
        let hashes: Vec<String> = codes.iter().map(|c| mfa::sha256_hex(c)).collect();
        let mut tx = self.db.begin().await?;
        store::set_mfa_secret(&mut tx, user.id, Some(&secret), true, self.now()).await?;
        store::advance_mfa_step(&mut tx, user.id, step).await?;
        store::replace_recovery_codes(&mut tx, user.id, &hashes).await?;
        let new_token = self.promote_session(&mut tx, &hash, &user, ctx).await?;
        audit::append(
            &mut tx,
            &user_entry(&user, ctx, "mfa.enrol", Outcome::Success),
        )
        .await?;
        tx.commit().await?;
        Ok((new_token, codes))
    }

    /// Ends a session (on this and every other process, since they share the table).
    pub async fn logout(&self, token: &str, ctx: &RequestContext) -> Result<(), IdentityError> {
        let hash = mfa::sha256_hex(token);
        let Some(s) = store::session_by_hash(&self.db, &hash).await? else {
            return Ok(());
        };
        let user = store::user_by_id(&self.db, s.user_id).await?;
        let mut tx = self.db.begin().await?;
        if store::end_session(&mut tx, &hash, self.now()).await? {
            if let Some(user) = user {
                audit::append(&mut tx, &user_entry(&user, ctx, "logout", Outcome::Success)).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    // ---- API tokens -----------------------------------------------------------

    /// Creates a personal API token. The secret is returned once and stored hashed.
    pub async fn create_api_token(
        &self,
        owner: &Principal,
        name: &str,
        scopes: &[Scope],
        days: i64,
        ctx: &RequestContext,
    ) -> Result<(i64, String), IdentityError> {
        let mut v = ValidationErrors::new();
        v.require("name", name, "名前", "Name");
        if name.chars().count() > 100 {
            v.add(
                "name",
                "too_long",
                "名前は100文字以内にしてください。",
                "Name must be at most 100 characters.",
            );
        }
        if scopes.is_empty() {
            v.add(
                "scopes",
                "required",
                "権限（読み取り・書き込み）を選んでください。",
                "Choose at least one scope.",
            );
        }
        if days < 1 || days > self.config.api_token_max_days {
            v.add(
                "days",
                "range",
                &format!(
                    "有効期間は1〜{}日で指定してください。",
                    self.config.api_token_max_days
                ),
                &format!(
                    "Lifetime must be 1 to {} days.",
                    self.config.api_token_max_days
                ),
            );
        }
        v.into_result().map_err(IdentityError::Validation)?;
        let prefix = random_token(6);
        let secret = format!("rk_{prefix}_{}", random_token(32));
        let scope_text = scopes
            .iter()
            .map(|s| match s {
                Scope::Read => "read",
                Scope::Write => "write",
            })
            .collect::<Vec<_>>()
            .join(",");
        let actor = Actor::User(owner.clone());
        let mut tx = self.db.begin().await?;
        let now = self.now();
        let id = store::insert_api_token(
            &mut tx,
            &store::NewApiToken {
                user_id: owner.user_id.0,
                name: name.trim(),
                prefix: &prefix,
                token_hash: &mfa::sha256_hex(&secret),
                scopes: &scope_text,
                expires_at: now.plus_seconds(days * 86_400),
            },
            now,
        )
        .await?;
        let mut e = entry(&actor, ctx, "api_token.create", "api_token", id);
        e.reason = scope_text;
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok((id, secret))
    }

    pub async fn list_api_tokens(
        &self,
        owner: &Principal,
    ) -> Result<Vec<ApiTokenRecord>, IdentityError> {
        Ok(store::api_tokens_of_user(&self.db, owner.user_id.0).await?)
    }

    pub async fn revoke_api_token(
        &self,
        owner: &Principal,
        token_id: i64,
        ctx: &RequestContext,
    ) -> Result<(), IdentityError> {
        let mut tx = self.db.begin().await?;
        if !store::revoke_api_token(&mut tx, owner.user_id.0, token_id, self.now()).await? {
            return Err(IdentityError::NotFound);
        }
        audit::append(
            &mut tx,
            &entry(
                &Actor::User(owner.clone()),
                ctx,
                "api_token.revoke",
                "api_token",
                token_id,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Resolves a bearer token. Expired, revoked, or belonging to a disabled
    /// or locked user: `None`.
    pub async fn authenticate_token(
        &self,
        secret: &str,
    ) -> Result<Option<Principal>, IdentityError> {
        if !secret.starts_with("rk_") {
            return Ok(None);
        }
        let Some(t) = store::api_token_by_hash(&self.db, &mfa::sha256_hex(secret)).await? else {
            return Ok(None);
        };
        let now = self.now();
        if !t.is_active(now) {
            return Ok(None);
        }
        let Some(user) = store::user_by_id(&self.db, t.user_id).await? else {
            return Ok(None);
        };
        if user.disabled || (user.is_demo && !self.config.demo_mode) {
            return Ok(None);
        }
        if t.last_used_at
            .map(|at| now.millis() - at > 60_000)
            .unwrap_or(true)
        {
            store::touch_api_token(&self.db, t.id, now).await?;
        }
        let org_ids = store::org_ids_of_user(&self.db, user.id).await?;
        Ok(Some(principal(
            &user,
            org_ids,
            Credential::ApiToken {
                token_id: t.id,
                scopes: Scope::parse_list(&t.scopes),
            },
        )))
    }

    // ---- tenancy --------------------------------------------------------------

    fn require(&self, actor: &Actor, permission: Permission) -> Result<(), IdentityError> {
        if actor.role().may(permission) {
            Ok(())
        } else {
            Err(IdentityError::Forbidden)
        }
    }

    /// The region an actor acts in when creating something: their own, or
    /// (system administrators only) the one they name.
    fn target_region(
        &self,
        actor: &Actor,
        requested: Option<i64>,
    ) -> Result<RegionId, IdentityError> {
        match actor.region_scope() {
            Some(own) => match requested {
                Some(r) if r != own.0 => Err(IdentityError::Forbidden),
                _ => Ok(own),
            },
            None => requested.map(RegionId).ok_or_else(|| {
                IdentityError::validation(
                    "region_id",
                    "required",
                    "圏域を選んでください。",
                    "Choose a region.",
                )
            }),
        }
    }

    /// Creates a region (system administrators and the CLI only).
    pub async fn create_region(
        &self,
        actor: &Actor,
        code: &str,
        name: &str,
        is_demo: bool,
        ctx: &RequestContext,
    ) -> Result<i64, IdentityError> {
        self.require(actor, Permission::AllRegions)?;
        let mut v = ValidationErrors::new();
        v.require("code", code, "圏域コード", "Region code");
        v.require("name", name, "圏域名", "Region name");
        if !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            v.add(
                "code",
                "format",
                "圏域コードは半角英数字・ハイフンで入力してください。",
                "Use letters, digits and hyphens.",
            );
        }
        v.into_result().map_err(IdentityError::Validation)?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_region(&mut tx, code.trim(), name.trim(), is_demo, self.now())
            .await
            .map_err(conflict("code", "この圏域コードは既に使われています。"))?;
        let mut e = entry(actor, ctx, "region.create", "region", id);
        e.region_id = Some(RegionId(id));
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn list_regions(&self, actor: &Actor) -> Result<Vec<Region>, IdentityError> {
        Ok(store::list_regions(&self.db, actor.region_scope()).await?)
    }

    pub async fn region_by_code(&self, code: &str) -> Result<Option<Region>, IdentityError> {
        Ok(store::region_by_code(&self.db, code).await?)
    }

    /// A region by its id (its code and name are not secret: another
    /// region's agreements name it).
    pub async fn region_by_id(&self, id: i64) -> Result<Option<Region>, IdentityError> {
        Ok(store::region_by_id(&self.db, id).await?)
    }

    /// Whether the database holds no region yet (the demo loads only then).
    pub async fn is_empty(&self) -> Result<bool, IdentityError> {
        Ok(store::count_regions(&self.db).await? == 0 && store::count_users(&self.db).await? == 0)
    }

    /// Adds a municipality, its 全国地方公共団体コード validated with the check digit.
    pub async fn create_municipality(
        &self,
        actor: &Actor,
        new: &NewMunicipality,
        ctx: &RequestContext,
    ) -> Result<i64, IdentityError> {
        self.require(actor, Permission::ManageOrganisations)?;
        let region = self.target_region(actor, new.region_id)?;
        let (code, name, kana, population) = (
            new.code.as_str(),
            new.name.as_str(),
            new.kana.as_str(),
            new.population,
        );
        let mut v = ValidationErrors::new();
        v.require("name", name, "市区町村名", "Municipality name");
        let parsed = LocalGovernmentCode::parse(code);
        if let Err(err) = &parsed {
            v.add(
                "code",
                "check_digit",
                &format!("全国地方公共団体コードが正しくありません（{err}）。"),
                &format!("Invalid local government code ({err})."),
            );
        }
        v.into_result().map_err(IdentityError::Validation)?;
        let code = parsed.map_err(|e| IdentityError::Internal(e.to_string()))?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_municipality(
            &mut tx,
            region,
            code.as_str(),
            name.trim(),
            kana.trim(),
            population,
            self.now(),
        )
        .await
        .map_err(conflict(
            "code",
            "この市区町村コードは既に登録されています。",
        ))?;
        let mut e = entry(actor, ctx, "municipality.create", "municipality", id);
        e.region_id = Some(region);
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn list_municipalities(
        &self,
        actor: &Actor,
    ) -> Result<Vec<Municipality>, IdentityError> {
        Ok(store::list_municipalities(&self.db, actor.region_scope()).await?)
    }

    pub async fn create_organisation(
        &self,
        actor: &Actor,
        new: &NewOrganisation,
        ctx: &RequestContext,
    ) -> Result<i64, IdentityError> {
        self.require(actor, Permission::ManageOrganisations)?;
        let region = self.target_region(actor, new.region_id)?;
        let mut v = ValidationErrors::new();
        v.require("name", &new.name, "名称", "Name");
        if OrgKind::from_code(&new.kind).is_none() {
            v.add(
                "kind",
                "unknown",
                "種別を一覧から選んでください。",
                "Choose a kind from the list.",
            );
        }
        if new.name.chars().count() > 200 {
            v.add(
                "name",
                "too_long",
                "名称は200文字以内にしてください。",
                "Name must be at most 200 characters.",
            );
        }
        if let Some(m) = new.municipality_id {
            let known = store::list_municipalities(&self.db, Some(region)).await?;
            if !known.iter().any(|k| k.id == m) {
                v.add(
                    "municipality_id",
                    "unknown",
                    "市区町村を一覧から選んでください。",
                    "Choose a municipality of this region.",
                );
            }
        }
        v.into_result().map_err(IdentityError::Validation)?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_organisation(&mut tx, region, new, self.now())
            .await
            .map_err(conflict("name", "同じ名称の事業所・機関が既にあります。"))?;
        let mut e = entry(actor, ctx, "organisation.create", "organisation", id);
        e.region_id = Some(region);
        e.reason = new.name.trim().to_string();
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn list_organisations(
        &self,
        actor: &Actor,
    ) -> Result<Vec<Organisation>, IdentityError> {
        self.require(actor, Permission::ViewOrganisations)?;
        Ok(store::list_organisations(&self.db, actor.region_scope()).await?)
    }

    pub async fn organisations_of(
        &self,
        principal: &Principal,
    ) -> Result<Vec<Organisation>, IdentityError> {
        Ok(store::organisations_by_ids(
            &self.db,
            &principal.org_ids.iter().map(|o| o.0).collect::<Vec<_>>(),
        )
        .await?)
    }

    // ---- users ----------------------------------------------------------------

    pub async fn create_user(
        &self,
        actor: &Actor,
        new: &NewUser,
        ctx: &RequestContext,
    ) -> Result<i64, IdentityError> {
        self.require(actor, Permission::ManageUsers)?;
        let mut v = ValidationErrors::new();
        let username = new.username.trim().to_lowercase();
        if username.len() < 3
            || username.len() > 64
            || !username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
        {
            v.add(
                "username",
                "format",
                "ユーザー名は3〜64文字の半角英数字と . _ - @ で入力してください。",
                "User name: 3–64 characters of letters, digits and . _ - @.",
            );
        }
        v.require("display_name", &new.display_name, "氏名", "Name");
        let role = Role::from_code(&new.role);
        if role.is_none() {
            v.add(
                "role",
                "unknown",
                "権限を一覧から選んでください。",
                "Choose a role from the list.",
            );
        }
        if Profession::from_code(&new.profession).is_none() {
            v.add(
                "profession",
                "unknown",
                "職種を一覧から選んでください。",
                "Choose a profession from the list.",
            );
        }
        check_password_length(&new.password, &mut v);
        if role == Some(Role::SystemAdmin) && actor.role() != Role::SystemAdmin {
            return Err(IdentityError::Forbidden);
        }
        let region = if role == Some(Role::SystemAdmin) {
            None
        } else {
            match self.target_region(actor, new.region_id) {
                Ok(r) => Some(r),
                Err(IdentityError::Validation(errs)) => {
                    v.0.extend(errs.0);
                    None
                }
                Err(other) => return Err(other),
            }
        };
        if let Some(region) = region {
            let orgs = store::list_organisations(&self.db, Some(region)).await?;
            for id in &new.org_ids {
                if !orgs.iter().any(|o| o.id == *id) {
                    v.add(
                        "org_ids",
                        "unknown",
                        "所属はこの圏域の事業所・機関から選んでください。",
                        "Organisations must belong to the region.",
                    );
                    break;
                }
            }
        }
        v.into_result().map_err(IdentityError::Validation)?;
        let hash = password::hash(&new.password).await?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_user(&mut tx, new, &hash, region, self.now())
            .await
            .map_err(conflict("username", "このユーザー名は既に使われています。"))?;
        if let Some(region) = region {
            for org in &new.org_ids {
                store::insert_membership(&mut tx, id, *org, region).await?;
            }
        }
        let mut e = entry(actor, ctx, "user.create", "user", id);
        e.region_id = region;
        e.reason = format!("{username} as {}", new.role);
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn list_users(&self, actor: &Actor) -> Result<Vec<UserSummary>, IdentityError> {
        self.require(actor, Permission::ManageUsers)?;
        Ok(store::list_users(&self.db, actor.region_scope())
            .await?
            .iter()
            .map(|u| u.summary(self.now()))
            .collect())
    }

    pub async fn user_by_username(
        &self,
        actor: &Actor,
        username: &str,
    ) -> Result<UserSummary, IdentityError> {
        self.require(actor, Permission::ManageUsers)?;
        let user = store::user_by_username(&self.db, username)
            .await?
            .ok_or(IdentityError::NotFound)?;
        self.check_target(actor, &user)?;
        Ok(user.summary(self.now()))
    }

    /// The practitioners of the viewer's region (all regions for a system
    /// administrator), for FHIR Practitioner: staff see who works with them.
    pub async fn practitioners(
        &self,
        viewer: &Principal,
    ) -> Result<Vec<PractitionerView>, IdentityError> {
        if !viewer.role.may(Permission::ViewProfessionalDirectory) {
            return Err(IdentityError::Forbidden);
        }
        let users: Vec<UserRecord> = store::list_users(&self.db, viewer.region_scope())
            .await?
            .into_iter()
            .filter(|u| u.is_practitioner())
            .collect();
        Ok(users.iter().map(practitioner_view).collect())
    }

    /// Which of these users the viewer can read as a Practitioner
    /// ([`Identity::practitioner`] answers them): FHIR references point at
    /// `Practitioner/{id}` only for those, and name the others logically.
    pub async fn visible_practitioners(
        &self,
        viewer: &Principal,
        ids: &[UserId],
    ) -> Result<std::collections::HashSet<UserId>, IdentityError> {
        let mut out = std::collections::HashSet::new();
        if !viewer.role.may(Permission::ViewProfessionalDirectory) {
            return Ok(out);
        }
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            if self.practitioner(viewer, id).await.is_ok() {
                out.insert(id);
            }
        }
        Ok(out)
    }

    /// One practitioner of the viewer's region; `NotFound` for anyone else
    /// (another region, a family member, no such user).
    pub async fn practitioner(
        &self,
        viewer: &Principal,
        id: UserId,
    ) -> Result<PractitionerView, IdentityError> {
        if !viewer.role.may(Permission::ViewProfessionalDirectory) {
            return Err(IdentityError::Forbidden);
        }
        let user = store::user_by_id(&self.db, id.0)
            .await?
            .filter(|u| u.is_practitioner())
            .filter(|u| {
                viewer
                    .region_scope()
                    .is_none_or(|r| u.region_id == Some(r.0))
            })
            .ok_or(IdentityError::NotFound)?;
        Ok(practitioner_view(&user))
    }

    /// Administrators act only on users of their own region, and only system
    /// administrators act on system administrators.
    fn check_target(&self, actor: &Actor, target: &UserRecord) -> Result<(), IdentityError> {
        if let Some(scope) = actor.region_scope() {
            if target.region_id != Some(scope.0) || target.role() == Role::SystemAdmin {
                return Err(IdentityError::NotFound);
            }
        }
        Ok(())
    }

    async fn admin_change<T: AuditNote>(
        &self,
        actor: &Actor,
        user_id: i64,
        action: &str,
        ctx: &RequestContext,
        change: impl AsyncFnOnce(&mut Tx, &UserRecord) -> Result<T, IdentityError>,
    ) -> Result<T, IdentityError> {
        self.require(actor, Permission::ManageUsers)?;
        let user = store::user_by_id(&self.db, user_id)
            .await?
            .ok_or(IdentityError::NotFound)?;
        self.check_target(actor, &user)?;
        let mut tx = self.db.begin().await?;
        let outcome = change(&mut tx, &user).await?;
        let mut e = entry(actor, ctx, action, "user", user.id);
        e.region_id = user.region_id.map(RegionId);
        e.reason = format!("{}{}", user.username, outcome.note());
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Disables a user, ends their sessions and revokes their API tokens at
    /// once.
    pub async fn disable_user(
        &self,
        actor: &Actor,
        user_id: i64,
        ctx: &RequestContext,
    ) -> Result<CredentialsEnded, IdentityError> {
        if actor.user_id() == Some(UserId(user_id)) {
            return Err(IdentityError::validation(
                "user",
                "self",
                "自分自身は利用停止できません。",
                "You cannot disable yourself.",
            ));
        }
        self.admin_change(actor, user_id, "user.disable", ctx, async |tx, u| {
            store::set_disabled(tx, u.id, true, self.now()).await?;
            end_credentials(tx, u.id, self.now()).await
        })
        .await
    }

    /// Enables a user again. Whatever credentials survived (none should,
    /// since disabling ends them) are ended too: the user signs in afresh.
    pub async fn enable_user(
        &self,
        actor: &Actor,
        user_id: i64,
        ctx: &RequestContext,
    ) -> Result<CredentialsEnded, IdentityError> {
        self.admin_change(actor, user_id, "user.enable", ctx, async |tx, u| {
            store::set_disabled(tx, u.id, false, self.now()).await?;
            end_credentials(tx, u.id, self.now()).await
        })
        .await
    }

    /// Lifts a lock-out after repeated failures (audited).
    pub async fn unlock_user(
        &self,
        actor: &Actor,
        user_id: i64,
        ctx: &RequestContext,
    ) -> Result<(), IdentityError> {
        self.admin_change(actor, user_id, "user.unlock", ctx, async |tx, u| {
            store::unlock_user(tx, u.id, self.now()).await?;
            Ok(())
        })
        .await
    }

    /// Removes a user's TOTP and recovery codes (a lost phone), ends their
    /// sessions and revokes their API tokens; they enrol again at the next
    /// login.
    pub async fn reset_mfa(
        &self,
        actor: &Actor,
        user_id: i64,
        ctx: &RequestContext,
    ) -> Result<CredentialsEnded, IdentityError> {
        self.admin_change(actor, user_id, "user.mfa_reset", ctx, async |tx, u| {
            store::set_mfa_secret(tx, u.id, None, false, self.now()).await?;
            store::replace_recovery_codes(tx, u.id, &[]).await?;
            end_credentials(tx, u.id, self.now()).await
        })
        .await
    }

    /// Sets a new password (CLI and administrators), ends the user's
    /// sessions and revokes their API tokens.
    pub async fn set_password(
        &self,
        actor: &Actor,
        user_id: i64,
        new_password: &str,
        ctx: &RequestContext,
    ) -> Result<CredentialsEnded, IdentityError> {
        let mut v = ValidationErrors::new();
        check_password_length(new_password, &mut v);
        v.into_result().map_err(IdentityError::Validation)?;
        let hash = password::hash(new_password).await?;
        self.admin_change(
            actor,
            user_id,
            "user.password_set",
            ctx,
            async move |tx, u| {
                store::set_password(tx, u.id, &hash, self.now()).await?;
                end_credentials(tx, u.id, self.now()).await
            },
        )
        .await
    }

    /// Stores a known TOTP secret as enrolled: used only by the demo loader so
    /// that demo users can sign in with the codes the demo page shows.
    pub async fn enrol_demo_secret(
        &self,
        actor: &Actor,
        user_id: i64,
        secret: &str,
        ctx: &RequestContext,
    ) -> Result<(), IdentityError> {
        let secret = secret.to_string();
        self.admin_change(actor, user_id, "mfa.enrol", ctx, async move |tx, u| {
            if !u.is_demo {
                return Err(IdentityError::Forbidden);
            }
            store::set_mfa_secret(tx, u.id, Some(&secret), true, self.now()).await?;
            Ok(())
        })
        .await
    }

    /// The TOTP secret of a demo user, for the demo's MFA hint. `None` for
    /// every real user, and always `None` outside `--demo`.
    pub async fn demo_totp_code(&self, user_id: i64) -> Result<Option<String>, IdentityError> {
        if !self.config.demo_mode {
            return Ok(None);
        }
        let Some(user) = store::user_by_id(&self.db, user_id).await? else {
            return Ok(None);
        };
        match (user.is_demo, user.mfa_secret) {
            (true, Some(secret)) => Ok(Some(mfa::current_code(&secret)?)),
            _ => Ok(None),
        }
    }

    pub async fn unused_recovery_codes(&self, principal: &Principal) -> Result<i64, IdentityError> {
        Ok(store::unused_recovery_codes(&self.db, principal.user_id.0).await?)
    }

    // ---- audit ----------------------------------------------------------------

    /// Searches the audit trail within the actor's region.
    pub async fn search_audit(
        &self,
        actor: &Actor,
        mut query: AuditQuery,
    ) -> Result<Vec<AuditRecord>, IdentityError> {
        self.require(actor, Permission::ViewAudit)?;
        query.region_id = actor.region_scope();
        Ok(audit::search(&self.db, &query).await?)
    }

    /// Records an audit event on behalf of another part of the system (e.g.
    /// the audit export itself).
    pub async fn record(
        &self,
        actor: &Actor,
        ctx: &RequestContext,
        action: &str,
        kind: &str,
        id: &str,
    ) -> Result<(), IdentityError> {
        audit::append_alone(&self.db, &entry(actor, ctx, action, kind, id)).await?;
        Ok(())
    }
}

/// Ends every session and revokes every API token of a user: the step that
/// makes an account recovery (new password, new second factor, disable)
/// actually shut out whoever held the old credentials.
async fn end_credentials(
    tx: &mut Tx,
    user_id: i64,
    now: Timestamp,
) -> Result<CredentialsEnded, IdentityError> {
    Ok(CredentialsEnded {
        sessions: store::end_sessions_of_user(tx, user_id, now).await?,
        api_tokens: store::revoke_api_tokens_of_user(tx, user_id, now).await?,
    })
}

/// What an administrative change adds to its audit record's reason.
trait AuditNote {
    fn note(&self) -> String;
}

impl AuditNote for () {
    fn note(&self) -> String {
        String::new()
    }
}

impl AuditNote for CredentialsEnded {
    fn note(&self) -> String {
        format!(
            "; {} sessions ended, {} API tokens revoked",
            self.sessions, self.api_tokens
        )
    }
}

pub(crate) fn principal(user: &UserRecord, org_ids: Vec<i64>, credential: Credential) -> Principal {
    Principal {
        user_id: UserId(user.id),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role: user.role(),
        profession: user.profession(),
        region_id: user.region_id.map(RegionId),
        org_ids: org_ids.into_iter().map(OrgId).collect(),
        credential,
        mfa_enabled: user.mfa_enabled,
        is_demo: user.is_demo,
    }
}

/// Turns a unique-constraint conflict into a field error the form can show.
fn conflict(
    field: &'static str,
    message_ja: &'static str,
) -> impl Fn(renkei_store::StoreError) -> IdentityError {
    move |e| match e {
        renkei_store::StoreError::Conflict(_) => {
            IdentityError::validation(field, "taken", message_ja, "Already in use.")
        }
        other => IdentityError::Store(other),
    }
}

fn practitioner_view(u: &UserRecord) -> PractitionerView {
    PractitionerView {
        id: UserId(u.id),
        display_name: u.display_name.clone(),
        profession: u.profession(),
        role: u.role(),
        active: !u.disabled,
    }
}
