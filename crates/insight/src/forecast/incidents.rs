//! Reading incident records (a time and a location) from CSV, and binning them into hourly counts.
//!
//! Shared by `forecast`, `hotspots` and `rota`: every bad cell is reported with its file, line and
//! column, and nothing is guessed silently.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike};

/// One incident: when, and where (an area name, grid coordinates, or both).
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    /// Local clock time of the incident.
    pub time: NaiveDateTime,
    /// Area label, when the file has an area column.
    pub area: Option<String>,
    /// Grid coordinates (x/y or easting/northing), when the file has them.
    pub xy: Option<(f64, f64)>,
}

/// Which columns hold what. `None` means "use the default name if the file has it".
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Columns {
    /// Column holding the incident's date and time (e.g. `2024-03-01 14:05`, `2024-03-01T14:05:00Z`,
    /// `01/03/2024 14:05`).
    #[arg(long, default_value = "time")]
    pub time_column: String,
    /// Column holding the area label [default: `area` when present].
    #[arg(long)]
    pub area_column: Option<String>,
    /// Column holding the x (or easting) coordinate [default: `x`, else `easting`, when present].
    #[arg(long)]
    pub x_column: Option<String>,
    /// Column holding the y (or northing) coordinate [default: `y`, else `northing`, when present].
    #[arg(long)]
    pub y_column: Option<String>,
}

impl Columns {
    /// The defaults: `time`, and `area`, `x`/`y` or `easting`/`northing` when present.
    pub fn defaults() -> Self {
        Columns {
            time_column: "time".to_string(),
            ..Columns::default()
        }
    }
}

/// Why incidents could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The CSV itself is malformed.
    #[error("{path}: line {line}: {message}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// What the CSV reader said.
        message: String,
    },
    /// A column asked for is not in the header.
    #[error("{path}: no column `{column}` (columns are: {available})")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The missing column.
        column: String,
        /// The header, comma-separated.
        available: String,
    },
    /// A cell could not be parsed.
    #[error("{path}: line {line}, column `{column}`: {message}: {value:?}")]
    BadCell {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// Column name.
        column: String,
        /// The offending text.
        value: String,
        /// What was expected.
        message: String,
    },
    /// The file parsed but is unusable for the command (no rows, no location columns, …).
    #[error("{path}: {message}")]
    Unusable {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// Parses a local date-time in the formats analysts' exports use; offsets are dropped to local
/// clock time because demand follows the clock people live by.
pub fn parse_time(s: &str) -> Option<NaiveDateTime> {
    parse_time_zoned(s).map(|(t, _)| t)
}

/// How a time in a file was written: with a UTC offset (seconds east of UTC; `Z` is 0), or as a bare
/// clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Offset(i32),
    Clock,
}

/// [`parse_time`], also saying how the time was written, so that a reader can warn about files that mix
/// offsets or write summer times in UTC.
pub fn parse_time_zoned(s: &str) -> Option<(NaiveDateTime, Written)> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some((
            t.naive_local(),
            Written::Offset(t.offset().local_minus_utc()),
        ));
    }
    let (s, written) = match s.strip_suffix('Z') {
        Some(rest) => (rest, Written::Offset(0)),
        None => (s, Written::Clock),
    };
    const FORMATS: [&str; 8] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
    ];
    FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| (t, written))
}

/// What the times in a file say about its clock, gathered while reading it: the readers' warnings.
#[derive(Debug, Default)]
struct ClockNotes {
    /// Times written with an offset that is not UK time at that instant: (count, first line).
    not_uk: (usize, u64),
    /// Times written with an offset, and times without one.
    with_offset: usize,
    bare: (usize, u64),
    /// Bare clock times in the hour skipped when the clocks go forward (they never happened in the UK).
    skipped: (usize, u64),
    /// Bare clock times in the hour repeated when the clocks go back (either of two instants).
    repeated: (usize, u64),
}

impl ClockNotes {
    fn note(&mut self, time: NaiveDateTime, written: Written, line: u64) {
        use chrono::offset::LocalResult;
        use chrono::{Offset, TimeZone};
        let bump = |slot: &mut (usize, u64)| {
            if slot.0 == 0 {
                slot.1 = line;
            }
            slot.0 += 1;
        };
        match written {
            Written::Offset(secs) => {
                self.with_offset += 1;
                let utc = time - chrono::Duration::seconds(i64::from(secs));
                let uk = chrono_tz::Europe::London
                    .from_utc_datetime(&utc)
                    .offset()
                    .fix()
                    .local_minus_utc();
                if uk != secs {
                    bump(&mut self.not_uk);
                }
            }
            Written::Clock => {
                bump(&mut self.bare);
                match chrono_tz::Europe::London.from_local_datetime(&time) {
                    LocalResult::None => bump(&mut self.skipped),
                    LocalResult::Ambiguous(..) => bump(&mut self.repeated),
                    LocalResult::Single(_) => {}
                }
            }
        }
    }

    fn warnings(&self, path: &Path) -> Vec<String> {
        let p = path.display();
        let mut out = Vec::new();
        if self.with_offset > 0 && self.bare.0 > 0 {
            out.push(format!(
                "{p}: {} times have a UTC offset and {} do not (the first without one on line {}): they are all binned by the clock time written, so check they use the same clock",
                self.with_offset, self.bare.0, self.bare.1
            ));
        }
        if self.not_uk.0 > 0 {
            out.push(format!(
                "{p}: {} times are written with an offset that is not UK time at that moment (first on line {}), e.g. summer times in UTC: they are binned by the clock time written, an hour away from UK clock time; convert them to UK time",
                self.not_uk.0, self.not_uk.1
            ));
        }
        if self.skipped.0 > 0 {
            out.push(format!(
                "{p}: {} times fall in the hour skipped when the clocks go forward (first on line {}): no such UK time exists; they are binned by the clock hour written",
                self.skipped.0, self.skipped.1
            ));
        }
        if self.repeated.0 > 0 {
            out.push(format!(
                "{p}: {} times fall in the hour repeated when the clocks go back (first on line {}): each could be either of two moments; they are binned once, by the clock hour written",
                self.repeated.0, self.repeated.1
            ));
        }
        out
    }
}

fn parse_coordinate(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Reads incidents from a CSV file with a header row, with warnings about its clock (mixed or non-UK
/// offsets, times in the hours the clocks skip or repeat) for the command to print.
pub fn read_incidents(
    path: &Path,
    columns: &Columns,
) -> Result<(Vec<Incident>, Vec<String>), InputError> {
    let file = std::fs::File::open(path).map_err(|source| InputError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_incidents_warned(file, path, columns)
}

/// Reads incidents from any reader; `path` is used only in error messages.
pub fn read_incidents_from<R: std::io::Read>(
    reader: R,
    path: &Path,
    columns: &Columns,
) -> Result<Vec<Incident>, InputError> {
    read_incidents_warned(reader, path, columns).map(|(incidents, _)| incidents)
}

/// [`read_incidents_from`], with the warnings about the file's clock.
pub fn read_incidents_warned<R: std::io::Read>(
    mut reader: R,
    path: &Path,
    columns: &Columns,
) -> Result<(Vec<Incident>, Vec<String>), InputError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|source| InputError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    // The csv crate numbers records of a CRLF file one line early (see `input::csv_reader`).
    let fix = u64::from(
        bytes
            .iter()
            .position(|&b| b == b'\n')
            .is_some_and(|i| i > 0 && bytes[i - 1] == b'\r'),
    );
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let csv_err = |e: csv::Error| InputError::Csv {
        path: path.to_path_buf(),
        line: crate::input::line_of(e.position(), fix),
        message: crate::input::csv_message(&e),
    };
    let header = rdr.headers().map_err(csv_err)?.clone();
    let find = |name: &str| header.iter().position(|h| h == name);
    let available = header.iter().collect::<Vec<_>>().join(", ");
    let required = |name: &str| {
        find(name).ok_or_else(|| InputError::MissingColumn {
            path: path.to_path_buf(),
            column: name.to_string(),
            available: available.clone(),
        })
    };
    let time_ix = required(&columns.time_column)?;
    let area_ix = match &columns.area_column {
        Some(c) => Some(required(c)?),
        None => find("area"),
    };
    let (x_ix, y_ix) = match (&columns.x_column, &columns.y_column) {
        (Some(x), Some(y)) => (Some(required(x)?), Some(required(y)?)),
        (Some(_), None) | (None, Some(_)) => {
            return Err(InputError::Unusable {
                path: path.to_path_buf(),
                message: "give both --x-column and --y-column, or neither".to_string(),
            });
        }
        (None, None) => match (find("x"), find("y")) {
            (Some(x), Some(y)) => (Some(x), Some(y)),
            _ => (find("easting"), find("northing")),
        },
    };
    let (x_ix, y_ix) = match (x_ix, y_ix) {
        (Some(x), Some(y)) => (Some(x), Some(y)),
        _ => (None, None),
    };
    let mut out = Vec::new();
    let mut clock = ClockNotes::default();
    for record in rdr.records() {
        let record = record.map_err(csv_err)?;
        let line = crate::input::line_of(record.position(), fix);
        let cell = |ix: usize| record.get(ix).unwrap_or("");
        let bad = |ix: usize, message: &str| InputError::BadCell {
            path: path.to_path_buf(),
            line,
            column: header.get(ix).unwrap_or("").to_string(),
            value: cell(ix).to_string(),
            message: message.to_string(),
        };
        let (time, written) = parse_time_zoned(cell(time_ix)).ok_or_else(|| {
            bad(
                time_ix,
                "not a date and time (expected e.g. 2024-03-01 14:05 or 2024-03-01T14:05:00Z)",
            )
        })?;
        clock.note(time, written, line);
        let area = match area_ix {
            Some(ix) if cell(ix).is_empty() => return Err(bad(ix, "empty area")),
            Some(ix) => Some(cell(ix).to_string()),
            None => None,
        };
        let xy = match (x_ix, y_ix) {
            (Some(xi), Some(yi)) => {
                let x = parse_coordinate(cell(xi)).ok_or_else(|| bad(xi, "not a number"))?;
                let y = parse_coordinate(cell(yi)).ok_or_else(|| bad(yi, "not a number"))?;
                Some((x, y))
            }
            _ => None,
        };
        out.push(Incident { time, area, xy });
    }
    if out.is_empty() {
        return Err(InputError::Unusable {
            path: path.to_path_buf(),
            message: "no incidents (the file has a header but no rows)".to_string(),
        });
    }
    Ok((out, clock.warnings(path)))
}

/// Replaces area labels by the cells of a coarse grid over the coordinates (`r02c07`: row 2 from
/// the south, column 7 from the west), for files with coordinates but no area column, or to
/// forecast by place rather than by administrative area. `cells_across` is the number of cells
/// along the longer side of the bounding box.
pub fn grid_areas(
    incidents: &mut [Incident],
    cells_across: usize,
    path: &Path,
) -> Result<(), InputError> {
    let points: Vec<(f64, f64)> = incidents.iter().filter_map(|i| i.xy).collect();
    if points.len() != incidents.len() || cells_across == 0 {
        return Err(InputError::Unusable {
            path: path.to_path_buf(),
            message: "grid areas need coordinates on every row (x/y or easting/northing) and at least one cell across".to_string(),
        });
    }
    let grid = crate::hotspots::Grid::covering(&points, None, cells_across).ok_or_else(|| {
        InputError::Unusable {
            path: path.to_path_buf(),
            message: "cannot lay a grid over these coordinates".to_string(),
        }
    })?;
    for i in incidents.iter_mut() {
        if let Some((x, y)) = i.xy {
            let c = grid.cell_of(x, y);
            i.area = Some(format!("r{:02}c{:02}", c / grid.nx, c % grid.nx));
        }
    }
    Ok(())
}

/// Longest span binned into hours (20 years): beyond it a mistyped year is far more likely than
/// real data, and the hourly table would take gigabytes.
pub const MAX_SPAN_HOURS: i64 = 20 * 8766;

/// Largest area × hour table binned (50 million cells, 400 MB of counts): beyond it the forecast would
/// exhaust memory long before it finished, typically because `--grid-areas` cut the map very finely.
pub const MAX_TABLE_CELLS: usize = 50_000_000;

/// Refuses data whose hourly table (areas × hours) would exceed [`MAX_TABLE_CELLS`], saying what to change.
pub fn check_table_size(incidents: &[Incident], path: &Path) -> Result<(), InputError> {
    let (Some(first), Some(last)) = (
        incidents.iter().map(|i| i.time).min(),
        incidents.iter().map(|i| i.time).max(),
    ) else {
        return Ok(());
    };
    let hours = usize::try_from((last - first).num_hours().max(0)).unwrap_or(usize::MAX) + 48;
    let mut areas: Vec<&str> = incidents
        .iter()
        .map(|i| i.area.as_deref().unwrap_or("all"))
        .collect();
    areas.sort_unstable();
    areas.dedup();
    let cells = areas.len().saturating_mul(hours);
    if cells > MAX_TABLE_CELLS {
        return Err(InputError::Unusable {
            path: path.to_path_buf(),
            message: format!(
                "{} areas over {} hours is {} hourly counts, more than the {} this command keeps in memory: use fewer areas (a smaller --grid-areas) or a shorter stretch of data",
                areas.len(),
                hours,
                cells,
                MAX_TABLE_CELLS
            ),
        });
    }
    Ok(())
}

/// Refuses files whose incidents span more than [`MAX_SPAN_HOURS`], naming the extremes.
pub fn check_span(incidents: &[Incident], path: &Path) -> Result<(), InputError> {
    let (Some(first), Some(last)) = (
        incidents.iter().map(|i| i.time).min(),
        incidents.iter().map(|i| i.time).max(),
    ) else {
        return Ok(());
    };
    if (last - first).num_hours() > MAX_SPAN_HOURS {
        return Err(InputError::Unusable {
            path: path.to_path_buf(),
            message: format!(
                "incidents run from {first} to {last}, more than 20 years: check for a mistyped date"
            ),
        });
    }
    Ok(())
}

/// Hour 0 of the week is Monday 00:00–01:00; hour 167 is Sunday 23:00–24:00.
pub fn hour_of_week(t: NaiveDateTime) -> usize {
    t.weekday().num_days_from_monday() as usize * 24 + t.hour() as usize
}

/// Incident counts per area per hour, on a contiguous hourly axis from midnight of the first
/// incident's day to the end of the last incident's day. Hours with no incident are true zeros.
#[derive(Debug, Clone)]
pub struct HourlyCounts {
    /// Start of hour 0.
    pub start: NaiveDateTime,
    /// Area labels, sorted; a single `all` area when the data has none.
    pub areas: Vec<String>,
    /// `counts[a][t]`: incidents in area `a` during hour `t`.
    pub counts: Vec<Vec<f64>>,
}

impl HourlyCounts {
    /// Bins incidents into hours. Times are local clock times, so a clock-change day simply has its
    /// incidents binned by the clock hour written in the data.
    pub fn from_incidents(incidents: &[Incident]) -> Option<Self> {
        let first = incidents.iter().map(|i| i.time).min()?;
        let last = incidents.iter().map(|i| i.time).max()?;
        let start = first.date().and_hms_opt(0, 0, 0)?;
        let end = last.date().succ_opt()?.and_hms_opt(0, 0, 0)?;
        let span = (end - start).num_hours();
        if span > MAX_SPAN_HOURS + 48 {
            return None;
        }
        let hours = usize::try_from(span).ok()?;
        let mut areas: Vec<String> = incidents
            .iter()
            .map(|i| i.area.clone().unwrap_or_else(|| "all".to_string()))
            .collect();
        areas.sort();
        areas.dedup();
        let mut counts = vec![vec![0.0; hours]; areas.len()];
        for i in incidents {
            let name = i.area.as_deref().unwrap_or("all");
            let a = areas.binary_search_by(|x| x.as_str().cmp(name)).ok()?;
            let t = usize::try_from((i.time - start).num_hours()).ok()?;
            counts[a][t] += 1.0;
        }
        Some(HourlyCounts {
            start,
            areas,
            counts,
        })
    }

    /// Number of hours on the axis.
    pub fn hours(&self) -> usize {
        self.counts.first().map_or(0, Vec::len)
    }

    /// Hour of week of hour index `t`.
    pub fn how(&self, t: usize) -> usize {
        (hour_of_week(self.start) + t) % 168
    }

    /// Start time of hour index `t`.
    pub fn time_of(&self, t: usize) -> NaiveDateTime {
        self.start + chrono::Duration::hours(t as i64)
    }

    /// Dates with no incident at all, in a series busy enough (at least 5 a day on average) that an
    /// empty day more likely means missing data than a quiet day. Reported, never filled.
    pub fn suspicious_empty_days(&self) -> Vec<NaiveDate> {
        let days = self.hours() / 24;
        if days == 0 {
            return Vec::new();
        }
        let total: f64 = self.counts.iter().flatten().sum();
        if total / (days as f64) < 5.0 {
            return Vec::new();
        }
        (0..days)
            .filter(|d| {
                self.counts
                    .iter()
                    .all(|row| row[d * 24..(d + 1) * 24].iter().all(|&c| c == 0.0))
            })
            .map(|d| self.time_of(d * 24).date())
            .collect()
    }

    /// Keeps only the named area (for per-area rotas); `None` if it does not exist.
    pub fn only_area(&self, name: &str) -> Option<Self> {
        let a = self.areas.iter().position(|x| x == name)?;
        Some(HourlyCounts {
            start: self.start,
            areas: vec![name.to_string()],
            counts: vec![self.counts[a].clone()],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<Incident>, InputError> {
        read_incidents_from(text.as_bytes(), Path::new("t.csv"), &Columns::defaults())
    }

    #[test]
    fn reads_times_areas_and_easting_northing() {
        let rows = read("time,area,easting,northing\n2024-03-01 14:05,North,400100,280200\n2024-03-02T01:00:00Z,South,1,2\n")
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].area.as_deref(), Some("North"));
        assert_eq!(rows[0].xy, Some((400100.0, 280200.0)));
        assert_eq!(rows[1].time.hour(), 1);
    }

    #[test]
    fn spreadsheet_exports_with_bom_and_crlf_read_cleanly() {
        let rows = read("\u{feff}time,area\r\n2024-03-01 14:05,North\r\n").unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].area.as_deref(), Some("North"));
        let err = read("time,area\r\n2024-03-01 14:05,A\r\nnot a time,B\r\n").unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[test]
    fn bad_cells_name_line_and_column() {
        let err = read("time,area\n2024-03-01 14:05,A\nyesterday,B\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("line 3") && msg.contains("`time`"), "{msg}");
        let err = read("time,x,y\n2024-03-01 14:05,1,north\n").unwrap_err();
        assert!(err.to_string().contains("column `y`"), "{err}");
        let err = read_incidents_from(
            "when\n2024-03-01 14:05\n".as_bytes(),
            Path::new("t.csv"),
            &Columns::defaults(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("no column `time`"), "{err}");
    }

    #[test]
    fn grid_areas_label_cells_from_the_south_west() {
        let mut rows =
            read("time,x,y\n2024-03-04 00:30,0,0\n2024-03-04 01:30,10,10\n2024-03-04 02:30,9,1\n")
                .unwrap();
        grid_areas(&mut rows, 2, Path::new("t.csv")).unwrap();
        let areas: Vec<_> = rows.iter().map(|r| r.area.clone().unwrap()).collect();
        assert_eq!(areas, vec!["r00c00", "r01c01", "r00c01"]);
        assert!(grid_areas(&mut rows, 0, Path::new("t.csv")).is_err());
        let mut no_xy = read("time\n2024-03-04 00:30\n").unwrap();
        let typo = read("time\n2024-03-04 00:30\n1924-03-04 00:30\n").unwrap();
        assert!(
            check_span(&typo, Path::new("t.csv"))
                .unwrap_err()
                .to_string()
                .contains("1924-03-04")
        );
        assert!(HourlyCounts::from_incidents(&typo).is_none());
        assert!(grid_areas(&mut no_xy, 2, Path::new("t.csv")).is_err());
    }

    #[test]
    fn bins_hours_and_hour_of_week() {
        // 2024-03-04 is a Monday.
        let rows = read("time\n2024-03-04 00:30\n2024-03-04 00:40\n2024-03-10 23:59\n").unwrap();
        let h = HourlyCounts::from_incidents(&rows).unwrap();
        assert_eq!(h.hours(), 7 * 24);
        assert_eq!(h.counts[0][0], 2.0);
        assert_eq!(h.counts[0][167], 1.0);
        assert_eq!(h.how(0), 0);
        assert_eq!(h.how(167), 167);
        assert_eq!(h.areas, vec!["all".to_string()]);
    }
}
