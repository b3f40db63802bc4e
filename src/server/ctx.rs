//! Helpers for server functions: reach the app state and session, and give errors their
//! HTTP status.

use super::{session::AppSession, state::AppState};
use crate::{error::AppError, response::set_status};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use std::future::Future;

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal(anyhow::anyhow!("AppState missing from context")))
}

pub async fn session() -> Result<AppSession, AppError> {
    let session = leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("session layer missing: {e}")))?;
    Ok(AppSession::new(session))
}

/// Runs a server function body and, on failure, sets the response status from the error
/// (server functions would otherwise answer every error with 500).
pub async fn respond<T>(body: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = body.await;
    // A plain form post is answered with a redirect back to its page (see `forms`), which
    // an error status would turn into a dead end.
    if let Err(err) = &result {
        if !is_plain_post() {
            set_status(err.status());
            if let Some(secs) = err.retry_after_secs() {
                if let Some(options) = use_context::<ResponseOptions>() {
                    options.insert_header(axum::http::header::RETRY_AFTER, secs.into());
                }
            }
        }
    }
    result
}

/// A browser submitted the form itself (no JavaScript): it wants a page, not JSON.
/// (Server functions a page calls while it renders see the page's GET: not a post.)
pub fn is_plain_post() -> bool {
    leptos::prelude::use_context::<axum::http::request::Parts>().is_some_and(|parts| {
        let accept = parts.headers.get(axum::http::header::ACCEPT).and_then(|v| v.to_str().ok());
        parts.method == axum::http::Method::POST && accept.is_some_and(|a| a.contains("text/html"))
    })
}
