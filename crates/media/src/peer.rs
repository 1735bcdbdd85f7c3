//! Whose packets a leg takes: the party's, never an outsider's who sprays the RTP range.
//!
//! A leg takes media from the address the party's SDP named. A party behind NAT names a private
//! address its packets cannot come from; then — and only then — the leg takes packets from the
//! address its SIP signalling came from, at whatever port the NAT chose, and sends back there.
//! An outsider would have to send from the party's own address (or its NAT's) to be heard, and
//! it is never sent anything it did not already have.

use std::net::{IpAddr, SocketAddr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Peer {
    /// Where the party's SDP said it takes audio (`None`: on hold, or no SDP yet).
    sdp: Option<SocketAddr>,
    /// The address the party's signalling came from (or went to), when known.
    signal: Option<IpAddr>,
    /// The address its packets were last accepted from, when different from the SDP's (NAT).
    latched: Option<SocketAddr>,
}

impl Peer {
    pub fn new(sdp: Option<SocketAddr>, signal: Option<IpAddr>) -> Peer {
        Peer { sdp, signal, latched: None }
    }

    /// The same party, its SDP now saying `sdp` (a re-INVITE, a new answer).
    pub fn with_sdp(self, sdp: Option<SocketAddr>) -> Peer {
        Peer { sdp, latched: None, ..self }
    }

    /// Whether the party is behind NAT: its SDP names another address than its signalling's.
    fn behind_nat(&self) -> bool {
        match (self.sdp, self.signal) {
            (Some(s), Some(ip)) => s.ip() != ip,
            (None, Some(_)) => true,
            _ => false,
        }
    }

    /// Whether a packet from `from` is the party's. A NAT'd party's packets move the address
    /// we send to (its NAT may change the port); nobody else's do.
    pub fn admit(&mut self, from: SocketAddr) -> bool {
        if Some(from) == self.sdp {
            self.latched = None;
            return true;
        }
        if self.behind_nat() && Some(from.ip()) == self.signal {
            self.latched = Some(from);
            return true;
        }
        false
    }

    /// Where the party's audio goes.
    pub fn target(&self) -> Option<SocketAddr> {
        self.latched.or(self.sdp)
    }
}

impl From<Option<SocketAddr>> for Peer {
    fn from(sdp: Option<SocketAddr>) -> Peer {
        Peer::new(sdp, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_the_sdp_address_is_the_party_when_it_is_not_behind_nat() {
        let mut p = Peer::new(Some(a("10.0.0.5:4000")), Some("10.0.0.5".parse().unwrap()));
        assert!(!p.admit(a("10.0.0.9:4000")), "another host");
        assert!(!p.admit(a("10.0.0.5:4002")), "another port of the same host");
        assert!(p.admit(a("10.0.0.5:4000")));
        assert_eq!(p.target(), Some(a("10.0.0.5:4000")));
    }

    #[test]
    fn behind_nat_the_signalling_address_is_the_party_at_any_port() {
        let mut p = Peer::new(Some(a("192.168.1.20:4000")), Some("203.0.113.7".parse().unwrap()));
        assert!(!p.admit(a("198.51.100.1:4000")), "an outsider");
        assert!(p.admit(a("203.0.113.7:61000")));
        assert_eq!(p.target(), Some(a("203.0.113.7:61000")));
        assert!(!p.admit(a("198.51.100.1:61000")));
        assert_eq!(p.target(), Some(a("203.0.113.7:61000")), "an outsider moves nothing");
    }

    #[test]
    fn without_an_address_nobody_is_heard() {
        let mut p = Peer::default();
        assert!(!p.admit(a("127.0.0.1:4000")));
        assert_eq!(p.target(), None);
    }
}
