//! Starting a card payment, the Stripe webhook, and refunds. Every event is stored once by
//! its id (a replay changes nothing) and applied in the same transaction.

use super::{
    jobs::{RefundCardPayment, SendPendingRefunds},
    stripe::{self, Notice},
};
use crate::{
    audit::server::{self as audit, Actor as AuditActor, Change},
    error::AppError,
    orders::{
        server::{self as orders, HoldRules},
        Actor, OrderStatus, PaymentStatus, RefundStatus,
    },
    server::{
        jobs::{self, JobRegistry},
        state::AppState,
    },
};
use axum::{body::Bytes, extract::State, http::HeaderMap, http::StatusCode};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
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
pub async fn cancel_unpaid(state: &AppState, order_id: Uuid, actor: Actor, note: &str) -> Result<(), AppError> {
    cancel(state, order_id, actor, note, None).await
}

/// Cancels an order in any state the actor may cancel it from: open payment pages are closed
/// first, and a paid order's units and card money go back (`orders::server::transition`).
/// A staff cancellation is written to the audit log in the same transaction.
#[tracing::instrument(skip(state, staff))]
pub async fn cancel(state: &AppState, order_id: Uuid, actor: Actor, note: &str, staff: Option<&AuditActor>) -> Result<(), AppError> {
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
    if let Some(staff) = staff {
        let change = Change {
            action: "cancel",
            entity_kind: "order",
            entity_id: order_id.to_string(),
            before: Some(json!({ "status": status.as_str() })),
            after: Some(json!({ "status": "cancelled", "reason": note })),
        };
        audit::record(&mut tx, staff, change, now).await?;
    }
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
    if OrderStatus::parse(&status) != Some(OrderStatus::Pending) {
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
            let status = if matches!(delivery.notice, Notice::SessionExpired { .. }) { PaymentStatus::Cancelled } else { PaymentStatus::Failed };
            sqlx::query("update payments set status = $2 where checkout_session_id = $1 and status in ('pending', 'failed')")
                .bind(session_id)
                .bind(status.as_str())
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
    if exact && OrderStatus::parse(&status) == Some(OrderStatus::Pending) {
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

/// One line of a staff refund: how many of its units, and whether they go back on sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundLine {
    pub item: Uuid,
    pub quantity: i32,
    pub restock: bool,
}

/// What staff asked to give back: lines (priced at what was paid for them) and/or an amount.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefundRequest {
    /// Typed by staff; when `None`, the lines' price.
    pub amount_minor: Option<i64>,
    pub lines: Vec<RefundLine>,
    pub reason: String,
}

/// Staff give money back for an order: through Stripe for a card payment, or recorded as
/// given back outside the store for cash and bank transfers. The order row is locked while
/// the refund is checked and recorded, so two staff refunding at once cannot give back more
/// than was paid, nor refund or restock a unit twice. Returns the amount refunded.
#[tracing::instrument(skip(state, request, staff))]
pub async fn refund(state: &AppState, order_id: Uuid, request: &RefundRequest, staff: &AuditActor) -> Result<i64, AppError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let (status, method, _) = crate::orders::manage::locked_state(&mut tx, order_id).await?;
    let payment: Option<(Uuid, Option<String>, i64, i64, String)> = sqlx::query_as(
        "select p.id, p.provider_ref, p.amount_minor,
                greatest(p.refunded_minor, (select coalesce(sum(r.amount_minor), 0) from refunds r
                                            where r.payment_id = p.id and r.status <> 'failed'))::bigint,
                p.currency::text
         from payments p
         where p.order_id = $1 and p.provider = $2 and p.status in ('succeeded', 'partially_refunded', 'refunded')
           and (p.provider <> 'stripe' or p.provider_ref like 'pi_%')
         order by p.created_at limit 1
         for update of p",
    )
    .bind(order_id)
    .bind(method.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let (payment_id, intent, charged, refunded, currency) =
        payment.ok_or_else(|| AppError::Rejected("Nothing has been paid for this order yet, so there is nothing to refund.".into()))?;
    let items: Vec<(Uuid, i64, i32, i64, i64, Option<Uuid>)> = sqlx::query_as(
        "select i.id, i.unit_price_minor, i.quantity,
                coalesce((select sum(ri.quantity) from refund_items ri join refunds r on r.id = ri.refund_id
                          where ri.order_item_id = i.id and r.status <> 'failed'), 0)::bigint,
                coalesce((select sum(ri.quantity) from refund_items ri join refunds r on r.id = ri.refund_id
                          where ri.order_item_id = i.id and ri.restocked and r.status <> 'failed'), 0)::bigint,
                i.product_size_id
         from order_items i where i.order_id = $1",
    )
    .bind(order_id)
    .fetch_all(&mut *tx)
    .await?;
    let amount = refund_amount(request, &items, charged - refunded, crate::orders::manage::restock_allowed(status), &currency)?;
    let offline = method.is_offline();
    let refund_id: Uuid = sqlx::query_scalar(
        "insert into refunds (payment_id, amount_minor, reason, actor_user_id, status) values ($1, $2, $3, $4, $5) returning id",
    )
    .bind(payment_id)
    .bind(amount)
    .bind(request.reason.trim())
    .bind(staff.user_id)
    .bind(if offline { RefundStatus::Succeeded } else { RefundStatus::Pending }.as_str())
    .fetch_one(&mut *tx)
    .await?;
    for line in request.lines.iter().filter(|l| l.quantity > 0) {
        sqlx::query("insert into refund_items (refund_id, order_item_id, quantity, restocked) values ($1, $2, $3, $4)")
            .bind(refund_id)
            .bind(line.item)
            .bind(line.quantity)
            .bind(line.restock)
            .execute(&mut *tx)
            .await?;
        if line.restock {
            sqlx::query("update product_sizes set stock = stock + $2 where id = (select product_size_id from order_items where id = $1)")
                .bind(line.item)
                .bind(line.quantity)
                .execute(&mut *tx)
                .await?;
        }
    }
    if offline {
        // Given back outside the store: the payment shows it at once, and the order is
        // refunded when all of it went back.
        let all_back = refunded + amount >= charged;
        sqlx::query("update payments set refunded_minor = refunded_minor + $2, status = $3 where id = $1")
            .bind(payment_id)
            .bind(amount)
            .bind(if all_back { PaymentStatus::Refunded } else { PaymentStatus::PartiallyRefunded }.as_str())
            .execute(&mut *tx)
            .await?;
        if all_back && Actor::Staff(staff.user_id).may_move(status, OrderStatus::Refunded) {
            orders::transition(&mut tx, order_id, OrderStatus::Refunded, Actor::Staff(staff.user_id), "Refunded in full", now).await?;
        }
    }
    let lines: Vec<Value> = request.lines.iter().map(|l| json!({ "item": l.item, "quantity": l.quantity, "restock": l.restock })).collect();
    let change = Change {
        action: "refund",
        entity_kind: "order",
        entity_id: order_id.to_string(),
        before: Some(json!({ "refunded_minor": refunded })),
        after: Some(json!({ "refunded_minor": refunded + amount, "amount_minor": amount, "offline": offline, "reason": request.reason.trim(), "lines": lines })),
    };
    audit::record(&mut tx, staff, change, now).await?;
    tx.commit().await?;
    if !offline {
        let intent = intent.unwrap_or_default();
        let client = state.stripe.as_ref().ok_or_else(|| AppError::Rejected("Card payments are not configured.".into()))?;
        if send_refunds(state, client, &intent, vec![(refund_id, amount)]).await.is_err() {
            // Recorded and counted as given back: the queue sends it again until Stripe answers.
            let mut conn = state.db.acquire().await?;
            jobs::enqueue(&mut conn, SendPendingRefunds { payment_intent: intent }, now).await?;
        }
    }
    Ok(amount)
}

/// The amount a staff refund gives back, once every line and the amount are checked: each
/// line belongs to the order and refunds at most its units not yet refunded (and restocks at
/// most those not yet restocked, only when `restock_allowed`); the amount is the lines' price
/// unless typed, and between 0.01 and `left`.
fn refund_amount(request: &RefundRequest, items: &[(Uuid, i64, i32, i64, i64, Option<Uuid>)], left: i64, restock_allowed: bool, currency: &str) -> Result<i64, AppError> {
    let mut errors = crate::error::FieldErrors::new();
    let mut lines_price = 0i64;
    for (n, line) in request.lines.iter().enumerate() {
        let field = format!("lines[{n}]");
        let Some((_, unit, quantity, refunded, restocked, size)) = items.iter().find(|i| i.0 == line.item) else {
            errors.add(field, "That line is not part of this order.");
            continue;
        };
        let open = i64::from(*quantity) - refunded;
        if line.quantity < 0 || i64::from(line.quantity) > open {
            errors.add(field.clone(), format!("Refund from 0 to {open} of this line."));
        }
        if line.restock && line.quantity > 0 {
            if !restock_allowed {
                errors.add(field.clone(), "These units are not out of stock (the order was never paid, or its cancellation returned them).");
            } else if size.is_none() {
                errors.add(field.clone(), "This size is no longer in the catalogue, so it cannot go back on sale.");
            } else if i64::from(line.quantity) > i64::from(*quantity) - restocked {
                errors.add(field.clone(), "These units are already back in stock.");
            }
        }
        lines_price += unit * i64::from(line.quantity.max(0));
    }
    if request.reason.trim().chars().count() > 300 {
        errors.add("reason", "Use at most 300 characters.");
    }
    let amount = request.amount_minor.unwrap_or(lines_price);
    if left <= 0 {
        errors.add("amount", "Everything paid for this order has already been refunded.");
    } else if request.amount_minor.is_none() && lines_price == 0 {
        errors.add("amount", "Choose the lines to refund or enter an amount.");
    } else if amount <= 0 || amount > left {
        errors.add("amount", format!("Refund between 0.01 and {}.", crate::money::Money::new(left, currency)));
    }
    errors.into_result()?;
    Ok(amount)
}

/// Gives back all that is left of a card payment: one that arrived for an order no longer
/// waiting for it, or one of an order cancelled after payment. Run by the job queue, so a
/// failure is retried; nothing left to give back is success.
pub async fn refund_in_full(state: &AppState, payment_intent: &str, reason: &str) -> Result<(), AppError> {
    give_back(state, payment_intent, reason, true).await
}

/// The payment jobs: refunds queued by a late or wrong payment, or by cancelling a paid order.
pub fn register_jobs(jobs: &mut JobRegistry<AppState>) {
    jobs.handle(|state: AppState, job: RefundCardPayment| async move {
        Ok(refund_in_full(&state, &job.payment_intent, &job.reason).await?)
    });
    jobs.handle(|state: AppState, job: SendPendingRefunds| async move { Ok(give_back(&state, &job.payment_intent, "", false).await?) });
}


/// Sends again every refund of a card payment recorded but never confirmed, then (with
/// `the_rest`) refunds all that is left of it.
async fn give_back(state: &AppState, intent: &str, reason: &str, the_rest: bool) -> Result<(), AppError> {
    let client = state.stripe.as_ref().ok_or_else(|| AppError::Rejected("Card payments are not configured.".into()))?;
    // The payment row is locked while the refund is recorded, so two refunds at once cannot
    // both take the same money; refunds asked for but not yet confirmed by Stripe count.
    let mut tx = state.db.begin().await?;
    let payment: Option<(Uuid, String, i64, i64, String)> = sqlx::query_as(
        "select p.id, p.provider_ref, p.amount_minor,
                greatest(p.refunded_minor, (select coalesce(sum(r.amount_minor), 0) from refunds r
                                            where r.payment_id = p.id and r.status <> 'failed'))::bigint,
                p.currency::text
         from payments p
         where p.provider_ref = $1 and p.provider = 'stripe'
           and p.status in ('succeeded', 'partially_refunded') and p.provider_ref like 'pi_%'
         for update of p",
    )
    .bind(intent)
    .fetch_optional(&mut *tx)
    .await?;
    let (payment_id, intent, charged, refunded, _currency) =
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
    if the_rest && left > 0 {
        let refund_id: Uuid = sqlx::query_scalar("insert into refunds (payment_id, amount_minor, reason) values ($1, $2, $3) returning id")
            .bind(payment_id)
            .bind(left)
            .bind(reason)
            .fetch_one(&mut *tx)
            .await?;
        to_send.push((refund_id, left));
    }
    tx.commit().await?;
    send_refunds(state, client, &intent, to_send).await
}

/// Asks Stripe for each recorded refund of the payment intent, under the refund's own id as
/// the idempotency key, and records what Stripe answered.
async fn send_refunds(state: &AppState, client: &::stripe::Client, intent: &str, to_send: Vec<(Uuid, i64)>) -> Result<(), AppError> {
    let mut result = Ok(());
    for (refund_id, amount_minor) in to_send {
        let outcome = stripe::refund(client, intent, amount_minor, &refund_id.to_string()).await;
        // Only a definite refusal fails a refund; after a timeout or an outage it stays
        // pending (still counted as given back) and is sent again with the same key.
        let (status, reference) = match &outcome {
            Ok(id) => (RefundStatus::Succeeded, Some(id.clone())),
            Err(stripe::StripeError::Stripe(_, code)) if (400..500).contains(code) && *code != 409 && *code != 429 => {
                tracing::error!(error = ?outcome, "Stripe refused a refund");
                (RefundStatus::Failed, None)
            }
            Err(e) => {
                tracing::warn!(error = %e, "Stripe refund not confirmed; it is sent again on the next try");
                (RefundStatus::Pending, None)
            }
        };
        sqlx::query("update refunds set status = $2, provider_ref = $3 where id = $1").bind(refund_id).bind(status.as_str()).bind(reference).execute(&state.db).await?;
        if outcome.is_err() {
            result = Err(AppError::Unavailable);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::{refund_amount, RefundLine, RefundRequest};
    use uuid::Uuid;

    fn line(item: Uuid, quantity: i32, restock: bool) -> RefundLine {
        RefundLine { item, quantity, restock }
    }

    #[test]
    fn a_refund_takes_the_lines_price_and_never_more_than_is_left() {
        let (a, b, size) = (Uuid::now_v7(), Uuid::now_v7(), Some(Uuid::now_v7()));
        // Two lines: 2 × 30.00 (one refunded already), 1 × 12.50 (restocked once).
        let items = [(a, 3000, 2, 1, 0, size), (b, 1250, 1, 0, 0, size)];
        let request = |amount, lines| RefundRequest { amount_minor: amount, lines, reason: "Too small".into() };
        assert_eq!(refund_amount(&request(None, vec![line(a, 1, true), line(b, 1, false)]), &items, 9999, true, "USD").unwrap(), 4250);
        assert_eq!(refund_amount(&request(Some(500), vec![]), &items, 9999, true, "USD").unwrap(), 500, "an amount alone");
        let err = refund_amount(&request(None, vec![line(a, 2, false)]), &items, 9999, true, "USD").unwrap_err();
        assert!(err.field_error("lines[0]").is_some(), "only one unit of that line is left");
        let err = refund_amount(&request(Some(10_000), vec![]), &items, 9999, true, "USD").unwrap_err();
        assert_eq!(err.field_error("amount").as_deref(), Some("Refund between 0.01 and $99.99."));
        let err = refund_amount(&request(None, vec![]), &items, 9999, true, "USD").unwrap_err();
        assert!(err.field_error("amount").is_some(), "nothing chosen");
        let err = refund_amount(&request(None, vec![line(b, 1, true)]), &items, 9999, false, "USD").unwrap_err();
        assert!(err.field_error("lines[0]").is_some(), "no restock after a cancellation");
        let err = refund_amount(&request(None, vec![line(Uuid::now_v7(), 1, false)]), &items, 9999, true, "USD").unwrap_err();
        assert!(err.field_error("lines[0]").is_some(), "a line of another order");
        let err = refund_amount(&request(Some(100), vec![]), &items, 0, true, "USD").unwrap_err();
        assert!(err.field_error("amount").unwrap().contains("already been refunded"));
        let no_size = [(a, 3000, 2, 0, 0, None)];
        assert!(refund_amount(&request(None, vec![line(a, 1, true)]), &no_size, 9999, true, "USD").is_err(), "a deleted size is not restocked");
    }
}
