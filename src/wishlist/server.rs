//! Wishlist storage (ssr only): whose list a session reads, and every query on `wishlist_items`.

use crate::{
    catalog::{
        server::{CardRow, CARD_SELECT},
        types::ProductCard,
    },
    error::AppError,
    server::session::SessionData,
};
use sqlx::PgPool;
use uuid::Uuid;

/// Whose wishlist this session reads and writes.
#[derive(Debug, Clone, Copy)]
pub enum Owner {
    User(Uuid),
    Anonymous(Uuid),
}

pub fn owner(data: &SessionData) -> Result<Owner, AppError> {
    match (data.user_id, data.anonymous_user_id) {
        (Some(user), _) => Ok(Owner::User(user)),
        (None, Some(anonymous)) => Ok(Owner::Anonymous(anonymous)),
        _ => Err(AppError::Rejected(
            "To save items, sign in or allow cookies so we can remember this device.".into(),
        )),
    }
}

pub fn column(owner: Owner) -> (&'static str, Uuid) {
    match owner {
        Owner::User(id) => ("user_id", id),
        Owner::Anonymous(id) => ("anonymous_user_id", id),
    }
}

/// Saves or un-saves a live product; returns whether it is saved now.
pub async fn toggle(db: &PgPool, owner: Owner, product_id: Uuid) -> Result<bool, AppError> {
    let (column, id) = column(owner);
    let removed = sqlx::query(&format!("delete from wishlist_items where {column} = $1 and product_id = $2"))
        .bind(id)
        .bind(product_id)
        .execute(db)
        .await?;
    if removed.rows_affected() > 0 {
        return Ok(false);
    }
    let live: bool = sqlx::query_scalar("select exists(select 1 from products where id = $1 and is_live)")
        .bind(product_id)
        .fetch_one(db)
        .await?;
    if !live {
        return Err(AppError::NotFound("This product".into()));
    }
    sqlx::query(&format!("insert into wishlist_items ({column}, product_id) values ($1, $2) on conflict do nothing"))
        .bind(id)
        .bind(product_id)
        .execute(db)
        .await?;
    Ok(true)
}

/// Saves a sold-out size's product with that size, so the customer hears when it is back
/// (one size waited for per product: a later choice replaces the earlier). Returns the
/// size's label.
pub async fn watch(db: &PgPool, user: Uuid, variant: Uuid) -> Result<String, AppError> {
    let saved: Option<String> = sqlx::query_scalar(
        "with chosen as (
             select pc.product_id, ps.id, s.label from product_sizes ps
             join product_colours pc on pc.id = ps.product_colour_id
             join products p on p.id = pc.product_id and p.is_live
             join sizes s on s.id = ps.size_id
             where ps.id = $2),
          saved as (
             insert into wishlist_items (user_id, product_id, product_size_id)
             select $1, product_id, id from chosen
             on conflict (user_id, product_id) do update set product_size_id = excluded.product_size_id)
         select label from chosen",
    )
    .bind(user)
    .bind(variant)
    .fetch_optional(db)
    .await?;
    saved.ok_or_else(|| AppError::NotFound("This size".into()))
}

pub async fn contains(db: &PgPool, owner: Owner, product_id: Uuid) -> Result<bool, sqlx::Error> {
    let (column, id) = column(owner);
    sqlx::query_scalar(&format!("select exists(select 1 from wishlist_items where {column} = $1 and product_id = $2)"))
        .bind(id)
        .bind(product_id)
        .fetch_one(db)
        .await
}

/// Which of `products` are in the owner's wishlist.
pub async fn saved_among(db: &PgPool, owner: Owner, products: &[Uuid]) -> Result<Vec<Uuid>, sqlx::Error> {
    let (column, id) = column(owner);
    sqlx::query_scalar(&format!("select product_id from wishlist_items where {column} = $1 and product_id = any($2)"))
        .bind(id)
        .bind(products)
        .fetch_all(db)
        .await
}

/// The cards of the owner's wishlist, newest saved first.
pub async fn cards(db: &PgPool, owner: Owner) -> Result<Vec<ProductCard>, sqlx::Error> {
    let (column, id) = column(owner);
    let sql = format!(
        "{CARD_SELECT} join wishlist_items w on w.product_id = p.id
         where w.{column} = $1 and p.is_live order by w.created_at desc limit 200"
    );
    let rows: Vec<CardRow> = sqlx::query_as(&sql).bind(id).fetch_all(db).await?;
    Ok(rows.into_iter().map(ProductCard::from).collect())
}
