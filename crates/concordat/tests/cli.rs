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
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
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
    let (code, _, err) = run(
        &["serve", "--database-url", "postgress://localhost/x"],
        None,
    );
    assert_eq!(code, 1);
    assert!(err.contains("not understood"), "{err}");
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
