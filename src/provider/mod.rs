//! Talking to SMM providers over API v2 (SPEC §7), and a simulated provider (§6).
//!
//! - [`client`]: [`ProviderClient`], one blocking HTTP client per provider, whose
//!   errors are split into the classes the forwarder needs to never buy twice.
//! - [`reply`]: tolerant parsing of replies into typed values.
//! - [`sim`]: `smm-panel provider-sim`, also spawned in-process by tests and `demo`.

pub mod client;
pub mod outbound;
pub mod reply;
pub mod sim;

pub use client::{
    install_crypto_provider, ApiKey, CallError, CallObserver, CallRecord, NewProviderOrder, ProviderClient,
    ProviderErrorKind,
};
pub use reply::{OrderStatusReply, ProviderBalance, ProviderService, ProviderStatus};
pub use sim::{SimArgs, SimHandle};
