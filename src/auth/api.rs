//! Identity server functions. Each one: who is calling, parse input into validated types,
//! call `server`, map failures to messages beside the right field.

use super::types::Channel;
// Defined in types so that auth/server can build them without importing this module.
pub use super::types::{ActiveSession, CodeSent};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub name: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub phone: Option<String>,
    pub phone_verified: bool,
    /// The account's other proven email addresses (any of them signs in).
    #[serde(default)]
    pub other_emails: Vec<String>,
    /// The account's other proven mobile numbers.
    #[serde(default)]
    pub other_phones: Vec<String>,
    pub has_password: bool,
    /// The profile picture (its 256-pixel JPEG), when there is one.
    #[serde(default)]
    pub avatar_url: Option<String>,
    pub role: super::Role,
    /// Linked social sign-in providers ("google", "facebook").
    pub linked_providers: Vec<String>,
    /// Providers this store has configured (buttons to link them).
    pub available_providers: Vec<String>,
}

/// Which sign-in options the store offers (OAuth buttons appear only when configured).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInOptions {
    pub google: bool,
    pub facebook: bool,
}

#[server(endpoint = "auth/options")]
pub async fn get_sign_in_options() -> Result<SignInOptions, AppError> {
    crate::server::ctx::respond(async {
        let config = crate::server::ctx::state()?.config;
        Ok(SignInOptions { google: config.google.is_some(), facebook: config.facebook.is_some() })
    })
    .await
}

/// Email + password. One message for every failure, so nobody learns which emails exist.
#[server(endpoint = "auth/sign-in/password")]
pub async fn sign_in_with_password(email: String, password: String, next: String) -> Result<String, AppError> {
    use super::{
        server::{password::verify_blocking, signin::{safe_next, Caller}, users},
        types::{Email, Method},
    };
    use crate::forms::server::{finish, Then};
    let typed = email.clone();
    let result = crate::server::ctx::respond(async move {
        let caller = Caller::current().await?;
        caller.ensure_unlocked().await?;
        let email = Email::parse(&email).map_err(|m| AppError::field("email", m))?;
        if password.is_empty() {
            return Err(AppError::field("password", "Enter your password."));
        }
        let user = users::by_email(&caller.state.db, email.as_str()).await?;
        caller.ensure_account_open(email.as_str(), user.as_ref().map(|u| u.id)).await?;
        let ok = verify_blocking(password, user.as_ref().and_then(|u| u.password_hash.clone())).await?;
        match user {
            Some(user) if ok => caller.complete(&user, Method::Password, "sign_in", &safe_next(&next)).await,
            user => {
                let reason = if user.is_some() { "wrong_password" } else { "unknown_email" };
                let wrong = AppError::Rejected("The email or password is incorrect.".into());
                Err(caller.failed(user.map(|u| u.id), Some(email.as_str()), Method::Password, reason, wrong).await)
            }
        }
    })
    .await;
    finish("password", &[("email", &typed)], None, result, |path| Then::Redirect(path.clone())).await
}

/// Sends a six-digit code by email or SMS. Works for new and existing accounts alike
/// (verifying the code signs in, or creates the account).
/// `name` is only kept for the next step of a sign-up form posted without JavaScript.
#[server(endpoint = "auth/code/send")]
pub async fn send_sign_in_code(channel: Channel, destination: String, name: Option<String>) -> Result<CodeSent, AppError> {
    use super::server::{codes, delivery, signin::Caller};
    use crate::forms::server::{finish, Then};
    let typed = [destination.clone(), name.unwrap_or_default()];
    let result = crate::server::ctx::respond(async move {
        let caller = Caller::current().await?;
        caller.ensure_unlocked().await?;
        let destination = delivery::parse_destination(channel, &destination)?;
        let existing = super::server::signin::user_for_destination(&caller.state, &destination).await?;
        let purpose = if existing.is_some() { codes::Purpose::SignIn } else { codes::Purpose::SignUp };
        delivery::send_code(&caller, channel, &destination, purpose, existing.map(|u| u.id)).await
    })
    .await;
    let values = [("destination", typed[0].as_str()), ("name", typed[1].as_str())];
    finish(code_form(channel), &values, None, result, |sent| Then::Stay { step: Some("verify"), notice: Some(sent.message()) }).await
}

/// The id of the code form for a channel (the same on the sign-in and sign-up pages).
pub fn code_form(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "code-email",
        Channel::Sms => "code-sms",
    }
}

/// Checks the code; signs in the account it belongs to, or creates one (with the optional
/// name and password given at sign-up).
#[server(endpoint = "auth/code/verify")]
pub async fn sign_in_with_code(
    channel: Channel,
    destination: String,
    code: String,
    name: Option<String>,
    password: Option<String>,
    next: String,
) -> Result<String, AppError> {
    use super::{
        server::{codes, delivery, password::hash_blocking, signin::{safe_next, Caller}, users},
        types::{Method, NewPassword, OneTimeCode},
    };
    use crate::forms::server::{finish, Then};
    let typed = [destination.clone(), name.clone().unwrap_or_default()];
    let result = crate::server::ctx::respond(async move {
        let caller = Caller::current().await?;
        caller.ensure_unlocked().await?;
        let destination = delivery::parse_destination(channel, &destination)?;
        let code = OneTimeCode::parse(&code).map_err(|m| AppError::field("code", m))?;
        let mut errors = crate::error::FieldErrors::new();
        let name = errors.text("name", name.as_deref().unwrap_or_default(), 100, None);
        errors.into_result()?;
        let email_for_rule = (channel == Channel::Email).then_some(destination.as_str());
        let password = match password.filter(|p| !p.is_empty()) {
            Some(p) => Some(NewPassword::parse(&p, email_for_rule).map_err(|m| AppError::field("password", m))?),
            None => None,
        };
        let method = if channel == Channel::Email { Method::EmailCode } else { Method::PhoneCode };
        let existing = super::server::signin::user_for_destination(&caller.state, &destination).await?;
        let purpose = if existing.is_some() { codes::Purpose::SignIn } else { codes::Purpose::SignUp };
        caller.check_code(purpose, &destination, &code, existing.as_ref().map(|u| u.id), method).await?;
        let (user, event) = match existing {
            Some(user) => (user, "sign_in"),
            None => {
                let hash = match password {
                    Some(p) => Some(hash_blocking(p.expose().to_owned()).await?),
                    None => None,
                };
                let is_email = channel == Channel::Email;
                let mut tx = caller.state.db.begin().await?;
                let user = users::create(
                    &mut tx,
                    users::NewUser {
                        email: is_email.then_some(destination.as_str()),
                        email_verified: is_email,
                        phone: (!is_email).then_some(destination.as_str()),
                        phone_verified: !is_email,
                        name: &name,
                        password_hash: hash.as_deref(),
                    },
                    caller.now,
                )
                .await?;
                tx.commit().await?;
                (user, "sign_up")
            }
        };
        caller.complete(&user, method, event, &safe_next(&next)).await
    })
    .await;
    let values = [("destination", typed[0].as_str()), ("name", typed[1].as_str())];
    finish(code_form(channel), &values, Some("verify"), result, |path| Then::Redirect(path.clone())).await
}

/// Emails a one-time sign-in link. Unknown addresses get an email that says so, and the
/// page shows the same confirmation either way.
#[server(endpoint = "auth/link/send")]
pub async fn send_magic_link(email: String, next: String) -> Result<CodeSent, AppError> {
    use super::{server::{delivery, signin::Caller}, types::Email};
    use crate::forms::server::{finish, Then};
    let typed = email.clone();
    let result = crate::server::ctx::respond(async move {
        let caller = Caller::current().await?;
        caller.ensure_unlocked().await?;
        let email = Email::parse(&email).map_err(|m| AppError::field("email", m))?;
        delivery::send_magic_link(&caller, &email, &next).await
    })
    .await;
    finish("link", &[("email", &typed)], None, result, |sent| Then::Stay { step: None, notice: Some(sent.link_message()) }).await
}

#[server(endpoint = "auth/link/use")]
pub async fn sign_in_with_link(token: String, next: String) -> Result<String, AppError> {
    use super::{server::{codes, signin::{safe_next, Caller}, users}, types::Method};
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let caller = Caller::current().await?;
        caller.ensure_unlocked().await?;
        let verified = caller.check_link(codes::Purpose::SignIn, &token, Method::MagicLink, "sign-in link").await?;
        let user = users::by_verified_email(&caller.state.db, &verified.destination).await?.ok_or(AppError::NotFound("The account".into()))?;
        caller.complete(&user, Method::MagicLink, "sign_in", &safe_next(&next)).await
    })
    .await;
    finish("magic", &[], None, result, |path| Then::Redirect(path.clone())).await
}

#[server(endpoint = "auth/sign-out")]
pub async fn sign_out() -> Result<(), AppError> {
    use super::server::signin::Caller;
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async { Caller::current().await?.sign_out().await }).await;
    finish("sign-out", &[], None, result, |_| Then::Redirect("/".into())).await
}

/// Sends a reset code and link to the account's email (or a "no account" note).
#[server(endpoint = "auth/reset/send")]
pub async fn request_password_reset(email: String) -> Result<CodeSent, AppError> {
    use super::{server::{delivery, signin::Caller}, types::Email};
    use crate::forms::server::{finish, Then};
    let typed = email.clone();
    let result = crate::server::ctx::respond(async move {
        let caller = Caller::current().await?;
        caller.ensure_unlocked().await?;
        let email = Email::parse(&email).map_err(|m| AppError::field("email", m))?;
        delivery::send_password_reset(&caller, &email).await
    })
    .await;
    finish("reset", &[("email", &typed)], None, result, |_| Then::Stay { step: Some("verify"), notice: None }).await
}

/// Sets a new password with the emailed code (or, with `token`, the emailed link), then
/// signs in and ends every other session of the account.
#[server(endpoint = "auth/reset/complete")]
pub async fn reset_password(email: String, code: String, token: String, password: String) -> Result<String, AppError> {
    use super::{
        server::{codes, password::hash_blocking, sessions, signin::Caller, users},
        types::{Email, Method, NewPassword, OneTimeCode},
    };
    use crate::forms::server::{finish, Then};
    let typed = email.clone();
    let result = crate::server::ctx::respond(async move {
        let caller = Caller::current().await?;
        caller.ensure_unlocked().await?;
        let db = &caller.state.db;
        // Every check on what was typed happens before the code or link is spent.
        let (verified, password) = if token.is_empty() {
            let email = Email::parse(&email).map_err(|m| AppError::field("email", m))?;
            let code = OneTimeCode::parse(&code).map_err(|m| AppError::field("code", m))?;
            let password = NewPassword::parse(&password, Some(email.as_str())).map_err(|m| AppError::field("password", m))?;
            (caller.check_code(codes::Purpose::PasswordReset, email.as_str(), &code, None, Method::EmailCode).await?, password)
        } else {
            let password = NewPassword::parse(&password, None).map_err(|m| AppError::field("password", m))?;
            (caller.check_link(codes::Purpose::PasswordReset, &token, Method::EmailCode, "reset link").await?, password)
        };
        let user = users::by_verified_email(db, &verified.destination).await?.ok_or(AppError::NotFound("The account".into()))?;
        // A deactivated account keeps its password and sessions as staff left them.
        if !user.is_active {
            return Err(AppError::AccountDisabled);
        }
        // Checked once the code proved the account (before, it would tell anyone which
        // emails are staff); a refused password means asking for a new code.
        if user.role().is_staff() {
            let inputs = [verified.destination.as_str(), user.name.as_str()];
            super::server::password::staff_rule(password.expose(), &inputs).map_err(|m| AppError::field("password", m))?;
        }
        users::set_password(db, user.id, &hash_blocking(password.expose().to_owned()).await?).await?;
        sessions::revoke(db, &caller.state.redis, user.id, None, None, "password_reset", caller.now).await?;
        caller.complete(&user, Method::EmailCode, "password_reset", "/account").await
    })
    .await;
    finish("reset", &[("email", &typed)], Some("verify"), result, |path| Then::Redirect(path.clone())).await
}

#[server(endpoint = "account/get")]
pub async fn get_account() -> Result<Account, AppError> {
    use super::server::{require_user, users};
    crate::server::ctx::respond(async {
        let user_id = require_user().await?;
        let state = crate::server::ctx::state()?;
        let user = users::by_id(&state.db, user_id).await?.ok_or(AppError::Unauthorized)?;
        let linked_providers: Vec<String> =
            sqlx::query_scalar("select provider from user_identities where user_id = $1 order by provider")
                .bind(user_id)
                .fetch_all(&state.db)
                .await?;
        let others = users::other_contacts(&state.db, user_id).await?;
        let of = |channel: &str| others.iter().filter(|(c, _)| c == channel).map(|(_, v)| v.clone()).collect::<Vec<_>>();
        let mut available_providers = Vec::new();
        if state.config.google.is_some() {
            available_providers.push("google".to_owned());
        }
        if state.config.facebook.is_some() {
            available_providers.push("facebook".to_owned());
        }
        Ok(Account {
            role: user.role(),
            name: user.name,
            email: user.email,
            email_verified: user.email_verified_at.is_some(),
            phone: user.phone,
            phone_verified: user.phone_verified_at.is_some(),
            other_emails: of("email"),
            other_phones: of("phone"),
            avatar_url: user.avatar_url,
            has_password: user.password_hash.is_some(),
            linked_providers,
            available_providers,
        })
    })
    .await
}

#[server(endpoint = "account/name")]
pub async fn update_name(name: String) -> Result<String, AppError> {
    use super::server::require_user;
    use crate::forms::server::{finish, Then};
    let typed = name.clone();
    let result = crate::server::ctx::respond(async move {
        let user_id = require_user().await?;
        let mut errors = crate::error::FieldErrors::new();
        let name = errors.text("name", &name, 100, Some("Enter your name."));
        errors.into_result()?;
        let db = crate::server::ctx::state()?.db;
        sqlx::query("update users set name = $2 where id = $1").bind(user_id).bind(&name).execute(&db).await?;
        Ok(name)
    })
    .await;
    finish("name", &[("name", &typed)], None, result, |_| Then::Stay { step: None, notice: Some(NAME_SAVED.to_owned()) }).await
}

pub const NAME_SAVED: &str = "Saved.";

/// Changes (or, for accounts created without one, sets) the password.
#[server(endpoint = "account/password")]
pub async fn change_password(current: String, new_password: String) -> Result<(), AppError> {
    use super::{
        server::{password::{hash_blocking, verify_blocking}, require_user, sessions, signin::Caller, users},
        types::{Method, NewPassword},
    };
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let user_id = require_user().await?;
        let caller = Caller::current().await?;
        caller.ensure_unlocked().await?;
        let db = &caller.state.db;
        let user = users::by_id(db, user_id).await?.ok_or(AppError::Unauthorized)?;
        let new_password = NewPassword::parse(&new_password, user.email.as_deref()).map_err(|m| AppError::field("new_password", m))?;
        if user.role().is_staff() {
            let inputs = [user.email.as_deref().unwrap_or_default(), user.name.as_str()];
            super::server::password::staff_rule(new_password.expose(), &inputs).map_err(|m| AppError::field("new_password", m))?;
        }
        if let Some(hash) = user.password_hash.clone() {
            if !verify_blocking(current, Some(hash)).await? {
                let err = AppError::field("current", "Your current password is incorrect.");
                return Err(caller.failed(Some(user_id), None, Method::Password, "wrong_password", err).await);
            }
        }
        users::set_password(db, user_id, &hash_blocking(new_password.expose().to_owned()).await?).await?;
        sessions::revoke(db, &caller.state.redis, user_id, None, caller.data.login_session_id, "password_changed", caller.now).await?;
        Ok(())
    })
    .await;
    finish("password-change", &[], None, result, |_| Then::Stay { step: None, notice: Some(PASSWORD_SAVED.to_owned()) }).await
}

pub const PASSWORD_SAVED: &str = "Password saved. Other sessions were signed out.";

/// Sends a code to a new email address or mobile number before it replaces the current one.
#[server(endpoint = "account/contact/send")]
pub async fn start_contact_change(channel: Channel, destination: String) -> Result<CodeSent, AppError> {
    use super::server::{codes, delivery, require_user, signin::Caller};
    use crate::forms::server::{finish, Then};
    let typed = destination.clone();
    let result = crate::server::ctx::respond(async move {
        let user_id = require_user().await?;
        let caller = Caller::current().await?;
        let destination = delivery::parse_destination(channel, &destination)?;
        // Sent whoever uses the address, after the same limits, so the answer never tells
        // which addresses have accounts; one that another account has proven is refused at
        // the second step, once the code showed it is the caller's.
        let purpose = if channel == Channel::Email { codes::Purpose::VerifyEmail } else { codes::Purpose::VerifyPhone };
        delivery::send_code(&caller, channel, &destination, purpose, Some(user_id)).await
    })
    .await;
    let values = [("destination", typed.as_str())];
    finish(contact_form(channel), &values, None, result, |sent| Then::Stay { step: Some("verify"), notice: Some(sent.message()) }).await
}

/// The id of the account page's form that changes the email or the mobile number.
pub fn contact_form(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "contact-email",
        Channel::Sms => "contact-sms",
    }
}

#[server(endpoint = "account/contact/verify")]
pub async fn confirm_contact_change(channel: Channel, destination: String, code: String) -> Result<String, AppError> {
    use super::{
        server::{codes, delivery, require_user, signin::Caller, users},
        types::{Method, OneTimeCode},
    };
    use crate::forms::server::{finish, Then};
    let typed = destination.clone();
    let result = crate::server::ctx::respond(async move {
        let user_id = require_user().await?;
        let caller = Caller::current().await?;
        caller.ensure_unlocked().await?;
        let destination = delivery::parse_destination(channel, &destination)?;
        let code = OneTimeCode::parse(&code).map_err(|m| AppError::field("code", m))?;
        let (purpose, method) = match channel {
            Channel::Email => (codes::Purpose::VerifyEmail, Method::EmailCode),
            Channel::Sms => (codes::Purpose::VerifyPhone, Method::PhoneCode),
        };
        caller.check_code(purpose, &destination, &code, Some(user_id), method).await?;
        let contact = match channel {
            Channel::Email => users::Contact::Email(&destination),
            Channel::Sms => users::Contact::Phone(&destination),
        };
        users::set_verified(&caller.state.db, user_id, contact, caller.now).await?;
        Ok(destination)
    })
    .await;
    let values = [("destination", typed.as_str())];
    finish(contact_form(channel), &values, Some("verify"), result, |now| Then::Stay { step: None, notice: Some(contact_saved(now)) }).await
}

pub fn contact_saved(now: &str) -> String {
    format!("{now} is verified.")
}

#[cfg(feature = "ssr")]
fn contact<'a>(channel: Channel, value: &'a str) -> super::server::users::Contact<'a> {
    use super::server::users::Contact;
    match channel {
        Channel::Email => Contact::Email(value),
        Channel::Sms => Contact::Phone(value),
    }
}

/// Makes one of the account's other proven addresses or numbers its primary.
#[server(endpoint = "account/contact/primary")]
pub async fn make_contact_primary(channel: Channel, value: String) -> Result<String, AppError> {
    use super::server::{delivery, require_user, users};
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let user_id = require_user().await?;
        let value = delivery::parse_destination(channel, &value)?;
        users::make_primary(&crate::server::ctx::state()?.db, user_id, contact(channel, &value)).await?;
        Ok(value)
    })
    .await;
    finish(contact_form(channel), &[], None, result, |value| Then::Stay { step: None, notice: Some(format!("{value} is now your primary one.")) }).await
}

/// Removes an address or number from the account (never the last way to sign in).
#[server(endpoint = "account/contact/remove")]
pub async fn remove_contact(channel: Channel, value: String) -> Result<String, AppError> {
    use super::server::{delivery, require_user, users};
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let user_id = require_user().await?;
        let value = delivery::parse_destination(channel, &value)?;
        users::remove_contact(&crate::server::ctx::state()?.db, user_id, contact(channel, &value)).await?;
        Ok(value)
    })
    .await;
    finish(contact_form(channel), &[], None, result, |value| Then::Stay { step: None, notice: Some(format!("{value} is removed from your account.")) }).await
}

#[server(endpoint = "account/sessions")]
pub async fn list_sessions() -> Result<Vec<ActiveSession>, AppError> {
    use super::server::{require_user, sessions};
    crate::server::ctx::respond(async {
        let user_id = require_user().await?;
        let current = crate::server::ctx::session().await?.data().await?.login_session_id;
        sessions::list_active(&crate::server::ctx::state()?.db, user_id, current).await
    })
    .await
}

/// Ends one session (`id`), or every session but this one (`id` empty).
#[server(endpoint = "account/sessions/end")]
pub async fn end_sessions(id: Option<Uuid>) -> Result<usize, AppError> {
    use super::server::{require_user, sessions};
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let user_id = require_user().await?;
        let state = crate::server::ctx::state()?;
        let current = crate::server::ctx::session().await?.data().await?.login_session_id;
        let now = state.clock.now();
        match id {
            Some(id) => sessions::revoke(&state.db, &state.redis, user_id, Some(id), None, "ended_by_user", now).await,
            None => sessions::revoke(&state.db, &state.redis, user_id, None, current, "ended_by_user", now).await,
        }
    })
    .await;
    // The account page lists what is left.
    finish("sessions", &[], None, result, |_| Then::Return).await
}
