//! HTTP: pages (Askama), the JSON API, and the middleware around them.

pub mod api;
pub mod assets;
pub mod auth;
pub mod forms;
pub mod headers;
pub mod pages;
pub mod routes;
pub mod session;

use actix_web::HttpRequest;

/// The caller's address as seen by this server (used for throttling and the audit log).
pub fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into())
}
