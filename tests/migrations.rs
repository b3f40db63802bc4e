//! The schema, applied from scratch to an empty database, rejects bad rows by itself.
#![cfg(feature = "ssr")]

use sqlx::PgPool;
use uuid::Uuid;

fn constraint_of(err: sqlx::Error) -> String {
    err.as_database_error()
        .and_then(|e| e.constraint().map(str::to_owned))
        .unwrap_or_else(|| panic!("expected a constraint violation, got {err:?}"))
}

async fn product(db: &PgPool, slug: &str) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar("insert into products (name, slug, price_minor) values ('Test product', $1, 1000) returning id")
        .bind(slug)
        .fetch_one(db)
        .await
}

async fn variant(db: &PgPool, product_id: Uuid, stock: i32) -> Result<Uuid, sqlx::Error> {
    let colour: Uuid = sqlx::query_scalar("insert into colours (name, slug, hex) values ('Black', 'black', '#000000') returning id")
        .fetch_one(db).await?;
    let size: Uuid = sqlx::query_scalar("insert into sizes (label, slug) values ('M', 'm') returning id").fetch_one(db).await?;
    let pc: Uuid = sqlx::query_scalar("insert into product_colours (product_id, colour_id) values ($1, $2) returning id")
        .bind(product_id).bind(colour).fetch_one(db).await?;
    sqlx::query_scalar("insert into product_sizes (product_colour_id, size_id, sku, stock) values ($1, $2, 'SKU-1', $3) returning id")
        .bind(pc).bind(size).bind(stock).fetch_one(db).await
}

#[sqlx::test(migrations = "./migrations")]
async fn ids_are_time_ordered_uuid_v7(db: PgPool) {
    let a = product(&db, "first").await.unwrap();
    let b = product(&db, "second").await.unwrap();
    assert_eq!(a.get_version_num(), 7);
    assert!(a < b, "later rows sort after earlier ones");
}

#[sqlx::test(migrations = "./migrations")]
async fn negative_stock_is_rejected(db: PgPool) {
    let id = product(&db, "stocked").await.unwrap();
    let err = variant(&db, id, -1).await.unwrap_err();
    assert_eq!(constraint_of(err), "product_sizes_stock_check");
}

#[sqlx::test(migrations = "./migrations")]
async fn reserving_more_than_stock_is_rejected(db: PgPool) {
    let id = product(&db, "reserved").await.unwrap();
    let variant = variant(&db, id, 2).await.unwrap();
    let err = sqlx::query("update product_sizes set reserved = 3 where id = $1").bind(variant).execute(&db).await.unwrap_err();
    assert_eq!(constraint_of(err), "product_sizes_stock_reserved_check");
}

#[sqlx::test(migrations = "./migrations")]
async fn rating_outside_one_to_five_is_rejected(db: PgPool) {
    let product_id = product(&db, "rated").await.unwrap();
    let user: Uuid = sqlx::query_scalar("insert into users (email) values ('a@example.com') returning id")
        .fetch_one(&db).await.unwrap();
    for rating in [0, 6] {
        let err = sqlx::query("insert into reviews (product_id, user_id, rating) values ($1, $2, $3)")
            .bind(product_id).bind(user).bind(rating as i16)
            .execute(&db).await.unwrap_err();
        assert_eq!(constraint_of(err), "reviews_rating_check");
    }
    sqlx::query("insert into reviews (product_id, user_id, rating) values ($1, $2, 5)")
        .bind(product_id).bind(user).execute(&db).await.expect("rating 5 is valid");
}

#[sqlx::test(migrations = "./migrations")]
async fn duplicate_slug_is_rejected(db: PgPool) {
    product(&db, "alpine-hoodie").await.unwrap();
    let err = product(&db, "alpine-hoodie").await.unwrap_err();
    assert_eq!(constraint_of(err), "products_slug_key");
    let err = product(&db, "Not A Slug").await.unwrap_err();
    assert_eq!(constraint_of(err), "products_slug_format_check");
}

#[sqlx::test(migrations = "./migrations")]
async fn sale_price_must_be_below_price(db: PgPool) {
    let err = sqlx::query("insert into products (name, slug, price_minor, price_override_minor) values ('x', 'x', 1000, 1000)")
        .execute(&db).await.unwrap_err();
    assert_eq!(constraint_of(err), "products_price_override_check");
}

#[sqlx::test(migrations = "./migrations")]
async fn illegal_order_status_and_bad_totals_are_rejected(db: PgPool) {
    let insert = |status: &'static str, total: i64| {
        sqlx::query(
            "insert into orders (status, subtotal_minor, discount_minor, shipping_minor, total_minor, email, phone,
                                 shipping_address, payment_method, idempotency_key)
             values ($1, 5000, 500, 700, $2, 'a@example.com', '+15555550100', '{}', 'cash_on_delivery', gen_random_uuid()::text)",
        )
        .bind(status)
        .bind(total)
        .execute(&db)
    };
    assert_eq!(constraint_of(insert("lost", 5200).await.unwrap_err()), "orders_status_check");
    assert_eq!(constraint_of(insert("pending", 9999).await.unwrap_err()), "orders_total_check");
    insert("pending", 5200).await.expect("a consistent order is accepted");
}

#[sqlx::test(migrations = "./migrations")]
async fn cart_quantity_must_be_positive_and_owner_single(db: PgPool) {
    let product_id = product(&db, "carted").await.unwrap();
    let variant = variant(&db, product_id, 5).await.unwrap();
    let cart: Uuid = sqlx::query_scalar("insert into carts default values returning id").fetch_one(&db).await.unwrap();
    let err = sqlx::query("insert into cart_items (cart_id, product_size_id, quantity) values ($1, $2, 0)")
        .bind(cart).bind(variant).execute(&db).await.unwrap_err();
    assert_eq!(constraint_of(err), "cart_items_quantity_check");
    let err = sqlx::query("insert into wishlist_items (product_id) values ($1)").bind(product_id).execute(&db).await.unwrap_err();
    assert_eq!(constraint_of(err), "wishlist_items_owner_check");
}

#[sqlx::test(migrations = "./migrations")]
async fn updated_at_is_maintained_by_the_database(db: PgPool) {
    let id = product(&db, "touched").await.unwrap();
    let before: chrono::DateTime<chrono::Utc> = sqlx::query_scalar("select updated_at from products where id = $1")
        .bind(id).fetch_one(&db).await.unwrap();
    sqlx::query("update products set name = 'Renamed' where id = $1").bind(id).execute(&db).await.unwrap();
    let after: chrono::DateTime<chrono::Utc> = sqlx::query_scalar("select updated_at from products where id = $1")
        .bind(id).fetch_one(&db).await.unwrap();
    assert!(after > before);
}
