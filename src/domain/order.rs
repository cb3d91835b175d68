//! Order statuses, forwarding states, links and quantities (SPEC §4).

use std::fmt;

use crate::provider::reply::ProviderStatus;

/// The status a customer sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    Pending,
    Processing,
    Completed,
    Partial,
    Canceled,
    Failed,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::Pending,
        OrderStatus::Processing,
        OrderStatus::Completed,
        OrderStatus::Partial,
        OrderStatus::Canceled,
        OrderStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Processing => "processing",
            OrderStatus::Completed => "completed",
            OrderStatus::Partial => "partial",
            OrderStatus::Canceled => "canceled",
            OrderStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// No further change is expected from the provider.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderStatus::Completed | OrderStatus::Partial | OrderStatus::Canceled | OrderStatus::Failed
        )
    }

    /// SPEC §1's mapping of a provider's status; `None` for one it cannot map.
    pub fn from_provider(status: &ProviderStatus) -> Option<Self> {
        match status {
            ProviderStatus::Pending => Some(OrderStatus::Pending),
            ProviderStatus::InProgress | ProviderStatus::Processing => Some(OrderStatus::Processing),
            ProviderStatus::Completed => Some(OrderStatus::Completed),
            ProviderStatus::Partial => Some(OrderStatus::Partial),
            ProviderStatus::Canceled => Some(OrderStatus::Canceled),
            ProviderStatus::Unknown(_) => None,
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an order is on its way to the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ForwardState {
    /// Never forwarded: an admin handles it.
    Manual,
    /// Waiting for a worker (possibly until `next_attempt_at`).
    Queued,
    /// A worker holds its lease and is calling `add`.
    InFlight,
    /// The provider took it and gave its order id.
    Accepted,
    /// The provider refused it, or it could not be sent: failed and refunded.
    Rejected,
    /// No usable answer after sending: the provider may have it. An admin decides.
    Unknown,
}

impl ForwardState {
    pub const ALL: [ForwardState; 6] = [
        ForwardState::Manual,
        ForwardState::Queued,
        ForwardState::InFlight,
        ForwardState::Accepted,
        ForwardState::Rejected,
        ForwardState::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ForwardState::Manual => "manual",
            ForwardState::Queued => "queued",
            ForwardState::InFlight => "in_flight",
            ForwardState::Accepted => "accepted",
            ForwardState::Rejected => "rejected",
            ForwardState::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for ForwardState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub const MAX_LINK_CHARS: usize = 2048;

/// What an order is for: an http(s) URL, or a bare username where the service allows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link(String);

impl Link {
    pub fn parse(raw: &str, accepts_username: bool) -> Result<Self, String> {
        let text = raw.trim();
        if text.is_empty() {
            return Err("Enter the link to your post, profile or video.".into());
        }
        if text.chars().count() > MAX_LINK_CHARS {
            return Err(format!("The link can have at most {MAX_LINK_CHARS} characters."));
        }
        if let Ok(url) = url::Url::parse(text) {
            if matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty()) {
                return Ok(Self(text.to_string()));
            }
            if !accepts_username || text.contains("://") {
                return Err("The link must be an http(s) address, e.g. https://instagram.com/yourname.".into());
            }
        }
        let username = text.strip_prefix('@').unwrap_or(text);
        let is_username = !username.is_empty()
            && username.len() <= 64
            && username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if accepts_username && is_username {
            return Ok(Self(username.to_string()));
        }
        if accepts_username {
            Err("Enter an http(s) link or a username (letters, digits, '.', '_' or '-').".into())
        } else {
            Err("The link must be an http(s) address, e.g. https://instagram.com/yourname.".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Units delivered for an order in `status` (SPEC §3).
pub fn delivered(status: OrderStatus, quantity: i64, remains: Option<i64>) -> i64 {
    match status {
        OrderStatus::Pending | OrderStatus::Processing | OrderStatus::Completed => quantity,
        OrderStatus::Partial => quantity - remains.unwrap_or(0).clamp(0, quantity),
        OrderStatus::Canceled | OrderStatus::Failed => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_statuses_map_per_the_spec() {
        for (raw, expected) in [
            ("Pending", Some(OrderStatus::Pending)),
            ("In progress", Some(OrderStatus::Processing)),
            ("Processing", Some(OrderStatus::Processing)),
            ("Completed", Some(OrderStatus::Completed)),
            ("Partial", Some(OrderStatus::Partial)),
            ("Canceled", Some(OrderStatus::Canceled)),
            ("Cancelled", Some(OrderStatus::Canceled)),
            ("completed", Some(OrderStatus::Completed)),
            ("Exploded", None),
        ] {
            assert_eq!(
                OrderStatus::from_provider(&ProviderStatus::parse(raw)),
                expected,
                "{raw}"
            );
        }
    }

    #[test]
    fn links_are_http_urls_or_usernames_where_allowed() {
        assert!(Link::parse("https://instagram.com/p/abc", false).is_ok());
        assert!(Link::parse("http://youtu.be/x?t=1", false).is_ok());
        for bad in [
            "",
            "   ",
            "instagram.com/x",
            "ftp://x.com/a",
            "javascript:alert(1)",
            "https://",
            "@someone",
        ] {
            assert!(Link::parse(bad, false).is_err(), "{bad}");
        }
        assert!(Link::parse(&format!("https://x.com/{}", "a".repeat(2040)), false).is_err());
        assert_eq!(Link::parse("@some.one_1", true).unwrap().as_str(), "some.one_1");
        assert!(Link::parse("two words", true).is_err());
        assert!(Link::parse("javascript:alert(1)", true).is_err());
    }

    #[test]
    fn delivered_follows_the_status() {
        assert_eq!(delivered(OrderStatus::Completed, 100, Some(40)), 100);
        assert_eq!(delivered(OrderStatus::Partial, 100, Some(40)), 60);
        assert_eq!(delivered(OrderStatus::Partial, 100, Some(-5)), 100, "clamped");
        assert_eq!(delivered(OrderStatus::Partial, 100, Some(500)), 0, "clamped");
        assert_eq!(delivered(OrderStatus::Canceled, 100, None), 0);
        assert_eq!(delivered(OrderStatus::Failed, 100, None), 0);
    }
}
