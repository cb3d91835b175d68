//! Durable forwarding (SPEC §4). A worker claims a queued order with a lease, calls
//! the provider's `add` holding no database connection, and records the outcome in
//! one transaction that applies only while it still holds the lease. The call's
//! outcome class decides: an answer is accepted; a refusal fails and refunds; a
//! failure before sending is retried; a failure after sending is never blindly resent.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use crate::db::models::OrderRow;
use crate::db::models::RequestRow;
use crate::db::orders::{Guard, OrderPatch};
use crate::db::requests::RequestPatch;
use crate::db::{self};
use crate::domain::{ForwardState, Move, OrderStatus, RequestKind, RequestState, RequestStatus};
use crate::error::AppResult;
use crate::provider::client::{CallError, NewProviderOrder, ProviderClient};
use crate::service::order_machine;
use crate::service::providers::{self, OnAmbiguous};
use crate::state::AppState;

/// Idle workers look for due retries and other processes' orders this often.
const IDLE_POLL: Duration = Duration::from_secs(2);
/// How often expired leases are looked for.
const RECOVERY_EVERY: Duration = Duration::from_secs(2);

/// What one attempt to forward came to.
#[derive(Debug, Clone)]
pub enum Attempt {
    Accepted(String),
    /// The provider answered with an error, or cannot be used at all.
    Refused(String),
    /// Certainly not sent.
    NotSent(String),
    /// Sent, but no usable answer: the provider may have created the order.
    NoAnswer(String),
}

struct CachedClient {
    updated_at: NaiveDateTime,
    client: ProviderClient,
    on_ambiguous: OnAmbiguous,
}

pub fn run(state: AppState, owner: String, recovers: bool, shutdown: Arc<AtomicBool>) {
    let mut clients: HashMap<i64, CachedClient> = HashMap::new();
    let mut last_recovery: Option<Instant> = None;
    while !shutdown.load(Ordering::SeqCst) {
        let seen = state.wake.generation();
        if recovers && last_recovery.is_none_or(|t| t.elapsed() >= RECOVERY_EVERY) {
            if let Err(e) = recover_expired_leases(&state) {
                log::error!("[ORDER_FORWARD] lease recovery failed: {e}");
            }
            last_recovery = Some(Instant::now());
        }
        // Adds and refill/cancel requests take turns, so neither starves the other.
        let sent_add = forward_next(&state, &owner, &mut clients).unwrap_or_else(|e| {
            log::error!("[ORDER_FORWARD] worker {owner}: {e}");
            false
        });
        let sent_request = forward_next_request(&state, &owner, &mut clients).unwrap_or_else(|e| {
            log::error!("[ORDER_FORWARD] worker {owner} (refill/cancel): {e}");
            false
        });
        if sent_add || sent_request {
            continue;
        }
        let wait = time_until_due(&state).unwrap_or(IDLE_POLL).min(IDLE_POLL);
        state.wake.wait(seen, wait.max(Duration::from_millis(10)));
    }
}

fn lease_duration(state: &AppState) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(state.config.provider_timeout + Duration::from_secs(10))
        .unwrap_or(chrono::TimeDelta::seconds(40))
}

fn time_until_due(state: &AppState) -> Option<Duration> {
    let mut conn = state.conn().ok()?;
    if db::requests::due_now(&mut conn, db::now()).ok()? {
        return Some(Duration::ZERO);
    }
    match db::orders::next_due(&mut conn).ok()? {
        None => None,
        Some(None) => Some(Duration::ZERO),
        Some(Some(at)) => Some((at - db::now()).to_std().unwrap_or(Duration::ZERO)),
    }
}

/// Forwards one due order, if there is one. Returns whether it found work.
fn forward_next(state: &AppState, owner: &str, clients: &mut HashMap<i64, CachedClient>) -> AppResult<bool> {
    let now = db::now();
    let lease_until = now + lease_duration(state);
    // One connection for the claim and the order's drip-feed/comments extras, released
    // before the provider call.
    let (order, extras) = {
        let mut conn = state.conn()?;
        let claimed = db::write_transaction(&mut conn, |c| db::orders::claim_next(c, owner, now, lease_until))?;
        let Some(order) = claimed else { return Ok(false) };
        let extras = db::orders::extras(&mut conn, order.id)?.unwrap_or_default();
        (order, extras)
    };

    let (attempt, on_ambiguous, provider_name) = match client_for(state, &order, clients) {
        Err(reason) => (Attempt::Refused(reason), OnAmbiguous::Review, "?".to_string()),
        Ok(cached) => {
            // A drip-feed order is sent as `quantity` per run, as the protocol has it.
            let quantity = match extras.runs {
                Some(runs) if runs > 0 => order.quantity / runs,
                _ => order.quantity,
            };
            let request = NewProviderOrder {
                service: order.provider_service_id.clone().unwrap_or_default(),
                link: order.link.clone(),
                quantity,
                runs: extras.runs,
                interval: extras.run_interval,
                comments: extras.comments,
            };
            let attempt = match cached.client.add(&request) {
                Ok(provider_order_id) => Attempt::Accepted(provider_order_id),
                Err(e) => attempt_of(&e),
            };
            (attempt, cached.on_ambiguous, cached.client.name().to_string())
        }
    };
    record(
        state,
        &order,
        Reporter::Worker(owner),
        attempt,
        on_ambiguous,
        &provider_name,
    )?;
    Ok(true)
}

/// The order's provider client, built once per provider version.
fn client_for<'a>(
    state: &AppState,
    order: &OrderRow,
    clients: &'a mut HashMap<i64, CachedClient>,
) -> Result<&'a CachedClient, String> {
    let provider_id = order.provider_id.ok_or("the service has no provider")?;
    if order.provider_service_id.as_deref().is_none_or(str::is_empty) {
        return Err("the service has no provider service id".into());
    }
    let row = state
        .conn()
        .and_then(|mut c| Ok(db::providers::find(&mut c, provider_id)?))
        .map_err(|e| format!("provider {provider_id} could not be read: {e}"))?
        .ok_or_else(|| format!("provider {provider_id} was removed"))?;
    if !row.enabled {
        return Err(format!("provider '{}' is disabled", row.name));
    }
    let fresh = clients
        .get(&provider_id)
        .is_some_and(|c| c.updated_at == row.updated_at);
    if !fresh {
        let client =
            providers::client(state, &row).map_err(|e| format!("provider '{}' cannot be used: {e}", row.name))?;
        let on_ambiguous = OnAmbiguous::parse(&row.on_ambiguous).unwrap_or(OnAmbiguous::Review);
        clients.insert(
            provider_id,
            CachedClient {
                updated_at: row.updated_at,
                client,
                on_ambiguous,
            },
        );
    }
    clients.get(&provider_id).ok_or_else(|| "provider cache".to_string())
}

/// When an item that failed before sending on its `attempts`th try is tried again
/// (`FORWARD_RETRY_DELAYS_SECS`); `None` when its retries are used up.
fn retry_at(state: &AppState, attempts: i64, now: NaiveDateTime) -> Option<NaiveDateTime> {
    let index = usize::try_from(attempts - 1).ok()?;
    let delay = state.config.forward_retry_delays.get(index)?;
    Some(now + chrono::TimeDelta::from_std(*delay).ok()?)
}

/// Where an outcome comes from: the worker that holds the lease, or the recovery of
/// an expired lease (whose worker is presumed dead).
#[derive(Debug, Clone, Copy)]
enum Reporter<'a> {
    Worker(&'a str),
    Recovery,
}

/// Records what a worker's call to the provider came to, for an order it claimed as
/// `owner` (the second half of `forward_next`; tests call the halves separately to
/// stage interleavings).
pub fn report(
    state: &AppState,
    order: &OrderRow,
    owner: &str,
    attempt: Attempt,
    on_ambiguous: OnAmbiguous,
) -> AppResult<()> {
    record(
        state,
        order,
        Reporter::Worker(owner),
        attempt,
        on_ambiguous,
        "the provider",
    )
}

/// Records an attempt's outcome as one move of the state machine, with the refund
/// where it fails. A worker whose lease was lost still records an order id the
/// provider gave it (`record_late_answer`): never dropped, never resent.
fn record(
    state: &AppState,
    order: &OrderRow,
    reporter: Reporter<'_>,
    attempt: Attempt,
    on_ambiguous: OnAmbiguous,
    provider: &str,
) -> AppResult<()> {
    let id = order.id;
    let now = db::now();
    let (attempt, not_before) = match (attempt, reporter) {
        // A dead worker's call may still be answered: its order waits one more lease
        // before it is sent again, so a late answer is recorded instead of buying twice.
        (Attempt::NoAnswer(message), Reporter::Recovery) if on_ambiguous == OnAmbiguous::Retry => {
            (Attempt::NotSent(message), Some(now + lease_duration(state)))
        }
        (Attempt::NoAnswer(message), _) if on_ambiguous == OnAmbiguous::Retry => (Attempt::NotSent(message), None),
        (other, _) => (other, None),
    };
    let released = OrderPatch {
        lease_owner: Some(None),
        lease_until: Some(None),
        ..OrderPatch::default()
    };
    let failed = |message: &str| OrderPatch {
        forward_state: Some(ForwardState::Rejected.as_str()),
        status: Some(OrderStatus::Failed.as_str()),
        next_attempt_at: Some(None),
        last_error: Some(Some(message.to_string())),
        ..released.clone()
    };
    let held = |message: &str| OrderPatch {
        forward_state: Some(ForwardState::Unknown.as_str()),
        next_attempt_at: Some(None),
        last_error: Some(Some(message.to_string())),
        ..released.clone()
    };
    let (mv, patch, log_line) = match &attempt {
        Attempt::Accepted(provider_order_id) => (
            Move::Accept,
            OrderPatch {
                forward_state: Some(ForwardState::Accepted.as_str()),
                provider_order_id: Some(Some(provider_order_id.clone())),
                next_attempt_at: Some(None),
                last_error: Some(None),
                ..released.clone()
            },
            format!("[ORDER_FORWARD] Order {id} accepted by {provider} as {provider_order_id}"),
        ),
        Attempt::Refused(message) => (
            Move::Refuse,
            failed(message),
            format!("[PROVIDER_ERROR] Order {id} refused by {provider}: {message}; failed and refunded"),
        ),
        Attempt::NotSent(message) => match retry_at(state, order.attempts, now).map(|at| at.max(not_before.unwrap_or(at))) {
            Some(at) => (
                Move::Requeue,
                OrderPatch {
                    forward_state: Some(ForwardState::Queued.as_str()),
                    next_attempt_at: Some(Some(at)),
                    last_error: Some(Some(message.clone())),
                    ..released.clone()
                },
                format!(
                    "[ORDER_FORWARD] Order {id} not sent to {provider} ({message}); retry {} at {at}",
                    order.attempts
                ),
            ),
            // Out of retries after a dead worker's call: still ambiguous, so an admin decides.
            None if not_before.is_some() => (
                Move::HoldForReview,
                held(message),
                format!("[PROVIDER_ERROR] Order {id}: its worker died during the last allowed attempt ({message}); held for review"),
            ),
            None => (
                Move::Refuse,
                failed(message),
                format!(
                    "[PROVIDER_ERROR] Order {id} could not be sent to {provider} after {} attempts ({message}); failed and refunded",
                    order.attempts
                ),
            ),
        },
        Attempt::NoAnswer(message) => (
            Move::HoldForReview,
            held(message),
            format!(
                "[PROVIDER_ERROR] Order {id}: no usable answer from {provider} after sending ({message}); held for review"
            ),
        ),
    };
    let outcome = match (&attempt, mv) {
        (_, Move::Accept) => "accepted",
        (Attempt::Refused(_), _) => "refused",
        (_, Move::Requeue) => "retried",
        (_, Move::HoldForReview) => "unknown",
        _ => "failed",
    };
    let guard = match reporter {
        Reporter::Worker(owner) => Guard::Lease(owner),
        Reporter::Recovery => Guard::Version(order.version),
    };
    let mut conn = state.conn()?;
    let provider_id = order.provider_id;
    db::write_transaction(&mut conn, |c| {
        db::after_commit(c, move || crate::telemetry::forward_outcome(provider_id, outcome));
        match order_machine::apply(c, order, mv, guard, &patch, None)? {
            Ok(_) if matches!(attempt, Attempt::Accepted(_)) => log::info!("{log_line}"),
            Ok(_) => log::warn!("{log_line}"),
            Err(_) => match &attempt {
                Attempt::Accepted(provider_order_id) => {
                    order_machine::record_late_answer(c, id, provider_order_id, provider)?
                }
                _ => log::warn!(
                    "[ORDER_FORWARD] Order {id}: lease lost before this outcome was recorded ({log_line}); \
                     the order is left to its new holder"
                ),
            },
        }
        Ok(())
    })
}

/// Orders whose worker died mid-call (lease expired on the database's clock): the
/// provider may have them, so they are treated as "no usable answer after sending".
pub fn recover_expired_leases(state: &AppState) -> AppResult<usize> {
    let now = db::now();
    let expired = db::orders::expired_leases(&mut *state.conn()?, now, 100)?;
    for order in &expired {
        let (on_ambiguous, name) = match order.provider_id {
            Some(pid) => match db::providers::find(&mut *state.conn()?, pid)? {
                Some(row) => (
                    OnAmbiguous::parse(&row.on_ambiguous).unwrap_or(OnAmbiguous::Review),
                    row.name,
                ),
                None => (OnAmbiguous::Review, format!("provider {pid}")),
            },
            None => (OnAmbiguous::Review, "?".into()),
        };
        let attempt = Attempt::NoAnswer("the worker stopped during the call (its lease expired)".into());
        record(state, order, Reporter::Recovery, attempt, on_ambiguous, &name)?;
    }
    let requests = recover_expired_requests(state, now)?;
    if !expired.is_empty() {
        state.wake.notify();
    }
    Ok(expired.len() + requests)
}

// ---- refill and cancel requests --------------------------------------------------

/// Sends one due refill or cancel request, if there is one; its outcome follows the
/// same rules as an add: an answer is recorded, a refusal rejects it, a failure before
/// sending is retried, and one after sending waits for an admin (never resent blind).
fn forward_next_request(state: &AppState, owner: &str, clients: &mut HashMap<i64, CachedClient>) -> AppResult<bool> {
    let now = db::now();
    let lease_until = now + lease_duration(state);
    let claimed = {
        let mut conn = state.conn()?;
        db::write_transaction(&mut conn, |c| db::requests::claim_next(c, owner, now, lease_until))?
    };
    let Some(request) = claimed else { return Ok(false) };
    let order = db::orders::find(&mut *state.conn()?, request.order_id)?
        .ok_or_else(|| crate::error::AppError::internal(format!("request {}'s order vanished", request.id)))?;
    let provider_order_id = order.provider_order_id.clone().unwrap_or_default();
    let is_refill = request.kind == RequestKind::Refill.as_str();
    let attempt = match client_for(state, &order, clients) {
        Err(reason) => Attempt::Refused(reason),
        Ok(cached) if is_refill => match cached.client.refill(&provider_order_id) {
            Ok(refill_id) => Attempt::Accepted(refill_id),
            Err(e) => attempt_of(&e),
        },
        Ok(cached) => match cached.client.cancel(std::slice::from_ref(&provider_order_id)) {
            Ok(results) => match results.into_iter().next() {
                Some((_, Ok(()))) => Attempt::Accepted(String::new()),
                Some((_, Err(message))) => Attempt::Refused(message),
                None => Attempt::NoAnswer("the provider's cancel answer named no order".into()),
            },
            Err(e) => attempt_of(&e),
        },
    };
    record_request(state, &request, Some(owner), attempt)?;
    Ok(true)
}

fn attempt_of(e: &CallError) -> Attempt {
    match e {
        CallError::Provider { .. } => Attempt::Refused(e.message().to_string()),
        CallError::BeforeSend(_) => Attempt::NotSent(e.message().to_string()),
        CallError::AfterSend(_) => Attempt::NoAnswer(e.message().to_string()),
    }
}

/// Records a request's outcome under the worker's lease (or, from the recovery of an
/// expired lease, under the version read).
fn record_request(state: &AppState, request: &RequestRow, owner: Option<&str>, attempt: Attempt) -> AppResult<()> {
    let id = request.id;
    let kind = &request.kind;
    let released = RequestPatch {
        lease_owner: Some(None),
        lease_until: Some(None),
        ..RequestPatch::default()
    };
    let retry_at = retry_at(state, request.attempts, db::now());
    let (patch, line) = match &attempt {
        Attempt::Accepted(refill_id) => (
            RequestPatch {
                state: Some(RequestState::Sent.as_str()),
                provider_refill_id: Some((!refill_id.is_empty()).then(|| refill_id.clone())),
                last_error: Some(None),
                ..released.clone()
            }
            .with_status(if request.kind == RequestKind::Refill.as_str() {
                RequestStatus::Pending
            } else {
                RequestStatus::InProgress
            }),
            format!("[ORDER_FORWARD] Order {} {kind} request {id} accepted by the provider", request.order_id),
        ),
        Attempt::Refused(message) => (
            RequestPatch {
                state: Some(RequestState::Rejected.as_str()),
                last_error: Some(Some(message.clone())),
                ..released.clone()
            }
            .with_status(RequestStatus::Rejected),
            format!("[PROVIDER_ERROR] Order {} {kind} request {id} refused: {message}", request.order_id),
        ),
        Attempt::NotSent(message) if owner.is_some() && retry_at.is_some() => (
            RequestPatch {
                state: Some(RequestState::Queued.as_str()),
                next_attempt_at: Some(retry_at),
                last_error: Some(Some(message.clone())),
                ..released.clone()
            },
            format!("[ORDER_FORWARD] Order {} {kind} request {id} not sent ({message}); retrying", request.order_id),
        ),
        Attempt::NotSent(message) => (
            RequestPatch {
                state: Some(RequestState::Rejected.as_str()),
                last_error: Some(Some(format!("could not be sent: {message}"))),
                ..released.clone()
            }
            .with_status(RequestStatus::Rejected),
            format!("[PROVIDER_ERROR] Order {} {kind} request {id} could not be sent: {message}", request.order_id),
        ),
        Attempt::NoAnswer(message) => (
            RequestPatch {
                state: Some(RequestState::Unknown.as_str()),
                last_error: Some(Some(message.clone())),
                ..released.clone()
            },
            format!(
                "[PROVIDER_ERROR] Order {} {kind} request {id}: no usable answer after sending ({message}); held for an admin",
                request.order_id
            ),
        ),
    };
    let mut conn = state.conn()?;
    let moved = db::write_transaction(&mut conn, |c| {
        db::requests::compare_and_set(c, id, request.version, owner, &patch)
    })?;
    if moved {
        let event = match &attempt {
            Attempt::Accepted(_) => "sent",
            Attempt::Refused(_) => "rejected",
            Attempt::NotSent(_) if patch.state == Some(RequestState::Queued.as_str()) => "retried",
            Attempt::NotSent(_) => "rejected",
            Attempt::NoAnswer(_) => "unknown",
        };
        crate::telemetry::order_request(kind, event);
        log::info!("{line}");
    } else {
        log::warn!("[ORDER_FORWARD] {kind} request {id}: lease lost before this outcome was recorded ({line})");
    }
    Ok(())
}

/// Requests whose worker died mid-call: held for an admin, like an add with no answer.
fn recover_expired_requests(state: &AppState, now: NaiveDateTime) -> AppResult<usize> {
    let expired = db::requests::expired_leases(&mut *state.conn()?, now, 100)?;
    for request in &expired {
        let attempt = Attempt::NoAnswer("the worker stopped during the call (its lease expired)".into());
        record_request(state, request, None, attempt)?;
    }
    Ok(expired.len())
}
