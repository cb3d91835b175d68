//! Where provider calls may go (issue 12). A provider URL is typed by an admin, and the
//! panel sends its key and every customer's order there, so a URL must not reach the
//! panel's own network: loopback, private, link-local (cloud metadata lives at
//! 169.254.169.254), shared, multicast and unspecified addresses are refused — checked
//! on the address actually dialed, after DNS, so a public name that resolves inward is
//! refused at call time too. `ALLOW_HTTP_PROVIDERS` (local development, tests, `demo`)
//! allows loopback; `PROVIDER_ALLOWED_HOSTS` allows named hosts whatever they resolve to.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    /// Loopback addresses may be reached (a provider on this machine).
    pub allow_loopback: bool,
    /// Host names or addresses reachable whatever they resolve to (lowercase).
    pub allowed_hosts: Vec<String>,
    /// No check at all (the simulator's own tests and benchmarks).
    pub unrestricted: bool,
}

impl OutboundPolicy {
    /// No restriction: for tools that talk to a provider they started themselves.
    pub fn unrestricted() -> Self {
        Self {
            unrestricted: true,
            ..Self::default()
        }
    }

    fn host_allowed(&self, host: &str) -> bool {
        self.unrestricted
            || self
                .allowed_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(host.trim_matches(['[', ']'])))
    }

    /// Why `ip` may not be dialed for `host`, if it may not.
    pub fn refusal(&self, host: &str, ip: IpAddr) -> Option<String> {
        if self.host_allowed(host) {
            return None;
        }
        let kind = internal_kind(ip)?;
        if kind == "loopback" && self.allow_loopback {
            return None;
        }
        Some(format!(
            "{host} is a {kind} address ({ip}); provider calls may not go there (list the host in PROVIDER_ALLOWED_HOSTS to allow it)"
        ))
    }
}

/// The kind of non-public address `ip` is, if it is one.
pub fn internal_kind(ip: IpAddr) -> Option<&'static str> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                Some("loopback")
            } else if v4.is_link_local() {
                Some("link-local")
            } else if v4.is_private() {
                Some("private")
            } else if a == 100 && (64..128).contains(&b) {
                Some("shared (carrier-grade NAT)")
            } else if v4.is_unspecified() || a == 0 {
                Some("unspecified")
            } else if v4.is_multicast() || v4.is_broadcast() || a >= 240 {
                Some("multicast or reserved")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if first & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if first & 0xfe00 == 0xfc00 {
                Some("private (unique local)")
            } else if v6.is_multicast() {
                Some("multicast or reserved")
            } else {
                None
            }
        }
    }
}

/// Resolves names like the system does, then drops the addresses the policy refuses;
/// a name left with none fails before anything is sent.
pub struct PolicyResolver {
    pub policy: Arc<OutboundPolicy>,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let lookup = host.clone();
            let resolved: Vec<SocketAddr> = tokio::task::spawn_blocking(move || {
                (lookup.as_str(), 0).to_socket_addrs().map(Iterator::collect::<Vec<_>>)
            })
            .await
            .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.to_string().into() })??;
            let mut refusals = Vec::new();
            let allowed: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|addr| match policy.refusal(&host, addr.ip()) {
                    Some(why) => {
                        refusals.push(why);
                        false
                    }
                    None => true,
                })
                .collect();
            if allowed.is_empty() {
                let why = refusals
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| format!("{host} has no address"));
                return Err(why.into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused_unless_allowed() {
        let strict = OutboundPolicy::default();
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(strict.refusal("h", ip.parse().unwrap()).is_some(), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(strict.refusal("h", ip.parse().unwrap()).is_none(), "{ip}");
        }
        let local = OutboundPolicy {
            allow_loopback: true,
            ..OutboundPolicy::default()
        };
        assert!(local.refusal("localhost", "127.0.0.1".parse().unwrap()).is_none());
        assert!(local.refusal("metadata", "169.254.169.254".parse().unwrap()).is_some());
        let listed = OutboundPolicy {
            allowed_hosts: vec!["provider.internal".into()],
            ..OutboundPolicy::default()
        };
        assert!(listed
            .refusal("provider.internal", "10.0.0.5".parse().unwrap())
            .is_none());
        assert!(listed.refusal("other.internal", "10.0.0.5".parse().unwrap()).is_some());
    }
}
