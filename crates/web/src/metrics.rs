//! Prometheus metrics, written by hand in the text exposition format (no metrics crates: they would pull
//! in far more code than these few series need). Off unless `concordat serve --metrics` is given.
//!
//! Requests are labelled by the route's template (`/people/{id}`), never by the path a client sent, so no
//! identifier reaches the metrics and the number of series stays bounded.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use concordat_store::Store;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Upper bounds of the request latency histogram's buckets, in seconds.
const LATENCY_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// One route's figures for one method.
#[derive(Debug, Default)]
struct RouteSeries {
    /// Responses by status code.
    by_status: BTreeMap<u16, u64>,
    /// Non-cumulative counts per latency bucket; the last slot is +Inf.
    buckets: [u64; LATENCY_BUCKETS.len() + 1],
    sum_seconds: f64,
    count: u64,
}

/// Request counts and latencies by route, shared by the middleware and the `/metrics` handler.
/// Keyed by route template, then method, so that recording a request allocates nothing once its series exists.
#[derive(Debug, Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<String, Vec<(String, RouteSeries)>>>,
}

impl Metrics {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        // A poisoned lock only means another request panicked mid-update: the counts are still usable.
        let mut routes = self
            .routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !routes.contains_key(route) {
            routes.insert(route.to_string(), Vec::new());
        }
        let Some(methods) = routes.get_mut(route) else {
            return;
        };
        let i = match methods.iter().position(|(m, _)| m == method) {
            Some(i) => i,
            None => {
                methods.push((method.to_string(), RouteSeries::default()));
                methods.len() - 1
            }
        };
        let s = &mut methods[i].1;
        *s.by_status.entry(status).or_default() += 1;
        let i = LATENCY_BUCKETS
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(LATENCY_BUCKETS.len());
        s.buckets[i] += 1;
        s.sum_seconds += seconds;
        s.count += 1;
    }

    /// The text exposition of every series, plus the store's pool use and audit append times.
    pub fn render(&self, store: &Store) -> String {
        let mut out = String::new();
        let routes = self
            .routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        out.push_str("# HELP concordat_http_requests_total HTTP responses by method, route template and status.\n");
        out.push_str("# TYPE concordat_http_requests_total counter\n");
        let series = || {
            routes
                .iter()
                .flat_map(|(route, ms)| ms.iter().map(move |(method, s)| (method, route, s)))
        };
        for (method, route, s) in series() {
            for (status, n) in &s.by_status {
                let _ = writeln!(
                    out,
                    "concordat_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(method),
                    escape(route)
                );
            }
        }
        out.push_str("# HELP concordat_http_request_duration_seconds Time from receiving a request to its response, by method and route template.\n");
        out.push_str("# TYPE concordat_http_request_duration_seconds histogram\n");
        for (method, route, s) in series() {
            let labels = format!("method=\"{}\",route=\"{}\"", escape(method), escape(route));
            let mut running = 0;
            for (i, b) in LATENCY_BUCKETS.iter().enumerate() {
                running += s.buckets[i];
                let _ = writeln!(
                    out,
                    "concordat_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {running}"
                );
            }
            let _ = writeln!(
                out,
                "concordat_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "concordat_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum_seconds
            );
            let _ = writeln!(
                out,
                "concordat_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        drop(routes);
        let pool = store.pool_stats();
        out.push_str(
            "# HELP concordat_db_pool_connections Database connections in the pool, by state.\n",
        );
        out.push_str("# TYPE concordat_db_pool_connections gauge\n");
        let _ = writeln!(
            out,
            "concordat_db_pool_connections{{state=\"in_use\"}} {}",
            pool.open.saturating_sub(pool.idle)
        );
        let _ = writeln!(
            out,
            "concordat_db_pool_connections{{state=\"idle\"}} {}",
            pool.idle
        );
        out.push_str(
            "# HELP concordat_db_pool_max_connections The most connections the pool will open.\n",
        );
        out.push_str("# TYPE concordat_db_pool_max_connections gauge\n");
        let _ = writeln!(out, "concordat_db_pool_max_connections {}", pool.max);
        let h = concordat_store::metrics::audit_append_histogram();
        out.push_str("# HELP concordat_audit_append_duration_seconds Time to append one event to the audit chain, waiting for the chain head included.\n");
        out.push_str("# TYPE concordat_audit_append_duration_seconds histogram\n");
        for (b, n) in &h.buckets {
            let _ = writeln!(
                out,
                "concordat_audit_append_duration_seconds_bucket{{le=\"{b}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "concordat_audit_append_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            h.count
        );
        let _ = writeln!(
            out,
            "concordat_audit_append_duration_seconds_sum {}",
            h.sum_seconds
        );
        let _ = writeln!(
            out,
            "concordat_audit_append_duration_seconds_count {}",
            h.count
        );
        out
    }
}

/// Escapes a label value: backslash, double quote and newline.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware: counts and times every request under its route template ("(unmatched)" for 404s that
/// matched no route).
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    // Both are cheap clones (an Arc and, for standard methods, no allocation).
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = req.method().clone();
    let start = Instant::now();
    let res = next.run(req).await;
    metrics.record(
        method.as_str(),
        route.as_ref().map_or("(unmatched)", MatchedPath::as_str),
        res.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    res
}

/// `GET /metrics`.
pub fn exposition(metrics: &Metrics, store: &Store) -> Response {
    let mut res = metrics.render(store).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn latency_lands_in_the_right_bucket() {
        let m = Metrics::default();
        m.record("GET", "/x", 200, 0.003);
        m.record("GET", "/x", 200, 0.2);
        m.record("GET", "/x", 500, 60.0);
        let routes = m
            .routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let s = &routes["/x"][0].1;
        assert_eq!(s.buckets[0], 1);
        assert_eq!(s.buckets[5], 1);
        assert_eq!(s.buckets[LATENCY_BUCKETS.len()], 1);
        assert_eq!(s.by_status[&200], 2);
        assert_eq!(s.count, 3);
    }
}
