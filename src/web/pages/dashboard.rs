//! The dashboard: balance and recent activity.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use askama::Template;

use super::{render, PageContext, PageError};
use crate::db;
use crate::service::accounts::Account;
use crate::state::AppState;
use crate::web::auth::PageUser;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    ctx: PageContext,
    account: Account,
    transactions: Vec<db::models::LedgerRow>,
}

#[get("/")]
pub async fn dashboard(
    session: Session,
    state: web::Data<AppState>,
    PageUser(account): PageUser,
) -> Result<HttpResponse, PageError> {
    let user_id = account.id;
    let transactions = state
        .run(move |s| Ok(db::ledger::latest_for_user(&mut *s.conn()?, user_id, 5)?))
        .await?;
    let page = DashboardPage {
        ctx: PageContext::new(&session, &state, Some(&account)),
        account,
        transactions,
    };
    Ok(render(StatusCode::OK, &page))
}
