//! Saved products: for signed-in customers, and for anonymous shoppers who allowed cookies
//! (merged into the account at sign-in). Only the owner can read or change a wishlist.

use crate::{catalog::types::ProductCard, error::AppError};
use leptos::prelude::*;
use uuid::Uuid;

pub mod components;

#[cfg(feature = "ssr")]
pub mod server;

/// Saves or un-saves a product; returns whether it is saved now.
#[server(endpoint = "wishlist/toggle")]
pub async fn toggle_wishlist(product_id: Uuid) -> Result<bool, AppError> {
    use crate::{
        forms::server::{finish, Then},
        server::ctx,
    };
    let result = ctx::respond(async move {
        let owner = server::owner(&ctx::session().await?.data().await?)?;
        server::toggle(&ctx::state()?.db, owner, product_id).await
    })
    .await;
    // The page shows the new state by itself.
    finish("wishlist", &[], None, result, |_| Then::Return).await
}

/// "Tell me when it's back": saves a sold-out size to the signed-in customer's wishlist.
#[server(endpoint = "wishlist/watch-size")]
pub async fn watch_size(#[server(default)] variant_id: Option<Uuid>) -> Result<String, AppError> {
    use crate::{
        auth::server::require_user,
        forms::server::{finish, Then},
        server::ctx,
    };
    let result = ctx::respond(async move {
        let user = require_user().await.map_err(|e| match e {
            AppError::Unauthorized => AppError::Rejected("Sign in to be told when this size is back.".into()),
            other => other,
        })?;
        let variant = variant_id.ok_or_else(|| AppError::field("variant_id", "Choose the size you're waiting for."))?;
        let size = server::watch(&ctx::state()?.db, user, variant).await?;
        Ok(format!("Saved to your wishlist. We'll tell you when size {size} is back."))
    })
    .await;
    finish("watch-size", &[], None, result, |message| Then::Stay { step: None, notice: Some(message.clone()) }).await
}

/// Whether the product is in this visitor's wishlist (false when they have none).
#[server(endpoint = "wishlist/contains")]
pub async fn wishlist_contains(product_id: Uuid) -> Result<bool, AppError> {
    use crate::server::ctx;
    ctx::respond(async move {
        let Ok(owner) = server::owner(&ctx::session().await?.data().await?) else { return Ok(false) };
        Ok(server::contains(&ctx::state()?.db, owner, product_id).await?)
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
        Ok(Some(server::cards(&ctx::state()?.db, owner).await?))
    })
    .await
}
