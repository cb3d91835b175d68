//! The dashboard: balance and recent activity.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use askama::Template;

use super::{render, PageContext, PageError};
use crate::db;
use crate::db::keyset::Position;
use crate::service::accounts::Account;
use crate::service::orders;
use crate::service::pagination::ListRequest;
use crate::state::AppState;
use crate::web::auth::PageUser;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    ctx: PageContext,
    account: Account,
    orders: Vec<crate::service::orders::OrderView>,
    transactions: Vec<db::models::LedgerRow>,
}

/// Rows of each "recent" list.
const RECENT: i64 = 5;

#[get("/")]
pub async fn dashboard(
    session: Session,
    state: web::Data<AppState>,
    PageUser(account): PageUser,
) -> Result<HttpResponse, PageError> {
    let user_id = account.id;
    let (orders, transactions) = state
        .run(move |s| {
            let mut conn = s.conn()?;
            let mine = db::orders::OrderFilter {
                user_id: Some(user_id),
                ..Default::default()
            };
            let first = ListRequest {
                position: Position::Offset(0),
                per_page: RECENT,
            };
            let orders = orders::list(&mut conn, &mine, first, false)?.items;
            Ok((orders, db::ledger::latest_for_user(&mut conn, user_id, RECENT)?))
        })
        .await?;
    let page = DashboardPage {
        ctx: PageContext::new(&session, &state, Some(&account)),
        account,
        orders,
        transactions,
    };
    Ok(render(StatusCode::OK, &page))
}
