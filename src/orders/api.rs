//! The customer's order server functions. Every lookup is by the signed-in user: another
//! customer's order number answers "not found", never "forbidden".

use super::types::{OrderDetail, OrderSummary};
use crate::error::AppError;
use leptos::prelude::*;

#[server(endpoint = "orders/list")]
pub async fn list_orders() -> Result<Vec<OrderSummary>, AppError> {
    crate::server::ctx::respond(async move {
        let user = crate::auth::server::require_user().await?;
        Ok(super::server::list_for_user(&crate::server::ctx::state()?.db, user).await?)
    })
    .await
}

#[server(endpoint = "orders/get")]
pub async fn get_order(number: i64) -> Result<OrderDetail, AppError> {
    crate::server::ctx::respond(async move {
        let user = crate::auth::server::require_user().await?;
        let state = crate::server::ctx::state()?;
        let mut order = super::server::detail_for_user(&state.db, user, number).await?.ok_or_else(|| AppError::NotFound("That order".into()))?;
        order.can_pay = crate::payments::server::payable_by_card(&state.config.holds, &order, state.clock.now());
        Ok(super::server::with_bank_details(order, state.config.bank_transfer_details.as_deref()))
    })
    .await
}

/// The customer cancels an order that is still waiting for payment.
#[server(endpoint = "orders/cancel")]
pub async fn cancel_order(number: i64) -> Result<(), AppError> {
    use super::types::Actor;
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let user = crate::auth::server::require_user().await?;
        let state = crate::server::ctx::state()?;
        crate::server::limits::take_checkout_action(&state, "cancel", Some(user)).await?;
        let id = super::server::owned_id(&state.db, user, number).await?;
        // Whether a customer may cancel is the state machine's rule (`Actor::may_move`); an
        // open card payment page is closed with it.
        crate::payments::server::cancel_unpaid(&state, id, Actor::Customer(user), "Cancelled by the customer").await
    })
    .await;
    finish("cancel-order", &[], None, result, |_| Then::Return).await
}
