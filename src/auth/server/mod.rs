//! Server-only identity logic. Every sign-in method ends in `Caller::complete`
//! (`second_factor.rs`: staff give a second factor first, then `signin::sign_in`), so the
//! session, merge, events and metrics rules live in one place.

pub mod codes;
pub mod customers;
pub mod delivery;
pub mod events;
pub mod merge;
pub mod oauth;
pub mod password;
pub mod second_factor;
pub mod secrets;
pub mod sessions;
pub mod signin;
pub mod throttle;
pub mod users;

use super::Role;
use crate::{
    error::AppError,
    server::{
        ctx,
        session::{AppSession, SessionData},
    },
};
use sqlx::PgPool;
use uuid::Uuid;

pub use password::{hash_password, verify_password};

/// The signed-in user and their role as the database has them now: a demotion or a
/// deactivation takes effect on the user's next request, not at their next sign-in. A
/// session whose user was deactivated or deleted is signed out on the spot.
pub async fn current_user(session: &AppSession, data: &SessionData, db: &PgPool) -> Result<Option<(Uuid, Role)>, AppError> {
    let Some(user_id) = data.user_id else { return Ok(None) };
    let row: Option<(String, bool)> = sqlx::query_as("select role, is_active from users where id = $1 and deleted_at is null")
        .bind(user_id)
        .fetch_optional(db)
        .await?;
    match row {
        Some((role, true)) => Ok(Some((user_id, Role::parse(&role).unwrap_or(Role::Customer)))),
        _ => {
            session
                .update(|d| {
                    d.user_id = None;
                    d.login_session_id = None;
                })
                .await?;
            Ok(None)
        }
    }
}

async fn caller_user() -> Result<Option<(Uuid, Role)>, AppError> {
    let session = ctx::session().await?;
    let data = session.data().await?;
    current_user(&session, &data, &ctx::state()?.db).await
}

/// The signed-in staff member, or `Unauthorized`; `Forbidden` when their role lacks
/// `permission`. Every dashboard page and server function starts with this.
pub async fn require_permission(permission: super::Permission) -> Result<(Uuid, Role), AppError> {
    let (user_id, role) = caller_user().await?.ok_or(AppError::Unauthorized)?;
    if role.can(permission) {
        Ok((user_id, role))
    } else {
        Err(AppError::Forbidden)
    }
}

/// The signed-in user's id, or `Unauthorized`.
pub async fn require_user() -> Result<Uuid, AppError> {
    caller_user().await?.map(|(id, _)| id).ok_or(AppError::Unauthorized)
}
