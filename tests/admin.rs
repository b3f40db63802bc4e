//! The staff dashboard against a real database: what an editor's overview shows, the
//! product editor's rules, bulk actions, stock,
//! delete and restore, the audit log's before and after, old slugs, CSV, and cached listing
//! counts that every app instance drops after a change.
#![cfg(feature = "ssr")]

mod support;

use axum::http::{header, StatusCode};
use larkspur::seed::{ADMIN_EMAIL, ADMIN_PASSWORD, EDITOR_EMAIL, EDITOR_PASSWORD};
use sqlx::PgPool;
use support::{shop::count, *};
use uuid::Uuid;

/// A live product with stock in at least two sizes: its id and slug.
async fn product(db: &PgPool) -> (Uuid, String) {
    sqlx::query_as(
        "select p.id, p.slug from products p where p.is_active and p.deleted_at is null
         and (select count(*) from product_colours pc join product_sizes ps on ps.product_colour_id = pc.id where pc.product_id = p.id) >= 2
         order by p.slug limit 1",
    )
    .fetch_one(db)
    .await
    .unwrap()
}

// Who may call which dashboard route is walked over every route and identity in
// tests/hardening.rs (`every_route_answers_each_identity_only_what_is_theirs`).

#[sqlx::test(migrations = "./migrations")]
async fn editors_see_content_figures_only(db: PgPool) {
    let app = spawn(db).await;
    let editor = signed_in_as(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await;
    let overview = editor.call("admin/overview", &[]).await.json();
    assert!(overview["customers"].is_null() && overview["open_orders"].is_null() && overview["live_products"].is_null(), "{overview}");
    assert!(overview["published_articles"].is_i64());
    let access = editor.call("admin/access", &[]).await.json();
    let sections: Vec<&str> = access["sections"].as_array().unwrap().iter().map(|s| s[1].as_str().unwrap()).collect();
    assert!(sections.contains(&"/admin/articles") && !sections.contains(&"/admin/orders") && !sections.contains(&"/admin/customers"), "{sections:?}");
}

#[sqlx::test(migrations = "./migrations")]
async fn an_edit_is_checked_recorded_with_before_and_after_and_the_old_address_redirects(db: PgPool) {
    let app = spawn(db).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (id, old_slug) = product(&app.db).await;
    let page = format!("/admin/products/{id}");
    let editor = admin.get(&page).await;
    assert_eq!(editor.status, StatusCode::OK);
    assert!(editor.body.contains("data-testid=\"stock-grid\""));
    let (name, price): (String, i64) = sqlx::query_as("select name, price_minor from products where id = $1").bind(id).fetch_one(&app.db).await.unwrap();

    // Bad input: every message beside its field, what was typed kept, nothing saved.
    let id_text = id.to_string();
    let bad = [("id", id_text.as_str()), ("name", ""), ("slug", "Not A Slug"), ("price", "12.345"), ("sale_price", "99"), ("is_active", "on")];
    let audited = format!("select count(*) from audit_log where entity_id = '{id}'");
    let audited_before = count(&app.db, &audited).await;
    let res = admin.post_form("admin/products/save", &bad, &page).await;
    assert_eq!(res.headers_location.as_deref(), Some(page.as_str()));
    let shown = admin.get(&page).await.body;
    assert!(shown.contains("Enter the product"), "the name's message: {}", &shown[shown.find("field-name").unwrap_or(0)..][..1500.min(shown.len())]);
    for message in ["Use lowercase letters and digits", "Enter an amount like 49.00."] {
        assert!(shown.contains(message), "{message}");
    }
    assert!(shown.contains("value=\"12.345\"") && shown.contains("value=\"Not A Slug\""), "typed values stay");
    assert_eq!(count(&app.db, &audited).await, audited_before, "nothing recorded");

    let good = [
        ("id", id_text.as_str()),
        ("name", "Renamed Shirt"),
        ("slug", "renamed-shirt"),
        ("price", "59.00"),
        ("sale_price", "49.50"),
        ("is_active", "on"),
        ("seo_title", "Renamed Shirt | Larkspur"),
    ];
    let res = admin.post_form("admin/products/save", &good, &page).await;
    assert_eq!(res.headers_location.as_deref(), Some(format!("{page}?saved=1").as_str()), "{}", res.body);
    let (slug, price_minor, sale): (String, i64, Option<i64>) =
        sqlx::query_as("select slug, price_minor, price_override_minor from products where id = $1").bind(id).fetch_one(&app.db).await.unwrap();
    assert_eq!((slug.as_str(), price_minor, sale), ("renamed-shirt", 5900, Some(4950)));
    let (action, before, after, actor): (String, serde_json::Value, serde_json::Value, String) =
        // Newest by id: the demo seeder writes at the real time, the test app at its own clock.
        sqlx::query_as("select action, before, after, actor_email from audit_log where entity_id = $1 order by id desc limit 1")
            .bind(id.to_string())
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((action.as_str(), actor.as_str()), ("update", ADMIN_EMAIL));
    assert_eq!((before["name"].as_str(), before["price_minor"].as_i64()), (Some(name.as_str()), Some(price)));
    assert_eq!((after["name"].as_str(), after["price_minor"].as_i64(), after["sale_minor"].as_i64()), (Some("Renamed Shirt"), Some(5900), Some(4950)));
    let history = admin.get(&format!("/admin/audit?kind=product&entity={id}")).await.body;
    assert!(history.contains("Renamed Shirt") && history.contains(ADMIN_EMAIL), "the audit page lists it");
    // The demo seeder made the product through the same functions, so its history starts there.
    let entries = count(&app.db, &audited).await;
    assert_eq!(entries, audited_before + 1);
    assert_eq!(history.matches("data-testid=\"table-row\"").count() as i64, entries.min(25), "the product's own history");
    assert!(admin.get(&page).await.body.contains(&format!("/admin/audit?kind=product&amp;entity={id}")), "linked from the editor");

    // The old address answers with a permanent redirect to the new one.
    let old = Client::new(&app).get(&format!("/p/{old_slug}")).await;
    assert_eq!(old.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(old.headers_location.as_deref(), Some("/p/renamed-shirt"));
    assert_eq!(Client::new(&app).get("/p/renamed-shirt").await.status, StatusCode::OK);

    // Another product cannot take the slug.
    let other: Uuid = sqlx::query_scalar("select id from products where id <> $1 and deleted_at is null limit 1").bind(id).fetch_one(&app.db).await.unwrap();
    let other_text = other.to_string();
    let taken = admin.call("admin/products/save", &[("id", other_text.as_str()), ("name", "Other"), ("slug", "renamed-shirt"), ("price", "10")]).await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.body.contains("Another product uses this URL name"), "{}", taken.body);
}

#[sqlx::test(migrations = "./migrations")]
async fn bulk_actions_delete_restore_and_stock_are_each_audited(db: PgPool) {
    let app = spawn(db).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let ids: Vec<(Uuid, i64)> = sqlx::query_as("select id, price_minor from products where is_active and deleted_at is null order by slug limit 2")
        .fetch_all(&app.db)
        .await
        .unwrap();
    let (a, b) = (ids[0].0.to_string(), ids[1].0.to_string());
    let back = "/admin/products?status=active&page=1";
    let res = admin.post_form("admin/products/bulk", &[("ids[0]", &a), ("ids[3]", &b), ("action", "price"), ("percent", "-10")], back).await;
    assert_eq!(res.headers_location.as_deref(), Some(back), "back to the same list");
    let prices: Vec<i64> = sqlx::query_scalar("select price_minor from products where id = any($1) order by slug")
        .bind(vec![ids[0].0, ids[1].0])
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(prices, vec![(ids[0].1 * 9 + 5) / 10, (ids[1].1 * 9 + 5) / 10]);
    let refused = admin.call("admin/products/bulk", &[("ids[0]", &a), ("action", "price"), ("percent", "lots")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    admin.call("admin/products/bulk", &[("ids[0]", &a), ("ids[1]", &b), ("action", "deactivate")]).await;
    assert_eq!(count(&app.db, "select count(*) from audit_log where action = 'bulk_deactivate'").await, 2, "one entry a product");
    assert_eq!(count(&app.db, "select count(*) from audit_log where action = 'bulk_change_price'").await, 2);

    // Deleting needs the confirm step; a second delete changes nothing more.
    let no_confirm = admin.call("admin/products/delete", &[("id", &a)]).await;
    assert_eq!(no_confirm.status, StatusCode::BAD_REQUEST, "{}", no_confirm.body);
    assert!(admin.get(&format!("/admin/products/{a}?confirm=delete")).await.body.contains("data-testid=\"confirm-delete\""));
    for _ in 0..2 {
        assert_eq!(admin.call("admin/products/delete", &[("id", &a), ("confirm", "delete")]).await.status, StatusCode::OK);
    }
    assert_eq!(count(&app.db, "select count(*) from audit_log where action = 'delete'").await, 1);
    assert!(admin.get("/admin/products?status=deleted").await.body.contains(&format!("/admin/products/{a}")));
    admin.call("admin/products/delete", &[("id", &a), ("restore", "1")]).await;
    assert_eq!(count(&app.db, &format!("select count(*) from products where id = '{a}' and deleted_at is null")).await, 1);

    // Stock: never below what unpaid orders hold; a change is recorded by SKU.
    let (cell, sku): (Uuid, String) = sqlx::query_as(
        "select ps.id, ps.sku from product_sizes ps join product_colours pc on pc.id = ps.product_colour_id where pc.product_id = $1 limit 1",
    )
    .bind(ids[1].0)
    .fetch_one(&app.db)
    .await
    .unwrap();
    sqlx::query("update product_sizes set stock = 10, reserved = 2 where id = $1").bind(cell).execute(&app.db).await.unwrap();
    let cell_text = cell.to_string();
    let stock = |n: &'static str| [("product", b.clone()), ("cells[0][id]", cell_text.clone()), ("cells[0][stock]", n.to_owned())];
    let below = stock("1");
    let below = admin.call("admin/products/stock", &below.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(below.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", below.body);
    assert!(below.body.contains("Unpaid orders hold 2"), "{}", below.body);
    let two = stock("2");
    let two = admin.call("admin/products/stock", &two.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(two.status, StatusCode::OK, "{}", two.body);
    let (stock,): (i32,) = sqlx::query_as("select stock from product_sizes where id = $1").bind(cell).fetch_one(&app.db).await.unwrap();
    assert_eq!(stock, 2);
    let after: serde_json::Value = sqlx::query_scalar("select after from audit_log where action = 'stock' and entity_id = $1 order by id desc limit 1").bind(&b).fetch_one(&app.db).await.unwrap();
    assert_eq!(after[&sku], 2);
    // Another product's size cannot be set through this one.
    let foreign = admin.call("admin/products/stock", &[("product", &a), ("cells[0][id]", &cell_text), ("cells[0][stock]", "5")]).await;
    assert_eq!(foreign.status, StatusCode::BAD_REQUEST);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_list_filters_sorts_pages_and_exports_what_it_shows(db: PgPool) {
    let app = spawn(db).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = admin.get("/admin/products?sort=price&dir=desc").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body.matches("data-testid=\"table-row\"").count(), 25, "one page");
    assert!(page.body.contains("rel=\"next\""));
    let (first,): (String,) = sqlx::query_as("select name from products where deleted_at is null order by effective_price_minor desc, id desc limit 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let first_row = page.body.find("data-testid=\"table-row\"").unwrap();
    assert!(page.body[first_row..].starts_with("data-testid=\"table-row\"") && page.body[first_row..first_row + 2000].contains(&first.replace('\'', "&#x27;")));
    let empty = admin.get("/admin/products?q=no-such-thing-anywhere").await;
    assert!(empty.body.contains("data-testid=\"table-empty\""));

    let csv = admin.get("/admin/products.csv?status=active").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    let live = count(&app.db, "select count(*) from products where is_active and deleted_at is null").await;
    assert_eq!(csv.body.lines().count() as i64, live + 1, "a header and every live product");
    assert!(csv.body.starts_with("id,name,slug,status"));
}

#[sqlx::test(migrations = "./migrations")]
async fn a_price_changed_through_one_instance_shows_on_the_other_within_a_second(db: PgPool) {
    let first = spawn(db.clone()).await;
    let second = spawn(db).await;
    let _listening = (listening(&first).await, listening(&second).await);
    let (id, name, slug, description): (Uuid, String, String, String) = sqlx::query_as(
        "select id, name, slug, description from products where is_live and price_override_minor is null order by sold_count desc limit 1",
    )
    .fetch_one(&first.db)
    .await
    .unwrap();
    let categories: Vec<Uuid> = sqlx::query_scalar("select category_id from product_categories where product_id = $1").bind(id).fetch_all(&first.db).await.unwrap();
    let shopper = Client::new(&second);
    let page = format!("/p/{slug}");
    assert!(!shopper.get(&page).await.body.contains("123.45"));
    let category: String = sqlx::query_scalar("select slug from categories where id = $1").bind(categories[0]).fetch_one(&first.db).await.unwrap();
    let priced = format!("/c/{category}?min=123&max=123");
    let escaped = name.replace('\'', "&#x27;");
    assert!(!shopper.get(&priced).await.body.contains(&escaped), "not in the price range before the change");

    // The second instance now answers from memory: a write that sends no notification
    // (triggers off) does not reach its page. That is what makes the rest of this test
    // about the notification, not about reading PostgreSQL afresh.
    sqlx::query("alter table products disable trigger products_notify_catalog_changed").execute(&first.db).await.unwrap();
    sqlx::query("update products set description = description || ' (unheard)' where id = $1").bind(id).execute(&first.db).await.unwrap();
    sqlx::query("alter table products enable trigger products_notify_catalog_changed").execute(&first.db).await.unwrap();
    assert!(!shopper.get(&page).await.body.contains("(unheard)"), "served from the cache");

    let admin = signed_in_as(&first, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let id_text = id.to_string();
    let mut form = vec![("id", id_text.as_str()), ("name", name.as_str()), ("slug", slug.as_str()), ("description", description.as_str()), ("price", "123.45"), ("is_active", "on")];
    let category_fields: Vec<(String, String)> = categories.iter().enumerate().map(|(i, c)| (format!("categories[{i}]"), c.to_string())).collect();
    form.extend(category_fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let saved = admin.call("admin/products/save", &form).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);

    let started = std::time::Instant::now();
    loop {
        let body = shopper.get(&page).await.body;
        if body.contains("123.45") {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "the other instance still shows the old price after a second");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // The other instance's listings moved on too.
    assert!(shopper.get(&priced).await.body.contains(&escaped), "the listing filtered by the new price holds the product");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_product_made_in_the_dashboard_is_sold_in_the_store(db: PgPool) {
    let app = spawn(db).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (category, category_slug): (Uuid, String) = sqlx::query_as("select id, slug from categories order by name limit 1").fetch_one(&app.db).await.unwrap();
    let category_text = category.to_string();
    let created = admin
        .call(
            "admin/products/save",
            &[("name", "Harbour Rain Shell"), ("price", "129"), ("description", "Taped seams."), ("categories[0]", &category_text), ("is_active", "on")],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let id: Uuid = created.json().as_str().unwrap().parse().unwrap();
    let (slug,): (String,) = sqlx::query_as("select slug from products where id = $1").bind(id).fetch_one(&app.db).await.unwrap();
    assert_eq!(slug, "harbour-rain-shell", "made from the name");

    // Two colours, two sizes each; then stock for one cell.
    let colours: Vec<Uuid> = sqlx::query_scalar("select id from colours order by sort_order, name limit 2").fetch_all(&app.db).await.unwrap();
    let sizes: Vec<Uuid> = sqlx::query_scalar("select id from sizes where kind = 'apparel' order by sort_order limit 2").fetch_all(&app.db).await.unwrap();
    let (s0, s1) = (sizes[0].to_string(), sizes[1].to_string());
    for colour in &colours {
        let c = colour.to_string();
        let res = admin.call("admin/products/variants", &[("product", &id.to_string()), ("colour", &c), ("sizes[0]", &s0), ("sizes[1]", &s1)]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    let none = admin.call("admin/products/variants", &[("product", &id.to_string()), ("colour", &colours[0].to_string())]).await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY, "sizes are needed");
    assert_eq!(count(&app.db, &format!("select count(*) from product_sizes ps join product_colours pc on pc.id = ps.product_colour_id where pc.product_id = '{id}'")).await, 4);
    let cell: Uuid = sqlx::query_scalar("select ps.id from product_sizes ps join product_colours pc on pc.id = ps.product_colour_id where pc.product_id = $1 order by ps.sku limit 1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let res = admin.call("admin/products/stock", &[("product", &id.to_string()), ("cells[0][id]", &cell.to_string()), ("cells[0][stock]", "7")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    let shopper = Client::new(&app);
    let page = shopper.get(&format!("/p/{slug}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Harbour Rain Shell") && page.body.contains("$129.00"));
    assert!(shopper.get(&format!("/c/{category_slug}?sort=newest")).await.body.contains(&format!("/p/{slug}")), "in its category");
    assert!(shopper.get("/search?q=harbour").await.body.contains(&format!("/p/{slug}")), "found by search");
    assert_eq!(count(&app.db, &format!("select count(*) from audit_log where entity_id = '{id}'")).await, 4, "create, two colours, stock");
}
