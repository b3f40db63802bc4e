//! Catalogue server functions: thin wrappers that validate input and call `server`.

use super::types::{CategoryLink, HomePage, ProductCard, NEW_ARRIVALS_PAGE};
use crate::error::AppError;
use leptos::prelude::*;

#[server]
pub async fn get_home_page() -> Result<HomePage, AppError> {
    use crate::{catalog::server, server::ctx};
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
#[server]
pub async fn more_new_arrivals(offset: i64) -> Result<Vec<ProductCard>, AppError> {
    use crate::{catalog::server, server::ctx};
    ctx::respond(async move {
        if !(0..=10_000).contains(&offset) {
            return Err(AppError::field("offset", "Offset must be between 0 and 10000."));
        }
        let db = ctx::state()?.db;
        Ok(server::new_arrivals(&db, NEW_ARRIVALS_PAGE, offset).await?)
    })
    .await
}

#[server]
pub async fn get_nav_categories() -> Result<Vec<CategoryLink>, AppError> {
    use crate::{catalog::server, server::ctx};
    ctx::respond(async { Ok(server::nav_categories(&ctx::state()?.db).await?) }).await
}
