//! Queries on refill and cancel requests: placing, lists, the forwarding queue with its
//! leases, the refills sync checks, and guarded updates.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::QueryResult;

use super::models::{NewRequestRow, RequestRow};
use super::schema::{order_requests, orders};
use super::DbConnection;
use crate::domain::{ForwardState, RequestKind, RequestState, RequestStatus};
use crate::on_backend;

pub fn insert(conn: &mut DbConnection, row: &NewRequestRow<'_>) -> QueryResult<i64> {
    on_backend!(conn, |c| diesel::insert_into(order_requests::table)
        .values(row)
        .returning(order_requests::id)
        .get_result(c))
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<RequestRow>> {
    order_requests::table
        .find(id)
        .select(RequestRow::as_select())
        .first(conn)
        .optional()
}

/// The open request of `kind` for an order, if there is one.
pub fn open_for_order(conn: &mut DbConnection, order_id: i64, kind: RequestKind) -> QueryResult<Option<RequestRow>> {
    order_requests::table
        .filter(order_requests::order_id.eq(order_id))
        .filter(order_requests::kind.eq(kind.as_str()))
        .filter(order_requests::open.eq(true))
        .select(RequestRow::as_select())
        .first(conn)
        .optional()
}

/// Every request of an order, newest first.
pub fn for_order(conn: &mut DbConnection, order_id: i64) -> QueryResult<Vec<RequestRow>> {
    order_requests::table
        .filter(order_requests::order_id.eq(order_id))
        .order(order_requests::id.desc())
        .select(RequestRow::as_select())
        .load(conn)
}

/// Those of `ids` that belong to `user_id` and are of `kind`, in one query.
pub fn find_for_user(
    conn: &mut DbConnection,
    user_id: i64,
    kind: RequestKind,
    ids: &[i64],
) -> QueryResult<Vec<RequestRow>> {
    order_requests::table
        .filter(order_requests::user_id.eq(user_id))
        .filter(order_requests::kind.eq(kind.as_str()))
        .filter(order_requests::id.eq_any(ids))
        .select(RequestRow::as_select())
        .load(conn)
}

/// Filters of the admin's request lists.
#[derive(Debug, Default, Clone)]
pub struct RequestFilter {
    pub kind: Option<RequestKind>,
    pub state: Option<RequestState>,
    pub open: Option<bool>,
    pub user_id: Option<i64>,
}

/// One page of requests, newest first, and the total.
pub fn page(
    conn: &mut DbConnection,
    filter: &RequestFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<RequestRow>, i64)> {
    let filtered = || {
        let mut query = order_requests::table.into_boxed();
        if let Some(kind) = filter.kind {
            query = query.filter(order_requests::kind.eq(kind.as_str()));
        }
        if let Some(state) = filter.state {
            query = query.filter(order_requests::state.eq(state.as_str()));
        }
        if let Some(open) = filter.open {
            query = query.filter(order_requests::open.eq(open));
        }
        if let Some(user_id) = filter.user_id {
            query = query.filter(order_requests::user_id.eq(user_id));
        }
        query
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order(order_requests::id.desc())
        .offset(offset)
        .limit(limit)
        .select(RequestRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Claims the oldest due queued request whose order the provider has accepted: marks
/// it `in_flight` under `owner`'s lease. Call in a write transaction (PostgreSQL skips
/// rows other workers hold).
pub fn claim_next(
    conn: &mut DbConnection,
    owner: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> QueryResult<Option<RequestRow>> {
    let due = sendable(now);
    let id: Option<i64> = match conn {
        DbConnection::Postgres(c) => order_requests::table
            .filter(due)
            .order(order_requests::id.asc())
            .select(order_requests::id)
            .for_update()
            .skip_locked()
            .first(c)
            .optional()?,
        DbConnection::Sqlite(c) => order_requests::table
            .filter(due)
            .order(order_requests::id.asc())
            .select(order_requests::id)
            .first(c)
            .optional()?,
    };
    let Some(id) = id else { return Ok(None) };
    let claimed = diesel::update(
        order_requests::table
            .find(id)
            .filter(order_requests::state.eq(RequestState::Queued.as_str())),
    )
    .set((
        order_requests::state.eq(RequestState::InFlight.as_str()),
        order_requests::lease_owner.eq(owner),
        order_requests::lease_until.eq(lease_until),
        order_requests::attempts.eq(order_requests::attempts + 1),
        order_requests::version.eq(order_requests::version + 1),
        order_requests::updated_at.eq(now),
    ))
    .execute(conn)?;
    if claimed == 0 {
        return Ok(None);
    }
    find(conn, id)
}

/// Ids of orders a request can be sent for: accepted by the provider, not in review.
#[diesel::dsl::auto_type]
fn sendable_orders() -> _ {
    let accepted: &'static str = ForwardState::Accepted.as_str();
    orders::table
        .filter(orders::forward_state.eq(accepted))
        .filter(orders::review_reason.is_null())
        .select(orders::id)
}

/// Queued requests that are due at `now` and whose order the provider has accepted
/// (and is not held for review): what `claim_next` takes and idle workers wait for.
#[diesel::dsl::auto_type]
fn sendable(now: NaiveDateTime) -> _ {
    let accepted: sendable_orders = sendable_orders();
    let queued: &'static str = RequestState::Queued.as_str();
    order_requests::state
        .eq(queued)
        .and(
            order_requests::next_attempt_at
                .is_null()
                .or(order_requests::next_attempt_at.le(now)),
        )
        .and(order_requests::order_id.eq_any(accepted))
}

/// Whether a queued request can be sent now (the idle workers' wake-up check).
pub fn due_now(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(order_requests::table.filter(sendable(now)))).get_result(conn)
}

/// `in_flight` requests whose lease ran out (their worker died mid-call).
pub fn expired_leases(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<RequestRow>> {
    order_requests::table
        .filter(order_requests::state.eq(RequestState::InFlight.as_str()))
        .filter(order_requests::lease_until.lt(now))
        .order(order_requests::id.asc())
        .limit(limit)
        .select(RequestRow::as_select())
        .load(conn)
}

/// The fields one move of a request writes; `None` leaves a column as it is.
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = order_requests)]
pub struct RequestPatch {
    pub state: Option<&'static str>,
    pub status: Option<&'static str>,
    pub open: Option<bool>,
    pub provider_refill_id: Option<Option<String>>,
    pub provider_status: Option<Option<String>>,
    pub attempts: Option<i64>,
    pub next_attempt_at: Option<Option<NaiveDateTime>>,
    pub lease_until: Option<Option<NaiveDateTime>>,
    pub lease_owner: Option<Option<String>>,
    pub last_error: Option<Option<String>>,
    pub last_status_check: Option<Option<NaiveDateTime>>,
}

impl RequestPatch {
    /// Sets the customer-visible status, closing the request when it is final.
    pub fn with_status(mut self, status: RequestStatus) -> Self {
        self.status = Some(status.as_str());
        self.open = Some(!status.is_final());
        self
    }
}

/// Applies `patch` only while the request is at `version` (or, with `lease`, still in
/// flight under that worker's lease); false when someone moved it first.
pub fn compare_and_set(
    conn: &mut DbConnection,
    id: i64,
    version: i64,
    lease: Option<&str>,
    patch: &RequestPatch,
) -> QueryResult<bool> {
    let changes = (
        patch,
        order_requests::version.eq(order_requests::version + 1),
        order_requests::updated_at.eq(super::now()),
    );
    let target = order_requests::table.find(id);
    let updated = match lease {
        None => diesel::update(target.filter(order_requests::version.eq(version)))
            .set(changes)
            .execute(conn)?,
        Some(owner) => diesel::update(
            target
                .filter(order_requests::state.eq(RequestState::InFlight.as_str()))
                .filter(order_requests::lease_owner.eq(owner)),
        )
        .set(changes)
        .execute(conn)?,
    };
    Ok(updated == 1)
}

/// Closes the open cancel request of an order that reached a final status: there is
/// nothing left to cancel. In the transaction of that status change.
pub fn close_cancel(conn: &mut DbConnection, order_id: i64, status: RequestStatus) -> QueryResult<usize> {
    diesel::update(
        order_requests::table
            .filter(order_requests::order_id.eq(order_id))
            .filter(order_requests::kind.eq(RequestKind::Cancel.as_str()))
            .filter(order_requests::open.eq(true))
            .filter(order_requests::state.ne(RequestState::InFlight.as_str())),
    )
    .set((
        order_requests::state.eq(RequestState::Done.as_str()),
        order_requests::status.eq(status.as_str()),
        order_requests::open.eq(false),
        order_requests::version.eq(order_requests::version + 1),
        order_requests::updated_at.eq(super::now()),
    ))
    .execute(conn)
}

/// The next batch of a provider's sent, open refills not yet checked since `since`.
pub fn refills_to_check(
    conn: &mut DbConnection,
    provider_id: i64,
    since: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<RequestRow>> {
    let of_provider = orders::table
        .filter(orders::provider_id.eq(provider_id))
        .select(orders::id);
    order_requests::table
        .filter(order_requests::kind.eq(RequestKind::Refill.as_str()))
        .filter(order_requests::state.eq(RequestState::Sent.as_str()))
        .filter(order_requests::open.eq(true))
        .filter(
            order_requests::last_status_check
                .is_null()
                .or(order_requests::last_status_check.lt(since)),
        )
        .filter(order_requests::order_id.eq_any(of_provider))
        .order(order_requests::id.asc())
        .limit(limit)
        .select(RequestRow::as_select())
        .load(conn)
}

/// Stamps refills whose check changed nothing.
pub fn touch_checked(conn: &mut DbConnection, ids: &[i64], at: NaiveDateTime) -> QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::update(order_requests::table.filter(order_requests::id.eq_any(ids)))
        .set(order_requests::last_status_check.eq(at))
        .execute(conn)
}
