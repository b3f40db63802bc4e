//! The newsletter against a real database and the real router: double opt-in from the
//! footer's form (the link read from the outbox, confirmed once), unsubscribing without a
//! sign-in (the page's button and RFC 8058's one-click post), a sign-up that answers the
//! same for every address, bad addresses answered beside the field, and the staff's list
//! and CSV (who may see them).
#![cfg(feature = "ssr")]

mod support;

use axum::{
    body::Body,
    http::{header, Request, StatusCode},
};
use larkspur::{
    newsletter::CHECK_INBOX,
    seed::{ADMIN_EMAIL, ADMIN_PASSWORD, EDITOR_EMAIL, EDITOR_PASSWORD},
    server::jobs,
};
use sqlx::PgPool;
use support::{shop::count, *};

/// The footer's form posted without JavaScript from `page`.
async fn sign_up(browser: &Client, email: &str, page: &str) -> Response {
    browser.post_form("newsletter/subscribe", &[("email", email), ("source", "footer")], page).await
}

async fn run_jobs(app: &TestApp) {
    while jobs::run_due(&app.state).await.unwrap() > 0 {}
}

fn mails_to(app: &TestApp, to: &str) -> Vec<String> {
    outbox_messages(app).into_iter().filter(|m| m.contains(&format!("To: {to}"))).collect()
}

async fn status_of(db: &PgPool, email: &str) -> String {
    sqlx::query_scalar("select status from subscribers where email = $1").bind(email).fetch_one(db).await.unwrap()
}

/// The link a mail carries to `path` (`/newsletter/confirm`), as a path with its query.
fn link_in(mail: &str, path: &str) -> String {
    let start = mail.find(&format!("{path}?token=")).unwrap_or_else(|| panic!("no {path} link in {mail}"));
    mail[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || "/?=-_".contains(*c)).collect()
}

/// A page with its per-response CSP nonce (on scripts, and wherever else Leptos writes it)
/// blanked.
fn without_nonces(body: &str) -> String {
    let Some(at) = body.find("nonce=\"").map(|n| n + 7) else { return body.to_owned() };
    let nonce = &body[at..at + body[at..].find('"').unwrap()];
    if nonce.is_empty() {
        body.to_owned()
    } else {
        body.replace(nonce, "NONCE")
    }
}

fn token_in(link: &str) -> String {
    link.split("token=").nth(1).unwrap().to_owned()
}

/// Signs `email` up, confirms it by its mailed link and sends the welcome; returns the
/// welcome mail.
async fn confirmed_subscriber(app: &TestApp, email: &str) -> String {
    let browser = Client::new(app);
    sign_up(&browser, email, "/").await;
    run_jobs(app).await;
    let link = link_in(&mails_to(app, email).pop().expect("a confirmation"), "/newsletter/confirm");
    browser.post_form("newsletter/confirm", &[("token", &token_in(&link))], &link).await;
    run_jobs(app).await;
    assert_eq!(status_of(&app.db, email).await, "confirmed");
    mails_to(app, email).into_iter().find(|m| m.contains("Welcome to the Larkspur newsletter")).expect("a welcome mail")
}

#[sqlx::test(migrations = "./migrations")]
async fn double_opt_in_confirms_once_from_the_mailed_link(db: PgPool) {
    let app = spawn(db).await;
    let visitor = Client::new(&app);
    let email = "reader@example.com";

    // The footer's plain post lands on the sign-up page, which says to check the inbox.
    let res = sign_up(&visitor, email, "/c/hoodies").await;
    assert_eq!(res.headers_location.as_deref(), Some("/newsletter"), "{}", res.body);
    let page = visitor.get("/newsletter").await;
    assert!(page.body.contains(CHECK_INBOX), "{}", page.body);
    assert_eq!(status_of(&app.db, email).await, "pending");
    assert!(mails_to(&app, email).is_empty(), "mail goes out from the job queue, not the request");

    run_jobs(&app).await;
    let mails = mails_to(&app, email);
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("Subject: Confirm your Larkspur newsletter subscription"));
    let link = link_in(&mails[0], "/newsletter/confirm");
    let token = token_in(&link);
    // Only the token's keyed hash is stored; the job's row never held the token either.
    let (hash, expires): (String, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("select confirm_token_hash, confirm_expires_at from subscribers where email = $1").bind(email).fetch_one(&app.db).await.unwrap();
    assert_ne!(hash, token);
    assert!(!hash.contains(&token));
    assert_eq!(expires, app.clock_now() + chrono::Duration::days(7));
    assert_eq!(count(&app.db, &format!("select count(*) from jobs where payload::text like '%{token}%'")).await, 0);

    // Opening the link (as a mail scanner would) confirms nothing: the page asks.
    let reader = Client::new(&app);
    let page = reader.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Confirm my subscription") && page.body.contains("r•••@example.com"), "{}", page.body);
    assert_eq!(status_of(&app.db, email).await, "pending");

    // The button confirms; the page then says so.
    let res = reader.post_form("newsletter/confirm", &[("token", &token)], &link).await;
    assert_eq!(res.headers_location.as_deref(), Some(link.as_str()));
    assert!(reader.get(&link).await.body.contains("subscribed to the Larkspur newsletter"));
    let (status, confirmed_at): (String, Option<chrono::DateTime<chrono::Utc>>) =
        sqlx::query_as("select status, confirmed_at from subscribers where email = $1").bind(email).fetch_one(&app.db).await.unwrap();
    assert_eq!((status.as_str(), confirmed_at), ("confirmed", Some(app.clock_now())));

    // A second click changes nothing and says it is already confirmed, without an error.
    app.clock.advance(chrono::Duration::minutes(5));
    let again = reader.call("newsletter/confirm", &[("token", &token)]).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert!(again.body.contains("already confirmed"), "{}", again.body);
    let page = Client::new(&app).get(&link).await;
    assert!(page.body.contains("already confirmed") && !page.body.contains("Confirm my subscription"), "{}", page.body);
    let confirmed_again: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("select confirmed_at from subscribers where email = $1").bind(email).fetch_one(&app.db).await.unwrap();
    assert_eq!(confirmed_again, confirmed_at, "confirmed once");

    // One welcome, the first newsletter mail: with its unsubscribe link and one-click headers.
    run_jobs(&app).await;
    let welcomes: Vec<String> = mails_to(&app, email).into_iter().filter(|m| m.contains("Welcome to the Larkspur newsletter")).collect();
    assert_eq!(welcomes.len(), 1, "one welcome for two confirmations");
    assert!(welcomes[0].contains("List-Unsubscribe: <http://127.0.0.1:3000/newsletter/one-click?token="), "{}", welcomes[0]);
    assert!(welcomes[0].contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    assert!(welcomes[0].contains("/newsletter/unsubscribe?token="));

    // A made-up token is no link at all.
    assert!(Client::new(&app).get("/newsletter/confirm?token=nothing-like-a-real-token-at-all").await.body.contains("doesn't work"));
    assert_eq!(Client::new(&app).call("newsletter/confirm", &[("token", "nothing-like-a-real-token-at-all")]).await.status, StatusCode::BAD_REQUEST);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_confirmation_link_expires_after_a_week(db: PgPool) {
    let app = spawn(db).await;
    let visitor = Client::new(&app);
    sign_up(&visitor, "late@example.com", "/").await;
    run_jobs(&app).await;
    let link = link_in(&mails_to(&app, "late@example.com")[0], "/newsletter/confirm");
    app.clock.advance(chrono::Duration::days(7) + chrono::Duration::minutes(1));
    assert!(visitor.get(&link).await.body.contains("has expired"));
    let res = visitor.call("newsletter/confirm", &[("token", &token_in(&link))]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("expired"), "{}", res.body);
    assert_eq!(status_of(&app.db, "late@example.com").await, "pending");
    // Signing up again sends a fresh link that works.
    sign_up(&visitor, "late@example.com", "/").await;
    run_jobs(&app).await;
    let fresh = link_in(mails_to(&app, "late@example.com").last().unwrap(), "/newsletter/confirm");
    assert_ne!(fresh, link);
    assert_eq!(visitor.call("newsletter/confirm", &[("token", &token_in(&fresh))]).await.status, StatusCode::OK);
    assert_eq!(status_of(&app.db, "late@example.com").await, "confirmed");
}

#[sqlx::test(migrations = "./migrations")]
async fn unsubscribing_needs_no_sign_in_and_works_from_the_one_click_post(db: PgPool) {
    let app = spawn(db).await;
    let welcome = confirmed_subscriber(&app, "leaving@example.com").await;

    // The body's link opens a page with a button; the page alone changes nothing.
    let link = link_in(&welcome, "/newsletter/unsubscribe");
    let stranger = Client::new(&app);
    let page = stranger.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("l•••@example.com") && page.body.contains(">Unsubscribe</button>"), "{}", page.body);
    assert_eq!(status_of(&app.db, "leaving@example.com").await, "confirmed");
    let res = stranger.post_form("newsletter/unsubscribe", &[("token", &token_in(&link))], &link).await;
    assert_eq!(res.headers_location.as_deref(), Some(link.as_str()));
    assert!(stranger.get(&link).await.body.contains("unsubscribed"));
    let (status, at): (String, Option<chrono::DateTime<chrono::Utc>>) =
        sqlx::query_as("select status, unsubscribed_at from subscribers where email = 'leaving@example.com'").fetch_one(&app.db).await.unwrap();
    assert_eq!((status.as_str(), at), ("unsubscribed", Some(app.clock_now())));
    // Again is no error.
    assert_eq!(stranger.call("newsletter/unsubscribe", &[("token", &token_in(&link))]).await.status, StatusCode::OK);

    // A mail app's one-click post: from another site, without cookies, to the header's address.
    let welcome = confirmed_subscriber(&app, "oneclick@example.com").await;
    let start = welcome.find("List-Unsubscribe: <").unwrap() + "List-Unsubscribe: <".len();
    let url = &welcome[start..start + welcome[start..].find('>').unwrap()];
    let path = url.strip_prefix("http://127.0.0.1:3000").unwrap();
    let one_click = |origin: &'static str| {
        Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, origin)
    };
    let mail_app = Client::new(&app);
    let res = mail_app.request(one_click("https://mail.example.net"), Body::from("List-Unsubscribe=One-Click")).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(status_of(&app.db, "oneclick@example.com").await, "unsubscribed");
    assert!(res.set_cookies.is_empty(), "no session for a mail app");
    let again = mail_app.request(one_click("https://mail.example.net"), Body::from("List-Unsubscribe=One-Click")).await;
    assert_eq!(again.status, StatusCode::OK);
    let wrong = Request::post("/newsletter/one-click?token=0000000000000000000000000000000000").header(header::ORIGIN, "https://mail.example.net");
    assert_eq!(mail_app.request(wrong, Body::from("List-Unsubscribe=One-Click")).await.status, StatusCode::NOT_FOUND);
    // Opened in a browser instead, the address shows the page that asks first.
    let opened = mail_app.get(path).await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER);
    assert!(opened.headers_location.unwrap().starts_with("/newsletter/unsubscribe?token="));
    // Only that address is open to other sites: the page's own form is not.
    let cross_site = Request::post("/api/newsletter/unsubscribe")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "https://evil.example");
    assert_eq!(mail_app.request(cross_site, Body::from(format!("token={}", token_in(&link)))).await.status, StatusCode::FORBIDDEN);

    // The confirmation link of an unsubscribed address never subscribes it again.
    let first_confirm = link_in(&mails_to(&app, "leaving@example.com")[0], "/newsletter/confirm");
    assert_eq!(stranger.call("newsletter/confirm", &[("token", &token_in(&first_confirm))]).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(status_of(&app.db, "leaving@example.com").await, "unsubscribed");
    // No newsletter mail for an unsubscribed reader: signing up again starts over.
    let before = mails_to(&app, "leaving@example.com").len();
    app.clock.advance(chrono::Duration::minutes(11));
    sign_up(&stranger, "leaving@example.com", "/").await;
    run_jobs(&app).await;
    let mails = mails_to(&app, "leaving@example.com");
    assert_eq!(mails.len(), before + 1);
    assert!(mails.last().unwrap().contains("Confirm your Larkspur newsletter subscription"));
    assert_eq!(status_of(&app.db, "leaving@example.com").await, "unsubscribed", "until the new link is used");
}

#[sqlx::test(migrations = "./migrations")]
async fn signing_up_again_answers_exactly_as_a_new_address_does(db: PgPool) {
    let app = spawn(db).await;
    confirmed_subscriber(&app, "known@example.com").await;
    let browser = Client::new(&app);
    sign_up(&browser, "pending@example.com", "/").await;
    run_jobs(&app).await;
    let mails = |to| mails_to(&app, to).len();
    let (known_before, pending_before) = (mails("known@example.com"), mails("pending@example.com"));

    // The same status, redirect and page (but for the typed address), and the same JSON.
    let mut answers = Vec::new();
    for email in ["brand-new@example.com", "pending@example.com", "known@example.com"] {
        let visitor = Client::new(&app);
        let res = sign_up(&visitor, email, "/journal").await;
        let page = visitor.get("/newsletter").await;
        let json = Client::new(&app).call("newsletter/subscribe", &[("email", email), ("source", "page")]).await;
        answers.push((res.status, res.headers_location, page.status, without_nonces(&page.body).replace(email, "EMAIL"), json.status, json.body));
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:#?}");
    assert_eq!(answers[0].4, StatusCode::OK);
    assert!(answers[0].5.contains("Check your inbox"));

    run_jobs(&app).await;
    assert_eq!(mails("brand-new@example.com"), 1, "two sign-ups within the cool-down, one mail");
    assert_eq!(mails("known@example.com"), known_before, "a confirmed subscriber gets nothing");
    assert_eq!(mails("pending@example.com"), pending_before, "within the cool-down, no mail again");
    assert_eq!(status_of(&app.db, "known@example.com").await, "confirmed", "still confirmed");

    // After the cool-down an unconfirmed address gets a new link, and only the newest works.
    let old = link_in(mails_to(&app, "pending@example.com").last().unwrap(), "/newsletter/confirm");
    app.clock.advance(chrono::Duration::minutes(11));
    sign_up(&browser, "pending@example.com", "/").await;
    run_jobs(&app).await;
    assert_eq!(mails("pending@example.com"), pending_before + 1);
    let new = link_in(mails_to(&app, "pending@example.com").last().unwrap(), "/newsletter/confirm");
    assert!(browser.get(&old).await.body.contains("newer one may have been sent"));
    assert!(browser.get(&new).await.body.contains("Confirm my subscription"));

    // Five a day at most, however long the pauses between them.
    for _ in 0..6 {
        app.clock.advance(chrono::Duration::minutes(11));
        Client::new(&app).call("newsletter/subscribe", &[("email", "pending@example.com"), ("source", "page")]).await;
    }
    run_jobs(&app).await;
    assert_eq!(pending_before, 1);
    assert_eq!(mails("pending@example.com"), 5, "five a day");

    // One client address signs up at most ten addresses in ten minutes; then 429 for any.
    let flood = Client::new(&app);
    app.clock.advance(chrono::Duration::minutes(11));
    let mut statuses = Vec::new();
    for n in 0..11 {
        statuses.push(flood.call("newsletter/subscribe", &[("email", &format!("flood{n}@example.com")), ("source", "page")]).await.status);
    }
    assert!(statuses[..10].iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
    assert_eq!(statuses[10], StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(flood.call("newsletter/subscribe", &[("email", "known@example.com"), ("source", "page")]).await.status, StatusCode::TOO_MANY_REQUESTS);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_bad_address_is_answered_beside_the_field_keeping_what_was_typed(db: PgPool) {
    let app = spawn(db).await;
    let visitor = Client::new(&app);
    for (typed, message) in [("not-an-email", "Enter a valid email address"), ("ada@localhost", "Enter a valid email address"), ("", "Enter your email address.")] {
        let res = sign_up(&visitor, typed, "/c/hoodies").await;
        assert_eq!(res.headers_location.as_deref(), Some("/newsletter"), "{typed}: {}", res.body);
        let page = visitor.get("/newsletter").await;
        assert!(page.body.contains(message), "{typed}: {}", page.body);
        assert!(page.body.contains("id=\"newsletter-page-email-error\""), "the message sits beside the field");
        assert!(page.body.contains(&format!("value=\"{typed}\"")), "{typed} kept: {}", page.body);
        assert!(page.body.contains("aria-invalid=\"true\""));
        assert!(!page.body.contains(CHECK_INBOX));
        let json = visitor.call("newsletter/subscribe", &[("email", typed), ("source", "footer")]).await;
        assert_eq!(json.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", json.body);
    }
    assert_eq!(count(&app.db, "select count(*) from subscribers").await, 0);
    // The footer's form is a real form on every storefront page.
    let home = visitor.get("/").await.body;
    assert!(home.contains("action=\"/api/newsletter/subscribe\"") && home.contains("id=\"newsletter-footer-email\""), "the footer form");
}

#[sqlx::test(migrations = "./migrations")]
async fn staff_see_subscribers_and_export_the_filter_as_csv(db: PgPool) {
    let app = spawn(db).await;
    let secret = app.state.config.auth_secret.expose().to_owned();
    for (email, status) in [("ana@example.com", "confirmed"), ("ben@example.com", "pending"), ("cleo@example.com", "unsubscribed"), ("=cmd@example.com", "confirmed")] {
        let id = uuid::Uuid::now_v7();
        let token = larkspur::newsletter::server::unsubscribe_token(&secret, id);
        sqlx::query(
            "insert into subscribers (id, email, status, unsubscribe_token_hash, confirmed_at, unsubscribed_at)
             values ($3, $1, $2, $4, case when $2 = 'confirmed' then now() end, case when $2 = 'unsubscribed' then now() end)",
        )
        .bind(email)
        .bind(status)
        .bind(id)
        .bind(larkspur::auth::server::secrets::keyed_hash(&secret, &token))
        .execute(&app.db)
        .await
        .unwrap();
    }
    create_user(&app.db, "cus@example.com", "correct horse battery", "customer").await;
    let visitor = Client::new(&app);
    let customer = signed_in_as(&app, "cus@example.com", "correct horse battery").await;
    let editor = signed_in_as(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;

    assert_eq!(visitor.call("admin/newsletter/list", &[]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(customer.call("admin/newsletter/list", &[]).await.status, StatusCode::FORBIDDEN);
    for path in ["/admin/newsletter", "/admin/newsletter.csv"] {
        assert_eq!(visitor.get(path).await.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(customer.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }

    let list = editor.call("admin/newsletter/list", &[]).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.json()["total"], 4);
    let page = editor.get("/admin/newsletter?status=confirmed").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("ana@example.com") && !page.body.contains("ben@example.com"), "filtered");
    assert!(page.body.contains("/admin/newsletter.csv?status=confirmed"), "the export follows the filter");
    let searched = admin.get("/admin/newsletter?q=cle").await.body;
    assert!(searched.contains("cleo@example.com") && searched.contains("Unsubscribed") && !searched.contains("ana@example.com"));
    assert!(admin.get("/admin").await.body.contains("href=\"/admin/newsletter\""), "in the menu");
    assert!(editor.get("/admin").await.body.contains("href=\"/admin/newsletter\""), "editors too");

    let csv = editor.get("/admin/newsletter.csv?status=confirmed").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.headers.get(header::CONTENT_TYPE).unwrap(), "text/csv; charset=utf-8");
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], "email,status,source,signed_up_at,confirmed_at,unsubscribed_at,unsubscribe_url");
    assert_eq!(lines.len(), 3, "{}", csv.body);
    assert!(lines.iter().any(|l| l.starts_with("ana@example.com,confirmed,footer,") && l.contains("/newsletter/unsubscribe?token=")));
    assert!(lines.iter().any(|l| l.starts_with("'=cmd@example.com")), "a cell a spreadsheet would run is defused");
    let all = admin.get("/admin/newsletter.csv").await.body;
    assert_eq!(all.lines().count(), 5);
    // The export's unsubscribe links work.
    let line = all.lines().find(|l| l.starts_with("ana@")).unwrap();
    let url = line.rsplit(',').next().unwrap();
    let path = url.strip_prefix("http://127.0.0.1:3000").unwrap();
    assert!(Client::new(&app).get(path).await.body.contains("a•••@example.com"));
}
