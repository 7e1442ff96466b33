//! Sign-in, sessions, bearer tokens and multi-factor authentication.
//!
//! Secrets never leave this module in the clear except to the person they belong to:
//! session tokens are stored as SHA-256 hashes, passwords as argon2id hashes, recovery codes as SHA-256 hashes.

use crate::secret::{OpenedSecret, open_totp};
use crate::{App, AppError, Subject, audit_draft};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use chrono::Utc;
use concordat_domain::audit::AuditDraft;
use concordat_domain::model::{Membership, MembershipId, User, UserId};
use concordat_domain::policy::{Actor, Basis, Decision, DenyReason, UserActor};
use concordat_store::{SessionRow, Tx};
use sha2::{Digest, Sha256};

/// Browser sessions ride in a cookie and need CSRF tokens; API tokens ride in an Authorization header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Cookie,
    Bearer,
}

impl SessionKind {
    fn code(self) -> &'static str {
        match self {
            SessionKind::Cookie => "cookie",
            SessionKind::Bearer => "bearer",
        }
    }
}

/// What to do after a password was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Signed in fully.
    Done,
    /// Enter a code from the authenticator app (or a recovery code).
    VerifyMfa,
    /// This role must use MFA and the user has not set it up yet.
    EnrolMfa,
}

/// A new session. `token` is the secret the client must keep; it is shown once and never stored.
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub next: NextStep,
    pub expires_at: i64,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// A resolved, live session: who the user is and which membership they act in.
#[derive(Clone)]
pub struct SessionContext {
    pub token_hash: String,
    pub kind: SessionKind,
    pub user: User,
    pub memberships: Vec<Membership>,
    pub membership: Option<Membership>,
    pub mfa_passed: bool,
    pub csrf_token: String,
}

impl std::fmt::Debug for SessionContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionContext")
            .field("user", &self.user.username)
            .finish_non_exhaustive()
    }
}

impl SessionContext {
    /// Whether MFA is needed before anything else: the user's roles can see personal data, and they have
    /// neither passed MFA in this session nor a demo exemption.
    pub fn mfa_outstanding(&self) -> bool {
        !self.mfa_satisfied() && self.memberships.iter().any(|m| m.role.sees_personal_data())
    }

    pub fn mfa_satisfied(&self) -> bool {
        self.mfa_passed || self.user.mfa_demo_exempt
    }

    /// The actor for app calls, or `None` when the user has no membership to act in.
    pub fn actor(&self, request_id: Option<String>) -> Option<Actor> {
        let m = self.membership.as_ref()?;
        Some(Actor::User(UserActor {
            user_id: self.user.id,
            username: self.user.username.clone(),
            role: m.role,
            org_id: m.org_id,
            org_kind: m.org_kind,
            mfa_satisfied: self.mfa_satisfied(),
            request_id,
        }))
    }
}

/// A TOTP enrolment in progress: show the QR code and the key, then ask for a code.
#[derive(Clone)]
pub struct Enrolment {
    pub secret_base32: String,
    pub otpauth_url: String,
    pub qr_svg: String,
}

fn random_token(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::fill(&mut b[..]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// SHA-256 of a session token, as stored.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashes a password with argon2id (the crate's default parameters: 19 MiB, 2 passes, as OWASP advises).
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes);
    let salt =
        SaltString::encode_b64(&bytes).map_err(|e| AppError::Internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("hashing failed: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A fixed argon2id hash to verify against when the username is unknown, so timing does not reveal which usernames exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Vdn6c3oYyBfWZ0AzmqTqWZ2mhpIu2xKchqvYxqvH5Ts";

fn totp_for(secret_base32: &str) -> Result<totp_rs::TOTP, AppError> {
    let bytes = totp_rs::Secret::Encoded(secret_base32.to_string())
        .to_bytes()
        .map_err(|_| AppError::Internal("stored TOTP secret is not base32".into()))?;
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes)
        .map_err(|e| AppError::Internal(format!("TOTP: {e}")))
}

fn now_s() -> u64 {
    u64::try_from(Utc::now().timestamp()).unwrap_or(0)
}

/// Current TOTP code for a secret (used by tests and the demo to sign in scripted users).
pub fn current_totp(secret_base32: &str) -> Result<String, AppError> {
    Ok(totp_for(secret_base32)?.generate(now_s()))
}

/// The TOTP code for a secret at `unix_secs` (tests use it for the next 30-second step).
pub fn totp_at(secret_base32: &str, unix_secs: u64) -> Result<String, AppError> {
    Ok(totp_for(secret_base32)?.generate(unix_secs))
}

/// The 30-second time step a 6-digit `code` is right for: the step before `now_secs`, its own or the
/// next (for clocks that drift), and newer than `last_step`, the newest one already accepted
/// (RFC 6238 section 5.2: each code is accepted once). `None` for a wrong or reused code.
fn totp_step(
    secret_base32: &str,
    code: &str,
    last_step: i64,
    now_secs: u64,
) -> Result<Option<i64>, AppError> {
    let code = normalise_code(code);
    if code.len() != 6 {
        return Ok(None);
    }
    let totp = totp_for(secret_base32)?;
    let now_step = i64::try_from(now_secs / 30).unwrap_or(0);
    for step in [now_step - 1, now_step, now_step + 1] {
        if step <= last_step || step < 0 {
            continue;
        }
        let expected = totp.generate(u64::try_from(step).unwrap_or(0) * 30);
        let same = expected.len() == code.len()
            && expected
                .bytes()
                .zip(code.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if same {
            return Ok(Some(step));
        }
    }
    Ok(None)
}

fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

fn system_subject(kind: &'static str, id: Option<String>) -> Subject {
    Subject {
        person_id: None,
        resource_kind: kind,
        resource_id: id,
    }
}

fn user_event(
    user: &User,
    action: &str,
    allowed: bool,
    reason: Option<&str>,
    request_id: Option<String>,
) -> AuditDraft {
    // Sign-in events have no membership yet: record the user, not a role.
    let actor = Actor::User(UserActor {
        user_id: user.id,
        username: user.username.clone(),
        role: concordat_domain::Role::AllianceMember,
        org_id: concordat_domain::model::OrgId(0),
        org_kind: concordat_domain::OrgKind::Other,
        mfa_satisfied: false,
        request_id,
    });
    let decision = if allowed {
        Decision::Allow {
            basis: Basis::Role,
            break_glass: false,
        }
    } else {
        Decision::Deny(DenyReason::RoleNotPermitted)
    };
    let mut d = audit_draft(
        &actor,
        action,
        &system_subject("user", Some(user.id.to_string())),
        &decision,
        reason,
    );
    d.role = None;
    d.org_id = None;
    d.legal_basis = None;
    d
}

/// The folded form of a username, as compared and throttled: trimmed and ASCII lower-case
/// (usernames are ASCII letters, digits, dots, hyphens and underscores).
pub fn fold_username(username: &str) -> String {
    username.trim().to_ascii_lowercase()
}

/// Verifies a password on a blocking thread, so the argon2 work (tens of milliseconds) neither holds
/// the SQLite writer's turn nor stalls the async runtime.
async fn verify_password_blocking(password: &str, hash: &str) -> Result<bool, AppError> {
    let (password, hash) = (password.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| AppError::Internal(format!("password check: {e}")))
}

/// The time `until_ms` as people read it here: hours and minutes in England.
fn local_hhmm(until_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(until_ms)
        .map(|t| {
            t.with_timezone(&chrono_tz::Europe::London)
                .format("%H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

fn throttled(now: i64, until_ms: i64) -> AppError {
    let secs = (until_ms - now + 999) / 1000;
    AppError::Throttled {
        retry_after_secs: u64::try_from(secs.max(1)).unwrap_or(1),
        until: local_hhmm(until_ms),
    }
}

fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)
}

/// The throttle counters one sign-in attempt touches.
struct Keys {
    /// This account from this address.
    pair: String,
    /// This address, whatever the account.
    address: String,
    /// This account, whatever the address.
    account: String,
}

impl Keys {
    fn new(folded: &str, address: &str) -> Self {
        Keys {
            pair: format!("account-address:{folded}|{address}"),
            address: format!("address:{address}"),
            account: format!("account:{folded}"),
        }
    }
}

/// A sign-in throttle that refuses attempts now, as an administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInLock {
    /// What is refused, in words: "Account locked (all addresses)", "Account paused at one address",
    /// "Address paused" or "Security codes paused".
    pub what: &'static str,
    /// The account, the account and address, or the address.
    pub subject: String,
    pub failures: i64,
    /// Local time (Europe/London) when attempts are allowed again.
    pub until: String,
}

/// A throttle that refuses: until when, and why (for the audit trail).
struct Refusal {
    until: i64,
    why: &'static str,
}

impl App {
    /// Which throttle, if any, refuses a sign-in now.
    async fn sign_in_refusal(
        &self,
        tx: &mut Tx,
        keys: &Keys,
        now: i64,
    ) -> Result<Option<Refusal>, AppError> {
        let short = millis(self.cfg.throttle_window);
        let long = millis(self.cfg.account_lock_window);
        let checks = [
            (
                &keys.account,
                self.cfg.max_failures_per_account,
                long,
                "account locked: too many failed sign-ins from all addresses",
            ),
            (
                &keys.pair,
                self.cfg.max_failures_per_account_address,
                short,
                "too many failed sign-ins for this account from this address",
            ),
            (
                &keys.address,
                self.cfg.max_failures_per_address,
                short,
                "too many failed sign-ins from this address",
            ),
        ];
        for (key, limit, window, why) in checks {
            if let Some((n, start)) = tx.failures_window(key, now - window).await?
                && n >= limit
            {
                return Ok(Some(Refusal {
                    until: start + window,
                    why,
                }));
            }
        }
        Ok(None)
    }

    /// The sign-in throttles refusing attempts now (administrators only), so that an administrator can
    /// see who is locked out and until when.
    pub async fn sign_in_locks(&self, actor: &Actor) -> Result<Vec<SignInLock>, AppError> {
        let subject = crate::Subject {
            resource_kind: "sign_in_locks",
            ..Default::default()
        };
        // An administrator sees the locks of their own organisation's staff; a partnership-wide
        // administrator (and the system) sees every lock, including whole addresses paused.
        let (own_org, wide) = match actor {
            Actor::User(u) => (
                Some(u.org_id),
                concordat_domain::policy::partnership_wide(u),
            ),
            Actor::System { .. } => (None, true),
        };
        let decision = concordat_domain::policy::decide(&concordat_domain::policy::Request {
            actor,
            action: concordat_domain::policy::Action::ManageUsers,
            owner_org: own_org,
            agreements: &[],
            consent: &concordat_domain::policy::Consent::NotRecorded,
            relationship: concordat_domain::policy::Relationship::None,
            break_glass_reason: None,
            today: Utc::now().date_naive(),
        });
        if let Decision::Deny(reason) = decision {
            crate::audit_denial(self, actor, "user.manage", &subject, &decision).await?;
            return Err(AppError::Denied(reason));
        }
        let now = Utc::now().timestamp_millis();
        let short = millis(self.cfg.throttle_window);
        let long = millis(self.cfg.account_lock_window);
        let mut tx = self.store.begin_read().await?;
        let mut out = Vec::new();
        for (key, n, start) in tx.failures_since(now - short.max(long)).await? {
            let (what, subject, limit, window) = if let Some(a) = key.strip_prefix("account:") {
                (
                    "Account locked (all addresses)",
                    a.to_string(),
                    self.cfg.max_failures_per_account,
                    long,
                )
            } else if let Some(rest) = key.strip_prefix("account-address:") {
                let (a, addr) = rest.split_once('|').unwrap_or((rest, "?"));
                (
                    "Account paused at one address",
                    format!("{a} from {addr}"),
                    self.cfg.max_failures_per_account_address,
                    short,
                )
            } else if let Some(addr) = key.strip_prefix("address:") {
                (
                    "Address paused",
                    addr.to_string(),
                    self.cfg.max_failures_per_address,
                    short,
                )
            } else if let Some(id) = key.strip_prefix("mfa:") {
                let name = match id.parse::<i64>() {
                    Ok(id) => tx.user_get(UserId(id)).await?.map(|u| u.username),
                    Err(_) => None,
                };
                (
                    "Security codes paused",
                    name.unwrap_or_else(|| format!("user {id}")),
                    self.cfg.max_mfa_failures,
                    short,
                )
            } else {
                continue;
            };
            if !wide {
                // Only rows about one of this organisation's staff; never a whole address.
                let username = key.strip_prefix("account:").or_else(|| {
                    key.strip_prefix("account-address:")
                        .map(|r| r.split_once('|').map_or(r, |(a, _)| a))
                });
                let user_id = match (username, key.strip_prefix("mfa:")) {
                    (Some(name), _) => tx.user_credentials(name).await?.map(|c| c.user.id),
                    (None, Some(id)) => id.parse::<i64>().ok().map(UserId),
                    (None, None) => None,
                };
                let Some(user_id) = user_id else { continue };
                let ours = tx
                    .memberships_for_user(user_id)
                    .await?
                    .iter()
                    .any(|m| Some(m.org_id) == own_org);
                if !ours {
                    continue;
                }
            }
            if n >= limit && start + window > now {
                out.push(SignInLock {
                    what,
                    subject,
                    failures: n,
                    until: local_hhmm(start + window),
                });
            }
        }
        Ok(out)
    }

    /// Records a refusal by a throttle in the audit trail (when the account exists) and returns the error.
    async fn refuse_throttled(
        &self,
        mut tx: Tx,
        user: Option<&User>,
        action: &str,
        refusal: &Refusal,
        now: i64,
        request_id: Option<String>,
    ) -> Result<AppError, AppError> {
        if let Some(user) = user {
            let reason = format!(
                "refused by throttling ({}) until {}",
                refusal.why,
                local_hhmm(refusal.until)
            );
            tx.audit_append(&user_event(user, action, false, Some(&reason), request_id))
                .await?;
            tx.commit().await?;
        }
        Ok(throttled(now, refusal.until))
    }

    /// Signs in with a username and password (and, for the API, a TOTP code in the same request).
    /// Throttles failures per account and address, per address, and (more slowly) per account;
    /// wrong codes are limited per user on their own. Every attempt on a known account is audited,
    /// refusals by throttling included. The password is checked on a blocking thread, outside any
    /// write transaction.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        totp_code: Option<&str>,
        address: &str,
        kind: SessionKind,
        request_id: Option<String>,
    ) -> Result<NewSession, AppError> {
        let now = Utc::now().timestamp_millis();
        let folded = fold_username(username);
        let keys = Keys::new(&folded, address);
        // Read what the checks need without the writer's turn.
        let mut rtx = self.store.begin_read().await?;
        let creds = rtx.user_credentials(&folded).await?;
        let refusal = self.sign_in_refusal(&mut rtx, &keys, now).await?;
        drop(rtx);
        if let Some(r) = refusal {
            // Nothing to record for an unknown username: no write transaction.
            let Some(user) = creds.as_ref().map(|c| &c.user) else {
                return Err(throttled(now, r.until));
            };
            let tx = self.store.begin().await?;
            return Err(self
                .refuse_throttled(tx, Some(user), "user.sign_in", &r, now, request_id)
                .await?);
        }
        let ok = match &creds {
            Some(c) => {
                verify_password_blocking(password, &c.password_hash).await? && !c.user.disabled
            }
            None => {
                verify_password_blocking(password, DUMMY_HASH).await?;
                false
            }
        };
        let mut tx = self.store.begin().await?;
        // Attempts that ran alongside this one may have crossed a limit while the password was checked.
        if let Some(r) = self.sign_in_refusal(&mut tx, &keys, now).await? {
            let user = creds.as_ref().map(|c| &c.user);
            return Err(self
                .refuse_throttled(tx, user, "user.sign_in", &r, now, request_id)
                .await?);
        }
        let Some(creds) = creds.filter(|_| ok) else {
            let short = now - millis(self.cfg.throttle_window);
            tx.failures_record(&keys.pair, now, short).await?;
            tx.failures_record(&keys.address, now, short).await?;
            let n = tx
                .failures_record(
                    &keys.account,
                    now,
                    now - millis(self.cfg.account_lock_window),
                )
                .await?;
            if let Some(user) = tx.user_credentials(&folded).await?.map(|c| c.user) {
                tx.audit_append(&user_event(
                    &user,
                    "user.sign_in",
                    false,
                    Some("wrong password"),
                    request_id.clone(),
                ))
                .await?;
                if n == self.cfg.max_failures_per_account {
                    let until = now + millis(self.cfg.account_lock_window);
                    let reason = format!(
                        "{n} failed sign-ins from all addresses: locked until {}",
                        local_hhmm(until)
                    );
                    tx.audit_append(&user_event(
                        &user,
                        "user.locked",
                        false,
                        Some(&reason),
                        request_id,
                    ))
                    .await?;
                }
            }
            tx.commit().await?;
            return Err(AppError::BadCredentials);
        };
        let user = creds.user.clone();
        // A deactivated organisation's memberships cannot be used; with no other, sign-in is refused
        // (after the password, so the refusal tells nothing to someone who does not know it).
        let (memberships, deactivated) = tx.memberships_for_user_split(user.id).await?;
        if memberships.is_empty() && !deactivated.is_empty() {
            tx.audit_append(&user_event(
                &user,
                "user.sign_in",
                false,
                Some("organisation deactivated"),
                request_id,
            ))
            .await?;
            tx.commit().await?;
            return Err(AppError::Denied(DenyReason::OrganisationDeactivated));
        }
        let needs_mfa =
            memberships.iter().any(|m| m.role.sees_personal_data()) && !user.mfa_demo_exempt;
        let mut mfa_passed = false;
        let next = match (kind, user.totp_enabled, totp_code) {
            (SessionKind::Bearer, true, Some(code)) => {
                let mfa_key = format!("mfa:{}", user.id);
                let window = millis(self.cfg.throttle_window);
                if let Some((n, start)) = tx.failures_window(&mfa_key, now - window).await?
                    && n >= self.cfg.max_mfa_failures
                {
                    let r = Refusal {
                        until: start + window,
                        why: "too many wrong security codes",
                    };
                    return Err(self
                        .refuse_throttled(tx, Some(&user), "user.sign_in", &r, now, request_id)
                        .await?);
                }
                if !self.accept_totp(&mut tx, &creds, code).await? {
                    tx.failures_record(&mfa_key, now, now - window).await?;
                    tx.failures_record(&keys.address, now, now - window).await?;
                    tx.audit_append(&user_event(
                        &user,
                        "user.sign_in",
                        false,
                        Some("wrong security code"),
                        request_id,
                    ))
                    .await?;
                    tx.commit().await?;
                    return Err(AppError::BadMfaCode);
                }
                tx.failures_clear(&mfa_key).await?;
                mfa_passed = true;
                NextStep::Done
            }
            (SessionKind::Bearer, true, None) => {
                return Err(AppError::invalid("totp", "enter the 6-digit security code"));
            }
            (_, true, _) => NextStep::VerifyMfa,
            // An API token for a role that sees personal data needs MFA, which is set up in a browser:
            // refuse before any session exists.
            (SessionKind::Bearer, false, _) if needs_mfa => {
                return Err(AppError::invalid(
                    "totp",
                    "set up multi-factor authentication in the browser before using the API",
                ));
            }
            (_, false, _) if needs_mfa => NextStep::EnrolMfa,
            (_, false, _) => NextStep::Done,
        };
        // The right password clears this address's count for the account; the slower count across
        // all addresses, and wrong MFA codes, run out with their windows.
        tx.failures_clear(&keys.pair).await?;
        let ttl = match kind {
            SessionKind::Cookie => self.cfg.session_absolute,
            SessionKind::Bearer => self.cfg.bearer_ttl,
        };
        let session = self
            .insert_session(
                &mut tx,
                user.id,
                memberships.first().map(|m| m.id),
                mfa_passed,
                kind,
                ttl,
            )
            .await?;
        tx.audit_append(&user_event(&user, "user.sign_in", true, None, request_id))
            .await?;
        tx.commit().await?;
        Ok(NewSession { next, ..session })
    }

    /// Opens a stored TOTP secret with the configured key.
    fn open_secret(&self, user: UserId, stored: &str) -> Result<OpenedSecret, AppError> {
        open_totp(self.cfg.secret_key.as_ref(), user, stored).map_err(AppError::Internal)
    }

    /// Encrypts a TOTP secret for storage; refuses when no key is configured.
    fn seal_secret(&self, user: UserId, base32: &str) -> Result<String, AppError> {
        let key = self.cfg.secret_key.as_ref().ok_or_else(|| {
            AppError::Internal(
                "no secret key is configured: start the server with --secret-key-file".into(),
            )
        })?;
        key.seal_totp(user, base32).map_err(AppError::Internal)
    }

    /// Checks a TOTP code against the user's enabled secret and, if it is right for a time step newer
    /// than the last one accepted, records that step (so the code cannot be used again) and
    /// re-encrypts a secret still stored in the clear. False for a wrong or reused code.
    async fn accept_totp(
        &self,
        tx: &mut Tx,
        creds: &concordat_store::UserCredentials,
        code: &str,
    ) -> Result<bool, AppError> {
        let Some(stored) = creds.totp_secret.as_deref() else {
            return Ok(false);
        };
        let opened = self.open_secret(creds.user.id, stored)?;
        let Some(step) = totp_step(&opened.base32, code, creds.totp_last_step, now_s())? else {
            return Ok(false);
        };
        let rewrite = match (&self.cfg.secret_key, opened.was_clear) {
            (Some(_), true) => Some(self.seal_secret(creds.user.id, &opened.base32)?),
            _ => None,
        };
        Ok(tx
            .user_totp_accept(creds.user.id, step, rewrite.as_deref())
            .await?)
    }

    async fn insert_session(
        &self,
        tx: &mut Tx,
        user: UserId,
        membership: Option<MembershipId>,
        mfa_passed: bool,
        kind: SessionKind,
        ttl: std::time::Duration,
    ) -> Result<NewSession, AppError> {
        let now = Utc::now().timestamp_millis();
        let token = random_token(32);
        let csrf_token = random_token(24);
        let expires_at = now + i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2);
        tx.session_insert(&SessionRow {
            token_hash: hash_token(&token),
            kind: kind.code().to_string(),
            user_id: user,
            membership_id: membership,
            csrf_token: csrf_token.clone(),
            mfa_passed,
            created_at: now,
            last_seen_at: now,
            expires_at,
            revoked: false,
        })
        .await?;
        Ok(NewSession {
            token,
            csrf_token,
            next: NextStep::Done,
            expires_at,
        })
    }

    /// Looks up a live session by its token; expired, idle or revoked sessions are `None`.
    pub async fn resolve_session(
        &self,
        token: &str,
        kind: SessionKind,
    ) -> Result<Option<SessionContext>, AppError> {
        let now = Utc::now().timestamp_millis();
        let hash = hash_token(token);
        // Every request resolves its session: read without the write lock so requests run in parallel.
        // One statement for session, user and memberships, outside a transaction (one round trip).
        let Some((row, user, memberships)) = self.store.session_resolve(&hash).await? else {
            return Ok(None);
        };
        let idle = i64::try_from(self.cfg.session_idle.as_millis()).unwrap_or(i64::MAX / 2);
        let idle_expired = kind == SessionKind::Cookie && now - row.last_seen_at > idle;
        if row.revoked || row.kind != kind.code() || now >= row.expires_at || idle_expired {
            return Ok(None);
        }
        if user.disabled {
            return Ok(None);
        }
        let membership = row
            .membership_id
            .and_then(|id| memberships.iter().find(|m| m.id == id).cloned());
        // Touch at most once a minute: keeps the idle clock honest without a write per request.
        if now - row.last_seen_at > 60_000 {
            let mut w = self.store.begin().await?;
            w.session_touch(&hash, now).await?;
            w.commit().await?;
        }
        Ok(Some(SessionContext {
            token_hash: hash,
            kind,
            user,
            memberships,
            membership,
            mfa_passed: row.mfa_passed,
            csrf_token: row.csrf_token,
        }))
    }

    /// Ends a session or revokes an API token.
    pub async fn sign_out(
        &self,
        ctx: &SessionContext,
        request_id: Option<String>,
    ) -> Result<(), AppError> {
        let mut tx = self.store.begin().await?;
        tx.session_revoke(&ctx.token_hash).await?;
        tx.audit_append(&user_event(
            &ctx.user,
            "user.sign_out",
            true,
            None,
            request_id,
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Verifies a TOTP or recovery code and rotates the session: the old token stops working.
    /// Wrong codes are limited per user (apart from passwords) and count against the address too;
    /// a TOTP code is accepted once; refusals by the throttle are audited.
    pub async fn verify_mfa(
        &self,
        ctx: &SessionContext,
        code: &str,
        address: &str,
        request_id: Option<String>,
    ) -> Result<NewSession, AppError> {
        let mut tx = self.store.begin().await?;
        let now = Utc::now().timestamp_millis();
        let window = millis(self.cfg.throttle_window);
        let key = format!("mfa:{}", ctx.user.id);
        if let Some((n, start)) = tx.failures_window(&key, now - window).await?
            && n >= self.cfg.max_mfa_failures
        {
            let r = Refusal {
                until: start + window,
                why: "too many wrong security codes",
            };
            return Err(self
                .refuse_throttled(tx, Some(&ctx.user), "user.mfa_verify", &r, now, request_id)
                .await?);
        }
        let creds = tx
            .user_credentials_by_id(ctx.user.id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let totp_ok = creds.user.totp_enabled && self.accept_totp(&mut tx, &creds, code).await?;
        let code = normalise_code(code);
        let recovery_used = if totp_ok {
            None
        } else {
            let h = hash_token(&code);
            creds.recovery_code_hashes.iter().position(|c| *c == h)
        };
        if !totp_ok && recovery_used.is_none() {
            tx.failures_record(&key, now, now - window).await?;
            tx.failures_record(&format!("address:{address}"), now, now - window)
                .await?;
            tx.audit_append(&user_event(
                &ctx.user,
                "user.mfa_verify",
                false,
                None,
                request_id,
            ))
            .await?;
            tx.commit().await?;
            return Err(AppError::BadMfaCode);
        }
        if let Some(i) = recovery_used {
            // A recovery code works once. Re-read the secret: it stays as stored.
            let mut rest = creds.recovery_code_hashes.clone();
            rest.remove(i);
            tx.user_set_totp(ctx.user.id, creds.totp_secret.as_deref(), true, &rest)
                .await?;
        }
        tx.failures_clear(&key).await?;
        let new = self.rotate(&mut tx, ctx, true).await?;
        let reason = recovery_used.map(|_| "recovery code used");
        tx.audit_append(&user_event(
            &ctx.user,
            "user.mfa_verify",
            true,
            reason,
            request_id,
        ))
        .await?;
        tx.commit().await?;
        Ok(new)
    }

    async fn rotate(
        &self,
        tx: &mut Tx,
        ctx: &SessionContext,
        mfa_passed: bool,
    ) -> Result<NewSession, AppError> {
        tx.session_revoke(&ctx.token_hash).await?;
        let ttl = match ctx.kind {
            SessionKind::Cookie => self.cfg.session_absolute,
            SessionKind::Bearer => self.cfg.bearer_ttl,
        };
        self.insert_session(
            tx,
            ctx.user.id,
            ctx.membership.as_ref().map(|m| m.id),
            mfa_passed,
            ctx.kind,
            ttl,
        )
        .await
    }

    /// Starts TOTP enrolment: a new secret, stored as pending until confirmed with a code.
    pub async fn start_mfa_enrolment(&self, ctx: &SessionContext) -> Result<Enrolment, AppError> {
        let mut bytes = [0u8; 20];
        rand::fill(&mut bytes);
        let secret = match totp_rs::Secret::Raw(bytes.to_vec()).to_encoded() {
            totp_rs::Secret::Encoded(s) => s,
            totp_rs::Secret::Raw(_) => {
                return Err(AppError::Internal("base32 encoding failed".into()));
            }
        };
        let mut tx = self.store.begin().await?;
        let creds = tx
            .user_credentials_by_id(ctx.user.id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if creds.user.totp_enabled {
            return Err(AppError::Conflict(
                "multi-factor authentication is already set up".into(),
            ));
        }
        let sealed = self.seal_secret(ctx.user.id, &secret)?;
        tx.user_set_totp(ctx.user.id, Some(&sealed), false, &[])
            .await?;
        tx.commit().await?;
        let label = format!("Concordat:{}", ctx.user.username);
        let otpauth_url = format!(
            "otpauth://totp/{}?secret={secret}&issuer=Concordat&algorithm=SHA1&digits=6&period=30",
            url_escape(&label)
        );
        let qr_svg = qrcode::QrCode::new(otpauth_url.as_bytes())
            .map_err(|e| AppError::Internal(format!("QR code: {e}")))?
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(220, 220)
            .build();
        Ok(Enrolment {
            secret_base32: secret,
            otpauth_url,
            qr_svg,
        })
    }

    /// Confirms enrolment with a code from the app; returns ten one-time recovery codes (shown once) and the
    /// rotated session.
    pub async fn confirm_mfa_enrolment(
        &self,
        ctx: &SessionContext,
        code: &str,
        request_id: Option<String>,
    ) -> Result<(Vec<String>, NewSession), AppError> {
        let mut tx = self.store.begin().await?;
        let creds = tx
            .user_credentials_by_id(ctx.user.id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let Some(stored) = creds
            .totp_secret
            .as_deref()
            .filter(|_| !creds.user.totp_enabled)
        else {
            return Err(AppError::Conflict(
                "start setting up multi-factor authentication first".into(),
            ));
        };
        let secret = self.open_secret(ctx.user.id, stored)?.base32;
        let step = totp_step(&secret, code, creds.totp_last_step, now_s())?;
        let Some(step) = step else {
            return Err(AppError::invalid(
                "code",
                "the security code is not right: check the time on your phone and try the newest code",
            ));
        };
        let secret = self.seal_secret(ctx.user.id, &secret)?;
        if !tx.user_totp_accept(ctx.user.id, step, None).await? {
            return Err(AppError::invalid(
                "code",
                "that security code has just been used: wait for the next one",
            ));
        }
        let codes: Vec<String> = (0..10)
            .map(|_| {
                let raw = random_token(8).to_lowercase().replace(['-', '_'], "x");
                format!("{}-{}", &raw[..5], &raw[5..10])
            })
            .collect();
        let hashes: Vec<String> = codes
            .iter()
            .map(|c| hash_token(&normalise_code(c)))
            .collect();
        tx.user_set_totp(ctx.user.id, Some(&secret), true, &hashes)
            .await?;
        let new = self.rotate(&mut tx, ctx, true).await?;
        tx.audit_append(&user_event(
            &ctx.user,
            "user.mfa_enrol",
            true,
            None,
            request_id,
        ))
        .await?;
        tx.commit().await?;
        Ok((codes, new))
    }

    /// Switches the membership a session acts in (for users with several roles).
    pub async fn choose_membership(
        &self,
        ctx: &SessionContext,
        membership: MembershipId,
    ) -> Result<(), AppError> {
        if !ctx.memberships.iter().any(|m| m.id == membership) {
            return Err(AppError::invalid(
                "membership",
                "choose one of your own roles",
            ));
        }
        let mut tx = self.store.begin().await?;
        tx.session_set_state(&ctx.token_hash, Some(membership), ctx.mfa_passed)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hashes_are_argon2id_and_verify() {
        let h = hash_password("harbour kettle violet").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("harbour kettle violet", &h));
        assert!(!verify_password("harbour kettle violets", &h));
        assert!(!verify_password("anything", "not a hash"));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn codes_normalise() {
        assert_eq!(normalise_code(" 123 456 "), "123456");
        assert_eq!(normalise_code("ABCDE-fghij"), "abcdefghij");
        assert_eq!(url_escape("Concordat:amy o"), "Concordat:amy%20o");
    }
}
