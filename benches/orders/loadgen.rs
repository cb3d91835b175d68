//! The load generator: `BENCH_CONCURRENCY` clients, each with one request in flight,
//! and the latency percentiles of what completed inside the measured window.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::app::blocking_client;
use crate::cpu::{stat_cpu, CpuMark, CpuShare};
use crate::knobs::{Knobs, LoadGen};

#[derive(Debug, Default)]
pub struct Sample {
    pub ok: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub latencies_us: Vec<u64>,
}

impl Sample {
    fn merge(&mut self, other: Sample) {
        self.ok += other.ok;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.latencies_us.extend(other.latencies_us);
    }

    fn record(&mut self, outcome: Result<(), String>, latency: Duration) {
        match outcome {
            Ok(()) => {
                self.ok += 1;
                self.latencies_us.push(latency.as_micros() as u64);
            }
            Err(e) => {
                self.errors += 1;
                self.first_error.get_or_insert(e);
            }
        }
    }
}

pub struct LoadResult {
    pub label: String,
    pub seconds: f64,
    pub sample: Sample,
    pub cpu: CpuShare,
}

impl LoadResult {
    pub fn per_second(&self) -> f64 {
        self.sample.ok as f64 / self.seconds
    }

    /// CPU milliseconds this process spent per completed request.
    pub fn cpu_ms_per_request(&self) -> Option<f64> {
        let secs = self.cpu.process_secs?;
        (self.sample.ok > 0).then(|| secs * 1000.0 / self.sample.ok as f64)
    }

    /// Kilobytes this process wrote per completed request.
    pub fn kb_written_per_request(&self) -> Option<f64> {
        let bytes = self.cpu.written?;
        (self.sample.ok > 0).then(|| bytes as f64 / 1024.0 / self.sample.ok as f64)
    }

    pub fn percentile_ms(&self, p: f64) -> f64 {
        let sorted = &self.sample.latencies_us;
        if sorted.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
    }
}

/// The body a client sends for its `n`th request: `create-orders` JSON, or for `/api/v2`
/// an `add` with the client's API key (`credential`) as a JSON body.
fn order_body(url: &str, credential: Option<&str>, service_id: i64, prefix: &str, client: usize, n: u64) -> String {
    let link = format!("https://x.com/{prefix}-{client}-{n}");
    if url.ends_with("/api/v2") {
        json!({"key": credential, "action": "add", "service": service_id, "link": link, "quantity": 100}).to_string()
    } else {
        json!({"serviceId": service_id, "link": link, "qty": 100}).to_string()
    }
}

/// `concurrency` clients each send one request at a time, back to back, for the warm-up
/// and then the measured seconds. Only requests that complete inside the measured window
/// count (throughput = those / window, latencies are theirs).
pub fn drive(label: &str, url: &str, tokens: &[String], service_id: i64, prefix: &str, knobs: &Knobs) -> LoadResult {
    eprintln!(
        "  {label}: {} clients, {} s warm-up + {} s measured …",
        knobs.concurrency, knobs.warmup, knobs.seconds
    );
    let warm_end = Instant::now() + Duration::from_secs(knobs.warmup);
    let end = warm_end + Duration::from_secs(knobs.seconds);
    let (mut sample, cpu) = match knobs.loadgen {
        LoadGen::Async => drive_async(url, tokens, service_id, prefix, knobs.concurrency, warm_end, end),
        LoadGen::Threads => drive_threads(url, tokens, service_id, prefix, knobs.concurrency, warm_end, end),
    };
    sample.latencies_us.sort_unstable();
    LoadResult {
        label: label.to_string(),
        seconds: knobs.seconds as f64,
        sample,
        cpu,
    }
}

fn drive_async(
    url: &str,
    tokens: &[String],
    service_id: i64,
    prefix: &str,
    concurrency: usize,
    warm_end: Instant,
    end: Instant,
) -> (Sample, CpuShare) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for client_no in 0..concurrency {
            let (url, prefix) = (url.to_string(), prefix.to_string());
            // Client `i` signs in as account `i mod accounts` (none: no Authorization header).
            let token = (!tokens.is_empty()).then(|| tokens[client_no % tokens.len()].clone());
            tasks.spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(60))
                    .build()
                    .expect("HTTP client");
                let mut sample = Sample::default();
                let mut n = 0u64;
                while Instant::now() < end {
                    n += 1;
                    let mut request = client
                        .post(&url)
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body(order_body(&url, token.as_deref(), service_id, &prefix, client_no, n));
                    if let Some(token) = &token {
                        request = request.bearer_auth(token);
                    }
                    let started = Instant::now();
                    let outcome = match request.send().await {
                        Ok(response) => {
                            let status = response.status();
                            match response.bytes().await {
                                // API v2 answers a refusal with HTTP 200 and `{"error"}`.
                                Ok(body) if status.is_success() && !body.starts_with(b"{\"error\"") => Ok(()),
                                Ok(body) => Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body))),
                                Err(e) => Err(format!("reading the body: {e}")),
                            }
                        }
                        Err(e) => Err(format!("{e}")),
                    };
                    let finished = Instant::now();
                    if finished >= warm_end && finished <= end {
                        sample.record(outcome, finished - started);
                    }
                }
                sample
            });
        }
        // Measures the window on the same thread: every task runs on it, so its CPU time
        // is the generator's.
        let monitor = tokio::spawn(async move {
            tokio::time::sleep_until(warm_end.into()).await;
            let mark = CpuMark::now();
            let thread_start = stat_cpu("/proc/thread-self/stat");
            tokio::time::sleep_until(end.into()).await;
            let generator = thread_start.zip(stat_cpu("/proc/thread-self/stat")).map(|(a, b)| b - a);
            mark.since(generator)
        });
        let mut total = Sample::default();
        while let Some(joined) = tasks.join_next().await {
            total.merge(joined.expect("load task"));
        }
        (total, monitor.await.expect("monitor task"))
    })
}

fn drive_threads(
    url: &str,
    tokens: &[String],
    service_id: i64,
    prefix: &str,
    concurrency: usize,
    warm_end: Instant,
    end: Instant,
) -> (Sample, CpuShare) {
    let monitor = std::thread::spawn(move || {
        std::thread::sleep(warm_end.saturating_duration_since(Instant::now()));
        let mark = CpuMark::now();
        std::thread::sleep(end.saturating_duration_since(Instant::now()));
        mark.since(None)
    });
    let threads: Vec<_> = (0..concurrency)
        .map(|client_no| {
            let (url, prefix) = (url.to_string(), prefix.to_string());
            // Client `i` signs in as account `i mod accounts` (none: no Authorization header).
            let token = (!tokens.is_empty()).then(|| tokens[client_no % tokens.len()].clone());
            std::thread::spawn(move || {
                let client = blocking_client();
                let mut sample = Sample::default();
                let mut n = 0u64;
                while Instant::now() < end {
                    n += 1;
                    let mut request = client
                        .post(&url)
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body(order_body(&url, token.as_deref(), service_id, &prefix, client_no, n));
                    if let Some(token) = &token {
                        request = request.bearer_auth(token);
                    }
                    let started = Instant::now();
                    let outcome = match request.send() {
                        Ok(response) => {
                            let status = response.status();
                            match response.bytes() {
                                // API v2 answers a refusal with HTTP 200 and `{"error"}`.
                                Ok(body) if status.is_success() && !body.starts_with(b"{\"error\"") => Ok(()),
                                Ok(body) => Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body))),
                                Err(e) => Err(format!("reading the body: {e}")),
                            }
                        }
                        Err(e) => Err(format!("{e}")),
                    };
                    let finished = Instant::now();
                    if finished >= warm_end && finished <= end {
                        sample.record(outcome, finished - started);
                    }
                }
                sample
            })
        })
        .collect();
    let mut total = Sample::default();
    for thread in threads {
        total.merge(thread.join().expect("load thread"));
    }
    (total, monitor.join().expect("monitor thread"))
}
