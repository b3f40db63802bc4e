//! Cookie consent. Before a choice only strictly necessary cookies exist. Allowing
//! "analytics and personalisation" registers the device and an anonymous shopper; declining
//! tracks nothing. The choice is kept in a small first-party cookie and recorded with the
//! policy version.

pub mod api;
pub mod components;
#[cfg(feature = "ssr")]
pub mod server;

use serde::{Deserialize, Serialize};

/// Bump when the cookie policy changes: everyone is asked again.
pub const POLICY_VERSION: &str = "2026-11";
pub const COOKIE_NAME: &str = "larkspur_consent";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentChoice {
    /// Device recognition, anonymous shopper profile, analytics events.
    pub analytics: bool,
    pub marketing: bool,
}

impl ConsentChoice {
    /// Cookie value: `<policy>:<analytics 0|1><marketing 0|1>`.
    pub fn to_cookie_value(self) -> String {
        format!("{POLICY_VERSION}:{}{}", self.analytics as u8, self.marketing as u8)
    }

    /// A choice made under an older policy counts as no choice.
    pub fn from_cookie_value(value: &str) -> Option<Self> {
        let (version, flags) = value.split_once(':')?;
        if version != POLICY_VERSION {
            return None;
        }
        match flags.as_bytes() {
            [a @ (b'0' | b'1'), m @ (b'0' | b'1')] => Some(Self { analytics: *a == b'1', marketing: *m == b'1' }),
            _ => None,
        }
    }

    pub fn decision(self) -> &'static str {
        match (self.analytics, self.marketing) {
            (true, true) => "accept_all",
            (false, false) => "reject_all",
            _ => "custom",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_round_trip_and_policy_version() {
        let choice = ConsentChoice { analytics: true, marketing: false };
        assert_eq!(ConsentChoice::from_cookie_value(&choice.to_cookie_value()), Some(choice));
        assert_eq!(ConsentChoice::from_cookie_value("2020-01:11"), None);
        assert_eq!(ConsentChoice::from_cookie_value("2026-11:1"), None);
        assert_eq!(ConsentChoice::from_cookie_value("garbage"), None);
        assert_eq!(choice.decision(), "custom");
    }
}
