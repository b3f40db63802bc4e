//! The journal as readers see it: the index, a topic's page and an article (with its
//! featured image, reading time, tags, related articles and JSON-LD `Article`); staff see
//! unpublished articles here as a preview under a banner. Two islands: the like button
//! (a plain form without JavaScript) and the read tracker, which sends how far the reader
//! got when the page is hidden or left.

use super::{
    get_article, get_journal, get_tag, like_article,
    types::{ArticleCard, ArticlePage as ArticlePageData, ArticleState, Likes},
    LikeArticle, ARTICLE_BODY,
};
use crate::{
    error::AppError,
    forms::{form_outcome, latest_error, FormFlash},
    media::Picture,
    ui::{Breadcrumbs, Crumb, ErrorPage, JsonLd, PageTitle, LINK},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::{Link, Meta};
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

/// The element holding an article's body: how far into it a reader scrolled is a read.
const BODY_ID: &str = "article-body";

fn day(card: &ArticleCard) -> String {
    card.published_at.format("%-d %B %Y").to_string()
}

#[component]
pub fn ArticleCards(articles: Vec<ArticleCard>) -> impl IntoView {
    view! {
        <ul class="grid gap-6 md:grid-cols-3" data-testid="article-cards">
            {articles.into_iter().map(|a| {
                let date = day(&a);
                view! {
                    <li class="overflow-hidden rounded-2xl border border-stone-200 bg-white">
                        <a href=format!("/journal/{}", a.slug) class="block focus-visible:outline-2 focus-visible:outline-emerald-700">
                            // The title says where the link goes; the picture is decoration here.
                            {a.image.map(|i| view! {
                                <Picture url=i.url alt="" widths=i.widths sizes="(min-width: 768px) 33vw, 100vw"
                                    class="aspect-[16/9] w-full object-cover" width="1200" height="675" lazy=true/>
                            })}
                            <div class="p-5">
                                <p class="text-xs text-stone-500">{date}</p>
                                <h3 class="mt-1 text-lg font-semibold text-stone-900">{a.title}</h3>
                                <p class="mt-1 text-sm text-stone-600">{a.excerpt}</p>
                            </div>
                        </a>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

#[component]
pub fn JournalPage() -> impl IntoView {
    let journal = Resource::new(|| (), |_| get_journal());
    view! {
        <PageTitle text="Journal — Larkspur"/>
        <Meta name="description" content="Care guides, style notes and stories from the Larkspur team."/>
        <section class="mx-auto max-w-7xl px-4 py-10 sm:px-6 lg:px-8">
            <h1 class="text-3xl font-semibold tracking-tight text-stone-900">"Journal"</h1>
            <Suspense fallback=|| ()>
                {move || journal.get().map(|r| match r {
                    Ok(journal) => view! {
                        <Link rel="canonical" href=journal.canonical_url.clone()/>
                        {(!journal.tags.is_empty()).then(|| view! {
                            <nav aria-label="Topics" class="mt-4">
                                <ul class="flex flex-wrap gap-2">
                                    {journal.tags.iter().map(|t| view! {
                                        <li><a href=format!("/journal/tag/{}", t.slug) class="inline-flex rounded-full border border-stone-300 px-3 py-1 text-sm text-stone-800 hover:border-emerald-700 hover:text-emerald-800">{t.name.clone()}</a></li>
                                    }).collect_view()}
                                </ul>
                            </nav>
                        })}
                        {if journal.articles.is_empty() {
                            view! { <p class="mt-8 text-stone-600">"No articles yet. Come back soon."</p> }.into_any()
                        } else {
                            view! { <div class="mt-8"><ArticleCards articles=journal.articles/></div> }.into_any()
                        }}
                    }.into_any(),
                    Err(e) => view! { <ErrorPage error=e/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn TagPage() -> impl IntoView {
    let slug = use_params_map().with_untracked(|p| p.get("slug").unwrap_or_default());
    let page = Resource::new(move || (), move |_| get_tag(slug.clone()));
    view! {
        <Suspense fallback=|| ()>
            {move || page.get().map(|r| match r {
                Ok(page) => {
                    let crumbs = vec![
                        Crumb { name: "Home".into(), path: "/".into() },
                        Crumb { name: "Journal".into(), path: "/journal".into() },
                        Crumb { name: page.tag.name.clone(), path: format!("/journal/tag/{}", page.tag.slug) },
                    ];
                    let site = page.canonical_url.split("/journal").next().unwrap_or_default().to_owned();
                    view! {
                        <PageTitle text=format!("{} — Larkspur Journal", page.tag.name)/>
                        <Meta name="description" content=format!("Articles about {} from the Larkspur journal.", page.tag.name)/>
                        <Link rel="canonical" href=page.canonical_url.clone()/>
                        <section class="mx-auto max-w-7xl px-4 py-10 sm:px-6 lg:px-8">
                            <Breadcrumbs crumbs site_url=site/>
                            <h1 class="mt-4 text-3xl font-semibold tracking-tight text-stone-900">{page.tag.name.clone()}</h1>
                            <p class="mt-1 text-stone-600">{match page.articles.len() { 1 => "1 article".to_owned(), n => format!("{n} articles") }}</p>
                            <div class="mt-8"><ArticleCards articles=page.articles/></div>
                        </section>
                    }.into_any()
                }
                Err(e) => view! { <ErrorPage error=e/> }.into_any(),
            })}
        </Suspense>
    }
}

/// An image's address as search engines and link previews need it: absolute.
fn absolute(site: &str, url: &str) -> String {
    if url.starts_with("http") { url.to_owned() } else { format!("{site}{url}") }
}

fn json_ld(page: &ArticlePageData) -> serde_json::Value {
    let a = &page.article;
    let author = match &a.author {
        Some(name) => serde_json::json!({ "@type": "Person", "name": name }),
        None => serde_json::json!({ "@type": "Organization", "name": "Larkspur" }),
    };
    let mut value = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": a.card.title.chars().take(110).collect::<String>(),
        "description": if a.seo_description.is_empty() { &a.card.excerpt } else { &a.seo_description },
        "datePublished": a.card.published_at.to_rfc3339(),
        "dateModified": a.updated_at.max(a.card.published_at).to_rfc3339(),
        "author": author,
        "publisher": { "@type": "Organization", "name": "Larkspur", "url": a.site_url },
        "mainEntityOfPage": { "@type": "WebPage", "@id": a.canonical_url },
        "url": a.canonical_url,
        "keywords": a.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", "),
    });
    if let Some(image) = &a.card.image {
        value["image"] = serde_json::json!([absolute(&a.site_url, &image.url)]);
    }
    value
}

fn preview_note(state: ArticleState, page: &ArticlePageData) -> String {
    match state {
        ArticleState::Scheduled => format!(
            "Preview: this article is scheduled for {} UTC. Readers cannot see it until then.",
            page.article.card.published_at.format("%-d %B %Y, %H:%M")
        ),
        _ => "Preview: this article is a draft. Readers cannot see it until it is published.".to_owned(),
    }
}

#[component]
pub fn ArticlePage() -> impl IntoView {
    let slug = use_params_map().with_untracked(|p| p.get("slug").unwrap_or_default());
    let page = Resource::new(move || (), move |_| get_article(slug.clone()));
    let outcome = form_outcome();
    view! {
        <Suspense fallback=|| ()>
            {move || page.get().map(|r| match r {
                Ok(page) => view! { <ArticleView page flash=outcome.get().flatten()/> }.into_any(),
                Err(e) => view! { <ErrorPage error=e/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn ArticleView(page: ArticlePageData, flash: Option<FormFlash>) -> impl IntoView {
    let a = page.article.clone();
    let description = if a.seo_description.is_empty() { a.card.excerpt.clone() } else { a.seo_description.clone() };
    let og_image = a.card.image.as_ref().map(|i| absolute(&a.site_url, &i.url));
    let crumbs = vec![
        Crumb { name: "Home".into(), path: "/".into() },
        Crumb { name: "Journal".into(), path: "/journal".into() },
        Crumb { name: a.card.title.clone(), path: format!("/journal/{}", a.card.slug) },
    ];
    let minutes = format!("{} min read", a.reading_minutes);
    let preview = page.preview.map(|state| preview_note(state, &page));
    let ld = json_ld(&page);
    view! {
        <PageTitle text=format!("{} — Larkspur Journal", a.card.title)/>
        <Meta name="description" content=description.clone()/>
        <Link rel="canonical" href=a.canonical_url.clone()/>
        <Meta property="og:type" content="article"/>
        <Meta property="og:title" content=a.card.title.clone()/>
        <Meta property="og:description" content=description/>
        <Meta property="og:url" content=a.canonical_url.clone()/>
        {og_image.map(|src| view! { <Meta property="og:image" content=src/> })}
        <Meta property="article:published_time" content=a.card.published_at.to_rfc3339()/>
        {preview.is_some().then(|| view! { <Meta name="robots" content="noindex"/> })}
        {preview.is_none().then(|| view! { <JsonLd value=ld/> })}
        {preview.map(|note| view! {
            <div class="border-b border-amber-300 bg-amber-100 px-4 py-3 text-center text-sm font-medium text-amber-950" role="status" data-testid="preview-banner">
                <strong class="mr-2 rounded bg-amber-900 px-2 py-0.5 text-xs uppercase tracking-wide text-white">"Preview"</strong>{note}
            </div>
        })}
        <article class="mx-auto max-w-3xl px-4 py-10 sm:px-6">
            <Breadcrumbs crumbs site_url=a.site_url.clone()/>
            <h1 class="mt-4 text-4xl font-semibold tracking-tight text-stone-900">{a.card.title.clone()}</h1>
            <p class="mt-2 text-sm text-stone-500">
                <time datetime=a.card.published_at.to_rfc3339()>{day(&a.card)}</time>" · "{minutes}
                {a.author.clone().map(|name| view! { " · "{format!("By {name}")} })}
            </p>
            {(!a.tags.is_empty()).then(|| view! {
                <ul class="mt-3 flex flex-wrap gap-2" aria-label="Tags">
                    {a.tags.iter().map(|t| view! {
                        <li><a href=format!("/journal/tag/{}", t.slug) class="inline-flex rounded-full bg-stone-100 px-3 py-1 text-xs font-medium text-stone-800 hover:bg-emerald-50 hover:text-emerald-900">{format!("#{}", t.name)}</a></li>
                    }).collect_view()}
                </ul>
            })}
            {a.card.image.clone().map(|i| view! {
                <div class="mt-6 overflow-hidden rounded-2xl">
                    <Picture url=i.url alt=i.alt widths=i.widths sizes="(min-width: 768px) 768px, 100vw" class="aspect-[16/9] w-full object-cover"
                        width="1200" height="675" testid="featured-image"/>
                </div>
            })}
            <div id=BODY_ID class=format!("mt-8 {ARTICLE_BODY}") inner_html=a.body_html.clone()></div>
            {page.preview.is_none().then(|| view! {
                <div class="mt-10 border-t border-stone-200 pt-6">
                    {if page.can_like {
                        view! { <LikeButton article=a.id liked=page.liked count=page.likes flash=FormFlash::of(&flash, "like")/> }.into_any()
                    } else {
                        view! {
                            <p class="text-sm text-stone-600" data-testid="like-prompt">
                                <span data-testid="like-count">{like_count(page.likes)}</span>". To like articles, "
                                <a href=format!("/sign-in?next=/journal/{}", a.card.slug) class=LINK>"sign in"</a>" or "
                                <a href="/privacy/cookies" class=LINK>"allow cookies"</a>"."
                            </p>
                        }.into_any()
                    }}
                </div>
            })}
            {(page.track_reads && page.preview.is_none()).then(|| view! { <ReadTracker article=a.id/> })}
        </article>
        {(!page.related.is_empty()).then(|| view! {
            <section class="mx-auto max-w-7xl px-4 pb-16 sm:px-6 lg:px-8" aria-labelledby="related-articles">
                <h2 id="related-articles" class="text-2xl font-semibold tracking-tight text-stone-900">"Related articles"</h2>
                <div class="mt-6"><ArticleCards articles=page.related.clone()/></div>
            </section>
        })}
    }
}

fn like_count(count: i32) -> String {
    match count {
        1 => "1 like".to_owned(),
        n => format!("{n} likes"),
    }
}

/// Like and un-like without a reload; a plain form post without JavaScript. Each press says
/// what the reader wants (like or not), so a double click or a second tab cannot count twice.
#[island]
pub fn LikeButton(article: Uuid, liked: bool, count: i32, flash: Option<FormFlash>) -> impl IntoView {
    let (likes, set_likes) = signal(Likes { liked, count });
    let toggle = Action::new(move |like: &bool| like_article(Some(article), *like));
    Effect::new(move || {
        if let Some(Ok(now)) = toggle.value().get() {
            set_likes.set(now);
        }
    });
    let error = latest_error(move || toggle.value().get().map(Result::err), &flash);
    view! {
        <form method="post" action=LikeArticle::url() class="flex flex-wrap items-center gap-3" data-testid="like-form"
            on:submit=move |ev| {
                ev.prevent_default();
                toggle.dispatch(!likes.get_untracked().liked);
            }>
            <input type="hidden" name="article" value=article.to_string()/>
            <input type="hidden" name="like" value=move || (!likes.get().liked).to_string()/>
            <button type="submit" aria-pressed=move || likes.get().liked.to_string() disabled=move || toggle.pending().get()
                class="inline-flex items-center gap-2 rounded-full border border-stone-300 px-5 py-2.5 text-sm font-semibold text-stone-900 hover:border-stone-900 focus-visible:outline-2 focus-visible:outline-emerald-700 aria-pressed:border-red-300 aria-pressed:bg-red-50">
                <span aria-hidden="true" class="text-red-600">{move || if likes.get().liked { "♥" } else { "♡" }}</span>
                <span>{move || if likes.get().liked { "Liked" } else { "Like this article" }}</span>
            </button>
            <span class="text-sm text-stone-600" data-testid="like-count" aria-live="polite">{move || like_count(likes.get().count)}</span>
            {move || error.get().map(|e: AppError| view! { <p role="alert" class="w-full text-sm text-red-700">{e.to_string()}</p> })}
        </form>
    }
}

/// Records how far the reader got: the deepest point of the article's body that reached
/// the bottom of the window, and the seconds the page was visible. Nothing is sent while
/// reading (a passive scroll listener only notes the depth); one beacon goes when the page
/// is hidden or left, and again only if the reader got further.
#[island]
pub fn ReadTracker(article: Uuid) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(move || reading::track(article));
    #[cfg(not(feature = "hydrate"))]
    let _ = article;
}

#[cfg(feature = "hydrate")]
mod reading {
    use super::BODY_ID;
    use crate::cms::RecordRead;
    use leptos::{
        prelude::*,
        server_fn::ServerFn,
        wasm_bindgen::{closure::Closure, JsCast},
    };
    use std::{cell::Cell, rc::Rc};
    use uuid::Uuid;

    #[derive(Default)]
    struct Progress {
        deepest: Cell<i32>,
        visible_ms: Cell<f64>,
        visible_since: Cell<Option<f64>>,
        /// What the last beacon said (depth, seconds), so the same is not sent twice.
        sent: Cell<(i32, i32)>,
    }

    fn now_ms() -> f64 {
        window().performance().map(|p| p.now()).unwrap_or_default()
    }

    fn hidden() -> bool {
        document().visibility_state() == leptos::web_sys::VisibilityState::Hidden
    }

    /// How much of the body has been above the bottom of the window, in percent.
    fn depth() -> Option<i32> {
        let body = document().get_element_by_id(BODY_ID)?;
        let rect = body.get_bounding_client_rect();
        if rect.height() <= 0.0 {
            return Some(100);
        }
        let viewport = window().inner_height().ok()?.as_f64()?;
        let seen = (viewport - rect.top()).clamp(0.0, rect.height());
        Some(((seen / rect.height()) * 100.0).round() as i32)
    }

    fn note(progress: &Progress) {
        if let Some(d) = depth() {
            if d > progress.deepest.get() {
                progress.deepest.set(d);
            }
        }
    }

    fn send(progress: &Progress, article: Uuid) {
        if let Some(since) = progress.visible_since.take() {
            progress.visible_ms.set(progress.visible_ms.get() + (now_ms() - since).max(0.0));
        }
        let now = (progress.deepest.get(), (progress.visible_ms.get() / 1000.0).round() as i32);
        if now == progress.sent.get() {
            return;
        }
        let Ok(params) = leptos::web_sys::UrlSearchParams::new() else { return };
        params.append("article", &article.to_string());
        params.append("depth", &now.0.to_string());
        params.append("seconds", &now.1.to_string());
        if window().navigator().send_beacon_with_opt_url_search_params(RecordRead::url(), Some(&params)).unwrap_or(false) {
            progress.sent.set(now);
        }
    }

    pub fn track(article: Uuid) {
        let progress = Rc::new(Progress::default());
        if !hidden() {
            progress.visible_since.set(Some(now_ms()));
        }
        note(&progress);
        let on_scroll = {
            let progress = progress.clone();
            Closure::<dyn FnMut()>::new(move || note(&progress))
        };
        let options = leptos::web_sys::AddEventListenerOptions::new();
        options.set_passive(true);
        let _ = window().add_event_listener_with_callback_and_add_event_listener_options("scroll", on_scroll.as_ref().unchecked_ref(), &options);
        on_scroll.forget();
        let on_visibility = {
            let progress = progress.clone();
            Closure::<dyn FnMut()>::new(move || {
                if hidden() {
                    send(&progress, article);
                } else {
                    progress.visible_since.set(Some(now_ms()));
                }
            })
        };
        let _ = document().add_event_listener_with_callback("visibilitychange", on_visibility.as_ref().unchecked_ref());
        on_visibility.forget();
        let on_leave = Closure::<dyn FnMut()>::new(move || send(&progress, article));
        let _ = window().add_event_listener_with_callback("pagehide", on_leave.as_ref().unchecked_ref());
        on_leave.forget();
    }
}
