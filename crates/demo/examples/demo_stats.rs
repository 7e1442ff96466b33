//! Generates a demo region and prints the figures quoted in docs/demo-data.md.
//!
//! `cargo run --release -p concordat-demo --example demo_stats [-- SEED [RESIDENTS [YEARS]]]`

use std::time::Instant;

fn main() {
    let mut params = concordat_demo::DemoParams::default();
    let args: Vec<String> = std::env::args().skip(1).collect();
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
}
