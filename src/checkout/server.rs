//! Checkout state kept in the session between steps (nothing in it is trusted for money:
//! totals are computed again from the catalogue every time), addresses and the lists of
//! places staff keep.

use super::{Contact, CheckoutView, Place, SavedAddress, Step};
use crate::{
    coupons::server as coupons,
    error::AppError,
    orders::{AddressSnapshot, PaymentMethod},
    pricing::{DeliveryMethod, DeliveryRates, Totals},
    server::{limits::Window, session::AppSession, state::AppState},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

const DRAFT_KEY: &str = "checkout";

/// Promo codes a customer may try before a pause: enough for typos, too few to find codes
/// by guessing.
pub const COUPON_TRIES: Window = Window { limit: 10, period: chrono::TimeDelta::minutes(15) };

/// The shopper's choices so far.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Draft {
    /// The idempotency key of this checkout's order.
    pub key: String,
    pub email: Option<String>,
    pub address_id: Option<Uuid>,
    pub delivery: Option<DeliveryMethod>,
    pub coupon: Option<String>,
}

pub async fn draft(session: &AppSession) -> Result<Draft, AppError> {
    let mut draft: Draft = session.get(DRAFT_KEY).await?.unwrap_or_default();
    if draft.key.is_empty() {
        draft.key = Uuid::now_v7().to_string();
        session.put(DRAFT_KEY, &draft).await?;
    }
    Ok(draft)
}

pub async fn update_draft(session: &AppSession, change: impl FnOnce(&mut Draft)) -> Result<Draft, AppError> {
    let mut d = draft(session).await?;
    change(&mut d);
    session.put(DRAFT_KEY, &d).await?;
    Ok(d)
}

/// After an order is placed the next checkout starts afresh (with a new key).
pub async fn finish_draft(session: &AppSession) -> Result<(), AppError> {
    let old = draft(session).await?;
    let next = Draft { key: Uuid::now_v7().to_string(), email: old.email, ..Default::default() };
    session.put(DRAFT_KEY, &next).await
}

pub fn payment_methods(state: &AppState) -> Vec<PaymentMethod> {
    let mut methods = Vec::new();
    if state.config.stripe.is_some() {
        methods.push(PaymentMethod::Stripe);
    }
    methods.push(PaymentMethod::CashOnDelivery);
    if state.config.bank_transfer_details.is_some() {
        methods.push(PaymentMethod::BankTransfer);
    }
    methods
}

pub async fn addresses(db: &PgPool, user_id: Uuid) -> Result<Vec<SavedAddress>, sqlx::Error> {
    let rows: Vec<(Uuid, String, String, String, String, String, String, String, String, String, bool)> = sqlx::query_as(
        "select a.id, a.recipient_name, a.phone, a.line1, a.line2, ci.name, s.name, co.name, co.code::text, a.postal_code, a.is_default
         from addresses a join cities ci on ci.id = a.city_id join states s on s.id = ci.state_id join countries co on co.id = s.country_id
         where a.user_id = $1 order by a.is_default desc, a.created_at desc",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, recipient_name, phone, line1, line2, city, state, country, country_code, postal_code, is_default)| SavedAddress {
            id,
            address: AddressSnapshot { recipient_name, phone, line1, line2, city, state, country, country_code, postal_code },
            is_default,
        })
        .collect())
}

pub async fn countries(db: &PgPool) -> Result<Vec<Place>, sqlx::Error> {
    places(db, "select id, name from countries where is_active order by sort_order, name", None).await
}

pub async fn states(db: &PgPool, country: Uuid) -> Result<Vec<Place>, sqlx::Error> {
    places(
        db,
        "select s.id, s.name from states s join countries c on c.id = s.country_id
         where s.country_id = $1 and s.is_active and c.is_active order by s.name",
        Some(country),
    )
    .await
}

pub async fn cities(db: &PgPool, state: Uuid) -> Result<Vec<Place>, sqlx::Error> {
    places(
        db,
        "select ci.id, ci.name from cities ci join states s on s.id = ci.state_id join countries c on c.id = s.country_id
         where ci.state_id = $1 and ci.is_active and s.is_active and c.is_active order by ci.name",
        Some(state),
    )
    .await
}

async fn places(db: &PgPool, sql: &str, parent: Option<Uuid>) -> Result<Vec<Place>, sqlx::Error> {
    let mut query = sqlx::query_as::<_, (Uuid, String)>(sql);
    if let Some(parent) = parent {
        query = query.bind(parent);
    }
    Ok(query.fetch_all(db).await?.into_iter().map(|(id, name)| Place { id, name }).collect())
}

/// An active city's chain: (country code, that the city lies in `state` in `country`).
pub async fn city_chain(db: &PgPool, country: Uuid, state: Uuid, city: Uuid) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select co.code::text from cities ci join states s on s.id = ci.state_id join countries co on co.id = s.country_id
         where ci.id = $3 and s.id = $2 and co.id = $1 and ci.is_active and s.is_active and co.is_active",
    )
    .bind(country)
    .bind(state)
    .bind(city)
    .fetch_optional(db)
    .await
}

pub struct NewAddress<'a> {
    pub recipient_name: &'a str,
    pub phone: &'a str,
    pub line1: &'a str,
    pub line2: &'a str,
    pub city_id: Uuid,
    pub postal_code: &'a str,
    pub make_default: bool,
}

/// Saves a new address of `user_id`, who may keep at most `most` of them.
pub async fn save_address(db: &PgPool, most: i64, user_id: Uuid, a: NewAddress<'_>) -> Result<Uuid, AppError> {
    let mut tx = db.begin().await?;
    // Serialised per customer, so parallel posts cannot pass the ceiling together.
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 0))").bind(format!("addresses:{user_id}")).execute(&mut *tx).await?;
    let saved: i64 = sqlx::query_scalar("select count(*) from addresses where user_id = $1").bind(user_id).fetch_one(&mut *tx).await?;
    if saved >= most {
        return Err(AppError::field(
            "line1",
            format!("You already have {saved} saved addresses, the most we keep. Choose one of them above instead."),
        ));
    }
    let has_default: bool = sqlx::query_scalar("select exists(select 1 from addresses where user_id = $1 and is_default)")
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
    // The first address is the default whether or not the box was ticked.
    let make_default = a.make_default || !has_default;
    if make_default {
        sqlx::query("update addresses set is_default = false where user_id = $1 and is_default").bind(user_id).execute(&mut *tx).await?;
    }
    let id: Uuid = sqlx::query_scalar(
        "insert into addresses (user_id, recipient_name, phone, line1, line2, city_id, postal_code, is_default)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
    )
    .bind(user_id)
    .bind(a.recipient_name)
    .bind(a.phone)
    .bind(a.line1)
    .bind(a.line2)
    .bind(a.city_id)
    .bind(a.postal_code)
    .bind(make_default)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Everything the checkout page shows, computed from the cart, the account and the draft.
pub async fn view(state: &AppState, session: &AppSession, user_id: Option<Uuid>, edit: Option<Step>, now: DateTime<Utc>) -> Result<CheckoutView, AppError> {
    let db = &state.db;
    let data = session.data().await?;
    let draft = draft(session).await?;
    let cart = match crate::cart::server::find(db, &data).await? {
        Some(cart) => crate::cart::server::view(db, cart).await?,
        None => Default::default(),
    };
    let account = match user_id {
        Some(user) => crate::auth::server::users::by_id(db, user).await?,
        None => None,
    };
    let phone = account.as_ref().filter(|a| a.phone_verified_at.is_some()).and_then(|a| a.phone.clone());
    let account_email = account.and_then(|a| a.email);
    let email = draft.email.clone().or(account_email.clone());
    let contact = match (user_id, phone, email) {
        (Some(_), Some(phone), Some(email)) => Some(Contact { email, phone }),
        _ => None,
    };
    let addresses = match user_id {
        Some(user) => addresses(db, user).await?,
        None => Vec::new(),
    };
    let address = draft.address_id.and_then(|id| addresses.iter().find(|a| a.id == id).cloned());
    let rates: DeliveryRates = state.config.delivery;
    let subtotal = cart.subtotal_minor();
    let lines = cart.lines.iter().map(|l| (l.unit_price_minor, l.quantity));
    let discount = match (&draft.coupon, user_id) {
        (Some(code), Some(user)) => {
            let mut conn = db.acquire().await?;
            let applied = coupons::by_code(&mut conn, code, user, false).await?;
            coupons::discount_for(applied.as_ref(), now, subtotal, &cart.currency).unwrap_or(0)
        }
        _ => 0,
    };
    let delivery = draft.delivery;
    let totals = Totals::quote(lines, discount, delivery, &rates);
    let delivery_prices = DeliveryMethod::ALL.into_iter().map(|m| (m, rates.price(m, subtotal - discount))).collect();
    let first_open = if contact.is_none() {
        Step::Contact
    } else if address.is_none() {
        Step::Address
    } else if delivery.is_none() {
        Step::Delivery
    } else {
        Step::Review
    };
    // The shopper may go back to a step that is done, not skip one that isn't.
    let step = match edit {
        Some(e) if (e as u8) < (first_open as u8) => e,
        _ => first_open,
    };
    Ok(CheckoutView {
        cart,
        step,
        contact,
        known_email: account_email.unwrap_or_default(),
        addresses,
        address,
        countries: countries(db).await?,
        delivery,
        delivery_prices,
        coupon: draft.coupon,
        totals,
        payment_methods: payment_methods(state),
        order_key: draft.key,
    })
}
