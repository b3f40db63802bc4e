//! The staff dashboard at /admin. Pages and server functions only: business rules live in
//! the server modules of the domains they touch. Every page and server function names the
//! permission it needs (`auth::Permission`).

pub mod api;
mod audit_log;
mod pages;
pub mod products;
pub mod table;

use crate::auth::Permission;

pub use audit_log::AuditLogPage;
pub use pages::AdminOverview;
pub use products::{ProductEditPage, ProductsPage};

/// One entry of the dashboard's menu.
pub struct Section {
    pub label: &'static str,
    pub path: &'static str,
    pub permission: Permission,
}

/// The dashboard's sections, in menu order; each shows only to roles that may open it.
pub const SECTIONS: &[Section] = &[
    Section { label: "Overview", path: "/admin", permission: Permission::ViewDashboard },
    Section { label: "Products", path: "/admin/products", permission: Permission::ManageCatalog },
    Section { label: "Audit log", path: "/admin/audit", permission: Permission::ViewAudit },
];
