//! Admin JSON routes.

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;

use crate::error::AppResult;
use crate::service::accounts;
use crate::service::pagination::{PageQuery, PageRequest};
use crate::state::AppState;
use crate::web::auth::ApiAdmin;

#[derive(Deserialize)]
pub struct UsersQuery {
    q: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

#[get("/api/admin/users")]
pub async fn users(
    state: web::Data<AppState>,
    _admin: ApiAdmin,
    query: web::Query<UsersQuery>,
) -> AppResult<HttpResponse> {
    let request = PageRequest::parse(&query.page)?;
    let search = query.q.clone().map(|q| q.trim().to_string()).filter(|q| !q.is_empty());
    let users = state
        .run(move |s| accounts::list(s, search.as_deref(), request))
        .await?;
    Ok(HttpResponse::Ok().json(users))
}
