//! Queries for status sync: the cluster-wide round lease, round records, and the
//! batches of orders to check.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::QueryResult;

use super::models::{OrderRow, SyncRoundRow};
use super::schema::{orders, providers, sync_rounds, sync_schedule};
use super::DbConnection;
use crate::domain::{ForwardState, OrderStatus};
use crate::on_backend;
use diesel::expression_methods::PgSortExpressionMethods;

/// Takes the right to run a round until `lease_until`, if nobody holds it. With
/// `interval`, only when the scheduled round is due, and the next one is then set.
pub fn acquire_round_lease(
    conn: &mut DbConnection,
    runner: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    interval: Option<chrono::TimeDelta>,
) -> QueryResult<bool> {
    let free = sync_schedule::lease_until
        .is_null()
        .or(sync_schedule::lease_until.lt(now));
    let target = sync_schedule::table.find(1).filter(free);
    let updated = match interval {
        Some(interval) => diesel::update(target.filter(sync_schedule::next_run_at.le(now)))
            .set((
                sync_schedule::runner.eq(runner),
                sync_schedule::lease_until.eq(lease_until),
                sync_schedule::next_run_at.eq(now + interval),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set((
                sync_schedule::runner.eq(runner),
                sync_schedule::lease_until.eq(lease_until),
            ))
            .execute(conn)?,
    };
    Ok(updated == 1)
}

/// Extends the runner's lease (a long round keeps it while it works).
pub fn renew_round_lease(conn: &mut DbConnection, runner: &str, lease_until: NaiveDateTime) -> QueryResult<bool> {
    let updated = diesel::update(sync_schedule::table.find(1).filter(sync_schedule::runner.eq(runner)))
        .set(sync_schedule::lease_until.eq(lease_until))
        .execute(conn)?;
    Ok(updated == 1)
}

pub fn release_round_lease(conn: &mut DbConnection, runner: &str) -> QueryResult<()> {
    diesel::update(sync_schedule::table.find(1).filter(sync_schedule::runner.eq(runner)))
        .set(sync_schedule::lease_until.eq(None::<NaiveDateTime>))
        .execute(conn)?;
    Ok(())
}

/// `(next_run_at, lease_until)` of the schedule.
pub fn schedule(conn: &mut DbConnection) -> QueryResult<(NaiveDateTime, Option<NaiveDateTime>)> {
    sync_schedule::table
        .find(1)
        .select((sync_schedule::next_run_at, sync_schedule::lease_until))
        .first(conn)
}

pub fn insert_round(
    conn: &mut DbConnection,
    trigger: &str,
    runner: &str,
    started_at: NaiveDateTime,
) -> QueryResult<i64> {
    on_backend!(conn, |c| diesel::insert_into(sync_rounds::table)
        .values((
            sync_rounds::trigger.eq(trigger),
            sync_rounds::runner.eq(runner),
            sync_rounds::started_at.eq(started_at),
        ))
        .returning(sync_rounds::id)
        .get_result(c))
}

pub fn finish_round(
    conn: &mut DbConnection,
    id: i64,
    checked: i64,
    changed: i64,
    errors: i64,
    error_summary: Option<&str>,
) -> QueryResult<()> {
    diesel::update(sync_rounds::table.find(id))
        .set((
            sync_rounds::finished_at.eq(super::now()),
            sync_rounds::checked.eq(checked),
            sync_rounds::changed.eq(changed),
            sync_rounds::errors.eq(errors),
            sync_rounds::error_summary.eq(error_summary),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn recent_rounds(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<SyncRoundRow>> {
    sync_rounds::table
        .order(sync_rounds::id.desc())
        .limit(limit)
        .select(SyncRoundRow::as_select())
        .load(conn)
}

pub fn find_round(conn: &mut DbConnection, id: i64) -> QueryResult<Option<SyncRoundRow>> {
    sync_rounds::table
        .find(id)
        .select(SyncRoundRow::as_select())
        .first(conn)
        .optional()
}

/// The next batch of a provider's accepted, active orders not yet checked since
/// `since`, never-checked first, then oldest check first. Each status is read as one
/// ordered range of `orders_sync_idx` and the two are merged, so a batch costs the
/// same however many orders are active.
pub fn orders_to_check(
    conn: &mut DbConnection,
    provider_id: i64,
    since: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<OrderRow>> {
    let mut batch = Vec::new();
    for status in [OrderStatus::Pending, OrderStatus::Processing] {
        macro_rules! range {
            () => {
                orders::table
                    .filter(orders::provider_id.eq(provider_id))
                    .filter(orders::forward_state.eq(ForwardState::Accepted.as_str()))
                    .filter(orders::status.eq(status.as_str()))
                    .filter(orders::review_reason.is_null())
                    .filter(
                        orders::last_status_check
                            .is_null()
                            .or(orders::last_status_check.lt(since)),
                    )
                    .limit(limit)
                    .select(OrderRow::as_select())
            };
        }
        let rows: Vec<OrderRow> = match conn {
            // PostgreSQL sorts NULL last unless told; the index stores them first.
            DbConnection::Postgres(c) => range!()
                .order((orders::last_status_check.asc().nulls_first(), orders::id.asc()))
                .load(c)?,
            DbConnection::Sqlite(c) => range!()
                .order((orders::last_status_check.asc(), orders::id.asc()))
                .load(c)?,
        };
        batch.extend(rows);
    }
    batch.sort_by_key(|o| (o.last_status_check.is_some(), o.last_status_check, o.id));
    batch.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(batch)
}

/// How a status check of an order went, when it changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// The provider answered: consecutive errors start again from zero.
    Answered,
    /// The check failed: one more consecutive error.
    Failed,
    /// Not asked (the provider was down): only stamped, so the next batch moves on.
    NotAsked,
}

/// Stamps many orders as checked in one statement. Not a move of the state machine
/// (no version bump): when and how often an order was asked decides nothing by itself.
pub fn touch_checked(conn: &mut DbConnection, ids: &[i64], at: NaiveDateTime, how: Checked) -> QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    let target = orders::table.filter(orders::id.eq_any(ids));
    let stamp = orders::last_status_check.eq(at);
    match how {
        Checked::Answered => diesel::update(target)
            .set((stamp, orders::status_errors.eq(0)))
            .execute(conn),
        Checked::Failed => diesel::update(target)
            .set((stamp, orders::status_errors.eq(orders::status_errors + 1)))
            .execute(conn),
        Checked::NotAsked => diesel::update(target).set(stamp).execute(conn),
    }
}

/// Flags for review the active accepted orders of disabled or removed providers: no
/// round syncs them any more, so an admin must decide. One guarded statement.
pub fn flag_stranded(conn: &mut DbConnection, reason: &str) -> QueryResult<usize> {
    let gone = providers::table
        .filter(providers::enabled.eq(false).or(providers::deleted_at.is_not_null()))
        .select(providers::id.nullable());
    diesel::update(
        orders::table
            .filter(orders::forward_state.eq(ForwardState::Accepted.as_str()))
            .filter(orders::status.eq_any([OrderStatus::Pending.as_str(), OrderStatus::Processing.as_str()]))
            .filter(orders::review_reason.is_null())
            .filter(orders::provider_id.eq_any(gone)),
    )
    .set((
        orders::review_reason.eq(reason),
        orders::version.eq(orders::version + 1),
        orders::updated_at.eq(super::now()),
    ))
    .execute(conn)
}

pub fn set_multi_status(conn: &mut DbConnection, provider_id: i64, supported: bool) -> QueryResult<()> {
    diesel::update(providers::table.find(provider_id))
        .set(providers::multi_status.eq(supported))
        .execute(conn)?;
    Ok(())
}
