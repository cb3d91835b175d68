//! HTTP: pages (Askama), the JSON API, and the middleware around them.

pub mod api;
pub mod assets;
pub mod auth;
pub mod forms;
pub mod headers;
pub mod metrics;
pub mod pages;
pub mod rate_limit;
pub mod request_id;
pub mod routes;
pub mod session;

use actix_web::HttpRequest;

/// The caller's address as seen by this server (used for throttling and the audit log).
pub fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The admin acting through this request, for the audit log.
pub fn actor(req: &HttpRequest, account: &crate::service::accounts::Account) -> crate::service::audit::Actor {
    crate::service::audit::Actor {
        user_id: Some(account.id),
        ip: Some(client_ip(req)),
    }
}

/// A numeric id from the path; anything else names no resource (404).
pub fn path_id(raw: &str) -> Result<i64, crate::error::AppError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| crate::error::AppError::NotFound(format!("'{raw}' is not an id here.")))
}
