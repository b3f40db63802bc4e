//! Signed-in sessions as the account page lists them. The session itself lives in Redis
//! under `session_key`; ending one deletes that key, which signs the browser out.

use crate::{auth::types::ActiveSession, error::AppError, server::client::ClientInfo};
use chrono::{DateTime, Utc};
use fred::prelude::KeysInterface;
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

pub async fn create(
    db: impl PgExecutor<'_>,
    id: Uuid,
    session_key: &str,
    user_id: Uuid,
    device_id: Option<Uuid>,
    client: &ClientInfo,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query(
        "insert into user_sessions (id, session_key, user_id, device_id, ip, user_agent, created_at, last_active_at)
         values ($1, $2, $3, $4, $5::inet, $6, $7, $7)",
    )
    .bind(id)
    .bind(session_key)
    .bind(user_id)
    .bind(device_id)
    .bind(client.ip.map(|ip| ip.to_string()))
    .bind(&client.user_agent)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    user_agent: String,
    device_type: Option<String>,
    os: Option<String>,
    browser: Option<String>,
    created_at: DateTime<Utc>,
    last_active_at: DateTime<Utc>,
}

pub async fn list_active(db: &PgPool, user_id: Uuid, current: Option<Uuid>) -> Result<Vec<ActiveSession>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(
        "select s.id, s.user_agent, d.device_type, d.os, d.browser, s.created_at, s.last_active_at
         from user_sessions s left join devices d on d.id = s.device_id
         where s.user_id = $1 and s.revoked_at is null
         order by s.last_active_at desc",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let profile = crate::server::client::ClientInfo { ip: None, user_agent: r.user_agent }.profile();
            ActiveSession {
                id: r.id,
                device: r.device_type.unwrap_or_else(|| profile.device_type.to_owned()),
                os: r.os.filter(|s| !s.is_empty()).unwrap_or(profile.os),
                browser: r.browser.filter(|s| !s.is_empty()).unwrap_or(profile.browser),
                signed_in_at: r.created_at,
                last_active_at: r.last_active_at,
                current: Some(r.id) == current,
            }
        })
        .collect())
}

/// One session `end` marked ended.
pub struct Ended {
    pub id: Uuid,
    pub device_id: Option<Uuid>,
    pub session_key: String,
}

/// Marks sessions of `user_id` (one, or all but `keep`) ended, in the caller's transaction.
/// Their browsers stay signed in until [`forget`] removes the sessions from Redis. Another
/// user's session id matches nothing.
pub async fn end(
    conn: &mut PgConnection,
    user_id: Uuid,
    which: Option<Uuid>,
    keep: Option<Uuid>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Ended>, AppError> {
    let rows: Vec<(Uuid, Option<Uuid>, String)> = sqlx::query_as(
        "update user_sessions set revoked_at = $5, revoked_reason = $4
         where user_id = $1 and revoked_at is null
           and ($2::uuid is null or id = $2) and ($3::uuid is null or id <> $3)
         returning id, device_id, session_key",
    )
    .bind(user_id)
    .bind(which)
    .bind(keep)
    .bind(reason)
    .bind(now)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(id, device_id, session_key)| Ended { id, device_id, session_key }).collect())
}

/// Deletes ended sessions from Redis, which signs their browsers out on their next request.
pub async fn forget(redis: &fred::prelude::Pool, ended: &[Ended]) -> Result<(), AppError> {
    if ended.is_empty() {
        return Ok(());
    }
    let keys: Vec<String> = ended.iter().map(|e| e.session_key.clone()).collect();
    redis.del::<(), _>(keys).await.map_err(|e| AppError::internal(anyhow::anyhow!("deleting sessions from Redis: {e}")))
}

/// Ends sessions of `user_id` (one, or all but `keep`), in the database and in Redis.
/// Returns how many ended. Another user's session id matches nothing.
pub async fn revoke(
    db: &PgPool,
    redis: &fred::prelude::Pool,
    user_id: Uuid,
    which: Option<Uuid>,
    keep: Option<Uuid>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let ended = end(&mut *db.acquire().await?, user_id, which, keep, reason, now).await?;
    forget(redis, &ended).await?;
    Ok(ended.len())
}
