//! The CRM answers the SIP side's questions: which organization a SIP domain is, and an
//! extension's SIP password (only for active users).

use crate::Crm;
use store::entities::{organization as org, user};
use store::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use telephony::{SipDirectory, Tenant};

#[async_trait::async_trait]
impl SipDirectory for Crm {
    async fn tenant_for_domain(&self, domain: &str) -> Option<Tenant> {
        let domain = domain.trim().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        let found = org::Entity::find().filter(org::Column::SipDomain.eq(domain)).one(self.db()).await.ok()?;
        let m = match found {
            Some(m) => m,
            // The server's own address (or any name) on a single-organization install.
            None if org::Entity::find().count(self.db()).await.ok()? == 1 => {
                org::Entity::find().one(self.db()).await.ok()??
            }
            None => return None,
        };
        Some(Tenant { id: m.id, realm: m.sip_domain })
    }

    async fn extension_secret(&self, tenant: &Tenant, extension: &str) -> Option<String> {
        user::Entity::find()
            .filter(user::Column::OrgId.eq(tenant.id))
            .filter(user::Column::Extension.eq(extension))
            .filter(user::Column::Active.eq(true))
            .one(self.db())
            .await
            .ok()
            .flatten()
            .map(|u| u.sip_password)
    }
}
