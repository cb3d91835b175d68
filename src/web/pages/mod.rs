//! Server-rendered pages. Handlers parse the form, call a service function, and render.

pub mod account;
pub mod admin_catalog;
pub mod admin_orders;
pub mod admin_providers;
pub mod admin_system;
pub mod admin_users;
pub mod auth;
pub mod dashboard;
pub mod orders;
pub mod services;

use actix_session::Session;
use actix_web::http::header::{self, ContentType};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use super::session::{self, Flash};
use crate::domain::{Money, Role};
use crate::error::AppError;
use crate::service::accounts::Account;
use crate::state::AppState;

/// What the layout needs on every page: the navigation, the CSRF token, flash messages.
pub struct PageContext {
    pub user: Option<NavUser>,
    pub csrf: String,
    pub flashes: Vec<Flash>,
    pub currency: String,
}

pub struct NavUser {
    /// Orders waiting for review (shown to admins as a badge).
    pub review_count: i64,
    pub email: String,
    pub balance: Money,
    pub is_admin: bool,
    pub is_super_admin: bool,
}

impl PageContext {
    pub fn new(session: &Session, state: &AppState, account: Option<&Account>) -> Self {
        Self {
            user: account.map(|a| NavUser {
                review_count: state.review_count.load(std::sync::atomic::Ordering::Relaxed),
                email: a.email.clone(),
                balance: a.balance,
                is_admin: a.role.is_admin(),
                is_super_admin: a.role == Role::SuperAdmin,
            }),
            csrf: session::csrf_token(session),
            flashes: session::take_flashes(session),
            currency: state.config.panel_currency.clone(),
        }
    }
}

/// Renders a template with a status (forms re-shown with errors use 400 or 422).
pub fn render<T: Template>(status: StatusCode, template: &T) -> HttpResponse {
    match template.render() {
        Ok(html) => HttpResponse::build(status)
            .content_type(ContentType::html())
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(html),
        Err(e) => AppError::internal(format!("template: {e}")).error_response(),
    }
}

/// A 303 redirect after a successful POST.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: String,
}

/// An error on a page: not signed in redirects to the login page; anything else shows
/// an error page with the right status.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("sign-in required")]
    LoginRequired { next: String },
    #[error(transparent)]
    App(#[from] AppError),
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::LoginRequired { .. } => StatusCode::SEE_OTHER,
            PageError::App(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::LoginRequired { next } => {
                let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
                see_other(&format!("/login?next={next}"))
            }
            PageError::App(e) => {
                e.log();
                let status = e.status_code();
                let title = status.canonical_reason().unwrap_or("Error");
                render(
                    status,
                    &ErrorPage {
                        status: status.as_u16(),
                        title,
                        message: e.to_string(),
                    },
                )
            }
        }
    }
}

/// Where to go after signing in: `next` resolved against the site's own origin as a
/// browser would (tabs and newlines dropped, backslashes read as slashes), followed only
/// if it stays on this site; anything else goes to the dashboard.
pub fn safe_next(next: Option<&str>) -> String {
    const SITE: &str = "http://panel.invalid/";
    let Some(raw) = next.map(str::trim).filter(|n| !n.is_empty()) else {
        return "/".into();
    };
    let Ok(base) = url::Url::parse(SITE) else {
        return "/".into();
    };
    match base.join(raw) {
        // A path that begins `//` would itself read as another site in a Location.
        Ok(target) if target.origin() == base.origin() && raw.starts_with('/') && !target.path().starts_with("//") => {
            let mut path = target.path().to_string();
            if let Some(query) = target.query() {
                path.push('?');
                path.push_str(query);
            }
            path
        }
        _ => "/".into(),
    }
}

/// Page not found, for every unknown path outside `/api`.
pub async fn not_found() -> Result<HttpResponse, PageError> {
    Err(PageError::App(AppError::NotFound(
        "There is no page at this address.".into(),
    )))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_this_sites_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/orders?page=2")), "/orders?page=2");
        assert_eq!(safe_next(Some("/admin/orders/5")), "/admin/orders/5");
        for evil in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "http:evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/%2F%2Fevil.example/../..//evil.example",
        ] {
            let next = safe_next(Some(evil));
            assert!(
                next.starts_with('/') && !next.starts_with("//") && !next.contains("evil.example\\"),
                "{evil:?} -> {next}"
            );
            assert!(!next.starts_with("//"), "{evil:?}");
        }
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\t/evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
