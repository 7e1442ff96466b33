//! [`Application::build`]: from a validated [`Config`] to a server ready to run, used by
//! `concordat serve`, `concordat demo` and the web tests alike.

use crate::config::Config;
use crate::{AppState, router, with_metrics};
use axum::Router;
use concordat_app::App;
use concordat_app::secret::SecretKey;
use concordat_store::Store;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A server built from a configuration: connected, migrated, listening, not yet serving.
pub struct Application {
    app: App,
    state: AppState,
    router: Router,
    listener: TcpListener,
    addr: SocketAddr,
    housekeeping_minutes: u64,
    shutdown: ShutdownHandle,
}

/// Stops a running [`Application`] as SIGTERM would: requests in flight finish, then it closes.
#[derive(Debug, Clone)]
pub struct ShutdownHandle(watch::Sender<bool>);

impl ShutdownHandle {
    pub fn shutdown(&self) {
        self.0.send_replace(true);
    }
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Loads the secret key (before touching the database: a missing, short or shared key is
    /// refused first), connects to the database, applies pending migrations, binds the listening
    /// address and builds the router (with metrics and HSTS as configured).
    pub async fn build(config: &Config) -> Result<Application, String> {
        let key_file = config
            .server
            .secret_key_file
            .as_deref()
            .ok_or("server.secret_key_file: required")?;
        let key = SecretKey::load(key_file)?;
        let url = config
            .database
            .url
            .as_deref()
            .ok_or("database.url: required")?;
        let store = Store::connect(url, config.connect_options())
            .await
            .map_err(|e| e.to_string())?;
        store.migrate().await.map_err(|e| e.to_string())?;
        Self::with_store(config, store, key).await
    }

    /// As [`build`](Self::build), over a store already connected and migrated.
    pub(crate) async fn with_store(
        config: &Config,
        store: Store,
        key: SecretKey,
    ) -> Result<Application, String> {
        let mut app_config = config.app_config(Some(key));
        app_config.oidc =
            concordat_app::oidc::OidcProviders::from_configs(config.oidc.providers.clone())?;
        let app = App::new(store, app_config);
        let demo = app.is_demo().await.map_err(|e| e.to_string())?;
        let listen = &config.server.listen;
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let state = AppState {
            app: app.clone(),
            cfg: config.web_config(),
            demo,
        };
        let plain = router(state.clone());
        let router = if config.metrics.enabled {
            with_metrics(plain, &state)
        } else {
            plain
        };
        let (tx, _) = watch::channel(false);
        Ok(Application {
            app,
            state,
            router,
            listener,
            addr,
            housekeeping_minutes: config.housekeeping.interval_minutes,
            shutdown: ShutdownHandle(tx),
        })
    }

    /// The address it listens on (with the real port when the configuration asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The router it serves, for driving requests in-process (tests).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Serves until ctrl-c, SIGTERM or [`ShutdownHandle::shutdown`], running housekeeping on its
    /// timer meanwhile; then stops the timer and closes the database.
    pub async fn run(self) -> std::io::Result<()> {
        if self.housekeeping_minutes == 0 {
            tracing::info!("housekeeping is off (housekeeping.interval_minutes = 0)");
        }
        let housekeeping = start_housekeeping(&self.app, self.housekeeping_minutes);
        let mut stop = self.shutdown.0.subscribe();
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, service)
            .with_graceful_shutdown(async move {
                tokio::select! {
                    () = crate::shutdown_signal() => {},
                    _ = stop.wait_for(|v| *v) => {},
                }
            })
            .await;
        if let Some(h) = housekeeping {
            h.abort();
        }
        self.app.store.close().await;
        served
    }
}

/// Starts the housekeeping timer: a first run a minute after start, then one every `minutes`
/// (none if 0). A failed run is logged and the timer carries on.
fn start_housekeeping(app: &App, minutes: u64) -> Option<JoinHandle<()>> {
    if minutes == 0 {
        return None;
    }
    let app = app.clone();
    let every = std::time::Duration::from_secs(minutes * 60);
    Some(tokio::spawn(async move {
        let first = tokio::time::Instant::now() + std::time::Duration::from_secs(60).min(every);
        let mut timer = tokio::time::interval_at(first, every);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            timer.tick().await;
            let now = chrono::Utc::now().timestamp_millis();
            // A successful run logs what it deleted itself.
            if let Err(e) = app
                .housekeeping(now, concordat_app::housekeeping::DEFAULT_BATCH)
                .await
            {
                tracing::warn!(error = %e, "housekeeping failed; it will run again");
            }
        }
    }))
}
