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

use crate::error::AppError;
use moka::future::Cache;
use serde::Serialize;
use sqlx::{postgres::PgListener, PgPool};
use std::{
    any::{Any, TypeId},
    future::Future,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

/// The notification the catalogue's triggers send (see the `catalog_notify` migration).
pub const CHANNEL: &str = "catalog_changed";
/// Sent by what storefront pages show beside the catalogue (banners, articles, reviews; see
/// the `storefront_notify` migration): it ends only whole cached pages.
pub const PAGES_CHANNEL: &str = "storefront_changed";

/// A value and the change count it was read under: a value from before the latest change
/// is never served, even when it reached the cache after that change was heard.
#[derive(Clone)]
struct Stamped {
    epoch: u64,
    /// The value's serialized size when stored, a fair proxy for the memory it holds.
    weight: u32,
    value: Arc<dyn Any + Send + Sync>,
}

/// Values of every kind share one memory budget; keys carry the value's type, so a product
/// page and a listing may share a name. moka's admission policy keeps what is asked for
/// often, so a flood of one-off searches does not push out the popular pages.
pub struct CatalogCache {
    /// Counts the changes heard (and each time listening started or stopped).
    epoch: AtomicU64,
    /// Counts the changes to anything a storefront page shows: the catalogue's and the
    /// content's (`server::page_cache` keeps a page only while this stays the same).
    page_epoch: AtomicU64,
    listening: AtomicBool,
    entries: Cache<(TypeId, String), Stamped>,
}

impl CatalogCache {
    pub fn new(megabytes: u64) -> Self {
        Self {
            epoch: AtomicU64::new(0),
            page_epoch: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            entries: Cache::builder()
                .max_capacity(megabytes.max(1) * 1024 * 1024)
                .weigher(|key: &(TypeId, String), entry: &Stamped| (key.1.len() as u32).saturating_add(entry.weight))
                // Only a safety net: changes are what empties the cache.
                .time_to_live(Duration::from_secs(15 * 60))
                .build(),
        }
    }

    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    /// Forgets everything: after a change heard from PostgreSQL, or made by this process
    /// (which then reads its own change at once, ahead of the notification).
    pub fn changed(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate_all();
        self.pages_changed();
    }

    /// Something a page shows beside the catalogue changed: whole pages are out of date.
    pub fn pages_changed(&self) {
        self.page_epoch.fetch_add(1, Ordering::AcqRel);
    }

    pub fn page_epoch(&self) -> u64 {
        self.page_epoch.load(Ordering::Acquire)
    }

    fn set_listening(&self, listening: bool) {
        self.listening.store(listening, Ordering::Release);
        self.changed();
    }

    /// The value of type `V` under `key`, loaded once however many requests ask for it at
    /// the same time. Errors are not kept: the next request tries again.
    pub async fn read<V, F>(&self, key: String, load: impl Fn() -> F) -> Result<Arc<V>, AppError>
    where
        V: Serialize + Send + Sync + 'static,
        F: Future<Output = Result<V, AppError>>,
    {
        if !self.is_listening() {
            return load().await.map(Arc::new);
        }
        let key = (TypeId::of::<V>(), key);
        let epoch = self.epoch.load(Ordering::Acquire);
        let loaded_here = AtomicBool::new(false);
        let entry = self
            .entries
            .try_get_with(key.clone(), async {
                loaded_here.store(true, Ordering::Relaxed);
                let value = load().await?;
                let weight = serde_json::to_vec(&value).map_or(0, |v| u32::try_from(v.len()).unwrap_or(u32::MAX));
                Ok::<_, AppError>(Stamped { epoch, weight, value: Arc::new(value) })
            })
            .await
            .map_err(|err| (*err).clone())?;
        let fresh = entry.epoch == self.epoch.load(Ordering::Acquire);
        match entry.value.downcast::<V>() {
            Ok(value) if fresh => Ok(value),
            // Read under an older epoch: a change came in since. What this request read
            // itself is as fresh as an uncached read would have been; one from the cache is not.
            Ok(value) if loaded_here.load(Ordering::Relaxed) => {
                self.entries.invalidate(&key).await;
                Ok(value)
            }
            _ => {
                self.entries.invalidate(&key).await;
                load().await.map(Arc::new)
            }
        }
    }
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
    listener.listen_all([CHANNEL, PAGES_CHANNEL]).await?;
    // Anything cached before this point may predate a change that went unheard.
    cache.set_listening(true);
    tracing::info!("listening for catalogue changes");
    // `try_recv` answers `None` when the connection is lost: the caller starts over.
    while let Some(notification) = listener.try_recv().await? {
        if notification.channel() == PAGES_CHANNEL {
            cache.pages_changed();
        } else {
            cache.changed();
        }
    }
    Ok(())
}
