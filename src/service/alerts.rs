//! Alert thresholds an admin sets on the System page (issue 14), and which of them hold
//! now. Each is off until set. They are judged over the last five minutes of every
//! instance's history (so a single slow request or one failed call among few does not
//! raise one), except the queue and provider balances, which are read as they are now.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::db::{self, DbConnection};
use crate::domain::Money;
use crate::error::{AppError, AppResult};
use crate::service::audit::{self, Actor};
use crate::service::input::lenient_string;

/// How far back rates and response times are judged (seconds).
pub const WINDOW_SECS: i64 = 5 * 60;
/// Fewer requests (or provider calls) than this in the window judge no rate.
pub const MIN_SAMPLE: i64 = 10;

/// The thresholds; `None` is off.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Thresholds {
    /// Server errors (5xx) as a whole percent of requests.
    pub error_rate_percent: Option<i64>,
    /// 95th percentile response time, milliseconds.
    pub p95_ms: Option<i64>,
    /// Orders waiting to be forwarded.
    pub queue_depth: Option<i64>,
    /// A provider's failed calls as a whole percent of its calls.
    pub provider_error_percent: Option<i64>,
    /// A provider balance below this (in the provider's own currency), e.g. "10.00".
    pub provider_balance_below: Option<String>,
}

/// The form's (or JSON body's) raw fields; empty or missing: off.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThresholdsInput {
    #[serde(default, deserialize_with = "lenient_string")]
    pub error_rate_percent: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub p95_ms: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub queue_depth: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub provider_error_percent: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub provider_balance_below: Option<String>,
}

const KEYS: [&str; 5] = [
    "alert_error_rate_percent",
    "alert_p95_ms",
    "alert_queue_depth",
    "alert_provider_error_percent",
    "alert_provider_balance_below",
];

/// One threshold that holds now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Stable per condition (and provider), for "started"/"stopped" in the log.
    pub key: String,
    pub message: String,
}

pub fn thresholds(conn: &mut DbConnection) -> AppResult<Thresholds> {
    let mut values = BTreeMap::new();
    for key in KEYS {
        if let Some(value) = db::settings::get(conn, key)? {
            values.insert(key, value);
        }
    }
    let number = |key: &str| values.get(key).and_then(|v| v.parse::<i64>().ok());
    Ok(Thresholds {
        error_rate_percent: number(KEYS[0]),
        p95_ms: number(KEYS[1]),
        queue_depth: number(KEYS[2]),
        provider_error_percent: number(KEYS[3]),
        provider_balance_below: values.get(KEYS[4]).cloned(),
    })
}

impl ThresholdsInput {
    /// Checks every field; the first bad one is the error (the form shows it).
    pub fn parse(&self) -> AppResult<Thresholds> {
        let whole = |field: &'static str, label: &str, raw: &Option<String>, max: i64| -> AppResult<Option<i64>> {
            match raw.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => match v.parse::<i64>() {
                    Ok(n) if (1..=max).contains(&n) => Ok(Some(n)),
                    _ => Err(AppError::validation(
                        field,
                        format!("{label} must be a whole number from 1 to {max}, or empty for no alert."),
                    )),
                },
            }
        };
        let balance = match self
            .provider_balance_below
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            None => None,
            Some(v) => match Money::parse(v) {
                Ok(m) if m.micros() > 0 => Some(m.to_string()),
                _ => {
                    return Err(AppError::validation(
                        "providerBalanceBelow",
                        "The provider balance must be an amount above zero such as 10.00, or empty for no alert.",
                    ))
                }
            },
        };
        Ok(Thresholds {
            error_rate_percent: whole("errorRatePercent", "The error rate", &self.error_rate_percent, 100)?,
            p95_ms: whole("p95Ms", "The p95 response time", &self.p95_ms, 600_000)?,
            queue_depth: whole("queueDepth", "The queue depth", &self.queue_depth, 100_000_000)?,
            provider_error_percent: whole(
                "providerErrorPercent",
                "The provider error rate",
                &self.provider_error_percent,
                100,
            )?,
            provider_balance_below: balance,
        })
    }
}

/// Saves the thresholds (audited, one transaction).
pub fn save(conn: &mut DbConnection, actor: &Actor, input: &ThresholdsInput) -> AppResult<Thresholds> {
    let new = input.parse()?;
    db::write_transaction(conn, |c| {
        let before = thresholds(c)?;
        let values = [
            new.error_rate_percent.map(|n| n.to_string()),
            new.p95_ms.map(|n| n.to_string()),
            new.queue_depth.map(|n| n.to_string()),
            new.provider_error_percent.map(|n| n.to_string()),
            new.provider_balance_below.clone(),
        ];
        for (key, value) in KEYS.iter().zip(values) {
            match value {
                Some(v) => db::settings::set(c, key, &v)?,
                None => db::settings::delete(c, key)?,
            }
        }
        audit::record(
            c,
            actor,
            "alerts.update",
            Some("settings:alerts"),
            Some(&serde_json::to_value(&before).unwrap_or_default()),
            Some(&serde_json::to_value(&new).unwrap_or_default()),
        )?;
        Ok(new.clone())
    })
}

/// The thresholds that hold at `now` (Unix seconds), judged from every instance's rows.
pub fn evaluate(conn: &mut DbConnection, now: i64) -> AppResult<Vec<Alert>> {
    let limits = thresholds(conn)?;
    let mut alerts = Vec::new();
    let since = now - WINDOW_SECS - 60;
    if limits.error_rate_percent.is_some() || limits.p95_ms.is_some() {
        let rows = db::metrics::samples_since(conn, db::metrics::MINUTE, since)?;
        let requests: i64 = rows.iter().map(|r| r.requests).sum();
        let errors: i64 = rows.iter().map(|r| r.errors).sum();
        if let Some(limit) = limits.error_rate_percent {
            if requests >= MIN_SAMPLE && errors * 100 >= limit * requests {
                alerts.push(Alert {
                    key: "error_rate".into(),
                    message: format!(
                        "error rate {}% over the last 5 minutes ({errors} of {requests} requests) is at or above {limit}%",
                        errors * 100 / requests
                    ),
                });
            }
        }
        if let Some(limit) = limits.p95_ms {
            // The request-weighted mean of each instance-minute's p95.
            let p95 = if requests > 0 {
                rows.iter().map(|r| r.p95_ms * r.requests).sum::<i64>() / requests
            } else {
                0
            };
            if requests >= MIN_SAMPLE && p95 >= limit {
                alerts.push(Alert {
                    key: "p95".into(),
                    message: format!("p95 response time {p95} ms over the last 5 minutes is at or above {limit} ms"),
                });
            }
        }
    }
    if let Some(limit) = limits.queue_depth {
        let depth = db::orders::queue_depth(conn)?;
        if depth >= limit {
            alerts.push(Alert {
                key: "queue_depth".into(),
                message: format!("{depth} orders wait to be forwarded (alert at {limit})"),
            });
        }
    }
    if limits.provider_error_percent.is_some() || limits.provider_balance_below.is_some() {
        let providers = db::providers::list(conn)?;
        let name = |id: i64| {
            providers
                .iter()
                .find(|p| p.id == id)
                .map_or_else(|| format!("#{id}"), |p| p.name.clone())
        };
        if let Some(limit) = limits.provider_error_percent {
            let mut sums: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
            for row in db::metrics::provider_samples_since(conn, db::metrics::MINUTE, since)? {
                let entry = sums.entry(row.provider_id).or_default();
                entry.0 += row.calls;
                entry.1 += row.errors;
            }
            for (id, (calls, errors)) in sums {
                if calls >= MIN_SAMPLE && errors * 100 >= limit * calls {
                    alerts.push(Alert {
                        key: format!("provider_errors:{id}"),
                        message: format!(
                            "provider '{}' failed {errors} of {calls} calls over the last 5 minutes (alert at {limit}%)",
                            name(id)
                        ),
                    });
                }
            }
        }
        if let Some(below) = limits
            .provider_balance_below
            .as_deref()
            .and_then(|b| Money::parse(b).ok())
        {
            for p in providers.iter().filter(|p| p.enabled) {
                if let Some(balance) = p.balance.filter(|b| *b < below.micros()) {
                    alerts.push(Alert {
                        key: format!("provider_balance:{}", p.id),
                        message: format!(
                            "provider '{}' balance '{} {}' is below {below}",
                            p.name,
                            Money::from_micros(balance),
                            p.balance_currency.as_deref().unwrap_or("")
                        ),
                    });
                }
            }
        }
    }
    Ok(alerts)
}
