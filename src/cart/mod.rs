//! The shopping cart: add lines from the product page; the header shows the item count.
//! Prices are always read from the catalogue, never taken from the browser.

use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

#[cfg(feature = "ssr")]
pub mod server;

/// Most units of one colour+size a single line may hold.
pub const MAX_LINE_QUANTITY: i32 = 10;

/// Adds units of a colour+size to the visitor's cart; returns the cart's new item count.
#[server(endpoint = "cart/add")]
pub async fn add_to_cart(variant_id: Uuid, quantity: i32) -> Result<i64, AppError> {
    use crate::server::ctx;
    ctx::respond(async move {
        if !(1..=MAX_LINE_QUANTITY).contains(&quantity) {
            return Err(AppError::field("quantity", format!("Choose between 1 and {MAX_LINE_QUANTITY}.")));
        }
        let state = ctx::state()?;
        let session = ctx::session().await?;
        let cart = server::cart_for(&state.db, &session).await?;
        server::add(&state.db, cart, variant_id, quantity).await?;
        server::item_count(&state.db, &session.data().await?).await.map_err(Into::into)
    })
    .await
}
