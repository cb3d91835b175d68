//! The cost of measuring (phase `metrics`, issue 14): the one-customer intake against
//! `smm-panel serve` with `METRICS=off` and `METRICS=on`, alternated (off, on, on, off,
//! off, on) so drift on the machine falls on both; then `GET /metrics` at scale — 100 providers
//! whose calls have been recorded, `BENCH_PAGES_ORDERS` orders in the database — and
//! the sampler's once-a-minute counts over those orders.

use std::time::{Duration, Instant};

use crate::app::{blocking_client, call, create_provider, set_mode, shop, spawn_app, BenchDb};
use crate::knobs::Knobs;
use crate::loadgen::{drive, LoadResult};
use crate::rss::Serve;

pub struct MetricsResult {
    /// (METRICS on?, the load, `serve`'s CPU milliseconds per answered request) in the
    /// order run.
    pub runs: Vec<(bool, LoadResult, f64)>,
    pub orders: i64,
    pub providers: usize,
    pub series: usize,
    pub scrape_ms: Vec<f64>,
    pub scrape_bytes: usize,
    pub count_by_status_ms: f64,
    pub queue_depth_ms: f64,
    /// Nanoseconds of one request's recording (the middleware's call, a remembered path)
    /// and of one pool checkout's, in this process with the recorder installed.
    pub record_request_ns: f64,
    pub record_checkout_ns: f64,
}

/// The recording calls themselves, a million times each.
fn recording_cost() -> (f64, f64) {
    smm_panel::telemetry::install();
    const N: u32 = 1_000_000;
    let started = Instant::now();
    for i in 0..N {
        smm_panel::telemetry::http_request(
            "/api/user/create-orders",
            || Some("/api/user/create-orders".into()),
            "POST",
            201,
            Duration::from_micros(u64::from(i % 5000)),
        );
    }
    let request = started.elapsed().as_nanos() as f64 / f64::from(N);
    let started = Instant::now();
    for i in 0..N {
        smm_panel::telemetry::pool_wait(Duration::from_nanos(u64::from(i % 1000)));
    }
    let checkout = started.elapsed().as_nanos() as f64 / f64::from(N);
    (request, checkout)
}

const PROVIDERS: usize = 100;
const SCRAPES: usize = 50;

pub fn metrics_phase(knobs: &Knobs) -> (&'static str, MetricsResult) {
    let db = BenchDb::new();
    eprintln!("smm-panel metrics bench on {}", db.backend);
    let sim_key = "bench-metrics-sim-key";
    let sim = crate::app::rich_sim(sim_key, 0);
    let setup = spawn_app(&db, knobs, &[]);
    let shop = shop(&setup, &sim, sim_key);
    set_mode(&setup, &shop, "manual");
    let env = setup.env.clone();

    // Part 1: the intake with and without measuring, each on a fresh `serve`.
    let mut runs = Vec::new();
    // off, on, on, off, off, on: a drift over the runs (the orders table grows) falls
    // equally on both sides.
    for on in [false, true, true, false, false, true] {
        let (serve, base) = Serve::start(&env, &[("METRICS", if on { "on" } else { "off" })]);
        std::thread::sleep(Duration::from_secs(1));
        let label = format!("intake, METRICS={}", if on { "on" } else { "off" });
        let tokens = [shop.customer_token.clone()];
        let stat = format!("/proc/{}/stat", serve.0.id());
        let cpu_before = crate::cpu::stat_cpu(&stat).unwrap_or(0);
        let load = drive(
            &label,
            &format!("{base}/api/user/create-orders"),
            &tokens,
            shop.service_id,
            if on { "m" } else { "n" },
            knobs,
        );
        // Jiffies are 10 ms; over tens of thousands of requests that is fine-grained.
        let jiffies = crate::cpu::stat_cpu(&stat).unwrap_or(0).saturating_sub(cpu_before);
        let cpu_ms_per_request = jiffies as f64 * 10.0 / load.sample.ok.max(1) as f64;
        runs.push((on, load, cpu_ms_per_request));
        drop(serve);
    }

    // Part 2: 100 providers and a million orders, then scrape.
    let client = blocking_client();
    let provider_ids: Vec<i64> = (1..PROVIDERS)
        .map(|i| create_provider(&setup, &client, &shop.admin_token, &format!("Sim {i}"), &sim, sim_key))
        .collect();
    let orders = knobs.pages_orders as i64;
    if orders > 0 {
        eprintln!("  metrics: seeding {orders} orders …");
        crate::pages::seed(&setup, shop.customer_id, orders);
    }
    let mut conn = setup.state.conn().expect("connection");
    let started = Instant::now();
    smm_panel::db::orders::count_by_status(&mut conn).expect("count by status");
    let count_by_status_ms = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    smm_panel::db::orders::queue_depth(&mut conn).expect("queue depth");
    let queue_depth_ms = started.elapsed().as_secs_f64() * 1000.0;
    drop(conn);
    drop(setup);

    let (serve, base) = Serve::start(&env, &[("METRICS", "on")]);
    // Every provider gets calls recorded (a connection test is a `balance` call), and
    // every page kind some requests, so the scrape carries their series.
    for id in &provider_ids {
        let test = format!("{base}/api/admin/providers/{id}/test");
        let _ = call(
            &client,
            reqwest::Method::POST,
            &test,
            Some(&shop.admin_token),
            None,
            200,
        );
    }
    for path in [
        "/api/user/orders",
        "/api/user/me",
        "/api/services",
        "/api/user/transactions",
    ] {
        for _ in 0..20 {
            let _ = client
                .get(format!("{base}{path}"))
                .bearer_auth(&shop.customer_token)
                .send();
        }
    }
    let mut scrape_ms = Vec::new();
    let mut body = String::new();
    for _ in 0..SCRAPES {
        let started = Instant::now();
        body = client
            .get(format!("{base}/metrics"))
            .send()
            .and_then(|r| r.text())
            .expect("scrape");
        scrape_ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    drop(serve);
    let (record_request_ns, record_checkout_ns) = recording_cost();
    let series = body.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).count();
    scrape_ms.sort_by(f64::total_cmp);
    let backend = db.backend;
    drop(sim);
    drop(db);
    (
        backend,
        MetricsResult {
            runs,
            orders,
            providers: PROVIDERS,
            series,
            scrape_bytes: body.len(),
            scrape_ms,
            count_by_status_ms,
            queue_depth_ms,
            record_request_ns,
            record_checkout_ns,
        },
    )
}

pub fn report_metrics(backend: &str, r: &MetricsResult) {
    println!();
    println!("smm-panel cost of measuring — {backend} — `smm-panel serve`, METRICS off/on alternated");
    for (on, load, cpu) in &r.runs {
        println!(
            "{:<24} {:>8.0}/s  p50 {:>6.1} ms  p99 {:>6.1} ms  errors {}  serve CPU {:>5.0} µs/request (METRICS={})",
            load.label,
            load.per_second(),
            load.percentile_ms(50.0),
            load.percentile_ms(99.0),
            load.sample.errors,
            cpu * 1000.0,
            if *on { "on" } else { "off" }
        );
    }
    let mean = |on: bool, f: &dyn Fn(&LoadResult, f64) -> f64| {
        let values: Vec<f64> = r
            .runs
            .iter()
            .filter(|(o, _, _)| *o == on)
            .map(|(_, l, c)| f(l, *c))
            .collect();
        values.iter().sum::<f64>() / values.len().max(1) as f64
    };
    let (off, on) = (mean(false, &|l, _| l.per_second()), mean(true, &|l, _| l.per_second()));
    println!(
        "throughput: mean off {off:.0}/s, on {on:.0}/s ({:+.1} %; runs of one mode spread more than that)",
        (on / off - 1.0) * 100.0
    );
    let (cpu_off, cpu_on) = (mean(false, &|_, c| c), mean(true, &|_, c| c));
    let cost = (cpu_on / cpu_off - 1.0) * 100.0;
    println!(
        "serve CPU per request: off {:.0} µs, on {:.0} µs: measuring costs {cost:+.1} % — {}",
        cpu_off * 1000.0,
        cpu_on * 1000.0,
        crate::report::met(cost <= 5.0)
    );
    println!(
        "recording, in-process: {:.0} ns per request (counter + histogram + minute sums), {:.0} ns per pool checkout",
        r.record_request_ns, r.record_checkout_ns
    );
    let p = |q: f64| r.scrape_ms[((r.scrape_ms.len() - 1) as f64 * q).round() as usize];
    println!(
        "GET /metrics with {} providers and {} orders: {} series, {} KiB; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms — {}",
        r.providers,
        r.orders,
        r.series,
        r.scrape_bytes / 1024,
        p(0.5),
        p(0.99),
        p(1.0),
        crate::report::met(p(0.99) <= 50.0)
    );
    println!(
        "sampler, once a minute over {} orders: count by status {:.1} ms, queue depth {:.1} ms",
        r.orders, r.count_by_status_ms, r.queue_depth_ms
    );
}
