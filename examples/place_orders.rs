//! Place-order benchmark (not a test): many buyers at once, first all after one hot size
//! with less stock than buyers, then spread over every size. Prints orders per second and
//! checks that nothing was oversold. Run through `bench/orders.sh`.
//!   DATABASE_URL=… cargo run --features ssr --example place_orders -- [buyers] [concurrency]
//! `concurrency` plays the app's connection pool: buyers beyond it wait for a connection.

use chrono::{Duration, Utc};
use larkspur::{
    pricing::{DeliveryMethod, DeliveryRates},
    orders::{server as orders, AddressSnapshot, PaymentMethod},
    server::config::HoldSettings,
};
use sqlx::{postgres::PgPoolOptions, PgPool};
use std::{sync::Arc, time::Instant};
use tokio::sync::Semaphore;
use uuid::Uuid;

const RATES: DeliveryRates = DeliveryRates { standard_minor: 500, express_minor: 1500, free_standard_from_minor: 7500 };
// The store's default holds, with unit ceilings out of the way: this measures placing.
const WAITS: HoldSettings = HoldSettings {
    card: Duration::minutes(60),
    card_grace: Duration::minutes(15),
    bank_transfer: Duration::days(7),
    cash_on_delivery: Duration::days(7),
    units_per_order: i64::MAX / 4,
    units_per_customer: i64::MAX / 4,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let buyers = args.first().copied().unwrap_or(2000);
    let concurrency = args.get(1).copied().unwrap_or(8);
    let url = std::env::var("DATABASE_URL")?;
    let db = PgPoolOptions::new().max_connections(concurrency as u32 + 2).connect(&url).await?;
    larkspur::server::startup::migrate(&db).await?;
    let media = std::env::temp_dir().join("larkspur-bench-media");
    let vars = std::collections::HashMap::from([
        ("DATABASE_URL", url.as_str()),
        ("REDIS_URL", "redis://unused-by-this-benchmark"),
        ("MEDIA_DIR", media.to_str().unwrap_or("media")),
        ("AUTH_SECRET", "place-orders-benchmark-secret-0000000"),
    ]);
    let config = larkspur::server::config::Config::from_map(&vars)?;
    larkspur::seed::demo_store(&db, &config).await?;
    println!("place-order benchmark: {buyers} buyers per run, {concurrency} at a time");

    // One hot size with half as many units as buyers: exactly that many orders may succeed.
    let hot: Uuid = sqlx::query_scalar("select id from product_sizes order by sku limit 1").fetch_one(&db).await?;
    let stock = (buyers / 2) as i32;
    sqlx::query("update product_sizes set stock = $2, reserved = 0 where id = $1").bind(hot).bind(stock).execute(&db).await?;
    let carts = buyers_with_carts(&db, buyers, "hot", Some(hot)).await?;
    let (placed, elapsed) = run(&db, carts, concurrency).await;
    let (after_stock, reserved): (i32, i32) = sqlx::query_as("select stock, reserved from product_sizes where id = $1").bind(hot).fetch_one(&db).await?;
    println!(
        "hot size:     {placed:>5} orders in {:>6.2} s = {:>7.0} orders/s (all {buyers} attempts: {:>7.0}/s); stock {after_stock}, held {reserved}",
        elapsed,
        placed as f64 / elapsed,
        buyers as f64 / elapsed
    );
    anyhow::ensure!(placed == stock as usize && reserved == stock, "oversold or undersold: {placed} placed for {stock} units");

    // Every size, plenty of stock: contention only where buyers happen to meet.
    sqlx::query("update product_sizes set stock = stock + 1000").execute(&db).await?;
    let carts = buyers_with_carts(&db, buyers, "spread", None).await?;
    let (placed, elapsed) = run(&db, carts, concurrency).await;
    println!("spread sizes: {placed:>5} orders in {elapsed:>6.2} s = {:>7.0} orders/s", placed as f64 / elapsed);
    let oversold: i64 = sqlx::query_scalar("select count(*) from product_sizes where reserved > stock or stock < 0").fetch_one(&db).await?;
    anyhow::ensure!(oversold == 0 && placed == buyers, "{oversold} sizes oversold, {placed}/{buyers} placed");
    println!("nothing oversold");
    Ok(())
}

/// Creates `n` customers, each with a one-unit cart (of `variant`, or of sizes in turn).
async fn buyers_with_carts(db: &PgPool, n: usize, run: &str, variant: Option<Uuid>) -> anyhow::Result<Vec<(Uuid, Uuid)>> {
    let tag = format!("{run}-{}", Utc::now().timestamp_millis());
    let rows: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "with u as (insert into users (email, phone, phone_verified_at, name)
                    select format('bench-%s-%s@example.com', $2::text, g), format('+1%s%s', $3::text, lpad(g::text, 7, '0')), now(), 'Bench'
                    from generate_series(1, $1) g returning id),
              c as (insert into carts (user_id) select id from u returning id, user_id)
         select c.user_id, c.id from c",
    )
    .bind(n as i64)
    .bind(&tag)
    .bind(&tag[tag.len() - 3..])
    .fetch_all(db)
    .await?;
    sqlx::query(
        "with sizes as (select ps.id, p.effective_price_minor as price, row_number() over (order by ps.sku) - 1 as i, count(*) over () as n
                        from product_sizes ps join product_colours pc on pc.id = ps.product_colour_id join products p on p.id = pc.product_id
                        where p.is_active and p.deleted_at is null),
              carts as (select id, row_number() over () - 1 as i from unnest($1::uuid[]) as id)
         insert into cart_items (cart_id, product_size_id, quantity, price_seen_minor)
         select carts.id, coalesce($2, s.id), 1,
                (select p.effective_price_minor from product_sizes ps join product_colours pc on pc.id = ps.product_colour_id
                 join products p on p.id = pc.product_id where ps.id = coalesce($2, s.id))
         from carts join sizes s on s.i = carts.i % s.n",
    )
    .bind(rows.iter().map(|r| r.1).collect::<Vec<_>>())
    .bind(variant)
    .execute(db)
    .await?;
    Ok(rows)
}

async fn run(db: &PgPool, carts: Vec<(Uuid, Uuid)>, concurrency: usize) -> (usize, f64) {
    let gate = Arc::new(Semaphore::new(concurrency));
    let address = Arc::new(AddressSnapshot { recipient_name: "Bench".into(), line1: "1 Main St".into(), city: "Austin".into(), country_code: "US".into(), postal_code: "73301".into(), ..Default::default() });
    let start = Instant::now();
    let tasks: Vec<_> = carts
        .into_iter()
        .map(|(user, cart)| {
            let (db, gate, address) = (db.clone(), gate.clone(), address.clone());
            tokio::spawn(async move {
                let _slot = gate.acquire().await.expect("semaphore open");
                let placement = orders::Placement {
                    user_id: user,
                    cart_id: cart,
                    email: "bench@example.com",
                    phone: "+15555550100",
                    address: &address,
                    delivery: DeliveryMethod::Standard,
                    coupon_code: None,
                    payment: PaymentMethod::CashOnDelivery,
                    idempotency_key: "bench",
                    expected_total_minor: None,
                };
                orders::place(&db, &RATES, &WAITS, Utc::now(), placement).await.is_ok()
            })
        })
        .collect();
    let mut placed = 0;
    for task in tasks {
        if task.await.unwrap_or(false) {
            placed += 1;
        }
    }
    (placed, start.elapsed().as_secs_f64())
}
