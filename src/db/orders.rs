//! Queries on orders: placement, lists, the forwarding queue with its leases.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::QueryResult;

use super::models::{NewOrderRow, OrderRow, ServiceRow};
use super::schema::{orders, services};
use super::DbConnection;
use crate::domain::{ForwardState, OrderStatus};
use crate::on_backend;

pub fn insert(conn: &mut DbConnection, row: &NewOrderRow<'_>) -> QueryResult<i64> {
    on_backend!(conn, |c| diesel::insert_into(orders::table)
        .values(row)
        .returning(orders::id)
        .get_result(c))
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<OrderRow>> {
    orders::table
        .find(id)
        .select(OrderRow::as_select())
        .first(conn)
        .optional()
}

/// The services an order request names, in one query.
pub fn services_by_id(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<ServiceRow>> {
    services::table
        .filter(services::id.eq_any(ids))
        .select(ServiceRow::as_select())
        .load(conn)
}

/// Filters of the order lists (customers get `user_id` forced to their own).
#[derive(Debug, Default, Clone)]
pub struct OrderFilter {
    pub user_id: Option<i64>,
    pub status: Option<OrderStatus>,
    pub forward_state: Option<ForwardState>,
    pub provider_id: Option<i64>,
    /// An order id, or part of a link or provider order id.
    pub search: Option<String>,
    pub is_manual: Option<bool>,
    /// Placed at or after this time.
    pub created_from: Option<NaiveDateTime>,
    /// Placed before this time.
    pub created_before: Option<NaiveDateTime>,
}

/// One page of orders with their service names, newest first, and the total.
pub fn page(
    conn: &mut DbConnection,
    filter: &OrderFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<(OrderRow, String)>, i64)> {
    let filtered = || {
        let mut query = orders::table.inner_join(services::table).into_boxed();
        if let Some(user_id) = filter.user_id {
            query = query.filter(orders::user_id.eq(user_id));
        }
        if let Some(status) = filter.status {
            query = query.filter(orders::status.eq(status.as_str()));
        }
        if let Some(state) = filter.forward_state {
            query = query.filter(orders::forward_state.eq(state.as_str()));
        }
        if let Some(provider_id) = filter.provider_id {
            query = query.filter(orders::provider_id.eq(provider_id));
        }
        if let Some(manual) = filter.is_manual {
            query = query.filter(orders::is_manual.eq(manual));
        }
        if let Some(from) = filter.created_from {
            query = query.filter(orders::created_at.ge(from));
        }
        if let Some(before) = filter.created_before {
            query = query.filter(orders::created_at.lt(before));
        }
        if let Some(term) = filter.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let pattern = format!("%{}%", super::users::escape_like(term));
            let id = term.trim_start_matches('#').parse::<i64>().unwrap_or(-1);
            query = query.filter(
                orders::id
                    .eq(id)
                    .or(orders::link.like(pattern.clone()).escape('\\'))
                    .or(orders::provider_order_id.eq(term.to_string())),
            );
        }
        query
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order(orders::id.desc())
        .offset(offset)
        .limit(limit)
        .select((OrderRow::as_select(), services::name))
        .load(conn)?;
    Ok((rows, total))
}

/// Claims the oldest queued order that is due: marks it `in_flight` under `owner`'s
/// lease. PostgreSQL skips rows other workers have locked; SQLite runs this inside an
/// immediate (write-locked) transaction, so two claims cannot race.
pub fn claim_next(
    conn: &mut DbConnection,
    owner: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> QueryResult<Option<OrderRow>> {
    let due = orders::forward_state
        .eq(ForwardState::Queued.as_str())
        .and(orders::next_attempt_at.is_null().or(orders::next_attempt_at.le(now)));
    let id: Option<i64> = match conn {
        DbConnection::Postgres(c) => orders::table
            .filter(due)
            .order(orders::id.asc())
            .select(orders::id)
            .for_update()
            .skip_locked()
            .first(c)
            .optional()?,
        DbConnection::Sqlite(c) => orders::table
            .filter(due)
            .order(orders::id.asc())
            .select(orders::id)
            .first(c)
            .optional()?,
    };
    let Some(id) = id else { return Ok(None) };
    let claimed = diesel::update(
        orders::table
            .find(id)
            .filter(orders::forward_state.eq(ForwardState::Queued.as_str())),
    )
    .set((
        orders::forward_state.eq(ForwardState::InFlight.as_str()),
        orders::lease_owner.eq(owner),
        orders::lease_until.eq(lease_until),
        orders::attempts.eq(orders::attempts + 1),
        orders::updated_at.eq(now),
    ))
    .execute(conn)?;
    if claimed == 0 {
        return Ok(None);
    }
    find(conn, id)
}

/// When the next queued order becomes due, if any is waiting.
pub fn next_due(conn: &mut DbConnection) -> QueryResult<Option<Option<NaiveDateTime>>> {
    orders::table
        .filter(orders::forward_state.eq(ForwardState::Queued.as_str()))
        .order(orders::next_attempt_at.asc())
        .select(orders::next_attempt_at)
        .first(conn)
        .optional()
}

/// `in_flight` orders whose lease ran out (their worker died mid-call).
pub fn expired_leases(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<OrderRow>> {
    orders::table
        .filter(orders::forward_state.eq(ForwardState::InFlight.as_str()))
        .filter(orders::lease_until.lt(now))
        .order(orders::id.asc())
        .limit(limit)
        .select(OrderRow::as_select())
        .load(conn)
}

/// How an in-flight order ends its attempt.
pub struct Transition<'a> {
    pub forward_state: ForwardState,
    pub status: OrderStatus,
    pub provider_order_id: Option<&'a str>,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub last_error: Option<&'a str>,
}

/// Applies `t` only while the order is still `in_flight` under this lease: `owner`
/// for the worker that claimed it, or an expired lease for the recovery pass.
/// Returns false when someone else already resolved it.
pub fn finish_attempt(
    conn: &mut DbConnection,
    id: i64,
    lease: LeaseCheck<'_>,
    t: &Transition<'_>,
) -> QueryResult<bool> {
    let now = super::now();
    let base = orders::table
        .find(id)
        .filter(orders::forward_state.eq(ForwardState::InFlight.as_str()));
    let set = (
        orders::forward_state.eq(t.forward_state.as_str()),
        orders::status.eq(t.status.as_str()),
        orders::provider_order_id.eq(t.provider_order_id),
        orders::next_attempt_at.eq(t.next_attempt_at),
        orders::last_error.eq(t.last_error),
        orders::lease_owner.eq(None::<String>),
        orders::lease_until.eq(None::<NaiveDateTime>),
        orders::updated_at.eq(now),
    );
    let updated = match lease {
        LeaseCheck::Owner(owner) => diesel::update(base.filter(orders::lease_owner.eq(owner)))
            .set(set)
            .execute(conn)?,
        LeaseCheck::ExpiredBefore(at) => diesel::update(base.filter(orders::lease_until.lt(at)))
            .set(set)
            .execute(conn)?,
    };
    Ok(updated == 1)
}

#[derive(Debug, Clone, Copy)]
pub enum LeaseCheck<'a> {
    Owner(&'a str),
    ExpiredBefore(NaiveDateTime),
}

/// Orders per status (for dashboards and metrics).
pub fn count_by_status(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    orders::table
        .group_by(orders::status)
        .select((orders::status, diesel::dsl::count_star()))
        .load(conn)
}

/// Orders per forwarding state.
pub fn count_by_forward_state(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    orders::table
        .group_by(orders::forward_state)
        .select((orders::forward_state, diesel::dsl::count_star()))
        .load(conn)
}

/// The provider-facing fields a status change writes.
pub struct StatusUpdate<'a> {
    pub status: OrderStatus,
    pub provider_status: Option<&'a str>,
    pub start_count: Option<i64>,
    pub remains: Option<i64>,
    pub checked_at: Option<NaiveDateTime>,
}

pub fn update_status(conn: &mut DbConnection, id: i64, u: &StatusUpdate<'_>) -> QueryResult<usize> {
    diesel::update(orders::table.find(id))
        .set((
            orders::status.eq(u.status.as_str()),
            orders::provider_status.eq(u.provider_status),
            orders::start_count.eq(u.start_count),
            orders::remains.eq(u.remains),
            orders::last_status_check.eq(u.checked_at),
            orders::updated_at.eq(super::now()),
        ))
        .execute(conn)
}

pub fn set_admin_notes(conn: &mut DbConnection, id: i64, notes: Option<&str>) -> QueryResult<usize> {
    diesel::update(orders::table.find(id))
        .set((orders::admin_notes.eq(notes), orders::updated_at.eq(super::now())))
        .execute(conn)
}

/// Moves an `unknown` order on (resend, attach, fail); false if it is no longer unknown.
pub fn resolve_unknown(conn: &mut DbConnection, id: i64, t: &Transition<'_>) -> QueryResult<bool> {
    let updated = diesel::update(
        orders::table
            .find(id)
            .filter(orders::forward_state.eq(ForwardState::Unknown.as_str())),
    )
    .set((
        orders::forward_state.eq(t.forward_state.as_str()),
        orders::status.eq(t.status.as_str()),
        orders::provider_order_id.eq(t.provider_order_id),
        orders::next_attempt_at.eq(t.next_attempt_at),
        orders::last_error.eq(t.last_error),
        orders::attempts.eq(0),
        orders::updated_at.eq(super::now()),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Today's orders (for the dashboard's figures).
pub fn created_since(conn: &mut DbConnection, since: NaiveDateTime) -> QueryResult<Vec<OrderRow>> {
    orders::table
        .filter(orders::created_at.ge(since))
        .select(OrderRow::as_select())
        .load(conn)
}

pub fn count_created_between(conn: &mut DbConnection, from: NaiveDateTime, to: NaiveDateTime) -> QueryResult<i64> {
    orders::table
        .filter(orders::created_at.ge(from))
        .filter(orders::created_at.lt(to))
        .count()
        .get_result(conn)
}
