//! The customer's own data against a real database: the profile picture (cut square,
//! re-encoded, refused when it is no image), the archive of everything held about them (every
//! table, nothing of another customer, downloaded once), and deleting the account (a code,
//! every session ended, no personal data left in any column, orders and reviews kept
//! anonymously, the address free for a new account).
#![cfg(feature = "ssr")]

mod support;

use axum::{
    body::Body,
    http::{header, Request, StatusCode},
};
use larkspur::{orders::PaymentMethod, server::jobs};
use sqlx::PgPool;
use std::io::Read;
use support::{shop::*, *};
use uuid::Uuid;

const BOUNDARY: &str = "larkspur-account-boundary-41c2";

fn picture_form(file_name: &str, bytes: &[u8], crop: Option<(&str, &str, &str)>) -> Vec<u8> {
    let mut body = Vec::new();
    if let Some((left, top, size)) = crop {
        for (name, value) in [("left", left), ("top", top), ("size", size)] {
            body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        }
    }
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"picture\"; filename=\"{file_name}\"\r\nContent-Type: image/png\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post_picture(browser: &Client, body: Vec<u8>) -> Response {
    let request = Request::post("/account/uploads/picture")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::CONTENT_LENGTH, body.len())
        .header(header::REFERER, "http://127.0.0.1:3000/account")
        .header(header::ORIGIN, "http://127.0.0.1:3000");
    browser.request(request, Body::from(body)).await
}

/// A 300 × 200 PNG: red on the left half, blue on the right.
fn two_halves() -> Vec<u8> {
    let image = image::RgbImage::from_fn(300, 200, |x, _| if x < 150 { image::Rgb([220, 20, 20]) } else { image::Rgb([20, 20, 220]) });
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(image).write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    bytes
}

async fn avatar(db: &PgPool, user: Uuid) -> (Option<String>, Option<String>) {
    sqlx::query_as("select avatar_key, avatar_url from users where id = $1").bind(user).fetch_one(db).await.unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn a_profile_picture_is_cut_square_re_encoded_replaced_and_removed(db: PgPool) {
    let app = spawn(db).await;
    let (user, _) = shopper(&app.db, 1, &[]).await;
    let browser = signed_in(&app, user).await;

    // Not signed in: to the sign-in page, nothing stored.
    let res = post_picture(&Client::new(&app), picture_form("me.png", &two_halves(), None)).await;
    assert_eq!(res.headers_location.as_deref(), Some("/sign-in?next=/account"));

    // The square the browser chose: the right half's top (blue).
    let res = post_picture(&browser, picture_form("me.png", &two_halves(), Some(("0.5", "0", "0.75")))).await;
    assert_eq!(res.headers_location.as_deref(), Some("/account?picture=saved#profile"), "{}", res.body);
    let (key, url) = avatar(&app.db, user).await;
    let key = key.expect("a picture");
    assert_eq!(url.as_deref(), Some(format!("/media/{key}/256.jpg").as_str()));
    let webp = app.state.media.get(&format!("{key}/256.webp")).await.unwrap().expect("the WebP");
    let decoded = image::load_from_memory_with_format(&webp, image::ImageFormat::WebP).unwrap().to_rgb8();
    assert_eq!(decoded.dimensions(), (256, 256));
    let [r, _, b] = decoded.get_pixel(128, 128).0;
    assert!(b > 150 && r < 100, "the chosen (blue) square, not the middle: {r} {b}");
    assert!(app.state.media.get(&format!("{key}/96.jpg")).await.unwrap().is_some());
    assert!(browser.get("/account").await.body.contains(&format!("/media/{key}/96.webp")), "shown on the account page");

    // Not an image: refused beside the field, the picture kept.
    let res = post_picture(&browser, picture_form("me.png", b"<svg onload=\"alert(1)\"/>", None)).await;
    assert_eq!(res.headers_location.as_deref(), Some("/account#profile"));
    assert!(browser.get("/account").await.body.contains("is an SVG drawing"), "the refusal is shown");
    assert_eq!(avatar(&app.db, user).await.0.as_deref(), Some(key.as_str()));

    // A new one replaces it (the old files go); then removing it.
    let res = post_picture(&browser, picture_form("me.png", &two_halves(), None)).await;
    assert_eq!(res.headers_location.as_deref(), Some("/account?picture=saved#profile"));
    let (new_key, _) = avatar(&app.db, user).await;
    assert_ne!(new_key.as_deref(), Some(key.as_str()));
    assert!(app.state.media.get(&format!("{key}/256.webp")).await.unwrap().is_none(), "the old files are gone");
    assert_eq!(browser.call("account/picture/remove", &[]).await.status, StatusCode::OK);
    assert_eq!(avatar(&app.db, user).await, (None, None));
    assert!(app.state.media.get(&format!("{}/256.webp", new_key.unwrap())).await.unwrap().is_none());
}

/// A customer with something in every table the archive covers.
async fn busy_customer(app: &TestApp, n: usize) -> (Uuid, Client) {
    let variant = variant_with_stock(&app.db, 10).await;
    let (user, cart) = shopper(&app.db, n, &[(variant, 1)]).await;
    place(app, user, cart, &format!("k-{n}"), None, PaymentMethod::BankTransfer).await.unwrap();
    sqlx::query(&format!("update users set name = 'Customer Number{n}' where id = $1")).bind(user).execute(&app.db).await.unwrap();
    sqlx::query(
        "insert into addresses (user_id, recipient_name, phone, line1, city_id, postal_code)
         select $1, 'Recipient ' || $2, '+15550000000', $2 || ' Quillfeather Lane', id, '94105' from cities limit 1",
    )
    .bind(user)
    .bind(format!("Number{n}"))
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "insert into reviews (product_id, user_id, rating, title, comment)
         select pc.product_id, $1, 4, 'Review ' || $2, 'Comment' from product_sizes ps join product_colours pc on pc.id = ps.product_colour_id where ps.id = $3",
    )
    .bind(user)
    .bind(n.to_string())
    .bind(variant)
    .execute(&app.db)
    .await
    .unwrap();
    let browser = signed_in(app, user).await;
    browser.accept_cookies().await;
    let res = browser.call("wishlist/watch-size", &[("variant_id", &variant.to_string())]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = browser.call("notifications/settings/save", &[("on[orders-in_store]", "on")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    (user, browser)
}

async fn drain(app: &TestApp) {
    while jobs::run_due(&app.state).await.unwrap() > 0 {}
}

async fn download(browser: &Client) -> Response {
    let request = Request::post("/account/export/download")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "http://127.0.0.1:3000");
    browser.request(request, Body::empty()).await
}

#[sqlx::test(migrations = "./migrations")]
async fn the_archive_holds_every_table_of_the_customer_and_nothing_of_another(db: PgPool) {
    let app = spawn(db).await;
    let (_, browser) = busy_customer(&app, 11).await;
    let (_, _other) = busy_customer(&app, 12).await;

    assert_eq!(download(&browser).await.status, StatusCode::NOT_FOUND, "nothing asked for yet");
    assert_eq!(browser.call("account/export/request", &[]).await.status, StatusCode::OK);
    assert_eq!(browser.call("account/export/request", &[]).await.status, StatusCode::CONFLICT, "one at a time");
    let status = browser.call("account/export/status", &[]).await.json();
    assert_eq!(status["ready"], false);
    drain(&app).await;
    assert_eq!(browser.call("account/export/status", &[]).await.json()["ready"], true);
    assert!(outbox_messages(&app).iter().any(|m| m.contains("To: buyer11@example.com") && m.contains("Your Larkspur data is ready")));

    let res = download(&browser).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.headers.get(header::CONTENT_TYPE).unwrap(), "application/zip");
    assert!(res.headers.get(header::CONTENT_DISPOSITION).unwrap().to_str().unwrap().starts_with("attachment"));
    let bytes = res.bytes.clone();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut files = std::collections::BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        files.insert(file.name().to_owned(), text);
    }
    let data: serde_json::Value = serde_json::from_str(&files["data.json"]).unwrap();
    assert!(data["linked_accounts"].is_array() && files.contains_key("linked_accounts.csv"));
    for table in [
        "profile", "emails", "phones", "addresses", "orders", "order_items", "reviews", "wishlist", "notifications",
        "notification_preferences", "consent_records", "sessions", "login_events",
    ] {
        let rows = data[table].as_array().unwrap_or_else(|| panic!("{table} in data.json"));
        assert!(!rows.is_empty(), "{table} has the customer's rows");
        assert!(files.contains_key(&format!("{table}.csv")), "{table}.csv");
        assert!(files[&format!("{table}.csv")].lines().count() > rows.len(), "{table}.csv has a header and every row");
    }
    assert_eq!(data["profile"][0]["email"], "buyer11@example.com");
    assert_eq!(data["orders"].as_array().unwrap().len(), 1);
    assert!(data["wishlist"][0]["waiting_for_size"].is_string());
    let everything = files.values().cloned().collect::<String>();
    for theirs in ["buyer12@example.com", "Number12", "+15556000012"] {
        assert!(!everything.contains(theirs), "nothing of the other customer ({theirs})");
    }
    for secret in ["password_hash", "session_key", "code_hash", "$argon2"] {
        assert!(!everything.contains(secret), "no secrets ({secret})");
    }
    assert_eq!(download(&browser).await.status, StatusCode::NOT_FOUND, "the download works once");
    assert_eq!(download(&Client::new(&app)).await.headers_location.as_deref(), Some("/sign-in?next=/account"));
}

/// Every text-like column of every table that holds `needle` (case-insensitive).
async fn columns_holding(db: &PgPool, needle: &str) -> Vec<String> {
    let columns: Vec<(String, String)> = sqlx::query_as(
        "select table_name::text, column_name::text from information_schema.columns
         where table_schema = 'public' and data_type in ('text', 'character varying', 'USER-DEFINED', 'jsonb', 'json', 'inet')
           and table_name not like '\\_sqlx%'",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let mut found = Vec::new();
    for (table, column) in columns {
        let n: i64 = sqlx::query_scalar(&format!("select count(*) from \"{table}\" where \"{column}\"::text ilike '%' || $1 || '%'"))
            .bind(needle)
            .fetch_one(db)
            .await
            .unwrap_or(0);
        if n > 0 {
            found.push(format!("{table}.{column}"));
        }
    }
    found
}

#[sqlx::test(migrations = "./migrations")]
async fn deleting_an_account_takes_a_code_and_leaves_no_personal_data(db: PgPool) {
    let app = spawn(db).await;
    let (user, browser) = busy_customer(&app, 21).await;
    let phone_browser = Client::with_agent(&app, PHONE_UA);
    let res = phone_browser.call("auth/sign-in/password", &[("email", "buyer21@example.com"), ("password", "correct horse battery"), ("next", "/")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // A second proven address, which must go too.
    assert_eq!(browser.call("account/contact/send", &[("channel", "email"), ("destination", "second21@example.com")]).await.status, StatusCode::OK);
    let code = latest_email_code(&app, "second21@example.com");
    let res = browser.call("account/contact/verify", &[("channel", "email"), ("destination", "second21@example.com"), ("code", &code)]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let review: Uuid = sqlx::query_scalar("update reviews set status = 'approved' where user_id = $1 returning id").bind(user).fetch_one(&app.db).await.unwrap();
    drain(&app).await;

    // An order still on its way keeps the account (it needs the name and address).
    let res = browser.call("account/delete/send", &[]).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert!(res.body.contains("still open"), "{}", res.body);
    sqlx::query("update orders set status = 'cancelled' where user_id = $1").bind(user).execute(&app.db).await.unwrap();

    assert_eq!(browser.call("account/delete/send", &[]).await.status, StatusCode::OK);
    let code = latest_email_code(&app, "buyer21@example.com");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let res = browser.call("account/delete", &[("code", wrong)]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert_eq!(browser.call("account/get", &[]).await.status, StatusCode::OK, "a wrong code changes nothing");

    let res = browser.call("account/delete", &[("code", &code)]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    for signed_out in [&browser, &phone_browser] {
        assert_eq!(signed_out.call("account/get", &[]).await.status, StatusCode::UNAUTHORIZED, "every session ended");
    }
    let res = Client::new(&app).call("auth/sign-in/password", &[("email", "buyer21@example.com"), ("password", "correct horse battery"), ("next", "/")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);

    // Orders and reviews stay, without who and where.
    let (recipient, line1, email): (String, String, String) = sqlx::query_as(
        "select shipping_address->>'recipient_name', shipping_address->>'line1', email::text from orders where user_id = $1",
    )
    .bind(user)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((recipient.as_str(), line1.as_str(), email.as_str()), ("Former customer", "", ""));
    let slug: String = sqlx::query_scalar("select p.slug from reviews r join products p on p.id = r.product_id where r.id = $1").bind(review).fetch_one(&app.db).await.unwrap();
    assert!(Client::new(&app).get(&format!("/p/{slug}")).await.body.contains("A former customer"));
    let audit: i64 = sqlx::query_scalar("select count(*) from audit_log where action = 'delete_account' and entity_id = $1")
        .bind(user.to_string())
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(audit, 1);

    // Nothing personal anywhere: every text, JSON and address column of every table.
    for needle in ["buyer21@example.com", "second21@example.com", "+15556000021", "Number21", "Quillfeather"] {
        assert_eq!(columns_holding(&app.db, needle).await, Vec::<String>::new(), "{needle} is gone from every column");
    }

    // The address can make a new account (once the resend pause is over).
    app.clock.advance(chrono::Duration::minutes(15));
    let newcomer = Client::new(&app);
    assert_eq!(newcomer.call("auth/code/send", &[("channel", "email"), ("destination", "buyer21@example.com")]).await.status, StatusCode::OK);
    let code = latest_email_code(&app, "buyer21@example.com");
    let args = [("channel", "email"), ("destination", "buyer21@example.com"), ("code", code.as_str()), ("name", "New"), ("password", "another fine phrase"), ("next", "/")];
    let res = newcomer.call("auth/code/verify", &args).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let new_user: Uuid = sqlx::query_scalar("select id from users where email = 'buyer21@example.com'").fetch_one(&app.db).await.unwrap();
    assert_ne!(new_user, user);
}
