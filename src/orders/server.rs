//! Orders in the database: placing one (stock reserved and coupon counted in the same
//! transaction, idempotent per shopper and key), every status change through one function,
//! and releasing unpaid orders when their hold runs out.

pub use super::types::OrderEmail;
use super::types::{Actor, AddressSnapshot, OrderDetail, OrderLine, OrderStatus, OrderSummary, PaymentMethod, PaymentStatus, StatusChange};
use crate::{
    cart::{server::LineRow, LineIssue},
    coupons::server as coupons,
    error::AppError,
    payments::jobs::RefundCardPayment,
    pricing::{DeliveryMethod, DeliveryRates, Totals},
    notifications::server::{self as notifications, Event},
    server::{config::HoldSettings, jobs},
};
use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Everything the shopper chose at checkout. Prices, totals and stock come from the
/// database inside the placing transaction, never from here.
pub struct Placement<'a> {
    pub user_id: Uuid,
    pub cart_id: Uuid,
    pub email: &'a str,
    pub phone: &'a str,
    pub address: &'a AddressSnapshot,
    pub delivery: DeliveryMethod,
    pub coupon_code: Option<&'a str>,
    pub payment: PaymentMethod,
    /// One per checkout: the same key finds the order already placed.
    pub idempotency_key: &'a str,
    /// The total the review page showed; placing refuses if it no longer holds.
    pub expected_total_minor: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub order_id: Uuid,
    pub number: i64,
    pub total_minor: i64,
    pub currency: String,
    pub payment: PaymentMethod,
    /// False when the key found an order placed earlier (a double click, a retry).
    pub created: bool,
}

fn not_enough(lines: &[LineRow], variant: Uuid, available: i32) -> AppError {
    let what = lines
        .iter()
        .find(|l| l.variant_id == variant)
        .map(|l| format!("{} ({}, {})", l.product_name, l.colour_name, l.size_label))
        .unwrap_or_default();
    AppError::Conflict(if available <= 0 {
        format!("{what} has just sold out. Review your cart and try again.")
    } else {
        format!("Only {available} of {what} left. Review your cart and try again.")
    })
}

/// Unpaid orders one customer may have at a time.
pub const MAX_WAITING_ORDERS: i64 = 3;

/// The shortest life Stripe gives a Checkout Session is 30 minutes after it is created (on
/// Stripe's clock): a new session is opened only when it can live at least this long.
pub const MIN_CARD_SESSION: Duration = Duration::seconds(30 * 60 + 30);

/// The rules of `HoldSettings` (configuration holds only the numbers).
pub trait HoldRules {
    /// How long a new order of `method` holds its stock.
    fn of(&self, method: PaymentMethod) -> Duration;
    /// When a card order's payment page must close: its hold less the grace, so a session
    /// that can still be paid always has its stock.
    fn card_session_ends(&self, reserved_until: DateTime<Utc>) -> DateTime<Utc>;
    /// Whether a new payment page opened `now` could stay open long enough to be used.
    fn card_page_can_open(&self, reserved_until: DateTime<Utc>, now: DateTime<Utc>) -> bool;
    /// Refuses an order of `units` when it, or the customer's unpaid orders with it
    /// (`already_held`), would hold more than allowed.
    fn check(&self, units: i64, already_held: i64) -> Result<(), AppError>;
}

impl HoldRules for HoldSettings {
    fn of(&self, method: PaymentMethod) -> Duration {
        match method {
            PaymentMethod::Stripe => self.card.max(MIN_CARD_SESSION) + self.card_grace,
            PaymentMethod::BankTransfer => self.bank_transfer,
            PaymentMethod::CashOnDelivery => self.cash_on_delivery,
        }
    }

    fn card_session_ends(&self, reserved_until: DateTime<Utc>) -> DateTime<Utc> {
        reserved_until - self.card_grace
    }

    fn card_page_can_open(&self, reserved_until: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self.card_session_ends(reserved_until) >= now + MIN_CARD_SESSION
    }

    fn check(&self, units: i64, already_held: i64) -> Result<(), AppError> {
        if units > self.units_per_order {
            return Err(AppError::Rejected(format!(
                "One order can hold at most {} items. Please split your order or remove some items.",
                self.units_per_order
            )));
        }
        if already_held + units > self.units_per_customer {
            return Err(AppError::Rejected(format!(
                "Your unpaid orders already hold {already_held} items; together with this one that is more than the {} we can keep \
                 for one customer. Please pay for or cancel an unpaid order first.",
                self.units_per_customer
            )));
        }
        Ok(())
    }
}

/// Places the order for the shopper's cart.
#[tracing::instrument(skip_all, fields(user_id = %p.user_id))]
pub async fn place(db: &PgPool, rates: &DeliveryRates, holds: &HoldSettings, now: DateTime<Utc>, p: Placement<'_>) -> Result<Placed, AppError> {
    let mut tx = db.begin().await?;
    // One placement at a time per shopper: a repeat waits, then finds the first (in a
    // statement of its own, so its snapshot is taken after the wait), and the count of
    // waiting orders below cannot be passed by two requests at once.
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("order:{}", p.user_id))
        .execute(&mut *tx)
        .await?;
    let existing: Option<(Uuid, i64, i64, String, String)> = sqlx::query_as(
        "select id, number, total_minor, currency::text, payment_method from orders where user_id = $1 and idempotency_key = $2",
    )
    .bind(p.user_id)
    .bind(p.idempotency_key)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((order_id, number, total_minor, currency, payment)) = existing {
        let payment = PaymentMethod::parse(&payment).unwrap_or(p.payment);
        return Ok(Placed { order_id, number, total_minor, currency, payment, created: false });
    }
    // Unpaid orders hold stock: a few at a time, so nobody can hold the shelves empty.
    let waiting: i64 = sqlx::query_scalar("select count(*) from orders where user_id = $1 and status = 'pending'")
        .bind(p.user_id)
        .fetch_one(&mut *tx)
        .await?;
    if waiting >= MAX_WAITING_ORDERS {
        return Err(AppError::Rejected(format!(
            "You already have {waiting} orders waiting for payment. Please pay for or cancel one of them before placing another."
        )));
    }
    let already_held: i64 = sqlx::query_scalar(
        "select coalesce(sum(r.quantity), 0)::bigint from inventory_reservations r join orders o on o.id = r.order_id
         where o.user_id = $1 and o.status = 'pending' and r.released_at is null",
    )
    .bind(p.user_id)
    .fetch_one(&mut *tx)
    .await?;

    let lines = crate::cart::server::rows(&mut *tx, p.cart_id).await?;
    if lines.is_empty() {
        return Err(AppError::Rejected("Your cart is empty.".into()));
    }
    // Anything that changed since the shopper saw the cart stops the order (the locked
    // stock check below decides the race for the last units).
    for line in &lines {
        match line.issue() {
            Some(LineIssue::SoldOut) => return Err(not_enough(&lines, line.variant_id, 0)),
            Some(LineIssue::OnlyLeft(left)) => return Err(not_enough(&lines, line.variant_id, left)),
            Some(LineIssue::Unavailable | LineIssue::PriceChanged { .. }) => {
                return Err(AppError::Conflict("Some items in your cart changed. Review your cart before placing the order.".into()))
            }
            None => {}
        }
    }
    // The cart caps each line, but a cart can also be filled by other ways (the merge at
    // sign-in): the cap is checked again where it matters.
    if let Some(line) = lines.iter().find(|l| l.quantity > crate::cart::MAX_LINE_QUANTITY) {
        return Err(AppError::Rejected(format!(
            "You can order at most {} of one size ({}, {}, {}). Change the quantity in your cart to continue.",
            crate::cart::MAX_LINE_QUANTITY,
            line.product_name,
            line.colour_name,
            line.size_label
        )));
    }
    holds.check(lines.iter().map(|l| i64::from(l.quantity)).sum(), already_held)?;
    let currency = lines[0].currency.clone();
    if lines.iter().any(|l| l.currency != currency) {
        return Err(AppError::Rejected("Items priced in different currencies cannot be ordered together.".into()));
    }
    let subtotal_minor: i64 = lines.iter().map(|l| l.unit_price_minor * i64::from(l.quantity)).sum();

    let coupon = match p.coupon_code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => {
            let applied = coupons::by_code(&mut tx, code, p.user_id, true).await?;
            let discount = coupons::discount_for(applied.as_ref(), now, subtotal_minor, &currency)?;
            applied.map(|c| (c.id, discount))
        }
        None => None,
    };
    let totals = Totals::compute(
        lines.iter().map(|l| (l.unit_price_minor, l.quantity)),
        coupon.map_or(0, |(_, d)| d),
        p.delivery,
        rates,
    );
    if p.expected_total_minor.is_some_and(|expected| expected != totals.total_minor) {
        return Err(AppError::Conflict(format!(
            "The total is now {}. Please check your order again before paying.",
            crate::money::Money::new(totals.total_minor, currency.clone())
        )));
    }

    // Stock is held while the payment can still arrive; unpaid orders are then released.
    let reserved_until = now + holds.of(p.payment);
    let address = serde_json::to_value(p.address).map_err(AppError::internal)?;
    let order_id = Uuid::now_v7();
    let variant_ids: Vec<Uuid> = lines.iter().map(|l| l.variant_id).collect();
    let quantities: Vec<i32> = lines.iter().map(|l| l.quantity).collect();
    // The order and everything that comes with it in one round trip: its lines at today's
    // prices, the held units, the first history entry, the pending payment, the emptied
    // cart. The customer's notification and confirmation email follow once the stock is held.
    let number: i64 = sqlx::query_scalar(
        "with placed as (
             insert into orders (id, user_id, status, currency, subtotal_minor, discount_minor, shipping_minor, total_minor,
                                 coupon_id, email, phone, shipping_address, payment_method, delivery_method, idempotency_key,
                                 reserved_until, placed_at)
             values ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
             returning number),
          items as (
             insert into order_items (order_id, product_id, product_size_id, product_name, colour_name, size_label, sku,
                                      unit_price_minor, quantity, line_total_minor)
             select $1, u.product_id, u.variant, u.name, u.colour, u.size, u.sku, u.price, u.quantity, u.price * u.quantity
             from unnest($17::uuid[], $18::uuid[], $19::text[], $20::text[], $21::text[], $22::text[], $23::bigint[], $24::int[])
                  as u(product_id, variant, name, colour, size, sku, price, quantity)),
          held as (
             insert into inventory_reservations (order_id, product_size_id, quantity, expires_at)
             select $1, v, q, $25 from unnest($18::uuid[], $24::int[]) as u(v, q)),
          history as (
             insert into order_status_history (order_id, from_status, to_status, actor_kind, actor_user_id, note, created_at)
             values ($1, null, 'pending', 'customer', $2, 'Order placed', $16)),
          payment as (
             insert into payments (order_id, provider, amount_minor, currency) values ($1, $12, $7, $3)),
          emptied as (delete from cart_items where cart_id = $26)
         select number from placed",
    )
    .bind(order_id)
    .bind(p.user_id)
    .bind(&currency)
    .bind(totals.subtotal_minor)
    .bind(totals.discount_minor)
    .bind(totals.delivery_minor)
    .bind(totals.total_minor)
    .bind(coupon.map(|(id, _)| id))
    .bind(p.email)
    .bind(p.phone)
    .bind(address)
    .bind(p.payment.as_str())
    .bind(p.delivery.as_str())
    .bind(p.idempotency_key)
    .bind(reserved_until)
    .bind(now)
    .bind(lines.iter().map(|l| l.product_id).collect::<Vec<_>>())
    .bind(&variant_ids)
    .bind(lines.iter().map(|l| l.product_name.clone()).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.colour_name.clone()).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.size_label.clone()).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.sku.clone()).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.unit_price_minor).collect::<Vec<_>>())
    .bind(&quantities)
    .bind(reserved_until)
    .bind(p.cart_id)
    .fetch_one(&mut *tx)
    .await?;
    if let Some((coupon_id, discount)) = coupon {
        // The row is locked and its limits were checked above; the check constraint on
        // times_used is the last line of defence.
        sqlx::query(
            "with used as (update coupons set times_used = times_used + 1 where id = $1)
             insert into coupon_redemptions (coupon_id, order_id, user_id, discount_minor) values ($1, $2, $3, $4)",
        )
        .bind(coupon_id)
        .bind(order_id)
        .bind(p.user_id)
        .bind(discount)
        .execute(&mut *tx)
        .await?;
    }

    // Stock last, in one statement, so the rows of popular sizes stay locked for the
    // shortest time. Rows are locked in id order, and `no key update` does not wait for the
    // key-share locks the foreign keys above took: two orders sharing sizes cannot deadlock.
    // Units are reserved only when every line has enough.
    let short: Vec<(Uuid, i32)> = sqlx::query_as(
        "with wanted as (select v, q from unnest($1::uuid[], $2::int[]) as u(v, q)),
              locked as (select id, available from product_sizes
                         where id = any($1) order by id for no key update),
              short as (select w.v, coalesce(l.available, 0) as available from wanted w
                        left join locked l on l.id = w.v where coalesce(l.available, 0) < w.q),
              reserve as (update product_sizes ps set reserved = ps.reserved + w.q from wanted w
                          where ps.id = w.v and not exists (select 1 from short))
         select v, available from short",
    )
    .bind(&variant_ids)
    .bind(&quantities)
    .fetch_all(&mut *tx)
    .await?;
    if let Some((variant, available)) = short.first() {
        return Err(not_enough(&lines, *variant, *available));
    }
    let placed = Event::Order { order_id, number, step: OrderEmail::Placed, tracking: None, carrier: None };
    if notifications::notify(&mut tx, p.user_id, &placed, now).await?.is_some_and(|c| c.email) {
        jobs::enqueue(&mut tx, OrderEmailJob { order_id, event: OrderEmail::Placed }, now).await?;
    }
    tx.commit().await?;
    tracing::info!(order = number, total = totals.total_minor, "order placed");
    Ok(Placed { order_id, number, total_minor: totals.total_minor, currency, payment: p.payment, created: true })
}

/// The job that sends an order's email for one event (see `orders::jobs`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrderEmailJob {
    pub order_id: Uuid,
    pub event: OrderEmail,
}

impl jobs::Job for OrderEmailJob {
    const KIND: &'static str = "order_email";
}

impl OrderEmail {
    fn for_status(status: OrderStatus) -> Option<Self> {
        match status {
            OrderStatus::Paid => Some(Self::Paid),
            OrderStatus::Shipped => Some(Self::Shipped),
            OrderStatus::Delivered => Some(Self::Delivered),
            OrderStatus::Cancelled => Some(Self::Cancelled),
            OrderStatus::Refunded => Some(Self::Refunded),
            OrderStatus::Pending | OrderStatus::Processing => None,
        }
    }
}

/// Moves an order to `to`: the one place status changes happen. Checks the move is legal,
/// records who made it, adjusts stock (paid: reserved units leave stock; cancelled: they
/// come back) and queues the shopper's email, all in the caller's transaction.
#[tracing::instrument(skip(conn, note), fields(actor = actor.kind()))]
pub async fn transition(
    conn: &mut PgConnection,
    order_id: Uuid,
    to: OrderStatus,
    actor: Actor,
    note: &str,
    now: DateTime<Utc>,
) -> Result<OrderStatus, AppError> {
    let row: Option<(String, String)> = sqlx::query_as("select status, payment_method from orders where id = $1 for update")
        .bind(order_id)
        .fetch_optional(&mut *conn)
        .await?;
    let (from, method) = row
        .and_then(|(s, m)| Some((OrderStatus::parse(&s)?, PaymentMethod::parse(&m)?)))
        .ok_or_else(|| AppError::NotFound("The order".into()))?;
    if !actor.may_move(from, to) {
        return Err(AppError::Conflict(actor.refusal(from, to)));
    }
    // What the payment method adds to the state machine: only cash on delivery ships before
    // it is paid, and card money is confirmed by the payment provider alone.
    match (from, to, method) {
        (OrderStatus::Pending, OrderStatus::Processing, m) if m != PaymentMethod::CashOnDelivery => {
            return Err(AppError::Conflict("Only cash-on-delivery orders are confirmed before payment; this one must be paid first.".into()));
        }
        (OrderStatus::Pending, OrderStatus::Paid, PaymentMethod::Stripe) if matches!(actor, Actor::Staff(_)) => {
            return Err(AppError::Conflict("Card payments are confirmed by Stripe; this order is still waiting for one.".into()));
        }
        _ => {}
    }
    sqlx::query(
        "update orders set status = $2,
                paid_at = case when $2 = 'paid' then $3 else paid_at end,
                cancelled_at = case when $2 = 'cancelled' then $3 else cancelled_at end,
                shipped_at = case when $2 = 'shipped' then $3 else shipped_at end,
                delivered_at = case when $2 = 'delivered' then $3 else delivered_at end,
                reserved_until = null
         where id = $1",
    )
    .bind(order_id)
    .bind(to.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "insert into order_status_history (order_id, from_status, to_status, actor_kind, actor_user_id, note, created_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(order_id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(actor.kind())
    .bind(actor.user_id())
    .bind(note)
    .bind(now)
    .execute(&mut *conn)
    .await?;

    if to == OrderStatus::Paid && method.is_offline() {
        // Staff saw the transfer arrive or took the cash: the offline payment succeeded.
        sqlx::query("update payments set status = 'succeeded' where order_id = $1 and provider = $2 and status = 'pending'")
            .bind(order_id)
            .bind(method.as_str())
            .execute(&mut *conn)
            .await?;
    }

    match (from.holds_reservation(), to) {
        // Paid, or a cash-on-delivery order confirmed: the held units are sold.
        (true, OrderStatus::Paid | OrderStatus::Processing) => {
            sqlx::query(
                "with released as (
                     update inventory_reservations set released_at = $2 where order_id = $1 and released_at is null
                     returning product_size_id, quantity)
                 update product_sizes ps set stock = ps.stock - r.quantity, reserved = ps.reserved - r.quantity
                 from released r where ps.id = r.product_size_id",
            )
            .bind(order_id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "update products p set sold_count = p.sold_count + i.quantity
                 from (select product_id, sum(quantity)::int as quantity from order_items where order_id = $1 and product_id is not null
                       group by product_id) i where p.id = i.product_id",
            )
            .bind(order_id)
            .execute(&mut *conn)
            .await?;
        }
        // Cancelled before payment: the held units go back on sale.
        (true, OrderStatus::Cancelled) => {
            sqlx::query(
                "with released as (
                     update inventory_reservations set released_at = $2 where order_id = $1 and released_at is null
                     returning product_size_id, quantity)
                 update product_sizes ps set reserved = ps.reserved - r.quantity
                 from released r where ps.id = r.product_size_id",
            )
            .bind(order_id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        }
        // Cancelled after payment but before shipping: the units were never sent, and card
        // payments go back by the queue (offline ones are returned by staff).
        (false, OrderStatus::Cancelled) => {
            sqlx::query(
                "update product_sizes ps set stock = ps.stock + i.quantity
                 from (select product_size_id, sum(quantity)::int as quantity from order_items
                       where order_id = $1 and product_size_id is not null group by product_size_id) i
                 where ps.id = i.product_size_id",
            )
            .bind(order_id)
            .execute(&mut *conn)
            .await?;
            let paid_by_card: Vec<String> = sqlx::query_scalar(
                "select provider_ref from payments where order_id = $1 and provider = 'stripe'
                   and status in ('succeeded', 'partially_refunded') and provider_ref like 'pi_%'",
            )
            .bind(order_id)
            .fetch_all(&mut *conn)
            .await?;
            for payment_intent in paid_by_card {
                let reason = "The order was cancelled after payment".to_owned();
                jobs::enqueue(conn, RefundCardPayment { payment_intent, reason }, now).await?;
            }
        }
        _ => {}
    }
    if to == OrderStatus::Cancelled {
        // A cancelled order gives its coupon use back.
        sqlx::query(
            "update coupons c set times_used = greatest(c.times_used - 1, 0)
             from coupon_redemptions r where r.order_id = $1 and c.id = r.coupon_id",
        )
        .bind(order_id)
        .execute(&mut *conn)
        .await?;
    }
    if let Some(event) = OrderEmail::for_status(to) {
        tell_customer(conn, order_id, event, now).await?;
    }
    Ok(from)
}

/// Tells an order's customer that it moved on: a notification (once per step, however
/// often this runs) and the order's email unless their preferences say otherwise. An order
/// without an account just gets its email.
pub async fn tell_customer(conn: &mut PgConnection, order_id: Uuid, step: OrderEmail, now: DateTime<Utc>) -> Result<(), AppError> {
    let (user, number, tracking, carrier): (Option<Uuid>, i64, Option<String>, Option<String>) =
        sqlx::query_as("select user_id, number, tracking_number, carrier from orders where id = $1")
            .bind(order_id)
            .fetch_one(&mut *conn)
            .await?;
    let email = match user {
        Some(user) => notifications::notify(conn, user, &Event::Order { order_id, number, step, tracking, carrier }, now)
            .await?
            .is_some_and(|c| c.email),
        None => true,
    };
    if email {
        jobs::enqueue(conn, OrderEmailJob { order_id, event: step }, now).await?;
    }
    Ok(())
}

/// Cancels unpaid orders whose hold has run out, a few at a time. Rows another instance is
/// already handling are skipped, so several app instances can run this together.
pub async fn release_expired(db: &PgPool, now: DateTime<Utc>) -> Result<usize, AppError> {
    let mut released = 0;
    loop {
        let mut tx = db.begin().await?;
        let due: Vec<Uuid> = sqlx::query_scalar(
            "select id from orders where status = 'pending' and reserved_until <= $1
             order by reserved_until limit 20 for update skip locked",
        )
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        if due.is_empty() {
            return Ok(released);
        }
        for id in &due {
            transition(&mut tx, *id, OrderStatus::Cancelled, Actor::System, "Not paid in time; the items were released.", now).await?;
            sqlx::query("update payments set status = 'cancelled' where order_id = $1 and status = 'pending'")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        released += due.len();
    }
}

/// The customer's own orders, newest first.
pub async fn list_for_user(db: &PgPool, user_id: Uuid) -> Result<Vec<OrderSummary>, sqlx::Error> {
    let rows: Vec<(i64, String, DateTime<Utc>, i64, String, i64)> = sqlx::query_as(
        "select o.number, o.status, o.placed_at, o.total_minor, o.currency::text,
                (select coalesce(sum(quantity), 0)::bigint from order_items i where i.order_id = o.id)
         from orders o where o.user_id = $1 order by o.placed_at desc limit 200",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(number, status, placed_at, total_minor, currency, item_count)| {
            Some(OrderSummary { number, status: OrderStatus::parse(&status)?, placed_at, total_minor, currency, item_count })
        })
        .collect())
}

/// One order by number, only for its owner (`None` for anyone else: the page answers 404).
pub async fn detail_for_user(db: &PgPool, user_id: Uuid, number: i64) -> Result<Option<OrderDetail>, AppError> {
    let id: Option<Uuid> = sqlx::query_scalar("select id from orders where number = $1 and user_id = $2")
        .bind(number)
        .bind(user_id)
        .fetch_optional(db)
        .await?;
    match id {
        Some(id) => detail(db, id).await.map(Some),
        None => Ok(None),
    }
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    number: i64,
    status: String,
    placed_at: DateTime<Utc>,
    currency: String,
    subtotal_minor: i64,
    discount_minor: i64,
    shipping_minor: i64,
    total_minor: i64,
    delivery_method: String,
    payment_method: String,
    shipping_address: serde_json::Value,
    email: String,
    tracking_number: Option<String>,
    carrier: Option<String>,
    payment_status: Option<String>,
    pay_by: Option<DateTime<Utc>>,
    email_confirmed: bool,
    reserved_until: Option<DateTime<Utc>>,
    open_page_until: Option<DateTime<Utc>>,
}

/// Adds where to send a bank transfer to an order still waiting for one.
pub fn with_bank_details(mut order: OrderDetail, details: Option<&str>) -> OrderDetail {
    if order.payment_method == PaymentMethod::BankTransfer && order.status == OrderStatus::Pending {
        order.bank_details = details.map(str::to_owned);
    }
    order
}

pub async fn detail(db: &PgPool, order_id: Uuid) -> Result<OrderDetail, AppError> {
    let row: OrderRow = sqlx::query_as(
        "select o.number, o.status, o.placed_at, o.currency::text as currency, o.subtotal_minor, o.discount_minor, o.shipping_minor,
                o.total_minor, o.delivery_method, o.payment_method, o.shipping_address, o.email::text as email, o.tracking_number, o.carrier,
                (select p.status from payments p where p.order_id = o.id order by p.created_at desc limit 1) as payment_status,
                -- A card order is paid on a page that closes before its stock is released.
                coalesce((select p.session_expires_at from payments p where p.order_id = o.id and p.session_expires_at is not null
                          order by p.created_at desc limit 1), o.reserved_until) as pay_by,
                exists(select 1 from users u where u.id = o.user_id and u.email = o.email and u.email_verified_at is not null)
                    as email_confirmed,
                o.reserved_until,
                (select max(p.session_expires_at) from payments p where p.order_id = o.id and p.provider = 'stripe'
                   and p.status in ('pending', 'failed') and p.checkout_url is not null) as open_page_until
         from orders o where o.id = $1",
    )
    .bind(order_id)
    .fetch_one(db)
    .await?;
    let lines: Vec<(String, Option<String>, String, String, i64, i32, i64)> = sqlx::query_as(
        "select i.product_name, p.slug, i.colour_name, i.size_label, i.unit_price_minor, i.quantity, i.line_total_minor
         from order_items i left join products p on p.id = i.product_id where i.order_id = $1 order by i.id",
    )
    .bind(order_id)
    .fetch_all(db)
    .await?;
    let history: Vec<(String, DateTime<Utc>, String)> = sqlx::query_as(
        "select to_status, created_at, note from order_status_history where order_id = $1 order by created_at, id",
    )
    .bind(order_id)
    .fetch_all(db)
    .await?;
    let status = OrderStatus::parse(&row.status).ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown status {}", row.status)))?;
    let payment_method = PaymentMethod::parse(&row.payment_method).unwrap_or(PaymentMethod::CashOnDelivery);
    let address: AddressSnapshot = serde_json::from_value(row.shipping_address).map_err(AppError::internal)?;
    Ok(OrderDetail {
        number: row.number,
        status,
        placed_at: row.placed_at,
        currency: row.currency,
        lines: lines
            .into_iter()
            .map(|(product_name, product_slug, colour_name, size_label, unit_price_minor, quantity, line_total_minor)| OrderLine {
                product_name,
                product_slug,
                colour_name,
                size_label,
                unit_price_minor,
                quantity,
                line_total_minor,
            })
            .collect(),
        subtotal_minor: row.subtotal_minor,
        discount_minor: row.discount_minor,
        delivery_minor: row.shipping_minor,
        total_minor: row.total_minor,
        delivery_method: DeliveryMethod::parse(&row.delivery_method).unwrap_or_default(),
        payment_method,
        payment_status: row.payment_status.as_deref().and_then(PaymentStatus::parse).unwrap_or(PaymentStatus::Pending),
        address,
        email: row.email,
        tracking_number: row.tracking_number,
        carrier: row.carrier,
        history: history
            .into_iter()
            .filter_map(|(s, at, note)| Some(StatusChange { status: OrderStatus::parse(&s)?, at, note }))
            .collect(),
        can_pay: status == OrderStatus::Pending && payment_method == PaymentMethod::Stripe,
        can_cancel: Actor::Customer(Uuid::nil()).may_move(status, OrderStatus::Cancelled),
        pay_by: row.pay_by.filter(|_| status == OrderStatus::Pending),
        email_confirmed: row.email_confirmed,
        bank_details: None,
        reserved_until: row.reserved_until,
        open_page_until: row.open_page_until,
    })
}

/// The order's id when `user_id` owns it.
pub async fn owned_id(db: &PgPool, user_id: Uuid, number: i64) -> Result<Uuid, AppError> {
    sqlx::query_scalar("select id from orders where number = $1 and user_id = $2")
        .bind(number)
        .bind(user_id)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| AppError::NotFound("That order".into()))
}
