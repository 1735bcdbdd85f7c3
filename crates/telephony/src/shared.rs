//! What every handler of the SIP server shares (the directory, the location service, nonces,
//! the guard, dialogs, RTP ports, the calls in progress, the event channel), and where a
//! request came from. Held apart from `server` so the handlers need not name the server.

use crate::control::Calls;
use crate::digest::Nonces;
use crate::directory::SipDirectory;
use crate::events::CallEvent;
use crate::guard::Guard;
use crate::handover::Legs;
use crate::location::Location;
use media::{Music, RtpPorts};
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::sip::Uri;
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transport::SipConnection;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// What every handler shares.
pub(crate) struct Shared {
    pub directory: Arc<dyn SipDirectory>,
    pub location: Arc<Location>,
    pub nonces: Nonces,
    pub guard: Guard,
    /// Calls up per organization and extension, within their shares (`admission.rs`).
    pub admission: crate::admission::Admission,
    /// The echo tests running, per organization: their extensions (`call/echo.rs`).
    pub echoes: std::sync::Mutex<std::collections::HashMap<i64, std::collections::HashSet<String>>>,
    /// The key of this process's own user agent (the browser phones).
    pub internal: crate::InternalKey,
    pub dialogs: Arc<DialogLayer>,
    pub ports: RtpPorts,
    pub media_ip: IpAddr,
    /// Our Contact in dialogs we make.
    pub contact: Uri,
    pub events: broadcast::Sender<CallEvent>,
    pub ring_timeout: Duration,
    pub calls: Calls,
    /// Which call talks on which legs (for handovers between calls).
    pub legs: Legs,
    pub music: Music,
    pub recordings: Option<std::path::PathBuf>,
    /// What queues say to waiting callers.
    pub prompts: crate::prompts::Prompts,
    /// Legs (Call-IDs) whose BYE said the agent's browser phone was gone.
    pub gone: std::sync::Mutex<std::collections::HashSet<String>>,
}

/// The Reason a browser phone gives when it gives up a call its page left.
pub const BROWSER_GONE: &str = "agent's browser gone";

/// Where the request came from (the packet's source, not what its headers claim).
pub(crate) fn source_of(tx: &Transaction) -> Option<SocketAddr> {
    let c: &SipConnection = tx.connection.as_ref()?;
    let remote = c.get_remote_addr()?;
    remote.addr.to_string().parse().ok()
}
