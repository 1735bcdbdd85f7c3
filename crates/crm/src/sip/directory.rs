//! The CRM answers the SIP side's questions: which organization a SIP domain is, an
//! extension's SIP password (only for active users), which trunk a carrier's address is, where
//! a number rings, and what an extension may dial. Routing answers come from the in-memory
//! snapshot (`sip_cache`), SIP passwords too (the snapshot is read again at once when a user
//! changes): a call touches the database only to record what happened.

use crate::Crm;
use crate::sip::trunks::{dial_allowed, digits};
use std::net::IpAddr;
use std::time::Duration;
use store::entities::trunk;
use telephony::{InboundRoute, OutboundRoute, SipDirectory, Tenant, Trunk};

fn trunk_of(t: &trunk::Model, realm: String) -> Trunk {
    Trunk {
        id: t.id,
        tenant: Tenant { id: t.org_id, realm },
        host: t.host.clone(),
        port: t.port as u16,
        tcp: t.transport == "tcp",
        username: t.username.clone(),
        password: t.password.clone(),
        register: t.register,
    }
}

#[async_trait::async_trait]
impl SipDirectory for Crm {
    async fn tenant_for_domain(&self, domain: &str) -> Option<Tenant> {
        let domain = domain.trim().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        let r = self.routing().await.ok()?;
        let id = match r.domains.get(&domain) {
            Some(id) => *id,
            // The server's own address (or any name) on a single-organization install.
            None if r.org_count == 1 => *r.realms.keys().next()?,
            None => return None,
        };
        Some(Tenant { id, realm: r.realms.get(&id)?.clone() })
    }

    async fn ready(&self) -> bool {
        self.routing().await.is_ok()
    }

    async fn extension_secret(&self, tenant: &Tenant, extension: &str) -> Option<String> {
        self.routing().await.ok()?.secrets.get(&(tenant.id, extension.to_string())).cloned()
    }

    async fn trunks_for_source(&self, source: IpAddr) -> Vec<Trunk> {
        let Ok(r) = self.routing().await else { return vec![] };
        let ip = source.to_string();
        r.trunks
            .iter()
            .filter(|t| t.inbound_addresses.split([' ', ',']).any(|a| a == ip))
            .filter_map(|t| Some(trunk_of(t, r.realms.get(&t.org_id)?.clone())))
            .collect()
    }

    async fn route_inbound(&self, tenant: &Tenant, number: &str) -> Option<InboundRoute> {
        let r = self.routing().await.ok()?;
        // As the carrier sends it (E.164 digits), or as a colleague dials it (national too).
        let n = r.numbers.get(&(tenant.id, digits(number))).or_else(|| {
            let country = r.countries.get(&tenant.id)?;
            let e164 = crate::contacts::phone::normalize(number, country)?;
            r.numbers.get(&(tenant.id, e164))
        })?;
        if let Some(e) = &n.route_extension {
            return Some(InboundRoute::Extension(e.clone()));
        }
        if let Some(q) = n.route_queue_id {
            return Some(InboundRoute::Queue(q));
        }
        let g = r.groups.get(&n.route_group_id?).filter(|g| g.org_id == tenant.id)?;
        Some(InboundRoute::Group {
            members: g.members.split(',').map(str::to_string).filter(|m| !m.is_empty()).collect(),
            parallel: g.parallel,
            ring: Duration::from_secs(g.ring_seconds.max(1) as u64),
        })
    }

    async fn route_outbound(&self, tenant: &Tenant, extension: &str, dialled: &str) -> Option<OutboundRoute> {
        let r = self.routing().await.ok()?;
        // The rules judge what the carrier will get, and it gets exactly that.
        let number = crate::sip::trunks::dialable(dialled)?;
        if !dial_allowed(r.rules.get(&tenant.id).map(Vec::as_slice).unwrap_or(&[]), &number) {
            return None;
        }
        let t = r.trunks.iter().find(|t| t.org_id == tenant.id)?;
        let numbers = r.numbers_by_org.get(&tenant.id).map(Vec::as_slice).unwrap_or(&[]);
        // The extension's own number when it has one, else the organization's first.
        let caller_id = numbers
            .iter()
            .find(|n| n.route_extension.as_deref() == Some(extension))
            .or(numbers.first())
            .map(|n| n.number.clone())
            .unwrap_or_else(|| extension.to_string());
        Some(OutboundRoute { trunk: trunk_of(t, tenant.realm.clone()), number, caller_id })
    }

    async fn recording_policy(&self, tenant: i64) -> telephony::RecordingPolicy {
        use store::entities::organization::RecordingPolicy as P;
        let Ok(r) = self.routing().await else { return telephony::RecordingPolicy::OnDemand };
        match r.recording.get(&tenant) {
            Some(P::Never) => telephony::RecordingPolicy::Never,
            Some(P::Always) => telephony::RecordingPolicy::Always,
            _ => telephony::RecordingPolicy::OnDemand,
        }
    }

    async fn queue_enter(&self, call: &telephony::events::ActiveCall, queue: i64) -> telephony::queue::QueueTicket {
        self.enter_queue(call, queue).await
    }

    fn queue_report(&self, tenant: i64, call_id: &str, report: telephony::queue::QueueReport) {
        self.queue_reported(crate::OrgId(tenant), call_id, report);
    }

    async fn trunks_to_register(&self) -> Vec<Trunk> {
        let Ok(r) = self.routing().await else { return vec![] };
        r.trunks
            .iter()
            .filter(|t| t.register)
            .filter_map(|t| Some(trunk_of(t, r.realms.get(&t.org_id)?.clone())))
            .collect()
    }
}
