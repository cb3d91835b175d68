//! Rows as Diesel reads and writes them. Domain types convert at the edges.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{audit_log, ledger_entries, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub balance: i64,
    pub api_key_hash: String,
    pub api_key_enc: String,
    pub disabled: bool,
    pub last_login_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// Sessions and tokens of an older epoch are void.
    pub session_epoch: i64,
    /// The language the user chose (`bn`, `en`), if they chose one.
    pub language: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUserRow<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub balance: i64,
    pub api_key_hash: &'a str,
    pub api_key_enc: &'a str,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ledger_entries)]
pub struct LedgerRow {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub amount: i64,
    pub balance_after: i64,
    pub order_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub note: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = ledger_entries, treat_none_as_default_value = false)]
pub struct NewLedgerRow<'a> {
    pub user_id: i64,
    pub kind: &'a str,
    pub amount: i64,
    pub balance_after: i64,
    pub order_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub note: Option<&'a str>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub action: String,
    pub target: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub ip: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAuditRow<'a> {
    pub actor_id: Option<i64>,
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub before_json: Option<&'a str>,
    pub after_json: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = super::schema::providers)]
pub struct ProviderRow {
    pub id: i64,
    pub name: String,
    pub api_url: String,
    pub api_key_enc: String,
    pub api_key_hint: String,
    pub on_ambiguous: String,
    pub enabled: bool,
    pub deleted_at: Option<NaiveDateTime>,
    pub calls_total: i64,
    pub calls_failed: i64,
    pub latency_ms_total: i64,
    pub last_success_at: Option<NaiveDateTime>,
    pub last_error_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub balance: Option<i64>,
    pub balance_currency: Option<String>,
    pub balance_checked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub multi_status: Option<bool>,
    /// Set by an admin; otherwise the provider's `balance` reply says.
    pub currency: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = super::schema::providers)]
pub struct NewProviderRow<'a> {
    pub name: &'a str,
    pub api_url: &'a str,
    pub api_key_enc: &'a str,
    pub api_key_hint: &'a str,
    pub on_ambiguous: &'a str,
    pub enabled: bool,
    pub currency: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = super::schema::categories)]
#[serde(rename_all = "camelCase")]
pub struct CategoryRow {
    pub id: i64,
    pub name: String,
    pub sort_order: i64,
    pub enabled: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = super::schema::services)]
pub struct ServiceRow {
    pub id: i64,
    pub category_id: i64,
    pub name: String,
    pub provider_id: Option<i64>,
    pub provider_service_id: Option<String>,
    pub rate_per_1000: i64,
    pub provider_rate_per_1000: Option<i64>,
    pub min_quantity: i64,
    pub max_quantity: i64,
    pub mode: String,
    pub refill: bool,
    pub cancel: bool,
    pub enabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub accepts_username: bool,
    pub refill_days: i64,
    /// Created by an import (which updates only the services it created).
    pub imported: bool,
    /// The provider's service type ("Default", "Custom Comments", …).
    pub kind: String,
    pub dripfeed: bool,
}

/// The writable fields of a service (insert, and full update).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = super::schema::services, treat_none_as_null = true)]
pub struct ServiceFields {
    pub category_id: i64,
    pub name: String,
    pub provider_id: Option<i64>,
    pub provider_service_id: Option<String>,
    pub rate_per_1000: i64,
    pub provider_rate_per_1000: Option<i64>,
    pub min_quantity: i64,
    pub max_quantity: i64,
    pub mode: String,
    pub refill: bool,
    pub cancel: bool,
    pub enabled: bool,
    pub accepts_username: bool,
    pub refill_days: i64,
    pub kind: String,
    pub dripfeed: bool,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = super::schema::orders)]
pub struct OrderRow {
    pub id: i64,
    pub user_id: i64,
    pub service_id: i64,
    pub provider_id: Option<i64>,
    pub provider_service_id: Option<String>,
    pub link: String,
    pub quantity: i64,
    pub charge: i64,
    pub currency: String,
    pub rate_per_1000: i64,
    pub usd_to_bdt: i64,
    pub provider_cost: Option<i64>,
    pub status: String,
    pub forward_state: String,
    pub provider_order_id: Option<String>,
    pub provider_status: Option<String>,
    pub start_count: Option<i64>,
    pub remains: Option<i64>,
    pub last_status_check: Option<NaiveDateTime>,
    pub is_manual: bool,
    pub admin_notes: Option<String>,
    pub attempts: i64,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub lease_until: Option<NaiveDateTime>,
    pub lease_owner: Option<String>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Bumped by every change: the guard of the order state machine.
    pub version: i64,
    pub status_errors: i64,
    pub review_reason: Option<String>,
}

// `None` is NULL, not DEFAULT: SQLite takes multi-row inserts only without DEFAULT.
#[derive(Debug, Insertable)]
#[diesel(table_name = super::schema::orders, treat_none_as_default_value = false)]
pub struct NewOrderRow<'a> {
    pub user_id: i64,
    pub service_id: i64,
    pub provider_id: Option<i64>,
    pub provider_service_id: Option<&'a str>,
    pub link: &'a str,
    pub quantity: i64,
    pub charge: i64,
    pub currency: &'a str,
    pub rate_per_1000: i64,
    pub usd_to_bdt: i64,
    pub provider_cost: Option<i64>,
    pub status: &'a str,
    pub forward_state: &'a str,
    pub is_manual: bool,
    pub admin_notes: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = super::schema::sync_rounds)]
#[serde(rename_all = "camelCase")]
pub struct SyncRoundRow {
    pub id: i64,
    pub trigger: String,
    pub runner: String,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub checked: i64,
    pub changed: i64,
    pub errors: i64,
    pub error_summary: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = super::schema::order_requests)]
#[serde(rename_all = "camelCase")]
pub struct RequestRow {
    pub id: i64,
    pub kind: String,
    pub order_id: i64,
    pub user_id: i64,
    pub state: String,
    pub status: String,
    pub open: bool,
    pub provider_refill_id: Option<String>,
    pub provider_status: Option<String>,
    pub attempts: i64,
    pub next_attempt_at: Option<NaiveDateTime>,
    #[serde(skip)]
    pub lease_until: Option<NaiveDateTime>,
    #[serde(skip)]
    pub lease_owner: Option<String>,
    pub last_error: Option<String>,
    pub last_status_check: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = super::schema::order_requests)]
pub struct NewRequestRow<'a> {
    pub kind: &'a str,
    pub order_id: i64,
    pub user_id: i64,
    pub state: &'a str,
    pub status: &'a str,
    pub open: bool,
    pub last_error: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What only drip-feed and custom-comments orders carry (kept out of the wide `orders`).
#[derive(Debug, Clone, Default, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::order_extras, treat_none_as_default_value = false)]
pub struct OrderExtras {
    pub order_id: i64,
    /// Drip-feed: how many runs (the order's quantity is the total over all runs).
    pub runs: Option<i64>,
    /// Drip-feed: minutes between runs.
    pub run_interval: Option<i64>,
    /// Custom comments, one per line (the quantity is their number).
    pub comments: Option<String>,
}
