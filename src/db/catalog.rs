//! Queries on categories and services.

use diesel::prelude::*;
use diesel::QueryResult;

use super::models::{CategoryRow, ServiceFields, ServiceRow};
use super::schema::{categories, services};
use super::DbConnection;
use crate::on_backend;

pub fn insert_category(conn: &mut DbConnection, name: &str, sort_order: i64) -> QueryResult<i64> {
    let now = super::now();
    on_backend!(conn, |c| diesel::insert_into(categories::table)
        .values((
            categories::name.eq(name),
            categories::sort_order.eq(sort_order),
            categories::created_at.eq(now)
        ))
        .returning(categories::id)
        .get_result(c))
    .inspect(|_| super::catalog_written(conn))
}

pub fn find_category(conn: &mut DbConnection, id: i64) -> QueryResult<Option<CategoryRow>> {
    categories::table
        .find(id)
        .select(CategoryRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_category_by_name(conn: &mut DbConnection, name: &str) -> QueryResult<Option<CategoryRow>> {
    categories::table
        .filter(categories::name.eq(name))
        .select(CategoryRow::as_select())
        .first(conn)
        .optional()
}

pub fn list_categories(conn: &mut DbConnection) -> QueryResult<Vec<CategoryRow>> {
    categories::table
        .order((categories::sort_order.asc(), categories::name.asc()))
        .select(CategoryRow::as_select())
        .load(conn)
}

pub fn update_category(
    conn: &mut DbConnection,
    id: i64,
    name: &str,
    sort_order: i64,
    enabled: bool,
) -> QueryResult<usize> {
    diesel::update(categories::table.find(id))
        .set((
            categories::name.eq(name),
            categories::sort_order.eq(sort_order),
            categories::enabled.eq(enabled),
        ))
        .execute(conn)
        .inspect(|_| super::catalog_written(conn))
}

pub fn insert_service(conn: &mut DbConnection, fields: &ServiceFields) -> QueryResult<i64> {
    insert(conn, fields, false)
}

/// A service an import creates (and later updates; other listings are left alone).
pub fn insert_imported_service(conn: &mut DbConnection, fields: &ServiceFields) -> QueryResult<i64> {
    insert(conn, fields, true)
}

fn insert(conn: &mut DbConnection, fields: &ServiceFields, imported: bool) -> QueryResult<i64> {
    let now = super::now();
    on_backend!(conn, |c| diesel::insert_into(services::table)
        .values((
            fields,
            services::imported.eq(imported),
            services::created_at.eq(now),
            services::updated_at.eq(now),
        ))
        .returning(services::id)
        .get_result(c))
    .inspect(|_| super::catalog_written(conn))
}

pub fn update_service(conn: &mut DbConnection, id: i64, fields: &ServiceFields) -> QueryResult<usize> {
    diesel::update(services::table.find(id))
        .set((fields, services::updated_at.eq(super::now())))
        .execute(conn)
        .inspect(|_| super::catalog_written(conn))
}

pub fn find_service(conn: &mut DbConnection, id: i64) -> QueryResult<Option<ServiceRow>> {
    services::table
        .find(id)
        .select(ServiceRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_provider_service(
    conn: &mut DbConnection,
    provider_id: i64,
    provider_service_id: &str,
) -> QueryResult<Option<ServiceRow>> {
    services::table
        .filter(services::provider_id.eq(provider_id))
        .filter(services::provider_service_id.eq(provider_service_id))
        .select(ServiceRow::as_select())
        .first(conn)
        .optional()
}

/// Every service, or only the enabled ones in enabled categories, ordered for display.
pub fn list_services(conn: &mut DbConnection, enabled_only: bool) -> QueryResult<Vec<ServiceRow>> {
    let mut query = services::table.inner_join(categories::table).into_boxed();
    if enabled_only {
        query = query
            .filter(services::enabled.eq(true))
            .filter(categories::enabled.eq(true));
    }
    query
        .order((categories::sort_order.asc(), categories::name.asc(), services::id.asc()))
        .select(ServiceRow::as_select())
        .load(conn)
}

/// The counter triggers move on every catalogue or settings change (migration 13).
pub fn version(conn: &mut DbConnection) -> QueryResult<i64> {
    super::schema::catalog_version::table
        .find(1)
        .select(super::schema::catalog_version::version)
        .first(conn)
}

/// Every service with whether its category is enabled (what pricing needs).
pub fn services_with_category_state(conn: &mut DbConnection) -> QueryResult<Vec<(ServiceRow, bool)>> {
    services::table
        .inner_join(categories::table)
        .select((ServiceRow::as_select(), categories::enabled))
        .load(conn)
}
