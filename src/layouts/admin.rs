use crate::{
    admin::api::get_staff_access,
    ui::{ErrorPage, StatusPage},
};
use leptos::prelude::*;
use leptos_meta::Meta;
use leptos_router::components::Outlet;

/// The staff dashboard frame. Access is decided on the server for the page itself and
/// again inside every staff server function.
#[component]
pub fn AdminLayout() -> impl IntoView {
    let access = Resource::new(|| (), |_| get_staff_access());
    let here = leptos_router::hooks::use_location().pathname.get_untracked();
    view! {
        <Meta name="robots" content="noindex, nofollow"/>
        <Suspense fallback=|| view! { <p class="p-8 text-stone-500">"Checking access…"</p> }>
            {move || { let here = here.clone(); access.get().map(move |result| match result {
                Ok(staff) => view! {
                    <div class="min-h-screen bg-stone-50 lg:flex">
                        <aside class="border-b border-stone-200 bg-stone-900 text-stone-100 lg:w-60 lg:shrink-0 lg:border-b-0">
                            <div class="flex items-center justify-between px-5 py-4 lg:block">
                                <a href="/admin" class="text-lg font-semibold text-white">"✿ Larkspur staff"</a>
                                <p class="text-xs text-stone-300 lg:mt-1">{format!("{} · {}", staff.email, staff.role.as_str())}</p>
                            </div>
                            <nav aria-label="Dashboard">
                                <ul class="flex gap-1 overflow-x-auto px-3 pb-3 lg:flex-col lg:px-3">
                                    {staff.sections.iter().map(|(label, path)| {
                                        // The section the page is in: its own path, or a page under it.
                                        let current = here == *path || (path != "/admin" && here.starts_with(&format!("{path}/")));
                                        view! {
                                            <li><a href=path.clone() aria-current=current.then_some("page")
                                                class="block rounded px-3 py-2 text-sm hover:bg-stone-800 focus-visible:outline-2 focus-visible:outline-white aria-[current=page]:bg-stone-700 aria-[current=page]:font-semibold">{label.clone()}</a></li>
                                        }
                                    }).collect_view()}
                                    <li><a href="/" class="block rounded px-3 py-2 text-sm text-stone-300 hover:bg-stone-800 focus-visible:outline-2 focus-visible:outline-white">"View store ↗"</a></li>
                                </ul>
                            </nav>
                        </aside>
                        <main id="main" class="flex-1 px-4 py-8 sm:px-8"><Outlet/></main>
                    </div>
                }.into_any(),
                Err(err) => view! {
                    <main id="main">
                        {if err.status() == 401 || err.status() == 403 { view! { <StatusPage status=err.status()/> }.into_any() } else { view! { <ErrorPage error=err/> }.into_any() }}
                    </main>
                }.into_any(),
            })}}
        </Suspense>
    }
}
