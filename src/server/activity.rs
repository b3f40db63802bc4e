//! Keeps "last active" (sessions, user metrics) and "last seen" (devices) current. Runs after
//! the page, only for visitors who already have a session, at most one write a minute.

use super::{session::AppSession, state::AppState};
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use tower_sessions::Session;

const SKIPPED_PREFIXES: &[&str] = &["/pkg/", "/media/", "/favicon", "/healthz", "/readyz"];

pub async fn track(State(state): State<AppState>, session: Session, request: Request, next: Next) -> Response {
    let skip = session.id().is_none() || SKIPPED_PREFIXES.iter().any(|p| request.uri().path().starts_with(p));
    let response = next.run(request).await;
    if skip {
        return response;
    }
    // Best effort: a failure here must never fail the page.
    if let Ok(data) = AppSession::new(session).data().await {
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
        if let Some(device) = data.device_id {
            if let Err(err) = crate::consent::server::touch_device(&state.db, device, now).await {
                tracing::warn!(error = %err, "could not record device activity");
            }
        }
    }
    response
}
