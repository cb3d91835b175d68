//! `GET /healthz` for load balancers: 200 when the database answers, 503 when not.

use actix_web::{get, web, HttpResponse};
use serde_json::json;

use crate::state::AppState;

#[get("/healthz")]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.clone();
    let database_ok = web::block(move || crate::db::ping(&pool)).await.unwrap_or(false);
    if database_ok {
        HttpResponse::Ok().json(json!({"status": "ok", "database": "ok"}))
    } else {
        HttpResponse::ServiceUnavailable().json(json!({"status": "unavailable", "database": "unreachable"}))
    }
}
