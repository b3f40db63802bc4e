//! Who is calling: roles and the signed-in viewer. Sign-in flows build on this.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    /// Content only: articles, banners, lookbooks.
    Editor,
    /// Everything.
    Admin,
}

impl Role {
    pub fn is_staff(self) -> bool {
        matches!(self, Self::Editor | Self::Admin)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Editor => "editor",
            Self::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "customer" => Some(Self::Customer),
            "editor" => Some(Self::Editor),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// What pages may know about the visitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub user_id: Option<Uuid>,
    pub role: Option<Role>,
}

#[cfg(feature = "ssr")]
pub mod server {
    use super::Role;
    use crate::{error::AppError, server::ctx};
    use argon2::{
        password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
        Argon2,
    };
    use uuid::Uuid;

    /// Argon2id with the crate's recommended parameters, as a PHC string.
    pub fn hash_password(password: &str) -> Result<String, AppError> {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| AppError::internal(anyhow::anyhow!("hashing password: {e}")))
    }

    /// Constant-time comparison inside argon2; a malformed stored hash never matches.
    pub fn verify_password(password: &str, stored: &str) -> bool {
        PasswordHash::new(stored)
            .map(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
            .unwrap_or(false)
    }

    /// The signed-in user's id and role, or `Unauthorized`; `Forbidden` when the role is
    /// not one of `allowed`. Every staff server function starts with this.
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
}

#[server(endpoint = "auth/viewer")]
pub async fn get_viewer() -> Result<Viewer, AppError> {
    crate::server::ctx::respond(async {
        let data = crate::server::ctx::session().await?.data().await?;
        Ok(Viewer { user_id: data.user_id, role: data.role })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn staff_roles() {
        assert!(Role::Admin.is_staff() && Role::Editor.is_staff() && !Role::Customer.is_staff());
        for role in [Role::Customer, Role::Editor, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
