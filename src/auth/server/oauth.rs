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
    let caller = Caller::new(state.clone(), AppSession::new(session), &parts).await?;
    caller.ensure_unlocked().await?;
    let pending: Option<Pending> = caller.session.take(PENDING_KEY).await?;
    if query.error.is_some() {
        return Ok(to_sign_in("oauth_cancelled"));
    }
    let (Some(pending), Some(code), Some(returned_state)) = (pending, query.code, query.state) else {
        let err = caller.failed(None, method, "oauth_missing_state", AppError::Rejected("oauth".into())).await;
        return Ok(to_sign_in(if matches!(err, AppError::DeviceLocked { .. }) { "locked" } else { "oauth_state" }));
    };
    if pending.provider != name || pending.state != returned_state {
        let err = caller.failed(None, method, "oauth_state_mismatch", AppError::Rejected("oauth".into())).await;
        return Ok(to_sign_in(if matches!(err, AppError::DeviceLocked { .. }) { "locked" } else { "oauth_state" }));
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
            let _ = caller.failed(None, method, "oauth_exchange_failed", AppError::Rejected("oauth".into())).await;
            return Ok(to_sign_in("oauth_failed"));
        }
    };
    let profile = fetch_profile(&state, &name, config, token.access_token().secret()).await?;

    if let Some(user_id) = pending.link_to {
        return Ok(match link(&state, user_id, &name, &profile).await? {
            true => Redirect::to("/account?linked=1"),
            false => Redirect::to("/account?error=oauth_taken"),
        });
    }
    let (user, event) = match find_or_create(&state, &name, &profile, caller.now).await? {
        Some(found) => found,
        None => return Ok(to_sign_in("oauth_unverified_email")),
    };
    caller.complete(&user, method, event).await?;
    Ok(Redirect::to(&pending.next))
}

async fn fetch_profile(state: &AppState, name: &str, config: &OAuthProvider, access_token: &str) -> Result<Profile, AppError> {
    #[derive(Deserialize)]
    struct Claims {
        sub: Option<String>,
        id: Option<String>,
        email: Option<String>,
        email_verified: Option<bool>,
        name: Option<String>,
    }
    let claims: Claims = state
        .http
        .get(&config.userinfo_url)
        .bearer_auth(access_token)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(AppError::internal)?
        .json()
        .await
        .map_err(AppError::internal)?;
    let subject = claims.sub.or(claims.id).ok_or_else(|| AppError::internal(anyhow::anyhow!("{name} profile has no subject")))?;
    Ok(Profile {
        subject,
        email: claims.email.map(|e| e.trim().to_lowercase()),
        // Facebook does not report verification, so its emails never link accounts.
        email_verified: name == "google" && claims.email_verified.unwrap_or(false),
        name: claims.name.unwrap_or_default(),
    })
}

/// The account for this identity: already linked; or the account with the same email when
/// the provider verified that email (then linked); or a new account. `None` when the
/// email belongs to an account but the provider did not verify it.
pub async fn find_or_create(
    state: &AppState,
    provider: &str,
    profile: &Profile,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<(users::UserRow, &'static str)>, AppError> {
    let linked: Option<Uuid> = sqlx::query_scalar("select user_id from user_identities where provider = $1 and provider_subject = $2")
        .bind(provider)
        .bind(&profile.subject)
        .fetch_optional(&state.db)
        .await?;
    if let Some(user_id) = linked {
        return Ok(users::by_id(&state.db, user_id).await?.map(|u| (u, "sign_in")));
    }
    let existing = match &profile.email {
        Some(email) => users::by_email(&state.db, email).await?,
        None => None,
    };
    let mut tx = state.db.begin().await?;
    let (user, event) = match existing {
        Some(user) if profile.email_verified => (user, "sign_in"),
        Some(_) => return Ok(None),
        None => {
            let user = users::create(
                &mut *tx,
                users::NewUser {
                    email: profile.email.as_deref(),
                    email_verified: profile.email_verified,
                    phone: None,
                    phone_verified: false,
                    name: &profile.name,
                    password_hash: None,
                },
                now,
            )
            .await?;
            (user, "sign_up")
        }
    };
    insert_identity(&mut *tx, user.id, provider, profile).await?;
    tx.commit().await?;
    Ok(Some((user, event)))
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
