//! RFC 4733 telephone events (DTMF) in RTP: reading the digit out of a packet, and making the
//! packets that send one.

/// The digit of an event code: 0-9, *, #, A-D.
pub fn digit(code: u8) -> Option<char> {
    match code {
        0..=9 => Some((b'0' + code) as char),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some((b'A' + code - 12) as char),
        _ => None,
    }
}

/// The event code of a key: 0-9, *, #, A-D.
pub fn code(digit: char) -> Option<u8> {
    match digit.to_ascii_uppercase() {
        d @ '0'..='9' => Some(d as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        d @ 'A'..='D' => Some(d as u8 - b'A' + 12),
        _ => None,
    }
}

/// The payloads of one key press: 100 ms of event packets, then the end packet three times
/// (RFC 4733 §2.5.1.4). All share one RTP timestamp.
pub fn press(code: u8) -> Vec<[u8; 4]> {
    const VOLUME: u8 = 10;
    let mut out: Vec<[u8; 4]> = (1..=5u16)
        .map(|i| {
            let d = (i * 160).to_be_bytes();
            [code, VOLUME, d[0], d[1]]
        })
        .collect();
    let d = 800u16.to_be_bytes();
    out.extend([[code, 0x80 | VOLUME, d[0], d[1]]; 3]);
    out
}

/// An event payload: (digit, end of event).
pub fn parse(payload: &[u8]) -> Option<(char, bool)> {
    if payload.len() < 4 {
        return None;
    }
    Some((digit(payload[0])?, payload[1] & 0x80 != 0))
}

/// Remembers which events were reported, so an event (its end packet is sent three times) is
/// reported once.
#[derive(Default)]
pub struct Detector {
    last: Option<(u32, u32)>,
}

impl Detector {
    /// The digit to report for this packet, if it is the first end packet of a new event.
    pub fn feed(&mut self, ssrc: u32, timestamp: u32, payload: &[u8]) -> Option<char> {
        let (d, end) = parse(payload)?;
        if !end || self.last == Some((ssrc, timestamp)) {
            return None;
        }
        self.last = Some((ssrc, timestamp));
        Some(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_report_per_event() {
        let mut d = Detector::default();
        let start = [5u8, 0x0a, 0, 160];
        let end = [5u8, 0x8a, 3, 0x20];
        assert_eq!(d.feed(1, 800, &start), None, "not ended yet");
        assert_eq!(d.feed(1, 800, &end), Some('5'));
        assert_eq!(d.feed(1, 800, &end), None, "the repeated end packets");
        assert_eq!(d.feed(1, 2400, &[11, 0x80, 0, 0]), Some('#'));
        assert_eq!(parse(&[16, 0x80, 0, 0]), None, "not a DTMF event");
        assert_eq!(parse(&[1]), None);
    }

    #[test]
    fn a_press_is_read_back_as_one_key() {
        let mut d = Detector::default();
        let keys: Vec<char> = press(code('#').unwrap()).iter().filter_map(|p| d.feed(9, 1600, p)).collect();
        assert_eq!(keys, vec!['#']);
        assert_eq!((code('5'), code('x')), (Some(5), None));
    }
}
