//! The audit trail: rows are appended, never updated or deleted.

use diesel::prelude::*;
use diesel::QueryResult;

use super::models::{AuditRow, NewAuditRow};
use super::schema::audit_log;
use super::DbConnection;

pub fn insert(conn: &mut DbConnection, row: &NewAuditRow<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_log::table).values(row).execute(conn)?;
    Ok(())
}

pub fn page(
    conn: &mut DbConnection,
    action: Option<&str>,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<AuditRow>, i64)> {
    let filtered = || {
        let mut query = audit_log::table.into_boxed();
        if let Some(action) = action {
            query = query.filter(audit_log::action.eq(action.to_string()));
        }
        query
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order(audit_log::id.desc())
        .offset(offset)
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}
