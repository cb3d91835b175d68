//! Alert thresholds as JSON (the System page's form): `GET /api/admin/alerts` reads
//! them with the alerts that hold now; `POST /api/admin/alerts` replaces them (a
//! missing or empty field turns that alert off), audited.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::error::AppResult;
use crate::service::alerts::{self, ThresholdsInput};
use crate::state::AppState;
use crate::web::actor;
use crate::web::auth::ApiAdmin;

#[get("/api/admin/alerts")]
pub async fn get_alerts(state: web::Data<AppState>, _admin: ApiAdmin) -> AppResult<HttpResponse> {
    let (thresholds, holding) = state
        .run(|s| {
            let mut conn = s.conn()?;
            Ok((
                alerts::thresholds(&mut conn)?,
                alerts::evaluate(&mut conn, chrono::Utc::now().timestamp())?,
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "thresholds": thresholds, "alerts": holding })))
}

#[post("/api/admin/alerts")]
pub async fn set_alerts(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiAdmin(admin): ApiAdmin,
    body: web::Json<ThresholdsInput>,
) -> AppResult<HttpResponse> {
    let actor = actor(&req, &admin);
    let input = body.into_inner();
    let thresholds = state
        .run(move |s| alerts::save(&mut *s.conn()?, &actor, &input))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "thresholds": thresholds })))
}
