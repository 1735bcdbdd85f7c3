//! The organization's outgoing mail server (SMTP): admins set it; the domain sends through it
//! (`channels::mail`), each send within a time limit.

use crate::{Crm, CrmError, OrgId, User};
use channels::mail::{Mail, Security, SmtpServer, valid_address};
use serde::{Deserialize, Serialize};
use store::entities::mail_setting as ms;
use store::sea_orm::EntityTrait;

/// How long one message may take to hand over.
const SEND_LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MailSettings {
    pub host: String,
    pub port: u16,
    /// none | starttls | tls
    pub security: String,
    #[serde(default)]
    pub username: String,
    /// Write-only over the API; kept when left empty on a change.
    #[serde(default, skip_serializing)]
    pub password: String,
    /// e.g. `Switchboard <noreply@example.com>`
    pub from_address: String,
}

impl Crm {
    /// The organization's mail server, if one is set.
    pub async fn mail_settings(&self, org: OrgId) -> Result<Option<MailSettings>, CrmError> {
        Ok(ms::Entity::find_by_id(org.0).one(self.db()).await?.map(|m| MailSettings {
            host: m.host,
            port: u16::try_from(m.port).unwrap_or(25),
            security: m.security,
            username: m.username,
            password: m.password,
            from_address: m.from_address,
        }))
    }

    /// Sets the organization's mail server (admins). An empty password keeps the stored one.
    pub async fn set_mail_settings(&self, by: &User, s: MailSettings) -> Result<(), CrmError> {
        if !by.is_admin() {
            return Err(CrmError::Forbidden);
        }
        let mut checks = crate::error::Checks::default();
        let host = s.host.trim();
        if host.is_empty() || host.len() > 253 || host.contains(char::is_whitespace) {
            checks.push("host", "err-mail-host");
        }
        if s.port == 0 {
            checks.push("port", "err-mail-port");
        }
        if Security::parse(&s.security).is_none() {
            checks.push("security", "err-mail-security");
        }
        if !valid_address(s.from_address.trim()) {
            checks.push("from_address", "err-email");
        }
        checks.finish()?;
        let old = ms::Entity::find_by_id(by.org_id.0).one(self.db()).await?;
        let password = match (&old, s.password.is_empty()) {
            (Some(o), true) => o.password.clone(),
            _ => s.password.clone(),
        };
        let row = ms::Model {
            org_id: by.org_id.0,
            host: host.into(),
            port: s.port.into(),
            security: s.security.clone(),
            username: s.username.trim().into(),
            password,
            from_address: s.from_address.trim().into(),
        };
        store::put_row::<ms::Entity, _>(self.db(), old.is_some(), row).await?;
        Ok(())
    }

    /// Sends one plain-text message through the organization's mail server.
    pub async fn send_mail(&self, org: OrgId, to: &str, subject: &str, body: &str) -> Result<(), CrmError> {
        let s = self.mail_settings(org).await?.ok_or(CrmError::invalid("mail", "err-mail-not-set"))?;
        let server = SmtpServer {
            host: s.host,
            port: s.port,
            security: Security::parse(&s.security).unwrap_or(Security::StartTls),
            username: s.username,
            password: s.password,
            from: s.from_address,
        };
        let mail = Mail { to: vec![to.into()], subject: subject.into(), body: body.into() };
        channels::mail::send(&server, &mail, SEND_LIMIT).await.map_err(|e| CrmError::MailFailed(e.to_string()))
    }
}
