//! The simulator's HTTP surface: `/api/v2` with fault injection, and the `/sim/*`
//! inspection endpoints (never faulted).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

use super::faults::Fault;
use super::state::{parse_params, Sim};

/// How long a "timed out" request waits before answering: longer than any client waits.
const NEVER: Duration = Duration::from_secs(3600);

const BAD_GATEWAY_PAGE: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v2", web::post().to(api_v2))
        .route("/api/v2", web::get().to(api_v2))
        .route("/sim/orders", web::get().to(orders))
        .route("/sim/stats", web::get().to(stats))
        .route("/sim/reset-stats", web::post().to(reset_stats))
        .route("/sim/hold", web::post().to(hold))
        .route("/sim/release", web::post().to(release))
        .route("/sim/held", web::get().to(held));
}

#[derive(serde::Deserialize)]
struct GateQuery {
    action: Option<String>,
}

async fn hold(sim: web::Data<Sim>, query: web::Query<GateQuery>) -> HttpResponse {
    match query.action.as_deref().filter(|a| !a.is_empty()) {
        Some(action) => {
            sim.gate.hold(action);
            HttpResponse::Ok().json(serde_json::json!({ "held": action }))
        }
        None => HttpResponse::BadRequest().json(serde_json::json!({ "error": "name the action to hold" })),
    }
}

async fn release(sim: web::Data<Sim>, query: web::Query<GateQuery>) -> HttpResponse {
    sim.gate.release(query.action.as_deref().filter(|a| !a.is_empty()));
    HttpResponse::Ok().json(serde_json::json!({ "ok": true }))
}

async fn held(sim: web::Data<Sim>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "waiting": sim.gate.waiting() }))
}

/// API v2: fields from the form body and/or the query string.
async fn api_v2(req: HttpRequest, body: Bytes, sim: web::Data<Sim>) -> HttpResponse {
    let params = parse_params(req.query_string(), &body);
    if let Some(action) = params.get("action") {
        sim.gate.pass(action.trim()).await;
    }
    let handled = sim.handle(&params, Instant::now());
    if !sim.config.latency.is_zero() {
        actix_web::rt::time::sleep(sim.config.latency).await;
    }
    match handled.fault {
        None | Some(Fault::Error) => HttpResponse::Ok().json(handled.reply),
        Some(Fault::Timeout) => {
            actix_web::rt::time::sleep(NEVER).await;
            HttpResponse::Ok().json(handled.reply)
        }
        Some(Fault::Html) => HttpResponse::build(StatusCode::BAD_GATEWAY)
            .content_type("text/html")
            .body(BAD_GATEWAY_PAGE),
        Some(Fault::Garbage) => {
            // A strict prefix of a serialized object or array is never valid JSON.
            let full = handled.reply.to_string();
            let mut cut = full.len() / 2;
            while !full.is_char_boundary(cut) {
                cut -= 1;
            }
            HttpResponse::Ok()
                .content_type("application/json")
                .body(full[..cut].to_owned())
        }
        Some(Fault::Reset) => HttpResponse::Ok().content_type("application/json").body(ResetBody),
    }
}

async fn orders(sim: web::Data<Sim>) -> HttpResponse {
    HttpResponse::Ok().json(sim.orders_json(Instant::now()))
}

async fn stats(sim: web::Data<Sim>) -> HttpResponse {
    HttpResponse::Ok().json(sim.stats())
}

async fn reset_stats(sim: web::Data<Sim>) -> HttpResponse {
    sim.reset_stats();
    HttpResponse::Ok().json(serde_json::json!({ "ok": true }))
}

/// A body that fails on its first poll: actix then closes the connection without
/// completing the response, which a client sees as a reset.
struct ResetBody;

impl MessageBody for ResetBody {
    type Error = io::Error;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "provider-sim: injected connection reset",
        ))))
    }
}
