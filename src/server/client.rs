//! Who is on the other end of a request: address and user agent, parsed once.

use axum::{extract::ConnectInfo, http::request::Parts};
use std::net::{IpAddr, SocketAddr};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceProfile {
    pub device_type: &'static str,
    pub os: String,
    pub browser: String,
}

impl ClientInfo {
    pub fn from_parts(parts: &Parts, trust_proxy: bool) -> Self {
        let forwarded = trust_proxy
            .then(|| parts.headers.get("x-forwarded-for"))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok());
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let user_agent = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .chars()
            .take(512)
            .collect();
        Self { ip: forwarded.or(peer), user_agent }
    }

    /// Device type, operating system and browser, from the user agent.
    pub fn profile(&self) -> DeviceProfile {
        let parsed = woothee::parser::Parser::new().parse(&self.user_agent);
        let device_type = match parsed.as_ref().map(|p| p.category) {
            Some("pc") => "desktop",
            Some("smartphone") | Some("mobilephone") => "mobile",
            Some("crawler") => "bot",
            _ if self.user_agent.contains("iPad") || self.user_agent.contains("Tablet") => "tablet",
            _ => "other",
        };
        let known = |s: &str| if s == woothee::woothee::VALUE_UNKNOWN { String::new() } else { s.to_owned() };
        DeviceProfile {
            device_type,
            os: parsed.as_ref().map(|p| known(p.os)).unwrap_or_default(),
            browser: parsed.as_ref().map(|p| known(p.name)).unwrap_or_default(),
        }
    }

    /// "Chrome on Linux (desktop)", for a person reading a security alert.
    pub fn describe(&self) -> String {
        let p = self.profile();
        let browser = if p.browser.is_empty() { "An unknown browser".to_owned() } else { p.browser };
        match (p.os.is_empty(), p.device_type) {
            (true, "other") => browser,
            (true, kind) => format!("{browser} ({kind})"),
            (false, "other") => format!("{browser} on {}", p.os),
            (false, kind) => format!("{browser} on {} ({kind})", p.os),
        }
    }

    /// Roughly where the request came from, without asking anyone: its network (the
    /// address with its last part hidden), which the customer can compare with their own.
    pub fn place(&self) -> String {
        match self.ip {
            Some(IpAddr::V4(ip)) => {
                let [a, b, c, _] = ip.octets();
                format!("from the network {a}.{b}.{c}.0/24")
            }
            Some(IpAddr::V6(ip)) => {
                let s = ip.segments();
                format!("from the network {:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
            }
            None => "from an unknown network".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ClientInfo;

    fn profile(ua: &str) -> super::DeviceProfile {
        ClientInfo { ip: None, user_agent: ua.into() }.profile()
    }

    #[test]
    fn classifies_common_user_agents() {
        let desktop = profile("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36");
        assert_eq!(desktop.device_type, "desktop");
        assert_eq!(desktop.os, "Linux");
        assert_eq!(desktop.browser, "Chrome");
        let phone = profile("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1");
        assert_eq!(phone.device_type, "mobile");
        assert_eq!(phone.os, "iPhone");
        assert_eq!(profile("").device_type, "other");
    }

    #[test]
    fn alerts_describe_the_device_and_hide_the_last_part_of_the_address() {
        let client = ClientInfo {
            ip: Some("203.0.113.77".parse().unwrap()),
            user_agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36".into(),
        };
        assert_eq!(client.describe(), "Chrome on Linux (desktop)");
        assert_eq!(client.place(), "from the network 203.0.113.0/24");
        let v6 = ClientInfo { ip: Some("2001:db8:85a3::8a2e:370:7334".parse().unwrap()), user_agent: String::new() };
        assert_eq!(v6.place(), "from the network 2001:db8:85a3::/48");
        assert_eq!(v6.describe(), "An unknown browser");
    }
}
