//! Outgoing email through lettre: SMTP when `SMTP_URL` is set, otherwise `.eml` files in the
//! outbox directory that a developer can open.

use super::config::Config;
use crate::text::escape_html;
use anyhow::Context;
use lettre::{
    message::{
        header::{ContentType, Header, HeaderName, HeaderValue},
        Mailbox, MultiPart, SinglePart,
    },
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub enum Mailer {
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, from: Mailbox },
    Outbox { transport: AsyncFileTransport<Tokio1Executor>, from: Mailbox },
}

impl Mailer {
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let from: Mailbox = config.mail_from.parse().context("MAIL_FROM is not a valid mailbox")?;
        match &config.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .context("SMTP_URL is not a valid SMTP URL")?
                    .build();
                Ok(Self::Smtp { transport, from })
            }
            None => {
                std::fs::create_dir_all(&config.outbox_dir)
                    .with_context(|| format!("creating OUTBOX_DIR {}", config.outbox_dir.display()))?;
                Ok(Self::Outbox { transport: AsyncFileTransport::new(&config.outbox_dir), from })
            }
        }
    }

    #[tracing::instrument(skip_all, fields(subject = %email.subject))]
    pub async fn send(&self, email: Email) -> anyhow::Result<()> {
        self.deliver(email, None).await
    }

    /// A mailing-list message (the newsletter): besides the link in its body, it names
    /// `unsubscribe` in `List-Unsubscribe` and offers RFC 8058's one-click unsubscribe
    /// (`List-Unsubscribe-Post`), which mail apps show as their own "Unsubscribe" button
    /// and which posts `List-Unsubscribe=One-Click` to that address.
    #[tracing::instrument(skip_all, fields(subject = %email.subject))]
    pub async fn send_list(&self, email: Email, unsubscribe: &str) -> anyhow::Result<()> {
        anyhow::ensure!(
            unsubscribe.starts_with("https://") || unsubscribe.starts_with("http://"),
            "an unsubscribe address must be a web address"
        );
        self.deliver(email, Some(unsubscribe)).await
    }

    async fn deliver(&self, email: Email, unsubscribe: Option<&str>) -> anyhow::Result<()> {
        let from = match self {
            Self::Smtp { from, .. } | Self::Outbox { from, .. } => from.clone(),
        };
        let mut builder = Message::builder().from(from).to(email.to.parse().context("recipient address")?).subject(email.subject);
        if let Some(url) = unsubscribe {
            // Only printable ASCII without spaces or angle brackets reaches the header.
            anyhow::ensure!(url.bytes().all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>'), "unsubscribe address is not plain ASCII");
            builder = builder.header(ListUnsubscribe(format!("<{url}>"))).header(ListUnsubscribePost);
        }
        let message = builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(email.text))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(email.html)),
            )
            .context("building the message")?;
        match self {
            Self::Smtp { transport, .. } => {
                transport.send(message).await.context("sending mail over SMTP")?;
            }
            Self::Outbox { transport, .. } => {
                transport.send(message).await.context("writing mail to the outbox")?;
            }
        }
        Ok(())
    }
}

/// `List-Unsubscribe: <https://…>` (RFC 2369).
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

/// Why a store email reaches its reader, for the line under every message.
pub const ACCOUNT_NOTE: &str = "You received this email because of activity on your Larkspur account.";

/// A simple, consistent frame for every store email.
pub fn layout(heading: &str, body_html: &str) -> String {
    layout_with_note(heading, body_html, &escape_html(ACCOUNT_NOTE))
}

/// [`layout`] with another line under the message (`note_html`, already escaped): why
/// this email came, and for the newsletter how to stop it.
pub fn layout_with_note(heading: &str, body_html: &str, note_html: &str) -> String {
    format!(
        r#"<!doctype html><html><body style="margin:0;background:#f5f5f4;font-family:Helvetica,Arial,sans-serif;color:#1c1917">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:32px 16px">
<table role="presentation" width="560" cellpadding="0" cellspacing="0" style="background:#ffffff;border-radius:12px;padding:32px">
<tr><td><p style="margin:0 0 24px;font-size:20px;font-weight:600;color:#064e3b">&#10047; Larkspur</p>
<h1 style="margin:0 0 16px;font-size:22px">{}</h1>{}</td></tr></table>
<p style="font-size:12px;color:#78716c;margin-top:16px">{}</p>
</td></tr></table></body></html>"#,
        escape_html(heading),
        body_html,
        note_html
    )
}
