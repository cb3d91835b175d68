//! The simulator's state and the API v2 actions, without HTTP.
//!
//! Status is computed from the clock, never by timers: an order created at `t`
//! is Pending until `t + step`, In progress until `t + 2·step`, then terminal.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::catalogue::{self, format_fixed, SimService, CATALOGUE};
use super::faults::{mix, Fault, FaultRates, SplitMix64};
use crate::domain::money::{Money, Rate};
use crate::provider::reply::ProviderStatus;

/// The first order id handed out.
pub(crate) const FIRST_ORDER_ID: u64 = 10001;
/// The most ids one `orders=` / `refills=` list may carry.
const MAX_IDS: usize = 100;

/// The request's fields, from the query string and the form body (the body wins).
pub(crate) type Params = HashMap<String, String>;

pub(crate) fn parse_params(query: &str, body: &[u8]) -> Params {
    let mut params: Params = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    params.extend(url::form_urlencoded::parse(body).into_owned());
    params
}

/// How an order ends, decided by its link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Completed,
    Partial,
    Canceled,
}

#[derive(Debug, Clone)]
struct SimOrder {
    id: u64,
    service: &'static SimService,
    link: String,
    quantity: i64,
    charge: Money,
    start_count: i64,
    created: Instant,
    ending: Ending,
    /// Set by `action=cancel`.
    canceled: bool,
    /// Set by `action=cancel` while the order was In progress: it ends Partial with
    /// these remains (half the quantity was delivered).
    canceled_remains: Option<i64>,
}

#[derive(Debug, Clone)]
struct SimRefill {
    created: Instant,
}

/// Request counts by action, for tests and benchmarks (`GET /sim/stats`).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub(crate) struct Stats {
    /// Every `/api/v2` request.
    pub requests: u64,
    pub services_calls: u64,
    /// `action=add` requests (accepted or not; `/sim/orders` lists the accepted).
    pub adds: u64,
    /// `action=status` with `order=`.
    pub status_calls: u64,
    /// `action=status` with `orders=`.
    pub multi_status_calls: u64,
    pub refill_calls: u64,
    pub refill_status_calls: u64,
    pub cancel_calls: u64,
    pub balance_calls: u64,
    /// Unknown or missing action.
    pub other_calls: u64,
    /// Requests answered with an injected fault (latency not counted).
    pub faults: u64,
}

struct State {
    rng: SplitMix64,
    orders: Vec<SimOrder>,
    refills: Vec<SimRefill>,
    balance: Money,
    stats: Stats,
}

/// Settings the simulator runs with (already validated).
#[derive(Debug, Clone)]
pub(crate) struct SimConfig {
    pub key: String,
    pub step: Duration,
    pub seed: u64,
    pub latency: Duration,
    pub faults: FaultRates,
    pub balance: Money,
    /// Answer `status` with `orders=` as an unknown request, like providers without it.
    pub no_multi_status: bool,
    /// Refuse a whole multi-status call when one of its ids is unknown.
    pub strict_multi_status: bool,
}

/// One request's outcome: the JSON reply and the fault to apply to it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Handled {
    pub reply: Value,
    pub fault: Option<Fault>,
}

pub(crate) struct Sim {
    pub config: SimConfig,
    state: Mutex<State>,
    /// Tests hold requests of an action here to stage an interleaving deterministically.
    pub gate: super::gate::Gate,
}

fn error(message: &str) -> Value {
    json!({ "error": message })
}

impl Sim {
    pub fn new(config: SimConfig) -> Self {
        let state = State {
            rng: SplitMix64::new(config.seed),
            orders: Vec::new(),
            refills: Vec::new(),
            balance: config.balance,
            stats: Stats::default(),
        };
        Sim {
            config,
            state: Mutex::new(state),
            gate: super::gate::Gate::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere leaves the data consistent enough for a simulator.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Handles one `/api/v2` request: counts it, draws its fault, and (unless the
    /// fault is `Error`) processes it. Faults other than `Error` only spoil the
    /// answer: the request has taken effect, like a provider whose proxy failed
    /// after the backend accepted.
    pub fn handle(&self, params: &Params, now: Instant) -> Handled {
        let mut state = self.lock();
        let state = &mut *state;
        count(&mut state.stats, params);
        let fault = self.config.faults.draw(&mut state.rng);
        if fault.is_some() {
            state.stats.faults += 1;
        }
        let reply = if fault == Some(Fault::Error) {
            error("Incorrect request")
        } else {
            self.process(state, params, now)
        };
        Handled { reply, fault }
    }

    fn process(&self, state: &mut State, params: &Params, now: Instant) -> Value {
        if params.get("key").map(String::as_str) != Some(self.config.key.as_str()) {
            return error("Invalid API key");
        }
        let get = |name: &str| params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        match get("action").unwrap_or_default() {
            "services" => Value::Array(CATALOGUE.iter().map(SimService::wire_json).collect()),
            "add" => self.add(state, params, now),
            "status" => match (get("orders"), get("order")) {
                (Some(_), _) if self.config.no_multi_status => error("Incorrect request"),
                (Some(list), _) => self.multi_status(state, list, now),
                (None, Some(id)) => match self.order(state, id) {
                    Some(order) => self.status_json(order, now),
                    None => error("Incorrect order ID"),
                },
                (None, None) => error("Incorrect request"),
            },
            "refill" => match (get("orders"), get("order")) {
                (Some(list), _) => match id_list(list) {
                    Ok(ids) => Value::Array(
                        ids.iter()
                            .map(|id| {
                                let outcome = match self.refill(state, id, now) {
                                    Ok(refill) => json!(refill),
                                    Err(message) => error(message),
                                };
                                json!({ "order": numeric_or_text(id), "refill": outcome })
                            })
                            .collect(),
                    ),
                    Err(message) => error(message),
                },
                (None, Some(id)) => match self.refill(state, id, now) {
                    Ok(refill) => json!({ "refill": refill.to_string() }),
                    Err(message) => error(message),
                },
                (None, None) => error("Incorrect request"),
            },
            "refill_status" => match (get("refills"), get("refill")) {
                (Some(list), _) => match id_list(list) {
                    Ok(ids) => Value::Array(
                        ids.iter()
                            .map(|id| {
                                let status = match self.refill_status(state, id, now) {
                                    Some(status) => json!(status),
                                    None => error("Incorrect refill ID"),
                                };
                                json!({ "refill": numeric_or_text(id), "status": status })
                            })
                            .collect(),
                    ),
                    Err(message) => error(message),
                },
                (None, Some(id)) => match self.refill_status(state, id, now) {
                    Some(status) => json!({ "status": status }),
                    None => error("Incorrect refill ID"),
                },
                (None, None) => error("Incorrect request"),
            },
            "cancel" => match get("orders").or_else(|| get("order")) {
                Some(list) => match id_list(list) {
                    Ok(ids) => Value::Array(
                        ids.iter()
                            .map(|id| {
                                let outcome = match self.cancel(state, id, now) {
                                    Ok(()) => json!(1),
                                    Err(message) => error(message),
                                };
                                json!({ "order": numeric_or_text(id), "cancel": outcome })
                            })
                            .collect(),
                    ),
                    Err(message) => error(message),
                },
                None => error("Incorrect request"),
            },
            "balance" => json!({
                "balance": format_fixed(state.balance.micros(), 5),
                "currency": "USD",
            }),
            _ => error("Incorrect request"),
        }
    }

    fn add(&self, state: &mut State, params: &Params, now: Instant) -> Value {
        let get = |name: &str| params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let Some(service) = get("service").and_then(catalogue::find) else {
            return error("Incorrect service ID");
        };
        let Some(link) = get("link") else {
            return error("Incorrect link");
        };
        let comments = get("comments");
        let quantity = match (get("quantity"), comments) {
            (Some(q), _) => q.parse::<i64>().ok(),
            (None, Some(lines)) if service.takes_comments() => {
                i64::try_from(lines.lines().filter(|l| !l.trim().is_empty()).count()).ok()
            }
            (None, _) => None,
        };
        let Some(quantity) = quantity else {
            return error("Incorrect quantity");
        };
        if service.takes_comments() && comments.is_none() {
            return error("Comments are required for this service");
        }
        if quantity < service.min {
            return error(&format!("Quantity less than minimal {}", service.min));
        }
        if quantity > service.max {
            return error(&format!("Quantity more than maximal {}", service.max));
        }
        let runs = match (get("runs"), get("interval")) {
            (None, None) => 1,
            _ if !service.dripfeed => return error("Drip-feed is not supported for this service"),
            (Some(runs), Some(interval)) => match (runs.parse::<i64>(), interval.parse::<i64>()) {
                (Ok(runs), Ok(interval)) if runs >= 1 && interval >= 1 => runs,
                _ => return error("Incorrect runs or interval"),
            },
            _ => return error("Drip-feed needs both runs and interval"),
        };
        let Some(total) = quantity.checked_mul(runs) else {
            return error("Incorrect quantity");
        };
        let Some(charge) = service.rate.price(total, Rate::from_micros(1_000_000)) else {
            return error("Incorrect quantity");
        };
        let Some(balance) = state.balance.checked_sub(charge).filter(|b| !b.is_negative()) else {
            return error("Not enough funds on balance");
        };
        state.balance = balance;
        let id = FIRST_ORDER_ID + state.orders.len() as u64;
        let lower = link.to_lowercase();
        let ending = if lower.contains("partial") {
            Ending::Partial
        } else if lower.contains("cancel") {
            Ending::Canceled
        } else {
            Ending::Completed
        };
        state.orders.push(SimOrder {
            id,
            service,
            link: link.to_owned(),
            quantity: total,
            charge,
            start_count: (mix(self.config.seed, id) % 9_000 + 100) as i64,
            created: now,
            ending,
            canceled: false,
            canceled_remains: None,
        });
        json!({ "order": id })
    }

    fn order<'s>(&self, state: &'s State, id: &str) -> Option<&'s SimOrder> {
        let index = id.trim().parse::<u64>().ok()?.checked_sub(FIRST_ORDER_ID)?;
        state.orders.get(usize::try_from(index).ok()?)
    }

    /// How many whole steps have passed since `since`.
    fn steps(&self, since: Instant, now: Instant) -> u128 {
        let step = self.config.step.as_millis();
        if step == 0 {
            return u128::MAX;
        }
        now.saturating_duration_since(since).as_millis() / step
    }

    fn status_of(&self, order: &SimOrder, now: Instant) -> ProviderStatus {
        if order.canceled_remains.is_some() {
            return ProviderStatus::Partial;
        }
        if order.canceled {
            return ProviderStatus::Canceled;
        }
        match self.steps(order.created, now) {
            0 => ProviderStatus::Pending,
            1 => ProviderStatus::InProgress,
            _ => match order.ending {
                Ending::Completed => ProviderStatus::Completed,
                Ending::Partial => ProviderStatus::Partial,
                Ending::Canceled => ProviderStatus::Canceled,
            },
        }
    }

    fn status_json(&self, order: &SimOrder, now: Instant) -> Value {
        let status = self.status_of(order, now);
        let remains = match status {
            ProviderStatus::Completed => 0,
            ProviderStatus::Partial => order.canceled_remains.unwrap_or(order.quantity / 2),
            _ => order.quantity,
        };
        json!({
            "charge": format_fixed(order.charge.micros(), 5),
            "start_count": order.start_count.to_string(),
            "status": status.as_str(),
            "remains": remains.to_string(),
            "currency": "USD",
        })
    }

    fn multi_status(&self, state: &State, list: &str, now: Instant) -> Value {
        let ids = match id_list(list) {
            Ok(ids) => ids,
            Err(message) => return error(message),
        };
        if self.config.strict_multi_status && ids.iter().any(|id| self.order(state, id).is_none()) {
            return error("Incorrect order ID");
        }
        let mut replies = Map::with_capacity(ids.len());
        for id in ids {
            let reply = match self.order(state, id) {
                Some(order) => self.status_json(order, now),
                None => error("Incorrect order ID"),
            };
            replies.insert(id.to_owned(), reply);
        }
        Value::Object(replies)
    }

    fn refill(&self, state: &mut State, id: &str, now: Instant) -> Result<u64, &'static str> {
        let order = self.order(state, id).ok_or("Incorrect order ID")?;
        if !order.service.refill {
            return Err("Refill is disabled for this service");
        }
        if !matches!(
            self.status_of(order, now),
            ProviderStatus::Completed | ProviderStatus::Partial
        ) {
            return Err("Refill is available for completed orders only");
        }
        state.refills.push(SimRefill { created: now });
        Ok(state.refills.len() as u64)
    }

    fn refill_status(&self, state: &State, id: &str, now: Instant) -> Option<&'static str> {
        let index = id.trim().parse::<usize>().ok()?.checked_sub(1)?;
        let refill = state.refills.get(index)?;
        Some(if self.steps(refill.created, now) == 0 {
            "Pending"
        } else {
            "Completed"
        })
    }

    /// Cancels a non-terminal order of a cancellable service and refunds its charge.
    fn cancel(&self, state: &mut State, id: &str, now: Instant) -> Result<(), &'static str> {
        let order = self.order(state, id).ok_or("Incorrect order ID")?;
        if !order.service.cancel {
            return Err("Cancel is disabled for this service");
        }
        if self.status_of(order, now).is_terminal() {
            return Err("Order cannot be canceled");
        }
        // Pending: nothing delivered, all refunded. In progress: half delivered, it
        // ends Partial and the undelivered half is refunded.
        let in_progress = self.status_of(order, now) == ProviderStatus::InProgress;
        let index = (order.id - FIRST_ORDER_ID) as usize;
        let remains = order.quantity - order.quantity / 2;
        let refund = if in_progress {
            order
                .charge
                .mul_div(remains, order.quantity.max(1))
                .unwrap_or(Money::ZERO)
        } else {
            order.charge
        };
        if let Some(order) = state.orders.get_mut(index) {
            order.canceled = true;
            order.canceled_remains = in_progress.then_some(remains);
            state.balance = state.balance.checked_add(refund).unwrap_or(state.balance);
        }
        Ok(())
    }

    /// `GET /sim/orders`: every accepted `add`.
    pub fn orders_json(&self, now: Instant) -> Value {
        let state = self.lock();
        Value::Array(
            state
                .orders
                .iter()
                .map(|o| {
                    json!({
                        "order": o.id,
                        "service": o.service.id,
                        "link": o.link,
                        "quantity": o.quantity,
                        "status": self.status_of(o, now).as_str(),
                    })
                })
                .collect(),
        )
    }

    pub fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }

    pub fn reset_stats(&self) {
        self.lock().stats = Stats::default();
    }
}

fn count(stats: &mut Stats, params: &Params) {
    stats.requests += 1;
    let has = |name: &str| params.get(name).is_some_and(|v| !v.trim().is_empty());
    let counter = match params.get("action").map(|a| a.trim()) {
        Some("services") => &mut stats.services_calls,
        Some("add") => &mut stats.adds,
        Some("status") if has("orders") => &mut stats.multi_status_calls,
        Some("status") => &mut stats.status_calls,
        Some("refill") => &mut stats.refill_calls,
        Some("refill_status") => &mut stats.refill_status_calls,
        Some("cancel") => &mut stats.cancel_calls,
        Some("balance") => &mut stats.balance_calls,
        _ => &mut stats.other_calls,
    };
    *counter += 1;
}

/// `"1, 2,3"` → `["1","2","3"]`, at most [`MAX_IDS`].
fn id_list(list: &str) -> Result<Vec<&str>, &'static str> {
    let ids: Vec<&str> = list.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if ids.is_empty() {
        return Err("Incorrect request");
    }
    if ids.len() > MAX_IDS {
        return Err("Too many ids: at most 100 per request");
    }
    Ok(ids)
}

/// Echoes an id back as a JSON number when it is one, like real providers do.
fn numeric_or_text(id: &str) -> Value {
    id.parse::<u64>().map_or_else(|_| json!(id), |n| json!(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim(step_secs: u64) -> Sim {
        Sim::new(SimConfig {
            key: "k".into(),
            step: Duration::from_secs(step_secs),
            seed: 1,
            latency: Duration::ZERO,
            faults: FaultRates::default(),
            balance: Money::from_micros(1_000_000_000),
            no_multi_status: false,
            strict_multi_status: false,
        })
    }

    fn params(pairs: &[(&str, &str)]) -> Params {
        let mut p: Params = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        p.entry("key".into()).or_insert_with(|| "k".into());
        p
    }

    fn call(sim: &Sim, pairs: &[(&str, &str)], now: Instant) -> Value {
        sim.handle(&params(pairs), now).reply
    }

    #[test]
    fn a_cancel_in_progress_ends_partial_with_the_undelivered_half_refunded() {
        let sim = sim(30);
        let t0 = Instant::now();
        for link in ["a", "b"] {
            call(
                &sim,
                &[
                    ("action", "add"),
                    ("service", "1"),
                    ("link", link),
                    ("quantity", "1000"),
                ],
                t0,
            );
        }
        let in_progress = t0 + Duration::from_secs(31);
        assert_eq!(
            call(&sim, &[("action", "status"), ("order", "10002")], in_progress)["status"],
            json!("In progress")
        );
        let cancel = call(&sim, &[("action", "cancel"), ("orders", "10002")], in_progress);
        assert_eq!(cancel[0]["cancel"], json!(1));
        let status = call(
            &sim,
            &[("action", "status"), ("order", "10002")],
            in_progress + Duration::from_secs(300),
        );
        assert_eq!(
            (status["status"].clone(), status["remains"].clone()),
            (json!("Partial"), json!("500"))
        );
        // 1000 - 2 × 0.90 + 0.45 refunded
        assert_eq!(
            call(&sim, &[("action", "balance")], in_progress)["balance"],
            json!("998.65000")
        );
    }

    #[test]
    fn params_merge_query_and_body() {
        let p = parse_params(
            "key=a&action=status&order=1",
            b"key=b&link=https%3A%2F%2Fx.y%2F%3Fa%3D1",
        );
        assert_eq!(p["key"], "b");
        assert_eq!(p["action"], "status");
        assert_eq!(p["link"], "https://x.y/?a=1");
    }

    #[test]
    fn progression_is_computed_from_the_clock() {
        let sim = sim(30);
        let t0 = Instant::now();
        let add = |link: &str| {
            call(
                &sim,
                &[("action", "add"), ("service", "1"), ("link", link), ("quantity", "100")],
                t0,
            )
        };
        assert_eq!(add("https://i.g/a"), json!({"order": 10001}));
        assert_eq!(add("https://i.g/partial"), json!({"order": 10002}));
        assert_eq!(add("https://i.g/cancel-me"), json!({"order": 10003}));
        let status = |id: &str, at: Instant| call(&sim, &[("action", "status"), ("order", id)], at);
        let s = status("10001", t0);
        assert_eq!(
            (s["status"].clone(), s["remains"].clone()),
            (json!("Pending"), json!("100"))
        );
        assert_eq!(s["charge"], json!("0.09000"));
        let later = t0 + Duration::from_secs(31);
        assert_eq!(status("10001", later)["status"], json!("In progress"));
        let done = t0 + Duration::from_secs(61);
        let s = status("10001", done);
        assert_eq!(
            (s["status"].clone(), s["remains"].clone()),
            (json!("Completed"), json!("0"))
        );
        let s = status("10002", done);
        assert_eq!(
            (s["status"].clone(), s["remains"].clone()),
            (json!("Partial"), json!("50"))
        );
        let s = status("10003", done);
        assert_eq!(
            (s["status"].clone(), s["remains"].clone()),
            (json!("Canceled"), json!("100"))
        );
        assert_eq!(status("99", t0), json!({"error": "Incorrect order ID"}));
        // start counts are deterministic per seed and order
        assert_eq!(status("10001", t0)["start_count"], sim_start_count(10001));
    }

    fn sim_start_count(id: u64) -> Value {
        json!(((mix(1, id) % 9_000) + 100).to_string())
    }

    #[test]
    fn add_validation() {
        let sim = sim(30);
        let t0 = Instant::now();
        let add = |pairs: &[(&str, &str)]| {
            let mut all = vec![("action", "add")];
            all.extend_from_slice(pairs);
            call(&sim, &all, t0)
        };
        assert_eq!(
            add(&[("service", "99"), ("link", "x"), ("quantity", "100")]),
            error("Incorrect service ID")
        );
        assert_eq!(
            add(&[("link", "x"), ("quantity", "100")]),
            error("Incorrect service ID")
        );
        assert_eq!(add(&[("service", "1"), ("quantity", "100")]), error("Incorrect link"));
        assert_eq!(add(&[("service", "1"), ("link", "x")]), error("Incorrect quantity"));
        assert_eq!(
            add(&[("service", "1"), ("link", "x"), ("quantity", "ten")]),
            error("Incorrect quantity")
        );
        assert_eq!(
            add(&[("service", "1"), ("link", "x"), ("quantity", "49")]),
            error("Quantity less than minimal 50")
        );
        assert_eq!(
            add(&[("service", "1"), ("link", "x"), ("quantity", "10001")]),
            error("Quantity more than maximal 10000")
        );
        assert_eq!(
            add(&[
                ("service", "1"),
                ("link", "x"),
                ("quantity", "100"),
                ("runs", "2"),
                ("interval", "5")
            ]),
            error("Drip-feed is not supported for this service")
        );
        // drip-feed: quantity per run, charged on the total
        assert_eq!(
            add(&[
                ("service", "4"),
                ("link", "x"),
                ("quantity", "100"),
                ("runs", "3"),
                ("interval", "5")
            ]),
            json!({"order": 10001})
        );
        // custom comments: the lines are the quantity
        assert_eq!(
            add(&[
                ("service", "8"),
                ("link", "x"),
                ("comments", "nice\ngreat\n\ncool\nwow\nyes")
            ]),
            json!({"order": 10002})
        );
        assert_eq!(
            add(&[("service", "8"), ("link", "x"), ("quantity", "5")]),
            error("Comments are required for this service")
        );
        let orders = sim.orders_json(t0);
        assert_eq!(orders[0]["quantity"], json!(300));
        assert_eq!(orders[1]["quantity"], json!(5));
        assert_eq!(orders.as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn key_and_action_checks() {
        let sim = sim(30);
        let t0 = Instant::now();
        let wrong = sim.handle(&[("key".to_string(), "nope".to_string())].into_iter().collect(), t0);
        assert_eq!(wrong.reply, error("Invalid API key"));
        assert_eq!(sim.handle(&Params::new(), t0).reply, error("Invalid API key"));
        assert_eq!(call(&sim, &[("action", "fly")], t0), error("Incorrect request"));
        assert_eq!(call(&sim, &[], t0), error("Incorrect request"));
        assert_eq!(call(&sim, &[("action", "status")], t0), error("Incorrect request"));
        let stats = sim.stats();
        assert_eq!((stats.requests, stats.other_calls, stats.status_calls), (5, 4, 1));
    }

    #[test]
    fn multi_status_refill_cancel_and_balance() {
        let sim = sim(30);
        let t0 = Instant::now();
        for (service, link) in [("1", "a"), ("2", "b"), ("7", "c")] {
            call(
                &sim,
                &[
                    ("action", "add"),
                    ("service", service),
                    ("link", link),
                    ("quantity", "1000"),
                ],
                t0,
            );
        }
        let multi = call(&sim, &[("action", "status"), ("orders", "10001, 10002,5")], t0);
        assert_eq!(multi["10001"]["status"], json!("Pending"));
        assert_eq!(multi["10002"]["charge"], json!("0.45000"));
        assert_eq!(multi["5"], error("Incorrect order ID"));
        let too_many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
        assert!(call(&sim, &[("action", "status"), ("orders", &too_many.join(","))], t0)["error"].is_string());

        // balance: 1000 - 0.9 - 0.45 - 2.5
        assert_eq!(
            call(&sim, &[("action", "balance")], t0),
            json!({"balance": "996.15000", "currency": "USD"})
        );

        // cancel: 10001 cancellable, 10002 service without cancel, 10009 unknown
        let cancel = call(&sim, &[("action", "cancel"), ("orders", "10001,10002,10009")], t0);
        assert_eq!(
            cancel,
            json!([
                {"order": 10001, "cancel": 1},
                {"order": 10002, "cancel": {"error": "Cancel is disabled for this service"}},
                {"order": 10009, "cancel": {"error": "Incorrect order ID"}},
            ])
        );
        assert_eq!(
            call(&sim, &[("action", "status"), ("order", "10001")], t0)["status"],
            json!("Canceled")
        );
        assert_eq!(call(&sim, &[("action", "balance")], t0)["balance"], json!("997.05000"));
        let again = call(&sim, &[("action", "cancel"), ("orders", "10001")], t0);
        assert_eq!(again[0]["cancel"], error("Order cannot be canceled"));

        // refill: only completed orders of refill services
        let done = t0 + Duration::from_secs(61);
        assert_eq!(
            call(&sim, &[("action", "refill"), ("order", "10003")], t0),
            error("Refill is available for completed orders only")
        );
        assert_eq!(
            call(&sim, &[("action", "refill"), ("order", "10002")], done),
            error("Refill is disabled for this service")
        );
        assert_eq!(
            call(&sim, &[("action", "refill"), ("order", "10003")], done),
            json!({"refill": "1"})
        );
        assert_eq!(
            call(&sim, &[("action", "refill_status"), ("refill", "1")], done),
            json!({"status": "Pending"})
        );
        let refilled = done + Duration::from_secs(30);
        assert_eq!(
            call(&sim, &[("action", "refill_status"), ("refill", "1")], refilled),
            json!({"status": "Completed"})
        );
        assert_eq!(
            call(&sim, &[("action", "refill_status"), ("refill", "2")], refilled),
            error("Incorrect refill ID")
        );
        assert_eq!(
            call(&sim, &[("action", "refill"), ("orders", "10003,10002")], done),
            json!([
                {"order": 10003, "refill": 2},
                {"order": 10002, "refill": {"error": "Refill is disabled for this service"}},
            ])
        );
        assert_eq!(
            call(&sim, &[("action", "refill_status"), ("refills", "1,7")], refilled),
            json!([{"refill": 1, "status": "Completed"}, {"refill": 7, "status": {"error": "Incorrect refill ID"}}])
        );
        let stats = sim.stats();
        assert_eq!(
            (
                stats.adds,
                stats.multi_status_calls,
                stats.cancel_calls,
                stats.balance_calls
            ),
            (3, 2, 2, 2)
        );
        sim.reset_stats();
        assert_eq!(sim.stats(), Stats::default());
    }

    #[test]
    fn funds_run_out() {
        let sim = Sim::new(SimConfig {
            balance: Money::from_micros(1_000_000),
            ..sim(30).config
        });
        let t0 = Instant::now();
        let add = || {
            call(
                &sim,
                &[("action", "add"), ("service", "1"), ("link", "x"), ("quantity", "1000")],
                t0,
            )
        };
        assert_eq!(add(), json!({"order": 10001}));
        assert_eq!(add(), error("Not enough funds on balance"));
    }

    #[test]
    fn zero_step_finishes_at_once() {
        let sim = sim(0);
        let t0 = Instant::now();
        call(
            &sim,
            &[("action", "add"), ("service", "1"), ("link", "x"), ("quantity", "100")],
            t0,
        );
        assert_eq!(
            call(&sim, &[("action", "status"), ("order", "10001")], t0)["status"],
            json!("Completed")
        );
    }

    #[test]
    fn error_fault_processes_nothing() {
        let sim = Sim::new(SimConfig {
            faults: FaultRates {
                error: 1.0,
                ..FaultRates::default()
            },
            ..sim(30).config
        });
        let handled = sim.handle(
            &params(&[("action", "add"), ("service", "1"), ("link", "x"), ("quantity", "100")]),
            Instant::now(),
        );
        assert_eq!(
            handled,
            Handled {
                reply: error("Incorrect request"),
                fault: Some(Fault::Error)
            }
        );
        assert_eq!(sim.orders_json(Instant::now()), json!([]));
        assert_eq!(sim.stats().faults, 1);
    }
}
