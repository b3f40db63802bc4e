//! The second step of a staff sign-in (and the confirmation before sensitive dashboard
//! actions), and the account page's panel that sets up an authenticator app. Plain forms:
//! each post comes back to the page with its outcome.

use crate::{
    auth::second_factor::{
        get_challenge, Challenge, ConfirmAuthenticator, EmailSecondFactor, RenewRecoveryCodes, SecondFactorStatus, StartAuthenticatorSetup,
        VerifySecondFactor, FORM, SETUP_FORM,
    },
    error::AppError,
    forms::{flashed, form_outcome, FormFlash},
    ui::{Field, FormError, Notice, PageTitle, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Meta;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SecondFactorPage() -> impl IntoView {
    let next = use_query_map().with_untracked(|q| q.get("next").unwrap_or_default());
    let challenge = Resource::new(|| (), |_| get_challenge());
    let outcome = form_outcome();
    view! {
        <PageTitle text="Confirm it's you — Larkspur"/>
        <Meta name="robots" content="noindex"/>
        <section class="mx-auto w-full max-w-md px-4 py-12 sm:py-16">
            <h1 class="text-3xl font-semibold tracking-tight text-stone-900">"Confirm it's you"</h1>
            <Suspense fallback=|| ()>
                {move || {
                    let flash = FormFlash::of(&outcome.get().flatten(), FORM);
                    challenge.get().map(|result| match result {
                        Ok(challenge) => view! { <ChallengeForm challenge flash next=next.clone()/> }.into_any(),
                        Err(_) => view! {
                            <p class="mt-4 text-sm text-stone-700">
                                "This sign-in has expired. "<a href="/sign-in" class=LINK>"Sign in again"</a>"."
                            </p>
                        }.into_any(),
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn ChallengeForm(challenge: Challenge, flash: Option<FormFlash>, next: String) -> impl IntoView {
    let code = flashed(&flash, "code");
    let error = Signal::stored(flash.as_ref().and_then(|f| f.error.clone()));
    let notice = Signal::stored(flash.as_ref().and_then(|f| f.notice.clone()));
    let why = if challenge.signing_in {
        "Staff accounts give a second factor at every sign-in."
    } else {
        "Refunds, role changes, deactivations and imports need your second factor from the last 10 minutes."
    };
    let mut ways = Vec::new();
    if challenge.has_authenticator {
        ways.push("the 6-digit code your authenticator app shows");
    }
    if challenge.email.is_some() {
        ways.push("the code we email you");
    }
    if challenge.has_recovery_codes {
        ways.push("one of your recovery codes");
    }
    let hint = format!("Enter {}.", ways.join(", or "));
    let email = challenge.email.clone();
    view! {
        <p class="mt-2 text-sm text-stone-600">{why}</p>
        <div class="mt-6 space-y-4">
            <Notice message=notice/>
            <form method="post" action=VerifySecondFactor::url() class="space-y-4">
                <input type="hidden" name="next" value=next/>
                <Field label="Code" name="code" value=code error hint autocomplete="one-time-code" required=true/>
                <FormError error/>
                <button type="submit" class=BUTTON_PRIMARY>"Continue"</button>
            </form>
            {email.map(|email| view! {
                <form method="post" action=EmailSecondFactor::url() class="border-t border-stone-200 pt-4">
                    <p class="text-sm text-stone-600">{format!("No code at hand? We can email one to {email}.")}</p>
                    <button type="submit" class=format!("{BUTTON_SECONDARY} mt-3")>"Email me a code"</button>
                </form>
            })}
        </div>
    }
}

/// The account page's "Two-step sign-in" panel for admins and editors.
#[component]
pub fn SecondFactorPanel(status: SecondFactorStatus, flash: Option<FormFlash>) -> impl IntoView {
    let flash = FormFlash::of(&flash, SETUP_FORM);
    let error: Signal<Option<AppError>> = Signal::stored(flash.as_ref().and_then(|f| f.error.clone()));
    let code = flashed(&flash, "code");
    let state = if status.has_authenticator {
        format!("Authenticator app: on. Recovery codes left: {}.", status.unused_recovery_codes)
    } else {
        "Authenticator app: not set up. Until it is, each sign-in asks for a code we email you.".to_owned()
    };
    let new_codes = status.new_recovery_codes.clone();
    view! {
        <p class="text-sm text-stone-700" data-testid="second-factor-state">{state}</p>
        {(!new_codes.is_empty()).then(|| view! {
            <div class="mt-4 rounded-lg border border-amber-300 bg-amber-50 p-4" role="status">
                <p class="text-sm font-medium text-amber-950">
                    "Your recovery codes. Each works once, in place of a code from the app. Keep them somewhere safe: they are not shown again."
                </p>
                <ul class="mt-3 grid grid-cols-2 gap-1 font-mono text-sm text-stone-900" data-testid="recovery-codes">
                    {new_codes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}
                </ul>
            </div>
        })}
        {match status.setup {
            Some(setup) => view! {
                <div class="mt-4 space-y-4">
                    <p class="text-sm text-stone-700">"Scan this code with your authenticator app, or type the key, then enter the 6-digit code it shows."</p>
                    <div role="img" aria-label="QR code of the authenticator key" class="w-48 bg-white" inner_html=setup.qr_svg></div>
                    <p class="text-sm text-stone-700">"Key: "<code class="font-mono" data-testid="authenticator-key">{setup.key}</code></p>
                    <form method="post" action=ConfirmAuthenticator::url() class="space-y-4">
                        <Field label="Code from the app" name="code" value=code error autocomplete="one-time-code" inputmode="numeric" required=true/>
                        <FormError error/>
                        <button type="submit" class=BUTTON_PRIMARY>"Turn on"</button>
                    </form>
                </div>
            }.into_any(),
            None => view! {
                <div class="mt-4 space-y-3">
                    <FormError error/>
                    <div class="flex flex-wrap gap-2">
                        <form method="post" action=StartAuthenticatorSetup::url()>
                            <button type="submit" class=BUTTON_SECONDARY>
                                {if status.has_authenticator { "Move to another app" } else { "Set up an authenticator app" }}
                            </button>
                        </form>
                        {status.has_authenticator.then(|| view! {
                            <form method="post" action=RenewRecoveryCodes::url()>
                                <button type="submit" class=BUTTON_SECONDARY>"New recovery codes"</button>
                            </form>
                        })}
                    </div>
                </div>
            }.into_any(),
        }}
    }
}
