//! The device lock: five invalid attempts in a row lock the device (or, for a visitor
//! without a registered device, the IP address) for five minutes. The account is never
//! locked, so an attacker cannot lock a customer out of their own account.

use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;
use std::net::IpAddr;
use uuid::Uuid;

pub const MAX_FAILURES: i32 = 5;
pub const LOCK_DURATION: Duration = Duration::minutes(5);

/// What a throttle counts against.
pub fn subject(device_id: Option<Uuid>, ip: Option<IpAddr>) -> String {
    match (device_id, ip) {
        (Some(device), _) => format!("device:{device}"),
        (None, Some(ip)) => format!("ip:{ip}"),
        (None, None) => "ip:unknown".to_owned(),
    }
}

/// `Err(DeviceLocked)` while the subject is locked.
pub async fn ensure_unlocked(db: &PgPool, subject: &str, now: DateTime<Utc>) -> Result<(), AppError> {
    let locked_until: Option<DateTime<Utc>> =
        sqlx::query_scalar("select locked_until from auth_throttles where subject = $1 and locked_until > $2")
            .bind(subject)
            .bind(now)
            .fetch_optional(db)
            .await?
            .flatten();
    match locked_until {
        Some(until) => Err(locked_error(until, now)),
        None => Ok(()),
    }
}

fn locked_error(until: DateTime<Utc>, now: DateTime<Utc>) -> AppError {
    AppError::DeviceLocked { retry_after_secs: (until - now).num_seconds().max(1) as u64 }
}

/// Counts one invalid attempt. Returns the lock error when this attempt locked the subject.
pub async fn record_failure(db: &PgPool, subject: &str, now: DateTime<Utc>) -> Result<Option<AppError>, AppError> {
    // An expired lock starts a fresh count; the upsert is atomic across app instances.
    let (failures, locked_until): (i32, Option<DateTime<Utc>>) = sqlx::query_as(
        "insert into auth_throttles as t (subject, failed_attempts, updated_at) values ($1, 1, $2)
         on conflict (subject) do update set
             failed_attempts = case when t.locked_until is not null and t.locked_until <= $2 then 1
                                    else t.failed_attempts + 1 end,
             locked_until = case when t.locked_until is not null and t.locked_until <= $2 then null
                                 else t.locked_until end,
             updated_at = $2
         returning failed_attempts, locked_until",
    )
    .bind(subject)
    .bind(now)
    .fetch_one(db)
    .await?;
    if locked_until.is_none() && failures >= MAX_FAILURES {
        let until = now + LOCK_DURATION;
        sqlx::query("update auth_throttles set locked_until = $2, failed_attempts = 0 where subject = $1")
            .bind(subject)
            .bind(until)
            .execute(db)
            .await?;
        return Ok(Some(locked_error(until, now)));
    }
    Ok(None)
}

/// A successful sign-in ends the run of failures.
pub async fn reset(db: &PgPool, subject: &str) -> Result<(), AppError> {
    sqlx::query("delete from auth_throttles where subject = $1").bind(subject).execute(db).await?;
    Ok(())
}

/// Staff unlock of a device.
pub async fn unlock_device(db: impl sqlx::PgExecutor<'_>, device_id: Uuid) -> Result<bool, AppError> {
    let result = sqlx::query("delete from auth_throttles where subject = $1")
        .bind(subject(Some(device_id), None))
        .execute(db)
        .await?;
    Ok(result.rows_affected() > 0)
}

/// Failed sign-in attempts per account and per client address, counted in Redis so every
/// app instance shares them. A fresh device id costs an attacker nothing, so these are
/// keyed on what the attacker cannot renew: the account they aim at and their address.
pub const FAILURE_WINDOW: Duration = Duration::minutes(15);
/// Codes and links sent at one client's request.
pub const SEND_WINDOW: Duration = Duration::minutes(10);

/// The account an attempt aims at: the email or phone as typed, normalised, whether or not
/// an account uses it (unknown addresses are counted exactly like known ones).
pub fn account_key(account: &str) -> String {
    format!("auth-fail:account:{}", account.trim().to_lowercase())
}

pub fn client_key(kind: &str, ip: Option<IpAddr>) -> String {
    match ip {
        Some(ip) => format!("{kind}:client:{ip}"),
        None => format!("{kind}:client:unknown"),
    }
}

/// The OWASP "device cookie" rule: a device that has signed into this account before may
/// keep trying while strangers are refused.
pub async fn device_has_signed_in(db: &PgPool, device_id: Uuid, user_id: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar("select exists (select 1 from user_sessions where user_id = $1 and device_id = $2)")
        .bind(user_id)
        .bind(device_id)
        .fetch_one(db)
        .await?)
}
