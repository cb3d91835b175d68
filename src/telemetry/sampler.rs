//! One thread per process: every few seconds it refreshes the gauges (pool, process,
//! forwarding queue) and runs the Prometheus recorder's upkeep; at each minute's end it
//! writes the minute's row for this instance, checks the alert thresholds (logging
//! `[ALERT]` when one starts or stops holding), and once an hour rolls old minutes up.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::db::metrics::{self as samples, ProviderSampleRow, SampleRow};
use crate::service::alerts;
use crate::state::AppState;
use crate::worker::wake::Wake;

const TICK: Duration = Duration::from_secs(5);

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// This process's name in the history: host and runner id.
pub fn instance_name(state: &AppState) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    format!("{host}/{}", state.runner_id)
}

pub fn run(state: AppState, shutdown: Arc<AtomicBool>, stop_signal: Arc<Wake>) {
    let instance = instance_name(&state);
    let mut minute = unix_now() / 60;
    let mut cpu_at_minute = super::process::Figures::read().cpu_seconds;
    let mut rolled_hour = None;
    let mut firing = BTreeMap::new();
    // The minute being summed started before this process: its first row is partial.
    super::MINUTE.take();
    while !shutdown.load(Ordering::SeqCst) {
        let seen = stop_signal.generation();
        let queue = refresh(&state);
        let now = unix_now();
        if now / 60 != minute {
            flush(&state, &instance, minute, &mut cpu_at_minute, queue);
            minute = now / 60;
            if let Some(counts) = state
                .conn()
                .ok()
                .and_then(|mut c| crate::db::orders::count_by_status(&mut c).ok())
            {
                super::set_orders_by_status(&counts);
            }
            check_alerts(&state, now, &mut firing);
            if rolled_hour != Some(now / 3600) {
                rolled_hour = Some(now / 3600);
                let rolled = state.conn().map_err(|e| e.to_string()).and_then(|mut c| {
                    crate::db::write_transaction(&mut c, |c| {
                        samples::roll_up(c, now - samples::MINUTE_ROWS_KEPT, now - samples::KEPT)
                    })
                    .map_err(|e| e.to_string())
                });
                if let Err(e) = rolled {
                    log::warn!("could not roll up old metrics: {e}");
                }
            }
        }
        let until_minute = Duration::from_secs((60 - unix_now().rem_euclid(60)) as u64);
        stop_signal.wait(seen, TICK.min(until_minute).max(Duration::from_millis(100)));
    }
    // Stopping: the minute so far is written too, so a restart loses none of it.
    let queue = refresh(&state);
    flush(&state, &instance, minute, &mut cpu_at_minute, queue);
}

/// Writes the row of `minute` (Unix minutes) from what was summed since the last one.
fn flush(state: &AppState, instance: &str, minute: i64, cpu_at_minute: &mut f64, queue: i64) {
    let figures = super::process::Figures::read();
    let cpu_ms = ((figures.cpu_seconds - *cpu_at_minute) * 1000.0).round() as i64;
    *cpu_at_minute = figures.cpu_seconds;
    let row = minute_row(instance, minute * 60, cpu_ms, figures.rss_bytes, queue);
    if let Err(e) = write(state, &row) {
        log::warn!("could not write this minute's metrics: {e}");
    }
}

/// Gauges and upkeep; the queue depth read (0 when the database cannot be asked).
fn refresh(state: &AppState) -> i64 {
    super::refresh_gauges(&state.pool);
    if let Some(handle) = super::handle() {
        handle.run_upkeep();
    }
    let depth = state
        .conn()
        .ok()
        .and_then(|mut c| crate::db::orders::queue_depth(&mut c).ok())
        .unwrap_or(0);
    super::set_queue_depth(depth);
    depth
}

/// The row for the minute starting at `at`, from what `MINUTE` summed.
fn minute_row(
    instance: &str,
    at: i64,
    cpu_ms: i64,
    rss_bytes: u64,
    queue_depth: i64,
) -> (SampleRow, Vec<ProviderSampleRow>) {
    let taken = super::MINUTE.take();
    let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let sample = SampleRow {
        instance: instance.to_string(),
        span: samples::MINUTE,
        at,
        requests: clamp(taken.requests),
        errors: clamp(taken.errors),
        p50_ms: clamp(taken.p50_ms),
        p95_ms: clamp(taken.p95_ms),
        p99_ms: clamp(taken.p99_ms),
        cpu_ms: cpu_ms.max(0),
        rss_bytes: clamp(rss_bytes),
        queue_depth,
        sync_rounds: taken.rounds_ms.len() as i64,
        sync_ms: clamp(taken.rounds_ms.iter().copied().max().unwrap_or(0)),
    };
    let providers = taken
        .providers
        .into_iter()
        .map(|(provider_id, sums)| ProviderSampleRow {
            instance: instance.to_string(),
            span: samples::MINUTE,
            at,
            provider_id,
            calls: clamp(sums.calls),
            errors: clamp(sums.errors),
            latency_ms_sum: clamp(sums.latency_ms_sum),
            latency_ms_max: clamp(sums.latency_ms_max),
        })
        .collect();
    (sample, providers)
}

fn write(state: &AppState, (sample, providers): &(SampleRow, Vec<ProviderSampleRow>)) -> Result<(), String> {
    let mut conn = state.conn().map_err(|e| e.to_string())?;
    crate::db::write_transaction(&mut conn, |c| samples::insert(c, sample, providers)).map_err(|e| e.to_string())
}

/// Logs each alert when it starts holding and when it stops.
fn check_alerts(state: &AppState, now: i64, firing: &mut BTreeMap<String, String>) {
    let current = match state
        .conn()
        .map_err(|e| e.to_string())
        .and_then(|mut c| alerts::evaluate(&mut c, now).map_err(|e| e.to_string()))
    {
        Ok(current) => current,
        Err(e) => {
            log::warn!("could not check the alert thresholds: {e}");
            return;
        }
    };
    let now_firing: BTreeMap<String, String> = current.into_iter().map(|a| (a.key, a.message)).collect();
    for (key, message) in &now_firing {
        if !firing.contains_key(key) {
            log::warn!("[ALERT] {message}");
        }
    }
    for (key, message) in firing.iter() {
        if !now_firing.contains_key(key) {
            log::info!("[ALERT] resolved: {message}");
        }
    }
    *firing = now_firing;
}
