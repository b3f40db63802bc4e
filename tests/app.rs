//! The real router against a fresh database (one per test) and the real Redis.
#![cfg(feature = "ssr")]

mod support;

use axum::{
    body::Body,
    http::{header, Request, StatusCode},
    Router,
};
use larkspur::seed;
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
    support::Response { status, headers, body: String::from_utf8_lossy(&bytes).into_owned(), bytes: bytes.to_vec(), set_cookies: Vec::new(), headers_location: None }
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
    // Islands hydrate when the browser is idle; nothing asks for the bundle before then
    // (a preload would put it before the first paint).
    assert!(res.body.contains("requestIdleCallback(hydrate)") && res.body.contains("larkspur_bg.wasm"), "the hydration script names the bundle");
    assert!(!res.body.contains("rel=\"preload\"") && !res.body.contains("rel=\"modulepreload\""), "no preload of the bundle");
}

/// The raw answer to `uri` asked for with `Accept-Encoding: encoding`.
async fn get_encoded(app: &Router, uri: &str, encoding: &str) -> (axum::http::HeaderMap, Vec<u8>) {
    let request = Request::get(uri).header(header::ACCEPT_ENCODING, encoding).body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let headers = response.headers().clone();
    (headers, axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec())
}

#[sqlx::test(migrations = "./migrations")]
async fn pages_go_out_compressed_as_the_browser_accepts(db: PgPool) {
    use std::io::Read;
    let app = app(db).await;
    let (plain_headers, plain) = get_encoded(&app, "/", "identity").await;
    assert!(plain_headers.get(header::CONTENT_ENCODING).is_none());
    let plain = String::from_utf8(plain).unwrap();
    // The cookie question is in the HTML itself, readable before any script runs.
    assert!(plain.contains("data-testid=\"consent-banner\""));
    assert_eq!(plain_headers[header::CACHE_CONTROL], "private, no-cache", "pages are never shared by caches");

    let (headers, body) = get_encoded(&app, "/", "gzip, deflate, br").await;
    assert_eq!(headers[header::CONTENT_ENCODING], "br", "brotli when offered");
    assert!(body.len() * 3 < plain.len(), "{} bytes compressed from {}", body.len(), plain.len());
    let mut unpacked = String::new();
    brotli::Decompressor::new(body.as_slice(), 4096).read_to_string(&mut unpacked).unwrap();
    assert!(unpacked.contains("<title>Larkspur") && unpacked.contains("</html>"));

    let (headers, body) = get_encoded(&app, "/c/hoodies", "gzip").await;
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    let mut unpacked = String::new();
    flate2::read::GzDecoder::new(body.as_slice()).read_to_string(&mut unpacked).unwrap();
    assert!(unpacked.contains("Hoodies") && unpacked.contains("</html>"));

    // Server-function answers are compressed too.
    let request = Request::post("/api/catalog/new-arrivals")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::from("offset=0"))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
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
    let vars = std::collections::HashMap::from([
        ("DATABASE_URL", "postgres://unused-by-this-test/db"),
        ("REDIS_URL", "redis://unused-by-this-test"),
        ("MEDIA_DIR", media.to_str().unwrap()),
        ("AUTH_SECRET", "test-secret-test-secret-test-secret!"),
        ("DELIVERY_STANDARD_MINOR", "450"),
    ]);
    let config = larkspur::server::config::Config::from_map(&vars).unwrap();
    seed::demo_store(&db, &config).await.unwrap();
    let count = || {
        sqlx::query_scalar::<_, i64>(
            "select (select count(*) from products) + (select count(*) from product_sizes) + (select count(*) from users)
                  + (select count(*) from orders) + (select count(*) from reviews)",
        )
        .fetch_one(&db)
    };
    let first = count().await.unwrap();
    seed::demo_store(&db, &config).await.unwrap();
    assert_eq!(count().await.unwrap(), first);
    // Demo orders went through the store's own checkout and state machine.
    let one = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(&db);
    assert_eq!(one("select count(*) from orders where status = 'delivered'").await.unwrap(), 24);
    assert_eq!(one("select count(*) from orders where shipping_minor not in (0, 450)").await.unwrap(), 0, "the configured delivery price");
    assert_eq!(one("select count(*) from order_status_history").await.unwrap(), 24 * 5, "placed, paid, processing, shipped, delivered");
    assert_eq!(one("select count(*) from jobs where done_at is null").await.unwrap(), 0, "demo orders mail nobody");
    assert_eq!(
        one("select count(*) from products p where sold_count <> coalesce((select sum(quantity) from order_items i where i.product_id = p.id), 0)")
            .await
            .unwrap(),
        0,
        "sold counts kept by the state machine"
    );
    assert_eq!(
        one("select count(*) from products p where rating_count <> (select count(*) from reviews r where r.product_id = p.id and r.status = 'approved')")
            .await
            .unwrap(),
        0
    );
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

// --- The job queue: each job its own lease; panics, exhausted jobs, the worker's health ---

use larkspur::{
    orders::server::{OrderEmail, OrderEmailJob},
    server::{
        jobs::{self, Queued},
        state::AppState,
    },
};
use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc, Mutex,
};
use uuid::Uuid;

/// `n` order-email jobs due now, oldest first; returns their order ids in that order.
async fn queue_jobs(app: &support::TestApp, n: usize) -> Vec<Uuid> {
    let mut conn = app.db.acquire().await.unwrap();
    let mut orders = Vec::new();
    for i in 0..n {
        let order_id = Uuid::now_v7();
        let due = app.clock_now() - chrono::Duration::seconds((n - i) as i64);
        jobs::enqueue(&mut conn, OrderEmailJob { order_id, event: OrderEmail::Paid }, due).await.unwrap();
        orders.push(order_id);
    }
    orders
}

async fn takes_the_worker_down() -> anyhow::Result<()> {
    panic!("takes the worker down")
}

fn order_of(job: &Queued) -> Uuid {
    match job.read::<OrderEmailJob>() {
        Ok(job) => job.order_id,
        Err(e) => panic!("unexpected job {job:?}: {e}"),
    }
}

/// attempts, last_error, waiting for a retry, done, failed — of the job for `order`.
async fn job_row(db: &PgPool, order: Uuid, now: chrono::DateTime<chrono::Utc>) -> (i32, Option<String>, bool, bool, bool) {
    sqlx::query_as(
        "select attempts, last_error, run_at > $2, done_at is not null, failed_at is not null
         from jobs where payload->'payload'->>'order_id' = $1::text",
    )
    .bind(order)
    .bind(now)
    .fetch_one(db)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn a_panicking_job_is_a_failed_attempt_and_the_next_job_still_runs(db: PgPool) {
    let app = spawn(db).await;
    let orders = queue_jobs(&app, 2).await;
    let ran = Arc::new(Mutex::new(Vec::new()));
    let (first, record) = (orders[0], ran.clone());
    let count = jobs::run_due_with(&app.state, move |_, job| {
        let record = record.clone();
        async move {
            let order = order_of(&job);
            if order == first {
                panic!("the mailer fell over");
            }
            record.lock().unwrap().push(order);
            anyhow::Ok(())
        }
    })
    .await
    .expect("a panicking job does not stop the run");
    assert_eq!(count, 2);
    assert_eq!(*ran.lock().unwrap(), vec![orders[1]], "the job after the panic ran");
    let (attempts, error, waiting, done, failed) = job_row(&app.db, first, app.clock_now()).await;
    assert_eq!(attempts, 1);
    assert!(error.as_deref().is_some_and(|e| e.contains("panicked") && e.contains("the mailer fell over")), "{error:?}");
    assert!(waiting && !done && !failed, "retried later, like any failure");
    let (_, _, _, done, _) = job_row(&app.db, orders[1], app.clock_now()).await;
    assert!(done);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_job_out_of_attempts_is_parked_and_never_claimed_again(db: PgPool) {
    let app = spawn(db).await;
    // Its worker died during the last attempt: nothing recorded but the claim's attempt.
    let crashed = Uuid::now_v7();
    sqlx::query(
        "insert into jobs (kind, payload, run_at, attempts, max_attempts, last_error)
         values ('order_email', jsonb_build_object('kind', 'order_email', 'payload', jsonb_build_object('order_id', $1::text, 'event', 'Paid')),
                 $2, 3, 3, 'smtp timed out')",
    )
    .bind(crashed)
    .bind(app.clock_now() - chrono::Duration::minutes(6))
    .execute(&app.db)
    .await
    .unwrap();
    assert_eq!(jobs::run_due(&app.state).await.unwrap(), 0, "a job out of attempts is not run again");
    let (attempts, error, _, done, failed) = job_row(&app.db, crashed, app.clock_now()).await;
    assert_eq!((attempts, done, failed), (3, false, true), "parked as failed");
    assert!(error.as_deref().is_some_and(|e| e.contains("never finished") && e.contains("smtp timed out")), "{error:?}");

    // A job that panics every time is parked after its last attempt.
    let orders = queue_jobs(&app, 1).await;
    sqlx::query("update jobs set max_attempts = 2 where failed_at is null").execute(&app.db).await.unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let crash = || {
        let runs = runs.clone();
        move |_: AppState, _: Queued| {
            runs.fetch_add(1, Ordering::SeqCst);
            takes_the_worker_down()
        }
    };
    assert_eq!(jobs::run_due_with(&app.state, crash()).await.unwrap(), 1);
    app.clock.advance(jobs::backoff(1));
    assert_eq!(jobs::run_due_with(&app.state, crash()).await.unwrap(), 1);
    let (attempts, _, _, done, failed) = job_row(&app.db, orders[0], app.clock_now()).await;
    assert_eq!((attempts, done, failed), (2, false, true));
    app.clock.advance(chrono::Duration::hours(3));
    assert_eq!(jobs::run_due_with(&app.state, crash()).await.unwrap(), 0, "never claimed again");
    assert_eq!(runs.load(Ordering::SeqCst), 2);

    let failed = jobs::failed(&app.db, 10).await.unwrap();
    assert_eq!(failed.len(), 2, "the dashboard lists both");
    assert!(failed.iter().all(|j| j.kind == "order_email" && j.last_error.is_some()));
}

#[sqlx::test(migrations = "./migrations")]
async fn a_claimed_jobs_lease_covers_only_that_job(db: PgPool) {
    let app = spawn(db).await;
    queue_jobs(&app, 3).await;
    let claimed_while_running = Arc::new(Mutex::new(Vec::new()));
    let record = claimed_while_running.clone();
    let count = jobs::run_due_with(&app.state, move |state, _| {
        let record = record.clone();
        async move {
            let claimed: i64 = sqlx::query_scalar("select count(*) from jobs where attempts > 0 and done_at is null")
                .fetch_one(&state.db)
                .await?;
            record.lock().unwrap().push(claimed);
            anyhow::Ok(())
        }
    })
    .await
    .unwrap();
    assert_eq!(count, 3);
    assert_eq!(*claimed_while_running.lock().unwrap(), vec![1, 1, 1], "jobs waiting their turn are not leased yet");
}

#[sqlx::test(migrations = "./migrations")]
async fn two_workers_with_slow_jobs_never_run_a_job_twice(db: PgPool) {
    let app = spawn(db).await;
    let orders = queue_jobs(&app, 12).await;
    let ran = Arc::new(Mutex::new(Vec::new()));
    // Each job takes a minute of the store's clock (a slow SMTP server): ten of them in
    // a row outlast any one lease.
    let handler = {
        let (clock, ran) = (app.clock.clone(), ran.clone());
        move |_: AppState, job: Queued| {
            let (clock, ran) = (clock.clone(), ran.clone());
            async move {
                clock.advance(chrono::Duration::minutes(1));
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                ran.lock().unwrap().push(order_of(&job));
                anyhow::Ok(())
            }
        }
    };
    let drain = || async {
        for _ in 0..2000 {
            jobs::run_due_with(&app.state, handler.clone()).await.unwrap();
            let left: i64 = sqlx::query_scalar("select count(*) from jobs where done_at is null").fetch_one(&app.db).await.unwrap();
            if left == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        panic!("the queue never drained");
    };
    tokio::join!(drain(), drain());
    let mut ran = ran.lock().unwrap().clone();
    ran.sort();
    let mut expected = orders.clone();
    expected.sort();
    assert_eq!(ran, expected, "every job ran exactly once");
}

#[sqlx::test(migrations = "./migrations")]
async fn readiness_reports_the_job_worker(db: PgPool) {
    let app = spawn(db).await;
    let res = get(&app.router, "/readyz").await;
    assert_eq!(res.status, StatusCode::OK, "no worker in this process is not a failure");
    assert_eq!(res.json()["checks"]["worker"], "not_started");

    // A worker that started, then fell silent.
    app.state.worker.start(app.clock_now());
    assert_eq!(get(&app.router, "/readyz").await.json()["checks"]["worker"], "ok");
    app.clock.advance(chrono::Duration::seconds(31));
    let res = get(&app.router, "/readyz").await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.json()["checks"]["worker"], "stalled");

    // The real worker shows a sign of life every tick.
    jobs::spawn_worker(app.state.clone());
    app.clock.advance(chrono::Duration::seconds(31));
    let mut alive = false;
    for _ in 0..50 {
        let res = get(&app.router, "/readyz").await;
        if res.status == StatusCode::OK && res.json()["checks"]["worker"] == "ok" {
            alive = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(alive, "the worker's heartbeat keeps /readyz ready");
}

// --- Sessions: a session deleted while one of its requests runs stays deleted -------------

#[sqlx::test(migrations = "./migrations")]
async fn a_session_deleted_while_its_request_runs_stays_deleted(db: PgPool) {
    use fred::prelude::KeysInterface;
    let app = spawn(db).await;
    support::create_user(&app.db, "ada@example.com", "correct horse battery", "customer").await;
    let browser = support::Client::new(&app);
    let res = browser.call("auth/sign-in/password", &[("email", "ada@example.com"), ("password", "correct horse battery"), ("next", "/")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // RedisStore keys a session by its id alone, the cookie's value.
    let key = browser.cookie("larkspur_session").expect("signed in");
    assert_eq!(app.state.redis.exists::<i64, _>(&key).await.unwrap(), 1);
    // A minute on, the request records activity on its way out, after the page changed the
    // session; hold it there while another tab signs out (here: the key is deleted).
    app.clock.advance(chrono::Duration::minutes(2));
    let mut hold = app.db.begin().await.unwrap();
    sqlx::query("lock table user_sessions in exclusive mode").execute(&mut *hold).await.unwrap();
    let request = browser.call("consent/save", &[("analytics", "true"), ("marketing", "false")]);
    let sign_out_elsewhere = async {
        let mut waiting = false;
        for _ in 0..200 {
            waiting = sqlx::query_scalar(
                "select exists (select 1 from pg_locks
                 where not granted and relation = 'user_sessions'::regclass
                   and database = (select oid from pg_database where datname = current_database()))",
            )
            .fetch_one(&app.db)
            .await
            .unwrap();
            if waiting {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert!(waiting, "the request reached the activity update");
        app.state.redis.del::<(), _>(&key).await.unwrap();
        hold.rollback().await.unwrap();
    };
    let (res, ()) = tokio::join!(request, sign_out_elsewhere);
    assert_eq!(res.status, StatusCode::OK, "the request answers normally: {}", res.body);
    assert_eq!(app.state.redis.exists::<i64, _>(&key).await.unwrap(), 0, "the deleted session is not written back");
    let account = browser.call("account/get", &[]).await;
    assert_eq!(account.status, StatusCode::UNAUTHORIZED, "signed out everywhere: {}", account.body);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_delivery_promise_follows_the_configured_threshold(db: PgPool) {
    let app = support::spawn_configured(db, &support::redis_url(), &[("FREE_DELIVERY_FROM_MINOR", "10000")]).await;
    let home = support::Client::new(&app).get("/").await;
    assert!(home.body.contains("Free shipping on orders over $100.00 · 30-day returns"), "the banner");
    assert!(home.body.contains("Free shipping on orders over $100.00, 30-day returns and secure checkout."), "the footer");
    assert!(!home.body.contains("over $75"));
}

#[sqlx::test(migrations = "./migrations")]
async fn at_shutdown_the_worker_claims_nothing_more_and_hands_back_the_job_it_holds(db: PgPool) {
    let app = spawn(db).await;
    queue_jobs(&app, 2).await;
    // The first job is still running (a slow SMTP server) when the shutdown comes.
    let (started, running) = tokio::sync::oneshot::channel::<()>();
    let started = Arc::new(Mutex::new(Some(started)));
    let state = app.state.clone();
    let worker = tokio::spawn(async move {
        jobs::run_due_with(&state, move |_, _| {
            let started = started.clone();
            async move {
                if let Some(started) = started.lock().unwrap().take() {
                    let _ = started.send(());
                }
                tokio::time::sleep(std::time::Duration::from_secs(600)).await;
                anyhow::Ok(())
            }
        })
        .await
    });
    running.await.unwrap();
    app.state.worker.stop();
    let (held, attempt) = app.state.worker.in_hand().expect("the worker holds the running job");
    assert_eq!(attempt, 1);
    assert_eq!(jobs::release_in_hand(&app.state).await.unwrap(), Some(held));
    worker.abort();

    // Handed back: due at once, the interrupted attempt not counted, no lease to wait out.
    let (attempts, due): (i32, bool) = sqlx::query_as("select attempts, run_at <= $2 from jobs where id = $1")
        .bind(held)
        .bind(app.clock_now())
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!((attempts, due), (0, true));
    assert_eq!(jobs::release_in_hand(&app.state).await.unwrap(), None, "nothing is held any more");
    // A stopping worker claims nothing, though both jobs are due.
    assert_eq!(jobs::run_due(&app.state).await.unwrap(), 0);
    let claimed: i64 = sqlx::query_scalar("select count(*) from jobs where attempts > 0").fetch_one(&app.db).await.unwrap();
    assert_eq!(claimed, 0);
}
