//! Every route, in one place.

use actix_web::web;

use super::{api, assets, pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(api::extractor_config)
        .service(api::health::healthz)
        .service(assets::asset)
        // JSON API
        .service(api::auth::register)
        .service(api::auth::token)
        .service(api::user::me)
        .service(api::user::transactions)
        .service(api::admin::users)
        .service(web::scope("/api").default_service(web::to(api::not_found)))
        // Pages
        .service(pages::dashboard::dashboard)
        .service(pages::auth::login_form)
        .service(pages::auth::login)
        .service(pages::auth::register_form)
        .service(pages::auth::register)
        .service(pages::auth::logout)
        .service(pages::account::show)
        .service(pages::account::reveal_key)
        .service(pages::account::regenerate_key)
        .service(pages::account::change_password)
        .service(pages::admin_users::list)
        .default_service(web::to(pages::not_found));
}
