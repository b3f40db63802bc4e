//! Sign-in, sign-up, password reset, magic-link landing and the account page.

mod account;
mod sign_in;

pub use account::AccountPage;
pub use sign_in::{MagicLinkPage, ResetPasswordPage, SignInPage, SignUpPage};

/// Messages for `?error=` codes set by the OAuth callback.
pub(crate) fn oauth_error_message(code: &str) -> Option<&'static str> {
    match code {
        "oauth_cancelled" => Some("Sign-in was cancelled. Choose another way to sign in, or try again."),
        "oauth_state" | "oauth_failed" => Some("We couldn't complete that sign-in. Please try again."),
        "oauth_unverified_email" => Some("An account already uses that email address. Sign in with your password or a code, then connect the provider from your account page."),
        "oauth_taken" => Some("That provider account is already connected to a different Larkspur account."),
        "locked" => Some("Too many unsuccessful attempts from this device. Please wait a few minutes and try again."),
        _ => None,
    }
}
