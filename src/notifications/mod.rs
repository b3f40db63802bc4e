//! What a customer is told, and how: one notification per event they should know about
//! (an order's steps, a review's moderation and replies, a sign-in from a new device, a
//! waited-for size back in stock), shown behind the header's bell and on
//! `/account/notifications`, and sent by email or text message as their preferences say.
//!
//! Each event has a key (`order:<id>:shipped`, …) that is unique per customer, so a retried
//! job, a webhook delivered twice or two instances racing record it once and send its
//! email once. Receipts and security alerts always go by email; every other email carries
//! a one-click unsubscribe that needs no sign-in.

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crate::text_enum! {
    /// A kind of notification, as the preferences group them.
    pub enum Topic {
        /// Placed, paid, cancelled, refunded: receipts.
        Orders = "orders",
        /// Shipped (with tracking) and delivered.
        Shipping = "shipping",
        /// A review approved, rejected or replied to.
        Reviews = "reviews",
        /// A sign-in from a device the account never used.
        Security = "security",
        /// A size on the wishlist is back.
        BackInStock = "back_in_stock",
    }
}

/// Where one topic's notifications go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channels {
    pub in_store: bool,
    pub email: bool,
    pub sms: bool,
}

impl Topic {
    pub fn label(self) -> &'static str {
        match self {
            Self::Orders => "Order receipts",
            Self::Shipping => "Shipping updates",
            Self::Reviews => "Your reviews",
            Self::Security => "Security alerts",
            Self::BackInStock => "Back in stock",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::Orders => "Order confirmations, payments, cancellations and refunds.",
            Self::Shipping => "When an order ships (with its tracking number) and when it arrives.",
            Self::Reviews => "When a review of yours is published, declined or answered.",
            Self::Security => "A sign-in to your account from a device it never used.",
            Self::BackInStock => "When a size you're waiting for can be bought again.",
        }
    }

    /// Receipts and security alerts always go by email: the customer cannot turn it off.
    pub fn email_required(self) -> bool {
        matches!(self, Self::Orders | Self::Security)
    }

    /// Only shipping news goes by text message.
    pub fn offers_sms(self) -> bool {
        matches!(self, Self::Shipping)
    }

    /// What a customer who never changed anything gets.
    pub fn defaults(self) -> Channels {
        Channels { in_store: true, email: true, sms: false }
    }

    /// `wanted` with what the customer may not turn off (or on) put right.
    pub fn allowed(self, wanted: Channels) -> Channels {
        Channels { in_store: wanted.in_store, email: wanted.email || self.email_required(), sms: wanted.sms && self.offers_sms() }
    }
}

/// One topic's row on the preferences page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicPreference {
    pub topic: Topic,
    pub channels: Channels,
}

/// News and offers by email: the newsletter, for the customer's primary address. Off until
/// they opt in, which needs their consent to marketing (the cookie choice); withdrawing
/// that consent turns it off again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marketing {
    /// The proven primary address it would go to (none: it cannot be turned on).
    pub email: Option<String>,
    pub subscribed: bool,
    /// The visitor allowed marketing in their cookie choice.
    pub consent: bool,
}

/// Everything the settings page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationChoices {
    pub topics: Vec<TopicPreference>,
    pub marketing: Marketing,
}

/// A notification as its list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationItem {
    pub id: Uuid,
    pub topic: Option<Topic>,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub read: bool,
    pub created_at: DateTime<Utc>,
}

/// One page of the notifications list, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationPage {
    pub items: Vec<NotificationItem>,
    pub page: i64,
    pub pages: i64,
    pub unread: i64,
}

/// Notifications on one page of the list.
pub const PAGE_SIZE: i64 = 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_and_security_alerts_always_go_by_email_and_only_shipping_by_text() {
        let nothing = Channels { in_store: false, email: false, sms: true };
        for topic in Topic::ALL {
            let kept = topic.allowed(nothing);
            assert_eq!(kept.email, topic.email_required(), "{topic:?}");
            assert_eq!(kept.sms, *topic == Topic::Shipping, "{topic:?}");
            assert!(!kept.in_store, "the bell can always be turned off ({topic:?})");
        }
        assert!(Topic::Orders.email_required() && Topic::Security.email_required());
        assert!(!Topic::Reviews.email_required() && !Topic::Shipping.email_required() && !Topic::BackInStock.email_required());
    }

    #[test]
    fn defaults_are_allowed_as_they_are() {
        for topic in Topic::ALL {
            assert_eq!(topic.allowed(topic.defaults()), topic.defaults());
        }
    }
}
