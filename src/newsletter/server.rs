//! The newsletter on the server: signing up (rate limited, the same answer for every
//! address), the confirmation and welcome mails sent by the job queue, confirming and
//! unsubscribing by token, the one-click unsubscribe endpoint mail apps post to, and the
//! staff list and its CSV.

use super::{mask_email, Confirmation, SignUpSource, StaffSubscriber, SubscriberStatus, Subscription, ALREADY_CONFIRMED, CONFIRMED, UNSUBSCRIBED};
use crate::{
    admin::table::{ListQuery, Paged, PAGE_SIZE},
    auth::{
        server::secrets::{keyed_hash, random_token},
        types::Email,
    },
    error::AppError,
    server::{
        jobs::{self, Job, JobRegistry},
        limits::{self, Window},
        mail::{layout_with_note, Email as Message},
        state::AppState,
    },
    text::escape_html,
};
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// How long a confirmation link works.
pub const CONFIRM_VALID: Duration = Duration::days(7);
/// Confirmation mails one address may be sent: one per ten minutes, five a day.
pub const CONFIRM_COOLDOWN: Window = Window { limit: 1, period: Duration::minutes(10) };
pub const CONFIRMS_PER_DAY: Window = Window { limit: 5, period: Duration::hours(24) };
/// Sign-ups one client address may make (any addresses): then 429, whoever they name.
pub const SIGN_UPS_PER_CLIENT: Window = Window { limit: 10, period: Duration::minutes(10) };

/// The job that mails a confirmation link (and makes its token).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SendConfirmation {
    pub subscriber_id: Uuid,
}

impl Job for SendConfirmation {
    const KIND: &'static str = "newsletter_confirmation";
}

/// The job that welcomes a subscriber who just confirmed (the first newsletter mail).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SendWelcome {
    pub subscriber_id: Uuid,
}

impl Job for SendWelcome {
    const KIND: &'static str = "newsletter_welcome";
}

pub fn register_jobs(registry: &mut JobRegistry<AppState>) {
    registry.handle(|state: AppState, job: SendConfirmation| async move { send_confirmation(&state, job.subscriber_id).await });
    registry.handle(|state: AppState, job: SendWelcome| async move { send_welcome(&state, job.subscriber_id).await });
}

/// The unsubscribe token of a subscriber: derived from its id with the store's secret, so
/// every newsletter mail (and the staff's export) can carry it while only its hash is
/// stored. Changing `AUTH_SECRET` retires every unsubscribe link sent before.
pub fn unsubscribe_token(secret: &str, subscriber: Uuid) -> String {
    keyed_hash(secret, &format!("newsletter-unsubscribe:{subscriber}"))
}

/// How a token (either kind) is found: its keyed hash.
fn token_hash(secret: &str, token: &str) -> String {
    keyed_hash(secret, token)
}

/// A token as it arrives in a link: ASCII letters, digits, `-` and `_`, of a sane length;
/// anything else matches nothing, so it is not even looked up.
fn plausible(token: &str) -> Option<&str> {
    let token = token.trim();
    (16..=128).contains(&token.len()).then_some(token).filter(|t| t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// The page a subscriber's unsubscribe link opens, and the address mail apps post to.
pub fn unsubscribe_urls(site_url: &str, secret: &str, subscriber: Uuid) -> (String, String) {
    let token = unsubscribe_token(secret, subscriber);
    (
        format!("{site_url}/newsletter/unsubscribe?token={token}"),
        format!("{site_url}{}?token={token}", crate::server::guard::NEWSLETTER_ONE_CLICK_PATH),
    )
}

/// Signs `email` up from `source`. A new, pending or unsubscribed address is sent a
/// confirmation link (unless it was sent one within the cool-down or five today); a
/// confirmed one nothing. Either way the answer is the same. `client` counts towards
/// the per-client ceiling.
#[tracing::instrument(skip_all)]
pub async fn subscribe(state: &AppState, email: &Email, source: SignUpSource, client: &str) -> Result<(), AppError> {
    let now = state.clock.now();
    limits::take(state, &format!("newsletter:sign-up:client:{client}"), SIGN_UPS_PER_CLIENT, now).await?;
    let secret = state.config.auth_secret.expose();
    let new_id = Uuid::now_v7();
    let mut tx = state.db.begin().await?;
    sqlx::query("insert into subscribers (id, email, unsubscribe_token_hash, source) values ($1, $2, $3, $4) on conflict (email) do nothing")
        .bind(new_id)
        .bind(email.as_str())
        .bind(token_hash(secret, &unsubscribe_token(secret, new_id)))
        .bind(source.as_str())
        .execute(&mut *tx)
        .await?;
    let (id, status): (Uuid, String) =
        sqlx::query_as("select id, status from subscribers where email = $1 for update").bind(email.as_str()).fetch_one(&mut *tx).await?;
    // The limits are asked for a confirmed address too, so it costs the same work.
    let may = may_mail(state, email, now).await?;
    if status == SubscriberStatus::Confirmed.as_str() || !may {
        tx.commit().await?;
        return Ok(());
    }
    sqlx::query("update subscribers set confirm_requested_at = $2 where id = $1").bind(id).bind(now).execute(&mut *tx).await?;
    jobs::enqueue(&mut tx, SendConfirmation { subscriber_id: id }, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether `email` receives the newsletter.
pub async fn is_subscribed(db: &PgPool, email: &str) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar("select exists (select 1 from subscribers where email = $1 and status = 'confirmed')").bind(email).fetch_one(db).await?)
}

/// A signed-in customer's own choice for their proven address: subscribed at once (the
/// account already proved the address, so no confirmation mail), or unsubscribed.
pub async fn set_for_account(state: &AppState, email: &str, on: bool, now: DateTime<Utc>) -> Result<(), AppError> {
    if on {
        let secret = state.config.auth_secret.expose();
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into subscribers (id, email, status, unsubscribe_token_hash, source, confirmed_at) values ($1, $2, 'confirmed', $3, 'account', $4)
             on conflict (email) do update set status = 'confirmed', confirmed_at = coalesce(subscribers.confirmed_at, $4), unsubscribed_at = null",
        )
        .bind(id)
        .bind(email)
        .bind(token_hash(secret, &unsubscribe_token(secret, id)))
        .bind(now)
        .execute(&state.db)
        .await?;
    } else {
        sqlx::query(
            "update subscribers set status = 'unsubscribed', unsubscribed_at = $2, confirm_token_hash = null
             where email = $1 and status <> 'unsubscribed'",
        )
        .bind(email)
        .bind(now)
        .execute(&state.db)
        .await?;
    }
    Ok(())
}

/// Whether `email` may be sent another confirmation now (counting it when so).
async fn may_mail(state: &AppState, email: &Email, now: DateTime<Utc>) -> Result<bool, AppError> {
    for (window, name) in [(CONFIRM_COOLDOWN, "cool-down"), (CONFIRMS_PER_DAY, "day")] {
        match limits::take(state, &format!("newsletter:confirm:{name}:{}", email.as_str()), window, now).await {
            Ok(()) => {}
            Err(AppError::RateLimited { .. }) => return Ok(false),
            Err(other) => return Err(other),
        }
    }
    Ok(true)
}

/// Makes a confirmation token, stores its hash and mails the link; nothing for a
/// subscriber who confirmed meanwhile (or is gone). A retry makes a new token, so only the
/// latest mail's link works.
async fn send_confirmation(state: &AppState, subscriber: Uuid) -> anyhow::Result<()> {
    let now = state.clock.now();
    let token = random_token();
    let secret = state.config.auth_secret.expose();
    let email: Option<String> = sqlx::query_scalar(
        "update subscribers set confirm_token_hash = $2, confirm_expires_at = $3 where id = $1 and status <> 'confirmed' returning email::text",
    )
    .bind(subscriber)
    .bind(token_hash(secret, &token))
    .bind(now + CONFIRM_VALID)
    .fetch_optional(&state.db)
    .await?;
    let Some(email) = email else { return Ok(()) };
    let link = format!("{}/newsletter/confirm?token={token}", state.config.site_url);
    let body = format!(
        "<p>Someone, we hope you, asked to receive the Larkspur newsletter at this address: new arrivals, journal articles and the occasional offer, about twice a month.</p>\
         <p style=\"margin:24px 0\"><a href=\"{0}\" style=\"display:inline-block;background:#065f46;color:#ffffff;padding:12px 20px;border-radius:999px;text-decoration:none;font-weight:600\">Confirm my subscription</a></p>\
         <p>Or open this link: <a href=\"{0}\">{0}</a></p><p>The link works for 7 days. If it wasn't you, ignore this email: we won't write again.</p>",
        escape_html(&link)
    );
    let note = "You received this email because this address was entered in the Larkspur newsletter form.";
    state
        .mailer
        .send(Message {
            to: email,
            subject: "Confirm your Larkspur newsletter subscription".into(),
            text: format!(
                "Someone, we hope you, asked to receive the Larkspur newsletter at this address.\n\nConfirm your subscription: {link}\n\nThe link works for 7 days. If it wasn't you, ignore this email: we won't write again."
            ),
            html: layout_with_note("Confirm your subscription", &body, &escape_html(note)),
        })
        .await
}

/// A newsletter mail to one subscriber: `body_html` and `body_text` with the unsubscribe
/// link under them, and the one-click `List-Unsubscribe` headers. Every newsletter mail
/// goes through here.
pub async fn send_newsletter(state: &AppState, subscriber: Uuid, to: &str, subject: &str, heading: &str, body_html: &str, body_text: &str) -> anyhow::Result<()> {
    let (page, one_click) = unsubscribe_urls(&state.config.site_url, state.config.auth_secret.expose(), subscriber);
    let note = format!(
        "You receive the Larkspur newsletter because you subscribed to it. <a href=\"{0}\" style=\"color:#78716c\">Unsubscribe</a> at any time: one click, no sign-in.",
        escape_html(&page)
    );
    let message = Message {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: format!("{body_text}\n\n--\nYou receive the Larkspur newsletter because you subscribed to it. Unsubscribe: {page}"),
        html: layout_with_note(heading, body_html, &note),
    };
    state.mailer.send_list(message, &one_click).await
}

async fn send_welcome(state: &AppState, subscriber: Uuid) -> anyhow::Result<()> {
    let row: Option<(String, String)> =
        sqlx::query_as("select email::text, status from subscribers where id = $1").bind(subscriber).fetch_optional(&state.db).await?;
    let email = match row {
        Some((email, status)) if status == SubscriberStatus::Confirmed.as_str() => email,
        other => {
            tracing::info!(status = ?other.map(|r| r.1), "welcome not sent: the subscriber is not confirmed");
            return Ok(());
        }
    };
    let site = &state.config.site_url;
    let body_html = format!(
        "<p>Thank you for subscribing. About twice a month we'll write with new arrivals, stories from <a href=\"{0}/journal\">the journal</a> and the occasional offer.</p>",
        escape_html(site)
    );
    let body_text = format!("Thank you for subscribing. About twice a month we'll write with new arrivals, stories from the journal ({site}/journal) and the occasional offer.");
    send_newsletter(state, subscriber, &email, "Welcome to the Larkspur newsletter", "You're subscribed", &body_html, &body_text).await
}

/// What a confirmation link leads to, changing nothing.
pub async fn confirmation(db: &PgPool, secret: &str, token: &str, now: DateTime<Utc>) -> Result<Confirmation, AppError> {
    let Some(token) = plausible(token) else { return Ok(Confirmation::Invalid) };
    let row: Option<(String, String, Option<DateTime<Utc>>)> =
        sqlx::query_as("select email::text, status, confirm_expires_at from subscribers where confirm_token_hash = $1")
            .bind(token_hash(secret, token))
            .fetch_optional(db)
            .await?;
    Ok(match row {
        None => Confirmation::Invalid,
        Some((_, status, _)) if status == SubscriberStatus::Confirmed.as_str() => Confirmation::AlreadyConfirmed,
        Some((_, _, expires)) if expires.is_none_or(|e| e <= now) => Confirmation::Expired,
        Some((email, _, _)) => Confirmation::Ready { email: mask_email(&email) },
    })
}

const LINK_EXPIRED: &str = "This confirmation link has expired. Sign up again and we'll send a new one.";
const LINK_INVALID: &str = "This confirmation link doesn't work any more: a newer one may have been sent, or the address was unsubscribed. Use the newest email, or sign up again.";

/// Confirms the subscriber a confirmation token belongs to, once: a second use (a second
/// click, a double submit) changes nothing and says it is already confirmed. Queues the
/// welcome mail in the same transaction. Returns the message to show.
pub async fn confirm(state: &AppState, token: &str) -> Result<&'static str, AppError> {
    let token = plausible(token).ok_or_else(|| AppError::Rejected(LINK_INVALID.into()))?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let row: Option<(Uuid, String, Option<DateTime<Utc>>)> =
        sqlx::query_as("select id, status, confirm_expires_at from subscribers where confirm_token_hash = $1 for update")
            .bind(token_hash(state.config.auth_secret.expose(), token))
            .fetch_optional(&mut *tx)
            .await?;
    let (id, status, expires) = row.ok_or_else(|| AppError::Rejected(LINK_INVALID.into()))?;
    if status == SubscriberStatus::Confirmed.as_str() {
        return Ok(ALREADY_CONFIRMED);
    }
    if expires.is_none_or(|e| e <= now) {
        return Err(AppError::Rejected(LINK_EXPIRED.into()));
    }
    sqlx::query("update subscribers set status = 'confirmed', confirmed_at = $2, unsubscribed_at = null, confirm_expires_at = null where id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    jobs::enqueue(&mut tx, SendWelcome { subscriber_id: id }, now).await?;
    tx.commit().await?;
    Ok(CONFIRMED)
}

/// What an unsubscribe link leads to, changing nothing.
pub async fn subscription(db: &PgPool, secret: &str, token: &str) -> Result<Subscription, AppError> {
    let Some(token) = plausible(token) else { return Ok(Subscription::Invalid) };
    let row: Option<(String, String)> = sqlx::query_as("select email::text, status from subscribers where unsubscribe_token_hash = $1")
        .bind(token_hash(secret, token))
        .fetch_optional(db)
        .await?;
    Ok(match row {
        None => Subscription::Invalid,
        Some((email, status)) if status == SubscriberStatus::Unsubscribed.as_str() => Subscription::Unsubscribed { email: mask_email(&email) },
        Some((email, _)) => Subscription::Subscribed { email: mask_email(&email) },
    })
}

const UNSUBSCRIBE_INVALID: &str = "This unsubscribe link doesn't work: copy the whole link from the email, or write to us and we'll take you off the list.";

/// Unsubscribes the subscriber an unsubscribe token belongs to (again: no error) and
/// retires any confirmation link it was sent, so an old one never subscribes it again.
pub async fn unsubscribe(state: &AppState, token: &str) -> Result<&'static str, AppError> {
    let token = plausible(token).ok_or_else(|| AppError::NotFound("This unsubscribe link".into()))?;
    let hash = token_hash(state.config.auth_secret.expose(), token);
    let found: Option<Uuid> = sqlx::query_scalar(
        "with found as (select id from subscribers where unsubscribe_token_hash = $1 for update),
              changed as (update subscribers s set status = 'unsubscribed', unsubscribed_at = $2, confirm_token_hash = null, confirm_expires_at = null
                          from found where s.id = found.id and s.status <> 'unsubscribed')
         select id from found",
    )
    .bind(&hash)
    .bind(state.clock.now())
    .fetch_optional(&state.db)
    .await?;
    found.map(|_| UNSUBSCRIBED).ok_or_else(|| AppError::Rejected(UNSUBSCRIBE_INVALID.into()))
}

/// `POST /newsletter/one-click?token=…` (RFC 8058): what a mail app's own "Unsubscribe"
/// button posts (`List-Unsubscribe=One-Click`), from anywhere, without cookies.
pub async fn one_click(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let token = crate::response::query_value(raw.as_deref(), "token");
    match unsubscribe(&state, &token).await {
        Ok(message) => ([(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")], message).into_response(),
        Err(AppError::Rejected(_)) => AppError::NotFound("This unsubscribe link".into()).into_response(),
        Err(error) => error.into_response(),
    }
}

/// `GET /newsletter/one-click?token=…`: someone opened the header's address in a browser;
/// show the unsubscribe page (which asks before changing anything).
pub async fn one_click_page(axum::extract::RawQuery(raw): axum::extract::RawQuery) -> axum::response::Redirect {
    let token = crate::response::query_value(raw.as_deref(), "token");
    axum::response::Redirect::to(&format!("/newsletter/unsubscribe?token={}", crate::text::url_encode(&token)))
}

// ---- staff ----------------------------------------------------------------------------------

#[derive(sqlx::FromRow)]
struct SubscriberRow {
    id: Uuid,
    email: String,
    status: String,
    source: String,
    created_at: DateTime<Utc>,
    confirmed_at: Option<DateTime<Utc>>,
    unsubscribed_at: Option<DateTime<Utc>>,
}

impl From<SubscriberRow> for StaffSubscriber {
    fn from(r: SubscriberRow) -> Self {
        Self {
            id: r.id,
            email: r.email,
            // The schema allows only the three.
            status: SubscriberStatus::parse(&r.status).unwrap_or(SubscriberStatus::Pending),
            source: r.source,
            created_at: r.created_at,
            confirmed_at: r.confirmed_at,
            unsubscribed_at: r.unsubscribed_at,
        }
    }
}

const COLUMNS: &str = "s.id, s.email::text as email, s.status, s.source, s.created_at, s.confirmed_at, s.unsubscribed_at";
const FILTER: &str = "($1::text is null or s.email::text ilike '%' || $1 || '%') and ($2::text is null or s.status = $2)";
const SORTS: [(&str, &str); 4] = [("email", "s.email"), ("created", "s.created_at"), ("confirmed", "s.confirmed_at"), ("unsubscribed", "s.unsubscribed_at")];
/// Most rows one export writes.
pub const EXPORT_MAX: i64 = 200_000;

fn order_by(query: &ListQuery) -> String {
    let names: Vec<&str> = SORTS.iter().map(|(k, _)| *k).collect();
    let (sort, desc) = query.sort_of(&names, ("created", true));
    let column = SORTS.iter().find(|(k, _)| *k == sort).map_or("s.created_at", |(_, c)| c);
    let (direction, id_direction) = if desc { ("desc nulls last", "desc") } else { ("asc nulls last", "asc") };
    format!("{column} {direction}, s.id {id_direction}")
}

/// The `status` filter as the database names it (an unknown one matches everything).
fn status_filter(query: &ListQuery) -> Option<&'static str> {
    query.filter("status").and_then(SubscriberStatus::parse).map(SubscriberStatus::as_str)
}

/// One page of subscribers for `query`: `q` (part of the address), `status`; newest
/// first unless a column is chosen.
pub async fn list(db: &PgPool, query: &ListQuery) -> Result<Paged<StaffSubscriber>, sqlx::Error> {
    let rows: Vec<SubscriberRow> = sqlx::query_as(&format!("select {COLUMNS} from subscribers s where {FILTER} order by {} limit $3 offset $4", order_by(query)))
        .bind(query.search())
        .bind(status_filter(query))
        .bind(PAGE_SIZE)
        .bind(query.offset())
        .fetch_all(db)
        .await?;
    let total: i64 = sqlx::query_scalar(&format!("select count(*) from subscribers s where {FILTER}"))
        .bind(query.search())
        .bind(status_filter(query))
        .fetch_one(db)
        .await?;
    Ok(Paged { rows: rows.into_iter().map(StaffSubscriber::from).collect(), total })
}

/// Every subscriber matching the list's filter, in its order (for the CSV).
pub async fn export(db: &PgPool, query: &ListQuery) -> Result<Vec<StaffSubscriber>, sqlx::Error> {
    let rows: Vec<SubscriberRow> = sqlx::query_as(&format!("select {COLUMNS} from subscribers s where {FILTER} order by {} limit $3", order_by(query)))
        .bind(query.search())
        .bind(status_filter(query))
        .bind(EXPORT_MAX)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(StaffSubscriber::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsubscribe_tokens_are_fixed_per_subscriber_and_secret() {
        let id = Uuid::now_v7();
        let token = unsubscribe_token("secret-one-secret-one-secret-one!", id);
        assert_eq!(token, unsubscribe_token("secret-one-secret-one-secret-one!", id));
        assert_ne!(token, unsubscribe_token("secret-two-secret-two-secret-two!", id));
        assert_ne!(token, unsubscribe_token("secret-one-secret-one-secret-one!", Uuid::now_v7()));
        assert_eq!(plausible(&token), Some(token.as_str()));
    }

    #[test]
    fn only_plausible_tokens_are_looked_up() {
        assert_eq!(plausible(""), None);
        assert_eq!(plausible("short"), None);
        assert_eq!(plausible("abc'; drop table subscribers; --xxxxxxxx"), None);
        assert_eq!(plausible(&"a".repeat(129)), None);
        assert!(plausible(&random_token()).is_some());
    }

    #[test]
    fn newsletter_jobs_have_stable_kinds() {
        let (kind, stored) = jobs::row(&SendConfirmation { subscriber_id: Uuid::nil() }).unwrap();
        assert_eq!(kind, "newsletter_confirmation");
        assert_eq!(stored, serde_json::json!({ "kind": "newsletter_confirmation", "payload": { "subscriber_id": Uuid::nil() } }));
        assert_eq!(jobs::row(&SendWelcome { subscriber_id: Uuid::nil() }).unwrap().0, "newsletter_welcome");
    }
}
