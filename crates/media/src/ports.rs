//! RTP ports from a configured range: even ports only (RTCP would take the odd one above).

use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use tokio::net::UdpSocket;

pub struct RtpPorts {
    ip: IpAddr,
    first: u16,
    last: u16,
    next: Mutex<u16>,
}

#[derive(Debug, thiserror::Error)]
#[error("no free RTP port in {first}-{last} on {ip}")]
pub struct NoFreePort {
    ip: IpAddr,
    first: u16,
    last: u16,
}

impl RtpPorts {
    pub fn new(ip: IpAddr, first: u16, last: u16) -> RtpPorts {
        let first = first + first % 2;
        RtpPorts { ip, first, last: last.max(first), next: Mutex::new(first) }
    }

    /// Binds the next free even port, going round the range once at most.
    pub async fn bind(&self) -> Result<UdpSocket, NoFreePort> {
        let count = (self.last - self.first) / 2 + 1;
        for _ in 0..count {
            let port = {
                let mut n = self.next.lock().expect("ports lock");
                let p = *n;
                *n = if p + 2 > self.last { self.first } else { p + 2 };
                p
            };
            if let Ok(s) = UdpSocket::bind(SocketAddr::new(self.ip, port)).await {
                return Ok(s);
            }
        }
        Err(NoFreePort { ip: self.ip, first: self.first, last: self.last })
    }
}
