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

    /// The outcome, when it belongs to `form`.
    pub fn of(flash: &Option<FormFlash>, form: &str) -> Option<FormFlash> {
        flash.as_ref().filter(|f| f.form == form).cloned()
    }

    pub fn at_step(flash: &Option<FormFlash>, step: &str) -> bool {
        flash.as_ref().is_some_and(|f| f.step.as_deref() == Some(step))
    }
}

/// The outcome the last plain post left, taken once (a reload shows a clean form). The
/// browser is sent back to the page the form is on, so that page takes it.
#[server(endpoint = "forms/outcome")]
pub async fn take_form_outcome() -> Result<Option<FormFlash>, AppError> {
    crate::server::ctx::respond(async move {
        let session = crate::server::ctx::session().await?;
        session.take(server::FLASH_KEY).await
    })
    .await
}

/// For a page with forms: the outcome a plain post left, loaded while the page renders.
pub fn form_outcome() -> Resource<Option<FormFlash>> {
    Resource::new(|| (), |_| async { take_form_outcome().await.ok().flatten() })
}

/// A field's signal, starting from what a plain post kept.
pub fn flashed(flash: &Option<FormFlash>, field: &str) -> RwSignal<String> {
    RwSignal::new(flash.as_ref().map(|f| f.value(field)).unwrap_or_default())
}

/// The latest error: of the island's own calls once it made any, else the one a plain
/// post left.
pub fn latest_error(
    calls: impl Fn() -> Option<Option<AppError>> + Send + Sync + 'static,
    flash: &Option<FormFlash>,
) -> Signal<Option<AppError>> {
    let initial = flash.as_ref().and_then(|f| f.error.clone());
    Signal::derive(move || calls().unwrap_or_else(|| initial.clone()))
}

/// The latest confirmation: of the island's own call once it made one, else the one a
/// plain post left.
pub fn latest_notice<T: Send + Sync + 'static>(
    value: impl Fn() -> Option<Result<T, AppError>> + Send + Sync + 'static,
    message: impl Fn(T) -> String + Send + Sync + 'static,
    flash: &Option<FormFlash>,
) -> Signal<Option<String>> {
    let initial = flash.as_ref().and_then(|f| f.notice.clone());
    Signal::derive(move || match value() {
        Some(result) => result.ok().map(&message),
        None => initial.clone(),
    })
}

/// The error of a two-step form: the second step's once it ran, else the first step's.
pub fn second_step_first<A, B>(second: Option<Result<A, AppError>>, first: Option<Result<B, AppError>>) -> Option<Option<AppError>> {
    match (second, first) {
        (Some(result), _) => Some(result.err()),
        (None, Some(result)) => Some(result.err()),
        (None, None) => None,
    }
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
        /// Return to the form's page keeping nothing (its page shows the new state).
        Return,
    }

    /// The query parameters server_fn adds to the page a failed plain post returns to (the
    /// function's path and its error, serialised and base64-encoded).
    const SERVER_FN_ERROR_PARAMS: [&str; 2] = ["__path", "__err"];

    /// The page a plain post came from, to send the browser back to: the path and query of
    /// `referer` (so always this site), without server_fn's error parameters; `/` without a
    /// usable one. The query is kept as it was written, byte for byte.
    pub fn form_page(referer: Option<&str>) -> String {
        let base = url::Url::parse("http://form.invalid/").expect("a valid base");
        let Some(url) = referer.and_then(|r| base.join(r).ok()) else { return "/".into() };
        let query = url
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|pair| !pair.is_empty() && !SERVER_FN_ERROR_PARAMS.contains(&pair.split('=').next().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("&");
        // One leading slash: `//host/…` would name another site.
        let path = format!("/{}", url.path().trim_start_matches('/'));
        let page = if query.is_empty() { path } else { format!("{path}?{query}") };
        // A path that cannot be a header value (it always can, once parsed) goes home.
        if axum::http::HeaderValue::from_str(&page).is_ok() {
            page
        } else {
            "/".into()
        }
    }

    /// Sends a plain post back to the form's page. Set here, the Location wins over the one
    /// server_fn would write, which for an error carries the serialised error in the query.
    fn back_to_form() {
        let referer = leptos::prelude::use_context::<axum::http::request::Parts>()
            .and_then(|parts| parts.headers.get(axum::http::header::REFERER).and_then(|v| v.to_str().ok()).map(str::to_owned));
        leptos_axum::redirect(&form_page(referer.as_deref()));
    }

    /// Finishes a server function that a form posts to. For calls from an island this is
    /// the result as it is; for a plain post it also redirects: where `then` says on
    /// success, otherwise back to the form's page (a plain URL: the outcome waits in the
    /// session, never in the address bar).
    pub async fn finish<T>(
        form: &str,
        values: &[(&str, &str)],
        failed_step: Option<&'static str>,
        result: Result<T, AppError>,
        then: impl FnOnce(&T) -> Then,
    ) -> Result<T, AppError> {
        if !crate::server::ctx::is_plain_post() {
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
                Then::Return => {
                    back_to_form();
                    return result;
                }
            },
            Err(error) => {
                flash.error = Some(error.clone());
                flash.step = failed_step.map(str::to_owned);
            }
        }
        // Before keeping the outcome: should that fail, its error stays out of the URL too.
        back_to_form();
        ctx::session().await?.put(FLASH_KEY, &flash).await?;
        result
    }

    /// [`finish`] for a form that appears on every page (the footer's newsletter sign-up):
    /// a plain post always lands on `page`, the form's own page, which shows the outcome
    /// (the message beside the field and what was typed, or `notice`). The page it was
    /// posted from may have forms of its own, whose outcome it would otherwise take.
    pub async fn finish_on<T>(
        page: &str,
        form: &str,
        values: &[(&str, &str)],
        result: Result<T, AppError>,
        notice: impl FnOnce(&T) -> Option<String>,
    ) -> Result<T, AppError> {
        if !crate::server::ctx::is_plain_post() {
            return result;
        }
        let values = values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut flash = FormFlash { form: form.to_owned(), values, ..Default::default() };
        match &result {
            Ok(value) => flash.notice = notice(value),
            Err(error) => flash.error = Some(error.clone()),
        }
        leptos_axum::redirect(page);
        ctx::session().await?.put(FLASH_KEY, &flash).await?;
        result
    }

    #[cfg(test)]
    mod tests {
        use super::form_page;

        #[test]
        fn the_form_page_is_the_referers_path_without_server_fn_errors() {
            let err = "__path=%2Fapi%2Fcheckout%2Fplace&__err=eyJDb25mbGljdCI6IlNvbGQgb3V0In0%3D";
            assert_eq!(form_page(Some(&format!("http://127.0.0.1:3000/checkout?{err}"))), "/checkout");
            assert_eq!(form_page(Some(&format!("https://shop.example/sign-in?next=/cart&{err}"))), "/sign-in?next=/cart");
            assert_eq!(form_page(Some("/sign-in?next=%2Fcheckout&x=1")), "/sign-in?next=%2Fcheckout&x=1", "kept as written");
            assert_eq!(form_page(Some("http://127.0.0.1:3000/p/linen-shirt?colour=sage")), "/p/linen-shirt?colour=sage");
            assert_eq!(form_page(Some("https://evil.example/steal?x=1")), "/steal?x=1", "only ever a path on this site");
            assert_eq!(form_page(Some("http://127.0.0.1:3000//evil.example/x")), "/evil.example/x", "never protocol-relative");
            assert_eq!(form_page(Some("/checkout?")), "/checkout");
            assert_eq!(form_page(None), "/");
            assert_eq!(form_page(Some("http://[::1")), "/", "unparseable");
        }
    }
}
