//! `/api/v2`: the panel as a provider for resellers and child panels (SPEC §7). One
//! URL, fields from the query string, a form body or a JSON body (real clients send
//! all three), replies and errors in the wire shapes standard clients parse.

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::service::api_v2::{self, Failure, Params};
use crate::state::AppState;
use crate::web::rate_limit::{self, RateLimiter};

/// The request's fields: the query string first, then the body's (which win).
fn params(req: &HttpRequest, body: &[u8]) -> Result<Params, String> {
    let mut params: Params = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .map_err(|_| "Incorrect request: the query string cannot be read".to_string())?
        .into_iter()
        .collect();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(params);
    }
    let is_json = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    if is_json {
        let object: serde_json::Map<String, Value> =
            serde_json::from_slice(body).map_err(|_| "Incorrect request: the body is not a JSON object".to_string())?;
        for (name, value) in object {
            let text = match value {
                Value::String(s) => s,
                Value::Null => continue,
                // Numbers and booleans as their text; lists (comments) one per line.
                Value::Array(items) => items
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join("\n"),
                other => other.to_string(),
            };
            params.insert(name, text);
        }
    } else {
        let fields = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map_err(|_| "Incorrect request: the body is not form-encoded".to_string())?;
        params.extend(fields);
    }
    Ok(params)
}

/// Every answer is JSON; the caller's mistakes are `{"error"}` with HTTP 200 as
/// standard clients expect, ours an error status so no client takes them as final.
pub async fn api_v2(req: HttpRequest, body: Bytes, state: web::Data<AppState>) -> HttpResponse {
    let params = match params(&req, &body) {
        Ok(params) => params,
        Err(message) => return HttpResponse::Ok().json(json!({ "error": message })),
    };
    // Counted per API key (a digest of it), or per address without one; a key that
    // turns out to be unknown counts against the address too. Checked here rather than
    // in the middleware, which cannot read the key from the body.
    let address = rate_limit::address_bucket(&crate::web::client_ip(&req));
    let key = params.get("key").map(|k| k.trim()).filter(|k| !k.is_empty());
    let bucket = key.map_or_else(|| address.clone(), rate_limit::api_key_bucket);
    let keyed = key.is_some();
    let limiter = req.app_data::<web::Data<RateLimiter>>().cloned();
    let state = state.get_ref().clone();
    let outcome = web::block(move || {
        if let Some(limiter) = &limiter {
            limiter.check(&bucket)?;
        }
        let outcome = api_v2::handle(&state, &params);
        if let (Some(limiter), Err(Failure::Refused(message))) = (&limiter, &outcome) {
            if keyed && message == api_v2::INVALID_KEY {
                limiter.check(&address)?;
            }
        }
        Ok(outcome)
    })
    .await
    .unwrap_or_else(|e| Ok(Err(Failure::Unavailable(e.into()))));
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(retry_after_secs) => return too_many(retry_after_secs),
    };
    match outcome {
        Ok(reply) => HttpResponse::Ok().json(reply),
        Err(Failure::Refused(message)) => HttpResponse::Ok().json(json!({ "error": message })),
        Err(Failure::Unavailable(e)) => {
            e.log();
            HttpResponse::build(StatusCode::SERVICE_UNAVAILABLE)
                .json(json!({ "error": "The panel is temporarily unavailable; try again shortly" }))
        }
    }
}

/// 429 with `Retry-After`, in the only error shape API v2 clients parse.
fn too_many(retry_after_secs: u64) -> HttpResponse {
    let message = crate::error::AppError::RateLimited { retry_after_secs }.to_string();
    HttpResponse::TooManyRequests()
        .insert_header(("Retry-After", retry_after_secs.to_string()))
        .json(json!({ "error": message }))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v2", web::post().to(api_v2))
        .route("/api/v2", web::get().to(api_v2));
}
