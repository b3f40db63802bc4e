//! Checkout: contact with a verified mobile number, delivery address, delivery method and
//! promo code, then review and pay. Each step is a form that posts (JavaScript optional);
//! the page is rebuilt from the server's state after every step.

pub mod api;
pub mod pages;
pub mod places;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;

pub use types::*;
