//! Malformed SIP never crashes or stalls the server: after each bad packet, a good OPTIONS
//! is still answered.

use crate::harness::{acme, explain, ok, server, server_with_settings, sipp_from};
use crate::registrar::{exchange, register_args};
use std::time::Duration;
use tokio::net::UdpSocket;

fn options(local: std::net::SocketAddr, n: usize) -> String {
    format!(
        "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKok{n}\r\nFrom: <sip:x@h>;tag={n}\r\nTo: <sip:127.0.0.1>\r\nCall-ID: ok{n}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
}

#[tokio::test]
async fn malformed_packets_are_survived() {
    let srv = server().await;
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let local = sock.local_addr().unwrap();
    let good = options(local, 0);
    let huge = format!(
        "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKh\r\nX-Big: {}\r\nCall-ID: h\r\nCSeq: 1 OPTIONS\r\n\r\n",
        "a".repeat(60_000)
    );
    let bad: Vec<String> = vec![
        String::new(),
        "\r\n\r\n".into(),
        "garbage".into(),
        "INVITE".into(),
        good[..good.len() / 2].to_string(),
        good.replace("SIP/2.0\r\n", "SIP/9.9\r\n"),
        good.replace("Content-Length: 0", "Content-Length: 5000"),
        good.replace("Content-Length: 0", "Content-Length: -1"),
        good.replace("CSeq: 1 OPTIONS", "CSeq: x OPTIONS"),
        good.replace("Via: SIP/2.0/UDP", "Via: SIP/2.0/UDP\r\n"),
        good.replace("Call-ID: ok0\r\n", ""),
        good.replace("From: <sip:x@h>;tag=0", "From: <<<>>>"),
        format!(
            "INVITE sip:1001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKi\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: i\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: 9\r\n\r\nv=0\r\no=\x00\x01"
        ),
        huge,
        String::from_utf8_lossy(&[0xff, 0xfe, 0x00, 0x80, 0x0d, 0x0a]).to_string(),
    ];
    for (i, b) in bad.iter().enumerate() {
        let _ = sock.send_to(b.as_bytes(), srv.local_addr()).await;
        let answer = exchange(&sock, srv.local_addr(), &options(local, i + 1)).await;
        assert!(answer.unwrap_or_default().starts_with("SIP/2.0 200"), "still answering after bad packet {i}");
    }
}

/// Opens a TCP connection to `to` from local address `ip`.
async fn connect_from(ip: &str, to: std::net::SocketAddr) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{ip}:0").parse().unwrap()).unwrap();
    socket.connect(to).await.unwrap()
}

/// Whether the server has closed `stream` (a read sees the end) within `wait`.
async fn closed_within(stream: &mut tokio::net::TcpStream, wait: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 64];
    matches!(tokio::time::timeout(wait, stream.read(&mut buf)).await, Ok(Ok(0)) | Ok(Err(_)))
}

/// The attack: an outsider opens connections and says nothing (1,100 of them once took every
/// descriptor of the process, and the web pages with them). Now one address gets a few, all
/// addresses together a bounded number, the silent ones are closed after a few seconds, and a
/// phone at another address registers over TCP throughout.
#[tokio::test]
async fn silent_tcp_connections_are_capped_per_address_and_in_all_and_closed_soon() {
    let srv = server_with_settings(|s| {
        s.tcp = telephony::tcp::TcpLimits { per_address: 10, total: 20, first_bytes: Duration::from_secs(2) }
    })
    .await;
    let to = srv.local_addr();
    let mut flood = Vec::new();
    for _ in 0..30 {
        flood.push(connect_from("127.0.0.1", to).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (mut kept, mut refused) = (Vec::new(), 0);
    for mut c in flood {
        if closed_within(&mut c, Duration::from_millis(5)).await {
            refused += 1;
        } else {
            kept.push(c);
        }
    }
    assert_eq!((kept.len(), refused), (10, 20), "one address holds 10 connections, the rest are closed at once");
    assert_eq!(srv.live().tcp_connections, 10);

    // A phone at another address still registers over TCP.
    let mut args = register_args("1002", "acme-1002-pw", "acme.example");
    args.extend(["-t", "t1"]);
    let o = sipp_from("127.0.0.3", "register.xml", to, &args).await;
    assert!(ok(&o), "TCP registration during the flood: {}", explain(&o));
    assert_eq!(srv.location.lookup(acme().id, "1002").len(), 1);

    // Many addresses together stop at the total.
    let mut others = Vec::new();
    for ip in ["127.0.0.4", "127.0.0.5"] {
        for _ in 0..10 {
            others.push(connect_from(ip, to).await);
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(srv.live().tcp_connections <= 20, "at most 20 in all ({})", srv.live().tcp_connections);

    // The silent ones are closed after 2 s.
    for c in kept.iter_mut().chain(others.iter_mut()) {
        assert!(closed_within(c, Duration::from_secs(4)).await, "a silent connection is closed");
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while srv.live().tcp_connections > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(srv.live().tcp_connections, 0, "every seat given back");
}
