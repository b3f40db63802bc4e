//! The checkout page: four steps on one server-rendered page. Every step is a plain form
//! that posts to its server function and comes back here; the page is rebuilt from the
//! server's state, so it works the same before, during and without JavaScript.

use super::{
    api::{get_checkout, get_cities, get_states, CheckoutAddress, CheckoutDelivery, CheckoutSendCode, CheckoutVerifyCode, PlaceOrder},
    CheckoutView, Place, Step,
};
use crate::{
    auth::types::Phone,
    cart::CartView,
    error::AppError,
    forms::{flashed, form_outcome, FormFlash},
    money::Money,
    orders::PaymentMethod,
    ui::{ErrorNotice, Field, FormError, Notice, PageTitle, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Meta;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

#[component]
pub fn CheckoutPage() -> impl IntoView {
    let query = use_query_map();
    let checkout = Resource::new(move || query.with(|q| q.get("edit")), get_checkout);
    let flash = form_outcome();
    view! {
        <PageTitle text="Checkout — Larkspur"/>
        <Meta name="robots" content="noindex"/>
        <section class="mx-auto max-w-5xl px-4 py-10 sm:px-6">
            <h1 class="text-3xl font-semibold tracking-tight text-stone-900">"Checkout"</h1>
            <Suspense fallback=|| view! { <p class="mt-6 text-stone-500">"Loading…"</p> }>
                {move || match (checkout.get(), flash.get()) {
                    (Some(Ok(view)), Some(flash)) => Some(checkout_body(view, flash)),
                    (Some(Err(e)), _) => Some(view! { <ErrorNotice error=e/> }.into_any()),
                    _ => None,
                }}
            </Suspense>
        </section>
    }
}

fn checkout_body(view: CheckoutView, flash: Option<FormFlash>) -> AnyView {
    if view.cart.lines.is_empty() {
        return view! {
            <p class="mt-6 text-stone-700">"Your cart is empty. "<a href="/" class=LINK>"Find something you love"</a></p>
        }
        .into_any();
    }
    // A changed cart waits for the shopper's review; at the last step (a size that sold
    // out while paying) the steps stay in view and the review step says what changed.
    let cart_changed = view.cart.needs_review();
    if cart_changed && view.step != Step::Review {
        return view! { <div class="mt-6"><CartChanged cart=view.cart.clone() flash=flash.clone()/></div> }.into_any();
    }
    let step = view.step;
    let currency = view.cart.currency.clone();
    let money = move |minor: i64| Money::new(minor, currency.clone()).to_string();
    let totals = view.totals;
    let contact_summary = view.contact.as_ref().map(|c| format!("{} · {}", c.email, c.phone)).unwrap_or_default();
    let address_summary = view.address.as_ref().map(|a| a.address.lines().join(", ")).unwrap_or_default();
    let coupon_summary = view.coupon.as_ref().map(|c| format!(" · code {c}")).unwrap_or_default();
    let delivery_summary = view.delivery.map(|d| format!("{}{coupon_summary}", d.label())).unwrap_or_default();
    let (contact_done, address_done, delivery_done, delivery) = (view.contact.is_some(), view.address.is_some(), view.delivery.is_some(), view.delivery);
    let known_email = view.known_email.clone();
    let lines = view.cart.lines.clone();
    let (v_address, v_delivery, v_review) = (view.clone(), view.clone(), view);
    let (f_contact, f_address, f_delivery, f_review) = (flash.clone(), flash.clone(), flash.clone(), flash);
    view! {
        <div class="mt-8 grid gap-10 lg:grid-cols-[1fr_20rem]">
            <ol class="space-y-6">
                <StepBox number=1 title="Contact" open=step == Step::Contact done=contact_done edit="contact" summary=contact_summary>
                    <ContactStep known_email=known_email.clone() flash=f_contact.clone()/>
                </StepBox>
                <StepBox number=2 title="Delivery address" open=step == Step::Address done=address_done edit="address" summary=address_summary>
                    <AddressStep view=v_address.clone() flash=f_address.clone()/>
                </StepBox>
                <StepBox number=3 title="Delivery and promo code" open=step == Step::Delivery done=delivery_done edit="delivery" summary=delivery_summary>
                    <DeliveryStep view=v_delivery.clone() flash=f_delivery.clone()/>
                </StepBox>
                <StepBox number=4 title="Review and pay" open=step == Step::Review done=false edit="review" summary=String::new()>
                    <ReviewStep view=v_review.clone() flash=f_review.clone()/>
                </StepBox>
            </ol>
            <aside class="h-fit rounded-2xl bg-stone-50 p-6" aria-labelledby="order-summary">
                <h2 id="order-summary" class="text-lg font-semibold">"Your order"</h2>
                <ul class="mt-4 space-y-3 text-sm">
                    {lines.iter().map(|l| view! {
                        <li class="flex justify-between gap-3">
                            <span>
                                {format!("{} × {}", l.quantity, l.product_name)}<span class="block text-stone-600">{format!("{} · {}", l.colour_name, l.size_label)}</span>
                                {l.issue.map(|issue| view! { <span class="block text-amber-800">{issue.message(&l.currency)}</span> })}
                            </span>
                            <span>{Money::new(l.line_total_minor(), l.currency.clone()).to_string()}</span>
                        </li>
                    }).collect_view()}
                </ul>
                {if cart_changed {
                    view! { <p class="mt-4 border-t border-stone-200 pt-4 text-sm text-stone-600">"The total is worked out again once your cart is up to date."</p> }.into_any()
                } else {
                    // Until a delivery method is chosen the total holds the goods alone, and says so.
                    view! {
                        <dl class="mt-4 space-y-1 border-t border-stone-200 pt-4 text-sm" data-testid="checkout-totals">
                            <div class="flex justify-between"><dt>"Subtotal"</dt><dd data-testid="subtotal">{money(totals.subtotal_minor)}</dd></div>
                            {(totals.discount_minor > 0).then(|| view! { <div class="flex justify-between text-emerald-800"><dt>"Discount"</dt><dd data-testid="discount">{format!("-{}", money(totals.discount_minor))}</dd></div> })}
                            <div class="flex justify-between"><dt>"Delivery"</dt><dd data-testid="delivery-price">{if delivery.is_none() { "Chosen next".to_string() } else if totals.delivery_minor == 0 { "Free".to_string() } else { money(totals.delivery_minor) }}</dd></div>
                            <div class="flex justify-between border-t border-stone-200 pt-2 text-base font-semibold">
                                <dt>{if delivery.is_none() { "Total before delivery" } else { "Total" }}</dt>
                                <dd data-testid="checkout-total">{money(totals.total_minor)}</dd>
                            </div>
                        </dl>
                    }.into_any()
                }}
            </aside>
        </div>
    }
    .into_any()
}

#[component]
fn StepBox(number: u8, #[prop(into)] title: String, open: bool, done: bool, edit: &'static str, summary: String, children: Children) -> impl IntoView {
    let heading_id = format!("step-{number}");
    let labelled_by = heading_id.clone();
    view! {
        <li class=if open { "rounded-2xl border border-stone-300 p-5" } else { "rounded-2xl border border-stone-200 p-5" } aria-labelledby=labelled_by>
            <div class="flex items-center justify-between gap-3">
                <h2 id=heading_id class="text-lg font-semibold">
                    <span class="mr-2 inline-flex h-7 w-7 items-center justify-center rounded-full bg-stone-900 text-sm text-white" aria-hidden="true">{number}</span>
                    {title.clone()}
                    {done.then(|| view! { <span class="sr-only">" (done)"</span> })}
                </h2>
                {(done && !open).then(|| view! { <a href=format!("/checkout?edit={edit}") class=format!("text-sm {LINK}")>"Change"<span class="sr-only">{format!(" {}", title.to_lowercase())}</span></a> })}
            </div>
            {(done && !open && !summary.is_empty()).then(|| view! { <p class="mt-2 text-sm text-stone-600">{summary}</p> })}
            {if open { Some(view! { <div class="mt-4">{children()}</div> }) } else { None }}
        </li>
    }
}

fn flash_error(flash: &Option<FormFlash>, form: &str) -> Signal<Option<AppError>> {
    let error = FormFlash::of(flash, form).and_then(|f| f.error);
    Signal::derive(move || error.clone())
}

#[component]
fn ContactStep(known_email: String, flash: Option<FormFlash>) -> impl IntoView {
    let mine = FormFlash::of(&flash, "checkout-contact");
    let verifying = FormFlash::at_step(&mine, "verify");
    let email = flashed(&mine, "email");
    if email.get_untracked().is_empty() {
        email.set(known_email);
    }
    let phone = flashed(&mine, "phone");
    let error = flash_error(&flash, "checkout-contact");
    let notice = mine.as_ref().and_then(|f| f.notice.clone());
    view! {
        <p class="text-sm text-stone-600">
            "We text a code to your mobile number to confirm your order. Have an account? "
            <a href="/sign-in?next=/checkout" class=LINK>"Sign in"</a>" instead."
        </p>
        <FormError error/>
        <Notice message=Signal::derive(move || notice.clone())/>
        {if verifying {
            // Where the code went and the email typed with it, the number masked; "Use
            // another number" opens the first half again with both as they were typed.
            let sent_to = Phone::parse(&phone.get_untracked()).map(|p| p.masked()).unwrap_or_else(|_| phone.get_untracked());
            let about_contact = error.get_untracked().is_some_and(|e| e.field_error("email").is_some() || e.field_error("phone").is_some());
            view! {
                <div class="mt-4 rounded-lg border border-stone-200 bg-stone-50 p-4 text-sm" data-testid="code-sent-to">
                    <dl class="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
                        <dt class="text-stone-600">"Code texted to"</dt>
                        <dd class="font-medium text-stone-900" data-testid="code-phone">{sent_to}</dd>
                        <dt class="text-stone-600">"Email"</dt>
                        <dd class="break-all font-medium text-stone-900" data-testid="code-email">{email.get_untracked()}</dd>
                    </dl>
                    <details class="mt-3" open=about_contact>
                        <summary class=format!("w-fit cursor-pointer {LINK}")>"Use another number"</summary>
                        <ContactFields email phone error button="Text me a new code"/>
                    </details>
                </div>
                <form method="post" action=CheckoutVerifyCode::url() class="mt-4 space-y-4">
                    <input type="hidden" name="email" value=email.get_untracked()/>
                    <input type="hidden" name="phone" value=phone.get_untracked()/>
                    <Field label="6-digit code" name="code" value=RwSignal::new(String::new()) error autocomplete="one-time-code" inputmode="numeric" required=true/>
                    <button type="submit" class=BUTTON_PRIMARY>"Confirm number"</button>
                </form>
            }
            .into_any()
        } else {
            view! { <ContactFields email phone error button="Text me a code"/> }.into_any()
        }}
    }
}

/// The first half of the contact step: email and mobile number, which get a code.
#[component]
fn ContactFields(email: RwSignal<String>, phone: RwSignal<String>, error: Signal<Option<AppError>>, button: &'static str) -> impl IntoView {
    view! {
        <form method="post" action=CheckoutSendCode::url() class="mt-4 space-y-4">
            <Field label="Email" name="email" value=email error input_type="email" autocomplete="email" required=true
                hint="For your order confirmation and delivery updates."/>
            <Field label="Mobile number" name="phone" value=phone error input_type="tel" autocomplete="tel" required=true
                hint="With the country code, like +1 555 010 0100."/>
            <button type="submit" class=BUTTON_PRIMARY>{button}</button>
        </form>
    }
}

#[component]
fn AddressStep(view: CheckoutView, flash: Option<FormFlash>) -> impl IntoView {
    let mine = FormFlash::of(&flash, "checkout-address");
    let error = flash_error(&flash, "checkout-address");
    let query = use_query_map();
    // A value typed before "Show choices" (no JavaScript) comes back in the query.
    let typed = |field: &str| {
        query.with_untracked(|q| q.get(field)).or_else(|| mine.as_ref().map(|f| f.value(field))).unwrap_or_default()
    };
    let field = |name: &str| RwSignal::new(typed(name));
    let (recipient_name, phone, line1, line2, postal_code) = (field("recipient_name"), field("phone"), field("line1"), field("line2"), field("postal_code"));
    if phone.get_untracked().is_empty() {
        phone.set(view.contact.as_ref().map(|c| c.phone.clone()).unwrap_or_default());
    }
    let chosen = |name: &str| Uuid::parse_str(&typed(name)).ok();
    let (country, state, city) = (chosen("country"), chosen("state"), chosen("city"));
    let places = Resource::new(
        move || (country, state),
        |(country, state)| async move {
            let states = match country {
                Some(c) => get_states(c).await.unwrap_or_default(),
                None => Vec::new(),
            };
            let cities = match state.filter(|s| states.iter().any(|p| p.id == *s)) {
                Some(s) => get_cities(s).await.unwrap_or_default(),
                None => Vec::new(),
            };
            (states, cities)
        },
    );
    let saved = view.addresses.clone();
    let countries = view.countries.clone();
    view! {
        <FormError error/>
        {(!saved.is_empty()).then(|| view! {
            <form method="post" action=CheckoutAddress::url() class="space-y-3">
                <fieldset>
                    <legend class="text-sm font-semibold">"Your addresses"</legend>
                    <div class="mt-2 space-y-2">
                        {saved.iter().enumerate().map(|(i, a)| view! {
                            <label class="flex gap-3 rounded-lg border border-stone-200 p-3 text-sm has-[:checked]:border-stone-900">
                                <input type="radio" name="saved" value=a.id.to_string() checked=i == 0 class="mt-1"/>
                                <span>{a.address.lines().join(", ")}{a.is_default.then_some(" (default)")}</span>
                            </label>
                        }).collect_view()}
                    </div>
                </fieldset>
                <button type="submit" class=BUTTON_PRIMARY>"Deliver here"</button>
            </form>
            <p class="my-5 text-sm font-semibold text-stone-700">"Or a new address"</p>
        })}
        <form method="post" action=CheckoutAddress::url() class="space-y-4" data-testid="new-address">
            <Field label="Recipient's name" name="recipient_name" value=recipient_name error autocomplete="name" required=true/>
            <Field label="Recipient's phone" name="phone" value=phone error input_type="tel" autocomplete="tel" required=true/>
            <Suspense fallback=|| ()>
                {move || places.get().map(|(states, cities)| view! {
                    <PlacePicker countries=countries.clone() states cities country state city error=error.get_untracked()/>
                })}
            </Suspense>
            <Field label="Street address" name="line1" value=line1 error autocomplete="address-line1" required=true/>
            <Field label="Apartment, suite, etc. (optional)" name="line2" value=line2 error autocomplete="address-line2"/>
            <Field label="Postal code" name="postal_code" value=postal_code error autocomplete="postal-code" required=true/>
            <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="make_default" value="true"/>"Save as my default address"</label>
            <button type="submit" class=BUTTON_PRIMARY>"Deliver to this address"</button>
        </form>
    }
}

/// Country → state → city, from the lists staff keep. With JavaScript the next list
/// loads as soon as one is chosen; without it, "Show choices" reloads the page with the
/// narrowed lists (and keeps what was typed).
#[island]
fn PlacePicker(
    countries: Vec<Place>,
    states: Vec<Place>,
    cities: Vec<Place>,
    country: Option<Uuid>,
    state: Option<Uuid>,
    city: Option<Uuid>,
    error: Option<AppError>,
) -> impl IntoView {
    let (country, set_country) = signal(country);
    let (state, set_state) = signal(state);
    let (states, set_states) = signal(states);
    let (cities, set_cities) = signal(cities);
    let (enhanced, set_enhanced) = signal(false);
    let load_states = Action::new(move |c: &Uuid| {
        let c = *c;
        async move { set_states.set(get_states(c).await.unwrap_or_default()) }
    });
    // A country chosen while the page was still loading (before this island came alive)
    // changed no signal: pick it up from the element once it is ours.
    let country_select = NodeRef::<leptos::html::Select>::new();
    Effect::new(move || {
        if let Some(select) = country_select.get() {
            let chosen = Uuid::parse_str(&select.value()).ok();
            if chosen != country.get_untracked() {
                set_country.set(chosen);
                if let Some(c) = chosen {
                    load_states.dispatch(c);
                }
            }
            set_enhanced.set(true);
        }
    });
    let load_cities = Action::new(move |s: &Uuid| {
        let s = *s;
        async move { set_cities.set(get_cities(s).await.unwrap_or_default()) }
    });
    let message = move |field: &str| error.as_ref().and_then(|e| e.field_error(field));
    let select = "mt-1 block w-full rounded-lg border border-stone-300 bg-white px-3 py-2 text-base aria-[invalid=true]:border-red-600";
    let options = move |list: Vec<Place>, chosen: Option<Uuid>| {
        list.into_iter().map(|p| view! { <option value=p.id.to_string() selected=chosen == Some(p.id)>{p.name}</option> }).collect_view()
    };
    let (country_error, state_error, city_error) = (message("country"), message("state"), message("city"));
    view! {
        <div class="grid gap-4 sm:grid-cols-3">
            <div>
                <label for="field-country" class="block text-sm font-medium">"Country"</label>
                <select id="field-country" name="country" class=select autocomplete="country-name" required node_ref=country_select
                    aria-invalid=country_error.is_some().to_string() aria-describedby="field-country-error"
                    on:change=move |ev| {
                        let c = Uuid::parse_str(&event_target_value(&ev)).ok();
                        set_country.set(c);
                        set_state.set(None);
                        set_states.set(Vec::new());
                        set_cities.set(Vec::new());
                        if let Some(c) = c { load_states.dispatch(c); }
                    }>
                    <option value="">"Choose…"</option>
                    {options(countries, country.get_untracked())}
                </select>
                <p id="field-country-error" class="text-sm text-red-700">{country_error}</p>
            </div>
            <div>
                <label for="field-state" class="block text-sm font-medium">"State / region"</label>
                <select id="field-state" name="state" class=select required disabled=move || country.get().is_none()
                    aria-invalid=state_error.is_some().to_string() aria-describedby="field-state-error"
                    on:change=move |ev| {
                        let s = Uuid::parse_str(&event_target_value(&ev)).ok();
                        set_state.set(s);
                        set_cities.set(Vec::new());
                        if let Some(s) = s { load_cities.dispatch(s); }
                    }>
                    <option value="">"Choose…"</option>
                    {move || options(states.get(), state.get_untracked())}
                </select>
                <p id="field-state-error" class="text-sm text-red-700">{state_error}</p>
            </div>
            <div>
                <label for="field-city" class="block text-sm font-medium">"City"</label>
                <select id="field-city" name="city" class=select required disabled=move || state.get().is_none()
                    aria-invalid=city_error.is_some().to_string() aria-describedby="field-city-error">
                    <option value="">"Choose…"</option>
                    {move || options(cities.get(), city)}
                </select>
                <p id="field-city-error" class="text-sm text-red-700">{city_error}</p>
            </div>
        </div>
        <Show when=move || !enhanced.get()>
            <button type="submit" formmethod="get" formaction="/checkout" formnovalidate class=format!("mt-2 {BUTTON_SECONDARY}")>"Show choices"</button>
        </Show>
    }
}

#[component]
fn DeliveryStep(view: CheckoutView, flash: Option<FormFlash>) -> impl IntoView {
    let mine = FormFlash::of(&flash, "checkout-delivery");
    let error = flash_error(&flash, "checkout-delivery");
    let coupon = RwSignal::new(mine.as_ref().map(|f| f.value("coupon")).or(view.coupon.clone()).unwrap_or_default());
    let current = view.delivery.unwrap_or_default();
    let currency = view.cart.currency.clone();
    view! {
        <form method="post" action=CheckoutDelivery::url() class="space-y-5">
            <FormError error/>
            <fieldset>
                <legend class="text-sm font-semibold">"Delivery method"</legend>
                <div class="mt-2 space-y-2">
                    {view.delivery_prices.iter().map(|(method, price)| view! {
                        <label class="flex items-center justify-between gap-3 rounded-lg border border-stone-200 p-3 text-sm has-[:checked]:border-stone-900">
                            <span class="flex items-center gap-3">
                                <input type="radio" name="delivery" value=method.as_str() checked=*method == current/>
                                {method.label()}
                            </span>
                            <span class="font-medium">{if *price == 0 { "Free".to_string() } else { Money::new(*price, currency.clone()).to_string() }}</span>
                        </label>
                    }).collect_view()}
                </div>
            </fieldset>
            <Field label="Promo code (optional)" name="coupon" value=coupon error autocomplete="off"/>
            <button type="submit" class=BUTTON_PRIMARY>"Continue to review"</button>
        </form>
    }
}

/// What changed in the cart since the shopper saw it, line by line (a size that sold out
/// while they were paying, fewer left, a new price), with the refusal of the order when
/// that is how they found out, and the way to the cart to accept the changes.
#[component]
fn CartChanged(cart: CartView, flash: Option<FormFlash>) -> impl IntoView {
    let refusal = FormFlash::of(&flash, "checkout-place").and_then(|f| f.error).map(|e| e.to_string());
    let changed: Vec<String> = cart
        .lines
        .iter()
        .filter_map(|l| l.issue.map(|issue| format!("{} ({}, {}): {}", l.product_name, l.colour_name, l.size_label, issue.message(&l.currency))))
        .collect();
    view! {
        <div role="alert" class="rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950" data-testid="cart-changed">
            <p class="font-semibold">{refusal.unwrap_or_else(|| "Some items in your cart changed since you added them.".into())}</p>
            <ul class="mt-2 list-disc space-y-1 pl-5">{changed.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
            <p class="mt-3"><a href="/cart" class=LINK>"Review your cart"</a>" to continue."</p>
        </div>
    }
}

#[component]
fn ReviewStep(view: CheckoutView, flash: Option<FormFlash>) -> impl IntoView {
    if view.cart.needs_review() {
        return view! { <CartChanged cart=view.cart flash/> }.into_any();
    }
    let error = flash_error(&flash, "checkout-place");
    let first = view.payment_methods.first().copied().unwrap_or(PaymentMethod::CashOnDelivery);
    view! {
        <form method="post" action=PlaceOrder::url() class="space-y-5">
            <FormError error/>
            <input type="hidden" name="key" value=view.order_key.clone()/>
            <input type="hidden" name="expected_total" value=view.totals.total_minor.to_string()/>
            <fieldset>
                <legend class="text-sm font-semibold">"Payment"</legend>
                <div class="mt-2 space-y-2">
                    {view.payment_methods.iter().map(|m| view! {
                        <label class="flex items-center gap-3 rounded-lg border border-stone-200 p-3 text-sm has-[:checked]:border-stone-900">
                            <input type="radio" name="payment" value=m.as_str() checked=*m == first/>
                            {m.label()}
                        </label>
                    }).collect_view()}
                </div>
            </fieldset>
            <p class="text-sm text-stone-600">"By placing the order you agree to pay the total shown. Card payments happen on Stripe's secure page."</p>
            <button type="submit" class=BUTTON_PRIMARY>{format!("Place order · {}", Money::new(view.totals.total_minor, view.cart.currency.clone()))}</button>
        </form>
    }
    .into_any()
}
