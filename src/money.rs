//! Money as integer minor units with an ISO 4217 currency: never floating point.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: String,
}

impl Money {
    pub fn new(minor: i64, currency: impl Into<String>) -> Self {
        Self { minor, currency: currency.into() }
    }

    fn symbol(&self) -> Option<&'static str> {
        match self.currency.as_str() {
            "USD" => Some("$"),
            "EUR" => Some("€"),
            "GBP" => Some("£"),
            _ => None,
        }
    }
}

/// An amount as staff type it (`49`, `49.5`, `1,049.95`, `$49.00`) in minor units; two
/// decimals at most, never negative, at most 10,000,000.00.
pub fn parse_amount(input: &str) -> Result<i64, String> {
    let cleaned: String = input.trim().trim_start_matches(['$', '€', '£']).chars().filter(|c| *c != ',' && !c.is_whitespace()).collect();
    let invalid = || "Enter an amount like 49.00.".to_string();
    let (units, cents) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    if units.is_empty() || !units.chars().all(|c| c.is_ascii_digit()) || !cents.chars().all(|c| c.is_ascii_digit()) || cents.len() > 2 {
        return Err(invalid());
    }
    let units: i64 = units.parse().map_err(|_| invalid())?;
    let cents: i64 = format!("{cents:0<2}").parse().map_err(|_| invalid())?;
    let minor = units.checked_mul(100).and_then(|u| u.checked_add(cents)).ok_or_else(invalid)?;
    if minor > 1_000_000_000 {
        return Err("Enter at most 10,000,000.00.".into());
    }
    Ok(minor)
}

/// Minor units as staff type them back: `4950` → `49.50`.
pub fn amount_input(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, (minor % 100).abs())
}

impl fmt::Display for Money {
    /// `$1,234.50`; currencies without a symbol print their code: `1,234.50 CHF`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let units = (abs / 100).to_string();
        let mut grouped = String::with_capacity(units.len() + units.len() / 3);
        for (i, digit) in units.chars().enumerate() {
            if i > 0 && (units.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        let cents = abs % 100;
        match self.symbol() {
            Some(symbol) => write!(f, "{sign}{symbol}{grouped}.{cents:02}"),
            None => write!(f, "{sign}{grouped}.{cents:02} {}", self.currency),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{amount_input, parse_amount, Money};

    #[test]
    fn amounts_as_staff_type_them() {
        assert_eq!(parse_amount("49"), Ok(4900));
        assert_eq!(parse_amount(" 49.5 "), Ok(4950));
        assert_eq!(parse_amount("$1,049.95"), Ok(104_995));
        assert_eq!(parse_amount("0.05"), Ok(5));
        for bad in ["", "-5", "4.999", "abc", "1.2.3", ".5", "1e3", "99999999999999999999"] {
            assert!(parse_amount(bad).is_err(), "{bad:?}");
        }
        assert!(parse_amount("10000000.01").is_err());
        assert_eq!(amount_input(4950), "49.50");
        assert_eq!(amount_input(5), "0.05");
    }

    #[test]
    fn formats_minor_units_with_grouping() {
        assert_eq!(Money::new(0, "USD").to_string(), "$0.00");
        assert_eq!(Money::new(5, "USD").to_string(), "$0.05");
        assert_eq!(Money::new(4999, "USD").to_string(), "$49.99");
        assert_eq!(Money::new(123_456_789, "EUR").to_string(), "€1,234,567.89");
        assert_eq!(Money::new(100_000, "GBP").to_string(), "£1,000.00");
        assert_eq!(Money::new(-250, "USD").to_string(), "-$2.50");
        assert_eq!(Money::new(99_900, "CHF").to_string(), "999.00 CHF");
    }
}
