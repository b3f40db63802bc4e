//! robots.txt, the sitemap (an index of files of at most 40,000 URLs each, below the
//! protocol's 50,000 limit) and the banner button's redirect (server only). The paths come
//! from the domains that own them (catalogue, journal); this module only writes the files.

use crate::server::state::AppState;
use axum::{
    extract::{Path, State},
    http::{header, request::Parts, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use uuid::Uuid;

const URLS_PER_FILE: i64 = 40_000;
const CACHE_HOUR: HeaderValue = HeaderValue::from_static("public, max-age=3600");

pub async fn robots(State(state): State<AppState>) -> Response {
    let body = format!(
        "User-agent: *\nDisallow: /admin\nDisallow: /cart\nDisallow: /checkout\nDisallow: /account\n\
         Disallow: /wishlist\nDisallow: /sign-in\nDisallow: /api/\nDisallow: /search\n\nSitemap: {}/sitemap.xml\n",
        state.config.site_url
    );
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8")), (header::CACHE_CONTROL, CACHE_HOUR)], body).into_response()
}

fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8")), (header::CACHE_CONTROL, CACHE_HOUR)], body).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

pub async fn sitemap_index(State(state): State<AppState>) -> Result<Response, crate::error::AppError> {
    let products = crate::catalog::server::live_product_count(&state.db).await?;
    let files = (products + URLS_PER_FILE - 1) / URLS_PER_FILE;
    let site = &state.config.site_url;
    let mut body = String::from(r#"<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#);
    body.push_str(&format!("<sitemap><loc>{site}/sitemaps/pages.xml</loc></sitemap>"));
    for n in 1..=files.max(1) {
        body.push_str(&format!("<sitemap><loc>{site}/sitemaps/products-{n}.xml</loc></sitemap>"));
    }
    body.push_str("</sitemapindex>");
    Ok(xml(body))
}

fn urlset(site: &str, paths: impl IntoIterator<Item = (String, chrono::DateTime<chrono::Utc>)>) -> String {
    let mut body = String::from(r#"<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#);
    for (path, modified) in paths {
        body.push_str(&format!("<url><loc>{site}{}</loc><lastmod>{}</lastmod></url>", escape(&path), modified.format("%Y-%m-%d")));
    }
    body.push_str("</urlset>");
    body
}

/// `pages.xml` (categories, collections, lookbooks, articles) or `products-N.xml`.
pub async fn sitemap_file(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response, crate::error::AppError> {
    let site = &state.config.site_url;
    if file == "pages.xml" {
        let mut rows = crate::catalog::server::sitemap_pages(&state.db).await?;
        rows.extend(crate::cms::server::sitemap_articles(&state.db, state.clock.now()).await?);
        let home = (String::from("/"), chrono::Utc::now());
        return Ok(xml(urlset(site, std::iter::once(home).chain(rows))));
    }
    let n: i64 = file
        .strip_prefix("products-")
        .and_then(|f| f.strip_suffix(".xml"))
        .and_then(|n| n.parse().ok())
        .filter(|n| *n >= 1)
        .ok_or_else(|| crate::error::AppError::NotFound("This sitemap".into()))?;
    // Keyset-friendly: the id index orders the walk, so late files cost the same as early ones.
    let rows = crate::catalog::server::sitemap_products(&state.db, (n - 1) * URLS_PER_FILE, URLS_PER_FILE).await?;
    if rows.is_empty() && n > 1 {
        return Err(crate::error::AppError::NotFound("This sitemap".into()));
    }
    Ok(xml(urlset(site, rows)))
}

/// A banner's button: counts the click (only with consent), then goes to its link.
pub async fn banner_click(State(state): State<AppState>, Path(id): Path<Uuid>, session: tower_sessions::Session, parts: Parts) -> Response {
    // Only a link the banner rules allow (a path here or an https address) is followed.
    let link = match crate::banners::server::link(&state.db, id).await {
        Ok(link) => link,
        Err(err) => return crate::error::AppError::from(err).into_response(),
    };
    let Some(link) = link else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let consented = crate::consent::server::choice_from_parts(&parts).is_some_and(|c| c.marketing || c.analytics);
    if consented {
        let data = crate::server::session::AppSession::new(session).data().await.unwrap_or_default();
        if let Err(err) = crate::banners::server::record_click(&state.db, id, data.user_id, data.anonymous_user_id, state.clock.now()).await {
            tracing::warn!(error = %err, "could not record banner click");
        }
    }
    Redirect::to(&link).into_response()
}
