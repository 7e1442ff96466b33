//! SVG charts: accessible markup, black-and-white readable styles, data-table alternatives.

use concordat_insight::chart;
use concordat_insight::spc::{self, Improvement, SpcOptions};

#[test]
fn spc_chart_has_title_description_and_distinct_markers() {
    let mut v = vec![
        1., 2., 1., 2., 10., 1., 2., 1., 2., 1., 2., 1., 2., 1., 2., 1., 2., 1.,
    ];
    v.extend([-5.0]);
    let r = spc::xmr(
        &v,
        &SpcOptions {
            improvement: Improvement::Up,
            target: Some(3.0),
            ..SpcOptions::default()
        },
    )
    .unwrap();
    let labels: Vec<String> = (1..=v.len()).map(|i| format!("2024-{i:02}")).collect();
    let svg = chart::spc_chart("Detentions <s136>", &labels, &r, Some(3.0));
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.contains("role=\"img\""));
    assert!(
        svg.contains("<title id=\"chart-detentions--s136-title\">Detentions &lt;s136&gt;</title>")
    );
    assert!(svg.contains("<desc"));
    assert!(svg.contains("Variation: special cause concern (low)"));
    // Improvement is a square, concern a diamond: shape, not only colour.
    assert!(svg.contains("<rect x=") && svg.contains("fill=\"#00b0f0\""));
    assert!(svg.contains("fill=\"#e46c0a\""));
    // Limits are dashed, the band dotted, the target dash-dot.
    assert!(svg.contains("stroke-dasharray=\"8 4\""));
    assert!(svg.contains("stroke-dasharray=\"2 3\""));
    assert!(svg.contains("stroke-dasharray=\"10 3 2 3\""));
    assert!(svg.trim_end().ends_with("</svg>"));
}

#[test]
fn its_chart_shows_observed_fitted_and_counterfactual() {
    let obs = [10., 12., 11., 13., 8., 7., 8., 9.];
    let fit = [10.5, 11.5, 12.0, 12.5, 8.0, 8.1, 8.2, 8.3];
    let cf = [10.5, 11.5, 12.0, 12.5, 13.0, 13.5, 14.0, 14.5];
    let labels: Vec<String> = (1..=8).map(|i| format!("m{i}")).collect();
    let svg = chart::its_chart("ITS", &labels, &obs, &fit, &cf, 4);
    assert_eq!(svg.matches("<circle").count(), 8 + 1); // points plus the legend sample
    assert!(svg.contains("counterfactual (no intervention)"));
    assert!(svg.contains("intervention at m5"));
}

#[test]
fn data_table_alternatives_escape_and_quote() {
    let header = vec!["date".to_string(), "value".to_string()];
    let rows = vec![vec!["2024-01".to_string(), "<5".to_string()]];
    let html = chart::html_table("Counts & rates", &header, &rows);
    assert!(html.contains("<caption>Counts &amp; rates</caption>"));
    assert!(html.contains("<th scope=\"col\">date</th>"));
    assert!(html.contains("<th scope=\"row\">2024-01</th><td>&lt;5</td>"));
    assert_eq!(chart::csv_table(&header, &rows), "date,value\n2024-01,<5\n");
}
