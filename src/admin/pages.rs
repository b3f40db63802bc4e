use super::api::get_overview;
use crate::ui::{PageTitle, StatusPage, LINK};
use leptos::prelude::*;

#[component]
pub fn AdminOverview() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_overview());
    view! {
        <PageTitle text="Overview — Larkspur staff"/>
        <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
            {move || overview.get().map(|result| match result {
                Ok(o) => {
                    // Each figure shows only to staff whose role covers its area.
                    let tiles: Vec<(&str, i64)> = [
                        ("Live products", o.live_products),
                        ("Categories", o.categories),
                        ("Units in stock", o.units_in_stock),
                        ("Customers", o.customers),
                        ("Open orders", o.open_orders),
                        ("Published articles", o.published_articles),
                    ]
                    .into_iter()
                    .filter_map(|(label, value)| value.map(|v| (label, v)))
                    .collect();
                    let show_low = o.live_products.is_some();
                    let threshold = o.low_stock_threshold;
                    view! {
                        <h1 class="text-2xl font-semibold text-stone-900">"Overview"</h1>
                        <dl class="mt-6 grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
                            {tiles.into_iter().map(|(label, value)| view! {
                                <div class="rounded-xl border border-stone-200 bg-white p-5 shadow-sm">
                                    <dt class="text-sm text-stone-500">{label}</dt>
                                    <dd class="mt-1 text-3xl font-semibold text-stone-900">{value}</dd>
                                </div>
                            }).collect_view()}
                        </dl>
                        {show_low.then(|| view! {
                            <section class="mt-8 rounded-xl border border-stone-200 bg-white p-6" aria-labelledby="low-stock-heading" data-testid="low-stock">
                                <h2 id="low-stock-heading" class="text-lg font-semibold">{format!("Low stock ({threshold} or fewer available)")}</h2>
                                {if o.low_stock.is_empty() {
                                    view! { <p class="mt-2 text-sm text-stone-600">"Every live size has more than that."</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="mt-3 divide-y divide-stone-100 text-sm">
                                            {o.low_stock.into_iter().map(|l| view! {
                                                <li class="flex justify-between gap-3 py-2">
                                                    <a href=format!("/admin/products/{}", l.product_id) class=LINK>{format!("{} — {}, {}", l.product, l.colour, l.size)}</a>
                                                    <span class="tabular-nums">{format!("{} left", l.available)}</span>
                                                </li>
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                            </section>
                        })}
                    }.into_any()
                }
                Err(err) => view! { <StatusPage status=err.status()/> }.into_any(),
            })}
        </Suspense>
    }
}
