//! The HTML shell and the route tree: storefront pages and the /admin dashboard.

use crate::{
    admin::{
        AdminOverview, AnalyticsPage, ArticleEditPage, ArticlesPage, AuditLogPage, BannerEditPage, BannersPage, CategoriesPage, CategoryEditPage, CollectionEditPage,
        CollectionsPage, ColoursPage, ImportPage, LookbookEditPage, LookbooksPage, AdminOrderPage, AdminOrdersPage, CouponEditPage, CouponsPage, CustomerPage,
        CustomersPage, NewsletterPage, PackingSlipsPage, PlacesPage,
        ProductEditPage, ProductsPage, ReviewPage, ReviewsPage, SizesPage,
    },
    auth::pages::{AccountPage, MagicLinkPage, ResetPasswordPage, SecondFactorPage, SignInPage, SignUpPage},
    consent::components::CookieSettingsPage,
    catalog::pages::{CategoryPage, CollectionPage, HomePage, LookbookPage, ProductPage, SearchPage},
    cms::{ArticlePage, JournalPage, TagPage},
    wishlist::components::WishlistPage,
    cart::components::CartPage,
    checkout::pages::CheckoutPage,
    orders::pages::{OrderPage, OrdersPage},
    layouts::{AdminLayout, StorefrontFrame, StorefrontLayout},
    newsletter::pages::{ConfirmSubscriptionPage, NewsletterSignUpPage, UnsubscribePage},
    notifications::pages::{NotMePage, NotificationSettingsPage, NotificationUnsubscribePage, NotificationsPage},
    ui::StatusPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Link, Meta, MetaTags};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, SsrMode,
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <IslandScripts options/>
                <MetaTags/>
            </head>
            <body class="bg-white text-stone-900 antialiased">
                <App/>
            </body>
        </html>
    }
}

/// Islands hydration without the WASM preload that Leptos' `HydrationScripts` writes in
/// the head: that preload puts the 420 KB download before the first paint in Lighthouse's
/// simulation (LCP 3.4 s on a phone), though islands hydrate only once the browser is idle.
/// Here the module is fetched then, and each island on the page is hydrated in document
/// order (an outer island before one inside it), as Leptos' own island script does. No
/// island takes children; one that does needs that script's `leptos-children` handling here.
#[component]
fn IslandScripts(options: LeptosOptions) -> impl IntoView {
    let (js, wasm) = bundle_names(&options);
    let pkg = format!("/{}", options.site_pkg_dir);
    let script = format!(
        "const hydrate = () => import('{pkg}/{js}').then(async (app) => {{\
           await app.default({{ module_or_path: '{pkg}/{wasm}' }});\
           app.hydrate();\
           for (const island of document.querySelectorAll('leptos-island')) {{\
             const hydrateIsland = app[island.dataset.component];\
             if (hydrateIsland) {{ await hydrateIsland(island); }} else {{ console.warn('no code for island', island.dataset.component); }}\
           }}\
         }});\
         if ('requestIdleCallback' in window) {{ requestIdleCallback(hydrate); }} else {{ hydrate(); }}"
    );
    view! { <script type="module" nonce=leptos::nonce::use_nonce()>{script}</script> }
}

/// The JS and WASM file names of the browser bundle, as Leptos names them: with the content
/// hashes cargo-leptos wrote beside the binary, else plain (`_bg` for a WASM not named by
/// cargo-leptos).
fn bundle_names(options: &LeptosOptions) -> (String, String) {
    let (mut js, mut wasm) = (options.output_name.to_string(), options.output_name.to_string());
    let hashes = options
        .hash_files
        .then(|| std::env::current_exe().ok())
        .flatten()
        .and_then(|exe| std::fs::read_to_string(exe.parent()?.join(options.hash_file.as_ref())).ok());
    match hashes {
        Some(hashes) => {
            for (file, hash) in hashes.lines().filter_map(|line| line.trim().split_once(':')) {
                match file {
                    "js" => js = format!("{js}.{}", hash.trim()),
                    "wasm" => wasm = format!("{wasm}.{}", hash.trim()),
                    _ => {}
                }
            }
        }
        None if option_env!("LEPTOS_OUTPUT_NAME").is_none() => wasm.push_str("_bg"),
        None => {}
    }
    (format!("{js}.js"), format!("{wasm}.wasm"))
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml"/>
        <Meta name="theme-color" content="#064e3b"/>
        <Router>
            <Routes fallback=|| view! { <StorefrontFrame><StatusPage status=404/></StorefrontFrame> }>
                <ParentRoute path=path!("") view=StorefrontLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=HomePage/>
                    <Route path=path!("c/:slug") view=CategoryPage/>
                    <Route path=path!("collections/:slug") view=CollectionPage/>
                    <Route path=path!("search") view=SearchPage/>
                    <Route path=path!("p/:slug") view=ProductPage/>
                    <Route path=path!("lookbooks/:slug") view=LookbookPage/>
                    <Route path=path!("journal") view=JournalPage/>
                    <Route path=path!("journal/tag/:slug") view=TagPage/>
                    <Route path=path!("journal/:slug") view=ArticlePage/>
                    <Route path=path!("wishlist") view=WishlistPage/>
                    <Route path=path!("sign-in") view=SignInPage/>
                    <Route path=path!("sign-in/second-factor") view=SecondFactorPage/>
                    <Route path=path!("sign-up") view=SignUpPage/>
                    <Route path=path!("reset-password") view=ResetPasswordPage/>
                    <Route path=path!("auth/magic") view=MagicLinkPage/>
                    <Route path=path!("account") view=AccountPage/>
                    <Route path=path!("account/orders") view=OrdersPage/>
                    <Route path=path!("account/orders/:number") view=OrderPage/>
                    <Route path=path!("account/notifications") view=NotificationsPage/>
                    <Route path=path!("account/notifications/settings") view=NotificationSettingsPage/>
                    <Route path=path!("account/not-me") view=NotMePage/>
                    <Route path=path!("cart") view=CartPage/>
                    <Route path=path!("checkout") view=CheckoutPage/>
                    <Route path=path!("privacy/cookies") view=CookieSettingsPage/>
                    <Route path=path!("newsletter") view=NewsletterSignUpPage/>
                    <Route path=path!("newsletter/confirm") view=ConfirmSubscriptionPage/>
                    <Route path=path!("newsletter/unsubscribe") view=UnsubscribePage/>
                    <Route path=path!("notifications/unsubscribe") view=NotificationUnsubscribePage/>
                </ParentRoute>
                <ParentRoute path=path!("admin") view=AdminLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=AdminOverview/>
                    <Route path=path!("analytics") view=AnalyticsPage/>
                    <Route path=path!("orders") view=AdminOrdersPage/>
                    <Route path=path!("orders/:number") view=AdminOrderPage/>
                    <Route path=path!("packing-slips") view=PackingSlipsPage/>
                    <Route path=path!("products") view=ProductsPage/>
                    <Route path=path!("products/:id") view=ProductEditPage/>
                    <Route path=path!("import") view=ImportPage/>
                    <Route path=path!("categories") view=CategoriesPage/>
                    <Route path=path!("categories/:id") view=CategoryEditPage/>
                    <Route path=path!("colours") view=ColoursPage/>
                    <Route path=path!("sizes") view=SizesPage/>
                    <Route path=path!("collections") view=CollectionsPage/>
                    <Route path=path!("collections/:id") view=CollectionEditPage/>
                    <Route path=path!("lookbooks") view=LookbooksPage/>
                    <Route path=path!("lookbooks/:id") view=LookbookEditPage/>
                    <Route path=path!("places") view=PlacesPage/>
                    <Route path=path!("places/:country") view=PlacesPage/>
                    <Route path=path!("places/:country/:state") view=PlacesPage/>
                    <Route path=path!("audit") view=AuditLogPage/>
                    <Route path=path!("customers") view=CustomersPage/>
                    <Route path=path!("customers/:id") view=CustomerPage/>
                    <Route path=path!("reviews") view=ReviewsPage/>
                    <Route path=path!("reviews/:id") view=ReviewPage/>
                    <Route path=path!("coupons") view=CouponsPage/>
                    <Route path=path!("coupons/:id") view=CouponEditPage/>
                    <Route path=path!("articles") view=ArticlesPage/>
                    <Route path=path!("articles/:id") view=ArticleEditPage/>
                    <Route path=path!("banners") view=BannersPage/>
                    <Route path=path!("banners/:id") view=BannerEditPage/>
                    <Route path=path!("newsletter") view=NewsletterPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
