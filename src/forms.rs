//! Forms that work before and without JavaScript. Every form posts (`method="post"`) to the
//! same server function its island calls. A plain post expects a page back: on success the
//! server function redirects; otherwise it leaves the outcome here, in the session, and the
//! browser returns to the form's page, which shows the message beside the field and what
//! was typed (never a password or code).

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a plain form post left for the page it returns to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormFlash {
    /// Which form on the page this belongs to.
    pub form: String,
    /// What the person typed, by field name (secrets are never kept).
    pub values: BTreeMap<String, String>,
    pub error: Option<AppError>,
    /// The step the form is at ("verify" once a code was sent).
    pub step: Option<String>,
    /// A confirmation to show.
    pub notice: Option<String>,
}

impl FormFlash {
    pub fn value(&self, field: &str) -> String {
        self.values.get(field).cloned().unwrap_or_default()
    }
}

/// The outcome a plain post left for `form`, taken once (a reload shows a clean form).
#[server(endpoint = "forms/outcome")]
pub async fn take_form_outcome(form: String) -> Result<Option<FormFlash>, AppError> {
    crate::server::ctx::respond(async move {
        let session = crate::server::ctx::session().await?;
        let flash: Option<FormFlash> = session.take(server::FLASH_KEY).await?;
        Ok(match flash {
            Some(flash) if flash.form == form => Some(flash),
            Some(other) => {
                // Another form's outcome: leave it for its own page.
                session.put(server::FLASH_KEY, &other).await?;
                None
            }
            None => None,
        })
    })
    .await
}

#[cfg(feature = "ssr")]
pub mod server {
    use super::FormFlash;
    use crate::{error::AppError, server::ctx};

    pub const FLASH_KEY: &str = "form_flash";

    /// What a successful plain post does next.
    pub enum Then {
        /// Go to this same-site path.
        Redirect(String),
        /// Return to the form at `step`, with an optional confirmation.
        Stay { step: Option<&'static str>, notice: Option<String> },
    }

    /// A browser submitted the form itself (no JavaScript): it wants a page, not JSON.
    pub fn is_plain_post() -> bool {
        leptos::prelude::use_context::<axum::http::request::Parts>().is_some_and(|parts| {
            parts
                .headers
                .get(axum::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"))
        })
    }

    /// Finishes a server function that a form posts to. For calls from an island this is
    /// the result as it is; for a plain post it also redirects, or keeps the outcome for
    /// the page (Leptos sends the browser back to the form's page).
    pub async fn finish<T>(
        form: &str,
        values: &[(&str, &str)],
        failed_step: Option<&'static str>,
        result: Result<T, AppError>,
        then: impl FnOnce(&T) -> Then,
    ) -> Result<T, AppError> {
        if !is_plain_post() {
            return result;
        }
        let values = values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut flash = FormFlash { form: form.to_owned(), values, ..Default::default() };
        match &result {
            Ok(value) => match then(value) {
                Then::Redirect(path) => {
                    leptos_axum::redirect(&path);
                    return result;
                }
                Then::Stay { step, notice } => {
                    flash.step = step.map(str::to_owned);
                    flash.notice = notice;
                }
            },
            Err(error) => {
                flash.error = Some(error.clone());
                flash.step = failed_step.map(str::to_owned);
            }
        }
        ctx::session().await?.put(FLASH_KEY, &flash).await?;
        result
    }
}
