//! Adding funds: the customer's page (methods, the request form, their requests) and the
//! admin's (requests to approve or reject, and the payment methods).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::auth::EmptyForm;
use super::{render, see_other, PageContext, PageError};
use crate::error::AppError;
use crate::service::accounts::Account;
use crate::service::dashboard::refresh_badges;
use crate::service::funds::{self, FundRequest, FundState, Method, MethodDraft, RequestDraft};
use crate::state::AppState;
use crate::web::auth::{PageAdmin, PageUser};
use crate::web::forms::{CsrfForm, FormErrors};
use crate::web::path_id;
use crate::web::session::{flash, FlashKind};

#[derive(Template)]
#[template(path = "funds.html")]
struct FundsPage {
    ctx: PageContext,
    methods: Vec<Method>,
    requests: Vec<FundRequest>,
    form: RequestDraft,
    errors: FormErrors,
}

impl FundsPage {
    fn chosen(&self, id: &i64) -> bool {
        crate::web::forms::selects(&self.form.method_id, id)
            || (self.form.method_id.is_none() && self.methods.len() == 1)
    }
}

async fn funds_page(
    session: &Session,
    state: &AppState,
    account: &Account,
    form: RequestDraft,
    errors: FormErrors,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let user_id = account.id;
    let (methods, requests) = state
        .run(move |s| {
            let mut conn = s.conn()?;
            Ok((funds::methods(&mut conn, true)?, funds::for_user(&mut conn, user_id)?))
        })
        .await?;
    let page = FundsPage {
        ctx: PageContext::new(session, state, Some(account)),
        methods,
        requests,
        form,
        errors,
    };
    Ok(render(status, &page))
}

#[get("/funds")]
pub async fn show(
    session: Session,
    state: web::Data<AppState>,
    PageUser(account): PageUser,
) -> Result<HttpResponse, PageError> {
    funds_page(
        &session,
        &state,
        &account,
        RequestDraft::default(),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[post("/funds")]
pub async fn submit(
    session: Session,
    state: web::Data<AppState>,
    PageUser(account): PageUser,
    CsrfForm(form): CsrfForm<RequestDraft>,
) -> Result<HttpResponse, PageError> {
    let user_id = account.id;
    let draft = form.clone();
    match state
        .run(move |s| {
            let request = funds::submit(&mut *s.conn()?, user_id, &draft)?;
            refresh_badges(s);
            Ok(request)
        })
        .await
    {
        Ok(request) => {
            flash(
                &session,
                FlashKind::Success,
                format!(
                    "Request {} sent: an admin will check the payment and credit your balance.",
                    request.id
                ),
            );
            Ok(see_other("/funds"))
        }
        Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. })) => {
            let status = actix_web::ResponseError::status_code(&e);
            funds_page(&session, &state, &account, form, FormErrors::from_error(&e), status).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin/funds.html")]
struct AdminFundsPage {
    ctx: PageContext,
    state: String,
    requests: Vec<FundRequest>,
    methods: Vec<Method>,
    /// The new-method form, or the method being edited (`editing`).
    form: MethodDraft,
    editing: Option<i64>,
    /// The method form's errors, or a refused rejection's (`reason`).
    errors: FormErrors,
    /// A refused rejection: the request and the reason as typed.
    reject: Option<(i64, String)>,
    kinds: &'static [&'static str],
}

impl AdminFundsPage {
    fn reject_reason(&self, id: &i64) -> &str {
        match &self.reject {
            Some((rid, reason)) if rid == id => reason,
            _ => "",
        }
    }

    fn reject_error(&self, id: &i64) -> Option<&str> {
        match &self.reject {
            Some((rid, _)) if rid == id => self.errors.get("reason"),
            _ => None,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AdminFundsQuery {
    state: Option<String>,
    edit: Option<String>,
}

/// The state a list shows: `pending` unless `all`, `approved` or `rejected` is asked for.
fn list_state(raw: Option<&str>) -> (String, Option<FundState>) {
    match raw.map(str::trim) {
        Some("all") => ("all".into(), None),
        Some(s) => match FundState::parse(s) {
            Some(state) => (s.into(), Some(state)),
            None => ("pending".into(), Some(FundState::Pending)),
        },
        None => ("pending".into(), Some(FundState::Pending)),
    }
}

struct AdminView {
    query: AdminFundsQuery,
    form: Option<MethodDraft>,
    errors: FormErrors,
    reject: Option<(i64, String)>,
}

async fn admin_page(
    session: &Session,
    state: &AppState,
    admin: &Account,
    view: AdminView,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let (state_name, filter) = list_state(view.query.state.as_deref());
    let (requests, methods) = state
        .run(move |s| {
            let listed = {
                let mut conn = s.conn()?;
                (funds::for_admin(&mut conn, filter)?, funds::methods(&mut conn, false)?)
            };
            refresh_badges(s);
            Ok(listed)
        })
        .await?;
    let editing = view
        .query
        .edit
        .as_deref()
        .and_then(|e| e.parse::<i64>().ok())
        .filter(|id| methods.iter().any(|m| m.row.id == *id));
    let form = match (view.form, editing) {
        (Some(form), _) => form,
        (None, Some(id)) => methods
            .iter()
            .find(|m| m.row.id == id)
            .map(MethodDraft::of)
            .unwrap_or_default(),
        (None, None) => MethodDraft {
            enabled: Some("true".into()),
            ..Default::default()
        },
    };
    let page = AdminFundsPage {
        ctx: PageContext::new(session, state, Some(admin)),
        state: state_name,
        requests,
        methods,
        form,
        editing,
        errors: view.errors,
        reject: view.reject,
        kinds: &funds::KINDS,
    };
    Ok(render(status, &page))
}

#[get("/admin/funds")]
pub async fn admin_list(
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    query: web::Query<AdminFundsQuery>,
) -> Result<HttpResponse, PageError> {
    let view = AdminView {
        query: query.into_inner(),
        form: None,
        errors: FormErrors::default(),
        reject: None,
    };
    admin_page(&session, &state, &admin, view, StatusCode::OK).await
}

#[post("/admin/funds/{id}/approve")]
pub async fn approve(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    id: web::Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let id = path_id(&id)?;
    let actor = crate::web::actor(&req, &admin);
    match state.run(move |s| funds::approve(&mut *s.conn()?, &actor, id)).await {
        Ok((request, balance)) => flash(
            &session,
            FlashKind::Success,
            format!(
                "Request {id} approved: {} credited, the balance of {} is now {balance}.",
                request.amount, request.user_id
            ),
        ),
        Err(e @ (AppError::Conflict { .. } | AppError::NotFound(_))) => {
            flash(&session, FlashKind::Error, e.to_string())
        }
        Err(e) => return Err(e.into()),
    }
    // The list it returns to recounts the pending requests (the badge).
    Ok(see_other("/admin/funds"))
}

#[derive(Deserialize)]
pub struct RejectForm {
    reason: Option<String>,
}

#[post("/admin/funds/{id}/reject")]
pub async fn reject(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<RejectForm>,
) -> Result<HttpResponse, PageError> {
    let id = path_id(&id)?;
    let actor = crate::web::actor(&req, &admin);
    let reason = form.reason.clone();
    match state
        .run(move |s| funds::reject(&mut *s.conn()?, &actor, id, reason.as_deref()))
        .await
    {
        Ok(_) => {
            flash(
                &session,
                FlashKind::Success,
                format!("Request {id} rejected; the customer sees the reason."),
            );
            // The list it returns to recounts the pending requests (the badge).
            Ok(see_other("/admin/funds"))
        }
        Err(e @ AppError::Validation { .. }) => {
            let view = AdminView {
                query: AdminFundsQuery::default(),
                form: None,
                errors: FormErrors::from_error(&e),
                reject: Some((id, form.reason.unwrap_or_default())),
            };
            admin_page(&session, &state, &admin, view, StatusCode::BAD_REQUEST).await
        }
        Err(e @ (AppError::Conflict { .. } | AppError::NotFound(_))) => {
            flash(&session, FlashKind::Error, e.to_string());
            Ok(see_other("/admin/funds"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Adds a payment method (`/admin/funds/methods`) or changes one (`…/methods/{id}`).
async fn save_method(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    admin: Account,
    id: Option<i64>,
    mut form: MethodDraft,
) -> Result<HttpResponse, PageError> {
    // An unticked box sends nothing.
    form.enabled = Some(form.enabled.is_some().to_string());
    let actor = crate::web::actor(&req, &admin);
    let draft = form.clone();
    match state
        .run(move |s| funds::save_method(&mut *s.conn()?, &actor, id, &draft))
        .await
    {
        Ok(method) => {
            flash(
                &session,
                FlashKind::Success,
                format!("Payment method '{}' saved.", method.row.name),
            );
            Ok(see_other("/admin/funds#methods"))
        }
        Err(e @ AppError::Validation { .. }) => {
            let view = AdminView {
                query: AdminFundsQuery {
                    state: None,
                    edit: id.map(|i| i.to_string()),
                },
                form: Some(form),
                errors: FormErrors::from_error(&e),
                reject: None,
            };
            admin_page(&session, &state, &admin, view, StatusCode::BAD_REQUEST).await
        }
        Err(e) => Err(e.into()),
    }
}

#[post("/admin/funds/methods")]
pub async fn add_method(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    CsrfForm(form): CsrfForm<MethodDraft>,
) -> Result<HttpResponse, PageError> {
    save_method(req, session, state, admin, None, form).await
}

#[post("/admin/funds/methods/{id}")]
pub async fn edit_method(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<MethodDraft>,
) -> Result<HttpResponse, PageError> {
    let id = path_id(&id)?;
    save_method(req, session, state, admin, Some(id), form).await
}
