//! Sending codes and links: by email through the mailer, by text through the SMS provider.

use super::{
    codes::{self, NewRequest, Purpose, RESEND_COOLDOWN},
    signin::{safe_next, Caller},
    users,
};
use crate::{
    auth::types::{Channel, CodeSent, Email, Phone},
    error::AppError,
    server::mail::{layout, Email as Message},
    text::{escape_html, url_encode},
};

/// Validates a destination for its channel (message beside the matching field).
pub fn parse_destination(channel: Channel, raw: &str) -> Result<String, AppError> {
    match channel {
        Channel::Email => Email::parse(raw).map(|e| e.as_str().to_owned()).map_err(|m| AppError::field("email", m)),
        Channel::Sms => Phone::parse(raw).map(|p| p.as_str().to_owned()).map_err(|m| AppError::field("phone", m)),
    }
}

fn masked(channel: Channel, destination: &str) -> String {
    match channel {
        Channel::Email => destination.to_owned(),
        Channel::Sms => Phone::parse(destination).map(|p| p.masked()).unwrap_or_default(),
    }
}

fn sent(channel: Channel, destination: &str) -> CodeSent {
    CodeSent { sent_to: masked(channel, destination), resend_after_secs: RESEND_COOLDOWN.num_seconds() as u64 }
}

pub async fn send_code(
    caller: &Caller,
    channel: Channel,
    destination: &str,
    purpose: Purpose,
    user_id: Option<uuid::Uuid>,
) -> Result<CodeSent, AppError> {
    caller.allow_send("code", destination).await?;
    let secret = caller.state.config.auth_secret.expose().to_owned();
    let binding = caller.code_binding().await?;
    let issued = codes::issue(
        &caller.state.db,
        &secret,
        caller.now,
        NewRequest { purpose, channel, destination, user_id, device_id: caller.data.device_id, with_link: false, binding: &binding },
    )
    .await?;
    let why = match purpose {
        Purpose::SignUp => "to create your Larkspur account",
        Purpose::VerifyEmail | Purpose::VerifyPhone => "to confirm this contact detail",
        Purpose::PasswordReset => "to reset your password",
        Purpose::SignIn => "to sign in to Larkspur",
        Purpose::DeleteAccount => "to delete your Larkspur account (this cannot be undone)",
        Purpose::SecondFactor => "to confirm it's you signing in to the Larkspur dashboard",
    };
    match channel {
        Channel::Email => {
            let body = format!(
                "<p>Use this code {why}:</p>{}<p>It expires in 10 minutes. If you didn't ask for it, you can ignore this email.</p>",
                code_html(&issued.code)
            );
            let text = format!("Use this code {why}: {}\n\nIt expires in 10 minutes.", issued.code);
            mail_code(caller, destination, format!("Your Larkspur code is {}", issued.code), text, layout("Your one-time code", &body)).await?;
        }
        Channel::Sms => {
            let text = format!("Your Larkspur code is {}. It expires in 10 minutes.", issued.code);
            caller.state.sms.send(destination, &text).await.map_err(AppError::internal)?;
        }
    }
    Ok(sent(channel, destination))
}

/// A staff member's emailed second factor: the code is kept under `attempt` (this browser's
/// sign-in or confirmation) and sent to `email`.
pub async fn send_second_factor_code(caller: &Caller, email: &str, attempt: &str, user_id: uuid::Uuid) -> Result<CodeSent, AppError> {
    caller.allow_send("code", attempt).await?;
    let secret = caller.state.config.auth_secret.expose().to_owned();
    let binding = caller.code_binding().await?;
    let request = NewRequest {
        purpose: Purpose::SecondFactor,
        channel: Channel::Email,
        destination: attempt,
        user_id: Some(user_id),
        device_id: caller.data.device_id,
        with_link: false,
        binding: &binding,
    };
    let issued = codes::issue(&caller.state.db, &secret, caller.now, request).await?;
    let place = caller.client.describe();
    let body = format!(
        "<p>Use this code to confirm it's you at the Larkspur dashboard ({}):</p>{}<p>It expires in 10 minutes. If this wasn't you, someone knows your password: change it now.</p>",
        escape_html(&place),
        code_html(&issued.code)
    );
    let text = format!("Use this code to confirm it's you at the Larkspur dashboard ({place}): {}\n\nIt expires in 10 minutes. If this wasn't you, change your password now.", issued.code);
    mail_code(caller, email, format!("Your Larkspur dashboard code is {}", issued.code), text, layout("Confirm it's you", &body)).await?;
    Ok(sent(Channel::Email, email))
}

/// Sends one code's email.
async fn mail_code(caller: &Caller, to: &str, subject: String, text: String, html: String) -> Result<(), AppError> {
    caller.state.mailer.send(Message { to: to.to_owned(), subject, text, html }).await.map_err(AppError::internal)
}

/// A code plus a link token for an email address.
async fn issue_link(caller: &Caller, purpose: Purpose, email: &Email, user_id: Option<uuid::Uuid>) -> Result<codes::Issued, AppError> {
    let request = NewRequest {
        purpose,
        channel: Channel::Email,
        destination: email.as_str(),
        user_id,
        device_id: caller.data.device_id,
        with_link: true,
        binding: &caller.code_binding().await?,
    };
    codes::issue(&caller.state.db, caller.state.config.auth_secret.expose(), caller.now, request).await
}

/// The big, spaced-out code in an email.
fn code_html(code: &str) -> String {
    format!("<p style=\"font-size:32px;font-weight:700;letter-spacing:6px\">{code}</p>")
}

pub async fn send_magic_link(caller: &Caller, email: &Email, next: &str) -> Result<CodeSent, AppError> {
    caller.allow_send("link", email.as_str()).await?;
    let state = &caller.state;
    let user = users::by_verified_email(&state.db, email.as_str()).await?;
    let message = if user.is_some() {
        let issued = issue_link(caller, Purpose::SignIn, email, user.as_ref().map(|u| u.id)).await?;
        let link = format!(
            "{}/auth/magic?token={}&next={}",
            state.config.site_url,
            issued.token.unwrap_or_default(),
            url_encode(&safe_next(next))
        );
        Message {
            to: email.to_string(),
            subject: "Your Larkspur sign-in link".into(),
            text: format!("Open this link to sign in (it works once, for 15 minutes):\n{link}"),
            html: layout(
                "Sign in to Larkspur",
                &format!(
                    "<p>Click the button to sign in. The link works once and expires in 15 minutes.</p>\
                     <p><a href=\"{0}\" style=\"display:inline-block;background:#065f46;color:#fff;padding:12px 20px;border-radius:999px;text-decoration:none\">Sign in</a></p>\
                     <p style=\"font-size:12px;color:#78716c\">Or paste this address into your browser: {0}</p>",
                    escape_html(&link)
                ),
            ),
        }
    } else {
        no_account_message(state, email, "a sign-in link")
    };
    state.mailer.send(message).await.map_err(AppError::internal)?;
    Ok(sent(Channel::Email, email.as_str()))
}

pub async fn send_password_reset(caller: &Caller, email: &Email) -> Result<CodeSent, AppError> {
    caller.allow_send("reset", email.as_str()).await?;
    let state = &caller.state;
    let user = users::by_verified_email(&state.db, email.as_str()).await?;
    let message = match user {
        Some(user) => {
            let issued = issue_link(caller, Purpose::PasswordReset, email, Some(user.id)).await?;
            let link = format!("{}/reset-password?token={}", state.config.site_url, issued.token.unwrap_or_default());
            Message {
                to: email.to_string(),
                subject: "Reset your Larkspur password".into(),
                text: format!("Your reset code is {}. Or open this link: {link}\nBoth expire in 15 minutes.", issued.code),
                html: layout(
                    "Reset your password",
                    &format!(
                        "<p>Enter this code on the reset page:</p>{}\
                         <p>Or <a href=\"{}\">choose a new password with this link</a>. Both expire in 15 minutes.</p>",
                        code_html(&issued.code),
                        escape_html(&link)
                    ),
                ),
            }
        }
        None => no_account_message(state, email, "a password reset"),
    };
    state.mailer.send(message).await.map_err(AppError::internal)?;
    Ok(sent(Channel::Email, email.as_str()))
}

/// Sent instead of a link or reset when no account uses the address: the page looks the
/// same either way, so it reveals nothing about who has an account.
fn no_account_message(state: &crate::server::state::AppState, email: &Email, what: &str) -> Message {
    let sign_up = format!("{}/sign-up", state.config.site_url);
    Message {
        to: email.to_string(),
        subject: "About your Larkspur request".into(),
        text: format!("Someone asked for {what} for this address, but no Larkspur account uses it. Create one at {sign_up}"),
        html: layout(
            "No account with this address",
            &format!(
                "<p>Someone asked for {what} for this address, but no Larkspur account uses it.</p>\
                 <p><a href=\"{}\">Create an account</a>, or ignore this email if it wasn't you.</p>",
                escape_html(&sign_up)
            ),
        ),
    }
}
