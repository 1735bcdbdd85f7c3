//! SIP digest authentication (RFC 8760 / RFC 7616): MD5 and SHA-256, qop=auth. A nonce carries
//! its own time and a hash keyed with this process's secret over the realm and the address it
//! was sent to; a header is good once (its nonce count must grow, a nonce without qop is used
//! once), only from the address that got the challenge, and only for the Request-URI and
//! method it was computed for. A captured header is worth nothing to whoever captured it.

use md5::Md5;
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    pub fn hash(self, s: &str) -> String {
        match self {
            Algorithm::Md5 => hex::encode(Md5::digest(s.as_bytes())),
            Algorithm::Sha256 => hex::encode(Sha256::digest(s.as_bytes())),
        }
    }

    fn parse(s: &str) -> Option<Algorithm> {
        match s.to_ascii_uppercase().as_str() {
            "MD5" => Some(Algorithm::Md5),
            "SHA-256" => Some(Algorithm::Sha256),
            _ => None,
        }
    }
}

/// How long a nonce is good for; an older one gets `stale=true` (the phone retries silently).
pub const NONCE_LIFETIME_SECS: u64 = 300;

/// How many used nonces are remembered before the expired ones are dropped.
const SEEN_PURGE_AT: usize = 4096;

/// Makes and checks nonces with a secret of this process, and remembers the nonce counts used.
#[derive(Clone)]
pub struct Nonces {
    secret: [u8; 32],
    /// Nonce → the highest nonce count accepted with it (`u32::MAX`: used without qop).
    seen: Arc<Mutex<HashMap<String, u32>>>,
}

impl Nonces {
    pub fn new(secret: [u8; 32]) -> Nonces {
        Nonces { secret, seen: Arc::default() }
    }

    pub fn random() -> Nonces {
        Nonces::new(rand::random())
    }

    fn mac(&self, ts: u64, salt: &str, realm: &str, to: IpAddr) -> String {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(ts.to_be_bytes());
        h.update(salt.as_bytes());
        h.update(realm.as_bytes());
        h.update(to.to_string().as_bytes());
        hex::encode(&h.finalize()[..12])
    }

    /// A nonce for a challenge sent to `to`.
    pub fn make(&self, realm: &str, to: IpAddr) -> String {
        self.make_at(now_secs(), realm, to)
    }

    /// `time.salt.mac`: the salt makes each challenge's nonce its own (phones behind one NAT
    /// challenged in the same second must not share a nonce and its counts).
    fn make_at(&self, ts: u64, realm: &str, to: IpAddr) -> String {
        let salt = format!("{:x}", rand::random::<u64>());
        format!("{ts:x}.{salt}.{}", self.mac(ts, &salt, realm, to))
    }

    /// `Some(true)` fresh, `Some(false)` genuine but stale, `None` forged or sent to another
    /// address than `from`.
    pub fn check(&self, nonce: &str, realm: &str, from: IpAddr) -> Option<bool> {
        let mut parts = nonce.splitn(3, '.');
        let (ts, salt, mac) = (parts.next()?, parts.next()?, parts.next()?);
        let ts = u64::from_str_radix(ts, 16).ok()?;
        if !constant_eq(mac.as_bytes(), self.mac(ts, salt, realm, from).as_bytes()) {
            return None;
        }
        Some(now_secs().saturating_sub(ts) <= NONCE_LIFETIME_SECS)
    }

    /// Takes nonce count `nc` of `nonce` (None: no qop, the nonce is used once); false when
    /// it was taken before — a replay.
    fn take(&self, nonce: &str, nc: Option<u32>) -> bool {
        let mut seen = self.seen.lock().expect("nonces lock");
        if seen.len() >= SEEN_PURGE_AT {
            let now = now_secs();
            seen.retain(|n, _| {
                let ts = n.split_once('.').and_then(|(t, _)| u64::from_str_radix(t, 16).ok()).unwrap_or(0);
                now.saturating_sub(ts) <= NONCE_LIFETIME_SECS
            });
        }
        let last = seen.get(nonce).copied();
        let ok = match (nc, last) {
            (_, None) => true,
            (Some(nc), Some(last)) => last != u32::MAX && nc > last,
            (None, Some(_)) => false,
        };
        if ok {
            seen.insert(nonce.to_string(), nc.unwrap_or(u32::MAX));
        }
        ok
    }
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

pub(crate) fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The `WWW-Authenticate` values to send. MD5 comes first: many phones (and sipp) read only the
/// first challenge and know only MD5; phones that know SHA-256 find it in the second one.
pub fn challenges(nonces: &Nonces, realm: &str, to: IpAddr, stale: bool) -> Vec<String> {
    let nonce = nonces.make(realm, to);
    let stale = if stale { ", stale=true" } else { "" };
    [Algorithm::Md5, Algorithm::Sha256]
        .iter()
        .map(|a| format!("Digest realm=\"{realm}\", nonce=\"{nonce}\", algorithm={}, qop=\"auth\"{stale}", a.name()))
        .collect()
}

/// The fields of an `Authorization: Digest …` header.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub algorithm: Option<String>,
    pub qop: Option<String>,
    pub nc: Option<String>,
    pub cnonce: Option<String>,
}

/// Parses `Digest k=v, k="v", …`; `None` when it is not a well-formed digest header.
pub fn parse_authorization(value: &str) -> Option<Credentials> {
    let rest = value.trim();
    let scheme_end = rest.find(char::is_whitespace)?;
    if !rest[..scheme_end].eq_ignore_ascii_case("digest") {
        return None;
    }
    let mut c = Credentials::default();
    for (k, v) in params(&rest[scheme_end..])? {
        let v = v.to_string();
        match k.to_ascii_lowercase().as_str() {
            "username" => c.username = v,
            "realm" => c.realm = v,
            "nonce" => c.nonce = v,
            "uri" => c.uri = v,
            "response" => c.response = v,
            "algorithm" => c.algorithm = Some(v),
            "qop" => c.qop = Some(v),
            "nc" => c.nc = Some(v),
            "cnonce" => c.cnonce = Some(v),
            _ => {}
        }
    }
    let complete = !c.username.is_empty() && !c.nonce.is_empty() && !c.response.is_empty() && !c.uri.is_empty();
    complete.then_some(c)
}

/// Splits `k=v, k="quoted, with comma"` pairs; `None` on an unterminated quote or a bare word.
fn params(s: &str) -> Option<Vec<(&str, &str)>> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let eq = rest.find('=')?;
        let key = rest[..eq].trim();
        if key.is_empty() || key.contains(',') {
            return None;
        }
        let after = rest[eq + 1..].trim_start();
        let (val, next) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"')?;
            (&q[..end], &q[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim(), &after[end..])
        };
        out.push((key, val));
        rest = next.trim_start().trim_start_matches(',').trim_start();
    }
    Some(out)
}

/// The outcome of checking credentials against a password.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// Right password, old nonce: challenge again with stale=true.
    Stale,
    /// A wrong password (or user) in answer to our challenge to this address: a real try.
    Wrong,
    /// Not an answer to a challenge we sent this address (a forged or foreign nonce, another
    /// realm), or a header used before (replay), or computed for another request: challenge
    /// again. It says nothing about the password and is not held against the address.
    Unproven,
}

/// What the credentials must have been computed for: the request's method and Request-URI,
/// and the address it came from.
pub struct Request<'a> {
    pub method: &'a str,
    pub uri: &'a str,
    pub from: IpAddr,
}

/// Whether the `uri` of the credentials names the request's Request-URI (RFC 3261 §22.4: the
/// same URI). What matters is the user part, the number called: when the digest URI names
/// one, it must be the request's. Some phones (and sipp) put only the address they sent to,
/// with its port and no user; that is accepted, as such a header can authorize nothing else —
/// its nonce was sent to this address only and is good once.
fn same_uri(digest_uri: &str, request_uri: &str) -> bool {
    fn user(u: &str) -> Option<String> {
        let u = rsipstack::sip::Uri::try_from(u).ok()?;
        Some(u.auth.map(|a| a.user).unwrap_or_default())
    }
    digest_uri == request_uri
        || match (user(digest_uri), user(request_uri)) {
            (Some(d), Some(r)) => d.is_empty() || d == r,
            _ => false,
        }
}

pub fn verify(c: &Credentials, req: &Request, realm: &str, password: &str, nonces: &Nonces) -> Verdict {
    let Some(alg) = Algorithm::parse(c.algorithm.as_deref().unwrap_or("MD5")) else { return Verdict::Unproven };
    if c.realm != realm {
        return Verdict::Unproven;
    }
    let Some(fresh) = nonces.check(&c.nonce, realm, req.from) else { return Verdict::Unproven };
    if !same_uri(&c.uri, req.uri) {
        return Verdict::Unproven;
    }
    let method = req.method;
    let ha1 = alg.hash(&format!("{}:{realm}:{password}", c.username));
    let ha2 = alg.hash(&format!("{method}:{}", c.uri));
    let expected = match (c.qop.as_deref(), &c.nc, &c.cnonce) {
        (Some(qop), Some(nc), Some(cnonce)) if qop.eq_ignore_ascii_case("auth") => {
            alg.hash(&format!("{ha1}:{}:{nc}:{cnonce}:{qop}:{ha2}", c.nonce))
        }
        (None, _, _) => alg.hash(&format!("{ha1}:{}:{ha2}", c.nonce)),
        _ => return Verdict::Wrong,
    };
    if !constant_eq(expected.as_bytes(), c.response.to_ascii_lowercase().as_bytes()) {
        Verdict::Wrong
    } else if !fresh {
        Verdict::Stale
    } else if !nonces.take(&c.nonce, c.nc.as_deref().and_then(|nc| u32::from_str_radix(nc, 16).ok())) {
        Verdict::Unproven // the same header again
    } else {
        Verdict::Ok
    }
}

/// Builds an `Authorization` value as a phone would (nonce count 1); for tests.
// The inputs of RFC 7616's response, in its order.
#[allow(clippy::too_many_arguments)]
pub fn respond(
    challenge_realm: &str,
    nonce: &str,
    alg: Algorithm,
    user: &str,
    password: &str,
    method: &str,
    uri: &str,
    cnonce: &str,
) -> String {
    respond_nc(challenge_realm, nonce, alg, user, password, method, uri, cnonce, 1)
}

/// Like [`respond`], with the nonce count `nc` (a phone reusing a nonce counts up).
#[allow(clippy::too_many_arguments)]
pub fn respond_nc(
    challenge_realm: &str,
    nonce: &str,
    alg: Algorithm,
    user: &str,
    password: &str,
    method: &str,
    uri: &str,
    cnonce: &str,
    nc: u32,
) -> String {
    let ha1 = alg.hash(&format!("{user}:{challenge_realm}:{password}"));
    let ha2 = alg.hash(&format!("{method}:{uri}"));
    let nc = format!("{nc:08x}");
    let response = alg.hash(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"));
    format!(
        "Digest username=\"{user}\", realm=\"{challenge_realm}\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{response}\", algorithm={}, qop=auth, nc={nc}, cnonce=\"{cnonce}\"",
        alg.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_2617_md5_example_without_qop() {
        // RFC 2617 §3.5 computes with qop; the HA1 part is checked here against a known value.
        assert_eq!(Algorithm::Md5.hash("Mufasa:testrealm@host.com:Circle Of Life"), "939e7578ed9e3c518a452acee763bce9");
    }

    const HERE: &str = "192.0.2.1";

    fn req(method: &'static str, uri: &'static str) -> Request<'static> {
        Request { method, uri, from: HERE.parse().unwrap() }
    }

    #[test]
    fn both_algorithms_round_trip_and_wrong_passwords_fail() {
        let n = Nonces::random();
        for alg in [Algorithm::Md5, Algorithm::Sha256] {
            let nonce = n.make("acme.sw", HERE.parse().unwrap());
            let h = respond("acme.sw", &nonce, alg, "1001", "secret99", "REGISTER", "sip:acme.sw", "abc");
            let c = parse_authorization(&h).unwrap();
            let r = req("REGISTER", "sip:acme.sw");
            assert_eq!(verify(&c, &r, "acme.sw", "secret98", &n), Verdict::Wrong);
            assert_eq!(verify(&c, &r, "other.sw", "secret99", &n), Verdict::Unproven, "another realm");
            assert_eq!(verify(&c, &r, "acme.sw", "secret99", &Nonces::random()), Verdict::Unproven, "forged nonce");
            assert_eq!(verify(&c, &r, "acme.sw", "secret99", &n), Verdict::Ok, "{alg:?}");
        }
    }

    #[test]
    fn a_header_is_good_once_from_the_challenged_address_for_its_own_request() {
        let n = Nonces::random();
        let nonce = n.make("acme.sw", HERE.parse().unwrap());
        let h = respond("acme.sw", &nonce, Algorithm::Md5, "1001", "pw", "INVITE", "sip:0221234567@acme.sw", "c");
        let c = parse_authorization(&h).unwrap();
        let elsewhere =
            Request { method: "INVITE", uri: "sip:0221234567@acme.sw", from: "198.51.100.9".parse().unwrap() };
        assert_eq!(verify(&c, &elsewhere, "acme.sw", "pw", &n), Verdict::Unproven, "from another address");
        let other_number = req("INVITE", "sip:0048600111222@acme.sw");
        assert_eq!(verify(&c, &other_number, "acme.sw", "pw", &n), Verdict::Unproven, "for another number");
        let register = req("REGISTER", "sip:0221234567@acme.sw");
        assert_eq!(verify(&c, &register, "acme.sw", "pw", &n), Verdict::Wrong, "for another method");
        let own = req("INVITE", "sip:0221234567@acme.sw");
        assert_eq!(verify(&c, &own, "acme.sw", "pw", &n), Verdict::Ok);
        assert_eq!(verify(&c, &own, "acme.sw", "pw", &n), Verdict::Unproven, "the same header again");
        // The next nonce count of the same nonce is a new header: good.
        let h2 =
            respond_nc("acme.sw", &nonce, Algorithm::Md5, "1001", "pw", "INVITE", "sip:0221234567@acme.sw", "c", 2);
        assert_eq!(verify(&parse_authorization(&h2).unwrap(), &own, "acme.sw", "pw", &n), Verdict::Ok);
    }

    #[test]
    fn old_nonces_are_stale_not_wrong() {
        let n = Nonces::random();
        let nonce = n.make_at(now_secs() - NONCE_LIFETIME_SECS - 10, "r", HERE.parse().unwrap());
        let h = respond("r", &nonce, Algorithm::Md5, "u", "p4ssword", "REGISTER", "sip:r", "c");
        assert_eq!(
            verify(&parse_authorization(&h).unwrap(), &req("REGISTER", "sip:r"), "r", "p4ssword", &n),
            Verdict::Stale
        );
    }

    #[test]
    fn malformed_headers_are_refused_without_panic() {
        for bad in [
            "",
            "Digest",
            "Basic dXNlcg==",
            "Digest username=\"a",
            "Digest =x",
            "Digest a",
            "Digest username=\"u\", nonce=, uri=\"x\"",
            "Digest ,,,,",
        ] {
            assert!(parse_authorization(bad).is_none(), "{bad:?}");
        }
    }
}
