//! The demo is current on any day: a region generated "on" a date has its history end that day, so the dashboard's
//! last complete month is the month before, the forecast has recent weeks to work from, and the support list has
//! people on it (Concordat issue 12).

use crate::harness::*;
use axum::http::StatusCode;
use chrono::{Datelike, Months, NaiveDate};

/// The text between `before` and the next `after`, after the first `before`.
fn between<'a>(body: &'a str, before: &str, after: &str) -> Option<&'a str> {
    let rest = &body[body.find(before)? + before.len()..];
    Some(&rest[..rest.find(after)?])
}

/// (month, contacts) for every row of the dashboard's table, in order.
fn table_rows(body: &str) -> Vec<(String, i64)> {
    let table = between(body, "<h2>The figures as a table</h2>", "</table>").unwrap_or("");
    table
        .split("<tr><th scope=\"row\">")
        .skip(1)
        .filter_map(|row| {
            let month = row.split("</th>").next()?.to_string();
            let contacts = between(row, "<td class=\"num\">", "</td>")?.parse().ok()?;
            Some((month, contacts))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_is_current_on_any_day_it_is_generated() {
    let today = concordat_domain::mha::london_date(chrono::Utc::now());
    let days = [
        // The day the clocks go forward, the first of a month and a year, a leap day, and today.
        NaiveDate::from_ymd_opt(2025, 3, 30).unwrap(),
        NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2028, 2, 29).unwrap(),
        today,
    ];
    for day in days {
        let params = concordat_demo::DemoParams {
            residents: 50_000,
            years: 2,
            ..Default::default()
        }
        .ending_on(day);
        for t in spawn_apps_with(&params).await {
            let (analyst, _) = sign_in(&t.router, "demo.analyst").await;
            let dash = send(&t.router, get("/dashboard", &[&analyst])).await;
            assert_eq!(dash.status, StatusCode::OK, "{day}");
            let rows = table_rows(&dash.body);
            // The month of `day` is in progress and last; the month before it is the last complete month.
            let (live, _) = rows.last().expect("rows");
            assert_eq!(
                *live,
                format!("{} (in progress, not in the charts)", day.format("%Y-%m")),
                "{day}"
            );
            let last_complete = (day.with_day(1).unwrap() - Months::new(1))
                .format("%Y-%m")
                .to_string();
            let (month, contacts) = &rows[rows.len() - 2];
            assert_eq!(*month, last_complete, "{day}");
            let mut full: Vec<i64> = rows[..rows.len() - 1].iter().map(|r| r.1).collect();
            assert_eq!(full.len(), 24, "{day}: two whole years");
            full.sort_unstable();
            let median = full[full.len() / 2];
            assert!(
                *contacts * 2 > median,
                "{day}: last complete month {month} has {contacts} contacts, median {median}"
            );
            // The before/after evaluation has months on both sides of the service change.
            assert!(
                dash.body
                    .contains("Before and after: Street triage service started"),
                "{day}"
            );
            assert!(dash.body.contains("Change in level (rate ratio)"), "{day}");

            // The forecast works from a year of recent weeks and expects contacts next week.
            let weeks: usize = between(&dash.body, "Forecast from the last ", " weeks")
                .and_then(|w| w.parse().ok())
                .unwrap_or(0);
            assert!(weeks >= 52, "{day}: forecast from {weeks} weeks");
            let covered = between(
                &dash.body,
                "<dt>Covered (exact)</dt><dd>",
                " expected contacts",
            )
            .unwrap_or("");
            let expected: f64 = covered
                .split(" of ")
                .nth(1)
                .and_then(|x| x.parse().ok())
                .unwrap_or(0.0);
            assert!(expected >= 10.0, "{day}: covered {covered:?}");

            // The support list has people on it, counted up to the day.
            let (crisis, _) = sign_in(&t.router, "demo.crisis").await;
            let support = send(&t.router, get("/support/repeat-contact", &[&crisis])).await;
            assert_eq!(support.status, StatusCode::OK, "{day}");
            let counted = between(&support.body, "Counted up to ", ".").unwrap_or("");
            // The list never counts past the real today, so a region generated for a later day is counted up to today.
            let as_of = day.min(today);
            assert_eq!(counted, as_of.format("%d/%m/%Y").to_string(), "{day}");
            let people: usize = between(&support.body, &format!("{counted}. "), " people.")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            assert!(people >= 1, "{day}: {people} people on the support list");
        }
    }
}
