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
use crate::service::pagination::{PageRequest, Paged};
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
    orders: Paged<OrderView>,
    status: String,
    forward_state: String,
    q: String,
    statuses: [OrderStatus; 6],
    forward_states: [ForwardState; 6],
}

#[get("/admin/orders")]
pub async fn list(
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    query: web::Query<OrdersQuery>,
) -> Result<HttpResponse, PageError> {
    let page = PageRequest::parse(&query.page)?;
    let filter = query.filter()?;
    let orders = state
        .run(move |s| orders::list(&mut *s.conn()?, &filter, page, true))
        .await?;
    let page = OrdersPage {
        ctx: PageContext::new(&session, &state, Some(&admin)),
        orders,
        status: query.status.clone().unwrap_or_default(),
        forward_state: query.forward_state.clone().unwrap_or_default(),
        q: query.q.clone().unwrap_or_default(),
        statuses: OrderStatus::ALL,
        forward_states: ForwardState::ALL,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "admin/order.html")]
struct OrderPage {
    ctx: PageContext,
    order: OrderView,
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
    let order = state.run(move |s| orders::get(&mut *s.conn()?, &viewer, id)).await?;
    let page = OrderPage {
        ctx: PageContext::new(&session, &state, Some(&admin)),
        order,
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

impl SyncRoundRow {
    pub fn duration(&self) -> String {
        match self.finished_at {
            Some(end) => format!("{:.1} s", (end - self.started_at).num_milliseconds() as f32 / 1000.0),
            None => "running".into(),
        }
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
