//! A product's images, one list per colour, as staff manage them: the rows the editor shows
//! and (server only) the rules for adding, ordering, choosing the primary, describing and
//! deleting them. The files themselves are made by `media::process` and kept by the
//! configured `media::store`; here live only their rows, each change audited in the same
//! transaction.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Longest alt text: a sentence, not an essay (screen readers read all of it).
pub const MAX_ALT: usize = 250;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffImage {
    pub id: Uuid,
    pub url: String,
    pub alt: String,
    pub is_primary: bool,
    /// The widths of its variants; empty for an image with one file (the seeded SVGs).
    pub widths: Vec<i32>,
}

/// One colour of a product with its images in shop order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColourImages {
    /// The product's colour (`product_colours.id`), what uploads attach to.
    pub id: Uuid,
    pub colour: String,
    pub images: Vec<StaffImage>,
}

#[cfg(feature = "ssr")]
pub mod server {
    use super::{ColourImages, StaffImage, MAX_ALT};
    use crate::{
        audit::server::{self as audit, Actor, Change},
        error::AppError,
    };
    use chrono::{DateTime, Utc};
    use serde_json::json;
    use sqlx::{PgConnection, PgPool};
    use uuid::Uuid;

    /// An uploaded image whose files are already stored.
    #[derive(Debug, Clone)]
    pub struct NewImage {
        pub id: Uuid,
        pub storage_key: String,
        pub url: String,
        pub widths: Vec<i32>,
        pub width: i32,
        pub height: i32,
    }

    /// What a deleted image left in the media store.
    #[derive(Debug, Clone)]
    pub struct Removed {
        pub storage_key: Option<String>,
        pub widths: Vec<i32>,
    }

    /// Every colour of `product` with its images.
    pub async fn for_product(db: &PgPool, product: Uuid) -> Result<Vec<ColourImages>, sqlx::Error> {
        let colours: Vec<(Uuid, String)> = sqlx::query_as(
            "select pc.id, c.name from product_colours pc join colours c on c.id = pc.colour_id
             where pc.product_id = $1 order by pc.sort_order, c.name",
        )
        .bind(product)
        .fetch_all(db)
        .await?;
        let images: Vec<(Uuid, Uuid, String, String, bool, Vec<i32>)> = sqlx::query_as(
            "select i.product_colour_id, i.id, i.url, i.alt_text, i.is_primary, i.widths from product_colour_images i
             join product_colours pc on pc.id = i.product_colour_id where pc.product_id = $1 order by i.sort_order, i.id",
        )
        .bind(product)
        .fetch_all(db)
        .await?;
        Ok(colours
            .into_iter()
            .map(|(id, colour)| ColourImages {
                id,
                colour,
                images: images
                    .iter()
                    .filter(|i| i.0 == id)
                    .map(|i| StaffImage { id: i.1, url: i.2.clone(), alt: i.3.clone(), is_primary: i.4, widths: i.5.clone() })
                    .collect(),
            })
            .collect())
    }

    /// Whether `colour` is one of `product`'s colours (uploads check before any work).
    pub async fn is_colour_of(db: &PgPool, product: Uuid, colour: Uuid) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar("select exists (select 1 from product_colours where id = $1 and product_id = $2)")
            .bind(colour)
            .bind(product)
            .fetch_one(db)
            .await
    }

    /// Alt text as stored: trimmed, present, not too long.
    pub fn check_alt(field: &str, alt: &str) -> Result<String, AppError> {
        let alt = alt.trim();
        if alt.is_empty() {
            return Err(AppError::field(field, "Describe the image for shoppers who cannot see it, e.g. “Linen shirt in sage, front view”."));
        }
        if alt.chars().any(char::is_control) {
            return Err(AppError::field(field, "Write the description on one line, in plain text."));
        }
        if alt.chars().count() > MAX_ALT {
            return Err(AppError::field(field, format!("Keep the description to {MAX_ALT} characters.")));
        }
        Ok(alt.to_owned())
    }

    /// Locks `product`'s colour `colour` (so orders are computed one change at a time).
    async fn lock_colour(conn: &mut PgConnection, product: Uuid, colour: Uuid) -> Result<(), AppError> {
        let found: Option<Uuid> = sqlx::query_scalar("select id from product_colours where id = $1 and product_id = $2 for update")
            .bind(colour)
            .bind(product)
            .fetch_optional(&mut *conn)
            .await?;
        found.map(|_| ()).ok_or_else(|| AppError::NotFound("That colour of this product".into()))
    }

    /// The colour of `image`, when the image is `product`'s; locks that colour.
    async fn lock_image(conn: &mut PgConnection, product: Uuid, image: Uuid) -> Result<Uuid, AppError> {
        let colour: Option<Uuid> = sqlx::query_scalar(
            "select i.product_colour_id from product_colour_images i join product_colours pc on pc.id = i.product_colour_id
             where i.id = $1 and pc.product_id = $2",
        )
        .bind(image)
        .bind(product)
        .fetch_optional(&mut *conn)
        .await?;
        let colour = colour.ok_or_else(|| AppError::NotFound("That image of this product".into()))?;
        lock_colour(conn, product, colour).await?;
        Ok(colour)
    }

    /// The images of a colour in order: (id, url, alt, primary).
    async fn images_of(conn: &mut PgConnection, colour: Uuid) -> Result<Vec<(Uuid, String, String, bool)>, sqlx::Error> {
        sqlx::query_as("select id, url, alt_text, is_primary from product_colour_images where product_colour_id = $1 order by sort_order, id")
            .bind(colour)
            .fetch_all(&mut *conn)
            .await
    }

    async fn record(conn: &mut PgConnection, actor: &Actor, product: Uuid, action: &str, before: serde_json::Value, after: serde_json::Value, now: DateTime<Utc>) -> Result<(), AppError> {
        sqlx::query("update products set updated_at = $2 where id = $1").bind(product).bind(now).execute(&mut *conn).await?;
        let change = Change { action, entity_kind: "product", entity_id: product.to_string(), before: Some(before), after: Some(after) };
        audit::record(conn, actor, change, now).await?;
        Ok(())
    }

    fn order_json(images: &[(Uuid, String, String, bool)]) -> serde_json::Value {
        json!({ "images": images.iter().map(|i| i.0.to_string()).collect::<Vec<_>>() })
    }

    /// Adds uploaded images to the end of a colour's list; the first becomes the primary
    /// when the colour has none.
    pub async fn add(db: &PgPool, actor: &Actor, product: Uuid, colour: Uuid, alt: &str, images: &[NewImage], now: DateTime<Utc>) -> Result<(), AppError> {
        let alt = check_alt("alt", alt)?;
        let mut tx = db.begin().await?;
        lock_colour(&mut tx, product, colour).await?;
        let existing = images_of(&mut tx, colour).await?;
        let mut has_primary = existing.iter().any(|i| i.3);
        let next: i32 = sqlx::query_scalar("select coalesce(max(sort_order) + 1, 0) from product_colour_images where product_colour_id = $1")
            .bind(colour)
            .fetch_one(&mut *tx)
            .await?;
        for (n, image) in images.iter().enumerate() {
            sqlx::query(
                "insert into product_colour_images (id, product_colour_id, url, alt_text, is_primary, width, height, sort_order, widths, storage_key)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(image.id)
            .bind(colour)
            .bind(&image.url)
            .bind(&alt)
            .bind(!has_primary)
            .bind(image.width)
            .bind(image.height)
            .bind(next + n as i32)
            .bind(&image.widths)
            .bind(&image.storage_key)
            .execute(&mut *tx)
            .await?;
            has_primary = true;
        }
        let after = json!({
            "colour": colour.to_string(),
            "added": images.iter().map(|i| json!({ "id": i.id.to_string(), "url": i.url, "alt": alt, "widths": i.widths })).collect::<Vec<_>>(),
        });
        record(&mut tx, actor, product, "image_add", order_json(&existing), after, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves an image one place earlier (`up`) or later in its colour's list.
    pub async fn move_image(db: &PgPool, actor: &Actor, product: Uuid, image: Uuid, up: bool, now: DateTime<Utc>) -> Result<(), AppError> {
        let mut tx = db.begin().await?;
        let colour = lock_image(&mut tx, product, image).await?;
        let mut images = images_of(&mut tx, colour).await?;
        let at = images.iter().position(|i| i.0 == image).expect("the locked image is in its colour");
        let to = if up { at.checked_sub(1) } else { Some(at + 1).filter(|t| *t < images.len()) };
        let Some(to) = to else { return Ok(()) };
        let before = order_json(&images);
        images.swap(at, to);
        renumber(&mut tx, &images).await?;
        record(&mut tx, actor, product, "image_move", before, order_json(&images), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Puts a colour's images in `order`, which must name each of them once (as a drag in
    /// the editor leaves them); a list made before an upload or delete is refused.
    pub async fn reorder(db: &PgPool, actor: &Actor, product: Uuid, colour: Uuid, order: &[Uuid], now: DateTime<Utc>) -> Result<(), AppError> {
        let mut tx = db.begin().await?;
        lock_colour(&mut tx, product, colour).await?;
        let images = images_of(&mut tx, colour).await?;
        let reordered: Vec<_> = order.iter().filter_map(|id| images.iter().find(|i| i.0 == *id).cloned()).collect();
        let mut distinct = order.to_vec();
        distinct.sort();
        distinct.dedup();
        if reordered.len() != images.len() || distinct.len() != order.len() || order.len() != images.len() {
            return Err(AppError::Rejected("The images of this colour changed since the page was opened. Reload the page and try again.".into()));
        }
        if reordered == images {
            return Ok(());
        }
        renumber(&mut tx, &reordered).await?;
        record(&mut tx, actor, product, "image_move", order_json(&images), order_json(&reordered), now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn renumber(conn: &mut PgConnection, images: &[(Uuid, String, String, bool)]) -> Result<(), sqlx::Error> {
        let ids: Vec<Uuid> = images.iter().map(|i| i.0).collect();
        sqlx::query("update product_colour_images i set sort_order = o.n - 1 from unnest($1::uuid[]) with ordinality as o(id, n) where i.id = o.id")
            .bind(&ids)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Makes `image` the one listings show for its colour.
    pub async fn set_primary(db: &PgPool, actor: &Actor, product: Uuid, image: Uuid, now: DateTime<Utc>) -> Result<(), AppError> {
        let mut tx = db.begin().await?;
        let colour = lock_image(&mut tx, product, image).await?;
        let images = images_of(&mut tx, colour).await?;
        let was = images.iter().find(|i| i.3).map(|i| i.0);
        if was == Some(image) {
            return Ok(());
        }
        // One statement flips both rows: the one-primary index is checked per row, so the
        // old primary goes first.
        sqlx::query("update product_colour_images set is_primary = false where product_colour_id = $1 and is_primary")
            .bind(colour)
            .execute(&mut *tx)
            .await?;
        sqlx::query("update product_colour_images set is_primary = true where id = $1").bind(image).execute(&mut *tx).await?;
        let before = json!({ "primary": was.map(|id| id.to_string()) });
        record(&mut tx, actor, product, "image_primary", before, json!({ "primary": image.to_string() }), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes an image's description.
    pub async fn set_alt(db: &PgPool, actor: &Actor, product: Uuid, image: Uuid, alt: &str, now: DateTime<Utc>) -> Result<(), AppError> {
        let alt = check_alt(&format!("alt-{image}"), alt)?;
        let mut tx = db.begin().await?;
        let colour = lock_image(&mut tx, product, image).await?;
        let images = images_of(&mut tx, colour).await?;
        let was = images.iter().find(|i| i.0 == image).map(|i| i.2.clone()).unwrap_or_default();
        if was == alt {
            return Ok(());
        }
        sqlx::query("update product_colour_images set alt_text = $2 where id = $1").bind(image).bind(&alt).execute(&mut *tx).await?;
        let id = image.to_string();
        record(&mut tx, actor, product, "image_alt", json!({ "image": id, "alt": was }), json!({ "image": id, "alt": alt }), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes an image's row (its files are the caller's to remove once this committed).
    /// When it was the primary, the next image takes its place.
    pub async fn delete(db: &PgPool, actor: &Actor, product: Uuid, image: Uuid, now: DateTime<Utc>) -> Result<Removed, AppError> {
        let mut tx = db.begin().await?;
        let colour = lock_image(&mut tx, product, image).await?;
        let before_list = images_of(&mut tx, colour).await?;
        let (url, alt, was_primary, storage_key, widths): (String, String, bool, Option<String>, Vec<i32>) =
            sqlx::query_as("delete from product_colour_images where id = $1 returning url, alt_text, is_primary, storage_key, widths")
                .bind(image)
                .fetch_one(&mut *tx)
                .await?;
        let rest: Vec<_> = before_list.into_iter().filter(|i| i.0 != image).collect();
        if was_primary {
            if let Some(next) = rest.first() {
                sqlx::query("update product_colour_images set is_primary = true where id = $1").bind(next.0).execute(&mut *tx).await?;
            }
        }
        renumber(&mut tx, &rest).await?;
        let before = json!({ "image": image.to_string(), "url": url, "alt": alt, "primary": was_primary });
        record(&mut tx, actor, product, "image_delete", before, order_json(&rest), now).await?;
        tx.commit().await?;
        Ok(Removed { storage_key, widths })
    }
}
