//! The one application error. It crosses the server-function boundary as JSON, maps to an
//! HTTP status, and carries only messages that are safe to show: internal causes are logged
//! on the server where the error is created and replaced by an opaque message.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Messages per form field, keyed by the field's `name`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors(pub BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_default().push(message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `value` trimmed; a message beside `field` when it is empty and `required` holds the
    /// message to show, or when it is longer than `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize, required: Option<&str>) -> String {
        let value = value.trim();
        match required {
            Some(message) if value.is_empty() => self.add(field, message),
            _ if value.chars().count() > max => self.add(field, format!("Use at most {max} characters.")),
            _ => {}
        }
        value.to_owned()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).and_then(|m| m.first()).map(String::as_str)
    }

    /// `Ok(())` when nothing was added, otherwise the collected messages as an error.
    pub fn into_result(self) -> Result<(), AppError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please correct the highlighted fields.")]
    Validation(FieldErrors),
    #[error("The request was not understood: {0}")]
    BadRequest(String),
    /// A well-formed request the store turns down, with a message for the person.
    #[error("{0}")]
    Rejected(String),
    #[error("{0} was not found.")]
    NotFound(String),
    /// Existed once and was removed on purpose (soft-deleted products).
    #[error("{0} is no longer available.")]
    Gone(String),
    /// Lives at another address now (a renamed product's old slug); the response carries
    /// the new one in `Location`.
    #[error("This page has moved to {0}.")]
    Moved(String),
    #[error("Please sign in to continue.")]
    Unauthorized,
    #[error("You do not have permission to do that.")]
    Forbidden,
    /// The account was deactivated by staff: it cannot sign in by any method.
    #[error("This account has been deactivated. Contact us if you think this is a mistake.")]
    AccountDisabled,
    #[error("{0}")]
    Conflict(String),
    #[error("Only {available} left in stock.")]
    OutOfStock { available: i32 },
    #[error("Please wait {} before trying again.", human_duration(*retry_after_secs))]
    RateLimited { retry_after_secs: u64 },
    #[error("Too many unsuccessful attempts from this device. It is locked for {} more.", human_duration(*retry_after_secs))]
    DeviceLocked { retry_after_secs: u64 },
    #[error("The service is temporarily unavailable. Please try again shortly.")]
    Unavailable,
    /// A staff action that needs the second factor given within the last ten minutes.
    #[error("For this, confirm it's you first: give your authenticator or email code again, then repeat it.")]
    Reconfirm,
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
}

impl AppError {
    /// A validation error for a single field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        Self::Validation(errors)
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::Validation(_) => 422,
            Self::BadRequest(_) | Self::Rejected(_) => 400,
            Self::NotFound(_) => 404,
            Self::Gone(_) => 410,
            Self::Moved(_) => 301,
            Self::Unauthorized => 401,
            Self::Forbidden | Self::AccountDisabled | Self::Reconfirm => 403,
            Self::Conflict(_) | Self::OutOfStock { .. } => 409,
            Self::RateLimited { .. } | Self::DeviceLocked { .. } => 429,
            Self::Unavailable => 503,
            Self::Internal => 500,
        }
    }

    /// Seconds until a refused request may be repeated (the `Retry-After` header).
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_secs } | Self::DeviceLocked { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// The messages of one field, when this is a validation error.
    pub fn field_error(&self, field: &str) -> Option<String> {
        match self {
            Self::Validation(errors) => errors.get(field).map(str::to_owned),
            _ => None,
        }
    }
}

/// `4 minutes 30 seconds`, `1 minute`, `45 seconds`.
pub fn human_duration(secs: u64) -> String {
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match (secs / 60, secs % 60) {
        (0, s) => plural(s, "second"),
        (m, 0) => plural(m, "minute"),
        (m, s) => format!("{} {}", plural(m, "minute"), plural(s, "second")),
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::Deserialization(msg) => {
                Self::BadRequest(msg)
            }
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => Self::Unavailable,
            ServerFnErrorErr::MissingArg(arg) => Self::BadRequest(format!("missing {arg}")),
            other => {
                tracing::error!(error = %other, "server function failure");
                Self::Internal
            }
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::AppError;

    impl AppError {
        /// Logs the full cause chain and returns the opaque `Internal` error.
        pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
            let cause = cause.into();
            tracing::error!(error = ?cause, "internal error");
            Self::Internal
        }
    }

    impl From<sqlx::Error> for AppError {
        fn from(err: sqlx::Error) -> Self {
            match err {
                sqlx::Error::RowNotFound => Self::NotFound("The record".into()),
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed | sqlx::Error::Io(_) => {
                    tracing::error!(error = %err, "database unavailable");
                    Self::Unavailable
                }
                // A restart or shutdown of PostgreSQL (57P01–57P03: the server ended or
                // refuses the session) or a broken connection (class 08): an outage, and the
                // pool reconnects by itself.
                sqlx::Error::Database(ref db) if db.code().is_some_and(|c| c.starts_with("57P") || c.starts_with("08")) => {
                    tracing::error!(error = %err, "database unavailable");
                    Self::Unavailable
                }
                other => Self::internal(other),
            }
        }
    }

    impl From<tower_sessions::session::Error> for AppError {
        fn from(err: tower_sessions::session::Error) -> Self {
            // The session store is Redis: failing to reach it is an outage, not a bug.
            tracing::error!(error = %err, "session store unavailable");
            Self::Unavailable
        }
    }

    impl axum::response::IntoResponse for AppError {
        fn into_response(self) -> axum::response::Response {
            let status = axum::http::StatusCode::from_u16(self.status())
                .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = (status, axum::Json(serde_json::json!({ "error": self.to_string() }))).into_response();
            if let Some(secs) = self.retry_after_secs() {
                response.headers_mut().insert(axum::http::header::RETRY_AFTER, secs.into());
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_match_http_semantics() {
        let cases = [
            (AppError::field("email", "bad"), 422),
            (AppError::BadRequest("x".into()), 400),
            (AppError::Rejected("The email or password is incorrect.".into()), 400),
            (AppError::NotFound("Product".into()), 404),
            (AppError::Gone("Product".into()), 410),
            (AppError::Unauthorized, 401),
            (AppError::Forbidden, 403),
            (AppError::AccountDisabled, 403),
            (AppError::Conflict("taken".into()), 409),
            (AppError::OutOfStock { available: 2 }, 409),
            (AppError::RateLimited { retry_after_secs: 30 }, 429),
            (AppError::DeviceLocked { retry_after_secs: 300 }, 429),
            (AppError::Unavailable, 503),
            (AppError::Internal, 500),
        ];
        for (error, status) in cases {
            assert_eq!(error.status(), status, "{error:?}");
        }
    }

    #[test]
    fn messages_are_safe_to_show() {
        assert_eq!(AppError::NotFound("Product".into()).to_string(), "Product was not found.");
        assert_eq!(AppError::OutOfStock { available: 3 }.to_string(), "Only 3 left in stock.");
        assert!(!AppError::Internal.to_string().to_lowercase().contains("sql"));
        assert_eq!(
            AppError::DeviceLocked { retry_after_secs: 270 }.to_string(),
            "Too many unsuccessful attempts from this device. It is locked for 4 minutes 30 seconds more."
        );
        assert_eq!(AppError::RateLimited { retry_after_secs: 60 }.to_string(), "Please wait 1 minute before trying again.");
        assert_eq!(human_duration(1), "1 second");
    }

    #[test]
    fn field_errors_collect_and_convert() {
        let mut errors = FieldErrors::new();
        assert_eq!(errors.clone().into_result(), Ok(()));
        errors.add("email", "Enter a valid email address.");
        errors.add("email", "second");
        let err = errors.into_result().unwrap_err();
        assert_eq!(err.field_error("email").as_deref(), Some("Enter a valid email address."));
        assert_eq!(err.field_error("name"), None);
    }

    #[test]
    fn round_trips_as_json() {
        let err = AppError::field("qty", "Must be at least 1.");
        let json = serde_json::to_string(&err).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), err);
    }

    #[test]
    fn transport_failures_become_safe_errors() {
        let err = AppError::from_server_fn_error(ServerFnErrorErr::Request("refused".into()));
        assert_eq!(err, AppError::Unavailable);
        let err = AppError::from_server_fn_error(ServerFnErrorErr::Args("bad".into()));
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn text_is_trimmed_required_and_bounded_in_characters() {
        let mut errors = FieldErrors::new();
        assert_eq!(errors.text("name", "  Ada  ", 5, Some("Enter your name.")), "Ada");
        assert_eq!(errors.text("title", "", 5, None), "", "optional and empty is fine");
        assert!(errors.is_empty());
        errors.text("name", "   ", 5, Some("Enter your name."));
        errors.text("bio", "ééééééé", 6, None);
        errors.text("ok", "éééééé", 6, None);
        assert_eq!(errors.get("name"), Some("Enter your name."));
        assert_eq!(errors.get("bio"), Some("Use at most 6 characters."), "characters, not bytes");
        assert_eq!(errors.get("ok"), None);
    }
}
