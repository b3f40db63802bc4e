//! Reading a streamed multipart upload field by field: the declared size is checked before
//! any byte is read, and each field stops being read once it passes its cap. Each upload
//! form names its own limit and the message shown beside it when a limit is passed.

use crate::error::AppError;
use axum::{
    extract::multipart::{Field, Multipart, MultipartError, MultipartRejection},
    http::{header, request::Parts, StatusCode},
};

#[derive(Clone, Copy)]
pub struct Limits {
    /// The whole body, all fields together.
    pub body: usize,
    /// The error the form shows when the body or a field is too large.
    pub too_large: fn() -> AppError,
}

impl Limits {
    /// The form's fields, once the body it declares fits.
    pub fn open(self, parts: &Parts, multipart: Result<Multipart, MultipartRejection>) -> Result<Multipart, AppError> {
        let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > self.body) {
            return Err((self.too_large)());
        }
        multipart.map_err(|_| AppError::BadRequest("expected a multipart form".into()))
    }

    pub async fn next<'a>(self, multipart: &'a mut Multipart) -> Result<Option<Field<'a>>, AppError> {
        multipart.next_field().await.map_err(|e| self.read_error(e))
    }

    /// The field's bytes, or `None` once it passes `cap` (the rest is never read).
    pub async fn capped(self, field: &mut Field<'_>, cap: usize) -> Result<Option<Vec<u8>>, AppError> {
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| self.read_error(e))? {
            if bytes.len() + chunk.len() > cap {
                return Ok(None);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Some(bytes))
    }

    /// A short text field (an id, a choice, a description): UTF-8 without NUL.
    pub async fn text(self, field: &mut Field<'_>) -> Result<String, AppError> {
        let bytes = self.capped(field, 4096).await?.ok_or_else(|| AppError::BadRequest("a form field is too long".into()))?;
        let text = String::from_utf8(bytes).map_err(|_| AppError::BadRequest("a form field is not text".into()))?;
        if text.contains('\0') {
            return Err(AppError::BadRequest("a form field contains characters that are not allowed".into()));
        }
        Ok(text)
    }

    fn read_error(self, error: MultipartError) -> AppError {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            (self.too_large)()
        } else {
            AppError::BadRequest(format!("the upload could not be read: {}", error.body_text()))
        }
    }
}

/// A file's name as the browser sent it, for messages only: its last path part, short.
pub fn file_name(field: &Field<'_>) -> String {
    let base = field.file_name().unwrap_or_default().rsplit(['/', '\\']).next().unwrap_or_default();
    base.chars().filter(|c| !c.is_control()).take(80).collect()
}
