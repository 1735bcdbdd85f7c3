//! The CRM answers the SIP side's questions: which organization a SIP domain is, and an
//! extension's SIP password (only for active users).

use crate::trunks::{dial_allowed, digits};
use crate::{Crm, OrgId};
use std::net::IpAddr;
use std::time::Duration;
use store::entities::{organization as org, phone_number, ring_group, trunk, user};
use store::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use telephony::{InboundRoute, OutboundRoute, SipDirectory, Tenant, Trunk};

fn trunk_of(t: trunk::Model, realm: String) -> Trunk {
    Trunk {
        id: t.id,
        tenant: Tenant { id: t.org_id, realm },
        host: t.host,
        port: t.port as u16,
        tcp: t.transport == "tcp",
        username: t.username,
        password: t.password,
    }
}

impl Crm {
    async fn realm(&self, org: i64) -> Option<String> {
        self.org(OrgId(org)).await.ok().map(|o| o.sip_domain)
    }
}

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

    async fn trunk_for_source(&self, source: IpAddr) -> Option<Trunk> {
        let all = trunk::Entity::find().order_by_asc(trunk::Column::Id).all(self.db()).await.ok()?;
        let ip = source.to_string();
        let t = all.into_iter().find(|t| t.inbound_addresses.split([' ', ',']).any(|a| a == ip))?;
        let realm = self.realm(t.org_id).await?;
        Some(trunk_of(t, realm))
    }

    async fn route_inbound(&self, tenant: &Tenant, number: &str) -> Option<InboundRoute> {
        let n = phone_number::Entity::find()
            .filter(phone_number::Column::OrgId.eq(tenant.id))
            .filter(phone_number::Column::Number.eq(digits(number)))
            .one(self.db())
            .await
            .ok()??;
        if let Some(e) = n.route_extension {
            return Some(InboundRoute::Extension(e));
        }
        let g = ring_group::Entity::find_by_id(n.route_group_id?)
            .filter(ring_group::Column::OrgId.eq(tenant.id))
            .one(self.db())
            .await
            .ok()??;
        Some(InboundRoute::Group {
            members: g.members.split(',').map(str::to_string).filter(|m| !m.is_empty()).collect(),
            parallel: g.parallel,
            ring: Duration::from_secs(g.ring_seconds.max(1) as u64),
        })
    }

    async fn route_outbound(&self, tenant: &Tenant, extension: &str, dialled: &str) -> Option<OutboundRoute> {
        let rules = self.dial_rules(OrgId(tenant.id)).await.ok()?;
        if !dial_allowed(&rules, dialled) {
            return None;
        }
        let t = self.trunks(OrgId(tenant.id)).await.ok()?.into_iter().next()?;
        let numbers = self.numbers(OrgId(tenant.id)).await.ok()?;
        // The extension's own number when it has one, else the organization's first.
        let caller_id = numbers
            .iter()
            .find(|n| n.route_extension.as_deref() == Some(extension))
            .or(numbers.first())
            .map(|n| n.number.clone())
            .unwrap_or_else(|| extension.to_string());
        Some(OutboundRoute { trunk: trunk_of(t, tenant.realm.clone()), number: dialled.to_string(), caller_id })
    }
}
