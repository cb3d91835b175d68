//! The one place an order changes (issue 10). Every actor — the forwarder, the sync
//! round, an admin's edit or resolve — reads the order, decides, and asks `apply` to
//! make its move. `apply` checks the move is allowed from the state read, writes it
//! as one compare-and-set (`… WHERE id = ? AND version = ?`, or the worker's lease),
//! and settles the ledger in the same transaction (SPEC §3). A move whose guard no
//! longer holds writes nothing and says so: the caller re-reads and decides again,
//! or reports a conflict.

use crate::db::models::OrderRow;
use crate::db::orders::{Guard, OrderPatch};
use crate::db::{self, DbConnection};
use crate::domain::{ForwardState, Money, Move, OrderState, OrderStatus, RequestStatus};
use crate::error::{AppError, AppResult};
use crate::service::orders::settle;

/// Why a move was not made. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The state machine has no such move from the order's state.
    NotAllowed(String),
    /// Someone else moved the order after it was read.
    Stale,
}

/// The decision-relevant state of a stored order.
pub fn state_of(order: &OrderRow) -> AppResult<OrderState> {
    Ok(OrderState {
        status: status_of(order)?,
        forward: ForwardState::parse(&order.forward_state).ok_or_else(|| {
            AppError::internal(format!(
                "order {} has forward state '{}'",
                order.id, order.forward_state
            ))
        })?,
        in_review: order.review_reason.is_some(),
        has_provider_order: order.provider_order_id.as_deref().is_some_and(|id| !id.is_empty()),
    })
}

pub fn status_of(order: &OrderRow) -> AppResult<OrderStatus> {
    OrderStatus::parse(&order.status)
        .ok_or_else(|| AppError::internal(format!("order {} has status '{}'", order.id, order.status)))
}

/// Makes `mv` on the order read as `read`, in the caller's transaction: checks the
/// move is allowed, writes `patch` under `guard`, settles if the status or remains
/// change, and logs the status change. Returns the ledger amount posted.
pub fn apply(
    conn: &mut DbConnection,
    read: &OrderRow,
    mv: Move,
    guard: Guard<'_>,
    patch: &OrderPatch,
    actor_id: Option<i64>,
) -> AppResult<Result<Money, Refusal>> {
    let from = state_of(read)?;
    if !mv.allowed_from(from) {
        return Ok(Err(Refusal::NotAllowed(mv.refusal(from))));
    }
    let patch = clamped(read, patch);
    if !db::orders::compare_and_set(conn, read.id, guard, &patch)? {
        return Ok(Err(Refusal::Stale));
    }
    moved(conn, read, from, mv, &patch, actor_id, None).map(Ok)
}

/// Many sync updates (`Move::SyncUpdate`, each guarded by the version it was read at)
/// with one statement for all their compare-and-sets on PostgreSQL and one query for
/// their ledger sums, then each one's settlement. Results in the order given; the
/// same outcome as `apply` for each.
pub fn apply_sync_updates(
    conn: &mut DbConnection,
    moves: &[(&OrderRow, &OrderPatch)],
) -> AppResult<Vec<Result<Money, Refusal>>> {
    let mut outcomes: Vec<Option<Result<Money, Refusal>>> = vec![None; moves.len()];
    let mut writes = Vec::with_capacity(moves.len());
    let mut prepared = Vec::with_capacity(moves.len());
    for (i, (read, patch)) in moves.iter().enumerate() {
        let from = state_of(read)?;
        if !Move::SyncUpdate.allowed_from(from) {
            outcomes[i] = Some(Err(Refusal::NotAllowed(Move::SyncUpdate.refusal(from))));
            continue;
        }
        let patch = clamped(read, patch);
        let status = patch
            .status
            .ok_or_else(|| AppError::internal("a sync update without a status"))?;
        writes.push(db::orders::SyncWrite {
            id: read.id,
            version: read.version,
            status,
            provider_status: patch.provider_status.clone().flatten(),
            start_count: patch.start_count.unwrap_or(read.start_count),
            remains: patch.remains.unwrap_or(read.remains),
            last_status_check: patch.last_status_check.unwrap_or(read.last_status_check),
        });
        prepared.push((i, from, patch));
    }
    let updated: std::collections::HashSet<i64> = db::orders::sync_update_many(conn, &writes)?.into_iter().collect();
    let ids: Vec<i64> = writes.iter().map(|w| w.id).filter(|id| updated.contains(id)).collect();
    let sums = db::ledger::sums_for_orders(conn, &ids)?;
    for (i, from, patch) in prepared {
        let read = moves[i].0;
        outcomes[i] = Some(if updated.contains(&read.id) {
            let sum = sums.get(&read.id).copied().unwrap_or(0);
            Ok(moved(conn, read, from, Move::SyncUpdate, &patch, None, Some(sum))?)
        } else {
            Err(Refusal::Stale)
        });
    }
    Ok(outcomes.into_iter().map(|o| o.unwrap_or(Err(Refusal::Stale))).collect())
}

/// `patch` with its remains inside `0..=quantity` (logged when the provider's was not).
fn clamped(read: &OrderRow, patch: &OrderPatch) -> OrderPatch {
    let mut patch = patch.clone();
    if let Some(Some(r)) = patch.remains {
        let clamped = r.clamp(0, read.quantity);
        if clamped != r {
            log::warn!(
                "[STATUS_UPDATE] Order {} remains {r} is outside 0..={}; clamped to {clamped}",
                read.id,
                read.quantity
            );
        }
        patch.remains = Some(Some(clamped));
    }
    patch
}

/// What follows a move that was written: the settlement (with the order's ledger sum
/// when the caller read it already), closing a cancel request the new final status
/// answers, and the log line.
fn moved(
    conn: &mut DbConnection,
    read: &OrderRow,
    from: OrderState,
    mv: Move,
    patch: &OrderPatch,
    actor_id: Option<i64>,
    ledger_sum: Option<i64>,
) -> AppResult<Money> {
    let status = match patch.status {
        Some(s) => OrderStatus::parse(s).ok_or_else(|| AppError::internal(format!("bad status {s}")))?,
        None => from.status,
    };
    let posted = if patch.status.is_some() || patch.remains.is_some() {
        let remains = patch.remains.unwrap_or(read.remains);
        settle(conn, read, status, remains, actor_id, ledger_sum)?
    } else {
        Money::ZERO
    };
    if status != from.status && status.is_terminal() {
        // A cancel asked for earlier has nothing left to do: it worked unless the
        // order was delivered in full first.
        let outcome = if status == OrderStatus::Completed {
            RequestStatus::Rejected
        } else {
            RequestStatus::Completed
        };
        db::requests::close_cancel(conn, read.id, outcome)?;
    }
    if status != from.status {
        log::info!(
            "[STATUS_UPDATE] Order {} status changed: {} -> {} ({})",
            read.id,
            from.status,
            status,
            mv.as_str()
        );
    }
    Ok(posted)
}

/// Reads an order inside the caller's transaction.
pub fn read(conn: &mut DbConnection, id: i64) -> AppResult<OrderRow> {
    db::orders::find(conn, id)?.ok_or_else(|| AppError::NotFound(format!("There is no order {id}.")))
}

/// Records a provider's order id that reached a worker after its lease was lost (the
/// lease expired and the order was recovered, resolved, or claimed again meanwhile).
/// The provider has the order, so the id is never dropped and the order is never
/// sent again: an order still waiting (queued or in review) is taken out of the queue
/// and held for review with the id; any other order keeps its state and is flagged
/// for review. Retries on concurrent changes. In the caller's transaction.
pub fn record_late_answer(conn: &mut DbConnection, id: i64, provider_order_id: &str, provider: &str) -> AppResult<()> {
    for _ in 0..5 {
        let current = read(conn, id)?;
        if current.provider_order_id.as_deref() == Some(provider_order_id) {
            return Ok(());
        }
        let forward = state_of(&current)?.forward;
        let patch = match forward {
            ForwardState::Queued | ForwardState::Unknown => OrderPatch {
                forward_state: Some(ForwardState::Unknown.as_str()),
                provider_order_id: Some(Some(provider_order_id.to_string())),
                next_attempt_at: Some(None),
                review_reason: Some(Some(format!(
                    "{provider} accepted this order as {provider_order_id} after its worker's lease had expired. \
                     Attach {provider_order_id} (or fail it); it will not be sent again."
                ))),
                ..OrderPatch::default()
            },
            // A worker holds it again: its own outcome is coming and must still apply,
            // so only a note is kept here (in the log and the audit trail).
            ForwardState::InFlight => {
                log::error!(
                    "[ORDER_FORWARD] Order {id}: {provider} accepted an earlier attempt as {provider_order_id} \
                     while the order is being sent again; check {provider} for a double purchase"
                );
                crate::service::audit::record(
                    conn,
                    &crate::service::audit::Actor {
                        user_id: None,
                        ip: Some("worker".into()),
                    },
                    "order.late_answer",
                    Some(&format!("order:{id}")),
                    None,
                    Some(&serde_json::json!({ "providerOrderId": provider_order_id, "provider": provider })),
                )?;
                return Ok(());
            }
            _ => OrderPatch {
                review_reason: Some(Some(format!(
                    "{provider} also accepted this order as {provider_order_id} (an earlier attempt whose lease \
                     had expired), while it is {} as {}: check {provider} for a double purchase.",
                    current.forward_state,
                    current.provider_order_id.as_deref().unwrap_or("no provider order"),
                ))),
                ..OrderPatch::default()
            },
        };
        match apply(
            conn,
            &current,
            Move::LateAnswer,
            Guard::Version(current.version),
            &patch,
            None,
        )? {
            Ok(_) => {
                log::warn!(
                    "[ORDER_FORWARD] Order {id}: {provider} accepted it as {provider_order_id} after the lease was lost; \
                     recorded and held for review, not resent"
                );
                return Ok(());
            }
            Err(Refusal::Stale) => continue,
            Err(Refusal::NotAllowed(why)) => return Err(AppError::internal(why)),
        }
    }
    Err(AppError::internal(format!(
        "order {id} kept changing while its late provider answer {provider_order_id} was recorded"
    )))
}
