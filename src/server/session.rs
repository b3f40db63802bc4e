//! A typed view of the Redis-backed session. Everything the store keeps per visitor lives
//! under one key, so a read is one round trip and the shape is checked by serde.

use crate::{auth::Role, error::AppError};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use uuid::Uuid;

const KEY: &str = "larkspur";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionData {
    pub user_id: Option<Uuid>,
    pub role: Option<Role>,
    pub device_id: Option<Uuid>,
    pub anonymous_user_id: Option<Uuid>,
    /// A cart kept for a visitor who declined tracking (strictly necessary).
    pub cart_id: Option<Uuid>,
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

    /// A new session id for the same data: called at every sign-in (fixation defence).
    pub async fn rotate(&self) -> Result<(), AppError> {
        Ok(self.0.cycle_id().await?)
    }

    /// Removes the session from Redis and expires the cookie.
    pub async fn destroy(&self) -> Result<(), AppError> {
        Ok(self.0.flush().await?)
    }

    pub fn id(&self) -> Option<String> {
        self.0.id().map(|id| id.to_string())
    }
}
