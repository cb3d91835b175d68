//! Runs a sync round every `SYNC_INTERVAL_SECS`. Every process runs this loop; the
//! schedule row in the database lets exactly one of them run each round.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::wake::Wake;
use crate::db;
use crate::service::sync::{self, Trigger};
use crate::state::AppState;

/// The longest the scheduler sleeps before looking at the schedule again (another
/// process may have moved it, or died holding it).
const MAX_SLEEP: Duration = Duration::from_secs(5);
/// How often this process re-measures its clock against the database's.
const CALIBRATE_EVERY: Duration = Duration::from_secs(60);
/// How often this process deletes spent rate-limit windows and sign-in counters
/// (PostgreSQL; every process may, the deletes are idempotent).
const PRUNE_LIMITS_EVERY: Duration = Duration::from_secs(10 * 60);

pub fn run(state: AppState, runner: String, shutdown: Arc<AtomicBool>, stop_signal: Arc<Wake>) {
    let mut calibrated = std::time::Instant::now();
    let mut pruned: Option<std::time::Instant> = None;
    while !shutdown.load(Ordering::SeqCst) {
        let seen = stop_signal.generation();
        if calibrated.elapsed() >= CALIBRATE_EVERY {
            if let Err(e) = state.conn().and_then(|mut c| Ok(db::clock::calibrate(&mut c)?)) {
                log::warn!("could not read the database's clock: {e}");
            }
            calibrated = std::time::Instant::now();
        }
        if pruned.is_none_or(|at| at.elapsed() >= PRUNE_LIMITS_EVERY) {
            prune_limits(&state);
            pruned = Some(std::time::Instant::now());
        }
        crate::service::dashboard::refresh_badges(&state);
        match sync::begin_round(&state, Trigger::Schedule, &runner) {
            Ok(Some(round)) => {
                if let Err(e) = sync::run_round(&state, &round) {
                    log::error!("[STATUS_UPDATE] sync round {} failed: {e}", round.id);
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => log::error!("[STATUS_UPDATE] could not start a sync round: {e}"),
        }
        let until_due = state
            .conn()
            .ok()
            .and_then(|mut c| db::sync::schedule(&mut c).ok())
            .and_then(|(next, _)| (next - db::now()).to_std().ok())
            .unwrap_or(MAX_SLEEP);
        stop_signal.wait(seen, until_due.clamp(Duration::from_millis(50), MAX_SLEEP));
    }
}

/// Deletes the shared limits' spent rows (`db::limits::prune`); SQLite keeps its
/// limits in memory.
fn prune_limits(state: &AppState) {
    if !matches!(state.config.database_url, crate::config::DatabaseUrl::Postgres(_)) {
        return;
    }
    if let Err(e) = state
        .conn()
        .and_then(|mut c| Ok(db::limits::prune(&mut c, db::clock::now_millis())?))
    {
        log::warn!("could not prune the rate-limit and sign-in counters: {e}");
    }
}
