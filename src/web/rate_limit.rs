//! `RATE_LIMIT_PER_MIN` per client (SPEC §9): a fixed one-minute window per address;
//! past the limit, 429 with `Retry-After` until the window ends. Health checks and
//! static assets are not counted.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error, ResponseError};

use crate::error::AppError;

/// Windows kept before stale ones are dropped.
const MAX_TRACKED: usize = 50_000;

pub struct RateLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<IpAddr, (u64, u32)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request from `client` at `now_secs`; `Err(seconds)` when over the limit.
    pub fn check(&self, client: IpAddr, now_secs: u64) -> Result<(), u64> {
        let minute = now_secs / 60;
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > MAX_TRACKED {
            windows.retain(|_, (m, _)| *m == minute);
        }
        let window = windows.entry(client).or_insert((minute, 0));
        if window.0 != minute {
            *window = (minute, 0);
        }
        if window.1 >= self.per_minute {
            return Err(60 - now_secs % 60);
        }
        window.1 += 1;
        Ok(())
    }
}

fn exempt(path: &str) -> bool {
    path == "/healthz" || path == "/readyz" || path.starts_with("/static/")
}

/// Answers 429 itself (a response, not an error) so the outer middleware still adds
/// the security headers.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if !exempt(req.path()) {
        if let (Some(limiter), Some(peer)) = (req.app_data::<web::Data<RateLimiter>>(), req.peer_addr()) {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            if let Err(retry_after_secs) = limiter.check(peer.ip(), now) {
                let limited = AppError::RateLimited { retry_after_secs };
                let mut response = limited.error_response();
                if req.path() == "/api/v2" {
                    // API v2 clients parse only `{"error": …}`.
                    response = actix_web::HttpResponse::TooManyRequests()
                        .insert_header(("Retry-After", retry_after_secs.to_string()))
                        .json(serde_json::json!({ "error": limited.to_string() }));
                }
                return Ok(req.into_response(response).map_into_right_body());
            }
        }
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_gets_its_own_window_that_resets_each_minute() {
        let limiter = RateLimiter::new(2);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        assert!(limiter.check(a, 600).is_ok());
        assert!(limiter.check(a, 610).is_ok());
        assert_eq!(limiter.check(a, 615), Err(45));
        assert!(limiter.check(b, 615).is_ok(), "another client is not affected");
        assert!(limiter.check(a, 660).is_ok(), "a new minute");
    }
}
