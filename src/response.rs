//! The HTTP status of the response being rendered (ssr only). A leaf, so the design
//! system's error pages and the server-function helpers set it the same way.

use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// Sets the status of the page or server function response being produced.
pub fn set_status(status: u16) {
    if let (Some(options), Ok(status)) = (use_context::<ResponseOptions>(), axum::http::StatusCode::from_u16(status)) {
        options.set_status(status);
    }
}
