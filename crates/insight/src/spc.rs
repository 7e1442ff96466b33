//! Statistical process control: XmR charts with the NHS England "Making Data Count" (MDC) rules,
//! following NHSRplotthedots v0.2 (`ptd_spc_standard.R`, `ptd_calculate_point_type.R`,
//! `ptd_calculate_assurance_type.R`) and `docs/insight.md`.
//!
//! [`xmr`] is pure: values in, per-point limits, special-cause flags and the summary icons out.
//! [`run`] is the `concordat insight spc` command on a CSV file.

use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use crate::input::{self, Format, ValueKind};

/// Scaling from mean moving range to 3σ process limits (3 / d2, d2 = 1.128), as MDC and R use it.
pub const LIMIT: f64 = 2.66;
/// Moving ranges at or above this multiple of the mean moving range are screened out (R's default).
pub const MR_SCREEN: f64 = 3.267;

/// Which way is better.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Improvement {
    /// Higher values are better.
    #[value(alias = "increase")]
    Up,
    /// Lower values are better.
    #[value(alias = "decrease")]
    Down,
    /// Neither direction is better.
    #[default]
    Neutral,
}

/// Which points count towards the "two of three beyond 2σ" rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum TwoOfThree {
    /// NHSRplotthedots: points beyond the 2σ band but inside the process limits.
    #[default]
    #[value(name = "r")]
    InsideLimits,
    /// MDC guidance since November 2023: points beyond the 2σ band, including those beyond the limits.
    #[value(name = "mdc")]
    IncludingBeyondLimits,
}

/// How a trend point's direction is decided.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum TrendSide {
    /// By the trend: rising is high, falling is low (MDC guidance and its Excel tool).
    #[default]
    Direction,
    /// By each point's side of the mean, as NHSRplotthedots v0.2 types every special-cause point.
    SideOfMean,
}

/// Settings for [`xmr`]; `Default` gives the NHSRplotthedots defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct SpcOptions {
    /// Drop moving ranges at or above 3.267 × their mean and recompute the mean once (R default: on).
    pub screen_outliers: bool,
    /// Points in a run for the shift and trend rules: 7 (R and MDC default) or 6 (allowed by the MDC tool).
    pub run_length: usize,
    /// Variant of the two-of-three rule.
    pub two_of_three: TwoOfThree,
    /// Indices (0-based) where a new segment with its own mean and limits starts; 0 is implied.
    pub rebase_at: Vec<usize>,
    /// Compute each segment's mean and limits from its first n points only (a fixed baseline).
    pub fix_after_n_points: Option<usize>,
    /// Which way is better.
    pub improvement: Improvement,
    /// Target for the assurance icon.
    pub target: Option<f64>,
    /// How trend points get their direction (and so improvement or concern).
    pub trend_side: TrendSide,
}

impl Default for SpcOptions {
    fn default() -> Self {
        SpcOptions {
            screen_outliers: true,
            run_length: 7,
            two_of_three: TwoOfThree::InsideLimits,
            rebase_at: Vec::new(),
            fix_after_n_points: None,
            improvement: Improvement::Neutral,
            target: None,
            trend_side: TrendSide::Direction,
        }
    }
}

/// The special-cause rule a point meets; when it meets several, the first in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Strictly above the upper or below the lower process limit.
    OutsideLimits,
    /// Part of a run of consecutive strictly rising (or falling) points.
    Trend,
    /// Two of three consecutive points on one side of the mean beyond the 2σ band.
    TwoOfThree,
    /// Part of a run of consecutive points on one side of the mean.
    Shift,
}

impl Rule {
    /// Short description for tables.
    pub fn label(self) -> &'static str {
        match self {
            Rule::OutsideLimits => "outside limits",
            Rule::Trend => "trend",
            Rule::TwoOfThree => "two of three",
            Rule::Shift => "shift",
        }
    }
}

/// Direction of a special cause: above the mean or rising (high), below or falling (low).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Above the mean, above the upper limit, or rising.
    High,
    /// Below the mean, below the lower limit, or falling.
    Low,
}

/// What a point means once the improvement direction is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PointType {
    /// No special cause.
    CommonCause,
    /// Special cause in the better direction.
    Improvement,
    /// Special cause in the worse direction.
    Concern,
    /// Special cause when neither direction is better.
    Neutral,
}

impl PointType {
    /// MDC icon colour; charts never rely on it alone (markers differ too).
    pub fn colour(self) -> &'static str {
        match self {
            PointType::CommonCause => "#a6a6a6",
            PointType::Improvement => "#00b0f0",
            PointType::Concern => "#e46c0a",
            PointType::Neutral => "#490092",
        }
    }

    /// Words for tables and chart descriptions.
    pub fn label(self) -> &'static str {
        match self {
            PointType::CommonCause => "common cause",
            PointType::Improvement => "special cause improvement",
            PointType::Concern => "special cause concern",
            PointType::Neutral => "special cause neutral",
        }
    }
}

/// One point of the chart with the limits of its segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpcPoint {
    /// The observed value.
    pub value: f64,
    /// Index of the segment (0 unless rebased).
    pub segment: usize,
    /// Segment mean (centre line).
    pub mean: f64,
    /// Lower process limit.
    pub lpl: f64,
    /// Upper process limit.
    pub upl: f64,
    /// Lower edge of the 2σ band.
    pub lower_two_sigma: f64,
    /// Upper edge of the 2σ band.
    pub upper_two_sigma: f64,
    /// |xᵢ − xᵢ₋₁| within the segment; `None` for a segment's first point.
    pub moving_range: Option<f64>,
    /// First special-cause rule met, if any.
    pub rule: Option<Rule>,
    /// Direction of that special cause.
    pub side: Option<Side>,
    /// Common cause, improvement, concern or neutral.
    pub point_type: PointType,
}

/// A run of points sharing a mean and limits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpcSegment {
    /// First index (inclusive).
    pub start: usize,
    /// Last index (exclusive).
    pub end: usize,
    /// Points used for the mean and limits.
    pub baseline_points: usize,
    /// Mean of the baseline.
    pub mean: f64,
    /// Mean moving range after screening.
    pub mean_moving_range: f64,
    /// Moving ranges dropped by outlier screening.
    pub screened_moving_ranges: usize,
    /// Lower process limit.
    pub lpl: f64,
    /// Upper process limit.
    pub upl: f64,
    /// Fewer than 12 baseline points: the limits are trial limits.
    pub trial_limits: bool,
}

/// The variation icon: what the last point shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VariationIcon {
    /// Type of the last point.
    pub point_type: PointType,
    /// Its direction when it is a special cause.
    pub side: Option<Side>,
}

impl VariationIcon {
    /// Words as on MDC icons, e.g. "special cause improvement (high)".
    pub fn label(&self) -> String {
        match self.side {
            None => self.point_type.label().to_string(),
            Some(Side::High) => format!("{} (high)", self.point_type.label()),
            Some(Side::Low) => format!("{} (low)", self.point_type.label()),
        }
    }
}

/// The assurance icon: will the process meet the target?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Assurance {
    /// The target lies beyond the limits on the good side.
    ConsistentlyPass,
    /// The target lies beyond the limits on the bad side.
    ConsistentlyFail,
    /// The target lies within the limits.
    HitAndMiss,
}

impl Assurance {
    /// Words for tables.
    pub fn label(self) -> &'static str {
        match self {
            Assurance::ConsistentlyPass => "consistently pass the target",
            Assurance::ConsistentlyFail => "consistently fail the target",
            Assurance::HitAndMiss => "hit and miss the target",
        }
    }
}

/// Icons and warnings for the chart as a whole.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpcSummary {
    /// Variation icon (type of the last point).
    pub variation: VariationIcon,
    /// Assurance icon; `None` without a target or when neither direction is better.
    pub assurance: Option<Assurance>,
    /// Things a reader must know, e.g. trial limits.
    pub warnings: Vec<String>,
}

/// Everything [`xmr`] computes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpcResult {
    /// One entry per input value.
    pub points: Vec<SpcPoint>,
    /// Segments in order.
    pub segments: Vec<SpcSegment>,
    /// Icons and warnings.
    pub summary: SpcSummary,
}

/// Inputs [`xmr`] refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpcError {
    /// A value is NaN or infinite.
    #[error("value {index} (0-based) is not a finite number")]
    NotFinite {
        /// Position of the value.
        index: usize,
    },
    /// A segment needs two points for a moving range.
    #[error(
        "segment starting at point {start} (0-based) has {len} point(s); at least 2 are needed for a moving range"
    )]
    SegmentTooShort {
        /// First index of the segment.
        start: usize,
        /// Its length.
        len: usize,
    },
    /// A rebase index is out of range.
    #[error("rebase at point {index} is outside the series of {len} points")]
    RebaseOutOfRange {
        /// The index given.
        index: usize,
        /// Series length.
        len: usize,
    },
    /// Runs must be 6 or 7 points long.
    #[error("run length {0} is not supported: use 6 or 7")]
    RunLength(usize),
    /// A fixed baseline needs at least 2 points.
    #[error("a fixed baseline needs at least 2 points, not {0}")]
    Baseline(usize),
}

/// XmR chart of `values` (in time order, no gaps) with the MDC rules.
pub fn xmr(values: &[f64], options: &SpcOptions) -> Result<SpcResult, SpcError> {
    if let Some(index) = values.iter().position(|v| !v.is_finite()) {
        return Err(SpcError::NotFinite { index });
    }
    if !(6..=7).contains(&options.run_length) {
        return Err(SpcError::RunLength(options.run_length));
    }
    if let Some(n) = options.fix_after_n_points.filter(|&n| n < 2) {
        return Err(SpcError::Baseline(n));
    }
    let mut starts = vec![0];
    for &i in &options.rebase_at {
        if i >= values.len() {
            return Err(SpcError::RebaseOutOfRange {
                index: i,
                len: values.len(),
            });
        }
        starts.push(i);
    }
    starts.sort_unstable();
    starts.dedup();
    let mut segments = Vec::with_capacity(starts.len());
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(values.len());
        segments.push(segment_limits(values, start, end, options)?);
    }

    let mut points = Vec::with_capacity(values.len());
    let mut warnings = Vec::new();
    for (s, seg) in segments.iter().enumerate() {
        if seg.trial_limits {
            warnings.push(format!(
                "segment {} (points {}-{}) has {} baseline points: fewer than 12, so its limits are trial limits",
                s + 1,
                seg.start + 1,
                seg.end,
                seg.baseline_points
            ));
        }
        let y = &values[seg.start..seg.end];
        let band = (2.0 / 3.0) * LIMIT * seg.mean_moving_range;
        let flags = special_causes(y, seg, band, options);
        for (j, &v) in y.iter().enumerate() {
            let (rule, side) = match flags[j] {
                Some((Rule::Trend, _)) if options.trend_side == TrendSide::SideOfMean => (
                    Some(Rule::Trend),
                    Some(r_side_of_mean(v, seg.mean, options.improvement)),
                ),
                Some((r, s)) => (Some(r), Some(s)),
                None => (None, None),
            };
            points.push(SpcPoint {
                value: v,
                segment: s,
                mean: seg.mean,
                lpl: seg.lpl,
                upl: seg.upl,
                lower_two_sigma: seg.mean - band,
                upper_two_sigma: seg.mean + band,
                moving_range: (j > 0).then(|| (v - y[j - 1]).abs()),
                rule,
                side,
                point_type: point_type(side, options.improvement),
            });
        }
    }

    let variation = points.last().map_or(
        VariationIcon {
            point_type: PointType::CommonCause,
            side: None,
        },
        |p| VariationIcon {
            point_type: p.point_type,
            side: p.side,
        },
    );
    let assurance = match (options.target, segments.last()) {
        (Some(t), Some(seg)) => assurance(t, seg.lpl, seg.upl, options.improvement),
        _ => None,
    };
    if options.target.is_some() && options.improvement == Improvement::Neutral {
        warnings.push(
            "a target was given but no improvement direction, so there is no assurance icon".into(),
        );
    }
    Ok(SpcResult {
        points,
        segments,
        summary: SpcSummary {
            variation,
            assurance,
            warnings,
        },
    })
}

fn segment_limits(
    values: &[f64],
    start: usize,
    end: usize,
    options: &SpcOptions,
) -> Result<SpcSegment, SpcError> {
    let len = end - start;
    if len < 2 {
        return Err(SpcError::SegmentTooShort { start, len });
    }
    let baseline_points = options.fix_after_n_points.map_or(len, |n| n.min(len));
    let base = &values[start..start + baseline_points];
    let mean = base.iter().sum::<f64>() / base.len() as f64;
    let mrs: Vec<f64> = base.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    let mut amr = mrs.iter().sum::<f64>() / mrs.len() as f64;
    let mut screened = 0;
    if options.screen_outliers && amr > 0.0 {
        // R keeps mr < 3.267·MR̄ and recomputes once; it does not iterate.
        let kept: Vec<f64> = mrs
            .iter()
            .copied()
            .filter(|&m| m < MR_SCREEN * amr)
            .collect();
        screened = mrs.len() - kept.len();
        if !kept.is_empty() {
            amr = kept.iter().sum::<f64>() / kept.len() as f64;
        }
    }
    Ok(SpcSegment {
        start,
        end,
        baseline_points,
        mean,
        mean_moving_range: amr,
        screened_moving_ranges: screened,
        lpl: mean - LIMIT * amr,
        upl: mean + LIMIT * amr,
        trial_limits: baseline_points < 12,
    })
}

/// First rule met by each point of one segment, in priority order, with its direction.
fn special_causes(
    y: &[f64],
    seg: &SpcSegment,
    band: f64,
    options: &SpcOptions,
) -> Vec<Option<(Rule, Side)>> {
    let n = y.len();
    let run = options.run_length;
    let mut out: Vec<Option<(Rule, Side)>> = vec![None; n];
    // Rules are applied in priority order, so an earlier rule's flag is never overwritten.
    let mark = |i: usize, rule: Rule, side: Side, out: &mut [Option<(Rule, Side)>]| {
        if out[i].is_none() {
            out[i] = Some((rule, side));
        }
    };
    let side_of = |v: f64| {
        if v > seg.mean {
            Some(Side::High)
        } else if v < seg.mean {
            Some(Side::Low)
        } else {
            None
        }
    };

    for (i, &v) in y.iter().enumerate() {
        if v > seg.upl {
            mark(i, Rule::OutsideLimits, Side::High, &mut out);
        } else if v < seg.lpl {
            mark(i, Rule::OutsideLimits, Side::Low, &mut out);
        }
    }

    // Trend: `run` points, each strictly above (below) the one before; a tie breaks the run.
    if n >= run {
        for end in run - 1..n {
            let w = &y[end + 1 - run..=end];
            let side = if w.windows(2).all(|p| p[1] > p[0]) {
                Some(Side::High)
            } else if w.windows(2).all(|p| p[1] < p[0]) {
                Some(Side::Low)
            } else {
                None
            };
            if let Some(side) = side {
                for i in end + 1 - run..=end {
                    mark(i, Rule::Trend, side, &mut out);
                }
            }
        }
    }

    // Two of three: a window of three consecutive points, all strictly on one side of the mean, of
    // which at least two are "close" (beyond the 2σ band); the close points are flagged.
    let close: Vec<bool> = y
        .iter()
        .map(|&v| {
            let beyond_band = v < seg.mean - band || v > seg.mean + band;
            match options.two_of_three {
                TwoOfThree::InsideLimits => beyond_band && v <= seg.upl && v >= seg.lpl,
                TwoOfThree::IncludingBeyondLimits => beyond_band,
            }
        })
        .collect();
    if n >= 3 {
        for start in 0..=n - 3 {
            let sides: Vec<Option<Side>> =
                y[start..start + 3].iter().map(|&v| side_of(v)).collect();
            let Some(side) = sides[0] else { continue };
            if sides.iter().any(|s| *s != Some(side)) {
                continue;
            }
            if close[start..start + 3].iter().filter(|c| **c).count() >= 2 {
                for (i, _) in close
                    .iter()
                    .enumerate()
                    .skip(start)
                    .take(3)
                    .filter(|(_, c)| **c)
                {
                    mark(i, Rule::TwoOfThree, side, &mut out);
                }
            }
        }
    }

    // Shift: `run` consecutive points strictly on one side of the mean; a point on the mean breaks it.
    if n >= run {
        for end in run - 1..n {
            let first = side_of(y[end + 1 - run]);
            if let Some(side) = first
                && y[end + 1 - run..=end]
                    .iter()
                    .all(|&v| side_of(v) == Some(side))
            {
                for i in end + 1 - run..=end {
                    mark(i, Rule::Shift, side, &mut out);
                }
            }
        }
    }
    out
}

/// R's side for a special-cause point: sign(y − mean), where a point exactly on the mean (sign 0)
/// becomes "low" when neither direction is better and a concern otherwise.
fn r_side_of_mean(v: f64, mean: f64, improvement: Improvement) -> Side {
    if v > mean {
        Side::High
    } else if v < mean {
        Side::Low
    } else {
        match improvement {
            Improvement::Up | Improvement::Neutral => Side::Low,
            Improvement::Down => Side::High,
        }
    }
}

fn point_type(side: Option<Side>, improvement: Improvement) -> PointType {
    match (side, improvement) {
        (None, _) => PointType::CommonCause,
        (Some(_), Improvement::Neutral) => PointType::Neutral,
        (Some(Side::High), Improvement::Up) | (Some(Side::Low), Improvement::Down) => {
            PointType::Improvement
        }
        (Some(_), _) => PointType::Concern,
    }
}

/// Assurance icon for a target against the last segment's limits (comparisons are strict).
pub fn assurance(target: f64, lpl: f64, upl: f64, improvement: Improvement) -> Option<Assurance> {
    let up = match improvement {
        Improvement::Neutral => return None,
        Improvement::Up => true,
        Improvement::Down => false,
    };
    Some(if target > upl {
        if up {
            Assurance::ConsistentlyFail
        } else {
            Assurance::ConsistentlyPass
        }
    } else if target < lpl {
        if up {
            Assurance::ConsistentlyPass
        } else {
            Assurance::ConsistentlyFail
        }
    } else {
        Assurance::HitAndMiss
    })
}

/// Arguments of `concordat insight spc`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// CSV file with a header row.
    #[arg(long)]
    pub input: PathBuf,
    /// Column holding the dates (YYYY-MM-DD, YYYY-MM or DD/MM/YYYY).
    #[arg(long)]
    pub date_column: String,
    /// Column holding the values.
    #[arg(long)]
    pub value_column: String,
    /// Start a new segment (own mean and limits) at this date; repeatable. Must be a date in the file.
    #[arg(long = "rebase", value_name = "DATE")]
    pub rebase: Vec<String>,
    /// Target value, for the assurance icon.
    #[arg(long)]
    pub target: Option<f64>,
    /// Which direction is better.
    #[arg(long, value_enum, default_value_t = Improvement::Neutral)]
    pub improvement: Improvement,
    /// Points in a run for the shift and trend rules (6 or 7).
    #[arg(long, default_value_t = 7)]
    pub run_length: usize,
    /// Two-of-three variant: r (inside the limits, NHSRplotthedots) or mdc (including beyond the limits).
    #[arg(long, value_enum, default_value_t = TwoOfThree::InsideLimits)]
    pub two_of_three: TwoOfThree,
    /// Direction of trend points: direction (MDC: rising is high) or side-of-mean (NHSRplotthedots).
    #[arg(long, value_enum, default_value_t = TrendSide::Direction)]
    pub trend_side: TrendSide,
    /// Keep moving-range outliers (the MDC Excel tool does not screen them).
    #[arg(long)]
    pub no_screen_outliers: bool,
    /// Fix each segment's mean and limits on its first N points.
    #[arg(long, value_name = "N")]
    pub fix_after: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write an SVG chart here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Chart title (defaults to the value column).
    #[arg(long)]
    pub title: Option<String>,
    /// Write the chart's data as an HTML table here (the accessible alternative to the chart).
    #[arg(long)]
    pub html: Option<PathBuf>,
}

/// Runs the command; the exit code is non-zero on failure.
pub fn run(args: Args) -> ExitCode {
    match run_inner(&args) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("concordat insight spc: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_inner(args: &Args) -> Result<String, String> {
    let series = input::read_series(
        &args.input,
        &args.date_column,
        &[(args.value_column.as_str(), ValueKind::Number)],
    )
    .map_err(|e| e.to_string())?;
    let values = &series.columns[0];
    let mut rebase_at = Vec::new();
    for raw in &args.rebase {
        let date = input::parse_date(raw).ok_or_else(|| format!("--rebase {raw:?}: not a date"))?;
        let idx = series
            .dates
            .iter()
            .position(|d| *d == date)
            .ok_or_else(|| {
                format!(
                    "--rebase {date}: no row of {} has this date",
                    args.input.display()
                )
            })?;
        rebase_at.push(idx);
    }
    let options = SpcOptions {
        screen_outliers: !args.no_screen_outliers,
        run_length: args.run_length,
        two_of_three: args.two_of_three,
        rebase_at,
        fix_after_n_points: args.fix_after,
        improvement: args.improvement,
        target: args.target,
        trend_side: args.trend_side,
    };
    let result = xmr(values, &options).map_err(|e| format!("{}: {e}", args.input.display()))?;
    let labels: Vec<String> = series
        .dates
        .iter()
        .map(|d| input::date_label(*d, series.frequency))
        .collect();
    if let Some(out) = &args.out {
        let title = args
            .title
            .clone()
            .unwrap_or_else(|| format!("{}: SPC chart", args.value_column));
        input::write_file(
            out,
            &crate::chart::spc_chart(&title, &labels, &result, options.target),
        )?;
    }
    if let Some(html) = &args.html {
        let (header, rows) = data_table(&labels, &result);
        let caption = args
            .title
            .clone()
            .unwrap_or_else(|| format!("{}: SPC chart data", args.value_column));
        input::write_file(html, &crate::chart::html_table(&caption, &header, &rows))?;
    }
    Ok(match args.format {
        Format::Json => {
            #[derive(Serialize)]
            struct Out<'a> {
                dates: &'a [String],
                #[serde(flatten)]
                result: &'a SpcResult,
            }
            let mut s = serde_json::to_string_pretty(&Out {
                dates: &labels,
                result: &result,
            })
            .map_err(|e| e.to_string())?;
            s.push('\n');
            s
        }
        Format::Csv => {
            let (header, rows) = data_table(&labels, &result);
            crate::chart::csv_table(&header, &rows)
        }
        Format::Table => {
            let (header, rows) = data_table(&labels, &result);
            let mut s = crate::chart::text_table(&header, &rows);
            s.push_str(&summary_text(&result, options.target));
            s
        }
    })
}

/// The chart's data as a table (date, value, mean, limits, rule, type), for [`crate::chart::html_table`]
/// or [`crate::chart::csv_table`]: the accessible alternative to the SVG.
pub fn data_table(labels: &[String], result: &SpcResult) -> (Vec<String>, Vec<Vec<String>>) {
    (table_header(), table_rows(labels, result))
}

fn table_header() -> Vec<String> {
    ["date", "value", "mean", "lpl", "upl", "rule", "type"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn table_rows(labels: &[String], result: &SpcResult) -> Vec<Vec<String>> {
    labels
        .iter()
        .zip(&result.points)
        .map(|(d, p)| {
            vec![
                d.clone(),
                fmt4(p.value),
                fmt4(p.mean),
                fmt4(p.lpl),
                fmt4(p.upl),
                p.rule.map_or(String::new(), |r| r.label().to_string()),
                VariationIcon {
                    point_type: p.point_type,
                    side: p.side,
                }
                .label(),
            ]
        })
        .collect()
}

/// Summary lines under the table: icons, segments and warnings.
pub fn summary_text(result: &SpcResult, target: Option<f64>) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "\nVariation: {}\n",
        result.summary.variation.label()
    ));
    match (result.summary.assurance, target) {
        (Some(a), Some(t)) => {
            s.push_str(&format!("Assurance: {} (target {})\n", a.label(), fmt4(t)))
        }
        _ => s.push_str("Assurance: none (no target, or no improvement direction)\n"),
    }
    for (i, seg) in result.segments.iter().enumerate() {
        s.push_str(&format!(
            "Segment {}: points {}-{}, mean {}, limits {} to {}, mean moving range {} ({} screened out)\n",
            i + 1,
            seg.start + 1,
            seg.end,
            fmt4(seg.mean),
            fmt4(seg.lpl),
            fmt4(seg.upl),
            fmt4(seg.mean_moving_range),
            seg.screened_moving_ranges
        ));
    }
    for w in &result.summary.warnings {
        s.push_str(&format!("Warning: {w}\n"));
    }
    s
}

fn fmt4(v: f64) -> String {
    format!("{v:.4}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_type_follows_direction() {
        assert_eq!(
            point_type(Some(Side::High), Improvement::Up),
            PointType::Improvement
        );
        assert_eq!(
            point_type(Some(Side::High), Improvement::Down),
            PointType::Concern
        );
        assert_eq!(
            point_type(Some(Side::Low), Improvement::Down),
            PointType::Improvement
        );
        assert_eq!(
            point_type(Some(Side::Low), Improvement::Neutral),
            PointType::Neutral
        );
        assert_eq!(point_type(None, Improvement::Up), PointType::CommonCause);
    }
}
