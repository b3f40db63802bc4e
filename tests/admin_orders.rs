//! Running orders from the dashboard against a real database: the legal next steps only,
//! shipping with tracking that the customer sees and is emailed, cash-on-delivery orders,
//! refunds line by line with stock returned on request (never more than was paid, even
//! when two staff refund at once), staff-only notes, bulk processing, packing slips, the
//! list's filters and totals, and an audit entry for every change.
#![cfg(feature = "ssr")]

mod support;

use axum::http::StatusCode;
use larkspur::{
    orders::{server as orders, OrderStatus, PaymentMethod},
    server::jobs,
};
use sqlx::PgPool;
use support::{shop::*, *};
use uuid::Uuid;

/// A placed order of `quantity` units of a fresh variant with 5 in stock: the order, its
/// customer and the variant.
async fn order(app: &TestApp, n: usize, quantity: i32, payment: PaymentMethod) -> (orders::Placed, Uuid, Uuid) {
    let variant = variant_with_stock(&app.db, 5).await;
    let (user, cart) = shopper(&app.db, n, &[(variant, quantity)]).await;
    let placed = place(app, user, cart, &format!("k-{n}"), None, payment).await.unwrap();
    (placed, user, variant)
}

async fn stock_of(db: &PgPool, variant: Uuid) -> (i32, i32) {
    sqlx::query_as("select stock, reserved from product_sizes where id = $1").bind(variant).fetch_one(db).await.unwrap()
}

async fn status_of(db: &PgPool, order: Uuid) -> OrderStatus {
    orders::detail(db, order).await.unwrap().status
}

async fn audit_actions(db: &PgPool, order: Uuid) -> Vec<String> {
    sqlx::query_scalar("select action from audit_log where entity_kind = 'order' and entity_id = $1 order by at, id")
        .bind(order.to_string())
        .fetch_all(db)
        .await
        .unwrap()
}

async fn step(staff: &Client, number: i64, step: &str, extra: &[(&str, &str)]) -> Response {
    let number = number.to_string();
    let mut args = vec![("number", number.as_str()), ("step", step)];
    args.extend_from_slice(extra);
    staff.call("admin/orders/step", &args).await
}

#[sqlx::test(migrations = "./migrations")]
async fn a_bank_transfer_order_is_paid_processed_shipped_and_delivered_with_only_legal_steps(db: PgPool) {
    let app = spawn(db).await;
    let staff = admin(&app).await;
    let (placed, user, variant) = order(&app, 1, 2, PaymentMethod::BankTransfer).await;
    assert_eq!(stock_of(&app.db, variant).await, (5, 2), "held");

    // Steps the order cannot take yet are refused and change nothing.
    for illegal in ["ship", "deliver", "process", "confirm", "cash_collected"] {
        let res = step(&staff, placed.number, illegal, &[("carrier", "DHL"), ("tracking_number", "JD1")]).await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{illegal}: {}", res.body);
    }
    assert_eq!(status_of(&app.db, placed.order_id).await, OrderStatus::Pending);
    assert!(audit_actions(&app.db, placed.order_id).await.is_empty());

    assert_eq!(step(&staff, placed.number, "mark_paid", &[]).await.status, StatusCode::OK);
    assert_eq!(status_of(&app.db, placed.order_id).await, OrderStatus::Paid);
    assert_eq!(stock_of(&app.db, variant).await, (3, 0), "sold");
    let payment: String = sqlx::query_scalar("select status from payments where order_id = $1").bind(placed.order_id).fetch_one(&app.db).await.unwrap();
    assert_eq!(payment, "succeeded");
    assert_eq!(step(&staff, placed.number, "mark_paid", &[]).await.status, StatusCode::CONFLICT, "paid once");

    assert_eq!(step(&staff, placed.number, "process", &[]).await.status, StatusCode::OK);
    // Shipping needs the carrier and the tracking number.
    let res = step(&staff, placed.number, "ship", &[("carrier", " "), ("tracking_number", "")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("carrier") && res.body.contains("tracking_number"), "{}", res.body);
    assert_eq!(status_of(&app.db, placed.order_id).await, OrderStatus::Processing);
    assert_eq!(step(&staff, placed.number, "ship", &[("carrier", "DHL"), ("tracking_number", "JD014600006281")]).await.status, StatusCode::OK);

    // The customer sees the carrier and tracking number, and is emailed them.
    let customer = signed_in(&app, user).await;
    let seen = customer.call("orders/get", &[("number", &placed.number.to_string())]).await.json();
    assert_eq!((seen["status"].as_str(), seen["tracking_number"].as_str(), seen["carrier"].as_str()), (Some("Shipped"), Some("JD014600006281"), Some("DHL")));
    jobs::run_due(&app.state).await.unwrap();
    let email: String = sqlx::query_scalar("select email::text from users where id = $1").bind(user).fetch_one(&app.db).await.unwrap();
    let mail = outbox_messages(&app).into_iter().find(|m| m.contains(&format!("To: {email}")) && m.contains("is on its way")).expect("the shipping email");
    assert!(mail.contains("JD014600006281") && mail.contains("DHL"), "{mail}");

    assert_eq!(step(&staff, placed.number, "deliver", &[]).await.status, StatusCode::OK);
    assert_eq!(step(&staff, placed.number, "cancel", &[("reason", "Too late"), ("confirm", "cancel")]).await.status, StatusCode::CONFLICT);
    let history: Vec<(String, String, Option<Uuid>)> =
        sqlx::query_as("select to_status, actor_kind, actor_user_id from order_status_history where order_id = $1 and actor_kind = 'staff' order by created_at, id")
            .bind(placed.order_id)
            .fetch_all(&app.db)
            .await
            .unwrap();
    let statuses: Vec<&str> = history.iter().map(|(s, _, _)| s.as_str()).collect();
    assert_eq!(statuses, ["paid", "processing", "shipped", "delivered"]);
    assert!(history.iter().all(|(_, _, actor)| actor.is_some()), "who did it");
    assert_eq!(audit_actions(&app.db, placed.order_id).await, ["mark_paid", "process", "ship", "deliver"]);
    let after: serde_json::Value = sqlx::query_scalar("select after from audit_log where action = 'ship'").fetch_one(&app.db).await.unwrap();
    assert_eq!(after["tracking_number"], "JD014600006281");
}

#[sqlx::test(migrations = "./migrations")]
async fn card_orders_are_paid_by_stripe_only_and_cash_on_delivery_ships_before_the_cash(db: PgPool) {
    let app = spawn(db).await;
    let staff = admin(&app).await;
    let (card, _, _) = order(&app, 1, 1, PaymentMethod::Stripe).await;
    assert_eq!(step(&staff, card.number, "mark_paid", &[]).await.status, StatusCode::CONFLICT, "no card money by hand");
    assert_eq!(step(&staff, card.number, "confirm", &[]).await.status, StatusCode::CONFLICT);
    assert_eq!(status_of(&app.db, card.order_id).await, OrderStatus::Pending);

    let (cod, _, variant) = order(&app, 2, 2, PaymentMethod::CashOnDelivery).await;
    assert_eq!(step(&staff, cod.number, "confirm", &[]).await.status, StatusCode::OK);
    assert_eq!(status_of(&app.db, cod.order_id).await, OrderStatus::Processing);
    assert_eq!(stock_of(&app.db, variant).await, (3, 0), "confirmed units leave stock");
    let reserved_until: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("select reserved_until from orders where id = $1").bind(cod.order_id).fetch_one(&app.db).await.unwrap();
    assert_eq!(reserved_until, None, "no longer released when unpaid");
    // Nothing paid yet: nothing to refund.
    let number = cod.number.to_string();
    let res = staff.call("admin/orders/refund", &[("number", &number), ("amount", "1.00"), ("confirm", "refund")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert_eq!(step(&staff, cod.number, "ship", &[("carrier", "Local courier"), ("tracking_number", "LC-77")]).await.status, StatusCode::OK);
    assert_eq!(step(&staff, cod.number, "cash_collected", &[]).await.status, StatusCode::OK);
    assert_eq!(step(&staff, cod.number, "cash_collected", &[]).await.status, StatusCode::CONFLICT, "once");
    let payment: String = sqlx::query_scalar("select status from payments where order_id = $1").bind(cod.order_id).fetch_one(&app.db).await.unwrap();
    assert_eq!(payment, "succeeded");
    assert_eq!(status_of(&app.db, cod.order_id).await, OrderStatus::Shipped);
}

#[sqlx::test(migrations = "./migrations")]
async fn refunds_go_line_by_line_restock_on_request_and_never_exceed_what_was_paid(db: PgPool) {
    let app = spawn(db).await;
    let staff = admin(&app).await;
    let (placed, _, variant) = order(&app, 1, 3, PaymentMethod::BankTransfer).await;
    let number = placed.number.to_string();
    assert_eq!(step(&staff, placed.number, "mark_paid", &[]).await.status, StatusCode::OK);
    assert_eq!(stock_of(&app.db, variant).await, (2, 0));
    let item: Uuid = sqlx::query_scalar("select id from order_items where order_id = $1").bind(placed.order_id).fetch_one(&app.db).await.unwrap();
    let unit: i64 = sqlx::query_scalar("select unit_price_minor from order_items where id = $1").bind(item).fetch_one(&app.db).await.unwrap();
    let item = item.to_string();

    // Unconfirmed, or more units than were bought: refused, nothing recorded.
    let res = staff.call("admin/orders/refund", &[("number", &number), ("lines[0][item]", &item), ("lines[0][quantity]", "1")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = staff
        .call("admin/orders/refund", &[("number", &number), ("lines[0][item]", &item), ("lines[0][quantity]", "4"), ("confirm", "refund")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert_eq!(count(&app.db, "select count(*) from refunds").await, 0);

    // One unit, back to stock.
    let res = staff
        .call(
            "admin/orders/refund",
            &[("number", &number), ("lines[0][item]", &item), ("lines[0][quantity]", "1"), ("lines[0][restock]", "on"), ("reason", "Too small"), ("confirm", "refund")],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json(), serde_json::json!(unit));
    assert_eq!(stock_of(&app.db, variant).await, (3, 0), "returned to stock");
    let detail = staff.call("admin/orders/get", &[("number", &number)]).await.json();
    assert_eq!(detail["lines"][0]["refunded_quantity"], 1);
    assert_eq!(detail["refunds"][0]["status"], "Succeeded");
    assert_eq!(detail["refunds"][0]["offline"], true);

    // Two staff refunding the rest at once: only one of them gets it.
    let left = placed.total_minor - unit;
    let amount = larkspur::money::amount_input(left);
    let (a, b) = (admin(&app).await, admin(&app).await);
    let args = [("number", number.as_str()), ("amount", amount.as_str()), ("confirm", "refund")];
    let (first, second) = tokio::join!(a.call("admin/orders/refund", &args), b.call("admin/orders/refund", &args));
    let mut statuses = [first.status, second.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY], "{} / {}", first.body, second.body);
    let given_back = count(&app.db, "select coalesce(sum(amount_minor), 0)::bigint from refunds").await;
    assert_eq!(given_back, placed.total_minor, "never more than was paid");
    assert_eq!(status_of(&app.db, placed.order_id).await, OrderStatus::Refunded, "all of it went back");
    assert_eq!(audit_actions(&app.db, placed.order_id).await, ["mark_paid", "refund", "refund"]);
    // The second unit was refunded by amount, not returned: stock stays.
    assert_eq!(stock_of(&app.db, variant).await, (3, 0));
}

#[sqlx::test(migrations = "./migrations")]
async fn cancelling_needs_a_reason_and_a_confirmation_and_returns_the_units(db: PgPool) {
    let app = spawn(db).await;
    let staff = admin(&app).await;
    let (placed, user, variant) = order(&app, 1, 2, PaymentMethod::BankTransfer).await;
    assert_eq!(step(&staff, placed.number, "mark_paid", &[]).await.status, StatusCode::OK);
    let res = step(&staff, placed.number, "cancel", &[("confirm", "cancel")]).await;
    assert!(res.body.contains("reason"), "{}", res.body);
    assert_eq!(step(&staff, placed.number, "cancel", &[("reason", "Warehouse flood")]).await.status, StatusCode::BAD_REQUEST, "not confirmed");
    assert_eq!(status_of(&app.db, placed.order_id).await, OrderStatus::Paid);
    assert_eq!(step(&staff, placed.number, "cancel", &[("reason", "Warehouse flood"), ("confirm", "cancel")]).await.status, StatusCode::OK);
    assert_eq!(status_of(&app.db, placed.order_id).await, OrderStatus::Cancelled);
    assert_eq!(stock_of(&app.db, variant).await, (5, 0));
    // The customer reads the reason; a refund of the transfer cannot restock again.
    let customer = signed_in(&app, user).await;
    let seen = customer.call("orders/get", &[("number", &placed.number.to_string())]).await.json();
    assert!(seen["history"].as_array().unwrap().iter().any(|h| h["note"] == "Warehouse flood"), "{seen}");
    let item: Uuid = sqlx::query_scalar("select id from order_items where order_id = $1").bind(placed.order_id).fetch_one(&app.db).await.unwrap();
    let number = placed.number.to_string();
    let res = staff
        .call(
            "admin/orders/refund",
            &[("number", &number), ("lines[0][item]", &item.to_string()), ("lines[0][quantity]", "2"), ("lines[0][restock]", "on"), ("confirm", "refund")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert_eq!(stock_of(&app.db, variant).await, (5, 0));
    assert_eq!(audit_actions(&app.db, placed.order_id).await, ["mark_paid", "cancel"]);
}

#[sqlx::test(migrations = "./migrations")]
async fn notes_stay_with_staff_and_the_list_filters_totals_and_processes_in_bulk(db: PgPool) {
    let app = spawn(db).await;
    let staff = admin(&app).await;
    let (paid, user, _) = order(&app, 1, 1, PaymentMethod::BankTransfer).await;
    let (card, _, _) = order(&app, 2, 1, PaymentMethod::Stripe).await;
    assert_eq!(step(&staff, paid.number, "mark_paid", &[]).await.status, StatusCode::OK);

    let number = paid.number.to_string();
    assert_eq!(staff.call("admin/orders/note", &[("number", &number), ("note", "  ")]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(staff.call("admin/orders/note", &[("number", &number), ("note", "Gift wrap, no invoice in the box")]).await.status, StatusCode::OK);
    let detail = staff.call("admin/orders/get", &[("number", &number)]).await.json();
    assert_eq!(detail["notes"][0]["body"], "Gift wrap, no invoice in the box");
    let customer = signed_in(&app, user).await;
    let seen = customer.call("orders/get", &[("number", &number)]).await;
    assert!(!seen.body.contains("Gift wrap"), "never shown to the customer");
    assert_eq!(customer.call("admin/orders/get", &[("number", &number)]).await.status, StatusCode::FORBIDDEN);

    // The list: by number, by email, by status; with the totals of the filter.
    let listed = staff.call("admin/orders/list", &[("query[q]", &format!("#{number}"))]).await.json();
    assert_eq!(listed[0]["total"], 1, "{listed}");
    assert_eq!(listed[0]["rows"][0]["number"], paid.number);
    let pending = staff.call("admin/orders/list", &[("query[filters][status]", "pending")]).await.json();
    let numbers: Vec<i64> = pending[0]["rows"].as_array().unwrap().iter().map(|r| r["number"].as_i64().unwrap()).collect();
    assert!(numbers.contains(&card.number) && !numbers.contains(&paid.number), "{numbers:?}");
    let expected = count(&app.db, "select coalesce(sum(total_minor), 0)::bigint from orders where status = 'pending'").await;
    assert_eq!(pending[1]["total_minor"], expected);

    // Bulk: the paid order starts processing; the unpaid card order is skipped.
    let res = staff.call("admin/orders/bulk", &[("ids[0]", &number), ("ids[1]", &card.number.to_string()), ("action", "process")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("1 orders are being processed; 1 were skipped"), "{}", res.body);
    assert_eq!(status_of(&app.db, paid.order_id).await, OrderStatus::Processing);
    assert_eq!(status_of(&app.db, card.order_id).await, OrderStatus::Pending);

    // Packing slips for the selection, as a printable page.
    let res = staff.post_form("admin/orders/bulk", &[("ids[0]", &number), ("ids[1]", &card.number.to_string()), ("action", "slips")], "/admin/orders").await;
    let location = res.headers_location.clone().unwrap_or_default();
    assert_eq!(location, format!("/admin/packing-slips?numbers={number},{}", card.number));
    let page = staff.get(&location).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body.matches("data-testid=\"packing-slip\"").count(), 2);
    assert!(page.body.contains(&format!("#{number}")));
    assert_eq!(Client::new(&app).get(&location).await.status, StatusCode::UNAUTHORIZED);
}

