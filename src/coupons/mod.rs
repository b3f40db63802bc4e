//! Coupon codes: their terms and the rules deciding the discount a code gives, or why it
//! does not apply; and the rules for a code as staff write it (`CouponInput::parse`). Pure,
//! so checkout's quote and placing an order use one rule; the queries live in `server`, the
//! staff changes in `manage`.

use crate::{
    error::{AppError, FieldErrors},
    money::{amount_input, parse_amount, Money},
};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "ssr")]
pub mod manage;
#[cfg(feature = "ssr")]
pub mod server;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CouponKind {
    /// `value` is a whole percentage, 1–100.
    Percent,
    /// `value` is an amount in minor units.
    Fixed,
}

impl CouponKind {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "percent" => Some(Self::Percent),
            "fixed" => Some(Self::Fixed),
            _ => None,
        }
    }

    /// The value stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Percent => "percent",
            Self::Fixed => "fixed",
        }
    }

    /// What a code of this kind takes off: `15% off`, `$5.00 off`.
    pub fn describe(self, value: i64, currency: &str) -> String {
        match self {
            Self::Percent => format!("{value}% off"),
            Self::Fixed => format!("{} off", Money::new(value, currency)),
        }
    }
}

/// A coupon's terms and how often it has been used, as read (locked) from the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponTerms {
    pub kind: CouponKind,
    pub value: i64,
    /// The currency of `value` (fixed amounts) and `min_order_minor`.
    pub currency: String,
    pub min_order_minor: i64,
    pub starts_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub usage_limit: Option<i32>,
    pub per_user_limit: Option<i32>,
    pub times_used: i32,
    pub is_active: bool,
}

/// Why a coupon does not apply; each has its own message for the shopper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CouponRefusal {
    /// No such code, or switched off by staff.
    Unknown,
    NotStarted,
    Expired,
    UsedUp,
    AlreadyUsed,
    BelowMinimum { minimum_minor: i64 },
    /// The code's amounts are in another currency than the cart's prices.
    OtherCurrency,
}

impl CouponRefusal {
    pub fn message(self, currency: &str) -> String {
        match self {
            Self::Unknown => "We don't recognise that code. Check it and try again.".into(),
            Self::NotStarted => "That code isn't active yet.".into(),
            Self::Expired => "That code has expired.".into(),
            Self::UsedUp => "That code has been used up.".into(),
            Self::AlreadyUsed => "You've already used that code.".into(),
            Self::OtherCurrency => format!("That code can't be used for prices in {currency}."),
            Self::BelowMinimum { minimum_minor } => {
                format!("That code needs an order of at least {}.", crate::money::Money::new(minimum_minor, currency))
            }
        }
    }
}

impl CouponTerms {
    /// The discount on `subtotal_minor` (priced in `currency`), or why the coupon does not
    /// apply to this shopper (`uses_by_shopper`: their earlier orders with it) at `now`.
    pub fn discount(&self, now: DateTime<Utc>, subtotal_minor: i64, currency: &str, uses_by_shopper: i64) -> Result<i64, CouponRefusal> {
        if !self.is_active {
            return Err(CouponRefusal::Unknown);
        }
        // Amounts are not converted: a code is for the currency it was written in.
        if !self.currency.eq_ignore_ascii_case(currency) {
            return Err(CouponRefusal::OtherCurrency);
        }
        if self.starts_at.is_some_and(|start| now < start) {
            return Err(CouponRefusal::NotStarted);
        }
        if self.expires_at.is_some_and(|end| now >= end) {
            return Err(CouponRefusal::Expired);
        }
        if self.usage_limit.is_some_and(|limit| self.times_used >= limit) {
            return Err(CouponRefusal::UsedUp);
        }
        if self.per_user_limit.is_some_and(|limit| uses_by_shopper >= i64::from(limit)) {
            return Err(CouponRefusal::AlreadyUsed);
        }
        if subtotal_minor < self.min_order_minor {
            return Err(CouponRefusal::BelowMinimum { minimum_minor: self.min_order_minor });
        }
        Ok(match self.kind {
            // Half a cent and up rounds in the shopper's favour.
            CouponKind::Percent => {
                let percent = self.value.clamp(0, 100) as i128;
                ((subtotal_minor as i128 * percent + 50) / 100) as i64
            }
            CouponKind::Fixed => self.value.min(subtotal_minor),
        }
        .clamp(0, subtotal_minor))
    }
}

/// Longest code and description staff may write (the schema holds the same bounds).
pub const CODE_MAX: usize = 40;
pub const DESCRIPTION_MAX: usize = 200;
/// The largest usage limit accepted, far above any real campaign.
pub const LIMIT_MAX: i64 = 1_000_000;

/// A coupon's form as staff typed it. Times are `datetime-local` values read as UTC (the
/// store keeps no time zone of its own); amounts are money as typed, like `5.00`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponInput {
    pub code: String,
    pub description: String,
    /// `percent` or `fixed`.
    pub kind: String,
    pub value: String,
    pub min_order: String,
    pub starts_at: String,
    pub expires_at: String,
    pub usage_limit: String,
    pub per_user_limit: String,
    pub is_active: bool,
}

/// A coupon that passed every rule checkout relies on, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponFields {
    pub code: String,
    pub description: String,
    pub kind: CouponKind,
    /// A whole percentage (1–100) or an amount in minor units.
    pub value: i64,
    pub min_order_minor: i64,
    pub starts_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub usage_limit: Option<i32>,
    pub per_user_limit: Option<i32>,
    pub is_active: bool,
}

/// `2026-12-24T09:00` (what a `datetime-local` input posts, seconds optional, a space also
/// taken) or a bare date (its midnight), as UTC; `Ok(None)` when empty.
pub fn parse_datetime(input: &str) -> Result<Option<DateTime<Utc>>, String> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    let normalised = input.replacen(' ', "T", 1);
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(&normalised, format).ok())
        .or_else(|| NaiveDate::parse_from_str(input, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)))
        .map(|naive| Some(naive.and_utc()))
        .ok_or_else(|| "Enter a date and time like 2026-12-24 09:00.".to_owned())
}

/// A time as a `datetime-local` input shows it (UTC, to the minute).
pub fn datetime_input(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M").to_string()
}

/// An optional usage limit: empty is no limit, otherwise a whole number from 1.
fn parse_limit(input: &str) -> Result<Option<i32>, String> {
    let input = input.trim().replace(',', "");
    if input.is_empty() {
        return Ok(None);
    }
    match input.parse::<i64>() {
        Ok(n) if (1..=LIMIT_MAX).contains(&n) => Ok(Some(n as i32)),
        Ok(n) if n > LIMIT_MAX => Err("Enter at most 1,000,000, or leave it empty for no limit.".into()),
        _ => Err("Enter a whole number of 1 or more, or leave it empty for no limit.".into()),
    }
}

impl CouponInput {
    /// Every rule at once, each message beside its field.
    pub fn parse(&self) -> Result<CouponFields, AppError> {
        let mut errors = FieldErrors::new();
        let code = errors.text("code", &self.code, CODE_MAX, Some("Enter the code shoppers type at checkout."));
        if !code.is_empty() && code.chars().count() < 3 {
            errors.add("code", "Use at least 3 characters.");
        } else if !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            errors.add("code", "Use letters, digits, - and _ only (no spaces).");
        }
        let description = errors.text("description", &self.description, DESCRIPTION_MAX, None);
        let kind = CouponKind::parse(self.kind.trim());
        let value = match kind {
            None => {
                errors.add("kind", "Choose a percentage or a fixed amount.");
                0
            }
            Some(CouponKind::Percent) => match self.value.trim().trim_end_matches('%').trim().parse::<i64>() {
                Ok(percent) if (1..=100).contains(&percent) => percent,
                _ => {
                    errors.add("value", "Enter a whole percentage from 1 to 100.");
                    0
                }
            },
            Some(CouponKind::Fixed) => match parse_amount(&self.value) {
                Ok(0) => {
                    errors.add("value", "Enter an amount above 0.00.");
                    0
                }
                Ok(minor) => minor,
                Err(message) => {
                    errors.add("value", message);
                    0
                }
            },
        };
        let min_order_minor = match self.min_order.trim() {
            "" => 0,
            typed => parse_amount(typed).unwrap_or_else(|message| {
                errors.add("min_order", message);
                0
            }),
        };
        let mut time = |field: &str, typed: &str| {
            parse_datetime(typed).unwrap_or_else(|message| {
                errors.add(field, message);
                None
            })
        };
        let starts_at = time("starts_at", &self.starts_at);
        let expires_at = time("expires_at", &self.expires_at);
        if let (Some(start), Some(end)) = (starts_at, expires_at) {
            if end <= start {
                errors.add("expires_at", "The expiry must be after the start.");
            }
        }
        let mut limit = |field: &str, typed: &str| {
            parse_limit(typed).unwrap_or_else(|message| {
                errors.add(field, message);
                None
            })
        };
        let usage_limit = limit("usage_limit", &self.usage_limit);
        let per_user_limit = limit("per_user_limit", &self.per_user_limit);
        if let (Some(total), Some(each)) = (usage_limit, per_user_limit) {
            if each > total {
                errors.add("per_user_limit", "A customer can't use it more often than the total limit allows.");
            }
        }
        errors.into_result()?;
        Ok(CouponFields {
            code,
            description,
            kind: kind.unwrap_or(CouponKind::Percent),
            value,
            min_order_minor,
            starts_at,
            expires_at,
            usage_limit,
            per_user_limit,
            is_active: self.is_active,
        })
    }

    /// The form filled with a stored coupon's terms, as staff would type them.
    pub fn of(fields: &CouponFields) -> Self {
        Self {
            code: fields.code.clone(),
            description: fields.description.clone(),
            kind: fields.kind.as_str().to_owned(),
            value: match fields.kind {
                CouponKind::Percent => fields.value.to_string(),
                CouponKind::Fixed => amount_input(fields.value),
            },
            min_order: if fields.min_order_minor == 0 { String::new() } else { amount_input(fields.min_order_minor) },
            starts_at: fields.starts_at.map(datetime_input).unwrap_or_default(),
            expires_at: fields.expires_at.map(datetime_input).unwrap_or_default(),
            usage_limit: fields.usage_limit.map(|n| n.to_string()).unwrap_or_default(),
            per_user_limit: fields.per_user_limit.map(|n| n.to_string()).unwrap_or_default(),
            is_active: fields.is_active,
        }
    }
}

impl CouponFields {
    /// The total limit may not fall below the uses already made (orders keep theirs).
    pub fn check_used(&self, times_used: i32) -> Result<(), AppError> {
        match self.usage_limit {
            Some(limit) if limit < times_used => Err(AppError::field(
                "usage_limit",
                format!("This code has been used {times_used} times already: the limit can't be lower than that."),
            )),
            _ => Ok(()),
        }
    }
}

/// Where a coupon stands for shoppers right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CouponState {
    Active,
    /// Switched off by staff.
    Inactive,
    NotStarted,
    Expired,
    UsedUp,
}

impl CouponState {
    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Inactive => "Inactive",
            Self::NotStarted => "Scheduled",
            Self::Expired => "Expired",
            Self::UsedUp => "Used up",
        }
    }
}

/// One coupon as the staff list and editor show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffCoupon {
    pub id: Uuid,
    pub code: String,
    pub description: String,
    pub kind: CouponKind,
    pub value: i64,
    pub currency: String,
    pub min_order_minor: i64,
    pub starts_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub usage_limit: Option<i32>,
    pub per_user_limit: Option<i32>,
    pub times_used: i32,
    pub is_active: bool,
}

impl StaffCoupon {
    pub fn state(&self, now: DateTime<Utc>) -> CouponState {
        if !self.is_active {
            CouponState::Inactive
        } else if self.expires_at.is_some_and(|end| now >= end) {
            CouponState::Expired
        } else if self.starts_at.is_some_and(|start| now < start) {
            CouponState::NotStarted
        } else if self.remaining() == Some(0) {
            CouponState::UsedUp
        } else {
            CouponState::Active
        }
    }

    /// Uses left under the total limit; `None` without one.
    pub fn remaining(&self) -> Option<i64> {
        self.usage_limit.map(|limit| (i64::from(limit) - i64::from(self.times_used)).max(0))
    }

    pub fn fields(&self) -> CouponFields {
        CouponFields {
            code: self.code.clone(),
            description: self.description.clone(),
            kind: self.kind,
            value: self.value,
            min_order_minor: self.min_order_minor,
            starts_at: self.starts_at,
            expires_at: self.expires_at,
            usage_limit: self.usage_limit,
            per_user_limit: self.per_user_limit,
            is_active: self.is_active,
        }
    }
}

/// One order that used a coupon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redemption {
    pub order_number: i64,
    /// The order's status (a cancelled order gave its use back).
    pub order_status: String,
    pub email: String,
    pub discount_minor: i64,
    pub currency: String,
    pub at: DateTime<Utc>,
}

/// The coupon editor: the stored coupon (none for a new one) and the orders that used it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponEditor {
    pub coupon: Option<StaffCoupon>,
    /// The currency amounts are typed in.
    pub currency: String,
    pub redemptions: Vec<Redemption>,
    /// No order ever used it, so it may still be deleted.
    pub deletable: bool,
    pub now: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn terms(kind: CouponKind, value: i64) -> CouponTerms {
        CouponTerms {
            kind,
            value,
            currency: "USD".into(),
            min_order_minor: 0,
            starts_at: None,
            expires_at: None,
            usage_limit: None,
            per_user_limit: None,
            times_used: 0,
            is_active: true,
        }
    }

    #[test]
    fn percentages_round_half_up_in_minor_units() {
        let now = Utc::now();
        assert_eq!(terms(CouponKind::Percent, 10).discount(now, 1999, "USD", 0), Ok(200)); // 199.9
        assert_eq!(terms(CouponKind::Percent, 15).discount(now, 1010, "USD", 0), Ok(152)); // 151.5
        assert_eq!(terms(CouponKind::Percent, 15).discount(now, 1003, "USD", 0), Ok(150)); // 150.45
        assert_eq!(terms(CouponKind::Percent, 100).discount(now, 4321, "USD", 0), Ok(4321));
        assert!(terms(CouponKind::Percent, 33).discount(now, i64::MAX / 50, "USD", 0).is_ok(), "no overflow");
    }

    #[test]
    fn fixed_amounts_are_capped_at_the_subtotal() {
        let now = Utc::now();
        assert_eq!(terms(CouponKind::Fixed, 1000).discount(now, 4000, "USD", 0), Ok(1000));
        assert_eq!(terms(CouponKind::Fixed, 1000).discount(now, 600, "USD", 0), Ok(600));
    }

    #[test]
    fn every_refusal_has_its_reason() {
        let now = Utc::now();
        let mut c = terms(CouponKind::Percent, 10);
        c.is_active = false;
        assert_eq!(c.discount(now, 5000, "USD", 0), Err(CouponRefusal::Unknown));

        let mut c = terms(CouponKind::Percent, 10);
        c.starts_at = Some(now + Duration::hours(1));
        assert_eq!(c.discount(now, 5000, "USD", 0), Err(CouponRefusal::NotStarted));
        c.starts_at = Some(now);
        assert_eq!(c.discount(now, 5000, "USD", 0), Ok(500), "starts inclusive");

        let mut c = terms(CouponKind::Percent, 10);
        c.expires_at = Some(now);
        assert_eq!(c.discount(now, 5000, "USD", 0), Err(CouponRefusal::Expired), "expiry exclusive");
        c.expires_at = Some(now + Duration::seconds(1));
        assert!(c.discount(now, 5000, "USD", 0).is_ok());

        let mut c = terms(CouponKind::Fixed, 500);
        c.usage_limit = Some(3);
        c.times_used = 3;
        assert_eq!(c.discount(now, 5000, "USD", 0), Err(CouponRefusal::UsedUp));
        c.times_used = 2;
        assert_eq!(c.discount(now, 5000, "USD", 0), Ok(500));

        let mut c = terms(CouponKind::Fixed, 500);
        c.per_user_limit = Some(1);
        assert_eq!(c.discount(now, 5000, "USD", 1), Err(CouponRefusal::AlreadyUsed));
        assert_eq!(c.discount(now, 5000, "USD", 0), Ok(500));

        let mut c = terms(CouponKind::Fixed, 500);
        c.min_order_minor = 5000;
        assert_eq!(c.discount(now, 4999, "USD", 0), Err(CouponRefusal::BelowMinimum { minimum_minor: 5000 }));
        assert_eq!(c.discount(now, 5000, "USD", 0), Ok(500));
        assert_eq!(CouponRefusal::BelowMinimum { minimum_minor: 5000 }.message("USD"), "That code needs an order of at least $50.00.");
    }

    fn typed(kind: &str, value: &str) -> CouponInput {
        CouponInput { code: "SPRING-15".into(), kind: kind.into(), value: value.into(), is_active: true, ..CouponInput::default() }
    }

    #[test]
    fn a_good_coupon_parses_to_what_checkout_applies() {
        let input = CouponInput {
            code: " Spring_15 ".into(),
            description: " Spring sale ".into(),
            min_order: "$1,050.5".into(),
            starts_at: "2026-12-01T09:00".into(),
            expires_at: "2026-12-31 23:59".into(),
            usage_limit: "100".into(),
            per_user_limit: "1".into(),
            ..typed("percent", "15%")
        };
        let fields = input.parse().unwrap();
        assert_eq!((fields.code.as_str(), fields.description.as_str()), ("Spring_15", "Spring sale"));
        assert_eq!((fields.kind, fields.value, fields.min_order_minor), (CouponKind::Percent, 15, 105_050));
        assert_eq!(fields.starts_at.map(datetime_input).as_deref(), Some("2026-12-01T09:00"));
        assert_eq!(fields.expires_at.unwrap().to_rfc3339(), "2026-12-31T23:59:00+00:00");
        assert_eq!(parse_datetime("2026-12-31T23:59:30").unwrap().unwrap().to_rfc3339(), "2026-12-31T23:59:30+00:00");
        assert_eq!(parse_datetime("2026-12-31").unwrap().map(datetime_input).as_deref(), Some("2026-12-31T00:00"));
        assert_eq!(parse_datetime("  "), Ok(None));
        assert_eq!((fields.usage_limit, fields.per_user_limit), (Some(100), Some(1)));
        let fixed = typed("fixed", "5").parse().unwrap();
        assert_eq!((fixed.kind, fixed.value, fixed.min_order_minor, fixed.usage_limit), (CouponKind::Fixed, 500, 0, None));
        assert_eq!(CouponInput::of(&fixed).value, "5.00", "shown back as typed money");
        assert_eq!(CouponInput::of(&fields).parse().unwrap(), fields, "the editor round-trips");
    }

    #[test]
    fn every_bad_field_has_its_message() {
        let field = |input: CouponInput, name: &str| input.parse().unwrap_err().field_error(name);
        assert!(field(typed("percent", "150"), "value").unwrap().contains("1 to 100"));
        assert!(field(typed("percent", "0"), "value").is_some());
        assert!(field(typed("percent", "12.5"), "value").is_some(), "whole percentages only");
        assert!(field(typed("fixed", "0"), "value").is_some());
        assert!(field(typed("fixed", "4.999"), "value").is_some());
        assert!(field(typed("bogus", "5"), "kind").is_some());
        assert!(field(CouponInput { code: "  ".into(), ..typed("fixed", "5") }, "code").is_some());
        assert!(field(CouponInput { code: "AB".into(), ..typed("fixed", "5") }, "code").is_some());
        assert!(field(CouponInput { code: "TEN OFF".into(), ..typed("fixed", "5") }, "code").is_some());
        assert!(field(CouponInput { code: "X".repeat(CODE_MAX + 1), ..typed("fixed", "5") }, "code").is_some());
        assert!(field(CouponInput { description: "d".repeat(DESCRIPTION_MAX + 1), ..typed("fixed", "5") }, "description").is_some());
        assert!(field(CouponInput { min_order: "-5".into(), ..typed("fixed", "5") }, "min_order").is_some());
        assert!(field(CouponInput { starts_at: "next week".into(), ..typed("fixed", "5") }, "starts_at").is_some());
        let backwards = CouponInput { starts_at: "2026-12-10T00:00".into(), expires_at: "2026-12-01T00:00".into(), ..typed("fixed", "5") };
        assert_eq!(field(backwards, "expires_at").as_deref(), Some("The expiry must be after the start."));
        let same = CouponInput { starts_at: "2026-12-10".into(), expires_at: "2026-12-10T00:00".into(), ..typed("fixed", "5") };
        assert!(field(same, "expires_at").is_some(), "an empty window");
        for bad in ["0", "-1", "2.5", "lots", "1000001"] {
            assert!(field(CouponInput { usage_limit: bad.into(), ..typed("fixed", "5") }, "usage_limit").is_some(), "{bad}");
            assert!(field(CouponInput { per_user_limit: bad.into(), ..typed("fixed", "5") }, "per_user_limit").is_some(), "{bad}");
        }
        let more_each = CouponInput { usage_limit: "2".into(), per_user_limit: "3".into(), ..typed("fixed", "5") };
        assert!(field(more_each, "per_user_limit").is_some());
        let all = CouponInput { code: String::new(), kind: "percent".into(), value: "101".into(), usage_limit: "0".into(), ..CouponInput::default() };
        let err = all.parse().unwrap_err();
        for name in ["code", "value", "usage_limit"] {
            assert!(err.field_error(name).is_some(), "{name}: all at once");
        }
    }

    #[test]
    fn the_total_limit_never_falls_below_the_uses_made() {
        let fields = CouponInput { usage_limit: "3".into(), ..typed("fixed", "5") }.parse().unwrap();
        assert!(fields.check_used(3).is_ok());
        assert!(fields.check_used(4).unwrap_err().field_error("usage_limit").unwrap().contains("used 4 times"));
        assert!(typed("fixed", "5").parse().unwrap().check_used(9).is_ok(), "no limit");
    }

    #[test]
    fn a_coupon_says_where_it_stands() {
        let now = Utc::now();
        let mut c = StaffCoupon {
            id: Uuid::nil(),
            code: "X".into(),
            description: String::new(),
            kind: CouponKind::Percent,
            value: 10,
            currency: "USD".into(),
            min_order_minor: 0,
            starts_at: None,
            expires_at: None,
            usage_limit: Some(2),
            per_user_limit: None,
            times_used: 1,
            is_active: true,
        };
        assert_eq!((c.state(now), c.remaining()), (CouponState::Active, Some(1)));
        c.times_used = 2;
        assert_eq!((c.state(now), c.remaining()), (CouponState::UsedUp, Some(0)));
        c.starts_at = Some(now + Duration::hours(1));
        assert_eq!(c.state(now), CouponState::NotStarted);
        c.expires_at = Some(now);
        assert_eq!(c.state(now), CouponState::Expired);
        c.is_active = false;
        assert_eq!(c.state(now), CouponState::Inactive);
        assert_eq!(CouponKind::Fixed.describe(500, "USD"), "$5.00 off");
        assert_eq!(CouponKind::Percent.describe(15, "USD"), "15% off");
    }

    #[test]
    fn a_code_applies_only_to_prices_in_its_own_currency() {
        let now = Utc::now();
        let c = terms(CouponKind::Fixed, 2000);
        assert_eq!(c.discount(now, 5000, "EUR", 0), Err(CouponRefusal::OtherCurrency));
        assert_eq!(c.discount(now, 5000, "usd", 0), Ok(2000));
        assert_eq!(terms(CouponKind::Percent, 10).discount(now, 5000, "GBP", 0), Err(CouponRefusal::OtherCurrency));
        assert_eq!(CouponRefusal::OtherCurrency.message("EUR"), "That code can't be used for prices in EUR.");
    }
}
