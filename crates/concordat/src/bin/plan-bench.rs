//! Sets up the plan-lookup benchmark: a fresh database (SQLite or PostgreSQL) holding the synthetic
//! region padded to `--people` people, served on `--listen`, with bearer tokens and the ids of people
//! with plans written to `--out` for the load generator (scripts/bench/plans.sh drives wrk).
//!
//! Usage: plan-bench --database sqlite|postgres://USER@HOST:PORT/DB --people 100000 --listen 127.0.0.1:18150 --out DIR

use concordat_app::auth::SessionKind;
use concordat_app::{App, AppConfig};
use std::process::ExitCode;

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("plan-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let db = arg(&args, "--database", "sqlite");
    let people: u32 = arg(&args, "--people", "100000")
        .parse()
        .map_err(|_| "--people must be a number")?;
    let listen = arg(&args, "--listen", "127.0.0.1:18150");
    let out = std::path::PathBuf::from(arg(&args, "--out", "/tmp/plan-bench"));
    // --pool N: the database pool size (default: the server's, 8 for SQLite and 16 for PostgreSQL).
    let pool = match arg(&args, "--pool", "") {
        s if s.is_empty() => None,
        s => Some(s.parse::<u32>().map_err(|_| "--pool must be a number")?),
    };
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let store = if db == "sqlite" {
        concordat_store::testing::fresh_sqlite_with(pool).await
    } else {
        concordat_store::testing::fresh_postgres_with(&db, pool).await
    }
    .map_err(|e| e.to_string())?;
    let app = App::new(store.clone(), AppConfig::default());
    let mut params = concordat_demo::DemoParams {
        years: 1,
        ..Default::default()
    };
    let region = concordat_demo::generate(&params);
    let have = u32::try_from(region.people.len()).unwrap_or(u32::MAX);
    params.extra_people = people.saturating_sub(have);
    let region = concordat_demo::generate(&params);
    let t = std::time::Instant::now();
    let password = "bench kettle harbour";
    app.load_demo(&region, password)
        .await
        .map_err(|e| e.to_string())?;
    let mut tx = store.begin().await.map_err(|e| e.to_string())?;
    let n = tx.people_count().await.map_err(|e| e.to_string())?;
    drop(tx);
    eprintln!(
        "loaded {n} people, {} plans in {:.1}s",
        region.crisis_plans.len(),
        t.elapsed().as_secs_f64()
    );
    // Person ids with plans: the demo loads people in order, so ids follow region.people.
    let index: std::collections::HashMap<&str, usize> = region
        .people
        .iter()
        .enumerate()
        .map(|(i, p)| (p.key.as_str(), i + 1))
        .collect();
    let with_plan: Vec<usize> = region
        .crisis_plans
        .iter()
        .filter_map(|p| index.get(p.person.as_str()).copied())
        .collect();
    // Half the lookups are of people with a plan, half of anyone among the `people` (a fixed LCG).
    let total = usize::try_from(n).unwrap_or(1).max(1);
    let mut x: u64 = 20_171_211;
    let ids: Vec<String> = (0..20_000usize)
        .map(|i| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            if i % 2 == 0 && !with_plan.is_empty() {
                with_plan[(i / 2) % with_plan.len()].to_string()
            } else {
                ((usize::try_from(x >> 33).unwrap_or(0) % total) + 1).to_string()
            }
        })
        .collect();
    std::fs::write(out.join("ids.txt"), ids.join("\n") + "\n").map_err(|e| e.to_string())?;
    for user in ["demo.paramedic", "demo.triage"] {
        let s = app
            .sign_in(user, password, None, "127.0.0.1", SessionKind::Bearer, None)
            .await
            .map_err(|e| e.to_string())?;
        std::fs::write(out.join(format!("{user}.token")), s.token).map_err(|e| e.to_string())?;
    }
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| e.to_string())?;
    eprintln!("serving on {listen}; ids and tokens in {}", out.display());
    std::fs::write(out.join("ready"), "ready").map_err(|e| e.to_string())?;
    concordat_web::serve(
        listener,
        concordat_web::AppState {
            app,
            cfg: Default::default(),
            demo: true,
        },
    )
    .await
    .map_err(|e| e.to_string())
}
