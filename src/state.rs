//! What every request and worker shares: the pool, the configuration, the key.

use std::sync::Arc;

use crate::config::Config;
use crate::crypto::SecretKey;
use crate::db::{DbConnection, DbPool};
use crate::error::AppResult;
use crate::service::throttle::LoginThrottle;

#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub config: Arc<Config>,
    pub key: SecretKey,
    pub login_throttle: Arc<LoginThrottle>,
    /// Wakes the workers when orders are queued.
    pub wake: Arc<crate::worker::wake::Wake>,
    /// This process among others sharing the database (names leases and rounds).
    pub runner_id: String,
    /// Orders waiting for review (the admin navigation's badge), refreshed by the
    /// scheduler every few seconds and after each resolution.
    pub review_count: Arc<std::sync::atomic::AtomicI64>,
    /// Add-funds requests waiting for an admin (the admin badge), refreshed likewise.
    pub funds_pending: Arc<std::sync::atomic::AtomicI64>,
    /// The catalogue and exchange rate pricing reads, cached (`service::price_book`).
    pub price_books: Arc<crate::service::price_book::PriceBooks>,
    /// Group commit of customers' orders (`service::intake`).
    pub intake: Arc<crate::service::intake::Intake>,
}

impl AppState {
    /// The state of one process; starts its order-intake lanes.
    pub fn new(pool: DbPool, config: Config) -> std::io::Result<Self> {
        let key = config.key().clone();
        let wake = Arc::<crate::worker::wake::Wake>::default();
        let lanes = match config.database_url {
            crate::config::DatabaseUrl::Sqlite(_) => 1,
            crate::config::DatabaseUrl::Postgres(_) => crate::service::intake::POSTGRES_LANES,
        };
        let intake = crate::service::intake::Intake::start(pool.clone(), Arc::clone(&wake), lanes)?;
        let login_throttle = Arc::new(LoginThrottle::for_database(&config.database_url, &pool));
        Ok(Self {
            pool,
            config: Arc::new(config),
            key,
            login_throttle,
            wake,
            review_count: Arc::default(),
            funds_pending: Arc::default(),
            price_books: Arc::default(),
            intake: Arc::new(intake),
            runner_id: format!(
                "{}-{}",
                std::process::id(),
                hex::encode(crate::crypto::random_bytes::<3>().unwrap_or_default())
            ),
        })
    }

    /// A pooled connection (a blocking call: only inside `run` or on a worker thread).
    pub fn conn(&self) -> AppResult<crate::db::PooledConn> {
        Ok(self.pool.get()?)
    }

    /// Runs blocking work (Diesel, bcrypt) off the async executor.
    pub async fn run<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&AppState) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let state = self.clone();
        let request_id = crate::web::request_id::current();
        actix_web::web::block(move || crate::web::request_id::on_this_thread(request_id, || f(&state))).await?
    }

    /// Runs `f` in one database transaction off the executor.
    pub async fn transaction<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection, &AppState) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run(move |state| {
            let mut conn = state.conn()?;
            crate::db::write_transaction(&mut conn, |c| f(c, state))
        })
        .await
    }
}
