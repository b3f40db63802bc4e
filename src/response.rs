//! The HTTP status of the response being rendered, and reading a raw query (ssr only). A
//! leaf, so the design system's error pages and the server-function helpers set it the
//! same way.

use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// Sets the status of the page or server function response being produced.
pub fn set_status(status: u16) {
    if let (Some(options), Ok(status)) = (use_context::<ResponseOptions>(), axum::http::StatusCode::from_u16(status)) {
        options.set_status(status);
    }
}

/// One value of a raw query string (`""` when it is absent), for handlers that take a
/// token from an emailed address.
pub fn query_value(raw: Option<&str>, key: &str) -> String {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).find(|(k, _)| k == key).map(|(_, v)| v.into_owned()).unwrap_or_default()
}
