//! One function per use case. Handlers (HTML and JSON) are thin adapters around these.

pub mod accounts;
pub mod audit;
pub mod pagination;
pub mod throttle;
pub mod tokens;
