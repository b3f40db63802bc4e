//! Payments: offline methods (cash on delivery, bank transfer) and cards through Stripe's
//! hosted Checkout. An order becomes paid only from a verified Stripe event, never from a
//! browser redirect.

pub mod api;
#[cfg(feature = "ssr")]
pub mod jobs;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod stripe;
