//! Larkspur: a server-rendered web store. The same crate builds the server (`ssr`) and the
//! browser bundle (`hydrate`); in the browser only `#[island]` components come alive.
#![recursion_limit = "256"]
// Database rows are read as tuples next to their query, where a named type would only move
// the column list away from the SQL that fills it.
#![allow(clippy::type_complexity)]

pub mod account;
pub mod admin;
pub mod analytics;
pub mod app;
pub mod audit;
pub mod auth;
pub mod banners;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod cms;
pub mod consent;
pub mod coupons;
pub mod enums;
pub mod error;
pub mod forms;
pub mod layouts;
pub mod media;
pub mod money;
pub mod newsletter;
pub mod notifications;
pub mod orders;
pub mod payments;
pub mod pricing;
#[cfg(feature = "ssr")]
pub mod response;
pub mod reviews;
/// Demo data for development and benchmarks (server only), loaded by `larkspur seed --demo`.
#[cfg(feature = "ssr")]
pub mod seed;
#[cfg(feature = "ssr")]
pub mod seo;
#[cfg(feature = "ssr")]
pub mod server;
pub mod text;
pub mod ui;
pub mod wishlist;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
