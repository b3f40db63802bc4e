//! The second factor staff accounts (admin, editor) give at every sign-in, and again before
//! a refund, a role change, a deactivation or a CSV import: a code from an authenticator
//! app (TOTP, RFC 6238), one of ten single-use recovery codes, or a code sent to their email.
//!
//! Between the first and the second step the session holds a [`Pending`] sign-in and no
//! user: nothing a signed-in person may do is open to it.

use super::{delivery, secrets, signin::Caller, users::UserRow};
use crate::{
    audit::server::{record, Actor, Change},
    auth::types::{Method, SecondFactorSetup},
    error::AppError,
};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use totp_rs::{Algorithm, Secret, TOTP};
use uuid::Uuid;

/// Where the second step is asked for.
pub const PAGE: &str = "/sign-in/second-factor";
/// The session key of a sign-in waiting for its second step.
const PENDING_KEY: &str = "second_factor";
/// The session key of the emailed-code attempt (the key its code is kept under).
const ATTEMPT_KEY: &str = "second_factor_attempt";
/// The session key of the last time this staff member gave their second factor.
const CONFIRMED_KEY: &str = "second_factor_at";
/// The session key of an authenticator being set up, until its first code confirms it.
const SETUP_KEY: &str = "totp_setup";
/// How long the second step may wait after the first.
pub const PENDING_TTL: Duration = Duration::minutes(10);
/// How recent a confirmation must be for a refund, role change, deactivation or import.
pub const CONFIRM_WINDOW: Duration = Duration::minutes(10);
const RECOVERY_CODES: usize = 10;
const ISSUER: &str = "Larkspur";

/// A sign-in whose first step succeeded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub user_id: Uuid,
    pub method: Method,
    pub event: String,
    pub next: String,
    pub started_at: DateTime<Utc>,
}

impl Pending {
    /// The login event the finished sign-in records.
    pub fn event_type(&self) -> &'static str {
        match self.event.as_str() {
            "sign_up" => "sign_up",
            "password_reset" => "password_reset",
            _ => "sign_in",
        }
    }
}

/// Admins and editors; customers sign in with one factor.
pub fn required(user: &UserRow) -> bool {
    user.role().is_staff()
}

/// Keeps the first step in the session (under a new session id) and, for an account without
/// an authenticator, emails the code at once.
pub async fn begin(caller: &Caller, user: &UserRow, method: Method, event: &'static str, next: &str) -> Result<(), AppError> {
    let data = crate::server::session::SessionData { user_id: None, login_session_id: None, ..caller.data.clone() };
    caller.session.rotate_with(&data).await?;
    let pending = Pending { user_id: user.id, method, event: event.to_owned(), next: next.to_owned(), started_at: caller.now };
    caller.session.put(PENDING_KEY, &pending).await?;
    caller.session.take::<String>(ATTEMPT_KEY).await?;
    if !has_authenticator(&caller.state.db, user.id).await? {
        send_email_code(caller, user).await?;
    }
    Ok(())
}

/// The sign-in waiting for its second step in this session, while it may still finish.
pub async fn pending(caller: &Caller) -> Result<Option<Pending>, AppError> {
    Ok(caller.session.get::<Pending>(PENDING_KEY).await?.filter(|p| caller.now - p.started_at < PENDING_TTL))
}

pub async fn clear_pending(caller: &Caller) -> Result<(), AppError> {
    caller.session.take::<Pending>(PENDING_KEY).await?;
    caller.session.take::<String>(ATTEMPT_KEY).await?;
    Ok(())
}

/// Every sign-in method ends here: customers are signed in, staff are asked for their
/// second factor first.
impl Caller {
    /// Signs `user` in on this browser after their first factor, and answers where to go:
    /// `next` for a customer; for staff, the page that asks for their second factor (the
    /// sign-in finishes there, in [`Caller::finish_second_factor`]).
    #[tracing::instrument(skip_all, fields(user_id = %user.id, method = method.as_str()))]
    pub async fn complete(&self, user: &UserRow, method: Method, event_type: &'static str, next: &str) -> Result<String, AppError> {
        if !user.is_active {
            return Err(AppError::AccountDisabled);
        }
        if required(user) {
            begin(self, user, method, event_type, next).await?;
            return Ok(PAGE.to_owned());
        }
        self.sign_in(user, method, event_type).await?;
        Ok(next.to_owned())
    }

    /// Finishes a staff sign-in waiting in this session with its second factor (`typed`).
    pub async fn finish_second_factor(&self, pending: &Pending, typed: &str) -> Result<String, AppError> {
        let user = super::users::by_id(&self.state.db, pending.user_id).await?.ok_or(AppError::Unauthorized)?;
        if !user.is_active {
            clear_pending(self).await?;
            return Err(AppError::AccountDisabled);
        }
        let factor = verify(self, &user, typed).await?;
        clear_pending(self).await?;
        self.sign_in(&user, pending.method, pending.event_type()).await?;
        super::events::record(
            &self.state.db,
            super::events::Event {
                user_id: Some(user.id),
                device_id: self.data.device_id,
                event_type: "second_factor",
                method: Some(factor),
                success: true,
                reason: None,
                client: &self.client,
                at: self.now,
            },
        )
        .await?;
        confirmed(self).await?;
        // Staff sessions end sooner when left alone than customers'.
        let idle = self.state.config.staff_session_idle_minutes;
        self.session.update(|d| d.idle_minutes = Some(idle)).await?;
        Ok(pending.next.clone())
    }

}

/// Emails a fresh code for this browser's attempt. Each attempt keeps its code under its
/// own key, so one browser's cool-down never holds up another's sign-in; a per-account
/// ceiling stops the first step from being used to flood the inbox.
pub async fn send_email_code(caller: &Caller, user: &UserRow) -> Result<crate::auth::types::CodeSent, AppError> {
    let email = user
        .email
        .as_deref()
        .filter(|_| user.email_verified_at.is_some())
        .ok_or_else(|| AppError::Rejected("This staff account has no verified email for codes. Use your authenticator app or a recovery code.".into()))?;
    let limit = caller.state.config.auth_limits.second_factor_emails_per_hour;
    let window = crate::server::limits::Window { limit, period: Duration::hours(1) };
    crate::server::limits::take(&caller.state, &format!("second-factor-send:{}", user.id), window, caller.now).await?;
    let attempt = format!("second-factor:{}", secrets::random_token());
    caller.session.put(ATTEMPT_KEY, &attempt).await?;
    delivery::send_second_factor_code(caller, email, &attempt, user.id).await
}

/// Checks a typed second factor of `user`: six digits from the authenticator (each code
/// once), a recovery code (each once), or the code emailed for this browser's attempt.
/// A wrong one counts against the device and the account like a wrong password.
pub async fn verify(caller: &Caller, user: &UserRow, typed: &str) -> Result<Method, AppError> {
    let account = user.email.clone().unwrap_or_else(|| user.id.to_string());
    caller.ensure_account_open(&account, Some(user.id)).await?;
    let compact: String = typed.chars().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_lowercase();
    let db = &caller.state.db;
    if compact.len() == 6 && compact.chars().all(|c| c.is_ascii_digit()) {
        if use_authenticator_code(db, user.id, &compact, caller.now).await? {
            return Ok(Method::Totp);
        }
        if let Some(attempt) = caller.session.get::<String>(ATTEMPT_KEY).await? {
            let secret = caller.state.config.auth_secret.expose();
            let binding: Option<String> = caller.session.get(super::signin::CODE_BINDING_KEY).await?;
            let purpose = super::codes::Purpose::SecondFactor;
            if super::codes::verify_code(db, secret, caller.now, purpose, &attempt, &compact, binding.as_deref()).await?.is_ok() {
                return Ok(Method::EmailCode);
            }
        }
    } else if compact.len() == 10 && use_recovery_code(db, caller.state.config.auth_secret.expose(), user.id, &compact, caller.now).await? {
        return Ok(Method::RecoveryCode);
    }
    let wrong = AppError::field("code", "That code is not right. Check it and try again, or ask for a new email code.");
    Err(caller.failed(Some(user.id), Some(&account), Method::Totp, "wrong_second_factor", wrong).await)
}

/// Notes that this session's staff member gave their second factor just now.
pub async fn confirmed(caller: &Caller) -> Result<(), AppError> {
    caller.session.take::<String>(ATTEMPT_KEY).await?;
    caller.session.put(CONFIRMED_KEY, &caller.now).await
}

/// `Reconfirm` unless this session's staff member gave their second factor within the last
/// ten minutes. For money, roles, deactivations and imports.
pub async fn require_recent(state: &crate::server::state::AppState, session: &crate::server::session::AppSession) -> Result<(), AppError> {
    let at: Option<DateTime<Utc>> = session.get(CONFIRMED_KEY).await?;
    match at {
        Some(at) if state.clock.now() - at < CONFIRM_WINDOW => Ok(()),
        _ => Err(AppError::Reconfirm),
    }
}

pub async fn has_authenticator(db: &PgPool, user_id: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar("select exists(select 1 from staff_totp where user_id = $1)").bind(user_id).fetch_one(db).await?)
}

pub async fn unused_recovery_codes(db: &PgPool, user_id: Uuid) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("select count(*) from staff_recovery_codes where user_id = $1 and used_at is null")
        .bind(user_id)
        .fetch_one(db)
        .await?)
}

fn authenticator(secret_base32: &str) -> Result<TOTP, AppError> {
    let bytes = Secret::Encoded(secret_base32.to_owned()).to_bytes().map_err(|e| AppError::internal(anyhow::anyhow!("TOTP secret: {e:?}")))?;
    TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes).map_err(|e| AppError::internal(anyhow::anyhow!("TOTP: {e}")))
}

/// The 30-second step `code` belongs to, allowing one step of clock drift either way.
fn matching_step(totp: &TOTP, code: &str, now: DateTime<Utc>) -> Option<i64> {
    let step = now.timestamp() / 30;
    (step - 1..=step + 1).find(|s| {
        let expected = totp.generate((*s * 30).max(0) as u64);
        constant_time_eq(expected.as_bytes(), code.as_bytes())
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An authenticator code, accepted once: its step must be later than the last accepted.
async fn use_authenticator_code(db: &PgPool, user_id: Uuid, code: &str, now: DateTime<Utc>) -> Result<bool, AppError> {
    let row: Option<(String, i64)> = sqlx::query_as("select secret, last_step from staff_totp where user_id = $1")
        .bind(user_id)
        .fetch_optional(db)
        .await?;
    let Some((secret, last_step)) = row else { return Ok(false) };
    let Some(step) = matching_step(&authenticator(&secret)?, code, now).filter(|s| *s > last_step) else { return Ok(false) };
    // Two requests with one code: only the first moves the step on.
    let moved = sqlx::query("update staff_totp set last_step = $2 where user_id = $1 and last_step < $2")
        .bind(user_id)
        .bind(step)
        .execute(db)
        .await?;
    Ok(moved.rows_affected() == 1)
}

async fn use_recovery_code(db: &PgPool, secret: &str, user_id: Uuid, code: &str, now: DateTime<Utc>) -> Result<bool, AppError> {
    let rows: Vec<(Uuid, String)> = sqlx::query_as("select id, code_hash from staff_recovery_codes where user_id = $1 and used_at is null")
        .bind(user_id)
        .fetch_all(db)
        .await?;
    let Some((id, _)) = rows.into_iter().find(|(_, hash)| secrets::matches(secret, code, hash)) else { return Ok(false) };
    let used = sqlx::query("update staff_recovery_codes set used_at = $2 where id = $1 and used_at is null")
        .bind(id)
        .bind(now)
        .execute(db)
        .await?;
    Ok(used.rows_affected() == 1)
}

/// Ten characters from an alphabet without look-alikes, shown as `xxxxx-xxxxx`.
fn recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut code = String::with_capacity(11);
    for i in 0..10 {
        if i == 5 {
            code.push('-');
        }
        // 256 % 31 leaves a bias of under 1 %, and the code has ~49 bits either way.
        code.push(ALPHABET[(OsRng.next_u32() % ALPHABET.len() as u32) as usize] as char);
    }
    code
}

/// Starts setting up an authenticator: a new secret kept in the session until a code from
/// the app confirms it, with the QR code and the key to type.
pub async fn start_setup(caller: &Caller, user: &UserRow) -> Result<SecondFactorSetup, AppError> {
    let mut bytes = [0u8; 20];
    OsRng.fill_bytes(&mut bytes);
    let Secret::Encoded(secret) = Secret::Raw(bytes.to_vec()).to_encoded() else {
        return Err(AppError::internal(anyhow::anyhow!("TOTP secret did not encode")));
    };
    caller.session.put(SETUP_KEY, &secret).await?;
    Ok(setup_view(user, &secret))
}

/// The setup under way in this session, to show again (after a wrong code).
pub async fn current_setup(caller: &Caller, user: &UserRow) -> Result<Option<SecondFactorSetup>, AppError> {
    Ok(caller.session.get::<String>(SETUP_KEY).await?.map(|secret| setup_view(user, &secret)))
}

fn setup_view(user: &UserRow, secret: &str) -> SecondFactorSetup {
    let account = user.email.clone().unwrap_or_else(|| user.id.to_string());
    let label = percent_encoding::utf8_percent_encode(&format!("{ISSUER}:{account}"), percent_encoding::NON_ALPHANUMERIC).to_string();
    let uri = format!("otpauth://totp/{label}?secret={secret}&issuer={ISSUER}&algorithm=SHA1&digits=6&period=30");
    let qr_svg = qrcode::QrCode::new(uri.as_bytes())
        .map(|qr| {
            let svg = qr.render::<qrcode::render::svg::Color<'_>>().min_dimensions(192, 192).quiet_zone(true).build();
            // The renderer starts with an XML declaration, which has no place inside HTML.
            svg.find("<svg").map(|at| svg[at..].to_owned()).unwrap_or(svg)
        })
        .unwrap_or_default();
    // Groups of four are easier to type into an app.
    let key = secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ");
    SecondFactorSetup { qr_svg, key }
}

/// Confirms the setup with a code from the app: the authenticator replaces any earlier one,
/// and ten new recovery codes replace the old ones. Returns the codes, shown once.
pub async fn finish_setup(caller: &Caller, user: &UserRow, typed: &str) -> Result<Vec<String>, AppError> {
    let secret: String = caller
        .session
        .get(SETUP_KEY)
        .await?
        .ok_or_else(|| AppError::Rejected("Start setting up your authenticator app again.".into()))?;
    let code: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(step) = matching_step(&authenticator(&secret)?, &code, caller.now) else {
        return Err(AppError::field("code", "That code is not right. Check the time on your phone, then type the code the app shows now."));
    };
    let mut tx = caller.state.db.begin().await?;
    let had: bool = sqlx::query_scalar("select exists(select 1 from staff_totp where user_id = $1)").bind(user.id).fetch_one(&mut *tx).await?;
    sqlx::query(
        "insert into staff_totp (user_id, secret, last_step, confirmed_at) values ($1, $2, $3, $4)
         on conflict (user_id) do update set secret = excluded.secret, last_step = excluded.last_step, confirmed_at = excluded.confirmed_at",
    )
    .bind(user.id)
    .bind(&secret)
    .bind(step)
    .bind(caller.now)
    .execute(&mut *tx)
    .await?;
    let codes = replace_recovery_codes(&mut tx, caller, user.id).await?;
    let actor = Actor::of_request(user.id, caller.state.config.trust_proxy);
    let action = if had { "second_factor_replaced" } else { "second_factor_enrolled" };
    record(&mut tx, &actor, Change { action, entity_kind: "user", entity_id: user.id.to_string(), before: None, after: None }, caller.now).await?;
    tx.commit().await?;
    caller.session.take::<String>(SETUP_KEY).await?;
    Ok(codes)
}

/// Ten new recovery codes instead of the old ones (used or not).
pub async fn new_recovery_codes(caller: &Caller, user_id: Uuid) -> Result<Vec<String>, AppError> {
    let mut tx = caller.state.db.begin().await?;
    let codes = replace_recovery_codes(&mut tx, caller, user_id).await?;
    let actor = Actor::of_request(user_id, caller.state.config.trust_proxy);
    let change = Change { action: "recovery_codes_renewed", entity_kind: "user", entity_id: user_id.to_string(), before: None, after: None };
    record(&mut tx, &actor, change, caller.now).await?;
    tx.commit().await?;
    Ok(codes)
}

async fn replace_recovery_codes(tx: &mut sqlx::PgConnection, caller: &Caller, user_id: Uuid) -> Result<Vec<String>, AppError> {
    sqlx::query("delete from staff_recovery_codes where user_id = $1").bind(user_id).execute(&mut *tx).await?;
    let secret = caller.state.config.auth_secret.expose();
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|c| secrets::keyed_hash(secret, &c.replace('-', ""))).collect();
    sqlx::query("insert into staff_recovery_codes (user_id, code_hash, created_at) select $1, h, $3 from unnest($2::text[]) h")
        .bind(user_id)
        .bind(&hashes)
        .bind(caller.now)
        .execute(&mut *tx)
        .await?;
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_code_matches_its_own_step_and_one_either_side_only() {
        let totp = TOTP::new(Algorithm::SHA1, 6, 1, 30, b"12345678901234567890".to_vec()).unwrap();
        // RFC 6238's SHA-1 test vector: 59 s gives 94287082 (8 digits); 6 digits: 287082.
        let at = Utc.timestamp_opt(59, 0).unwrap();
        assert_eq!(matching_step(&totp, "287082", at), Some(1));
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap();
        let step = now.timestamp() / 30;
        for (offset, accepted) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let code = totp.generate(((step + offset) * 30) as u64);
            assert_eq!(matching_step(&totp, &code, now).is_some(), accepted, "offset {offset}");
        }
        assert_eq!(matching_step(&totp, "12345", now), None);
    }

    #[test]
    fn recovery_codes_are_ten_unambiguous_characters() {
        let a = recovery_code();
        assert_eq!(a.len(), 11);
        assert_eq!(&a[5..6], "-");
        assert!(a.chars().filter(|c| *c != '-').all(|c| "abcdefghjkmnpqrstuvwxyz23456789".contains(c)));
        assert_ne!(a, recovery_code());
    }
}
