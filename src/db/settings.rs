//! Key/value settings (e.g. the USD→BDT rate).

use diesel::prelude::*;
use diesel::QueryResult;

use super::schema::settings;
use super::DbConnection;
use crate::on_backend;

pub const USD_TO_BDT: &str = "usd_to_bdt";

pub fn get(conn: &mut DbConnection, key: &str) -> QueryResult<Option<String>> {
    settings::table.find(key).select(settings::value).first(conn).optional()
}

pub fn set(conn: &mut DbConnection, key: &str, value: &str) -> QueryResult<()> {
    let now = super::now();
    on_backend!(conn, |c| diesel::insert_into(settings::table)
        .values((
            settings::key.eq(key),
            settings::value.eq(value),
            settings::updated_at.eq(now)
        ))
        .on_conflict(settings::key)
        .do_update()
        .set((settings::value.eq(value), settings::updated_at.eq(now)))
        .execute(c))?;
    super::catalog_written(conn);
    Ok(())
}

pub fn delete(conn: &mut DbConnection, key: &str) -> QueryResult<()> {
    diesel::delete(settings::table.find(key)).execute(conn)?;
    super::catalog_written(conn);
    Ok(())
}
