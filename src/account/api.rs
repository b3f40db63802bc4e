//! Server functions of the customer's own data. Each acts only on the signed-in caller's
//! account and works as a plain form post.

use super::ExportStatus;
use crate::{auth::types::CodeSent, error::AppError};
use leptos::prelude::*;

pub const PICTURE_REMOVED: &str = "Your picture is removed.";
pub const EXPORT_REQUESTED: &str = "We're preparing your data. We'll email you when it's ready to download.";

#[server(endpoint = "account/picture/remove")]
pub async fn remove_profile_picture() -> Result<(), AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let user = crate::auth::server::require_user().await?;
        super::server::remove_picture(&crate::server::ctx::state()?, user).await
    })
    .await;
    finish(super::PICTURE_FORM, &[], None, result, |_| Then::Stay { step: None, notice: Some(PICTURE_REMOVED.to_owned()) }).await
}

#[server(endpoint = "account/export/status")]
pub async fn data_export_status() -> Result<Option<ExportStatus>, AppError> {
    crate::server::ctx::respond(async move {
        let user = crate::auth::server::require_user().await?;
        let state = crate::server::ctx::state()?;
        super::server::export_status(&state.db, user, state.clock.now()).await
    })
    .await
}

#[server(endpoint = "account/export/request")]
pub async fn request_data_export() -> Result<(), AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let user = crate::auth::server::require_user().await?;
        let state = crate::server::ctx::state()?;
        super::server::request_export(&state.db, user, state.clock.now()).await
    })
    .await;
    finish("export", &[], None, result, |_| Then::Stay { step: None, notice: Some(EXPORT_REQUESTED.to_owned()) }).await
}

/// The form that deletes the account, in a plain post's outcome.
pub const DELETE_FORM: &str = "delete-account";

/// Sends the code that confirms deleting the account, to the primary email (or, without
/// one, the primary mobile number).
#[server(endpoint = "account/delete/send")]
pub async fn send_deletion_code() -> Result<CodeSent, AppError> {
    use crate::{
        auth::server::{codes::Purpose, delivery, signin::Caller, users},
        forms::server::{finish, Then},
    };
    let result = crate::server::ctx::respond(async move {
        let user = crate::auth::server::require_user().await?;
        let caller = Caller::current().await?;
        super::server::ensure_no_open_order(&mut *caller.state.db.acquire().await?, user).await?;
        let (channel, destination) = deletion_destination(&users::by_id(&caller.state.db, user).await?.ok_or(AppError::Unauthorized)?)?;
        delivery::send_code(&caller, channel, &destination, Purpose::DeleteAccount, Some(user)).await
    })
    .await;
    finish(DELETE_FORM, &[], None, result, |sent| Then::Stay { step: Some("verify"), notice: Some(sent.message()) }).await
}

#[cfg(feature = "ssr")]
fn deletion_destination(user: &crate::auth::server::users::UserRow) -> Result<(crate::auth::types::Channel, String), AppError> {
    use crate::auth::types::Channel;
    match (&user.email, user.email_verified_at, &user.phone, user.phone_verified_at) {
        (Some(email), Some(_), _, _) => Ok((Channel::Email, email.clone())),
        (_, _, Some(phone), Some(_)) => Ok((Channel::Sms, phone.clone())),
        _ => Err(AppError::Rejected("Verify an email address or mobile number first: the code that confirms deleting your account goes there.".into())),
    }
}

/// Deletes the account with the code: every session ends, and the browser is signed out.
#[server(endpoint = "account/delete")]
pub async fn delete_account(code: String) -> Result<(), AppError> {
    use crate::{
        auth::{
            server::{codes::Purpose, signin::Caller, users},
            types::{Channel, Method, OneTimeCode},
        },
        forms::server::{finish, Then},
    };
    let result = crate::server::ctx::respond(async move {
        let user = crate::auth::server::require_user().await?;
        let caller = Caller::current().await?;
        caller.ensure_unlocked().await?;
        let code = OneTimeCode::parse(&code).map_err(|m| AppError::field("code", m))?;
        let (channel, destination) = deletion_destination(&users::by_id(&caller.state.db, user).await?.ok_or(AppError::Unauthorized)?)?;
        let method = if channel == Channel::Email { Method::EmailCode } else { Method::PhoneCode };
        caller.check_code(Purpose::DeleteAccount, &destination, &code, Some(user), method).await?;
        super::server::delete_account(&caller.state, user, caller.client.ip.map(|ip| ip.to_string())).await?;
        caller.sign_out().await
    })
    .await;
    finish(DELETE_FORM, &[], Some("verify"), result, |_| Then::Redirect("/?account=deleted".into())).await
}
