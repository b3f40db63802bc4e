//! Walks of the router's own route lists (page routes, server functions, the plain routes
//! and the dashboard's files), so a route added later is checked without anyone listing it
//! here: security headers and cookies on every answer, no 5xx for an empty request, and the
//! cross-site refusal on every state-changing route. Also: session ids at sign-out and role
//! changes, and no demo staff in a store set up without demo data.
#![cfg(feature = "ssr")]

mod support;

use axum::{
    body::Body,
    http::{header, Method, Request, StatusCode},
};
use larkspur::server::{guard::CROSS_SITE_EXEMPT, startup};
use sqlx::PgPool;
use support::*;
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

/// A concrete path for a route pattern: parameters filled with values of the right shape
/// (an order number, a UUID for ids, a word for the rest).
fn fill(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|segment| {
            let name = segment.trim_start_matches([':', '{', '*']).trim_end_matches('}');
            match segment {
                s if !(s.starts_with([':', '{', '*'])) => s.to_owned(),
                _ if name == "number" => "100001".to_owned(),
                _ if name.contains("id") => Uuid::nil().to_string(),
                _ if name == "provider" => "google".to_owned(),
                _ if name == "file" => "products-1.xml".to_owned(),
                _ => "sample".to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every route the router serves, as (method, concrete path).
fn every_route() -> Vec<(Method, String)> {
    let mut routes: Vec<(Method, String)> = Vec::new();
    for route in leptos_axum::generate_route_list(larkspur::app::App) {
        routes.push((Method::GET, fill(route.path())));
    }
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        routes.push((method, path.to_owned()));
    }
    for plain in startup::plain_routes() {
        for method in plain.methods {
            routes.push((method, fill(plain.path)));
        }
    }
    for handler in larkspur::admin::handlers() {
        routes.push((handler.method, fill(handler.path)));
    }
    // The static directories, and a page nobody serves (the 404 page).
    routes.extend([(Method::GET, "/media/none.jpg".to_owned()), (Method::GET, "/pkg/none.js".to_owned()), (Method::GET, "/no-such-page".to_owned())]);
    routes.sort_by(|a, b| (a.1.as_str(), a.0.as_str()).cmp(&(b.1.as_str(), b.0.as_str())));
    routes.dedup();
    routes
}

fn empty(method: &Method, path: &str) -> axum::http::request::Builder {
    Request::builder().method(method.clone()).uri(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
}

/// What is wrong with one answer's security headers and cookies, if anything.
fn header_problems(res: &Response) -> Vec<String> {
    let mut problems = Vec::new();
    let policy = res.headers.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let directive = |name: &str| policy.split(';').map(str::trim).find(|d| d.split_whitespace().next() == Some(name)).unwrap_or_default().to_owned();
    let scripts = directive("script-src");
    if scripts.is_empty() {
        problems.push("no script-src".into());
    }
    for token in scripts.split_whitespace() {
        if token == "'unsafe-inline'" || token == "'unsafe-eval'" {
            problems.push(format!("script-src allows {token}"));
        }
    }
    if directive("frame-ancestors") != "frame-ancestors 'none'" {
        problems.push(format!("frame-ancestors: `{}`", directive("frame-ancestors")));
    }
    if directive("form-action") != "form-action 'self'" {
        problems.push(format!("form-action wider than the store: `{}`", directive("form-action")));
    }
    if !res.headers.get(header::STRICT_TRANSPORT_SECURITY).is_some_and(|v| v.to_str().unwrap_or_default().contains("max-age=")) {
        problems.push("no Strict-Transport-Security over https".into());
    }
    if res.headers.get(header::X_CONTENT_TYPE_OPTIONS).is_none_or(|v| v != "nosniff") {
        problems.push("no X-Content-Type-Options: nosniff".into());
    }
    for cookie in &res.set_cookies {
        let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
        if !attributes.iter().any(|a| a.eq_ignore_ascii_case("Secure")) {
            problems.push(format!("cookie without Secure: {cookie}"));
        }
    }
    problems
}

#[sqlx::test(migrations = "./migrations")]
async fn every_route_sends_the_security_headers_and_no_5xx(db: PgPool) {
    let app = spawn_configured(db, &redis_url(), &[("SITE_URL", "https://shop.example")]).await;
    let routes = every_route();
    assert!(routes.len() > 150, "the walk found {} routes", routes.len());
    let mut failures = Vec::new();
    for (method, path) in &routes {
        // A fresh visitor each time, and a signed-in customer: headers and cookies of both.
        let res = Client::new(&app).request(empty(method, path), Body::empty()).await;
        let ready_probe = path == "/readyz"; // 503 by design here: this test runs no job worker
        if res.status.is_server_error() && !ready_probe {
            failures.push(format!("{method} {path}: {} {}", res.status, res.body.chars().take(120).collect::<String>()));
        }
        for problem in header_problems(&res) {
            failures.push(format!("{method} {path}: {problem}"));
        }
    }
    // Cookies set at sign-in and on pages of a signed-in customer are Secure too.
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let ada = Client::new(&app);
    ada.accept_cookies().await;
    let res = ada.call("auth/sign-in/password", &[("email", "ada@example.com"), ("password", PASSWORD), ("next", "/")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(!res.set_cookies.is_empty(), "sign-in sets the new session's cookie");
    for problem in header_problems(&res) {
        failures.push(format!("sign-in: {problem}"));
    }
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}

#[sqlx::test(migrations = "./migrations")]
async fn every_state_changing_route_refuses_other_sites(db: PgPool) {
    let app = spawn(db).await;
    let mut accepted = Vec::new();
    let mut walked = 0;
    for (method, path) in every_route() {
        if method == Method::GET || CROSS_SITE_EXEMPT.contains(&path.as_str()) {
            continue;
        }
        walked += 1;
        let browser = Client::new(&app);
        let from_origin = browser.request(empty(&method, &path).header(header::ORIGIN, "https://evil.example"), Body::empty()).await;
        let from_fetch = browser.request(empty(&method, &path).header("sec-fetch-site", "cross-site"), Body::empty()).await;
        for (how, res) in [("Origin", from_origin), ("Sec-Fetch-Site", from_fetch)] {
            if res.status != StatusCode::FORBIDDEN || !res.body.contains("another site") {
                accepted.push(format!("{method} {path} ({how}): {}", res.status));
            }
        }
    }
    assert!(walked > 100, "the walk found {walked} state-changing routes");
    assert!(accepted.is_empty(), "not refused:\n{}", accepted.join("\n"));
    // The exemptions are few and each authenticates its posts by something else.
    assert_eq!(CROSS_SITE_EXEMPT.len(), 3);
}

#[sqlx::test(migrations = "./migrations")]
async fn signing_out_gives_the_browser_a_new_session_id(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let ada = signed_in_as(&app, "ada@example.com", PASSWORD).await;
    ada.accept_cookies().await;
    let signed_in = ada.cookie("larkspur_session").expect("a session");
    assert_eq!(ada.call("auth/sign-out", &[]).await.status, StatusCode::OK);
    assert_ne!(ada.cookie("larkspur_session"), Some(signed_in.clone()), "a new id (or none) after signing out");
    // The old id is worth nothing: a copy of it is not signed in.
    let copy = Client::new(&app);
    copy.cookies.lock().unwrap().insert("larkspur_session".into(), signed_in);
    assert_eq!(copy.call("account/get", &[]).await.status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_role_change_ends_the_accounts_sessions(db: PgPool) {
    let app = spawn(db).await;
    let ada_id = create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let ada = signed_in_as(&app, "ada@example.com", PASSWORD).await;
    let before = ada.cookie("larkspur_session").expect("a session");
    let admin = support::admin(&app).await;
    let res = admin.call("admin/customers/role", &[("id", &ada_id.to_string()), ("role", "editor")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(ada.call("account/get", &[]).await.status, StatusCode::UNAUTHORIZED, "the old session is gone");
    // Signing in again (now with the editor's second step) gives another id.
    let again = signed_in_as(&app, "ada@example.com", PASSWORD).await;
    assert_ne!(again.cookie("larkspur_session"), Some(before));
    assert_eq!(again.call("admin/overview", &[]).await.status, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_store_set_up_without_demo_data_has_no_demo_staff(db: PgPool) {
    // The migrations alone (what `larkspur serve` and `larkspur migrate` apply) make no account.
    let users: i64 = sqlx::query_scalar("select count(*) from users").fetch_one(&db).await.unwrap();
    assert_eq!(users, 0);
    let demo: i64 = sqlx::query_scalar("select count(*) from users where email::text like '%@larkspur.local'").fetch_one(&db).await.unwrap();
    assert_eq!(demo, 0);
}

/// One checksum of every table's rows, apart from the few a request may touch without any
/// input at all (session activity, the cached "last seen" of devices).
async fn checksum(db: &PgPool) -> String {
    let tables: Vec<String> = sqlx::query_scalar(
        "select table_name::text from information_schema.tables
         where table_schema = 'public' and table_type = 'BASE TABLE'
           and table_name not in ('user_sessions', 'user_metrics', 'devices', '_sqlx_migrations')
         order by table_name",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let sql = tables
        .iter()
        .map(|t| format!("select '{t}' as t, coalesce(md5(string_agg(x::text, ',' order by x::text)), '') as h from {t} x"))
        .collect::<Vec<_>>()
        .join(" union all ");
    let rows: Vec<(String, String)> = sqlx::query_as(&sql).fetch_all(db).await.unwrap();
    rows.into_iter().map(|(t, h)| format!("{t}:{h}")).collect::<Vec<_>>().join("\n")
}

/// Bodies no form sends: too large, not UTF-8, NUL bytes, the wrong type, cut short, and a
/// form whose usual fields are all out of range (numbers too large or negative, ids that are
/// not ids, values of no enum, text far too long).
fn hostile_bodies() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let long = "x".repeat(100_000);
    let fields = [
        ("id", "not-a-uuid"), ("number", "99999999999999999999999"), ("quantity", "-5"), ("page", "-1"), ("amount", "1e309"),
        ("rating", "600"), ("role", "root"), ("channel", "carrier-pigeon"), ("sort", "price; drop table products"), ("status", "bogus"),
        ("product_id", "0"), ("variant_id", "'; select pg_sleep(5); --"), ("size_id", "NaN"), ("email", "not an email"), ("phone", "++"),
        ("code", "12"), ("token", "../../etc/passwd"), ("analytics", "maybe"), ("marketing", "2"), ("helpful", "perhaps"),
    ];
    let mut form: String = fields.iter().map(|(k, v)| format!("{k}={}&", urlencode(v))).collect();
    for text in ["name", "title", "body", "q", "destination", "password", "reason", "next", "slug", "line1", "city"] {
        form.push_str(&format!("{text}={long}&"));
    }
    let form_type = "application/x-www-form-urlencoded";
    vec![
        ("too large", form_type, vec![b'a'; 1024 * 1024 + 1]),
        ("not UTF-8", form_type, vec![b'n', b'a', b'm', b'e', b'=', 0xff, 0xfe, 0xfd]),
        ("NUL byte", form_type, b"name=a%00b&email=a%00@example.com".to_vec()),
        ("wrong type", "application/xml", b"<name>x</name>".to_vec()),
        ("cut short", "application/json", b"{\"name\": \"x".to_vec()),
        ("out of range", form_type, form.into_bytes()),
    ]
}

fn urlencode(value: &str) -> String {
    value.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// Sends every hostile body to every state-changing route as `client`: how many were sent,
/// the 5xx answers, and the 2xx ones (to name the culprit when a table changed).
async fn hostile_walk(client: &Client, who: &str) -> (usize, Vec<String>, Vec<String>) {
    let mut failures = Vec::new();
    let mut accepted = Vec::new();
    let mut sent = 0;
    for (method, path) in every_route().into_iter().filter(|(m, _)| *m != Method::GET) {
        for (what, content_type, body) in hostile_bodies() {
            let request = Request::builder().method(method.clone()).uri(&path).header(header::CONTENT_TYPE, content_type);
            let res = client.request(request, Body::from(body)).await;
            sent += 1;
            if res.status.is_server_error() {
                failures.push(format!("{method} {path} as {who}, {what}: {} {}", res.status, res.body.chars().take(160).collect::<String>()));
            }
            if res.status.is_success() {
                accepted.push(format!("{method} {path}, {what}"));
            }
        }
    }
    (sent, failures, accepted)
}

#[sqlx::test(migrations = "./migrations")]
async fn hostile_bodies_on_every_route_never_get_a_5xx_and_change_nothing(db: PgPool) {
    let app = spawn(db).await;
    let before = checksum(&app.db).await;
    let (sent, mut failures, accepted) = hostile_walk(&Client::new(&app), "visitor").await;
    assert!(sent > 500, "{sent} hostile requests");
    let after = checksum(&app.db).await;
    let changed: Vec<&str> = before.lines().zip(after.lines()).filter(|(b, a)| b != a).map(|(b, _)| b.split(':').next().unwrap()).collect();
    assert!(changed.is_empty(), "tables changed by a visitor's hostile requests: {changed:?}; answered 2xx: {accepted:?}");
    // A signed-in customer too (functions without arguments, like signing out, may act for
    // them, so only the answers are checked).
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let ada = signed_in_as(&app, "ada@example.com", PASSWORD).await;
    failures.extend(hostile_walk(&ada, "customer").await.1);
    assert!(failures.is_empty(), "{} answers were 5xx:\n{}", failures.len(), failures.join("\n"));
}

#[sqlx::test(migrations = "./migrations")]
async fn sql_injection_in_filters_sorts_and_paging_gets_ordinary_answers(db: PgPool) {
    let app = spawn(db).await;
    let admin = support::admin(&app).await;
    let category: String = sqlx::query_scalar("select slug from categories where is_active order by slug limit 1").fetch_one(&app.db).await.unwrap();
    // The storefront's listings and every dashboard table (the dashboard pages without
    // parameters in their path), each probed in every query parameter they read.
    let mut pages: Vec<String> = vec![format!("/c/{category}"), "/search".to_owned(), "/journal".to_owned()];
    pages.extend(
        leptos_axum::generate_route_list(larkspur::app::App)
            .iter()
            .map(|r| r.path().to_owned())
            .filter(|p| p.starts_with("/admin") && !p.contains([':', '{', '*']) && !p.ends_with("/new")),
    );
    pages.sort();
    pages.dedup();
    let params = ["q", "sort", "dir", "page", "status", "payment", "role", "category", "from", "to", "stock", "colour", "size", "min", "max", "tag", "actor"];
    let payloads = [
        "' OR '1'='1",
        "1; drop table products; --",
        "'); select pg_sleep(3); --",
        "name desc, (select 1 from pg_sleep(3))",
        "-1 union select null, version() --",
        "%' and 1=1 --",
        "\\'; --",
        "\" or \"\"=\"",
    ];
    let before = checksum(&app.db).await;
    let mut failures = Vec::new();
    for page in &pages {
        for param in params {
            for payload in payloads {
                let uri = format!("{page}?{param}={}", urlencode(payload));
                let started = std::time::Instant::now();
                let res = admin.get(&uri).await;
                if res.status.is_server_error() {
                    failures.push(format!("{uri}: {}", res.status));
                }
                if started.elapsed() > std::time::Duration::from_millis(2500) {
                    failures.push(format!("{uri}: took {:?} (an injected sleep ran?)", started.elapsed()));
                }
            }
        }
    }
    assert!(pages.len() > 10, "{pages:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(before, checksum(&app.db).await, "nothing changed");
}

#[sqlx::test(migrations = "./migrations")]
async fn nobody_reads_or_changes_another_customers_orders_sessions_notifications_or_addresses(db: PgPool) {
    use larkspur::orders::PaymentMethod;
    use support::shop::{place, shopper, variant_with_stock};
    let app = spawn(db).await;
    let variant = variant_with_stock(&app.db, 10).await;
    let (a, cart) = shopper(&app.db, 1, &[(variant, 1)]).await;
    let placed = place(&app, a, cart, "access-matrix", None, PaymentMethod::BankTransfer).await.unwrap();
    let number = placed.number.to_string();
    let notification: Uuid = sqlx::query_scalar("insert into notifications (user_id, kind, title, event_key) values ($1, 'order', 'Yours', 'test:access-matrix') returning id")
        .bind(a)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let address: Uuid = sqlx::query_scalar(
        "insert into addresses (user_id, recipient_name, phone, line1, city_id, postal_code)
         select $1, 'Ada', '+15555550100', '1 Main St', id, '10001' from cities limit 1 returning id",
    )
    .bind(a)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let ada = support::shop::signed_in(&app, a).await;
    let ada_session: String = sqlx::query_scalar("select id::text from user_sessions where user_id = $1 and revoked_at is null").bind(a).fetch_one(&app.db).await.unwrap();
    let (b, _) = shopper(&app.db, 2, &[]).await;
    let bob = support::shop::signed_in(&app, b).await;
    let visitor = Client::new(&app);
    let before = checksum(&app.db).await;

    // Each of A's things by its id, as a visitor and as customer B: refused (4xx; what is
    // not yours is not found), except ending sessions, which ends none of another's.
    let (notification, address) = (notification.to_string(), address.to_string());
    let attempts: [(&str, Vec<(&str, &str)>); 6] = [
        ("orders/get", vec![("number", &number)]),
        ("orders/cancel", vec![("number", &number)]),
        ("payments/pay", vec![("number", &number)]),
        ("notifications/read", vec![("id", &notification)]),
        ("checkout/address", vec![("saved", &address)]),
        ("account/sessions/end", vec![("id", &ada_session)]),
    ];
    let mut wrong = Vec::new();
    for (function, args) in &attempts {
        for (who, client) in [("visitor", &visitor), ("customer B", &bob)] {
            let res = client.call(function, args).await;
            let refused = res.status.is_client_error() || (*function == "account/sessions/end" && who == "customer B" && res.body == "0");
            if !refused {
                wrong.push(format!("{function} as {who}: {} {}", res.status, res.body));
            }
            if who == "customer B" && *function == "orders/get" && res.status != StatusCode::NOT_FOUND {
                wrong.push(format!("another's order should be not found, not {}", res.status));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(before, checksum(&app.db).await, "nothing of A's changed");
    // A still has all of it.
    assert_eq!(ada.call("orders/get", &[("number", &number)]).await.status, StatusCode::OK);
    assert_eq!(ada.call("account/get", &[]).await.status, StatusCode::OK, "A's session was not ended by B");
}
