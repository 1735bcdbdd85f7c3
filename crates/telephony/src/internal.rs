//! Legs Switchboard makes to itself — the browser phones' user agent in this process — are
//! known by a key made at start and carried in a header, never by their source address: a
//! trunk may not claim them by naming 127.0.0.1, the scanner guard never counts or bans them,
//! and they need no SIP password (the web session already said who the user is, and the
//! phone's registration follows a new SIP password without a reload). The key never leaves
//! the machine: it is sent over loopback only, and never copied onto a leg the B2BUA makes.

use rsipstack::sip::{Header, Request};

/// The header that carries the key.
pub const HEADER: &str = "X-Switchboard-Internal";

#[derive(Clone)]
pub struct InternalKey(String);

impl InternalKey {
    pub fn random() -> InternalKey {
        InternalKey(hex::encode(rand::random::<[u8; 24]>()))
    }

    /// The header a request of the in-process user agent carries.
    pub fn header(&self) -> Header {
        Header::Other(HEADER.into(), self.0.clone())
    }

    /// Whether `req` was sent by this process's own user agent.
    pub(crate) fn vouches(&self, req: &Request) -> bool {
        req.headers.iter().any(|h| match h {
            Header::Other(name, value) if name.eq_ignore_ascii_case(HEADER) => {
                crate::digest::constant_eq(value.trim().as_bytes(), self.0.as_bytes())
            }
            _ => false,
        })
    }
}

impl std::fmt::Debug for InternalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InternalKey(…)")
    }
}
