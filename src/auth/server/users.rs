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
    pub avatar_url: Option<String>,
}

impl UserRow {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Customer)
    }
}

const COLUMNS: &str = "id, email::text as email, email_verified_at, phone, phone_verified_at, name, password_hash, role, is_active, avatar_url";

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

/// The account holding this email, proven or not, as its primary or one of its others
/// (password sign-in, uniqueness checks).
pub async fn by_email(db: impl PgExecutor<'_>, email: &str) -> Result<Option<UserRow>, AppError> {
    find(db, "(email = $1 or id = (select user_id from user_contacts where channel = 'email' and value = $1))", email).await
}

/// The account that has *proven* this email: the only one a code, link or provider with
/// verified emails may sign into. An account holding the address unverified is nobody's
/// proof of it (pre-hijacking), so it is ignored here.
pub async fn by_verified_email(db: impl PgExecutor<'_>, email: &str) -> Result<Option<UserRow>, AppError> {
    find(
        db,
        "((email = $1 and email_verified_at is not null) or id = (select user_id from user_contacts where channel = 'email' and value = $1))",
        email,
    )
    .await
}

pub async fn by_verified_phone(db: impl PgExecutor<'_>, phone: &str) -> Result<Option<UserRow>, AppError> {
    find(
        db,
        "((phone = $1 and phone_verified_at is not null) or id = (select user_id from user_contacts where channel = 'phone' and value = $1))",
        phone,
    )
    .await
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
    // Proven ones must be nobody's yet (no account has the nil id).
    if let Some(email) = user.email.filter(|_| user.email_verified) {
        claim(conn, Uuid::nil(), Contact::Email(email)).await?;
    }
    if let Some(phone) = user.phone.filter(|_| user.phone_verified) {
        claim(conn, Uuid::nil(), Contact::Phone(phone)).await?;
    }
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

impl Contact<'_> {
    fn value(&self) -> &str {
        match self {
            Self::Email(v) | Self::Phone(v) => v,
        }
    }

    /// The `users` column of the primary one, and `user_contacts.channel`.
    fn column(&self) -> &'static str {
        match self {
            Self::Email(_) => "email",
            Self::Phone(_) => "phone",
        }
    }

    fn missing(&self) -> AppError {
        AppError::NotFound(match self {
            Self::Email(_) => "That email address".into(),
            Self::Phone(_) => "That mobile number".into(),
        })
    }

    fn taken(&self) -> AppError {
        match self {
            Self::Email(_) => AppError::field("email", "An account already uses this email address."),
            Self::Phone(_) => AppError::field("phone", "An account already uses this mobile number."),
        }
    }
}

/// Serialises every change of who holds `contact` (two accounts proving one address at
/// once), and refuses it when another account has proven it.
async fn claim(conn: &mut PgConnection, user_id: Uuid, contact: Contact<'_>) -> Result<(), AppError> {
    let column = contact.column();
    sqlx::query("select pg_advisory_xact_lock(hashtext('contact:' || lower($1)))").bind(contact.value()).execute(&mut *conn).await?;
    let taken: bool = sqlx::query_scalar(&format!(
        "select exists (select 1 from users where {column} = $1 and {column}_verified_at is not null and id <> $2 and deleted_at is null)
             or exists (select 1 from user_contacts where channel = '{column}' and value = $1 and user_id <> $2)"
    ))
    .bind(contact.value())
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?;
    if taken {
        return Err(contact.taken());
    }
    let (email, phone) = match contact {
        Contact::Email(v) => (Some(v), None),
        Contact::Phone(v) => (None, Some(v)),
    };
    release_unverified(conn, email, phone, Some(user_id)).await
}

/// Records that `user_id` proved `contact` (by a code): it becomes the account's primary
/// when the account has no proven one of that kind yet, and one of its others otherwise.
/// Any account that only claimed it unverified lets it go; one that proved it keeps it.
pub async fn set_verified(db: &PgPool, user_id: Uuid, contact: Contact<'_>, now: DateTime<Utc>) -> Result<(), AppError> {
    let column = contact.column();
    let mut tx = db.begin().await?;
    claim(&mut tx, user_id, contact).await?;
    let primary: Option<(Option<String>, bool)> =
        sqlx::query_as(&format!("select {column}::text, {column}_verified_at is not null from users where id = $1 for update"))
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((current, verified)) = primary else { return Err(AppError::Unauthorized) };
    let same = current.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(contact.value()));
    if verified && !same {
        sqlx::query("insert into user_contacts (user_id, channel, value, verified_at) values ($1, $2, $3, $4) on conflict do nothing")
            .bind(user_id)
            .bind(column)
            .bind(contact.value())
            .bind(now)
            .execute(&mut *tx)
            .await?;
    } else {
        sqlx::query(&format!("update users set {column} = $2, {column}_verified_at = coalesce({column}_verified_at, $3) where id = $1"))
            .bind(user_id)
            .bind(contact.value())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(unique_to_field)?;
        // It may have been one of the account's others (an unverified primary is replaced).
        sqlx::query("delete from user_contacts where user_id = $1 and channel = $2 and value = $3")
            .bind(user_id)
            .bind(column)
            .bind(contact.value())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// [`set_verified`], and then the account's primary: checkout texts and ships to the
/// primary phone, so the number proven there becomes it.
pub async fn set_primary_verified(db: &PgPool, user_id: Uuid, contact: Contact<'_>, now: DateTime<Utc>) -> Result<(), AppError> {
    set_verified(db, user_id, contact, now).await?;
    let other: bool = sqlx::query_scalar("select exists (select 1 from user_contacts where user_id = $1 and channel = $2 and value = $3)")
        .bind(user_id)
        .bind(contact.column())
        .bind(contact.value())
        .fetch_one(db)
        .await?;
    if other {
        make_primary(db, user_id, contact).await?;
    }
    Ok(())
}

/// Makes one of the account's other proven addresses (or numbers) its primary; the old
/// primary, when proven, becomes one of the others.
pub async fn make_primary(db: &PgPool, user_id: Uuid, contact: Contact<'_>) -> Result<(), AppError> {
    let column = contact.column();
    let mut tx = db.begin().await?;
    claim(&mut tx, user_id, contact).await?;
    // The account's row first, as every change of its contacts does (no deadlock).
    sqlx::query("select 1 from users where id = $1 for update").bind(user_id).execute(&mut *tx).await?;
    let other: Option<DateTime<Utc>> =
        sqlx::query_scalar("delete from user_contacts where user_id = $1 and channel = $2 and value = $3 returning verified_at")
            .bind(user_id)
            .bind(column)
            .bind(contact.value())
            .fetch_optional(&mut *tx)
            .await?;
    let Some(verified_at) = other else {
        return Err(contact.missing());
    };
    let (old, old_verified_at): (Option<String>, Option<DateTime<Utc>>) =
        sqlx::query_as(&format!("select {column}::text, {column}_verified_at from users where id = $1"))
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await?;
    sqlx::query(&format!("update users set {column} = $2, {column}_verified_at = $3 where id = $1"))
        .bind(user_id)
        .bind(contact.value())
        .bind(verified_at)
        .execute(&mut *tx)
        .await
        .map_err(unique_to_field)?;
    if let (Some(old), Some(at)) = (old, old_verified_at) {
        sqlx::query("insert into user_contacts (user_id, channel, value, verified_at) values ($1, $2, $3, $4)")
            .bind(user_id)
            .bind(column)
            .bind(old)
            .bind(at)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Removes an address or number from the account: one of its others, or its primary (then
/// the newest other of that kind, if any, takes its place). Refused when it would leave no
/// proven way to sign in (an address, a number or a linked provider).
pub async fn remove_contact(db: &PgPool, user_id: Uuid, contact: Contact<'_>) -> Result<(), AppError> {
    let column = contact.column();
    let mut tx = db.begin().await?;
    sqlx::query("select 1 from users where id = $1 for update").bind(user_id).execute(&mut *tx).await?;
    let other = sqlx::query("delete from user_contacts where user_id = $1 and channel = $2 and value = $3")
        .bind(user_id)
        .bind(column)
        .bind(contact.value())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if other == 0 {
        let was_primary = sqlx::query(&format!("update users set {column} = null, {column}_verified_at = null where id = $1 and {column} = $2"))
            .bind(user_id)
            .bind(contact.value())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if was_primary == 0 {
            return Err(contact.missing());
        }
        sqlx::query(&format!(
            "with next as (delete from user_contacts where id = (select id from user_contacts where user_id = $1 and channel = $2
                                                               order by verified_at desc, id desc limit 1)
                           returning value, verified_at)
             update users set {column} = next.value, {column}_verified_at = next.verified_at from next where users.id = $1"
        ))
        .bind(user_id)
        .bind(column)
        .execute(&mut *tx)
        .await?;
    }
    let ways: i64 = sqlx::query_scalar(
        "select (select count(*) from users where id = $1 and email_verified_at is not null)
              + (select count(*) from users where id = $1 and phone_verified_at is not null)
              + (select count(*) from user_contacts where user_id = $1)
              + (select count(*) from user_identities where user_id = $1)",
    )
    .bind(user_id)
    .fetch_one(&mut *tx)
    .await?;
    if ways == 0 {
        return Err(AppError::Conflict(
            "This is the last way you can sign in. Add and verify another email address or mobile number first.".into(),
        ));
    }
    tx.commit().await?;
    Ok(())
}

/// The account's other proven addresses and numbers, newest first: (channel, value).
pub async fn other_contacts(db: &PgPool, user_id: Uuid) -> Result<Vec<(String, String)>, AppError> {
    Ok(sqlx::query_as("select channel, value::text from user_contacts where user_id = $1 order by verified_at desc, id desc")
        .bind(user_id)
        .fetch_all(db)
        .await?)
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
