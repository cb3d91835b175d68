//! The simulator's fixed service catalogue.

use serde_json::{json, Value};

use crate::domain::money::Rate;

/// One service the simulator sells. Rates are per 1000 units, in USD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SimService {
    pub id: &'static str,
    pub name: &'static str,
    pub kind: &'static str,
    pub category: &'static str,
    pub rate: Rate,
    pub min: i64,
    pub max: i64,
    pub refill: bool,
    pub cancel: bool,
    pub dripfeed: bool,
}

impl SimService {
    /// Custom-comment services take one comment per line; the count is the quantity.
    pub fn takes_comments(&self) -> bool {
        self.kind == "Custom Comments"
    }

    /// The `action=services` row, typed the way many real providers type it:
    /// numeric id, decimal strings for rate/min/max, JSON booleans for flags.
    pub fn wire_json(&self) -> Value {
        json!({
            "service": self.id.parse::<u64>().unwrap_or_default(),
            "name": self.name,
            "type": self.kind,
            "category": self.category,
            "rate": format_fixed(self.rate.micros(), 2),
            "min": self.min.to_string(),
            "max": self.max.to_string(),
            "refill": self.refill,
            "cancel": self.cancel,
            "dripfeed": self.dripfeed,
        })
    }
}

const fn service(
    id: &'static str,
    category: &'static str,
    name: &'static str,
    rate_micros: i64,
    (min, max): (i64, i64),
    (refill, cancel, dripfeed): (bool, bool, bool),
) -> SimService {
    SimService {
        id,
        name,
        kind: "Default",
        category,
        rate: Rate::from_micros(rate_micros),
        min,
        max,
        refill,
        cancel,
        dripfeed,
    }
}

/// Services `1`..`8` in four categories; refill and cancel on some, drip-feed on one,
/// custom comments on one.
pub(crate) const CATALOGUE: [SimService; 8] = [
    service(
        "1",
        "Instagram Followers",
        "Instagram Followers [Real] [Refill 30D]",
        900_000,
        (50, 10_000),
        (true, true, false),
    ),
    service(
        "2",
        "Instagram Followers",
        "Instagram Followers [Cheap] [No Refill]",
        450_000,
        (100, 50_000),
        (false, false, false),
    ),
    service(
        "3",
        "Instagram Likes",
        "Instagram Likes [Instant]",
        120_000,
        (10, 20_000),
        (false, true, false),
    ),
    service(
        "4",
        "Instagram Likes",
        "Instagram Likes [Drip-feed]",
        150_000,
        (10, 10_000),
        (false, false, true),
    ),
    service(
        "5",
        "YouTube Views",
        "YouTube Views [High Retention] [Refill 30D]",
        1_800_000,
        (500, 1_000_000),
        (true, false, false),
    ),
    service(
        "6",
        "YouTube Views",
        "YouTube Views [Fast]",
        1_200_000,
        (1_000, 500_000),
        (false, true, false),
    ),
    service(
        "7",
        "Facebook Page Likes",
        "Facebook Page Likes [Refill 60D]",
        2_500_000,
        (100, 20_000),
        (true, true, false),
    ),
    SimService {
        kind: "Custom Comments",
        ..service(
            "8",
            "Instagram Likes",
            "Instagram Custom Comments",
            15_000_000,
            (5, 1_000),
            (false, false, false),
        )
    },
];

pub(crate) fn find(id: &str) -> Option<&'static SimService> {
    CATALOGUE.iter().find(|s| s.id == id.trim())
}

/// `micros` as a decimal with exactly `decimals` places (≤ 6), rounded half away from zero.
pub(crate) fn format_fixed(micros: i64, decimals: u32) -> String {
    let decimals = decimals.min(6);
    let unit = 10_i128.pow(6 - decimals);
    let value = i128::from(micros);
    let scaled = (value.abs() + unit / 2) / unit;
    let sign = if value < 0 && scaled != 0 { "-" } else { "" };
    let per_whole = 10_i128.pow(decimals);
    let whole = scaled / per_whole;
    if decimals == 0 {
        return format!("{sign}{whole}");
    }
    let fraction = scaled % per_whole;
    format!("{sign}{whole}.{fraction:0width$}", width = decimals as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_consistent() {
        assert!(find("1").is_some());
        assert!(find(" 8 ").is_some());
        assert!(find("9").is_none());
        let categories: std::collections::HashSet<_> = CATALOGUE.iter().map(|s| s.category).collect();
        assert!(categories.len() >= 3);
        for (i, s) in CATALOGUE.iter().enumerate() {
            assert_eq!(s.id, (i + 1).to_string());
            assert!(s.min > 0 && s.min <= s.max && s.rate.micros() > 0);
        }
        assert!(CATALOGUE.iter().any(|s| s.refill) && CATALOGUE.iter().any(|s| s.cancel));
        assert_eq!(
            find("1").map(|s| s.wire_json()["rate"].clone()),
            Some(serde_json::json!("0.90"))
        );
    }

    #[test]
    fn fixed_formatting() {
        assert_eq!(format_fixed(1_000_000_000, 5), "1000.00000");
        assert_eq!(format_fixed(278_190, 5), "0.27819");
        assert_eq!(format_fixed(900_000, 2), "0.90");
        assert_eq!(format_fixed(5, 5), "0.00001");
        assert_eq!(format_fixed(4, 5), "0.00000");
        assert_eq!(format_fixed(-2_500_000, 2), "-2.50");
        assert_eq!(format_fixed(-4, 5), "0.00000");
        assert_eq!(format_fixed(1_500_000, 0), "2");
        assert_eq!(format_fixed(123_456, 6), "0.123456");
    }
}
