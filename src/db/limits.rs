//! The counters behind the rate limit and the sign-in throttle when several processes
//! share one PostgreSQL database (issue 14). Each write is one atomic step — a single
//! upsert, or rows read `FOR UPDATE` and written in the caller's transaction — so two
//! processes counting at once never both let the same last request through.

use diesel::prelude::*;
use diesel::QueryResult;
use sha2::{Digest, Sha256};

use super::schema::{limit_windows, login_throttle};
use super::DbConnection;
use crate::on_backend;

/// Rate-limit windows are kept this long (seconds) after they start, then deleted.
pub const KEEP_WINDOWS_SECS: i64 = 60 * 60;
/// A throttle row whose window started this long ago (milliseconds) and which is not
/// locked is deleted, and with it the account's lockout count.
pub const KEEP_THROTTLE_MS: i64 = 24 * 60 * 60 * 1000;

/// A stable, one-way name for a secret or personal value in a counter's bucket (an API
/// key, an email): the first 128 bits of its SHA-256, in hex. Never the value itself.
pub fn digest(value: &str) -> String {
    hex::encode(&Sha256::digest(value.as_bytes())[..16])
}

/// Adds `n` requests to each `(bucket, window_start, n)` (distinct keys; `window_start`
/// in Unix seconds) in one statement and returns each window's count after it, in the
/// order given, so concurrent callers, in any process, never share a number. Rows are
/// written in key order, so two processes counting overlapping buckets never deadlock.
pub fn count_hits(conn: &mut DbConnection, counts: &[(&str, i64, i32)]) -> QueryResult<Vec<i64>> {
    use diesel::upsert::excluded;
    let mut sorted: Vec<&(&str, i64, i32)> = counts.iter().collect();
    sorted.sort_by_key(|(bucket, window_start, _)| (*bucket, *window_start));
    let rows: Vec<_> = sorted
        .into_iter()
        .map(|(bucket, window_start, n)| {
            (
                limit_windows::bucket.eq(*bucket),
                limit_windows::window_start.eq(*window_start),
                limit_windows::hits.eq(*n),
            )
        })
        .collect();
    let mut counted: std::collections::HashMap<(String, i64), i64> =
        std::collections::HashMap::with_capacity(counts.len());
    for chunk in rows.chunks(super::ROWS_PER_STATEMENT) {
        let chunk = chunk.to_vec();
        let written = on_backend!(conn, |c| diesel::insert_into(limit_windows::table)
            .values(chunk)
            .on_conflict((limit_windows::bucket, limit_windows::window_start))
            .do_update()
            .set(limit_windows::hits.eq(limit_windows::hits + excluded(limit_windows::hits)))
            .returning((limit_windows::bucket, limit_windows::window_start, limit_windows::hits))
            .get_results::<(String, i64, i32)>(c))?;
        counted.extend(written.into_iter().map(|(b, w, h)| ((b, w), i64::from(h))));
    }
    Ok(counts
        .iter()
        .map(|(bucket, window_start, _)| counted.get(&(bucket.to_string(), *window_start)).copied().unwrap_or(0))
        .collect())
}

/// One sign-in throttle counter (times in Unix milliseconds, database clock).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = login_throttle, primary_key(bucket))]
#[diesel(treat_none_as_null = true)]
pub struct ThrottleRow {
    pub bucket: String,
    pub attempts: i32,
    pub window_start_ms: i64,
    pub locked_until_ms: Option<i64>,
    pub lockouts: i32,
}

/// The rows of `buckets`, created (empty, window starting `now_ms`) where missing and
/// locked until the caller's transaction ends; in `buckets`' order. Call inside a
/// transaction. Rows are locked in bucket order, so two callers never wait on each
/// other in a cycle.
pub fn lock_throttle_rows(conn: &mut DbConnection, buckets: &[&str], now_ms: i64) -> QueryResult<Vec<ThrottleRow>> {
    let mut sorted = buckets.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    for bucket in &sorted {
        let fresh = ThrottleRow {
            bucket: (*bucket).to_string(),
            attempts: 0,
            window_start_ms: now_ms,
            locked_until_ms: None,
            lockouts: 0,
        };
        on_backend!(conn, |c| diesel::insert_into(login_throttle::table)
            .values(&fresh)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    macro_rules! rows {
        () => {
            login_throttle::table
                .filter(login_throttle::bucket.eq_any(&sorted))
                .order(login_throttle::bucket)
                .select(ThrottleRow::as_select())
        };
    }
    let rows: Vec<ThrottleRow> = match conn {
        DbConnection::Postgres(c) => rows!().for_update().load(c)?,
        // One writer at a time already (the caller's `BEGIN IMMEDIATE`).
        DbConnection::Sqlite(c) => rows!().load(c)?,
    };
    buckets
        .iter()
        .map(|bucket| {
            rows.iter()
                .find(|row| row.bucket == *bucket)
                .cloned()
                .ok_or(diesel::result::Error::NotFound)
        })
        .collect()
}

/// The rows of `buckets` that exist (for reading, no lock).
pub fn throttle_rows(conn: &mut DbConnection, buckets: &[&str]) -> QueryResult<Vec<ThrottleRow>> {
    login_throttle::table
        .filter(login_throttle::bucket.eq_any(buckets))
        .select(ThrottleRow::as_select())
        .load(conn)
}

pub fn save_throttle_row(conn: &mut DbConnection, row: &ThrottleRow) -> QueryResult<usize> {
    diesel::update(login_throttle::table.find(&row.bucket))
        .set(row)
        .execute(conn)
}

pub fn delete_throttle_row(conn: &mut DbConnection, bucket: &str) -> QueryResult<usize> {
    diesel::delete(login_throttle::table.find(bucket)).execute(conn)
}

/// Gives one attempt back to `bucket` (never below zero); one statement.
pub fn refund_attempt(conn: &mut DbConnection, bucket: &str) -> QueryResult<usize> {
    diesel::update(
        login_throttle::table
            .find(bucket)
            .filter(login_throttle::attempts.gt(0)),
    )
    .set(login_throttle::attempts.eq(login_throttle::attempts - 1))
    .execute(conn)
}

/// Deletes rate-limit windows older than `KEEP_WINDOWS_SECS` and throttle rows idle
/// for `KEEP_THROTTLE_MS` and not locked; how many rows went.
pub fn prune(conn: &mut DbConnection, now_ms: i64) -> QueryResult<usize> {
    let windows =
        diesel::delete(limit_windows::table.filter(limit_windows::window_start.lt(now_ms / 1000 - KEEP_WINDOWS_SECS)))
            .execute(conn)?;
    let counters = diesel::delete(
        login_throttle::table
            .filter(login_throttle::window_start_ms.lt(now_ms - KEEP_THROTTLE_MS))
            .filter(
                login_throttle::locked_until_ms
                    .is_null()
                    .or(login_throttle::locked_until_ms.lt(now_ms)),
            ),
    )
    .execute(conn)?;
    Ok(windows + counters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_is_stable_short_and_not_the_value() {
        let a = digest("secret-api-key-123");
        assert_eq!(a, digest("secret-api-key-123"));
        assert_eq!(a.len(), 32);
        assert!(!a.contains("secret"));
        assert_ne!(a, digest("secret-api-key-124"));
    }
}
