//! The JSON API under `/api` (SPEC §8).

pub mod admin;
pub mod admin_ops;
pub mod auth;
pub mod catalog;
pub mod funds;
pub mod health;
pub mod orders;
pub mod requests;
pub mod sync;
pub mod system;
pub mod user;
pub mod v2;

use actix_web::{error, web, HttpRequest};

use crate::error::AppError;

/// Bad JSON, query strings and paths get the SPEC §8 error shape with a 400.
pub fn extractor_config(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::JsonConfig::default().limit(1024 * 1024).error_handler(|e, _| {
        let message = match &e {
            error::JsonPayloadError::ContentType => {
                "Send the body as JSON (Content-Type: application/json).".to_string()
            }
            error::JsonPayloadError::OverflowKnownLength { .. } | error::JsonPayloadError::Overflow { .. } => {
                "The request body is too large.".to_string()
            }
            other => format!("The request body is not valid JSON: {other}"),
        };
        AppError::Validation { field: None, message }.into()
    }))
    .app_data(web::QueryConfig::default().error_handler(|e, _| {
        AppError::Validation {
            field: None,
            message: format!("Bad query string: {e}"),
        }
        .into()
    }))
    .app_data(web::PathConfig::default().error_handler(|e, _| {
        AppError::Validation {
            field: None,
            message: format!("Bad path: {e}"),
        }
        .into()
    }));
}

/// `/api/…` paths that match no route.
pub async fn not_found(req: HttpRequest) -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound(format!(
        "No API route {} {}.",
        req.method(),
        req.path()
    )))
}

/// Ids are numbers; strings of digits are accepted too (SPEC §8).
#[derive(Debug, Clone, Copy)]
pub struct Id(pub i64);

impl<'de> serde::Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(i64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) if n > 0 => Ok(Id(n)),
            Raw::Text(s) => s
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .map(Id)
                .ok_or_else(|| serde::de::Error::custom(format!("'{s}' is not an id"))),
            Raw::Number(n) => Err(serde::de::Error::custom(format!("{n} is not an id"))),
        }
    }
}
