//! Who is calling: extractors for JSON routes (bearer token, or the page session plus
//! an `X-CSRF-Token` header) and for pages (the session), with role guards.
//! No or bad credentials → 401; the wrong role → 403.

use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{web, FromRequest, HttpRequest};

use super::pages::PageError;
use super::session;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::service::accounts::{self, Account};
use crate::service::tokens;
use crate::state::AppState;

fn state(req: &HttpRequest) -> AppResult<AppState> {
    req.app_data::<web::Data<AppState>>()
        .map(|d| d.get_ref().clone())
        .ok_or_else(|| AppError::internal("application state missing"))
}

async fn load_account(state: &AppState, user_id: i64) -> AppResult<Option<Account>> {
    // An embedded SQLite file is read in this process: one row by its key is a function
    // call (no network, and WAL readers never wait for the writer), cheaper than the
    // two thread switches of a hop to the blocking pool. Done inline when a pooled
    // connection is free at once; PostgreSQL (a network round trip) always hops.
    if matches!(state.config.database_url, crate::config::DatabaseUrl::Sqlite(_)) {
        if let Some(mut conn) = state.pool.try_get() {
            return accounts::find(&mut conn, user_id);
        }
    }
    state.run(move |s| accounts::find(&mut *s.conn()?, user_id)).await
}

fn check_role(account: &Account, required: Role) -> AppResult<()> {
    let allowed = match required {
        Role::User => true,
        Role::Admin => account.role.is_admin(),
        Role::SuperAdmin => account.role == Role::SuperAdmin,
    };
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden(match required {
            Role::SuperAdmin => "Only a super admin can do this.".into(),
            _ => "This needs an admin account.".into(),
        }))
    }
}

/// The account behind a JSON request, with at least `required` role.
async fn api_account(req: &HttpRequest, required: Role) -> AppResult<Account> {
    let state = state(req)?;
    let bearer = req.headers().get(actix_web::http::header::AUTHORIZATION);
    let (user_id, token_epoch) = if let Some(value) = bearer {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .ok_or_else(|| AppError::Unauthorized("The Authorization header must be 'Bearer <token>'.".into()))?;
        let (user_id, epoch) = tokens::verify(&state.key, token, chrono::Utc::now().timestamp())
            .ok_or_else(|| AppError::Unauthorized("The token is invalid or has expired; get a new one.".into()))?;
        (user_id, Some(epoch))
    } else {
        let session = req.get_session();
        let user_id = session::user_id(&session).ok_or_else(|| {
            AppError::Unauthorized(
                "Sign in first: send 'Authorization: Bearer <token>' from POST /api/auth/token.".into(),
            )
        })?;
        if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
            let provided = req.headers().get("X-CSRF-Token").and_then(|v| v.to_str().ok());
            session::verify_csrf(&session, provided)?;
        }
        (user_id, None)
    };
    let account = load_account(&state, user_id)
        .await?
        .ok_or_else(|| AppError::Unauthorized("The account no longer exists.".into()))?;
    if account.disabled {
        return Err(AppError::Unauthorized(accounts::DISABLED.into()));
    }
    let live = match token_epoch {
        Some(epoch) => epoch == account.session_epoch,
        None => session::is_live(&req.get_session(), account.session_epoch),
    };
    if !live {
        return Err(AppError::Unauthorized(
            "This session or token has ended (signed out, password changed or expired); sign in again.".into(),
        ));
    }
    check_role(&account, required)?;
    Ok(account)
}

/// The admin behind a request's bearer token or session (401/403 otherwise).
pub async fn api_admin(req: &HttpRequest) -> AppResult<Account> {
    api_account(req, Role::Admin).await
}

/// The account signed in to this browser session, with at least `required` role.
async fn page_account(req: &HttpRequest, required: Role) -> Result<Account, PageError> {
    let state = state(req)?;
    let session = req.get_session();
    let login_required = || PageError::LoginRequired {
        next: req.uri().to_string(),
    };
    let user_id = session::user_id(&session).ok_or_else(login_required)?;
    let account = match load_account(&state, user_id).await? {
        Some(account) if !account.disabled => account,
        Some(_) => {
            session::sign_out(&session);
            session::flash(&session, session::FlashKind::Error, accounts::DISABLED);
            return Err(login_required());
        }
        None => {
            session::sign_out(&session);
            return Err(login_required());
        }
    };
    if !session::is_live(&session, account.session_epoch) {
        session::sign_out(&session);
        session::flash(
            &session,
            session::FlashKind::Info,
            "Your session has ended (signed out elsewhere, password changed, or it expired); sign in again.",
        );
        return Err(login_required());
    }
    check_role(&account, required)?;
    // The account's choice wins over this browser's cookie (it may have been made elsewhere).
    if let Some(lang) = account.language {
        crate::i18n::set_current(lang);
    }
    Ok(account)
}

macro_rules! extractor {
    ($(#[$doc:meta])* $name:ident, $resolve:ident, $role:expr, $error:ty) => {
        $(#[$doc])*
        pub struct $name(pub Account);

        impl FromRequest for $name {
            type Error = $error;
            type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move { $resolve(&req, $role).await.map($name) })
            }
        }
    };
}

extractor!(
    /// Any signed-in user, for JSON routes.
    ApiUser, api_account, Role::User, AppError
);
extractor!(
    /// An admin or super admin, for JSON routes.
    ApiAdmin, api_account, Role::Admin, AppError
);
extractor!(
    /// A super admin, for JSON routes.
    ApiSuperAdmin, api_account, Role::SuperAdmin, AppError
);
extractor!(
    /// Any signed-in user, for pages (redirects to the login page otherwise).
    PageUser, page_account, Role::User, PageError
);
extractor!(
    /// An admin or super admin, for pages.
    PageAdmin, page_account, Role::Admin, PageError
);
extractor!(
    /// A super admin, for pages.
    PageSuperAdmin, page_account, Role::SuperAdmin, PageError
);
