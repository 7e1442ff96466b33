//! The one Concordat binary.

use clap::{Args, Parser, Subcommand};
use concordat_app::admin::NewUser;
use concordat_app::{App, AppConfig, AppError};
use concordat_domain::Role;
use concordat_domain::policy::Actor;
use concordat_store::{ConnectOptionsCfg, Store};
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
    /// Also from CONCORDAT_LOG_FORMAT.
    #[arg(long, global = true, env = "CONCORDAT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a synthetic demo region in a local SQLite database and serve it.
    Demo(DemoArgs),
    /// Serve Concordat on a real database.
    Serve(ServeArgs),
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
    #[command(flatten)]
    ops: OpsArgs,
    /// sqlite:PATH or postgres://USER@HOST:PORT/DB (also from CONCORDAT_DATABASE_URL).
    #[arg(long, env = "CONCORDAT_DATABASE_URL")]
    database_url: String,
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Mark cookies Secure: set this when serving behind TLS.
    #[arg(long)]
    secure_cookies: bool,
    /// Database connections to keep (default: 8 for SQLite; for PostgreSQL twice this machine's
    /// cores, at least 4). Also from CONCORDAT_DB_POOL.
    #[arg(long, env = "CONCORDAT_DB_POOL", value_parser = clap::value_parser!(u32).range(1..=1000))]
    db_pool: Option<u32>,
    /// File holding the 32-byte key that encrypts TOTP secrets, readable by its owner only
    /// (also from CONCORDAT_SECRET_KEY_FILE). Create one with `head -c 32 /dev/urandom > FILE`.
    #[arg(long, env = "CONCORDAT_SECRET_KEY_FILE")]
    secret_key_file: PathBuf,
    /// A reverse proxy (address or network, such as 10.0.0.0/8) whose X-Forwarded-For header is
    /// believed; repeat for several (also from CONCORDAT_TRUSTED_PROXIES, comma-separated).
    #[arg(long = "trusted-proxy", env = "CONCORDAT_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_cidr)]
    trusted_proxies: Vec<concordat_web::Cidr>,
}

fn parse_cidr(s: &str) -> Result<concordat_web::Cidr, String> {
    concordat_web::Cidr::parse(s)
}

/// Settings for running a server: housekeeping and metrics (shared by `serve` and `demo`).
#[derive(Debug, Args)]
struct OpsArgs {
    /// Minutes between housekeeping runs (purging expired sessions and old sign-in failures); 0 turns it off.
    /// Also from CONCORDAT_HOUSEKEEPING_MINUTES.
    #[arg(long, env = "CONCORDAT_HOUSEKEEPING_MINUTES", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(0..=10_080))]
    housekeeping_minutes: u64,
    /// Serve Prometheus metrics at /metrics (request counts and latencies by route, database pool use,
    /// audit append time). Off unless given, or CONCORDAT_METRICS=1.
    #[arg(long, env = "CONCORDAT_METRICS", value_parser = clap::builder::BoolishValueParser::new(),
          action = clap::ArgAction::SetTrue)]
    metrics: bool,
    /// A TOML file of OpenID Connect identity providers for single sign-on (`[[providers]]`; see
    /// docs/sso.md). Also from CONCORDAT_OIDC_CONFIG. None by default.
    #[arg(long, env = "CONCORDAT_OIDC_CONFIG")]
    oidc_config: Option<PathBuf>,
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
    /// Record that categories of personal data may flow from one organisation to another.
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Link(cmd) => concordat_link::cli::run(cmd),
        Command::Insight(cmd) => concordat_insight::cli::run(cmd),
        other => {
            init_tracing(cli.log_format);
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
            match rt.block_on(run(other)) {
                Ok(code) => code,
                Err(msg) => {
                    eprintln!("error: {msg}");
                    ExitCode::FAILURE
                }
            }
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

async fn run(cmd: Command) -> Result<ExitCode, String> {
    match cmd {
        Command::Demo(a) => demo(a).await,
        Command::Serve(a) => {
            // Refuse a missing, unreadable, short or shared key before touching the database.
            let key = concordat_app::secret::SecretKey::load(&a.secret_key_file)?;
            let store = Store::connect(
                &a.database_url,
                ConnectOptionsCfg {
                    max_connections: a.db_pool,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| e.to_string())?;
            store.migrate().await.map_err(|e| e.to_string())?;
            let web = concordat_web::WebConfig {
                secure_cookies: a.secure_cookies,
                trusted_proxies: a.trusted_proxies,
            };
            serve(store, &a.listen, web, key, &a.ops).await
        }
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
            let store = connect(&database_url, false).await?;
            let app = App::new(store, AppConfig::default());
            let id = app
                .add_agreement(
                    &Actor::system("cli:agreement-add"),
                    &from,
                    &to,
                    &cats,
                    basis,
                    date,
                )
                .await
                .map_err(app_error)?;
            println!("Recorded agreement {id}: {from} → {to}.");
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

async fn serve(
    store: Store,
    listen: &str,
    web: concordat_web::WebConfig,
    key: concordat_app::secret::SecretKey,
    ops: &OpsArgs,
) -> Result<ExitCode, String> {
    let oidc = match &ops.oidc_config {
        Some(path) => concordat_app::oidc::OidcProviders::load_file(path)?,
        None => concordat_app::oidc::OidcProviders::default(),
    };
    let app = App::new(
        store,
        AppConfig {
            secret_key: Some(key),
            oidc,
            ..AppConfig::default()
        },
    );
    let housekeeping = start_housekeeping(&app, ops.housekeeping_minutes);
    let demo = app.is_demo().await.map_err(app_error)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("Concordat is serving on http://{addr} (ctrl-c to stop)");
    let state = concordat_web::AppState {
        app: app.clone(),
        cfg: web,
        demo,
    };
    let router = concordat_web::router(state.clone());
    let router = if ops.metrics {
        // Logged rather than printed: the "serving on" line above is the last one scripts wait for.
        tracing::info!("Prometheus metrics at http://{addr}/metrics");
        concordat_web::with_metrics(router, &state)
    } else {
        router
    };
    concordat_web::serve_router(listener, router)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(h) = housekeeping {
        h.abort();
    }
    app.store.close().await;
    Ok(ExitCode::SUCCESS)
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

async fn demo(a: DemoArgs) -> Result<ExitCode, String> {
    concordat_store::create_private_dir(&a.data_dir)
        .map_err(|e| format!("cannot create {}: {e}", a.data_dir.display()))?;
    let db = a.data_dir.join("concordat.db");
    let key = concordat_app::secret::SecretKey::load_or_create(&a.data_dir.join("secret.key"))?;
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
    serve(
        store,
        &a.listen,
        concordat_web::WebConfig::default(),
        key,
        &a.ops,
    )
    .await
}

/// Starts the housekeeping timer: a first run a minute after start, then one every `minutes`
/// (none if 0). A failed run is logged and the timer carries on.
fn start_housekeeping(app: &App, minutes: u64) -> Option<tokio::task::JoinHandle<()>> {
    if minutes == 0 {
        tracing::info!("housekeeping is off (--housekeeping-minutes 0)");
        return None;
    }
    let app = app.clone();
    let every = std::time::Duration::from_secs(minutes * 60);
    Some(tokio::spawn(async move {
        let first = tokio::time::Instant::now() + std::time::Duration::from_secs(60).min(every);
        let mut timer = tokio::time::interval_at(first, every);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            timer.tick().await;
            let now = chrono::Utc::now().timestamp_millis();
            // A successful run logs what it deleted itself.
            if let Err(e) = app
                .housekeeping(now, concordat_app::housekeeping::DEFAULT_BATCH)
                .await
            {
                tracing::warn!(error = %e, "housekeeping failed; it will run again");
            }
        }
    }))
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
