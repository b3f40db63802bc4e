//! What an order costs: subtotal, coupon discount, delivery and total, in integer minor
//! units. Pure functions, so every rule here is unit-tested without a database. Below both
//! checkout (which quotes) and orders (which places), so the two agree by construction;
//! the coupon rules that give the discount live in `coupons`.

use serde::{Deserialize, Serialize};

/// How the parcel travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum DeliveryMethod {
    #[default]
    Standard,
    Express,
}

impl DeliveryMethod {
    pub const ALL: [Self; 2] = [Self::Standard, Self::Express];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Express => "express",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Standard => "Standard delivery (3–5 working days)",
            Self::Express => "Express delivery (next working day)",
        }
    }
}

/// Delivery prices, from configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRates {
    pub standard_minor: i64,
    pub express_minor: i64,
    /// Standard delivery is free once the goods (after discount) reach this amount.
    pub free_standard_from_minor: i64,
}

impl DeliveryRates {
    pub fn price(&self, method: DeliveryMethod, goods_minor: i64) -> i64 {
        match method {
            DeliveryMethod::Standard if goods_minor >= self.free_standard_from_minor => 0,
            DeliveryMethod::Standard => self.standard_minor,
            DeliveryMethod::Express => self.express_minor,
        }
    }

    /// The delivery promise the storefront shows, from the configured threshold.
    pub fn promise(&self, currency: &str) -> String {
        if self.free_standard_from_minor == 0 {
            "Free shipping on every order".to_owned()
        } else {
            format!("Free shipping on orders over {}", crate::money::Money::new(self.free_standard_from_minor, currency))
        }
    }
}

/// The money of an order, all computed on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Totals {
    pub subtotal_minor: i64,
    pub discount_minor: i64,
    pub delivery_minor: i64,
    pub total_minor: i64,
}

impl Totals {
    /// `lines`: (unit price, quantity) pairs.
    pub fn compute(lines: impl IntoIterator<Item = (i64, i32)>, discount_minor: i64, delivery: DeliveryMethod, rates: &DeliveryRates) -> Self {
        let subtotal_minor: i64 = lines.into_iter().map(|(price, quantity)| price * i64::from(quantity)).sum();
        let discount_minor = discount_minor.clamp(0, subtotal_minor);
        let delivery_minor = if subtotal_minor == 0 { 0 } else { rates.price(delivery, subtotal_minor - discount_minor) };
        Self { subtotal_minor, discount_minor, delivery_minor, total_minor: subtotal_minor - discount_minor + delivery_minor }
    }

    /// What checkout shows: the order's totals once a delivery method is chosen (the rule
    /// placing uses), and until then the goods alone, delivery 0, so the total never holds
    /// a price the shopper has not been shown.
    pub fn quote(lines: impl IntoIterator<Item = (i64, i32)>, discount_minor: i64, delivery: Option<DeliveryMethod>, rates: &DeliveryRates) -> Self {
        let totals = Self::compute(lines, discount_minor, delivery.unwrap_or_default(), rates);
        match delivery {
            Some(_) => totals,
            None => Self { delivery_minor: 0, total_minor: totals.subtotal_minor - totals.discount_minor, ..totals },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATES: DeliveryRates = DeliveryRates { standard_minor: 500, express_minor: 1500, free_standard_from_minor: 7500 };

    #[test]
    fn the_promise_follows_the_configured_threshold() {
        assert_eq!(RATES.promise("USD"), "Free shipping on orders over $75.00");
        assert_eq!(DeliveryRates { free_standard_from_minor: 0, ..RATES }.promise("USD"), "Free shipping on every order");
    }

    #[test]
    fn totals_add_lines_and_delivery() {
        let t = Totals::compute([(2500, 2), (1999, 1)], 0, DeliveryMethod::Standard, &RATES);
        assert_eq!(t, Totals { subtotal_minor: 6999, discount_minor: 0, delivery_minor: 500, total_minor: 7499 });
        let express = Totals::compute([(2500, 2), (1999, 1)], 0, DeliveryMethod::Express, &RATES);
        assert_eq!(express.delivery_minor, 1500);
        assert_eq!(express.total_minor, 8499);
    }

    #[test]
    fn standard_delivery_is_free_from_the_threshold_after_discount() {
        assert_eq!(Totals::compute([(7500, 1)], 0, DeliveryMethod::Standard, &RATES).delivery_minor, 0);
        // The discount takes the goods below the threshold: delivery is charged again.
        let t = Totals::compute([(7500, 1)], 1, DeliveryMethod::Standard, &RATES);
        assert_eq!((t.delivery_minor, t.total_minor), (500, 7999));
        assert_eq!(Totals::compute([(9000, 1)], 0, DeliveryMethod::Express, &RATES).delivery_minor, 1500);
        assert_eq!(Totals::compute(Vec::<(i64, i32)>::new(), 0, DeliveryMethod::Express, &RATES).total_minor, 0);
    }

    #[test]
    fn before_delivery_is_chosen_the_quote_holds_the_goods_alone() {
        let lines = [(2500, 2), (1999, 1)];
        let before = Totals::quote(lines, 300, None, &RATES);
        assert_eq!(before, Totals { subtotal_minor: 6999, discount_minor: 300, delivery_minor: 0, total_minor: 6699 });
        for method in DeliveryMethod::ALL {
            assert_eq!(Totals::quote(lines, 300, Some(method), &RATES), Totals::compute(lines, 300, method, &RATES), "the rule placing uses");
        }
        assert_eq!(Totals::quote(Vec::<(i64, i32)>::new(), 0, None, &RATES).total_minor, 0);
    }

    #[test]
    fn a_discount_never_exceeds_the_goods() {
        let t = Totals::compute([(1000, 1)], 5000, DeliveryMethod::Standard, &RATES);
        assert_eq!((t.discount_minor, t.total_minor), (1000, 500));
    }

    #[test]
    fn delivery_methods_round_trip() {
        for m in DeliveryMethod::ALL {
            assert_eq!(DeliveryMethod::parse(m.as_str()), Some(m));
        }
        assert_eq!(DeliveryMethod::parse("drone"), None);
    }
}
