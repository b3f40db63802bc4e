//! Where uploaded files live. Local disk (`MEDIA_DIR`, served at `/media`) by default; an
//! S3-compatible bucket when `MEDIA_S3_BUCKET` is set, so several app instances share the
//! same images. Keys are `/`-separated relative paths such as `products/<id>/640.webp`.

use anyhow::Context;
use std::{future::Future, path::PathBuf, pin::Pin, sync::Arc};

pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = anyhow::Result<T>> + Send + 'a>>;

/// A place to keep public files.
pub trait MediaStore: Send + Sync {
    /// Stores `bytes` under `key`, replacing what was there.
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>, content_type: &'static str) -> StoreFuture<'a, ()>;
    /// Removes `key`; a key that is not there is not an error.
    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()>;
    /// The stored bytes, `None` when there are none.
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>>;
    /// The address browsers load `key` from.
    fn url(&self, key: &str) -> String;
}

/// The store the configuration asks for.
pub fn from_config(config: &crate::server::config::Config) -> anyhow::Result<Arc<dyn MediaStore>> {
    Ok(match &config.media_s3 {
        Some(s3) => Arc::new(S3Store::new(s3)?),
        None => Arc::new(LocalStore::new(config.media_dir.clone(), "/media")),
    })
}

/// Keys are made by the store's own code, never from what a client sent; still, refuse any
/// that could leave the media directory.
fn checked(key: &str) -> anyhow::Result<&str> {
    let fine = !key.is_empty()
        && key.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'-' | b'_'));
    anyhow::ensure!(fine, "not a media key: {key:?}");
    Ok(key)
}

/// Files under a directory on this machine.
pub struct LocalStore {
    dir: PathBuf,
    base_url: String,
}

impl LocalStore {
    pub fn new(dir: PathBuf, base_url: &str) -> Self {
        Self { dir, base_url: base_url.trim_end_matches('/').to_owned() }
    }
}

impl MediaStore for LocalStore {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>, _content_type: &'static str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let path = self.dir.join(checked(key)?);
            if let Some(parent) = path.parent() {
                tokio::fs::create_dir_all(parent).await.with_context(|| format!("creating {}", parent.display()))?;
            }
            // Written aside and renamed, so a reader never sees half a file.
            let partial = path.with_extension(format!("partial-{}", uuid::Uuid::now_v7()));
            tokio::fs::write(&partial, bytes).await.with_context(|| format!("writing {}", partial.display()))?;
            tokio::fs::rename(&partial, &path).await.with_context(|| format!("renaming to {}", path.display()))?;
            Ok(())
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let path = self.dir.join(checked(key)?);
            match tokio::fs::remove_file(&path).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).with_context(|| format!("removing {}", path.display())),
                _ => Ok(()),
            }
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let path = self.dir.join(checked(key)?);
            match tokio::fs::read(&path).await {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
            }
        })
    }

    fn url(&self, key: &str) -> String {
        format!("{}/{key}", self.base_url)
    }
}

/// Objects in an S3-compatible bucket (AWS S3, MinIO, R2, Ceph…), read by browsers from
/// `public_url` (the bucket's public address or a CDN in front of it).
pub struct S3Store {
    bucket: object_store::aws::AmazonS3,
    public_url: String,
}

impl S3Store {
    pub fn new(config: &crate::server::config::MediaS3Config) -> anyhow::Result<Self> {
        let mut builder = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(config.secret_access_key.expose());
        if let Some(endpoint) = &config.endpoint {
            // Self-hosted servers answer at `<endpoint>/<bucket>/<key>`, often over plain
            // HTTP inside a private network.
            builder = builder.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://")).with_virtual_hosted_style_request(false);
        }
        let bucket = builder.build().context("configuring the S3 media store (MEDIA_S3_*)")?;
        Ok(Self { bucket, public_url: config.public_url.trim_end_matches('/').to_owned() })
    }
}

impl MediaStore for S3Store {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>, content_type: &'static str) -> StoreFuture<'a, ()> {
        use object_store::{Attribute, AttributeValue, Attributes, ObjectStore, PutOptions};
        Box::pin(async move {
            let path = object_store::path::Path::from(checked(key)?);
            // Keys never change content (a new upload gets a new key), so caches keep them.
            let attributes = Attributes::from_iter([
                (Attribute::ContentType, AttributeValue::from(content_type)),
                (Attribute::CacheControl, AttributeValue::from("public, max-age=31536000, immutable")),
            ]);
            let options = PutOptions { attributes, ..Default::default() };
            self.bucket.put_opts(&path, bytes.into(), options).await.with_context(|| format!("storing {key} in the media bucket"))?;
            Ok(())
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        use object_store::ObjectStore;
        Box::pin(async move {
            let path = object_store::path::Path::from(checked(key)?);
            match self.bucket.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(e).with_context(|| format!("deleting {key} from the media bucket")),
            }
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        use object_store::ObjectStore;
        Box::pin(async move {
            let path = object_store::path::Path::from(checked(key)?);
            match self.bucket.get(&path).await {
                Ok(found) => Ok(Some(found.bytes().await.with_context(|| format!("reading {key} from the media bucket"))?.to_vec())),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e).with_context(|| format!("reading {key} from the media bucket")),
            }
        })
    }

    fn url(&self, key: &str) -> String {
        format!("{}/{key}", self.public_url)
    }
}

#[cfg(test)]
mod tests {
    use super::checked;

    #[test]
    fn keys_stay_inside_the_store() {
        assert!(checked("products/0193/640.webp").is_ok());
        for bad in ["", "../etc/passwd", "a//b", "/abs", "a/./b", "a\\b", "a b", "a/.."] {
            assert!(checked(bad).is_err(), "{bad}");
        }
    }
}
