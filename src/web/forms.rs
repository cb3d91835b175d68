//! Form handling shared by every page: the CSRF-checked form extractor and the
//! per-field error list that re-rendered forms show beside their inputs.

use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::pages::PageError;
use super::session;
use crate::error::AppError;

const FORM_LIMIT: usize = 256 * 1024;

/// A url-encoded form whose `csrf` field matched the session's token. Every page POST
/// takes its input through this, so none can skip the check.
pub struct CsrfForm<T>(pub T);

#[derive(Deserialize)]
struct CsrfField {
    csrf: Option<String>,
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let bytes = Bytes::from_request(&req, payload);
        Box::pin(async move {
            let body = bytes
                .await
                .map_err(|e| PageError::from(AppError::validation("form", e.to_string())))?;
            if body.len() > FORM_LIMIT {
                return Err(AppError::validation("form", "The form is too large.").into());
            }
            let field: CsrfField = serde_urlencoded::from_bytes(&body).unwrap_or(CsrfField { csrf: None });
            session::verify_csrf(&req.get_session(), field.csrf.as_deref())?;
            let form = serde_urlencoded::from_bytes::<T>(&body)
                .map_err(|e| AppError::validation("form", format!("The form could not be read: {e}")))?;
            Ok(CsrfForm(form))
        })
    }
}

/// Messages keyed by the input they are about.
#[derive(Debug, Default, Clone)]
pub struct FormErrors(Vec<(&'static str, String)>);

impl FormErrors {
    /// Adds a message (written in English) in the request's language.
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, crate::i18n::current().message(&message.into())));
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Messages not tied to one input (shown at the top of the form).
    pub fn general(&self) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(f, _)| *f == "form")
            .map(|(_, m)| m.as_str())
            .collect()
    }

    /// Places an application error beside its field, or at the top of the form.
    pub fn from_error(error: &AppError) -> Self {
        let mut errors = Self::default();
        errors.add(error.field().unwrap_or("form"), error.to_string());
        errors
    }
}

/// The typed value of an optional form field ("" when absent), for `value="…"`.
pub fn value(field: &Option<String>) -> &str {
    field.as_deref().unwrap_or("")
}

/// Whether a checkbox field is ticked (forms store ticks as `"true"`).
pub fn is_on(field: &Option<String>) -> bool {
    field.as_deref() == Some("true")
}

/// Whether a select field holds `id` (for `selected`).
pub fn selects(field: &Option<String>, id: &i64) -> bool {
    field.as_deref() == Some(id.to_string().as_str())
}
