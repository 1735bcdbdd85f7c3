//! The relay: a call's audio anchored between two legs. Each leg is our socket facing one
//! party. Packets that arrive on one leg from that party (`peer::Peer`: the address its SDP
//! named, or behind NAT its signalling address) go out of the other, to where that party takes
//! audio; anybody else's packets are dropped. No transcoding, no buffering. Either
//! direction can be stopped (mute, hold), and music can be played into a leg (hold).

use crate::music::{self, Music};
use crate::peer::Peer;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::UdpSocket;
use tokio::sync::Notify;

/// One side of the call: our socket, the party's address, and the codec it speaks.
pub struct Leg {
    pub socket: Arc<UdpSocket>,
    /// Who the party is: its SDP address, and where its signalling came from.
    pub peer: Peer,
    /// The G.711 payload type of this leg (for music played into it).
    pub payload_type: u8,
    /// The payload type of the party's RFC 4733 events (DTMF), when it sends them.
    pub event_pt: Option<u8>,
}

impl Leg {
    pub fn new(socket: UdpSocket, remote: Option<SocketAddr>, payload_type: u8) -> Leg {
        Leg { socket: Arc::new(socket), peer: remote.into(), payload_type, event_pt: None }
    }

    /// The party's signalling came from (or went to) `ip`: behind NAT, its packets come from
    /// there rather than from its SDP's address.
    pub fn signalled_from(mut self, ip: Option<IpAddr>) -> Leg {
        self.peer = Peer::new(self.peer.target(), ip);
        self
    }

    /// The party sends DTMF as RFC 4733 events with this payload type.
    pub fn with_events(mut self, pt: Option<u8>) -> Leg {
        self.event_pt = pt;
        self
    }

    /// A leg on a socket that another relay used before (a transfer keeps the staying party's).
    pub fn shared(socket: Arc<UdpSocket>, peer: impl Into<Peer>, payload_type: u8) -> Leg {
        Leg { socket, peer: peer.into(), payload_type, event_pt: None }
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

struct Side {
    socket: Arc<UdpSocket>,
    peer: Mutex<Peer>,
    payload_type: u8,
    event_pt: Option<u8>,
    /// This side's audio reaches the other side.
    passes: AtomicBool,
    /// Music is being played into this side.
    music: AtomicBool,
    /// An announcement to play into this side in the music's place (`Relay::announce`).
    prompt: Mutex<Option<Music>>,
}

/// What the relay noticed in the audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaEvent {
    /// Side `leg` pressed a key.
    Dtmf { leg: usize, digit: char },
}

struct Shared {
    events: Option<tokio::sync::mpsc::UnboundedSender<MediaEvent>>,
    /// Where a copy of every relayed audio packet goes while the call is recorded.
    tap: Mutex<Option<crate::recorder::Tap>>,
    sides: [Side; 2],
    stopped: AtomicBool,
    wake: Notify,
    stats: RelayStats,
    tune: Music,
    /// Counted in `live::relays` until the last task lets go.
    _live: crate::live::Counted,
}

pub struct Relay {
    shared: Arc<Shared>,
}

impl Relay {
    /// Starts relaying between `a` (index 0) and `b` (index 1); `tune` is the music on hold.
    pub fn start(a: Leg, b: Leg, tune: Music) -> Relay {
        Relay::start_with_events(a, b, tune, None)
    }

    /// Like `start`, reporting what it notices (DTMF) on `events`.
    pub fn start_with_events(
        a: Leg,
        b: Leg,
        tune: Music,
        events: Option<tokio::sync::mpsc::UnboundedSender<MediaEvent>>,
    ) -> Relay {
        let side = |l: Leg| Side {
            socket: l.socket,
            peer: Mutex::new(l.peer),
            payload_type: l.payload_type,
            event_pt: l.event_pt,
            passes: AtomicBool::new(true),
            music: AtomicBool::new(false),
            prompt: Mutex::new(None),
        };
        let shared = Arc::new(Shared {
            events,
            tap: Mutex::new(None),
            sides: [side(a), side(b)],
            stopped: AtomicBool::new(false),
            wake: Notify::new(),
            stats: RelayStats::default(),
            tune,
            _live: crate::live::Counted::new(&crate::live::RELAYS),
        });
        for from in 0..2 {
            let sh = shared.clone();
            tokio::spawn(async move {
                let to = 1 - from;
                let mut buf = vec![0u8; 2048];
                let mut dtmf = crate::dtmf::Detector::default();
                loop {
                    // Listen for the stop before looking at the flag: a stop between two packets
                    // is never missed (it was, now and then, leaving a relay, its two sockets and
                    // its tasks waiting for a packet that never came).
                    let woken = sh.wake.notified();
                    tokio::pin!(woken);
                    woken.as_mut().enable();
                    if sh.stopped.load(Ordering::SeqCst) {
                        return;
                    }
                    let (n, peer) = tokio::select! {
                        r = sh.sides[from].socket.recv_from(&mut buf) => match r { Ok(v) => v, Err(_) => continue },
                        _ = &mut woken => continue,
                    };
                    if sh.stopped.load(Ordering::SeqCst) {
                        return;
                    }
                    if !sh.sides[from].peer.lock().expect("peer lock").admit(peer) {
                        continue; // not from the party: dropped
                    }
                    if let (Some(ev_pt), Some(tx)) = (sh.sides[from].event_pt, &sh.events)
                        && let Some((h, off)) = crate::rtp::Header::parse(&buf[..n])
                        && h.payload_type == ev_pt
                        && let Some(digit) = dtmf.feed(h.ssrc, h.timestamp, &buf[off..n])
                    {
                        let _ = tx.send(MediaEvent::Dtmf { leg: from, digit });
                    }
                    if let Some(tap) = sh.tap.lock().expect("tap lock").as_ref()
                        && let Some((h, off)) = crate::rtp::Header::parse(&buf[..n])
                        && crate::recorder::recordable(h.payload_type)
                    {
                        let _ = tap.send((from, h.payload_type, buf[off..n].to_vec()));
                    }
                    // Audio crosses unless this side is muted/held, or music is playing to the other.
                    if !sh.sides[from].passes.load(Ordering::Relaxed) || sh.sides[to].music.load(Ordering::Relaxed) {
                        continue;
                    }
                    let target = sh.sides[to].peer.lock().expect("peer lock").target();
                    if let Some(t) = target
                        && sh.sides[to].socket.send_to(&buf[..n], t).await.is_ok()
                    {
                        let c = if from == 0 { &sh.stats.a_to_b } else { &sh.stats.b_to_a };
                        c.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
        Relay { shared }
    }

    /// Whether the audio of side `leg` reaches the other side (false: muted).
    pub fn set_passes(&self, leg: usize, on: bool) {
        self.shared.sides[leg].passes.store(on, Ordering::Relaxed);
    }

    /// Puts side `leg` on hold: it hears music, and the other side hears nothing from it; or
    /// takes it off hold.
    pub fn hold(&self, leg: usize, on: bool) {
        let side = &self.shared.sides[leg];
        side.passes.store(!on, Ordering::Relaxed);
        let was = side.music.swap(on, Ordering::Relaxed);
        if on && !was {
            let sh = self.shared.clone();
            tokio::spawn(async move {
                let s = &sh.sides[leg];
                let keep = || s.music.load(Ordering::Relaxed) && !sh.stopped.load(Ordering::Relaxed);
                music::play_with_prompts(
                    sh.tune.clone(),
                    s.socket.clone(),
                    || s.peer.lock().expect("peer lock").target(),
                    s.payload_type,
                    keep,
                    || s.prompt.lock().expect("prompt lock").take(),
                )
                .await;
            });
        }
    }

    /// Plays `clip` once into side `leg`, which is on hold, in its music's place (the music
    /// goes on after it). A side not on hold is left as it is.
    pub fn announce(&self, leg: usize, clip: Music) {
        *self.shared.sides[leg].prompt.lock().expect("prompt lock") = Some(clip);
    }

    pub fn stats(&self) -> &RelayStats {
        &self.shared.stats
    }

    /// Plays `digits` as RFC 4733 events to side `leg` (which must have said which payload type
    /// it takes for them); false when it cannot take events.
    pub fn send_dtmf(&self, leg: usize, digits: &str) -> bool {
        let side = &self.shared.sides[leg];
        let Some(pt) = side.event_pt else { return false };
        let codes: Vec<u8> = digits.chars().filter_map(crate::dtmf::code).collect();
        let (socket, sh) = (side.socket.clone(), self.shared.clone());
        tokio::spawn(async move {
            let ssrc: u32 = rand::random();
            let mut seq: u16 = rand::random();
            let mut ts: u32 = rand::random();
            let mut packet = Vec::with_capacity(16);
            for code in codes {
                for (i, payload) in crate::dtmf::press(code).iter().enumerate() {
                    let Some(to) = sh.sides[leg].peer.lock().expect("peer lock").target() else { return };
                    packet.clear();
                    crate::rtp::Header { marker: i == 0, payload_type: pt, sequence: seq, timestamp: ts, ssrc }
                        .write(&mut packet);
                    packet.extend_from_slice(payload);
                    let _ = socket.send_to(&packet, to).await;
                    seq = seq.wrapping_add(1);
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                ts = ts.wrapping_add(800 + 400);
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        });
        true
    }

    /// Sends a copy of every audio packet of both sides to `tap` (None: stop).
    pub fn record(&self, tap: Option<crate::recorder::Tap>) {
        *self.shared.tap.lock().expect("tap lock") = tap;
    }

    /// The socket of side `leg`, to hand over to the next relay.
    pub fn socket(&self, leg: usize) -> Arc<UdpSocket> {
        self.shared.sides[leg].socket.clone()
    }

    /// The party's address as the relay now sends to it (0 = leg a, 1 = leg b).
    pub fn remote(&self, leg: usize) -> Option<SocketAddr> {
        self.shared.sides[leg].peer.lock().expect("peer lock").target()
    }

    /// Who the party of side `leg` is, to hand over to the next relay or mixer with its socket.
    pub fn peer(&self, leg: usize) -> Peer {
        *self.shared.sides[leg].peer.lock().expect("peer lock")
    }

    pub fn stop(&self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        for s in &self.shared.sides {
            s.music.store(false, Ordering::Relaxed);
        }
        self.shared.wake.notify_waiters();
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::PT_PCMU;

    #[tokio::test]
    async fn packets_cross_both_ways_and_only_the_parties_are_heard() {
        // Phone a is behind NAT: its SDP names a private address, its signalling came from
        // 127.0.0.1, and its packets come from a port the NAT chose.
        let phone_a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let a = Leg::new(
            UdpSocket::bind("127.0.0.1:0").await.unwrap(),
            Some("192.168.1.20:4000".parse().unwrap()),
            PT_PCMU,
        )
        .signalled_from(Some("127.0.0.1".parse().unwrap()));
        let phone_b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = Leg::new(UdpSocket::bind("127.0.0.1:0").await.unwrap(), Some(phone_b.local_addr().unwrap()), PT_PCMU)
            .signalled_from(Some("127.0.0.1".parse().unwrap()));
        let (a_addr, b_addr) = (a.local_addr(), b.local_addr());
        let relay = Relay::start(a, b, Music::default_melody());
        let mut buf = [0u8; 400];
        // An outsider on another address sends to both legs first: nobody hears it, and it is
        // sent nothing.
        let stranger = UdpSocket::bind("127.0.0.9:0").await.unwrap();
        stranger.send_to(b"inject", a_addr).await.unwrap();
        stranger.send_to(b"inject", b_addr).await.unwrap();
        phone_a.send_to(b"from-a", a_addr).await.unwrap();
        let (n, from) = phone_b.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"from-a"[..], b_addr));
        phone_b.send_to(b"from-b", b_addr).await.unwrap();
        let (n, _) = phone_a.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"from-b", "a NAT'd party is answered where its packets come from");
        // A stranger on the same host but another port than b's SDP names is not b.
        let local = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        local.send_to(b"inject", b_addr).await.unwrap();
        stranger.send_to(b"inject", a_addr).await.unwrap();
        phone_a.send_to(b"again", a_addr).await.unwrap();
        let (n, _) = phone_b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"again");
        phone_b.send_to(b"b-again", b_addr).await.unwrap();
        let (n, _) = phone_a.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"b-again");
        assert_eq!(relay.stats().a_to_b.load(Ordering::Relaxed), 2);
        let quiet = tokio::time::timeout(std::time::Duration::from_millis(100), stranger.recv_from(&mut buf)).await;
        assert!(quiet.is_err(), "the outsider received nothing");

        // Hold b: b gets music, a gets nothing from b.
        relay.hold(1, true);
        let (n, _) = phone_b.recv_from(&mut buf).await.unwrap();
        let (h, off) = crate::rtp::Header::parse(&buf[..n]).expect("music is RTP");
        assert_eq!((h.payload_type, n - off), (PT_PCMU, 160));
        phone_b.send_to(b"held", b_addr).await.unwrap();
        let quiet = tokio::time::timeout(std::time::Duration::from_millis(200), phone_a.recv_from(&mut buf)).await;
        assert!(quiet.is_err(), "the holder hears nothing from the held side");
        // An announcement plays whole in the music's place, then the music goes on.
        let clip: Vec<i16> = (0..800).map(|i| if i % 2 == 0 { 3000 } else { -3000 }).collect();
        relay.announce(1, Music::from_samples(clip));
        let encoded = crate::g711::linear_to_ulaw(3000);
        let mut clip_frames = 0;
        let mut after = 0;
        for _ in 0..40 {
            let (n, _) = phone_b.recv_from(&mut buf).await.unwrap();
            let (_, off) = crate::rtp::Header::parse(&buf[..n]).expect("RTP");
            if buf[off] == encoded && buf[off + 2] == encoded {
                clip_frames += 1;
            } else if clip_frames > 0 {
                after += 1;
            }
        }
        assert_eq!(clip_frames, 5, "800 samples: five 20 ms frames of the announcement");
        assert!(after > 20, "then the music again");
        relay.hold(1, false);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        phone_b.send_to(b"back", b_addr).await.unwrap();
        let (n, _) = phone_a.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"back");
    }
}
