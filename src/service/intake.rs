//! Group commit for order placement.
//!
//! A customer's request is validated and priced on its own thread, then handed to a
//! *lane*: a thread that takes every request waiting for it and writes them in one
//! transaction — one conditional debit per request, one multi-row insert for all their
//! orders, one for all their ledger rows — and answers each request only after that
//! transaction has committed. Each request stays all-or-nothing: a request whose
//! balance does not cover it is left out (its debit changed nothing) while the others
//! commit. If the transaction itself fails, every request of the batch is retried in a
//! transaction of its own, so one request's failure is never another's.
//!
//! SQLite allows one writer at a time anyway: one lane turns lock waits (and
//! `busy_timeout` sleeps) into batching. PostgreSQL gets `POSTGRES_LANES` lanes; a
//! user's requests always go to the same lane, so two lanes never wait on one balance
//! row and one customer's burst becomes one debit per request inside few commits.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;

use crate::db::ledger::BalanceRefusal;
use crate::db::models::{NewLedgerRow, NewOrderRow, OrderExtras, OrderRow};
use crate::db::{self, DbConnection, DbPool};
use crate::domain::{ForwardState, LedgerKind, Money, OrderStatus};
use crate::error::{AppError, AppResult};
use crate::worker::wake::Wake;

/// Lanes on PostgreSQL (one per core of the machine this was tuned on).
pub const POSTGRES_LANES: usize = 2;
/// At most this many requests, and about this many orders, per transaction.
const MAX_JOBS_PER_BATCH: usize = 256;
const MAX_ORDERS_PER_BATCH: usize = 2_000;
/// Requests waiting per lane before senders block (back-pressure, not an error).
const LANE_CAPACITY: usize = 4_096;

/// One order of a request, validated and priced.
#[derive(Debug, Clone)]
pub struct JobOrder {
    pub service_id: i64,
    pub provider_id: Option<i64>,
    pub provider_service_id: Option<String>,
    pub link: String,
    pub quantity: i64,
    /// What the user is charged for it (zero for an uncharged manual order).
    pub charge: Money,
    pub rate_per_1000: i64,
    pub provider_cost: Option<Money>,
    /// Queued for the forwarding workers (else `manual`).
    pub auto: bool,
    /// Drip-feed runs or comments (`order_id` is filled in on insert).
    pub extras: Option<OrderExtras>,
}

/// One request: every order is placed and charged, or none is.
#[derive(Debug, Clone)]
pub struct Job {
    pub user_id: i64,
    pub currency: String,
    pub usd_to_bdt: i64,
    /// An admin's manual order (SPEC §4).
    pub is_manual: bool,
    pub admin_notes: Option<String>,
    /// Who the ledger rows name as actor.
    pub actor_id: i64,
    pub ledger_note: Option<&'static str>,
    pub orders: Vec<JobOrder>,
}

impl Job {
    fn total(&self) -> Money {
        // Bounded when priced: at most 100 orders, each within `Money::MAX`.
        self.orders
            .iter()
            .fold(Money::ZERO, |sum, o| sum.checked_add(o.charge).unwrap_or(Money::MAX))
    }

    fn queues(&self) -> bool {
        self.orders.iter().any(|o| o.auto)
    }
}

/// A request's answer: its orders as stored, or why its debit was refused.
pub type Outcome = Result<Vec<OrderRow>, BalanceRefusal>;

struct Envelope {
    job: Job,
    reply: tokio::sync::oneshot::Sender<AppResult<Outcome>>,
}

/// A request's answer, once its batch has committed.
pub struct Answer(tokio::sync::oneshot::Receiver<AppResult<Outcome>>);

impl std::future::Future for Answer {
    type Output = AppResult<Outcome>;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0)
            .poll(cx)
            .map(|answer| answer.unwrap_or_else(|_| Err(stopped())))
    }
}

fn stopped() -> AppError {
    AppError::internal("the order writer has stopped")
}

/// The lanes of one process.
pub struct Intake {
    lanes: Vec<SyncSender<Envelope>>,
}

impl Intake {
    /// Starts `lanes` writer threads on `pool`; they end when the `Intake` is dropped.
    pub fn start(pool: DbPool, wake: Arc<Wake>, lanes: usize) -> std::io::Result<Self> {
        let senders = (0..lanes.max(1))
            .map(|lane| {
                let (sender, receiver) = mpsc::sync_channel(LANE_CAPACITY);
                let (pool, wake) = (pool.clone(), Arc::clone(&wake));
                std::thread::Builder::new()
                    .name(format!("intake-{lane}"))
                    .spawn(move || run_lane(&pool, &wake, &receiver))
                    .map(|_| sender)
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(Self { lanes: senders })
    }

    /// Hands `job` to its lane, to be written with whatever else is waiting; await the
    /// answer. A lane with `LANE_CAPACITY` requests waiting refuses more (503): the
    /// panel is far behind, and waiting longer would not help the caller.
    pub fn submit(&self, job: Job) -> AppResult<Answer> {
        let lane = &self.lanes[job.user_id.unsigned_abs() as usize % self.lanes.len()];
        let (reply, answer) = tokio::sync::oneshot::channel();
        match lane.try_send(Envelope { job, reply }) {
            Ok(()) => Ok(Answer(answer)),
            Err(TrySendError::Full(_)) => Err(AppError::Unavailable(
                "The panel is taking more orders than it can write; try again in a moment.".into(),
            )),
            Err(TrySendError::Disconnected(_)) => Err(stopped()),
        }
    }

    /// `submit` for a thread that may block (never an async executor's).
    pub fn submit_blocking(&self, job: Job) -> AppResult<Outcome> {
        let Answer(answer) = self.submit(job)?;
        answer.blocking_recv().unwrap_or_else(|_| Err(stopped()))
    }
}

fn run_lane(pool: &DbPool, wake: &Wake, receiver: &Receiver<Envelope>) {
    while let Ok(first) = receiver.recv() {
        let mut orders = first.job.orders.len();
        let mut batch = vec![first];
        while batch.len() < MAX_JOBS_PER_BATCH && orders < MAX_ORDERS_PER_BATCH {
            match receiver.try_recv() {
                Ok(next) => {
                    orders += next.job.orders.len();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        // A panic answers the batch's requests with an error (their reply channels
        // drop) and leaves the lane running for the next.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| commit(pool, wake, batch)));
    }
}

fn commit(pool: &DbPool, wake: &Wake, batch: Vec<Envelope>) {
    let mut conn = match pool.get() {
        Ok(conn) => conn,
        Err(e) => {
            // The database cannot be reached: every request of the batch gets a 503
            // (retrying them one by one would only wait for the pool again).
            for envelope in batch {
                let _ = envelope.reply.send(Err(AppError::Unavailable(e.to_string())));
            }
            return;
        }
    };
    let jobs: Vec<&Job> = batch.iter().map(|e| &e.job).collect();
    match db::write_transaction(&mut conn, |c| write(c, &jobs)) {
        Ok(outcomes) => {
            let queued = batch
                .iter()
                .zip(&outcomes)
                .any(|(envelope, outcome)| outcome.is_ok() && envelope.job.queues());
            for (envelope, outcome) in batch.into_iter().zip(outcomes) {
                let _ = envelope.reply.send(Ok(outcome));
            }
            if queued {
                wake.notify();
            }
        }
        Err(e) if batch.len() > 1 => {
            log::warn!(
                "[ORDER_INTAKE] a batch of {} requests failed ({e}); writing each alone",
                batch.len()
            );
            drop(conn);
            for envelope in batch {
                commit(pool, wake, vec![envelope]);
            }
        }
        Err(e) => {
            if let Some(envelope) = batch.into_iter().next() {
                let _ = envelope.reply.send(Err(AppError::from(e)));
            }
        }
    }
}

/// Writes `jobs` inside the caller's transaction: each request's debit, then all their
/// orders, ledger rows and extras. A request refused for its balance wrote nothing.
pub fn write(conn: &mut DbConnection, jobs: &[&Job]) -> diesel::QueryResult<Vec<Outcome>> {
    // Each accepted request's balance just before its debit (`None`: nothing to charge).
    let mut accepted: Vec<Result<Option<i64>, BalanceRefusal>> = Vec::with_capacity(jobs.len());
    for job in jobs {
        let total = job.total();
        accepted.push(if total.is_zero() {
            Ok(None)
        } else {
            db::ledger::move_balance(conn, job.user_id, Money::from_micros(-total.micros()), false)?
                .map(|after| Some(after.micros() + total.micros()))
        });
    }
    let now = db::now();
    let rows: Vec<NewOrderRow<'_>> = jobs
        .iter()
        .zip(&accepted)
        .filter(|(_, accepted)| accepted.is_ok())
        .map(|(job, _)| *job)
        .flat_map(|job| {
            job.orders.iter().map(move |o| NewOrderRow {
                user_id: job.user_id,
                service_id: o.service_id,
                provider_id: o.provider_id,
                provider_service_id: o.provider_service_id.as_deref(),
                link: &o.link,
                quantity: o.quantity,
                charge: o.charge.micros(),
                currency: &job.currency,
                rate_per_1000: o.rate_per_1000,
                usd_to_bdt: job.usd_to_bdt,
                provider_cost: o.provider_cost.map(Money::micros),
                status: OrderStatus::Pending.as_str(),
                forward_state: if o.auto {
                    ForwardState::Queued
                } else {
                    ForwardState::Manual
                }
                .as_str(),
                is_manual: job.is_manual,
                admin_notes: job.admin_notes.as_deref(),
                created_at: now,
                updated_at: now,
            })
        })
        .collect();
    let mut stored = db::orders::insert_many(conn, &rows)?.into_iter();

    let mut outcomes = Vec::with_capacity(jobs.len());
    let mut ledger = Vec::new();
    let mut extras = Vec::new();
    for (job, accepted) in jobs.iter().zip(accepted) {
        let mut running = match accepted {
            Ok(balance_before) => balance_before,
            Err(refusal) => {
                outcomes.push(Err(refusal));
                continue;
            }
        };
        let placed: Vec<OrderRow> = stored.by_ref().take(job.orders.len()).collect();
        // Each order's row carries the balance as it stood after that order's charge.
        for (order, row) in job.orders.iter().zip(&placed) {
            if let (Some(balance), false) = (running.as_mut(), order.charge.is_zero()) {
                *balance -= order.charge.micros();
                ledger.push(NewLedgerRow {
                    user_id: job.user_id,
                    kind: LedgerKind::Charge.as_str(),
                    amount: -order.charge.micros(),
                    balance_after: *balance,
                    order_id: Some(row.id),
                    actor_id: Some(job.actor_id),
                    note: job.ledger_note,
                    created_at: now,
                });
            }
            if let Some(extra) = &order.extras {
                extras.push(OrderExtras {
                    order_id: row.id,
                    ..extra.clone()
                });
            }
        }
        outcomes.push(Ok(placed));
    }
    db::ledger::append(conn, &ledger)?;
    db::orders::insert_extras(conn, &extras)?;
    let queued = rows
        .iter()
        .filter(|r| r.forward_state == ForwardState::Queued.as_str())
        .count() as u64;
    let manual = rows.len() as u64 - queued;
    db::after_commit(conn, move || {
        crate::telemetry::orders_placed("queued", queued);
        crate::telemetry::orders_placed("manual", manual);
    });
    Ok(outcomes)
}
