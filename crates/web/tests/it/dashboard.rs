//! The dashboard's numbers against a hand count (Concordat issue 19, "correct series"): detentions are counted
//! from s136 episodes (not from contacts' first outcome), drafts are left out, empty months are zeros, months
//! run in UK time, and the month in progress is in the table only. docs/measures.md defines each measure.

use crate::harness::*;
use axum::http::StatusCode;
use chrono::{NaiveDate, TimeZone};
use concordat_app::admin::NewUser;
use concordat_app::{App, AppConfig};
use concordat_domain::{OrgKind, Role};

fn ms(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    chrono::Utc
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .timestamp_millis()
}

/// (month label, contacts, s136) for every row of the dashboard's table, in order.
fn table_rows(body: &str) -> Vec<(String, i64, i64)> {
    let start = body.find("<h2>The figures as a table</h2>").expect("table");
    let table = &body[start..body[start..].find("</table>").unwrap() + start];
    table
        .split("<tr><th scope=\"row\">")
        .skip(1)
        .map(|row| {
            let month = row.split("</th>").next().unwrap().to_string();
            let nums: Vec<i64> = row
                .split("<td class=\"num\">")
                .skip(1)
                .map(|c| c.split("</td>").next().unwrap().parse().unwrap())
                .collect();
            (month, nums[0], nums[1])
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_counts_what_a_person_would_count_by_hand() {
    let today = concordat_domain::mha::london_date(chrono::Utc::now());
    for store in concordat_store::testing::all_backends().await.unwrap() {
        let app = App::new(store.clone(), AppConfig::default());
        let system = system();
        app.add_organisation(
            &system,
            "Hand Count Trust",
            OrgKind::MentalHealthTrust,
            None,
            None,
        )
        .await
        .unwrap();
        app.add_user(
            &system,
            &NewUser {
                username: "hand.analyst".into(),
                display_name: "Hand Analyst".into(),
                org_name: "Hand Count Trust".into(),
                role: Role::Analyst,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
        // Six months ago and on: a contact and detention calendar written out by hand.
        let base = today - chrono::Months::new(6);
        let (y, m0) = (
            chrono::Datelike::year(&base),
            chrono::Datelike::month(&base),
        );
        let month = |k: u32| {
            let d = NaiveDate::from_ymd_opt(y, m0, 1).unwrap() + chrono::Months::new(k);
            (chrono::Datelike::year(&d), chrono::Datelike::month(&d))
        };
        let mut contacts: Vec<(i64, &str, &str)> = Vec::new(); // (called_at, status, outcome)
        let mut episodes: Vec<(i64, &str)> = Vec::new(); // (detained_at, power)
        // Month 0: two finished contacts, one of them "referred" that later became an s136 detention, and a
        // draft that must not count.
        let (y0, mo0) = month(0);
        contacts.push((ms(y0, mo0, 3, 10, 0), "final", "advice"));
        contacts.push((ms(y0, mo0, 4, 22, 15), "final", "referred"));
        contacts.push((ms(y0, mo0, 5, 9, 0), "draft", "s136"));
        episodes.push((ms(y0, mo0, 4, 23, 0), "s136"));
        // Month 1: nothing at all (a zero, not a missing month).
        // Month 2: one contact whose outcome says s136 but no detention was recorded, an s135(1) removal
        // (not an s136 detention) and two s136 detentions.
        let (y2, mo2) = month(2);
        contacts.push((ms(y2, mo2, 10, 12, 0), "final", "s136"));
        episodes.push((ms(y2, mo2, 11, 3, 0), "s135_1"));
        episodes.push((ms(y2, mo2, 12, 3, 0), "s136"));
        episodes.push((ms(y2, mo2, 20, 14, 0), "s136"));
        // Month 3: three contacts.
        let (y3, mo3) = month(3);
        for d in [1, 2, 3] {
            contacts.push((ms(y3, mo3, d + 5, 12, 0), "final", "advice"));
        }
        // This month, in progress: one contact.
        let (yn, mon) = month(6);
        contacts.push((ms(yn, mon, 1, 12, 0), "final", "advice"));

        let mut tx = store.begin().await.unwrap();
        for (i, (at, status, outcome)) in contacts.iter().enumerate() {
            tx.testing_execute(&format!(
                "INSERT INTO crisis_contacts (owner_org_id, called_at, source, setting, outcome, status, created_at) \
                 SELECT id, {at}, 'police', 'street', '{outcome}', '{status}', {at} FROM organisations WHERE name = 'Hand Count Trust'"
            ))
            .await
            .unwrap_or_else(|e| panic!("contact {i}: {e}"));
        }
        for (at, power) in &episodes {
            tx.testing_execute(&format!(
                "INSERT INTO mha_episodes (owner_org_id, power, detained_at, is_open, record, created_at, updated_at) \
                 SELECT id, '{power}', {at}, FALSE, '{{}}', {at}, {at} FROM organisations WHERE name = 'Hand Count Trust'"
            ))
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();

        let router = concordat_web::router(concordat_web::AppState {
            app: app.clone(),
            cfg: Default::default(),
            demo: false,
        });
        let (session, _) = sign_in(&router, "hand.analyst").await;
        let dash = send(&router, get("/dashboard", &[&session])).await;
        assert_eq!(dash.status, StatusCode::OK, "{}", dash.body);
        let label = |k: u32| {
            let (y, m) = month(k);
            NaiveDate::from_ymd_opt(y, m, 1)
                .unwrap()
                .format("%b %Y")
                .to_string()
        };
        let expected = vec![
            (label(0), 2, 1),
            (label(1), 0, 0),
            (label(2), 1, 2),
            (label(3), 3, 0),
            (label(4), 0, 0),
            (label(5), 0, 0),
            (
                format!("{} (in progress, not in the charts)", label(6)),
                1,
                0,
            ),
        ];
        assert_eq!(table_rows(&dash.body), expected);
        // Six complete months are charted; the lay sentence speaks of the last complete month.
        assert!(
            dash.body.contains(&format!(
                "In {}, the partnership recorded 0 crisis contacts.",
                NaiveDate::from_ymd_opt(month(5).0, month(5).1, 1)
                    .unwrap()
                    .format("%B %Y")
            )),
            "{}",
            dash.body
        );
        // The same figures from the app, which the web layer only renders.
        let d = app.dashboard(&system, today).await.unwrap();
        assert_eq!(d.months.len(), 7);
        assert_eq!(d.complete().count(), 6);
        assert_eq!(d.after_today, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_is_a_uk_month() {
    // 23:30 UTC on 31 March 2025 is 00:30 BST on 1 April; 23:30 UTC on 31 January 2025 is still January.
    for store in concordat_store::testing::all_backends().await.unwrap() {
        let app = App::new(store.clone(), AppConfig::default());
        app.add_organisation(
            &system(),
            "Clock Trust",
            OrgKind::MentalHealthTrust,
            None,
            None,
        )
        .await
        .unwrap();
        let mut tx = store.begin().await.unwrap();
        for at in [ms(2025, 1, 31, 23, 30), ms(2025, 3, 31, 23, 30)] {
            tx.testing_execute(&format!(
                "INSERT INTO crisis_contacts (owner_org_id, called_at, source, setting, outcome, status, created_at) \
                 SELECT id, {at}, 'police', 'street', 'advice', 'final', {at} FROM organisations WHERE name = 'Clock Trust'"
            ))
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let d = app
            .dashboard(&system(), NaiveDate::from_ymd_opt(2025, 5, 2).unwrap())
            .await
            .unwrap();
        let got: Vec<(String, i64)> = d
            .months
            .iter()
            .map(|m| (m.month.format("%Y-%m").to_string(), m.contacts))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2025-01".to_string(), 1),
                ("2025-02".to_string(), 0),
                ("2025-03".to_string(), 0),
                ("2025-04".to_string(), 1),
                ("2025-05".to_string(), 0),
            ]
        );
    }
}
