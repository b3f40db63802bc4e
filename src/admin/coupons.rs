//! Staff pages for coupons: the list (search by code, filters, bulk switch on and off) and
//! the editor (every rule checkout applies, checked by `coupons::CouponInput::parse`), with
//! the orders that used the code and the uses left. Every server function asks for
//! `Permission::ManageOrders`; the rules live in `coupons` and `coupons::manage`.
// A form's server function takes one argument per field, and the `#[server]` macro does not
// pass an item-level allow on to the browser side.
#![allow(clippy::too_many_arguments)]

use super::table::{use_list_query, Bulk, Cell, Column, DataTable, FilterSelect, ListQuery, Paged, Row, RowAction};
use crate::{
    coupons::{CouponEditor, CouponInput, CouponState, StaffCoupon},
    error::AppError,
    forms::{take_form_outcome, FormFlash},
    money::Money,
    ui::{invalid, Field, FormError, Notice, PageTitle, StatusPage, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
};
use chrono::{DateTime, Utc};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::{use_params_map, use_query_map};
use std::collections::BTreeMap;
use uuid::Uuid;

#[cfg(feature = "ssr")]
async fn coupon_staff() -> Result<(crate::server::state::AppState, crate::audit::server::Actor), AppError> {
    super::access::staff(crate::auth::Permission::ManageOrders).await
}

/// One page of the list, and the time its states are worked out at.
#[server(endpoint = "admin/coupons/list")]
pub async fn list_coupons(#[server(default)] query: ListQuery) -> Result<(Paged<StaffCoupon>, DateTime<Utc>), AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = coupon_staff().await?;
        let now = state.clock.now();
        Ok((crate::coupons::manage::list(&state.db, &query, now).await?, now))
    })
    .await
}

#[server(endpoint = "admin/coupons/editor")]
pub async fn get_coupon_editor(#[server(default)] id: Option<Uuid>) -> Result<CouponEditor, AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = coupon_staff().await?;
        crate::coupons::manage::editor(&state.db, id, state.clock.now()).await?.ok_or_else(|| AppError::NotFound("That coupon".into()))
    })
    .await
}

/// Creates (no `id`) or updates a coupon from the editor's form.
#[server(endpoint = "admin/coupons/save")]
pub async fn save_coupon(
    #[server(default)] id: Option<Uuid>,
    #[server(default)] code: String,
    #[server(default)] description: String,
    #[server(default)] kind: String,
    #[server(default)] value: String,
    #[server(default)] min_order: String,
    #[server(default)] starts_at: String,
    #[server(default)] expires_at: String,
    #[server(default)] usage_limit: String,
    #[server(default)] per_user_limit: String,
    #[server(default)] is_active: Option<String>,
) -> Result<Uuid, AppError> {
    use crate::forms::server::{finish, Then};
    let input = CouponInput { code, description, kind, value, min_order, starts_at, expires_at, usage_limit, per_user_limit, is_active: is_active.is_some() };
    let typed = input.clone();
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = coupon_staff().await?;
        let fields = crate::coupons::manage::validate(&state.db, id, &input).await?;
        crate::coupons::manage::save(&state.db, &actor, id, &fields, state.clock.now()).await
    })
    .await;
    let values = [
        ("code", typed.code.as_str()),
        ("description", typed.description.as_str()),
        ("kind", typed.kind.as_str()),
        ("value", typed.value.as_str()),
        ("min_order", typed.min_order.as_str()),
        ("starts_at", typed.starts_at.as_str()),
        ("expires_at", typed.expires_at.as_str()),
        ("usage_limit", typed.usage_limit.as_str()),
        ("per_user_limit", typed.per_user_limit.as_str()),
        ("is_active", if typed.is_active { "on" } else { "" }),
    ];
    finish("coupon", &values, None, result, |id| Then::Redirect(format!("/admin/coupons/{id}?saved=1"))).await
}

#[cfg(feature = "ssr")]
fn switch(action: &str) -> Result<bool, AppError> {
    match action {
        "activate" => Ok(true),
        "deactivate" => Ok(false),
        _ => Err(AppError::field("action", "Choose activate or deactivate.")),
    }
}

#[cfg(feature = "ssr")]
fn changed_notice(n: usize, active: bool) -> String {
    let verb = if active { "activated" } else { "deactivated" };
    match n {
        0 => "Nothing changed.".to_owned(),
        1 => format!("1 coupon {verb}."),
        n => format!("{n} coupons {verb}."),
    }
}

/// Switches one coupon on or off (`action`: activate, deactivate); back to its page or list.
#[server(endpoint = "admin/coupons/active")]
pub async fn set_coupon_active(#[server(default)] id: Option<Uuid>, #[server(default)] action: String) -> Result<usize, AppError> {
    use crate::forms::server::{finish, Then};
    let active = action == "activate";
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = coupon_staff().await?;
        let id = id.ok_or_else(|| AppError::NotFound("That coupon".into()))?;
        let active = switch(&action)?;
        crate::coupons::manage::set_active(&state.db, &actor, &[id], active, state.clock.now()).await
    })
    .await;
    finish("coupon-active", &[], None, result, |n| Then::Stay { step: None, notice: Some(changed_notice(*n, active)) }).await
}

/// Switches every ticked coupon (`ids[n]`) on or off; back to the same list.
#[server(endpoint = "admin/coupons/bulk")]
pub async fn bulk_coupons(#[server(default)] ids: BTreeMap<String, Uuid>, #[server(default)] action: String) -> Result<usize, AppError> {
    use crate::forms::server::{finish, Then};
    let active = action == "activate";
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = coupon_staff().await?;
        let active = switch(&action)?;
        let ids: Vec<Uuid> = ids.into_values().collect();
        crate::coupons::manage::set_active(&state.db, &actor, &ids, active, state.clock.now()).await
    })
    .await;
    finish("coupon-active", &[], None, result, |n| Then::Stay { step: None, notice: Some(changed_notice(*n, active)) }).await
}

/// Deletes a code no order used, after the confirm step.
#[server(endpoint = "admin/coupons/delete")]
pub async fn delete_coupon(#[server(default)] id: Option<Uuid>, #[server(default)] confirm: Option<String>) -> Result<(), AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = coupon_staff().await?;
        let id = id.ok_or_else(|| AppError::NotFound("That coupon".into()))?;
        if confirm.as_deref() != Some("delete") {
            return Err(AppError::Rejected("Confirm the deletion to delete this coupon.".into()));
        }
        crate::coupons::manage::delete(&state.db, &actor, id, state.clock.now()).await
    })
    .await;
    finish("coupon-delete", &[], None, result, |_| Then::Redirect("/admin/coupons?deleted=1".to_owned())).await
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y, %H:%M").to_string()
}

/// `1 Dec 2026, 09:00 – 31 Dec 2026, 23:59 UTC`, open ends said as such.
fn window(c: &StaffCoupon) -> String {
    match (c.starts_at, c.expires_at) {
        (None, None) => "Always".to_owned(),
        (Some(start), None) => format!("From {} UTC", day(start)),
        (None, Some(end)) => format!("Until {} UTC", day(end)),
        (Some(start), Some(end)) => format!("{} – {} UTC", day(start), day(end)),
    }
}

fn discount(c: &StaffCoupon) -> String {
    let terms = c.kind.describe(c.value, &c.currency);
    if c.min_order_minor > 0 {
        format!("{terms}, orders from {}", Money::new(c.min_order_minor, c.currency.clone()))
    } else {
        terms
    }
}

fn used(c: &StaffCoupon) -> String {
    match c.usage_limit {
        Some(limit) => format!("{} / {limit}", c.times_used),
        None => format!("{} / no limit", c.times_used),
    }
}

fn remaining(c: &StaffCoupon) -> String {
    c.remaining().map_or_else(|| "Unlimited".to_owned(), |n| n.to_string())
}

fn coupon_row(c: StaffCoupon, now: DateTime<Utc>) -> Row {
    let state = c.state(now);
    let id = c.id.to_string();
    let toggle = if c.is_active {
        RowAction::Post {
            action: SetCouponActive::url().to_owned(),
            fields: vec![("id".into(), id.clone()), ("action".into(), "deactivate".into())],
            text: "Deactivate".into(),
            label: format!("Deactivate {}", c.code),
        }
    } else {
        RowAction::Post {
            action: SetCouponActive::url().to_owned(),
            fields: vec![("id".into(), id.clone()), ("action".into(), "activate".into())],
            text: "Activate".into(),
            label: format!("Activate {}", c.code),
        }
    };
    Row {
        id: id.clone(),
        cells: vec![
            Cell::Link { href: format!("/admin/coupons/{id}"), text: c.code.clone() },
            Cell::Text(discount(&c)),
            Cell::Badge { text: state.label().into(), good: state == CouponState::Active },
            Cell::Muted(window(&c)),
            Cell::Text(used(&c)),
            Cell::Text(remaining(&c)),
            Cell::Actions(vec![toggle]),
        ],
    }
}

fn options(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(v, l)| ((*v).to_owned(), (*l).to_owned())).collect()
}

#[component]
pub fn CouponsPage() -> impl IntoView {
    let list_query = use_list_query(&["status"]);
    let query = use_query_map();
    let data = Resource::new(move || list_query.get(), |q| async move { (list_coupons(q).await, take_form_outcome().await.ok().flatten()) });
    let deleted = move || query.with(|q| q.get("deleted")).is_some();
    view! {
        <PageTitle text="Coupons — Larkspur staff"/>
        <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
            {move || data.get().map(|(result, flash)| match result {
                Ok((page, now)) => {
                    let mine = FormFlash::of(&flash, "coupon-active");
                    let error = Signal::derive({ let e = mine.as_ref().and_then(|f| f.error.clone()); move || e.clone() });
                    let notice = mine.as_ref().and_then(|f| f.notice.clone()).or_else(|| deleted().then(|| "The coupon was deleted.".to_owned()));
                    let notice = Signal::derive(move || notice.clone());
                    let filters = vec![FilterSelect {
                        key: "status",
                        label: "Status",
                        options: options(&[("", "All coupons"), ("active", "Active"), ("inactive", "Inactive"), ("expired", "Expired")]),
                    }];
                    let columns = vec![
                        Column::new("code", "Code").sortable(),
                        Column::new("discount", "Discount"),
                        Column::new("status", "Status"),
                        Column::new("expires", "When").sortable(),
                        Column::new("used", "Used / limit").sortable().numeric(),
                        Column::new("remaining", "Remaining").numeric(),
                        Column::new("actions", "Actions"),
                    ];
                    let bulk = Bulk { action_url: BulkCoupons::url().to_owned(), actions: options(&[("deactivate", "Deactivate"), ("activate", "Activate")]), extra: None };
                    view! {
                        <div class="flex flex-wrap items-center justify-between gap-3">
                            <h1 class="text-2xl font-semibold text-stone-900">"Coupons"</h1>
                            <a href="/admin/coupons/new" class=BUTTON_PRIMARY>"Add coupon"</a>
                        </div>
                        <p class="mt-1 text-sm text-stone-600">"Promo codes shoppers type at checkout. Times are in UTC."</p>
                        <div class="mt-4 space-y-2"><FormError error/><Notice message=notice/></div>
                        <DataTable path="/admin/coupons" query=list_query.get() columns rows=page.rows.into_iter().map(|c| coupon_row(c, now)).collect() total=page.total
                            search_label="Search by code" filters bulk empty="No coupons match. Clear the search or filters, or add a coupon."/>
                    }.into_any()
                }
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
pub fn CouponEditPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id")).and_then(|id| id.parse::<Uuid>().ok());
    let is_new = move || params.with(|p| p.get("id")).as_deref() == Some("new");
    let editor = Resource::new(move || (id(), is_new()), |(id, is_new)| async move {
        let editor = match (id, is_new) {
            // The access check answers first, then "not found" for an address that is no id.
            (None, false) => get_coupon_editor(None).await.and(Err(AppError::NotFound("That coupon".into()))),
            (id, _) => get_coupon_editor(id).await,
        };
        (editor, take_form_outcome().await.ok().flatten())
    });
    let saved = move || query.with(|q| q.get("saved")).is_some();
    let confirming = move || query.with(|q| q.get("confirm")).as_deref() == Some("delete");
    view! {
        <Suspense fallback=|| view! { <p class="text-stone-500">"Loading…"</p> }>
            {move || editor.get().map(|(result, flash)| match result {
                Ok(editor) => view! { <CouponForm editor flash saved=saved() confirming=confirming()/> }.into_any(),
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

const CARD: &str = "space-y-4 rounded-xl border border-stone-200 bg-white p-6";

#[component]
fn CouponForm(editor: CouponEditor, flash: Option<FormFlash>, saved: bool, confirming: bool) -> impl IntoView {
    let mine = FormFlash::of(&flash, "coupon");
    let stored = editor.coupon.as_ref().map(|c| CouponInput::of(&c.fields())).unwrap_or_else(|| CouponInput { kind: "percent".into(), is_active: true, ..CouponInput::default() });
    let value = |field: &str, current: &str| RwSignal::new(mine.as_ref().map_or_else(|| current.to_owned(), |f| f.value(field)));
    let (code, description, amount, min_order) =
        (value("code", &stored.code), value("description", &stored.description), value("value", &stored.value), value("min_order", &stored.min_order));
    let (starts_at, expires_at) = (value("starts_at", &stored.starts_at), value("expires_at", &stored.expires_at));
    let (usage_limit, per_user_limit) = (value("usage_limit", &stored.usage_limit), value("per_user_limit", &stored.per_user_limit));
    let kind = mine.as_ref().map_or_else(|| stored.kind.clone(), |f| f.value("kind"));
    let active = mine.as_ref().map_or(stored.is_active, |f| f.value("is_active") == "on");
    let error = mine.as_ref().and_then(|f| f.error.clone());
    let kind_error = error.as_ref().and_then(|e| e.field_error("kind"));
    let err = Signal::derive({ let e = error.clone(); move || e.clone() });
    let other = ["coupon-active", "coupon-delete"].iter().find_map(|form| FormFlash::of(&flash, form));
    let other_error = Signal::derive({ let e = other.as_ref().and_then(|f| f.error.clone()); move || e.clone() });
    let notice = other.as_ref().and_then(|f| f.notice.clone()).or_else(|| saved.then(|| "Coupon saved.".to_owned()));
    let notice = Signal::derive(move || notice.clone());
    let currency = editor.currency.clone();
    let title = editor.coupon.as_ref().map_or_else(|| "New coupon".to_owned(), |c| c.code.clone());
    let id_value = editor.coupon.as_ref().map(|c| c.id.to_string()).unwrap_or_default();
    let now = editor.now;
    let radio = move |value: &'static str, label: &'static str, hint: String| {
        let checked = kind == value;
        view! {
            <label class="flex cursor-pointer items-start gap-3 rounded-lg border border-stone-200 p-3 has-[:checked]:border-emerald-700 has-[:checked]:bg-emerald-50">
                <input type="radio" name="kind" value=value checked=checked class="mt-1 size-4" aria-invalid=invalid(kind_error.is_some())
                    aria-describedby=kind_error.is_some().then_some("field-kind-error")/>
                <span><span class="block text-sm font-medium text-stone-900">{label}</span><span class="block text-xs text-stone-600">{hint}</span></span>
            </label>
        }
    };
    let kind_message = error.as_ref().and_then(|e| e.field_error("kind"));
    view! {
        <PageTitle text=format!("{title} — Larkspur staff")/>
        <nav aria-label="Breadcrumb" class="text-sm text-stone-600">
            <ol class="flex gap-2"><li><a href="/admin/coupons" class=LINK>"Coupons"</a></li><li aria-hidden="true">"/"</li><li aria-current="page">{title.clone()}</li></ol>
        </nav>
        <div class="mt-2 flex flex-wrap items-center justify-between gap-3">
            <h1 class="text-2xl font-semibold text-stone-900">{title.clone()}</h1>
            {editor.coupon.as_ref().map(|c| {
                let state = c.state(now);
                let tone = if state == CouponState::Active { "bg-emerald-100 text-emerald-900" } else { "bg-stone-200 text-stone-800" };
                view! {
                    <div class="flex items-center gap-4 text-sm">
                        <span class=format!("inline-flex rounded-full px-3 py-1 text-xs font-semibold {tone}") data-testid="coupon-state">{state.label()}</span>
                        <a href=format!("/admin/audit?kind=coupon&entity={}", c.id) class=LINK>"History"</a>
                    </div>
                }
            })}
        </div>
        <div class="mt-4 space-y-2"><Notice message=notice/><FormError error=err/><FormError error=other_error/></div>
        <form method="post" action=SaveCoupon::url() class="mt-6 grid gap-6 lg:grid-cols-3">
            {editor.coupon.as_ref().map(|c| view! { <input type="hidden" name="id" value=c.id.to_string()/> })}
            <section class=format!("{CARD} lg:col-span-2") aria-labelledby="terms-heading">
                <h2 id="terms-heading" class="text-lg font-semibold">"Code and discount"</h2>
                <div class="grid gap-4 md:grid-cols-2">
                    <Field label="Code" name="code" value=code error=err required=true autocomplete="off"
                        hint="What shoppers type; upper and lower case are the same code. Letters, digits, - and _."/>
                    <Field label="Description (optional)" name="description" value=description error=err hint="For staff; up to 200 characters."/>
                </div>
                <fieldset>
                    <legend class="text-sm font-medium text-stone-800">"Kind"</legend>
                    <div class="mt-2 grid gap-3 md:grid-cols-2">
                        {radio("percent", "Percentage off", "A whole percentage of the items' subtotal.".to_owned())}
                        {radio("fixed", "Fixed amount off", format!("An amount in {currency}, never more than the subtotal."))}
                    </div>
                    {kind_message.map(|m| view! { <p id="field-kind-error" class="mt-1 text-sm text-red-700">{m}</p> })}
                </fieldset>
                <div class="grid gap-4 md:grid-cols-2">
                    <Field label="Value" name="value" value=amount error=err required=true inputmode="decimal"
                        hint=format!("Percentage: 1 to 100, like 15. Fixed amount: {} like 5.00.", editor.currency)/>
                    <Field label=format!("Minimum order ({}, optional)", editor.currency) name="min_order" value=min_order error=err inputmode="decimal"
                        hint="The items' subtotal needed before the code applies."/>
                </div>
            </section>
            <section class=CARD aria-labelledby="limits-heading">
                <h2 id="limits-heading" class="text-lg font-semibold">"When and how often"</h2>
                <p class="text-xs text-stone-600">{format!("Times are in UTC (the store keeps no time zone of its own); it is now {} UTC. Leave empty for no start or end.", day(now))}</p>
                <Field label="Starts (UTC)" name="starts_at" value=starts_at error=err input_type="datetime-local"/>
                <Field label="Expires (UTC)" name="expires_at" value=expires_at error=err input_type="datetime-local" hint="The code stops working at this moment."/>
                <Field label="Total uses (optional)" name="usage_limit" value=usage_limit error=err inputmode="numeric"
                    hint="Across all customers; empty for no limit. Cancelled orders give their use back."/>
                <Field label="Uses per customer (optional)" name="per_user_limit" value=per_user_limit error=err inputmode="numeric" hint="Empty for no limit."/>
                <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="is_active" value="on" checked=active class="size-4"/>"Active (shoppers can use it)"</label>
            </section>
            <div class="lg:col-span-3"><button type="submit" class=BUTTON_PRIMARY>{if editor.coupon.is_some() { "Save coupon" } else { "Create coupon" }}</button></div>
        </form>
        {editor.coupon.clone().map(|c| view! { <Usage coupon=c redemptions=editor.redemptions.clone()/> })}
        {editor.coupon.as_ref().map(|c| {
            let (action, label, note) = if c.is_active {
                ("deactivate", "Deactivate coupon", "Shoppers can no longer use it; orders that used it keep their discount.")
            } else {
                ("activate", "Activate coupon", "Shoppers can use it again within its dates and limits.")
            };
            view! {
                <section class="mt-8 flex flex-wrap items-center justify-between gap-4 rounded-xl border border-stone-200 bg-white p-6" aria-labelledby="switch-heading">
                    <div>
                        <h2 id="switch-heading" class="text-lg font-semibold">{if c.is_active { "Switch off" } else { "Switch on" }}</h2>
                        <p class="mt-1 text-sm text-stone-600">{note}</p>
                    </div>
                    <form method="post" action=SetCouponActive::url()>
                        <input type="hidden" name="id" value=c.id.to_string()/>
                        <input type="hidden" name="action" value=action/>
                        <button type="submit" class=BUTTON_SECONDARY>{label}</button>
                    </form>
                </section>
            }
        })}
        {(editor.deletable && editor.coupon.is_some()).then(|| if confirming {
            view! {
                <section class="mt-8 rounded-xl border border-red-200 bg-red-50 p-6" aria-labelledby="delete-heading" data-testid="confirm-delete">
                    <h2 id="delete-heading" class="text-lg font-semibold text-red-900">"Delete this coupon?"</h2>
                    <p class="mt-1 text-sm text-red-900">"No order used it, so nothing refers to it. This cannot be undone."</p>
                    <form method="post" action=DeleteCoupon::url() class="mt-4 flex flex-wrap gap-3">
                        <input type="hidden" name="id" value=id_value.clone()/>
                        <input type="hidden" name="confirm" value="delete"/>
                        <button type="submit" class="rounded-full bg-red-700 px-5 py-2.5 text-sm font-semibold text-white hover:bg-red-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-700">"Delete coupon"</button>
                        <a href=format!("/admin/coupons/{id_value}") class=BUTTON_SECONDARY>"Keep it"</a>
                    </form>
                </section>
            }.into_any()
        } else {
            view! { <p class="mt-8"><a href=format!("/admin/coupons/{id_value}?confirm=delete") class="text-sm font-medium text-red-800 underline">"Delete coupon…"</a></p> }.into_any()
        })}
    }
}

/// How often the code was used, what is left, and the orders that used it.
#[component]
fn Usage(coupon: StaffCoupon, redemptions: Vec<crate::coupons::Redemption>) -> impl IntoView {
    let summary = match coupon.remaining() {
        Some(left) => format!("Used {} of {} times; {left} remaining.", coupon.times_used, coupon.usage_limit.unwrap_or_default()),
        None => format!("Used {} times; no total limit.", coupon.times_used),
    };
    view! {
        <section class="mt-8 rounded-xl border border-stone-200 bg-white p-6" aria-labelledby="usage-heading">
            <h2 id="usage-heading" class="text-lg font-semibold">"Redemptions"</h2>
            <p class="mt-1 text-sm text-stone-700" data-testid="coupon-usage">{summary}</p>
            {if redemptions.is_empty() {
                view! { <p class="mt-4 rounded-lg border border-dashed border-stone-300 p-4 text-sm text-stone-600" data-testid="redemptions-empty">"No order has used this code yet."</p> }.into_any()
            } else {
                view! {
                    <div class="mt-4 overflow-x-auto rounded-lg border border-stone-200">
                        <table class="min-w-full text-sm" data-testid="redemptions">
                            <thead class="bg-stone-50 text-stone-700"><tr>
                                <th scope="col" class="px-3 py-2 text-left font-semibold">"Order"</th>
                                <th scope="col" class="px-3 py-2 text-left font-semibold">"Customer"</th>
                                <th scope="col" class="px-3 py-2 text-right font-semibold">"Discount"</th>
                                <th scope="col" class="px-3 py-2 text-left font-semibold">"When (UTC)"</th>
                            </tr></thead>
                            <tbody>
                                {redemptions.into_iter().map(|r| {
                                    let cancelled = r.order_status == "cancelled";
                                    view! {
                                        <tr class="border-t border-stone-100" data-testid="redemption">
                                            <td class="px-3 py-2">
                                                <a href=format!("/admin/orders/{}", r.order_number) class=LINK>{format!("#{}", r.order_number)}</a>
                                                {cancelled.then(|| view! { <span class="ml-2 text-xs text-stone-500">"(cancelled: use given back)"</span> })}
                                            </td>
                                            <td class="break-all px-3 py-2">{r.email}</td>
                                            <td class="px-3 py-2 text-right tabular-nums">{Money::new(r.discount_minor, r.currency).to_string()}</td>
                                            <td class="px-3 py-2">{day(r.at)}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}
