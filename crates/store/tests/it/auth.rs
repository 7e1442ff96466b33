//! Sign-in hardening in the store: case-insensitive usernames, TOTP replay refusal, private SQLite files.

use concordat_domain::model::UserId;
use concordat_store::{ConnectOptionsCfg, Store, StoreError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usernames_differing_only_in_case_are_one_user() {
    for store in concordat_store::testing::all_backends().await.unwrap() {
        let mut tx = store.begin().await.unwrap();
        tx.user_insert("nurse.amy", "Amy", "x", false)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        assert!(matches!(
            tx.user_insert("Nurse.Amy", "Another Amy", "y", false).await,
            Err(StoreError::Conflict("username"))
        ));
        drop(tx);
        // Looking up in any case finds the one user.
        let mut tx = store.begin().await.unwrap();
        let c = tx.user_credentials("NURSE.AMY").await.unwrap().unwrap();
        assert_eq!(c.user.username, "nurse.amy");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_0004_refuses_clashing_usernames_clearly() {
    for store in concordat_store::testing::all_backends().await.unwrap() {
        // Wind the database back to before 0004 and give it two names that differ only in case.
        let mut tx = store.begin().await.unwrap();
        tx.testing_execute("DROP INDEX users_username_folded")
            .await
            .unwrap();
        tx.testing_execute("ALTER TABLE users DROP COLUMN totp_last_step")
            .await
            .unwrap();
        tx.testing_execute("DELETE FROM schema_migrations WHERE version = 4")
            .await
            .unwrap();
        tx.testing_execute("INSERT INTO users (username, display_name, password_hash, created_at) VALUES ('sam.lee', 'Sam', 'x', 1), ('Sam.Lee', 'Sam', 'x', 1), ('jo', 'Jo', 'x', 1)")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let err = store.migrate().await.unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, StoreError::MigrationRefused { version: 4, .. }),
            "{msg}"
        );
        assert!(
            msg.contains("sam.lee (id") && msg.contains("Sam.Lee (id"),
            "{msg}"
        );
        assert!(!msg.contains("jo ("), "{msg}");
        // Nothing half-done: the index is not there, so renaming one and migrating again works.
        let mut tx = store.begin().await.unwrap();
        tx.testing_execute("UPDATE users SET username = 'sam.lee2' WHERE username = 'Sam.Lee'")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            store.migrate().await.unwrap(),
            vec!["0004_sign_in_hardening"]
        );
        let mut tx = store.begin().await.unwrap();
        assert!(matches!(
            tx.user_insert("SAM.LEE", "Sam", "x", false).await,
            Err(StoreError::Conflict("username"))
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_totp_step_is_accepted_once() {
    for store in concordat_store::testing::all_backends().await.unwrap() {
        let mut tx = store.begin().await.unwrap();
        let id: UserId = tx.user_insert("amy", "Amy", "x", false).await.unwrap();
        tx.user_set_totp(id, Some("CLEARSECRET"), true, &[])
            .await
            .unwrap();
        assert!(tx.user_totp_accept(id, 100, None).await.unwrap());
        assert!(!tx.user_totp_accept(id, 100, None).await.unwrap(), "replay");
        assert!(
            !tx.user_totp_accept(id, 99, None).await.unwrap(),
            "older step"
        );
        // A refused step changes nothing, not even the secret.
        assert!(!tx.user_totp_accept(id, 100, Some("v1:new")).await.unwrap());
        let c = tx.user_credentials_by_id(id).await.unwrap().unwrap();
        assert_eq!(c.totp_secret.as_deref(), Some("CLEARSECRET"));
        assert_eq!(c.totp_last_step, 100);
        assert!(tx.user_totp_accept(id, 101, Some("v1:new")).await.unwrap());
        let c = tx.user_credentials_by_id(id).await.unwrap().unwrap();
        assert_eq!(c.totp_secret.as_deref(), Some("v1:new"));
        assert_eq!(c.totp_last_step, 101);
        tx.commit().await.unwrap();
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_sqlite_database_and_its_folder_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let base = std::env::temp_dir().join(format!(
        "concordat_private_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
    ));
    let db = base.join("data").join("concordat.db");
    let store = Store::connect(
        &format!("sqlite:{}", db.display()),
        ConnectOptionsCfg {
            create: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&base), 0o700, "new parent folder");
    assert_eq!(mode(&base.join("data")), 0o700, "new folder");
    assert_eq!(mode(&db), 0o600, "database file");
    let wal = base.join("data").join("concordat.db-wal");
    assert!(wal.exists());
    assert_eq!(mode(&wal), 0o600, "write-ahead log");
    store.close().await;
    std::fs::remove_dir_all(&base).unwrap();
}
