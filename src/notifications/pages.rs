//! The header's bell, `/account/notifications` (the list, newest first, with read marks),
//! `/account/notifications/settings` (what goes where), and the pages an email's
//! unsubscribe and "this wasn't me" links open. All of it works without JavaScript; the
//! bell's island only keeps its count current.

use super::{
    api::{
        choice_key, list_notifications, notification_settings, unsubscribe_topic_of, MarkAllNotificationsRead,
        MarkNotificationRead, ReportSignIn, SaveNotificationSettings, UnsubscribeNotifications,
    },
    Marketing, NotificationItem, NotificationPage, NotificationChoices, TopicPreference,
};
use crate::{
    error::AppError,
    forms::{form_outcome, take_form_outcome, FormFlash},
    ui::{ErrorNotice, FormError, LinkFrame, Notice, PageTitle, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Meta;
use leptos_router::hooks::use_query_map;

/// How often an open page asks for the unread count.
#[cfg(feature = "hydrate")]
const BELL_POLL: std::time::Duration = std::time::Duration::from_secs(10);

/// The header's link to the notifications, with the unread count the page was rendered
/// with; in the browser it asks again every few seconds, so news shows without a reload.
#[island]
pub fn NotificationBell(count: i64) -> impl IntoView {
    let (count, set_count) = signal(count);
    #[cfg(feature = "hydrate")]
    Effect::new(move || {
        let tick = move || {
            leptos::task::spawn_local(async move {
                if let Ok(n) = super::api::unread_notifications().await {
                    set_count.set(n);
                }
            })
        };
        // Lives as long as the page.
        let _ = set_interval_with_handle(tick, BELL_POLL);
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = set_count;
    let badge = move || {
        if count.get() > 0 {
            "absolute -right-1 -top-1 inline-flex min-w-5 justify-center rounded-full bg-emerald-800 px-1 text-xs font-semibold text-white"
        } else {
            "sr-only"
        }
    };
    view! {
        <a href="/account/notifications" data-testid="notification-bell"
            class="relative inline-flex items-center rounded px-2 py-1 text-stone-700 hover:text-emerald-800 focus-visible:outline-2 focus-visible:outline-emerald-700">
            <svg aria-hidden="true" viewBox="0 0 24 24" class="h-5 w-5" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">
                <path d="M6 8a6 6 0 1 1 12 0c0 7 3 8 3 8H3s3-1 3-8"/>
                <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0"/>
            </svg>
            <span class="sr-only">"Notifications"</span>
            <span data-testid="notification-count" class=badge>{move || count.get()}</span>
            <span class="sr-only">" unread"</span>
        </a>
    }
}

fn sign_in_first(next: &'static str) -> AnyView {
    #[cfg(feature = "ssr")]
    leptos_axum::redirect(&format!("/sign-in?next={next}"));
    view! { <p>"Please "<a href=format!("/sign-in?next={next}") class=LINK>"sign in"</a>" to see your notifications."</p> }.into_any()
}

/// `/account/notifications?page=N`.
#[component]
pub fn NotificationsPage() -> impl IntoView {
    let page = use_query_map().with_untracked(|q| q.get("page").and_then(|p| p.parse::<i64>().ok()).unwrap_or(1));
    let list = Resource::new(move || page, list_notifications);
    let outcome = form_outcome();
    view! {
        <PageTitle text="Notifications — Larkspur"/>
        <Meta name="robots" content="noindex"/>
        <section class="mx-auto max-w-3xl px-4 py-10 sm:px-6">
            <Suspense fallback=|| view! { <p class="text-stone-500">"Loading…"</p> }>
                {move || list.get().map(|result| match result {
                    Ok(page) => {
                        let error = FormFlash::of(&outcome.get().flatten(), "notifications").and_then(|f| f.error);
                        view! { <NotificationList page error/> }.into_any()
                    }
                    Err(AppError::Unauthorized) => sign_in_first("/account/notifications"),
                    Err(err) => view! { <ErrorNotice error=err/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn NotificationList(page: NotificationPage, error: Option<AppError>) -> impl IntoView {
    let NotificationPage { items, page, pages, unread } = page;
    let error = Signal::derive(move || error.clone());
    view! {
        <div class="flex flex-wrap items-center justify-between gap-4">
            <div>
                <p class="text-sm"><a href="/account" class=LINK>"Your account"</a></p>
                <h1 class="mt-1 text-3xl font-semibold tracking-tight text-stone-900">"Notifications"</h1>
                <p class="mt-1 text-sm text-stone-600" data-testid="unread-summary">
                    {if unread == 0 { "Nothing unread.".to_owned() } else if unread == 1 { "1 unread.".to_owned() } else { format!("{unread} unread.") }}
                </p>
            </div>
            <div class="flex flex-wrap gap-2">
                {(unread > 0).then(|| view! {
                    <form method="post" action=MarkAllNotificationsRead::url()>
                        <button type="submit" class=BUTTON_SECONDARY>"Mark all read"</button>
                    </form>
                })}
                <a href="/account/notifications/settings" class=BUTTON_SECONDARY>"Settings"</a>
            </div>
        </div>
        <div class="mt-4"><FormError error/></div>
        {if items.is_empty() {
            view! { <p class="mt-8 text-stone-600">"No notifications yet. We'll tell you here when your orders move along, when your reviews are published, and when a size you're waiting for is back."</p> }.into_any()
        } else {
            view! {
                <ul class="mt-6 divide-y divide-stone-200 rounded-2xl border border-stone-200 bg-white" data-testid="notifications">
                    {items.into_iter().map(|item| view! { <NotificationRow item/> }).collect_view()}
                </ul>
            }.into_any()
        }}
        {(pages > 1).then(|| view! {
            <nav aria-label="Notification pages" class="mt-6 flex items-center justify-between text-sm">
                {(page > 1).then(|| view! { <a href=format!("/account/notifications?page={}", page - 1) class=LINK rel="prev">"Newer"</a> })}
                <span class="text-stone-600">{format!("Page {page} of {pages}")}</span>
                {(page < pages).then(|| view! { <a href=format!("/account/notifications?page={}", page + 1) class=LINK rel="next">"Older"</a> })}
            </nav>
        })}
    }
}

#[component]
fn NotificationRow(item: NotificationItem) -> impl IntoView {
    let NotificationItem { id, title, body, link, read, created_at, .. } = item;
    let when = created_at.format("%-d %b %Y, %H:%M").to_string();
    view! {
        <li class=if read { "flex gap-4 p-4" } else { "flex gap-4 bg-emerald-50/60 p-4" } data-testid="notification" data-read=read.to_string()>
            <span aria-hidden="true" class=if read { "mt-2 h-2 w-2 shrink-0 rounded-full" } else { "mt-2 h-2 w-2 shrink-0 rounded-full bg-emerald-700" }></span>
            <div class="min-w-0 flex-1">
                <p class="font-medium text-stone-900">
                    {match link {
                        Some(href) => view! { <a href=href class="hover:underline focus-visible:outline-2 focus-visible:outline-emerald-700">{title}</a> }.into_any(),
                        None => view! { <span>{title}</span> }.into_any(),
                    }}
                    {(!read).then(|| view! { <span class="sr-only">" (unread)"</span> })}
                </p>
                <p class="mt-1 text-sm text-stone-700">{body}</p>
                <p class="mt-1 text-xs text-stone-500"><time datetime=created_at.to_rfc3339()>{when}" UTC"</time></p>
            </div>
            {(!read).then(|| view! {
                <form method="post" action=MarkNotificationRead::url() class="shrink-0">
                    <input type="hidden" name="id" value=id.to_string()/>
                    <button type="submit" class="rounded px-2 py-1 text-sm font-medium text-emerald-800 hover:underline focus-visible:outline-2 focus-visible:outline-emerald-700">
                        "Mark read"
                    </button>
                </form>
            })}
        </li>
    }
}

/// `/account/notifications/settings`: per topic, in the store, by email, by text message.
#[component]
pub fn NotificationSettingsPage() -> impl IntoView {
    let settings = Resource::new(|| (), |_| notification_settings());
    let outcome = form_outcome();
    view! {
        <PageTitle text="Notification settings — Larkspur"/>
        <Meta name="robots" content="noindex"/>
        <section class="mx-auto max-w-3xl px-4 py-10 sm:px-6">
            <Suspense fallback=|| view! { <p class="text-stone-500">"Loading…"</p> }>
                {move || settings.get().map(|result| match result {
                    Ok(NotificationChoices { topics, marketing }) => {
                        let flash = FormFlash::of(&outcome.get().flatten(), "notification-settings");
                        view! { <SettingsForm topics marketing flash/> }.into_any()
                    }
                    Err(AppError::Unauthorized) => sign_in_first("/account/notifications/settings"),
                    Err(err) => view! { <ErrorNotice error=err/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn SettingsForm(topics: Vec<TopicPreference>, marketing: Marketing, flash: Option<FormFlash>) -> impl IntoView {
    let notice = flash.as_ref().and_then(|f| f.notice.clone());
    let error = flash.and_then(|f| f.error);
    let marketing_error = error.as_ref().and_then(|e| e.field_error(super::api::MARKETING_KEY));
    let Marketing { email, subscribed, consent } = marketing;
    let cell = |topic: super::Topic, channel: &'static str, label: &'static str, on: bool, locked: bool| {
        let name = format!("on[{}]", choice_key(topic, channel));
        let aria = format!("{} {label}", topic.label());
        view! {
            <td class="px-3 py-3 text-center">
                <input type="checkbox" name=name checked=on disabled=locked aria-label=aria
                    class="h-4 w-4 rounded border-stone-400 text-emerald-800 focus-visible:outline-2 focus-visible:outline-emerald-700"/>
            </td>
        }
    };
    view! {
        <p class="text-sm"><a href="/account/notifications" class=LINK>"Notifications"</a></p>
        <h1 class="mt-1 text-3xl font-semibold tracking-tight text-stone-900">"Notification settings"</h1>
        <p class="mt-2 text-stone-600">"Choose how we tell you about each kind of news. Receipts and security alerts always come by email. Text messages go to your verified mobile number."</p>
        <div class="mt-4 space-y-2">
            <Notice message=Signal::derive(move || notice.clone())/>
            <FormError error=Signal::derive(move || error.clone())/>
        </div>
        <form method="post" action=SaveNotificationSettings::url() class="mt-6">
            <div class="overflow-x-auto rounded-2xl border border-stone-200 bg-white">
                <table class="w-full text-sm">
                    <caption class="sr-only">"Where each kind of notification goes"</caption>
                    <thead class="bg-stone-50 text-left text-stone-700">
                        <tr>
                            <th scope="col" class="px-4 py-3 font-semibold">"News"</th>
                            <th scope="col" class="px-3 py-3 text-center font-semibold">"In the store"</th>
                            <th scope="col" class="px-3 py-3 text-center font-semibold">"Email"</th>
                            <th scope="col" class="px-3 py-3 text-center font-semibold">"Text message"</th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-stone-100">
                        {topics.into_iter().map(|TopicPreference { topic, channels }| view! {
                            <tr data-topic=topic.as_str()>
                                <th scope="row" class="px-4 py-3 text-left font-normal">
                                    <span class="block font-medium text-stone-900">{topic.label()}</span>
                                    <span class="block text-stone-600">{topic.description()}</span>
                                </th>
                                {cell(topic, "in_store", "in the store", channels.in_store, false)}
                                {cell(topic, "email", "by email", channels.email, topic.email_required())}
                                {if topic.offers_sms() {
                                    cell(topic, "sms", "by text message", channels.sms, false).into_any()
                                } else {
                                    view! { <td class="px-3 py-3 text-center text-stone-400"><span aria-hidden="true">"—"</span><span class="sr-only">"Not sent by text message"</span></td> }.into_any()
                                }}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <fieldset class="mt-6 rounded-2xl border border-stone-200 bg-white p-4">
                <legend class="px-1 text-sm font-semibold text-stone-900">"News and offers"</legend>
                <label class="flex items-start gap-3 text-sm">
                    <input type="checkbox" name=format!("on[{}]", super::api::MARKETING_KEY) checked=subscribed
                        class="mt-0.5 h-4 w-4 rounded border-stone-400 text-emerald-800 focus-visible:outline-2 focus-visible:outline-emerald-700"
                        aria-describedby="marketing-hint" aria-invalid=marketing_error.is_some().to_string()/>
                    <span>
                        <span class="font-medium text-stone-900">"Email me new arrivals, journal stories and offers"</span>
                        <span id="marketing-hint" class="block text-stone-600">
                            {match (&email, consent) {
                                (None, _) => "Verify an email address first: it goes to your primary one.".to_owned(),
                                (Some(e), true) => format!("To {e}, about twice a month. Every email has a one-click unsubscribe."),
                                (Some(e), false) => format!("To {e}. It needs your consent to marketing: allow it in your cookie settings first."),
                            }}
                        </span>
                    </span>
                </label>
                {(!consent).then(|| view! { <p class="mt-2 text-sm"><a href="/privacy/cookies" class=LINK>"Cookie settings"</a></p> })}
                {marketing_error.map(|m| view! { <p class="mt-2 text-sm text-red-700" role="alert">{m}</p> })}
            </fieldset>
            <button type="submit" class=format!("mt-6 {BUTTON_PRIMARY}")>"Save settings"</button>
        </form>
    }
}

fn query(name: &'static str) -> String {
    use_query_map().with_untracked(|q| q.get(name).unwrap_or_default())
}

/// `/notifications/unsubscribe?token=…`: what the link turns off, and a button that does.
#[component]
pub fn NotificationUnsubscribePage() -> impl IntoView {
    let token = query("token");
    let data = Resource::new(move || token.clone(), |token| async move { (unsubscribe_topic_of(token).await, take_form_outcome().await.ok().flatten()) });
    let token = query("token");
    view! {
        <LinkFrame title="Unsubscribe">
            <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
                {move || data.get().map(|(topic, flash)| {
                    let mine = FormFlash::of(&flash, "notifications-unsubscribe");
                    if let Some(message) = mine.as_ref().and_then(|f| f.notice.clone()) {
                        return view! {
                            <div class="mt-6 space-y-4" data-testid="notifications-unsubscribed">
                                <Notice message=Signal::derive(move || Some(message.clone()))/>
                                <p>"You can turn it back on in your "<a href="/account/notifications/settings" class=LINK>"notification settings"</a>"."</p>
                            </div>
                        }.into_any();
                    }
                    let error = Signal::derive(move || mine.as_ref().and_then(|f| f.error.clone()));
                    match topic {
                        Ok(label) => view! {
                            <p class="mt-4 text-stone-700">{format!("Stop emails about {}? You don't need to sign in.", label.to_lowercase())}</p>
                            <form method="post" action=UnsubscribeNotifications::url() class="mt-6 space-y-4">
                                <input type="hidden" name="token" value=token.clone()/>
                                <FormError error/>
                                <button type="submit" class=BUTTON_PRIMARY>"Unsubscribe"</button>
                            </form>
                        }.into_any(),
                        Err(e) => view! { <p class="mt-4 text-stone-700" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </LinkFrame>
    }
}

/// `/account/not-me?token=…`: the new-device alert's "this wasn't me".
#[component]
pub fn NotMePage() -> impl IntoView {
    let token = query("token");
    let outcome = form_outcome();
    view! {
        <LinkFrame title="Wasn't you?">
            <Suspense fallback=|| ()>
                {move || outcome.get().map(|flash| {
                    let mine = FormFlash::of(&flash, "not-me");
                    if let Some(message) = mine.as_ref().and_then(|f| f.notice.clone()) {
                        return view! {
                            <div class="mt-6 space-y-4" data-testid="not-me-done">
                                <Notice message=Signal::derive(move || Some(message.clone()))/>
                                <p><a href="/reset-password" class=LINK>"Set a new password"</a></p>
                            </div>
                        }.into_any();
                    }
                    let error = Signal::derive(move || mine.as_ref().and_then(|f| f.error.clone()));
                    view! {
                        <p class="mt-4 text-stone-700">"We'll sign that device out of your account at once and email you a code to set a new password. You don't need to sign in."</p>
                        <form method="post" action=ReportSignIn::url() class="mt-6 space-y-4">
                            <input type="hidden" name="token" value=token.clone()/>
                            <FormError error/>
                            <button type="submit" class=BUTTON_PRIMARY>"End that session and reset my password"</button>
                        </form>
                    }.into_any()
                })}
            </Suspense>
        </LinkFrame>
    }
}
