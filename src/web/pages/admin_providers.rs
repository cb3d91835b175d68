//! Admin pages: providers (list with health, create, edit, test, import, delete).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;

use super::auth::EmptyForm;
use super::{render, see_other, PageContext, PageError};
use crate::db::models::CategoryRow;
use crate::error::AppError;
use crate::service::accounts::Account;
use crate::service::catalog::{self, ImportDraft};
use crate::service::providers::{self, ConnectionTest, ProviderDraft, ProviderView};
use crate::state::AppState;
use crate::web::auth::PageAdmin;
use crate::web::forms::{CsrfForm, FormErrors};
use crate::web::session::{self, FlashKind};
use crate::web::{actor, path_id};

#[derive(Template)]
#[template(path = "admin/providers.html")]
struct ProvidersPage {
    ctx: PageContext,
    providers: Vec<ProviderView>,
    form: ProviderDraft,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "admin/provider_edit.html")]
struct ProviderEditPage {
    ctx: PageContext,
    provider: ProviderView,
    form: ProviderDraft,
    errors: FormErrors,
    categories: Vec<CategoryRow>,
    test: Option<ConnectionTest>,
}

impl ProviderEditPage {
    /// The balance a connection test read, in the page's language.
    fn test_balance(&self, test: &ConnectionTest) -> String {
        match (&test.balance, &test.currency) {
            (Some(balance), Some(currency)) => self.ctx.money_in(balance, currency),
            (Some(balance), None) => self.ctx.fig(balance),
            (None, Some(currency)) => currency.clone(),
            (None, None) => String::new(),
        }
    }
}

impl ProviderDraft {
    /// Checkboxes are absent from a form when unticked.
    fn with_unticked_boxes(mut self) -> Self {
        self.enabled = Some(self.enabled.is_some().to_string());
        self
    }

    fn from_view(view: &ProviderView) -> Self {
        Self {
            name: Some(view.name.clone()),
            api_url: Some(view.api_url.clone()),
            api_key: None,
            on_ambiguous: Some(view.on_ambiguous.clone()),
            enabled: Some(view.enabled.to_string()),
            currency: view.currency_set_by_admin.then(|| view.currency.clone()).flatten(),
        }
    }
}

fn status_of(e: &AppError) -> StatusCode {
    actix_web::ResponseError::status_code(e)
}

async fn list_page(
    session: &Session,
    state: &AppState,
    admin: &Account,
    form: ProviderDraft,
    errors: FormErrors,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let providers = state.run(|s| providers::list(&mut *s.conn()?)).await?;
    let page = ProvidersPage {
        ctx: PageContext::new(session, state, Some(admin)),
        providers,
        form,
        errors,
    };
    Ok(render(status, &page))
}

#[get("/admin/providers")]
pub async fn list(
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
) -> Result<HttpResponse, PageError> {
    let form = ProviderDraft {
        on_ambiguous: Some("review".into()),
        enabled: Some("true".into()),
        ..Default::default()
    };
    list_page(&session, &state, &admin, form, FormErrors::default(), StatusCode::OK).await
}

#[post("/admin/providers")]
pub async fn create(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    CsrfForm(form): CsrfForm<ProviderDraft>,
) -> Result<HttpResponse, PageError> {
    let form = form.with_unticked_boxes();
    let actor = actor(&req, &admin);
    let draft = form.clone();
    match state.run(move |s| providers::create(s, &actor, &draft)).await {
        Ok(view) => {
            session::flash(
                &session,
                FlashKind::Success,
                format!("Provider '{}' added. Test it, then import its services.", view.name),
            );
            Ok(see_other(&format!("/admin/providers/{}", view.id)))
        }
        Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. })) => {
            let status = status_of(&e);
            let form = ProviderDraft { api_key: None, ..form };
            list_page(&session, &state, &admin, form, FormErrors::from_error(&e), status).await
        }
        Err(e) => Err(e.into()),
    }
}

/// What the edit page shows besides the provider: a refused form, a test result.
#[derive(Default)]
struct EditExtras {
    form: Option<ProviderDraft>,
    errors: FormErrors,
    test: Option<ConnectionTest>,
}

async fn edit_page(
    session: &Session,
    state: &AppState,
    admin: &Account,
    id: i64,
    extras: EditExtras,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let EditExtras { form, errors, test } = extras;
    let (provider, categories) = state
        .run(move |s| {
            let mut conn = s.conn()?;
            Ok((providers::get(&mut conn, id)?, catalog::list_categories(&mut conn)?))
        })
        .await?;
    let form = form.unwrap_or_else(|| ProviderDraft::from_view(&provider));
    let page = ProviderEditPage {
        ctx: PageContext::new(session, state, Some(admin)),
        provider,
        form,
        errors,
        categories,
        test,
    };
    Ok(render(status, &page))
}

#[get("/admin/providers/{id}")]
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
        EditExtras {
            form: None,
            errors: FormErrors::default(),
            test: None,
        },
        StatusCode::OK,
    )
    .await
}

#[post("/admin/providers/{id}")]
pub async fn update(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<ProviderDraft>,
) -> Result<HttpResponse, PageError> {
    let id = path_id(&id)?;
    let form = form.with_unticked_boxes();
    let actor = actor(&req, &admin);
    let draft = form.clone();
    match state.run(move |s| providers::update(s, &actor, id, &draft)).await {
        Ok(view) => {
            session::flash(&session, FlashKind::Success, format!("Provider '{}' saved.", view.name));
            Ok(see_other(&format!("/admin/providers/{id}")))
        }
        Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. })) => {
            let status = status_of(&e);
            let form = ProviderDraft { api_key: None, ..form };
            edit_page(
                &session,
                &state,
                &admin,
                id,
                EditExtras {
                    form: Some(form),
                    errors: FormErrors::from_error(&e),
                    test: None,
                },
                status,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[post("/admin/providers/{id}/test")]
pub async fn test_connection(
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    id: web::Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let id = path_id(&id)?;
    let result = state.run(move |s| providers::test_connection(s, id)).await?;
    edit_page(
        &session,
        &state,
        &admin,
        id,
        EditExtras {
            form: None,
            errors: FormErrors::default(),
            test: Some(result),
        },
        StatusCode::OK,
    )
    .await
}

#[post("/admin/providers/{id}/import")]
pub async fn import(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<ImportDraft>,
) -> Result<HttpResponse, PageError> {
    let id = path_id(&id)?;
    let actor = actor(&req, &admin);
    match state.run(move |s| catalog::import_services(s, &actor, id, &form)).await {
        Ok(summary) => {
            session::flash(
                &session,
                FlashKind::Success,
                format!(
                    "Imported {} services ({} new, {} updated{}).",
                    summary.imported,
                    summary.created,
                    summary.updated,
                    if summary.skipped > 0 {
                        format!(", {} unusable rows skipped", summary.skipped)
                    } else {
                        String::new()
                    }
                ),
            );
            Ok(see_other("/admin/services"))
        }
        Err(e @ (AppError::Validation { .. } | AppError::Provider { .. } | AppError::NotFound(_))) => {
            let status = status_of(&e);
            let mut errors = FormErrors::default();
            errors.add(
                if e.field().is_some() { "markupPercent" } else { "import" },
                e.to_string(),
            );
            edit_page(
                &session,
                &state,
                &admin,
                id,
                EditExtras {
                    errors,
                    ..Default::default()
                },
                status,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[post("/admin/providers/{id}/delete")]
pub async fn remove(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    id: web::Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let id = path_id(&id)?;
    let actor = actor(&req, &admin);
    let kept = state.run(move |s| providers::delete(s, &actor, id)).await?;
    let message = if kept {
        "Provider removed. Its services were disabled and it is kept in the records of past orders."
    } else {
        "Provider removed."
    };
    session::flash(&session, FlashKind::Success, message);
    Ok(see_other("/admin/providers"))
}
