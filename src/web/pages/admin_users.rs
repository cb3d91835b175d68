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
    order_counts: std::collections::HashMap<i64, i64>,
}

impl UsersPage {
    fn orders_of(&self, id: &i64) -> i64 {
        self.order_counts.get(id).copied().unwrap_or(0)
    }

    /// The day an account was created, in the page's language.
    fn created_on(&self, user: &Account) -> String {
        self.ctx.lang.date(&user.created_at.date())
    }
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
    let (users, order_counts) = state
        .run(move |s| {
            let users = accounts::list(s, search.as_deref(), request)?;
            let ids: Vec<i64> = users.items.iter().map(|u| u.id).collect();
            let counts = crate::db::users::order_counts(&mut *s.conn()?, &ids)?
                .into_iter()
                .collect();
            Ok((users, counts))
        })
        .await?;
    let page = UsersPage {
        ctx: PageContext::new(&session, &state, Some(&admin)),
        users,
        q,
        order_counts,
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

#[derive(Deserialize)]
pub struct DisableForm {
    #[serde(default)]
    disabled: String,
}

/// Disables or re-enables an account from the users page.
#[post("/admin/users/{id}/disabled")]
pub async fn set_disabled(
    req: actix_web::HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    id: web::Path<String>,
    crate::web::forms::CsrfForm(form): crate::web::forms::CsrfForm<DisableForm>,
) -> Result<HttpResponse, PageError> {
    use crate::error::AppError;
    use crate::web::session::{flash, FlashKind};
    let id = crate::web::path_id(&id)?;
    let disabled = form.disabled == "true";
    let actor = crate::web::actor(&req, &admin);
    match state
        .run(move |s| accounts::set_disabled(s, &actor, &admin, id, disabled))
        .await
    {
        Ok(user) => {
            let what = if user.disabled { "disabled" } else { "enabled" };
            flash(&session, FlashKind::Success, format!("'{}' is {what}.", user.email))
        }
        Err(e @ (AppError::Business { .. } | AppError::Forbidden(_))) => {
            flash(&session, FlashKind::Error, e.to_string())
        }
        Err(e) => return Err(e.into()),
    }
    Ok(super::see_other(&format!("/admin/users#user-{id}")))
}

#[derive(Template)]
#[template(path = "admin/admins.html")]
struct AdminsPage {
    ctx: PageContext,
    email: String,
    errors: crate::web::forms::FormErrors,
}

#[get("/admin/admins")]
pub async fn admins_form(
    session: Session,
    state: web::Data<AppState>,
    crate::web::auth::PageSuperAdmin(boss): crate::web::auth::PageSuperAdmin,
) -> HttpResponse {
    let page = AdminsPage {
        ctx: PageContext::new(&session, &state, Some(&boss)),
        email: String::new(),
        errors: Default::default(),
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct NewAdminForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

#[post("/admin/admins")]
pub async fn create_admin(
    req: actix_web::HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    crate::web::auth::PageSuperAdmin(boss): crate::web::auth::PageSuperAdmin,
    crate::web::forms::CsrfForm(form): crate::web::forms::CsrfForm<NewAdminForm>,
) -> Result<HttpResponse, PageError> {
    use crate::domain::{Email, Password, Role};
    use crate::error::AppError;
    let mut errors = crate::web::forms::FormErrors::default();
    let email = Email::parse(&form.email).map_err(|m| errors.add("email", m)).ok();
    let password = Password::parse(&form.password)
        .map_err(|m| errors.add("password", m))
        .ok();
    let mut status = StatusCode::BAD_REQUEST;
    if let (Some(email), Some(password)) = (email, password) {
        let actor = crate::web::actor(&req, &boss);
        match state
            .run(move |s| accounts::create_admin(s, &email, &password, Role::Admin, &actor))
            .await
        {
            Ok(id) => {
                let message = format!("Admin created (user {id}).");
                crate::web::session::flash(&session, crate::web::session::FlashKind::Success, message);
                return Ok(super::see_other("/admin/users"));
            }
            Err(e @ AppError::Conflict { .. }) => {
                status = StatusCode::CONFLICT;
                errors.add("email", e.to_string());
            }
            Err(e) => return Err(e.into()),
        }
    }
    let page = AdminsPage {
        ctx: PageContext::new(&session, &state, Some(&boss)),
        email: form.email,
        errors,
    };
    Ok(render(status, &page))
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    ctx: PageContext,
    rows: Paged<crate::db::models::AuditRow>,
    action: String,
}

#[get("/admin/audit")]
pub async fn audit(
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    query: web::Query<crate::web::api::admin_ops::AuditQuery>,
) -> Result<HttpResponse, PageError> {
    let request = PageRequest::parse(&query.page)?;
    let action = query.action.clone().unwrap_or_default();
    let filter = Some(action.trim().to_string()).filter(|a| !a.is_empty());
    let (rows, total) = state
        .run(move |s| {
            Ok(crate::db::audit::page(
                &mut *s.conn()?,
                filter.as_deref(),
                request.offset(),
                request.limit(),
            )?)
        })
        .await?;
    let rows = Paged::new(rows, request, total);
    let page = AuditPage {
        ctx: PageContext::new(&session, &state, Some(&admin)),
        rows,
        action,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    ctx: PageContext,
    d: crate::service::dashboard::Dashboard,
}

#[get("/admin")]
pub async fn dashboard(
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
) -> Result<HttpResponse, PageError> {
    let d = state.run(crate::service::dashboard::load).await?;
    let page = DashboardPage {
        ctx: PageContext::new(&session, &state, Some(&admin)),
        d,
    };
    Ok(render(StatusCode::OK, &page))
}
