//! The partnership dashboard: monthly figures with one definition each (docs/measures.md), their statistical
//! process control charts, the before/after evaluation of a service change, and next week's demand and rota.
//!
//! Everything here is worked out in the app layer so that the web layer only renders it. Nobody is identified:
//! the store returns counts per hour, and the charts are built from monthly totals.

use crate::admin::ServiceChange;
use crate::{App, AppError, Subject, require};
use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveDateTime};
use chrono_tz::Europe::London;
use concordat_domain::policy::{Action, Actor};
use concordat_insight::spc::Improvement;
use concordat_store::HourCount;
use std::collections::BTreeMap;

/// Weeks of recent contacts the demand forecast learns from.
pub const FORECAST_WEEKS: i64 = 60;
/// Triage cars the suggested rota places.
pub const ROTA_CARS: usize = 2;

/// One calendar month (Europe/London) of the dashboard's measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthFigures {
    /// The month's first day.
    pub month: NaiveDate,
    /// Crisis contacts called in the month, drafts left out.
    pub contacts: i64,
    /// Section 136 detentions that began in the month (one per episode).
    pub s136: i64,
    /// The month has not ended yet (it is the month of `today`): shown in the table, never charted.
    pub in_progress: bool,
}

impl MonthFigures {
    /// "March 2025", as the NHS style guide writes a month.
    pub fn label(&self) -> String {
        self.month.format("%B %Y").to_string()
    }

    /// "Mar 2025": the short form for chart axes and tables.
    pub fn short_label(&self) -> String {
        self.month.format("%b %Y").to_string()
    }
}

/// A statistical process control chart of one measure, with what it shows in words.
#[derive(Debug, Clone)]
pub struct SpcView {
    /// The chart as accessible SVG (empty when there are too few months).
    pub svg: String,
    /// One sentence a lay reader can take away, e.g. "In November 2026 there were 41 …".
    pub headline: String,
    /// What the variation means, in the words of NHS "Making Data Count".
    pub variation: String,
}

/// The before/after evaluation of monthly s136 detentions around a service change.
#[derive(Debug, Clone)]
pub struct ItsView {
    pub change: String,
    /// The change's first day, "1 April 2024".
    pub date: String,
    pub chart: String,
    /// One sentence for lay readers.
    pub headline: String,
    pub level: String,
    pub averted: String,
    pub warnings: Vec<String>,
}

/// Next week's forecast demand and the triage car shifts that cover most of it.
#[derive(Debug, Clone)]
pub struct RotaView {
    pub weeks: usize,
    pub heat_map: String,
    pub cars: usize,
    pub shifts: Vec<String>,
    pub covered: String,
    pub greedy: String,
    pub table: String,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// The day the figures are counted to (Europe/London).
    pub today: NaiveDate,
    /// Every month from the first with a contact or detention to the month of `today`, oldest first, months
    /// with nothing in them included as zeros; the last is in progress.
    pub months: Vec<MonthFigures>,
    /// Records dated after today (a wrong clock or a data error): counted here, in no month.
    pub after_today: i64,
    pub s136: SpcView,
    pub contacts: SpcView,
    pub its: Option<ItsView>,
    pub rota: Option<RotaView>,
}

impl Dashboard {
    /// The complete months, the ones charted.
    pub fn complete(&self) -> impl Iterator<Item = &MonthFigures> {
        self.months.iter().filter(|m| !m.in_progress)
    }
}

/// The first day of the Europe/London month an hour (since the epoch) falls in.
fn month_of_hour(hour: i64) -> Option<NaiveDate> {
    let utc = DateTime::from_timestamp(hour.checked_mul(3600)?, 0)?;
    utc.with_timezone(&London).date_naive().with_day(1)
}

/// Totals per Europe/London month, and the total dated after `today`'s month.
fn per_month(hours: &[HourCount], current: NaiveDate) -> (BTreeMap<NaiveDate, i64>, i64) {
    let mut months = BTreeMap::new();
    let mut later = 0;
    for &(hour, n) in hours {
        match month_of_hour(hour) {
            Some(m) if m <= current => *months.entry(m).or_insert(0) += n,
            _ => later += n,
        }
    }
    (months, later)
}

/// Every month from the first month with data in either series to `current`, zeros included.
pub fn month_figures(
    contacts: &[HourCount],
    s136: &[HourCount],
    today: NaiveDate,
) -> (Vec<MonthFigures>, i64) {
    let current = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let (c, c_later) = per_month(contacts, current);
    let (d, d_later) = per_month(s136, current);
    let first = match (c.keys().next(), d.keys().next()) {
        (Some(a), Some(b)) => *a.min(b),
        (Some(a), None) | (None, Some(a)) => *a,
        (None, None) => return (Vec::new(), c_later + d_later),
    };
    let mut out = Vec::new();
    let mut m = first;
    while m <= current {
        out.push(MonthFigures {
            month: m,
            contacts: c.get(&m).copied().unwrap_or(0),
            s136: d.get(&m).copied().unwrap_or(0),
            in_progress: m == current,
        });
        m = m + Months::new(1);
    }
    (out, c_later + d_later)
}

impl App {
    /// The dashboard's figures counted to `today` (the web layer passes today's date in Europe/London).
    /// Needs `ViewAggregates`; nobody is identified, so nothing is audited per person.
    pub async fn dashboard(&self, actor: &Actor, today: NaiveDate) -> Result<Dashboard, AppError> {
        require(
            self,
            actor,
            Action::ViewAggregates,
            &Subject {
                resource_kind: "aggregate",
                ..Default::default()
            },
        )
        .await?;
        let mut tx = self.store.begin_read().await?;
        let contacts = tx.contacts_per_hour().await?;
        let s136 = tx
            .detentions_per_hour(concordat_domain::mha::Power::S136.code())
            .await?;
        let end_of_today = today
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|t| t.and_local_timezone(London).earliest())
            .map(|t| t.timestamp_millis())
            .unwrap_or(i64::MAX);
        let latest = tx.contacts_latest().await?.map(|t| t.min(end_of_today));
        let times = match latest {
            Some(latest) => tx
                .contact_times(latest - FORECAST_WEEKS * 7 * 86_400_000)
                .await?
                .into_iter()
                .filter(|(ms, _)| *ms <= latest)
                .filter_map(|(ms, area)| {
                    let utc = DateTime::from_timestamp_millis(ms)?;
                    Some((utc.with_timezone(&London).naive_local(), area))
                })
                .collect(),
            None => Vec::new(),
        };
        let change = self.service_change_in(&mut tx).await?;
        tx.commit().await?;

        let (months, after_today) = month_figures(&contacts, &s136, today);
        let complete: Vec<&MonthFigures> = months.iter().filter(|m| !m.in_progress).collect();
        let labels: Vec<String> = complete.iter().map(|m| m.short_label()).collect();
        let s136_values: Vec<f64> = complete.iter().map(|m| m.s136 as f64).collect();
        let contact_values: Vec<f64> = complete.iter().map(|m| m.contacts as f64).collect();
        let last = complete.last().map(|m| m.label());
        let s136_view = spc_view(
            "Section 136 detentions per month",
            &labels,
            &s136_values,
            Improvement::Down,
            |n| {
                format!(
                    "In {}, {n} people were detained under section 136.",
                    last.clone().unwrap_or_default()
                )
            },
        );
        let contacts_view = spc_view(
            "Crisis contacts per month",
            &labels,
            &contact_values,
            Improvement::Neutral,
            |n| {
                format!(
                    "In {}, the partnership recorded {n} crisis contacts.",
                    last.clone().unwrap_or_default()
                )
            },
        );
        let its = change.map(|c| its_view(&complete, &labels, &s136_values, &c));
        Ok(Dashboard {
            today,
            months,
            after_today,
            s136: s136_view,
            contacts: contacts_view,
            its: its.flatten(),
            rota: rota_view(times, ROTA_CARS),
        })
    }
}

fn spc_view(
    title: &str,
    labels: &[String],
    values: &[f64],
    improvement: Improvement,
    headline: impl Fn(i64) -> String,
) -> SpcView {
    let opts = concordat_insight::spc::SpcOptions {
        improvement,
        ..Default::default()
    };
    let Some(&last) = values.last() else {
        return SpcView {
            svg: String::new(),
            headline: "There are no complete months to show yet.".into(),
            variation: String::new(),
        };
    };
    match concordat_insight::spc::xmr(values, &opts) {
        Ok(r) => SpcView {
            svg: concordat_insight::chart::spc_chart(title, labels, &r, None),
            headline: headline(last as i64),
            variation: variation_words(&r),
        },
        Err(e) => SpcView {
            svg: String::new(),
            headline: headline(last as i64),
            variation: format!("No chart: {e}."),
        },
    }
}

/// What the last month's point means, for lay readers first.
fn variation_words(r: &concordat_insight::spc::SpcResult) -> String {
    use concordat_insight::spc::PointType;
    let plain = match r.summary.variation.point_type {
        PointType::CommonCause => {
            "This is within the usual month-to-month variation: nothing unusual is happening."
        }
        _ => {
            "This month is unusual compared with the months before it (a special cause): it is worth asking why."
        }
    };
    format!(
        "{plain} (Making Data Count: {}.)",
        r.summary.variation.label()
    )
}

/// Fits a quasi-Poisson interrupted time series (with 2 harmonics when there are 24+ months) to monthly s136
/// counts over complete months.
fn its_view(
    months: &[&MonthFigures],
    labels: &[String],
    s136: &[f64],
    change: &ServiceChange,
) -> Option<ItsView> {
    use concordat_insight::its;
    let first = change.date.with_day(1)?;
    let at = months.iter().position(|m| m.month >= first)?;
    let season: Vec<f64> = months.iter().map(|m| m.month.month() as f64).collect();
    let data = its::ItsData {
        counts: s136.to_vec(),
        intervention: at,
        exposure: None,
        season: Some(season),
        period: 12.0,
    };
    let opts = its::ItsOptions {
        harmonics: if months.len() >= 24 { 2 } else { 0 },
        ..Default::default()
    };
    let date = change.date.format("%-d %B %Y").to_string();
    Some(match its::fit(&data, &opts) {
        Ok(r) => {
            let ratio = r.level_change.estimate;
            let headline = if r.level_change.upper < 1.0 {
                format!(
                    "Since {date}, section 136 detentions have been lower than the earlier trend predicted: about {:.0} fewer in all.",
                    r.events_averted.estimate
                )
            } else if r.level_change.lower > 1.0 {
                format!(
                    "Since {date}, section 136 detentions have been higher than the earlier trend predicted (rate ratio {ratio:.2})."
                )
            } else {
                format!(
                    "Since {date}, section 136 detentions are not clearly different from what the earlier trend predicted."
                )
            };
            ItsView {
                change: change.description.clone(),
                date,
                chart: concordat_insight::chart::its_chart(
                    "Section 136 detentions per month: observed, fitted and without the change",
                    labels,
                    s136,
                    &r.fitted,
                    &r.counterfactual,
                    at,
                ),
                headline,
                level: format!(
                    "{:.2} (95% confidence interval {:.2} to {:.2})",
                    ratio, r.level_change.lower, r.level_change.upper
                ),
                averted: format!(
                    "{:.0} (95% confidence interval {:.0} to {:.0}) of {:.0} expected without the change",
                    r.events_averted.estimate,
                    r.events_averted.lower,
                    r.events_averted.upper,
                    r.events_averted.counterfactual_after
                ),
                warnings: r.warnings,
            }
        }
        Err(e) => ItsView {
            change: change.description.clone(),
            date,
            chart: String::new(),
            headline: "There is not enough data yet to compare before and after.".into(),
            level: String::new(),
            averted: String::new(),
            warnings: vec![e.to_string()],
        },
    })
}

/// Forecasts next week's contacts by hour of week (the recency-weighted profile model) and plans `cars`
/// 8-hour shifts exactly (MILP) and greedily.
fn rota_view(times: Vec<(NaiveDateTime, Option<String>)>, cars: usize) -> Option<RotaView> {
    use concordat_insight::forecast::{self, incidents::HourlyCounts, incidents::Incident, models};
    use concordat_insight::rota::{self, solve};
    let incidents: Vec<Incident> = times
        .into_iter()
        .map(|(time, area)| Incident {
            time,
            area,
            xy: None,
        })
        .collect();
    let counts = HourlyCounts::from_incidents(&incidents)?;
    let per_area = forecast::next_week(
        &counts,
        models::ModelKind::Profile,
        &models::ModelParams::default(),
        true,
    )
    .ok()?;
    let demand = forecast::total(&per_area);
    let total: f64 = demand.iter().sum();
    let problem = solve::Problem {
        demand,
        shifts: cars,
        length: 8,
        start_every: 1,
    };
    let exact = solve::exact(&problem).ok()?;
    let greedy = solve::greedy(&problem).ok()?;
    let pct = |x: f64| if total > 0.0 { 100.0 * x / total } else { 0.0 };
    Some(RotaView {
        weeks: counts.hours() / 168,
        heat_map: forecast::svg::heat_map(
            "Forecast crisis contacts next week, by hour and day",
            "Expected crisis contacts in each hour of a typical week, from the recency-weighted hour-of-week profile model.",
            &problem.demand,
            1,
        ),
        cars,
        shifts: exact
            .starts
            .iter()
            .map(|s| rota::shift_label(*s, 8))
            .collect(),
        covered: format!(
            "{:.0} of {:.0} expected contacts ({:.1}%)",
            exact.covered,
            total,
            pct(exact.covered)
        ),
        greedy: format!("{:.0} ({:.1}%)", greedy.covered, pct(greedy.covered)),
        table: rota::weekly_table(&problem, &exact),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        let t = NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
            .and_utc();
        t.timestamp() / 3600
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn months_are_london_months_zero_filled_to_today() {
        // 23:30 UTC on 31 May 2025 is 00:30 BST on 1 June: a June contact.
        let contacts = vec![
            (hour(2025, 3, 10, 12, 0), 2),
            (hour(2025, 5, 31, 23, 30), 1),
            (hour(2025, 7, 2, 9, 0), 4),
        ];
        // 23:30 UTC on 31 December is still 31 December in London (GMT).
        let s136 = vec![(hour(2024, 12, 31, 23, 30), 1), (hour(2025, 6, 1, 0, 0), 3)];
        let (months, later) = month_figures(&contacts, &s136, day(2025, 8, 15));
        assert_eq!(later, 0);
        let got: Vec<(String, i64, i64, bool)> = months
            .iter()
            .map(|m| (m.month.to_string(), m.contacts, m.s136, m.in_progress))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2024-12-01".into(), 0, 1, false),
                ("2025-01-01".into(), 0, 0, false),
                ("2025-02-01".into(), 0, 0, false),
                ("2025-03-01".into(), 2, 0, false),
                ("2025-04-01".into(), 0, 0, false),
                ("2025-05-01".into(), 0, 0, false),
                ("2025-06-01".into(), 1, 3, false),
                ("2025-07-01".into(), 4, 0, false),
                ("2025-08-01".into(), 0, 0, true),
            ]
        );
        assert_eq!(months[3].label(), "March 2025");
        assert_eq!(months[3].short_label(), "Mar 2025");
    }

    #[test]
    fn records_after_today_are_counted_apart() {
        let contacts = vec![(hour(2025, 3, 10, 12, 0), 2), (hour(2025, 9, 1, 12, 0), 5)];
        let (months, later) = month_figures(&contacts, &[], day(2025, 4, 3));
        assert_eq!(later, 5);
        assert_eq!(months.len(), 2);
        assert!(months[1].in_progress);
    }

    #[test]
    fn no_data_no_months() {
        let (months, later) = month_figures(&[], &[], day(2025, 4, 3));
        assert!(months.is_empty());
        assert_eq!(later, 0);
    }
}
