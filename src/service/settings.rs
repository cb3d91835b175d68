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

/// How many units of `currency` one USD buys: 1 for USD, the `usdToBdt` setting for
/// BDT, an admin-set `usd_to_<code>` setting for any other currency. A provider's rates
/// and charges are converted to USD with it (SPEC §7), so a child panel that buys from
/// another smm-panel (charging BDT) prices correctly.
pub fn units_per_usd(conn: &mut DbConnection, currency: &str) -> AppResult<Rate> {
    let code = currency.trim().to_ascii_uppercase();
    match code.as_str() {
        "" | "USD" => Ok(Rate::from_micros(crate::domain::money::SCALE)),
        "BDT" => usd_to_bdt(conn),
        _ => {
            let key = format!("usd_to_{}", code.to_ascii_lowercase());
            match db::settings::get(conn, &key)? {
                Some(value) => {
                    Rate::parse(&value).map_err(|e| AppError::internal(format!("stored {key} '{value}' {e}")))
                }
                None => Err(AppError::business(
                    "currency_rate_missing",
                    format!(
                        "This provider charges in {code}; set how many {code} one USD buys first (settings: usdRates)."
                    ),
                )),
            }
        }
    }
}

/// Sets how many units of `currency` one USD buys (for providers in that currency).
pub fn set_units_per_usd(conn: &mut DbConnection, actor: &Actor, currency: &str, raw: &str) -> AppResult<Rate> {
    let code = currency.trim().to_ascii_uppercase();
    if code.len() != 3 || !code.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(AppError::validation(
            "usdRates",
            format!("'{currency}' is not a three-letter currency code."),
        ));
    }
    if code == "BDT" {
        return set_usd_to_bdt(conn, actor, Some(raw));
    }
    if code == "USD" {
        return Err(AppError::validation("usdRates", "One USD is always one USD."));
    }
    let rate = crate::service::input::positive_rate("usdRates", &format!("The USD→{code} rate"), Some(raw))?;
    if rate > MAX_RATE {
        return Err(AppError::validation(
            "usdRates",
            format!("The USD→{code} rate is unrealistically large."),
        ));
    }
    let key = format!("usd_to_{}", code.to_ascii_lowercase());
    db::write_transaction(conn, |c| {
        let before = db::settings::get(c, &key)?;
        db::settings::set(c, &key, &rate.to_string())?;
        audit::record(
            c,
            actor,
            "settings.update",
            Some(&format!("settings:{key}")),
            Some(&serde_json::json!({ code.clone(): before })),
            Some(&serde_json::json!({ code.clone(): rate.to_string() })),
        )?;
        Ok(rate)
    })
}
