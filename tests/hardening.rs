//! Walks of the router's own route lists (page routes, server functions, the plain routes
//! and the dashboard's files), so a route added later is checked without anyone listing it
//! here: security headers and cookies on every answer, no 5xx for an empty request, the
//! cross-site refusal on every state-changing route, hostile bodies and injection probes,
//! and the access matrix (every route × visitor, anonymous shopper, customers A and B,
//! editor and admin). Also: session ids at sign-out and role changes, and no demo staff in
//! a store set up without demo data.
#![cfg(feature = "ssr")]

mod support;

use axum::{
    body::Body,
    http::{header, Method, Request, StatusCode},
};
use larkspur::{
    auth::{Permission, Role},
    server::{guard::CROSS_SITE_EXEMPT, startup},
};
use sqlx::PgPool;
use support::*;
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

/// A concrete path for a route pattern: parameters filled with values of the right shape
/// (`number` for an order number, `id` for ids, a word for the rest).
fn fill(pattern: &str, number: &str, id: &str) -> String {
    pattern
        .split('/')
        .map(|segment| {
            let name = segment.trim_start_matches([':', '{', '*']).trim_end_matches('}');
            match segment {
                s if !(s.starts_with([':', '{', '*'])) => s.to_owned(),
                _ if name == "number" => number.to_owned(),
                _ if name.contains("id") => id.to_owned(),
                _ if name == "provider" => "google".to_owned(),
                _ if name == "file" => "products-1.xml".to_owned(),
                _ => "sample".to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Dashboard function groups named apart from their menu section.
const SECTION_ALIASES: &[(&str, &str)] = &[
    ("/admin/access", "/admin"),
    ("/admin/overview", "/admin"),
    ("/admin/attributes", "/admin/colours"),
    ("/admin/showcases", "/admin/collections"),
    ("/admin/import", "/admin/products"),
    ("/admin/packing-slips", "/admin/orders"),
];

/// The permission a dashboard page or function needs: its menu section's (the longest
/// section path that prefixes it). Storefront routes need none. A dashboard route under no
/// section fails the walk, so a new one cannot slip through unchecked.
fn dashboard_permission(path: &str) -> Option<Permission> {
    let path = path.strip_prefix("/api").unwrap_or(path);
    if path != "/admin" && !path.starts_with("/admin/") {
        return None;
    }
    let under = |p: &str, section: &str| p == section || p.starts_with(&format!("{section}/"));
    let path = SECTION_ALIASES.iter().find(|(group, _)| under(path, group)).map_or(path, |(_, section)| section);
    let section = larkspur::admin::SECTIONS
        .iter()
        .filter(|s| (s.path == "/admin" && path == "/admin") || (s.path != "/admin" && under(path, s.path)))
        .max_by_key(|s| s.path.len())
        .unwrap_or_else(|| panic!("{path} belongs to no dashboard section: add it to admin::SECTIONS or to SECTION_ALIASES"));
    Some(section.permission)
}

/// One route of the walk: its method, a concrete path, and the dashboard permission it needs.
struct Walked {
    method: Method,
    path: String,
    permission: Option<Permission>,
}

/// Every route the router serves, its path parameters filled with `number` and `id`.
fn routes_filled(number: &str, id: &str) -> Vec<Walked> {
    let walked = |method, path: String| Walked { permission: dashboard_permission(&path), method, path };
    let mut routes: Vec<Walked> = Vec::new();
    for route in leptos_axum::generate_route_list(larkspur::app::App) {
        routes.push(walked(Method::GET, fill(route.path(), number, id)));
    }
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        routes.push(walked(method, path.to_owned()));
    }
    for plain in startup::plain_routes() {
        for method in plain.methods {
            routes.push(Walked { method, path: fill(plain.path, number, id), permission: None });
        }
    }
    for handler in larkspur::admin::handlers() {
        routes.push(Walked { method: handler.method, path: fill(handler.path, number, id), permission: Some(handler.permission) });
    }
    // The static directories, and a page nobody serves (the 404 page).
    for path in ["/media/none.jpg", "/pkg/none.js", "/no-such-page"] {
        routes.push(walked(Method::GET, path.to_owned()));
    }
    routes.sort_by(|a, b| (a.path.as_str(), a.method.as_str()).cmp(&(b.path.as_str(), b.method.as_str())));
    routes.dedup_by(|a, b| a.path == b.path && a.method == b.method);
    routes
}

/// Every route the router serves, as (method, concrete path).
fn every_route() -> Vec<(Method, String)> {
    routes_filled("100001", &Uuid::nil().to_string()).into_iter().map(|r| (r.method, r.path)).collect()
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
    if directive("style-src") != "style-src 'self'" {
        problems.push(format!("style-src wider than the stylesheet: `{}`", directive("style-src")));
    }
    let is_html = res.headers.get(header::CONTENT_TYPE).is_some_and(|v| v.to_str().unwrap_or_default().starts_with("text/html"));
    if is_html && (res.body.contains(" style=\"") || res.body.contains("<style")) {
        problems.push("an inline style, which the policy refuses".into());
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

/// What the matrix knows of customer A: ids to send, words only A's own pages may show.
struct Owner {
    id: Uuid,
    number: String,
    notification: String,
    session: String,
    address: String,
    review: String,
    wished: String,
    in_cart: String,
}

const MARKERS: [&str; 3] = ["Quillfeather", "buyer1@example.com", "1 Market Street"];

/// Customer A with one of everything a customer owns: an order, a saved address, a
/// notification, a pending review, a wishlist entry, a cart line, a ready data export, a
/// session. Every text of it carries a marker word.
async fn customer_with_everything(app: &TestApp) -> (Owner, Client) {
    use larkspur::orders::PaymentMethod;
    use support::shop::{another_variant, place, shopper, variant_with_stock};
    let variant = variant_with_stock(&app.db, 10).await;
    let kept = another_variant(&app.db, variant, 10).await;
    let (a, cart) = shopper(&app.db, 1, &[(variant, 1)]).await;
    let placed = place(app, a, cart, "access-matrix", None, PaymentMethod::BankTransfer).await.unwrap();
    support::shop::add_to_cart(&app.db, cart, kept, 1).await;
    let one = |sql: &'static str| {
        let db = app.db.clone();
        async move { sqlx::query_scalar::<_, Uuid>(sql).bind(a).fetch_one(&db).await.unwrap().to_string() }
    };
    sqlx::query("update users set name = 'Ada Quillfeather' where id = $1").bind(a).execute(&app.db).await.unwrap();
    let notification = one("insert into notifications (user_id, kind, title, event_key) values ($1, 'order', 'Quillfeather parcel news', 'test:matrix') returning id").await;
    let address = one(
        "insert into addresses (user_id, recipient_name, phone, line1, city_id, postal_code)
         select $1, 'Ada Quillfeather', '+15555550100', '17 Quillfeather Row', id, '10001' from cities limit 1 returning id",
    )
    .await;
    let review = one(
        "insert into reviews (product_id, user_id, rating, title, comment)
         select p.id, $1, 2, 'Quillfeather says', 'A Quillfeather review awaiting moderation' from products p
         where p.deleted_at is null order by p.id limit 1 returning id",
    )
    .await;
    let wished = one("insert into wishlist_items (user_id, product_id) select $1, id from products where deleted_at is null order by id desc limit 1 returning product_id").await;
    one("insert into data_exports (user_id, requested_at, ready_at, expires_at, archive) values ($1, now(), now(), now() + interval '7 days', 'Quillfeather'::bytea) returning id").await;
    let client = support::shop::signed_in(app, a).await;
    let session = one("select id from user_sessions where user_id = $1 and revoked_at is null").await;
    let owner = Owner { id: a, number: placed.number.to_string(), notification, session, address, review, wished, in_cart: kept.to_string() };
    (owner, client)
}

/// One checksum of everything customer A owns.
async fn owned_by(db: &PgPool, user: Uuid) -> String {
    sqlx::query_scalar(
        "select md5(string_agg(r, ',' order by r)) from (
           select to_jsonb(x)::text r from users x where id = $1
           union all select to_jsonb(x)::text from addresses x where user_id = $1
           union all select to_jsonb(x)::text from orders x where user_id = $1
           union all select to_jsonb(i)::text from order_items i join orders o on o.id = i.order_id where o.user_id = $1
           union all select to_jsonb(p)::text from payments p join orders o on o.id = p.order_id where o.user_id = $1
           union all select to_jsonb(x)::text from notifications x where user_id = $1
           union all select to_jsonb(x)::text from notification_preferences x where user_id = $1
           union all select to_jsonb(x)::text from reviews x where user_id = $1
           union all select to_jsonb(x)::text from wishlist_items x where user_id = $1
           union all select to_jsonb(x)::text from carts x where user_id = $1
           union all select to_jsonb(i)::text from cart_items i join carts c on c.id = i.cart_id where c.user_id = $1
           union all select to_jsonb(x)::text from user_contacts x where user_id = $1
           union all select to_jsonb(x)::text from data_exports x where user_id = $1
           union all select (to_jsonb(x) - 'last_active_at')::text from user_sessions x where user_id = $1
         ) t",
    )
    .bind(user)
    .fetch_one(db)
    .await
    .unwrap()
}

/// Sends `route` as `client`: a storefront function gets every id field set to one of A's
/// (and `id` to `id`), a dashboard function ids of nothing (staff may act on A's things
/// there); a page or plain route goes to its path as filled.
async fn send(client: &Client, route: &Walked, owner: &Owner, id: &str) -> Response {
    let nil = Uuid::nil().to_string();
    let of_a = |a: &str| if route.permission.is_some() { nil.clone() } else { a.to_owned() };
    let number = if route.permission.is_some() { "1".to_owned() } else { owner.number.clone() };
    let (id, saved, review, product, variant) = (of_a(id), of_a(&owner.address), of_a(&owner.review), of_a(&owner.wished), of_a(&owner.in_cart));
    let args = [
        ("number", number.as_str()),
        ("id", &id),
        ("saved", &saved),
        ("review_id", &review),
        ("product_id", &product),
        ("variant_id", &variant),
        ("quantity", "1"),
        // What the dashboard's functions parse (the access check answers after parsing).
        ("product", &id),
        ("name", "Matrix"),
        ("price", "1.00"),
        ("action", "deactivate"),
        ("ids[0]", &id),
        ("confirm", "delete"),
    ];
    match route.path.strip_prefix("/api/") {
        Some(function) if route.method == Method::POST => client.call(function, &args).await,
        _ => client.request(empty(&route.method, &route.path), Body::empty()).await,
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn every_route_answers_each_identity_only_what_is_theirs(db: PgPool) {
    use larkspur::seed::{ADMIN_EMAIL, ADMIN_PASSWORD, EDITOR_EMAIL, EDITOR_PASSWORD};
    let app = spawn(db).await;
    let (owner, ada) = customer_with_everything(&app).await;
    let (b, _) = support::shop::shopper(&app.db, 2, &[]).await;
    let anonymous = Client::new(&app);
    anonymous.accept_cookies().await;
    assert!(anonymous.call("cart/add", &[("variant_id", &owner.in_cart), ("quantity", "1")]).await.status.is_success());
    let identities: [(&str, Option<Role>, Client); 5] = [
        ("visitor", None, Client::new(&app)),
        ("anonymous shopper", None, anonymous),
        ("customer B", Some(Role::Customer), support::shop::signed_in(&app, b).await),
        ("editor", Some(Role::Editor), signed_in_as(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await),
        ("admin", Some(Role::Admin), signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await),
    ];
    let before = owned_by(&app.db, owner.id).await;
    let mut wrong = Vec::new();
    let mut sent = 0;
    // A's ids in every id field of the storefront's functions and in every path; `id` is a
    // notification in one pass and a session in the other (see `send` for the dashboard's).
    for id in [&owner.notification, &owner.session] {
        for route in routes_filled(&owner.number, id) {
            // Signing out is an identity's own business (tests above) and would end the walk.
            if route.path == "/api/auth/sign-out" {
                continue;
            }
            for (who, role, client) in &identities {
                let res = send(client, &route, &owner, id).await;
                sent += 1;
                let what = format!("{} {} as {who}: {}", route.method, route.path, res.status);
                if res.status.is_server_error() && route.path != "/readyz" {
                    wrong.push(format!("{what} {}", res.body.chars().take(120).collect::<String>()));
                }
                let allowed = match (route.permission, role) {
                    (None, _) => true,
                    (Some(p), Some(role)) => role.can(p),
                    (Some(_), None) => false,
                };
                let refused = matches!(res.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN);
                if route.permission.is_some() {
                    let expected = if role.is_none() { StatusCode::UNAUTHORIZED } else { StatusCode::FORBIDDEN };
                    if !allowed && res.status != expected {
                        wrong.push(format!("{what}, expected {expected}"));
                    }
                    if allowed && refused {
                        wrong.push(format!("{what}, but the role may use it"));
                    }
                }
                // What is not yours is not found: A's order (by its number, as a function
                // and as a page) and A's notification, to every other account.
                let reads_a = matches!(route.path.as_str(), "/api/orders/get" | "/api/notifications/read") || route.path == format!("/account/orders/{}", owner.number);
                if reads_a && role.is_some() && res.status != StatusCode::NOT_FOUND {
                    wrong.push(format!("{what}, expected 404 Not Found"));
                }
                // A's words show on no page of anybody else's, bar the dashboard's own
                // customer and order pages to staff allowed there.
                if !allowed || route.permission.is_none() {
                    if let Some(marker) = MARKERS.iter().find(|m| res.body.contains(**m)) {
                        wrong.push(format!("{what} shows A's \"{marker}\""));
                    }
                }
            }
        }
    }
    assert!(sent > 2000, "{sent} requests");
    assert!(wrong.is_empty(), "{} wrong answers:\n{}", wrong.len(), wrong.join("\n"));
    assert_eq!(owned_by(&app.db, owner.id).await, before, "nothing of A's changed");
    // Each identity was what it claimed to the end, and A still has everything.
    for (who, role, client) in &identities {
        let status = client.call("account/get", &[]).await.status;
        assert_eq!(status.is_success(), role.is_some(), "{who} still signed in: {status}");
    }
    let order = ada.get(&format!("/account/orders/{}", owner.number)).await;
    assert!(order.status.is_success() && order.body.contains("1 Market Street"), "A sees the order: {}", order.status);
    assert_eq!(ada.call("notifications/read", &[("id", &owner.notification)]).await.status, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn stored_text_cannot_close_a_textarea(db: PgPool) {
    // Leptos writes a textarea's children unescaped; every textarea goes through
    // `ui::textarea_text`. The product editor's two textareas stand for all of them.
    let app = spawn(db).await;
    let payload = "</textarea><b data-xss>out</b>";
    let id: Uuid = sqlx::query_scalar("update products set description = $1, seo_description = $1 where id = (select id from products order by id limit 1) returning id")
        .bind(payload)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let page = support::admin(&app).await.get(&format!("/admin/products/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("<b data-xss>"), "the text closed its textarea");
    assert_eq!(page.body.matches("&lt;/textarea&gt;&lt;b data-xss&gt;out&lt;/b&gt;").count(), 2, "both textareas hold the text");
}
