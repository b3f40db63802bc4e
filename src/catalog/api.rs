//! Catalogue server functions: thin wrappers that validate input and call `server`.

use super::types::{HomePage, ProductCard};
use crate::error::AppError;
use leptos::prelude::*;

#[server(endpoint = "catalog/home")]
pub async fn get_home_page() -> Result<HomePage, AppError> {
    use crate::{catalog::{server, types::NEW_ARRIVALS_PAGE}, server::ctx};
    ctx::respond(async {
        let state = ctx::state()?;
        let db = &state.db;
        let now = state.clock.now();
        let cache = &state.catalog;
        // Banners and articles follow their schedules, so they are read afresh each time.
        let (banners, categories, collections, new_arrivals, best_sellers, articles) = tokio::try_join!(
            async { Ok::<_, AppError>(crate::banners::server::for_home(db, now).await?) },
            server::cached_categories(cache, db),
            cache.read(String::new(), || async { Ok(server::featured_collections(db).await?) }),
            cache.read("new:0".into(), || async { Ok(server::new_arrivals(db, NEW_ARRIVALS_PAGE, 0).await?) }),
            cache.read("best".into(), || async { Ok(server::best_sellers(db, 4).await?) }),
            async { Ok::<_, AppError>(crate::cms::server::latest(db, 3, now).await?) },
        )?;
        let (categories, collections, new_arrivals, best_sellers) =
            (categories.to_vec(), collections.to_vec(), new_arrivals.to_vec(), best_sellers.to_vec());
        // Every banner the page shows is one impression, counted only for a visitor who
        // allowed analytics; a counter that cannot be written never costs the page.
        let consented = leptos::prelude::use_context::<axum::http::request::Parts>()
            .as_ref()
            .and_then(crate::consent::server::choice_from_parts)
            .is_some_and(|c| c.analytics);
        if consented {
            let shown: Vec<uuid::Uuid> = banners.iter().map(|b| b.id).collect();
            if let Err(err) = crate::banners::server::count_impressions(db, &shown, now.date_naive()).await {
                tracing::warn!(error = %err, "could not count banner impressions");
            }
        }
        let canonical_url = format!("{}/", state.config.site_url);
        Ok(HomePage { banners, categories, collections, new_arrivals, best_sellers, articles, canonical_url })
    })
    .await
}

/// The next page of new arrivals for the home page's "Show more" button.
#[server(endpoint = "catalog/new-arrivals")]
pub async fn more_new_arrivals(offset: i64) -> Result<Vec<ProductCard>, AppError> {
    use crate::{catalog::{server, types::NEW_ARRIVALS_PAGE}, server::ctx};
    ctx::respond(async move {
        if !(0..=10_000).contains(&offset) {
            return Err(AppError::field("offset", "Offset must be between 0 and 10000."));
        }
        let state = ctx::state()?;
        let db = &state.db;
        let cards = state.catalog.read(format!("new:{offset}"), || async { Ok(server::new_arrivals(db, NEW_ARRIVALS_PAGE, offset).await?) }).await?;
        Ok(cards.to_vec())
    })
    .await
}

use super::types::{Listing, LookbookPage, ProductDetail, Scope, Suggestion};

/// A category, collection or search listing for the URL's filters (`pairs` are the query
/// string's key/value pairs, so every filter state is a shareable URL).
#[server(endpoint = "catalog/listing")]
pub async fn get_listing(scope: Scope, pairs: Vec<(String, String)>) -> Result<Listing, AppError> {
    use super::types::{Filters, Sort};
    use crate::server::ctx;
    ctx::respond(async move {
        let scope = match scope {
            Scope::Search(q) => Scope::Search(q.trim().chars().take(100).collect()),
            other => other,
        };
        let default_sort = if matches!(scope, Scope::Search(_)) { Sort::Relevance } else { Sort::Newest };
        let filters = Filters::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), default_sort);
        let state = ctx::state()?;
        let key = super::server::listing_key(&scope, &filters, default_sort);
        let (db, site_url) = (&state.db, state.config.site_url.as_str());
        let cached = state
            .catalog
            .read(key, || super::server::listing(db, &state.catalog, site_url, scope.clone(), filters.clone(), default_sort))
            .await?;
        // The shared copy may have been read for the same filters in another order.
        let mut listing = Listing { filters, ..Listing::clone(&cached) };
        // Hearts on the cards: one query for the whole page, only for visitors with a wishlist.
        let session = ctx::session().await?.data().await.unwrap_or_default();
        if let Ok(owner) = crate::wishlist::server::owner(&session) {
            let ids: Vec<uuid::Uuid> = listing.products.iter().map(|p| p.id).collect();
            listing.saved = Some(crate::wishlist::server::saved_among(&state.db, owner, &ids).await?);
        }
        Ok(listing)
    })
    .await
}

#[server(endpoint = "catalog/suggest")]
pub async fn get_suggestions(q: String) -> Result<Vec<Suggestion>, AppError> {
    use crate::server::ctx;
    ctx::respond(async move {
        let q: String = q.trim().chars().take(100).collect();
        if q.chars().count() < 2 {
            return Ok(Vec::new());
        }
        let state = ctx::state()?;
        let db = &state.db;
        let found = state.catalog.read(format!("suggest:{}", q.to_lowercase()), || super::server::suggestions(db, &q)).await?;
        Ok(found.to_vec())
    })
    .await
}

#[server(endpoint = "catalog/product")]
pub async fn get_product(slug: String) -> Result<ProductDetail, AppError> {
    use crate::server::ctx;
    let result = ctx::respond(async {
        let state = ctx::state()?;
        let (db, site_url) = (&state.db, state.config.site_url.as_str());
        let product = state.catalog.read(slug.clone(), || super::server::product_detail(db, &state.catalog, site_url, &slug)).await?;
        Ok(ProductDetail::clone(&product))
    })
    .await;
    if result.is_ok() {
        crate::analytics::server::note(crate::analytics::Event::ProductView).await;
    }
    // A renamed product's old address answers with a permanent redirect to the new one.
    if let Err(AppError::NotFound(_)) = &result {
        if let Some(current) = super::server::renamed(&ctx::state()?.db, &slug).await? {
            let path = format!("/p/{current}");
            leptos_axum::redirect(&path);
            crate::response::set_status(301);
            return Err(AppError::Moved(path));
        }
    }
    result
}

#[server(endpoint = "catalog/lookbook")]
pub async fn get_lookbook(slug: String) -> Result<LookbookPage, AppError> {
    use crate::server::ctx;
    ctx::respond(async move {
        let state = ctx::state()?;
        let (db, site_url) = (&state.db, state.config.site_url.as_str());
        let page = state.catalog.read(slug.clone(), || super::server::lookbook(db, site_url, &slug)).await?;
        Ok(LookbookPage::clone(&page))
    })
    .await
}
