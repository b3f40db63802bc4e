//! The catalogue: products, categories, collections and the storefront pages that show them.

pub mod api;
pub mod components;
#[cfg(feature = "ssr")]
pub mod manage;
pub mod pages;
pub mod search_box;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;
