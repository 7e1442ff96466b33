//! Economics: the seeded table, CSV editing, uprating, costs avoided by bearer.

use concordat_insight::economics::{self, Bearer, EventsAvoided, UNKNOWN_YEAR};
use concordat_insight::its::{self, Family, ItsOptions};

/// An index for tests only: the values are illustrative, not a published series.
const TEST_INDEX: &str = "price_year,index,source\n2013/14,100,test index (illustrative)\n2016/17,105\n2018/19,110\n2024/25,132\n";

#[test]
fn seeded_table_has_every_brief_figure_with_source_and_year() {
    let t = economics::seed_table();
    let find = |item: &str| t.iter().find(|c| c.item == item).unwrap();
    assert_eq!(find("999 call").cost, 7.33);
    assert_eq!(find("ambulance see and treat").cost, 209.38);
    assert_eq!(find("ambulance see, treat and convey").cost, 257.34);
    assert_eq!(find("A&E attendance").bearer, Bearer::AcuteTrust);
    assert_eq!(find("ED attendance, admitted").price_year, "2013/14");
    assert_eq!(find("ED attendance, not admitted").cost, 114.0);
    assert!(
        find("adult acute mental health bed day")
            .source
            .contains("weak source")
    );
    assert_eq!(find("street triage, per person").price_year, UNKNOWN_YEAR);
    assert!(
        t.iter()
            .all(|c| !c.source.is_empty() && !c.price_year.is_empty())
    );
}

#[test]
fn the_table_round_trips_through_csv_and_bad_rows_name_the_line() {
    let t = economics::seed_table();
    let csv = economics::costs_to_csv(&t);
    assert_eq!(
        economics::parse_costs(csv.as_bytes(), "costs.csv").unwrap(),
        t
    );
    let bad = "item,cost,price_year,source,bearer\nA,1,2020/21,s,police\nB,lots,2020/21,s,police\n";
    let err = economics::parse_costs(bad.as_bytes(), "costs.csv")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("costs.csv, line 3: column \"cost\""),
        "{err}"
    );
    let no_source = "item,cost,price_year,source,bearer\nA,1,2020/21,,police\n";
    assert!(
        economics::parse_costs(no_source.as_bytes(), "c")
            .unwrap_err()
            .to_string()
            .contains("needs a source")
    );
    let edited = "item,cost,price_year,source,bearer\npolice officer hour,£1,234.50,2023/24,GMCA unit cost database,police\n";
    // A comma inside an unquoted cost splits the row: reported, not guessed.
    assert!(economics::parse_costs(edited.as_bytes(), "c").is_err());
}

#[test]
fn uprating_scales_by_the_index_and_notes_it() {
    let idx = economics::parse_index(TEST_INDEX.as_bytes(), "index.csv").unwrap();
    let t: Vec<_> = economics::seed_table()
        .into_iter()
        .filter(|c| c.price_year != UNKNOWN_YEAR)
        .collect();
    let up = economics::uprate(&t, &idx, "2024/25").unwrap();
    let ae = up.iter().find(|c| c.item == "A&E attendance").unwrap();
    assert!((ae.cost - 135.0 * 132.0 / 110.0).abs() < 1e-9);
    assert_eq!(ae.price_year, "2024/25");
    assert!(ae.source.contains("£135.00 at 2018/19 prices"));
    assert!(ae.source.contains("test index (illustrative)"));
    // Costs of unknown price year are refused, naming the item.
    let err = economics::uprate(&economics::seed_table(), &idx, "2024/25")
        .unwrap_err()
        .to_string();
    assert!(err.contains("street triage, per person"), "{err}");
    assert!(economics::uprate(&t, &idx, "2030/31").is_err());
}

#[test]
fn costs_avoided_split_by_bearer_from_an_its_result() {
    let text = include_str!("../../testdata/sicily.csv");
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<Vec<f64>> = rdr
        .records()
        .map(|r| {
            r.unwrap()
                .iter()
                .map(|c| c.parse::<f64>().unwrap())
                .collect()
        })
        .collect();
    let data = its::ItsData {
        counts: rows.iter().map(|r| r[2]).collect(),
        intervention: 36,
        exposure: Some(rows.iter().map(|r| r[6]).collect()),
        season: Some(rows.iter().map(|r| r[1]).collect()),
        period: 12.0,
    };
    let fit = its::fit(
        &data,
        &ItsOptions {
            family: Family::QuasiPoisson,
            harmonics: 2,
            ..ItsOptions::default()
        },
    )
    .unwrap();
    let e = fit.events_averted;
    let events = vec![
        EventsAvoided {
            item: "ambulance see, treat and convey".into(),
            estimate: e.estimate,
            interval: Some((e.lower, e.upper)),
            basis: "ITS".into(),
        },
        EventsAvoided {
            item: "a&e attendance".into(),
            estimate: e.estimate,
            interval: None,
            basis: "ITS".into(),
        },
    ];
    let r = economics::costs_avoided(&economics::seed_table(), &events).unwrap();
    assert!((r.lines[0].total - e.estimate * 257.34).abs() < 1e-6);
    assert!((r.lines[0].interval.unwrap().0 - e.lower * 257.34).abs() < 1e-6);
    assert_eq!(r.by_bearer.len(), 2);
    assert_eq!(r.by_bearer[0].bearer, Bearer::Ambulance);
    assert!((r.total - e.estimate * (257.34 + 135.0)).abs() < 1e-6);
    assert_eq!(r.price_years, vec!["2018/19"]);
    let text = economics::render_avoided(&r);
    assert!(text.contains("NHS reference costs c. 2018/19"));
    assert!(text.contains("2018/19 prices"));

    let mixed = vec![
        EventsAvoided {
            item: "999 call".into(),
            estimate: 10.0,
            interval: None,
            basis: "given".into(),
        },
        EventsAvoided {
            item: "ED attendance, admitted".into(),
            estimate: 10.0,
            interval: None,
            basis: "given".into(),
        },
    ];
    let r = economics::costs_avoided(&economics::seed_table(), &mixed).unwrap();
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("different price years"))
    );
    let err = economics::costs_avoided(
        &economics::seed_table(),
        &[EventsAvoided {
            item: "helicopter".into(),
            estimate: 1.0,
            interval: None,
            basis: String::new(),
        }],
    );
    assert!(
        err.unwrap_err()
            .to_string()
            .contains("no unit cost for \"helicopter\"")
    );
}
