//! The append-only ledger (SPEC §3). The only place a balance changes: the balance
//! update and its ledger row are written together, inside the caller's transaction.

use diesel::prelude::*;
use diesel::QueryResult;

use super::keyset::{in_order_of, Count, Position, Window, COUNT_CAP};
use super::models::{LedgerRow, NewLedgerRow};
use super::schema::{ledger_entries, users};
use super::DbConnection;
use crate::domain::{LedgerKind, Money};
use crate::on_backend;

/// One balance change to record.
#[derive(Debug, Clone, Copy)]
pub struct Posting<'a> {
    pub user_id: i64,
    pub kind: LedgerKind,
    /// Positive credits the user, negative debits.
    pub amount: Money,
    pub order_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub note: Option<&'a str>,
    /// Whether the balance may end below zero (never for charges and admin deductions).
    pub allow_negative: bool,
}

/// What came of a posting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostingOutcome {
    Posted {
        entry_id: i64,
        balance_after: Money,
    },
    /// The balance does not cover a debit (or the user does not exist): nothing was written.
    Refused,
    /// The amount, or the balance it would leave, is beyond `Money::MAX` either way:
    /// nothing was written.
    OverLimit,
}

/// Why a balance did not move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalanceRefusal {
    /// The balance does not cover a debit (or the user does not exist).
    Insufficient,
    /// The amount, or the balance it would leave, is beyond `Money::MAX` either way.
    OverLimit,
}

/// Moves a balance by `amount` with one conditional update (`balance + amount >= 0`
/// unless `allow_negative`, and `|balance + amount| <= Money::MAX` always) and returns
/// the balance after it. The caller writes the ledger rows for it in the same
/// transaction.
pub fn move_balance(
    conn: &mut DbConnection,
    user_id: i64,
    amount: Money,
    allow_negative: bool,
) -> QueryResult<Result<Money, BalanceRefusal>> {
    let amount = amount.micros();
    let max = Money::MAX.micros();
    if amount.abs() > max {
        return Ok(Err(BalanceRefusal::OverLimit));
    }
    // The bounds on the balance before, computed here so the database never adds past
    // an i64 (SQLite would turn the column into a REAL; PostgreSQL would fail).
    let (lowest, highest) = if amount >= 0 {
        (i64::MIN, max - amount)
    } else if allow_negative {
        (-max - amount, i64::MAX)
    } else {
        (-amount, i64::MAX)
    };
    let balance_after: Option<i64> = on_backend!(conn, |c| diesel::update(
        users::table
            .filter(users::id.eq(user_id))
            .filter(users::balance.ge(lowest))
            .filter(users::balance.le(highest))
    )
    .set(users::balance.eq(users::balance + amount))
    .returning(users::balance)
    .get_result(c)
    .optional())?;
    Ok(match balance_after {
        Some(balance) => Ok(Money::from_micros(balance)),
        None if amount < 0 && !allow_negative => Err(BalanceRefusal::Insufficient),
        None => Err(BalanceRefusal::OverLimit),
    })
}

/// Applies `posting` (`move_balance`), then appends its ledger row with the resulting
/// balance. Must run inside a transaction so both commit or neither does.
pub fn post(conn: &mut DbConnection, posting: &Posting<'_>) -> QueryResult<PostingOutcome> {
    let balance_after = match move_balance(conn, posting.user_id, posting.amount, posting.allow_negative)? {
        Ok(balance) => balance,
        Err(BalanceRefusal::Insufficient) => return Ok(PostingOutcome::Refused),
        Err(BalanceRefusal::OverLimit) => return Ok(PostingOutcome::OverLimit),
    };
    let entry_id = on_backend!(conn, |c| diesel::insert_into(ledger_entries::table)
        .values(&NewLedgerRow {
            user_id: posting.user_id,
            kind: posting.kind.as_str(),
            amount: posting.amount.micros(),
            balance_after: balance_after.micros(),
            order_id: posting.order_id,
            actor_id: posting.actor_id,
            note: posting.note,
            created_at: super::now(),
        })
        .returning(ledger_entries::id)
        .get_result(c))?;
    Ok(PostingOutcome::Posted {
        entry_id,
        balance_after,
    })
}

/// Appends rows whose balance moves were made with `move_balance` in this
/// transaction, a few hundred per statement.
pub fn append(conn: &mut DbConnection, rows: &[NewLedgerRow<'_>]) -> QueryResult<usize> {
    if !rows.is_empty() {
        let mut kinds: Vec<(String, u64)> = Vec::new();
        for row in rows {
            match kinds.iter_mut().find(|(kind, _)| kind == row.kind) {
                Some((_, n)) => *n += 1,
                None => kinds.push((row.kind.to_string(), 1)),
            }
        }
        super::after_commit(conn, move || {
            for (kind, n) in kinds {
                crate::telemetry::ledger_postings(&kind, n);
            }
        });
    }
    let mut written = 0;
    for chunk in rows.chunks(super::ROWS_PER_STATEMENT) {
        written += on_backend!(conn, |c| diesel::insert_into(ledger_entries::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(written)
}

/// One page of a user's ledger, newest first.
pub struct LedgerPage {
    pub window: Window,
    /// The page's rows, in the window's order.
    pub rows: Vec<LedgerRow>,
    pub count: Count,
}

/// The page of `user_id`'s rows at `position`, and their count up to `COUNT_CAP`: ids
/// from `ledger_entries_user_idx (user_id, id)` first, then those rows.
pub fn page_for_user(conn: &mut DbConnection, user_id: i64, position: Position, limit: i64) -> QueryResult<LedgerPage> {
    let own = || {
        ledger_entries::table
            .filter(ledger_entries::user_id.eq(user_id))
            .select(ledger_entries::id)
            .into_boxed()
    };
    let ids = match position {
        Position::Offset(offset) => own().order(ledger_entries::id.desc()).offset(offset),
        Position::Before(cursor) => own()
            .filter(ledger_entries::id.lt(cursor))
            .order(ledger_entries::id.desc()),
        Position::After(cursor) => own()
            .filter(ledger_entries::id.gt(cursor))
            .order(ledger_entries::id.asc()),
    };
    let read: Vec<i64> = ids.limit(Window::read_limit(limit)).load(conn)?;
    let window = Window::new(read, position, limit);
    let rows = ledger_entries::table
        .filter(ledger_entries::id.eq_any(window.ids.clone()))
        .select(LedgerRow::as_select())
        .load(conn)?;
    let rows = in_order_of(&window.ids, rows, |row| row.id);
    let read = own().limit(COUNT_CAP + 1).load::<i64>(conn)?.len();
    Ok(LedgerPage {
        window,
        rows,
        count: Count::from_read(read),
    })
}

/// A user's latest rows, newest first (the dashboard's).
pub fn latest_for_user(conn: &mut DbConnection, user_id: i64, limit: i64) -> QueryResult<Vec<LedgerRow>> {
    ledger_entries::table
        .filter(ledger_entries::user_id.eq(user_id))
        .order(ledger_entries::id.desc())
        .limit(limit)
        .select(LedgerRow::as_select())
        .load(conn)
}

/// `SUM(amount)` as a BIGINT: PostgreSQL sums BIGINT to NUMERIC and SQLite to
/// INTEGER, so it is cast back on both.
fn sum_of_amounts() -> diesel::expression::SqlLiteral<diesel::sql_types::Nullable<diesel::sql_types::BigInt>> {
    diesel::dsl::sql("CAST(SUM(amount) AS BIGINT)")
}

/// The sum of a user's ledger rows: always equal to `users.balance`.
pub fn sum_for_user(conn: &mut DbConnection, user_id: i64) -> QueryResult<i64> {
    let sum: Option<i64> = ledger_entries::table
        .filter(ledger_entries::user_id.eq(user_id))
        .select(sum_of_amounts())
        .first(conn)?;
    Ok(sum.unwrap_or(0))
}

/// The sum of one order's ledger rows (minus what it has cost so far).
/// The ledger sums of many orders in one query (orders without rows are absent).
pub fn sums_for_orders(conn: &mut DbConnection, order_ids: &[i64]) -> QueryResult<std::collections::HashMap<i64, i64>> {
    let mut sums = std::collections::HashMap::with_capacity(order_ids.len());
    for chunk in order_ids.chunks(super::ROWS_PER_STATEMENT) {
        let rows: Vec<(Option<i64>, Option<i64>)> = ledger_entries::table
            .filter(ledger_entries::order_id.eq_any(chunk))
            .group_by(ledger_entries::order_id)
            .select((ledger_entries::order_id, sum_of_amounts()))
            .load(conn)?;
        sums.extend(rows.into_iter().filter_map(|(id, sum)| Some((id?, sum.unwrap_or(0)))));
    }
    Ok(sums)
}

pub fn sum_for_order(conn: &mut DbConnection, order_id: i64) -> QueryResult<i64> {
    let sum: Option<i64> = ledger_entries::table
        .filter(ledger_entries::order_id.eq(order_id))
        .select(sum_of_amounts())
        .first(conn)?;
    Ok(sum.unwrap_or(0))
}
