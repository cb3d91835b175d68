//! Queries on providers, including the health counters every call updates.

use diesel::prelude::*;
use diesel::QueryResult;

use super::models::{NewProviderRow, ProviderRow};
use super::schema::{providers, services};
use super::DbConnection;
use crate::on_backend;

pub fn insert(conn: &mut DbConnection, row: &NewProviderRow<'_>) -> QueryResult<i64> {
    on_backend!(conn, |c| diesel::insert_into(providers::table)
        .values(row)
        .returning(providers::id)
        .get_result(c))
}

pub fn set_key(conn: &mut DbConnection, id: i64, encrypted: &str, hint: &str) -> QueryResult<usize> {
    diesel::update(providers::table.find(id))
        .set((providers::api_key_enc.eq(encrypted), providers::api_key_hint.eq(hint)))
        .execute(conn)
}

/// A provider that has not been deleted.
pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<ProviderRow>> {
    providers::table
        .find(id)
        .filter(providers::deleted_at.is_null())
        .select(ProviderRow::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<ProviderRow>> {
    providers::table
        .filter(providers::deleted_at.is_null())
        .order(providers::name.asc())
        .select(ProviderRow::as_select())
        .load(conn)
}

pub fn name_taken(conn: &mut DbConnection, name: &str, except: Option<i64>) -> QueryResult<bool> {
    let mut query = providers::table
        .filter(providers::deleted_at.is_null())
        .filter(providers::name.eq(name))
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(providers::id.ne(id));
    }
    Ok(query.count().get_result::<i64>(conn)? > 0)
}

pub struct ProviderChanges<'a> {
    pub name: &'a str,
    pub api_url: &'a str,
    /// `None` keeps the stored key.
    pub api_key: Option<(&'a str, &'a str)>,
    pub on_ambiguous: &'a str,
    pub enabled: bool,
    /// The admin's currency for it; `None`: as its `balance` reply says.
    pub currency: Option<&'a str>,
}

pub fn update(conn: &mut DbConnection, id: i64, changes: &ProviderChanges<'_>) -> QueryResult<usize> {
    let target = providers::table.find(id);
    let now = super::now();
    let count = diesel::update(target)
        .set((
            providers::name.eq(changes.name),
            providers::api_url.eq(changes.api_url),
            providers::on_ambiguous.eq(changes.on_ambiguous),
            providers::enabled.eq(changes.enabled),
            providers::currency.eq(changes.currency),
            providers::updated_at.eq(now),
        ))
        .execute(conn)?;
    if let Some((encrypted, hint)) = changes.api_key {
        diesel::update(target)
            .set((providers::api_key_enc.eq(encrypted), providers::api_key_hint.eq(hint)))
            .execute(conn)?;
    }
    Ok(count)
}

/// Deletes the row when nothing references it, else marks it deleted and disables it.
/// Returns true when the row was only marked.
pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
    let referenced: i64 = services::table
        .filter(services::provider_id.eq(id))
        .count()
        .get_result(conn)?;
    if referenced > 0 {
        let now = super::now();
        diesel::update(providers::table.find(id))
            .set((
                providers::deleted_at.eq(now),
                providers::enabled.eq(false),
                providers::updated_at.eq(now),
            ))
            .execute(conn)?;
        diesel::update(services::table.filter(services::provider_id.eq(id)))
            .set((services::enabled.eq(false), services::updated_at.eq(now)))
            .execute(conn)?;
        super::catalog_written(conn);
        Ok(true)
    } else {
        diesel::delete(providers::table.find(id)).execute(conn)?;
        Ok(false)
    }
}

/// Counts one call into the provider's health figures.
pub fn record_call(conn: &mut DbConnection, id: i64, latency_ms: i64, error: Option<&str>) -> QueryResult<()> {
    let now = super::now();
    let target = providers::table.find(id);
    let counters = (
        providers::calls_total.eq(providers::calls_total + 1),
        providers::latency_ms_total.eq(providers::latency_ms_total + latency_ms),
    );
    match error {
        None => diesel::update(target)
            .set((counters, providers::last_success_at.eq(now)))
            .execute(conn)?,
        Some(message) => diesel::update(target)
            .set((
                counters,
                providers::calls_failed.eq(providers::calls_failed + 1),
                providers::last_error_at.eq(now),
                providers::last_error.eq(message),
            ))
            .execute(conn)?,
    };
    Ok(())
}

pub fn record_balance(conn: &mut DbConnection, id: i64, balance: i64, currency: &str) -> QueryResult<()> {
    diesel::update(providers::table.find(id))
        .set((
            providers::balance.eq(balance),
            providers::balance_currency.eq(currency),
            providers::balance_checked_at.eq(super::now()),
        ))
        .execute(conn)?;
    Ok(())
}
