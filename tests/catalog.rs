//! Storefront queries and pages against a fresh database with the demo catalogue.
#![cfg(feature = "ssr")]

mod support;

use axum::http::StatusCode;
use larkspur::catalog::{
    server::{listing, product_detail},
    types::{Filters, Listing, Scope, Sort, PAGE_SIZE},
};
use sqlx::PgPool;
use support::*;
use uuid::Uuid;

const SITE: &str = "http://shop.test";

async fn list(db: &PgPool, scope: Scope, pairs: &[(&str, &str)]) -> Listing {
    let default_sort = if matches!(scope, Scope::Search(_)) { Sort::Relevance } else { Sort::Newest };
    let filters = Filters::from_pairs(pairs.iter().copied(), default_sort);
    listing(db, None, SITE, scope, filters, default_sort).await.expect("listing")
}

fn hoodies() -> Scope {
    Scope::Category("hoodies".into())
}

async fn scalar(db: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn category_listing_counts_and_colour_facet(db: PgPool) {
    let app = spawn(db).await;
    let all = list(&app.db, hoodies(), &[]).await;
    assert_eq!(all.total, 9);
    assert_eq!(all.products.len(), 9);
    assert_eq!(all.canonical_url, "http://shop.test/c/hoodies");
    // Every colour facet count is exactly what filtering by that colour returns.
    assert!(!all.facets.colours.is_empty());
    for facet in &all.facets.colours {
        let filtered = list(&app.db, hoodies(), &[("colour", &facet.slug)]).await;
        assert_eq!(filtered.total, facet.count, "colour {}", facet.slug);
        let expected = scalar(&app.db, &format!(
            "select count(distinct p.id) from products p join product_categories pc on pc.product_id = p.id
             join categories c on c.id = pc.category_id and c.slug = 'hoodies'
             join product_colours x on x.product_id = p.id join colours k on k.id = x.colour_id and k.slug = '{}'",
            facet.slug
        )).await;
        assert_eq!(facet.count, expected);
    }
    // A colour's own facet still lists the other colours (counts ignore their own selection).
    let one = &all.facets.colours[0];
    let filtered = list(&app.db, hoodies(), &[("colour", &one.slug)]).await;
    assert_eq!(filtered.facets.colours.len(), all.facets.colours.len());
    assert!(filtered.facets.colours.iter().find(|c| c.slug == one.slug).unwrap().selected);
}

#[sqlx::test(migrations = "./migrations")]
async fn size_stock_and_price_filters_combine(db: PgPool) {
    let app = spawn(db).await;
    let all = list(&app.db, hoodies(), &[]).await;
    let colour = all.facets.colours[0].slug.clone();
    let combined = list(&app.db, hoodies(), &[("colour", &colour), ("size", "m"), ("stock", "1")]).await;
    for card in &combined.products {
        // The same variant has the colour, the size and stock.
        let ok = scalar(&app.db, &format!(
            "select count(*) from product_colours x join colours k on k.id = x.colour_id and k.slug = '{colour}'
             join product_sizes ps on ps.product_colour_id = x.id join sizes z on z.id = ps.size_id and z.slug = 'm'
             where x.product_id = '{}' and ps.stock > ps.reserved", card.id
        )).await;
        assert!(ok > 0, "{} matches colour+size+stock on one variant", card.name);
    }
    let in_stock = list(&app.db, hoodies(), &[("stock", "1")]).await;
    assert_eq!(in_stock.total, all.facets.in_stock_count);

    let priced = list(&app.db, hoodies(), &[("min", "70"), ("max", "90")]).await;
    assert!(priced.total > 0);
    for card in &priced.products {
        assert!((7000..=9099).contains(&card.price.minor), "{} at {}", card.name, card.price);
    }
    let none = list(&app.db, hoodies(), &[("min", "100000")]).await;
    assert_eq!((none.total, none.products.len()), (0, 0));
}

#[sqlx::test(migrations = "./migrations")]
async fn sorting_orders_by_what_it_says(db: PgPool) {
    let app = spawn(db).await;
    let asc = list(&app.db, hoodies(), &[("sort", "price-asc")]).await;
    let prices: Vec<i64> = asc.products.iter().map(|c| c.price.minor).collect();
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{prices:?}");
    let desc = list(&app.db, hoodies(), &[("sort", "price-desc")]).await;
    let prices: Vec<i64> = desc.products.iter().map(|c| c.price.minor).collect();
    assert!(prices.windows(2).all(|w| w[0] >= w[1]), "{prices:?}");
    let rated = list(&app.db, Scope::Category("t-shirts".into()), &[("sort", "best-rated")]).await;
    let ratings: Vec<i32> = rated.products.iter().filter(|c| c.rating_count > 0).map(|c| c.rating_avg_x10).collect();
    assert!(ratings.windows(2).all(|w| w[0] >= w[1]), "{ratings:?}");
    assert!(rated.products.iter().skip_while(|c| c.rating_count > 0).all(|c| c.rating_count == 0), "unrated last");
}

#[sqlx::test(migrations = "./migrations")]
async fn pagination_edges(db: PgPool) {
    let app = spawn(db).await;
    larkspur::server::seed::bulk_products(&app.db, 400).await.unwrap();
    let first = list(&app.db, hoodies(), &[]).await;
    assert!(first.total > PAGE_SIZE * 2, "enough hoodies for three pages: {}", first.total);
    assert_eq!(first.products.len() as i64, PAGE_SIZE);
    let mut seen = std::collections::HashSet::new();
    for page in 1..=first.pages() {
        let p = list(&app.db, hoodies(), &[("page", &page.to_string())]).await;
        for card in p.products {
            assert!(seen.insert(card.id), "no product on two pages");
        }
    }
    assert_eq!(seen.len() as i64, first.total, "every product on exactly one page");
    let beyond = list(&app.db, hoodies(), &[("page", &(first.pages() + 1).to_string())]).await;
    assert!(beyond.products.is_empty());
    assert_eq!(beyond.total, first.total);
}

#[sqlx::test(migrations = "./migrations")]
async fn search_tolerates_typos_and_ranks_names_first(db: PgPool) {
    let app = spawn(db).await;
    sqlx::query("insert into products (name, slug, description, price_minor) values ('Plain Canvas Tote', 'plain-canvas-tote', 'Pairs well with a hoodie.', 2500)")
        .execute(&app.db).await.unwrap();
    let exact = list(&app.db, Scope::Search("hoodie".into()), &[]).await;
    assert!(exact.total >= 10);
    let last = exact.products.last().unwrap();
    assert_eq!(last.name, "Plain Canvas Tote", "a description-only match ranks below name matches");
    let typo = list(&app.db, Scope::Search("hodie".into()), &[]).await;
    assert!(typo.total >= 9, "\"hodie\" finds hoodies: {}", typo.total);
    assert!(typo.products[0].name.contains("Hoodie"));
    let sneakers = list(&app.db, Scope::Search("sneakr".into()), &[]).await;
    assert!(sneakers.products.iter().any(|c| c.name.contains("Sneaker")), "typo tolerance for other words too");
    let nothing = list(&app.db, Scope::Search("zzzzqqq".into()), &[]).await;
    assert_eq!(nothing.total, 0);
    let suggestions = larkspur::catalog::server::suggestions(&app.db, "hood").await.unwrap();
    assert!(!suggestions.is_empty() && suggestions.len() <= 6);
}

#[sqlx::test(migrations = "./migrations")]
async fn product_pages_carry_seo_data_and_hide_removed_products(db: PgPool) {
    let app = spawn(db).await;
    let slug: String = sqlx::query_scalar("select slug from products order by slug limit 1").fetch_one(&app.db).await.unwrap();
    let browser = Client::new(&app);
    let page = browser.get(&format!("/p/{slug}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!(r#"<link href="http://127.0.0.1:3000/p/{slug}" rel="canonical">"#)), "canonical");
    assert!(page.body.contains(r#"property="og:type" content="product""#));
    let start = page.body.find(r#"<script type="application/ld+json">"#).expect("json-ld") + r#"<script type="application/ld+json">"#.len();
    let end = start + page.body[start..].find("</script>").unwrap();
    let ld: serde_json::Value = serde_json::from_str(&page.body[start..end]).expect("valid JSON-LD");
    assert_eq!(ld["@type"], "Product");
    assert!(ld["offers"]["price"].as_str().unwrap().contains('.'));
    assert!(page.body.contains("BreadcrumbList"));

    let detail = product_detail(&app.db, SITE, &slug).await.unwrap();
    assert!(detail.colours.iter().all(|c| !c.images.is_empty() && !c.sizes.is_empty()));

    sqlx::query("update products set is_active = false where slug = $1").bind(&slug).execute(&app.db).await.unwrap();
    assert_eq!(browser.get(&format!("/p/{slug}")).await.status, StatusCode::NOT_FOUND);
    sqlx::query("update products set is_active = true, deleted_at = now() where slug = $1").bind(&slug).execute(&app.db).await.unwrap();
    assert_eq!(browser.get(&format!("/p/{slug}")).await.status, StatusCode::GONE);
    let sitemap = browser.get("/sitemaps/products-1.xml").await;
    assert!(!sitemap.body.contains(&format!("/p/{slug}<")), "removed products leave the sitemap");
    assert!(sitemap.body.contains("<urlset"));
    let index = browser.get("/sitemap.xml").await;
    assert!(index.body.contains("/sitemaps/pages.xml") && index.body.contains("/sitemaps/products-1.xml"));
    let pages = browser.get("/sitemaps/pages.xml").await;
    assert!(pages.body.contains("/c/hoodies") && pages.body.contains("/journal/") && pages.body.contains("/collections/"));
    let robots = browser.get("/robots.txt").await.body;
    for path in ["Disallow: /admin", "Disallow: /cart", "Disallow: /checkout", "Sitemap: "] {
        assert!(robots.contains(path), "{path}");
    }
}

async fn variant_of(db: &PgPool, stock: i32) -> Uuid {
    sqlx::query_scalar("update product_sizes set stock = $1 where id = (select id from product_sizes order by sku limit 1) returning id")
        .bind(stock)
        .fetch_one(db)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn add_to_cart_respects_stock_and_limits(db: PgPool) {
    let app = spawn(db).await;
    let variant = variant_of(&app.db, 3).await.to_string();
    let browser = Client::new(&app);
    let (browser, variant) = (&browser, &variant);
    let add = |qty: &'static str| async move { browser.call("cart/add", &[("variant_id", variant.as_str()), ("quantity", qty)]).await };
    assert_eq!(add("2").await.json(), 2);
    let too_many = add("2").await;
    assert_eq!(too_many.status, StatusCode::CONFLICT);
    assert_eq!(too_many.json()["OutOfStock"]["available"], 1);
    assert_eq!(add("0").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(add("1").await.json(), 3);
    assert!(browser.cookie("larkspur_session").is_some(), "a declined-tracking visitor keeps the cart in the session");
    assert_eq!(scalar(&app.db, "select count(*) from carts where user_id is null and anonymous_user_id is null").await, 1);
    let unknown = browser.call("cart/add", &[("variant_id", &Uuid::now_v7().to_string()), ("quantity", "1")]).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = "./migrations")]
async fn wishlists_belong_to_their_owner(db: PgPool) {
    let app = spawn(db).await;
    let product: String = sqlx::query_scalar("select id::text from products order by slug limit 1").fetch_one(&app.db).await.unwrap();
    let stranger = Client::new(&app);
    let refused = stranger.call("wishlist/toggle", &[("product_id", &product)]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "no consent, no account: nowhere to keep it");

    create_user(&app.db, "ada@example.com", "correct horse battery", "customer").await;
    create_user(&app.db, "bob@example.com", "correct horse battery", "customer").await;
    let ada = Client::new(&app);
    let bob = Client::new(&app);
    for (client, email) in [(&ada, "ada@example.com"), (&bob, "bob@example.com")] {
        client.call("auth/sign-in/password", &[("email", email), ("password", "correct horse battery"), ("next", "/")]).await;
    }
    assert_eq!(ada.call("wishlist/toggle", &[("product_id", &product)]).await.json(), true);
    assert_eq!(ada.call("wishlist/list", &[]).await.json().as_array().unwrap().len(), 1);
    assert_eq!(bob.call("wishlist/list", &[]).await.json().as_array().unwrap().len(), 0, "Bob cannot see Ada's list");
    assert_eq!(bob.call("wishlist/contains", &[("product_id", &product)]).await.json(), false);
    // Bob's toggle only ever touches Bob's own list.
    assert_eq!(bob.call("wishlist/toggle", &[("product_id", &product)]).await.json(), true);
    assert_eq!(bob.call("wishlist/toggle", &[("product_id", &product)]).await.json(), false);
    assert_eq!(ada.call("wishlist/contains", &[("product_id", &product)]).await.json(), true);

    let anonymous = Client::new(&app);
    anonymous.accept_cookies().await;
    assert_eq!(anonymous.call("wishlist/toggle", &[("product_id", &product)]).await.json(), true, "consented anonymous shoppers can save");
}

#[sqlx::test(migrations = "./migrations")]
async fn only_buyers_review_and_reviews_show_after_approval(db: PgPool) {
    let app = spawn(db).await;
    let password = "correct horse battery";
    create_user(&app.db, "ada@example.com", password, "customer").await;
    let ada = Client::new(&app);
    ada.call("auth/sign-in/password", &[("email", "ada@example.com"), ("password", password), ("next", "/")]).await;
    // A product a demo customer bought (so it has an order) that Ada has not.
    let product: Uuid = sqlx::query_scalar("select product_id from order_items order by product_name limit 1").fetch_one(&app.db).await.unwrap();
    let id = product.to_string();
    let review = [("product_id", id.as_str()), ("rating", "5"), ("title", "Love it"), ("comment", "Great fit and very warm indeed.")];
    let refused = ada.call("reviews/submit", &review).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("Only customers who bought"));

    let buyer: Uuid = sqlx::query_scalar("select id from users where email = 'ada@example.com'").fetch_one(&app.db).await.unwrap();
    let order: Uuid = sqlx::query_scalar(
        "insert into orders (user_id, status, subtotal_minor, total_minor, email, phone, shipping_address, payment_method, idempotency_key)
         values ($1, 'delivered', 1000, 1000, 'ada@example.com', '+15550100100', '{}', 'cash_on_delivery', 'test-order') returning id",
    ).bind(buyer).fetch_one(&app.db).await.unwrap();
    sqlx::query("insert into order_items (order_id, product_id, product_name, colour_name, size_label, sku, unit_price_minor, quantity, line_total_minor) values ($1, $2, 'x', 'x', 'x', 'x', 1000, 1, 1000)")
        .bind(order).bind(product).execute(&app.db).await.unwrap();

    let bad = ada.call("reviews/submit", &[("product_id", id.as_str()), ("rating", "6"), ("title", ""), ("comment", "short")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(ada.call("reviews/submit", &review).await.status, StatusCode::OK);
    let (before_count, _): (i32, i32) = sqlx::query_as("select rating_count, rating_sum from products where id = $1").bind(product).fetch_one(&app.db).await.unwrap();
    let listed = ada.call("reviews/list", &[("product_id", &id)]).await.json();
    assert!(!listed["reviews"].as_array().unwrap().iter().any(|r| r["title"] == "Love it"), "pending reviews are not shown");
    assert_eq!(listed["eligibility"]["CanReview"]["status"], "pending");

    let review_id: String = sqlx::query_scalar("select id::text from reviews where user_id = $1").bind(buyer).fetch_one(&app.db).await.unwrap();
    let admin = Client::new(&app);
    admin.call("auth/sign-in/password", &[("email", larkspur::server::seed::ADMIN_EMAIL), ("password", larkspur::server::seed::ADMIN_PASSWORD), ("next", "/")]).await;
    assert_eq!(ada.call("reviews/moderate", &[("review_id", &review_id), ("approve", "true")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(admin.call("reviews/moderate", &[("review_id", &review_id), ("approve", "true")]).await.status, StatusCode::OK);
    let (count, sum): (i32, i32) = sqlx::query_as("select rating_count, rating_sum from products where id = $1").bind(product).fetch_one(&app.db).await.unwrap();
    assert_eq!(count, before_count + 1, "the listing counters follow approval");
    assert!(sum >= 5);
    let listed = Client::new(&app).call("reviews/list", &[("product_id", &id)]).await.json();
    assert!(listed["reviews"].as_array().unwrap().iter().any(|r| r["title"] == "Love it"));

    // One review per customer: submitting again edits it (and it waits for approval again).
    let edited = [("product_id", id.as_str()), ("rating", "4"), ("title", "Still good"), ("comment", "Washed a few times and holds up well.")];
    assert_eq!(ada.call("reviews/submit", &edited).await.status, StatusCode::OK);
    assert_eq!(scalar(&app.db, &format!("select count(*) from reviews where user_id = '{buyer}'")).await, 1);

    // Helpful votes: once per person, never on your own review.
    let other: String = sqlx::query_scalar("select id::text from reviews where status = 'approved' and user_id <> $1 limit 1").bind(buyer).fetch_one(&app.db).await.unwrap();
    let first = ada.call("reviews/helpful", &[("review_id", &other)]).await.json();
    let again = ada.call("reviews/helpful", &[("review_id", &other)]).await.json();
    assert_eq!(first, again, "a second vote does not count");
    admin.call("reviews/moderate", &[("review_id", &review_id), ("approve", "true")]).await;
    let own = ada.call("reviews/helpful", &[("review_id", &review_id)]).await;
    assert_eq!(own.status, StatusCode::BAD_REQUEST);
}
