//! The one Concordat binary.

use clap::{Args, Parser, Subcommand};
use concordat_app::admin::NewUser;
use concordat_app::{App, AppConfig, AppError};
use concordat_domain::Role;
use concordat_domain::policy::Actor;
use concordat_store::{ConnectOptionsCfg, Store};
use concordat_web::config::{Config, ConfigErrors, LogFormat, Override, Sources, process_env};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "concordat",
    version,
    about = "Concordat: software for local mental health crisis partnerships"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log format on standard error: text, or json (one JSON object a line, for log collectors).
    /// Also from CONCORDAT_LOG_FORMAT, or `[log] format` in the configuration file.
    #[arg(long, global = true)]
    log_format: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a synthetic demo region in a local SQLite database and serve it.
    Demo(DemoArgs),
    /// Serve Concordat on a real database, configured by a file, environment variables and flags.
    Serve(ServeArgs),
    /// Check the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Apply database migrations.
    Migrate(MigrateArgs),
    /// Manage member organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage data sharing agreements.
    #[command(subcommand)]
    Agreement(AgreementCommand),
    /// Manage staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Check the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write a consistent copy of a SQLite database while the server runs (PostgreSQL: use pg_dump).
    Backup(BackupArgs),
    /// Restore a backup made by `concordat backup` into a new or empty SQLite database.
    Restore(RestoreArgs),
    /// Purge expired sessions and old sign-in failure counters (the server does this on a timer).
    #[command(subcommand)]
    Housekeeping(HousekeepingCommand),
    /// Record linkage: recognise the same person across agencies' records.
    #[command(subcommand)]
    Link(concordat_link::cli::LinkCommand),
    /// Statistics for partnerships: SPC, before/after, forecasts, rota, economics, surveys.
    #[command(subcommand)]
    Insight(concordat_insight::cli::InsightCommand),
}

#[derive(Debug, Args)]
struct DemoArgs {
    #[command(flatten)]
    ops: OpsArgs,
    /// Folder for the demo's SQLite database and demo-logins.txt.
    #[arg(long, default_value = "concordat-data")]
    data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Delete the folder's demo database and generate the region again.
    #[arg(long)]
    reset: bool,
    /// Residents in the synthetic region (activity scales with it).
    #[arg(long, default_value_t = 250_000)]
    residents: u32,
    /// Seed for the synthetic region.
    #[arg(long, default_value_t = 20_171_211)]
    seed: u64,
    /// Generate and load the region, print the logins, and exit without serving.
    #[arg(long)]
    no_serve: bool,
    /// The day the generated history ends, YYYY-MM-DD (default: today in the UK), so the demo looks the same on any day.
    #[arg(long)]
    today: Option<chrono::NaiveDate>,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The configuration file (TOML; see docs/concordat.example.toml). Also from CONCORDAT_CONFIG.
    /// A flag beats an environment variable, which beats the file.
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(flatten)]
    settings: SettingFlags,
    #[command(flatten)]
    ops: OpsArgs,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Load the configuration as `serve` would and print it (secrets redacted), or every error.
    Check(ServeArgs),
}

/// The settings `serve` also takes as flags (every setting has a key in the file and an environment
/// variable; docs/deploy.md lists them).
#[derive(Debug, Args)]
struct SettingFlags {
    /// sqlite:PATH or postgres://USER@HOST:PORT/DB (database.url; CONCORDAT_DATABASE_URL).
    #[arg(long)]
    database_url: Option<String>,
    /// Address to listen on, HOST:PORT (server.listen; CONCORDAT_LISTEN; default 127.0.0.1:8080).
    #[arg(long)]
    listen: Option<String>,
    /// Mark cookies Secure: set this when serving behind TLS (server.secure_cookies; CONCORDAT_SECURE_COOKIES).
    #[arg(long)]
    secure_cookies: bool,
    /// Database connections to keep (database.pool_size; CONCORDAT_DB_POOL; default: 8 for SQLite; for
    /// PostgreSQL twice this machine's cores, at least 4).
    #[arg(long)]
    db_pool: Option<String>,
    /// File holding the 32-byte key that encrypts TOTP secrets, readable by its owner only
    /// (server.secret_key_file; CONCORDAT_SECRET_KEY_FILE). Create one with `head -c 32 /dev/urandom > FILE`.
    #[arg(long)]
    secret_key_file: Option<String>,
    /// A reverse proxy (address or network, such as 10.0.0.0/8) whose X-Forwarded-For header is
    /// believed; repeat for several (server.trusted_proxies; CONCORDAT_TRUSTED_PROXIES, comma-separated).
    #[arg(long = "trusted-proxy", value_delimiter = ',')]
    trusted_proxies: Vec<String>,
}

impl SettingFlags {
    fn overrides(&self) -> Vec<Override> {
        let mut v = Vec::new();
        let mut add = |key, flag, value: Option<String>| {
            if let Some(value) = value {
                v.push(Override { key, flag, value });
            }
        };
        add("database.url", "--database-url", self.database_url.clone());
        add("server.listen", "--listen", self.listen.clone());
        add(
            "server.secure_cookies",
            "--secure-cookies",
            self.secure_cookies.then(|| "true".into()),
        );
        add("database.pool_size", "--db-pool", self.db_pool.clone());
        add(
            "server.secret_key_file",
            "--secret-key-file",
            self.secret_key_file.clone(),
        );
        add(
            "server.trusted_proxies",
            "--trusted-proxy",
            (!self.trusted_proxies.is_empty()).then(|| self.trusted_proxies.join(",")),
        );
        v
    }
}

/// Settings for running a server: housekeeping and metrics (shared by `serve` and `demo`).
#[derive(Debug, Args)]
struct OpsArgs {
    /// Minutes between housekeeping runs (purging expired sessions and old sign-in failures); 0 turns it off
    /// (housekeeping.interval_minutes; CONCORDAT_HOUSEKEEPING_MINUTES; default 60).
    #[arg(long)]
    housekeeping_minutes: Option<String>,
    /// Serve Prometheus metrics at /metrics (request counts and latencies by route, database pool use,
    /// audit append time); off unless given (metrics.enabled; CONCORDAT_METRICS=1).
    #[arg(long)]
    metrics: bool,
    /// A TOML file of OpenID Connect identity providers for single sign-on (`[[providers]]`; see
    /// docs/sso.md). Also from CONCORDAT_OIDC_CONFIG. None by default.
    #[arg(long, env = "CONCORDAT_OIDC_CONFIG")]
    oidc_config: Option<PathBuf>,
}

impl OpsArgs {
    fn overrides(&self, log_format: Option<&String>) -> Vec<Override> {
        let mut v = Vec::new();
        if let Some(m) = &self.housekeeping_minutes {
            v.push(Override {
                key: "housekeeping.interval_minutes",
                flag: "--housekeeping-minutes",
                value: m.clone(),
            });
        }
        if self.metrics {
            v.push(Override {
                key: "metrics.enabled",
                flag: "--metrics",
                value: "true".into(),
            });
        }
        if let Some(f) = log_format {
            v.push(Override {
                key: "log.format",
                flag: "--log-format",
                value: f.clone(),
            });
        }
        v
    }
}

/// Loads `serve`'s configuration: the file (`--config` or CONCORDAT_CONFIG), the environment, the flags.
fn serve_config(a: &ServeArgs, log_format: Option<&String>) -> Result<Config, ConfigErrors> {
    let mut flags = a.settings.overrides();
    flags.extend(a.ops.overrides(log_format));
    Config::load(&Sources {
        file: a.config.clone(),
        config_env: true,
        env: &process_env,
        flags,
    })
}

#[derive(Debug, Args)]
struct BackupArgs {
    /// sqlite:PATH of the database to back up (also from CONCORDAT_DATABASE_URL).
    #[arg(long, env = "CONCORDAT_DATABASE_URL")]
    database_url: String,
    /// The backup file to write; it must not exist yet.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Debug, Args)]
struct RestoreArgs {
    /// The backup file, written by `concordat backup`.
    #[arg(long)]
    from: PathBuf,
    /// sqlite:PATH of the database to restore into: a new file, or a database with no tables.
    #[arg(long, env = "CONCORDAT_DATABASE_URL")]
    database_url: String,
}

#[derive(Debug, Subcommand)]
enum HousekeepingCommand {
    /// Run housekeeping once now and say what it deleted. The audit trail is never touched.
    Run {
        #[arg(long, env = "CONCORDAT_DATABASE_URL")]
        database_url: String,
    },
}

#[derive(Debug, Args)]
struct MigrateArgs {
    #[arg(long, env = "CONCORDAT_DATABASE_URL")]
    database_url: String,
    /// Create the SQLite file, or the PostgreSQL database (when the PostgreSQL user may create databases), if it
    /// does not exist.
    #[arg(long)]
    create: bool,
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// Add a member organisation.
    Add {
        #[arg(long, env = "CONCORDAT_DATABASE_URL")]
        database_url: String,
        #[arg(long)]
        name: String,
        /// Kind code: mental_health_trust, icb, acute_trust, ambulance_service, police_force, fire_and_rescue,
        /// local_authority, housing, vcse, other.
        #[arg(long)]
        kind: String,
        /// NHS ODS code, for NHS bodies.
        #[arg(long)]
        ods_code: Option<String>,
        /// org-id.guide identifier, e.g. GB-CHC-1234567 or GB-COH-01234567.
        #[arg(long)]
        org_id: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum AgreementCommand {
    /// Record an agreement already agreed by every party outside Concordat: categories of personal data
    /// may flow from one organisation to another from today (or --in-force-from). Agreements drafted
    /// and signed in Concordat go through the /agreements pages instead.
    Add {
        #[arg(long, env = "CONCORDAT_DATABASE_URL")]
        database_url: String,
        /// The organisation sharing (its name exactly as registered).
        #[arg(long)]
        from: String,
        /// The organisation receiving.
        #[arg(long)]
        to: String,
        /// Comma-separated category codes: identity, crisis_plan_summary, crisis_plan_clinical,
        /// crisis_plan_care_team, incident_history, detention_record.
        #[arg(long)]
        categories: String,
        /// direct_care, consent, vital_interests or law_enforcement.
        #[arg(long)]
        legal_basis: String,
        /// When the agreement must be reviewed (YYYY-MM-DD).
        #[arg(long)]
        review_date: String,
        /// The first day data may flow (YYYY-MM-DD); today if not given.
        #[arg(long)]
        in_force_from: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a staff account. The password is read from a prompt, or from standard input when it is not a terminal.
    Add {
        #[arg(long, env = "CONCORDAT_DATABASE_URL")]
        database_url: String,
        /// Organisation name, exactly as registered.
        #[arg(long)]
        org: String,
        /// Role code: responder, triage_clinician, crisis_clinician, pos_coordinator, analyst,
        /// alliance_coordinator, alliance_member, expert_by_experience, privacy_officer, administrator.
        #[arg(long)]
        role: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Walk the hash chain and report the first broken link (exit code 1 if any).
    Verify {
        #[arg(long, env = "CONCORDAT_DATABASE_URL")]
        database_url: String,
        /// An anchor file written by `audit anchor`: also check that the chain still reaches every
        /// anchored event with the same hash (catches the newest events deleted and the head moved back).
        #[arg(long)]
        anchor: Option<PathBuf>,
    },
    /// Verify the chain, then append its head (event number and hash) to an anchor file that the
    /// operator keeps outside the database, for `audit verify --anchor` to check later.
    Anchor {
        #[arg(long, env = "CONCORDAT_DATABASE_URL")]
        database_url: String,
        /// The anchor file to append to (created if missing); `-` prints the line instead.
        #[arg(long)]
        out: PathBuf,
    },
}

fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("CONCORDAT_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        // One object a line, with the request span's fields (request id, method, path) in "span".
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

/// The log format of commands other than `serve` and `demo`: the flag, else CONCORDAT_LOG_FORMAT, else text.
fn plain_log_format(flag: Option<&String>) -> Result<LogFormat, String> {
    match flag
        .cloned()
        .or_else(|| process_env("CONCORDAT_LOG_FORMAT"))
    {
        None => Ok(LogFormat::Text),
        Some(f) => LogFormat::parse(&f).map_err(|e| format!("--log-format: {e}")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let log_flag = cli.log_format.as_ref();
    let command = match cli.command {
        Command::Link(cmd) => return concordat_link::cli::run(cmd),
        Command::Insight(cmd) => return concordat_insight::cli::run(cmd),
        other => other,
    };
    // `serve` and `demo` load their whole configuration before anything else: every error at once.
    let config = match &command {
        Command::Config(ConfigCommand::Check(a)) => {
            return match serve_config(a, log_flag) {
                Ok(cfg) => {
                    print!("{}", cfg.render());
                    println!("\n# The configuration is valid.");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprint!("error: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::Serve(a) => Some(serve_config(a, log_flag)),
        Command::Demo(a) => Some(demo_config(a, log_flag)),
        _ => None,
    };
    let (format, config) = match config {
        Some(Ok(cfg)) => (cfg.log.format, Some(cfg)),
        Some(Err(e)) => {
            eprint!("error: {e}");
            return ExitCode::FAILURE;
        }
        None => match plain_log_format(log_flag) {
            Ok(f) => (f, None),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    init_tracing(format);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(command, config)) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

async fn connect(url: &str, create: bool) -> Result<Store, String> {
    Store::connect(
        url,
        ConnectOptionsCfg {
            create,
            ..Default::default()
        },
    )
    .await
    .map_err(|e| e.to_string())
}

fn app_error(e: AppError) -> String {
    match e {
        AppError::Invalid(fields) => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// Adds the identity providers of `--oidc-config FILE` (a TOML file of `[[providers]]`) to those of the
/// configuration file's `[[oidc.providers]]`.
fn add_oidc_file(cfg: &mut Config, file: Option<&std::path::Path>) -> Result<(), String> {
    if let Some(path) = file {
        cfg.oidc
            .providers
            .extend(concordat_app::oidc::OidcProviderConfig::read_file(path)?);
    }
    Ok(())
}

async fn run(cmd: Command, config: Option<Config>) -> Result<ExitCode, String> {
    match (cmd, config) {
        (Command::Demo(a), Some(mut cfg)) => {
            add_oidc_file(&mut cfg, a.ops.oidc_config.as_deref())?;
            demo(a, cfg).await
        }
        (Command::Serve(a), Some(mut cfg)) => {
            add_oidc_file(&mut cfg, a.ops.oidc_config.as_deref())?;
            serve(&cfg).await
        }
        (Command::Serve(_) | Command::Demo(_), None) => {
            Err("internal error: no configuration loaded".into())
        }
        (cmd, _) => run_command(cmd).await,
    }
}

async fn run_command(cmd: Command) -> Result<ExitCode, String> {
    match cmd {
        Command::Demo(_) | Command::Serve(_) | Command::Config(_) => Ok(ExitCode::SUCCESS),
        Command::Backup(a) => backup(a).await,
        Command::Restore(a) => restore(a).await,
        Command::Housekeeping(HousekeepingCommand::Run { database_url }) => {
            let store = connect(&database_url, false).await?;
            let app = App::new(store, AppConfig::default());
            let report = app
                .housekeeping(
                    chrono::Utc::now().timestamp_millis(),
                    concordat_app::housekeeping::DEFAULT_BATCH,
                )
                .await
                .map_err(app_error)?;
            for (purge, n) in &report.deleted {
                println!("Deleted {n} {}.", purge.label());
            }
            println!("The audit trail is untouched.");
            app.store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate(a) => {
            let store = connect(&a.database_url, a.create).await?;
            let applied = store.migrate().await.map_err(|e| e.to_string())?;
            if applied.is_empty() {
                println!("The database is up to date.");
            } else {
                println!("Applied: {}", applied.join(", "));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Org(OrgCommand::Add {
            database_url,
            name,
            kind,
            ods_code,
            org_id,
        }) => {
            let kind = concordat_domain::OrgKind::from_code(&kind).ok_or_else(|| {
                let codes: Vec<&str> = concordat_domain::OrgKind::ALL
                    .iter()
                    .map(|k| k.code())
                    .collect();
                format!(
                    "--kind {kind:?} is not a kind of organisation; use one of: {}",
                    codes.join(", ")
                )
            })?;
            let store = connect(&database_url, false).await?;
            let app = App::new(store, AppConfig::default());
            let org = app
                .add_organisation(
                    &Actor::system("cli:org-add"),
                    &name,
                    kind,
                    ods_code.as_deref(),
                    org_id.as_deref(),
                )
                .await
                .map_err(app_error)?;
            println!("Added {} ({}), id {}.", org.name, org.kind.label(), org.id);
            Ok(ExitCode::SUCCESS)
        }
        Command::Agreement(AgreementCommand::Add {
            database_url,
            from,
            to,
            categories,
            legal_basis,
            review_date,
            in_force_from,
        }) => {
            use concordat_domain::{DataCategory, LegalBasis};
            let cats = categories
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| {
                    DataCategory::from_code(c).ok_or_else(|| {
                        let codes: Vec<&str> = DataCategory::ALL.iter().map(|k| k.code()).collect();
                        format!(
                            "--categories: {c:?} is not a category; use: {}",
                            codes.join(", ")
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let basis = LegalBasis::from_code(&legal_basis).ok_or_else(|| {
                let codes: Vec<&str> = LegalBasis::ALL.iter().map(|k| k.code()).collect();
                format!(
                    "--legal-basis {legal_basis:?} is not a legal basis; use: {}",
                    codes.join(", ")
                )
            })?;
            let date = chrono::NaiveDate::parse_from_str(review_date.trim(), "%Y-%m-%d").map_err(
                |_| format!("--review-date {review_date:?} is not a date like 2027-03-31"),
            )?;
            let starts = match in_force_from {
                None => chrono::Utc::now().date_naive(),
                Some(s) => chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                    .map_err(|_| format!("--in-force-from {s:?} is not a date like 2027-04-01"))?,
            };
            let store = connect(&database_url, false).await?;
            let app = App::new(store, AppConfig::default());
            let id = app
                .record_agreed_agreement(
                    &Actor::system("cli:agreement-add"),
                    &from,
                    &to,
                    &cats,
                    basis,
                    starts,
                    date,
                )
                .await
                .map_err(app_error)?;
            println!(
                "Recorded agreement {id}: {from} → {to}, as already agreed by both parties, in force from {starts}."
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::User(UserCommand::Add {
            database_url,
            org,
            role,
            username,
            display_name,
        }) => {
            let role = Role::from_code(&role).ok_or_else(|| {
                let codes: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
                format!(
                    "--role {role:?} is not a role; use one of: {}",
                    codes.join(", ")
                )
            })?;
            let password = read_password()?;
            let store = connect(&database_url, false).await?;
            let app = App::new(store, AppConfig::default());
            let new = NewUser {
                username,
                display_name,
                org_name: org,
                role,
                password,
            };
            let id = app
                .add_user(&Actor::system("cli:user-add"), &new)
                .await
                .map_err(app_error)?;
            println!(
                "Added user {} (id {id}) as {} in {}.",
                new.username,
                role.label(),
                new.org_name
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(AuditCommand::Verify {
            database_url,
            anchor,
        }) => audit_verify(&database_url, anchor.as_deref()).await,
        Command::Audit(AuditCommand::Anchor { database_url, out }) => {
            audit_anchor(&database_url, &out).await
        }
        Command::Link(_) | Command::Insight(_) => Ok(ExitCode::SUCCESS),
    }
}

/// `audit verify`: the chain, the stored head and, with `--anchor`, every anchor in the file.
async fn audit_verify(database_url: &str, anchor: Option<&Path>) -> Result<ExitCode, String> {
    use concordat_domain::audit::Anchor;
    let anchors = match anchor {
        None => Vec::new(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the anchor file {}: {e}", path.display()))?;
            Anchor::parse_all(&text)
                .map_err(|e| format!("the anchor file {} is not valid: {e}", path.display()))?
        }
    };
    let store = connect(database_url, false).await?;
    let app = App::new(store, AppConfig::default());
    let report = app.verify_audit_with(&anchors).await.map_err(app_error)?;
    if let Some(e) = &report.error {
        println!(
            "Audit chain BROKEN after {} good events: {e}",
            report.events_checked
        );
        return Ok(ExitCode::from(1));
    }
    if !report.head_matches {
        println!(
            "Audit chain BROKEN: {} events verified, but the stored chain head does not match the last event (events were removed from the end).",
            report.events_checked
        );
        return Ok(ExitCode::from(1));
    }
    if let Some(e) = &report.anchor_error {
        println!(
            "Audit chain BROKEN: {} events verified, but {e}.",
            report.events_checked
        );
        return Ok(ExitCode::from(1));
    }
    if anchors.is_empty() {
        println!(
            "Audit chain intact: {} events verified.",
            report.events_checked
        );
    } else {
        println!(
            "Audit chain intact: {} events verified, and it reaches all {} anchors.",
            report.events_checked, report.anchors_checked
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `audit anchor`: verify, then append the head to the anchor file (never anchors a broken chain).
async fn audit_anchor(database_url: &str, out: &Path) -> Result<ExitCode, String> {
    let store = connect(database_url, false).await?;
    let app = App::new(store, AppConfig::default());
    let report = app.verify_audit().await.map_err(app_error)?;
    if !report.intact() {
        println!(
            "Not anchoring: the audit chain does not verify (run `concordat audit verify` for the first broken link)."
        );
        return Ok(ExitCode::from(1));
    }
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let line = report.head.to_line(&at);
    if out == Path::new("-") {
        println!("{line}");
        return Ok(ExitCode::SUCCESS);
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(out)
        .map_err(|e| format!("cannot open the anchor file {}: {e}", out.display()))?;
    writeln!(f, "{line}")
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("cannot write the anchor file {}: {e}", out.display()))?;
    println!(
        "Anchored the audit chain at event {} in {}. Keep this file away from the database server.",
        report.head.seq,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Reads a password without putting it on the command line: a prompt on a terminal (typed twice), else one line of stdin.
fn read_password() -> Result<String, String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let a = rpassword_prompt("New password (at least 12 characters): ")?;
        let b = rpassword_prompt("Type it again: ")?;
        if a != b {
            return Err("the two passwords were not the same".into());
        }
        Ok(a)
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

/// A terminal prompt that hides what is typed (rpassword turns off the terminal's echo); the password never
/// appears in argv, on the screen or in logs.
fn rpassword_prompt(prompt: &str) -> Result<String, String> {
    rpassword::prompt_password(prompt).map_err(|e| format!("cannot read the password: {e}"))
}

/// Builds the application from its configuration and serves until ctrl-c or SIGTERM.
async fn serve(cfg: &Config) -> Result<ExitCode, String> {
    let application = concordat_web::Application::build(cfg).await?;
    let addr = application.addr();
    println!("Concordat is serving on http://{addr} (ctrl-c to stop)");
    if cfg.metrics.enabled {
        // Logged rather than printed: the "serving on" line above is the last one scripts wait for.
        tracing::info!("Prometheus metrics at http://{addr}/metrics");
    }
    application.run().await.map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

/// `demo`'s configuration: its own database and key in the data folder, its listening address and the
/// housekeeping and metrics flags, over the environment and the defaults (never a configuration file,
/// which is for a real server).
fn demo_config(a: &DemoArgs, log_format: Option<&String>) -> Result<Config, ConfigErrors> {
    let db = a.data_dir.join("concordat.db");
    let mut flags = vec![
        Override {
            key: "database.url",
            flag: "--data-dir",
            value: format!("sqlite:{}", db.display()),
        },
        Override {
            key: "server.secret_key_file",
            flag: "--data-dir",
            value: a.data_dir.join("secret.key").display().to_string(),
        },
        Override {
            key: "server.listen",
            flag: "--listen",
            value: a.listen.clone(),
        },
    ];
    flags.extend(a.ops.overrides(log_format));
    Config::load(&Sources {
        file: None,
        config_env: false,
        env: &process_env,
        flags,
    })
}

fn demo_password() -> String {
    // Three random words' worth of entropy without a word list: 4 groups of 4 lowercase letters.
    let letters: Vec<char> = "abcdefghijkmnpqrstuvwxyz".chars().collect();
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes);
    let s: String = bytes
        .iter()
        .map(|b| letters[usize::from(*b) % letters.len()])
        .collect();
    format!(
        "demo-{}-{}-{}-{}",
        &s[0..4],
        &s[4..8],
        &s[8..12],
        &s[12..16]
    )
}

fn write_logins(path: &Path, logins: &[concordat_app::demo::DemoLogin]) -> Result<(), String> {
    let mut out = String::from(
        "# Concordat demo logins (synthetic data only). TAB-separated: username, password, role, organisation.\n",
    );
    for l in logins {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\n",
            l.username,
            l.password,
            l.role.code(),
            l.org_name
        ));
    }
    std::fs::write(path, out).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(())
}

fn read_logins(path: &Path) -> Vec<(String, String, String, String)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut it = l.split('\t').map(str::to_string);
            Some((it.next()?, it.next()?, it.next()?, it.next()?))
        })
        .collect()
}

async fn demo(a: DemoArgs, cfg: Config) -> Result<ExitCode, String> {
    concordat_store::create_private_dir(&a.data_dir)
        .map_err(|e| format!("cannot create {}: {e}", a.data_dir.display()))?;
    let db = a.data_dir.join("concordat.db");
    // Made here if missing; `Application::build` loads it again, as `serve` does.
    concordat_app::secret::SecretKey::load_or_create(&a.data_dir.join("secret.key"))?;
    let logins_file = a.data_dir.join("demo-logins.txt");
    if a.reset {
        for suffix in ["", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{}{suffix}", db.display()));
            if p.exists() {
                std::fs::remove_file(&p)
                    .map_err(|e| format!("cannot remove {}: {e}", p.display()))?;
            }
        }
    }
    let fresh = !db.exists();
    let store = connect(&format!("sqlite:{}", db.display()), true).await?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let app = App::new(store.clone(), AppConfig::default());
    let is_demo = app.is_demo().await.map_err(app_error)?;
    if !fresh && !is_demo && app.has_accounts().await.map_err(app_error)? {
        return Err(format!(
            "{} is not a demo database: it holds accounts that `concordat demo` did not create, and the demo's accounts skip multi-factor authentication. Use another --data-dir for the demo, and `concordat serve` for this database.",
            db.display()
        ));
    }
    if !is_demo {
        let today = a
            .today
            .unwrap_or_else(|| concordat_domain::mha::london_date(chrono::Utc::now()));
        let params = concordat_demo::DemoParams {
            seed: a.seed,
            residents: a.residents,
            ..Default::default()
        }
        .ending_on(today);
        println!(
            "Generating the synthetic demo region (seed {}, {} residents, history from {} to the start of {})…",
            params.seed, params.residents, params.start, today
        );
        let region = concordat_demo::generate(&params);
        let (loaded, logins) = app
            .load_demo(&region, &demo_password())
            .await
            .map_err(app_error)?;
        println!(
            "Loaded {} organisations, {} staff, {} people and {} crisis contacts (all synthetic).",
            loaded.organisations, loaded.staff, loaded.people, loaded.contacts
        );
        write_logins(&logins_file, &logins)?;
    } else {
        println!(
            "Reusing the demo region in {} (use --reset to generate it again).",
            a.data_dir.display()
        );
    }
    println!(
        "\nDemo logins (also in {}); every account here is synthetic:",
        logins_file.display()
    );
    for (user, pass, role, org) in read_logins(&logins_file) {
        let label = Role::from_code(&role).map(|r| r.label()).unwrap_or("?");
        println!("  {label:<55} {user:<28} {pass}   ({org})");
    }
    if a.no_serve {
        return Ok(ExitCode::SUCCESS);
    }
    println!();
    store.close().await;
    serve(&cfg).await
}

async fn backup(a: BackupArgs) -> Result<ExitCode, String> {
    let store = connect(&a.database_url, false).await?;
    let t0 = std::time::Instant::now();
    let written = store.backup_to(&a.out).await;
    store.close().await;
    written.map_err(|e| e.to_string())?;
    let took = t0.elapsed();
    // Check the copy as a restore would: SQLite's integrity check, the schema, and the audit chain.
    let copy = connect(&format!("sqlite:{}", a.out.display()), false).await?;
    let shown = a.out.display().to_string();
    copy.check_backup(&shown).await.map_err(|e| e.to_string())?;
    let app = App::new(copy, AppConfig::default());
    let report = app.verify_audit().await.map_err(app_error)?;
    app.store.close().await;
    if report.error.is_some() || !report.head_matches {
        return Err(format!(
            "the backup {shown} was written but its audit chain does not verify; keep the database as it is and run `concordat audit verify` on it"
        ));
    }
    let bytes = std::fs::metadata(&a.out).map(|m| m.len()).unwrap_or(0);
    println!(
        "Backed up to {shown} ({} KiB in {} ms); its audit chain is intact ({} events).",
        bytes / 1024,
        took.as_millis(),
        report.events_checked
    );
    Ok(ExitCode::SUCCESS)
}

async fn restore(a: RestoreArgs) -> Result<ExitCode, String> {
    let store = concordat_store::restore_sqlite(&a.from, &a.database_url)
        .await
        .map_err(|e| e.to_string())?;
    let app = App::new(store, AppConfig::default());
    let report = app.verify_audit().await.map_err(app_error)?;
    app.store.close().await;
    if report.error.is_some() || !report.head_matches {
        return Err(format!(
            "restored, but the audit chain does not verify: run `concordat audit verify --database-url {}` for the first broken link",
            a.database_url
        ));
    }
    println!(
        "Restored {} into {}; its audit chain is intact ({} events).",
        a.from.display(),
        a.database_url,
        report.events_checked
    );
    Ok(ExitCode::SUCCESS)
}
