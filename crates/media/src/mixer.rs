//! The mixer of a conference and of a supervised call: each member hears the sum of the
//! members it is set to hear (never itself; at first everybody else). Each member's packets
//! are decoded into a short queue; every 20 ms one frame of each is taken (silence when none
//! came), mixed, and sent to each member in its own codec. Who hears whom can change at any
//! time (a supervisor who listens, whispers to the agent, or barges in).

use crate::g711;
use crate::music::FRAME;
use crate::peer::Peer;
use crate::relay::Leg;
use crate::rtp::{Header, PT_PCMA};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::UdpSocket;

/// At most this many frames wait per member (80 ms); older ones are dropped.
const QUEUE: usize = 4;
/// At most this many members (who hears whom is one bit per pair in a u64).
pub const MAX_MEMBERS: usize = 8;

/// A member's frames waiting to be mixed. Taking starts once `PRIME` frames are in, and
/// starts again so after the queue ran dry: packets that arrive just around the mixer's tick
/// then never leave a gap every other tick (20 ms more delay, no clicks).
#[derive(Default)]
struct Jitter {
    frames: VecDeque<[i16; FRAME]>,
    primed: bool,
}

const PRIME: usize = 2;

impl Jitter {
    fn put(&mut self, frame: [i16; FRAME]) {
        if self.frames.len() >= QUEUE {
            self.frames.pop_front();
        }
        self.frames.push_back(frame);
        self.primed |= self.frames.len() >= PRIME;
    }

    /// The next frame, or silence (the member said nothing, or its queue is filling again).
    fn take(&mut self) -> [i16; FRAME] {
        if !self.primed {
            return [0; FRAME];
        }
        match self.frames.pop_front() {
            Some(f) => f,
            None => {
                self.primed = false;
                [0; FRAME]
            }
        }
    }
}

struct Member {
    socket: Arc<UdpSocket>,
    peer: Mutex<Peer>,
    payload_type: u8,
    queue: Mutex<Jitter>,
}

pub struct Mixer {
    members: Arc<Vec<Member>>,
    /// Bit `i * MAX_MEMBERS + j`: member i hears member j.
    hears: Arc<AtomicU64>,
    /// Where each member's audio goes while the call is recorded, and as which side.
    tap: Arc<Mutex<Option<MixTap>>>,
    stopped: Arc<AtomicBool>,
}

/// A recorder's tap and, per member, the side it records as (None: not recorded).
pub type MixTap = (crate::recorder::Tap, Vec<Option<usize>>);

fn bit(i: usize, j: usize) -> u64 {
    1 << (i * MAX_MEMBERS + j)
}

impl Mixer {
    /// Mixes `legs` (at most `MAX_MEMBERS`), each hearing all the others.
    pub fn start(legs: Vec<Leg>) -> Mixer {
        assert!(legs.len() <= MAX_MEMBERS, "a mixer takes at most {MAX_MEMBERS} members");
        let members: Arc<Vec<Member>> = Arc::new(
            legs.into_iter()
                .map(|l| Member {
                    socket: l.socket,
                    peer: Mutex::new(l.peer),
                    payload_type: l.payload_type,
                    queue: Mutex::new(Jitter::default()),
                })
                .collect(),
        );
        let n = members.len();
        let all = (0..n).flat_map(|i| (0..n).filter(move |j| *j != i).map(move |j| bit(i, j))).fold(0, |a, b| a | b);
        let hears = Arc::new(AtomicU64::new(all));
        let tap: Arc<Mutex<Option<MixTap>>> = Arc::new(Mutex::new(None));
        let stopped = Arc::new(AtomicBool::new(false));
        for i in 0..members.len() {
            let (m, stop, tap) = (members.clone(), stopped.clone(), tap.clone());
            tokio::spawn(async move {
                let me = &m[i];
                let mut buf = [0u8; 2048];
                while !stop.load(Ordering::Relaxed) {
                    let got =
                        tokio::time::timeout(std::time::Duration::from_millis(200), me.socket.recv_from(&mut buf))
                            .await;
                    let Ok(Ok((n, peer))) = got else { continue };
                    if !me.peer.lock().expect("peer lock").admit(peer) {
                        continue; // not from the member: dropped
                    }
                    let Some((h, off)) = Header::parse(&buf[..n]) else { continue };
                    if !crate::recorder::recordable(h.payload_type) || n - off < FRAME {
                        continue; // events and odd sizes are not mixed
                    }
                    if let Some((tap, sides)) = tap.lock().expect("tap lock").as_ref()
                        && let Some(Some(side)) = sides.get(i)
                    {
                        let _ = tap.send((*side, h.payload_type, buf[off..n].to_vec()));
                    }
                    let mut frame = [0i16; FRAME];
                    for (s, b) in frame.iter_mut().zip(&buf[off..off + FRAME]) {
                        *s =
                            if h.payload_type == PT_PCMA { g711::alaw_to_linear(*b) } else { g711::ulaw_to_linear(*b) };
                    }
                    me.queue.lock().expect("queue lock").put(frame);
                }
            });
        }
        let (m, stop, heard) = (members.clone(), stopped.clone(), hears.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(20));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let n = m.len();
            let ssrc: Vec<u32> = (0..n).map(|_| rand::random()).collect();
            let mut seq: Vec<u16> = (0..n).map(|_| rand::random()).collect();
            let mut ts: Vec<u32> = (0..n).map(|_| rand::random()).collect();
            let mut packet = Vec::with_capacity(12 + FRAME);
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let frames: Vec<[i16; FRAME]> = m.iter().map(|x| x.queue.lock().expect("queue lock").take()).collect();
                let hears = heard.load(Ordering::Relaxed);
                for i in 0..n {
                    let Some(to) = m[i].peer.lock().expect("peer lock").target() else { continue };
                    packet.clear();
                    Header {
                        marker: false,
                        payload_type: m[i].payload_type,
                        sequence: seq[i],
                        timestamp: ts[i],
                        ssrc: ssrc[i],
                    }
                    .write(&mut packet);
                    for k in 0..FRAME {
                        let sum: i32 = frames
                            .iter()
                            .enumerate()
                            .filter(|(j, _)| hears & bit(i, *j) != 0)
                            .map(|(_, f)| f[k] as i32)
                            .sum();
                        let s = sum.clamp(i16::MIN as i32, i16::MAX as i32) as i16;
                        packet.push(if m[i].payload_type == PT_PCMA {
                            g711::linear_to_alaw(s)
                        } else {
                            g711::linear_to_ulaw(s)
                        });
                    }
                    let _ = m[i].socket.send_to(&packet, to).await;
                    seq[i] = seq[i].wrapping_add(1);
                    ts[i] = ts[i].wrapping_add(FRAME as u32);
                }
            }
        });
        Mixer { members, hears, tap, stopped }
    }

    /// Whether member `i` hears member `j` from now on.
    pub fn set_hears(&self, i: usize, j: usize, on: bool) {
        if i == j || i >= self.members.len() || j >= self.members.len() {
            return;
        }
        if on {
            self.hears.fetch_or(bit(i, j), Ordering::Relaxed);
        } else {
            self.hears.fetch_and(!bit(i, j), Ordering::Relaxed);
        }
    }

    pub fn hears(&self, i: usize, j: usize) -> bool {
        self.hears.load(Ordering::Relaxed) & bit(i, j) != 0
    }

    /// Sends what each member says to `tap`, as the side `sides[member]` names (None: that
    /// member is not recorded); `None` stops.
    pub fn record(&self, tap: Option<MixTap>) {
        *self.tap.lock().expect("tap lock") = tap;
    }

    pub fn socket(&self, i: usize) -> Arc<UdpSocket> {
        self.members[i].socket.clone()
    }

    pub fn remote(&self, i: usize) -> Option<SocketAddr> {
        self.members[i].peer.lock().expect("peer lock").target()
    }

    /// Who member `i` is, to hand over with its socket.
    pub fn peer(&self, i: usize) -> Peer {
        *self.members[i].peer.lock().expect("peer lock")
    }

    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
    }
}

impl Drop for Mixer {
    fn drop(&mut self) {
        self.stop();
    }
}
