//! The newsletter's pages: the sign-up form (in every footer and at `/newsletter`), the
//! page a confirmation link opens and the page an unsubscribe link opens. Each works
//! without JavaScript; the links' pages act only on a button press, so a mail scanner
//! that opens links changes nothing.

use super::{
    api::{get_confirmation, get_subscription, subscribe, ConfirmSubscription, Subscribe, Unsubscribe},
    Confirmation, Subscription, ALREADY_CONFIRMED,
};
use crate::{
    forms::{flashed, form_outcome, latest_error, latest_notice, take_form_outcome, FormFlash},
    ui::{described_by, invalid, FormError, LinkFrame, Notice, PageTitle, BUTTON_PRIMARY, LINK},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Meta;
use leptos_router::hooks::use_query_map;

fn query(name: &'static str) -> String {
    use_query_map().with_untracked(|q| q.get(name).unwrap_or_default())
}

/// The sign-up form. `place` is `footer` (on the dark footer) or `page` (the sign-up
/// page), which also names its ids and the `source` it records. Posts as a plain form
/// before the island is alive; then signs up in place.
#[island]
pub fn NewsletterSignup(place: String, flash: Option<FormFlash>) -> impl IntoView {
    let footer = place == "footer";
    let email = flashed(&flash, "email");
    let submit = Action::new(move |(e, p): &(String, String)| subscribe(e.clone(), p.clone()));
    let error = latest_error(move || submit.value().get().map(Result::err), &flash);
    let notice = latest_notice(move || submit.value().get(), |message| message, &flash);
    Effect::new(move || {
        if let Some(Ok(_)) = submit.value().get() {
            email.set(String::new());
        }
    });
    let message = Memo::new(move |_| error.get().and_then(|e| e.field_error("email")));
    let id = format!("newsletter-{place}-email");
    let (hint_id, error_id) = (format!("{id}-hint"), format!("{id}-error"));
    let described = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || described_by([Some(hint_id.as_str()), message.get().map(|_| error_id.as_str())])
    };
    let (label_class, hint_class, input_class, message_class) = if footer {
        (
            "block text-sm font-semibold text-white",
            "mt-1 text-sm text-stone-300",
            "min-w-0 flex-1 rounded-full border border-stone-600 bg-stone-800 px-4 py-2 text-base text-white placeholder:text-stone-400 focus:outline-2 focus:outline-offset-2 focus:outline-white aria-[invalid=true]:border-red-400",
            "mt-2 text-sm text-red-300",
        )
    } else {
        (
            "block text-sm font-medium text-stone-800",
            "mt-1 text-sm text-stone-600",
            "min-w-0 flex-1 rounded-full border border-stone-300 bg-white px-4 py-2 text-base text-stone-900 shadow-sm focus:border-emerald-700 focus:outline-2 focus:outline-emerald-700 aria-[invalid=true]:border-red-600",
            "mt-2 text-sm text-red-700",
        )
    };
    let button_class = if footer {
        "inline-flex shrink-0 items-center justify-center rounded-full bg-white px-5 py-2 text-sm font-semibold text-stone-900 hover:bg-emerald-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-white disabled:opacity-60"
    } else {
        BUTTON_PRIMARY
    };
    let source = if footer { "footer" } else { "page" };
    let notice_view = move || {
        notice.get().map(|m| {
            if footer {
                view! { <p role="status" class="mt-2 text-sm font-medium text-emerald-200" data-testid="newsletter-notice">{m}</p> }.into_any()
            } else {
                view! { <p role="status" class="mt-3 rounded-lg border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900" data-testid="newsletter-notice">{m}</p> }.into_any()
            }
        })
    };
    let general = Signal::derive(move || error.get().filter(|e| e.field_error("email").is_none()));
    view! {
        <form method="post" action=Subscribe::url() class="w-full max-w-md" data-testid=format!("newsletter-{place}") on:submit=move |ev| {
            ev.prevent_default();
            submit.dispatch((email.get_untracked(), source.to_owned()));
        }>
            <input type="hidden" name="source" value=source/>
            <label for=id.clone() class=label_class>"Email address"</label>
            <p id=hint_id.clone() class=hint_class>"New arrivals and journal stories, about twice a month. We'll ask you to confirm first."</p>
            <div class="mt-2 flex flex-wrap gap-2">
                <input id=id type="email" name="email" autocomplete="email" required=true class=input_class
                    aria-invalid=move || invalid(message.get().is_some()) aria-describedby=described
                    value=email.get_untracked() prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
                <button type="submit" class=button_class disabled=move || submit.pending().get()>"Sign up"</button>
            </div>
            {move || message.get().map(|m| view! { <p id=error_id.clone() class=message_class>{m}</p> })}
            <div class="mt-2"><FormError error=general/></div>
            {notice_view}
        </form>
    }
}

/// `/newsletter`: the sign-up form on a page of its own, where the footer's form lands
/// when it posts without JavaScript.
#[component]
pub fn NewsletterSignUpPage() -> impl IntoView {
    let outcome = form_outcome();
    view! {
        <PageTitle text="Newsletter — Larkspur"/>
        <Meta name="description" content="Sign up for the Larkspur newsletter: new arrivals and journal stories, about twice a month."/>
        <section class="mx-auto max-w-2xl px-4 py-12 sm:px-6">
            <h1 class="text-3xl font-semibold tracking-tight text-stone-900">"The Larkspur newsletter"</h1>
            <p class="mt-3 text-stone-600">
                "New arrivals, stories from the journal and the occasional offer, about twice a month. We send a link to confirm your address first, and every email has a one-click unsubscribe."
            </p>
            <div class="mt-8">
                <Suspense fallback=|| ()>
                    {move || outcome.get().map(|flash| view! { <NewsletterSignup place="page".to_owned() flash=FormFlash::of(&flash, "newsletter")/> })}
                </Suspense>
            </div>
        </section>
    }
}

/// `/newsletter/confirm?token=…`: what the link is for, and a button that confirms.
#[component]
pub fn ConfirmSubscriptionPage() -> impl IntoView {
    let token = query("token");
    let data = Resource::new(move || token.clone(), |token| async move { (get_confirmation(token).await, take_form_outcome().await.ok().flatten()) });
    let token = query("token");
    view! {
        <LinkFrame title="Confirm your subscription">
            <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
                {move || data.get().map(|(state, flash)| {
                    let mine = FormFlash::of(&flash, "newsletter-confirm");
                    let done = mine.as_ref().and_then(|f| f.notice.clone());
                    let error = mine.and_then(|f| f.error);
                    if let Some(message) = done {
                        return view! {
                            <div class="mt-6 space-y-4" data-testid="newsletter-confirmed">
                                <Notice message=Signal::derive(move || Some(message.clone()))/>
                                <p><a href="/" class=LINK>"Back to the shop"</a></p>
                            </div>
                        }.into_any();
                    }
                    let error = Signal::derive(move || error.clone());
                    match state {
                        Ok(Confirmation::Ready { email }) => view! {
                            <p class="mt-4 text-stone-700">{format!("Press the button to receive the Larkspur newsletter at {email}.")}</p>
                            <form method="post" action=ConfirmSubscription::url() class="mt-6 space-y-4">
                                <input type="hidden" name="token" value=token.clone()/>
                                <FormError error/>
                                <button type="submit" class=BUTTON_PRIMARY>"Confirm my subscription"</button>
                            </form>
                        }.into_any(),
                        Ok(Confirmation::AlreadyConfirmed) => view! {
                            <div class="mt-6 space-y-4" data-testid="newsletter-confirmed">
                                <Notice message=Signal::derive(|| Some(ALREADY_CONFIRMED.to_owned()))/>
                                <p><a href="/" class=LINK>"Back to the shop"</a></p>
                            </div>
                        }.into_any(),
                        Ok(Confirmation::Expired) => view! {
                            <p class="mt-4 text-stone-700" role="alert">"This confirmation link has expired (links work for 7 days)."</p>
                            <p class="mt-4"><a href="/newsletter" class=LINK>"Sign up again"</a>" and we'll send a new one."</p>
                        }.into_any(),
                        Ok(Confirmation::Invalid) => view! {
                            <p class="mt-4 text-stone-700" role="alert">"This confirmation link doesn't work: a newer one may have been sent, or the address was unsubscribed since. Use the newest email, or sign up again."</p>
                            <p class="mt-4"><a href="/newsletter" class=LINK>"Sign up for the newsletter"</a></p>
                        }.into_any(),
                        Err(e) => view! { <div class="mt-4"><crate::ui::ErrorNotice error=e/></div> }.into_any(),
                    }
                })}
            </Suspense>
        </LinkFrame>
    }
}

/// `/newsletter/unsubscribe?token=…`: whose subscription it is, and a button that ends it.
#[component]
pub fn UnsubscribePage() -> impl IntoView {
    let token = query("token");
    let data = Resource::new(move || token.clone(), |token| async move { (get_subscription(token).await, take_form_outcome().await.ok().flatten()) });
    let token = query("token");
    view! {
        <LinkFrame title="Unsubscribe from the newsletter">
            <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
                {move || data.get().map(|(state, flash)| {
                    let mine = FormFlash::of(&flash, "newsletter-unsubscribe");
                    let done = mine.as_ref().and_then(|f| f.notice.clone());
                    let error = mine.and_then(|f| f.error);
                    if let Some(message) = done {
                        return view! {
                            <div class="mt-6 space-y-4" data-testid="newsletter-unsubscribed">
                                <Notice message=Signal::derive(move || Some(message.clone()))/>
                                <p>"Changed your mind? "<a href="/newsletter" class=LINK>"Sign up again"</a>"."</p>
                            </div>
                        }.into_any();
                    }
                    let error = Signal::derive(move || error.clone());
                    match state {
                        Ok(Subscription::Subscribed { email }) => view! {
                            <p class="mt-4 text-stone-700">{format!("Stop sending the Larkspur newsletter to {email}? You don't need to sign in.")}</p>
                            <form method="post" action=Unsubscribe::url() class="mt-6 space-y-4">
                                <input type="hidden" name="token" value=token.clone()/>
                                <FormError error/>
                                <button type="submit" class=BUTTON_PRIMARY>"Unsubscribe"</button>
                            </form>
                        }.into_any(),
                        Ok(Subscription::Unsubscribed { email }) => view! {
                            <div class="mt-6 space-y-4" data-testid="newsletter-unsubscribed">
                                <p class="text-stone-700">{format!("{email} is unsubscribed: we won't send it the newsletter.")}</p>
                                <p>"Changed your mind? "<a href="/newsletter" class=LINK>"Sign up again"</a>"."</p>
                            </div>
                        }.into_any(),
                        Ok(Subscription::Invalid) => view! {
                            <p class="mt-4 text-stone-700" role="alert">"This unsubscribe link doesn't work. Copy the whole link from the email, or write to us and we'll take you off the list."</p>
                        }.into_any(),
                        Err(e) => view! { <div class="mt-4"><crate::ui::ErrorNotice error=e/></div> }.into_any(),
                    }
                })}
            </Suspense>
        </LinkFrame>
    }
}
