//! Typed values with no I/O. Input is parsed into these at the edge; below the
//! handlers nothing takes a bare `String` for an email, an amount or a role.

pub mod account;
pub mod money;
pub mod order;
pub mod order_request;
pub mod order_state;
pub mod settlement;

pub use account::{Email, LedgerKind, Password, Role};
pub use money::{Money, Rate};
pub use order::{ForwardState, Link, OrderStatus};
pub use order_request::{RequestKind, RequestState, RequestStatus};
pub use order_state::{Move, OrderState};
