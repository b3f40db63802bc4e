//! Which requests are public writes (and searches), grouped by what they touch: each group
//! has a ceiling per client address and minute (`Config::write_limits`), kept in Redis by
//! `limits::public_writes`, so it holds the same with one instance or ten. The groups sit
//! beside the finer limits some writes have of their own (codes per address, sign-in
//! failures, checkout steps per customer, newsletter mails).

use axum::http::Method;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteGroup {
    /// Sign-in, sign-up, codes, links, password reset, the second factor.
    SignIn,
    /// The account centre and notification settings.
    Account,
    Cart,
    Wishlist,
    /// Posting a review.
    Reviews,
    /// Helpful votes on reviews, likes of articles.
    Votes,
    /// Read beacons of articles and banner clicks.
    Beacons,
    /// Checkout steps, payment starts and cancelling an order.
    Checkout,
    Newsletter,
    Consent,
    /// Search pages, suggestions while typing and listing reads.
    Search,
}

impl WriteGroup {
    pub const ALL: [Self; 11] = [
        Self::SignIn,
        Self::Account,
        Self::Cart,
        Self::Wishlist,
        Self::Reviews,
        Self::Votes,
        Self::Beacons,
        Self::Checkout,
        Self::Newsletter,
        Self::Consent,
        Self::Search,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::SignIn => "sign-in",
            Self::Account => "account",
            Self::Cart => "cart",
            Self::Wishlist => "wishlist",
            Self::Reviews => "reviews",
            Self::Votes => "votes",
            Self::Beacons => "beacons",
            Self::Checkout => "checkout",
            Self::Newsletter => "newsletter",
            Self::Consent => "consent",
            Self::Search => "search",
        }
    }

    /// The variable that sets the group's ceiling.
    pub fn env(self) -> &'static str {
        match self {
            Self::SignIn => "LIMIT_SIGN_IN_PER_MINUTE",
            Self::Account => "LIMIT_ACCOUNT_PER_MINUTE",
            Self::Cart => "LIMIT_CART_PER_MINUTE",
            Self::Wishlist => "LIMIT_WISHLIST_PER_MINUTE",
            Self::Reviews => "LIMIT_REVIEWS_PER_MINUTE",
            Self::Votes => "LIMIT_VOTES_PER_MINUTE",
            Self::Beacons => "LIMIT_BEACONS_PER_MINUTE",
            Self::Checkout => "LIMIT_CHECKOUT_PER_MINUTE",
            Self::Newsletter => "LIMIT_NEWSLETTER_PER_MINUTE",
            Self::Consent => "LIMIT_CONSENT_PER_MINUTE",
            Self::Search => "LIMIT_SEARCH_PER_MINUTE",
        }
    }

    /// Requests per client address and minute: well above what a person does (several
    /// people may share an address), far below what a script does.
    pub fn default_per_minute(self) -> u32 {
        match self {
            Self::Reviews => 5,
            Self::Newsletter => 10,
            Self::SignIn | Self::Account | Self::Consent | Self::Votes => 30,
            Self::Cart | Self::Wishlist | Self::Checkout | Self::Search => 60,
            Self::Beacons => 120,
        }
    }

    /// The group of a request, if it is a public write or a search. Reads of server
    /// functions (`cart/get`, `catalog/product`, …) and the dashboard (`admin/`, staff only,
    /// audited) are not counted; the payment provider's webhook is authenticated by its
    /// signature and not counted either.
    pub fn of(method: &Method, path: &str) -> Option<Self> {
        if method == Method::GET || method == Method::HEAD {
            return match path {
                "/search" => Some(Self::Search),
                _ if path.starts_with("/b/") => Some(Self::Beacons),
                _ => None,
            };
        }
        let Some(function) = path.strip_prefix("/api/") else {
            return match path {
                "/newsletter/one-click" | "/notifications/one-click" => Some(Self::Newsletter),
                "/account/uploads/picture" | "/account/export/download" => Some(Self::Account),
                _ => None,
            };
        };
        let group = match function {
            "catalog/suggest" | "catalog/listing" => Self::Search,
            "cart/add" | "cart/update" | "cart/remove" | "cart/clear" | "cart/accept" => Self::Cart,
            "wishlist/toggle" | "wishlist/watch-size" => Self::Wishlist,
            "reviews/submit" => Self::Reviews,
            "reviews/helpful" | "cms/like" => Self::Votes,
            "cms/read" => Self::Beacons,
            "consent/save" => Self::Consent,
            "payments/pay" | "orders/cancel" => Self::Checkout,
            "newsletter/subscribe" | "newsletter/unsubscribe" | "newsletter/confirm" | "notifications/unsubscribe" => Self::Newsletter,
            "auth/sign-out" => return None,
            f if f.starts_with("auth/") && !matches!(f, "auth/options" | "auth/second-factor") => Self::SignIn,
            f if f.starts_with("checkout/") && !matches!(f, "checkout/get" | "checkout/states" | "checkout/cities") => Self::Checkout,
            f if f.starts_with("account/") && !matches!(f, "account/get" | "account/sessions" | "account/export/status" | "account/second-factor") => {
                Self::Account
            }
            "notifications/read" | "notifications/read-all" | "notifications/not-me" | "notifications/settings/save" => Self::Account,
            _ => return None,
        };
        Some(group)
    }
}

#[cfg(test)]
mod tests {
    use super::WriteGroup;
    use axum::http::Method;

    #[test]
    fn writes_fall_in_their_group_and_reads_in_none() {
        let post = |p: &str| WriteGroup::of(&Method::POST, p);
        assert_eq!(post("/api/cart/add"), Some(WriteGroup::Cart));
        assert_eq!(post("/api/auth/code/send"), Some(WriteGroup::SignIn));
        assert_eq!(post("/api/checkout/place"), Some(WriteGroup::Checkout));
        assert_eq!(post("/api/account/password"), Some(WriteGroup::Account));
        assert_eq!(post("/api/cart/get"), None);
        assert_eq!(post("/api/checkout/get"), None);
        assert_eq!(post("/api/admin/products/save"), None, "staff work is not throttled here");
        assert_eq!(post("/webhooks/stripe"), None);
        assert_eq!(WriteGroup::of(&Method::GET, "/search"), Some(WriteGroup::Search));
        assert_eq!(WriteGroup::of(&Method::GET, "/c/bags"), None);
        assert_eq!(WriteGroup::of(&Method::GET, "/b/0190a1b2-0000-7000-8000-000000000000"), Some(WriteGroup::Beacons));
        let envs: std::collections::HashSet<_> = WriteGroup::ALL.iter().map(|g| g.env()).collect();
        assert_eq!(envs.len(), WriteGroup::ALL.len(), "one variable per group");
    }
}
