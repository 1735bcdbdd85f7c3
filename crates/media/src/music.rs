//! Music on hold: 8 kHz mono audio, from a WAV file or a melody made here (nothing is
//! downloaded), played into a leg as RTP in the leg's codec, paced at 20 ms.

use crate::g711;
use crate::rtp::{Header, PT_PCMA};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::net::UdpSocket;

/// Samples per 20 ms packet at 8 kHz.
pub const FRAME: usize = 160;

#[derive(Clone)]
pub struct Music {
    samples: Arc<Vec<i16>>,
}

#[derive(Debug, thiserror::Error)]
pub enum MusicError {
    #[error("reading {0}: {1}")]
    Read(String, String),
    #[error("{0}: music on hold must be an 8000 Hz mono WAV (16-bit PCM), it is {1} Hz with {2} channels")]
    Format(String, u32, u16),
}

impl std::fmt::Debug for Music {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Music({:.1} s)", self.samples.len() as f64 / 8000.0)
    }
}

impl Music {
    /// A WAV file: 8 kHz, mono, 16-bit PCM (`sox in.mp3 -r 8000 -c 1 -b 16 out.wav` makes one).
    pub fn from_wav(path: &Path) -> Result<Music, MusicError> {
        let name = path.display().to_string();
        let mut r = hound::WavReader::open(path).map_err(|e| MusicError::Read(name.clone(), e.to_string()))?;
        let spec = r.spec();
        if spec.sample_rate != 8000 || spec.channels != 1 || spec.bits_per_sample != 16 {
            return Err(MusicError::Format(name, spec.sample_rate, spec.channels));
        }
        let samples: Vec<i16> =
            r.samples::<i16>().collect::<Result<_, _>>().map_err(|e| MusicError::Read(name, e.to_string()))?;
        Ok(Music { samples: Arc::new(samples) })
    }

    /// The default: a calm four-note arpeggio (C5 E5 G5 E5), each note 400 ms with soft edges.
    pub fn default_melody() -> Music {
        let notes = [523.25f64, 659.25, 783.99, 659.25];
        let per_note = 3200; // 400 ms
        let mut samples = Vec::with_capacity(notes.len() * per_note);
        for f in notes {
            for i in 0..per_note {
                let t = i as f64 / 8000.0;
                let edge = (i.min(per_note - 1 - i) as f64 / 400.0).min(1.0);
                let v = (2.0 * std::f64::consts::PI * f * t).sin() * 9000.0 * edge;
                samples.push(v as i16);
            }
        }
        Music { samples: Arc::new(samples) }
    }

    pub fn samples(&self) -> &[i16] {
        &self.samples
    }

    /// 8 kHz samples as a clip (an announcement put together from prompts).
    pub fn from_samples(samples: Vec<i16>) -> Music {
        Music { samples: Arc::new(samples) }
    }

    /// How long it plays.
    pub fn duration(&self) -> std::time::Duration {
        std::time::Duration::from_micros(self.samples.len() as u64 * 125)
    }

    /// The clips one after another.
    pub fn concat(parts: &[Music]) -> Music {
        Music::from_samples(parts.iter().flat_map(|p| p.samples.iter().copied()).collect())
    }
}

/// Sends the music from `socket` to `to` until `keep` turns false; G.711 in `payload_type`.
pub async fn play(
    music: Music,
    socket: Arc<UdpSocket>,
    to: impl Fn() -> Option<SocketAddr>,
    payload_type: u8,
    keep: impl Fn() -> bool,
) {
    play_with_prompts(music, socket, to, payload_type, keep, || None).await
}

/// Like `play`; a clip that `prompt` hands out (an announcement) is played whole in the music's
/// place, and the music goes on where it stopped.
pub async fn play_with_prompts(
    music: Music,
    socket: Arc<UdpSocket>,
    to: impl Fn() -> Option<SocketAddr>,
    payload_type: u8,
    keep: impl Fn() -> bool,
    prompt: impl Fn() -> Option<Music>,
) {
    let ssrc: u32 = rand::random();
    let mut seq: u16 = rand::random();
    let mut ts: u32 = rand::random();
    let mut pos = 0usize;
    let samples = music.samples();
    if samples.is_empty() {
        return;
    }
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut packet = Vec::with_capacity(12 + FRAME);
    let mut first = true;
    // The announcement being played, and how far.
    let mut clip: Option<(Music, usize)> = None;
    while keep() {
        tick.tick().await;
        if clip.is_none() {
            clip = prompt().filter(|c| !c.samples.is_empty()).map(|c| (c, 0));
        }
        packet.clear();
        Header { marker: first, payload_type, sequence: seq, timestamp: ts, ssrc }.write(&mut packet);
        for _ in 0..FRAME {
            let s = match &mut clip {
                Some((c, at)) => {
                    let s = c.samples.get(*at).copied().unwrap_or(0);
                    *at += 1;
                    s
                }
                None => {
                    let s = samples[pos];
                    pos = (pos + 1) % samples.len();
                    s
                }
            };
            packet.push(if payload_type == PT_PCMA { g711::linear_to_alaw(s) } else { g711::linear_to_ulaw(s) });
        }
        if clip.as_ref().is_some_and(|(c, at)| *at >= c.samples.len()) {
            clip = None;
        }
        if let Some(dest) = to() {
            let _ = socket.send_to(&packet, dest).await;
        }
        first = false;
        seq = seq.wrapping_add(1);
        ts = ts.wrapping_add(FRAME as u32);
    }
}

/// Music played into one socket on its own (a party waiting while the agent consults someone
/// else), until dropped.
pub struct Player {
    keep: Arc<std::sync::atomic::AtomicBool>,
}

impl Player {
    pub fn start(music: Music, socket: Arc<UdpSocket>, to: Option<SocketAddr>, payload_type: u8) -> Player {
        let keep = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let k = keep.clone();
        tokio::spawn(async move {
            play(music, socket, move || to, payload_type, move || k.load(std::sync::atomic::Ordering::Relaxed)).await;
        });
        Player { keep }
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.keep.store(false, std::sync::atomic::Ordering::Relaxed);
    }
}
