//! `GET /metrics` (Prometheus text format) and the middleware that counts every answer
//! by route pattern and status class, with its latency.
//!
//! Who may read `/metrics`: a scraper presenting `Authorization: Bearer $METRICS_TOKEN`;
//! a caller on this machine (loopback, and no `X-Forwarded-For`/`Forwarded` header, so
//! a proxy on the same host does not make the whole internet local); or an admin (API
//! token or signed-in session). Anyone else: 403.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{get, web, Error, HttpRequest, HttpResponse};

use crate::error::AppError;
use crate::state::AppState;

/// Counts the answer (after it is produced; no lock, no query).
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    let response = next.call(req).await?;
    let request = response.request();
    crate::telemetry::http_request(
        request.path(),
        || request.match_pattern(),
        method,
        response.status().as_u16(),
        started.elapsed(),
    );
    Ok(response)
}

/// Standard methods by name; anything else is one label (a client cannot mint series).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[get("/metrics")]
pub async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    allowed(&req, &state).await?;
    let handle = crate::telemetry::handle()
        .filter(|_| state.config.metrics)
        .ok_or_else(|| AppError::NotFound("Metrics are off on this instance (METRICS=off).".into()))?;
    crate::telemetry::refresh_gauges(&state.pool);
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(handle.render()))
}

async fn allowed(req: &HttpRequest, state: &AppState) -> Result<(), AppError> {
    let bearer = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
    if let (Some(token), Some(given)) = (&state.config.metrics_token, bearer) {
        if token.matches(given.trim()) {
            return Ok(());
        }
    }
    let forwarded = req.headers().contains_key("x-forwarded-for") || req.headers().contains_key("forwarded");
    let local = req.peer_addr().is_some_and(|a| crate::config::is_loopback(a.ip()));
    if local && !forwarded {
        return Ok(());
    }
    let has_credentials =
        bearer.is_some() || crate::web::session::user_id(&actix_session::SessionExt::get_session(req)).is_some();
    if has_credentials {
        return crate::web::auth::api_admin(req).await.map(|_| ());
    }
    Err(AppError::Forbidden(
        "Metrics are served to this machine, to admins, and to a scraper with METRICS_TOKEN.".into(),
    ))
}
