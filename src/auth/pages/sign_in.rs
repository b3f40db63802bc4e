use crate::{
    auth::{
        api::{
            get_sign_in_options, request_password_reset, reset_password, send_magic_link, send_sign_in_code,
            sign_in_with_code, sign_in_with_link, sign_in_with_password, CodeSent,
        },
        types::Channel,
    },
    error::AppError,
    ui::{go_to, Field, FormError, Notice, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

fn query(name: &'static str) -> String {
    use_query_map().with_untracked(|q| q.get(name).unwrap_or_default())
}

#[component]
fn AuthFrame(#[prop(into)] title: String, children: Children) -> impl IntoView {
    view! {
        <Title text=format!("{title} — Larkspur")/>
        <Meta name="robots" content="noindex"/>
        <section class="mx-auto w-full max-w-md px-4 py-12 sm:py-16">
            <h1 class="text-3xl font-semibold tracking-tight text-stone-900">{title}</h1>
            {children()}
        </section>
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let next = query("next");
    let error = super::oauth_error_message(&query("error")).map(str::to_owned);
    let options = Resource::new(|| (), |_| get_sign_in_options());
    view! {
        <AuthFrame title="Sign in">
            <p class="mt-2 text-sm text-stone-600">"New to Larkspur? "<a href="/sign-up" class=LINK>"Create an account"</a></p>
            {error.map(|e| view! { <p role="alert" class="mt-6 rounded-lg border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">{e}</p> })}
            <SignInPanel next=next.clone()/>
            <Suspense fallback=|| ()>
                {move || options.get().and_then(Result::ok).map(|o| view! { <SocialButtons google=o.google facebook=o.facebook next=next.clone()/> })}
            </Suspense>
        </AuthFrame>
    }
}

#[component]
fn SocialButtons(google: bool, facebook: bool, next: String) -> impl IntoView {
    let next = crate::ui::url_encode(&next);
    (google || facebook).then(|| view! {
        <div class="mt-8 border-t border-stone-200 pt-6">
            <p class="text-center text-sm text-stone-500">"Or continue with"</p>
            <div class="mt-4 grid gap-3">
                {google.then(|| view! { <a href=format!("/auth/oauth/google/start?next={next}") class=BUTTON_SECONDARY>"Continue with Google"</a> })}
                {facebook.then(|| view! { <a href=format!("/auth/oauth/facebook/start?next={next}") class=BUTTON_SECONDARY>"Continue with Facebook"</a> })}
            </div>
        </div>
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Password,
    EmailCode,
    PhoneCode,
    Link,
}

#[island]
fn SignInPanel(next: String) -> impl IntoView {
    let (tab, set_tab) = signal(Tab::Password);
    let next = StoredValue::new(next);
    let tab_button = move |t: Tab, label: &'static str| {
        view! {
            <button type="button" role="tab" aria-selected=move || (tab.get() == t).to_string()
                class="rounded-full px-3 py-1.5 text-sm font-medium text-stone-700 aria-selected:bg-stone-900 aria-selected:text-white focus-visible:outline-2 focus-visible:outline-emerald-700"
                on:click=move |_| set_tab.set(t)>{label}</button>
        }
    };
    view! {
        <div class="mt-8">
            <div role="tablist" aria-label="Ways to sign in" class="grid grid-cols-2 gap-1 rounded-2xl bg-stone-100 p-1 sm:grid-cols-4">
                {tab_button(Tab::Password, "Password")}
                {tab_button(Tab::EmailCode, "Email code")}
                {tab_button(Tab::PhoneCode, "Text message")}
                {tab_button(Tab::Link, "Email link")}
            </div>
            <div role="tabpanel" class="mt-6">
                {move || match tab.get() {
                    Tab::Password => view! { <PasswordForm next=next.get_value()/> }.into_any(),
                    Tab::EmailCode => view! { <CodeForm channel=Channel::Email next=next.get_value() sign_up=false/> }.into_any(),
                    Tab::PhoneCode => view! { <CodeForm channel=Channel::Sms next=next.get_value() sign_up=false/> }.into_any(),
                    Tab::Link => view! { <LinkForm next=next.get_value()/> }.into_any(),
                }}
            </div>
        </div>
    }
}

#[component]
fn PasswordForm(next: String) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let submit = Action::new(move |(e, p, n): &(String, String, String)| sign_in_with_password(e.clone(), p.clone(), n.clone()));
    Effect::new(move || {
        if let Some(Ok(path)) = submit.value().get() {
            go_to(&path);
        }
    });
    let error = Signal::derive(move || submit.value().get().and_then(Result::err));
    view! {
        <form class="space-y-4" on:submit=move |ev| {
            ev.prevent_default();
            submit.dispatch((email.get_untracked(), password.get_untracked(), next.clone()));
        }>
            <Field label="Email" name="email" value=email error input_type="email" autocomplete="email" required=true/>
            <Field label="Password" name="password" value=password error input_type="password" autocomplete="current-password" required=true/>
            <FormError error/>
            <div class="flex items-center justify-between">
                <button type="submit" class=BUTTON_PRIMARY disabled=move || submit.pending().get()>"Sign in"</button>
                <a href="/reset-password" class=LINK>"Forgot your password?"</a>
            </div>
        </form>
    }
}

/// Step one sends a code by email or text; step two checks it. For sign-up it also takes
/// a name and an optional password.
#[component]
fn CodeForm(channel: Channel, next: String, sign_up: bool) -> impl IntoView {
    let destination = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let send = Action::new(move |d: &String| send_sign_in_code(channel, d.clone()));
    type VerifyArgs = (String, String, Option<String>, Option<String>, String);
    let verify = Action::new(move |(d, c, n, p, next): &VerifyArgs| {
        sign_in_with_code(channel, d.clone(), c.clone(), n.clone(), p.clone(), next.clone())
    });
    Effect::new(move || {
        if let Some(Ok(path)) = verify.value().get() {
            go_to(&path);
        }
    });
    let sent = Signal::derive(move || send.value().get().and_then(Result::ok));
    let error = Signal::derive(move || verify.value().get().and_then(Result::err).or_else(|| send.value().get().and_then(Result::err)));
    let (field, label, input_type, autocomplete) = match channel {
        Channel::Email => ("email", "Email", "email", "email"),
        Channel::Sms => ("phone", "Mobile number", "tel", "tel"),
    };
    let hint = (channel == Channel::Sms).then(|| "Include your country code, for example +1 555 010 0100.".to_string());
    let next = StoredValue::new(next);
    view! {
        <form class="space-y-4" on:submit=move |ev| {
            ev.prevent_default();
            if sent.get_untracked().is_none() {
                send.dispatch(destination.get_untracked());
            } else {
                let optional = |s: RwSignal<String>| Some(s.get_untracked()).filter(|v| !v.is_empty());
                verify.dispatch((destination.get_untracked(), code.get_untracked(), optional(name), optional(password), next.get_value()));
            }
        }>
            {sign_up.then(|| view! { <Field label="Your name" name="name" value=name error autocomplete="name"/> })}
            <Field label=label name=field value=destination error input_type=input_type autocomplete=autocomplete hint=hint.unwrap_or_default() required=true/>
            {sign_up.then(|| view! {
                <Field label="Password (optional)" name="password" value=password error input_type="password" autocomplete="new-password"
                    hint="At least 10 characters. Without one, you sign in with a code each time."/>
            })}
            <Show when=move || sent.get().is_some()>
                <p role="status" class="text-sm text-stone-700">
                    {move || sent.get().map(|s: CodeSent| format!("We sent a 6-digit code to {}. It expires in 10 minutes.", s.sent_to))}
                </p>
                <Field label="Code" name="code" value=code error autocomplete="one-time-code" inputmode="numeric" required=true/>
            </Show>
            <FormError error/>
            <div class="flex flex-wrap items-center gap-3">
                <button type="submit" class=BUTTON_PRIMARY disabled=move || send.pending().get() || verify.pending().get()>
                    {move || match (sent.get().is_some(), sign_up) {
                        (false, _) => "Send code",
                        (true, true) => "Create account",
                        (true, false) => "Sign in",
                    }}
                </button>
                <Show when=move || sent.get().is_some()>
                    <button type="button" class=BUTTON_SECONDARY on:click=move |_| { send.dispatch(destination.get_untracked()); }>"Send a new code"</button>
                </Show>
            </div>
        </form>
    }
}

#[component]
fn LinkForm(next: String) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let send = Action::new(move |(e, n): &(String, String)| send_magic_link(e.clone(), n.clone()));
    let error = Signal::derive(move || send.value().get().and_then(Result::err));
    let sent = Signal::derive(move || {
        send.value().get().and_then(Result::ok).map(|s| format!("Check {} for a sign-in link. It works once, for 15 minutes.", s.sent_to))
    });
    view! {
        <form class="space-y-4" on:submit=move |ev| {
            ev.prevent_default();
            send.dispatch((email.get_untracked(), next.clone()));
        }>
            <Field label="Email" name="email" value=email error input_type="email" autocomplete="email" required=true/>
            <FormError error/>
            <Notice message=sent/>
            <button type="submit" class=BUTTON_PRIMARY disabled=move || send.pending().get()>"Email me a link"</button>
        </form>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let next = query("next");
    view! {
        <AuthFrame title="Create your account">
            <p class="mt-2 text-sm text-stone-600">"Already have one? "<a href="/sign-in" class=LINK>"Sign in"</a></p>
            <SignUpPanel next/>
        </AuthFrame>
    }
}

#[island]
fn SignUpPanel(next: String) -> impl IntoView {
    view! { <div class="mt-8"><CodeForm channel=Channel::Email next sign_up=true/></div> }
}

#[component]
pub fn MagicLinkPage() -> impl IntoView {
    let token = query("token");
    let next = query("next");
    view! {
        <AuthFrame title="Sign in with your link">
            <p class="mt-2 text-sm text-stone-600">"Continue to sign in to Larkspur on this device."</p>
            <MagicLinkConfirm token next/>
        </AuthFrame>
    }
}

/// Links are used by a deliberate click, not by opening the page, so mail scanners that
/// prefetch links cannot use them up.
#[island]
fn MagicLinkConfirm(token: String, next: String) -> impl IntoView {
    let submit = Action::new(move |(t, n): &(String, String)| sign_in_with_link(t.clone(), n.clone()));
    Effect::new(move || {
        if let Some(Ok(path)) = submit.value().get() {
            go_to(&path);
        }
    });
    let error = Signal::derive(move || submit.value().get().and_then(Result::err));
    view! {
        <div class="mt-6 space-y-4">
            <FormError error/>
            <button type="button" class=BUTTON_PRIMARY disabled=move || submit.pending().get()
                on:click=move |_| { submit.dispatch((token.clone(), next.clone())); }>"Continue"</button>
        </div>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = query("token");
    view! {
        <AuthFrame title="Reset your password">
            <ResetPanel token/>
        </AuthFrame>
    }
}

#[island]
fn ResetPanel(token: String) -> impl IntoView {
    let with_link = !token.is_empty();
    let email = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let send = Action::new(move |e: &String| request_password_reset(e.clone()));
    let reset = Action::new(move |(e, c, t, p): &(String, String, String, String)| reset_password(e.clone(), c.clone(), t.clone(), p.clone()));
    Effect::new(move || {
        if let Some(Ok(path)) = reset.value().get() {
            go_to(&path);
        }
    });
    let sent = Signal::derive(move || send.value().get().and_then(Result::ok));
    let error: Signal<Option<AppError>> =
        Signal::derive(move || reset.value().get().and_then(Result::err).or_else(|| send.value().get().and_then(Result::err)));
    let token = StoredValue::new(token);
    view! {
        <form class="mt-8 space-y-4" on:submit=move |ev| {
            ev.prevent_default();
            if with_link || sent.get_untracked().is_some() {
                reset.dispatch((email.get_untracked(), code.get_untracked(), token.get_value(), password.get_untracked()));
            } else {
                send.dispatch(email.get_untracked());
            }
        }>
            {(!with_link).then(|| view! { <Field label="Email" name="email" value=email error input_type="email" autocomplete="email" required=true/> })}
            <Show when=move || with_link || sent.get().is_some()>
                {(!with_link).then(|| view! {
                    <p role="status" class="text-sm text-stone-700">"If an account uses this address, we sent it a code and a link."</p>
                    <Field label="Code" name="code" value=code error autocomplete="one-time-code" inputmode="numeric" required=true/>
                })}
                <Field label="New password" name="password" value=password error input_type="password" autocomplete="new-password"
                    hint="At least 10 characters." required=true/>
            </Show>
            <FormError error/>
            <button type="submit" class=BUTTON_PRIMARY disabled=move || send.pending().get() || reset.pending().get()>
                {move || if with_link || sent.get().is_some() { "Set new password" } else { "Send reset code" }}
            </button>
        </form>
    }
}
