//! The header's search box: a plain GET form (works without scripts) that suggests products
//! as you type once hydrated. The suggestions follow the ARIA combobox pattern: focus stays
//! in the input, ArrowDown/ArrowUp move the active option (`aria-activedescendant`), Enter
//! opens it (or searches when none is active) and Escape closes the list. Options are not
//! links, because an interactive element inside an option is announced twice or not at all.

use super::{api::get_suggestions, types::Suggestion};
use crate::ui::go_to;
use leptos::prelude::*;

const LISTBOX_ID: &str = "search-suggestions";

fn option_id(index: usize) -> String {
    format!("search-suggestion-{index}")
}

/// The option after (`step` 1) or before (-1) `active` among `len`, wrapping round; from
/// nothing, ArrowDown starts at the first and ArrowUp at the last.
fn step_active(active: Option<usize>, len: usize, step: isize) -> Option<usize> {
    if len == 0 {
        return None;
    }
    Some(match (active, step > 0) {
        (None, true) => 0,
        (None, false) => len - 1,
        (Some(i), true) => (i + 1) % len,
        (Some(i), false) => (i + len - 1) % len,
    })
}

#[island]
pub fn SearchBox() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let (open, set_open) = signal(false);
    let (active, set_active) = signal(None::<usize>);
    let suggest = Action::new(move |q: &String| get_suggestions(q.clone()));
    let results = move || suggest.value().get().and_then(Result::ok).unwrap_or_default();
    let expanded = move || open.get() && !results().is_empty();
    let close = move || {
        set_open.set(false);
        set_active.set(None);
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "ArrowDown" | "ArrowUp" => {
            ev.prevent_default();
            let len = results().len();
            if len > 0 {
                set_open.set(true);
                set_active.update(|a| *a = step_active(*a, len, if ev.key() == "ArrowDown" { 1 } else { -1 }));
            }
        }
        "Enter" => {
            // With an option active, Enter opens it; otherwise the form searches.
            let chosen = active.get_untracked().filter(|_| expanded()).and_then(|i| results().get(i).cloned());
            if let Some(s) = chosen {
                ev.prevent_default();
                go_to(&format!("/p/{}", s.slug));
            }
        }
        "Escape" if open.get_untracked() => {
            ev.prevent_default();
            close();
        }
        _ => {}
    };
    view! {
        <form action="/search" method="get" role="search" class="relative order-last flex w-full min-w-0 items-center sm:order-none sm:ml-auto sm:w-auto sm:flex-1 lg:max-w-xs">
            <label for="site-search" class="sr-only">"Search products"</label>
            <input id="site-search" name="q" type="search" placeholder="Search products" autocomplete="off"
                role="combobox" aria-autocomplete="list" aria-controls=LISTBOX_ID
                aria-expanded=move || expanded().to_string()
                aria-activedescendant=move || active.get().filter(|_| expanded()).map(option_id)
                class="w-full min-w-0 rounded-full border border-stone-300 bg-stone-50 px-4 py-2 text-sm placeholder:text-stone-500 focus:border-emerald-700 focus:outline-2 focus:outline-emerald-700"
                prop:value=move || query.get()
                on:keydown=on_keydown
                on:blur=move |_| close()
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    query.set(value.clone());
                    let long_enough = value.trim().chars().count() >= 2;
                    set_open.set(long_enough);
                    set_active.set(None);
                    if long_enough {
                        suggest.dispatch(value);
                    }
                }/>
            // Always in the document (hidden when closed) so `aria-controls` names an element.
            <ul id=LISTBOX_ID role="listbox" aria-label="Suggestions" data-testid="suggestions" hidden=move || !expanded()
                class="absolute left-0 right-0 top-full z-40 mt-2 overflow-hidden rounded-xl border border-stone-200 bg-white shadow-lg">
                {move || results().into_iter().enumerate().map(|(i, s): (usize, Suggestion)| {
                    let href = format!("/p/{}", s.slug);
                    view! {
                        <li id=option_id(i) role="option" aria-selected=move || (active.get() == Some(i)).to_string()
                            class="flex cursor-pointer items-center gap-3 px-3 py-2 text-sm hover:bg-stone-50 aria-selected:bg-stone-100 aria-selected:outline-2 aria-selected:-outline-offset-2 aria-selected:outline-emerald-700"
                            // mousedown, not click: the input's blur would close the list first.
                            on:mousedown=move |ev| { ev.prevent_default(); go_to(&href); }>
                            {s.image_url.map(|src| view! { <img src=src alt="" class="h-10 w-8 rounded object-cover"/> })}
                            <span class="flex-1 text-stone-900">{s.name}</span>
                            <span class="text-stone-600">{s.price.to_string()}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::step_active;

    #[test]
    fn arrows_wrap_round_the_options() {
        assert_eq!(step_active(None, 3, 1), Some(0));
        assert_eq!(step_active(None, 3, -1), Some(2));
        assert_eq!(step_active(Some(2), 3, 1), Some(0));
        assert_eq!(step_active(Some(0), 3, -1), Some(2));
        assert_eq!(step_active(Some(1), 3, 1), Some(2));
        assert_eq!(step_active(None, 0, 1), None);
    }
}
