//! Cart server functions. Each one finds the visitor's cart from the session, so nobody can
//! touch another shopper's lines, and answers with the cart as it now is.

use super::CartView;
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

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
        use super::MAX_LINE_QUANTITY;
        let variant_id = variant_id.ok_or_else(|| AppError::field("variant_id", "Choose a size."))?;
        if !(1..=MAX_LINE_QUANTITY).contains(&quantity) {
            return Err(AppError::field("quantity", format!("Choose between 1 and {MAX_LINE_QUANTITY}.")));
        }
        let state = ctx::state()?;
        let session = ctx::session().await?;
        let cart = super::server::cart_for(&state.db, &session).await?;
        super::server::add(&state.db, cart, variant_id, quantity).await?;
        super::server::item_count(&state.db, &session.data().await?).await.map_err(Into::into)
    })
    .await;
    if result.is_ok() {
        crate::analytics::server::note(crate::analytics::Event::CartAdd).await;
    }
    finish("add-to-cart", &[("quantity", &typed)], None, result, |count| Then::Stay { step: None, notice: Some(super::added_message(*count)) }).await
}

/// The visitor's cart with today's prices and stock.
#[server(endpoint = "cart/get")]
pub async fn get_cart() -> Result<CartView, AppError> {
    crate::server::ctx::respond(async move {
        let (db, cart) = current_cart().await?;
        match cart {
            Some(cart) => Ok(super::server::view(&db, cart).await?),
            None => Ok(CartView { lines: Vec::new(), currency: "USD".into() }),
        }
    })
    .await
}

/// Sets a line's quantity; 0 removes the line.
#[server(endpoint = "cart/update")]
pub async fn update_cart_line(variant_id: Uuid, quantity: i32) -> Result<CartView, AppError> {
    let typed = quantity.to_string();
    change("cart-line", &[("variant_id", &variant_id.to_string()), ("quantity", &typed)], move |db, cart| async move {
        super::server::set_quantity(&db, cart, variant_id, quantity).await
    })
    .await
}

#[server(endpoint = "cart/remove")]
pub async fn remove_cart_line(variant_id: Uuid) -> Result<CartView, AppError> {
    change("cart-line", &[("variant_id", &variant_id.to_string())], move |db, cart| async move {
        super::server::remove(&db, cart, variant_id).await
    })
    .await
}

#[server(endpoint = "cart/clear")]
pub async fn clear_cart() -> Result<CartView, AppError> {
    change("cart", &[], |db, cart| async move { Ok(super::server::clear(&db, cart).await?) }).await
}

/// The shopper has read what changed since they added the lines (prices, stock).
#[server(endpoint = "cart/accept")]
pub async fn accept_cart_changes() -> Result<CartView, AppError> {
    change("cart", &[], |db, cart| async move { super::server::accept_changes(&db, cart).await }).await
}

#[cfg(feature = "ssr")]
async fn current_cart() -> Result<(sqlx::PgPool, Option<Uuid>), AppError> {
    use crate::server::ctx;
    let db = ctx::state()?.db;
    let data = ctx::session().await?.data().await?;
    let cart = super::server::find(&db, &data).await?;
    Ok((db, cart))
}

/// Runs a change on the visitor's cart and answers with the cart; a plain post returns to
/// the page it came from (the cart page shows the new state, or the message).
#[cfg(feature = "ssr")]
async fn change<F, Fut>(form: &str, values: &[(&str, &str)], body: F) -> Result<CartView, AppError>
where
    F: FnOnce(sqlx::PgPool, Uuid) -> Fut,
    Fut: std::future::Future<Output = Result<(), AppError>>,
{
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (db, cart) = current_cart().await?;
        let cart = cart.ok_or_else(|| AppError::NotFound("Your cart".into()))?;
        body(db.clone(), cart).await?;
        Ok(super::server::view(&db, cart).await?)
    })
    .await;
    finish(form, values, None, result, |_| Then::Return).await
}
