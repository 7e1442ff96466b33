//! Migrations: numbered SQL files per backend, embedded in the binary, each applied once in its own transaction.
//!
//! Two processes may start at once (two `serve`s after an upgrade, or `migrate` beside `serve`), so every
//! transaction here first takes the migration lock and only then looks at what is applied: on PostgreSQL a
//! transaction-scoped advisory lock, on SQLite the database's write lock (`BEGIN IMMEDIATE`). The second
//! process waits, then finds the migration applied and skips it.

use crate::{Backend, Result, Store, StoreError};
use sqlx::{AssertSqlSafe, Executor};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "0002_crisis_plans",
        sqlite: include_str!("../migrations/sqlite/0002_crisis_plans.sql"),
        postgres: include_str!("../migrations/postgres/0002_crisis_plans.sql"),
    },
    Migration {
        version: 3,
        name: "0003_crisis_operations",
        sqlite: include_str!("../migrations/sqlite/0003_crisis_operations.sql"),
        postgres: include_str!("../migrations/postgres/0003_crisis_operations.sql"),
    },
    Migration {
        version: 4,
        name: "0004_sign_in_hardening",
        sqlite: include_str!("../migrations/sqlite/0004_sign_in_hardening.sql"),
        postgres: include_str!("../migrations/postgres/0004_sign_in_hardening.sql"),
    },
    Migration {
        version: 6,
        name: "0006_person_search_key",
        sqlite: include_str!("../migrations/sqlite/0006_person_search_key.sql"),
        postgres: include_str!("../migrations/postgres/0006_person_search_key.sql"),
    },
    Migration {
        version: 8,
        name: "0008_single_sign_on",
        sqlite: include_str!("../migrations/sqlite/0008_single_sign_on.sql"),
        postgres: include_str!("../migrations/postgres/0008_single_sign_on.sql"),
    },
    Migration {
        version: 10,
        name: "0010_administration",
        sqlite: include_str!("../migrations/sqlite/0010_administration.sql"),
        postgres: include_str!("../migrations/postgres/0010_administration.sql"),
    },
    Migration {
        version: 11,
        name: "0011_contact_partners_places",
        sqlite: include_str!("../migrations/sqlite/0011_contact_partners_places.sql"),
        postgres: include_str!("../migrations/postgres/0011_contact_partners_places.sql"),
    },
    Migration {
        version: 12,
        name: "0012_crisis_line",
        sqlite: include_str!("../migrations/sqlite/0012_crisis_line.sql"),
        postgres: include_str!("../migrations/postgres/0012_crisis_line.sql"),
    },
    Migration {
        version: 13,
        name: "0013_agreement_workflow",
        sqlite: include_str!("../migrations/sqlite/0013_agreement_workflow.sql"),
        postgres: include_str!("../migrations/postgres/0013_agreement_workflow.sql"),
    },
    Migration {
        version: 14,
        name: "0014_alliance",
        sqlite: include_str!("../migrations/sqlite/0014_alliance.sql"),
        postgres: include_str!("../migrations/postgres/0014_alliance.sql"),
    },
    Migration {
        version: 15,
        name: "0015_care_team_history",
        sqlite: include_str!("../migrations/sqlite/0015_care_team_history.sql"),
        postgres: include_str!("../migrations/postgres/0015_care_team_history.sql"),
    },
    Migration {
        version: 16,
        name: "0016_person_versions",
        sqlite: include_str!("../migrations/sqlite/0016_person_versions.sql"),
        postgres: include_str!("../migrations/postgres/0016_person_versions.sql"),
    },
];

/// Checks a migration's preconditions on the data, so that it fails with a message saying what to fix
/// rather than a bare constraint error.
async fn precheck(tx: &mut crate::Tx, version: i64) -> Result<()> {
    if version == 4 {
        let clashes = tx.usernames_clashing().await?;
        if !clashes.is_empty() {
            return Err(StoreError::MigrationRefused {
                version,
                message: format!(
                    "usernames must differ by more than upper and lower case, and these do not: {}; rename all but one of each group (UPDATE users SET username = ... WHERE id = ...) and run the migration again",
                    clashes.join("; ")
                ),
            });
        }
    }
    Ok(())
}

/// The key of PostgreSQL's advisory lock for migrations (any constant that nothing else uses;
/// these are the bytes of "concorda").
const MIGRATION_LOCK: i64 = 0x636f_6e63_6f72_6461;

/// Begins a transaction holding the migration lock until it ends.
async fn begin_locked(store: &Store) -> Result<crate::Tx> {
    // On SQLite `begin` is `BEGIN IMMEDIATE`: it holds the write lock, which other processes wait for.
    let mut tx = store.begin().await?;
    if store.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *tx.tx)
            .await?;
    }
    Ok(tx)
}

pub(crate) async fn run(store: &Store) -> Result<Vec<String>> {
    let mut tx = begin_locked(store).await?;
    tx.tx
        .execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .await?;
    tx.commit().await?;
    let mut applied = Vec::new();
    for m in MIGRATIONS {
        let mut tx = begin_locked(store).await?;
        let sql = crate::backend::dialect(
            store.backend,
            "SELECT COUNT(*) FROM schema_migrations WHERE version = $1",
        );
        let (n,): (i64,) = sqlx::query_as(AssertSqlSafe(sql.into_owned()))
            .bind(m.version)
            .fetch_one(&mut *tx.tx)
            .await?;
        if n > 0 {
            continue;
        }
        precheck(&mut tx, m.version).await?;
        let body = match store.backend {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        tx.tx
            .execute(AssertSqlSafe(body))
            .await
            .map_err(|source| StoreError::Migration {
                version: m.version,
                source,
            })?;
        if m.version == 6 {
            // The folded search key is computed in Rust (crate::tx::search_key), so rows written
            // before this migration get theirs here, in the same transaction as the new column.
            tx.people_backfill_name_keys().await?;
        }
        let sql = crate::backend::dialect(
            store.backend,
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        );
        sqlx::query(AssertSqlSafe(sql.into_owned()))
            .bind(m.version)
            .bind(m.name)
            .bind(chrono::Utc::now().timestamp_millis())
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await?;
        applied.push(m.name.to_string());
    }
    Ok(applied)
}
