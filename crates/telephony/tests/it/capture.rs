//! What really crossed the wire: tcpdump on loopback, the pcap read back, RTP payloads
//! decoded from G.711 and their tone measured.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use tokio::io::AsyncBufReadExt;

/// One UDP datagram seen on loopback.
pub struct Datagram {
    /// Seconds since the Unix epoch, as tcpdump saw it.
    pub at: f64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub payload: Vec<u8>,
}

pub struct Capture {
    child: tokio::process::Child,
    file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Capture {
    /// Starts tcpdump with a BPF `filter`, and returns once it is listening.
    pub async fn start(filter: &str) -> Capture {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cap.pcap");
        let mut child = tokio::process::Command::new("tcpdump")
            .args(["-i", "lo", "-U", "-n", "-s", "0", "-w"])
            .arg(&file)
            .arg(filter)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("tcpdump is installed (and the tests run as root)");
        let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
        let ready = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            while let Ok(Some(l)) = lines.next_line().await {
                if l.contains("listening on") {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(ready, Ok(true), "tcpdump started");
        Capture { child, file, _dir: dir }
    }

    /// Stops the capture and returns the UDP datagrams it saw.
    pub async fn stop(mut self) -> Vec<Datagram> {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let _ = nix_sigint(&self.child);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), self.child.wait()).await;
        parse_pcap(&std::fs::read(&self.file).unwrap_or_default())
    }
}

fn nix_sigint(child: &tokio::process::Child) -> std::io::Result<()> {
    let pid = child.id().unwrap_or(0).to_string();
    std::process::Command::new("kill").args(["-INT", &pid]).status().map(|_| ())
}

/// A classic pcap file (Ethernet or Linux cooked link types), IPv4/UDP only.
fn parse_pcap(b: &[u8]) -> Vec<Datagram> {
    let mut out = Vec::new();
    if b.len() < 24 {
        return out;
    }
    let le = b[0] == 0xd4;
    let u32at = |i: usize| {
        let a = [b[i], b[i + 1], b[i + 2], b[i + 3]];
        if le { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) }
    };
    let link = u32at(20);
    let l2 = match link {
        1 => 14,   // Ethernet (Linux loopback)
        113 => 16, // Linux cooked
        _ => return out,
    };
    let mut i = 24;
    while i + 16 <= b.len() {
        let at = u32at(i) as f64 + u32at(i + 4) as f64 / 1e6;
        let caplen = u32at(i + 8) as usize;
        let pkt = &b[i + 16..(i + 16 + caplen).min(b.len())];
        i += 16 + caplen;
        let Some(ip) = pkt.get(l2..) else { continue };
        if ip.len() < 20 || ip[0] >> 4 != 4 || ip[9] != 17 {
            continue;
        }
        let ihl = (ip[0] & 0x0f) as usize * 4;
        let Some(udp) = ip.get(ihl..) else { continue };
        if udp.len() < 8 {
            continue;
        }
        let src = SocketAddr::from(([ip[12], ip[13], ip[14], ip[15]], u16::from_be_bytes([udp[0], udp[1]])));
        let dst = SocketAddr::from(([ip[16], ip[17], ip[18], ip[19]], u16::from_be_bytes([udp[2], udp[3]])));
        out.push(Datagram { at, src, dst, payload: udp[8..].to_vec() });
    }
    out
}

/// The linear samples of a stream of PCMU RTP packets.
pub fn pcmu_samples<'a>(packets: impl Iterator<Item = &'a Datagram>) -> Vec<f64> {
    let mut s = Vec::new();
    for d in packets {
        if let Some((h, off)) = media::rtp::Header::parse(&d.payload)
            && h.payload_type == media::rtp::PT_PCMU
        {
            s.extend(d.payload[off..].iter().map(|&u| media::g711::ulaw_to_linear(u) as f64));
        }
    }
    s
}

/// The power of `hz` in `samples` (Goertzel), relative to the signal's total power.
pub fn tone_share(samples: &[f64], hz: f64) -> f64 {
    let n = samples.len().max(1) as f64;
    let w = 2.0 * std::f64::consts::PI * hz / 8000.0;
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in samples {
        let s0 = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    let total: f64 = samples.iter().map(|x| x * x).sum::<f64>() * n / 2.0;
    if total == 0.0 { 0.0 } else { power / total }
}

pub fn rms(samples: &[f64]) -> f64 {
    (samples.iter().map(|x| x * x).sum::<f64>() / samples.len().max(1) as f64).sqrt()
}

/// Seconds since the Unix epoch now, comparable with `Datagram::at`.
pub fn now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64()
}

/// The fraction of 50 ms blocks of `samples` in which one of `freqs` carries over half the
/// power: how much of a melody (a tone that changes) is made of these notes.
pub fn blocks_dominated_by(samples: &[f64], freqs: &[f64]) -> f64 {
    let blocks: Vec<&[f64]> = samples.chunks_exact(400).collect();
    if blocks.is_empty() {
        return 0.0;
    }
    let hits = blocks.iter().filter(|b| freqs.iter().any(|f| tone_share(b, *f) > 0.5)).count();
    hits as f64 / blocks.len() as f64
}

/// The mean, over 50 ms blocks, of the share of `f`'s power (two tones mixed at equal level
/// score about 0.5 each).
pub fn mean_block_share(samples: &[f64], f: f64) -> f64 {
    let blocks: Vec<&[f64]> = samples.chunks_exact(400).collect();
    if blocks.is_empty() {
        return 0.0;
    }
    blocks.iter().map(|b| tone_share(b, f)).sum::<f64>() / blocks.len() as f64
}
