//! Validated values for identity: constructing one is the validation.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

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

    /// `+1 555 ••• 0224`: the country code, the start and the end of the number, so its
    /// owner recognises it and nobody else can read it off the page.
    pub fn masked(&self) -> String {
        let digits = &self.0[1..];
        let country = &digits[..country_code_len(digits)];
        let national = &digits[country.len()..];
        // At least three digits stay hidden; the end shows before the start does.
        let tail = national.len().saturating_sub(3).min(4);
        let head = national.len().saturating_sub(3 + tail).min(3);
        let hidden = national.len() - head - tail;
        let mut parts = vec![format!("+{country}")];
        if head > 0 {
            parts.push(national[..head].to_owned());
        }
        parts.push("•".repeat(hidden));
        if tail > 0 {
            parts.push(national[national.len() - tail..].to_owned());
        }
        parts.join(" ")
    }
}

/// How many of an E.164 number's leading digits are its country calling code: one for the
/// +1 and +7 zones, two for the codes the ITU gave out in pairs, three for all others.
fn country_code_len(digits: &str) -> usize {
    const TWO_DIGIT: &[&str] = &[
        "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48", "49", "51", "52",
        "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66", "81", "82", "84", "86", "90", "91", "92",
        "93", "94", "95", "98",
    ];
    if digits.starts_with(['1', '7']) {
        1
    } else if TWO_DIGIT.iter().any(|code| digits.starts_with(code)) {
        2
    } else {
        3
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
    /// A staff member's second factor: a code from their authenticator app.
    Totp,
    /// A staff member's second factor: one of their single-use recovery codes.
    RecoveryCode,
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
            Self::Totp => "totp",
            Self::RecoveryCode => "recovery_code",
        }
    }
}

/// An authenticator app being set up: the QR code to scan (SVG markup the server drew)
/// and the same key to type, in groups of four.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorSetup {
    pub qr_svg: String,
    pub key: String,
}

/// A code or link went out: where to (masked) and when the next one may be asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeSent {
    /// Where the code went, masked for display.
    pub sent_to: String,
    pub resend_after_secs: u64,
}

impl CodeSent {
    pub fn message(&self) -> String {
        format!("We sent a 6-digit code to {}. It expires in 10 minutes.", self.sent_to)
    }

    pub fn link_message(&self) -> String {
        format!("Check {} for a sign-in link. It works once, for 15 minutes.", self.sent_to)
    }
}

/// One signed-in device as the account page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveSession {
    pub id: Uuid,
    pub device: String,
    pub os: String,
    pub browser: String,
    pub signed_in_at: DateTime<Utc>,
    pub last_active_at: DateTime<Utc>,
    pub current: bool,
}

/// One account in the staff customer list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRow {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: super::Role,
    pub is_active: bool,
    pub orders: i64,
    pub joined_at: DateTime<Utc>,
    pub last_active_at: Option<DateTime<Utc>>,
}

/// An account as the staff customer page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerProfile {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub phone: Option<String>,
    pub phone_verified: bool,
    pub role: super::Role,
    pub is_active: bool,
    pub joined_at: DateTime<Utc>,
    pub first_seen_at: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub last_active_at: Option<DateTime<Utc>>,
    pub total_logins: i32,
    pub devices_used: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerOrder {
    pub number: i64,
    pub placed_at: DateTime<Utc>,
    pub status: String,
    pub total_minor: i64,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerAddress {
    pub label: String,
    pub recipient_name: String,
    pub phone: String,
    /// The street lines, city, state, postal code and country, one per entry.
    pub lines: Vec<String>,
    pub is_default: bool,
}

/// A signed-in session of the customer, for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerSession {
    pub id: Uuid,
    pub device: String,
    pub os: String,
    pub browser: String,
    pub ip: Option<String>,
    pub signed_in_at: DateTime<Utc>,
    pub last_active_at: DateTime<Utc>,
}

/// A device the customer signed in on, or that tried their account and is locked now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerDevice {
    pub id: Uuid,
    pub device: String,
    pub os: String,
    pub browser: String,
    pub first_used_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    /// False for a device that only ever failed to sign in to this account.
    pub signed_in: bool,
    pub locked_until: Option<DateTime<Utc>>,
}

/// One entry of the customer's sign-in history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerLoginEvent {
    pub at: DateTime<Utc>,
    pub event: String,
    pub method: Option<String>,
    pub success: bool,
    pub reason: Option<String>,
    pub ip: Option<String>,
}

/// Everything the staff customer page shows. The lists hold the newest entries up to a cap;
/// the totals say how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerDetail {
    pub profile: CustomerProfile,
    pub orders: Vec<CustomerOrder>,
    pub orders_total: i64,
    pub addresses: Vec<CustomerAddress>,
    pub sessions: Vec<CustomerSession>,
    pub devices: Vec<CustomerDevice>,
    pub events: Vec<CustomerLoginEvent>,
    pub events_total: i64,
    /// The staff member is looking at their own account (no role or state changes).
    pub is_self: bool,
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
        for bad in ["", "5550100", "+0123456789", "+12", "+1555abc0100", "+1234567890123456"] {
            assert!(Phone::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn masked_numbers_keep_the_country_code_the_start_and_the_end() {
        let masked = |raw: &str| Phone::parse(raw).unwrap().masked();
        assert_eq!(masked("+1 555 010 0224"), "+1 555 ••• 0224");
        assert_eq!(masked("+447700900123"), "+44 770 ••• 0123");
        assert_eq!(masked("+4915123456789"), "+49 151 •••• 6789");
        assert_eq!(masked("+79161234567"), "+7 916 ••• 4567");
        assert_eq!(masked("+353851234567"), "+353 85 ••• 4567");
        // Short numbers hide at least three digits, showing the end before the start.
        assert_eq!(masked("+3531234567"), "+353 ••• 4567");
        assert_eq!(masked("+35312345"), "+353 ••• 45");
        assert_eq!(masked("+3531234"), "+353 ••• 4");
        for raw in ["+15550100224", "+447700900123", "+35312345", "+123456789012345"] {
            let shown = masked(raw);
            let digits_shown = shown.chars().filter(char::is_ascii_digit).count();
            assert!(raw.len() - 1 - digits_shown >= 3, "{shown} hides at least three digits of {raw}");
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
