//! Orders as the shopper and staff see them, and the one place that says which status
//! changes are legal (the database holds the same list, see the checkout migration).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderStatus {
    Pending,
    Paid,
    Processing,
    Shipped,
    Delivered,
    Cancelled,
    Refunded,
}

impl OrderStatus {
    pub const ALL: [Self; 7] =
        [Self::Pending, Self::Paid, Self::Processing, Self::Shipped, Self::Delivered, Self::Cancelled, Self::Refunded];
    /// Orders whose goods count as sold: verified purchases, "bought together", sold counts.
    pub const SOLD: [Self; 4] = [Self::Paid, Self::Processing, Self::Shipped, Self::Delivered];
    /// Orders the shop still has to act on.
    pub const OPEN: [Self; 3] = [Self::Pending, Self::Paid, Self::Processing];

    /// The database names of `statuses`, to bind as `status = any($n)`.
    pub fn names(statuses: &[Self]) -> Vec<&'static str> {
        statuses.iter().map(|s| s.as_str()).collect()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Processing => "processing",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Paid => "Paid",
            Self::Processing => "Processing",
            Self::Shipped => "Shipped",
            Self::Delivered => "Delivered",
            Self::Cancelled => "Cancelled",
            Self::Refunded => "Refunded",
        }
    }

    /// The legal moves: pending → paid → processing → shipped → delivered, cancelling before
    /// shipping, refunding once paid.
    pub fn can_become(self, next: Self) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (Pending, Paid | Cancelled)
                | (Paid, Processing | Cancelled | Refunded)
                | (Processing, Shipped | Cancelled | Refunded)
                | (Shipped, Delivered | Refunded)
                | (Delivered, Refunded)
        )
    }

    /// Units are still held for the order (not yet taken from stock).
    pub fn holds_reservation(self) -> bool {
        self == Self::Pending
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PaymentMethod {
    Stripe,
    CashOnDelivery,
    BankTransfer,
}

impl PaymentMethod {
    pub const ALL: [Self; 3] = [Self::Stripe, Self::CashOnDelivery, Self::BankTransfer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stripe => "stripe",
            Self::CashOnDelivery => "cash_on_delivery",
            Self::BankTransfer => "bank_transfer",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Stripe => "Card (secure payment page by Stripe)",
            Self::CashOnDelivery => "Cash on delivery",
            Self::BankTransfer => "Bank transfer",
        }
    }

    pub fn is_offline(self) -> bool {
        self != Self::Stripe
    }
}

/// Who changed an order's status (`order_status_history.actor_kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Customer(Uuid),
    Staff(Uuid),
    System,
    PaymentProvider,
}

impl Actor {
    pub fn kind(self) -> &'static str {
        match self {
            Self::Customer(_) => "customer",
            Self::Staff(_) => "staff",
            Self::System => "system",
            Self::PaymentProvider => "payment_provider",
        }
    }

    pub fn user_id(self) -> Option<Uuid> {
        match self {
            Self::Customer(id) | Self::Staff(id) => Some(id),
            Self::System | Self::PaymentProvider => None,
        }
    }

    /// Whether this actor may make the (legal) move `from` → `to`. A customer may only call
    /// off an order still waiting for payment; the payment provider confirms payments and
    /// full refunds; the store itself only releases unpaid orders; staff make the rest.
    pub fn may_move(self, from: OrderStatus, to: OrderStatus) -> bool {
        use OrderStatus::*;
        from.can_become(to)
            && match self {
                Self::Customer(_) => (from, to) == (Pending, Cancelled),
                Self::PaymentProvider => matches!((from, to), (Pending, Paid) | (_, Refunded)),
                Self::System => (from, to) == (Pending, Cancelled),
                Self::Staff(_) => true,
            }
    }

    /// Why `may_move` said no, in words for the person who asked.
    pub fn refusal(self, from: OrderStatus, to: OrderStatus) -> String {
        match (self, to) {
            (Self::Customer(_), OrderStatus::Cancelled) if from.can_become(to) => format!(
                "This order is {} and can no longer be cancelled here. Please contact us and we'll help.",
                from.label().to_lowercase()
            ),
            _ => format!("This order is {} and cannot become {}.", from.label().to_lowercase(), to.label().to_lowercase()),
        }
    }
}

/// `#100234`: what shoppers quote on the phone.
pub fn display_number(number: i64) -> String {
    format!("#{number}")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    pub number: i64,
    pub status: OrderStatus,
    pub placed_at: DateTime<Utc>,
    pub total_minor: i64,
    pub currency: String,
    pub item_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product_name: String,
    pub product_slug: Option<String>,
    pub colour_name: String,
    pub size_label: String,
    pub unit_price_minor: i64,
    pub quantity: i32,
    pub line_total_minor: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AddressSnapshot {
    pub recipient_name: String,
    pub phone: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub state: String,
    pub country: String,
    pub country_code: String,
    pub postal_code: String,
}

impl AddressSnapshot {
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![self.recipient_name.clone(), self.line1.clone()];
        if !self.line2.is_empty() {
            lines.push(self.line2.clone());
        }
        lines.push(format!("{}, {} {}", self.city, self.state, self.postal_code));
        lines.push(self.country.clone());
        lines
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub status: OrderStatus,
    pub at: DateTime<Utc>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDetail {
    pub number: i64,
    pub status: OrderStatus,
    pub placed_at: DateTime<Utc>,
    pub currency: String,
    pub lines: Vec<OrderLine>,
    pub subtotal_minor: i64,
    pub discount_minor: i64,
    pub delivery_minor: i64,
    pub total_minor: i64,
    pub delivery_method: crate::pricing::DeliveryMethod,
    pub payment_method: PaymentMethod,
    /// The latest payment's status ("pending", "succeeded", "failed", …).
    pub payment_status: String,
    pub address: AddressSnapshot,
    pub email: String,
    pub tracking_number: Option<String>,
    pub history: Vec<StatusChange>,
    /// "Pay now" leads somewhere: an unpaid card order whose payment page is open, or that
    /// still has time for a new one (`payments::server::payable_by_card`).
    pub can_pay: bool,
    pub can_cancel: bool,
    /// When an unpaid order is released if its payment has not arrived.
    pub pay_by: Option<DateTime<Utc>>,
    /// Where to send the money, for a bank-transfer order still waiting for it.
    pub bank_details: Option<String>,
    /// The order's email is one its customer has proven: only then does the store write to
    /// it (so checkout cannot be used to send mail to strangers).
    pub email_confirmed: bool,
    /// When an unpaid order's stock is released, and until when its payment page is open.
    #[serde(default)]
    pub reserved_until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub open_page_until: Option<DateTime<Utc>>,
}

impl OrderDetail {
    /// How to pay a bank-transfer order that is still waiting for the money.
    pub fn transfer_instructions(&self) -> Option<String> {
        let details = self.bank_details.as_deref()?;
        let total = crate::money::Money::new(self.total_minor, self.currency.clone());
        let by = self.pay_by.map(|at| format!(" by {}", at.format("%e %B %Y").to_string().trim())).unwrap_or_default();
        Some(format!(
            "Please transfer {total} to {details}, with {} as the reference{by}. We hold your items until then.",
            display_number(self.number)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::{self, *};

    #[test]
    fn only_legal_moves_are_allowed() {
        let legal = [
            (Pending, Paid),
            (Pending, Cancelled),
            (Paid, Processing),
            (Paid, Cancelled),
            (Paid, Refunded),
            (Processing, Shipped),
            (Processing, Cancelled),
            (Processing, Refunded),
            (Shipped, Delivered),
            (Shipped, Refunded),
            (Delivered, Refunded),
        ];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                assert_eq!(from.can_become(to), legal.contains(&(from, to)), "{from:?} → {to:?}");
            }
        }
        assert!(!Cancelled.can_become(Paid), "a released order cannot be paid");
        assert!(!Refunded.can_become(Pending));
    }

    #[test]
    fn each_actor_makes_only_its_own_moves() {
        use super::Actor;
        let someone = uuid::Uuid::nil();
        let actors = [Actor::Customer(someone), Actor::Staff(someone), Actor::System, Actor::PaymentProvider];
        // Every move any actor may make; everything else is refused for that actor.
        let allowed = |actor: Actor, from: OrderStatus, to: OrderStatus| match actor {
            Actor::Customer(_) | Actor::System => [(Pending, Cancelled)].contains(&(from, to)),
            Actor::PaymentProvider => {
                [(Pending, Paid), (Paid, Refunded), (Processing, Refunded), (Shipped, Refunded), (Delivered, Refunded)].contains(&(from, to))
            }
            Actor::Staff(_) => from.can_become(to),
        };
        for actor in actors {
            for from in OrderStatus::ALL {
                for to in OrderStatus::ALL {
                    assert_eq!(actor.may_move(from, to), allowed(actor, from, to), "{actor:?}: {from:?} → {to:?}");
                }
            }
        }
        let customer = Actor::Customer(someone);
        assert!(!customer.may_move(Paid, Cancelled), "a paid order is not the customer's to cancel");
        assert!(!customer.may_move(Processing, Cancelled));
        assert!(customer.refusal(Paid, Cancelled).contains("can no longer be cancelled"));
        assert!(!Actor::PaymentProvider.may_move(Paid, Cancelled));
        assert!(!Actor::System.may_move(Paid, Cancelled), "the hold expiry never touches a paid order");
    }

    #[test]
    fn statuses_round_trip() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(OrderStatus::parse("lost"), None);
    }
}
