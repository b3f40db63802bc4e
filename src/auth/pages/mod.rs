//! Sign-in, sign-up, password reset, magic-link landing and the account page.

mod account;
mod second_factor;
mod sign_in;

pub use account::AccountPage;
pub use second_factor::SecondFactorPage;
pub use sign_in::{MagicLinkPage, ResetPasswordPage, SignInPage, SignUpPage};

/// Messages for `?error=` codes set by the OAuth callback.
pub(crate) fn oauth_error_message(code: &str) -> Option<&'static str> {
    match code {
        "oauth_cancelled" => Some("Sign-in was cancelled. Choose another way to sign in, or try again."),
        "oauth_state" | "oauth_failed" => Some("We couldn't complete that sign-in. Please try again."),
        "oauth_taken" => Some("That provider account is already connected to a different Larkspur account."),
        "rate_limited" => Some("Too many sign-in attempts. Please wait a few minutes and try again."),
        "account_disabled" => Some("This account has been deactivated. Contact us if you think this is a mistake."),
        "unavailable" => Some("Signing in is temporarily unavailable. Please try again in a moment."),
        "locked" => Some("Too many unsuccessful attempts from this device. Please wait a few minutes and try again."),
        _ => None,
    }
}
