//! The audit trail: who did what, to what, before and after, from where.

use serde_json::Value;

use crate::db::models::NewAuditRow;
use crate::db::{self, DbConnection};
use crate::error::AppResult;

/// Who is acting, and from where.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub ip: Option<String>,
}

impl Actor {
    /// An action taken from the command line.
    pub fn cli() -> Self {
        Self {
            user_id: None,
            ip: Some("cli".into()),
        }
    }
}

/// Appends one audit row; call inside the transaction of the action it records.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    target: Option<&str>,
    before: Option<&Value>,
    after: Option<&Value>,
) -> AppResult<()> {
    let before = before.map(Value::to_string);
    let after = after.map(Value::to_string);
    db::audit::insert(
        conn,
        &NewAuditRow {
            actor_id: actor.user_id,
            action,
            target,
            before_json: before.as_deref(),
            after_json: after.as_deref(),
            ip: actor.ip.as_deref(),
            created_at: db::now(),
        },
    )?;
    Ok(())
}
