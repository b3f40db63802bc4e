//! The catalogue: products, categories, collections and the storefront pages that show them.

pub mod api;
#[cfg(feature = "ssr")]
pub mod cache;
pub mod components;
#[cfg(feature = "ssr")]
pub mod csv;
#[cfg(feature = "ssr")]
pub mod facets;
pub mod images;
#[cfg(feature = "ssr")]
pub mod manage;
pub mod pages;
pub mod search_box;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod taxonomy;
pub mod types;
