//! Admin: the users list.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
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

#[post("/admin/users/{id}/balance")]
pub async fn adjust_balance(
    req: actix_web::HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    id: web::Path<String>,
    crate::web::forms::CsrfForm(form): crate::web::forms::CsrfForm<crate::service::balance::AdjustmentDraft>,
) -> Result<HttpResponse, PageError> {
    use crate::error::AppError;
    use crate::web::session::{flash, FlashKind};
    let id = crate::web::path_id(&id)?;
    let actor = crate::web::actor(&req, &admin);
    match state
        .run(move |s| crate::service::balance::adjust(&mut *s.conn()?, &actor, id, &form))
        .await
    {
        Ok(balance) => flash(
            &session,
            FlashKind::Success,
            format!("User {id}'s balance is now {balance} {}.", state.config.panel_currency),
        ),
        Err(e @ (AppError::Validation { .. } | AppError::Business { .. })) => flash(
            &session,
            FlashKind::Error,
            format!("User {id}: {e} Nothing was changed."),
        ),
        Err(e) => return Err(e.into()),
    }
    Ok(super::see_other(&format!("/admin/users#user-{id}")))
}
