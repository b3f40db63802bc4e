//! Checkout server functions, one per step. Each checks everything it is given on the
//! server, keeps the choice in the session and sends the browser back to `/checkout`.
// Server functions take one argument per form field (the address step has ten), and the
// `#[server]` macro does not pass an item-level allow on to the browser side.
#![allow(clippy::too_many_arguments)]

use super::{CheckoutView, Place};
use crate::{auth::api::CodeSent, error::AppError};
use leptos::prelude::*;
use uuid::Uuid;

#[server(endpoint = "checkout/get")]
pub async fn get_checkout(edit: Option<String>) -> Result<CheckoutView, AppError> {
    use crate::server::ctx;
    ctx::respond(async move {
        let state = ctx::state()?;
        let session = ctx::session().await?;
        let data = session.data().await?;
        let user = crate::auth::server::current_user(&session, &data, &state.db).await?.map(|(id, _)| id);
        let edit = edit.as_deref().and_then(super::Step::parse);
        let view = super::server::view(&state, &session, user, edit, state.clock.now()).await?;
        crate::analytics::server::note(crate::analytics::Event::CheckoutStart).await;
        Ok(view)
    })
    .await
}

#[server(endpoint = "checkout/states")]
pub async fn get_states(country: Uuid) -> Result<Vec<Place>, AppError> {
    crate::server::ctx::respond(async move { Ok(super::server::states(&crate::server::ctx::state()?.db, country).await?) }).await
}

#[server(endpoint = "checkout/cities")]
pub async fn get_cities(state: Uuid) -> Result<Vec<Place>, AppError> {
    crate::server::ctx::respond(async move { Ok(super::server::cities(&crate::server::ctx::state()?.db, state).await?) }).await
}

/// Step 1: sends a six-digit code to the mobile number (the code machinery of sign-in:
/// same expiry, tries, cool-down and device lock). A signed-in customer whose number is
/// already verified only confirms the email.
#[server(endpoint = "checkout/contact")]
pub async fn checkout_send_code(email: String, phone: String) -> Result<Option<CodeSent>, AppError> {
    use crate::{
        auth::{
            server::{codes::Purpose, delivery, signin::Caller, users},
            types::{Channel, Email, Phone},
        },
        forms::server::{finish, Then},
    };
    let typed = [email.clone(), phone.clone()];
    let result = crate::server::ctx::respond(async move {
        let caller = Caller::current().await?;
        caller.ensure_unlocked().await?;
        // Both fields are checked, so both messages show at once.
        let mut errors = crate::error::FieldErrors::new();
        let email = Email::parse(&email).map_err(|m| errors.add("email", m)).ok();
        let phone = Phone::parse(&phone).map_err(|m| errors.add("phone", m)).ok();
        let (Some(email), Some(phone)) = (email, phone) else { return Err(AppError::Validation(errors)) };
        let phone = phone.as_str().to_owned();
        super::server::update_draft(&caller.session, |d| d.email = Some(email.as_str().to_owned())).await?;
        let signed_in = crate::auth::server::current_user(&caller.session, &caller.data, &caller.state.db).await?.map(|(id, _)| id);
        crate::server::limits::take_checkout_action(&caller.state, "contact", signed_in).await?;
        let owner = users::by_verified_phone(&caller.state.db, &phone).await?;
        // Whoever owns the number, the answer is the same texted code, after the same
        // limits: the page never tells which numbers have accounts. A signed-in customer
        // learns that the number is another account's only after proving it is theirs.
        let (purpose, for_user) = match (signed_in, &owner) {
            (Some(me), Some(owner)) if owner.id == me => {
                // Already proven (maybe as one of the account's other numbers): it becomes
                // the primary, which the order and its texts use.
                users::set_primary_verified(&caller.state.db, me, users::Contact::Phone(&phone), caller.now).await?;
                return Ok(None);
            }
            (Some(me), _) => (Purpose::VerifyPhone, Some(me)),
            (None, Some(owner)) => (Purpose::SignIn, Some(owner.id)),
            (None, None) => (Purpose::SignUp, None),
        };
        delivery::send_code(&caller, Channel::Sms, &phone, purpose, for_user).await.map(Some)
    })
    .await;
    let values = [("email", typed[0].as_str()), ("phone", typed[1].as_str())];
    finish("checkout-contact", &values, None, result, |sent| match sent {
        Some(sent) => Then::Stay { step: Some("verify"), notice: Some(sent.message()) },
        None => Then::Redirect("/checkout".into()),
    })
    .await
}

/// Step 1, second half: the code proves the number. A visitor becomes a customer here: the
/// account that owns the number (after the sign-in merge), or a new one bound to it.
#[server(endpoint = "checkout/verify")]
pub async fn checkout_verify_code(email: String, phone: String, code: String) -> Result<(), AppError> {
    use crate::{
        auth::{
            server::{codes::Purpose, delivery, signin::Caller, users},
            types::{Channel, Email, Method, OneTimeCode},
        },
        forms::server::{finish, Then},
    };
    let typed = [email.clone(), phone.clone()];
    let result = crate::server::ctx::respond(async move {
        let caller = Caller::current().await?;
        caller.ensure_unlocked().await?;
        let email = Email::parse(&email).map_err(|m| AppError::field("email", m))?;
        let phone = delivery::parse_destination(Channel::Sms, &phone)?;
        let code = OneTimeCode::parse(&code).map_err(|m| AppError::field("code", m))?;
        let db = &caller.state.db;
        let signed_in = crate::auth::server::current_user(&caller.session, &caller.data, db).await?.map(|(id, _)| id);
        crate::server::limits::take_checkout_action(&caller.state, "verify", signed_in).await?;
        let owner = users::by_verified_phone(db, &phone).await?;
        if signed_in.is_none() && owner.as_ref().is_some_and(|o| o.role().is_staff()) {
            // Staff sign in on the sign-in page, where their second factor is asked for.
            return Err(AppError::field("phone", "This number belongs to a staff account. Sign in on the sign-in page first, then come back to checkout."));
        }
        let (purpose, for_user) = match (signed_in, &owner) {
            (Some(me), _) => (Purpose::VerifyPhone, Some(me)),
            (None, Some(owner)) => (Purpose::SignIn, Some(owner.id)),
            (None, None) => (Purpose::SignUp, None),
        };
        caller.check_code(purpose, &phone, &code, for_user, Method::PhoneCode).await?;
        super::server::update_draft(&caller.session, |d| d.email = Some(email.as_str().to_owned())).await?;
        match (signed_in, owner) {
            (Some(me), Some(owner)) if owner.id != me => {
                return Err(AppError::field("phone", "This number belongs to another account. Sign out and sign in with it, or use another number."));
            }
            (Some(me), _) => {
                users::set_primary_verified(db, me, users::Contact::Phone(&phone), caller.now).await?;
            }
            (None, Some(owner)) => {
                caller.complete(&owner, Method::PhoneCode, "sign_in", "/checkout").await?;
            }
            (None, None) => {
                // The email is kept unverified, and only when no account has proven it. An
                // unverified claim never blocks anyone: another account's is let go.
                let email_free = users::by_verified_email(db, email.as_str()).await?.is_none();
                let mut tx = db.begin().await?;
                if email_free {
                    users::release_unverified(&mut tx, Some(email.as_str()), None, None).await?;
                }
                let user = users::create(
                    &mut tx,
                    users::NewUser {
                        email: email_free.then_some(email.as_str()),
                        email_verified: false,
                        phone: Some(&phone),
                        phone_verified: true,
                        name: "",
                        password_hash: None,
                    },
                    caller.now,
                )
                .await?;
                tx.commit().await?;
                caller.complete(&user, Method::PhoneCode, "sign_up", "/checkout").await?;
            }
        }
        Ok(())
    })
    .await;
    let values = [("email", typed[0].as_str()), ("phone", typed[1].as_str())];
    finish("checkout-contact", &values, Some("verify"), result, |_| Then::Redirect("/checkout".into())).await
}

/// Step 2: a saved address (`saved`), or a new one checked field by field.
#[server(endpoint = "checkout/address")]
pub async fn checkout_address(
    #[server(default)] saved: Option<Uuid>,
    #[server(default)] recipient_name: String,
    #[server(default)] phone: String,
    #[server(default)] line1: String,
    #[server(default)] line2: String,
    #[server(default)] country: Option<Uuid>,
    #[server(default)] state: Option<Uuid>,
    #[server(default)] city: Option<Uuid>,
    #[server(default)] postal_code: String,
    #[server(default)] make_default: bool,
) -> Result<(), AppError> {
    use crate::{
        auth::types::Phone,
        error::FieldErrors,
        forms::server::{finish, Then},
        server::ctx,
    };
    let id = |v: Option<Uuid>| v.map(|v| v.to_string()).unwrap_or_default();
    let typed = [
        ("recipient_name", recipient_name.clone()),
        ("phone", phone.clone()),
        ("line1", line1.clone()),
        ("line2", line2.clone()),
        ("country", id(country)),
        ("state", id(state)),
        ("city", id(city)),
        ("postal_code", postal_code.clone()),
    ];
    let result = ctx::respond(async move {
        let user = crate::auth::server::require_user().await?;
        let app = ctx::state()?;
        crate::server::limits::take_checkout_action(&app, "address", Some(user)).await?;
        let session = ctx::session().await?;
        let address_id = match saved {
            Some(saved) => {
                let mine = super::server::addresses(&app.db, user).await?.into_iter().any(|a| a.id == saved);
                if !mine {
                    return Err(AppError::field("saved", "Choose one of your addresses."));
                }
                saved
            }
            None => {
                let mut errors = FieldErrors::new();
                let text = |errors: &mut FieldErrors, field: &str, value: &str, label: &str, max: usize, required: bool| {
                    errors.text(field, value, max, required.then(|| format!("Enter the {label}.")).as_deref())
                };
                let recipient_name = text(&mut errors, "recipient_name", &recipient_name, "recipient's name", 100, true);
                let line1 = text(&mut errors, "line1", &line1, "street address", 200, true);
                let line2 = text(&mut errors, "line2", &line2, "second address line", 200, false);
                let phone = match Phone::parse(&phone) {
                    Ok(p) => p.as_str().to_owned(),
                    Err(m) => {
                        errors.add("phone", m);
                        String::new()
                    }
                };
                let chain = match (country, state, city) {
                    (None, _, _) => {
                        errors.add("country", "Choose a country.");
                        None
                    }
                    (Some(_), None, _) => {
                        errors.add("state", "Choose a state or region.");
                        None
                    }
                    (Some(_), Some(_), None) => {
                        errors.add("city", "Choose a city.");
                        None
                    }
                    (Some(country), Some(state), Some(city)) => {
                        let code = super::server::city_chain(&app.db, country, state, city).await?;
                        if code.is_none() {
                            errors.add("city", "Choose a city from the list for this state.");
                        }
                        code.map(|c| (c, city))
                    }
                };
                let postal = match &chain {
                    Some((code, _)) => match super::parse_postal_code(code, &postal_code) {
                        Ok(p) => p,
                        Err(m) => {
                            errors.add("postal_code", m);
                            String::new()
                        }
                    },
                    None if postal_code.trim().is_empty() => {
                        errors.add("postal_code", "Enter the postal code.");
                        String::new()
                    }
                    None => String::new(),
                };
                errors.into_result()?;
                let (_, city_id) = chain.expect("checked above");
                super::server::save_address(
                    &app.db,
                    app.config.checkout_limits.saved_addresses,
                    user,
                    super::server::NewAddress {
                        recipient_name: &recipient_name,
                        phone: &phone,
                        line1: &line1,
                        line2: &line2,
                        city_id,
                        postal_code: &postal,
                        make_default,
                    },
                )
                .await?
            }
        };
        super::server::update_draft(&session, |d| d.address_id = Some(address_id)).await?;
        Ok(())
    })
    .await;
    let values: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    finish("checkout-address", &values, None, result, |_| Then::Redirect("/checkout".into())).await
}

/// Step 3: delivery method and an optional promo code, checked now (and again when the
/// order is placed).
#[server(endpoint = "checkout/delivery")]
pub async fn checkout_delivery(delivery: String, #[server(default)] coupon: String) -> Result<(), AppError> {
    use crate::{
        pricing::DeliveryMethod,
        forms::server::{finish, Then},
        server::{ctx, limits},
    };
    let typed = [("delivery", delivery.clone()), ("coupon", coupon.clone())];
    let result = ctx::respond(async move {
        let user = crate::auth::server::require_user().await?;
        let app = ctx::state()?;
        limits::take_checkout_action(&app, "delivery", Some(user)).await?;
        let session = ctx::session().await?;
        let method = DeliveryMethod::parse(&delivery).ok_or_else(|| AppError::field("delivery", "Choose a delivery method."))?;
        let code = coupon.trim().to_owned();
        if !code.is_empty() {
            // Codes cannot be found by guessing: every code tried takes a place in the
            // customer's window first (one atomic step, so parallel posts cannot all pass).
            let now = app.clock.now();
            limits::take(&app, &format!("coupon-try:{user}"), super::server::COUPON_TRIES, now).await?;
            let data = session.data().await?;
            let cart = crate::cart::server::find(&app.db, &data).await?.ok_or_else(|| AppError::Rejected("Your cart is empty.".into()))?;
            let cart = crate::cart::server::view(&app.db, cart).await?;
            let mut conn = app.db.acquire().await?;
            let applied = crate::coupons::server::by_code(&mut conn, &code, user, false).await?;
            crate::coupons::server::discount_for(applied.as_ref(), now, cart.subtotal_minor(), &cart.currency)?;
        }
        super::server::update_draft(&session, |d| {
            d.delivery = Some(method);
            d.coupon = (!code.is_empty()).then_some(code);
        })
        .await?;
        Ok(())
    })
    .await;
    let values: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    finish("checkout-delivery", &values, None, result, |_| Then::Redirect("/checkout".into())).await
}

/// Step 4: places the order (idempotent by the checkout's key) and starts its payment.
/// Answers where the browser goes next: the order page, or the card payment page.
#[server(endpoint = "checkout/place")]
pub async fn place_order(key: String, payment: String, expected_total: i64) -> Result<String, AppError> {
    use crate::{
        forms::server::{finish, Then},
        orders::{server as orders, PaymentMethod},
        server::ctx,
    };
    let result = ctx::respond(async move {
        let user = crate::auth::server::require_user().await?;
        let app = ctx::state()?;
        crate::server::limits::take_checkout_action(&app, "place", Some(user)).await?;
        let session = ctx::session().await?;
        let now = app.clock.now();
        let payment = PaymentMethod::parse(&payment)
            .filter(|m| super::server::payment_methods(&app).contains(m))
            .ok_or_else(|| AppError::field("payment", "Choose how you'd like to pay."))?;
        let view = super::server::view(&app, &session, Some(user), None, now).await?;
        let draft = super::server::draft(&session).await?;
        if key != draft.key {
            // A stale form (an order from it was placed already): show that order.
            let placed: Option<i64> = sqlx::query_scalar("select number from orders where user_id = $1 and idempotency_key = $2")
                .bind(user)
                .bind(&key)
                .fetch_optional(&app.db)
                .await?;
            return placed
                .map(|n| format!("/account/orders/{n}"))
                .ok_or_else(|| AppError::Conflict("This checkout page is out of date. Please review your order again.".into()));
        }
        let (Some(contact), Some(address), Some(delivery)) = (view.contact, view.address, view.delivery) else {
            return Err(AppError::Rejected("Please complete every step before placing the order.".into()));
        };
        let data = session.data().await?;
        let cart = crate::cart::server::find(&app.db, &data).await?.ok_or_else(|| AppError::Rejected("Your cart is empty.".into()))?;
        let placed = orders::place(
            &app.db,
            &app.config.delivery,
            &app.config.holds,
            now,
            orders::Placement {
                user_id: user,
                cart_id: cart,
                email: &contact.email,
                phone: &contact.phone,
                address: &address.address,
                delivery,
                coupon_code: draft.coupon.as_deref(),
                payment,
                idempotency_key: &key,
                expected_total_minor: Some(expected_total),
            },
        )
        .await
        // The review step has no coupon field: a code that stopped applying is said plainly.
        .map_err(|e| match e.field_error("coupon") {
            Some(message) => AppError::Rejected(format!("{message} Remove it in step 3 to continue.")),
            None => e,
        })?;
        super::server::finish_draft(&session).await?;
        crate::analytics::server::note(crate::analytics::Event::OrderPlaced).await;
        if placed.payment != PaymentMethod::Stripe {
            return Ok(format!("/account/orders/{}?payment=placed", placed.number));
        }
        // The order stands whatever happens next: should the payment page not open, the
        // shopper lands on the order, where "Pay now" tries again.
        match crate::payments::server::start_checkout(&app, placed.order_id).await {
            Ok(url) => Ok(url),
            Err(err) => {
                tracing::warn!(error = %err, order = placed.number, "payment page did not open after placing");
                Ok(format!("/account/orders/{}?payment=unavailable", placed.number))
            }
        }
    })
    .await;
    finish("checkout-place", &[], None, result, |next| Then::Redirect(next.clone())).await
}
