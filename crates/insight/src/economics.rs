//! The economic case: a unit-cost table (editable as CSV), uprating by a price index, and costs avoided
//! from an interrupted time series or before/after result, split by who bears them.
//!
//! Every figure carries its source and price year, and every output prints them beside it.
//! The seeded figures come from the project's domain brief (`docs/insight.md` lists them); the brief
//! marks some sources as weak, and the software does not invent a price index: supply your own.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::{Deserialize, Serialize};

use crate::input::Format;

/// Who bears a cost: the "wider public purse" view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bearer {
    /// Police force.
    Police,
    /// Ambulance service.
    Ambulance,
    /// Acute hospital trust (A&E, emergency department).
    AcuteTrust,
    /// Mental health trust.
    MentalHealthTrust,
    /// Local authority (AMHPs, social care, housing).
    LocalAuthority,
    /// Anyone else (say who in the source).
    Other,
}

impl Bearer {
    /// Words for tables.
    pub fn label(self) -> &'static str {
        match self {
            Bearer::Police => "police",
            Bearer::Ambulance => "ambulance",
            Bearer::AcuteTrust => "acute trust",
            Bearer::MentalHealthTrust => "mental health trust",
            Bearer::LocalAuthority => "local authority",
            Bearer::Other => "other",
        }
    }

    fn parse(s: &str) -> Option<Bearer> {
        let s = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Some(match s.as_str() {
            "police" => Bearer::Police,
            "ambulance" => Bearer::Ambulance,
            "acute_trust" | "acute" => Bearer::AcuteTrust,
            "mental_health_trust" | "mental_health" => Bearer::MentalHealthTrust,
            "local_authority" | "council" => Bearer::LocalAuthority,
            "other" => Bearer::Other,
            _ => return None,
        })
    }
}

/// Price year written where the source gives none: such costs cannot be uprated until someone checks.
pub const UNKNOWN_YEAR: &str = "unknown";

/// One row of the unit-cost table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitCost {
    /// What is costed, e.g. "A&E attendance".
    pub item: String,
    /// Cost in pounds sterling at `price_year` prices.
    pub cost: f64,
    /// Financial year of the prices, e.g. "2018/19", or [`UNKNOWN_YEAR`].
    pub price_year: String,
    /// Where the figure comes from.
    pub source: String,
    /// Who bears the cost.
    pub bearer: Bearer,
}

/// The unit costs given in the project's domain brief, with their sources as given there.
///
/// The mental health bed day is a range in the brief (£404–£429); the lower end is used so the case is
/// not overstated. Heslin et al. give per-person totals without a price year in the brief.
pub fn seed_table() -> Vec<UnitCost> {
    let row = |item: &str, cost: f64, year: &str, source: &str, bearer: Bearer| UnitCost {
        item: item.to_string(),
        cost,
        price_year: year.to_string(),
        source: source.to_string(),
        bearer,
    };
    let refcosts = "NHS reference costs c. 2018/19";
    let ng94 = "NHS Reference Costs 2013/14, as used in NICE NG94 chapter 41";
    vec![
        row("999 call", 7.33, "2018/19", refcosts, Bearer::Ambulance),
        row(
            "ambulance see and treat",
            209.38,
            "2018/19",
            refcosts,
            Bearer::Ambulance,
        ),
        row(
            "ambulance see, treat and convey",
            257.34,
            "2018/19",
            refcosts,
            Bearer::Ambulance,
        ),
        row(
            "A&E attendance",
            135.0,
            "2018/19",
            refcosts,
            Bearer::AcuteTrust,
        ),
        row(
            "ED attendance, admitted",
            138.0,
            "2013/14",
            ng94,
            Bearer::AcuteTrust,
        ),
        row(
            "ED attendance, not admitted",
            114.0,
            "2013/14",
            ng94,
            Bearer::AcuteTrust,
        ),
        row(
            "adult acute mental health bed day",
            404.0,
            "2016/17",
            "trust FOI answers c. 2016/17 (weak source; range £404-£429, lower end used)",
            Bearer::MentalHealthTrust,
        ),
        row(
            "street triage, per person",
            1043.0,
            UNKNOWN_YEAR,
            "Heslin et al. 2016, BMJ Open (price year to be checked)",
            Bearer::MentalHealthTrust,
        ),
        row(
            "usual care, per person (street triage comparison)",
            1077.0,
            UNKNOWN_YEAR,
            "Heslin et al. 2016, BMJ Open (price year to be checked)",
            Bearer::Other,
        ),
    ]
}

/// Items the domain brief names but has no sourced figure for yet.
pub const NOT_YET_SOURCED: [&str; 4] = [
    "police officer hour",
    "s136 episode",
    "crisis house night",
    "street triage contact",
];

/// Errors reading tables or combining them.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EconomicsError {
    /// A malformed row or cell, with where it is.
    #[error("{source_name}, line {line}: {message}")]
    Row {
        /// File name or label.
        source_name: String,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A file-level problem.
    #[error("{0}")]
    File(String),
    /// An item asked for is not in the table.
    #[error("no unit cost for {item:?}; the table has: {available}")]
    UnknownItem {
        /// The item asked for.
        item: String,
        /// Items in the table.
        available: String,
    },
    /// A cost cannot be uprated.
    #[error("cannot uprate {item:?} from price year {from:?} to {to:?}: {why}")]
    Uprate {
        /// The item.
        item: String,
        /// Its price year.
        from: String,
        /// The year asked for.
        to: String,
        /// Why not.
        why: String,
    },
}

fn header_index(
    h: &csv::StringRecord,
    name: &str,
    source_name: &str,
) -> Result<usize, EconomicsError> {
    h.iter()
        .position(|c| c.trim().eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            EconomicsError::File(format!(
                "{source_name}: no column {name:?} (columns are: {})",
                h.iter().collect::<Vec<_>>().join(", ")
            ))
        })
}

/// Reads a unit-cost table: columns `item,cost,price_year,source,bearer` (any order, header required).
pub fn parse_costs(
    reader: impl std::io::Read,
    source_name: &str,
) -> Result<Vec<UnitCost>, EconomicsError> {
    let (mut rdr, fix) = crate::input::csv_reader(reader, false)
        .map_err(|e| EconomicsError::File(format!("{source_name}: cannot read: {e}")))?;
    let row_err = |line: u64, message: String| EconomicsError::Row {
        source_name: source_name.into(),
        line,
        message,
    };
    let h = rdr
        .headers()
        .map_err(|e| EconomicsError::File(format!("{source_name}: {e}")))?
        .clone();
    let idx: Vec<usize> = ["item", "cost", "price_year", "source", "bearer"]
        .iter()
        .map(|n| header_index(&h, n, source_name))
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            row_err(
                crate::input::line_of(e.position(), fix),
                crate::input::csv_message(&e),
            )
        })?;
        let line = crate::input::line_of(rec.position(), fix);
        let cell = |k: usize| rec.get(idx[k]).unwrap_or("").trim().to_string();
        let item = cell(0);
        if item.is_empty() {
            return Err(row_err(line, "empty item".into()));
        }
        let raw_cost = cell(1);
        let cost: f64 = raw_cost
            .trim_start_matches('£')
            .replace(',', "")
            .parse()
            .ok()
            .filter(|c: &f64| c.is_finite() && *c >= 0.0)
            .ok_or_else(|| {
                row_err(
                    line,
                    format!("column \"cost\": {raw_cost:?} is not a cost in pounds"),
                )
            })?;
        let price_year = cell(2);
        if price_year.is_empty() {
            return Err(row_err(
                line,
                format!("column \"price_year\": empty (write {UNKNOWN_YEAR:?} if not known)"),
            ));
        }
        let source = cell(3);
        if source.is_empty() {
            return Err(row_err(
                line,
                "column \"source\": every cost needs a source".into(),
            ));
        }
        let raw_bearer = cell(4);
        let bearer = Bearer::parse(&raw_bearer).ok_or_else(|| {
            row_err(
                line,
                format!(
                    "column \"bearer\": {raw_bearer:?} is not one of police, ambulance, acute_trust, mental_health_trust, local_authority, other"
                ),
            )
        })?;
        out.push(UnitCost {
            item,
            cost,
            price_year,
            source,
            bearer,
        });
    }
    Ok(out)
}

/// Writes a unit-cost table as CSV (the format [`parse_costs`] reads).
pub fn costs_to_csv(costs: &[UnitCost]) -> String {
    let header: Vec<String> = ["item", "cost", "price_year", "source", "bearer"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let rows: Vec<Vec<String>> = costs
        .iter()
        .map(|c| {
            let bearer = serde_json::to_value(c.bearer)
                .ok()
                .and_then(|v| v.as_str().map(String::from));
            vec![
                c.item.clone(),
                format!("{}", c.cost),
                c.price_year.clone(),
                c.source.clone(),
                bearer.unwrap_or_default(),
            ]
        })
        .collect();
    crate::chart::csv_table(&header, &rows)
}

/// A price index by price year (e.g. the PSSRU NHS cost inflation index), with its source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriceIndex {
    /// Index value per price year.
    pub values: BTreeMap<String, f64>,
    /// Where the index comes from.
    pub source: String,
}

/// Reads a price index: columns `price_year,index` and optionally `source` (the first non-empty is used).
pub fn parse_index(
    reader: impl std::io::Read,
    source_name: &str,
) -> Result<PriceIndex, EconomicsError> {
    // Flexible: the source is usually written once, on the first row.
    let (mut rdr, fix) = crate::input::csv_reader(reader, true)
        .map_err(|e| EconomicsError::File(format!("{source_name}: cannot read: {e}")))?;
    let h = rdr
        .headers()
        .map_err(|e| EconomicsError::File(format!("{source_name}: {e}")))?
        .clone();
    let year_i = header_index(&h, "price_year", source_name)?;
    let index_i = header_index(&h, "index", source_name)?;
    let source_i = h
        .iter()
        .position(|c| c.trim().eq_ignore_ascii_case("source"));
    let mut values = BTreeMap::new();
    let mut source = String::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            EconomicsError::File(format!(
                "{source_name}, line {}: {}",
                crate::input::line_of(e.position(), fix),
                crate::input::csv_message(&e)
            ))
        })?;
        let line = crate::input::line_of(rec.position(), fix);
        let year = rec.get(year_i).unwrap_or("").trim().to_string();
        let raw = rec.get(index_i).unwrap_or("").trim();
        let v: f64 = raw
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v > 0.0)
            .ok_or_else(|| EconomicsError::Row {
                source_name: source_name.into(),
                line,
                message: format!("column \"index\": {raw:?} is not a positive number"),
            })?;
        if values.insert(year.clone(), v).is_some() {
            return Err(EconomicsError::Row {
                source_name: source_name.into(),
                line,
                message: format!("price year {year:?} appears twice"),
            });
        }
        if source.is_empty()
            && let Some(s) = source_i.and_then(|i| rec.get(i))
        {
            source = s.trim().to_string();
        }
    }
    if source.is_empty() {
        source = format!("index file {source_name} (no source given)");
    }
    Ok(PriceIndex { values, source })
}

/// Uprates every cost to `to_year` prices: cost × index(to) / index(from); the source notes the uprating.
/// Costs already at `to_year` are unchanged; a missing or unknown year is an error naming the item.
pub fn uprate(
    costs: &[UnitCost],
    index: &PriceIndex,
    to_year: &str,
) -> Result<Vec<UnitCost>, EconomicsError> {
    let err = |c: &UnitCost, why: String| EconomicsError::Uprate {
        item: c.item.clone(),
        from: c.price_year.clone(),
        to: to_year.to_string(),
        why,
    };
    let to = *index
        .values
        .get(to_year)
        .ok_or_else(|| EconomicsError::File(format!("the price index has no year {to_year:?}")))?;
    costs
        .iter()
        .map(|c| {
            if c.price_year == to_year {
                return Ok(c.clone());
            }
            if c.price_year == UNKNOWN_YEAR {
                return Err(err(
                    c,
                    "its price year is not known: check the source and edit the table".into(),
                ));
            }
            let from = *index
                .values
                .get(&c.price_year)
                .ok_or_else(|| err(c, "that year is not in the index".into()))?;
            let factor = to / from;
            Ok(UnitCost {
                item: c.item.clone(),
                cost: c.cost * factor,
                price_year: to_year.to_string(),
                source: format!(
                    "{} (£{:.2} at {} prices, uprated ×{factor:.4} by {})",
                    c.source, c.cost, c.price_year, index.source
                ),
                bearer: c.bearer,
            })
        })
        .collect()
}

/// Events avoided for one item: a point estimate and, where known, an interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventsAvoided {
    /// Item in the unit-cost table.
    pub item: String,
    /// Estimated events avoided (negative: extra events).
    pub estimate: f64,
    /// Interval for the estimate, if known (e.g. from an ITS fit).
    pub interval: Option<(f64, f64)>,
    /// Where the estimate comes from, e.g. "ITS, quasi-Poisson, 2 harmonics".
    pub basis: String,
}

/// One line of the costs-avoided table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostLine {
    /// The events.
    pub events: EventsAvoided,
    /// The unit cost applied, with its source and price year.
    pub unit_cost: UnitCost,
    /// Events × unit cost.
    pub total: f64,
    /// Interval of the total, when the events have one.
    pub interval: Option<(f64, f64)>,
}

/// Costs avoided by one bearer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BearerTotal {
    /// Who bears them.
    pub bearer: Bearer,
    /// Sum of their lines.
    pub total: f64,
}

/// Costs avoided, by line and by bearer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostsAvoided {
    /// One line per item.
    pub lines: Vec<CostLine>,
    /// Totals by bearer, in bearer order.
    pub by_bearer: Vec<BearerTotal>,
    /// Sum over all lines.
    pub total: f64,
    /// Price years in use (more than one means the total mixes price bases).
    pub price_years: Vec<String>,
    /// Things a reader must know.
    pub warnings: Vec<String>,
}

/// Prices each item's avoided events with the table and sums by bearer.
pub fn costs_avoided(
    costs: &[UnitCost],
    events: &[EventsAvoided],
) -> Result<CostsAvoided, EconomicsError> {
    let mut lines = Vec::with_capacity(events.len());
    for e in events {
        let unit = costs
            .iter()
            .find(|c| c.item.eq_ignore_ascii_case(e.item.trim()))
            .ok_or_else(|| EconomicsError::UnknownItem {
                item: e.item.clone(),
                available: costs
                    .iter()
                    .map(|c| c.item.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            })?;
        lines.push(CostLine {
            events: e.clone(),
            unit_cost: unit.clone(),
            total: e.estimate * unit.cost,
            interval: e.interval.map(|(lo, hi)| (lo * unit.cost, hi * unit.cost)),
        });
    }
    let mut by: BTreeMap<Bearer, f64> = BTreeMap::new();
    for l in &lines {
        *by.entry(l.unit_cost.bearer).or_default() += l.total;
    }
    let mut price_years: Vec<String> = lines
        .iter()
        .map(|l| l.unit_cost.price_year.clone())
        .collect();
    price_years.sort();
    price_years.dedup();
    let mut warnings = Vec::new();
    if price_years.len() > 1 {
        warnings.push(format!(
            "the total adds costs at different price years ({}): uprate them to one year with --index and --to-year",
            price_years.join(", ")
        ));
    }
    if price_years.iter().any(|y| y == UNKNOWN_YEAR) {
        warnings.push("some unit costs have no known price year".into());
    }
    if lines.iter().any(|l| l.interval.is_none()) && lines.iter().any(|l| l.interval.is_some()) {
        warnings
            .push("only some lines have intervals, so no interval is given for the totals".into());
    }
    Ok(CostsAvoided {
        total: lines.iter().map(|l| l.total).sum(),
        by_bearer: by
            .into_iter()
            .map(|(bearer, total)| BearerTotal { bearer, total })
            .collect(),
        lines,
        price_years,
        warnings,
    })
}

/// Formats pounds with thousands separators, e.g. £1,234,567.
pub fn pounds(v: f64) -> String {
    let neg = v < 0.0;
    let whole = v.abs().round() as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{}£{out}", if neg { "-" } else { "" })
}

/// Arguments of `concordat insight economics`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// `concordat insight economics …` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print the unit-cost table (the built-in one, or --costs), optionally uprated.
    Costs(TableArgs),
    /// Write the built-in unit-cost table as CSV, to edit and pass back with --costs.
    Seed {
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Cost the events avoided, split by who bears them.
    Avoided(AvoidedArgs),
}

/// Where the unit costs come from and how to uprate them.
#[derive(Debug, clap::Args)]
pub struct TableArgs {
    /// Unit-cost CSV (item,cost,price_year,source,bearer); the built-in table when absent.
    #[arg(long)]
    pub costs: Option<PathBuf>,
    /// Price index CSV (`price_year,index[,source]`) for uprating.
    #[arg(long, requires = "to_year")]
    pub index: Option<PathBuf>,
    /// Price year to uprate to, e.g. 2024/25.
    #[arg(long, requires = "index")]
    pub to_year: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Arguments of `economics avoided`.
#[derive(Debug, clap::Args)]
pub struct AvoidedArgs {
    /// Unit costs and uprating.
    #[command(flatten)]
    pub table: TableArgs,
    /// Events avoided as ITEM=N or ITEM=N,LOW,HIGH (repeatable), e.g. "A&E attendance=120".
    #[arg(long = "events", value_name = "ITEM=N")]
    pub events: Vec<String>,
    /// Before/after counts as ITEM=BEFORE,AFTER (avoided = before − after; repeatable).
    #[arg(long = "before-after", value_name = "ITEM=BEFORE,AFTER")]
    pub before_after: Vec<String>,
    /// JSON written by `concordat insight its --format json`: its events averted (and interval) are used.
    #[arg(long, requires = "its_item")]
    pub its_json: Option<PathBuf>,
    /// Unit-cost item the ITS counts are (e.g. "ambulance see, treat and convey").
    #[arg(long)]
    pub its_item: Option<String>,
}

/// Runs the command; the exit code is non-zero on failure.
pub fn run(args: Args) -> ExitCode {
    let result = match &args.command {
        Command::Costs(t) => load_table(t).map(|costs| render_table(&costs, t.format)),
        Command::Seed { out: Some(path) } => {
            crate::input::write_file(path, &costs_to_csv(&seed_table())).map(|()| {
                format!(
                    "wrote {} unit costs to {}\n",
                    seed_table().len(),
                    path.display()
                )
            })
        }
        Command::Seed { out: None } => Ok(costs_to_csv(&seed_table())),
        Command::Avoided(a) => run_avoided(a),
    };
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("concordat insight economics: {e}");
            ExitCode::FAILURE
        }
    }
}

fn open(path: &Path) -> Result<std::fs::File, String> {
    std::fs::File::open(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))
}

fn load_table(t: &TableArgs) -> Result<Vec<UnitCost>, String> {
    let mut costs = match &t.costs {
        Some(p) => parse_costs(open(p)?, &p.display().to_string()).map_err(|e| e.to_string())?,
        None => seed_table(),
    };
    if let (Some(ip), Some(year)) = (&t.index, &t.to_year) {
        let index = parse_index(open(ip)?, &ip.display().to_string()).map_err(|e| e.to_string())?;
        costs = uprate(&costs, &index, year).map_err(|e| e.to_string())?;
    }
    Ok(costs)
}

fn render_table(costs: &[UnitCost], format: Format) -> String {
    match format {
        Format::Csv => costs_to_csv(costs),
        Format::Json => serde_json::to_string_pretty(costs)
            .map(|s| s + "\n")
            .unwrap_or_default(),
        Format::Table => {
            let header: Vec<String> = ["item", "cost", "price year", "who bears it", "source"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            let rows: Vec<Vec<String>> = costs
                .iter()
                .map(|c| {
                    vec![
                        c.item.clone(),
                        format!("£{:.2}", c.cost),
                        c.price_year.clone(),
                        c.bearer.label().into(),
                        c.source.clone(),
                    ]
                })
                .collect();
            let mut s = crate::chart::text_table(&header, &rows);
            s.push_str(&format!(
                "Not yet sourced (add them with a source): {}\n",
                NOT_YET_SOURCED.join(", ")
            ));
            s
        }
    }
}

fn parse_numbers(raw: &str, what: &str) -> Result<Vec<f64>, String> {
    raw.split(',')
        .map(|p| p.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| format!("{what}: {raw:?} is not a list of numbers"))
}

/// Parses the --events, --before-after and --its-json inputs.
fn collect_events(a: &AvoidedArgs) -> Result<Vec<EventsAvoided>, String> {
    let mut out = Vec::new();
    for raw in &a.events {
        let (item, nums) = raw
            .rsplit_once('=')
            .ok_or_else(|| format!("--events {raw:?}: expected ITEM=N"))?;
        let v = parse_numbers(nums, &format!("--events {item}"))?;
        let interval = match v.as_slice() {
            [_] => None,
            [_, lo, hi] => Some((*lo, *hi)),
            _ => return Err(format!("--events {raw:?}: expected N or N,LOW,HIGH")),
        };
        out.push(EventsAvoided {
            item: item.trim().into(),
            estimate: v[0],
            interval,
            basis: "given".into(),
        });
    }
    for raw in &a.before_after {
        let (item, nums) = raw
            .rsplit_once('=')
            .ok_or_else(|| format!("--before-after {raw:?}: expected ITEM=BEFORE,AFTER"))?;
        match parse_numbers(nums, &format!("--before-after {item}"))?.as_slice() {
            [before, after] => out.push(EventsAvoided {
                item: item.trim().into(),
                estimate: before - after,
                interval: None,
                basis: format!("before/after: {before} before, {after} after (no allowance for trend or chance)"),
            }),
            _ => return Err(format!("--before-after {raw:?}: expected ITEM=BEFORE,AFTER")),
        }
    }
    if let (Some(path), Some(item)) = (&a.its_json, &a.its_item) {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
        let ea = &v["events_averted"];
        let get = |k: &str| {
            ea[k].as_f64().ok_or_else(|| {
                format!("{}: no events_averted.{k} (write it with `concordat insight its --format json`)", path.display())
            })
        };
        let family = v["family"].as_str().unwrap_or("?");
        out.push(EventsAvoided {
            item: item.clone(),
            estimate: get("estimate")?,
            interval: Some((get("lower")?, get("upper")?)),
            basis: format!("interrupted time series ({family}) in {}", path.display()),
        });
    }
    if out.is_empty() {
        return Err("give the events avoided with --events, --before-after or --its-json".into());
    }
    Ok(out)
}

fn run_avoided(a: &AvoidedArgs) -> Result<String, String> {
    let costs = load_table(&a.table)?;
    let events = collect_events(a)?;
    let report = costs_avoided(&costs, &events).map_err(|e| e.to_string())?;
    Ok(match a.table.format {
        Format::Json => serde_json::to_string_pretty(&report).map_err(|e| e.to_string())? + "\n",
        Format::Csv => {
            let header: Vec<String> = [
                "item",
                "events",
                "unit_cost",
                "price_year",
                "source",
                "bearer",
                "total",
                "total_low",
                "total_high",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            let rows: Vec<Vec<String>> = report
                .lines
                .iter()
                .map(|l| {
                    vec![
                        l.unit_cost.item.clone(),
                        format!("{:.1}", l.events.estimate),
                        format!("{:.2}", l.unit_cost.cost),
                        l.unit_cost.price_year.clone(),
                        l.unit_cost.source.clone(),
                        l.unit_cost.bearer.label().into(),
                        format!("{:.0}", l.total),
                        l.interval.map_or(String::new(), |i| format!("{:.0}", i.0)),
                        l.interval.map_or(String::new(), |i| format!("{:.0}", i.1)),
                    ]
                })
                .collect();
            crate::chart::csv_table(&header, &rows)
        }
        Format::Table => render_avoided(&report),
    })
}

/// Plain-text costs-avoided report: every figure with its source and price year.
pub fn render_avoided(r: &CostsAvoided) -> String {
    let header: Vec<String> = [
        "item",
        "events avoided",
        "unit cost",
        "price year",
        "who bears it",
        "costs avoided",
        "source",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows: Vec<Vec<String>> = r
        .lines
        .iter()
        .map(|l| {
            let events = match l.events.interval {
                Some((lo, hi)) => format!("{:.0} ({:.0} to {:.0})", l.events.estimate, lo, hi),
                None => format!("{:.0}", l.events.estimate),
            };
            let total = match l.interval {
                Some((lo, hi)) => format!("{} ({} to {})", pounds(l.total), pounds(lo), pounds(hi)),
                None => pounds(l.total),
            };
            vec![
                l.unit_cost.item.clone(),
                events,
                format!("£{:.2}", l.unit_cost.cost),
                l.unit_cost.price_year.clone(),
                l.unit_cost.bearer.label().into(),
                total,
                l.unit_cost.source.clone(),
            ]
        })
        .collect();
    let mut s = crate::chart::text_table(&header, &rows);
    let years = r.price_years.join(", ");
    s.push_str("\nCosts avoided by who bears them (the wider public purse):\n");
    for b in &r.by_bearer {
        s.push_str(&format!(
            "  {:<20} {} ({} prices)\n",
            b.bearer.label(),
            pounds(b.total),
            years
        ));
    }
    s.push_str(&format!(
        "  {:<20} {} ({} prices)\n",
        "total",
        pounds(r.total),
        years
    ));
    for l in &r.lines {
        s.push_str(&format!(
            "Basis for {}: {}\n",
            l.unit_cost.item, l.events.basis
        ));
    }
    for w in &r.warnings {
        s.push_str(&format!("Warning: {w}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pounds_have_separators() {
        assert_eq!(pounds(1234567.4), "£1,234,567");
        assert_eq!(pounds(-999.6), "-£1,000");
        assert_eq!(pounds(0.0), "£0");
    }
}
