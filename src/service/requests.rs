//! Refill and cancel requests (SPEC §4, issue 11). A customer's request is a move of
//! the order state machine (`RequestRefill`, `RequestCancel`, `CancelBeforeSending`)
//! made in the transaction that records the request; the workers forward it like an
//! add, the sync round follows refills, and a cancel is settled when the provider
//! reports the order Canceled or Partial. Admins see every request and resolve the ones
//! no provider can take.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::db::models::{NewRequestRow, RequestRow};
use crate::db::orders::{Guard, OrderPatch};
use crate::db::requests::{RequestFilter, RequestPatch};
use crate::db::{self, DbConnection};
use crate::domain::{ForwardState, Move, OrderStatus, RequestKind, RequestState, RequestStatus};
use crate::error::{AppError, AppResult};
use crate::service::accounts::Account;
use crate::service::audit::{self, Actor};
use crate::service::input::{self, lenient_string};
use crate::service::order_machine::{self, Refusal};
use crate::service::pagination::{PageRequest, Paged};
use crate::state::AppState;

/// A request as its owner (or an admin) sees it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestView {
    pub id: i64,
    pub kind: String,
    pub order_id: i64,
    pub status: String,
    pub state: String,
    pub open: bool,
    pub provider_status: Option<String>,
    /// Why it was refused, where it was.
    pub error: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_refill_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<i64>,
}

impl RequestView {
    pub fn from_row(row: RequestRow, for_admin: bool) -> Self {
        Self {
            id: row.id,
            kind: row.kind,
            order_id: row.order_id,
            status: row.status,
            state: row.state,
            open: row.open,
            provider_status: row.provider_status,
            error: row.last_error,
            created_at: row.created_at,
            updated_at: row.updated_at,
            provider_refill_id: if for_admin { row.provider_refill_id } else { None },
            user_id: for_admin.then_some(row.user_id),
            attempts: for_admin.then_some(row.attempts),
        }
    }
}

fn not_found(id: i64) -> AppError {
    AppError::NotFound(format!("There is no order {id}."))
}

/// Asks for a refill or a cancel of one of the viewer's orders. Refill: completed or
/// partial orders of refill services, within the service's refill period from
/// placing, one open refill at a time. Cancel: orders not yet final of services with
/// cancel; a queued order (not sent yet) is canceled and refunded at once.
pub fn request(state: &AppState, viewer: &Account, order_id: i64, kind: RequestKind) -> AppResult<RequestView> {
    let mut conn = state.conn()?;
    let row = db::write_transaction(&mut conn, |c| place(c, viewer, order_id, kind))?;
    crate::telemetry::order_request(kind.as_str(), "placed");
    if row.state == RequestState::Queued.as_str() {
        state.wake.notify();
    }
    Ok(RequestView::from_row(row, false))
}

fn place(c: &mut DbConnection, viewer: &Account, order_id: i64, kind: RequestKind) -> AppResult<RequestRow> {
    let order = order_machine::read(c, order_id)?;
    if order.user_id != viewer.id {
        return Err(not_found(order_id));
    }
    let service = db::catalog::find_service(c, order.service_id)?
        .ok_or_else(|| AppError::internal(format!("order {order_id}'s service vanished")))?;
    let forward = order_machine::state_of(&order)?.forward;
    if db::requests::open_for_order(c, order_id, kind)?.is_some() {
        return Err(AppError::Conflict {
            code: "request_open",
            message: format!("Order {order_id} already has a {kind} request in progress."),
        });
    }
    let (mv, request_state) = match kind {
        RequestKind::Refill => {
            if !service.refill {
                return Err(AppError::business("refill_unavailable", "This service has no refill."));
            }
            let deadline = order.created_at + chrono::TimeDelta::days(service.refill_days);
            if db::now() > deadline {
                return Err(AppError::business(
                    "refill_expired",
                    format!(
                        "The refill period of this service ({} days from ordering) ended on {}.",
                        service.refill_days,
                        deadline.format("%Y-%m-%d")
                    ),
                ));
            }
            let to = if forward == ForwardState::Manual {
                RequestState::Manual
            } else {
                RequestState::Queued
            };
            (Move::RequestRefill, to)
        }
        RequestKind::Cancel => {
            if !service.cancel {
                return Err(AppError::business(
                    "cancel_unavailable",
                    "This service cannot be canceled.",
                ));
            }
            match forward {
                ForwardState::Queued => (Move::CancelBeforeSending, RequestState::Done),
                ForwardState::Manual | ForwardState::Unknown => (Move::RequestCancel, RequestState::Manual),
                _ => (Move::RequestCancel, RequestState::Queued),
            }
        }
    };
    let patch = match mv {
        // Never sent: it leaves the queue canceled, and `apply` refunds it.
        Move::CancelBeforeSending => OrderPatch {
            forward_state: Some(ForwardState::Manual.as_str()),
            status: Some(OrderStatus::Canceled.as_str()),
            next_attempt_at: Some(None),
            ..OrderPatch::default()
        },
        _ => OrderPatch::default(),
    };
    match order_machine::apply(c, &order, mv, Guard::Version(order.version), &patch, Some(viewer.id))? {
        Ok(_) => {}
        Err(Refusal::NotAllowed(why)) => {
            return Err(AppError::business(
                "not_allowed",
                format!("Order {order_id} cannot get a {kind}: {why}."),
            ))
        }
        Err(Refusal::Stale) => {
            return Err(AppError::Conflict {
                code: "order_changed",
                message: format!("Order {order_id} changed just now; try again."),
            })
        }
    }
    let done = request_state == RequestState::Done;
    let now = db::now();
    let id = db::requests::insert(
        c,
        &NewRequestRow {
            kind: kind.as_str(),
            order_id,
            user_id: order.user_id,
            state: request_state.as_str(),
            status: if done {
                RequestStatus::Completed
            } else {
                RequestStatus::Pending
            }
            .as_str(),
            open: !done,
            last_error: None,
            created_at: now,
            updated_at: now,
        },
    )
    .map_err(|e| match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => AppError::Conflict {
            code: "request_open",
            message: format!("Order {order_id} already has a {kind} request in progress."),
        },
        other => other.into(),
    })?;
    db::requests::find(c, id)?.ok_or_else(|| AppError::internal("request vanished"))
}

/// What an order's page shows of its requests: the list, and which buttons to offer.
#[derive(Debug, Clone, Default)]
pub struct OrderRequests {
    pub list: Vec<RequestView>,
    pub can_refill: bool,
    pub can_cancel: bool,
}

/// The requests of one order and what its owner may still ask for (the same rules as
/// `request`, which checks them again).
pub fn for_order(conn: &mut DbConnection, order_id: i64) -> AppResult<OrderRequests> {
    let order = order_machine::read(conn, order_id)?;
    let list: Vec<RequestView> = db::requests::for_order(conn, order_id)?
        .into_iter()
        .map(|r| RequestView::from_row(r, false))
        .collect();
    let Some(service) = db::catalog::find_service(conn, order.service_id)? else {
        return Ok(OrderRequests {
            list,
            ..OrderRequests::default()
        });
    };
    let from = order_machine::state_of(&order)?;
    let open = |kind: RequestKind| list.iter().any(|r| r.open && r.kind == kind.as_str());
    let within_period = db::now() <= order.created_at + chrono::TimeDelta::days(service.refill_days);
    Ok(OrderRequests {
        can_refill: service.refill
            && within_period
            && !open(RequestKind::Refill)
            && Move::RequestRefill.allowed_from(from),
        can_cancel: service.cancel
            && !open(RequestKind::Cancel)
            && (Move::RequestCancel.allowed_from(from) || Move::CancelBeforeSending.allowed_from(from)),
        list,
    })
}

/// A page of requests for the admin.
pub fn list(conn: &mut DbConnection, filter: &RequestFilter, page: PageRequest) -> AppResult<Paged<RequestView>> {
    let (rows, total) = db::requests::page(conn, filter, page.offset(), page.limit())?;
    Ok(Paged::new(
        rows.into_iter().map(|r| RequestView::from_row(r, true)).collect(),
        page,
        total,
    ))
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestResolution {
    #[serde(default, deserialize_with = "lenient_string")]
    pub action: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", alias = "provider_refill_id")]
    pub provider_refill_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub note: Option<String>,
}

/// An admin settles a request by hand: `resend` (queue it again, only when it never
/// reached the provider or the admin checked it did not), `attach` (a refill id found
/// in the provider's panel), `complete` (done outside the panel), `reject` (with a note
/// the customer sees). Guarded and audited; a cancel's money moves only with the
/// order's status (edit the order to settle it).
pub fn resolve(state: &AppState, actor: &Actor, id: i64, resolution: &RequestResolution) -> AppResult<RequestView> {
    let action = input::action(resolution.action.as_deref());
    let note = input::optional_text("note", "The note", resolution.note.as_deref(), 500)?;
    let refill_id = input::optional_text(
        "providerRefillId",
        "The provider refill id",
        resolution.provider_refill_id.as_deref(),
        100,
    )?;
    let mut conn = state.conn()?;
    let row = db::write_transaction(&mut conn, |c| {
        let current =
            db::requests::find(c, id)?.ok_or_else(|| AppError::NotFound(format!("There is no request {id}.")))?;
        if !current.open {
            return Err(AppError::Conflict {
                code: "request_closed",
                message: format!("Request {id} is {} already; nothing was changed.", current.status),
            });
        }
        let in_flight = current.state == RequestState::InFlight.as_str();
        let patch = match action.as_str() {
            _ if in_flight => {
                return Err(AppError::Conflict {
                    code: "request_in_flight",
                    message: format!("Request {id} is being sent right now; decide once the answer is in."),
                })
            }
            "resend" => RequestPatch {
                state: Some(RequestState::Queued.as_str()),
                attempts: Some(0),
                next_attempt_at: Some(None),
                ..RequestPatch::default()
            }
            .with_status(RequestStatus::Pending),
            "attach" if current.kind == RequestKind::Refill.as_str() => RequestPatch {
                state: Some(RequestState::Sent.as_str()),
                provider_refill_id: Some(Some(refill_id.clone().ok_or_else(|| {
                    AppError::validation("providerRefillId", "Enter the provider's refill id to attach.")
                })?)),
                ..RequestPatch::default()
            }
            .with_status(RequestStatus::Pending),
            "complete" => RequestPatch {
                state: Some(RequestState::Done.as_str()),
                ..RequestPatch::default()
            }
            .with_status(RequestStatus::Completed),
            "reject" => RequestPatch {
                state: Some(RequestState::Rejected.as_str()),
                last_error: Some(note.clone()),
                ..RequestPatch::default()
            }
            .with_status(RequestStatus::Rejected),
            _ => {
                return Err(AppError::validation(
                    "action",
                    "The action must be resend, attach (refills), complete or reject.",
                ))
            }
        };
        if !db::requests::compare_and_set(c, id, current.version, None, &patch)? {
            return Err(AppError::Conflict {
                code: "request_changed",
                message: format!("Request {id} changed while this was being saved; nothing was changed."),
            });
        }
        let after = db::requests::find(c, id)?.ok_or_else(|| AppError::internal("request vanished"))?;
        audit::record(
            c,
            actor,
            &format!("{}.resolve", current.kind),
            Some(&format!("request:{id}")),
            Some(&json!({"state": current.state, "status": current.status})),
            Some(&json!({"state": after.state, "status": after.status, "action": action, "note": note})),
        )?;
        Ok(after)
    })?;
    if row.state == RequestState::Queued.as_str() {
        state.wake.notify();
    }
    Ok(RequestView::from_row(row, true))
}
