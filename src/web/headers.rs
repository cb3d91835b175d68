//! Security headers on every response (SPEC §9).

use actix_web::middleware::DefaultHeaders;

/// `secure`: the panel is served over TLS (`COOKIE_SECURE`), so browsers are told to
/// keep to https (HSTS). Responses are not cached unless they say otherwise (static
/// assets do): pages and JSON carry balances, orders and API keys.
pub fn security_headers(secure: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new().add(("Cache-Control", "no-store"));
    let headers = if secure {
        headers.add(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    } else {
        headers
    };
    headers
        .add((
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ))
        .add(("X-Frame-Options", "DENY"))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
}
