//! Housekeeping on every backend: dead sessions and old sign-in failures go, in bounded batches;
//! live ones stay; the audit trail is untouched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use concordat_app::admin::NewUser;
use concordat_app::housekeeping::Purge;
use concordat_app::{Actor, App, AppConfig};
use concordat_domain::{OrgKind, Role};
use concordat_store::{HousekeptTable, SessionRow};

const MINUTE: i64 = 60_000;

fn session(token: &str, kind: &str, user: concordat_domain::model::UserId) -> SessionRow {
    SessionRow {
        token_hash: token.to_string(),
        kind: kind.to_string(),
        user_id: user,
        membership_id: None,
        csrf_token: "csrf".into(),
        mfa_passed: false,
        created_at: 0,
        last_seen_at: 0,
        expires_at: 0,
        revoked: false,
    }
}

async fn count(app: &App, t: HousekeptTable) -> i64 {
    let mut tx = app.store.begin_read().await.unwrap();
    tx.housekeeping_count(t).await.unwrap()
}

async fn purges_dead_rows_only(app: App) {
    let system = Actor::system("test:housekeeping");
    app.add_organisation(
        &system,
        "Test Trust",
        OrgKind::MentalHealthTrust,
        None,
        None,
    )
    .await
    .unwrap();
    let user = app
        .add_user(
            &system,
            &NewUser {
                username: "hk".into(),
                display_name: "House Keeper".into(),
                org_name: "Test Trust".into(),
                role: Role::Analyst,
                password: "harbour kettle violet".into(),
            },
        )
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let idle = i64::try_from(app.cfg.session_idle.as_millis()).unwrap();
    // Counters are kept for the longest throttling window (the account-wide lock's).
    let window = i64::try_from(
        app.cfg
            .throttle_window
            .max(app.cfg.account_lock_window)
            .as_millis(),
    )
    .unwrap();
    let mut tx = app.store.begin().await.unwrap();
    let mut dead = 0;
    // Live: a fresh cookie session, and a bearer token idle for hours (bearer tokens have no idle limit).
    let mut s = session("live-cookie", "cookie", user);
    (s.last_seen_at, s.expires_at) = (now - MINUTE, now + 60 * MINUTE);
    tx.session_insert(&s).await.unwrap();
    let mut s = session("live-bearer", "bearer", user);
    (s.last_seen_at, s.expires_at) = (now - 3 * 60 * MINUTE, now + 60 * MINUTE);
    tx.session_insert(&s).await.unwrap();
    // Dead: many expired ones (more than one batch), a revoked one, an idle cookie session.
    for i in 0..7 {
        let mut s = session(&format!("expired-{i}"), "bearer", user);
        (s.last_seen_at, s.expires_at) = (now - 10 * MINUTE, now - MINUTE);
        tx.session_insert(&s).await.unwrap();
        dead += 1;
    }
    let mut s = session("revoked", "cookie", user);
    (s.last_seen_at, s.expires_at, s.revoked) = (now, now + 60 * MINUTE, true);
    tx.session_insert(&s).await.unwrap();
    let mut s = session("idle-cookie", "cookie", user);
    (s.last_seen_at, s.expires_at) = (now - idle - MINUTE, now + 60 * MINUTE);
    tx.session_insert(&s).await.unwrap();
    dead += 2;
    // Sign-in failures: two counters in the current window stay, three old ones go.
    for key in ["user:a", "addr:1"] {
        tx.failures_record(key, now - MINUTE, now - window)
            .await
            .unwrap();
    }
    for key in ["user:b", "user:c", "addr:2"] {
        tx.failures_record(key, now - window - MINUTE, now - 2 * window)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let audit_before = count(&app, HousekeptTable::AuditEvents).await;
    assert!(audit_before >= 2);

    let report = app.housekeeping(now, 2).await.unwrap();
    assert_eq!(report.deleted_of(Purge::Sessions), dead);
    assert_eq!(report.deleted_of(Purge::SignInFailures), 3);
    // 9 sessions in batches of 2: five batches, the last one short; 3 failures: two batches;
    // invitations (none): one.
    assert_eq!(report.batches, 5 + 2 + 1, "{report:?}");
    assert_eq!(count(&app, HousekeptTable::Sessions).await, 2);
    assert_eq!(count(&app, HousekeptTable::SignInFailures).await, 2);
    let mut tx = app.store.begin_read().await.unwrap();
    assert!(tx.session_get("live-cookie").await.unwrap().is_some());
    assert!(tx.session_get("live-bearer").await.unwrap().is_some());
    assert!(tx.session_get("idle-cookie").await.unwrap().is_none());
    assert_eq!(
        tx.failures_get("user:a", now - window).await.unwrap(),
        1,
        "a counter in the current window is kept"
    );
    drop(tx);
    assert_eq!(
        count(&app, HousekeptTable::AuditEvents).await,
        audit_before,
        "housekeeping never touches the audit trail"
    );
    // A second run finds nothing, in one batch per purge.
    let again = app.housekeeping(now, 2).await.unwrap();
    assert_eq!(again.total(), 0);
    assert_eq!(again.batches, 3);
    let verified = app.verify_audit().await.unwrap();
    assert!(verified.error.is_none() && verified.head_matches);
}

#[tokio::test]
async fn housekeeping_purges_dead_rows_on_every_backend() {
    for store in concordat_store::testing::all_backends().await.unwrap() {
        purges_dead_rows_only(App::new(store, AppConfig::default())).await;
    }
}
