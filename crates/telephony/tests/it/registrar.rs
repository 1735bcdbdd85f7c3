use crate::harness::{acme, explain, globex, ok, server, sipp};
use std::time::Duration;
use telephony::digest::{self, Algorithm};
use tokio::net::UdpSocket;

pub fn register_args<'a>(ext: &'a str, pw: &'a str, domain: &'a str) -> Vec<&'a str> {
    vec!["-s", ext, "-au", ext, "-ap", pw, "-key", "domain", domain]
}

#[tokio::test]
async fn a_phone_registers_with_its_sip_password_over_udp_and_tcp() {
    let srv = server().await;
    let o = sipp("register.xml", srv.local_addr(), &register_args("1001", "acme-1001-pw", "127.0.0.1")).await;
    assert!(ok(&o), "UDP: {}", explain(&o));
    assert_eq!(srv.location.lookup(acme().id, "1001").len(), 1);
    let mut tcp = register_args("1002", "acme-1002-pw", "acme.example");
    tcp.extend(["-t", "t1"]);
    let o = sipp("register.xml", srv.local_addr(), &tcp).await;
    assert!(ok(&o), "TCP: {}", explain(&o));
    let b = srv.location.lookup(acme().id, "1002");
    assert_eq!((b.len(), b[0].transport.as_str()), (1, "TCP"));
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_registers_nothing() {
    let srv = server().await;
    let o =
        sipp("register_refused.xml", srv.local_addr(), &register_args("1001", "not-the-password", "127.0.0.1")).await;
    assert!(ok(&o), "{}", explain(&o));
    assert!(srv.location.lookup(acme().id, "1001").is_empty());
}

#[tokio::test]
async fn the_same_extension_in_two_organizations_is_never_confused() {
    let srv = server().await;
    // globex's password does not open acme's 1001, and the other way round.
    let o =
        sipp("register_refused.xml", srv.local_addr(), &register_args("1001", "globex-1001-pw", "acme.example")).await;
    assert!(ok(&o), "{}", explain(&o));
    let o = sipp("register.xml", srv.local_addr(), &register_args("1001", "globex-1001-pw", "globex.example")).await;
    assert!(ok(&o), "{}", explain(&o));
    assert!(srv.location.lookup(acme().id, "1001").is_empty());
    assert_eq!(srv.location.lookup(globex().id, "1001").len(), 1);
}

#[tokio::test]
async fn options_is_answered() {
    let srv = server().await;
    let o = sipp("options.xml", srv.local_addr(), &[]).await;
    assert!(ok(&o), "{}", explain(&o));
}

/// Sends one request and returns the answer's text.
pub async fn exchange(sock: &UdpSocket, to: std::net::SocketAddr, msg: &str) -> Option<String> {
    sock.send_to(msg.as_bytes(), to).await.unwrap();
    let call_id = msg.lines().find_map(|l| l.strip_prefix("Call-ID: ")).map(|v| format!("Call-ID: {v}"));
    let call_id = call_id.as_deref();
    let mut buf = vec![0u8; 65536];
    let deadline = tokio::time::Instant::now() + Duration::from_millis(800);
    loop {
        match tokio::time::timeout_at(deadline, sock.recv_from(&mut buf)).await {
            Ok(Ok((n, _))) => {
                let text = String::from_utf8_lossy(&buf[..n]).to_string();
                // Keep-alive pongs ("\r\n") and answers to earlier requests are not answers to this one.
                if !text.trim().is_empty() && call_id.is_none_or(|id| text.contains(id)) {
                    return Some(text);
                }
            }
            _ => return None,
        }
    }
}

pub fn register_msg(
    local: std::net::SocketAddr,
    ext: &str,
    domain: &str,
    cseq: u32,
    call_id: &str,
    extra: &str,
) -> String {
    format!(
        "REGISTER sip:{domain} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK{call_id}{cseq}\r\nMax-Forwards: 70\r\nFrom: <sip:{ext}@{domain}>;tag=t{call_id}\r\nTo: <sip:{ext}@{domain}>\r\nCall-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\nContact: <sip:{ext}@{local}>;expires=120\r\n{extra}Content-Length: 0\r\n\r\n"
    )
}

fn nonce_of(challenge: &str, algorithm: &str) -> String {
    let line = challenge
        .lines()
        .find(|l| l.starts_with("WWW-Authenticate") && l.contains(&format!("algorithm={algorithm}")))
        .unwrap();
    line.split("nonce=\"").nth(1).unwrap().split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn sha256_digest_is_accepted_and_contacts_can_be_removed() {
    let srv = server().await;
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let local = sock.local_addr().unwrap();
    let first =
        exchange(&sock, srv.local_addr(), &register_msg(local, "1001", "acme.example", 1, "sha", "")).await.unwrap();
    assert!(first.starts_with("SIP/2.0 401"), "{first}");
    assert!(first.contains("algorithm=SHA-256") && first.contains("algorithm=MD5"), "both algorithms offered: {first}");
    assert!(first.contains("realm=\"acme.example\""));
    let nonce = nonce_of(&first, "SHA-256");
    let auth = digest::respond(
        "acme.example",
        &nonce,
        Algorithm::Sha256,
        "1001",
        "acme-1001-pw",
        "REGISTER",
        "sip:acme.example",
        "c1",
    );
    let ok = exchange(
        &sock,
        srv.local_addr(),
        &register_msg(local, "1001", "acme.example", 2, "sha", &format!("Authorization: {auth}\r\n")),
    )
    .await
    .unwrap();
    assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
    let expires: u64 = ok.split(";expires=").nth(1).unwrap().trim().parse().unwrap();
    assert!((100..=120).contains(&expires), "the binding's expiry is returned: {ok}");
    assert_eq!(srv.location.lookup(acme().id, "1001").len(), 1);
    // Unregister: the same contact with expires=0 (the same nonce, counted on).
    let auth = digest::respond_nc(
        "acme.example",
        &nonce,
        Algorithm::Sha256,
        "1001",
        "acme-1001-pw",
        "REGISTER",
        "sip:acme.example",
        "c2",
        2,
    );
    let msg = register_msg(local, "1001", "acme.example", 3, "sha", &format!("Authorization: {auth}\r\n"))
        .replace(";expires=120", ";expires=0");
    let ok = exchange(&sock, srv.local_addr(), &msg).await.unwrap();
    assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
    assert!(srv.location.lookup(acme().id, "1001").is_empty(), "unregistered");
}

/// Sends a REGISTER of `ext` from `sock`, answers the server's challenge with `pw`, and returns
/// the final answer and the Authorization header it sent.
async fn register_answering(
    srv: &telephony::SipServer,
    sock: &UdpSocket,
    ext: &str,
    pw: &str,
    call_id: &str,
) -> (String, String) {
    let local = sock.local_addr().unwrap();
    let first = exchange(sock, srv.local_addr(), &register_msg(local, ext, "acme.example", 1, call_id, ""))
        .await
        .expect("challenged");
    assert!(first.starts_with("SIP/2.0 401"), "{first}");
    let nonce = nonce_of(&first, "MD5");
    let auth = digest::respond("acme.example", &nonce, Algorithm::Md5, ext, pw, "REGISTER", "sip:acme.example", "c");
    let header = format!("Authorization: {auth}\r\n");
    let answer =
        exchange(sock, srv.local_addr(), &register_msg(local, ext, "acme.example", 2, call_id, &header)).await.unwrap();
    (answer, header)
}

/// An OPTIONS from `sock`: answered, or not at all (banned).
async fn answered(srv: &telephony::SipServer, sock: &UdpSocket, tag: &str) -> bool {
    let local = sock.local_addr().unwrap();
    let options = format!(
        "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK{tag}\r\nFrom: <sip:x@h>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: {tag}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    exchange(sock, srv.local_addr(), &options).await.is_some_and(|a| a.starts_with("SIP/2.0 200"))
}

#[tokio::test]
async fn an_address_that_keeps_failing_is_ignored_for_a_while() {
    let srv = server().await;
    let sock = UdpSocket::bind("127.0.0.7:0").await.unwrap();
    for i in 0..10 {
        let (r, _) = register_answering(&srv, &sock, "1001", "guess", &format!("scan{i}")).await;
        assert!(r.starts_with("SIP/2.0 403"), "attempt {i} refused: {r}");
    }
    assert!(!answered(&srv, &sock, "opt").await, "a banned address gets no answer");
    // Another address is still served.
    let other = UdpSocket::bind("127.0.0.8:0").await.unwrap();
    assert!(answered(&srv, &other, "opt2").await);
}

/// Forged failures — a nonce the server never sent to that address, as a spoofed source
/// would carry — ban nobody; real failures from a carrier's address or from an address a
/// phone is registered from do not ban it either: the carrier's calls and the phone go on.
#[tokio::test]
async fn the_scanner_guard_cannot_be_aimed_at_a_carrier_or_a_phone() {
    let srv = server().await;
    // A phone registered from 127.0.0.1.
    let phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (r, _) = register_answering(&srv, &phone, "1002", "acme-1002-pw", "real").await;
    assert!(r.starts_with("SIP/2.0 200"), "{r}");
    // Forged failures "from" 127.0.0.9: never challenged there, so never counted.
    let forger = UdpSocket::bind("127.0.0.9:0").await.unwrap();
    let local = forger.local_addr().unwrap();
    for i in 0..15 {
        let auth =
            digest::respond("acme.example", "0.bad", Algorithm::Md5, "1001", "x", "REGISTER", "sip:acme.example", "c");
        let msg = register_msg(
            local,
            "1001",
            "acme.example",
            1,
            &format!("forged{i}"),
            &format!("Authorization: {auth}\r\n"),
        );
        let r = exchange(&forger, srv.local_addr(), &msg).await.unwrap();
        assert!(r.starts_with("SIP/2.0 401"), "challenged again, not counted: {r}");
    }
    assert!(answered(&srv, &forger, "forger").await, "forged failures ban nobody");
    // Real wrong passwords from the carrier's address (127.0.0.2) and from the phone's.
    let carrier = UdpSocket::bind("127.0.0.2:0").await.unwrap();
    let neighbour = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for i in 0..12 {
        let (r, _) = register_answering(&srv, &carrier, "1001", "guess", &format!("c{i}")).await;
        assert!(r.starts_with("SIP/2.0 403"), "{r}");
        let (r, _) = register_answering(&srv, &neighbour, "1003", "guess", &format!("n{i}")).await;
        assert!(r.starts_with("SIP/2.0 403"), "{r}");
    }
    assert!(answered(&srv, &carrier, "carrier").await, "the carrier's address is never banned");
    assert!(answered(&srv, &phone, "phone").await, "the phone's address is never banned");
    let (r, _) = register_answering(&srv, &phone, "1002", "acme-1002-pw", "real2").await;
    assert!(r.starts_with("SIP/2.0 200"), "the phone registers again: {r}");
}

/// Password guessing spread over many addresses (each below the per-address ban) locks the
/// account: even the right password is refused from an address with no phone of it, while the
/// phone registered before goes on registering.
#[tokio::test]
async fn guessing_one_account_from_many_addresses_is_stopped_and_the_real_phone_keeps_working() {
    let srv = server().await;
    let phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (r, _) = register_answering(&srv, &phone, "1001", "acme-1001-pw", "phone").await;
    assert!(r.starts_with("SIP/2.0 200"), "{r}");
    for i in 0..telephony::guard::ACCOUNT_FAILURES {
        let guesser = UdpSocket::bind(format!("127.0.1.{}:0", i + 1)).await.unwrap();
        let (r, _) = register_answering(&srv, &guesser, "1001", &format!("guess{i}"), &format!("g{i}")).await;
        assert!(r.starts_with("SIP/2.0 403"), "{r}");
    }
    let lucky = UdpSocket::bind("127.0.2.1:0").await.unwrap();
    let (r, _) = register_answering(&srv, &lucky, "1001", "acme-1001-pw", "lucky").await;
    assert!(r.starts_with("SIP/2.0 403"), "the right guess comes too late: {r}");
    let (r, _) = register_answering(&srv, &phone, "1001", "acme-1001-pw", "phone2").await;
    assert!(r.starts_with("SIP/2.0 200"), "the real phone keeps working: {r}");
}

/// A captured Authorization header is worth nothing: sent again from the same phone, from
/// another machine, or for another request, it gets a new challenge, and nothing is registered
/// or called with it.
#[tokio::test]
async fn a_captured_authorization_header_cannot_be_replayed() {
    let srv = server().await;
    let phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (r, header) = register_answering(&srv, &phone, "1001", "acme-1001-pw", "cap").await;
    assert!(r.starts_with("SIP/2.0 200"), "{r}");
    // Replayed by the attacker from another machine, with its own contact.
    let attacker = UdpSocket::bind("127.0.0.66:0").await.unwrap();
    let local = attacker.local_addr().unwrap();
    let r = exchange(&attacker, srv.local_addr(), &register_msg(local, "1001", "acme.example", 3, "cap2", &header))
        .await
        .unwrap();
    assert!(r.starts_with("SIP/2.0 401"), "from another machine: {r}");
    // Replayed from the phone's own address.
    let local = phone.local_addr().unwrap();
    let r = exchange(&phone, srv.local_addr(), &register_msg(local, "1001", "acme.example", 3, "cap3", &header))
        .await
        .unwrap();
    assert!(r.starts_with("SIP/2.0 401"), "the same header again: {r}");
    let contacts: Vec<String> =
        srv.location.lookup(acme().id, "1001").into_iter().map(|b| b.source.to_string()).collect();
    assert_eq!(contacts, vec![phone.local_addr().unwrap().to_string()], "the attacker is no phone of 1001");
    // Used for a call to another number.
    let invite = format!(
        "INVITE sip:0048600111222@acme.example SIP/2.0\r\nVia: SIP/2.0/UDP {a};branch=z9hG4bKinv\r\nMax-Forwards: 70\r\nFrom: <sip:1001@acme.example>;tag=x\r\nTo: <sip:0048600111222@acme.example>\r\nCall-ID: inv\r\nCSeq: 2 INVITE\r\nContact: <sip:1001@{a}>\r\n{header}Content-Type: application/sdp\r\nContent-Length: 0\r\n\r\n",
        a = attacker.local_addr().unwrap()
    );
    let r = exchange(&attacker, srv.local_addr(), &invite).await.unwrap();
    assert!(r.starts_with("SIP/2.0 401"), "a call with the captured header: {r}");
}

/// The credentials must be the caller's own: 1002's password does not place a call "from" 1001.
#[tokio::test]
async fn a_call_placed_as_another_extension_is_refused() {
    let srv = server().await;
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let a = sock.local_addr().unwrap();
    let invite = |cseq: u32, auth: &str| {
        format!(
            "INVITE sip:1003@acme.example SIP/2.0\r\nVia: SIP/2.0/UDP {a};branch=z9hG4bKas{cseq}\r\nMax-Forwards: 70\r\nFrom: <sip:1001@acme.example>;tag=x\r\nTo: <sip:1003@acme.example>\r\nCall-ID: as\r\nCSeq: {cseq} INVITE\r\nContact: <sip:1001@{a}>\r\n{auth}Content-Length: 0\r\n\r\n"
        )
    };
    let first = exchange(&sock, srv.local_addr(), &invite(1, "")).await.unwrap();
    assert!(first.starts_with("SIP/2.0 401"), "{first}");
    let nonce = nonce_of(&first, "MD5");
    let auth = digest::respond(
        "acme.example",
        &nonce,
        Algorithm::Md5,
        "1002",
        "acme-1002-pw",
        "INVITE",
        "sip:1003@acme.example",
        "c",
    );
    let r = exchange(&sock, srv.local_addr(), &invite(2, &format!("Authorization: {auth}\r\n"))).await.unwrap();
    assert!(r.starts_with("SIP/2.0 403"), "{r}");
}

/// This process's own user agent (the browser phones) registers by its key, with no SIP
/// password; a wrong key is a stranger like any other.
#[tokio::test]
async fn the_servers_own_user_agent_registers_by_its_key() {
    let srv = server().await;
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let local = sock.local_addr().unwrap();
    let key = match srv.internal_key().header() {
        rsipstack::sip::Header::Other(name, value) => format!("{name}: {value}\r\n"),
        h => panic!("{h:?}"),
    };
    let wrong = format!("{}: {}\r\n", telephony::internal::HEADER, "0".repeat(48));
    let r =
        exchange(&sock, srv.local_addr(), &register_msg(local, "1001", "acme.example", 1, "k1", &wrong)).await.unwrap();
    assert!(r.starts_with("SIP/2.0 401"), "a wrong key: {r}");
    let r =
        exchange(&sock, srv.local_addr(), &register_msg(local, "1001", "acme.example", 2, "k1", &key)).await.unwrap();
    assert!(r.starts_with("SIP/2.0 200"), "{r}");
    let r =
        exchange(&sock, srv.local_addr(), &register_msg(local, "1999", "acme.example", 1, "k2", &key)).await.unwrap();
    assert!(r.starts_with("SIP/2.0 403"), "no such extension: {r}");
}

/// A directory that cannot read who is who (its store is down, nothing read before).
struct Unready;

#[async_trait::async_trait]
impl telephony::SipDirectory for Unready {
    async fn ready(&self) -> bool {
        false
    }
    async fn tenant_for_domain(&self, _: &str) -> Option<telephony::Tenant> {
        None
    }
    async fn extension_secret(&self, _: &telephony::Tenant, _: &str) -> Option<String> {
        None
    }
}

/// A storage failure is never a wrong answer: REGISTER and INVITE get 503 with Retry-After,
/// not "unknown domain" (404) or a challenge that no password can meet (401/403).
#[tokio::test]
async fn a_directory_that_cannot_answer_gives_503_with_retry_after() {
    let s = telephony::SipSettings::new("127.0.0.1:0".parse().unwrap());
    let srv = telephony::SipServer::start(s, std::sync::Arc::new(Unready)).await.unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let local = sock.local_addr().unwrap();
    let reg =
        exchange(&sock, srv.local_addr(), &register_msg(local, "1001", "acme.example", 1, "down", "")).await.unwrap();
    assert!(reg.starts_with("SIP/2.0 503"), "{reg}");
    assert!(reg.contains("Retry-After: 5"), "{reg}");
    let invite = format!(
        "INVITE sip:1002@acme.example SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKdowninv\r\nMax-Forwards: 70\r\nFrom: <sip:1001@acme.example>;tag=a1\r\nTo: <sip:1002@acme.example>\r\nCall-ID: down-invite\r\nCSeq: 1 INVITE\r\nContact: <sip:1001@{local}>\r\nContent-Length: 0\r\n\r\n"
    );
    let answer = exchange(&sock, srv.local_addr(), &invite).await.unwrap();
    let answer = if answer.starts_with("SIP/2.0 100") {
        let mut buf = vec![0u8; 4096];
        let (n, _) = tokio::time::timeout(Duration::from_secs(2), sock.recv_from(&mut buf)).await.unwrap().unwrap();
        String::from_utf8_lossy(&buf[..n]).to_string()
    } else {
        answer
    };
    assert!(answer.starts_with("SIP/2.0 503"), "{answer}");
}
