//! What the checkout page shows, and the checks on a delivery address.

use crate::pricing::{DeliveryMethod, Totals};
use crate::{
    cart::CartView,
    orders::{AddressSnapshot, PaymentMethod},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedAddress {
    pub id: Uuid,
    pub address: AddressSnapshot,
    pub is_default: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub email: String,
    pub phone: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    Contact,
    Address,
    Delivery,
    Review,
}

impl Step {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "contact" => Some(Self::Contact),
            "address" => Some(Self::Address),
            "delivery" => Some(Self::Delivery),
            "review" => Some(Self::Review),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutView {
    pub cart: CartView,
    /// The first step not yet done (or the one the shopper chose to change).
    pub step: Step,
    pub contact: Option<Contact>,
    /// A signed-in customer's email, offered in the contact form.
    pub known_email: String,
    pub addresses: Vec<SavedAddress>,
    pub address: Option<SavedAddress>,
    pub countries: Vec<Place>,
    pub delivery: Option<DeliveryMethod>,
    /// Each method with its price for this cart.
    pub delivery_prices: Vec<(DeliveryMethod, i64)>,
    pub coupon: Option<String>,
    pub totals: Totals,
    pub payment_methods: Vec<PaymentMethod>,
    /// Sent back when placing the order: the same key never places two orders.
    pub order_key: String,
}

/// A postal code checked against the country's format where the store knows it.
pub fn parse_postal_code(country_code: &str, raw: &str) -> Result<String, &'static str> {
    let code = raw.trim().to_uppercase();
    if code.is_empty() {
        return Err("Enter the postal code.");
    }
    let chars: Vec<char> = code.chars().collect();
    let digits = |s: &[char]| s.iter().all(char::is_ascii_digit);
    let ok = match country_code {
        "US" => (chars.len() == 5 && digits(&chars)) || (chars.len() == 10 && digits(&chars[..5]) && chars[5] == '-' && digits(&chars[6..])),
        "DE" => chars.len() == 5 && digits(&chars),
        "CA" => {
            let c: Vec<char> = chars.iter().copied().filter(|c| *c != ' ').collect();
            c.len() == 6 && c.iter().enumerate().all(|(i, ch)| if i % 2 == 0 { ch.is_ascii_alphabetic() } else { ch.is_ascii_digit() })
        }
        "GB" => {
            let c: Vec<char> = chars.iter().copied().filter(|c| *c != ' ').collect();
            (5..=7).contains(&c.len())
                && c[0].is_ascii_alphabetic()
                && c.iter().all(char::is_ascii_alphanumeric)
                && c[c.len() - 3].is_ascii_digit()
                && c[c.len() - 2..].iter().all(char::is_ascii_alphabetic)
        }
        _ => (2..=10).contains(&chars.len()) && chars.iter().all(|c| c.is_ascii_alphanumeric() || *c == ' ' || *c == '-'),
    };
    if ok {
        Ok(code)
    } else {
        Err(match country_code {
            "US" => "Enter a ZIP code like 94105 or 94105-1234.",
            "DE" => "Enter a five-digit postcode like 10115.",
            "CA" => "Enter a postal code like K1A 0B1.",
            "GB" => "Enter a postcode like SW1A 1AA.",
            _ => "Enter a valid postal code.",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::parse_postal_code;

    #[test]
    fn postal_codes_follow_each_country() {
        for (country, good) in [("US", "94105"), ("US", "94105-1234"), ("DE", "10115"), ("CA", "k1a 0b1"), ("GB", "sw1a 1aa"), ("GB", "M1 1AE"), ("FR", "75001")] {
            assert!(parse_postal_code(country, good).is_ok(), "{country} {good}");
        }
        assert_eq!(parse_postal_code("CA", " k1a 0b1 ").unwrap(), "K1A 0B1");
        for (country, bad) in [("US", "9410"), ("US", "ABCDE"), ("DE", "1011"), ("CA", "111 111"), ("GB", "12345"), ("FR", "!"), ("US", "")] {
            assert!(parse_postal_code(country, bad).is_err(), "{country} {bad}");
        }
    }
}
