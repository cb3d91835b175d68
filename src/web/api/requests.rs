//! Refill and cancel requests over JSON: the customer asks, the admin lists and
//! resolves (SPEC §8).

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::db::requests::RequestFilter;
use crate::domain::{RequestKind, RequestState};
use crate::error::{AppError, AppResult};
use crate::service::pagination::{PageQuery, PageRequest};
use crate::service::requests::{self, RequestResolution};
use crate::state::AppState;
use crate::web::auth::{ApiAdmin, ApiUser};
use crate::web::{actor, path_id};

async fn ask(
    state: web::Data<AppState>,
    user: crate::service::accounts::Account,
    id: &str,
    kind: RequestKind,
) -> AppResult<HttpResponse> {
    let id = path_id(id)?;
    let request = state.run(move |s| requests::request(s, &user, id, kind)).await?;
    Ok(HttpResponse::Created().json(request))
}

#[post("/api/user/orders/{id}/refill")]
pub async fn refill(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    ask(state, user, &id, RequestKind::Refill).await
}

#[post("/api/user/orders/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    ask(state, user, &id, RequestKind::Cancel).await
}

#[derive(Deserialize)]
pub struct RequestsQuery {
    state: Option<String>,
    open: Option<String>,
    #[serde(rename = "userId")]
    user_id: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

impl RequestsQuery {
    fn filter(&self, kind: RequestKind) -> AppResult<RequestFilter> {
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let state = match text(&self.state) {
            Some(s) => Some(
                RequestState::parse(&s)
                    .ok_or_else(|| AppError::validation("state", format!("'{s}' is not a request state.")))?,
            ),
            None => None,
        };
        let open = match text(&self.open) {
            Some(raw) => Some(crate::service::input::flag("open", "open", Some(&raw), true)?),
            None => None,
        };
        Ok(RequestFilter {
            kind: Some(kind),
            state,
            open,
            user_id: crate::service::input::optional_id("userId", "userId", text(&self.user_id).as_deref())?,
        })
    }
}

async fn list(state: web::Data<AppState>, query: &RequestsQuery, kind: RequestKind) -> AppResult<HttpResponse> {
    let page = PageRequest::parse(&query.page)?;
    let filter = query.filter(kind)?;
    let list = state
        .run(move |s| requests::list(&mut *s.conn()?, &filter, page))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[get("/api/admin/refills")]
pub async fn admin_refills(
    state: web::Data<AppState>,
    _admin: ApiAdmin,
    query: web::Query<RequestsQuery>,
) -> AppResult<HttpResponse> {
    list(state, &query, RequestKind::Refill).await
}

#[get("/api/admin/cancels")]
pub async fn admin_cancels(
    state: web::Data<AppState>,
    _admin: ApiAdmin,
    query: web::Query<RequestsQuery>,
) -> AppResult<HttpResponse> {
    list(state, &query, RequestKind::Cancel).await
}

#[post("/api/admin/requests/{id}/resolve")]
pub async fn resolve(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiAdmin(admin): ApiAdmin,
    id: web::Path<String>,
    body: web::Json<RequestResolution>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let actor = actor(&req, &admin);
    let view = state.run(move |s| requests::resolve(s, &actor, id, &body)).await?;
    Ok(HttpResponse::Ok().json(view))
}
