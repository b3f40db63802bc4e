//! Home-page banners as staff write them: the rules for a banner's fields
//! (`BannerInput::parse`), the one rule for where a button may lead ([`parse_link`]), a
//! banner's state at a moment (live, scheduled, ended, inactive) and its figures
//! (impressions, clicks, click-through). Pure, so the dashboard, the home page and the
//! button's redirect share them; the queries and staff changes live in `server`.

use crate::{
    coupons::{datetime_input, parse_datetime},
    error::{AppError, FieldErrors},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "ssr")]
pub mod server;

/// Longest texts staff may write (the schema holds the title's bound too).
pub const TITLE_MAX: usize = 120;
pub const SUBTITLE_MAX: usize = 240;
pub const BUTTON_TEXT_MAX: usize = 40;
pub const LINK_MAX: usize = 500;
/// Alt text: the product images' rule (a sentence, not an essay).
pub const ALT_MAX: usize = crate::catalog::images::MAX_ALT;
/// Banners the home page shows at most: the first as its hero, the rest below it.
pub const HOME_BANNERS: i64 = 4;

const LINK_MESSAGE: &str = "Enter a path on this site, like /c/hoodies, or an address that starts with https://.";

/// Where a banner's button may lead: a path on this site (`/c/hoodies`, never `//host` or
/// `/\host`, which browsers read as another site) or an `https://` address with a host (no
/// user name or password in it). Anything else — `javascript:`, `data:`, plain `http:`,
/// `mailto:`, a bare word — is refused, as are spaces, control characters and backslashes
/// anywhere. Returns the link trimmed.
pub fn parse_link(raw: &str) -> Result<String, &'static str> {
    let link = raw.trim();
    if link.is_empty() {
        return Err("Enter the link the button leads to.");
    }
    if link.chars().count() > LINK_MAX {
        return Err("Keep the link to 500 characters.");
    }
    if link.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\') {
        return Err(LINK_MESSAGE);
    }
    if let Some(path) = link.strip_prefix('/') {
        return if path.starts_with('/') { Err(LINK_MESSAGE) } else { Ok(link.to_owned()) };
    }
    let scheme = link.get(..8).filter(|s| s.eq_ignore_ascii_case("https://")).ok_or(LINK_MESSAGE)?;
    let rest = &link[scheme.len()..];
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let label_ok = |l: &str| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-') && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let host_ok = host.contains('.') && host.len() <= 253 && host.split('.').all(label_ok);
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()));
    if host_ok && port_ok {
        Ok(link.to_owned())
    } else {
        Err(LINK_MESSAGE)
    }
}

/// A banner's form as staff typed it. Times are `datetime-local` values read as UTC (the
/// store keeps no time zone of its own), as coupons' are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BannerInput {
    pub title: String,
    pub subtitle: String,
    pub image_alt: String,
    pub button_text: String,
    pub button_link: String,
    pub starts_at: String,
    pub ends_at: String,
    pub is_active: bool,
}

/// A banner that passed every rule, ready to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BannerFields {
    pub title: String,
    pub subtitle: String,
    pub image_alt: String,
    /// Both empty (no button) or both set.
    pub button_text: String,
    pub button_link: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub is_active: bool,
}

impl BannerInput {
    /// Every rule at once, each message beside its field.
    pub fn parse(&self) -> Result<BannerFields, AppError> {
        let mut errors = FieldErrors::new();
        let title = errors.text("title", &self.title, TITLE_MAX, Some("Enter the banner's title (its headline)."));
        let subtitle = errors.text("subtitle", &self.subtitle, SUBTITLE_MAX, None);
        let image_alt = errors.text(
            "image_alt",
            &self.image_alt,
            ALT_MAX,
            Some("Describe the image for shoppers who cannot see it, e.g. “Two people in fleece jackets on a hill”."),
        );
        for (field, value) in [("title", &title), ("subtitle", &subtitle), ("image_alt", &image_alt)] {
            if value.chars().any(char::is_control) {
                errors.add(field, "Write it on one line, in plain text.");
            }
        }
        let button_text = errors.text("button_text", &self.button_text, BUTTON_TEXT_MAX, None);
        let typed_link = self.button_link.trim();
        let button_link = match (button_text.is_empty(), typed_link.is_empty()) {
            (true, true) => String::new(),
            (false, true) => {
                errors.add("button_link", "Enter the link the button leads to, or clear the button's text.");
                String::new()
            }
            (text_empty, false) => {
                if text_empty {
                    errors.add("button_text", "Enter the button's text, or clear its link.");
                }
                parse_link(typed_link).unwrap_or_else(|message| {
                    errors.add("button_link", message);
                    String::new()
                })
            }
        };
        let starts_at = parse_datetime(&self.starts_at).unwrap_or_else(|message| {
            errors.add("starts_at", message);
            None
        });
        let ends_at = parse_datetime(&self.ends_at).unwrap_or_else(|message| {
            errors.add("ends_at", message);
            None
        });
        if let (Some(start), Some(end)) = (starts_at, ends_at) {
            if end <= start {
                errors.add("ends_at", "Choose an end after the start.");
            }
        }
        errors.into_result()?;
        Ok(BannerFields { title, subtitle, image_alt, button_text, button_link, starts_at, ends_at, is_active: self.is_active })
    }

    /// The form showing stored fields.
    pub fn of(fields: &BannerFields) -> Self {
        Self {
            title: fields.title.clone(),
            subtitle: fields.subtitle.clone(),
            image_alt: fields.image_alt.clone(),
            button_text: fields.button_text.clone(),
            button_link: fields.button_link.clone(),
            starts_at: fields.starts_at.map(datetime_input).unwrap_or_default(),
            ends_at: fields.ends_at.map(datetime_input).unwrap_or_default(),
            is_active: fields.is_active,
        }
    }
}

/// Where a banner stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BannerState {
    /// Active and inside its window: the home page shows it.
    Live,
    /// Active, its start still to come.
    Scheduled,
    /// Active, its end passed.
    Ended,
    /// Switched off by staff.
    Inactive,
}

impl BannerState {
    pub fn at(is_active: bool, starts_at: Option<DateTime<Utc>>, ends_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        if !is_active {
            Self::Inactive
        } else if starts_at.is_some_and(|s| now < s) {
            Self::Scheduled
        } else if ends_at.is_some_and(|e| now >= e) {
            Self::Ended
        } else {
            Self::Live
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Live => "Live",
            Self::Scheduled => "Scheduled",
            Self::Ended => "Ended",
            Self::Inactive => "Inactive",
        }
    }
}

/// A banner as the dashboard shows it, with its figures and place in the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffBanner {
    pub id: Uuid,
    pub fields: BannerFields,
    pub image_url: String,
    pub image_widths: Vec<i32>,
    /// Home-page views by visitors who allowed analytics, all days together.
    pub impressions: i64,
    pub clicks: i64,
    /// First and last in the home page's order (no arrow that way).
    pub first: bool,
    pub last: bool,
}

impl StaffBanner {
    pub fn state(&self, now: DateTime<Utc>) -> BannerState {
        BannerState::at(self.fields.is_active, self.fields.starts_at, self.fields.ends_at, now)
    }
}

/// Clicks per hundred impressions with one decimal (`12.5%`), rounded half up; `None`
/// before any impression.
pub fn click_through(clicks: i64, impressions: i64) -> Option<String> {
    if impressions <= 0 {
        return None;
    }
    let tenths = (i128::from(clicks.max(0)) * 1000 + i128::from(impressions) / 2) / i128::from(impressions);
    Some(format!("{}.{}%", tenths / 10, tenths % 10))
}

/// The editor: the banner (none for a new one) and the time states are worked out at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BannerEditor {
    pub banner: Option<StaffBanner>,
    pub now: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn links_are_site_paths_or_https_addresses() {
        for good in ["/", "/c/hoodies", "/collections/winter-edit?colour=sage#top", "https://example.com", "https://shop.example.co.uk/sale?x=1", "HTTPS://Example.com/a", "https://example.com:8443/x"] {
            assert_eq!(parse_link(good).as_deref(), Ok(good), "{good}");
        }
        assert_eq!(parse_link("  /c/audio ").as_deref(), Ok("/c/audio"), "trimmed");
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(document.cookie)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "javascript://example.com/%0aalert(1)",
            "jav&#x09;ascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "http://example.com",
            "mailto:shop@example.com",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https:evil.example",
            "https:/evil.example",
            "https://",
            "https:///path",
            "https://user:pass@evil.example",
            "https://evil.example@good.example",
            "https://localhost/",
            "https://exa mple.com",
            "https://example.com/a b",
            "https://-bad-.example",
            "https://example.com:port",
            "c/hoodies",
            "example.com",
            "/c/hoodies\u{0}",
        ] {
            assert!(parse_link(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(parse_link(&format!("/{}", "a".repeat(LINK_MAX))).is_err(), "too long");
    }

    fn good() -> BannerInput {
        BannerInput {
            title: "Winter edit".into(),
            subtitle: "Layers for cold mornings.".into(),
            image_alt: "Two hikers in fleece jackets".into(),
            button_text: "Shop now".into(),
            button_link: "/collections/winter-edit".into(),
            starts_at: "2026-12-01T09:00".into(),
            ends_at: "2026-12-31 23:59".into(),
            is_active: true,
        }
    }

    #[test]
    fn a_good_banner_parses_and_round_trips_through_the_form() {
        let fields = good().parse().unwrap();
        assert_eq!(fields.starts_at, Some(Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()));
        assert_eq!(BannerInput::of(&fields).parse().unwrap(), fields);
        let plain = BannerInput { button_text: String::new(), button_link: String::new(), starts_at: String::new(), ends_at: String::new(), ..good() };
        assert_eq!(plain.parse().unwrap().button_link, "");
    }

    #[test]
    fn every_message_shows_beside_its_field() {
        let bad = BannerInput {
            title: " ".into(),
            image_alt: String::new(),
            button_text: String::new(),
            button_link: "javascript:alert(1)".into(),
            starts_at: "tomorrow".into(),
            ends_at: "2026-01-01".into(),
            ..good()
        };
        let Err(AppError::Validation(errors)) = bad.parse() else { panic!("refused") };
        for field in ["title", "image_alt", "button_text", "button_link", "starts_at"] {
            assert!(errors.get(field).is_some(), "{field}: {errors:?}");
        }
        let backwards = BannerInput { starts_at: "2026-12-02T00:00".into(), ends_at: "2026-12-01T00:00".into(), ..good() };
        let Err(AppError::Validation(errors)) = backwards.parse() else { panic!("refused") };
        assert_eq!(errors.get("ends_at"), Some("Choose an end after the start."));
        let no_link = BannerInput { button_link: String::new(), ..good() };
        assert!(matches!(no_link.parse(), Err(AppError::Validation(e)) if e.get("button_link").is_some()));
    }

    #[test]
    fn state_follows_the_window_and_the_switch() {
        let at = |h| Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0).unwrap();
        assert_eq!(BannerState::at(true, Some(at(9)), Some(at(17)), at(8)), BannerState::Scheduled);
        assert_eq!(BannerState::at(true, Some(at(9)), Some(at(17)), at(9)), BannerState::Live);
        assert_eq!(BannerState::at(true, Some(at(9)), Some(at(17)), at(17)), BannerState::Ended);
        assert_eq!(BannerState::at(false, None, None, at(12)), BannerState::Inactive);
        assert_eq!(BannerState::at(true, None, None, at(12)), BannerState::Live);
    }

    #[test]
    fn click_through_is_clicks_per_hundred_views() {
        assert_eq!(click_through(0, 0), None);
        assert_eq!(click_through(1, 8), Some("12.5%".into()));
        assert_eq!(click_through(1, 3), Some("33.3%".into()));
        assert_eq!(click_through(2, 3), Some("66.7%".into()));
        assert_eq!(click_through(0, 5), Some("0.0%".into()));
    }
}
