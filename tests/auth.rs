//! Identity against the real router, a fresh database per test, real Redis and a clock the
//! test moves.
#![cfg(feature = "ssr")]

mod support;

use axum::http::StatusCode;
use chrono::Duration;
use sqlx::PgPool;
use support::*;
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

async fn sign_in(client: &Client, email: &str, password: &str) -> Response {
    client.call("auth/sign-in/password", &[("email", email), ("password", password), ("next", "/cart")]).await
}

async fn count(db: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn password_sign_in_records_session_event_and_metrics(db: PgPool) {
    let app = spawn(db).await;
    let user = create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let browser = Client::new(&app);
    let res = sign_in(&browser, "Ada@Example.com", PASSWORD).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json(), "/cart");
    let cookie = res.set_cookies.iter().find(|c| c.starts_with("larkspur_session=")).expect("session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));

    let account = browser.call("account/get", &[]).await;
    assert_eq!(account.status, StatusCode::OK);
    assert_eq!(account.json()["email"], "ada@example.com");

    let (logins, sessions): (i32, i32) = sqlx::query_as("select total_logins, sessions_created from user_metrics where user_id = $1")
        .bind(user).fetch_one(&app.db).await.unwrap();
    assert_eq!((logins, sessions), (1, 1));
    assert_eq!(count(&app.db, "select count(*) from login_events where event_type = 'sign_in' and status = 'success' and method = 'password'").await, 1);
    assert_eq!(count(&app.db, "select count(*) from user_sessions where revoked_at is null").await, 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn wrong_password_and_unknown_email_look_the_same(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let browser = Client::new(&app);
    let wrong = sign_in(&browser, "ada@example.com", "not the password").await;
    let unknown = sign_in(&browser, "nobody@example.com", "not the password").await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.body, unknown.body, "no user enumeration");
    assert!(wrong.body.contains("email or password is incorrect"));
    assert_eq!(count(&app.db, "select count(*) from login_events where status = 'failure'").await, 2);
    let bad = sign_in(&browser, "not-an-email", PASSWORD).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("valid email"));
    assert!(browser.cookie("larkspur_session").is_none(), "failures create no session");
}

#[sqlx::test(migrations = "./migrations")]
async fn five_failures_lock_the_device_not_the_account(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let attacker = Client::new(&app);
    attacker.accept_cookies().await;
    for attempt in 1..=4 {
        let res = sign_in(&attacker, "ada@example.com", "guess").await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "attempt {attempt}");
    }
    let fifth = sign_in(&attacker, "ada@example.com", "guess").await;
    assert_eq!(fifth.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(fifth.json()["DeviceLocked"]["retry_after_secs"], 300, "{}", fifth.body);
    app.clock.advance(Duration::seconds(30));
    let right = sign_in(&attacker, "ada@example.com", PASSWORD).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    assert_eq!(right.json()["DeviceLocked"]["retry_after_secs"], 270, "the time left is reported");

    // The account itself is not locked: the owner signs in from their own device.
    let owner = Client::with_agent(&app, PHONE_UA);
    owner.accept_cookies().await;
    assert_eq!(sign_in(&owner, "ada@example.com", PASSWORD).await.status, StatusCode::OK);

    app.clock.advance(Duration::minutes(4) + Duration::seconds(31));
    assert_eq!(sign_in(&attacker, "ada@example.com", PASSWORD).await.status, StatusCode::OK, "the lock expires");
    assert_eq!(count(&app.db, "select count(*) from login_events where event_type = 'device_locked'").await, 1);

    // Staff can lift a lock before it expires. (Another account: ada has had ten failures
    // in fifteen minutes, so only her known devices may try her account for now.)
    create_user(&app.db, "bo@example.com", PASSWORD, "customer").await;
    let shared = Client::new(&app);
    shared.accept_cookies().await;
    for _ in 0..5 {
        sign_in(&shared, "bo@example.com", "guess").await;
    }
    assert_eq!(sign_in(&shared, "bo@example.com", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
    let device: Uuid = sqlx::query_scalar("select device_id from login_events where event_type = 'device_locked' order by created_at desc limit 1")
        .fetch_one(&app.db).await.unwrap();
    assert!(larkspur::auth::server::throttle::unlock_device(&app.db, device).await.unwrap());
    assert_eq!(sign_in(&shared, "bo@example.com", PASSWORD).await.status, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn email_code_signs_up_then_cannot_be_reused(db: PgPool) {
    let app = spawn(db).await;
    let browser = Client::new(&app);
    let sent = browser.call("auth/code/send", &[("channel", "email"), ("destination", "new@example.com")]).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    let code = latest_email_code(&app, "new@example.com");
    let stored: Option<String> = sqlx::query_scalar("select code_hash from auth_requests").fetch_one(&app.db).await.unwrap();
    assert!(!stored.unwrap().contains(&code), "only a keyed hash is stored");

    let args = [("channel", "email"), ("destination", "new@example.com"), ("code", code.as_str()), ("name", "Nia"), ("password", PASSWORD), ("next", "/")];
    let res = browser.call("auth/code/verify", &args).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let (name, verified): (String, bool) = sqlx::query_as("select name, email_verified_at is not null from users where email = 'new@example.com'")
        .fetch_one(&app.db).await.unwrap();
    assert_eq!((name.as_str(), verified), ("Nia", true));
    assert_eq!(count(&app.db, "select count(*) from login_events where event_type = 'sign_up'").await, 1);

    let again = Client::new(&app).call("auth/code/verify", &args).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "single use");
    // And the password chosen at sign-up works.
    assert_eq!(sign_in(&Client::new(&app), "new@example.com", PASSWORD).await.status, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn codes_expire_and_allow_five_tries(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let browser = Client::new(&app);
    let send = || browser.call("auth/code/send", &[("channel", "email"), ("destination", "ada@example.com")]);
    assert_eq!(send().await.status, StatusCode::OK);
    let resend = send().await;
    assert_eq!(resend.status, StatusCode::TOO_MANY_REQUESTS, "cool-down between sends");
    assert_eq!(resend.json()["RateLimited"]["retry_after_secs"], 60);

    let code = latest_email_code(&app, "ada@example.com");
    app.clock.advance(Duration::minutes(11));
    let app = &app;
    let verify = |code: String| async move {
        Client::new(app).call("auth/code/verify", &[("channel", "email"), ("destination", "ada@example.com"), ("code", &code), ("next", "/")]).await
    };
    let expired = verify(code).await;
    assert!(expired.body.contains("expired"), "{}", expired.body);

    assert_eq!(send().await.status, StatusCode::OK);
    let code = latest_email_code(app, "ada@example.com");
    let wrong = if code == "000000" { "111111" } else { "000000" }.to_string();
    // Each guess from a different device, so the device lock does not step in first: the
    // code's own limit of five tries still holds.
    let from_new_device = |code: String| async move {
        let client = Client::new(app);
        client.accept_cookies().await;
        client.call("auth/code/verify", &[("channel", "email"), ("destination", "ada@example.com"), ("code", &code), ("next", "/")]).await
    };
    for _ in 0..4 {
        let res = from_new_device(wrong.clone()).await;
        assert!(res.body.contains("isn't right"), "{}", res.body);
    }
    assert!(from_new_device(wrong.clone()).await.body.contains("too many times"));
    assert!(from_new_device(code).await.body.contains("too many times"), "five wrong tries use the code up");
}

#[sqlx::test(migrations = "./migrations")]
async fn sms_code_signs_in_by_phone(db: PgPool) {
    let app = spawn(db).await;
    let browser = Client::new(&app);
    let bad = browser.call("auth/code/send", &[("channel", "sms"), ("destination", "555 0100")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("country code"));
    let sent = browser.call("auth/code/send", &[("channel", "sms"), ("destination", "+1 555 010 0100")]).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert!(sent.json()["sent_to"].as_str().unwrap().contains("•"), "the number is masked");
    let code = latest_sms_code(&app, "+15550100100");
    let res = browser.call("auth/code/verify", &[("channel", "sms"), ("destination", "+15550100100"), ("code", &code), ("next", "/")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(count(&app.db, "select count(*) from users where phone = '+15550100100' and phone_verified_at is not null").await, 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn magic_link_works_once(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let browser = Client::new(&app);
    assert_eq!(browser.call("auth/link/send", &[("email", "ada@example.com"), ("next", "/cart")]).await.status, StatusCode::OK);
    let token = latest_email_token(&app, "ada@example.com");
    let res = browser.call("auth/link/use", &[("token", &token), ("next", "/cart")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json(), "/cart");
    let reuse = Client::new(&app).call("auth/link/use", &[("token", &token), ("next", "/")]).await;
    assert_eq!(reuse.status, StatusCode::BAD_REQUEST);
    assert!(reuse.body.contains("not valid any more"));

    // Unknown addresses get a different email but the same answer on the page.
    let unknown = Client::new(&app).call("auth/link/send", &[("email", "ghost@example.com"), ("next", "/")]).await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert!(latest_message_to(&app, "ghost@example.com").contains("no Larkspur account uses it"));
}

#[sqlx::test(migrations = "./migrations")]
async fn password_reset_by_code_ends_other_sessions(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let laptop = Client::new(&app);
    assert_eq!(sign_in(&laptop, "ada@example.com", PASSWORD).await.status, StatusCode::OK);
    let phone = Client::with_agent(&app, PHONE_UA);
    assert_eq!(phone.call("auth/reset/send", &[("email", "ada@example.com")]).await.status, StatusCode::OK);
    let code = latest_email_code(&app, "ada@example.com");
    let weak = phone.call("auth/reset/complete", &[("email", "ada@example.com"), ("code", &code), ("token", ""), ("password", "short")]).await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY, "the code is not spent on a weak password");
    let res = phone.call("auth/reset/complete", &[("email", "ada@example.com"), ("code", &code), ("token", ""), ("password", "a brand new phrase")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(laptop.call("account/get", &[]).await.status, StatusCode::UNAUTHORIZED, "old sessions end");
    assert_eq!(sign_in(&Client::new(&app), "ada@example.com", "a brand new phrase").await.status, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn sessions_are_listed_and_can_be_ended(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let laptop = Client::new(&app);
    laptop.accept_cookies().await;
    let phone = Client::with_agent(&app, PHONE_UA);
    phone.accept_cookies().await;
    let tablet = Client::new(&app);
    for browser in [&laptop, &phone, &tablet] {
        assert_eq!(sign_in(browser, "ada@example.com", PASSWORD).await.status, StatusCode::OK);
    }
    let list = laptop.call("account/sessions", &[]).await.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3, "one user on several devices at once");
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    assert!(list.iter().any(|s| s["device"] == "mobile" && s["os"] == "iPhone"));

    let phone_session = list.iter().find(|s| s["device"] == "mobile").unwrap()["id"].as_str().unwrap().to_owned();
    let ended = laptop.call("account/sessions/end", &[("id", &phone_session)]).await;
    assert_eq!(ended.json(), 1);
    assert_eq!(phone.call("account/get", &[]).await.status, StatusCode::UNAUTHORIZED, "the phone is signed out");
    assert_eq!(laptop.call("account/sessions/end", &[]).await.json(), 1, "all others: the tablet");
    assert_eq!(tablet.call("account/get", &[]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(laptop.call("account/get", &[]).await.status, StatusCode::OK, "this session stays");

    // Browsing moves "last active" forward (at most once a minute).
    app.clock.advance(Duration::minutes(3));
    laptop.get("/").await;
    let active: chrono::DateTime<chrono::Utc> = sqlx::query_scalar("select max(last_active_at) from user_sessions where revoked_at is null")
        .fetch_one(&app.db).await.unwrap();
    assert_eq!(active, app.clock_now());

    // Someone else cannot end Ada's sessions.
    create_user(&app.db, "eve@example.com", PASSWORD, "customer").await;
    let eve = Client::new(&app);
    sign_in(&eve, "eve@example.com", PASSWORD).await;
    let current: String = sqlx::query_scalar("select u.id::text from user_sessions u join users x on x.id = u.user_id where x.email = 'ada@example.com' and revoked_at is null")
        .fetch_one(&app.db).await.unwrap();
    assert_eq!(eve.call("account/sessions/end", &[("id", &current)]).await.json(), 0);
    assert_eq!(laptop.call("account/get", &[]).await.status, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn session_id_rotates_and_sign_out_destroys_it(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let browser = Client::new(&app);
    browser.accept_cookies().await;
    let before = browser.cookie("larkspur_session").expect("consent stored the device in a session");
    sign_in(&browser, "ada@example.com", PASSWORD).await;
    let after = browser.cookie("larkspur_session").unwrap();
    assert_ne!(before, after, "a new session id at sign-in");
    let device: Uuid = sqlx::query_scalar("select device_id from user_sessions").fetch_one(&app.db).await.unwrap();

    assert_eq!(browser.call("auth/sign-out", &[]).await.status, StatusCode::OK);
    assert_eq!(browser.call("account/get", &[]).await.status, StatusCode::UNAUTHORIZED);
    let mut redis = redis_keys(&after).await;
    assert!(redis.pop().is_none(), "the old session is gone from Redis");

    // The next person on this device is recognised as the same device.
    create_user(&app.db, "bob@example.com", PASSWORD, "customer").await;
    sign_in(&browser, "bob@example.com", PASSWORD).await;
    let devices: Vec<Uuid> = sqlx::query_scalar("select device_id from user_sessions order by created_at").fetch_all(&app.db).await.unwrap();
    assert_eq!(devices, vec![device, device]);
}

async fn redis_keys(pattern: &str) -> Vec<String> {
    use fred::prelude::*;
    let client = Builder::from_config(Config::from_url(&redis_url()).unwrap()).build().unwrap();
    client.init().await.unwrap();
    let exists: i64 = client.exists(pattern).await.unwrap();
    if exists > 0 { vec![pattern.to_owned()] } else { vec![] }
}

#[sqlx::test(migrations = "./migrations")]
async fn consent_decides_what_is_tracked(db: PgPool) {
    let app = spawn(db).await;
    let declined = Client::new(&app);
    let res = declined.call("consent/save", &[("analytics", "false"), ("marketing", "false")]).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(declined.cookie("larkspur_session").is_none(), "no session cookie after declining");
    assert!(declined.cookie("larkspur_consent").is_some(), "the choice itself is remembered");
    assert_eq!(count(&app.db, "select count(*) from devices").await, 0);
    assert_eq!(count(&app.db, "select count(*) from anonymous_users").await, 0);
    assert_eq!(count(&app.db, "select count(*) from consent_records where decision = 'reject_all' and device_id is null").await, 1);
    assert!(!declined.get("/").await.body.contains("consent-banner"), "the banner is not shown again");

    let accepted = Client::with_agent(&app, PHONE_UA);
    assert!(accepted.get("/").await.body.contains("consent-banner"), "first visit asks");
    accepted.accept_cookies().await;
    let (device_type, os): (String, String) = sqlx::query_as("select device_type, os from devices").fetch_one(&app.db).await.unwrap();
    assert_eq!((device_type.as_str(), os.as_str()), ("mobile", "iPhone"));
    assert_eq!(count(&app.db, "select count(*) from anonymous_users").await, 1);

    // Withdrawing stops tracking from now on.
    accepted.call("consent/save", &[("analytics", "false"), ("marketing", "false")]).await;
    assert_eq!(count(&app.db, "select count(*) from consent_records where decision = 'withdraw'").await, 1);
    accepted.call("consent/save", &[("analytics", "true"), ("marketing", "false")]).await;
    assert_eq!(count(&app.db, "select count(*) from devices").await, 2, "a fresh device after re-consent, not the withdrawn one");
}

async fn variant(db: &PgPool, offset: i64) -> (Uuid, i32) {
    sqlx::query_as("select id, stock from product_sizes where stock >= 3 order by sku offset $1 limit 1")
        .bind(offset)
        .fetch_one(db)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn anonymous_cart_and_wishlist_merge_into_the_account(db: PgPool) {
    let app = spawn(db).await;
    let user = create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let (shared, shared_stock) = variant(&app.db, 0).await;
    let (only_anonymous, _) = variant(&app.db, 1).await;
    let (product_a, product_b): (Uuid, Uuid) = sqlx::query_as("select (select id from products order by slug limit 1), (select id from products order by slug offset 1 limit 1)")
        .fetch_one(&app.db).await.unwrap();

    // The account already has a cart line and a wishlist item.
    let user_cart: Uuid = sqlx::query_scalar("insert into carts (user_id) values ($1) returning id").bind(user).fetch_one(&app.db).await.unwrap();
    sqlx::query("insert into cart_items (cart_id, product_size_id, quantity) values ($1, $2, $3)")
        .bind(user_cart).bind(shared).bind(shared_stock - 1).execute(&app.db).await.unwrap();
    sqlx::query("insert into wishlist_items (user_id, product_id) values ($1, $2)").bind(user).bind(product_a).execute(&app.db).await.unwrap();

    // An anonymous shopper fills an overlapping cart and wishlist, then signs in.
    let browser = Client::new(&app);
    browser.accept_cookies().await;
    let anonymous: Uuid = sqlx::query_scalar("select id from anonymous_users").fetch_one(&app.db).await.unwrap();
    let anon_cart: Uuid = sqlx::query_scalar("insert into carts (anonymous_user_id) values ($1) returning id").bind(anonymous).fetch_one(&app.db).await.unwrap();
    for (variant, qty) in [(shared, 2), (only_anonymous, 1)] {
        sqlx::query("insert into cart_items (cart_id, product_size_id, quantity) values ($1, $2, $3)")
            .bind(anon_cart).bind(variant).bind(qty).execute(&app.db).await.unwrap();
    }
    for product in [product_a, product_b] {
        sqlx::query("insert into wishlist_items (anonymous_user_id, product_id) values ($1, $2)").bind(anonymous).bind(product).execute(&app.db).await.unwrap();
    }
    assert!(browser.get("/").await.body.contains(">3</span>"), "the header counts the anonymous cart");
    assert_eq!(sign_in(&browser, "ada@example.com", PASSWORD).await.status, StatusCode::OK);

    let lines: Vec<(Uuid, i32)> = sqlx::query_as("select product_size_id, quantity from cart_items where cart_id = $1 order by quantity desc")
        .bind(user_cart).fetch_all(&app.db).await.unwrap();
    assert_eq!(lines.len(), 2, "same colour+size merged into one line");
    // Capped at stock and at the cart's ceiling per line, whichever is lower (signing out,
    // adding and signing in again never grows a line past it).
    let cap = shared_stock.min(larkspur::cart::MAX_LINE_QUANTITY);
    assert!(lines.contains(&(shared, cap)), "quantities add up, capped at stock and the line ceiling: {lines:?}");
    assert!(lines.contains(&(only_anonymous, 1)));
    assert_eq!(count(&app.db, &format!("select count(*) from carts where anonymous_user_id = '{anonymous}'")).await, 0, "the anonymous cart is gone");
    assert_eq!(count(&app.db, &format!("select count(*) from carts where id = '{anon_cart}'")).await, 0);
    assert_eq!(count(&app.db, &format!("select count(*) from wishlist_items where user_id = '{user}'")).await, 2, "duplicates collapse");
    assert_eq!(count(&app.db, "select count(*) from wishlist_items where anonymous_user_id is not null").await, 0);
    let converted: Option<Uuid> = sqlx::query_scalar("select converted_user_id from anonymous_users").fetch_one(&app.db).await.unwrap();
    assert_eq!(converted, Some(user));
}

#[sqlx::test(migrations = "./migrations")]
async fn staff_pages_and_functions_check_the_role(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "cus@example.com", PASSWORD, "customer").await;
    let customer = Client::new(&app);
    sign_in(&customer, "cus@example.com", PASSWORD).await;
    assert_eq!(customer.call("admin/overview", &[]).await.status, StatusCode::FORBIDDEN);
    let page = customer.get("/admin").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("Access denied"));

    let admin = Client::new(&app);
    let res = password_sign_in(&app, &admin, larkspur::seed::ADMIN_EMAIL, larkspur::seed::ADMIN_PASSWORD, "/").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let overview = admin.call("admin/overview", &[]).await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(overview.json()["live_products"].as_i64().unwrap() >= 60);
    assert_eq!(admin.get("/admin").await.status, StatusCode::OK);

    let editor = Client::new(&app);
    password_sign_in(&app, &editor, larkspur::seed::EDITOR_EMAIL, larkspur::seed::EDITOR_PASSWORD, "/").await;
    assert_eq!(editor.call("admin/overview", &[]).await.status, StatusCode::OK, "editors see the dashboard");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_staff_command_creates_staff_and_a_promotion_ends_the_old_sessions(db: PgPool) {
    use larkspur::auth::{server::users::set_staff, types::{Email, NewPassword}, Role};
    let app = spawn(db).await;
    let now = app.clock_now();
    let owner = Email::parse("owner@shop.example").unwrap();
    let password = NewPassword::parse("a long staff passphrase", Some(owner.as_str())).unwrap();
    assert!(set_staff(&app.db, &app.state.redis, &owner, &password, Role::Admin, now).await.unwrap(), "created");
    let admin = Client::new(&app);
    assert_eq!(password_sign_in(&app, &admin, "owner@shop.example", "a long staff passphrase", "/").await.status, StatusCode::OK);
    assert_eq!(admin.call("admin/overview", &[]).await.status, StatusCode::OK);
    let customer_role = set_staff(&app.db, &app.state.redis, &owner, &password, Role::Customer, now).await;
    assert!(customer_role.is_err(), "the command makes staff only");

    // A customer promoted to editor gets the new password and is signed out everywhere.
    create_user(&app.db, "shopper@example.com", PASSWORD, "customer").await;
    let shopper = Client::new(&app);
    assert_eq!(sign_in(&shopper, "shopper@example.com", PASSWORD).await.status, StatusCode::OK);
    let email = Email::parse("Shopper@Example.com").unwrap();
    let new_password = NewPassword::parse("editor passphrase here", None).unwrap();
    assert!(!set_staff(&app.db, &app.state.redis, &email, &new_password, Role::Editor, now).await.unwrap(), "updated");
    assert_eq!(shopper.call("admin/overview", &[]).await.status, StatusCode::UNAUTHORIZED, "the old session ended");
    assert_eq!(sign_in(&shopper, "shopper@example.com", PASSWORD).await.status, StatusCode::BAD_REQUEST, "the old password is gone");
    let editor = Client::new(&app);
    assert_eq!(password_sign_in(&app, &editor, "shopper@example.com", "editor passphrase here", "/").await.status, StatusCode::OK);
    assert_eq!(editor.call("admin/overview", &[]).await.status, StatusCode::OK);
    assert_eq!(count(&app.db, "select count(*) from users where email = 'shopper@example.com' and role = 'editor'").await, 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn oauth_links_by_email_only_when_verified(db: PgPool) {
    use larkspur::auth::server::oauth::{find_or_create, Profile};
    let app = spawn(db.clone()).await;
    let existing = create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let state = larkspur::server::startup::app_state(
        larkspur::server::config::Config::from_map(&std::collections::HashMap::from([
            ("DATABASE_URL", "postgres://x/y"),
            ("REDIS_URL", redis_url().as_str()),
            ("AUTH_SECRET", "test-secret-test-secret-test-secret!"),
        ])).unwrap(),
        db,
        app.clock.clone(),
    ).await.unwrap();
    let now = chrono::Utc::now();
    let profile = |sub: &str, verified: bool| Profile { subject: sub.into(), email: Some("ada@example.com".into()), email_verified: verified, name: "Ada".into() };

    let (stranger, event) = find_or_create(&state, "facebook", &profile("fb-1", false), now).await.unwrap();
    assert_eq!(event, "sign_up");
    assert_ne!(stranger.id, existing, "an unverified email never reaches the account that has it");
    assert_eq!(stranger.email, None, "and is not copied while another account holds it");
    let (user, event) = find_or_create(&state, "google", &profile("g-1", true), now).await.unwrap();
    assert_eq!((user.id, event), (existing, "sign_in"), "verified email links to the account");
    let (again, _) = find_or_create(&state, "google", &profile("g-1", true), now).await.unwrap();
    assert_eq!(again.id, existing, "the linked identity is found directly");
    let fresh = Profile { subject: "g-2".into(), email: Some("new@example.com".into()), email_verified: true, name: "New".into() };
    let (created, event) = find_or_create(&state, "google", &fresh, now).await.unwrap();
    assert_eq!(event, "sign_up");
    assert_ne!(created.id, existing);
}

#[sqlx::test(migrations = "./migrations")]
async fn oauth_start_uses_pkce_and_state_and_callback_rejects_forged_state(db: PgPool) {
    let app = spawn(db).await;
    let browser = Client::new(&app);
    let res = browser.get("/auth/oauth/google/start?next=/cart").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let location = res.headers_location.clone().expect("redirect to the provider");
    assert!(location.starts_with("https://accounts.google.com/o/oauth2/v2/auth?"));
    for part in ["response_type=code", "code_challenge=", "code_challenge_method=S256", "state=", "client_id=larkspur-test"] {
        assert!(location.contains(part), "{part} in {location}");
    }
    let forged = browser.get("/auth/oauth/google/callback?code=abc&state=forged").await;
    assert_eq!(forged.headers_location.as_deref(), Some("/sign-in?error=oauth_state"));
    assert_eq!(count(&app.db, "select count(*) from login_events where reason = 'oauth_state_mismatch'").await, 1);
    assert_eq!(browser.get("/auth/oauth/myspace/start").await.status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = "./migrations")]
async fn contact_details_change_only_after_a_code(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    create_user(&app.db, "taken@example.com", PASSWORD, "customer").await;
    let browser = Client::new(&app);
    sign_in(&browser, "ada@example.com", PASSWORD).await;

    // An address another account uses gets a code like any other (the answer tells nothing),
    // and is refused only once the code proved it is the caller's.
    let taken = browser.call("account/contact/send", &[("channel", "email"), ("destination", "taken@example.com")]).await;
    let free = browser.call("account/contact/send", &[("channel", "email"), ("destination", "nobody.yet@example.com")]).await;
    assert_eq!((taken.status, free.status), (StatusCode::OK, StatusCode::OK), "{}", taken.body);
    assert_eq!(taken.json()["resend_after_secs"], free.json()["resend_after_secs"], "{} / {}", taken.body, free.body);
    let code = latest_email_code(&app, "taken@example.com");
    let res = browser.call("account/contact/verify", &[("channel", "email"), ("destination", "taken@example.com"), ("code", &code)]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("An account already uses this email address"), "{}", res.body);
    assert_eq!(browser.call("account/get", &[]).await.json()["email"], "ada@example.com");

    assert_eq!(browser.call("account/contact/send", &[("channel", "sms"), ("destination", "+44 7700 900123")]).await.status, StatusCode::OK);
    let code = latest_sms_code(&app, "+447700900123");
    let res = browser.call("account/contact/verify", &[("channel", "sms"), ("destination", "+447700900123"), ("code", &code)]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let account = browser.call("account/get", &[]).await.json();
    assert_eq!((account["phone"].as_str(), account["phone_verified"].as_bool()), (Some("+447700900123"), Some(true)));

    assert_eq!(browser.call("account/contact/send", &[("channel", "email"), ("destination", "ada.new@example.com")]).await.status, StatusCode::OK);
    let res = browser.call("account/contact/verify", &[("channel", "email"), ("destination", "ada.new@example.com"), ("code", "000000")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(browser.call("account/get", &[]).await.json()["email"], "ada@example.com", "unchanged without the right code");
    let code = latest_email_code(&app, "ada.new@example.com");
    browser.call("account/contact/verify", &[("channel", "email"), ("destination", "ada.new@example.com"), ("code", &code)]).await;
    let account = browser.call("account/get", &[]).await.json();
    assert_eq!(account["email"], "ada@example.com", "the proven primary stays until another is made primary");
    assert_eq!(account["other_emails"], serde_json::json!(["ada.new@example.com"]));
}

/// Adds a proven address (or number) the way the account page does: a code, then the code.
async fn add_contact(app: &TestApp, browser: &Client, channel: &str, destination: &str) -> Response {
    // Past the resend pause of the code before.
    app.clock.advance(Duration::seconds(61));
    let sent = browser.call("account/contact/send", &[("channel", channel), ("destination", destination)]).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    let code = if channel == "sms" { latest_sms_code(app, destination) } else { latest_email_code(app, destination) };
    browser.call("account/contact/verify", &[("channel", channel), ("destination", destination), ("code", &code)]).await
}

#[sqlx::test(migrations = "./migrations")]
async fn an_account_holds_several_proven_addresses_and_numbers_with_one_primary_of_each(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let browser = Client::new(&app);
    sign_in(&browser, "ada@example.com", PASSWORD).await;
    assert_eq!(add_contact(&app, &browser, "email", "ada.two@example.com").await.status, StatusCode::OK);
    assert_eq!(add_contact(&app, &browser, "sms", "+447700900111").await.status, StatusCode::OK);
    assert_eq!(add_contact(&app, &browser, "sms", "+447700900222").await.status, StatusCode::OK);
    let account = browser.call("account/get", &[]).await.json();
    assert_eq!((account["email"].as_str(), account["phone"].as_str()), (Some("ada@example.com"), Some("+447700900111")), "{account}");
    assert_eq!(account["other_emails"], serde_json::json!(["ada.two@example.com"]));
    assert_eq!(account["other_phones"], serde_json::json!(["+447700900222"]));

    // Any proven one signs in: the other address with the password, the other number by code.
    assert_eq!(sign_in(&Client::new(&app), "ada.two@example.com", PASSWORD).await.status, StatusCode::OK);
    let phone = Client::new(&app);
    app.clock.advance(Duration::seconds(61));
    assert_eq!(phone.call("auth/code/send", &[("channel", "sms"), ("destination", "+447700900222")]).await.status, StatusCode::OK);
    let code = latest_sms_code(&app, "+447700900222");
    let res = phone.call("auth/code/verify", &[("channel", "sms"), ("destination", "+447700900222"), ("code", &code), ("next", "/")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(phone.call("account/get", &[]).await.json()["email"], "ada@example.com", "the same account");

    // Make the other address primary: the old one becomes one of the others.
    let res = browser.call("account/contact/primary", &[("channel", "email"), ("value", "ada.two@example.com")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let account = browser.call("account/get", &[]).await.json();
    assert_eq!((account["email"].as_str(), account["email_verified"].as_bool()), (Some("ada.two@example.com"), Some(true)));
    assert_eq!(account["other_emails"], serde_json::json!(["ada@example.com"]));
    // Something that is not one of the account's others cannot be made primary.
    let res = browser.call("account/contact/primary", &[("channel", "email"), ("value", "stranger@example.com")]).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    // Removing: an other, then the primary number (the other number takes its place).
    assert_eq!(browser.call("account/contact/remove", &[("channel", "email"), ("value", "ada@example.com")]).await.status, StatusCode::OK);
    assert_eq!(sign_in(&Client::new(&app), "ada@example.com", PASSWORD).await.status, StatusCode::BAD_REQUEST, "a removed address no longer signs in");
    assert_eq!(browser.call("account/contact/remove", &[("channel", "sms"), ("value", "+447700900111")]).await.status, StatusCode::OK);
    let account = browser.call("account/get", &[]).await.json();
    assert_eq!(account["phone"], "+447700900222");
    assert_eq!(account["other_phones"], serde_json::json!([]));
    assert_eq!(browser.call("account/contact/remove", &[("channel", "sms"), ("value", "+447700900222")]).await.status, StatusCode::OK);

    // The last proven way to sign in stays.
    let res = browser.call("account/contact/remove", &[("channel", "email"), ("value", "ada.two@example.com")]).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert!(res.body.contains("last way you can sign in"), "{}", res.body);
    let account = browser.call("account/get", &[]).await.json();
    assert_eq!((account["email"].as_str(), account["email_verified"].as_bool()), (Some("ada.two@example.com"), Some(true)), "unchanged");
}

#[sqlx::test(migrations = "./migrations")]
async fn an_address_or_number_belongs_to_one_account_at_most(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    create_user(&app.db, "bob@example.com", PASSWORD, "customer").await;
    let ada = Client::new(&app);
    sign_in(&ada, "ada@example.com", PASSWORD).await;
    let bob = Client::with_agent(&app, PHONE_UA);
    sign_in(&bob, "bob@example.com", PASSWORD).await;
    assert_eq!(add_contact(&app, &bob, "email", "shared@example.com").await.status, StatusCode::OK);
    assert_eq!(add_contact(&app, &bob, "sms", "+447700900333").await.status, StatusCode::OK);

    // Ada proves she receives at Bob's other address and number: still refused.
    for (channel, value, field) in [("email", "shared@example.com", "email"), ("sms", "+447700900333", "phone"), ("email", "bob@example.com", "email")] {
        let res = add_contact(&app, &ada, channel, value).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{value}: {}", res.body);
        assert!(res.body.contains(field) && res.body.contains("An account already uses"), "{}", res.body);
    }
    let account = ada.call("account/get", &[]).await.json();
    assert_eq!((account["other_emails"].clone(), account["phone"].clone()), (serde_json::json!([]), serde_json::Value::Null));
    let res = ada.call("account/contact/primary", &[("channel", "email"), ("value", "shared@example.com")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let res = ada.call("account/contact/remove", &[("channel", "email"), ("value", "shared@example.com")]).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    assert_eq!(bob.call("account/get", &[]).await.json()["other_emails"], serde_json::json!(["shared@example.com"]));
}

#[sqlx::test(migrations = "./migrations")]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let laptop = Client::new(&app);
    let phone = Client::with_agent(&app, PHONE_UA);
    sign_in(&laptop, "ada@example.com", PASSWORD).await;
    sign_in(&phone, "ada@example.com", PASSWORD).await;
    let wrong = laptop.call("account/password", &[("current", "not it"), ("new_password", "another fine phrase")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("current password is incorrect"));
    let weak = laptop.call("account/password", &[("current", PASSWORD), ("new_password", "password123")]).await;
    assert!(weak.body.contains("too easy to guess"));
    let ok = laptop.call("account/password", &[("current", PASSWORD), ("new_password", "another fine phrase")]).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(phone.call("account/get", &[]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(laptop.call("account/get", &[]).await.status, StatusCode::OK);
    assert_eq!(sign_in(&Client::new(&app), "ada@example.com", "another fine phrase").await.status, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_weak_password_does_not_use_up_the_reset_link(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let browser = Client::new(&app);
    assert_eq!(browser.call("auth/reset/send", &[("email", "ada@example.com")]).await.status, StatusCode::OK);
    let token = latest_email_token(&app, "ada@example.com");
    let weak = browser.call("auth/reset/complete", &[("email", ""), ("code", ""), ("token", &token), ("password", "short")]).await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body.contains("at least 10"));
    let ok = browser.call("auth/reset/complete", &[("email", ""), ("code", ""), ("token", &token), ("password", "a brand new phrase")]).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let reused = Client::new(&app).call("auth/reset/complete", &[("email", ""), ("code", ""), ("token", &token), ("password", "another new phrase")]).await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST);
    assert!(reused.body.contains("reset link is not valid any more"));
}
