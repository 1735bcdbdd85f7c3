//! What the SIP side asks of the CRM: which organization a SIP domain belongs to, and the
//! SIP password of an extension there. Implemented by `crm` over the store.

use async_trait::async_trait;

/// An organization as SIP sees it: its id and its digest realm (its SIP domain).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tenant {
    pub id: i64,
    pub realm: String,
}

#[async_trait]
pub trait SipDirectory: Send + Sync + 'static {
    /// The organization that owns `domain` (a SIP domain, or the server's own address on a
    /// single-organization install); `None` when nobody does.
    async fn tenant_for_domain(&self, domain: &str) -> Option<Tenant>;

    /// The SIP password of an active user's extension; `None` for an unknown or inactive one.
    async fn extension_secret(&self, tenant: &Tenant, extension: &str) -> Option<String>;
}
