//! Admin: the users list.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{render, PageContext, PageError};
use crate::service::accounts::{self, Account};
use crate::service::pagination::{PageQuery, PageRequest, Paged};
use crate::state::AppState;
use crate::web::auth::PageAdmin;

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    ctx: PageContext,
    users: Paged<Account>,
    q: String,
}

#[derive(Deserialize)]
pub struct UsersQuery {
    q: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

#[get("/admin/users")]
pub async fn list(
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    query: web::Query<UsersQuery>,
) -> Result<HttpResponse, PageError> {
    let request = PageRequest::parse(&query.page)?;
    let q = query.q.clone().unwrap_or_default();
    let search = Some(q.trim().to_string()).filter(|s| !s.is_empty());
    let users = state
        .run(move |s| accounts::list(s, search.as_deref(), request))
        .await?;
    let page = UsersPage {
        ctx: PageContext::new(&session, &state, Some(&admin)),
        users,
        q,
    };
    Ok(render(StatusCode::OK, &page))
}
