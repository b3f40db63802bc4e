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
    /// shipping, refunding once paid. A cash-on-delivery order is confirmed straight into
    /// processing (it is paid at the door); `transition` allows that step to no other order.
    pub fn can_become(self, next: Self) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (Pending, Paid | Processing | Cancelled)
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

crate::text_enum! {
    /// Where one payment of an order stands (`payments.status`).
    pub enum PaymentStatus {
        Pending = "pending",
        Succeeded = "succeeded",
        Failed = "failed",
        Cancelled = "cancelled",
        Refunded = "refunded",
        PartiallyRefunded = "partially_refunded",
    }
}

impl PaymentStatus {
    /// Payments that took money (some of which may have gone back).
    pub const TOOK_MONEY: [Self; 3] = [Self::Succeeded, Self::PartiallyRefunded, Self::Refunded];
    /// Card payments whose page may still be paid.
    pub const PAYABLE: [Self; 2] = [Self::Pending, Self::Failed];

    pub fn names(statuses: &[Self]) -> Vec<&'static str> {
        statuses.iter().map(|s| s.as_str()).collect()
    }

    /// What the shopper reads about the order's latest payment.
    pub fn label(self) -> &'static str {
        match self {
            Self::Succeeded => "Paid",
            Self::Failed => "The last payment attempt failed",
            Self::Cancelled => "Cancelled",
            Self::Refunded => "Refunded",
            Self::PartiallyRefunded => "Partly refunded",
            Self::Pending => "Awaiting payment",
        }
    }
}

crate::text_enum! {
    /// A refund asked of the payment provider or recorded (`refunds.status`). A pending one
    /// counts as given back until it is definitely refused.
    pub enum RefundStatus {
        Pending = "pending",
        Succeeded = "succeeded",
        Failed = "failed",
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
    /// The latest payment's status.
    pub payment_status: PaymentStatus,
    pub address: AddressSnapshot,
    pub email: String,
    pub tracking_number: Option<String>,
    /// Who carries the parcel, once shipped.
    #[serde(default)]
    pub carrier: Option<String>,
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

/// A step staff take on an order from its page. Which are offered depends on where the order
/// stands and how it is paid (`StaffMove::offered`); the server refuses any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StaffMove {
    /// A bank transfer arrived, or cash was taken before shipping.
    MarkPaid,
    /// A cash-on-delivery order is accepted and goes to packing unpaid.
    Confirm,
    Process,
    Ship,
    Deliver,
    Cancel,
    /// The courier brought back the cash of a cash-on-delivery order.
    CashCollected,
}

impl StaffMove {
    pub const ALL: [Self; 7] = [Self::MarkPaid, Self::Confirm, Self::Process, Self::Ship, Self::Deliver, Self::Cancel, Self::CashCollected];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::MarkPaid => "mark_paid",
            Self::Confirm => "confirm",
            Self::Process => "process",
            Self::Ship => "ship",
            Self::Deliver => "deliver",
            Self::Cancel => "cancel",
            Self::CashCollected => "cash_collected",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == raw)
    }

    /// The button's words.
    pub fn label(self, method: PaymentMethod) -> &'static str {
        match (self, method) {
            (Self::MarkPaid, PaymentMethod::BankTransfer) => "Mark paid: transfer received",
            (Self::MarkPaid, _) => "Mark paid: cash collected",
            (Self::Confirm, _) => "Confirm order (cash on delivery)",
            (Self::Process, _) => "Start processing",
            (Self::Ship, _) => "Mark shipped",
            (Self::Deliver, _) => "Mark delivered",
            (Self::Cancel, _) => "Cancel order",
            (Self::CashCollected, _) => "Cash collected",
        }
    }

    /// The status the move leads to (`None`: the order stays where it is).
    pub fn target(self) -> Option<OrderStatus> {
        match self {
            Self::MarkPaid => Some(OrderStatus::Paid),
            Self::Confirm | Self::Process => Some(OrderStatus::Processing),
            Self::Ship => Some(OrderStatus::Shipped),
            Self::Deliver => Some(OrderStatus::Delivered),
            Self::Cancel => Some(OrderStatus::Cancelled),
            Self::CashCollected => None,
        }
    }

    /// The moves staff may make on an order at `status`, paid by `method`, whose latest
    /// payment is at `payment`. Card orders are paid through Stripe only; a cash-on-delivery
    /// order is confirmed unpaid and its cash recorded once collected.
    pub fn offered(status: OrderStatus, method: PaymentMethod, payment: PaymentStatus) -> Vec<Self> {
        use OrderStatus::*;
        let cash_due = method == PaymentMethod::CashOnDelivery && payment == PaymentStatus::Pending;
        let mut moves = match (status, method) {
            (Pending, PaymentMethod::BankTransfer) => vec![Self::MarkPaid, Self::Cancel],
            (Pending, PaymentMethod::CashOnDelivery) => vec![Self::Confirm, Self::Cancel],
            (Pending, PaymentMethod::Stripe) => vec![Self::Cancel],
            (Paid, _) => vec![Self::Process, Self::Cancel],
            (Processing, _) => vec![Self::Ship, Self::Cancel],
            (Shipped, _) => vec![Self::Deliver],
            (Delivered | Cancelled | Refunded, _) => vec![],
        };
        if cash_due && matches!(status, Processing | Shipped | Delivered) {
            moves.push(Self::CashCollected);
        }
        moves
    }
}

/// A row of the staff order list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffOrderRow {
    pub number: i64,
    pub placed_at: DateTime<Utc>,
    pub status: OrderStatus,
    pub payment_method: PaymentMethod,
    pub payment_status: PaymentStatus,
    /// The customer's name, or the order's email when they gave none.
    pub customer: String,
    pub email: String,
    pub items: i64,
    pub total_minor: i64,
    pub currency: String,
}

/// What every order the current filter matches adds up to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTotals {
    pub orders: i64,
    pub total_minor: i64,
    /// Given back (refunds not refused).
    pub refunded_minor: i64,
    pub currency: String,
}

/// A line as staff see it: what was paid and how much of it went back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffLine {
    pub id: Uuid,
    pub product_name: String,
    pub colour_name: String,
    pub size_label: String,
    pub sku: String,
    pub unit_price_minor: i64,
    pub quantity: i32,
    pub line_total_minor: i64,
    pub refunded_quantity: i32,
    pub restocked_quantity: i32,
    /// The size still exists, so its units can go back on sale.
    pub in_catalogue: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentView {
    pub method: PaymentMethod,
    pub status: PaymentStatus,
    pub amount_minor: i64,
    pub refunded_minor: i64,
    pub reference: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundView {
    pub amount_minor: i64,
    pub status: RefundStatus,
    /// Given back outside the store (cash, a bank transfer) and recorded by staff.
    pub offline: bool,
    pub reason: String,
    pub by: String,
    pub at: DateTime<Utc>,
    /// "2 × Linen shirt, Sage / M (back in stock)".
    pub lines: Vec<String>,
}

/// One status change with who made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub from: Option<OrderStatus>,
    pub to: OrderStatus,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub note: String,
}

/// A staff-only note on an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderNote {
    pub at: DateTime<Utc>,
    pub author: String,
    pub body: String,
}

/// An order as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffOrder {
    pub id: Uuid,
    pub order: OrderDetail,
    pub customer_id: Option<Uuid>,
    pub customer_name: String,
    pub phone: String,
    pub lines: Vec<StaffLine>,
    pub payments: Vec<PaymentView>,
    pub refunds: Vec<RefundView>,
    pub history: Vec<HistoryEntry>,
    pub notes: Vec<OrderNote>,
    pub moves: Vec<StaffMove>,
    /// Money taken and not given back (pending refunds count as given back).
    pub refundable_minor: i64,
    /// Refunded units may go back on sale (not after a cancellation, which restocked them).
    pub can_restock: bool,
}

/// Which email an order event sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OrderEmail {
    Placed,
    Paid,
    Shipped,
    Delivered,
    Cancelled,
    Refunded,
}

impl OrderEmail {
    /// The step's name in notification keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Placed => "placed",
            Self::Paid => "paid",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::{self, *};

    #[test]
    fn only_legal_moves_are_allowed() {
        let legal = [
            (Pending, Paid),
            (Pending, Processing),
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
    fn staff_are_offered_only_moves_the_state_machine_and_the_payment_method_allow() {
        use super::{PaymentMethod, PaymentStatus, StaffMove};
        for status in OrderStatus::ALL {
            for method in PaymentMethod::ALL {
                for payment in [PaymentStatus::Pending, PaymentStatus::Succeeded] {
                    for m in StaffMove::offered(status, method, payment) {
                        if let Some(to) = m.target() {
                            assert!(super::Actor::Staff(uuid::Uuid::nil()).may_move(status, to), "{status:?} {method:?}: {m:?}");
                        }
                    }
                }
            }
        }
        let card = StaffMove::offered(Pending, PaymentMethod::Stripe, PaymentStatus::Pending);
        assert_eq!(card, vec![StaffMove::Cancel], "card money is confirmed by Stripe, not by staff");
        assert_eq!(StaffMove::offered(Pending, PaymentMethod::BankTransfer, PaymentStatus::Pending), vec![StaffMove::MarkPaid, StaffMove::Cancel]);
        assert_eq!(StaffMove::offered(Pending, PaymentMethod::CashOnDelivery, PaymentStatus::Pending), vec![StaffMove::Confirm, StaffMove::Cancel]);
        assert_eq!(StaffMove::offered(Shipped, PaymentMethod::CashOnDelivery, PaymentStatus::Pending), vec![StaffMove::Deliver, StaffMove::CashCollected]);
        assert_eq!(StaffMove::offered(Delivered, PaymentMethod::CashOnDelivery, PaymentStatus::Succeeded), vec![]);
        assert!(StaffMove::offered(Shipped, PaymentMethod::Stripe, PaymentStatus::Succeeded) == vec![StaffMove::Deliver], "shipped goods are not cancelled");
        for m in StaffMove::ALL {
            assert_eq!(StaffMove::parse(m.as_str()), Some(m));
        }
    }

    #[test]
    fn statuses_round_trip() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(OrderStatus::parse("lost"), None);
    }
}
