//! Login throttling (SPEC §9, issue 12). An attempt is counted *before* its password is
//! checked, so parallel guesses cannot all be judged: per account (whatever the
//! address, with a lockout that doubles each time it is hit) and per address (whatever
//! the account). A success clears the account's count and gives back only its own
//! attempt to the address (signing in to an account of one's own between guesses
//! resets nothing).
//!
//! The counters live in this process behind `LoginThrottle`'s three methods, so moving
//! them to the database for several instances changes this file only.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Attempts per account in a window before it locks.
pub const ACCOUNT_ATTEMPTS: u32 = 5;
/// Attempts per address in a window before it locks (any accounts).
pub const ADDRESS_ATTEMPTS: u32 = 20;
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// An account's first lockout; each further one doubles, up to `MAX_LOCK`.
const FIRST_LOCK: Duration = Duration::from_secs(60);
const MAX_LOCK: Duration = Duration::from_secs(60 * 60);
const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Counter {
    attempts: u32,
    window_start: Instant,
    locked_until: Option<Instant>,
    /// Lockouts in a row (for the backoff); cleared by a success.
    lockouts: u32,
}

impl Counter {
    fn new(now: Instant) -> Self {
        Self {
            attempts: 0,
            window_start: now,
            locked_until: None,
            lockouts: 0,
        }
    }

    fn locked(&self, now: Instant) -> Option<u64> {
        self.locked_until
            .filter(|until| *until > now)
            .map(|until| (until - now).as_secs().max(1))
    }
}

#[derive(Default)]
pub struct LoginThrottle {
    counters: Mutex<HashMap<String, Counter>>,
}

fn account_key(email: &str) -> String {
    format!("account|{}", email.trim().to_lowercase())
}

fn address_key(client: &str) -> String {
    format!("address|{client}")
}

impl LoginThrottle {
    /// Counts an attempt for `email` from `client`, or refuses it (seconds to wait)
    /// while either is locked. Call before checking the password.
    pub fn begin(&self, client: &str, email: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > MAX_TRACKED {
            map.retain(|_, c| c.locked(now).is_some() || now - c.window_start < WINDOW);
        }
        let keys = [
            (account_key(email), ACCOUNT_ATTEMPTS, true),
            (address_key(client), ADDRESS_ATTEMPTS, false),
        ];
        let waits: Vec<u64> = keys
            .iter()
            .filter_map(|(key, _, _)| map.get(key).and_then(|c| c.locked(now)))
            .collect();
        if let Some(wait) = waits.into_iter().max() {
            return Err(wait);
        }
        for (key, limit, backoff) in keys {
            let counter = map.entry(key).or_insert_with(|| Counter::new(now));
            if now - counter.window_start >= WINDOW {
                *counter = Counter {
                    lockouts: counter.lockouts,
                    ..Counter::new(now)
                };
            }
            counter.attempts += 1;
            if counter.attempts >= limit {
                let lock = if backoff {
                    FIRST_LOCK.saturating_mul(1 << counter.lockouts.min(6)).min(MAX_LOCK)
                } else {
                    WINDOW
                };
                counter.locked_until = Some(now + lock);
                counter.lockouts += 1;
                counter.attempts = 0;
                counter.window_start = now;
            }
        }
        Ok(())
    }

    /// The password was right: the account starts afresh, and the address gets back
    /// this one attempt (never more).
    pub fn success(&self, client: &str, email: &str) {
        let mut map = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&account_key(email));
        if let Some(counter) = map.get_mut(&address_key(client)) {
            counter.attempts = counter.attempts.saturating_sub(1);
        }
    }

    /// Seconds until `email` may try again, if it is locked (for pages that show it).
    pub fn retry_after(&self, client: &str, email: &str) -> Option<u64> {
        let now = Instant::now();
        let map = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        [account_key(email), address_key(client)]
            .iter()
            .filter_map(|k| map.get(k).and_then(|c| c.locked(now)))
            .max()
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
            throttle.success("10.0.0.1", "me@x.com");
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
}
