//! Audio through the B2BUA, measured on the wire.

use crate::capture::{Capture, pcmu_samples, rms, tone_share};
use crate::harness::{explain, free_port, ok, phone, register, server_with_settings, sipp};
use std::time::Duration;

/// Our relay's RTP ports in these tests: 41000-41998. The callee's sipp streams 880 Hz from
/// ports at 34000+, the caller's 440 Hz from ports at 34500+.
#[tokio::test]
async fn each_party_hears_the_other_through_the_relay() {
    let srv = server_with_settings(|s| s.rtp_ports = (41000, 41998)).await;
    let cap = Capture::start("udp and portrange 34000-34999").await;
    let port = free_port();
    register(&srv, "1002", "acme-1002-pw", port).await;
    let callee = phone("uas_answer.xml", port, 34000, &[]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let args =
        ["-s", "1002", "-au", "1001", "-ap", "acme-1001-pw", "-key", "caller", "1001", "-mp", "34500", "-d", "2500"];
    let a = sipp("call_uac.xml", srv.local_addr(), &args).await;
    assert!(ok(&a), "caller: {}", explain(&a));
    assert!(ok(&callee.wait_with_output().await.unwrap()));
    let seen = cap.stop().await;

    let from_relay = |lo: u16, hi: u16| {
        seen.iter().filter(move |d| (41000..=41999).contains(&d.src.port()) && (lo..=hi).contains(&d.dst.port()))
    };
    let at_callee = pcmu_samples(from_relay(34000, 34499));
    let at_caller = pcmu_samples(from_relay(34500, 34999));
    assert!(at_callee.len() >= 8000, "the callee received at least a second of audio ({} samples)", at_callee.len());
    assert!(at_caller.len() >= 8000, "the caller received at least a second of audio ({} samples)", at_caller.len());
    assert!(rms(&at_callee) > 1000.0 && rms(&at_caller) > 1000.0, "not silence");
    let (c440, c880) = (tone_share(&at_callee, 440.0), tone_share(&at_callee, 880.0));
    assert!(c440 > 0.5 && c880 < 0.05, "the callee hears the caller's 440 Hz (440: {c440:.2}, 880: {c880:.2})");
    let (a880, a440) = (tone_share(&at_caller, 880.0), tone_share(&at_caller, 440.0));
    assert!(a880 > 0.5 && a440 < 0.05, "the caller hears the callee's 880 Hz (880: {a880:.2}, 440: {a440:.2})");
}
