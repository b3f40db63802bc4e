//! Saved products: for signed-in customers, and for anonymous shoppers who allowed cookies
//! (merged into the account at sign-in). Only the owner can read or change a wishlist.

use crate::{catalog::types::ProductCard, error::AppError};
use leptos::prelude::*;
use uuid::Uuid;

pub mod components;

#[cfg(feature = "ssr")]
pub mod server {
    use crate::{error::AppError, server::session::SessionData};
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
}

/// Saves or un-saves a product; returns whether it is saved now.
#[server(endpoint = "wishlist/toggle")]
pub async fn toggle_wishlist(product_id: Uuid) -> Result<bool, AppError> {
    use crate::{
        forms::server::{finish, Then},
        server::ctx,
    };
    let result = ctx::respond(async move {
        let owner = server::owner(&ctx::session().await?.data().await?)?;
        let (column, id) = server::column(owner);
        let db = ctx::state()?.db;
        let removed = sqlx::query(&format!("delete from wishlist_items where {column} = $1 and product_id = $2"))
            .bind(id)
            .bind(product_id)
            .execute(&db)
            .await?;
        if removed.rows_affected() > 0 {
            return Ok(false);
        }
        let live: bool = sqlx::query_scalar("select exists(select 1 from products where id = $1 and is_active and deleted_at is null)")
            .bind(product_id)
            .fetch_one(&db)
            .await?;
        if !live {
            return Err(AppError::NotFound("This product".into()));
        }
        sqlx::query(&format!("insert into wishlist_items ({column}, product_id) values ($1, $2) on conflict do nothing"))
            .bind(id)
            .bind(product_id)
            .execute(&db)
            .await?;
        Ok(true)
    })
    .await;
    // The page shows the new state by itself.
    finish("wishlist", &[], None, result, |_| Then::Return).await
}

/// Whether the product is in this visitor's wishlist (false when they have none).
#[server(endpoint = "wishlist/contains")]
pub async fn wishlist_contains(product_id: Uuid) -> Result<bool, AppError> {
    use crate::server::ctx;
    ctx::respond(async move {
        let Ok(owner) = server::owner(&ctx::session().await?.data().await?) else { return Ok(false) };
        let (column, id) = server::column(owner);
        Ok(sqlx::query_scalar(&format!("select exists(select 1 from wishlist_items where {column} = $1 and product_id = $2)"))
            .bind(id)
            .bind(product_id)
            .fetch_one(&ctx::state()?.db)
            .await?)
    })
    .await
}

/// The visitor's saved products; `None` when they have nowhere to keep any (not signed in,
/// no cookie consent), which the page answers with an empty list and a prompt, not an error.
#[server(endpoint = "wishlist/list")]
pub async fn get_wishlist() -> Result<Option<Vec<ProductCard>>, AppError> {
    use crate::server::ctx;
    ctx::respond(async move {
        let Ok(owner) = server::owner(&ctx::session().await?.data().await?) else { return Ok(None) };
        let (column, id) = server::column(owner);
        let cards = crate::catalog::server::wishlist_cards(&ctx::state()?.db, column, id).await?;
        Ok(Some(cards))
    })
    .await
}
