//! Likert survey summaries as evaluation reports give them: n per item, percentages to one decimal
//! place in agree / neither / disagree groups, the treatment of "don't know" stated, small groups
//! suppressed, and never an average of the codes (the codes are ordered labels, not quantities).

use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use crate::chart::{self, DivergingBar};
use crate::input::{Format, write_file};

/// The five answers of an agreement item, in order.
pub const CATEGORIES: [&str; 5] = [
    "strongly disagree",
    "disagree",
    "neither agree nor disagree",
    "agree",
    "strongly agree",
];

/// One answer as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Index into [`CATEGORIES`].
    Scale(usize),
    /// "Don't know" (or "not sure").
    DontKnow,
    /// Blank or "NA".
    Missing,
}

/// Reads an answer: codes 1–5 (1 = strongly disagree) or the words, in any case.
pub fn parse_answer(s: &str) -> Option<Answer> {
    let t = s.trim().to_ascii_lowercase().replace(['’', '\''], "");
    Some(match t.as_str() {
        "" | "na" | "n/a" | "missing" | "-" => Answer::Missing,
        "dont know" | "don t know" | "dk" | "not sure" | "unsure" => Answer::DontKnow,
        "1" | "strongly disagree" => Answer::Scale(0),
        "2" | "disagree" => Answer::Scale(1),
        "3" | "neither agree nor disagree" | "neither" | "neutral" => Answer::Scale(2),
        "4" | "agree" => Answer::Scale(3),
        "5" | "strongly agree" => Answer::Scale(4),
        _ => return None,
    })
}

/// How "don't know" answers are treated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DontKnow {
    /// Left out of n and of the percentages (and counted separately).
    #[default]
    Exclude,
    /// Counted in n, so the three groups no longer add up to 100% of n.
    Include,
}

/// Settings for [`summarise`].
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyOptions {
    /// Items answered by fewer than this many people are suppressed (default 10).
    pub min_n: usize,
    /// Treatment of "don't know".
    pub dont_know: DontKnow,
}

impl Default for SurveyOptions {
    fn default() -> Self {
        SurveyOptions {
            min_n: 10,
            dont_know: DontKnow::Exclude,
        }
    }
}

/// Percentages to one decimal place, stored as tenths of a percent so rounding is exact (half up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Tenths(pub u32);

impl Tenths {
    /// count / n as a percentage rounded half up to one decimal place.
    pub fn of(count: usize, n: usize) -> Tenths {
        if n == 0 {
            return Tenths(0);
        }
        let (c, n) = (count as u64, n as u64);
        Tenths(((2000 * c + n) / (2 * n)) as u32)
    }

    /// The value in percent.
    pub fn percent(self) -> f64 {
        f64::from(self.0) / 10.0
    }
}

impl std::fmt::Display for Tenths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}%", self.0 / 10, self.0 % 10)
    }
}

/// Summary of one item (for one group, if grouped).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemSummary {
    /// Item (column) name.
    pub item: String,
    /// Group value, when summarised by group.
    pub group: Option<String>,
    /// The denominator: answers on the scale, plus "don't know" when included.
    pub n: usize,
    /// Counts per category in [`CATEGORIES`] order.
    pub counts: [usize; 5],
    /// "Don't know" answers.
    pub dont_know: usize,
    /// Blank answers (never in n).
    pub missing: usize,
    /// Fewer than the minimum: no percentages are given.
    pub suppressed: bool,
    /// Agreed or strongly agreed (None when suppressed).
    pub agree: Option<Tenths>,
    /// Neither agreed nor disagreed.
    pub neither: Option<Tenths>,
    /// Disagreed or strongly disagreed.
    pub disagree: Option<Tenths>,
    /// "Don't know" as a share of n, when included.
    pub dont_know_share: Option<Tenths>,
    /// The sentence for a report.
    pub sentence: String,
}

/// All items, with the notes a report must carry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurveySummary {
    /// One entry per item (and group).
    pub items: Vec<ItemSummary>,
    /// How "don't know" and missing answers were treated, rounding and suppression: print with the table.
    pub notes: Vec<String>,
}

/// Summarises answers per item. `answers[i]` holds item `i`'s answers, `groups` (if any) each respondent's group.
pub fn summarise(
    items: &[String],
    answers: &[Vec<Answer>],
    groups: Option<&[String]>,
    options: &SurveyOptions,
) -> SurveySummary {
    let mut out = Vec::new();
    let mut group_names: Vec<Option<String>> = vec![None];
    if let Some(g) = groups {
        let mut names: Vec<String> = g.to_vec();
        names.sort();
        names.dedup();
        group_names = names.into_iter().map(Some).collect();
    }
    for (item, col) in items.iter().zip(answers) {
        for group in &group_names {
            let selected = col
                .iter()
                .enumerate()
                .filter(|(r, _)| match (group, groups) {
                    (Some(name), Some(g)) => g.get(*r) == Some(name),
                    _ => true,
                });
            let mut counts = [0usize; 5];
            let (mut dk, mut missing) = (0, 0);
            for (_, a) in selected {
                match a {
                    Answer::Scale(k) => counts[*k] += 1,
                    Answer::DontKnow => dk += 1,
                    Answer::Missing => missing += 1,
                }
            }
            out.push(item_summary(
                item,
                group.clone(),
                counts,
                dk,
                missing,
                options,
            ));
        }
    }
    let dk_note = match options.dont_know {
        DontKnow::Exclude => {
            "\"Don't know\" answers are left out of n and of the percentages; they are counted separately."
        }
        DontKnow::Include => {
            "\"Don't know\" answers are counted in n and shown as their own percentage, so agree, neither and disagree add up to less than 100%."
        }
    };
    SurveySummary {
        items: out,
        notes: vec![
            dk_note.to_string(),
            "Blank answers are left out of n.".into(),
            "Percentages are rounded to one decimal place, so they may not add up to 100.".into(),
            format!(
                "Results for fewer than {} answers are suppressed.",
                options.min_n
            ),
            "Answers are ordered categories: no average of the codes is given.".into(),
        ],
    }
}

fn item_summary(
    item: &str,
    group: Option<String>,
    counts: [usize; 5],
    dont_know: usize,
    missing: usize,
    options: &SurveyOptions,
) -> ItemSummary {
    let scale: usize = counts.iter().sum();
    let n = match options.dont_know {
        DontKnow::Exclude => scale,
        DontKnow::Include => scale + dont_know,
    };
    let suppressed = n < options.min_n;
    let share = |c: usize| (!suppressed).then(|| Tenths::of(c, n));
    let agree = share(counts[3] + counts[4]);
    let neither = share(counts[2]);
    let disagree = share(counts[0] + counts[1]);
    let dont_know_share = (options.dont_know == DontKnow::Include)
        .then(|| share(dont_know))
        .flatten();
    let sentence = match (agree, neither, disagree) {
        (Some(a), Some(ne), Some(d)) => {
            let mut s = format!(
                "{a} agreed or strongly agreed, {ne} neither, {d} disagreed or strongly disagreed"
            );
            if let Some(k) = dont_know_share {
                s.push_str(&format!(", {k} did not know"));
            }
            format!("{s} (n = {n})")
        }
        _ => format!("suppressed: fewer than {} answers", options.min_n),
    };
    ItemSummary {
        item: item.to_string(),
        group,
        n,
        counts,
        dont_know,
        missing,
        suppressed,
        agree,
        neither,
        disagree,
        dont_know_share,
        sentence,
    }
}

/// Errors reading a survey file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SurveyError {
    /// A cell that is not an answer.
    #[error(
        "{source_name}, line {line}, column {column:?}: {value:?} is not an answer (use 1-5, the words from \"strongly disagree\" to \"strongly agree\", \"don't know\", or leave blank)"
    )]
    BadAnswer {
        /// File name.
        source_name: String,
        /// 1-based line.
        line: u64,
        /// Item column.
        column: String,
        /// The cell.
        value: String,
    },
    /// Other problems with the file.
    #[error("{0}")]
    File(String),
}

/// A survey read from CSV: one row per respondent, one column per item.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyData {
    /// Item names.
    pub items: Vec<String>,
    /// Answers per item.
    pub answers: Vec<Vec<Answer>>,
    /// Group of each respondent, when a group column was named.
    pub groups: Option<Vec<String>>,
}

/// Reads a survey CSV. `items` empty means every column except `ignore` and the group column.
pub fn parse_survey(
    reader: impl std::io::Read,
    source_name: &str,
    items: &[String],
    group_column: Option<&str>,
    ignore: &[String],
) -> Result<SurveyData, SurveyError> {
    let (mut rdr, fix) = crate::input::csv_reader(reader, false)
        .map_err(|e| SurveyError::File(format!("{source_name}: cannot read: {e}")))?;
    let h = rdr
        .headers()
        .map_err(|e| SurveyError::File(format!("{source_name}: {e}")))?
        .clone();
    let find = |name: &str| {
        h.iter().position(|c| c.trim() == name).ok_or_else(|| {
            SurveyError::File(format!(
                "{source_name}: no column {name:?} (columns are: {})",
                h.iter().collect::<Vec<_>>().join(", ")
            ))
        })
    };
    let group_i = group_column.map(find).transpose()?;
    let item_idx: Vec<usize> = if items.is_empty() {
        (0..h.len())
            .filter(|i| {
                Some(*i) != group_i && !ignore.iter().any(|x| x == h.get(*i).unwrap_or("").trim())
            })
            .collect()
    } else {
        items.iter().map(|n| find(n)).collect::<Result<_, _>>()?
    };
    let names: Vec<String> = item_idx
        .iter()
        .map(|&i| h.get(i).unwrap_or("").trim().to_string())
        .collect();
    let mut answers = vec![Vec::new(); item_idx.len()];
    let mut groups = group_i.map(|_| Vec::new());
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            SurveyError::File(format!(
                "{source_name}, line {}: {}",
                crate::input::line_of(e.position(), fix),
                crate::input::csv_message(&e)
            ))
        })?;
        let line = crate::input::line_of(rec.position(), fix);
        for (k, &i) in item_idx.iter().enumerate() {
            let raw = rec.get(i).unwrap_or("");
            let a = parse_answer(raw).ok_or_else(|| SurveyError::BadAnswer {
                source_name: source_name.into(),
                line,
                column: names[k].clone(),
                value: raw.to_string(),
            })?;
            answers[k].push(a);
        }
        if let (Some(g), Some(gi)) = (groups.as_mut(), group_i) {
            g.push(rec.get(gi).unwrap_or("").trim().to_string());
        }
    }
    Ok(SurveyData {
        items: names,
        answers,
        groups,
    })
}

/// Diverging stacked bar chart of the summary (suppressed items show no bar).
pub fn chart(title: &str, summary: &SurveySummary) -> String {
    let bars: Vec<DivergingBar> = summary
        .items
        .iter()
        .map(|s| DivergingBar {
            label: match &s.group {
                Some(g) => format!("{} ({g})", s.item),
                None => s.item.clone(),
            },
            // Bars use unrounded shares of the scale answers, so each bar spans exactly 100%.
            shares: (!s.suppressed).then(|| {
                let total: usize = s.counts.iter().sum();
                s.counts.map(|c| {
                    if total == 0 {
                        0.0
                    } else {
                        100.0 * c as f64 / total as f64
                    }
                })
            }),
            n: s.n,
        })
        .collect();
    chart::diverging_bars(title, &bars, &CATEGORIES)
}

/// Table header and rows of a summary (the data-table alternative to the chart).
pub fn table(summary: &SurveySummary) -> (Vec<String>, Vec<Vec<String>>) {
    let header: Vec<String> = [
        "item",
        "group",
        "n",
        "agree",
        "neither",
        "disagree",
        "don't know",
        "missing",
        "summary",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let show = |t: Option<Tenths>| t.map_or("suppressed".to_string(), |t| t.to_string());
    let rows = summary
        .items
        .iter()
        .map(|s| {
            vec![
                s.item.clone(),
                s.group.clone().unwrap_or_default(),
                s.n.to_string(),
                show(s.agree),
                show(s.neither),
                show(s.disagree),
                s.dont_know.to_string(),
                s.missing.to_string(),
                s.sentence.clone(),
            ]
        })
        .collect();
    (header, rows)
}

/// Arguments of `concordat insight survey`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// CSV with one row per respondent and one column per item (answers 1-5 or words).
    #[arg(long)]
    pub input: PathBuf,
    /// Item columns to summarise (repeatable); all columns but the group and --ignore ones when absent.
    #[arg(long = "item")]
    pub items: Vec<String>,
    /// Columns to leave out, such as a respondent id (repeatable).
    #[arg(long)]
    pub ignore: Vec<String>,
    /// Summarise separately for each value of this column.
    #[arg(long)]
    pub group_column: Option<String>,
    /// Suppress results with fewer answers than this.
    #[arg(long, default_value_t = 10)]
    pub min_n: usize,
    /// How "don't know" answers are treated.
    #[arg(long, value_enum, default_value_t = DontKnow::Exclude)]
    pub dont_know: DontKnow,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write a diverging stacked bar chart (SVG) here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write the data table alternative (HTML) here.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Chart title.
    #[arg(long, default_value = "Survey results")]
    pub title: String,
}

/// Runs the command; the exit code is non-zero on failure.
pub fn run(args: Args) -> ExitCode {
    match run_inner(&args) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("concordat insight survey: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_inner(args: &Args) -> Result<String, String> {
    let name = args.input.display().to_string();
    let file = std::fs::File::open(&args.input).map_err(|e| format!("{name}: cannot read: {e}"))?;
    let data = parse_survey(
        file,
        &name,
        &args.items,
        args.group_column.as_deref(),
        &args.ignore,
    )
    .map_err(|e| e.to_string())?;
    let options = SurveyOptions {
        min_n: args.min_n,
        dont_know: args.dont_know,
    };
    let summary = summarise(&data.items, &data.answers, data.groups.as_deref(), &options);
    if let Some(out) = &args.out {
        write_file(out, &chart(&args.title, &summary))?;
    }
    let (header, rows) = table(&summary);
    if let Some(html) = &args.html {
        let mut page = chart::html_table(&args.title, &header, &rows);
        for n in &summary.notes {
            page.push_str(&format!("<p>{}</p>\n", chart::escape(n)));
        }
        write_file(html, &page)?;
    }
    Ok(match args.format {
        Format::Json => serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())? + "\n",
        Format::Csv => chart::csv_table(&header, &rows),
        Format::Table => {
            let mut s = chart::text_table(&header, &rows);
            s.push('\n');
            for n in &summary.notes {
                s.push_str(n);
                s.push('\n');
            }
            s
        }
    })
}
