//! A typed view of the Redis-backed session. Everything the store keeps per visitor lives
//! under one key, so a read is one round trip and the shape is checked by serde.

use crate::error::AppError;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use uuid::Uuid;

const KEY: &str = "larkspur";
/// The cookie that carries the session id.
pub const SESSION_COOKIE: &str = "larkspur_session";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionData {
    /// The signed-in user. Their role and active flag are read from the database on every
    /// request, so a demotion or deactivation takes effect at once.
    pub user_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub anonymous_user_id: Option<Uuid>,
    /// A cart kept for a visitor who declined tracking (strictly necessary).
    pub cart_id: Option<Uuid>,
    /// The `user_sessions` row of this signed-in session.
    pub login_session_id: Option<Uuid>,
    /// Minutes this session may sit unused, when shorter than every session's (staff).
    #[serde(default)]
    pub idle_minutes: Option<i64>,
}

#[derive(Clone)]
pub struct AppSession(Session);

impl AppSession {
    pub fn new(session: Session) -> Self {
        Self(session)
    }

    pub async fn data(&self) -> Result<SessionData, AppError> {
        Ok(self.0.get::<SessionData>(KEY).await?.unwrap_or_default())
    }

    pub async fn update(&self, change: impl FnOnce(&mut SessionData)) -> Result<SessionData, AppError> {
        let mut data = self.data().await?;
        change(&mut data);
        self.0.insert(KEY, &data).await?;
        Ok(data)
    }

    /// Replaces the data under a new session id, saved at once so the caller learns the id
    /// (recorded for the account page's session list). Called at every sign-in.
    pub async fn rotate_with(&self, data: &SessionData) -> Result<String, AppError> {
        self.0.cycle_id().await?;
        self.0.insert(KEY, data).await?;
        self.0.save().await?;
        self.id().ok_or_else(|| AppError::internal(anyhow::anyhow!("session has no id after save")))
    }

    /// Ends the session after `minutes` without a request, instead of the store-wide idle
    /// time. The session layer starts each request with its default, so this is applied on
    /// every request (`activity::track`).
    pub fn set_idle_expiry(&self, minutes: i64) {
        self.0.set_expiry(Some(tower_sessions::Expiry::OnInactivity(tower_sessions::cookie::time::Duration::minutes(minutes))));
    }

    /// Extra values that live beside the main record (e.g. an OAuth flow in progress).
    pub async fn put<T: Serialize>(&self, key: &str, value: &T) -> Result<(), AppError> {
        Ok(self.0.insert(key, value).await?)
    }

    pub async fn get<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>, AppError> {
        Ok(self.0.get(key).await?)
    }

    pub async fn take<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>, AppError> {
        Ok(self.0.remove(key).await?)
    }

    /// Removes the session from Redis; what `keep` holds is written to a brand-new session
    /// (e.g. the device id, which outlives a sign-out), otherwise the cookie is expired.
    pub async fn destroy(&self, keep: Option<SessionData>) -> Result<(), AppError> {
        self.0.flush().await?;
        if let Some(data) = keep {
            // Without a new id the store would reuse the old one for the fresh session.
            self.0.cycle_id().await?;
            self.0.insert(KEY, &data).await?;
        }
        Ok(())
    }

    pub fn id(&self) -> Option<String> {
        self.0.id().map(|id| id.to_string())
    }
}
