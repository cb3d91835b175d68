//! What the admin dashboard shows at a glance.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use chrono::{NaiveDateTime, TimeDelta};
use serde::Serialize;

use crate::db::models::SyncRoundRow;
use crate::db::{self};
use crate::domain::{settlement, ForwardState, Money, OrderStatus, Rate};
use crate::error::AppResult;
use crate::service::providers::{self, ProviderView};
use crate::state::AppState;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    pub orders_today: HashMap<String, i64>,
    pub orders_today_total: i64,
    /// Net charges of today's orders (what customers pay once refunds settle).
    pub revenue_today: Money,
    /// What the providers charge for today's delivered units, in the panel currency.
    pub provider_cost_today: Money,
    pub profit_today: Money,
    pub queue_depth: i64,
    pub waiting_for_review: i64,
    pub providers: Vec<ProviderView>,
    pub last_round: Option<SyncRoundRow>,
    /// Orders per day, oldest first, for the last 14 days.
    pub daily_orders: Vec<(String, i64)>,
    /// Alert thresholds that hold now (System page).
    pub alerts: Vec<crate::service::alerts::Alert>,
}

/// A bar of the server-rendered chart.
pub struct Bar {
    /// The date, `YYYY-MM-DD`.
    pub label: String,
    /// The same date, for the page to write in its language.
    pub date: chrono::NaiveDate,
    /// The day of the month, under the bar.
    pub day: String,
    pub count: i64,
    pub x: i64,
    pub height: i64,
}

impl Dashboard {
    pub fn bars(&self) -> Vec<Bar> {
        let max = self.daily_orders.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
        self.daily_orders
            .iter()
            .enumerate()
            .map(|(i, (label, n))| Bar {
                day: label.rsplit('-').next().unwrap_or_default().to_string(),
                date: chrono::NaiveDate::parse_from_str(label, "%Y-%m-%d").unwrap_or_default(),
                label: label.clone(),
                count: *n,
                x: i as i64 * 24,
                height: n * 100 / max,
            })
            .collect()
    }
}

fn start_of_today() -> NaiveDateTime {
    db::now().date().and_hms_opt(0, 0, 0).unwrap_or_else(db::now)
}

pub fn load(state: &AppState) -> AppResult<Dashboard> {
    let mut conn = state.conn()?;
    let today = start_of_today();
    let rows = db::orders::created_since(&mut conn, today)?;
    let mut orders_today: HashMap<String, i64> = OrderStatus::ALL.iter().map(|s| (s.as_str().to_string(), 0)).collect();
    let (mut revenue, mut cost) = (0i64, 0i64);
    for row in &rows {
        *orders_today.entry(row.status.clone()).or_insert(0) += 1;
        let status = OrderStatus::parse(&row.status).unwrap_or(OrderStatus::Pending);
        revenue += settlement::net_charge(Money::from_micros(row.charge), row.quantity, status, row.remains).micros();
        if row.forward_state == ForwardState::Accepted.as_str() {
            let delivered = crate::domain::order::delivered(status, row.quantity, row.remains);
            let usd = Money::from_micros(row.provider_cost.unwrap_or(0))
                .mul_div(delivered, row.quantity.max(1))
                .unwrap_or_default();
            cost += Rate::from_micros(usd.micros())
                .price(1000, Rate::from_micros(row.usd_to_bdt))
                .unwrap_or_default()
                .micros();
        }
    }
    let by_state: HashMap<String, i64> = db::orders::count_by_forward_state(&mut conn)?.into_iter().collect();
    let mut daily_orders = Vec::new();
    for days_ago in (0..14).rev() {
        let from = today - TimeDelta::days(days_ago);
        let count = db::orders::count_created_between(&mut conn, from, from + TimeDelta::days(1))?;
        daily_orders.push((from.format("%Y-%m-%d").to_string(), count));
    }
    Ok(Dashboard {
        orders_today_total: rows.len() as i64,
        orders_today,
        revenue_today: Money::from_micros(revenue).round_to_cents(),
        provider_cost_today: Money::from_micros(cost).round_to_cents(),
        profit_today: Money::from_micros(revenue - cost).round_to_cents(),
        queue_depth: by_state.get("queued").copied().unwrap_or(0) + by_state.get("in_flight").copied().unwrap_or(0),
        waiting_for_review: db::orders::count_waiting_for_review(&mut conn)?,
        providers: providers::list(&mut conn)?,
        last_round: db::sync::recent_rounds(&mut conn, 1)?.into_iter().next(),
        daily_orders,
        alerts: crate::service::alerts::evaluate(&mut conn, chrono::Utc::now().timestamp())?,
    })
}

/// Recounts the admin navigation's badges: orders waiting for review and payments
/// waiting for approval. A count that fails keeps the badge's last figure.
pub fn refresh_badges(state: &AppState) {
    let Ok(mut conn) = state.conn() else { return };
    if let Ok(count) = db::orders::count_waiting_for_review(&mut conn) {
        state.review_count.store(count, Ordering::Relaxed);
    }
    if let Ok(count) = db::funds::count_pending(&mut conn) {
        state.funds_pending.store(count, Ordering::Relaxed);
    }
}
