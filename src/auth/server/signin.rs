//! The steps every sign-in method shares: the device lock check before, and after a
//! verified identity the merge, session rotation, session record, events and metrics.

use super::{codes, events, merge, sessions, throttle, users::UserRow};
use crate::{
    auth::types::{Method, OneTimeCode},
    error::AppError,
    server::{
        client::ClientInfo,
        ctx,
        session::{AppSession, SessionData},
        state::AppState,
    },
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Who is asking, gathered once per request.
pub struct Caller {
    pub state: AppState,
    pub session: AppSession,
    pub data: SessionData,
    pub client: ClientInfo,
    pub now: DateTime<Utc>,
}

impl Caller {
    /// Inside a server function.
    pub async fn current() -> Result<Self, AppError> {
        let state = ctx::state()?;
        let parts = leptos::prelude::use_context::<axum::http::request::Parts>()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("request parts missing from context")))?;
        let session = ctx::session().await?;
        Self::new(state, session, &parts).await
    }

    pub async fn new(state: AppState, session: AppSession, parts: &axum::http::request::Parts) -> Result<Self, AppError> {
        let data = session.data().await?;
        let client = ClientInfo::from_parts(parts, state.config.trust_proxy);
        let now = state.clock.now();
        Ok(Self { state, session, data, client, now })
    }

    /// What invalid attempts count against: this device, or the IP without one.
    pub fn throttle_subject(&self) -> String {
        throttle::subject(self.data.device_id, self.client.ip)
    }

    /// Refuses while the device is locked.
    pub async fn ensure_unlocked(&self) -> Result<(), AppError> {
        throttle::ensure_unlocked(&self.state.db, &self.throttle_subject(), self.now).await
    }

    /// Records an invalid attempt and returns the error to show: `error`, or the lock
    /// message when this attempt was the fifth in a row.
    pub async fn failed(&self, user_id: Option<Uuid>, method: Method, reason: &str, error: AppError) -> AppError {
        let db = &self.state.db;
        if let Err(e) = events::record_failure(db, user_id, self.data.device_id, method, reason, &self.client, self.now).await {
            return e;
        }
        match throttle::record_failure(db, &self.throttle_subject(), self.now).await {
            Ok(Some(locked)) => {
                let _ = events::record(
                    db,
                    events::Event {
                        user_id,
                        device_id: self.data.device_id,
                        event_type: "device_locked",
                        method: Some(method),
                        success: false,
                        reason: Some(reason),
                        client: &self.client,
                        at: self.now,
                    },
                )
                .await;
                locked
            }
            Ok(None) => error,
            Err(e) => e,
        }
    }

    /// Checks a typed code for `destination`. A wrong, expired or used-up code counts
    /// against the device and comes back as a message beside the `code` field.
    pub async fn check_code(
        &self,
        purpose: codes::Purpose,
        destination: &str,
        code: &OneTimeCode,
        user_id: Option<Uuid>,
        method: Method,
    ) -> Result<codes::Verified, AppError> {
        let secret = self.state.config.auth_secret.expose();
        match codes::verify_code(&self.state.db, secret, self.now, purpose, destination, code.as_str()).await? {
            Ok(verified) => Ok(verified),
            Err(problem) => Err(self.failed(user_id, method, problem.reason(), AppError::field("code", problem.message())).await),
        }
    }

    /// Consumes an emailed link. A bad or expired one counts against the device; `what`
    /// names the link in the message ("sign-in link", "reset link").
    pub async fn check_link(&self, purpose: codes::Purpose, token: &str, method: Method, what: &str) -> Result<codes::Verified, AppError> {
        let secret = self.state.config.auth_secret.expose();
        match codes::verify_link(&self.state.db, secret, self.now, purpose, token).await? {
            Ok(verified) => Ok(verified),
            Err(problem) => {
                let message = match problem {
                    codes::CodeError::Expired => format!("This {what} has expired. Ask for a new one."),
                    _ => format!("This {what} is not valid any more. Links work once; ask for a new one."),
                };
                Err(self.failed(None, method, problem.reason(), AppError::Rejected(message)).await)
            }
        }
    }

    /// Signs `user` in on this browser.
    #[tracing::instrument(skip_all, fields(user_id = %user.id, method = method.as_str()))]
    pub async fn complete(&self, user: &UserRow, method: Method, event_type: &'static str) -> Result<(), AppError> {
        if !user.is_active {
            return Err(AppError::Forbidden);
        }
        let db = &self.state.db;
        let mut tx = db.begin().await?;
        merge::into_user(&mut tx, self.data.anonymous_user_id, self.data.cart_id, user.id, self.now).await?;
        events::signed_in(&mut *tx, user.id, self.data.device_id, self.now).await?;
        events::record(
            &mut *tx,
            events::Event {
                user_id: Some(user.id),
                device_id: self.data.device_id,
                event_type,
                method: Some(method),
                success: true,
                reason: None,
                client: &self.client,
                at: self.now,
            },
        )
        .await?;
        let login_session_id = Uuid::now_v7();
        let data = SessionData {
            user_id: Some(user.id),
            role: Some(user.role()),
            device_id: self.data.device_id,
            anonymous_user_id: None,
            cart_id: None,
            login_session_id: Some(login_session_id),
        };
        // A new session id at every sign-in: a planted session cookie is worth nothing.
        let key = self.session.rotate_with(&data).await?;
        sessions::create(&mut *tx, login_session_id, &key, user.id, self.data.device_id, &self.client, self.now).await?;
        tx.commit().await?;
        throttle::reset(db, &self.throttle_subject()).await?;
        Ok(())
    }

    /// Ends this browser's session; the device (if the visitor accepted cookies) is kept
    /// so the next person to sign in here is recognised as the same device.
    pub async fn sign_out(&self) -> Result<(), AppError> {
        if let (Some(user_id), Some(id)) = (self.data.user_id, self.data.login_session_id) {
            sqlx::query("update user_sessions set revoked_at = $2, revoked_reason = 'sign_out' where id = $1 and revoked_at is null")
                .bind(id)
                .bind(self.now)
                .execute(&self.state.db)
                .await?;
            events::record(
                &self.state.db,
                events::Event {
                    user_id: Some(user_id),
                    device_id: self.data.device_id,
                    event_type: "sign_out",
                    method: None,
                    success: true,
                    reason: None,
                    client: &self.client,
                    at: self.now,
                },
            )
            .await?;
        }
        let keep = match self.data.device_id {
            // A fresh anonymous identity for whoever uses this device next.
            Some(device_id) => Some(SessionData {
                device_id: Some(device_id),
                anonymous_user_id: Some(crate::consent::server::new_anonymous_user(&self.state.db, device_id, self.now).await?),
                ..Default::default()
            }),
            None => None,
        };
        self.session.destroy(keep).await
    }
}

/// Looks up the user for a verified email or phone destination.
pub async fn user_for_destination(state: &AppState, destination: &str) -> Result<Option<UserRow>, AppError> {
    if destination.starts_with('+') {
        super::users::by_phone(&state.db, destination).await
    } else {
        super::users::by_email(&state.db, destination).await
    }
}

/// The path to go to after signing in: only same-site paths (no open redirects).
pub fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") && !next.contains("://") {
        next.to_owned()
    } else {
        "/account".to_owned()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_same_site_paths_are_followed() {
        assert_eq!(super::safe_next("/cart"), "/cart");
        assert_eq!(super::safe_next("https://evil.example"), "/account");
        assert_eq!(super::safe_next("//evil.example"), "/account");
        assert_eq!(super::safe_next("/\\evil.example"), "/account");
        assert_eq!(super::safe_next(""), "/account");
    }
}
