//! Status sync (SPEC §5): rounds over every provider in parallel, batches through the
//! multi-status call, one transaction per changed order (settled), one statement for
//! the orders that did not change, and single-order checks on demand.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, TimeDelta};
use serde::Serialize;

use crate::db::models::{OrderRow, ProviderRow, SyncRoundRow};
use crate::db::orders::{Guard, OrderPatch};
use crate::db::requests::RequestPatch;
use crate::db::sync::Checked;
use crate::db::{self, DbConnection};
use crate::domain::{Money, Move, OrderStatus, RequestState, RequestStatus};
use crate::error::{AppError, AppResult};
use crate::provider::client::{CallError, ProviderClient};
use crate::provider::reply::OrderStatusReply;
use crate::service::order_machine::{self, Refusal};
use crate::service::orders::{self, OrderView};
use crate::service::providers;
use crate::state::AppState;

/// How long a runner holds a round before another process may take over (renewed
/// after every batch, so only a dead runner loses it).
const ROUND_LEASE: TimeDelta = TimeDelta::seconds(120);
/// A single-order check without `forceSync` is skipped if the order was checked this
/// recently (also the customer's "Refresh status" limit).
pub const RECHECK_AFTER: TimeDelta = TimeDelta::seconds(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Schedule,
    Admin,
    Force,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Admin => "admin",
            Trigger::Force => "force",
        }
    }
}

/// A round this process won the right to run.
#[derive(Debug, Clone)]
pub struct Round {
    pub id: i64,
    pub started_at: NaiveDateTime,
    runner: String,
}

#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Counts {
    pub checked: i64,
    pub changed: i64,
    pub errors: i64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.checked += other.checked;
        self.changed += other.changed;
        self.errors += other.errors;
    }
}

/// One provider's part of a round: its counts, or the counts so far and why it stopped.
type ProviderOutcome = Result<Counts, (Counts, String)>;

/// Starts a round if no process runs one (and, for the schedule, if one is due).
pub fn begin_round(state: &AppState, trigger: Trigger, runner: &str) -> AppResult<Option<Round>> {
    let now = db::now();
    let interval = (trigger == Trigger::Schedule)
        .then(|| TimeDelta::from_std(state.config.sync_interval).unwrap_or(TimeDelta::seconds(900)));
    let mut conn = state.conn()?;
    let round = db::write_transaction(&mut conn, |c| {
        if !db::sync::acquire_round_lease(c, runner, now, now + ROUND_LEASE, interval)? {
            return Ok::<_, AppError>(None);
        }
        let id = db::sync::insert_round(c, trigger.as_str(), runner, now)?;
        Ok(Some(Round {
            id,
            started_at: now,
            runner: runner.to_string(),
        }))
    })?;
    if let Some(round) = &round {
        log::info!("[STATUS_UPDATE] sync round {} started ({})", round.id, trigger.as_str());
    }
    Ok(round)
}

/// Runs a begun round: every enabled provider in parallel, then records the totals and
/// releases the lease.
pub fn run_round(state: &AppState, round: &Round) -> AppResult<Counts> {
    let started = std::time::Instant::now();
    let stranded = db::sync::flag_stranded(
        &mut *state.conn()?,
        "Its provider is disabled or removed, so its status is no longer synced: re-enable the provider and \
         resume, set the status by hand, or fail it.",
    )?;
    if stranded > 0 {
        log::warn!("[STATUS_UPDATE] {stranded} active orders of disabled or removed providers held for review");
    }
    let providers_list = db::providers::list(&mut *state.conn()?)?
        .into_iter()
        .filter(|p| p.enabled)
        .collect::<Vec<_>>();
    let results: Vec<(String, ProviderOutcome)> = std::thread::scope(|scope| {
        let handles: Vec<_> = providers_list
            .iter()
            .map(|provider| {
                let name = provider.name.clone();
                (name, scope.spawn(move || sync_provider(state, provider, round)))
            })
            .collect();
        handles
            .into_iter()
            .map(|(name, h)| {
                (
                    name,
                    h.join()
                        .unwrap_or_else(|_| Err((Counts::default(), "the sync thread panicked".into()))),
                )
            })
            .collect()
    });
    let mut total = Counts::default();
    let mut failures = Vec::new();
    for (name, result) in results {
        match result {
            Ok(counts) => total += counts,
            Err((counts, message)) => {
                total += counts;
                total.errors += 1;
                failures.push(format!("{name}: {message}"));
            }
        }
    }
    let summary = (!failures.is_empty()).then(|| failures.join("; "));
    let mut conn = state.conn()?;
    db::sync::finish_round(
        &mut conn,
        round.id,
        total.checked,
        total.changed,
        total.errors,
        summary.as_deref(),
    )?;
    db::sync::release_round_lease(&mut conn, &round.runner)?;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    crate::telemetry::sync_round(
        started.elapsed(),
        count(total.checked),
        count(total.changed),
        count(total.errors),
    );
    log::info!(
        "[STATUS_UPDATE] sync round {} finished: {} checked, {} changed, {} errors",
        round.id,
        total.checked,
        total.changed,
        total.errors
    );
    Ok(total)
}

/// Consecutive failed status checks after which an order is held for review.
pub const REVIEW_AFTER_ERRORS: i64 = 5;
/// Consecutive failed calls after which a provider counts as down for this round.
const OUTAGE_AFTER_FAILURES: usize = 3;
/// How often a runner renews its round lease while it works (well inside the lease).
const RENEW_EVERY: Duration = Duration::from_secs(20);

/// Keeps the round's lease while a provider's part of it runs: renewed before a call
/// once `RENEW_EVERY` has passed, so a long batch never lets a second round start.
struct LeaseKeeper<'a> {
    state: &'a AppState,
    runner: &'a str,
    renewed: Instant,
}

impl LeaseKeeper<'_> {
    fn keep(&mut self) -> Result<(), String> {
        if self.renewed.elapsed() < RENEW_EVERY {
            return Ok(());
        }
        let renewed = self
            .state
            .conn()
            .and_then(|mut c| {
                Ok(db::sync::renew_round_lease(
                    &mut c,
                    self.runner,
                    db::now() + ROUND_LEASE,
                )?)
            })
            .map_err(|e| e.to_string())?;
        if !renewed {
            return Err("lost the round's lease".into());
        }
        self.renewed = Instant::now();
        Ok(())
    }
}

/// One provider's part of a round, batch after batch until every active order was
/// checked once. A batch the provider refuses as a whole is checked order by order;
/// each checked order is stamped, error or not, so the next batch moves on.
fn sync_provider(state: &AppState, provider: &ProviderRow, round: &Round) -> ProviderOutcome {
    let mut counts = Counts::default();
    let client = providers::client(state, provider).map_err(|e| (counts, e.to_string()))?;
    let batch_size = state.config.sync_batch_size as i64;
    let mut calls = Calls {
        client: &client,
        spacing: state.config.provider_call_spacing,
        first: true,
        lease: LeaseKeeper {
            state,
            runner: &round.runner,
            renewed: Instant::now(),
        },
    };
    let mut multi = provider.multi_status;
    loop {
        let batch = state
            .conn()
            .and_then(|mut c| {
                Ok(db::sync::orders_to_check(
                    &mut c,
                    provider.id,
                    round.started_at,
                    batch_size,
                )?)
            })
            .map_err(|e| (counts, e.to_string()))?;
        if batch.is_empty() {
            return sync_refills(state, &mut calls, provider, round, counts);
        }
        let fetched = fetch_statuses(state, &mut calls, provider, &batch, &mut multi).map_err(|e| (counts, e))?;
        counts += apply_batch(state, &batch, &fetched.replies, fetched.outage.is_some())
            .map_err(|e| (counts, e.to_string()))?;
        if let Some(outage) = fetched.outage {
            log::warn!(
                "[PROVIDER_ERROR] sync of {} stopped for this round: {outage}",
                provider.name
            );
            return Err((counts, outage));
        }
        calls.lease.keep().map_err(|e| (counts, e))?;
    }
}

/// The provider's sent refills, after its orders: each asked with `refill_status` and
/// moved (guarded by its version) when the answer differs. A provider error for one
/// refill is counted and stamped; a failed call ends the provider's part of the round.
fn sync_refills(
    state: &AppState,
    calls: &mut Calls<'_>,
    provider: &ProviderRow,
    round: &Round,
    mut counts: Counts,
) -> ProviderOutcome {
    let batch_size = state.config.sync_batch_size as i64;
    loop {
        let batch = state
            .conn()
            .and_then(|mut c| {
                Ok(db::requests::refills_to_check(
                    &mut c,
                    provider.id,
                    round.started_at,
                    batch_size,
                )?)
            })
            .map_err(|e| (counts, e.to_string()))?;
        if batch.is_empty() {
            return Ok(counts);
        }
        let mut unchanged = Vec::new();
        for refill in &batch {
            calls.before_call().map_err(|e| (counts, e))?;
            counts.checked += 1;
            let refill_id = refill.provider_refill_id.clone().unwrap_or_default();
            let raw = match calls.client.refill_status(&refill_id) {
                Ok(raw) => raw,
                Err(CallError::Provider { message, .. }) => {
                    log::warn!("[PROVIDER_ERROR] refill {} status check failed: {message}", refill.id);
                    counts.errors += 1;
                    unchanged.push(refill.id);
                    continue;
                }
                Err(e) => {
                    touch_refills(state, &unchanged).map_err(|e| (counts, e.to_string()))?;
                    return Err((counts, e.to_string()));
                }
            };
            let Some(status) = RequestStatus::from_provider(&raw) else {
                log::warn!(
                    "[PROVIDER_ERROR] refill {}: unrecognised refill status '{raw}'",
                    refill.id
                );
                counts.errors += 1;
                unchanged.push(refill.id);
                continue;
            };
            if status.as_str() == refill.status && refill.provider_status.as_deref() == Some(raw.as_str()) {
                unchanged.push(refill.id);
                continue;
            }
            let final_state = status.is_final().then_some(if status == RequestStatus::Completed {
                RequestState::Done
            } else {
                RequestState::Rejected
            });
            let patch = RequestPatch {
                state: final_state.map(RequestState::as_str),
                provider_status: Some(Some(raw.clone())),
                last_status_check: Some(Some(db::now())),
                ..RequestPatch::default()
            }
            .with_status(status);
            let moved = state
                .conn()
                .and_then(|mut c| {
                    Ok(db::requests::compare_and_set(
                        &mut c,
                        refill.id,
                        refill.version,
                        None,
                        &patch,
                    )?)
                })
                .map_err(|e| (counts, e.to_string()))?;
            if moved {
                counts.changed += 1;
                log::info!(
                    "[STATUS_UPDATE] Refill {} of order {}: {} -> {status}",
                    refill.id,
                    refill.order_id,
                    refill.status
                );
            }
        }
        touch_refills(state, &unchanged).map_err(|e| (counts, e.to_string()))?;
    }
}

fn touch_refills(state: &AppState, ids: &[i64]) -> AppResult<()> {
    db::requests::touch_checked(&mut *state.conn()?, ids, db::now())?;
    Ok(())
}

/// Calls to one provider within a round: spaced, and keeping the round's lease.
struct Calls<'a> {
    client: &'a ProviderClient,
    spacing: Duration,
    first: bool,
    lease: LeaseKeeper<'a>,
}

impl Calls<'_> {
    /// Waits the spacing since the previous call and renews the lease if due.
    fn before_call(&mut self) -> Result<(), String> {
        if !self.first && !self.spacing.is_zero() {
            std::thread::sleep(self.spacing);
        }
        self.first = false;
        self.lease.keep()
    }
}

pub type Replies = HashMap<String, Result<OrderStatusReply, String>>;

/// A batch's answers, and whether the provider looked down (calls failing one after
/// another), in which case the orders without an answer are not blamed for it.
struct Fetched {
    replies: Replies,
    outage: Option<String>,
}

/// The provider's answers for a batch, keyed by provider order id. Uses multi-status
/// unless the provider is known not to support it. A multi-status call that fails as
/// a whole (an error for the batch, a 5xx, a timeout) falls back to one call per
/// order for this batch; the first time a provider refuses multi-status, a working
/// single-order call marks it as single-order only. `Err` only when the round's lease
/// is lost.
fn fetch_statuses(
    state: &AppState,
    calls: &mut Calls<'_>,
    provider: &ProviderRow,
    batch: &[OrderRow],
    multi: &mut Option<bool>,
) -> Result<Fetched, String> {
    let ids: Vec<String> = batch.iter().filter_map(|o| o.provider_order_id.clone()).collect();
    let mut learning = false;
    if *multi != Some(false) {
        calls.before_call()?;
        match calls.client.statuses(&ids) {
            Ok(replies) => {
                if multi.is_none() {
                    remember_multi(state, provider.id, true);
                    *multi = Some(true);
                }
                return Ok(Fetched { replies, outage: None });
            }
            Err(e @ CallError::BeforeSend(_)) => {
                return Ok(Fetched {
                    replies: HashMap::new(),
                    outage: Some(e.to_string()),
                })
            }
            Err(e) => {
                learning = multi.is_none();
                log::info!(
                    "[STATUS_UPDATE] {} failed a multi-status call for {} orders ({e}); checking them one by one",
                    provider.name,
                    ids.len()
                );
            }
        }
    }
    let mut replies = HashMap::new();
    let (mut failures_in_a_row, mut answered, mut last_failure) = (0, 0, None);
    for id in ids {
        calls.before_call()?;
        match calls.client.status(&id) {
            Ok(reply) => {
                replies.insert(id, Ok(reply));
                failures_in_a_row = 0;
                answered += 1;
                if learning {
                    remember_multi(state, provider.id, false);
                    *multi = Some(false);
                    learning = false;
                }
            }
            Err(CallError::Provider { message, .. }) => {
                replies.insert(id, Err(message));
                failures_in_a_row = 0;
                answered += 1;
            }
            Err(e) => {
                failures_in_a_row += 1;
                if failures_in_a_row >= OUTAGE_AFTER_FAILURES {
                    return Ok(Fetched {
                        replies,
                        outage: Some(e.to_string()),
                    });
                }
                replies.insert(id, Err(e.to_string()));
                last_failure = Some(e.to_string());
            }
        }
    }
    // Not one call answered: the provider is down, not these orders.
    if answered == 0 {
        if let Some(failure) = last_failure {
            return Ok(Fetched {
                replies: HashMap::new(),
                outage: Some(failure),
            });
        }
    }
    Ok(Fetched { replies, outage: None })
}

fn remember_multi(state: &AppState, provider_id: i64, supported: bool) {
    let result = state
        .conn()
        .and_then(|mut c| Ok(db::sync::set_multi_status(&mut c, provider_id, supported)?));
    if let Err(e) = result {
        log::warn!("could not remember provider {provider_id}'s multi-status support: {e}");
    }
}

/// What a reply means for an order.
enum Verdict {
    /// A change to apply.
    Change(Box<OrderPatch>),
    /// Nothing new.
    Same,
    /// The check failed; after `REVIEW_AFTER_ERRORS` in a row the order is held.
    Error(String),
    /// An answer the panel cannot act on: held for review with the provider's words.
    Review(String),
    /// No answer because the provider is down: not the order's fault.
    NotAsked,
}

fn judge(
    order: &OrderRow,
    reply: Option<&Result<OrderStatusReply, String>>,
    outage: bool,
    now: NaiveDateTime,
) -> Verdict {
    let reply = match reply {
        None if outage => return Verdict::NotAsked,
        None => return Verdict::Error("missing from the provider's reply".into()),
        Some(Err(message)) => return Verdict::Error(message.clone()),
        Some(Ok(reply)) => reply,
    };
    let Some(status) = OrderStatus::from_provider(&reply.status) else {
        return Verdict::Review(format!(
            "The provider reports the status '{}', which the panel cannot map; set the status by hand.",
            reply.raw_status
        ));
    };
    if status == OrderStatus::Partial && reply.remains.is_none() {
        return Verdict::Review(
            "The provider reports Partial without saying how many remain; set remains by hand to refund the rest."
                .into(),
        );
    }
    let remains = reply.remains.map(|r| r.clamp(0, order.quantity));
    let unchanged = order.status == status.as_str()
        && order.remains == remains
        && order.start_count == reply.start_count.or(order.start_count)
        && order.provider_status.as_deref() == Some(reply.raw_status.as_str());
    if unchanged {
        return Verdict::Same;
    }
    Verdict::Change(Box::new(OrderPatch {
        status: Some(status.as_str()),
        provider_status: Some(Some(reply.raw_status.clone())),
        start_count: Some(reply.start_count.or(order.start_count)),
        remains: Some(reply.remains),
        last_status_check: Some(Some(now)),
        status_errors: Some(0),
        ..OrderPatch::default()
    }))
}

/// Applies replies fetched for `batch` as read before the call (the second half of a
/// batch; tests stage what happens between the read and the apply).
pub fn apply_replies(state: &AppState, batch: &[OrderRow], replies: &Replies) -> AppResult<Counts> {
    apply_batch(state, batch, replies, false)
}

/// Applies a batch: one guarded move per changed or escalated order (skipped if the
/// order changed since the batch was read: its reply is stale), all in one
/// transaction, and one statement each for the unchanged, the failed and the unasked.
/// If that transaction fails (a settlement beyond the balance limit, a lost
/// connection), each move is retried in a transaction of its own, so one order's
/// failure is only its own.
fn apply_batch(state: &AppState, batch: &[OrderRow], replies: &Replies, outage: bool) -> AppResult<Counts> {
    let now = db::now();
    let mut counts = Counts::default();
    let (mut same, mut failed, mut unasked) = (Vec::new(), Vec::new(), Vec::new());
    let mut moves = Vec::new();
    for order in batch {
        let reply = order.provider_order_id.as_ref().and_then(|id| replies.get(id));
        let (mv, patch) = match judge(order, reply, outage, now) {
            Verdict::NotAsked => {
                unasked.push(order.id);
                continue;
            }
            Verdict::Same => {
                counts.checked += 1;
                same.push(order.id);
                continue;
            }
            Verdict::Error(message) if order.status_errors + 1 < REVIEW_AFTER_ERRORS => {
                log::warn!("[PROVIDER_ERROR] Order {} status check failed: {message}", order.id);
                counts.checked += 1;
                counts.errors += 1;
                failed.push(order.id);
                continue;
            }
            Verdict::Error(message) => (
                Move::Escalate,
                OrderPatch {
                    review_reason: Some(Some(format!(
                        "Its status check failed {REVIEW_AFTER_ERRORS} times in a row; the provider last said: {message}"
                    ))),
                    status_errors: Some(order.status_errors + 1),
                    last_status_check: Some(Some(now)),
                    ..OrderPatch::default()
                },
            ),
            Verdict::Review(reason) => (
                Move::Escalate,
                OrderPatch {
                    provider_status: reply
                        .and_then(|r| r.as_ref().ok())
                        .map(|r| Some(r.raw_status.clone())),
                    review_reason: Some(Some(reason)),
                    last_status_check: Some(Some(now)),
                    ..OrderPatch::default()
                },
            ),
            Verdict::Change(patch) => (Move::SyncUpdate, *patch),
        };
        counts.checked += 1;
        moves.push((order, mv, patch));
    }
    let mut conn = state.conn()?;
    let together = db::write_transaction(&mut conn, |c| apply_moves(c, &moves));
    let outcomes: Vec<AppResult<Result<Money, Refusal>>> = match together {
        Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
        Err(e) => {
            log::warn!(
                "[STATUS_UPDATE] a batch of {} changes failed ({e}); applying each alone",
                moves.len()
            );
            moves
                .iter()
                .map(|(order, mv, patch)| db::write_transaction(&mut conn, |c| apply_reply(c, order, *mv, patch)))
                .collect()
        }
    };
    for ((order, mv, patch), outcome) in moves.iter().zip(outcomes) {
        match outcome {
            Ok(Ok(_)) if *mv == Move::Escalate => {
                counts.errors += 1;
                log::warn!(
                    "[STATUS_UPDATE] Order {} held for review: {}",
                    order.id,
                    patch.review_reason.clone().flatten().unwrap_or_default()
                );
            }
            Ok(Ok(_)) => counts.changed += 1,
            // Its status was moved by someone else (an admin) since the batch was read:
            // the reply is older than that decision, so it is not applied; the next
            // round asks again.
            Ok(Err(refusal)) => log::info!(
                "[STATUS_UPDATE] Order {}: reply not applied ({refusal:?}); it changed during the call",
                order.id
            ),
            // The answer cannot be written (its settlement is refused): an admin has to
            // decide, and the order leaves the rounds until then, so a round never
            // meets it again.
            Err(e) => {
                counts.errors += 1;
                log::error!(
                    "[STATUS_UPDATE] Order {}: the provider's answer could not be applied: {e}",
                    order.id
                );
                let hold = OrderPatch {
                    review_reason: Some(Some(format!(
                        "The provider's answer ({}) could not be applied: {e}",
                        patch.provider_status.clone().flatten().unwrap_or_default()
                    ))),
                    last_status_check: Some(Some(now)),
                    ..OrderPatch::default()
                };
                let held = db::write_transaction(&mut conn, |c| {
                    order_machine::apply(c, order, Move::Escalate, Guard::Version(order.version), &hold, None)
                });
                if !matches!(held, Ok(Ok(_))) {
                    failed.push(order.id);
                }
            }
        }
    }
    db::sync::touch_checked(&mut conn, &same, now, Checked::Answered)?;
    db::sync::touch_checked(&mut conn, &failed, now, Checked::Failed)?;
    // Unasked orders are stamped too, so an outage does not pin the same batch first.
    db::sync::touch_checked(&mut conn, &unasked, now, Checked::NotAsked)?;
    Ok(counts)
}

/// A batch's moves in the caller's transaction: the status updates together
/// (`order_machine::apply_sync_updates`), then each escalation, and each update that
/// found its order changed is re-read and decided again (`apply_reply`).
fn apply_moves(
    c: &mut DbConnection,
    moves: &[(&OrderRow, Move, OrderPatch)],
) -> AppResult<Vec<Result<Money, Refusal>>> {
    let updates: Vec<(usize, (&OrderRow, &OrderPatch))> = moves
        .iter()
        .enumerate()
        .filter(|(_, (_, mv, _))| *mv == Move::SyncUpdate)
        .map(|(i, (order, _, patch))| (i, (*order, patch)))
        .collect();
    let together = order_machine::apply_sync_updates(c, &updates.iter().map(|(_, m)| *m).collect::<Vec<_>>())?;
    let mut outcomes: Vec<Option<Result<Money, Refusal>>> = vec![None; moves.len()];
    for ((i, _), outcome) in updates.iter().zip(together) {
        outcomes[*i] = Some(outcome);
    }
    moves
        .iter()
        .zip(outcomes)
        .map(|((order, mv, patch), outcome)| match outcome {
            Some(Err(Refusal::Stale)) | None => apply_reply(c, order, *mv, patch),
            Some(done) => Ok(done),
        })
        .collect()
}

/// One order's guarded move for its reply, in the caller's transaction.
fn apply_reply(
    c: &mut DbConnection,
    order: &OrderRow,
    mv: Move,
    patch: &OrderPatch,
) -> AppResult<Result<Money, Refusal>> {
    let moved = order_machine::apply(c, order, mv, Guard::Version(order.version), patch, None)?;
    if moved != Err(Refusal::Stale) {
        return Ok(moved);
    }
    // Re-read and decide again: if what the reply was judged against is as it was
    // (only notes or a check stamp moved), the reply still applies.
    let current = order_machine::read(c, order.id)?;
    if same_delivery(order, &current) {
        order_machine::apply(c, &current, mv, Guard::Version(current.version), patch, None)
    } else {
        Ok(moved)
    }
}

/// Whether `current` is, in everything a status reply is judged against, the order
/// the batch read.
fn same_delivery(read: &OrderRow, current: &OrderRow) -> bool {
    (
        &read.status,
        &read.forward_state,
        &read.review_reason,
        read.remains,
        read.start_count,
        &read.provider_status,
        &read.provider_order_id,
    ) == (
        &current.status,
        &current.forward_state,
        &current.review_reason,
        current.remains,
        current.start_count,
        &current.provider_status,
        &current.provider_order_id,
    )
}

/// The answer to a single-order check.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCheck {
    pub checked: bool,
    pub changed: bool,
    /// Why the provider was not asked (final already, or checked moments ago).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    pub order: OrderView,
}

/// Checks one order with its provider now (admin `orderId`, or the customer's
/// "Refresh status"). Without `force`, a final or just-checked order is not re-asked.
pub fn check_order(
    state: &AppState,
    viewer: &crate::service::accounts::Account,
    id: i64,
    force: bool,
) -> AppResult<OrderCheck> {
    let mut conn = state.conn()?;
    let view = orders::get(&mut conn, viewer, id)?;
    let order =
        db::orders::find(&mut conn, id)?.ok_or_else(|| AppError::NotFound(format!("There is no order {id}.")))?;
    let (Some(provider_id), Some(provider_order_id)) = (order.provider_id, order.provider_order_id.clone()) else {
        return Err(AppError::business(
            "not_forwarded",
            format!(
                "Order {id} has not been accepted by a provider (it is {}), so there is nothing to sync.",
                order.forward_state
            ),
        ));
    };
    if order.forward_state != crate::domain::ForwardState::Accepted.as_str() || order.review_reason.is_some() {
        return Err(AppError::Conflict {
            code: "in_review",
            message: format!(
                "Order {id} waits for an admin's review, so its status is not synced until it is resolved."
            ),
        });
    }
    let status = OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Pending);
    let recent = order.last_status_check.is_some_and(|t| db::now() - t < RECHECK_AFTER);
    if !force && (status.is_terminal() || recent) {
        let reason = if status.is_terminal() {
            "the order is final"
        } else {
            "it was checked less than a minute ago"
        };
        return Ok(OrderCheck {
            checked: false,
            changed: false,
            skipped: Some(reason.into()),
            order: view,
        });
    }
    let provider = db::providers::find(&mut conn, provider_id)?
        .ok_or_else(|| AppError::business("provider_gone", format!("Order {id}'s provider was removed.")))?;
    drop(conn);
    let client = providers::client(state, &provider)?;
    let reply = client
        .status(&provider_order_id)
        .map_err(|e| providers::call_error(&provider.name, &e));
    let trigger = if force { Trigger::Force } else { Trigger::Admin };
    let mut conn = state.conn()?;
    let round_id = db::sync::insert_round(&mut conn, trigger.as_str(), &format!("order:{id}"), db::now())?;
    let replies = HashMap::from([(
        provider_order_id,
        reply.as_ref().map(Clone::clone).map_err(ToString::to_string),
    )]);
    let counts = match &reply {
        Ok(_) => apply_batch(state, std::slice::from_ref(&order), &replies, false)?,
        Err(_) => Counts {
            checked: 1,
            changed: 0,
            errors: 1,
        },
    };
    let error = reply.as_ref().err().map(ToString::to_string);
    db::sync::finish_round(
        &mut conn,
        round_id,
        counts.checked,
        counts.changed,
        counts.errors,
        error.as_deref(),
    )?;
    if counts.errors > 0 || reply.is_err() {
        // A failed check counts for the one-minute guard too, so "Refresh status" cannot
        // hammer a failing provider.
        db::sync::touch_checked(&mut conn, &[id], db::now(), Checked::Failed)?;
        if !viewer.role.is_admin() {
            // Customers get no provider names or raw provider text; admins and the log do.
            log::warn!(
                "[PROVIDER_ERROR] Order {id} refresh for its customer failed: {}",
                error.as_deref().unwrap_or("unusable answer")
            );
            return Err(AppError::Provider {
                code: "provider_unavailable",
                message: "The provider could not be asked just now; the status is checked again automatically.".into(),
                timeout: false,
            });
        }
    }
    reply?;
    if counts.errors > 0 {
        return Err(AppError::Provider {
            code: "provider_bad_answer",
            message: format!("'{}': the answer for order {id} could not be used.", provider.name),
            timeout: false,
        });
    }
    let view = orders::get(&mut conn, viewer, id)?;
    Ok(OrderCheck {
        checked: true,
        changed: counts.changed > 0,
        skipped: None,
        order: view,
    })
}

/// What `GET /api/admin/orders/sync-status` reports.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    pub running: Option<SyncRoundRow>,
    pub last_rounds: Vec<SyncRoundRow>,
    pub next_scheduled_at: NaiveDateTime,
    pub interval_secs: u64,
    pub orders_by_status: HashMap<String, i64>,
}

pub fn status(state: &AppState) -> AppResult<SyncStatus> {
    let mut conn = state.conn()?;
    let (next_scheduled_at, lease_until) = db::sync::schedule(&mut conn)?;
    let last_rounds = db::sync::recent_rounds(&mut conn, 20)?;
    let leased = lease_until.is_some_and(|t| t > db::now());
    let running = last_rounds
        .iter()
        .find(|r| r.finished_at.is_none() && r.trigger != "force" && leased)
        .cloned();
    let mut orders_by_status: HashMap<String, i64> =
        OrderStatus::ALL.iter().map(|s| (s.as_str().to_string(), 0)).collect();
    orders_by_status.extend(db::orders::count_by_status(&mut conn)?);
    Ok(SyncStatus {
        running,
        last_rounds,
        next_scheduled_at,
        interval_secs: state.config.sync_interval.as_secs(),
        orders_by_status,
    })
}

/// Starts a round now on a background thread (the admin's "Sync now"); `None` when a
/// round is already running somewhere.
pub fn start_round_now(state: &AppState, runner: &str) -> AppResult<Option<SyncRoundRow>> {
    let Some(round) = begin_round(state, Trigger::Admin, runner)? else {
        return Ok(None);
    };
    let row = db::sync::find_round(&mut *state.conn()?, round.id)?;
    let background = state.clone();
    std::thread::Builder::new()
        .name(format!("sync-round-{}", round.id))
        .spawn(move || {
            if let Err(e) = run_round(&background, &round) {
                log::error!("[STATUS_UPDATE] sync round {} failed: {e}", round.id);
            }
        })
        .map_err(AppError::internal)?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::reply::ProviderStatus;

    fn accepted_order() -> OrderRow {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 30)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap();
        OrderRow {
            id: 7,
            user_id: 1,
            service_id: 1,
            provider_id: Some(1),
            provider_service_id: Some("1".into()),
            link: "https://x.com/a".into(),
            quantity: 1000,
            charge: 90_000_000,
            currency: "BDT".into(),
            rate_per_1000: 900_000,
            usd_to_bdt: 100_000_000,
            provider_cost: None,
            status: "processing".into(),
            forward_state: "accepted".into(),
            provider_order_id: Some("10001".into()),
            provider_status: Some("In progress".into()),
            start_count: Some(5),
            remains: None,
            last_status_check: None,
            is_manual: false,
            admin_notes: None,
            attempts: 1,
            next_attempt_at: None,
            lease_until: None,
            lease_owner: None,
            last_error: None,
            created_at: at,
            updated_at: at,
            version: 3,
            status_errors: 0,
            review_reason: None,
        }
    }

    fn reply(raw: &str, remains: Option<i64>) -> Option<Result<OrderStatusReply, String>> {
        Some(Ok(OrderStatusReply {
            status: ProviderStatus::parse(raw),
            raw_status: raw.into(),
            charge: None,
            start_count: Some(5),
            remains,
            currency: None,
        }))
    }

    #[test]
    fn answers_the_panel_cannot_act_on_go_to_review_with_the_providers_words() {
        let order = accepted_order();
        let now = order.created_at;
        for raw in ["Refunded", "Fail"] {
            match judge(&order, reply(raw, Some(0)).as_ref(), false, now) {
                Verdict::Review(reason) => assert!(reason.contains(raw), "{reason}"),
                _ => panic!("{raw} should go to review"),
            }
        }
        assert!(
            matches!(
                judge(&order, reply("Partial", None).as_ref(), false, now),
                Verdict::Review(_)
            ),
            "a Partial without remains is never taken as fully delivered"
        );
        assert!(matches!(
            judge(&order, reply("Partial", Some(400)).as_ref(), false, now),
            Verdict::Change(_)
        ));
        assert!(matches!(
            judge(&order, reply("In progress", None).as_ref(), false, now),
            Verdict::Same
        ));
    }

    #[test]
    fn an_order_without_an_answer_is_blamed_only_when_the_provider_answered() {
        let order = accepted_order();
        let now = order.created_at;
        assert!(matches!(judge(&order, None, true, now), Verdict::NotAsked));
        assert!(matches!(judge(&order, None, false, now), Verdict::Error(_)));
        let failed = Some(Err("Incorrect order ID".to_string()));
        assert!(matches!(judge(&order, failed.as_ref(), false, now), Verdict::Error(_)));
    }
}
