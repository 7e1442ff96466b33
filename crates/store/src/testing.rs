//! Fresh, migrated databases for tests in this and later crates. Not used by the server.

use crate::backend::ConnectOptionsCfg;
use crate::{Result, Store};
use sqlx::{AssertSqlSafe, Executor};
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable naming a PostgreSQL server for the contract tests.
pub const POSTGRES_ENV: &str = "CONCORDAT_TEST_POSTGRES_URL";

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        n
    )
}

/// A new SQLite database in the system temp folder, migrated.
pub async fn fresh_sqlite() -> Result<Store> {
    fresh_sqlite_with(None).await
}

/// As [`fresh_sqlite`], with a pool of `max_connections` (`None` for the default).
pub async fn fresh_sqlite_with(max_connections: Option<u32>) -> Result<Store> {
    Ok(fresh_sqlite_url_with(max_connections).await?.1)
}

/// As [`fresh_sqlite_with`], with the database's URL (for tests that connect again through configuration).
pub async fn fresh_sqlite_url_with(max_connections: Option<u32>) -> Result<(String, Store)> {
    let path = std::env::temp_dir().join(format!("{}.db", unique("concordat_test")));
    let url = format!("sqlite:{}", path.display());
    let store = Store::connect(
        &url,
        ConnectOptionsCfg {
            create: true,
            max_connections,
            ..Default::default()
        },
    )
    .await?;
    store.migrate().await?;
    Ok((url, store))
}

/// A new database on the PostgreSQL server at `base_url` (created with CREATE DATABASE), migrated.
pub async fn fresh_postgres(base_url: &str) -> Result<Store> {
    fresh_postgres_with(base_url, None).await
}

/// As [`fresh_postgres`], with a pool of `max_connections` (`None` for the default).
pub async fn fresh_postgres_with(base_url: &str, max_connections: Option<u32>) -> Result<Store> {
    Ok(fresh_postgres_url_with(base_url, max_connections).await?.1)
}

/// As [`fresh_postgres_with`], with the new database's URL.
pub async fn fresh_postgres_url_with(
    base_url: &str,
    max_connections: Option<u32>,
) -> Result<(String, Store)> {
    let admin = Store::connect(
        base_url,
        ConnectOptionsCfg {
            max_connections: Some(1),
            ..Default::default()
        },
    )
    .await?;
    let name = unique("concordat_test");
    admin
        .pool
        .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await?;
    admin.close().await;
    let mut url = url::Url::parse(base_url)
        .map_err(|_| crate::ConnectError::Malformed(base_url.to_string()))?;
    url.set_path(&format!("/{name}"));
    let store = Store::connect(
        url.as_str(),
        ConnectOptionsCfg {
            max_connections,
            ..Default::default()
        },
    )
    .await?;
    store.migrate().await?;
    Ok((url.to_string(), store))
}

/// The backends to run a contract test against: SQLite always, PostgreSQL when [`POSTGRES_ENV`] is set.
/// A set but unreachable URL is an error, never a skip.
pub async fn all_backends() -> Result<Vec<Store>> {
    let mut v = vec![fresh_sqlite().await?];
    if let Ok(url) = std::env::var(POSTGRES_ENV) {
        v.push(fresh_postgres(&url).await?);
    }
    Ok(v)
}

/// As [`all_backends`], each with its database's URL.
pub async fn all_backend_urls() -> Result<Vec<(String, Store)>> {
    let mut v = vec![fresh_sqlite_url_with(None).await?];
    if let Ok(url) = std::env::var(POSTGRES_ENV) {
        v.push(fresh_postgres_url_with(&url, None).await?);
    }
    Ok(v)
}
