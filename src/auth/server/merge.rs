//! Anonymous → user: everything an anonymous shopper owns moves to the account in one
//! transaction, merging instead of duplicating, and the anonymous copies are removed.

use crate::error::AppError;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

/// `session_cart` is the cart of a visitor who declined tracking (no anonymous user).
pub async fn into_user(
    tx: &mut Transaction<'_, Postgres>,
    anonymous_user_id: Option<Uuid>,
    session_cart: Option<Uuid>,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let source_carts: Vec<Uuid> = sqlx::query_scalar(
        "select id from carts
         where user_id is null and (($1::uuid is not null and anonymous_user_id = $1)
                                    or ($2::uuid is not null and id = $2 and anonymous_user_id is null))",
    )
    .bind(anonymous_user_id)
    .bind(session_cart)
    .fetch_all(&mut **tx)
    .await?;
    if !source_carts.is_empty() {
        let user_cart: Uuid = sqlx::query_scalar(
            "insert into carts (user_id) values ($1)
             on conflict (user_id) do update set updated_at = now() returning id",
        )
        .bind(user_id)
        .fetch_one(&mut **tx)
        .await?;
        // Same colour+size: quantities add up, capped at what is in stock (never below 1,
        // so the line stays visible and the cart can say it is sold out) and at the cart's
        // own ceiling per line (else signing out, adding and signing in again would grow a
        // line without end).
        sqlx::query(
            "with incoming as (
                 select product_size_id, sum(quantity)::int as quantity, max(price_seen_minor) as price_seen_minor
                 from cart_items where cart_id = any($2) group by product_size_id
             )
             insert into cart_items (cart_id, product_size_id, quantity, price_seen_minor)
             select $1, i.product_size_id,
                    least(i.quantity + coalesce(mine.quantity, 0), greatest(ps.available, 1), $3),
                    coalesce(mine.price_seen_minor, i.price_seen_minor)
             from incoming i
             join product_sizes ps on ps.id = i.product_size_id
             left join cart_items mine on mine.cart_id = $1 and mine.product_size_id = i.product_size_id
             on conflict (cart_id, product_size_id) do update
                 set quantity = excluded.quantity, price_seen_minor = excluded.price_seen_minor",
        )
        .bind(user_cart)
        .bind(&source_carts)
        .bind(crate::cart::MAX_LINE_QUANTITY)
        .execute(&mut **tx)
        .await?;
        sqlx::query("delete from carts where id = any($1)").bind(&source_carts).execute(&mut **tx).await?;
    }

    let Some(anon) = anonymous_user_id else { return Ok(()) };
    sqlx::query(
        "insert into wishlist_items (user_id, product_id, created_at)
         select $2, product_id, created_at from wishlist_items where anonymous_user_id = $1
         on conflict (user_id, product_id) do nothing",
    )
    .bind(anon)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("delete from wishlist_items where anonymous_user_id = $1").bind(anon).execute(&mut **tx).await?;

    sqlx::query(
        "insert into article_likes (article_id, user_id, created_at)
         select article_id, $2, created_at from article_likes where anonymous_user_id = $1
         on conflict (article_id, user_id) do nothing",
    )
    .bind(anon)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("delete from article_likes where anonymous_user_id = $1").bind(anon).execute(&mut **tx).await?;

    sqlx::query(
        "insert into article_reads (article_id, user_id, scroll_percent, read_seconds)
         select article_id, $2, scroll_percent, read_seconds from article_reads where anonymous_user_id = $1
         on conflict (article_id, user_id) do update set
             scroll_percent = greatest(article_reads.scroll_percent, excluded.scroll_percent),
             read_seconds = article_reads.read_seconds + excluded.read_seconds",
    )
    .bind(anon)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("delete from article_reads where anonymous_user_id = $1").bind(anon).execute(&mut **tx).await?;

    // Addresses move as they are; the user's own default stays the default.
    sqlx::query(
        "update addresses set user_id = $2, anonymous_user_id = null,
                is_default = is_default and not exists (select 1 from addresses where user_id = $2 and is_default)
         where anonymous_user_id = $1",
    )
    .bind(anon)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;

    // The anonymous identity itself stays (analytics refer to it), marked as converted.
    sqlx::query("update anonymous_users set converted_user_id = $2, converted_at = $3 where id = $1")
        .bind(anon)
        .bind(user_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
