//! Test harness: the real router over a fresh database, the real Redis, a clock the test
//! controls, and a browser-like client that keeps cookies.
#![allow(dead_code)]

pub mod shop;

use axum::{
    body::{to_bytes, Body},
    http::{header, Request, StatusCode},
    Router,
};
use chrono::{TimeZone, Utc};
use larkspur::{
    seed,
    server::{clock::ManualClock, config::Config, startup},
};
use sqlx::PgPool;
use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, Mutex},
};
use tower::ServiceExt;

pub const DESKTOP_UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
pub const PHONE_UA: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

pub struct TestApp {
    pub router: Router,
    pub db: PgPool,
    pub clock: Arc<ManualClock>,
    pub outbox: PathBuf,
    pub state: larkspur::server::state::AppState,
}

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

pub async fn spawn(db: PgPool) -> TestApp {
    spawn_with(db, &redis_url()).await
}

pub async fn spawn_with(db: PgPool, redis_url: &str) -> TestApp {
    spawn_configured(db, redis_url, &[]).await
}

/// The app with extra configuration (e.g. OAuth providers pointed at a local server).
pub async fn spawn_configured(db: PgPool, redis_url: &str, extra: &[(&str, &str)]) -> TestApp {
    larkspur::server::telemetry::init(larkspur::server::config::LogFormat::Pretty);
    let scratch = std::env::temp_dir().join(format!("larkspur-test-{}", uuid::Uuid::now_v7()));
    let media = std::env::temp_dir().join("larkspur-test-media");
    let outbox = scratch.join("outbox");
    let prefix = format!("test-{}:", uuid::Uuid::now_v7());
    let (media_s, outbox_s) = (media.to_string_lossy().into_owned(), outbox.to_string_lossy().into_owned());
    let vars = HashMap::from([
        ("DATABASE_URL", "postgres://unused-by-these-tests/db"),
        ("REDIS_URL", redis_url),
        ("MEDIA_DIR", media_s.as_str()),
        ("OUTBOX_DIR", outbox_s.as_str()),
        ("AUTH_SECRET", "test-secret-test-secret-test-secret!"),
        ("GOOGLE_CLIENT_ID", "larkspur-test"),
        ("GOOGLE_CLIENT_SECRET", "not-a-real-secret"),
        // Tests run side by side on one Redis: each keeps its counters to itself.
        ("REDIS_KEY_PREFIX", prefix.as_str()),
    ]);
    let mut vars = vars;
    // Every request of a test comes from one (unknown) address at one moment of the test
    // clock: the per-client write ceilings are raised, as for the benchmark, and
    // tests/security.rs checks them at their defaults.
    for group in larkspur::server::public_writes::WriteGroup::ALL {
        vars.insert(group.env(), "100000");
    }
    vars.extend(extra.iter().copied());
    let config = Config::from_map(&vars).expect("test config");
    seed::demo_store(&db, &config).await.expect("seeding the demo store");
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()));
    let state = startup::app_state(config, db.clone(), clock.clone()).await.expect("app state");
    TestApp { router: startup::router(state.clone()), db, clock, outbox, state }
}

/// The app's catalogue cache listening for changes, as `serve` makes it. The listener stops
/// when this is dropped, so the test's database can be dropped after it.
pub struct Listening(tokio::task::JoinHandle<()>);

impl Drop for Listening {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub async fn listening(app: &TestApp) -> Listening {
    let listener = Listening(larkspur::catalog::cache::spawn_listener(app.db.clone(), app.state.catalog.clone()));
    for _ in 0..100 {
        if app.state.catalog.is_listening() {
            return listener;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the catalogue listener did not start");
}

impl TestApp {
    pub fn clock_now(&self) -> chrono::DateTime<Utc> {
        use larkspur::server::clock::Clock;
        self.clock.now()
    }
}

pub struct Response {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
    /// The body as it came (a file download).
    pub bytes: Vec<u8>,
    pub set_cookies: Vec<String>,
    pub headers_location: Option<String>,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn form_body(args: &[(&str, &str)]) -> String {
    args.iter().map(|(k, v)| format!("{k}={}", larkspur::text::url_encode(v))).collect::<Vec<_>>().join("&")
}

/// A browser: its own cookies and user agent.
pub struct Client {
    router: Router,
    pub cookies: Mutex<HashMap<String, String>>,
    user_agent: String,
}

impl Client {
    pub fn new(app: &TestApp) -> Self {
        Self::with_agent(app, DESKTOP_UA)
    }

    pub fn with_agent(app: &TestApp, user_agent: &str) -> Self {
        Self { router: app.router.clone(), cookies: Mutex::new(HashMap::new()), user_agent: user_agent.into() }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().get(name).cloned()
    }

    async fn send(&self, builder: axum::http::request::Builder, body: Body) -> Response {
        let cookie_header = self.cookies.lock().unwrap().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let mut builder = builder.header(header::USER_AGENT, &self.user_agent);
        if !cookie_header.is_empty() {
            builder = builder.header(header::COOKIE, cookie_header);
        }
        let response = self.router.clone().oneshot(builder.body(body).unwrap()).await.expect("router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let headers_location = response.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
        let set_cookies: Vec<String> = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        {
            let mut jar = self.cookies.lock().unwrap();
            for cookie in &set_cookies {
                let pair = cookie.split(';').next().unwrap();
                let (name, value) = pair.split_once('=').unwrap();
                if cookie.contains("Max-Age=0") || value.is_empty() {
                    jar.remove(name);
                } else {
                    jar.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        let bytes = to_bytes(response.into_body(), usize::MAX).await.expect("body");
        Response { status, headers, body: String::from_utf8_lossy(&bytes).into_owned(), bytes: bytes.to_vec(), set_cookies, headers_location }
    }

    pub async fn get(&self, uri: &str) -> Response {
        self.send(Request::get(uri), Body::empty()).await
    }

    /// Calls a server function the way the hydrated page does.
    pub async fn call(&self, endpoint: &str, args: &[(&str, &str)]) -> Response {
        let body = form_body(args);
        let builder = Request::post(format!("/api/{endpoint}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        self.send(builder, Body::from(body)).await
    }

    /// Any request, with extra headers (cross-site checks, odd bodies).
    pub async fn request(&self, builder: axum::http::request::Builder, body: Body) -> Response {
        self.send(builder, body).await
    }

    /// Posts a form the way a browser without JavaScript does (it wants a page back).
    pub async fn post_form(&self, endpoint: &str, args: &[(&str, &str)], referer: &str) -> Response {
        let body = form_body(args);
        let builder = Request::post(format!("/api/{endpoint}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::REFERER, referer)
            .header(header::ORIGIN, "http://127.0.0.1:3000");
        self.send(builder, Body::from(body)).await
    }

    pub async fn accept_cookies(&self) {
        let res = self.call("consent/save", &[("analytics", "true"), ("marketing", "true")]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
}

/// Messages in the outbox, oldest first, with quoted-printable soft breaks undone.
pub fn outbox_messages(app: &TestApp) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(&app.outbox)
        .map(|dir| dir.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "eml")).collect())
        .unwrap_or_default();
    files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).unwrap());
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap().replace("=\r\n", "").replace("=3D", "="))
        .collect()
}

pub fn latest_message_to(app: &TestApp, to: &str) -> String {
    outbox_messages(app).into_iter().rev().find(|m| m.contains(&format!("To: {to}"))).unwrap_or_else(|| panic!("no mail to {to}"))
}

/// The six-digit code from the newest email to `to` ("… code is 123456").
pub fn latest_email_code(app: &TestApp, to: &str) -> String {
    let message = latest_message_to(app, to);
    let start = message.find("code is ").expect("a code in the message") + "code is ".len();
    message[start..start + 6].to_owned()
}

/// The `token` of the newest link emailed to `to`.
pub fn latest_email_token(app: &TestApp, to: &str) -> String {
    let message = latest_message_to(app, to);
    let start = message.find("token=").expect("a link with a token") + "token=".len();
    message[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

/// The six-digit code from the newest text message to `phone`.
pub fn latest_sms_code(app: &TestApp, phone: &str) -> String {
    let dir = app.outbox.join("sms");
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().filter_map(Result::ok).map(|e| e.path()).collect();
    files.sort();
    let text = files.iter().rev().map(|p| std::fs::read_to_string(p).unwrap()).find(|t| t.contains(&format!("To: {phone}"))).expect("sms");
    let start = text.find("code is ").unwrap() + "code is ".len();
    text[start..start + 6].to_owned()
}

pub async fn create_user(db: &PgPool, email: &str, password: &str, role: &str) -> uuid::Uuid {
    let hash = larkspur::auth::server::hash_password(password).unwrap();
    sqlx::query_scalar("insert into users (email, email_verified_at, name, password_hash, role) values ($1, now(), 'Test Person', $2, $3) returning id")
        .bind(email)
        .bind(hash)
        .bind(role)
        .fetch_one(db)
        .await
        .unwrap()
}

/// Signs `browser` in with a password. A staff account's second step is answered with the
/// code emailed to it, as a staff member without an authenticator app would.
pub async fn password_sign_in(app: &TestApp, browser: &Client, email: &str, password: &str, next: &str) -> Response {
    let res = browser.call("auth/sign-in/password", &[("email", email), ("password", password), ("next", next)]).await;
    if res.status != StatusCode::OK || !res.body.contains("/sign-in/second-factor") {
        return res;
    }
    let code = latest_email_code(app, email);
    browser.call("auth/second-factor/verify", &[("code", &code)]).await
}

/// Someone signed in with a password in a fresh browser (staff through their second step).
#[allow(dead_code)]
pub async fn signed_in_as(app: &TestApp, email: &str, password: &str) -> Client {
    let browser = Client::new(app);
    let res = password_sign_in(app, &browser, email, password, "/").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    browser
}

/// The demo store's admin, signed in in a fresh browser.
pub async fn admin(app: &TestApp) -> Client {
    signed_in_as(app, seed::ADMIN_EMAIL, seed::ADMIN_PASSWORD).await
}
