//! A shop's worth of fixtures: live variants with a known stock, shoppers with carts, and
//! placing an order the way checkout does.

use larkspur::{
    error::AppError,
    orders::{server as orders, AddressSnapshot, PaymentMethod},
    pricing::DeliveryMethod,
};
use sqlx::PgPool;
use uuid::Uuid;

use super::{Client, TestApp};

pub fn address() -> AddressSnapshot {
    AddressSnapshot {
        recipient_name: "Ada Lovelace".into(),
        phone: "+15555550100".into(),
        line1: "1 Market Street".into(),
        line2: String::new(),
        city: "San Francisco".into(),
        state: "California".into(),
        country: "United States".into(),
        country_code: "US".into(),
        postal_code: "94105".into(),
    }
}

pub async fn count(db: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.unwrap()
}

/// A live variant with exactly `stock` units and none held.
pub async fn variant_with_stock(db: &PgPool, stock: i32) -> Uuid {
    let id: Uuid = sqlx::query_scalar(
        "select ps.id from product_sizes ps join product_colours pc on pc.id = ps.product_colour_id
         join products p on p.id = pc.product_id where p.is_active and p.deleted_at is null and ps.reserved = 0
         order by ps.sku limit 1",
    )
    .fetch_one(db)
    .await
    .unwrap();
    sqlx::query("update product_sizes set stock = $2, reserved = 0 where id = $1").bind(id).bind(stock).execute(db).await.unwrap();
    id
}

pub async fn another_variant(db: &PgPool, not: Uuid, stock: i32) -> Uuid {
    let id: Uuid = sqlx::query_scalar(
        "select ps.id from product_sizes ps join product_colours pc on pc.id = ps.product_colour_id
         join products p on p.id = pc.product_id where p.is_active and p.deleted_at is null and ps.id <> $1
         order by ps.sku desc limit 1",
    )
    .bind(not)
    .fetch_one(db)
    .await
    .unwrap();
    sqlx::query("update product_sizes set stock = $2, reserved = 0 where id = $1").bind(id).bind(stock).execute(db).await.unwrap();
    id
}

/// A customer with a verified phone and a cart holding `lines`.
pub async fn shopper(db: &PgPool, n: usize, lines: &[(Uuid, i32)]) -> (Uuid, Uuid) {
    let user: Uuid = sqlx::query_scalar(
        "insert into users (email, email_verified_at, phone, phone_verified_at, name) values ($1, now(), $2, now(), 'Buyer') returning id",
    )
    .bind(format!("buyer{n}@example.com"))
    .bind(format!("+1555600{n:04}"))
    .fetch_one(db)
    .await
    .unwrap();
    let cart: Uuid = sqlx::query_scalar("insert into carts (user_id) values ($1) returning id").bind(user).fetch_one(db).await.unwrap();
    for (variant, quantity) in lines {
        add_to_cart(db, cart, *variant, *quantity).await;
    }
    (user, cart)
}

/// Puts `quantity` of a size in a cart at today's price.
pub async fn add_to_cart(db: &PgPool, cart: Uuid, variant: Uuid, quantity: i32) {
    sqlx::query(
        "insert into cart_items (cart_id, product_size_id, quantity, price_seen_minor)
         select $1, ps.id, $3, p.effective_price_minor from product_sizes ps
         join product_colours pc on pc.id = ps.product_colour_id join products p on p.id = pc.product_id where ps.id = $2",
    )
    .bind(cart)
    .bind(variant)
    .bind(quantity)
    .execute(db)
    .await
    .unwrap();
}

pub async fn place(app: &TestApp, user: Uuid, cart: Uuid, key: &str, coupon: Option<&str>, payment: PaymentMethod) -> Result<orders::Placed, AppError> {
    let config = &app.state.config;
    let address = address();
    // The account's own (confirmed) email, as checkout fills it in.
    let email: String = sqlx::query_scalar("select coalesce(email::text, '') from users where id = $1").bind(user).fetch_one(&app.db).await.unwrap();
    orders::place(
        &app.db,
        &config.delivery,
        &config.holds,
        app.clock_now(),
        orders::Placement {
            user_id: user,
            cart_id: cart,
            email: &email,
            phone: "+15555550100",
            address: &address,
            delivery: DeliveryMethod::Standard,
            coupon_code: coupon,
            payment,
            idempotency_key: key,
            expected_total_minor: None,
        },
    )
    .await
}


pub fn between(text: &str, start: &str, end: &str) -> String {
    let from = text.find(start).unwrap_or_else(|| panic!("{start} not in page")) + start.len();
    text[from..].split(end).next().unwrap().to_owned()
}


/// A shopper who can sign in with a password, signed in in a fresh browser.
pub async fn signed_in(app: &TestApp, user: Uuid) -> Client {
    let hash = larkspur::auth::server::hash_password("correct horse battery").unwrap();
    let email: String = sqlx::query_scalar("update users set password_hash = $2 where id = $1 returning email::text")
        .bind(user)
        .bind(hash)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let browser = Client::new(app);
    browser.accept_cookies().await;
    let res = browser.call("auth/sign-in/password", &[("email", &email), ("password", "correct horse battery"), ("next", "/")]).await;
    assert!(res.status.is_success(), "{}", res.body);
    browser
}
