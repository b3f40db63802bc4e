use crate::{
    catalog::{api::get_lookbook, components::ProductGrid},
    ui::{PageTitle, Breadcrumbs, Crumb, ErrorPage},
};
use leptos::prelude::*;
use leptos_meta::{Link, Meta};
use leptos_router::hooks::use_params_map;

#[component]
pub fn LookbookPage() -> impl IntoView {
    let slug = use_params_map().with_untracked(|p| p.get("slug").unwrap_or_default());
    let page = Resource::new(move || (), move |_| get_lookbook(slug.clone()));
    view! {
        <Suspense fallback=|| view! { <p class="p-8 text-stone-500">"Loading…"</p> }>
            {move || page.get().map(|result| match result {
                Ok(book) => {
                    let site = book.canonical_url.trim_end_matches(&format!("/lookbooks/{}", book.slug)).to_owned();
                    let crumbs = vec![Crumb { name: "Home".into(), path: "/".into() }, Crumb { name: book.title.clone(), path: format!("/lookbooks/{}", book.slug) }];
                    view! {
                        <PageTitle text=format!("{} — Lookbook — Larkspur", book.title)/>
                        <Meta name="description" content=book.description.clone()/>
                        <Link rel="canonical" href=book.canonical_url.clone()/>
                        <Meta property="og:title" content=book.title.clone()/>
                        {book.cover_image_url.clone().map(|src| view! {
                            <div class="relative isolate overflow-hidden bg-stone-900">
                                <img src=src alt="" class="absolute inset-0 -z-10 h-full w-full object-cover opacity-80"/>
                                <div class="mx-auto max-w-7xl px-4 py-20 sm:px-6 lg:px-8">
                                    <p class="text-sm font-semibold uppercase tracking-widest text-white/80">"Lookbook"</p>
                                    <h1 class="mt-2 text-4xl font-semibold text-white">{book.title.clone()}</h1>
                                    <p class="mt-3 max-w-xl text-lg text-white/90">{book.description.clone()}</p>
                                </div>
                            </div>
                        })}
                        <div class="mx-auto max-w-7xl px-4 py-10 sm:px-6 lg:px-8">
                            <Breadcrumbs crumbs site_url=site/>
                            <h2 class="mt-6 text-2xl font-semibold text-stone-900">"Shop the look"</h2>
                            <div class="mt-6"><ProductGrid cards=book.products label="Products in this lookbook"/></div>
                        </div>
                    }.into_any()
                }
                Err(err) => view! { <ErrorPage error=err/> }.into_any(),
            })}
        </Suspense>
    }
}
