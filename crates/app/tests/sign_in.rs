//! Password checks run on a blocking thread, outside the SQLite writer's turn: a burst of sign-ins
//! neither stalls the async runtime nor makes other writes wait for the argon2 work.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use concordat_app::admin::NewUser;
use concordat_app::auth::{SessionKind, hash_password};
use concordat_app::{Actor, App, AppConfig, AppError};
use concordat_domain::{OrgKind, Role};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const PASSWORD: &str = "harbour kettle violet";

async fn app_with_user() -> App {
    let store = concordat_store::testing::fresh_sqlite().await.unwrap();
    let app = App::new(store, AppConfig::default());
    let system = Actor::system("test");
    app.add_organisation(
        &system,
        "Vale Trust",
        OrgKind::MentalHealthTrust,
        None,
        None,
    )
    .await
    .unwrap();
    app.add_user(
        &system,
        &NewUser {
            username: "ann".into(),
            display_name: "Ann Analyst".into(),
            org_name: "Vale Trust".into(),
            role: Role::Analyst,
            password: PASSWORD.into(),
        },
    )
    .await
    .unwrap();
    app
}

/// How long one argon2 hash takes here at least (a password check costs the same): the fastest of
/// three, as other work on the machine only makes hashes slower.
fn hash_time() -> Duration {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            hash_password("some other password").unwrap();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

#[test]
fn password_checks_do_not_stall_the_async_runtime() {
    // One runtime thread: anything that blocks it stops the ticker below.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let app = app_with_user().await;
        let hash = hash_time();
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut gaps = Vec::new();
                let mut last = Instant::now();
                while !stop.load(Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    let now = Instant::now();
                    gaps.push(now - last);
                    last = now;
                }
                gaps
            })
        };
        for i in 0..12 {
            let r = app
                .sign_in(
                    "ann",
                    "not the password",
                    None,
                    &format!("192.0.2.{i}"),
                    SessionKind::Cookie,
                    None,
                )
                .await;
            assert!(matches!(r, Err(AppError::BadCredentials)), "{r:?}");
        }
        stop.store(true, Ordering::Relaxed);
        let gaps = ticker.await.unwrap();
        let long = gaps.iter().filter(|g| **g >= hash * 4 / 5).count();
        let worst = gaps.iter().max().copied().unwrap_or_default();
        println!("one argon2 hash: {hash:?}; longest runtime stall during 12 sign-ins: {worst:?}");
        // Checking the password on the runtime thread would stall it once per sign-in (12 times).
        assert!(
            long < 4,
            "{long} stalls of at least {hash:?} (one hash) during 12 sign-ins"
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_writes_do_not_wait_for_a_burst_of_sign_ins() {
    let app = app_with_user().await;
    let hash = hash_time();
    let burst: Vec<_> = (0..8)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                app.sign_in(
                    "ann",
                    "not the password",
                    None,
                    &format!("192.0.2.{i}"),
                    SessionKind::Cookie,
                    None,
                )
                .await
            })
        })
        .collect();
    // Meanwhile, another write (such as a contact being saved) takes its turn.
    tokio::time::sleep(Duration::from_millis(2)).await;
    let mut worst = Duration::ZERO;
    for _ in 0..5 {
        let t = Instant::now();
        let tx = app.store.begin().await.unwrap();
        tx.commit().await.unwrap();
        worst = worst.max(t.elapsed());
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    for b in burst {
        assert!(matches!(b.await.unwrap(), Err(AppError::BadCredentials)));
    }
    println!("one argon2 hash: {hash:?}; slowest other write during 8 sign-ins: {worst:?}");
    // Hashing inside the write transaction made a write queue behind every sign-in before it
    // (8 hashes); now it waits only for their short transactions.
    assert!(
        worst < hash * 3,
        "a write waited {worst:?} (one hash is {hash:?})"
    );
}
