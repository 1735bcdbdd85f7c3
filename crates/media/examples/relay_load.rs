//! Relay capacity: CALLS relays, each between two legs, with two "phones" per call sending
//! 20 ms G.711 packets both ways (50 packets/s per direction) for SECONDS; prints the packets
//! sent and lost, and the CPU time per relayed packet (an upper bound: the generator's own
//! sends and receives run in this process too).
//!
//!     cargo run --release -p media --example relay_load -- [CALLS] [SECONDS]

use media::rtp::{Header, PT_PCMU};
use media::{Leg, Music, Relay};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let calls: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(500);
    let seconds: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10);
    let mut phones = Vec::new();
    let mut relays = Vec::new();
    for _ in 0..calls {
        let pa = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let pb = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let a = Leg::new(UdpSocket::bind("127.0.0.1:0").await.unwrap(), Some(pa.local_addr().unwrap()), PT_PCMU);
        let b = Leg::new(UdpSocket::bind("127.0.0.1:0").await.unwrap(), Some(pb.local_addr().unwrap()), PT_PCMU);
        phones.push((Arc::new(pa), a.local_addr()));
        phones.push((Arc::new(pb), b.local_addr()));
        relays.push(Relay::start(a, b, Music::default_melody()));
    }
    let received = Arc::new(AtomicU64::new(0));
    for (sock, _) in &phones {
        let (sock, received) = (sock.clone(), received.clone());
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            while sock.recv_from(&mut buf).await.is_ok() {
                received.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut sent = 0u64;
    let mut seq = 0u16;
    let mut packet = Vec::with_capacity(172);
    while start.elapsed() < Duration::from_secs(seconds) {
        tick.tick().await;
        packet.clear();
        Header { marker: false, payload_type: PT_PCMU, sequence: seq, timestamp: seq as u32 * 160, ssrc: 7 }
            .write(&mut packet);
        packet.extend_from_slice(&[0xd5; 160]);
        for (sock, relay_leg) in &phones {
            if sock.send_to(&packet, relay_leg).await.is_ok() {
                sent += 1;
            }
        }
        seq = seq.wrapping_add(1);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cpu = cpu_seconds() - cpu0;
    let got = received.load(Ordering::Relaxed);
    let loss = 100.0 * (sent.saturating_sub(got)) as f64 / sent.max(1) as f64;
    println!("calls {calls}, {seconds} s: sent {sent} packets, received {got}, loss {loss:.2}%");
    println!(
        "CPU {cpu:.2} s for {got} relayed packets: {:.1} us per packet (upper bound, generator included)",
        cpu / got.max(1) as f64 * 1e6
    );
    drop(relays);
}
