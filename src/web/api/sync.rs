//! `GET`/`POST /api/admin/orders/sync-status` (SPEC §5).

use actix_web::web::Bytes;
use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::error::{AppError, AppResult};
use crate::service::input::{self, lenient_string};
use crate::service::sync;
use crate::state::AppState;
use crate::web::auth::ApiAdmin;

#[get("/api/admin/orders/sync-status")]
pub async fn status(state: web::Data<AppState>, _admin: ApiAdmin) -> AppResult<HttpResponse> {
    let status = state.run(sync::status).await?;
    Ok(HttpResponse::Ok().json(status))
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SyncRequest {
    #[serde(default, deserialize_with = "lenient_string", alias = "order_id")]
    order_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", alias = "force_sync")]
    force_sync: Option<String>,
}

/// No body: a round now. `{orderId}`: check that order. `{orderId, forceSync:true}`:
/// even if it is final or was just checked.
#[post("/api/admin/orders/sync-status")]
pub async fn start(state: web::Data<AppState>, ApiAdmin(admin): ApiAdmin, body: Bytes) -> AppResult<HttpResponse> {
    let request: SyncRequest = if body.iter().all(u8::is_ascii_whitespace) {
        SyncRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| AppError::Validation {
            field: None,
            message: format!("The request body is not valid JSON: {e}"),
        })?
    };
    let force = input::flag("forceSync", "forceSync", request.force_sync.as_deref(), false)?;
    match input::optional_id("orderId", "orderId", request.order_id.as_deref())? {
        Some(id) => {
            let check = state.run(move |s| sync::check_order(s, &admin, id, force)).await?;
            Ok(HttpResponse::Ok().json(check))
        }
        None => {
            let runner = format!("{}-admin", state.runner_id);
            match state.run(move |s| sync::start_round_now(s, &runner)).await? {
                Some(round) => Ok(HttpResponse::Accepted().json(json!({ "started": true, "round": round }))),
                None => Err(AppError::Conflict {
                    code: "sync_running",
                    message: "A sync round is already running; its results will show here when it ends.".into(),
                }),
            }
        }
    }
}
