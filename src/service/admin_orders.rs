//! Admin order operations (SPEC §4, issue "admin operations"): manual orders, edits
//! of any order (settled), and resolving orders held for review. Every change is
//! audited in the transaction that makes it.

use serde::Deserialize;
use serde_json::json;

use crate::db::models::OrderRow;
use crate::db::orders::Transition;
use crate::db::{self};
use crate::domain::{ForwardState, OrderStatus};
use crate::error::{AppError, AppResult};
use crate::service::accounts;
use crate::service::audit::{self, Actor};
use crate::service::input::{self, lenient_string};
use crate::service::orders::{self, OrderDraft, OrderView, Placement, StatusChange};
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
}

fn snapshot(order: &OrderRow) -> serde_json::Value {
    json!({
        "status": order.status, "startCount": order.start_count, "remains": order.remains,
        "adminNotes": order.admin_notes, "forwardState": order.forward_state,
        "providerOrderId": order.provider_order_id,
    })
}

fn not_found(id: i64) -> AppError {
    AppError::NotFound(format!("There is no order {id}."))
}

/// Edits status, start count, remains and notes; settles the order for its new status
/// and audits before/after, all in one transaction. Fields left out keep their value.
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
    let notes = match &edit.admin_notes {
        None => None,
        Some(text) => Some(input::optional_text("adminNotes", "The admin notes", Some(text), 2000)?),
    };
    let mut conn = state.conn()?;
    db::write_transaction(&mut conn, |c| {
        let current = db::orders::find(c, id)?.ok_or_else(|| not_found(id))?;
        if let Some(Some(r)) = remains {
            if r > current.quantity {
                return Err(AppError::validation(
                    "remains",
                    format!("Remains cannot be more than the quantity ({}).", current.quantity),
                ));
            }
        }
        let before = snapshot(&current);
        let change = StatusChange {
            status: status.unwrap_or(OrderStatus::parse(&current.status).unwrap_or(OrderStatus::Pending)),
            provider_status: current.provider_status.clone(),
            start_count: start_count.unwrap_or(current.start_count),
            remains: remains.unwrap_or(current.remains),
            checked_at: None,
        };
        orders::change_status(c, &current, &change, actor.user_id)?;
        if let Some(notes) = &notes {
            db::orders::set_admin_notes(c, id, notes.as_deref())?;
        }
        let after = db::orders::find(c, id)?.ok_or_else(|| not_found(id))?;
        audit::record(
            c,
            actor,
            "order.edit",
            Some(&format!("order:{id}")),
            Some(&before),
            Some(&snapshot(&after)),
        )?;
        Ok(())
    })?;
    orders::get_for_admin(&mut conn, id)
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolution {
    #[serde(default, deserialize_with = "lenient_string")]
    pub action: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", alias = "provider_order_id")]
    pub provider_order_id: Option<String>,
}

/// Resolves an order held for review (`unknown`): `resend` queues it again, `attach`
/// records the provider's order id found in the provider's panel, `fail` fails and
/// refunds it. Anything but an `unknown` order is a 409.
pub fn resolve(state: &AppState, actor: &Actor, id: i64, resolution: &Resolution) -> AppResult<OrderView> {
    let action = resolution
        .action
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let attach_id = input::optional_text(
        "providerOrderId",
        "The provider order id",
        resolution.provider_order_id.as_deref(),
        100,
    )?;
    let (state_after, status_after, provider_order_id, refund) = match action.as_str() {
        "resend" => (ForwardState::Queued, OrderStatus::Pending, None, false),
        "attach" => {
            let pid = attach_id
                .clone()
                .ok_or_else(|| AppError::validation("providerOrderId", "Enter the provider's order id to attach."))?;
            (ForwardState::Accepted, OrderStatus::Pending, Some(pid), false)
        }
        "fail" => (ForwardState::Rejected, OrderStatus::Failed, None, true),
        _ => {
            return Err(AppError::validation(
                "action",
                "The action must be resend, attach or fail.",
            ))
        }
    };
    let mut conn = state.conn()?;
    db::write_transaction(&mut conn, |c| {
        let current = db::orders::find(c, id)?.ok_or_else(|| not_found(id))?;
        if current.forward_state != ForwardState::Unknown.as_str() {
            return Err(AppError::Conflict {
                code: "not_in_review",
                message: format!(
                    "Order {id} is {}, not waiting for review; nothing was changed.",
                    current.forward_state
                ),
            });
        }
        let before = snapshot(&current);
        db::orders::resolve_unknown(
            c,
            id,
            &Transition {
                forward_state: state_after,
                status: status_after,
                provider_order_id: provider_order_id.as_deref(),
                next_attempt_at: None,
                last_error: current.last_error.as_deref(),
            },
        )?;
        if refund {
            orders::settle(c, &current, OrderStatus::Failed, None, actor.user_id)?;
        }
        let after = db::orders::find(c, id)?.ok_or_else(|| not_found(id))?;
        let mut after_json = snapshot(&after);
        after_json["action"] = json!(action);
        audit::record(
            c,
            actor,
            "order.resolve",
            Some(&format!("order:{id}")),
            Some(&before),
            Some(&after_json),
        )?;
        Ok(())
    })?;
    if state_after == ForwardState::Queued {
        state.wake.notify();
    }
    orders::get_for_admin(&mut conn, id)
}
