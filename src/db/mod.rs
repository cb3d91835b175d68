//! The database: one code path over SQLite (embedded default) and PostgreSQL.
//!
//! `DbConnection` is a `diesel::MultiConnection`, so portable queries are written once.
//! Where SQL must differ (`RETURNING`, `FOR UPDATE SKIP LOCKED`), `on_backend!` runs the
//! same Diesel code against the concrete connection of each backend, branching once,
//! inside the query function.

pub mod audit;
pub mod catalog;
pub mod clock;
pub mod funds;
pub mod keyset;
pub mod ledger;
pub mod limits;
pub mod metrics;
pub mod models;
pub mod orders;
pub mod providers;
pub mod requests;
pub mod schema;
pub mod settings;
pub mod sync;
pub mod users;

use std::time::{Duration, Instant};

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

pub type DbPool = Pool<Manager>;
pub type PooledConn = PooledConnection<Manager>;

/// A pooled connection and when it last went back to the pool.
pub struct Pooled {
    conn: DbConnection,
    returned: Instant,
}

impl std::ops::Deref for Pooled {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// A connection that went back to the pool this recently is handed out again without
/// a test query (the hot path never pays one); one idle longer is tested first.
const TRUSTED_AFTER_USE: Duration = Duration::from_secs(1);

thread_local! {
    /// This thread saw the database connection fail (closed, unable to send): the
    /// connection it returns next is dropped, not pooled.
    static SAW_BROKEN_CONNECTION: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Called where database errors are turned into the application's: a connection that
/// failed this way is not given out again.
pub fn note_error(error: &diesel::result::Error) {
    use diesel::result::{DatabaseErrorKind, Error};
    if matches!(
        error,
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _
        ) | Error::BrokenTransactionManager
    ) {
        SAW_BROKEN_CONNECTION.with(|b| b.set(true));
    }
}

/// Diesel's manager, with broken connections detected by their errors instead of a
/// test query on every checkout (r2d2's `test_on_check_out` costs a round trip per
/// request on PostgreSQL): a connection is tested only after sitting idle.
pub struct Manager(ConnectionManager<DbConnection>);

impl diesel::r2d2::ManageConnection for Manager {
    type Connection = Pooled;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Pooled, Self::Error> {
        Ok(Pooled {
            conn: self.0.connect()?,
            returned: Instant::now(),
        })
    }

    fn is_valid(&self, pooled: &mut Pooled) -> Result<(), Self::Error> {
        if pooled.returned.elapsed() < TRUSTED_AFTER_USE {
            return Ok(());
        }
        self.0.is_valid(&mut pooled.conn)
    }

    /// Runs as each connection goes back to the pool.
    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        pooled.returned = Instant::now();
        let saw_error = SAW_BROKEN_CONNECTION.with(|b| b.replace(false));
        saw_error || self.0.has_broken(&mut pooled.conn)
    }
}

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

impl CustomizeConnection<Pooled, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, pooled: &mut Pooled) -> Result<(), diesel::r2d2::Error> {
        if let DbConnection::Sqlite(c) = &mut pooled.conn {
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
        conn.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")
            .map_err(|e| DbSetupError::Migrate(e.to_string()))?;
    }
    let manager = Manager(ConnectionManager::<DbConnection>::new(url.connection_string()));
    let pool = Pool::builder()
        .max_size(max_size)
        .connection_timeout(Duration::from_secs(10))
        .connection_customizer(Box::new(SqlitePragmas))
        .event_handler(Box::new(PoolEvents))
        .build(manager)?;
    Ok(pool)
}

/// Tells the metrics how long callers wait for a connection, and when they give up.
#[derive(Debug)]
struct PoolEvents;

impl diesel::r2d2::HandleEvent for PoolEvents {
    fn handle_checkout(&self, event: diesel::r2d2::event::CheckoutEvent) {
        crate::telemetry::pool_wait(event.duration());
    }

    fn handle_timeout(&self, _event: diesel::r2d2::event::TimeoutEvent) {
        crate::telemetry::pool_timeout();
    }
}

/// A small pool beside the main one, for a step that must not queue behind requests
/// (the shared rate limit counts every request before it runs): it opens connections
/// as needed rather than at start, keeps one warm, and waits at most `wait` for one.
pub fn side_pool(url: &DatabaseUrl, max_size: u32, wait: Duration) -> DbPool {
    let manager = Manager(ConnectionManager::<DbConnection>::new(url.connection_string()));
    Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(wait)
        .connection_customizer(Box::new(SqlitePragmas))
        .build_unchecked(manager)
}

/// Applies every pending migration of the pool's backend; running it again is a no-op.
pub fn migrate(pool: &DbPool) -> Result<usize, DbSetupError> {
    let mut conn = pool.get()?;
    let applied = match &mut **conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
    };
    applied.map_err(|e| DbSetupError::Migrate(e.to_string()))
}

/// Whether migrations this build carries are not applied to the database yet (`None`:
/// the database cannot be asked).
pub fn migrations_pending(pool: &DbPool) -> Option<bool> {
    let mut conn = pool.get().ok()?;
    let pending = match &mut **conn {
        DbConnection::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
        DbConnection::Postgres(c) => c.has_pending_migration(POSTGRES_MIGRATIONS),
    };
    pending.ok()
}

/// True when the database answers a trivial query.
pub fn ping(pool: &DbPool) -> bool {
    match pool.get() {
        Ok(mut conn) => conn.batch_execute("SELECT 1").inspect_err(note_error).is_ok(),
        Err(_) => false,
    }
}

pub use clock::now;

/// Rows per multi-row statement (an `INSERT`, the sync's `UPDATE … FROM (VALUES …)`,
/// an `IN` list): well under SQLite's and PostgreSQL's bind-parameter limits for the
/// widest row written this way (orders, 17 columns).
pub const ROWS_PER_STATEMENT: usize = 500;

/// Moves each time this process commits a change to the catalogue or the settings, so
/// its in-memory catalogue (`service::price_book`) reloads on the next read. Other
/// processes see the change through the `catalog_version` row, which triggers move.
static CATALOG_EPOCH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Call after writing services, categories or settings. Inside a transaction the
/// epoch moves when the outermost transaction commits (a reader that reloaded before
/// then would cache the old rows as new); outside one, the write is already committed.
pub fn catalog_written(conn: &mut DbConnection) {
    after_commit(conn, || {
        CATALOG_EPOCH.fetch_add(1, std::sync::atomic::Ordering::Release);
    });
}

/// See `CATALOG_EPOCH`.
pub fn catalog_epoch() -> u64 {
    CATALOG_EPOCH.load(std::sync::atomic::Ordering::Acquire)
}

thread_local! {
    /// What to do once the outermost transaction commits (counting what it wrote).
    static AFTER_COMMIT: std::cell::RefCell<Vec<Box<dyn FnOnce()>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` when what `conn` wrote is committed: at the outermost transaction's commit
/// (never, if it rolls back), or now outside a transaction. For what must follow only
/// a committed write: the catalogue epoch, metrics that count what happened.
pub fn after_commit(conn: &mut DbConnection, f: impl FnOnce() + 'static) {
    use diesel::connection::TransactionManager;
    type Manager = <DbConnection as Connection>::TransactionManager;
    let in_transaction = Manager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .map_or(true, |depth| depth.is_some());
    if in_transaction {
        AFTER_COMMIT.with(|pending| pending.borrow_mut().push(Box::new(f)));
    } else {
        f();
    }
}

fn end_after_commit(committed: bool) {
    let pending = AFTER_COMMIT.with(|pending| std::mem::take(&mut *pending.borrow_mut()));
    if committed {
        pending.into_iter().for_each(|f| f());
    }
}

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
            let committed = Manager::commit_transaction(conn);
            end_after_commit(committed.is_ok());
            committed.map_err(E::from)?;
            Ok(value)
        }
        Err(e) => {
            let _ = Manager::rollback_transaction(conn);
            end_after_commit(false);
            Err(e)
        }
    }
}
