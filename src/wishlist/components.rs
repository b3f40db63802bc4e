use super::{get_wishlist, toggle_wishlist, ToggleWishlist};
use crate::{
    catalog::components::{Corner, ProductGrid},
    error::AppError,
    forms::{latest_error, FormFlash},
    ui::{PageTitle, ErrorNotice, LINK},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Meta;
use uuid::Uuid;

/// Heart toggle on product pages and cards.
#[island]
/// `flash`: a refusal a plain post of this button left (the product page passes it).
pub fn WishlistButton(
    product_id: Uuid,
    saved: bool,
    compact: bool,
    flash: Option<FormFlash>,
) -> impl IntoView {
    let (is_saved, set_saved) = signal(saved);
    let toggle = Action::new(move |_: &()| toggle_wishlist(product_id));
    Effect::new(move || {
        if let Some(Ok(now)) = toggle.value().get() {
            set_saved.set(now);
        }
    });
    let error = latest_error(move || toggle.value().get().map(Result::err), &flash);
    let class = if compact {
        "rounded-full bg-white/90 p-2 text-lg leading-none shadow hover:bg-white focus-visible:outline-2 focus-visible:outline-emerald-700"
    } else {
        "inline-flex items-center gap-2 rounded-full border border-stone-300 px-5 py-2.5 text-sm font-semibold text-stone-900 hover:border-stone-900 focus-visible:outline-2 focus-visible:outline-emerald-700"
    };
    view! {
        <form method="post" action=ToggleWishlist::url() on:submit=move |ev| { ev.prevent_default(); toggle.dispatch(()); }>
            <input type="hidden" name="product_id" value=product_id.to_string()/>
            <button type="submit" class=class aria-pressed=move || is_saved.get().to_string()
                disabled=move || toggle.pending().get()>
                <span aria-hidden="true" class="text-red-600">{move || if is_saved.get() { "♥" } else { "♡" }}</span>
                {(!compact).then(|| view! { <span>{move || if is_saved.get() { "Saved to wishlist" } else { "Add to wishlist" }}</span> })}
                {compact.then(|| view! { <span class="sr-only">{move || if is_saved.get() { "Remove from wishlist" } else { "Add to wishlist" }}</span> })}
            </button>
            {move || error.get().map(|e: AppError| view! { <p role="alert" class="mt-2 text-sm text-red-700">{e.to_string()}</p> })}
        </form>
    }
}

/// A compact heart for each product tile of a grid; `saved`: the ids the viewer has saved.
pub fn heart_corner(saved: Vec<Uuid>) -> Corner {
    Callback::new(move |product_id| {
        let saved = saved.contains(&product_id);
        view! { <WishlistButton product_id saved compact=true flash=None/> }.into_any()
    })
}

#[component]
pub fn WishlistPage() -> impl IntoView {
    let items = Resource::new(|| (), |_| get_wishlist());
    view! {
        <PageTitle text="Your wishlist — Larkspur"/>
        <Meta name="robots" content="noindex"/>
        <section class="mx-auto max-w-7xl px-4 py-10 sm:px-6 lg:px-8">
            <h1 class="text-3xl font-semibold tracking-tight text-stone-900">"Your wishlist"</h1>
            <Suspense fallback=|| view! { <p class="mt-6 text-stone-500">"Loading…"</p> }>
                {move || items.get().map(|result| match result {
                    Ok(Some(cards)) if cards.is_empty() => view! {
                        <p class="mt-6 text-stone-600">"Nothing saved yet. Tap the heart on any product to keep it here."</p>
                    }.into_any(),
                    Ok(Some(cards)) => view! { <div class="mt-8"><ProductGrid cards label="Saved products"/></div> }.into_any(),
                    Ok(None) => view! {
                        <p class="mt-6 text-stone-600" data-testid="wishlist-prompt">
                            "Nothing saved yet. To keep products here, "<a href="/sign-in?next=/wishlist" class=LINK>"sign in"</a>
                            " or "<a href="/privacy/cookies" class=LINK>"allow cookies"</a>" so we can remember this device."
                        </p>
                    }.into_any(),
                    Err(err) => view! { <ErrorNotice error=err/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
