//! The customer's own data: their profile picture, a copy of everything the store holds
//! about them (prepared by a background job, downloaded once, gone after a week), and
//! deleting the account (confirmed by a code). Contact details and sign-in live in `auth`,
//! notifications in `notifications`.

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where the picture form posts (under `server::guard`'s upload prefixes: streamed, not
/// buffered).
pub const PICTURE_PATH: &str = "/account/uploads/picture";
/// Where the "Download" button posts.
pub const EXPORT_DOWNLOAD_PATH: &str = "/account/export/download";
/// The picture form's name in a plain post's outcome.
pub const PICTURE_FORM: &str = "picture";

/// How long a prepared copy of the customer's data can be downloaded.
#[cfg(feature = "ssr")]
pub const EXPORT_VALID: chrono::Duration = chrono::Duration::days(7);

/// The customer's latest request for a copy of their data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportStatus {
    pub requested_at: DateTime<Utc>,
    pub ready: bool,
    pub expires_at: DateTime<Utc>,
    pub downloaded: bool,
    pub expired: bool,
}
