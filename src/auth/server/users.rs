//! Reading and writing user accounts.

use crate::{auth::Role, error::AppError};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub email: Option<String>,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub phone: Option<String>,
    pub phone_verified_at: Option<DateTime<Utc>>,
    pub name: String,
    pub password_hash: Option<String>,
    pub role: String,
    pub is_active: bool,
}

impl UserRow {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Customer)
    }
}

const COLUMNS: &str = "id, email::text as email, email_verified_at, phone, phone_verified_at, name, password_hash, role, is_active";

pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<UserRow>, AppError> {
    Ok(sqlx::query_as(&format!("select {COLUMNS} from users where id = $1 and deleted_at is null"))
        .bind(id)
        .fetch_optional(db)
        .await?)
}

async fn find(db: impl PgExecutor<'_>, condition: &str, value: &str) -> Result<Option<UserRow>, AppError> {
    Ok(sqlx::query_as(&format!("select {COLUMNS} from users where {condition} and deleted_at is null"))
        .bind(value)
        .fetch_optional(db)
        .await?)
}

/// The account holding this email, proven or not (password sign-in, uniqueness checks).
pub async fn by_email(db: impl PgExecutor<'_>, email: &str) -> Result<Option<UserRow>, AppError> {
    find(db, "email = $1", email).await
}

/// The account that has *proven* this email: the only one a code, link or provider with
/// verified emails may sign into. An account holding the address unverified is nobody's
/// proof of it (pre-hijacking), so it is ignored here.
pub async fn by_verified_email(db: impl PgExecutor<'_>, email: &str) -> Result<Option<UserRow>, AppError> {
    find(db, "email = $1 and email_verified_at is not null", email).await
}

pub async fn by_verified_phone(db: impl PgExecutor<'_>, phone: &str) -> Result<Option<UserRow>, AppError> {
    find(db, "phone = $1 and phone_verified_at is not null", phone).await
}

/// Someone just proved `email` and/or `phone`: any other account holding them unverified
/// loses them (the prover gets the address; the other account keeps everything else).
pub async fn release_unverified(
    conn: &mut PgConnection,
    email: Option<&str>,
    phone: Option<&str>,
    except: Option<Uuid>,
) -> Result<(), AppError> {
    for (column, value) in [("email", email), ("phone", phone)] {
        let Some(value) = value else { continue };
        sqlx::query(&format!(
            "update users set {column} = null where {column} = $1 and {column}_verified_at is null and id is distinct from $2"
        ))
        .bind(value)
        .bind(except)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub struct NewUser<'a> {
    pub email: Option<&'a str>,
    pub email_verified: bool,
    pub phone: Option<&'a str>,
    pub phone_verified: bool,
    pub name: &'a str,
    pub password_hash: Option<&'a str>,
}

/// Creates a customer. A verified email or phone is taken off any account that holds it
/// unverified; a unique violation becomes a field error. Run it inside a transaction.
pub async fn create(conn: &mut PgConnection, user: NewUser<'_>, now: DateTime<Utc>) -> Result<UserRow, AppError> {
    release_unverified(conn, user.email.filter(|_| user.email_verified), user.phone.filter(|_| user.phone_verified), None).await?;
    sqlx::query_as(&format!(
        "insert into users (email, email_verified_at, phone, phone_verified_at, name, password_hash, created_at)
         values ($1, case when $2 then $7::timestamptz end, $3, case when $4 then $7::timestamptz end, $5, $6, $7)
         returning {COLUMNS}"
    ))
    .bind(user.email)
    .bind(user.email_verified)
    .bind(user.phone)
    .bind(user.phone_verified)
    .bind(user.name)
    .bind(user.password_hash)
    .bind(now)
    .fetch_one(conn)
    .await
    .map_err(unique_to_field)
}

/// Maps unique violations on users to messages beside the right field.
pub fn unique_to_field(err: sqlx::Error) -> AppError {
    match err.as_database_error().and_then(|e| e.constraint()) {
        Some("users_email_key") => AppError::field("email", "An account already uses this email address."),
        Some("users_phone_key") => AppError::field("phone", "An account already uses this mobile number."),
        _ => err.into(),
    }
}

/// An email address or a mobile number an account proves it holds.
#[derive(Debug, Clone, Copy)]
pub enum Contact<'a> {
    Email(&'a str),
    Phone(&'a str),
}

/// Records that `user_id` proved `contact` (by a code): it becomes the account's, verified
/// `now`, and any account that only claimed it unverified lets it go.
pub async fn set_verified(db: &PgPool, user_id: Uuid, contact: Contact<'_>, now: DateTime<Utc>) -> Result<(), AppError> {
    let (sql, email, phone, value) = match contact {
        Contact::Email(v) => ("update users set email = $2, email_verified_at = $3 where id = $1", Some(v), None, v),
        Contact::Phone(v) => ("update users set phone = $2, phone_verified_at = $3 where id = $1", None, Some(v), v),
    };
    let mut tx = db.begin().await?;
    release_unverified(&mut tx, email, phone, Some(user_id)).await?;
    sqlx::query(sql).bind(user_id).bind(value).bind(now).execute(&mut *tx).await.map_err(unique_to_field)?;
    tx.commit().await?;
    Ok(())
}

pub async fn set_password(db: &PgPool, user_id: Uuid, hash: &str) -> Result<(), AppError> {
    sqlx::query("update users set password_hash = $2 where id = $1").bind(user_id).bind(hash).execute(db).await?;
    Ok(())
}

/// Makes `email` a staff member with `role` and `password` from the command line: a new
/// account (email counted as verified: the operator vouches for it), or an existing one
/// promoted, given the new password and signed out everywhere, so a session opened under
/// the old role or password does not outlive the change. Answers whether it was created.
pub async fn set_staff(
    db: &PgPool,
    redis: &fred::prelude::Pool,
    email: &crate::auth::types::Email,
    password: &crate::auth::types::NewPassword,
    role: Role,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    if role == Role::Customer {
        return Err(AppError::field("role", "Choose admin or editor."));
    }
    let hash = super::password::hash_password(password.expose())?;
    let mut tx = db.begin().await?;
    let existing: Option<Uuid> = sqlx::query_scalar("select id from users where email = $1 and deleted_at is null for update")
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    let created = existing.is_none();
    let id: Uuid = match existing {
        Some(id) => sqlx::query_scalar("update users set role = $2, password_hash = $3, is_active = true where id = $1 returning id")
            .bind(id)
            .bind(role.as_str())
            .bind(&hash)
            .fetch_one(&mut *tx)
            .await?,
        None => sqlx::query_scalar(
            "insert into users (email, email_verified_at, name, password_hash, role, created_at) values ($1, $4, '', $2, $3, $4) returning id",
        )
        .bind(email.as_str())
        .bind(&hash)
        .bind(role.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(unique_to_field)?,
    };
    tx.commit().await?;
    if !created {
        super::sessions::revoke(db, redis, id, None, None, "staff account changed from the command line", now).await?;
    }
    Ok(created)
}
