//! The analytics page's figures against a real database: zero on an empty store, equal to
//! hand-computed values on a small known fixture; who may read them; and funnel events
//! recorded only for visitors who allowed analytics.
#![cfg(feature = "ssr")]

mod support;

use axum::http::StatusCode;
use chrono::{Duration, NaiveDate};
use larkspur::{
    analytics::{server::report, Bucket, Period, Totals},
    seed::{ADMIN_EMAIL, ADMIN_PASSWORD, EDITOR_EMAIL, EDITOR_PASSWORD},
};
use sqlx::PgPool;
use support::{shop::count, *};
use uuid::Uuid;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn an_empty_store_has_zero_everywhere(db: PgPool) {
    let period = Period { from: day("2026-03-01"), to: day("2026-03-10") };
    let r = report(&db, period).await.unwrap();
    assert_eq!(r.bucket, Bucket::Day);
    assert_eq!(r.sales.len(), 10, "every day, empty ones too");
    assert_eq!(r.previous_sales.len(), 10);
    assert_eq!(Totals::of(&r.sales), Totals { revenue_minor: 0, orders: 0 });
    assert_eq!(Totals::of(&r.sales).average_minor(), None);
    assert!(r.top_products.is_empty() && r.top_categories.is_empty() && r.sign_ins.is_empty() && r.banners.is_empty());
    assert_eq!(r.funnel.len(), 5);
    assert!(r.funnel.iter().all(|s| s.count == 0), "{:?}", r.funnel);
    assert_eq!((r.journal.views, r.journal.likes, r.journal.reads, r.journal.average_depth), (0, 0, 0, None));
    assert_eq!((r.new_customers, r.returning_customers), (0, 0));
    // A year is drawn per week, the partial first week from the period's own start.
    let year = report(&db, Period { from: day("2026-01-01"), to: day("2026-12-31") }).await.unwrap();
    assert_eq!(year.bucket, Bucket::Week);
    assert_eq!(year.sales.first().unwrap().start, day("2026-01-01"));
    assert_eq!(year.sales.len(), 53);
}

async fn user(db: &PgPool, email: &str) -> Uuid {
    sqlx::query_scalar("insert into users (email, name) values ($1, 'Fixture') returning id").bind(email).fetch_one(db).await.unwrap()
}

/// An order of `lines` (product, units, unit price) placed at `at`, moved to `status`.
async fn order(db: &PgPool, user: Uuid, at: &str, status: &str, lines: &[(Uuid, &str, i64, i64)]) {
    let subtotal: i64 = lines.iter().map(|l| l.2 * l.3).sum();
    let id: Uuid = sqlx::query_scalar(
        "insert into orders (user_id, subtotal_minor, total_minor, email, phone, shipping_address, payment_method, idempotency_key, placed_at)
         values ($1, $2, $2, 'fixture@example.com', '+15550100', '{}', 'bank_transfer', $3, $4::timestamptz) returning id",
    )
    .bind(user)
    .bind(subtotal)
    .bind(Uuid::now_v7().to_string())
    .bind(at)
    .fetch_one(db)
    .await
    .unwrap();
    for (product, name, units, price) in lines {
        sqlx::query(
            "insert into order_items (order_id, product_id, product_name, colour_name, size_label, sku, unit_price_minor, quantity, line_total_minor)
             values ($1, $2, $3, 'Black', 'M', $4, $5, $6, $5 * $6)",
        )
        .bind(id)
        .bind(product)
        .bind(name)
        .bind(format!("SKU-{}", Uuid::now_v7()))
        .bind(price)
        .bind(*units as i32)
        .execute(db)
        .await
        .unwrap();
    }
    if status != "pending" {
        sqlx::query("update orders set status = $2 where id = $1").bind(id).bind(status).execute(db).await.unwrap();
    }
}

async fn event(db: &PgPool, name: &str, user: Uuid, at: &str) {
    sqlx::query("insert into analytics_events (name, user_id, created_at) values ($1, $2, $3::timestamptz)")
        .bind(name)
        .bind(user)
        .bind(at)
        .execute(db)
        .await
        .unwrap();
}

#[sqlx::test(migrations = "./migrations")]
async fn figures_equal_what_a_hand_count_gives(db: PgPool) {
    let category: Uuid = sqlx::query_scalar("insert into categories (name, slug) values ('Coats', 'coats') returning id").fetch_one(&db).await.unwrap();
    let mut products = Vec::new();
    for (name, slug) in [("Rain Shell", "rain-shell"), ("Wool Coat", "wool-coat")] {
        let id: Uuid = sqlx::query_scalar("insert into products (name, slug, price_minor) values ($1, $2, 1000) returning id")
            .bind(name)
            .bind(slug)
            .fetch_one(&db)
            .await
            .unwrap();
        sqlx::query("insert into product_categories (product_id, category_id) values ($1, $2)").bind(id).bind(category).execute(&db).await.unwrap();
        products.push(id);
    }
    let (shell, coat) = (products[0], products[1]);
    let (ann, bob) = (user(&db, "ann@example.com").await, user(&db, "bob@example.com").await);
    // Ann bought before the period (returning); Bob first buys in it (new).
    order(&db, ann, "2026-02-20 10:00Z", "paid", &[(shell, "Rain Shell", 1, 1000)]).await;
    order(&db, ann, "2026-03-02 09:00Z", "paid", &[(shell, "Rain Shell", 2, 1000), (coat, "Wool Coat", 1, 5000)]).await;
    order(&db, bob, "2026-03-02 23:59Z", "paid", &[(coat, "Wool Coat", 1, 5000)]).await;
    order(&db, bob, "2026-03-05 12:00Z", "paid", &[(shell, "Rain Shell", 1, 1000)]).await;
    // Neither a cancelled nor an unpaid order is a sale; nor one after the period.
    order(&db, bob, "2026-03-06 12:00Z", "cancelled", &[(coat, "Wool Coat", 3, 5000)]).await;
    order(&db, ann, "2026-03-07 12:00Z", "pending", &[(coat, "Wool Coat", 3, 5000)]).await;
    order(&db, ann, "2026-03-11 00:00Z", "paid", &[(coat, "Wool Coat", 9, 5000)]).await;
    // Funnel: Ann twice on one day counts once; Bob goes all the way on another day.
    for (name, who, at) in [
        ("visit", ann, "2026-03-02 08:00Z"),
        ("visit", ann, "2026-03-02 18:00Z"),
        ("product_view", ann, "2026-03-02 08:01Z"),
        ("visit", bob, "2026-03-05 11:00Z"),
        ("product_view", bob, "2026-03-05 11:01Z"),
        ("cart_add", bob, "2026-03-05 11:02Z"),
        ("checkout_start", bob, "2026-03-05 11:03Z"),
        ("order_placed", bob, "2026-03-05 11:04Z"),
        ("visit", bob, "2026-03-12 11:00Z"),
    ] {
        event(&db, name, who, at).await;
    }
    for (method, status) in [("password", "success"), ("password", "failure"), ("password", "success"), ("google", "success")] {
        sqlx::query("insert into login_events (user_id, event_type, method, status, created_at) values ($1, 'sign_in', $2, $3, '2026-03-03 10:00Z')")
            .bind(ann)
            .bind(method)
            .bind(status)
            .execute(&db)
            .await
            .unwrap();
    }

    let r = report(&db, Period { from: day("2026-03-01"), to: day("2026-03-10") }).await.unwrap();
    let by_day: Vec<(i64, i64)> = r.sales.iter().map(|p| (p.revenue_minor, p.orders)).collect();
    assert_eq!(by_day[1], (12000, 2), "2 March: 7,000 + 5,000 (23:59 UTC is still that day)");
    assert_eq!(by_day[4], (1000, 1), "5 March");
    assert_eq!(by_day.iter().filter(|d| d.1 == 0).count(), 8);
    let totals = Totals::of(&r.sales);
    assert_eq!(totals, Totals { revenue_minor: 13000, orders: 3 });
    assert_eq!(totals.average_minor(), Some(4333));
    // The ten days before: Ann's February order.
    assert_eq!(Totals::of(&r.previous_sales), Totals { revenue_minor: 1000, orders: 1 });
    let top: Vec<(&str, i64, i64)> = r.top_products.iter().map(|t| (t.name.as_str(), t.units, t.revenue_minor)).collect();
    assert_eq!(top, vec![("Wool Coat", 2, 10000), ("Rain Shell", 3, 3000)]);
    assert_eq!(r.top_categories.len(), 1);
    assert_eq!((r.top_categories[0].units, r.top_categories[0].revenue_minor), (5, 13000));
    let funnel: Vec<i64> = r.funnel.iter().map(|s| s.count).collect();
    assert_eq!(funnel, vec![2, 2, 1, 1, 1]);
    let sign_ins: Vec<(&str, i64, i64)> = r.sign_ins.iter().map(|s| (s.method.as_str(), s.succeeded, s.failed)).collect();
    assert_eq!(sign_ins, vec![("Password", 2, 1), ("Google", 1, 0)]);
    assert_eq!((r.new_customers, r.returning_customers), (1, 1));
}

#[sqlx::test(migrations = "./migrations")]
async fn staff_read_the_figures_and_a_bad_period_is_explained(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "cus@example.com", "correct horse battery", "customer").await;
    let customer = signed_in_as(&app, "cus@example.com", "correct horse battery").await;
    assert_eq!(Client::new(&app).call("admin/analytics/report", &[]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(customer.call("admin/analytics/report", &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(customer.get("/admin/analytics").await.status, StatusCode::FORBIDDEN);
    for (email, password) in [(EDITOR_EMAIL, EDITOR_PASSWORD), (ADMIN_EMAIL, ADMIN_PASSWORD)] {
        let staff = signed_in_as(&app, email, password).await;
        let res = staff.call("admin/analytics/report", &[("preset", "7d")]).await;
        assert_eq!(res.status, StatusCode::OK, "{email}: {}", res.body);
        assert_eq!(res.json()["sales"].as_array().unwrap().len(), 7);
        let page = staff.get("/admin/analytics?preset=365d").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("<svg") && page.body.contains("Sales per week") && page.body.contains("Shopping funnel"), "charts drawn on the server");
        // The demo orders were placed today: they are in this period's sales table.
        assert!(page.body.contains("<table"), "a table of the same figures");
    }
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let res = admin.call("admin/analytics/report", &[("from", "2026-02-30"), ("to", "2026-03-01")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let page = admin.get("/admin/analytics?from=2026-03-10&to=2026-03-01").await.body;
    assert!(page.contains("The end comes before the start.") && page.contains("value=\"2026-03-10\""), "the message beside the field, with what was typed");
}

#[sqlx::test(migrations = "./migrations")]
async fn funnel_events_are_recorded_only_with_analytics_consent(db: PgPool) {
    let app = spawn(db).await;
    let slug: String = sqlx::query_scalar("select slug from products where is_live order by slug limit 1").fetch_one(&app.db).await.unwrap();
    let events = "select count(*) from analytics_events";
    let declined = Client::new(&app);
    let res = declined.call("consent/save", &[("analytics", "false"), ("marketing", "false")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    declined.get("/").await;
    declined.get(&format!("/p/{slug}")).await;
    assert_eq!(count(&app.db, events).await, 0, "nothing without consent");

    let shopper = Client::new(&app);
    shopper.accept_cookies().await;
    for _ in 0..2 {
        assert_eq!(shopper.get("/").await.status, StatusCode::OK);
    }
    assert_eq!(shopper.get(&format!("/p/{slug}")).await.status, StatusCode::OK);
    assert_eq!(count(&app.db, "select count(*) from analytics_events where name = 'visit'").await, 1, "one visit a day");
    assert_eq!(count(&app.db, "select count(*) from analytics_events where name = 'product_view'").await, 1);
    let today = app.clock_now().date_naive();
    let r = report(&app.db, Period { from: today - Duration::days(1), to: today }).await.unwrap();
    assert_eq!((r.funnel[0].count, r.funnel[1].count), (1, 1));
}
