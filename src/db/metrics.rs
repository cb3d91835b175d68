//! The System page's history: a row a minute per instance (`span` 60), rolled up into
//! a row an hour (`span` 3600) after `MINUTE_ROWS_KEPT`, deleted after `KEPT`.

use diesel::prelude::*;
use diesel::QueryResult;

use super::schema::{metric_provider_samples, metric_samples};
use super::DbConnection;
use crate::on_backend;

pub const MINUTE: i32 = 60;
pub const HOUR: i32 = 3600;
/// Minute rows are kept this long (seconds), then rolled up into hours.
pub const MINUTE_ROWS_KEPT: i64 = 2 * 86_400;
/// Everything is deleted after this long (seconds).
pub const KEPT: i64 = 30 * 86_400;

#[derive(Debug, Clone, Default, Queryable, Selectable, Insertable)]
#[diesel(table_name = metric_samples)]
pub struct SampleRow {
    pub instance: String,
    pub span: i32,
    pub at: i64,
    pub requests: i64,
    pub errors: i64,
    pub p50_ms: i64,
    pub p95_ms: i64,
    pub p99_ms: i64,
    pub cpu_ms: i64,
    pub rss_bytes: i64,
    pub queue_depth: i64,
    pub sync_rounds: i64,
    pub sync_ms: i64,
}

#[derive(Debug, Clone, Default, Queryable, Selectable, Insertable)]
#[diesel(table_name = metric_provider_samples)]
pub struct ProviderSampleRow {
    pub instance: String,
    pub span: i32,
    pub at: i64,
    pub provider_id: i64,
    pub calls: i64,
    pub errors: i64,
    pub latency_ms_sum: i64,
    pub latency_ms_max: i64,
}

/// Writes one instance's minute (a repeated write of the same minute is ignored).
pub fn insert(conn: &mut DbConnection, sample: &SampleRow, providers: &[ProviderSampleRow]) -> QueryResult<()> {
    on_backend!(conn, |c| {
        diesel::insert_into(metric_samples::table)
            .values(sample)
            .on_conflict_do_nothing()
            .execute(c)?;
        // A row each (a handful a minute): Diesel has no batch upsert on SQLite.
        for row in providers {
            diesel::insert_into(metric_provider_samples::table)
                .values(row)
                .on_conflict_do_nothing()
                .execute(c)?;
        }
        Ok(())
    })
}

/// Every instance's rows of `span` from `since` (Unix seconds) on, oldest first.
pub fn samples_since(conn: &mut DbConnection, span: i32, since: i64) -> QueryResult<Vec<SampleRow>> {
    metric_samples::table
        .filter(metric_samples::span.eq(span).and(metric_samples::at.ge(since)))
        .order((metric_samples::at, metric_samples::instance))
        .select(SampleRow::as_select())
        .load(conn)
}

pub fn provider_samples_since(conn: &mut DbConnection, span: i32, since: i64) -> QueryResult<Vec<ProviderSampleRow>> {
    metric_provider_samples::table
        .filter(
            metric_provider_samples::span
                .eq(span)
                .and(metric_provider_samples::at.ge(since)),
        )
        .order((metric_provider_samples::at, metric_provider_samples::provider_id))
        .select(ProviderSampleRow::as_select())
        .load(conn)
}

/// Folds minute rows older than `before` into hour rows (sums; p50 weighted by
/// requests; p95, p99, memory, queue and longest round their hour's worst) and deletes
/// them, then deletes every row older than `expired`. Safe to run from several
/// instances at once: an hour row another wrote first is kept as it is. Call inside a
/// transaction.
pub fn roll_up(conn: &mut DbConnection, before: i64, expired: i64) -> QueryResult<usize> {
    // Only whole hours: the hour `before` falls in keeps its minutes until it is over.
    let before = before - before.rem_euclid(i64::from(HOUR));
    let samples = diesel::sql_query(
        "INSERT INTO metric_samples (instance, span, at, requests, errors, p50_ms, p95_ms, p99_ms, \
           cpu_ms, rss_bytes, queue_depth, sync_rounds, sync_ms) \
         SELECT instance, 3600, at - (at % 3600), SUM(requests), SUM(errors), \
           CASE WHEN SUM(requests) > 0 THEN SUM(p50_ms * requests) / SUM(requests) ELSE 0 END, \
           MAX(p95_ms), MAX(p99_ms), SUM(cpu_ms), MAX(rss_bytes), MAX(queue_depth), \
           SUM(sync_rounds), MAX(sync_ms) \
         FROM metric_samples WHERE span = 60 AND at < $1 \
         GROUP BY instance, at - (at % 3600) \
         ON CONFLICT DO NOTHING",
    );
    let providers = diesel::sql_query(
        "INSERT INTO metric_provider_samples (instance, span, at, provider_id, calls, errors, \
           latency_ms_sum, latency_ms_max) \
         SELECT instance, 3600, at - (at % 3600), provider_id, SUM(calls), SUM(errors), \
           SUM(latency_ms_sum), MAX(latency_ms_max) \
         FROM metric_provider_samples WHERE span = 60 AND at < $1 \
         GROUP BY instance, at - (at % 3600), provider_id \
         ON CONFLICT DO NOTHING",
    );
    use diesel::sql_types::BigInt;
    let rolled = samples.bind::<BigInt, _>(before).execute(conn)?;
    providers.bind::<BigInt, _>(before).execute(conn)?;
    diesel::delete(metric_samples::table.filter(metric_samples::span.eq(MINUTE).and(metric_samples::at.lt(before))))
        .execute(conn)?;
    diesel::delete(
        metric_provider_samples::table.filter(
            metric_provider_samples::span
                .eq(MINUTE)
                .and(metric_provider_samples::at.lt(before)),
        ),
    )
    .execute(conn)?;
    diesel::delete(metric_samples::table.filter(metric_samples::at.lt(expired))).execute(conn)?;
    diesel::delete(metric_provider_samples::table.filter(metric_provider_samples::at.lt(expired))).execute(conn)?;
    Ok(rolled)
}
