use super::ConsentChoice;
use crate::error::AppError;
use leptos::prelude::*;

/// The visitor's saved choice, if any (the banner shows when there is none).
#[server(endpoint = "consent/current")]
pub async fn get_consent() -> Result<Option<ConsentChoice>, AppError> {
    crate::server::ctx::respond(async {
        let parts = use_context::<axum::http::request::Parts>();
        Ok(parts.as_ref().and_then(super::server::choice_from_parts))
    })
    .await
}

/// Saves a consent choice. Allowing analytics registers the device and an anonymous
/// shopper; declining (or withdrawing) removes them from the session so nothing more is
/// tracked.
/// Saves the visitor's choice. A form posted without JavaScript sends ticked boxes only
/// (absent means off), or a `preset` from the banner's buttons: `all` or `none`.
#[server(endpoint = "consent/save")]
pub async fn save_consent(
    #[server(default)] analytics: bool,
    #[server(default)] marketing: bool,
    #[server(default)] preset: String,
) -> Result<ConsentChoice, AppError> {
    use crate::{
        auth::server::signin::Caller,
        forms::server::{finish, Then},
        server::ctx,
    };
    let result = ctx::respond(async move {
        let choice = match preset.as_str() {
            "all" => ConsentChoice { analytics: true, marketing: true },
            "none" => ConsentChoice { analytics: false, marketing: false },
            _ => ConsentChoice { analytics, marketing },
        };
        let caller = Caller::current().await?;
        let parts = use_context::<axum::http::request::Parts>();
        let previous = parts.as_ref().and_then(super::server::choice_from_parts);
        let db = &caller.state.db;
        let mut device_id = caller.data.device_id;
        if choice.analytics && device_id.is_none() {
            let (device, anonymous) = super::server::register_device(db, &caller.client, caller.now).await?;
            device_id = Some(device);
            caller
                .session
                .update(|d| {
                    d.device_id = Some(device);
                    // A signed-in user needs no anonymous profile.
                    if d.user_id.is_none() {
                        d.anonymous_user_id = Some(anonymous);
                    }
                })
                .await?;
        } else if !choice.analytics && device_id.is_some() {
            caller
                .session
                .update(|d| {
                    d.device_id = None;
                    d.anonymous_user_id = None;
                })
                .await?;
        }
        let withdrawn = previous.is_some_and(|p| p.analytics) && !choice.analytics;
        let decision = if withdrawn { "withdraw" } else { choice.decision() };
        // A declined choice is recorded without any device or identity.
        let recorded_device = if choice.analytics || withdrawn { device_id } else { None };
        super::server::record(db, recorded_device, caller.data.user_id, decision, choice, caller.now).await?;
        // News and offers by email rest on the marketing consent: withdrawn, they stop.
        if let (Some(user), true) = (caller.data.user_id, previous.is_some_and(|p| p.marketing) && !choice.marketing) {
            if let Some(account) = crate::auth::server::users::by_id(db, user).await? {
                if let Some(email) = account.email {
                    crate::newsletter::server::set_for_account(&caller.state, &email, false, caller.now).await?;
                }
            }
        }
        if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
            options.append_header(
                axum::http::header::SET_COOKIE,
                super::server::cookie_header(choice, caller.state.config.site_is_https()),
            );
        }
        Ok(choice)
    })
    .await;
    // Nothing is kept in a session for a visitor who just declined: their page shows
    // the new choice by itself.
    finish("cookies", &[], None, result, |choice| {
        if choice.analytics {
            Then::Stay { step: None, notice: Some(CHOICES_SAVED.to_owned()) }
        } else {
            Then::Return
        }
    })
    .await
}

pub const CHOICES_SAVED: &str = "Your cookie choices are saved.";
