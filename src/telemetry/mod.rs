//! What the running panel measures (issue 14): counters, gauges and histograms through
//! the `metrics` facade (rendered for Prometheus at `GET /metrics`), and the same
//! events summed per minute in memory (`minute`) for the System page's history, which
//! `sampler` writes to the database once a minute.
//!
//! Recording is cheap by construction: no database query, no lock held across an
//! await — an atomic add, or a short map lookup under a mutex for per-provider sums.
//! Labels carry route patterns, provider ids, actions and kinds, never a path with ids
//! in it, an address, an email or a key.

pub mod logging;
pub mod minute;
pub mod process;
pub mod sampler;

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub use minute::MINUTE;

/// The Prometheus recorder of this process, once installed.
static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Latency buckets (seconds) for HTTP requests and provider calls.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Sync rounds take seconds to minutes.
const ROUND_BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0];

/// Installs the process-wide recorder (the first call; later ones return the same
/// handle). Metrics recorded before it, or when it is never installed (`METRICS=off`),
/// go nowhere at the cost of a no-op call.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full("smm_sync_round_duration_seconds".into()), ROUND_BUCKETS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS))
            .expect("bucket lists are not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            log::warn!("a metrics recorder was already installed; /metrics shows only this one's");
        }
        describe();
        gauge!("smm_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        gauge!("process_start_time_seconds").set(process::start_time_secs());
        handle
    })
}

/// The recorder, if this process installed one.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE.get()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "smm_http_requests_total",
        "HTTP requests answered, by route pattern, method and status class"
    );
    describe_histogram!(
        "smm_http_request_duration_seconds",
        Unit::Seconds,
        "HTTP response time by route pattern"
    );
    describe_counter!(
        "smm_orders_placed_total",
        "Orders placed, by route (queued for a provider, manual)"
    );
    describe_gauge!("smm_orders", "Orders by status (counted once a minute)");
    describe_gauge!(
        "smm_forward_queue_depth",
        "Orders waiting to be forwarded to a provider"
    );
    describe_counter!(
        "smm_forward_outcomes_total",
        "Forwarding attempts by provider and outcome"
    );
    describe_histogram!(
        "smm_provider_call_duration_seconds",
        Unit::Seconds,
        "Provider API calls by provider and action"
    );
    describe_counter!(
        "smm_provider_call_errors_total",
        "Failed provider API calls by provider, action and class"
    );
    describe_counter!("smm_sync_rounds_total", "Status sync rounds finished");
    describe_histogram!(
        "smm_sync_round_duration_seconds",
        Unit::Seconds,
        "Status sync round duration"
    );
    describe_counter!("smm_sync_orders_checked_total", "Orders checked by sync rounds");
    describe_counter!(
        "smm_sync_orders_changed_total",
        "Orders whose status a sync round changed"
    );
    describe_counter!("smm_sync_errors_total", "Errors met by sync rounds");
    describe_counter!(
        "smm_order_requests_total",
        "Refill and cancel requests by kind and event"
    );
    describe_counter!("smm_ledger_postings_total", "Committed ledger rows by kind");
    describe_gauge!(
        "smm_db_pool_connections",
        "Database pool connections by state (in_use, idle)"
    );
    describe_histogram!(
        "smm_db_pool_wait_seconds",
        Unit::Seconds,
        "Time waited for a pooled database connection"
    );
    describe_counter!(
        "smm_db_pool_timeouts_total",
        "Requests for a pooled connection that timed out"
    );
    describe_gauge!(
        "process_cpu_seconds_total",
        Unit::Seconds,
        "CPU time used by this process (user + system)"
    );
    describe_gauge!(
        "process_resident_memory_bytes",
        Unit::Bytes,
        "Resident memory of this process"
    );
    describe_gauge!("process_open_fds", "Open file descriptors of this process");
    describe_gauge!(
        "process_start_time_seconds",
        Unit::Seconds,
        "When this process started (Unix time)"
    );
    describe_gauge!(
        "smm_uptime_seconds",
        Unit::Seconds,
        "Seconds since this process started"
    );
    describe_gauge!("smm_build_info", "The running build (label `version`)");
}

/// "2xx", "4xx", … for a status code.
pub fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// A request series' handles, kept per thread by the request's path: the hot path
/// neither matches the path against every route pattern again, nor builds a labelled
/// key and looks it up in the recorder's registry.
type HttpSeries = (metrics::Counter, metrics::Histogram);
/// By method and status class, then by path.
type HttpSeriesByPath = HashMap<(&'static str, &'static str), HashMap<String, HttpSeries>>;

/// Paths remembered per thread before the memory is cleared (a client sending endless
/// distinct paths, e.g. ids, costs a pattern match each, never unbounded memory).
const REMEMBERED_PATHS: usize = 4096;
/// Longer paths are not remembered.
const REMEMBERED_PATH_LEN: usize = 96;

thread_local! {
    /// By method and status class, then by path (looked up without allocating).
    static HTTP_SERIES: std::cell::RefCell<HttpSeriesByPath> =
        std::cell::RefCell::new(HashMap::new());
}

/// One answered HTTP request at `path`; `route` gives its matched pattern
/// (`/api/user/orders/{id}`), called only when the path is not remembered.
pub fn http_request(
    path: &str,
    route: impl FnOnce() -> Option<String>,
    method: &'static str,
    status: u16,
    elapsed: Duration,
) {
    let class = status_class(status);
    MINUTE.http(status >= 500, elapsed);
    if handle().is_none() {
        return;
    }
    let record = |(count, latency): &HttpSeries| {
        count.increment(1);
        latency.record(elapsed.as_secs_f64());
    };
    HTTP_SERIES.with(|series| {
        let mut series = series.borrow_mut();
        let by_path = series.entry((method, class)).or_default();
        if let Some(handles) = by_path.get(path) {
            return record(handles);
        }
        let route = route().unwrap_or_else(|| "unmatched".into());
        let handles = (
            counter!("smm_http_requests_total", "route" => route.clone(), "method" => method, "class" => class),
            histogram!("smm_http_request_duration_seconds", "route" => route, "class" => class),
        );
        record(&handles);
        if path.len() <= REMEMBERED_PATH_LEN {
            if by_path.len() >= REMEMBERED_PATHS {
                by_path.clear();
            }
            by_path.insert(path.to_string(), handles);
        }
    });
}

/// Orders placed (committed), by where they went first: `queued` for a provider or
/// `manual` for an admin.
pub fn orders_placed(route: &'static str, count: u64) {
    if count > 0 {
        counter!("smm_orders_placed_total", "route" => route).increment(count);
    }
}

/// How many orders are in each status (the sampler counts them once a minute).
pub fn set_orders_by_status(counts: &[(String, i64)]) {
    for (status, n) in counts {
        gauge!("smm_orders", "status" => status.clone()).set(*n as f64);
    }
}

/// How a forwarding attempt ended: accepted, refused, retried, unknown, failed.
pub fn forward_outcome(provider_id: Option<i64>, outcome: &'static str) {
    counter!("smm_forward_outcomes_total", "provider" => provider_label(provider_id), "outcome" => outcome)
        .increment(1);
}

/// One provider API call; `error_class` when it failed.
pub fn provider_call(provider_id: i64, action: &'static str, latency: Duration, error_class: Option<&'static str>) {
    let provider = provider_id.to_string();
    histogram!("smm_provider_call_duration_seconds", "provider" => provider.clone(), "action" => action)
        .record(latency.as_secs_f64());
    if let Some(class) = error_class {
        counter!("smm_provider_call_errors_total", "provider" => provider, "action" => action, "class" => class)
            .increment(1);
    }
    MINUTE.provider_call(provider_id, latency, error_class.is_some());
}

/// A finished sync round.
pub fn sync_round(duration: Duration, checked: u64, changed: u64, errors: u64) {
    counter!("smm_sync_rounds_total").increment(1);
    histogram!("smm_sync_round_duration_seconds").record(duration.as_secs_f64());
    counter!("smm_sync_orders_checked_total").increment(checked);
    counter!("smm_sync_orders_changed_total").increment(changed);
    counter!("smm_sync_errors_total").increment(errors);
    MINUTE.sync_round(duration);
}

/// A refill or cancel request event: `kind` refill|cancel, `event` placed, sent,
/// rejected, unknown, retried, completed.
pub fn order_request(kind: &str, event: &'static str) {
    let kind = if kind == "refill" { "refill" } else { "cancel" };
    counter!("smm_order_requests_total", "kind" => kind, "event" => event).increment(1);
}

/// Ledger rows committed, by kind.
pub fn ledger_postings(kind: &str, count: u64) {
    counter!("smm_ledger_postings_total", "kind" => kind.to_string()).increment(count);
}

/// Time a caller waited for a pooled connection (from the first checkout after the
/// recorder is installed; the handle is kept, every checkout records).
pub fn pool_wait(waited: Duration) {
    static WAIT: OnceLock<metrics::Histogram> = OnceLock::new();
    if handle().is_some() {
        WAIT.get_or_init(|| histogram!("smm_db_pool_wait_seconds"))
            .record(waited.as_secs_f64());
    }
}

pub fn pool_timeout() {
    counter!("smm_db_pool_timeouts_total").increment(1);
}

/// Gauges read at a scrape and by the sampler: pool state, process figures, uptime.
pub fn refresh_gauges(pool: &crate::db::DbPool) {
    let state = pool.state();
    gauge!("smm_db_pool_connections", "state" => "idle").set(f64::from(state.idle_connections));
    gauge!("smm_db_pool_connections", "state" => "in_use")
        .set(f64::from(state.connections.saturating_sub(state.idle_connections)));
    let figures = process::Figures::read();
    gauge!("process_cpu_seconds_total").set(figures.cpu_seconds);
    gauge!("process_resident_memory_bytes").set(figures.rss_bytes as f64);
    gauge!("process_open_fds").set(figures.open_fds as f64);
    gauge!("smm_uptime_seconds").set(process::uptime().as_secs_f64());
}

pub fn set_queue_depth(depth: i64) {
    gauge!("smm_forward_queue_depth").set(depth as f64);
}

fn provider_label(provider_id: Option<i64>) -> String {
    provider_id.map_or_else(|| "none".into(), |id| id.to_string())
}
