//! One integration-test binary (links once); one module per capability.

mod helpers;

mod accounts;
mod cli;
mod health;
mod pages;
mod providers;
