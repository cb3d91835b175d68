//! Admin pages: all orders, one order, sync rounds — with the "Sync" buttons.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use askama::Template;

use super::auth::EmptyForm;
use super::{render, see_other, PageContext, PageError};
use crate::db::models::SyncRoundRow;
use crate::domain::{ForwardState, OrderStatus};
use crate::error::AppError;
use crate::service::orders::{self, OrderView};
use crate::service::pagination::{link_query, CursorPage, ListQuery, ListRequest, PageRequest, Paged};
use crate::service::sync::{self, SyncStatus};
use crate::state::AppState;
use crate::web::api::orders::OrdersQuery;
use crate::web::auth::PageAdmin;
use crate::web::forms::CsrfForm;
use crate::web::path_id;
use crate::web::session::{self, FlashKind};

#[derive(Template)]
#[template(path = "admin/orders.html")]
struct OrdersPage {
    ctx: PageContext,
    orders: CursorPage<OrderView>,
    status: String,
    forward_state: String,
    q: String,
    statuses: [OrderStatus; 6],
    forward_states: [ForwardState; 6],
    manual: String,
    from: String,
    to: String,
    user_id: String,
    provider_id: String,
    needs_review: bool,
    /// Providers to filter by: id and name.
    providers: Vec<(i64, String)>,
    /// The filters the Newer and Older links carry.
    filters: String,
    users: UserEmails,
}

/// The emails of the users some orders belong to: the admin pages name the customer,
/// not a number, and link to that customer's orders.
pub struct UserEmails(std::collections::HashMap<i64, String>);

impl UserEmails {
    fn load(conn: &mut crate::db::DbConnection, ids: impl IntoIterator<Item = i64>) -> diesel::QueryResult<Self> {
        let ids: Vec<i64> = ids.into_iter().collect();
        Ok(Self(crate::db::users::emails(conn, &ids)?.into_iter().collect()))
    }

    fn of_orders(conn: &mut crate::db::DbConnection, orders: &[OrderView]) -> diesel::QueryResult<Self> {
        Self::load(conn, orders.iter().filter_map(|o| o.admin.as_ref()).map(|a| a.user_id))
    }

    /// The user's email, or `#id` for one the page could not find.
    pub fn of(&self, id: &i64) -> String {
        self.0.get(id).cloned().unwrap_or_else(|| format!("#{id}"))
    }
}

#[get("/admin/orders")]
pub async fn list(
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    query: web::Query<OrdersQuery>,
) -> Result<HttpResponse, PageError> {
    let page = ListRequest::parse(&query.page)?;
    let filter = query.filter()?;
    let needs_review = filter.needs_review;
    let (orders, providers, users) = state
        .run(move |s| {
            let mut conn = s.conn()?;
            let orders = orders::list(&mut conn, &filter, page, true)?;
            let providers = crate::service::providers::list(&mut conn)?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect();
            let users = UserEmails::of_orders(&mut conn, &orders.items)?;
            Ok((orders, providers, users))
        })
        .await?;
    let page = OrdersPage {
        ctx: PageContext::new(&session, &state, Some(&admin)),
        orders,
        status: query.status.clone().unwrap_or_default(),
        forward_state: query.forward_state.clone().unwrap_or_default(),
        q: query.q.clone().unwrap_or_default(),
        statuses: OrderStatus::ALL,
        forward_states: ForwardState::ALL,
        manual: query.is_manual.clone().unwrap_or_default(),
        from: query.from.clone().unwrap_or_default(),
        to: query.to.clone().unwrap_or_default(),
        user_id: query.user_id.clone().unwrap_or_default(),
        provider_id: query.provider_id.clone().unwrap_or_default(),
        needs_review,
        providers,
        filters: query.link_query(),
        users,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "admin/order.html")]
struct OrderPage {
    ctx: PageContext,
    order: OrderView,
    users: UserEmails,
    /// The name of the order's provider, if it has one that still exists.
    provider_name: Option<String>,
}

#[get("/admin/orders/{id}")]
pub async fn detail(
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = path_id(&id)?;
    let viewer = admin.clone();
    let (order, users, provider_name) = state
        .run(move |s| {
            let mut conn = s.conn()?;
            let order = orders::get(&mut conn, &viewer, id)?;
            let users = UserEmails::of_orders(&mut conn, std::slice::from_ref(&order))?;
            let provider_name = match order.admin.as_ref().and_then(|a| a.provider_id) {
                Some(provider) => crate::db::providers::find(&mut conn, provider)?.map(|p| p.name),
                None => None,
            };
            Ok((order, users, provider_name))
        })
        .await?;
    let page = OrderPage {
        ctx: PageContext::new(&session, &state, Some(&admin)),
        order,
        users,
        provider_name,
    };
    Ok(render(StatusCode::OK, &page))
}

/// "Sync" on an order's admin view: asks its provider now, even if final.
#[post("/admin/orders/{id}/sync")]
pub async fn sync_order(
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    id: web::Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let id = path_id(&id)?;
    match state.run(move |s| sync::check_order(s, &admin, id, true)).await {
        Ok(check) if check.changed => session::flash(
            &session,
            FlashKind::Success,
            format!("Order {id} is now {}.", check.order.status),
        ),
        Ok(check) => session::flash(
            &session,
            FlashKind::Info,
            format!("Order {id} is unchanged ({}).", check.order.status),
        ),
        Err(e @ (AppError::Business { .. } | AppError::Provider { .. })) => {
            session::flash(&session, FlashKind::Error, e.to_string())
        }
        Err(e) => return Err(e.into()),
    }
    Ok(see_other(&format!("/admin/orders/{id}")))
}

#[derive(Template)]
#[template(path = "admin/sync.html")]
struct SyncPage {
    ctx: PageContext,
    sync: SyncStatus,
}

/// The rate an order was priced at: `1.20 USD/1000 at 120 BDT/USD`.
pub fn rate_used(ctx: &PageContext, admin: &crate::service::orders::AdminOrderFields, currency: &str) -> String {
    ctx.lang.t_args(
        "ops-rate-used-value",
        &[
            ("rate", ctx.fig(admin.rate_usd_per_1000)),
            ("exchange", ctx.fig(admin.usd_to_bdt)),
            ("currency", currency.to_string()),
        ],
    )
}

impl SyncRoundRow {
    /// How long the round took (`2.5 s`), or that it is still running.
    pub fn duration(&self, ctx: &PageContext) -> String {
        match self.finished_at {
            Some(end) => {
                let secs = format!("{:.1}", (end - self.started_at).num_milliseconds() as f32 / 1000.0);
                ctx.lang.t_args("ops-seconds", &[("n", ctx.fig(secs))])
            }
            None => ctx.t("ops-running"),
        }
    }

    /// What started the round, in the page's language.
    pub fn trigger_name(&self, ctx: &PageContext) -> String {
        ctx.name("ops-trigger", &self.trigger)
    }

    /// The round in one sentence (the admin overview).
    pub fn summary(&self, ctx: &PageContext) -> String {
        ctx.lang.t_args(
            "ops-last-round",
            &[
                ("id", self.id.to_string()),
                ("trigger", self.trigger_name(ctx)),
                ("at", ctx.when_secs(&self.started_at)),
                ("checked", ctx.num(self.checked)),
                ("changed", ctx.num(self.changed)),
                ("errors", ctx.num(self.errors)),
            ],
        )
    }
}

#[get("/admin/sync")]
pub async fn rounds(
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
) -> Result<HttpResponse, PageError> {
    let sync = state.run(sync::status).await?;
    let page = SyncPage {
        ctx: PageContext::new(&session, &state, Some(&admin)),
        sync,
    };
    Ok(render(StatusCode::OK, &page))
}

/// "Sync now": starts a round on a background thread.
#[post("/admin/sync")]
pub async fn sync_now(
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(_admin): PageAdmin,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let runner = format!("{}-admin", state.runner_id);
    match state.run(move |s| sync::start_round_now(s, &runner)).await? {
        Some(round) => session::flash(
            &session,
            FlashKind::Success,
            format!("Sync round {} started.", round.id),
        ),
        None => session::flash(&session, FlashKind::Info, "A sync round is already running."),
    }
    Ok(see_other("/admin/sync"))
}

/// Saves the edit form of an order's admin view (status, start count, remains, notes).
#[post("/admin/orders/{id}")]
pub async fn edit(
    req: actix_web::HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<crate::service::admin_orders::OrderEdit>,
) -> Result<HttpResponse, PageError> {
    let id = path_id(&id)?;
    let actor = crate::web::actor(&req, &admin);
    match state
        .run(move |s| crate::service::admin_orders::edit(s, &actor, id, &form))
        .await
    {
        Ok(order) => session::flash(
            &session,
            FlashKind::Success,
            format!("Order {id} saved: {}.", order.status),
        ),
        Err(e @ AppError::Validation { .. }) => session::flash(
            &session,
            FlashKind::Error,
            format!("Not saved: {e} Nothing was changed."),
        ),
        Err(e @ AppError::Stale { .. }) => session::flash(&session, FlashKind::Error, e.to_string()),
        Err(e) => return Err(e.into()),
    }
    Ok(see_other(&format!("/admin/orders/{id}")))
}

#[post("/admin/orders/{id}/resolve")]
pub async fn resolve(
    req: actix_web::HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<crate::service::admin_orders::Resolution>,
) -> Result<HttpResponse, PageError> {
    let id = path_id(&id)?;
    let actor = crate::web::actor(&req, &admin);
    let action = form.action.clone().unwrap_or_default();
    match state
        .run(move |s| {
            let order = crate::service::admin_orders::resolve(s, &actor, id, &form)?;
            crate::service::dashboard::refresh_badges(s);
            Ok(order)
        })
        .await
    {
        Ok(order) => session::flash(
            &session,
            FlashKind::Success,
            format!("Order {id}: {action} done; it is now {}.", order.forward_state),
        ),
        Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. } | AppError::Stale { .. })) => {
            session::flash(&session, FlashKind::Error, e.to_string())
        }
        Err(e) => return Err(e.into()),
    }
    Ok(see_other("/admin/review"))
}

#[derive(Template)]
#[template(path = "admin/review.html")]
struct ReviewPage {
    ctx: PageContext,
    orders: CursorPage<OrderView>,
    /// The page size the Newer and Older links carry.
    filters: String,
    users: UserEmails,
}

#[get("/admin/review")]
pub async fn review(
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let page = ListRequest::parse(&query)?;
    let filter = crate::db::orders::OrderFilter {
        needs_review: true,
        ..Default::default()
    };
    let (orders, users) = state
        .run(move |s| {
            let mut conn = s.conn()?;
            let orders = orders::list(&mut conn, &filter, page, true)?;
            let users = UserEmails::of_orders(&mut conn, &orders.items)?;
            Ok((orders, users))
        })
        .await?;
    let page = ReviewPage {
        ctx: PageContext::new(&session, &state, Some(&admin)),
        orders,
        filters: link_query(&[("perPage", query.per_page.as_deref())]),
        users,
    };
    Ok(render(StatusCode::OK, &page))
}

/// "Sync selected" from the orders list: each ticked order (`order_<id>` boxes) is
/// checked with its provider now.
#[post("/admin/orders/sync-selected")]
pub async fn sync_selected(
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    CsrfForm(form): CsrfForm<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let ids: Vec<i64> = form
        .keys()
        .filter_map(|k| k.strip_prefix("order_")?.parse().ok())
        .collect();
    if ids.is_empty() {
        session::flash(&session, FlashKind::Info, "Tick the orders to sync first.");
        return Ok(see_other("/admin/orders"));
    }
    // Each is a provider call made while the admin waits: a page's worth at most.
    const MAX_SELECTED: usize = 100;
    if ids.len() > MAX_SELECTED {
        session::flash(
            &session,
            FlashKind::Error,
            format!("Sync at most {MAX_SELECTED} orders at once (a page of the list); nothing was synced."),
        );
        return Ok(see_other("/admin/orders"));
    }
    let results = state
        .run(move |s| {
            Ok(ids
                .iter()
                .map(|id| (*id, sync::check_order(s, &admin, *id, true)))
                .collect::<Vec<_>>())
        })
        .await?;
    let changed = results
        .iter()
        .filter(|(_, r)| r.as_ref().is_ok_and(|c| c.changed))
        .count();
    let failed: Vec<String> = results
        .iter()
        .filter_map(|(id, r)| r.as_ref().err().map(|e| format!("{id}: {e}")))
        .collect();
    let mut message = format!("Checked {} orders, {changed} changed.", results.len());
    if !failed.is_empty() {
        message.push_str(&format!(" Not checked: {}", failed.join("; ")));
    }
    session::flash(
        &session,
        if failed.is_empty() {
            FlashKind::Success
        } else {
            FlashKind::Error
        },
        message,
    );
    Ok(see_other("/admin/orders"))
}

#[derive(Template)]
#[template(path = "admin/manual.html")]
struct ManualPage {
    ctx: PageContext,
    catalog: Vec<(
        crate::db::models::CategoryRow,
        Vec<crate::service::catalog::ServiceView>,
    )>,
    usd_to_bdt: crate::domain::Rate,
    form: crate::service::admin_orders::ManualOrderDraft,
    errors: crate::web::forms::FormErrors,
    /// The user search as typed, and what it found (at most `USER_MATCHES`).
    user_query: String,
    matches: Option<Vec<crate::service::accounts::Account>>,
    /// The user the order is for, once chosen (or typed as an id).
    chosen: Option<crate::service::accounts::Account>,
}

/// Users a search lists at most (a narrower search finds the rest).
const USER_MATCHES: i64 = 10;

/// `?user=` searches users by email; `?userId=` picks one (the search step of the
/// manual-order form, which works without JavaScript).
#[derive(serde::Deserialize, Default)]
pub struct ManualQuery {
    user: Option<String>,
    #[serde(rename = "userId")]
    user_id: Option<String>,
}

impl crate::service::catalog::ServiceView {
    /// The price of 1000 units at `exchange` (for the live price on admin forms).
    pub fn price_per_1000(&self, exchange: &crate::domain::Rate) -> String {
        self.rate_usd_per_1000
            .price(1000, *exchange)
            .map(|p| p.to_string())
            .unwrap_or_default()
    }
}

async fn manual_page(
    session: &Session,
    state: &AppState,
    admin: &crate::service::accounts::Account,
    form: crate::service::admin_orders::ManualOrderDraft,
    errors: crate::web::forms::FormErrors,
    status: StatusCode,
    user_query: String,
) -> Result<HttpResponse, PageError> {
    let chosen_id = form
        .user_id
        .as_deref()
        .and_then(|id| id.trim().parse::<i64>().ok())
        .filter(|id| *id > 0);
    let search = user_query.trim().to_string();
    // The user search, the chosen user and the catalogue, on one blocking hop.
    let (matches, chosen, catalog, usd_to_bdt) = state
        .run(move |s| {
            let matches = if search.is_empty() {
                None
            } else {
                let page = crate::service::pagination::PageRequest {
                    page: 1,
                    per_page: USER_MATCHES,
                };
                Some(crate::service::accounts::list(s, Some(&search), page)?.items)
            };
            let mut conn = s.conn()?;
            let chosen = match chosen_id {
                Some(id) => crate::service::accounts::find(&mut conn, id)?,
                None => None,
            };
            let services = crate::service::catalog::list_services(&mut conn)?;
            let catalog = crate::service::catalog::list_categories(&mut conn)?
                .into_iter()
                .map(|c| {
                    let own = services.iter().filter(|sv| sv.category_id == c.id).cloned().collect();
                    (c, own)
                })
                .collect();
            Ok((
                matches,
                chosen,
                catalog,
                crate::service::settings::usd_to_bdt(&mut conn)?,
            ))
        })
        .await?;
    let page = ManualPage {
        ctx: PageContext::new(session, state, Some(admin)),
        catalog,
        usd_to_bdt,
        form,
        errors,
        user_query,
        matches,
        chosen,
    };
    Ok(render(status, &page))
}

#[get("/admin/orders/manual")]
pub async fn manual_form(
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    query: web::Query<ManualQuery>,
) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    let form = crate::service::admin_orders::ManualOrderDraft {
        charge: Some("true".into()),
        user_id: query.user_id,
        ..Default::default()
    };
    let search = query.user.unwrap_or_default();
    manual_page(
        &session,
        &state,
        &admin,
        form,
        Default::default(),
        StatusCode::OK,
        search,
    )
    .await
}

#[post("/admin/orders/manual")]
pub async fn manual_create(
    req: actix_web::HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    CsrfForm(form): CsrfForm<crate::service::admin_orders::ManualOrderDraft>,
) -> Result<HttpResponse, PageError> {
    let form = crate::service::admin_orders::ManualOrderDraft {
        charge: Some(form.charge.is_some().to_string()),
        ..form
    };
    let actor = crate::web::actor(&req, &admin);
    let draft = form.clone();
    match state
        .run(move |s| crate::service::admin_orders::create_manual(s, &actor, &draft))
        .await
    {
        Ok(order) => {
            let charged = if order.charge.is_zero() {
                "not charged".to_string()
            } else {
                format!("{} {} charged", order.charge, order.currency)
            };
            session::flash(
                &session,
                FlashKind::Success,
                format!("Manual order {} created ({charged}).", order.id),
            );
            Ok(see_other(&format!("/admin/orders/{}", order.id)))
        }
        Err(e @ (AppError::Validation { .. } | AppError::NotFound(_) | AppError::Business { .. })) => {
            let status = actix_web::ResponseError::status_code(&e);
            let mut errors = crate::web::forms::FormErrors::default();
            let field = match &e {
                AppError::NotFound(m) if m.contains("user") => "userId",
                AppError::NotFound(_) => "serviceId",
                other => other.field().unwrap_or("form"),
            };
            errors.add(field, e.to_string());
            manual_page(&session, &state, &admin, form, errors, status, String::new()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin/requests.html")]
struct RequestsPage {
    ctx: PageContext,
    kind: String,
    open_only: bool,
    requests: Paged<crate::service::requests::RequestView>,
    users: UserEmails,
}

#[derive(serde::Deserialize)]
pub struct RequestsPageQuery {
    kind: Option<String>,
    all: Option<String>,
    #[serde(flatten)]
    page: crate::service::pagination::PageQuery,
}

/// Refill and cancel requests: open ones first (those an admin may have to settle).
#[get("/admin/requests")]
pub async fn requests(
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    query: web::Query<RequestsPageQuery>,
) -> Result<HttpResponse, PageError> {
    let page = PageRequest::parse(&query.page)?;
    let kind = crate::domain::RequestKind::parse(query.kind.as_deref().unwrap_or("refill"))
        .unwrap_or(crate::domain::RequestKind::Refill);
    let open_only = query.all.is_none();
    let filter = crate::db::requests::RequestFilter {
        kind: Some(kind),
        open: open_only.then_some(true),
        ..Default::default()
    };
    let (requests, users) = state
        .run(move |s| {
            let mut conn = s.conn()?;
            let requests = crate::service::requests::list(&mut conn, &filter, page)?;
            let users = UserEmails::load(&mut conn, requests.items.iter().filter_map(|r| r.user_id))?;
            Ok((requests, users))
        })
        .await?;
    let page = RequestsPage {
        ctx: PageContext::new(&session, &state, Some(&admin)),
        kind: kind.as_str().to_string(),
        open_only,
        requests,
        users,
    };
    Ok(render(StatusCode::OK, &page))
}

#[post("/admin/requests/{id}/resolve")]
pub async fn resolve_request(
    req: actix_web::HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<crate::service::requests::RequestResolution>,
) -> Result<HttpResponse, PageError> {
    let id = path_id(&id)?;
    let actor = crate::web::actor(&req, &admin);
    let outcome = state
        .run(move |s| crate::service::requests::resolve(s, &actor, id, &form))
        .await;
    let kind = match outcome {
        Ok(view) => {
            session::flash(
                &session,
                FlashKind::Success,
                format!(
                    "Request {id} is now {} ({}).",
                    view.status.replace('_', " "),
                    view.state
                ),
            );
            view.kind
        }
        Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. })) => {
            session::flash(&session, FlashKind::Error, e.to_string());
            "refill".to_string()
        }
        Err(e) => return Err(e.into()),
    };
    Ok(see_other(&format!("/admin/requests?kind={kind}")))
}
