//! The real router against a fresh database (one per test) and the real Redis.
#![cfg(feature = "ssr")]

mod support;

use axum::{
    body::Body,
    http::{header, Request, StatusCode},
    Router,
};
use larkspur::server::seed;
use sqlx::PgPool;
use support::{spawn, spawn_with};
use tower::ServiceExt;

async fn app(db: PgPool) -> Router {
    spawn(db).await.router
}

async fn app_with(db: PgPool, redis_url: &str) -> Router {
    spawn_with(db, redis_url).await.router
}

/// A plain request (no cookies) through the router.
async fn send(app: &Router, request: Request<Body>) -> support::Response {
    let response = app.clone().oneshot(request).await.expect("router is infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    support::Response { status, headers, body: String::from_utf8_lossy(&bytes).into_owned(), set_cookies: Vec::new(), headers_location: None }
}

async fn get(app: &Router, uri: &str) -> support::Response {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

#[sqlx::test(migrations = "./migrations")]
async fn home_page_is_rendered_on_the_server_with_products(db: PgPool) {
    let app = app(db.clone()).await;
    let newest: String = sqlx::query_scalar("select name from products order by created_at desc limit 1")
        .fetch_one(&db).await.unwrap();
    let res = get(&app, "/").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains(&newest), "newest product `{newest}` is in the HTML");
    assert!(res.body.contains("<title>Larkspur"), "page has a title");
    assert!(res.body.contains("Show more"), "the new-arrivals island is rendered");
    assert!(res.body.contains("<leptos-island"), "islands are marked for hydration");
}

#[sqlx::test(migrations = "./migrations")]
async fn unknown_url_answers_404_with_the_404_page(db: PgPool) {
    let app = app(db).await;
    let res = get(&app, "/no/such/page").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(res.body.contains("Page not found"));
    assert!(res.body.contains("Back to the shop"));
}

#[sqlx::test(migrations = "./migrations")]
async fn health_and_readiness(db: PgPool) {
    let app = app(db).await;
    let res = get(&app, "/healthz").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body, r#"{"status":"ok"}"#);
    let res = get(&app, "/readyz").await;
    assert_eq!(res.status, StatusCode::OK);
    let body: serde_json::Value = serde_json::from_str(&res.body).unwrap();
    assert_eq!(body["checks"]["postgres"], "ok");
    assert_eq!(body["checks"]["redis"], "ok");
}

#[sqlx::test(migrations = "./migrations")]
async fn server_function_pages_through_new_arrivals(db: PgPool) {
    let app = app(db).await;
    let request = |offset: &str| {
        Request::post("/api/catalog/new-arrivals")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .body(Body::from(format!("offset={offset}")))
            .unwrap()
    };
    let res = send(&app, request("8")).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let page: Vec<serde_json::Value> = serde_json::from_str(&res.body).unwrap();
    assert_eq!(page.len(), 8);
    let res = send(&app, request("-1")).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "validation errors are 422");
    assert!(res.body.contains("Offset must be between"));
}

#[sqlx::test(migrations = "./migrations")]
async fn admin_requires_a_signed_in_staff_member(db: PgPool) {
    let app = app(db).await;
    let res = get(&app, "/admin").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(res.body.contains("Please sign in"));
    let res = send(&app, Request::post("/api/admin/overview").body(Body::empty()).unwrap()).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "./migrations")]
async fn responses_carry_security_headers(db: PgPool) {
    let app = app(db).await;
    let response = app.clone().oneshot(Request::get("/").body(Body::empty()).unwrap()).await.unwrap();
    let headers = response.headers();
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    assert!(headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("frame-ancestors 'none'"));
}

#[sqlx::test(migrations = "./migrations")]
async fn store_keeps_serving_while_redis_is_down(db: PgPool) {
    // Nothing listens on port 1: every Redis command fails fast.
    let app = app_with(db, "redis://127.0.0.1:1").await;
    let res = get(&app, "/").await;
    assert_eq!(res.status, StatusCode::OK, "pages that don't need the session still render");
    assert!(res.body.contains("New arrivals"));
    let res = get(&app, "/readyz").await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.body.contains(r#""redis":"unavailable""#));
    // A returning visitor's session cookie makes the page read Redis.
    let returning = Request::get("/admin")
        .header(header::COOKIE, "larkspur_session=AAAAAAAAAAAAAAAAAAAAAA")
        .body(Body::empty())
        .unwrap();
    let res = send(&app, returning).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "session-dependent pages explain the outage");
    assert!(res.body.contains("right back"));
}

#[sqlx::test(migrations = "./migrations")]
async fn seeding_twice_changes_nothing(db: PgPool) {
    let media = std::env::temp_dir().join("larkspur-test-media");
    seed::demo_store(&db, &media).await.unwrap();
    let count = || sqlx::query_scalar::<_, i64>("select (select count(*) from products) + (select count(*) from product_sizes) + (select count(*) from users)").fetch_one(&db);
    let first = count().await.unwrap();
    seed::demo_store(&db, &media).await.unwrap();
    assert_eq!(count().await.unwrap(), first);
    let products: i64 = sqlx::query_scalar("select count(*) from products").fetch_one(&db).await.unwrap();
    let categories: i64 = sqlx::query_scalar("select count(*) from categories").fetch_one(&db).await.unwrap();
    assert!(products >= 60 && categories >= 6);
    let added = seed::bulk_products(&db, 200).await.unwrap();
    assert_eq!(added, 200 - products as u64);
    assert_eq!(seed::bulk_products(&db, 200).await.unwrap(), 0, "bulk seeding is idempotent too");
    let orphans: i64 = sqlx::query_scalar(
        "select count(*) from products p where not exists (select 1 from product_colours pc where pc.product_id = p.id)",
    ).fetch_one(&db).await.unwrap();
    assert_eq!(orphans, 0, "every product has colours");
}

/// A private Redis on its own port, so the test can stop and restart it.
struct OwnRedis {
    port: u16,
    child: std::process::Child,
}

impl OwnRedis {
    fn start(port: u16) -> Self {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is installed by scripts/bootstrap.sh");
        Self { port, child }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn ready_status(app: &Router) -> StatusCode {
    get(app, "/readyz").await.status
}

#[sqlx::test(migrations = "./migrations")]
async fn store_recovers_when_redis_returns(db: PgPool) {
    let port = 16_379 + (std::process::id() % 1000) as u16;
    let mut redis = OwnRedis::start(port);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let app = app_with(db, &format!("redis://127.0.0.1:{}", redis.port)).await;
    assert_eq!(ready_status(&app).await, StatusCode::OK);

    redis.stop();
    assert_eq!(ready_status(&app).await, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(get(&app, "/").await.status, StatusCode::OK, "pages keep rendering during the outage");

    let _redis = OwnRedis::start(port);
    let mut recovered = false;
    for _ in 0..50 {
        if ready_status(&app).await == StatusCode::OK {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(recovered, "the Redis pool reconnects by itself");
}
