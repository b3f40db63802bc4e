//! Category, collection and search pages: one listing with facets, sorting and paging.
//! The filter form is a plain GET form, so every state is a URL that renders on the server.

use crate::{
    catalog::{
        api::get_listing,
        components::ProductGrid,
        types::{FacetValue, Listing, Scope, Sort},
    },
    wishlist::components::heart_corner,
    ui::{PageTitle, Breadcrumbs, ColourDot, Crumb, ErrorPage, BUTTON_PRIMARY, LINK},
};
use leptos::prelude::*;
use leptos_meta::{Link, Meta};
use leptos_router::hooks::{use_params_map, use_query_map};

const QUERY_KEYS: [&str; 7] = ["colour", "size", "min", "max", "stock", "sort", "page"];

fn query_pairs() -> Vec<(String, String)> {
    use_query_map().with_untracked(|q| {
        QUERY_KEYS
            .iter()
            .flat_map(|key| q.get_all(key).unwrap_or_default().into_iter().map(move |v| (key.to_string(), v)))
            .collect()
    })
}

#[component]
pub fn CategoryPage() -> impl IntoView {
    let slug = use_params_map().with_untracked(|p| p.get("slug").unwrap_or_default());
    view! { <ListingPage scope=Scope::Category(slug)/> }
}

#[component]
pub fn CollectionPage() -> impl IntoView {
    let slug = use_params_map().with_untracked(|p| p.get("slug").unwrap_or_default());
    view! { <ListingPage scope=Scope::Collection(slug)/> }
}

#[component]
pub fn SearchPage() -> impl IntoView {
    let q = use_query_map().with_untracked(|p| p.get("q").unwrap_or_default());
    view! { <ListingPage scope=Scope::Search(q)/> }
}

#[component]
fn ListingPage(scope: Scope) -> impl IntoView {
    let pairs = query_pairs();
    let listing = Resource::new(move || (), move |_| get_listing(scope.clone(), pairs.clone()));
    view! {
        <Suspense fallback=|| view! { <p class="p-8 text-stone-500">"Loading…"</p> }>
            {move || listing.get().map(|result| match result {
                Ok(listing) => view! { <ListingView listing/> }.into_any(),
                Err(err) => view! { <ErrorPage error=err/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn ListingView(listing: Listing) -> impl IntoView {
    let is_search = listing.path == "/search";
    let query = use_query_map().with_untracked(|q| q.get("q").unwrap_or_default());
    let filters = listing.filters.clone();
    let page_url = {
        let (path, filters, default_sort, query) = (listing.path.clone(), listing.filters.clone(), listing.default_sort, query.clone());
        move |page: i64| {
            let mut f = filters.clone();
            f.page = page;
            let mut qs = f.to_query(default_sort);
            if !query.is_empty() {
                qs = if qs.is_empty() { format!("q={}", crate::text::url_encode(&query)) } else { format!("q={}&{qs}", crate::text::url_encode(&query)) };
            }
            if qs.is_empty() { path.clone() } else { format!("{path}?{qs}") }
        }
    };
    // Page 2+ and filtered states point search engines at the unfiltered listing.
    let canonical = if is_search { None } else { Some(listing.canonical_url.clone()) };
    let noindex = is_search || !filters.colours.is_empty() || !filters.sizes.is_empty() || filters.page > 1;
    let title = if filters.page > 1 { format!("{} — page {} — Larkspur", listing.title, filters.page) } else { format!("{} — Larkspur", listing.title) };
    let site = listing.canonical_url.trim_end_matches(&listing.path).to_owned();
    let crumbs = vec![Crumb { name: "Home".into(), path: "/".into() }, Crumb { name: listing.title.clone(), path: listing.path.clone() }];
    let pages = listing.pages();
    let page = filters.page;
    view! {
        <PageTitle text=title/>
        <Meta name="description" content=listing.description.clone()/>
        {canonical.map(|href| view! { <Link rel="canonical" href=href/> })}
        {noindex.then(|| view! { <Meta name="robots" content="noindex, follow"/> })}
        <Meta property="og:title" content=listing.title.clone()/>
        <Meta property="og:type" content="website"/>
        <div class="mx-auto max-w-7xl px-4 py-8 sm:px-6 lg:px-8">
            <Breadcrumbs crumbs site_url=site/>
            <header class="mt-4">
                <h1 class="text-3xl font-semibold tracking-tight text-stone-900">{listing.title.clone()}</h1>
                {(!is_search).then(|| view! { <p class="mt-2 max-w-2xl text-stone-600">{listing.description.clone()}</p> })}
                <p class="mt-2 text-sm text-stone-500" data-testid="result-count">
                    {format!("{} product{}", listing.total, if listing.total == 1 { "" } else { "s" })}
                </p>
            </header>
            <div class="mt-8 lg:grid lg:grid-cols-[16rem_1fr] lg:gap-10">
                <FilterForm listing=listing.clone() query=query.clone()/>
                <div class="mt-6 lg:mt-0">
                    {if listing.products.is_empty() {
                        view! {
                            <div class="rounded-xl border border-dashed border-stone-300 p-10 text-center text-stone-600">
                                {if is_search && query.is_empty() { "Type what you're looking for in the search box." } else { "No products match these filters." }}
                                " "<a href=listing.path.clone() class=LINK>"Clear filters"</a>
                            </div>
                        }.into_any()
                    } else {
                        // The tiles' names are h3s: a heading level between them and the page's h1.
                        view! {
                            <h2 class="sr-only">"Products"</h2>
                            <ProductGrid cards=listing.products.clone() label="Products" corner=heart_corner(listing.saved.clone().unwrap_or_default()) eager=4/>
                        }.into_any()
                    }}
                    {(pages > 1).then(|| view! {
                        <nav aria-label="Pagination" class="mt-10 flex items-center justify-between gap-4 text-sm">
                            {(page > 1).then(|| view! { <a href=page_url(page - 1) rel="prev" class=LINK>"← Previous"</a> })}
                            <span class="text-stone-600" aria-current="page">{format!("Page {page} of {pages}")}</span>
                            {(page < pages).then(|| view! { <a href=page_url(page + 1) rel="next" class=LINK>"Next →"</a> })}
                        </nav>
                    })}
                </div>
            </div>
        </div>
    }
}

#[component]
fn FilterForm(listing: Listing, query: String) -> impl IntoView {
    let f = listing.filters.clone();
    let (lo, hi) = listing.facets.price_bounds.unwrap_or((0, 0));
    let sorts: Vec<Sort> = if listing.path == "/search" {
        std::iter::once(Sort::Relevance).chain(Sort::LISTING).collect()
    } else {
        Sort::LISTING.to_vec()
    };
    let checkbox = |name: &'static str, v: FacetValue| {
        let id = format!("f-{name}-{}", v.slug);
        let label_for = id.clone();
        view! {
            <li>
                <label for=label_for class="flex cursor-pointer items-center gap-2 py-1 text-sm text-stone-700">
                    <input id=id type="checkbox" name=name value=v.slug.clone() checked=v.selected class="h-4 w-4 accent-emerald-800"/>
                    {v.hex.map(|hex| view! { <ColourDot hex class="h-4 w-4 rounded-full ring-1 ring-black/15"/> })}
                    <span class="flex-1">{v.label}</span>
                    <span class="text-xs text-stone-500">{v.count}</span>
                </label>
            </li>
        }
    };
    view! {
        <details class="group rounded-xl border border-stone-200 p-4 lg:border-0 lg:p-0" open=true>
            <summary class="cursor-pointer text-sm font-semibold text-stone-900 lg:hidden">"Filters and sorting"</summary>
            <form method="get" action=listing.path.clone() class="mt-4 space-y-6 lg:mt-0" aria-label="Filter products">
                {(!query.is_empty()).then(|| view! { <input type="hidden" name="q" value=query.clone()/> })}
                <div>
                    <label for="sort" class="block text-sm font-semibold text-stone-900">"Sort by"</label>
                    <select id="sort" name="sort" class="mt-2 w-full rounded-lg border border-stone-300 bg-white px-3 py-2 text-sm">
                        {sorts.into_iter().map(|s| view! { <option value=s.slug() selected=s == f.sort>{s.label()}</option> }).collect_view()}
                    </select>
                </div>
                <fieldset>
                    <legend class="text-sm font-semibold text-stone-900">"Colour"</legend>
                    <ul class="mt-2">{listing.facets.colours.into_iter().map(|v| checkbox("colour", v)).collect_view()}</ul>
                </fieldset>
                <fieldset>
                    <legend class="text-sm font-semibold text-stone-900">"Size"</legend>
                    <ul class="mt-2 grid grid-cols-2 gap-x-2">{listing.facets.sizes.into_iter().map(|v| checkbox("size", v)).collect_view()}</ul>
                </fieldset>
                <fieldset>
                    <legend class="text-sm font-semibold text-stone-900">"Price"</legend>
                    <div class="mt-2 flex items-center gap-2">
                        <label class="sr-only" for="min-price">"Minimum price"</label>
                        <input id="min-price" name="min" type="number" min="0" inputmode="numeric" placeholder=format!("{lo}") value=f.min_price.map(|v| v.to_string())
                            class="w-full rounded-lg border border-stone-300 px-3 py-2 text-sm"/>
                        <span aria-hidden="true">"–"</span>
                        <label class="sr-only" for="max-price">"Maximum price"</label>
                        <input id="max-price" name="max" type="number" min="0" inputmode="numeric" placeholder=format!("{hi}") value=f.max_price.map(|v| v.to_string())
                            class="w-full rounded-lg border border-stone-300 px-3 py-2 text-sm"/>
                    </div>
                </fieldset>
                <label class="flex items-center gap-2 text-sm text-stone-700">
                    <input type="checkbox" name="stock" value="1" checked=f.in_stock class="h-4 w-4 accent-emerald-800"/>
                    {format!("In stock only ({})", listing.facets.in_stock_count)}
                </label>
                <div class="flex items-center gap-3">
                    <button type="submit" class=BUTTON_PRIMARY>"Apply"</button>
                    <a href=if query.is_empty() { listing.path.clone() } else { format!("{}?q={}", listing.path, crate::text::url_encode(&query)) } class=LINK>"Clear"</a>
                </div>
            </form>
        </details>
    }
}
