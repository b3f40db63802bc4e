//! The dashboard's customer section against a real database and Redis: who may use it, the
//! list, the rules on roles (nobody changes their own, the store keeps an active admin, even
//! when two admins act at once), deactivation (signed out everywhere, no sign-in by any
//! method), ending sessions, unlocking a device, and the audit entry of every change.
#![cfg(feature = "ssr")]

mod support;

use axum::http::StatusCode;
use larkspur::{
    audit::server::Actor,
    auth::{server::customers, Role},
    error::AppError,
    seed::{ADMIN_EMAIL, ADMIN_PASSWORD, EDITOR_EMAIL, EDITOR_PASSWORD},
};
use sqlx::PgPool;
use support::{shop::count, *};
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

async fn sign_in(browser: &Client, email: &str, password: &str) -> Response {
    browser.call("auth/sign-in/password", &[("email", email), ("password", password), ("next", "/")]).await
}

async fn user_id(db: &PgPool, email: &str) -> Uuid {
    sqlx::query_scalar("select id from users where email = $1").bind(email).fetch_one(db).await.unwrap()
}

async fn role_and_state(db: &PgPool, id: Uuid) -> (String, bool) {
    sqlx::query_as("select role, is_active from users where id = $1").bind(id).fetch_one(db).await.unwrap()
}

/// The newest audit entry of `action` on account `id`: (before, after, actor email).
async fn audit_entry(db: &PgPool, action: &str, id: Uuid) -> (serde_json::Value, serde_json::Value, String) {
    sqlx::query_as("select before, after, actor_email from audit_log where action = $1 and entity_kind = 'customer' and entity_id = $2 order by at desc, id desc limit 1")
        .bind(action)
        .bind(id.to_string())
        .fetch_one(db)
        .await
        .unwrap_or_else(|e| panic!("no {action} entry: {e}"))
}

/// Five wrong passwords from `browser` (which accepted cookies, so it is a device): locked.
async fn lock_device(browser: &Client, email: &str) {
    for _ in 0..4 {
        assert_eq!(sign_in(browser, email, "not the password").await.status, StatusCode::BAD_REQUEST);
    }
    let fifth = sign_in(browser, email, "not the password").await;
    assert_eq!(fifth.status, StatusCode::TOO_MANY_REQUESTS, "{}", fifth.body);
}

fn actor(user_id: Uuid) -> Actor {
    Actor { user_id, client_ip: None }
}

#[sqlx::test(migrations = "./migrations")]
async fn every_customer_function_and_page_refuses_who_may_not_use_it_and_changes_nothing(db: PgPool) {
    let app = spawn(db).await;
    let victim = create_user(&app.db, "victim@example.com", PASSWORD, "customer").await;
    let victim_browser = Client::new(&app);
    victim_browser.accept_cookies().await;
    assert_eq!(sign_in(&victim_browser, "victim@example.com", PASSWORD).await.status, StatusCode::OK);
    let session: Uuid = sqlx::query_scalar("select id from user_sessions where user_id = $1").bind(victim).fetch_one(&app.db).await.unwrap();
    let device: Uuid = sqlx::query_scalar("select device_id from user_sessions where user_id = $1").bind(victim).fetch_one(&app.db).await.unwrap();
    let stranger = Client::new(&app);
    stranger.accept_cookies().await;
    lock_device(&stranger, "victim@example.com").await;
    let locked_device: Uuid =
        sqlx::query_scalar("select device_id from login_events where event_type = 'device_locked'").fetch_one(&app.db).await.unwrap();
    assert_ne!(locked_device, device);

    create_user(&app.db, "cus@example.com", PASSWORD, "customer").await;
    let visitor = Client::new(&app);
    let customer = signed_in_as(&app, "cus@example.com", PASSWORD).await;
    let editor = signed_in_as(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await;
    let audit_before = count(&app.db, "select count(*) from audit_log").await;
    let (victim_text, session_text, device_text) = (victim.to_string(), session.to_string(), locked_device.to_string());
    let args = [
        ("id", victim_text.as_str()),
        ("role", "admin"),
        ("confirm", "deactivate"),
        ("session", session_text.as_str()),
        ("device", device_text.as_str()),
    ];
    let functions = [
        "admin/customers/list",
        "admin/customers/get",
        "admin/customers/role",
        "admin/customers/deactivate",
        "admin/customers/reactivate",
        "admin/customers/end-session",
        "admin/customers/end-sessions",
        "admin/customers/unlock",
    ];
    for function in functions {
        assert_eq!(visitor.call(function, &args).await.status, StatusCode::UNAUTHORIZED, "{function} signed out");
        assert_eq!(customer.call(function, &args).await.status, StatusCode::FORBIDDEN, "{function} as a customer");
        assert_eq!(editor.call(function, &args).await.status, StatusCode::FORBIDDEN, "{function} as an editor");
    }
    for page in ["/admin/customers".to_owned(), format!("/admin/customers/{victim}")] {
        assert_eq!(visitor.get(&page).await.status, StatusCode::UNAUTHORIZED, "{page}");
        assert_eq!(customer.get(&page).await.status, StatusCode::FORBIDDEN, "{page}");
        assert_eq!(editor.get(&page).await.status, StatusCode::FORBIDDEN, "{page} as an editor");
    }
    assert_eq!(role_and_state(&app.db, victim).await, ("customer".to_owned(), true));
    assert_eq!(victim_browser.call("account/get", &[]).await.status, StatusCode::OK, "still signed in");
    assert_eq!(count(&app.db, &format!("select count(*) from user_sessions where id = '{session}' and revoked_at is null")).await, 1);
    assert_eq!(count(&app.db, &format!("select count(*) from auth_throttles where subject = 'device:{locked_device}' and locked_until is not null")).await, 1);
    assert_eq!(count(&app.db, "select count(*) from audit_log").await, audit_before, "nothing recorded");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_list_searches_filters_sorts_and_links_each_account(db: PgPool) {
    let app = spawn(db).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let ada = create_user(&app.db, "ada_l@example.com", PASSWORD, "customer").await;
    sqlx::query("update users set name = 'Ada Lovelace', phone = '+15555550199', phone_verified_at = now() where id = $1").bind(ada).execute(&app.db).await.unwrap();
    let bo = create_user(&app.db, "bo@example.com", PASSWORD, "customer").await;
    sqlx::query("update users set name = 'Bo Deactivated', is_active = false where id = $1").bind(bo).execute(&app.db).await.unwrap();
    let gone = create_user(&app.db, "gone@example.com", PASSWORD, "customer").await;
    sqlx::query("update users set deleted_at = now() where id = $1").bind(gone).execute(&app.db).await.unwrap();

    let rows = |body: &str| body.matches("data-testid=\"table-row\"").count();
    let accounts = count(&app.db, "select count(*) from users where deleted_at is null").await;
    let all = admin.get("/admin/customers").await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(rows(&all.body) as i64, accounts.min(25), "every account; never a deleted one");
    assert!(all.body.contains(&format!("{} of {accounts}", accounts.min(25))));
    assert!(!all.body.contains("gone@example.com"));
    assert!(all.body.contains(&format!("href=\"/admin/customers/{ada}\"")) && all.body.contains("Ada Lovelace"));
    assert!(all.body.contains("Deactivated"));
    for (search, who) in [("lovelace", "Ada Lovelace"), ("ADA_L@", "Ada Lovelace"), ("555 0199", "Ada Lovelace"), ("+1555555", "Ada Lovelace")] {
        let page = admin.get(&format!("/admin/customers?q={}", larkspur::text::url_encode(search))).await.body;
        assert_eq!(rows(&page), 1, "{search}");
        assert!(page.contains(who), "{search}");
    }
    let underscore = admin.get("/admin/customers?q=_").await.body;
    assert_eq!(rows(&underscore), 1, "an underscore matches only itself");
    assert!(admin.get("/admin/customers?q=nobody-at-all").await.body.contains("data-testid=\"table-empty\""));
    let deactivated = admin.get("/admin/customers?state=deactivated").await.body;
    assert_eq!(rows(&deactivated), 1);
    assert!(deactivated.contains("Bo Deactivated"));
    let staff = admin.get("/admin/customers?role=admin").await.body;
    assert_eq!(rows(&staff), 1);
    assert!(staff.contains(ADMIN_EMAIL));
    let active_customers = count(&app.db, "select count(*) from users where role = 'customer' and is_active and deleted_at is null").await;
    assert_eq!(rows(&admin.get("/admin/customers?role=customer&state=active").await.body) as i64, active_customers.min(25));
    assert_eq!(rows(&admin.get("/admin/customers?role=customer&state=active&q=example.com").await.body), 1, "Ada: Bo is deactivated");

    // Sorted by name both ways, and by orders.
    let by_name = admin.get("/admin/customers?sort=name").await.body;
    let (a, b) = (by_name.find("Ada Lovelace").unwrap(), by_name.find("Bo Deactivated").unwrap());
    assert!(a < b, "ascending");
    let by_name = admin.get("/admin/customers?sort=name&dir=desc").await.body;
    assert!(by_name.find("Bo Deactivated").unwrap() < by_name.find("Ada Lovelace").unwrap(), "descending");
    assert!(by_name.contains("aria-sort=\"descending\""));
    let by_orders = admin.get("/admin/customers?sort=orders&dir=desc").await;
    assert_eq!(by_orders.status, StatusCode::OK);
    let (busiest, most): (String, i64) = sqlx::query_as(
        "select u.name, count(*) from orders o join users u on u.id = o.user_id group by u.id, u.name order by count(*) desc, u.id desc limit 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let first_row = by_orders.body.find("data-testid=\"table-row\"").unwrap();
    let first_row = &by_orders.body[first_row..by_orders.body[first_row + 1..].find("data-testid=\"table-row\"").map_or(by_orders.body.len(), |n| first_row + 1 + n)];
    assert!(first_row.contains(&busiest) && first_row.contains(&format!(">{most}<")), "the account with the most orders first: {busiest} ({most})");
    assert_eq!(admin.get("/admin/customers?sort=last_active&dir=desc").await.status, StatusCode::OK);

    // One account's page.
    let page = admin.get(&format!("/admin/customers/{ada}")).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in ["Ada Lovelace", "ada_l@example.com", "+15555550199", "✓ Verified", "Sign-in history", "aria-current=\"page\""] {
        assert!(page.body.contains(text), "{text}");
    }
    assert_eq!(admin.get(&format!("/admin/customers/{gone}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(admin.get("/admin/customers/not-an-id").await.status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = "./migrations")]
async fn nobody_changes_their_own_role_and_the_store_keeps_an_active_admin(db: PgPool) {
    let app = spawn(db).await;
    let admin_id = user_id(&app.db, ADMIN_EMAIL).await;
    let editor_id = user_id(&app.db, EDITOR_EMAIL).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let me = admin_id.to_string();
    let own = admin.call("admin/customers/role", &[("id", &me), ("role", "customer")]).await;
    assert_eq!(own.status, StatusCode::BAD_REQUEST, "{}", own.body);
    assert!(own.body.contains("your own role"), "{}", own.body);
    let own = admin.call("admin/customers/deactivate", &[("id", &me), ("confirm", "deactivate")]).await;
    assert_eq!(own.status, StatusCode::BAD_REQUEST, "{}", own.body);
    assert_eq!(role_and_state(&app.db, admin_id).await, ("admin".to_owned(), true));
    assert!(!admin.get(&format!("/admin/customers/{admin_id}")).await.body.contains("name=\"role\""), "no role form on one's own page");
    let bad = admin.call("admin/customers/role", &[("id", &editor_id.to_string()), ("role", "root")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&app.db, "select count(*) from audit_log where entity_kind = 'customer'").await, 0);

    // The rule itself, whoever acts: with two admins, demoting one works; then the other,
    // now the only one, keeps the role and cannot be deactivated.
    let second = create_user(&app.db, "second@example.com", PASSWORD, "admin").await;
    let now = app.clock_now();
    let (db, redis) = (&app.db, &app.state.redis);
    assert!(customers::change_role(db, redis, &actor(editor_id), second, Role::Customer, now).await.unwrap());
    let last = customers::change_role(db, redis, &actor(editor_id), admin_id, Role::Editor, now).await;
    assert!(matches!(last, Err(AppError::Conflict(ref m)) if m.contains("only active admin")), "{last:?}");
    let last = customers::set_active(db, redis, &actor(editor_id), admin_id, false, now).await;
    assert!(matches!(last, Err(AppError::Conflict(_))), "{last:?}");
    assert_eq!(role_and_state(&app.db, admin_id).await, ("admin".to_owned(), true));
    // A deactivated admin does not count as one.
    sqlx::query("update users set role = 'admin', is_active = false where id = $1").bind(second).execute(&app.db).await.unwrap();
    assert!(customers::change_role(db, redis, &actor(editor_id), admin_id, Role::Customer, now).await.is_err());
    sqlx::query("update users set is_active = true where id = $1").bind(second).execute(&app.db).await.unwrap();

    // Two admins demoting each other at the same moment: one wins, one admin is left.
    let second_browser = signed_in_as(&app, "second@example.com", PASSWORD).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (first_id, second_id) = (admin_id.to_string(), second.to_string());
    let (demote_second, demote_first) = ([("id", second_id.as_str()), ("role", "customer")], [("id", first_id.as_str()), ("role", "customer")]);
    let (a, b) = tokio::join!(admin.call("admin/customers/role", &demote_second), second_browser.call("admin/customers/role", &demote_first));
    let statuses = [a.status, b.status];
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?} {} {}", a.body, b.body);
    assert!(statuses.iter().any(|s| *s == StatusCode::CONFLICT || *s == StatusCode::FORBIDDEN), "{statuses:?}");
    assert_eq!(count(&app.db, "select count(*) from users where role = 'admin' and is_active").await, 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_role_change_ends_the_accounts_sessions_and_is_audited(db: PgPool) {
    let app = spawn(db).await;
    let ada = create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let ada_browser = signed_in_as(&app, "ada@example.com", PASSWORD).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = format!("/admin/customers/{ada}");
    let res = admin.post_form("admin/customers/role", &[("id", &ada.to_string()), ("role", "editor")], &page).await;
    assert_eq!(res.headers_location.as_deref(), Some(page.as_str()), "back to the account");
    assert!(admin.get(&page).await.body.contains("Role changed."), "the notice");
    assert_eq!(role_and_state(&app.db, ada).await, ("editor".to_owned(), true));
    assert_eq!(ada_browser.call("account/get", &[]).await.status, StatusCode::UNAUTHORIZED, "signed out");
    assert_eq!(count(&app.db, &format!("select count(*) from user_sessions where user_id = '{ada}' and revoked_at is null")).await, 0);
    assert_eq!(count(&app.db, &format!("select count(*) from login_events where user_id = '{ada}' and event_type = 'session_revoked'")).await, 1);
    let (before, after, actor_email) = audit_entry(&app.db, "change_role", ada).await;
    assert_eq!((before["role"].as_str(), after["role"].as_str(), after["sessions_ended"].as_i64()), (Some("customer"), Some("editor"), Some(1)));
    assert_eq!(actor_email, ADMIN_EMAIL);
    // The same role again changes and records nothing.
    let again = admin.call("admin/customers/role", &[("id", &ada.to_string()), ("role", "editor")]).await;
    assert_eq!(again.json(), false);
    assert_eq!(count(&app.db, "select count(*) from audit_log where action = 'change_role'").await, 1);
    // The new role holds at the next sign-in.
    let ada_browser = signed_in_as(&app, "ada@example.com", PASSWORD).await;
    assert_eq!(ada_browser.call("admin/overview", &[]).await.status, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn deactivating_signs_out_everywhere_and_no_method_signs_in_until_reactivated(db: PgPool) {
    let app = spawn(db).await;
    let ada = create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let laptop = signed_in_as(&app, "ada@example.com", PASSWORD).await;
    let phone = Client::with_agent(&app, PHONE_UA);
    assert_eq!(sign_in(&phone, "ada@example.com", PASSWORD).await.status, StatusCode::OK);
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let id = ada.to_string();
    let page = format!("/admin/customers/{ada}");

    // The confirm step first.
    assert!(admin.get(&page).await.body.contains(&format!("{page}?confirm=deactivate")));
    assert!(admin.get(&format!("{page}?confirm=deactivate")).await.body.contains("data-testid=\"confirm-deactivate\""));
    let unconfirmed = admin.call("admin/customers/deactivate", &[("id", &id)]).await;
    assert_eq!(unconfirmed.status, StatusCode::BAD_REQUEST);
    assert!(role_and_state(&app.db, ada).await.1, "still active");
    assert_eq!(laptop.call("account/get", &[]).await.status, StatusCode::OK);

    let res = admin.post_form("admin/customers/deactivate", &[("id", &id), ("confirm", "deactivate")], &format!("{page}?confirm=deactivate")).await;
    assert_eq!(res.headers_location.as_deref(), Some(format!("{page}?deactivated=1").as_str()));
    let shown = admin.get(&format!("{page}?deactivated=1")).await.body;
    assert!(shown.contains("Account deactivated.") && shown.contains("Reactivate account"));
    assert!(!role_and_state(&app.db, ada).await.1, "deactivated");
    for browser in [&laptop, &phone] {
        assert_eq!(browser.call("account/get", &[]).await.status, StatusCode::UNAUTHORIZED, "signed out at once");
    }
    assert_eq!(count(&app.db, &format!("select count(*) from user_sessions where user_id = '{ada}' and revoked_at is null")).await, 0);
    let (before, after, _) = audit_entry(&app.db, "deactivate", ada).await;
    assert_eq!((before["is_active"].as_bool(), after["is_active"].as_bool(), after["sessions_ended"].as_i64()), (Some(true), Some(false), Some(2)));

    // Not by password, nor by an emailed code: a clear message, and no session.
    let sessions_before = count(&app.db, "select count(*) from user_sessions").await;
    let again = sign_in(&laptop, "ada@example.com", PASSWORD).await;
    assert_eq!(again.status, StatusCode::FORBIDDEN, "{}", again.body);
    assert_eq!(again.json(), "AccountDisabled");
    let form = laptop.post_form("auth/sign-in/password", &[("email", "ada@example.com"), ("password", PASSWORD), ("next", "/")], "/sign-in").await;
    assert_eq!(form.headers_location.as_deref(), Some("/sign-in"));
    let shown = laptop.get("/sign-in").await.body;
    assert!(shown.contains("This account has been deactivated. Contact us"), "the sign-in page says why");
    let browser = Client::new(&app);
    assert_eq!(browser.call("auth/code/send", &[("channel", "email"), ("destination", "ada@example.com")]).await.status, StatusCode::OK);
    let code = latest_email_code(&app, "ada@example.com");
    let by_code = browser.call("auth/code/verify", &[("channel", "email"), ("destination", "ada@example.com"), ("code", &code), ("next", "/")]).await;
    assert_eq!(by_code.status, StatusCode::FORBIDDEN, "{}", by_code.body);
    assert_eq!(by_code.json(), "AccountDisabled");
    assert_eq!(count(&app.db, "select count(*) from user_sessions").await, sessions_before, "no session was made");
    assert_eq!(browser.call("account/get", &[]).await.status, StatusCode::UNAUTHORIZED);

    // A second deactivation changes nothing; reactivating lets them in again.
    assert_eq!(admin.call("admin/customers/deactivate", &[("id", &id), ("confirm", "deactivate")]).await.json(), false);
    assert_eq!(admin.call("admin/customers/reactivate", &[("id", &id)]).await.json(), true);
    let (before, after, _) = audit_entry(&app.db, "reactivate", ada).await;
    assert_eq!((before["is_active"].as_bool(), after["is_active"].as_bool()), (Some(false), Some(true)));
    assert_eq!(count(&app.db, "select count(*) from audit_log where action = 'deactivate'").await, 1);
    assert_eq!(sign_in(&laptop, "ada@example.com", PASSWORD).await.status, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn ending_one_session_ends_only_that_one(db: PgPool) {
    let app = spawn(db).await;
    let ada = create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let laptop = signed_in_as(&app, "ada@example.com", PASSWORD).await;
    let phone = Client::with_agent(&app, PHONE_UA);
    assert_eq!(sign_in(&phone, "ada@example.com", PASSWORD).await.status, StatusCode::OK);
    let bo = create_user(&app.db, "bo@example.com", PASSWORD, "customer").await;
    let bo_browser = signed_in_as(&app, "bo@example.com", PASSWORD).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let id = ada.to_string();

    let detail = admin.call("admin/customers/get", &[("id", &id)]).await.json();
    let sessions = detail["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    let on_phone = sessions.iter().find(|s| s["device"] == "mobile").expect("the phone's session")["id"].as_str().unwrap().to_owned();
    assert!(admin.get(&format!("/admin/customers/{ada}")).await.body.contains("End session on"), "each session has its form");

    // Bo's session cannot be ended through Ada's page.
    let bos: String = sqlx::query_scalar("select id::text from user_sessions where user_id = $1").bind(bo).fetch_one(&app.db).await.unwrap();
    assert_eq!(admin.call("admin/customers/end-session", &[("id", &id), ("session", &bos)]).await.json(), 0);
    assert_eq!(bo_browser.call("account/get", &[]).await.status, StatusCode::OK);

    assert_eq!(admin.call("admin/customers/end-session", &[("id", &id), ("session", &on_phone)]).await.json(), 1);
    assert_eq!(phone.call("account/get", &[]).await.status, StatusCode::UNAUTHORIZED, "the phone is signed out");
    assert_eq!(laptop.call("account/get", &[]).await.status, StatusCode::OK, "the laptop is not");
    let (before, after, _) = audit_entry(&app.db, "end_session", ada).await;
    assert_eq!((before["active_sessions"].as_i64(), after["active_sessions"].as_i64()), (Some(2), Some(1)));
    assert_eq!((before["session_ended"].as_bool(), after["session_ended"].as_bool(), after["session"].as_str()), (Some(false), Some(true), Some(on_phone.as_str())));
    assert_eq!(admin.call("admin/customers/end-session", &[("id", &id), ("session", &on_phone)]).await.json(), 0, "already ended");

    assert_eq!(admin.call("admin/customers/end-sessions", &[("id", &id)]).await.json(), 1);
    assert_eq!(laptop.call("account/get", &[]).await.status, StatusCode::UNAUTHORIZED);
    let (before, after, _) = audit_entry(&app.db, "end_all_sessions", ada).await;
    assert_eq!((before["active_sessions"].as_i64(), after["active_sessions"].as_i64()), (Some(1), Some(0)));
    assert_eq!(count(&app.db, "select count(*) from audit_log where action in ('end_session', 'end_all_sessions')").await, 2);
    assert_eq!(bo_browser.call("account/get", &[]).await.status, StatusCode::OK, "nobody else is touched");
    // Ada can sign in again: ending sessions is not deactivation.
    assert_eq!(sign_in(&laptop, "ada@example.com", PASSWORD).await.status, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn an_unlocked_device_may_try_again_at_once(db: PgPool) {
    let app = spawn(db).await;
    let ada = create_user(&app.db, "ada@example.com", PASSWORD, "customer").await;
    let laptop = Client::new(&app);
    laptop.accept_cookies().await;
    assert_eq!(sign_in(&laptop, "ada@example.com", PASSWORD).await.status, StatusCode::OK);
    assert_eq!(laptop.call("auth/sign-out", &[]).await.status, StatusCode::OK);
    lock_device(&laptop, "ada@example.com").await;
    assert_eq!(sign_in(&laptop, "ada@example.com", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS, "locked, even the right password");

    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let id = ada.to_string();
    let page = format!("/admin/customers/{ada}");
    let detail = admin.call("admin/customers/get", &[("id", &id)]).await.json();
    let devices = detail["devices"].as_array().unwrap();
    let locked: Vec<_> = devices.iter().filter(|d| !d["locked_until"].is_null()).collect();
    assert_eq!(locked.len(), 1, "{devices:?}");
    let device = locked[0]["id"].as_str().unwrap().to_owned();
    let shown = admin.get(&page).await.body;
    assert!(shown.contains("data-testid=\"device-locked\"") && shown.contains("Unlock"));

    // Another account's page cannot unlock it.
    let bo = create_user(&app.db, "bo@example.com", PASSWORD, "customer").await;
    let other = admin.call("admin/customers/unlock", &[("id", &bo.to_string()), ("device", &device)]).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);

    let res = admin.post_form("admin/customers/unlock", &[("id", &id), ("device", &device)], &page).await;
    assert_eq!(res.headers_location.as_deref(), Some(page.as_str()));
    assert!(admin.get(&page).await.body.contains("Device unlocked."));
    assert_eq!(sign_in(&laptop, "ada@example.com", PASSWORD).await.status, StatusCode::OK, "at once, no waiting");
    assert_eq!(count(&app.db, &format!("select count(*) from login_events where event_type = 'device_unlocked' and device_id = '{device}' and user_id = '{ada}'")).await, 1);
    let (before, after, _) = audit_entry(&app.db, "unlock_device", ada).await;
    assert!(before["locked_until"].is_string() && after["locked_until"].is_null(), "{before} {after}");
    assert_eq!((before["device"].as_str(), after["device"].as_str()), (Some(device.as_str()), Some(device.as_str())));
    assert_eq!(admin.call("admin/customers/unlock", &[("id", &id), ("device", &device)]).await.json(), false, "nothing left to unlock");
    assert_eq!(count(&app.db, "select count(*) from audit_log where action = 'unlock_device'").await, 1);
    let history = admin.get(&page).await.body;
    assert!(history.contains("Device unlocked") && history.contains("Device locked"), "the sign-in history shows both");
}
