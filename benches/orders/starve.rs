//! Forwarding while a status-sync round runs (phase `starve`, issue 13): a round over
//! `BENCH_SYNC_ORDERS` accepted orders at a provider answering at once (every order gets
//! its first status: the round's heaviest case) runs while `BENCH_FORWARD_ORDERS` new
//! orders are forwarded to a second provider at `BENCH_LATENCY_MS`. Neither may starve
//! the other: forwarding should keep ≥ 90 % of `WORKERS ÷ latency`.

use std::time::{Duration, Instant};

use smm_panel::domain::Money;
use smm_panel::provider::sim::SimArgs;

use crate::app::{add_provider, shop, spawn_app, BenchDb, Shop};
use crate::forward::{forwarding, ForwardResult};
use crate::knobs::Knobs;
use crate::report::met;
use crate::sync::{insert_accepted, sim_adds, SYNC_APP_ENV};

pub struct StarveResult {
    pub orders: usize,
    pub forward: ForwardResult,
    /// The round: how long it ran, and whether it was still running when the last
    /// forwarded order was accepted.
    pub round: Duration,
    pub round_checked: i64,
    pub round_changed: i64,
    pub overlapped: bool,
}

pub fn starve_phase(knobs: &Knobs) -> (&'static str, StarveResult) {
    let n = knobs.sync_orders;
    let db = BenchDb::new();
    eprintln!(
        "smm-panel starve bench on {}: a round over {n} orders while forwarding",
        db.backend
    );
    let sync_key = "bench-starve-sync-key";
    let sync_sim = smm_panel::provider::sim::spawn(SimArgs {
        key: sync_key.into(),
        step_secs: 86_400,
        latency_ms: 0,
        balance: Money::parse("1000000000").expect("amount"),
        ..SimArgs::ephemeral()
    })
    .expect("provider-sim starts");
    let forward_key = "bench-starve-forward-key";
    let forward_sim = smm_panel::provider::sim::spawn(SimArgs {
        key: forward_key.into(),
        latency_ms: knobs.latency_ms,
        balance: Money::parse("1000000000").expect("amount"),
        ..SimArgs::ephemeral()
    })
    .expect("provider-sim starts");
    let app = spawn_app(&db, knobs, &SYNC_APP_ENV);
    let sync_shop = shop(&app, &sync_sim, sync_key);
    eprintln!("  starve setup: {n} orders at the first provider …");
    let sim_ids = sim_adds(&sync_sim, sync_key, n);
    insert_accepted(&app, &sync_shop, &sim_ids);

    // The second provider, its service 1 in auto mode, for the forwarded orders.
    let service_id = add_provider(&app, &sync_shop.admin_token, "Sim B", &forward_sim, forward_key);
    let forward_shop = Shop {
        admin_token: sync_shop.admin_token.clone(),
        customer_id: sync_shop.customer_id,
        customer_token: sync_shop.customer_token.clone(),
        service_id,
    };

    // The round on its own thread, as the scheduler runs it.
    let state = app.state.clone();
    let round = std::thread::spawn(move || {
        use smm_panel::service::sync::{begin_round, run_round, Trigger};
        let deadline = Instant::now() + Duration::from_secs(120);
        let round = loop {
            match begin_round(&state, Trigger::Admin, "bench").expect("begin a round") {
                Some(round) => break round,
                None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
                None => panic!("the round lease stayed taken for 120 s"),
            }
        };
        let started = Instant::now();
        let counts = run_round(&state, &round).expect("run the round");
        (started, Instant::now(), counts)
    });
    // Let the round get going before the first order is queued.
    std::thread::sleep(Duration::from_millis(500));
    let forward = forwarding(&app, &forward_shop, &forward_sim, knobs);
    let forwarded_at = Instant::now();
    let (started, finished, counts) = round.join().expect("round thread");
    let backend = db.backend;
    drop(app);
    drop(sync_sim);
    drop(forward_sim);
    drop(db);
    (
        backend,
        StarveResult {
            orders: n,
            forward,
            round: finished - started,
            round_checked: counts.checked,
            round_changed: counts.changed,
            overlapped: finished > forwarded_at,
        },
    )
}

pub fn report_starve(backend: &str, r: &StarveResult) {
    let f = &r.forward;
    let share = 100.0 * f.per_second() / f.ideal();
    println!();
    println!("smm-panel starvation bench — {backend}");
    println!(
        "round over {} orders (every order gets its first status): {:.1} s, {} checked, {} changed = {:.0} orders/s",
        r.orders,
        r.round.as_secs_f64(),
        r.round_checked,
        r.round_changed,
        r.round_checked as f64 / r.round.as_secs_f64()
    );
    println!(
        "forwarding during it: {} of {} accepted in {:.2} s = {:.1} orders/s; ideal {} ÷ {:.3} s = {:.1}/s → {share:.1} % (other states {:?})",
        f.accepted,
        f.orders,
        f.elapsed.as_secs_f64(),
        f.per_second(),
        f.workers,
        f.latency_ms as f64 / 1000.0,
        f.ideal(),
        f.other_states
    );
    println!(
        "the round was still running when the last order was accepted: {}",
        if r.overlapped {
            "yes"
        } else {
            "NO — raise BENCH_SYNC_ORDERS"
        }
    );
    println!(
        "target forwarding ≥ 90 % of ideal while a sync round runs: {share:.1} % — {}",
        met(share >= 90.0 && r.overlapped && f.accepted == f.orders as i64)
    );
}
