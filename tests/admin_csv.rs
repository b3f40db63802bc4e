//! CSV export and import of products and stock against a real database: who may use them,
//! the preview (each bad row with its line and reason), importing only the good rows in one
//! audited transaction, the confirm step checking everything again, formula cells defused
//! in exports, and an export imported back changing nothing.
#![cfg(feature = "ssr")]

mod support;

use axum::{
    body::Body,
    http::{header, Request, StatusCode},
};
use larkspur::seed::{ADMIN_EMAIL, ADMIN_PASSWORD, EDITOR_EMAIL, EDITOR_PASSWORD};
use serde_json::Value;
use sqlx::PgPool;
use support::{shop::count, *};
use uuid::Uuid;

const UPLOAD: &str = "/admin/uploads/csv-import";
const BOUNDARY: &str = "larkspur-csv-boundary-41c9";

async fn admin(app: &TestApp) -> Client {
    signed_in_as(app, ADMIN_EMAIL, ADMIN_PASSWORD).await
}

/// The upload form as a browser posts it: `kind`, then the file (when `file_name` is set)
/// or the pasted text.
async fn upload(client: &Client, kind: &str, file_name: Option<&str>, csv: &str) -> Response {
    let mut body = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n");
    match file_name {
        Some(name) => body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n\r\n"
        )),
        None => body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n{csv}\r\n"
        )),
    }
    body.push_str(&format!("--{BOUNDARY}--\r\n"));
    let request = Request::post(UPLOAD)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .header(header::REFERER, "http://127.0.0.1:3000/admin/import")
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .header(header::CONTENT_LENGTH, body.len());
    client.request(request, Body::from(body)).await
}

/// Uploads `csv` and answers the preview the page shows.
async fn preview_of(client: &Client, kind: &str, csv: &str) -> Value {
    let res = upload(client, kind, Some(&format!("{kind}.csv")), csv).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.headers_location.as_deref(), Some("/admin/import"));
    let preview = client.call("admin/import/preview", &[]).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let preview = preview.json();
    assert!(preview.is_object(), "an upload is waiting: {preview}");
    preview
}

/// The rejected rows of a preview: (line, reason).
fn rejected(preview: &Value) -> Vec<(u64, String)> {
    preview["rejected"].as_array().unwrap().iter().map(|r| (r["line"].as_u64().unwrap(), r["reason"].as_str().unwrap().to_owned())).collect()
}

fn changed_lines(preview: &Value) -> Vec<u64> {
    preview["changes"].as_array().unwrap().iter().map(|c| c["line"].as_u64().unwrap()).collect()
}

async fn confirm(client: &Client, preview: &Value) -> Response {
    client.call("admin/import/confirm", &[("token", preview["token"].as_str().unwrap()), ("digest", preview["digest"].as_str().unwrap())]).await
}

/// A live product with at least two colour × size rows: (id, slug).
async fn product(db: &PgPool) -> (Uuid, String) {
    sqlx::query_as(
        "select p.id, p.slug from products p where p.is_live
         and (select count(*) from product_colours pc join product_sizes ps on ps.product_colour_id = pc.id where pc.product_id = p.id) >= 2
         order by p.slug limit 1",
    )
    .fetch_one(db)
    .await
    .unwrap()
}

/// Two colour × size rows of `product`: (id, sku, stock).
async fn cells(db: &PgPool, product: Uuid) -> Vec<(Uuid, String, i32)> {
    sqlx::query_as(
        "select ps.id, ps.sku, ps.stock from product_sizes ps join product_colours pc on pc.id = ps.product_colour_id
         where pc.product_id = $1 order by ps.sku limit 2",
    )
    .bind(product)
    .fetch_all(db)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn only_catalogue_staff_may_export_or_import_and_a_refusal_changes_nothing(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "cus@example.com", "correct horse battery", "customer").await;
    let visitor = Client::new(&app);
    let customer = signed_in_as(&app, "cus@example.com", "correct horse battery").await;
    let editor = signed_in_as(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await;
    let (_, slug) = product(&app.db).await;
    let before = count(&app.db, "select count(*) from audit_log").await;
    let csv = format!("slug,name,price\n{slug},Hacked,1.00\n");
    for (who, client, status) in [("visitor", &visitor, StatusCode::UNAUTHORIZED), ("customer", &customer, StatusCode::FORBIDDEN), ("editor", &editor, StatusCode::FORBIDDEN)] {
        for page in ["/admin/import", "/admin/products.csv", "/admin/stock.csv"] {
            assert_eq!(client.get(page).await.status, status, "{page} as {who}");
        }
        assert_eq!(upload(client, "products", Some("p.csv"), &csv).await.status, status, "upload as {who}");
        for function in ["admin/import/preview", "admin/import/confirm", "admin/import/cancel"] {
            assert_eq!(client.call(function, &[("token", "x"), ("digest", "y")]).await.status, status, "{function} as {who}");
        }
    }
    // Another site cannot post an upload in a staff member's name.
    let admin = admin(&app).await;
    let cross = Request::post(UPLOAD)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::ORIGIN, "https://evil.example");
    assert_eq!(admin.request(cross, Body::from(format!("--{BOUNDARY}--\r\n"))).await.status, StatusCode::FORBIDDEN);
    assert_eq!(count(&app.db, &format!("select count(*) from products where name = 'Hacked' or slug = '{slug}' and price_minor = 100")).await, 0);
    assert_eq!(count(&app.db, "select count(*) from audit_log").await, before, "nothing recorded");
    // A confirm without a preview of one's own does nothing either.
    let res = admin.call("admin/import/confirm", &[("token", "made-up"), ("digest", "made-up")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(res.body.contains("no longer current"), "{}", res.body);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_products_file_previews_each_bad_row_with_its_line_and_imports_only_the_good_ones(db: PgPool) {
    let app = spawn(db).await;
    let admin = admin(&app).await;
    let (id, slug) = product(&app.db).await;
    let (category, other): (String, String) =
        sqlx::query_as("select min(name), max(name) from categories").fetch_one(&app.db).await.unwrap();
    let csv = format!(
        "slug,name,price,sale_price,status,categories\r\n\
         {slug},Renamed By Csv,55.00,,active,{category}\r\n\
         csv-new-shirt,Csv New Shirt,30.00,20.00,draft,\"{category}, {other}\"\r\n\
         bad-price,Bad Price,12.345,,draft,\r\n\
         sale-high,Sale High,10.00,12.00,draft,\r\n\
         csv-new-shirt,Same Slug Again,10.00,,draft,\r\n\
         unknown-category,Unknown Category,10.00,,draft,No Such Category\r\n\
         too-few,Too Few\r\n\
         negative,Negative,-5,,draft,\r\n\
         live-ish,Wrong Status,10.00,,live,\r\n\
         ,,10.00,,draft,\r\n"
    );
    let audited = count(&app.db, "select count(*) from audit_log").await;
    let preview = preview_of(&admin, "products", &csv).await;
    assert_eq!(changed_lines(&preview), [2, 3], "{preview}");
    let refused = rejected(&preview);
    let expect = [
        (4, "price: Enter an amount like 49.00."),
        (5, "sale_price: A sale price must be below the price."),
        (6, "The slug \"csv-new-shirt\" is also on line 3."),
        (7, "categories: unknown category \"No Such Category\"."),
        (8, "This row has 2 cells; the header has 6."),
        (9, "price: Enter an amount like 49.00."),
        (10, "Status must be active or draft, not \"live\"."),
        (11, "name: Enter the product's name."),
    ];
    assert_eq!(refused.len(), expect.len(), "{refused:?}");
    for ((line, reason), (want_line, want)) in refused.iter().zip(expect) {
        assert_eq!(*line, want_line, "{refused:?}");
        assert!(reason.starts_with(want), "line {line}: {reason}");
    }
    // The page shows the same: each bad row's line and reason, and the confirm button.
    let page = admin.get("/admin/import").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("data-testid=\"import-rejected\"") && page.body.contains("A sale price must be below the price."));
    assert!(page.body.contains("Import 2 good rows"), "the confirm button");
    assert!(page.body.contains("Renamed By Csv"), "what changes");
    assert_eq!(count(&app.db, "select count(*) from products where slug = 'csv-new-shirt'").await, 0, "a preview changes nothing");

    // The plain form post: back to the page with a notice.
    let (token, digest) = (preview["token"].as_str().unwrap(), preview["digest"].as_str().unwrap());
    let res = admin.post_form("admin/import/confirm", &[("token", token), ("digest", digest)], "http://127.0.0.1:3000/admin/import").await;
    assert_eq!(res.headers_location.as_deref(), Some("/admin/import"), "{}", res.body);
    let page = admin.get("/admin/import").await.body;
    assert!(page.contains("Imported 2 rows."), "the notice");
    assert!(!page.contains("data-testid=\"import-preview\""), "the upload is done");

    let (name, price, active): (String, i64, bool) = sqlx::query_as("select name, price_minor, is_active from products where id = $1").bind(id).fetch_one(&app.db).await.unwrap();
    assert_eq!((name.as_str(), price, active), ("Renamed By Csv", 5500, true));
    let (new_id, sale, active): (Uuid, Option<i64>, bool) =
        sqlx::query_as("select id, price_override_minor, is_active from products where slug = 'csv-new-shirt'").fetch_one(&app.db).await.unwrap();
    assert_eq!((sale, active), (Some(2000), false));
    assert_eq!(count(&app.db, &format!("select count(*) from product_categories where product_id = '{new_id}'")).await, if category == other { 1 } else { 2 });
    assert_eq!(count(&app.db, "select count(*) from products where slug in ('bad-price', 'sale-high', 'unknown-category', 'too-few', 'negative', 'live-ish') or name = 'Same Slug Again'").await, 0);

    // Each imported row audited with before and after.
    let (before, after): (Value, Value) =
        sqlx::query_as("select before, after from audit_log where entity_kind = 'product' and action = 'update' and entity_id = $1 and after->>'name' = 'Renamed By Csv'")
            .bind(id.to_string())
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(after["name"], "Renamed By Csv");
    assert_ne!(before["name"], "Renamed By Csv");
    let created: (Option<Value>, Value) =
        sqlx::query_as("select before, after from audit_log where entity_kind = 'product' and action = 'create' and entity_id = $1")
            .bind(new_id.to_string())
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((created.0, created.1["price_minor"].as_i64()), (None, Some(3000)));
    assert_eq!(count(&app.db, "select count(*) from audit_log").await, audited + 2, "one entry per imported row");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_stock_file_is_checked_row_by_row_and_the_confirm_step_checks_it_again(db: PgPool) {
    let app = spawn(db).await;
    let admin = admin(&app).await;
    let (product_id, slug) = product(&app.db).await;
    let cells = cells(&app.db, product_id).await;
    let ((first, first_sku, first_stock), (second, second_sku, _)) = (cells[0].clone(), cells[1].clone());
    sqlx::query("update product_sizes set reserved = 0 where id = $1").bind(first).execute(&app.db).await.unwrap();
    sqlx::query("update product_sizes set reserved = 2, stock = greatest(stock, 2) where id = $1").bind(second).execute(&app.db).await.unwrap();
    let (colour, size): (String, String) = sqlx::query_as(
        "select c.name, s.label from product_sizes ps join product_colours pc on pc.id = ps.product_colour_id
         join colours c on c.id = pc.colour_id join sizes s on s.id = ps.size_id where ps.id = $1",
    )
    .bind(first)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let new_first = first_stock + 7;
    let csv = format!(
        "product,colour,size,sku,stock\n\
         ,,,{first_sku},{new_first}\n\
         ,,,{second_sku},-1\n\
         ,,,{second_sku},2.5\n\
         ,,,NO-SUCH-SKU,3\n\
         ,,,{second_sku},1\n\
         no-such-product,{colour},{size},,3\n\
         {slug},No Such Colour,{size},,3\n\
         {slug},{colour},huge-not-a-size,,3\n\
         {slug},{colour},{size},,9\n\
         other-product,,,{first_sku},4\n"
    );
    let audited = count(&app.db, "select count(*) from audit_log").await;
    let preview = preview_of(&admin, "stock", &csv).await;
    assert_eq!(changed_lines(&preview), [2], "{preview}");
    let (duplicate, mismatch) = (format!("SKU {first_sku} is also on line 2."), format!("SKU {first_sku} is product {slug}, not other-product."));
    let expect = [
        (3, "Stock cannot be negative."),
        (4, "Stock must be a whole number, not \"2.5\"."),
        (5, "Unknown SKU \"NO-SUCH-SKU\"."),
        (6, "Unpaid orders hold 2 of these: the stock cannot go below that."),
        (7, "Unknown product \"no-such-product\""),
        (8, "Unknown colour \"No Such Colour\""),
        (9, "Unknown size \"huge-not-a-size\""),
        (10, duplicate.as_str()),
        (11, mismatch.as_str()),
    ];
    let refused = rejected(&preview);
    assert_eq!(refused.len(), expect.len(), "{refused:?}");
    for ((line, reason), (want_line, want)) in refused.iter().zip(expect) {
        assert_eq!(*line, want_line, "{refused:?}");
        assert!(reason.starts_with(want), "line {line}: {reason}");
    }

    // Between preview and confirm an order holds more than the file's stock: the confirm
    // step checks again and imports nothing.
    sqlx::query("update product_sizes set reserved = $2, stock = greatest(stock, $2) where id = $1").bind(first).bind(new_first + 1).execute(&app.db).await.unwrap();
    let held_stock: i32 = sqlx::query_scalar("select stock from product_sizes where id = $1").bind(first).fetch_one(&app.db).await.unwrap();
    let res = confirm(&admin, &preview).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert_eq!(sqlx::query_scalar::<_, i32>("select stock from product_sizes where id = $1").bind(first).fetch_one(&app.db).await.unwrap(), held_stock);
    assert_eq!(count(&app.db, "select count(*) from audit_log").await, audited);
    let again = admin.call("admin/import/preview", &[]).await.json();
    assert!(changed_lines(&again).is_empty() && rejected(&again)[0].1.starts_with("Unpaid orders hold"), "{again}");
    sqlx::query("update product_sizes set reserved = 0 where id = $1").bind(first).execute(&app.db).await.unwrap();

    // A new upload replaces the waiting one: the old preview cannot be confirmed, whatever
    // its digest, and the new file's rows are checked afresh.
    let old = admin.call("admin/import/preview", &[]).await.json();
    let smuggled = preview_of(&admin, "stock", &format!("sku,stock\n{first_sku},-40\n{second_sku},777\n")).await;
    assert_eq!(changed_lines(&smuggled).len() + rejected(&smuggled).len(), 2);
    let res = confirm(&admin, &old).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    let forged = admin.call("admin/import/confirm", &[("token", smuggled["token"].as_str().unwrap()), ("digest", old["digest"].as_str().unwrap())]).await;
    assert_eq!(forged.status, StatusCode::CONFLICT, "a digest of other rows: {}", forged.body);
    assert_eq!(count(&app.db, "select count(*) from audit_log").await, audited);

    // The good row of the new file imports, audited with before and after; the bad one not.
    let res = confirm(&admin, &smuggled).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json(), serde_json::json!(1));
    let stocks: Vec<i32> = sqlx::query_scalar("select stock from product_sizes where id = any($1) order by sku").bind([first, second]).fetch_all(&app.db).await.unwrap();
    assert_eq!(stocks, [held_stock, 777]);
    let (action, before, after): (String, Value, Value) =
        sqlx::query_as("select action, before, after from audit_log where entity_id = $1 and after ? $2").bind(product_id.to_string()).bind(&second_sku).fetch_one(&app.db).await.unwrap();
    assert_eq!(action, "stock");
    assert_eq!(after[&second_sku], 777);
    assert!(before[&second_sku].is_i64() && after.get(&first_sku).is_none(), "{before} {after}");
    assert!(admin.call("admin/import/preview", &[]).await.json().is_null(), "the upload is done");
}

#[sqlx::test(migrations = "./migrations")]
async fn files_that_cannot_be_read_are_refused_beside_the_form(db: PgPool) {
    let app = spawn(db).await;
    let admin = admin(&app).await;
    let audited = count(&app.db, "select count(*) from audit_log").await;
    for (kind, csv, message) in [
        ("stock", "sku,stock,price\nA,1,2\n".to_owned(), "unknown column &quot;price&quot;"),
        ("stock", "product,colour,stock\nx,y,1\n".to_owned(), "lacks the required column &quot;size&quot;"),
        ("products", "name,price\nX,1.00\n".to_owned(), "lacks the required column &quot;slug&quot;"),
        ("products", format!("slug,name,price\n{}", "a,b,1.00\n".repeat(10_001)), "more than 10000 rows"),
        ("products", format!("slug,name\n{}", "x".repeat(2 * 1024 * 1024)), "larger than 2 MB"),
        ("", "slug\nx\n".to_owned(), "Choose what the file holds"),
    ] {
        let res = upload(&admin, kind, None, &csv).await;
        assert_eq!(res.headers_location.as_deref(), Some("/admin/import"), "{}", res.body);
        let page = admin.get("/admin/import").await.body;
        let shown = page.contains(message) || page.contains(&message.replace("&quot;", "\""));
        assert!(shown, "{message}: {}", &page[page.find("import-heading").unwrap_or(0)..][..3000.min(page.len() - page.find("import-heading").unwrap_or(0))]);
        assert!(!page.contains("data-testid=\"import-preview\""), "nothing waits for a confirm");
        if !kind.is_empty() {
            assert!(page.contains("data-testid=\"import-file-error\""), "the message is beside the file field");
            assert!(page.contains(&format!("value=\"{kind}\" checked")), "the chosen kind stays chosen");
        }
    }
    assert_eq!(count(&app.db, "select count(*) from audit_log").await, audited);
}

#[sqlx::test(migrations = "./migrations")]
async fn exports_defuse_formulas_and_importing_an_export_changes_nothing(db: PgPool) {
    let app = spawn(db).await;
    let admin = admin(&app).await;
    let (id, _) = product(&app.db).await;
    let formula = "=HYPERLINK(\"http://evil.example\",\"Click\")";
    sqlx::query("update products set name = $2 where id = $1").bind(id).bind(formula).execute(&app.db).await.unwrap();
    sqlx::query("update products set name = '@SUM(1)' where id = (select id from products where id <> $1 and deleted_at is null order by slug limit 1)")
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();

    let products = admin.get("/admin/products.csv").await;
    assert_eq!(products.status, StatusCode::OK);
    assert!(products.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    let mut reader = csv::Reader::from_reader(products.body.as_bytes());
    let names: Vec<String> = reader.records().map(|r| r.unwrap()[1].to_owned()).collect();
    assert_eq!(names.len() as i64, count(&app.db, "select count(*) from products where deleted_at is null").await);
    assert!(names.contains(&format!("'{formula}")) && names.contains(&"'@SUM(1)".to_owned()), "defused");
    assert!(names.iter().all(|n| !n.starts_with(['=', '+', '-', '@', '\t', '\r'])), "no cell a spreadsheet would run");

    let stock = admin.get("/admin/stock.csv").await;
    assert_eq!(stock.status, StatusCode::OK);
    assert!(stock.body.starts_with("product,colour,size,sku,stock,held\r\n"));
    let rows = csv::Reader::from_reader(stock.body.as_bytes()).records().count() as i64;
    let expected = count(&app.db, "select count(*) from product_sizes ps join product_colours pc on pc.id = ps.product_colour_id join products p on p.id = pc.product_id where p.deleted_at is null").await;
    assert_eq!(rows, expected, "one row per product × colour × size");
    let filtered = admin.get("/admin/stock.csv?q=no-such-product-anywhere").await.body;
    assert_eq!(filtered.lines().count(), 1, "the list's filter applies: only the header");

    // Importing the exports back: every row good, nothing to change, nothing written.
    let audited = count(&app.db, "select count(*) from audit_log").await;
    let updated = count(&app.db, "select count(*) from products where updated_at > now() - interval '1 hour'").await;
    for (kind, file) in [("products", &products.body), ("stock", &stock.body)] {
        let preview = preview_of(&admin, kind, file).await;
        assert_eq!(rejected(&preview), Vec::<(u64, String)>::new(), "{kind}");
        assert_eq!(changed_lines(&preview), Vec::<u64>::new(), "{kind}: {}", preview["changes"]);
        assert_eq!(preview["unchanged"].as_u64(), preview["rows"].as_u64());
        let res = confirm(&admin, &preview).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
        assert!(res.body.contains("nothing to import"));
    }
    assert_eq!(count(&app.db, "select count(*) from audit_log").await, audited);
    assert_eq!(count(&app.db, "select count(*) from products where updated_at > now() - interval '1 hour'").await, updated);
    let name: String = sqlx::query_scalar("select name from products where id = $1").bind(id).fetch_one(&app.db).await.unwrap();
    assert_eq!(name, formula, "the apostrophe is taken off again on import");
}
