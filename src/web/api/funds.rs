//! Adding funds over JSON: a customer asks and lists their requests; an admin lists,
//! approves and rejects, and keeps the payment methods.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::error::{AppError, AppResult};
use crate::service::dashboard::refresh_badges;
use crate::service::funds::{self, FundState, MethodDraft, RequestDraft};
use crate::state::AppState;
use crate::web::auth::{ApiAdmin, ApiUser};
use crate::web::{actor, path_id};

/// The enabled methods and the caller's own requests.
#[get("/api/user/funds")]
pub async fn mine(state: web::Data<AppState>, ApiUser(user): ApiUser) -> AppResult<HttpResponse> {
    let user_id = user.id;
    let (methods, requests) = state
        .run(move |s| {
            let mut conn = s.conn()?;
            Ok((funds::methods(&mut conn, true)?, funds::for_user(&mut conn, user_id)?))
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "currency": state.config.panel_currency,
        "methods": methods,
        "requests": requests,
    })))
}

/// `{"methodId", "amount", "txnId"}`: a pending request (201).
#[post("/api/user/funds")]
pub async fn ask(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    body: web::Json<RequestDraft>,
) -> AppResult<HttpResponse> {
    let user_id = user.id;
    let request = state
        .run(move |s| {
            let request = funds::submit(&mut *s.conn()?, user_id, &body)?;
            refresh_badges(s);
            Ok(request)
        })
        .await?;
    Ok(HttpResponse::Created().json(request))
}

#[derive(Deserialize)]
pub struct AdminFundsQuery {
    state: Option<String>,
}

/// Requests in `?state=` (pending, approved, rejected or all; default pending).
#[get("/api/admin/funds")]
pub async fn list(
    state: web::Data<AppState>,
    ApiAdmin(_): ApiAdmin,
    query: web::Query<AdminFundsQuery>,
) -> AppResult<HttpResponse> {
    let filter = match query.state.as_deref().map(str::trim) {
        None | Some("") | Some("pending") => Some(FundState::Pending),
        Some("all") => None,
        Some(s) => Some(FundState::parse(s).ok_or_else(|| {
            AppError::validation("state", format!("'{s}' is not pending, approved, rejected or all."))
        })?),
    };
    let (items, methods) = state
        .run(move |s| {
            let mut conn = s.conn()?;
            Ok((funds::for_admin(&mut conn, filter)?, funds::methods(&mut conn, false)?))
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items, "methods": methods })))
}

#[post("/api/admin/funds/{id}/approve")]
pub async fn approve(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiAdmin(admin): ApiAdmin,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let actor = actor(&req, &admin);
    let (request, balance) = state
        .run(move |s| {
            let outcome = funds::approve(&mut *s.conn()?, &actor, id);
            refresh_badges(s);
            outcome
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "request": request, "balance": balance })))
}

#[derive(Deserialize)]
pub struct RejectBody {
    reason: Option<String>,
}

/// `{"reason"}`: rejects; the customer sees the reason.
#[post("/api/admin/funds/{id}/reject")]
pub async fn reject(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiAdmin(admin): ApiAdmin,
    id: web::Path<String>,
    body: web::Json<RejectBody>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let actor = actor(&req, &admin);
    let request = state
        .run(move |s| {
            let outcome = funds::reject(&mut *s.conn()?, &actor, id, body.reason.as_deref());
            refresh_badges(s);
            outcome
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "request": request })))
}

#[get("/api/admin/payment-methods")]
pub async fn list_methods(state: web::Data<AppState>, ApiAdmin(_): ApiAdmin) -> AppResult<HttpResponse> {
    let methods = state.run(|s| funds::methods(&mut *s.conn()?, false)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": methods })))
}

/// `{"name", "kind", "account", "instructions", "minAmount", "maxAmount", "enabled"}` (201).
#[post("/api/admin/payment-methods")]
pub async fn add_method(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiAdmin(admin): ApiAdmin,
    body: web::Json<MethodDraft>,
) -> AppResult<HttpResponse> {
    let actor = actor(&req, &admin);
    let method = state
        .run(move |s| funds::save_method(&mut *s.conn()?, &actor, None, &body))
        .await?;
    Ok(HttpResponse::Created().json(method))
}

/// Changes a method; every field is sent again (as `POST` takes them).
#[patch("/api/admin/payment-methods/{id}")]
pub async fn update_method(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiAdmin(admin): ApiAdmin,
    id: web::Path<String>,
    body: web::Json<MethodDraft>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let actor = actor(&req, &admin);
    let method = state
        .run(move |s| funds::save_method(&mut *s.conn()?, &actor, Some(id), &body))
        .await?;
    Ok(HttpResponse::Ok().json(method))
}
