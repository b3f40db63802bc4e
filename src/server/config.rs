//! Typed configuration read once from the environment at start-up. A missing or malformed
//! variable stops the process with a message naming it. Secrets are wrapped so that
//! `Debug` output (and therefore logs) never shows them.

use super::public_writes::WriteGroup;
use std::{collections::HashMap, fmt, net::SocketAddr, path::PathBuf, str::FromStr};

/// A value that must never be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration variable {}: {}", self.variable, self.message)
    }
}

impl std::error::Error for ConfigError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone)]
pub struct OAuthProvider {
    pub client_id: String,
    pub client_secret: Secret,
    pub auth_url: String,
    pub token_url: String,
    pub userinfo_url: String,
}

#[derive(Debug, Clone)]
pub struct StripeConfig {
    pub secret_key: Secret,
    pub webhook_secret: Secret,
    pub api_base: String,
    /// Where Stripe's hosted payment pages live (the CSP lets checkout forms go there).
    pub checkout_origin: String,
}

/// The S3-compatible bucket product images go to instead of `MEDIA_DIR` (`MEDIA_S3_*`).
#[derive(Debug, Clone)]
pub struct MediaS3Config {
    pub bucket: String,
    pub region: String,
    /// A self-hosted or non-AWS server (MinIO, R2, Ceph…); AWS itself when absent.
    pub endpoint: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// Where browsers load the objects from (the bucket's public address or a CDN).
    pub public_url: String,
}

impl MediaS3Config {
    /// `scheme://host[:port]` of `public_url`: where the pages' images come from (the CSP).
    pub fn public_origin(&self) -> &str {
        origin_of(&self.public_url)
    }
}

/// `scheme://host[:port]` of an absolute URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

#[derive(Debug, Clone)]
pub struct SmsConfig {
    pub api_base: String,
    pub account_sid: String,
    pub auth_token: Secret,
    pub from: String,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: Secret,
    pub database_max_connections: u32,
    pub redis_url: Secret,
    /// Public origin of the store, without a trailing slash (canonical URLs, emails, cookies).
    pub site_url: String,
    pub listen_addr: SocketAddr,
    pub session_idle_minutes: i64,
    /// Idle time of a staff member's session (admin, editor): shorter than customers'.
    pub staff_session_idle_minutes: i64,
    /// Memory for the storefront's in-process catalogue cache, in megabytes.
    pub catalog_cache_mb: u64,
    /// Memory for whole storefront pages kept for visitors without a session.
    pub page_cache_mb: u64,
    /// After SIGTERM: how long requests in flight and the job in hand may take to finish.
    pub shutdown_grace: std::time::Duration,
    /// Keys the hashes of one-time codes and links (HMAC-SHA256); at least 32 characters.
    pub auth_secret: Secret,
    /// Trust `X-Forwarded-For` for the client address (only behind a proxy you control).
    pub trust_proxy: bool,
    pub media_dir: PathBuf,
    /// When set, uploaded images go to this bucket instead of `media_dir`.
    pub media_s3: Option<MediaS3Config>,
    pub outbox_dir: PathBuf,
    /// `smtp://user:pass@host:port` or `smtps://…`; without it mail goes to `outbox_dir`.
    pub smtp_url: Option<Secret>,
    pub mail_from: String,
    pub sms: Option<SmsConfig>,
    pub stripe: Option<StripeConfig>,
    pub google: Option<OAuthProvider>,
    pub facebook: Option<OAuthProvider>,
    pub log_format: LogFormat,
    /// Prepended to every key the store writes in Redis besides sessions (several stores
    /// or test runs may share one Redis).
    pub redis_prefix: String,
    /// Public writes (and searches) per client address and minute, by group.
    pub write_limits: WriteLimits,
    pub auth_limits: AuthLimits,
    /// Delivery prices and the free-delivery threshold, in minor units.
    pub delivery: crate::pricing::DeliveryRates,
    /// How long and how much unpaid orders hold of the stock.
    pub holds: HoldSettings,
    /// Ceilings on checkout actions and saved addresses.
    pub checkout_limits: CheckoutLimits,
    /// Sizes with this many units available or fewer are listed on the dashboard overview.
    pub low_stock_threshold: i64,
    /// Where shoppers send a bank transfer (account name, IBAN, BIC…); bank transfer is
    /// offered only when set.
    pub bank_transfer_details: Option<String>,
}

/// Ceilings on sign-in traffic that the device lock alone cannot stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthLimits {
    /// Failed attempts on one account (or unknown address) in 15 minutes before devices that
    /// never signed into it are refused.
    pub failures_per_account: u32,
    /// Failed attempts from one client address in 15 minutes, across all accounts.
    pub failures_per_client: u32,
    /// Codes and links sent at the request of one client address in 10 minutes.
    pub sends_per_client: u32,
    /// Second-factor codes emailed to one staff account in an hour.
    pub second_factor_emails_per_hour: u32,
}

/// Each public write group's ceiling per client address and minute (`LIMIT_*_PER_MINUTE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteLimits(Vec<(WriteGroup, u32)>);

impl WriteLimits {
    fn from_vars(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        WriteGroup::ALL
            .into_iter()
            .map(|group| Ok((group, vars.parse_positive(group.env(), i64::from(group.default_per_minute()))? as u32)))
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    pub fn per_minute(&self, group: WriteGroup) -> u32 {
        self.0.iter().find(|(g, _)| *g == group).map_or(group.default_per_minute(), |(_, n)| *n)
    }
}

/// How long and how much an unpaid order may hold of the stock. The numbers only: orders
/// apply them (`orders::server::HoldRules`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldSettings {
    /// How long the card payment page stays open (`ORDER_PAYMENT_MINUTES`).
    pub card: chrono::Duration,
    /// How much longer the stock stays held after the payment page closed, so that a
    /// payment made in its last second, or a late webhook, still finds its stock.
    pub card_grace: chrono::Duration,
    pub bank_transfer: chrono::Duration,
    /// Staff confirm cash-on-delivery orders within this time, or they are released.
    pub cash_on_delivery: chrono::Duration,
    /// Units one order may hold.
    pub units_per_order: i64,
    /// Units one customer's unpaid orders may hold together.
    pub units_per_customer: i64,
}

/// Ceilings on what one customer, or one client address, may do at checkout: each step's
/// post, placing, paying and cancelling an order are counted separately, per hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckoutLimits {
    pub actions_per_customer: u32,
    pub actions_per_client: u32,
    /// Addresses one customer may keep.
    pub saved_addresses: i64,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Parses from any source of variables (the tests pass a map).
    pub fn from_map(vars: &HashMap<&str, &str>) -> Result<Self, ConfigError> {
        Self::from_lookup(|name| vars.get(name).map(|v| v.to_string()))
    }

    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars(&get);
        let site_url = vars.url("SITE_URL", Some("http://127.0.0.1:3000"))?;
        let smtp_url = vars.optional("SMTP_URL").map(Secret::new);
        if let Some(url) = &smtp_url {
            if !(url.expose().starts_with("smtp://") || url.expose().starts_with("smtps://")) {
                return Err(vars.error("SMTP_URL", "must start with smtp:// or smtps://"));
            }
        }
        Ok(Self {
            database_url: Secret::new(vars.postgres_url("DATABASE_URL")?),
            database_max_connections: vars.parse("DATABASE_MAX_CONNECTIONS", 10u32)?,
            redis_url: Secret::new(vars.redis_url("REDIS_URL")?),
            listen_addr: vars.parse("LISTEN_ADDR", SocketAddr::from(([127, 0, 0, 1], 3000)))?,
            session_idle_minutes: vars.parse_positive("SESSION_IDLE_MINUTES", 7 * 24 * 60)?,
            staff_session_idle_minutes: vars.parse_positive("STAFF_SESSION_IDLE_MINUTES", 60)?,
            catalog_cache_mb: vars.parse_positive("CATALOG_CACHE_MB", 48)? as u64,
            page_cache_mb: vars.parse_positive("PAGE_CACHE_MB", 64)? as u64,
            shutdown_grace: std::time::Duration::from_secs(vars.parse_positive("SHUTDOWN_GRACE_SECONDS", 20)? as u64),
            auth_secret: Secret::new(vars.secret("AUTH_SECRET", 32)?),
            trust_proxy: vars.bool("TRUST_PROXY", false)?,
            media_dir: PathBuf::from(vars.optional("MEDIA_DIR").unwrap_or_else(|| "media".into())),
            media_s3: vars.media_s3()?,
            outbox_dir: PathBuf::from(vars.optional("OUTBOX_DIR").unwrap_or_else(|| "outbox".into())),
            smtp_url,
            mail_from: vars.optional("MAIL_FROM").unwrap_or_else(|| "Larkspur <shop@localhost>".into()),
            sms: vars.sms()?,
            stripe: vars.stripe()?,
            google: vars.oauth("GOOGLE", GOOGLE_DEFAULTS)?,
            facebook: vars.oauth("FACEBOOK", FACEBOOK_DEFAULTS)?,
            log_format: match vars.optional("LOG_FORMAT").as_deref() {
                None | Some("pretty") => LogFormat::Pretty,
                Some("json") => LogFormat::Json,
                Some(_) => return Err(vars.error("LOG_FORMAT", "must be `pretty` or `json`")),
            },
            redis_prefix: vars.optional("REDIS_KEY_PREFIX").unwrap_or_else(|| "larkspur:".into()),
            write_limits: WriteLimits::from_vars(&vars)?,
            auth_limits: AuthLimits {
                failures_per_account: vars.parse_positive("AUTH_FAILURES_PER_ACCOUNT", 10)? as u32,
                failures_per_client: vars.parse_positive("AUTH_FAILURES_PER_CLIENT", 30)? as u32,
                sends_per_client: vars.parse_positive("AUTH_SENDS_PER_CLIENT", 10)? as u32,
                second_factor_emails_per_hour: vars.parse_positive("SECOND_FACTOR_EMAILS_PER_HOUR", 10)? as u32,
            },
            delivery: crate::pricing::DeliveryRates {
                standard_minor: vars.parse("DELIVERY_STANDARD_MINOR", 500i64)?.max(0),
                express_minor: vars.parse("DELIVERY_EXPRESS_MINOR", 1500i64)?.max(0),
                free_standard_from_minor: vars.parse("FREE_DELIVERY_FROM_MINOR", 7500i64)?.max(0),
            },
            holds: HoldSettings {
                card: chrono::Duration::minutes(vars.parse_positive("ORDER_PAYMENT_MINUTES", 60)?.clamp(31, 24 * 60)),
                card_grace: chrono::Duration::minutes(vars.parse_positive("CARD_PAYMENT_GRACE_MINUTES", 15)?),
                bank_transfer: chrono::Duration::days(vars.parse_positive("BANK_TRANSFER_DAYS", 7)?),
                cash_on_delivery: chrono::Duration::days(vars.parse_positive("CASH_ON_DELIVERY_DAYS", 7)?),
                units_per_order: vars.parse_positive("MAX_UNITS_PER_ORDER", 30)?,
                units_per_customer: vars.parse_positive("MAX_HELD_UNITS_PER_CUSTOMER", 40)?,
            },
            checkout_limits: CheckoutLimits {
                actions_per_customer: vars.parse_positive("CHECKOUT_ACTIONS_PER_CUSTOMER", 30)? as u32,
                actions_per_client: vars.parse_positive("CHECKOUT_ACTIONS_PER_CLIENT", 120)? as u32,
                saved_addresses: vars.parse_positive("MAX_SAVED_ADDRESSES", 20)?,
            },
            low_stock_threshold: vars.parse("LOW_STOCK_THRESHOLD", 3i64)?.max(0),
            bank_transfer_details: vars.optional("BANK_TRANSFER_DETAILS").map(|d| d.trim().to_owned()).filter(|d| !d.is_empty()),
            site_url,
        })
    }

    pub fn site_is_https(&self) -> bool {
        self.site_url.starts_with("https://")
    }

    /// `scheme://host[:port]` of `site_url`, as browsers send it in `Origin`.
    pub fn site_origin(&self) -> &str {
        let after_scheme = self.site_url.find("://").map(|i| i + 3).unwrap_or(0);
        match self.site_url[after_scheme..].find('/') {
            Some(i) => &self.site_url[..after_scheme + i],
            None => &self.site_url,
        }
    }
}

const GOOGLE_DEFAULTS: [&str; 3] = [
    "https://accounts.google.com/o/oauth2/v2/auth",
    "https://oauth2.googleapis.com/token",
    "https://openidconnect.googleapis.com/v1/userinfo",
];
const FACEBOOK_DEFAULTS: [&str; 3] = [
    "https://www.facebook.com/v19.0/dialog/oauth",
    "https://graph.facebook.com/v19.0/oauth/access_token",
    "https://graph.facebook.com/me?fields=id,name,email",
];

struct Vars<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Vars<'_> {
    fn optional(&self, name: &str) -> Option<String> {
        (self.0)(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    fn error(&self, variable: &'static str, message: impl Into<String>) -> ConfigError {
        ConfigError { variable, message: message.into() }
    }

    fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.optional(name).ok_or_else(|| self.error(name, "is required but not set"))
    }

    fn parse<T: FromStr>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T::Err: fmt::Display,
    {
        match self.optional(name) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|e| self.error(name, format!("`{raw}` is invalid: {e}"))),
        }
    }

    fn parse_positive(&self, name: &'static str, default: i64) -> Result<i64, ConfigError> {
        let value = self.parse(name, default)?;
        if value > 0 {
            Ok(value)
        } else {
            Err(self.error(name, "must be a positive number"))
        }
    }

    fn bool(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.optional(name).as_deref() {
            None => Ok(default),
            Some("1" | "true" | "yes") => Ok(true),
            Some("0" | "false" | "no") => Ok(false),
            Some(other) => Err(self.error(name, format!("`{other}` is not true/false"))),
        }
    }

    fn url(&self, name: &'static str, default: Option<&str>) -> Result<String, ConfigError> {
        let raw = match (self.optional(name), default) {
            (Some(v), _) => v,
            (None, Some(d)) => d.to_owned(),
            (None, None) => return Err(self.error(name, "is required but not set")),
        };
        let rest = raw
            .strip_prefix("https://")
            .or_else(|| raw.strip_prefix("http://"))
            .ok_or_else(|| self.error(name, "must start with http:// or https://"))?;
        if rest.is_empty() || rest.contains(char::is_whitespace) {
            return Err(self.error(name, "must be an absolute URL with a host"));
        }
        Ok(raw.trim_end_matches('/').to_owned())
    }

    fn secret(&self, name: &'static str, min_len: usize) -> Result<String, ConfigError> {
        let value = self.required(name)?;
        if value.len() < min_len {
            return Err(self.error(name, format!("must be at least {min_len} characters")));
        }
        Ok(value)
    }

    fn postgres_url(&self, name: &'static str) -> Result<String, ConfigError> {
        let url = self.required(name)?;
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(url)
        } else {
            Err(self.error(name, "must be a postgres:// URL"))
        }
    }

    fn redis_url(&self, name: &'static str) -> Result<String, ConfigError> {
        let url = self.required(name)?;
        if url.starts_with("redis://") || url.starts_with("rediss://") {
            Ok(url)
        } else {
            Err(self.error(name, "must be a redis:// or rediss:// URL"))
        }
    }

    /// Settings that only make sense together: all present, or all absent.
    fn group<const N: usize>(&self, names: [&'static str; N]) -> Result<Option<[String; N]>, ConfigError> {
        let values = names.map(|n| self.optional(n));
        if values.iter().all(Option::is_none) {
            return Ok(None);
        }
        if let Some(i) = values.iter().position(Option::is_none) {
            let others = names.iter().filter(|n| **n != names[i]).copied().collect::<Vec<_>>().join(", ");
            return Err(self.error(names[i], format!("must be set together with {others}")));
        }
        Ok(Some(values.map(Option::unwrap)))
    }

    fn stripe(&self) -> Result<Option<StripeConfig>, ConfigError> {
        let Some([secret_key, webhook_secret]) = self.group(["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"])? else {
            return Ok(None);
        };
        if !secret_key.starts_with("sk_") {
            return Err(self.error("STRIPE_SECRET_KEY", "must be a Stripe secret key (sk_…)"));
        }
        Ok(Some(StripeConfig {
            secret_key: Secret::new(secret_key),
            webhook_secret: Secret::new(webhook_secret),
            api_base: self.url("STRIPE_API_BASE", Some("https://api.stripe.com"))?,
            checkout_origin: self.url("STRIPE_CHECKOUT_ORIGIN", Some("https://checkout.stripe.com"))?,
        }))
    }

    fn media_s3(&self) -> Result<Option<MediaS3Config>, ConfigError> {
        let names = ["MEDIA_S3_BUCKET", "MEDIA_S3_ACCESS_KEY_ID", "MEDIA_S3_SECRET_ACCESS_KEY", "MEDIA_PUBLIC_URL"];
        let Some([bucket, access_key_id, secret_access_key, _]) = self.group(names)? else {
            return Ok(None);
        };
        let endpoint = match self.optional("MEDIA_S3_ENDPOINT") {
            Some(_) => Some(self.url("MEDIA_S3_ENDPOINT", None)?),
            None => None,
        };
        Ok(Some(MediaS3Config {
            bucket,
            region: self.optional("MEDIA_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
            endpoint,
            access_key_id,
            secret_access_key: Secret::new(secret_access_key),
            public_url: self.url("MEDIA_PUBLIC_URL", None)?,
        }))
    }

    fn sms(&self) -> Result<Option<SmsConfig>, ConfigError> {
        let Some([account_sid, auth_token, from]) = self.group(["SMS_ACCOUNT_SID", "SMS_AUTH_TOKEN", "SMS_FROM"])? else {
            return Ok(None);
        };
        Ok(Some(SmsConfig {
            api_base: self.url("SMS_API_BASE", Some("https://api.twilio.com"))?,
            account_sid,
            auth_token: Secret::new(auth_token),
            from,
        }))
    }

    fn oauth(&self, prefix: &'static str, defaults: [&str; 3]) -> Result<Option<OAuthProvider>, ConfigError> {
        let (id, secret, auth, token, userinfo) = match prefix {
            "GOOGLE" => ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET", "GOOGLE_AUTH_URL", "GOOGLE_TOKEN_URL", "GOOGLE_USERINFO_URL"),
            _ => ("FACEBOOK_CLIENT_ID", "FACEBOOK_CLIENT_SECRET", "FACEBOOK_AUTH_URL", "FACEBOOK_TOKEN_URL", "FACEBOOK_USERINFO_URL"),
        };
        let Some([client_id, client_secret]) = self.group([id, secret])? else {
            return Ok(None);
        };
        Ok(Some(OAuthProvider {
            client_id,
            client_secret: Secret::new(client_secret),
            auth_url: self.url(auth, Some(defaults[0]))?,
            token_url: self.url(token, Some(defaults[1]))?,
            userinfo_url: self.url(userinfo, Some(defaults[2]))?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("DATABASE_URL", "postgres://postgres@127.0.0.1/larkspur"),
            ("REDIS_URL", "redis://127.0.0.1:6379"),
            ("AUTH_SECRET", "0123456789abcdef0123456789abcdef"),
        ])
    }

    fn error_for(extra: &[(&'static str, &'static str)]) -> ConfigError {
        let mut vars = base();
        vars.extend(extra.iter().copied());
        Config::from_map(&vars).expect_err("config should be rejected")
    }

    #[test]
    fn minimal_environment_gets_defaults() {
        let config = Config::from_map(&base()).unwrap();
        assert_eq!(config.site_url, "http://127.0.0.1:3000");
        assert_eq!(config.listen_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.session_idle_minutes, 10080);
        assert_eq!(config.staff_session_idle_minutes, 60);
        for group in WriteGroup::ALL {
            let n = config.write_limits.per_minute(group);
            assert!((5..=120).contains(&n), "{}: {n} a minute leaves room for people and none for scripts", group.name());
        }
        let mut vars = base();
        vars.insert("LIMIT_CART_PER_MINUTE", "7");
        assert_eq!(Config::from_map(&vars).unwrap().write_limits.per_minute(WriteGroup::Cart), 7);
        assert_eq!(error_for(&[("LIMIT_SEARCH_PER_MINUTE", "0")]).variable, "LIMIT_SEARCH_PER_MINUTE");
        assert!(config.stripe.is_none() && config.google.is_none() && config.smtp_url.is_none());
        assert!(!config.site_is_https());
        assert_eq!(config.delivery.free_standard_from_minor, 7500);
        assert_eq!(config.holds.card, chrono::Duration::minutes(60));
        assert_eq!(config.holds.card_grace, chrono::Duration::minutes(15));
        assert_eq!(config.holds.bank_transfer, chrono::Duration::days(7));
        assert_eq!(config.holds.cash_on_delivery, chrono::Duration::days(7));
        assert_eq!((config.holds.units_per_order, config.holds.units_per_customer), (30, 40));
        assert_eq!(config.checkout_limits, CheckoutLimits { actions_per_customer: 30, actions_per_client: 120, saved_addresses: 20 });
        assert_eq!(config.bank_transfer_details, None);
    }

    #[test]
    fn the_media_bucket_is_all_or_nothing() {
        assert!(Config::from_map(&base()).unwrap().media_s3.is_none(), "local disk by default");
        assert_eq!(error_for(&[("MEDIA_S3_BUCKET", "shop-media")]).variable, "MEDIA_S3_ACCESS_KEY_ID");
        let mut vars = base();
        vars.extend([
            ("MEDIA_S3_BUCKET", "shop-media"),
            ("MEDIA_S3_ACCESS_KEY_ID", "AKIA"),
            ("MEDIA_S3_SECRET_ACCESS_KEY", "secret"),
            ("MEDIA_PUBLIC_URL", "https://media.shop.example/images/"),
        ]);
        let s3 = Config::from_map(&vars).unwrap().media_s3.unwrap();
        assert_eq!((s3.region.as_str(), s3.endpoint.as_deref()), ("us-east-1", None));
        assert_eq!(s3.public_url, "https://media.shop.example/images");
        assert_eq!(s3.public_origin(), "https://media.shop.example");
        assert!(!format!("{s3:?}").contains("secret\""), "the secret is redacted");
        vars.insert("MEDIA_S3_ENDPOINT", "minio:9000");
        assert_eq!(Config::from_map(&vars).unwrap_err().variable, "MEDIA_S3_ENDPOINT");
    }

    #[test]
    fn missing_required_variables_are_named() {
        let err = Config::from_map(&HashMap::from([("REDIS_URL", "redis://x")])).unwrap_err();
        assert_eq!(err.variable, "DATABASE_URL");
        let mut vars = base();
        vars.remove("AUTH_SECRET");
        assert_eq!(Config::from_map(&vars).unwrap_err().variable, "AUTH_SECRET");
        let err = Config::from_map(&HashMap::from([("DATABASE_URL", "postgres://x/db")])).unwrap_err();
        assert_eq!(err.variable, "REDIS_URL");
        assert!(err.to_string().contains("REDIS_URL"));
    }

    #[test]
    fn malformed_values_are_rejected_with_their_name() {
        assert_eq!(error_for(&[("DATABASE_URL", "mysql://x")]).variable, "DATABASE_URL");
        assert_eq!(error_for(&[("REDIS_URL", "localhost:6379")]).variable, "REDIS_URL");
        assert_eq!(error_for(&[("LISTEN_ADDR", "port 80")]).variable, "LISTEN_ADDR");
        assert_eq!(error_for(&[("SITE_URL", "shop.example")]).variable, "SITE_URL");
        assert_eq!(error_for(&[("SESSION_IDLE_MINUTES", "0")]).variable, "SESSION_IDLE_MINUTES");
        assert_eq!(error_for(&[("DATABASE_MAX_CONNECTIONS", "many")]).variable, "DATABASE_MAX_CONNECTIONS");
        assert_eq!(error_for(&[("TRUST_PROXY", "maybe")]).variable, "TRUST_PROXY");
        assert_eq!(error_for(&[("LOG_FORMAT", "xml")]).variable, "LOG_FORMAT");
        assert_eq!(error_for(&[("SMTP_URL", "http://mail")]).variable, "SMTP_URL");
        assert_eq!(error_for(&[("AUTH_SECRET", "short")]).variable, "AUTH_SECRET");
    }

    #[test]
    fn grouped_settings_must_come_together() {
        let err = error_for(&[("STRIPE_SECRET_KEY", "sk_test_1")]);
        assert_eq!(err.variable, "STRIPE_WEBHOOK_SECRET");
        let err = error_for(&[("STRIPE_SECRET_KEY", "pk_test_1"), ("STRIPE_WEBHOOK_SECRET", "whsec_1")]);
        assert_eq!(err.variable, "STRIPE_SECRET_KEY");
        let err = error_for(&[("GOOGLE_CLIENT_SECRET", "s")]);
        assert_eq!(err.variable, "GOOGLE_CLIENT_ID");
    }

    #[test]
    fn provider_urls_are_configurable() {
        let mut vars = base();
        vars.extend([
            ("GOOGLE_CLIENT_ID", "id"),
            ("GOOGLE_CLIENT_SECRET", "secret"),
            ("GOOGLE_AUTH_URL", "http://localhost:8080/authorize/"),
            ("SITE_URL", "https://shop.example/"),
        ]);
        let config = Config::from_map(&vars).unwrap();
        let google = config.google.clone().unwrap();
        assert_eq!(google.auth_url, "http://localhost:8080/authorize");
        assert_eq!(google.token_url, GOOGLE_DEFAULTS[1]);
        assert_eq!(config.site_url, "https://shop.example");
        assert!(config.site_is_https());
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let mut vars = base();
        vars.extend([("STRIPE_SECRET_KEY", "sk_live_topsecret"), ("STRIPE_WEBHOOK_SECRET", "whsec_hidden")]);
        let config = Config::from_map(&vars).unwrap();
        let printed = format!("{config:?}");
        assert!(!printed.contains("topsecret") && !printed.contains("whsec_hidden"));
        assert!(!printed.contains("postgres@127.0.0.1"));
        assert!(!printed.contains("0123456789abcdef"));
        assert_eq!(config.stripe.unwrap().secret_key.expose(), "sk_live_topsecret");
    }
}
