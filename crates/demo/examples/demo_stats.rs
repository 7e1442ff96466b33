//! Generates a demo region and prints the figures quoted in docs/demo-data.md.
//!
//! `cargo run --release -p concordat-demo --example demo_stats [-- [--csv DIR] [--json FILE] [SEED [RESIDENTS [YEARS]]]]`
//!
//! With `--csv DIR` it also writes `DIR/contacts.csv` and `DIR/monthly.csv`; with `--json FILE`, the whole region.
//! The interrupted time series fitted here is a plain Poisson regression by IRLS, enough to show the built-in
//! effect; the insight crate has the full method.

use std::time::Instant;

/// Fits a Poisson GLM with log link by iteratively reweighted least squares; returns the coefficients.
#[allow(clippy::needless_range_loop)] // index form mirrors the algebra
fn poisson_glm(x: &[Vec<f64>], y: &[f64], offset: &[f64]) -> Option<Vec<f64>> {
    let p = x.first()?.len();
    let mut beta = vec![0.0; p];
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    beta[0] = mean.max(1e-9).ln() - offset.iter().sum::<f64>() / offset.len() as f64;
    for _ in 0..50 {
        let mut xtwx = vec![vec![0.0; p]; p];
        let mut xtwz = vec![0.0; p];
        for ((row, yi), oi) in x.iter().zip(y).zip(offset) {
            let eta: f64 = row.iter().zip(&beta).map(|(a, b)| a * b).sum::<f64>() + oi;
            let mu = eta.exp();
            let z = eta - oi + (yi - mu) / mu;
            for i in 0..p {
                xtwz[i] += row[i] * mu * z;
                for j in 0..p {
                    xtwx[i][j] += row[i] * mu * row[j];
                }
            }
        }
        let next = solve(xtwx, xtwz)?;
        let change: f64 = next.iter().zip(&beta).map(|(a, b)| (a - b).abs()).sum();
        beta = next;
        if change < 1e-10 {
            break;
        }
    }
    Some(beta)
}

/// Gaussian elimination with partial pivoting.
#[allow(clippy::needless_range_loop)] // index form mirrors the algebra
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|i, j| a[*i][col].abs().total_cmp(&a[*j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..n {
            let f = a[row][col] / a[col][col];
            for k in col..n {
                a[row][k] -= f * a[col][k];
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

fn main() -> std::io::Result<()> {
    let mut params = concordat_demo::DemoParams::default();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut take = |flag: &str| {
        let i = args.iter().position(|a| a == flag)?;
        let value = args.get(i + 1).cloned();
        args.drain(i..(i + 2).min(args.len()));
        value
    };
    let csv_dir = take("--csv");
    let json_file = take("--json");
    if let Some(seed) = args.first().and_then(|s| s.parse().ok()) {
        params.seed = seed;
    }
    if let Some(residents) = args.get(1).and_then(|s| s.parse().ok()) {
        params.residents = residents;
    }
    if let Some(years) = args.get(2).and_then(|s| s.parse().ok()) {
        params.years = years;
    }
    let started = Instant::now();
    let region = concordat_demo::generate(&params);
    let elapsed = started.elapsed();
    let summary = concordat_demo::summarise(&region);
    println!("generated in {:.2} s", elapsed.as_secs_f64());
    println!("{summary:#?}");

    let months = concordat_demo::monthly_counts(&region);
    let x: Vec<Vec<f64>> = months
        .iter()
        .map(|m| {
            let angle = std::f64::consts::TAU * f64::from(m.month_of_year) / 12.0;
            vec![
                1.0,
                f64::from(m.time),
                f64::from(m.triage),
                angle.cos(),
                angle.sin(),
            ]
        })
        .collect();
    let y: Vec<f64> = months.iter().map(|m| f64::from(m.s136)).collect();
    let none = vec![0.0; y.len()];
    let per_contact: Vec<f64> = months.iter().map(|m| f64::from(m.contacts).ln()).collect();
    if let Some(b) = poisson_glm(&x, &y, &none) {
        println!(
            "ITS (Poisson, s136 per month, trend + step + 1 harmonic): level rate ratio {:.3}, trend {:.4}/month",
            b[2].exp(),
            b[1].exp()
        );
    }
    if let Some(b) = poisson_glm(&x, &y, &per_contact) {
        println!(
            "ITS (Poisson, s136 per contact, offset log contacts): level rate ratio {:.3}",
            b[2].exp()
        );
    }
    if let Some(file) = json_file {
        let out = std::io::BufWriter::new(std::fs::File::create(&file)?);
        serde_json::to_writer(out, &region).map_err(std::io::Error::other)?;
        println!("wrote {file}");
    }
    if let Some(dir) = csv_dir {
        std::fs::create_dir_all(&dir)?;
        let path = std::path::Path::new(&dir);
        concordat_demo::write_contacts_csv(
            &region,
            std::io::BufWriter::new(std::fs::File::create(path.join("contacts.csv"))?),
        )?;
        concordat_demo::write_monthly_csv(
            &region,
            std::io::BufWriter::new(std::fs::File::create(path.join("monthly.csv"))?),
        )?;
        println!("wrote {dir}/contacts.csv and {dir}/monthly.csv");
    }
    Ok(())
}
