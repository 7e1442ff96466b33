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
    /// Record linkage: recognise the same person across agencies' records.
    #[command(subcommand)]
    Link(concordat_link::cli::LinkCommand),
    /// Statistics for partnerships: SPC, before/after, forecasts, rota, economics, surveys.
    #[command(subcommand)]
    Insight(concordat_insight::cli::InsightCommand),
}

#[derive(Debug, Args)]
struct DemoArgs {
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
}

#[derive(Debug, Args)]
struct ServeArgs {
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
}

#[derive(Debug, Args)]
struct MigrateArgs {
    #[arg(long, env = "CONCORDAT_DATABASE_URL")]
    database_url: String,
    /// Create the SQLite file if it does not exist.
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

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("CONCORDAT_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Link(cmd) => concordat_link::cli::run(cmd),
        Command::Insight(cmd) => concordat_insight::cli::run(cmd),
        other => {
            init_tracing();
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
            serve(store, &a.listen, a.secure_cookies).await
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

/// A terminal prompt. Echo is not hidden (no extra dependency); the password never appears in argv or logs.
fn rpassword_prompt(prompt: &str) -> Result<String, String> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

async fn serve(store: Store, listen: &str, secure_cookies: bool) -> Result<ExitCode, String> {
    let app = App::new(store, AppConfig::default());
    let demo = app.is_demo().await.map_err(app_error)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("Concordat is serving on http://{addr} (ctrl-c to stop)");
    let state = concordat_web::AppState {
        app: app.clone(),
        cfg: concordat_web::WebConfig { secure_cookies },
        demo,
    };
    concordat_web::serve(listener, state)
        .await
        .map_err(|e| e.to_string())?;
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
    std::fs::create_dir_all(&a.data_dir)
        .map_err(|e| format!("cannot create {}: {e}", a.data_dir.display()))?;
    let db = a.data_dir.join("concordat.db");
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
    if fresh || !app.is_demo().await.map_err(app_error)? {
        let params = concordat_demo::DemoParams {
            seed: a.seed,
            residents: a.residents,
            ..Default::default()
        };
        println!(
            "Generating the synthetic demo region (seed {}, {} residents)…",
            params.seed, params.residents
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
    serve(store, &a.listen, false).await
}
