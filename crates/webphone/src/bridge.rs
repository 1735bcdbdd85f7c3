//! One browser call's media: WebRTC with the page (str0m: ICE-lite, DTLS-SRTP) on one UDP
//! socket, plain RTP with the call's relay in the B2BUA on another. G.711 payloads pass through
//! unchanged both ways (the page is offered only the codec the SIP side speaks); the page's
//! keys go to the relay as RFC 4733 events.

use crate::signal::MediaStats;
use media::RtpPorts;
use media::rtp::{Header, PT_PCMA};
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use str0m::change::SdpOffer;
use str0m::format::PayloadParams;
use str0m::media::{Frequency, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc, RtcConfig};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

/// The audio both sides speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Codec {
    /// PCMU (0) or PCMA (8): the payload type on the relay's side.
    pub pt: u8,
    /// The relay's payload type for RFC 4733 events, if it takes them.
    pub event_pt: Option<u8>,
}

impl Codec {
    pub fn name(&self) -> &'static str {
        if self.pt == PT_PCMA { "PCMA" } else { "PCMU" }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error("no free media port: {0}")]
    Ports(#[from] media::ports::NoFreePort),
    #[error("the page's WebRTC offer: {0}")]
    Offer(String),
}

/// What the bridge tells the phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BridgeEvent {
    /// Media flows with the page.
    Connected,
    /// The page's WebRTC session ended or never connected.
    Lost,
}

enum Ctl {
    /// Where the relay wants our RTP (None: on hold without an address).
    Relay(Option<SocketAddr>),
    /// A new WebRTC session (a reloaded page's offer) on the same sockets; the answer back.
    Offer(String, oneshot::Sender<Result<String, BridgeError>>),
    Dtmf(String),
}

#[derive(Default)]
struct Counters {
    from_browser: AtomicU64,
    to_browser: AtomicU64,
    to_relay: AtomicU64,
    from_relay: AtomicU64,
    dtls: AtomicBool,
    ice: Mutex<String>,
}

/// A running bridge; dropping it stops it.
pub(crate) struct Bridge {
    ctl: mpsc::UnboundedSender<Ctl>,
    /// Our RTP address for the relay (in our SDP to the B2BUA).
    pub rtp_local: SocketAddr,
    codec: Codec,
    counters: Arc<Counters>,
}

impl Bridge {
    /// Binds the page's socket, answers the page's `offer` and starts relaying; returns the
    /// bridge and the WebRTC answer for the page.
    pub async fn start(
        ports: &RtpPorts,
        media_ip: IpAddr,
        rtp: UdpSocket,
        offer: &str,
        codec: Codec,
        relay: Option<SocketAddr>,
        events: mpsc::UnboundedSender<BridgeEvent>,
    ) -> Result<(Bridge, String), BridgeError> {
        let web = ports.bind().await?;
        let web_local = web.local_addr().map_err(|e| BridgeError::Offer(e.to_string()))?;
        let web_local = SocketAddr::new(media_ip, web_local.port());
        let rtp_local = rtp.local_addr().map_err(|e| BridgeError::Offer(e.to_string()))?;
        let (rtc, answer) = session(offer, web_local, codec)?;
        let counters = Arc::new(Counters::default());
        let (ctl, rx) = mpsc::unbounded_channel();
        let link = Link {
            rtc,
            mid: None,
            pt: None,
            web,
            web_local,
            rtp,
            relay,
            codec,
            counters: counters.clone(),
            events,
            _alive: media::live::Counted::new(&BRIDGES),
        };
        tokio::spawn(link.run(rx));
        Ok((Bridge { ctl, rtp_local, codec, counters }, answer))
    }

    pub fn codec(&self) -> Codec {
        self.codec
    }

    pub fn set_relay(&self, to: Option<SocketAddr>) {
        let _ = self.ctl.send(Ctl::Relay(to));
    }

    /// A new WebRTC session with a reloaded page; the relay side goes on untouched.
    pub async fn renew(&self, offer: String) -> Result<String, BridgeError> {
        let (tx, rx) = oneshot::channel();
        let _ = self.ctl.send(Ctl::Offer(offer, tx));
        rx.await.map_err(|_| BridgeError::Offer("the bridge stopped".into()))?
    }

    pub fn dtmf(&self, digits: &str) {
        let _ = self.ctl.send(Ctl::Dtmf(digits.to_string()));
    }

    pub fn stats(&self) -> MediaStats {
        let c = &self.counters;
        MediaStats {
            ice: c.ice.lock().expect("ice lock").clone(),
            dtls: c.dtls.load(Ordering::Relaxed),
            from_browser: c.from_browser.load(Ordering::Relaxed),
            to_browser: c.to_browser.load(Ordering::Relaxed),
            to_relay: c.to_relay.load(Ordering::Relaxed),
            from_relay: c.from_relay.load(Ordering::Relaxed),
            codec: self.codec.name().into(),
        }
    }
}

/// A WebRTC session answering `offer` with ICE-lite on `local`, speaking only `codec`.
fn session(offer: &str, local: SocketAddr, codec: Codec) -> Result<(Rtc, String), BridgeError> {
    let bad = |e: &dyn std::fmt::Display| BridgeError::Offer(e.to_string());
    let config = RtcConfig::new().set_ice_lite(true).clear_codecs();
    let config = if codec.pt == PT_PCMA { config.enable_pcma(true) } else { config.enable_pcmu(true) };
    let mut rtc = config.build(Instant::now());
    let candidate = Candidate::host(local, "udp").map_err(|e| bad(&e))?;
    rtc.add_local_candidate(candidate);
    let offer = SdpOffer::from_sdp_string(offer).map_err(|e| bad(&e))?;
    let answer = rtc.sdp_api().accept_offer(offer).map_err(|e| bad(&e))?;
    Ok((rtc, answer.to_sdp_string()))
}

/// The task's side of a bridge.
struct Link {
    rtc: Rtc,
    mid: Option<Mid>,
    /// The page's payload type for our codec (found once per session).
    pt: Option<Pt>,
    web: UdpSocket,
    web_local: SocketAddr,
    rtp: UdpSocket,
    relay: Option<SocketAddr>,
    codec: Codec,
    counters: Arc<Counters>,
    events: mpsc::UnboundedSender<BridgeEvent>,
    /// Counted in [`BRIDGES`] until the link (its task and sockets) is gone.
    _alive: media::live::Counted,
}

/// Bridges alive in this process (for `/metrics`: 0 when no browser phone is in a call).
pub(crate) static BRIDGES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Our RTP stream to the relay: one SSRC, its own sequence, timestamps following the page's.
struct Outgoing {
    ssrc: u32,
    seq: u16,
    ts: u32,
    /// RFC 4733 payloads still to send (marker, payload), one every 20 ms.
    keys: VecDeque<(bool, [u8; 4])>,
    next_key: Option<tokio::time::Instant>,
}

impl Link {
    async fn run(mut self, mut ctl: mpsc::UnboundedReceiver<Ctl>) {
        let mut out =
            Outgoing { ssrc: rand::random(), seq: rand::random(), ts: 0, keys: VecDeque::new(), next_key: None };
        let (mut web_buf, mut rtp_buf) = (vec![0u8; 2048], vec![0u8; 2048]);
        let mut packet = Vec::with_capacity(256);
        loop {
            let Some(deadline) = self.drain(&mut out, &mut packet).await else { return };
            let key_due = out.next_key.unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                r = self.web.recv_from(&mut web_buf) => {
                    let Ok((n, source)) = r else { continue };
                    let Ok(contents) = web_buf[..n].try_into() else { continue };
                    let input = Input::Receive(Instant::now(), Receive {
                        proto: Protocol::Udp, source, destination: self.web_local, contents,
                    });
                    if self.rtc.accepts(&input) && self.rtc.handle_input(input).is_err() {
                        tracing::debug!("webphone: a packet from the page was refused");
                    }
                }
                r = self.rtp.recv_from(&mut rtp_buf) => {
                    // Only the relay's packets reach the page: an outsider spraying the RTP
                    // range is not heard by the agent.
                    let Ok((n, from)) = r else { continue };
                    if Some(from) != self.relay {
                        continue;
                    }
                    self.relay_audio(&rtp_buf[..n]);
                }
                _ = tokio::time::sleep_until(deadline.into()) => {
                    let _ = self.rtc.handle_input(Input::Timeout(Instant::now()));
                }
                _ = tokio::time::sleep_until(key_due), if out.next_key.is_some() => {
                    self.send_key(&mut out, &mut packet).await;
                }
                c = ctl.recv() => match c {
                    None => return,
                    Some(Ctl::Relay(to)) => self.relay = to,
                    Some(Ctl::Offer(offer, reply)) => {
                        let _ = reply.send(session(&offer, self.web_local, self.codec).map(|(rtc, answer)| {
                            self.rtc = rtc;
                            self.mid = None;
                            self.pt = None;
                            self.counters.dtls.store(false, Ordering::Relaxed);
                            answer
                        }));
                    }
                    Some(Ctl::Dtmf(digits)) => {
                        if self.codec.event_pt.is_some() {
                            for code in digits.chars().filter_map(media::dtmf::code) {
                                for (i, p) in media::dtmf::press(code).into_iter().enumerate() {
                                    out.keys.push_back((i == 0, p));
                                }
                            }
                            out.next_key.get_or_insert_with(tokio::time::Instant::now);
                        }
                    }
                }
            }
        }
    }

    /// Sends what str0m has to send and handles its events; returns when it wants time next
    /// (None: the session is over for good).
    async fn drain(&mut self, out: &mut Outgoing, packet: &mut Vec<u8>) -> Option<Instant> {
        loop {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(t)) => return Some(t),
                Ok(Output::Transmit(t)) => {
                    if self.web.send_to(&t.contents, t.destination).await.is_ok() {
                        self.counters.to_browser.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(Output::Event(e)) => self.on_event(e, out, packet).await,
                Err(e) => {
                    tracing::info!("webphone: the WebRTC session failed: {e}");
                    let _ = self.events.send(BridgeEvent::Lost);
                    // Wait for a new offer (a reload) rather than end: the phone decides.
                    return Some(Instant::now() + Duration::from_secs(3600));
                }
            }
        }
    }

    async fn on_event(&mut self, e: Event, out: &mut Outgoing, packet: &mut Vec<u8>) {
        match e {
            Event::IceConnectionStateChange(s) => {
                *self.counters.ice.lock().expect("ice lock") = format!("{s:?}").to_lowercase();
                if s == IceConnectionState::Disconnected {
                    let _ = self.events.send(BridgeEvent::Lost);
                }
            }
            Event::Connected => {
                self.counters.dtls.store(true, Ordering::Relaxed);
                let _ = self.events.send(BridgeEvent::Connected);
            }
            Event::MediaAdded(m) => {
                self.mid = Some(m.mid);
                self.pt = None;
            }
            Event::MediaData(data) => {
                self.counters.from_browser.fetch_add(1, Ordering::Relaxed);
                if !out.keys.is_empty() {
                    return; // the keys' events stand for the audio meanwhile (RFC 4733 §2.5)
                }
                let Some(to) = self.relay else { return };
                out.ts = data.time.numer() as u32;
                packet.clear();
                Header {
                    marker: false,
                    payload_type: self.codec.pt,
                    sequence: out.seq,
                    timestamp: out.ts,
                    ssrc: out.ssrc,
                }
                .write(packet);
                packet.extend_from_slice(&data.data);
                out.seq = out.seq.wrapping_add(1);
                if self.rtp.send_to(packet, to).await.is_ok() {
                    self.counters.to_relay.fetch_add(1, Ordering::Relaxed);
                }
            }
            _ => {}
        }
    }

    /// Audio from the relay goes to the page as it came (same payload, same timestamp).
    fn relay_audio(&mut self, p: &[u8]) {
        let Some((h, off)) = Header::parse(p) else { return };
        self.counters.from_relay.fetch_add(1, Ordering::Relaxed);
        if h.payload_type != self.codec.pt {
            return; // events and comfort noise: the page's codec has no place for them
        }
        let Some(mid) = self.mid else { return };
        let Some(writer) = self.rtc.writer(mid) else { return };
        let Some(pt) = self.pt.or_else(|| writer.payload_params().next().map(PayloadParams::pt)) else { return };
        self.pt = Some(pt);
        let time = MediaTime::new(h.timestamp as u64, Frequency::EIGHT_KHZ);
        if writer.write(pt, Instant::now(), time, &p[off..]).is_err() {
            tracing::debug!("webphone: audio to the page was refused");
        }
    }

    async fn send_key(&mut self, out: &mut Outgoing, packet: &mut Vec<u8>) {
        let (Some(pt), Some((marker, payload)), Some(to)) = (self.codec.event_pt, out.keys.pop_front(), self.relay)
        else {
            out.next_key = None;
            out.keys.clear();
            return;
        };
        if marker {
            out.ts = out.ts.wrapping_add(1200);
        }
        packet.clear();
        Header { marker, payload_type: pt, sequence: out.seq, timestamp: out.ts, ssrc: out.ssrc }.write(packet);
        packet.extend_from_slice(&payload);
        out.seq = out.seq.wrapping_add(1);
        let _ = self.rtp.send_to(packet, to).await;
        out.next_key = (!out.keys.is_empty()).then(|| tokio::time::Instant::now() + Duration::from_millis(20));
    }
}
