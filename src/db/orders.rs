//! Queries on orders: placement, lists, the forwarding queue with its leases.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::QueryResult;

use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};

use super::keyset::{in_order_of, Count, Position, Window, COUNT_CAP};
use super::models::{NewOrderRow, OrderRow};
use super::schema::{orders, services};
use super::DbConnection;
use crate::domain::{ForwardState, OrderStatus};
use crate::on_backend;

/// Inserts orders with multi-row statements and returns them as stored, in the order
/// given (ids are assigned in that order within a statement; the rows are sorted by id
/// rather than trusting the order `RETURNING` yields them in).
pub fn insert_many(conn: &mut DbConnection, rows: &[NewOrderRow<'_>]) -> QueryResult<Vec<OrderRow>> {
    let mut stored = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(super::ROWS_PER_STATEMENT) {
        let mut part: Vec<OrderRow> = on_backend!(conn, |c| diesel::insert_into(orders::table)
            .values(chunk)
            .returning(OrderRow::as_returning())
            .get_results(c))?;
        part.sort_unstable_by_key(|row| row.id);
        stored.append(&mut part);
    }
    Ok(stored)
}

pub fn insert_extras(conn: &mut DbConnection, extras: &[super::models::OrderExtras]) -> QueryResult<usize> {
    let mut written = 0;
    for chunk in extras.chunks(super::ROWS_PER_STATEMENT) {
        written += on_backend!(conn, |c| diesel::insert_into(super::schema::order_extras::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(written)
}

/// A drip-feed or comments order's extras (none for other orders).
pub fn extras(conn: &mut DbConnection, order_id: i64) -> QueryResult<Option<super::models::OrderExtras>> {
    super::schema::order_extras::table
        .find(order_id)
        .select(super::models::OrderExtras::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<OrderRow>> {
    orders::table
        .find(id)
        .select(OrderRow::as_select())
        .first(conn)
        .optional()
}

/// Those of `ids` that belong to `user_id`, in one query.
pub fn find_for_user(conn: &mut DbConnection, user_id: i64, ids: &[i64]) -> QueryResult<Vec<OrderRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    orders::table
        .filter(orders::user_id.eq(user_id))
        .filter(orders::id.eq_any(ids))
        .select(OrderRow::as_select())
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
    /// Only orders waiting for an admin: no clear answer after sending (`unknown`), or
    /// flagged (`review_reason`) by sync or a late provider answer.
    pub needs_review: bool,
    /// Placed at or after this time.
    pub created_from: Option<NaiveDateTime>,
    /// Placed before this time.
    pub created_before: Option<NaiveDateTime>,
}

impl OrderFilter {
    /// A list with a date range is ordered by `(created_at, id)`, newest first, and
    /// every other list by `id`. Ids and times rise together, but not strictly (two
    /// transactions can commit in either order), so a date range cannot become an id
    /// range; ordered by time, its page is a backward scan of `orders_created_idx` from
    /// the cursor, where ordering by id would walk past every newer order first.
    fn by_time(&self) -> bool {
        self.created_from.is_some() || self.created_before.is_some()
    }

    fn search_term(&self) -> Option<&str> {
        self.search.as_deref().map(str::trim).filter(|t| !t.is_empty())
    }

    /// Whether anything but the search narrows the list.
    fn narrowed_besides_search(&self) -> bool {
        let Self {
            user_id,
            status,
            forward_state,
            provider_id,
            search: _,
            is_manual,
            needs_review,
            created_from,
            created_before,
        } = self;
        user_id.is_some()
            || status.is_some()
            || forward_state.is_some()
            || provider_id.is_some()
            || is_manual.is_some()
            || *needs_review
            || created_from.is_some()
            || created_before.is_some()
    }
}

type Backend = <DbConnection as diesel::Connection>::Backend;

/// How a search term is matched: the order id, part of the link, or the provider's
/// order id.
enum Search {
    None,
    /// Tested on every row the other filters leave. PostgreSQL finds the link matches
    /// through its trigram index (`orders_link_trgm_idx`) when the term is selective;
    /// on SQLite this is the plan for terms shorter than a trigram or found in more
    /// than `SEARCH_CANDIDATES` links, where a scan in list order soon fills a page.
    Everywhere {
        id: i64,
        pattern: String,
        term: String,
        /// More than `SEARCH_CANDIDATES` links contain the term (known on SQLite only).
        plentiful: bool,
    },
    /// The same test, on these candidates only: the orders whose link SQLite's trigram
    /// table (`orders_link_fts`) matched, whose provider order id is the term, and the
    /// order the term names.
    Among {
        ids: Vec<i64>,
        id: i64,
        pattern: String,
        term: String,
    },
}

/// At most this many link matches are taken from SQLite's trigram table as candidates.
/// Beyond it the term is common, and a scan in list order finds a page of matches after
/// a few thousand rows. At least `COUNT_CAP`, so `plentiful` means "more than the cap".
const SEARCH_CANDIDATES: i64 = 2000;

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

fn plan_search(conn: &mut DbConnection, filter: &OrderFilter) -> QueryResult<Search> {
    let Some(term) = filter.search_term() else {
        return Ok(Search::None);
    };
    let id = term.trim_start_matches('#').parse::<i64>().unwrap_or(-1);
    let pattern = format!("%{}%", super::users::escape_like(term));
    let everywhere = |plentiful| Search::Everywhere {
        id,
        pattern: pattern.clone(),
        term: term.to_string(),
        plentiful,
    };
    let DbConnection::Sqlite(c) = conn else {
        return Ok(everywhere(false));
    };
    // The trigram tokenizer indexes every three characters; a shorter term matches
    // nothing there.
    if term.chars().count() < 3 {
        return Ok(everywhere(false));
    }
    // A quoted FTS5 string is one phrase: the term's trigrams in a row, i.e. the term as
    // a substring (case-folded like LIKE; LIKE still checks each candidate).
    let phrase = format!("\"{}\"", term.replace('"', "\"\""));
    let found: Vec<IdRow> = diesel::sql_query(
        "SELECT rowid AS id FROM orders_link_fts WHERE orders_link_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
    )
    .bind::<diesel::sql_types::Text, _>(&phrase)
    .bind::<diesel::sql_types::BigInt, _>(SEARCH_CANDIDATES + 1)
    .load(c)?;
    if found.len() as i64 > SEARCH_CANDIDATES {
        return Ok(everywhere(true));
    }
    let mut ids: Vec<i64> = found.into_iter().map(|r| r.id).collect();
    ids.extend(
        orders::table
            .filter(orders::provider_order_id.eq(term))
            .select(orders::id)
            .limit(SEARCH_CANDIDATES)
            .load::<i64>(c)?,
    );
    if id > 0 {
        ids.push(id);
    }
    Ok(Search::Among {
        ids,
        id,
        pattern,
        term: term.to_string(),
    })
}

/// `id = n OR link LIKE '%term%' OR provider_order_id = term`.
///
/// The LIKE is written as SQL text, and Diesel does not keep a statement holding SQL
/// text as a prepared statement. That is on purpose: PostgreSQL plans a prepared
/// statement for any values after five runs, and that generic plan cannot know how
/// selective the pattern is. Measured at a million orders, the big customer's search
/// took 0.3 ms with the pattern's own plan (the trigram index) and 10 ms with the
/// generic one (all 100,000 of their orders ANDed with the trigram matches).
fn term_matches<'a>(
    id: i64,
    pattern: &str,
    term: &str,
) -> Box<dyn BoxableExpression<orders::table, Backend, SqlType = Nullable<Bool>> + 'a> {
    let link_like = diesel::dsl::sql::<Bool>("orders.link LIKE ")
        .bind::<Text, _>(pattern.to_string())
        .sql(" ESCAPE '\\'");
    Box::new(
        orders::id
            .eq(id)
            .or(link_like)
            .or(orders::provider_order_id.eq(term.to_string())),
    )
}

/// The orders `filter` and `search` leave, as a query to page, count or read ids from.
fn filtered<'a>(filter: &OrderFilter, search: &Search) -> orders::BoxedQuery<'a, Backend> {
    let mut query = orders::table.into_boxed();
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
    if filter.needs_review {
        query = query.filter(waiting_for_review());
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
    match search {
        Search::None => {}
        Search::Everywhere { id, pattern, term, .. } => query = query.filter(term_matches(*id, pattern, term)),
        Search::Among { ids, id, pattern, term } => {
            query = query
                .filter(orders::id.eq_any(ids.clone()))
                .filter(term_matches(*id, pattern, term));
        }
    }
    query
}

/// One page of a filtered order list, newest first.
pub struct OrderPage {
    pub window: Window,
    /// The page's orders with their service names, in the window's order.
    pub rows: Vec<(OrderRow, String)>,
    pub count: Count,
}

/// The page of `filter`'s orders at `position`, and their count up to `COUNT_CAP`:
/// the page's ids first (from an index where the filter has one, however many rows an
/// offset skips), then those orders with their services. `None` when a date-range
/// list's cursor names no order (its time is the cursor); any order's time may serve,
/// the rows shown are still only `filter`'s.
pub fn page(
    conn: &mut DbConnection,
    filter: &OrderFilter,
    position: Position,
    limit: i64,
) -> QueryResult<Option<OrderPage>> {
    let search = plan_search(conn, filter)?;
    let upward = position.reads_upward();
    let cursor_at = match position {
        Position::Before(cursor) | Position::After(cursor) if filter.by_time() => {
            match orders::table
                .find(cursor)
                .select(orders::created_at)
                .first::<NaiveDateTime>(conn)
                .optional()?
            {
                Some(at) => Some((cursor, at)),
                None => return Ok(None),
            }
        }
        _ => None,
    };
    // The cursor bounds the range on its side. SQLite takes one bound per side for an
    // index range, and took the date's: a page from the middle of a date range then
    // walked every order between the range's end and the cursor (31 ms at a million
    // orders). So the date bound the cursor makes redundant is left out.
    let mut bounded = filter.clone();
    if let Some((_, at)) = cursor_at {
        if upward && filter.created_from.is_some_and(|from| at >= from) {
            bounded.created_from = None;
        }
        if !upward && filter.created_before.is_some_and(|before| at < before) {
            bounded.created_before = None;
        }
    }
    let mut ids = filtered(&bounded, &search).select(orders::id);
    if filter.by_time() {
        if let Some((cursor, at)) = cursor_at {
            let side = if upward { ">" } else { "<" };
            ids = ids.filter(
                diesel::dsl::sql::<Bool>(&format!("(orders.created_at, orders.id) {side} ("))
                    .bind::<Timestamp, _>(at)
                    .sql(", ")
                    .bind::<BigInt, _>(cursor)
                    .sql(")"),
            );
        }
        ids = if upward {
            ids.order((orders::created_at.asc(), orders::id.asc()))
        } else {
            ids.order((orders::created_at.desc(), orders::id.desc()))
        };
    } else {
        ids = match position {
            Position::Before(cursor) => ids.filter(orders::id.lt(cursor)),
            Position::After(cursor) => ids.filter(orders::id.gt(cursor)),
            Position::Offset(_) => ids,
        };
        ids = if upward {
            ids.order(orders::id.asc())
        } else {
            ids.order(orders::id.desc())
        };
    }
    let read: Vec<i64> = ids
        .offset(position.offset())
        .limit(Window::read_limit(limit))
        .load(conn)?;
    let window = Window::new(read, position, limit);
    let rows = orders::table
        .inner_join(services::table)
        .filter(orders::id.eq_any(window.ids.clone()))
        .select((OrderRow::as_select(), services::name))
        .load::<(OrderRow, String)>(conn)?;
    let rows = in_order_of(&window.ids, rows, |(order, _)| order.id);
    let count = count(conn, filter, &search)?;
    Ok(Some(OrderPage { window, rows, count }))
}

/// `filter`'s orders counted up to `COUNT_CAP`.
fn count(conn: &mut DbConnection, filter: &OrderFilter, search: &Search) -> QueryResult<Count> {
    if let Search::Everywhere { plentiful: true, .. } = search {
        if !filter.narrowed_besides_search() {
            return Ok(Count::more_than_cap());
        }
    }
    let read = filtered(filter, search)
        .select(orders::id)
        .limit(COUNT_CAP + 1)
        .load::<i64>(conn)?
        .len();
    Ok(Count::from_read(read))
}

/// Orders an admin has to decide on. Written out with its values so that it matches
/// the predicate of the partial index `orders_needs_review_idx` (a bound value would
/// not, in a prepared statement).
fn waiting_for_review() -> diesel::expression::SqlLiteral<Bool> {
    diesel::dsl::sql::<Bool>("(orders.forward_state = 'unknown' OR orders.review_reason IS NOT NULL)")
}

/// Orders waiting to be forwarded or on their way (an index-only count on
/// `orders_queue_idx`, cheap with a million orders).
pub fn queue_depth(conn: &mut DbConnection) -> QueryResult<i64> {
    orders::table
        .filter(orders::forward_state.eq_any([ForwardState::Queued.as_str(), ForwardState::InFlight.as_str()]))
        .count()
        .get_result(conn)
}

/// How many orders wait for an admin's review (the navigation badge).
pub fn count_waiting_for_review(conn: &mut DbConnection) -> QueryResult<i64> {
    orders::table.filter(waiting_for_review()).count().get_result(conn)
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
        orders::version.eq(orders::version + 1),
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

/// The fields one move of the state machine writes; `None` leaves a column as it is.
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = orders)]
pub struct OrderPatch {
    pub status: Option<&'static str>,
    pub forward_state: Option<&'static str>,
    pub provider_order_id: Option<Option<String>>,
    pub provider_status: Option<Option<String>>,
    pub start_count: Option<Option<i64>>,
    pub remains: Option<Option<i64>>,
    pub last_status_check: Option<Option<NaiveDateTime>>,
    pub admin_notes: Option<Option<String>>,
    pub attempts: Option<i64>,
    pub next_attempt_at: Option<Option<NaiveDateTime>>,
    pub lease_until: Option<Option<NaiveDateTime>>,
    pub lease_owner: Option<Option<String>>,
    pub last_error: Option<Option<String>>,
    pub status_errors: Option<i64>,
    pub review_reason: Option<Option<String>>,
}

/// What must still hold for a move to apply.
#[derive(Debug, Clone, Copy)]
pub enum Guard<'a> {
    /// Nobody changed the order since it was read at this version.
    Version(i64),
    /// The order is still in flight under this worker's lease (the worker is the only
    /// one allowed to move an in-flight order while its lease runs).
    Lease(&'a str),
}

/// Applies `patch` only while `guard` holds, bumping the version; false when it no
/// longer holds (someone else moved first) and nothing was written.
pub fn compare_and_set(conn: &mut DbConnection, id: i64, guard: Guard<'_>, patch: &OrderPatch) -> QueryResult<bool> {
    let changes = (
        patch,
        orders::version.eq(orders::version + 1),
        orders::updated_at.eq(super::now()),
    );
    let target = orders::table.find(id);
    let updated = match guard {
        Guard::Version(version) => diesel::update(target.filter(orders::version.eq(version)))
            .set(changes)
            .execute(conn)?,
        Guard::Lease(owner) => diesel::update(
            target
                .filter(orders::forward_state.eq(ForwardState::InFlight.as_str()))
                .filter(orders::lease_owner.eq(owner)),
        )
        .set(changes)
        .execute(conn)?,
    };
    Ok(updated == 1)
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

/// A status reply's write (`Move::SyncUpdate`): the columns it sets, and the version
/// the order was read at.
#[derive(Debug, Clone)]
pub struct SyncWrite {
    pub id: i64,
    pub version: i64,
    pub status: &'static str,
    pub provider_status: Option<String>,
    pub start_count: Option<i64>,
    pub remains: Option<i64>,
    pub last_status_check: Option<NaiveDateTime>,
}

/// Writes many status replies, each only if its order is still at the version read
/// (the rest are left alone); returns the ids written. PostgreSQL gets one
/// `UPDATE … FROM (VALUES …)` per few hundred orders: one round trip and one plan
/// instead of one per order. SQLite, in this process, runs the guarded update per
/// order (the same statement each time, no round trips to save).
pub fn sync_update_many(conn: &mut DbConnection, writes: &[SyncWrite]) -> QueryResult<Vec<i64>> {
    let now = super::now();
    let mut written = Vec::with_capacity(writes.len());
    match conn {
        DbConnection::Postgres(c) => {
            for chunk in writes.chunks(super::ROWS_PER_STATEMENT) {
                let values = (0..chunk.len())
                    .map(|i| {
                        let p = i * 7;
                        format!(
                            "(${}::int8, ${}::int8, ${}::text, ${}::text, ${}::int8, ${}::int8, ${}::timestamp)",
                            p + 1,
                            p + 2,
                            p + 3,
                            p + 4,
                            p + 5,
                            p + 6,
                            p + 7
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!(
                    "UPDATE orders AS o SET status = v.status, provider_status = v.provider_status, \
                     start_count = v.start_count, remains = v.remains, last_status_check = v.checked, \
                     status_errors = 0, version = o.version + 1, updated_at = ${} \
                     FROM (VALUES {values}) AS v (id, version, status, provider_status, start_count, remains, checked) \
                     WHERE o.id = v.id AND o.version = v.version RETURNING o.id",
                    chunk.len() * 7 + 1
                );
                let mut query = diesel::sql_query(sql).into_boxed::<diesel::pg::Pg>();
                for w in chunk {
                    query = query
                        .bind::<BigInt, _>(w.id)
                        .bind::<BigInt, _>(w.version)
                        .bind::<Text, _>(w.status)
                        .bind::<Nullable<Text>, _>(w.provider_status.clone())
                        .bind::<Nullable<BigInt>, _>(w.start_count)
                        .bind::<Nullable<BigInt>, _>(w.remains)
                        .bind::<Nullable<Timestamp>, _>(w.last_status_check);
                }
                let ids: Vec<IdRow> = query.bind::<Timestamp, _>(now).load(c)?;
                written.extend(ids.into_iter().map(|r| r.id));
            }
        }
        DbConnection::Sqlite(_) => {
            for w in writes {
                let patch = OrderPatch {
                    status: Some(w.status),
                    provider_status: Some(w.provider_status.clone()),
                    start_count: Some(w.start_count),
                    remains: Some(w.remains),
                    last_status_check: Some(w.last_status_check),
                    status_errors: Some(0),
                    ..OrderPatch::default()
                };
                if compare_and_set(conn, w.id, Guard::Version(w.version), &patch)? {
                    written.push(w.id);
                }
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_review_predicate_names_the_unknown_state() {
        let sql = diesel::debug_query::<diesel::sqlite::Sqlite, _>(&waiting_for_review()).to_string();
        assert!(sql.contains(&format!("'{}'", ForwardState::Unknown.as_str())), "{sql}");
    }
}
