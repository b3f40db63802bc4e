//! The steps every sign-in method shares: the device lock check before, and after a
//! verified identity the merge, session rotation, session record, events and metrics.

use super::{codes, events, merge, sessions, throttle, users::UserRow};
use crate::{
    auth::types::{Method, OneTimeCode},
    error::AppError,
    notifications::server as notifications,
    server::{
        client::ClientInfo,
        ctx,
        session::{AppSession, SessionData},
        limits::{self, Window},
        state::AppState,
    },
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Where a session keeps the secret its one-time codes are bound to.
pub(crate) const CODE_BINDING_KEY: &str = "code_binding";

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

    /// The secret this browser's session holds for the codes it asks for (made on first use).
    pub async fn code_binding(&self) -> Result<String, AppError> {
        if let Some(binding) = self.session.get::<String>(CODE_BINDING_KEY).await? {
            return Ok(binding);
        }
        let binding = super::secrets::random_token();
        self.session.put(CODE_BINDING_KEY, &binding).await?;
        Ok(binding)
    }

    /// What invalid attempts count against: this device, or the IP without one.
    pub fn throttle_subject(&self) -> String {
        throttle::subject(self.data.device_id, self.client.ip)
    }

    fn client_failures(&self) -> (String, Window) {
        let limit = self.state.config.auth_limits.failures_per_client;
        (throttle::client_key("auth-fail", self.client.ip), Window { limit, period: throttle::FAILURE_WINDOW })
    }

    fn account_failures(&self, account: &str) -> (String, Window) {
        let limit = self.state.config.auth_limits.failures_per_account;
        (throttle::account_key(account), Window { limit, period: throttle::FAILURE_WINDOW })
    }

    /// Refuses while the device is locked, or while this client address has failed too
    /// often across all accounts.
    pub async fn ensure_unlocked(&self) -> Result<(), AppError> {
        throttle::ensure_unlocked(&self.state.db, &self.throttle_subject(), self.now).await?;
        let (key, window) = self.client_failures();
        limits::check(&self.state, &key, window, self.now).await
    }

    /// Refuses to check a secret for `account` (an email or phone) once it has failed too
    /// often lately, unless this device has signed into the account before (`user_id`).
    pub async fn ensure_account_open(&self, account: &str, user_id: Option<Uuid>) -> Result<(), AppError> {
        let (key, window) = self.account_failures(account);
        let Err(refused) = limits::check(&self.state, &key, window, self.now).await else {
            return Ok(());
        };
        let trusted = match (user_id, self.data.device_id) {
            (Some(user_id), Some(device_id)) => throttle::device_has_signed_in(&self.state.db, device_id, user_id).await?,
            _ => false,
        };
        if trusted {
            Ok(())
        } else {
            Err(refused)
        }
    }

    /// Spends one send of a code or link to `destination`: the same cool-down whether or
    /// not an account uses it (so the answer reveals nothing), and a ceiling per client
    /// address across destinations (mail bombing, SMS pumping).
    pub async fn allow_send(&self, kind: &str, destination: &str) -> Result<(), AppError> {
        let cooldown = Window { limit: 1, period: codes::RESEND_COOLDOWN };
        limits::take(&self.state, &format!("send:{kind}:{}", destination.to_lowercase()), cooldown, self.now).await?;
        let burst = Window { limit: self.state.config.auth_limits.sends_per_client, period: throttle::SEND_WINDOW };
        limits::take(&self.state, &throttle::client_key("send", self.client.ip), burst, self.now).await
    }

    /// Records an invalid attempt (against the device, the client address and, when known,
    /// the account aimed at) and returns the error to show: `error`, or the lock message
    /// when this attempt was the fifth in a row.
    pub async fn failed(&self, user_id: Option<Uuid>, account: Option<&str>, method: Method, reason: &str, error: AppError) -> AppError {
        let db = &self.state.db;
        if let Err(e) = events::record_failure(db, user_id, self.data.device_id, method, reason, &self.client, self.now).await {
            return e;
        }
        let (client_key, client_window) = self.client_failures();
        if let Err(e) = limits::record(&self.state, &client_key, client_window, self.now).await {
            return e;
        }
        if let Some(account) = account {
            let (key, window) = self.account_failures(account);
            if let Err(e) = limits::record(&self.state, &key, window, self.now).await {
                return e;
            }
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
        self.ensure_account_open(destination, user_id).await?;
        let secret = self.state.config.auth_secret.expose();
        let binding: Option<String> = self.session.get(CODE_BINDING_KEY).await?;
        match codes::verify_code(&self.state.db, secret, self.now, purpose, destination, code.as_str(), binding.as_deref()).await? {
            Ok(verified) => Ok(verified),
            Err(problem) => {
                let error = AppError::field("code", problem.message());
                Err(self.failed(user_id, Some(destination), method, problem.reason(), error).await)
            }
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
                Err(self.failed(None, None, method, problem.reason(), AppError::Rejected(message)).await)
            }
        }
    }

    /// Signs `user` in on this browser: merge, new session id, session record, events.
    pub(super) async fn sign_in(&self, user: &UserRow, method: Method, event_type: &'static str) -> Result<(), AppError> {
        let db = &self.state.db;
        let mut tx = db.begin().await?;
        // Read again under a share lock: a deactivation (which locks the row for update)
        // either waits for this sign-in and then ends its session, or is seen here.
        let active: Option<bool> = sqlx::query_scalar("select is_active from users where id = $1 and deleted_at is null for share")
            .bind(user.id)
            .fetch_optional(&mut *tx)
            .await?;
        if active != Some(true) {
            return Err(AppError::AccountDisabled);
        }
        merge::into_user(&mut tx, self.data.anonymous_user_id, self.data.cart_id, user.id, self.now).await?;
        // Asked before this sign-in is recorded, or every device would be known.
        let known = notifications::known_device(&mut tx, user.id, self.data.device_id, &self.client.user_agent).await?;
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
            device_id: self.data.device_id,
            anonymous_user_id: None,
            cart_id: None,
            login_session_id: Some(login_session_id),
            idle_minutes: None,
        };
        // A new session id at every sign-in: a planted session cookie is worth nothing.
        let key = self.session.rotate_with(&data).await?;
        sessions::create(&mut *tx, login_session_id, &key, user.id, self.data.device_id, &self.client, self.now).await?;
        if known == Some(false) {
            let alert = notifications::Event::NewDevice { login_session_id, device: self.client.describe(), place: self.client.place(), at: self.now };
            notifications::notify(&mut tx, user.id, &alert, self.now).await?;
        }
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

/// The account that has proven this email or phone destination, if any.
pub async fn user_for_destination(state: &AppState, destination: &str) -> Result<Option<UserRow>, AppError> {
    if destination.starts_with('+') {
        super::users::by_verified_phone(&state.db, destination).await
    } else {
        super::users::by_verified_email(&state.db, destination).await
    }
}

/// Where to send the browser after signing in: `next` resolved against the site as a
/// browser would, kept only when it stays on this site; otherwise the account page. Any
/// control character, whitespace or backslash is refused outright, because browsers strip
/// or reinterpret them (`/\t/evil.example` becomes `//evil.example`).
pub fn safe_next(next: &str) -> String {
    const FALLBACK: &str = "/account";
    // Only the origin's identity matters for the check, so any fixed origin will do.
    const BASE: &str = "https://store.invalid/";
    let suspicious = |c: char| c.is_control() || c.is_whitespace() || c == '\\';
    if !next.starts_with('/') || next.chars().any(suspicious) {
        return FALLBACK.to_owned();
    }
    let Ok(resolved) = url::Url::parse(BASE).and_then(|base| base.join(next)) else {
        return FALLBACK.to_owned();
    };
    let same_origin = resolved.scheme() == "https"
        && resolved.host_str() == Some("store.invalid")
        && resolved.port().is_none()
        && resolved.username().is_empty()
        && resolved.password().is_none();
    let local = &resolved[url::Position::BeforePath..];
    // A path that starts with `//` would be read as another host if sent as it is.
    if same_origin && local.starts_with('/') && !local.starts_with("//") {
        local.to_owned()
    } else {
        FALLBACK.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn same_site_paths_are_kept() {
        for path in ["/cart", "/p/hoodie?colour=sage#reviews", "/checkout", "/@mentions", "/search?q=a%2Fb"] {
            assert_eq!(safe_next(path), path);
        }
        assert_eq!(safe_next("/a/../cart"), "/cart", "normalised as the browser would");
    }

    #[test]
    fn known_bypass_forms_fall_back_to_the_account() {
        let attacks = [
            "",
            "https://evil.example",
            "http:evil.example",
            "https:/evil.example",
            "//evil.example",
            "///evil.example",
            "////evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\\/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            " //evil.example",
            " /cart",
            "/ /evil.example",
            "/\u{0}/evil.example",
            "/\u{3000}/evil.example",
            "/\u{2028}/evil.example",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(document.domain)",
            "/javascript:alert(1)/../..//evil.example",
            "data:text/html,<script>alert(1)</script>",
            "//user:pass@evil.example",
            "https://store.invalid@evil.example",
            "/.//evil.example",
            "%2F%2Fevil.example",
            "evil.example",
            "?next=//evil.example",
        ];
        assert!(attacks.len() >= 20);
        for attack in attacks {
            assert_eq!(safe_next(attack), "/account", "{attack:?} must not be followed");
        }
    }

    #[test]
    fn encoded_slashes_stay_on_this_site() {
        // The browser does not decode %2F or %09 in a path: these are odd local paths.
        for path in ["/%2F%2Fevil.example", "/%09/evil.example", "/%5Cevil.example"] {
            let kept = safe_next(path);
            assert!(kept.starts_with('/') && !kept.starts_with("//"), "{path:?} → {kept:?}");
        }
    }
}
