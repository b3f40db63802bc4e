//! Orders: what was bought, at what price, where it goes, and where it stands.

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod emails;
#[cfg(feature = "ssr")]
pub mod jobs;
#[cfg(feature = "ssr")]
pub mod manage;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;

pub use types::*;
