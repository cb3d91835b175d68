//! The browser session: who is signed in, the CSRF token, flash messages.

use actix_session::Session;
use serde::{Deserialize, Serialize};

use crate::crypto;
use crate::error::{AppError, AppResult};

const USER_ID: &str = "uid";
const EPOCH: &str = "ep";
const STARTED: &str = "t0";
const SEEN: &str = "seen";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";

/// A session ends this long after signing in, however active.
pub const MAX_AGE_SECS: i64 = 3 * 24 * 60 * 60;
/// A session ends after this long without a request.
pub const IDLE_SECS: i64 = 4 * 60 * 60;

pub const CSRF_MESSAGE: &str = "This form has expired or did not come from this site. Reload the page and try again.";

pub fn user_id(session: &Session) -> Option<i64> {
    session.get::<i64>(USER_ID).ok().flatten()
}

fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Whether the session is still live for a user whose session epoch is
/// `current_epoch`: issued in that epoch, not older than `MAX_AGE_SECS`, used within
/// `IDLE_SECS`. Refreshes the idle clock (at most once a minute, so the cookie is not
/// rewritten on every request).
pub fn is_live(session: &Session, current_epoch: i64) -> bool {
    let get = |name: &str| session.get::<i64>(name).ok().flatten();
    let (Some(epoch), Some(started), Some(seen)) = (get(EPOCH), get(STARTED), get(SEEN)) else {
        return false;
    };
    let now = now_unix();
    if now - started > MAX_AGE_SECS || now - seen > IDLE_SECS || epoch != current_epoch {
        return false;
    }
    if now - seen > 60 {
        let _ = session.insert(SEEN, now);
    }
    true
}

/// Signs `user_id` in, with a fresh session (and so a fresh CSRF token), bound to the
/// user's current session epoch.
pub fn sign_in(session: &Session, user_id: i64, epoch: i64) -> AppResult<()> {
    sign_out(session);
    let now = now_unix();
    session.insert(USER_ID, user_id).map_err(AppError::internal)?;
    session.insert(EPOCH, epoch).map_err(AppError::internal)?;
    session.insert(STARTED, now).map_err(AppError::internal)?;
    session.insert(SEEN, now).map_err(AppError::internal)?;
    Ok(())
}

/// Forgets everything in the session (a later `flash` still reaches the next page).
pub fn sign_out(session: &Session) {
    session.clear();
    session.renew();
}

/// The session's CSRF token, created on first use.
pub fn csrf_token(session: &Session) -> String {
    if let Ok(Some(token)) = session.get::<String>(CSRF) {
        return token;
    }
    let token = crypto::random_token::<24>().unwrap_or_default();
    let _ = session.insert(CSRF, &token);
    token
}

/// Refuses a state-changing request whose token does not match the session's.
pub fn verify_csrf(session: &Session, provided: Option<&str>) -> AppResult<()> {
    let expected = session.get::<String>(CSRF).ok().flatten();
    match (expected, provided) {
        (Some(expected), Some(provided)) if !expected.is_empty() && crypto::constant_time_eq(&expected, provided) => {
            Ok(())
        }
        _ => Err(AppError::Forbidden(CSRF_MESSAGE.into())),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FlashKind {
    Success,
    Error,
    Info,
}

impl FlashKind {
    pub fn css(&self) -> &'static str {
        match self {
            FlashKind::Success => "success",
            FlashKind::Error => "error",
            FlashKind::Info => "info",
        }
    }
}

/// A message shown once, on the next page.
pub fn flash(session: &Session, kind: FlashKind, message: impl Into<String>) {
    let mut list = session.get::<Vec<Flash>>(FLASH).ok().flatten().unwrap_or_default();
    list.push(Flash {
        kind,
        // Shown on the next page, which this browser reads in the same language.
        message: crate::i18n::current().message(&message.into()),
    });
    let _ = session.insert(FLASH, list);
}

pub fn take_flashes(session: &Session) -> Vec<Flash> {
    session
        .remove_as::<Vec<Flash>>(FLASH)
        .and_then(Result::ok)
        .unwrap_or_default()
}
