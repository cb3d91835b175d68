//! `RATE_LIMIT_PER_MIN` per client (SPEC §9, issue 14): a fixed one-minute window per
//! bucket; past the limit, 429 with `Retry-After` (the seconds to the window's end).
//!
//! A request counts against its signed-in user (`user:<id>`, from a valid bearer token
//! or the session), else its address (`ip:<address>`, see `web::client_addr`); an
//! `/api/v2` call counts against its API key (`v2:<digest>`), checked in that handler
//! once the key is read from the body. Health checks, metrics and static assets are
//! not counted.
//!
//! On SQLite (one process) the windows live in this process's memory; on PostgreSQL in
//! the `limit_windows` table, so N processes let through exactly what one would; each
//! process counts its requests in batches, one upsert per batch (`start_counter`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use actix_session::SessionExt;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error, ResponseError};

use crate::config::DatabaseUrl;
use crate::db::{self, DbPool};
use crate::error::AppError;
use crate::state::AppState;

/// Windows kept in memory before stale ones are dropped.
const MAX_TRACKED: usize = 50_000;
/// Connections the shared counter may hold beside the main pool, and how long a count
/// may wait for one before the request goes through uncounted.
const SHARED_CONNECTIONS: u32 = 4;
const SHARED_WAIT: Duration = Duration::from_secs(1);
/// After the database failed to count, requests go through uncounted for this long
/// without asking it again (an outage must not add a wait to every request).
const SKIP_AFTER_FAILURE_MS: i64 = 5_000;
/// At most one warning about uncounted requests in this long.
const WARN_EVERY_MS: i64 = 60_000;

pub struct RateLimiter {
    per_minute: u32,
    windows: Windows,
}

enum Windows {
    /// This process only (SQLite): bucket → (minute, hits).
    Memory(Mutex<HashMap<String, (u64, u32)>>),
    /// Every process on the database (PostgreSQL).
    Shared(SharedWindows),
}

struct SharedWindows {
    /// To the counting thread (`start_counter`): a bucket's window and where to answer.
    hits: tokio::sync::mpsc::Sender<Hit>,
    /// Until when (Unix ms) requests go through without asking the database.
    skip_until_ms: AtomicI64,
    /// When (Unix ms) the last warning about it was logged.
    warned_at_ms: AtomicI64,
}

impl RateLimiter {
    /// Counters in this process's memory.
    pub fn in_memory(per_minute: u32) -> Self {
        Self {
            per_minute,
            windows: Windows::Memory(Mutex::default()),
        }
    }

    /// Shared through the database on PostgreSQL, in memory on SQLite.
    pub fn for_state(state: &AppState) -> Self {
        let per_minute = state.config.rate_limit_per_min;
        match &state.config.database_url {
            DatabaseUrl::Sqlite(_) => Self::in_memory(per_minute),
            url @ DatabaseUrl::Postgres(_) => Self {
                per_minute,
                windows: Windows::Shared(SharedWindows {
                    hits: start_counter(db::side_pool(url, SHARED_CONNECTIONS, SHARED_WAIT)),
                    skip_until_ms: AtomicI64::new(0),
                    warned_at_ms: AtomicI64::new(0),
                }),
            },
        }
    }

    /// Counts a request in `bucket` now; `Err(seconds to the window's end)` when over
    /// the limit. Blocking when shared: call it off the async executor.
    pub fn check(&self, bucket: &str) -> Result<(), u64> {
        self.check_at(bucket, db::clock::now_millis())
    }

    /// `check` at `now_ms` (Unix milliseconds, the database's clock).
    pub fn check_at(&self, bucket: &str, now_ms: i64) -> Result<(), u64> {
        let (now_secs, window_start) = window_of(now_ms);
        let hits = match &self.windows {
            Windows::Memory(windows) => {
                let minute = window_start / 60;
                let mut windows = windows.lock().unwrap_or_else(|p| p.into_inner());
                if windows.len() > MAX_TRACKED {
                    windows.retain(|_, (m, _)| *m == minute);
                }
                let window = windows.entry(bucket.to_string()).or_insert((minute, 0));
                if window.0 != minute {
                    *window = (minute, 0);
                }
                window.1 = window.1.saturating_add(1);
                Some(u64::from(window.1))
            }
            Windows::Shared(shared) => shared.count_blocking(bucket, window_start, now_ms),
        };
        self.judge(hits, now_secs)
    }

    /// `check` from async code: the shared count is awaited (no thread waits for it).
    pub async fn check_async(limiter: web::Data<Self>, bucket: String) -> Result<(), u64> {
        let Windows::Shared(shared) = &limiter.windows else {
            return limiter.check(&bucket);
        };
        let now_ms = db::clock::now_millis();
        let (now_secs, window_start) = window_of(now_ms);
        let hits = shared.count(&bucket, window_start, now_ms).await;
        limiter.judge(hits, now_secs)
    }

    /// A request that is `hits` in its window (`None`: uncounted) passes, or waits for
    /// the window's end.
    fn judge(&self, hits: Option<u64>, now_secs: u64) -> Result<(), u64> {
        match hits {
            Some(hits) if hits > u64::from(self.per_minute) => Err(60 - now_secs % 60),
            _ => Ok(()),
        }
    }
}

/// The second `now_ms` falls in, and the start of its one-minute window (Unix seconds).
fn window_of(now_ms: i64) -> (u64, u64) {
    let now_secs = u64::try_from(now_ms / 1000).unwrap_or(0);
    (now_secs, now_secs - now_secs % 60)
}

impl SharedWindows {
    /// The window's count with this request, or `None` when the database cannot count
    /// it.
    ///
    /// Failing open is deliberate: the limit protects the panel from being flooded, and
    /// when the database cannot be reached the pages and the API that need it answer
    /// 503 anyway, while those that do not (the sign-in page, static pages) should keep
    /// working. Failing closed would turn a database hiccup into a 429 for every client,
    /// which is an outage of its own; the sign-in throttle, which guards passwords,
    /// fails closed instead. A warning is logged at most once a minute, and for a few
    /// seconds after a failure the database is not asked again, so an outage adds no
    /// wait to each request.
    async fn count(&self, bucket: &str, window_start: u64, now_ms: i64) -> Option<u64> {
        let (hit, answer) = self.hit(bucket, window_start, now_ms)?;
        let counted = match self.hits.send(hit).await {
            Ok(()) => answer.await.unwrap_or_else(|_| Err(STOPPED.into())),
            Err(_) => Err(STOPPED.into()),
        };
        self.settle(counted, now_ms)
    }

    /// `count` from a blocking thread.
    fn count_blocking(&self, bucket: &str, window_start: u64, now_ms: i64) -> Option<u64> {
        let (hit, answer) = self.hit(bucket, window_start, now_ms)?;
        let counted = match self.hits.blocking_send(hit) {
            Ok(()) => answer.blocking_recv().unwrap_or_else(|_| Err(STOPPED.into())),
            Err(_) => Err(STOPPED.into()),
        };
        self.settle(counted, now_ms)
    }

    /// The request for the counting thread and where its answer comes, unless the
    /// database is being left alone after a failure.
    fn hit(&self, bucket: &str, window_start: u64, now_ms: i64) -> Option<(Hit, Answer)> {
        if now_ms < self.skip_until_ms.load(Ordering::Relaxed) {
            return None;
        }
        let (reply, answer) = tokio::sync::oneshot::channel();
        let hit = Hit {
            bucket: bucket.to_string(),
            window_start: i64::try_from(window_start).unwrap_or(i64::MAX),
            reply,
        };
        Some((hit, answer))
    }

    /// The count, or `None` after a failure (which is logged, and skips the database
    /// for a while).
    fn settle(&self, counted: Result<u64, String>, now_ms: i64) -> Option<u64> {
        match counted {
            Ok(hits) => Some(hits),
            Err(cause) => {
                self.skip_until_ms
                    .store(now_ms + SKIP_AFTER_FAILURE_MS, Ordering::Relaxed);
                let warned = self.warned_at_ms.load(Ordering::Relaxed);
                if now_ms - warned >= WARN_EVERY_MS
                    && self
                        .warned_at_ms
                        .compare_exchange(warned, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok()
                {
                    log::warn!(
                        "rate limit: the database cannot count requests ({cause}); letting them through uncounted"
                    );
                }
                None
            }
        }
    }
}

const STOPPED: &str = "the counting thread has stopped";

type Answer = tokio::sync::oneshot::Receiver<Result<u64, String>>;

/// One request to count.
struct Hit {
    bucket: String,
    window_start: i64,
    reply: tokio::sync::oneshot::Sender<Result<u64, String>>,
}

/// Requests waiting to be counted before callers block (back-pressure).
const COUNTER_QUEUE: usize = 4096;
/// The most requests one counting statement carries.
const COUNTER_BATCH: usize = 1024;

/// The counting thread: it takes every request waiting, adds them up per window and
/// writes them in one statement, then hands each request its own number in its window
/// (a window at 57 that gains 4 answers 55, 56, 57 and 58, in arrival order). Exact
/// like one upsert per request, in one round trip per batch instead of one per
/// request: under load the batch grows with the wait, and the busiest bucket (one
/// reseller's key) is one row written once per batch, not a row every request waits
/// its turn to lock.
fn start_counter(pool: DbPool) -> tokio::sync::mpsc::Sender<Hit> {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Hit>(COUNTER_QUEUE);
    let spawned = std::thread::Builder::new()
        .name("rate-limit-counter".into())
        .spawn(move || {
            while let Some(first) = receiver.blocking_recv() {
                let mut batch = vec![first];
                while batch.len() < COUNTER_BATCH {
                    match receiver.try_recv() {
                        Ok(hit) => batch.push(hit),
                        Err(_) => break,
                    }
                }
                count_batch(&pool, batch);
            }
        });
    if let Err(e) = spawned {
        // Without the thread every send fails, and requests go through uncounted (logged).
        log::error!("rate limit: could not start the counting thread: {e}");
    }
    sender
}

fn count_batch(pool: &DbPool, batch: Vec<Hit>) {
    let mut groups: Vec<(&str, i64, i32)> = Vec::new();
    // Each hit's group.
    let mut of: Vec<usize> = Vec::with_capacity(batch.len());
    let mut index: HashMap<(&str, i64), usize> = HashMap::new();
    for hit in &batch {
        let i = *index.entry((&hit.bucket, hit.window_start)).or_insert_with(|| {
            groups.push((&hit.bucket, hit.window_start, 0));
            groups.len() - 1
        });
        groups[i].2 += 1;
        of.push(i);
    }
    let counted = pool.get().map_err(|e| e.to_string()).and_then(|mut conn| {
        db::limits::count_hits(&mut conn, &groups)
            .inspect_err(db::note_error)
            .map_err(|e| e.to_string())
    });
    // Each group's requests take the numbers up to its new total, in order.
    let mut next: Result<Vec<i64>, String> = counted.map(|totals| {
        groups
            .iter()
            .zip(&totals)
            .map(|((_, _, n), total)| total - i64::from(*n) + 1)
            .collect()
    });
    for (hit, i) in batch.into_iter().zip(of) {
        let answer = match &mut next {
            Ok(next) => {
                next[i] += 1;
                Ok(u64::try_from(next[i] - 1).unwrap_or(0))
            }
            Err(cause) => Err(cause.clone()),
        };
        let _ = hit.reply.send(answer);
    }
}

/// Not counted: probes, the metrics scrape, static assets, and `/api/v2` (counted per
/// API key in its handler, which reads the key from the body).
fn exempt(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics" | "/api/v2") || path.starts_with("/static/")
}

/// The bucket of a request from `client` (its address).
pub fn address_bucket(client: &str) -> String {
    format!("ip:{client}")
}

/// The bucket of an `/api/v2` call with `api_key`: a digest, never the key.
pub fn api_key_bucket(api_key: &str) -> String {
    format!("v2:{}", db::limits::digest(api_key))
}

/// Whose request this is, with no database query: the user of a valid bearer token
/// (checked by its signature) or of the session (its cookie is already decrypted by the
/// session middleware), else the client's address. An invalid token counts against
/// the address, so made-up tokens do not make fresh buckets.
fn bucket(req: &ServiceRequest, state: &AppState) -> String {
    let bearer = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
    let user = match bearer {
        Some(token) => {
            crate::service::tokens::verify(&state.key, token, chrono::Utc::now().timestamp()).map(|(id, _)| id)
        }
        None => super::session::user_id(&req.get_session()),
    };
    match user {
        Some(id) => format!("user:{id}"),
        None => address_bucket(&super::client_ip(req.request())),
    }
}

/// Answers 429 itself (a response, not an error) so the outer middleware still adds
/// the security headers. Runs inside the session middleware (it reads the session).
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if !exempt(req.path()) {
        let limiter = req.app_data::<web::Data<RateLimiter>>().cloned();
        let state = req.app_data::<web::Data<AppState>>();
        if let (Some(limiter), Some(state)) = (limiter, state) {
            let bucket = bucket(&req, state);
            if let Err(retry_after_secs) = RateLimiter::check_async(limiter, bucket).await {
                let response = AppError::RateLimited { retry_after_secs }.error_response();
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
    fn each_bucket_gets_its_own_window_that_resets_each_minute() {
        let limiter = RateLimiter::in_memory(2);
        let (a, b) = ("ip:10.0.0.1", "user:7");
        assert!(limiter.check_at(a, 600_000).is_ok());
        assert!(limiter.check_at(a, 610_000).is_ok());
        assert_eq!(limiter.check_at(a, 615_000), Err(45));
        assert_eq!(limiter.check_at(a, 659_999), Err(1), "to the window's end, rounded up");
        assert!(limiter.check_at(b, 615_000).is_ok(), "another bucket is not affected");
        assert!(limiter.check_at(a, 660_000).is_ok(), "a new minute");
    }

    #[test]
    fn what_is_not_counted() {
        for path in ["/healthz", "/readyz", "/metrics", "/static/app.css", "/api/v2"] {
            assert!(exempt(path), "{path}");
        }
        for path in ["/login", "/api/v2/x", "/api/user/me", "/metrics/x", "/"] {
            assert!(!exempt(path), "{path}");
        }
    }

    #[test]
    fn an_api_key_is_never_its_own_bucket_name() {
        let bucket = api_key_bucket("k3y-s3cret");
        assert!(bucket.starts_with("v2:") && !bucket.contains("s3cret"), "{bucket}");
    }
}
