//! Coupons in the dashboard against a real database: who may change them, every rule
//! checkout relies on checked before anything is stored, a code made here used at checkout
//! and then listed with its redemptions, and a switched-off code refused.
#![cfg(feature = "ssr")]

mod support;

use axum::http::StatusCode;
use larkspur::{
    orders::PaymentMethod,
    seed::{ADMIN_EMAIL, ADMIN_PASSWORD, EDITOR_EMAIL, EDITOR_PASSWORD},
};
use sqlx::PgPool;
use support::{shop::*, *};
use uuid::Uuid;

async fn coupon_id(db: &PgPool, code: &str) -> Uuid {
    sqlx::query_scalar("select id from coupons where code = $1::citext").bind(code).fetch_one(db).await.unwrap()
}

/// The form's fields for a coupon, with `changes` over a good fixed-amount code.
fn form<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("code", "Spring5"),
        ("description", "Five off in spring"),
        ("kind", "fixed"),
        ("value", "5.00"),
        ("min_order", "10.00"),
        ("starts_at", "2026-11-01T00:00"),
        ("expires_at", "2026-12-31T23:59"),
        ("usage_limit", "2"),
        ("per_user_limit", "1"),
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

#[sqlx::test(migrations = "./migrations")]
async fn only_staff_who_manage_orders_change_coupons_and_a_refusal_changes_nothing(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "cus@example.com", "correct horse battery", "customer").await;
    let visitor = Client::new(&app);
    let customer = signed_in_as(&app, "cus@example.com", "correct horse battery").await;
    let editor = signed_in_as(&app, EDITOR_EMAIL, EDITOR_PASSWORD).await;
    let welcome = coupon_id(&app.db, "WELCOME10").await.to_string();
    let before = count(&app.db, "select count(*) from coupons where is_active").await;
    let mut save = form(&[]);
    save.push(("id", &welcome));
    let calls: [(&str, Vec<(&str, &str)>); 7] = [
        ("admin/coupons/save", form(&[])),
        ("admin/coupons/save", save),
        ("admin/coupons/active", vec![("id", &welcome), ("action", "deactivate")]),
        ("admin/coupons/bulk", vec![("ids[0]", &welcome), ("action", "deactivate")]),
        ("admin/coupons/delete", vec![("id", &welcome), ("confirm", "delete")]),
        ("admin/coupons/editor", vec![("id", &welcome)]),
        ("admin/coupons/list", vec![]),
    ];
    for (function, args) in &calls {
        assert_eq!(visitor.call(function, args).await.status, StatusCode::UNAUTHORIZED, "{function} signed out");
        assert_eq!(customer.call(function, args).await.status, StatusCode::FORBIDDEN, "{function} as a customer");
        assert_eq!(editor.call(function, args).await.status, StatusCode::FORBIDDEN, "{function} as an editor");
    }
    for page in ["/admin/coupons".to_owned(), "/admin/coupons/new".to_owned(), format!("/admin/coupons/{welcome}")] {
        assert_eq!(visitor.get(&page).await.status, StatusCode::UNAUTHORIZED, "{page}");
        assert_eq!(customer.get(&page).await.status, StatusCode::FORBIDDEN, "{page}");
        assert_eq!(editor.get(&page).await.status, StatusCode::FORBIDDEN, "{page} as an editor");
    }
    assert_eq!(count(&app.db, "select count(*) from coupons where is_active").await, before);
    assert_eq!(count(&app.db, "select count(*) from coupons where code = 'Spring5'").await, 0);
    assert_eq!(count(&app.db, "select count(*) from coupons where code = 'WELCOME10' and value = 10 and kind = 'percent'").await, 1);
    assert_eq!(count(&app.db, "select count(*) from audit_log where entity_kind = 'coupon'").await, 0);
}

#[sqlx::test(migrations = "./migrations")]
async fn bad_coupons_get_field_errors_and_create_nothing(db: PgPool) {
    let app = spawn(db).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let coupons = count(&app.db, "select count(*) from coupons").await;
    let refused = |body: &str, field: &str, message: &str| {
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        let shown = json["Validation"][field][0].as_str().unwrap_or_default().to_owned();
        assert!(shown.contains(message), "{field}: {body}");
    };
    // (the form, the field refused, part of its message)
    let cases = [
        (form(&[("kind", "percent"), ("value", "150")]), "value", "from 1 to 100"),
        (form(&[("starts_at", "2026-12-10T09:00"), ("expires_at", "2026-12-01T09:00")]), "expires_at", "The expiry must be after the start."),
        (form(&[("code", "welcome10")]), "code", "Another coupon already has this code"),
        (form(&[("value", "5.001")]), "value", "Enter an amount like 49.00."),
        (form(&[("usage_limit", "0")]), "usage_limit", "Enter a whole number of 1 or more"),
    ];
    for (fields, field, message) in &cases {
        let res = admin.call("admin/coupons/save", fields).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {}", res.body);
        refused(&res.body, field, message);
    }
    assert_eq!(count(&app.db, "select count(*) from coupons").await, coupons, "nothing created");
    assert_eq!(count(&app.db, "select count(*) from audit_log where entity_kind = 'coupon'").await, 0);

    // The total limit may not fall below the uses already made.
    let created = admin.call("admin/coupons/save", &form(&[("usage_limit", "5"), ("per_user_limit", "")])).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let id = created.json().as_str().unwrap().to_owned();
    sqlx::query("update coupons set times_used = 3 where id = $1::uuid").bind(&id).execute(&app.db).await.unwrap();
    let mut lower = form(&[("usage_limit", "2"), ("per_user_limit", "")]);
    lower.push(("id", &id));
    let res = admin.call("admin/coupons/save", &lower).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused(&res.body, "usage_limit", "used 3 times already");
    assert_eq!(count(&app.db, &format!("select usage_limit::bigint from coupons where id = '{id}'")).await, 5, "unchanged");
    // Another coupon's code in other letters is refused on an edit too.
    let mut taken = form(&[("code", "SAVE20")]);
    taken.push(("id", &id));
    refused(&admin.call("admin/coupons/save", &taken).await.body, "code", "Another coupon already has this code");

    // Without JavaScript: back to the form, every message beside its field, what was typed kept.
    let bad = form(&[("code", "Save20"), ("kind", "percent"), ("value", "150"), ("starts_at", "2026-12-10T09:00"), ("expires_at", "2026-12-01T09:00")]);
    let res = admin.post_form("admin/coupons/save", &bad, "/admin/coupons/new").await;
    assert_eq!(res.headers_location.as_deref(), Some("/admin/coupons/new"));
    let page = admin.get("/admin/coupons/new").await.body;
    for (id, message) in [("field-code-error", "Another coupon"), ("field-value-error", "from 1 to 100"), ("field-expires_at-error", "after the start")] {
        let at = page.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("{id} missing"));
        assert!(page[at..at + 200].contains(message), "{id}");
    }
    assert!(page.contains("value=\"150\"") && page.contains("value=\"Save20\"") && page.contains("value=\"2026-12-10T09:00\""), "typed values stay");
    assert_eq!(count(&app.db, "select count(*) from coupons").await, coupons + 1, "only the one good coupon");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_coupon_made_here_works_at_checkout_and_lists_its_redemptions(db: PgPool) {
    let app = spawn_configured(db, &redis_url(), &[("CHECKOUT_ACTIONS_PER_CUSTOMER", "100")]).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let created = admin.call("admin/coupons/save", &form(&[])).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let id: Uuid = created.json().as_str().unwrap().parse().unwrap();
    let stored: (String, String, i64, i64, Option<i32>, Option<i32>, String) =
        sqlx::query_as("select code::text, kind, value, min_order_minor, usage_limit, per_user_limit, currency::text from coupons where id = $1")
            .bind(id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(stored, ("Spring5".into(), "fixed".into(), 500, 1000, Some(2), Some(1), "USD".into()));
    let (action, after): (String, serde_json::Value) =
        sqlx::query_as("select action, after from audit_log where entity_kind = 'coupon' and entity_id = $1").bind(id.to_string()).fetch_one(&app.db).await.unwrap();
    assert_eq!((action.as_str(), after["value"].as_i64(), after["code"].as_str()), ("create", Some(500), Some("Spring5")));

    // Two shoppers use it through checkout, in any letters.
    let variant = variant_with_stock(&app.db, 10).await;
    let mut numbers = Vec::new();
    for n in 1..=2 {
        let (user, cart) = shopper(&app.db, n, &[(variant, 1)]).await;
        let browser = signed_in(&app, user).await;
        let quoted = browser.call("checkout/delivery", &[("delivery", "standard"), ("coupon", "SPRING5")]).await;
        assert_eq!(quoted.status, StatusCode::OK, "the checkout step accepts it: {}", quoted.body);
        let placed = place(&app, user, cart, &format!("k{n}"), Some("spring5"), PaymentMethod::CashOnDelivery).await.unwrap();
        let discount: i64 = sqlx::query_scalar("select discount_minor from orders where id = $1").bind(placed.order_id).fetch_one(&app.db).await.unwrap();
        assert_eq!(discount, 500);
        numbers.push(placed.number);
        let editor = admin.call("admin/coupons/editor", &[("id", &id.to_string())]).await.json();
        assert_eq!(editor["coupon"]["times_used"], n as i64);
        assert_eq!(editor["redemptions"].as_array().unwrap().len(), n);
        assert_eq!(editor["redemptions"][0]["order_number"], placed.number, "newest first");
        assert_eq!(editor["redemptions"][0]["email"], format!("buyer{n}@example.com"));
        assert_eq!(editor["redemptions"][0]["discount_minor"], 500);
        let page = admin.get(&format!("/admin/coupons/{id}")).await.body;
        assert!(page.contains(&format!("Used {n} of 2 times; {} remaining.", 2 - n)), "remaining uses go down");
        assert!(page.contains(&format!("href=\"/admin/orders/{}\"", placed.number)) && page.contains(&format!("buyer{n}@example.com")) && page.contains("$5.00"));
    }
    let list = admin.get("/admin/coupons?q=spring").await.body;
    assert_eq!(list.matches("data-testid=\"table-row\"").count(), 1);
    assert!(list.contains("2 / 2") && list.contains("Used up"), "the list shows it used up");
    // A used coupon is never deleted; the limit cannot drop below its two uses.
    let deleted = admin.call("admin/coupons/delete", &[("id", &id.to_string()), ("confirm", "delete")]).await;
    assert_eq!(deleted.status, StatusCode::CONFLICT, "{}", deleted.body);
    assert!(!admin.get(&format!("/admin/coupons/{id}")).await.body.contains("Delete coupon"), "not offered");
    let (user, cart) = shopper(&app.db, 3, &[(variant, 1)]).await;
    let err = place(&app, user, cart, "k3", Some("SPRING5"), PaymentMethod::CashOnDelivery).await.unwrap_err();
    assert_eq!(err.field_error("coupon").as_deref(), Some("That code has been used up."));
    assert_eq!(numbers.len(), 2);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_deactivated_coupon_is_refused_at_checkout_until_it_is_switched_on_again(db: PgPool) {
    let app = spawn_configured(db, &redis_url(), &[("CHECKOUT_ACTIONS_PER_CUSTOMER", "100")]).await;
    let admin = signed_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let id = admin.call("admin/coupons/save", &form(&[("usage_limit", ""), ("per_user_limit", "")])).await.json().as_str().unwrap().to_owned();
    let res = admin.post_form("admin/coupons/active", &[("id", &id), ("action", "deactivate")], &format!("/admin/coupons/{id}")).await;
    assert_eq!(res.headers_location, Some(format!("/admin/coupons/{id}")));
    let page = admin.get(&format!("/admin/coupons/{id}")).await.body;
    assert!(page.contains("1 coupon deactivated.") && page.contains("Inactive"), "the page says so");

    let variant = variant_with_stock(&app.db, 10).await;
    let (user, cart) = shopper(&app.db, 1, &[(variant, 1)]).await;
    let browser = signed_in(&app, user).await;
    let quoted = browser.call("checkout/delivery", &[("delivery", "standard"), ("coupon", "spring5")]).await;
    assert_eq!(quoted.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(quoted.body.contains("recognise that code"), "{}", quoted.body);
    let err = place(&app, user, cart, "k1", Some("spring5"), PaymentMethod::CashOnDelivery).await.unwrap_err();
    assert_eq!(err.field_error("coupon").as_deref(), Some("We don't recognise that code. Check it and try again."));
    assert_eq!(count(&app.db, "select count(*) from coupon_redemptions").await, 0);
    assert_eq!(count(&app.db, &format!("select count(*) from cart_items where cart_id = '{cart}'")).await, 1, "the cart is untouched");

    // The list's filters find it; a bulk action switches it on again (one entry each).
    assert!(admin.get("/admin/coupons?status=inactive").await.body.contains("Spring5"));
    assert!(!admin.get("/admin/coupons?status=active").await.body.contains("Spring5"));
    let welcome = coupon_id(&app.db, "WELCOME10").await.to_string();
    let res = admin.call("admin/coupons/bulk", &[("ids[0]", &id), ("ids[1]", &welcome), ("action", "activate")]).await;
    assert_eq!(res.json(), 1, "WELCOME10 was already on");
    assert!(place(&app, user, cart, "k2", Some("spring5"), PaymentMethod::CashOnDelivery).await.is_ok());
    let actions: Vec<String> = sqlx::query_scalar("select action from audit_log where entity_id = $1 order by at, id").bind(&id).fetch_all(&app.db).await.unwrap();
    assert_eq!(actions, ["create", "deactivate", "activate"]);

    // An unused code can be deleted, after the confirm step.
    let unused = admin.call("admin/coupons/save", &form(&[("code", "NEVER-USED")])).await.json().as_str().unwrap().to_owned();
    assert_eq!(admin.call("admin/coupons/delete", &[("id", &unused)]).await.status, StatusCode::BAD_REQUEST);
    assert!(admin.get(&format!("/admin/coupons/{unused}?confirm=delete")).await.body.contains("data-testid=\"confirm-delete\""));
    let res = admin.post_form("admin/coupons/delete", &[("id", &unused), ("confirm", "delete")], &format!("/admin/coupons/{unused}")).await;
    assert_eq!(res.headers_location.as_deref(), Some("/admin/coupons?deleted=1"));
    assert_eq!(count(&app.db, "select count(*) from coupons where code = 'NEVER-USED'").await, 0);
    assert_eq!(count(&app.db, &format!("select count(*) from audit_log where entity_id = '{unused}' and action = 'delete'")).await, 1);
}
