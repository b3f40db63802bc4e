//! Product images in the staff dashboard against a real database: who may upload, each
//! hostile file refused with its message and nothing stored, a good upload's variants on disk
//! without metadata and on the product page with `srcset`, reordering, the primary, alt text
//! and deleting (each audited), and the S3 store against moto's server mode.
#![cfg(feature = "ssr")]

mod support;

use axum::{
    body::{Body, Bytes},
    http::{header, Request, StatusCode},
};
use image::{ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use larkspur::seed::{ADMIN_EMAIL, ADMIN_PASSWORD, EDITOR_EMAIL, EDITOR_PASSWORD};
use sqlx::PgPool;
use std::{
    io::Cursor,
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
};
use support::{shop::count, *};
use uuid::Uuid;

const UPLOAD: &str = "/admin/uploads/product-images";
const BOUNDARY: &str = "larkspur-test-boundary-7d1f";

/// A test's own media directory, removed when the test ends.
struct MediaDir(PathBuf);

impl std::ops::Deref for MediaDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for MediaDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The app with its own media directory, so a test sees only its own files.
async fn app_with_media(db: PgPool) -> (TestApp, MediaDir) {
    let media = std::env::temp_dir().join(format!("larkspur-images-{}", Uuid::now_v7()));
    let dir = media.to_string_lossy().into_owned();
    let app = spawn_configured(db, &redis_url(), &[("MEDIA_DIR", dir.as_str())]).await;
    (app, MediaDir(media))
}

/// A live product with at least one colour: (product, its first colour, slug, colour slug).
async fn product(db: &PgPool) -> (Uuid, Uuid, String, String) {
    sqlx::query_as(
        "select p.id, pc.id, p.slug, c.slug from products p join product_colours pc on pc.product_id = p.id
         join colours c on c.id = pc.colour_id
         where p.is_live order by p.slug, pc.sort_order limit 1",
    )
    .fetch_one(db)
    .await
    .unwrap()
}

/// A colour of another product than `product`.
async fn other_colour(db: &PgPool, product: Uuid) -> Uuid {
    sqlx::query_scalar("select id from product_colours where product_id <> $1 limit 1").bind(product).fetch_one(db).await.unwrap()
}

enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

fn part_head(part: &Part) -> String {
    match part {
        Part::Text(name, _) => format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"),
        Part::File(file_name, mime, _) => {
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{file_name}\"\r\nContent-Type: {mime}\r\n\r\n")
        }
    }
}

fn multipart(parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(part_head(part).as_bytes());
        match part {
            Part::Text(_, value) => body.extend_from_slice(value.as_bytes()),
            Part::File(_, _, bytes) => body.extend_from_slice(bytes),
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn upload_request(json: bool, referer: &str, length: Option<usize>) -> axum::http::request::Builder {
    let accept = if json { "application/json" } else { "text/html,application/xhtml+xml" };
    let mut builder = Request::post(UPLOAD)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::ACCEPT, accept)
        .header(header::REFERER, referer)
        .header(header::ORIGIN, "http://127.0.0.1:3000");
    if let Some(length) = length {
        builder = builder.header(header::CONTENT_LENGTH, length);
    }
    builder
}

async fn upload(client: &Client, parts: &[Part<'_>], json: bool, referer: &str) -> Response {
    let body = multipart(parts);
    client.request(upload_request(json, referer, Some(body.len())), Body::from(body)).await
}

/// A form whose one file is `size` bytes of text, streamed in chunks; the counter says how
/// much of the body the server pulled.
fn streamed(product: &str, colour: &str, size: usize) -> (Body, usize, Arc<AtomicUsize>) {
    let head = [Part::Text("product", product), Part::Text("colour", colour), Part::Text("alt", "Big")]
        .iter()
        .map(|p| match p {
            Part::Text(_, v) => format!("{}{v}\r\n", part_head(p)),
            Part::File(..) => unreachable!(),
        })
        .collect::<String>()
        + &part_head(&Part::File("huge.jpg", "image/jpeg", &[]));
    let tail = format!("\r\n--{BOUNDARY}--\r\n");
    let chunk = 64 * 1024;
    let chunks = size / chunk;
    let total = head.len() + chunks * chunk + tail.len();
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = pulled.clone();
    let pieces = (0..chunks + 2).map(move |i| {
        let bytes = if i == 0 {
            Bytes::from(head.clone())
        } else if i == chunks + 1 {
            Bytes::from(tail.clone())
        } else {
            Bytes::from(vec![b'x'; chunk])
        };
        counter.fetch_add(bytes.len(), Ordering::SeqCst);
        Ok::<_, std::io::Error>(bytes)
    });
    (Body::from_stream(futures_util::stream::iter(pieces)), total, pulled)
}

fn encode(image: image::DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

fn gradient(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 128]))
}

const SECRET: &[u8] = b"GPS-SECRET-51.5007N-0.1246W";

/// A JPEG carrying an EXIF block (orientation 1 and a secret the output must not keep).
fn jpeg_with_exif(width: u32, height: u32) -> Vec<u8> {
    let jpeg = encode(image::DynamicImage::ImageRgb8(gradient(width, height)), ImageFormat::Jpeg);
    // TIFF header, one IFD entry (Orientation = 1), no next IFD, then the secret.
    let mut tiff = b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x01\0\0\0\0\0\0".to_vec();
    tiff.extend_from_slice(SECRET);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let len = (app1.len() + 2) as u16;
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    assert!(contains(&out, SECRET));
    out
}

fn png_with_alpha(width: u32, height: u32) -> Vec<u8> {
    let image = RgbaImage::from_fn(width, height, |x, _| Rgba([200, 30, 60, (x * 255 / width) as u8]));
    encode(image::DynamicImage::ImageRgba8(image), ImageFormat::Png)
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A tiny PNG whose header declares 50,000 × 50,000 pixels (10 GB once decoded).
fn png_bomb() -> Vec<u8> {
    let mut png = encode(image::DynamicImage::ImageRgb8(gradient(1, 1)), ImageFormat::Png);
    // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4), …, CRC after 13 data bytes.
    png[16..20].copy_from_slice(&50_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&50_000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every file under `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(files(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

async fn uploaded_rows(db: &PgPool) -> i64 {
    count(db, "select count(*) from product_colour_images where storage_key is not null").await
}

#[sqlx::test(migrations = "./migrations")]
async fn only_catalogue_staff_on_this_site_may_upload(db: PgPool) {
    let (app, media) = app_with_media(db).await;
    let (product, colour, ..) = product(&app.db).await;
    let (p, c) = (product.to_string(), colour.to_string());
    let page = format!("/admin/products/{product}");
    let png = png_with_alpha(40, 30);
    let parts = [Part::Text("product", &p), Part::Text("colour", &c), Part::Text("alt", "A shirt"), Part::File("shirt.png", "image/png", &png)];
    create_user(&app.db, "cus@example.com", "correct horse battery", "customer").await;
    let visitor = Client::new(&app);
    let customer = signed_in_as(&app, "cus@example.com", "correct horse battery").await;
    let editor = signed_in_as(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let audits = count(&app.db, "select count(*) from audit_log").await;
    assert_eq!(upload(&visitor, &parts, true, &page).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(upload(&customer, &parts, true, &page).await.status, StatusCode::FORBIDDEN);
    assert_eq!(upload(&editor, &parts, true, &page).await.status, StatusCode::FORBIDDEN, "editors manage content, not the catalogue");
    assert_eq!(upload(&visitor, &parts, false, &page).await.status, StatusCode::UNAUTHORIZED, "a plain post too");
    // Another site's page posting into a signed-in admin's session.
    let body = multipart(&parts);
    let builder = Request::post(UPLOAD)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::ACCEPT, "application/json")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::CONTENT_LENGTH, body.len());
    assert_eq!(admin.request(builder, Body::from(body)).await.status, StatusCode::FORBIDDEN, "cross-site");
    // An image for another product's colour.
    let foreign = other_colour(&app.db, product).await.to_string();
    let stolen = [Part::Text("product", &p), Part::Text("colour", &foreign), Part::Text("alt", "A shirt"), Part::File("shirt.png", "image/png", &png)];
    assert_eq!(upload(&admin, &stolen, true, &page).await.status, StatusCode::NOT_FOUND);
    assert_eq!(uploaded_rows(&app.db).await, 0);
    assert_eq!(count(&app.db, "select count(*) from audit_log").await, audits, "nothing recorded");
    assert!(files(&media.join("products")).is_empty(), "nothing stored: {:?}", files(&media.join("products")));
}

#[sqlx::test(migrations = "./migrations")]
async fn hostile_files_are_refused_with_a_message_and_nothing_is_stored(db: PgPool) {
    let (app, media) = app_with_media(db).await;
    let (product, colour, ..) = product(&app.db).await;
    let (p, c) = (product.to_string(), colour.to_string());
    let page = format!("/admin/products/{product}");
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><script>fetch('/api/x')</script></svg>"#;
    let text = b"Shopping list: milk, eggs, a linen shirt.\n".repeat(20);
    let bomb = png_bomb();
    let cases: [(&str, &str, &[u8], &str); 4] = [
        ("photo.jpg", "image/jpeg", &text, "“photo.jpg” is a text file, not an image."),
        ("drawing.png", "image/png", svg, "“drawing.png” is an SVG drawing."),
        ("bomb.png", "image/png", &bomb, "“bomb.png” has too many pixels"),
        ("empty.webp", "image/webp", b"RIFF\0\0\0\0WEBPVP8 ", "“empty.webp” could not be read as an image"),
    ];
    for (name, mime, bytes, message) in cases {
        let parts = [Part::Text("product", &p), Part::Text("colour", &c), Part::Text("alt", "A shirt"), Part::File(name, mime, bytes)];
        let res = upload(&admin, &parts, false, &page).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        assert_eq!(res.headers_location.as_deref(), Some(page.as_str()), "{name}: back to the form");
        let shown = admin.get(&page).await.body;
        assert!(shown.contains(message), "{name}: {message} in {}", &shown[shown.find("upload-error").unwrap_or(0)..][..400.min(shown.len())]);
        let json = upload(&admin, &parts, true, &page).await;
        assert_eq!(json.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(json.json()["error"].as_str().unwrap().contains(message), "{}", json.body);
    }
    // Alt text is required; no file at all is a message too.
    let png = png_with_alpha(40, 30);
    let res = upload(&admin, &[Part::Text("product", &p), Part::Text("colour", &c), Part::Text("alt", "  "), Part::File("a.png", "image/png", &png)], true, &page).await;
    assert!(res.json()["error"].as_str().unwrap().contains("Describe the image"), "{}", res.body);
    let res = upload(&admin, &[Part::Text("product", &p), Part::Text("colour", &c), Part::Text("alt", "A shirt"), Part::File("", "application/octet-stream", b"")], true, &page).await;
    assert!(res.json()["error"].as_str().unwrap().contains("Choose one or more images"), "{}", res.body);

    // 16 MB in one file, streamed without a length: refused at the 15 MB cap.
    let (body, _, _) = streamed(&p, &c, 16 * 1024 * 1024);
    let res = admin.request(upload_request(true, &page, None), body).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.json()["error"].as_str().unwrap().contains("“huge.jpg” is larger than 15 MB"), "{}", res.body);
    // 50 MB streamed without a length: the body limit stops reading long before the end.
    let (body, total, pulled) = streamed(&p, &c, 50 * 1024 * 1024);
    let res = admin.request(upload_request(true, &page, None), body).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.json()["error"].as_str().unwrap().contains("larger than"), "{}", res.body);
    let read = pulled.load(Ordering::SeqCst);
    assert!(read <= 41 * 1024 * 1024, "read {read} of {total}");
    // 50 MB declared: refused before any of it is read.
    let (body, total, pulled) = streamed(&p, &c, 50 * 1024 * 1024);
    let res = admin.request(upload_request(true, &page, Some(total)), body).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.json()["error"].as_str().unwrap().contains("larger than 40 MB together"), "{}", res.body);
    assert!(pulled.load(Ordering::SeqCst) < 1024 * 1024, "read {} of {total}", pulled.load(Ordering::SeqCst));

    assert_eq!(uploaded_rows(&app.db).await, 0);
    assert_eq!(count(&app.db, "select count(*) from audit_log where action = 'image_add'").await, 0);
    assert!(files(&media.join("products")).is_empty(), "nothing stored: {:?}", files(&media.join("products")));
}

#[sqlx::test(migrations = "./migrations")]
async fn polyglots_and_path_tricks_in_file_names_leave_only_the_re_encoded_picture(db: PgPool) {
    let (app, media) = app_with_media(db).await;
    let (product, colour, ..) = product(&app.db).await;
    let (p, c) = (product.to_string(), colour.to_string());
    let page = format!("/admin/products/{product}");
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    // A real PNG with a page and a script after its end: a browser sniffing it, or a server
    // serving it as it came, would find them.
    let mut polyglot = png_with_alpha(64, 48);
    polyglot.extend_from_slice(b"<html><script>alert(document.cookie)</script></html><?php system($_GET['c']); ?>");
    let before = files(&media.0);
    let names = ["../../../../etc/passwd.png", "..\\..\\windows\\win.ini.png", "/absolute/evil.png", "%2e%2e%2fevil.png", "evil.png.html"];
    for name in names {
        let parts = [Part::Text("product", &p), Part::Text("colour", &c), Part::Text("alt", "A shirt"), Part::File(name, "image/png", &polyglot)];
        let res = upload(&admin, &parts, true, &page).await;
        assert!(res.status.is_success() || res.status.is_client_error(), "{name}: {} {}", res.status, res.body);
    }
    let stored: Vec<PathBuf> = files(&media.0).into_iter().filter(|f| !before.contains(f)).collect();
    assert!(!stored.is_empty(), "the pictures themselves are accepted");
    for file in &stored {
        assert!(file.starts_with(media.join("products")), "{} is outside the products folder", file.display());
        let name = file.file_name().unwrap().to_string_lossy();
        assert!(!["passwd", "win.ini", "evil", ".html"].iter().any(|bad| name.contains(bad)), "the store named it {name}");
        let bytes = std::fs::read(file).unwrap();
        assert!(!contains(&bytes, b"<script") && !contains(&bytes, b"<?php"), "{name} kept what followed the picture");
    }
}

/// id, url, alt, primary, widths, storage key, width, height.
type UploadedRow = (Uuid, String, String, bool, Vec<i32>, String, Option<i32>, Option<i32>);

#[sqlx::test(migrations = "./migrations")]
async fn a_good_upload_is_resized_stripped_recorded_and_shown_with_srcset(db: PgPool) {
    let (app, media) = app_with_media(db).await;
    let (product, colour, slug, colour_slug) = product(&app.db).await;
    let (p, c) = (product.to_string(), colour.to_string());
    let page = format!("/admin/products/{product}");
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let jpeg = jpeg_with_exif(2000, 1500);
    let png = png_with_alpha(800, 600);
    let parts = [
        Part::Text("product", &p),
        Part::Text("colour", &c),
        Part::Text("alt", "Linen shirt, folded"),
        // Names and declared types say nothing: the content decides.
        Part::File("IMG_0001.png", "application/octet-stream", &jpeg),
        Part::File("cut-out", "text/plain", &png),
    ];
    let res = upload(&admin, &parts, false, &page).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.headers_location, Some(format!("{page}?saved=images#images")));

    let rows: Vec<UploadedRow> = sqlx::query_as(
        "select id, url, alt_text, is_primary, widths, storage_key, width, height from product_colour_images
         where product_colour_id = $1 and storage_key is not null order by sort_order",
    )
    .bind(colour)
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].4, vec![320, 640, 1024, 1600], "never above 1600");
    assert_eq!((rows[0].6, rows[0].7), (Some(1600), Some(1200)));
    assert_eq!(rows[1].4, vec![320, 640, 800], "never upscaled");
    assert!(rows.iter().all(|r| r.2 == "Linen shirt, folded" && !r.3), "the colour kept its primary");
    for (_, url, _, _, widths, key, ..) in &rows {
        assert_eq!(url, &format!("/media/{key}/{}.jpg", widths.last().unwrap()));
        for width in widths {
            for ext in ["jpg", "webp"] {
                let path = media.join(format!("{key}/{width}.{ext}"));
                let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert!(!contains(&bytes, SECRET) && !contains(&bytes, b"Exif"), "{} keeps metadata", path.display());
                let decoded = image::load_from_memory(&bytes).unwrap();
                assert_eq!(decoded.width(), *width as u32, "{}", path.display());
                let format = image::guess_format(&bytes).unwrap();
                assert_eq!(format, if ext == "jpg" { ImageFormat::Jpeg } else { ImageFormat::WebP });
            }
        }
    }
    // Served at /media by the app itself.
    let served = admin.get(&rows[0].1).await;
    assert_eq!(served.status, StatusCode::OK);
    let audit: Vec<(Option<serde_json::Value>,)> =
        sqlx::query_as("select after from audit_log where action = 'image_add' and entity_id = $1").bind(p.as_str()).fetch_all(&app.db).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].0.as_ref().unwrap()["added"].as_array().unwrap().len(), 2);

    // The editor lists them; the product page serves WebP and JPEG with srcset and sizes.
    let editor = admin.get(&format!("{page}?saved=images")).await.body;
    assert!(editor.contains("Images uploaded.") && editor.contains(&format!("/media/{}/320.jpg", rows[0].5)), "editor");
    let shown = Client::new(&app).get(&format!("/p/{slug}?colour={colour_slug}")).await;
    assert_eq!(shown.status, StatusCode::OK);
    let key = &rows[0].5;
    assert!(shown.body.contains(&format!("/media/{key}/320.webp 320w, /media/{key}/640.webp 640w")), "webp srcset");
    assert!(shown.body.contains(&format!("/media/{key}/1600.jpg 1600w")), "jpeg srcset");
    assert!(shown.body.contains("type=\"image/webp\"") && shown.body.contains("sizes=\""), "picture with sizes");
    assert!(shown.body.contains(".svg"), "the seeded SVG images still show");
}

#[sqlx::test(migrations = "./migrations")]
async fn reorder_primary_alt_and_delete_are_checked_and_audited(db: PgPool) {
    let (app, media) = app_with_media(db).await;
    let (product, colour, ..) = product(&app.db).await;
    let (p, c) = (product.to_string(), colour.to_string());
    let page = format!("/admin/products/{product}");
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let png = png_with_alpha(400, 300);
    let parts = [Part::Text("product", &p), Part::Text("colour", &c), Part::Text("alt", "Back view"), Part::File("b.png", "image/png", &png)];
    let res = upload(&admin, &parts, true, &page).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["added"], 1);
    let order = || async {
        sqlx::query_as::<_, (Uuid, bool, String)>("select id, is_primary, alt_text from product_colour_images where product_colour_id = $1 order by sort_order")
            .bind(colour)
            .fetch_all(&app.db)
            .await
            .unwrap()
    };
    let start = order().await;
    assert!(start.len() >= 2 && start[0].1, "{start:?}");
    let (first, last) = (start[0].0, start.last().unwrap().0);

    // Up moves the last one before its neighbour.
    let res = admin.post_form("admin/products/images/move", &[("product", &p), ("image", &last.to_string()), ("direction", "up")], &page).await;
    assert_eq!(res.headers_location.as_deref(), Some(page.as_str()));
    let moved = order().await;
    assert_eq!(moved[moved.len() - 2].0, last);
    let (before, after): (serde_json::Value, serde_json::Value) =
        sqlx::query_as("select before, after from audit_log where action = 'image_move'").fetch_one(&app.db).await.unwrap();
    assert_ne!(before["images"], after["images"]);
    assert_eq!(after["images"].as_array().unwrap().len(), start.len());

    // The uploaded one becomes the primary: one primary still.
    let res = admin.call("admin/products/images/primary", &[("product", &p), ("image", &last.to_string())]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let now = order().await;
    assert_eq!(now.iter().filter(|i| i.1).map(|i| i.0).collect::<Vec<_>>(), vec![last]);
    let (before, after): (serde_json::Value, serde_json::Value) =
        sqlx::query_as("select before, after from audit_log where action = 'image_primary'").fetch_one(&app.db).await.unwrap();
    assert_eq!((before["primary"].as_str(), after["primary"].as_str()), (Some(first.to_string().as_str()), Some(last.to_string().as_str())));
    // Listings show the new primary, with srcset for the tile's width.
    let (name, key): (String, String) = sqlx::query_as("select p.name, i.storage_key from products p, product_colour_images i where p.id = $1 and i.id = $2")
        .bind(product)
        .bind(last)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let listing = Client::new(&app).get(&format!("/search?q={}", larkspur::text::url_encode(&name))).await;
    assert!(listing.body.contains(&format!("/media/{key}/320.webp 320w")), "the tile's srcset");
    assert!(listing.body.contains("(min-width: 1024px) 25vw"), "the tile's sizes");

    // Alt text: empty is refused beside the field and changes nothing; then saved and audited.
    let alt_page = admin.post_form("admin/products/images/alt", &[("product", &p), ("image", &first.to_string()), ("alt", "   ")], &page).await;
    assert_eq!(alt_page.headers_location.as_deref(), Some(page.as_str()));
    let shown = admin.get(&page).await.body;
    assert!(shown.contains("Describe the image for shoppers who cannot see it"), "message beside the field");
    assert_eq!(order().await.iter().find(|i| i.0 == first).unwrap().2, start[0].2);
    assert_eq!(count(&app.db, "select count(*) from audit_log where action = 'image_alt'").await, 0);
    let res = admin.call("admin/products/images/alt", &[("product", &p), ("image", &first.to_string()), ("alt", "Front view, buttoned")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let (before, after): (serde_json::Value, serde_json::Value) =
        sqlx::query_as("select before, after from audit_log where action = 'image_alt'").fetch_one(&app.db).await.unwrap();
    assert_eq!((before["alt"].as_str(), after["alt"].as_str()), (Some(start[0].2.as_str()), Some("Front view, buttoned")));

    // Another product's image through this product: not found, nothing changed.
    let foreign: Uuid = sqlx::query_scalar(
        "select i.id from product_colour_images i join product_colours pc on pc.id = i.product_colour_id where pc.product_id <> $1 limit 1",
    )
    .bind(product)
    .fetch_one(&app.db)
    .await
    .unwrap();
    for function in ["admin/products/images/primary", "admin/products/images/alt", "admin/products/images/move", "admin/products/images/delete"] {
        let res = admin.call(function, &[("product", &p), ("image", &foreign.to_string()), ("alt", "Mine now"), ("direction", "up"), ("confirm", "delete")]).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{function}: {}", res.body);
    }

    // Deleting asks for the confirm step; then the row, its files and the primary move on.
    let files_before = files(&media.join("products")).len();
    assert_eq!(files_before, 4, "two widths, two formats");
    let res = admin.call("admin/products/images/delete", &[("product", &p), ("image", &last.to_string())]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert_eq!(order().await.len(), start.len());
    let res = admin.call("admin/products/images/delete", &[("product", &p), ("image", &last.to_string()), ("confirm", "delete")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let left = order().await;
    assert_eq!(left.len(), start.len() - 1);
    assert!(left[0].1 && left.iter().filter(|i| i.1).count() == 1, "the first left is the primary: {left:?}");
    assert!(files(&media.join("products")).is_empty(), "its files are gone: {:?}", files(&media.join("products")));
    let (before,): (serde_json::Value,) = sqlx::query_as("select before from audit_log where action = 'image_delete'").fetch_one(&app.db).await.unwrap();
    assert_eq!(before["image"].as_str(), Some(last.to_string().as_str()));
    assert_eq!(before["alt"].as_str(), Some("Back view"));
}

#[sqlx::test(migrations = "./migrations")]
async fn a_dragged_order_is_saved_whole_or_not_at_all(db: PgPool) {
    let app = spawn(db).await;
    let (product, colour, ..) = product(&app.db).await;
    let (p, c) = (product.to_string(), colour.to_string());
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let order = || async {
        sqlx::query_scalar::<_, Uuid>("select id from product_colour_images where product_colour_id = $1 order by sort_order")
            .bind(colour)
            .fetch_all(&app.db)
            .await
            .unwrap()
    };
    let start = order().await;
    assert!(start.len() >= 2, "{start:?}");
    let ids = |list: &[Uuid]| list.iter().map(Uuid::to_string).collect::<Vec<_>>().join(",");
    let reversed: Vec<Uuid> = start.iter().rev().copied().collect();
    let other_colour = other_colour(&app.db, product).await;
    let foreign: Uuid = sqlx::query_scalar("select id from product_colour_images where product_colour_id = $1 limit 1")
        .bind(other_colour)
        .fetch_one(&app.db)
        .await
        .unwrap();

    // Lists that are not this colour's images, each once, are refused and change nothing.
    let twice = [start.clone(), vec![start[0]]].concat();
    let swapped = [vec![foreign], start[1..].to_vec()].concat();
    for (list, status) in [
        (ids(&start[1..]), StatusCode::BAD_REQUEST),
        (ids(&twice), StatusCode::BAD_REQUEST),
        (ids(&swapped), StatusCode::BAD_REQUEST),
        ("not-an-id".to_owned(), StatusCode::BAD_REQUEST),
    ] {
        let res = admin.call("admin/products/images/order", &[("product", &p), ("colour", &c), ("order", &list)]).await;
        assert_eq!(res.status, status, "{list}: {}", res.body);
    }
    // Another product's colour through this product: not found.
    let res = admin.call("admin/products/images/order", &[("product", &p), ("colour", &other_colour.to_string()), ("order", &ids(&reversed))]).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    assert_eq!(order().await, start);
    assert_eq!(count(&app.db, "select count(*) from audit_log where action = 'image_move'").await, 0);

    // The whole list in a new order is saved and audited with both orders.
    let res = admin.call("admin/products/images/order", &[("product", &p), ("colour", &c), ("order", &ids(&reversed))]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(order().await, reversed);
    let (before, after): (serde_json::Value, serde_json::Value) =
        sqlx::query_as("select before, after from audit_log where action = 'image_move'").fetch_one(&app.db).await.unwrap();
    assert_eq!(before["images"].as_array().unwrap()[0].as_str(), Some(start[0].to_string().as_str()));
    assert_eq!(after["images"].as_array().unwrap()[0].as_str(), Some(reversed[0].to_string().as_str()));
}

/// moto's S3 server on a free loopback port, stopped when dropped.
struct Moto {
    child: std::process::Child,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_moto() -> Moto {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let venv = std::env::var("HOME").map(|h| format!("{h}/.cache/larkspur/venv/bin/moto_server")).unwrap_or_default();
    let program = if Path::new(&venv).exists() { venv } else { "moto_server".to_owned() };
    let child = std::process::Command::new(&program)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program} ({e}): scripts/bootstrap.sh installs moto[server] into ~/.cache/larkspur/venv"));
    let moto = Moto { child, port };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return moto;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("moto_server did not listen on port {port} within 10 s");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_s3_store_round_trips_against_moto(db: PgPool) {
    let moto = start_moto().await;
    let endpoint = format!("http://127.0.0.1:{}", moto.port);
    let public = format!("{endpoint}/larkspur-media");
    let http = reqwest::Client::new();
    let created = http.put(&public).send().await.unwrap();
    assert!(created.status().is_success(), "creating the bucket: {}", created.status());

    // The store on its own.
    let config = larkspur::server::config::MediaS3Config {
        bucket: "larkspur-media".into(),
        region: "us-east-1".into(),
        endpoint: Some(endpoint.clone()),
        access_key_id: "testing".into(),
        secret_access_key: larkspur::server::config::Secret::new("testing"),
        public_url: public.clone(),
    };
    use larkspur::media::store::MediaStore;
    let store = larkspur::media::store::S3Store::new(&config).unwrap();
    store.put("checks/one.txt", b"hello".to_vec(), "text/plain").await.unwrap();
    assert_eq!(store.get("checks/one.txt").await.unwrap().as_deref(), Some(&b"hello"[..]));
    assert_eq!(store.url("checks/one.txt"), format!("{public}/checks/one.txt"));
    store.delete("checks/one.txt").await.unwrap();
    assert_eq!(store.get("checks/one.txt").await.unwrap(), None);
    store.delete("checks/one.txt").await.unwrap();

    // The app configured for the bucket: an upload lands there and deleting removes it.
    let vars = [
        ("MEDIA_S3_BUCKET", "larkspur-media"),
        ("MEDIA_S3_ENDPOINT", endpoint.as_str()),
        ("MEDIA_S3_ACCESS_KEY_ID", "testing"),
        ("MEDIA_S3_SECRET_ACCESS_KEY", "testing"),
        ("MEDIA_PUBLIC_URL", public.as_str()),
    ];
    let app = spawn_configured(db, &redis_url(), &vars).await;
    let (product, colour, ..) = product(&app.db).await;
    let (p, c) = (product.to_string(), colour.to_string());
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let png = png_with_alpha(500, 400);
    let parts = [Part::Text("product", &p), Part::Text("colour", &c), Part::Text("alt", "Sleeve"), Part::File("s.png", "image/png", &png)];
    let res = upload(&admin, &parts, true, &format!("/admin/products/{product}")).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let (id, url, key): (Uuid, String, String) =
        sqlx::query_as("select id, url, storage_key from product_colour_images where storage_key is not null").fetch_one(&app.db).await.unwrap();
    assert_eq!(url, format!("{public}/{key}/500.jpg"));
    for file in ["320.jpg", "320.webp", "500.jpg", "500.webp"] {
        let bytes = store.get(&format!("{key}/{file}")).await.unwrap().unwrap_or_else(|| panic!("{file} in the bucket"));
        assert!(image::load_from_memory(&bytes).is_ok(), "{file}");
    }
    // Pages may load images from the bucket's origin (the Content-Security-Policy).
    let editor = admin.get(&format!("/admin/products/{product}")).await;
    let policy = editor.headers.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(policy.contains(&format!("img-src 'self' data: blob: {endpoint};")), "{policy}");
    assert!(editor.body.contains(&format!("{public}/{key}/320.jpg")), "the editor shows it from the bucket");
    let res = admin.call("admin/products/images/delete", &[("product", &p), ("image", &id.to_string()), ("confirm", "delete")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(store.get(&format!("{key}/500.jpg")).await.unwrap(), None, "deleted from the bucket");
}
