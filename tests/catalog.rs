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

async fn list(app: &TestApp, scope: Scope, pairs: &[(&str, &str)]) -> Listing {
    let default_sort = if matches!(scope, Scope::Search(_)) { Sort::Relevance } else { Sort::Newest };
    let filters = Filters::from_pairs(pairs.iter().copied(), default_sort);
    listing(&app.db, &app.state.catalog, SITE, scope, filters, default_sort).await.expect("listing")
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
    let all = list(&app, hoodies(), &[]).await;
    assert_eq!(all.total, 9);
    assert_eq!(all.products.len(), 9);
    assert_eq!(all.canonical_url, "http://shop.test/c/hoodies");
    // Every colour facet count is exactly what filtering by that colour returns.
    assert!(!all.facets.colours.is_empty());
    for facet in &all.facets.colours {
        let filtered = list(&app, hoodies(), &[("colour", &facet.slug)]).await;
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
    let filtered = list(&app, hoodies(), &[("colour", &one.slug)]).await;
    assert_eq!(filtered.facets.colours.len(), all.facets.colours.len());
    assert!(filtered.facets.colours.iter().find(|c| c.slug == one.slug).unwrap().selected);
}

#[sqlx::test(migrations = "./migrations")]
async fn size_stock_and_price_filters_combine(db: PgPool) {
    let app = spawn(db).await;
    let all = list(&app, hoodies(), &[]).await;
    let colour = all.facets.colours[0].slug.clone();
    let combined = list(&app, hoodies(), &[("colour", &colour), ("size", "m"), ("stock", "1")]).await;
    for card in &combined.products {
        // The same variant has the colour, the size and stock.
        let ok = scalar(&app.db, &format!(
            "select count(*) from product_colours x join colours k on k.id = x.colour_id and k.slug = '{colour}'
             join product_sizes ps on ps.product_colour_id = x.id join sizes z on z.id = ps.size_id and z.slug = 'm'
             where x.product_id = '{}' and ps.stock > ps.reserved", card.id
        )).await;
        assert!(ok > 0, "{} matches colour+size+stock on one variant", card.name);
    }
    let in_stock = list(&app, hoodies(), &[("stock", "1")]).await;
    assert_eq!(in_stock.total, all.facets.in_stock_count);

    let priced = list(&app, hoodies(), &[("min", "70"), ("max", "90")]).await;
    assert!(priced.total > 0);
    for card in &priced.products {
        assert!((7000..=9099).contains(&card.price.minor), "{} at {}", card.name, card.price);
    }
    let none = list(&app, hoodies(), &[("min", "100000")]).await;
    assert_eq!((none.total, none.products.len()), (0, 0));
}

#[sqlx::test(migrations = "./migrations")]
async fn sorting_orders_by_what_it_says(db: PgPool) {
    let app = spawn(db).await;
    let asc = list(&app, hoodies(), &[("sort", "price-asc")]).await;
    let prices: Vec<i64> = asc.products.iter().map(|c| c.price.minor).collect();
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{prices:?}");
    let desc = list(&app, hoodies(), &[("sort", "price-desc")]).await;
    let prices: Vec<i64> = desc.products.iter().map(|c| c.price.minor).collect();
    assert!(prices.windows(2).all(|w| w[0] >= w[1]), "{prices:?}");
    let rated = list(&app, Scope::Category("t-shirts".into()), &[("sort", "best-rated")]).await;
    let ratings: Vec<i32> = rated.products.iter().filter(|c| c.rating_count > 0).map(|c| c.rating_avg_x10).collect();
    assert!(ratings.windows(2).all(|w| w[0] >= w[1]), "{ratings:?}");
    assert!(rated.products.iter().skip_while(|c| c.rating_count > 0).all(|c| c.rating_count == 0), "unrated last");
}

#[sqlx::test(migrations = "./migrations")]
async fn pagination_edges(db: PgPool) {
    let app = spawn(db).await;
    larkspur::seed::bulk_products(&app.db, 400).await.unwrap();
    let first = list(&app, hoodies(), &[]).await;
    assert!(first.total > PAGE_SIZE * 2, "enough hoodies for three pages: {}", first.total);
    assert_eq!(first.products.len() as i64, PAGE_SIZE);
    let mut seen = std::collections::HashSet::new();
    for page in 1..=first.pages() {
        let p = list(&app, hoodies(), &[("page", &page.to_string())]).await;
        for card in p.products {
            assert!(seen.insert(card.id), "no product on two pages");
        }
    }
    assert_eq!(seen.len() as i64, first.total, "every product on exactly one page");
    let beyond = list(&app, hoodies(), &[("page", &(first.pages() + 1).to_string())]).await;
    assert!(beyond.products.is_empty());
    assert_eq!(beyond.total, first.total);
}

#[sqlx::test(migrations = "./migrations")]
async fn every_page_lists_what_plain_offset_paging_lists(db: PgPool) {
    let app = spawn(db).await;
    larkspur::seed::bulk_products(&app.db, 600).await.unwrap();
    // The listing fetches a page's ids first and its cards after; plain OFFSET over the
    // whole rows is the reference it must agree with, for every sort, filtered or not.
    let orders = [
        ("newest", "p.created_at desc, p.id desc"),
        ("price-asc", "p.effective_price_minor asc, p.id"),
        ("price-desc", "p.effective_price_minor desc, p.id desc"),
        ("best-rated", "(p.rating_sum::numeric / nullif(p.rating_count, 0)) desc nulls last, p.rating_count desc, p.id"),
        ("best-selling", "p.sold_count desc, p.id"),
    ];
    let in_stock = "exists (select 1 from product_colours x join product_sizes ps on ps.product_colour_id = x.id where x.product_id = p.id and ps.available > 0)";
    for (stock, condition) in [(false, "true"), (true, in_stock)] {
        for (sort, order) in orders {
            let mut pairs = vec![("sort", sort)];
            if stock {
                pairs.push(("stock", "1"));
            }
            let first = list(&app, hoodies(), &pairs).await;
            assert!(first.pages() >= 3, "{}", first.total);
            for page in [1, 2, first.pages() / 2, first.pages()] {
                let page_text = page.to_string();
                let mut paged = pairs.clone();
                paged.push(("page", &page_text));
                let listed: Vec<Uuid> = list(&app, hoodies(), &paged).await.products.iter().map(|c| c.id).collect();
                let plain: Vec<Uuid> = sqlx::query_scalar(&format!(
                    "select p.id from products p join product_categories pc on pc.product_id = p.id
                     join categories c on c.id = pc.category_id
                     where c.slug = 'hoodies' and p.is_live and {condition} order by {order} limit $1 offset $2"
                ))
                .bind(PAGE_SIZE)
                .bind((page - 1) * PAGE_SIZE)
                .fetch_all(&app.db)
                .await
                .unwrap();
                assert!(!listed.is_empty());
                assert_eq!(listed, plain, "sort {sort}, in stock {stock}, page {page}");
            }
        }
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn related_products_are_the_best_sellers_sharing_a_category_or_collection(db: PgPool) {
    let app = spawn(db).await;
    larkspur::seed::bulk_products(&app.db, 300).await.unwrap();
    // Ties in sales make the order by id matter.
    sqlx::query("update products set sold_count = (abs(hashtext(id::text)) % 7) where is_live").execute(&app.db).await.unwrap();
    // The cache must be listening for the group lists to be kept between products.
    let _listening = listening(&app).await;
    let products: Vec<(Uuid, String)> = sqlx::query_as("select id, slug from products where is_live order by slug limit 40").fetch_all(&app.db).await.unwrap();
    for (id, slug) in products {
        let related: Vec<Uuid> = product_detail(&app.db, &app.state.catalog, SITE, &slug).await.unwrap().related.iter().map(|c| c.id).collect();
        // The reference: sort every product sharing a group, as the page once did per view.
        let plain: Vec<Uuid> = sqlx::query_scalar(
            "select p.id from products p where p.is_live and p.id <> $1 and p.id in (
                 select pc2.product_id from product_categories pc1
                 join product_categories pc2 on pc2.category_id = pc1.category_id where pc1.product_id = $1
                 union
                 select cp2.product_id from collection_products cp1
                 join collection_products cp2 on cp2.collection_id = cp1.collection_id where cp1.product_id = $1)
             order by p.sold_count desc, p.id limit 4",
        )
        .bind(id)
        .fetch_all(&app.db)
        .await
        .unwrap();
        assert_eq!(related, plain, "{slug}");
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn search_tolerates_typos_and_ranks_names_first(db: PgPool) {
    let app = spawn(db).await;
    sqlx::query("insert into products (name, slug, description, price_minor) values ('Plain Canvas Tote', 'plain-canvas-tote', 'Pairs well with a hoodie.', 2500)")
        .execute(&app.db).await.unwrap();
    let exact = list(&app, Scope::Search("hoodie".into()), &[]).await;
    assert!(exact.total >= 10);
    let last = exact.products.last().unwrap();
    assert_eq!(last.name, "Plain Canvas Tote", "a description-only match ranks below name matches");
    let typo = list(&app, Scope::Search("hodie".into()), &[]).await;
    assert!(typo.total >= 9, "\"hodie\" finds hoodies: {}", typo.total);
    assert!(typo.products[0].name.contains("Hoodie"));
    let sneakers = list(&app, Scope::Search("sneakr".into()), &[]).await;
    assert!(sneakers.products.iter().any(|c| c.name.contains("Sneaker")), "typo tolerance for other words too");
    let nothing = list(&app, Scope::Search("zzzzqqq".into()), &[]).await;
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

    let detail = product_detail(&app.db, &app.state.catalog, SITE, &slug).await.unwrap();
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
    assert!(pages.body.contains("/lookbooks/"), "published lookbooks are listed");

    // A banner's button counts a click only with consent, and always leads to its link.
    let (banner, link): (Uuid, String) =
        sqlx::query_as("select id, button_link from banners where is_active and button_link like '/%' limit 1").fetch_one(&app.db).await.unwrap();
    let clicks = || sqlx::query_scalar::<_, i64>("select click_count::bigint from banners where id = $1").bind(banner).fetch_one(&app.db);
    let before = clicks().await.unwrap();
    let res = browser.get(&format!("/b/{banner}")).await;
    assert_eq!(res.headers_location.as_deref(), Some(link.as_str()));
    assert_eq!(clicks().await.unwrap(), before, "no consent, no count");
    let consenting = Client::new(&app);
    consenting.accept_cookies().await;
    assert_eq!(consenting.get(&format!("/b/{banner}")).await.headers_location.as_deref(), Some(link.as_str()));
    assert_eq!(clicks().await.unwrap(), before + 1);
    assert_eq!(count_rows(&app.db, banner).await, 1, "the click is kept with who made it");
    assert_eq!(browser.get(&format!("/b/{}", Uuid::now_v7())).await.status, StatusCode::NOT_FOUND);
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
    // Looking is fine though: an empty wishlist with a prompt, not an error.
    let page = stranger.get("/wishlist").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("wishlist-prompt") && page.body.contains("/sign-in?next=/wishlist"));
    assert_eq!(stranger.call("wishlist/list", &[]).await.json(), serde_json::Value::Null);

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
    assert_eq!(listed["eligibility"]["CanReview"]["status"], "Pending");

    let review_id: String = sqlx::query_scalar("select id::text from reviews where user_id = $1").bind(buyer).fetch_one(&app.db).await.unwrap();
    let admin = support::admin(&app).await;
    assert_eq!(ada.call("admin/reviews/approve", &[("id", &review_id)]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(admin.call("admin/reviews/approve", &[("id", &review_id)]).await.status, StatusCode::OK);
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
    admin.call("admin/reviews/approve", &[("id", &review_id)]).await;
    let own = ada.call("reviews/helpful", &[("review_id", &review_id)]).await;
    assert_eq!(own.status, StatusCode::BAD_REQUEST);
}

/// Sold-out colours (every size reserved) and sold-out sizes in other colours, on top of the
/// demo catalogue's own sold-out variants, so stock really differs between colours.
async fn sell_out_some_variants(db: &PgPool) {
    sqlx::query(
        "update product_sizes ps set reserved = ps.stock from product_colours x, products p
         where ps.product_colour_id = x.id and x.product_id = p.id and x.sort_order = 0 and mod(abs(hashtext(p.slug)), 3) = 0",
    )
    .execute(db)
    .await
    .unwrap();
    sqlx::query(
        "update product_sizes ps set stock = 0 from product_colours x, sizes z
         where ps.product_colour_id = x.id and ps.size_id = z.id and x.sort_order = 1 and z.slug in ('m', 'standard')",
    )
    .execute(db)
    .await
    .unwrap();
}

/// The size of a listing by a plain `count(*)` over the tables, the reference the in-memory
/// filtering and facet counts must agree with.
async fn plain_count(db: &PgPool, scope: &Scope, pairs: &[(&str, &str)]) -> i64 {
    let all = |key: &str| pairs.iter().filter(|(k, _)| *k == key).map(|(_, v)| v.to_string()).collect::<Vec<_>>();
    let number = |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.parse::<i64>().unwrap());
    let (scope_sql, scope_value) = match scope {
        Scope::Category(slug) => ("exists (select 1 from product_categories pc join categories k on k.id = pc.category_id where pc.product_id = p.id and k.slug = $6)", slug),
        Scope::Collection(slug) => ("exists (select 1 from collection_products cp join collections k on k.id = cp.collection_id where cp.product_id = p.id and k.slug = $6)", slug),
        Scope::Search(q) => ("p.search_document @@ websearch_to_tsquery('english', $6)", q),
    };
    sqlx::query_scalar(&format!(
        "select count(*) from products p where p.is_live and {scope_sql}
         and (cardinality($1::text[]) = 0 or exists (select 1 from product_colours x join colours c on c.id = x.colour_id
                                                    where x.product_id = p.id and c.slug = any($1)))
         and ((cardinality($2::text[]) = 0 and not $3) or exists (
             select 1 from product_colours x join colours c on c.id = x.colour_id
             join product_sizes ps on ps.product_colour_id = x.id join sizes z on z.id = ps.size_id
             where x.product_id = p.id and (cardinality($2) = 0 or z.slug = any($2)) and (not $3 or ps.stock > ps.reserved)
               and (cardinality($1) = 0 or c.slug = any($1))))
         and ($4::bigint is null or p.effective_price_minor >= $4 * 100)
         and ($5::bigint is null or p.effective_price_minor <= $5 * 100 + 99)"
    ))
    .bind(all("colour"))
    .bind(all("size"))
    .bind(pairs.contains(&("stock", "1")))
    .bind(number("min"))
    .bind(number("max"))
    .bind(scope_value)
    .fetch_one(db)
    .await
    .unwrap()
}

/// Every facet value shown counts exactly the products listed after ticking it, and "In
/// stock only" counts exactly the listing with it ticked; each of those equals a plain count.
async fn assert_counts_are_results(app: &TestApp, scope: &Scope, pairs: &[(&str, &str)]) -> usize {
    let base = list(app, scope.clone(), pairs).await;
    assert_eq!(base.total, plain_count(&app.db, scope, pairs).await, "{scope:?} {pairs:?}: total");
    let values = base.facets.colours.iter().map(|v| ("colour", v)).chain(base.facets.sizes.iter().map(|v| ("size", v)));
    let mut checked = 0;
    for (key, value) in values {
        let mut chosen = pairs.to_vec();
        chosen.push((key, &value.slug));
        let after = list(app, scope.clone(), &chosen).await;
        assert_eq!(value.count, after.total, "{scope:?} {pairs:?}: {key} {} shows {} but lists {}", value.slug, value.count, after.total);
        assert_eq!(value.count, plain_count(&app.db, scope, &chosen).await, "{scope:?} {pairs:?}: {key} {}", value.slug);
        checked += 1;
    }
    let mut stocked = pairs.to_vec();
    stocked.push(("stock", "1"));
    assert_eq!(base.facets.in_stock_count, list(app, scope.clone(), &stocked).await.total, "{scope:?} {pairs:?}: in stock");
    assert_eq!(base.facets.in_stock_count, plain_count(&app.db, scope, &stocked).await, "{scope:?} {pairs:?}: in stock");
    checked
}

#[sqlx::test(migrations = "./migrations")]
async fn facet_counts_equal_the_results_of_choosing_them(db: PgPool) {
    let app = spawn(db).await;
    sell_out_some_variants(&app.db).await;
    // The reported case: with "In stock only", a colour counts products in stock in that colour.
    let audio = Scope::Category("audio".into());
    let stocked = list(&app, audio.clone(), &[("stock", "1")]).await;
    let unstocked = list(&app, audio.clone(), &[]).await;
    assert!(
        stocked.facets.colours.iter().zip(&unstocked.facets.colours).any(|(s, u)| s.count < u.count),
        "the fixture has colours sold out in some products"
    );
    let scopes = [hoodies(), audio, Scope::Collection("winter-edit".into()), Scope::Search("hoodie".into())];
    let mut checked = 0;
    for scope in &scopes {
        let all = list(&app, scope.clone(), &[]).await;
        let (c1, c2) = (all.facets.colours[0].slug.as_str(), all.facets.colours[1].slug.as_str());
        let (s1, s2) = (all.facets.sizes[0].slug.as_str(), all.facets.sizes[all.facets.sizes.len() / 2].slug.as_str());
        let combinations: [&[(&str, &str)]; 11] = [
            &[],
            &[("stock", "1")],
            &[("colour", c1)],
            &[("colour", c1), ("stock", "1")],
            &[("size", s1), ("stock", "1")],
            &[("size", s2)],
            &[("colour", c1), ("size", s2), ("stock", "1")],
            &[("colour", c1), ("colour", c2), ("stock", "1")],
            &[("size", s1), ("size", s2), ("colour", c2)],
            &[("min", "70"), ("max", "140"), ("stock", "1")],
            &[("colour", c2), ("max", "100")],
        ];
        for pairs in combinations {
            checked += assert_counts_are_results(&app, scope, pairs).await;
        }
    }
    assert!(checked > 200, "{checked} facet values checked");
}

/// One-letter typos of `word`: dropped, doubled (added), changed and two letters swapped.
fn typos(word: &str) -> [(&'static str, String); 4] {
    let w: Vec<char> = word.chars().collect();
    let mid = w.len() / 2;
    let mut dropped = w.clone();
    dropped.remove(mid);
    let mut added = w.clone();
    added.insert(mid, w[mid]);
    let mut changed = w.clone();
    changed[1] = if w[1] == 'z' { 'q' } else { 'z' };
    let mut swapped = w.clone();
    let at = (1..w.len() - 1).find(|&i| w[i] != w[i + 1]).unwrap_or(0);
    swapped.swap(at, at + 1);
    let text = |v: Vec<char>| v.into_iter().collect::<String>();
    [("dropped", text(dropped)), ("added", text(added)), ("changed", text(changed)), ("swapped", text(swapped))]
}

#[sqlx::test(migrations = "./migrations")]
async fn search_corrects_one_typo_in_any_catalogue_word(db: PgPool) {
    let app = spawn(db).await;
    // The reported case, and typos in a two-word query.
    for (typed, expected) in [("Costal", "Coastal"), ("Caostal", "Coastal"), ("Coastel", "Coastal"), ("costal hoodei", "Hoodie")] {
        let found = list(&app, Scope::Search(typed.into()), &[]).await;
        assert!(found.total > 0 && found.products[0].name.contains(expected), "{typed} finds {expected}: {:?}", found.products.first().map(|c| &c.name));
    }
    let words: Vec<String> = sqlx::query_scalar("select word from search_words where length(word) >= 5 order by word").fetch_all(&app.db).await.unwrap();
    assert!(words.len() > 40, "the word list holds the demo catalogue's words: {words:?}");
    let mut tried = 0;
    for word in &words {
        for (kind, typed) in typos(word) {
            let listing = list(&app, Scope::Search(typed.clone()), &[]).await;
            let found = listing.products.iter().any(|c| c.name.to_lowercase().contains(word.as_str())) || (word == "larkspur" && listing.total > 0);
            assert!(found, "{word} {kind} as “{typed}” finds it: {:?}", listing.products.iter().map(|c| &c.name).collect::<Vec<_>>());
            tried += 1;
        }
    }
    assert_eq!(tried, words.len() * 4);
    // Not every string is a typo of something.
    assert_eq!(list(&app, Scope::Search("zzzzqqq".into()), &[]).await.total, 0);
}

#[sqlx::test(migrations = "./migrations")]
async fn new_product_names_join_the_word_list(db: PgPool) {
    let app = spawn(db).await;
    sqlx::query("insert into products (name, slug, description, brand, price_minor) values ('Quokka Beanie', 'quokka-beanie', 'Warm.', 'Tundra', 2500)")
        .execute(&app.db).await.unwrap();
    for typed in ["Qokka", "Tunrda"] {
        let found = list(&app, Scope::Search(typed.into()), &[]).await;
        assert_eq!(found.products.first().map(|c| c.name.as_str()), Some("Quokka Beanie"), "{typed}");
    }
}

async fn count_rows(db: &PgPool, banner: Uuid) -> i64 {
    sqlx::query_scalar("select count(*) from banner_clicks where banner_id = $1 and anonymous_user_id is not null").bind(banner).fetch_one(db).await.unwrap()
}

/// The nonce of a page's Content-Security-Policy, which every inline script must carry.
fn csp_nonce(page: &Response) -> String {
    let policy = page.headers[axum::http::header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    let start = policy.find("'nonce-").expect("a nonce in the policy") + "'nonce-".len();
    policy[start..].split('\'').next().unwrap().to_owned()
}

#[sqlx::test(migrations = "./migrations")]
async fn pages_without_a_session_are_shared_until_something_on_them_changes(db: PgPool) {
    let app = spawn(db).await;
    let _listening = listening(&app).await;
    let (review, slug): (Uuid, String) = sqlx::query_as(
        "select r.id, p.slug from reviews r join products p on p.id = r.product_id where r.status = 'approved' and p.is_live order by r.created_at limit 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let page = format!("/p/{slug}");
    // Reviews are read afresh for every page rendered, and this change sends no
    // notification: whether an answer shows it tells whether the page was rendered for it.
    let unheard = |mark: &'static str| {
        let db = app.db.clone();
        async move {
            sqlx::query("alter table reviews disable trigger reviews_notify_storefront_changed").execute(&db).await.unwrap();
            sqlx::query("update reviews set comment = comment || $2 where id = $1").bind(review).bind(mark).execute(&db).await.unwrap();
            sqlx::query("alter table reviews enable trigger reviews_notify_storefront_changed").execute(&db).await.unwrap();
        }
    };

    let first = Client::new(&app).get(&page).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.set_cookies.is_empty(), "a page view alone starts no session");
    unheard(" (first mark)").await;
    let second = Client::new(&app).get(&page).await;
    assert!(!second.body.contains("(first mark)"), "a visitor without a session is served the kept page");
    let (n1, n2) = (csp_nonce(&first), csp_nonce(&second));
    assert_ne!(n1, n2, "every answer has its own nonce");
    assert!(second.body.contains(&format!("nonce=\"{n2}\"")) && !second.body.contains(&n1), "the kept page carries this answer's nonce only");
    assert_eq!(second.body.replace(&n2, &n1), first.body, "otherwise the same page");
    // A browser that takes gzip gets the kept bytes as they are, with its own nonce spliced in.
    let request = axum::http::Request::get(&page).header(axum::http::header::ACCEPT_ENCODING, "gzip, deflate, br");
    let zipped = Client::new(&app).request(request, axum::body::Body::empty()).await;
    assert_eq!(zipped.headers[axum::http::header::CONTENT_ENCODING], "gzip");
    let mut html = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(zipped.bytes.as_slice()), &mut html).unwrap();
    let n3 = csp_nonce(&zipped);
    assert!(n3 != n1 && n3 != n2);
    assert_eq!(html.replace(&n3, &n1), first.body);

    // A shopper with a session gets a page rendered for them.
    let shopper = Client::new(&app);
    shopper.accept_cookies().await;
    assert!(shopper.cookie("larkspur_session").is_some());
    assert!(shopper.get(&page).await.body.contains("(first mark)"));
    // So does a visitor who allowed analytics (their view is counted while rendering).
    let counted = Client::new(&app);
    counted.cookies.lock().unwrap().insert("larkspur_consent".into(), larkspur::consent::ConsentChoice { analytics: true, marketing: false }.to_cookie_value());
    assert!(counted.get(&page).await.body.contains("(first mark)"));

    // A change to what pages show beside the catalogue (a banner here) empties the kept pages.
    sqlx::query("update banners set title = title where false").execute(&app.db).await.unwrap();
    let started = std::time::Instant::now();
    while !Client::new(&app).get(&page).await.body.contains("(first mark)") {
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "a content change still not shown after a second");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // The home page follows the store's clock as well (its banners and articles start and
    // end on a schedule): it is kept for half a minute at most. Other pages wait for a change.
    let (banner, title): (Uuid, String) = sqlx::query_as(
        "select id, title from banners where is_active and coalesce(starts_at <= $1, true) and coalesce(ends_at > $1, true)
         order by sort_order limit 1",
    )
    .bind(app.clock_now())
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(Client::new(&app).get("/").await.body.contains(&title));
    sqlx::query("alter table banners disable trigger banners_edited_notify_storefront_changed").execute(&app.db).await.unwrap();
    sqlx::query("update banners set title = 'Scheduled elsewhere' where id = $1").bind(banner).execute(&app.db).await.unwrap();
    sqlx::query("alter table banners enable trigger banners_edited_notify_storefront_changed").execute(&app.db).await.unwrap();
    unheard(" (second mark)").await;
    assert!(Client::new(&app).get("/").await.body.contains(&title), "the kept home page");
    app.clock.advance(chrono::Duration::seconds(31));
    assert!(Client::new(&app).get("/").await.body.contains("Scheduled elsewhere"), "the home page after half a minute");
    assert!(!Client::new(&app).get(&page).await.body.contains("(second mark)"), "a product page is kept until something on it changes");
}
