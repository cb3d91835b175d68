//! The admin System page: charts of every instance's last hour and day, the instances,
//! the alerts that hold, and the form for their thresholds.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;

use super::{render, see_other, PageContext, PageError};
use crate::error::AppError;
use crate::service::alerts::{self, ThresholdsInput};
use crate::service::system::{self, SystemView};
use crate::state::AppState;
use crate::web::auth::PageAdmin;
use crate::web::forms::{CsrfForm, FormErrors};
use crate::web::session::{self, FlashKind};

#[derive(Template)]
#[template(path = "admin/system.html")]
struct SystemPage {
    ctx: PageContext,
    view: SystemView,
    /// The thresholds form as typed (or as stored).
    form: ThresholdsInput,
    errors: FormErrors,
    measuring: bool,
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn page(
    session: &Session,
    state: &web::Data<AppState>,
    admin: &crate::service::accounts::Account,
    form: Option<ThresholdsInput>,
    errors: FormErrors,
) -> Result<SystemPage, PageError> {
    // The account's language, as the page context will have it.
    let lang = crate::i18n::current();
    let view = state
        .run(move |s| system::view(&mut *s.conn()?, unix_now(), lang))
        .await?;
    let form = form.unwrap_or_else(|| {
        let t = &view.thresholds;
        let text = |n: Option<i64>| n.map(|n| n.to_string());
        ThresholdsInput {
            error_rate_percent: text(t.error_rate_percent),
            p95_ms: text(t.p95_ms),
            queue_depth: text(t.queue_depth),
            provider_error_percent: text(t.provider_error_percent),
            provider_balance_below: t.provider_balance_below.clone(),
        }
    });
    Ok(SystemPage {
        ctx: PageContext::new(session, state, Some(admin)),
        view,
        form,
        errors,
        measuring: state.config.metrics,
    })
}

#[get("/admin/system")]
pub async fn show(
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
) -> Result<HttpResponse, PageError> {
    let page = page(&session, &state, &admin, None, FormErrors::default()).await?;
    Ok(render(StatusCode::OK, &page))
}

#[post("/admin/system/alerts")]
pub async fn save_alerts(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    CsrfForm(form): CsrfForm<ThresholdsInput>,
) -> Result<HttpResponse, PageError> {
    let actor = crate::web::actor(&req, &admin);
    let input = form.clone();
    match state.run(move |s| alerts::save(&mut *s.conn()?, &actor, &input)).await {
        Ok(_) => {
            session::flash(&session, FlashKind::Success, "Alert thresholds saved.");
            Ok(see_other("/admin/system"))
        }
        Err(e @ AppError::Validation { .. }) => {
            let page = page(&session, &state, &admin, Some(form), FormErrors::from_error(&e)).await?;
            Ok(render(StatusCode::BAD_REQUEST, &page))
        }
        Err(e) => Err(e.into()),
    }
}
