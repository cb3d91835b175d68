//! Queries on users.

use diesel::prelude::*;
use diesel::QueryResult;

use super::models::{NewUserRow, UserRow};
use super::schema::users;
use super::DbConnection;
use crate::on_backend;

pub fn insert(conn: &mut DbConnection, row: &NewUserRow<'_>) -> QueryResult<i64> {
    on_backend!(conn, |c| diesel::insert_into(users::table)
        .values(row)
        .returning(users::id)
        .get_result(c))
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_api_key_hash(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::api_key_hash.eq(hash))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// Sets a new password hash; every session and token issued before it ends.
pub fn set_password_hash(conn: &mut DbConnection, id: i64, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(hash),
            users::session_epoch.eq(users::session_epoch + 1),
        ))
        .execute(conn)
}

pub fn set_api_key(conn: &mut DbConnection, id: i64, hash: &str, encrypted: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::api_key_hash.eq(hash), users::api_key_enc.eq(encrypted)))
        .execute(conn)
}

/// Changes the role; sessions and tokens issued under the old role end.
pub fn set_role(conn: &mut DbConnection, id: i64, role: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::role.eq(role), users::session_epoch.eq(users::session_epoch + 1)))
        .execute(conn)
}

/// Remembers the language the user chose.
pub fn set_language(conn: &mut DbConnection, id: i64, language: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::language.eq(Some(language)))
        .execute(conn)
}

pub fn touch_last_login(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::last_login_at.eq(super::now()))
        .execute(conn)
}

/// One page of users, newest first, with the total count.
pub fn page(
    conn: &mut DbConnection,
    search: Option<&str>,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<UserRow>, i64)> {
    let filtered = || {
        let mut query = users::table.into_boxed();
        if let Some(term) = search {
            query = query.filter(users::email.like(format!("%{}%", escape_like(term))).escape('\\'));
        }
        query
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order(users::id.desc())
        .offset(offset)
        .limit(limit)
        .select(UserRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Escapes `%`, `_` and `\` so a search term matches literally inside `LIKE`.
pub fn escape_like(term: &str) -> String {
    let mut out = String::with_capacity(term.len());
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.to_lowercase()
}

/// Ends every session and token of the user (they carry the old epoch); the new epoch.
pub fn bump_session_epoch(conn: &mut DbConnection, id: i64) -> QueryResult<i64> {
    diesel::update(users::table.find(id))
        .set(users::session_epoch.eq(users::session_epoch + 1))
        .execute(conn)?;
    users::table.find(id).select(users::session_epoch).first(conn)
}

pub fn set_disabled(conn: &mut DbConnection, id: i64, disabled: bool) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::disabled.eq(disabled),
            users::session_epoch.eq(users::session_epoch + 1),
        ))
        .execute(conn)
}

/// The emails of the given users, for pages that name users by id.
pub fn emails(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<(i64, String)>> {
    users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::email))
        .load(conn)
}

/// How many orders each of `ids` has placed (one query for a page of users).
pub fn order_counts(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<(i64, i64)>> {
    use super::schema::orders;
    orders::table
        .filter(orders::user_id.eq_any(ids))
        .group_by(orders::user_id)
        .select((orders::user_id, diesel::dsl::count_star()))
        .load(conn)
}
