//! Providers: create, edit, delete, test the connection, and the API v2 client for one.

use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::json;
use url::{Host, Url};

use crate::crypto;
use crate::db::models::{NewProviderRow, ProviderRow};
use crate::db::{self, DbConnection};
use crate::domain::Money;
use crate::error::{AppError, AppResult};
use crate::provider::client::{CallError, CallRecord, ProviderClient};
use crate::service::audit::{self, Actor};
use crate::service::input::{self, lenient_string};
use crate::state::AppState;

/// What to do with an order whose `add` got no usable answer (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnAmbiguous {
    /// Park it as `unknown` for an admin to resolve (the default).
    Review,
    /// Retry it like a failure before sending.
    Retry,
}

impl OnAmbiguous {
    pub fn as_str(self) -> &'static str {
        match self {
            OnAmbiguous::Review => "review",
            OnAmbiguous::Retry => "retry",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "review" => Some(OnAmbiguous::Review),
            "retry" => Some(OnAmbiguous::Retry),
            _ => None,
        }
    }
}

/// Raw provider fields from JSON or a form. Missing fields keep their value on edit.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderDraft {
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", alias = "api_url")]
    pub api_url: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", alias = "api_key")]
    pub api_key: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", alias = "on_ambiguous")]
    pub on_ambiguous: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub enabled: Option<String>,
    /// The currency it charges in (three letters); empty: as its `balance` reply says.
    #[serde(default, deserialize_with = "lenient_string")]
    pub currency: Option<String>,
}

/// Checks a provider URL: http(s) with a host, and https unless it points at this
/// machine or `ALLOW_HTTP_PROVIDERS` is set (the key travels in every request).
pub fn parse_api_url(raw: Option<&str>, allow_http: bool) -> AppResult<Url> {
    let text = input::required_text("apiUrl", "The API URL", raw, 2048)?;
    let url = Url::parse(&text).map_err(|_| {
        AppError::validation(
            "apiUrl",
            format!("'{text}' is not a URL (e.g. https://provider.example/api/v2)."),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(AppError::validation(
            "apiUrl",
            "The API URL must be an http(s) address with a host.",
        ));
    }
    if url.username() != "" || url.password().is_some() {
        return Err(AppError::validation(
            "apiUrl",
            "Put the key in the API key field, not in the URL.",
        ));
    }
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    if url.scheme() == "http" && !loopback && !allow_http {
        return Err(AppError::validation(
            "apiUrl",
            "The API URL must use https: the provider key is sent with every request. Plain http is allowed \
             only for this machine (loopback) or when ALLOW_HTTP_PROVIDERS is set.",
        ));
    }
    Ok(url)
}

/// A provider as pages and JSON show it: the key only masked.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderView {
    pub id: i64,
    pub name: String,
    pub api_url: String,
    pub api_key: String,
    pub on_ambiguous: String,
    pub enabled: bool,
    /// The currency its rates are read in: the admin's, else its `balance` reply's.
    pub currency: Option<String>,
    /// Whether an admin set `currency` (rather than the provider's reply).
    pub currency_set_by_admin: bool,
    pub health: Health,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub calls: i64,
    pub errors: i64,
    /// Percent with one decimal, e.g. `"2.5"` (integer arithmetic).
    pub error_rate_percent: String,
    pub avg_latency_ms: Option<i64>,
    pub last_success_at: Option<NaiveDateTime>,
    pub last_error_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub balance: Option<Money>,
    pub balance_currency: Option<String>,
    pub balance_checked_at: Option<NaiveDateTime>,
}

impl From<ProviderRow> for ProviderView {
    fn from(row: ProviderRow) -> Self {
        let permille = if row.calls_total > 0 {
            row.calls_failed * 1000 / row.calls_total
        } else {
            0
        };
        Self {
            id: row.id,
            name: row.name,
            api_url: row.api_url,
            api_key: row.api_key_hint,
            on_ambiguous: row.on_ambiguous,
            enabled: row.enabled,
            currency: row.currency.clone().or_else(|| row.balance_currency.clone()),
            currency_set_by_admin: row.currency.is_some(),
            health: Health {
                calls: row.calls_total,
                errors: row.calls_failed,
                error_rate_percent: format!("{}.{}", permille / 10, permille % 10),
                avg_latency_ms: (row.calls_total > 0).then(|| row.latency_ms_total / row.calls_total),
                last_success_at: row.last_success_at,
                last_error_at: row.last_error_at,
                last_error: row.last_error,
                balance: row.balance.map(Money::from_micros),
                balance_currency: row.balance_currency,
                balance_checked_at: row.balance_checked_at,
            },
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl ProviderView {
    /// The audit snapshot (the key appears only masked).
    fn audit_json(&self) -> serde_json::Value {
        json!({
            "name": self.name, "apiUrl": self.api_url, "apiKey": self.api_key,
            "onAmbiguous": self.on_ambiguous, "enabled": self.enabled,
            "currency": if self.currency_set_by_admin { self.currency.clone() } else { None },
        })
    }
}

/// Where a provider's key ciphertext belongs (its associated data).
pub fn key_context(provider_id: i64) -> String {
    format!("providers:{provider_id}:api_key_enc")
}

fn not_found(id: i64) -> AppError {
    AppError::NotFound(format!("There is no provider {id}."))
}

pub fn list(conn: &mut DbConnection) -> AppResult<Vec<ProviderView>> {
    Ok(db::providers::list(conn)?.into_iter().map(ProviderView::from).collect())
}

pub fn get(conn: &mut DbConnection, id: i64) -> AppResult<ProviderView> {
    db::providers::find(conn, id)?
        .map(ProviderView::from)
        .ok_or_else(|| not_found(id))
}

struct ValidProvider {
    name: String,
    api_url: Url,
    api_key: Option<String>,
    on_ambiguous: OnAmbiguous,
    enabled: bool,
    currency: Option<String>,
}

/// Validates `draft`, filling what it leaves out from `current` (an edit).
fn validate(state: &AppState, draft: &ProviderDraft, current: Option<&ProviderRow>) -> AppResult<ValidProvider> {
    let name = input::required_text(
        "name",
        "The name",
        draft.name.as_deref().or(current.map(|c| c.name.as_str())),
        100,
    )?;
    let api_url = parse_api_url(
        draft.api_url.as_deref().or(current.map(|c| c.api_url.as_str())),
        state.config.allow_http_providers,
    )?;
    // An address typed in the URL is checked now; a name is checked on every call,
    // after DNS (the resolver refuses internal addresses).
    let literal = match api_url.host() {
        Some(Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
        _ => None,
    };
    if let Some(why) = literal.and_then(|ip| outbound_policy(state).refusal(&ip.to_string(), ip)) {
        return Err(AppError::validation(
            "apiUrl",
            format!("The API URL is not allowed: {why}."),
        ));
    }
    let api_key = match (
        input::optional_text("apiKey", "The API key", draft.api_key.as_deref(), 512)?,
        current,
    ) {
        (Some(key), _) => Some(key),
        // The stored key goes only where it went before: pointing the provider at
        // another origin needs the key typed again, so an admin cannot send it elsewhere.
        (None, Some(c)) if Url::parse(&c.api_url).map(|u| u.origin()).ok() != Some(api_url.origin()) => {
            return Err(AppError::validation(
                "apiKey",
                "Enter the API key again to point this provider at another address (the stored key is only sent where it was sent before).",
            ))
        }
        (None, Some(_)) => None,
        (None, None) => return Err(AppError::validation("apiKey", "The API key is required.")),
    };
    let on_ambiguous = match draft.on_ambiguous.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => OnAmbiguous::parse(raw)
            .ok_or_else(|| AppError::validation("onAmbiguous", "onAmbiguous must be 'review' or 'retry'."))?,
        None => current
            .and_then(|c| OnAmbiguous::parse(&c.on_ambiguous))
            .unwrap_or(OnAmbiguous::Review),
    };
    let enabled = input::flag(
        "enabled",
        "enabled",
        draft.enabled.as_deref(),
        current.is_none_or(|c| c.enabled),
    )?;
    let currency = match draft.currency.as_deref().map(str::trim) {
        None => current.and_then(|c| c.currency.clone()),
        Some("") => None,
        Some(code) if code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()) => {
            Some(code.to_ascii_uppercase())
        }
        Some(other) => {
            return Err(AppError::validation(
                "currency",
                format!("'{other}' is not a three-letter currency code (e.g. USD, BDT)."),
            ))
        }
    };
    Ok(ValidProvider {
        name,
        api_url,
        api_key,
        on_ambiguous,
        enabled,
        currency,
    })
}

pub fn create(state: &AppState, actor: &Actor, draft: &ProviderDraft) -> AppResult<ProviderView> {
    let valid = validate(state, draft, None)?;
    let key = valid.api_key.as_deref().unwrap_or_default();
    let hint = crypto::mask(key);
    let mut conn = state.conn()?;
    db::write_transaction(&mut conn, |c| {
        if db::providers::name_taken(c, &valid.name, None)? {
            return Err(AppError::Conflict {
                code: "provider_name_taken",
                message: format!("A provider named '{}' already exists.", valid.name),
            });
        }
        let now = db::now();
        let id = db::providers::insert(
            c,
            &NewProviderRow {
                name: &valid.name,
                api_url: valid.api_url.as_str(),
                // Bound to the row: written just below, once the id is known.
                api_key_enc: "",
                api_key_hint: &hint,
                on_ambiguous: valid.on_ambiguous.as_str(),
                enabled: valid.enabled,
                currency: valid.currency.as_deref(),
                created_at: now,
                updated_at: now,
            },
        )?;
        db::providers::set_key(c, id, &state.key.encrypt_for(key, &key_context(id))?, &hint)?;
        let view = get(c, id)?;
        audit::record(
            c,
            actor,
            "provider.create",
            Some(&format!("provider:{id}")),
            None,
            Some(&view.audit_json()),
        )?;
        Ok(view)
    })
}

pub fn update(state: &AppState, actor: &Actor, id: i64, draft: &ProviderDraft) -> AppResult<ProviderView> {
    let mut conn = state.conn()?;
    let current = db::providers::find(&mut conn, id)?.ok_or_else(|| not_found(id))?;
    let valid = validate(state, draft, Some(&current))?;
    let new_key = match &valid.api_key {
        Some(key) => Some((state.key.encrypt_for(key, &key_context(id))?, crypto::mask(key))),
        None => None,
    };
    db::write_transaction(&mut conn, |c| {
        if db::providers::name_taken(c, &valid.name, Some(id))? {
            return Err(AppError::Conflict {
                code: "provider_name_taken",
                message: format!("A provider named '{}' already exists.", valid.name),
            });
        }
        let before = ProviderView::from(current.clone()).audit_json();
        db::providers::update(
            c,
            id,
            &db::providers::ProviderChanges {
                name: &valid.name,
                api_url: valid.api_url.as_str(),
                api_key: new_key.as_ref().map(|(enc, hint)| (enc.as_str(), hint.as_str())),
                on_ambiguous: valid.on_ambiguous.as_str(),
                enabled: valid.enabled,
                currency: valid.currency.as_deref(),
            },
        )?;
        let view = get(c, id)?;
        audit::record(
            c,
            actor,
            "provider.update",
            Some(&format!("provider:{id}")),
            Some(&before),
            Some(&view.audit_json()),
        )?;
        Ok(view)
    })
}

/// Deletes a provider; one that services refer to is kept (marked deleted, its services
/// disabled) so past orders keep their history.
pub fn delete(state: &AppState, actor: &Actor, id: i64) -> AppResult<bool> {
    let mut conn = state.conn()?;
    db::write_transaction(&mut conn, |c| {
        let view = get(c, id)?;
        let soft = db::providers::delete(c, id)?;
        audit::record(
            c,
            actor,
            "provider.delete",
            Some(&format!("provider:{id}")),
            Some(&view.audit_json()),
            Some(&json!({ "deleted": true, "keptForHistory": soft })),
        )?;
        Ok(soft)
    })
}

/// The API v2 client for a stored provider; every call it makes is counted into the
/// provider's health figures.
pub fn client(state: &AppState, row: &ProviderRow) -> AppResult<ProviderClient> {
    let key = state
        .key
        .decrypt_for(&row.api_key_enc, &key_context(row.id))
        .map_err(|e| AppError::internal(format!("provider {} key: {e}", row.id)))?;
    let url = Url::parse(&row.api_url).map_err(|e| AppError::internal(format!("provider {} URL: {e}", row.id)))?;
    let pool = state.pool.clone();
    let provider_id = row.id;
    let observer = Arc::new(move |record: &CallRecord<'_>| {
        crate::telemetry::provider_call(provider_id, record.action, record.latency, record.error_class);
        let latency_ms = i64::try_from(record.latency.as_millis()).unwrap_or(i64::MAX);
        let error = record
            .error_class
            .map(|class| format!("{} call failed: {class}", record.action));
        match pool.get() {
            Ok(mut conn) => {
                if let Err(e) = db::providers::record_call(&mut conn, provider_id, latency_ms, error.as_deref()) {
                    log::warn!("could not record provider {provider_id} health: {e}");
                }
            }
            Err(e) => log::warn!("could not record provider {provider_id} health: {e}"),
        }
    });
    Ok(ProviderClient::with_policy(
        row.name.clone(),
        url,
        key,
        state.config.provider_timeout,
        outbound_policy(state),
    )
    .with_observer(observer))
}

/// Where this panel's provider calls may go (`ALLOW_HTTP_PROVIDERS`, `PROVIDER_ALLOWED_HOSTS`).
pub fn outbound_policy(state: &AppState) -> crate::provider::outbound::OutboundPolicy {
    crate::provider::outbound::OutboundPolicy {
        allow_loopback: state.config.allow_http_providers,
        allowed_hosts: state.config.provider_allowed_hosts.clone(),
        unrestricted: false,
    }
}

/// The provider's row and client, for calls made on its behalf.
pub fn client_for(state: &AppState, id: i64) -> AppResult<(ProviderRow, ProviderClient)> {
    let row = db::providers::find(&mut *state.conn()?, id)?.ok_or_else(|| not_found(id))?;
    let client = client(state, &row)?;
    Ok((row, client))
}

/// Maps a failed provider call to the API's 502/504.
pub fn call_error(provider: &str, e: &CallError) -> AppError {
    AppError::Provider {
        code: match e.class() {
            "auth_error" => "provider_auth_error",
            "before_send" => "provider_unreachable",
            "after_send" => "provider_bad_answer",
            _ => "provider_error",
        },
        message: format!("{provider}: {e}"),
        timeout: e.message().contains("timed out"),
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionTest {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    pub latency_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ConnectionTestError>,
}

#[derive(Debug, Serialize)]
pub struct ConnectionTestError {
    pub code: &'static str,
    pub message: String,
}

/// Calls `balance` and reports what came back, classified.
pub fn test_connection(state: &AppState, id: i64) -> AppResult<ConnectionTest> {
    let (row, client) = client_for(state, id)?;
    let started = Instant::now();
    let result = client.balance();
    let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    Ok(match result {
        Ok(balance) => {
            db::providers::record_balance(&mut *state.conn()?, row.id, balance.balance.micros(), &balance.currency)?;
            ConnectionTest {
                ok: true,
                balance: Some(balance.balance),
                currency: Some(balance.currency),
                latency_ms,
                error: None,
            }
        }
        Err(e) => ConnectionTest {
            ok: false,
            balance: None,
            currency: None,
            latency_ms,
            error: Some(ConnectionTestError {
                code: e.class(),
                message: e.message().to_string(),
            }),
        },
    })
}
