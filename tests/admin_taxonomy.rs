//! The catalogue's taxonomy in the staff dashboard against a real database: categories
//! (tree, order, safe delete), colours and sizes, collections and lookbooks with their
//! picked products, and the places checkout offers. Refusals change nothing; every change
//! is audited with before and after.
#![cfg(feature = "ssr")]

mod support;

use axum::http::StatusCode;
use larkspur::seed::{ADMIN_EMAIL, ADMIN_PASSWORD, EDITOR_EMAIL, EDITOR_PASSWORD};
use support::{shop::count, *};
use uuid::Uuid;

async fn audit_count(app: &TestApp) -> i64 {
    count(&app.db, "select count(*) from audit_log").await
}

#[sqlx::test(migrations = "./migrations")]
async fn who_may_not_run_the_catalogue_is_refused_and_nothing_changes(db: sqlx::PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "cus@example.com", "correct horse battery", "customer").await;
    let visitor = Client::new(&app);
    let customer = signed_in_as(&app, "cus@example.com", "correct horse battery").await;
    let editor = signed_in_as(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await;
    let category: Uuid = sqlx::query_scalar("select id from categories order by name limit 1").fetch_one(&app.db).await.unwrap();
    let country: Uuid = sqlx::query_scalar("select id from countries where code = 'US'").fetch_one(&app.db).await.unwrap();
    let (category, country) = (category.to_string(), country.to_string());
    let before = audit_count(&app).await;
    let calls: [(&str, Vec<(&str, &str)>); 6] = [
        ("admin/categories/save", vec![("name", "Hacked")]),
        ("admin/categories/delete", vec![("id", &category), ("confirm", "delete")]),
        ("admin/colours/save", vec![("name", "Hacked"), ("hex", "#000000")]),
        ("admin/showcases/save", vec![("kind", "collection"), ("name", "Hacked")]),
        ("admin/places/toggle", vec![("level", "country"), ("id", &country)]),
        ("admin/categories/list", vec![]),
    ];
    for (function, args) in &calls {
        assert_eq!(visitor.call(function, args).await.status, StatusCode::UNAUTHORIZED, "{function}");
        assert_eq!(customer.call(function, args).await.status, StatusCode::FORBIDDEN, "{function}");
        assert_eq!(editor.call(function, args).await.status, StatusCode::FORBIDDEN, "{function} as an editor");
    }
    for page in ["/admin/categories", "/admin/colours", "/admin/sizes", "/admin/collections", "/admin/lookbooks/new", "/admin/places"] {
        assert_eq!(visitor.get(page).await.status, StatusCode::UNAUTHORIZED, "{page}");
        assert_eq!(editor.get(page).await.status, StatusCode::FORBIDDEN, "{page} as an editor");
    }
    assert_eq!(audit_count(&app).await, before, "nothing recorded");
    assert_eq!(count(&app.db, "select count(*) from categories where name = 'Hacked'").await, 0);
    assert_eq!(count(&app.db, "select count(*) from countries where not is_active").await, 0, "nothing switched off");
}

#[sqlx::test(migrations = "./migrations")]
async fn categories_are_checked_ordered_audited_and_deleted_only_when_empty(db: sqlx::PgPool) {
    let app = spawn(db).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let before = audit_count(&app).await;
    let categories = count(&app.db, "select count(*) from categories").await;

    // Bad input: a message beside each field, what was typed kept, nothing saved.
    let res = admin.post_form("admin/categories/save", &[("name", " "), ("slug", "Bad Slug"), ("image_url", "javascript:alert(1)")], "/admin/categories/new").await;
    assert_eq!(res.headers_location.as_deref(), Some("/admin/categories/new"));
    let shown = admin.get("/admin/categories/new").await.body;
    assert!(shown.contains("Enter the category"), "the name's message");
    assert!(shown.contains("Use lowercase letters and digits") && shown.contains("value=\"Bad Slug\""), "the slug's message and what was typed");
    let taken: String = sqlx::query_scalar("select slug from categories order by name limit 1").fetch_one(&app.db).await.unwrap();
    let dup = admin.call("admin/categories/save", &[("name", "Anything"), ("slug", &taken)]).await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.body.contains("Another category uses this URL name"), "{}", dup.body);
    assert_eq!((count(&app.db, "select count(*) from categories").await, audit_count(&app).await), (categories, before), "nothing changed");

    // A parent with two children; the slug is made from the name.
    let create = |name: &'static str, parent: Option<String>| {
        let admin = &admin;
        async move {
            let mut args = vec![("name", name.to_owned()), ("is_active", "on".to_owned())];
            if let Some(p) = parent {
                args.push(("parent", p));
            }
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = admin.call("admin/categories/save", &args).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.body);
            res.json().as_str().unwrap().parse::<Uuid>().unwrap()
        }
    };
    let outdoor = create("Outdoor Gear", None).await;
    let tents = create("Tents", Some(outdoor.to_string())).await;
    let stoves = create("Camp Stoves", Some(outdoor.to_string())).await;
    let slug: String = sqlx::query_scalar("select slug from categories where id = $1").bind(outdoor).fetch_one(&app.db).await.unwrap();
    assert_eq!(slug, "outdoor-gear");
    let order = || async {
        sqlx::query_scalar::<_, Uuid>("select id from categories where parent_id = $1 order by sort_order, name").bind(outdoor).fetch_all(&app.db).await.unwrap()
    };
    assert_eq!(order().await, vec![tents, stoves], "new ones go last");
    let res = admin.post_form("admin/categories/move", &[("id", &stoves.to_string()), ("direction", "up")], "/admin/categories").await;
    assert_eq!(res.headers_location.as_deref(), Some("/admin/categories"));
    assert_eq!(order().await, vec![stoves, tents], "moved up");
    let list = admin.get("/admin/categories").await.body;
    assert!(list.contains("— Camp Stoves") && list.find("— Camp Stoves") < list.find("— Tents"), "the tree shows children indented, in order");
    assert!(list.contains("Move Camp Stoves down"), "arrows");

    // A category cannot go under its own child.
    let cycle = admin.call("admin/categories/save", &[("id", &outdoor.to_string()), ("name", "Outdoor Gear"), ("parent", &tents.to_string())]).await;
    assert_eq!(cycle.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", cycle.body);

    // An edit is recorded with before and after.
    let res = admin.call("admin/categories/save", &[("id", &tents.to_string()), ("name", "Tents & Shelters"), ("slug", "tents"), ("parent", &outdoor.to_string())]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let (b, a): (serde_json::Value, serde_json::Value) =
        sqlx::query_as("select before, after from audit_log where entity_kind = 'category' and entity_id = $1 and action = 'update'")
            .bind(tents.to_string())
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((b["name"].as_str(), a["name"].as_str(), a["is_active"].as_bool()), (Some("Tents"), Some("Tents & Shelters"), Some(false)));
    assert_eq!(count(&app.db, "select count(*) from audit_log where entity_kind = 'category' and action = 'reorder'").await, 1);

    // Deleting: refused while children or products use it, allowed once empty.
    let refused = admin.call("admin/categories/delete", &[("id", &outdoor.to_string()), ("confirm", "delete")]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.body.contains("Move them to another category first"));
    let (used, products): (Uuid, i64) = sqlx::query_as(
        "select c.id, count(*) from categories c join product_categories pc on pc.category_id = c.id group by c.id order by c.id limit 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let refused = admin.call("admin/categories/delete", &[("id", &used.to_string()), ("confirm", "delete")]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(count(&app.db, &format!("select count(*) from product_categories where category_id = '{used}'")).await, products, "kept");
    assert!(admin.get(&format!("/admin/categories/{used}")).await.body.contains("data-testid=\"delete-blocked\""), "the editor says why");
    let unconfirmed = admin.call("admin/categories/delete", &[("id", &stoves.to_string())]).await;
    assert_eq!(unconfirmed.status, StatusCode::BAD_REQUEST);
    let res = admin.post_form("admin/categories/delete", &[("id", &stoves.to_string()), ("confirm", "delete")], &format!("/admin/categories/{stoves}?confirm=delete")).await;
    assert_eq!(res.headers_location.as_deref(), Some("/admin/categories?deleted=1"));
    assert_eq!(count(&app.db, &format!("select count(*) from categories where id = '{stoves}'")).await, 0);
    let before: serde_json::Value = sqlx::query_scalar("select before from audit_log where entity_kind = 'category' and action = 'delete'").fetch_one(&app.db).await.unwrap();
    assert_eq!(before["name"], "Camp Stoves");
}

#[sqlx::test(migrations = "./migrations")]
async fn colours_and_sizes_are_checked_ordered_and_kept_while_in_use(db: sqlx::PgPool) {
    let app = spawn(db).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let before = audit_count(&app).await;
    let colours = count(&app.db, "select count(*) from colours").await;
    let res = admin.post_form("admin/colours/save", &[("name", "Sunset"), ("hex", "orange")], "/admin/colours").await;
    assert_eq!(res.headers_location.as_deref(), Some("/admin/colours"));
    let shown = admin.get("/admin/colours").await.body;
    assert!(shown.contains("Enter a colour as # and six hex digits") && shown.contains("value=\"orange\""), "message and typed value");
    let empty = admin.call("admin/colours/save", &[("name", ""), ("hex", "#ff8800")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let dup = admin.call("admin/colours/save", &[("name", "Black"), ("hex", "#000000")]).await;
    assert!(dup.body.contains("Another colour has this name"), "{}", dup.body);
    assert_eq!((count(&app.db, "select count(*) from colours").await, audit_count(&app).await), (colours, before), "nothing changed");

    let res = admin.call("admin/colours/save", &[("name", "Sunset Orange"), ("hex", "#FF8800")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let id: Uuid = res.json().as_str().unwrap().parse().unwrap();
    let (slug, hex): (String, String) = sqlx::query_as("select slug, hex from colours where id = $1").bind(id).fetch_one(&app.db).await.unwrap();
    assert_eq!((slug.as_str(), hex.as_str()), ("sunset-orange", "#ff8800"));
    let page = admin.get("/admin/colours").await.body;
    assert!(page.contains(r##"fill="#ff8800""##), "a swatch");
    // Renaming keeps the URL name (SKUs and filter links use it); before and after recorded.
    admin.call("admin/colours/save", &[("id", &id.to_string()), ("name", "Sunset"), ("hex", "#ff7700")]).await;
    let (b, a): (serde_json::Value, serde_json::Value) =
        sqlx::query_as("select before, after from audit_log where entity_kind = 'colour' and action = 'update'").fetch_one(&app.db).await.unwrap();
    assert_eq!((b["hex"].as_str(), a["hex"].as_str(), a["slug"].as_str()), (Some("#ff8800"), Some("#ff7700"), Some("sunset-orange")));

    // A colour a product uses cannot go; an unused one can, after the confirm step.
    let used: Uuid = sqlx::query_scalar("select colour_id from product_colours limit 1").fetch_one(&app.db).await.unwrap();
    let refused = admin.call("admin/attributes/delete", &[("kind", "colour"), ("id", &used.to_string()), ("confirm", "delete")]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.body.contains("use this colour"), "{}", refused.body);
    assert!(admin.get(&format!("/admin/colours?delete={id}")).await.body.contains("data-testid=\"confirm-delete\""));
    let gone = admin.call("admin/attributes/delete", &[("kind", "colour"), ("id", &id.to_string()), ("confirm", "delete")]).await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.body);
    assert_eq!(count(&app.db, &format!("select count(*) from colours where id = '{id}'")).await, 0);

    // Sizes: ordered within their kind with the arrows.
    let apparel = || async { sqlx::query_scalar::<_, String>("select label from sizes where kind = 'apparel' order by sort_order, label").fetch_all(&app.db).await.unwrap() };
    let first = apparel().await;
    let second: Uuid = sqlx::query_scalar("select id from sizes where kind = 'apparel' and label = $1").bind(&first[1]).fetch_one(&app.db).await.unwrap();
    let res = admin.post_form("admin/attributes/move", &[("kind", "size"), ("id", &second.to_string()), ("direction", "up")], "/admin/sizes?kind=apparel").await;
    assert_eq!(res.headers_location.as_deref(), Some("/admin/sizes?kind=apparel"));
    let moved = apparel().await;
    assert_eq!((&moved[0], &moved[1]), (&first[1], &first[0]), "swapped");
    assert_eq!(count(&app.db, "select count(*) from audit_log where entity_kind = 'size' and action = 'reorder'").await, 1);
    let res = admin.call("admin/sizes/save", &[("label", "4XL"), ("kind", "apparel")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(apparel().await.last().map(String::as_str), Some("4XL"), "a new size goes last of its kind");
    let bad_kind = admin.call("admin/sizes/save", &[("label", "Huge"), ("kind", "planet")]).await;
    assert_eq!(bad_kind.status, StatusCode::UNPROCESSABLE_ENTITY);
    let used: Uuid = sqlx::query_scalar("select size_id from product_sizes limit 1").fetch_one(&app.db).await.unwrap();
    let refused = admin.call("admin/attributes/delete", &[("kind", "size"), ("id", &used.to_string()), ("confirm", "delete")]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
}

#[sqlx::test(migrations = "./migrations")]
async fn collections_and_lookbooks_take_picked_products_in_order(db: sqlx::PgPool) {
    let app = spawn(db).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    // Both lists answer in every sort order (a lookbook's name is its title).
    for list in ["/admin/collections", "/admin/lookbooks"] {
        for query in ["", "?sort=name&dir=desc", "?sort=products", "?q=a&status=active"] {
            let page = admin.get(&format!("{list}{query}")).await;
            assert_eq!(page.status, StatusCode::OK, "{list}{query}");
            assert!(page.body.contains("data-testid=\"table-row\"") || query.contains("q="), "{list}{query} lists rows");
        }
    }
    let taken = admin.call("admin/showcases/save", &[("kind", "collection"), ("name", "Winter"), ("slug", "winter-edit")]).await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.body.contains("Another collection uses this URL name"), "{}", taken.body);
    let res = admin.call("admin/showcases/save", &[("kind", "collection"), ("name", "Trail Ready"), ("is_active", "on"), ("description", "For the hills.")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let id: Uuid = res.json().as_str().unwrap().parse().unwrap();
    let editor = format!("/admin/collections/{id}");

    let products: Vec<(Uuid, String)> = sqlx::query_as("select id, name from products where is_live order by name limit 2").fetch_all(&app.db).await.unwrap();
    let word = products[0].1.split_whitespace().next().unwrap().to_owned();
    let found = admin.get(&format!("{editor}?q={}", larkspur::text::url_encode(&word))).await.body;
    assert!(found.contains(&format!("Add {}", products[0].1.replace('\'', "&#x27;"))), "the search lists it to add");
    for (product, _) in &products {
        let res = admin.post_form("admin/showcases/pick", &[("kind", "collection"), ("id", &id.to_string()), ("product", &product.to_string()), ("op", "add")], &editor).await;
        assert_eq!(res.headers_location.as_deref(), Some(editor.as_str()));
    }
    let order = || async {
        sqlx::query_scalar::<_, Uuid>("select product_id from collection_products where collection_id = $1 order by sort_order").bind(id).fetch_all(&app.db).await.unwrap()
    };
    assert_eq!(order().await, vec![products[0].0, products[1].0]);
    admin.call("admin/showcases/pick", &[("kind", "collection"), ("id", &id.to_string()), ("product", &products[1].0.to_string()), ("op", "up")]).await;
    assert_eq!(order().await, vec![products[1].0, products[0].0], "reordered");
    let page = Client::new(&app).get("/collections/trail-ready").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&products[0].1.replace('\'', "&#x27;")), "the storefront shows the picked product");
    let (b, a): (serde_json::Value, serde_json::Value) =
        sqlx::query_as("select before, after from audit_log where entity_kind = 'collection' and action = 'reorder_products'").fetch_one(&app.db).await.unwrap();
    assert_ne!(b["products"], a["products"]);
    admin.call("admin/showcases/pick", &[("kind", "collection"), ("id", &id.to_string()), ("product", &products[0].0.to_string()), ("op", "remove")]).await;
    assert_eq!(order().await, vec![products[1].0]);

    // The product list offers the collection in its bulk actions.
    assert!(admin.get("/admin/products").await.body.contains(&format!("collection:{id}")));
    let action = format!("collection:{id}");
    let bulk = admin.call("admin/products/bulk", &[("ids[0]", &products[0].0.to_string()), ("action", &action)]).await;
    assert_eq!(bulk.status, StatusCode::OK, "{}", bulk.body);
    assert_eq!(order().await, vec![products[1].0, products[0].0], "added back, last");

    // A lookbook works the same way; unpublished it leaves the storefront.
    let lookbook: Uuid = sqlx::query_scalar("select id from lookbooks where slug = 'autumn-trails'").fetch_one(&app.db).await.unwrap();
    let outside: Uuid = sqlx::query_scalar("select id from products where is_live and id not in (select product_id from lookbook_items where lookbook_id = $1) limit 1")
        .bind(lookbook)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let res = admin.call("admin/showcases/pick", &[("kind", "lookbook"), ("id", &lookbook.to_string()), ("product", &outside.to_string()), ("op", "add")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let last: Uuid = sqlx::query_scalar("select product_id from lookbook_items where lookbook_id = $1 order by sort_order desc limit 1").bind(lookbook).fetch_one(&app.db).await.unwrap();
    assert_eq!(last, outside, "added last");
    assert!(admin.get(&format!("/admin/lookbooks/{lookbook}")).await.body.contains("data-testid=\"picked-row\""));
    let deleted = admin.call("admin/showcases/delete", &[("kind", "collection"), ("id", &id.to_string()), ("confirm", "delete")]).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(Client::new(&app).get("/collections/trail-ready").await.status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_place_switched_off_leaves_checkout(db: sqlx::PgPool) {
    let app = spawn(db).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let shopper = Client::new(&app);
    let offered = |body: serde_json::Value| body["countries"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    let countries = offered(shopper.call("checkout/get", &[]).await.json());
    assert!(countries.contains(&"United Kingdom".to_owned()), "{countries:?}");
    let gb: Uuid = sqlx::query_scalar("select id from countries where code = 'GB'").fetch_one(&app.db).await.unwrap();
    let res = admin.post_form("admin/places/toggle", &[("level", "country"), ("id", &gb.to_string())], "/admin/places").await;
    assert_eq!(res.headers_location.as_deref(), Some("/admin/places"));
    let countries = offered(shopper.call("checkout/get", &[]).await.json());
    assert!(!countries.contains(&"United Kingdom".to_owned()) && countries.contains(&"Germany".to_owned()), "{countries:?}");
    let (b, a): (serde_json::Value, serde_json::Value) =
        sqlx::query_as("select before, after from audit_log where entity_kind = 'country' and action = 'deactivate'").fetch_one(&app.db).await.unwrap();
    assert_eq!((b["is_active"].as_bool(), a["is_active"].as_bool()), (Some(true), Some(false)));

    // A state switched off leaves its country's list; its cities go with it.
    let (us, california): (Uuid, Uuid) =
        sqlx::query_as("select c.id, s.id from states s join countries c on c.id = s.country_id where s.name = 'California'").fetch_one(&app.db).await.unwrap();
    admin.call("admin/places/toggle", &[("level", "state"), ("id", &california.to_string())]).await;
    let states = shopper.call("checkout/states", &[("country", &us.to_string())]).await.json();
    assert!(!states.to_string().contains("California") && states.to_string().contains("Texas"), "{states}");
    assert_eq!(shopper.call("checkout/cities", &[("state", &california.to_string())]).await.json(), serde_json::json!([]));

    // Add and rename; a bad code or empty name changes nothing.
    let before = audit_count(&app).await;
    assert_eq!(admin.call("admin/places/save", &[("level", "country"), ("name", "France"), ("code", "FRA")]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(admin.call("admin/places/save", &[("level", "city"), ("parent", &california.to_string()), ("name", " ")]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(audit_count(&app).await, before);
    let res = admin.call("admin/places/save", &[("level", "country"), ("name", "France"), ("code", "fr")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let fr: Uuid = res.json().as_str().unwrap().parse().unwrap();
    let res = admin.call("admin/places/save", &[("level", "state"), ("parent", &fr.to_string()), ("name", "Île-de-France"), ("code", "IDF")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let idf: Uuid = res.json().as_str().unwrap().parse().unwrap();
    let res = admin.call("admin/places/save", &[("level", "city"), ("parent", &idf.to_string()), ("name", "Paris")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let dup = admin.call("admin/places/save", &[("level", "city"), ("parent", &idf.to_string()), ("name", "Paris")]).await;
    assert!(dup.body.contains("already has a city with this name"), "{}", dup.body);
    assert!(offered(shopper.call("checkout/get", &[]).await.json()).contains(&"France".to_owned()));
    let rename = admin.call("admin/places/save", &[("level", "country"), ("id", &fr.to_string()), ("name", "République française"), ("code", "FR")]).await;
    assert_eq!(rename.status, StatusCode::OK, "{}", rename.body);
    let page = admin.get(&format!("/admin/places/{fr}/{idf}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Paris") && page.body.contains("République française"), "the cities page with its trail");
}
