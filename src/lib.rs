//! smm-panel: an SMM reseller panel. Customers order services, the panel charges them
//! through a ledger, forwards orders to providers over API v2 and tracks their status.

pub mod config;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod provider;
pub mod service;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web;
pub mod worker;
