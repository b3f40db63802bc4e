//! Identity: sign-up and sign-in by every method, sessions across devices, the device lock,
//! roles, and the account page.

pub mod api;
pub mod pages;
pub mod types;

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
pub mod server;

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
