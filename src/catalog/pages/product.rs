use crate::{
    cart::{add_to_cart, added_message, AddToCart},
    catalog::{
        api::get_product,
        components::ProductGrid,
        types::{ColourOption, ProductDetail},
    },
    error::AppError,
    forms::{form_outcome, latest_error, latest_notice, FormFlash},
    media::Picture,
    money::Money,
    reviews::components::ReviewsSection,
    ui::{described_by, invalid, PageTitle, Breadcrumbs, ColourDot, Crumb, ErrorPage, JsonLd, Price, Rating, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
    wishlist::{components::WishlistButton, wishlist_contains},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::{Link, Meta};
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn ProductPage() -> impl IntoView {
    let slug = use_params_map().with_untracked(|p| p.get("slug").unwrap_or_default());
    let product = Resource::new(move || (), move |_| get_product(slug.clone()));
    let outcome = form_outcome();
    view! {
        <Suspense fallback=|| view! { <p class="p-8 text-stone-500">"Loading…"</p> }>
            {move || product.get().map(|result| match result {
                Ok(product) => view! { <ProductView product flash=outcome.get().flatten()/> }.into_any(),
                Err(err) => view! { <ErrorPage error=err/> }.into_any(),
            })}
        </Suspense>
    }
}

fn absolute(site: &str, url: &str) -> String {
    if url.starts_with("http") { url.to_owned() } else { format!("{site}{url}") }
}

fn json_ld(p: &ProductDetail) -> serde_json::Value {
    let images: Vec<String> = p.colours.iter().flat_map(|c| c.images.iter().map(|i| absolute(&p.site_url, &i.url))).take(6).collect();
    let price = |m: &Money| format!("{}.{:02}", m.minor / 100, m.minor % 100);
    let mut value = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "name": p.name,
        "description": p.description,
        "image": images,
        "sku": p.colours.first().and_then(|c| c.sizes.first()).map(|s| s.sku.clone()),
        "brand": { "@type": "Brand", "name": p.brand },
        "url": p.canonical_url,
        "offers": {
            "@type": "Offer",
            "url": p.canonical_url,
            "priceCurrency": p.price.currency,
            "price": price(&p.price),
            "availability": if p.in_stock() { "https://schema.org/InStock" } else { "https://schema.org/OutOfStock" },
            "itemCondition": "https://schema.org/NewCondition",
        },
    });
    if p.rating_count > 0 {
        value["aggregateRating"] = serde_json::json!({
            "@type": "AggregateRating",
            "ratingValue": format!("{}.{}", p.rating_avg_x10 / 10, p.rating_avg_x10 % 10),
            "reviewCount": p.rating_count,
        });
    }
    value
}

#[component]
fn ProductView(product: ProductDetail, flash: Option<FormFlash>) -> impl IntoView {
    let initial_colour = use_query_map().with_untracked(|q| q.get("colour")).unwrap_or_default();
    let saved = Resource::new(move || (), move |_| wishlist_contains(product.id));
    let description: String = product.description.chars().take(155).collect();
    let og_image = product.colours.first().and_then(|c| c.images.first()).map(|i| absolute(&product.site_url, &i.url));
    let mut crumbs = vec![Crumb { name: "Home".into(), path: "/".into() }];
    if let Some(category) = &product.category {
        crumbs.push(Crumb { name: category.name.clone(), path: format!("/c/{}", category.slug) });
    }
    crumbs.push(Crumb { name: product.name.clone(), path: format!("/p/{}", product.slug) });
    let product_id = product.id;
    let wishlist_flash = FormFlash::of(&flash, "wishlist");
    view! {
        <PageTitle text=format!("{} — Larkspur", product.name)/>
        <Meta name="description" content=description.clone()/>
        <Link rel="canonical" href=product.canonical_url.clone()/>
        <Meta property="og:type" content="product"/>
        <Meta property="og:title" content=product.name.clone()/>
        <Meta property="og:description" content=description/>
        <Meta property="og:url" content=product.canonical_url.clone()/>
        {og_image.map(|src| view! { <Meta property="og:image" content=src/> })}
        <Meta property="product:price:amount" content=format!("{}.{:02}", product.price.minor / 100, product.price.minor % 100)/>
        <Meta property="product:price:currency" content=product.price.currency.clone()/>
        <JsonLd value=json_ld(&product)/>
        <div class="mx-auto max-w-7xl px-4 py-8 sm:px-6 lg:px-8">
            <Breadcrumbs crumbs site_url=product.site_url.clone()/>
            <div class="mt-6">
                <ProductPurchase
                    name=product.name.clone()
                    colours=product.colours.clone()
                    price=product.price.clone()
                    compare_at=product.compare_at.clone()
                    initial_colour
                    rating_avg_x10=product.rating_avg_x10
                    rating_count=product.rating_count
                    flash=FormFlash::of(&flash, "add-to-cart")
                />
                <div class="mt-4 lg:ml-[calc(50%+1.5rem)]">
                    <WaitForSize colours=product.colours.clone() flash=FormFlash::of(&flash, "watch-size")/>
                    <Suspense fallback=|| ()>
                        {move || saved.get().map(|s| view! { <WishlistButton product_id saved=s.unwrap_or(false) compact=false flash=wishlist_flash.clone()/> })}
                    </Suspense>
                    <section class="mt-8" aria-labelledby="about">
                        <h2 id="about" class="text-lg font-semibold text-stone-900">"About this product"</h2>
                        <p class="mt-2 leading-relaxed text-stone-700">{product.description.clone()}</p>
                    </section>
                </div>
            </div>
            <ReviewsSection product_id flash=FormFlash::of(&flash, "review")/>
            {(!product.bought_together.is_empty()).then(|| view! {
                <section class="mt-16" aria-labelledby="bought-together">
                    <h2 id="bought-together" class="text-2xl font-semibold tracking-tight text-stone-900">"Often bought together"</h2>
                    <div class="mt-6"><ProductGrid cards=product.bought_together.clone() label="Often bought together"/></div>
                </section>
            })}
            {(!product.related.is_empty()).then(|| view! {
                <section class="mt-16" aria-labelledby="related">
                    <h2 id="related" class="text-2xl font-semibold tracking-tight text-stone-900">"You may also like"</h2>
                    <div class="mt-6"><ProductGrid cards=product.related.clone() label="You may also like"/></div>
                </section>
            })}
        </div>
    }
}

/// "Tell me when it's back" for the sold-out sizes: a plain form (it needs no script), whose
/// answer comes back as the page's flash.
#[component]
fn WaitForSize(colours: Vec<ColourOption>, flash: Option<FormFlash>) -> impl IntoView {
    let several = colours.len() > 1;
    let sold_out: Vec<(String, String)> = colours
        .iter()
        .flat_map(|c| {
            c.sizes.iter().filter(|s| s.available <= 0).map(move |s| {
                let label = if several { format!("{} — {}", c.name, s.label) } else { s.label.clone() };
                (s.variant_id.to_string(), label)
            })
        })
        .collect();
    if sold_out.is_empty() {
        return None;
    }
    let notice = flash.as_ref().and_then(|f| f.notice.clone());
    let error = flash.and_then(|f| f.error);
    Some(view! {
        <form method="post" action=crate::wishlist::WatchSize::url() class="mb-6 rounded-xl border border-stone-200 bg-stone-50 p-4">
            <label for="watch-size" class="block text-sm font-medium text-stone-900">"Size sold out? We'll tell you when it's back"</label>
            <div class="mt-2 flex flex-wrap gap-2">
                <select id="watch-size" name="variant_id" class="rounded-lg border border-stone-300 bg-white px-3 py-2 text-sm"
                    aria-describedby=error.is_some().then_some("watch-size-error")>
                    {sold_out.into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()}
                </select>
                <button type="submit" class=BUTTON_SECONDARY>"Notify me"</button>
            </div>
            {notice.map(|n| view! { <p role="status" class="mt-2 text-sm text-emerald-900">{n}" "<a href="/account/notifications/settings" class=LINK>"Notification settings"</a></p> })}
            {error.map(|e| view! { <p id="watch-size-error" role="alert" class="mt-2 text-sm text-red-700">{e.field_error("variant_id").unwrap_or_else(|| e.to_string())}</p> })}
        </form>
    })
}

/// Gallery, colour and size pickers, quantity and "Add to cart": switching colour changes
/// the images and the sizes' availability without a reload.
#[island]
fn ProductPurchase(
    name: String,
    colours: Vec<ColourOption>,
    price: Money,
    compare_at: Option<Money>,
    initial_colour: String,
    rating_avg_x10: i32,
    rating_count: i32,
    flash: Option<FormFlash>,
) -> impl IntoView {
    let start = colours.iter().position(|c| c.slug == initial_colour).unwrap_or(0);
    let colours = StoredValue::new(colours);
    let (colour, set_colour) = signal(start);
    let (image, set_image) = signal(0usize);
    let (size, set_size) = signal(None::<usize>);
    let quantity = RwSignal::new(flash.as_ref().and_then(|f| f.value("quantity").parse().ok()).unwrap_or(1i32));
    let current = move || colours.with_value(|c| c.get(colour.get()).cloned());
    let add = Action::new(move |(variant, qty): &(Option<uuid::Uuid>, i32)| add_to_cart(*variant, *qty));
    let added = latest_notice(move || add.value().get(), added_message, &flash);
    Effect::new(move || {
        if let Some(Ok(count)) = add.value().get() {
            crate::cart::components::publish_count(count);
        }
    });
    let error = latest_error(move || add.value().get().map(Result::err), &flash);
    // Which control a refusal is about, for aria-invalid and aria-describedby.
    let refused = move |field: &'static str| error.get().is_some_and(|e: AppError| e.field_error(field).is_some());
    let chosen = move || current().and_then(|c| size.get().and_then(|i| c.sizes.get(i).cloned()));
    let availability = move || match chosen() {
        None => {
            let any = current().is_some_and(|c| c.sizes.iter().any(|s| s.available > 0));
            if any { "Choose a size".to_string() } else { "Sold out in this colour".to_string() }
        }
        Some(s) if s.available <= 0 => "Out of stock".to_string(),
        Some(s) if s.available <= 5 => format!("Only {} left", s.available),
        Some(_) => "In stock".to_string(),
    };
    // Set once the island runs in the browser: the no-JavaScript colour button goes away.
    let (enhanced, set_enhanced) = signal(false);
    Effect::new(move || set_enhanced.set(true));
    let one_size = colours.with_value(|c| c.iter().all(|c| c.sizes.len() == 1));
    if one_size && colours.with_value(|c| c.get(start).is_some_and(|c| c.sizes.first().is_some_and(|s| s.available > 0))) {
        set_size.set(Some(0));
    }
    view! {
        <div class="grid gap-8 lg:grid-cols-2 lg:gap-12">
            <div>
                <div class="aspect-[4/5] overflow-hidden rounded-2xl bg-stone-100">
                    {move || current().and_then(|c| c.images.get(image.get()).or(c.images.first()).cloned()).map(|img| view! {
                        <Picture url=img.url alt=img.alt widths=img.widths sizes="(min-width: 1024px) 50vw, 100vw"
                            class="h-full w-full object-cover" testid="main-image" width="800" height="1000" priority=true/>
                    })}
                </div>
                <ul class="mt-4 flex gap-3" aria-label="More images">
                    {move || current().map(|c| c.images.into_iter().enumerate().map(|(i, img)| view! {
                        <li>
                            <button type="button" class="h-20 w-16 overflow-hidden rounded-lg ring-2 ring-transparent aria-pressed:ring-emerald-700 focus-visible:outline-2 focus-visible:outline-emerald-700"
                                aria-pressed=move || (image.get() == i).to_string() on:click=move |_| set_image.set(i)>
                                <Picture url=img.url alt=format!("Show image {}", i + 1) widths=img.widths sizes="64px"
                                    class="h-full w-full object-cover" width="64" height="80"/>
                            </button>
                        </li>
                    }).collect_view())}
                </ul>
            </div>
            <div>
                <h1 class="text-3xl font-semibold tracking-tight text-stone-900">{name}</h1>
                <div class="mt-2 text-lg" data-testid="price"><Price price compare_at/></div>
                <Rating avg_x10=rating_avg_x10 count=rating_count/>
                // Without JavaScript, "Show this colour" reloads the page with its sizes.
                <form method="get" class="mt-6">
                <fieldset>
                    <legend class="text-sm font-semibold text-stone-900">
                        "Colour: "<span data-testid="colour-name">{move || current().map(|c| c.name).unwrap_or_default()}</span>
                    </legend>
                    <div class="mt-3 flex flex-wrap gap-3">
                        {colours.with_value(|cs| cs.iter().enumerate().map(|(i, c)| {
                            let (label, hex) = (c.name.clone(), c.hex.clone());
                            view! {
                                <label class="cursor-pointer">
                                    <input type="radio" name="colour" class="peer sr-only" value=c.slug.clone()
                                        prop:checked=move || colour.get() == i
                                        on:change=move |_| { set_colour.set(i); set_image.set(0); set_size.set(None); }/>
                                    <span class="block h-9 w-9 rounded-full ring-1 ring-black/20 ring-offset-2 peer-checked:ring-2 peer-checked:ring-emerald-800 peer-focus-visible:outline-2 peer-focus-visible:outline-emerald-700"
                                        title=label.clone()><ColourDot hex class="block h-full w-full"/></span>
                                    <span class="sr-only">{label}</span>
                                </label>
                            }
                        }).collect_view())}
                    </div>
                </fieldset>
                <Show when=move || !enhanced.get()>
                    <button type="submit" class=format!("mt-3 {BUTTON_SECONDARY}")>"Show this colour"</button>
                </Show>
                </form>
                <fieldset class="mt-6">
                    <legend class="text-sm font-semibold text-stone-900">"Size"</legend>
                    <div class="mt-3 flex flex-wrap gap-2">
                        {move || current().map(|c| c.sizes.into_iter().enumerate().map(|(i, s)| {
                            let sold_out = s.available <= 0;
                            view! {
                                <label class=if sold_out { "cursor-not-allowed" } else { "cursor-pointer" }>
                                    <input type="radio" name="variant_id" form="add-to-cart" class="peer sr-only" value=s.variant_id.to_string() disabled=sold_out
                                        checked=size.get_untracked() == Some(i)
                                        prop:checked=move || size.get() == Some(i) on:change=move |_| set_size.set(Some(i))
                                        aria-invalid=move || invalid(refused("variant_id"))
                                        aria-describedby=move || described_by([refused("variant_id").then_some("add-to-cart-error")])/>
                                    <span class=if sold_out {
                                        "block min-w-12 rounded-lg border border-stone-200 px-3 py-2 text-center text-sm text-stone-400 line-through"
                                    } else {
                                        "block min-w-12 rounded-lg border border-stone-300 px-3 py-2 text-center text-sm text-stone-900 peer-checked:border-stone-900 peer-checked:bg-stone-900 peer-checked:text-white peer-focus-visible:outline-2 peer-focus-visible:outline-emerald-700"
                                    }>{s.label.clone()}{sold_out.then(|| view! { <span class="sr-only">" (sold out)"</span> })}</span>
                                </label>
                            }
                        }).collect_view())}
                    </div>
                </fieldset>
                <p class="mt-4 text-sm font-medium text-stone-700" data-testid="availability" aria-live="polite">{availability}</p>
                // The size radios belong to this form (`form=`), so it posts the chosen size
                // before the page hydrates too.
                <form id="add-to-cart" method="post" action=AddToCart::url() class="mt-6 flex flex-wrap items-end gap-3" on:submit=move |ev| {
                    ev.prevent_default();
                    if !add.pending().get_untracked() {
                        add.dispatch((chosen().map(|s| s.variant_id), quantity.get_untracked()));
                    }
                }>
                    <div>
                        <label for="quantity" class="block text-sm font-medium text-stone-800">"Quantity"</label>
                        <input id="quantity" name="quantity" type="number" min="1" max=crate::cart::MAX_LINE_QUANTITY.to_string() inputmode="numeric"
                            class="mt-1 w-20 rounded-lg border border-stone-300 px-3 py-2" value=quantity.get_untracked().to_string()
                            prop:value=move || quantity.get().to_string()
                            on:input=move |ev| quantity.set(event_target_value(&ev).parse().unwrap_or(1))
                            aria-invalid=move || invalid(refused("quantity"))
                            aria-describedby=move || described_by([refused("quantity").then_some("add-to-cart-error")])/>
                    </div>
                    // Not `disabled` while the request runs: that would drop keyboard focus.
                    <button type="submit" class=BUTTON_PRIMARY disabled=move || chosen().is_some_and(|s| s.available <= 0)
                        aria-busy=move || add.pending().get().to_string()>
                        "Add to cart"
                    </button>
                </form>
                {move || added.get().map(|message| view! {
                    <p role="status" class="mt-3 text-sm text-emerald-900">
                        {message}" "<a href="/cart" class=LINK>"View cart"</a>
                    </p>
                })}
                {move || error.get().map(|e: AppError| view! {
                    <p id="add-to-cart-error" role="alert" class="mt-3 text-sm text-red-700">
                        {e.field_error("variant_id").or_else(|| e.field_error("quantity")).unwrap_or_else(|| e.to_string())}
                    </p>
                })}
            </div>
        </div>
    }
}
