//! Concordat's configuration: one TOML file, environment variables and command-line flags, loaded and
//! validated once at start ([`Config::load`]).
//!
//! Precedence, highest first: a command-line flag, an environment variable, the file, the default.
//! Every error names its key (and the file's line, the variable or the flag it came from); a key the
//! loader does not know is refused, so a typo is never silently ignored.
//!
//! Scalar settings are rows of [`SETTINGS`] (key, environment variable, kind, setter, getter).
//! Structured sections (`[smtp]`, `[[oidc.providers]]`) are typed fields read with serde; see
//! [`Section`] for how to plug one in.

use crate::extract::Cidr;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The environment variable naming the configuration file (when `--config` is not given).
pub const CONFIG_ENV: &str = "CONCORDAT_CONFIG";

/// The effective configuration of a server.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub sessions: SessionSettings,
    pub sign_in: SignInSettings,
    pub housekeeping: HousekeepingSettings,
    pub metrics: MetricsSettings,
    pub log: LogSettings,
    /// `[smtp]`: sending email (defined by the email work; empty until then).
    pub smtp: Option<SmtpConfig>,
    /// `[oidc]` with `[[oidc.providers]]`: single sign-on (defined by the OpenID Connect work).
    pub oidc: OidcConfig,
    /// Where each scalar setting's value came from, for `config check`.
    origins: BTreeMap<&'static str, Origin>,
}

#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// `HOST:PORT` to listen on.
    pub listen: String,
    /// The address people use, such as `https://concordat.example.org`, for links that must be
    /// absolute (invitation links). Without it, links use the request's `Host` header.
    pub public_url: Option<String>,
    /// Mark cookies `Secure` (serving behind TLS).
    pub secure_cookies: bool,
    /// Send `Strict-Transport-Security: max-age=N`; 0 sends none. Needs `secure_cookies`.
    pub hsts_max_age_seconds: u64,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<Cidr>,
    /// The 32-byte key that encrypts TOTP secrets (required).
    pub secret_key_file: Option<PathBuf>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            secure_cookies: false,
            hsts_max_age_seconds: 0,
            trusted_proxies: Vec::new(),
            secret_key_file: None,
        }
    }
}

#[derive(Clone, Default)]
pub struct DatabaseSettings {
    /// `sqlite:PATH` or `postgres://USER@HOST:PORT/DB` (required). May hold a password: never printed.
    pub url: Option<String>,
    /// Connections to keep; `None` for the backend's default (SQLite 8; PostgreSQL twice the cores, at least 4).
    pub pool_size: Option<u32>,
    /// Seconds a SQLite writer waits for its turn before answering 503 (`None`: 10).
    pub writer_wait_seconds: Option<u64>,
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &self.url.as_deref().map(redact_url))
            .field("pool_size", &self.pool_size)
            .field("writer_wait_seconds", &self.writer_wait_seconds)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct SessionSettings {
    pub idle_minutes: u64,
    pub absolute_hours: u64,
    pub api_token_hours: u64,
}

impl Default for SessionSettings {
    fn default() -> Self {
        let d = concordat_app::AppConfig::default();
        Self {
            idle_minutes: d.session_idle.as_secs() / 60,
            absolute_hours: d.session_absolute.as_secs() / 3600,
            api_token_hours: d.bearer_ttl.as_secs() / 3600,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SignInSettings {
    pub window_minutes: u64,
    pub max_failures_per_account_address: u64,
    pub max_failures_per_address: u64,
    pub max_mfa_failures: u64,
    pub max_failures_per_account: u64,
    pub account_lock_minutes: u64,
}

impl Default for SignInSettings {
    fn default() -> Self {
        let d = concordat_app::AppConfig::default();
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Self {
            window_minutes: d.throttle_window.as_secs() / 60,
            max_failures_per_account_address: n(d.max_failures_per_account_address),
            max_failures_per_address: n(d.max_failures_per_address),
            max_mfa_failures: n(d.max_mfa_failures),
            max_failures_per_account: n(d.max_failures_per_account),
            account_lock_minutes: d.account_lock_window.as_secs() / 60,
        }
    }
}

#[derive(Debug, Clone)]
pub struct HousekeepingSettings {
    /// Minutes between runs; 0 turns it off.
    pub interval_minutes: u64,
}

impl Default for HousekeepingSettings {
    fn default() -> Self {
        Self {
            interval_minutes: 60,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct MetricsSettings {
    pub enabled: bool,
}

#[derive(Debug, Clone, Default)]
pub struct LogSettings {
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl LogFormat {
    pub fn parse(s: &str) -> Result<LogFormat, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!(
                "{s:?} is not a log format: use \"text\" or \"json\""
            )),
        }
    }
    fn code(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

/// A secret in the configuration (a password, a client secret): read as a string, printed and
/// serialised as `"(redacted)"`, so `config check` and logs never show it.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The secret itself, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("(redacted)")
    }
}

/// A structured section of the file: a typed table (or array of tables) read with serde.
///
/// To plug one in (for example `[smtp]`): define its type with `#[derive(Debug, Clone, Default,
/// Deserialize, Serialize)]` and `#[serde(deny_unknown_fields)]` (so typos are refused), hold
/// passwords and client secrets as [`Secret`], implement this trait (its `validate` names keys
/// relative to the section), and make it the type of the matching field of [`Config`] (replacing
/// the placeholder [`SmtpConfig`] or [`OidcProviderConfig`]). The loader, the error messages with
/// line numbers and `config check` then handle it; settings that must also come from environment
/// variables go in `apply_env`.
pub trait Section: fmt::Debug + Clone + Default + Serialize + DeserializeOwned {
    /// The section's key in the file.
    const KEY: &'static str;
    /// Checks across the section's fields: (key relative to the section, message) for each problem.
    fn validate(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    /// Applies environment variables over the file's values: (key, variable, message) for each problem.
    fn apply_env(
        &mut self,
        _env: &dyn Fn(&str) -> Option<String>,
    ) -> Vec<(String, &'static str, String)> {
        Vec::new()
    }
}

/// `[smtp]`: a placeholder until the email work defines its settings; any key in it is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {}

impl Section for SmtpConfig {
    const KEY: &'static str = "smtp";
}

/// `[oidc]`: the OpenID Connect identity providers.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    #[serde(default)]
    pub providers: Vec<OidcProviderConfig>,
}

/// One `[[oidc.providers]]`: an identity provider, as the OpenID Connect work defines it (docs/sso.md).
pub use concordat_app::oidc::OidcProviderConfig;

impl Section for OidcConfig {
    const KEY: &'static str = "oidc";
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Default,
    File { path: PathBuf, line: usize },
    Env(String),
    Flag(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File { path, line: 0 } => write!(f, "{}", path.display()),
            Origin::File { path, line } => write!(f, "{}, line {line}", path.display()),
            Origin::Env(v) => write!(f, "from {v}"),
            Origin::Flag(flag) => write!(f, "from {flag}"),
        }
    }
}

/// One problem with the configuration: the key (none for a TOML syntax error), where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub key: Option<String>,
    pub origin: Origin,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.key, &self.origin) {
            (Some(k), Origin::Default) => write!(f, "{k}: {}", self.message),
            (Some(k), o) => write!(f, "{k} ({o}): {}", self.message),
            (None, o) => write!(f, "{o}: {}", self.message),
        }
    }
}

/// Every problem found, in the order of the file, then the environment, then the flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "the configuration has {n} {}:",
            if n == 1 { "error" } else { "errors" }
        )?;
        for e in &self.0 {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// A value given on the command line, such as `--listen 0.0.0.0:8080`.
#[derive(Debug, Clone)]
pub struct Override {
    pub key: &'static str,
    pub flag: &'static str,
    pub value: String,
}

/// What to load from.
pub struct Sources<'a> {
    /// The file (`--config`); when `None` and `config_env` is set, `CONCORDAT_CONFIG` names it.
    pub file: Option<PathBuf>,
    pub config_env: bool,
    /// Looks up an environment variable (`std::env::var` in the binary; a map in tests).
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub flags: Vec<Override>,
}

/// The process environment, for [`Sources::env`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    Int,
    Bool,
    List,
}

type Setter = fn(&mut Config, &toml::Value) -> Result<(), String>;
type Getter = fn(&Config) -> Option<toml::Value>;

/// One scalar setting.
pub struct Setting {
    pub key: &'static str,
    pub env: &'static str,
    kind: Kind,
    set: Setter,
    get: Getter,
}

fn text(v: &toml::Value) -> Result<String, String> {
    match v {
        toml::Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        toml::Value::String(_) => Err("must not be empty".into()),
        other => Err(format!("must be a string, not {}", other.type_str())),
    }
}

fn uint(v: &toml::Value, min: u64, max: u64) -> Result<u64, String> {
    let msg = || format!("must be a whole number from {min} to {max}");
    match v {
        toml::Value::Integer(i) => u64::try_from(*i)
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(msg),
        _ => Err(msg()),
    }
}

fn boolean(v: &toml::Value) -> Result<bool, String> {
    match v {
        toml::Value::Boolean(b) => Ok(*b),
        _ => Err("must be true or false".into()),
    }
}

fn list(v: &toml::Value) -> Result<Vec<String>, String> {
    match v {
        toml::Value::Array(items) => items
            .iter()
            .map(|i| match i {
                toml::Value::String(s) => Ok(s.clone()),
                other => Err(format!(
                    "must be a list of strings, not of {}",
                    other.type_str()
                )),
            })
            .collect(),
        _ => Err("must be a list of strings, such as [\"127.0.0.1\", \"10.0.0.0/8\"]".into()),
    }
}

fn int(n: u64) -> Option<toml::Value> {
    Some(toml::Value::Integer(i64::try_from(n).unwrap_or(i64::MAX)))
}

fn string(s: &str) -> Option<toml::Value> {
    Some(toml::Value::String(s.to_string()))
}

/// Checks `HOST:PORT` (a host name or an address; IPv6 in brackets).
fn listen_address(s: &str) -> Result<String, String> {
    let bad = || format!("{s:?} is not HOST:PORT, such as 127.0.0.1:8080");
    let (host, port) = s.rsplit_once(':').ok_or_else(bad)?;
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(bad());
    }
    Ok(s.to_string())
}

/// Checks an origin such as `https://concordat.example.org` (no path, query or trailing slash).
fn public_url(s: &str) -> Result<String, String> {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or_else(|| format!("{s:?} must start with https:// (or http://)"))?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
        return Err(format!(
            "{s:?} must be just the scheme and host, such as https://concordat.example.org"
        ));
    }
    Ok(s.strip_suffix('/').unwrap_or(s).to_string())
}

fn database_url(s: &str) -> Result<String, String> {
    if s.starts_with("sqlite:") || s.starts_with("postgres://") || s.starts_with("postgresql://") {
        Ok(s.to_string())
    } else {
        Err(format!(
            "{:?} is not understood: use sqlite:PATH or postgres://USER@HOST:PORT/DB",
            redact_url(s)
        ))
    }
}

/// Replaces the password in a database URL (`user:PASSWORD@`, or a `password=` parameter) with `***`.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let after = scheme_end + 3;
        let authority_end = out[after..].find('/').map_or(out.len(), |i| after + i);
        if let Some(at) = out[after..authority_end].rfind('@') {
            let userinfo = &out[after..after + at];
            if let Some(colon) = userinfo.find(':') {
                out.replace_range(after + colon + 1..after + at, "***");
            }
        }
    }
    if let Some(q) = out.find('?') {
        let (base, query) = out.split_at(q + 1);
        let query: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_string(),
            })
            .collect();
        out = format!("{base}{}", query.join("&"));
    }
    out
}

/// Every scalar setting: its key in the file, its environment variable, how to read and show it.
pub static SETTINGS: &[Setting] = &[
    Setting {
        key: "server.listen",
        env: "CONCORDAT_LISTEN",
        kind: Kind::Text,
        set: |c, v| {
            c.server.listen = listen_address(&text(v)?)?;
            Ok(())
        },
        get: |c| string(&c.server.listen),
    },
    Setting {
        key: "server.public_url",
        env: "CONCORDAT_PUBLIC_URL",
        kind: Kind::Text,
        set: |c, v| {
            c.server.public_url = Some(public_url(&text(v)?)?);
            Ok(())
        },
        get: |c| c.server.public_url.as_deref().and_then(string),
    },
    Setting {
        key: "server.secure_cookies",
        env: "CONCORDAT_SECURE_COOKIES",
        kind: Kind::Bool,
        set: |c, v| {
            c.server.secure_cookies = boolean(v)?;
            Ok(())
        },
        get: |c| Some(toml::Value::Boolean(c.server.secure_cookies)),
    },
    Setting {
        key: "server.hsts_max_age_seconds",
        env: "CONCORDAT_HSTS_MAX_AGE_SECONDS",
        kind: Kind::Int,
        set: |c, v| {
            c.server.hsts_max_age_seconds = uint(v, 0, 2 * 365 * 24 * 3600)?;
            Ok(())
        },
        get: |c| int(c.server.hsts_max_age_seconds),
    },
    Setting {
        key: "server.trusted_proxies",
        env: "CONCORDAT_TRUSTED_PROXIES",
        kind: Kind::List,
        set: |c, v| {
            c.server.trusted_proxies = list(v)?
                .iter()
                .map(|s| Cidr::parse(s))
                .collect::<Result<_, _>>()?;
            Ok(())
        },
        get: |c| {
            Some(toml::Value::Array(
                c.server
                    .trusted_proxies
                    .iter()
                    .map(|p| toml::Value::String(p.to_string()))
                    .collect(),
            ))
        },
    },
    Setting {
        key: "server.secret_key_file",
        env: "CONCORDAT_SECRET_KEY_FILE",
        kind: Kind::Text,
        set: |c, v| {
            c.server.secret_key_file = Some(PathBuf::from(text(v)?));
            Ok(())
        },
        get: |c| {
            c.server
                .secret_key_file
                .as_deref()
                .and_then(|p| string(&p.display().to_string()))
        },
    },
    Setting {
        key: "database.url",
        env: "CONCORDAT_DATABASE_URL",
        kind: Kind::Text,
        set: |c, v| {
            c.database.url = Some(database_url(&text(v)?)?);
            Ok(())
        },
        get: |c| {
            c.database
                .url
                .as_deref()
                .and_then(|u| string(&redact_url(u)))
        },
    },
    Setting {
        key: "database.pool_size",
        env: "CONCORDAT_DB_POOL",
        kind: Kind::Int,
        set: |c, v| {
            c.database.pool_size = Some(u32::try_from(uint(v, 1, 1000)?).unwrap_or(1000));
            Ok(())
        },
        get: |c| c.database.pool_size.and_then(|n| int(u64::from(n))),
    },
    Setting {
        key: "database.writer_wait_seconds",
        env: "CONCORDAT_DB_WRITER_WAIT_SECONDS",
        kind: Kind::Int,
        set: |c, v| {
            c.database.writer_wait_seconds = Some(uint(v, 1, 300)?);
            Ok(())
        },
        get: |c| c.database.writer_wait_seconds.and_then(int),
    },
    Setting {
        key: "sessions.idle_minutes",
        env: "CONCORDAT_SESSION_IDLE_MINUTES",
        kind: Kind::Int,
        set: |c, v| {
            c.sessions.idle_minutes = uint(v, 1, 24 * 60)?;
            Ok(())
        },
        get: |c| int(c.sessions.idle_minutes),
    },
    Setting {
        key: "sessions.absolute_hours",
        env: "CONCORDAT_SESSION_ABSOLUTE_HOURS",
        kind: Kind::Int,
        set: |c, v| {
            c.sessions.absolute_hours = uint(v, 1, 7 * 24)?;
            Ok(())
        },
        get: |c| int(c.sessions.absolute_hours),
    },
    Setting {
        key: "sessions.api_token_hours",
        env: "CONCORDAT_API_TOKEN_HOURS",
        kind: Kind::Int,
        set: |c, v| {
            c.sessions.api_token_hours = uint(v, 1, 7 * 24)?;
            Ok(())
        },
        get: |c| int(c.sessions.api_token_hours),
    },
    Setting {
        key: "sign_in.window_minutes",
        env: "CONCORDAT_SIGN_IN_WINDOW_MINUTES",
        kind: Kind::Int,
        set: |c, v| {
            c.sign_in.window_minutes = uint(v, 1, 24 * 60)?;
            Ok(())
        },
        get: |c| int(c.sign_in.window_minutes),
    },
    Setting {
        key: "sign_in.max_failures_per_account_address",
        env: "CONCORDAT_SIGN_IN_MAX_FAILURES_PER_ACCOUNT_ADDRESS",
        kind: Kind::Int,
        set: |c, v| {
            c.sign_in.max_failures_per_account_address = uint(v, 1, 1000)?;
            Ok(())
        },
        get: |c| int(c.sign_in.max_failures_per_account_address),
    },
    Setting {
        key: "sign_in.max_failures_per_address",
        env: "CONCORDAT_SIGN_IN_MAX_FAILURES_PER_ADDRESS",
        kind: Kind::Int,
        set: |c, v| {
            c.sign_in.max_failures_per_address = uint(v, 1, 100_000)?;
            Ok(())
        },
        get: |c| int(c.sign_in.max_failures_per_address),
    },
    Setting {
        key: "sign_in.max_mfa_failures",
        env: "CONCORDAT_SIGN_IN_MAX_MFA_FAILURES",
        kind: Kind::Int,
        set: |c, v| {
            c.sign_in.max_mfa_failures = uint(v, 1, 1000)?;
            Ok(())
        },
        get: |c| int(c.sign_in.max_mfa_failures),
    },
    Setting {
        key: "sign_in.max_failures_per_account",
        env: "CONCORDAT_SIGN_IN_MAX_FAILURES_PER_ACCOUNT",
        kind: Kind::Int,
        set: |c, v| {
            c.sign_in.max_failures_per_account = uint(v, 1, 100_000)?;
            Ok(())
        },
        get: |c| int(c.sign_in.max_failures_per_account),
    },
    Setting {
        key: "sign_in.account_lock_minutes",
        env: "CONCORDAT_SIGN_IN_ACCOUNT_LOCK_MINUTES",
        kind: Kind::Int,
        set: |c, v| {
            c.sign_in.account_lock_minutes = uint(v, 1, 7 * 24 * 60)?;
            Ok(())
        },
        get: |c| int(c.sign_in.account_lock_minutes),
    },
    Setting {
        key: "housekeeping.interval_minutes",
        env: "CONCORDAT_HOUSEKEEPING_MINUTES",
        kind: Kind::Int,
        set: |c, v| {
            c.housekeeping.interval_minutes = uint(v, 0, 7 * 24 * 60)?;
            Ok(())
        },
        get: |c| int(c.housekeeping.interval_minutes),
    },
    Setting {
        key: "metrics.enabled",
        env: "CONCORDAT_METRICS",
        kind: Kind::Bool,
        set: |c, v| {
            c.metrics.enabled = boolean(v)?;
            Ok(())
        },
        get: |c| Some(toml::Value::Boolean(c.metrics.enabled)),
    },
    Setting {
        key: "log.format",
        env: "CONCORDAT_LOG_FORMAT",
        kind: Kind::Text,
        set: |c, v| {
            c.log.format = LogFormat::parse(&text(v)?)?;
            Ok(())
        },
        get: |c| string(c.log.format.code()),
    },
];

fn setting(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// Turns a string from the environment or a flag into the TOML value the setter expects.
fn from_string(kind: Kind, s: &str) -> Result<toml::Value, String> {
    match kind {
        Kind::Text => Ok(toml::Value::String(s.to_string())),
        Kind::Int => s
            .trim()
            .parse::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| format!("{s:?} is not a whole number")),
        Kind::Bool => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(toml::Value::Boolean(true)),
            "0" | "false" | "no" | "off" | "" => Ok(toml::Value::Boolean(false)),
            _ => Err(format!("{s:?} is not true or false (or 1 or 0)")),
        },
        Kind::List => Ok(toml::Value::Array(
            s.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| toml::Value::String(p.to_string()))
                .collect(),
        )),
    }
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |t| t.bytes().filter(|b| *b == b'\n').count() + 1)
}

/// The line of every key path in the document (tables and values).
fn key_lines(text: &str) -> BTreeMap<String, usize> {
    fn walk(
        text: &str,
        prefix: &str,
        table: &toml::de::DeTable<'_>,
        out: &mut BTreeMap<String, usize>,
    ) {
        for (k, v) in table {
            let path = if prefix.is_empty() {
                k.get_ref().to_string()
            } else {
                format!("{prefix}.{}", k.get_ref())
            };
            out.entry(path.clone())
                .or_insert_with(|| line_of(text, k.span().start));
            if let toml::de::DeValue::Table(t) = v.get_ref() {
                walk(text, &path, t, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    if let Ok(doc) = toml::de::DeTable::parse(text) {
        walk(text, "", doc.get_ref(), &mut out);
    }
    out
}

/// Levenshtein distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn unknown_key_message(path: &str) -> String {
    let leaf = path.rsplit('.').next().unwrap_or(path);
    let best = SETTINGS
        .iter()
        .map(|s| s.key)
        .chain(["smtp", "oidc", "oidc.providers"])
        .map(|k| {
            let d = distance(path, k).min(distance(leaf, k.rsplit('.').next().unwrap_or(k)) + 1);
            (d, k)
        })
        .min();
    match best {
        Some((d, k)) if d <= 3 => format!("unknown key; did you mean `{k}`?"),
        _ => "unknown key (see docs/concordat.example.toml for every key)".into(),
    }
}

/// What the file holds for the structured sections, read with serde (other keys ignored here).
#[derive(Deserialize, Default)]
struct Structured {
    #[serde(default)]
    smtp: Option<SmtpConfig>,
    #[serde(default)]
    oidc: Option<OidcConfig>,
}

impl Config {
    /// Loads and validates the configuration from `sources`: the file, then the environment, then the
    /// flags, over the defaults. Returns every problem found, each naming its key.
    pub fn load(sources: &Sources<'_>) -> Result<Config, ConfigErrors> {
        let mut cfg = Config::default();
        let mut errors = Vec::new();
        let mut file_ok = true;
        let file = sources.file.clone().or_else(|| {
            sources
                .config_env
                .then(|| (sources.env)(CONFIG_ENV))
                .flatten()
                .filter(|s| !s.trim().is_empty())
                .map(PathBuf::from)
        });
        if let Some(path) = &file {
            match std::fs::read_to_string(path) {
                Ok(text) => file_ok = cfg.apply_file(path, &text, &mut errors),
                Err(e) => {
                    file_ok = false;
                    errors.push(ConfigError {
                        key: None,
                        origin: Origin::File {
                            path: path.clone(),
                            line: 0,
                        },
                        message: format!("cannot read the configuration file: {e}"),
                    });
                }
            }
        }
        for s in SETTINGS {
            // An empty variable counts as unset, as `-e NAME=` in a container often leaves it.
            if let Some(raw) = (sources.env)(s.env).filter(|v| !v.trim().is_empty()) {
                let origin = Origin::Env(s.env.to_string());
                let r = from_string(s.kind, &raw).and_then(|v| (s.set)(&mut cfg, &v));
                cfg.record(s.key, origin, r, &mut errors);
            }
        }
        if let Some(smtp) = cfg.smtp.as_mut() {
            for (key, var, message) in smtp.apply_env(sources.env) {
                errors.push(ConfigError {
                    key: Some(format!("smtp.{key}")),
                    origin: Origin::Env(var.to_string()),
                    message,
                });
            }
        }
        for (key, var, message) in cfg.oidc.apply_env(sources.env) {
            errors.push(ConfigError {
                key: Some(format!("oidc.{key}")),
                origin: Origin::Env(var.to_string()),
                message,
            });
        }
        for o in &sources.flags {
            match setting(o.key) {
                Some(s) => {
                    let r = from_string(s.kind, &o.value).and_then(|v| (s.set)(&mut cfg, &v));
                    cfg.record(s.key, Origin::Flag(o.flag), r, &mut errors);
                }
                None => errors.push(ConfigError {
                    key: Some(o.key.to_string()),
                    origin: Origin::Flag(o.flag),
                    message: "unknown key".into(),
                }),
            }
        }
        if file_ok {
            cfg.validate(&mut errors);
        }
        if errors.is_empty() {
            Ok(cfg)
        } else {
            Err(ConfigErrors(errors))
        }
    }

    /// Parses a configuration file's text (for tests and `config check`): the file over the defaults,
    /// validated, with no environment and no flags.
    pub fn from_toml(path: &Path, text: &str) -> Result<Config, ConfigErrors> {
        let mut cfg = Config::default();
        let mut errors = Vec::new();
        if cfg.apply_file(path, text, &mut errors) {
            cfg.validate(&mut errors);
        }
        if errors.is_empty() {
            Ok(cfg)
        } else {
            Err(ConfigErrors(errors))
        }
    }

    fn record(
        &mut self,
        key: &'static str,
        origin: Origin,
        result: Result<(), String>,
        errors: &mut Vec<ConfigError>,
    ) {
        match result {
            Ok(()) => {
                self.origins.insert(key, origin);
            }
            Err(message) => errors.push(ConfigError {
                key: Some(key.to_string()),
                origin,
                message,
            }),
        }
    }

    /// Applies the file's values; false when it is not valid TOML (then nothing else is worth checking).
    fn apply_file(&mut self, path: &Path, text: &str, errors: &mut Vec<ConfigError>) -> bool {
        let at = |line: usize| Origin::File {
            path: path.to_path_buf(),
            line,
        };
        // Syntax first: every error the parser can find, each with its line.
        let (_, syntax) = toml::de::DeTable::parse_recoverable(text);
        if !syntax.is_empty() {
            for e in syntax {
                let line = e.span().map_or(1, |s| line_of(text, s.start));
                errors.push(ConfigError {
                    key: None,
                    origin: at(line),
                    message: format!("not valid TOML: {}", e.message().trim()),
                });
            }
            return false;
        }
        let table: toml::Table = match toml::from_str(text) {
            Ok(t) => t,
            Err(e) => {
                let line = e.span().map_or(1, |s| line_of(text, s.start));
                errors.push(ConfigError {
                    key: None,
                    origin: at(line),
                    message: format!("not valid TOML: {}", e.message().trim()),
                });
                return false;
            }
        };
        let lines = key_lines(text);
        let line = |k: &str| lines.get(k).copied().unwrap_or(1);
        for (section, value) in &table {
            if section == SmtpConfig::KEY || section == OidcConfig::KEY {
                continue;
            }
            let toml::Value::Table(entries) = value else {
                errors.push(ConfigError {
                    key: Some(section.clone()),
                    origin: at(line(section)),
                    message: unknown_key_message(section),
                });
                continue;
            };
            for (k, v) in entries {
                let path = format!("{section}.{k}");
                match setting(&path) {
                    Some(s) => {
                        let r = (s.set)(self, v);
                        self.record(s.key, at(line(&path)), r, errors);
                    }
                    None => errors.push(ConfigError {
                        key: Some(path.clone()),
                        origin: at(line(&path)),
                        message: unknown_key_message(&path),
                    }),
                }
            }
        }
        // The structured sections, typed by serde (unknown keys refused by deny_unknown_fields).
        match toml::from_str::<Structured>(text) {
            Ok(s) => {
                self.smtp = s.smtp;
                self.oidc = s.oidc.unwrap_or_default();
            }
            Err(e) => {
                let line = e.span().map_or(1, |s| line_of(text, s.start));
                // The section whose table starts last before the error's line.
                let section = [SmtpConfig::KEY, OidcConfig::KEY]
                    .into_iter()
                    .filter_map(|k| lines.get(k).map(|l| (*l, k)))
                    .filter(|(l, _)| *l <= line)
                    .max()
                    .map_or(OidcConfig::KEY, |(_, k)| k);
                let mut message = e.message().trim().to_string();
                if message.contains("there are no fields") {
                    message.push_str(&format!(
                        " (the [{section}] settings are not defined yet, so this section takes none)"
                    ));
                }
                errors.push(ConfigError {
                    key: Some(section.to_string()),
                    origin: at(line),
                    message,
                });
            }
        }
        true
    }

    /// Checks across settings, and the required ones.
    fn validate(&self, errors: &mut Vec<ConfigError>) {
        let origin = |k: &str| self.origins.get(k).cloned().unwrap_or(Origin::Default);
        let mut err = |key: &str, message: String| {
            errors.push(ConfigError {
                key: Some(key.to_string()),
                origin: origin(key),
                message,
            });
        };
        if self.database.url.is_none() {
            err(
                "database.url",
                "required: give it in the file, or CONCORDAT_DATABASE_URL, or --database-url"
                    .into(),
            );
        }
        if self.server.secret_key_file.is_none() {
            err(
                "server.secret_key_file",
                "required: give it in the file, or CONCORDAT_SECRET_KEY_FILE, or --secret-key-file (create one with `head -c 32 /dev/urandom > FILE; chmod 600 FILE`)".into(),
            );
        }
        if self.sessions.idle_minutes > self.sessions.absolute_hours * 60 {
            err(
                "sessions.idle_minutes",
                format!(
                    "{} minutes is longer than sessions.absolute_hours ({} hours), after which every session ends anyway",
                    self.sessions.idle_minutes, self.sessions.absolute_hours
                ),
            );
        }
        if self.server.hsts_max_age_seconds > 0 && !self.server.secure_cookies {
            err(
                "server.hsts_max_age_seconds",
                "HSTS is only for a site served over HTTPS: set server.secure_cookies = true too, or leave this at 0".into(),
            );
        }
        if let Some(url) = &self.server.public_url
            && self.server.secure_cookies
            && url.starts_with("http://")
        {
            err(
                "server.public_url",
                "starts with http:// but server.secure_cookies is on, so the site is served over HTTPS: use https://".into(),
            );
        }
        if let Some(smtp) = &self.smtp {
            for (k, m) in smtp.validate() {
                err(&format!("smtp.{k}"), m);
            }
        }
        for (k, m) in self.oidc.validate() {
            err(&format!("oidc.{k}"), m);
        }
    }

    /// Where a setting's value came from.
    pub fn origin(&self, key: &str) -> Origin {
        self.origins.get(key).cloned().unwrap_or(Origin::Default)
    }

    /// The effective configuration as TOML, secrets redacted, each value with where it came from.
    pub fn render(&self) -> String {
        let mut out = String::from(
            "# Concordat's effective configuration (secrets redacted); each value says where it came from.\n",
        );
        let mut section = "";
        for s in SETTINGS {
            let (sec, leaf) = s.key.split_once('.').unwrap_or(("", s.key));
            if sec != section {
                out.push_str(&format!("\n[{sec}]\n"));
                section = sec;
            }
            let origin = self.origin(s.key);
            match (s.get)(self) {
                Some(v) => out.push_str(&format!("{leaf} = {v}  # {origin}; {}\n", s.env)),
                None => out.push_str(&format!("# {leaf} is not set  # {}\n", s.env)),
            }
        }
        match &self.smtp {
            None => out.push_str("\n# [smtp] is not set\n"),
            Some(smtp) => out.push_str(&render_section(SmtpConfig::KEY, smtp)),
        }
        if self.oidc.providers.is_empty() {
            out.push_str("\n# [[oidc.providers]]: none\n");
        } else {
            out.push_str(&render_section(OidcConfig::KEY, &self.oidc));
        }
        out
    }

    /// The app layer's settings, with the secret key loaded by the caller.
    pub fn app_config(
        &self,
        secret_key: Option<concordat_app::secret::SecretKey>,
    ) -> concordat_app::AppConfig {
        use std::time::Duration;
        let mins = |m: u64| Duration::from_secs(m * 60);
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        concordat_app::AppConfig {
            session_idle: mins(self.sessions.idle_minutes),
            session_absolute: mins(self.sessions.absolute_hours * 60),
            bearer_ttl: mins(self.sessions.api_token_hours * 60),
            max_failures_per_account_address: n(self.sign_in.max_failures_per_account_address),
            max_failures_per_address: n(self.sign_in.max_failures_per_address),
            max_mfa_failures: n(self.sign_in.max_mfa_failures),
            throttle_window: mins(self.sign_in.window_minutes),
            max_failures_per_account: n(self.sign_in.max_failures_per_account),
            account_lock_window: mins(self.sign_in.account_lock_minutes),
            secret_key,
            // Identity providers are checked (and their secrets read) by `Application::build`.
            oidc: Default::default(),
        }
    }

    /// The web layer's settings.
    pub fn web_config(&self) -> crate::WebConfig {
        crate::WebConfig {
            secure_cookies: self.server.secure_cookies,
            trusted_proxies: self.server.trusted_proxies.clone(),
            hsts_max_age_seconds: self.server.hsts_max_age_seconds,
            public_url: self.server.public_url.clone(),
        }
    }

    /// The store's connection settings.
    pub fn connect_options(&self) -> concordat_store::ConnectOptionsCfg {
        concordat_store::ConnectOptionsCfg {
            create: false,
            max_connections: self.database.pool_size,
            writer_wait: self
                .database
                .writer_wait_seconds
                .map(std::time::Duration::from_secs),
        }
    }
}

fn render_section<T: Serialize>(key: &str, value: &T) -> String {
    let mut wrapper = toml::Table::new();
    match toml::Value::try_from(value) {
        Ok(v) => {
            wrapper.insert(key.to_string(), v);
            format!("\n{}", toml::to_string(&wrapper).unwrap_or_default())
        }
        Err(e) => format!("\n# [{key}] cannot be shown: {e}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_passwords() {
        assert_eq!(
            redact_url("postgres://concordat:hunter2@db:5432/c?sslmode=require"),
            "postgres://concordat:***@db:5432/c?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://c@db/c?password=x&sslmode=require"),
            "postgres://c@db/c?password=***&sslmode=require"
        );
        assert_eq!(redact_url("sqlite:/var/lib/c.db"), "sqlite:/var/lib/c.db");
    }

    #[test]
    fn typos_get_a_suggestion() {
        assert!(unknown_key_message("sessions.idel_minutes").contains("sessions.idle_minutes"));
        assert!(unknown_key_message("server.secure_cookie").contains("server.secure_cookies"));
        assert!(unknown_key_message("colour.scheme").contains("unknown key"));
    }

    #[test]
    fn cidr_round_trips() {
        for s in ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"] {
            assert_eq!(Cidr::parse(s).map(|c| c.to_string()), Ok(s.to_string()));
        }
    }
}
