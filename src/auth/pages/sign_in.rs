use crate::{
    auth::{
        api::{
            code_form, get_sign_in_options, request_password_reset, reset_password, send_magic_link, send_sign_in_code,
            sign_in_with_code, sign_in_with_link, sign_in_with_password, RequestPasswordReset, ResetPassword, SendMagicLink,
            SendSignInCode, SignInWithCode, SignInWithLink, SignInWithPassword,
        },
        types::Channel,
    },
    forms::{flashed, form_outcome, latest_error, latest_notice, second_step_first, FormFlash},
    text::url_encode,
    ui::{focus_id, go_to, Field, FormError, Notice, PageTitle, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Meta;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

fn query(name: &'static str) -> String {
    use_query_map().with_untracked(|q| q.get(name).unwrap_or_default())
}

#[component]
fn AuthFrame(#[prop(into)] title: String, children: Children) -> impl IntoView {
    view! {
        <PageTitle text=format!("{title} — Larkspur")/>
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
    let tab = Tab::from_slug(&query("tab"));
    let error = super::oauth_error_message(&query("error")).map(str::to_owned);
    let options = Resource::new(|| (), |_| get_sign_in_options());
    let outcome = form_outcome();
    let panel_next = next.clone();
    view! {
        <AuthFrame title="Sign in">
            <p class="mt-2 text-sm text-stone-600">"New to Larkspur? "<a href="/sign-up" class=LINK>"Create an account"</a></p>
            {error.map(|e| view! { <p role="alert" class="mt-6 rounded-lg border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">{e}</p> })}
            <Suspense fallback=|| ()>
                {move || outcome.get().map(|flash| view! { <SignInPanel next=panel_next.clone() tab flash=FormFlash::of(&flash, tab.form())/> })}
            </Suspense>
            <Suspense fallback=|| ()>
                {move || options.get().and_then(Result::ok).map(|o| view! { <SocialButtons google=o.google facebook=o.facebook next=next.clone()/> })}
            </Suspense>
        </AuthFrame>
    }
}

#[component]
fn SocialButtons(google: bool, facebook: bool, next: String) -> impl IntoView {
    let next = url_encode(&next);
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Tab {
    Password,
    EmailCode,
    PhoneCode,
    Link,
}

impl Tab {
    const ALL: [Tab; 4] = [Tab::Password, Tab::EmailCode, Tab::PhoneCode, Tab::Link];

    fn from_slug(slug: &str) -> Self {
        Self::ALL.into_iter().find(|t| t.slug() == slug).unwrap_or(Tab::Password)
    }

    fn slug(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::EmailCode => "email-code",
            Self::PhoneCode => "text-message",
            Self::Link => "email-link",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Password => "Password",
            Self::EmailCode => "Email code",
            Self::PhoneCode => "Text message",
            Self::Link => "Email link",
        }
    }

    /// The id of the form this tab shows (for outcomes of plain posts).
    fn form(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::EmailCode => code_form(Channel::Email),
            Self::PhoneCode => code_form(Channel::Sms),
            Self::Link => "link",
        }
    }
}

/// The ARIA tab pattern over links: each tab is a link to `?tab=…`, so every way of signing
/// in is reachable without JavaScript (and then every tab is in the Tab order). Once the
/// island is alive, tabs switch in place, only the selected tab is in the Tab order and the
/// arrow keys, Home and End move between tabs.
#[island]
fn SignInPanel(next: String, tab: Tab, flash: Option<FormFlash>) -> impl IntoView {
    let initial = tab;
    let (tab, set_tab) = signal(tab);
    // Effects run only in the browser: true once the keyboard handling below is live.
    let (alive, set_alive) = signal(false);
    Effect::new(move || set_alive.set(true));
    let next = StoredValue::new(next);
    let flash = StoredValue::new(flash);
    // Only the tab the page opened on shows what a plain post left.
    let flash_for = move |t: Tab| if t == initial { flash.get_value() } else { None };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let to = tab_after_key(tab.get_untracked(), &ev.key());
        if let Some(to) = to {
            ev.prevent_default();
            set_tab.set(to);
            focus_id(&tab_id(to));
        }
    };
    let tab_link = move |t: Tab| {
        let href = format!("/sign-in?tab={}&next={}", t.slug(), url_encode(&next.get_value()));
        view! {
            <a href=href role="tab" id=tab_id(t) aria-controls="sign-in-panel"
                aria-selected=move || (tab.get() == t).to_string()
                tabindex=move || if alive.get() && tab.get() != t { "-1" } else { "0" }
                class="rounded-full px-3 py-1.5 text-center text-sm font-medium text-stone-700 aria-selected:bg-stone-900 aria-selected:text-white focus-visible:outline-2 focus-visible:outline-emerald-700"
                on:click=move |ev| {
                    ev.prevent_default();
                    set_tab.set(t);
                }>{t.label()}</a>
        }
    };
    view! {
        <div class="mt-8">
            <div role="tablist" aria-label="Ways to sign in" class="grid grid-cols-2 gap-1 rounded-2xl bg-stone-100 p-1 sm:grid-cols-4"
                on:keydown=on_keydown>
                {Tab::ALL.into_iter().map(tab_link).collect_view()}
            </div>
            <div role="tabpanel" id="sign-in-panel" aria-labelledby=move || tab_id(tab.get()) class="mt-6">
                {move || {
                    let t = tab.get();
                    let flash = flash_for(t);
                    let next = next.get_value();
                    match t {
                        Tab::Password => view! { <PasswordForm next flash/> }.into_any(),
                        Tab::EmailCode => view! { <CodeForm channel=Channel::Email next sign_up=false flash/> }.into_any(),
                        Tab::PhoneCode => view! { <CodeForm channel=Channel::Sms next sign_up=false flash/> }.into_any(),
                        Tab::Link => view! { <LinkForm next flash/> }.into_any(),
                    }
                }}
            </div>
        </div>
    }
}

fn tab_id(t: Tab) -> String {
    format!("tab-{}", t.slug())
}

/// Where a key moves the selection in the tab list (wrapping at the ends), if anywhere.
fn tab_after_key(current: Tab, key: &str) -> Option<Tab> {
    let at = Tab::ALL.iter().position(|t| *t == current).unwrap_or(0);
    let n = Tab::ALL.len();
    let to = match key {
        "ArrowRight" | "ArrowDown" => (at + 1) % n,
        "ArrowLeft" | "ArrowUp" => (at + n - 1) % n,
        "Home" => 0,
        "End" => n - 1,
        _ => return None,
    };
    Some(Tab::ALL[to])
}

#[cfg(test)]
mod tab_tests {
    use super::{tab_after_key, Tab};

    #[test]
    fn arrow_keys_move_between_tabs_and_wrap() {
        assert_eq!(tab_after_key(Tab::Password, "ArrowRight"), Some(Tab::EmailCode));
        assert_eq!(tab_after_key(Tab::Password, "ArrowLeft"), Some(Tab::Link));
        assert_eq!(tab_after_key(Tab::Link, "ArrowRight"), Some(Tab::Password));
        assert_eq!(tab_after_key(Tab::PhoneCode, "Home"), Some(Tab::Password));
        assert_eq!(tab_after_key(Tab::EmailCode, "End"), Some(Tab::Link));
        assert_eq!(tab_after_key(Tab::EmailCode, "Enter"), None);
    }
}

#[component]
fn PasswordForm(next: String, flash: Option<FormFlash>) -> impl IntoView {
    let email = flashed(&flash, "email");
    let password = RwSignal::new(String::new());
    let submit = Action::new(move |(e, p, n): &(String, String, String)| sign_in_with_password(e.clone(), p.clone(), n.clone()));
    Effect::new(move || {
        if let Some(Ok(path)) = submit.value().get() {
            go_to(&path);
        }
    });
    let error = latest_error(move || submit.value().get().map(Result::err), &flash);
    let next_value = next.clone();
    view! {
        <form method="post" action=SignInWithPassword::url() class="space-y-4" on:submit=move |ev| {
            ev.prevent_default();
            submit.dispatch((email.get_untracked(), password.get_untracked(), next.clone()));
        }>
            <input type="hidden" name="next" value=next_value/>
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
/// a name, and an optional password beside the code.
#[component]
fn CodeForm(channel: Channel, next: String, sign_up: bool, flash: Option<FormFlash>) -> impl IntoView {
    let destination = flashed(&flash, "destination");
    let name = flashed(&flash, "name");
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let send = Action::new(move |(d, n): &(String, String)| send_sign_in_code(channel, d.clone(), Some(n.clone())));
    type VerifyArgs = (String, String, Option<String>, Option<String>, String);
    let verify = Action::new(move |(d, c, n, p, next): &VerifyArgs| {
        sign_in_with_code(channel, d.clone(), c.clone(), n.clone(), p.clone(), next.clone())
    });
    Effect::new(move || {
        if let Some(Ok(path)) = verify.value().get() {
            go_to(&path);
        }
    });
    // The confirmation once a code went out: from this island's call or a plain post.
    let sent = RwSignal::new(FormFlash::at_step(&flash, "verify").then(|| {
        flash.as_ref().and_then(|f| f.notice.clone()).unwrap_or_else(|| "Enter the 6-digit code we sent you.".into())
    }));
    Effect::new(move || {
        if let Some(Ok(s)) = send.value().get() {
            sent.set(Some(s.message()));
        }
    });
    let error = latest_error(move || second_step_first(verify.value().get(), send.value().get()), &flash);
    let (field, label, input_type, autocomplete) = match channel {
        Channel::Email => ("email", "Email", "email", "email"),
        Channel::Sms => ("phone", "Mobile number", "tel", "tel"),
    };
    let hint = (channel == Channel::Sms).then(|| "Include your country code, for example +1 555 010 0100.".to_string());
    let next = StoredValue::new(next);
    let action = move || if sent.get().is_some() { SignInWithCode::url() } else { SendSignInCode::url() };
    view! {
        <form method="post" action=action class="space-y-4" on:submit=move |ev| {
            ev.prevent_default();
            if sent.get_untracked().is_none() {
                send.dispatch((destination.get_untracked(), name.get_untracked()));
            } else {
                let optional = |s: RwSignal<String>| Some(s.get_untracked()).filter(|v| !v.is_empty());
                verify.dispatch((destination.get_untracked(), code.get_untracked(), optional(name), optional(password), next.get_value()));
            }
        }>
            <input type="hidden" name="channel" value=channel.as_str()/>
            <input type="hidden" name="next" value=next.get_value()/>
            {sign_up.then(|| view! { <Field label="Your name" name="name" value=name error autocomplete="name"/> })}
            <Field label=label name=field input_name="destination" value=destination error input_type=input_type autocomplete=autocomplete
                hint=hint.unwrap_or_default() required=true/>
            <Show when=move || sent.get().is_some()>
                <p role="status" class="text-sm text-stone-700">{move || sent.get()}</p>
                <Field label="Code" name="code" value=code error autocomplete="one-time-code" inputmode="numeric" required=true/>
                {sign_up.then(|| view! {
                    <Field label="Password (optional)" name="password" value=password error input_type="password" autocomplete="new-password"
                        hint="At least 10 characters. Without one, you sign in with a code each time."/>
                })}
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
                    <button type="submit" formaction=SendSignInCode::url() formnovalidate=true class=BUTTON_SECONDARY on:click=move |ev| {
                        ev.prevent_default();
                        send.dispatch((destination.get_untracked(), name.get_untracked()));
                    }>"Send a new code"</button>
                </Show>
            </div>
        </form>
    }
}

#[component]
fn LinkForm(next: String, flash: Option<FormFlash>) -> impl IntoView {
    let email = flashed(&flash, "email");
    let send = Action::new(move |(e, n): &(String, String)| send_magic_link(e.clone(), n.clone()));
    let error = latest_error(move || send.value().get().map(Result::err), &flash);
    let sent = latest_notice(move || send.value().get(), |s| s.link_message(), &flash);
    let next_value = next.clone();
    view! {
        <form method="post" action=SendMagicLink::url() class="space-y-4" on:submit=move |ev| {
            ev.prevent_default();
            send.dispatch((email.get_untracked(), next.clone()));
        }>
            <input type="hidden" name="next" value=next_value/>
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
    let outcome = form_outcome();
    view! {
        <AuthFrame title="Create your account">
            <p class="mt-2 text-sm text-stone-600">"Already have one? "<a href="/sign-in" class=LINK>"Sign in"</a></p>
            <Suspense fallback=|| ()>
                {move || outcome.get().map(|flash| view! { <SignUpPanel next=next.clone() flash=FormFlash::of(&flash, code_form(Channel::Email))/> })}
            </Suspense>
        </AuthFrame>
    }
}

#[island]
fn SignUpPanel(next: String, flash: Option<FormFlash>) -> impl IntoView {
    view! { <div class="mt-8"><CodeForm channel=Channel::Email next sign_up=true flash/></div> }
}

#[component]
pub fn MagicLinkPage() -> impl IntoView {
    let token = query("token");
    let next = query("next");
    let outcome = form_outcome();
    view! {
        <AuthFrame title="Sign in with your link">
            <p class="mt-2 text-sm text-stone-600">"Continue to sign in to Larkspur on this device."</p>
            <Suspense fallback=|| ()>
                {move || outcome.get().map(|flash| view! { <MagicLinkConfirm token=token.clone() next=next.clone() flash=FormFlash::of(&flash, "magic")/> })}
            </Suspense>
        </AuthFrame>
    }
}

/// Links are used by a deliberate click, not by opening the page, so mail scanners that
/// prefetch links cannot use them up.
#[island]
fn MagicLinkConfirm(token: String, next: String, flash: Option<FormFlash>) -> impl IntoView {
    let submit = Action::new(move |(t, n): &(String, String)| sign_in_with_link(t.clone(), n.clone()));
    Effect::new(move || {
        if let Some(Ok(path)) = submit.value().get() {
            go_to(&path);
        }
    });
    let error = latest_error(move || submit.value().get().map(Result::err), &flash);
    let (token_value, next_value) = (token.clone(), next.clone());
    view! {
        <form method="post" action=SignInWithLink::url() class="mt-6 space-y-4" on:submit=move |ev| {
            ev.prevent_default();
            submit.dispatch((token.clone(), next.clone()));
        }>
            <input type="hidden" name="token" value=token_value/>
            <input type="hidden" name="next" value=next_value/>
            <FormError error/>
            <button type="submit" class=BUTTON_PRIMARY disabled=move || submit.pending().get()>"Continue"</button>
        </form>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = query("token");
    let outcome = form_outcome();
    view! {
        <AuthFrame title="Reset your password">
            <Suspense fallback=|| ()>
                {move || outcome.get().map(|flash| view! { <ResetPanel token=token.clone() flash=FormFlash::of(&flash, "reset")/> })}
            </Suspense>
        </AuthFrame>
    }
}

#[island]
fn ResetPanel(token: String, flash: Option<FormFlash>) -> impl IntoView {
    let with_link = !token.is_empty();
    let email = flashed(&flash, "email");
    let code = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let send = Action::new(move |e: &String| request_password_reset(e.clone()));
    let reset = Action::new(move |(e, c, t, p): &(String, String, String, String)| reset_password(e.clone(), c.clone(), t.clone(), p.clone()));
    Effect::new(move || {
        if let Some(Ok(path)) = reset.value().get() {
            go_to(&path);
        }
    });
    let flashed_sent = FormFlash::at_step(&flash, "verify");
    let sent = Signal::derive(move || flashed_sent || send.value().get().is_some_and(|r| r.is_ok()));
    let error = latest_error(move || second_step_first(reset.value().get(), send.value().get()), &flash);
    let token = StoredValue::new(token);
    let resetting = move || with_link || sent.get();
    view! {
        <form method="post" action=move || if resetting() { ResetPassword::url() } else { RequestPasswordReset::url() }
            class="mt-8 space-y-4" on:submit=move |ev| {
            ev.prevent_default();
            if with_link || sent.get_untracked() {
                reset.dispatch((email.get_untracked(), code.get_untracked(), token.get_value(), password.get_untracked()));
            } else {
                send.dispatch(email.get_untracked());
            }
        }>
            {if with_link {
                view! {
                    <input type="hidden" name="email" value=""/>
                    <input type="hidden" name="code" value=""/>
                }.into_any()
            } else {
                view! { <Field label="Email" name="email" value=email error input_type="email" autocomplete="email" required=true/> }.into_any()
            }}
            <input type="hidden" name="token" value=token.get_value()/>
            <Show when=resetting>
                {(!with_link).then(|| view! {
                    <p role="status" class="text-sm text-stone-700">"If an account uses this address, we sent it a code and a link."</p>
                    <Field label="Code" name="code" value=code error autocomplete="one-time-code" inputmode="numeric" required=true/>
                })}
                <Field label="New password" name="password" value=password error input_type="password" autocomplete="new-password"
                    hint="At least 10 characters." required=true/>
            </Show>
            <FormError error/>
            <button type="submit" class=BUTTON_PRIMARY disabled=move || send.pending().get() || reset.pending().get()>
                {move || if resetting() { "Set new password" } else { "Send reset code" }}
            </button>
        </form>
    }
}
