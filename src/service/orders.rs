//! Orders: placing them (validated, priced, charged atomically), reading them, and
//! settling them whenever their status changes.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::db::ledger::BalanceRefusal;
use crate::db::models::{OrderRow, ServiceRow};
use crate::db::orders::OrderFilter;
use crate::db::{self, DbConnection};
use crate::domain::{settlement, ForwardState, LedgerKind, Link, Money, OrderStatus, Rate};
use crate::error::{AppError, AppResult};
use crate::service::accounts::Account;
use crate::service::audit::Actor;
use crate::service::catalog::ServiceMode;
use crate::service::input::lenient_string;
use crate::service::intake;
use crate::service::pagination::{CursorPage, ListRequest};
use crate::service::price_book::PriceBook;
use crate::state::AppState;

/// The most orders one request (or one mass order) may carry.
pub const MAX_ORDERS_PER_REQUEST: usize = 100;

/// One order as a request states it (JSON body, page form, or a mass-order line).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDraft {
    #[serde(
        default,
        deserialize_with = "lenient_string",
        alias = "category_id",
        alias = "category"
    )]
    pub category_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient_string",
        alias = "service_id",
        alias = "service"
    )]
    pub service_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub link: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", alias = "quantity")]
    pub qty: Option<String>,
    /// Drip-feed: how many runs of `qty` each (services with drip-feed).
    #[serde(default, deserialize_with = "lenient_string")]
    pub runs: Option<String>,
    /// Drip-feed: minutes between runs.
    #[serde(default, deserialize_with = "lenient_string")]
    pub interval: Option<String>,
    /// Custom comments, one per line (services of a comments type); the quantity is
    /// their number.
    #[serde(default, deserialize_with = "lenient_string")]
    pub comments: Option<String>,
}

/// The most runs and the longest interval (minutes) a drip-feed order may ask for.
pub const MAX_RUNS: i64 = 1000;
pub const MAX_INTERVAL_MINUTES: i64 = 10_080;

/// An order as its owner sees it; admins also get `admin`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    pub id: i64,
    pub service_id: i64,
    pub service_name: String,
    pub link: String,
    pub quantity: i64,
    pub charge: Money,
    pub currency: String,
    pub status: OrderStatus,
    pub forward_state: ForwardState,
    pub provider_order_id: Option<String>,
    pub provider_status: Option<String>,
    pub start_count: Option<i64>,
    pub remains: Option<i64>,
    pub is_manual: bool,
    pub created_at: NaiveDateTime,
    pub last_status_check: Option<NaiveDateTime>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub admin: Option<AdminOrderFields>,
}

/// What only admins see of an order.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminOrderFields {
    pub user_id: i64,
    pub provider_id: Option<i64>,
    pub provider_service_id: Option<String>,
    pub admin_notes: Option<String>,
    /// The provider's cost in USD.
    pub provider_cost_usd: Option<Money>,
    pub rate_usd_per_1000: Rate,
    pub usd_to_bdt: Rate,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// Why the order waits for an admin, if it does.
    pub review_reason: Option<String>,
    /// Consecutive failed status checks.
    pub status_errors: i64,
    /// Send it back with an edit: a stale edit is refused with 409.
    pub version: i64,
}

impl OrderView {
    pub fn from_row(row: OrderRow, service_name: String, for_admin: bool) -> AppResult<Self> {
        let status = OrderStatus::parse(&row.status)
            .ok_or_else(|| AppError::internal(format!("order {} has status '{}'", row.id, row.status)))?;
        let forward_state = ForwardState::parse(&row.forward_state)
            .ok_or_else(|| AppError::internal(format!("order {} has forward state '{}'", row.id, row.forward_state)))?;
        let admin = for_admin.then(|| AdminOrderFields {
            user_id: row.user_id,
            provider_id: row.provider_id,
            provider_service_id: row.provider_service_id.clone(),
            admin_notes: row.admin_notes.clone(),
            provider_cost_usd: row.provider_cost.map(Money::from_micros),
            rate_usd_per_1000: Rate::from_micros(row.rate_per_1000),
            usd_to_bdt: Rate::from_micros(row.usd_to_bdt),
            attempts: row.attempts,
            last_error: row.last_error.clone(),
            review_reason: row.review_reason.clone(),
            status_errors: row.status_errors,
            version: row.version,
        });
        Ok(Self {
            id: row.id,
            service_id: row.service_id,
            service_name,
            link: row.link,
            quantity: row.quantity,
            charge: Money::from_micros(row.charge),
            currency: row.currency,
            status,
            forward_state,
            provider_order_id: row.provider_order_id,
            provider_status: row.provider_status,
            start_count: row.start_count,
            remains: row.remains,
            is_manual: row.is_manual,
            created_at: row.created_at,
            last_status_check: row.last_status_check,
            admin,
        })
    }

    /// Still expected to change (the page keeps polling for these).
    pub fn is_active(&self) -> bool {
        !self.status.is_terminal()
    }
}

/// What a placement created.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Placed {
    pub success: bool,
    pub orders_created: usize,
    pub total_cost: Money,
    pub currency: String,
    pub orders: Vec<OrderView>,
}

/// A validated order, priced, ready to insert.
struct Priced<'a> {
    service: &'a ServiceRow,
    link: Link,
    /// The total: per run × runs for drip-feed, the number of comments for comments.
    quantity: i64,
    charge: Money,
    provider_cost: Option<Money>,
    /// Drip-feed runs and interval, or comments, when the order has them.
    extras: Option<crate::db::models::OrderExtras>,
}

/// Whether a service takes custom comments (its provider's type says so).
pub fn takes_comments(service: &ServiceRow) -> bool {
    service.kind.to_ascii_lowercase().contains("comment")
}

/// The comments of a draft, one per non-empty line.
fn comment_lines(raw: &str) -> Vec<&str> {
    raw.lines().map(str::trim).filter(|l| !l.is_empty()).collect()
}

/// How refusals name the order they are about.
#[derive(Debug, Clone, Copy)]
pub enum Numbering<'a> {
    /// "Order 2: …" when a request carries several.
    Orders,
    /// "Line 7: …": the line of a mass-order box each draft came from.
    Lines(&'a [usize]),
}

impl Numbering<'_> {
    fn prefix(self, index: usize, count: usize, e: AppError) -> AppError {
        let label = match self {
            Numbering::Orders if count <= 1 => return e,
            Numbering::Orders => format!("Order {}", index + 1),
            Numbering::Lines(lines) => format!("Line {}", lines.get(index).copied().unwrap_or(index + 1)),
        };
        match e {
            AppError::Validation { field, message } => AppError::Validation {
                field,
                message: format!("{label}: {message}"),
            },
            AppError::NotFound(message) => AppError::NotFound(format!("{label}: {message}")),
            other => other,
        }
    }
}

fn validate<'a>(
    draft: &OrderDraft,
    services: impl Fn(i64) -> Option<&'a ServiceRow>,
    exchange: Rate,
) -> AppResult<Priced<'a>> {
    let service_id = crate::service::input::id("serviceId", "The service", draft.service_id.as_deref())?;
    let service = services(service_id)
        .ok_or_else(|| AppError::NotFound(format!("Service {service_id} does not exist or is not available.")))?;
    if let Some(category) =
        crate::service::input::optional_id("categoryId", "The category", draft.category_id.as_deref())?
    {
        if category != service.category_id {
            return Err(AppError::validation(
                "serviceId",
                format!("Service {service_id} is not in category {category}."),
            ));
        }
    }
    let link = Link::parse(draft.link.as_deref().unwrap_or_default(), service.accepts_username)
        .map_err(|m| AppError::validation("link", m))?;
    let comments = draft
        .comments
        .as_deref()
        .map(comment_lines)
        .filter(|lines| !lines.is_empty());
    if takes_comments(service) != comments.is_some() {
        return Err(AppError::validation(
            "comments",
            if comments.is_some() {
                "This service does not take custom comments."
            } else {
                "Enter the comments, one per line."
            },
        ));
    }
    let raw_qty = draft.qty.as_deref().map(str::trim).unwrap_or_default();
    let quantity = match (&comments, raw_qty) {
        (Some(lines), "") => lines.len() as i64,
        (_, "") => return Err(AppError::validation("qty", "Enter a quantity.")),
        (_, raw) => raw
            .parse::<i64>()
            .map_err(|_| AppError::validation("qty", format!("The quantity must be a whole number, not '{raw}'.")))?,
    };
    if let Some(lines) = &comments {
        if quantity != lines.len() as i64 {
            return Err(AppError::validation(
                "qty",
                format!("The quantity is the number of comments ({}).", lines.len()),
            ));
        }
        if lines.iter().any(|l| l.chars().count() > 500) {
            return Err(AppError::validation(
                "comments",
                "A comment can have at most 500 characters.",
            ));
        }
    }
    if quantity < service.min_quantity || quantity > service.max_quantity {
        return Err(AppError::validation(
            "qty",
            format!(
                "The quantity must be between {} and {} for this service.",
                service.min_quantity, service.max_quantity
            ),
        ));
    }
    let number = |field: &'static str, raw: &Option<String>| -> AppResult<Option<i64>> {
        match raw.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            None => Ok(None),
            Some(text) => text
                .parse::<i64>()
                .map(Some)
                .map_err(|_| AppError::validation(field, format!("The {field} must be a whole number, not '{text}'."))),
        }
    };
    let (runs, interval) = (number("runs", &draft.runs)?, number("interval", &draft.interval)?);
    let drip = match (runs, interval) {
        (None, None) => None,
        _ if !service.dripfeed => {
            return Err(AppError::validation(
                "runs",
                "This service does not take drip-feed orders.",
            ));
        }
        (Some(runs), Some(interval)) => {
            if !(2..=MAX_RUNS).contains(&runs) {
                return Err(AppError::validation(
                    "runs",
                    format!("The runs must be between 2 and {MAX_RUNS}."),
                ));
            }
            if !(1..=MAX_INTERVAL_MINUTES).contains(&interval) {
                return Err(AppError::validation(
                    "interval",
                    format!("The interval must be between 1 and {MAX_INTERVAL_MINUTES} minutes."),
                ));
            }
            Some((runs, interval))
        }
        (None, Some(_)) => return Err(AppError::validation("runs", "Give the runs with the interval.")),
        (Some(_), None) => return Err(AppError::validation("interval", "Give the interval with the runs.")),
    };
    // A drip-feed order is `quantity` per run: the order (and its price) is the total.
    let quantity = match drip {
        Some((runs, _)) => quantity
            .checked_mul(runs)
            .ok_or_else(|| AppError::validation("runs", "The total is too large."))?,
        None => quantity,
    };
    let extras = (drip.is_some() || comments.is_some()).then(|| crate::db::models::OrderExtras {
        order_id: 0,
        runs: drip.map(|(runs, _)| runs),
        run_interval: drip.map(|(_, interval)| interval),
        comments: comments.as_ref().map(|lines| lines.join("\n")),
    });
    let charge = Rate::from_micros(service.rate_per_1000)
        .price(quantity, exchange)
        .map(Money::round_to_cents)
        .ok_or_else(|| AppError::validation("qty", "The quantity is too large to price."))?;
    if charge.is_zero() {
        return Err(AppError::validation(
            "qty",
            "The order is too small: its price rounds to zero.",
        ));
    }
    let provider_cost = service
        .provider_rate_per_1000
        .and_then(|r| Rate::from_micros(r).price(quantity, Rate::from_micros(crate::domain::money::SCALE)));
    Ok(Priced {
        service,
        link,
        quantity,
        charge,
        provider_cost,
        extras,
    })
}

/// Who places an order, and how.
#[derive(Debug, Clone, Copy)]
pub enum Placement<'a> {
    /// The customer, from a page or the API: charged, forwarded for auto services.
    Customer,
    /// An admin's manual order (SPEC §4): never forwarded, charged only if `charge`,
    /// audited in the same transaction.
    Manual {
        actor: &'a Actor,
        notes: Option<&'a str>,
        charge: bool,
    },
}

/// Validates, prices and charges every order of one request in a single transaction:
/// all are placed or none is. Orders of auto services are queued for the workers.
/// (Blocking; the JSON route uses `place_async`.)
pub fn place(state: &AppState, user: &Account, drafts: &[OrderDraft], numbering: Numbering<'_>) -> AppResult<Placed> {
    place_as(state, user, drafts, numbering, Placement::Customer)
}

/// `place` without holding a thread while the request waits for its batch's commit:
/// the catalogue comes from memory (refreshed off the executor when it is due) and the
/// answer is awaited.
pub async fn place_async(state: &AppState, user: Account, drafts: Vec<OrderDraft>) -> AppResult<Placed> {
    let book = match state.price_books.fresh() {
        Some(book) => book,
        None => state.run(|s| s.price_books.get(&s.pool)).await?,
    };
    let (job, receipt) = prepare(state, &book, &user, &drafts, Numbering::Orders, Placement::Customer)?;
    let outcome = state.intake.submit(job)?.await?;
    receipt.placed(outcome)
}

pub fn place_as(
    state: &AppState,
    user: &Account,
    drafts: &[OrderDraft],
    numbering: Numbering<'_>,
    placement: Placement<'_>,
) -> AppResult<Placed> {
    let book = state.price_books.get(&state.pool)?;
    let (job, receipt) = prepare(state, &book, user, drafts, numbering, placement)?;
    let outcome = match placement {
        // Customers' requests are written in batches with others' (group commit).
        Placement::Customer => state.intake.submit_blocking(job)?,
        // An admin's manual order is rare and carries its audit rows: its own
        // transaction, the same writing code.
        Placement::Manual { actor, notes, charge } => {
            let mut conn = state.conn()?;
            db::write_transaction(&mut conn, |c| {
                let outcome = intake::write(c, &[&job])?.pop().unwrap_or(Ok(Vec::new()));
                for (row, price) in outcome.iter().flatten().zip(&receipt.prices) {
                    let after = serde_json::json!({
                        "userId": user.id, "serviceId": row.service_id, "link": row.link,
                        "quantity": row.quantity, "price": price, "charged": charge, "adminNotes": notes,
                    });
                    crate::service::audit::record(
                        c,
                        actor,
                        "order.manual_create",
                        Some(&format!("order:{}", row.id)),
                        None,
                        Some(&after),
                    )?;
                }
                Ok::<_, AppError>(outcome)
            })?
        }
    };
    receipt.placed(outcome)
}

/// What a request's answer needs besides the stored rows.
struct Receipt {
    service_names: Vec<String>,
    /// Each order's price (charged or not).
    prices: Vec<Money>,
    total: Money,
    currency: String,
    manual: bool,
}

impl Receipt {
    fn placed(self, outcome: intake::Outcome) -> AppResult<Placed> {
        let rows = outcome.map_err(|refusal| match refusal {
            BalanceRefusal::Insufficient => AppError::business(
                "insufficient_balance",
                format!(
                    "{} balance does not cover {} {} for this request.",
                    if self.manual { "The user's" } else { "Your" },
                    self.total,
                    self.currency
                ),
            ),
            BalanceRefusal::OverLimit => over_limit(),
        })?;
        // The rows as inserted (RETURNING): no re-read after the commit.
        let orders = rows
            .into_iter()
            .zip(self.service_names)
            .map(|(row, name)| OrderView::from_row(row, name, false))
            .collect::<AppResult<Vec<_>>>()?;
        Ok(Placed {
            success: true,
            orders_created: orders.len(),
            total_cost: self.total,
            currency: self.currency,
            orders,
        })
    }
}

/// Validates and prices a request against `book`: the job to write, and what its
/// answer needs. Nothing is written.
fn prepare(
    state: &AppState,
    book: &PriceBook,
    user: &Account,
    drafts: &[OrderDraft],
    numbering: Numbering<'_>,
    placement: Placement<'_>,
) -> AppResult<(intake::Job, Receipt)> {
    let manual = match placement {
        Placement::Customer => None,
        Placement::Manual { actor, notes, charge } => Some((actor, notes, charge)),
    };
    if drafts.is_empty() {
        return Err(AppError::validation("orders", "The request has no orders."));
    }
    if drafts.len() > MAX_ORDERS_PER_REQUEST {
        return Err(AppError::validation(
            "orders",
            format!(
                "At most {MAX_ORDERS_PER_REQUEST} orders can be placed at once; this request has {}.",
                drafts.len()
            ),
        ));
    }
    // Customers order only enabled services of enabled categories; an admin's manual
    // order may use any.
    let exchange = book.usd_to_bdt;
    let priced = drafts
        .iter()
        .enumerate()
        .map(|(i, d)| {
            validate(d, |id| book.orderable(id, manual.is_some()), exchange)
                .map_err(|e| numbering.prefix(i, drafts.len(), e))
        })
        .collect::<AppResult<Vec<_>>>()?;
    let total = priced
        .iter()
        .try_fold(Money::ZERO, |sum, p| sum.checked_add(p.charge))
        .ok_or_else(|| AppError::validation("qty", "The total is too large."))?;
    let currency = state.config.panel_currency.clone();
    let charged = manual.is_none_or(|(_, _, charge)| charge);
    let job = intake::Job {
        user_id: user.id,
        currency: currency.clone(),
        usd_to_bdt: exchange.micros(),
        is_manual: manual.is_some(),
        admin_notes: manual.and_then(|(_, notes, _)| notes.map(str::to_string)),
        actor_id: manual.map_or(user.id, |(actor, _, _)| actor.user_id.unwrap_or(user.id)),
        ledger_note: manual.map(|_| "Manual order"),
        orders: priced
            .iter()
            .map(|p| intake::JobOrder {
                service_id: p.service.id,
                provider_id: p.service.provider_id,
                provider_service_id: p.service.provider_service_id.clone(),
                link: p.link.as_str().to_string(),
                quantity: p.quantity,
                // An uncharged manual order costs the user nothing, so its ledger
                // (empty) matches its net charge (zero) whatever its status.
                charge: if charged { p.charge } else { Money::ZERO },
                rate_per_1000: p.service.rate_per_1000,
                provider_cost: p.provider_cost,
                auto: manual.is_none() && ServiceMode::parse(&p.service.mode) == Some(ServiceMode::Auto),
                extras: p.extras.clone(),
            })
            .collect(),
    };
    let receipt = Receipt {
        service_names: priced.iter().map(|p| p.service.name.clone()).collect(),
        prices: priced.iter().map(|p| p.charge).collect(),
        total,
        currency,
        manual: manual.is_some(),
    };
    Ok((job, receipt))
}

/// One order: the owner's own, or any for an admin (404 otherwise, never 403, so ids
/// of other users' orders reveal nothing).
pub fn get(conn: &mut DbConnection, viewer: &Account, id: i64) -> AppResult<OrderView> {
    let owner = if viewer.role.is_admin() { None } else { Some(viewer.id) };
    read(conn, id, owner)
}

/// Any order, with the admin fields (for admin services acting on it).
pub fn get_for_admin(conn: &mut DbConnection, id: i64) -> AppResult<OrderView> {
    read(conn, id, None)
}

/// The order as `owner` sees it (404 if it is someone else's), or with admin fields
/// when `owner` is `None`.
fn read(conn: &mut DbConnection, id: i64, owner: Option<i64>) -> AppResult<OrderView> {
    let not_found = || AppError::NotFound(format!("There is no order {id}."));
    let row = db::orders::find(conn, id)?.ok_or_else(not_found)?;
    if owner.is_some_and(|user| user != row.user_id) {
        return Err(not_found());
    }
    let admin = owner.is_none();
    let name = db::catalog::find_service(conn, row.service_id)?
        .map(|s| s.name)
        .unwrap_or_default();
    OrderView::from_row(row, name, admin)
}

/// A page of orders, newest first, at the request's cursor or page (issue 13).
pub fn list(
    conn: &mut DbConnection,
    filter: &OrderFilter,
    request: ListRequest,
    for_admin: bool,
) -> AppResult<CursorPage<OrderView>> {
    let Some(page) = db::orders::page(conn, filter, request.position, request.per_page)? else {
        let (field, id) = request.cursor().unwrap_or(("before", 0));
        return Err(AppError::validation(
            field,
            format!("{field}: there is no order {id}; use nextBefore or prevAfter from a page of this list."),
        ));
    };
    CursorPage::new(page.rows, request, &page.window, page.count)
        .try_map(|(row, name)| OrderView::from_row(row, name, for_admin))
}

/// Writes the one ledger row that makes the order's rows sum to minus its net charge
/// for `status` (SPEC §3). Call in the transaction that changes the status, with the
/// order's ledger sum if it was read in it already; returns the amount posted (zero:
/// nothing written).
pub fn settle(
    conn: &mut DbConnection,
    order: &OrderRow,
    status: OrderStatus,
    remains: Option<i64>,
    actor_id: Option<i64>,
    ledger_sum: Option<i64>,
) -> AppResult<Money> {
    let ledger_sum = Money::from_micros(match ledger_sum {
        Some(sum) => sum,
        None => db::ledger::sum_for_order(conn, order.id)?,
    });
    let amount = settlement::adjustment(
        Money::from_micros(order.charge),
        order.quantity,
        status,
        remains,
        ledger_sum,
    );
    if amount.is_zero() {
        return Ok(amount);
    }
    let kind = if amount.is_negative() {
        LedgerKind::Charge
    } else {
        LedgerKind::Refund
    };
    let note = format!("Order {} {}", order.id, status);
    let posted = db::ledger::post(
        conn,
        &db::ledger::Posting {
            user_id: order.user_id,
            kind,
            amount,
            order_id: Some(order.id),
            actor_id,
            note: Some(&note),
            // A settlement follows what the provider delivered; it is never refused
            // for want of balance.
            allow_negative: true,
        },
    )?;
    match posted {
        db::ledger::PostingOutcome::Posted { .. } => Ok(amount),
        _ => Err(over_limit()),
    }
}

/// A posting that would take an amount or a balance past `Money::MAX`.
pub fn over_limit() -> AppError {
    AppError::business(
        "balance_limit",
        format!(
            "Amounts and balances are limited to {} either way; nothing was changed.",
            Money::MAX
        ),
    )
}
