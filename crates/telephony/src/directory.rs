//! What the SIP side asks of the CRM: which organization a SIP domain belongs to, an
//! extension's SIP password, the organization's trunks, where its numbers ring, and what its
//! extensions may dial, and whom a caller waiting in a queue rings. Implemented by `crm` over the store.

use crate::events::ActiveCall;
use crate::queue::{QueueExit, QueueReport, QueueTicket};
use async_trait::async_trait;
use std::net::IpAddr;
use std::time::Duration;

/// An organization as SIP sees it: its id and its digest realm (its SIP domain).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tenant {
    pub id: i64,
    pub realm: String,
}

/// A carrier's SIP trunk: where calls go out, and (by address) where they come in from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trunk {
    pub id: i64,
    pub tenant: Tenant,
    /// Host name or address, and port, of the carrier's SIP server.
    pub host: String,
    pub port: u16,
    pub tcp: bool,
    /// Credentials for the carrier's digest challenges, if it asks.
    pub username: Option<String>,
    pub password: Option<String>,
    /// The carrier wants us to REGISTER (with the credentials) to send us calls.
    pub register: bool,
}

/// Where a call to one of the organization's numbers rings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundRoute {
    Extension(String),
    /// A ring group: all members at once (parallel) or one after another, each for `ring`.
    Group {
        members: Vec<String>,
        parallel: bool,
        ring: Duration,
    },
    /// A call queue of the organization: the caller waits with music for a free agent.
    Queue(i64),
}

/// How an extension's call to an outside number goes out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRoute {
    pub trunk: Trunk,
    /// The number to dial, as the carrier wants it.
    pub number: String,
    /// The organization's number presented to the called party.
    pub caller_id: String,
}

/// Whether an organization's calls are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingPolicy {
    /// Never: the record command is refused.
    Never,
    /// When an agent starts it (and until they stop it).
    #[default]
    OnDemand,
    /// Every answered call from the start, and nobody stops it.
    Always,
}

#[async_trait]
pub trait SipDirectory: Send + Sync + 'static {
    /// Whether the directory can answer at all. When it cannot (its store is down and it holds
    /// nothing read before) the SIP server answers 503 with Retry-After: a storage failure never
    /// becomes "not found" or "wrong password".
    async fn ready(&self) -> bool {
        true
    }

    /// The organization that owns `domain` (a SIP domain, or the server's own address on a
    /// single-organization install); `None` when nobody does.
    async fn tenant_for_domain(&self, domain: &str) -> Option<Tenant>;

    /// The SIP password of an active user's extension; `None` for an unknown or inactive one.
    async fn extension_secret(&self, tenant: &Tenant, extension: &str) -> Option<String>;

    /// The trunks a request from `source` may come through (carriers are known by address;
    /// several organizations may use the same carrier, each with its own numbers).
    async fn trunks_for_source(&self, _source: IpAddr) -> Vec<Trunk> {
        vec![]
    }

    /// Where a call from a trunk to `number` rings; `None` when it is not the organization's.
    async fn route_inbound(&self, _tenant: &Tenant, _number: &str) -> Option<InboundRoute> {
        None
    }

    /// How `extension` may call `dialled` outside; `None` when the dial rules forbid it or
    /// there is no trunk (the toll-fraud guard).
    async fn route_outbound(&self, _tenant: &Tenant, _extension: &str, _dialled: &str) -> Option<OutboundRoute> {
        None
    }

    /// The trunks that must keep a registration at their carrier.
    async fn trunks_to_register(&self) -> Vec<Trunk> {
        vec![]
    }

    /// Whether the organization's calls are recorded.
    async fn recording_policy(&self, _tenant: i64) -> RecordingPolicy {
        RecordingPolicy::OnDemand
    }

    /// A caller enters queue `queue` (the call is answered and hears music): wait for orders,
    /// or leave at once.
    async fn queue_enter(&self, _call: &ActiveCall, _queue: i64) -> QueueTicket {
        QueueTicket::Leave(QueueExit::HangUp)
    }

    /// How the last order went for a call waiting in a queue.
    fn queue_report(&self, _tenant: i64, _call_id: &str, _report: QueueReport) {}
}
