//! The newsletter's server functions: thin wrappers that check input and call `server`.
//! None needs a sign-in: the sign-up answers the same for every address, and confirming
//! and unsubscribing are authorised by the link's token.

use super::{Confirmation, Subscription};
use crate::error::AppError;
use leptos::prelude::*;

/// Signs an address up (`source`: footer or page). Answers [`super::CHECK_INBOX`] for a
/// valid address, whoever it belongs to; a plain post lands on the sign-up page.
#[server(endpoint = "newsletter/subscribe")]
pub async fn subscribe(#[server(default)] email: String, #[server(default)] source: String) -> Result<String, AppError> {
    use super::{SignUpSource, CHECK_INBOX, SIGN_UP_PAGE};
    let typed = email.clone();
    let result = crate::server::ctx::respond(async move {
        let state = crate::server::ctx::state()?;
        let email = crate::auth::types::Email::parse(&email).map_err(|message| AppError::field("email", message))?;
        // "account" is the settings page's own, never a public form's.
        let source = SignUpSource::parse(source.trim()).filter(|s| *s != SignUpSource::Account).unwrap_or(SignUpSource::Footer);
        let client = use_context::<axum::http::request::Parts>()
            .and_then(|parts| crate::server::client::ClientInfo::from_parts(&parts, state.config.trust_proxy).ip)
            .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
        super::server::subscribe(&state, &email, source, &client).await?;
        Ok(CHECK_INBOX.to_owned())
    })
    .await;
    crate::forms::server::finish_on(SIGN_UP_PAGE, "newsletter", &[("email", typed.as_str())], result, |message| Some(message.clone())).await
}

/// What a confirmation link leads to (read only: the page asks before confirming).
#[server(endpoint = "newsletter/confirmation")]
pub async fn get_confirmation(#[server(default)] token: String) -> Result<Confirmation, AppError> {
    crate::server::ctx::respond(async move {
        let state = crate::server::ctx::state()?;
        super::server::confirmation(&state.db, state.config.auth_secret.expose(), &token, state.clock.now()).await
    })
    .await
}

/// Confirms a subscription by its link's token; a second time says it already is.
#[server(endpoint = "newsletter/confirm")]
pub async fn confirm_subscription(#[server(default)] token: String) -> Result<String, AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let state = crate::server::ctx::state()?;
        Ok(super::server::confirm(&state, &token).await?.to_owned())
    })
    .await;
    finish("newsletter-confirm", &[], None, result, |message| Then::Stay { step: None, notice: Some(message.clone()) }).await
}

/// What an unsubscribe link leads to (read only: the page asks before unsubscribing).
#[server(endpoint = "newsletter/subscription")]
pub async fn get_subscription(#[server(default)] token: String) -> Result<Subscription, AppError> {
    crate::server::ctx::respond(async move {
        let state = crate::server::ctx::state()?;
        super::server::subscription(&state.db, state.config.auth_secret.expose(), &token).await
    })
    .await
}

/// Unsubscribes by the link's token, without a sign-in; again is not an error.
#[server(endpoint = "newsletter/unsubscribe")]
pub async fn unsubscribe(#[server(default)] token: String) -> Result<String, AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let state = crate::server::ctx::state()?;
        Ok(super::server::unsubscribe(&state, &token).await?.to_owned())
    })
    .await;
    finish("newsletter-unsubscribe", &[], None, result, |message| Then::Stay { step: None, notice: Some(message.clone()) }).await
}
