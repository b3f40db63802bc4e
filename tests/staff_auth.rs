//! Staff accounts: a second factor at every sign-in (emailed code, authenticator app,
//! recovery code), a new session id at each step, a shorter idle time, a fresh
//! confirmation before refunds, role changes, deactivations and imports, and stricter
//! passwords.

mod support;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use larkspur::seed::{ADMIN_EMAIL, ADMIN_PASSWORD};
use sqlx::PgPool;
use support::*;
use totp_rs::{Algorithm, Secret, TOTP};

const PASSWORD: &str = "correct horse battery";

fn session_id(browser: &Client) -> String {
    browser.cookie("larkspur_session").expect("a session cookie")
}

/// Minutes the session cookie of `res` lives without another request.
fn cookie_minutes(res: &Response) -> i64 {
    let cookie = res.set_cookies.iter().find(|c| c.starts_with("larkspur_session=")).expect("the session cookie is set");
    let max_age = cookie.split(';').find_map(|p| p.trim().strip_prefix("Max-Age=")).expect("a lifetime");
    max_age.parse::<i64>().expect("seconds") / 60
}

async fn events(db: &PgPool, event_type: &str) -> Vec<(String, Option<String>)> {
    sqlx::query_as("select status, method from login_events where event_type = $1 order by created_at")
        .bind(event_type)
        .fetch_all(db)
        .await
        .unwrap()
}

/// The code an authenticator app shows at `at` for the key the setup page gave.
fn app_code(key: &str, at: chrono::DateTime<Utc>) -> String {
    let bytes = Secret::Encoded(key.replace(' ', "")).to_bytes().unwrap();
    TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes).unwrap().generate(at.timestamp() as u64)
}

#[sqlx::test(migrations = "./migrations")]
async fn a_staff_password_alone_does_not_sign_in(db: PgPool) {
    let app = spawn(db).await;
    let browser = Client::new(&app);
    browser.accept_cookies().await;
    let before = session_id(&browser);

    let first = browser.call("auth/sign-in/password", &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("next", "/admin/orders")]).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(first.body.contains("/sign-in/second-factor"), "to the second step, not to next: {}", first.body);
    let between = session_id(&browser);
    assert_ne!(between, before, "a new session id after the first step");
    assert_eq!(browser.call("admin/overview", &[]).await.status, StatusCode::UNAUTHORIZED, "nobody is signed in yet");
    assert_eq!(browser.call("account/get", &[]).await.status, StatusCode::UNAUTHORIZED);
    let page = browser.get("/sign-in/second-factor").await;
    assert!(page.body.contains("Email me a code") && page.body.contains(ADMIN_EMAIL), "the page offers the emailed code");

    let wrong = browser.call("auth/second-factor/verify", &[("code", "000000")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.body);
    assert!(wrong.body.contains("That code is not right"));
    assert_eq!(browser.call("admin/overview", &[]).await.status, StatusCode::UNAUTHORIZED);

    // Another browser cannot use this browser's code, even knowing the password's step was done here.
    let code = latest_email_code(&app, ADMIN_EMAIL);
    let thief = Client::new(&app);
    assert_eq!(thief.call("auth/second-factor/verify", &[("code", &code)]).await.status, StatusCode::BAD_REQUEST, "no sign-in waits there");

    let done = browser.call("auth/second-factor/verify", &[("code", &code)]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("/admin/orders"), "on to where the sign-in was going");
    assert_ne!(session_id(&browser), between, "a new session id after the second step");
    assert_eq!(browser.call("admin/overview", &[]).await.status, StatusCode::OK);
    assert_eq!(cookie_minutes(&done), 60, "a staff session idles out within the hour, not a week");
    let later = browser.call("account/get", &[]).await;
    assert_eq!(cookie_minutes(&later), 60, "and keeps that on every request");
    assert_eq!(events(&app.db, "second_factor").await, vec![("success".to_owned(), Some("email_code".to_owned()))]);

    // A code works once.
    let again = Client::new(&app);
    let res = again.call("auth/sign-in/password", &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("next", "/")]).await;
    assert!(res.body.contains("/sign-in/second-factor"));
    assert_eq!(again.call("auth/second-factor/verify", &[("code", &code)]).await.status, StatusCode::UNPROCESSABLE_ENTITY, "the old code is spent");

    // A customer's session keeps the store-wide idle time.
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let customer = Client::new(&app);
    let res = customer.call("auth/sign-in/password", &[("email", "ada@example.com"), ("password", PASSWORD), ("next", "/")]).await;
    assert_eq!(res.body, "\"/\"", "customers sign in with one factor");
    assert!(cookie_minutes(&res) > 24 * 60);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_second_step_waits_ten_minutes(db: PgPool) {
    let app = spawn(db).await;
    let browser = Client::new(&app);
    browser.call("auth/sign-in/password", &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("next", "/")]).await;
    let code = latest_email_code(&app, ADMIN_EMAIL);
    app.clock.advance(Duration::minutes(11));
    let late = browser.call("auth/second-factor/verify", &[("code", &code)]).await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
    assert!(late.body.contains("Sign in again"), "{}", late.body);
    assert_eq!(browser.call("admin/overview", &[]).await.status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "./migrations")]
async fn an_authenticator_app_and_recovery_codes_each_work_once(db: PgPool) {
    let app = spawn(db).await;
    let admin = support::admin(&app).await;
    let setup = admin.call("account/second-factor/start", &[]).await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.body);
    let setup = setup.json();
    let key = setup["key"].as_str().unwrap().to_owned();
    assert!(setup["qr_svg"].as_str().unwrap().starts_with("<svg"), "a QR code to scan");
    let page = admin.get("/account").await;
    assert!(page.body.contains("Two-step sign-in") && page.body.contains(&key), "the account page shows the setup");

    let wrong = admin.call("account/second-factor/confirm", &[("code", "123456")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let confirmed = admin.call("account/second-factor/confirm", &[("code", &app_code(&key, app.clock_now()))]).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    let recovery: Vec<String> = serde_json::from_str(&confirmed.body).unwrap();
    assert_eq!(recovery.len(), 10);
    let audit: Vec<String> = sqlx::query_scalar("select action from audit_log where action like 'second_factor%'").fetch_all(&app.db).await.unwrap();
    assert_eq!(audit, vec!["second_factor_enrolled"]);

    // With an app set up, signing in emails nothing and takes the app's code, once.
    app.clock.advance(Duration::seconds(30));
    let mails = outbox_messages(&app).len();
    let browser = Client::new(&app);
    let first = browser.call("auth/sign-in/password", &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("next", "/")]).await;
    assert!(first.body.contains("/sign-in/second-factor"));
    assert_eq!(outbox_messages(&app).len(), mails, "no email when the app is set up");
    let code = app_code(&key, app.clock_now());
    assert_eq!(browser.call("auth/second-factor/verify", &[("code", &code)]).await.status, StatusCode::OK);
    assert_eq!(browser.call("admin/overview", &[]).await.status, StatusCode::OK);

    let replay = Client::new(&app);
    replay.call("auth/sign-in/password", &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("next", "/")]).await;
    assert_eq!(replay.call("auth/second-factor/verify", &[("code", &code)]).await.status, StatusCode::UNPROCESSABLE_ENTITY, "an app code works once");
    // A recovery code instead (typed in capitals, with its dash), once.
    let res = replay.call("auth/second-factor/verify", &[("code", &recovery[0].to_uppercase())]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let reuse = Client::new(&app);
    reuse.call("auth/sign-in/password", &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("next", "/")]).await;
    assert_eq!(reuse.call("auth/second-factor/verify", &[("code", &recovery[0])]).await.status, StatusCode::UNPROCESSABLE_ENTITY, "a recovery code works once");
    let methods: Vec<Option<String>> = events(&app.db, "second_factor").await.into_iter().map(|(_, m)| m).collect();
    assert_eq!(methods, vec![Some("email_code".into()), Some("totp".into()), Some("recovery_code".into())]);
    let left: i64 = sqlx::query_scalar("select count(*) from staff_recovery_codes where used_at is null").fetch_one(&app.db).await.unwrap();
    assert_eq!(left, 9);

    // Customers have no such panel.
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let customer = signed_in_as(&app, "ada@example.com", PASSWORD).await;
    assert_eq!(customer.call("account/second-factor/start", &[]).await.status, StatusCode::FORBIDDEN);
}

#[sqlx::test(migrations = "./migrations")]
async fn sensitive_actions_need_the_second_factor_from_the_last_ten_minutes(db: PgPool) {
    let app = spawn(db).await;
    let admin = support::admin(&app).await;
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let ada: String = sqlx::query_scalar("select id::text from users where email = 'ada@example.com'").fetch_one(&app.db).await.unwrap();

    app.clock.advance(Duration::minutes(11));
    let role = admin.call("admin/customers/role", &[("id", &ada), ("role", "editor")]).await;
    assert_eq!(role.status, StatusCode::FORBIDDEN, "{}", role.body);
    assert!(role.body.contains("Reconfirm"), "{}", role.body);
    let deactivate = admin.call("admin/customers/deactivate", &[("id", &ada), ("confirm", "deactivate")]).await;
    assert_eq!(deactivate.status, StatusCode::FORBIDDEN);
    assert_eq!(admin.call("admin/orders/refund", &[("number", "1"), ("amount", "1.00")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(admin.call("admin/import/confirm", &[("token", "x"), ("digest", "y")]).await.status, StatusCode::FORBIDDEN);
    let (role_now, active): (String, bool) = sqlx::query_as("select role, is_active from users where email = 'ada@example.com'").fetch_one(&app.db).await.unwrap();
    assert_eq!((role_now.as_str(), active), ("customer", true), "nothing changed");
    // Everyday work goes on without it.
    assert_eq!(admin.call("admin/overview", &[]).await.status, StatusCode::OK);

    // The confirmation page, with an emailed code.
    let page = admin.get("/sign-in/second-factor").await;
    assert!(page.body.contains("need your second factor from the last 10 minutes"));
    assert_eq!(admin.call("auth/second-factor/email", &[]).await.status, StatusCode::OK);
    let code = latest_email_code(&app, ADMIN_EMAIL);
    let confirmed = admin.call("auth/second-factor/verify", &[("code", &code), ("next", "/admin/customers")]).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert!(confirmed.body.contains("/admin/customers"));
    assert_eq!(admin.call("admin/customers/role", &[("id", &ada), ("role", "editor")]).await.status, StatusCode::OK);
    assert_eq!(events(&app.db, "confirm").await.len(), 1);
    // Customers are not asked: the page is for staff.
    let visitor = Client::new(&app);
    assert_eq!(visitor.call("auth/second-factor/email", &[]).await.status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "./migrations")]
async fn staff_passwords_are_twelve_characters_and_hard_to_guess(db: PgPool) {
    let app = spawn(db).await;
    let admin = support::admin(&app).await;
    for (weak, message) in [("short-pass1", "at least 12 characters"), ("password1234", "too easy to guess"), ("qwertyuiop123", "too easy to guess")] {
        let res = admin.call("account/password", &[("current", ADMIN_PASSWORD), ("new_password", weak)]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{weak}: {}", res.body);
        assert!(res.body.contains(message), "{weak}: {}", res.body);
    }
    let ok = admin.call("account/password", &[("current", ADMIN_PASSWORD), ("new_password", "copper kettle orbit meadow")]).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);

    // A customer's rule is unchanged: ten characters that are not on the common list.
    create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let customer = signed_in_as(&app, "ada@example.com", PASSWORD).await;
    let res = customer.call("account/password", &[("current", PASSWORD), ("new_password", "tulips2026")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}
