//! The customer's own data on the server: the profile picture's upload (content-checked,
//! cut square, metadata stripped, WebP and JPEG), the archive of everything the store holds
//! about them (made by a job, downloaded once, gone after a week), and deleting the account.

use super::{ExportStatus, EXPORT_VALID, PICTURE_FORM};
use crate::{
    audit::server::{self as audit, Actor, Change},
    auth::server::sessions,
    error::AppError,
    forms::{server::FLASH_KEY, FormFlash},
    media::{process::{self, Crop, Processed, SQUARE_SIDES}, store::MediaStore},
    server::{
        jobs::{self, Job, JobRegistry},
        limits::{self, Window},
        mail::{layout, Email},
        multipart::Limits,
        session::AppSession,
        state::AppState,
    },
};
use axum::{
    extract::{multipart::Multipart, State},
    http::{header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

// ---- profile picture ----------------------------------------------------------------------

const UPLOAD: Limits = Limits {
    body: crate::server::guard::MAX_UPLOAD_BODY,
    too_large: || AppError::field("picture", "The picture is larger than 15 MB. Choose a smaller one."),
};

/// `POST /account/uploads/picture`: optional `left`, `top`, `size` (the square the browser
/// chose, as fractions), then `picture`. Without them the middle square is kept.
pub async fn upload_picture(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    parts: Parts,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let session = AppSession::new(session);
    let user = match signed_in(&state, &session).await {
        Ok(Some(user)) => user,
        Ok(None) => return Redirect::to("/sign-in?next=/account").into_response(),
        Err(e) => return e.into_response(),
    };
    match receive_picture(&state, user, &parts, multipart).await {
        Ok(()) => Redirect::to("/account?picture=saved#profile").into_response(),
        Err(error) => {
            let flash = FormFlash { form: PICTURE_FORM.to_owned(), error: Some(error), ..Default::default() };
            if let Err(e) = session.put(FLASH_KEY, &flash).await {
                return e.into_response();
            }
            Redirect::to("/account#profile").into_response()
        }
    }
}

async fn signed_in(state: &AppState, session: &AppSession) -> Result<Option<Uuid>, AppError> {
    let data = session.data().await?;
    Ok(crate::auth::server::current_user(session, &data, &state.db).await?.map(|(id, _)| id))
}

/// Pictures one customer may upload in an hour, and decodes running at once on an
/// instance (each can take a few hundred megabytes for a large photo).
const PICTURES_PER_HOUR: Window = Window { limit: 20, period: chrono::Duration::hours(1) };
static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

async fn receive_picture(
    state: &AppState,
    user: Uuid,
    parts: &Parts,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(), AppError> {
    limits::take(state, &format!("picture:{user}"), PICTURES_PER_HOUR, state.clock.now()).await?;
    let mut multipart = UPLOAD.open(parts, multipart)?;
    let (mut left, mut top, mut size, mut file) = (None, None, None, None);
    while let Some(mut field) = UPLOAD.next(&mut multipart).await? {
        let name = field.name().unwrap_or_default().to_owned();
        let number = |text: String| text.trim().parse::<f64>().ok().filter(|v| v.is_finite());
        match name.as_str() {
            "left" => left = number(UPLOAD.text(&mut field).await?),
            "top" => top = number(UPLOAD.text(&mut field).await?),
            "size" => size = number(UPLOAD.text(&mut field).await?),
            "picture" => {
                let Some(bytes) = UPLOAD.capped(&mut field, process::MAX_FILE_BYTES).await? else {
                    return Err(AppError::field("picture", format!("The picture {}", process::Refusal::TooLarge)));
                };
                file = Some(bytes);
            }
            _ => {}
        }
    }
    let bytes = file.filter(|b| !b.is_empty()).ok_or_else(|| AppError::field("picture", "Choose a picture to upload."))?;
    let crop = match (left, top, size) {
        (Some(left), Some(top), Some(size)) => Some(Crop { left, top, size }),
        _ => None,
    };
    let _turn = DECODES.acquire().await.map_err(AppError::internal)?;
    let processed = tokio::task::spawn_blocking(move || process::square(&bytes, crop))
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("image worker: {e}")))?
        .map_err(|refusal| AppError::field("picture", format!("The picture {refusal}")))?;
    let key = format!("avatars/{}", Uuid::now_v7());
    if let Err(e) = put_square(state.media.as_ref(), &key, &processed).await {
        remove_square(state.media.as_ref(), &key).await;
        return Err(AppError::internal(e));
    }
    let url = state.media.url(&format!("{key}/{}.jpg", SQUARE_SIDES[SQUARE_SIDES.len() - 1]));
    let old: Option<Option<String>> = sqlx::query_scalar(
        "update users u set avatar_key = $2, avatar_url = $3 from users o
         where u.id = $1 and o.id = u.id and u.deleted_at is null returning o.avatar_key",
    )
    .bind(user)
    .bind(&key)
    .bind(&url)
    .fetch_optional(&state.db)
    .await?;
    match old {
        Some(Some(old)) => remove_square(state.media.as_ref(), &old).await,
        Some(None) => {}
        // The account was deleted meanwhile: nothing may keep the new files.
        None => remove_square(state.media.as_ref(), &key).await,
    }
    Ok(())
}

async fn put_square(store: &dyn MediaStore, key: &str, image: &Processed) -> anyhow::Result<()> {
    for variant in &image.variants {
        store.put(&format!("{key}/{}.jpg", variant.width), variant.jpeg.clone(), "image/jpeg").await?;
        store.put(&format!("{key}/{}.webp", variant.width), variant.webp.clone(), "image/webp").await?;
    }
    Ok(())
}

/// Removes a picture's files; failures are logged (nothing links to them any more).
async fn remove_square(store: &dyn MediaStore, key: &str) {
    for side in SQUARE_SIDES {
        for ext in ["jpg", "webp"] {
            let file = format!("{key}/{side}.{ext}");
            if let Err(e) = store.delete(&file).await {
                tracing::warn!(error = %format!("{e:#}"), file, "could not remove a profile picture file");
            }
        }
    }
}

/// The customer's picture for the header.
pub async fn avatar_url(db: &PgPool, user: Uuid) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar::<_, Option<String>>("select avatar_url from users where id = $1").bind(user).fetch_optional(db).await?.flatten())
}

pub async fn remove_picture(state: &AppState, user: Uuid) -> Result<(), AppError> {
    let old: Option<Option<String>> =
        sqlx::query_scalar("update users u set avatar_key = null, avatar_url = null from users o where u.id = $1 and o.id = u.id returning o.avatar_key")
            .bind(user)
            .fetch_optional(&state.db)
            .await?;
    if let Some(Some(old)) = old {
        remove_square(state.media.as_ref(), &old).await;
    }
    Ok(())
}

// ---- the customer's data ------------------------------------------------------------------

/// What the archive holds: a file name and the query of the customer's rows (`$1` is the
/// customer). Secrets (password hash, session keys, code hashes) are never in it.
const TABLES: &[(&str, &str)] = &[
    ("profile", "select id, name, email::text as email, email_verified_at, phone, phone_verified_at, role, avatar_url, created_at from users where id = $1"),
    (
        "emails",
        "select email::text as address, email_verified_at as verified_at, true as is_primary from users where id = $1 and email is not null
         union all select value::text, verified_at, false from user_contacts where user_id = $1 and channel = 'email'",
    ),
    (
        "phones",
        "select phone as number, phone_verified_at as verified_at, true as is_primary from users where id = $1 and phone is not null
         union all select value::text, verified_at, false from user_contacts where user_id = $1 and channel = 'phone'",
    ),
    (
        "addresses",
        "select a.label, a.recipient_name, a.phone, a.line1, a.line2, c.name as city, a.postal_code, a.is_default, a.created_at
         from addresses a left join cities c on c.id = a.city_id where a.user_id = $1 order by a.created_at",
    ),
    (
        "orders",
        "select number, status, currency, subtotal_minor, discount_minor, shipping_minor, total_minor, email, phone, shipping_address,
                payment_method, delivery_method, tracking_number, carrier, placed_at
         from orders where user_id = $1 order by placed_at",
    ),
    (
        "order_items",
        "select o.number as order_number, i.product_name, i.colour_name, i.size_label, i.sku, i.unit_price_minor, i.quantity, i.line_total_minor
         from order_items i join orders o on o.id = i.order_id where o.user_id = $1 order by o.placed_at, i.product_name",
    ),
    (
        "reviews",
        "select p.name as product, r.rating, r.title, r.comment, r.status, r.reply, r.created_at
         from reviews r join products p on p.id = r.product_id where r.user_id = $1 order by r.created_at",
    ),
    (
        "wishlist",
        "select p.name as product, p.slug, s.label as waiting_for_size, w.created_at
         from wishlist_items w join products p on p.id = w.product_id
         left join product_sizes ps on ps.id = w.product_size_id left join sizes s on s.id = ps.size_id
         where w.user_id = $1 order by w.created_at",
    ),
    ("notifications", "select kind, title, body, link, in_store, read_at, created_at from notifications where user_id = $1 order by created_at"),
    ("notification_preferences", "select topic, in_store, email, sms, updated_at from notification_preferences where user_id = $1 order by topic"),
    ("consent_records", "select decision, analytics, marketing, policy_version, created_at from consent_records where user_id = $1 order by created_at"),
    ("linked_accounts", "select provider, email::text as email, email_verified, created_at from user_identities where user_id = $1 order by created_at"),
    ("sessions", "select host(ip) as ip, user_agent, created_at, last_active_at, revoked_at, revoked_reason from user_sessions where user_id = $1 order by created_at"),
    ("login_events", "select event_type, method, status, reason, host(ip) as ip, user_agent, created_at from login_events where user_id = $1 order by created_at"),
];

/// Every table of [`TABLES`] as JSON rows.
pub async fn gather(db: &PgPool, user: Uuid) -> Result<Vec<(&'static str, Vec<serde_json::Value>)>, AppError> {
    let mut tables = Vec::with_capacity(TABLES.len());
    for (name, query) in TABLES {
        let rows: serde_json::Value = sqlx::query_scalar(&format!("select coalesce(json_agg(row_to_json(t)), '[]'::json) from ({query}) t"))
            .bind(user)
            .fetch_one(db)
            .await?;
        let rows = match rows {
            serde_json::Value::Array(rows) => rows,
            _ => Vec::new(),
        };
        tables.push((*name, rows));
    }
    Ok(tables)
}

/// The archive: `data.json` with every table, and one CSV per table.
pub fn archive(tables: &[(&str, Vec<serde_json::Value>)], made_at: DateTime<Utc>) -> anyhow::Result<Vec<u8>> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut all = serde_json::Map::new();
    all.insert("exported_at".into(), serde_json::Value::String(made_at.to_rfc3339()));
    for (name, rows) in tables {
        all.insert((*name).to_owned(), serde_json::Value::Array(rows.clone()));
        zip.start_file(format!("{name}.csv"), options)?;
        zip.write_all(&csv_of(rows)?)?;
    }
    zip.start_file("data.json", options)?;
    zip.write_all(&serde_json::to_vec_pretty(&serde_json::Value::Object(all))?)?;
    Ok(zip.finish()?.into_inner())
}

/// Rows as CSV: a header of the first row's keys, then each row; nested values as JSON.
fn csv_of(rows: &[serde_json::Value]) -> anyhow::Result<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let Some(serde_json::Value::Object(first)) = rows.first() else { return Ok(out.into_inner()?) };
    let columns: Vec<&String> = first.keys().collect();
    out.write_record(columns.iter().map(|c| c.as_str()))?;
    for row in rows {
        out.write_record(columns.iter().map(|c| match row.get(c.as_str()) {
            None | Some(serde_json::Value::Null) => String::new(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        }))?;
    }
    Ok(out.into_inner()?)
}

/// The job that prepares an archive asked for on the account page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PrepareExport {
    pub export_id: Uuid,
}

impl Job for PrepareExport {
    const KIND: &'static str = "prepare_export";
}

pub fn register(jobs: &mut JobRegistry<AppState>) {
    jobs.handle(|state: AppState, job: PrepareExport| async move { prepare(&state, job.export_id).await });
    jobs.every_tick("dropping expired data copies", |state: AppState| async move {
        sqlx::query("update data_exports set archive = null where archive is not null and expires_at <= $1")
            .bind(state.clock.now())
            .execute(&state.db)
            .await?;
        Ok(())
    });
}

/// Asks for an archive: a new one, unless one is being prepared or waits to be downloaded.
pub async fn request_export(db: &PgPool, user: Uuid, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    sqlx::query("select 1 from users where id = $1 for update").bind(user).execute(&mut *tx).await?;
    // One at a time: a copy waiting to be downloaded, or one asked for in the last hour
    // (a job that failed for good does not block a new request for long).
    let open: bool = sqlx::query_scalar(
        "select exists (select 1 from data_exports where user_id = $1 and downloaded_at is null and expires_at > $2
                          and (ready_at is not null or requested_at > $2 - interval '1 hour'))",
    )
        .bind(user)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
    if open {
        return Err(AppError::Conflict("Your copy is already on its way (or ready below). You can ask for a new one once it's downloaded.".into()));
    }
    let id: Uuid = sqlx::query_scalar("insert into data_exports (user_id, requested_at, expires_at) values ($1, $2, $3) returning id")
        .bind(user)
        .bind(now)
        .bind(now + EXPORT_VALID)
        .fetch_one(&mut *tx)
        .await?;
    jobs::enqueue(&mut tx, PrepareExport { export_id: id }, now).await?;
    tx.commit().await?;
    Ok(())
}

async fn prepare(state: &AppState, export: Uuid) -> anyhow::Result<()> {
    // The notice goes only to a proven address.
    let row: Option<(Uuid, Option<String>)> = sqlx::query_as(
        "select e.user_id, case when u.email_verified_at is not null then u.email::text end
         from data_exports e join users u on u.id = e.user_id
         where e.id = $1 and e.ready_at is null and u.deleted_at is null",
    )
    .bind(export)
    .fetch_optional(&state.db)
    .await?;
    let Some((user, email)) = row else { return Ok(()) };
    let now = state.clock.now();
    let bytes = archive(&gather(&state.db, user).await.map_err(|e| anyhow::anyhow!("{e}"))?, now)?;
    sqlx::query("update data_exports set archive = $2, ready_at = $3 where id = $1 and ready_at is null")
        .bind(export)
        .bind(bytes)
        .bind(now)
        .execute(&state.db)
        .await?;
    if let Some(to) = email {
        let link = format!("{}/account#your-data", state.config.site_url);
        let body = format!(
            r#"<p style="margin:0 0 16px;line-height:1.5">The copy of your data you asked for is ready. Download it from your account within 7 days; the download works once.</p><p><a href="{}" style="color:#065f46">Go to your account</a></p>"#,
            crate::text::escape_html(&link)
        );
        let text = format!("The copy of your data you asked for is ready. Download it from your account within 7 days; the download works once.\n\n{link}\n");
        state.mailer.send(Email { to, subject: "Your Larkspur data is ready".into(), text, html: layout("Your data is ready", &body) }).await?;
    }
    Ok(())
}

pub async fn export_status(db: &PgPool, user: Uuid, now: DateTime<Utc>) -> Result<Option<ExportStatus>, AppError> {
    let row: Option<(DateTime<Utc>, Option<DateTime<Utc>>, DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
        "select requested_at, ready_at, expires_at, downloaded_at from data_exports where user_id = $1 order by requested_at desc limit 1",
    )
    .bind(user)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(requested_at, ready_at, expires_at, downloaded_at)| ExportStatus {
        requested_at,
        ready: ready_at.is_some(),
        expires_at,
        downloaded: downloaded_at.is_some(),
        expired: expires_at <= now,
    }))
}

/// Takes the customer's ready archive: once, before it expires. The bytes are dropped as
/// they are handed over.
pub async fn take_export(db: &PgPool, user: Uuid, now: DateTime<Utc>) -> Result<Vec<u8>, AppError> {
    let bytes: Option<Vec<u8>> = sqlx::query_scalar(
        "update data_exports d set downloaded_at = $2, archive = null
         from (select id, archive from data_exports where user_id = $1 and ready_at is not null and downloaded_at is null
                 and expires_at > $2 order by requested_at desc limit 1 for update) e
         where d.id = e.id returning e.archive",
    )
    .bind(user)
    .bind(now)
    .fetch_optional(db)
    .await?
    .flatten();
    bytes.ok_or_else(|| AppError::NotFound("A copy of your data ready to download".into()))
}

/// `POST /account/export/download`: the archive, as a file (a plain form's button).
pub async fn download_export(State(state): State<AppState>, session: tower_sessions::Session) -> Response {
    let session = AppSession::new(session);
    let user = match signed_in(&state, &session).await {
        Ok(Some(user)) => user,
        Ok(None) => return Redirect::to("/sign-in?next=/account").into_response(),
        Err(e) => return e.into_response(),
    };
    let now = state.clock.now();
    match take_export(&state.db, user, now).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/zip".to_owned()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"larkspur-data-{}.zip\"", now.format("%Y-%m-%d"))),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

// ---- deleting the account ----------------------------------------------------------------

/// What the shop keeps of a deleted customer's orders: no name, no street, no phone.
const FORMER_CUSTOMER: &str = "Former customer";

/// Deletes the account: every session ends (in Redis too), personal data is erased, orders
/// stay with the name and address replaced, reviews stay under "a former customer", and the
/// audit log records it, and a goodbye goes to the address it had.
pub async fn delete_account(state: &AppState, user: Uuid, client_ip: Option<String>) -> Result<(), AppError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let row: Option<(Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
        "select email::text, phone, avatar_key from users where id = $1 and deleted_at is null for update",
    )
    .bind(user)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((email, _, avatar)) = row else { return Err(AppError::Unauthorized) };
    ensure_no_open_order(&mut tx, user).await?;
    let ended = sessions::end(&mut tx, user, None, None, "account deleted", now).await?;
    erase(&mut tx, user, now).await?;
    audit::record(
        &mut tx,
        &Actor { user_id: user, client_ip },
        Change { action: "delete_account", entity_kind: "customer", entity_id: user.to_string(), before: None, after: None },
        now,
    )
    .await?;
    tx.commit().await?;
    sessions::forget(&state.redis, &ended).await?;
    if let Some(key) = avatar {
        remove_square(state.media.as_ref(), &key).await;
    }
    tracing::info!(%user, "account deleted by its owner");
    // Sent now, not queued: a job would keep the address in its payload after the erasure.
    // A failure only costs the goodbye.
    if let Some(to) = email {
        if let Err(e) = state.mailer.send(goodbye(to)).await {
            tracing::warn!(error = %format!("{e:#}"), "the account-deleted email was not sent");
        }
    }
    Ok(())
}

fn goodbye(to: String) -> Email {
    let body = "<p style=\"margin:0 0 16px;line-height:1.5\">Your Larkspur account is deleted, as you asked. We erased your details; orders stay in our accounts without your name or address. You're welcome back any time.</p>";
    let text = "Your Larkspur account is deleted, as you asked. We erased your details; orders stay in our accounts without your name or address.\n";
    Email { to, subject: "Your Larkspur account is deleted".into(), text: text.into(), html: layout("Account deleted", body) }
}

/// An order still on its way needs the name, address and phone to arrive: the account
/// stays until it is delivered or cancelled.
pub async fn ensure_no_open_order(conn: &mut PgConnection, user: Uuid) -> Result<(), AppError> {
    let open: Option<i64> = sqlx::query_scalar(
        "select number from orders where user_id = $1 and status in ('pending', 'paid', 'processing', 'shipped') order by number limit 1",
    )
    .bind(user)
    .fetch_optional(conn)
    .await?;
    match open {
        Some(number) => Err(AppError::Conflict(format!(
            "Order {} is still open. Cancel it or wait until it's delivered, then delete your account.",
            crate::orders::display_number(number)
        ))),
        None => Ok(()),
    }
}

/// Erases what identifies the customer, in the caller's transaction.
async fn erase(conn: &mut PgConnection, user: Uuid, now: DateTime<Utc>) -> Result<(), AppError> {
    let emails_and_phones: Vec<String> = sqlx::query_scalar(
        "select email::text from users where id = $1 and email is not null
         union all select phone from users where id = $1 and phone is not null
         union all select value::text from user_contacts where user_id = $1",
    )
    .bind(user)
    .fetch_all(&mut *conn)
    .await?;
    for statement in [
        "delete from user_contacts where user_id = $1",
        "delete from addresses where user_id = $1",
        "delete from wishlist_items where user_id = $1",
        "delete from notifications where user_id = $1",
        "delete from notification_preferences where user_id = $1",
        "delete from user_identities where user_id = $1",
        "delete from user_devices where user_id = $1",
        "delete from user_metrics where user_id = $1",
        "delete from data_exports where user_id = $1",
        "delete from auth_requests where user_id = $1",
        "delete from user_sessions where user_id = $1",
        "delete from login_events where user_id = $1",
        "delete from carts where user_id = $1",
        "update consent_records set user_id = null where user_id = $1",
        "update anonymous_users set converted_user_id = null where converted_user_id = $1",
        // The audit log keeps who did what, not the customer's details.
        "update audit_log set before = null, after = null where entity_kind = 'customer' and entity_id = $1::text",
        "update audit_log set actor_email = '' where actor_user_id = $1",
        "update analytics_events set user_id = null where user_id = $1",
        "update users set email = null, email_verified_at = null, phone = null, phone_verified_at = null, name = '',
                          password_hash = null, avatar_key = null, avatar_url = null, is_active = false, deleted_at = $2
         where id = $1",
    ] {
        sqlx::query(statement).bind(user).bind(now).execute(&mut *conn).await?;
    }
    // Orders stay for the accounts, without who and where.
    sqlx::query(
        "update orders set email = '', phone = '',
                shipping_address = shipping_address || jsonb_build_object('recipient_name', $2::text, 'phone', '', 'line1', '', 'line2', '', 'postal_code', '')
         where user_id = $1",
    )
    .bind(user)
    .bind(FORMER_CUSTOMER)
    .execute(&mut *conn)
    .await?;
    // The payment provider's copies of the customer's orders' events.
    sqlx::query(
        "update payment_events e set payload = jsonb_build_object('redacted', true)
         where exists (select 1 from orders o where o.user_id = $1 and e.payload::text like '%' || o.id::text || '%')",
    )
    .bind(user)
    .execute(&mut *conn)
    .await?;
    // Codes sent to its addresses before sign-in, and the newsletter at any of them.
    sqlx::query("delete from auth_requests where destination = any($1)").bind(&emails_and_phones).execute(&mut *conn).await?;
    sqlx::query("delete from subscribers where email::text = any($1)").bind(&emails_and_phones).execute(&mut *conn).await?;
    Ok(())
}
