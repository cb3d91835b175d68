//! The bench's settings, read from the environment (`BENCH_*`, see `BENCHMARKS.md`).

use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadGen {
    Async,
    Threads,
}

#[derive(Debug, Clone)]
pub struct Knobs {
    pub seconds: u64,
    pub warmup: u64,
    pub concurrency: usize,
    pub workers: usize,
    pub latency_ms: u64,
    pub forward_orders: usize,
    pub sync_orders: usize,
    pub sync_rounds: usize,
    pub pages_orders: usize,
    pub pages_requests: usize,
    pub pages_seconds: u64,
    pub pages_concurrency: usize,
    pub loadgen: LoadGen,
    pub phases: Vec<String>,
    /// Requests per second of the `paced` phase (0: half the `bare` phase's rate).
    pub paced_rate: u64,
}

fn knob<T: FromStr + PartialOrd + std::fmt::Display>(name: &str, default: T, min: T, max: T) -> T {
    match std::env::var(name).ok().filter(|v| !v.trim().is_empty()) {
        None => default,
        Some(raw) => match raw.trim().parse::<T>() {
            Ok(v) if v >= min && v <= max => v,
            _ => panic!("{name}: '{raw}' must be a whole number from {min} to {max}"),
        },
    }
}

impl Knobs {
    pub fn from_env() -> Self {
        let loadgen = match std::env::var("BENCH_LOADGEN").unwrap_or_default().trim() {
            "" | "async" => LoadGen::Async,
            "threads" => LoadGen::Threads,
            other => panic!("BENCH_LOADGEN: '{other}' must be 'async' or 'threads'"),
        };
        Self {
            seconds: knob("BENCH_SECONDS", 10, 1, 600),
            warmup: knob("BENCH_WARMUP_SECONDS", 1, 0, 60),
            concurrency: knob("BENCH_CONCURRENCY", 32, 1, 1024),
            workers: knob("BENCH_WORKERS", 4, 1, 256),
            latency_ms: knob("BENCH_LATENCY_MS", 200, 1, 10_000),
            forward_orders: knob("BENCH_FORWARD_ORDERS", 200, 1, 100_000),
            sync_orders: knob("BENCH_SYNC_ORDERS", 100_000, 100, 10_000_000),
            sync_rounds: knob("BENCH_SYNC_ROUNDS", 2, 2, 100),
            pages_orders: knob("BENCH_PAGES_ORDERS", 1_000_000, 10_000, 100_000_000),
            pages_requests: knob("BENCH_PAGES_REQUESTS", 300, 10, 100_000),
            pages_seconds: knob("BENCH_PAGES_SECONDS", 10, 1, 3600),
            pages_concurrency: knob("BENCH_PAGES_CONCURRENCY", 4, 1, 64),
            loadgen,
            paced_rate: knob("BENCH_PACED_RATE", 0, 0, 1_000_000),
            phases: std::env::var("BENCH_PHASES")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_PHASES.join(","))
                .split(',')
                .map(|p| {
                    let p = p.trim().to_string();
                    assert!(
                        PHASES.contains(&p.as_str()),
                        "BENCH_PHASES: '{p}' is not one of {PHASES:?}"
                    );
                    p
                })
                .collect(),
        }
    }

    pub fn runs(&self, phase: &str) -> bool {
        self.phases.iter().any(|p| p == phase)
    }

    /// Whether any phase that shares the order phases' database and app is asked for.
    pub fn runs_order_phases(&self) -> bool {
        self.phases.iter().any(|p| DEFAULT_PHASES.contains(&p.as_str()))
    }
}

/// Every phase, in the order they run.
const PHASES: [&str; 11] = [
    "intake", "v2", "spread", "bare", "paced", "forward", "sync", "starve", "rss", "metrics", "pages",
];
/// The phases run when `BENCH_PHASES` is not set (`sync`, `starve`, `rss`, `metrics` and `pages`
/// take minutes or their own databases: ask for them).
const DEFAULT_PHASES: [&str; 6] = ["intake", "v2", "spread", "bare", "paced", "forward"];
