//! Online backups of a SQLite database, and restoring one into an empty database.
//!
//! A backup is `VACUUM INTO`: SQLite copies one consistent snapshot (a read transaction) into a new file
//! while the server keeps reading and writing, so it holds every transaction committed before it began
//! and nothing of any transaction after. PostgreSQL has its own tools (`pg_dump`, `pg_restore`).

use crate::{Backend, ConnectError, ConnectOptionsCfg, Result, Store, StoreError};
use sqlx::Row;
use std::path::Path;

/// Why a backup or restore was refused, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "`concordat backup` copies SQLite databases; back up PostgreSQL with pg_dump, e.g. `pg_dump --format=custom --file concordat.dump DATABASE_URL` (see docs/deploy.md)"
    )]
    Postgres,
    #[error(
        "`concordat restore` restores into SQLite; restore a PostgreSQL dump with pg_restore into an empty database made with createdb (see docs/deploy.md)"
    )]
    RestorePostgres,
    #[error("{0} already exists: a backup never overwrites a file; choose a new name")]
    OutExists(String),
    #[error("cannot write the backup {path}: {reason}")]
    Write { path: String, reason: String },
    #[error("{path} is not a usable Concordat backup: {reason}")]
    BadBackup { path: String, reason: String },
    #[error(
        "the database at {0} is not empty: restore only into a new or empty database, so nothing is mixed or overwritten"
    )]
    TargetNotEmpty(String),
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl From<ConnectError> for BackupError {
    fn from(e: ConnectError) -> Self {
        BackupError::Store(StoreError::Connect(e))
    }
}

/// The path of a `sqlite:` URL, or `None` for another backend.
fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    Some(rest.split_once('?').map_or(rest, |(p, _)| p))
}

impl Store {
    /// Writes a consistent copy of this SQLite database to `out`, which must not exist yet, while other
    /// connections and processes keep working. The file is created readable by its owner only, since it
    /// holds personal data.
    pub async fn backup_to(&self, out: &Path) -> Result<(), BackupError> {
        if self.backend == Backend::Postgres {
            return Err(BackupError::Postgres);
        }
        let shown = out.display().to_string();
        let write_err = |e: &dyn std::fmt::Display| BackupError::Write {
            path: shown.clone(),
            reason: e.to_string(),
        };
        // Create it empty first, exclusively (never overwrite) and owner-only; VACUUM INTO fills an empty file.
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        match opts.open(out) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(BackupError::OutExists(shown));
            }
            Err(e) => return Err(write_err(&e)),
        }
        let done = sqlx::query("VACUUM INTO ?1")
            .bind(out.display().to_string())
            .execute(&self.pool)
            .await;
        if let Err(e) = done {
            let _ = std::fs::remove_file(out);
            return Err(write_err(&e));
        }
        Ok(())
    }

    /// Checks that this (SQLite) database passes SQLite's integrity check and holds Concordat's schema.
    pub async fn check_backup(&self, shown: &str) -> Result<(), BackupError> {
        let bad = |reason: String| BackupError::BadBackup {
            path: shown.to_string(),
            reason,
        };
        if self.backend == Backend::Sqlite {
            let row = sqlx::query("PRAGMA integrity_check")
                .fetch_one(&self.pool)
                .await
                .map_err(|e| bad(e.to_string()))?;
            let verdict: String = row.try_get(0).map_err(|e| bad(e.to_string()))?;
            if verdict != "ok" {
                return Err(bad(format!("SQLite's integrity check says: {verdict}")));
            }
        }
        let has_schema = sqlx::query("SELECT COUNT(*) FROM schema_migrations")
            .fetch_one(&self.pool)
            .await
            .is_ok();
        if !has_schema {
            return Err(bad("it holds no Concordat schema".into()));
        }
        Ok(())
    }

    /// Whether this database has no tables at all (a new, empty database).
    pub async fn is_empty(&self) -> Result<bool> {
        let sql = match self.backend {
            Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()"
            }
        };
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&self.pool).await?;
        Ok(n == 0)
    }
}

/// Restores the SQLite backup at `from` into the new or empty SQLite database that `target_url` names,
/// then applies any migrations newer than the backup. Refuses a target that holds any table, and a backup
/// that fails SQLite's integrity check. Returns the restored database, connected.
pub async fn restore_sqlite(from: &Path, target_url: &str) -> Result<Store, BackupError> {
    let Some(target) = sqlite_path(target_url) else {
        return Err(BackupError::RestorePostgres);
    };
    let shown = from.display().to_string();
    if !from.is_file() {
        return Err(BackupError::BadBackup {
            path: shown,
            reason: "no such file".into(),
        });
    }
    // Every SQLite database begins with this header; checking it first answers at once, where opening a
    // file that is not a database would only fail after the pool's connect timeout.
    let mut header = [0u8; 16];
    let is_sqlite = std::fs::File::open(from)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut header))
        .is_ok()
        && &header == b"SQLite format 3\0";
    if !is_sqlite {
        return Err(BackupError::BadBackup {
            path: shown,
            reason: "it is not a SQLite database".into(),
        });
    }
    let target_path = Path::new(target);
    if target_path.exists() {
        let existing = Store::connect(target_url, ConnectOptionsCfg::default()).await?;
        let empty = existing.is_empty().await?;
        existing.close().await;
        if !empty {
            return Err(BackupError::TargetNotEmpty(target.to_string()));
        }
        for suffix in ["", "-wal", "-shm"] {
            let p = format!("{target}{suffix}");
            if Path::new(&p).exists() {
                std::fs::remove_file(&p).map_err(|e| BackupError::Write {
                    path: p.clone(),
                    reason: e.to_string(),
                })?;
            }
        }
    }
    let source = Store::connect(
        &format!("sqlite:{}", from.display()),
        ConnectOptionsCfg {
            max_connections: Some(1),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| BackupError::BadBackup {
        path: shown.clone(),
        reason: match e {
            StoreError::Connect(ConnectError::Unreachable { reason, .. }) => reason,
            other => other.to_string(),
        },
    })?;
    let checked = source.check_backup(&shown).await;
    let copied = match checked {
        Ok(()) => source.backup_to(target_path).await,
        Err(e) => Err(e),
    };
    source.close().await;
    copied?;
    let store = Store::connect(target_url, ConnectOptionsCfg::default()).await?;
    store.migrate().await?;
    Ok(store)
}
