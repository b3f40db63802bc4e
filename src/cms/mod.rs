//! Content: the journal. Readers get the index, tag pages and articles (`pages`) through the
//! server functions here; what they may see is decided by `server` at the store's clock, so
//! a scheduled article goes public by itself. Staff write articles in the dashboard
//! (`admin::articles`) with the rules of `types` and `manage`; `render` turns Markdown into
//! the sanitised HTML that both the editor's preview and readers get.

pub mod pages;
pub mod types;

#[cfg(feature = "ssr")]
pub mod manage;
#[cfg(feature = "ssr")]
pub mod render;
#[cfg(feature = "ssr")]
pub mod server;

use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

pub use pages::{ArticleCards, ArticlePage, JournalPage, TagPage};
pub use types::{Article, ArticleCard, ArticlePage as ArticlePageData, Journal, Likes, TagPage as TagPageData};

/// The classes an article body is drawn with, on the journal and in the editor's preview.
pub const ARTICLE_BODY: &str = "space-y-4 leading-relaxed text-stone-800 [&_a]:font-medium [&_a]:text-emerald-800 [&_a]:underline \
    [&_blockquote]:border-l-4 [&_blockquote]:border-stone-300 [&_blockquote]:pl-4 [&_blockquote]:italic [&_code]:rounded [&_code]:bg-stone-100 \
    [&_code]:px-1 [&_h1]:mt-8 [&_h1]:text-2xl [&_h1]:font-semibold [&_h2]:mt-8 [&_h2]:text-xl [&_h2]:font-semibold [&_h3]:mt-6 \
    [&_h3]:text-lg [&_h3]:font-semibold [&_h2]:scroll-mt-40 [&_h3]:scroll-mt-40 [&_img]:rounded-xl [&_img]:max-w-full [&_img]:h-auto \
    [&_ol]:list-decimal [&_ol]:pl-6 [&_ul]:list-disc [&_ul]:pl-6 [&_pre]:overflow-x-auto [&_pre]:rounded-lg [&_pre]:bg-stone-100 [&_pre]:p-4 \
    [&_table]:w-full [&_table]:text-sm [&_td]:border [&_td]:border-stone-200 [&_td]:px-2 [&_td]:py-1 [&_th]:border [&_th]:border-stone-200 \
    [&_th]:bg-stone-50 [&_th]:px-2 [&_th]:py-1 [&_th]:text-left [&_hr]:border-stone-200";

/// The viewer, when they may manage content (they preview unpublished articles).
#[cfg(feature = "ssr")]
async fn viewer_is_staff(state: &crate::server::state::AppState, session: &crate::server::session::AppSession, data: &crate::server::session::SessionData) -> Result<bool, AppError> {
    let user = crate::auth::server::current_user(session, data, &state.db).await?;
    Ok(user.is_some_and(|(_, role)| role.can(crate::auth::Permission::ManageContent)))
}

/// Who this request's views, likes and reads are recorded for, if anyone.
#[cfg(feature = "ssr")]
fn reader(data: &crate::server::session::SessionData) -> Option<server::Reader> {
    let consent = use_context::<axum::http::request::Parts>().as_ref().and_then(crate::consent::server::choice_from_parts);
    server::Reader::of(data, consent)
}

/// The journal's index: the newest public articles and their topics.
#[server(endpoint = "cms/articles")]
pub async fn get_journal() -> Result<Journal, AppError> {
    use crate::server::ctx;
    ctx::respond(async {
        let state = ctx::state()?;
        let now = state.clock.now();
        let (articles, tags) = tokio::try_join!(server::latest(&state.db, 60, now), server::live_tags(&state.db, now))?;
        Ok(Journal { articles, tags, canonical_url: format!("{}/journal", state.config.site_url) })
    })
    .await
}

/// A topic's page: its public articles (not found when it has none).
#[server(endpoint = "cms/tag")]
pub async fn get_tag(#[server(default)] slug: String) -> Result<TagPageData, AppError> {
    use crate::server::ctx;
    ctx::respond(async move {
        let state = ctx::state()?;
        let (tag, articles) = server::tag_articles(&state.db, &slug, state.clock.now()).await?;
        let canonical_url = format!("{}/journal/tag/{}", state.config.site_url, tag.slug);
        Ok(TagPageData { tag, articles, canonical_url })
    })
    .await
}

/// An article as the visitor may see it. Readers get public articles (and count as a view
/// when they are recorded at all); staff who manage content also get drafts and scheduled
/// ones as a preview, which records nothing. An old slug answers with a permanent redirect.
#[server(endpoint = "cms/article")]
pub async fn get_article(#[server(default)] slug: String) -> Result<ArticlePageData, AppError> {
    use crate::server::ctx;
    ctx::respond(async {
        let state = ctx::state()?;
        let session = ctx::session().await?;
        let data = session.data().await?;
        let staff = viewer_is_staff(&state, &session, &data).await?;
        let now = state.clock.now();
        let result = server::article(&state.db, &state.config.site_url, &slug, now, staff).await;
        if let Err(AppError::NotFound(_)) = &result {
            if let Some(current) = server::renamed(&state.db, &slug, now, staff).await? {
                let path = format!("/journal/{current}");
                leptos_axum::redirect(&path);
                crate::response::set_status(301);
                return Err(AppError::Moved(path));
            }
        }
        let (article, article_state) = result?;
        let preview = (article_state != types::ArticleState::Published).then_some(article_state);
        let reader = if preview.is_some() { None } else { reader(&data) };
        if let Some(reader) = reader {
            if let Err(err) = server::record_view(&state.db, article.id, reader, now).await {
                tracing::warn!(error = %err, "could not record an article view");
            }
        }
        let ((likes, liked), related) =
            tokio::try_join!(server::likes(&state.db, article.id, reader), server::related(&state.db, article.id, now, 3))?;
        Ok(ArticlePageData { article, preview, likes, liked, can_like: reader.is_some(), track_reads: reader.is_some(), related })
    })
    .await
}

/// Likes (`like`) or un-likes an article for the visitor: a customer, or an anonymous
/// shopper who allowed analytics. Saying the same twice changes nothing.
#[server(endpoint = "cms/like")]
pub async fn like_article(#[server(default)] article: Option<Uuid>, #[server(default)] like: bool) -> Result<Likes, AppError> {
    use crate::{
        forms::server::{finish, Then},
        server::ctx,
    };
    let result = ctx::respond(async move {
        let state = ctx::state()?;
        let article = article.ok_or_else(|| AppError::NotFound("This article".into()))?;
        let data = ctx::session().await?.data().await?;
        let reader = reader(&data)
            .ok_or_else(|| AppError::Rejected("To like articles, sign in or allow cookies so we can remember this device.".into()))?;
        let (count, liked) = server::set_like(&state.db, article, reader, like, state.clock.now()).await?;
        Ok(Likes { liked, count })
    })
    .await;
    // The article page shows the new count by itself.
    finish("like", &[], None, result, |_| Then::Return).await
}

/// How far the visitor read an article: the deepest scroll (percent) and the seconds the
/// page was visible, sent by the page (`navigator.sendBeacon`) as it is hidden or left.
/// Kept only for readers that are recorded at all; the deepest visit counts.
#[server(endpoint = "cms/read")]
pub async fn record_read(#[server(default)] article: Option<Uuid>, #[server(default)] depth: i32, #[server(default)] seconds: i32) -> Result<(), AppError> {
    use crate::server::ctx;
    ctx::respond(async move {
        let state = ctx::state()?;
        let Some(article) = article else { return Ok(()) };
        let data = ctx::session().await?.data().await?;
        let Some(reader) = reader(&data) else { return Ok(()) };
        // A reader spends at most a day on one visit; anything beyond is a stuck tab.
        let (depth, seconds) = (depth.clamp(0, 100) as i16, seconds.clamp(0, 86_400));
        server::record_read(&state.db, article, reader, depth, seconds, state.clock.now()).await?;
        Ok(())
    })
    .await
}
