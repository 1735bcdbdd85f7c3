//! RTP ports from a configured range: even ports only (RTCP would take the odd one above).

use std::net::{IpAddr, SocketAddr};
use tokio::net::UdpSocket;

pub struct RtpPorts {
    ip: IpAddr,
    first: u16,
    last: u16,
}

#[derive(Debug, thiserror::Error)]
#[error("no free RTP port in {first}-{last} on {ip}")]
pub struct NoFreePort {
    ip: IpAddr,
    first: u16,
    last: u16,
}

/// Random tries before going round the whole range.
const TRIES: usize = 16;

impl RtpPorts {
    pub fn new(ip: IpAddr, first: u16, last: u16) -> RtpPorts {
        let first = first + first % 2;
        RtpPorts { ip, first, last: last.max(first) }
    }

    /// Binds a free even port chosen at random (the next call's port cannot be guessed from
    /// this one's); when the range is nearly full, goes round it once from a random place.
    pub async fn bind(&self) -> Result<UdpSocket, NoFreePort> {
        let count = (self.last - self.first) as usize / 2 + 1;
        let port = |i: usize| self.first + 2 * (i % count) as u16;
        for _ in 0..TRIES {
            if let Ok(s) = UdpSocket::bind(SocketAddr::new(self.ip, port(rand::random_range(0..count)))).await {
                return Ok(s);
            }
        }
        let start = rand::random_range(0..count);
        for i in start..start + count {
            if let Ok(s) = UdpSocket::bind(SocketAddr::new(self.ip, port(i))).await {
                return Ok(s);
            }
        }
        Err(NoFreePort { ip: self.ip, first: self.first, last: self.last })
    }
}

impl RtpPorts {
    /// How many ports of the range this process holds now (its UDP sockets bound in it), read
    /// from /proc (Linux); `None` elsewhere. For `/metrics`: 0 when no call is up.
    pub fn in_use(&self) -> Option<usize> {
        let mut ours = std::collections::HashSet::new();
        for fd in std::fs::read_dir("/proc/self/fd").ok()?.flatten() {
            if let Ok(target) = std::fs::read_link(fd.path())
                && let Some(inode) = target.to_str().and_then(|t| t.strip_prefix("socket:["))
            {
                ours.insert(inode.trim_end_matches(']').to_string());
            }
        }
        let mut n = 0;
        for table in ["/proc/self/net/udp", "/proc/self/net/udp6"] {
            let Ok(text) = std::fs::read_to_string(table) else { continue };
            for line in text.lines().skip(1) {
                let cols: Vec<&str> = line.split_whitespace().collect();
                let (Some(local), Some(inode)) = (cols.get(1), cols.get(9)) else { continue };
                let port = local.rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok());
                if port.is_some_and(|p| (self.first..=self.last).contains(&p)) && ours.contains(*inode) {
                    n += 1;
                }
            }
        }
        Some(n)
    }
}
