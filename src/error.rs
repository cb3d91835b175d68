//! One application error. Each variant carries a SPEC §8 code and status; JSON routes
//! answer `{"success":false,"error":{"code","message"}}`, pages wrap it in `PageError`.
//!
//! `AppError` is for requests; database functions return `QueryResult`; the CLI uses
//! `anyhow`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input (400). `field` names the input it is about, where there is one.
    #[error("{message}")]
    Validation {
        field: Option<&'static str>,
        message: String,
    },
    /// No credentials, or bad ones (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but not allowed (403).
    #[error("{0}")]
    Forbidden(String),
    /// Missing, or not the caller's (404).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with what exists (409), e.g. `email_taken`.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The order changed, or is in a state that does not allow this (409): `current`
    /// is the order as it now is, so the caller can decide again.
    #[error("{message}")]
    Stale {
        code: &'static str,
        message: String,
        current: Box<serde_json::Value>,
    },
    /// A business rule refuses it (422), e.g. `insufficient_balance`.
    #[error("{message}")]
    Business { code: &'static str, message: String },
    /// Too many requests (429).
    #[error("Too many requests; try again in {retry_after_secs} s.")]
    RateLimited { retry_after_secs: u64 },
    /// A provider failed (502) or did not answer in time (504).
    #[error("{message}")]
    Provider {
        code: &'static str,
        message: String,
        timeout: bool,
    },
    /// The database cannot be reached (503).
    #[error("The service is temporarily unavailable; please try again shortly.")]
    Unavailable(String),
    /// Anything else (500): the cause is logged, the caller sees a generic message.
    #[error("Something went wrong on our side; it has been logged.")]
    Internal(String),
}

impl AppError {
    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        Self::Validation {
            field: Some(field),
            message: message.into(),
        }
    }

    pub fn business(code: &'static str, message: impl Into<String>) -> Self {
        Self::Business {
            code,
            message: message.into(),
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation { .. } => "validation_error",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Stale { code, .. }
            | Self::Conflict { code, .. }
            | Self::Business { code, .. }
            | Self::Provider { code, .. } => code,
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "service_unavailable",
            Self::Internal(_) => "internal_error",
        }
    }

    /// The input field the error is about, if any (pages show the message beside it).
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Validation { field, .. } => *field,
            _ => None,
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    success: bool,
    error: ErrorDetail<'a>,
    /// The order as it now is, with `order_changed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    order: Option<&'a serde_json::Value>,
    /// The request's `X-Request-Id`, to quote when reporting a problem.
    #[serde(rename = "requestId", skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } | Self::Stale { .. } => StatusCode::CONFLICT,
            Self::Business { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Provider { timeout: true, .. } => StatusCode::GATEWAY_TIMEOUT,
            Self::Provider { .. } => StatusCode::BAD_GATEWAY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        let mut response = HttpResponse::build(self.status_code());
        if let Self::RateLimited { retry_after_secs } = self {
            response.insert_header(("Retry-After", retry_after_secs.to_string()));
        }
        if let Self::Unauthorized(_) = self {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        response.json(ErrorBody {
            success: false,
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
                field: self.field(),
            },
            order: match self {
                Self::Stale { current, .. } => Some(current),
                _ => None,
            },
            request_id: crate::web::request_id::current(),
        })
    }
}

impl AppError {
    /// Server-side failures are logged with their cause; the caller never sees it.
    pub fn log(&self) {
        match self {
            Self::Internal(cause) => log::error!("internal error: {cause}"),
            Self::Unavailable(cause) => log::error!("database unavailable: {cause}"),
            _ => {}
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        crate::db::note_error(&e);
        match e {
            diesel::result::Error::NotFound => Self::NotFound("Not found.".into()),
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::ClosedConnection, info) => {
                Self::Unavailable(info.message().to_string())
            }
            other => Self::Internal(format!("database: {other}")),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::Internal(format!("blocking task: {e}"))
    }
}

impl From<crate::crypto::CryptoError> for AppError {
    fn from(e: crate::crypto::CryptoError) -> Self {
        Self::Internal(format!("crypto: {e}"))
    }
}

pub type AppResult<T> = Result<T, AppError>;
