//! The location service: where each extension's phones are (several contacts per extension,
//! each with its own expiry). Held in memory by the node that took the REGISTER.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The Contact URI the phone registered.
    pub contact: String,
    /// Where its REGISTER came from: calls go here, which also works behind NAT.
    pub source: SocketAddr,
    /// "UDP" or "TCP".
    pub transport: String,
    pub call_id: String,
    pub cseq: u32,
    pub expires_at: Instant,
}

impl Binding {
    pub fn remaining(&self, now: Instant) -> Duration {
        self.expires_at.saturating_duration_since(now)
    }
}

/// A change asked by one REGISTER.
#[derive(Debug, Clone)]
pub enum Change {
    /// Add or refresh this contact for `expires`.
    Set { contact: String, expires: Duration },
    /// Remove this contact.
    Remove { contact: String },
    /// `Contact: *` with `Expires: 0`.
    RemoveAll,
}

#[derive(Default)]
pub struct Location {
    bindings: Mutex<HashMap<(i64, String), Vec<Binding>>>,
}

/// At most this many phones per extension; the oldest is dropped beyond it.
pub const MAX_CONTACTS: usize = 10;

impl Location {
    /// Applies a REGISTER's changes and returns the extension's live bindings. A REGISTER older
    /// than the one already seen for a contact (same Call-ID, lower CSeq) changes nothing.
    // What a REGISTER says of its contacts and where it came from, as the registrar read it.
    #[allow(clippy::too_many_arguments)]
    pub fn apply(
        &self,
        tenant: i64,
        extension: &str,
        source: SocketAddr,
        transport: &str,
        call_id: &str,
        cseq: u32,
        changes: Vec<Change>,
    ) -> Vec<Binding> {
        let now = Instant::now();
        let mut all = self.bindings.lock().expect("location lock");
        let list = all.entry((tenant, extension.to_string())).or_default();
        list.retain(|b| b.expires_at > now);
        for change in changes {
            match change {
                Change::RemoveAll => list.clear(),
                Change::Remove { contact } => list.retain(|b| b.contact != contact),
                Change::Set { contact, expires } => {
                    if let Some(b) = list.iter_mut().find(|b| b.contact == contact) {
                        if b.call_id == call_id && cseq < b.cseq {
                            continue;
                        }
                        b.source = source;
                        b.transport = transport.to_string();
                        b.call_id = call_id.to_string();
                        b.cseq = cseq;
                        b.expires_at = now + expires;
                    } else {
                        list.push(Binding {
                            contact,
                            source,
                            transport: transport.to_string(),
                            call_id: call_id.to_string(),
                            cseq,
                            expires_at: now + expires,
                        });
                        if list.len() > MAX_CONTACTS {
                            list.sort_by_key(|b| b.expires_at);
                            list.remove(0);
                        }
                    }
                }
            }
        }
        let out = list.clone();
        if list.is_empty() {
            all.remove(&(tenant, extension.to_string()));
        }
        out
    }

    /// The extension's live bindings (calls fork to all of them).
    pub fn lookup(&self, tenant: i64, extension: &str) -> Vec<Binding> {
        let now = Instant::now();
        let all = self.bindings.lock().expect("location lock");
        all.get(&(tenant, extension.to_string()))
            .map(|v| v.iter().filter(|b| b.expires_at > now).cloned().collect())
            .unwrap_or_default()
    }

    /// Whether a phone of any extension is registered from `ip` now.
    pub fn has_source(&self, ip: std::net::IpAddr) -> bool {
        let now = Instant::now();
        let all = self.bindings.lock().expect("location lock");
        all.values().flatten().any(|b| b.expires_at > now && b.source.ip() == ip)
    }

    /// Drops expired bindings; run now and then.
    pub fn purge(&self) {
        let now = Instant::now();
        let mut all = self.bindings.lock().expect("location lock");
        all.retain(|_, v| {
            v.retain(|b| b.expires_at > now);
            !v.is_empty()
        });
    }
}
