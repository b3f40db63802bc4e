use super::{clock::Clock, config::Config, heartbeat::Heartbeat, jobs::registry::JobRegistry, mail::Mailer, sms::SmsProvider};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;
use std::sync::Arc;

/// Everything a request handler or server function may need. Cheap to clone.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: PgPool,
    pub redis: fred::prelude::Pool,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub mailer: Arc<Mailer>,
    pub sms: Arc<dyn SmsProvider>,
    /// Outgoing HTTP (OAuth token exchange, SMS provider); shares connections.
    pub http: reqwest::Client,
    /// The Stripe API client, when card payments are configured.
    pub stripe: Option<stripe::Client>,
    /// The job worker's sign of life, when this process runs one (read by `/readyz`).
    pub worker: Arc<Heartbeat>,
    /// What runs each kind of background job, as the domains registered it.
    pub jobs: Arc<JobRegistry<AppState>>,
    /// Where uploaded images are kept (local disk or an S3-compatible bucket).
    pub media: Arc<dyn crate::media::store::MediaStore>,
    /// The storefront's catalogue reads, kept in memory while this process hears changes.
    pub catalog: Arc<crate::catalog::cache::CatalogCache>,
    /// Whole storefront pages for visitors without a session, kept while nothing on them changed.
    pub pages: Arc<super::page_cache::PageCache>,
}
