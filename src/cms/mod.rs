//! Published content: the journal (articles). Editing arrives with the CMS; this module
//! serves what is published.

use crate::{error::AppError, ui::{PageTitle, ErrorPage, LINK}};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::{Link, Meta};
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleCard {
    pub title: String,
    pub slug: String,
    pub excerpt: String,
    pub image_url: Option<String>,
    pub published_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    pub card: ArticleCard,
    /// Sanitised when saved.
    pub body_html: String,
    pub tags: Vec<String>,
    pub canonical_url: String,
}

#[cfg(feature = "ssr")]
pub mod server {
    use super::{Article, ArticleCard};
    use crate::error::AppError;
    use sqlx::PgPool;

    const PUBLISHED: &str = "status = 'published' and deleted_at is null and published_at <= now()";

    pub async fn latest(db: &PgPool, limit: i64) -> Result<Vec<ArticleCard>, sqlx::Error> {
        sqlx::query_as::<_, (String, String, String, Option<String>, chrono::DateTime<chrono::Utc>)>(&format!(
            "select title, slug, excerpt, featured_image_url, published_at from articles where {PUBLISHED}
             order by published_at desc limit $1"
        ))
        .bind(limit)
        .fetch_all(db)
        .await
        .map(|rows| {
            rows.into_iter()
                .map(|(title, slug, excerpt, image_url, published_at)| ArticleCard { title, slug, excerpt, image_url, published_at })
                .collect()
        })
    }

    pub async fn article(db: &PgPool, site_url: &str, slug: &str) -> Result<Article, AppError> {
        let row: Option<(uuid::Uuid, String, String, Option<String>, chrono::DateTime<chrono::Utc>, String)> = sqlx::query_as(&format!(
            "select id, title, excerpt, featured_image_url, published_at, body_html from articles where slug = $1 and {PUBLISHED}"
        ))
        .bind(slug)
        .fetch_optional(db)
        .await?;
        let (id, title, excerpt, image_url, published_at, body_html) = row.ok_or_else(|| AppError::NotFound("This article".into()))?;
        let tags: Vec<String> = sqlx::query_scalar("select t.name from article_tags at join tags t on t.id = at.tag_id where at.article_id = $1 order by t.name")
            .bind(id)
            .fetch_all(db)
            .await?;
        Ok(Article {
            card: ArticleCard { title, slug: slug.to_owned(), excerpt, image_url, published_at },
            body_html,
            tags,
            canonical_url: format!("{site_url}/journal/{slug}"),
        })
    }
}

#[server(endpoint = "cms/articles")]
pub async fn get_articles() -> Result<Vec<ArticleCard>, AppError> {
    use crate::server::ctx;
    ctx::respond(async { Ok(server::latest(&ctx::state()?.db, 50).await?) }).await
}

#[server(endpoint = "cms/article")]
pub async fn get_article(slug: String) -> Result<Article, AppError> {
    use crate::server::ctx;
    ctx::respond(async move {
        let state = ctx::state()?;
        server::article(&state.db, &state.config.site_url, &slug).await
    })
    .await
}

#[component]
pub fn ArticleCards(articles: Vec<ArticleCard>) -> impl IntoView {
    view! {
        <ul class="grid gap-6 md:grid-cols-3">
            {articles.into_iter().map(|a| view! {
                <li class="overflow-hidden rounded-2xl border border-stone-200 bg-white">
                    <a href=format!("/journal/{}", a.slug) class="block focus-visible:outline-2 focus-visible:outline-emerald-700">
                        {a.image_url.map(|src| view! { <img src=src alt="" loading="lazy" class="aspect-[16/9] w-full object-cover"/> })}
                        <div class="p-5">
                            <p class="text-xs text-stone-500">{a.published_at.format("%-d %B %Y").to_string()}</p>
                            <h3 class="mt-1 text-lg font-semibold text-stone-900">{a.title}</h3>
                            <p class="mt-1 text-sm text-stone-600">{a.excerpt}</p>
                        </div>
                    </a>
                </li>
            }).collect_view()}
        </ul>
    }
}

#[component]
pub fn JournalPage() -> impl IntoView {
    let articles = Resource::new(|| (), |_| get_articles());
    view! {
        <PageTitle text="Journal — Larkspur"/>
        <Meta name="description" content="Care guides, style notes and stories from the Larkspur team."/>
        <section class="mx-auto max-w-7xl px-4 py-10 sm:px-6 lg:px-8">
            <h1 class="text-3xl font-semibold tracking-tight text-stone-900">"Journal"</h1>
            <Suspense fallback=|| ()>
                {move || articles.get().map(|r| match r {
                    Ok(list) => view! { <div class="mt-8"><ArticleCards articles=list/></div> }.into_any(),
                    Err(e) => view! { <ErrorPage error=e/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn ArticlePage() -> impl IntoView {
    let slug = use_params_map().with_untracked(|p| p.get("slug").unwrap_or_default());
    let article = Resource::new(move || (), move |_| get_article(slug.clone()));
    view! {
        <Suspense fallback=|| ()>
            {move || article.get().map(|r| match r {
                Ok(a) => view! {
                    <PageTitle text=format!("{} — Larkspur Journal", a.card.title)/>
                    <Meta name="description" content=a.card.excerpt.clone()/>
                    <Link rel="canonical" href=a.canonical_url.clone()/>
                    <Meta property="og:type" content="article"/>
                    <Meta property="og:title" content=a.card.title.clone()/>
                    <article class="mx-auto max-w-3xl px-4 py-10 sm:px-6">
                        <a href="/journal" class=LINK>"← Journal"</a>
                        <h1 class="mt-4 text-4xl font-semibold tracking-tight text-stone-900">{a.card.title.clone()}</h1>
                        <p class="mt-2 text-sm text-stone-500">{a.card.published_at.format("%-d %B %Y").to_string()}{(!a.tags.is_empty()).then(|| format!(" · {}", a.tags.join(", ")))}</p>
                        {a.card.image_url.clone().map(|src| view! { <img src=src alt="" class="mt-6 aspect-[16/9] w-full rounded-2xl object-cover"/> })}
                        <div class="prose mt-8 space-y-4 leading-relaxed text-stone-800 [&_h2]:mt-8 [&_h2]:text-xl [&_h2]:font-semibold [&_ol]:list-decimal [&_ol]:pl-6" inner_html=a.body_html></div>
                    </article>
                }.into_any(),
                Err(e) => view! { <ErrorPage error=e/> }.into_any(),
            })}
        </Suspense>
    }
}
