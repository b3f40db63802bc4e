//! Page frames: the storefront (header, navigation, footer) and the staff dashboard.

mod admin;
mod storefront;

pub use admin::AdminLayout;
pub use storefront::{StorefrontFrame, StorefrontLayout};
