//! HTTP: pages (Askama), the JSON API, and the middleware around them.

pub mod api;
pub mod assets;
pub mod auth;
pub mod forms;
pub mod headers;
pub mod metrics;
pub mod pages;
pub mod rate_limit;
pub mod request_id;
pub mod routes;
pub mod session;

use std::net::IpAddr;

use actix_web::HttpRequest;

/// The caller's address, as the rate limit, the sign-in throttle and the audit log see
/// it: `X-Forwarded-For` counts only when the TCP peer is one of `TRUSTED_PROXIES`
/// (otherwise anyone could pose as many clients). See `forwarded_client`.
pub fn client_addr(req: &HttpRequest) -> Option<IpAddr> {
    let trusted = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .map_or(&[][..], |state| state.config.trusted_proxies.as_slice());
    let forwarded = req.headers().get_all("x-forwarded-for");
    forwarded_client(req.peer_addr().map(|a| a.ip()), forwarded, trusted)
}

/// `client_addr` as text (`unknown` when there is no peer, as in some tests).
pub fn client_ip(req: &HttpRequest) -> String {
    client_addr(req).map_or_else(|| "unknown".into(), |ip| ip.to_string())
}

/// The client behind `peer`. When `peer` is a trusted proxy, the `X-Forwarded-For`
/// lists (all of them, in order, as one list) are read from the right — each proxy
/// appends the address it received the request from — skipping addresses that are
/// themselves trusted proxies; the first one that is not is the client. A missing list
/// or an entry that is not an address where the client should be (a client can write
/// anything to the left of what the proxies append) leaves the peer; a list of nothing
/// but trusted proxies gives its leftmost one.
pub fn forwarded_client<'a>(
    peer: Option<IpAddr>,
    forwarded: impl IntoIterator<Item = &'a actix_web::http::header::HeaderValue>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer.map(|ip| ip.to_canonical());
    let is_trusted = |ip: IpAddr| trusted.iter().any(|t| t.to_canonical() == ip);
    if !peer.is_some_and(is_trusted) {
        return peer;
    }
    let mut entries = Vec::new();
    for value in forwarded {
        let Ok(text) = value.to_str() else {
            return peer;
        };
        entries.extend(text.split(',').map(str::trim));
    }
    let mut leftmost = None;
    for entry in entries.iter().rev() {
        let Ok(ip) = entry.parse::<IpAddr>().map(|ip| ip.to_canonical()) else {
            return peer;
        };
        if !is_trusted(ip) {
            return Some(ip);
        }
        leftmost = Some(ip);
    }
    leftmost.or(peer)
}

/// The admin acting through this request, for the audit log.
pub fn actor(req: &HttpRequest, account: &crate::service::accounts::Account) -> crate::service::audit::Actor {
    crate::service::audit::Actor {
        user_id: Some(account.id),
        ip: Some(client_ip(req)),
    }
}

/// A numeric id from the path; anything else names no resource (404).
pub fn path_id(raw: &str) -> Result<i64, crate::error::AppError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| crate::error::AppError::NotFound(format!("'{raw}' is not an id here.")))
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;

    fn client(peer: &str, forwarded: &[&str], trusted: &[&str]) -> String {
        let values: Vec<HeaderValue> = forwarded.iter().map(|v| HeaderValue::from_str(v).unwrap()).collect();
        let trusted: Vec<IpAddr> = trusted.iter().map(|t| t.parse().unwrap()).collect();
        forwarded_client(Some(peer.parse().unwrap()), &values, &trusted)
            .unwrap()
            .to_string()
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_proxy() {
        let proxy = ["10.0.0.5"];
        assert_eq!(
            client("203.0.113.9", &["198.51.100.1"], &proxy),
            "203.0.113.9",
            "not a proxy"
        );
        assert_eq!(
            client("203.0.113.9", &["198.51.100.1"], &[]),
            "203.0.113.9",
            "no proxies"
        );
        assert_eq!(client("10.0.0.5", &[], &proxy), "10.0.0.5", "no header");
        assert_eq!(client("10.0.0.5", &["198.51.100.1"], &proxy), "198.51.100.1");
    }

    #[test]
    fn the_list_is_read_from_the_right_past_trusted_proxies() {
        let proxies = ["10.0.0.5", "10.0.0.6"];
        // The client wrote a fake first entry; the proxies appended the real one.
        assert_eq!(
            client("10.0.0.5", &["1.1.1.1, 198.51.100.1, 10.0.0.6"], &proxies),
            "198.51.100.1"
        );
        assert_eq!(
            client("10.0.0.5", &["1.1.1.1", "198.51.100.1,10.0.0.6"], &proxies),
            "198.51.100.1",
            "several headers are one list"
        );
        assert_eq!(
            client("10.0.0.5", &["10.0.0.6 , 10.0.0.5"], &proxies),
            "10.0.0.6",
            "all proxies"
        );
        assert_eq!(client("10.0.0.5", &["2001:db8::7"], &proxies), "2001:db8::7");
        assert_eq!(
            client("::ffff:10.0.0.5", &["::ffff:198.51.100.1"], &proxies),
            "198.51.100.1",
            "IPv4 written as IPv6 is the same address"
        );
    }

    #[test]
    fn a_garbled_entry_where_the_client_should_be_leaves_the_proxy() {
        let proxy = ["10.0.0.5"];
        for garbled in ["nonsense", "198.51.100.1:443", "", "198.51.100.1,", "unknown, 10.0.0.5"] {
            assert_eq!(client("10.0.0.5", &[garbled], &proxy), "10.0.0.5", "{garbled:?}");
        }
        // Garbage the client wrote further left is never reached.
        assert_eq!(client("10.0.0.5", &["junk, 198.51.100.1"], &proxy), "198.51.100.1");
        let binary = HeaderValue::from_bytes(b"198.51.100.\xff").unwrap();
        let trusted: Vec<IpAddr> = vec!["10.0.0.5".parse().unwrap()];
        assert_eq!(
            forwarded_client(Some("10.0.0.5".parse().unwrap()), [&binary], &trusted),
            Some("10.0.0.5".parse().unwrap())
        );
    }
}
