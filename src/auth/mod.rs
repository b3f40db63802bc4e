//! Identity: sign-up and sign-in by every method, sessions across devices, the device lock,
//! roles, and the account page.

pub mod api;
pub mod second_factor;
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
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Editor => "editor",
            Self::Admin => "admin",
        }
    }

    /// Admins and editors: the dashboard's people, who sign in with a second factor.
    pub fn is_staff(self) -> bool {
        matches!(self, Self::Editor | Self::Admin)
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

/// What a staff member may do in the dashboard. Every staff page and server function names
/// the one it needs; `Role::can` is the only place that decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// The dashboard frame and the overview (each figure asks for its own permission).
    ViewDashboard,
    /// Products, stock, images, categories, colours, sizes, collections, lookbooks, places.
    ManageCatalog,
    /// Orders, refunds and shipping.
    ManageOrders,
    /// Customer accounts and reviews.
    ManageCustomers,
    /// Articles, banners and the newsletter.
    ManageContent,
    /// The audit log of staff changes.
    ViewAudit,
    /// The analytics page: sales, the funnel, the journal, banners, sign-ins.
    ViewAnalytics,
}

impl Permission {
    pub const ALL: [Self; 7] = [
        Self::ViewDashboard,
        Self::ManageCatalog,
        Self::ManageOrders,
        Self::ManageCustomers,
        Self::ManageContent,
        Self::ViewAudit,
        Self::ViewAnalytics,
    ];
}

impl Role {
    pub fn can(self, permission: Permission) -> bool {
        match self {
            Self::Customer => false,
            Self::Editor => matches!(permission, Permission::ViewDashboard | Permission::ManageContent | Permission::ViewAnalytics),
            Self::Admin => true,
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
        for role in [Role::Customer, Role::Editor, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn each_role_has_its_permissions() {
        use super::Permission::*;
        for permission in super::Permission::ALL {
            assert!(Role::Admin.can(permission), "{permission:?}");
            assert!(!Role::Customer.can(permission), "{permission:?}");
        }
        let editor: Vec<_> = super::Permission::ALL.into_iter().filter(|p| Role::Editor.can(*p)).collect();
        assert_eq!(editor, vec![ViewDashboard, ManageContent, ViewAnalytics], "editors get content and its figures only");
    }
}
