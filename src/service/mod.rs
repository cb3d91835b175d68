//! One function per use case. Handlers (HTML and JSON) are thin adapters around these.

pub mod accounts;
pub mod admin_orders;
pub mod alerts;
pub mod api_v2;
pub mod audit;
pub mod balance;
pub mod catalog;
pub mod dashboard;
pub mod funds;
pub mod input;
pub mod intake;
pub mod order_machine;
pub mod orders;
pub mod pagination;
pub mod price_book;
pub mod providers;
pub mod requests;
pub mod secrets;
pub mod settings;
pub mod sync;
pub mod system;
pub mod throttle;
pub mod tokens;
