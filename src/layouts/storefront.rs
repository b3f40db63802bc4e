use crate::{
    auth::Viewer,
    catalog::types::CategoryLink,
    consent::{components::ConsentBanner, ConsentChoice},
    error::AppError,
};
use leptos::prelude::*;
use leptos_router::components::Outlet;
use serde::{Deserialize, Serialize};

/// What the header needs, loaded in one server call per page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderData {
    pub categories: Vec<CategoryLink>,
    pub viewer: Viewer,
    pub cart_count: i64,
    /// Unread notifications of the signed-in customer (0 for everyone else).
    pub unread: i64,
    /// The signed-in customer's picture.
    pub avatar: Option<String>,
    /// `None` until the visitor has made a cookie choice (the banner shows).
    pub consent: Option<ConsentChoice>,
    /// "Free shipping on orders over $75", from the configured threshold.
    pub delivery_promise: String,
}

#[server(endpoint = "layout/header")]
pub async fn get_header() -> Result<HeaderData, AppError> {
    use crate::{cart, catalog, server::ctx};
    ctx::respond(async {
        let state = ctx::state()?;
        let db = state.db.clone();
        let delivery_promise = state.config.delivery.promise("USD");
        let categories = catalog::server::cached_categories(&state.catalog, &db).await?.to_vec();
        // The header must render even while Redis is away: fall back to an anonymous view.
        let store = ctx::session().await?;
        let session = match store.data().await {
            Ok(data) => data,
            Err(err) => {
                tracing::warn!(error = %err, "rendering header without session");
                Default::default()
            }
        };
        let user = crate::auth::server::current_user(&store, &session, &db).await.unwrap_or_default();
        let cart_count = cart::server::item_count(&db, &session).await?;
        let (unread, avatar) = match user {
            Some((user_id, _)) => (
                crate::notifications::server::unread_count(&db, user_id).await?,
                crate::account::server::avatar_url(&db, user_id).await?,
            ),
            None => (0, None),
        };
        let consent = leptos::prelude::use_context::<axum::http::request::Parts>()
            .as_ref()
            .and_then(crate::consent::server::choice_from_parts);
        Ok(HeaderData { categories, viewer: Viewer { user_id: user.map(|u| u.0), role: user.map(|u| u.1) }, cart_count, unread, avatar, consent, delivery_promise })
    })
    .await
}

#[component]
pub fn StorefrontLayout() -> impl IntoView {
    view! { <StorefrontFrame><Outlet/></StorefrontFrame> }
}

#[component]
pub fn StorefrontFrame(children: Children) -> impl IntoView {
    let header = Resource::new(|| (), |_| get_header());
    view! {
        <a href="#main" class="sr-only focus:not-sr-only focus:absolute focus:left-4 focus:top-4 focus:z-50 focus:rounded focus:bg-white focus:px-4 focus:py-2 focus:shadow">
            "Skip to content"
        </a>
        <div class="bg-emerald-900 px-4 py-2 text-center text-xs font-medium text-emerald-50">
            <Suspense fallback=|| "30-day returns">
                {move || header.get().map(|result| match result {
                    Ok(d) => format!("{} · 30-day returns", d.delivery_promise),
                    Err(_) => "30-day returns".to_owned(),
                })}
            </Suspense>
        </div>
        <Suspense fallback=|| view! { <header class="h-16 border-b border-stone-200 bg-white"></header> }>
            {move || header.get().map(|result| view! { <SiteHeader data=result.ok()/> })}
        </Suspense>
        <main id="main" class="min-h-[60vh]">{children()}</main>
        <Suspense fallback=|| ()>
            {move || header.get().map(|result| {
                let ask_consent = result.as_ref().is_ok_and(|d| d.consent.is_none());
                view! {
                    <SiteFooter promise=result.as_ref().map(|d| d.delivery_promise.clone()).ok() categories=result.map(|d| d.categories).unwrap_or_default()/>
                    {ask_consent.then(|| view! { <ConsentBanner/> })}
                }
            })}
        </Suspense>
    }
}

#[component]
fn SiteHeader(data: Option<HeaderData>) -> impl IntoView {
    let (categories, viewer, cart_count, unread, avatar) = match data {
        Some(d) => (d.categories, Some(d.viewer), d.cart_count, d.unread, d.avatar),
        None => (Vec::new(), None, 0, 0, None),
    };
    let signed_in = viewer.as_ref().is_some_and(|v| v.user_id.is_some());
    let is_staff = viewer.as_ref().and_then(|v| v.role).is_some_and(|r| r.can(crate::auth::Permission::ViewDashboard));
    let nav_links = move |class: &'static str| {
        categories
            .iter()
            .map(|c| view! { <li><a href=format!("/c/{}", c.slug) class=class>{c.name.clone()}</a></li> })
            .collect_view()
    };
    let desktop_nav = nav_links("whitespace-nowrap rounded px-2 py-1 text-sm font-medium text-stone-700 hover:text-emerald-800 focus-visible:outline-2 focus-visible:outline-emerald-700");
    let mobile_nav = nav_links("whitespace-nowrap rounded-full border border-stone-200 px-3 py-1 text-sm text-stone-700 hover:border-emerald-700");
    view! {
        <header class="sticky top-0 z-30 border-b border-stone-200 bg-white/95 backdrop-blur">
            <div class="mx-auto flex max-w-7xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3 sm:h-16 sm:flex-nowrap sm:py-0 sm:px-6 lg:px-8">
                <a href="/" class="shrink-0 text-xl font-semibold tracking-tight text-stone-900 focus-visible:outline-2 focus-visible:outline-emerald-700" aria-label="Larkspur home">
                    <span class="text-emerald-800">"✿"</span>" Larkspur"
                </a>
                <nav aria-label="Categories" class="hidden flex-1 lg:block">
                    <ul class="flex items-center gap-1">{desktop_nav}</ul>
                </nav>
                <crate::catalog::search_box::SearchBox/>
                <nav aria-label="Account" class="ml-auto flex shrink-0 items-center gap-1 sm:ml-0 sm:gap-3">
                    {is_staff.then(|| view! {
                        <a href="/admin" class="hidden rounded px-2 py-1 text-sm font-medium text-stone-700 hover:text-emerald-800 sm:block">"Dashboard"</a>
                    })}
                    <a href="/wishlist" class="hidden rounded px-2 py-1 text-sm font-medium text-stone-700 hover:text-emerald-800 focus-visible:outline-2 focus-visible:outline-emerald-700 sm:block">"Wishlist"</a>
                    {signed_in.then(|| view! {
                        // Wide screens only: the header needs the room for search beside the bell,
                        // and the account page and the footer lead there too.
                        <a href="/account/orders" class="hidden rounded px-2 py-1 text-sm font-medium text-stone-700 hover:text-emerald-800 focus-visible:outline-2 focus-visible:outline-emerald-700 2xl:block">"Your orders"</a>
                    })}
                    {signed_in.then(|| view! { <crate::notifications::pages::NotificationBell count=unread/> })}
                    <a href=if signed_in { "/account" } else { "/sign-in" }
                        class="inline-flex items-center gap-2 rounded px-2 py-1 text-sm font-medium text-stone-700 hover:text-emerald-800 focus-visible:outline-2 focus-visible:outline-emerald-700">
                        {avatar.map(|url| view! { <crate::account::pages::Avatar url=Some(url) name="" size="small"/> })}
                        {if signed_in { "Account" } else { "Sign in" }}
                    </a>
                    <crate::cart::components::HeaderCart count=cart_count/>
                </nav>
            </div>
            <nav aria-label="Categories" class="border-t border-stone-100 lg:hidden">
                <ul class="mx-auto flex max-w-7xl gap-2 overflow-x-auto px-4 py-2 sm:px-6">{mobile_nav}</ul>
            </nav>
        </header>
    }
}

#[component]
fn SiteFooter(categories: Vec<CategoryLink>, promise: Option<String>) -> impl IntoView {
    let link = "text-sm text-stone-300 hover:text-white focus-visible:outline-2 focus-visible:outline-white";
    view! {
        <footer class="mt-16 bg-stone-900 text-stone-200">
            <div class="mx-auto grid max-w-7xl gap-8 px-4 py-12 sm:grid-cols-2 sm:px-6 lg:grid-cols-4 lg:px-8">
                <div>
                    <p class="text-lg font-semibold text-white">"✿ Larkspur"</p>
                    <p class="mt-2 text-sm text-stone-400">"Considered clothing and everyday tech, made to be used for years."</p>
                </div>
                <nav aria-labelledby="footer-shop">
                    <h2 id="footer-shop" class="text-sm font-semibold text-white">"Shop"</h2>
                    <ul class="mt-3 space-y-2">
                        {categories.into_iter().map(|c| view! { <li><a href=format!("/c/{}", c.slug) class=link>{c.name}</a></li> }).collect_view()}
                    </ul>
                </nav>
                <nav aria-labelledby="footer-help">
                    <h2 id="footer-help" class="text-sm font-semibold text-white">"Help"</h2>
                    <ul class="mt-3 space-y-2">
                        <li><a href="/account/orders" class=link>"Track an order"</a></li>
                        <li><a href="/account" class=link>"Your account"</a></li>
                        <li><a href="/journal" class=link>"Journal"</a></li>
                        <li><a href="/privacy/cookies" class=link>"Cookie settings"</a></li>
                    </ul>
                </nav>
                <div>
                    <h2 class="text-sm font-semibold text-white">"Our promise"</h2>
                    <p class="mt-3 text-sm text-stone-400">{match promise {
                        Some(p) => format!("{p}, 30-day returns and secure checkout."),
                        None => "30-day returns and secure checkout.".to_owned(),
                    }}</p>
                </div>
            </div>
            <section class="border-t border-stone-800" aria-labelledby="footer-newsletter">
                <div class="mx-auto flex max-w-7xl flex-col gap-4 px-4 py-8 sm:px-6 lg:flex-row lg:items-start lg:justify-between lg:px-8">
                    <div>
                        <h2 id="footer-newsletter" class="text-sm font-semibold text-white">"Newsletter"</h2>
                        <p class="mt-2 max-w-sm text-sm text-stone-400">"Hear about new arrivals first. Unsubscribe from any email with one click."</p>
                    </div>
                    <crate::newsletter::pages::NewsletterSignup place="footer".to_owned() flash=None/>
                </div>
            </section>
            <div class="border-t border-stone-800 px-4 py-6 text-center text-xs text-stone-400">
                "© 2026 Larkspur. All prices include VAT where applicable."
            </div>
        </footer>
    }
}
