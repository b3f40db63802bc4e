//! The newsletter: a sign-up form in every page's footer (and at `/newsletter`), double
//! opt-in by email, an unsubscribe link in every newsletter mail (with one-click
//! `List-Unsubscribe`), and the subscriber list staff see and export.
//!
//! Signing up answers the same whatever the address's history, so the form tells nobody
//! who subscribes: a new or unconfirmed address is sent a confirmation link (at most one
//! per address every ten minutes and five a day), a confirmed one nothing. Confirmation
//! links carry a random token made by the job that mails them; only its keyed hash is
//! stored. Unsubscribe links carry a token derived from the subscriber's id with the
//! store's secret, so every newsletter mail can carry one without keeping it in clear.

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crate::text_enum! {
    /// Where a subscriber stands.
    pub enum SubscriberStatus {
        /// Signed up, not yet confirmed by the link: receives nothing but confirmations.
        Pending = "pending",
        Confirmed = "confirmed",
        Unsubscribed = "unsubscribed",
    }
}

impl SubscriberStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Confirmed => "Confirmed",
            Self::Unsubscribed => "Unsubscribed",
        }
    }
}

crate::text_enum! {
    /// Which form an address was signed up with.
    pub enum SignUpSource {
        Footer = "footer",
        Page = "page",
        /// A signed-in customer's notification settings, for their own proven address.
        Account = "account",
    }
}

/// The one answer to a sign-up, whatever the address's history.
pub const CHECK_INBOX: &str = "Thank you! Check your inbox to confirm your subscription.";
/// The sign-up page, where a plain post of the footer's form lands.
pub const SIGN_UP_PAGE: &str = "/newsletter";
/// What confirming says: the first time, and any time after.
pub const CONFIRMED: &str = "Thank you: you're subscribed to the Larkspur newsletter. A welcome email is on its way.";
pub const ALREADY_CONFIRMED: &str = "Your subscription is already confirmed. Thank you!";
/// What unsubscribing says (the first time and after).
pub const UNSUBSCRIBED: &str = "You're unsubscribed: we won't send you the newsletter again.";

/// A subscriber as staff see one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffSubscriber {
    pub id: Uuid,
    pub email: String,
    pub status: SubscriberStatus,
    pub source: String,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub unsubscribed_at: Option<DateTime<Utc>>,
}

/// What a confirmation link leads to (the page asks before confirming: a mail scanner
/// opening the link confirms nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Confirmation {
    /// Not yet confirmed: the page offers the button. `email` is masked.
    Ready { email: String },
    AlreadyConfirmed,
    Expired,
    /// Unknown, replaced by a newer link, or the address unsubscribed since.
    Invalid,
}

/// What an unsubscribe link leads to. `email` is masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Subscription {
    Subscribed { email: String },
    Unsubscribed { email: String },
    Invalid,
}

/// `a•••@example.com`: enough for its owner to recognise, little for anyone else.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_addresses_keep_the_first_letter_and_the_domain() {
        assert_eq!(mask_email("ada@example.com"), "a•••@example.com");
        assert_eq!(mask_email("élise@example.fr"), "é•••@example.fr");
        assert_eq!(mask_email("nobody"), "•••");
    }
}
