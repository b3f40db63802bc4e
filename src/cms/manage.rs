//! Staff changes to articles (server only): the list, the editor, create and edit (body
//! rendered by `cms::render`, tags made on the fly, an old slug kept answering), unpublish,
//! soft delete and restore, and the featured image's row. Every change locks the article's
//! row and is written with its audit entry in one transaction.

use super::types::{ArticleEditor, ArticleFields, ArticleInput, StaffArticle, StaffArticleRow};
use crate::{
    admin::table::{ListQuery, Paged, PAGE_SIZE},
    audit::server::{self as audit, Actor, Change},
    error::AppError,
};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The columns the staff list sorts by, and the SQL of each.
const SORTS: [(&str, &str); 5] =
    [("title", "lower(a.title)"), ("published", "a.published_at"), ("updated", "a.updated_at"), ("views", "a.view_count"), ("likes", "a.like_count")];

/// One page of the article list for `query`: `q` (part of the title or slug), `state`
/// (draft, scheduled, published at `now`, or deleted; deleted ones only there); last
/// changed first unless a column is chosen.
pub async fn list(db: &PgPool, query: &ListQuery, now: DateTime<Utc>) -> Result<Paged<StaffArticleRow>, sqlx::Error> {
    let names: Vec<&str> = SORTS.iter().map(|(k, _)| *k).collect();
    let (sort, desc) = query.sort_of(&names, ("updated", true));
    let column = SORTS.iter().find(|(k, _)| *k == sort).map_or("a.updated_at", |(_, c)| c);
    let direction = if desc { "desc nulls last" } else { "asc nulls last" };
    let id_direction = if desc { "desc" } else { "asc" };
    let filter = "($1::text is null or a.title ilike '%' || $1 || '%' or a.slug ilike '%' || $1 || '%')
        and (case $2::text when 'deleted' then a.deleted_at is not null
                           when 'draft' then a.deleted_at is null and a.status <> 'published'
                           when 'scheduled' then a.deleted_at is null and a.status = 'published' and a.published_at > $3
                           when 'published' then a.deleted_at is null and a.status = 'published' and a.published_at <= $3
                           else a.deleted_at is null end)";
    let rows: Vec<(Uuid, String, String, String, Option<DateTime<Utc>>, DateTime<Utc>, bool, String, i32, i32)> = sqlx::query_as(&format!(
        "select a.id, a.title, a.slug, a.status, a.published_at, a.updated_at, a.deleted_at is not null,
                coalesce((select string_agg(t.name, ', ' order by lower(t.name)) from article_tags at join tags t on t.id = at.tag_id
                          where at.article_id = a.id), ''),
                a.view_count, a.like_count
         from articles a where {filter} order by {column} {direction}, a.id {id_direction} limit $4 offset $5"
    ))
    .bind(query.search())
    .bind(query.filter("state"))
    .bind(now)
    .bind(PAGE_SIZE)
    .bind(query.offset())
    .fetch_all(db)
    .await?;
    let total: i64 = sqlx::query_scalar(&format!("select count(*) from articles a where {filter}"))
        .bind(query.search())
        .bind(query.filter("state"))
        .bind(now)
        .fetch_one(db)
        .await?;
    let rows = rows
        .into_iter()
        .map(|(id, title, slug, status, published_at, updated_at, deleted, tags, views, likes)| StaffArticleRow {
            id,
            title,
            slug,
            status,
            published_at,
            updated_at,
            deleted,
            tags,
            views,
            likes,
        })
        .collect();
    Ok(Paged { rows, total })
}

#[derive(sqlx::FromRow)]
struct EditorRow {
    id: Uuid,
    title: String,
    slug: String,
    body_markdown: String,
    body_html: String,
    excerpt: String,
    seo_description: String,
    status: String,
    published_at: Option<DateTime<Utc>>,
    deleted: bool,
    featured_image_url: Option<String>,
    featured_image_alt: String,
    featured_image_widths: Vec<i32>,
    view_count: i32,
    like_count: i32,
    reads: i64,
    average_depth: Option<i32>,
}

async fn stored(conn: &mut PgConnection, id: Uuid) -> Result<Option<StaffArticle>, sqlx::Error> {
    let row: Option<EditorRow> = sqlx::query_as(
        "select a.id, a.title, a.slug, a.body_markdown, a.body_html, a.excerpt, a.seo_description, a.status, a.published_at,
                a.deleted_at is not null as deleted, a.featured_image_url, a.featured_image_alt, a.featured_image_widths,
                a.view_count, a.like_count, r.reads, r.average_depth
         from articles a,
              lateral (select count(*) as reads, round(avg(scroll_percent))::int as average_depth from article_reads where article_id = a.id) r
         where a.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let tags: Vec<String> = sqlx::query_scalar("select t.name from article_tags at join tags t on t.id = at.tag_id where at.article_id = $1 order by lower(t.name)")
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(Some(StaffArticle {
        id: r.id,
        title: r.title,
        slug: r.slug,
        body_markdown: r.body_markdown,
        body_html: r.body_html,
        excerpt: r.excerpt,
        tags,
        seo_description: r.seo_description,
        status: r.status,
        published_at: r.published_at,
        deleted: r.deleted,
        image: super::server::image(r.featured_image_url, r.featured_image_alt, r.featured_image_widths),
        views: r.view_count,
        likes: r.like_count,
        reads: r.reads,
        average_depth: r.average_depth,
    }))
}

/// The editor for an article (`None` when there is none), or a blank one for a new article.
pub async fn editor(db: &PgPool, id: Option<Uuid>, now: DateTime<Utc>, can_audit: bool) -> Result<Option<ArticleEditor>, sqlx::Error> {
    let article = match id {
        None => None,
        Some(id) => match stored(&mut *db.acquire().await?, id).await? {
            Some(article) => Some(article),
            None => return Ok(None),
        },
    };
    Ok(Some(ArticleEditor { article, now, can_audit }))
}

/// What the audit log keeps of an article: everything the editor changes.
async fn snapshot(conn: &mut PgConnection, id: Uuid) -> Result<Option<serde_json::Value>, sqlx::Error> {
    sqlx::query_scalar(
        "select jsonb_build_object('title', a.title, 'slug', a.slug, 'excerpt', a.excerpt, 'body_markdown', a.body_markdown,
                'seo_description', a.seo_description, 'status', a.status, 'published_at', a.published_at,
                'deleted', a.deleted_at is not null, 'featured_image_url', a.featured_image_url, 'featured_image_alt', a.featured_image_alt,
                'tags', coalesce((select string_agg(t.name, ', ' order by lower(t.name)) from article_tags at join tags t on t.id = at.tag_id
                                  where at.article_id = a.id), ''))
         from articles a where a.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

const SLUG_TAKEN: &str = "Another article uses this URL name (a deleted one counts too). Choose another.";

async fn slug_taken(conn: &mut PgConnection, slug: &str, id: Option<Uuid>) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists (select 1 from articles where slug = $1 and id is distinct from $2)").bind(slug).bind(id).fetch_one(conn).await
}

fn slug_conflict(err: sqlx::Error) -> AppError {
    match err.as_database_error().and_then(|e| e.constraint()) {
        Some("articles_slug_key") => AppError::field("slug", SLUG_TAKEN),
        _ => err.into(),
    }
}

/// The form's rules (`ArticleInput::parse`, against the stored article's date and image)
/// and whether another article has the slug, every message at once. `save` checks the
/// slug again in its transaction.
pub async fn validate(db: &PgPool, id: Option<Uuid>, input: &ArticleInput, now: DateTime<Utc>) -> Result<ArticleFields, AppError> {
    let mut conn = db.acquire().await?;
    let (current, has_image) = match id {
        Some(id) => {
            let row: Option<(Option<DateTime<Utc>>, bool, bool)> =
                sqlx::query_as("select published_at, featured_image_url is not null, deleted_at is not null from articles where id = $1")
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?;
            match row {
                None => return Err(AppError::NotFound("That article".into())),
                Some((_, _, true)) => return Err(AppError::Conflict("This article was deleted. Restore it to edit it.".into())),
                Some((published_at, has_image, false)) => (published_at, has_image),
            }
        }
        None => (None, false),
    };
    let parsed = input.parse(now, current, has_image);
    let slug = match &parsed {
        Ok(fields) => Some(fields.slug.clone()),
        Err(_) => crate::catalog::types::Slug::parse(input.slug.trim()).ok().map(|s| s.as_str().to_owned()),
    };
    let taken = match slug {
        Some(slug) if !slug.is_empty() => slug_taken(&mut conn, &slug, id).await?,
        _ => false,
    };
    match (parsed, taken) {
        (Ok(fields), false) => Ok(fields),
        (Ok(_), true) => Err(AppError::field("slug", SLUG_TAKEN)),
        (Err(AppError::Validation(mut errors)), true) => {
            if errors.get("slug").is_none() {
                errors.add("slug", SLUG_TAKEN);
            }
            Err(AppError::Validation(errors))
        }
        (Err(error), _) => Err(error),
    }
}

/// Makes the tags that do not exist yet and gives the article exactly `fields.tags`.
async fn set_tags(conn: &mut PgConnection, article: Uuid, fields: &ArticleFields) -> Result<(), sqlx::Error> {
    let names: Vec<&str> = fields.tags.iter().map(|t| t.name.as_str()).collect();
    let slugs: Vec<&str> = fields.tags.iter().map(|t| t.slug.as_str()).collect();
    // An existing tag keeps its name: another article's "Care" is not renamed by a "care".
    sqlx::query("insert into tags (name, slug) select * from unnest($1::text[], $2::text[]) on conflict (slug) do nothing")
        .bind(&names)
        .bind(&slugs)
        .execute(&mut *conn)
        .await?;
    sqlx::query("delete from article_tags at using tags t where at.article_id = $1 and t.id = at.tag_id and t.slug <> all($2)")
        .bind(article)
        .bind(&slugs)
        .execute(&mut *conn)
        .await?;
    sqlx::query("insert into article_tags (article_id, tag_id) select $1, id from tags where slug = any($2) on conflict do nothing")
        .bind(article)
        .bind(&slugs)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Creates (`id` none) or updates an article from checked fields; the body is rendered
/// here, by the same function the preview uses. A changed slug leaves the old one
/// answering with a redirect.
pub async fn save(db: &PgPool, actor: &Actor, id: Option<Uuid>, fields: &ArticleFields, now: DateTime<Utc>) -> Result<Uuid, AppError> {
    let body_html = super::render::render(&fields.body_markdown);
    let status = if fields.published { "published" } else { "draft" };
    let mut tx = db.begin().await?;
    if slug_taken(&mut tx, &fields.slug, id).await? {
        return Err(AppError::field("slug", SLUG_TAKEN));
    }
    let (id, old) = match id {
        Some(id) => {
            let found: Option<(String, bool)> = sqlx::query_as("select slug, deleted_at is not null from articles where id = $1 for update")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let (old_slug, deleted) = found.ok_or_else(|| AppError::NotFound("That article".into()))?;
            if deleted {
                return Err(AppError::Conflict("This article was deleted. Restore it to edit it.".into()));
            }
            let before = snapshot(&mut tx, id).await?;
            sqlx::query(
                "update articles set title = $2, slug = $3, excerpt = $4, body_markdown = $5, body_html = $6, seo_description = $7,
                                     status = $8, published_at = $9,
                                     featured_image_alt = case when featured_image_url is null then featured_image_alt else $10 end
                 where id = $1",
            )
            .bind(id)
            .bind(&fields.title)
            .bind(&fields.slug)
            .bind(&fields.excerpt)
            .bind(&fields.body_markdown)
            .bind(&body_html)
            .bind(&fields.seo_description)
            .bind(status)
            .bind(fields.published_at)
            .bind(&fields.image_alt)
            .execute(&mut *tx)
            .await
            .map_err(slug_conflict)?;
            (id, Some((old_slug, before)))
        }
        None => {
            let id: Uuid = sqlx::query_scalar(
                "insert into articles (title, slug, excerpt, body_markdown, body_html, seo_description, status, published_at, author_id,
                                       created_at, updated_at)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) returning id",
            )
            .bind(&fields.title)
            .bind(&fields.slug)
            .bind(&fields.excerpt)
            .bind(&fields.body_markdown)
            .bind(&body_html)
            .bind(&fields.seo_description)
            .bind(status)
            .bind(fields.published_at)
            .bind(actor.user_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(slug_conflict)?;
            (id, None)
        }
    };
    if let Some((old_slug, _)) = old.as_ref().filter(|(old_slug, _)| *old_slug != fields.slug) {
        sqlx::query(
            "insert into article_slug_history (slug, article_id, retired_at) values ($1, $2, $3)
             on conflict (slug) do update set article_id = excluded.article_id, retired_at = excluded.retired_at",
        )
        .bind(old_slug)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    // A slug in use is no longer an old one.
    sqlx::query("delete from article_slug_history where slug = $1").bind(&fields.slug).execute(&mut *tx).await?;
    set_tags(&mut tx, id, fields).await?;
    let after = snapshot(&mut tx, id).await?;
    let action = if old.is_some() { "update" } else { "create" };
    let before = old.and_then(|(_, before)| before);
    audit::record(&mut tx, actor, Change { action, entity_kind: "article", entity_id: id.to_string(), before, after }, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Locks an article's row and takes its snapshot (not found when there is none).
async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<serde_json::Value, AppError> {
    let found: Option<Uuid> = sqlx::query_scalar("select id from articles where id = $1 for update").bind(id).fetch_optional(&mut *conn).await?;
    found.ok_or_else(|| AppError::NotFound("That article".into()))?;
    snapshot(conn, id).await?.ok_or_else(|| AppError::NotFound("That article".into()))
}

/// Takes an article off the journal (back to draft; its date is kept). Answers whether
/// it changed (a second click finds it a draft already).
pub async fn unpublish(db: &PgPool, actor: &Actor, id: Uuid, now: DateTime<Utc>) -> Result<bool, AppError> {
    let mut tx = db.begin().await?;
    let before = lock(&mut tx, id).await?;
    let changed = sqlx::query("update articles set status = 'draft' where id = $1 and status = 'published' and deleted_at is null")
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if changed == 0 {
        return Ok(false);
    }
    let after = snapshot(&mut tx, id).await?;
    audit::record(&mut tx, actor, Change { action: "unpublish", entity_kind: "article", entity_id: id.to_string(), before: Some(before), after }, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Soft-deletes (`deleted`) or restores an article. A deleted article is gone from the
/// journal (404) and its old slugs stop redirecting; restoring brings it back as it was.
pub async fn set_deleted(db: &PgPool, actor: &Actor, id: Uuid, deleted: bool, now: DateTime<Utc>) -> Result<bool, AppError> {
    let mut tx = db.begin().await?;
    let before = lock(&mut tx, id).await?;
    let changed = sqlx::query("update articles set deleted_at = case when $2 then $3 end where id = $1 and (deleted_at is not null) <> $2")
        .bind(id)
        .bind(deleted)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if changed == 0 {
        return Ok(false);
    }
    let after = snapshot(&mut tx, id).await?;
    let action = if deleted { "delete" } else { "restore" };
    audit::record(&mut tx, actor, Change { action, entity_kind: "article", entity_id: id.to_string(), before: Some(before), after }, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Whether the article exists and is not deleted (uploads check before any work).
pub async fn is_editable(db: &PgPool, id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists (select 1 from articles where id = $1 and deleted_at is null)").bind(id).fetch_one(db).await
}

/// The files an article's earlier featured image left in the media store: its key prefix
/// and widths (none for an image that was one seeded file).
pub struct OldImage {
    pub storage_key: Option<String>,
    pub widths: Vec<i32>,
}

/// A featured image whose files are stored already.
pub struct NewFeatured<'a> {
    pub url: &'a str,
    pub storage_key: &'a str,
    pub widths: &'a [i32],
    pub alt: &'a str,
}

/// Gives an article a new featured image (`None`: takes it away); answers what the old one
/// left in the media store, for the caller to remove once this committed.
pub async fn set_image(db: &PgPool, actor: &Actor, id: Uuid, image: Option<NewFeatured<'_>>, now: DateTime<Utc>) -> Result<OldImage, AppError> {
    let mut tx = db.begin().await?;
    let before = lock(&mut tx, id).await?;
    let old: (Option<String>, Vec<i32>, bool) =
        sqlx::query_as("select featured_image_key, featured_image_widths, deleted_at is not null from articles where id = $1").bind(id).fetch_one(&mut *tx).await?;
    if old.2 {
        return Err(AppError::Conflict("This article was deleted. Restore it to change its image.".into()));
    }
    let (url, key, widths, alt) = match &image {
        Some(i) => (Some(i.url), Some(i.storage_key), i.widths.to_vec(), i.alt),
        None => (None, None, Vec::new(), ""),
    };
    sqlx::query(
        "update articles set featured_image_url = $2, featured_image_key = $3, featured_image_widths = $4, featured_image_alt = $5 where id = $1",
    )
    .bind(id)
    .bind(url)
    .bind(key)
    .bind(&widths)
    .bind(alt)
    .execute(&mut *tx)
    .await?;
    let after = snapshot(&mut tx, id).await?;
    let action = if image.is_some() { "set_image" } else { "remove_image" };
    audit::record(&mut tx, actor, Change { action, entity_kind: "article", entity_id: id.to_string(), before: Some(before), after }, now).await?;
    tx.commit().await?;
    Ok(OldImage { storage_key: old.0, widths: old.1 })
}
