//! Fixed-point amounts (SPEC §3): never a float.
//!
//! Every amount and rate is an `i64` count of micro-units (1 unit = 1,000,000).
//! Products of two fixed-point values are computed in `i128` and rounded once.

use std::fmt;
use std::str::FromStr;

/// Micro-units per whole unit.
pub const SCALE: i64 = 1_000_000;
const DECIMALS: usize = 6;

/// Why a decimal string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseAmountError {
    #[error("is empty")]
    Empty,
    #[error("is not a plain decimal number (digits with an optional point, e.g. 12.50)")]
    NotDecimal,
    #[error("has more than 6 decimal places")]
    TooManyDecimals,
    #[error("is too large")]
    Overflow,
    #[error("must not be negative")]
    Negative,
}

/// Parses a plain decimal (`"12.5"`, `"0.00120"`, `"-3"`) into micro-units.
/// Refuses exponents, `NaN`, `inf`, thousands separators and more than 6 decimals.
fn parse_micros(input: &str) -> Result<i64, ParseAmountError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(ParseAmountError::Empty);
    }
    let (negative, digits) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, f),
        None => (digits, ""),
    };
    if whole.is_empty() && fraction.is_empty() {
        return Err(ParseAmountError::NotDecimal);
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseAmountError::NotDecimal);
    }
    // Trailing zeros beyond the sixth place carry no value ("0.1200000" is fine).
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > DECIMALS {
        return Err(ParseAmountError::TooManyDecimals);
    }
    let mut micros: i64 = 0;
    for b in whole.bytes() {
        micros = micros
            .checked_mul(10)
            .and_then(|m| m.checked_add(i64::from(b - b'0')))
            .ok_or(ParseAmountError::Overflow)?;
    }
    micros = micros.checked_mul(SCALE).ok_or(ParseAmountError::Overflow)?;
    let mut frac_micros: i64 = 0;
    for (i, b) in fraction.bytes().enumerate() {
        frac_micros += i64::from(b - b'0') * 10_i64.pow((DECIMALS - 1 - i) as u32);
    }
    micros = micros.checked_add(frac_micros).ok_or(ParseAmountError::Overflow)?;
    Ok(if negative { -micros } else { micros })
}

/// Writes `micros` with at least `min_decimals` and at most 6 decimals.
fn format_micros(f: &mut fmt::Formatter<'_>, micros: i64, min_decimals: usize) -> fmt::Result {
    let sign = if micros < 0 { "-" } else { "" };
    let abs = micros.unsigned_abs();
    let whole = abs / SCALE as u64;
    let frac = format!("{:06}", abs % SCALE as u64);
    let trimmed = frac.trim_end_matches('0');
    let shown = if trimmed.len() < min_decimals {
        &frac[..min_decimals]
    } else {
        trimmed
    };
    if shown.is_empty() {
        write!(f, "{sign}{whole}")
    } else {
        write!(f, "{sign}{whole}.{shown}")
    }
}

/// Rounds `numerator / denominator` half away from zero.
fn div_round(numerator: i128, denominator: i128) -> i128 {
    let q = numerator / denominator;
    let r = numerator % denominator;
    if r.abs() * 2 >= denominator.abs() {
        q + numerator.signum() * denominator.signum()
    } else {
        q
    }
}

macro_rules! fixed_point {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(i64);

        impl $name {
            pub const ZERO: Self = Self(0);

            pub const fn from_micros(micros: i64) -> Self {
                Self(micros)
            }

            pub const fn micros(self) -> i64 {
                self.0
            }

            /// Parses a decimal that may be negative.
            pub fn parse_signed(s: &str) -> Result<Self, ParseAmountError> {
                parse_micros(s).map(Self)
            }

            /// Parses a decimal that must not be negative.
            pub fn parse(s: &str) -> Result<Self, ParseAmountError> {
                let micros = parse_micros(s)?;
                if micros < 0 {
                    return Err(ParseAmountError::Negative);
                }
                Ok(Self(micros))
            }

            pub fn is_negative(self) -> bool {
                self.0 < 0
            }

            pub fn is_zero(self) -> bool {
                self.0 == 0
            }
        }

        impl FromStr for $name {
            type Err = ParseAmountError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    };
}

fixed_point!(
    /// An amount of money in micro-units of its currency. Displays with 2 decimals,
    /// more only where the value needs them (`{:#}` always shows exactly 2, rounded).
    Money
);
fixed_point!(
    /// A rate: a price per 1000 units, or an exchange rate. Displays with up to 6 decimals.
    Rate
);

impl Money {
    /// The largest amount or balance the panel holds: 10¹² units of the panel
    /// currency. Far beyond any real balance, and twice it still fits an `i64` of
    /// micro-units, so no sum of two can overflow in either database.
    pub const MAX: Money = Money(1_000_000_000_000 * SCALE);

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    pub fn checked_neg(self) -> Option<Money> {
        self.0.checked_neg().map(Money)
    }

    /// `self × numerator ÷ denominator`, rounded half away from zero
    /// (used to settle a part of a charge: charge × delivered ÷ quantity).
    pub fn mul_div(self, numerator: i64, denominator: i64) -> Option<Money> {
        if denominator == 0 {
            return None;
        }
        let v = div_round(i128::from(self.0) * i128::from(numerator), i128::from(denominator));
        i64::try_from(v).ok().map(Money)
    }

    /// Whether the amount is in whole cents (paisa): what a person may pay or be credited.
    pub fn is_whole_cents(self) -> bool {
        self.0 % 10_000 == 0
    }

    /// Rounds to whole cents (the smallest unit a balance is shown in).
    pub fn round_to_cents(self) -> Money {
        Money((div_round(i128::from(self.0), 10_000) * 10_000) as i64)
    }
}

impl Rate {
    /// The price of `quantity` units at this rate per 1000, converted at `exchange`
    /// (units of the target currency per unit of the rate's currency).
    pub fn price(self, quantity: i64, exchange: Rate) -> Option<Money> {
        let numerator = i128::from(self.0)
            .checked_mul(i128::from(quantity))?
            .checked_mul(i128::from(exchange.0))?;
        let v = div_round(numerator, 1000 * i128::from(SCALE));
        i64::try_from(v).ok().map(Money)
    }

    /// This rate, in a currency of which one unit is worth `1 / units_per_usd` USD,
    /// converted to USD (rounded to micro-units). `None` for a zero rate of exchange.
    pub fn to_usd(self, units_per_usd: Rate) -> Option<Rate> {
        if units_per_usd.0 <= 0 {
            return None;
        }
        let v = div_round(i128::from(self.0) * i128::from(SCALE), i128::from(units_per_usd.0));
        i64::try_from(v).ok().map(Rate)
    }

    /// Applies a markup in percent (`"25"` → ×1.25), rounded to micro-units.
    pub fn with_markup(self, percent: Rate) -> Option<Rate> {
        let factor = i128::from(SCALE) * 100 + i128::from(percent.0);
        let v = div_round(i128::from(self.0) * factor, i128::from(SCALE) * 100);
        i64::try_from(v).ok().map(Rate)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            return format_micros(f, self.round_to_cents().0, 2);
        }
        format_micros(f, self.0, 2)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        format_micros(f, self.0, 0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_rate_in_another_currency_converts_to_usd() {
        let bdt = Rate::parse("90").unwrap();
        assert_eq!(
            bdt.to_usd(Rate::parse("100").unwrap()),
            Some(Rate::parse("0.9").unwrap())
        );
        assert_eq!(
            Rate::parse("1").unwrap().to_usd(Rate::parse("3").unwrap()),
            Some(Rate::parse("0.333333").unwrap()),
            "rounded to micro-units"
        );
        assert_eq!(bdt.to_usd(Rate::ZERO), None);
    }

    use super::*;

    #[test]
    fn parses_plain_decimals() {
        assert_eq!(Money::parse("12.5").unwrap().micros(), 12_500_000);
        assert_eq!(Money::parse("0.00120").unwrap().micros(), 1_200);
        assert_eq!(Money::parse("100").unwrap().micros(), 100_000_000);
        assert_eq!(Money::parse(".5").unwrap().micros(), 500_000);
        assert_eq!(Money::parse("7.").unwrap().micros(), 7_000_000);
        assert_eq!(Money::parse(" 3.25 ").unwrap().micros(), 3_250_000);
        assert_eq!(Money::parse("0.1200000").unwrap().micros(), 120_000);
    }

    #[test]
    fn refuses_what_is_not_a_plain_decimal() {
        for bad in [
            "1e3", "NaN", "nan", "inf", "-inf", "1,000", "12.5.1", "abc", ".", "-", "0x10", "1 000", "١٢",
        ] {
            assert_eq!(Money::parse_signed(bad), Err(ParseAmountError::NotDecimal), "{bad}");
        }
        assert_eq!(Money::parse(""), Err(ParseAmountError::Empty));
        assert_eq!(Money::parse("   "), Err(ParseAmountError::Empty));
    }

    #[test]
    fn negatives_only_where_allowed() {
        assert_eq!(Money::parse("-1"), Err(ParseAmountError::Negative));
        assert_eq!(Money::parse_signed("-1").unwrap().micros(), -1_000_000);
        assert_eq!(Money::parse_signed("-0.25").unwrap().micros(), -250_000);
        assert_eq!(Money::parse("-0").unwrap(), Money::ZERO);
    }

    #[test]
    fn too_many_decimals_and_overflow() {
        assert_eq!(Money::parse("0.0000001"), Err(ParseAmountError::TooManyDecimals));
        assert_eq!(Money::parse("1.1234567"), Err(ParseAmountError::TooManyDecimals));
        assert_eq!(Money::parse("9223372036854.775807").unwrap().micros(), i64::MAX);
        assert_eq!(Money::parse("9223372036854.775808"), Err(ParseAmountError::Overflow));
        assert_eq!(Money::parse("99999999999999999999999"), Err(ParseAmountError::Overflow));
    }

    #[test]
    fn displays_two_decimals_or_more_where_needed() {
        assert_eq!(Money::from_micros(120_000_000).to_string(), "120.00");
        assert_eq!(Money::from_micros(1_200).to_string(), "0.0012");
        assert_eq!(Money::from_micros(-2_500_000).to_string(), "-2.50");
        assert_eq!(format!("{:#}", Money::from_micros(1_236_000)), "1.24");
        assert_eq!(format!("{:#}", Money::from_micros(-1_235_000)), "-1.24");
        assert_eq!(Rate::from_micros(900_000).to_string(), "0.9");
        assert_eq!(Rate::from_micros(110_000_000).to_string(), "110");
    }

    #[test]
    fn display_round_trips() {
        for micros in [0, 1, 999_999, 1_000_000, 123_456_789, -5, i64::MAX, -i64::MAX] {
            let m = Money::from_micros(micros);
            assert_eq!(Money::parse_signed(&m.to_string()).unwrap(), m);
        }
    }

    #[test]
    fn prices_in_fixed_point() {
        // 0.90 USD per 1000, 1500 units, 110 BDT per USD = 148.50 BDT
        let rate = Rate::parse("0.90").unwrap();
        let usd_bdt = Rate::parse("110").unwrap();
        assert_eq!(rate.price(1500, usd_bdt).unwrap(), Money::parse("148.5").unwrap());
        // rounding happens once, at the end
        let rate = Rate::parse("0.000333").unwrap();
        assert_eq!(rate.price(1, Rate::parse("1").unwrap()).unwrap().micros(), 0);
        assert_eq!(rate.price(3, Rate::parse("1").unwrap()).unwrap().micros(), 1);
        assert!(Rate::from_micros(i64::MAX)
            .price(i64::MAX, Rate::from_micros(i64::MAX))
            .is_none());
    }

    #[test]
    fn markup_and_settlement_arithmetic() {
        assert_eq!(
            Rate::parse("0.80")
                .unwrap()
                .with_markup(Rate::parse("25").unwrap())
                .unwrap(),
            Rate::parse("1").unwrap()
        );
        let charge = Money::parse("100").unwrap();
        assert_eq!(charge.mul_div(1, 3).unwrap().micros(), 33_333_333);
        assert_eq!(charge.mul_div(2, 3).unwrap().micros(), 66_666_667);
        assert!(charge.mul_div(1, 0).is_none());
    }
}
