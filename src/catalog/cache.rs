//! The storefront's catalogue reads, kept in this process's memory.
//!
//! Triggers on every catalogue table send PostgreSQL's `catalog_changed` notification,
//! whoever writes (the dashboard, an import, checkout reserving stock, a SQL console). Each
//! app instance listens for it and forgets everything it holds, so two instances disagree
//! only for the notification's delivery time. While an instance is not listening (before
//! it starts, or while its listening connection is down) a change could go unheard, so it
//! serves nothing from memory then.
//!
//! Only what every visitor sees alike is kept here. Per-visitor parts (cart count, wishlist
//! hearts, sign-in state, consent) are loaded per request beside it.

use super::{facets::ScopeIndex, server::TopSellers};
use super::types::{CategoryLink, CollectionTile, Listing, LookbookPage, ProductCard, ProductDetail, Suggestion};
use crate::error::AppError;
use moka::future::Cache;
use serde::Serialize;
use sqlx::{postgres::PgListener, PgPool};
use std::{
    future::Future,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

/// The notification the catalogue's triggers send (see the `catalog_notify` migration).
pub const CHANNEL: &str = "catalog_changed";

/// A value and the change count it was read under: a value from before the latest change
/// is never served, even when it reached the cache after that change was heard.
#[doc(hidden)]
pub struct Stamped<V> {
    epoch: u64,
    /// The value's serialized size when stored, a fair proxy for the memory it holds.
    weight: u32,
    value: Arc<V>,
}

// By hand: a derive would ask `V: Clone`, and only the `Arc` is cloned.
impl<V> Clone for Stamped<V> {
    fn clone(&self) -> Self {
        Self { epoch: self.epoch, weight: self.weight, value: self.value.clone() }
    }
}

#[doc(hidden)]
pub type Shelf<V> = Cache<String, Stamped<V>>;

fn shelf<V: Send + Sync + 'static>(bytes: u64) -> Shelf<V> {
    Cache::builder()
        .max_capacity(bytes)
        .weigher(|key: &String, entry: &Stamped<V>| (key.len() as u32).saturating_add(entry.weight))
        // Only a safety net: changes are what empties the cache.
        .time_to_live(Duration::from_secs(15 * 60))
        .build()
}

pub struct CatalogCache {
    /// Counts the changes heard (and each time listening started or stopped).
    epoch: AtomicU64,
    listening: AtomicBool,
    products: Shelf<ProductDetail>,
    listings: Shelf<Listing>,
    cards: Shelf<Vec<ProductCard>>,
    suggestions: Shelf<Vec<Suggestion>>,
    categories: Shelf<Vec<CategoryLink>>,
    collections: Shelf<Vec<CollectionTile>>,
    lookbooks: Shelf<LookbookPage>,
    top_sellers: Shelf<TopSellers>,
    scopes: Shelf<ScopeIndex>,
}

impl CatalogCache {
    /// A cache of about `megabytes` in all, shared out by what each kind of page needs.
    pub fn new(megabytes: u64) -> Self {
        let bytes = megabytes.max(1) * 1024 * 1024;
        Self {
            epoch: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            products: shelf(bytes * 30 / 100),
            scopes: shelf(bytes * 30 / 100),
            listings: shelf(bytes * 25 / 100),
            cards: shelf(bytes * 3 / 100),
            suggestions: shelf(bytes * 7 / 100),
            categories: shelf(bytes / 100),
            collections: shelf(bytes / 100),
            lookbooks: shelf(bytes * 2 / 100),
            top_sellers: shelf(bytes / 100),
        }
    }

    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    /// Forgets everything: after a change heard from PostgreSQL, or made by this process.
    pub fn changed(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.products.invalidate_all();
        self.listings.invalidate_all();
        self.cards.invalidate_all();
        self.suggestions.invalidate_all();
        self.categories.invalidate_all();
        self.collections.invalidate_all();
        self.lookbooks.invalidate_all();
        self.top_sellers.invalidate_all();
        self.scopes.invalidate_all();
    }

    fn set_listening(&self, listening: bool) {
        self.listening.store(listening, Ordering::Release);
        self.changed();
    }

    /// The value under `key`, loaded once however many requests ask for it at the same
    /// time. Errors are not kept: the next request tries again.
    pub async fn read<V: Cached, F: Future<Output = Result<V, AppError>>>(&self, key: String, load: impl Fn() -> F) -> Result<Arc<V>, AppError> {
        let shelf = V::shelf(self);
        if !self.is_listening() {
            return load().await.map(Arc::new);
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let loaded_here = AtomicBool::new(false);
        let entry = shelf
            .try_get_with(key.clone(), async {
                loaded_here.store(true, Ordering::Relaxed);
                let value = load().await?;
                let weight = serde_json::to_vec(&value).map_or(0, |v| u32::try_from(v.len()).unwrap_or(u32::MAX));
                Ok::<_, AppError>(Stamped { epoch, weight, value: Arc::new(value) })
            })
            .await
            .map_err(|err| (*err).clone())?;
        if entry.epoch == self.epoch.load(Ordering::Acquire) {
            return Ok(entry.value);
        }
        // Read under an older epoch: a change came in since. What this request read itself
        // is as fresh as an uncached read would have been; one from the cache is not.
        shelf.invalidate(&key).await;
        if loaded_here.load(Ordering::Relaxed) {
            Ok(entry.value)
        } else {
            load().await.map(Arc::new)
        }
    }
}

/// What the cache holds, each kind on a shelf of its own so one kind cannot crowd out
/// another.
pub trait Cached: Serialize + Send + Sync + Sized + 'static {
    #[doc(hidden)]
    fn shelf(cache: &CatalogCache) -> &Shelf<Self>;
}

macro_rules! cached {
    ($($type:ty => $field:ident),* $(,)?) => {
        $(impl Cached for $type {
            fn shelf(cache: &CatalogCache) -> &Shelf<Self> {
                &cache.$field
            }
        })*
    };
}

cached! {
    ProductDetail => products,
    Listing => listings,
    Vec<ProductCard> => cards,
    Vec<Suggestion> => suggestions,
    Vec<CategoryLink> => categories,
    Vec<CollectionTile> => collections,
    LookbookPage => lookbooks,
    TopSellers => top_sellers,
    ScopeIndex => scopes,
}

/// Listens for catalogue changes for as long as the process runs, reconnecting with a
/// pause after a failure; the cache serves from memory only while this is listening.
pub fn spawn_listener(db: PgPool, cache: Arc<CatalogCache>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match listen(&db, &cache).await {
                Ok(()) => tracing::warn!("catalogue change listener disconnected; reconnecting"),
                Err(err) => tracing::warn!(error = %err, "catalogue change listener failed; reconnecting"),
            }
            cache.set_listening(false);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
}

async fn listen(db: &PgPool, cache: &CatalogCache) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(db).await?;
    listener.listen(CHANNEL).await?;
    // Anything cached before this point may predate a change that went unheard.
    cache.set_listening(true);
    tracing::info!("listening for catalogue changes");
    // `try_recv` answers `None` when the connection is lost: the caller starts over.
    while let Some(_notification) = listener.try_recv().await? {
        cache.changed();
    }
    Ok(())
}
