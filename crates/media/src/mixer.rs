//! The conference mixer: every member hears the sum of the others (never itself). Each
//! member's packets are decoded into a short queue; every 20 ms one frame of each is taken
//! (silence when none came), mixed, and sent to each member in its own codec.

use crate::g711;
use crate::music::FRAME;
use crate::relay::Leg;
use crate::rtp::{Header, PT_PCMA};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::UdpSocket;

/// At most this many frames wait per member (60 ms); older ones are dropped.
const QUEUE: usize = 3;

struct Member {
    socket: Arc<UdpSocket>,
    remote: Mutex<Option<SocketAddr>>,
    payload_type: u8,
    queue: Mutex<VecDeque<[i16; FRAME]>>,
}

pub struct Mixer {
    members: Arc<Vec<Member>>,
    stopped: Arc<AtomicBool>,
}

impl Mixer {
    pub fn start(legs: Vec<Leg>) -> Mixer {
        let members: Arc<Vec<Member>> = Arc::new(
            legs.into_iter()
                .map(|l| Member {
                    socket: l.socket,
                    remote: Mutex::new(l.remote),
                    payload_type: l.payload_type,
                    queue: Mutex::new(VecDeque::new()),
                })
                .collect(),
        );
        let stopped = Arc::new(AtomicBool::new(false));
        for i in 0..members.len() {
            let (m, stop) = (members.clone(), stopped.clone());
            tokio::spawn(async move {
                let me = &m[i];
                let mut buf = [0u8; 2048];
                let mut latched = false;
                while !stop.load(Ordering::Relaxed) {
                    let got =
                        tokio::time::timeout(std::time::Duration::from_millis(200), me.socket.recv_from(&mut buf))
                            .await;
                    let Ok(Ok((n, peer))) = got else { continue };
                    {
                        let mut r = me.remote.lock().expect("remote lock");
                        if !latched {
                            *r = Some(peer);
                            latched = true;
                        } else if *r != Some(peer) {
                            continue;
                        }
                    }
                    let Some((h, off)) = Header::parse(&buf[..n]) else { continue };
                    if !crate::recorder::recordable(h.payload_type) || n - off < FRAME {
                        continue; // events and odd sizes are not mixed
                    }
                    let mut frame = [0i16; FRAME];
                    for (s, b) in frame.iter_mut().zip(&buf[off..off + FRAME]) {
                        *s =
                            if h.payload_type == PT_PCMA { g711::alaw_to_linear(*b) } else { g711::ulaw_to_linear(*b) };
                    }
                    let mut q = me.queue.lock().expect("queue lock");
                    if q.len() >= QUEUE {
                        q.pop_front();
                    }
                    q.push_back(frame);
                }
            });
        }
        let (m, stop) = (members.clone(), stopped.clone());
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
                let frames: Vec<[i16; FRAME]> =
                    m.iter().map(|x| x.queue.lock().expect("queue lock").pop_front().unwrap_or([0; FRAME])).collect();
                for i in 0..n {
                    let Some(to) = *m[i].remote.lock().expect("remote lock") else { continue };
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
                        let sum: i32 =
                            frames.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, f)| f[k] as i32).sum();
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
        Mixer { members, stopped }
    }

    pub fn socket(&self, i: usize) -> Arc<UdpSocket> {
        self.members[i].socket.clone()
    }

    pub fn remote(&self, i: usize) -> Option<SocketAddr> {
        *self.members[i].remote.lock().expect("remote lock")
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
