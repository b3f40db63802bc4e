//! The header's search box: a plain GET form (works without scripts) that suggests products
//! as you type once hydrated.

use super::{api::get_suggestions, types::Suggestion};
use leptos::prelude::*;

#[island]
pub fn SearchBox() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let (open, set_open) = signal(false);
    let suggest = Action::new(move |q: &String| get_suggestions(q.clone()));
    let results = move || suggest.value().get().and_then(Result::ok).unwrap_or_default();
    view! {
        <form action="/search" method="get" role="search" class="relative order-last flex w-full min-w-0 items-center sm:order-none sm:ml-auto sm:w-auto sm:flex-1 lg:max-w-xs"
            on:keydown=move |ev| if ev.key() == "Escape" { set_open.set(false); }>
            <label for="site-search" class="sr-only">"Search products"</label>
            <input id="site-search" name="q" type="search" placeholder="Search products" autocomplete="off"
                role="combobox" aria-autocomplete="list" aria-controls="search-suggestions"
                aria-expanded=move || (open.get() && !results().is_empty()).to_string()
                class="w-full min-w-0 rounded-full border border-stone-300 bg-stone-50 px-4 py-2 text-sm placeholder:text-stone-500 focus:border-emerald-700 focus:outline-2 focus:outline-emerald-700"
                prop:value=move || query.get()
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    query.set(value.clone());
                    set_open.set(value.trim().chars().count() >= 2);
                    if value.trim().chars().count() >= 2 {
                        suggest.dispatch(value);
                    }
                }/>
            <Show when=move || open.get() && !results().is_empty()>
                <ul id="search-suggestions" role="listbox" aria-label="Suggestions" data-testid="suggestions"
                    class="absolute left-0 right-0 top-full z-40 mt-2 overflow-hidden rounded-xl border border-stone-200 bg-white shadow-lg">
                    {move || results().into_iter().map(|s: Suggestion| view! {
                        <li role="option">
                            <a href=format!("/p/{}", s.slug) class="flex items-center gap-3 px-3 py-2 text-sm hover:bg-stone-50 focus:bg-stone-100 focus:outline-none">
                                {s.image_url.map(|src| view! { <img src=src alt="" class="h-10 w-8 rounded object-cover"/> })}
                                <span class="flex-1 text-stone-900">{s.name}</span>
                                <span class="text-stone-600">{s.price.to_string()}</span>
                            </a>
                        </li>
                    }).collect_view()}
                </ul>
            </Show>
        </form>
    }
}
