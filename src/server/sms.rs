//! Text messages. Production uses a Twilio-compatible HTTP API; without credentials, messages
//! are written to `<OUTBOX_DIR>/sms/` so development and tests can read them.

use super::config::{Config, SmsConfig};
use anyhow::Context;
use std::{future::Future, path::PathBuf, pin::Pin};

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

pub trait SmsProvider: Send + Sync {
    fn send<'a>(&'a self, to: &'a str, body: &'a str) -> SendFuture<'a>;
}

pub fn from_config(config: &Config, http: reqwest::Client) -> anyhow::Result<Box<dyn SmsProvider>> {
    Ok(match &config.sms {
        Some(sms) => Box::new(TwilioSms { config: sms.clone(), http }),
        None => {
            let dir = config.outbox_dir.join("sms");
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            Box::new(OutboxSms { dir })
        }
    })
}

/// Twilio's Messages API (and compatible providers): form POST with basic auth.
pub struct TwilioSms {
    config: SmsConfig,
    http: reqwest::Client,
}

impl SmsProvider for TwilioSms {
    fn send<'a>(&'a self, to: &'a str, body: &'a str) -> SendFuture<'a> {
        Box::pin(async move {
            let url = format!("{}/2010-04-01/Accounts/{}/Messages.json", self.config.api_base, self.config.account_sid);
            let params = [("To", to), ("From", self.config.from.as_str()), ("Body", body)];
            let encoded = params
                .iter()
                .map(|(k, v)| format!("{k}={}", crate::text::url_encode(v)))
                .collect::<Vec<_>>()
                .join("&");
            let response = self
                .http
                .post(url)
                .basic_auth(&self.config.account_sid, Some(self.config.auth_token.expose()))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(encoded)
                .send()
                .await
                .context("contacting the SMS provider")?;
            let status = response.status();
            anyhow::ensure!(status.is_success(), "SMS provider answered {status}");
            Ok(())
        })
    }
}

pub struct OutboxSms {
    dir: PathBuf,
}

impl SmsProvider for OutboxSms {
    fn send<'a>(&'a self, to: &'a str, body: &'a str) -> SendFuture<'a> {
        Box::pin(async move {
            let name = format!("{}-{}.txt", chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"), to.trim_start_matches('+'));
            tokio::fs::write(self.dir.join(name), format!("To: {to}\n\n{body}\n")).await.context("writing SMS to outbox")
        })
    }
}

