//! Keeps "last active" (sessions, user metrics) and "last seen" (devices) current, and counts
//! the day's visit of a visitor who allowed analytics. Runs after the page, only for visitors
//! who already have a session, at most one write a minute.

use super::{session::AppSession, state::AppState};
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use tower_sessions::Session;

const SKIPPED_PREFIXES: &[&str] = &["/pkg/", "/media/", "/favicon", "/healthz", "/readyz"];

pub async fn track(State(state): State<AppState>, session: Session, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let skip = session.id().is_none() || SKIPPED_PREFIXES.iter().any(|p| path.starts_with(p));
    // A storefront page (not a server function call or the dashboard) of a visitor who
    // allowed analytics counts towards the day's visits.
    let page_view = request.method() == axum::http::Method::GET
        && !path.starts_with("/api/")
        && !path.starts_with("/admin")
        && crate::consent::server::choice_from_headers(request.headers()).is_some_and(|c| c.analytics);
    let had_session = session.id().is_some();
    let response = next.run(request).await;
    if !had_session {
        return response;
    }
    let session = AppSession::new(session);
    // A staff session's shorter idle time, on every request (assets too): the session layer
    // saves each request's session with its own default otherwise.
    if let Ok(Some(minutes)) = session.data().await.map(|d| d.idle_minutes) {
        session.set_idle_expiry(minutes);
    }
    if skip {
        return response;
    }
    // Best effort: a failure here must never fail the page.
    if let Ok(data) = session.data().await {
        let now = state.clock.now();
        if let Some(id) = data.login_session_id {
            let result = sqlx::query(
                "with touched as (
                     update user_sessions set last_active_at = $2
                     where id = $1 and last_active_at < $2 - interval '1 minute' returning user_id
                 )
                 update user_metrics set last_active_at = $2 where user_id in (select user_id from touched)",
            )
            .bind(id)
            .bind(now)
            .execute(&state.db)
            .await;
            if let Err(err) = result {
                tracing::warn!(error = %err, "could not record session activity");
            }
        }
        if page_view && response.status().is_success() {
            let visitor = crate::analytics::server::Visitor { user_id: data.user_id, anonymous_user_id: data.anonymous_user_id, device_id: data.device_id };
            crate::analytics::server::note_visit(&state, visitor).await;
        }
        if let Some(device) = data.device_id {
            if let Err(err) = crate::consent::server::touch_device(&state.db, device, now).await {
                tracing::warn!(error = %err, "could not record device activity");
            }
        }
    }
    response
}
