//! Login events (every attempt, successful or not) and per-user metrics.

use crate::{auth::types::Method, error::AppError, server::client::ClientInfo};
use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

pub struct Event<'a> {
    pub user_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub event_type: &'static str,
    pub method: Option<Method>,
    pub success: bool,
    pub reason: Option<&'a str>,
    pub client: &'a ClientInfo,
    pub at: DateTime<Utc>,
}

pub async fn record(db: impl PgExecutor<'_>, event: Event<'_>) -> Result<(), AppError> {
    sqlx::query(
        "insert into login_events (user_id, device_id, event_type, method, status, reason, ip, user_agent, created_at)
         values ($1, $2, $3, $4, $5, $6, $7::inet, $8, $9)",
    )
    .bind(event.user_id)
    .bind(event.device_id)
    .bind(event.event_type)
    .bind(event.method.map(Method::as_str))
    .bind(if event.success { "success" } else { "failure" })
    .bind(event.reason)
    .bind(event.client.ip.map(|ip| ip.to_string()))
    .bind(&event.client.user_agent)
    .bind(event.at)
    .execute(db)
    .await
    .map_err(|e| AppError::internal(anyhow::Error::from(e).context("recording login event")))?;
    Ok(())
}

/// A failed attempt: an event, plus one more strike against the device.
pub async fn record_failure(
    db: &PgPool,
    user_id: Option<Uuid>,
    device_id: Option<Uuid>,
    method: Method,
    reason: &str,
    client: &ClientInfo,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    record(
        db,
        Event { user_id, device_id, event_type: "sign_in", method: Some(method), success: false, reason: Some(reason), client, at },
    )
    .await
}

/// Keeps `user_metrics` and `user_devices` current after a successful sign-in.
pub async fn signed_in(db: impl PgExecutor<'_>, user_id: Uuid, device_id: Option<Uuid>, at: DateTime<Utc>) -> Result<(), AppError> {
    sqlx::query(
        "with used as (
             insert into user_devices (user_id, device_id, first_used_at, last_used_at)
             select $1, $2, $3, $3 where $2::uuid is not null
             on conflict (user_id, device_id) do update set last_used_at = excluded.last_used_at
             returning 1
         )
         insert into user_metrics as m (user_id, first_seen_at, last_login_at, last_active_at, total_logins, devices_used, sessions_created)
         values ($1, $3, $3, $3, 1,
                 (select count(*) from user_devices where user_id = $1) + (case when $2::uuid is null then 0
                     when exists (select 1 from user_devices where user_id = $1 and device_id = $2) then 0 else 1 end),
                 1)
         on conflict (user_id) do update set
             last_login_at = excluded.last_login_at,
             last_active_at = excluded.last_active_at,
             total_logins = m.total_logins + 1,
             devices_used = excluded.devices_used,
             sessions_created = m.sessions_created + 1",
    )
    .bind(user_id)
    .bind(device_id)
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}
