//! Builds the application: database, Redis, sessions, routes and middleware. Tests call
//! [`Application::build`] with port 0 to run the real server.

use super::{
    clock::{Clock, SystemClock},
    config::Config,
    health,
    jobs::JobRegistry,
    mail::Mailer,
    sms::{self, SmsProvider},
    state::AppState,
};
use crate::app::{shell, App};
use anyhow::Context;
use axum::{
    http::{header, HeaderValue, Method},
    routing::{get, MethodRouter},
    Router,
};
use fred::prelude::{Builder as RedisBuilder, ClientLike, Config as RedisConfig, ReconnectPolicy};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::{postgres::PgPoolOptions, PgPool};
use std::{sync::Arc, time::Duration};
use tokio::net::TcpListener;
use tower_http::{
    compression::{
        predicate::{NotForContentType, Predicate, SizeAbove},
        CompressionLayer, CompressionLevel,
    },
    services::ServeDir,
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};
use tower_sessions::{cookie::SameSite, Expiry, SessionManagerLayer};
use tower_sessions_redis_store::RedisStore;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub async fn connect_database(config: &Config) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(config.database_max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect(config.database_url.expose())
        .await
        .context("cannot connect to PostgreSQL (DATABASE_URL)")
}

pub async fn migrate(db: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(db).await.context("applying database migrations")
}

/// A Redis pool that keeps reconnecting forever and fails commands fast while Redis is
/// away, so pages degrade to an error message instead of hanging.
pub async fn connect_redis(config: &Config) -> anyhow::Result<fred::prelude::Pool> {
    let redis_config = RedisConfig::from_url(config.redis_url.expose()).context("REDIS_URL is not a valid Redis URL")?;
    let pool = RedisBuilder::from_config(redis_config)
        .with_performance_config(|p| p.default_command_timeout = Duration::from_secs(2))
        .with_connection_config(|c| {
            c.connection_timeout = Duration::from_secs(2);
            c.max_command_attempts = 2;
        })
        .set_policy(ReconnectPolicy::new_exponential(0, 100, 5_000, 2))
        .build_pool(4)
        .context("building the Redis pool")?;
    pool.connect();
    if tokio::time::timeout(Duration::from_secs(5), pool.wait_for_connect()).await.is_err() {
        tracing::warn!("Redis is not reachable yet; sessions fail until it answers");
    }
    Ok(pool)
}

pub fn leptos_options() -> anyhow::Result<LeptosOptions> {
    // Leptos.toml holds the runtime defaults; cargo-leptos and LEPTOS_* variables override.
    let conf = get_configuration(Some("Leptos.toml")).context("reading Leptos.toml")?;
    Ok(conf.leptos_options)
}

/// A route beside the pages, the server functions, the dashboard's files and the static
/// directories: its path as axum writes it, the methods it answers, its handler. The route
/// walks in tests/hardening.rs read this list, so a route added here is checked too.
pub struct PlainRoute {
    pub path: &'static str,
    pub methods: Vec<Method>,
    pub route: MethodRouter<AppState>,
}

pub fn plain_routes() -> Vec<PlainRoute> {
    use axum::{extract::DefaultBodyLimit, routing::post};
    let plain = |path, methods: &[Method], route| PlainRoute { path, methods: methods.to_vec(), route };
    let (get_only, post_only, both) = (&[Method::GET][..], &[Method::POST][..], &[Method::GET, Method::POST][..]);
    vec![
        plain("/healthz", get_only, get(health::healthz)),
        plain("/readyz", get_only, get(health::readyz)),
        plain("/robots.txt", get_only, get(crate::seo::robots)),
        plain("/sitemap.xml", get_only, get(crate::seo::sitemap_index)),
        plain("/sitemaps/{file}", get_only, get(crate::seo::sitemap_file)),
        plain("/b/{id}", get_only, get(crate::seo::banner_click)),
        plain(super::guard::NEWSLETTER_ONE_CLICK_PATH, both, get(crate::newsletter::server::one_click_page).post(crate::newsletter::server::one_click)),
        plain(
            crate::account::PICTURE_PATH,
            post_only,
            post(crate::account::server::upload_picture).layer(DefaultBodyLimit::max(super::guard::MAX_UPLOAD_BODY)),
        ),
        plain(crate::account::EXPORT_DOWNLOAD_PATH, post_only, post(crate::account::server::download_export)),
        plain(
            super::guard::NOTIFICATIONS_ONE_CLICK_PATH,
            both,
            get(crate::notifications::server::one_click_page).post(crate::notifications::server::one_click),
        ),
        plain("/auth/oauth/{provider}/start", get_only, get(crate::auth::server::oauth::start)),
        plain("/auth/oauth/{provider}/callback", get_only, get(crate::auth::server::oauth::callback)),
        plain(super::guard::STRIPE_WEBHOOK_PATH, post_only, post(crate::payments::server::webhook)),
    ]
}

pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let routes = generate_route_list(App);
    let sessions = SessionManagerLayer::new(RedisStore::new(state.redis.clone()))
        .with_name(super::session::SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.site_is_https())
        .with_expiry(Expiry::OnInactivity(tower_sessions::cookie::time::Duration::minutes(
            config.session_idle_minutes,
        )));
    let media = Router::new()
        .fallback_service(ServeDir::new(&config.media_dir))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ));

    // The built assets, with the .br/.gz files a release build made beside them (see
    // scripts/start) sent as they are to browsers that accept them. Names that carry a
    // content hash never change meaning, so browsers keep them for a year without asking.
    let pkg_dir = std::path::Path::new(state.leptos_options.site_root.as_ref()).join(state.leptos_options.site_pkg_dir.as_ref());
    let pkg_cache = if state.leptos_options.hash_files { "public, max-age=31536000, immutable" } else { "public, max-age=3600, must-revalidate" };
    let pkg = Router::new()
        .fallback_service(ServeDir::new(pkg_dir).precompressed_br().precompressed_gzip())
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static(pkg_cache)));
    let pkg_path = format!("/{}", state.leptos_options.site_pkg_dir);

    // HSTS only makes sense (and is only honoured) when the site is served over TLS.
    let hsts = config.site_is_https().then(|| header_default(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"));

    let mut router = Router::new();
    for handler in crate::admin::handlers() {
        router = router.route(handler.path, handler.route);
    }
    for plain in plain_routes() {
        router = router.route(plain.path, plain.route);
    }
    router
        .nest("/media", media)
        .nest(&pkg_path, pkg)
        .leptos_routes_with_context(&state, routes, use_csp_nonce, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(use_csp_nonce, shell))
        .layer(axum::middleware::from_fn_with_state(state.clone(), super::activity::track))
        .layer(sessions)
        // Public writes and searches over their ceiling are refused before a session is read.
        .layer(axum::middleware::from_fn_with_state(state.clone(), super::limits::public_writes))
        // Outside the sessions: a page whose rendering started one (a Set-Cookie) is not kept.
        .layer(axum::middleware::from_fn_with_state(state.pages.clone(), super::page_cache::serve))
        .layer(axum::middleware::map_response(cache_static))
        .layer(header_default(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header_default(header::REFERRER_POLICY, "strict-origin-when-cross-origin"))
        .layer(header_default(header::X_FRAME_OPTIONS, "DENY"))
        .layer(axum::middleware::from_fn_with_state(state.clone(), super::guard::guard))
        .layer(tower::util::option_layer(hsts))
        .layer(compression())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Pages, server-function answers and assets without a precompressed copy, in brotli or
/// gzip as the browser accepts. The fastest level: at level 4 brotli cost more CPU than
/// rendering a page (measured with bench/run.sh), and level 1 still shrinks HTML about five
/// times. WebAssembly is left alone: a release build ships it precompressed, and a debug
/// build's is too large to squeeze on every request.
fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .quality(CompressionLevel::Precise(1))
        .compress_when(
            SizeAbove::new(256)
                .and(NotForContentType::GRPC)
                .and(NotForContentType::IMAGES)
                .and(NotForContentType::const_new("application/wasm")),
        )
}

/// Leptos puts a nonce on every inline script it writes; make it the one the request guard
/// put in this response's Content-Security-Policy.
fn use_csp_nonce() {
    let nonce = use_context::<axum::http::request::Parts>().and_then(|parts| parts.extensions.get::<super::csp::CspNonce>().cloned());
    if let Some(nonce) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
}

fn header_default(name: header::HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// The shared state for a configuration and an already migrated database.
pub async fn app_state(config: Config, db: PgPool, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    let redis = connect_redis(&config).await?;
    let mut leptos_options = leptos_options()?;
    leptos_options.site_addr = config.listen_addr;
    // Hashed asset names come from the hash file cargo-leptos writes beside the binary; a
    // binary built without it (tests, plain `cargo build`) links the plain names.
    leptos_options.hash_files &= std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(leptos_options.hash_file.as_ref())))
        .is_some_and(|path| path.exists());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        // OAuth token endpoints must not redirect (the oauth2 crate's advice against SSRF).
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("building the HTTP client")?;
    let mailer = Arc::new(Mailer::from_config(&config)?);
    let sms: Arc<dyn SmsProvider> = Arc::from(sms::from_config(&config, http.clone())?);
    let stripe = config.stripe.as_ref().map(crate::payments::stripe::client).transpose()?;
    let jobs = Arc::new(job_registry());
    let media = crate::media::store::from_config(&config)?;
    let catalog = Arc::new(crate::catalog::cache::CatalogCache::new(config.catalog_cache_mb));
    let pages = Arc::new(super::page_cache::PageCache::new(config.page_cache_mb, catalog.clone(), clock.clone()));
    Ok(AppState { leptos_options, db, redis, config: Arc::new(config), clock, mailer, sms, http, stripe, worker: Arc::default(), jobs, media, catalog, pages })
}

/// Every domain's background work: the queue itself knows none of it.
pub fn job_registry() -> JobRegistry<AppState> {
    let mut jobs = JobRegistry::default();
    crate::orders::jobs::register(&mut jobs);
    crate::payments::server::register_jobs(&mut jobs);
    crate::newsletter::server::register_jobs(&mut jobs);
    crate::notifications::server::register(&mut jobs);
    crate::account::server::register(&mut jobs);
    jobs
}

/// Pages carry per-visitor content (cart count, sign-in state) and are never shared by
/// caches; built assets and media set their own lifetimes.
async fn cache_static(request_path: axum::extract::OriginalUri, mut response: axum::response::Response) -> axum::response::Response {
    let path = request_path.path();
    let sets_its_own = ["/pkg/", "/media/", "/sitemap"].iter().any(|p| path.starts_with(p)) || path == "/robots.txt";
    if !sets_its_own {
        response.headers_mut().entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("private, no-cache"));
    }
    response
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let db = connect_database(&config).await?;
        migrate(&db).await?;
        let listener = TcpListener::bind(config.listen_addr)
            .await
            .with_context(|| format!("cannot listen on {} (LISTEN_ADDR)", config.listen_addr))?;
        let state = app_state(config, db, Arc::new(SystemClock)).await?;
        Ok(Self { listener, router: router(state.clone()), state })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    /// Serves until SIGTERM or Ctrl-C, then stops accepting, lets the requests in flight and
    /// the job in hand finish within the grace period (`SHUTDOWN_GRACE_SECONDS`), hands a job
    /// still running back to the queue and returns.
    pub async fn serve(self) -> anyhow::Result<()> {
        tracing::info!(addr = %self.listener.local_addr()?, "Larkspur is serving");
        let state = self.state;
        super::jobs::spawn_worker(state.clone());
        crate::catalog::cache::spawn_listener(state.db.clone(), state.catalog.clone());
        let (stop, stopping) = tokio::sync::watch::channel(None::<tokio::time::Instant>);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop.send(Some(tokio::time::Instant::now()));
        });
        let signalled = |mut rx: tokio::sync::watch::Receiver<Option<tokio::time::Instant>>| async move {
            rx.wait_for(Option::is_some).await.ok().and_then(|at| *at).unwrap_or_else(tokio::time::Instant::now)
        };
        let grace = state.config.shutdown_grace;
        let server = axum::serve(self.listener, self.router.into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown({
                let stopping = stopping.clone();
                async move {
                    signalled(stopping).await;
                }
            });
        let deadline = async { tokio::time::sleep_until(signalled(stopping.clone()).await + grace).await };
        tokio::select! {
            served = server => served.context("server error")?,
            () = deadline => tracing::warn!(seconds = grace.as_secs(), "requests still running after the grace period; closing them"),
        }
        state.worker.stop();
        let until = signalled(stopping).await + grace;
        while state.worker.in_hand().is_some() && tokio::time::Instant::now() < until {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        match super::jobs::release_in_hand(&state).await {
            Ok(Some(job)) => tracing::warn!(%job, "a job still running at shutdown was handed back to the queue"),
            Ok(None) => {}
            Err(err) => tracing::error!(error = %err, "could not hand the running job back; its lease will run out"),
        }
        tracing::info!("stopped");
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut sig) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            sig.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}
