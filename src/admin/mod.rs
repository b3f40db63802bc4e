//! The staff dashboard at /admin. Pages and server functions only: business rules live in
//! the server modules of the domains they touch.

pub mod api;
mod pages;

pub use pages::AdminOverview;
