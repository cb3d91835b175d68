//! The panel as an API v2 provider (SPEC §7, issue 11): resellers' scripts and child
//! panels call `/api/v2` with their API key. Every action maps onto the same use cases
//! as the pages and the JSON API (placing goes through `orders::place`), and answers
//! in the wire shapes standard clients parse: ids as numbers, money and counts as
//! strings, money in `PANEL_CURRENCY`, errors as `{"error": "…"}`.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::db::{self};
use crate::domain::{Money, OrderStatus};
use crate::error::{AppError, AppResult};
use crate::service::accounts::{self, Account};
use crate::service::catalog;
use crate::service::orders::{self, OrderDraft};
use crate::state::AppState;

/// The most ids one `orders=` list may carry.
pub const MAX_IDS: usize = 100;

/// The request's fields, from the query string, a form body or a JSON body.
pub type Params = HashMap<String, String>;

/// What an API v2 call came to: a reply, or an error for the `{"error"}` shape.
#[derive(Debug)]
pub enum Failure {
    /// The caller's mistake (key, action, parameters, unknown order): HTTP 200.
    Refused(String),
    /// Ours (database down, a bug): an error status, so a client never takes it as a
    /// definite answer.
    Unavailable(AppError),
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Internal(_) | AppError::Unavailable(_) => Failure::Unavailable(e),
            other => Failure::Refused(other.to_string()),
        }
    }
}

fn refused(message: impl Into<String>) -> Failure {
    Failure::Refused(message.into())
}

fn field<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// Runs one API v2 request.
pub fn handle(state: &AppState, params: &Params) -> Result<Value, Failure> {
    let key = field(params, "key").ok_or_else(|| refused("Invalid API key"))?;
    let user = accounts::find_by_api_key(&mut *state.conn()?, key)?.ok_or_else(|| refused("Invalid API key"))?;
    if user.disabled {
        return Err(refused("This account is disabled"));
    }
    match field(params, "action").unwrap_or_default() {
        "services" => services(state),
        "add" => add(state, &user, params),
        "status" => match (field(params, "orders"), field(params, "order")) {
            (Some(list), _) => statuses(state, &user, list),
            (None, Some(id)) => status(state, &user, id),
            (None, None) => Err(refused("Incorrect request: give order or orders")),
        },
        "balance" => Ok(json!({
            "balance": user.balance.to_string(),
            "currency": state.config.panel_currency,
        })),
        "" => Err(refused("Incorrect request: no action")),
        other => Err(refused(format!("Incorrect request: unknown action '{other}'"))),
    }
}

/// `action=services`: every enabled service, priced per 1000 in the panel currency.
fn services(state: &AppState) -> Result<Value, Failure> {
    let catalog = catalog::public_catalog(state, &mut *state.conn()?)?;
    let list = catalog
        .categories
        .iter()
        .flat_map(|category| {
            category.services.iter().map(move |s| {
                json!({
                    "service": s.id,
                    "name": s.name,
                    "type": "Default",
                    "category": category.name,
                    "rate": s.price_per_1000.to_string(),
                    "min": s.min.to_string(),
                    "max": s.max.to_string(),
                    "refill": s.refill,
                    "cancel": s.cancel,
                })
            })
        })
        .collect();
    Ok(Value::Array(list))
}

/// `action=add`: placed exactly as from the new-order page or `create-orders`.
fn add(state: &AppState, user: &Account, params: &Params) -> Result<Value, Failure> {
    if field(params, "runs").is_some() || field(params, "interval").is_some() {
        return Err(refused("Drip-feed is not available for this service"));
    }
    if field(params, "comments").is_some() {
        return Err(refused("Custom comments are not available for this service"));
    }
    let draft = OrderDraft {
        category_id: None,
        service_id: field(params, "service").map(str::to_string),
        link: params.get("link").cloned(),
        qty: field(params, "quantity").map(str::to_string),
    };
    if draft.service_id.is_none() {
        return Err(refused("Incorrect service ID"));
    }
    let placed = orders::place(state, user, &[draft], orders::Numbering::Orders).map_err(|e| match e {
        AppError::NotFound(_) => refused("Incorrect service ID"),
        other => Failure::from(other),
    })?;
    let id = placed
        .orders
        .first()
        .map(|o| o.id)
        .ok_or_else(|| Failure::Unavailable(AppError::internal("a placement created no order")))?;
    Ok(json!({ "order": id }))
}

/// The wire status of a panel status. A failed order was refunded in full, which is
/// what `Canceled` means to a client.
fn wire_status(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Pending => "Pending",
        OrderStatus::Processing => "In progress",
        OrderStatus::Completed => "Completed",
        OrderStatus::Partial => "Partial",
        OrderStatus::Canceled | OrderStatus::Failed => "Canceled",
    }
}

fn status_json(order: &crate::db::models::OrderRow) -> AppResult<Value> {
    let status = crate::service::order_machine::status_of(order)?;
    let remains = order.remains.unwrap_or(match status {
        OrderStatus::Completed => 0,
        _ => order.quantity,
    });
    Ok(json!({
        "charge": Money::from_micros(order.charge).to_string(),
        "start_count": order.start_count.unwrap_or(0).to_string(),
        "status": wire_status(status),
        "remains": remains.to_string(),
        "currency": order.currency,
    }))
}

fn parse_id(raw: &str) -> Option<i64> {
    raw.trim().parse::<i64>().ok().filter(|id| *id > 0)
}

/// `action=status&order=N`: one of the caller's orders.
fn status(state: &AppState, user: &Account, raw: &str) -> Result<Value, Failure> {
    let id = parse_id(raw).ok_or_else(|| refused("Incorrect order ID"))?;
    let rows = db::orders::find_for_user(&mut *state.conn()?, user.id, &[id]).map_err(AppError::from)?;
    match rows.first() {
        Some(order) => Ok(status_json(order)?),
        None => Err(refused("Incorrect order ID")),
    }
}

/// `action=status&orders=1,2,3`: up to 100 of the caller's orders in one query; ids
/// that are not the caller's answer as unknown.
fn statuses(state: &AppState, user: &Account, list: &str) -> Result<Value, Failure> {
    let raw: Vec<&str> = list.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if raw.is_empty() {
        return Err(refused("Incorrect request: orders is empty"));
    }
    if raw.len() > MAX_IDS {
        return Err(refused(format!("Incorrect request: at most {MAX_IDS} orders at once")));
    }
    let ids: Vec<i64> = raw.iter().filter_map(|r| parse_id(r)).collect();
    let rows = db::orders::find_for_user(&mut *state.conn()?, user.id, &ids).map_err(AppError::from)?;
    let by_id: HashMap<i64, &crate::db::models::OrderRow> = rows.iter().map(|o| (o.id, o)).collect();
    let mut replies = Map::with_capacity(raw.len());
    for r in raw {
        let reply = match parse_id(r).and_then(|id| by_id.get(&id)) {
            Some(order) => status_json(order)?,
            None => json!({ "error": "Incorrect order ID" }),
        };
        replies.insert(r.to_string(), reply);
    }
    Ok(Value::Object(replies))
}
