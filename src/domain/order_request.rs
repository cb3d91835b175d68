//! Refill and cancel requests (SPEC §4, issue 11): what a customer asked for, where it
//! is on its way to the provider, and what the customer sees of it.

use std::fmt;

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// What the customer asked for.
    RequestKind {
        Refill => "refill",
        Cancel => "cancel",
    }
);

text_enum!(
    /// Where a request is on its way to the provider.
    RequestState {
        /// Waiting for a worker (and, for its order, for the provider's order id).
        Queued => "queued",
        /// A worker holds its lease and is calling the provider.
        InFlight => "in_flight",
        /// The provider took it (a refill's id is known).
        Sent => "sent",
        /// Sent with no usable answer: an admin decides (never resent blindly).
        Unknown => "unknown",
        /// The provider refused it.
        Rejected => "rejected",
        /// No provider to send it to (manual orders, or an order in review): an admin handles it.
        Manual => "manual",
        /// Nothing left to do.
        Done => "done",
    }
);

text_enum!(
    /// What the customer sees of a request.
    RequestStatus {
        Pending => "pending",
        InProgress => "in_progress",
        Completed => "completed",
        Rejected => "rejected",
    }
);

impl RequestStatus {
    pub fn is_final(self) -> bool {
        matches!(self, RequestStatus::Completed | RequestStatus::Rejected)
    }

    /// A provider's `refill_status` answer, tolerant of case and spelling; `None` for
    /// one the panel cannot map.
    pub fn from_provider(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().replace(['_', '-'], " ").as_str() {
            "pending" | "awaiting" => Some(RequestStatus::Pending),
            "in progress" | "inprogress" | "processing" => Some(RequestStatus::InProgress),
            "completed" | "complete" | "success" => Some(RequestStatus::Completed),
            "rejected" | "canceled" | "cancelled" | "error" | "fail" | "failed" => Some(RequestStatus::Rejected),
            _ => None,
        }
    }

    /// The wire text API v2 clients expect.
    pub fn wire(self) -> &'static str {
        match self {
            RequestStatus::Pending => "Pending",
            RequestStatus::InProgress => "In progress",
            RequestStatus::Completed => "Completed",
            RequestStatus::Rejected => "Rejected",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_refill_statuses_map_tolerantly() {
        assert_eq!(
            RequestStatus::from_provider("Completed"),
            Some(RequestStatus::Completed)
        );
        assert_eq!(
            RequestStatus::from_provider("In progress"),
            Some(RequestStatus::InProgress)
        );
        assert_eq!(
            RequestStatus::from_provider("in_progress"),
            Some(RequestStatus::InProgress)
        );
        assert_eq!(RequestStatus::from_provider("Rejected"), Some(RequestStatus::Rejected));
        assert_eq!(RequestStatus::from_provider("Exploded"), None);
        assert_eq!(RequestKind::parse("REFILL"), Some(RequestKind::Refill));
        assert_eq!(RequestState::parse("in_flight"), Some(RequestState::InFlight));
    }
}
