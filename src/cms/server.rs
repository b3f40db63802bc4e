//! The journal in the database (server only): what readers may see at a moment (published,
//! not deleted, and `published_at` passed by the store's clock, so a scheduled article goes
//! public by itself), old slugs, related articles, and engagement: views, likes and reads,
//! recorded for signed-in readers and for anonymous shoppers who allowed analytics only.

use super::types::{Article, ArticleCard, ArticleState, FeaturedImage, TagRef};
use crate::{consent::ConsentChoice, error::AppError, server::session::SessionData};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// Articles readers may see at `$1`.
const LIVE: &str = "a.status = 'published' and a.deleted_at is null and a.published_at <= $1";

const CARD: &str = "a.title, a.slug, a.excerpt, a.featured_image_url, a.featured_image_alt, a.featured_image_widths, a.published_at";

type CardRow = (String, String, String, Option<String>, String, Vec<i32>, Option<DateTime<Utc>>);

pub(super) fn image(url: Option<String>, alt: String, widths: Vec<i32>) -> Option<FeaturedImage> {
    url.map(|url| FeaturedImage { url, alt, widths })
}

fn card((title, slug, excerpt, url, alt, widths, published_at): CardRow) -> ArticleCard {
    // Cards are read from public (so published) articles only.
    ArticleCard { title, slug, excerpt, image: image(url, alt, widths), published_at: published_at.unwrap_or_default() }
}

/// Published articles' paths with when each last changed, for the sitemap.
pub async fn sitemap_articles(db: &PgPool, now: DateTime<Utc>) -> Result<Vec<(String, DateTime<Utc>)>, sqlx::Error> {
    sqlx::query_as(&format!("select '/journal/' || a.slug, a.updated_at from articles a where {LIVE}")).bind(now).fetch_all(db).await
}

/// The newest public articles.
pub async fn latest(db: &PgPool, limit: i64, now: DateTime<Utc>) -> Result<Vec<ArticleCard>, sqlx::Error> {
    let rows: Vec<CardRow> = sqlx::query_as(&format!("select {CARD} from articles a where {LIVE} order by a.published_at desc, a.id desc limit $2"))
        .bind(now)
        .bind(limit)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(card).collect())
}

/// Tags that have at least one public article, by name.
pub async fn live_tags(db: &PgPool, now: DateTime<Utc>) -> Result<Vec<TagRef>, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(&format!(
        "select t.name, t.slug from tags t
         where exists (select 1 from article_tags at join articles a on a.id = at.article_id where at.tag_id = t.id and {LIVE})
         order by lower(t.name)"
    ))
    .bind(now)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(name, slug)| TagRef { name, slug }).collect())
}

/// A tag and its public articles, newest first; not found when it has none (a tag only
/// drafts use stays unknown to readers).
pub async fn tag_articles(db: &PgPool, slug: &str, now: DateTime<Utc>) -> Result<(TagRef, Vec<ArticleCard>), AppError> {
    let tag: Option<(Uuid, String)> = sqlx::query_as("select id, name from tags where slug = $1").bind(slug).fetch_optional(db).await?;
    let (id, name) = tag.ok_or_else(|| AppError::NotFound("This topic".into()))?;
    let rows: Vec<CardRow> = sqlx::query_as(&format!(
        "select {CARD} from articles a join article_tags at on at.article_id = a.id
         where at.tag_id = $2 and {LIVE} order by a.published_at desc, a.id desc limit 200"
    ))
    .bind(now)
    .bind(id)
    .fetch_all(db)
    .await?;
    if rows.is_empty() {
        return Err(AppError::NotFound("This topic".into()));
    }
    Ok((TagRef { name, slug: slug.to_owned() }, rows.into_iter().map(card).collect()))
}

#[derive(sqlx::FromRow)]
struct ArticleRow {
    id: Uuid,
    title: String,
    excerpt: String,
    featured_image_url: Option<String>,
    featured_image_alt: String,
    featured_image_widths: Vec<i32>,
    published_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    status: String,
    body_html: String,
    body_markdown: String,
    seo_description: String,
    author: Option<String>,
}

/// The article at `slug` with where it stands at `now`. Readers get only public ones;
/// `staff` (who may manage content) also get drafts and scheduled ones, to preview them.
/// Deleted articles are not found by anyone here.
pub async fn article(db: &PgPool, site_url: &str, slug: &str, now: DateTime<Utc>, staff: bool) -> Result<(Article, ArticleState), AppError> {
    let row: Option<ArticleRow> = sqlx::query_as(
        "select a.id, a.title, a.excerpt, a.featured_image_url, a.featured_image_alt, a.featured_image_widths, a.published_at,
                a.updated_at, a.status, a.body_html, a.body_markdown, a.seo_description, nullif(u.name, '') as author
         from articles a left join users u on u.id = a.author_id
         where a.slug = $1 and a.deleted_at is null",
    )
    .bind(slug)
    .fetch_optional(db)
    .await?;
    let not_found = || AppError::NotFound("This article".into());
    let row = row.ok_or_else(not_found)?;
    let state = ArticleState::of(&row.status, row.published_at, now);
    if state != ArticleState::Published && !staff {
        return Err(not_found());
    }
    let tags: Vec<(String, String)> =
        sqlx::query_as("select t.name, t.slug from article_tags at join tags t on t.id = at.tag_id where at.article_id = $1 order by lower(t.name)")
            .bind(row.id)
            .fetch_all(db)
            .await?;
    let article = Article {
        id: row.id,
        card: ArticleCard {
            title: row.title,
            slug: slug.to_owned(),
            excerpt: row.excerpt,
            image: image(row.featured_image_url, row.featured_image_alt, row.featured_image_widths),
            // A draft never published shows today's date in its preview.
            published_at: row.published_at.unwrap_or(now),
        },
        body_html: row.body_html,
        seo_description: row.seo_description,
        tags: tags.into_iter().map(|(name, slug)| TagRef { name, slug }).collect(),
        reading_minutes: super::render::reading_minutes(&row.body_markdown),
        author: row.author,
        updated_at: row.updated_at,
        canonical_url: format!("{site_url}/journal/{slug}"),
        site_url: site_url.to_owned(),
    };
    Ok((article, state))
}

/// The slug an article answers to now, when `old` was one of its earlier ones and the
/// article is one the viewer may open (`staff` also drafts and scheduled ones).
pub async fn renamed(db: &PgPool, old: &str, now: DateTime<Utc>, staff: bool) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "select a.slug from article_slug_history h join articles a on a.id = h.article_id
         where h.slug = $2 and a.deleted_at is null and ($3 or ({LIVE}))"
    ))
    .bind(now)
    .bind(old)
    .bind(staff)
    .fetch_optional(db)
    .await
}

/// Public articles sharing tags with `article`, most shared tags first, then newest.
pub async fn related(db: &PgPool, article: Uuid, now: DateTime<Utc>, limit: i64) -> Result<Vec<ArticleCard>, sqlx::Error> {
    let rows: Vec<CardRow> = sqlx::query_as(&format!(
        "select {CARD} from articles a
         join lateral (select count(*) as shared from article_tags mine join article_tags theirs on theirs.tag_id = mine.tag_id
                       where mine.article_id = $2 and theirs.article_id = a.id) s on s.shared > 0
         where a.id <> $2 and {LIVE}
         order by s.shared desc, a.published_at desc, a.id desc limit $3"
    ))
    .bind(now)
    .bind(article)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(card).collect())
}

// ---- engagement ---------------------------------------------------------------------------

/// Whose view, like or read is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    User(Uuid),
    /// An anonymous shopper who allowed analytics.
    Anonymous(Uuid),
}

impl Reader {
    /// The signed-in user; else the anonymous shopper, only while analytics are allowed
    /// (`consent`, from the consent cookie); else nobody: nothing is recorded.
    pub fn of(data: &SessionData, consent: Option<ConsentChoice>) -> Option<Self> {
        match (data.user_id, data.anonymous_user_id) {
            (Some(user), _) => Some(Self::User(user)),
            (None, Some(anonymous)) if consent.is_some_and(|c| c.analytics) => Some(Self::Anonymous(anonymous)),
            _ => None,
        }
    }

    fn ids(self) -> (Option<Uuid>, Option<Uuid>) {
        match self {
            Self::User(id) => (Some(id), None),
            Self::Anonymous(id) => (None, Some(id)),
        }
    }
}

/// Whether `article` is one readers may see at `now` (likes and reads are for those only).
pub async fn is_live(db: &PgPool, article: Uuid, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(&format!("select exists (select 1 from articles a where a.id = $2 and {LIVE})")).bind(now).bind(article).fetch_one(db).await
}

/// Counts one view. The counter moves without touching the article's `updated_at`.
pub async fn record_view(db: &PgPool, article: Uuid, reader: Reader, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let (user, anonymous) = reader.ids();
    sqlx::query(
        "with seen as (insert into article_views (article_id, user_id, anonymous_user_id, created_at) values ($1, $2, $3, $4) returning article_id)
         update articles set view_count = view_count + 1 where id = (select article_id from seen)",
    )
    .bind(article)
    .bind(user)
    .bind(anonymous)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// The article's likes, and whether `reader` is among them.
pub async fn likes(db: &PgPool, article: Uuid, reader: Option<Reader>) -> Result<(i32, bool), sqlx::Error> {
    let (user, anonymous) = reader.map_or((None, None), Reader::ids);
    sqlx::query_as(
        "select a.like_count, exists (select 1 from article_likes l where l.article_id = a.id
                                        and (l.user_id = $2 or l.anonymous_user_id = $3))
         from articles a where a.id = $1",
    )
    .bind(article)
    .bind(user)
    .bind(anonymous)
    .fetch_optional(db)
    .await
    .map(Option::unwrap_or_default)
}

/// Sets whether `reader` likes a public article. Saying the same twice changes nothing:
/// one like per reader and article is a unique constraint, and the counter moves only when
/// a row was really added or removed. Answers the likes after the change.
pub async fn set_like(db: &PgPool, article: Uuid, reader: Reader, like: bool, now: DateTime<Utc>) -> Result<(i32, bool), AppError> {
    let mut tx = db.begin().await?;
    // Locks the article's row, so the counter and the likes move together.
    let live: Option<bool> = sqlx::query_scalar(&format!("select coalesce({LIVE}, false) from articles a where a.id = $2 for no key update"))
        .bind(now)
        .bind(article)
        .fetch_optional(&mut *tx)
        .await?;
    if live != Some(true) {
        return Err(AppError::NotFound("This article".into()));
    }
    let (user, anonymous) = reader.ids();
    let changed = if like {
        sqlx::query(
            "insert into article_likes (article_id, user_id, anonymous_user_id, created_at) values ($1, $2, $3, $4) on conflict do nothing",
        )
        .bind(article)
        .bind(user)
        .bind(anonymous)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected() as i32
    } else {
        -(sqlx::query("delete from article_likes where article_id = $1 and (user_id = $2 or anonymous_user_id = $3)")
            .bind(article)
            .bind(user)
            .bind(anonymous)
            .execute(&mut *tx)
            .await?
            .rows_affected() as i32)
    };
    let count: i32 = sqlx::query_scalar("update articles set like_count = greatest(like_count + $2, 0) where id = $1 returning like_count")
        .bind(article)
        .bind(changed)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((count, like))
}

/// Keeps how far `reader` got through a public article: the deepest scroll and the longest
/// time, never less than an earlier visit's.
pub async fn record_read(db: &PgPool, article: Uuid, reader: Reader, depth: i16, seconds: i32, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let (user, anonymous) = reader.ids();
    let target = match reader {
        Reader::User(_) => "(article_id, user_id)",
        Reader::Anonymous(_) => "(article_id, anonymous_user_id)",
    };
    sqlx::query(&format!(
        "insert into article_reads (article_id, user_id, anonymous_user_id, scroll_percent, read_seconds, created_at)
         select a.id, $3, $4, $5, $6, $2 from articles a where a.id = $7 and {LIVE}
         on conflict {target} do update set scroll_percent = greatest(article_reads.scroll_percent, excluded.scroll_percent),
                                             read_seconds = greatest(article_reads.read_seconds, excluded.read_seconds)"
    ))
    .bind(now)
    .bind(now)
    .bind(user)
    .bind(anonymous)
    .bind(depth.clamp(0, 100))
    .bind(seconds.max(0))
    .bind(article)
    .execute(db)
    .await?;
    Ok(())
}
