//! Concordat's web layer. Handlers are thin: parse the request, call one app function, render.
//! No SQL and no policy decisions here: those live in the store and the app.

mod admin;
mod api;
mod api_admin;
mod api_ops;
mod api_plans;
mod error;
mod extract;
pub mod metrics;
mod ops_pages;
mod pages;
mod plans_pages;
mod security;

use axum::Router;
use axum::routing::{get, post};
use concordat_app::App;
use std::sync::Arc;

pub use error::WebError;
pub use extract::{Cidr, client_address};

/// Settings for the web layer.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies Secure (set when serving behind TLS).
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` header is believed (see [`client_address`]).
    pub trusted_proxies: Vec<Cidr>,
}

/// Shared state for handlers.
#[derive(Debug, Clone)]
pub struct AppState {
    pub app: App,
    pub cfg: WebConfig,
    /// Whether the database holds the synthetic demo region (every page then says so).
    pub demo: bool,
}

/// Builds the router: HTML pages, the JSON API under /api/v1, health endpoints and static files.
pub fn router(state: AppState) -> Router {
    let state = Arc::new(state);
    Router::new()
        .route("/", get(pages::root))
        .route("/sign-in", get(pages::sign_in_form).post(pages::sign_in))
        .route("/sign-in/mfa", get(pages::mfa_form).post(pages::mfa_verify))
        .route(
            "/mfa/enrol",
            get(pages::enrol_form).post(pages::enrol_confirm),
        )
        .route("/sign-out", post(pages::sign_out))
        .route("/home", get(pages::home))
        .route("/people", get(pages::search))
        .route(
            "/people/{id}",
            get(pages::person).post(pages::person_break_glass),
        )
        .route("/dashboard", get(pages::dashboard))
        .route("/organisations", get(pages::organisations))
        .route("/admin/sign-in-locks", get(pages::sign_in_locks))
        .route("/privacy/audit", get(pages::audit))
        .route("/privacy/break-glass", get(pages::break_glass_queue))
        .route(
            "/privacy/break-glass/{seq}",
            post(pages::break_glass_review),
        )
        .route(
            "/privacy/people/{id}/access-history",
            get(pages::access_history),
        )
        .route("/static/style.css", get(pages::stylesheet))
        .route("/static/app.js", get(pages::script))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(pages::readyz))
        .merge(plans_pages::router())
        .merge(ops_pages::router())
        .merge(admin::router())
        .nest("/api/v1", api::router())
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn(pages::current_page))
        .layer(axum::middleware::from_fn(security::headers))
        .layer(axum::middleware::from_fn(security::request_id))
        .with_state(state)
}

/// Adds Prometheus metrics to a router built by [`router`]: every route is counted and timed under its
/// template, and `GET /metrics` answers with the figures (see `metrics.rs`).
pub fn with_metrics(router: Router, state: &AppState) -> Router {
    let m = Arc::new(metrics::Metrics::default());
    let store = state.app.store.clone();
    let shown = m.clone();
    // `layer` wraps the routes added so far, so /metrics itself is not counted.
    router
        .layer(axum::middleware::from_fn_with_state(m, metrics::track))
        .route(
            "/metrics",
            get(move || {
                let (m, store) = (shown.clone(), store.clone());
                async move { metrics::exposition(&m, &store) }
            }),
        )
}

/// Serves until ctrl-c or SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    serve_router(listener, router(state)).await
}

/// Serves a router built by [`router`] (and perhaps [`with_metrics`]) until ctrl-c or SIGTERM.
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    router: Router,
) -> std::io::Result<()> {
    let app = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
