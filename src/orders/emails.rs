//! The shopper's order emails (HTML and text) in the store's look. Sent by the job queue,
//! never inside a request.

use super::{server::OrderEmail, types::{display_number, OrderDetail}};
use crate::{
    money::Money,
    notifications::{server as notifications, Topic},
    server::{
        mail::{layout, Email},
        state::AppState,
    },
    text::{escape_html, url_encode},
};
use uuid::Uuid;

pub async fn send(state: &AppState, order_id: Uuid, event: OrderEmail) -> anyhow::Result<()> {
    let order = super::server::detail(&state.db, order_id).await.map_err(|e| anyhow::anyhow!("loading order {order_id}: {e}"))?;
    if !order.email_confirmed {
        // Checkout takes any email; mail goes only to one the customer has proven (the
        // order page asks them to confirm it), or the store becomes a relay for strangers.
        tracing::info!(order = order.number, ?event, "order email not sent: the address is not confirmed");
        return Ok(());
    }
    let order = super::server::with_bank_details(order, state.config.bank_transfer_details.as_deref());
    let email = compose(&order, event, &state.config.site_url);
    // Shipping news is not a receipt: the customer may turn it off, so it carries the
    // one-click unsubscribe (an order without an account has no preferences to change).
    let customer: Option<Uuid> = sqlx::query_scalar("select user_id from orders where id = $1").bind(order_id).fetch_one(&state.db).await?;
    match customer {
        Some(user) if matches!(event, OrderEmail::Shipped | OrderEmail::Delivered) => {
            let token = notifications::unsubscribe_token(state.config.auth_secret.expose(), user, Topic::Shipping);
            let url = format!("{}{}?token={}", state.config.site_url, notifications::ONE_CLICK_PATH, url_encode(&token));
            state.mailer.send_list(email, &url).await
        }
        _ => state.mailer.send(email).await,
    }
}

/// The message for one event of one order.
pub fn compose(order: &OrderDetail, event: OrderEmail, site_url: &str) -> Email {
    let number = display_number(order.number);
    let money = |minor: i64| Money::new(minor, order.currency.clone()).to_string();
    let (subject, heading, intro) = match event {
        OrderEmail::Placed => (
            format!("We've received your order {number}"),
            "Thank you for your order".to_string(),
            if let Some(how) = order.transfer_instructions() {
                format!("We have your order {number}. {how}")
            } else if order.payment_method.is_offline() {
                format!("We have your order {number}. You chose {}; we'll be in touch when it ships.", order.payment_method.label().to_lowercase())
            } else {
                format!("We have your order {number}. We'll confirm as soon as your payment arrives.")
            },
        ),
        OrderEmail::Paid => (format!("Payment received for {number}"), "Payment received".into(), format!("Your payment of {} for order {number} has arrived. We're getting it ready.", money(order.total_minor))),
        OrderEmail::Shipped => (
            format!("Your order {number} is on its way"),
            "Your order has shipped".into(),
            match (&order.tracking_number, &order.carrier) {
                (Some(t), Some(c)) => format!("Order {number} has left our warehouse with {c}. Tracking number: {t}."),
                (Some(t), None) => format!("Order {number} has left our warehouse. Tracking number: {t}."),
                (None, _) => format!("Order {number} has left our warehouse."),
            },
        ),
        OrderEmail::Delivered => (format!("Order {number} was delivered"), "Delivered".into(), format!("Order {number} has been delivered. We hope you love it.")),
        OrderEmail::Cancelled => (format!("Order {number} was cancelled"), "Order cancelled".into(), format!("Order {number} was cancelled. If you paid, the money is refunded to you.")),
        OrderEmail::Refunded => (format!("Refund for order {number}"), "Refund issued".into(), format!("We've refunded order {number}. It can take 5–10 days to show on your statement.")),
    };
    let link = format!("{site_url}/account/orders/{}", order.number);
    let lines_text: Vec<String> = order
        .lines
        .iter()
        .map(|l| format!("{} × {} ({}, {}) — {}", l.quantity, l.product_name, l.colour_name, l.size_label, money(l.line_total_minor)))
        .collect();
    let mut totals = vec![("Subtotal", money(order.subtotal_minor))];
    if order.discount_minor > 0 {
        totals.push(("Discount", format!("-{}", money(order.discount_minor))));
    }
    totals.push(("Delivery", money(order.delivery_minor)));
    totals.push(("Total", money(order.total_minor)));
    let text = format!(
        "{heading}\n\n{intro}\n\n{}\n\n{}\n\nDeliver to:\n{}\n\nSee your order: {link}\n",
        lines_text.join("\n"),
        totals.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("\n"),
        order.address.lines().join("\n"),
    );
    let row = |left: &str, right: &str, bold: bool| {
        let weight = if bold { "font-weight:600;" } else { "" };
        format!(
            r#"<tr><td style="padding:4px 0;{weight}">{}</td><td align="right" style="padding:4px 0;{weight}">{}</td></tr>"#,
            escape_html(left),
            escape_html(right)
        )
    };
    let items: String = order
        .lines
        .iter()
        .map(|l| row(&format!("{} × {} ({}, {})", l.quantity, l.product_name, l.colour_name, l.size_label), &money(l.line_total_minor), false))
        .collect();
    let sums: String = totals.iter().map(|(k, v)| row(k, v, *k == "Total")).collect();
    let address: String = order.address.lines().iter().map(|l| escape_html(l)).collect::<Vec<_>>().join("<br>");
    let body = format!(
        r#"<p style="margin:0 0 16px;line-height:1.5">{}</p>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="font-size:14px;border-top:1px solid #e7e5e4;border-bottom:1px solid #e7e5e4;margin:0 0 12px">{items}</table>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="font-size:14px;margin:0 0 16px">{sums}</table>
<p style="margin:0 0 16px;font-size:14px;line-height:1.5"><strong>Deliver to</strong><br>{address}</p>
<p style="margin:24px 0 0"><a href="{}" style="display:inline-block;background:#065f46;color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:999px;font-weight:600">See your order</a></p>"#,
        escape_html(&intro),
        escape_html(&link),
    );
    Email { to: order.email.clone(), subject, text, html: layout(&heading, &body) }
}
