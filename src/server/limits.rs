//! Sliding-window counters in Redis, shared by every app instance. Each window is a sorted
//! set of event times scored by the store's clock (so tests can move time), trimmed and
//! counted atomically by one Lua script.

use super::state::AppState;
use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};
use fred::prelude::LuaInterface;

/// How many events a window allows, and over how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub limit: u32,
    pub period: Duration,
}

/// Trims events older than the period, then: `check` counts; `record` adds one event;
/// `take` adds one only while under the limit. Returns the count before any addition and
/// the oldest event time still inside the window.
const SCRIPT: &str = r"
local now = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
local n = redis.call('ZCARD', KEYS[1])
local mode = ARGV[4]
if mode == 'record' or (mode == 'take' and n < tonumber(ARGV[3])) then
  redis.call('ZADD', KEYS[1], now, ARGV[5])
  redis.call('PEXPIRE', KEYS[1], period)
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {n, tonumber(oldest[2] or now)}
";

#[derive(Clone, Copy)]
enum Mode {
    Check,
    Record,
    Take,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Self::Check => "check",
            Self::Record => "record",
            Self::Take => "take",
        }
    }
}

async fn run(state: &AppState, key: &str, window: Window, now: DateTime<Utc>, mode: Mode) -> Result<(u32, i64), AppError> {
    let now_ms = now.timestamp_millis();
    let member = format!("{now_ms}:{}", uuid::Uuid::now_v7());
    let args = vec![
        now_ms.to_string(),
        window.period.num_milliseconds().to_string(),
        window.limit.to_string(),
        mode.as_str().to_owned(),
        member,
    ];
    let (count, oldest): (i64, i64) = state
        .redis
        .eval(SCRIPT, format!("{}limit:{key}", state.config.redis_prefix), args)
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "rate-limit store unavailable");
            AppError::Unavailable
        })?;
    Ok((count.max(0) as u32, oldest))
}

/// `RateLimited` until the oldest counted event leaves the window.
fn refuse_if_full(window: Window, count: u32, oldest_ms: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    if count < window.limit {
        return Ok(());
    }
    let free_at = oldest_ms + window.period.num_milliseconds();
    let wait_ms = (free_at - now.timestamp_millis()).max(1000);
    Err(AppError::RateLimited { retry_after_secs: ((wait_ms + 999) / 1000) as u64 })
}

/// `Err(RateLimited)` when the window is full; records nothing.
pub async fn check(state: &AppState, key: &str, window: Window, now: DateTime<Utc>) -> Result<(), AppError> {
    let (count, oldest) = run(state, key, window, now, Mode::Check).await?;
    refuse_if_full(window, count, oldest, now)
}

/// Counts one event.
pub async fn record(state: &AppState, key: &str, window: Window, now: DateTime<Utc>) -> Result<(), AppError> {
    run(state, key, window, now, Mode::Record).await.map(|_| ())
}

/// Counts one event if the window has room, otherwise `Err(RateLimited)`.
pub async fn take(state: &AppState, key: &str, window: Window, now: DateTime<Utc>) -> Result<(), AppError> {
    let (count, oldest) = run(state, key, window, now, Mode::Take).await?;
    refuse_if_full(window, count, oldest, now)
}

/// How long the checkout's ceilings (`CheckoutLimits`) count actions over.
pub const CHECKOUT_WINDOW: Duration = Duration::hours(1);

/// Counts one checkout `action` ("place", "pay", "address", …) of `customer` and of the
/// request's client address, each against its own ceiling; `Err(RateLimited)` when either is
/// used up. Each action has its own counters, so paying again is not stopped by addresses.
pub async fn take_checkout_action(state: &AppState, action: &str, customer: Option<uuid::Uuid>) -> Result<(), AppError> {
    let limits = state.config.checkout_limits;
    let now = state.clock.now();
    if let Some(customer) = customer {
        let window = Window { limit: limits.actions_per_customer, period: CHECKOUT_WINDOW };
        take(state, &format!("checkout:{action}:customer:{customer}"), window, now).await?;
    }
    let ip = leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| super::client::ClientInfo::from_parts(&parts, state.config.trust_proxy).ip);
    let client = ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let window = Window { limit: limits.actions_per_client, period: CHECKOUT_WINDOW };
    take(state, &format!("checkout:{action}:client:{client}"), window, now).await
}

/// Counts a public write (or search) against its group's ceiling for the client address
/// (`public_writes::WriteGroup`); over it, the request is answered 429 with `Retry-After`
/// before any handler runs: as JSON for the islands' calls, as a short page for a form posted
/// without JavaScript or a page opened in the browser.
pub async fn public_writes(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let Some(group) = super::public_writes::WriteGroup::of(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let ip = super::client::ClientInfo::from_parts(&parts, state.config.trust_proxy).ip;
    let client = ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let window = Window { limit: state.config.write_limits.per_minute(group), period: Duration::minutes(1) };
    match take(&state, &format!("write:{}:client:{client}", group.name()), window, state.clock.now()).await {
        Ok(()) => next.run(axum::extract::Request::from_parts(parts, body)).await,
        Err(refused) => {
            let over = matches!(refused, AppError::RateLimited { .. });
            if over {
                tracing::warn!(group = group.name(), client = %client, "refused a request over its limit");
            }
            let wants_page = parts
                .headers
                .get(axum::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"));
            // Refused over the ceiling (429), or the count could not be kept (Redis down: 503).
            let status = axum::http::StatusCode::from_u16(refused.status()).unwrap_or(axum::http::StatusCode::SERVICE_UNAVAILABLE);
            let mut response = if wants_page && over {
                (status, axum::response::Html(refusal_page(&refused.to_string()))).into_response()
            } else if parts.uri.path().starts_with("/api/") {
                // As a server function answers its errors, so the island shows the message.
                let body = serde_json::to_vec(&refused).unwrap_or_default();
                (status, [(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response()
            } else {
                return refused.into_response();
            };
            if let Some(secs) = refused.retry_after_secs() {
                response.headers_mut().insert(axum::http::header::RETRY_AFTER, secs.into());
            }
            response
        }
    }
}

/// A page of its own, with no script: the app's pages are not rendered for a refused request.
fn refusal_page(message: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Too many requests — Larkspur</title></head><body>\
         <main><h1>Too many requests</h1><p>{}</p><p>Your browser sent this many requests in a short time. Go back and try again then.</p>\
         <p><a href=\"/\">Back to the store</a></p></main></body></html>",
        crate::text::escape_html(message)
    )
}
