//! Status sync (issue 6, phase `sync`): N accepted orders, a round in which every order
//! changes, then a round in which none does; its own database, provider-sim and app.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::RunQueryDsl;
use serde_json::Value;
use smm_panel::db::DbConnection;
use smm_panel::domain::Money;
use smm_panel::provider::sim::{SimArgs, SimHandle};

use crate::app::{blocking_client, shop, spawn_app, App, BenchDb, Shop};
use crate::cpu::{CpuMark, CpuShare};
use crate::knobs::Knobs;
use crate::report::{met, pct};

/// The app's settings for the sync phase: no spacing between provider calls, the
/// largest batch, and a schedule that stays quiet. The scheduler's first round runs at
/// start-up, before there are orders; the measured rounds are started by the bench.
const SYNC_APP_ENV: [(&str, &str); 3] = [
    ("PROVIDER_CALL_SPACING_MS", "0"),
    ("SYNC_BATCH_SIZE", "100"),
    ("SYNC_INTERVAL_SECS", "86400"),
];
/// Threads sending the setup's `add` calls to provider-sim.
const SYNC_ADD_THREADS: usize = 8;
/// Orders per multi-row insert: 18 bound values a row, 18,000 a statement (SQLite allows
/// 32,766, PostgreSQL 65,535).
const SYNC_INSERT_BATCH: usize = 1000;
/// Calls per component probe.
const SYNC_PROBE_CALLS: usize = 300;
/// Orders the per-order-transaction probe changes.
const SYNC_PROBE_ORDERS: usize = 2000;

/// A size field of `/proc/self/status` (`VmRSS`, `VmHWM`), in MiB.
fn proc_status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// This process's resident set now, in MiB.
fn rss_mib() -> Option<f64> {
    proc_status_mib("VmRSS")
}

/// The largest resident set this process has had so far, in MiB.
fn peak_rss_mib() -> Option<f64> {
    proc_status_mib("VmHWM")
}

/// What SQLite has allocated (page caches, prepared statements, schema) across every
/// connection of this process, in MiB.
fn sqlite_heap_mib() -> f64 {
    // SAFETY: a read of SQLite's global memory counter; no arguments, no state changed.
    let bytes = unsafe { libsqlite3_sys::sqlite3_memory_used() };
    bytes as f64 / 1024.0 / 1024.0
}

fn mib(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.1} MiB"))
}

struct RoundResult {
    label: String,
    counts: smm_panel::service::sync::Counts,
    elapsed: Duration,
    /// provider-sim's `status` requests with `orders=` (multi) and with `order=` (single).
    sim_calls: Option<(u64, u64)>,
    cpu: CpuShare,
    rss_after: Option<f64>,
    peak_rss_after: Option<f64>,
    sqlite_heap_after: f64,
}

impl RoundResult {
    fn per_second(&self) -> f64 {
        self.counts.checked as f64 / self.elapsed.as_secs_f64()
    }
}

/// One part of a batch, timed alone: `calls` calls in `elapsed`, each covering `orders`
/// orders.
struct Probe {
    label: &'static str,
    calls: usize,
    orders: usize,
    elapsed: Duration,
}

impl Probe {
    fn per_call_ms(&self) -> f64 {
        self.elapsed.as_secs_f64() * 1000.0 / self.calls as f64
    }

    fn orders_per_second(&self) -> f64 {
        (self.calls * self.orders) as f64 / self.elapsed.as_secs_f64()
    }
}

pub struct SyncResult {
    orders: usize,
    adds: Duration,
    inserts: Duration,
    rss_before: Option<f64>,
    rss_after_setup: Option<f64>,
    peak_rss_after_setup: Option<f64>,
    sqlite_heap_before: f64,
    sqlite_heap_after_setup: f64,
    rounds: Vec<RoundResult>,
    /// Orders that ended with provider status `Pending` and a start count.
    synced: i64,
    /// Ledger rows of the sync orders (settlement must write none).
    ledger_rows: i64,
    probes: Vec<Probe>,
}

fn sim_stats(sim: &SimHandle) -> Option<(u64, u64)> {
    let stats = reqwest::blocking::get(format!("{}/sim/stats", sim.base_url()))
        .ok()?
        .json::<Value>()
        .ok()?;
    Some((stats["multi_status_calls"].as_u64()?, stats["status_calls"].as_u64()?))
}

fn reset_sim_stats(sim: &SimHandle) {
    blocking_client()
        .post(format!("{}/sim/reset-stats", sim.base_url()))
        .send()
        .expect("reset provider-sim stats");
}

/// `n` orders placed with provider-sim over HTTP from several threads; their sim ids,
/// in the order of `i` (the panel link `https://x.com/sync-{i}`).
fn sim_adds(sim: &SimHandle, key: &str, n: usize) -> Vec<String> {
    use smm_panel::provider::client::{NewProviderOrder, ProviderClient};
    let api = url::Url::parse(&sim.api_url()).expect("sim URL");
    let per_thread = n.div_ceil(SYNC_ADD_THREADS);
    let threads: Vec<_> = (0..SYNC_ADD_THREADS)
        .map(|t| {
            let range = (t * per_thread).min(n)..((t + 1) * per_thread).min(n);
            let client = ProviderClient::new("bench".into(), api.clone(), key.into(), Duration::from_secs(60));
            std::thread::spawn(move || {
                range
                    .map(|i| {
                        let order = NewProviderOrder {
                            service: "1".into(),
                            link: format!("https://x.com/sync-{i}"),
                            quantity: 100,
                            runs: None,
                            interval: None,
                            comments: None,
                        };
                        client
                            .add(&order)
                            .unwrap_or_else(|e| panic!("provider-sim add {i}: {e}"))
                    })
                    .collect::<Vec<String>>()
            })
        })
        .collect();
    threads
        .into_iter()
        .flat_map(|t| t.join().expect("add thread"))
        .collect()
}

/// The panel's rows for the sim's orders: `accepted`, `pending`, never checked, with
/// their provider order ids. Multi-row inserts of `SYNC_INSERT_BATCH`, one transaction
/// each. No ledger rows: the charge is 0, so settlement finds the empty ledger right
/// (as for an uncharged order) and writes nothing while the status stays pending.
fn insert_accepted(app: &App, shop: &Shop, sim_ids: &[String]) {
    use diesel::{ExpressionMethods, QueryDsl};
    use smm_panel::db::models::NewOrderRow;
    use smm_panel::db::schema::{orders, services};
    let mut conn = app.state.conn().expect("connection");
    let (provider_id, provider_service_id, rate_per_1000): (Option<i64>, Option<String>, i64) = services::table
        .find(shop.service_id)
        .select((
            services::provider_id,
            services::provider_service_id,
            services::rate_per_1000,
        ))
        .first(&mut *conn)
        .expect("the sim service");
    let links: Vec<String> = (0..sim_ids.len()).map(|i| format!("https://x.com/sync-{i}")).collect();
    let now = smm_panel::db::now();
    for (chunk, ids) in sim_ids.chunks(SYNC_INSERT_BATCH).enumerate() {
        let rows: Vec<_> = ids
            .iter()
            .enumerate()
            .map(|(j, sim_id)| {
                (
                    NewOrderRow {
                        user_id: shop.customer_id,
                        service_id: shop.service_id,
                        provider_id,
                        provider_service_id: provider_service_id.as_deref(),
                        link: &links[chunk * SYNC_INSERT_BATCH + j],
                        quantity: 100,
                        charge: 0,
                        currency: "BDT",
                        rate_per_1000,
                        usd_to_bdt: 100_000_000,
                        provider_cost: Some(90_000),
                        status: "pending",
                        forward_state: "accepted",
                        is_manual: false,
                        admin_notes: None,
                        created_at: now,
                        updated_at: now,
                    },
                    orders::provider_order_id.eq(sim_id.as_str()),
                )
            })
            .collect();
        smm_panel::db::write_transaction(&mut conn, |c| {
            smm_panel::on_backend!(c, |c| diesel::insert_into(orders::table).values(&rows).execute(c))
        })
        .expect("insert the accepted orders");
    }
    if let DbConnection::Postgres(c) = &mut *conn {
        // What autovacuum does after a bulk load; done here so it does not happen mid-round.
        c.batch_execute("ANALYZE orders").expect("analyze orders");
    }
}

/// Starts a round as the admin's "Sync now" does and runs it on this thread. Waits for
/// the lease if the scheduler's start-up round still holds it.
fn timed_round(app: &App, sim: &SimHandle, label: String) -> RoundResult {
    use smm_panel::service::sync::{begin_round, run_round, Trigger};
    let deadline = Instant::now() + Duration::from_secs(120);
    reset_sim_stats(sim);
    eprintln!("  sync: {label} …");
    // The clock starts with the `begin_round` that wins, not with any wait before it.
    let (round, started, mark) = loop {
        let (started, mark) = (Instant::now(), CpuMark::now());
        match begin_round(&app.state, Trigger::Admin, "bench").expect("begin a round") {
            Some(round) => break (round, started, mark),
            None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            None => panic!("the round lease stayed taken for 120 s"),
        }
    };
    let counts = run_round(&app.state, &round).expect("run the round");
    let elapsed = started.elapsed();
    let cpu = mark.since(None);
    RoundResult {
        label,
        counts,
        elapsed,
        sim_calls: sim_stats(sim),
        cpu,
        rss_after: rss_mib(),
        peak_rss_after: peak_rss_mib(),
        sqlite_heap_after: sqlite_heap_mib(),
    }
}

/// Each part of a batch alone, after the rounds: the provider call (with and without the
/// app's per-call health record), the batch read, the batched touch, and the per-order
/// transaction of round 1.
fn sync_probes(app: &App, sim: &SimHandle, sim_key: &str, sim_ids: &[String]) -> Vec<Probe> {
    use smm_panel::db::schema::orders;
    let state = &app.state;
    let ids: Vec<String> = sim_ids.iter().take(100).cloned().collect();
    let time = |label: &'static str, calls: usize, orders: usize, mut f: Box<dyn FnMut(usize) + '_>| {
        let started = Instant::now();
        for i in 0..calls {
            f(i);
        }
        Probe {
            label,
            calls,
            orders,
            elapsed: started.elapsed(),
        }
    };
    let plain = smm_panel::provider::client::ProviderClient::new(
        "bench".into(),
        url::Url::parse(&sim.api_url()).expect("sim URL"),
        sim_key.into(),
        Duration::from_secs(60),
    );
    let provider = {
        use diesel::QueryDsl;
        let mut conn = state.conn().expect("connection");
        let id: i64 = smm_panel::db::schema::providers::table
            .select(smm_panel::db::schema::providers::id)
            .first(&mut *conn)
            .expect("the provider");
        smm_panel::db::providers::find(&mut conn, id)
            .expect("provider row")
            .expect("provider")
    };
    let observed = smm_panel::service::providers::client(state, &provider).expect("the app's client");
    let mut probes = vec![
        time(
            "provider call, 100 ids (HTTP, sim, JSON parse)",
            SYNC_PROBE_CALLS,
            ids.len(),
            Box::new(|_| {
                plain.statuses(&ids).expect("statuses");
            }),
        ),
        time(
            "provider call, 100 ids, with the app's health record",
            SYNC_PROBE_CALLS,
            ids.len(),
            Box::new(|_| {
                observed.statuses(&ids).expect("statuses");
            }),
        ),
        time(
            "batch read: orders_to_check(100)",
            SYNC_PROBE_CALLS,
            100,
            Box::new(|_| {
                let mut conn = state.conn().expect("connection");
                let batch = smm_panel::db::sync::orders_to_check(&mut conn, provider.id, smm_panel::db::now(), 100)
                    .expect("orders to check");
                assert_eq!(batch.len(), 100);
            }),
        ),
    ];
    // The same 100 orders touched over and over (they are checked already).
    let batch_ids: Vec<i64> = {
        use diesel::{ExpressionMethods, QueryDsl};
        let mut conn = state.conn().expect("connection");
        orders::table
            .filter(orders::forward_state.eq("accepted"))
            .order(orders::id.asc())
            .select(orders::id)
            .limit(SYNC_PROBE_ORDERS as i64)
            .load(&mut *conn)
            .expect("order ids")
    };
    probes.push(time(
        "batched touch: touch_checked(100 ids)",
        SYNC_PROBE_CALLS,
        100,
        Box::new(|_| {
            let mut conn = state.conn().expect("connection");
            smm_panel::db::sync::touch_checked(
                &mut conn,
                &batch_ids[..100],
                smm_panel::db::now(),
                smm_panel::db::sync::Checked::Answered,
            )
            .expect("touch");
        }),
    ));
    // Round 1's path for one order: a guarded sync move (with its settlement) in a
    // transaction of its own, on one connection, as `apply_batch` does.
    let change = |c: &mut DbConnection, id: i64| -> Result<Money, smm_panel::error::AppError> {
        let current = smm_panel::db::orders::find(c, id)?.expect("order");
        let patch = smm_panel::db::orders::OrderPatch {
            status: Some("pending"),
            provider_status: Some(Some("Pending".into())),
            start_count: Some(Some(100)),
            remains: Some(Some(100)),
            last_status_check: Some(Some(smm_panel::db::now())),
            ..Default::default()
        };
        let moved = smm_panel::service::order_machine::apply(
            c,
            &current,
            smm_panel::domain::Move::SyncUpdate,
            smm_panel::db::orders::Guard::Version(current.version),
            &patch,
            None,
        )?;
        Ok(moved.expect("nobody else moves the bench's orders"))
    };
    let mut conn = state.conn().expect("connection");
    probes.push(time(
        "per-order change, 1 transaction each (round 1's path)",
        batch_ids.len(),
        1,
        Box::new(|i| {
            smm_panel::db::write_transaction(&mut conn, |c| change(c, batch_ids[i])).expect("change");
        }),
    ));
    // The same statements, a batch of 100 orders per transaction: what batching the
    // changed orders' transactions would give.
    probes.push(time(
        "per-order change, 100 in 1 transaction (batched)",
        batch_ids.len() / 100,
        100,
        Box::new(|b| {
            smm_panel::db::write_transaction(&mut conn, |c| {
                batch_ids[b * 100..(b + 1) * 100]
                    .iter()
                    .try_for_each(|id| change(c, *id).map(drop))
            })
            .expect("change");
        }),
    ));
    probes
}

pub fn sync_phase(knobs: &Knobs) -> (&'static str, SyncResult) {
    let n = knobs.sync_orders;
    let db = BenchDb::new();
    eprintln!("smm-panel sync bench on {}: {n} accepted orders", db.backend);
    let sim_key = "bench-sync-sim-key";
    let sim = smm_panel::provider::sim::spawn(SimArgs {
        key: sim_key.into(),
        // Every order stays "Pending": round 2 finds nothing changed.
        step_secs: 86_400,
        latency_ms: 0,
        balance: Money::parse("1000000000").expect("amount"),
        ..SimArgs::ephemeral()
    })
    .expect("provider-sim starts");
    let app = spawn_app(&db, knobs, &SYNC_APP_ENV);
    let shop = shop(&app, &sim, sim_key);
    let rss_before = rss_mib();
    let sqlite_heap_before = sqlite_heap_mib();

    eprintln!("  sync setup: {n} adds to provider-sim from {SYNC_ADD_THREADS} threads …");
    let started = Instant::now();
    let sim_ids = sim_adds(&sim, sim_key, n);
    let adds = started.elapsed();
    eprintln!("  sync setup: {n} orders inserted, {SYNC_INSERT_BATCH} per statement …");
    let started = Instant::now();
    insert_accepted(&app, &shop, &sim_ids);
    let inserts = started.elapsed();
    let rss_after_setup = rss_mib();
    let peak_rss_after_setup = peak_rss_mib();
    let sqlite_heap_after_setup = sqlite_heap_mib();

    let rounds: Vec<RoundResult> = (1..=knobs.sync_rounds)
        .map(|k| {
            let what = if k == 1 {
                "every order changes"
            } else {
                "nothing changed"
            };
            timed_round(&app, &sim, format!("round {k}: {what}"))
        })
        .collect();
    let (synced, ledger_rows) = {
        use diesel::{ExpressionMethods, QueryDsl};
        use smm_panel::db::schema::{ledger_entries, orders};
        let mut conn = app.state.conn().expect("connection");
        let synced = orders::table
            .filter(orders::forward_state.eq("accepted"))
            .filter(orders::provider_status.eq("Pending"))
            .filter(orders::start_count.is_not_null())
            .count()
            .get_result(&mut *conn)
            .expect("count synced");
        let ledger_rows = ledger_entries::table
            .filter(ledger_entries::order_id.is_not_null())
            .count()
            .get_result(&mut *conn)
            .expect("count ledger rows");
        (synced, ledger_rows)
    };
    eprintln!("  sync: timing each part of a batch alone …");
    let probes = sync_probes(&app, &sim, sim_key, &sim_ids);
    let backend = db.backend;
    drop(app);
    drop(sim);
    drop(db);
    (
        backend,
        SyncResult {
            orders: n,
            adds,
            inserts,
            rss_before,
            rss_after_setup,
            peak_rss_after_setup,
            sqlite_heap_before,
            sqlite_heap_after_setup,
            rounds,
            synced,
            ledger_rows,
            probes,
        },
    )
}

pub fn report_sync(backend: &str, background: Option<f64>, r: &SyncResult) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!(
        "smm-panel status-sync benchmark — {backend} — {cores} cores — {} accepted orders — \
         PROVIDER_CALL_SPACING_MS=0, SYNC_BATCH_SIZE=100, provider-sim latency 0, statuses stay Pending",
        r.orders
    );
    println!(
        "machine CPU busy in the second before the run (other work): {}",
        pct(background)
    );
    println!(
        "setup (not measured): {} sim adds in {:.1} s ({:.0}/s, {SYNC_ADD_THREADS} threads); \
         {} rows inserted in {:.1} s ({:.0}/s)",
        r.orders,
        r.adds.as_secs_f64(),
        r.orders as f64 / r.adds.as_secs_f64(),
        r.orders,
        r.inserts.as_secs_f64(),
        r.orders as f64 / r.inserts.as_secs_f64(),
    );
    println!();
    println!(
        "| {:<30} | {:>7} | {:>7} | {:>6} | {:>7} | {:>9} | {:>10} | {:>7} | {:>7} | {:>12} | {:>10} |",
        "round",
        "checked",
        "changed",
        "errors",
        "seconds",
        "checked/s",
        "sim calls",
        "machine",
        "process",
        "cpu µs/order",
        "RSS after"
    );
    println!(
        "|{:-<32}|{:->9}|{:->9}|{:->8}|{:->9}|{:->11}|{:->12}|{:->9}|{:->9}|{:->14}|{:->12}|",
        "", "", "", "", "", "", "", "", "", "", ""
    );
    for round in &r.rounds {
        let calls = round
            .sim_calls
            .map_or_else(|| "-".into(), |(multi, single)| format!("{multi} + {single}"));
        let cpu_us = round.cpu.process_secs.filter(|_| round.counts.checked > 0).map_or_else(
            || "-".into(),
            |s| format!("{:.0}", s * 1e6 / round.counts.checked as f64),
        );
        println!(
            "| {:<30} | {:>7} | {:>7} | {:>6} | {:>7.2} | {:>9.0} | {:>10} | {:>7} | {:>7} | {:>12} | {:>10} |",
            round.label,
            round.counts.checked,
            round.counts.changed,
            round.counts.errors,
            round.elapsed.as_secs_f64(),
            round.per_second(),
            calls,
            pct(round.cpu.machine),
            pct(round.cpu.process),
            cpu_us,
            mib(round.rss_after),
        );
    }
    println!();
    println!("sim calls: multi-status + single-status requests provider-sim answered during the round");
    let after_rounds = |f: fn(&RoundResult) -> Option<f64>| {
        r.rounds
            .iter()
            .enumerate()
            .map(|(k, x)| format!(", after round {} {}", k + 1, mib(f(x))))
            .collect::<String>()
    };
    println!(
        "RSS (VmRSS; the process holds the app, provider-sim and the bench): before setup {}, after setup {}{}",
        mib(r.rss_before),
        mib(r.rss_after_setup),
        after_rounds(|x| x.rss_after),
    );
    println!(
        "peak RSS (VmHWM, since the process started): after setup {}{}",
        mib(r.peak_rss_after_setup),
        after_rounds(|x| x.peak_rss_after),
    );
    if backend == "SQLite" {
        println!(
            "of which SQLite's heap (sqlite3_memory_used: page caches of the pool's connections, statements): \
             before setup {}, after setup {}{}",
            mib(Some(r.sqlite_heap_before)),
            mib(Some(r.sqlite_heap_after_setup)),
            after_rounds(|x| Some(x.sqlite_heap_after)),
        );
    }
    println!(
        "after the rounds: {} of {} orders have provider status Pending and a start count; \
         {} ledger rows reference an order",
        r.synced, r.orders, r.ledger_rows
    );
    println!();
    println!("each part of a batch alone (after the rounds, one thread):");
    for p in &r.probes {
        println!(
            "  {:<55} {:>5} × {:>7.3} ms = {:>8.0} orders/s if it were the only cost",
            p.label,
            p.calls,
            p.per_call_ms(),
            p.orders_per_second()
        );
    }
    println!();
    for round in &r.rounds {
        println!(
            "target ≥ 10000 orders checked/s, {}: {:.0}/s — {}",
            round.label,
            round.per_second(),
            met(round.per_second() >= 10_000.0 && round.counts.errors == 0)
        );
    }
}
