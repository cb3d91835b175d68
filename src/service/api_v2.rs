//! The panel as an API v2 provider (SPEC §7, issue 11): resellers' scripts and child
//! panels call `/api/v2` with their API key. Every action maps onto the same use cases
//! as the pages and the JSON API (placing goes through `orders::place`), and answers
//! in the wire shapes standard clients parse: ids as numbers, money and counts as
//! strings, money in `PANEL_CURRENCY`, errors as `{"error": "…"}`.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::db::{self};
use crate::domain::{Money, OrderStatus, RequestKind, RequestStatus};
use crate::error::{AppError, AppResult};
use crate::service::accounts::{self, Account};
use crate::service::catalog;
use crate::service::orders::{self, OrderDraft};
use crate::service::requests;
use crate::state::AppState;

/// The answer to a missing or unknown key (the web layer counts unknown keys against
/// the caller's address, so inventing keys does not escape the rate limit).
pub const INVALID_KEY: &str = "Invalid API key";

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
    let key = field(params, "key").ok_or_else(|| refused(INVALID_KEY))?;
    let user = accounts::find_by_api_key(&mut *state.conn()?, &state.key, key)?.ok_or_else(|| refused(INVALID_KEY))?;
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
        "refill" => match (field(params, "orders"), field(params, "order")) {
            (Some(list), _) => {
                let ids = id_list(list)?;
                Ok(Value::Array(
                    ids.iter()
                        .map(|raw| {
                            let outcome = ask(state, &user, raw, RequestKind::Refill)
                                .map_or_else(|message| json!({ "error": message }), |request| json!(request));
                            json!({ "order": number_or_text(raw), "refill": outcome })
                        })
                        .collect(),
                ))
            }
            (None, Some(raw)) => ask(state, &user, raw, RequestKind::Refill)
                .map(|request| json!({ "refill": request.to_string() }))
                .map_err(Failure::Refused),
            (None, None) => Err(refused("Incorrect request: give order or orders")),
        },
        "refill_status" => match (field(params, "refills"), field(params, "refill")) {
            (Some(list), _) => {
                let raw = id_list(list)?;
                let statuses = refill_statuses(state, &user, &raw)?;
                Ok(Value::Array(
                    raw.iter()
                        .map(|r| {
                            let status = statuses
                                .get(r.as_str())
                                .map_or_else(|| json!({ "error": "Incorrect refill ID" }), |s| json!(s));
                            json!({ "refill": number_or_text(r), "status": status })
                        })
                        .collect(),
                ))
            }
            (None, Some(raw)) => {
                let statuses = refill_statuses(state, &user, &[raw.to_string()])?;
                match statuses.get(raw) {
                    Some(status) => Ok(json!({ "status": status })),
                    None => Err(refused("Incorrect refill ID")),
                }
            }
            (None, None) => Err(refused("Incorrect request: give refill or refills")),
        },
        "cancel" => {
            let list = field(params, "orders")
                .or_else(|| field(params, "order"))
                .ok_or_else(|| refused("Incorrect request: give orders"))?;
            let ids = id_list(list)?;
            Ok(Value::Array(
                ids.iter()
                    .map(|raw| {
                        let outcome = ask(state, &user, raw, RequestKind::Cancel)
                            .map_or_else(|message| json!({ "error": message }), |_| json!(1));
                        json!({ "order": number_or_text(raw), "cancel": outcome })
                    })
                    .collect(),
            ))
        }
        "balance" => Ok(json!({
            "balance": user.balance.to_string(),
            "currency": state.config.panel_currency,
        })),
        "" => Err(refused("Incorrect request: no action")),
        other => Err(refused(format!("Incorrect request: unknown action '{other}'"))),
    }
}

/// A comma list of at most `MAX_IDS` ids, as sent.
fn id_list(list: &str) -> Result<Vec<String>, Failure> {
    let raw: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if raw.is_empty() {
        return Err(refused("Incorrect request: the list is empty"));
    }
    if raw.len() > MAX_IDS {
        return Err(refused(format!("Incorrect request: at most {MAX_IDS} ids at once")));
    }
    Ok(raw)
}

/// An id as a JSON number where it is one (clients match replies by it).
fn number_or_text(raw: &str) -> Value {
    raw.parse::<i64>().map_or_else(|_| json!(raw), |n| json!(n))
}

/// Asks for a refill or cancel of the caller's order `raw`; the request's id, or the
/// message a client shows.
fn ask(state: &AppState, user: &Account, raw: &str, kind: RequestKind) -> Result<i64, String> {
    let id = parse_id(raw).ok_or_else(|| "Incorrect order ID".to_string())?;
    match requests::request(state, user, id, kind) {
        Ok(request) => Ok(request.id),
        Err(AppError::NotFound(_)) => Err("Incorrect order ID".into()),
        Err(e) => {
            e.log();
            Err(e.to_string())
        }
    }
}

/// The wire statuses of those of the caller's refills named in `raw`.
fn refill_statuses(state: &AppState, user: &Account, raw: &[String]) -> Result<HashMap<String, &'static str>, Failure> {
    let ids: Vec<i64> = raw.iter().filter_map(|r| parse_id(r)).collect();
    let rows =
        db::requests::find_for_user(&mut *state.conn()?, user.id, RequestKind::Refill, &ids).map_err(AppError::from)?;
    Ok(rows
        .into_iter()
        .filter_map(|row| Some((row.id.to_string(), RequestStatus::parse(&row.status)?.wire())))
        .collect())
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
    let draft = OrderDraft {
        category_id: None,
        service_id: field(params, "service").map(str::to_string),
        link: params.get("link").cloned(),
        qty: field(params, "quantity").map(str::to_string),
        runs: field(params, "runs").map(str::to_string),
        interval: field(params, "interval").map(str::to_string),
        comments: params.get("comments").cloned(),
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
    let raw = id_list(list)?;
    let ids: Vec<i64> = raw.iter().filter_map(|r| parse_id(r)).collect();
    let rows = db::orders::find_for_user(&mut *state.conn()?, user.id, &ids).map_err(AppError::from)?;
    let by_id: HashMap<i64, &crate::db::models::OrderRow> = rows.iter().map(|o| (o.id, o)).collect();
    let mut replies = Map::with_capacity(raw.len());
    for r in raw {
        let reply = match parse_id(&r).and_then(|id| by_id.get(&id)) {
            Some(order) => status_json(order)?,
            None => json!({ "error": "Incorrect order ID" }),
        };
        replies.insert(r, reply);
    }
    Ok(Value::Object(replies))
}
