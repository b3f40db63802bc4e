//! The two pieces of Stripe the store uses: creating a hosted Checkout Session, and checking
//! the `Stripe-Signature` of webhook deliveries (HMAC-SHA256 of `timestamp.payload` with the
//! endpoint secret, within a tolerance). The API base is configurable, so tests talk to a
//! local stand-in through this same code.

use crate::server::config::StripeConfig;
use anyhow::Context;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// Stripe's default tolerance between the signature's timestamp and now.
pub const TOLERANCE_SECS: i64 = 300;

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
}

#[derive(Debug, Deserialize)]
pub struct Session {
    pub id: String,
    pub url: Option<String>,
}

pub async fn create_session(http: &reqwest::Client, config: &StripeConfig, s: NewSession<'_>) -> anyhow::Result<Session> {
    let number = s.order_number.to_string();
    let amount = s.total_minor.to_string();
    let expires = s.expires_at.to_string();
    let name = format!("Larkspur order #{number}");
    let currency = s.currency.to_lowercase();
    let form: Vec<(&str, &str)> = vec![
        ("mode", "payment"),
        ("client_reference_id", s.order_id),
        ("customer_email", s.email),
        ("success_url", s.success_url),
        ("cancel_url", s.cancel_url),
        ("expires_at", &expires),
        ("metadata[order_id]", s.order_id),
        ("payment_intent_data[metadata][order_id]", s.order_id),
        ("line_items[0][quantity]", "1"),
        ("line_items[0][price_data][currency]", &currency),
        ("line_items[0][price_data][unit_amount]", &amount),
        ("line_items[0][price_data][product_data][name]", &name),
    ];
    let body = form.iter().map(|(k, v)| format!("{}={}", crate::ui::url_encode(k), crate::ui::url_encode(v))).collect::<Vec<_>>().join("&");
    let response = http
        .post(format!("{}/v1/checkout/sessions", config.api_base))
        .bearer_auth(config.secret_key.expose())
        .header("content-type", "application/x-www-form-urlencoded")
        .header("idempotency-key", format!("checkout-{}-{}", s.order_id, s.expires_at))
        .body(body)
        .send()
        .await
        .context("contacting Stripe")?;
    let status = response.status();
    anyhow::ensure!(status.is_success(), "Stripe answered {status}: {}", response.text().await.unwrap_or_default());
    response.json().await.context("reading Stripe's checkout session")
}

/// Refunds `amount_minor` of a payment intent (a partial refund when less than paid).
pub async fn refund(http: &reqwest::Client, config: &StripeConfig, payment_intent: &str, amount_minor: i64, key: &str) -> anyhow::Result<String> {
    #[derive(Deserialize)]
    struct Refund {
        id: String,
    }
    let body = format!("payment_intent={}&amount={amount_minor}", crate::ui::url_encode(payment_intent));
    let response = http
        .post(format!("{}/v1/refunds", config.api_base))
        .bearer_auth(config.secret_key.expose())
        .header("content-type", "application/x-www-form-urlencoded")
        .header("idempotency-key", key)
        .body(body)
        .send()
        .await
        .context("contacting Stripe")?;
    let status = response.status();
    anyhow::ensure!(status.is_success(), "Stripe answered {status}");
    Ok(response.json::<Refund>().await.context("reading Stripe's refund")?.id)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    Missing,
    Malformed,
    TooOld,
    Mismatch,
}

/// Checks a `Stripe-Signature` header (`t=…,v1=…[,v1=…]`) for `payload` at `now` (seconds).
pub fn verify_signature(secret: &str, header: &str, payload: &[u8], now: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", sig)) => signatures.push(sig),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(if header.is_empty() { SignatureError::Missing } else { SignatureError::Malformed })?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::TooOld);
    }
    let matches = signatures.iter().any(|sig| {
        let Some(bytes) = decode_hex(sig) else { return false };
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(payload);
        mac.verify_slice(&bytes).is_ok()
    });
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The header Stripe would send for `payload` at `timestamp` (tests and the stand-in sign
/// with it).
pub fn sign(secret: &str, payload: &[u8], timestamp: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_made_with_the_secret_verifies() {
        let payload = br#"{"id":"evt_1"}"#;
        let header = sign("whsec_test", payload, 1_700_000_000);
        assert_eq!(verify_signature("whsec_test", &header, payload, 1_700_000_100), Ok(()));
    }

    #[test]
    fn tampering_a_wrong_secret_or_an_old_timestamp_is_refused() {
        let payload = br#"{"id":"evt_1"}"#;
        let header = sign("whsec_test", payload, 1_700_000_000);
        assert_eq!(verify_signature("whsec_test", &header, br#"{"id":"evt_2"}"#, 1_700_000_000), Err(SignatureError::Mismatch));
        assert_eq!(verify_signature("whsec_other", &header, payload, 1_700_000_000), Err(SignatureError::Mismatch));
        assert_eq!(verify_signature("whsec_test", &header, payload, 1_700_000_000 + 301), Err(SignatureError::TooOld));
        assert_eq!(verify_signature("whsec_test", "", payload, 0), Err(SignatureError::Missing));
        assert_eq!(verify_signature("whsec_test", "t=abc,v1=00", payload, 0), Err(SignatureError::Malformed));
        assert_eq!(verify_signature("whsec_test", "t=1700000000", payload, 1_700_000_000), Err(SignatureError::Malformed));
    }

    #[test]
    fn any_of_several_signatures_may_match() {
        let payload = b"{}";
        let good = sign("whsec_test", payload, 10);
        let v1 = good.split("v1=").nth(1).unwrap();
        let header = format!("t=10,v1={},v1={v1}", "ab".repeat(32));
        assert_eq!(verify_signature("whsec_test", &header, payload, 10), Ok(()));
    }
}
