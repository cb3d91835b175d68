//! Orders over JSON: placing, listing, reading; admin balance adjustments.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::db::orders::OrderFilter;
use crate::domain::{ForwardState, OrderStatus};
use crate::error::{AppError, AppResult};
use crate::service::balance::{self, AdjustmentDraft};
use crate::service::orders::{self, OrderDraft};
use crate::service::pagination::{link_query, ListQuery, ListRequest};
use crate::state::AppState;
use crate::web::auth::{ApiAdmin, ApiUser};
use crate::web::{actor, path_id};

/// SPEC §1's single order, or `{"orders":[…]}`.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum CreateOrders {
    Many { orders: Vec<OrderDraft> },
    One(OrderDraft),
}

#[post("/api/user/create-orders")]
pub async fn create(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    body: web::Json<CreateOrders>,
) -> AppResult<HttpResponse> {
    let drafts = match body.into_inner() {
        CreateOrders::Many { orders } => orders,
        CreateOrders::One(order) => vec![order],
    };
    let placed = orders::place_async(&state, user, drafts).await?;
    Ok(HttpResponse::Created().json(placed))
}

#[derive(Deserialize)]
pub struct OrdersQuery {
    pub status: Option<String>,
    pub q: Option<String>,
    #[serde(rename = "userId")]
    pub user_id: Option<String>,
    #[serde(rename = "providerId")]
    pub provider_id: Option<String>,
    #[serde(rename = "forwardState")]
    pub forward_state: Option<String>,
    #[serde(rename = "isManual")]
    pub is_manual: Option<String>,
    /// Only orders waiting for an admin's review.
    #[serde(rename = "needsReview")]
    pub needs_review: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub from: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub to: Option<String>,
    #[serde(flatten)]
    pub page: ListQuery,
}

impl OrdersQuery {
    /// The filter, with unknown values refused (400) rather than ignored.
    pub fn filter(&self) -> AppResult<OrderFilter> {
        let non_empty = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let status = match non_empty(&self.status) {
            Some(s) => Some(
                OrderStatus::parse(&s)
                    .ok_or_else(|| AppError::validation("status", format!("'{s}' is not an order status.")))?,
            ),
            None => None,
        };
        let forward_state = match non_empty(&self.forward_state) {
            Some(s) => Some(
                ForwardState::parse(&s)
                    .ok_or_else(|| AppError::validation("forwardState", format!("'{s}' is not a forward state.")))?,
            ),
            None => None,
        };
        let date = |field: &'static str, raw: Option<String>| -> AppResult<Option<chrono::NaiveDate>> {
            raw.map(|d| {
                chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map_err(|_| AppError::validation(field, format!("'{d}' is not a date like 2026-11-25.")))
            })
            .transpose()
        };
        let from = date("from", non_empty(&self.from))?;
        let to = date("to", non_empty(&self.to))?;
        let is_manual = match non_empty(&self.is_manual) {
            Some(raw) => Some(crate::service::input::flag("isManual", "isManual", Some(&raw), false)?),
            None => None,
        };
        let needs_review = match non_empty(&self.needs_review) {
            Some(raw) => crate::service::input::flag("needsReview", "needsReview", Some(&raw), false)?,
            None => false,
        };
        Ok(OrderFilter {
            is_manual,
            needs_review,
            created_from: from.and_then(|d| d.and_hms_opt(0, 0, 0)),
            created_before: to.and_then(|d| d.succ_opt()).and_then(|d| d.and_hms_opt(0, 0, 0)),
            user_id: crate::service::input::optional_id("userId", "userId", non_empty(&self.user_id).as_deref())?,
            status,
            forward_state,
            provider_id: crate::service::input::optional_id(
                "providerId",
                "providerId",
                non_empty(&self.provider_id).as_deref(),
            )?,
            search: non_empty(&self.q),
        })
    }

    /// The filters and page size as a query string, for a page's Newer and Older links.
    pub fn link_query(&self) -> String {
        link_query(&[
            ("status", self.status.as_deref()),
            ("q", self.q.as_deref()),
            ("userId", self.user_id.as_deref()),
            ("providerId", self.provider_id.as_deref()),
            ("forwardState", self.forward_state.as_deref()),
            ("isManual", self.is_manual.as_deref()),
            ("needsReview", self.needs_review.as_deref()),
            ("from", self.from.as_deref()),
            ("to", self.to.as_deref()),
            ("perPage", self.page.per_page.as_deref()),
        ])
    }
}

#[get("/api/user/orders")]
pub async fn list_own(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    query: web::Query<OrdersQuery>,
) -> AppResult<HttpResponse> {
    let page = ListRequest::parse(&query.page)?;
    let filter = OrderFilter {
        user_id: Some(user.id),
        provider_id: None,
        forward_state: None,
        needs_review: false,
        ..query.filter()?
    };
    let list = state
        .run(move |s| orders::list(&mut *s.conn()?, &filter, page, false))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[get("/api/user/orders/{id}")]
pub async fn get_own(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    // Even an admin reads only their own orders here; /api/admin/orders shows all.
    let viewer = crate::service::accounts::Account {
        role: crate::domain::Role::User,
        ..user
    };
    let order = state.run(move |s| orders::get(&mut *s.conn()?, &viewer, id)).await?;
    Ok(HttpResponse::Ok().json(order))
}

#[get("/api/admin/orders")]
pub async fn list_all(
    state: web::Data<AppState>,
    _admin: ApiAdmin,
    query: web::Query<OrdersQuery>,
) -> AppResult<HttpResponse> {
    let page = ListRequest::parse(&query.page)?;
    let filter = query.filter()?;
    let list = state
        .run(move |s| orders::list(&mut *s.conn()?, &filter, page, true))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[post("/api/admin/users/{id}/balance")]
pub async fn adjust_balance(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiAdmin(admin): ApiAdmin,
    id: web::Path<String>,
    body: web::Json<AdjustmentDraft>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let actor = actor(&req, &admin);
    let balance = state
        .run(move |s| balance::adjust(&mut *s.conn()?, &actor, id, &body))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "balance": balance, "currency": state.config.panel_currency })))
}
