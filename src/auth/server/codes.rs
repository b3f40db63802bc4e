//! One-time codes and magic links in `auth_requests`: keyed hashes only, ten-minute expiry,
//! single use, at most five tries, and a cool-down between sends.

use super::secrets::{keyed_hash, matches, random_code, random_token};
use crate::{auth::types::Channel, error::AppError};
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;
use uuid::Uuid;

pub const CODE_TTL: Duration = Duration::minutes(10);
pub const LINK_TTL: Duration = Duration::minutes(15);
pub const RESEND_COOLDOWN: Duration = Duration::seconds(60);

/// Why a request is issued; stored in `auth_requests.purpose`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    SignIn,
    SignUp,
    PasswordReset,
    VerifyEmail,
    VerifyPhone,
    DeleteAccount,
    /// A staff member's emailed second factor, kept under the sign-in attempt.
    SecondFactor,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::SignUp => "sign_up",
            Self::PasswordReset => "password_reset",
            Self::VerifyEmail => "verify_email",
            Self::VerifyPhone => "verify_phone",
            Self::DeleteAccount => "delete_account",
            Self::SecondFactor => "second_factor",
        }
    }
}

pub struct Issued {
    pub code: String,
    /// Present when a link was requested too.
    pub token: Option<String>,
}

pub struct NewRequest<'a> {
    pub purpose: Purpose,
    pub channel: Channel,
    pub destination: &'a str,
    pub user_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub with_link: bool,
    /// A secret kept in the asking browser's session: the code is accepted only from it
    /// (a link's token works from any browser).
    pub binding: &'a str,
}

/// Issues a fresh code (and optionally a link token), replacing any open one for the same
/// destination and purpose. Refuses within the resend cool-down.
pub async fn issue(db: &PgPool, secret: &str, now: DateTime<Utc>, req: NewRequest<'_>) -> Result<Issued, AppError> {
    let mut tx = db.begin().await?;
    // Serialise issuing per destination so two quick clicks cannot both pass the cool-down.
    sqlx::query("select pg_advisory_xact_lock(hashtext($1))")
        .bind(format!("{}:{}", req.purpose.as_str(), req.destination))
        .execute(&mut *tx)
        .await?;
    let last_sent: Option<DateTime<Utc>> = sqlx::query_scalar(
        "select max(last_sent_at) from auth_requests where destination = $1 and purpose = $2",
    )
    .bind(req.destination)
    .bind(req.purpose.as_str())
    .fetch_one(&mut *tx)
    .await?;
    if let Some(last) = last_sent {
        let wait = (last + RESEND_COOLDOWN - now).num_seconds();
        if wait > 0 {
            return Err(AppError::RateLimited { retry_after_secs: wait as u64 });
        }
    }
    sqlx::query("update auth_requests set consumed_at = $3 where destination = $1 and purpose = $2 and consumed_at is null")
        .bind(req.destination)
        .bind(req.purpose.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let id = Uuid::now_v7();
    let code = random_code();
    let token = req.with_link.then(random_token);
    let ttl = if req.with_link { LINK_TTL } else { CODE_TTL };
    sqlx::query(
        "insert into auth_requests (id, purpose, channel, destination, user_id, device_id, code_hash, token_hash,
                                    expires_at, last_sent_at, created_at, binding_hash)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11)",
    )
    .bind(id)
    .bind(req.purpose.as_str())
    .bind(req.channel.as_str())
    .bind(req.destination)
    .bind(req.user_id)
    .bind(req.device_id)
    .bind(keyed_hash(secret, &format!("{id}:{code}")))
    .bind(token.as_deref().map(|t| keyed_hash(secret, t)))
    .bind(now + ttl)
    .bind(now)
    .bind(keyed_hash(secret, req.binding))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Issued { code, token })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeError {
    /// Wrong code or unknown link.
    Invalid,
    Expired,
    /// Five wrong tries used this code up.
    Exhausted,
}

impl CodeError {
    pub fn reason(self) -> &'static str {
        match self {
            Self::Invalid => "invalid_code",
            Self::Expired => "expired_code",
            Self::Exhausted => "too_many_tries",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Invalid => "That code isn't right. Check the latest message we sent and try again.",
            Self::Expired => "That code has expired. Ask for a new one.",
            Self::Exhausted => "That code was entered wrongly too many times. Ask for a new one.",
        }
    }
}

pub struct Verified {
    pub destination: String,
    pub user_id: Option<Uuid>,
}

/// Checks a typed code against the newest open request for the destination, from the
/// browser that asked for it (`binding`); consumes it on success and counts a try on
/// failure (a code typed in another browser is simply wrong).
pub async fn verify_code(
    db: &PgPool,
    secret: &str,
    now: DateTime<Utc>,
    purpose: Purpose,
    destination: &str,
    code: &str,
    binding: Option<&str>,
) -> Result<Result<Verified, CodeError>, AppError> {
    let mut tx = db.begin().await?;
    let row: Option<(Uuid, Option<String>, Option<Uuid>, i32, i32, DateTime<Utc>, Option<String>)> = sqlx::query_as(
        "select id, code_hash, user_id, attempts, max_attempts, expires_at, binding_hash from auth_requests
         where destination = $1 and purpose = $2 and consumed_at is null
         order by created_at desc limit 1 for update",
    )
    .bind(destination)
    .bind(purpose.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, Some(code_hash), user_id, attempts, max_attempts, expires_at, binding_hash)) = row else {
        return Ok(Err(CodeError::Invalid));
    };
    if attempts >= max_attempts {
        return Ok(Err(CodeError::Exhausted));
    }
    if expires_at <= now {
        return Ok(Err(CodeError::Expired));
    }
    let same_browser = match (&binding_hash, binding) {
        (None, _) => true,
        (Some(expected), Some(binding)) => matches(secret, binding, expected),
        (Some(_), None) => false,
    };
    if !same_browser || !matches(secret, &format!("{id}:{code}"), &code_hash) {
        sqlx::query("update auth_requests set attempts = attempts + 1 where id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        return Ok(Err(if attempts + 1 >= max_attempts { CodeError::Exhausted } else { CodeError::Invalid }));
    }
    sqlx::query("update auth_requests set consumed_at = $2 where id = $1").bind(id).bind(now).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Ok(Verified { destination: destination.to_owned(), user_id }))
}

/// Consumes a magic-link token (once; a second use is refused).
pub async fn verify_link(
    db: &PgPool,
    secret: &str,
    now: DateTime<Utc>,
    purpose: Purpose,
    token: &str,
) -> Result<Result<Verified, CodeError>, AppError> {
    let mut tx = db.begin().await?;
    let row: Option<(Uuid, String, Option<Uuid>, DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
        "select id, destination, user_id, expires_at, consumed_at from auth_requests
         where token_hash = $1 and purpose = $2 for update",
    )
    .bind(keyed_hash(secret, token))
    .bind(purpose.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, destination, user_id, expires_at, consumed_at)) = row else {
        return Ok(Err(CodeError::Invalid));
    };
    if consumed_at.is_some() {
        return Ok(Err(CodeError::Invalid));
    }
    if expires_at <= now {
        return Ok(Err(CodeError::Expired));
    }
    sqlx::query("update auth_requests set consumed_at = $2 where id = $1").bind(id).bind(now).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Ok(Verified { destination, user_id }))
}
