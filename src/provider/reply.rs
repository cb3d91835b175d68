//! Tolerant parsing of provider API v2 replies (SPEC §7).
//!
//! Providers disagree on types: ids and counts arrive as numbers or strings, money
//! as `"0.27819"` or `0.27819`, booleans as `true`, `1` or `"1"`, statuses in any
//! case and spelling. Everything here turns one `serde_json::Value` into a typed
//! reply or says why it could not; nothing here does I/O.

use std::collections::HashMap;
use std::fmt;

use serde_json::{Map, Value};

use crate::domain::money::{Money, Rate};

/// Why a reply could not be turned into the expected type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyError {
    /// The provider answered `{"error": "…"}`: a definite refusal.
    Provider(String),
    /// The JSON does not have the expected shape.
    Unexpected(String),
}

/// An order status as a provider reports it, mapped tolerantly.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProviderStatus {
    Pending,
    InProgress,
    Processing,
    Completed,
    Partial,
    Canceled,
    /// Anything else, as sent (trimmed), e.g. `"Refunded"` or `""`.
    Unknown(String),
}

impl ProviderStatus {
    /// Case-insensitive; ignores surrounding whitespace and the separators in
    /// `In progress` / `in_progress` / `inprogress`; accepts `Cancelled`.
    pub fn parse(raw: &str) -> ProviderStatus {
        let trimmed = raw.trim();
        let folded: String = trimmed
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect();
        match folded.as_str() {
            "pending" => ProviderStatus::Pending,
            "inprogress" => ProviderStatus::InProgress,
            "processing" => ProviderStatus::Processing,
            "completed" | "complete" => ProviderStatus::Completed,
            "partial" => ProviderStatus::Partial,
            "canceled" | "cancelled" => ProviderStatus::Canceled,
            _ => ProviderStatus::Unknown(trimmed.to_owned()),
        }
    }

    /// The canonical wire spelling (`"In progress"`, `"Canceled"`…).
    pub fn as_str(&self) -> &str {
        match self {
            ProviderStatus::Pending => "Pending",
            ProviderStatus::InProgress => "In progress",
            ProviderStatus::Processing => "Processing",
            ProviderStatus::Completed => "Completed",
            ProviderStatus::Partial => "Partial",
            ProviderStatus::Canceled => "Canceled",
            ProviderStatus::Unknown(raw) => raw,
        }
    }

    /// Completed, Partial and Canceled never change again.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            ProviderStatus::Completed | ProviderStatus::Partial | ProviderStatus::Canceled
        )
    }
}

impl fmt::Display for ProviderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One order's status (`action=status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderStatusReply {
    pub status: ProviderStatus,
    /// The status text exactly as sent.
    pub raw_status: String,
    pub charge: Option<Money>,
    pub start_count: Option<i64>,
    /// May be negative when a provider over-delivers; kept as sent.
    pub remains: Option<i64>,
    pub currency: Option<String>,
}

/// One row of `action=services`. `rate` is per 1000 units in the provider's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderService {
    pub service: String,
    pub name: String,
    pub kind: String,
    pub category: String,
    pub rate: Rate,
    pub min: i64,
    pub max: i64,
    pub refill: bool,
    pub cancel: bool,
    pub dripfeed: bool,
}

/// `action=balance`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderBalance {
    pub balance: Money,
    pub currency: String,
}

/// The services list, minus rows that cannot be used safely, which are reported
/// separately (a row without an id or with an unreadable rate must never be priced).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicesReply {
    pub services: Vec<ProviderService>,
    /// `(service id or "?", reason)` for each row left out.
    pub skipped: Vec<(String, String)>,
}

/// The message of a top-level `{"error": …}` object, if the reply is one.
/// `"error": null`, `false` or `""` (sent next to real data by some panels) is no error.
pub fn error_message(value: &Value) -> Option<String> {
    match value.as_object()?.get("error")? {
        Value::Null | Value::Bool(false) => None,
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// An id sent as a number or a non-empty string.
pub fn id_string(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

/// A count sent as a number or a string; `None` for `""`, `null`, `"Unknown"`…
pub fn lenient_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| integral_text(&n.to_string())),
        Value::String(s) => integral_text(s),
        _ => None,
    }
}

/// `"3572"`, `"-5"`, `"3572.0"` → the integer; anything with a real fraction → `None`.
fn integral_text(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(v) = t.parse::<i64>() {
        return Some(v);
    }
    let (whole, fraction) = t.split_once('.')?;
    if !fraction.is_empty() && fraction.bytes().all(|b| b == b'0') {
        whole.parse::<i64>().ok()
    } else {
        None
    }
}

/// A decimal sent as a string or a JSON number, in micro-units, rounded half away
/// from zero when the provider sends more than 6 decimals. Never goes through `f64`
/// for strings; a JSON number is read from its shortest textual form.
pub fn lenient_micros(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => decimal_micros(&n.to_string()),
        Value::String(s) => decimal_micros(s),
        _ => None,
    }
}

fn decimal_micros(text: &str) -> Option<i64> {
    let t = text.trim();
    let (negative, unsigned) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (kept, round_up) = if fraction.len() > 6 {
        (&fraction[..6], fraction.as_bytes()[6] >= b'5')
    } else {
        (fraction, false)
    };
    let micros = Money::parse(&format!("{whole}.{kept}")).ok()?.micros();
    let micros = if round_up { micros.checked_add(1)? } else { micros };
    Some(if negative { -micros } else { micros })
}

pub fn lenient_money(value: &Value) -> Option<Money> {
    lenient_micros(value).map(Money::from_micros)
}

/// A non-negative rate.
pub fn lenient_rate(value: &Value) -> Option<Rate> {
    lenient_micros(value).filter(|m| *m >= 0).map(Rate::from_micros)
}

/// `true`/`false`, `1`/`0`, `"1"`/`"0"`, `"true"`/`"yes"`; anything else is false.
pub fn lenient_bool(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_i64().is_some_and(|v| v != 0),
        Value::String(s) => matches!(s.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"),
        _ => false,
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn object<'a>(value: &'a Value, what: &str) -> Result<&'a Map<String, Value>, ReplyError> {
    if let Some(message) = error_message(value) {
        return Err(ReplyError::Provider(message));
    }
    value
        .as_object()
        .ok_or_else(|| ReplyError::Unexpected(format!("{what}: expected a JSON object, got {}", kind_of(value))))
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `action=services`: a JSON array of service rows.
pub fn parse_services(value: &Value) -> Result<ServicesReply, ReplyError> {
    if let Some(message) = error_message(value) {
        return Err(ReplyError::Provider(message));
    }
    let rows = value
        .as_array()
        .ok_or_else(|| ReplyError::Unexpected(format!("services: expected a JSON array, got {}", kind_of(value))))?;
    let mut reply = ServicesReply {
        services: Vec::with_capacity(rows.len()),
        skipped: Vec::new(),
    };
    for row in rows {
        match parse_service_row(row) {
            Ok(service) => reply.services.push(service),
            Err((id, reason)) => reply.skipped.push((id, reason)),
        }
    }
    Ok(reply)
}

fn parse_service_row(row: &Value) -> Result<ProviderService, (String, String)> {
    let fields = row
        .as_object()
        .ok_or_else(|| ("?".to_owned(), format!("row is {}", kind_of(row))))?;
    let service = fields
        .get("service")
        .and_then(id_string)
        .ok_or_else(|| ("?".to_owned(), "no service id".to_owned()))?;
    let fail = |reason: &str| (service.clone(), reason.to_owned());
    let rate = fields
        .get("rate")
        .and_then(lenient_rate)
        .ok_or_else(|| fail("unreadable rate"))?;
    let min = fields
        .get("min")
        .and_then(lenient_i64)
        .ok_or_else(|| fail("unreadable min"))?;
    let max = fields
        .get("max")
        .and_then(lenient_i64)
        .ok_or_else(|| fail("unreadable max"))?;
    if min < 0 || max < min {
        return Err(fail("min/max out of order"));
    }
    let flag = |name: &str| fields.get(name).is_some_and(lenient_bool);
    Ok(ProviderService {
        name: text(fields.get("name")).unwrap_or_default(),
        kind: text(fields.get("type")).unwrap_or_else(|| "Default".to_owned()),
        category: text(fields.get("category")).unwrap_or_default(),
        rate,
        min,
        max,
        refill: flag("refill"),
        cancel: flag("cancel"),
        dripfeed: flag("dripfeed"),
        service,
    })
}

/// `action=add`: `{"order": 23501}` → `"23501"`. A reply with both an order id and
/// an error is ambiguous (the order may exist), so it is `Unexpected`, not a refusal.
pub fn parse_add(value: &Value) -> Result<String, ReplyError> {
    let order = value.get("order").and_then(id_string).filter(|id| id != "0");
    if let (Some(id), Some(message)) = (&order, error_message(value)) {
        return Err(ReplyError::Unexpected(format!(
            "add: the reply has both order id {id} and error {message:?}"
        )));
    }
    object(value, "add")?;
    order.ok_or_else(|| ReplyError::Unexpected(format!("add: no order id in {}", shorten(&value.to_string()))))
}

/// `action=status` with `order`.
pub fn parse_status(value: &Value) -> Result<OrderStatusReply, ReplyError> {
    let fields = object(value, "status")?;
    status_fields(fields).map_err(ReplyError::Unexpected)
}

fn status_fields(fields: &Map<String, Value>) -> Result<OrderStatusReply, String> {
    let raw_status = match fields.get("status") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => return Err("status: no \"status\" field".to_owned()),
        Some(other) => other.to_string(),
    };
    Ok(OrderStatusReply {
        status: ProviderStatus::parse(&raw_status),
        raw_status,
        charge: fields.get("charge").and_then(lenient_money),
        start_count: fields.get("start_count").and_then(lenient_i64),
        remains: fields.get("remains").and_then(lenient_i64),
        currency: text(fields.get("currency")).filter(|c| !c.trim().is_empty()),
    })
}

/// Per-order outcome of a multi-status call.
pub type StatusResults = HashMap<String, Result<OrderStatusReply, String>>;

/// `action=status` with `orders=1,2,3`: an object keyed by order id. Every requested
/// id gets an entry; one the provider left out is an error for that order only.
pub fn parse_statuses(value: &Value, requested: &[String]) -> Result<StatusResults, ReplyError> {
    let fields = object(value, "multi-status")?;
    if fields.contains_key("status") && !requested.iter().any(|id| id == "status") {
        return Err(ReplyError::Unexpected(
            "multi-status: got a single-order reply (the provider may not support `orders`)".to_owned(),
        ));
    }
    let mut results = StatusResults::with_capacity(requested.len());
    for id in requested {
        let entry = match fields.get(id.as_str()) {
            None => Err("not in the provider's reply".to_owned()),
            Some(reply) => match reply.as_object() {
                None => Err(format!("unexpected reply: {}", shorten(&reply.to_string()))),
                Some(order) => match error_message(reply) {
                    Some(message) => Err(message),
                    None => status_fields(order),
                },
            },
        };
        results.insert(id.clone(), entry);
    }
    Ok(results)
}

/// `action=refill` with `order`: `{"refill":"1"}` → `"1"`.
pub fn parse_refill(value: &Value) -> Result<String, ReplyError> {
    let fields = object(value, "refill")?;
    match fields.get("refill") {
        Some(inner @ Value::Object(_)) => Err(ReplyError::Provider(
            error_message(inner).unwrap_or_else(|| shorten(&inner.to_string())),
        )),
        Some(id) => id_string(id).ok_or_else(|| ReplyError::Unexpected(format!("refill: bad refill id {id}"))),
        None => Err(ReplyError::Unexpected("refill: no \"refill\" field".to_owned())),
    }
}

/// `action=refill_status` with `refill`: `{"status":"Completed"}` → `"Completed"`.
pub fn parse_refill_status(value: &Value) -> Result<String, ReplyError> {
    let fields = object(value, "refill_status")?;
    match fields.get("status") {
        Some(inner @ Value::Object(_)) => Err(ReplyError::Provider(
            error_message(inner).unwrap_or_else(|| shorten(&inner.to_string())),
        )),
        other => text(other).ok_or_else(|| ReplyError::Unexpected("refill_status: no \"status\" field".to_owned())),
    }
}

/// Per-order outcome of a cancel call, in the order requested.
pub type CancelResults = Vec<(String, Result<(), String>)>;

/// `action=cancel` with `orders`: `[{"order":9,"cancel":1},{"order":2,"cancel":{"error":"…"}}]`.
/// Every requested id gets an entry, in the order requested.
pub fn parse_cancel(value: &Value, requested: &[String]) -> Result<CancelResults, ReplyError> {
    if let Some(message) = error_message(value) {
        return Err(ReplyError::Provider(message));
    }
    let rows = value
        .as_array()
        .ok_or_else(|| ReplyError::Unexpected(format!("cancel: expected a JSON array, got {}", kind_of(value))))?;
    let mut by_id: HashMap<String, Result<(), String>> = HashMap::with_capacity(rows.len());
    for row in rows {
        let Some(id) = row.get("order").and_then(id_string) else {
            continue;
        };
        let outcome = match row.get("cancel") {
            Some(inner @ Value::Object(_)) => Err(error_message(inner).unwrap_or_else(|| shorten(&inner.to_string()))),
            Some(flag) if lenient_bool(flag) || id_string(flag).is_some() => Ok(()),
            Some(other) => Err(format!("unexpected cancel reply: {}", shorten(&other.to_string()))),
            None => Err("no \"cancel\" field in the reply".to_owned()),
        };
        by_id.insert(id, outcome);
    }
    Ok(requested
        .iter()
        .map(|id| {
            let outcome = by_id
                .remove(id)
                .unwrap_or_else(|| Err("not in the provider's reply".to_owned()));
            (id.clone(), outcome)
        })
        .collect())
}

/// `action=balance`: `{"balance":"100.84292","currency":"USD"}`.
pub fn parse_balance(value: &Value) -> Result<ProviderBalance, ReplyError> {
    let fields = object(value, "balance")?;
    let balance = fields
        .get("balance")
        .and_then(lenient_money)
        .ok_or_else(|| ReplyError::Unexpected("balance: no readable \"balance\" field".to_owned()))?;
    Ok(ProviderBalance {
        balance,
        currency: text(fields.get("currency")).unwrap_or_default(),
    })
}

/// At most 120 characters of `s`, for error messages.
pub(crate) fn shorten(s: &str) -> String {
    const LIMIT: usize = 120;
    let mut out: String = s.chars().take(LIMIT).collect();
    if s.chars().nth(LIMIT).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn statuses_parse_tolerantly() {
        use ProviderStatus::*;
        for (raw, want) in [
            ("Pending", Pending),
            ("pending ", Pending),
            ("In progress", InProgress),
            ("In Progress", InProgress),
            ("inprogress", InProgress),
            ("in_progress", InProgress),
            ("IN-PROGRESS", InProgress),
            ("Processing", Processing),
            ("Completed", Completed),
            ("COMPLETED", Completed),
            ("Partial", Partial),
            ("Canceled", Canceled),
            ("Cancelled", Canceled),
            (" cancelled", Canceled),
        ] {
            assert_eq!(ProviderStatus::parse(raw), want, "{raw:?}");
        }
        assert_eq!(ProviderStatus::parse(" Refunded "), Unknown("Refunded".into()));
        assert_eq!(ProviderStatus::parse(""), Unknown(String::new()));
        assert!(Partial.is_terminal() && Canceled.is_terminal() && Completed.is_terminal());
        assert!(!InProgress.is_terminal() && !Unknown("x".into()).is_terminal());
        assert_eq!(InProgress.to_string(), "In progress");
    }

    #[test]
    fn numbers_as_strings_numbers_or_junk() {
        assert_eq!(lenient_i64(&json!("3572")), Some(3572));
        assert_eq!(lenient_i64(&json!(3572)), Some(3572));
        assert_eq!(lenient_i64(&json!(" 42 ")), Some(42));
        assert_eq!(lenient_i64(&json!("-5")), Some(-5));
        assert_eq!(lenient_i64(&json!(-5)), Some(-5));
        assert_eq!(lenient_i64(&json!("157.0")), Some(157));
        assert_eq!(lenient_i64(&json!(157.0)), Some(157));
        assert_eq!(lenient_i64(&json!("157.5")), None);
        assert_eq!(lenient_i64(&json!("")), None);
        assert_eq!(lenient_i64(&json!(null)), None);
        assert_eq!(lenient_i64(&json!("Unknown")), None);
        assert_eq!(lenient_i64(&json!(true)), None);
    }

    #[test]
    fn money_without_floats() {
        assert_eq!(lenient_money(&json!("0.27819")), Some(Money::from_micros(278_190)));
        assert_eq!(lenient_money(&json!(0.27819)), Some(Money::from_micros(278_190)));
        assert_eq!(
            lenient_money(&json!("100.84292")),
            Some(Money::from_micros(100_842_920))
        );
        assert_eq!(lenient_money(&json!(12)), Some(Money::from_micros(12_000_000)));
        // more than 6 decimals: rounded once, half away from zero
        assert_eq!(lenient_money(&json!("0.1234565")), Some(Money::from_micros(123_457)));
        assert_eq!(lenient_money(&json!("0.1234564999")), Some(Money::from_micros(123_456)));
        assert_eq!(lenient_money(&json!("-0.0000005")), Some(Money::from_micros(-1)));
        assert_eq!(lenient_money(&json!("")), None);
        assert_eq!(lenient_money(&json!("1e3")), None);
        assert_eq!(lenient_money(&json!("NaN")), None);
        assert_eq!(lenient_money(&json!("1.2.3")), None);
        assert_eq!(lenient_money(&json!(null)), None);
        assert_eq!(lenient_rate(&json!("-1")), None);
        assert_eq!(lenient_rate(&json!("0.90")), Some(Rate::from_micros(900_000)));
    }

    #[test]
    fn booleans() {
        for yes in [json!(true), json!(1), json!("1"), json!("true"), json!("Yes")] {
            assert!(lenient_bool(&yes), "{yes}");
        }
        for no in [
            json!(false),
            json!(0),
            json!("0"),
            json!(""),
            json!(null),
            json!("false"),
        ] {
            assert!(!lenient_bool(&no), "{no}");
        }
    }

    #[test]
    fn single_status_real_world_variants() {
        let reply = parse_status(&json!({
            "charge": "0.27819", "start_count": "3572", "status": "Partial",
            "remains": "157", "currency": "USD"
        }))
        .expect("status parses");
        assert_eq!(reply.status, ProviderStatus::Partial);
        assert_eq!(reply.raw_status, "Partial");
        assert_eq!(reply.charge, Some(Money::from_micros(278_190)));
        assert_eq!(reply.start_count, Some(3572));
        assert_eq!(reply.remains, Some(157));
        assert_eq!(reply.currency.as_deref(), Some("USD"));

        // numbers as numbers, "Cancelled", negative remains, extra fields, no currency
        let reply = parse_status(&json!({
            "charge": 1.5, "start_count": 0, "status": "Cancelled", "remains": "-5",
            "order_id": 77, "link": "https://x"
        }))
        .expect("status parses");
        assert_eq!(reply.status, ProviderStatus::Canceled);
        assert_eq!(reply.raw_status, "Cancelled");
        assert_eq!(reply.charge, Some(Money::from_micros(1_500_000)));
        assert_eq!(reply.start_count, Some(0));
        assert_eq!(reply.remains, Some(-5));
        assert_eq!(reply.currency, None);

        // "Unknown", empty strings and nulls
        let reply = parse_status(&json!({
            "charge": "", "start_count": "Unknown", "status": "In progress", "remains": null, "currency": ""
        }))
        .expect("status parses");
        assert_eq!(reply.status, ProviderStatus::InProgress);
        assert_eq!(
            (reply.charge, reply.start_count, reply.remains, reply.currency),
            (None, None, None, None)
        );
    }

    #[test]
    fn single_status_errors() {
        assert_eq!(
            parse_status(&json!({"error": "Incorrect order ID"})),
            Err(ReplyError::Provider("Incorrect order ID".into()))
        );
        assert!(matches!(
            parse_status(&json!({"charge": "1"})),
            Err(ReplyError::Unexpected(_))
        ));
        assert!(matches!(parse_status(&json!([1, 2])), Err(ReplyError::Unexpected(_))));
        assert!(matches!(parse_status(&json!("ok")), Err(ReplyError::Unexpected(_))));
    }

    #[test]
    fn multi_status_mixed_with_per_order_errors() {
        let value = json!({
            "1": {"charge": "0.27819", "start_count": "3572", "status": "Partial", "remains": "157", "currency": "USD"},
            "10": {"error": "Incorrect order ID"},
            "11": {"charge": 0.5, "start_count": 12, "status": "In Progress", "remains": 30},
            "12": "garbage",
            "99": {"status": "Completed"}
        });
        let results = parse_statuses(&value, &ids(&["1", "10", "11", "12", "13"])).expect("multi parses");
        assert_eq!(results.len(), 5);
        let first = results["1"].as_ref().expect("order 1 ok");
        assert_eq!(
            (first.status.clone(), first.remains),
            (ProviderStatus::Partial, Some(157))
        );
        assert_eq!(results["10"], Err("Incorrect order ID".to_owned()));
        let third = results["11"].as_ref().expect("order 11 ok");
        assert_eq!(
            (third.status.clone(), third.start_count),
            (ProviderStatus::InProgress, Some(12))
        );
        assert!(results["12"].is_err());
        assert_eq!(results["13"], Err("not in the provider's reply".to_owned()));
        assert!(!results.contains_key("99"), "only requested ids are returned");

        assert_eq!(
            parse_statuses(&json!({"error": "Incorrect request"}), &ids(&["1"])),
            Err(ReplyError::Provider("Incorrect request".into()))
        );
        // a provider that ignores `orders` and answers like a single status
        assert!(matches!(
            parse_statuses(&json!({"status": "Pending", "charge": "1"}), &ids(&["1", "2"])),
            Err(ReplyError::Unexpected(_))
        ));
        assert!(matches!(
            parse_statuses(&json!([]), &ids(&["1"])),
            Err(ReplyError::Unexpected(_))
        ));
    }

    #[test]
    fn services_with_int_or_string_ids_and_rates() {
        let value = json!([
            {"service": 1, "name": "Followers", "type": "Default", "category": "Instagram Followers",
             "rate": "0.90", "min": "50", "max": "10000", "refill": true, "cancel": true},
            {"service": "2", "name": "Likes", "category": "Instagram Likes",
             "rate": 1.2, "min": 10, "max": 5000, "refill": "1", "cancel": 0, "dripfeed": true, "extra": [1]},
            {"service": 3, "name": "No rate", "rate": "", "min": "1", "max": "2"},
            {"name": "No id", "rate": "1", "min": "1", "max": "2"},
            "junk"
        ]);
        let reply = parse_services(&value).expect("services parse");
        assert_eq!(reply.services.len(), 2);
        let first = &reply.services[0];
        assert_eq!(first.service, "1");
        assert_eq!(first.rate, Rate::from_micros(900_000));
        assert_eq!(
            (first.min, first.max, first.refill, first.cancel, first.dripfeed),
            (50, 10000, true, true, false)
        );
        assert_eq!(first.kind, "Default");
        let second = &reply.services[1];
        assert_eq!(second.service, "2");
        assert_eq!(second.rate, Rate::from_micros(1_200_000));
        assert_eq!(second.kind, "Default", "type defaults to Default");
        assert_eq!((second.refill, second.cancel, second.dripfeed), (true, false, true));
        assert_eq!(reply.skipped.len(), 3);
        assert_eq!(reply.skipped[0], ("3".to_owned(), "unreadable rate".to_owned()));

        assert_eq!(
            parse_services(&json!({"error": "Invalid API key"})),
            Err(ReplyError::Provider("Invalid API key".into()))
        );
        assert!(matches!(
            parse_services(&json!({"a": 1})),
            Err(ReplyError::Unexpected(_))
        ));
    }

    #[test]
    fn add_replies() {
        assert_eq!(parse_add(&json!({"order": 23501})), Ok("23501".to_owned()));
        assert_eq!(parse_add(&json!({"order": "23501"})), Ok("23501".to_owned()));
        assert_eq!(
            parse_add(&json!({"error": "Incorrect service ID"})),
            Err(ReplyError::Provider("Incorrect service ID".into()))
        );
        assert_eq!(
            parse_add(&json!({"error": {"code": 7}})),
            Err(ReplyError::Provider("{\"code\":7}".into()))
        );
        // an empty error next to an order id is no error; a real one makes it ambiguous
        assert_eq!(parse_add(&json!({"order": 5, "error": null})), Ok("5".to_owned()));
        assert_eq!(parse_add(&json!({"order": 5, "error": ""})), Ok("5".to_owned()));
        assert_eq!(parse_add(&json!({"order": 5, "error": false})), Ok("5".to_owned()));
        assert!(matches!(
            parse_add(&json!({"order": 5, "error": "Low balance"})),
            Err(ReplyError::Unexpected(_))
        ));
        assert!(matches!(
            parse_add(&json!({"error": ""})),
            Err(ReplyError::Unexpected(_))
        ));
        for bad in [
            json!({}),
            json!({"order": ""}),
            json!({"order": 0}),
            json!({"order": null}),
            json!([]),
        ] {
            assert!(matches!(parse_add(&bad), Err(ReplyError::Unexpected(_))), "{bad}");
        }
    }

    #[test]
    fn refill_cancel_and_balance_replies() {
        assert_eq!(parse_refill(&json!({"refill": "1"})), Ok("1".to_owned()));
        assert_eq!(parse_refill(&json!({"refill": 7})), Ok("7".to_owned()));
        assert_eq!(
            parse_refill(&json!({"refill": {"error": "Refill is disabled"}})),
            Err(ReplyError::Provider("Refill is disabled".into()))
        );
        assert!(matches!(parse_refill(&json!({})), Err(ReplyError::Unexpected(_))));
        assert_eq!(
            parse_refill_status(&json!({"status": "Completed"})),
            Ok("Completed".to_owned())
        );
        assert_eq!(
            parse_refill_status(&json!({"error": "Incorrect refill ID"})),
            Err(ReplyError::Provider("Incorrect refill ID".into()))
        );

        let value = json!([
            {"order": 9, "cancel": 1},
            {"order": "2", "cancel": {"error": "Incorrect order ID"}},
            {"order": 3, "cancel": true}
        ]);
        let outcome = parse_cancel(&value, &ids(&["9", "2", "3", "4"])).expect("cancel parses");
        assert_eq!(
            outcome,
            vec![
                ("9".to_owned(), Ok(())),
                ("2".to_owned(), Err("Incorrect order ID".to_owned())),
                ("3".to_owned(), Ok(())),
                ("4".to_owned(), Err("not in the provider's reply".to_owned())),
            ]
        );

        let balance = parse_balance(&json!({"balance": "100.84292", "currency": "USD"})).expect("balance parses");
        assert_eq!(balance.balance, Money::from_micros(100_842_920));
        assert_eq!(balance.currency, "USD");
        let balance = parse_balance(&json!({"balance": 5, "currency": "EUR"})).expect("balance parses");
        assert_eq!(balance.balance, Money::from_micros(5_000_000));
        assert!(matches!(
            parse_balance(&json!({"balance": "lots"})),
            Err(ReplyError::Unexpected(_))
        ));
    }

    #[test]
    fn shorten_limits_length() {
        assert_eq!(shorten("abc"), "abc");
        let long = "x".repeat(500);
        assert_eq!(shorten(&long).chars().count(), 121);
    }
}
