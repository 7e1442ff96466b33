//! Concordat's web layer. Handlers are thin: parse the request, call one app function, render.
//! No SQL and no policy decisions here: those live in the store and the app.

mod admin;
mod agreements;
mod alliance_pages;
mod api;
mod api_admin;
mod api_alliance;
mod api_ops;
mod api_plans;
pub mod application;
mod care_team_pages;
pub mod config;
pub mod dates;
mod error;
mod extract;
mod identity_pages;
pub mod metrics;
mod ops_pages;
mod pages;
mod plans_pages;
mod privacy_pages;
mod security;
mod sso;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::MethodRouter;
use concordat_app::App;
use std::sync::Arc;

pub use api::openapi_json;
pub use application::{Application, ShutdownHandle};
pub use config::Config;
pub use error::WebError;
pub use extract::{Cidr, client_address};

/// Settings for the web layer.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies Secure (set when serving behind TLS).
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` header is believed (see [`client_address`]).
    pub trusted_proxies: Vec<Cidr>,
    /// Send `Strict-Transport-Security: max-age=N` on every response; 0 sends none.
    pub hsts_max_age_seconds: u64,
    /// The address people use (`https://concordat.example.org`), for links that must be absolute.
    pub public_url: Option<String>,
}

/// Shared state for handlers.
#[derive(Debug, Clone)]
pub struct AppState {
    pub app: App,
    pub cfg: WebConfig,
    /// Whether the database holds the synthetic demo region (every page then says so).
    pub demo: bool,
}

/// The largest request body accepted, JSON or form, in bytes. The biggest legitimate body is a
/// crisis plan form: six sections and the person's own words of at most 4,000 characters each,
/// percent-encoded (up to 9 bytes a character), about 250 KB. Larger bodies get 413 before any
/// handler runs; each text field then has its own limit in the app layer, refused with a message.
pub const BODY_LIMIT_BYTES: usize = 512 * 1024;

/// One route: a method, a path and its handler. The router is built from a table of these, and
/// [`routes`] lists the same table, so the list the tests walk cannot drift from what is served.
pub struct Route {
    method: Method,
    path: &'static str,
    handler: MethodRouter<Arc<AppState>>,
}

impl Route {
    pub(crate) fn get<H, T>(path: &'static str, h: H) -> Self
    where
        H: Handler<T, Arc<AppState>>,
        T: 'static,
    {
        Route {
            method: Method::GET,
            path,
            handler: axum::routing::get(h),
        }
    }
    pub(crate) fn post<H, T>(path: &'static str, h: H) -> Self
    where
        H: Handler<T, Arc<AppState>>,
        T: 'static,
    {
        Route {
            method: Method::POST,
            path,
            handler: axum::routing::post(h),
        }
    }
    pub(crate) fn put<H, T>(path: &'static str, h: H) -> Self
    where
        H: Handler<T, Arc<AppState>>,
        T: 'static,
    {
        Route {
            method: Method::PUT,
            path,
            handler: axum::routing::put(h),
        }
    }
    pub(crate) fn delete<H, T>(path: &'static str, h: H) -> Self
    where
        H: Handler<T, Arc<AppState>>,
        T: 'static,
    {
        Route {
            method: Method::DELETE,
            path,
            handler: axum::routing::delete(h),
        }
    }
}

/// The API's prefix; `api::routes` paths are relative to it.
pub const API_PREFIX: &str = "/api/v1";

/// The pages, health endpoints and static files (everything outside the API).
fn page_routes() -> Vec<Route> {
    let mut r = vec![
        Route::get("/", pages::root),
        Route::get("/sign-in", pages::sign_in_form),
        Route::post("/sign-in", pages::sign_in),
        Route::get("/sign-in/mfa", pages::mfa_form),
        Route::post("/sign-in/mfa", pages::mfa_verify),
        Route::get("/mfa/enrol", pages::enrol_form),
        Route::post("/mfa/enrol", pages::enrol_confirm),
        Route::post("/sign-out", pages::sign_out),
        Route::get("/home", pages::home),
        Route::get("/people", pages::search),
        Route::get("/people/{id}", pages::person),
        Route::post("/people/{id}", pages::person_break_glass),
        Route::get("/dashboard", pages::dashboard),
        Route::get("/organisations", pages::organisations),
        Route::get("/admin/sign-in-locks", pages::sign_in_locks),
        Route::get("/privacy/audit", privacy_pages::audit),
        Route::get("/privacy/break-glass", privacy_pages::break_glass_queue),
        Route::post(
            "/privacy/break-glass/{seq}",
            privacy_pages::break_glass_review,
        ),
        Route::get(
            "/privacy/people/{id}/access-history",
            privacy_pages::access_history,
        ),
        Route::get("/static/style.css", pages::stylesheet),
        Route::get("/static/app.js", pages::script),
        Route::get("/healthz", || async { "ok" }),
        Route::get("/readyz", pages::readyz),
    ];
    r.extend(plans_pages::routes());
    r.extend(care_team_pages::routes());
    r.extend(identity_pages::routes());
    r.extend(ops_pages::routes());
    r.extend(admin::routes());
    r.extend(agreements::routes());
    r.extend(alliance_pages::routes());
    r.extend(sso::routes());
    r
}

/// Every route the server answers, as (method, full path), in the order they are registered.
/// The router is built from the same table; the role-by-route access test walks this list.
pub fn routes() -> Vec<(Method, String)> {
    let pages = page_routes()
        .into_iter()
        .map(|r| (r.method, r.path.to_string()));
    let api = api::routes()
        .into_iter()
        .map(|r| (r.method, format!("{API_PREFIX}{}", r.path)));
    pages.chain(api).collect()
}

fn build(table: Vec<Route>) -> Router<Arc<AppState>> {
    // Routing the same path twice merges the method routers (GET and POST on one path).
    table
        .into_iter()
        .fold(Router::new(), |r, route| r.route(route.path, route.handler))
}

/// Builds the router: HTML pages, the JSON API under /api/v1, health endpoints and static files.
pub fn router(state: AppState) -> Router {
    let hsts = state.cfg.hsts_max_age_seconds;
    let state = Arc::new(state);
    let api = build(api::routes()).fallback(api::not_found);
    let router = with_cross_cutting_layers(
        build(page_routes())
            .nest(API_PREFIX, api)
            .fallback(pages::not_found)
            .layer(axum::middleware::from_fn(pages::current_page))
            .with_state(state),
    );
    if hsts == 0 {
        router
    } else {
        router.layer(axum::middleware::from_fn_with_state(hsts, security::hsts))
    }
}

/// The layers every response passes through, innermost first: the body size limit; panic catching
/// (a panic anywhere becomes a 500 that still gets the security headers and is logged by the
/// request-id layer with its request id); the security headers; the request id and its log line.
/// Public so that a test can wrap a handler that panics.
pub fn with_cross_cutting_layers(r: Router) -> Router {
    r.layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            security::panic_response,
        ))
        .layer(axum::middleware::from_fn(security::headers))
        .layer(axum::middleware::from_fn(security::request_id))
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
            axum::routing::get(move || {
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
