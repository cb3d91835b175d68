//! Benchmarks (issue 5): order intake through `POST /api/user/create-orders`, the same
//! machine's bare limit (an actix handler doing one insert transaction), and forwarding
//! throughput against provider-sim at a fixed latency. Issue 6: status-sync throughput
//! over many accepted orders (phase `sync`, not run by default). Issue 13: intake at a
//! fixed rate (phase `paced`), forwarding while a sync round runs (`starve`), the `serve`
//! binary's memory (`rss`) and the list pages at a million orders (`pages`); the last
//! three only when listed. Issue 14: the cost of measuring (`metrics`, when listed). Results and how to read them are in `BENCHMARKS.md`.
//!
//! ```sh
//! cargo bench --bench orders                                                        # SQLite
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench orders  # PostgreSQL
//! BENCH_PHASES=sync cargo bench --bench orders                                      # status sync
//! BENCH_PHASES=pages cargo bench --bench orders                                     # list pages
//! ```
//!
//! On PostgreSQL a fresh database `smm_bench_<random>` is created on that server and
//! dropped afterwards. Knobs (environment): `BENCH_SECONDS` (10) measured seconds per
//! load phase, `BENCH_WARMUP_SECONDS` (1) unmeasured seconds before them,
//! `BENCH_CONCURRENCY` (32) requests in flight, `BENCH_WORKERS` (4) the app's
//! `WORKERS`, `BENCH_LATENCY_MS` (200) provider-sim latency, `BENCH_FORWARD_ORDERS`
//! (200) orders forwarded, `BENCH_LOADGEN` (`async`: one thread, one task and one
//! keep-alive connection per concurrent client; `threads`: one OS thread with its own
//! `reqwest::blocking` client per concurrent client), `BENCH_PHASES`
//! (`intake,v2,spread,bare,paced,forward` by default; a list runs only those, `sync`,
//! `starve`, `rss`, `metrics` and `pages` included), `BENCH_PACED_RATE` (0: half the bare rate)
//! requests/s of the `paced` phase, `BENCH_SYNC_ORDERS` (100000) accepted orders in the sync phase,
//! `BENCH_SYNC_ROUNDS` (2) rounds: the first changes every order, the others find nothing
//! changed; `BENCH_PAGES_ORDERS` (1000000) orders seeded in the pages phase (and three
//! ledger rows each), `BENCH_PAGES_REQUESTS` (300) requests per list request and mode,
//! `BENCH_PAGES_SECONDS` (10) at most per mode, `BENCH_PAGES_CONCURRENCY` (4) clients of the
//! concurrent mode; `BENCH_KEEP_DB=1` keeps the bench's database; `BENCH_LANGUAGE` (en) the
//! pages' language (bn: Bengali words, digits and taka).
//!
//! Phases: `intake` — every client orders as the same customer; `v2` — the same through
//! `/api/v2` `action=add` with the customer's API key; `spread` — client `i`
//! orders as customer `i` (so no two transactions update the same balance row); `bare`
//! — the bare limit; `paced` — the one-customer intake in open loop at a fixed rate, its
//! latency from each request's scheduled start; `forward` — forwarding throughput;
//! `starve` — forwarding while a round over `BENCH_SYNC_ORDERS` orders runs; `rss` — the
//! `serve` binary's resident set idle and under the intake load; `sync` — `BENCH_SYNC_ROUNDS`
//! status-sync rounds over `BENCH_SYNC_ORDERS` accepted orders (its own database,
//! provider-sim and app); `pages` — the order and transaction lists over a seeded million
//! orders (its own database, provider-sim and app).
//!
//! Modules, one per concern: `knobs` (the settings), `app` (database, app, catalogue,
//! customers), `cpu` (/proc accounting), `loadgen` (the load generator and percentiles),
//! `report` (the order phases' table); one per phase: `intake` (intake and spread), `v2`,
//! `bare`, `forward`, `sync`, `starve`, `rss`, `metrics`, `pages`; `intake` also holds `paced`.

mod app;
mod bare;
mod cpu;
mod forward;
mod intake;
mod knobs;
mod loadgen;
mod metrics;
mod pages;
mod report;
mod rss;
mod starve;
mod sync;
mod v2;

use std::time::Duration;

use crate::app::{set_mode, shop, spawn_app, BenchDb};
use crate::cpu::CpuMark;
use crate::knobs::Knobs;
use crate::report::{report, Results};

fn main() {
    // `cargo bench` passes `--bench`; a test run of the bench target (no flag) skips.
    if !std::env::args().any(|a| a == "--bench") {
        println!("orders bench: run it with `cargo bench --bench orders` (skipped)");
        return;
    }
    let knobs = Knobs::from_env();
    // What else keeps the machine busy (another build, a test run) shows up here.
    let idle = CpuMark::now();
    std::thread::sleep(Duration::from_secs(1));
    let background = idle.since(None).machine;
    smm_panel::provider::client::install_crypto_provider();
    if knobs.runs_order_phases() {
        order_phases(&knobs, background);
    }
    if knobs.runs("sync") {
        let (backend, result) = sync::sync_phase(&knobs);
        sync::report_sync(backend, background, &result);
    }
    if knobs.runs("rss") {
        let (backend, result) = rss::rss_phase(&knobs);
        rss::report_rss(backend, &result);
    }
    if knobs.runs("starve") {
        let (backend, result) = starve::starve_phase(&knobs);
        starve::report_starve(backend, &result);
    }
    if knobs.runs("metrics") {
        let (backend, result) = metrics::metrics_phase(&knobs);
        metrics::report_metrics(backend, &result);
    }
    if knobs.runs("pages") {
        let (backend, result) = pages::pages_phase(&knobs);
        pages::report_pages(backend, background, &knobs, &result);
    }
}

/// The phases of issue 5 (intake, spread, bare, forward) on one database and app.
fn order_phases(knobs: &Knobs, background: Option<f64>) {
    let db = BenchDb::new();
    eprintln!("smm-panel bench on {}: {knobs:?}", db.backend);

    let sim_key = "bench-sim-key";
    let sim = crate::app::rich_sim(sim_key, knobs.latency_ms);
    let app = spawn_app(&db, knobs, &[]);
    let shop = shop(&app, &sim, sim_key);
    let mut results = Results {
        intake: None,
        v2: None,
        spread: None,
        bare: None,
        paced: None,
        forward: None,
    };

    // Intake with the service in manual mode: orders are validated, charged and stored,
    // nothing is forwarded, so the workers compete neither for the CPU nor the database.
    set_mode(&app, &shop, "manual");
    if knobs.runs("intake") {
        results.intake = Some(intake::one_customer(&app, &shop, knobs));
    }
    if knobs.runs("v2") {
        results.v2 = Some(v2::run(&app, &shop, knobs));
    }
    if knobs.runs("spread") {
        results.spread = Some(intake::spread(&app, &shop, knobs));
    }
    if knobs.runs("bare") {
        results.bare = Some(bare::run(&db, knobs, shop.service_id));
    }
    if knobs.runs("paced") {
        let rate = match (knobs.paced_rate, &results.bare) {
            (0, Some(bare)) => bare.per_second() / 2.0,
            (0, None) => panic!("phase paced needs BENCH_PACED_RATE or the bare phase before it"),
            (rate, _) => rate as f64,
        };
        results.paced = Some(intake::paced(&app, &shop, knobs, rate));
    }
    if knobs.runs("forward") {
        set_mode(&app, &shop, "auto");
        results.forward = Some(forward::forwarding(&app, &shop, &sim, knobs));
    }

    report(db.backend, knobs, background, &results);
    drop(app);
    drop(sim);
    drop(db);
}
