//! Admin JSON routes: manual orders, order edits and review resolution, users,
//! admins, the audit log.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::domain::{Email, Password, Role};
use crate::error::{AppError, AppResult};
use crate::service::accounts;
use crate::service::admin_orders::{self, ManualOrderDraft, OrderEdit, Resolution};
use crate::service::input::{self, lenient_string};
use crate::service::orders;
use crate::service::pagination::{PageQuery, PageRequest, Paged};
use crate::state::AppState;
use crate::web::auth::{ApiAdmin, ApiSuperAdmin};
use crate::web::{actor, path_id};

#[post("/api/admin/orders/manual")]
pub async fn create_manual(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiAdmin(admin): ApiAdmin,
    body: web::Json<ManualOrderDraft>,
) -> AppResult<HttpResponse> {
    let actor = actor(&req, &admin);
    let order = state
        .run(move |s| admin_orders::create_manual(s, &actor, &body))
        .await?;
    Ok(HttpResponse::Created().json(order))
}

#[get("/api/admin/orders/{id}")]
pub async fn get_order(
    state: web::Data<AppState>,
    ApiAdmin(admin): ApiAdmin,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let order = state.run(move |s| orders::get(&mut *s.conn()?, &admin, id)).await?;
    Ok(HttpResponse::Ok().json(order))
}

#[patch("/api/admin/orders/{id}")]
pub async fn edit_order(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiAdmin(admin): ApiAdmin,
    id: web::Path<String>,
    body: web::Json<OrderEdit>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let actor = actor(&req, &admin);
    let order = state.run(move |s| admin_orders::edit(s, &actor, id, &body)).await?;
    Ok(HttpResponse::Ok().json(order))
}

#[post("/api/admin/orders/{id}/resolve")]
pub async fn resolve(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiAdmin(admin): ApiAdmin,
    id: web::Path<String>,
    body: web::Json<Resolution>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let actor = actor(&req, &admin);
    let order = state.run(move |s| admin_orders::resolve(s, &actor, id, &body)).await?;
    Ok(HttpResponse::Ok().json(order))
}

#[derive(Deserialize)]
pub struct UserPatch {
    #[serde(default, deserialize_with = "lenient_string")]
    disabled: Option<String>,
}

#[patch("/api/admin/users/{id}")]
pub async fn update_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiAdmin(admin): ApiAdmin,
    id: web::Path<String>,
    body: web::Json<UserPatch>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let disabled = match body.disabled.as_deref() {
        Some(raw) => input::flag("disabled", "disabled", Some(raw), false)?,
        None => return Err(AppError::validation("disabled", "Send {\"disabled\": true|false}.")),
    };
    let actor = actor(&req, &admin);
    let account = state
        .run(move |s| accounts::set_disabled(s, &actor, &admin, id, disabled))
        .await?;
    Ok(HttpResponse::Ok().json(account))
}

#[derive(Deserialize)]
pub struct NewAdmin {
    email: Option<String>,
    password: Option<String>,
}

#[post("/api/admin/admins")]
pub async fn create_admin(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiSuperAdmin(admin): ApiSuperAdmin,
    body: web::Json<NewAdmin>,
) -> AppResult<HttpResponse> {
    let email =
        Email::parse(body.email.as_deref().unwrap_or_default()).map_err(|m| AppError::validation("email", m))?;
    let password = Password::parse(body.password.as_deref().unwrap_or_default())
        .map_err(|m| AppError::validation("password", m))?;
    let actor = actor(&req, &admin);
    let id = state
        .run(move |s| accounts::create_admin(s, &email, &password, Role::Admin, &actor))
        .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": id })))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    id: i64,
    actor_id: Option<i64>,
    action: String,
    target: Option<String>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    ip: Option<String>,
    created_at: chrono::NaiveDateTime,
}

impl From<crate::db::models::AuditRow> for AuditEntry {
    fn from(row: crate::db::models::AuditRow) -> Self {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        Self {
            id: row.id,
            actor_id: row.actor_id,
            action: row.action,
            target: row.target,
            before: parse(row.before_json),
            after: parse(row.after_json),
            ip: row.ip,
            created_at: row.created_at,
        }
    }
}

#[derive(Deserialize)]
pub struct AuditQuery {
    pub action: Option<String>,
    #[serde(flatten)]
    pub page: PageQuery,
}

#[get("/api/admin/audit")]
pub async fn audit(
    state: web::Data<AppState>,
    _admin: ApiAdmin,
    query: web::Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    let request = PageRequest::parse(&query.page)?;
    let action = query.action.clone().filter(|a| !a.trim().is_empty());
    let (rows, total) = state
        .run(move |s| {
            Ok(crate::db::audit::page(
                &mut *s.conn()?,
                action.as_deref(),
                request.offset(),
                request.limit(),
            )?)
        })
        .await?;
    let items = rows.into_iter().map(AuditEntry::from).collect();
    Ok(HttpResponse::Ok().json(Paged::<AuditEntry>::new(items, request, total)))
}
