//! Google and Facebook sign-in: authorization code with PKCE and a CSRF state, through the
//! `oauth2` crate. Every provider URL comes from configuration, so the same code path runs
//! against a local OAuth server in tests.

use super::{
    signin::{safe_next, Caller},
    users,
};
use crate::{
    auth::types::Method,
    error::AppError,
    server::{config::OAuthProvider, session::AppSession, state::AppState},
};
use axum::{
    extract::{Path, Query, State},
    http::request::Parts,
    response::Redirect,
};
use oauth2::{
    basic::BasicClient, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use uuid::Uuid;

const PENDING_KEY: &str = "oauth_pending";

#[derive(Serialize, Deserialize)]
struct Pending {
    provider: String,
    state: String,
    verifier: String,
    next: String,
    /// Set when a signed-in user links the provider from the account page.
    link_to: Option<Uuid>,
}

#[derive(Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// What the provider tells us about the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: String,
}

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

fn provider<'a>(state: &'a AppState, name: &str) -> Option<(&'a OAuthProvider, Method)> {
    match name {
        "google" => state.config.google.as_ref().map(|p| (p, Method::Google)),
        "facebook" => state.config.facebook.as_ref().map(|p| (p, Method::Facebook)),
        _ => None,
    }
}

fn client(state: &AppState, name: &str, config: &OAuthProvider) -> Result<Client, AppError> {
    let redirect = format!("{}/auth/oauth/{name}/callback", state.config.site_url);
    Ok(BasicClient::new(ClientId::new(config.client_id.clone()))
        .set_client_secret(ClientSecret::new(config.client_secret.expose().to_owned()))
        .set_auth_uri(AuthUrl::new(config.auth_url.clone()).map_err(AppError::internal)?)
        .set_token_uri(TokenUrl::new(config.token_url.clone()).map_err(AppError::internal)?)
        .set_redirect_uri(RedirectUrl::new(redirect).map_err(AppError::internal)?))
}

fn to_sign_in(error: &str) -> Redirect {
    Redirect::to(&format!("/sign-in?error={error}"))
}

#[tracing::instrument(skip_all, fields(provider = %name))]
pub async fn start(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<StartQuery>,
    session: Session,
) -> Result<Redirect, AppError> {
    let Some((config, _)) = provider(&state, &name) else {
        return Err(AppError::NotFound("This sign-in provider".into()));
    };
    let session = AppSession::new(session);
    let link_to = session.data().await?.user_id;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let scopes = if name == "google" { vec!["openid", "email", "profile"] } else { vec!["email", "public_profile"] };
    let (url, csrf) = client(&state, &name, config)?
        .authorize_url(CsrfToken::new_random)
        .add_scopes(scopes.into_iter().map(|s| Scope::new(s.to_owned())))
        .set_pkce_challenge(challenge)
        .url();
    session
        .put(
            PENDING_KEY,
            &Pending {
                provider: name,
                state: csrf.secret().clone(),
                verifier: verifier.secret().clone(),
                next: safe_next(&query.next),
                link_to,
            },
        )
        .await?;
    Ok(Redirect::to(url.as_str()))
}

/// Every way this can end lands on a page: the destination, the account page, or the
/// sign-in page with a message; never a raw error.
#[tracing::instrument(skip_all, fields(provider = %name))]
pub async fn callback(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<CallbackQuery>,
    session: Session,
    parts: Parts,
) -> Result<Redirect, AppError> {
    let Some((config, method)) = provider(&state, &name) else {
        return Err(AppError::NotFound("This sign-in provider".into()));
    };
    let caller = match Caller::new(state.clone(), AppSession::new(session), &parts).await {
        Ok(caller) => caller,
        Err(err) => return Ok(to_sign_in(error_code(&err))),
    };
    if let Err(err) = caller.ensure_unlocked().await {
        return Ok(to_sign_in(error_code(&err)));
    }
    let pending: Option<Pending> = match caller.session.take(PENDING_KEY).await {
        Ok(pending) => pending,
        Err(err) => return Ok(to_sign_in(error_code(&err))),
    };
    if query.error.is_some() {
        return Ok(to_sign_in("oauth_cancelled"));
    }
    let failed = |reason: &'static str, code: &'static str| {
        let caller = &caller;
        async move {
            let err = caller.failed(None, None, method, reason, AppError::Rejected("oauth".into())).await;
            to_sign_in(if matches!(err, AppError::DeviceLocked { .. }) { "locked" } else { code })
        }
    };
    let (Some(pending), Some(code), Some(returned_state)) = (pending, query.code, query.state) else {
        return Ok(failed("oauth_missing_state", "oauth_state").await);
    };
    if pending.provider != name || pending.state != returned_state {
        return Ok(failed("oauth_state_mismatch", "oauth_state").await);
    }
    let token = client(&state, &name, config)?
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
        .request_async(&state.http)
        .await;
    let token = match token {
        Ok(token) => token,
        Err(err) => {
            tracing::warn!(error = %err, "OAuth code exchange failed");
            return Ok(failed("oauth_exchange_failed", "oauth_failed").await);
        }
    };
    let profile = match fetch_profile(&state, &name, config, token.access_token().secret()).await {
        Ok(profile) => profile,
        Err(problem) => {
            tracing::warn!(problem, "OAuth profile unusable");
            return Ok(failed("oauth_profile_failed", "oauth_failed").await);
        }
    };

    if let Some(user_id) = pending.link_to {
        return Ok(match link(&state, user_id, &name, &profile).await {
            Ok(true) => Redirect::to("/account?linked=1"),
            Ok(false) => Redirect::to("/account?error=oauth_taken"),
            Err(err) => Redirect::to(&format!("/account?error={}", error_code(&err))),
        });
    }
    let signed_in = async {
        let (user, event) = find_or_create(&state, &name, &profile, caller.now).await?;
        caller.complete(&user, method, event, &pending.next).await
    };
    match signed_in.await {
        Ok(path) => Ok(Redirect::to(&path)),
        Err(err) => Ok(to_sign_in(error_code(&err))),
    }
}

/// The `?error=` code the sign-in page explains.
fn error_code(err: &AppError) -> &'static str {
    match err {
        AppError::DeviceLocked { .. } => "locked",
        AppError::RateLimited { .. } => "rate_limited",
        AppError::Forbidden | AppError::AccountDisabled => "account_disabled",
        AppError::Unavailable => "unavailable",
        _ => "oauth_failed",
    }
}

/// The person as the provider describes them; `Err` names what was wrong (for the log).
async fn fetch_profile(state: &AppState, name: &str, config: &OAuthProvider, access_token: &str) -> Result<Profile, &'static str> {
    #[derive(Deserialize)]
    struct Claims {
        sub: Option<String>,
        id: Option<String>,
        email: Option<String>,
        email_verified: Option<bool>,
        name: Option<String>,
    }
    let response = state
        .http
        .get(&config.userinfo_url)
        .bearer_auth(access_token)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|_| "userinfo request failed")?;
    let claims: Claims = response.json().await.map_err(|_| "userinfo is not the expected JSON")?;
    let subject = claims.sub.or(claims.id).filter(|s| !s.trim().is_empty()).ok_or("profile has no subject")?;
    // An address that is not one (phone-only accounts report none, some send junk) is
    // treated as absent: the identity alone signs in.
    let email = claims.email.and_then(|e| crate::auth::types::Email::parse(&e).ok()).map(|e| e.as_str().to_owned());
    Ok(Profile {
        subject,
        // Facebook does not report verification, so its emails never link accounts.
        email_verified: email.is_some() && name == "google" && claims.email_verified.unwrap_or(false),
        email,
        name: claims.name.unwrap_or_default().chars().take(100).collect(),
    })
}

/// The account for this identity: the one already linked; or, when the provider verified
/// the email, the account that has proven the same email (then linked); otherwise a new
/// account. A new account holds the provider's email only as verified (taking it off any
/// account that merely claimed it) or, unverified, when nobody else holds it: an email a
/// provider did not verify never reaches an existing account, and never blocks sign-in
/// (so the answer says nothing about which addresses have accounts).
pub async fn find_or_create(
    state: &AppState,
    provider: &str,
    profile: &Profile,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(users::UserRow, &'static str), AppError> {
    let linked: Option<Uuid> = sqlx::query_scalar("select user_id from user_identities where provider = $1 and provider_subject = $2")
        .bind(provider)
        .bind(&profile.subject)
        .fetch_optional(&state.db)
        .await?;
    if let Some(user_id) = linked {
        return users::by_id(&state.db, user_id).await?.map(|u| (u, "sign_in")).ok_or(AppError::Forbidden);
    }
    let mut tx = state.db.begin().await?;
    let proven = match &profile.email {
        Some(email) if profile.email_verified => users::by_verified_email(&mut *tx, email).await?,
        _ => None,
    };
    let (user, event) = match proven {
        Some(user) => (user, "sign_in"),
        None => {
            let email = match &profile.email {
                Some(email) if profile.email_verified => Some(email.as_str()),
                Some(email) => {
                    let free = users::by_email(&mut *tx, email).await?.is_none();
                    free.then_some(email.as_str())
                }
                None => None,
            };
            let new_user = users::NewUser {
                email,
                email_verified: profile.email_verified,
                phone: None,
                phone_verified: false,
                name: &profile.name,
                password_hash: None,
            };
            (users::create(&mut tx, new_user, now).await?, "sign_up")
        }
    };
    insert_identity(&mut *tx, user.id, provider, profile).await?;
    tx.commit().await?;
    Ok((user, event))
}

async fn insert_identity(db: impl sqlx::PgExecutor<'_>, user_id: Uuid, provider: &str, profile: &Profile) -> Result<bool, AppError> {
    let inserted = sqlx::query(
        "insert into user_identities (user_id, provider, provider_subject, email, email_verified)
         values ($1, $2, $3, $4, $5) on conflict (provider, provider_subject) do nothing",
    )
    .bind(user_id)
    .bind(provider)
    .bind(&profile.subject)
    .bind(&profile.email)
    .bind(profile.email_verified)
    .execute(db)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Links a provider to a signed-in account; false when that identity is someone else's.
async fn link(state: &AppState, user_id: Uuid, provider: &str, profile: &Profile) -> Result<bool, AppError> {
    if insert_identity(&state.db, user_id, provider, profile).await? {
        return Ok(true);
    }
    let owner: Option<Uuid> = sqlx::query_scalar("select user_id from user_identities where provider = $1 and provider_subject = $2")
        .bind(provider)
        .bind(&profile.subject)
        .fetch_optional(&state.db)
        .await?;
    Ok(owner == Some(user_id))
}
