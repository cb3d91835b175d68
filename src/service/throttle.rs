//! Login throttling (SPEC §9, issue 12). An attempt is counted *before* its password is
//! checked, so parallel guesses cannot all be judged: per account (whatever the
//! address, with a lockout that doubles each time it is hit) and per address (whatever
//! the account). A success clears the account's count and gives back only its own
//! attempt to the address (signing in to an account of one's own between guesses
//! resets nothing).
//!
//! One rule (`judge`), two places to keep the counters (issue 14): this process's
//! memory on SQLite (one process by construction), or the `login_throttle` table on
//! PostgreSQL, where the two rows an attempt touches are read `FOR UPDATE` and written
//! in one transaction, so several processes counting at once cannot all let a fifth
//! guess through. Times are Unix milliseconds on the database's clock
//! (`db::clock::now_millis`), the same in every process.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::config::DatabaseUrl;
use crate::db::limits::{self as counters, ThrottleRow};
use crate::db::{self, DbPool};
use crate::error::{AppError, AppResult};

/// Attempts per account in a window before it locks.
pub const ACCOUNT_ATTEMPTS: u32 = 5;
/// Attempts per address in a window before it locks (any accounts).
pub const ADDRESS_ATTEMPTS: u32 = 20;
const WINDOW_MS: i64 = 15 * 60 * 1000;
/// An account's first lockout; each further one doubles, up to `MAX_LOCK_MS`.
const FIRST_LOCK_MS: i64 = 60 * 1000;
const MAX_LOCK_MS: i64 = 60 * 60 * 1000;
const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counter {
    attempts: u32,
    window_start: i64,
    locked_until: Option<i64>,
    /// Lockouts in a row (for the backoff); cleared by a success.
    lockouts: u32,
}

impl Counter {
    fn new(now: i64) -> Self {
        Self {
            attempts: 0,
            window_start: now,
            locked_until: None,
            lockouts: 0,
        }
    }

    /// Whole seconds until the lock ends (rounded up), while locked.
    fn locked(&self, now: i64) -> Option<u64> {
        self.locked_until
            .filter(|until| *until > now)
            .map(|until| u64::try_from((until - now + 999) / 1000).unwrap_or(1).max(1))
    }

    /// Counts one attempt; the one that reaches `limit` locks the counter (for a time
    /// that doubles with each lockout when `backoff`, else for a window).
    fn count(&mut self, now: i64, limit: u32, backoff: bool) {
        if now - self.window_start >= WINDOW_MS {
            *self = Counter {
                lockouts: self.lockouts,
                ..Counter::new(now)
            };
        }
        self.attempts += 1;
        if self.attempts >= limit {
            let lock = if backoff {
                FIRST_LOCK_MS.saturating_mul(1 << self.lockouts.min(6)).min(MAX_LOCK_MS)
            } else {
                WINDOW_MS
            };
            self.locked_until = Some(now + lock);
            self.lockouts += 1;
            self.attempts = 0;
            self.window_start = now;
        }
    }
}

/// The rule, wherever the counters are kept: refused (the longer wait) while either
/// the account or the address is locked, else the attempt counts on both.
fn judge(now: i64, account: &mut Counter, address: &mut Counter) -> Result<(), u64> {
    if let Some(wait) = account.locked(now).max(address.locked(now)) {
        return Err(wait);
    }
    account.count(now, ACCOUNT_ATTEMPTS, true);
    address.count(now, ADDRESS_ATTEMPTS, false);
    Ok(())
}

impl From<&ThrottleRow> for Counter {
    fn from(row: &ThrottleRow) -> Self {
        Self {
            attempts: u32::try_from(row.attempts).unwrap_or(0),
            window_start: row.window_start_ms,
            locked_until: row.locked_until_ms,
            lockouts: u32::try_from(row.lockouts).unwrap_or(0),
        }
    }
}

impl Counter {
    fn row(&self, bucket: &str) -> ThrottleRow {
        ThrottleRow {
            bucket: bucket.to_string(),
            attempts: i32::try_from(self.attempts).unwrap_or(i32::MAX),
            window_start_ms: self.window_start,
            locked_until_ms: self.locked_until,
            lockouts: i32::try_from(self.lockouts).unwrap_or(i32::MAX),
        }
    }
}

/// The account's bucket: a digest of the address as typed (trimmed, lower case), so a
/// password typed into the email field is not stored.
fn account_key(email: &str) -> String {
    format!("account:{}", counters::digest(&email.trim().to_lowercase()))
}

fn address_key(client: &str) -> String {
    format!("address:{client}")
}

fn refused(retry_after_secs: u64) -> AppError {
    AppError::RateLimited { retry_after_secs }
}

enum Store {
    /// This process only (SQLite).
    Memory(Mutex<HashMap<String, Counter>>),
    /// Every process on the database (PostgreSQL): the `login_throttle` table.
    Shared(DbPool),
}

pub struct LoginThrottle {
    store: Store,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::in_memory()
    }
}

impl LoginThrottle {
    pub fn in_memory() -> Self {
        Self {
            store: Store::Memory(Mutex::default()),
        }
    }

    /// Counters in the database behind `pool`, shared with every process using it.
    pub fn shared(pool: DbPool) -> Self {
        Self {
            store: Store::Shared(pool),
        }
    }

    /// Shared on PostgreSQL (any number of processes), in memory on SQLite (one).
    pub fn for_database(url: &DatabaseUrl, pool: &DbPool) -> Self {
        match url {
            DatabaseUrl::Postgres(_) => Self::shared(pool.clone()),
            DatabaseUrl::Sqlite(_) => Self::in_memory(),
        }
    }

    /// Counts an attempt for `email` from `client`, or refuses it (`RateLimited`, with
    /// the seconds to wait) while either is locked. Call before checking the password.
    /// Blocking on PostgreSQL (a transaction); an unreachable database refuses with
    /// `Unavailable` — sign-in cannot work without it anyway.
    pub fn begin(&self, client: &str, email: &str) -> AppResult<()> {
        let now = db::clock::now_millis();
        let (account, address) = (account_key(email), address_key(client));
        match &self.store {
            Store::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
                if map.len() > MAX_TRACKED {
                    map.retain(|_, c| c.locked(now).is_some() || now - c.window_start < WINDOW_MS);
                }
                let mut pair = [&account, &address].map(|k| map.get(k).copied().unwrap_or_else(|| Counter::new(now)));
                let [a, b] = &mut pair;
                judge(now, a, b).map_err(refused)?;
                map.insert(account, pair[0]);
                map.insert(address, pair[1]);
                Ok(())
            }
            Store::Shared(pool) => {
                let mut conn = pool.get()?;
                db::write_transaction(&mut conn, |c| {
                    let rows = counters::lock_throttle_rows(c, &[account.as_str(), address.as_str()], now)?;
                    let (mut a, mut b) = (Counter::from(&rows[0]), Counter::from(&rows[1]));
                    if let Err(wait) = judge(now, &mut a, &mut b) {
                        return Ok(Err(wait));
                    }
                    counters::save_throttle_row(c, &a.row(&account))?;
                    counters::save_throttle_row(c, &b.row(&address))?;
                    Ok::<_, AppError>(Ok(()))
                })?
                .map_err(refused)
            }
        }
    }

    /// The password was right: the account starts afresh, and the address gets back
    /// this one attempt (never more).
    pub fn success(&self, client: &str, email: &str) -> AppResult<()> {
        let (account, address) = (account_key(email), address_key(client));
        match &self.store {
            Store::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
                map.remove(&account);
                if let Some(counter) = map.get_mut(&address) {
                    counter.attempts = counter.attempts.saturating_sub(1);
                }
            }
            Store::Shared(pool) => {
                let mut conn = pool.get()?;
                counters::delete_throttle_row(&mut conn, &account)?;
                counters::refund_attempt(&mut conn, &address)?;
            }
        }
        Ok(())
    }

    /// Seconds until `email` may try again from `client`, if either is locked (for
    /// pages that show it).
    pub fn retry_after(&self, client: &str, email: &str) -> AppResult<Option<u64>> {
        let now = db::clock::now_millis();
        let keys = [account_key(email), address_key(client)];
        let counters: Vec<Counter> = match &self.store {
            Store::Memory(map) => {
                let map = map.lock().unwrap_or_else(|p| p.into_inner());
                keys.iter().filter_map(|k| map.get(k).copied()).collect()
            }
            Store::Shared(pool) => counters::throttle_rows(&mut *pool.get()?, &[keys[0].as_str(), keys[1].as_str()])?
                .iter()
                .map(Counter::from)
                .collect(),
        };
        Ok(counters.iter().filter_map(|c| c.locked(now)).max())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fifth_attempt_locks_the_account_from_any_address() {
        let throttle = LoginThrottle::default();
        for i in 0..ACCOUNT_ATTEMPTS {
            assert!(throttle.begin(&format!("10.0.0.{i}"), "a@x.com").is_ok(), "attempt {i}");
        }
        assert!(
            throttle.begin("10.9.9.9", "A@x.com").is_err(),
            "locked whatever the address"
        );
        assert!(throttle.begin("10.9.9.9", "b@x.com").is_ok(), "another account is not");
    }

    #[test]
    fn an_address_is_limited_across_accounts_and_a_success_refunds_only_itself() {
        let throttle = LoginThrottle::default();
        for i in 0..ADDRESS_ATTEMPTS - 2 {
            // A wrong guess at another account each time, and a sign-in to one's own.
            assert!(
                throttle.begin("10.0.0.1", &format!("victim{i}@x.com")).is_ok(),
                "guess {i}"
            );
            assert!(throttle.begin("10.0.0.1", "me@x.com").is_ok(), "own sign-in {i}");
            throttle.success("10.0.0.1", "me@x.com").unwrap();
        }
        // 18 wrong guesses stand; the 19th and 20th are judged and the 20th locks it.
        assert!(throttle.begin("10.0.0.1", "victim-19@x.com").is_ok());
        assert!(throttle.begin("10.0.0.1", "victim-20@x.com").is_ok());
        assert!(
            throttle.begin("10.0.0.1", "fresh@x.com").is_err(),
            "20 wrong guesses lock the address"
        );
        assert!(throttle.begin("10.0.0.2", "fresh@x.com").is_ok());
    }

    #[test]
    fn lockouts_double_up_to_an_hour_and_a_new_window_keeps_the_count() {
        let mut counter = Counter::new(0);
        let mut now = 0;
        let mut locks = Vec::new();
        for _ in 0..8 {
            for _ in 0..ACCOUNT_ATTEMPTS {
                counter.count(now, ACCOUNT_ATTEMPTS, true);
            }
            let until = counter.locked_until.unwrap();
            locks.push((until - now) / 1000);
            now = until + WINDOW_MS; // past the lock and the window
        }
        assert_eq!(locks, [60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(counter.locked(now - WINDOW_MS - 1), Some(1), "rounded up");
    }
}
