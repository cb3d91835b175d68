//! The account page: email, API key, password change.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::auth::EmptyForm;
use super::{render, see_other, PageContext, PageError};
use crate::crypto;
use crate::domain::Password;
use crate::error::AppError;
use crate::service::accounts::{self, Account};
use crate::state::AppState;
use crate::web::auth::PageUser;
use crate::web::forms::{CsrfForm, FormErrors};
use crate::web::session::{self, FlashKind};

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    ctx: PageContext,
    account: Account,
    /// The key in full only right after the user asked to see or renew it.
    api_key_shown: Option<String>,
    api_key_masked: String,
    errors: FormErrors,
}

async fn page(
    session: &Session,
    state: &AppState,
    account: Account,
    reveal: bool,
    errors: FormErrors,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let user_id = account.id;
    let key = state
        .run(move |s| accounts::api_key(s, &mut *s.conn()?, user_id))
        .await?;
    let page = AccountPage {
        ctx: PageContext::new(session, state, Some(&account)),
        account,
        api_key_masked: crypto::mask(&key),
        api_key_shown: reveal.then_some(key),
        errors,
    };
    Ok(render(status, &page))
}

#[get("/account")]
pub async fn show(
    session: Session,
    state: web::Data<AppState>,
    PageUser(account): PageUser,
) -> Result<HttpResponse, PageError> {
    page(&session, &state, account, false, FormErrors::default(), StatusCode::OK).await
}

#[post("/account/api-key/reveal")]
pub async fn reveal_key(
    session: Session,
    state: web::Data<AppState>,
    PageUser(account): PageUser,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    page(&session, &state, account, true, FormErrors::default(), StatusCode::OK).await
}

#[post("/account/api-key")]
pub async fn regenerate_key(
    session: Session,
    state: web::Data<AppState>,
    PageUser(account): PageUser,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let user_id = account.id;
    state.run(move |s| accounts::regenerate_api_key(s, user_id)).await?;
    session::flash(
        &session,
        FlashKind::Success,
        "A new API key was created; the old one no longer works.",
    );
    page(&session, &state, account, true, FormErrors::default(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_confirm: String,
}

#[post("/account/password")]
pub async fn change_password(
    session: Session,
    state: web::Data<AppState>,
    PageUser(account): PageUser,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    let mut errors = FormErrors::default();
    match Password::parse(&form.new_password) {
        Err(m) => errors.add("new_password", m),
        Ok(_) if form.new_password != form.new_password_confirm => {
            errors.add("new_password_confirm", "The two passwords do not match.")
        }
        Ok(new) => {
            let user_id = account.id;
            let current = form.current_password;
            match state
                .run(move |s| accounts::change_password(s, user_id, &current, &new))
                .await
            {
                Ok(epoch) => {
                    // Every other session and token ended; this browser stays signed in.
                    session::sign_in(&session, user_id, epoch)?;
                    session::flash(
                        &session,
                        FlashKind::Success,
                        "Your password was changed; every other session and token was signed out.",
                    );
                    return Ok(see_other("/account"));
                }
                Err(e @ AppError::Validation { .. }) => errors = FormErrors::from_error(&e),
                Err(e) => return Err(e.into()),
            }
        }
    }
    page(&session, &state, account, false, errors, StatusCode::BAD_REQUEST).await
}

/// "Sign out everywhere": ends every session and token of the account, this one too.
#[post("/account/sessions/end")]
pub async fn end_sessions(
    session: Session,
    state: web::Data<AppState>,
    PageUser(account): PageUser,
    CsrfForm(_): CsrfForm<crate::web::pages::auth::EmptyForm>,
) -> Result<HttpResponse, PageError> {
    let user_id = account.id;
    state.run(move |s| accounts::end_sessions(s, user_id)).await?;
    session::sign_out(&session);
    session::flash(&session, FlashKind::Info, "You were signed out on every device.");
    Ok(see_other("/login"))
}
