//! Server functions of staff accounts' second factor: the sign-in's second step, the
//! confirmation before sensitive dashboard actions, and setting up an authenticator app
//! with recovery codes (`server::second_factor` holds the rules).

use super::types::SecondFactorSetup;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The form of the second step, in a plain post's outcome.
pub const FORM: &str = "second-factor";
/// The form that sets up an authenticator on the account page.
pub const SETUP_FORM: &str = "second-factor-setup";

/// What the second-factor page needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// A sign-in is waiting (else a signed-in staff member is confirming it's them).
    pub signing_in: bool,
    pub has_authenticator: bool,
    pub has_recovery_codes: bool,
    /// Where emailed codes go.
    pub email: Option<String>,
}

/// A staff member's second factor as the account page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorStatus {
    pub has_authenticator: bool,
    pub unused_recovery_codes: i64,
    /// An authenticator being set up in this session.
    pub setup: Option<SecondFactorSetup>,
    /// Recovery codes made just now: shown once, then gone from the session.
    pub new_recovery_codes: Vec<String>,
}

#[cfg(feature = "ssr")]
const NEW_CODES_KEY: &str = "recovery_codes_to_show";

/// Whose second factor this request is about: the sign-in waiting in the session, else
/// the signed-in staff member. `Unauthorized` for anyone else.
#[cfg(feature = "ssr")]
async fn subject(
    caller: &super::server::signin::Caller,
) -> Result<(super::server::users::UserRow, Option<super::server::second_factor::Pending>), AppError> {
    use super::server::{current_user, second_factor, users};
    if let Some(pending) = second_factor::pending(caller).await? {
        let user = users::by_id(&caller.state.db, pending.user_id).await?.ok_or(AppError::Unauthorized)?;
        return Ok((user, Some(pending)));
    }
    let (id, role) = current_user(&caller.session, &caller.data, &caller.state.db).await?.ok_or(AppError::Unauthorized)?;
    if !role.is_staff() {
        return Err(AppError::Unauthorized);
    }
    Ok((users::by_id(&caller.state.db, id).await?.ok_or(AppError::Unauthorized)?, None))
}

#[server(endpoint = "auth/second-factor")]
pub async fn get_challenge() -> Result<Challenge, AppError> {
    use super::server::{second_factor, signin::Caller};
    let caller = Caller::current().await?;
    let (user, pending) = subject(&caller).await?;
    let db = &caller.state.db;
    Ok(Challenge {
        signing_in: pending.is_some(),
        has_authenticator: second_factor::has_authenticator(db, user.id).await?,
        has_recovery_codes: second_factor::unused_recovery_codes(db, user.id).await? > 0,
        email: user.email.filter(|_| user.email_verified_at.is_some()),
    })
}

/// The second step: finishes a waiting sign-in (to where it was going), or confirms a
/// signed-in staff member for the next ten minutes (back to `next`, the dashboard by default).
#[server(endpoint = "auth/second-factor/verify")]
pub async fn verify_second_factor(code: String, #[server(default)] next: String) -> Result<String, AppError> {
    use super::server::{
        second_factor,
        signin::{safe_next, Caller},
    };
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let caller = Caller::current().await?;
        caller.ensure_unlocked().await?;
        if code.trim().is_empty() {
            return Err(AppError::field("code", "Enter the code."));
        }
        let (user, pending) = subject(&caller).await.map_err(|_| {
            AppError::Rejected("This sign-in has expired (the second step waits 10 minutes). Sign in again.".into())
        })?;
        match pending {
            Some(pending) => caller.finish_second_factor(&pending, &code).await,
            None => {
                let factor = second_factor::verify(&caller, &user, &code).await?;
                second_factor::confirmed(&caller).await?;
                super::server::events::record(
                    &caller.state.db,
                    super::server::events::Event {
                        user_id: Some(user.id),
                        device_id: caller.data.device_id,
                        event_type: "confirm",
                        method: Some(factor),
                        success: true,
                        reason: None,
                        client: &caller.client,
                        at: caller.now,
                    },
                )
                .await?;
                Ok(if next.is_empty() { "/admin".to_owned() } else { safe_next(&next) })
            }
        }
    })
    .await;
    finish(FORM, &[], None, result, |path| Then::Redirect(path.clone())).await
}

/// Emails a code for the second step (a new one replaces the last).
#[server(endpoint = "auth/second-factor/email")]
pub async fn email_second_factor() -> Result<super::types::CodeSent, AppError> {
    use super::server::{second_factor, signin::Caller};
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let caller = Caller::current().await?;
        caller.ensure_unlocked().await?;
        let (user, _) = subject(&caller).await?;
        second_factor::send_email_code(&caller, &user).await
    })
    .await;
    finish(FORM, &[], None, result, |sent| Then::Stay { step: None, notice: Some(sent.message()) }).await
}

/// The signed-in staff member, for the account page's second-factor panel.
#[cfg(feature = "ssr")]
async fn staff_caller() -> Result<(super::server::signin::Caller, super::server::users::UserRow), AppError> {
    use super::server::{current_user, signin::Caller, users};
    let caller = Caller::current().await?;
    let (id, role) = current_user(&caller.session, &caller.data, &caller.state.db).await?.ok_or(AppError::Unauthorized)?;
    if !role.is_staff() {
        return Err(AppError::Forbidden);
    }
    let user = users::by_id(&caller.state.db, id).await?.ok_or(AppError::Unauthorized)?;
    Ok((caller, user))
}

/// The account page's panel: `None` for a customer, who has none.
#[server(endpoint = "account/second-factor")]
pub async fn get_second_factor() -> Result<Option<SecondFactorStatus>, AppError> {
    use super::server::second_factor;
    let (caller, user) = match staff_caller().await {
        Ok(found) => found,
        Err(AppError::Forbidden) => return Ok(None),
        Err(other) => return Err(other),
    };
    let db = &caller.state.db;
    Ok(Some(SecondFactorStatus {
        has_authenticator: second_factor::has_authenticator(db, user.id).await?,
        unused_recovery_codes: second_factor::unused_recovery_codes(db, user.id).await?,
        setup: second_factor::current_setup(&caller, &user).await?,
        new_recovery_codes: caller.session.take::<Vec<String>>(NEW_CODES_KEY).await?.unwrap_or_default(),
    }))
}

/// Starts setting up an authenticator app (a fresh key, until a code confirms it). Replacing
/// one that is set up needs a recent confirmation.
#[server(endpoint = "account/second-factor/start")]
pub async fn start_authenticator_setup() -> Result<SecondFactorSetup, AppError> {
    use super::server::second_factor;
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (caller, user) = staff_caller().await?;
        if second_factor::has_authenticator(&caller.state.db, user.id).await? {
            second_factor::require_recent(&caller.state, &caller.session).await?;
        }
        second_factor::start_setup(&caller, &user).await
    })
    .await;
    finish(SETUP_FORM, &[], None, result, |_| Then::Return).await
}

/// Confirms the authenticator with its first code; ten recovery codes are made and shown once.
#[server(endpoint = "account/second-factor/confirm")]
pub async fn confirm_authenticator(code: String) -> Result<Vec<String>, AppError> {
    use super::server::second_factor;
    use crate::forms::server::{finish, Then};
    let typed = code.clone();
    let result = crate::server::ctx::respond(async move {
        let (caller, user) = staff_caller().await?;
        let codes = second_factor::finish_setup(&caller, &user, &code).await?;
        caller.session.put(NEW_CODES_KEY, &codes).await?;
        Ok(codes)
    })
    .await;
    finish(SETUP_FORM, &[("code", &typed)], None, result, |_| Then::Return).await
}

/// Ten new recovery codes instead of the old ones; needs a recent confirmation.
#[server(endpoint = "account/second-factor/recovery-codes")]
pub async fn renew_recovery_codes() -> Result<Vec<String>, AppError> {
    use super::server::second_factor;
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (caller, user) = staff_caller().await?;
        second_factor::require_recent(&caller.state, &caller.session).await?;
        let codes = second_factor::new_recovery_codes(&caller, user.id).await?;
        caller.session.put(NEW_CODES_KEY, &codes).await?;
        Ok(codes)
    })
    .await;
    finish(SETUP_FORM, &[], None, result, |_| Then::Return).await
}
