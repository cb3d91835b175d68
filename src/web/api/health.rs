//! `GET /healthz` for load balancers: 200 when the database answers, 503 when not.
//! `GET /readyz` for orchestrators: 200 only when the database answers and carries
//! every migration this build has (an instance started against an older schema, or
//! one whose database is gone, takes no traffic).

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

#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.clone();
    let pending = web::block(move || {
        crate::db::ping(&pool)
            .then(|| crate::db::migrations_pending(&pool))
            .flatten()
    })
    .await
    .ok()
    .flatten();
    match pending {
        Some(false) => HttpResponse::Ok().json(json!({"status": "ready", "database": "ok", "migrations": "current"})),
        Some(true) => HttpResponse::ServiceUnavailable().json(json!({
            "status": "not_ready", "database": "ok", "migrations": "pending"
        })),
        None => HttpResponse::ServiceUnavailable().json(json!({
            "status": "not_ready", "database": "unreachable"
        })),
    }
}
