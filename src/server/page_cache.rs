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
//! PostgreSQL notifications from whichever instance wrote); the home page for
//! [`HOME_MAX_AGE`] at most by the store's clock, because its banners and articles follow
//! schedules. Every answer carries the request's own CSP nonce.

use super::{clock::Clock, csp::CspNonce, session::SESSION_COOKIE};
use crate::catalog::cache::CatalogCache;
use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, TimeDelta, Utc};
use flate2::{write::DeflateEncoder, Compression, Crc};
use moka::future::Cache;
use std::{
    io::{Read, Write},
    sync::Arc,
};

/// How long the home page may show a banner or an article after its schedule ended.
pub const HOME_MAX_AGE: TimeDelta = TimeDelta::seconds(30);
/// Other pages change only with what they show, which is heard; this only bounds memory
/// (as the catalogue cache's own safety net does).
const MAX_AGE: TimeDelta = TimeDelta::minutes(15);
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
    html: Spliced,
}

impl Page {
    /// The kept page with this answer's nonce, gzip-compressed when the browser takes it.
    fn answer(&self, nonce: &str, gzip: bool) -> std::io::Result<Response> {
        let compressed = self.html.gzip(nonce);
        let body = if gzip {
            compressed
        } else {
            let mut html = Vec::new();
            flate2::read::GzDecoder::new(compressed.as_slice()).read_to_end(&mut html)?;
            html
        };
        let mut response = Response::new(Body::from(body));
        *response.headers_mut() = self.headers.clone();
        if gzip {
            response.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        Ok(response)
    }
}

/// A page kept gzip-compressed and cut where its nonce stood, so that an answer is the kept
/// bytes with the new nonce spliced in: nothing is compressed again per request. Each piece
/// is its own run of deflate blocks ended by a sync flush (on a byte boundary, with no final
/// block), so pieces and a stored block holding the nonce join into one valid stream, as
/// pigz joins the parts it compressed apart. Their checksums combine likewise.
struct Spliced {
    pieces: Vec<(Vec<u8>, Crc)>,
}

impl Spliced {
    fn new(html: &str, nonce: &str) -> std::io::Result<Self> {
        let pieces = html
            .split(nonce)
            .map(|piece| {
                let mut encoder = DeflateEncoder::new(Vec::new(), Compression::fast());
                encoder.write_all(piece.as_bytes())?;
                encoder.flush()?;
                let mut crc = Crc::new();
                crc.update(piece.as_bytes());
                Ok((std::mem::take(encoder.get_mut()), crc))
            })
            .collect::<std::io::Result<_>>()?;
        Ok(Self { pieces })
    }

    fn gzip(&self, nonce: &str) -> Vec<u8> {
        let nonce = nonce.as_bytes();
        let len = u16::try_from(nonce.len()).unwrap_or(u16::MAX);
        // A stored block: BFINAL 0 and BTYPE 00 padded to the byte, then LEN and its complement.
        let mut stored = vec![0u8];
        stored.extend(len.to_le_bytes());
        stored.extend((!len).to_le_bytes());
        stored.extend(&nonce[..usize::from(len)]);
        let mut nonce_crc = Crc::new();
        nonce_crc.update(&nonce[..usize::from(len)]);

        let size = self.weight() + self.pieces.len() * stored.len() + 20;
        let mut out = Vec::with_capacity(size);
        // gzip header: deflate, no name, no time, unknown system.
        out.extend([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
        let mut crc = Crc::new();
        for (i, (deflated, piece_crc)) in self.pieces.iter().enumerate() {
            if i > 0 {
                out.extend(&stored);
                crc.combine(&nonce_crc);
            }
            out.extend(deflated);
            crc.combine(piece_crc);
        }
        // An empty final block (fixed codes) ends the stream.
        out.extend([0x03, 0x00]);
        out.extend(crc.sum().to_le_bytes());
        out.extend(crc.amount().to_le_bytes());
        out
    }

    fn weight(&self) -> usize {
        self.pieces.iter().map(|(deflated, _)| deflated.len()).sum()
    }
}

/// Whether the request takes gzip (named, or `*`, without `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()).is_some_and(|q| q == 0.0));
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

impl PageCache {
    pub fn new(megabytes: u64, catalog: Arc<CatalogCache>, clock: Arc<dyn Clock>) -> Self {
        Self {
            catalog,
            clock,
            pages: Cache::builder()
                .max_capacity(megabytes.max(1) * 1024 * 1024)
                .weigher(|key: &String, page: &Arc<Page>| u32::try_from(key.len() + page.html.weight()).unwrap_or(u32::MAX))
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
    let max_age = if request.uri().path() == "/" { HOME_MAX_AGE } else { MAX_AGE };
    let fresh = |page: &Page| page.epoch == epoch && now >= page.rendered_at && now - page.rendered_at < max_age;
    let gzip = accepts_gzip(request.headers());
    if let Some(page) = cache.pages.get(&key).await.filter(|page| fresh(page)) {
        match page.answer(&nonce, gzip) {
            Ok(response) => return response,
            Err(err) => tracing::error!(error = %err, "a kept page did not decompress; rendering it again"),
        }
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
            match Spliced::new(html, &nonce) {
                Ok(html) => {
                    let page = Page { epoch, rendered_at: now, headers: parts.headers.clone(), html };
                    cache.pages.insert(key, Arc::new(page)).await;
                }
                Err(err) => tracing::error!(error = %err, "could not compress a page to keep"),
            }
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gunzip(bytes: &[u8]) -> String {
        let mut out = String::new();
        flate2::read::GzDecoder::new(bytes).read_to_string(&mut out).expect("a valid gzip stream");
        out
    }

    #[test]
    fn a_spliced_page_is_the_page_with_the_new_nonce() {
        let body = "<li class=\"tile\"><a href=\"/p/x\">A product</a></li>".repeat(200);
        let page = format!("<head><link nonce=\"old\"><script nonce=\"old\">a</script></head><body>{body}<script nonce=\"old\">b</script></body>");
        let kept = Spliced::new(&page, "old").unwrap();
        assert_eq!(gunzip(&kept.gzip("n3w-N0nce_xyz")), page.replace("old", "n3w-N0nce_xyz"));
        assert!(kept.weight() < page.len() / 10, "kept compressed");
        // No nonce at all, a nonce at each end, an empty page.
        for html in ["<p>plain</p>", "oldmiddleold", ""] {
            assert_eq!(gunzip(&Spliced::new(html, "old").unwrap().gzip("x")), html.replace("old", "x"));
        }
    }

    #[test]
    fn gzip_is_taken_unless_refused() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
            accepts_gzip(&headers)
        };
        assert!(with("gzip, deflate, br, zstd"));
        assert!(with("br;q=1.0, GZIP;q=0.5"));
        assert!(with("*"));
        assert!(!with("br"));
        assert!(!with("gzip;q=0, br"));
        assert!(!with("identity"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
