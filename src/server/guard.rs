//! The request guard: one layer in front of every route that
//! - refuses state-changing requests sent by another site (CSRF, login CSRF included);
//! - refuses bodies over [`MAX_BODY`] (413), server-function bodies that are not url-encoded
//!   forms (415), and NUL bytes or invalid UTF-8 in the path, query or a text body (400),
//!   before they reach a handler or PostgreSQL;
//! - gives each HTML page a fresh CSP nonce, the same one Leptos puts on its scripts;
//! - gives server-function failures the status of their error instead of a blanket 500.

use super::{csp::CspNonce, state::AppState};
use crate::error::AppError;
use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// Routes that are authenticated by something other than the browser's cookies (a payment
/// provider's signed webhook, a newsletter mail's one-click unsubscribe token) and so may be
/// posted to from anywhere. Keep this list short.
pub const CROSS_SITE_EXEMPT: &[&str] = &[STRIPE_WEBHOOK_PATH, NEWSLETTER_ONE_CLICK_PATH, NOTIFICATIONS_ONE_CLICK_PATH];

/// RFC 8058 one-click unsubscribe: mail providers post here (`List-Unsubscribe=One-Click`)
/// from their own servers or the reader's mail app; the token in the address authenticates
/// the post, and all it can do is stop that one subscriber's mail.
pub const NEWSLETTER_ONE_CLICK_PATH: &str = "/newsletter/one-click";

/// The same for notification emails: the token names one customer and one topic, and all
/// it can do is stop that topic's email.
pub const NOTIFICATIONS_ONE_CLICK_PATH: &str = "/notifications/one-click";

/// Stripe posts events here from its own servers; the signature authenticates them.
pub const STRIPE_WEBHOOK_PATH: &str = "/webhooks/stripe";

/// Largest request body any route accepts.
pub const MAX_BODY: usize = 1024 * 1024;

/// Routes that receive files (the dashboard's, and the customer's profile picture). Their
/// multipart bodies are not buffered here but streamed to the handler, which caps each file
/// as it reads and refuses a larger declared body before reading any; [`MAX_UPLOAD_BODY`]
/// is their limit in all.
pub const UPLOAD_PREFIXES: &[&str] = &["/admin/uploads/", "/account/uploads/"];
pub const MAX_UPLOAD_BODY: usize = 40 * 1024 * 1024;


pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if is_cross_site(&request, state.config.site_origin()) {
        tracing::warn!(path = %request.uri().path(), "refused a cross-site request");
        return refuse(StatusCode::FORBIDDEN, "This request came from another site and was refused.");
    }
    let mut request = match clean(request).await {
        Ok(request) => request,
        Err(response) => return response,
    };
    let nonce = CspNonce::fresh();
    request.extensions_mut().insert(nonce.clone());
    let nonce = nonce.0;
    let is_server_fn = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    if is_server_fn && response.status() == StatusCode::INTERNAL_SERVER_ERROR {
        response = restatus(response).await;
    }
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let payment_page = state.config.stripe.as_ref().map(|s| s.checkout_origin.as_str());
    let media = state.config.media_s3.as_ref().map(|s| s.public_origin());
    let policy = content_security_policy(is_html.then_some(nonce.as_str()), payment_page, media);
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// Scripts only from this origin or carrying this response's nonce; no inline event
/// handlers, no `eval`; styles only from the stylesheet (pages draw colours and bars with SVG
/// attributes, and islands set styles through the CSSOM, which the policy allows); no
/// framing, forms only to this site (and on to the card payment page, `payment_page`, which
/// placing an order redirects to); images from this site, from
/// the media bucket's public origin, `media`, when images are kept there, and `blob:` (the
/// preview of a picture chosen on this device, before it is uploaded).
pub fn content_security_policy(nonce: Option<&str>, payment_page: Option<&str>, media: Option<&str>) -> String {
    let scripts = match nonce {
        Some(nonce) => format!("script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"),
        None => "script-src 'self' 'wasm-unsafe-eval'".to_owned(),
    };
    format!(
        "default-src 'self'; img-src 'self' data: blob:{}; style-src 'self'; {scripts}; \
         connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'{}",
        media.map(|origin| format!(" {origin}")).unwrap_or_default(),
        payment_page.map(|origin| format!(" {origin}")).unwrap_or_default()
    )
}


fn refuse(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

/// A state-changing request whose `Origin` names another site, or, from browsers that send
/// no `Origin`, whose `Sec-Fetch-Site` says it came from another site.
pub fn is_cross_site(request: &Request, site_origin: &str) -> bool {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE) {
        return false;
    }
    if CROSS_SITE_EXEMPT.contains(&request.uri().path()) {
        return false;
    }
    let headers = request.headers();
    match headers.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("null")) {
        Some(origin) => !(origin == site_origin || same_as_host(origin, headers)),
        None => headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|site| site != "same-origin" && site != "none"),
    }
}

/// The browser addressed this very host (a development address other than `SITE_URL`).
fn same_as_host(origin: &str, headers: &HeaderMap) -> bool {
    let authority = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
}

/// Refuses what no handler should see: oversized bodies, and NUL or invalid UTF-8 in the
/// path, the query or a text body (PostgreSQL rejects NUL in text, as a 500).
async fn clean(request: Request) -> Result<Request, Response> {
    let bad_text = || refuse(StatusCode::BAD_REQUEST, "The request contains characters that are not allowed.");
    let uri = request.uri();
    if !decodes_to_clean_text(uri.path().as_bytes()) || !uri.query().is_none_or(|q| decodes_to_clean_text(q.as_bytes())) {
        return Err(bad_text());
    }
    let too_large = || refuse(StatusCode::PAYLOAD_TOO_LARGE, "The request is too large.");
    if is_upload(&request) {
        return Ok(request);
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_BODY) {
        return Err(too_large());
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let textual = ["application/x-www-form-urlencoded", "application/json", "text/"].iter().any(|t| content_type.starts_with(t));
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        return Ok(request);
    }
    let server_function = request.uri().path().starts_with("/api/");
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_BODY).await.map_err(|_| too_large())?;
    // Server functions read url-encoded forms only: a body of another type is refused
    // rather than read as an empty form, which would act on the arguments' defaults.
    if server_function && !bytes.is_empty() && !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Send this form as application/x-www-form-urlencoded."));
    }
    if textual {
        let clean = if content_type.starts_with("application/x-www-form-urlencoded") {
            decodes_to_clean_text(&bytes)
        } else {
            let lower = bytes.to_ascii_lowercase();
            std::str::from_utf8(&bytes).is_ok()
                && !bytes.contains(&0)
                && !lower.windows(6).any(|w| w == b"\\u0000")
        };
        if !clean {
            return Err(bad_text());
        }
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// A multipart post to an upload route (the cross-site check has already run).
fn is_upload(request: &Request) -> bool {
    request.method() == Method::POST
        && UPLOAD_PREFIXES.iter().any(|p| request.uri().path().starts_with(p))
        && request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// Percent-decoded, the bytes are UTF-8 without NUL.
pub fn decodes_to_clean_text(raw: &[u8]) -> bool {
    let decoded: Vec<u8> = percent_encoding::percent_decode(raw).collect();
    !decoded.contains(&0) && std::str::from_utf8(&decoded).is_ok()
}

/// Server functions answer errors raised before their body runs (arguments that do not
/// deserialize) with 500; ours carry their own status.
async fn restatus(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let Some(secs) = error.retry_after_secs() {
            parts.headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(origin: Option<&str>, fetch_site: Option<&str>) -> Request {
        let mut builder = Request::post("/api/cart/add").header(header::HOST, "shop.example");
        if let Some(origin) = origin {
            builder = builder.header(header::ORIGIN, origin);
        }
        if let Some(site) = fetch_site {
            builder = builder.header("sec-fetch-site", site);
        }
        builder.body(Body::empty()).unwrap()
    }

    #[test]
    fn refuses_other_sites_only() {
        let site = "https://shop.example";
        assert!(!is_cross_site(&post(Some(site), Some("same-origin")), site));
        assert!(!is_cross_site(&post(None, None), site), "non-browser clients send neither");
        assert!(!is_cross_site(&post(None, Some("none")), site), "typed or bookmarked");
        assert!(is_cross_site(&post(Some("https://evil.example"), Some("cross-site")), site));
        assert!(is_cross_site(&post(Some("https://evil.example"), None), site));
        assert!(is_cross_site(&post(Some("null"), None), site), "sandboxed frames send null");
        assert!(is_cross_site(&post(None, Some("cross-site")), site));
        assert!(is_cross_site(&post(None, Some("same-site")), site), "a sibling subdomain is another site");
        assert!(is_cross_site(&post(Some("https://shop.example.evil.example"), None), site));
        let get = Request::get("/").header(header::ORIGIN, "https://evil.example").body(Body::empty()).unwrap();
        assert!(!is_cross_site(&get, site), "reads are not refused");
    }

    #[test]
    fn finds_nul_and_invalid_utf8_after_decoding() {
        assert!(decodes_to_clean_text(b"q=hoodie&sort=new"));
        assert!(decodes_to_clean_text("q=caf%C3%A9".as_bytes()));
        assert!(!decodes_to_clean_text(b"q=ab%00cd"));
        assert!(!decodes_to_clean_text(b"q=%FF%FE"));
        assert!(!decodes_to_clean_text(b"name=a\0b"));
    }

    #[test]
    fn the_policy_never_allows_inline_scripts_without_the_nonce() {
        let with = content_security_policy(Some("abc"), None, None);
        assert!(with.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'"));
        assert!(with.ends_with("form-action 'self'"));
        let paying = content_security_policy(None, Some("https://checkout.stripe.com"), None);
        let bucket = content_security_policy(None, None, Some("https://media.example"));
        assert!(bucket.contains("img-src 'self' data: blob: https://media.example;"), "{bucket}");
        assert!(paying.ends_with("form-action 'self' https://checkout.stripe.com"), "{paying}");
        for policy in [with, paying] {
            let scripts = policy.split(';').find(|d| d.trim().starts_with("script-src")).unwrap();
            assert!(!scripts.contains("unsafe-inline"), "{scripts}");
            assert!(policy.contains("; style-src 'self';"), "{policy}");
        }
    }
}
