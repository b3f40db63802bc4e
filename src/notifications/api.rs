//! Server functions for the bell, the notifications page, the preferences, and the two
//! links notification emails carry (unsubscribe, "this wasn't me"). Each works as a plain
//! form post too; the signed-in ones act only on the caller's own notifications.

use super::{NotificationPage, NotificationChoices};
use crate::error::AppError;
use leptos::prelude::*;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Unread notifications for the bell: 0 for a visitor who is not signed in.
#[server(endpoint = "notifications/unread")]
pub async fn unread_notifications() -> Result<i64, AppError> {
    use crate::server::ctx;
    ctx::respond(async move {
        let Ok(user) = crate::auth::server::require_user().await else { return Ok(0) };
        super::server::unread_count(&ctx::state()?.db, user).await
    })
    .await
}

#[server(endpoint = "notifications/list")]
pub async fn list_notifications(#[server(default)] page: i64) -> Result<NotificationPage, AppError> {
    use crate::server::ctx;
    ctx::respond(async move {
        let user = crate::auth::server::require_user().await?;
        super::server::page(&ctx::state()?.db, user, page).await
    })
    .await
}

#[server(endpoint = "notifications/read")]
pub async fn mark_notification_read(id: Uuid) -> Result<(), AppError> {
    use crate::{
        forms::server::{finish, Then},
        server::ctx,
    };
    let result = ctx::respond(async move {
        let user = crate::auth::server::require_user().await?;
        let state = ctx::state()?;
        super::server::mark_read(&state.db, user, id, state.clock.now()).await
    })
    .await;
    finish("notifications", &[], None, result, |_| Then::Return).await
}

#[server(endpoint = "notifications/read-all")]
pub async fn mark_all_notifications_read() -> Result<u64, AppError> {
    use crate::{
        forms::server::{finish, Then},
        server::ctx,
    };
    let result = ctx::respond(async move {
        let user = crate::auth::server::require_user().await?;
        let state = ctx::state()?;
        super::server::mark_all_read(&state.db, user, state.clock.now()).await
    })
    .await;
    finish("notifications", &[], None, result, |_| Then::Return).await
}

#[server(endpoint = "notifications/settings")]
pub async fn notification_settings() -> Result<NotificationChoices, AppError> {
    use crate::server::ctx;
    ctx::respond(async move {
        let user = crate::auth::server::require_user().await?;
        let state = ctx::state()?;
        let topics = super::server::preferences(&state.db, user).await?;
        let marketing = marketing(&state, user).await?;
        Ok(NotificationChoices { topics, marketing })
    })
    .await
}

#[cfg(feature = "ssr")]
async fn marketing(state: &crate::server::state::AppState, user: uuid::Uuid) -> Result<super::Marketing, AppError> {
    let account = crate::auth::server::users::by_id(&state.db, user).await?.ok_or(AppError::Unauthorized)?;
    let email = account.email.filter(|_| account.email_verified_at.is_some());
    let subscribed = match &email {
        Some(email) => crate::newsletter::server::is_subscribed(&state.db, email).await?,
        None => false,
    };
    let consent = use_context::<axum::http::request::Parts>().as_ref().and_then(crate::consent::server::choice_from_parts).is_some_and(|c| c.marketing);
    Ok(super::Marketing { email, subscribed, consent })
}

/// The checkbox a topic's channel has on the preferences form: `on[<topic>-<channel>]`.
pub fn choice_key(topic: super::Topic, channel: &str) -> String {
    format!("{}-{channel}", topic.as_str())
}

pub const SETTINGS_SAVED: &str = "Your notification settings are saved.";

/// The preferences form's news-and-offers checkbox.
pub const MARKETING_KEY: &str = "marketing-email";

/// Saves every topic at once from the preferences form; a box not sent is off (what may
/// not be turned off stays on whatever is sent).
#[server(endpoint = "notifications/settings/save")]
pub async fn save_notification_settings(#[server(default)] on: BTreeMap<String, String>) -> Result<(), AppError> {
    use super::{server, Channels, Topic};
    use crate::{
        forms::server::{finish, Then},
        server::ctx,
    };
    let result = ctx::respond(async move {
        let user = crate::auth::server::require_user().await?;
        let known = |k: &String| k == MARKETING_KEY || Topic::ALL.iter().any(|t| ["in_store", "email", "sms"].iter().any(|c| choice_key(*t, c) == *k));
        if !on.keys().all(known) {
            return Err(AppError::Rejected("That form has a setting this page doesn't know. Reload the page and try again.".into()));
        }
        let state = ctx::state()?;
        let now = state.clock.now();
        // News and offers: checked before anything is saved, so a refusal changes nothing.
        let marketing = marketing(&state, user).await?;
        let wanted = on.contains_key(MARKETING_KEY);
        let change = match (&marketing.email, wanted, marketing.subscribed) {
            (Some(email), true, false) if marketing.consent => Some((email.clone(), true)),
            (_, true, false) if marketing.email.is_none() => {
                return Err(AppError::field(MARKETING_KEY, "Verify an email address first: news and offers go to your primary one."));
            }
            (_, true, false) => {
                return Err(AppError::field(MARKETING_KEY, "First allow marketing in your cookie settings, then turn on news and offers."));
            }
            (Some(email), false, true) => Some((email.clone(), false)),
            _ => None,
        };
        let mut tx = state.db.begin().await?;
        for &topic in Topic::ALL {
            let wanted = Channels {
                in_store: on.contains_key(&choice_key(topic, "in_store")),
                email: on.contains_key(&choice_key(topic, "email")),
                sms: on.contains_key(&choice_key(topic, "sms")),
            };
            server::set_preference(&mut *tx, user, topic, wanted, now).await?;
        }
        tx.commit().await?;
        if let Some((email, on)) = change {
            crate::newsletter::server::set_for_account(&state, &email, on, now).await?;
        }
        Ok(())
    })
    .await;
    finish("notification-settings", &[], None, result, |_| Then::Stay { step: None, notice: Some(SETTINGS_SAVED.to_owned()) }).await
}

/// What an unsubscribe link turns off, before the reader confirms (changes nothing).
#[server(endpoint = "notifications/unsubscribe/check")]
pub async fn unsubscribe_topic_of(#[server(default)] token: String) -> Result<String, AppError> {
    use crate::server::ctx;
    ctx::respond(async move {
        let state = ctx::state()?;
        super::server::read_unsubscribe_token(state.config.auth_secret.expose(), &token)
            .map(|(_, topic)| topic.label().to_owned())
            .ok_or_else(|| AppError::Rejected("This unsubscribe link is not valid. You can change what we send on your account's notifications page.".into()))
    })
    .await
}

/// The unsubscribe page's button: turns that topic's email off, no sign-in needed.
#[server(endpoint = "notifications/unsubscribe")]
pub async fn unsubscribe_notifications(#[server(default)] token: String) -> Result<String, AppError> {
    use crate::{
        forms::server::{finish, Then},
        server::ctx,
    };
    let result = ctx::respond(async move {
        let topic = super::server::unsubscribe(&ctx::state()?, &token).await?;
        Ok(format!("Done: we won't email you about {} any more.", topic.label().to_lowercase()))
    })
    .await;
    finish("notifications-unsubscribe", &[], None, result, |message| Then::Stay { step: None, notice: Some(message.clone()) }).await
}

/// "This wasn't me": ends the reported sign-in and emails a password reset.
#[server(endpoint = "notifications/not-me")]
pub async fn report_sign_in(#[server(default)] token: String) -> Result<String, AppError> {
    use crate::{
        auth::{server::{delivery, signin::Caller}, types::Email},
        forms::server::{finish, Then},
        server::ctx,
    };
    let result = ctx::respond(async move {
        let state = ctx::state()?;
        let (_, email, ended) = super::server::report_sign_in(&state, &token).await?;
        let ended = if ended { "That sign-in has ended." } else { "That sign-in had already ended." };
        let Some(email) = email.and_then(|e| Email::parse(&e).ok()) else {
            return Ok(format!("{ended} Set a new password from the sign-in page."));
        };
        delivery::send_password_reset(&Caller::current().await?, &email).await?;
        Ok(format!("{ended} We've emailed you a code and a link to set a new password."))
    })
    .await;
    finish("not-me", &[], None, result, |message| Then::Stay { step: None, notice: Some(message.clone()) }).await
}
