use crate::{
    auth::{
        api::{
            change_password, confirm_contact_change, end_sessions, get_account, list_sessions, sign_out,
            contact_form, contact_saved, start_contact_change, update_name, Account, ActiveSession, ChangePassword,
            ConfirmContactChange, EndSessions, MakeContactPrimary, RemoveContact, SignOut, StartContactChange, UpdateName, NAME_SAVED, PASSWORD_SAVED,
        },
        types::Channel,
    },
    forms::{flashed, form_outcome, latest_error, latest_notice, second_step_first, FormFlash},
    money::Money,
    orders::{api::list_orders, display_number, OrderSummary},
    ui::{PageTitle, go_to, ErrorNotice, Field, FormError, Notice, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
};
use crate::account::pages::{DataPanel, PicturePanel};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Meta;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AccountPage() -> impl IntoView {
    let account = Resource::new(|| (), |_| get_account());
    // Loaded with the page (islands' own loads happen in the browser).
    let sessions = Resource::new(|| (), |_| list_sessions());
    let orders = Resource::new(|| (), |_| list_orders());
    let export = Resource::new(|| (), |_| crate::account::api::data_export_status());
    // Staff only: a customer has no panel.
    let second_factor = Resource::new(|| (), |_| crate::auth::second_factor::get_second_factor());
    let picture_saved = use_query_map().with_untracked(|q| q.get("picture").is_some());
    let outcome = form_outcome();
    let notice = use_query_map().with_untracked(|q| {
        if q.get("linked").is_some() {
            Some("Your sign-in provider is connected.")
        } else if q.get("verified").is_some() {
            Some("Verified: it's on your account now.")
        } else {
            q.get("error").and_then(|e| super::oauth_error_message(&e))
        }
    });
    view! {
        <PageTitle text="Your account — Larkspur"/>
        <Meta name="robots" content="noindex"/>
        <section class="mx-auto max-w-3xl px-4 py-10 sm:px-6">
            <Suspense fallback=|| view! { <p class="text-stone-500">"Loading your account…"</p> }>
                {move || account.get().map(|result| match result {
                    Ok(account) => {
                        let flash = outcome.get().flatten();
                        let sessions = sessions.get().and_then(Result::ok).unwrap_or_default();
                        let orders = orders.get().and_then(Result::ok);
                        let export = export.get().and_then(Result::ok).flatten();
                        let second_factor = second_factor.get().and_then(Result::ok).flatten();
                        view! { <AccountSections account notice flash sessions orders export second_factor picture_saved/> }.into_any()
                    }
                    Err(crate::error::AppError::Unauthorized) => {
                        #[cfg(feature = "ssr")]
                        leptos_axum::redirect("/sign-in?next=/account");
                        view! { <p>"Please "<a href="/sign-in?next=/account" class=LINK>"sign in"</a>" to see your account."</p> }.into_any()
                    }
                    Err(err) => view! { <ErrorNotice error=err/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Panel(#[prop(into)] title: String, #[prop(into)] id: String, children: Children) -> impl IntoView {
    let labelled_by = id.clone();
    view! {
        <section class="rounded-2xl border border-stone-200 bg-white p-6 shadow-sm" aria-labelledby=labelled_by>
            <h2 id=id class="text-lg font-semibold text-stone-900">{title}</h2>
            <div class="mt-4">{children()}</div>
        </section>
    }
}

#[component]
fn AccountSections(
    account: Account,
    notice: Option<&'static str>,
    flash: Option<FormFlash>,
    sessions: Vec<ActiveSession>,
    orders: Option<Vec<OrderSummary>>,
    export: Option<crate::account::ExportStatus>,
    second_factor: Option<crate::auth::second_factor::SecondFactorStatus>,
    picture_saved: bool,
) -> impl IntoView {
    let greeting = if account.name.is_empty() { "Your account".to_owned() } else { format!("Hello, {}", account.name) };
    let methods = sign_in_methods(&account);
    let connectable: Vec<String> =
        account.available_providers.iter().filter(|p| !account.linked_providers.contains(p)).cloned().collect();
    let name_flash = FormFlash::of(&flash, "name");
    let picture_flash = FormFlash::of(&flash, crate::account::PICTURE_FORM);
    let data_flash = flash.clone();
    let email_flash = FormFlash::of(&flash, contact_form(Channel::Email));
    let phone_flash = FormFlash::of(&flash, contact_form(Channel::Sms));
    let password_flash = FormFlash::of(&flash, "password-change");
    view! {
        <div class="flex flex-wrap items-center justify-between gap-4">
            <h1 class="text-3xl font-semibold tracking-tight text-stone-900">{greeting}</h1>
            <SignOutButton/>
        </div>
        {notice.map(|n| view! { <p role="status" class="mt-4 rounded-lg border border-stone-200 bg-stone-50 px-3 py-2 text-sm">{n}</p> })}
        <div class="mt-8 space-y-6">
            <Panel title="Your orders" id="your-orders"><OrdersPanel orders/></Panel>
            <Panel title="Notifications" id="notifications">
                <p class="text-sm text-stone-700">"Order news, replies to your reviews, security alerts and sizes back in stock."</p>
                <div class="mt-4 flex flex-wrap gap-2">
                    <a href="/account/notifications" class=BUTTON_SECONDARY>"See notifications"</a>
                    <a href="/account/notifications/settings" class=BUTTON_SECONDARY>"Choose what we send"</a>
                </div>
            </Panel>
            <Panel title="Profile" id="profile">
                <PicturePanel url=account.avatar_url.clone() name=account.name.clone() flash=picture_flash saved=picture_saved/>
                <div class="mt-6"><NameForm name=account.name.clone() flash=name_flash/></div>
            </Panel>
            <Panel title="Email addresses" id="email-address">
                <ContactList channel=Channel::Email primary=account.email.clone() verified=account.email_verified others=account.other_emails.clone()/>
                <ContactForm channel=Channel::Email flash=email_flash/>
            </Panel>
            <Panel title="Mobile numbers" id="mobile-number">
                <ContactList channel=Channel::Sms primary=account.phone.clone() verified=account.phone_verified others=account.other_phones.clone()/>
                <ContactForm channel=Channel::Sms flash=phone_flash/>
            </Panel>
            <Panel title="Password" id="password"><PasswordChange has_password=account.has_password flash=password_flash/></Panel>
            {second_factor.map(|status| {
                let flash = flash.clone();
                view! { <Panel title="Two-step sign-in" id="two-step"><super::second_factor::SecondFactorPanel status flash/></Panel> }
            })}
            <Panel title="Ways to sign in" id="sign-in-methods">
                <ul class="divide-y divide-stone-100" data-testid="sign-in-methods">
                    {methods.into_iter().map(|(label, on)| view! {
                        <li class="flex justify-between py-2 text-sm">
                            <span>{label}</span>
                            <span class=if on { "font-medium text-emerald-800" } else { "text-stone-500" }>{if on { "On" } else { "Not set up" }}</span>
                        </li>
                    }).collect_view()}
                </ul>
                <div class="mt-4 flex flex-wrap gap-2">
                    {connectable.into_iter().map(|p| view! {
                        <a href=format!("/auth/oauth/{p}/start?next=/account") class=BUTTON_SECONDARY>{format!("Connect {}", provider_label(&p))}</a>
                    }).collect_view()}
                </div>
            </Panel>
            <Panel title="Where you're signed in" id="sessions"><SessionsPanel initial=sessions/></Panel>
            <Panel title="Your data" id="your-data"><DataPanel status=export flash=data_flash/></Panel>
            {account.role.can(crate::auth::Permission::ViewDashboard).then(|| view! { <p class="text-sm"><a href="/admin" class=LINK>"Go to the staff dashboard"</a></p> })}
        </div>
    }
}

/// The latest order (number, status, date) and the way to all of them.
#[component]
fn OrdersPanel(orders: Option<Vec<OrderSummary>>) -> impl IntoView {
    let count = orders.as_ref().map_or(0, Vec::len);
    let latest = orders.and_then(|list| list.into_iter().next());
    view! {
        {match latest {
            Some(o) => view! {
                <div class="flex flex-wrap items-center justify-between gap-3 rounded-lg border border-stone-200 p-4" data-testid="latest-order">
                    <div>
                        <p class="text-sm text-stone-600">"Latest order"</p>
                        <a href=format!("/account/orders/{}", o.number) class=format!("font-semibold {LINK}")>{format!("Order {}", display_number(o.number))}</a>
                        <p class="text-sm text-stone-600">
                            {format!("Placed {} · {} item{} · {}", o.placed_at.format("%-d %B %Y"), o.item_count, if o.item_count == 1 { "" } else { "s" }, Money::new(o.total_minor, o.currency))}
                        </p>
                    </div>
                    <p class="text-sm">
                        <span class="sr-only">"Status: "</span>
                        <span class="inline-flex rounded-full bg-stone-100 px-2.5 py-0.5 text-xs font-semibold text-stone-900" data-testid="latest-order-status">{o.status.label()}</span>
                    </p>
                </div>
            }.into_any(),
            None => view! { <p class="text-sm text-stone-700">"You haven't ordered anything yet. "<a href="/" class=LINK>"Start shopping"</a></p> }.into_any(),
        }}
        <p class="mt-4 text-sm">
            <a href="/account/orders" class=LINK>{if count > 0 { format!("All your orders ({count})") } else { "All your orders".to_string() }}</a>
        </p>
    }
}

fn provider_label(provider: &str) -> &'static str {
    match provider {
        "google" => "Google",
        _ => "Facebook",
    }
}

fn sign_in_methods(account: &Account) -> Vec<(&'static str, bool)> {
    vec![
        ("Password", account.has_password),
        ("Code or link by email", (account.email.is_some() && account.email_verified) || !account.other_emails.is_empty()),
        ("Code by text message", (account.phone.is_some() && account.phone_verified) || !account.other_phones.is_empty()),
        ("Google", account.linked_providers.iter().any(|p| p == "google")),
        ("Facebook", account.linked_providers.iter().any(|p| p == "facebook")),
    ]
}

#[island]
fn SignOutButton() -> impl IntoView {
    let out = Action::new(move |_: &()| sign_out());
    Effect::new(move || {
        if let Some(Ok(())) = out.value().get() {
            go_to("/");
        }
    });
    view! {
        <form method="post" action=SignOut::url() on:submit=move |ev| { ev.prevent_default(); out.dispatch(()); }>
            <button type="submit" class=BUTTON_SECONDARY disabled=move || out.pending().get()>"Sign out"</button>
        </form>
    }
}

#[island]
fn NameForm(name: String, flash: Option<FormFlash>) -> impl IntoView {
    let value = RwSignal::new(flash.as_ref().map(|f| f.value("name")).unwrap_or(name));
    let save = Action::new(move |n: &String| update_name(n.clone()));
    let error = latest_error(move || save.value().get().map(Result::err), &flash);
    let saved = latest_notice(move || save.value().get(), |_| NAME_SAVED.to_string(), &flash);
    view! {
        <form method="post" action=UpdateName::url() class="space-y-4"
            on:submit=move |ev| { ev.prevent_default(); save.dispatch(value.get_untracked()); }>
            <Field label="Name" name="name" value error autocomplete="name" required=true/>
            <FormError error/>
            <Notice message=saved/>
            <button type="submit" class=BUTTON_PRIMARY disabled=move || save.pending().get()>"Save name"</button>
        </form>
    }
}

/// The account's addresses (or numbers): the primary, which gets the mail (or the texts and
/// checkout codes), and the others, any of which signs in. Plain forms: each button posts.
#[component]
fn ContactList(channel: Channel, primary: Option<String>, verified: bool, others: Vec<String>) -> impl IntoView {
    let row = "flex flex-wrap items-center justify-between gap-2 py-2";
    let small = "rounded px-2 py-1 text-sm font-medium text-emerald-800 hover:underline focus-visible:outline-2 focus-visible:outline-emerald-700";
    let remove = move |value: String| {
        view! {
            <form method="post" action=RemoveContact::url()>
                <input type="hidden" name="channel" value=channel.as_str()/>
                <input type="hidden" name="value" value=value.clone()/>
                <button type="submit" class=small aria-label=format!("Remove {value}")>"Remove"</button>
            </form>
        }
    };
    view! {
        <ul class="divide-y divide-stone-100 text-sm" data-testid=format!("{}-list", channel.as_str())>
            {match primary {
                Some(value) => view! {
                    <li class=row>
                        <span>
                            <span class="font-medium text-stone-900">{value.clone()}</span>" "
                            <span class="rounded-full bg-stone-100 px-2 py-0.5 text-xs text-stone-700">{if verified { "Primary" } else { "Primary · not verified" }}</span>
                        </span>
                        {remove(value)}
                    </li>
                }.into_any(),
                None => view! { <li class="py-2 text-stone-600">"None yet."</li> }.into_any(),
            }}
            {others.into_iter().map(|value| view! {
                <li class=row>
                    <span class="text-stone-900">{value.clone()}" "<span class="text-xs text-stone-500">"Verified"</span></span>
                    <div class="flex gap-1">
                        <form method="post" action=MakeContactPrimary::url()>
                            <input type="hidden" name="channel" value=channel.as_str()/>
                            <input type="hidden" name="value" value=value.clone()/>
                            <button type="submit" class=small aria-label=format!("Make primary: {value}")>"Make primary"</button>
                        </form>
                        {remove(value)}
                    </div>
                </li>
            }).collect_view()}
        </ul>
    }
}

/// Add an email address or mobile number: a code goes to it, and once it is entered the
/// address is the account's (its primary when it has no proven one yet).
#[island]
fn ContactForm(channel: Channel, flash: Option<FormFlash>) -> impl IntoView {
    let (field, label, input_type) = match channel {
        Channel::Email => ("email", "Add an email address", "email"),
        Channel::Sms => ("phone", "Add a mobile number", "tel"),
    };
    let destination = flashed(&flash, "destination");
    let code = RwSignal::new(String::new());
    let send = Action::new(move |d: &String| start_contact_change(channel, d.clone()));
    let confirm = Action::new(move |(d, c): &(String, String)| confirm_contact_change(channel, d.clone(), c.clone()));
    // Waiting for the code: after this island's send, or a plain post's.
    let waiting = RwSignal::new(FormFlash::at_step(&flash, "verify"));
    Effect::new(move || {
        if let Some(Ok(_)) = send.value().get() {
            waiting.set(true);
        }
    });
    let done = Signal::derive(move || confirm.value().get().and_then(Result::ok));
    Effect::new(move || {
        if done.get().is_some() {
            // The list above is the server's: show it afresh with the new entry.
            go_to(&format!("/account?verified={}#{}", channel.as_str(), if channel == Channel::Email { "email-address" } else { "mobile-number" }));
        }
    });
    let error = latest_error(move || second_step_first(confirm.value().get(), send.value().get()), &flash);
    let saved = latest_notice(move || confirm.value().get(), |now| contact_saved(&now), &flash);
    let hint = flash.as_ref().and_then(|f| f.notice.clone()).filter(|_| waiting.get_untracked());
    view! {
        <form method="post" action=move || if waiting.get() { ConfirmContactChange::url() } else { StartContactChange::url() }
            class="mt-4 space-y-4" on:submit=move |ev| {
            ev.prevent_default();
            if waiting.get_untracked() {
                confirm.dispatch((destination.get_untracked(), code.get_untracked()));
            } else {
                send.dispatch(destination.get_untracked());
            }
        }>
            <input type="hidden" name="channel" value=channel.as_str()/>
            <Field label=label name=field input_name="destination" value=destination error input_type=input_type/>
            <Show when=move || waiting.get()>
                <Field label="Code" name="code" value=code error autocomplete="one-time-code" inputmode="numeric" required=true
                    hint=hint.clone().unwrap_or_else(|| "We sent a 6-digit code to the new address.".into())/>
            </Show>
            <FormError error/>
            <Notice message=saved/>
            <button type="submit" class=BUTTON_SECONDARY disabled=move || send.pending().get() || confirm.pending().get()>
                {move || if waiting.get() { "Confirm" } else { "Send code" }}
            </button>
        </form>
    }
}

#[island]
fn PasswordChange(has_password: bool, flash: Option<FormFlash>) -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let save = Action::new(move |(c, n): &(String, String)| change_password(c.clone(), n.clone()));
    let error = latest_error(move || save.value().get().map(Result::err), &flash);
    let saved = latest_notice(move || save.value().get(), |_| PASSWORD_SAVED.to_string(), &flash);
    view! {
        <form method="post" action=ChangePassword::url() class="space-y-4"
            on:submit=move |ev| { ev.prevent_default(); save.dispatch((current.get_untracked(), new_password.get_untracked())); }>
            {if has_password {
                view! { <Field label="Current password" name="current" value=current error input_type="password" autocomplete="current-password" required=true/> }.into_any()
            } else {
                view! { <input type="hidden" name="current" value=""/> }.into_any()
            }}
            <Field label=if has_password { "New password" } else { "Choose a password" } name="new_password" value=new_password error
                input_type="password" autocomplete="new-password" hint="At least 10 characters." required=true/>
            <FormError error/>
            <Notice message=saved/>
            <button type="submit" class=BUTTON_SECONDARY disabled=move || save.pending().get()>"Save password"</button>
        </form>
    }
}

#[island]
fn SessionsPanel(initial: Vec<ActiveSession>) -> impl IntoView {
    let end = Action::new(move |id: &Option<uuid::Uuid>| end_sessions(*id));
    let initial = StoredValue::new(initial);
    // The page brought the first list; after ending a session, ask again.
    let sessions = Resource::new(move || end.version().get(), move |version| async move {
        if version == 0 { Ok(initial.get_value()) } else { list_sessions().await }
    });
    let error = Signal::derive(move || end.value().get().and_then(Result::err));
    view! {
        <Suspense fallback=|| view! { <p class="text-sm text-stone-500">"Loading…"</p> }>
            {move || sessions.get().map(|result| match result {
                Ok(list) => view! { <SessionList list end/> }.into_any(),
                Err(err) => view! { <p role="alert" class="text-sm text-red-700">{err.to_string()}</p> }.into_any(),
            })}
        </Suspense>
        <FormError error/>
        <form method="post" action=EndSessions::url() class="mt-4" on:submit=move |ev| { ev.prevent_default(); end.dispatch(None); }>
            <button type="submit" class=BUTTON_SECONDARY>"Sign out of all other sessions"</button>
        </form>
    }
}

#[component]
fn SessionList(list: Vec<ActiveSession>, end: Action<Option<uuid::Uuid>, Result<usize, crate::error::AppError>>) -> impl IntoView {
    view! {
        <ul class="divide-y divide-stone-100" data-testid="session-list">
            {list.into_iter().map(|s| {
                let id = s.id;
                let what = [s.browser.as_str(), s.os.as_str()].iter().filter(|v| !v.is_empty()).copied().collect::<Vec<_>>().join(" on ");
                let what = if what.is_empty() { s.device.clone() } else { format!("{what} ({})", s.device) };
                view! {
                    <li class="flex flex-wrap items-center justify-between gap-2 py-3 text-sm">
                        <div>
                            <p class="font-medium text-stone-900">{what}{s.current.then(|| view! { <span class="ml-2 rounded-full bg-emerald-100 px-2 py-0.5 text-xs text-emerald-900">"This device"</span> })}</p>
                            <p class="text-stone-500">{format!("Last active {} UTC · signed in {}", s.last_active_at.format("%Y-%m-%d %H:%M"), s.signed_in_at.format("%Y-%m-%d"))}</p>
                        </div>
                        {(!s.current).then(|| view! {
                            <form method="post" action=EndSessions::url() on:submit=move |ev| { ev.prevent_default(); end.dispatch(Some(id)); }>
                                <input type="hidden" name="id" value=id.to_string()/>
                                <button type="submit" class="text-sm font-medium text-red-700 underline">"Sign out"</button>
                            </form>
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
