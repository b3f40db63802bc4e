//! Review moderation in the dashboard against a real database: who may moderate, the
//! product's rating following every decision at once (also two at once), a rejection's
//! reason reaching its author and nobody else, the shop's public reply, and the queue.
#![cfg(feature = "ssr")]

mod support;

use axum::http::StatusCode;
use larkspur::seed::{ADMIN_EMAIL, ADMIN_PASSWORD, EDITOR_EMAIL, EDITOR_PASSWORD};
use sqlx::PgPool;
use support::{shop::count, *};
use uuid::Uuid;

/// A live product: its id and slug.
async fn product(db: &PgPool) -> (Uuid, String) {
    sqlx::query_as("select id, slug from products where is_live order by slug limit 1").fetch_one(db).await.unwrap()
}

/// A customer who bought `product` (a delivered order), signed in, with a pending review of
/// it rated `rating`: the browser and the review's id.
async fn reviewer(app: &TestApp, email: &str, product: Uuid, rating: u8) -> (Client, Uuid) {
    let user = create_user(&app.db, email, "correct horse battery", "customer").await;
    let order: Uuid = sqlx::query_scalar(
        "insert into orders (user_id, status, subtotal_minor, total_minor, email, phone, shipping_address, payment_method, idempotency_key)
         values ($1, 'delivered', 1000, 1000, $2, '+15550100100', '{}', 'cash_on_delivery', $2) returning id",
    )
    .bind(user)
    .bind(email)
    .fetch_one(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "insert into order_items (order_id, product_id, product_name, colour_name, size_label, sku, unit_price_minor, quantity, line_total_minor)
         values ($1, $2, 'x', 'x', 'x', 'x', 1000, 1, 1000)",
    )
    .bind(order)
    .bind(product)
    .execute(&app.db)
    .await
    .unwrap();
    let browser = signed_in_as(app, email, "correct horse battery").await;
    let id = product.to_string();
    let rating = rating.to_string();
    let res = browser
        .call("reviews/submit", &[("product_id", &id), ("rating", &rating), ("title", "Honest view"), ("comment", "It fits well and the fabric is soft.")])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let review: Uuid = sqlx::query_scalar("select id from reviews where user_id = $1").bind(user).fetch_one(&app.db).await.unwrap();
    (browser, review)
}

async fn rating(db: &PgPool, product: Uuid) -> (i32, i32) {
    sqlx::query_as("select rating_count, rating_sum from products where id = $1").bind(product).fetch_one(db).await.unwrap()
}

async fn status(db: &PgPool, review: Uuid) -> (String, Option<String>) {
    sqlx::query_as("select status, rejection_reason from reviews where id = $1").bind(review).fetch_one(db).await.unwrap()
}

/// The product's public reviews, as any shopper's browser reads them.
async fn public(app: &TestApp, product: Uuid) -> serde_json::Value {
    Client::new(app).call("reviews/list", &[("product_id", &product.to_string())]).await.json()
}

fn shows(reviews: &serde_json::Value, review: Uuid) -> Option<serde_json::Value> {
    reviews["reviews"].as_array().unwrap().iter().find(|r| r["id"] == review.to_string()).cloned()
}

#[sqlx::test(migrations = "./migrations")]
async fn only_staff_who_manage_customers_moderate_and_a_refusal_changes_nothing(db: PgPool) {
    let app = spawn(db).await;
    let (product, _) = product(&app.db).await;
    let (customer, review) = reviewer(&app, "ada@example.com", product, 5).await;
    let visitor = Client::new(&app);
    let editor = signed_in_as(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await;
    let before = rating(&app.db, product).await;
    let id = review.to_string();
    let calls: [(&str, Vec<(&str, &str)>); 6] = [
        ("admin/reviews/approve", vec![("id", &id)]),
        ("admin/reviews/reject", vec![("id", &id), ("reason", "Spam")]),
        ("admin/reviews/reopen", vec![("id", &id)]),
        ("admin/reviews/reply", vec![("id", &id), ("reply", "Thanks!")]),
        ("admin/reviews/remove-reply", vec![("id", &id), ("confirm", "remove")]),
        ("admin/reviews/bulk", vec![("ids[0]", &id), ("action", "approve")]),
    ];
    for (function, args) in &calls {
        assert_eq!(visitor.call(function, args).await.status, StatusCode::UNAUTHORIZED, "{function} signed out");
        assert_eq!(customer.call(function, args).await.status, StatusCode::FORBIDDEN, "{function} as a customer");
        assert_eq!(editor.call(function, args).await.status, StatusCode::FORBIDDEN, "{function} as an editor");
    }
    for page in ["/admin/reviews".to_owned(), format!("/admin/reviews/{review}")] {
        assert_eq!(visitor.get(&page).await.status, StatusCode::UNAUTHORIZED, "{page}");
        assert_eq!(customer.get(&page).await.status, StatusCode::FORBIDDEN, "{page}");
        assert_eq!(editor.get(&page).await.status, StatusCode::FORBIDDEN, "{page} as an editor");
    }
    assert_eq!(customer.call("admin/reviews/list", &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(status(&app.db, review).await, ("pending".to_owned(), None));
    assert_eq!(rating(&app.db, product).await, before);
    assert_eq!(count(&app.db, &format!("select count(*) from reviews where id = '{review}' and reply is not null")).await, 0);
    assert_eq!(count(&app.db, &format!("select count(*) from audit_log where entity_id = '{review}'")).await, 0);
    // The old endpoint is gone: moderation has one door.
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert!(admin.call("reviews/moderate", &[("review_id", &id), ("approve", "true")]).await.status.is_client_error());
    assert_eq!(status(&app.db, review).await.0, "pending");
}

#[sqlx::test(migrations = "./migrations")]
async fn every_decision_moves_the_products_rating_at_once_and_the_author_sees_why_it_was_rejected(db: PgPool) {
    let app = spawn(db).await;
    let (product, slug) = product(&app.db).await;
    let (customer, review) = reviewer(&app, "ada@example.com", product, 2).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (count0, sum0) = rating(&app.db, product).await;
    let id = review.to_string();
    assert!(shows(&public(&app, product).await, review).is_none(), "pending reviews are not public");

    // Approve: counted and shown at once, with the average the page shows.
    let res = admin.call("admin/reviews/approve", &[("id", &id)]).await;
    assert_eq!((res.status, res.json()), (StatusCode::OK, serde_json::json!(true)), "{}", res.body);
    assert_eq!(rating(&app.db, product).await, (count0 + 1, sum0 + 2));
    let listed = public(&app, product).await;
    assert!(shows(&listed, review).is_some());
    assert_eq!(listed["count"], i64::from(count0 + 1));
    assert_eq!(listed["average_x10"], larkspur::catalog::types::rating_avg_x10(sum0 + 2, count0 + 1), "{listed}");
    // Approving again changes and records nothing.
    assert_eq!(admin.call("admin/reviews/approve", &[("id", &id)]).await.json(), serde_json::json!(false));
    assert_eq!(rating(&app.db, product).await, (count0 + 1, sum0 + 2));

    // Reject an approved review: off the page and out of the rating, the reason kept.
    let reason = "Please leave out the delivery driver by name, then send it again.";
    let res = admin.call("admin/reviews/reject", &[("id", &id), ("reason", reason)]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(rating(&app.db, product).await, (count0, sum0));
    assert_eq!(status(&app.db, review).await, ("rejected".to_owned(), Some(reason.to_owned())));
    assert!(shows(&public(&app, product).await, review).is_none());
    // Its author sees the reason on their own review; other shoppers never do.
    let mine = customer.call("reviews/list", &[("product_id", &product.to_string())]).await.json();
    assert_eq!(mine["eligibility"]["CanReview"]["status"], "Rejected");
    assert_eq!(mine["eligibility"]["CanReview"]["rejection_reason"], reason);
    let page = customer.get(&format!("/p/{slug}")).await.body;
    let shown = page.find("data-testid=\"review-rejected\"").map(|at| &page[at..]).unwrap_or_else(|| panic!("no rejection notice: {}", &page[page.find("id=\"reviews\"").unwrap_or(0)..]));
    assert!(shown[..600.min(shown.len())].contains(reason), "the reason on the product page: {shown}");
    assert!(!Client::new(&app).get(&format!("/p/{slug}")).await.body.contains("delivery driver"), "nobody else sees it");

    // A rejected review approved later counts again, and its reason goes.
    admin.call("admin/reviews/approve", &[("id", &id)]).await;
    assert_eq!(rating(&app.db, product).await, (count0 + 1, sum0 + 2));
    assert_eq!(status(&app.db, review).await, ("approved".to_owned(), None));
    // Taken back to the queue: not counted until decided again.
    admin.call("admin/reviews/reopen", &[("id", &id)]).await;
    assert_eq!(rating(&app.db, product).await, (count0, sum0));
    assert_eq!(status(&app.db, review).await.0, "pending");

    // Each decision is in the audit log with the state before and after.
    let log: Vec<(String, serde_json::Value, serde_json::Value, String)> =
        sqlx::query_as("select action, before, after, actor_email from audit_log where entity_kind = 'review' and entity_id = $1 order by at, id")
            .bind(&id)
            .fetch_all(&app.db)
            .await
            .unwrap();
    let actions: Vec<&str> = log.iter().map(|(a, ..)| a.as_str()).collect();
    assert_eq!(actions, ["approve", "reject", "approve", "reopen"]);
    assert_eq!((log[1].1["status"].as_str(), log[1].2["status"].as_str(), log[1].2["rejection_reason"].as_str()), (Some("approved"), Some("rejected"), Some(reason)));
    assert!(log.iter().all(|(.., actor)| actor == ADMIN_EMAIL));

    // The author edits it after a rejection: back in the queue, the old reason gone.
    admin.call("admin/reviews/reject", &[("id", &id), ("reason", "Too short")]).await;
    let edited = [("product_id", product.to_string()), ("rating", "3".into()), ("title", String::new()), ("comment", "Better now: it keeps its shape after washing.".into())];
    let edited: Vec<(&str, &str)> = edited.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(customer.call("reviews/submit", &edited).await.status, StatusCode::OK);
    assert_eq!(status(&app.db, review).await, ("pending".to_owned(), None));
}

#[sqlx::test(migrations = "./migrations")]
async fn a_rejection_without_a_reason_is_a_field_error_and_changes_nothing(db: PgPool) {
    let app = spawn(db).await;
    let (product, _) = product(&app.db).await;
    let (_, review) = reviewer(&app, "ada@example.com", product, 4).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let id = review.to_string();
    let before = rating(&app.db, product).await;
    let res = admin.call("admin/reviews/reject", &[("id", &id), ("reason", "   ")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Say why"), "{}", res.body);
    let bare = admin.call("admin/reviews/reject", &[("id", &id)]).await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY, "no reason field at all");
    assert_eq!(status(&app.db, review).await, ("pending".to_owned(), None));
    assert_eq!(rating(&app.db, product).await, before);
    assert_eq!(count(&app.db, &format!("select count(*) from audit_log where entity_id = '{review}'")).await, 0);

    // Without JavaScript: back to the review's page, the message beside the field, the rest
    // of what was typed kept.
    let page = format!("/admin/reviews/{id}");
    let long = "x".repeat(501);
    let res = admin.post_form("admin/reviews/reject", &[("id", &id), ("reason", &long)], &page).await;
    assert_eq!(res.headers_location.as_deref(), Some(page.as_str()));
    let shown = admin.get(&page).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("id=\"field-reason-error\"") && shown.body.contains("Use at most 500 characters."), "beside the field");
    assert!(shown.body.contains(&long), "typed text kept");
    assert!(shown.body.contains("aria-invalid=\"true\""));
    assert_eq!(status(&app.db, review).await.0, "pending");

    // And with a reason, from the same page: the page says so.
    let res = admin.post_form("admin/reviews/reject", &[("id", &id), ("reason", "Mentions another shop.")], &page).await;
    assert_eq!(res.headers_location.as_deref(), Some(page.as_str()));
    let shown = admin.get(&page).await.body;
    assert!(shown.contains("Review rejected") && shown.contains("data-testid=\"rejection-reason\""), "{shown}");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_shops_reply_shows_under_the_review_and_can_be_edited_and_removed(db: PgPool) {
    let app = spawn(db).await;
    let (product, slug) = product(&app.db).await;
    let (_, review) = reviewer(&app, "ada@example.com", product, 5).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let id = review.to_string();
    let empty = admin.call("admin/reviews/reply", &[("id", &id), ("reply", " ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("Write a reply"));

    let res = admin.call("admin/reviews/reply", &[("id", &id), ("reply", "Thank you, Ada! Glad it fits.")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(shows(&public(&app, product).await, review).is_none(), "a reply does not publish a pending review");
    admin.call("admin/reviews/approve", &[("id", &id)]).await;
    let shown = shows(&public(&app, product).await, review).unwrap();
    assert_eq!(shown["reply"]["text"], "Thank you, Ada! Glad it fits.");
    assert_eq!(shown["reply"]["at"].as_str().map(|at| &at[..10]), Some("2026-11-22"));
    let page = Client::new(&app).get(&format!("/p/{slug}")).await.body;
    assert!(page.contains("Reply from Larkspur") && page.contains("Glad it fits.") && page.contains("22 November 2026"), "on the product page");

    admin.call("admin/reviews/reply", &[("id", &id), ("reply", "Thank you, Ada!")]).await;
    assert_eq!(shows(&public(&app, product).await, review).unwrap()["reply"]["text"], "Thank you, Ada!");
    // Removing asks for the confirm step.
    let unconfirmed = admin.call("admin/reviews/remove-reply", &[("id", &id)]).await;
    assert_eq!(unconfirmed.status, StatusCode::BAD_REQUEST);
    assert!(admin.get(&format!("/admin/reviews/{id}?confirm=remove-reply")).await.body.contains("data-testid=\"confirm-remove-reply\""));
    assert_eq!(admin.call("admin/reviews/remove-reply", &[("id", &id), ("confirm", "remove")]).await.status, StatusCode::OK);
    assert!(shows(&public(&app, product).await, review).unwrap()["reply"].is_null());
    let actions: Vec<String> = sqlx::query_scalar("select action from audit_log where entity_id = $1 order by at, id").bind(&id).fetch_all(&app.db).await.unwrap();
    assert_eq!(actions, ["reply", "approve", "reply", "remove_reply"]);
    let (before, after): (serde_json::Value, serde_json::Value) =
        sqlx::query_as("select before, after from audit_log where entity_id = $1 and action = 'remove_reply'").bind(&id).fetch_one(&app.db).await.unwrap();
    assert_eq!((before["reply"].as_str(), after["reply"].is_null()), (Some("Thank you, Ada!"), true));
}

#[sqlx::test(migrations = "./migrations")]
async fn two_decisions_on_one_product_at_once_leave_its_rating_right(db: PgPool) {
    let app = spawn(db).await;
    let (product, _) = product(&app.db).await;
    let mut reviews = Vec::new();
    for n in 0..6 {
        reviews.push(reviewer(&app, &format!("buyer{n}@example.com"), product, 1 + n % 5).await.1);
    }
    let admin = std::sync::Arc::new(signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await);
    let tasks: Vec<_> = reviews
        .iter()
        .map(|review| {
            let (admin, id) = (admin.clone(), review.to_string());
            tokio::spawn(async move { admin.call("admin/reviews/approve", &[("id", &id)]).await.status })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::OK);
    }
    let (count, sum) = rating(&app.db, product).await;
    let truth: (i64, i64) = sqlx::query_as("select count(*), coalesce(sum(rating), 0) from reviews where product_id = $1 and status = 'approved'")
        .bind(product)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!((i64::from(count), i64::from(sum)), truth);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_queue_puts_pending_first_filters_searches_and_approves_in_bulk(db: PgPool) {
    let app = spawn(db).await;
    let (product, slug) = product(&app.db).await;
    let (_, first) = reviewer(&app, "first@example.com", product, 3).await;
    let (_, second) = reviewer(&app, "second@example.com", product, 1).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = admin.get("/admin/reviews").await;
    assert_eq!(page.status, StatusCode::OK);
    let rows: Vec<&str> = page.body.split("data-testid=\"table-row\"").skip(1).collect();
    assert!(rows.len() >= 3, "the seeded approved reviews too");
    assert!(rows[..2].iter().all(|r| r.contains("Pending")), "pending first");
    assert!(rows[0].contains("second@example.com"), "then newest");
    assert!(rows[0].contains(&format!("href=\"/p/{slug}\"")), "the product links to its page");
    assert!(rows[0].contains(&format!("href=\"/admin/reviews/{second}\"")));
    assert!(page.body.contains("2 reviews wait for a decision."));

    let found = admin.get("/admin/reviews?q=FIRST%40example").await.body;
    assert_eq!(found.matches("data-testid=\"table-row\"").count(), 1, "by customer email");
    let one_star = admin.get("/admin/reviews?rating=1&status=pending").await.body;
    assert_eq!(one_star.matches("data-testid=\"table-row\"").count(), 1);
    assert!(one_star.contains("second@example.com"));

    let back = "/admin/reviews?status=pending";
    let (a, b) = (first.to_string(), second.to_string());
    let res = admin.post_form("admin/reviews/bulk", &[("ids[0]", &a), ("ids[1]", &b), ("action", "approve")], back).await;
    assert_eq!(res.headers_location.as_deref(), Some(back));
    assert!(admin.get(back).await.body.contains("2 reviews changed."));
    assert_eq!(count(&app.db, "select count(*) from reviews where status = 'pending'").await, 0);
    assert_eq!(admin.get("/admin/reviews?status=rejected").await.body.matches("data-testid=\"table-row\"").count(), 0);
    let detail = admin.get(&format!("/admin/reviews/{b}")).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.body.contains("second@example.com") && detail.body.contains("Approved"));
    assert_eq!(admin.get(&format!("/admin/reviews/{}", Uuid::now_v7())).await.status, StatusCode::NOT_FOUND);
}
