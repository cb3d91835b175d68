//! The table of the order phases (intake, v2, spread, bare, forward) and the targets.

use crate::forward::ForwardResult;
use crate::knobs::{Knobs, LoadGen};
use crate::loadgen::LoadResult;

pub fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.0} %"))
}

pub fn met(ok: bool) -> &'static str {
    if ok {
        "MET"
    } else {
        "NOT MET"
    }
}

pub struct Results {
    pub intake: Option<LoadResult>,
    /// The same customer's orders through `/api/v2` (`action=add`, issue 11).
    pub v2: Option<LoadResult>,
    pub spread: Option<LoadResult>,
    pub bare: Option<LoadResult>,
    pub forward: Option<ForwardResult>,
}

pub fn report(backend: &str, knobs: &Knobs, background: Option<f64>, results: &Results) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let loadgen = match knobs.loadgen {
        LoadGen::Async => "async (1 thread, 1 keep-alive connection per client)",
        LoadGen::Threads => "threads (1 reqwest::blocking client per client)",
    };
    println!();
    println!(
        "smm-panel benchmark — {backend} — {cores} cores — concurrency {} — {} s measured after {} s warm-up",
        knobs.concurrency, knobs.seconds, knobs.warmup
    );
    println!("load generator: {loadgen}");
    println!(
        "machine/process/loadgen: CPU busy as a share of all cores (the whole machine, this process — app, \
         provider-sim and generator —, the generator's thread); cpu ms/req: this process's CPU time per \
         request; KB wr/req: bytes this process wrote per request (SQLite pages and WAL, HTTP both ways)"
    );
    println!(
        "machine CPU busy in the second before the run (other work): {}",
        pct(background)
    );
    println!();
    println!(
        "| {:<38} | {:>8} | {:>6} | {:>6} | {:>6} | {:>6} | {:>7} | {:>7} | {:>7} | {:>10} | {:>9} |",
        "phase",
        "requests",
        "errors",
        "req/s",
        "p50 ms",
        "p99 ms",
        "machine",
        "process",
        "loadgen",
        "cpu ms/req",
        "KB wr/req"
    );
    println!(
        "|{:-<40}|{:->10}|{:->8}|{:->8}|{:->8}|{:->8}|{:->9}|{:->9}|{:->9}|{:->12}|{:->11}|",
        "", "", "", "", "", "", "", "", "", "", ""
    );
    let loads = [&results.intake, &results.v2, &results.spread, &results.bare];
    for r in loads.iter().copied().flatten() {
        let num = |v: Option<f64>, decimals: usize| v.map_or_else(|| "-".into(), |v| format!("{v:.decimals$}"));
        println!(
            "| {:<38} | {:>8} | {:>6} | {:>6.0} | {:>6.1} | {:>6.1} | {:>7} | {:>7} | {:>7} | {:>10} | {:>9} |",
            r.label,
            r.sample.ok,
            r.sample.errors,
            r.per_second(),
            r.percentile_ms(50.0),
            r.percentile_ms(99.0),
            pct(r.cpu.machine),
            pct(r.cpu.process),
            pct(r.cpu.loadgen),
            num(r.cpu_ms_per_request(), 3),
            num(r.kb_written_per_request(), 1),
        );
    }
    println!();
    for r in loads.iter().copied().flatten() {
        if let Some(e) = &r.sample.first_error {
            println!(
                "first error in {}: {}",
                r.label,
                e.chars().take(300).collect::<String>()
            );
        }
    }
    if let Some(forward) = &results.forward {
        println!(
            "forwarding: {} of {} orders accepted in {:.2} s from the first batch queued = {:.1} orders/s; \
             ideal WORKERS ÷ latency = {} ÷ {:.3} s = {:.1} orders/s → {:.1} % of ideal (machine CPU {})",
            forward.accepted,
            forward.orders,
            forward.elapsed.as_secs_f64(),
            forward.per_second(),
            forward.workers,
            forward.latency_ms as f64 / 1000.0,
            forward.ideal(),
            100.0 * forward.per_second() / forward.ideal(),
            pct(forward.cpu.machine),
        );
        println!(
            "forwarding: end to end (from sending the first batch; all {} queued in {:.2} s): \
             {:.2} s = {:.1} orders/s → {:.1} % of ideal",
            forward.orders,
            forward.enqueue.as_secs_f64(),
            forward.end_to_end.as_secs_f64(),
            forward.end_to_end_per_second(),
            100.0 * forward.end_to_end_per_second() / forward.ideal(),
        );
        if !forward.other_states.is_empty() {
            println!("forwarding: other forward states: {:?}", forward.other_states);
        }
        if let Some(adds) = forward.sim_adds {
            println!("forwarding: provider-sim recorded {adds} adds");
        }
    }
    println!();
    for intake in [&results.intake, &results.spread].into_iter().flatten() {
        println!(
            "target intake ≥ 1000 orders/s, {}: {:.0} orders/s — {}",
            intake.label,
            intake.per_second(),
            met(intake.per_second() >= 1000.0 && intake.sample.errors == 0)
        );
        if let Some(bare) = &results.bare {
            let ratio = 100.0 * intake.per_second() / bare.per_second();
            println!(
                "target intake ≥ 50 % of the bare limit, {}: {:.0} / {:.0} = {ratio:.1} % — {}",
                intake.label,
                intake.per_second(),
                bare.per_second(),
                met(ratio >= 50.0)
            );
        }
    }
    if let Some(forward) = &results.forward {
        let forward_pct = 100.0 * forward.per_second() / forward.ideal();
        println!(
            "target forwarding ≥ 90 % of ideal: {forward_pct:.1} % — {}",
            met(forward_pct >= 90.0 && forward.accepted == forward.orders as i64)
        );
    }
}
