//! What a trunk may point at: a real carrier, never Switchboard itself. A trunk whose host or
//! inbound address is this machine (loopback, 0.0.0.0/::, the server's own addresses) would
//! let one organization's administrator claim calls that come from inside Switchboard, or make
//! the server call itself; such settings are refused with a message, and nothing is stored.

use crate::error::Checks;
use std::net::{IpAddr, SocketAddr};

/// The longest host name DNS allows, and the longest trunk name.
const MAX_HOST: usize = 253;
pub const MAX_NAME: usize = 100;

/// The node's own addresses, and whether trunks may be on loopback (tests, where carriers are
/// sipp on 127.0.0.2).
#[derive(Debug, Clone, Default)]
pub struct CarrierRules {
    /// Trunks may name loopback addresses (127.0.0.0/8, ::1): only for tests on one machine.
    pub loopback_allowed: bool,
    /// The addresses Switchboard listens on (SIP, web) and sends media from.
    pub own: Vec<SocketAddr>,
}

impl CarrierRules {
    /// Whether `ip` is this machine as a carrier address.
    fn ours(&self, ip: IpAddr) -> bool {
        ip.is_unspecified()
            || (ip.is_loopback() && !self.loopback_allowed)
            || self.own.iter().any(|a| !a.ip().is_unspecified() && !a.ip().is_loopback() && a.ip() == ip)
    }

    /// Whether `ip:port` is one of the sockets Switchboard itself listens on (one bound to
    /// 0.0.0.0 or :: listens on every address of this machine, loopback included).
    fn own_port(&self, ip: IpAddr, port: u16) -> bool {
        self.own.iter().any(|a| a.port() == port && (a.ip() == ip || (a.ip().is_unspecified() && ip.is_loopback())))
    }

    /// Checks a trunk's name, host and port; pushes the field's error.
    pub(crate) fn check_trunk(&self, name: &str, host: &str, port: u16, c: &mut Checks) {
        if name.chars().count() > MAX_NAME {
            c.push("name", "err-trunk-name-long");
        }
        let host = host.trim();
        let ip = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok();
        if !(ip.is_some() || host_name(host)) {
            c.push("host", "err-trunk-host");
        } else if ip.is_some_and(|ip| self.ours(ip))
            || (!self.loopback_allowed && host.eq_ignore_ascii_case("localhost"))
        {
            c.push("host", "err-trunk-own-address");
        } else if ip.is_some_and(|ip| self.own_port(ip, port)) {
            c.push("port", "err-trunk-own-port");
        }
    }

    /// Checks the addresses a trunk's calls come from.
    pub(crate) fn check_inbound(&self, addresses: &[String], c: &mut Checks) {
        let ips: Vec<Option<IpAddr>> = addresses.iter().map(|a| a.trim().parse().ok()).collect();
        if ips.iter().any(Option::is_none) {
            c.push("inbound_addresses", "err-trunk-inbound");
        } else if ips.iter().flatten().any(|ip| self.ours(*ip)) {
            c.push("inbound_addresses", "err-trunk-own-address");
        }
    }
}

/// A DNS host name: at most 253 characters, dot-separated labels of 1–63 letters, digits and
/// hyphens, none starting or ending with a hyphen.
fn host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= MAX_HOST
        && host.trim_end_matches('.').split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(rules: &CarrierRules, name: &str, host: &str, port: u16) -> Vec<String> {
        let mut c = Checks::default();
        rules.check_trunk(name, host, port, &mut c);
        match c.finish() {
            Ok(()) => vec![],
            Err(crate::CrmError::Invalid(e)) => e.into_iter().map(|f| f.code.to_string()).collect(),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn switchboard_itself_and_malformed_hosts_are_refused() {
        let rules = CarrierRules {
            loopback_allowed: false,
            own: vec!["127.0.0.1:8080".parse().unwrap(), "10.1.1.5:5060".parse().unwrap()],
        };
        for (host, port, error) in [
            ("127.0.0.1", 5060, "err-trunk-own-address"),
            ("127.0.0.7", 5060, "err-trunk-own-address"),
            ("localhost", 5060, "err-trunk-own-address"),
            ("::1", 5060, "err-trunk-own-address"),
            ("[::1]", 5060, "err-trunk-own-address"),
            ("0.0.0.0", 5060, "err-trunk-own-address"),
            ("::", 5060, "err-trunk-own-address"),
            ("10.1.1.5", 5070, "err-trunk-own-address"),
            ("sip..carrier.pl", 5060, "err-trunk-host"),
            ("-sip.carrier.pl", 5060, "err-trunk-host"),
            ("sip.carrier.pl/x", 5060, "err-trunk-host"),
            ("sip carrier", 5060, "err-trunk-host"),
            (&format!("{}.pl", "a.".repeat(130)), 5060, "err-trunk-host"),
        ] {
            assert_eq!(errors(&rules, "Carrier", host, port), vec![error.to_string()], "{host}:{port}");
        }
        assert_eq!(errors(&rules, &"n".repeat(101), "sip.carrier.pl", 5060), vec!["err-trunk-name-long".to_string()]);
        assert!(errors(&rules, "Carrier", "sip.carrier.pl", 5060).is_empty());
        assert!(errors(&rules, "Carrier", "192.0.2.10", 5060).is_empty());
        assert!(errors(&rules, "Carrier", "2001:db8::1", 5060).is_empty());
    }

    #[test]
    fn with_loopback_allowed_for_tests_only_our_own_ports_are_refused() {
        let rules = CarrierRules {
            loopback_allowed: true,
            own: vec!["127.0.0.1:8080".parse().unwrap(), "127.0.0.1:5060".parse().unwrap()],
        };
        assert!(errors(&rules, "Carrier", "127.0.0.2", 5070).is_empty());
        assert_eq!(errors(&rules, "Carrier", "127.0.0.1", 8080), vec!["err-trunk-own-port".to_string()]);
        assert!(errors(&rules, "Carrier", "127.0.0.2", 5060).is_empty(), "another address than ours");
        let everywhere = CarrierRules { loopback_allowed: true, own: vec!["0.0.0.0:5060".parse().unwrap()] };
        assert_eq!(errors(&everywhere, "Carrier", "127.0.0.2", 5060), vec!["err-trunk-own-port".to_string()]);
        assert_eq!(errors(&rules, "Carrier", "0.0.0.0", 5070), vec!["err-trunk-own-address".to_string()]);
    }
}
