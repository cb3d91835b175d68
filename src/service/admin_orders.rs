//! Admin order operations (SPEC §4, issue "admin operations"): manual orders, edits
//! of any order (settled), and resolving orders held for review. Every change is
//! audited in the transaction that makes it.

use serde::Deserialize;
use serde_json::json;

use crate::db::models::OrderRow;
use crate::db::orders::{Guard, OrderPatch};
use crate::db::{self, DbConnection};
use crate::domain::{ForwardState, Move, OrderStatus};
use crate::error::{AppError, AppResult};
use crate::service::accounts;
use crate::service::audit::{self, Actor};
use crate::service::input::{self, lenient_string};
use crate::service::order_machine::{self, Refusal};
use crate::service::orders::{self, OrderDraft, OrderView, Placement};
use crate::state::AppState;

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManualOrderDraft {
    #[serde(default, deserialize_with = "lenient_string", alias = "user_id")]
    pub user_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", alias = "service_id")]
    pub service_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub link: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", alias = "qty")]
    pub quantity: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", alias = "admin_notes")]
    pub admin_notes: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub charge: Option<String>,
}

/// Creates a manual order for a user; charged unless `charge` is false.
pub fn create_manual(state: &AppState, actor: &Actor, draft: &ManualOrderDraft) -> AppResult<OrderView> {
    let user_id = input::id("userId", "The user", draft.user_id.as_deref())?;
    let charge = input::flag("charge", "charge", draft.charge.as_deref(), true)?;
    let notes = input::optional_text("adminNotes", "The admin notes", draft.admin_notes.as_deref(), 2000)?;
    let user = accounts::find(&mut *state.conn()?, user_id)?
        .ok_or_else(|| AppError::NotFound(format!("There is no user {user_id}.")))?;
    let order = OrderDraft {
        category_id: None,
        service_id: draft.service_id.clone(),
        link: draft.link.clone(),
        qty: draft.quantity.clone(),
        ..OrderDraft::default()
    };
    let placement = Placement::Manual {
        actor,
        notes: notes.as_deref(),
        charge,
    };
    let placed =
        orders::place_as(state, &user, &[order], orders::Numbering::Orders, placement).map_err(|e| match e {
            // The field is `quantity` in this request.
            AppError::Validation {
                field: Some("qty"),
                message,
            } => AppError::Validation {
                field: Some("quantity"),
                message,
            },
            other => other,
        })?;
    let id = placed.orders[0].id;
    orders::get_for_admin(&mut *state.conn()?, id)
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderEdit {
    #[serde(default, deserialize_with = "lenient_string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", alias = "start_count")]
    pub start_count: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub remains: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", alias = "admin_notes")]
    pub admin_notes: Option<String>,
    /// The order's version the admin saw (optional): if it changed since, nothing is
    /// saved and the answer is 409 with the order as it now is.
    #[serde(default, deserialize_with = "lenient_string")]
    pub version: Option<String>,
}

fn snapshot(order: &OrderRow) -> serde_json::Value {
    json!({
        "status": order.status, "startCount": order.start_count, "remains": order.remains,
        "adminNotes": order.admin_notes, "forwardState": order.forward_state,
        "providerOrderId": order.provider_order_id, "reviewReason": order.review_reason,
        "version": order.version,
    })
}

/// Audits a move just made on `before`'s order: before and after (re-read in the same
/// transaction), and the admin's `action` where there is one.
fn audit_move(
    c: &mut DbConnection,
    actor: &Actor,
    event: &str,
    before: &OrderRow,
    action: Option<&str>,
) -> AppResult<()> {
    let mut after = snapshot(&order_machine::read(c, before.id)?);
    if let Some(action) = action {
        after["action"] = json!(action);
    }
    audit::record(
        c,
        actor,
        event,
        Some(&format!("order:{}", before.id)),
        Some(&snapshot(before)),
        Some(&after),
    )
}

/// The answer to a move the order's state does not allow (`code`), or that lost a
/// race (`order_changed`): 409 with the order as it now is, so the admin decides
/// again on what is there.
fn conflict(conn: &mut DbConnection, id: i64, what: &str, refusal: Refusal, code: &'static str) -> AppError {
    let (code, why) = match refusal {
        Refusal::NotAllowed(why) => (code, why),
        Refusal::Stale => (
            "order_changed",
            "it changed while this request was being handled".to_string(),
        ),
    };
    let message = format!("Order {id} was not changed: {why}. {what}");
    match orders::get_for_admin(conn, id) {
        Ok(order) => AppError::Stale {
            code,
            message,
            current: Box::new(serde_json::to_value(order).unwrap_or_default()),
        },
        Err(e) => e,
    }
}

/// Runs `decide` on the order read inside a write transaction and makes its move.
/// A refused or lost move rolls back and answers 409 with the current order.
fn guarded<F>(state: &AppState, id: i64, what: &str, not_allowed: &'static str, decide: F) -> AppResult<OrderView>
where
    F: FnOnce(&mut DbConnection, &OrderRow) -> AppResult<Result<(), Refusal>>,
{
    /// Either error ends the transaction, so a refused move rolls back what it wrote.
    enum Abort {
        Error(AppError),
        Refused(Refusal),
    }
    impl From<diesel::result::Error> for Abort {
        fn from(e: diesel::result::Error) -> Self {
            Abort::Error(e.into())
        }
    }
    let mut conn = state.conn()?;
    let outcome = db::write_transaction(&mut conn, |c| {
        let current = order_machine::read(c, id).map_err(Abort::Error)?;
        decide(c, &current).map_err(Abort::Error)?.map_err(Abort::Refused)
    });
    match outcome {
        Ok(()) => orders::get_for_admin(&mut conn, id),
        Err(Abort::Refused(refusal)) => Err(conflict(&mut conn, id, what, refusal, not_allowed)),
        Err(Abort::Error(e)) => Err(e),
    }
}

/// Edits status, start count, remains and notes as one guarded move: settled for the
/// new status and audited before/after in the same transaction. Fields left out keep
/// their value. An order being sent (in flight) or waiting for review is not edited
/// (409); editing the status or counts of a queued order takes it out of the queue,
/// since an admin now handles it.
pub fn edit(state: &AppState, actor: &Actor, id: i64, edit: &OrderEdit) -> AppResult<OrderView> {
    let status = match edit.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => Some(OrderStatus::parse(raw).ok_or_else(|| {
            AppError::validation(
                "status",
                format!("'{raw}' is not a status; use pending, processing, completed, partial, canceled or failed."),
            )
        })?),
        None => None,
    };
    let number = |field: &'static str, label: &str, raw: &Option<String>| -> AppResult<Option<Option<i64>>> {
        match raw.as_deref().map(str::trim) {
            None => Ok(None),
            Some("") => Ok(Some(None)),
            Some(text) => input::whole_number(field, label, Some(text), 0, i64::MAX).map(|n| Some(Some(n))),
        }
    };
    let start_count = number("startCount", "The start count", &edit.start_count)?;
    let remains = number("remains", "Remains", &edit.remains)?;
    let expected_version = match edit.version.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => Some(input::whole_number("version", "The version", Some(v), 0, i64::MAX)?),
        None => None,
    };
    let notes = match &edit.admin_notes {
        None => None,
        Some(text) => Some(input::optional_text("adminNotes", "The admin notes", Some(text), 2000)?),
    };
    guarded(
        state,
        id,
        "Reload the order and edit it again.",
        "not_editable",
        |c, current| {
            if expected_version.is_some_and(|v| v != current.version) {
                return Ok(Err(Refusal::Stale));
            }
            if let Some(Some(r)) = remains {
                if r > current.quantity {
                    return Err(AppError::validation(
                        "remains",
                        format!("Remains cannot be more than the quantity ({}).", current.quantity),
                    ));
                }
            }
            // A form re-sends every field: only a value that differs counts as a change.
            let changes_delivery = status.is_some_and(|s| s.as_str() != current.status)
                || start_count.is_some_and(|n| n != current.start_count)
                || remains.is_some_and(|n| n != current.remains);
            let dequeue = changes_delivery && current.forward_state == ForwardState::Queued.as_str();
            let patch = OrderPatch {
                status: status.map(OrderStatus::as_str),
                start_count,
                remains,
                admin_notes: notes.clone(),
                forward_state: dequeue.then_some(ForwardState::Manual.as_str()),
                next_attempt_at: dequeue.then_some(None),
                // The admin has decided: a flagged order is no longer waiting for review.
                review_reason: (changes_delivery && current.review_reason.is_some()).then_some(None),
                status_errors: changes_delivery.then_some(0),
                ..OrderPatch::default()
            };
            let moved = order_machine::apply(
                c,
                current,
                Move::AdminEdit,
                Guard::Version(current.version),
                &patch,
                actor.user_id,
            )?;
            if moved.is_ok() {
                audit_move(c, actor, "order.edit", current, None)?;
            }
            Ok(moved.map(|_| ()))
        },
    )
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolution {
    #[serde(default, deserialize_with = "lenient_string")]
    pub action: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", alias = "provider_order_id")]
    pub provider_order_id: Option<String>,
}

/// Resolves an order waiting for review: `resend` queues it again (only when no
/// provider order id is known), `attach` records the provider's order id (typed, or
/// the one already known) and syncs it from then on, `fail` fails and refunds it,
/// `resume` clears a flag raised by status sync. Each is one guarded move: of two
/// admins resolving the same order at once, the second gets 409 and changes nothing.
pub fn resolve(state: &AppState, actor: &Actor, id: i64, resolution: &Resolution) -> AppResult<OrderView> {
    let action = input::action(resolution.action.as_deref());
    let typed_id = input::optional_text(
        "providerOrderId",
        "The provider order id",
        resolution.provider_order_id.as_deref(),
        100,
    )?;
    let mv = match action.as_str() {
        "resend" => Move::Resend,
        "attach" => Move::Attach,
        "fail" => Move::Fail,
        "resume" => Move::Resume,
        _ => {
            return Err(AppError::validation(
                "action",
                "The action must be resend, attach, fail or resume.",
            ))
        }
    };
    let view = guarded(
        state,
        id,
        "Reload the review queue and decide again.",
        "not_in_review",
        |c, current| {
            let cleared = OrderPatch {
                review_reason: Some(None),
                status_errors: Some(0),
                ..OrderPatch::default()
            };
            let in_review_only = current.forward_state == ForwardState::Unknown.as_str();
            let patch = match mv {
                Move::Resend => OrderPatch {
                    forward_state: Some(ForwardState::Queued.as_str()),
                    attempts: Some(0),
                    next_attempt_at: Some(None),
                    ..cleared
                },
                Move::Attach => {
                    let pid = typed_id
                        .clone()
                        .or_else(|| current.provider_order_id.clone())
                        .ok_or_else(|| {
                            AppError::validation("providerOrderId", "Enter the provider's order id to attach.")
                        })?;
                    OrderPatch {
                        forward_state: Some(ForwardState::Accepted.as_str()),
                        provider_order_id: Some(Some(pid)),
                        status: in_review_only.then_some(OrderStatus::Pending.as_str()),
                        last_status_check: Some(None),
                        ..cleared
                    }
                }
                Move::Fail => OrderPatch {
                    forward_state: in_review_only.then_some(ForwardState::Rejected.as_str()),
                    status: Some(OrderStatus::Failed.as_str()),
                    ..cleared
                },
                _ => cleared,
            };
            let moved = order_machine::apply(c, current, mv, Guard::Version(current.version), &patch, actor.user_id)?;
            if moved.is_ok() {
                audit_move(c, actor, "order.resolve", current, Some(&action))?;
            }
            Ok(moved.map(|_| ()))
        },
    )?;
    if mv == Move::Resend {
        state.wake.notify();
    }
    Ok(view)
}
