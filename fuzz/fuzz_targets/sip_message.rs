#![no_main]
//! Any bytes from the network through the SIP/SDP parsing path must never panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    telephony::fuzzing::sip_message(data);
});
