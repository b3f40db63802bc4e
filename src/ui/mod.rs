//! The design system: small presentational pieces every page shares.

use crate::{error::AppError, money::Money, text::escape_html};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};

pub mod charts;

/// The page's `<title>`, the one way a title reaches a page. leptos_meta writes title text
/// into the head without escaping it during server rendering, so a search query or a
/// product name could close the element and inject markup; it is escaped here.
#[component]
pub fn PageTitle(#[prop(into)] text: String) -> impl IntoView {
    view! { <Title text=escape_html(&text)/> }
}

#[component]
pub fn Price(price: Money, compare_at: Option<Money>) -> impl IntoView {
    let on_sale = compare_at.is_some();
    view! {
        <p class="mt-1 flex items-baseline gap-2 text-sm">
            <span class=if on_sale { "font-semibold text-red-700" } else { "font-semibold text-stone-900" }>
                {on_sale.then(|| view! { <span class="sr-only">"Sale price "</span> })}
                {price.to_string()}
            </span>
            {compare_at.map(|was| view! {
                <s class="text-stone-500"><span class="sr-only">"Regular price "</span>{was.to_string()}</s>
            })}
        </p>
    }
}

/// Star rating, announced as one image with its label (an `aria-label` on a plain `<p>` is
/// ignored by screen readers); nothing when there are no reviews yet.
#[component]
pub fn Rating(avg_x10: i32, count: i32) -> impl IntoView {
    (count > 0).then(|| {
        let label = format!("Rated {}.{} out of 5 from {} review{}", avg_x10 / 10, avg_x10 % 10, count, if count == 1 { "" } else { "s" });
        let filled = ((avg_x10 + 5) / 10).clamp(0, 5) as usize;
        view! {
            <p class="mt-1 flex items-center gap-1 text-xs text-stone-600" role="img" aria-label=label.clone() title=label>
                <span aria-hidden="true" class="tracking-tight text-amber-500">
                    {"★".repeat(filled)}<span class="text-stone-300">{"★".repeat(5 - filled)}</span>
                </span>
                <span aria-hidden="true">{format!("({count})")}</span>
            </p>
        }
    })
}

/// A `<textarea>`'s text, as its child. Leptos writes a textarea's children into the page as
/// they are (it treats the element like `<script>`), so stored text holding `</textarea>`
/// would end the element and become markup: the server escapes it (the browser decodes
/// entities inside a textarea). In the browser the text goes into a text node untouched.
pub fn textarea_text(value: &str) -> String {
    if cfg!(feature = "ssr") {
        escape_html(value)
    } else {
        value.to_owned()
    }
}

/// A colour's dot: an SVG circle filled with it, because a `style` attribute would need
/// `'unsafe-inline'` in the page's style policy. `class` sizes it and draws its ring.
#[component]
pub fn ColourDot(#[prop(into)] hex: String, class: &'static str) -> impl IntoView {
    view! {
        <svg class=class viewBox="0 0 2 2" aria-hidden="true" focusable="false"><circle cx="1" cy="1" r="1" fill=hex/></svg>
    }
}

#[component]
pub fn SectionHeading(#[prop(into)] id: String, #[prop(into)] title: String) -> impl IntoView {
    view! { <h2 id=id class="text-2xl font-semibold tracking-tight text-stone-900">{title}</h2> }
}

/// An error inside a page that otherwise rendered: sets the response status too.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::response::set_status(error.status());
    view! {
        <div role="alert" class="mx-auto my-12 max-w-xl rounded-xl border border-red-200 bg-red-50 p-6 text-red-900">
            <p class="font-semibold">"We couldn't load this page."</p>
            <p class="mt-1 text-sm">{error.to_string()}</p>
        </div>
    }
}

/// Full-page status: 404, 403, 500, 503. Sets the HTTP status when rendered on the server.
#[component]
pub fn StatusPage(status: u16) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::response::set_status(status);
    let (title, message) = match status {
        301 => ("This page has moved", "It has a new address, and your browser should take you there now."),
        401 => ("Please sign in", "You need to sign in to see this page."),
        403 => ("Access denied", "Your account doesn't have permission to open this page."),
        404 => ("Page not found", "We couldn't find the page you were looking for. It may have moved or no longer exists."),
        410 => ("No longer available", "This item has been removed from the shop. Have a look at what's new instead."),
        503 => ("We'll be right back", "Part of the store is temporarily unavailable. Please try again in a moment."),
        _ => ("Something went wrong", "An unexpected error happened on our side. Please try again."),
    };
    view! {
        <PageTitle text=format!("{title} — Larkspur")/>
        <Meta name="robots" content="noindex"/>
        <section class="mx-auto flex max-w-2xl flex-col items-center px-4 py-24 text-center" data-status=status>
            <p class="text-sm font-semibold uppercase tracking-widest text-emerald-800">{format!("Error {status}")}</p>
            <h1 class="mt-3 text-3xl font-semibold tracking-tight text-stone-900 sm:text-4xl">{title}</h1>
            <p class="mt-4 text-stone-600">{message}</p>
            <div class="mt-8 flex gap-3">
                <a href="/" class="rounded-full bg-stone-900 px-5 py-2.5 text-sm font-semibold text-white hover:bg-stone-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700">"Back to the shop"</a>
                {(status == 404 || status == 410).then(|| view! {
                    <a href="/search" class="rounded-full border border-stone-300 px-5 py-2.5 text-sm font-semibold text-stone-900 hover:border-stone-900">"Search products"</a>
                })}
            </div>
        </section>
    }
}

/// Maps a failed page load to the matching status page.
#[component]
pub fn ErrorPage(error: AppError) -> impl IntoView {
    view! { <StatusPage status=error.status()/> }
}

pub const BUTTON_PRIMARY: &str = "inline-flex items-center justify-center rounded-full bg-emerald-800 px-5 py-2.5 text-sm font-semibold text-white shadow-sm hover:bg-emerald-900 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700 disabled:cursor-not-allowed disabled:opacity-60";
pub const BUTTON_SECONDARY: &str = "inline-flex items-center justify-center rounded-full border border-stone-300 bg-white px-5 py-2.5 text-sm font-semibold text-stone-900 hover:border-stone-900 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700 disabled:opacity-60";
pub const LINK: &str = "font-medium text-emerald-800 underline underline-offset-2 hover:text-emerald-950";

/// A labelled input bound to a signal. The server's message for this field (by `name`)
/// appears beside it, and what the user typed stays in place.
#[component]
pub fn Field(
    #[prop(into)] label: String,
    #[prop(into)] name: String,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(into, default = "text".to_string())] input_type: String,
    #[prop(into, optional)] autocomplete: Option<String>,
    #[prop(into, optional)] hint: Option<String>,
    #[prop(optional)] required: bool,
    #[prop(into, optional)] inputmode: Option<String>,
    /// The submitted name when it differs from `name`, the key of the field's messages.
    #[prop(into, optional)]
    input_name: Option<String>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let message_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let field = name.clone();
    let message = Memo::new(move |_| error.get().and_then(|e| e.field_error(&field)));
    let described_by = {
        let (message_id, hint_id, has_hint) = (message_id.clone(), hint_id.clone(), hint.is_some());
        move || described_by([has_hint.then_some(hint_id.as_str()), message.get().map(|_| message_id.as_str())])
    };
    view! {
        <div class="space-y-1">
            <label for=id.clone() class="block text-sm font-medium text-stone-800">{label}</label>
            {hint.map(|h| view! { <p id=hint_id.clone() class="text-xs text-stone-500">{h}</p> })}
            <input
                id=id
                name=input_name.unwrap_or_else(|| name.clone())
                type=input_type
                autocomplete=autocomplete
                inputmode=inputmode
                required=required
                aria-invalid=move || invalid(message.get().is_some())
                aria-describedby=described_by
                class="block w-full rounded-lg border border-stone-300 bg-white px-3 py-2 text-base text-stone-900 shadow-sm placeholder:text-stone-400 focus:border-emerald-700 focus:outline-2 focus:outline-emerald-700 aria-[invalid=true]:border-red-600"
                // The attribute gives the server-rendered page its value (what a plain post
                // kept); the property keeps it in step once the island is alive.
                value=value.get_untracked()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            <FieldMessage id=message_id message/>
        </div>
    }
}

/// [`Field`] for several lines of text.
#[component]
pub fn TextArea(
    #[prop(into)] label: String,
    #[prop(into)] name: String,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(into, optional)] hint: Option<String>,
    #[prop(default = 3)] rows: u32,
) -> impl IntoView {
    let id = format!("field-{name}");
    let message_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let field = name.clone();
    let message = Memo::new(move |_| error.get().and_then(|e| e.field_error(&field)));
    let described_by = {
        let (message_id, hint_id, has_hint) = (message_id.clone(), hint_id.clone(), hint.is_some());
        move || described_by([has_hint.then_some(hint_id.as_str()), message.get().map(|_| message_id.as_str())])
    };
    view! {
        <div class="space-y-1">
            <label for=id.clone() class="block text-sm font-medium text-stone-800">{label}</label>
            {hint.map(|h| view! { <p id=hint_id.clone() class="text-xs text-stone-500">{h}</p> })}
            <textarea
                id=id
                name=name
                rows=rows
                aria-invalid=move || invalid(message.get().is_some())
                aria-describedby=described_by
                class="block w-full rounded-lg border border-stone-300 bg-white px-3 py-2 text-base text-stone-900 shadow-sm focus:border-emerald-700 focus:outline-2 focus:outline-emerald-700 aria-[invalid=true]:border-red-600"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            >{textarea_text(&value.get_untracked())}</textarea>
            <FieldMessage id=message_id message/>
        </div>
    }
}

/// `aria-invalid` for a control: present ("true") only while it has an error.
pub fn invalid(has_error: bool) -> Option<&'static str> {
    has_error.then_some("true")
}

/// `aria-describedby` from the ids that apply (hint, error message), or no attribute.
pub fn described_by<'a>(ids: impl IntoIterator<Item = Option<&'a str>>) -> Option<String> {
    let ids: Vec<&str> = ids.into_iter().flatten().collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// A field's error message, with the id its control's `aria-describedby` names.
#[component]
pub fn FieldMessage(#[prop(into)] id: String, #[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || message.get().map(|m| view! { <p id=id.clone() class="text-sm text-red-700">{m}</p> })
}

/// An error that isn't about one field (wrong password, locked device, outage).
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| {
            let confirm = matches!(e, AppError::Reconfirm)
                .then(|| view! { " " <a href="/sign-in/second-factor" class="font-medium underline">"Confirm it's you"</a> });
            view! { <p role="alert" class="rounded-lg border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800" data-testid="form-error">{e.to_string()}{confirm}</p> }
        })
    }
}

/// A confirmation after a successful action.
#[component]
pub fn Notice(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message.get().map(|m| view! { <p role="status" class="rounded-lg border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900">{m}</p> })
    }
}

/// Sends the browser to `path` after an action (islands have no client-side router).
pub fn go_to(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        if let Some(window) = leptos::web_sys::window() {
            let _ = window.location().assign(path);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// Moves keyboard focus to the element with this id (in the browser; nothing on the server).
pub fn focus_id(id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let element = document().get_element_by_id(id).and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok());
        if let Some(element) = element {
            let _ = element.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

/// Moves focus to the main content, for when the control that had it goes away (a closing
/// banner would otherwise drop focus to the page body). `tabindex="-1"` makes the element
/// focusable by script without adding it to the Tab order.
pub fn focus_main() {
    #[cfg(feature = "hydrate")]
    if let Some(main) = document().get_element_by_id("main") {
        if !main.has_attribute("tabindex") {
            let _ = main.set_attribute("tabindex", "-1");
        }
    }
    focus_id("main");
}

/// Structured data for search engines. `<` is escaped so the JSON can never close the
/// script element early.
#[component]
pub fn JsonLd(value: serde_json::Value) -> impl IntoView {
    let json = value.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026");
    view! { <script type="application/ld+json" inner_html=json></script> }
}

#[derive(Clone)]
pub struct Crumb {
    pub name: String,
    pub path: String,
}

/// Visible breadcrumbs plus their BreadcrumbList JSON-LD.
#[component]
pub fn Breadcrumbs(crumbs: Vec<Crumb>, #[prop(into)] site_url: String) -> impl IntoView {
    let items: Vec<serde_json::Value> = crumbs
        .iter()
        .enumerate()
        .map(|(i, c)| serde_json::json!({ "@type": "ListItem", "position": i + 1, "name": c.name, "item": format!("{site_url}{}", c.path) }))
        .collect();
    let last = crumbs.len().saturating_sub(1);
    view! {
        <nav aria-label="Breadcrumb" class="text-sm text-stone-500">
            <ol class="flex flex-wrap items-center gap-1">
                {crumbs.into_iter().enumerate().map(|(i, c)| view! {
                    <li class="flex items-center gap-1">
                        {(i > 0).then(|| view! { <span aria-hidden="true">"/"</span> })}
                        {if i == last {
                            view! { <span aria-current="page" class="text-stone-800">{c.name}</span> }.into_any()
                        } else {
                            view! { <a href=c.path class="hover:text-emerald-800 hover:underline">{c.name}</a> }.into_any()
                        }}
                    </li>
                }).collect_view()}
            </ol>
        </nav>
        <JsonLd value=serde_json::json!({ "@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": items })/>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn describedby_lists_only_what_applies() {
        assert_eq!(super::described_by([None, None]), None);
        assert_eq!(super::described_by([Some("hint"), None]).as_deref(), Some("hint"));
        assert_eq!(super::described_by([Some("hint"), Some("error")]).as_deref(), Some("hint error"));
        assert_eq!(super::invalid(false), None);
    }
}

/// The narrow page an emailed link opens: a title, what the link does, and the button
/// that does it (opening the link alone changes nothing).
#[component]
pub fn LinkFrame(#[prop(into)] title: String, children: Children) -> impl IntoView {
    view! {
        <PageTitle text=format!("{title} — Larkspur")/>
        <leptos_meta::Meta name="robots" content="noindex"/>
        <section class="mx-auto max-w-xl px-4 py-12 sm:px-6">
            <h1 class="text-3xl font-semibold tracking-tight text-stone-900">{title}</h1>
            {children()}
        </section>
    }
}
