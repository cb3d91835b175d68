//! Admin JSON routes for providers, categories, services and settings, and the
//! customers' priced service list.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::error::AppResult;
use crate::service::catalog::{self, CategoryDraft, ImportDraft, ServiceDraft};
use crate::service::input::lenient_string;
use crate::service::providers::{self, ProviderDraft};
use crate::service::settings;
use crate::state::AppState;
use crate::web::auth::{ApiAdmin, ApiUser};
use crate::web::{actor, path_id};

#[get("/api/services")]
pub async fn public_services(state: web::Data<AppState>, _user: ApiUser) -> AppResult<HttpResponse> {
    let catalog = state.run(|s| catalog::public_catalog(s, &mut *s.conn()?)).await?;
    Ok(HttpResponse::Ok().json(catalog))
}

#[get("/api/admin/providers")]
pub async fn list_providers(state: web::Data<AppState>, _admin: ApiAdmin) -> AppResult<HttpResponse> {
    let items = state.run(|s| providers::list(&mut *s.conn()?)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[post("/api/admin/providers")]
pub async fn create_provider(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiAdmin(admin): ApiAdmin,
    body: web::Json<ProviderDraft>,
) -> AppResult<HttpResponse> {
    let actor = actor(&req, &admin);
    let view = state.run(move |s| providers::create(s, &actor, &body)).await?;
    Ok(HttpResponse::Created().json(view))
}

#[get("/api/admin/providers/{id}")]
pub async fn get_provider(
    state: web::Data<AppState>,
    _admin: ApiAdmin,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let view = state.run(move |s| providers::get(&mut *s.conn()?, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[patch("/api/admin/providers/{id}")]
pub async fn update_provider(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiAdmin(admin): ApiAdmin,
    id: web::Path<String>,
    body: web::Json<ProviderDraft>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let actor = actor(&req, &admin);
    let view = state.run(move |s| providers::update(s, &actor, id, &body)).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[delete("/api/admin/providers/{id}")]
pub async fn delete_provider(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiAdmin(admin): ApiAdmin,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let actor = actor(&req, &admin);
    let kept = state.run(move |s| providers::delete(s, &actor, id)).await?;
    Ok(HttpResponse::Ok().json(json!({ "deleted": true, "keptForHistory": kept })))
}

#[post("/api/admin/providers/{id}/test")]
pub async fn test_provider(
    state: web::Data<AppState>,
    _admin: ApiAdmin,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let result = state.run(move |s| providers::test_connection(s, id)).await?;
    Ok(HttpResponse::Ok().json(result))
}

#[post("/api/admin/providers/{id}/import-services")]
pub async fn import_services(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiAdmin(admin): ApiAdmin,
    id: web::Path<String>,
    body: web::Json<ImportDraft>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let actor = actor(&req, &admin);
    let summary = state
        .run(move |s| catalog::import_services(s, &actor, id, &body))
        .await?;
    Ok(HttpResponse::Ok().json(summary))
}

#[get("/api/admin/categories")]
pub async fn list_categories(state: web::Data<AppState>, _admin: ApiAdmin) -> AppResult<HttpResponse> {
    let items = state.run(|s| catalog::list_categories(&mut *s.conn()?)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[post("/api/admin/categories")]
pub async fn create_category(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiAdmin(admin): ApiAdmin,
    body: web::Json<CategoryDraft>,
) -> AppResult<HttpResponse> {
    let actor = actor(&req, &admin);
    let row = state
        .run(move |s| catalog::create_category(&mut *s.conn()?, &actor, &body))
        .await?;
    Ok(HttpResponse::Created().json(row))
}

#[patch("/api/admin/categories/{id}")]
pub async fn update_category(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiAdmin(admin): ApiAdmin,
    id: web::Path<String>,
    body: web::Json<CategoryDraft>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let actor = actor(&req, &admin);
    let row = state
        .run(move |s| catalog::update_category(&mut *s.conn()?, &actor, id, &body))
        .await?;
    Ok(HttpResponse::Ok().json(row))
}

#[get("/api/admin/services")]
pub async fn list_services(state: web::Data<AppState>, _admin: ApiAdmin) -> AppResult<HttpResponse> {
    let items = state.run(|s| catalog::list_services(&mut *s.conn()?)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[post("/api/admin/services")]
pub async fn create_service(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiAdmin(admin): ApiAdmin,
    body: web::Json<ServiceDraft>,
) -> AppResult<HttpResponse> {
    let actor = actor(&req, &admin);
    let view = state
        .run(move |s| catalog::create_service(&mut *s.conn()?, &actor, &body))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[get("/api/admin/services/{id}")]
pub async fn get_service(
    state: web::Data<AppState>,
    _admin: ApiAdmin,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let view = state.run(move |s| catalog::get_service(&mut *s.conn()?, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[patch("/api/admin/services/{id}")]
pub async fn update_service(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiAdmin(admin): ApiAdmin,
    id: web::Path<String>,
    body: web::Json<ServiceDraft>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let actor = actor(&req, &admin);
    let view = state
        .run(move |s| catalog::update_service(&mut *s.conn()?, &actor, id, &body))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsBody {
    #[serde(default, deserialize_with = "lenient_string", alias = "usd_to_bdt")]
    usd_to_bdt: Option<String>,
    /// Units of another currency one USD buys, for providers that charge in it.
    #[serde(default)]
    usd_rates: std::collections::BTreeMap<String, String>,
}

#[get("/api/admin/settings")]
pub async fn get_settings(state: web::Data<AppState>, _admin: ApiAdmin) -> AppResult<HttpResponse> {
    let rate = state.run(|s| settings::usd_to_bdt(&mut *s.conn()?)).await?;
    Ok(HttpResponse::Ok().json(json!({ "usdToBdt": rate, "currency": state.config.panel_currency })))
}

#[post("/api/admin/settings")]
pub async fn update_settings(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiAdmin(admin): ApiAdmin,
    body: web::Json<SettingsBody>,
) -> AppResult<HttpResponse> {
    let actor = actor(&req, &admin);
    let rate = state
        .run(move |s| {
            let mut conn = s.conn()?;
            for (currency, raw) in &body.usd_rates {
                settings::set_units_per_usd(&mut conn, &actor, currency, raw)?;
            }
            match (&body.usd_to_bdt, body.usd_rates.is_empty()) {
                (None, false) => settings::usd_to_bdt(&mut conn),
                (raw, _) => settings::set_usd_to_bdt(&mut conn, &actor, raw.as_deref()),
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "usdToBdt": rate, "currency": state.config.panel_currency })))
}
