//! Helpers for server functions: reach the app state and session, and give errors their
//! HTTP status.

use super::{session::AppSession, state::AppState};
use crate::error::AppError;
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
        if !crate::forms::server::is_plain_post() {
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

/// Sets the status of the page or server function response being produced.
pub fn set_status(status: u16) {
    if let (Some(options), Ok(status)) = (use_context::<ResponseOptions>(), axum::http::StatusCode::from_u16(status)) {
        options.set_status(status);
    }
}
