//! robots.txt, the sitemap (an index of files of at most 40,000 URLs each, below the
//! protocol's 50,000 limit) and the banner click counter.

use super::state::AppState;
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
    let products: i64 = sqlx::query_scalar("select count(*) from products where is_active and deleted_at is null")
        .fetch_one(&state.db)
        .await?;
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
        let rows: Vec<(String, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
            "select '/c/' || slug, updated_at from categories where is_active
             union all select '/collections/' || slug, updated_at from collections where is_active
             union all select '/lookbooks/' || slug, updated_at from lookbooks where is_active and published_at <= now()
             union all select '/journal/' || slug, updated_at from articles
                 where status = 'published' and deleted_at is null and published_at <= now()",
        )
        .fetch_all(&state.db)
        .await?;
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
    let rows: Vec<(String, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "select '/p/' || slug, updated_at from products where is_active and deleted_at is null
         order by id offset $1 limit $2",
    )
    .bind((n - 1) * URLS_PER_FILE)
    .bind(URLS_PER_FILE)
    .fetch_all(&state.db)
    .await?;
    if rows.is_empty() && n > 1 {
        return Err(crate::error::AppError::NotFound("This sitemap".into()));
    }
    Ok(xml(urlset(site, rows)))
}

/// A banner's button: counts the click (only with consent), then goes to its link.
pub async fn banner_click(State(state): State<AppState>, Path(id): Path<Uuid>, session: tower_sessions::Session, parts: Parts) -> Response {
    let link: Option<String> = match sqlx::query_scalar("select button_link from banners where id = $1 and is_active")
        .bind(id)
        .fetch_optional(&state.db)
        .await
    {
        Ok(link) => link,
        Err(err) => return crate::error::AppError::from(err).into_response(),
    };
    let Some(link) = link.filter(|l| l.starts_with('/') && !l.starts_with("//")) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let consented = crate::consent::server::choice_from_parts(&parts).is_some_and(|c| c.marketing || c.analytics);
    if consented {
        let data = super::session::AppSession::new(session).data().await.unwrap_or_default();
        let recorded = sqlx::query(
            "with click as (insert into banner_clicks (banner_id, user_id, anonymous_user_id) values ($1, $2, $3))
             update banners set click_count = click_count + 1 where id = $1",
        )
        .bind(id)
        .bind(data.user_id)
        .bind(data.anonymous_user_id)
        .execute(&state.db)
        .await;
        if let Err(err) = recorded {
            tracing::warn!(error = %err, "could not record banner click");
        }
    }
    Redirect::to(&link).into_response()
}
