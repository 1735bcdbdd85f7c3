//! The Switchboard domain: organizations, users, log-in, sessions, API tokens and events,
//! with the business rules over them. Every query here is filtered by organization.

pub mod agent_status;
pub mod auth;
pub mod call_log;
pub mod calls;
pub mod cases;
pub mod clock;
pub mod contacts;
pub mod error;
pub mod events;
pub mod handling;
pub mod import;
pub mod mail;
pub mod missed;
pub mod orgs;
pub mod password;
pub mod phone;
pub mod phonebook;
pub mod preferences;
pub mod sessions;
pub mod sip_cache;
pub mod sip_directory;
pub mod throttle;
pub mod tokens;
pub mod trunks;
pub mod types;
pub mod users;

pub use chrono_tz::{TZ_VARIANTS, Tz};
pub use clock::Clock;
pub use error::{CrmError, FieldError};
pub use events::{Audience, Event, EventBus};
pub use orgs::Organization;
pub use sessions::Session;
pub use store::Store;
pub use types::*;
pub use users::User;

/// The services of the domain over one store; cheap to clone.
#[derive(Clone)]
pub struct Crm {
    pub store: Store,
    pub bus: EventBus,
    pub clock: Clock,
    /// The SIP server of this node, once it runs (calls are placed and commanded through it).
    pub telephony: Option<std::sync::Arc<telephony::SipServer>>,
    pub(crate) sip_cache: std::sync::Arc<sip_cache::SipCache>,
    /// The retention of missed calls (days) for organizations that have not set their own.
    pub missed_retention_days: i32,
    /// Where uploaded files are kept (the data directory's `files`).
    pub files: std::path::PathBuf,
}

impl Crm {
    /// Builds the services and starts the event bus (which on PostgreSQL listens to other nodes).
    pub async fn start(store: Store) -> Result<Crm, CrmError> {
        let clock = Clock::system();
        let bus = EventBus::start(store.clone()).await?;
        Ok(Crm {
            store,
            bus,
            clock,
            telephony: None,
            sip_cache: Default::default(),
            missed_retention_days: 30,
            files: std::env::temp_dir().join(format!("switchboard-files-{}", std::process::id())),
        })
    }

    pub(crate) fn db(&self) -> &store::sea_orm::DatabaseConnection {
        self.store.conn()
    }

    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}
