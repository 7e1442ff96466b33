//! Every audit action code the application writes has plain words for the person's access history
//! (`concordat_domain::audit::actions`), so a new action cannot be added without them.
//!
//! The codes built from the policy's `Action::code()` are checked in the domain crate; this test reads
//! the source of the crates that write audit events (app, store, binary) and checks every string
//! literal shaped like an action code (`word.word`, lower case) either has words or is one of the
//! listed strings that are not action codes (form field names, settings, file names).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use concordat_domain::audit::actions::words;
use std::path::{Path, PathBuf};

/// Dotted literals in those sources that are not audit actions.
const NOT_ACTIONS: &[&str] = &[
    // Field names of the detention forms (errors are reported against them).
    "assessment.amhp",
    "assessment.amhp_interviewed_at",
    "assessment.doctor",
    "assessment.doctor_examined_at",
    "consultation.reason",
    "consultation.with",
    "extension.assessment_at_police_station",
    "extension.authorised_at",
    "extension.authorised_by",
    "extension.minutes",
    "extension.reason",
    "extension.reason_detail",
    "extension.superintendent_approved_at",
    "extension.superintendent_rank",
    "home_consent.occupier",
    "home_consent.person_agreed",
    // Configuration keys.
    "database.pool_size",
    "database.url",
    "housekeeping.interval_minutes",
    "log.format",
    "metrics.enabled",
    "server.listen",
    "server.secret_key_file",
    "server.secure_cookies",
    "server.trusted_proxies",
    // Demo usernames and file names.
    "demo.crisis",
    "demo.paramedic",
    "demo.pos",
    "demo.ebe",
    "demo.triage",
    "concordat.db",
    "ids.txt",
    "secret.key",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// String literals of the shape `a.b` or `a.b.c` (lower-case letters and underscores).
fn dotted_literals(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for piece in source.split('"').skip(1).step_by(2) {
        let parts: Vec<&str> = piece.split('.').collect();
        if parts.len() >= 2
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        {
            found.push(piece.to_string());
        }
    }
    found
}

#[test]
fn every_action_code_in_the_source_has_plain_words() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for krate in ["app/src", "store/src", "concordat/src"] {
        rust_files(&root.join(krate), &mut files);
    }
    assert!(files.len() > 10, "the sources should be found");
    let mut missing = Vec::new();
    let mut checked = 0;
    for f in &files {
        let source = std::fs::read_to_string(f).unwrap();
        for lit in dotted_literals(&source) {
            if NOT_ACTIONS.contains(&lit.as_str()) {
                continue;
            }
            checked += 1;
            if words(&lit).is_none() {
                missing.push(format!("{lit} ({})", f.display()));
            }
        }
    }
    assert!(checked > 40, "the action codes should be found ({checked})");
    assert!(
        missing.is_empty(),
        "these action codes have no plain words in concordat_domain::audit::actions::ACTIONS \
         (or add them to NOT_ACTIONS if they are not action codes): {missing:#?}"
    );
}

#[test]
fn the_scan_finds_a_code_without_words() {
    let found = dotted_literals(r#"audit_allowed(&mut tx, actor, "person.teleport", &s)"#);
    assert_eq!(found, vec!["person.teleport".to_string()]);
    assert!(words("person.teleport").is_none());
}
