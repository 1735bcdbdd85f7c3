use crate::harness::{acme, explain, globex, ok, server, sipp};
use std::time::Duration;
use telephony::digest::{self, Algorithm};
use tokio::net::UdpSocket;

fn register_args<'a>(ext: &'a str, pw: &'a str, domain: &'a str) -> Vec<&'a str> {
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
    // Unregister: the same contact with expires=0.
    let auth = digest::respond(
        "acme.example",
        &nonce,
        Algorithm::Sha256,
        "1001",
        "acme-1001-pw",
        "REGISTER",
        "sip:acme.example",
        "c2",
    );
    let msg = register_msg(local, "1001", "acme.example", 3, "sha", &format!("Authorization: {auth}\r\n"))
        .replace(";expires=120", ";expires=0");
    let ok = exchange(&sock, srv.local_addr(), &msg).await.unwrap();
    assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
    assert!(srv.location.lookup(acme().id, "1001").is_empty(), "unregistered");
}

#[tokio::test]
async fn an_address_that_keeps_failing_is_ignored_for_a_while() {
    let srv = server().await;
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let local = sock.local_addr().unwrap();
    for i in 0..10 {
        let auth = digest::respond(
            "acme.example",
            "0.bad",
            Algorithm::Md5,
            "1001",
            "guess",
            "REGISTER",
            "sip:acme.example",
            "c",
        );
        let r = exchange(
            &sock,
            srv.local_addr(),
            &register_msg(
                local,
                "1001",
                "acme.example",
                i + 1,
                &format!("scan{i}"),
                &format!("Authorization: {auth}\r\n"),
            ),
        )
        .await;
        assert!(r.unwrap_or_default().starts_with("SIP/2.0 403"), "attempt {i} refused");
    }
    let options = format!(
        "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKopt\r\nFrom: <sip:x@h>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: opt\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    assert_eq!(exchange(&sock, srv.local_addr(), &options).await, None, "a banned address gets no answer");
    // Another address is still served.
    let other = UdpSocket::bind("127.0.0.2:0").await.unwrap();
    let o2 = options
        .replace(&local.to_string(), &other.local_addr().unwrap().to_string())
        .replace("branch=z9hG4bKopt", "branch=z9hG4bKopt2");
    assert!(exchange(&other, srv.local_addr(), &o2).await.unwrap().starts_with("SIP/2.0 200"));
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
