//! The parsing path a packet from the network takes, as one function for the fuzzer
//! (`fuzz/fuzz_targets/sip_message.rs`) and for the corpus replay test that CI runs.

use rsipstack::sip::prelude::*;
use rsipstack::sip::{Header, SipMessage};

/// Parses `data` as the server would: the SIP message, then its SDP body, digest credentials,
/// Contacts and their expiry. Must never panic, whatever the bytes.
pub fn sip_message(data: &[u8]) {
    let _ = crate::sdp::parse(data);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = crate::digest::parse_authorization(s);
        for part in crate::registrar::split_contacts(s) {
            let _ = crate::registrar::contact_expires(part);
        }
    }
    let Ok(msg) = SipMessage::try_from(data) else { return };
    let _ = msg.to_string();
    if let SipMessage::Request(req) = msg {
        let _ = crate::sdp::parse(&req.body);
        if let Some(a) = req.authorization_header() {
            let _ = crate::digest::parse_authorization(a.value());
        }
        for h in req.headers.iter() {
            if let Header::Contact(c) = h {
                for part in crate::registrar::split_contacts(c.value()) {
                    let _ = rsipstack::sip::typed::Contact::parse(part);
                    let _ = crate::registrar::contact_expires(part);
                }
            }
        }
        let _ = req.to_header().and_then(|t| t.typed());
        let _ = req.cseq_header().and_then(|c| c.seq());
    }
}
