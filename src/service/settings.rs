//! Panel settings: the USD→panel-currency exchange rate.

use crate::db::{self, DbConnection};
use crate::domain::Rate;
use crate::error::{AppError, AppResult};
use crate::service::audit::{self, Actor};

/// Used until an admin sets the rate (BDT per USD, late 2026).
pub const DEFAULT_USD_TO_BDT: Rate = Rate::from_micros(122_000_000);
const MAX_RATE: Rate = Rate::from_micros(1_000_000 * 1_000_000);

pub fn usd_to_bdt(conn: &mut DbConnection) -> AppResult<Rate> {
    match db::settings::get(conn, db::settings::USD_TO_BDT)? {
        Some(value) => Rate::parse(&value)
            .map_err(|e| AppError::internal(format!("stored {} '{value}' {e}", db::settings::USD_TO_BDT))),
        None => Ok(DEFAULT_USD_TO_BDT),
    }
}

/// Sets the rate (audited, in one transaction with the audit row).
pub fn set_usd_to_bdt(conn: &mut DbConnection, actor: &Actor, raw: Option<&str>) -> AppResult<Rate> {
    let rate = crate::service::input::positive_rate("usdToBdt", "The USD→BDT rate", raw)?;
    if rate > MAX_RATE {
        return Err(AppError::validation(
            "usdToBdt",
            "The USD→BDT rate is unrealistically large.",
        ));
    }
    db::write_transaction(conn, |c| {
        let before = usd_to_bdt(c)?;
        db::settings::set(c, db::settings::USD_TO_BDT, &rate.to_string())?;
        audit::record(
            c,
            actor,
            "settings.update",
            Some("settings:usd_to_bdt"),
            Some(&serde_json::json!({ "usdToBdt": before.to_string() })),
            Some(&serde_json::json!({ "usdToBdt": rate.to_string() })),
        )?;
        Ok(rate)
    })
}
