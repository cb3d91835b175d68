//! What pricing reads on every order — the services with their categories' state and
//! the USD→BDT rate — kept in memory instead of read per request.
//!
//! A book is used as it is for at most `RECHECK`; then the next reader compares the
//! `catalog_version` row (moved by triggers in the same transaction as any catalogue
//! or settings change, by whichever process made it) and reloads only if it moved. A
//! change this process commits is seen at once (`db::catalog_epoch`). So another
//! process's change reaches this one's prices within `RECHECK`, and no instance prices
//! from a stale catalogue for more than that.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::db::models::ServiceRow;
use crate::db::{self, DbConnection, DbPool};
use crate::domain::Rate;
use crate::error::AppResult;
use crate::service::settings;

/// How long a book is trusted before the version row is asked again.
pub const RECHECK: Duration = Duration::from_millis(500);

/// The catalogue and rate as of one `catalog_version`.
#[derive(Debug)]
pub struct PriceBook {
    /// The `catalog_version` read before the rows (so the rows are at least this new).
    pub version: i64,
    services: HashMap<i64, (ServiceRow, bool)>,
    pub usd_to_bdt: Rate,
}

impl PriceBook {
    /// The rows as of `version` or newer (`version` read before them).
    fn load(conn: &mut DbConnection, version: i64) -> AppResult<Self> {
        let services = db::catalog::services_with_category_state(conn)?
            .into_iter()
            .map(|(service, category_enabled)| (service.id, (service, category_enabled)))
            .collect();
        Ok(Self {
            version,
            services,
            usd_to_bdt: settings::usd_to_bdt(conn)?,
        })
    }

    /// The service, if customers may order it now (it and its category enabled), or
    /// whatever its state when `any` (an admin's manual order).
    pub fn orderable(&self, id: i64, any: bool) -> Option<&ServiceRow> {
        self.services
            .get(&id)
            .filter(|(service, category_enabled)| any || (service.enabled && *category_enabled))
            .map(|(service, _)| service)
    }
}

struct Cached {
    book: Arc<PriceBook>,
    /// `db::catalog_epoch()` when the book was loaded or last confirmed.
    epoch: u64,
    checked: Instant,
}

/// The process's current book.
#[derive(Default)]
pub struct PriceBooks {
    cached: RwLock<Option<Cached>>,
    /// One reader re-checks at a time; the others wait for its answer.
    refresh: Mutex<()>,
}

impl PriceBooks {
    /// The current book: from memory when it is fresh, else confirmed (one indexed
    /// read) or reloaded.
    pub fn get(&self, pool: &DbPool) -> AppResult<Arc<PriceBook>> {
        if let Some(book) = self.fresh() {
            return Ok(book);
        }
        let _one_at_a_time = self.refresh.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(book) = self.fresh() {
            return Ok(book);
        }
        // Read before the rows: a commit of ours after this point moves it again.
        let epoch = db::catalog_epoch();
        let mut conn = pool.get()?;
        // Trusted from before the question was asked, so never past `RECHECK` after a
        // commit it did not see.
        let asked = Instant::now();
        let version = db::catalog::version(&mut conn)?;
        let unchanged = self
            .read()
            .as_ref()
            .filter(|c| c.epoch == epoch && c.book.version == version)
            .map(|c| Arc::clone(&c.book));
        let book = match unchanged {
            Some(book) => book,
            None => Arc::new(PriceBook::load(&mut conn, version)?),
        };
        *self.cached.write().unwrap_or_else(|p| p.into_inner()) = Some(Cached {
            book: Arc::clone(&book),
            epoch,
            checked: asked,
        });
        Ok(book)
    }

    /// The book if it can be used without asking the database (no I/O).
    pub fn fresh(&self) -> Option<Arc<PriceBook>> {
        self.read()
            .as_ref()
            .filter(|c| c.epoch == db::catalog_epoch() && c.checked.elapsed() < RECHECK)
            .map(|c| Arc::clone(&c.book))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Option<Cached>> {
        self.cached.read().unwrap_or_else(|p| p.into_inner())
    }
}
