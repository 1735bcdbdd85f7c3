//! SDP (RFC 4566) as a B2BUA needs it: the audio address, payload types, telephone-event and
//! direction of an offer or answer, and our own offers and answers. Only G.711 (PCMU, PCMA)
//! and RFC 4733 events are spoken; media is relayed, never transcoded.

use std::net::{IpAddr, SocketAddr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    fn attr(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// Where the party wants audio; `None` when it gave port 0 or address 0.0.0.0 (on hold).
    pub addr: Option<SocketAddr>,
    /// Audio payload types we speak, in the party's order of preference.
    pub codecs: Vec<u8>,
    /// The payload type the party uses for telephone-event, if any.
    pub event_pt: Option<u8>,
    pub direction: Direction,
}

/// Parses the first audio stream of an SDP body; `None` when there is none or it is malformed.
pub fn parse(body: &[u8]) -> Option<Media> {
    let text = std::str::from_utf8(body).ok()?;
    let mut session_ip: Option<IpAddr> = None;
    let mut media_ip: Option<IpAddr> = None;
    let mut port: Option<u16> = None;
    let mut pts: Vec<u8> = Vec::new();
    let mut rtpmap: Vec<(u8, String)> = Vec::new();
    let mut direction = Direction::SendRecv;
    let mut in_audio = false;
    let mut seen_audio = false;
    for line in text.lines().map(str::trim_end) {
        let Some((kind, value)) = line.split_once('=') else { continue };
        match kind {
            "m" => {
                if seen_audio {
                    in_audio = false;
                    continue;
                }
                let mut f = value.split_whitespace();
                in_audio = f.next() == Some("audio");
                if in_audio {
                    seen_audio = true;
                    port = Some(f.next()?.split('/').next()?.parse().ok()?);
                    f.next()?; // protocol
                    pts = f.map(|p| p.parse().ok()).collect::<Option<Vec<u8>>>()?;
                }
            }
            "c" => {
                let ip = value.split_whitespace().nth(2)?.split('/').next()?.parse().ok()?;
                if in_audio {
                    media_ip = Some(ip)
                } else if !seen_audio {
                    session_ip = Some(ip)
                }
            }
            "a" if in_audio || !seen_audio => {
                if let Some(map) = value.strip_prefix("rtpmap:") {
                    let (pt, enc) = map.split_once(' ')?;
                    rtpmap.push((pt.parse().ok()?, enc.to_ascii_lowercase()));
                } else {
                    direction = match value {
                        "sendrecv" => Direction::SendRecv,
                        "sendonly" => Direction::SendOnly,
                        "recvonly" => Direction::RecvOnly,
                        "inactive" => Direction::Inactive,
                        _ => direction,
                    };
                }
            }
            _ => {}
        }
    }
    let port = port?;
    let ip = media_ip.or(session_ip)?;
    let name = |pt: u8| rtpmap.iter().find(|(p, _)| *p == pt).map(|(_, e)| e.as_str());
    let codecs = pts
        .iter()
        .copied()
        .filter(|&pt| match name(pt) {
            Some(e) => e.starts_with("pcmu/8000") || e.starts_with("pcma/8000"),
            None => pt == 0 || pt == 8,
        })
        .collect();
    let event_pt = pts.iter().copied().find(|&pt| name(pt).is_some_and(|e| e.starts_with("telephone-event/8000")));
    let addr = (port != 0 && !ip.is_unspecified()).then(|| SocketAddr::new(ip, port));
    Some(Media { addr, codecs, event_pt, direction })
}

/// Our SDP: audio at `addr` with `codecs` (and telephone-event when given).
pub fn build(
    addr: SocketAddr,
    codecs: &[u8],
    event_pt: Option<u8>,
    direction: Direction,
    session: u64,
    version: u64,
) -> String {
    let ip = addr.ip();
    let fam = if ip.is_ipv4() { "IP4" } else { "IP6" };
    let mut pts: Vec<String> = codecs.iter().map(u8::to_string).collect();
    if let Some(e) = event_pt {
        pts.push(e.to_string());
    }
    let mut s = format!(
        "v=0\r\no=switchboard {session} {version} IN {fam} {ip}\r\ns=Switchboard\r\nc=IN {fam} {ip}\r\nt=0 0\r\nm=audio {} RTP/AVP {}\r\n",
        addr.port(),
        pts.join(" ")
    );
    for pt in codecs {
        match pt {
            0 => s.push_str("a=rtpmap:0 PCMU/8000\r\n"),
            8 => s.push_str("a=rtpmap:8 PCMA/8000\r\n"),
            _ => {}
        }
    }
    if let Some(e) = event_pt {
        s.push_str(&format!("a=rtpmap:{e} telephone-event/8000\r\na=fmtp:{e} 0-16\r\n"));
    }
    s.push_str("a=ptime:20\r\n");
    s.push_str(&format!("a={}\r\n", direction.attr()));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18 8 0 101\r\na=rtpmap:18 G729/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\nm=video 5000 RTP/AVP 96\r\nc=IN IP4 10.9.9.9\r\n";

    #[test]
    fn offers_are_read_and_ours_read_back() {
        let m = parse(OFFER.as_bytes()).unwrap();
        assert_eq!(m.addr, Some("10.0.0.5:4000".parse().unwrap()));
        assert_eq!(m.codecs, vec![8, 0], "G.729 is not ours; order kept");
        assert_eq!((m.event_pt, m.direction), (Some(101), Direction::SendRecv));
        let ours = build("127.0.0.1:30000".parse().unwrap(), &[0], Some(101), Direction::SendOnly, 7, 1);
        let back = parse(ours.as_bytes()).unwrap();
        assert_eq!(
            (back.addr.unwrap().port(), back.codecs, back.event_pt, back.direction),
            (30000, vec![0], Some(101), Direction::SendOnly)
        );
    }

    #[test]
    fn hold_and_garbage() {
        let hold = OFFER.replace("c=IN IP4 10.0.0.5", "c=IN IP4 0.0.0.0");
        assert_eq!(parse(hold.as_bytes()).unwrap().addr, None);
        for bad in [
            "",
            "v=0",
            "m=audio x RTP/AVP 0\r\nc=IN IP4 1.2.3.4",
            "m=audio 4000 RTP/AVP 0",
            "\u{0}\u{1}",
            "m=audio 4000 RTP/AVP zz\r\nc=IN IP4 1.2.3.4",
        ] {
            assert!(parse(bad.as_bytes()).is_none(), "{bad:?}");
        }
    }
}
