//! The signed-in user's own data.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use serde_json::json;

use crate::db;
use crate::domain::Money;
use crate::error::AppResult;
use crate::service::accounts;
use crate::service::balance;
use crate::service::pagination::{ListQuery, ListRequest};
use crate::state::AppState;
use crate::web::auth::ApiUser;

#[get("/api/user/me")]
pub async fn me(state: web::Data<AppState>, ApiUser(account): ApiUser) -> AppResult<HttpResponse> {
    let user_id = account.id;
    let api_key = state
        .run(move |s| accounts::api_key(s, &mut *s.conn()?, user_id))
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "id": account.id,
        "email": account.email,
        "role": account.role,
        "balance": account.balance,
        "currency": state.config.panel_currency,
        "apiKey": api_key,
    })))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    id: i64,
    kind: String,
    amount: Money,
    balance_after: Money,
    order_id: Option<i64>,
    note: Option<String>,
    created_at: chrono::NaiveDateTime,
}

impl From<db::models::LedgerRow> for Transaction {
    fn from(row: db::models::LedgerRow) -> Self {
        Self {
            id: row.id,
            kind: row.kind,
            amount: Money::from_micros(row.amount),
            balance_after: Money::from_micros(row.balance_after),
            order_id: row.order_id,
            note: row.note,
            created_at: row.created_at,
        }
    }
}

#[get("/api/user/transactions")]
pub async fn transactions(
    state: web::Data<AppState>,
    ApiUser(account): ApiUser,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let request = ListRequest::parse(&query)?;
    let user_id = account.id;
    let page = state
        .run(move |s| balance::transactions(&mut *s.conn()?, user_id, request))
        .await?;
    Ok(HttpResponse::Ok().json(page.map(Transaction::from)))
}
