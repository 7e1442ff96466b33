//! Single sign-on with OpenID Connect: the authorisation code flow with PKCE, `state` and `nonce`,
//! through the `openidconnect` crate, for any number of configured identity providers (NHS CIS2,
//! Microsoft Entra ID, Keycloak: see docs/sso.md).
//!
//! - Nobody gets an account from a provider's claims. An identity at a provider is linked to a user
//!   only by that user, signed in already (password and, where their role needs it, MFA), going
//!   through the provider once from "Your account" ([`App::oidc_begin`] with a session). After that,
//!   the configured claim's value (`sub` by default) finds the user at sign-in.
//! - A flow is kept server-side in `oidc_flows`, keyed by the SHA-256 of its `state`, and taken
//!   (deleted) by the callback in one statement, so a `state` works once. It is bound to the browser
//!   that started it: a random secret in a short-lived cookie, stored only as its hash. The PKCE
//!   verifier is derived from that secret and the state, so the database never holds it.
//! - The ID token's signature, issuer, audience, expiry and nonce are checked by `openidconnect`.
//!   Tokens are never logged or stored.
//! - MFA counts as done when the provider asserts it (`amr` holds one of `mfa_amr_values`, or `acr`
//!   is one of `mfa_acr_values`); otherwise Concordat's own TOTP applies as after a password.
//! - Failures count against the address's sign-in throttle (and the account's, once it is known);
//!   every sign-in, refusal and link for a known user is audited (`user.sign_in.oidc`, `user.sso_link`).

use crate::auth::{NewSession, NextStep, SessionContext, SessionKind, hash_token};
use crate::{App, AppError};
use base64::Engine;
use chrono::Utc;
use concordat_domain::model::{User, UserId};
use concordat_store::{ExternalIdentity, OidcFlowRow};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthenticationContextClass, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    TokenResponse,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a started sign-in may take at the provider.
pub const FLOW_TTL: Duration = Duration::from_secs(10 * 60);
/// How long a provider's discovery document and keys are kept before they are fetched again.
const METADATA_TTL: Duration = Duration::from_secs(15 * 60);
/// How long a call to a provider may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// One identity provider, as configured (`[[providers]]` in the file given to `serve --oidc-config`,
/// later `[[oidc.providers]]` in the configuration file).
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OidcProviderConfig {
    /// Short name in addresses and stored links: lower-case letters, digits and hyphens ("nhs-cis2").
    pub id: String,
    /// As on the button: "Sign in with {display_name}".
    pub display_name: String,
    /// The issuer; its `/.well-known/openid-configuration` is fetched.
    pub issuer_url: String,
    pub client_id: String,
    /// A file holding the client secret (readable by the server's user only); never logged.
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    /// This server's callback, as registered at the provider: `https://HOST/sign-in/oidc/callback`.
    pub redirect_url: String,
    /// The ID token claim that identifies the person: `sub` (default), `email` (only when
    /// `email_verified` is true) or any other string claim (such as CIS2's `uid`).
    #[serde(default = "default_match_claim")]
    pub match_claim: String,
    /// `amr` values that mean the provider did multi-factor authentication.
    #[serde(default = "default_mfa_amr")]
    pub mfa_amr_values: Vec<String>,
    /// `acr` values that mean the provider did multi-factor authentication.
    #[serde(default)]
    pub mfa_acr_values: Vec<String>,
    /// `acr_values` to ask the provider for (for example CIS2's `AAL3_ANY`).
    #[serde(default)]
    pub request_acr_values: Vec<String>,
    /// Scopes beyond `openid`.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
}

impl OidcProviderConfig {
    /// Reads the `[[providers]]` of a TOML file (`serve --oidc-config FILE`), without checking them.
    pub fn read_file(path: &std::path::Path) -> Result<Vec<Self>, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let file: OidcFile =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(file.providers)
    }
}

fn default_match_claim() -> String {
    "sub".into()
}

fn default_mfa_amr() -> Vec<String> {
    ["mfa", "otp", "hwk"].map(String::from).to_vec()
}

fn default_scopes() -> Vec<String> {
    vec!["email".into()]
}

/// The file given to `serve --oidc-config`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OidcFile {
    #[serde(default)]
    providers: Vec<OidcProviderConfig>,
}

struct Provider {
    cfg: OidcProviderConfig,
    issuer: IssuerUrl,
    redirect: RedirectUrl,
    secret: Option<ClientSecret>,
    metadata: Mutex<Option<(CoreProviderMetadata, Instant)>>,
}

/// The configured providers, validated, with their discovery documents cached. Cheap to clone.
#[derive(Clone, Default)]
pub struct OidcProviders {
    providers: Arc<Vec<Provider>>,
    http: Option<openidconnect::reqwest::Client>,
}

impl std::fmt::Debug for OidcProviders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Ids only: never a secret.
        f.debug_list()
            .entries(self.providers.iter().map(|p| &p.cfg.id))
            .finish()
    }
}

/// A provider as the sign-in page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderInfo {
    pub id: String,
    pub display_name: String,
}

impl OidcProviders {
    /// Reads and validates a TOML file with `[[providers]]`; every error names the provider and field.
    pub fn load_file(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let file: OidcFile =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::from_configs(file.providers)
    }

    /// Validates provider settings and reads their secrets.
    pub fn from_configs(configs: Vec<OidcProviderConfig>) -> Result<Self, String> {
        let mut providers = Vec::new();
        for (i, cfg) in configs.into_iter().enumerate() {
            let at = format!("OIDC provider {} ({:?})", i + 1, cfg.id);
            let id_ok = !cfg.id.is_empty()
                && cfg.id.len() <= 40
                && cfg
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !id_ok {
                return Err(format!(
                    "{at}: id must be 1 to 40 lower-case letters, digits and hyphens"
                ));
            }
            if providers.iter().any(|p: &Provider| p.cfg.id == cfg.id) {
                return Err(format!("{at}: id is used by another provider"));
            }
            if cfg.display_name.trim().is_empty() || cfg.display_name.chars().count() > 60 {
                return Err(format!("{at}: display_name must be 1 to 60 characters"));
            }
            if cfg.client_id.trim().is_empty() {
                return Err(format!("{at}: client_id is empty"));
            }
            if cfg.match_claim.trim().is_empty() {
                return Err(format!("{at}: match_claim is empty"));
            }
            let issuer = IssuerUrl::new(cfg.issuer_url.clone())
                .map_err(|e| format!("{at}: issuer_url is not a URL: {e}"))?;
            let redirect = RedirectUrl::new(cfg.redirect_url.clone())
                .map_err(|e| format!("{at}: redirect_url is not a URL: {e}"))?;
            if !cfg.redirect_url.ends_with("/sign-in/oidc/callback") {
                return Err(format!(
                    "{at}: redirect_url must end with /sign-in/oidc/callback"
                ));
            }
            let secret = match &cfg.client_secret_file {
                Some(path) => {
                    let s = std::fs::read_to_string(path).map_err(|e| {
                        format!(
                            "{at}: client_secret_file {} cannot be read: {e}",
                            path.display()
                        )
                    })?;
                    let s = s.trim().to_string();
                    if s.is_empty() {
                        return Err(format!(
                            "{at}: client_secret_file {} is empty",
                            path.display()
                        ));
                    }
                    Some(ClientSecret::new(s))
                }
                None => None,
            };
            providers.push(Provider {
                cfg,
                issuer,
                redirect,
                secret,
                metadata: Mutex::new(None),
            });
        }
        let http = if providers.is_empty() {
            None
        } else {
            Some(
                openidconnect::reqwest::ClientBuilder::new()
                    // Never follow redirects from a provider (SSRF), as the crate advises.
                    .redirect(openidconnect::reqwest::redirect::Policy::none())
                    .timeout(HTTP_TIMEOUT)
                    // A fresh connection per call: sign-ins are rare, and a pooled connection the
                    // provider closed while idle would fail the POST of a code (which is not retried).
                    .pool_max_idle_per_host(0)
                    .build()
                    .map_err(|e| format!("cannot set up the HTTP client for OIDC: {e}"))?,
            )
        };
        Ok(OidcProviders {
            providers: Arc::new(providers),
            http,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// The providers in configured order.
    pub fn list(&self) -> Vec<ProviderInfo> {
        self.providers
            .iter()
            .map(|p| ProviderInfo {
                id: p.cfg.id.clone(),
                display_name: p.cfg.display_name.clone(),
            })
            .collect()
    }

    fn get(&self, id: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.cfg.id == id)
    }

    /// The provider's discovery document (with its signing keys), fetched at most every 15 minutes.
    async fn metadata(&self, p: &Provider) -> Result<CoreProviderMetadata, AppError> {
        if let Ok(guard) = p.metadata.lock()
            && let Some((m, at)) = guard.as_ref()
            && at.elapsed() < METADATA_TTL
        {
            return Ok(m.clone());
        }
        let http = self
            .http
            .as_ref()
            .ok_or_else(|| AppError::Internal("no HTTP client for OIDC".into()))?;
        let m = CoreProviderMetadata::discover_async(p.issuer.clone(), http)
            .await
            .map_err(|e| {
                tracing::warn!(provider = %p.cfg.id, error = %e, "OIDC discovery failed");
                AppError::Unavailable(format!(
                    "{} is not answering at the moment: try again later, or sign in with your username and password",
                    p.cfg.display_name
                ))
            })?;
        if let Ok(mut guard) = p.metadata.lock() {
            *guard = Some((m.clone(), Instant::now()));
        }
        Ok(m)
    }

    fn client(
        p: &Provider,
        m: CoreProviderMetadata,
    ) -> openidconnect::core::CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        CoreClient::from_provider_metadata(
            m,
            ClientId::new(p.cfg.client_id.clone()),
            p.secret.clone(),
        )
        .set_redirect_uri(p.redirect.clone())
    }
}

/// Where to send the browser to sign in, and the secret for its flow cookie (shown once, never stored).
pub struct OidcStart {
    pub authorize_url: String,
    pub browser_secret: String,
}

impl std::fmt::Debug for OidcStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcStart").finish_non_exhaustive()
    }
}

/// The query of the provider's redirect back to `/sign-in/oidc/callback`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OidcCallback {
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    /// RFC 9207: the issuer of the answer, checked when the provider sends it.
    #[serde(default)]
    pub iss: Option<String>,
}

/// What a completed flow did.
#[derive(Debug)]
pub enum OidcDone {
    /// Signed in: set the session cookie and go to the next step.
    SignedIn(NewSession),
    /// The signed-in user linked this provider to their account.
    Linked { provider: String },
}

/// A linked identity as "Your account" shows it.
#[derive(Debug, Clone)]
pub struct ProviderLink {
    pub provider: ProviderInfo,
    pub link: Option<ExternalIdentity>,
}

fn random_token(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::fill(&mut b[..]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// The PKCE verifier for a flow: derived from the browser's secret and the state, so that it is
/// never stored (43 characters of base64url, as RFC 7636 requires at least).
fn pkce_verifier(browser_secret: &str, state: &str) -> PkceCodeVerifier {
    let mut h = Sha256::new();
    h.update(b"concordat-oidc-pkce\0");
    h.update(browser_secret.as_bytes());
    h.update(b"\0");
    h.update(state.as_bytes());
    PkceCodeVerifier::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(h.finalize()))
}

/// A provider's error code, shown only if it looks like one (RFC 6749 codes are lower-case words).
fn safe_error_code(code: &str) -> Option<&str> {
    (code.len() <= 64 && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')).then_some(code)
}

/// A claim of a verified ID token by name, as a string (numbers too).
fn claim_from_payload(id_token: &str, claim: &str) -> Option<String> {
    let payload = id_token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    match v.get(claim)? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn refused(message: impl Into<String>) -> AppError {
    AppError::SignInRefused(message.into())
}

const START_AGAIN: &str =
    "This sign-in has been used already or has expired: start again from the sign-in page";

impl App {
    /// The configured identity providers, for the sign-in page's buttons.
    pub fn oidc_providers(&self) -> Vec<ProviderInfo> {
        self.cfg.oidc.list()
    }

    /// Starts a sign-in at `provider`, or, with `link`, the signed-in user's linking of it to their
    /// account. Returns the provider's address to send the browser to.
    pub async fn oidc_begin(
        &self,
        provider: &str,
        link: Option<&SessionContext>,
    ) -> Result<OidcStart, AppError> {
        let p = self.cfg.oidc.get(provider).ok_or(AppError::NotFound)?;
        if let Some(ctx) = link
            && ctx.mfa_outstanding()
        {
            return Err(AppError::Unauthenticated);
        }
        let metadata = self.cfg.oidc.metadata(p).await?;
        let client = OidcProviders::client(p, metadata);
        let state = random_token(32);
        let nonce = random_token(32);
        let browser_secret = random_token(32);
        let challenge =
            PkceCodeChallenge::from_code_verifier_sha256(&pkce_verifier(&browser_secret, &state));
        let (st, no) = (state.clone(), nonce.clone());
        let mut req = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(st),
                move || Nonce::new(no),
            )
            .set_pkce_challenge(challenge);
        for s in &p.cfg.scopes {
            req = req.add_scope(Scope::new(s.clone()));
        }
        for a in &p.cfg.request_acr_values {
            req = req.add_auth_context_value(AuthenticationContextClass::new(a.clone()));
        }
        let (url, _, _) = req.url();
        let now = Utc::now().timestamp_millis();
        let ttl = i64::try_from(FLOW_TTL.as_millis()).unwrap_or(600_000);
        let mut tx = self.store.begin().await?;
        tx.oidc_flows_purge(now).await?;
        tx.oidc_flow_insert(&OidcFlowRow {
            state_hash: hash_token(&state),
            provider: p.cfg.id.clone(),
            browser_hash: hash_token(&browser_secret),
            nonce,
            link_user_id: link.map(|c| c.user.id),
            created_at: now,
            expires_at: now + ttl,
        })
        .await?;
        tx.commit().await?;
        Ok(OidcStart {
            authorize_url: url.to_string(),
            browser_secret,
        })
    }

    /// Finishes a flow at the callback: takes the flow (once), checks the browser, exchanges the code
    /// with the PKCE verifier, verifies the ID token, then signs the linked user in (or links the
    /// identity for a user who started linking). Refusals are plain messages (`SignInRefused`).
    pub async fn oidc_complete(
        &self,
        cb: &OidcCallback,
        browser_secret: Option<&str>,
        session: Option<&SessionContext>,
        address: &str,
        request_id: Option<String>,
    ) -> Result<OidcDone, AppError> {
        let now = Utc::now().timestamp_millis();
        {
            let mut rtx = self.store.begin_read().await?;
            if let Some(until) = self.address_refusal(&mut rtx, address, now).await? {
                return Err(crate::auth::throttled(now, until));
            }
        }
        let Some(state) = cb
            .state
            .as_deref()
            .filter(|s| !s.is_empty() && s.len() <= 512)
        else {
            return Err(self
                .oidc_fail(address, None, "", "no state", START_AGAIN, request_id)
                .await);
        };
        // Take the flow first, whatever happens next: a state is good for one callback only.
        let flow = {
            let mut tx = self.store.begin().await?;
            let flow = tx.oidc_flow_take(&hash_token(state)).await?;
            tx.commit().await?;
            flow
        };
        let Some(flow) = flow.filter(|f| f.expires_at > now) else {
            return Err(self
                .oidc_fail(
                    address,
                    None,
                    "",
                    "unknown, used or expired state",
                    START_AGAIN,
                    request_id,
                )
                .await);
        };
        let link_user = match flow.link_user_id {
            Some(id) => self.store.begin_read().await?.user_get(id).await?,
            None => None,
        };
        let Some(p) = self.cfg.oidc.get(&flow.provider) else {
            return Err(refused(
                "That identity provider is no longer set up here: sign in with your username and password",
            ));
        };
        let name = p.cfg.display_name.clone();
        let fail = |why: &'static str, message: String| {
            let rid = request_id.clone();
            let user = link_user.clone();
            let provider = p.cfg.id.clone();
            async move {
                self.oidc_fail(address, user.as_ref(), &provider, why, &message, rid)
                    .await
            }
        };
        let browser_ok = browser_secret
            .map(hash_token)
            .is_some_and(|h| crate::auth::same(&h, &flow.browser_hash));
        if !browser_ok {
            return Err(fail(
                "flow cookie missing or from another browser",
                "This sign-in was started in another browser, or your browser did not keep its sign-in cookie: start again from the sign-in page".into(),
            )
            .await);
        }
        if let Some(code) = cb.error.as_deref() {
            let message = match safe_error_code(code) {
                Some("access_denied") => format!("{name} did not sign you in"),
                Some(code) => format!("{name} could not sign you in (it said \"{code}\")"),
                None => format!("{name} could not sign you in"),
            };
            return Err(fail("the provider answered with an error", message).await);
        }
        let Some(code) = cb
            .code
            .as_deref()
            .filter(|c| !c.is_empty() && c.len() <= 4096)
        else {
            return Err(fail("no code", START_AGAIN.into()).await);
        };
        let metadata = self.cfg.oidc.metadata(p).await?;
        if let Some(iss) = cb.iss.as_deref()
            && iss != metadata.issuer().as_str()
        {
            return Err(fail(
                "iss in the answer is another issuer",
                format!("The answer did not come from {name}: start again"),
            )
            .await);
        }
        let client = OidcProviders::client(p, metadata);
        let http = self
            .cfg
            .oidc
            .http
            .as_ref()
            .ok_or_else(|| AppError::Internal("no HTTP client for OIDC".into()))?;
        let exchange = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| AppError::Internal(format!("OIDC {}: {e}", p.cfg.id)))?
            .set_pkce_verifier(pkce_verifier(browser_secret.unwrap_or_default(), state))
            .request_async(http)
            .await;
        let tokens = match exchange {
            Ok(t) => t,
            Err(RequestTokenError::ServerResponse(r)) => {
                // The provider's error code only: never a body that might hold a token.
                tracing::warn!(provider = %p.cfg.id, error = %r.error(), "OIDC token exchange refused");
                return Err(fail(
                    "the provider refused the code",
                    format!("{name} refused the sign-in: start again from the sign-in page"),
                )
                .await);
            }
            Err(e) => {
                // Never the body: it may hold a token. Where in the answer parsing failed, at most.
                let detail = match &e {
                    RequestTokenError::Request(r) => {
                        // The transport's own causes (connection refused, reset, TLS): no tokens.
                        let mut d = format!("request failed: {r}");
                        let mut src = std::error::Error::source(r);
                        while let Some(x) = src {
                            d.push_str(&format!(": {x}"));
                            src = x.source();
                        }
                        d
                    }
                    RequestTokenError::Parse(err, _) => {
                        format!("unreadable answer at {}", err.path())
                    }
                    RequestTokenError::Other(m) => format!("other: {m}"),
                    RequestTokenError::ServerResponse(_) => "server response".to_string(),
                };
                tracing::warn!(provider = %p.cfg.id, error = %detail, "OIDC token exchange failed");
                return Err(AppError::Unavailable(format!(
                    "{name} is not answering properly at the moment: try again later, or sign in with your username and password"
                )));
            }
        };
        let Some(id_token) = tokens.id_token() else {
            return Err(fail(
                "no ID token",
                format!("{name} did not say who you are: start again"),
            )
            .await);
        };
        let verifier = client.id_token_verifier();
        let claims = match id_token.claims(&verifier, &Nonce::new(flow.nonce.clone())) {
            Ok(c) => c,
            Err(e) => {
                // The kind of failure (audience, expiry, nonce, signature), never the token.
                let why: &'static str = match e {
                    openidconnect::ClaimsVerificationError::Expired(_) => "ID token expired",
                    openidconnect::ClaimsVerificationError::InvalidAudience(_) => {
                        "ID token for another audience"
                    }
                    openidconnect::ClaimsVerificationError::InvalidNonce(_) => {
                        "ID token nonce does not match this flow"
                    }
                    openidconnect::ClaimsVerificationError::InvalidIssuer(_) => {
                        "ID token from another issuer"
                    }
                    openidconnect::ClaimsVerificationError::SignatureVerification(_) => {
                        "ID token signature not valid"
                    }
                    _ => "ID token not valid",
                };
                tracing::warn!(provider = %p.cfg.id, error = why, "OIDC ID token refused");
                return Err(fail(
                    why,
                    format!(
                        "The sign-in from {name} could not be checked, so you are not signed in: start again, and if it keeps happening tell your administrator"
                    ),
                )
                .await);
            }
        };
        let subject = match p.cfg.match_claim.as_str() {
            "sub" => Some(claims.subject().as_str().to_string()),
            "email" => claims
                .email()
                .filter(|_| claims.email_verified() == Some(true))
                .map(|e| e.as_str().trim().to_lowercase()),
            other => claim_from_payload(&id_token.to_string(), other),
        };
        let Some(subject) = subject.filter(|s| s.len() <= 512) else {
            return Err(fail(
                "the matching claim is missing",
                format!(
                    "{name} did not send the detail ({}) that Concordat matches accounts by: ask your administrator",
                    p.cfg.match_claim
                ),
            )
            .await);
        };
        let amr: Vec<String> = claims
            .auth_method_refs()
            .map(|v| v.iter().map(|a| a.as_str().to_string()).collect())
            .unwrap_or_default();
        let acr = claims.auth_context_ref().map(|a| a.as_str().to_string());
        let mfa_by_provider = amr.iter().any(|a| p.cfg.mfa_amr_values.contains(a))
            || acr
                .as_ref()
                .is_some_and(|a| p.cfg.mfa_acr_values.contains(a));

        if let Some(user) = link_user {
            return self
                .oidc_link(p, &user, &subject, session, address, request_id)
                .await;
        }
        self.oidc_sign_in(
            p,
            &subject,
            mfa_by_provider,
            &amr,
            acr.as_deref(),
            address,
            request_id,
        )
        .await
    }

    async fn oidc_link(
        &self,
        p: &Provider,
        user: &User,
        subject: &str,
        session: Option<&SessionContext>,
        address: &str,
        request_id: Option<String>,
    ) -> Result<OidcDone, AppError> {
        // The same person must still be signed in, fully, in this browser.
        let same = session.is_some_and(|s| s.user.id == user.id && !s.mfa_outstanding());
        if !same || user.disabled {
            return Err(self
                .oidc_fail(
                    address,
                    Some(user),
                    &p.cfg.id,
                    "linking finished without the user's session",
                    "Sign in to Concordat again, then link your account from \"Your account\"",
                    request_id,
                )
                .await);
        }
        let mut tx = self.store.begin().await?;
        if let Some(existing) = tx.external_identity(&p.cfg.id, subject).await?
            && existing.user_id != user.id
        {
            let reason = format!("provider {}: identity linked to another user", p.cfg.id);
            tx.audit_append(&crate::auth::user_event(
                user,
                "user.sso_link",
                false,
                Some(&reason),
                request_id,
            ))
            .await?;
            tx.commit().await?;
            return Err(refused(format!(
                "This {} account is linked to another Concordat account already: ask your administrator",
                p.cfg.display_name
            )));
        }
        tx.external_identity_link(&p.cfg.id, subject, user.id)
            .await?;
        let reason = format!("provider {}", p.cfg.id);
        tx.audit_append(&crate::auth::user_event(
            user,
            "user.sso_link",
            true,
            Some(&reason),
            request_id,
        ))
        .await?;
        tx.commit().await?;
        Ok(OidcDone::Linked {
            provider: p.cfg.display_name.clone(),
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn oidc_sign_in(
        &self,
        p: &Provider,
        subject: &str,
        mfa_by_provider: bool,
        amr: &[String],
        acr: Option<&str>,
        address: &str,
        request_id: Option<String>,
    ) -> Result<OidcDone, AppError> {
        let now = Utc::now().timestamp_millis();
        let mut tx = self.store.begin().await?;
        let linked = tx.external_identity(&p.cfg.id, subject).await?;
        let creds = match &linked {
            Some(l) => tx.user_credentials_by_id(l.user_id).await?,
            None => None,
        };
        let Some(creds) = creds else {
            drop(tx);
            return Err(self
                .oidc_fail(
                    address,
                    None,
                    &p.cfg.id,
                    "no linked account",
                    &format!(
                        "Your {} account is not linked to a Concordat account. Sign in with your username and password, then link it from \"Your account\"; if you have no Concordat account, ask your administrator for an invitation",
                        p.cfg.display_name
                    ),
                    request_id,
                )
                .await);
        };
        let user = creds.user.clone();
        if user.disabled {
            drop(tx);
            return Err(self
                .oidc_fail(
                    address,
                    Some(&user),
                    &p.cfg.id,
                    "account disabled",
                    "This Concordat account is disabled: ask your administrator",
                    request_id,
                )
                .await);
        }
        let account_key = format!("account:{}", crate::auth::fold_username(&user.username));
        let long = i64::try_from(self.cfg.account_lock_window.as_millis()).unwrap_or(i64::MAX / 2);
        if let Some((n, start)) = tx.failures_window(&account_key, now - long).await?
            && n >= self.cfg.max_failures_per_account
        {
            let reason = format!(
                "provider {}: refused by throttling (account locked: too many failed sign-ins)",
                p.cfg.id
            );
            tx.audit_append(&crate::auth::user_event(
                &user,
                "user.sign_in.oidc",
                false,
                Some(&reason),
                request_id,
            ))
            .await?;
            tx.commit().await?;
            return Err(crate::auth::throttled(now, start + long));
        }
        let memberships = tx.memberships_for_user(user.id).await?;
        let needs_mfa =
            memberships.iter().any(|m| m.role.sees_personal_data()) && !user.mfa_demo_exempt;
        let next = if mfa_by_provider {
            NextStep::Done
        } else if user.totp_enabled {
            NextStep::VerifyMfa
        } else if needs_mfa {
            NextStep::EnrolMfa
        } else {
            NextStep::Done
        };
        let session = self
            .insert_session(
                &mut tx,
                user.id,
                memberships.first().map(|m| m.id),
                mfa_by_provider,
                SessionKind::Cookie,
                self.cfg.session_absolute,
            )
            .await?;
        tx.external_identity_touch(&p.cfg.id, subject, now).await?;
        let mfa = if mfa_by_provider {
            format!(
                "MFA asserted by the provider (amr {}; acr {})",
                if amr.is_empty() {
                    "none".to_string()
                } else {
                    amr.join(" ")
                },
                acr.unwrap_or("none")
            )
        } else {
            "MFA not asserted by the provider".to_string()
        };
        let reason = format!("provider {}; {mfa}", p.cfg.id);
        tx.audit_append(&crate::auth::user_event(
            &user,
            "user.sign_in.oidc",
            true,
            Some(&reason),
            request_id,
        ))
        .await?;
        tx.commit().await?;
        Ok(OidcDone::SignedIn(NewSession { next, ..session }))
    }

    /// Counts a failed single sign-on against the address (and the account, when known), audits it
    /// for a known user, and returns the refusal to show.
    async fn oidc_fail(
        &self,
        address: &str,
        user: Option<&User>,
        provider: &str,
        why: &str,
        message: &str,
        request_id: Option<String>,
    ) -> AppError {
        let r = async {
            let now = Utc::now().timestamp_millis();
            let short = now - i64::try_from(self.cfg.throttle_window.as_millis()).unwrap_or(0);
            let mut tx = self.store.begin().await?;
            tx.failures_record(&format!("address:{address}"), now, short)
                .await?;
            if let Some(user) = user {
                let long =
                    now - i64::try_from(self.cfg.account_lock_window.as_millis()).unwrap_or(0);
                let folded = crate::auth::fold_username(&user.username);
                tx.failures_record(&format!("account:{folded}"), now, long)
                    .await?;
                let reason = if provider.is_empty() {
                    why.to_string()
                } else {
                    format!("provider {provider}: {why}")
                };
                tx.audit_append(&crate::auth::user_event(
                    user,
                    "user.sign_in.oidc",
                    false,
                    Some(&reason),
                    request_id,
                ))
                .await?;
            }
            tx.commit().await?;
            Ok::<(), AppError>(())
        }
        .await;
        tracing::info!(provider, why, "OIDC sign-in refused");
        match r {
            Ok(()) => refused(message),
            Err(e) => e,
        }
    }

    /// The address's sign-in throttle: when it refuses, until when.
    async fn address_refusal(
        &self,
        tx: &mut concordat_store::Tx,
        address: &str,
        now: i64,
    ) -> Result<Option<i64>, AppError> {
        let window = i64::try_from(self.cfg.throttle_window.as_millis()).unwrap_or(0);
        Ok(tx
            .failures_window(&format!("address:{address}"), now - window)
            .await?
            .filter(|(n, _)| *n >= self.cfg.max_failures_per_address)
            .map(|(_, start)| start + window))
    }

    /// The providers and this user's links to them, for "Your account".
    pub async fn oidc_links(&self, ctx: &SessionContext) -> Result<Vec<ProviderLink>, AppError> {
        let mut tx = self.store.begin_read().await?;
        let links = tx.external_identities_for_user(ctx.user.id).await?;
        Ok(self
            .cfg
            .oidc
            .list()
            .into_iter()
            .map(|p| ProviderLink {
                link: links.iter().find(|l| l.provider == p.id).cloned(),
                provider: p,
            })
            .collect())
    }

    /// Removes the signed-in user's own link at a provider (audited).
    pub async fn oidc_unlink(
        &self,
        ctx: &SessionContext,
        provider: &str,
        request_id: Option<String>,
    ) -> Result<(), AppError> {
        if ctx.mfa_outstanding() {
            return Err(AppError::Unauthenticated);
        }
        let mut tx = self.store.begin().await?;
        if !tx.external_identity_unlink(provider, ctx.user.id).await? {
            return Err(AppError::NotFound);
        }
        let reason = format!("provider {provider}: link removed by the user");
        tx.audit_append(&crate::auth::user_event(
            &ctx.user,
            "user.sso_unlink",
            true,
            Some(&reason),
            request_id,
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Links an identity to a user directly (tests and the command line, as the system).
    pub async fn oidc_link_as_system(
        &self,
        provider: &str,
        subject: &str,
        user: UserId,
    ) -> Result<(), AppError> {
        if self.cfg.oidc.get(provider).is_none() {
            return Err(AppError::invalid(
                "provider",
                "no such identity provider is set up",
            ));
        }
        let mut tx = self.store.begin().await?;
        let u = tx.user_get(user).await?.ok_or(AppError::NotFound)?;
        tx.external_identity_link(provider, subject, user).await?;
        let reason = format!("provider {provider}: linked by the system");
        tx.audit_append(&crate::auth::user_event(
            &u,
            "user.sso_link",
            true,
            Some(&reason),
            None,
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(id: &str) -> OidcProviderConfig {
        OidcProviderConfig {
            id: id.into(),
            display_name: "Test".into(),
            issuer_url: "https://idp.example.test".into(),
            client_id: "c".into(),
            client_secret_file: None,
            redirect_url: "https://concordat.example.test/sign-in/oidc/callback".into(),
            match_claim: "sub".into(),
            mfa_amr_values: default_mfa_amr(),
            mfa_acr_values: vec![],
            request_acr_values: vec![],
            scopes: default_scopes(),
        }
    }

    #[test]
    fn settings_are_validated_with_the_provider_named() {
        assert!(OidcProviders::from_configs(vec![cfg("nhs-cis2")]).is_ok());
        let e = OidcProviders::from_configs(vec![cfg("NHS CIS2")]).unwrap_err();
        assert!(
            e.contains("OIDC provider 1") && e.contains("id must be"),
            "{e}"
        );
        let e = OidcProviders::from_configs(vec![cfg("a"), cfg("a")]).unwrap_err();
        assert!(
            e.contains("provider 2") && e.contains("used by another"),
            "{e}"
        );
        let mut bad = cfg("b");
        bad.redirect_url = "https://x.test/elsewhere".into();
        let e = OidcProviders::from_configs(vec![bad]).unwrap_err();
        assert!(e.contains("redirect_url"), "{e}");
        let mut missing = cfg("c");
        missing.client_secret_file = Some("/nonexistent/secret".into());
        let e = OidcProviders::from_configs(vec![missing]).unwrap_err();
        assert!(e.contains("client_secret_file"), "{e}");
    }

    #[test]
    fn the_file_format_reads() {
        let file: OidcFile = toml::from_str(
            r#"
            [[providers]]
            id = "keycloak"
            display_name = "Keycloak"
            issuer_url = "https://kc.example.test/realms/concordat"
            client_id = "concordat"
            redirect_url = "https://c.example.test/sign-in/oidc/callback"
            mfa_acr_values = ["2"]
            "#,
        )
        .unwrap();
        assert_eq!(file.providers[0].match_claim, "sub");
        assert_eq!(file.providers[0].mfa_acr_values, vec!["2".to_string()]);
        assert!(toml::from_str::<OidcFile>("[[providers]]\nid = \"x\"\nsecret = \"no\"").is_err());
    }

    #[test]
    fn pkce_verifier_is_long_enough_and_bound_to_browser_and_state() {
        let a = pkce_verifier("browser", "state");
        assert_eq!(a.secret().len(), 43);
        assert_ne!(a.secret(), pkce_verifier("other", "state").secret());
        assert_ne!(a.secret(), pkce_verifier("browser", "other").secret());
        assert_eq!(safe_error_code("access_denied"), Some("access_denied"));
        assert_eq!(safe_error_code("<script>"), None);
    }

    #[test]
    fn claims_are_read_from_the_payload() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"uid":"555012345678","n":7,"e":""}"#);
        let jwt = format!("h.{payload}.s");
        assert_eq!(
            claim_from_payload(&jwt, "uid").as_deref(),
            Some("555012345678")
        );
        assert_eq!(claim_from_payload(&jwt, "n").as_deref(), Some("7"));
        assert_eq!(claim_from_payload(&jwt, "e"), None);
        assert_eq!(claim_from_payload(&jwt, "missing"), None);
    }
}
