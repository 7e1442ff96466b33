//! Reading dated series from CSV: every bad cell is reported with its line and column, and gaps in a
//! series are reported, never filled.
//!
//! The parsing functions take any [`std::io::Read`], so the web dashboard can feed them uploaded bytes;
//! [`read_series`] is the file-path convenience used by the CLI.

use std::fmt;
use std::path::Path;

use chrono::{Datelike, NaiveDate};

/// How often a series is observed, inferred from its dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    /// One observation a day.
    Daily,
    /// One observation a week (dates 7 days apart).
    Weekly,
    /// One observation a month (same day of month, or `YYYY-MM`).
    Monthly,
}

impl Frequency {
    /// Observations in one seasonal cycle (a year, or a week for daily data).
    pub fn period(self) -> usize {
        match self {
            Frequency::Daily => 7,
            Frequency::Weekly => 52,
            Frequency::Monthly => 12,
        }
    }

    /// Position of `date` within the seasonal cycle, 1-based (month of year, ISO week, day of week).
    pub fn season_position(self, date: NaiveDate) -> f64 {
        match self {
            Frequency::Daily => f64::from(date.weekday().number_from_monday()),
            Frequency::Weekly => f64::from(date.iso_week().week().min(52)),
            Frequency::Monthly => f64::from(date.month()),
        }
    }

    /// Whole steps of this frequency from `a` to `b` (positive when `b` is later).
    pub fn steps_between(self, a: NaiveDate, b: NaiveDate) -> i64 {
        match self {
            Frequency::Daily => (b - a).num_days(),
            Frequency::Weekly => (b - a).num_days() / 7,
            Frequency::Monthly => month_index(b) - month_index(a),
        }
    }
}

impl fmt::Display for Frequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
        })
    }
}

fn month_index(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 12 + i64::from(d.month0())
}

/// A stretch of a series with no observations.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Gap {
    /// Last observed date before the gap.
    pub after: NaiveDate,
    /// First observed date after the gap.
    pub before: NaiveDate,
    /// How many observations are missing.
    pub missing: i64,
}

/// What went wrong reading a series; each variant names the source and, where there is one, the line.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be opened or read.
    #[error("{source_name}: cannot read: {message}")]
    Io {
        /// File name or other label of the input.
        source_name: String,
        /// The underlying error.
        message: String,
    },
    /// The CSV itself is malformed (for example a row with the wrong number of fields).
    #[error("{source_name}, line {line}: {message}")]
    Csv {
        /// File name or other label of the input.
        source_name: String,
        /// 1-based line in the file.
        line: u64,
        /// The underlying error.
        message: String,
    },
    /// A requested column is not in the header.
    #[error("{source_name}: no column named {column:?} (columns are: {available})")]
    MissingColumn {
        /// File name or other label of the input.
        source_name: String,
        /// The column asked for.
        column: String,
        /// The header, comma-separated.
        available: String,
    },
    /// A date cell could not be parsed.
    #[error(
        "{source_name}, line {line}, column {column:?}: cannot read {value:?} as a date (use YYYY-MM-DD, YYYY-MM or DD/MM/YYYY)"
    )]
    BadDate {
        /// File name or other label of the input.
        source_name: String,
        /// 1-based line in the file.
        line: u64,
        /// Column name.
        column: String,
        /// The cell as written.
        value: String,
    },
    /// A numeric cell could not be parsed, or breaks a rule (a count that is negative or not whole).
    #[error("{source_name}, line {line}, column {column:?}: cannot read {value:?} as {expected}")]
    BadNumber {
        /// File name or other label of the input.
        source_name: String,
        /// 1-based line in the file.
        line: u64,
        /// Column name.
        column: String,
        /// The cell as written.
        value: String,
        /// What was expected, e.g. "a number" or "a whole, non-negative count".
        expected: &'static str,
    },
    /// The same date appears twice.
    #[error("{source_name}, line {line}: date {date} already appears on line {first_line}")]
    DuplicateDate {
        /// File name or other label of the input.
        source_name: String,
        /// 1-based line of the repeat.
        line: u64,
        /// 1-based line of the first occurrence.
        first_line: u64,
        /// The repeated date.
        date: NaiveDate,
    },
    /// The series has gaps; they are listed rather than filled.
    #[error(
        "{source_name}: the {frequency} series has gaps (fill or explain them; they are never filled silently): {}",
        describe_gaps(gaps)
    )]
    Gaps {
        /// File name or other label of the input.
        source_name: String,
        /// Inferred frequency.
        frequency: Frequency,
        /// Every gap found.
        gaps: Vec<Gap>,
    },
    /// The same column name appears twice in the header, so which one is meant is ambiguous.
    #[error(
        "{source_name}: the column {column:?} appears more than once in the header (columns {first} and {second}); rename or remove one"
    )]
    DuplicateColumn {
        /// File name or other label of the input.
        source_name: String,
        /// The repeated name.
        column: String,
        /// 1-based position of its first appearance.
        first: usize,
        /// 1-based position of its second appearance.
        second: usize,
    },
    /// Nothing at all: not even a header row.
    #[error("{source_name}: the file is empty (no header row)")]
    EmptyFile {
        /// File name or other label of the input.
        source_name: String,
    },
    /// No data rows.
    #[error("{source_name}: no data rows")]
    Empty {
        /// File name or other label of the input.
        source_name: String,
    },
}

fn describe_gaps(gaps: &[Gap]) -> String {
    gaps.iter()
        .map(|g| format!("{} missing between {} and {}", g.missing, g.after, g.before))
        .collect::<Vec<_>>()
        .join("; ")
}

/// How a value column must look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Any finite number.
    Number,
    /// A whole, non-negative count.
    Count,
    /// A strictly positive number (an exposure such as population, whose log is taken).
    Positive,
}

/// A dated series read from CSV, sorted by date, with one vector per requested value column.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Observation dates, ascending and unique.
    pub dates: Vec<NaiveDate>,
    /// One vector per requested value column, in the order asked for, aligned with `dates`.
    pub columns: Vec<Vec<f64>>,
    /// 1-based file line of each observation (after sorting), for error messages downstream.
    pub lines: Vec<u64>,
    /// Frequency inferred from the dates.
    pub frequency: Frequency,
}

/// Parses a date written as `YYYY-MM-DD`, `YYYY-MM` (first of the month), `YYYY/MM/DD` or `DD/MM/YYYY`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let s = s.split(['T', ' ']).next().unwrap_or(s);
    for fmt in ["%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return Some(d);
        }
    }
    NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").ok()
}

/// Parses a finite number; an empty cell is not a number.
pub fn parse_number(s: &str) -> Option<f64> {
    let v: f64 = s.trim().parse().ok()?;
    v.is_finite().then_some(v)
}

/// Infers the frequency of ascending dates: monthly when every date shares a day of month, weekly when
/// every step is a multiple of 7 days, daily otherwise.
pub fn infer_frequency(dates: &[NaiveDate]) -> Frequency {
    if dates.len() < 2 {
        return Frequency::Monthly;
    }
    let day = dates[0].day();
    if dates.iter().all(|d| d.day() == day)
        && dates
            .windows(2)
            .all(|w| month_index(w[1]) > month_index(w[0]))
    {
        return Frequency::Monthly;
    }
    if dates.windows(2).all(|w| (w[1] - w[0]).num_days() % 7 == 0) {
        return Frequency::Weekly;
    }
    Frequency::Daily
}

/// Lists the gaps in ascending, unique dates at the given frequency.
pub fn find_gaps(dates: &[NaiveDate], frequency: Frequency) -> Vec<Gap> {
    dates
        .windows(2)
        .filter_map(|w| {
            let steps = frequency.steps_between(w[0], w[1]);
            (steps > 1).then(|| Gap {
                after: w[0],
                before: w[1],
                missing: steps - 1,
            })
        })
        .collect()
}

/// Reads a dated series from a CSV file: see [`parse_series`].
pub fn read_series(
    path: &Path,
    date_column: &str,
    value_columns: &[(&str, ValueKind)],
) -> Result<Series, InputError> {
    let source_name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| InputError::Io {
        source_name: source_name.clone(),
        message: e.to_string(),
    })?;
    parse_series(file, &source_name, date_column, value_columns)
}

/// Finds `name` in a CSV header, or explains which columns exist; a name that appears twice is an
/// error rather than a silent choice of the first.
pub fn column_index(
    headers: &csv::StringRecord,
    name: &str,
    source_name: &str,
) -> Result<usize, InputError> {
    let mut found = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| h.trim() == name)
        .map(|(i, _)| i);
    let first = found.next().ok_or_else(|| InputError::MissingColumn {
        source_name: source_name.to_string(),
        column: name.to_string(),
        available: headers.iter().collect::<Vec<_>>().join(", "),
    })?;
    if let Some(second) = found.next() {
        return Err(InputError::DuplicateColumn {
            source_name: source_name.to_string(),
            column: name.to_string(),
            first: first + 1,
            second: second + 1,
        });
    }
    Ok(first)
}

/// A csv error as a plain sentence, without the csv crate's own record and line numbering (the
/// caller reports the line, corrected by [`line_of`]); the words match `concordat link`'s.
pub fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("the row has {len} fields but the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => {
            "the text is not valid UTF-8 (save the file as UTF-8)".to_string()
        }
        csv::ErrorKind::Io(err) => format!("cannot read: {err}"),
        _ => "malformed CSV".to_string(),
    }
}

/// The error for a csv failure at a line: a plain message with one line number.
pub fn csv_input_error(e: &csv::Error, source_name: &str, fix: u64) -> InputError {
    InputError::Csv {
        source_name: source_name.to_string(),
        line: line_of(e.position(), fix),
        message: csv_message(e),
    }
}

/// Whether a header row is missing altogether (an empty file).
pub fn header_is_empty(headers: &csv::StringRecord) -> bool {
    headers.is_empty() || (headers.len() == 1 && headers[0].trim().is_empty())
}

/// A CSV reader over the whole input, and the correction to add to the csv crate's line numbers.
///
/// The csv crate starts a record after a CRLF at the LF, so it numbers every record of a Windows file
/// one line early; reports to users must name the line their editor shows.
pub fn csv_reader(
    mut reader: impl std::io::Read,
    flexible: bool,
) -> std::io::Result<(csv::Reader<std::io::Cursor<Vec<u8>>>, u64)> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    let crlf = bytes
        .iter()
        .position(|&b| b == b'\n')
        .is_some_and(|i| i > 0 && bytes[i - 1] == b'\r');
    let rdr = csv::ReaderBuilder::new()
        .flexible(flexible)
        .from_reader(std::io::Cursor::new(bytes));
    Ok((rdr, u64::from(crlf)))
}

/// The 1-based line of a csv position, corrected by the offset from [`csv_reader`].
pub fn line_of(position: Option<&csv::Position>, offset: u64) -> u64 {
    position.map_or(0, |p| p.line() + offset)
}

/// Reads a header line and data rows; rows are sorted by date, duplicate dates and gaps are errors.
pub fn parse_series(
    reader: impl std::io::Read,
    source_name: &str,
    date_column: &str,
    value_columns: &[(&str, ValueKind)],
) -> Result<Series, InputError> {
    let (mut rdr, fix) = csv_reader(reader, false).map_err(|e| InputError::Io {
        source_name: source_name.to_string(),
        message: e.to_string(),
    })?;
    let csv_err = |e: csv::Error| csv_input_error(&e, source_name, fix);
    let headers = rdr.headers().map_err(csv_err)?.clone();
    if header_is_empty(&headers) {
        return Err(InputError::EmptyFile {
            source_name: source_name.to_string(),
        });
    }
    let date_idx = column_index(&headers, date_column, source_name)?;
    let value_idx = value_columns
        .iter()
        .map(|(name, _)| column_index(&headers, name, source_name))
        .collect::<Result<Vec<_>, _>>()?;

    let mut rows: Vec<(NaiveDate, u64, Vec<f64>)> = Vec::new();
    for record in rdr.records() {
        let record = record.map_err(csv_err)?;
        let line = line_of(record.position(), fix);
        let cell = |i: usize| record.get(i).unwrap_or("");
        let raw_date = cell(date_idx);
        let date = parse_date(raw_date).ok_or_else(|| InputError::BadDate {
            source_name: source_name.to_string(),
            line,
            column: date_column.to_string(),
            value: raw_date.to_string(),
        })?;
        let mut values = Vec::with_capacity(value_idx.len());
        for (&idx, &(name, kind)) in value_idx.iter().zip(value_columns) {
            let raw = cell(idx);
            let bad = |expected| InputError::BadNumber {
                source_name: source_name.to_string(),
                line,
                column: name.to_string(),
                value: raw.to_string(),
                expected,
            };
            let v = parse_number(raw).ok_or_else(|| bad("a number"))?;
            match kind {
                ValueKind::Number => {}
                ValueKind::Count if v < 0.0 || v.fract() != 0.0 => {
                    return Err(bad("a whole, non-negative count"));
                }
                ValueKind::Count => {}
                ValueKind::Positive if v <= 0.0 => return Err(bad("a positive number")),
                ValueKind::Positive => {}
            }
            values.push(v);
        }
        rows.push((date, line, values));
    }
    if rows.is_empty() {
        return Err(InputError::Empty {
            source_name: source_name.to_string(),
        });
    }
    // A stable sort keeps file order among equal dates, so the duplicate reported is the later line.
    rows.sort_by_key(|r| r.0);
    for w in rows.windows(2) {
        if w[0].0 == w[1].0 {
            let (first, second) = if w[0].1 < w[1].1 {
                (&w[0], &w[1])
            } else {
                (&w[1], &w[0])
            };
            return Err(InputError::DuplicateDate {
                source_name: source_name.to_string(),
                line: second.1,
                first_line: first.1,
                date: w[0].0,
            });
        }
    }
    let dates: Vec<NaiveDate> = rows.iter().map(|r| r.0).collect();
    let frequency = infer_frequency(&dates);
    let gaps = find_gaps(&dates, frequency);
    if !gaps.is_empty() {
        return Err(InputError::Gaps {
            source_name: source_name.to_string(),
            frequency,
            gaps,
        });
    }
    let mut columns = vec![Vec::with_capacity(rows.len()); value_columns.len()];
    for (_, _, values) in &rows {
        for (col, v) in columns.iter_mut().zip(values) {
            col.push(*v);
        }
    }
    Ok(Series {
        dates,
        columns,
        lines: rows.iter().map(|r| r.1).collect(),
        frequency,
    })
}

/// A date as a chart or table label: `YYYY-MM` for monthly series, `YYYY-MM-DD` otherwise.
pub fn date_label(date: NaiveDate, frequency: Frequency) -> String {
    match frequency {
        Frequency::Monthly => date.format("%Y-%m").to_string(),
        _ => date.to_string(),
    }
}

/// Output format shared by the CLI commands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text for people.
    #[default]
    Table,
    /// JSON for programs.
    Json,
    /// CSV for spreadsheets.
    Csv,
}

/// Writes `text` to `path`, naming the path in the error.
pub fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_in_the_accepted_forms() {
        assert_eq!(parse_date("2024-03-05"), Some(d(2024, 3, 5)));
        assert_eq!(parse_date("2024-03"), Some(d(2024, 3, 1)));
        assert_eq!(parse_date("05/03/2024"), Some(d(2024, 3, 5)));
        assert_eq!(parse_date("2024-03-05T10:00:00"), Some(d(2024, 3, 5)));
        assert_eq!(parse_date("March 2024"), None);
        assert_eq!(parse_date(""), None);
    }

    fn parse(text: &[u8]) -> Result<Series, InputError> {
        parse_series(
            text,
            "in.csv",
            "date",
            &[("value", ValueKind::Number), ("count", ValueKind::Count)],
        )
    }

    #[test]
    fn csv_errors_are_plain_with_one_line_number() {
        let e = parse(b"date,value,count\r\n2024-01-01,1,2\r\n2024-02-01,1\r\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "in.csv, line 3: the row has 2 fields but the header has 3"
        );
        let e = parse(b"date,value,count\n2024-01-01,1,\xff\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "in.csv, line 2: the text is not valid UTF-8 (save the file as UTF-8)"
        );
    }

    #[test]
    fn an_empty_file_says_it_is_empty() {
        let e = parse(b"").unwrap_err().to_string();
        assert_eq!(e, "in.csv: the file is empty (no header row)");
        let e = parse(b"date,value,count\n").unwrap_err().to_string();
        assert_eq!(e, "in.csv: no data rows");
    }

    #[test]
    fn a_repeated_value_column_is_an_error_naming_it() {
        let e = parse(b"date,value,value,count\n2024-01-01,,1,2\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "in.csv: the column \"value\" appears more than once in the header (columns 2 and 3); rename or remove one"
        );
    }

    #[test]
    fn frequency_inference() {
        assert_eq!(
            infer_frequency(&[d(2024, 1, 1), d(2024, 2, 1), d(2024, 4, 1)]),
            Frequency::Monthly
        );
        assert_eq!(
            infer_frequency(&[d(2024, 1, 1), d(2024, 1, 8), d(2024, 1, 22)]),
            Frequency::Weekly
        );
        assert_eq!(
            infer_frequency(&[d(2024, 1, 1), d(2024, 1, 2), d(2024, 1, 4)]),
            Frequency::Daily
        );
    }
}
