//! Home-page banners in the dashboard against a real database: who may manage them (editors
//! and admins), creating one with an uploaded image through the product images' pipeline,
//! editing, reordering and deleting (each audited), the button's link refused unless it is a
//! path here or an https address, the schedule read by the store's clock, and impressions
//! counted only for visitors who allowed analytics, with clicks and click-through in the list.
#![cfg(feature = "ssr")]

mod support;

use axum::{
    body::Body,
    http::{header, Request, StatusCode},
};
use image::{ImageFormat, Rgb, RgbImage};
use larkspur::seed::{ADMIN_EMAIL, ADMIN_PASSWORD, EDITOR_EMAIL, EDITOR_PASSWORD};
use sqlx::PgPool;
use std::{io::Cursor, path::PathBuf};
use support::{shop::count, *};
use uuid::Uuid;

const SAVE: &str = "/admin/uploads/banners";
const BOUNDARY: &str = "larkspur-banner-boundary-41c9";

/// A test's own media directory, removed when the test ends.
struct MediaDir(PathBuf);

impl Drop for MediaDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn app_with_media(db: PgPool) -> (TestApp, MediaDir) {
    let media = std::env::temp_dir().join(format!("larkspur-banners-{}", Uuid::now_v7()));
    let dir = media.to_string_lossy().into_owned();
    let app = spawn_configured(db, &redis_url(), &[("MEDIA_DIR", dir.as_str())]).await;
    (app, MediaDir(media))
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 90]));
    let mut bytes = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image).write_to(&mut bytes, ImageFormat::Png).unwrap();
    bytes.into_inner()
}

/// A good banner's fields, with `changes` over them (an empty value drops the field).
fn fields<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("title", "Winter sale"),
        ("subtitle", "Fleece and shells, a third off."),
        ("image_alt", "A hiker in a green fleece on a snowy ridge"),
        ("button_text", "Shop the sale"),
        ("button_link", "/collections/winter-edit"),
        ("is_active", "on"),
    ];
    for (key, value) in changes {
        match fields.iter_mut().find(|(k, _)| k == key) {
            Some(field) => field.1 = value,
            None => fields.push((key, value)),
        }
    }
    fields.retain(|(_, v)| !v.is_empty());
    fields
}

fn multipart(fields: &[(&str, &str)], image: Option<&[u8]>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    let (file_name, bytes) = match image {
        Some(bytes) => ("winter.png", bytes),
        None => ("", &[][..]),
    };
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"{file_name}\"\r\nContent-Type: image/png\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Posts the editor's form: as JavaScript would (`json`, answered with JSON) or as a plain
/// browser form from `referer` (answered with a redirect).
async fn save(client: &Client, fields: &[(&str, &str)], image: Option<&[u8]>, json: bool, referer: &str) -> Response {
    let body = multipart(fields, image);
    let accept = if json { "application/json" } else { "text/html,application/xhtml+xml" };
    let request = Request::post(SAVE)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::CONTENT_LENGTH, body.len())
        .header(header::ACCEPT, accept)
        .header(header::REFERER, referer)
        .header(header::ORIGIN, "http://127.0.0.1:3000");
    client.request(request, Body::from(body)).await
}

async fn create(client: &Client, changes: &[(&str, &str)]) -> Uuid {
    let res = save(client, &fields(changes), Some(&png(480, 210)), true, "/admin/banners/new").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.json()["id"].as_str().unwrap().parse().unwrap()
}

async fn seeded(db: &PgPool) -> Vec<Uuid> {
    sqlx::query_scalar("select id from banners order by sort_order, created_at, id").fetch_all(db).await.unwrap()
}

async fn audits(db: &PgPool, id: Uuid, action: &str) -> i64 {
    sqlx::query_scalar("select count(*) from audit_log where entity_kind = 'banner' and entity_id = $1 and action = $2")
        .bind(id.to_string())
        .bind(action)
        .fetch_one(db)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn only_editors_and_admins_manage_banners_and_a_refusal_changes_nothing(db: PgPool) {
    let (app, _media) = app_with_media(db).await;
    create_user(&app.db, "cus@example.com", "correct horse battery", "customer").await;
    let visitor = Client::new(&app);
    let customer = signed_in_as(&app, "cus@example.com", "correct horse battery").await;
    let order = seeded(&app.db).await;
    let second = order[1].to_string();
    let calls: [(&str, Vec<(&str, &str)>); 4] = [
        ("admin/banners/list", vec![]),
        ("admin/banners/editor", vec![("id", &second)]),
        ("admin/banners/move", vec![("id", &second), ("direction", "up")]),
        ("admin/banners/delete", vec![("id", &second), ("confirm", "delete")]),
    ];
    for (function, args) in &calls {
        assert_eq!(visitor.call(function, args).await.status, StatusCode::UNAUTHORIZED, "{function} signed out");
        assert_eq!(customer.call(function, args).await.status, StatusCode::FORBIDDEN, "{function} as a customer");
    }
    let edit = fields(&[("id", &second)]);
    for (who, client, status) in [("visitor", &visitor, StatusCode::UNAUTHORIZED), ("customer", &customer, StatusCode::FORBIDDEN)] {
        assert_eq!(save(client, &fields(&[]), Some(&png(480, 210)), true, "/admin/banners/new").await.status, status, "create as {who}");
        assert_eq!(save(client, &edit, None, true, "/admin/banners").await.status, status, "edit as {who}");
        for page in ["/admin/banners".to_owned(), "/admin/banners/new".to_owned(), format!("/admin/banners/{second}")] {
            assert_eq!(client.get(&page).await.status, status, "{page} as {who}");
        }
    }
    assert_eq!(seeded(&app.db).await, order, "nothing moved or went");
    assert_eq!(count(&app.db, "select count(*) from audit_log where entity_kind = 'banner'").await, 0);

    // Editors run banners (content); admins too.
    let editor = signed_in_as(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for client in [&editor, &admin] {
        assert_eq!(client.call("admin/banners/list", &[]).await.status, StatusCode::OK);
        assert_eq!(client.get("/admin/banners").await.status, StatusCode::OK);
        assert!(client.get("/admin").await.body.contains("href=\"/admin/banners\""), "in the menu");
    }
    assert_eq!(editor.call("admin/banners/move", &[("id", &second), ("direction", "up")]).await.status, StatusCode::OK);
    assert_eq!(seeded(&app.db).await, vec![order[1], order[0]]);
    let id = create(&editor, &[]).await;
    assert_eq!(audits(&app.db, id, "create").await, 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn an_editor_creates_edits_and_deletes_a_banner_with_its_image(db: PgPool) {
    let (app, media) = app_with_media(db).await;
    let editor = signed_in_as(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await;

    // A plain form post creates it and opens its page; its image went through the pipeline.
    let res = save(&editor, &fields(&[("starts_at", "2026-11-01T00:00")]), Some(&png(900, 394)), false, "/admin/banners/new").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let location = res.headers_location.unwrap();
    let id: Uuid = location.trim_start_matches("/admin/banners/").trim_end_matches("?saved=1").parse().unwrap();
    let (url, widths, key, sort, last): (String, Vec<i32>, String, i32, i32) = sqlx::query_as(
        "select image_url, image_widths, image_storage_key, sort_order, (select max(sort_order) from banners) from banners where id = $1",
    )
    .bind(id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(widths, vec![320, 640, 900], "never upscaled");
    assert!(key.starts_with("banners/") && url == format!("/media/{key}/900.jpg"), "{key} {url}");
    assert_eq!(sort, last, "a new banner goes last");
    for w in &widths {
        assert!(media.0.join(&key).join(format!("{w}.webp")).exists());
    }
    let page = editor.get(&location).await;
    assert!(page.body.contains("Banner saved.") && page.body.contains("Winter sale") && page.body.contains("text-emerald-900\">Live</span>"), "{}", page.body);
    assert_eq!(audits(&app.db, id, "create").await, 1);
    let list = editor.get("/admin/banners").await.body;
    assert!(list.contains("Winter sale") && list.contains("From 1 Nov 2026, 00:00 UTC"));

    // Editing without a file keeps the image; with one replaces it and removes the old files.
    let id_s = id.to_string();
    let res = save(&editor, &fields(&[("id", &id_s), ("title", "Winter sale, last days")]), None, true, &location).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let (title, kept): (String, String) = sqlx::query_as("select title, image_storage_key from banners where id = $1").bind(id).fetch_one(&app.db).await.unwrap();
    assert_eq!((title.as_str(), kept.as_str()), ("Winter sale, last days", key.as_str()));
    let res = save(&editor, &fields(&[("id", &id_s)]), Some(&png(500, 220)), true, &location).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let new_key: String = sqlx::query_scalar("select image_storage_key from banners where id = $1").bind(id).fetch_one(&app.db).await.unwrap();
    assert_ne!(new_key, key);
    assert!(!media.0.join(&key).join("900.jpg").exists(), "the replaced image's files are gone");
    assert!(media.0.join(&new_key).join("500.jpg").exists());
    assert_eq!(audits(&app.db, id, "update").await, 2);

    // A file that is not an image is refused beside the field, and nothing changes.
    let res = save(&editor, &fields(&[("id", &id_s)]), Some(b"<svg onload=alert(1)></svg>"), true, &location).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.json()["detail"]["Validation"]["image"].is_array(), "{}", res.body);
    // A new banner needs an image.
    let res = save(&editor, &fields(&[]), None, true, "/admin/banners/new").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Choose an image"), "{}", res.body);
    // An unknown banner is not found.
    let res = save(&editor, &fields(&[("id", &Uuid::now_v7().to_string())]), None, true, "/admin/banners").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    // Deleting asks first; then the banner, its files and its figures go, audited.
    let res = editor.call("admin/banners/delete", &[("id", &id_s)]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(editor.get(&format!("/admin/banners/{id}?confirm=delete")).await.body.contains("data-testid=\"confirm-delete\""));
    let res = editor.post_form("admin/banners/delete", &[("id", &id_s), ("confirm", "delete")], &format!("/admin/banners/{id}?confirm=delete")).await;
    assert_eq!(res.headers_location.as_deref(), Some("/admin/banners?deleted=1"));
    assert_eq!(count(&app.db, &format!("select count(*) from banners where id = '{id}'")).await, 0);
    assert!(!media.0.join(&new_key).join("500.jpg").exists());
    assert_eq!(audits(&app.db, id, "delete").await, 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_buttons_link_is_a_path_here_or_an_https_address(db: PgPool) {
    let (app, _media) = app_with_media(db).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let before = count(&app.db, "select count(*) from banners").await;
    for bad in ["javascript:alert(document.cookie)", "JaVaScRiPt:alert(1)", "data:text/html;base64,PHNjcmlwdD4=", "//evil.example/x", "/\\evil.example", "http://example.com", "vbscript:x"] {
        // A plain post comes back to the form with the message beside the field and what was typed.
        let res = save(&admin, &fields(&[("button_link", bad)]), Some(&png(480, 210)), false, "/admin/banners/new").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{bad}");
        assert_eq!(res.headers_location.as_deref(), Some("/admin/banners/new"));
        let page = admin.get("/admin/banners/new").await.body;
        assert!(page.contains("id=\"field-button_link-error\""), "{bad}: {page}");
        assert!(page.contains("Enter a path on this site"), "{bad}");
        assert!(page.contains("Winter sale") && page.contains("A hiker in a green fleece"), "the other fields are kept");
        let json = save(&admin, &fields(&[("button_link", bad)]), Some(&png(480, 210)), true, "/admin/banners/new").await;
        assert_eq!(json.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(json.json()["detail"]["Validation"]["button_link"].is_array(), "{bad}: {}", json.body);
    }
    assert_eq!(count(&app.db, "select count(*) from banners").await, before, "nothing stored");
    assert_eq!(count(&app.db, "select count(*) from audit_log where entity_kind = 'banner'").await, 0);
    // The typed link is kept as text in the field, never as a link.
    let res = save(&admin, &fields(&[("button_link", "javascript:alert(1)")]), None, false, "/admin/banners/new").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = admin.get("/admin/banners/new").await.body;
    assert!(page.contains("value=\"javascript:alert(1)\"") && !page.contains("href=\"javascript:"), "{page}");
    // Text without a link, or a link without text, is refused too.
    let res = save(&admin, &fields(&[("button_link", "")]), Some(&png(480, 210)), true, "/admin/banners/new").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The database refuses such a link whatever writes it.
    let id = seeded(&app.db).await[0];
    let refused = sqlx::query("update banners set button_link = 'javascript:alert(1)' where id = $1").bind(id).execute(&app.db).await;
    assert!(refused.is_err(), "the check constraint");

    // An https address is fine, and the button leads there (the click counted with consent).
    let id = create(&admin, &[("button_link", "https://journal.example.com/winter?ref=home")]).await;
    let shopper = Client::new(&app);
    shopper.accept_cookies().await;
    let res = shopper.get(&format!("/b/{id}")).await;
    assert_eq!(res.headers_location.as_deref(), Some("https://journal.example.com/winter?ref=home"));
    assert_eq!(count(&app.db, &format!("select click_count::bigint from banners where id = '{id}'")).await, 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn scheduling_hides_a_banner_outside_its_window(db: PgPool) {
    let (app, _media) = app_with_media(db).await;
    let editor = signed_in_as(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await;
    // The test clock reads 2026-11-22 12:00 UTC.
    let id = create(&editor, &[("title", "Cyber week"), ("starts_at", "2026-11-23T09:00"), ("ends_at", "2026-11-25T09:00")]).await;
    // First in the order, so it would be the hero whenever it shows.
    for _ in 0..2 {
        editor.call("admin/banners/move", &[("id", &id.to_string()), ("direction", "up")]).await;
    }
    assert_eq!(seeded(&app.db).await[0], id);
    assert_eq!(audits(&app.db, id, "reorder").await, 2);
    let visitor = Client::new(&app);
    let shows = || async { visitor.get("/").await.body.contains("Cyber week") };
    assert!(!shows().await, "before its start");
    assert!(editor.get("/admin/banners").await.body.contains("Scheduled"));
    let hero_before = visitor.get("/").await.body;
    assert!(hero_before.contains("New season layers"), "the next one leads meanwhile");

    app.clock.advance(chrono::Duration::hours(21));
    let home = visitor.get("/").await.body;
    assert!(home.contains("Cyber week"), "inside its window");
    let h1 = &home[home.find("<h1").unwrap()..];
    assert!(h1[..h1.find("</h1>").unwrap()].contains("Cyber week"), "as the hero");
    assert!(home.contains(&format!("href=\"/b/{id}\"")));
    assert!(home.contains("srcset=\"/media/banners/"), "its resized variants");

    app.clock.advance(chrono::Duration::days(2));
    assert!(!shows().await, "after its end");
    assert!(editor.get("/admin/banners?status=ended").await.body.contains("Cyber week"));

    // Inside a window but switched off: hidden too.
    let id_s = id.to_string();
    let res = save(&editor, &fields(&[("id", &id_s), ("title", "Cyber week"), ("is_active", ""), ("starts_at", ""), ("ends_at", "")]), None, true, "/admin/banners").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(!shows().await, "inactive");
    // An end before the start is refused.
    let res = save(&editor, &fields(&[("id", &id_s), ("starts_at", "2026-12-02T00:00"), ("ends_at", "2026-12-01T00:00")]), None, true, "/admin/banners").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Choose an end after the start."), "{}", res.body);
}

#[sqlx::test(migrations = "./migrations")]
async fn impressions_are_counted_only_with_analytics_consent(db: PgPool) {
    let (app, _media) = app_with_media(db).await;
    let impressions = |id: Uuid| {
        let db = app.db.clone();
        async move {
            sqlx::query_scalar::<_, i64>("select coalesce(sum(count), 0)::bigint from banner_impressions where banner_id = $1").bind(id).fetch_one(&db).await.unwrap()
        }
    };
    let order = seeded(&app.db).await;
    let (first, second) = (order[0], order[1]);

    // No choice yet, declined, or marketing only: nothing is counted.
    let undecided = Client::new(&app);
    undecided.get("/").await;
    let declined = Client::new(&app);
    assert_eq!(declined.call("consent/save", &[("analytics", "false"), ("marketing", "false")]).await.status, StatusCode::OK);
    declined.get("/").await;
    let marketing_only = Client::new(&app);
    assert_eq!(marketing_only.call("consent/save", &[("analytics", "false"), ("marketing", "true")]).await.status, StatusCode::OK);
    marketing_only.get("/").await;
    assert_eq!(count(&app.db, "select count(*) from banner_impressions").await, 0);

    // With analytics allowed, each home page view counts once for every banner it shows.
    let consenting = Client::new(&app);
    consenting.accept_cookies().await;
    consenting.get("/").await;
    consenting.get("/").await;
    assert_eq!(impressions(first).await, 2);
    assert_eq!(impressions(second).await, 2, "the second banner shows below the hero");
    // A daily counter, not a row per view.
    assert!(count(&app.db, "select count(*) from banner_impressions").await <= 4);
    assert_eq!(count(&app.db, "select count(distinct day) from banner_impressions").await, 1);
    app.clock.advance(chrono::Duration::days(1));
    consenting.get("/").await;
    assert_eq!(count(&app.db, "select count(distinct day) from banner_impressions").await, 2);
    assert_eq!(impressions(first).await, 3);
    // Other pages show no banner and count nothing.
    consenting.get("/c/hoodies").await;
    assert_eq!(impressions(first).await, 3);

    // Clicks and click-through beside them in the list.
    assert_eq!(consenting.get(&format!("/b/{first}")).await.status, StatusCode::SEE_OTHER);
    let editor = signed_in_as(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await;
    let list = editor.call("admin/banners/list", &[]).await.json();
    let row = list[0]["rows"].as_array().unwrap().iter().find(|r| r["id"] == first.to_string()).unwrap().clone();
    assert_eq!((row["impressions"].as_i64(), row["clicks"].as_i64()), (Some(3), Some(1)));
    let page = editor.get("/admin/banners").await.body;
    assert!(page.contains("33.3%"), "click-through: {page}");
    assert!(page.contains("Click-through"));

    // The analytics page reads the same counters, by day.
    let today = app.clock_now().date_naive();
    let figures = |from, to| larkspur::analytics::server::banners(&app.db, larkspur::analytics::Period { from, to });
    let first_title: String = sqlx::query_scalar("select title from banners where id = $1").bind(first).fetch_one(&app.db).await.unwrap();
    let both_days = figures(today - chrono::Duration::days(1), today).await.unwrap();
    let row = both_days.iter().find(|b| b.title == first_title).unwrap();
    assert_eq!((row.impressions, row.clicks), (3, 1));
    let yesterday = figures(today - chrono::Duration::days(1), today - chrono::Duration::days(1)).await.unwrap();
    assert_eq!(yesterday.iter().find(|b| b.title == first_title).unwrap().impressions, 2);
}
