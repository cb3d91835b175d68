//! Parsing raw request fields (from JSON or forms) into typed values, with a message
//! naming the field. JSON may send numbers or strings of digits; forms send strings.

use serde::{Deserialize, Deserializer};

use crate::domain::Rate;
use crate::error::AppError;

/// Accepts a string, number, bool or null as `Option<String>` (for lenient drafts).
pub fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Int(i64),
        Bool(bool),
        Float(serde_json::Number),
    }
    Ok(match Option::<Raw>::deserialize(d)? {
        None => None,
        Some(Raw::Text(s)) => Some(s),
        Some(Raw::Int(n)) => Some(n.to_string()),
        Some(Raw::Bool(b)) => Some(b.to_string()),
        // A JSON number with a fraction keeps its exact decimal text (never an f64).
        Some(Raw::Float(n)) => Some(n.to_string()),
    })
}

fn trimmed(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|s| !s.is_empty())
}

pub fn required_text(
    field: &'static str,
    label: &str,
    raw: Option<&str>,
    max_chars: usize,
) -> Result<String, AppError> {
    let text = trimmed(raw).ok_or_else(|| AppError::validation(field, format!("{label} is required.")))?;
    if text.chars().count() > max_chars {
        return Err(AppError::validation(
            field,
            format!("{label} can have at most {max_chars} characters."),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(AppError::validation(
            field,
            format!("{label} cannot contain control characters."),
        ));
    }
    Ok(text.to_string())
}

pub fn optional_text(
    field: &'static str,
    label: &str,
    raw: Option<&str>,
    max_chars: usize,
) -> Result<Option<String>, AppError> {
    match trimmed(raw) {
        None => Ok(None),
        Some(_) => required_text(field, label, raw, max_chars).map(Some),
    }
}

pub fn id(field: &'static str, label: &str, raw: Option<&str>) -> Result<i64, AppError> {
    let text = trimmed(raw).ok_or_else(|| AppError::validation(field, format!("{label} is required.")))?;
    text.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| AppError::validation(field, format!("{label} must be an id (a positive whole number).")))
}

pub fn optional_id(field: &'static str, label: &str, raw: Option<&str>) -> Result<Option<i64>, AppError> {
    match trimmed(raw) {
        None => Ok(None),
        Some(_) => id(field, label, raw).map(Some),
    }
}

/// A whole number within `min..=max`.
pub fn whole_number(field: &'static str, label: &str, raw: Option<&str>, min: i64, max: i64) -> Result<i64, AppError> {
    let text = trimmed(raw).ok_or_else(|| AppError::validation(field, format!("{label} is required.")))?;
    let n = text
        .parse::<i64>()
        .map_err(|_| AppError::validation(field, format!("{label} must be a whole number, not '{text}'.")))?;
    if n < min || n > max {
        return Err(AppError::validation(
            field,
            format!("{label} must be between {min} and {max}."),
        ));
    }
    Ok(n)
}

pub fn flag(field: &'static str, label: &str, raw: Option<&str>, default: bool) -> Result<bool, AppError> {
    match trimmed(raw).map(str::to_ascii_lowercase).as_deref() {
        None => Ok(default),
        Some("true" | "1" | "on" | "yes") => Ok(true),
        Some("false" | "0" | "off" | "no") => Ok(false),
        Some(other) => Err(AppError::validation(
            field,
            format!("{label} must be true or false, not '{other}'."),
        )),
    }
}

/// A positive fixed-point rate (at most 6 decimals, never a float).
pub fn positive_rate(field: &'static str, label: &str, raw: Option<&str>) -> Result<Rate, AppError> {
    let text = trimmed(raw).ok_or_else(|| AppError::validation(field, format!("{label} is required.")))?;
    let rate = Rate::parse(text).map_err(|e| AppError::validation(field, format!("{label} {e}.")))?;
    if rate.is_zero() {
        return Err(AppError::validation(field, format!("{label} must be more than zero.")));
    }
    Ok(rate)
}

/// An action word as sent (`" Attach "`, `"ATTACH"`): trimmed, lowercase, empty if absent.
pub fn action(raw: Option<&str>) -> String {
    raw.map(str::trim).unwrap_or_default().to_ascii_lowercase()
}
