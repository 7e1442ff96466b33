//! A small SVG chart module: SPC, interrupted time series and diverging stacked bars.
//!
//! Hand-written rather than plotters because we need few chart types, full control of the accessible
//! markup (`<title>`, `<desc>`, `role="img"`) and black-and-white readability (line styles, marker
//! shapes and hatching, never colour alone), and because it keeps the build small.
//! Every chart has a data-table alternative: [`html_table`] or [`csv_table`] over the same rows.

use std::fmt::Write as _;

use crate::spc::{PointType, SpcResult};

const WIDTH: f64 = 800.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 110.0;

/// Escapes text for SVG/HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn slug(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    out.truncate(40);
    format!("chart-{}", out.trim_matches('-'))
}

/// Rounded tick positions covering `[lo, hi]`.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let (lo, hi) = if (hi - lo).abs() < 1e-12 {
        (lo - 1.0, hi + 1.0)
    } else {
        (lo, hi)
    };
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let start = (lo / step).floor() * step;
    let mut ticks = Vec::new();
    let mut t = start;
    while t <= hi + step * 0.5 && ticks.len() < 50 {
        ticks.push(t);
        t += step;
    }
    ticks
}

fn fmt_tick(v: f64) -> String {
    if v.abs() >= 1000.0 || (v.fract()).abs() < 1e-9 {
        format!("{v:.0}")
    } else if (v * 10.0).fract().abs() < 1e-9 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Plot area mapping from data to pixels, with category positions along x.
struct Frame {
    n: usize,
    y_lo: f64,
    y_hi: f64,
}

impl Frame {
    fn new(n: usize, values: impl Iterator<Item = f64>) -> Frame {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values.filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        let ticks = nice_ticks(lo, hi, 6);
        let y_lo = ticks.first().copied().unwrap_or(lo).min(lo);
        let y_hi = ticks.last().copied().unwrap_or(hi).max(hi);
        Frame { n, y_lo, y_hi }
    }

    fn x(&self, i: usize) -> f64 {
        let w = WIDTH - LEFT - RIGHT;
        if self.n <= 1 {
            LEFT + w / 2.0
        } else {
            LEFT + w * i as f64 / (self.n - 1) as f64
        }
    }

    fn y(&self, v: f64) -> f64 {
        let h = HEIGHT - TOP - BOTTOM;
        TOP + h * (1.0 - (v - self.y_lo) / (self.y_hi - self.y_lo))
    }

    fn axes(&self, svg: &mut String, labels: &[String], y_label: &str) {
        let bottom = HEIGHT - BOTTOM;
        let _ = write!(
            svg,
            r##"<g class="axes" font-family="Arial, sans-serif" font-size="12" fill="#212b32"><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}" stroke="#212b32"/><line x1="{LEFT}" y1="{bottom}" x2="{}" y2="{bottom}" stroke="#212b32"/>"##,
            WIDTH - RIGHT
        );
        for t in nice_ticks(self.y_lo, self.y_hi, 6) {
            if t < self.y_lo - 1e-9 || t > self.y_hi + 1e-9 {
                continue;
            }
            let y = self.y(t);
            let _ = write!(
                svg,
                r##"<line x1="{}" y1="{y:.1}" x2="{LEFT}" y2="{y:.1}" stroke="#212b32"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
                LEFT - 5.0,
                LEFT - 8.0,
                y + 4.0,
                fmt_tick(t)
            );
        }
        let every = labels.len().div_ceil(12).max(1);
        for (i, label) in labels.iter().enumerate() {
            if i % every != 0 && i + 1 != labels.len() {
                continue;
            }
            let x = self.x(i);
            let _ = write!(
                svg,
                r##"<line x1="{x:.1}" y1="{bottom}" x2="{x:.1}" y2="{}" stroke="#212b32"/><text transform="translate({x:.1},{}) rotate(-45)" text-anchor="end">{}</text>"##,
                bottom + 5.0,
                bottom + 14.0,
                escape(label)
            );
        }
        let mid = TOP + (HEIGHT - TOP - BOTTOM) / 2.0;
        let _ = write!(
            svg,
            r#"<text transform="translate(16,{mid:.1}) rotate(-90)" text-anchor="middle">{}</text></g>"#,
            escape(y_label)
        );
    }
}

fn open_svg(title: &str, desc: &str, height: f64) -> String {
    let id = slug(title);
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc><rect width="100%" height="100%" fill="#ffffff"/><text x="{LEFT}" y="28" font-family="Arial, sans-serif" font-size="16" font-weight="bold" fill="#212b32">{}</text>"##,
        escape(title),
        escape(desc),
        escape(title)
    )
}

fn polyline(frame: &Frame, pts: impl Iterator<Item = (usize, f64)>, style: &str) -> String {
    let coords: Vec<String> = pts
        .filter(|(_, v)| v.is_finite())
        .map(|(i, v)| format!("{:.1},{:.1}", frame.x(i), frame.y(v)))
        .collect();
    if coords.len() < 2 {
        return String::new();
    }
    format!(
        r#"<polyline fill="none" points="{}" {style}/>"#,
        coords.join(" ")
    )
}

/// Draws a legend row: each entry is a label and an SVG snippet drawn in a 24×12 box at the origin.
fn legend(svg: &mut String, entries: &[(&str, String)], y: f64) {
    let mut x = LEFT;
    let _ = write!(
        svg,
        r##"<g class="legend" font-family="Arial, sans-serif" font-size="12" fill="#212b32">"##
    );
    for (label, sample) in entries {
        let _ = write!(
            svg,
            r#"<g transform="translate({x:.1},{y:.1})">{sample}<text x="30" y="10">{}</text></g>"#,
            escape(label)
        );
        x += 40.0 + 6.5 * label.chars().count() as f64;
    }
    svg.push_str("</g>");
}

/// Marker for a point type: shapes differ so the chart reads without colour.
fn marker(kind: PointType, cx: f64, cy: f64) -> String {
    let c = kind.colour();
    match kind {
        PointType::CommonCause => {
            format!(
                r##"<circle cx="{cx:.1}" cy="{cy:.1}" r="3.5" fill="#ffffff" stroke="#4c6272" stroke-width="1.5"/>"##
            )
        }
        PointType::Improvement => format!(
            r##"<rect x="{:.1}" y="{:.1}" width="9" height="9" fill="{c}" stroke="#000000"/>"##,
            cx - 4.5,
            cy - 4.5
        ),
        PointType::Concern => format!(
            r##"<path d="M{cx:.1},{:.1} L{:.1},{cy:.1} L{cx:.1},{:.1} L{:.1},{cy:.1} Z" fill="{c}" stroke="#000000"/>"##,
            cy - 6.0,
            cx + 6.0,
            cy + 6.0,
            cx - 6.0
        ),
        PointType::Neutral => format!(
            r##"<path d="M{cx:.1},{:.1} L{:.1},{:.1} L{:.1},{:.1} Z" fill="{c}" stroke="#000000"/>"##,
            cy - 6.0,
            cx + 6.0,
            cy + 5.0,
            cx - 6.0,
            cy + 5.0
        ),
    }
}

/// Line styles: solid, dashed, dotted and dash-dot differ in black and white.
const MEAN_STYLE: &str = r##"stroke="#212b32" stroke-width="1.5""##;
const LIMIT_STYLE: &str = r##"stroke="#212b32" stroke-width="1.2" stroke-dasharray="8 4""##;
const BAND_STYLE: &str = r##"stroke="#768692" stroke-width="1" stroke-dasharray="2 3""##;
const TARGET_STYLE: &str = r##"stroke="#005eb8" stroke-width="1.5" stroke-dasharray="10 3 2 3""##;
const DATA_STYLE: &str = r##"stroke="#4c6272" stroke-width="1.2""##;

/// XmR chart: data with markers by point type, mean (solid), process limits (dashed), 2σ band (dotted),
/// and target (dash-dot) when given. `labels` are the x-axis labels, one per point.
pub fn spc_chart(
    title: &str,
    labels: &[String],
    result: &SpcResult,
    target: Option<f64>,
) -> String {
    let pts = &result.points;
    let specials = pts
        .iter()
        .filter(|p| p.point_type != PointType::CommonCause)
        .count();
    let desc = format!(
        "XmR chart of {} points with {} segment(s); {} point(s) show special cause variation. Variation: {}.{}",
        pts.len(),
        result.segments.len(),
        specials,
        result.summary.variation.label(),
        result
            .summary
            .assurance
            .map(|a| format!(" Assurance: {}.", a.label()))
            .unwrap_or_default()
    );
    let frame = Frame::new(
        pts.len(),
        pts.iter()
            .flat_map(|p| [p.value, p.lpl, p.upl])
            .chain(target.iter().copied()),
    );
    let mut svg = open_svg(title, &desc, HEIGHT);
    // The icons in words, visible as well as in the description.
    let icons = match result.summary.assurance {
        Some(a) => format!(
            "Variation: {}. Assurance: {}.",
            result.summary.variation.label(),
            a.label()
        ),
        None => format!("Variation: {}.", result.summary.variation.label()),
    };
    let _ = write!(
        svg,
        r##"<text x="{}" y="44" font-family="Arial, sans-serif" font-size="12" fill="#212b32">{}</text>"##,
        LEFT,
        escape(&icons)
    );
    frame.axes(&mut svg, labels, "value");
    for seg in &result.segments {
        let idx = seg.start..seg.end;
        let band = pts[seg.start].upper_two_sigma - seg.mean;
        svg.push_str(&polyline(
            &frame,
            idx.clone().map(|i| (i, seg.mean + band)),
            BAND_STYLE,
        ));
        svg.push_str(&polyline(
            &frame,
            idx.clone().map(|i| (i, seg.mean - band)),
            BAND_STYLE,
        ));
        svg.push_str(&polyline(
            &frame,
            idx.clone().map(|i| (i, seg.upl)),
            LIMIT_STYLE,
        ));
        svg.push_str(&polyline(
            &frame,
            idx.clone().map(|i| (i, seg.lpl)),
            LIMIT_STYLE,
        ));
        svg.push_str(&polyline(&frame, idx.map(|i| (i, seg.mean)), MEAN_STYLE));
    }
    if let Some(t) = target {
        svg.push_str(&polyline(
            &frame,
            (0..pts.len()).map(|i| (i, t)),
            TARGET_STYLE,
        ));
    }
    svg.push_str(&polyline(
        &frame,
        pts.iter().enumerate().map(|(i, p)| (i, p.value)),
        DATA_STYLE,
    ));
    for (i, p) in pts.iter().enumerate() {
        svg.push_str(&marker(p.point_type, frame.x(i), frame.y(p.value)));
    }
    let line = |style: &str| format!(r#"<line x1="0" y1="6" x2="24" y2="6" {style}/>"#);
    let mut entries = vec![
        ("mean", line(MEAN_STYLE)),
        ("process limits", line(LIMIT_STYLE)),
        ("2 sigma band", line(BAND_STYLE)),
    ];
    if target.is_some() {
        entries.push(("target", line(TARGET_STYLE)));
    }
    legend(&mut svg, &entries, HEIGHT - 38.0);
    let kinds = [
        PointType::CommonCause,
        PointType::Improvement,
        PointType::Concern,
        PointType::Neutral,
    ];
    let marks: Vec<(&str, String)> = kinds
        .iter()
        .map(|k| (k.label(), marker(*k, 12.0, 6.0)))
        .collect();
    legend(&mut svg, &marks, HEIGHT - 20.0);
    svg.push_str("</svg>\n");
    svg
}

/// Interrupted time series chart: observed (circles), fitted (solid), counterfactual after the
/// intervention (dashed) and the intervention (vertical dotted line before point `intervention`).
pub fn its_chart(
    title: &str,
    labels: &[String],
    observed: &[f64],
    fitted: &[f64],
    counterfactual: &[f64],
    intervention: usize,
) -> String {
    let desc = format!(
        "Interrupted time series of {} points, intervention at {}: observed values as circles, the fitted model as a solid line, and the counterfactual (no intervention) after it as a dashed line.",
        observed.len(),
        labels.get(intervention).map_or("?", |s| s.as_str())
    );
    let n = observed.len();
    let frame = Frame::new(
        n,
        observed
            .iter()
            .chain(fitted)
            .chain(counterfactual.iter().skip(intervention))
            .copied()
            .chain([0.0]),
    );
    let mut svg = open_svg(title, &desc, HEIGHT);
    frame.axes(&mut svg, labels, "count");
    if intervention > 0 && intervention < n {
        let x = (frame.x(intervention - 1) + frame.x(intervention)) / 2.0;
        let _ = write!(
            svg,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{}" stroke="#212b32" stroke-dasharray="2 3"/><text x="{:.1}" y="{}" font-family="Arial, sans-serif" font-size="12" fill="#212b32">intervention</text>"##,
            HEIGHT - BOTTOM,
            x + 4.0,
            TOP + 12.0
        );
    }
    let fit_style = r##"stroke="#005eb8" stroke-width="2""##;
    let cf_style = r##"stroke="#212b32" stroke-width="2" stroke-dasharray="8 4""##;
    svg.push_str(&polyline(
        &frame,
        fitted.iter().copied().enumerate().take(intervention),
        fit_style,
    ));
    svg.push_str(&polyline(
        &frame,
        fitted.iter().copied().enumerate().skip(intervention),
        fit_style,
    ));
    svg.push_str(&polyline(
        &frame,
        counterfactual
            .iter()
            .copied()
            .enumerate()
            .skip(intervention.saturating_sub(1)),
        cf_style,
    ));
    for (i, v) in observed.iter().enumerate() {
        let _ = write!(
            svg,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#ffffff" stroke="#212b32" stroke-width="1.2"/>"##,
            frame.x(i),
            frame.y(*v)
        );
    }
    let entries = [
        (
            "observed",
            r##"<circle cx="12" cy="6" r="3" fill="#ffffff" stroke="#212b32"/>"##.to_string(),
        ),
        (
            "fitted",
            format!(r#"<line x1="0" y1="6" x2="24" y2="6" {fit_style}/>"#),
        ),
        (
            "counterfactual (no intervention)",
            format!(r#"<line x1="0" y1="6" x2="24" y2="6" {cf_style}/>"#),
        ),
    ];
    legend(&mut svg, &entries, HEIGHT - 24.0);
    svg.push_str("</svg>\n");
    svg
}

/// One bar of a diverging stacked bar chart: percentages of the five Likert groups
/// (strongly disagree, disagree, neither, agree, strongly agree); `None` when suppressed.
#[derive(Debug, Clone, PartialEq)]
pub struct DivergingBar {
    /// Item label.
    pub label: String,
    /// Percentages in Likert order, or `None` for a suppressed item.
    pub shares: Option<[f64; 5]>,
    /// Respondents counted.
    pub n: usize,
}

/// Diverging stacked bar chart: disagreement left of the centre line, agreement right, "neither"
/// split across it. Each category has its own hatching as well as its colour.
pub fn diverging_bars(title: &str, bars: &[DivergingBar], category_names: &[&str; 5]) -> String {
    let row_h = 34.0;
    let label_w = 260.0;
    let height = TOP + row_h * bars.len() as f64 + 90.0;
    let desc = format!(
        "Diverging stacked bars for {} item(s): disagreement to the left of the centre line, agreement to the right, neither split across it. Suppressed items show no bar.",
        bars.len()
    );
    let mut svg = open_svg(title, &desc, height);
    let fills = ["#8a1538", "#e46c0a", "#ffffff", "#41b6e6", "#005eb8"];
    // Hatching so the five groups differ in black and white.
    svg.push_str("<defs>");
    let hatch = [
        r##"<path d="M0,8 L8,0" stroke="#ffffff" stroke-width="2"/>"##,
        r##"<path d="M0,0 L8,8" stroke="#000000" stroke-width="1"/>"##,
        r##"<circle cx="4" cy="4" r="1" fill="#000000"/>"##,
        r##"<path d="M4,0 L4,8" stroke="#000000" stroke-width="1"/>"##,
        "",
    ];
    for (k, (fill, h)) in fills.iter().zip(hatch).enumerate() {
        let _ = write!(
            svg,
            r#"<pattern id="lk{k}" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="{fill}"/>{h}</pattern>"#
        );
    }
    svg.push_str("</defs>");
    let plot_w = WIDTH - label_w - RIGHT;
    let centre = label_w + plot_w / 2.0;
    let scale = plot_w / 200.0; // ±100 %
    let _ = write!(
        svg,
        r##"<g font-family="Arial, sans-serif" font-size="12" fill="#212b32">"##
    );
    for (r, bar) in bars.iter().enumerate() {
        let y = TOP + r as f64 * row_h;
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{} (n = {})</text>"#,
            label_w - 8.0,
            y + 16.0,
            escape(&bar.label),
            bar.n
        );
        let Some(s) = bar.shares else {
            let _ = write!(
                svg,
                r#"<text x="{centre:.1}" y="{:.1}" text-anchor="middle">suppressed (fewer than the minimum respondents)</text>"#,
                y + 16.0
            );
            continue;
        };
        let mut x = centre - (s[0] + s[1] + s[2] / 2.0) * scale;
        for (k, share) in s.iter().enumerate() {
            let w = share * scale;
            if w > 0.0 {
                let _ = write!(
                    svg,
                    r##"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="22" fill="url(#lk{k})" stroke="#212b32" stroke-width="0.5"><title>{}: {share:.1}%</title></rect>"##,
                    escape(category_names[k])
                );
                if *share >= 8.0 {
                    let _ = write!(
                        svg,
                        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="11" stroke="#ffffff" stroke-width="3" paint-order="stroke">{share:.0}%</text>"##,
                        x + w / 2.0,
                        y + 15.0
                    );
                }
            }
            x += w;
        }
    }
    let bottom = TOP + row_h * bars.len() as f64;
    let _ = write!(
        svg,
        r##"<line x1="{centre:.1}" y1="{}" x2="{centre:.1}" y2="{bottom:.1}" stroke="#000000" stroke-width="1.5"/>"##,
        TOP - 6.0
    );
    for pct in [-100.0f64, -50.0, 0.0, 50.0, 100.0] {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}%</text>"#,
            centre + pct * scale,
            bottom + 16.0,
            pct.abs()
        );
    }
    svg.push_str("</g>");
    let entries: Vec<(&str, String)> = (0..5)
        .map(|k| {
            (
                category_names[k],
                format!(r##"<rect x="0" y="0" width="24" height="12" fill="url(#lk{k})" stroke="#212b32"/>"##),
            )
        })
        .collect();
    legend(&mut svg, &entries, height - 30.0);
    svg.push_str("</svg>\n");
    svg
}

/// An HTML `<table>` with a caption: the data-table alternative to a chart.
pub fn html_table(caption: &str, header: &[String], rows: &[Vec<String>]) -> String {
    let mut s = format!(
        "<table>\n<caption>{}</caption>\n<thead><tr>",
        escape(caption)
    );
    for h in header {
        let _ = write!(s, r#"<th scope="col">{}</th>"#, escape(h));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        s.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            if i == 0 {
                let _ = write!(s, r#"<th scope="row">{}</th>"#, escape(cell));
            } else {
                let _ = write!(s, "<td>{}</td>", escape(cell));
            }
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody>\n</table>\n");
    s
}

/// CSV text (RFC 4180 quoting) of a header and rows: the machine-readable data-table alternative.
pub fn csv_table(header: &[String], rows: &[Vec<String>]) -> String {
    let quote = |c: &String| {
        if c.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", c.replace('"', "\"\""))
        } else {
            c.clone()
        }
    };
    let mut s = String::new();
    for row in std::iter::once(header).chain(rows.iter().map(|r| r.as_slice())) {
        s.push_str(&row.iter().map(quote).collect::<Vec<_>>().join(","));
        s.push('\n');
    }
    s
}

/// Aligned plain-text table for terminals.
pub fn text_table(header: &[String], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut s = String::new();
    let line = |cells: &[String], s: &mut String| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        s.push_str(parts.join("  ").trim_end());
        s.push('\n');
    };
    line(header, &mut s);
    line(
        &widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>(),
        &mut s,
    );
    for row in rows {
        line(row, &mut s);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_csv_quoting() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        let csv = csv_table(
            &["a".into(), "b".into()],
            &[vec!["x,y".into(), "say \"hi\"".into()]],
        );
        assert_eq!(csv, "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n");
    }

    #[test]
    fn ticks_cover_the_range() {
        let t = nice_ticks(-0.7, 4.6, 6);
        assert!(t[0] <= -0.7 && *t.last().unwrap() >= 4.6);
        assert!(nice_ticks(5.0, 5.0, 5).len() > 1);
    }
}
