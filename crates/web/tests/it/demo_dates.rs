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
            // The dashboard counts up to the real today; a region generated "on" another day is checked through the
            // app, which the page only renders, counted to that day.
            let d = t.app.dashboard(&system(), day).await.unwrap();
            // The month of `day` is in progress and last; the month before it is the last complete month.
            let live = d.months.last().expect("months");
            assert!(live.in_progress, "{day}");
            assert_eq!(live.month, day.with_day(1).unwrap(), "{day}");
            let complete: Vec<_> = d.complete().collect();
            let last = complete.last().expect("complete months");
            assert_eq!(
                last.month,
                day.with_day(1).unwrap() - Months::new(1),
                "{day}"
            );
            let mut full: Vec<i64> = complete.iter().map(|m| m.contacts).collect();
            assert_eq!(full.len(), 24, "{day}: two whole years");
            full.sort_unstable();
            let median = full[full.len() / 2];
            assert!(
                last.contacts * 2 > median,
                "{day}: last complete month {} has {} contacts, median {median}",
                last.month,
                last.contacts
            );
            // The before/after evaluation has months on both sides of the service change, and a fitted result.
            let its = d.its.as_ref().expect("an evaluation");
            assert_eq!(its.change, "Street triage service started", "{day}");
            let ratio: f64 = its.level.split(' ').next().unwrap().parse().unwrap();
            assert!(ratio > 0.0 && ratio < 5.0, "{day}: level {}", its.level);
            assert!(its.chart.contains("<svg"), "{day}");

            // The forecast works from a year of recent weeks and expects contacts next week.
            let rota = d.rota.as_ref().expect("a rota");
            assert!(
                rota.weeks >= 52,
                "{day}: forecast from {} weeks",
                rota.weeks
            );
            let expected: f64 = rota
                .covered
                .split(" of ")
                .nth(1)
                .and_then(|x| x.split(' ').next())
                .and_then(|x| x.parse().ok())
                .unwrap_or(0.0);
            assert!(expected >= 10.0, "{day}: covered {:?}", rota.covered);

            if day == today {
                // The page renders the same: this month last, in the table only, and the fitted evaluation.
                let (analyst, _) = sign_in(&t.router, "demo.analyst").await;
                let dash = send(&t.router, get("/dashboard", &[&analyst])).await;
                assert_eq!(dash.status, StatusCode::OK);
                let rows = table_rows(&dash.body);
                assert_eq!(
                    rows.last().unwrap().0,
                    format!("{} (in progress, not in the charts)", day.format("%b %Y"))
                );
                assert!(dash.body.contains("Change in level (rate ratio)"));
            }

            // The support list has people on it, counted up to the day.
            let (crisis, _) = sign_in(&t.router, "demo.crisis").await;
            let support = send(&t.router, get("/support/repeat-contact", &[&crisis])).await;
            assert_eq!(support.status, StatusCode::OK, "{day}");
            let counted = between(&support.body, "Counted up to ", ".").unwrap_or("");
            // The list never counts past the real today, so a region generated for a later day is counted up to today.
            // It counts up to the last contact recorded: a region generated for today, opened just after midnight,
            // may have none on today yet, and is counted up to yesterday.
            let as_of = day.min(today);
            let accepted = if day >= today {
                vec![as_of, as_of - chrono::Days::new(1)]
            } else {
                vec![as_of]
            };
            assert!(
                accepted
                    .iter()
                    .any(|d| counted == concordat_domain::dates::date_long(*d)),
                "{day}: counted up to {counted}"
            );
            let people: usize = between(&support.body, &format!("{counted}. "), " people.")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            assert!(people >= 1, "{day}: {people} people on the support list");
        }
    }
}
