//! Status sync (SPEC §5): rounds over every provider in parallel, batches through the
//! multi-status call, one transaction per changed order (settled), one statement for
//! the orders that did not change, and single-order checks on demand.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use serde::Serialize;

use crate::db::models::{OrderRow, ProviderRow, SyncRoundRow};
use crate::db::{self};
use crate::domain::OrderStatus;
use crate::error::{AppError, AppResult};
use crate::provider::client::{CallError, ProviderClient};
use crate::provider::reply::OrderStatusReply;
use crate::service::orders::{self, OrderView, StatusChange};
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
    log::info!(
        "[STATUS_UPDATE] sync round {} finished: {} checked, {} changed, {} errors",
        round.id,
        total.checked,
        total.changed,
        total.errors
    );
    Ok(total)
}

/// One provider's part of a round. A failed call ends it (returned with the counts so
/// far); per-order errors are counted and the rest of the batch is applied.
fn sync_provider(state: &AppState, provider: &ProviderRow, round: &Round) -> ProviderOutcome {
    let mut counts = Counts::default();
    let client = providers::client(state, provider).map_err(|e| (counts, e.to_string()))?;
    let batch_size = state.config.sync_batch_size as i64;
    let spacing = state.config.provider_call_spacing;
    let mut multi = provider.multi_status;
    let mut first_call = true;
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
            return Ok(counts);
        }
        let replies =
            fetch_statuses(state, &client, provider, &batch, &mut multi, spacing, &mut first_call).map_err(|e| {
                log::warn!("[PROVIDER_ERROR] sync of {} stopped: {e}", provider.name);
                (counts, e.to_string())
            })?;
        counts += apply_batch(state, &batch, &replies).map_err(|e| (counts, e.to_string()))?;
        let renewed = state
            .conn()
            .and_then(|mut c| {
                Ok(db::sync::renew_round_lease(
                    &mut c,
                    &round.runner,
                    db::now() + ROUND_LEASE,
                )?)
            })
            .unwrap_or(false);
        if !renewed {
            return Err((counts, "lost the round's lease".into()));
        }
    }
}

fn pause(spacing: Duration, first_call: &mut bool) {
    if !*first_call && !spacing.is_zero() {
        std::thread::sleep(spacing);
    }
    *first_call = false;
}

/// The provider's answers for a batch, keyed by provider order id. Uses multi-status
/// unless the provider is known not to support it; on the first refusal it checks one
/// order alone, and if that works remembers the provider as single-order only.
fn fetch_statuses(
    state: &AppState,
    client: &ProviderClient,
    provider: &ProviderRow,
    batch: &[OrderRow],
    multi: &mut Option<bool>,
    spacing: Duration,
    first_call: &mut bool,
) -> Result<HashMap<String, Result<OrderStatusReply, String>>, CallError> {
    let ids: Vec<String> = batch.iter().filter_map(|o| o.provider_order_id.clone()).collect();
    if *multi != Some(false) {
        pause(spacing, first_call);
        match client.statuses(&ids) {
            Ok(replies) => {
                if multi.is_none() {
                    remember_multi(state, provider.id, true);
                    *multi = Some(true);
                }
                return Ok(replies);
            }
            Err(e @ CallError::BeforeSend(_)) => return Err(e),
            Err(e) if *multi == Some(true) => return Err(e),
            Err(e) => {
                log::info!(
                    "[STATUS_UPDATE] {} refused a multi-status call ({e}); trying single-order status",
                    provider.name
                );
                // Decided below by whether a single-order call works.
            }
        }
    }
    let mut replies = HashMap::new();
    for id in ids {
        pause(spacing, first_call);
        match client.status(&id) {
            Ok(reply) => {
                replies.insert(id, Ok(reply));
            }
            Err(CallError::Provider { message, .. }) => {
                replies.insert(id, Err(message));
            }
            Err(e) => return Err(e),
        }
        if multi.is_none() {
            remember_multi(state, provider.id, false);
            *multi = Some(false);
        }
    }
    Ok(replies)
}

fn remember_multi(state: &AppState, provider_id: i64, supported: bool) {
    let result = state
        .conn()
        .and_then(|mut c| Ok(db::sync::set_multi_status(&mut c, provider_id, supported)?));
    if let Err(e) = result {
        log::warn!("could not remember provider {provider_id}'s multi-status support: {e}");
    }
}

/// What a reply means for an order: a change to apply, nothing new, or an error.
enum Verdict {
    Change(StatusChange),
    Same,
    Error(String),
}

fn judge(order: &OrderRow, reply: Option<&Result<OrderStatusReply, String>>, now: NaiveDateTime) -> Verdict {
    let reply = match reply {
        None => return Verdict::Error("missing from the provider's reply".into()),
        Some(Err(message)) => return Verdict::Error(message.clone()),
        Some(Ok(reply)) => reply,
    };
    let Some(status) = OrderStatus::from_provider(&reply.status) else {
        return Verdict::Error(format!("unrecognised status '{}'", reply.raw_status));
    };
    let remains = reply.remains.map(|r| r.clamp(0, order.quantity));
    let unchanged = order.status == status.as_str()
        && order.remains == remains
        && order.start_count == reply.start_count.or(order.start_count)
        && order.provider_status.as_deref() == Some(reply.raw_status.as_str());
    if unchanged {
        return Verdict::Same;
    }
    Verdict::Change(StatusChange {
        status,
        provider_status: Some(reply.raw_status.clone()),
        start_count: reply.start_count.or(order.start_count),
        remains: reply.remains,
        checked_at: Some(now),
    })
}

/// Applies a batch: a transaction per changed order, one statement for the rest.
fn apply_batch(
    state: &AppState,
    batch: &[OrderRow],
    replies: &HashMap<String, Result<OrderStatusReply, String>>,
) -> AppResult<Counts> {
    let now = db::now();
    let mut counts = Counts {
        checked: batch.len() as i64,
        ..Counts::default()
    };
    let mut untouched = Vec::new();
    let mut conn = state.conn()?;
    for order in batch {
        let reply = order.provider_order_id.as_ref().and_then(|id| replies.get(id));
        match judge(order, reply, now) {
            Verdict::Same => untouched.push(order.id),
            Verdict::Error(message) => {
                log::warn!("[PROVIDER_ERROR] Order {} status check failed: {message}", order.id);
                counts.errors += 1;
                untouched.push(order.id);
            }
            Verdict::Change(change) => {
                db::write_transaction(&mut conn, |c| {
                    // Re-read inside the transaction: an admin may have edited it meanwhile.
                    let current = db::orders::find(c, order.id)?.ok_or_else(|| AppError::internal("order vanished"))?;
                    orders::change_status(c, &current, &change, None)
                })?;
                counts.changed += 1;
            }
        }
    }
    db::sync::touch_checked(&mut conn, &untouched, now)?;
    Ok(counts)
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
        Ok(_) => apply_batch(state, std::slice::from_ref(&order), &replies)?,
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
    reply?;
    if counts.errors > 0 {
        return Err(AppError::Provider {
            code: "provider_bad_answer",
            message: format!("{}: the answer for order {id} could not be used.", provider.name),
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
