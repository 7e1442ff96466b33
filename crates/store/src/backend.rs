//! Connecting, and everything that differs between SQLite and PostgreSQL.

use crate::{Result, StoreError, Tx};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};
use std::borrow::Cow;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Which database a store speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database URL or server that cannot be used, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "database URL {0:?} is not understood: use sqlite:PATH (e.g. sqlite:./concordat-data/concordat.db) or postgres://USER@HOST:PORT/DATABASE"
    )]
    Malformed(String),
    #[error(
        "no SQLite database at {0}: check the path for typos, or create one with `concordat migrate --create --database-url sqlite:{0}`"
    )]
    SqliteMissing(String),
    #[error("cannot create the SQLite database {path}: {reason}")]
    Create { path: String, reason: String },
    #[error("cannot reach the PostgreSQL server for {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The PostgreSQL database in the URL does not exist (and could not be created, or `create` was not set).
    #[error("{0}")]
    PostgresMissing(Box<MissingDatabase>),
}

/// A PostgreSQL database that does not exist, and what to run to create it.
#[derive(Debug)]
pub struct MissingDatabase {
    pub database: String,
    /// host:port
    pub server: String,
    pub host: String,
    pub port: u16,
    pub user: String,
    /// Why creating it failed, when `create` was set and the server refused.
    pub create_refused: Option<String>,
}

impl std::fmt::Display for MissingDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let MissingDatabase {
            database,
            server,
            host,
            port,
            user,
            create_refused,
        } = self;
        match create_refused {
            None => write!(
                f,
                "the PostgreSQL database {database:?} does not exist on {server}: create it first with `createdb -h {host} -p {port} -U {user} {database}` (or run `concordat migrate --create`, which creates it when the PostgreSQL user may create databases)"
            ),
            Some(reason) => write!(
                f,
                "the PostgreSQL database {database:?} does not exist on {server}, and this user may not create it ({reason}): ask the database administrator to create it with {user} as its owner (`createdb -h {host} -p {port} --owner {user} {database}`), then run `concordat migrate` again"
            ),
        }
    }
}

/// Options for [`Store::connect`].
#[derive(Debug, Clone, Default)]
pub struct ConnectOptionsCfg {
    /// Create the SQLite file, or the PostgreSQL database, if missing. Only `demo`, tests and
    /// `migrate --create` set this: a typo in a URL must never silently create a new, empty database.
    pub create: bool,
    /// Pool size; `None` for the default.
    pub max_connections: Option<u32>,
    /// How long a SQLite writer waits for its turn before [`StoreError::Busy`]; `None` for 10 seconds
    /// (the same as SQLite's busy timeout).
    pub writer_wait: Option<Duration>,
}

/// A connection pool plus the backend it speaks to. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    /// SQLite allows one writer at a time. Writers queue here, in order, before `BEGIN IMMEDIATE`,
    /// instead of in SQLite's busy handler, which polls with sleeps of up to 100 ms and so turns
    /// contention into long tail latency. PostgreSQL needs no such queue.
    pub(crate) writer: Arc<tokio::sync::Mutex<()>>,
    pub(crate) writer_wait: Duration,
}

/// The default PostgreSQL pool: twice the cores of this machine, at least 4. Nearly every request
/// appends to the one audit chain, so more connections than the machine can run at once only queue
/// on the chain head's row lock inside PostgreSQL: measured with 50 clients on 2 cores, 16
/// connections gave 1,070 lookups/s with p99 104 ms and 4 gave 1,387/s with p99 54 ms
/// (docs/benchmarks-plans.md). `concordat serve --db-pool` overrides it.
fn default_postgres_pool() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(cores * 2).unwrap_or(u32::MAX).max(4)
}

/// How long a writer waits for its turn by default (SQLite's busy timeout is the same).
const WRITER_WAIT: Duration = Duration::from_secs(10);

impl std::fmt::Debug for Store {
    /// Never prints the URL: it may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({:?})", self.backend)
    }
}

/// Redacts the password in a URL for messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

impl Store {
    /// Connects to `sqlite:PATH` or `postgres://…`, refusing malformed URLs and (unless `create`) missing SQLite files.
    pub async fn connect(url: &str, cfg: ConnectOptionsCfg) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (backend, connect_url) = parse_url(url, cfg.create)?;
        if backend == Backend::Sqlite && cfg.create {
            create_private_sqlite(url)?;
        }
        let opts = AnyConnectOptions::from_str(&connect_url)
            .map_err(|_| ConnectError::Malformed(redact_url(url)))?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        let pool_opts = AnyPoolOptions::new()
            .max_connections(cfg.max_connections.unwrap_or(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => default_postgres_pool(),
            }))
            .acquire_timeout(Duration::from_secs(10));
        let pool_opts = if backend == Backend::Sqlite {
            pool_opts.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // WAL lets readers run beside a writer; the busy timeout makes writers queue instead of failing.
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                    )
                    .await?;
                    Ok(())
                })
            })
        } else {
            pool_opts
        };
        let pool = match pool_opts.clone().connect_with(opts.clone()).await {
            Ok(pool) => pool,
            Err(e) if backend == Backend::Postgres && is_missing_database(&e) => {
                let target = PgTarget::of(url)?;
                if !cfg.create {
                    return Err(target.missing(None).into());
                }
                create_postgres_database(url, &target).await?;
                pool_opts
                    .connect_with(opts)
                    .await
                    .map_err(|e| ConnectError::Unreachable {
                        url: redact_url(url),
                        reason: describe(&e),
                    })?
            }
            Err(e) => {
                return Err(ConnectError::Unreachable {
                    url: redact_url(url),
                    reason: describe(&e),
                }
                .into());
            }
        };
        Ok(Store {
            pool,
            backend,
            writer: Arc::new(tokio::sync::Mutex::new(())),
            writer_wait: cfg.writer_wait.unwrap_or(WRITER_WAIT),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Begins a transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), because nearly every
    /// operation appends an audit event: a deferred transaction that read first could not upgrade under load.
    /// SQLite writers in this process first wait their turn, first come first served, for at most
    /// [`ConnectOptionsCfg::writer_wait`] (10 seconds unless set), then fail with [`StoreError::Busy`].
    pub async fn begin(&self) -> Result<Tx> {
        let (tx, turn) = match self.backend {
            Backend::Sqlite => {
                let turn = tokio::time::timeout(self.writer_wait, self.writer.clone().lock_owned())
                    .await
                    .map_err(|_| StoreError::Busy)?;
                (self.pool.begin_with("BEGIN IMMEDIATE").await?, Some(turn))
            }
            Backend::Postgres => (self.pool.begin().await?, None),
        };
        Ok(Tx {
            tx,
            backend: self.backend,
            _turn: turn,
        })
    }

    /// Begins a read-only transaction: a consistent snapshot that takes no write lock, so reads run in parallel
    /// on SQLite's WAL. Writing in it is an error on SQLite (the connection refuses to upgrade under load):
    /// use [`Store::begin`] for anything that writes, audit events included.
    pub async fn begin_read(&self) -> Result<Tx> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN DEFERRED").await?,
            Backend::Postgres => self.pool.begin_with("BEGIN READ ONLY").await?,
        };
        Ok(Tx {
            tx,
            backend: self.backend,
            _turn: None,
        })
    }

    /// [`Tx::session_resolve`] as one statement outside a transaction: a single statement reads one
    /// consistent snapshot by itself, so the `BEGIN` and `ROLLBACK` round trips of a read transaction
    /// are saved on the path every request takes (docs/benchmarks-plans.md).
    pub async fn session_resolve(
        &self,
        token_hash: &str,
    ) -> Result<
        Option<(
            crate::SessionRow,
            concordat_domain::model::User,
            Vec<concordat_domain::model::Membership>,
        )>,
    > {
        let q = crate::tx::session_resolve_query(self.backend, token_hash);
        let mut conn = self.pool.acquire().await?;
        let rows = q.fetch_all(&mut *conn).await?;
        crate::tx::session_resolve_rows(&rows)
    }

    /// Whether the database answers (for /readyz).
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Applies pending migrations; returns the names applied.
    pub async fn migrate(&self) -> Result<Vec<String>> {
        crate::migrate::run(self).await
    }
}

/// The file path of a `sqlite:` URL, or `None` for other URLs and in-memory databases.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split_once('?').map_or(rest, |(p, _)| p);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// Creates a folder, and any missing parents, readable by the owner only (0700 on Unix).
/// Folders that already exist keep their permissions.
pub fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Before SQLite creates a database file, creates it (and its folder) readable by the owner only:
/// 0600 for the file and 0700 for a new folder on Unix. SQLite gives its `-wal` and `-shm` files the
/// database file's permissions. An existing file is left as it is.
fn create_private_sqlite(url: &str) -> Result<(), ConnectError> {
    let Some(path) = sqlite_path(url) else {
        return Ok(());
    };
    if path.exists() {
        return Ok(());
    }
    let fail = |e: std::io::Error| ConnectError::Create {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir).map_err(fail)?;
    }
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    match o.open(&path) {
        Ok(_) => Ok(()),
        // Another process created it between the check and now: leave it to SQLite.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(fail(e)),
    }
}

/// An error in words: a database error's own message, without the server's source location
/// (PostgreSQL's "at line 948" is a line of the server's C code, not of anything the user wrote).
fn describe(e: &sqlx::Error) -> String {
    match e.as_database_error() {
        Some(db) => db.message().to_string(),
        None => e.to_string(),
    }
}

/// PostgreSQL's `invalid_catalog_name`: the database named in the URL does not exist.
fn is_missing_database(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|db| db.code())
        .is_some_and(|c| c == "3D000")
}

/// The parts of a PostgreSQL URL that a `createdb` command needs.
struct PgTarget {
    database: String,
    host: String,
    port: u16,
    user: String,
}

impl PgTarget {
    fn of(url: &str) -> Result<PgTarget, ConnectError> {
        let u = url::Url::parse(url).map_err(|_| ConnectError::Malformed(redact_url(url)))?;
        let database = u.path().trim_start_matches('/');
        let database = percent_decode(database);
        let user = if u.username().is_empty() {
            std::env::var("USER").unwrap_or_else(|_| "postgres".into())
        } else {
            percent_decode(u.username())
        };
        Ok(PgTarget {
            database,
            host: u.host_str().unwrap_or("localhost").to_string(),
            port: u.port().unwrap_or(5432),
            user,
        })
    }

    fn missing(&self, create_refused: Option<String>) -> ConnectError {
        ConnectError::PostgresMissing(Box::new(MissingDatabase {
            database: self.database.clone(),
            server: format!("{}:{}", self.host, self.port),
            host: self.host.clone(),
            port: self.port,
            user: self.user.clone(),
            create_refused,
        }))
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Creates the database a PostgreSQL URL names, connecting to the server's `postgres` maintenance
/// database as the same user. Refused in plain words when the user may not create databases.
async fn create_postgres_database(url: &str, target: &PgTarget) -> Result<(), ConnectError> {
    use sqlx::Connection;
    let unreachable = |e: &sqlx::Error| ConnectError::Unreachable {
        url: redact_url(url),
        reason: describe(e),
    };
    if target.database.is_empty() {
        return Err(ConnectError::Malformed(redact_url(url)));
    }
    let mut admin_url =
        url::Url::parse(url).map_err(|_| ConnectError::Malformed(redact_url(url)))?;
    admin_url.set_path("/postgres");
    let mut conn = sqlx::AnyConnection::connect(admin_url.as_str())
        .await
        .map_err(|e| unreachable(&e))?;
    // An identifier cannot be a bound parameter: quote it, doubling any double quote.
    let sql = format!(
        "CREATE DATABASE \"{}\"",
        target.database.replace('"', "\"\"")
    );
    let created = conn.execute(sqlx::AssertSqlSafe(sql)).await;
    let _ = conn.close().await;
    match created {
        Ok(_) => {
            tracing::info!(database = %target.database, "created the PostgreSQL database");
            Ok(())
        }
        // Another process created it meanwhile (duplicate_database, or a unique violation on
        // pg_database when both tried at the same instant): that is what we wanted.
        Err(e)
            if e.as_database_error()
                .and_then(|d| d.code())
                .is_some_and(|c| c == "42P04" || c == "23505") =>
        {
            Ok(())
        }
        Err(e) => Err(target.missing(Some(describe(&e)))),
    }
}

fn parse_url(url: &str, create: bool) -> Result<(Backend, String), ConnectError> {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty() || path == ":memory:" && !create {
            return Err(ConnectError::Malformed(url.to_string()));
        }
        if path != ":memory:" {
            let p = PathBuf::from(path);
            if !create && !p.is_file() {
                return Err(ConnectError::SqliteMissing(path.to_string()));
            }
        }
        let mode = if create { "rwc" } else { "rw" };
        let extra = if query.is_empty() {
            String::new()
        } else {
            format!("&{query}")
        };
        return Ok((
            Backend::Sqlite,
            format!("sqlite://{path}?mode={mode}{extra}"),
        ));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let parsed = url::Url::parse(url).map_err(|_| ConnectError::Malformed(redact_url(url)))?;
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(ConnectError::Malformed(redact_url(url)));
        }
        return Ok((Backend::Postgres, url.to_string()));
    }
    Err(ConnectError::Malformed(redact_url(url)))
}

/// Rewrites `$1`-style placeholders to SQLite's numbered `?1` form. PostgreSQL takes the SQL as written.
/// `$` never appears in our SQL outside placeholders (string values are always bound, never inlined).
pub(crate) fn dialect(backend: Backend, sql: &str) -> Cow<'_, str> {
    match backend {
        Backend::Postgres => Cow::Borrowed(sql),
        Backend::Sqlite => Cow::Owned(sql.replace('$', "?")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(matches!(
            parse_url("sqlite:/no/such/dir/x.db", false),
            Err(ConnectError::SqliteMissing(_))
        ));
        assert_eq!(
            parse_url("sqlite:/tmp/x.db", true).unwrap(),
            (Backend::Sqlite, "sqlite:///tmp/x.db?mode=rwc".to_string())
        );
        assert!(matches!(
            parse_url("sqlite:", true),
            Err(ConnectError::Malformed(_))
        ));
        assert!(matches!(
            parse_url("mysql://x", true),
            Err(ConnectError::Malformed(_))
        ));
        assert!(matches!(
            parse_url("postgres//localhost/db", true),
            Err(ConnectError::Malformed(_))
        ));
        assert!(matches!(
            parse_url("postgres:///db", true),
            Err(ConnectError::Malformed(_))
        ));
        assert_eq!(
            parse_url("postgres://u@localhost:5432/db", false)
                .unwrap()
                .0,
            Backend::Postgres
        );
    }

    #[test]
    fn redaction() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(
            dialect(Backend::Sqlite, "a = $1 AND b = $12"),
            "a = ?1 AND b = ?12"
        );
    }
}
