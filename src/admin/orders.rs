//! Staff pages for orders: the list (status, payment, date and customer filters with the
//! totals of the filter, bulk processing and packing slips), the order page (items, address,
//! payments and refunds, status history, the legal next steps, refunds line by line, internal
//! notes) and printable packing slips. Every server function asks for
//! `Permission::ManageOrders`; the rules live in `orders::manage` and `payments::server`.
#![allow(clippy::too_many_arguments)]

use super::table::{use_list_query, Bulk, Cell, Column, DataTable, FilterSelect, ListQuery, Paged, Row};
use crate::{
    error::AppError,
    forms::{take_form_outcome, FormFlash},
    money::Money,
    orders::{display_number, OrderStatus, OrderTotals, PaymentMethod, StaffMove, StaffOrder, StaffOrderRow},
    ui::{FormError, Notice, PageTitle, StatusPage, textarea_text, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::{use_params_map, use_query_map};
use std::collections::BTreeMap;

#[cfg(feature = "ssr")]
async fn order_staff() -> Result<(crate::server::state::AppState, crate::audit::server::Actor), AppError> {
    super::access::staff(crate::auth::Permission::ManageOrders).await
}

#[server(endpoint = "admin/orders/list")]
pub async fn list_orders(#[server(default)] query: ListQuery) -> Result<(Paged<StaffOrderRow>, OrderTotals), AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = order_staff().await?;
        Ok(crate::orders::manage::list(&state.db, &query, state.clock.now()).await?)
    })
    .await
}

#[server(endpoint = "admin/orders/get")]
pub async fn get_staff_order(number: i64) -> Result<StaffOrder, AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = order_staff().await?;
        crate::orders::manage::staff_detail(&state.db, number).await
    })
    .await
}

/// One step on the order's way (mark paid, confirm, process, ship, deliver, cancel, cash
/// collected). Cancelling asks for a reason and the confirm step's `confirm` field.
#[server(endpoint = "admin/orders/step")]
pub async fn take_order_step(
    number: i64,
    #[server(default)] step: String,
    #[server(default)] carrier: String,
    #[server(default)] tracking_number: String,
    #[server(default)] reason: String,
    #[server(default)] confirm: Option<String>,
) -> Result<(), AppError> {
    use crate::{
        forms::server::{finish, Then},
        orders::{manage, Actor},
    };
    let typed = (carrier.clone(), tracking_number.clone(), reason.clone());
    let form = if step == StaffMove::Cancel.as_str() { "order-cancel" } else { "order-step" };
    let result = crate::server::ctx::respond(async move {
        let (state, staff) = order_staff().await?;
        let step = StaffMove::parse(&step).ok_or_else(|| AppError::Rejected("Choose a step for this order.".into()))?;
        let id = manage::id_of(&state.db, number).await?;
        let now = state.clock.now();
        match step {
            StaffMove::Cancel => {
                let mut errors = crate::error::FieldErrors::new();
                let reason = errors.text("reason", &reason, 300, Some("Say why the order is cancelled; the customer sees it."));
                errors.into_result()?;
                if confirm.as_deref() != Some("cancel") {
                    return Err(AppError::Rejected("Confirm the cancellation to cancel this order.".into()));
                }
                crate::payments::server::cancel(&state, id, Actor::Staff(staff.user_id), &reason, Some(&staff)).await?;
                state.catalog.changed();
            }
            StaffMove::Ship => {
                let shipment = manage::shipment(&carrier, &tracking_number)?;
                manage::take_step(&state.db, &staff, id, step, Some(shipment), now).await?;
            }
            _ => manage::take_step(&state.db, &staff, id, step, None, now).await?,
        }
        Ok(())
    })
    .await;
    let values = [("carrier", typed.0.as_str()), ("tracking_number", typed.1.as_str()), ("reason", typed.2.as_str())];
    finish(form, &values, None, result, |_| Then::Redirect(format!("/admin/orders/{number}?saved=step"))).await
}

/// One line of the refund form as posted: `lines[n][item]`, `[quantity]`, `[restock]`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RefundLineInput {
    pub item: uuid::Uuid,
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub restock: Option<String>,
}

/// Gives money back: the chosen units of each line (priced as paid) or a typed amount,
/// through Stripe for card orders and recorded as given back for cash and transfers.
#[server(endpoint = "admin/orders/refund")]
pub async fn refund_order(
    number: i64,
    #[server(default)] lines: BTreeMap<String, RefundLineInput>,
    #[server(default)] amount: String,
    #[server(default)] reason: String,
    #[server(default)] confirm: Option<String>,
) -> Result<i64, AppError> {
    use crate::{
        forms::server::{finish, Then},
        payments::server::{RefundLine, RefundRequest},
    };
    let mut typed: Vec<(String, String)> = vec![("amount".into(), amount.clone()), ("reason".into(), reason.clone())];
    for (n, line) in lines.values().enumerate() {
        typed.push((format!("quantity-{n}"), line.quantity.clone()));
        typed.push((format!("restock-{n}"), if line.restock.is_some() { "on".into() } else { String::new() }));
    }
    let result = crate::server::ctx::respond(async move {
        let (state, staff) = order_staff().await?;
        crate::auth::server::second_factor::require_recent(&state, &crate::server::ctx::session().await?).await?;
        let mut errors = crate::error::FieldErrors::new();
        let mut parsed = Vec::new();
        for (n, line) in lines.values().enumerate() {
            let quantity = match line.quantity.trim() {
                "" => 0,
                raw => raw.parse::<i32>().unwrap_or_else(|_| {
                    errors.add(format!("lines[{n}]"), "Enter a whole number of units.");
                    0
                }),
            };
            parsed.push(RefundLine { item: line.item, quantity, restock: line.restock.is_some() });
        }
        let amount_minor = match amount.trim() {
            "" => None,
            raw => match crate::money::parse_amount(raw) {
                Ok(minor) => Some(minor),
                Err(message) => {
                    errors.add("amount", message);
                    None
                }
            },
        };
        if confirm.as_deref() != Some("refund") {
            errors.add("confirm", "Tick the box to confirm the refund.");
        }
        errors.into_result()?;
        let id = crate::orders::manage::id_of(&state.db, number).await?;
        let request = RefundRequest { amount_minor, lines: parsed, reason };
        let refunded = crate::payments::server::refund(&state, id, &request, &staff).await?;
        if request.lines.iter().any(|l| l.restock && l.quantity > 0) {
            state.catalog.changed();
        }
        Ok(refunded)
    })
    .await;
    let values: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    finish("order-refund", &values, None, result, |_| Then::Redirect(format!("/admin/orders/{number}?saved=refund"))).await
}

/// Keeps a staff-only note on the order.
#[server(endpoint = "admin/orders/note")]
pub async fn add_order_note(number: i64, #[server(default)] note: String) -> Result<(), AppError> {
    use crate::forms::server::{finish, Then};
    let typed = note.clone();
    let result = crate::server::ctx::respond(async move {
        let (state, staff) = order_staff().await?;
        let id = crate::orders::manage::id_of(&state.db, number).await?;
        crate::orders::manage::add_note(&state.db, &staff, id, &note, state.clock.now()).await
    })
    .await;
    finish("order-note", &[("note", typed.as_str())], None, result, |_| Then::Redirect(format!("/admin/orders/{number}?saved=note"))).await
}

/// A bulk action over the orders ticked in the list: start processing the paid ones (and
/// confirm cash-on-delivery ones), or print their packing slips.
#[server(endpoint = "admin/orders/bulk")]
pub async fn bulk_orders(#[server(default)] ids: BTreeMap<String, String>, #[server(default)] action: String) -> Result<String, AppError> {
    use crate::forms::server::{finish, Then};
    // Read as text so any post reaches the access check; a value that is not a number is no
    // order and is left out (an empty selection is refused below).
    let numbers: Vec<i64> = ids.into_values().filter_map(|n| n.trim().trim_start_matches('#').parse().ok()).collect();
    let slips = format!("/admin/packing-slips?numbers={}", numbers.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
    let result = crate::server::ctx::respond(async move {
        let (state, staff) = order_staff().await?;
        if numbers.is_empty() {
            return Err(AppError::Rejected("Tick the orders first.".into()));
        }
        match action.as_str() {
            "slips" => Ok("slips".to_owned()),
            "process" => {
                let (mut moved, mut skipped) = (0, 0);
                for number in numbers.iter().take(200) {
                    let id = crate::orders::manage::id_of(&state.db, *number).await?;
                    let mut outcome = Err(AppError::Conflict(String::new()));
                    for step in [StaffMove::Process, StaffMove::Confirm] {
                        outcome = crate::orders::manage::take_step(&state.db, &staff, id, step, None, state.clock.now()).await;
                        if outcome.is_ok() {
                            break;
                        }
                    }
                    match outcome {
                        Ok(()) => moved += 1,
                        Err(AppError::Conflict(_)) => skipped += 1,
                        Err(e) => return Err(e),
                    }
                }
                Ok(match skipped {
                    0 => format!("{moved} orders are being processed."),
                    _ => format!("{moved} orders are being processed; {skipped} were skipped (not paid yet, or already further on)."),
                })
            }
            _ => Err(AppError::Rejected("Choose an action.".into())),
        }
    })
    .await;
    finish("order-bulk", &[], None, result, |message| match message.as_str() {
        "slips" => Then::Redirect(slips),
        _ => Then::Stay { step: None, notice: Some(message.clone()) },
    })
    .await
}

#[server(endpoint = "admin/orders/slips")]
pub async fn get_packing_slips(#[server(default)] numbers: String) -> Result<Vec<StaffOrder>, AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = order_staff().await?;
        let numbers: Vec<i64> = numbers.split(',').filter_map(|n| n.trim().trim_start_matches('#').parse().ok()).collect();
        crate::orders::manage::for_slips(&state.db, &numbers).await
    })
    .await
}

/// `GET /admin/orders.csv?<the list's filters>`: every matching order, newest first. A plain
/// axum handler (a file answer), checked like the server functions.
#[cfg(feature = "ssr")]
pub async fn export_orders(
    axum::extract::State(state): axum::extract::State<crate::server::state::AppState>,
    session: tower_sessions::Session,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<axum::response::Response, AppError> {
    use axum::{http::header, response::IntoResponse};
    super::access::staff_of(&state, &crate::server::session::AppSession::new(session), crate::auth::Permission::ManageOrders).await?;
    let query = ListQuery::from_raw(raw.as_deref());
    let rows = crate::orders::manage::export(&state.db, &query, state.clock.now()).await?;
    let body = crate::catalog::csv::write(
        &["number", "placed_at", "status", "payment_method", "payment_status", "customer", "email", "items", "currency", "total"],
        rows.into_iter().map(|o| {
            vec![
                o.number.to_string(),
                o.placed_at.to_rfc3339(),
                o.status.as_str().to_owned(),
                o.payment_method.as_str().to_owned(),
                o.payment_status.as_str().to_owned(),
                o.customer,
                o.email,
                o.items.to_string(),
                o.currency,
                crate::money::amount_input(o.total_minor),
            ]
        }),
    )?;
    let headers = [(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"orders.csv\"")];
    Ok((headers, body).into_response())
}

fn money(minor: i64, currency: &str) -> String {
    Money::new(minor, currency).to_string()
}

fn status_badge(status: OrderStatus) -> Cell {
    let good = matches!(status, OrderStatus::Paid | OrderStatus::Processing | OrderStatus::Shipped | OrderStatus::Delivered);
    Cell::Badge { text: status.label().to_owned(), good }
}

fn method_label(method: PaymentMethod) -> &'static str {
    match method {
        PaymentMethod::Stripe => "Card",
        PaymentMethod::CashOnDelivery => "Cash on delivery",
        PaymentMethod::BankTransfer => "Bank transfer",
    }
}

fn order_row(o: StaffOrderRow) -> Row {
    Row {
        id: o.number.to_string(),
        cells: vec![
            Cell::Link { href: format!("/admin/orders/{}", o.number), text: display_number(o.number) },
            Cell::Muted(o.placed_at.format("%e %b %Y, %H:%M").to_string()),
            Cell::Text(o.customer),
            status_badge(o.status),
            Cell::Text(format!("{} · {}", method_label(o.payment_method), o.payment_status.label())),
            Cell::Text(o.items.to_string()),
            Cell::Text(money(o.total_minor, &o.currency)),
        ],
    }
}

fn options(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(v, l)| ((*v).to_owned(), (*l).to_owned())).collect()
}

#[component]
pub fn AdminOrdersPage() -> impl IntoView {
    let list_query = use_list_query(&["status", "payment", "placed", "customer"]);
    let data = Resource::new(move || list_query.get(), |q| async move { (list_orders(q).await, take_form_outcome().await.ok().flatten()) });
    view! {
        <PageTitle text="Orders — Larkspur staff"/>
        <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
            {move || data.get().map(|(result, flash)| match result {
                Ok((page, totals)) => {
                    let bulk_flash = FormFlash::of(&flash, "order-bulk");
                    let error = Signal::derive({ let e = bulk_flash.as_ref().and_then(|f| f.error.clone()); move || e.clone() });
                    let notice = Signal::derive({ let n = bulk_flash.as_ref().and_then(|f| f.notice.clone()); move || n.clone() });
                    let q = list_query.get();
                    let mut statuses = vec![(String::new(), "Any status".to_owned())];
                    statuses.extend(OrderStatus::ALL.iter().map(|s| (s.as_str().to_owned(), s.label().to_owned())));
                    let mut methods = vec![(String::new(), "Any payment".to_owned())];
                    methods.extend(PaymentMethod::ALL.iter().map(|m| (m.as_str().to_owned(), method_label(*m).to_owned())));
                    let filters = vec![
                        FilterSelect { key: "status", label: "Status", options: statuses },
                        FilterSelect { key: "payment", label: "Payment", options: methods },
                        FilterSelect {
                            key: "placed",
                            label: "Placed",
                            options: options(&[("", "Any time"), ("today", "Today"), ("7d", "Last 7 days"), ("30d", "Last 30 days"), ("365d", "Last 12 months")]),
                        },
                    ];
                    let columns = vec![
                        Column::new("number", "Order").sortable(),
                        Column::new("placed", "Placed").sortable(),
                        Column::new("customer", "Customer"),
                        Column::new("status", "Status").sortable(),
                        Column::new("payment", "Payment"),
                        Column::new("items", "Items").numeric(),
                        Column::new("total", "Total").sortable().numeric(),
                    ];
                    let bulk = Bulk {
                        action_url: BulkOrders::url().to_owned(),
                        actions: options(&[("process", "Start processing"), ("slips", "Print packing slips")]),
                        extra: None,
                    };
                    let customer = q.filter("customer").map(str::to_owned);
                    let clear_customer = q.href("/admin/orders", |q| { q.filters.remove("customer"); q.page = 1; });
                    view! {
                        <h1 class="text-2xl font-semibold text-stone-900">"Orders"</h1>
                        <dl class="mt-4 grid gap-3 sm:grid-cols-3" data-testid="order-totals">
                            <div class="rounded-xl border border-stone-200 bg-white p-4"><dt class="text-sm text-stone-500">"Orders"</dt><dd class="text-2xl font-semibold">{totals.orders}</dd></div>
                            <div class="rounded-xl border border-stone-200 bg-white p-4"><dt class="text-sm text-stone-500">"Sales"</dt><dd class="text-2xl font-semibold">{money(totals.total_minor, &totals.currency)}</dd></div>
                            <div class="rounded-xl border border-stone-200 bg-white p-4"><dt class="text-sm text-stone-500">"Refunded"</dt><dd class="text-2xl font-semibold">{money(totals.refunded_minor, &totals.currency)}</dd></div>
                        </dl>
                        {customer.map(|_| view! {
                            <p class="mt-4 text-sm text-stone-700">"Showing one customer's orders. "<a href=clear_customer class=LINK>"Show everyone's"</a></p>
                        })}
                        <div class="mt-4 space-y-2"><FormError error/><Notice message=notice/></div>
                        <DataTable path="/admin/orders" query=q.clone() columns rows=page.rows.into_iter().map(order_row).collect() total=page.total
                            search_label="Order number, email or phone" filters bulk export=format!("/admin/orders.csv?{}", q.to_query())
                            empty="No orders match. Clear the search or filters."/>
                    }.into_any()
                }
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
pub fn AdminOrderPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let number = move || params.with(|p| p.get("number")).and_then(|n| n.trim_start_matches('#').parse::<i64>().ok());
    let data = Resource::new(number, |number| async move {
        let order = match number {
            Some(n) => get_staff_order(n).await,
            None => Err(AppError::NotFound("That order".into())),
        };
        (order, take_form_outcome().await.ok().flatten())
    });
    let saved = move || query.with(|q| q.get("saved"));
    let confirming = move || query.with(|q| q.get("confirm")).as_deref() == Some("cancel");
    view! {
        <Suspense fallback=|| view! { <p class="text-stone-500">"Loading…"</p> }>
            {move || data.get().map(|(result, flash)| match result {
                Ok(order) => view! { <OrderView order flash saved=saved() confirming=confirming()/> }.into_any(),
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

const PANEL: &str = "rounded-xl border border-stone-200 bg-white p-6";
const INPUT: &str = "block w-full rounded-lg border border-stone-300 bg-white px-3 py-2 text-sm focus-visible:outline-2 focus-visible:outline-emerald-700 aria-[invalid=true]:border-red-600";

/// A flashed form's error as a signal, and one field's message.
fn flash_error(flash: &Option<FormFlash>, form: &str) -> (Option<FormFlash>, Signal<Option<AppError>>) {
    let mine = FormFlash::of(flash, form);
    let error = mine.as_ref().and_then(|f| f.error.clone());
    (mine, Signal::derive(move || error.clone()))
}

fn field_message(mine: &Option<FormFlash>, field: &str) -> Option<String> {
    mine.as_ref().and_then(|f| f.error.as_ref()).and_then(|e| e.field_error(field))
}

#[component]
fn OrderView(order: StaffOrder, flash: Option<FormFlash>, saved: Option<String>, confirming: bool) -> impl IntoView {
    let o = &order.order;
    let number = o.number;
    let currency = o.currency.clone();
    let title = format!("Order {}", display_number(number));
    let notice = match saved.as_deref() {
        Some("refund") => Some("Refund recorded.".to_owned()),
        Some("note") => Some("Note added.".to_owned()),
        Some(_) => Some("Order updated.".to_owned()),
        None => None,
    };
    let (_, step_error) = flash_error(&flash, "order-step");
    let history_link = format!("/admin/audit?kind=order&entity={}", order.id);
    let customer_link = order.customer_id.map(|id| format!("/admin/customers/{id}"));
    let customer_orders = order.customer_id.map(|id| format!("/admin/orders?customer={id}"));
    let lines_currency = currency.clone();
    view! {
        <PageTitle text=format!("{title} — Larkspur staff")/>
        <nav aria-label="Breadcrumb" class="text-sm text-stone-600 print:hidden">
            <ol class="flex gap-2"><li><a href="/admin/orders" class=LINK>"Orders"</a></li><li aria-hidden="true">"/"</li><li aria-current="page">{title.clone()}</li></ol>
        </nav>
        <div class="mt-2 flex flex-wrap items-center justify-between gap-3">
            <div class="flex flex-wrap items-center gap-3">
                <h1 class="text-2xl font-semibold text-stone-900">{title}</h1>
                <span class="rounded-full bg-stone-200 px-3 py-1 text-sm font-semibold text-stone-900" data-testid="order-status">{o.status.label()}</span>
            </div>
            <div class="flex gap-4 text-sm">
                <a href=format!("/admin/packing-slips?numbers={number}") class=LINK>"Packing slip"</a>
                <a href=history_link class=LINK>"History"</a>
            </div>
        </div>
        <p class="mt-1 text-sm text-stone-600">
            {format!("Placed {} · {} · {}", o.placed_at.format("%e %B %Y, %H:%M UTC"), method_label(o.payment_method), o.payment_status.label())}
        </p>
        <div class="mt-4 space-y-2"><Notice message=Signal::derive(move || notice.clone())/><FormError error=step_error/></div>
        <div class="mt-6 grid gap-6 xl:grid-cols-3">
            <div class="space-y-6 xl:col-span-2">
                <Steps order=order.clone() flash=flash.clone() confirming/>
                <section class=PANEL aria-labelledby="items-heading">
                    <h2 id="items-heading" class="text-lg font-semibold">"Items"</h2>
                    <div class="mt-3 overflow-x-auto">
                        <table class="min-w-full text-sm">
                            <thead class="text-left text-stone-600"><tr>
                                <th scope="col" class="py-2 pr-3">"Product"</th><th scope="col" class="py-2 pr-3">"SKU"</th>
                                <th scope="col" class="py-2 pr-3 text-right">"Price paid"</th><th scope="col" class="py-2 pr-3 text-right">"Qty"</th>
                                <th scope="col" class="py-2 pr-3 text-right">"Total"</th><th scope="col" class="py-2 text-right">"Refunded"</th>
                            </tr></thead>
                            <tbody>
                                {order.lines.iter().map(|l| view! {
                                    <tr class="border-t border-stone-100" data-testid="order-line">
                                        <td class="py-2 pr-3"><span class="font-medium">{l.product_name.clone()}</span><span class="block text-xs text-stone-500">{format!("{} / {}", l.colour_name, l.size_label)}</span></td>
                                        <td class="py-2 pr-3 text-stone-600">{l.sku.clone()}</td>
                                        <td class="py-2 pr-3 text-right tabular-nums">{money(l.unit_price_minor, &lines_currency)}</td>
                                        <td class="py-2 pr-3 text-right tabular-nums">{l.quantity}</td>
                                        <td class="py-2 pr-3 text-right tabular-nums">{money(l.line_total_minor, &lines_currency)}</td>
                                        <td class="py-2 text-right tabular-nums">{if l.refunded_quantity > 0 { format!("{} of {}", l.refunded_quantity, l.quantity) } else { "—".into() }}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    <dl class="mt-4 ml-auto max-w-xs space-y-1 text-sm">
                        <div class="flex justify-between"><dt>"Subtotal"</dt><dd class="tabular-nums">{money(o.subtotal_minor, &currency)}</dd></div>
                        {(o.discount_minor > 0).then(|| view! { <div class="flex justify-between"><dt>"Discount"</dt><dd class="tabular-nums">{format!("-{}", money(o.discount_minor, &currency))}</dd></div> })}
                        <div class="flex justify-between"><dt>{o.delivery_method.label()}</dt><dd class="tabular-nums">{money(o.delivery_minor, &currency)}</dd></div>
                        <div class="flex justify-between border-t border-stone-200 pt-1 font-semibold"><dt>"Total"</dt><dd class="tabular-nums">{money(o.total_minor, &currency)}</dd></div>
                    </dl>
                </section>
                <Payments order=order.clone()/>
                <RefundForm order=order.clone() flash=flash.clone()/>
                <section class=PANEL aria-labelledby="history-heading">
                    <h2 id="history-heading" class="text-lg font-semibold">"Status history"</h2>
                    <ol class="mt-3 space-y-3 border-l-2 border-stone-300 pl-4" data-testid="status-history">
                        {order.history.iter().map(|h| view! {
                            <li>
                                <p class="text-sm font-semibold">{match h.from { Some(from) => format!("{} → {}", from.label(), h.to.label()), None => h.to.label().to_owned() }}</p>
                                <p class="text-xs text-stone-600">{format!("{} · {}", h.at.format("%e %b %Y, %H:%M UTC"), h.actor)}{(!h.note.is_empty()).then(|| format!(" · {}", h.note))}</p>
                            </li>
                        }).collect_view()}
                    </ol>
                </section>
            </div>
            <div class="space-y-6">
                <section class=PANEL aria-labelledby="customer-heading">
                    <h2 id="customer-heading" class="text-lg font-semibold">"Customer"</h2>
                    <p class="mt-2 text-sm font-medium">{if order.customer_name.is_empty() { o.address.recipient_name.clone() } else { order.customer_name.clone() }}</p>
                    <p class="text-sm text-stone-700">{o.email.clone()}</p>
                    <p class="text-sm text-stone-700">{order.phone.clone()}</p>
                    <p class="mt-2 flex flex-wrap gap-3 text-sm">
                        {customer_link.map(|href| view! { <a href=href class=LINK>"Customer page"</a> })}
                        {customer_orders.map(|href| view! { <a href=href class=LINK>"Their orders"</a> })}
                    </p>
                    <h3 class="mt-4 text-sm font-semibold">"Ship to"</h3>
                    <address class="mt-1 text-sm not-italic text-stone-700">{o.address.lines().into_iter().map(|l| view! { <span class="block">{l}</span> }).collect_view()}</address>
                    <p class="mt-2 text-sm text-stone-700">{o.delivery_method.label()}</p>
                    {o.tracking_number.clone().map(|t| view! {
                        <p class="mt-2 text-sm" data-testid="staff-tracking">{format!("{}: ", o.carrier.clone().unwrap_or_else(|| "Tracking".into()))}<strong>{t}</strong></p>
                    })}
                </section>
                <Notes order=order.clone() flash=flash.clone()/>
            </div>
        </div>
    }
}

/// The legal next steps of the order, as forms; cancelling and shipping ask for more.
#[component]
fn Steps(order: StaffOrder, flash: Option<FormFlash>, confirming: bool) -> impl IntoView {
    let number = order.order.number;
    let method = order.order.payment_method;
    let (ship, _) = flash_error(&flash, "order-step");
    let (cancel, cancel_error) = flash_error(&flash, "order-cancel");
    let carrier_error = field_message(&ship, "carrier");
    let tracking_error = field_message(&ship, "tracking_number");
    let reason_error = field_message(&cancel, "reason");
    let typed = |mine: &Option<FormFlash>, field: &str| mine.as_ref().map(|f| f.value(field)).unwrap_or_default();
    let (carrier, tracking, reason) = (typed(&ship, "carrier"), typed(&ship, "tracking_number"), typed(&cancel, "reason"));
    let plain: Vec<StaffMove> = order.moves.iter().copied().filter(|m| !matches!(m, StaffMove::Ship | StaffMove::Cancel)).collect();
    let can_ship = order.moves.contains(&StaffMove::Ship);
    let can_cancel = order.moves.contains(&StaffMove::Cancel);
    let confirming = confirming || cancel.is_some();
    let paid_card = method == PaymentMethod::Stripe && order.refundable_minor > 0;
    view! {
        <section class=PANEL aria-labelledby="steps-heading" data-testid="order-steps">
            <h2 id="steps-heading" class="text-lg font-semibold">"Next step"</h2>
            {order.moves.is_empty().then(|| view! { <p class="mt-2 text-sm text-stone-600">"Nothing is left to do for this order."</p> })}
            <div class="mt-3 flex flex-wrap gap-3">
                {plain.into_iter().map(|step| view! {
                    <form method="post" action=TakeOrderStep::url()>
                        <input type="hidden" name="number" value=number.to_string()/>
                        <input type="hidden" name="step" value=step.as_str()/>
                        <button type="submit" class=BUTTON_PRIMARY>{step.label(method)}</button>
                    </form>
                }).collect_view()}
            </div>
            {can_ship.then(|| view! {
                <form method="post" action=TakeOrderStep::url() class="mt-4 grid gap-3 sm:grid-cols-3 sm:items-end" data-testid="ship-form">
                    <input type="hidden" name="number" value=number.to_string()/>
                    <input type="hidden" name="step" value="ship"/>
                    <div class="space-y-1">
                        <label for="ship-carrier" class="block text-sm font-medium">"Carrier"</label>
                        <input id="ship-carrier" name="carrier" value=carrier list="carriers" class=INPUT aria-invalid=carrier_error.is_some().then_some("true") aria-describedby="ship-carrier-error"/>
                        <datalist id="carriers"><option value="DHL"/><option value="UPS"/><option value="FedEx"/><option value="USPS"/><option value="Royal Mail"/></datalist>
                        {carrier_error.map(|m| view! { <p id="ship-carrier-error" class="text-sm text-red-700">{m}</p> })}
                    </div>
                    <div class="space-y-1">
                        <label for="ship-tracking" class="block text-sm font-medium">"Tracking number"</label>
                        <input id="ship-tracking" name="tracking_number" value=tracking class=INPUT aria-invalid=tracking_error.is_some().then_some("true") aria-describedby="ship-tracking-error"/>
                        {tracking_error.map(|m| view! { <p id="ship-tracking-error" class="text-sm text-red-700">{m}</p> })}
                    </div>
                    <div><button type="submit" class=BUTTON_PRIMARY>"Mark shipped"</button></div>
                    <p class="text-xs text-stone-500 sm:col-span-3">"The customer is emailed the carrier and tracking number, and sees them on their order."</p>
                </form>
            })}
            {can_cancel.then(|| if confirming {
                view! {
                    <form method="post" action=TakeOrderStep::url() class="mt-6 space-y-3 rounded-lg border border-red-200 bg-red-50 p-4" data-testid="confirm-cancel">
                        <h3 class="font-semibold text-red-900">"Cancel this order?"</h3>
                        <p class="text-sm text-red-900">
                            {if paid_card { "Its units go back on sale and the card payment is refunded in full." } else { "Its units go back on sale. Money paid by cash or transfer must be given back and recorded as a refund." }}
                        </p>
                        <FormError error=cancel_error/>
                        <input type="hidden" name="number" value=number.to_string()/>
                        <input type="hidden" name="step" value="cancel"/>
                        <input type="hidden" name="confirm" value="cancel"/>
                        <div class="space-y-1">
                            <label for="cancel-reason" class="block text-sm font-medium">"Reason (the customer sees it)"</label>
                            <textarea id="cancel-reason" name="reason" rows="2" maxlength="300" class=INPUT aria-invalid=reason_error.is_some().then_some("true") aria-describedby="cancel-reason-error">{textarea_text(&reason)}</textarea>
                            {reason_error.map(|m| view! { <p id="cancel-reason-error" class="text-sm text-red-700">{m}</p> })}
                        </div>
                        <div class="flex gap-3">
                            <button type="submit" class="rounded-full bg-red-700 px-5 py-2.5 text-sm font-semibold text-white hover:bg-red-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-700">"Cancel order"</button>
                            <a href=format!("/admin/orders/{number}") class=BUTTON_SECONDARY>"Keep it"</a>
                        </div>
                    </form>
                }.into_any()
            } else {
                view! { <p class="mt-4"><a href=format!("/admin/orders/{number}?confirm=cancel") class="text-sm font-medium text-red-800 underline">"Cancel order…"</a></p> }.into_any()
            })}
        </section>
    }
}

#[component]
fn Payments(order: StaffOrder) -> impl IntoView {
    let currency = order.order.currency.clone();
    let refund_currency = currency.clone();
    view! {
        <section class=PANEL aria-labelledby="payments-heading">
            <h2 id="payments-heading" class="text-lg font-semibold">"Payments and refunds"</h2>
            <ul class="mt-3 divide-y divide-stone-100 text-sm">
                {order.payments.iter().map(|p| view! {
                    <li class="flex flex-wrap justify-between gap-2 py-2">
                        <span>{format!("{} · {}", method_label(p.method), p.status.label())}{p.reference.clone().map(|r| view! { <span class="block text-xs text-stone-500">{r}</span> })}</span>
                        <span class="tabular-nums">{money(p.amount_minor, &currency)}{(p.refunded_minor > 0).then(|| format!(" ({} refunded)", money(p.refunded_minor, &currency)))}</span>
                    </li>
                }).collect_view()}
            </ul>
            {(!order.refunds.is_empty()).then(|| view! {
                <h3 class="mt-4 text-sm font-semibold">"Refunds"</h3>
                <ul class="mt-2 divide-y divide-stone-100 text-sm" data-testid="refunds">
                    {order.refunds.iter().map(|r| {
                        let status = match (r.status, r.offline) {
                            (crate::orders::RefundStatus::Pending, _) => "Pending at Stripe",
                            (crate::orders::RefundStatus::Failed, _) => "Refused by Stripe",
                            (_, true) => "Given back outside the store",
                            (_, false) => "Refunded to the card",
                        };
                        view! {
                            <li class="py-2">
                                <p class="flex justify-between gap-2"><span class="font-medium">{status}</span><span class="tabular-nums">{money(r.amount_minor, &refund_currency)}</span></p>
                                <p class="text-xs text-stone-600">{format!("{} · {}", r.at.format("%e %b %Y, %H:%M UTC"), r.by)}{(!r.reason.is_empty()).then(|| format!(" · {}", r.reason))}</p>
                                {r.lines.iter().map(|l| view! { <p class="text-xs text-stone-600">{l.clone()}</p> }).collect_view()}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
}

/// Refund line by line (units, and whether they go back on sale) or by amount.
#[component]
fn RefundForm(order: StaffOrder, flash: Option<FormFlash>) -> impl IntoView {
    if order.refundable_minor <= 0 {
        return ().into_any();
    }
    let (mine, error) = flash_error(&flash, "order-refund");
    let currency = order.order.currency.clone();
    let number = order.order.number;
    let typed = |field: &str| mine.as_ref().map(|f| f.value(field)).unwrap_or_default();
    let amount_error = field_message(&mine, "amount");
    let confirm_error = field_message(&mine, "confirm");
    let through = if order.order.payment_method == PaymentMethod::Stripe {
        "The money goes back to the card through Stripe."
    } else {
        "Give the money back in cash or by transfer; this records that you did."
    };
    view! {
        <section class=PANEL aria-labelledby="refund-heading">
            <h2 id="refund-heading" class="text-lg font-semibold">"Refund"</h2>
            <p class="mt-1 text-sm text-stone-600">{format!("Up to {} can be refunded. {through}", money(order.refundable_minor, &currency))}</p>
            <form method="post" action=RefundOrder::url() class="mt-4 space-y-4" data-testid="refund-form">
                <input type="hidden" name="number" value=number.to_string()/>
                <FormError error/>
                <table class="min-w-full text-sm">
                    <thead class="text-left text-stone-600"><tr>
                        <th scope="col" class="py-1 pr-3">"Line"</th><th scope="col" class="py-1 pr-3">"Units to refund"</th><th scope="col" class="py-1">"Return to stock"</th>
                    </tr></thead>
                    <tbody>
                        {order.lines.iter().enumerate().map(|(n, l)| {
                            let open = l.quantity - l.refunded_quantity;
                            let label = format!("{}, {} / {}", l.product_name, l.colour_name, l.size_label);
                            let message = field_message(&mine, &format!("lines[{n}]"));
                            let restock_checked = !typed(&format!("restock-{n}")).is_empty();
                            view! {
                                <tr class="border-t border-stone-100">
                                    <td class="py-2 pr-3">{label.clone()}<span class="block text-xs text-stone-500">{format!("{open} of {} left to refund · {} each", l.quantity, money(l.unit_price_minor, &currency))}</span></td>
                                    <td class="py-2 pr-3 align-top">
                                        <input type="hidden" name=format!("lines[{n}][item]") value=l.id.to_string()/>
                                        <input name=format!("lines[{n}][quantity]") value=typed(&format!("quantity-{n}")) inputmode="numeric" aria-label=format!("Units of {label} to refund")
                                            aria-invalid=message.is_some().then_some("true") disabled=open <= 0 class="w-20 rounded border border-stone-300 px-2 py-1 tabular-nums aria-[invalid=true]:border-red-600"/>
                                        {message.map(|m| view! { <span class="block max-w-56 text-xs text-red-700">{m}</span> })}
                                    </td>
                                    <td class="py-2 align-top">
                                        <input type="checkbox" name=format!("lines[{n}][restock]") value="on" checked=restock_checked aria-label=format!("Return refunded units of {label} to stock")
                                            disabled=!order.can_restock || !l.in_catalogue class="size-4"/>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                <div class="grid gap-4 sm:grid-cols-2">
                    <div class="space-y-1">
                        <label for="refund-amount" class="block text-sm font-medium">{format!("Amount ({currency}, optional)")}</label>
                        <p id="refund-amount-hint" class="text-xs text-stone-500">"Leave empty to refund the price paid for the units above."</p>
                        <input id="refund-amount" name="amount" value=typed("amount") inputmode="decimal" class=INPUT aria-invalid=amount_error.is_some().then_some("true") aria-describedby="refund-amount-hint refund-amount-error"/>
                        {amount_error.map(|m| view! { <p id="refund-amount-error" class="text-sm text-red-700">{m}</p> })}
                    </div>
                    <div class="space-y-1">
                        <label for="refund-reason" class="block text-sm font-medium">"Reason"</label>
                        <input id="refund-reason" name="reason" value=typed("reason") maxlength="300" class=INPUT/>
                    </div>
                </div>
                <div>
                    <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="confirm" value="refund" class="size-4" aria-describedby="refund-confirm-error"/>"Give this money back now"</label>
                    {confirm_error.map(|m| view! { <p id="refund-confirm-error" class="text-sm text-red-700">{m}</p> })}
                </div>
                <button type="submit" class=BUTTON_SECONDARY>"Refund"</button>
            </form>
        </section>
    }
    .into_any()
}

#[component]
fn Notes(order: StaffOrder, flash: Option<FormFlash>) -> impl IntoView {
    let (mine, _) = flash_error(&flash, "order-note");
    let message = field_message(&mine, "note");
    let typed = mine.as_ref().map(|f| f.value("note")).unwrap_or_default();
    view! {
        <section class=PANEL aria-labelledby="notes-heading">
            <h2 id="notes-heading" class="text-lg font-semibold">"Internal notes"</h2>
            <p class="text-xs text-stone-500">"Only staff see these."</p>
            <ul class="mt-3 space-y-3 text-sm" data-testid="order-notes">
                {order.notes.iter().map(|n| view! {
                    <li class="rounded-lg bg-stone-50 p-3"><p class="whitespace-pre-line">{n.body.clone()}</p><p class="mt-1 text-xs text-stone-500">{format!("{} · {}", n.author, n.at.format("%e %b %Y, %H:%M UTC"))}</p></li>
                }).collect_view()}
            </ul>
            <form method="post" action=AddOrderNote::url() class="mt-3 space-y-2">
                <input type="hidden" name="number" value=order.order.number.to_string()/>
                <label for="order-note" class="block text-sm font-medium">"Add a note"</label>
                <textarea id="order-note" name="note" rows="3" maxlength="2000" class=INPUT aria-invalid=message.is_some().then_some("true") aria-describedby="order-note-error">{textarea_text(&typed)}</textarea>
                {message.map(|m| view! { <p id="order-note-error" class="text-sm text-red-700">{m}</p> })}
                <button type="submit" class=BUTTON_SECONDARY>"Add note"</button>
            </form>
        </section>
    }
}

/// Packing slips of the orders in `?numbers=`, one per printed page (a print stylesheet
/// hides the dashboard around them; nothing needs JavaScript).
#[component]
pub fn PackingSlipsPage() -> impl IntoView {
    let query = use_query_map();
    let slips = Resource::new(move || query.with(|q| q.get("numbers").unwrap_or_default()), get_packing_slips);
    view! {
        <PageTitle text="Packing slips — Larkspur staff"/>
        <Suspense fallback=|| view! { <p class="text-stone-500">"Loading…"</p> }>
            {move || slips.get().map(|result| match result {
                Ok(orders) if orders.is_empty() => view! { <p class="text-stone-600">"Choose orders in the list to print their packing slips."</p> }.into_any(),
                Ok(orders) => view! {
                    <div class="mb-6 flex items-center justify-between gap-3 print:hidden">
                        <h1 class="text-2xl font-semibold text-stone-900">{format!("Packing slips ({})", orders.len())}</h1>
                        <p class="text-sm text-stone-600">"Print this page (Ctrl+P or ⌘P): each order prints on its own page."</p>
                    </div>
                    {orders.into_iter().map(|order| view! { <PackingSlip order/> }).collect_view()}
                }.into_any(),
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn PackingSlip(order: StaffOrder) -> impl IntoView {
    let o = order.order;
    view! {
        <article class="mb-8 break-after-page rounded-xl border border-stone-200 bg-white p-8 print:mb-0 print:rounded-none print:border-0 print:p-0" data-testid="packing-slip">
            <header class="flex justify-between gap-4 border-b border-stone-200 pb-4">
                <div><p class="text-lg font-semibold">"✿ Larkspur"</p><p class="text-sm text-stone-600">"Packing slip"</p></div>
                <div class="text-right text-sm"><p class="text-xl font-semibold">{display_number(o.number)}</p><p>{o.placed_at.format("%e %B %Y").to_string()}</p></div>
            </header>
            <div class="mt-4 grid grid-cols-2 gap-4 text-sm">
                <div><h2 class="font-semibold">"Ship to"</h2><address class="not-italic">{o.address.lines().into_iter().map(|l| view! { <span class="block">{l}</span> }).collect_view()}</address></div>
                <div><h2 class="font-semibold">"Delivery"</h2><p>{o.delivery_method.label()}</p>{o.tracking_number.map(|t| view! { <p>{format!("{} {t}", o.carrier.unwrap_or_default())}</p> })}</div>
            </div>
            <table class="mt-6 min-w-full text-sm">
                <thead class="border-b border-stone-300 text-left"><tr><th scope="col" class="py-1 pr-3">"Item"</th><th scope="col" class="py-1 pr-3">"SKU"</th><th scope="col" class="py-1 pr-3 text-right">"Qty"</th><th scope="col" class="py-1 text-right">"Packed"</th></tr></thead>
                <tbody>
                    {order.lines.into_iter().map(|l| view! {
                        <tr class="border-b border-stone-100">
                            <td class="py-2 pr-3">{format!("{} — {} / {}", l.product_name, l.colour_name, l.size_label)}</td>
                            <td class="py-2 pr-3">{l.sku}</td>
                            <td class="py-2 pr-3 text-right tabular-nums">{l.quantity}</td>
                            <td class="py-2 text-right"><span class="inline-block size-4 border border-stone-500" aria-hidden="true"></span></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="mt-6 text-xs text-stone-500">"Thank you for shopping with Larkspur. Questions or a return? Reply to your order email."</p>
        </article>
    }
}
