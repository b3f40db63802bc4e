//! Server-only infrastructure: configuration, state, start-up, sessions, health, jobs.

pub mod activity;
pub mod cli;
pub mod client;
pub mod clock;
pub mod config;
pub mod csp;
pub mod ctx;
pub mod guard;
pub mod health;
pub mod heartbeat;
pub mod jobs;
pub mod limits;
pub mod mail;
pub mod multipart;
pub mod page_cache;
pub mod public_writes;
pub mod session;
pub mod sms;
pub mod startup;
pub mod state;
pub mod telemetry;
