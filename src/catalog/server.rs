//! Catalogue queries. Listing queries fetch exactly the columns a card shows, in one
//! round trip per list (images and swatches come from lateral joins, not per-row queries).

use super::types::{rating_avg_x10, Banner, CategoryLink, CollectionTile, ProductCard, Swatch};
use crate::money::Money;
use sqlx::PgPool;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct CardRow {
    id: Uuid,
    slug: String,
    name: String,
    currency: String,
    price_minor: i64,
    price_override_minor: Option<i64>,
    rating_count: i32,
    rating_sum: i32,
    image_url: Option<String>,
    image_alt: Option<String>,
    swatch_names: Vec<String>,
    swatch_hexes: Vec<String>,
}

impl From<CardRow> for ProductCard {
    fn from(row: CardRow) -> Self {
        let (price, compare_at) = match row.price_override_minor {
            Some(sale) => (Money::new(sale, &row.currency), Some(Money::new(row.price_minor, &row.currency))),
            None => (Money::new(row.price_minor, &row.currency), None),
        };
        Self {
            id: row.id,
            image_alt: row.image_alt.unwrap_or_else(|| row.name.clone()),
            slug: row.slug,
            name: row.name,
            price,
            compare_at,
            image_url: row.image_url,
            rating_avg_x10: rating_avg_x10(row.rating_sum, row.rating_count),
            rating_count: row.rating_count,
            swatches: row
                .swatch_names
                .into_iter()
                .zip(row.swatch_hexes)
                .map(|(name, hex)| Swatch { name, hex })
                .collect(),
        }
    }
}

/// The card columns for products `p`; callers add FROM/WHERE/ORDER.
const CARD_SELECT: &str = r#"
    select p.id, p.slug, p.name, p.currency, p.price_minor, p.price_override_minor,
           p.rating_count, p.rating_sum,
           img.url as image_url, img.alt_text as image_alt,
           coalesce(sw.names, '{}') as swatch_names, coalesce(sw.hexes, '{}') as swatch_hexes
    from products p
    left join lateral (
        select i.url, i.alt_text
        from product_colours pc
        join product_colour_images i on i.product_colour_id = pc.id and i.is_primary
        where pc.product_id = p.id
        order by pc.sort_order
        limit 1
    ) img on true
    left join lateral (
        select array_agg(c.name order by pc.sort_order) as names,
               array_agg(c.hex order by pc.sort_order) as hexes
        from product_colours pc
        join colours c on c.id = pc.colour_id
        where pc.product_id = p.id
    ) sw on true
"#;

#[tracing::instrument(skip(db))]
pub async fn new_arrivals(db: &PgPool, limit: i64, offset: i64) -> Result<Vec<ProductCard>, sqlx::Error> {
    let sql = format!(
        "{CARD_SELECT} where p.is_active and p.deleted_at is null \
         order by p.created_at desc, p.id desc limit $1 offset $2"
    );
    let rows: Vec<CardRow> = sqlx::query_as(&sql).bind(limit).bind(offset).fetch_all(db).await?;
    Ok(rows.into_iter().map(ProductCard::from).collect())
}

#[tracing::instrument(skip(db))]
pub async fn nav_categories(db: &PgPool) -> Result<Vec<CategoryLink>, sqlx::Error> {
    sqlx::query_as::<_, (String, String)>(
        "select name, slug from categories where is_active and parent_id is null order by sort_order, name",
    )
    .fetch_all(db)
    .await
    .map(|rows| rows.into_iter().map(|(name, slug)| CategoryLink { name, slug }).collect())
}

#[tracing::instrument(skip(db))]
pub async fn active_banners(db: &PgPool) -> Result<Vec<Banner>, sqlx::Error> {
    sqlx::query_as::<_, (Uuid, String, String, String, String, String, String)>(
        "select id, title, subtitle, image_url, image_alt, button_text, button_link from banners
         where is_active and (starts_at is null or starts_at <= now()) and (ends_at is null or ends_at > now())
         order by sort_order, created_at",
    )
    .fetch_all(db)
    .await
    .map(|rows| {
        rows.into_iter()
            .map(|(id, title, subtitle, image_url, image_alt, button_text, button_link)| Banner {
                id,
                title,
                subtitle,
                image_url,
                image_alt,
                button_text,
                button_link,
            })
            .collect()
    })
}

#[tracing::instrument(skip(db))]
pub async fn featured_collections(db: &PgPool) -> Result<Vec<CollectionTile>, sqlx::Error> {
    sqlx::query_as::<_, (String, String, String, Option<String>)>(
        "select name, slug, description, image_url from collections
         where is_active and is_featured order by sort_order, name limit 3",
    )
    .fetch_all(db)
    .await
    .map(|rows| {
        rows.into_iter()
            .map(|(name, slug, description, image_url)| CollectionTile { name, slug, description, image_url })
            .collect()
    })
}
