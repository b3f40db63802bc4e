//! Catalogue server functions: thin wrappers that validate input and call `server`.

use super::types::{HomePage, ProductCard};
use crate::error::AppError;
use leptos::prelude::*;

#[server(endpoint = "catalog/home")]
pub async fn get_home_page() -> Result<HomePage, AppError> {
    use crate::{catalog::{server, types::NEW_ARRIVALS_PAGE}, server::ctx};
    ctx::respond(async {
        let db = ctx::state()?.db;
        let (banners, categories, collections, new_arrivals) = tokio::try_join!(
            server::active_banners(&db),
            server::nav_categories(&db),
            server::featured_collections(&db),
            server::new_arrivals(&db, NEW_ARRIVALS_PAGE, 0),
        )?;
        Ok(HomePage { banners, categories, collections, new_arrivals })
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
        let db = ctx::state()?.db;
        Ok(server::new_arrivals(&db, NEW_ARRIVALS_PAGE, offset).await?)
    })
    .await
}
