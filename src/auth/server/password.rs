use crate::error::AppError;
use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};

/// Staff passwords guard the whole store: at least this long.
pub const STAFF_MIN_PASSWORD_LEN: usize = 12;

/// The stricter rule for an admin's or editor's new password (beside `NewPassword`'s):
/// at least 12 characters, and not guessable by zxcvbn's estimate (score 3 of 4 or more),
/// which knows common and breached passwords, names, dates, keyboard walks and repeats.
/// `inputs` are the account's email and name: none of their words may be in it, and a
/// guess would try them first.
pub fn staff_rule(password: &str, inputs: &[&str]) -> Result<(), String> {
    if password.chars().count() < STAFF_MIN_PASSWORD_LEN {
        return Err(format!("Staff passwords need at least {STAFF_MIN_PASSWORD_LEN} characters."));
    }
    // Each word of the email and name on its own, so "maria" and "lopez" count as known.
    let words: Vec<String> = inputs
        .iter()
        .flat_map(|input| input.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.len() >= 3)
        .map(str::to_lowercase)
        .collect();
    let lower = password.to_lowercase();
    if words.iter().any(|w| w.len() >= 4 && lower.contains(w.as_str())) {
        return Err("Don't use your name or email address in your password.".into());
    }
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let estimate = zxcvbn::zxcvbn(password, &words);
    if (estimate.score() as u8) < 3 {
        let hint = estimate.feedback().and_then(|f| f.warning()).map(|w| format!(" ({w})")).unwrap_or_default();
        return Err(format!("This password is too easy to guess{hint}. Try four or five unrelated words."));
    }
    Ok(())
}

/// Argon2id with the crate's recommended parameters, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!("hashing password: {e}")))
}

/// Constant-time comparison inside argon2; a malformed stored hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
        .unwrap_or(false)
}

/// Hash of a password nobody has, verified when the account doesn't exist so that a
/// wrong email takes as long as a wrong password (no user enumeration by timing).
pub fn verify_against_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password("dummy-password-for-timing").unwrap_or_default());
    let _ = verify_password(password, hash);
}

/// Hashing is CPU-heavy: run it off the async executor.
pub async fn hash_blocking(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(AppError::internal)?
}

pub async fn verify_blocking(password: String, stored: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || match stored {
        Some(hash) => verify_password(&password, &hash),
        None => {
            verify_against_dummy(&password);
            false
        }
    })
    .await
    .map_err(AppError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "salted");
        assert!(verify_password("correct horse battery", &a));
        assert!(!verify_password("wrong horse battery", &a));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn staff_passwords_are_long_and_hard_to_guess() {
        assert!(staff_rule("short-pass1", &[]).is_err(), "11 characters");
        for common in ["password1234", "qwertyuiop123", "iloveyou2026", "aaaaaaaaaaaaaa", "123456789012"] {
            assert!(staff_rule(common, &["larkspur", "admin"]).is_err(), "{common} was accepted");
        }
        for own in ["maria.lopez1985", "MariaLopez2026", "larkspur-admin"] {
            assert!(staff_rule(own, &["maria.lopez@larkspur.local", "Maria Lopez"]).is_err(), "{own}: the account's own words");
        }
        assert!(staff_rule("copper kettle orbit meadow", &[]).is_ok());
        assert!(staff_rule("Tq8#vLz2!pWm9", &[]).is_ok());
    }
}
