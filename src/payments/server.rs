//! Starting a card payment, the Stripe webhook, and refunds. Every event is stored once by
//! its id (a replay changes nothing) and applied in the same transaction.

use super::{
    jobs::RefundCardPayment,
    stripe::{self, Notice},
};
use crate::{
    error::AppError,
    orders::{
        server::{self as orders, HoldRules},
        Actor, OrderStatus,
    },
    server::{
        jobs::{self, JobRegistry},
        state::AppState,
    },
};
use axum::{body::Bytes, extract::State, http::HeaderMap, http::StatusCode};
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

/// Closes every Stripe payment page of the order that could still be paid, through Stripe's
/// API, and marks their payments cancelled. Stripe refuses to close a page paid a moment
/// ago: then this refuses too, and the payment's webhook decides. Call with the order row
/// locked.
async fn close_open_pages(client: &::stripe::Client, tx: &mut sqlx::PgConnection, order_id: Uuid, now: DateTime<Utc>) -> Result<(), AppError> {
    let open: Vec<(Uuid, String)> = sqlx::query_as(
        "select id, checkout_session_id from payments
         where order_id = $1 and provider = 'stripe' and status in ('pending', 'failed') and checkout_session_id is not null
           and (session_expires_at is null or session_expires_at > $2)",
    )
    .bind(order_id)
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    for (payment_id, session_id) in open {
        if let Err(e) = stripe::expire_session(client, &session_id).await {
            tracing::warn!(error = %e, %session_id, "could not close a payment page");
            return Err(AppError::Conflict("A payment for this order may be on its way. Please wait a minute and reload this page.".into()));
        }
        sqlx::query("update payments set status = 'cancelled' where id = $1").bind(payment_id).execute(&mut *tx).await?;
    }
    sqlx::query(
        "update payments set status = 'cancelled'
         where order_id = $1 and provider = 'stripe' and status in ('pending', 'failed') and checkout_session_id is not null",
    )
    .bind(order_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Cancels an order still waiting for payment (by its customer, or by staff): its payment
/// pages are closed first, so nothing can be paid for an order that is gone. Whether the
/// actor may cancel it now is the state machine's rule.
#[tracing::instrument(skip(state))]
pub async fn cancel_unpaid(state: &AppState, order_id: Uuid, actor: Actor, note: &str) -> Result<(), AppError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // Serialised with starting a payment and with the webhook, which lock the same row.
    let status: Option<String> = sqlx::query_scalar("select status from orders where id = $1 for update").bind(order_id).fetch_optional(&mut *tx).await?;
    let status = status.and_then(|s| OrderStatus::parse(&s)).ok_or_else(|| AppError::NotFound("That order".into()))?;
    if !actor.may_move(status, OrderStatus::Cancelled) {
        return Err(AppError::Conflict(actor.refusal(status, OrderStatus::Cancelled)));
    }
    if let Some(client) = state.stripe.as_ref() {
        close_open_pages(client, &mut tx, order_id, now).await?;
    }
    orders::transition(&mut tx, order_id, OrderStatus::Cancelled, actor, note, now).await?;
    sqlx::query("update payments set status = 'cancelled' where order_id = $1 and status = 'pending'").bind(order_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether "Pay now" can lead to a payment page: the order's page is open for a while yet,
/// or there is time to open a new one (the rule `start_checkout` follows).
pub fn payable_by_card(holds: &crate::server::config::HoldSettings, order: &crate::orders::OrderDetail, now: DateTime<Utc>) -> bool {
    order.can_pay
        && (order.open_page_until.is_some_and(|until| until > now + LAST_MOMENT)
            || order.reserved_until.is_some_and(|r| holds.card_page_can_open(r, now)))
}

/// The payment page of an unpaid card order: the Checkout Session already open for it when
/// there is one (a double click, a second tab, coming back after "Cancel" all continue the
/// same page, so an order never has two payable pages), else a new one. A retry never
/// extends the order's hold: the page closes `card_grace` before the stock is released.
#[tracing::instrument(skip(state))]
pub async fn start_checkout(state: &AppState, order_id: Uuid) -> Result<String, AppError> {
    let client = state.stripe.as_ref().ok_or_else(|| AppError::Rejected("Card payments are not available.".into()))?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // One start at a time per order: a second request waits here, then finds the first's page.
    let row: Option<(i64, String, String, i64, String, Option<DateTime<Utc>>)> = sqlx::query_as(
        "select number, status, currency::text, total_minor, email::text, reserved_until from orders
         where id = $1 and payment_method = 'stripe' for update",
    )
    .bind(order_id)
    .fetch_optional(&mut *tx)
    .await?;
    let (number, status, currency, total_minor, email, reserved_until) = row.ok_or_else(|| AppError::NotFound("That order".into()))?;
    if status != "pending" {
        return Err(AppError::Conflict("This order is not waiting for payment.".into()));
    }
    let open: Option<String> = sqlx::query_scalar(
        "select checkout_url from payments
         where order_id = $1 and provider = 'stripe' and status in ('pending', 'failed') and checkout_url is not null
           and session_expires_at > $2
         order by created_at desc limit 1",
    )
    .bind(order_id)
    .bind(now + LAST_MOMENT)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(url) = open {
        return Ok(url);
    }
    let reserved_until = reserved_until.ok_or_else(|| AppError::Conflict("This order is not waiting for payment.".into()))?;
    let ends = state.config.holds.card_session_ends(reserved_until).min(now + chrono::Duration::hours(24));
    if !state.config.holds.card_page_can_open(reserved_until, now) {
        return Err(AppError::Rejected(format!(
            "The time to pay for this order by card has run out: its items are released at {} UTC. Please place the order again.",
            reserved_until.format("%H:%M")
        )));
    }
    // A page opened earlier (by a request that failed half-way, or before this rule) is
    // closed first; Stripe refuses when it was paid a moment ago, and then so do we.
    close_open_pages(client, &mut tx, order_id, now).await?;
    // The attempt's row (the one placing wrote, or a new one) names the request to Stripe.
    let attempt: Uuid = match sqlx::query_scalar(
        "select id from payments where order_id = $1 and provider = 'stripe' and status = 'pending' and checkout_session_id is null
         order by created_at limit 1",
    )
    .bind(order_id)
    .fetch_optional(&mut *tx)
    .await?
    {
        Some(id) => id,
        None => {
            sqlx::query_scalar("insert into payments (order_id, provider, amount_minor, currency) values ($1, 'stripe', $2, $3) returning id")
                .bind(order_id)
                .bind(total_minor)
                .bind(&currency)
                .fetch_one(&mut *tx)
                .await?
        }
    };
    let order_ref = order_id.to_string();
    let base = &state.config.site_url;
    let success = format!("{base}/account/orders/{number}?payment=success");
    let cancel = format!("{base}/account/orders/{number}?payment=cancelled");
    let key = format!("checkout-{attempt}");
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
            expires_at: ends.timestamp(),
            idempotency_key: &key,
        },
    )
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "creating a Stripe checkout session failed");
        AppError::Unavailable
    })?;
    let url = session.url.ok_or_else(|| AppError::internal(anyhow::anyhow!("Stripe session without url")))?;
    sqlx::query("update payments set checkout_session_id = $2, checkout_url = $3, session_expires_at = $4 where id = $1")
        .bind(attempt)
        .bind(&session.id)
        .bind(&url)
        .bind(DateTime::<Utc>::from_timestamp(ends.timestamp(), 0).unwrap_or(ends))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(url)
}

/// An open page this close to its end is not offered again: the shopper could not finish.
const LAST_MOMENT: chrono::Duration = chrono::Duration::minutes(2);

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
        Notice::SessionCompleted { session_id, paid: true, payment_intent, amount_total, currency } => {
            paid(&mut tx, session_id, payment_intent.as_deref(), *amount_total, currency.as_deref(), now).await?;
        }
        Notice::SessionExpired { session_id } | Notice::SessionPaymentFailed { session_id } => {
            // The order stays pending (it can be paid again until its hold runs out).
            let status = if matches!(delivery.notice, Notice::SessionExpired { .. }) { "cancelled" } else { "failed" };
            sqlx::query("update payments set status = $2 where checkout_session_id = $1 and status in ('pending', 'failed')")
                .bind(session_id)
                .bind(status)
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
            // The order first, as paying does: two refunds of one order are then applied one
            // after the other, and the second sees the first when it sums them.
            let order: Option<Uuid> = sqlx::query_scalar(
                "select o.id from orders o join payments p on p.order_id = o.id
                 where p.provider = 'stripe' and p.provider_ref = $1 for update of o",
            )
            .bind(payment_intent)
            .fetch_optional(&mut *tx)
            .await?;
            let row: Option<(Uuid, Uuid, i64)> = match order {
                Some(_) => sqlx::query_as("select id, order_id, amount_minor from payments where provider = 'stripe' and provider_ref = $1 for update")
                    .bind(payment_intent)
                    .fetch_optional(&mut *tx)
                    .await?,
                None => None,
            };
            if let Some((payment_id, order_id, amount)) = row {
                let full = *amount_refunded >= amount;
                sqlx::query("update payments set refunded_minor = least($2, amount_minor), status = $3 where id = $1")
                    .bind(payment_id)
                    .bind(amount_refunded)
                    .bind(if full { "refunded" } else { "partially_refunded" })
                    .execute(&mut *tx)
                    .await?;
                // The order is refunded when all the card money it received went back, not
                // when one of its payments did (a second payment of the same order is
                // refunded on its own while the first stands).
                let (status, received, returned): (String, i64, i64) = sqlx::query_as(
                    "select o.status, coalesce(sum(p.amount_minor), 0)::bigint, coalesce(sum(p.refunded_minor), 0)::bigint
                     from orders o left join payments p on p.order_id = o.id and p.provider = 'stripe'
                          and p.status in ('succeeded', 'partially_refunded', 'refunded')
                     where o.id = $1 group by o.status",
                )
                .bind(order_id)
                .fetch_one(&mut *tx)
                .await?;
                let from = OrderStatus::parse(&status);
                let all_back = received > 0 && returned >= received;
                if all_back && from.is_some_and(|from| Actor::PaymentProvider.may_move(from, OrderStatus::Refunded)) {
                    orders::transition(&mut tx, order_id, OrderStatus::Refunded, Actor::PaymentProvider, "Refunded in full", now).await?;
                }
            }
        }
        // A delayed method still pending: its own event follows.
        Notice::SessionCompleted { paid: false, .. } | Notice::Other => {}
    }
    tx.commit().await?;
    Ok(())
}

/// A paid Checkout Session. It pays its order only when the store opened it for that order
/// and Stripe took exactly the payment's amount and currency; anything else is recorded and
/// logged, and money that arrived goes back in full — never "paid".
async fn paid(
    tx: &mut sqlx::PgConnection,
    session_id: &str,
    payment_intent: Option<&str>,
    amount_total: Option<i64>,
    currency: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let row: Option<(Uuid, Uuid, i64, String, String)> = sqlx::query_as(
        "select p.id, p.order_id, p.amount_minor, lower(p.currency::text), o.status from payments p join orders o on o.id = p.order_id
         where p.provider = 'stripe' and p.checkout_session_id = $1 for update of p, o",
    )
    .bind(session_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((payment_id, order_id, amount, expected_currency, status)) = row else {
        tracing::warn!(%session_id, "a paid Checkout Session this store did not open; ignored");
        return Ok(());
    };
    let exact = amount_total == Some(amount) && currency == Some(expected_currency.as_str());
    // What Stripe took is what the row records from now on (and what a refund gives back).
    sqlx::query(
        "update payments set status = 'succeeded', provider_ref = coalesce($2, provider_ref),
                amount_minor = coalesce($3, amount_minor), currency = coalesce(upper($4), currency)
         where id = $1",
    )
    .bind(payment_id)
    .bind(payment_intent)
    .bind(amount_total)
    .bind(currency)
    .execute(&mut *tx)
    .await?;
    if exact && status == "pending" {
        orders::transition(tx, order_id, OrderStatus::Paid, Actor::PaymentProvider, "Card payment confirmed by Stripe", now).await?;
        return Ok(());
    }
    let reason = if exact {
        // Paid after the hold ran out, or paid twice.
        tracing::warn!(%order_id, %status, "payment arrived for an order that is no longer pending; refunding it");
        "Paid after the order stopped waiting for payment"
    } else {
        tracing::error!(%order_id, ?amount_total, ?currency, expected = amount, %expected_currency, "a payment of the wrong amount; refunding it");
        "The amount paid did not match the order"
    };
    if let Some(intent) = payment_intent {
        jobs::enqueue(tx, RefundCardPayment { payment_intent: intent.to_owned(), reason: reason.to_owned() }, now).await?;
    }
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

/// The payment jobs: refunds queued by a late or wrong payment, or by cancelling a paid order.
pub fn register_jobs(jobs: &mut JobRegistry<AppState>) {
    jobs.handle(|state: AppState, job: RefundCardPayment| async move {
        Ok(refund_in_full(&state, &job.payment_intent, &job.reason).await?)
    });
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
    // Refunds recorded earlier but never confirmed (the process stopped before Stripe
    // answered, or Stripe could not be reached) go again first, each under its own key:
    // Stripe answers with the refund it already made, never a second one.
    let mut to_send: Vec<(Uuid, i64)> =
        sqlx::query_as("select id, amount_minor from refunds where payment_id = $1 and status = 'pending' order by created_at")
            .bind(payment_id)
            .fetch_all(&mut *tx)
            .await?;
    let left = charged - refunded;
    let amount_minor = match amount {
        None if left == 0 => None,
        None => Some(left),
        Some(amount) if amount <= 0 || amount > left => {
            return Err(AppError::field("amount", format!("Refund between 0.01 and {}.", crate::money::Money::new(left, currency))));
        }
        Some(amount) => Some(amount),
    };
    if let Some(amount_minor) = amount_minor {
        let refund_id: Uuid = sqlx::query_scalar("insert into refunds (payment_id, amount_minor, reason, actor_user_id) values ($1, $2, $3, $4) returning id")
            .bind(payment_id)
            .bind(amount_minor)
            .bind(reason)
            .bind(actor)
            .fetch_one(&mut *tx)
            .await?;
        to_send.push((refund_id, amount_minor));
    }
    tx.commit().await?;
    let mut result = Ok(());
    for (refund_id, amount_minor) in to_send {
        let outcome = stripe::refund(client, &intent, amount_minor, &refund_id.to_string()).await;
        // Only a definite refusal fails a refund; after a timeout or an outage it stays
        // pending (still counted as given back) and is sent again with the same key.
        let (status, reference) = match &outcome {
            Ok(id) => ("succeeded", Some(id.clone())),
            Err(stripe::StripeError::Stripe(_, code)) if (400..500).contains(code) && *code != 409 && *code != 429 => {
                tracing::error!(error = ?outcome, "Stripe refused a refund");
                ("failed", None)
            }
            Err(e) => {
                tracing::warn!(error = %e, "Stripe refund not confirmed; it is sent again on the next try");
                ("pending", None)
            }
        };
        sqlx::query("update refunds set status = $2, provider_ref = $3 where id = $1").bind(refund_id).bind(status).bind(reference).execute(&state.db).await?;
        if outcome.is_err() {
            result = Err(AppError::Unavailable);
        }
    }
    result
}
