//! E-mail out: one plain-text message to one or more addresses through the organization's SMTP
//! server (plain, STARTTLS or TLS; optional log-in), within a time limit.

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain SMTP (a relay on the same machine or network).
    None,
    /// STARTTLS is required.
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

impl Security {
    pub fn parse(s: &str) -> Option<Security> {
        match s {
            "none" => Some(Security::None),
            "starttls" => Some(Security::StartTls),
            "tls" => Some(Security::Tls),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// Empty: no log-in.
    pub username: String,
    pub password: String,
    /// The sender, e.g. `Switchboard <noreply@example.com>`.
    pub from: String,
}

#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address: {0}")]
    Address(String),
    #[error("the message could not be built: {0}")]
    Build(String),
    #[error("the mail server refused or failed: {0}")]
    Smtp(String),
    #[error("the mail server did not answer in time")]
    Timeout,
}

/// Whether `s` is an address a message can go to (`name@domain`, or `Name <name@domain>`).
pub fn valid_address(s: &str) -> bool {
    s.parse::<lettre::message::Mailbox>().is_ok()
}

/// Sends `mail` through `server`, giving up after `limit`.
pub async fn send(server: &SmtpServer, mail: &Mail, limit: Duration) -> Result<(), MailError> {
    let from = server.from.parse().map_err(|_| MailError::Address(server.from.clone()))?;
    let mut b = Message::builder().from(from).subject(mail.subject.clone()).header(ContentType::TEXT_PLAIN);
    for to in &mail.to {
        b = b.to(to.parse().map_err(|_| MailError::Address(to.clone()))?);
    }
    let msg = b.body(mail.body.clone()).map_err(|e| MailError::Build(e.to_string()))?;
    let tls = |host: &str| TlsParameters::new(host.into()).map_err(|e| MailError::Smtp(e.to_string()));
    let tls = match server.security {
        Security::None => Tls::None,
        Security::StartTls => Tls::Required(tls(&server.host)?),
        Security::Tls => Tls::Wrapper(tls(&server.host)?),
    };
    let mut t = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server.host.as_str())
        .port(server.port)
        .tls(tls)
        .timeout(Some(limit));
    if !server.username.is_empty() {
        t = t.credentials(Credentials::new(server.username.clone(), server.password.clone()));
    }
    let t = t.build();
    match tokio::time::timeout(limit, t.send(msg)).await {
        Err(_) => Err(MailError::Timeout),
        Ok(r) => r.map(|_| ()).map_err(|e| MailError::Smtp(e.to_string())),
    }
}
