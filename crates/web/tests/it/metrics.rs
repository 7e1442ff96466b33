//! Prometheus metrics: off by default; when on, requests are counted and timed by route template
//! (never by the path sent), with pool use and audit append times.

use crate::harness::{get, send, system};
use axum::http::StatusCode;
use concordat_app::{App, AppConfig};

#[tokio::test]
async fn metrics_count_requests_by_route_template_when_turned_on() {
    for store in concordat_store::testing::all_backends().await.unwrap() {
        let app = App::new(store.clone(), AppConfig::default());
        // One audit append, so the histogram has something in it.
        app.add_organisation(
            &system(),
            "Metrics Trust",
            concordat_domain::OrgKind::MentalHealthTrust,
            None,
            None,
        )
        .await
        .unwrap();
        let state = concordat_web::AppState {
            app,
            cfg: Default::default(),
            demo: false,
        };
        // Off by default: no /metrics.
        let plain = concordat_web::router(state.clone());
        assert_eq!(
            send(&plain, get("/metrics", &[])).await.status,
            StatusCode::NOT_FOUND
        );
        let router = concordat_web::with_metrics(concordat_web::router(state.clone()), &state);
        for _ in 0..3 {
            assert_eq!(
                send(&router, get("/healthz", &[])).await.status,
                StatusCode::OK
            );
        }
        let person = send(&router, get("/people/123?q=9434765919", &[])).await;
        assert!(person.status.is_redirection() || person.status == StatusCode::UNAUTHORIZED);
        assert_eq!(
            send(&router, get("/no/such/page", &[])).await.status,
            StatusCode::NOT_FOUND
        );
        let res = send(&router, get("/metrics", &[])).await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(
            res.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        let body = res.body;
        assert!(
            body.contains(
                r#"concordat_http_requests_total{method="GET",route="/healthz",status="200"} 3"#
            ),
            "{body}"
        );
        assert!(body.contains(r#"route="/people/{id}""#), "{body}");
        assert!(
            !body.contains("/people/123") && !body.contains("9434765919"),
            "{body}"
        );
        assert!(
            body.contains(r#"route="(unmatched)",status="404"} 1"#),
            "{body}"
        );
        assert!(
            body.contains(
                r#"concordat_http_request_duration_seconds_count{method="GET",route="/healthz"} 3"#
            ),
            "{body}"
        );
        assert!(
            body.contains(r#"concordat_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"} 3"#),
            "{body}"
        );
        assert!(
            body.contains("concordat_db_pool_connections{state=\"idle\"}"),
            "{body}"
        );
        assert!(
            body.contains("concordat_db_pool_max_connections "),
            "{body}"
        );
        let appends = body
            .lines()
            .find_map(|l| l.strip_prefix("concordat_audit_append_duration_seconds_count "))
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap();
        assert!(appends >= 1, "{body}");
        // /metrics does not count itself.
        assert!(!body.contains(r#"route="/metrics""#), "{body}");
    }
}
