//! The stylesheet and scripts, compiled into the binary so the panel works offline
//! and from any working directory.

use actix_web::http::header::{CacheControl, CacheDirective, ContentType};
use actix_web::{get, web, HttpResponse};

const APP_CSS: &str = include_str!("../../static/app.css");
const APP_JS: &str = include_str!("../../static/app.js");
const FAVICON: &str = include_str!("../../static/favicon.svg");

/// Browsers ask for `/favicon.ico` whatever the page links to.
#[get("/favicon.ico")]
pub async fn favicon() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(86400),
        ]))
        .body(FAVICON)
}

#[get("/static/{name}")]
pub async fn asset(name: web::Path<String>) -> HttpResponse {
    let (body, content_type) = match name.as_str() {
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        "favicon.svg" => (FAVICON, "image/svg+xml"),
        _ => {
            return HttpResponse::NotFound()
                .content_type(ContentType::plaintext())
                .body("Not found")
        }
    };
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(CacheControl(vec![CacheDirective::Public, CacheDirective::MaxAge(3600)]))
        .body(body)
}
