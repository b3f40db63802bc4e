//! Validated values for identity: constructing one is the validation.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    /// Trimmed and lower-cased so that one address means one account.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err("Enter your email address.");
        }
        if value.len() > 254 || !email_address::EmailAddress::is_valid(&value) || !value.split('@').nth(1).is_some_and(|d| d.contains('.')) {
            return Err("Enter a valid email address, like name@example.com.");
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A mobile number in E.164 form (`+` and 7–15 digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.')).collect();
        if compact.is_empty() {
            return Err("Enter your mobile number.");
        }
        let digits = compact.strip_prefix('+').ok_or("Include the country code, starting with +.")?;
        let valid = (7..=15).contains(&digits.len())
            && digits.chars().all(|c| c.is_ascii_digit())
            && !digits.starts_with('0');
        if !valid {
            return Err("Enter a valid mobile number with its country code, like +1 555 010 0100.");
        }
        Ok(Self(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `+1•••••0100`: enough to recognise, not enough to harvest.
    pub fn masked(&self) -> String {
        let tail: String = self.0.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        format!("{}•••••{tail}", &self.0[..2])
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub const MIN_PASSWORD_LEN: usize = 10;
const COMMON_PASSWORDS: &[&str] = &[
    "password", "password1", "password12", "password123", "1234567890", "12345678910", "qwertyuiop",
    "iloveyou12", "letmein123", "welcome123", "abc1234567", "passw0rd12", "administrator", "qwerty1234",
    "1q2w3e4r5t", "football12", "baseball12", "sunshine12", "princess12", "dragon1234",
];

/// A new password that meets the store's rule: long enough, not common, not the email.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str, email: Option<&str>) -> Result<Self, String> {
        let chars = raw.chars().count();
        if chars < MIN_PASSWORD_LEN {
            return Err(format!("Use at least {MIN_PASSWORD_LEN} characters."));
        }
        if chars > 128 {
            return Err("Use at most 128 characters.".into());
        }
        let lower = raw.to_lowercase();
        if COMMON_PASSWORDS.contains(&lower.as_str()) || lower.chars().all(|c| c == lower.chars().next().unwrap_or(' ')) {
            return Err("This password is too easy to guess. Try a short phrase.".into());
        }
        if let Some(local) = email.and_then(|e| e.split('@').next()).filter(|l| l.len() >= 4) {
            if lower.contains(&local.to_lowercase()) {
                return Err("Don't include your email address in your password.".into());
            }
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword([redacted])")
    }
}

/// A six-digit one-time code as typed (spaces allowed).
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeCode(String);

impl OneTimeCode {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit()) {
            Ok(Self(digits))
        } else {
            Err("Enter the 6-digit code we sent you.")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeCode([redacted])")
    }
}

/// Where a one-time code goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }
}

/// Ways to sign in; also the `method` of a login event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Password,
    EmailCode,
    PhoneCode,
    MagicLink,
    Google,
    Facebook,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::EmailCode => "email_code",
            Self::PhoneCode => "phone_code",
            Self::MagicLink => "magic_link",
            Self::Google => "google",
            Self::Facebook => "facebook",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
        for bad in ["", "ada", "ada@", "@example.com", "ada@example", "a b@example.com"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn phones_must_be_e164() {
        assert_eq!(Phone::parse("+1 (555) 010-0100").unwrap().as_str(), "+15550100100");
        assert_eq!(Phone::parse("+447700900123").unwrap().masked(), "+4•••••0123");
        for bad in ["", "5550100", "+0123456789", "+12", "+1555abc0100", "+1234567890123456"] {
            assert!(Phone::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn passwords_follow_the_rule() {
        assert!(NewPassword::parse("correct horse", None).is_ok());
        assert!(NewPassword::parse("short", None).unwrap_err().contains("at least 10"));
        assert!(NewPassword::parse("Password123", None).unwrap_err().contains("easy to guess"));
        assert!(NewPassword::parse("aaaaaaaaaaaa", None).is_err());
        assert!(NewPassword::parse("ada.lovelace-rocks", Some("ada.lovelace@example.com")).is_err());
        assert!(!format!("{:?}", NewPassword::parse("correct horse", None).unwrap()).contains("horse"));
    }

    #[test]
    fn codes_are_six_digits() {
        assert_eq!(OneTimeCode::parse(" 123 456 ").unwrap().as_str(), "123456");
        for bad in ["12345", "1234567", "12a456", ""] {
            assert!(OneTimeCode::parse(bad).is_err());
        }
    }
}
