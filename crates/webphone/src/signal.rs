//! What the page and the gateway say to each other over the page's WebSocket (JSON, one
//! message per frame). The page always makes the WebRTC offer; the gateway answers it.

use serde::{Deserialize, Serialize};

/// From the page.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromPage {
    /// Answer the ringing call (or take back the call in progress after a reload) with this
    /// WebRTC offer of the page's.
    Answer { sdp: String },
    /// Call this number or extension; `sdp` is the page's WebRTC offer.
    Dial { number: String, sdp: String },
    /// Refuse the ringing call, stop dialling, or hang up.
    Hangup,
    /// Send these keys (0-9, *, #, A-D) as RFC 4733 events to the other side.
    Dtmf { digits: String },
    /// The media state, as the page asks for it (diagnostics).
    Stats,
}

/// To the page.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToPage {
    /// The phone is registered as the extension: calls to it ring here.
    Ready { extension: String },
    /// Another page of the same user took the phone over.
    Replaced,
    /// A call rings: who calls; `auto` when it is to be answered at once (the call bar's
    /// Answer elsewhere, or a click-to-call of this agent).
    Incoming { from: String, auto: bool },
    /// A call is in progress on this phone (sent to a page that attaches mid-call): the page
    /// makes a new offer with `Answer` to hear it again.
    Resume { with: String },
    /// The far side rings (after `Dial`).
    Progress,
    /// The gateway's WebRTC answer to the page's offer.
    Sdp { sdp: String },
    /// Media flows between the page and the gateway.
    Connected,
    /// The call is over (or never started): why, in a word the page translates.
    Ended { reason: EndReason },
    /// The media path of the call in progress.
    Stats { stats: MediaStats },
    /// The page asked something the phone cannot do now.
    Error { message: String },
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// Hung up (by either side).
    Hangup,
    /// The number refused, was busy or did not answer.
    Failed,
    Busy,
    /// The ringing call was answered elsewhere or the caller gave up.
    Cancelled,
    /// The browser's audio did not connect.
    MediaFailed,
    /// The page stayed away longer than the phone waits for it.
    PageGone,
}

/// Packets and state of both sides of a browser call.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct MediaStats {
    /// ICE and DTLS with the browser: "new", "checking", "connected", "disconnected".
    pub ice: String,
    pub dtls: bool,
    /// Packets from the browser, and to it.
    pub from_browser: u64,
    pub to_browser: u64,
    /// Packets to and from the call's relay.
    pub to_relay: u64,
    pub from_relay: u64,
    /// The codec both sides speak (PCMU or PCMA).
    pub codec: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_and_write_as_the_page_sends_them() {
        let m: FromPage = serde_json::from_str(r#"{"type":"dial","number":"102","sdp":"v=0"}"#).unwrap();
        assert_eq!(m, FromPage::Dial { number: "102".into(), sdp: "v=0".into() });
        assert!(serde_json::from_str::<FromPage>(r#"{"type":"explode"}"#).is_err());
        let out = serde_json::to_string(&ToPage::Ended { reason: EndReason::PageGone }).unwrap();
        assert_eq!(out, r#"{"type":"ended","reason":"page_gone"}"#);
    }
}
