//! How the store is doing: the figures of the dashboard's analytics page for a period (sales
//! with the period before beside them, best sellers, the shopping funnel, the journal,
//! banners, sign-ins, new and returning customers), and the funnel events recorded for
//! visitors who allowed analytics. Days are UTC days.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod server;

/// The longest period one report covers.
pub const MAX_DAYS: i64 = 731;
/// Periods up to this many days are drawn per day, longer ones per week.
pub const DAILY_UP_TO: i64 = 92;

/// A run of whole days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Bucket {
    Day,
    Week,
}

impl Bucket {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
        }
    }
}

/// The ready-made periods the page offers beside a custom one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Last7,
    Last30,
    Last90,
    Last365,
    ThisYear,
}

impl Preset {
    pub const ALL: [Self; 5] = [Self::Last7, Self::Last30, Self::Last90, Self::Last365, Self::ThisYear];

    pub fn key(self) -> &'static str {
        match self {
            Self::Last7 => "7d",
            Self::Last30 => "30d",
            Self::Last90 => "90d",
            Self::Last365 => "365d",
            Self::ThisYear => "year",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Last7 => "Last 7 days",
            Self::Last30 => "Last 30 days",
            Self::Last90 => "Last 90 days",
            Self::Last365 => "Last 12 months",
            Self::ThisYear => "This year",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == key)
    }

    /// The period this preset means on `today` (which it includes).
    pub fn period(self, today: NaiveDate) -> Period {
        let back = |days: i64| Period { from: today - Duration::days(days - 1), to: today };
        match self {
            Self::Last7 => back(7),
            Self::Last30 => back(30),
            Self::Last90 => back(90),
            Self::Last365 => back(365),
            Self::ThisYear => Period { from: NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today), to: today },
        }
    }
}

impl Period {
    /// The period the page's query asks for: a preset, or `from` and `to` (YYYY-MM-DD) when
    /// both are given; the last 30 days when neither is. Errors name the field to fix.
    pub fn from_query(preset: &str, from: &str, to: &str, today: NaiveDate) -> Result<Self, (&'static str, String)> {
        if from.trim().is_empty() && to.trim().is_empty() {
            return Ok(Preset::parse(preset).unwrap_or(Preset::Last30).period(today));
        }
        let date = |field: &'static str, raw: &str| {
            NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| (field, "Enter a date like 2026-01-31.".to_owned()))
        };
        let (from, to) = (date("from", from)?, date("to", to)?);
        if to < from {
            return Err(("to", "The end comes before the start.".into()));
        }
        if to > today {
            return Err(("to", "The end is in the future.".into()));
        }
        if (to - from).num_days() + 1 > MAX_DAYS {
            return Err(("from", format!("Choose at most {MAX_DAYS} days.")));
        }
        Ok(Self { from, to })
    }

    pub fn days(self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The same number of days just before this period.
    pub fn previous(self) -> Self {
        let days = self.days();
        Self { from: self.from - Duration::days(days), to: self.from - Duration::days(1) }
    }

    pub fn bucket(self) -> Bucket {
        if self.days() <= DAILY_UP_TO {
            Bucket::Day
        } else {
            Bucket::Week
        }
    }

    /// How the period reads in a heading: "1 Mar 2026 – 30 Mar 2026".
    pub fn label(self) -> String {
        format!("{} – {}", self.from.format("%-d %b %Y"), self.to.format("%-d %b %Y"))
    }
}

/// One day or week of sales.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesPoint {
    pub start: NaiveDate,
    pub revenue_minor: i64,
    pub orders: i64,
}

/// A product or category by what it sold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranked {
    pub name: String,
    pub units: i64,
    pub revenue_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunnelStage {
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Journal {
    pub views: i64,
    pub likes: i64,
    pub reads: i64,
    /// The average of each reader's deepest scroll, in percent.
    pub average_depth: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BannerFigures {
    pub title: String,
    pub impressions: i64,
    pub clicks: i64,
}

impl BannerFigures {
    /// Clicks per impression in percent; none before the first impression.
    pub fn click_through(&self) -> Option<f64> {
        (self.impressions > 0).then(|| self.clicks as f64 * 100.0 / self.impressions as f64)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIns {
    pub method: String,
    pub succeeded: i64,
    pub failed: i64,
}

/// Everything the analytics page shows for one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub period: Period,
    pub bucket: Bucket,
    pub sales: Vec<SalesPoint>,
    /// The period before, bucket by bucket (as many as `sales`).
    pub previous_sales: Vec<SalesPoint>,
    pub top_products: Vec<Ranked>,
    pub top_categories: Vec<Ranked>,
    pub funnel: Vec<FunnelStage>,
    pub journal: Journal,
    pub banners: Vec<BannerFigures>,
    pub sign_ins: Vec<SignIns>,
    pub new_customers: i64,
    pub returning_customers: i64,
}

/// Totals of a run of sales points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub revenue_minor: i64,
    pub orders: i64,
}

impl Totals {
    pub fn of(points: &[SalesPoint]) -> Self {
        Self { revenue_minor: points.iter().map(|p| p.revenue_minor).sum(), orders: points.iter().map(|p| p.orders).sum() }
    }

    /// Average order value in minor units; none without orders.
    pub fn average_minor(self) -> Option<i64> {
        (self.orders > 0).then(|| (self.revenue_minor as f64 / self.orders as f64).round() as i64)
    }
}

/// Change from `before` to `now` in percent; none when there was nothing before.
pub fn change_percent(now: i64, before: i64) -> Option<f64> {
    (before != 0).then(|| (now - before) as f64 * 100.0 / before as f64)
}

/// A funnel event (see the migration that lists them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Visit,
    ProductView,
    CartAdd,
    CheckoutStart,
    OrderPlaced,
}

impl Event {
    pub const FUNNEL: [Self; 5] = [Self::Visit, Self::ProductView, Self::CartAdd, Self::CheckoutStart, Self::OrderPlaced];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Visit => "visit",
            Self::ProductView => "product_view",
            Self::CartAdd => "cart_add",
            Self::CheckoutStart => "checkout_start",
            Self::OrderPlaced => "order_placed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Visit => "Visits",
            Self::ProductView => "Viewed a product",
            Self::CartAdd => "Added to cart",
            Self::CheckoutStart => "Started checkout",
            Self::OrderPlaced => "Ordered",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn presets_end_today_and_include_it() {
        let today = day("2026-12-04");
        assert_eq!(Preset::Last7.period(today), Period { from: day("2026-11-28"), to: today });
        assert_eq!(Preset::Last7.period(today).days(), 7);
        assert_eq!(Preset::ThisYear.period(today).from, day("2026-01-01"));
        assert_eq!(Preset::Last365.period(today).bucket(), Bucket::Week);
        assert_eq!(Preset::Last90.period(today).bucket(), Bucket::Day);
    }

    #[test]
    fn the_previous_period_is_as_long_and_ends_the_day_before() {
        let p = Period { from: day("2026-03-01"), to: day("2026-03-10") };
        assert_eq!(p.previous(), Period { from: day("2026-02-19"), to: day("2026-02-28") });
    }

    #[test]
    fn a_custom_period_is_checked_field_by_field() {
        let today = day("2026-12-04");
        assert_eq!(Period::from_query("", "", "", today), Ok(Preset::Last30.period(today)));
        assert_eq!(Period::from_query("7d", "", "", today), Ok(Preset::Last7.period(today)));
        assert_eq!(Period::from_query("", "2026-01-01", "2026-01-31", today).map(Period::days), Ok(31));
        assert_eq!(Period::from_query("", "2026-13-01", "2026-01-31", today).unwrap_err().0, "from");
        assert_eq!(Period::from_query("", "2026-02-01", "2026-01-31", today).unwrap_err().0, "to");
        assert_eq!(Period::from_query("", "2026-12-01", "2026-12-05", today).unwrap_err().0, "to");
        assert_eq!(Period::from_query("", "2020-01-01", "2026-01-31", today).unwrap_err().0, "from");
    }

    #[test]
    fn averages_and_changes_are_none_without_a_base() {
        let points = [
            SalesPoint { start: day("2026-01-01"), revenue_minor: 1000, orders: 1 },
            SalesPoint { start: day("2026-01-02"), revenue_minor: 2001, orders: 2 },
        ];
        assert_eq!(Totals::of(&points), Totals { revenue_minor: 3001, orders: 3 });
        assert_eq!(Totals::of(&points).average_minor(), Some(1000));
        assert_eq!(Totals::of(&[]).average_minor(), None);
        assert_eq!(change_percent(150, 100), Some(50.0));
        assert_eq!(change_percent(5, 0), None);
        let banner = BannerFigures { title: "Sale".into(), impressions: 200, clicks: 5 };
        assert_eq!(banner.click_through(), Some(2.5));
        assert_eq!(BannerFigures { impressions: 0, ..banner }.click_through(), None);
    }
}
