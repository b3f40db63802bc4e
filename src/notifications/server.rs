//! Notifications on the server: recording an event once per customer, the email and text
//! message jobs it queues as the customer's preferences say, the list and its read marks,
//! the preferences, the one-click unsubscribe, the "this wasn't me" link of a new-device
//! alert, and the back-in-stock job the stock trigger queues.

use super::{Channels, NotificationItem, NotificationPage, Topic, TopicPreference, PAGE_SIZE};
use crate::{
    auth::server::secrets::{keyed_hash, matches},
    error::AppError,
    orders::{display_number, OrderEmail},
    server::{
        jobs::{self, Job, JobRegistry},
        mail::{layout, layout_with_note, Email},
        state::AppState,
    },
    text::{escape_html, url_encode},
};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

/// Something a customer is told about.
#[derive(Debug, Clone)]
pub enum Event {
    Order { order_id: Uuid, number: i64, step: OrderEmail, tracking: Option<String>, carrier: Option<String> },
    Review { review_id: Uuid, product: String, slug: String, news: ReviewNews, at: DateTime<Utc> },
    NewDevice { login_session_id: Uuid, device: String, place: String, at: DateTime<Utc> },
    BackInStock { variant_id: Uuid, restock: Uuid, product: String, slug: String, colour: String, size: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewNews {
    Approved,
    Rejected { reason: Option<String> },
    Replied,
}

/// An event as it is stored and shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub topic: Topic,
    /// Unique per customer: the same event twice is recorded once.
    pub key: String,
    pub title: String,
    pub body: String,
    pub link: String,
}

impl Event {
    pub fn message(&self) -> Message {
        match self {
            Self::Order { order_id, number, step, tracking, carrier } => {
                let shown = display_number(*number);
                let (topic, title, body) = match step {
                    OrderEmail::Placed => (Topic::Orders, format!("Order {shown} placed"), "Thank you. We'll let you know as it moves along.".to_owned()),
                    OrderEmail::Paid => (Topic::Orders, format!("Payment received for {shown}"), "We're getting your order ready.".to_owned()),
                    OrderEmail::Shipped => (
                        Topic::Shipping,
                        format!("Order {shown} has shipped"),
                        match (tracking, carrier) {
                            (Some(t), Some(c)) => format!("On its way with {c}. Tracking number: {t}."),
                            (Some(t), None) => format!("On its way. Tracking number: {t}."),
                            (None, _) => "It's on its way.".to_owned(),
                        },
                    ),
                    OrderEmail::Delivered => (Topic::Shipping, format!("Order {shown} was delivered"), "We hope you love it.".to_owned()),
                    OrderEmail::Cancelled => (Topic::Orders, format!("Order {shown} was cancelled"), "If you paid, the money is on its way back to you.".to_owned()),
                    OrderEmail::Refunded => (Topic::Orders, format!("Refund for order {shown}"), "It can take 5–10 days to show on your statement.".to_owned()),
                };
                Message { topic, key: format!("order:{order_id}:{}", step.as_str()), title, body, link: format!("/account/orders/{number}") }
            }
            Self::Review { review_id, product, slug, news, at } => {
                let (what, title, body) = match news {
                    ReviewNews::Approved => ("approved", format!("Your review of {product} is live"), "Thank you for helping other shoppers.".to_owned()),
                    ReviewNews::Rejected { reason } => (
                        "rejected",
                        format!("Your review of {product} wasn't published"),
                        reason.as_deref().map_or_else(|| "You can edit it and send it again.".to_owned(), |r| format!("{r} You can edit it and send it again.")),
                    ),
                    ReviewNews::Replied => ("replied", format!("We replied to your review of {product}"), "Read our answer under your review.".to_owned()),
                };
                Message {
                    topic: Topic::Reviews,
                    key: format!("review:{review_id}:{what}:{}", at.timestamp_micros()),
                    title,
                    body,
                    link: format!("/p/{slug}#reviews"),
                }
            }
            Self::NewDevice { login_session_id, device, place, at } => Message {
                topic: Topic::Security,
                key: format!("device:{login_session_id}"),
                title: "New sign-in to your account".to_owned(),
                body: format!("{device}, {place}, on {} UTC. If this wasn't you, end that session and change your password.", at.format("%-d %B %Y at %H:%M")),
                link: "/account#sessions".to_owned(),
            },
            Self::BackInStock { variant_id, restock, product, slug, colour, size } => Message {
                topic: Topic::BackInStock,
                key: format!("restock:{variant_id}:{restock}"),
                title: format!("{product} is back in {size}"),
                body: format!("{colour}, size {size} can be ordered again — while it lasts."),
                link: format!("/p/{slug}"),
            },
        }
    }
}

/// The customer's channels for `topic`: their choice, or the topic's defaults.
async fn channels_of(db: impl PgExecutor<'_>, user: Uuid, topic: Topic) -> Result<Channels, AppError> {
    let row: Option<(bool, bool, bool)> =
        sqlx::query_as("select in_store, email, sms from notification_preferences where user_id = $1 and topic = $2")
            .bind(user)
            .bind(topic.as_str())
            .fetch_optional(db)
            .await?;
    let wanted = row.map_or(topic.defaults(), |(in_store, email, sms)| Channels { in_store, email, sms });
    Ok(topic.allowed(wanted))
}

/// Records `event` for `user` and queues its email and text message as their preferences
/// say, in the caller's transaction; returns those channels. `None` when this event was
/// already recorded (a retry): nothing is queued again. An order's email is the orders
/// domain's own, fuller message: its caller queues it when the channels include email.
#[tracing::instrument(skip(conn, event), fields(user = %user))]
pub async fn notify(conn: &mut PgConnection, user: Uuid, event: &Event, now: DateTime<Utc>) -> Result<Option<Channels>, AppError> {
    let message = event.message();
    let channels = channels_of(&mut *conn, user, message.topic).await?;
    let id: Option<Uuid> = sqlx::query_scalar(
        "insert into notifications (user_id, kind, event_key, title, body, link, in_store, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (user_id, event_key) do nothing
         returning id",
    )
    .bind(user)
    .bind(message.topic.as_str())
    .bind(&message.key)
    .bind(&message.title)
    .bind(&message.body)
    .bind(&message.link)
    .bind(channels.in_store)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(notification_id) = id else { return Ok(None) };
    if channels.email && !matches!(event, Event::Order { .. }) {
        jobs::enqueue(conn, NotificationEmail { notification_id }, now).await?;
    }
    if channels.sms {
        jobs::enqueue(conn, NotificationText { notification_id }, now).await?;
    }
    Ok(Some(channels))
}

/// A review's author hears what became of it.
pub async fn review_event(conn: &mut PgConnection, review_id: Uuid, news: ReviewNews, now: DateTime<Utc>) -> Result<(), AppError> {
    let row: Option<(Uuid, String, String)> = sqlx::query_as(
        "select r.user_id, p.name, p.slug from reviews r join products p on p.id = r.product_id where r.id = $1",
    )
    .bind(review_id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((user, product, slug)) = row {
        notify(conn, user, &Event::Review { review_id, product, slug, news, at: now }, now).await?;
    }
    Ok(())
}

/// Whether a sign-in comes from somewhere this account has signed in before: the same
/// device (its cookie), or the same browser when the visitor keeps no device cookie.
/// `None` for an account's first sign-in, which warns nobody.
pub async fn known_device(
    conn: &mut PgConnection,
    user: Uuid,
    device: Option<Uuid>,
    user_agent: &str,
) -> Result<Option<bool>, AppError> {
    let (before, known): (bool, bool) = sqlx::query_as(
        "select exists (select 1 from login_events where user_id = $1 and status = 'success'),
                exists (select 1 from user_devices where user_id = $1 and device_id = $2)
                or exists (select 1 from login_events where user_id = $1 and status = 'success' and user_agent = $3)",
    )
    .bind(user)
    .bind(device)
    .bind(user_agent)
    .fetch_one(conn)
    .await?;
    Ok(before.then_some(known))
}

/// The customer's preferences, every topic, defaults where they chose nothing.
pub async fn preferences(db: &PgPool, user: Uuid) -> Result<Vec<TopicPreference>, AppError> {
    let rows: Vec<(String, bool, bool, bool)> =
        sqlx::query_as("select topic, in_store, email, sms from notification_preferences where user_id = $1")
            .bind(user)
            .fetch_all(db)
            .await?;
    Ok(Topic::ALL
        .iter()
        .map(|&topic| {
            let chosen = rows.iter().find(|r| r.0 == topic.as_str()).map(|r| Channels { in_store: r.1, email: r.2, sms: r.3 });
            TopicPreference { topic, channels: topic.allowed(chosen.unwrap_or(topic.defaults())) }
        })
        .collect())
}

/// Saves one topic's channels (what may not be turned off stays on).
pub async fn set_preference(db: impl PgExecutor<'_>, user: Uuid, topic: Topic, wanted: Channels, now: DateTime<Utc>) -> Result<(), AppError> {
    let channels = topic.allowed(wanted);
    sqlx::query(
        "insert into notification_preferences (user_id, topic, in_store, email, sms, updated_at) values ($1, $2, $3, $4, $5, $6)
         on conflict (user_id, topic) do update
         set in_store = excluded.in_store, email = excluded.email, sms = excluded.sms, updated_at = excluded.updated_at",
    )
    .bind(user)
    .bind(topic.as_str())
    .bind(channels.in_store)
    .bind(channels.email)
    .bind(channels.sms)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn unread_count(db: &PgPool, user: Uuid) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("select count(*) from notifications where user_id = $1 and read_at is null and in_store")
        .bind(user)
        .fetch_one(db)
        .await?)
}

/// Page `page` (1-based) of the customer's notifications, newest first.
pub async fn page(db: &PgPool, user: Uuid, page: i64) -> Result<NotificationPage, AppError> {
    let (total, unread): (i64, i64) = sqlx::query_as(
        "select count(*), count(*) filter (where read_at is null) from notifications where user_id = $1 and in_store",
    )
    .bind(user)
    .fetch_one(db)
    .await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page = page.clamp(1, pages);
    let rows: Vec<(Uuid, String, String, String, Option<String>, bool, DateTime<Utc>)> = sqlx::query_as(
        "select id, kind, title, body, link, read_at is not null, created_at from notifications
         where user_id = $1 and in_store order by created_at desc, id desc limit $2 offset $3",
    )
    .bind(user)
    .bind(PAGE_SIZE)
    .bind((page - 1) * PAGE_SIZE)
    .fetch_all(db)
    .await?;
    let items = rows
        .into_iter()
        .map(|(id, kind, title, body, link, read, created_at)| NotificationItem { id, topic: Topic::parse(&kind), title, body, link, read, created_at })
        .collect();
    Ok(NotificationPage { items, page, pages, unread })
}

/// Marks one of the customer's notifications read; another customer's id matches nothing.
pub async fn mark_read(db: &PgPool, user: Uuid, id: Uuid, now: DateTime<Utc>) -> Result<(), AppError> {
    let found: Option<Uuid> = sqlx::query_scalar(
        "update notifications set read_at = coalesce(read_at, $3) where id = $2 and user_id = $1 and in_store returning id",
    )
    .bind(user)
    .bind(id)
    .bind(now)
    .fetch_optional(db)
    .await?;
    found.map(|_| ()).ok_or_else(|| AppError::NotFound("That notification".into()))
}

pub async fn mark_all_read(db: &PgPool, user: Uuid, now: DateTime<Utc>) -> Result<u64, AppError> {
    Ok(sqlx::query("update notifications set read_at = $2 where user_id = $1 and read_at is null")
        .bind(user)
        .bind(now)
        .execute(db)
        .await?
        .rows_affected())
}

// ---- links in emails ----------------------------------------------------------------------

/// A token that turns off one topic's email for one customer, derived with the store's
/// secret so every email can carry one without storing it: `<user>.<topic>.<mac>`.
pub fn unsubscribe_token(secret: &str, user: Uuid, topic: Topic) -> String {
    format!("{user}.{}.{}", topic.as_str(), keyed_hash(secret, &format!("notifications-unsubscribe:{user}:{}", topic.as_str())))
}

/// The customer and topic a genuine unsubscribe token names.
pub fn read_unsubscribe_token(secret: &str, token: &str) -> Option<(Uuid, Topic)> {
    let mut parts = token.trim().splitn(3, '.');
    let user = Uuid::parse_str(parts.next()?).ok()?;
    let topic = Topic::parse(parts.next()?)?;
    let mac = parts.next()?;
    matches(secret, &format!("notifications-unsubscribe:{user}:{}", topic.as_str()), mac).then_some((user, topic))
}

/// Turns off email for the topic a token names; what the page then says.
pub async fn unsubscribe(state: &AppState, token: &str) -> Result<Topic, AppError> {
    let (user, topic) = read_unsubscribe_token(state.config.auth_secret.expose(), token)
        .ok_or_else(|| AppError::Rejected("This unsubscribe link is not valid. You can change what we send on your account's notifications page.".into()))?;
    if topic.email_required() {
        return Err(AppError::Rejected("Receipts and security alerts are always sent by email.".into()));
    }
    let mut tx = state.db.begin().await?;
    let channels = channels_of(&mut *tx, user, topic).await?;
    set_preference(&mut *tx, user, topic, Channels { email: false, ..channels }, state.clock.now()).await?;
    tx.commit().await?;
    Ok(topic)
}

/// `POST /notifications/one-click?token=…` (RFC 8058): a mail app's unsubscribe button.
pub async fn one_click(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match unsubscribe(&state, &crate::response::query_value(raw.as_deref(), "token")).await {
        Ok(topic) => ([(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("Unsubscribed from {}.", topic.label().to_lowercase()))
            .into_response(),
        Err(AppError::Rejected(_)) => AppError::NotFound("This unsubscribe link".into()).into_response(),
        Err(error) => error.into_response(),
    }
}

/// `GET` of the same address, opened in a browser: the page that asks first.
pub async fn one_click_page(axum::extract::RawQuery(raw): axum::extract::RawQuery) -> axum::response::Redirect {
    let token = crate::response::query_value(raw.as_deref(), "token");
    axum::response::Redirect::to(&format!("/notifications/unsubscribe?token={}", url_encode(&token)))
}

/// A token for the "this wasn't me" link of a new-device alert: `<session>.<mac>`.
pub fn not_me_token(secret: &str, login_session_id: Uuid) -> String {
    format!("{login_session_id}.{}", keyed_hash(secret, &format!("not-me:{login_session_id}")))
}

pub fn read_not_me_token(secret: &str, token: &str) -> Option<Uuid> {
    let (session, mac) = token.trim().split_once('.')?;
    let session = Uuid::parse_str(session).ok()?;
    matches(secret, &format!("not-me:{session}"), mac).then_some(session)
}

/// "This wasn't me": ends the reported session wherever it is, and returns the account's
/// email for the password reset the caller then sends. Works once per session: after that
/// the session is already ended.
pub async fn report_sign_in(state: &AppState, token: &str) -> Result<(Uuid, Option<String>, bool), AppError> {
    let session = read_not_me_token(state.config.auth_secret.expose(), token)
        .ok_or_else(|| AppError::Rejected("This link is not valid. If you think someone else is using your account, reset your password.".into()))?;
    let row: Option<(Uuid, Option<String>)> = sqlx::query_as(
        "select s.user_id, u.email::text from user_sessions s join users u on u.id = s.user_id where s.id = $1",
    )
    .bind(session)
    .fetch_optional(&state.db)
    .await?;
    let (user, email) = row.ok_or_else(|| AppError::NotFound("That sign-in".into()))?;
    let ended = crate::auth::server::sessions::revoke(&state.db, &state.redis, user, Some(session), None, "reported by its owner", state.clock.now()).await?;
    tracing::warn!(%user, %session, ended, "a sign-in was reported by the account's owner");
    Ok((user, email, ended > 0))
}

// ---- jobs ---------------------------------------------------------------------------------

/// Mails one notification (not an order's: those have their own email).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NotificationEmail {
    pub notification_id: Uuid,
}

impl Job for NotificationEmail {
    const KIND: &'static str = "notification_email";
}

/// Texts one notification to the customer's verified phone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NotificationText {
    pub notification_id: Uuid,
}

impl Job for NotificationText {
    const KIND: &'static str = "notification_text";
}

/// Queued by the stock trigger when a size someone waits for can be bought again.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BackInStock {
    pub variant_id: Uuid,
    pub restock: Uuid,
}

impl Job for BackInStock {
    const KIND: &'static str = "back_in_stock";
}

pub fn register(jobs: &mut JobRegistry<AppState>) {
    jobs.handle(|state: AppState, job: NotificationEmail| async move { send_email(&state, job.notification_id).await });
    jobs.handle(|state: AppState, job: NotificationText| async move { send_text(&state, job.notification_id).await });
    jobs.handle(|state: AppState, job: BackInStock| async move { back_in_stock(&state, job).await.map(drop).map_err(anyhow::Error::from) });
}

struct Stored {
    user: Uuid,
    topic: Topic,
    key: String,
    title: String,
    body: String,
    link: Option<String>,
    email: Option<String>,
    email_verified: bool,
    phone: Option<String>,
    phone_verified: bool,
}

async fn stored(db: &PgPool, id: Uuid) -> anyhow::Result<Option<Stored>> {
    let row: Option<(Uuid, String, String, String, String, Option<String>, Option<String>, bool, Option<String>, bool)> = sqlx::query_as(
        "select n.user_id, n.kind, n.event_key, n.title, n.body, n.link,
                u.email::text, u.email_verified_at is not null, u.phone, u.phone_verified_at is not null
         from notifications n join users u on u.id = n.user_id
         where n.id = $1 and u.deleted_at is null",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(|(user, kind, key, title, body, link, email, email_verified, phone, phone_verified)| {
        Some(Stored { user, topic: Topic::parse(&kind)?, key, title, body, link, email, email_verified, phone, phone_verified })
    }))
}

async fn send_email(state: &AppState, id: Uuid) -> anyhow::Result<()> {
    let Some(n) = stored(&state.db, id).await? else { return Ok(()) };
    let (Some(to), true) = (n.email.clone(), n.email_verified) else {
        tracing::info!(notification = %id, "notification email not sent: no verified address");
        return Ok(());
    };
    let secret = state.config.auth_secret.expose();
    let site = &state.config.site_url;
    let email = compose(&n, &to, site, secret);
    if n.topic.email_required() {
        state.mailer.send(email).await
    } else {
        let unsubscribe = format!("{site}{ONE_CLICK_PATH}?token={}", url_encode(&unsubscribe_token(secret, n.user, n.topic)));
        state.mailer.send_list(email, &unsubscribe).await
    }
}

/// Where mail apps post RFC 8058's one-click unsubscribe for notification emails.
pub const ONE_CLICK_PATH: &str = crate::server::guard::NOTIFICATIONS_ONE_CLICK_PATH;

fn compose(n: &Stored, to: &str, site: &str, secret: &str) -> Email {
    let link = n.link.as_deref().map(|l| format!("{site}{l}"));
    let mut text = format!("{}\n\n{}\n", n.title, n.body);
    let mut html = format!(r#"<p style="margin:0 0 16px;line-height:1.5">{}</p>"#, escape_html(&n.body));
    if let Some(link) = &link {
        text.push_str(&format!("\n{link}\n"));
        html.push_str(&format!(
            r#"<p style="margin:24px 0 0"><a href="{}" style="display:inline-block;background:#065f46;color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:999px;font-weight:600">Open</a></p>"#,
            escape_html(link)
        ));
    }
    if let Some(session) = n.key.strip_prefix("device:").and_then(|s| Uuid::parse_str(s).ok()) {
        let not_me = format!("{site}/account/not-me?token={}", url_encode(&not_me_token(secret, session)));
        text.push_str(&format!("\nThis wasn't me: {not_me}\n"));
        html.push_str(&format!(
            r#"<p style="margin:16px 0 0;font-size:14px">Not you? <a href="{}" style="color:#065f46">This wasn't me</a> — we'll end that session and help you reset your password.</p>"#,
            escape_html(&not_me)
        ));
    }
    let html = if n.topic.email_required() {
        layout(&n.title, &html)
    } else {
        let settings = format!("{site}/account/notifications/settings");
        let note = format!(
            r#"You received this email because you asked us to tell you about {}. <a href="{}" style="color:#57534e">Change what we send</a>."#,
            escape_html(&n.topic.label().to_lowercase()),
            escape_html(&settings)
        );
        text.push_str(&format!("\nChange what we send: {settings}\n"));
        layout_with_note(&n.title, &html, &note)
    };
    Email { to: to.to_owned(), subject: n.title.clone(), text, html }
}

async fn send_text(state: &AppState, id: Uuid) -> anyhow::Result<()> {
    let Some(n) = stored(&state.db, id).await? else { return Ok(()) };
    let (Some(phone), true) = (n.phone.as_deref(), n.phone_verified) else {
        tracing::info!(notification = %id, "notification text not sent: no verified phone");
        return Ok(());
    };
    state.sms.send(phone, &format!("Larkspur: {} {}", n.title, n.body)).await
}

/// Tells every customer waiting for a restocked size, once per restock.
pub async fn back_in_stock(state: &AppState, job: BackInStock) -> Result<usize, AppError> {
    let waiting: Vec<(Uuid, String, String, String, String, i32)> = sqlx::query_as(
        "select w.user_id, p.name, p.slug, c.name, s.label, ps.stock - ps.reserved
         from wishlist_items w
         join product_sizes ps on ps.id = w.product_size_id
         join product_colours pc on pc.id = ps.product_colour_id
         join colours c on c.id = pc.colour_id
         join sizes s on s.id = ps.size_id
         join products p on p.id = pc.product_id
         where w.product_size_id = $1 and w.user_id is not null and p.is_active and p.deleted_at is null",
    )
    .bind(job.variant_id)
    .fetch_all(&state.db)
    .await?;
    let now = state.clock.now();
    let mut told = 0;
    for (user, product, slug, colour, size, available) in waiting {
        if available <= 0 {
            // Sold out again before the job ran: the next restock queues another.
            break;
        }
        let event = Event::BackInStock { variant_id: job.variant_id, restock: job.restock, product, slug, colour, size };
        let mut tx = state.db.begin().await?;
        if notify(&mut tx, user, &event, now).await?.is_some() {
            told += 1;
        }
        tx.commit().await?;
    }
    Ok(told)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a-secret-of-thirty-two-characters!";

    #[test]
    fn unsubscribe_tokens_name_their_customer_and_topic_and_cannot_be_altered() {
        let user = Uuid::now_v7();
        let token = unsubscribe_token(SECRET, user, Topic::Reviews);
        assert_eq!(read_unsubscribe_token(SECRET, &token), Some((user, Topic::Reviews)));
        assert_eq!(read_unsubscribe_token("another-secret-of-thirty-two-chars", &token), None);
        let other_topic = token.replace(".reviews.", ".shipping.");
        assert_eq!(read_unsubscribe_token(SECRET, &other_topic), None);
        let other_user = token.replacen(&user.to_string(), &Uuid::now_v7().to_string(), 1);
        assert_eq!(read_unsubscribe_token(SECRET, &other_user), None);
        assert_eq!(read_unsubscribe_token(SECRET, "garbage"), None);
    }

    #[test]
    fn not_me_tokens_name_their_session_only() {
        let session = Uuid::now_v7();
        let token = not_me_token(SECRET, session);
        assert_eq!(read_not_me_token(SECRET, &token), Some(session));
        let forged = format!("{}.{}", Uuid::now_v7(), token.split_once('.').unwrap().1);
        assert_eq!(read_not_me_token(SECRET, &forged), None);
    }

    #[test]
    fn each_order_step_has_its_own_key_and_shipping_carries_the_tracking_number() {
        let order_id = Uuid::now_v7();
        let event = |step| Event::Order { order_id, number: 1042, step, tracking: Some("1Z999".into()), carrier: Some("UPS".into()) };
        let shipped = event(OrderEmail::Shipped).message();
        assert_eq!(shipped.topic, Topic::Shipping);
        assert!(shipped.body.contains("1Z999") && shipped.body.contains("UPS"));
        assert_eq!(shipped.link, "/account/orders/1042");
        assert_ne!(shipped.key, event(OrderEmail::Delivered).message().key);
        assert_eq!(event(OrderEmail::Paid).message().topic, Topic::Orders);
        assert_eq!(event(OrderEmail::Paid).message().key, event(OrderEmail::Paid).message().key);
    }
}
