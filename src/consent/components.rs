use super::{
    api::{save_consent, SaveConsent, CHOICES_SAVED},
    ConsentChoice,
};
use crate::{
    forms::{form_outcome, latest_error, latest_notice, FormFlash},
    ui::{focus_main, FormError, Notice, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
};
use leptos::{prelude::*, server_fn::ServerFn};

/// Smaller buttons on phones, so the banner covers as little of a small screen as it can.
const COMPACT_ON_PHONES: &str = "max-sm:px-3 max-sm:py-1.5 max-sm:text-xs";

/// The first-visit banner: never blocks the page, every action is a real button. On phones
/// it is short (two lines and a row of buttons); style/tailwind.css keeps focused controls
/// clear of it.
#[island]
pub fn ConsentBanner() -> impl IntoView {
    let (open, set_open) = signal(true);
    let (choosing, set_choosing) = signal(false);
    let analytics = RwSignal::new(false);
    let marketing = RwSignal::new(false);
    let save = Action::new(move |choice: &ConsentChoice| save_consent(choice.analytics, choice.marketing, String::new()));
    Effect::new(move || {
        if let Some(Ok(_)) = save.value().get() {
            set_open.set(false);
            // The button that had focus is gone; keep the keyboard user in the page.
            focus_main();
        }
    });
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    // Submit buttons, so the banner works before the page hydrates (a plain post with a
    // preset); once alive, the island saves in place.
    let button = move |label: &'static str, class: &'static str, preset: &'static str, choice: Box<dyn Fn() -> ConsentChoice + Send + Sync>| {
        view! {
            <button type="submit" name="preset" value=preset class=format!("{class} {COMPACT_ON_PHONES}") disabled=move || save.pending().get()
                on:click=move |ev| { ev.prevent_default(); save.dispatch(choice()); }>{label}</button>
        }
    };
    view! {
        <Show when=move || open.get()>
            <section role="region" aria-label="Cookie consent" data-testid="consent-banner"
                class="fixed inset-x-0 bottom-0 z-40 border-t border-stone-200 bg-white shadow-[0_-8px_24px_rgba(0,0,0,0.08)]">
                <form method="post" action=SaveConsent::url() class="mx-auto flex max-w-7xl flex-col gap-2 px-3 py-2 sm:gap-4 sm:px-6 sm:py-4 lg:flex-row lg:items-center lg:px-8">
                    <div class="flex-1 text-xs text-stone-700 sm:text-sm">
                        <p class="hidden font-semibold text-stone-900 sm:block">"Cookies on Larkspur"</p>
                        <p class="sm:mt-1">
                            <span class="sm:hidden">"Essential cookies run the shop. May we also remember this device and measure visits? "</span>
                            <span class="hidden sm:inline">"We use essential cookies to run the shop. With your permission we also remember this device to keep your cart and wishlist, and measure how the shop is used. "</span>
                            <a href="/privacy/cookies" class=LINK>"Cookie settings"</a>
                        </p>
                        <Show when=move || choosing.get()>
                            <fieldset class="mt-2 space-y-1 sm:mt-3 sm:space-y-2">
                                <legend class="sr-only">"Choose which cookies to allow"</legend>
                                <label class="flex items-center gap-2"><input type="checkbox" name="analytics" value="true" class="h-4 w-4 accent-emerald-800" prop:checked=move || analytics.get() on:change=move |ev| analytics.set(event_target_checked(&ev))/>"Analytics and personalisation"</label>
                                <label class="flex items-center gap-2"><input type="checkbox" name="marketing" value="true" class="h-4 w-4 accent-emerald-800" prop:checked=move || marketing.get() on:change=move |ev| marketing.set(event_target_checked(&ev))/>"Marketing"</label>
                            </fieldset>
                        </Show>
                        <FormError error/>
                    </div>
                    <div class="flex flex-wrap gap-2">
                        {button("Accept all", BUTTON_PRIMARY, "all", Box::new(|| ConsentChoice { analytics: true, marketing: true }))}
                        {button("Reject non-essential", BUTTON_SECONDARY, "none", Box::new(|| ConsentChoice { analytics: false, marketing: false }))}
                        <Show
                            when=move || choosing.get()
                            fallback=move || view! {
                                <a href="/privacy/cookies" role="button" class=format!("{BUTTON_SECONDARY} {COMPACT_ON_PHONES}")
                                    on:click=move |ev| { ev.prevent_default(); set_choosing.set(true); }>"Choose"</a>
                            }
                        >
                            {button("Save choices", BUTTON_SECONDARY, "", Box::new(move || ConsentChoice { analytics: analytics.get_untracked(), marketing: marketing.get_untracked() }))}
                        </Show>
                    </div>
                </form>
            </section>
        </Show>
    }
}

/// The footer's "Cookie settings": change or withdraw the choice at any time.
#[island]
pub fn CookiePreferences(current: Option<ConsentChoice>, flash: Option<FormFlash>) -> impl IntoView {
    let (on_analytics, on_marketing) = (current.is_some_and(|c| c.analytics), current.is_some_and(|c| c.marketing));
    let analytics = RwSignal::new(on_analytics);
    let marketing = RwSignal::new(on_marketing);
    let save = Action::new(move |choice: &ConsentChoice| save_consent(choice.analytics, choice.marketing, String::new()));
    let error = latest_error(move || save.value().get().map(Result::err), &flash);
    let saved = latest_notice(move || save.value().get(), |_| CHOICES_SAVED.to_string(), &flash);
    view! {
        <form method="post" action=SaveConsent::url() class="mt-6 space-y-4" on:submit=move |ev| {
            ev.prevent_default();
            save.dispatch(ConsentChoice { analytics: analytics.get_untracked(), marketing: marketing.get_untracked() });
        }>
            <fieldset class="space-y-3">
                <legend class="text-sm font-semibold text-stone-900">"Optional cookies"</legend>
                <label class="flex items-start gap-3 rounded-lg border border-stone-200 p-3">
                    <input type="checkbox" disabled=true checked=true class="mt-1 h-4 w-4"/>
                    <span><span class="font-medium">"Essential"</span><span class="block text-sm text-stone-600">"Your session, your cart and this choice. Always on."</span></span>
                </label>
                <label class="flex items-start gap-3 rounded-lg border border-stone-200 p-3">
                    <input type="checkbox" name="analytics" value="true" checked=on_analytics class="mt-1 h-4 w-4 accent-emerald-800" prop:checked=move || analytics.get() on:change=move |ev| analytics.set(event_target_checked(&ev))/>
                    <span><span class="font-medium">"Analytics and personalisation"</span><span class="block text-sm text-stone-600">"Remember this device, keep your cart and wishlist between visits, and count page views."</span></span>
                </label>
                <label class="flex items-start gap-3 rounded-lg border border-stone-200 p-3">
                    <input type="checkbox" name="marketing" value="true" checked=on_marketing class="mt-1 h-4 w-4 accent-emerald-800" prop:checked=move || marketing.get() on:change=move |ev| marketing.set(event_target_checked(&ev))/>
                    <span><span class="font-medium">"Marketing"</span><span class="block text-sm text-stone-600">"Measure which banners and campaigns bring you here."</span></span>
                </label>
            </fieldset>
            <FormError error/>
            <Notice message=saved/>
            <button type="submit" class=BUTTON_PRIMARY disabled=move || save.pending().get()>"Save cookie choices"</button>
        </form>
    }
}

#[component]
pub fn CookieSettingsPage() -> impl IntoView {
    let current = Resource::new(|| (), |_| super::api::get_consent());
    let outcome = form_outcome();
    view! {
        <crate::ui::PageTitle text="Cookie settings — Larkspur"/>
        <section class="mx-auto max-w-2xl px-4 py-12 sm:px-6">
            <h1 class="text-3xl font-semibold tracking-tight text-stone-900">"Cookie settings"</h1>
            <p class="mt-3 text-stone-600">
                "Essential cookies keep you signed in and hold your cart. Everything else is your choice, and you can change it here at any time. Turning analytics off stops us recognising this device from now on."
            </p>
            <Suspense fallback=|| ()>
                {move || current.get().map(|c| {
                    let flash = FormFlash::of(&outcome.get().flatten(), "cookies");
                    view! { <CookiePreferences current=c.ok().flatten() flash/> }
                })}
            </Suspense>
        </section>
    }
}
