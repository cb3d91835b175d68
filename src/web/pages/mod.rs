//! Server-rendered pages. Handlers parse the form, call a service function, and render.

pub mod account;
pub mod admin_catalog;
pub mod admin_orders;
pub mod admin_providers;
pub mod admin_system;
pub mod admin_users;
pub mod auth;
pub mod dashboard;
pub mod funds;
pub mod language;
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
use crate::i18n::Lang;
use crate::service::accounts::Account;
use crate::state::AppState;

/// What the layout needs on every page: the navigation, the CSRF token, flash messages.
pub struct PageContext {
    pub user: Option<NavUser>,
    pub csrf: String,
    pub flashes: Vec<Flash>,
    pub currency: String,
    /// The language the page is written in.
    pub lang: Lang,
    /// This page's path and query, where the language switch comes back to.
    pub here: String,
}

pub struct NavUser {
    /// Orders waiting for review (shown to admins as a badge).
    pub review_count: i64,
    /// Add-funds requests waiting for an admin (shown to admins as a badge).
    pub funds_pending: i64,
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
                funds_pending: state.funds_pending.load(std::sync::atomic::Ordering::Relaxed),
                email: a.email.clone(),
                balance: a.balance,
                is_admin: a.role.is_admin(),
                is_super_admin: a.role == Role::SuperAdmin,
            }),
            csrf: session::csrf_token(session),
            flashes: session::take_flashes(session),
            currency: state.config.panel_currency.clone(),
            lang: crate::i18n::current(),
            here: crate::i18n::current_path(),
        }
    }

    /// The text of `key` in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// The text of `key` with one argument.
    pub fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.lang.t_args(key, &[(name, value.to_string())])
    }

    /// The text of `key` with two arguments.
    pub fn t2(
        &self,
        key: &str,
        name: &str,
        value: impl std::fmt::Display,
        name2: &str,
        value2: impl std::fmt::Display,
    ) -> String {
        self.lang
            .t_args(key, &[(name, value.to_string()), (name2, value2.to_string())])
    }

    /// An amount in the panel's currency.
    pub fn money(&self, amount: &Money) -> String {
        self.lang.money(amount, &self.currency)
    }

    /// An amount stored as micros, in the panel's currency.
    pub fn micros(&self, micros: &i64) -> String {
        self.lang.money(&Money::from_micros(*micros), &self.currency)
    }

    /// An amount in another currency (a provider's USD).
    pub fn money_in(&self, amount: &Money, currency: &str) -> String {
        self.lang.money(amount, currency)
    }

    /// A count or quantity.
    pub fn num(&self, n: impl Count) -> String {
        self.lang.number(n.count())
    }

    /// Any figure written with ASCII digits (a rate, a percentage, a duration).
    pub fn fig(&self, text: impl std::fmt::Display) -> String {
        self.lang.figure(&text.to_string())
    }

    /// A stored date and time.
    pub fn when(&self, at: &chrono::NaiveDateTime) -> String {
        self.lang.datetime(at)
    }

    /// A stored date and time to the second.
    pub fn when_secs(&self, at: &chrono::NaiveDateTime) -> String {
        self.lang.datetime_secs(at)
    }

    /// A list's total as its heading shows it: `1,000+` in English, `১,০০০+` in Bengali.
    pub fn total<T>(&self, page: &crate::service::pagination::CursorPage<T>) -> String {
        match self.lang {
            Lang::En => page.total_label(),
            lang => {
                let more = if page.total_exact { "" } else { "+" };
                format!("{}{more}", lang.number(page.total))
            }
        }
    }

    /// An optional stored date and time ("—" when there is none).
    pub fn when_opt(&self, at: &Option<chrono::NaiveDateTime>) -> String {
        at.as_ref().map_or_else(|| "—".to_string(), |at| self.lang.datetime(at))
    }

    /// The name of a value of a closed set: `ctx.name("status", "in_progress")`.
    pub fn name(&self, set: &str, value: impl std::fmt::Display) -> String {
        self.lang.name_of(set, &value.to_string())
    }

    /// A message the code wrote in English, in the page's language.
    pub fn msg(&self, english: impl std::fmt::Display) -> String {
        self.lang.message(&english.to_string())
    }
}

/// Whole numbers a page shows, as templates hand them over (by value or by reference).
pub trait Count {
    fn count(&self) -> i64;
}

impl Count for i64 {
    fn count(&self) -> i64 {
        *self
    }
}

impl Count for i32 {
    fn count(&self) -> i64 {
        i64::from(*self)
    }
}

impl Count for usize {
    fn count(&self) -> i64 {
        i64::try_from(*self).unwrap_or(i64::MAX)
    }
}

impl<T: Count + ?Sized> Count for &T {
    fn count(&self) -> i64 {
        (**self).count()
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
struct ErrorPage {
    lang: Lang,
    status: u16,
    message: String,
}

impl ErrorPage {
    /// `404 · Not found`, in the page's language.
    fn heading(&self) -> String {
        format!(
            "{} · {}",
            self.lang.number(i64::from(self.status)),
            self.lang.t(&format!("http-{}", self.status))
        )
    }
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
                let lang = crate::i18n::current();
                render(
                    status,
                    &ErrorPage {
                        lang,
                        status: status.as_u16(),
                        message: lang.message(&e.to_string()),
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
