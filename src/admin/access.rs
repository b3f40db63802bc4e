//! Who may use a dashboard section, checked the same way by every staff server function and
//! by the plain axum handlers (uploads, CSV exports, packing slips) that run outside one.

use crate::{
    audit::server::Actor,
    auth::Permission,
    error::AppError,
    server::{session::AppSession, state::AppState},
};
use uuid::Uuid;

/// Inside a server function: the app state and the actor the change is recorded under,
/// once the caller holds `permission` (401 signed out, 403 otherwise).
pub async fn staff(permission: Permission) -> Result<(AppState, Actor), AppError> {
    let (user, _) = crate::auth::server::require_permission(permission).await?;
    let state = crate::server::ctx::state()?;
    let actor = Actor::of_request(user, state.config.trust_proxy);
    Ok((state, actor))
}

/// `staff` for the catalogue's pages and functions.
pub async fn catalog_staff() -> Result<(AppState, Actor), AppError> {
    staff(Permission::ManageCatalog).await
}

/// In an axum handler: the signed-in staff member holding `permission`.
pub async fn staff_of(state: &AppState, session: &AppSession, permission: Permission) -> Result<Uuid, AppError> {
    let data = session.data().await?;
    let (user, role) = crate::auth::server::current_user(session, &data, &state.db).await?.ok_or(AppError::Unauthorized)?;
    if !role.can(permission) {
        return Err(AppError::Forbidden);
    }
    Ok(user)
}

/// `staff_of` for the catalogue's handlers.
pub async fn catalog_staff_of(state: &AppState, session: &AppSession) -> Result<Uuid, AppError> {
    staff_of(state, session, Permission::ManageCatalog).await
}
