//! The binary's commands, run as a user would: migrate, user add (password from stdin), audit verify.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_concordat"))
}

fn temp_db(name: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("concordat_cli_{}_{name}.db", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

fn run(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        // A child that exits before reading its input closes the pipe; its exit status and stderr,
        // checked by the caller, then say why (a broken pipe here would hide it).
        if let Err(e) = child.stdin.take().unwrap().write_all(s.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn a_typo_in_the_database_url_never_creates_a_file() {
    let db = temp_db("typo");
    let url = format!("sqlite:{}", db.display());
    let (code, _, err) = run(&["audit", "verify", "--database-url", &url], None);
    assert_eq!(code, 1);
    assert!(err.contains("no SQLite database at"), "{err}");
    assert!(!db.exists());
    let key = key_file("typo", &[7u8; 32], 0o600);
    let (code, _, err) = run(
        &[
            "serve",
            "--database-url",
            "postgress://localhost/x",
            "--secret-key-file",
            key.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 1);
    assert!(err.contains("not understood"), "{err}");
}

/// A key file with these bytes and (on Unix) this mode.
fn key_file(name: &str, bytes: &[u8], mode: u32) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("concordat_cli_{}_{name}.key", std::process::id()));
    let _ = std::fs::remove_file(&p);
    std::fs::write(&p, bytes).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = mode;
    p
}

#[test]
fn serve_refuses_a_missing_short_or_shared_secret_key_before_starting() {
    let db = temp_db("keys");
    let url = format!("sqlite:{}", db.display());
    let (code, _, err) = run(&["migrate", "--create", "--database-url", &url], None);
    assert_eq!(code, 0, "{err}");
    let serve = |key: &str| {
        run(
            &[
                "serve",
                "--database-url",
                &url,
                "--listen",
                "127.0.0.1:1",
                "--secret-key-file",
                key,
            ],
            None,
        )
    };
    let (code, _, err) = serve("/no/such/concordat.key");
    assert_eq!(code, 1);
    assert!(
        err.contains("cannot read the secret key file /no/such/concordat.key"),
        "{err}"
    );
    let short = key_file("short", b"0123456789", 0o600);
    let (code, _, err) = serve(short.to_str().unwrap());
    assert_eq!(code, 1);
    assert!(err.contains("exactly 32 bytes"), "{err}");
    #[cfg(unix)]
    {
        let shared = key_file("shared", &[1u8; 32], 0o644);
        let (code, _, err) = serve(shared.to_str().unwrap());
        assert_eq!(code, 1);
        assert!(err.contains("chmod 600"), "{err}");
        assert!(!err.contains("0101"), "the key is never printed: {err}");
    }
    // Without the option at all, clap names it.
    let (code, _, err) = run(&["serve", "--database-url", &url], None);
    assert_ne!(code, 0);
    assert!(err.contains("--secret-key-file"), "{err}");
}

#[test]
fn usernames_ignore_case_and_demo_refuses_a_real_database() {
    let dir = std::env::temp_dir().join(format!("concordat_cli_real_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("concordat.db");
    let url = format!("sqlite:{}", db.display());
    let (code, _, err) = run(&["migrate", "--create", "--database-url", &url], None);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(
        &[
            "org",
            "add",
            "--database-url",
            &url,
            "--name",
            "Real Trust",
            "--kind",
            "mental_health_trust",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let add = |username: &str| {
        run(
            &[
                "user",
                "add",
                "--database-url",
                &url,
                "--org",
                "Real Trust",
                "--role",
                "triage_clinician",
                "--username",
                username,
                "--display-name",
                "Sam Lee",
            ],
            Some("harbour kettle violet\n"),
        )
    };
    let (code, _, err) = add("sam.lee");
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = add("Sam.Lee");
    assert_eq!(code, 1);
    assert!(
        err.contains("username: \"Sam.Lee\" is taken")
            && err.contains("ignore upper and lower case"),
        "{err}"
    );
    // The demo never loads its MFA-exempt accounts into a real database.
    let (code, out, err) = run(
        &[
            "demo",
            "--data-dir",
            dir.to_str().unwrap(),
            "--residents",
            "3000",
            "--no-serve",
        ],
        None,
    );
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("is not a demo database"), "{err}");
    let users = tokio_block(async {
        let store = concordat_store::Store::connect(&url, Default::default())
            .await
            .unwrap();
        let mut tx = store.begin_read().await.unwrap();
        tx.user_list().await.unwrap().len()
    });
    assert_eq!(users, 1, "no demo accounts were added");
}

fn tokio_block<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn migrate_add_a_user_and_verify_then_catch_tampering() {
    let db = temp_db("story");
    let url = format!("sqlite:{}", db.display());
    let (code, out, err) = run(&["migrate", "--create", "--database-url", &url], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Applied"), "{out}");
    let (code, out, _) = run(&["migrate", "--database-url", &url], None);
    assert_eq!(code, 0);
    assert!(out.contains("up to date"));
    // No organisation yet: a clear error naming the field.
    let args = [
        "user",
        "add",
        "--database-url",
        &url,
        "--org",
        "Nowhere Trust",
        "--role",
        "analyst",
        "--username",
        "ann",
        "--display-name",
        "Ann Analyst",
    ];
    let (code, _, err) = run(&args, Some("harbour kettle violet\n"));
    assert_eq!(code, 1);
    assert!(err.contains("org: no organisation is called"), "{err}");
    // A bad role names the choices.
    let (code, _, err) = run(
        &[
            "user",
            "add",
            "--database-url",
            &url,
            "--org",
            "X",
            "--role",
            "boss",
            "--username",
            "b",
            "--display-name",
            "B",
        ],
        Some("x\n"),
    );
    assert_eq!(code, 1);
    assert!(err.contains("privacy_officer"), "{err}");
    let (code, _, err) = run(
        &[
            "org",
            "add",
            "--database-url",
            &url,
            "--name",
            "Nowhere Trust",
            "--kind",
            "trust",
        ],
        None,
    );
    assert_eq!(code, 1);
    assert!(err.contains("mental_health_trust"), "{err}");
    let (code, out, err) = run(
        &[
            "org",
            "add",
            "--database-url",
            &url,
            "--name",
            "Nowhere Trust",
            "--kind",
            "mental_health_trust",
            "--ods-code",
            "ZZA",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Added Nowhere Trust"), "{out}");
    // A weak password is refused with the reason; the password never appears on the command line.
    let (code, _, err) = run(&args, Some("password1234\n"));
    assert_eq!(code, 1);
    assert!(
        err.contains("password: this password is too common"),
        "{err}"
    );
    let (code, out, err) = run(&args, Some("harbour kettle violet\n"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Added user ann"), "{out}");
    let (code, _, err) = run(
        &[
            "org",
            "add",
            "--database-url",
            &url,
            "--name",
            "Nowhere Police",
            "--kind",
            "police_force",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let agree = |cats: &str, to: &str| {
        let a = [
            "agreement",
            "add",
            "--database-url",
            &url,
            "--from",
            "Nowhere Trust",
            "--to",
            to,
            "--categories",
            cats,
            "--legal-basis",
            "direct_care",
            "--review-date",
            "2027-03-31",
        ];
        run(&a, None)
    };
    let (code, _, err) = agree("identity,everything", "Nowhere Police");
    assert_eq!(code, 1);
    assert!(err.contains("\"everything\" is not a category"), "{err}");
    let (code, _, err) = agree("identity", "Elsewhere Police");
    assert_eq!(code, 1);
    assert!(err.contains("to: no organisation is called"), "{err}");
    let (code, out, err) = agree("identity,crisis_plan_summary", "Nowhere Police");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Recorded agreement"), "{out}");
    // Recorded as agreed outside Concordat, in force from today.
    assert!(out.contains("as already agreed by both parties"), "{out}");
    let (code, out, err) = run(&["audit", "verify", "--database-url", &url], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("intact: 4 events"), "{out}");
    // Tamper with a row (after dropping the append-only trigger) and verify fails with exit code 1.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = concordat_store::Store::connect(&url, Default::default())
            .await
            .unwrap();
        let mut tx = store.begin().await.unwrap();
        tx.testing_drop_audit_triggers().await.unwrap();
        tx.testing_execute("UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 1")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        store.close().await;
    });
    let (code, out, _) = run(&["audit", "verify", "--database-url", &url], None);
    assert_eq!(code, 1);
    assert!(
        out.contains("BROKEN") && out.contains("audit event 1"),
        "{out}"
    );
}

#[test]
fn an_anchor_catches_the_newest_events_deleted_and_the_head_moved_back() {
    let db = temp_db("anchor");
    let url = format!("sqlite:{}", db.display());
    let anchor =
        std::env::temp_dir().join(format!("concordat_cli_{}_anchor.txt", std::process::id()));
    let _ = std::fs::remove_file(&anchor);
    let anchor_s = anchor.to_str().unwrap();
    let (code, _, err) = run(&["migrate", "--create", "--database-url", &url], None);
    assert_eq!(code, 0, "{err}");
    let org = |name: &str| {
        run(
            &[
                "org",
                "add",
                "--database-url",
                &url,
                "--name",
                name,
                "--kind",
                "police_force",
            ],
            None,
        )
    };
    for name in ["North Police", "South Police"] {
        let (code, _, err) = org(name);
        assert_eq!(code, 0, "{err}");
    }
    // Anchor after two events, then after four: the file keeps both lines.
    let (code, out, err) = run(
        &["audit", "anchor", "--database-url", &url, "--out", anchor_s],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("at event 2"), "{out}");
    for name in ["East Police", "West Police"] {
        let (code, _, err) = org(name);
        assert_eq!(code, 0, "{err}");
    }
    let (code, _, err) = run(
        &["audit", "anchor", "--database-url", &url, "--out", anchor_s],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&anchor).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        text.lines()
            .all(|l| l.starts_with("concordat-audit-anchor seq=")),
        "{text}"
    );
    let (code, out, err) = run(
        &[
            "audit",
            "verify",
            "--database-url",
            &url,
            "--anchor",
            anchor_s,
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("reaches all 2 anchors"), "{out}");
    // Delete the two newest events and move the stored head back: the chain alone still verifies.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = concordat_store::Store::connect(&url, Default::default())
            .await
            .unwrap();
        let mut tx = store.begin().await.unwrap();
        tx.testing_drop_audit_triggers().await.unwrap();
        tx.testing_execute("DELETE FROM audit_events WHERE seq > 2")
            .await
            .unwrap();
        tx.testing_execute(
            "UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_events WHERE seq = 2) WHERE id = 1",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        store.close().await;
    });
    let (code, out, _) = run(&["audit", "verify", "--database-url", &url], None);
    assert_eq!(
        code, 0,
        "without the anchor the truncation is invisible: {out}"
    );
    let (code, out, _) = run(
        &[
            "audit",
            "verify",
            "--database-url",
            &url,
            "--anchor",
            anchor_s,
        ],
        None,
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("BROKEN")
            && out.contains("records audit event 4")
            && out.contains("ends at event 2"),
        "{out}"
    );
    // A damaged anchor file is refused with the line number, not taken as "no anchors".
    std::fs::write(&anchor, "concordat-audit-anchor seq=x\n").unwrap();
    let (code, _, err) = run(
        &[
            "audit",
            "verify",
            "--database-url",
            &url,
            "--anchor",
            anchor_s,
        ],
        None,
    );
    assert_eq!(code, 1);
    assert!(err.contains("line 1"), "{err}");
    let _ = std::fs::remove_file(&anchor);
}

#[test]
fn demo_loads_writes_logins_and_verify_passes() {
    let dir = std::env::temp_dir().join(format!("concordat_cli_demo_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (code, out, err) = run(
        &[
            "demo",
            "--data-dir",
            dir.to_str().unwrap(),
            "--residents",
            "3000",
            "--no-serve",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("all synthetic"), "{out}");
    // The demo keeps its own key, and its files, readable by the owner only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(std::fs::metadata(dir.join("secret.key")).unwrap().len(), 32);
        assert_eq!(mode(&dir.join("secret.key")), 0o600);
        assert_eq!(mode(&dir.join("concordat.db")), 0o600);
        assert_eq!(mode(&dir), 0o700);
    }
    let logins = std::fs::read_to_string(dir.join("demo-logins.txt")).unwrap();
    let roles: Vec<&str> = logins
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').nth(2))
        .collect();
    for role in concordat_domain::Role::ALL {
        assert!(roles.contains(&role.code()), "no demo login for {role:?}");
    }
    // Running again reuses the data.
    let (code, out, _) = run(
        &["demo", "--data-dir", dir.to_str().unwrap(), "--no-serve"],
        None,
    );
    assert_eq!(code, 0);
    assert!(out.contains("Reusing"), "{out}");
    let url = format!("sqlite:{}", dir.join("concordat.db").display());
    let (code, out, _) = run(&["audit", "verify", "--database-url", &url], None);
    assert_eq!(code, 0, "{out}");
}

/// A backup taken while another process writes as fast as it can holds every write acknowledged before
/// the backup began, and a prefix of the rest (a consistent snapshot, no torn transaction); it restores
/// into a new database whose audit chain verifies.
#[test]
fn backup_under_write_load_restores_every_acknowledged_write() {
    use concordat_app::{Actor, App, AppConfig};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let db = temp_db("live");
    let url = format!("sqlite:{}", db.display());
    let (code, _, err) = run(&["migrate", "--create", "--database-url", &url], None);
    assert_eq!(code, 0, "{err}");
    let backup = temp_db("live_backup");
    let restored = temp_db("live_restored");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let acked = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (acked_before, acked_after) = rt.block_on(async {
        let store = concordat_store::Store::connect(&url, Default::default())
            .await
            .unwrap();
        let app = App::new(store, AppConfig::default());
        // The writer: one organisation (and its audit event) per transaction, numbered in order.
        let writer = {
            let (app, acked, stop) = (app.clone(), acked.clone(), stop.clone());
            tokio::spawn(async move {
                let actor = Actor::system("test:load");
                while !stop.load(Ordering::SeqCst) {
                    let n = acked.load(Ordering::SeqCst);
                    app.add_organisation(
                        &actor,
                        &format!("Org {n:06}"),
                        concordat_domain::OrgKind::Other,
                        None,
                        None,
                    )
                    .await
                    .unwrap();
                    acked.store(n + 1, Ordering::SeqCst);
                }
            })
        };
        while acked.load(Ordering::SeqCst) < 200 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let before = acked.load(Ordering::SeqCst);
        let (b, u) = (backup.display().to_string(), url.clone());
        let (code, out, err) = tokio::task::spawn_blocking(move || {
            run(&["backup", "--database-url", &u, "--out", &b], None)
        })
        .await
        .unwrap();
        let after = acked.load(Ordering::SeqCst);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("audit chain is intact"), "{out}");
        // Keep writing a little after the backup, then stop.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        stop.store(true, Ordering::SeqCst);
        writer.await.unwrap();
        app.store.close().await;
        let total = acked.load(Ordering::SeqCst);
        assert!(
            total > after,
            "the writer kept writing around the backup ({before} → {after} → {total})"
        );
        (before, after)
    });
    // Never overwrite a backup.
    let (code, _, err) = run(
        &[
            "backup",
            "--database-url",
            &url,
            "--out",
            &backup.display().to_string(),
        ],
        None,
    );
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");
    // Restore into a new database, and prove it.
    let restored_url = format!("sqlite:{}", restored.display());
    let (code, out, err) = run(
        &[
            "restore",
            "--from",
            &backup.display().to_string(),
            "--database-url",
            &restored_url,
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("audit chain is intact"), "{out}");
    let (code, out, err) = run(&["audit", "verify", "--database-url", &restored_url], None);
    assert_eq!(code, 0, "{out}{err}");
    let names: Vec<String> = rt.block_on(async {
        let store = concordat_store::Store::connect(&restored_url, Default::default())
            .await
            .unwrap();
        let mut tx = store.begin_read().await.unwrap();
        let orgs = tx.org_list().await.unwrap();
        drop(tx);
        store.close().await;
        orgs.into_iter().map(|o| o.name).collect()
    });
    let mut names = names;
    names.sort();
    let k = names.len();
    eprintln!(
        "backup under load: {acked_before} writes acknowledged when it began, {acked_after} when it ended, {k} restored"
    );
    assert!(
        k >= acked_before && k <= acked_after + 1,
        "restored {k} writes; {acked_before} were acknowledged before the backup began and {acked_after} when it ended"
    );
    let expected: Vec<String> = (0..k).map(|n| format!("Org {n:06}")).collect();
    assert_eq!(
        names, expected,
        "the backup is a prefix of the acknowledged writes"
    );
    // The live database, written after the backup too, still verifies; restoring over it is refused.
    let (code, out, _) = run(&["audit", "verify", "--database-url", &url], None);
    assert_eq!(code, 0, "{out}");
    let (code, _, err) = run(
        &[
            "restore",
            "--from",
            &backup.display().to_string(),
            "--database-url",
            &url,
        ],
        None,
    );
    assert_eq!(code, 1);
    assert!(err.contains("not empty"), "{err}");
    for p in [&db, &backup, &restored] {
        let _ = std::fs::remove_file(p);
    }
}

/// Two `migrate` processes at once on one new database: both succeed, each migration applied once.
#[test]
fn two_concurrent_migrate_runs_apply_each_migration_once() {
    let mut urls = vec![format!("sqlite:{}", temp_db("race").display())];
    if let Ok(base) = std::env::var("CONCORDAT_TEST_POSTGRES_URL") {
        urls.push(url_with_db(
            &base,
            &format!("concordat_cli_race_{}", std::process::id()),
        ));
    }
    for url in urls {
        let spawn = || {
            bin()
                .args(["migrate", "--create", "--database-url", &url])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let text = |o: &std::process::Output| {
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        };
        assert!(a.status.success(), "{url}: {}", text(&a));
        assert!(b.status.success(), "{url}: {}", text(&b));
        let applied = format!("{}{}", text(&a), text(&b));
        assert_eq!(
            applied.matches("0001_foundation").count(),
            1,
            "{url}: the first migration must be applied once: {applied}"
        );
        let (code, out, _) = run(&["migrate", "--database-url", &url], None);
        assert_eq!(code, 0);
        assert!(out.contains("up to date"), "{out}");
    }
}

fn url_with_db(base: &str, db: &str) -> String {
    let (head, _) = base.rsplit_once('/').unwrap();
    format!("{head}/{db}")
}

#[test]
fn housekeeping_run_and_json_logs() {
    let db = temp_db("housekeeping");
    let url = format!("sqlite:{}", db.display());
    let (code, _, err) = run(&["migrate", "--create", "--database-url", &url], None);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(
        &[
            "housekeeping",
            "run",
            "--database-url",
            &url,
            "--log-format",
            "json",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Deleted 0 expired or revoked sessions"),
        "{out}"
    );
    assert!(out.contains("audit trail is untouched"), "{out}");
    // With JSON logs, every line on standard error is one JSON object, the message among its fields.
    let lines: Vec<&str> = err.lines().collect();
    assert!(!lines.is_empty(), "housekeeping logs what it did");
    for l in &lines {
        assert!(l.starts_with("{\"timestamp\":") && l.ends_with('}'), "{l}");
    }
    assert!(err.contains("\"message\":\"housekeeping done\""), "{err}");
    // Text logs are the default.
    let (code, _, err) = run(&["housekeeping", "run", "--database-url", &url], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("INFO") && !err.contains("{\"timestamp\""),
        "{err}"
    );
    let _ = std::fs::remove_file(&db);
}

#[test]
fn backup_of_postgres_names_pg_dump() {
    let Ok(base) = std::env::var("CONCORDAT_TEST_POSTGRES_URL") else {
        return;
    };
    let url = url_with_db(
        &base,
        &format!("concordat_cli_pgdump_{}", std::process::id()),
    );
    let (code, _, err) = run(&["migrate", "--create", "--database-url", &url], None);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(
        &["backup", "--database-url", &url, "--out", "/tmp/never.db"],
        None,
    );
    assert_eq!(code, 1);
    assert!(err.contains("pg_dump"), "{err}");
}

/// Starts `concordat serve` on a free port with `envs`, returns the child and its address.
fn start_server(url: &str, envs: &[(&str, &str)]) -> (std::process::Child, String) {
    use std::io::BufRead;
    let key = key_file("serve", &[9u8; 32], 0o600);
    let mut child = bin()
        .args(["serve", "--database-url", url, "--listen", "127.0.0.1:0"])
        .arg("--secret-key-file")
        .arg(&key)
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("Concordat is serving on http://")
                .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string())
        })
        .expect("the server says where it listens");
    // Keep reading, so the server never writes to a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, addr)
}

/// A plain HTTP/1.0 GET; returns the status code and the body.
fn http_get(addr: &str, path: &str) -> (u16, String) {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = resp
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

fn stop(mut child: std::process::Child) -> String {
    // SIGTERM would be kinder, but the test needs no dependency for it: kill, then read what was logged.
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `serve` with CONCORDAT_METRICS=1 and JSON logs: /metrics answers with request counts by route
/// template, and each request is logged as a JSON line with its span. Without the setting, no /metrics.
#[test]
fn serve_with_metrics_and_json_logs() {
    let db = temp_db("serve_metrics");
    let url = format!("sqlite:{}", db.display());
    let (code, _, err) = run(&["migrate", "--create", "--database-url", &url], None);
    assert_eq!(code, 0, "{err}");
    let (child, addr) = start_server(
        &url,
        &[("CONCORDAT_METRICS", "1"), ("CONCORDAT_LOG_FORMAT", "json")],
    );
    assert_eq!(http_get(&addr, "/healthz").0, 200);
    assert_eq!(http_get(&addr, "/people/42?q=Smith").0, 303);
    let (status, body) = http_get(&addr, "/metrics");
    let logs = stop(child);
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(
            r#"concordat_http_requests_total{method="GET",route="/healthz",status="200"} 1"#
        ),
        "{body}"
    );
    assert!(
        body.contains(r#"route="/people/{id}",status="303"} 1"#),
        "{body}"
    );
    assert!(
        !body.contains("Smith") && !body.contains("/people/42"),
        "{body}"
    );
    assert!(
        body.contains("concordat_db_pool_max_connections 8"),
        "{body}"
    );
    let request_lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains(r#""message":"request""#))
        .collect();
    assert!(request_lines.len() >= 2, "{logs}");
    for l in &request_lines {
        assert!(l.starts_with('{') && l.contains(r#""request_id":""#), "{l}");
        assert!(!l.contains("Smith"), "no query string in the logs: {l}");
    }
    // Off unless asked.
    let (child, addr) = start_server(&url, &[("CONCORDAT_METRICS", "0")]);
    let (status, _) = http_get(&addr, "/metrics");
    stop(child);
    assert_eq!(status, 404);
    let _ = std::fs::remove_file(&db);
}

/// `config check` accepts the example file and prints the effective configuration with each value's
/// origin (a flag beating the file); a bad file gets every error, each naming its key and line.
#[test]
fn config_check_accepts_the_example_and_names_every_error() {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/concordat.example.toml"
    );
    let (code, out, err) = run(&["config", "check", "--config", example], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("The configuration is valid"), "{out}");
    assert!(out.contains("secure_cookies = true"), "{out}");
    let (code, out, err) = run(
        &[
            "config",
            "check",
            "--config",
            example,
            "--listen",
            "0.0.0.0:9000",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("listen = \"0.0.0.0:9000\"  # from --listen"),
        "{out}"
    );

    let bad = std::env::temp_dir().join(format!("concordat_cli_{}_bad.toml", std::process::id()));
    std::fs::write(
        &bad,
        "[server]\nlisten = 8080\n[sesions]\nidle_minutes = 5\n[database]\nurl = \"postgres://c:hunter2@db/c\"\npool_size = 0\n",
    )
    .unwrap();
    let (code, out, err) = run(
        &["config", "check", "--config", bad.to_str().unwrap()],
        None,
    );
    assert_eq!(code, 1, "{out}");
    for expected in [
        "server.listen",
        "line 2",
        "sesions.idle_minutes",
        "did you mean `sessions.idle_minutes`",
        "database.pool_size",
        "line 7",
        "server.secret_key_file: required",
    ] {
        assert!(err.contains(expected), "{expected:?} missing from: {err}");
    }
    assert!(!err.contains("hunter2"), "{err}");
    let _ = std::fs::remove_file(&bad);
}
