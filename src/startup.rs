//! Building and running the application: database, migrations, HTTP server.

use std::net::TcpListener;

use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_session::SessionMiddleware;
use actix_web::cookie::SameSite;
use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};

use crate::config::Config;
use crate::db;
use crate::state::AppState;
use crate::web::{headers, routes};
use crate::worker::WorkerPool;

/// The database pool for `config`, migrated.
pub fn prepare(mut config: Config) -> anyhow::Result<AppState> {
    restrict(&config.data_dir, 0o700)?;
    config.ensure_secret_key()?;
    let pool = db::connect(&config.database_url, pool_size(&config))?;
    let applied = db::migrate(&pool)?;
    if let crate::config::DatabaseUrl::Sqlite(path) = &config.database_url {
        // The database holds balances and ciphertexts: this user's only.
        for suffix in ["", "-wal", "-shm"] {
            let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
            if file.exists() {
                restrict(&file, 0o600)?;
            }
        }
    }
    let offset = db::clock::calibrate(&mut *pool.get()?)?;
    if offset.num_milliseconds().abs() > 1000 {
        log::warn!(
            "this machine's clock is {} ms off the database's; leases follow the database",
            -offset.num_milliseconds()
        );
    }
    if applied > 0 {
        log::info!("applied {applied} migration(s) to {}", config.database_url.redacted());
    }
    let state = AppState::new(pool, config)?;
    crate::service::secrets::upgrade(&state)?;
    Ok(state)
}

/// Creates `path` if it is a missing folder, and limits it to this user (`mode`).
fn restrict(path: &std::path::Path, mode: u32) -> anyhow::Result<()> {
    if mode == 0o700 {
        std::fs::create_dir_all(path)
            .map_err(|e| anyhow::anyhow!("DATA_DIR: cannot create {}: {e}", path.display()))?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| anyhow::anyhow!("cannot limit {} to its owner: {e}", path.display()))?;
    }
    Ok(())
}

fn pool_size(config: &Config) -> u32 {
    // Request handlers run on actix's blocking pool; workers hold one connection each.
    (config.workers as u32 + 12).min(64)
}

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    workers: WorkerPool,
}

impl Application {
    /// Prepares the database and binds `BIND` (port 0 picks a free port).
    pub fn build(config: Config) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.bind)
            .map_err(|e| anyhow::anyhow!("BIND: cannot listen on {}: {e}", config.bind))?;
        Self::build_with_listener(config, listener)
    }

    pub fn build_with_listener(config: Config, listener: TcpListener) -> anyhow::Result<Self> {
        let state = prepare(config)?;
        let port = listener.local_addr()?.port();
        let server = run_server(listener, state.clone())?;
        let workers = WorkerPool::start(state.clone())?;
        Ok(Self {
            port,
            server,
            state,
            workers,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn worker_control(&self) -> crate::worker::WorkerControl {
        self.workers.control()
    }

    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped (SIGTERM/SIGINT, or its handle), then lets
    /// the workers finish their current step.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        let workers = self.workers;
        let _ = actix_web::rt::task::spawn_blocking(move || workers.stop()).await;
        result
    }
}

fn run_server(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    let session_key = state.key.session_key();
    let cookie_secure = state.config.cookie_secure;
    let limiter = web::Data::new(crate::web::rate_limit::RateLimiter::for_state(&state));
    let measure = state.config.metrics;
    if measure {
        crate::telemetry::install();
    }
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(CookieSessionStore::default(), session_key.clone())
            .cookie_name("smm_session".into())
            .cookie_secure(cookie_secure)
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .cookie_content_security(CookieContentSecurity::Private)
            .build();
        App::new()
            .app_data(data.clone())
            .app_data(limiter.clone())
            // The limit reads the session (whose user a request counts against): inside it.
            .wrap(middleware::from_fn(crate::web::rate_limit::limit))
            .wrap(sessions)
            .wrap(middleware::from_fn(crate::i18n::localise))
            .wrap(headers::security_headers(cookie_secure))
            .wrap(middleware::from_fn(crate::web::request_id::assign))
            // The path without the query string: API v2 clients may send their key there.
            .wrap(
                // The client as `TRUSTED_PROXIES` resolves it (the proxy's address is no help).
                middleware::Logger::new("%{client}xi \"%{method}xi %U\" %s %b %Dms id=%{x-request-id}o")
                    .custom_request_replace("client", |req| crate::web::client_ip(req.request()))
                    .custom_request_replace("method", |req| req.method().to_string())
                    .exclude("/healthz")
                    .exclude("/readyz"),
            )
            .wrap(middleware::Condition::new(
                measure,
                middleware::from_fn(crate::web::metrics::record),
            ))
            .configure(routes::configure)
    })
    .listen(listener)?
    .shutdown_timeout(10)
    .run();
    Ok(server)
}
