//! The shopping cart: lines per colour + size, read back with the catalogue's current prices
//! and stock, and the actions that change it. Prices are never taken from the browser.

pub mod api;
pub mod components;
#[cfg(feature = "ssr")]
pub mod server;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use api::*;

/// Most units of one colour+size a single line may hold.
pub const MAX_LINE_QUANTITY: i32 = 10;

/// What changed about a line since the shopper put it in the cart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LineIssue {
    /// The product was taken off sale.
    Unavailable,
    SoldOut,
    /// Fewer units are left than the line holds.
    OnlyLeft(i32),
    /// The price differs from the one the shopper saw.
    PriceChanged { was_minor: i64 },
}

impl LineIssue {
    pub fn message(self, currency: &str) -> String {
        match self {
            Self::Unavailable => "This item is no longer sold and will be removed.".into(),
            Self::SoldOut => "This size has sold out and will be removed.".into(),
            Self::OnlyLeft(n) => format!("Only {n} left: the quantity will be lowered to {n}."),
            Self::PriceChanged { was_minor } => {
                format!("The price changed from {}.", crate::money::Money::new(was_minor, currency))
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub variant_id: Uuid,
    pub product_name: String,
    pub product_slug: String,
    pub colour_name: String,
    pub colour_slug: String,
    pub size_label: String,
    pub image_url: Option<String>,
    pub unit_price_minor: i64,
    pub quantity: i32,
    pub currency: String,
    pub issue: Option<LineIssue>,
}

impl CartLine {
    pub fn line_total_minor(&self) -> i64 {
        self.unit_price_minor * i64::from(self.quantity)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartView {
    pub lines: Vec<CartLine>,
    pub currency: String,
}

impl CartView {
    pub fn item_count(&self) -> i64 {
        self.lines.iter().map(|l| i64::from(l.quantity)).sum()
    }

    /// Goods at today's prices (lines that can still be bought).
    pub fn subtotal_minor(&self) -> i64 {
        self.lines.iter().filter(|l| !matches!(l.issue, Some(LineIssue::Unavailable | LineIssue::SoldOut))).map(CartLine::line_total_minor).sum()
    }

    /// Checkout waits until the shopper has seen every change.
    pub fn needs_review(&self) -> bool {
        self.lines.iter().any(|l| l.issue.is_some())
    }
}

/// The confirmation after adding to the cart.
pub fn added_message(count: i64) -> String {
    format!("Added to your cart — {count} item{} in total.", if count == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(price: i64, quantity: i32, issue: Option<LineIssue>) -> CartLine {
        CartLine {
            variant_id: Uuid::nil(),
            product_name: "Tee".into(),
            product_slug: "tee".into(),
            colour_name: "Sage".into(),
            colour_slug: "sage".into(),
            size_label: "M".into(),
            image_url: None,
            unit_price_minor: price,
            quantity,
            currency: "USD".into(),
            issue,
        }
    }

    #[test]
    fn subtotal_leaves_out_what_cannot_be_bought() {
        let cart = CartView {
            lines: vec![line(2500, 2, None), line(1000, 1, Some(LineIssue::SoldOut)), line(999, 1, Some(LineIssue::PriceChanged { was_minor: 899 }))],
            currency: "USD".into(),
        };
        assert_eq!(cart.subtotal_minor(), 5999);
        assert_eq!(cart.item_count(), 4);
        assert!(cart.needs_review());
        assert_eq!(LineIssue::PriceChanged { was_minor: 899 }.message("USD"), "The price changed from $8.99.");
    }
}
