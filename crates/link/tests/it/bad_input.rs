//! Bad input gives a clear error naming the file, line and column, a failing exit code, and no panic.

use super::cli::cli;
use concordat_link::{Dataset, LinkConfig, LinkError};
use std::path::Path;
use std::process::ExitCode;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn load_err(path: &Path, cfg: &LinkConfig) -> String {
    let e = Dataset::load(&[path.to_path_buf()], cfg).unwrap_err();
    e.to_string()
}

#[test]
fn ragged_row_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "r.csv",
        b"id,first_name,surname\n1,Ann,Lee\n2,Bob\n",
    );
    let msg = load_err(&p, &LinkConfig::default());
    assert!(
        msg.contains("r.csv") && msg.contains("line 3") && msg.contains("2 fields"),
        "{msg}"
    );
    let out = dir.path().join("o.csv");
    assert_eq!(
        cli(&[
            "dedupe",
            "--input",
            p.to_str().unwrap(),
            "--out",
            out.to_str().unwrap()
        ]),
        ExitCode::FAILURE
    );
}

#[test]
fn non_utf8_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "u.csv",
        b"id,first_name,surname\n1,Ann,Lee\n2,Bj\xf6rn,Berg\n",
    );
    let msg = load_err(&p, &LinkConfig::default());
    assert!(
        msg.contains("line 3") && msg.contains("first_name") && msg.contains("UTF-8"),
        "{msg}"
    );
}

#[test]
fn empty_and_header_only_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "e.csv", b"");
    assert!(matches!(
        Dataset::load(&[p], &LinkConfig::default()),
        Err(LinkError::EmptyFile(_))
    ));
    let p = write(dir.path(), "h.csv", b"id,first_name\n");
    assert!(matches!(
        Dataset::load(&[p], &LinkConfig::default()),
        Err(LinkError::NoRecords(_))
    ));
}

#[test]
fn missing_mapped_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "m.csv", b"id,given,family\n1,Ann,Lee\n");
    let cfg_path = write(
        dir.path(),
        "link.toml",
        b"[columns]\nfirst_name = \"forename\"\n",
    );
    let cfg = LinkConfig::from_file(&cfg_path).unwrap();
    let msg = load_err(&p, &cfg);
    assert!(
        msg.contains("\"forename\"") && msg.contains("first_name") && msg.contains("m.csv"),
        "{msg}"
    );
    // Nothing recognised at all.
    let p = write(dir.path(), "n.csv", b"foo,bar\n1,2\n");
    let msg = load_err(&p, &LinkConfig::default());
    assert!(msg.contains("no columns to link on"), "{msg}");
}

#[test]
fn bad_config_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "bad.toml", b"threshold = 1.5\n");
    let msg = LinkConfig::from_file(&p).unwrap_err().to_string();
    assert!(msg.contains("threshold") && msg.contains("1.5"), "{msg}");
    let p = write(dir.path(), "typo.toml", b"threshhold = 0.5\n");
    let msg = LinkConfig::from_file(&p).unwrap_err().to_string();
    assert!(msg.contains("threshhold"), "{msg}");
    let p = write(dir.path(), "rule.toml", b"blocking = [\" & \"]\n");
    assert!(LinkConfig::from_file(&p).is_err());
}

#[test]
fn threshold_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "t.csv",
        b"id,first_name,surname\n1,Ann,Lee\n2,Ann,Lee\n",
    );
    let out = dir.path().join("o.csv");
    for t in ["1.5", "0", "-0.2", "NaN"] {
        let flag = format!("--threshold={t}");
        assert_eq!(
            cli(&[
                "dedupe",
                "--input",
                p.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                &flag
            ]),
            ExitCode::FAILURE,
            "{t}"
        );
    }
    assert!(!out.exists());
}

#[test]
fn key_file_of_wrong_length() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "k.csv", b"id,first_name,surname\n1,Ann,Lee\n");
    let key = write(dir.path(), "short.key", &[1u8; 16]);
    let out = dir.path().join("enc.csv");
    assert_eq!(
        cli(&[
            "encode",
            "--key-file",
            key.to_str().unwrap(),
            "--input",
            p.to_str().unwrap(),
            "--out",
            out.to_str().unwrap()
        ]),
        ExitCode::FAILURE
    );
    assert!(!out.exists());
    let e = concordat_link::privacy::Secret::from_file(&key)
        .unwrap_err()
        .to_string();
    assert!(e.contains("at least 32 bytes") && e.contains("16"), "{e}");
}

#[test]
fn missing_file_and_bad_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.csv");
    assert_eq!(
        cli(&[
            "dedupe",
            "--input",
            "/no/such/file.csv",
            "--out",
            out.to_str().unwrap()
        ]),
        ExitCode::FAILURE
    );
    let m = write(dir.path(), "m.json", b"{\"format\": 3}");
    assert_eq!(
        cli(&["model", "--model", m.to_str().unwrap()]),
        ExitCode::FAILURE
    );
}

#[test]
fn impossible_dates_and_invalid_nhs_numbers_are_counted_not_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "q.csv",
        b"id,first_name,surname,dob,nhs_number\n1,Ann,Lee,31/02/1980,9434765918\n2,Ann,Lee,01/02/80,9434765919\n3,Ann,Lee,1980-02-01,\n",
    );
    let ds = Dataset::load(&[p], &LinkConfig::default()).unwrap();
    assert_eq!(ds.quality.impossible_dates, 1);
    assert_eq!(ds.quality.unreadable_dates, 1);
    assert_eq!(ds.quality.invalid_nhs_numbers, 1);
    assert_eq!(ds.records.dob, vec![0, 0, 19_800_201]);
}

#[test]
fn a_column_named_twice_is_an_error_naming_it_and_both_positions() {
    // A blank first "surname" column would otherwise win and switch off every surname rule.
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "d.csv",
        b"id,first_name,surname,dob,Surname\n1,Ann,,1980-01-01,Lee\n2,Ann,,1980-01-01,Lee\n",
    );
    let msg = load_err(&p, &LinkConfig::default());
    assert!(
        msg.contains("d.csv") && msg.contains("\"Surname\"") && msg.contains("columns 3 and 5"),
        "{msg}"
    );
}

#[test]
fn a_repeated_record_id_is_an_error_naming_both_lines() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        dir.path(),
        "a.csv",
        b"id,first_name,surname\nr1,Ann,Lee\nr2,Bob,Day\n",
    );
    let b = write(
        dir.path(),
        "b.csv",
        b"id,first_name,surname\nr3,Cat,Ray\nr2,Dan,Fox\n",
    );
    let e = Dataset::load(&[a.clone(), b.clone()], &LinkConfig::default()).unwrap_err();
    assert!(matches!(e, LinkError::DuplicateId { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("\"r2\"") && msg.contains("b.csv, line 3") && msg.contains("a.csv, line 3"),
        "{msg}"
    );
    let out = dir.path().join("o.csv");
    assert_eq!(
        cli(&[
            "dedupe",
            "--input",
            a.to_str().unwrap(),
            "--input",
            b.to_str().unwrap(),
            "--out",
            out.to_str().unwrap()
        ]),
        ExitCode::FAILURE
    );
    assert!(!out.exists(), "nothing is written after an input error");
}

#[test]
fn training_on_too_little_data_warns() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "two.csv",
        b"id,first_name,surname,dob\n1,Ann,Lee,1980-01-01\n2,Ann,Lee,1980-01-01\n",
    );
    let ds = Dataset::load(&[p], &LinkConfig::default()).unwrap();
    let r = concordat_link::dedupe(&ds, &LinkConfig::default()).unwrap();
    assert_eq!(r.summary.warnings.len(), 1, "{:?}", r.summary.warnings);
    let w = &r.summary.warnings[0];
    assert!(w.contains("only 2 records") && w.contains("--model"), "{w}");
    assert!(concordat_link::output::summary_text(&r.summary).contains("WARNING: the model"));
}
