//! Every request gets an id: the caller's `X-Request-Id` when it is a plausible one
//! (1–64 of `A–Z a–z 0–9 . _ : -`, e.g. a proxy's), else a new random one. It goes back
//! in the response's `X-Request-Id` (error replies included) and into the access log
//! line, so a customer's complaint or a proxy's log finds the panel's line.
//!
//! While the request is served its id is the *current* one (`current`): a task-local
//! around the handler's future, carried onto the blocking thread by `AppState::run`
//! (`on_this_thread`). The log format and the JSON error body read it, so every log
//! line a request causes, and its error reply, name it.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};

pub const HEADER: &str = "x-request-id";

/// The id of the request being served (in its extensions).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Whether a caller's id may be used as it is (it goes into logs and headers).
fn plausible(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

tokio::task_local! {
    static TASK_ID: String;
}

thread_local! {
    static THREAD_ID: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// The id of the request this code is serving, if any.
pub fn current() -> Option<String> {
    TASK_ID
        .try_with(Clone::clone)
        .ok()
        .or_else(|| THREAD_ID.with(|id| id.borrow().clone()))
}

/// Runs `f` with `id` as this thread's current request id (a blocking hop).
pub fn on_this_thread<T>(id: Option<String>, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<String>);
    impl Drop for Restore {
        fn drop(&mut self) {
            THREAD_ID.with(|slot| *slot.borrow_mut() = self.0.take());
        }
    }
    let _restore = Restore(THREAD_ID.with(|slot| slot.replace(id)));
    f()
}

pub async fn assign(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let given = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|id| plausible(id))
        .map(str::to_string);
    let id = match given {
        Some(id) => id,
        None => hex::encode(crate::crypto::random_bytes::<8>().unwrap_or_default()),
    };
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut response = TASK_ID.scope(id.clone(), next.call(req)).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HeaderName::from_static(HEADER), value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::plausible;

    #[test]
    fn only_short_plain_ids_are_taken_from_the_caller() {
        assert!(plausible("3f2a-19c0.proxy_7:1"));
        assert!(!plausible(""));
        assert!(!plausible(&"a".repeat(65)));
        assert!(!plausible("id with spaces"));
        assert!(!plausible("line\nbreak"));
    }
}
