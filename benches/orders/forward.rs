//! Forwarding throughput (phase `forward`): orders of an auto service forwarded to
//! provider-sim at a fixed latency, against the ideal `WORKERS ÷ latency`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use serde_json::{json, Value};
use smm_panel::provider::sim::SimHandle;

use crate::app::{blocking_client, call, App, Shop};
use crate::cpu::{CpuMark, CpuShare};
use crate::knobs::Knobs;

pub struct ForwardResult {
    pub orders: usize,
    /// From sending the first batch until every batch was answered.
    pub enqueue: Duration,
    /// From sending the first batch until the last order was accepted.
    pub end_to_end: Duration,
    /// From the first batch's answer (its orders queued, the workers woken) until the
    /// last order was accepted: what the workers took.
    pub elapsed: Duration,
    pub accepted: i64,
    pub other_states: Vec<(String, i64)>,
    pub sim_adds: Option<usize>,
    pub workers: usize,
    pub latency_ms: u64,
    pub cpu: CpuShare,
}

impl ForwardResult {
    pub fn per_second(&self) -> f64 {
        self.accepted as f64 / self.elapsed.as_secs_f64()
    }

    pub fn end_to_end_per_second(&self) -> f64 {
        self.accepted as f64 / self.end_to_end.as_secs_f64()
    }

    pub fn ideal(&self) -> f64 {
        self.workers as f64 * 1000.0 / self.latency_ms as f64
    }
}

/// The highest order id so far (0 when there is none).
fn last_order_id(app: &App) -> i64 {
    use diesel::QueryDsl;
    use smm_panel::db::schema::orders;
    let mut conn = app.state.conn().expect("connection");
    orders::table
        .select(diesel::dsl::max(orders::id))
        .first::<Option<i64>>(&mut *conn)
        .expect("last order id")
        .unwrap_or(0)
}

/// Forward states of the orders with an id above `after`: a range of the primary key, so
/// polling it often stays cheap however many orders the intake phases left behind.
fn forward_states_after(app: &App, after: i64) -> HashMap<String, i64> {
    use diesel::{ExpressionMethods, QueryDsl};
    use smm_panel::db::schema::orders;
    let mut conn = app.state.conn().expect("connection");
    orders::table
        .filter(orders::id.gt(after))
        .group_by(orders::forward_state)
        .select((orders::forward_state, diesel::dsl::count_star()))
        .load::<(String, i64)>(&mut *conn)
        .expect("forward states")
        .into_iter()
        .collect()
}

/// Queues `BENCH_FORWARD_ORDERS` orders of the auto service, 100 per request, and times
/// the workers from the moment the first batch is queued until the last order is
/// `accepted` by provider-sim (later batches are queued while the first is forwarded).
pub fn forwarding(app: &App, shop: &Shop, sim: &SimHandle, knobs: &Knobs) -> ForwardResult {
    let after = last_order_id(app);
    let n = knobs.forward_orders;
    eprintln!(
        "  forwarding: {n} orders, WORKERS={}, provider latency {} ms …",
        knobs.workers, knobs.latency_ms
    );
    let client = blocking_client();
    let url = format!("{}/api/user/create-orders", app.base);
    let mark = CpuMark::now();
    let started = Instant::now();
    let mut sent = 0;
    let mut first_queued = None;
    while sent < n {
        let batch: Vec<Value> = (sent..n.min(sent + 100))
            .map(|i| json!({"serviceId": shop.service_id, "link": format!("https://x.com/f-{i}"), "qty": 100}))
            .collect();
        sent += batch.len();
        call(
            &client,
            reqwest::Method::POST,
            &url,
            Some(&shop.customer_token),
            Some(&json!({ "orders": batch })),
            201,
        );
        first_queued.get_or_insert_with(Instant::now);
    }
    let enqueue = started.elapsed();
    let first_queued = first_queued.expect("at least one batch");
    let ideal_secs = n as f64 * knobs.latency_ms as f64 / 1000.0 / knobs.workers as f64;
    let deadline = started + Duration::from_secs_f64(ideal_secs * 5.0 + 30.0);
    let mut states;
    let finished = loop {
        states = forward_states_after(app, after);
        let settled = ["accepted", "rejected", "unknown"]
            .iter()
            .map(|s| states.get(*s).copied().unwrap_or(0))
            .sum::<i64>();
        if settled >= n as i64 || Instant::now() > deadline {
            break Instant::now();
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let cpu = mark.since(None);
    let accepted = states.get("accepted").copied().unwrap_or(0);
    let other_states = states
        .iter()
        .filter(|(s, _)| s.as_str() != "accepted")
        .map(|(s, c)| (s.clone(), *c))
        .collect();
    let sim_adds = reqwest::blocking::get(format!("{}/sim/orders", sim.base_url()))
        .ok()
        .and_then(|r| r.json::<Value>().ok())
        .and_then(|v| v.as_array().map(Vec::len));
    ForwardResult {
        orders: n,
        enqueue,
        end_to_end: finished - started,
        elapsed: finished - first_queued,
        accepted,
        other_states,
        sim_adds,
        workers: knobs.workers,
        latency_ms: knobs.latency_ms,
        cpu,
    }
}
