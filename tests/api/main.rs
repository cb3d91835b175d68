//! One integration-test binary (links once); one module per capability.

mod helpers;

mod accounts;
mod actors;
mod admin;
mod api_v2;
mod browser;
mod chain;
mod cli;
mod forwarding;
mod funds;
mod health;
mod i18n;
mod instances;
mod intake;
mod interleavings;
mod ledger;
mod lists;
mod metrics;
mod ordering;
mod pages;
mod providers;
mod requests;
mod security;
mod sync;
