//! Register, sign in, sign out.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{render, safe_next, see_other, PageContext, PageError};
use crate::domain::{Email, Password, Role};
use crate::service::accounts;
use crate::state::AppState;
use crate::web::forms::{CsrfForm, FormErrors};
use crate::web::session::{self, FlashKind};

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    ctx: PageContext,
    email: String,
    next: String,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "auth/register.html")]
struct RegisterPage {
    ctx: PageContext,
    email: String,
    errors: FormErrors,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[get("/login")]
pub async fn login_form(session: Session, state: web::Data<AppState>, query: web::Query<NextQuery>) -> HttpResponse {
    if session::user_id(&session).is_some() {
        return see_other(&safe_next(query.next.as_deref()));
    }
    let page = LoginPage {
        ctx: PageContext::new(&session, &state, None),
        email: String::new(),
        next: safe_next(query.next.as_deref()),
        errors: FormErrors::default(),
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

#[post("/login")]
pub async fn login(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let client = crate::web::client_ip(&req);
    let (email, password) = (form.email.clone(), form.password);
    let result = state
        .run(move |s| accounts::authenticate(s, &email, &password, &client))
        .await;
    match result {
        Ok(account) => {
            session::sign_in(&session, account.id, account.session_epoch)?;
            // An admin with no page to return to lands in the admin area.
            let next = match safe_next(form.next.as_deref()) {
                home if home == "/" && account.role.is_admin() => "/admin".to_string(),
                next => next,
            };
            let mut response = see_other(&next);
            // The account's language wins over this browser's until it is switched again.
            if let Some(lang) = account.language {
                response
                    .add_cookie(&crate::i18n::cookie(lang, state.config.cookie_secure))
                    .map_err(crate::error::AppError::internal)?;
            }
            Ok(response)
        }
        Err(e)
            if matches!(
                e,
                crate::error::AppError::Unauthorized(_) | crate::error::AppError::RateLimited { .. }
            ) =>
        {
            let status = if let crate::error::AppError::RateLimited { .. } = e {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::UNAUTHORIZED
            };
            let page = LoginPage {
                ctx: PageContext::new(&session, &state, None),
                email: form.email,
                next: safe_next(form.next.as_deref()),
                errors: FormErrors::from_error(&e),
            };
            Ok(render(status, &page))
        }
        Err(e) => Err(e.into()),
    }
}

#[get("/register")]
pub async fn register_form(session: Session, state: web::Data<AppState>) -> HttpResponse {
    if session::user_id(&session).is_some() {
        return see_other("/");
    }
    let page = RegisterPage {
        ctx: PageContext::new(&session, &state, None),
        email: String::new(),
        errors: FormErrors::default(),
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

#[post("/register")]
pub async fn register(
    session: Session,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<RegisterForm>,
) -> Result<HttpResponse, PageError> {
    let mut errors = FormErrors::default();
    let mut taken = false;
    let email = Email::parse(&form.email).map_err(|m| errors.add("email", m)).ok();
    let password = Password::parse(&form.password)
        .map_err(|m| errors.add("password", m))
        .ok();
    if password.is_some() && form.password != form.password_confirm {
        errors.add("password_confirm", "The two passwords do not match.");
    }
    if let (Some(email), Some(password), true) = (email, password, errors.is_empty()) {
        match state
            .run(move |s| accounts::register(s, &email, &password, Role::User))
            .await
        {
            Ok(id) => {
                // A new account starts at epoch 0.
                session::sign_in(&session, id, 0)?;
                session::flash(&session, FlashKind::Success, "Welcome! Your account is ready.");
                return Ok(see_other("/"));
            }
            Err(e @ crate::error::AppError::Conflict { .. }) => {
                taken = true;
                errors.add("email", e.to_string());
            }
            Err(e) => return Err(e.into()),
        }
    }
    let status = if taken {
        StatusCode::CONFLICT
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = RegisterPage {
        ctx: PageContext::new(&session, &state, None),
        email: form.email,
        errors,
    };
    Ok(render(status, &page))
}

#[derive(Deserialize)]
pub struct EmptyForm {}

/// Sign-out ends the session on the server too: the account's session epoch moves on,
/// so this cookie (or a copy of it) and every other session and token of the account
/// stop working. That is sign-out everywhere, deliberately: there is no server-side list
/// of sessions to pick one from, and a shared or stolen cookie must die with sign-out.
#[post("/logout")]
pub async fn logout(
    session: Session,
    state: web::Data<AppState>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<HttpResponse, PageError> {
    if let Some(user_id) = session::user_id(&session) {
        state.run(move |s| accounts::end_sessions(s, user_id)).await?;
    }
    session::sign_out(&session);
    session::flash(&session, FlashKind::Info, "You have signed out (on every device).");
    Ok(see_other("/login"))
}
