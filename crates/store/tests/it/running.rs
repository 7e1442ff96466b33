//! Running it for real: migrations under a lock, a missing PostgreSQL database, backups.

use concordat_store::{ConnectOptionsCfg, Store, testing::POSTGRES_ENV};

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default() % 1_000_000_000_000
    )
}

fn postgres_url(db: &str) -> Option<String> {
    let base = std::env::var(POSTGRES_ENV).ok()?;
    let mut u = url::Url::parse(&base).expect("a PostgreSQL URL");
    u.set_path(&format!("/{db}"));
    Some(u.to_string())
}

/// Two stores (two pools, as two processes would have) migrate one new database at the same moment:
/// both succeed, and every migration is applied exactly once.
async fn concurrent_migrations(url: &str) {
    let cfg = ConnectOptionsCfg {
        create: true,
        ..Default::default()
    };
    let a = Store::connect(url, cfg.clone()).await.unwrap();
    let b = Store::connect(url, cfg.clone()).await.unwrap();
    let c = Store::connect(url, cfg).await.unwrap();
    let (ra, rb, rc) = tokio::join!(a.migrate(), b.migrate(), c.migrate());
    let (ra, rb, rc) = (ra.unwrap(), rb.unwrap(), rc.unwrap());
    let mut all: Vec<String> = ra.iter().chain(&rb).chain(&rc).cloned().collect();
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(
        n,
        all.len(),
        "a migration was applied twice: {ra:?} {rb:?} {rc:?}"
    );
    assert!(all.iter().any(|m| m == "0001_foundation"), "{all:?}");
    assert!(a.migrate().await.unwrap().is_empty());
    for s in [a, b, c] {
        s.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_migrations_apply_each_once_on_sqlite() {
    let path = std::env::temp_dir().join(format!("{}.db", unique("concordat_migrate_race")));
    concurrent_migrations(&format!("sqlite:{}", path.display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_migrations_apply_each_once_on_postgres() {
    let Some(url) = postgres_url(&unique("concordat_migrate_race")) else {
        return;
    };
    // The database does not exist yet: `create` makes it (once, even though three stores ask).
    concurrent_migrations(&url).await;
}

#[tokio::test]
async fn a_missing_postgres_database_is_explained_in_plain_words() {
    let Some(url) = postgres_url(&unique("concordat_missing")) else {
        return;
    };
    let e = Store::connect(&url, ConnectOptionsCfg::default())
        .await
        .expect_err("no such database");
    let msg = e.to_string();
    assert!(
        msg.contains("does not exist") && msg.contains("createdb"),
        "{msg}"
    );
    assert!(
        !msg.contains("at line"),
        "the server's source line leaks: {msg}"
    );
}

#[tokio::test]
async fn sqlite_backup_is_a_consistent_copy_and_never_overwrites() {
    let store = concordat_store::testing::fresh_sqlite().await.unwrap();
    let out = std::env::temp_dir().join(format!("{}.db", unique("concordat_backup")));
    store.backup_to(&out).await.unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "a backup holds personal data: owner only");
    }
    let e = store.backup_to(&out).await.expect_err("never overwrite");
    assert!(e.to_string().contains("already exists"), "{e}");
    // Restoring into a database that has tables is refused; into a new file it works.
    let target = std::env::temp_dir().join(format!("{}.db", unique("concordat_restored")));
    let restored = concordat_store::restore_sqlite(&out, &format!("sqlite:{}", target.display()))
        .await
        .unwrap();
    assert!(restored.migrate().await.unwrap().is_empty());
    restored.close().await;
    let e = concordat_store::restore_sqlite(&out, &format!("sqlite:{}", target.display()))
        .await
        .expect_err("not empty");
    assert!(e.to_string().contains("not empty"), "{e}");
    // A file that is not a SQLite database is refused as a backup, in those words.
    let junk = std::env::temp_dir().join(format!("{}.db", unique("concordat_junk")));
    std::fs::write(&junk, vec![7u8; 8192]).unwrap();
    let fresh = std::env::temp_dir().join(format!("{}.db", unique("concordat_unrestored")));
    let e = concordat_store::restore_sqlite(&junk, &format!("sqlite:{}", fresh.display()))
        .await
        .expect_err("not a database");
    assert!(
        e.to_string().contains("is not a usable Concordat backup"),
        "{e}"
    );
    assert!(!fresh.exists(), "nothing is written when the backup is bad");
    let _ = std::fs::remove_file(&out);
    let _ = std::fs::remove_file(&junk);
}

#[tokio::test]
async fn backup_of_postgres_points_to_pg_dump() {
    let Ok(base) = std::env::var(POSTGRES_ENV) else {
        return;
    };
    let store = concordat_store::testing::fresh_postgres(&base)
        .await
        .unwrap();
    let e = store
        .backup_to(std::path::Path::new("/tmp/never-written.db"))
        .await
        .expect_err("PostgreSQL has pg_dump");
    assert!(e.to_string().contains("pg_dump"), "{e}");
}
