//! The staff dashboard at /admin. Pages and server functions only: business rules live in
//! the server modules of the domains they touch. Every page and server function names the
//! permission it needs (`auth::Permission`).

#[cfg(feature = "ssr")]
pub mod access;
pub mod analytics;
pub mod api;
pub mod articles;
pub mod attributes;
mod audit_log;
pub mod banners;
pub mod categories;
pub mod collections;
pub mod customers;
pub mod coupons;
pub mod images;
pub mod import;
pub mod newsletter;
pub mod orders;
pub mod places;
mod pages;
pub mod products;
pub mod reviews;
pub mod table;

use crate::auth::Permission;

pub use analytics::AnalyticsPage;
pub use articles::{ArticleEditPage, ArticlesPage};
pub use attributes::{ColoursPage, SizesPage};
pub use audit_log::AuditLogPage;
pub use banners::{BannerEditPage, BannersPage};
pub use categories::{CategoriesPage, CategoryEditPage};
pub use collections::{CollectionEditPage, CollectionsPage, LookbookEditPage, LookbooksPage};
pub use customers::{CustomerPage, CustomersPage};
pub use coupons::{CouponEditPage, CouponsPage};
pub use import::ImportPage;
pub use newsletter::NewsletterPage;
pub use orders::{AdminOrderPage, AdminOrdersPage, PackingSlipsPage};
pub use places::PlacesPage;
pub use pages::AdminOverview;
pub use products::{ProductEditPage, ProductsPage};
pub use reviews::{ReviewPage, ReviewsPage};

/// One entry of the dashboard's menu.
pub struct Section {
    pub label: &'static str,
    pub path: &'static str,
    pub permission: Permission,
}

/// The dashboard's sections, in menu order; each shows only to roles that may open it.
pub const SECTIONS: &[Section] = &[
    Section { label: "Overview", path: "/admin", permission: Permission::ViewDashboard },
    Section { label: "Analytics", path: "/admin/analytics", permission: Permission::ViewAnalytics },
    Section { label: "Orders", path: "/admin/orders", permission: Permission::ManageOrders },
    Section { label: "Customers", path: "/admin/customers", permission: Permission::ManageCustomers },
    Section { label: "Reviews", path: "/admin/reviews", permission: Permission::ManageCustomers },
    Section { label: "Coupons", path: "/admin/coupons", permission: Permission::ManageOrders },
    Section { label: "Articles", path: "/admin/articles", permission: Permission::ManageContent },
    Section { label: "Banners", path: "/admin/banners", permission: Permission::ManageContent },
    Section { label: "Newsletter", path: "/admin/newsletter", permission: Permission::ManageContent },
    Section { label: "Products", path: "/admin/products", permission: Permission::ManageCatalog },
    Section { label: "Categories", path: "/admin/categories", permission: Permission::ManageCatalog },
    Section { label: "Colours", path: "/admin/colours", permission: Permission::ManageCatalog },
    Section { label: "Sizes", path: "/admin/sizes", permission: Permission::ManageCatalog },
    Section { label: "Collections", path: "/admin/collections", permission: Permission::ManageCatalog },
    Section { label: "Lookbooks", path: "/admin/lookbooks", permission: Permission::ManageCatalog },
    Section { label: "Places", path: "/admin/places", permission: Permission::ManageCatalog },
    Section { label: "Audit log", path: "/admin/audit", permission: Permission::ViewAudit },
];

/// One plain HTTP route of the dashboard (a download or a streamed upload): what the router
/// serves and what the access test walks, from this one list.
#[cfg(feature = "ssr")]
pub struct Handler {
    pub path: &'static str,
    pub method: axum::http::Method,
    /// What the handler's own access check asks for.
    pub permission: Permission,
    pub route: axum::routing::MethodRouter<crate::server::state::AppState>,
}

/// The dashboard's routes that are not pages or server functions. Each checks its own
/// permission before reading anything.
#[cfg(feature = "ssr")]
pub fn handlers() -> Vec<Handler> {
    use axum::{extract::DefaultBodyLimit, http::Method, routing::{get, post}};
    let download = |path, permission, route| Handler { path, method: Method::GET, permission, route };
    let upload = |path, permission, route| Handler { path, method: Method::POST, permission, route };
    let limit = DefaultBodyLimit::max;
    vec![
        download("/admin/orders.csv", Permission::ManageOrders, get(orders::export_orders)),
        download("/admin/products.csv", Permission::ManageCatalog, get(import::server::export_products)),
        download("/admin/stock.csv", Permission::ManageCatalog, get(import::server::export_stock)),
        upload(import::UPLOAD_PATH, Permission::ManageCatalog, post(import::server::upload).layer(limit(import::server::MAX_UPLOAD_BODY))),
        upload(images::UPLOAD_PATH, Permission::ManageCatalog, post(images::server::upload).layer(limit(images::server::MAX_UPLOAD_BODY))),
        upload(articles::IMAGE_UPLOAD_PATH, Permission::ManageContent, post(articles::server::upload).layer(limit(images::server::MAX_UPLOAD_BODY))),
        download("/admin/newsletter.csv", Permission::ManageContent, get(newsletter::export_subscribers)),
        upload(banners::SAVE_PATH, Permission::ManageContent, post(banners::server::save).layer(limit(images::server::MAX_UPLOAD_BODY))),
    ]
}
