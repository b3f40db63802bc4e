//! The store's side of Stripe, through async-stripe: opening a hosted Checkout Session,
//! refunding a payment, and turning a signed webhook delivery into what happened. The API
//! base is configurable, so tests run this same code against a local stand-in.

use crate::server::config::StripeConfig;
use anyhow::Context;
use std::{collections::HashMap, time::Duration};
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_checkout::{
    checkout_session::{
        CreateCheckoutSession, CreateCheckoutSessionAllowedPaymentMethodTypes, CreateCheckoutSessionLineItems,
        CreateCheckoutSessionLineItemsPriceData, CreateCheckoutSessionPaymentIntentData, ExpireCheckoutSession, ProductData,
    },
    CheckoutSessionMode, CheckoutSessionPaymentStatus,
};
use stripe_core::refund::CreateRefund;
use stripe_types::Currency;
use stripe_webhook::{EventObject, Webhook};
use uuid::Uuid;

pub use stripe::StripeError;
pub use stripe_webhook::WebhookError;

/// The API client, built once at start-up from the configured key and base URL.
pub fn client(config: &StripeConfig) -> anyhow::Result<Client> {
    // async-stripe appends `v1/…` to the base exactly as given.
    let base = format!("{}/", config.api_base.trim_end_matches('/'));
    ClientBuilder::new(config.secret_key.expose()).url(base).timeout(Duration::from_secs(20)).build().context("configuring the Stripe client")
}

pub struct NewSession<'a> {
    pub order_number: i64,
    pub order_id: &'a str,
    pub email: &'a str,
    pub currency: &'a str,
    /// Charged as one line, so Stripe takes exactly the total the store computed.
    pub total_minor: i64,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
    pub expires_at: i64,
    /// One per payment attempt: a retried request opens one session.
    pub idempotency_key: &'a str,
}

/// The parts of a created Checkout Session the store keeps.
pub struct Session {
    pub id: String,
    pub url: Option<String>,
}

pub async fn create_session(client: &Client, s: NewSession<'_>) -> Result<Session, StripeError> {
    let order = HashMap::from([("order_id".to_owned(), s.order_id.to_owned())]);
    let Ok(currency) = s.currency.to_lowercase().parse::<Currency>();
    let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency);
    price.unit_amount = Some(s.total_minor);
    price.product_data = Some(ProductData::new(format!("Larkspur order #{}", s.order_number)));
    let mut line = CreateCheckoutSessionLineItems::new();
    line.quantity = Some(1);
    line.price_data = Some(price);
    // The payment intent carries the order too, so its failure events can be matched.
    let mut intent = CreateCheckoutSessionPaymentIntentData::new();
    intent.metadata = Some(order.clone());
    let session = CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Payment)
        // Cards only: a delayed method (SEPA, ACH) would charge after the hold ran out.
        .allowed_payment_method_types(vec![CreateCheckoutSessionAllowedPaymentMethodTypes::Card])
        .client_reference_id(s.order_id)
        .customer_email(s.email)
        .success_url(s.success_url)
        .cancel_url(s.cancel_url)
        .expires_at(s.expires_at)
        .metadata(order)
        .payment_intent_data(intent)
        .line_items(vec![line])
        .customize()
        .request_strategy(idempotent(s.idempotency_key)?)
        .send(client)
        .await?;
    Ok(Session { id: session.id.as_str().to_owned(), url: session.url })
}

/// Closes an open Checkout Session, so it can no longer be paid. Stripe refuses for a session
/// that is already complete (paid) or expired.
pub async fn expire_session(client: &Client, session_id: &str) -> Result<(), StripeError> {
    ExpireCheckoutSession::new(session_id).send(client).await.map(|_| ())
}

/// Refunds `amount_minor` of a payment intent (a partial refund when less than paid);
/// answers the refund's id. `key` makes a retried call refund once.
pub async fn refund(client: &Client, payment_intent: &str, amount_minor: i64, key: &str) -> Result<String, StripeError> {
    let refund = CreateRefund::new().payment_intent(payment_intent).amount(amount_minor).customize().request_strategy(idempotent(key)?).send(client).await?;
    Ok(refund.id.as_str().to_owned())
}

fn idempotent(key: &str) -> Result<RequestStrategy, StripeError> {
    let key = IdempotencyKey::new(key).map_err(|e| StripeError::ClientError(e.to_string()))?;
    Ok(RequestStrategy::Idempotent(key))
}

/// A verified webhook delivery: its id and type, and what it means for the store.
#[derive(Debug)]
pub struct Delivery {
    pub id: String,
    pub kind: String,
    pub notice: Notice,
}

/// What the store acts on; every other event is recorded and otherwise ignored.
#[derive(Debug, PartialEq, Eq)]
pub enum Notice {
    /// A Checkout Session was completed; `paid` is false while a delayed method is pending
    /// (then `checkout.session.async_payment_succeeded` brings the same session, paid).
    SessionCompleted {
        session_id: String,
        paid: bool,
        payment_intent: Option<String>,
        /// What Stripe took, in minor units of `currency` (lower case, as Stripe writes it).
        amount_total: Option<i64>,
        currency: Option<String>,
    },
    SessionExpired { session_id: String },
    /// A delayed payment of a completed session failed.
    SessionPaymentFailed { session_id: String },
    PaymentFailed { order_id: Option<Uuid> },
    ChargeRefunded { payment_intent: Option<String>, amount_refunded: i64 },
    Other,
}

/// Checks the `Stripe-Signature` header (HMAC-SHA256 of `timestamp.payload` with the
/// endpoint secret, within Stripe's five-minute tolerance of `now`) and reads the event.
/// `now` is the store's clock rather than the system's, so tests can move time.
pub fn verify(secret: &str, header: &str, payload: &str, now: i64) -> Result<Delivery, WebhookError> {
    let event = match Webhook::construct_event_with_timestamp(payload, header, secret, now) {
        Ok(event) => event,
        // Signed, but with an object this version of async-stripe cannot read. Harmless for
        // an event the store ignores; one it acts on is refused, so Stripe retries it and
        // the refusal is logged.
        Err(WebhookError::BadParse(why)) => return ignored(payload).ok_or(WebhookError::BadParse(why)),
        Err(e) => return Err(e),
    };
    let order_of = |metadata: Option<&HashMap<String, String>>| metadata.and_then(|m| m.get("order_id")).and_then(|id| Uuid::parse_str(id).ok());
    let completed = |session: &stripe_checkout::CheckoutSession| Notice::SessionCompleted {
        paid: session.payment_status == CheckoutSessionPaymentStatus::Paid,
        payment_intent: session.payment_intent.as_ref().map(|p| p.id().as_str().to_owned()),
        amount_total: session.amount_total,
        currency: session.currency.as_ref().map(|c| c.to_string().to_lowercase()),
        session_id: session.id.as_str().to_owned(),
    };
    let notice = match event.data.object {
        EventObject::CheckoutSessionCompleted(session) | EventObject::CheckoutSessionAsyncPaymentSucceeded(session) => completed(&session),
        EventObject::CheckoutSessionExpired(session) => Notice::SessionExpired { session_id: session.id.as_str().to_owned() },
        EventObject::CheckoutSessionAsyncPaymentFailed(session) => Notice::SessionPaymentFailed { session_id: session.id.as_str().to_owned() },
        EventObject::PaymentIntentPaymentFailed(intent) => Notice::PaymentFailed { order_id: order_of(Some(&intent.metadata)) },
        EventObject::ChargeRefunded(charge) => Notice::ChargeRefunded {
            payment_intent: charge.payment_intent.as_ref().map(|p| p.id().as_str().to_owned()),
            amount_refunded: charge.amount_refunded,
        },
        _ => Notice::Other,
    };
    Ok(Delivery { id: event.id.as_str().to_owned(), kind: event.type_.as_str().to_owned(), notice })
}

/// The events the store acts on.
const HANDLED: [&str; 6] = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "payment_intent.payment_failed",
    "charge.refunded",
];

/// A signed event of a type the store does not act on, read only for its id and type.
fn ignored(payload: &str) -> Option<Delivery> {
    let event: serde_json::Value = serde_json::from_str(payload).ok()?;
    let (id, kind) = (event["id"].as_str()?, event["type"].as_str()?);
    (!HANDLED.contains(&kind)).then(|| Delivery { id: id.to_owned(), kind: kind.to_owned(), notice: Notice::Other })
}

/// The header Stripe would send for `payload` at `timestamp` (tests and the stand-in sign
/// with it).
pub fn sign(secret: &str, payload: &str, timestamp: i64) -> String {
    Webhook::generate_test_header(payload, secret, Some(timestamp))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test";
    const NOW: i64 = 1_700_000_000;

    const ORDER: &str = "0192f0a4-1c2d-7e3f-8a4b-5c6d7e8f9a0b";

    fn completed(payment_status: &str) -> String {
        serde_json::json!({
            "id": "evt_1", "object": "event", "type": "checkout.session.completed", "created": NOW, "livemode": false,
            "pending_webhooks": 1, "api_version": null, "request": { "id": null, "idempotency_key": null },
            "data": { "object": {
                "id": "cs_test_1", "object": "checkout.session", "mode": "payment", "payment_status": payment_status,
                "status": "complete", "created": NOW, "expires_at": NOW + 1800, "livemode": false,
                "automatic_tax": { "enabled": false, "liability": null, "provider": null, "status": null },
                "custom_fields": [], "custom_text": { "after_submit": null, "shipping_address": null, "submit": null, "terms_of_service_acceptance": null },
                "payment_method_types": ["card"], "shipping_options": [],
                "client_reference_id": ORDER, "metadata": { "order_id": ORDER }, "payment_intent": "pi_1",
                "amount_total": 2500, "currency": "usd"
            } }
        })
        .to_string()
    }

    #[test]
    fn a_signed_completed_session_reads_as_paid() {
        let payload = completed("paid");
        let delivery = verify(SECRET, &sign(SECRET, &payload, NOW), &payload, NOW + 100).unwrap();
        assert_eq!((delivery.id.as_str(), delivery.kind.as_str()), ("evt_1", "checkout.session.completed"));
        let expected = Notice::SessionCompleted {
            session_id: "cs_test_1".into(),
            paid: true,
            payment_intent: Some("pi_1".into()),
            amount_total: Some(2500),
            currency: Some("usd".into()),
        };
        assert_eq!(delivery.notice, expected);
        let unpaid = completed("unpaid");
        let notice = verify(SECRET, &sign(SECRET, &unpaid, NOW), &unpaid, NOW).unwrap().notice;
        assert!(matches!(notice, Notice::SessionCompleted { paid: false, .. }));
    }

    #[test]
    fn tampering_a_wrong_secret_an_old_timestamp_or_no_signature_is_refused() {
        let payload = completed("paid");
        let header = sign(SECRET, &payload, NOW);
        let tampered = payload.replace("cs_test_1", "cs_test_2");
        assert!(matches!(verify(SECRET, &header, &tampered, NOW), Err(WebhookError::BadSignature)));
        assert!(matches!(verify("whsec_other", &header, &payload, NOW), Err(WebhookError::BadSignature)));
        assert!(matches!(verify(SECRET, &header, &payload, NOW + 301), Err(WebhookError::BadTimestamp(_))));
        assert!(verify(SECRET, "", &payload, NOW).is_err());
        assert!(verify(SECRET, &format!("t={NOW}"), &payload, NOW).is_err());
    }

    #[test]
    fn a_signed_event_that_cannot_be_read_is_kept_only_when_the_store_ignores_its_type() {
        let odd = |kind: &str| serde_json::json!({ "id": "evt_2", "type": kind, "data": { "object": { "object": "charge" } } }).to_string();
        let ignored = odd("charge.dispute.created");
        let delivery = verify(SECRET, &sign(SECRET, &ignored, NOW), &ignored, NOW).unwrap();
        assert_eq!((delivery.kind.as_str(), delivery.notice), ("charge.dispute.created", Notice::Other));
        let handled = odd("charge.refunded");
        assert!(matches!(verify(SECRET, &sign(SECRET, &handled, NOW), &handled, NOW), Err(WebhookError::BadParse(_))));
        // The signature is still checked first.
        assert!(matches!(verify("whsec_other", &sign(SECRET, &ignored, NOW), &ignored, NOW), Err(WebhookError::BadSignature)));
    }

    #[test]
    fn any_of_several_signatures_may_match() {
        let payload = completed("paid");
        let good = sign(SECRET, &payload, NOW);
        let v1 = good.split("v1=").nth(1).unwrap();
        let header = format!("t={NOW},v1={},v1={v1}", "ab".repeat(32));
        assert!(verify(SECRET, &header, &payload, NOW).is_ok());
    }
}
