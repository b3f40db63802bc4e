//! Coupon codes: their terms and the rules deciding the discount a code gives, or why it
//! does not apply. Pure, so checkout's quote and placing an order use one rule; the queries
//! live in `server`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod server;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CouponKind {
    /// `value` is a whole percentage, 1–100.
    Percent,
    /// `value` is an amount in minor units.
    Fixed,
}

impl CouponKind {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "percent" => Some(Self::Percent),
            "fixed" => Some(Self::Fixed),
            _ => None,
        }
    }
}

/// A coupon's terms and how often it has been used, as read (locked) from the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponTerms {
    pub kind: CouponKind,
    pub value: i64,
    /// The currency of `value` (fixed amounts) and `min_order_minor`.
    pub currency: String,
    pub min_order_minor: i64,
    pub starts_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub usage_limit: Option<i32>,
    pub per_user_limit: Option<i32>,
    pub times_used: i32,
    pub is_active: bool,
}

/// Why a coupon does not apply; each has its own message for the shopper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CouponRefusal {
    /// No such code, or switched off by staff.
    Unknown,
    NotStarted,
    Expired,
    UsedUp,
    AlreadyUsed,
    BelowMinimum { minimum_minor: i64 },
    /// The code's amounts are in another currency than the cart's prices.
    OtherCurrency,
}

impl CouponRefusal {
    pub fn message(self, currency: &str) -> String {
        match self {
            Self::Unknown => "We don't recognise that code. Check it and try again.".into(),
            Self::NotStarted => "That code isn't active yet.".into(),
            Self::Expired => "That code has expired.".into(),
            Self::UsedUp => "That code has been used up.".into(),
            Self::AlreadyUsed => "You've already used that code.".into(),
            Self::OtherCurrency => format!("That code can't be used for prices in {currency}."),
            Self::BelowMinimum { minimum_minor } => {
                format!("That code needs an order of at least {}.", crate::money::Money::new(minimum_minor, currency))
            }
        }
    }
}

impl CouponTerms {
    /// The discount on `subtotal_minor` (priced in `currency`), or why the coupon does not
    /// apply to this shopper (`uses_by_shopper`: their earlier orders with it) at `now`.
    pub fn discount(&self, now: DateTime<Utc>, subtotal_minor: i64, currency: &str, uses_by_shopper: i64) -> Result<i64, CouponRefusal> {
        if !self.is_active {
            return Err(CouponRefusal::Unknown);
        }
        // Amounts are not converted: a code is for the currency it was written in.
        if !self.currency.eq_ignore_ascii_case(currency) {
            return Err(CouponRefusal::OtherCurrency);
        }
        if self.starts_at.is_some_and(|start| now < start) {
            return Err(CouponRefusal::NotStarted);
        }
        if self.expires_at.is_some_and(|end| now >= end) {
            return Err(CouponRefusal::Expired);
        }
        if self.usage_limit.is_some_and(|limit| self.times_used >= limit) {
            return Err(CouponRefusal::UsedUp);
        }
        if self.per_user_limit.is_some_and(|limit| uses_by_shopper >= i64::from(limit)) {
            return Err(CouponRefusal::AlreadyUsed);
        }
        if subtotal_minor < self.min_order_minor {
            return Err(CouponRefusal::BelowMinimum { minimum_minor: self.min_order_minor });
        }
        Ok(match self.kind {
            // Half a cent and up rounds in the shopper's favour.
            CouponKind::Percent => {
                let percent = self.value.clamp(0, 100) as i128;
                ((subtotal_minor as i128 * percent + 50) / 100) as i64
            }
            CouponKind::Fixed => self.value.min(subtotal_minor),
        }
        .clamp(0, subtotal_minor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn terms(kind: CouponKind, value: i64) -> CouponTerms {
        CouponTerms {
            kind,
            value,
            currency: "USD".into(),
            min_order_minor: 0,
            starts_at: None,
            expires_at: None,
            usage_limit: None,
            per_user_limit: None,
            times_used: 0,
            is_active: true,
        }
    }

    #[test]
    fn percentages_round_half_up_in_minor_units() {
        let now = Utc::now();
        assert_eq!(terms(CouponKind::Percent, 10).discount(now, 1999, "USD", 0), Ok(200)); // 199.9
        assert_eq!(terms(CouponKind::Percent, 15).discount(now, 1010, "USD", 0), Ok(152)); // 151.5
        assert_eq!(terms(CouponKind::Percent, 15).discount(now, 1003, "USD", 0), Ok(150)); // 150.45
        assert_eq!(terms(CouponKind::Percent, 100).discount(now, 4321, "USD", 0), Ok(4321));
        assert!(terms(CouponKind::Percent, 33).discount(now, i64::MAX / 50, "USD", 0).is_ok(), "no overflow");
    }

    #[test]
    fn fixed_amounts_are_capped_at_the_subtotal() {
        let now = Utc::now();
        assert_eq!(terms(CouponKind::Fixed, 1000).discount(now, 4000, "USD", 0), Ok(1000));
        assert_eq!(terms(CouponKind::Fixed, 1000).discount(now, 600, "USD", 0), Ok(600));
    }

    #[test]
    fn every_refusal_has_its_reason() {
        let now = Utc::now();
        let mut c = terms(CouponKind::Percent, 10);
        c.is_active = false;
        assert_eq!(c.discount(now, 5000, "USD", 0), Err(CouponRefusal::Unknown));

        let mut c = terms(CouponKind::Percent, 10);
        c.starts_at = Some(now + Duration::hours(1));
        assert_eq!(c.discount(now, 5000, "USD", 0), Err(CouponRefusal::NotStarted));
        c.starts_at = Some(now);
        assert_eq!(c.discount(now, 5000, "USD", 0), Ok(500), "starts inclusive");

        let mut c = terms(CouponKind::Percent, 10);
        c.expires_at = Some(now);
        assert_eq!(c.discount(now, 5000, "USD", 0), Err(CouponRefusal::Expired), "expiry exclusive");
        c.expires_at = Some(now + Duration::seconds(1));
        assert!(c.discount(now, 5000, "USD", 0).is_ok());

        let mut c = terms(CouponKind::Fixed, 500);
        c.usage_limit = Some(3);
        c.times_used = 3;
        assert_eq!(c.discount(now, 5000, "USD", 0), Err(CouponRefusal::UsedUp));
        c.times_used = 2;
        assert_eq!(c.discount(now, 5000, "USD", 0), Ok(500));

        let mut c = terms(CouponKind::Fixed, 500);
        c.per_user_limit = Some(1);
        assert_eq!(c.discount(now, 5000, "USD", 1), Err(CouponRefusal::AlreadyUsed));
        assert_eq!(c.discount(now, 5000, "USD", 0), Ok(500));

        let mut c = terms(CouponKind::Fixed, 500);
        c.min_order_minor = 5000;
        assert_eq!(c.discount(now, 4999, "USD", 0), Err(CouponRefusal::BelowMinimum { minimum_minor: 5000 }));
        assert_eq!(c.discount(now, 5000, "USD", 0), Ok(500));
        assert_eq!(CouponRefusal::BelowMinimum { minimum_minor: 5000 }.message("USD"), "That code needs an order of at least $50.00.");
    }

    #[test]
    fn a_code_applies_only_to_prices_in_its_own_currency() {
        let now = Utc::now();
        let c = terms(CouponKind::Fixed, 2000);
        assert_eq!(c.discount(now, 5000, "EUR", 0), Err(CouponRefusal::OtherCurrency));
        assert_eq!(c.discount(now, 5000, "usd", 0), Ok(2000));
        assert_eq!(terms(CouponKind::Percent, 10).discount(now, 5000, "GBP", 0), Err(CouponRefusal::OtherCurrency));
        assert_eq!(CouponRefusal::OtherCurrency.message("EUR"), "That code can't be used for prices in EUR.");
    }
}
