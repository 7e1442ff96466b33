//! CSV series input: errors name the line, gaps are reported and never filled.

use concordat_insight::input::{self, Frequency, InputError, ValueKind};

fn parse(csv: &str, kind: ValueKind) -> Result<input::Series, InputError> {
    input::parse_series(csv.as_bytes(), "data.csv", "month", &[("n", kind)])
}

#[test]
fn rows_are_sorted_and_frequency_inferred() {
    let s = parse(
        "month,n\n2024-03,5\n2024-01,3\n2024-02,4\n",
        ValueKind::Count,
    )
    .unwrap();
    assert_eq!(s.columns[0], vec![3.0, 4.0, 5.0]);
    assert_eq!(s.lines, vec![3, 4, 2]);
    assert_eq!(s.frequency, Frequency::Monthly);
}

#[test]
fn bad_cells_are_reported_with_line_and_column() {
    let e = parse("month,n\n2024-01,3\nJan 24,4\n", ValueKind::Count).unwrap_err();
    assert!(
        matches!(&e, InputError::BadDate { line: 3, value, .. } if value == "Jan 24"),
        "{e}"
    );
    assert!(
        e.to_string()
            .starts_with("data.csv, line 3, column \"month\"")
    );
    let e = parse("month,n\n2024-01,3\n2024-02,2.5\n", ValueKind::Count).unwrap_err();
    assert!(
        e.to_string()
            .contains("line 3, column \"n\": cannot read \"2.5\" as a whole, non-negative count"),
        "{e}"
    );
    let e = parse("month,n\n2024-01,\n", ValueKind::Number).unwrap_err();
    assert!(matches!(e, InputError::BadNumber { line: 2, .. }));
    let e = parse("month,n\n2024-01,0\n", ValueKind::Positive).unwrap_err();
    assert!(e.to_string().contains("a positive number"));
    let e = input::parse_series("date,n\n".as_bytes(), "d.csv", "month", &[]).unwrap_err();
    assert!(
        e.to_string()
            .contains("no column named \"month\" (columns are: date, n)")
    );
    let e = parse("month,n\n2024-01,1,9\n", ValueKind::Number).unwrap_err();
    assert!(
        e.to_string() == "data.csv, line 2: the row has 3 fields but the header has 2",
        "{e}"
    );
    assert!(matches!(
        parse("month,n\n", ValueKind::Number),
        Err(InputError::Empty { .. })
    ));
}

#[test]
fn gaps_and_duplicates_are_errors() {
    let e = parse(
        "month,n\n2024-01,1\n2024-02,1\n2024-05,1\n2024-06,1\n2024-08,1\n",
        ValueKind::Count,
    )
    .unwrap_err();
    match &e {
        InputError::Gaps {
            gaps, frequency, ..
        } => {
            assert_eq!(*frequency, Frequency::Monthly);
            assert_eq!(gaps.len(), 2);
            assert_eq!(gaps[0].missing, 2);
            assert_eq!(gaps[1].missing, 1);
        }
        other => panic!("{other}"),
    }
    assert!(
        e.to_string()
            .contains("2 missing between 2024-02-01 and 2024-05-01")
    );
    let e = parse(
        "month,n\n2024-01,1\n2024-02,1\n2024-01,2\n",
        ValueKind::Count,
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            InputError::DuplicateDate {
                line: 4,
                first_line: 2,
                ..
            }
        ),
        "{e}"
    );
    // Weekly and daily series are recognised, and their gaps found.
    let e = parse(
        "month,n\n2024-01-01,1\n2024-01-08,1\n2024-01-22,1\n",
        ValueKind::Count,
    )
    .unwrap_err();
    assert!(matches!(
        e,
        InputError::Gaps {
            frequency: Frequency::Weekly,
            ..
        }
    ));
    let s = parse(
        "month,n\n2024-01-01,1\n2024-01-02,1\n2024-01-03,1\n",
        ValueKind::Count,
    )
    .unwrap();
    assert_eq!(s.frequency, Frequency::Daily);
}

#[test]
fn spreadsheet_exports_with_a_byte_order_mark_and_crlf_are_read() {
    let s = parse(
        "\u{feff}month,n\r\n2024-01,1\r\n2024-02,2\r\n",
        ValueKind::Count,
    )
    .unwrap();
    assert_eq!(s.columns[0], vec![1.0, 2.0]);
    assert_eq!(s.lines, vec![2, 3]);
    // Errors in a CRLF file name the line an editor shows.
    let e = parse("month,n\r\n2024-01,1\r\n2024-02,x\r\n", ValueKind::Count).unwrap_err();
    assert!(e.to_string().starts_with("data.csv, line 3,"), "{e}");
    let e = parse("month,n\r\n2024-01,1\r\n2024-02,1,1\r\n", ValueKind::Count).unwrap_err();
    assert!(
        e.to_string() == "data.csv, line 3: the row has 3 fields but the header has 2",
        "{e}"
    );
    let bad = "q1\r\n4\r\nsometimes\r\n";
    let e = concordat_insight::survey::parse_survey(bad.as_bytes(), "s.csv", &[], None, &[])
        .unwrap_err();
    assert!(e.to_string().starts_with("s.csv, line 3,"), "{e}");
    let bad =
        "item,cost,price_year,source,bearer\r\nA,1,2020/21,s,police\r\nB,x,2020/21,s,police\r\n";
    let e = concordat_insight::economics::parse_costs(bad.as_bytes(), "c.csv").unwrap_err();
    assert!(e.to_string().starts_with("c.csv, line 3:"), "{e}");
}
