//! The checkout's steps over HTTP as an attacker would try them: guessing promo codes in
//! parallel, probing which numbers have accounts, squatting someone's email, redeeming a
//! texted code from another browser, and looping the steps past their ceilings.
#![cfg(feature = "ssr")]

mod support;

use axum::http::{header, StatusCode};
use sqlx::PgPool;
use std::sync::Arc;
use support::{shop::*, *};
use uuid::Uuid;

#[sqlx::test(migrations = "./migrations")]
async fn thirty_promo_codes_at_once_are_ten_tries_and_twenty_refusals(db: PgPool) {
    let app = spawn_configured(db, &redis_url(), &[("CHECKOUT_ACTIONS_PER_CUSTOMER", "100"), ("CHECKOUT_ACTIONS_PER_CLIENT", "100")]).await;
    let variant = variant_with_stock(&app.db, 5).await;
    let (user, _) = shopper(&app.db, 1, &[(variant, 1)]).await;
    let browser = Arc::new(signed_in(&app, user).await);
    let posts: Vec<_> = (0..30)
        .map(|n| {
            let browser = browser.clone();
            tokio::spawn(async move { browser.call("checkout/delivery", &[("delivery", "standard"), ("coupon", &format!("GUESS{n}"))]).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for post in posts {
        statuses.push(post.await.unwrap().status);
    }
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((checked, refused), (10, 20), "{statuses:?}");
}

/// A signed-out visitor's contact step for `phone`: the status and the answer, with the
/// number's last digits taken out.
async fn contact(browser: &Client, phone: &str) -> (StatusCode, String) {
    let res = browser.call("checkout/contact", &[("email", "someone@example.com"), ("phone", phone)]).await;
    (res.status, res.body.replace(&phone[phone.len() - 4..], "####"))
}

#[sqlx::test(migrations = "./migrations")]
async fn numbers_with_and_without_accounts_get_the_same_answers(db: PgPool) {
    let app = spawn(db).await;
    let registered = "+15555550177";
    let owner = create_user(&app.db, "owner@example.com", "correct horse battery", "customer").await;
    sqlx::query("update users set phone = $2, phone_verified_at = now() where id = $1").bind(owner).bind(registered).execute(&app.db).await.unwrap();
    let unregistered = "+15555550188";
    let browser = Client::new(&app);
    browser.accept_cookies().await;
    // Alternating, until and after the sending limits are spent: every pair alike.
    for round in 0..8 {
        let a = contact(&browser, registered).await;
        let b = contact(&browser, unregistered).await;
        assert_eq!(a, b, "round {round}");
        assert!(!a.1.contains("another account"));
        if round == 0 {
            assert_eq!(a.0, StatusCode::OK, "{}", a.1);
        }
    }
    assert_eq!(contact(&browser, registered).await.0, StatusCode::TOO_MANY_REQUESTS, "the same limit for both");

    app.clock.advance(chrono::Duration::minutes(15));
    // Signed in, another account's number gets a code like any other; that it is taken is
    // said only to whoever proves to hold it.
    let me = create_user(&app.db, "me@example.com", "correct horse battery", "customer").await;
    let mine = signed_in(&app, me).await;
    let res = mine.call("checkout/contact", &[("email", "me@example.com"), ("phone", registered)]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(!res.body.contains("another account"));
    let code = latest_sms_code(&app, registered);
    let res = mine.call("checkout/verify", &[("email", "me@example.com"), ("phone", registered), ("code", &code)]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("belongs to another account"), "{}", res.body);
    let phone: Option<String> = sqlx::query_scalar("select phone from users where id = $1").bind(me).fetch_one(&app.db).await.unwrap();
    assert_eq!(phone, None, "the number stays with its owner");
}

/// A signed-out browser through the contact step with `email` and `phone`.
async fn verified_visitor(app: &TestApp, email: &str, phone: &str) -> Client {
    let browser = Client::new(app);
    browser.accept_cookies().await;
    let res = browser.call("checkout/contact", &[("email", email), ("phone", phone)]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let code = latest_sms_code(app, phone);
    let res = browser.call("checkout/verify", &[("email", email), ("phone", phone), ("code", &code)]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    browser
}

#[sqlx::test(migrations = "./migrations")]
async fn an_email_typed_by_someone_else_never_blocks_its_owner(db: PgPool) {
    let app = spawn(db).await;
    verified_visitor(&app, "victim@example.com", "+15555550111").await;
    // The owner of the address checks out later with their own number.
    verified_visitor(&app, "victim@example.com", "+15555550122").await;
    let holders: Vec<(Option<String>, String)> =
        sqlx::query_as("select email::text, phone from users where phone in ('+15555550111', '+15555550122') order by phone")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(
        holders,
        vec![(None, "+15555550111".to_owned()), (Some("victim@example.com".to_owned()), "+15555550122".to_owned())],
        "the squatter's unproven claim was let go"
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn a_texted_code_works_only_in_the_browser_that_asked_for_it(db: PgPool) {
    let app = spawn(db).await;
    let phone = "+15555550133";
    let asker = Client::new(&app);
    asker.accept_cookies().await;
    assert_eq!(asker.call("checkout/contact", &[("email", "a@example.com"), ("phone", phone)]).await.status, StatusCode::OK);
    let code = latest_sms_code(&app, phone);
    let thief = Client::new(&app);
    thief.accept_cookies().await;
    let stolen = thief.call("checkout/verify", &[("email", "t@example.com"), ("phone", phone), ("code", &code)]).await;
    assert_eq!(stolen.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", stolen.body);
    assert_eq!(count(&app.db, "select count(*) from users where phone = '+15555550133'").await, 0);
    let own = asker.call("checkout/verify", &[("email", "a@example.com"), ("phone", phone), ("code", &code)]).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
}

#[sqlx::test(migrations = "./migrations")]
async fn checkout_steps_have_ceilings_that_say_when_to_come_back(db: PgPool) {
    let vars = [("CHECKOUT_ACTIONS_PER_CUSTOMER", "3"), ("CHECKOUT_ACTIONS_PER_CLIENT", "5")];
    let app = spawn_configured(db, &redis_url(), &vars).await;
    let variant = variant_with_stock(&app.db, 5).await;
    let (first, _) = shopper(&app.db, 1, &[(variant, 1)]).await;
    let (second, _) = shopper(&app.db, 2, &[(variant, 1)]).await;
    let one = signed_in(&app, first).await;
    let (country, state, city) = san_francisco(&app.db).await;
    assert_eq!(one.call("checkout/address", &address_fields("1 Market Street", &country, &state, &city)).await.status, StatusCode::OK);
    for _ in 0..3 {
        assert_eq!(one.call("checkout/delivery", &[("delivery", "standard")]).await.status, StatusCode::OK);
    }
    let refused = one.call("checkout/delivery", &[("delivery", "standard")]).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers.get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).expect("Retry-After");
    assert!((3000..=3600).contains(&wait), "{wait}");
    // Without JavaScript the message is on the page, the URL clean.
    let plain = one.post_form("checkout/delivery", &[("delivery", "express")], "/checkout?edit=delivery").await;
    assert_eq!(plain.headers_location.as_deref(), Some("/checkout?edit=delivery"));
    let page = one.get("/checkout?edit=delivery").await.body;
    assert!(page.contains("Please wait") && page.contains("minutes before trying again"), "the page says how long");
    // Each action counts on its own, and one client address has its own ceiling.
    let two = signed_in(&app, second).await;
    for _ in 0..2 {
        assert_eq!(two.call("checkout/delivery", &[("delivery", "standard")]).await.status, StatusCode::OK);
    }
    let res = two.call("checkout/delivery", &[("delivery", "standard")]).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "the client's five are used");
    assert_ne!(two.call("orders/cancel", &[("number", "1")]).await.status, StatusCode::TOO_MANY_REQUESTS);
}

/// The ids of San Francisco, its state and its country, as the address form posts them.
async fn san_francisco(db: &PgPool) -> (String, String, String) {
    let (country, state, city): (Uuid, Uuid, Uuid) = sqlx::query_as(
        "select co.id, s.id, ci.id from cities ci join states s on s.id = ci.state_id join countries co on co.id = s.country_id
         where co.code = 'US' and ci.name = 'San Francisco'",
    )
    .fetch_one(db)
    .await
    .unwrap();
    (country.to_string(), state.to_string(), city.to_string())
}

fn address_fields<'a>(line1: &'a str, country: &'a str, state: &'a str, city: &'a str) -> [(&'static str, &'a str); 7] {
    [
        ("recipient_name", "Ada Lovelace"),
        ("phone", "+15555550100"),
        ("line1", line1),
        ("country", country),
        ("state", state),
        ("city", city),
        ("postal_code", "94105"),
    ]
}

#[sqlx::test(migrations = "./migrations")]
async fn a_customer_keeps_only_so_many_addresses(db: PgPool) {
    let app = spawn_configured(db, &redis_url(), &[("MAX_SAVED_ADDRESSES", "2")]).await;
    let variant = variant_with_stock(&app.db, 5).await;
    let (user, _) = shopper(&app.db, 1, &[(variant, 1)]).await;
    let browser = signed_in(&app, user).await;
    let (country, state, city) = san_francisco(&app.db).await;
    for n in 1..=3 {
        let line1 = format!("{n} Market Street");
        let res = browser.call("checkout/address", &address_fields(&line1, &country, &state, &city)).await;
        if n <= 2 {
            assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        } else {
            assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(res.body.contains("the most we keep"), "{}", res.body);
        }
    }
    assert_eq!(count(&app.db, &format!("select count(*) from addresses where user_id = '{user}'")).await, 2);
}
