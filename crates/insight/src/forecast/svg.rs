//! The two figures of the where-and-when commands: an hour × day heat map and a grid map.
//!
//! Kept here rather than in `chart` because they were written alongside it; both follow its
//! rules: `<title>` and `<desc>`, `role="img"`, and readable printed in black and white (grey
//! levels plus the value written in each heat-map cell, outlines for flagged map cells).

use std::fmt::Write;

use crate::chart::escape;

/// Grey level for a value in [0, 1]: white for 0, near-black for 1.
fn grey(frac: f64) -> String {
    let v = (255.0 - 215.0 * frac.clamp(0.0, 1.0)).round() as u8;
    format!("#{v:02x}{v:02x}{v:02x}")
}

/// Day names, Monday first (hour of week 0 is Monday 00:00).
pub const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// An hour (columns) × day (rows) heat map of 168 hour-of-week values, each cell labelled with its
/// value so the chart reads without colour.
pub fn heat_map(title: &str, desc: &str, values: &[f64; 168], decimals: usize) -> String {
    let (cell_w, cell_h, left, top) = (34.0, 26.0, 48.0, 56.0);
    let width = left + 24.0 * cell_w + 16.0;
    let height = top + 7.0 * cell_h + 40.0;
    let max = values.iter().copied().fold(0.0_f64, f64::max);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="t d" viewBox="0 0 {width} {height}" width="{width}" height="{height}" font-family="Arial, sans-serif" font-size="11">
<title id="t">{}</title>
<desc id="d">{}</desc>
<rect width="100%" height="100%" fill="white"/>
<text x="{left}" y="20" font-size="14" font-weight="bold">{}</text>
"#,
        escape(title),
        escape(desc),
        escape(title)
    );
    for h in 0..24 {
        let x = left + h as f64 * cell_w + cell_w / 2.0;
        let _ = writeln!(
            s,
            r#"<text x="{x}" y="{}" text-anchor="middle">{h:02}</text>"#,
            top - 6.0
        );
    }
    for (d, day) in DAYS.iter().enumerate() {
        let y = top + d as f64 * cell_h;
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end">{day}</text>"#,
            left - 6.0,
            y + cell_h / 2.0 + 4.0
        );
        for h in 0..24 {
            let v = values[d * 24 + h];
            let frac = if max > 0.0 { v / max } else { 0.0 };
            let x = left + h as f64 * cell_w;
            let ink = if frac > 0.55 { "white" } else { "black" };
            let _ = writeln!(
                s,
                r##"<rect x="{x}" y="{y}" width="{cell_w}" height="{cell_h}" fill="{}" stroke="#888" stroke-width="0.5"><title>{day} {h:02}:00 {v:.decimals$}</title></rect><text x="{}" y="{}" text-anchor="middle" font-size="9" fill="{ink}">{v:.decimals$}</text>"##,
                grey(frac),
                x + cell_w / 2.0,
                y + cell_h / 2.0 + 3.0
            );
        }
    }
    let _ = writeln!(
        s,
        r#"<text x="{left}" y="{}">Hour of day (columns) by day of week (rows); darker means more. Maximum {max:.decimals$}.</text>"#,
        top + 7.0 * cell_h + 24.0
    );
    s.push_str("</svg>\n");
    s
}

/// A grid map: `values[row * nx + col]` with row 0 at the bottom (north up), flagged cells drawn
/// with a thick black outline and a cross so they survive photocopying.
pub fn grid_map(
    title: &str,
    desc: &str,
    nx: usize,
    ny: usize,
    values: &[f64],
    flagged: &[bool],
) -> String {
    let size = (640.0 / nx.max(ny).max(1) as f64).clamp(4.0, 40.0);
    let (left, top) = (20.0, 40.0);
    let width = left * 2.0 + nx as f64 * size;
    let height = top + ny as f64 * size + 50.0;
    let max = values.iter().copied().fold(0.0_f64, f64::max);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="t d" viewBox="0 0 {width} {height}" width="{width}" height="{height}" font-family="Arial, sans-serif" font-size="11">
<title id="t">{}</title>
<desc id="d">{}</desc>
<rect width="100%" height="100%" fill="white"/>
<text x="{left}" y="22" font-size="14" font-weight="bold">{}</text>
"#,
        escape(title),
        escape(desc),
        escape(title)
    );
    for row in 0..ny {
        for col in 0..nx {
            let i = row * nx + col;
            let v = values.get(i).copied().unwrap_or(0.0);
            if v <= 0.0 && !flagged.get(i).copied().unwrap_or(false) {
                continue;
            }
            let x = left + col as f64 * size;
            let y = top + (ny - 1 - row) as f64 * size;
            let frac = if max > 0.0 { v / max } else { 0.0 };
            let _ = writeln!(
                s,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{size:.1}" height="{size:.1}" fill="{}"/>"#,
                grey(frac.sqrt())
            );
        }
    }
    for row in 0..ny {
        for col in 0..nx {
            let i = row * nx + col;
            if flagged.get(i).copied().unwrap_or(false) {
                let x = left + col as f64 * size;
                let y = top + (ny - 1 - row) as f64 * size;
                let _ = writeln!(
                    s,
                    r#"<rect x="{x:.1}" y="{y:.1}" width="{size:.1}" height="{size:.1}" fill="none" stroke="black" stroke-width="2"/><path d="M{x:.1},{y:.1}l{size:.1},{size:.1}M{:.1},{y:.1}l-{size:.1},{size:.1}" stroke="black" stroke-width="1"/>"#,
                    x + size
                );
            }
        }
    }
    let _ = writeln!(
        s,
        r##"<rect x="{left}" y="{top}" width="{:.1}" height="{:.1}" fill="none" stroke="#444"/>"##,
        nx as f64 * size,
        ny as f64 * size
    );
    let _ = writeln!(
        s,
        r#"<text x="{left}" y="{:.1}">North is up. Darker cells: higher predicted intensity. Outlined cells with a cross: flagged hotspots.</text>"#,
        top + ny as f64 * size + 24.0
    );
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_map_is_accessible_and_escaped() {
        let mut v = [0.0; 168];
        v[20] = 3.5;
        let svg = heat_map("Demand <A&B>", "Expected incidents", &v, 1);
        assert!(svg.contains("<title id=\"t\">Demand &lt;A&amp;B&gt;</title>"));
        assert!(svg.contains("<desc id=\"d\">Expected incidents</desc>"));
        assert!(svg.contains("Mon 20:00 3.5"));
        assert_eq!(svg.matches("<rect x=").count(), 168);
    }

    #[test]
    fn grid_map_marks_flagged_cells() {
        let svg = grid_map(
            "Map",
            "d",
            2,
            2,
            &[1.0, 0.0, 0.0, 4.0],
            &[false, false, false, true],
        );
        assert_eq!(svg.matches("stroke-width=\"2\"").count(), 1);
        assert!(svg.starts_with("<svg"));
    }
}
