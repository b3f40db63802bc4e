use super::{CartLine, CartView, LineIssue, MAX_LINE_QUANTITY};
use crate::{
    error::AppError,
    server::session::{AppSession, SessionData},
};
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

/// Units in the visitor's cart: the user's cart when signed in, else the anonymous
/// shopper's, else the session-only cart of a visitor who declined tracking.
pub async fn item_count(db: &PgPool, session: &SessionData) -> Result<i64, sqlx::Error> {
    // A visitor with no identity yet has no cart: no query for the first page of a visit.
    if session.user_id.is_none() && session.anonymous_user_id.is_none() && session.cart_id.is_none() {
        return Ok(0);
    }
    sqlx::query_scalar::<_, i64>(
        "select coalesce(sum(ci.quantity), 0)::bigint
         from carts c join cart_items ci on ci.cart_id = c.id
         where ($1::uuid is not null and c.user_id = $1)
            or ($1::uuid is null and $2::uuid is not null and c.anonymous_user_id = $2)
            or ($1::uuid is null and $2::uuid is null and c.id = $3)",
    )
    .bind(session.user_id)
    .bind(session.anonymous_user_id)
    .bind(session.cart_id)
    .fetch_one(db)
    .await
}

/// The visitor's cart, if they have one (reading never creates one).
pub async fn find(db: &PgPool, session: &SessionData) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "select id from carts c
         where ($1::uuid is not null and c.user_id = $1)
            or ($1::uuid is null and $2::uuid is not null and c.anonymous_user_id = $2)
            or ($1::uuid is null and $2::uuid is null and c.id = $3)
         limit 1",
    )
    .bind(session.user_id)
    .bind(session.anonymous_user_id)
    .bind(session.cart_id)
    .fetch_optional(db)
    .await
}

/// The visitor's cart id, created on first use. A visitor who declined tracking gets a cart
/// held only by their (strictly necessary) session.
pub async fn cart_for(db: &PgPool, session: &AppSession) -> Result<Uuid, AppError> {
    let data = session.data().await?;
    let (column, owner) = match (data.user_id, data.anonymous_user_id) {
        (Some(user), _) => ("user_id", user),
        (None, Some(anonymous)) => ("anonymous_user_id", anonymous),
        (None, None) => {
            if let Some(id) = data.cart_id {
                let exists: bool = sqlx::query_scalar("select exists(select 1 from carts where id = $1)").bind(id).fetch_one(db).await?;
                if exists {
                    return Ok(id);
                }
            }
            let id: Uuid = sqlx::query_scalar("insert into carts default values returning id").fetch_one(db).await?;
            session.update(|d| d.cart_id = Some(id)).await?;
            return Ok(id);
        }
    };
    owned_cart(db, column, owner).await
}

/// The cart of the customer `user`, created on first use.
pub async fn cart_of_user(db: &PgPool, user: Uuid) -> Result<Uuid, AppError> {
    owned_cart(db, "user_id", user).await
}

async fn owned_cart(db: &PgPool, column: &str, owner: Uuid) -> Result<Uuid, AppError> {
    Ok(sqlx::query_scalar(&format!(
        "insert into carts ({column}) values ($1) on conflict ({column}) do update set updated_at = now() returning id"
    ))
    .bind(owner)
    .fetch_one(db)
    .await?)
}

/// Adds to a line, refusing more than is available or than a line may hold.
pub async fn add(db: &PgPool, cart: Uuid, variant: Uuid, quantity: i32) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    // Lock the variant row so two adds cannot both pass the stock check.
    let available: Option<i32> = sqlx::query_scalar(
        "select ps.available from product_sizes ps
         join product_colours pc on pc.id = ps.product_colour_id
         join products p on p.id = pc.product_id
         where ps.id = $1 and p.is_live
         for no key update of ps",
    )
    .bind(variant)
    .fetch_optional(&mut *tx)
    .await?;
    let available = available.ok_or_else(|| AppError::NotFound("This size".into()))?;
    let in_cart: i32 = sqlx::query_scalar("select coalesce(max(quantity), 0) from cart_items where cart_id = $1 and product_size_id = $2")
        .bind(cart)
        .bind(variant)
        .fetch_one(&mut *tx)
        .await?;
    let wanted = in_cart + quantity;
    if wanted > available {
        return Err(AppError::OutOfStock { available: (available - in_cart).max(0) });
    }
    if wanted > MAX_LINE_QUANTITY {
        return Err(AppError::field("quantity", format!("You can have at most {MAX_LINE_QUANTITY} of one size in your cart.")));
    }
    // The price on the product page the shopper just added from is the one they saw.
    sqlx::query(
        "insert into cart_items (cart_id, product_size_id, quantity, price_seen_minor)
         select $1, $2, $3, p.effective_price_minor from product_sizes ps
         join product_colours pc on pc.id = ps.product_colour_id join products p on p.id = pc.product_id
         where ps.id = $2
         on conflict (cart_id, product_size_id) do update
             set quantity = excluded.quantity, price_seen_minor = excluded.price_seen_minor",
    )
    .bind(cart)
    .bind(variant)
    .bind(wanted)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A cart line with what it is now in the catalogue: what the cart page shows and what
/// placing an order checks and copies.
#[derive(sqlx::FromRow)]
pub struct LineRow {
    pub variant_id: Uuid,
    pub product_id: Uuid,
    pub product_name: String,
    pub product_slug: String,
    pub colour_name: String,
    pub colour_slug: String,
    pub size_label: String,
    pub sku: String,
    pub image_url: Option<String>,
    pub unit_price_minor: i64,
    pub price_seen_minor: Option<i64>,
    pub quantity: i32,
    pub currency: String,
    pub live: bool,
    pub available: i32,
}

impl LineRow {
    /// What the shopper must see before buying this line, if anything changed.
    pub fn issue(&self) -> Option<LineIssue> {
        if !self.live {
            Some(LineIssue::Unavailable)
        } else if self.available <= 0 {
            Some(LineIssue::SoldOut)
        } else if self.available < self.quantity {
            Some(LineIssue::OnlyLeft(self.available))
        } else {
            match self.price_seen_minor {
                Some(was) if was != self.unit_price_minor => Some(LineIssue::PriceChanged { was_minor: was }),
                _ => None,
            }
        }
    }
}

/// The cart's lines, oldest first, with today's prices and stock.
pub async fn rows(db: impl PgExecutor<'_>, cart: Uuid) -> Result<Vec<LineRow>, sqlx::Error> {
    sqlx::query_as(
        "select ps.id as variant_id, p.id as product_id, p.name as product_name, p.slug as product_slug,
                col.name as colour_name, col.slug as colour_slug, s.label as size_label, ps.sku,
                (select i.url from product_colour_images i where i.product_colour_id = pc.id
                 order by i.is_primary desc, i.sort_order limit 1) as image_url,
                p.effective_price_minor as unit_price_minor, ci.price_seen_minor, ci.quantity, p.currency::text as currency,
                p.is_live as live, ps.available
         from cart_items ci
         join product_sizes ps on ps.id = ci.product_size_id
         join product_colours pc on pc.id = ps.product_colour_id
         join colours col on col.id = pc.colour_id
         join sizes s on s.id = ps.size_id
         join products p on p.id = pc.product_id
         where ci.cart_id = $1 order by ci.created_at, ci.id",
    )
    .bind(cart)
    .fetch_all(db)
    .await
}

/// The cart's lines with today's prices, stock and what changed, oldest first.
pub async fn view(db: impl PgExecutor<'_>, cart: Uuid) -> Result<CartView, sqlx::Error> {
    let rows = rows(db, cart).await?;
    let currency = rows.first().map(|r| r.currency.clone()).unwrap_or_else(|| "USD".into());
    let lines = rows
        .into_iter()
        .map(|r| {
            let issue = r.issue();
            CartLine {
                variant_id: r.variant_id,
                product_name: r.product_name,
                product_slug: r.product_slug,
                colour_name: r.colour_name,
                colour_slug: r.colour_slug,
                size_label: r.size_label,
                image_url: r.image_url,
                unit_price_minor: r.unit_price_minor,
                quantity: r.quantity,
                currency: r.currency,
                issue,
            }
        })
        .collect();
    Ok(CartView { lines, currency })
}

/// Sets a line's quantity (0 removes it), refusing more than is available.
pub async fn set_quantity(db: &PgPool, cart: Uuid, variant: Uuid, quantity: i32) -> Result<(), AppError> {
    if quantity == 0 {
        return remove(db, cart, variant).await;
    }
    if !(1..=MAX_LINE_QUANTITY).contains(&quantity) {
        return Err(AppError::field("quantity", format!("Choose between 1 and {MAX_LINE_QUANTITY}.")));
    }
    let available: Option<i32> = sqlx::query_scalar(
        "select ps.available from cart_items ci join product_sizes ps on ps.id = ci.product_size_id
         where ci.cart_id = $1 and ci.product_size_id = $2",
    )
    .bind(cart)
    .bind(variant)
    .fetch_optional(db)
    .await?;
    let available = available.ok_or_else(|| AppError::NotFound("That cart line".into()))?;
    if quantity > available {
        return Err(AppError::OutOfStock { available: available.max(0) });
    }
    sqlx::query("update cart_items set quantity = $3 where cart_id = $1 and product_size_id = $2")
        .bind(cart)
        .bind(variant)
        .bind(quantity)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn remove(db: &PgPool, cart: Uuid, variant: Uuid) -> Result<(), AppError> {
    sqlx::query("delete from cart_items where cart_id = $1 and product_size_id = $2").bind(cart).bind(variant).execute(db).await?;
    Ok(())
}

pub async fn clear(db: impl PgExecutor<'_>, cart: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("delete from cart_items where cart_id = $1").bind(cart).execute(db).await?;
    Ok(())
}

/// The shopper has seen what changed: sold-out and withdrawn lines go, quantities drop to
/// what is left, and today's prices become the ones they saw.
pub async fn accept_changes(db: &PgPool, cart: Uuid) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "delete from cart_items ci using product_sizes ps, product_colours pc, products p
         where ci.cart_id = $1 and ps.id = ci.product_size_id and pc.id = ps.product_colour_id and p.id = pc.product_id
           and (not p.is_live or ps.available <= 0)",
    )
    .bind(cart)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "update cart_items ci set quantity = least(ci.quantity, ps.available), price_seen_minor = p.effective_price_minor
         from product_sizes ps, product_colours pc, products p
         where ci.cart_id = $1 and ps.id = ci.product_size_id and pc.id = ps.product_colour_id and p.id = pc.product_id",
    )
    .bind(cart)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
