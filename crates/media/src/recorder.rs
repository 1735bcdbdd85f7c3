//! Call recording: a stereo WAV (8 kHz, 16-bit), one party per channel (side 0 left, side 1
//! right). Packets are placed on a 20 ms timeline by arrival, so silence and gaps keep both
//! channels aligned; the file is written when the recording stops.

use crate::g711;
use crate::rtp::{PT_PCMA, PT_PCMU};
use std::path::PathBuf;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

/// A packet's audio for the recorder: (side, payload type, G.711 payload).
pub type Tap = mpsc::UnboundedSender<(usize, u8, Vec<u8>)>;

pub struct Recording {
    tap: Tap,
    done: oneshot::Receiver<Result<PathBuf, String>>,
    pub path: PathBuf,
}

impl Recording {
    /// Starts recording into `path` (its folder is created).
    pub fn start(path: PathBuf) -> Recording {
        let (tap, mut rx) = mpsc::unbounded_channel::<(usize, u8, Vec<u8>)>();
        let (done_tx, done) = oneshot::channel();
        let file = path.clone();
        tokio::spawn(async move {
            let start = Instant::now();
            let mut ch: [Vec<i16>; 2] = [Vec::new(), Vec::new()];
            while let Some((side, pt, payload)) = rx.recv().await {
                let Some(c) = ch.get_mut(side) else { continue };
                let slot = (start.elapsed().as_millis() as usize / 20) * 160;
                if slot > c.len() {
                    c.resize(slot, 0);
                }
                c.extend(payload.iter().map(|&b| match pt {
                    PT_PCMA => g711::alaw_to_linear(b),
                    _ => g711::ulaw_to_linear(b),
                }));
            }
            let _ = done_tx.send(write(&file, &ch).map(|_| file.clone()).map_err(|e| e.to_string()));
        });
        Recording { tap, done, path }
    }

    pub fn tap(&self) -> Tap {
        self.tap.clone()
    }

    /// Stops and writes the file; returns its path.
    pub async fn stop(self) -> Result<PathBuf, String> {
        drop(self.tap);
        self.done.await.map_err(|_| "the recorder stopped unexpectedly".to_string())?
    }
}

/// Whether the payload type is audio the recorder can decode.
pub fn recordable(pt: u8) -> bool {
    pt == PT_PCMU || pt == PT_PCMA
}

fn write(path: &PathBuf, ch: &[Vec<i16>; 2]) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let spec =
        hound::WavSpec { channels: 2, sample_rate: 8000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut w = hound::WavWriter::create(path, spec)?;
    let n = ch[0].len().max(ch[1].len());
    for i in 0..n {
        w.write_sample(ch[0].get(i).copied().unwrap_or(0))?;
        w.write_sample(ch[1].get(i).copied().unwrap_or(0))?;
    }
    w.finalize()?;
    Ok(())
}
