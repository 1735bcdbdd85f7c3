//! The relay: a call's audio anchored between two legs. Each leg is our socket facing one
//! party. Packets that arrive on one leg go out of the other, to where that party's packets
//! come from (symmetric latching: the first packet fixes the address, which also gets through
//! NAT); until then, to the address its SDP gave. No transcoding, no buffering.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::net::UdpSocket;
use tokio::sync::watch;

/// One side of the call: our socket and the party's address.
pub struct Leg {
    pub socket: Arc<UdpSocket>,
    /// From the party's SDP; replaced by the source of its first packet.
    pub remote: Option<SocketAddr>,
}

impl Leg {
    pub fn new(socket: UdpSocket, remote: Option<SocketAddr>) -> Leg {
        Leg { socket: Arc::new(socket), remote }
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.socket.local_addr().expect("bound socket")
    }
}

/// Packet counts, for tests and metrics.
#[derive(Default, Debug)]
pub struct RelayStats {
    pub a_to_b: AtomicU64,
    pub b_to_a: AtomicU64,
}

/// What the relay does with the audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Both ways.
    Bridge,
    /// Nothing passes (a leg is on hold; its music comes from elsewhere).
    Mute,
    Stop,
}

pub struct Relay {
    mode: watch::Sender<Mode>,
    pub stats: Arc<RelayStats>,
    remotes: Arc<[std::sync::Mutex<Option<SocketAddr>>; 2]>,
}

impl Relay {
    /// Starts relaying between `a` and `b`.
    pub fn start(a: Leg, b: Leg) -> Relay {
        let (mode, rx) = watch::channel(Mode::Bridge);
        let stats = Arc::new(RelayStats::default());
        let remotes = Arc::new([std::sync::Mutex::new(a.remote), std::sync::Mutex::new(b.remote)]);
        for (from, to, count) in [(0usize, 1usize, 0u8), (1, 0, 1)] {
            let (src, dst) =
                if from == 0 { (a.socket.clone(), b.socket.clone()) } else { (b.socket.clone(), a.socket.clone()) };
            let remotes = remotes.clone();
            let stats = stats.clone();
            let mut rx = rx.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 2048];
                let mut latched = false;
                loop {
                    let (n, peer) = tokio::select! {
                        r = src.recv_from(&mut buf) => match r { Ok(v) => v, Err(_) => continue },
                        c = rx.changed() => { if c.is_err() || *rx.borrow() == Mode::Stop { return } continue }
                    };
                    if !latched {
                        *remotes[from].lock().expect("remote lock") = Some(peer);
                        latched = true;
                    } else if Some(peer) != *remotes[from].lock().expect("remote lock") {
                        continue; // not from the latched party: dropped
                    }
                    if *rx.borrow() != Mode::Bridge {
                        continue;
                    }
                    let target = *remotes[to].lock().expect("remote lock");
                    if let Some(t) = target {
                        if dst.send_to(&buf[..n], t).await.is_ok() {
                            let c = if count == 0 { &stats.a_to_b } else { &stats.b_to_a };
                            c.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
        Relay { mode, stats, remotes }
    }

    pub fn set_mode(&self, m: Mode) {
        let _ = self.mode.send(m);
    }

    /// The party's address as the relay now sends to it (0 = leg a, 1 = leg b).
    pub fn remote(&self, leg: usize) -> Option<SocketAddr> {
        *self.remotes[leg].lock().expect("remote lock")
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.mode.send(Mode::Stop);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn packets_cross_both_ways_to_latched_addresses() {
        let a = Leg::new(UdpSocket::bind("127.0.0.1:0").await.unwrap(), None);
        let phone_b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = Leg::new(UdpSocket::bind("127.0.0.1:0").await.unwrap(), Some(phone_b.local_addr().unwrap()));
        let (a_addr, b_addr) = (a.local_addr(), b.local_addr());
        let relay = Relay::start(a, b);
        let phone_a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut buf = [0u8; 64];
        phone_a.send_to(b"from-a", a_addr).await.unwrap();
        let (n, from) = phone_b.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"from-a"[..], b_addr));
        phone_b.send_to(b"from-b", b_addr).await.unwrap();
        let (n, _) = phone_a.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"from-b", "a was latched from its first packet");
        // A stranger's packets on leg a are dropped.
        let stranger = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        stranger.send_to(b"inject", a_addr).await.unwrap();
        phone_a.send_to(b"again", a_addr).await.unwrap();
        let (n, _) = phone_b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"again");
        assert_eq!(relay.stats.a_to_b.load(Ordering::Relaxed), 2);
    }
}
