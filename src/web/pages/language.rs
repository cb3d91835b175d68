//! The language switch on every page: remembered in a cookie for this browser and, when
//! someone is signed in, on their account (so it follows them to another browser).

use actix_session::Session;
use actix_web::{post, web, HttpResponse};
use serde::Deserialize;

use super::{safe_next, see_other, PageError};
use crate::error::AppError;
use crate::i18n::{self, Lang};
use crate::state::AppState;
use crate::web::forms::CsrfForm;
use crate::web::session;

#[derive(Deserialize)]
pub struct LanguageForm {
    lang: Option<String>,
    next: Option<String>,
}

#[post("/language")]
pub async fn switch(
    session: Session,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<LanguageForm>,
) -> Result<HttpResponse, PageError> {
    let lang = form
        .lang
        .as_deref()
        .and_then(Lang::parse)
        .ok_or_else(|| AppError::validation("lang", "Choose bn (Bengali) or en (English)."))?;
    if let Some(user_id) = session::user_id(&session) {
        state
            .run(move |s| Ok(crate::db::users::set_language(&mut *s.conn()?, user_id, lang.code())?))
            .await?;
    }
    let mut response = see_other(&safe_next(form.next.as_deref()));
    response
        .add_cookie(&i18n::cookie(lang, state.config.cookie_secure))
        .map_err(AppError::internal)?;
    Ok(response)
}
