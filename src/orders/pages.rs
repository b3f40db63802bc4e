//! The customer's orders: the list under the account, and one order with its items,
//! totals, address, payment and a tracking timeline.

use super::{
    api::{get_order, list_orders, CancelOrder},
    types::{display_number, OrderDetail, OrderStatus},
};
use crate::{
    error::AppError,
    money::Money,
    ui::{ErrorNotice, FormError, PageTitle, StatusPage, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Meta;
use leptos_router::hooks::{use_params_map, use_query_map};

/// A page that needs a signed-in customer sends a visitor to sign in first.
fn sign_in_first(next: &str) -> AnyView {
    #[cfg(feature = "ssr")]
    leptos_axum::redirect(&format!("/sign-in?next={next}"));
    view! { <p class="mt-6">"Please "<a href=format!("/sign-in?next={next}") class=LINK>"sign in"</a>" to see your orders."</p> }.into_any()
}

pub fn status_badge(status: OrderStatus) -> impl IntoView {
    let colour = match status {
        OrderStatus::Pending => "bg-amber-100 text-amber-900",
        OrderStatus::Paid | OrderStatus::Processing => "bg-sky-100 text-sky-900",
        OrderStatus::Shipped | OrderStatus::Delivered => "bg-emerald-100 text-emerald-900",
        OrderStatus::Cancelled | OrderStatus::Refunded => "bg-stone-200 text-stone-800",
    };
    view! { <span class=format!("inline-flex rounded-full px-2.5 py-0.5 text-xs font-semibold {colour}") data-testid="order-status">{status.label()}</span> }
}

#[component]
pub fn OrdersPage() -> impl IntoView {
    let orders = Resource::new(|| (), |_| list_orders());
    view! {
        <PageTitle text="Your orders — Larkspur"/>
        <Meta name="robots" content="noindex"/>
        <section class="mx-auto max-w-4xl px-4 py-10 sm:px-6">
            <h1 class="text-3xl font-semibold tracking-tight text-stone-900">"Your orders"</h1>
            <Suspense fallback=|| view! { <p class="mt-6 text-stone-500">"Loading…"</p> }>
                {move || orders.get().map(|result| match result {
                    Ok(list) if list.is_empty() => view! {
                        <p class="mt-6 text-stone-600">"You haven't ordered anything yet. "<a href="/" class=LINK>"Start shopping"</a></p>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="mt-6 divide-y divide-stone-200 rounded-2xl border border-stone-200">
                            {list.into_iter().map(|o| view! {
                                <li>
                                    <a href=format!("/account/orders/{}", o.number) class="flex flex-wrap items-center justify-between gap-3 p-4 hover:bg-stone-50 focus-visible:outline-2 focus-visible:outline-emerald-700">
                                        <span>
                                            <span class="font-semibold">{format!("Order {}", display_number(o.number))}</span>
                                            <span class="block text-sm text-stone-600">
                                                {format!("{} · {} item{}", o.placed_at.format("%e %B %Y"), o.item_count, if o.item_count == 1 { "" } else { "s" })}
                                            </span>
                                        </span>
                                        <span class="flex items-center gap-3">{status_badge(o.status)}<span class="font-semibold">{Money::new(o.total_minor, o.currency).to_string()}</span></span>
                                    </a>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(AppError::Unauthorized) => sign_in_first("/account/orders"),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let number = move || params.with(|p| p.get("number").and_then(|n| n.parse::<i64>().ok()));
    let order = Resource::new(number, |n| async move {
        match n {
            Some(n) => get_order(n).await,
            None => Err(AppError::NotFound("That order".into())),
        }
    });
    let payment_note = move || query.with(|q| q.get("payment"));
    // A refused "Pay now" or "Cancel order" posted without JavaScript comes back here.
    let outcome = crate::forms::form_outcome();
    let refusal = move || {
        let flash = outcome.get().flatten();
        ["pay-order", "cancel-order"].into_iter().find_map(|form| crate::forms::FormFlash::of(&flash, form)).and_then(|f| f.error)
    };
    view! {
        <Meta name="robots" content="noindex"/>
        <section class="mx-auto max-w-4xl px-4 py-10 sm:px-6">
            <Suspense fallback=|| view! { <p class="text-stone-500">"Loading…"</p> }>
                {move || order.get().map(|result| match result {
                    Ok(order) => view! {
                        {refusal().map(|error| view! { <div class="mb-4"><FormError error=Some(error)/></div> })}
                        <OrderView order payment_note=payment_note()/>
                    }.into_any(),
                    Err(AppError::Unauthorized) => sign_in_first(&format!("/account/orders/{}", number().unwrap_or_default())),
                    Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn OrderView(order: OrderDetail, payment_note: Option<String>) -> impl IntoView {
    let money = {
        let currency = order.currency.clone();
        move |minor: i64| Money::new(minor, currency.clone()).to_string()
    };
    let number = display_number(order.number);
    let banner = match (payment_note.as_deref(), order.status) {
        (Some("success"), OrderStatus::Pending) => {
            Some("Thank you! We're waiting for the payment provider to confirm your payment, which usually takes a few seconds. This page shows it when it arrives; without JavaScript, reload it in a moment.")
        }
        (Some("unavailable"), OrderStatus::Pending) => Some("Your order is placed, but the card payment page could not open just now. Please try \"Pay now\" in a moment."),
        (Some("cancelled"), OrderStatus::Pending) => Some("Payment was not completed. Your order is saved: you can pay for it below."),
        (Some("placed"), _) if order.email_confirmed => Some("Thank you — your order is placed. A confirmation is on its way to your email."),
        (Some("placed"), _) => Some("Thank you — your order is placed."),
        _ => None,
    };
    let timeline = order.history.clone();
    view! {
        <PageTitle text=format!("Order {number} — Larkspur")/>
        <a href="/account/orders" class="text-sm text-stone-600 hover:underline">"← All orders"</a>
        <div class="mt-3 flex flex-wrap items-center justify-between gap-3">
            <h1 class="text-3xl font-semibold tracking-tight text-stone-900">{format!("Order {number}")}</h1>
            {status_badge(order.status)}
        </div>
        <p class="mt-1 text-sm text-stone-600">{format!("Placed {}", order.placed_at.format("%e %B %Y at %H:%M UTC"))}</p>
        {banner.map(|b| view! { <p role="status" class="mt-4 rounded-lg border border-emerald-200 bg-emerald-50 p-3 text-sm text-emerald-900">{b}</p> })}
        {(payment_note.as_deref() == Some("success") && order.status == OrderStatus::Pending).then(|| view! { <AwaitPayment number=order.number/> })}
        <div class="mt-8 grid gap-8 md:grid-cols-[1fr_16rem]">
            <div>
                <h2 class="text-lg font-semibold">"Items"</h2>
                <ul class="mt-3 divide-y divide-stone-200 border-y border-stone-200">
                    {order.lines.iter().map(|l| view! {
                        <li class="flex justify-between gap-4 py-3 text-sm">
                            <span>
                                {match &l.product_slug {
                                    Some(slug) => view! { <a href=format!("/p/{slug}") class="font-medium hover:underline">{l.product_name.clone()}</a> }.into_any(),
                                    None => view! { <span class="font-medium">{l.product_name.clone()}</span> }.into_any(),
                                }}
                                <span class="block text-stone-600">{format!("{} · {} · {} × {}", l.colour_name, l.size_label, l.quantity, money(l.unit_price_minor))}</span>
                            </span>
                            <span class="font-medium">{money(l.line_total_minor)}</span>
                        </li>
                    }).collect_view()}
                </ul>
                <dl class="mt-4 space-y-1 text-sm">
                    <div class="flex justify-between"><dt>"Subtotal"</dt><dd>{money(order.subtotal_minor)}</dd></div>
                    {(order.discount_minor > 0).then(|| view! { <div class="flex justify-between text-emerald-800"><dt>"Discount"</dt><dd>{format!("-{}", money(order.discount_minor))}</dd></div> })}
                    <div class="flex justify-between"><dt>{order.delivery_method.label()}</dt><dd>{if order.delivery_minor == 0 { "Free".to_string() } else { money(order.delivery_minor) }}</dd></div>
                    <div class="flex justify-between border-t border-stone-200 pt-2 text-base font-semibold"><dt>"Total"</dt><dd data-testid="order-total">{money(order.total_minor)}</dd></div>
                </dl>
                <h2 class="mt-8 text-lg font-semibold">"Tracking"</h2>
                <ol class="mt-3 space-y-3 border-l-2 border-emerald-700 pl-4" aria-label="Order history">
                    {timeline.into_iter().map(|c| view! {
                        <li>
                            <p class="text-sm font-semibold">{c.status.label()}</p>
                            <p class="text-xs text-stone-600">{c.at.format("%e %b %Y, %H:%M UTC").to_string()}{(!c.note.is_empty()).then(|| format!(" — {}", c.note))}</p>
                        </li>
                    }).collect_view()}
                </ol>
                {order.tracking_number.clone().map(|t| view! {
                    <p class="mt-3 text-sm" data-testid="tracking">
                        {order.carrier.clone().map(|c| format!("Shipped with {c}. "))}"Tracking number: "<strong>{t}</strong>
                    </p>
                })}
                {(!order.email_confirmed).then(|| view! {
                    <p class="mt-6 rounded-lg border border-stone-200 bg-stone-50 p-3 text-sm text-stone-700" data-testid="confirm-email">
                        {format!("We email updates about this order only to an address you have confirmed. Confirm {} ", order.email)}
                        <a href="/account" class=LINK>"in your account"</a>
                        " to receive them."
                    </p>
                })}
            </div>
            <aside class="space-y-6 text-sm">
                <div>
                    <h2 class="text-base font-semibold">"Delivery address"</h2>
                    <address class="mt-2 not-italic text-stone-700">{order.address.lines().into_iter().map(|l| view! { <span class="block">{l}</span> }).collect_view()}</address>
                </div>
                <div>
                    <h2 class="text-base font-semibold">"Payment"</h2>
                    <p class="mt-2 text-stone-700">{order.payment_method.label()}</p>
                    <p class="text-stone-600" data-testid="payment-status">{order.payment_status.label()}</p>
                    {order.transfer_instructions().map(|how| view! {
                        <p class="mt-2 rounded-lg border border-amber-200 bg-amber-50 p-3 text-amber-950" data-testid="transfer-instructions">{how}</p>
                    })}
                    {order.can_pay.then(|| view! {
                        <form method="post" action=crate::payments::api::PayOrder::url() class="mt-3">
                            <input type="hidden" name="number" value=order.number.to_string()/>
                            <button type="submit" class=BUTTON_PRIMARY>"Pay now"</button>
                        </form>
                    })}
                </div>
                {order.can_cancel.then(|| view! {
                    <form method="post" action=CancelOrder::url()>
                        <input type="hidden" name="number" value=order.number.to_string()/>
                        <button type="submit" class=BUTTON_SECONDARY>"Cancel order"</button>
                    </form>
                })}
            </aside>
        </div>
    }
}

/// Back from the payment page before the provider's confirmation: asks every few seconds,
/// for two minutes, whether the order is still waiting, and shows it afresh once it is not.
#[island]
fn AwaitPayment(number: i64) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(move || {
        use std::{cell::Cell, rc::Rc, time::Duration};
        let handle = Rc::new(Cell::new(None::<IntervalHandle>));
        let tries = Cell::new(0u32);
        let on_tick = {
            let handle = handle.clone();
            move || {
                tries.set(tries.get() + 1);
                if tries.get() > 40 {
                    if let Some(h) = handle.take() {
                        h.clear();
                    }
                    return;
                }
                leptos::task::spawn_local(async move {
                    if get_order(number).await.is_ok_and(|o| o.status != OrderStatus::Pending) {
                        let _ = window().location().reload();
                    }
                });
            }
        };
        handle.set(set_interval_with_handle(on_tick, Duration::from_secs(3)).ok());
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = number;
}
