//! Staff work on orders (server only): the filtered list and its totals, the order as staff
//! see it, the steps of fulfilment, cash collected, and internal notes. Every status change
//! goes through `server::transition` (the state machine) and is written with its audit entry
//! in one transaction. Cancelling and refunding touch the payment provider, so they live in
//! `payments::server`.

use super::{
    server::transition,
    types::{
        Actor, HistoryEntry, OrderNote, OrderStatus, OrderTotals, PaymentMethod, PaymentStatus, PaymentView, RefundStatus, RefundView, StaffLine, StaffMove,
        StaffOrder, StaffOrderRow,
    },
};
use crate::{
    admin::table::{ListQuery, Paged, PAGE_SIZE},
    audit::server::{self as audit, Change},
    error::{AppError, FieldErrors},
};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The columns the staff list sorts by, and the SQL of each.
const SORTS: [(&str, &str); 4] = [("placed", "o.placed_at"), ("number", "o.number"), ("total", "o.total_minor"), ("status", "o.status")];

/// The list's filters as SQL over `orders o`: search (`$1`: a number, an email or a phone),
/// status `$2`, payment method `$3`, placed since `$4`, customer `$5`.
const FILTER: &str = "($1::text is null
        or o.number::text = ltrim($1, '#')
        or o.email = $1::citext
        or o.phone = regexp_replace($1, '[^0-9+]', '', 'g')
        or o.email::text ilike '%' || $1 || '%')
    and ($2::text is null or o.status = $2)
    and ($3::text is null or o.payment_method = $3)
    and ($4::timestamptz is null or o.placed_at >= $4)
    and ($5::uuid is null or o.user_id = $5)";

/// Since when the `placed` filter of the list reaches.
fn placed_since(filter: Option<&str>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let today = now.date_naive().and_hms_opt(0, 0, 0)?.and_utc();
    match filter? {
        "today" => Some(today),
        "7d" => Some(today - Duration::days(6)),
        "30d" => Some(today - Duration::days(29)),
        "365d" => Some(today - Duration::days(364)),
        _ => None,
    }
}

struct Filters<'a> {
    search: Option<&'a str>,
    status: Option<&'a str>,
    method: Option<&'a str>,
    since: Option<DateTime<Utc>>,
    customer: Option<Uuid>,
}

impl<'a> Filters<'a> {
    fn of(query: &'a ListQuery, now: DateTime<Utc>) -> Self {
        Self {
            search: query.search(),
            status: query.filter("status").filter(|s| OrderStatus::parse(s).is_some()),
            method: query.filter("payment").filter(|m| PaymentMethod::parse(m).is_some()),
            since: placed_since(query.filter("placed"), now),
            customer: query.filter("customer").and_then(|c| c.parse().ok()),
        }
    }

    fn bind<'q, O>(
        &self,
        q: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>
    where
        'a: 'q,
    {
        q.bind(self.search).bind(self.status).bind(self.method).bind(self.since).bind(self.customer)
    }
}

type ListRow = (i64, DateTime<Utc>, String, String, Option<String>, String, String, i64, i64, String);

/// One page of the staff order list for `query`, and the totals of every order it matches.
pub async fn list(db: &PgPool, query: &ListQuery, now: DateTime<Utc>) -> Result<(Paged<StaffOrderRow>, OrderTotals), sqlx::Error> {
    let names: Vec<&str> = SORTS.iter().map(|(k, _)| *k).collect();
    let (sort, desc) = query.sort_of(&names, ("placed", true));
    let column = SORTS.iter().find(|(k, _)| *k == sort).map_or("o.placed_at", |(_, c)| c);
    let direction = if desc { "desc" } else { "asc" };
    let filters = Filters::of(query, now);
    let sql = format!(
        "select o.number, o.placed_at, o.status, o.payment_method,
                (select p.status from payments p where p.order_id = o.id order by p.created_at desc limit 1),
                coalesce(nullif(u.name, ''), o.email::text), o.email::text,
                (select coalesce(sum(i.quantity), 0)::bigint from order_items i where i.order_id = o.id),
                o.total_minor, o.currency::text
         from orders o left join users u on u.id = o.user_id
         where {FILTER}
         order by {column} {direction}, o.number {direction} limit $6 offset $7"
    );
    let rows: Vec<ListRow> = filters.bind(sqlx::query_as(&sql)).bind(PAGE_SIZE).bind(query.offset()).fetch_all(db).await?;
    let totals_sql = format!(
        "select count(*), coalesce(sum(o.total_minor), 0)::bigint,
                coalesce(sum((select coalesce(sum(r.amount_minor), 0) from refunds r join payments p on p.id = r.payment_id
                              where p.order_id = o.id and r.status <> 'failed')), 0)::bigint,
                coalesce(min(o.currency::text), '')
         from orders o where {FILTER}"
    );
    let (orders, total_minor, refunded_minor, currency): (i64, i64, i64, String) = filters.bind(sqlx::query_as(&totals_sql)).fetch_one(db).await?;
    let rows = rows
        .into_iter()
        .filter_map(|(number, placed_at, status, method, payment, customer, email, items, total_minor, currency)| {
            Some(StaffOrderRow {
                number,
                placed_at,
                status: OrderStatus::parse(&status)?,
                payment_method: PaymentMethod::parse(&method)?,
                payment_status: payment.as_deref().and_then(PaymentStatus::parse).unwrap_or(PaymentStatus::Pending),
                customer,
                email,
                items,
                total_minor,
                currency,
            })
        })
        .collect();
    Ok((Paged { rows, total: orders }, OrderTotals { orders, total_minor, refunded_minor, currency }))
}

/// Every order matching `query`, for the CSV export (no page limit, newest first).
pub async fn export(db: &PgPool, query: &ListQuery, now: DateTime<Utc>) -> Result<Vec<StaffOrderRow>, sqlx::Error> {
    let mut all = Vec::new();
    let mut page = query.clone();
    page.page = 1;
    loop {
        let (batch, _) = list(db, &page, now).await?;
        let done = (batch.rows.len() as i64) < PAGE_SIZE;
        all.extend(batch.rows);
        if done || page.page >= 4_000 {
            return Ok(all);
        }
        page.page += 1;
    }
}

/// The order with this number's id.
pub async fn id_of(db: &PgPool, number: i64) -> Result<Uuid, AppError> {
    sqlx::query_scalar("select id from orders where number = $1")
        .bind(number)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| AppError::NotFound("That order".into()))
}

/// Who made a status change, in words.
fn actor_label(kind: &str, email: Option<String>) -> String {
    match (kind, email) {
        ("staff", Some(email)) => email,
        ("staff", None) => "Staff".into(),
        ("customer", _) => "The customer".into(),
        ("payment_provider", _) => "Stripe".into(),
        _ => "The store".into(),
    }
}

type LineRow = (Uuid, String, String, String, String, i64, i32, i64, i64, i64, bool);
type RefundRow = (Uuid, i64, String, String, Option<String>, DateTime<Utc>, String);

/// The order with this number as staff see it.
pub async fn staff_detail(db: &PgPool, number: i64) -> Result<StaffOrder, AppError> {
    let id = id_of(db, number).await?;
    let order = super::server::detail(db, id).await?;
    let (customer_id, customer_name, phone): (Option<Uuid>, String, String) = sqlx::query_as(
        "select o.user_id, coalesce(u.name, ''), o.phone from orders o left join users u on u.id = o.user_id where o.id = $1",
    )
    .bind(id)
    .fetch_one(db)
    .await?;
    let lines: Vec<LineRow> = sqlx::query_as(
        "select i.id, i.product_name, i.colour_name, i.size_label, i.sku, i.unit_price_minor, i.quantity, i.line_total_minor,
                coalesce((select sum(ri.quantity) from refund_items ri join refunds r on r.id = ri.refund_id
                          where ri.order_item_id = i.id and r.status <> 'failed'), 0)::bigint,
                coalesce((select sum(ri.quantity) from refund_items ri join refunds r on r.id = ri.refund_id
                          where ri.order_item_id = i.id and ri.restocked and r.status <> 'failed'), 0)::bigint,
                i.product_size_id is not null
         from order_items i where i.order_id = $1 order by i.id",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let payments: Vec<(String, String, i64, i64, Option<String>, DateTime<Utc>)> = sqlx::query_as(
        "select provider, status, amount_minor, refunded_minor, provider_ref, created_at from payments where order_id = $1 order by created_at",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let refunds: Vec<RefundRow> = sqlx::query_as(
        "select r.id, r.amount_minor, r.status, p.provider, u.email::text, r.created_at, r.reason
         from refunds r join payments p on p.id = r.payment_id left join users u on u.id = r.actor_user_id
         where p.order_id = $1 order by r.created_at",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let refund_lines: Vec<(Uuid, i32, bool, String, String, String)> = sqlx::query_as(
        "select ri.refund_id, ri.quantity, ri.restocked, i.product_name, i.colour_name, i.size_label
         from refund_items ri join order_items i on i.id = ri.order_item_id where i.order_id = $1 order by i.id",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let history: Vec<(Option<String>, String, DateTime<Utc>, String, Option<String>, String)> = sqlx::query_as(
        "select h.from_status, h.to_status, h.created_at, h.actor_kind, u.email::text, h.note
         from order_status_history h left join users u on u.id = h.actor_user_id
         where h.order_id = $1 order by h.created_at, h.id",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let notes: Vec<(DateTime<Utc>, Option<String>, String)> = sqlx::query_as(
        "select n.created_at, u.email::text, n.body from order_notes n left join users u on u.id = n.author_user_id
         where n.order_id = $1 order by n.created_at, n.id",
    )
    .bind(id)
    .fetch_all(db)
    .await?;

    let took_money = PaymentStatus::TOOK_MONEY;
    let payments: Vec<PaymentView> = payments
        .into_iter()
        .filter_map(|(provider, status, amount_minor, refunded_minor, reference, at)| {
            Some(PaymentView { method: PaymentMethod::parse(&provider)?, status: PaymentStatus::parse(&status)?, amount_minor, refunded_minor, reference, at })
        })
        .collect();
    let refunds: Vec<RefundView> = refunds
        .into_iter()
        .filter_map(|(refund_id, amount_minor, status, provider, by, at, reason)| {
            let lines = refund_lines
                .iter()
                .filter(|l| l.0 == refund_id)
                .map(|(_, qty, restocked, name, colour, size)| {
                    format!("{qty} × {name}, {colour} / {size}{}", if *restocked { " (back in stock)" } else { "" })
                })
                .collect();
            Some(RefundView {
                amount_minor,
                status: RefundStatus::parse(&status)?,
                offline: provider != PaymentMethod::Stripe.as_str(),
                reason,
                by: by.unwrap_or_else(|| "The store".into()),
                at,
                lines,
            })
        })
        .collect();
    let taken: i64 = payments.iter().filter(|p| took_money.contains(&p.status)).map(|p| p.amount_minor).sum();
    let given_back: i64 = refunds.iter().filter(|r| r.status != RefundStatus::Failed).map(|r| r.amount_minor).sum();
    let moves = StaffMove::offered(order.status, order.payment_method, order.payment_status);
    Ok(StaffOrder {
        id,
        customer_id,
        customer_name,
        phone,
        lines: lines
            .into_iter()
            .map(|(id, product_name, colour_name, size_label, sku, unit_price_minor, quantity, line_total_minor, refunded, restocked, in_catalogue)| StaffLine {
                id,
                product_name,
                colour_name,
                size_label,
                sku,
                unit_price_minor,
                quantity,
                line_total_minor,
                refunded_quantity: refunded as i32,
                restocked_quantity: restocked as i32,
                in_catalogue,
            })
            .collect(),
        payments,
        refunds,
        history: history
            .into_iter()
            .filter_map(|(from, to, at, kind, email, note)| {
                Some(HistoryEntry { from: from.as_deref().and_then(OrderStatus::parse), to: OrderStatus::parse(&to)?, at, actor: actor_label(&kind, email), note })
            })
            .collect(),
        notes: notes.into_iter().map(|(at, author, body)| OrderNote { at, author: author.unwrap_or_else(|| "Staff".into()), body }).collect(),
        moves,
        refundable_minor: (taken - given_back).max(0),
        can_restock: restock_allowed(order.status),
        order,
    })
}

/// Refunded units may go back on sale only while the order's units are out of stock: not
/// before payment (still held) and not after a cancellation (already returned).
pub fn restock_allowed(status: OrderStatus) -> bool {
    matches!(status, OrderStatus::Paid | OrderStatus::Processing | OrderStatus::Shipped | OrderStatus::Delivered | OrderStatus::Refunded)
}

/// Carrier and tracking number of a shipment, checked.
pub fn shipment(carrier: &str, tracking: &str) -> Result<(String, String), AppError> {
    let mut errors = FieldErrors::new();
    let carrier = errors.text("carrier", carrier, 60, Some("Enter the carrier, e.g. DHL."));
    let tracking = errors.text("tracking_number", tracking, 80, Some("Enter the tracking number the carrier gave you."));
    errors.into_result()?;
    Ok((carrier, tracking))
}

/// Staff take `step` on an order (anything but cancelling, which closes payment pages and
/// lives in `payments::server::cancel`). Only a move `StaffMove::offered` lists for the
/// order as it stands now is made; the state machine checks it again underneath.
#[tracing::instrument(skip(db, staff, shipping))]
pub async fn take_step(
    db: &PgPool,
    staff: &audit::Actor,
    order_id: Uuid,
    step: StaffMove,
    shipping: Option<(String, String)>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    let (status, method, payment) = locked_state(&mut tx, order_id).await?;
    if step == StaffMove::Cancel || !StaffMove::offered(status, method, payment).contains(&step) {
        return Err(AppError::Conflict(format!(
            "This order is {} and cannot take that step now. Reload the page to see where it stands.",
            status.label().to_lowercase()
        )));
    }
    let mut after = json!({ "status": step.target().unwrap_or(status).as_str() });
    if step == StaffMove::Ship {
        let (carrier, tracking) = shipping.ok_or_else(|| AppError::field("carrier", "Enter the carrier, e.g. DHL."))?;
        sqlx::query("update orders set carrier = $2, tracking_number = $3 where id = $1").bind(order_id).bind(&carrier).bind(&tracking).execute(&mut *tx).await?;
        after = json!({ "status": "shipped", "carrier": carrier, "tracking_number": tracking });
    }
    match step.target() {
        Some(to) => {
            transition(&mut tx, order_id, to, Actor::Staff(staff.user_id), step_note(step, method), now).await?;
        }
        None => {
            sqlx::query("update payments set status = 'succeeded' where order_id = $1 and provider = 'cash_on_delivery' and status = 'pending'")
                .bind(order_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("update orders set paid_at = $2 where id = $1").bind(order_id).bind(now).execute(&mut *tx).await?;
            after = json!({ "status": status.as_str(), "payment": "succeeded" });
        }
    }
    let before = json!({ "status": status.as_str(), "payment": payment.as_str() });
    let change = Change { action: step.as_str(), entity_kind: "order", entity_id: order_id.to_string(), before: Some(before), after: Some(after) };
    audit::record(&mut tx, staff, change, now).await?;
    tx.commit().await?;
    Ok(())
}

/// What the status history says about a staff step (the customer sees it on their order).
fn step_note(step: StaffMove, method: PaymentMethod) -> &'static str {
    match (step, method) {
        (StaffMove::MarkPaid, PaymentMethod::BankTransfer) => "Bank transfer received",
        (StaffMove::MarkPaid, _) => "Payment received",
        (StaffMove::Confirm, _) => "Order confirmed; you pay on delivery",
        (StaffMove::Process, _) => "Being packed",
        (StaffMove::Ship, _) => "Handed to the carrier",
        (StaffMove::Deliver, _) => "Delivered",
        (StaffMove::Cancel | StaffMove::CashCollected, _) => "",
    }
}

/// The order's status, payment method and latest payment's status, with the order row
/// locked for the rest of the transaction.
pub async fn locked_state(conn: &mut PgConnection, order_id: Uuid) -> Result<(OrderStatus, PaymentMethod, PaymentStatus), AppError> {
    let row: Option<(String, String, Option<String>)> = sqlx::query_as(
        "select o.status, o.payment_method,
                (select p.status from payments p where p.order_id = o.id order by p.created_at desc limit 1)
         from orders o where o.id = $1 for update of o",
    )
    .bind(order_id)
    .fetch_optional(&mut *conn)
    .await?;
    let (status, method, payment) = row.ok_or_else(|| AppError::NotFound("That order".into()))?;
    let status = OrderStatus::parse(&status).ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown status {status}")))?;
    let method = PaymentMethod::parse(&method).ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown payment method {method}")))?;
    Ok((status, method, payment.as_deref().and_then(PaymentStatus::parse).unwrap_or(PaymentStatus::Pending)))
}

/// Keeps a staff-only note on the order.
pub async fn add_note(db: &PgPool, staff: &audit::Actor, order_id: Uuid, body: &str, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut errors = FieldErrors::new();
    let body = errors.text("note", body, 2000, Some("Write the note first."));
    errors.into_result()?;
    let mut tx = db.begin().await?;
    locked_state(&mut tx, order_id).await?;
    sqlx::query("insert into order_notes (order_id, author_user_id, body, created_at) values ($1, $2, $3, $4)")
        .bind(order_id)
        .bind(staff.user_id)
        .bind(&body)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let change = Change { action: "note", entity_kind: "order", entity_id: order_id.to_string(), before: None, after: Some(json!({ "note": body })) };
    audit::record(&mut tx, staff, change, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The orders with these numbers, in the order asked, for packing slips.
pub async fn for_slips(db: &PgPool, numbers: &[i64]) -> Result<Vec<StaffOrder>, AppError> {
    let mut orders = Vec::with_capacity(numbers.len());
    for number in numbers.iter().take(100) {
        orders.push(staff_detail(db, *number).await?);
    }
    Ok(orders)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_placed_filter_counts_whole_days() {
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 15, 30, 0).unwrap();
        assert_eq!(placed_since(Some("today"), now), Some(Utc.with_ymd_and_hms(2026, 12, 4, 0, 0, 0).unwrap()));
        assert_eq!(placed_since(Some("7d"), now), Some(Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap()));
        assert_eq!(placed_since(Some("forever"), now), None);
        assert_eq!(placed_since(None, now), None);
    }

    #[test]
    fn a_shipment_needs_both_carrier_and_tracking() {
        assert_eq!(shipment(" DHL ", "JD0123").unwrap(), ("DHL".into(), "JD0123".into()));
        let err = shipment("", &"9".repeat(81)).unwrap_err();
        assert!(err.field_error("carrier").is_some() && err.field_error("tracking_number").is_some());
    }
}
