//! `POST /api/auth/register` and `POST /api/auth/token`.

use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::domain::{Email, Password, Role};
use crate::error::{AppError, AppResult};
use crate::service::{accounts, tokens};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct Credentials {
    email: Option<String>,
    password: Option<String>,
}

#[post("/api/auth/register")]
pub async fn register(state: web::Data<AppState>, body: web::Json<Credentials>) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let email =
        Email::parse(body.email.as_deref().unwrap_or_default()).map_err(|m| AppError::validation("email", m))?;
    let password = Password::parse(body.password.as_deref().unwrap_or_default())
        .map_err(|m| AppError::validation("password", m))?;
    let id = state
        .run(move |s| accounts::register(s, &email, &password, Role::User))
        .await?;
    Ok(HttpResponse::Created().json(json!({ "id": id })))
}

#[post("/api/auth/token")]
pub async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<Credentials>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let (Some(email), Some(password)) = (body.email, body.password) else {
        return Err(AppError::validation("email", "Send both email and password."));
    };
    let client = crate::web::client_ip(&req);
    let account = state
        .run(move |s| accounts::authenticate(s, &email, &password, &client))
        .await?;
    let token = tokens::issue(
        &state.key,
        account.id,
        account.session_epoch,
        chrono::Utc::now().timestamp(),
        tokens::TOKEN_TTL_SECS,
    );
    Ok(HttpResponse::Ok().json(json!({ "token": token, "expiresIn": tokens::TOKEN_TTL_SECS })))
}
