//! Server-only identity logic. Every sign-in method ends in [`signin::complete`], so the
//! session, merge, events and metrics rules live in one place.

pub mod codes;
pub mod delivery;
pub mod events;
pub mod merge;
pub mod oauth;
pub mod password;
pub mod secrets;
pub mod sessions;
pub mod signin;
pub mod throttle;
pub mod users;

use super::Role;
use crate::{error::AppError, server::ctx};
use uuid::Uuid;

pub use password::{hash_password, verify_password};

/// The signed-in user's id and role, or `Unauthorized`; `Forbidden` when the role is not
/// one of `allowed`. Every staff server function starts with this.
pub async fn require_role(allowed: &[Role]) -> Result<(Uuid, Role), AppError> {
    let data = ctx::session().await?.data().await?;
    let (Some(user_id), Some(role)) = (data.user_id, data.role) else {
        return Err(AppError::Unauthorized);
    };
    if allowed.contains(&role) {
        Ok((user_id, role))
    } else {
        Err(AppError::Forbidden)
    }
}

/// The signed-in user's id, or `Unauthorized`.
pub async fn require_user() -> Result<Uuid, AppError> {
    ctx::session().await?.data().await?.user_id.ok_or(AppError::Unauthorized)
}
