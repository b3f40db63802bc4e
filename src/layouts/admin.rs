use crate::admin::api::get_staff_access;
use leptos::prelude::*;
use leptos_meta::Meta;
use leptos_router::components::Outlet;

/// The staff dashboard frame: the menu of the sections this staff member may open. The page
/// itself is rendered beside it, not inside the access check, so it renders once; every
/// page and server function checks its own permission (a visitor or customer sees the
/// page's 401 or 403).
#[component]
pub fn AdminLayout() -> impl IntoView {
    let access = Resource::new(|| (), |_| get_staff_access());
    let here = leptos_router::hooks::use_location().pathname.get_untracked();
    let staff = move || access.get().and_then(Result::ok);
    view! {
        <Meta name="robots" content="noindex, nofollow"/>
        <div class="min-h-screen bg-stone-50 lg:flex print:bg-white">
            <aside class="border-b border-stone-200 bg-stone-900 text-stone-100 lg:w-60 lg:shrink-0 lg:border-b-0 print:hidden">
                <div class="flex items-center justify-between px-5 py-4 lg:block">
                    <a href="/admin" class="text-lg font-semibold text-white">"✿ Larkspur staff"</a>
                    <Suspense fallback=|| ()>
                        {move || staff().map(|staff| view! { <p class="text-xs text-stone-300 lg:mt-1">{format!("{} · {}", staff.email, staff.role.as_str())}</p> })}
                    </Suspense>
                </div>
                <nav aria-label="Dashboard">
                    <ul class="flex gap-1 overflow-x-auto px-3 pb-3 lg:flex-col lg:px-3">
                        <Suspense fallback=|| ()>
                            {move || {
                                let here = here.clone();
                                staff().map(move |staff| staff.sections.into_iter().map(|(label, path)| {
                                    // The section the page is in: its own path, or a page under it.
                                    let current = here == path || (path != "/admin" && here.starts_with(&format!("{path}/")));
                                    view! {
                                        <li><a href=path aria-current=current.then_some("page")
                                            class="block rounded px-3 py-2 text-sm hover:bg-stone-800 focus-visible:outline-2 focus-visible:outline-white aria-[current=page]:bg-stone-700 aria-[current=page]:font-semibold">{label}</a></li>
                                    }
                                }).collect_view())
                            }}
                        </Suspense>
                        <li><a href="/" class="block rounded px-3 py-2 text-sm text-stone-300 hover:bg-stone-800 focus-visible:outline-2 focus-visible:outline-white">"View store ↗"</a></li>
                    </ul>
                </nav>
            </aside>
            <main id="main" class="flex-1 px-4 py-8 sm:px-8 print:p-0"><Outlet/></main>
        </div>
    }
}
