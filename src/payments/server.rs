//! Starting a card payment, the Stripe webhook, and refunds. Every event is stored once by
//! its id (a replay changes nothing) and applied in the same transaction.

use super::stripe::{self, Notice};
use crate::{
    error::AppError,
    orders::{server as orders, Actor, OrderStatus},
    server::{
        jobs::{self, Job},
        state::AppState,
    },
};
use axum::{body::Bytes, extract::State, http::HeaderMap, http::StatusCode};
use serde_json::Value;
use uuid::Uuid;

/// Opens a Stripe Checkout Session for an unpaid card order; answers its address.
pub async fn start_checkout(state: &AppState, order_id: Uuid) -> Result<String, AppError> {
    let client = state.stripe.as_ref().ok_or_else(|| AppError::Rejected("Card payments are not available.".into()))?;
    let row: Option<(i64, String, String, i64, String, Option<chrono::DateTime<chrono::Utc>>)> = sqlx::query_as(
        "select number, status, currency::text, total_minor, email::text, reserved_until from orders
         where id = $1 and payment_method = 'stripe'",
    )
    .bind(order_id)
    .fetch_optional(&state.db)
    .await?;
    let (number, status, currency, total_minor, email, reserved_until) = row.ok_or_else(|| AppError::NotFound("That order".into()))?;
    if status != "pending" {
        return Err(AppError::Conflict("This order is not waiting for payment.".into()));
    }
    let now = state.clock.now();
    // Stripe needs at least 30 minutes; the order's hold is extended to match.
    let expires = reserved_until.unwrap_or(now).max(now + chrono::Duration::minutes(31));
    let order_ref = order_id.to_string();
    let base = &state.config.site_url;
    let success = format!("{base}/account/orders/{number}?payment=success");
    let cancel = format!("{base}/account/orders/{number}?payment=cancelled");
    let session = stripe::create_session(
        client,
        stripe::NewSession {
            order_number: number,
            order_id: &order_ref,
            email: &email,
            currency: &currency,
            total_minor,
            success_url: &success,
            cancel_url: &cancel,
            expires_at: expires.timestamp(),
        },
    )
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "creating a Stripe checkout session failed");
        AppError::Unavailable
    })?;
    let mut tx = state.db.begin().await?;
    sqlx::query("update orders set reserved_until = $2 where id = $1 and status = 'pending'").bind(order_id).bind(expires).execute(&mut *tx).await?;
    sqlx::query("update inventory_reservations set expires_at = $2 where order_id = $1 and released_at is null")
        .bind(order_id)
        .bind(expires)
        .execute(&mut *tx)
        .await?;
    // The newest attempt carries the session id; earlier unfinished ones are superseded.
    sqlx::query("update payments set status = 'cancelled' where order_id = $1 and provider = 'stripe' and status = 'pending' and provider_ref is not null")
        .bind(order_id)
        .execute(&mut *tx)
        .await?;
    let updated = sqlx::query("update payments set provider_ref = $2 where order_id = $1 and provider = 'stripe' and status = 'pending' and provider_ref is null")
        .bind(order_id)
        .bind(&session.id)
        .execute(&mut *tx)
        .await?;
    if updated.rows_affected() == 0 {
        sqlx::query("insert into payments (order_id, provider, provider_ref, amount_minor, currency) values ($1, 'stripe', $2, $3, $4)")
            .bind(order_id)
            .bind(&session.id)
            .bind(total_minor)
            .bind(&currency)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    session.url.ok_or_else(|| AppError::internal(anyhow::anyhow!("Stripe session without url")))
}

/// `POST /webhooks/stripe`. Answers 400 to anything not signed with the endpoint secret.
pub async fn webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    match receive(&state, signature, &body).await {
        Ok(()) => StatusCode::OK,
        // No Stripe keys: there is no webhook.
        Err(AppError::NotFound(_)) => StatusCode::NOT_FOUND,
        Err(AppError::BadRequest(_)) => StatusCode::BAD_REQUEST,
        // Stripe retries on an error status: right for an outage, not for a bad event.
        Err(AppError::Unavailable | AppError::Internal) => StatusCode::SERVICE_UNAVAILABLE,
        Err(e) => {
            tracing::warn!(error = %e, "webhook event not applied");
            StatusCode::OK
        }
    }
}

/// Verifies a webhook delivery and applies its event once.
pub async fn receive(state: &AppState, signature: &str, body: &[u8]) -> Result<(), AppError> {
    let config = state.config.stripe.as_ref().ok_or_else(|| AppError::NotFound("Card payments".into()))?;
    let refused = |problem: &dyn std::fmt::Display| {
        tracing::warn!(%problem, "refused a webhook delivery");
        AppError::BadRequest("The webhook delivery was refused.".into())
    };
    let payload = std::str::from_utf8(body).map_err(|e| refused(&e))?;
    let delivery = stripe::verify(config.webhook_secret.expose(), signature, payload, state.clock.now().timestamp()).map_err(|e| refused(&e))?;
    // Stored as received, for staff and for support requests to Stripe.
    let raw: Value = serde_json::from_str(payload).map_err(|e| refused(&e))?;
    apply(state, &delivery, &raw).await
}

#[tracing::instrument(skip_all, fields(event_id = %delivery.id, event_type = %delivery.kind))]
async fn apply(state: &AppState, delivery: &stripe::Delivery, raw: &Value) -> Result<(), AppError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let fresh = sqlx::query(
        "insert into payment_events (provider, event_id, event_type, payload, processed_at) values ('stripe', $1, $2, $3, $4)
         on conflict (provider, event_id) do nothing",
    )
    .bind(&delivery.id)
    .bind(&delivery.kind)
    .bind(raw)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !fresh {
        return Ok(());
    }
    match &delivery.notice {
        Notice::SessionCompleted { session_id, order_id: Some(order_id), paid: true, payment_intent } => {
            let order_id = *order_id;
            let status: Option<String> = sqlx::query_scalar("select status from orders where id = $1 for update").bind(order_id).fetch_optional(&mut *tx).await?;
            if status.as_deref() == Some("pending") {
                orders::transition(&mut tx, order_id, OrderStatus::Paid, Actor::PaymentProvider, "Card payment confirmed by Stripe", now).await?;
            } else if let (Some(_), Some(intent)) = (&status, payment_intent) {
                // Paid after the hold ran out, or paid twice: the money goes back.
                tracing::warn!(%order_id, ?status, "payment arrived for an order that is no longer pending; refunding it");
                let reason = "Paid after the order stopped waiting for payment".to_owned();
                jobs::enqueue(&mut tx, Job::RefundCardPayment { payment_intent: intent.clone(), reason }, now).await?;
            }
            sqlx::query(
                "update payments set status = 'succeeded', provider_ref = coalesce($3, provider_ref)
                 where order_id = $1 and provider = 'stripe' and (provider_ref = $2 or provider_ref = $3)",
            )
            .bind(order_id)
            .bind(session_id)
            .bind(payment_intent)
            .execute(&mut *tx)
            .await?;
        }
        Notice::SessionExpired { session_id, order_id } => {
            // The order stays pending (it can be paid again until its hold runs out).
            sqlx::query("update payments set status = 'cancelled' where order_id = $1 and provider_ref = $2 and status = 'pending'")
                .bind(order_id)
                .bind(session_id)
                .execute(&mut *tx)
                .await?;
        }
        Notice::PaymentFailed { order_id } => {
            sqlx::query("update payments set status = 'failed' where order_id = $1 and provider = 'stripe' and status = 'pending'")
                .bind(order_id)
                .execute(&mut *tx)
                .await?;
        }
        Notice::ChargeRefunded { payment_intent, amount_refunded } => {
            let row: Option<(Uuid, Uuid, i64)> = sqlx::query_as(
                "select id, order_id, amount_minor from payments where provider = 'stripe' and provider_ref = $1 for update",
            )
            .bind(payment_intent)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((payment_id, order_id, amount)) = row {
                let full = *amount_refunded >= amount;
                sqlx::query("update payments set refunded_minor = least($2, amount_minor), status = $3 where id = $1")
                    .bind(payment_id)
                    .bind(amount_refunded)
                    .bind(if full { "refunded" } else { "partially_refunded" })
                    .execute(&mut *tx)
                    .await?;
                let status: Option<String> = sqlx::query_scalar("select status from orders where id = $1").bind(order_id).fetch_optional(&mut *tx).await?;
                let can = status.as_deref().and_then(OrderStatus::parse).is_some_and(|s| s.can_become(OrderStatus::Refunded));
                if full && can {
                    orders::transition(&mut tx, order_id, OrderStatus::Refunded, Actor::PaymentProvider, "Refunded in full", now).await?;
                }
            }
        }
        // Unpaid sessions (a delayed method) and sessions not opened by the store.
        Notice::SessionCompleted { .. } | Notice::Other => {}
    }
    tx.commit().await?;
    Ok(())
}

/// Refunds part or all of an order's card payment (the admin dashboard calls this). The
/// order becomes "refunded" when Stripe's `charge.refunded` event confirms the full amount.
pub async fn refund(state: &AppState, order_id: Uuid, amount_minor: i64, reason: &str, actor: Uuid) -> Result<(), AppError> {
    give_back(state, CardPayment::OfOrder(order_id), Some(amount_minor), reason, Some(actor)).await
}

/// Gives back all that is left of a card payment: one that arrived for an order no longer
/// waiting for it, or one of an order cancelled after payment. Run by the job queue, so a
/// failure is retried; nothing left to give back is success.
pub async fn refund_in_full(state: &AppState, payment_intent: &str, reason: &str) -> Result<(), AppError> {
    give_back(state, CardPayment::OfIntent(payment_intent), None, reason, None).await
}

/// Which card payment to refund: an order's, or the one of a payment intent.
enum CardPayment<'a> {
    OfOrder(Uuid),
    OfIntent(&'a str),
}

/// Refunds `amount` (all that is left when `None`) of a card payment.
async fn give_back(state: &AppState, which: CardPayment<'_>, amount: Option<i64>, reason: &str, actor: Option<Uuid>) -> Result<(), AppError> {
    let client = state.stripe.as_ref().ok_or_else(|| AppError::Rejected("Card payments are not configured.".into()))?;
    let (order_id, intent) = match which {
        CardPayment::OfOrder(id) => (Some(id), None),
        CardPayment::OfIntent(intent) => (None, Some(intent)),
    };
    // The payment row is locked while the refund is recorded, so two refunds at once cannot
    // both take the same money; refunds asked for but not yet confirmed by Stripe count.
    let mut tx = state.db.begin().await?;
    let payment: Option<(Uuid, String, i64, i64, String)> = sqlx::query_as(
        "select p.id, p.provider_ref, p.amount_minor,
                greatest(p.refunded_minor, (select coalesce(sum(r.amount_minor), 0) from refunds r
                                            where r.payment_id = p.id and r.status <> 'failed'))::bigint,
                p.currency::text
         from payments p
         where (p.order_id = $1 or p.provider_ref = $2) and p.provider = 'stripe'
           and p.status in ('succeeded', 'partially_refunded') and p.provider_ref like 'pi_%'
         order by p.created_at
         limit 1
         for update of p",
    )
    .bind(order_id)
    .bind(intent)
    .fetch_optional(&mut *tx)
    .await?;
    let (payment_id, intent, charged, refunded, currency) =
        payment.ok_or_else(|| AppError::Rejected("This order has no card payment to refund.".into()))?;
    let left = charged - refunded;
    let amount_minor = match amount {
        None if left == 0 => return Ok(()),
        None => left,
        Some(amount) if amount <= 0 || amount > left => {
            return Err(AppError::field("amount", format!("Refund between 0.01 and {}.", crate::money::Money::new(left, currency))));
        }
        Some(amount) => amount,
    };
    let refund_id: Uuid = sqlx::query_scalar("insert into refunds (payment_id, amount_minor, reason, actor_user_id) values ($1, $2, $3, $4) returning id")
        .bind(payment_id)
        .bind(amount_minor)
        .bind(reason)
        .bind(actor)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    let outcome = stripe::refund(client, &intent, amount_minor, &refund_id.to_string()).await;
    let (status, reference) = match &outcome {
        Ok(id) => ("succeeded", Some(id.clone())),
        Err(e) => {
            tracing::error!(error = %e, "Stripe refund failed");
            ("failed", None)
        }
    };
    sqlx::query("update refunds set status = $2, provider_ref = $3 where id = $1").bind(refund_id).bind(status).bind(reference).execute(&state.db).await?;
    outcome.map(|_| ()).map_err(|_| AppError::Unavailable)
}
