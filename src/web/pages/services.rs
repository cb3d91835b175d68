//! The customers' price list.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use askama::Template;

use super::{render, PageContext, PageError};
use crate::service::catalog::{self, PublicCatalog};
use crate::state::AppState;
use crate::web::auth::PageUser;

#[derive(Template)]
#[template(path = "services.html")]
struct ServicesPage {
    ctx: PageContext,
    catalog: PublicCatalog,
}

#[get("/services")]
pub async fn list(
    session: Session,
    state: web::Data<AppState>,
    PageUser(account): PageUser,
) -> Result<HttpResponse, PageError> {
    let catalog = state.run(|s| catalog::public_catalog(s, &mut *s.conn()?)).await?;
    let page = ServicesPage {
        ctx: PageContext::new(&session, &state, Some(&account)),
        catalog,
    };
    Ok(render(StatusCode::OK, &page))
}
