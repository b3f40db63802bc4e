//! The findings of the outside probe (issue 9), each as a test against the real router, a
//! fresh database, real Redis and, for social sign-in, a local OAuth provider.
#![cfg(feature = "ssr")]

mod support;

use axum::{
    body::Body,
    extract::{Form, State},
    http::{header, HeaderMap, Request, StatusCode},
    routing::{get, post},
    Json, Router,
};
use sqlx::PgPool;
use support::*;
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

async fn sign_in(client: &Client, email: &str, password: &str, next: &str) -> Response {
    client.call("auth/sign-in/password", &[("email", email), ("password", password), ("next", next)]).await
}

async fn count(db: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.unwrap()
}

async fn some_variant(db: &PgPool) -> Uuid {
    sqlx::query_scalar("select id from product_sizes where stock >= 3 order by sku limit 1").fetch_one(db).await.unwrap()
}

fn retry_after(res: &Response) -> u64 {
    res.headers
        .get(header::RETRY_AFTER)
        .unwrap_or_else(|| panic!("429 without Retry-After: {}", res.body))
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

// ---- 1. Titles are escaped ---------------------------------------------------------------

#[sqlx::test(migrations = "./migrations")]
async fn search_text_in_the_title_is_escaped(db: PgPool) {
    let app = spawn(db).await;
    let page = Client::new(&app).get("/search?q=%3C%2Ftitle%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("<script>alert(1)"), "the query must not become markup");
    assert!(page.body.contains("&lt;/title&gt;&lt;script&gt;alert(1)"), "escaped once, shown as typed");
}

// ---- 2. CSP carries the page's nonce, never 'unsafe-inline' for scripts --------------------

#[sqlx::test(migrations = "./migrations")]
async fn every_page_kind_has_a_nonce_policy_matching_its_scripts(db: PgPool) {
    let app = spawn(db).await;
    let browser = Client::new(&app);
    let mut nonces = Vec::new();
    for path in ["/", "/c/hoodies", "/search?q=hoodie", "/sign-in", "/no-such-page", "/admin"] {
        let page = browser.get(path).await;
        let policy = page.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap().to_owned();
        let scripts = policy.split(';').find(|d| d.trim().starts_with("script-src")).unwrap();
        assert!(!scripts.contains("unsafe-inline"), "{path}: {scripts}");
        let nonce = scripts.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).unwrap_or_else(|| panic!("{path}: no nonce"));
        assert!(page.body.contains(&format!("nonce=\"{nonce}\"")), "{path}: the scripts carry the header's nonce");
        nonces.push(nonce.to_owned());
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 6, "a fresh nonce per response");
}

// ---- 3. Forms work as plain posts, secrets never in a URL ---------------------------------

#[sqlx::test(migrations = "./migrations")]
async fn sign_in_form_posts_without_javascript(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let browser = Client::new(&app);
    let page = browser.get("/sign-in?next=/cart").await;
    assert!(page.body.contains(r#"method="post" action="/api/auth/sign-in/password""#), "a real form");

    let wrong = browser.post_form("auth/sign-in/password", &[("email", "ada@example.com"), ("password", "nope nope"), ("next", "/cart")], "/sign-in?next=/cart").await;
    assert_eq!(wrong.status, StatusCode::FOUND);
    assert_eq!(wrong.headers_location.as_deref(), Some("/sign-in?next=/cart"), "back to the form");
    let again = browser.get("/sign-in?next=/cart").await;
    assert!(again.body.contains("The email or password is incorrect."), "the message is on the page");
    assert!(again.body.contains("ada@example.com"), "what was typed stays");
    assert!(!again.body.contains("nope nope"), "the password is never kept");

    let right = browser.post_form("auth/sign-in/password", &[("email", "ada@example.com"), ("password", PASSWORD), ("next", "/cart")], "/sign-in?next=/cart").await;
    assert_eq!(right.status, StatusCode::FOUND);
    assert_eq!(right.headers_location.as_deref(), Some("/cart"));
    assert_eq!(browser.call("account/get", &[]).await.json()["email"], "ada@example.com");
}

#[sqlx::test(migrations = "./migrations")]
async fn sign_up_and_reset_work_without_javascript(db: PgPool) {
    let app = spawn(db).await;
    let browser = Client::new(&app);
    let sent = browser.post_form("auth/code/send", &[("channel", "email"), ("destination", "new@example.com"), ("name", "Nia")], "/sign-up").await;
    assert_eq!(sent.status, StatusCode::FOUND);
    let step_two = browser.get("/sign-up").await;
    assert!(step_two.body.contains("We sent a 6-digit code to new@example.com"), "step two shows");
    assert!(step_two.body.contains(r#"action="/api/auth/code/verify""#));
    let code = latest_email_code(&app, "new@example.com");
    let done = browser
        .post_form(
            "auth/code/verify",
            &[("channel", "email"), ("destination", "new@example.com"), ("code", &code), ("name", "Nia"), ("password", "a long enough passphrase"), ("next", "/account")],
            "/sign-up",
        )
        .await;
    assert_eq!(done.headers_location.as_deref(), Some("/account"), "{}", done.body);
    let account = browser.call("account/get", &[]).await.json();
    assert_eq!((account["name"].as_str(), account["has_password"].as_bool()), (Some("Nia"), Some(true)));

    let other = Client::new(&app);
    assert_eq!(other.post_form("auth/reset/send", &[("email", "new@example.com")], "/reset-password").await.status, StatusCode::FOUND);
    let code = latest_email_code(&app, "new@example.com");
    let reset = other
        .post_form("auth/reset/complete", &[("email", "new@example.com"), ("code", &code), ("token", ""), ("password", "another long passphrase")], "/reset-password")
        .await;
    assert_eq!(reset.headers_location.as_deref(), Some("/account"), "{}", reset.body);
    assert_eq!(sign_in(&Client::new(&app), "new@example.com", "another long passphrase", "/").await.status, StatusCode::OK);
}

// ---- 4. Open redirects ----------------------------------------------------------------------

#[sqlx::test(migrations = "./migrations")]
async fn sign_in_never_sends_the_browser_to_another_site(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    for next in ["/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "//evil.example", "/\\evil.example", "https://evil.example"] {
        let res = sign_in(&Client::new(&app), "ada@example.com", PASSWORD, next).await;
        assert_eq!(res.json(), "/account", "{next:?}");
    }
    let browser = Client::new(&app);
    let res = browser.call("auth/link/send", &[("email", "ada@example.com"), ("next", "/\t/evil.example")]).await;
    assert_eq!(res.status, StatusCode::OK);
    let mail = latest_message_to(&app, "ada@example.com");
    assert!(mail.contains("next=%2Faccount"), "the emailed link carries only a safe path");
    let start = browser.get("/auth/oauth/google/start?next=%0A/evil.example").await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
}

// ---- 5. Cross-site requests -------------------------------------------------------------------

#[sqlx::test(migrations = "./migrations")]
async fn requests_from_another_site_are_refused_and_change_nothing(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "attacker@example.com", PASSWORD, "customer").await;
    let variant = some_variant(&app.db).await.to_string();
    let victim = Client::new(&app);
    let cross_site = |endpoint: &str, content_type: &str, body: String, origin: Option<&str>| {
        let mut builder = Request::post(format!("/api/{endpoint}")).header(header::CONTENT_TYPE, content_type);
        builder = match origin {
            Some(origin) => builder.header(header::ORIGIN, origin).header("sec-fetch-site", "cross-site"),
            None => builder.header("sec-fetch-site", "cross-site"),
        };
        (builder, Body::from(body))
    };
    let attempts = [
        cross_site("cart/add", "application/x-www-form-urlencoded", format!("variant_id={variant}&quantity=1"), Some("https://evil.example")),
        cross_site("cart/add", "text/plain", format!("variant_id={variant}&quantity=1"), Some("https://evil.example")),
        cross_site("cart/add", "application/x-www-form-urlencoded", format!("variant_id={variant}&quantity=1"), None),
        cross_site("auth/sign-in/password", "application/x-www-form-urlencoded", format!("email=attacker%40example.com&password={}&next=%2F", PASSWORD.replace(' ', "+")), Some("https://evil.example")),
        cross_site("account/name", "application/x-www-form-urlencoded", "name=pwned".into(), Some("null")),
    ];
    for (builder, body) in attempts {
        let res = victim.request(builder, body).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
        assert!(res.set_cookies.is_empty(), "no session planted");
    }
    assert_eq!(count(&app.db, "select count(*) from cart_items").await, 0);
    assert_eq!(count(&app.db, "select count(*) from user_sessions").await, 0);

    let same_site = Request::post("/api/cart/add")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .header("sec-fetch-site", "same-origin");
    let res = victim.request(same_site, Body::from(format!("variant_id={variant}&quantity=1"))).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

// ---- 6. Guessing past the device lock -----------------------------------------------------------

#[sqlx::test(migrations = "./migrations")]
async fn fresh_devices_cannot_keep_guessing_one_account(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    // The owner signed in from this device before the attack.
    let owner = Client::new(&app);
    owner.accept_cookies().await;
    assert_eq!(sign_in(&owner, "ada@example.com", PASSWORD, "/").await.status, StatusCode::OK);
    owner.call("auth/sign-out", &[]).await;

    // Ten guesses, each pair from a "new device" (consent withdrawn and given again).
    for _ in 0..5 {
        let device = Client::new(&app);
        device.accept_cookies().await;
        for _ in 0..2 {
            assert_eq!(sign_in(&device, "ada@example.com", "guess guess", "/").await.status, StatusCode::BAD_REQUEST);
        }
    }
    let stranger = Client::new(&app);
    stranger.accept_cookies().await;
    let refused = sign_in(&stranger, "ada@example.com", PASSWORD, "/").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "even the right password from a new device");
    assert!((1..=900).contains(&retry_after(&refused)));
    assert_eq!(stranger.call("account/get", &[]).await.status, StatusCode::UNAUTHORIZED, "not signed in");

    let back = sign_in(&owner, "ada@example.com", PASSWORD, "/").await;
    assert_eq!(back.status, StatusCode::OK, "the owner's known device still signs in: {}", back.body);

    // Unknown addresses are counted the same way.
    for _ in 0..5 {
        let device = Client::new(&app);
        device.accept_cookies().await;
        for _ in 0..2 {
            sign_in(&device, "nobody@example.com", "guess guess", "/").await;
        }
    }
    let probe = Client::new(&app);
    probe.accept_cookies().await;
    assert_eq!(sign_in(&probe, "nobody@example.com", "guess guess", "/").await.status, StatusCode::TOO_MANY_REQUESTS);

    // The window passes.
    app.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(sign_in(&stranger, "ada@example.com", PASSWORD, "/").await.status, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn one_client_has_a_ceiling_across_accounts(db: PgPool) {
    let app = spawn(db).await;
    // Spread over many accounts and devices, so neither the device lock nor the account
    // counter is reached: only the per-client ceiling (30 in 15 minutes) stops it.
    for i in 0..30 {
        let device = Client::new(&app);
        device.accept_cookies().await;
        let res = sign_in(&device, &format!("user{i}@example.com"), "guess guess", "/").await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "attempt {i}");
    }
    let device = Client::new(&app);
    device.accept_cookies().await;
    let refused = sign_in(&device, "someone-else@example.com", "guess guess", "/").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    retry_after(&refused);
}

// ---- 7. Account enumeration and mail bombing -----------------------------------------------------

#[sqlx::test(migrations = "./migrations")]
async fn known_and_unknown_addresses_answer_alike(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    for endpoint in ["auth/link/send", "auth/reset/send"] {
        let mut answers = Vec::new();
        for email in ["ada@example.com", "nobody@example.com"] {
            let browser = Client::new(&app);
            let first = browser.call(endpoint, &[("email", email), ("next", "/")]).await;
            let second = browser.call(endpoint, &[("email", email), ("next", "/")]).await;
            assert_eq!(first.status, StatusCode::OK, "{endpoint} {email}");
            assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS, "{endpoint} {email}: the same cool-down");
            retry_after(&second);
            let shape = |r: &Response| r.body.replace(email, "EMAIL");
            answers.push((shape(&first), shape(&second)));
        }
        assert_eq!(answers[0], answers[1], "{endpoint}: nothing tells the two apart");
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn one_client_cannot_send_codes_to_many_addresses(db: PgPool) {
    let app = spawn(db).await;
    let browser = Client::new(&app);
    for i in 0..10 {
        let res = browser.call("auth/code/send", &[("channel", "email"), ("destination", &format!("target{i}@example.com"))]).await;
        assert_eq!(res.status, StatusCode::OK, "send {i}: {}", res.body);
    }
    let refused = browser.call("auth/code/send", &[("channel", "sms"), ("destination", "+15555550123")]).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    retry_after(&refused);
    assert!(!app.outbox.join("sms").exists() || std::fs::read_dir(app.outbox.join("sms")).unwrap().count() == 0, "no text went out");
}

// ---- 8. Bad input answers 4xx ------------------------------------------------------------------------

#[sqlx::test(migrations = "./migrations")]
async fn malformed_input_is_a_client_error_not_a_500(db: PgPool) {
    let app = spawn(db).await;
    let variant = some_variant(&app.db).await.to_string();
    let browser = Client::new(&app);
    let bad = [
        browser.call("cart/add", &[("variant_id", "not-a-uuid"), ("quantity", "1")]).await,
        browser.call("cart/add", &[("variant_id", &variant)]).await,
        browser.call("cart/add", &[("variant_id", &variant), ("quantity", "2147483648")]).await,
        browser.call("catalog/suggest", &[("q", "ab\0cd")]).await,
        browser.get("/search?q=ab%00cd").await,
        browser.get("/search?q=%FF%FE").await,
        browser.get("/p/ab%00cd").await,
    ];
    for res in bad {
        assert!(res.status == StatusCode::BAD_REQUEST || res.status == StatusCode::UNPROCESSABLE_ENTITY, "{} {}", res.status, res.body);
    }
    let huge = Request::post("/api/account/name").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    let res = browser.request(huge, Body::from(format!("name={}", "a".repeat(12 * 1024 * 1024)))).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);

    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    sign_in(&browser, "ada@example.com", PASSWORD, "/").await;
    assert_eq!(browser.call("account/name", &[("name", "Ada\0Lovelace")]).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(count(&app.db, "select count(*) from users where name like 'Ada%Lovelace'").await, 0);
    assert_eq!(browser.call("account/sessions/end", &[("id", "nope")]).await.status, StatusCode::BAD_REQUEST);
}

// ---- 9. Roles are read on every request ----------------------------------------------------------------

#[sqlx::test(migrations = "./migrations")]
async fn demotion_and_deactivation_take_effect_on_the_next_request(db: PgPool) {
    let app = spawn(db).await;
    let staff = create_user(&app.db, "staff@example.com", PASSWORD, "admin").await;
    let browser = signed_in_as(&app, "staff@example.com", PASSWORD).await;
    assert_eq!(browser.call("admin/overview", &[]).await.status, StatusCode::OK);
    sqlx::query("update users set role = 'customer' where id = $1").bind(staff).execute(&app.db).await.unwrap();
    assert_eq!(browser.call("admin/overview", &[]).await.status, StatusCode::FORBIDDEN, "demoted at once");
    sqlx::query("update users set role = 'admin', is_active = false where id = $1").bind(staff).execute(&app.db).await.unwrap();
    assert_eq!(browser.call("admin/overview", &[]).await.status, StatusCode::UNAUTHORIZED, "deactivated at once");
    assert_eq!(browser.call("account/get", &[]).await.status, StatusCode::UNAUTHORIZED);
}

// ---- 10 and 11. Social sign-in against a local provider -----------------------------------------

/// A provider whose userinfo answer depends on the code it issued.
async fn spawn_provider() -> String {
    async fn token(Form(form): Form<std::collections::HashMap<String, String>>) -> Json<serde_json::Value> {
        Json(serde_json::json!({ "access_token": form.get("code").cloned().unwrap_or_default(), "token_type": "bearer" }))
    }
    async fn userinfo(State(()): State<()>, headers: HeaderMap) -> Result<Json<serde_json::Value>, StatusCode> {
        let token = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default().trim_start_matches("Bearer ").to_owned();
        Ok(Json(match token.as_str() {
            "fail" => return Err(StatusCode::INTERNAL_SERVER_ERROR),
            "no-id" => serde_json::json!({ "name": "Nobody" }),
            "no-email" => serde_json::json!({ "id": "fb-phone-only", "name": "Phone Person" }),
            "attacker" => serde_json::json!({ "id": "fb-attacker", "name": "Mallory", "email": "victim@example.com" }),
            "victim-google" => serde_json::json!({ "sub": "g-victim", "name": "Vic", "email": "victim@example.com", "email_verified": true }),
            _ => return Err(StatusCode::UNAUTHORIZED),
        }))
    }
    let router = Router::new().route("/token", post(token)).route("/userinfo", get(userinfo)).with_state(());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    base
}

async fn app_with_provider(db: PgPool) -> TestApp {
    let base = spawn_provider().await;
    let (auth, token, info) = (format!("{base}/authorize"), format!("{base}/token"), format!("{base}/userinfo"));
    let vars: Vec<(&str, &str)> = vec![
        ("FACEBOOK_CLIENT_ID", "fb-test"),
        ("FACEBOOK_CLIENT_SECRET", "fb-secret"),
        ("FACEBOOK_AUTH_URL", &auth),
        ("FACEBOOK_TOKEN_URL", &token),
        ("FACEBOOK_USERINFO_URL", &info),
        ("GOOGLE_AUTH_URL", &auth),
        ("GOOGLE_TOKEN_URL", &token),
        ("GOOGLE_USERINFO_URL", &info),
    ];
    spawn_configured(db, &redis_url(), &vars).await
}

/// Runs the whole redirect dance; the provider answers according to `code`.
async fn social(browser: &Client, provider: &str, code: &str) -> Response {
    let start = browser.get(&format!("/auth/oauth/{provider}/start?next=/cart")).await;
    let location = start.headers_location.expect("to the provider");
    let state = location.split("state=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    browser.get(&format!("/auth/oauth/{provider}/callback?code={code}&state={state}")).await
}

#[sqlx::test(migrations = "./migrations")]
async fn an_unverified_social_email_cannot_pre_hijack_the_owners_account(db: PgPool) {
    let app = app_with_provider(db).await;
    // The attacker signs in with Facebook showing the victim's address.
    let attacker = Client::new(&app);
    assert_eq!(social(&attacker, "facebook", "attacker").await.headers_location.as_deref(), Some("/cart"));
    let mallory: Uuid = sqlx::query_scalar("select user_id from user_identities where provider_subject = 'fb-attacker'").fetch_one(&app.db).await.unwrap();

    // The owner signs up with an emailed code, typing a name and a password.
    let owner = Client::new(&app);
    assert_eq!(owner.call("auth/code/send", &[("channel", "email"), ("destination", "victim@example.com")]).await.status, StatusCode::OK);
    let code = latest_email_code(&app, "victim@example.com");
    let args = [("channel", "email"), ("destination", "victim@example.com"), ("code", code.as_str()), ("name", "Victoria"), ("password", "victoria's own passphrase"), ("next", "/")];
    assert_eq!(owner.call("auth/code/verify", &args).await.status, StatusCode::OK);
    let account = owner.call("account/get", &[]).await.json();
    assert_eq!(account["name"], "Victoria", "her own account, with what she typed");
    assert_eq!(account["has_password"], true);
    assert!(account["linked_providers"].as_array().unwrap().is_empty(), "the attacker's Facebook does not reach it");
    let victoria: Uuid = sqlx::query_scalar("select id from users where email = 'victim@example.com'").fetch_one(&app.db).await.unwrap();
    assert_ne!(victoria, mallory);
    let mallory_email: Option<String> = sqlx::query_scalar("select email::text from users where id = $1").bind(mallory).fetch_one(&app.db).await.unwrap();
    assert_eq!(mallory_email, None, "the claimed address was taken off the attacker's account");

    // The attacker's Facebook now signs into the attacker's own account only.
    let again = Client::new(&app);
    social(&again, "facebook", "attacker").await;
    assert_ne!(again.call("account/get", &[]).await.json()["name"], "Victoria");

    // The owner's Google (verified email) links to her account.
    let google = Client::new(&app);
    assert_eq!(social(&google, "google", "victim-google").await.headers_location.as_deref(), Some("/cart"));
    assert_eq!(google.call("account/get", &[]).await.json()["name"], "Victoria");
}

#[sqlx::test(migrations = "./migrations")]
async fn social_sign_in_failures_land_on_the_sign_in_page(db: PgPool) {
    let app = app_with_provider(db).await;
    let browser = Client::new(&app);
    for (code, expected) in [("fail", "/sign-in?error=oauth_failed"), ("no-id", "/sign-in?error=oauth_failed"), ("refused", "/sign-in?error=oauth_failed")] {
        let res = social(&browser, "facebook", code).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{code}: {}", res.body);
        assert_eq!(res.headers_location.as_deref(), Some(expected), "{code}");
    }
    // A Facebook profile without an email signs in by the identity alone.
    let phone_only = Client::new(&app);
    assert_eq!(social(&phone_only, "facebook", "no-email").await.headers_location.as_deref(), Some("/cart"));
    assert_eq!(phone_only.call("account/get", &[]).await.json()["name"], "Phone Person");

    // The fifth failure shows the lock, and a locked device is told so.
    let device = Client::new(&app);
    device.accept_cookies().await;
    let mut last = String::new();
    for _ in 0..5 {
        last = social(&device, "facebook", "fail").await.headers_location.unwrap();
    }
    assert_eq!(last, "/sign-in?error=locked");
    assert_eq!(social(&device, "facebook", "no-email").await.headers_location.as_deref(), Some("/sign-in?error=locked"));
    let page = device.get("/sign-in?error=locked").await;
    assert!(page.body.contains("Too many unsuccessful attempts"));
}

// ---- 3, continued: every state-changing form is a real post ---------------------------------------

#[sqlx::test(migrations = "./migrations")]
async fn cart_cookie_and_account_forms_post_without_javascript(db: PgPool) {
    let app = spawn(db).await;
    let (variant, slug): (Uuid, String) = sqlx::query_as(
        "select s.id, p.slug from product_sizes s join product_colours c on c.id = s.product_colour_id
         join products p on p.id = c.product_id where s.stock >= 3 and p.is_active order by s.sku limit 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let page_path = format!("/p/{slug}");
    let browser = Client::new(&app);

    // Add to cart: the size radios belong to the form, which posts to the server function.
    let page = browser.get(&page_path).await;
    assert!(page.body.contains(r#"id="add-to-cart" method="post" action="/api/cart/add""#), "a real form");
    assert!(page.body.contains(r#"name="variant_id" form="add-to-cart""#), "sizes are part of it");
    let no_size = browser.post_form("cart/add", &[("quantity", "2")], &page_path).await;
    assert_eq!(no_size.status, StatusCode::FOUND);
    assert!(browser.get(&page_path).await.body.contains("Choose a size."), "explained on the page");
    assert_eq!(count(&app.db, "select count(*) from cart_items").await, 0, "and nothing changed");
    browser.post_form("cart/add", &[("variant_id", &variant.to_string()), ("quantity", "2")], &page_path).await;
    assert!(browser.get(&page_path).await.body.contains("Added to your cart — 2 items in total."));
    assert_eq!(count(&app.db, "select coalesce(sum(quantity), 0) from cart_items").await, 2);

    // Cookie settings: ticked boxes only; the choice is saved and confirmed.
    let saved = browser.post_form("consent/save", &[("analytics", "true")], "/privacy/cookies").await;
    assert_eq!(saved.status, StatusCode::FOUND);
    assert!(saved.set_cookies.iter().any(|c| c.starts_with("larkspur_consent=")), "{:?}", saved.set_cookies);
    assert!(browser.get("/privacy/cookies").await.body.contains("Your cookie choices are saved."));
    assert_eq!(count(&app.db, "select count(*) from devices").await, 1);

    // Account: name, and a new email confirmed by code, each as a plain post.
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    sign_in(&browser, "ada@example.com", PASSWORD, "/").await;
    browser.post_form("account/name", &[("name", "  ")], "/account").await;
    assert!(browser.get("/account").await.body.contains("Enter your name."));
    browser.post_form("account/name", &[("name", "Ada Lovelace")], "/account").await;
    assert_eq!(count(&app.db, "select count(*) from users where name = 'Ada Lovelace'").await, 1);

    let sent = browser.post_form("account/contact/send", &[("channel", "email"), ("destination", "ada@lovelace.example")], "/account").await;
    assert_eq!(sent.status, StatusCode::FOUND);
    let step_two = browser.get("/account").await;
    assert!(step_two.body.contains(r#"action="/api/account/contact/verify""#), "the code step follows");
    assert!(step_two.body.contains("ada@lovelace.example"), "with the address kept");
    let code = latest_email_code(&app, "ada@lovelace.example");
    let args = [("channel", "email"), ("destination", "ada@lovelace.example"), ("code", code.as_str())];
    browser.post_form("account/contact/verify", &args, "/account").await;
    let account = browser.call("account/get", &[]).await.json();
    assert_eq!(account["other_emails"], serde_json::json!(["ada@lovelace.example"]), "{account}");
    // Made the primary, as a plain post too.
    let made = browser.post_form("account/contact/primary", &[("channel", "email"), ("value", "ada@lovelace.example")], "/account").await;
    assert_eq!(made.status, StatusCode::FOUND);
    assert!(browser.get("/account").await.body.contains("ada@lovelace.example is now your primary one."));
    assert_eq!(browser.call("account/get", &[]).await.json()["email"], "ada@lovelace.example");
}

#[sqlx::test(migrations = "./migrations")]
async fn sessions_end_and_sign_out_post_without_javascript(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let phone = Client::with_agent(&app, PHONE_UA);
    sign_in(&phone, "ada@example.com", PASSWORD, "/").await;
    let laptop = Client::new(&app);
    sign_in(&laptop, "ada@example.com", PASSWORD, "/").await;

    let page = laptop.get("/account").await;
    assert!(page.body.contains("This device"), "the session list is part of the page");
    assert!(page.body.contains(r#"action="/api/account/sessions/end""#));
    let ended = laptop.post_form("account/sessions/end", &[], "/account").await;
    assert_eq!(ended.headers_location.as_deref(), Some("/account"));
    assert_eq!(phone.call("account/get", &[]).await.status, StatusCode::UNAUTHORIZED, "the other session ended");

    let out = laptop.post_form("auth/sign-out", &[], "/account").await;
    assert_eq!(out.headers_location.as_deref(), Some("/"));
    assert_eq!(laptop.call("account/get", &[]).await.status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_wishlist_button_posts_without_javascript(db: PgPool) {
    let app = spawn(db).await;
    let (product, slug): (Uuid, String) = sqlx::query_as("select id, slug from products where is_active order by slug limit 1").fetch_one(&app.db).await.unwrap();
    let browser = Client::new(&app);
    let path = format!("/p/{slug}");
    assert!(browser.get(&path).await.body.contains(r#"action="/api/wishlist/toggle""#));
    // Without cookies allowed or an account there is nowhere to keep it: the refusal is shown.
    browser.post_form("wishlist/toggle", &[("product_id", &product.to_string())], &path).await;
    assert!(browser.get(&path).await.body.contains("To save items, sign in or allow cookies"));
    assert_eq!(count(&app.db, "select count(*) from wishlist_items").await, 0);
    browser.accept_cookies().await;
    let saved = browser.post_form("wishlist/toggle", &[("product_id", &product.to_string())], &path).await;
    assert_eq!(saved.headers_location.as_deref(), Some(path.as_str()));
    assert_eq!(count(&app.db, "select count(*) from wishlist_items").await, 1);
    assert!(browser.get(&path).await.body.contains("Saved to wishlist"));
}

// ---- 12. A ceiling on every public write, the same on every instance --------------------------------

/// Server functions that only read, so no write ceiling counts them. Every other public
/// server function must fall in a `WriteGroup`: a new one cannot be forgotten.
const READS: &[&str] = &[
    "account/export/status", "account/get", "account/second-factor", "account/sessions", "auth/options", "auth/second-factor",
    "auth/sign-out", "cart/get", "catalog/home", "catalog/lookbook", "catalog/new-arrivals", "catalog/product", "checkout/cities",
    "checkout/get", "checkout/states", "cms/article", "cms/articles", "cms/tag", "consent/current", "forms/outcome", "layout/header",
    "newsletter/confirmation", "newsletter/subscription", "notifications/list", "notifications/settings", "notifications/unread",
    "notifications/unsubscribe/check", "orders/get", "orders/list", "reviews/list", "wishlist/contains", "wishlist/list",
];

#[test]
fn every_public_server_function_is_a_counted_write_or_a_read() {
    use larkspur::server::public_writes::WriteGroup;
    let mut unplaced: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .filter(|path| !path.starts_with("/api/admin/"))
        .filter(|path| WriteGroup::of(&axum::http::Method::POST, path).is_none() && !READS.contains(&path.trim_start_matches("/api/")))
        .collect();
    unplaced.sort();
    assert!(unplaced.is_empty(), "server functions in no write group and not listed as reads: {unplaced:?}");
    for read in READS {
        assert!(WriteGroup::of(&axum::http::Method::POST, &format!("/api/{read}")).is_none(), "{read} is listed as a read but counted");
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn every_public_write_group_answers_429_with_retry_after_past_its_ceiling(db: PgPool) {
    use larkspur::server::public_writes::WriteGroup;
    // Each group's ceiling at 2, and requests told apart by address (a proxy in front).
    let mut extra: Vec<(&str, &str)> = WriteGroup::ALL.iter().map(|g| (g.env(), "2")).collect();
    extra.push(("TRUST_PROXY", "true"));
    let app = spawn_configured(db, &redis_url(), &extra).await;
    let browser = Client::new(&app);
    let from = |address: &str, method: &str, uri: &str| {
        axum::http::Request::builder()
            .method(method)
            .uri(uri)
            .header("x-forwarded-for", address)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
    };
    let samples = [
        (WriteGroup::SignIn, "POST", "/api/auth/code/send"),
        (WriteGroup::Account, "POST", "/api/account/name"),
        (WriteGroup::Cart, "POST", "/api/cart/add"),
        (WriteGroup::Wishlist, "POST", "/api/wishlist/toggle"),
        (WriteGroup::Reviews, "POST", "/api/reviews/submit"),
        (WriteGroup::Votes, "POST", "/api/reviews/helpful"),
        (WriteGroup::Beacons, "POST", "/api/cms/read"),
        (WriteGroup::Checkout, "POST", "/api/checkout/contact"),
        (WriteGroup::Newsletter, "POST", "/api/newsletter/subscribe"),
        (WriteGroup::Consent, "POST", "/api/consent/save"),
        (WriteGroup::Search, "GET", "/search?q=shirt"),
    ];
    assert_eq!(samples.len(), WriteGroup::ALL.len(), "a sample of every group");
    for (group, method, uri) in samples {
        for _ in 0..2 {
            let res = browser.request(from("203.0.113.7", method, uri), Body::empty()).await;
            assert_ne!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}: refused under its ceiling", group.name());
        }
        let refused = browser.request(from("203.0.113.7", method, uri), Body::empty()).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}: {}", group.name(), refused.body);
        let wait = retry_after(&refused);
        assert!((1..=60).contains(&wait), "{}: Retry-After {wait}", group.name());
        // A server function's refusal is its error as the islands decode it; a page's says so in words.
        if uri.starts_with("/api/") {
            let error: larkspur::error::AppError = serde_json::from_str(&refused.body).unwrap_or_else(|e| panic!("{}: {e}: {}", group.name(), refused.body));
            assert!(error.to_string().starts_with("Please wait"), "{}: {error}", group.name());
        } else {
            assert!(refused.body.contains("Please wait"), "{}: {}", group.name(), refused.body);
        }
        let other = browser.request(from("198.51.100.4", method, uri), Body::empty()).await;
        assert_ne!(other.status, StatusCode::TOO_MANY_REQUESTS, "{}: another address has its own count", group.name());
    }
    // A form posted without JavaScript gets a page that says so.
    let page = browser
        .request(
            axum::http::Request::post("/api/cart/add")
                .header("x-forwarded-for", "203.0.113.7")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "text/html,application/xhtml+xml"),
            Body::empty(),
        )
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.body.contains("<h1>Too many requests</h1>") && page.body.contains("Please wait"), "{}", page.body);
    assert!(page.headers.contains_key(header::RETRY_AFTER));
    // The minute passes (by the store's clock) and the address may write again.
    app.clock.advance(chrono::Duration::seconds(61));
    let later = browser.request(from("203.0.113.7", "POST", "/api/cart/add"), Body::empty()).await;
    assert_ne!(later.status, StatusCode::TOO_MANY_REQUESTS);
}
