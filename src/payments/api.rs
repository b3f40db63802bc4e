use crate::error::AppError;
use leptos::prelude::*;

/// Starts (again) the card payment of an unpaid order of the signed-in customer; answers
/// the payment page's address.
#[server(endpoint = "payments/pay")]
pub async fn pay_order(number: i64) -> Result<String, AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let user = crate::auth::server::require_user().await?;
        let state = crate::server::ctx::state()?;
        crate::server::limits::take_checkout_action(&state, "pay", Some(user)).await?;
        let id = crate::orders::server::owned_id(&state.db, user, number).await?;
        super::server::start_checkout(&state, id).await
    })
    .await;
    finish("pay-order", &[], None, result, |url| Then::Redirect(url.clone())).await
}
