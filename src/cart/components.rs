//! The cart page, the header's cart link with its mini-cart, and the shared count that keeps
//! them in step when any island changes the cart.

use super::{get_cart, AcceptCartChanges, CartLine, CartView, ClearCart, LineIssue, RemoveCartLine, UpdateCartLine, MAX_LINE_QUANTITY};
use crate::{
    error::AppError,
    forms::{form_outcome, latest_error, FormFlash},
    money::Money,
    ui::{FormError, PageTitle, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
};
use leptos::prelude::*;
use leptos_meta::Meta;
use uuid::Uuid;

// The cart's item count as the browser last learned it. Islands are separate roots, so
// the header's count and the islands that change the cart meet here.
#[cfg(feature = "hydrate")]
thread_local! {
    static COUNT: ArcRwSignal<Option<i64>> = ArcRwSignal::new(None);
}

/// Tells the header the cart now holds `count` items.
pub fn publish_count(count: i64) {
    #[cfg(feature = "hydrate")]
    COUNT.with(|c| c.set(Some(count)));
    #[cfg(not(feature = "hydrate"))]
    let _ = count;
}

fn latest_count(initial: i64) -> Signal<i64> {
    #[cfg(feature = "hydrate")]
    {
        let shared = COUNT.with(Clone::clone);
        Signal::derive(move || shared.get().unwrap_or(initial))
    }
    #[cfg(not(feature = "hydrate"))]
    Signal::derive(move || initial)
}

/// The header's cart link, and a mini-cart that opens beside it with the lines.
#[island]
pub fn HeaderCart(count: i64) -> impl IntoView {
    let count = latest_count(count);
    let (open, set_open) = signal(false);
    let cart = Resource::new(move || open.get(), |open| async move { if open { get_cart().await.ok() } else { None } });
    view! {
        <div class="relative flex items-center">
            // The accessible name is the visible text ("Cart 2") plus a hidden "items".
            <a href="/cart" class="relative rounded px-2 py-1 text-sm font-medium text-stone-900 hover:text-emerald-800 focus-visible:outline-2 focus-visible:outline-emerald-700">
                "Cart "
                <span data-testid="cart-count" class="inline-flex min-w-5 justify-center rounded-full bg-stone-900 px-1.5 text-xs font-semibold text-white">{move || count.get()}</span>
                <span class="sr-only">{move || if count.get() == 1 { " item" } else { " items" }}</span>
            </a>
            <button type="button" class="hidden h-8 w-8 items-center justify-center rounded text-stone-600 hover:text-stone-900 focus-visible:outline-2 focus-visible:outline-emerald-700 sm:inline-flex"
                aria-expanded=move || open.get().to_string() aria-controls="mini-cart" on:click=move |_| set_open.update(|o| *o = !*o)>
                <span aria-hidden="true">"▾"</span><span class="sr-only">"Show cart contents"</span>
            </button>
            <Show when=move || open.get()>
                <div id="mini-cart" class="absolute right-0 top-full z-40 mt-2 w-80 rounded-xl border border-stone-200 bg-white p-4 shadow-lg"
                    on:keydown=move |ev| if ev.key() == "Escape" { set_open.set(false) }>
                    <Suspense fallback=|| view! { <p class="text-sm text-stone-500">"Loading…"</p> }>
                        {move || cart.get().flatten().map(|cart| view! { <MiniCart cart/> })}
                    </Suspense>
                </div>
            </Show>
        </div>
    }
}

#[component]
fn MiniCart(cart: CartView) -> impl IntoView {
    if cart.lines.is_empty() {
        return view! { <p class="text-sm text-stone-600">"Your cart is empty."</p> }.into_any();
    }
    let subtotal = Money::new(cart.subtotal_minor(), cart.currency.clone());
    view! {
        <ul class="max-h-72 divide-y divide-stone-100 overflow-y-auto">
            {cart.lines.into_iter().map(|l| view! {
                <li class="flex gap-3 py-2 text-sm">
                    {l.image_url.clone().map(|src| view! { <img src=src alt="" class="h-14 w-11 rounded object-cover" width="44" height="56"/> })}
                    <div class="min-w-0 flex-1">
                        <p class="truncate font-medium text-stone-900">{l.product_name.clone()}</p>
                        <p class="text-stone-500">{format!("{} · {} · × {}", l.colour_name, l.size_label, l.quantity)}</p>
                    </div>
                    <p class="font-medium">{Money::new(l.line_total_minor(), l.currency.clone()).to_string()}</p>
                </li>
            }).collect_view()}
        </ul>
        <p class="mt-3 flex justify-between border-t border-stone-200 pt-3 text-sm font-semibold"><span>"Subtotal"</span><span>{subtotal.to_string()}</span></p>
        <div class="mt-3 flex gap-2">
            <a href="/cart" class=BUTTON_SECONDARY>"View cart"</a>
            <a href="/checkout" class=BUTTON_PRIMARY>"Checkout"</a>
        </div>
    }
    .into_any()
}

#[component]
pub fn CartPage() -> impl IntoView {
    let cart = Resource::new(|| (), |_| get_cart());
    let flash = form_outcome();
    view! {
        <PageTitle text="Your cart — Larkspur"/>
        <Meta name="robots" content="noindex"/>
        <section class="mx-auto max-w-6xl px-4 py-10 sm:px-6 lg:px-8">
            <h1 class="text-3xl font-semibold tracking-tight text-stone-900">"Your cart"</h1>
            <Suspense fallback=|| view! { <p class="mt-6 text-stone-500">"Loading…"</p> }>
                {move || match (cart.get(), flash.get()) {
                    (Some(Ok(cart)), Some(flash)) => Some(view! { <CartEditor cart flash/> }.into_any()),
                    (Some(Err(e)), _) => Some(view! { <crate::ui::ErrorNotice error=e/> }.into_any()),
                    _ => None,
                }}
            </Suspense>
        </section>
    }
}

/// The lines with their quantity, remove and "accept changes" forms. Every form posts
/// without JavaScript; with it, the page and the header's count change in place.
#[island]
fn CartEditor(cart: CartView, flash: Option<FormFlash>) -> impl IntoView {
    let cart = RwSignal::new(cart);
    let update = ServerAction::<UpdateCartLine>::new();
    let remove = ServerAction::<RemoveCartLine>::new();
    let clear = ServerAction::<ClearCart>::new();
    let accept = ServerAction::<AcceptCartChanges>::new();
    let last = RwSignal::new(None::<Result<CartView, AppError>>);
    for values in [update.value(), remove.value(), clear.value(), accept.value()] {
        Effect::new(move || {
            if let Some(result) = values.get() {
                if let Ok(view) = &result {
                    publish_count(view.item_count());
                    cart.set(view.clone());
                }
                last.set(Some(result));
            }
        });
    }
    let error = latest_error(move || last.get().map(Result::err), &flash);
    // Which line a quantity message belongs to: the one last submitted.
    let last_line = RwSignal::new(flash.as_ref().and_then(|f| f.value("variant_id").parse::<Uuid>().ok()));
    Effect::new(move || {
        if let Some(input) = update.input().get() {
            last_line.set(Some(input.variant_id));
        }
    });
    let line_error = Signal::derive(move || error.get().and_then(|e| e.field_error("quantity")).zip(last_line.get()));
    view! {
        <FormError error/>
        {move || {
            let c = cart.get();
            if c.lines.is_empty() {
                return view! {
                    <div class="mt-8 rounded-2xl border border-dashed border-stone-300 p-10 text-center">
                        <p class="text-stone-700">"Your cart is empty."</p>
                        <a href="/" class=format!("mt-4 {BUTTON_PRIMARY}")>"Continue shopping"</a>
                    </div>
                }
                .into_any();
            }
            let review = c.needs_review();
            let subtotal = Money::new(c.subtotal_minor(), c.currency.clone());
            view! {
                <div class="mt-8 grid gap-10 lg:grid-cols-[1fr_20rem]">
                    <ul class="divide-y divide-stone-200 border-y border-stone-200" aria-label="Items in your cart">
                        {c.lines.into_iter().map(|line| view! { <CartRow line update remove line_error/> }).collect_view()}
                    </ul>
                    <aside class="h-fit rounded-2xl bg-stone-50 p-6" aria-labelledby="cart-summary">
                        <h2 id="cart-summary" class="text-lg font-semibold">"Summary"</h2>
                        <p class="mt-4 flex justify-between text-sm"><span>"Subtotal"</span><span data-testid="cart-subtotal" class="font-semibold">{subtotal.to_string()}</span></p>
                        <p class="mt-2 text-xs text-stone-500">"Delivery and any promo code are added at checkout."</p>
                        {if review {
                            view! {
                                <div role="alert" class="mt-4 rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
                                    <p>"Some items changed since you added them. Review the notes beside them, then confirm to continue."</p>
                                    <ActionForm action=accept attr:class="mt-3">
                                        <button type="submit" class=BUTTON_PRIMARY>"Update my cart"</button>
                                    </ActionForm>
                                </div>
                            }
                            .into_any()
                        } else {
                            view! { <a href="/checkout" class=format!("mt-6 w-full {BUTTON_PRIMARY}")>"Go to checkout"</a> }.into_any()
                        }}
                        <ActionForm action=clear attr:class="mt-3 text-center">
                            <button type="submit" class="text-sm text-stone-600 underline hover:text-stone-900">"Empty cart"</button>
                        </ActionForm>
                    </aside>
                </div>
            }
            .into_any()
        }}
    }
}

#[component]
fn CartRow(
    line: CartLine,
    update: ServerAction<UpdateCartLine>,
    remove: ServerAction<RemoveCartLine>,
    /// A quantity message and the line it belongs to.
    line_error: Signal<Option<(String, Uuid)>>,
) -> impl IntoView {
    let variant = line.variant_id.to_string();
    let quantity_id = format!("quantity-{variant}");
    let unit = Money::new(line.unit_price_minor, line.currency.clone());
    let total = Money::new(line.line_total_minor(), line.currency.clone());
    let issue = line.issue.map(|i| i.message(&line.currency));
    let buyable = !matches!(line.issue, Some(LineIssue::Unavailable | LineIssue::SoldOut));
    let href = format!("/p/{}?colour={}", line.product_slug, line.colour_slug);
    let what = format!(" {} {}", line.product_name, line.size_label);
    let (what_quantity, variant_remove, error_id) = (format!(" of{what}"), variant.clone(), format!("{quantity_id}-error"));
    let described_by = error_id.clone();
    let this = line.variant_id;
    let message = move || line_error.get().filter(|(_, line)| *line == this).map(|(m, _)| m);
    view! {
        <li class="flex gap-4 py-5" data-testid="cart-line">
            {line.image_url.clone().map(|src| view! {
                <img src=src alt="" class="h-28 w-22 shrink-0 rounded-lg object-cover" width="88" height="112"/>
            })}
            <div class="flex min-w-0 flex-1 flex-col gap-2">
                <div class="flex flex-wrap justify-between gap-2">
                    <div>
                        <a href=href class="font-medium text-stone-900 hover:underline">{line.product_name.clone()}</a>
                        <p class="text-sm text-stone-600">{format!("Colour: {} · Size: {}", line.colour_name, line.size_label)}</p>
                        <p class="text-sm text-stone-600">{format!("{unit} each")}</p>
                    </div>
                    <p class="font-semibold" data-testid="line-total">{total.to_string()}</p>
                </div>
                {issue.map(|m| view! { <p class="text-sm font-medium text-amber-800" data-testid="line-issue">{m}</p> })}
                <div class="flex flex-wrap items-end gap-3">
                    {buyable.then(|| view! {
                        <ActionForm action=update attr:class="flex items-end gap-2">
                            <input type="hidden" name="variant_id" value=variant.clone()/>
                            <div>
                                <label for=quantity_id.clone() class="block text-xs font-medium text-stone-700">
                                    "Quantity"<span class="sr-only">{what_quantity}</span>
                                </label>
                                <input id=quantity_id.clone() name="quantity" type="number" min="0" max=MAX_LINE_QUANTITY.to_string() inputmode="numeric"
                                    value=line.quantity.to_string() class="mt-1 w-20 rounded-lg border border-stone-300 px-3 py-1.5"
                                    aria-invalid=move || message().is_some().to_string()
                                    aria-describedby=described_by.clone()/>
                            </div>
                            <button type="submit" class="rounded-full border border-stone-300 px-3 py-1.5 text-sm font-medium hover:border-stone-900 focus-visible:outline-2 focus-visible:outline-emerald-700">"Update"</button>
                        </ActionForm>
                    })}
                    <ActionForm action=remove>
                        <input type="hidden" name="variant_id" value=variant_remove/>
                        <button type="submit" class=format!("text-sm {LINK}")>"Remove"<span class="sr-only">{what}</span></button>
                    </ActionForm>
                </div>
                <p id=error_id class="text-sm text-red-700">{message}</p>
            </div>
        </li>
    }
}
