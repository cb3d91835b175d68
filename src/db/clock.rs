//! The database's clock. Leases and guards compare times written by different
//! processes, possibly on different machines, so every process reads time as the
//! database sees it: its own clock plus an offset measured against the database
//! (`calibrate`, at start and then every minute). Reading the offset is free, so
//! `now()` costs no round trip.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::OnceLock;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use diesel::sql_types::Timestamp;
use diesel::QueryResult;

use super::DbConnection;

/// The database clock minus this process's clock, in microseconds.
static OFFSET_MICROS: AtomicI64 = AtomicI64::new(0);

/// Test hook: `SMM_TEST_CLOCK_SKEW_SECS` shifts this process's own clock, so a test can
/// run two `serve` processes whose clocks disagree and check that nothing depends on it.
fn skew() -> TimeDelta {
    static SKEW: OnceLock<TimeDelta> = OnceLock::new();
    *SKEW.get_or_init(|| {
        std::env::var("SMM_TEST_CLOCK_SKEW_SECS")
            .ok()
            .and_then(|v| v.trim().parse::<i64>().ok())
            .map_or(TimeDelta::zero(), TimeDelta::seconds)
    })
}

/// This process's own clock (UTC).
fn local_now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc() + skew()
}

/// The current time on the database's clock, as stored in timestamp columns (UTC,
/// microsecond precision so both backends round-trip the same value).
pub fn now() -> NaiveDateTime {
    let now = local_now() + TimeDelta::microseconds(OFFSET_MICROS.load(Ordering::Relaxed));
    chrono::DurationRound::duration_trunc(now, TimeDelta::microseconds(1)).unwrap_or(now)
}

/// `now()` as Unix milliseconds.
pub fn now_millis() -> i64 {
    now().and_utc().timestamp_millis()
}

/// Measures the database clock against this process's and keeps the offset; returns it.
pub fn calibrate(conn: &mut DbConnection) -> QueryResult<TimeDelta> {
    let before = local_now();
    let database: NaiveDateTime = match conn {
        DbConnection::Postgres(c) => diesel::select(diesel::dsl::sql::<Timestamp>(
            "CAST(clock_timestamp() AT TIME ZONE 'UTC' AS TIMESTAMP)",
        ))
        .get_result(c)?,
        DbConnection::Sqlite(c) => {
            diesel::select(diesel::dsl::sql::<Timestamp>("strftime('%Y-%m-%d %H:%M:%f', 'now')")).get_result(c)?
        }
    };
    let after = local_now();
    let midpoint = before + (after - before) / 2;
    let offset = database - midpoint;
    OFFSET_MICROS.store(offset.num_microseconds().unwrap_or(0), Ordering::Relaxed);
    Ok(offset)
}
