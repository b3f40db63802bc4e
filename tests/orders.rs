//! Buying against a real database: placing orders under contention, coupons, holds that
//! run out, idempotency, the status rules, the Stripe webhook and the whole checkout over
//! HTTP with a texted code.
#![cfg(feature = "ssr")]

mod support;

use axum::{body::Body, http::{header, Request, StatusCode}};
use chrono::Duration;
use larkspur::{
    error::AppError,
    orders::{server as orders, Actor, OrderStatus, PaymentMethod},
    payments::{
        server::{refund, RefundRequest},
        stripe,
    },
    pricing::DeliveryMethod,
    server::jobs,
};
use sqlx::PgPool;
use support::{shop::*, *};
use uuid::Uuid;

const WEBHOOK_SECRET: &str = "whsec_test_secret";
/// Orders these tests placed (the demo data has delivered orders of its own).
const PLACED: &str = "select count(*) from orders where status <> 'delivered'";

/// Every shopper places their order at the same moment.
async fn race(app: &std::sync::Arc<TestApp>, shoppers: Vec<(Uuid, Uuid)>, coupon: Option<&'static str>) -> Vec<Result<orders::Placed, AppError>> {
    let tasks: Vec<_> = shoppers
        .into_iter()
        .map(|(user, cart)| {
            let app = app.clone();
            tokio::spawn(async move { place(&app, user, cart, &format!("k-{user}"), coupon, PaymentMethod::CashOnDelivery).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    outcomes
}

async fn stock_of(db: &PgPool, variant: Uuid) -> (i32, i32) {
    sqlx::query_as("select stock, reserved from product_sizes where id = $1").bind(variant).fetch_one(db).await.unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn fifty_buyers_for_five_units_exactly_five_get_one(db: PgPool) {
    let app = spawn(db).await;
    let variant = variant_with_stock(&app.db, 5).await;
    let mut shoppers = Vec::new();
    for n in 0..50 {
        shoppers.push(shopper(&app.db, n, &[(variant, 1)]).await);
    }
    let app = std::sync::Arc::new(app);
    let mut placed = 0;
    for outcome in race(&app, shoppers, None).await {
        match outcome {
            Ok(_) => placed += 1,
            Err(AppError::Conflict(message)) => assert!(message.contains("sold out"), "{message}"),
            Err(other) => panic!("unexpected refusal: {other:?}"),
        }
    }
    assert_eq!(placed, 5, "exactly the five units were sold");
    assert_eq!(stock_of(&app.db, variant).await, (5, 5), "all five held, none beyond");
    assert_eq!(count(&app.db, PLACED).await, 5);
    assert_eq!(count(&app.db, "select count(*) from product_sizes where reserved > stock or stock < 0").await, 0);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_last_use_of_a_coupon_goes_to_exactly_one_shopper(db: PgPool) {
    let app = spawn(db).await;
    let variant = variant_with_stock(&app.db, 100).await;
    sqlx::query("insert into coupons (code, kind, value, usage_limit) values ('LASTONE', 'percent', 10, 3)").execute(&app.db).await.unwrap();
    sqlx::query("update coupons set times_used = 2 where code = 'LASTONE'").execute(&app.db).await.unwrap();
    let mut shoppers = Vec::new();
    for n in 0..12 {
        shoppers.push(shopper(&app.db, n, &[(variant, 1)]).await);
    }
    let app = std::sync::Arc::new(app);
    // Case does not matter.
    let outcomes = race(&app, shoppers, Some("lastone")).await;
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1);
    for refused in outcomes.iter().filter_map(|o| o.as_ref().err()) {
        assert_eq!(refused.field_error("coupon").as_deref(), Some("That code has been used up."));
    }
    assert_eq!(count(&app.db, "select times_used::bigint from coupons where code = 'LASTONE'").await, 3);
    assert_eq!(count(&app.db, "select count(*) from coupon_redemptions").await, 1);
    assert_eq!(count(&app.db, PLACED).await, 1, "refused shoppers have no order");
    assert_eq!(stock_of(&app.db, variant).await, (100, 1));
}

#[sqlx::test(migrations = "./migrations")]
async fn one_key_places_one_order_however_often_it_is_sent(db: PgPool) {
    let app = spawn(db).await;
    let variant = variant_with_stock(&app.db, 10).await;
    let (user, cart) = shopper(&app.db, 1, &[(variant, 2)]).await;
    let app = std::sync::Arc::new(app);
    // A double click: two requests at once with the same key.
    let (a, b) = tokio::join!(
        place(&app, user, cart, "checkout-1", None, PaymentMethod::CashOnDelivery),
        place(&app, user, cart, "checkout-1", None, PaymentMethod::CashOnDelivery)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.number, b.number);
    assert_ne!(a.created, b.created, "one of them created it");
    // A retry later finds it too, even though the cart is now empty.
    let again = place(&app, user, cart, "checkout-1", None, PaymentMethod::CashOnDelivery).await.unwrap();
    assert_eq!((again.number, again.created), (a.number, false));
    assert_eq!(count(&app.db, PLACED).await, 1);
    assert_eq!(stock_of(&app.db, variant).await, (10, 2), "held once");
    assert_eq!(count(&app.db, "select count(*) from cart_items").await, 0, "the cart became the order");
}

#[sqlx::test(migrations = "./migrations")]
async fn an_order_keeps_prices_totals_and_the_address_it_was_placed_with(db: PgPool) {
    let app = spawn(db).await;
    let first = variant_with_stock(&app.db, 10).await;
    let second = another_variant(&app.db, first, 10).await;
    let (user, cart) = shopper(&app.db, 1, &[(first, 2), (second, 1)]).await;
    sqlx::query("insert into coupons (code, kind, value) values ('TENOFF', 'fixed', 1000)").execute(&app.db).await.unwrap();
    let placed = place(&app, user, cart, "k", Some("TenOff"), PaymentMethod::CashOnDelivery).await.unwrap();
    let (subtotal, discount, shipping, total): (i64, i64, i64, i64) =
        sqlx::query_as("select subtotal_minor, discount_minor, shipping_minor, total_minor from orders where id = $1")
            .bind(placed.order_id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    let expected: i64 = count(
        &app.db,
        &format!(
            "select sum(p.effective_price_minor * case ps.id when '{first}' then 2 else 1 end)::bigint from product_sizes ps
             join product_colours pc on pc.id = ps.product_colour_id join products p on p.id = pc.product_id
             where ps.id in ('{first}', '{second}')"
        ),
    )
    .await;
    assert_eq!(subtotal, expected);
    assert_eq!(discount, 1000);
    assert_eq!(shipping, if subtotal - 1000 >= 7500 { 0 } else { 500 });
    assert_eq!(total, subtotal - discount + shipping);
    // Later price changes and address edits leave the order as it was.
    sqlx::query("update products set price_minor = price_minor * 2, price_override_minor = null").execute(&app.db).await.unwrap();
    let detail = orders::detail(&app.db, placed.order_id).await.unwrap();
    assert_eq!(detail.lines.iter().map(|l| l.line_total_minor).sum::<i64>(), subtotal);
    assert_eq!(detail.address, address());
    assert_eq!(detail.status, OrderStatus::Pending);
    assert_eq!(detail.history.len(), 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn every_refusal_leaves_stock_cart_and_coupons_as_they_were(db: PgPool) {
    let app = spawn(db).await;
    let variant = variant_with_stock(&app.db, 3).await;
    sqlx::query(
        "insert into coupons (code, kind, value, min_order_minor, starts_at, expires_at, per_user_limit) values
         ('FUTURE', 'percent', 10, 0, '2027-01-01', null, null),
         ('OLD', 'percent', 10, 0, '2020-01-01', '2021-01-01', null),
         ('BIG', 'percent', 10, 99999999, null, null, null),
         ('OFF', 'percent', 10, 0, null, null, null)",
    )
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query("update coupons set is_active = false where code = 'OFF'").execute(&app.db).await.unwrap();
    let (user, cart) = shopper(&app.db, 1, &[(variant, 2)]).await;
    let snapshot = |db: PgPool| async move {
        (
            count(&db, PLACED).await,
            count(&db, "select coalesce(sum(quantity), 0)::bigint from cart_items").await,
            count(&db, "select coalesce(sum(times_used), 0)::bigint from coupons").await,
            count(&db, "select sum(stock * 1000 + reserved)::bigint from product_sizes").await,
        )
    };
    let before = snapshot(app.db.clone()).await;
    let messages = [
        ("NOPE", "We don't recognise that code. Check it and try again."),
        ("FUTURE", "That code isn't active yet."),
        ("OLD", "That code has expired."),
        ("BIG", "That code needs an order of at least $999,999.99."),
        ("OFF", "We don't recognise that code. Check it and try again."),
    ];
    for (code, message) in messages {
        let err = place(&app, user, cart, "k", Some(code), PaymentMethod::CashOnDelivery).await.unwrap_err();
        assert_eq!(err.field_error("coupon").as_deref(), Some(message), "{code}");
    }
    // The total changed since the review page.
    let address = address();
    let err = orders::place(
        &app.db,
        &app.state.config.delivery,
        &app.state.config.holds,
        app.clock_now(),
        orders::Placement {
            user_id: user,
            cart_id: cart,
            email: "a@example.com",
            phone: "+15555550100",
            address: &address,
            delivery: DeliveryMethod::Express,
            coupon_code: None,
            payment: PaymentMethod::CashOnDelivery,
            idempotency_key: "k",
            expected_total_minor: Some(1),
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AppError::Conflict(ref m) if m.starts_with("The total is now")), "{err:?}");
    // The price changed since the shopper saw it.
    sqlx::query("update cart_items set price_seen_minor = price_seen_minor - 1").execute(&app.db).await.unwrap();
    let err = place(&app, user, cart, "k", None, PaymentMethod::CashOnDelivery).await.unwrap_err();
    assert!(matches!(err, AppError::Conflict(ref m) if m.contains("Review your cart")), "{err:?}");
    sqlx::query("update cart_items set price_seen_minor = price_seen_minor + 1").execute(&app.db).await.unwrap();
    // Someone else bought two of the three units meanwhile.
    sqlx::query("update product_sizes set reserved = 2 where id = $1").bind(variant).execute(&app.db).await.unwrap();
    let err = place(&app, user, cart, "k", None, PaymentMethod::CashOnDelivery).await.unwrap_err();
    assert!(matches!(err, AppError::Conflict(ref m) if m.starts_with("Only 1 of")), "{err:?}");
    sqlx::query("update product_sizes set reserved = 0 where id = $1").bind(variant).execute(&app.db).await.unwrap();
    assert_eq!(snapshot(app.db.clone()).await, before, "nothing changed");
    // An empty cart.
    let (other, empty) = shopper(&app.db, 2, &[]).await;
    let err = place(&app, other, empty, "k", None, PaymentMethod::CashOnDelivery).await.unwrap_err();
    assert_eq!(err, AppError::Rejected("Your cart is empty.".into()));
}

#[sqlx::test(migrations = "./migrations")]
async fn an_unpaid_card_order_gives_its_stock_back_when_the_hold_runs_out(db: PgPool) {
    let app = spawn(db).await;
    let variant = variant_with_stock(&app.db, 4).await;
    sqlx::query("insert into coupons (code, kind, value, usage_limit) values ('ONCE', 'fixed', 100, 1)").execute(&app.db).await.unwrap();
    let (user, cart) = shopper(&app.db, 1, &[(variant, 3)]).await;
    let placed = place(&app, user, cart, "k", Some("ONCE"), PaymentMethod::Stripe).await.unwrap();
    assert_eq!(stock_of(&app.db, variant).await, (4, 3));
    // The payment page is open for an hour and the units stay held 15 minutes longer.
    assert_eq!(orders::release_expired(&app.db, app.clock_now() + Duration::minutes(74)).await.unwrap(), 0);
    assert_eq!(orders::release_expired(&app.db, app.clock_now() + Duration::minutes(76)).await.unwrap(), 1);
    assert_eq!(stock_of(&app.db, variant).await, (4, 0), "back on sale");
    let detail = orders::detail(&app.db, placed.order_id).await.unwrap();
    assert_eq!(detail.status, OrderStatus::Cancelled);
    let actor: String = sqlx::query_scalar("select actor_kind from order_status_history where order_id = $1 and to_status = 'cancelled'")
        .bind(placed.order_id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(actor, "system");
    assert_eq!(count(&app.db, "select times_used::bigint from coupons where code = 'ONCE'").await, 0, "the coupon use came back");
    // A bank transfer has a week; so has cash on delivery for staff to confirm it.
    let (other, other_cart) = shopper(&app.db, 2, &[(variant, 1)]).await;
    let cash = place(&app, other, other_cart, "k2", None, PaymentMethod::CashOnDelivery).await.unwrap();
    let (third, third_cart) = shopper(&app.db, 3, &[(variant, 1)]).await;
    let transfer = place(&app, third, third_cart, "k3", None, PaymentMethod::BankTransfer).await.unwrap();
    assert_eq!(orders::release_expired(&app.db, app.clock_now() + Duration::days(7) - Duration::minutes(1)).await.unwrap(), 0);
    assert_eq!(orders::release_expired(&app.db, app.clock_now() + Duration::days(7)).await.unwrap(), 2);
    assert_eq!(orders::detail(&app.db, transfer.order_id).await.unwrap().status, OrderStatus::Cancelled);
    assert_eq!(orders::detail(&app.db, cash.order_id).await.unwrap().status, OrderStatus::Cancelled, "a cash hold ends too");
    assert_eq!(stock_of(&app.db, variant).await, (4, 0));
}

#[sqlx::test(migrations = "./migrations")]
async fn a_customer_holds_stock_in_three_unpaid_orders_at_most(db: PgPool) {
    let app = spawn(db).await;
    let variant = variant_with_stock(&app.db, 10).await;
    let (user, cart) = shopper(&app.db, 1, &[]).await;
    let mut placed = Vec::new();
    for n in 0..orders::MAX_WAITING_ORDERS {
        add_to_cart(&app.db, cart, variant, 1).await;
        placed.push(place(&app, user, cart, &format!("k{n}"), None, PaymentMethod::CashOnDelivery).await.unwrap());
    }
    add_to_cart(&app.db, cart, variant, 1).await;
    let err = place(&app, user, cart, "k-more", None, PaymentMethod::CashOnDelivery).await.unwrap_err();
    assert!(matches!(&err, AppError::Rejected(m) if m.contains("3 orders waiting for payment")), "{err:?}");
    assert_eq!(stock_of(&app.db, variant).await, (10, 3), "nothing more held");
    assert_eq!(count(&app.db, "select count(*) from cart_items").await, 1, "the cart is kept");
    // A retry of an order already placed still finds it, and paying one frees a place.
    assert!(!place(&app, user, cart, "k0", None, PaymentMethod::CashOnDelivery).await.unwrap().created);
    let mut tx = app.db.begin().await.unwrap();
    orders::transition(&mut tx, placed[0].order_id, OrderStatus::Paid, Actor::Staff(user), "", app.clock_now()).await.unwrap();
    tx.commit().await.unwrap();
    assert!(place(&app, user, cart, "k-more", None, PaymentMethod::CashOnDelivery).await.unwrap().created);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_bank_transfer_order_says_where_to_pay_and_by_when(db: PgPool) {
    let details = "Larkspur Ltd, IBAN GB33 BUKB 2020 1555 5555 55";
    let app = spawn_configured(db, &redis_url(), &[("BANK_TRANSFER_DETAILS", details)]).await;
    let variant = variant_with_stock(&app.db, 5).await;
    let (user, cart) = shopper(&app.db, 1, &[(variant, 1)]).await;
    let placed = place(&app, user, cart, "k", None, PaymentMethod::BankTransfer).await.unwrap();
    let order = orders::with_bank_details(orders::detail(&app.db, placed.order_id).await.unwrap(), Some(details));
    let how = order.transfer_instructions().expect("instructions for a waiting transfer");
    assert!(how.contains(details) && how.contains(&format!("#{}", placed.number)), "{how}");
    assert!(how.contains("29 November 2026"), "a week after 22 November: {how}");
    jobs::run_due(&app.state).await.unwrap();
    let mail = latest_message_to(&app, "buyer1@example.com");
    assert!(mail.contains("GB33 BUKB 2020 1555 5555 55"), "the confirmation says where to pay: {mail}");

    // Once it is paid, the instructions go.
    let mut tx = app.db.begin().await.unwrap();
    orders::transition(&mut tx, placed.order_id, OrderStatus::Paid, Actor::Staff(user), "Transfer received", app.clock_now()).await.unwrap();
    tx.commit().await.unwrap();
    let order = orders::with_bank_details(orders::detail(&app.db, placed.order_id).await.unwrap(), Some(details));
    assert_eq!(order.transfer_instructions(), None);
}

#[sqlx::test(migrations = "./migrations")]
async fn status_changes_follow_the_rules_in_rust_and_in_the_database(db: PgPool) {
    let app = spawn(db).await;
    let legal: Vec<(String, String)> =
        sqlx::query_as("select from_status, to_status from order_status_transitions").fetch_all(&app.db).await.unwrap();
    for from in OrderStatus::ALL {
        for to in OrderStatus::ALL {
            let in_db = legal.iter().any(|(f, t)| f == from.as_str() && t == to.as_str());
            assert_eq!(from.can_become(to), in_db, "{from:?} → {to:?}");
        }
    }
    let variant = variant_with_stock(&app.db, 5).await;
    let (user, cart) = shopper(&app.db, 1, &[(variant, 2)]).await;
    let placed = place(&app, user, cart, "k", None, PaymentMethod::CashOnDelivery).await.unwrap();
    let now = app.clock_now();
    let mut tx = app.db.begin().await.unwrap();
    let err = orders::transition(&mut tx, placed.order_id, OrderStatus::Shipped, Actor::Staff(user), "", now).await.unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)));
    drop(tx);
    let direct = sqlx::query("update orders set status = 'shipped' where id = $1").bind(placed.order_id).execute(&app.db).await;
    assert!(direct.is_err(), "the database refuses an illegal change too");

    let mut tx = app.db.begin().await.unwrap();
    orders::transition(&mut tx, placed.order_id, OrderStatus::Paid, Actor::Staff(user), "Bank transfer arrived", now).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(stock_of(&app.db, variant).await, (3, 0), "sold units leave stock");
    let mut tx = app.db.begin().await.unwrap();
    orders::transition(&mut tx, placed.order_id, OrderStatus::Cancelled, Actor::Staff(user), "Customer asked", now).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(stock_of(&app.db, variant).await, (5, 0), "an unshipped cancelled order returns its units");
    let history: Vec<(Option<String>, String, String)> =
        sqlx::query_as("select from_status, to_status, actor_kind from order_status_history where order_id = $1 order by created_at, id")
            .bind(placed.order_id)
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(
        history,
        vec![
            (None, "pending".into(), "customer".into()),
            (Some("pending".into()), "paid".into(), "staff".into()),
            (Some("paid".into()), "cancelled".into(), "staff".into())
        ]
    );
}

/// A Stripe event as its webhook delivers it, around `object`.
fn event(id: &str, kind: &str, object: serde_json::Value) -> String {
    serde_json::json!({ "id": id, "object": "event", "type": kind, "created": 1_700_000_000, "livemode": false, "pending_webhooks": 1,
                        "api_version": "2026-09-30.endive", "request": { "id": null, "idempotency_key": null }, "data": { "object": object } })
    .to_string()
}

/// A Checkout Session with every field async-stripe requires, as Stripe sends it.
fn session(id: &str, payment_status: &str, payment_intent: Option<&str>, order_id: Uuid) -> serde_json::Value {
    session_of(id, payment_status, payment_intent, order_id, 2500, "usd")
}

/// A Checkout Session for `amount` minor units of `currency`.
fn session_of(id: &str, payment_status: &str, payment_intent: Option<&str>, order_id: Uuid, amount: i64, currency: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "object": "checkout.session", "mode": "payment", "status": if payment_status == "paid" { "complete" } else { "open" },
        "payment_status": payment_status, "payment_intent": payment_intent, "client_reference_id": order_id,
        "metadata": { "order_id": order_id }, "created": 1_700_000_000, "expires_at": 1_700_001_860, "livemode": false,
        "currency": currency, "amount_total": amount, "amount_subtotal": amount, "customer_email": "buyer@example.com", "url": null,
        "automatic_tax": { "enabled": false, "liability": null, "provider": null, "status": null },
        "custom_fields": [], "custom_text": { "after_submit": null, "shipping_address": null, "submit": null, "terms_of_service_acceptance": null },
        "payment_method_types": ["card"], "shipping_options": []
    })
}

/// The session `id` of `placed`, paid in full through `payment_intent`.
fn paid_session(id: &str, payment_intent: &str, placed: &orders::Placed) -> serde_json::Value {
    session_of(id, "paid", Some(payment_intent), placed.order_id, placed.total_minor, &placed.currency.to_lowercase())
}

/// A charge on `payment_intent` of which `refunded` has gone back.
fn charge(payment_intent: &str, amount: i64, refunded: i64) -> serde_json::Value {
    serde_json::json!({
        "id": "ch_test_1", "object": "charge", "amount": amount, "amount_captured": amount, "amount_refunded": refunded,
        "refunded": refunded >= amount, "captured": true, "paid": true, "disputed": false, "status": "succeeded",
        "currency": "usd", "created": 1_700_000_000, "livemode": false, "metadata": {}, "payment_intent": payment_intent,
        "billing_details": { "address": null, "email": null, "name": null, "phone": null, "tax_id": null }
    })
}

/// A form-encoded request body as its fields.
fn form(body: &str) -> std::collections::HashMap<String, String> {
    url::form_urlencoded::parse(body.as_bytes()).into_owned().collect()
}

/// Delivers `payload` signed with the endpoint secret, as Stripe would.
async fn deliver(app: &TestApp, payload: String) {
    let signature = stripe::sign(WEBHOOK_SECRET, &payload, app.clock_now().timestamp());
    larkspur::payments::server::receive(&app.state, &signature, payload.as_bytes()).await.unwrap();
}

async fn send_webhook(client: &Client, payload: &str, signature: &str) -> Response {
    let builder = Request::post("/webhooks/stripe")
        .header(header::CONTENT_TYPE, "application/json")
        .header("stripe-signature", signature)
        // Stripe's servers are another site: the signature, not the origin, authenticates.
        .header(header::ORIGIN, "https://stripe.example");
    client.request(builder, Body::from(payload.to_owned())).await
}

#[sqlx::test(migrations = "./migrations")]
async fn only_signed_webhooks_count_and_a_replay_changes_nothing(db: PgPool) {
    let app = spawn_configured(db, &redis_url(), &[("STRIPE_SECRET_KEY", "sk_test_larkspur"), ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)]).await;
    let variant = variant_with_stock(&app.db, 5).await;
    let (user, cart) = shopper(&app.db, 1, &[(variant, 1)]).await;
    let placed = place(&app, user, cart, "k", None, PaymentMethod::Stripe).await.unwrap();
    sqlx::query("update payments set checkout_session_id = 'cs_test_1' where order_id = $1").bind(placed.order_id).execute(&app.db).await.unwrap();
    let payload = event("evt_paid_1", "checkout.session.completed", paid_session("cs_test_1", "pi_test_1", &placed));
    let client = Client::new(&app);
    let now = app.clock_now().timestamp();

    let unsigned = send_webhook(&client, &payload, "").await;
    assert_eq!(unsigned.status, StatusCode::BAD_REQUEST);
    let forged = send_webhook(&client, &payload, &stripe::sign("whsec_wrong", &payload, now)).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    let stale = send_webhook(&client, &payload, &stripe::sign(WEBHOOK_SECRET, &payload, now - 600)).await;
    assert_eq!(stale.status, StatusCode::BAD_REQUEST);
    let tampered = payload.replace("cs_test_1", "cs_test_2");
    let swapped = send_webhook(&client, &tampered, &stripe::sign(WEBHOOK_SECRET, &payload, now)).await;
    assert_eq!(swapped.status, StatusCode::BAD_REQUEST);
    assert_eq!(orders::detail(&app.db, placed.order_id).await.unwrap().status, OrderStatus::Pending, "not paid by any of those");

    let signed = send_webhook(&client, &payload, &stripe::sign(WEBHOOK_SECRET, &payload, now)).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
    let detail = orders::detail(&app.db, placed.order_id).await.unwrap();
    assert_eq!((detail.status, detail.payment_status.as_str()), (OrderStatus::Paid, "succeeded"));
    assert_eq!(stock_of(&app.db, variant).await, (4, 0));

    let replay = send_webhook(&client, &payload, &stripe::sign(WEBHOOK_SECRET, &payload, now + 5)).await;
    assert_eq!(replay.status, StatusCode::OK);
    assert_eq!(stock_of(&app.db, variant).await, (4, 0), "stock taken once");
    let paid = format!("select count(*) from order_status_history where to_status = 'paid' and order_id = '{}'", placed.order_id);
    assert_eq!(count(&app.db, &paid).await, 1);
    assert_eq!(count(&app.db, "select count(*) from payment_events").await, 1);

    // A full refund confirmed by Stripe marks the order refunded.
    let refund = event("evt_refund_1", "charge.refunded", charge("pi_test_1", detail.total_minor, detail.total_minor));
    let res = send_webhook(&client, &refund, &stripe::sign(WEBHOOK_SECRET, &refund, now)).await;
    assert_eq!(res.status, StatusCode::OK);
    let detail = orders::detail(&app.db, placed.order_id).await.unwrap();
    assert_eq!((detail.status, detail.payment_status.as_str()), (OrderStatus::Refunded, "refunded"));
}

#[sqlx::test(migrations = "./migrations")]
async fn order_emails_are_sent_by_the_queue_and_retried(db: PgPool) {
    let app = spawn(db).await;
    let unconfigured = send_webhook(&Client::new(&app), "{}", "").await;
    assert_eq!(unconfigured.status, StatusCode::NOT_FOUND, "without Stripe keys there is no webhook");
    let variant = variant_with_stock(&app.db, 5).await;
    let (user, cart) = shopper(&app.db, 1, &[(variant, 1)]).await;
    let placed = place(&app, user, cart, "k", None, PaymentMethod::CashOnDelivery).await.unwrap();
    assert_eq!(count(&app.db, "select count(*) from jobs where done_at is null").await, 1, "queued with the order");
    assert!(outbox_messages(&app).iter().all(|m| !m.contains("We've received your order")), "not sent inside the request");
    assert_eq!(jobs::run_due(&app.state).await.unwrap(), 1);
    let mail = latest_message_to(&app, "buyer1@example.com");
    assert!(mail.contains(&format!("Subject: We've received your order #{}", placed.number)), "{mail}");
    assert!(mail.contains("Content-Type: text/html") && mail.contains("Content-Type: text/plain"));
    assert_eq!(count(&app.db, &format!("select count(*) from jobs where done_at is not null and payload->'payload'->>'order_id' = '{}'", placed.order_id)).await, 1);
    assert_eq!(jobs::run_due(&app.state).await.unwrap(), 0, "sent once");

    // A job that fails waits and is tried again; it is not lost.
    sqlx::query("insert into jobs (kind, payload) values ('order_email', '{\"kind\":\"order_email\",\"payload\":{\"order_id\":\"00000000-0000-0000-0000-000000000000\",\"event\":\"Paid\"}}')")
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("update jobs set run_at = $1 where done_at is null").bind(app.clock_now()).execute(&app.db).await.unwrap();
    assert_eq!(jobs::run_due(&app.state).await.unwrap(), 1);
    let (attempts, error, waiting): (i32, Option<String>, bool) =
        sqlx::query_as("select attempts, last_error, run_at > $1 from jobs where done_at is null").bind(app.clock_now()).fetch_one(&app.db).await.unwrap();
    assert_eq!(attempts, 1);
    assert!(error.is_some_and(|e| e.contains("loading order")));
    assert!(waiting, "retried later, with backoff");
}

/// The whole checkout over HTTP, as a browser without JavaScript would do it.
#[sqlx::test(migrations = "./migrations")]
async fn a_visitor_checks_out_with_a_texted_code_and_becomes_a_customer(db: PgPool) {
    let app = spawn(db).await;
    let variant = variant_with_stock(&app.db, 5).await;
    let browser = Client::new(&app);
    browser.accept_cookies().await;
    let res = browser.call("cart/add", &[("variant_id", &variant.to_string()), ("quantity", "2")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let cart_page = browser.get("/cart").await;
    assert_eq!(cart_page.status, StatusCode::OK);
    assert!(cart_page.body.contains("data-testid=\"cart-line\""));

    let page = browser.get("/checkout").await;
    assert!(page.body.contains("Text me a code"), "contact step first");
    // Bad input: messages beside the fields, nothing sent.
    browser.post_form("checkout/contact", &[("email", "not-an-email"), ("phone", "12")], "/checkout").await;
    let page = browser.get("/checkout").await;
    assert!(page.body.contains("Enter a valid email address"), "{}", page.body);
    assert!(page.body.contains("Include the country code"));

    let phone = "+15555550142";
    let res = browser.post_form("checkout/contact", &[("email", "new.buyer@example.com"), ("phone", phone)], "/checkout").await;
    assert_eq!(res.status, StatusCode::FOUND);
    let code = latest_sms_code(&app, phone);
    let session_before = browser.cookie("larkspur_session");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    browser.post_form("checkout/verify", &[("email", "new.buyer@example.com"), ("phone", phone), ("code", wrong)], "/checkout").await;
    assert!(browser.get("/checkout").await.body.contains("That code isn't right"));
    let res = browser.post_form("checkout/verify", &[("email", "new.buyer@example.com"), ("phone", phone), ("code", &code)], "/checkout").await;
    assert_eq!(res.headers_location.as_deref(), Some("/checkout"), "{}", res.body);
    assert_ne!(browser.cookie("larkspur_session"), session_before, "the session id rotated");
    let (user, email_verified): (Uuid, bool) =
        sqlx::query_as("select id, email_verified_at is not null from users where phone = $1 and phone_verified_at is not null")
            .bind(phone)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(!email_verified, "the email is kept unverified");
    assert_eq!(count(&app.db, &format!("select coalesce(sum(ci.quantity), 0)::bigint from cart_items ci join carts c on c.id = ci.cart_id where c.user_id = '{user}'")).await, 2, "the cart moved to the account");

    // Address: a city that is not in the chosen state is refused, and what was typed stays.
    let (country, state, city): (Uuid, Uuid, Uuid) = sqlx::query_as(
        "select co.id, s.id, ci.id from cities ci join states s on s.id = ci.state_id join countries co on co.id = s.country_id
         where co.code = 'US' and ci.name = 'San Francisco'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let elsewhere: Uuid = sqlx::query_scalar("select ci.id from cities ci where ci.name = 'London'").fetch_one(&app.db).await.unwrap();
    let mut fields = vec![
        ("recipient_name", "Grace Hopper".to_string()),
        ("phone", phone.to_string()),
        ("line1", "1 Market Street".to_string()),
        ("country", country.to_string()),
        ("state", state.to_string()),
        ("city", elsewhere.to_string()),
        ("postal_code", "9410".to_string()),
    ];
    let as_args = |f: &Vec<(&'static str, String)>| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let args = as_args(&fields);
    let borrowed: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    browser.post_form("checkout/address", &borrowed, "/checkout").await;
    let page = browser.get("/checkout").await;
    assert!(page.body.contains("Choose a city from the list for this state."), "{}", page.body);
    assert!(page.body.contains("Grace Hopper"), "typed values stay");
    assert_eq!(count(&app.db, "select count(*) from addresses").await, 0);
    fields[5].1 = city.to_string();
    fields[6].1 = "94105".to_string();
    let args = as_args(&fields);
    let borrowed: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = browser.post_form("checkout/address", &borrowed, "/checkout").await;
    assert_eq!(res.headers_location.as_deref(), Some("/checkout"));

    // WELCOME10 is one of the demo promo codes.
    browser.post_form("checkout/delivery", &[("delivery", "express"), ("coupon", "NOPE")], "/checkout").await;
    assert!(browser.get("/checkout").await.body.contains("recognise that code"), "the refusal is shown beside the field");
    // Guessing codes meets a pause after ten refusals, even for a good code, until it passes.
    for n in 2..=10 {
        browser.post_form("checkout/delivery", &[("delivery", "express"), ("coupon", &format!("GUESS{n}"))], "/checkout").await;
    }
    browser.post_form("checkout/delivery", &[("delivery", "express"), ("coupon", "welcome10")], "/checkout").await;
    assert!(browser.get("/checkout").await.body.contains("Please wait 15 minutes"), "paused");
    app.clock.advance(Duration::minutes(15));
    let res = browser.post_form("checkout/delivery", &[("delivery", "express"), ("coupon", "welcome10")], "/checkout").await;
    assert_eq!(res.headers_location.as_deref(), Some("/checkout"));
    let review = browser.get("/checkout").await;
    assert!(review.body.contains("Place order"), "{}", review.body);
    let key = between(&review.body, "name=\"key\" value=\"", "\"");
    let total = between(&review.body, "name=\"expected_total\" value=\"", "\"");

    // Another site cannot place it.
    let cross = browser
        .request(
            Request::post("/api/checkout/place")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ORIGIN, "https://evil.example"),
            Body::from(format!("key={key}&payment=cash_on_delivery&expected_total={total}")),
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert_eq!(count(&app.db, PLACED).await, 0);

    let args = [("key", key.as_str()), ("payment", "cash_on_delivery"), ("expected_total", total.as_str())];
    let placed = browser.post_form("checkout/place", &args, "/checkout").await;
    let location = placed.headers_location.clone().unwrap_or_default();
    assert!(location.starts_with("/account/orders/"), "{location} {}", placed.body);
    // The same form sent again (a double click) shows the same order.
    let again = browser.post_form("checkout/place", &args, "/checkout").await;
    assert_eq!(again.headers_location.as_deref().map(|l| l.split('?').next().unwrap()), Some(location.split('?').next().unwrap()));
    assert_eq!(count(&app.db, PLACED).await, 1);
    let (status, discount): (String, i64) =
        sqlx::query_as("select status, discount_minor from orders where status <> 'delivered'").fetch_one(&app.db).await.unwrap();
    assert_eq!(status, "pending");
    assert!(discount > 0);

    let order_page = browser.get(&location).await;
    assert_eq!(order_page.status, StatusCode::OK);
    assert!(order_page.body.contains("Pending") && order_page.body.contains("Grace Hopper"));
    assert!(browser.get("/account/orders").await.body.contains(location.trim_start_matches("/account/orders/").split('?').next().unwrap()));

    // Another customer gets "not found" for it, not "forbidden".
    create_user(&app.db, "other@example.com", "correct horse battery", "customer").await;
    let other = Client::new(&app);
    other.call("auth/sign-in/password", &[("email", "other@example.com"), ("password", "correct horse battery"), ("next", "/")]).await;
    let number = location.trim_start_matches("/account/orders/").split('?').next().unwrap().to_owned();
    assert_eq!(other.get(&format!("/account/orders/{number}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.call("orders/get", &[("number", &number)]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.call("orders/cancel", &[("number", &number)]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(status_of(&app.db, &number).await, "pending");
}

async fn status_of(db: &PgPool, number: &str) -> String {
    sqlx::query_scalar("select status from orders where number = $1::bigint").bind(number).fetch_one(db).await.unwrap()
}

/// A local HTTP stand-in for the two Stripe endpoints the store calls; it records what it
/// was sent.
/// What the Stripe stand-in was asked: ("session" | "refund", form body).
type Seen = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

async fn stripe_stand_in() -> (String, Seen) {
    use axum::{extract::State, routing::post, Json, Router};
    let seen: Seen = Default::default();
    async fn create_session(State(seen): State<Seen>, body: String) -> Json<serde_json::Value> {
        let n = {
            let mut seen = seen.lock().unwrap();
            seen.push(("session".into(), body));
            seen.iter().filter(|(kind, _)| kind == "session").count()
        };
        let id = format!("cs_test_standin_{n}");
        let mut created = session(&id, "unpaid", None, Uuid::nil());
        created["url"] = format!("https://checkout.stripe.test/pay/{id}").into();
        Json(created)
    }
    async fn expire(State(seen): State<Seen>, axum::extract::Path(id): axum::extract::Path<String>) -> Json<serde_json::Value> {
        seen.lock().unwrap().push(("expire".into(), id.clone()));
        let mut expired = session(&id, "unpaid", None, Uuid::nil());
        expired["status"] = "expired".into();
        Json(expired)
    }
    async fn refund(State(seen): State<Seen>, headers: axum::http::HeaderMap, body: String) -> Json<serde_json::Value> {
        let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let n = { let mut s = seen.lock().unwrap(); s.push(("refund".into(), body)); s.push(("refund-key".into(), key)); s.len() };
        Json(serde_json::json!({ "id": format!("re_test_{n}"), "object": "refund", "amount": 100, "currency": "usd", "created": 1_700_000_000,
                                 "status": "succeeded", "payment_intent": "pi_test_9", "metadata": {} }))
    }
    let app = Router::new()
        .route("/v1/checkout/sessions", post(create_session))
        .route("/v1/checkout/sessions/{id}/expire", post(expire))
        .route("/v1/refunds", post(refund))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

/// An app whose Stripe is a fresh stand-in, and a card order for one unit: the app, what the
/// stand-in is asked, the shopper, the order and the variant.
async fn card_order(db: PgPool) -> (TestApp, Seen, Uuid, orders::Placed, Uuid) {
    let (base, seen) = stripe_stand_in().await;
    let vars = [("STRIPE_SECRET_KEY", "sk_test_larkspur"), ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET), ("STRIPE_API_BASE", base.as_str())];
    let app = spawn_configured(db, &redis_url(), &vars).await;
    let variant = variant_with_stock(&app.db, 5).await;
    let (user, cart) = shopper(&app.db, 1, &[(variant, 1)]).await;
    let placed = place(&app, user, cart, "k", None, PaymentMethod::Stripe).await.unwrap();
    (app, seen, user, placed, variant)
}

/// The refunds the stand-in was asked for, as form fields.
fn refunds_asked(seen: &Seen) -> Vec<std::collections::HashMap<String, String>> {
    seen.lock().unwrap().iter().filter(|(kind, _)| kind == "refund").map(|(_, body)| form(body)).collect()
}

fn refund_of(payment_intent: &str, amount: i64) -> std::collections::HashMap<String, String> {
    std::collections::HashMap::from([("payment_intent".to_owned(), payment_intent.to_owned()), ("amount".to_owned(), amount.to_string())])
}

#[sqlx::test(migrations = "./migrations")]
async fn card_payment_starts_on_stripe_and_refunds_go_back_in_parts(db: PgPool) {
    let (app, seen, user, placed, _) = card_order(db).await;

    let url = larkspur::payments::server::start_checkout(&app.state, placed.order_id).await.unwrap();
    assert_eq!(url, "https://checkout.stripe.test/pay/cs_test_standin_1");
    let sent = form(&seen.lock().unwrap()[0].1);
    let order_ref = placed.order_id.to_string();
    assert_eq!(sent.get("line_items[0][price_data][unit_amount]"), Some(&placed.total_minor.to_string()), "{sent:?}");
    assert_eq!(sent.get("line_items[0][quantity]").map(String::as_str), Some("1"));
    assert_eq!(sent.get("metadata[order_id]"), Some(&order_ref));
    assert_eq!(sent.get("payment_intent_data[metadata][order_id]"), Some(&order_ref));
    assert_eq!(sent.get("mode").map(String::as_str), Some("payment"));
    let reference: Option<String> = sqlx::query_scalar("select checkout_session_id from payments where order_id = $1").bind(placed.order_id).fetch_one(&app.db).await.unwrap();
    assert_eq!(reference.as_deref(), Some("cs_test_standin_1"));
    assert_eq!(sent.get("allowed_payment_method_types[0]").map(String::as_str), Some("card"), "cards only: no delayed methods");

    // Refunding before anything was paid is refused.
    let staff = larkspur::audit::server::Actor { user_id: user, client_ip: None };
    let by_amount = |amount| RefundRequest { amount_minor: Some(amount), lines: vec![], reason: String::new() };
    let err = refund(&app.state, placed.order_id, &by_amount(100), &staff).await.unwrap_err();
    assert_eq!(err, AppError::Rejected("Nothing has been paid for this order yet, so there is nothing to refund.".into()));

    deliver(&app, event("evt_paid", "checkout.session.completed", paid_session("cs_test_standin_1", "pi_test_9", &placed))).await;
    let total = placed.total_minor;
    // Part of it, then more than is left (refused), then the rest.
    let part = RefundRequest { reason: "Damaged strap".into(), ..by_amount(1000) };
    refund(&app.state, placed.order_id, &part, &staff).await.unwrap();
    let too_much = refund(&app.state, placed.order_id, &by_amount(total), &staff).await.unwrap_err();
    assert!(too_much.field_error("amount").is_some());
    deliver(&app, event("evt_refund_part", "charge.refunded", charge("pi_test_9", total, 1000))).await;
    let detail = orders::detail(&app.db, placed.order_id).await.unwrap();
    assert_eq!((detail.status, detail.payment_status.as_str()), (OrderStatus::Paid, "partially_refunded"));

    refund(&app.state, placed.order_id, &RefundRequest { reason: "Returned".into(), ..by_amount(total - 1000) }, &staff).await.unwrap();
    deliver(&app, event("evt_refund_full", "charge.refunded", charge("pi_test_9", total, total))).await;
    let detail = orders::detail(&app.db, placed.order_id).await.unwrap();
    assert_eq!((detail.status, detail.payment_status.as_str()), (OrderStatus::Refunded, "refunded"));
    let refunds: Vec<(i64, String)> = sqlx::query_as("select amount_minor, status from refunds order by created_at").fetch_all(&app.db).await.unwrap();
    assert_eq!(refunds, vec![(1000, "succeeded".into()), (total - 1000, "succeeded".into())]);
    assert_eq!(refunds_asked(&seen), vec![refund_of("pi_test_9", 1000), refund_of("pi_test_9", total - 1000)]);
}

#[sqlx::test(migrations = "./migrations")]
async fn cancelling_a_paid_card_order_gives_the_money_back(db: PgPool) {
    let (app, seen, staff, placed, variant) = card_order(db).await;
    larkspur::payments::server::start_checkout(&app.state, placed.order_id).await.unwrap();
    deliver(&app, event("evt_paid", "checkout.session.completed", paid_session("cs_test_standin_1", "pi_cancel", &placed))).await;
    assert_eq!(stock_of(&app.db, variant).await, (4, 0), "sold");
    let mut tx = app.db.begin().await.unwrap();
    orders::transition(&mut tx, placed.order_id, OrderStatus::Cancelled, Actor::Staff(staff), "Out of stock in the warehouse", app.clock_now()).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(stock_of(&app.db, variant).await, (5, 0), "the unit is back");
    assert!(refunds_asked(&seen).is_empty(), "not inside the change");
    jobs::run_due(&app.state).await.unwrap();
    assert_eq!(refunds_asked(&seen), vec![refund_of("pi_cancel", placed.total_minor)]);
    let reason: String = sqlx::query_scalar("select reason from refunds").fetch_one(&app.db).await.unwrap();
    assert_eq!(reason, "The order was cancelled after payment");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_card_payment_for_an_order_no_longer_waiting_goes_back(db: PgPool) {
    let (app, seen, _, placed, variant) = card_order(db).await;
    larkspur::payments::server::start_checkout(&app.state, placed.order_id).await.unwrap();
    // The hold runs out, then the shopper pays on the page that was still open.
    assert_eq!(orders::release_expired(&app.db, app.clock_now() + Duration::hours(2)).await.unwrap(), 1);
    deliver(&app, event("evt_late", "checkout.session.completed", paid_session("cs_test_standin_1", "pi_late", &placed))).await;
    assert_eq!(orders::detail(&app.db, placed.order_id).await.unwrap().status, OrderStatus::Cancelled, "not revived");
    assert_eq!(stock_of(&app.db, variant).await, (5, 0), "its units stay released");
    assert!(refunds_asked(&seen).is_empty(), "refunded by the queue, not inside the webhook");

    jobs::run_due(&app.state).await.unwrap();
    assert_eq!(refunds_asked(&seen), vec![refund_of("pi_late", placed.total_minor)]);
    let recorded: Vec<(i64, String, Option<Uuid>)> = sqlx::query_as("select amount_minor, status, actor_user_id from refunds").fetch_all(&app.db).await.unwrap();
    assert_eq!(recorded, vec![(placed.total_minor, "succeeded".to_owned(), None)]);
    jobs::run_due(&app.state).await.unwrap();
    assert_eq!(refunds_asked(&seen).len(), 1, "given back once");

    deliver(&app, event("evt_late_refunded", "charge.refunded", charge("pi_late", placed.total_minor, placed.total_minor))).await;
    let detail = orders::detail(&app.db, placed.order_id).await.unwrap();
    assert_eq!((detail.status, detail.payment_status.as_str()), (OrderStatus::Cancelled, "refunded"));
}

#[sqlx::test(migrations = "./migrations")]
async fn a_double_click_on_pay_continues_one_page_and_never_extends_the_hold(db: PgPool) {
    let (app, seen, _, placed, _) = card_order(db).await;
    let app = std::sync::Arc::new(app);
    let held: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("select reserved_until from orders where id = $1").bind(placed.order_id).fetch_one(&app.db).await.unwrap();
    let clicks: Vec<_> = (0..4)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { larkspur::payments::server::start_checkout(&app.state, placed.order_id).await })
        })
        .collect();
    let mut urls = Vec::new();
    for click in clicks {
        urls.push(click.await.unwrap().expect("every click continues to the payment page"));
    }
    assert!(urls.iter().all(|u| u == &urls[0]), "{urls:?}");
    assert_eq!(seen.lock().unwrap().iter().filter(|(k, _)| k == "session").count(), 1, "one session opened");
    app.clock.advance(Duration::minutes(20));
    assert_eq!(larkspur::payments::server::start_checkout(&app.state, placed.order_id).await.unwrap(), urls[0], "coming back later too");
    let (after, ends): (Option<chrono::DateTime<chrono::Utc>>, Option<chrono::DateTime<chrono::Utc>>) = sqlx::query_as(
        "select o.reserved_until, p.session_expires_at from orders o join payments p on p.order_id = o.id where o.id = $1",
    )
    .bind(placed.order_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(after, held, "the hold is never extended");
    assert_eq!(ends.map(|e| e.timestamp()), held.map(|h| (h - app.state.config.holds.card_grace).timestamp()), "the page closes before the stock goes");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_refunded_second_payment_leaves_the_order_paid_and_a_wrong_amount_never_pays(db: PgPool) {
    let (app, seen, _, placed, _) = card_order(db).await;
    larkspur::payments::server::start_checkout(&app.state, placed.order_id).await.unwrap();
    // A session of the wrong amount (not what the store asked for) does not pay the order.
    let short = session_of("cs_test_standin_1", "paid", Some("pi_short"), placed.order_id, placed.total_minor - 1, "usd");
    deliver(&app, event("evt_short", "checkout.session.completed", short)).await;
    assert_eq!(orders::detail(&app.db, placed.order_id).await.unwrap().status, OrderStatus::Pending, "never paid by a wrong amount");
    jobs::run_due(&app.state).await.unwrap();
    assert_eq!(refunds_asked(&seen), vec![refund_of("pi_short", placed.total_minor - 1)], "and the money goes back");
    // A session the store never opened is ignored.
    deliver(&app, event("evt_foreign", "checkout.session.completed", paid_session("cs_foreign", "pi_foreign", &placed))).await;
    assert_eq!(orders::detail(&app.db, placed.order_id).await.unwrap().status, OrderStatus::Pending);

    // Paid twice (a page from before this rule): the second is refunded, the order stays paid.
    sqlx::query("insert into payments (order_id, provider, amount_minor, currency, checkout_session_id) values ($1, 'stripe', $2, 'USD', 'cs_a'), ($1, 'stripe', $2, 'USD', 'cs_b')")
        .bind(placed.order_id)
        .bind(placed.total_minor)
        .execute(&app.db)
        .await
        .unwrap();
    deliver(&app, event("evt_a", "checkout.session.completed", paid_session("cs_a", "pi_a", &placed))).await;
    deliver(&app, event("evt_b", "checkout.session.completed", paid_session("cs_b", "pi_b", &placed))).await;
    assert_eq!(orders::detail(&app.db, placed.order_id).await.unwrap().status, OrderStatus::Paid);
    deliver(&app, event("evt_b_back", "charge.refunded", charge("pi_b", placed.total_minor, placed.total_minor))).await;
    assert_eq!(orders::detail(&app.db, placed.order_id).await.unwrap().status, OrderStatus::Paid, "the first payment stands");
    let short_back = charge("pi_short", placed.total_minor - 1, placed.total_minor - 1);
    deliver(&app, event("evt_short_back", "charge.refunded", short_back)).await;
    deliver(&app, event("evt_a_back", "charge.refunded", charge("pi_a", placed.total_minor, placed.total_minor))).await;
    assert_eq!(orders::detail(&app.db, placed.order_id).await.unwrap().status, OrderStatus::Refunded, "all the money went back");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_customer_cannot_cancel_an_order_once_it_is_paid(db: PgPool) {
    let (app, seen, user, placed, variant) = card_order(db).await;
    larkspur::payments::server::start_checkout(&app.state, placed.order_id).await.unwrap();
    deliver(&app, event("evt_paid", "checkout.session.completed", paid_session("cs_test_standin_1", "pi_paid", &placed))).await;
    assert_eq!(orders::detail(&app.db, placed.order_id).await.unwrap().status, OrderStatus::Paid);
    let browser = signed_in(&app, user).await;
    let number = placed.number.to_string();
    let page_path = format!("/account/orders/{number}");
    assert!(!browser.get(&page_path).await.body.contains("/api/orders/cancel"), "a paid order shows no Cancel button");

    // The post the Cancel button would make, forged: refused with a message, nothing moves.
    let forged = browser.call("orders/cancel", &[("number", &number)]).await;
    assert_eq!(forged.status, StatusCode::CONFLICT, "{}", forged.body);
    assert!(forged.body.contains("can no longer be cancelled"), "{}", forged.body);
    let plain = browser.post_form("orders/cancel", &[("number", &number)], &page_path).await;
    assert_eq!(plain.headers_location.as_deref(), Some(page_path.as_str()), "back to the order, no error in the URL");
    assert!(browser.get(&page_path).await.body.contains("can no longer be cancelled"), "the page says why");
    assert_eq!(orders::detail(&app.db, placed.order_id).await.unwrap().status, OrderStatus::Paid);
    jobs::run_due(&app.state).await.unwrap();
    assert!(refunds_asked(&seen).is_empty(), "no refund");
    assert_eq!(stock_of(&app.db, variant).await, (4, 0), "the sold unit is not put back");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_payment_in_the_pages_last_second_keeps_its_stock(db: PgPool) {
    let (app, _, _, placed, variant) = card_order(db).await;
    larkspur::payments::server::start_checkout(&app.state, placed.order_id).await.unwrap();
    let holds = app.state.config.holds;
    // The page closes; its payment, made in the last second, is reported late but within
    // the grace: the stock waits for it.
    app.clock.advance(holds.card + holds.card_grace - Duration::seconds(5));
    assert_eq!(orders::release_expired(&app.db, app.clock_now()).await.unwrap(), 0);
    assert_eq!(stock_of(&app.db, variant).await, (5, 1), "still held");
    deliver(&app, event("evt_late_second", "checkout.session.completed", paid_session("cs_test_standin_1", "pi_last", &placed))).await;
    assert_eq!(orders::detail(&app.db, placed.order_id).await.unwrap().status, OrderStatus::Paid);
    app.clock.advance(Duration::minutes(5));
    assert_eq!(orders::release_expired(&app.db, app.clock_now()).await.unwrap(), 0, "a paid order is never released");
}

#[sqlx::test(migrations = "./migrations")]
async fn holds_have_ceilings_per_line_per_order_and_per_customer(db: PgPool) {
    let vars = [("MAX_UNITS_PER_ORDER", "12"), ("MAX_HELD_UNITS_PER_CUSTOMER", "15"), ("CASH_ON_DELIVERY_DAYS", "2")];
    let app = spawn_configured(db, &redis_url(), &vars).await;
    let variant = variant_with_stock(&app.db, 100).await;
    let other = another_variant(&app.db, variant, 100).await;
    // A line above the cart's cap (filled another way than the cart's own form) is refused.
    let (user, cart) = shopper(&app.db, 1, &[(variant, 11)]).await;
    let refused = place(&app, user, cart, "k1", None, PaymentMethod::CashOnDelivery).await.unwrap_err();
    assert!(refused.to_string().contains("at most 10 of one size"), "{refused}");
    // More units than one order may hold.
    sqlx::query("update cart_items set quantity = 10 where cart_id = $1").bind(cart).execute(&app.db).await.unwrap();
    add_to_cart(&app.db, cart, other, 3).await;
    let refused = place(&app, user, cart, "k2", None, PaymentMethod::CashOnDelivery).await.unwrap_err();
    assert!(refused.to_string().contains("at most 12 items"), "{refused}");
    assert_eq!(stock_of(&app.db, variant).await, (100, 0), "nothing held by a refusal");
    // Ten held; six more would pass the customer's fifteen, five do not.
    sqlx::query("delete from cart_items where cart_id = $1 and product_size_id = $2").bind(cart).bind(other).execute(&app.db).await.unwrap();
    place(&app, user, cart, "k3", None, PaymentMethod::CashOnDelivery).await.unwrap();
    add_to_cart(&app.db, cart, other, 6).await;
    let refused = place(&app, user, cart, "k4", None, PaymentMethod::CashOnDelivery).await.unwrap_err();
    assert!(refused.to_string().contains("already hold 10 items"), "{refused}");
    sqlx::query("update cart_items set quantity = 5 where cart_id = $1").bind(cart).execute(&app.db).await.unwrap();
    place(&app, user, cart, "k5", None, PaymentMethod::CashOnDelivery).await.unwrap();
    assert_eq!(stock_of(&app.db, variant).await.1 + stock_of(&app.db, other).await.1, 15);
    // A cash-on-delivery hold ends too, after its configured days.
    app.clock.advance(Duration::days(2));
    assert_eq!(orders::release_expired(&app.db, app.clock_now()).await.unwrap(), 2);
    assert_eq!((stock_of(&app.db, variant).await.1, stock_of(&app.db, other).await.1), (0, 0));
}

#[sqlx::test(migrations = "./migrations")]
async fn order_mail_goes_only_to_a_confirmed_address(db: PgPool) {
    let app = spawn(db).await;
    let variant = variant_with_stock(&app.db, 10).await;
    let (confirmed, cart) = shopper(&app.db, 1, &[(variant, 1)]).await;
    place(&app, confirmed, cart, "k1", None, PaymentMethod::CashOnDelivery).await.unwrap();
    let (unconfirmed, cart) = shopper(&app.db, 2, &[(variant, 1)]).await;
    sqlx::query("update users set email_verified_at = null where id = $1").bind(unconfirmed).execute(&app.db).await.unwrap();
    let placed = place(&app, unconfirmed, cart, "k2", None, PaymentMethod::CashOnDelivery).await.unwrap();
    while jobs::run_due(&app.state).await.unwrap() > 0 {}
    let to = |address: &str| outbox_messages(&app).iter().filter(|m| m.contains(&format!("To: {address}"))).count();
    assert_eq!(to("buyer1@example.com"), 1, "the confirmed address hears of its order");
    assert_eq!(to("buyer2@example.com"), 0, "an address nobody proved gets nothing");
    assert!(!orders::detail(&app.db, placed.order_id).await.unwrap().email_confirmed);
}

#[sqlx::test(migrations = "./migrations")]
async fn cancelling_an_unpaid_card_order_closes_its_payment_page(db: PgPool) {
    let (app, seen, user, placed, variant) = card_order(db).await;
    larkspur::payments::server::start_checkout(&app.state, placed.order_id).await.unwrap();
    let browser = signed_in(&app, user).await;
    let res = browser.call("orders/cancel", &[("number", &placed.number.to_string())]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let expired: Vec<String> = seen.lock().unwrap().iter().filter(|(k, _)| k == "expire").map(|(_, id)| id.clone()).collect();
    assert_eq!(expired, vec!["cs_test_standin_1".to_owned()], "the page is closed with the order");
    assert_eq!(orders::detail(&app.db, placed.order_id).await.unwrap().status, OrderStatus::Cancelled);
    assert_eq!(stock_of(&app.db, variant).await, (5, 0), "the unit is free again");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_refund_stripe_never_confirmed_is_sent_again_under_its_own_key(db: PgPool) {
    // Stripe cannot be reached: the refund is recorded, stays pending and counts as given back.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let vars = [("STRIPE_SECRET_KEY", "sk_test_larkspur"), ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET), ("STRIPE_API_BASE", dead.as_str())];
    let offline = spawn_configured(db.clone(), &redis_url(), &vars).await;
    let variant = variant_with_stock(&offline.db, 5).await;
    let (user, cart) = shopper(&offline.db, 1, &[(variant, 1)]).await;
    let placed = place(&offline, user, cart, "k", None, PaymentMethod::Stripe).await.unwrap();
    sqlx::query("insert into payments (order_id, provider, amount_minor, currency, status, provider_ref) values ($1, 'stripe', $2, 'USD', 'succeeded', 'pi_kept')")
        .bind(placed.order_id)
        .bind(placed.total_minor)
        .execute(&offline.db)
        .await
        .unwrap();
    let first = larkspur::payments::server::refund_in_full(&offline.state, "pi_kept", "test").await;
    assert!(first.is_err());
    let (refund_id, status): (Uuid, String) = sqlx::query_as("select id, status from refunds").fetch_one(&offline.db).await.unwrap();
    assert_eq!(status, "pending", "not known to have failed");

    // Stripe is back: the same refund goes again with its own key, and no second one is made.
    let (base, seen) = stripe_stand_in().await;
    let vars = [("STRIPE_SECRET_KEY", "sk_test_larkspur"), ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET), ("STRIPE_API_BASE", base.as_str())];
    let app = spawn_configured(db, &redis_url(), &vars).await;
    larkspur::payments::server::refund_in_full(&app.state, "pi_kept", "test").await.unwrap();
    let keys: Vec<String> = seen.lock().unwrap().iter().filter(|(k, _)| k == "refund-key").map(|(_, v)| v.clone()).collect();
    assert_eq!(keys, vec![refund_id.to_string()]);
    let statuses: Vec<String> = sqlx::query_scalar("select status from refunds where id = $1").bind(refund_id).fetch_all(&app.db).await.unwrap();
    assert_eq!(statuses, vec!["succeeded".to_owned()]);
    assert_eq!(count(&app.db, "select count(*) from refunds").await, 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn pay_now_shows_only_while_it_can_lead_to_a_payment_page(db: PgPool) {
    let (app, _, user, placed, _) = card_order(db).await;
    let browser = signed_in(&app, user).await;
    let page = format!("/account/orders/{}", placed.number);
    let shows_pay = |body: &str| body.contains("Pay now");
    assert!(shows_pay(&browser.get(&page).await.body), "time for a page");
    larkspur::payments::server::start_checkout(&app.state, placed.order_id).await.unwrap();
    // Too late for a new page, but the open one still has a while to go.
    app.clock.advance(Duration::minutes(31));
    assert!(shows_pay(&browser.get(&page).await.body), "the open page continues");
    app.clock.advance(Duration::minutes(28));
    let body = browser.get(&page).await.body;
    assert!(!shows_pay(&body), "neither an open page nor time for a new one");
    assert_eq!(browser.call("payments/pay", &[("number", &placed.number.to_string())]).await.status, StatusCode::BAD_REQUEST, "and the post says so");
}

#[sqlx::test(migrations = "./migrations")]
async fn two_staff_refunding_a_card_payment_at_once_never_give_back_more_than_was_paid(db: PgPool) {
    let (app, seen, user, placed, _) = card_order(db).await;
    larkspur::payments::server::start_checkout(&app.state, placed.order_id).await.unwrap();
    deliver(&app, event("evt_paid", "checkout.session.completed", paid_session("cs_test_standin_1", "pi_twice", &placed))).await;
    let staff = larkspur::audit::server::Actor { user_id: user, client_ip: None };
    // Each asks for most of the payment: both together would be more than was paid.
    let most = RefundRequest { amount_minor: Some(placed.total_minor - 100), lines: vec![], reason: "Returned".into() };
    let (a, b) = tokio::join!(refund(&app.state, placed.order_id, &most, &staff), refund(&app.state, placed.order_id, &most, &staff));
    assert_eq!([a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(), 1, "{a:?} / {b:?}");
    assert!(a.err().or(b.err()).unwrap().field_error("amount").is_some());
    assert_eq!(refunds_asked(&seen), vec![refund_of("pi_twice", placed.total_minor - 100)], "Stripe was asked once");
    let recorded: i64 = sqlx::query_scalar("select coalesce(sum(amount_minor), 0)::bigint from refunds where status <> 'failed'").fetch_one(&app.db).await.unwrap();
    assert_eq!(recorded, placed.total_minor - 100);
    let audited: i64 = sqlx::query_scalar("select count(*) from audit_log where action = 'refund'").fetch_one(&app.db).await.unwrap();
    assert_eq!(audited, 1);
}
