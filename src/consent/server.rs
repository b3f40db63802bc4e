use super::{ConsentChoice, COOKIE_NAME};
use crate::{error::AppError, server::client::ClientInfo};
use axum::http::{header, request::Parts, HeaderValue};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// The visitor's current choice, from the consent cookie.
pub fn choice_from_parts(parts: &Parts) -> Option<ConsentChoice> {
    choice_from_headers(&parts.headers)
}

/// [`choice_from_parts`] from the headers alone (a middleware before the request is split).
pub fn choice_from_headers(headers: &axum::http::HeaderMap) -> Option<ConsentChoice> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .and_then(|(_, value)| ConsentChoice::from_cookie_value(value))
}

pub fn cookie_header(choice: ConsentChoice, secure: bool) -> HeaderValue {
    let value = format!(
        "{COOKIE_NAME}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly{}",
        choice.to_cookie_value(),
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&value).expect("cookie value is ASCII")
}

/// Registers this browser as a device with an anonymous shopper bound to it.
pub async fn register_device(db: &PgPool, client: &ClientInfo, now: DateTime<Utc>) -> Result<(Uuid, Uuid), AppError> {
    let profile = client.profile();
    let device_id: Uuid = sqlx::query_scalar(
        "insert into devices (ip, user_agent, device_type, os, browser, first_seen_at, last_seen_at)
         values ($1::inet, $2, $3, $4, $5, $6, $6) returning id",
    )
    .bind(client.ip.map(|ip| ip.to_string()))
    .bind(&client.user_agent)
    .bind(profile.device_type)
    .bind(&profile.os)
    .bind(&profile.browser)
    .bind(now)
    .fetch_one(db)
    .await?;
    let anonymous_user_id = new_anonymous_user(db, device_id, now).await?;
    Ok((device_id, anonymous_user_id))
}

pub async fn new_anonymous_user(db: &PgPool, device_id: Uuid, now: DateTime<Utc>) -> Result<Uuid, AppError> {
    Ok(sqlx::query_scalar("insert into anonymous_users (device_id, created_at) values ($1, $2) returning id")
        .bind(device_id)
        .bind(now)
        .fetch_one(db)
        .await?)
}

pub async fn record(
    db: &PgPool,
    device_id: Option<Uuid>,
    user_id: Option<Uuid>,
    decision: &str,
    choice: ConsentChoice,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query(
        "insert into consent_records (device_id, user_id, decision, analytics, marketing, policy_version, created_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(device_id)
    .bind(user_id)
    .bind(decision)
    .bind(choice.analytics)
    .bind(choice.marketing)
    .bind(super::POLICY_VERSION)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Keeps the device's "last seen" current (at most once a minute).
pub async fn touch_device(db: &PgPool, device_id: Uuid, now: DateTime<Utc>) -> Result<(), AppError> {
    sqlx::query("update devices set last_seen_at = $2 where id = $1 and last_seen_at < $2 - interval '1 minute'")
        .bind(device_id)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}
