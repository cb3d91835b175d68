//! Queries on payment methods and add-funds requests. A request leaves `pending` only
//! through a guarded update (`WHERE state = 'pending'`), and the unique index on
//! approved `(method_id, txn_id)` keeps one payment from being credited twice.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::QueryResult;

use super::schema::{fund_requests, payment_methods, users};
use super::DbConnection;
use crate::on_backend;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = payment_methods)]
#[serde(rename_all = "camelCase")]
pub struct MethodRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub account: String,
    pub instructions: String,
    #[serde(skip)]
    pub min_amount: i64,
    #[serde(skip)]
    pub max_amount: i64,
    pub enabled: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = payment_methods)]
pub struct MethodFields<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub account: &'a str,
    pub instructions: &'a str,
    pub min_amount: i64,
    pub max_amount: i64,
    pub enabled: bool,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = fund_requests)]
pub struct FundRequestRow {
    pub id: i64,
    pub user_id: i64,
    pub method_id: i64,
    pub amount: i64,
    pub txn_id: String,
    pub state: String,
    pub reason: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = fund_requests)]
pub struct NewFundRequest<'a> {
    pub user_id: i64,
    pub method_id: i64,
    pub amount: i64,
    pub txn_id: &'a str,
    pub state: &'a str,
    pub created_at: NaiveDateTime,
}

pub fn insert_method(conn: &mut DbConnection, fields: &MethodFields<'_>, now: NaiveDateTime) -> QueryResult<i64> {
    on_backend!(conn, |c| diesel::insert_into(payment_methods::table)
        .values((fields, payment_methods::created_at.eq(now)))
        .returning(payment_methods::id)
        .get_result(c))
}

pub fn update_method(conn: &mut DbConnection, id: i64, fields: &MethodFields<'_>) -> QueryResult<usize> {
    diesel::update(payment_methods::table.find(id))
        .set(fields)
        .execute(conn)
}

pub fn find_method(conn: &mut DbConnection, id: i64) -> QueryResult<Option<MethodRow>> {
    payment_methods::table
        .find(id)
        .select(MethodRow::as_select())
        .first(conn)
        .optional()
}

/// Every method (or the enabled ones), in the order they were added.
pub fn methods(conn: &mut DbConnection, only_enabled: bool) -> QueryResult<Vec<MethodRow>> {
    let mut query = payment_methods::table
        .select(MethodRow::as_select())
        .order(payment_methods::id.asc())
        .into_boxed();
    if only_enabled {
        query = query.filter(payment_methods::enabled.eq(true));
    }
    query.load(conn)
}

pub fn insert_request(conn: &mut DbConnection, row: &NewFundRequest<'_>) -> QueryResult<i64> {
    on_backend!(conn, |c| diesel::insert_into(fund_requests::table)
        .values(row)
        .returning(fund_requests::id)
        .get_result(c))
}

pub fn find_request(conn: &mut DbConnection, id: i64) -> QueryResult<Option<FundRequestRow>> {
    fund_requests::table
        .find(id)
        .select(FundRequestRow::as_select())
        .first(conn)
        .optional()
}

/// A user's newest requests.
pub fn for_user(conn: &mut DbConnection, user_id: i64, limit: i64) -> QueryResult<Vec<FundRequestRow>> {
    fund_requests::table
        .filter(fund_requests::user_id.eq(user_id))
        .order(fund_requests::id.desc())
        .limit(limit)
        .select(FundRequestRow::as_select())
        .load(conn)
}

/// Requests in `state` (all when `None`) with their customer's email: pending ones
/// oldest first (the order they are worked through), the others newest first.
pub fn for_admin(
    conn: &mut DbConnection,
    state: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<(FundRequestRow, String)>> {
    let mut query = fund_requests::table
        .inner_join(users::table.on(users::id.eq(fund_requests::user_id)))
        .select((FundRequestRow::as_select(), users::email))
        .limit(limit)
        .into_boxed();
    query = match state {
        Some(state) => query.filter(fund_requests::state.eq(state.to_string())),
        None => query,
    };
    query = if state == Some("pending") {
        query.order(fund_requests::id.asc())
    } else {
        query.order(fund_requests::id.desc())
    };
    query.load(conn)
}

/// Other requests naming the same payment as any of `keys` (method, transaction id):
/// `(id, method_id, txn_id, state)`, so an admin sees a payment claimed twice.
pub fn same_payment(conn: &mut DbConnection, txn_ids: &[String]) -> QueryResult<Vec<(i64, i64, String, String)>> {
    fund_requests::table
        .filter(fund_requests::txn_id.eq_any(txn_ids))
        .select((
            fund_requests::id,
            fund_requests::method_id,
            fund_requests::txn_id,
            fund_requests::state,
        ))
        .load(conn)
}

/// The approved request for this payment, if there is one.
pub fn approved_for(conn: &mut DbConnection, method_id: i64, txn_id: &str) -> QueryResult<Option<i64>> {
    fund_requests::table
        .filter(fund_requests::method_id.eq(method_id))
        .filter(fund_requests::txn_id.eq(txn_id))
        .filter(fund_requests::state.eq("approved"))
        .select(fund_requests::id)
        .first(conn)
        .optional()
}

/// A pending request of this user for this payment, if there is one.
pub fn pending_of_user(
    conn: &mut DbConnection,
    user_id: i64,
    method_id: i64,
    txn_id: &str,
) -> QueryResult<Option<i64>> {
    fund_requests::table
        .filter(fund_requests::user_id.eq(user_id))
        .filter(fund_requests::method_id.eq(method_id))
        .filter(fund_requests::txn_id.eq(txn_id))
        .filter(fund_requests::state.eq("pending"))
        .select(fund_requests::id)
        .first(conn)
        .optional()
}

/// Moves a pending request to `state`; 0 rows when it was not pending any more (someone
/// decided first). Approving a payment already credited fails on the unique index.
pub fn decide(
    conn: &mut DbConnection,
    id: i64,
    state: &str,
    reason: Option<&str>,
    admin_id: Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        fund_requests::table
            .filter(fund_requests::id.eq(id))
            .filter(fund_requests::state.eq("pending")),
    )
    .set((
        fund_requests::state.eq(state),
        fund_requests::reason.eq(reason),
        fund_requests::decided_by.eq(admin_id),
        fund_requests::decided_at.eq(Some(now)),
    ))
    .execute(conn)
}

pub fn count_pending(conn: &mut DbConnection) -> QueryResult<i64> {
    fund_requests::table
        .filter(fund_requests::state.eq("pending"))
        .count()
        .get_result(conn)
}
