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
    use super::Money;

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
