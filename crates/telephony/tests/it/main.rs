//! Telephony against real SIP peers: sipp (Debian's sip-tester) as phones, and raw sockets
//! for what sipp cannot send (SHA-256 digests, malformed packets).

mod calls;
mod capture;
mod fuzz_corpus;
mod harness;
mod media;
mod registrar;
mod robustness;
mod supervision;
mod trunks;
