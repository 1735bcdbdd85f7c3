//! The Switchboard domain: organizations, users, calls, contacts, cases, missed calls and
//! imports, with the business rules over them. Every query here is filtered by organization.

pub mod agents;
pub mod billing;
pub mod calls;
pub mod cases;
pub mod clock;
pub mod contacts;
pub mod error;
pub mod events;
pub mod identity;
pub mod imports;
pub mod missed;
pub mod organization;
pub mod outbound;
pub mod queues;
pub mod reports;
pub mod search;
pub mod sip;
pub mod storage;
pub mod types;

pub use calls::feed::Following;
pub use chrono_tz::{TZ_VARIANTS, Tz};
pub use clock::Clock;
pub use error::{CrmError, FieldError};
pub use events::{Audience, Event, EventBus};
pub use identity::sessions::Session;
pub use identity::users::User;
pub use organization::Organization;
pub use store::Store;
pub use store::entities::user::PhoneType;
pub use types::*;

/// The services of the domain over one store; cheap to clone. Built complete by `start`: the
/// SIP server is attached once it runs (`attach`).
#[derive(Clone)]
pub struct Crm {
    store: Store,
    bus: EventBus,
    clock: Clock,
    /// The SIP server of this node, once attached (calls are placed and commanded through it).
    telephony: std::sync::Arc<std::sync::OnceLock<std::sync::Arc<telephony::SipServer>>>,
    pub(crate) sip_cache: std::sync::Arc<sip::cache::SipCache>,
    /// Each organization's queue desk (agents' states, callers waiting).
    pub(crate) acd: std::sync::Arc<queues::acd::Acd>,
    missed_retention_days: i32,
    files: std::path::PathBuf,
    /// Bytes of uploaded files one organization may keep (`storage.rs`).
    pub(crate) storage_quota: u64,
    /// Call events the store could not take yet (`calls/spool.rs`), and how many.
    pub(crate) spool: std::sync::Arc<tokio::sync::Mutex<calls::spool::Spool>>,
    pub(crate) spooled: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// This node's name: its calls in progress carry it (`calls/recovery.rs`).
    pub(crate) node: String,
    /// What trunks may point at (`sip/carriers.rs`).
    pub(crate) carriers: std::sync::Arc<std::sync::RwLock<sip::carriers::CarrierRules>>,
    /// The agents dialing progressively on this node (`outbound/dialing.rs`).
    pub(crate) dialing: std::sync::Arc<outbound::dialing::Sessions>,
    /// On SQLite the call lists' writes queue here in order (`outbound::lease::list_gate`).
    pub(crate) list_gate: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Each organization's asks for numbers, served together (`outbound/dispenser.rs`).
    pub(crate) dispensers: std::sync::Arc<outbound::dispenser::Dispensers>,
}

/// What a node sets up the domain with.
#[derive(Debug, Clone)]
pub struct CrmSettings {
    /// The retention of missed calls (days) for organizations that have not set their own.
    pub missed_retention_days: i32,
    /// Where uploaded files are kept (the data directory's `files`).
    pub files: std::path::PathBuf,
    /// Bytes of uploaded files (case attachments, import files) one organization may keep.
    pub storage_per_organization: u64,
    /// Where call events wait when the store cannot take them (the data directory's
    /// `spool`); none: a folder of its own under the temporary directory.
    pub spool: Option<std::path::PathBuf>,
    /// This node's name, the same from one run to the next (its calls left open by a crash are
    /// closed at its next start); none: a name of its own for this process.
    pub node: Option<String>,
    /// What trunks may point at: never this node's own addresses, nor loopback unless allowed.
    pub carriers: sip::carriers::CarrierRules,
}

impl Default for CrmSettings {
    fn default() -> CrmSettings {
        CrmSettings {
            missed_retention_days: 30,
            files: std::env::temp_dir().join(format!("switchboard-files-{}", std::process::id())),
            storage_per_organization: 10 << 30,
            spool: None,
            node: None,
            carriers: Default::default(),
        }
    }
}

impl Crm {
    /// Builds the services with default settings (files in a temporary folder).
    pub async fn start(store: Store) -> Result<Crm, CrmError> {
        Crm::start_with(store, CrmSettings::default()).await
    }

    /// Builds the services and starts the event bus (which on PostgreSQL listens to other nodes).
    pub async fn start_with(store: Store, settings: CrmSettings) -> Result<Crm, CrmError> {
        let bus = EventBus::start(store.clone()).await?;
        let spool_dir = settings.spool.clone().unwrap_or_else(|| {
            static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            std::env::temp_dir().join(format!("switchboard-spool-{}-{n}", std::process::id()))
        });
        let spool = calls::spool::Spool::open(&spool_dir)
            .map_err(|e| CrmError::Store(store::StoreError::Io(format!("{}: {e}", spool_dir.display()))))?;
        let crm = Crm {
            store,
            bus,
            clock: Clock::system(),
            telephony: Default::default(),
            sip_cache: Default::default(),
            acd: Default::default(),
            missed_retention_days: settings.missed_retention_days.clamp(1, 3650),
            files: settings.files,
            storage_quota: settings.storage_per_organization,
            spooled: spool.waiting(),
            spool: std::sync::Arc::new(tokio::sync::Mutex::new(spool)),
            node: settings.node.clone().unwrap_or_else(|| {
                static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
                let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                format!("process-{}-{n}", std::process::id())
            }),
            carriers: std::sync::Arc::new(std::sync::RwLock::new(settings.carriers)),
            dialing: Default::default(),
            list_gate: Default::default(),
            dispensers: Default::default(),
        };
        crm.follow_routing_changes();
        crm.start_journal();
        crm.count_missing_queue_days().await?;
        Ok(crm)
    }

    /// The addresses this node turned out to listen on (a port 0 in the settings is known
    /// only once bound): no trunk may point at them.
    pub fn listening_on(&self, addrs: &[std::net::SocketAddr]) {
        self.carriers.write().expect("carriers lock").own.extend_from_slice(addrs);
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The event bus the browsers' streams listen to.
    pub fn bus(&self) -> &EventBus {
        &self.bus
    }

    /// The clock every rule reads (tests move it forward).
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Where uploaded files are kept.
    pub fn files(&self) -> &std::path::Path {
        &self.files
    }

    pub(crate) fn db(&self) -> &store::sea_orm::DatabaseConnection {
        self.store.conn()
    }

    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}
