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
/// `variant_id` is the chosen size; a form posted before choosing one sends none.
#[server(endpoint = "cart/add")]
pub async fn add_to_cart(variant_id: Option<Uuid>, quantity: i32) -> Result<i64, AppError> {
    use crate::{
        forms::server::{finish, Then},
        server::ctx,
    };
    let typed = quantity.to_string();
    let result = ctx::respond(async move {
        let variant_id = variant_id.ok_or_else(|| AppError::field("variant_id", "Choose a size."))?;
        if !(1..=MAX_LINE_QUANTITY).contains(&quantity) {
            return Err(AppError::field("quantity", format!("Choose between 1 and {MAX_LINE_QUANTITY}.")));
        }
        let state = ctx::state()?;
        let session = ctx::session().await?;
        let cart = server::cart_for(&state.db, &session).await?;
        server::add(&state.db, cart, variant_id, quantity).await?;
        server::item_count(&state.db, &session.data().await?).await.map_err(Into::into)
    })
    .await;
    finish("add-to-cart", &[("quantity", &typed)], None, result, |count| Then::Stay { step: None, notice: Some(added_message(*count)) }).await
}

/// The confirmation after adding to the cart.
pub fn added_message(count: i64) -> String {
    format!("Added to your cart — {count} item{} in total.", if count == 1 { "" } else { "s" })
}
