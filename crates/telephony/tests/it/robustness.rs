//! Malformed SIP never crashes or stalls the server: after each bad packet, a good OPTIONS
//! is still answered.

use crate::harness::server;
use crate::registrar::exchange;
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
