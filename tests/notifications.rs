//! Customer notifications against a real database: every trigger records one notification
//! and queues one email however often it fires; preferences suppress what they should and
//! never a receipt; a restocked size tells each waiting customer once per restock; a sign-in
//! from a new device warns the owner, whose "this wasn't me" ends that session; one-click
//! unsubscribe needs no sign-in and stops one topic; nobody reads or marks another's.
#![cfg(feature = "ssr")]

mod support;

use axum::{
    body::Body,
    http::{header, Request, StatusCode},
};
use larkspur::{
    notifications::server::{self as notifications, BackInStock},
    orders::{server as orders, OrderEmail, PaymentMethod},
    server::jobs,
};
use sqlx::PgPool;
use support::{shop::*, *};
use uuid::Uuid;

async fn notification_count(db: &PgPool, user: Uuid, key_like: &str) -> i64 {
    sqlx::query_scalar("select count(*) from notifications where user_id = $1 and event_key like $2")
        .bind(user)
        .bind(key_like)
        .fetch_one(db)
        .await
        .unwrap()
}

async fn jobs_of(db: &PgPool, kind: &str, payload_like: &str) -> i64 {
    sqlx::query_scalar("select count(*) from jobs where kind = $1 and payload::text like $2")
        .bind(kind)
        .bind(payload_like)
        .fetch_one(db)
        .await
        .unwrap()
}

async fn unread(browser: &Client) -> i64 {
    browser.call("notifications/unread", &[]).await.json().as_i64().unwrap()
}

async fn email_of(db: &PgPool, user: Uuid) -> String {
    sqlx::query_scalar("select email::text from users where id = $1").bind(user).fetch_one(db).await.unwrap()
}

/// Runs the jobs due now until none are left.
async fn drain(app: &TestApp) {
    while jobs::run_due(&app.state).await.unwrap() > 0 {}
}

async fn step(staff: &Client, number: i64, step: &str, extra: &[(&str, &str)]) {
    let number = number.to_string();
    let mut args = vec![("number", number.as_str()), ("step", step)];
    args.extend_from_slice(extra);
    let res = staff.call("admin/orders/step", &args).await;
    assert_eq!(res.status, StatusCode::OK, "{step}: {}", res.body);
}

#[sqlx::test(migrations = "./migrations")]
async fn each_order_step_is_one_notification_and_one_email_however_often_it_is_told(db: PgPool) {
    let app = spawn(db).await;
    let staff = admin(&app).await;
    let variant = variant_with_stock(&app.db, 5).await;
    let (user, cart) = shopper(&app.db, 1, &[(variant, 1)]).await;
    let placed = place(&app, user, cart, "k-1", None, PaymentMethod::BankTransfer).await.unwrap();
    let order = placed.order_id.to_string();
    let this_order = format!("%{order}%");

    // Told again twice (a retried job, a repeated webhook): nothing more is recorded or sent.
    for _ in 0..2 {
        let mut conn = app.db.acquire().await.unwrap();
        orders::tell_customer(&mut conn, placed.order_id, OrderEmail::Placed, app.clock_now()).await.unwrap();
    }
    assert_eq!(notification_count(&app.db, user, &format!("order:{order}:placed")).await, 1);
    assert_eq!(jobs_of(&app.db, "order_email", &this_order).await, 1);

    step(&staff, placed.number, "mark_paid", &[]).await;
    step(&staff, placed.number, "process", &[]).await;
    step(&staff, placed.number, "ship", &[("carrier", "DHL"), ("tracking_number", "JD014600006281")]).await;
    for _ in 0..2 {
        let mut conn = app.db.acquire().await.unwrap();
        orders::tell_customer(&mut conn, placed.order_id, OrderEmail::Shipped, app.clock_now()).await.unwrap();
    }
    assert_eq!(notification_count(&app.db, user, &format!("order:{order}:%")).await, 3, "placed, paid, shipped");
    assert_eq!(jobs_of(&app.db, "order_email", &this_order).await, 3);

    // The customer's bell and list show them, the shipment with its tracking number.
    let customer = signed_in(&app, user).await;
    assert_eq!(unread(&customer).await, 3);
    let list = customer.call("notifications/list", &[("page", "1")]).await.json();
    let first = &list["items"][0];
    assert_eq!(first["title"], format!("Order #{} has shipped", placed.number), "{list}");
    assert!(first["body"].as_str().unwrap().contains("JD014600006281"), "{list}");
    assert_eq!(first["link"], format!("/account/orders/{}", placed.number));

    drain(&app).await;
    let to = email_of(&app.db, user).await;
    let mails: Vec<String> = outbox_messages(&app).into_iter().filter(|m| m.contains(&format!("To: {to}"))).collect();
    assert_eq!(mails.iter().filter(|m| m.contains("is on its way")).count(), 1, "one shipping email");
    assert_eq!(mails.iter().filter(|m| m.contains("received your order")).count(), 1, "one receipt");
    let shipping = mails.iter().find(|m| m.contains("is on its way")).unwrap();
    assert!(shipping.contains("List-Unsubscribe: <http") && shipping.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{shipping}");
    let receipt = mails.iter().find(|m| m.contains("received your order")).unwrap();
    assert!(!receipt.contains("List-Unsubscribe"), "a receipt is not a mailing: {receipt}");

    // Marking read: one, then all.
    let id = first["id"].as_str().unwrap().to_owned();
    assert_eq!(customer.call("notifications/read", &[("id", &id)]).await.status, StatusCode::OK);
    assert_eq!(unread(&customer).await, 2);
    assert_eq!(customer.call("notifications/read-all", &[]).await.status, StatusCode::OK);
    assert_eq!(unread(&customer).await, 0);
}

#[sqlx::test(migrations = "./migrations")]
async fn preferences_suppress_what_they_say_and_never_a_receipt(db: PgPool) {
    let app = spawn(db).await;
    let staff = admin(&app).await;
    let variant = variant_with_stock(&app.db, 5).await;
    let (user, cart) = shopper(&app.db, 2, &[(variant, 1)]).await;
    let customer = signed_in(&app, user).await;

    // Everything off that the form offers: receipts' email stays on regardless.
    let res = customer.call("notifications/settings/save", &[("on[back_in_stock-email]", "on")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let settings = customer.call("notifications/settings", &[]).await.json();
    let orders_row = settings["topics"].as_array().unwrap().iter().find(|t| t["topic"] == "Orders").unwrap();
    assert_eq!(orders_row["channels"], serde_json::json!({ "in_store": false, "email": true, "sms": false }));
    // A field the form never has is refused, and changes nothing.
    let res = customer.call("notifications/settings/save", &[("on[coupons-email]", "on")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert_eq!(customer.call("notifications/settings", &[]).await.json(), settings);

    let placed = place(&app, user, cart, "k-2", None, PaymentMethod::BankTransfer).await.unwrap();
    let this_order = format!("%{}%", placed.order_id);
    assert_eq!(jobs_of(&app.db, "order_email", &this_order).await, 1, "the receipt is still emailed");
    step(&staff, placed.number, "mark_paid", &[]).await;
    step(&staff, placed.number, "process", &[]).await;
    step(&staff, placed.number, "ship", &[("carrier", "DHL"), ("tracking_number", "JD1")]).await;
    assert_eq!(jobs_of(&app.db, "order_email", &this_order).await, 2, "the payment receipt, no shipping email");
    assert_eq!(jobs_of(&app.db, "notification_text", "%").await, 0);
    assert_eq!(unread(&customer).await, 0, "nothing in the store");
    assert_eq!(customer.call("notifications/list", &[]).await.json()["items"], serde_json::json!([]));
    // Still recorded (hidden), so a retry cannot send what was held back.
    assert_eq!(notification_count(&app.db, user, "order:%").await, 3);

    // Shipping by text message, when asked for.
    let res = customer.call("notifications/settings/save", &[("on[shipping-sms]", "on"), ("on[shipping-in_store]", "on")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    step(&staff, placed.number, "deliver", &[]).await;
    assert_eq!(jobs_of(&app.db, "notification_text", "%").await, 1);
    assert_eq!(unread(&customer).await, 1);
    drain(&app).await;
    let texts: Vec<String> = std::fs::read_dir(app.outbox.join("sms")).unwrap().map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect();
    assert!(texts.iter().any(|t| t.contains("+15556000002") && t.contains("was delivered")), "{texts:?}");
}

#[sqlx::test(migrations = "./migrations")]
async fn news_and_offers_need_the_marketing_consent_and_stop_when_it_is_withdrawn(db: PgPool) {
    let app = spawn(db).await;
    let (user, _) = shopper(&app.db, 13, &[]).await;
    let customer = signed_in(&app, user).await;
    let subscribed = || async { sqlx::query_scalar::<_, String>("select status from subscribers where email = 'buyer13@example.com'").fetch_optional(&app.db).await.unwrap() };
    assert_eq!(customer.call("notifications/settings", &[]).await.json()["marketing"]["subscribed"], false, "off until asked for");

    // Without marketing consent: refused, and nothing else on the form is saved either.
    assert_eq!(customer.call("consent/save", &[("analytics", "true")]).await.status, StatusCode::OK);
    let res = customer.call("notifications/settings/save", &[("on[marketing-email]", "on")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("cookie settings"), "{}", res.body);
    assert_eq!(subscribed().await, None);
    let topics = customer.call("notifications/settings", &[]).await.json()["topics"].clone();
    assert!(topics.as_array().unwrap().iter().all(|t| t["channels"]["in_store"] == true), "unchanged: {topics}");

    // With it: subscribed at once (the address is proven), and withdrawing consent stops it.
    customer.accept_cookies().await;
    let res = customer.call("notifications/settings/save", &[("on[marketing-email]", "on"), ("on[orders-in_store]", "on")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(subscribed().await.as_deref(), Some("confirmed"));
    assert_eq!(customer.call("notifications/settings", &[]).await.json()["marketing"]["subscribed"], true);
    assert_eq!(customer.call("consent/save", &[("analytics", "true")]).await.status, StatusCode::OK);
    assert_eq!(subscribed().await.as_deref(), Some("unsubscribed"));
}

#[sqlx::test(migrations = "./migrations")]
async fn a_review_decision_or_reply_tells_its_author_unless_they_turned_it_off(db: PgPool) {
    let app = spawn(db).await;
    let staff = admin(&app).await;
    let product: Uuid = sqlx::query_scalar("select id from products where is_live order by slug limit 1").fetch_one(&app.db).await.unwrap();
    let mut reviews = Vec::new();
    for n in [3, 4] {
        let variant = variant_with_stock(&app.db, 5).await;
        let (user, _) = shopper(&app.db, n, &[(variant, 1)]).await;
        sqlx::query("insert into reviews (product_id, user_id, rating, title, comment) values ($1, $2, 5, 'Lovely', 'Soft and warm.')")
            .bind(product)
            .bind(user)
            .execute(&app.db)
            .await
            .unwrap();
        let review: Uuid = sqlx::query_scalar("select id from reviews where user_id = $1").bind(user).fetch_one(&app.db).await.unwrap();
        reviews.push((user, review, signed_in(&app, user).await));
    }
    let (quiet_user, _, quiet) = &reviews[1];
    let res = quiet.call("notifications/settings/save", &[("on[orders-in_store]", "on")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    for (_, review, _) in &reviews {
        let id = review.to_string();
        for _ in 0..2 {
            assert_eq!(staff.call("admin/reviews/approve", &[("id", &id)]).await.status, StatusCode::OK);
        }
        assert_eq!(staff.call("admin/reviews/reply", &[("id", &id), ("reply", "Thank you!")]).await.status, StatusCode::OK);
    }
    let (user, review, author) = &reviews[0];
    // The reply's notification told again twice (a retry): nothing more.
    let replied_at: chrono::DateTime<chrono::Utc> = sqlx::query_scalar("select replied_at from reviews where id = $1").bind(review).fetch_one(&app.db).await.unwrap();
    for _ in 0..2 {
        let mut conn = app.db.acquire().await.unwrap();
        notifications::review_event(&mut conn, *review, notifications::ReviewNews::Replied, replied_at).await.unwrap();
    }
    assert_eq!(unread(author).await, 2, "approved once (the second approval changed nothing), and replied");
    assert_eq!(notification_count(&app.db, *user, "review:%").await, 2);
    assert_eq!(unread(quiet).await, 0, "review notifications turned off");
    let emails_queued: i64 = sqlx::query_scalar(
        "select count(*) from jobs j join notifications n on n.id::text = j.payload->'payload'->>'notification_id'
         where j.kind = 'notification_email' and n.event_key like 'review:%' and j.done_at is null",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(emails_queued, 2, "only the first author is emailed");
    drain(&app).await;
    let to = email_of(&app.db, *user).await;
    let mail = latest_message_to(&app, &to);
    assert!(mail.contains("List-Unsubscribe: <http"), "{mail}");
    let quiet_to = format!("To: {}", email_of(&app.db, *quiet_user).await);
    assert!(outbox_messages(&app).iter().all(|m| !m.contains(&quiet_to)));
}

#[sqlx::test(migrations = "./migrations")]
async fn a_restocked_size_tells_each_waiting_customer_once_per_restock(db: PgPool) {
    let app = spawn(db).await;
    let variant = variant_with_stock(&app.db, 0).await;
    let mut waiting = Vec::new();
    for n in [5, 6] {
        let (user, _) = shopper(&app.db, n, &[]).await;
        let browser = signed_in(&app, user).await;
        let res = browser.call("wishlist/watch-size", &[("variant_id", &variant.to_string())]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        waiting.push((user, browser));
    }
    // A visitor who is not signed in is asked to sign in; nothing is saved.
    let res = Client::new(&app).call("wishlist/watch-size", &[("variant_id", &variant.to_string())]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);

    let set_stock = |stock: i32| {
        let db = app.db.clone();
        async move { sqlx::query("update product_sizes set stock = $2 where id = $1").bind(variant).bind(stock).execute(&db).await.unwrap() }
    };
    set_stock(3).await;
    set_stock(5).await; // still in stock: not a restock
    assert_eq!(jobs_of(&app.db, "back_in_stock", "%").await, 1);
    // The job twice (a retry after a crash): each customer is told once.
    let job: BackInStock = sqlx::query_scalar::<_, serde_json::Value>("select payload -> 'payload' from jobs where kind = 'back_in_stock'")
        .fetch_one(&app.db)
        .await
        .map(|v| serde_json::from_value(v).unwrap())
        .unwrap();
    assert_eq!(notifications::back_in_stock(&app.state, job.clone()).await.unwrap(), 2);
    assert_eq!(notifications::back_in_stock(&app.state, job).await.unwrap(), 0);
    drain(&app).await;
    for (user, browser) in &waiting {
        assert_eq!(notification_count(&app.db, *user, "restock:%").await, 1);
        assert_eq!(unread(browser).await, 1);
        let mail = latest_message_to(&app, &email_of(&app.db, *user).await);
        assert!(mail.contains("back in") && mail.contains("List-Unsubscribe"), "{mail}");
    }

    // Sold out again (an order holds the last units), then a cancelled hold gives them back.
    sqlx::query("update product_sizes set reserved = stock where id = $1").bind(variant).execute(&app.db).await.unwrap();
    sqlx::query("update product_sizes set reserved = 0 where id = $1").bind(variant).execute(&app.db).await.unwrap();
    assert_eq!(jobs_of(&app.db, "back_in_stock", "%").await, 2);
    // The trigger queues for the database's now; the test's clock is days behind it.
    sqlx::query("update jobs set run_at = $1 where kind = 'back_in_stock'").bind(app.clock_now()).execute(&app.db).await.unwrap();
    drain(&app).await;
    for (user, _) in &waiting {
        assert_eq!(notification_count(&app.db, *user, "restock:%").await, 2, "a second restock, a second notice");
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn a_sign_in_from_a_new_device_warns_the_owner_whose_not_me_ends_that_session(db: PgPool) {
    let app = spawn(db).await;
    let (user, _) = shopper(&app.db, 7, &[]).await;
    let to = email_of(&app.db, user).await;
    let _first = signed_in(&app, user).await;
    assert_eq!(notification_count(&app.db, user, "device:%").await, 0, "an account's first sign-in warns nobody");
    let again = Client::new(&app);
    let res = again.call("auth/sign-in/password", &[("email", &to), ("password", "correct horse battery"), ("next", "/")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(notification_count(&app.db, user, "device:%").await, 0, "the same browser again");

    let stranger = Client::with_agent(&app, PHONE_UA);
    let res = stranger.call("auth/sign-in/password", &[("email", &to), ("password", "correct horse battery"), ("next", "/")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(notification_count(&app.db, user, "device:%").await, 1);
    // The same sign-in told twice more (a retry): still one notification, one email.
    let key: String = sqlx::query_scalar("select event_key from notifications where user_id = $1 and event_key like 'device:%'")
        .bind(user)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let session = Uuid::parse_str(key.trim_start_matches("device:")).unwrap();
    for _ in 0..2 {
        let alert = notifications::Event::NewDevice { login_session_id: session, device: "Safari".into(), place: "here".into(), at: app.clock_now() };
        let mut conn = app.db.acquire().await.unwrap();
        assert_eq!(notifications::notify(&mut conn, user, &alert, app.clock_now()).await.unwrap(), None);
    }
    assert_eq!(notification_count(&app.db, user, "device:%").await, 1);
    let alert_emails: i64 = sqlx::query_scalar(
        "select count(*) from jobs j join notifications n on n.id::text = j.payload->'payload'->>'notification_id'
         where j.kind = 'notification_email' and n.user_id = $1",
    )
    .bind(user)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(alert_emails, 1);
    drain(&app).await;
    let alert = latest_message_to(&app, &to);
    assert!(alert.contains("New sign-in") && alert.contains("Safari on iPhone (mobile)") && alert.contains("This wasn't me"), "{alert}");
    assert!(!alert.contains("List-Unsubscribe"), "security alerts always come");
    let start = alert.find("/account/not-me?token=").unwrap() + "/account/not-me?token=".len();
    let token: String = alert[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || "-._%".contains(*c)).collect();
    let token = token.replace("%2E", ".");
    assert_eq!(stranger.call("account/get", &[]).await.status, StatusCode::OK, "the stranger is signed in");

    // A forged token changes nothing.
    let forged = format!("{}.{}", Uuid::now_v7(), token.split_once('.').unwrap().1);
    assert_eq!(Client::new(&app).call("notifications/not-me", &[("token", &forged)]).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(stranger.call("account/get", &[]).await.status, StatusCode::OK);

    let res = Client::new(&app).call("notifications/not-me", &[("token", &token)]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(stranger.call("account/get", &[]).await.status, StatusCode::UNAUTHORIZED, "that session ended");
    assert_eq!(again.call("account/get", &[]).await.status, StatusCode::OK, "the owner's other sessions stay");
    assert!(latest_message_to(&app, &to).contains("reset"), "a password reset was sent");
}

#[sqlx::test(migrations = "./migrations")]
async fn one_click_unsubscribe_stops_one_topic_without_signing_in(db: PgPool) {
    let app = spawn(db).await;
    let (user, _) = shopper(&app.db, 8, &[]).await;
    let secret = app.state.config.auth_secret.expose().to_owned();
    let post = |token: String| {
        let router = app.router.clone();
        async move {
            let uri = format!("/notifications/one-click?token={}", larkspur::text::url_encode(&token));
            let req = Request::post(uri)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ORIGIN, "https://mail.example.com")
                .body(Body::from("List-Unsubscribe=One-Click"))
                .unwrap();
            tower::ServiceExt::oneshot(router, req).await.unwrap().status()
        }
    };
    let token = notifications::unsubscribe_token(&secret, user, larkspur::notifications::Topic::Reviews);
    assert_eq!(post(token).await, StatusCode::OK);
    let prefs = notifications::preferences(&app.db, user).await.unwrap();
    let reviews = prefs.iter().find(|p| p.topic == larkspur::notifications::Topic::Reviews).unwrap();
    assert!(!reviews.channels.email && reviews.channels.in_store, "only that topic's email stops");
    assert!(prefs.iter().filter(|p| p.topic != larkspur::notifications::Topic::Reviews).all(|p| p.channels.email));

    // Receipts cannot be stopped; a forged or altered token is not found.
    assert_eq!(post(notifications::unsubscribe_token(&secret, user, larkspur::notifications::Topic::Orders)).await, StatusCode::NOT_FOUND);
    assert_eq!(post(notifications::unsubscribe_token("another-secret-another-secret-12345", user, larkspur::notifications::Topic::Shipping)).await, StatusCode::NOT_FOUND);
    assert!(notifications::preferences(&app.db, user).await.unwrap().iter().filter(|p| p.topic != larkspur::notifications::Topic::Reviews).all(|p| p.channels.email));
}

#[sqlx::test(migrations = "./migrations")]
async fn nobody_reads_or_marks_another_customers_notifications(db: PgPool) {
    let app = spawn(db).await;
    let variant = variant_with_stock(&app.db, 5).await;
    let (owner, cart) = shopper(&app.db, 9, &[(variant, 1)]).await;
    let (other, _) = shopper(&app.db, 10, &[]).await;
    place(&app, owner, cart, "k-9", None, PaymentMethod::BankTransfer).await.unwrap();
    let id: Uuid = sqlx::query_scalar("select id from notifications where user_id = $1").bind(owner).fetch_one(&app.db).await.unwrap();

    let visitor = Client::new(&app);
    assert_eq!(unread(&visitor).await, 0);
    assert_eq!(visitor.call("notifications/list", &[]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(visitor.call("notifications/read", &[("id", &id.to_string())]).await.status, StatusCode::UNAUTHORIZED);

    let intruder = signed_in(&app, other).await;
    assert_eq!(intruder.call("notifications/read", &[("id", &id.to_string())]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(intruder.call("notifications/read-all", &[]).await.status, StatusCode::OK);
    assert_eq!(intruder.call("notifications/list", &[]).await.json()["items"], serde_json::json!([]));
    let read: bool = sqlx::query_scalar("select read_at is not null from notifications where id = $1").bind(id).fetch_one(&app.db).await.unwrap();
    assert!(!read, "the owner's notification is untouched");
    let owner_browser = signed_in(&app, owner).await;
    assert_eq!(unread(&owner_browser).await, 1);

    // The page and the header: the bell with its count, the list with the notification.
    let page = owner_browser.get("/account/notifications").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("data-testid=\"notification-bell\"") && page.body.contains("placed"), "{}", page.body);
    let anonymous = visitor.get("/account/notifications").await;
    assert!(!anonymous.body.contains("data-testid=\"notification\""), "{}", anonymous.body);
    assert!(anonymous.body.contains("/sign-in?next=/account/notifications"), "{}", anonymous.body);
}
