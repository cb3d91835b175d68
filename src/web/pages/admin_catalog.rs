//! Admin pages: categories and services, and the settings page (USD→BDT rate).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{render, see_other, PageContext, PageError};
use crate::db::models::CategoryRow;
use crate::domain::{Money, Rate};
use crate::error::AppError;
use crate::service::accounts::Account;
use crate::service::catalog::{self, CategoryDraft, ServiceDraft, ServiceView};
use crate::service::input::lenient_string;
use crate::service::providers::{self, ProviderView};
use crate::service::settings;
use crate::state::AppState;
use crate::web::auth::PageAdmin;
use crate::web::forms::{CsrfForm, FormErrors};
use crate::web::session::{self, FlashKind};
use crate::web::{actor, path_id};

/// A service row with what the page shows beside it.
pub struct ServiceLine {
    pub service: ServiceView,
    pub category: String,
    pub provider: String,
    pub price_per_1000: Option<Money>,
}

#[derive(Template)]
#[template(path = "admin/services.html")]
struct ServicesPage {
    ctx: PageContext,
    lines: Vec<ServiceLine>,
    categories: Vec<CategoryRow>,
    providers: Vec<ProviderView>,
    form: ServiceDraft,
    category_form: CategoryDraft,
    errors: FormErrors,
    usd_to_bdt: Rate,
}

#[derive(Template)]
#[template(path = "admin/service_edit.html")]
struct ServiceEditPage {
    ctx: PageContext,
    service: ServiceView,
    categories: Vec<CategoryRow>,
    providers: Vec<ProviderView>,
    form: ServiceDraft,
    errors: FormErrors,
}

impl ServiceDraft {
    fn with_unticked_boxes(mut self) -> Self {
        for flag in [
            &mut self.refill,
            &mut self.cancel,
            &mut self.enabled,
            &mut self.accepts_username,
            &mut self.dripfeed,
        ] {
            *flag = Some(flag.is_some().to_string());
        }
        self
    }

    fn from_view(view: &ServiceView) -> Self {
        Self {
            category_id: Some(view.category_id.to_string()),
            name: Some(view.name.clone()),
            provider_id: view.provider_id.map(|p| p.to_string()),
            provider_service_id: view.provider_service_id.clone(),
            rate_usd_per_1000: Some(view.rate_usd_per_1000.to_string()),
            min: Some(view.min.to_string()),
            max: Some(view.max.to_string()),
            mode: Some(view.mode.clone()),
            refill: Some(view.refill.to_string()),
            cancel: Some(view.cancel.to_string()),
            enabled: Some(view.enabled.to_string()),
            accepts_username: Some(view.accepts_username.to_string()),
            refill_days: Some(view.refill_days.to_string()),
            kind: Some(view.kind.clone()),
            dripfeed: Some(view.dripfeed.to_string()),
        }
    }
}

struct Catalogue {
    services: Vec<ServiceView>,
    categories: Vec<CategoryRow>,
    providers: Vec<ProviderView>,
    usd_to_bdt: Rate,
}

async fn load(state: &AppState) -> Result<Catalogue, PageError> {
    Ok(state
        .run(|s| {
            let mut conn = s.conn()?;
            Ok(Catalogue {
                services: catalog::list_services(&mut conn)?,
                categories: catalog::list_categories(&mut conn)?,
                providers: providers::list(&mut conn)?,
                usd_to_bdt: settings::usd_to_bdt(&mut conn)?,
            })
        })
        .await?)
}

async fn services_page(
    session: &Session,
    state: &AppState,
    admin: &Account,
    form: ServiceDraft,
    category_form: CategoryDraft,
    errors: FormErrors,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let data = load(state).await?;
    let lines = data
        .services
        .into_iter()
        .map(|service| ServiceLine {
            category: data
                .categories
                .iter()
                .find(|c| c.id == service.category_id)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            provider: service
                .provider_id
                .and_then(|id| data.providers.iter().find(|p| p.id == id).map(|p| p.name.clone()))
                .unwrap_or_else(|| "–".into()),
            price_per_1000: service.rate_usd_per_1000.price(1000, data.usd_to_bdt),
            service,
        })
        .collect();
    let page = ServicesPage {
        ctx: PageContext::new(session, state, Some(admin)),
        lines,
        categories: data.categories,
        providers: data.providers,
        form,
        category_form,
        errors,
        usd_to_bdt: data.usd_to_bdt,
    };
    Ok(render(status, &page))
}

fn new_service_form() -> ServiceDraft {
    ServiceDraft {
        mode: Some("auto".into()),
        enabled: Some("true".into()),
        ..Default::default()
    }
}

#[get("/admin/services")]
pub async fn list(
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
) -> Result<HttpResponse, PageError> {
    services_page(
        &session,
        &state,
        &admin,
        new_service_form(),
        CategoryDraft::default(),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

fn refused(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Validation { .. } | AppError::Conflict { .. } | AppError::NotFound(_)
    )
}

#[post("/admin/services")]
pub async fn create_service(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    CsrfForm(form): CsrfForm<ServiceDraft>,
) -> Result<HttpResponse, PageError> {
    let form = form.with_unticked_boxes();
    let actor = actor(&req, &admin);
    let draft = form.clone();
    match state
        .run(move |s| catalog::create_service(&mut *s.conn()?, &actor, &draft))
        .await
    {
        Ok(view) => {
            session::flash(&session, FlashKind::Success, format!("Service '{}' added.", view.name));
            Ok(see_other("/admin/services"))
        }
        Err(e) if refused(&e) => {
            let status = actix_web::ResponseError::status_code(&e);
            let errors = FormErrors::from_error(&e);
            services_page(&session, &state, &admin, form, CategoryDraft::default(), errors, status).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn edit_page(
    session: &Session,
    state: &AppState,
    admin: &Account,
    id: i64,
    form: Option<ServiceDraft>,
    errors: FormErrors,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let service = state.run(move |s| catalog::get_service(&mut *s.conn()?, id)).await?;
    let data = load(state).await?;
    let form = form.unwrap_or_else(|| ServiceDraft::from_view(&service));
    let page = ServiceEditPage {
        ctx: PageContext::new(session, state, Some(admin)),
        service,
        categories: data.categories,
        providers: data.providers,
        form,
        errors,
    };
    Ok(render(status, &page))
}

#[get("/admin/services/{id}")]
pub async fn edit(
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = path_id(&id)?;
    edit_page(
        &session,
        &state,
        &admin,
        id,
        None,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[post("/admin/services/{id}")]
pub async fn update_service(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<ServiceDraft>,
) -> Result<HttpResponse, PageError> {
    let id = path_id(&id)?;
    let form = form.with_unticked_boxes();
    let actor = actor(&req, &admin);
    let draft = form.clone();
    match state
        .run(move |s| catalog::update_service(&mut *s.conn()?, &actor, id, &draft))
        .await
    {
        Ok(view) => {
            session::flash(&session, FlashKind::Success, format!("Service '{}' saved.", view.name));
            Ok(see_other("/admin/services"))
        }
        Err(e) if refused(&e) && !matches!(e, AppError::NotFound(ref m) if m.contains("service")) => {
            let status = actix_web::ResponseError::status_code(&e);
            edit_page(
                &session,
                &state,
                &admin,
                id,
                Some(form),
                FormErrors::from_error(&e),
                status,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[post("/admin/categories")]
pub async fn create_category(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    CsrfForm(form): CsrfForm<CategoryDraft>,
) -> Result<HttpResponse, PageError> {
    let actor = actor(&req, &admin);
    let draft = form.clone();
    match state
        .run(move |s| catalog::create_category(&mut *s.conn()?, &actor, &draft))
        .await
    {
        Ok(row) => {
            session::flash(&session, FlashKind::Success, format!("Category '{}' added.", row.name));
            Ok(see_other("/admin/services"))
        }
        Err(e) if refused(&e) => {
            let status = actix_web::ResponseError::status_code(&e);
            let mut errors = FormErrors::default();
            errors.add("categoryName", e.to_string());
            services_page(&session, &state, &admin, new_service_form(), form, errors, status).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct CategoryToggle {
    #[serde(default, deserialize_with = "lenient_string")]
    enabled: Option<String>,
}

#[post("/admin/categories/{id}")]
pub async fn toggle_category(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<CategoryToggle>,
) -> Result<HttpResponse, PageError> {
    let id = path_id(&id)?;
    let actor = actor(&req, &admin);
    let draft = CategoryDraft {
        enabled: form.enabled,
        ..Default::default()
    };
    let row = state
        .run(move |s| catalog::update_category(&mut *s.conn()?, &actor, id, &draft))
        .await?;
    let verb = if row.enabled { "shown" } else { "hidden" };
    session::flash(
        &session,
        FlashKind::Success,
        format!("Category '{}' is {verb} to customers.", row.name),
    );
    Ok(see_other("/admin/services"))
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    ctx: PageContext,
    usd_to_bdt: String,
    errors: FormErrors,
}

#[get("/admin/settings")]
pub async fn settings_form(
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
) -> Result<HttpResponse, PageError> {
    let rate = state.run(|s| settings::usd_to_bdt(&mut *s.conn()?)).await?;
    let page = SettingsPage {
        ctx: PageContext::new(&session, &state, Some(&admin)),
        usd_to_bdt: rate.to_string(),
        errors: FormErrors::default(),
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default, rename = "usdToBdt")]
    usd_to_bdt: String,
}

#[post("/admin/settings")]
pub async fn save_settings(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    CsrfForm(form): CsrfForm<SettingsForm>,
) -> Result<HttpResponse, PageError> {
    let actor = actor(&req, &admin);
    let raw = form.usd_to_bdt.clone();
    match state
        .run(move |s| settings::set_usd_to_bdt(&mut *s.conn()?, &actor, Some(&raw)))
        .await
    {
        Ok(rate) => {
            session::flash(
                &session,
                FlashKind::Success,
                format!(
                    "1 USD = {rate} {} from now on; existing orders keep their rate.",
                    state.config.panel_currency
                ),
            );
            Ok(see_other("/admin/settings"))
        }
        Err(e @ AppError::Validation { .. }) => {
            let page = SettingsPage {
                ctx: PageContext::new(&session, &state, Some(&admin)),
                usd_to_bdt: form.usd_to_bdt,
                errors: FormErrors::from_error(&e),
            };
            Ok(render(StatusCode::BAD_REQUEST, &page))
        }
        Err(e) => Err(e.into()),
    }
}
