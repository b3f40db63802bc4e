use crate::{
    catalog::{
        api::{get_home_page, more_new_arrivals},
        components::{ProductGrid, ProductTile, PRODUCT_GRID},
        types::{Banner, CollectionTile, HomePage as HomeData, ProductCard, NEW_ARRIVALS_PAGE},
    },
    media::Picture,
    ui::{PageTitle, ErrorNotice, SectionHeading},
};
use leptos::prelude::*;
use leptos_meta::{Link, Meta};

#[component]
pub fn HomePage() -> impl IntoView {
    let page = Resource::new(|| (), |_| get_home_page());
    view! {
        <PageTitle text="Larkspur — considered clothing and everyday tech"/>
        <Meta name="description" content="Shop hoodies, jackets, sneakers, bags and audio gear from Larkspur, with 30-day returns."/>
        <Suspense fallback=|| view! { <p class="p-8 text-stone-500">"Loading…"</p> }>
            {move || page.get().map(|result| match result {
                Ok(data) => view! { <HomeSections data/> }.into_any(),
                Err(err) => view! { <ErrorNotice error=err/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn HomeSections(data: HomeData) -> impl IntoView {
    let HomeData { banners, categories, collections, new_arrivals, best_sellers, articles, canonical_url } = data;
    let first_page_full = new_arrivals.len() as i64 == NEW_ARRIVALS_PAGE;
    view! {
        <Link rel="canonical" href=canonical_url/>
        <Meta property="og:title" content="Larkspur"/>
        <Meta property="og:type" content="website"/>
        {
            let mut banners = banners.into_iter();
            let hero = banners.next().map(|banner| view! { <Hero banner/> });
            let more: Vec<Banner> = banners.collect();
            view! {
                {hero}
                {(!more.is_empty()).then(|| view! { <MoreBanners banners=more/> })}
            }
        }
        <section class="mx-auto max-w-7xl px-4 py-10 sm:px-6 lg:px-8" aria-labelledby="shop-by-category">
            <SectionHeading id="shop-by-category" title="Shop by category"/>
            <ul class="mt-6 grid grid-cols-2 gap-3 sm:grid-cols-4 lg:grid-cols-7">
                {categories.into_iter().map(|c| view! {
                    <li>
                        <a href=format!("/c/{}", c.slug)
                            class="flex h-20 items-center justify-center rounded-xl border border-stone-200 bg-white px-3 text-center text-sm font-medium text-stone-800 shadow-sm transition hover:border-emerald-700 hover:text-emerald-800 focus-visible:outline-2 focus-visible:outline-emerald-700">
                            {c.name}
                        </a>
                    </li>
                }).collect_view()}
            </ul>
        </section>
        <section class="mx-auto max-w-7xl px-4 pb-12 sm:px-6 lg:px-8" aria-labelledby="new-arrivals">
            <SectionHeading id="new-arrivals" title="New arrivals"/>
            <div class="mt-6">
                <ProductGrid cards=new_arrivals label="New arrivals"/>
                {first_page_full.then(|| view! { <MoreNewArrivals start=NEW_ARRIVALS_PAGE/> })}
            </div>
        </section>
        {(!collections.is_empty()).then(|| view! { <Collections collections/> })}
        {(!best_sellers.is_empty()).then(|| view! {
            <section class="mx-auto max-w-7xl px-4 py-12 sm:px-6 lg:px-8" aria-labelledby="best-sellers">
                <SectionHeading id="best-sellers" title="Best sellers"/>
                <div class="mt-6"><ProductGrid cards=best_sellers label="Best sellers"/></div>
            </section>
        })}
        {(!articles.is_empty()).then(|| view! {
            <section class="mx-auto max-w-7xl px-4 pb-12 sm:px-6 lg:px-8" aria-labelledby="journal">
                <div class="flex items-baseline justify-between">
                    <SectionHeading id="journal" title="From the journal"/>
                    <a href="/journal" class=crate::ui::LINK>"All articles"</a>
                </div>
                <div class="mt-6"><crate::cms::ArticleCards articles/></div>
            </section>
        })}
    }
}

#[component]
fn Hero(banner: Banner) -> impl IntoView {
    view! {
        <section class="relative isolate overflow-hidden bg-stone-900">
            <Picture url=banner.image_url alt=banner.image_alt widths=banner.image_widths sizes="100vw"
                class="absolute inset-0 -z-10 h-full w-full object-cover opacity-70" width="1600" height="700" priority=true/>
            <div class="mx-auto max-w-7xl px-4 py-20 sm:px-6 sm:py-28 lg:px-8">
                <h1 class="max-w-xl text-4xl font-semibold tracking-tight text-white sm:text-5xl">{banner.title}</h1>
                <p class="mt-4 max-w-lg text-lg text-stone-100">{banner.subtitle}</p>
                {(!banner.button_text.is_empty()).then(|| view! {
                    <a href=format!("/b/{}", banner.id)
                        class="mt-8 inline-flex rounded-full bg-white px-6 py-3 text-sm font-semibold text-stone-900 shadow hover:bg-emerald-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-white">
                        {banner.button_text}
                    </a>
                })}
            </div>
        </section>
    }
}

/// The banners after the first, in staff order: each with its image, words and button.
#[component]
fn MoreBanners(banners: Vec<Banner>) -> impl IntoView {
    view! {
        <section class="mx-auto max-w-7xl px-4 pt-10 sm:px-6 lg:px-8" aria-label="Promotions">
            <ul class="grid gap-6 md:grid-cols-3">
                {banners.into_iter().map(|banner| view! {
                    <li class="flex flex-col overflow-hidden rounded-2xl border border-stone-200 bg-white shadow-sm" data-testid="promo-banner">
                        <Picture url=banner.image_url alt=banner.image_alt widths=banner.image_widths sizes="(min-width: 768px) 33vw, 100vw"
                            class="aspect-[16/7] w-full object-cover" width="640" height="280" lazy=true/>
                        <div class="flex flex-1 flex-col p-5">
                            <h2 class="text-lg font-semibold text-stone-900">{banner.title}</h2>
                            {(!banner.subtitle.is_empty()).then(|| view! { <p class="mt-1 text-sm text-stone-600">{banner.subtitle}</p> })}
                            {(!banner.button_text.is_empty()).then(|| view! {
                                <a href=format!("/b/{}", banner.id) class=format!("{} mt-4 self-start", crate::ui::BUTTON_PRIMARY)>{banner.button_text}</a>
                            })}
                        </div>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn Collections(collections: Vec<CollectionTile>) -> impl IntoView {
    view! {
        <section class="bg-stone-100" aria-labelledby="featured-collections">
            <div class="mx-auto max-w-7xl px-4 py-12 sm:px-6 lg:px-8">
                <SectionHeading id="featured-collections" title="Featured collections"/>
                <ul class="mt-6 grid gap-6 md:grid-cols-3">
                    {collections.into_iter().map(|c| view! {
                        <li class="overflow-hidden rounded-2xl bg-white shadow-sm">
                            <a href=format!("/collections/{}", c.slug) class="block focus-visible:outline-2 focus-visible:outline-emerald-700">
                                {c.image_url.map(|src| view! { <img src=src alt="" class="aspect-[16/9] w-full object-cover" loading="lazy"/> })}
                                <div class="p-5">
                                    <h3 class="text-lg font-semibold text-stone-900">{c.name}</h3>
                                    <p class="mt-1 text-sm text-stone-600">{c.description}</p>
                                </div>
                            </a>
                        </li>
                    }).collect_view()}
                </ul>
            </div>
        </section>
    }
}

/// Loads further pages of new arrivals in place (a server function round trip).
#[island]
fn MoreNewArrivals(start: i64) -> impl IntoView {
    let (cards, set_cards) = signal(Vec::<ProductCard>::new());
    let (offset, set_offset) = signal(start);
    let (finished, set_finished) = signal(false);
    let (error, set_error) = signal(None::<String>);
    let load = Action::new(move |offset: &i64| more_new_arrivals(*offset));
    Effect::new(move || {
        if let Some(result) = load.value().get() {
            match result {
                Ok(page) => {
                    set_finished.set((page.len() as i64) < NEW_ARRIVALS_PAGE);
                    set_offset.update(|o| *o += page.len() as i64);
                    set_cards.update(|c| c.extend(page));
                    set_error.set(None);
                }
                Err(err) => set_error.set(Some(err.to_string())),
            }
        }
    });
    view! {
        <ul class=format!("{PRODUCT_GRID} mt-8 empty:hidden") aria-label="More new arrivals" aria-live="polite">
            <For each=move || cards.get() key=|card| card.id let:card>
                <ProductTile card/>
            </For>
        </ul>
        <div class="mt-10 flex flex-col items-center gap-2">
            <Show
                when=move || !finished.get()
                fallback=|| view! { <p class="text-sm text-stone-500">"You're all caught up on new arrivals."</p> }
            >
                <button type="button"
                    class="rounded-full border border-stone-300 bg-white px-6 py-2.5 text-sm font-semibold text-stone-900 shadow-sm hover:border-stone-900 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700 disabled:opacity-60"
                    aria-busy=move || load.pending().get().to_string()
                    disabled=move || load.pending().get()
                    on:click=move |_| { load.dispatch(offset.get_untracked()); }>
                    {move || if load.pending().get() { "Loading…" } else { "Show more" }}
                </button>
            </Show>
            {move || error.get().map(|message| view! { <p role="alert" class="text-sm text-red-700">{message}</p> })}
        </div>
    }
}
