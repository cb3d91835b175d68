//! The customer's order pages: new order (live price), mass order, my orders, order
//! detail, transactions.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{render, see_other, PageContext, PageError};
use crate::db;
use crate::db::orders::OrderFilter;
use crate::domain::{Money, OrderStatus};
use crate::error::AppError;
use crate::service::accounts::Account;
use crate::service::catalog::{self, PublicCatalog};
use crate::service::orders::{self, OrderDraft, OrderView, MAX_ORDERS_PER_REQUEST};
use crate::service::pagination::{link_query, CursorPage, ListQuery, ListRequest};
use crate::state::AppState;
use crate::web::api::orders::OrdersQuery;
use crate::web::auth::PageUser;
use crate::web::forms::{CsrfForm, FormErrors};
use crate::web::path_id;
use crate::web::session::{self, FlashKind};

#[derive(Template)]
#[template(path = "orders/new.html")]
struct NewOrderPage {
    ctx: PageContext,
    catalog: PublicCatalog,
    form: OrderDraft,
    errors: FormErrors,
}

async fn new_order_page(
    session: &Session,
    state: &AppState,
    account: &Account,
    form: OrderDraft,
    errors: FormErrors,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let catalog = state.run(|s| catalog::public_catalog(s, &mut *s.conn()?)).await?;
    let page = NewOrderPage {
        ctx: PageContext::new(session, state, Some(account)),
        catalog,
        form,
        errors,
    };
    Ok(render(status, &page))
}

#[derive(Deserialize)]
pub struct NewOrderQuery {
    service: Option<String>,
}

#[get("/orders/new")]
pub async fn new_order(
    session: Session,
    state: web::Data<AppState>,
    PageUser(account): PageUser,
    query: web::Query<NewOrderQuery>,
) -> Result<HttpResponse, PageError> {
    let form = OrderDraft {
        service_id: query.service.clone(),
        ..Default::default()
    };
    new_order_page(&session, &state, &account, form, FormErrors::default(), StatusCode::OK).await
}

/// Refusals that re-show the form (anything else is an error page).
fn refused(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Validation { .. } | AppError::NotFound(_) | AppError::Business { .. }
    )
}

#[post("/orders")]
pub async fn place(
    session: Session,
    state: web::Data<AppState>,
    PageUser(account): PageUser,
    CsrfForm(form): CsrfForm<OrderDraft>,
) -> Result<HttpResponse, PageError> {
    let user = account.clone();
    let draft = form.clone();
    match state
        .run(move |s| orders::place(s, &user, &[draft], orders::Numbering::Orders))
        .await
    {
        Ok(placed) => {
            let order = &placed.orders[0];
            session::flash(
                &session,
                FlashKind::Success,
                format!(
                    "Order {} placed: {} {} charged.",
                    order.id, placed.total_cost, placed.currency
                ),
            );
            Ok(see_other(&format!("/orders/{}", order.id)))
        }
        Err(e) if refused(&e) => {
            let status = actix_web::ResponseError::status_code(&e);
            let mut errors = FormErrors::default();
            let field = match &e {
                AppError::NotFound(_) => "serviceId",
                other => other.field().unwrap_or("form"),
            };
            errors.add(field, e.to_string());
            new_order_page(&session, &state, &account, form, errors, status).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "orders/mass.html")]
struct MassOrderPage {
    ctx: PageContext,
    text: String,
    errors: FormErrors,
    max_lines: usize,
}

#[get("/orders/mass")]
pub async fn mass_form(session: Session, state: web::Data<AppState>, PageUser(account): PageUser) -> HttpResponse {
    let page = MassOrderPage {
        ctx: PageContext::new(&session, &state, Some(&account)),
        text: String::new(),
        errors: FormErrors::default(),
        max_lines: MAX_ORDERS_PER_REQUEST,
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct MassForm {
    #[serde(default)]
    orders: String,
}

/// `service|link|quantity` per line; blank lines are skipped. Returns the drafts and
/// the line each came from.
fn parse_mass(text: &str) -> Result<(Vec<OrderDraft>, Vec<usize>), AppError> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    if lines.is_empty() {
        return Err(AppError::validation(
            "orders",
            "Enter at least one line: service|link|quantity.",
        ));
    }
    if lines.len() > MAX_ORDERS_PER_REQUEST {
        return Err(AppError::validation(
            "orders",
            format!(
                "At most {MAX_ORDERS_PER_REQUEST} lines at once; this has {}.",
                lines.len()
            ),
        ));
    }
    let numbers = lines.iter().map(|(n, _)| *n).collect();
    let drafts = lines
        .into_iter()
        .map(|(number, line)| {
            let parts: Vec<&str> = line.split('|').map(str::trim).collect();
            match parts.as_slice() {
                [service, link, quantity] => Ok(OrderDraft {
                    category_id: None,
                    service_id: Some(service.to_string()),
                    link: Some(link.to_string()),
                    qty: Some(quantity.to_string()),
                    ..OrderDraft::default()
                }),
                _ => Err(AppError::validation(
                    "orders",
                    format!("Line {number}: expected service|link|quantity, got '{line}'."),
                )),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((drafts, numbers))
}

#[post("/orders/mass")]
pub async fn mass_place(
    session: Session,
    state: web::Data<AppState>,
    PageUser(account): PageUser,
    CsrfForm(form): CsrfForm<MassForm>,
) -> Result<HttpResponse, PageError> {
    // Mass-order errors name the line: number the drafts by their line in the box.
    let result = match parse_mass(&form.orders) {
        Ok((drafts, lines)) => {
            let user = account.clone();
            state
                .run(move |s| orders::place(s, &user, &drafts, orders::Numbering::Lines(&lines)))
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(placed) => {
            session::flash(
                &session,
                FlashKind::Success,
                format!(
                    "{} orders placed: {} {} charged.",
                    placed.orders_created, placed.total_cost, placed.currency
                ),
            );
            Ok(see_other("/orders"))
        }
        Err(e) if refused(&e) => {
            let status = actix_web::ResponseError::status_code(&e);
            let mut errors = FormErrors::default();
            errors.add("orders", e.to_string());
            let page = MassOrderPage {
                ctx: PageContext::new(&session, &state, Some(&account)),
                text: form.orders,
                errors,
                max_lines: MAX_ORDERS_PER_REQUEST,
            };
            Ok(render(status, &page))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "orders/list.html")]
struct OrdersPage {
    ctx: PageContext,
    orders: CursorPage<OrderView>,
    status: String,
    q: String,
    statuses: [OrderStatus; 6],
    /// The filters the Newer and Older links carry.
    filters: String,
}

#[get("/orders")]
pub async fn list(
    session: Session,
    state: web::Data<AppState>,
    PageUser(account): PageUser,
    query: web::Query<OrdersQuery>,
) -> Result<HttpResponse, PageError> {
    let page = ListRequest::parse(&query.page)?;
    let filter = OrderFilter {
        user_id: Some(account.id),
        provider_id: None,
        forward_state: None,
        ..query.filter()?
    };
    let orders = state
        .run(move |s| orders::list(&mut *s.conn()?, &filter, page, false))
        .await?;
    let page = OrdersPage {
        ctx: PageContext::new(&session, &state, Some(&account)),
        orders,
        status: query.status.clone().unwrap_or_default(),
        q: query.q.clone().unwrap_or_default(),
        statuses: OrderStatus::ALL,
        filters: query.link_query(),
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "orders/detail.html")]
struct OrderPage {
    ctx: PageContext,
    order: OrderView,
    requests: crate::service::requests::OrderRequests,
}

#[get("/orders/{id}")]
pub async fn detail(
    session: Session,
    state: web::Data<AppState>,
    PageUser(account): PageUser,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = path_id(&id)?;
    let viewer = Account {
        role: crate::domain::Role::User,
        ..account.clone()
    };
    let (order, requests) = state
        .run(move |s| {
            let mut conn = s.conn()?;
            let order = orders::get(&mut conn, &viewer, id)?;
            Ok((order, crate::service::requests::for_order(&mut conn, id)?))
        })
        .await?;
    let page = OrderPage {
        ctx: PageContext::new(&session, &state, Some(&account)),
        order,
        requests,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "transactions.html")]
struct TransactionsPage {
    ctx: PageContext,
    rows: CursorPage<db::models::LedgerRow>,
    /// The page size the Newer and Older links carry.
    filters: String,
}

impl db::models::LedgerRow {
    pub fn amount_money(&self) -> Money {
        Money::from_micros(self.amount)
    }

    pub fn balance_after_money(&self) -> Money {
        Money::from_micros(self.balance_after)
    }
}

#[get("/transactions")]
pub async fn transactions(
    session: Session,
    state: web::Data<AppState>,
    PageUser(account): PageUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let request = ListRequest::parse(&query)?;
    let user_id = account.id;
    let rows = state
        .run(move |s| crate::service::balance::transactions(&mut *s.conn()?, user_id, request))
        .await?;
    let page = TransactionsPage {
        ctx: PageContext::new(&session, &state, Some(&account)),
        rows,
        filters: link_query(&[("perPage", query.per_page.as_deref())]),
    };
    Ok(render(StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mass_order_lines_are_parsed_and_bad_lines_named() {
        let (drafts, lines) = parse_mass("1|https://x.com/a|100\n\n 2 | https://x.com/b | 50 \n").unwrap();
        assert_eq!(drafts.len(), 2);
        assert_eq!(lines, vec![1, 3]);
        assert_eq!(drafts[1].service_id.as_deref(), Some("2"));
        assert_eq!(drafts[1].qty.as_deref(), Some("50"));
        let e = parse_mass("1|https://x.com/a|100\n1|https://x.com/b").unwrap_err();
        assert!(e.to_string().starts_with("Line 2:"), "{e}");
        assert!(parse_mass("   \n").is_err());
        assert!(parse_mass(&"1|https://x.com|10\n".repeat(101)).is_err());
    }
}

/// The customer's "Refresh status": asks the provider now, at most once a minute per
/// order (an order checked within the last minute is shown as it is).
#[post("/orders/{id}/refresh")]
pub async fn refresh(
    session: Session,
    state: web::Data<AppState>,
    PageUser(account): PageUser,
    id: web::Path<String>,
    CsrfForm(_): CsrfForm<super::auth::EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let id = path_id(&id)?;
    let viewer = Account {
        role: crate::domain::Role::User,
        ..account
    };
    match state
        .run(move |s| crate::service::sync::check_order(s, &viewer, id, false))
        .await
    {
        Ok(check) => match check.skipped {
            Some(reason) => session::flash(&session, FlashKind::Info, format!("Not checked again: {reason}.")),
            None => session::flash(
                &session,
                FlashKind::Success,
                format!(
                    "Checked with the provider just now: the order is {}.",
                    check.order.status
                ),
            ),
        },
        Err(e @ (AppError::Business { .. } | AppError::Provider { .. })) => session::flash(
            &session,
            FlashKind::Error,
            format!("The status could not be refreshed: {e}"),
        ),
        Err(e) => return Err(e.into()),
    }
    Ok(see_other(&format!("/orders/{id}")))
}

/// The order page's "Ask for a refill" and "Cancel order" buttons.
#[post("/orders/{id}/{kind}")]
pub async fn ask(
    session: Session,
    state: web::Data<AppState>,
    PageUser(account): PageUser,
    path: web::Path<(String, String)>,
    CsrfForm(_): CsrfForm<super::auth::EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let (id, kind) = path.into_inner();
    let id = path_id(&id)?;
    let kind = match kind.as_str() {
        "refill" => crate::domain::RequestKind::Refill,
        "cancel" => crate::domain::RequestKind::Cancel,
        _ => return Err(AppError::NotFound("There is no such page.".into()).into()),
    };
    match state
        .run(move |s| crate::service::requests::request(s, &account, id, kind))
        .await
    {
        Ok(request) if request.status == "completed" => session::flash(
            &session,
            FlashKind::Success,
            "Canceled before it was sent; your balance is refunded.",
        ),
        Ok(_) => session::flash(
            &session,
            FlashKind::Success,
            match kind {
                crate::domain::RequestKind::Refill => "Refill requested; it is on its way to the provider.",
                crate::domain::RequestKind::Cancel => {
                    "Cancel requested; what is not delivered is refunded once the provider confirms."
                }
            },
        ),
        Err(e @ (AppError::Business { .. } | AppError::Conflict { .. })) => {
            session::flash(&session, FlashKind::Error, e.to_string())
        }
        Err(e) => return Err(e.into()),
    }
    Ok(see_other(&format!("/orders/{id}")))
}
