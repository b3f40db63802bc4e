//! The payment job kinds. Apart from `server` because orders queue refunds too (cancelling a
//! paid order), and payments' server code itself depends on orders.

use crate::server::jobs::registry::Job;

/// Gives back all that is left of a card payment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RefundCardPayment {
    pub payment_intent: String,
    pub reason: String,
}

impl Job for RefundCardPayment {
    const KIND: &'static str = "refund_card_payment";
}

/// Sends again the refunds of a card payment that Stripe has not confirmed yet.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SendPendingRefunds {
    pub payment_intent: String,
}

impl Job for SendPendingRefunds {
    const KIND: &'static str = "send_pending_refunds";
}
