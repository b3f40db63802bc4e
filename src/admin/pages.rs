use super::api::get_overview;
use crate::ui::{ErrorNotice, PageTitle};
use leptos::prelude::*;

#[component]
pub fn AdminOverview() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_overview());
    view! {
        <PageTitle text="Overview — Larkspur staff"/>
        <h1 class="text-2xl font-semibold text-stone-900">"Overview"</h1>
        <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
            {move || overview.get().map(|result| match result {
                Ok(o) => {
                    let tiles = [
                        ("Live products", o.live_products),
                        ("Categories", o.categories),
                        ("Customers", o.customers),
                        ("Open orders", o.open_orders),
                        ("Units in stock", o.units_in_stock),
                        ("Published articles", o.published_articles),
                    ];
                    view! {
                        <dl class="mt-6 grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
                            {tiles.into_iter().map(|(label, value)| view! {
                                <div class="rounded-xl border border-stone-200 bg-white p-5 shadow-sm">
                                    <dt class="text-sm text-stone-500">{label}</dt>
                                    <dd class="mt-1 text-3xl font-semibold text-stone-900">{value}</dd>
                                </div>
                            }).collect_view()}
                        </dl>
                    }.into_any()
                }
                Err(err) => view! { <ErrorNotice error=err/> }.into_any(),
            })}
        </Suspense>
    }
}
