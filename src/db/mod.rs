//! The database: one code path over SQLite (embedded default) and PostgreSQL.
//!
//! `DbConnection` is a `diesel::MultiConnection`, so portable queries are written once.
//! Where SQL must differ (`RETURNING`, `FOR UPDATE SKIP LOCKED`), `on_backend!` runs the
//! same Diesel code against the concrete connection of each backend, branching once,
//! inside the query function.

pub mod audit;
pub mod catalog;
pub mod clock;
pub mod keyset;
pub mod ledger;
pub mod models;
pub mod orders;
pub mod providers;
pub mod requests;
pub mod schema;
pub mod settings;
pub mod sync;
pub mod users;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::DatabaseUrl;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

pub type DbPool = Pool<ConnectionManager<DbConnection>>;
pub type PooledConn = PooledConnection<ConnectionManager<DbConnection>>;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Runs the same Diesel code against the concrete connection of each backend.
/// Use it only where the SQL has to differ or the query builder needs a concrete backend.
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($c) => $body,
            $crate::db::DbConnection::Postgres($c) => $body,
        }
    };
}

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("cannot open the database: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("cannot apply migrations: {0}")]
    Migrate(String),
    #[error("cannot prepare the SQLite file's folder {path}: {source}")]
    Folder { path: String, source: std::io::Error },
}

/// SQLite settings applied to every pooled connection: wait for a busy writer instead
/// of failing, enforce foreign keys, and sync once per WAL checkpoint.
#[derive(Debug, Clone, Copy)]
struct SqlitePragmas;

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        if let DbConnection::Sqlite(c) = conn {
            c.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
                .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Opens the pool for `url`, creating the SQLite file's folder and switching WAL on.
pub fn connect(url: &DatabaseUrl, max_size: u32) -> Result<DbPool, DbSetupError> {
    if let DatabaseUrl::Sqlite(path) = url {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| DbSetupError::Folder {
                path: parent.display().to_string(),
                source,
            })?;
        }
        // WAL is a property of the file: switch it on once, before the pool opens.
        let mut conn =
            SqliteConnection::establish(&url.connection_string()).map_err(|e| DbSetupError::Migrate(e.to_string()))?;
        conn.batch_execute("PRAGMA journal_mode = WAL;")
            .map_err(|e| DbSetupError::Migrate(e.to_string()))?;
    }
    let manager = ConnectionManager::<DbConnection>::new(url.connection_string());
    let pool = Pool::builder()
        .max_size(max_size)
        .connection_timeout(Duration::from_secs(10))
        .connection_customizer(Box::new(SqlitePragmas))
        .build(manager)?;
    Ok(pool)
}

/// Applies every pending migration of the pool's backend; running it again is a no-op.
pub fn migrate(pool: &DbPool) -> Result<usize, DbSetupError> {
    let mut conn = pool.get()?;
    let applied = match &mut *conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
    };
    applied.map_err(|e| DbSetupError::Migrate(e.to_string()))
}

/// True when the database answers a trivial query.
pub fn ping(pool: &DbPool) -> bool {
    match pool.get() {
        Ok(mut conn) => conn.batch_execute("SELECT 1").is_ok(),
        Err(_) => false,
    }
}

pub use clock::now;

/// Runs `f` in a transaction that takes the write lock at once on SQLite
/// (`BEGIN IMMEDIATE`), so a transaction that reads and then writes never fails on
/// lock upgrade under concurrency; on PostgreSQL a plain transaction. Nested calls
/// become savepoints.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Manager = <DbConnection as Connection>::TransactionManager;
    let depth = Manager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .map_err(E::from)?;
    if depth.is_some() {
        return conn.transaction(f);
    }
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE").map_err(E::from)?
        }
        DbConnection::Postgres(c) => AnsiTransactionManager::begin_transaction(c).map_err(E::from)?,
    }
    match f(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn).map_err(E::from)?;
            Ok(value)
        }
        Err(e) => {
            let _ = Manager::rollback_transaction(conn);
            Err(e)
        }
    }
}
