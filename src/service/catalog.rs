//! Categories and services: admin edits, the provider import, and the priced list
//! customers see.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::db::models::{CategoryRow, ServiceFields, ServiceRow};
use crate::db::{self, DbConnection};
use crate::domain::{Money, Rate};
use crate::error::{AppError, AppResult};
use crate::service::audit::{self, Actor};
use crate::service::input::{self, lenient_string};
use crate::service::{providers, settings};
use crate::state::AppState;

pub const MAX_QUANTITY: i64 = 1_000_000_000;

/// Whether a service's orders go to its provider by themselves or wait for an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceMode {
    Auto,
    Manual,
}

impl ServiceMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceMode::Auto => "auto",
            ServiceMode::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(ServiceMode::Auto),
            "manual" => Some(ServiceMode::Manual),
            _ => None,
        }
    }
}

/// A service as admins see it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceView {
    pub id: i64,
    pub category_id: i64,
    pub name: String,
    pub provider_id: Option<i64>,
    pub provider_service_id: Option<String>,
    pub rate_usd_per_1000: Rate,
    pub provider_rate_usd_per_1000: Option<Rate>,
    pub min: i64,
    pub max: i64,
    pub mode: String,
    pub refill: bool,
    pub cancel: bool,
    pub enabled: bool,
    /// Orders may give a bare username instead of a URL.
    pub accepts_username: bool,
    /// Days after ordering in which a refill may be asked.
    pub refill_days: i64,
    /// Created by an import (re-imports update it).
    pub imported: bool,
    /// The provider's service type ("Custom Comments" takes comments).
    #[serde(rename = "type")]
    pub kind: String,
    pub dripfeed: bool,
}

impl From<ServiceRow> for ServiceView {
    fn from(row: ServiceRow) -> Self {
        Self {
            id: row.id,
            category_id: row.category_id,
            name: row.name,
            provider_id: row.provider_id,
            provider_service_id: row.provider_service_id,
            rate_usd_per_1000: Rate::from_micros(row.rate_per_1000),
            provider_rate_usd_per_1000: row.provider_rate_per_1000.map(Rate::from_micros),
            min: row.min_quantity,
            max: row.max_quantity,
            mode: row.mode,
            refill: row.refill,
            cancel: row.cancel,
            enabled: row.enabled,
            accepts_username: row.accepts_username,
            refill_days: row.refill_days,
            imported: row.imported,
            kind: row.kind,
            dripfeed: row.dripfeed,
        }
    }
}

fn service_not_found(id: i64) -> AppError {
    AppError::NotFound(format!("There is no service {id}."))
}

fn category_not_found(id: i64) -> AppError {
    AppError::NotFound(format!("There is no category {id}."))
}

// ---- categories -------------------------------------------------------------------

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CategoryDraft {
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", alias = "sort_order")]
    pub sort_order: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub enabled: Option<String>,
}

pub fn list_categories(conn: &mut DbConnection) -> AppResult<Vec<CategoryRow>> {
    Ok(db::catalog::list_categories(conn)?)
}

fn category_taken(name: &str) -> AppError {
    AppError::Conflict {
        code: "category_name_taken",
        message: format!("A category named '{name}' already exists."),
    }
}

pub fn create_category(conn: &mut DbConnection, actor: &Actor, draft: &CategoryDraft) -> AppResult<CategoryRow> {
    let name = input::required_text("name", "The name", draft.name.as_deref(), 100)?;
    let sort_order = match draft.sort_order.as_deref() {
        Some(raw) if !raw.trim().is_empty() => {
            input::whole_number("sortOrder", "The sort order", Some(raw), -1_000_000, 1_000_000)?
        }
        _ => 0,
    };
    db::write_transaction(conn, |c| {
        if db::catalog::find_category_by_name(c, &name)?.is_some() {
            return Err(category_taken(&name));
        }
        let id = db::catalog::insert_category(c, &name, sort_order)?;
        let row = db::catalog::find_category(c, id)?.ok_or_else(|| category_not_found(id))?;
        audit::record(
            c,
            actor,
            "category.create",
            Some(&format!("category:{id}")),
            None,
            Some(&json!(row)),
        )?;
        Ok(row)
    })
}

pub fn update_category(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    draft: &CategoryDraft,
) -> AppResult<CategoryRow> {
    db::write_transaction(conn, |c| {
        let current = db::catalog::find_category(c, id)?.ok_or_else(|| category_not_found(id))?;
        let name = input::required_text("name", "The name", draft.name.as_deref().or(Some(&current.name)), 100)?;
        let sort_order = match draft.sort_order.as_deref() {
            Some(raw) if !raw.trim().is_empty() => {
                input::whole_number("sortOrder", "The sort order", Some(raw), -1_000_000, 1_000_000)?
            }
            _ => current.sort_order,
        };
        let enabled = input::flag("enabled", "enabled", draft.enabled.as_deref(), current.enabled)?;
        if name != current.name && db::catalog::find_category_by_name(c, &name)?.is_some() {
            return Err(category_taken(&name));
        }
        db::catalog::update_category(c, id, &name, sort_order, enabled)?;
        let row = db::catalog::find_category(c, id)?.ok_or_else(|| category_not_found(id))?;
        audit::record(
            c,
            actor,
            "category.update",
            Some(&format!("category:{id}")),
            Some(&json!(current)),
            Some(&json!(row)),
        )?;
        Ok(row)
    })
}

// ---- services ---------------------------------------------------------------------

/// Raw service fields from JSON or a form; on edit, missing fields keep their value.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceDraft {
    #[serde(default, deserialize_with = "lenient_string", alias = "category_id")]
    pub category_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", alias = "provider_id")]
    pub provider_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", alias = "provider_service_id")]
    pub provider_service_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", alias = "rate_usd_per_1000")]
    pub rate_usd_per_1000: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub min: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub max: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub mode: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub refill: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub cancel: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub enabled: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", alias = "accepts_username")]
    pub accepts_username: Option<String>,
    /// Days after ordering in which a refill may be asked.
    #[serde(default, deserialize_with = "lenient_string", alias = "refill_days")]
    pub refill_days: Option<String>,
    /// The provider's service type: "Default", "Custom Comments", …
    #[serde(default, deserialize_with = "lenient_string", alias = "type")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub dripfeed: Option<String>,
}

/// Validates a draft into the stored fields; `current` supplies what an edit leaves out.
fn validate_service(
    conn: &mut DbConnection,
    draft: &ServiceDraft,
    current: Option<&ServiceRow>,
) -> AppResult<ServiceFields> {
    let current_str = |f: fn(&ServiceRow) -> String| current.map(f);
    let category_raw = draft.category_id.clone().or(current_str(|c| c.category_id.to_string()));
    let category_id = input::id("categoryId", "The category", category_raw.as_deref())?;
    let name = input::required_text(
        "name",
        "The name",
        draft.name.as_deref().or(current.map(|c| c.name.as_str())),
        200,
    )?;
    let rate_raw = draft
        .rate_usd_per_1000
        .clone()
        .or(current_str(|c| Rate::from_micros(c.rate_per_1000).to_string()));
    let rate = input::positive_rate("rateUsdPer1000", "The rate (USD per 1000)", rate_raw.as_deref())?;
    let min_raw = draft.min.clone().or(current_str(|c| c.min_quantity.to_string()));
    let min = input::whole_number("min", "The minimum quantity", min_raw.as_deref(), 1, MAX_QUANTITY)?;
    let max_raw = draft.max.clone().or(current_str(|c| c.max_quantity.to_string()));
    let max = input::whole_number("max", "The maximum quantity", max_raw.as_deref(), 1, MAX_QUANTITY)?;
    if min > max {
        return Err(AppError::validation(
            "min",
            format!("The minimum ({min}) cannot be more than the maximum ({max})."),
        ));
    }
    let mode_raw = draft
        .mode
        .clone()
        .or(current_str(|c| c.mode.clone()))
        .unwrap_or_else(|| "auto".into());
    let mode = ServiceMode::parse(&mode_raw).ok_or_else(|| {
        AppError::validation(
            "mode",
            format!("The mode must be 'auto' or 'manual', not '{mode_raw}'."),
        )
    })?;
    let provider_raw = match &draft.provider_id {
        Some(raw) => Some(raw.clone()),
        None => current.and_then(|c| c.provider_id.map(|p| p.to_string())),
    };
    let provider_id = input::optional_id("providerId", "The provider", provider_raw.as_deref())?;
    let provider_service_raw = match &draft.provider_service_id {
        Some(raw) => Some(raw.clone()),
        None => current.and_then(|c| c.provider_service_id.clone()),
    };
    let provider_service_id = input::optional_text(
        "providerServiceId",
        "The provider's service id",
        provider_service_raw.as_deref(),
        100,
    )?;
    if mode == ServiceMode::Auto && (provider_id.is_none() || provider_service_id.is_none()) {
        return Err(AppError::validation(
            if provider_id.is_none() {
                "providerId"
            } else {
                "providerServiceId"
            },
            "An auto service needs a provider and the provider's service id (or make it manual).",
        ));
    }
    if db::catalog::find_category(conn, category_id)?.is_none() {
        return Err(category_not_found(category_id));
    }
    if let Some(pid) = provider_id {
        if db::providers::find(conn, pid)?.is_none() {
            return Err(AppError::NotFound(format!("There is no provider {pid}.")));
        }
    }
    Ok(ServiceFields {
        category_id,
        name,
        provider_id,
        provider_service_id,
        rate_per_1000: rate.micros(),
        provider_rate_per_1000: current.and_then(|c| c.provider_rate_per_1000),
        min_quantity: min,
        max_quantity: max,
        mode: mode.as_str().to_string(),
        refill: input::flag(
            "refill",
            "refill",
            draft.refill.as_deref(),
            current.is_some_and(|c| c.refill),
        )?,
        cancel: input::flag(
            "cancel",
            "cancel",
            draft.cancel.as_deref(),
            current.is_some_and(|c| c.cancel),
        )?,
        enabled: input::flag(
            "enabled",
            "enabled",
            draft.enabled.as_deref(),
            current.is_none_or(|c| c.enabled),
        )?,
        accepts_username: input::flag(
            "acceptsUsername",
            "acceptsUsername",
            draft.accepts_username.as_deref(),
            current.is_some_and(|c| c.accepts_username),
        )?,
        refill_days: input::whole_number(
            "refillDays",
            "The refill period (days)",
            Some(
                draft
                    .refill_days
                    .clone()
                    .unwrap_or_else(|| current.map_or(DEFAULT_REFILL_DAYS, |c| c.refill_days).to_string())
                    .as_str(),
            ),
            0,
            3650,
        )?,
        kind: input::required_text(
            "kind",
            "The service type",
            Some(
                draft
                    .kind
                    .as_deref()
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .or(current.map(|c| c.kind.as_str()))
                    .unwrap_or("Default"),
            ),
            60,
        )?,
        dripfeed: input::flag(
            "dripfeed",
            "dripfeed",
            draft.dripfeed.as_deref(),
            current.is_some_and(|c| c.dripfeed),
        )?,
    })
}

/// The refill period of a new service unless the admin sets another.
pub const DEFAULT_REFILL_DAYS: i64 = 30;

fn service_conflict(e: diesel::result::Error) -> AppError {
    match e {
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
            AppError::Conflict {
                code: "service_exists",
                message: "Another service already uses this provider's service id.".into(),
            }
        }
        other => other.into(),
    }
}

pub fn get_service(conn: &mut DbConnection, id: i64) -> AppResult<ServiceView> {
    db::catalog::find_service(conn, id)?
        .map(ServiceView::from)
        .ok_or_else(|| service_not_found(id))
}

pub fn list_services(conn: &mut DbConnection) -> AppResult<Vec<ServiceView>> {
    Ok(db::catalog::list_services(conn, false)?
        .into_iter()
        .map(ServiceView::from)
        .collect())
}

pub fn create_service(conn: &mut DbConnection, actor: &Actor, draft: &ServiceDraft) -> AppResult<ServiceView> {
    db::write_transaction(conn, |c| {
        let fields = validate_service(c, draft, None)?;
        let id = db::catalog::insert_service(c, &fields).map_err(service_conflict)?;
        let view = get_service(c, id)?;
        audit::record(
            c,
            actor,
            "service.create",
            Some(&format!("service:{id}")),
            None,
            Some(&json!(view)),
        )?;
        Ok(view)
    })
}

pub fn update_service(conn: &mut DbConnection, actor: &Actor, id: i64, draft: &ServiceDraft) -> AppResult<ServiceView> {
    db::write_transaction(conn, |c| {
        let current = db::catalog::find_service(c, id)?.ok_or_else(|| service_not_found(id))?;
        let fields = validate_service(c, draft, Some(&current))?;
        db::catalog::update_service(c, id, &fields).map_err(service_conflict)?;
        let before = ServiceView::from(current);
        let view = get_service(c, id)?;
        audit::record(
            c,
            actor,
            "service.update",
            Some(&format!("service:{id}")),
            Some(&json!(before)),
            Some(&json!(view)),
        )?;
        Ok(view)
    })
}

// ---- import -----------------------------------------------------------------------

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportDraft {
    #[serde(default, deserialize_with = "lenient_string", alias = "markup_percent")]
    pub markup_percent: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", alias = "category_id")]
    pub category_id: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    /// Services created or updated.
    pub imported: usize,
    pub created: usize,
    pub updated: usize,
    /// Provider rows that could not be used (no id, unreadable rate…).
    pub skipped: usize,
}

/// Reads the provider's `services` and creates or updates one panel service each, selling
/// at the provider's rate plus `markupPercent`. Re-importing updates rates, limits and
/// names of the services it created earlier (matched by the provider's service id); the
/// admin's own choices (enabled, mode, category once set) are kept.
pub fn import_services(
    state: &AppState,
    actor: &Actor,
    provider_id: i64,
    draft: &ImportDraft,
) -> AppResult<ImportSummary> {
    let markup_raw = draft
        .markup_percent
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("0");
    let markup = Rate::parse(markup_raw)
        .map_err(|e| AppError::validation("markupPercent", format!("The markup percent {e}.")))?;
    if markup > Rate::from_micros(10_000 * 1_000_000) {
        return Err(AppError::validation(
            "markupPercent",
            "The markup can be at most 10000 percent.",
        ));
    }
    let target_category = input::optional_id("categoryId", "The category", draft.category_id.as_deref())?;
    let (provider, client) = providers::client_for(state, provider_id)?;
    if let Some(category_id) = target_category {
        if db::catalog::find_category(&mut *state.conn()?, category_id)?.is_none() {
            return Err(category_not_found(category_id));
        }
    }
    let offered = client
        .services()
        .map_err(|e| providers::call_error(&provider.name, &e))?;
    // The provider's rates are in its own currency (its `balance` says which; another
    // smm-panel charges BDT): converted to USD before the markup.
    let currency = match (&provider.currency, client.balance()) {
        (Some(set_by_admin), _) => set_by_admin.clone(),
        (None, Ok(balance)) => {
            db::providers::record_balance(
                &mut *state.conn()?,
                provider_id,
                balance.balance.micros(),
                &balance.currency,
            )?;
            balance.currency
        }
        (None, Err(_)) => provider.balance_currency.clone().unwrap_or_else(|| "USD".into()),
    };
    let units_per_usd = settings::units_per_usd(&mut *state.conn()?, &currency)?;

    let mut conn = state.conn()?;
    db::write_transaction(&mut conn, |c| {
        let mut categories: HashMap<String, i64> = db::catalog::list_categories(c)?
            .into_iter()
            .map(|row| (row.name, row.id))
            .collect();
        let mut existing: HashMap<String, ServiceRow> = db::catalog::list_services(c, false)?
            .into_iter()
            .filter(|s| s.provider_id == Some(provider_id) && s.imported)
            .filter_map(|s| s.provider_service_id.clone().map(|id| (id, s)))
            .collect();
        let mut summary = ImportSummary {
            imported: 0,
            created: 0,
            updated: 0,
            skipped: 0,
        };
        for offer in &offered {
            let Some(cost_usd) = offer.rate.to_usd(units_per_usd) else {
                summary.skipped += 1;
                continue;
            };
            let Some(selling) = cost_usd.with_markup(markup).filter(|r| !r.is_zero()) else {
                summary.skipped += 1;
                continue;
            };
            let (min, max) = (offer.min.max(1), offer.max.max(offer.min.max(1)).min(MAX_QUANTITY));
            let name: String = offer.name.trim().chars().take(200).collect();
            if name.is_empty() {
                summary.skipped += 1;
                continue;
            }
            let category_id = match target_category {
                Some(id) => id,
                None => {
                    let category_name: String = match offer.category.trim() {
                        "" => "Uncategorised".to_string(),
                        other => other.chars().take(100).collect(),
                    };
                    match categories.get(&category_name) {
                        Some(id) => *id,
                        None => {
                            let id = db::catalog::insert_category(c, &category_name, 0)?;
                            categories.insert(category_name, id);
                            id
                        }
                    }
                }
            };
            match existing.remove(&offer.service) {
                Some(current) => {
                    let fields = ServiceFields {
                        category_id: if target_category.is_some() {
                            category_id
                        } else {
                            current.category_id
                        },
                        name,
                        provider_id: Some(provider_id),
                        provider_service_id: Some(offer.service.clone()),
                        rate_per_1000: selling.micros(),
                        provider_rate_per_1000: Some(cost_usd.micros()),
                        min_quantity: min,
                        max_quantity: max,
                        mode: current.mode.clone(),
                        refill: offer.refill,
                        cancel: offer.cancel,
                        enabled: current.enabled,
                        accepts_username: current.accepts_username,
                        refill_days: current.refill_days,
                        kind: offer.kind.chars().take(60).collect(),
                        dripfeed: offer.dripfeed,
                    };
                    db::catalog::update_service(c, current.id, &fields)?;
                    summary.updated += 1;
                }
                None => {
                    let fields = ServiceFields {
                        category_id,
                        name,
                        provider_id: Some(provider_id),
                        provider_service_id: Some(offer.service.clone()),
                        rate_per_1000: selling.micros(),
                        provider_rate_per_1000: Some(cost_usd.micros()),
                        min_quantity: min,
                        max_quantity: max,
                        mode: ServiceMode::Auto.as_str().to_string(),
                        refill: offer.refill,
                        cancel: offer.cancel,
                        enabled: true,
                        accepts_username: false,
                        refill_days: DEFAULT_REFILL_DAYS,
                        kind: offer.kind.chars().take(60).collect(),
                        dripfeed: offer.dripfeed,
                    };
                    db::catalog::insert_imported_service(c, &fields)?;
                    summary.created += 1;
                }
            }
        }
        summary.imported = summary.created + summary.updated;
        audit::record(
            c,
            actor,
            "services.import",
            Some(&format!("provider:{provider_id}")),
            None,
            Some(&json!({
                "markupPercent": markup.to_string(), "categoryId": target_category, "currency": currency,
                "created": summary.created, "updated": summary.updated, "skipped": summary.skipped,
            })),
        )?;
        Ok(summary)
    })
}

// ---- the customer's view ----------------------------------------------------------

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicCatalog {
    pub currency: String,
    pub categories: Vec<PublicCategory>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicCategory {
    pub id: i64,
    pub name: String,
    pub services: Vec<PublicService>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicService {
    pub id: i64,
    pub name: String,
    /// The price of 1000 units in the panel currency.
    pub price_per_1000: Money,
    pub min: i64,
    pub max: i64,
    pub refill: bool,
    pub cancel: bool,
}

/// Enabled categories and their enabled services, priced in the panel currency.
pub fn public_catalog(state: &AppState, conn: &mut DbConnection) -> AppResult<PublicCatalog> {
    let exchange = settings::usd_to_bdt(conn)?;
    let categories = db::catalog::list_categories(conn)?;
    let mut by_category: HashMap<i64, Vec<PublicService>> = HashMap::new();
    for row in db::catalog::list_services(conn, true)? {
        let price = Rate::from_micros(row.rate_per_1000)
            .price(1000, exchange)
            .ok_or_else(|| AppError::internal(format!("service {} price overflows", row.id)))?;
        by_category.entry(row.category_id).or_default().push(PublicService {
            id: row.id,
            name: row.name,
            price_per_1000: price,
            min: row.min_quantity,
            max: row.max_quantity,
            refill: row.refill,
            cancel: row.cancel,
        });
    }
    let categories = categories
        .into_iter()
        .filter(|c| c.enabled)
        .filter_map(|c| {
            by_category.remove(&c.id).map(|services| PublicCategory {
                id: c.id,
                name: c.name,
                services,
            })
        })
        .collect();
    Ok(PublicCatalog {
        currency: state.config.panel_currency.clone(),
        categories,
    })
}
