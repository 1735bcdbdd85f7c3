//! The RTP fixed header (RFC 3550), as much as a relay and a player need.

/// Payload types Switchboard speaks: G.711 μ-law, A-law, and RFC 4733 events.
pub const PT_PCMU: u8 = 0;
pub const PT_PCMA: u8 = 8;
pub const PT_EVENT_DEFAULT: u8 = 101;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
}

pub const HEADER_LEN: usize = 12;

impl Header {
    /// Parses a packet's header and returns it with the payload's offset; `None` for anything
    /// that is not RTP version 2 or is truncated.
    pub fn parse(p: &[u8]) -> Option<(Header, usize)> {
        if p.len() < HEADER_LEN || p[0] >> 6 != 2 {
            return None;
        }
        let csrc = (p[0] & 0x0f) as usize;
        let mut off = HEADER_LEN + 4 * csrc;
        if p[0] & 0x10 != 0 {
            let ext = p.get(off + 2..off + 4)?;
            off += 4 + 4 * u16::from_be_bytes([ext[0], ext[1]]) as usize;
        }
        if off > p.len() {
            return None;
        }
        let h = Header {
            marker: p[1] & 0x80 != 0,
            payload_type: p[1] & 0x7f,
            sequence: u16::from_be_bytes([p[2], p[3]]),
            timestamp: u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
            ssrc: u32::from_be_bytes([p[8], p[9], p[10], p[11]]),
        };
        Some((h, off))
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(0x80);
        out.push(((self.marker as u8) << 7) | (self.payload_type & 0x7f));
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejects() {
        let h = Header { marker: true, payload_type: 8, sequence: 65535, timestamp: 160, ssrc: 0xdeadbeef };
        let mut v = Vec::new();
        h.write(&mut v);
        v.extend_from_slice(&[1, 2, 3]);
        assert_eq!(Header::parse(&v), Some((h, 12)));
        assert!(Header::parse(&v[..11]).is_none());
        assert!(Header::parse(&[0u8; 20]).is_none(), "version 0 is not RTP");
    }
}
