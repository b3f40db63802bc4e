//! Whole storefront pages, kept in memory for visitors who have no session.
//!
//! A first visit, a crawler or a shopper who declined cookies sees what every such visitor
//! sees at the same address: the cart, sign-in, wishlist hearts and form outcomes all live
//! in the session, so such a page holds nothing of anyone's. Those pages are rendered once
//! and kept, keyed by the address and the cookie choice (the banner asking for one is part
//! of the page). A visitor with a session, or who allowed analytics (their views are
//! counted while rendering), always gets a page rendered for them, so nothing of one
//! visitor can reach another's page.
//!
//! A kept page is served only while the instance hears changes, only while nothing it shows
//! has changed since it was rendered (the catalogue cache's page epoch, moved by
//! PostgreSQL notifications from whichever instance wrote), and for [`MAX_AGE`] at most by
//! the store's clock, because banners and articles follow schedules. Every answer carries
//! the request's own CSP nonce.

use super::{clock::Clock, csp::CspNonce, session::SESSION_COOKIE};
use crate::catalog::cache::CatalogCache;
use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, TimeDelta, Utc};
use moka::future::Cache;
use std::sync::Arc;

/// How long a page may show a banner or an article after its schedule ended.
pub const MAX_AGE: TimeDelta = TimeDelta::seconds(30);
const MAX_PAGE_BYTES: usize = 2 * 1024 * 1024;
/// Longer addresses (odd filter strings) are rendered each time rather than kept.
const MAX_KEY_BYTES: usize = 400;

/// The storefront's catalogue pages; account, cart, checkout and the journal (which counts
/// its readers) are always rendered per visitor.
fn is_shared_page(path: &str) -> bool {
    matches!(path, "/" | "/search") || ["/c/", "/collections/", "/p/", "/lookbooks/"].iter().any(|p| path.starts_with(p))
}

pub struct PageCache {
    pages: Cache<String, Arc<Page>>,
    /// Tells whether a kept page is still current (its page epoch, and whether it listens).
    catalog: Arc<CatalogCache>,
    clock: Arc<dyn Clock>,
}

struct Page {
    /// The page epoch it was rendered under.
    epoch: u64,
    rendered_at: DateTime<Utc>,
    headers: HeaderMap,
    /// The HTML cut where the nonce it was rendered with stood.
    pieces: Vec<String>,
}

impl Page {
    fn answer(&self, nonce: &str) -> Response {
        let mut response = Response::new(Body::from(self.pieces.join(nonce)));
        *response.headers_mut() = self.headers.clone();
        response
    }
}

impl PageCache {
    pub fn new(megabytes: u64, catalog: Arc<CatalogCache>, clock: Arc<dyn Clock>) -> Self {
        Self {
            catalog,
            clock,
            pages: Cache::builder()
                .max_capacity(megabytes.max(1) * 1024 * 1024)
                .weigher(|key: &String, page: &Arc<Page>| {
                    let bytes = key.len() + page.pieces.iter().map(String::len).sum::<usize>();
                    u32::try_from(bytes).unwrap_or(u32::MAX)
                })
                .time_to_live(MAX_AGE.to_std().unwrap_or_default())
                .build(),
        }
    }
}

/// The key a request shares its page under, or `None` when it must be rendered for itself.
fn shared_key(request: &Request) -> Option<String> {
    if request.method() != Method::GET || !is_shared_page(request.uri().path()) {
        return None;
    }
    let headers = request.headers();
    let has_session = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|pair| pair.trim().split_once('=').is_some_and(|(name, _)| name == SESSION_COOKIE));
    if has_session {
        return None;
    }
    let choice = crate::consent::server::choice_from_headers(headers);
    if choice.is_some_and(|c| c.analytics) {
        return None;
    }
    let key = format!("{}|{}", choice.map_or_else(|| "-".to_owned(), |c| c.to_cookie_value()), request.uri().path_and_query()?);
    (key.len() <= MAX_KEY_BYTES).then_some(key)
}

pub async fn serve(State(cache): State<Arc<PageCache>>, request: Request, next: Next) -> Response {
    let nonce = request.extensions().get::<CspNonce>().map(|n| n.0.clone());
    let (Some(key), Some(nonce)) = (shared_key(&request), nonce) else {
        return next.run(request).await;
    };
    if !cache.catalog.is_listening() {
        return next.run(request).await;
    }
    // Read before rendering: a change heard while this page renders leaves it out of date.
    let epoch = cache.catalog.page_epoch();
    let now = cache.clock.now();
    let fresh = |page: &Page| page.epoch == epoch && now >= page.rendered_at && now - page.rendered_at < MAX_AGE;
    if let Some(page) = cache.pages.get(&key).await.filter(|page| fresh(page)) {
        return page.answer(&nonce);
    }

    let response = next.run(request).await;
    let keep = response.status() == StatusCode::OK
        && !response.headers().contains_key(header::SET_COOKIE)
        && response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    if !keep {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::error!(error = %err, "rendering a page failed part way");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    if let Ok(html) = std::str::from_utf8(&bytes) {
        if html.len() <= MAX_PAGE_BYTES {
            let pieces = html.split(nonce.as_str()).map(str::to_owned).collect();
            let page = Page { epoch, rendered_at: now, headers: parts.headers.clone(), pieces };
            cache.pages.insert(key, Arc::new(page)).await;
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}
