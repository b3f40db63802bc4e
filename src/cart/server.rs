use super::MAX_LINE_QUANTITY;
use crate::{
    error::AppError,
    server::session::{AppSession, SessionData},
};
use sqlx::PgPool;
use uuid::Uuid;

/// Units in the visitor's cart: the user's cart when signed in, else the anonymous
/// shopper's, else the session-only cart of a visitor who declined tracking.
pub async fn item_count(db: &PgPool, session: &SessionData) -> Result<i64, sqlx::Error> {
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
        "select ps.stock - ps.reserved from product_sizes ps
         join product_colours pc on pc.id = ps.product_colour_id
         join products p on p.id = pc.product_id
         where ps.id = $1 and p.is_active and p.deleted_at is null
         for update of ps",
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
    sqlx::query(
        "insert into cart_items (cart_id, product_size_id, quantity) values ($1, $2, $3)
         on conflict (cart_id, product_size_id) do update set quantity = excluded.quantity",
    )
    .bind(cart)
    .bind(variant)
    .bind(wanted)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
