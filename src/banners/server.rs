//! Banners on the server: the ones the home page shows at a moment (by the store's clock),
//! where a button leads and its clicks, impressions, and the staff's changes (list, editor,
//! create and edit, reorder, delete), each audited in the change's own transaction. The
//! image files are made by `media::process` and kept by the `media::store`; here live only
//! the rows that name them.

use super::{BannerFields, StaffBanner, HOME_BANNERS};
use crate::{
    admin::table::{ListQuery, Paged, PAGE_SIZE},
    audit::server::{self as audit, Actor, Change},
    catalog::types::Banner,
    error::AppError,
};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The banners the home page shows at `now`: active, with an image, inside their window,
/// in staff order; at most [`HOME_BANNERS`].
#[tracing::instrument(skip(db))]
pub async fn for_home(db: &PgPool, now: DateTime<Utc>) -> Result<Vec<Banner>, sqlx::Error> {
    let rows: Vec<(Uuid, String, String, String, String, Vec<i32>, String, String)> = sqlx::query_as(
        "select id, title, subtitle, image_url, image_alt, image_widths, button_text, button_link from banners
         where is_active and image_url <> '' and (starts_at is null or starts_at <= $1) and (ends_at is null or ends_at > $1)
         order by sort_order, created_at, id limit $2",
    )
    .bind(now)
    .bind(HOME_BANNERS)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, title, subtitle, image_url, image_alt, image_widths, button_text, button_link)| Banner {
            id,
            title,
            subtitle,
            image_url,
            image_alt,
            image_widths,
            button_text,
            button_link,
        })
        .collect())
}

/// Where an active banner's button leads (`None` for an unknown or inactive banner, or a
/// link no longer allowed by [`super::parse_link`]).
pub async fn link(db: &PgPool, id: Uuid) -> Result<Option<String>, sqlx::Error> {
    let link: Option<String> = sqlx::query_scalar("select button_link from banners where id = $1 and is_active").bind(id).fetch_optional(db).await?;
    Ok(link.and_then(|l| super::parse_link(&l).ok()))
}

/// Counts one click on a banner's button at `at`, by whoever the session knows.
pub async fn record_click(db: &PgPool, id: Uuid, user: Option<Uuid>, anonymous: Option<Uuid>, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "with click as (insert into banner_clicks (banner_id, user_id, anonymous_user_id, created_at) values ($1, $2, $3, $4))
         update banners set click_count = click_count + 1 where id = $1",
    )
    .bind(id)
    .bind(user)
    .bind(anonymous)
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}

/// Shards one day's impressions of a banner are spread over (see the migration).
const IMPRESSION_SHARDS: u8 = 8;

/// Counts one impression of each of `banners` on `day`: one statement that adds one to the
/// day's counter rows (a shard picked at random), so a view costs one short upsert however
/// many there are. Rows are taken in the order given (the home page's), the same for
/// every caller, so two views never wait on each other in a circle.
pub async fn count_impressions(db: &PgPool, banners: &[Uuid], day: NaiveDate) -> Result<(), sqlx::Error> {
    if banners.is_empty() {
        return Ok(());
    }
    // The last bytes of a v7 id are random.
    let shard = i16::from(Uuid::now_v7().as_bytes()[15] % IMPRESSION_SHARDS);
    sqlx::query(
        "insert into banner_impressions (banner_id, day, shard, count)
         select b.id, $2, $3, 1 from unnest($1::uuid[]) with ordinality b(id, n) order by b.n
         on conflict (banner_id, day, shard) do update set count = banner_impressions.count + 1",
    )
    .bind(banners)
    .bind(day)
    .bind(shard)
    .execute(db)
    .await?;
    Ok(())
}

// ---- staff ----------------------------------------------------------------------------------

/// Every banner in home-page order, numbered, with its figures.
const ORDERED: &str = "select b.*, row_number() over (order by b.sort_order, b.created_at, b.id) as n, count(*) over () as total,
        coalesce((select sum(i.count) from banner_impressions i where i.banner_id = b.id), 0)::bigint as impressions
    from banners b";

const COLUMNS: &str = "o.id, o.title, o.subtitle, o.image_alt, o.button_text, o.button_link, o.starts_at, o.ends_at, o.is_active,
    o.image_url, o.image_widths, o.click_count::bigint as clicks, o.impressions, o.n, o.total";

#[derive(sqlx::FromRow)]
struct BannerRow {
    id: Uuid,
    title: String,
    subtitle: String,
    image_alt: String,
    button_text: String,
    button_link: String,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    is_active: bool,
    image_url: String,
    image_widths: Vec<i32>,
    clicks: i64,
    impressions: i64,
    n: i64,
    total: i64,
}

impl From<BannerRow> for StaffBanner {
    fn from(r: BannerRow) -> Self {
        Self {
            id: r.id,
            fields: BannerFields {
                title: r.title,
                subtitle: r.subtitle,
                image_alt: r.image_alt,
                button_text: r.button_text,
                button_link: r.button_link,
                starts_at: r.starts_at,
                ends_at: r.ends_at,
                is_active: r.is_active,
            },
            image_url: r.image_url,
            image_widths: r.image_widths,
            impressions: r.impressions,
            clicks: r.clicks,
            first: r.n == 1,
            last: r.n == r.total,
        }
    }
}

/// One page of the banner list in home-page order: `q` (part of the title), `status`
/// (live, scheduled, ended, inactive) at `now`.
pub async fn list(db: &PgPool, query: &ListQuery, now: DateTime<Utc>) -> Result<Paged<StaffBanner>, sqlx::Error> {
    let filter = "($1::text is null or o.title ilike '%' || $1 || '%')
        and (case $2::text
                when 'live' then o.is_active and (o.starts_at is null or o.starts_at <= $3) and (o.ends_at is null or o.ends_at > $3)
                when 'scheduled' then o.is_active and o.starts_at > $3
                when 'ended' then o.is_active and o.ends_at <= $3
                when 'inactive' then not o.is_active
                else true end)";
    let rows: Vec<BannerRow> = sqlx::query_as(&format!("select {COLUMNS} from ({ORDERED}) o where {filter} order by o.n limit $4 offset $5"))
        .bind(query.search())
        .bind(query.filter("status"))
        .bind(now)
        .bind(PAGE_SIZE)
        .bind(query.offset())
        .fetch_all(db)
        .await?;
    let total: i64 = sqlx::query_scalar(&format!("select count(*) from ({ORDERED}) o where {filter}"))
        .bind(query.search())
        .bind(query.filter("status"))
        .bind(now)
        .fetch_one(db)
        .await?;
    Ok(Paged { rows: rows.into_iter().map(StaffBanner::from).collect(), total })
}

/// One banner with its figures, `None` when there is none.
pub async fn banner(db: &PgPool, id: Uuid) -> Result<Option<StaffBanner>, sqlx::Error> {
    let row: Option<BannerRow> = sqlx::query_as(&format!("select {COLUMNS} from ({ORDERED}) o where o.id = $1")).bind(id).fetch_optional(db).await?;
    Ok(row.map(StaffBanner::from))
}

/// An uploaded image whose files are already stored.
#[derive(Debug, Clone)]
pub struct BannerImage {
    pub url: String,
    pub widths: Vec<i32>,
    pub storage_key: String,
}

/// Files a change left unused in the media store, to remove once it committed.
#[derive(Debug, Clone, Default)]
pub struct OldImage {
    pub storage_key: Option<String>,
    pub widths: Vec<i32>,
}

fn snapshot(fields: &BannerFields, image_url: &str) -> serde_json::Value {
    serde_json::json!({
        "title": fields.title,
        "subtitle": fields.subtitle,
        "image_url": image_url,
        "image_alt": fields.image_alt,
        "button_text": fields.button_text,
        "button_link": fields.button_link,
        "is_active": fields.is_active,
        "starts_at": fields.starts_at,
        "ends_at": fields.ends_at,
    })
}

/// What a row holds before a change, locked for it.
async fn locked(conn: &mut PgConnection, id: Uuid) -> Result<Option<(BannerFields, String, Option<String>, Vec<i32>)>, sqlx::Error> {
    let row: Option<(String, String, String, String, String, Option<DateTime<Utc>>, Option<DateTime<Utc>>, bool, String, Option<String>, Vec<i32>)> =
        sqlx::query_as(
            "select title, subtitle, image_alt, button_text, button_link, starts_at, ends_at, is_active, image_url, image_storage_key, image_widths
             from banners where id = $1 for update",
        )
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(title, subtitle, image_alt, button_text, button_link, starts_at, ends_at, is_active, url, key, widths)| {
        (BannerFields { title, subtitle, image_alt, button_text, button_link, starts_at, ends_at, is_active }, url, key, widths)
    }))
}

/// Whether a banner exists (checked before an upload's files are made for it).
pub async fn exists(db: &PgPool, id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists(select 1 from banners where id = $1)").bind(id).fetch_one(db).await
}

/// Creates (`id` none; `image` required, placed last in the order) or updates a banner,
/// with a new image when one was uploaded. Returns its id and the files the old image
/// left, to remove once this committed.
pub async fn save(db: &PgPool, actor: &Actor, id: Option<Uuid>, fields: &BannerFields, image: Option<&BannerImage>, now: DateTime<Utc>) -> Result<(Uuid, OldImage), AppError> {
    let mut tx = db.begin().await?;
    let (id, action, before, image_url, old) = match id {
        None => {
            let image = image.ok_or_else(|| AppError::field("image", "Choose an image for the banner."))?;
            // New banners go last; one writer at a time picks the place.
            sqlx::query("lock table banners in share row exclusive mode").execute(&mut *tx).await?;
            let id: Uuid = sqlx::query_scalar(
                "insert into banners (title, subtitle, image_url, image_alt, image_widths, image_storage_key, button_text, button_link,
                                      is_active, starts_at, ends_at, sort_order)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, (select coalesce(max(sort_order) + 1, 0) from banners))
                 returning id",
            )
            .bind(&fields.title)
            .bind(&fields.subtitle)
            .bind(&image.url)
            .bind(&fields.image_alt)
            .bind(&image.widths)
            .bind(&image.storage_key)
            .bind(&fields.button_text)
            .bind(&fields.button_link)
            .bind(fields.is_active)
            .bind(fields.starts_at)
            .bind(fields.ends_at)
            .fetch_one(&mut *tx)
            .await?;
            (id, "create", None, image.url.clone(), OldImage::default())
        }
        Some(id) => {
            let (old_fields, old_url, old_key, old_widths) = locked(&mut tx, id).await?.ok_or_else(|| AppError::NotFound("That banner".into()))?;
            let (url, widths, key, old) = match image {
                Some(new) => (new.url.clone(), new.widths.clone(), Some(new.storage_key.clone()), OldImage { storage_key: old_key, widths: old_widths }),
                None => (old_url.clone(), old_widths, old_key, OldImage::default()),
            };
            sqlx::query(
                "update banners set title = $2, subtitle = $3, image_url = $4, image_alt = $5, image_widths = $6, image_storage_key = $7,
                                    button_text = $8, button_link = $9, is_active = $10, starts_at = $11, ends_at = $12
                 where id = $1",
            )
            .bind(id)
            .bind(&fields.title)
            .bind(&fields.subtitle)
            .bind(&url)
            .bind(&fields.image_alt)
            .bind(&widths)
            .bind(&key)
            .bind(&fields.button_text)
            .bind(&fields.button_link)
            .bind(fields.is_active)
            .bind(fields.starts_at)
            .bind(fields.ends_at)
            .execute(&mut *tx)
            .await?;
            (id, "update", Some(snapshot(&old_fields, &old_url)), url, old)
        }
    };
    let change = Change { action, entity_kind: "banner", entity_id: id.to_string(), before, after: Some(snapshot(fields, &image_url)) };
    audit::record(&mut tx, actor, change, now).await?;
    tx.commit().await?;
    Ok((id, old))
}

/// Moves a banner one place up (earlier on the home page) or down.
pub async fn move_banner(db: &PgPool, actor: &Actor, id: Uuid, up: bool, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    sqlx::query("lock table banners in share row exclusive mode").execute(&mut *tx).await?;
    let order: Vec<Uuid> = sqlx::query_scalar("select id from banners order by sort_order, created_at, id").fetch_all(&mut *tx).await?;
    if !order.contains(&id) {
        return Err(AppError::NotFound("That banner".into()));
    }
    let Some(moved) = crate::catalog::taxonomy::moved(&order, id, up) else { return Ok(()) };
    let position = |ids: &[Uuid]| ids.iter().position(|x| *x == id).unwrap_or_default() + 1;
    crate::catalog::taxonomy::renumber(&mut tx, "banners", &moved).await?;
    let change = Change {
        action: "reorder",
        entity_kind: "banner",
        entity_id: id.to_string(),
        before: Some(serde_json::json!({ "position": position(&order) })),
        after: Some(serde_json::json!({ "position": position(&moved) })),
    };
    audit::record(&mut tx, actor, change, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a banner (its clicks and impressions go with it); returns its image's files, to
/// remove once this committed.
pub async fn delete(db: &PgPool, actor: &Actor, id: Uuid, now: DateTime<Utc>) -> Result<OldImage, AppError> {
    let mut tx = db.begin().await?;
    let (fields, url, key, widths) = locked(&mut tx, id).await?.ok_or_else(|| AppError::NotFound("That banner".into()))?;
    sqlx::query("delete from banners where id = $1").bind(id).execute(&mut *tx).await?;
    let change = Change { action: "delete", entity_kind: "banner", entity_id: id.to_string(), before: Some(snapshot(&fields, &url)), after: None };
    audit::record(&mut tx, actor, change, now).await?;
    tx.commit().await?;
    Ok(OldImage { storage_key: key, widths })
}
