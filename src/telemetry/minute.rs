//! This minute's sums, for the System page's history: requests, server errors, a
//! latency histogram (for p50/p95/p99), provider calls per provider and sync round
//! durations. The sampler takes them once a minute (`take`), leaving zeros.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (ms) of the latency buckets; a percentile reads as its bucket's bound,
/// so p95 "50 ms" means "at most 50 ms". The last bucket holds everything slower.
pub const BOUNDS_MS: [u64; 22] = [
    1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10_000, 30_000,
];

pub static MINUTE: Minute = Minute::new();

pub struct Minute {
    requests: AtomicU64,
    errors: AtomicU64,
    buckets: [AtomicU64; BOUNDS_MS.len() + 1],
    providers: Mutex<Option<HashMap<i64, ProviderSums>>>,
    rounds: Mutex<Vec<u64>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProviderSums {
    pub calls: u64,
    pub errors: u64,
    pub latency_ms_sum: u64,
    pub latency_ms_max: u64,
}

/// What one minute held.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Taken {
    pub requests: u64,
    pub errors: u64,
    pub p50_ms: u64,
    pub p95_ms: u64,
    pub p99_ms: u64,
    pub providers: HashMap<i64, ProviderSums>,
    /// Durations (ms) of the sync rounds that finished.
    pub rounds_ms: Vec<u64>,
}

impl Minute {
    const fn new() -> Self {
        Self {
            requests: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            buckets: [const { AtomicU64::new(0) }; BOUNDS_MS.len() + 1],
            providers: Mutex::new(None),
            rounds: Mutex::new(Vec::new()),
        }
    }

    pub fn http(&self, server_error: bool, elapsed: Duration) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if server_error {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        let ms = elapsed.as_millis() as u64;
        let bucket = BOUNDS_MS.partition_point(|bound| *bound < ms);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
    }

    pub fn provider_call(&self, provider_id: i64, latency: Duration, failed: bool) {
        let ms = latency.as_millis() as u64;
        let mut providers = self.providers.lock().unwrap_or_else(|p| p.into_inner());
        let sums = providers
            .get_or_insert_with(HashMap::new)
            .entry(provider_id)
            .or_default();
        sums.calls += 1;
        sums.errors += u64::from(failed);
        sums.latency_ms_sum += ms;
        sums.latency_ms_max = sums.latency_ms_max.max(ms);
    }

    pub fn sync_round(&self, duration: Duration) {
        self.rounds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(duration.as_millis() as u64);
    }

    /// The sums so far, leaving zeros for the next minute.
    pub fn take(&self) -> Taken {
        let counts: Vec<u64> = self.buckets.iter().map(|b| b.swap(0, Ordering::Relaxed)).collect();
        let percentile = |q: f64| -> u64 {
            let total: u64 = counts.iter().sum();
            if total == 0 {
                return 0;
            }
            let rank = ((total as f64) * q).ceil() as u64;
            let mut seen = 0;
            for (i, n) in counts.iter().enumerate() {
                seen += n;
                if seen >= rank {
                    return BOUNDS_MS.get(i).copied().unwrap_or(2 * BOUNDS_MS[BOUNDS_MS.len() - 1]);
                }
            }
            0
        };
        Taken {
            requests: self.requests.swap(0, Ordering::Relaxed),
            errors: self.errors.swap(0, Ordering::Relaxed),
            p50_ms: percentile(0.50),
            p95_ms: percentile(0.95),
            p99_ms: percentile(0.99),
            providers: self
                .providers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take()
                .unwrap_or_default(),
            rounds_ms: std::mem::take(&mut *self.rounds.lock().unwrap_or_else(|p| p.into_inner())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_read_as_bucket_bounds_and_take_leaves_zeros() {
        let minute = Minute::new();
        for _ in 0..90 {
            minute.http(false, Duration::from_millis(4));
        }
        for _ in 0..9 {
            minute.http(false, Duration::from_millis(40));
        }
        minute.http(true, Duration::from_millis(900));
        minute.provider_call(7, Duration::from_millis(120), false);
        minute.provider_call(7, Duration::from_millis(80), true);
        let taken = minute.take();
        assert_eq!((taken.requests, taken.errors), (100, 1));
        assert_eq!((taken.p50_ms, taken.p95_ms, taken.p99_ms), (5, 50, 50));
        assert_eq!(
            taken.providers[&7],
            ProviderSums {
                calls: 2,
                errors: 1,
                latency_ms_sum: 200,
                latency_ms_max: 120
            }
        );
        assert_eq!(minute.take(), Taken::default());
    }
}
