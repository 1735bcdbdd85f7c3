//! Audio through the B2BUA, measured on the wire.

use crate::capture::{Capture, blocks_dominated_by, pcmu_samples, rms, tone_share};
use crate::harness::{explain, free_port, ok, phone, register, server_with_settings, sipp};
use std::time::Duration;

/// Our relay's RTP ports in these tests: 20000-20998. The callee's sipp streams 880 Hz from
/// ports at 13000+, the caller's 440 Hz from ports at 13500+.
#[tokio::test]
async fn each_party_hears_the_other_through_the_relay() {
    let srv = server_with_settings(|s| s.rtp_ports = (62000, 62498)).await;
    let cap = Capture::start("udp and portrange 13000-13999").await;
    let port = free_port();
    register(&srv, "1002", "acme-1002-pw", port).await;
    let callee = phone("uas_answer.xml", port, 13000, &[]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let args =
        ["-s", "1002", "-au", "1001", "-ap", "acme-1001-pw", "-key", "caller", "1001", "-mp", "13500", "-d", "2500"];
    let a = sipp("call_uac.xml", srv.local_addr(), &args).await;
    assert!(ok(&a), "caller: {}", explain(&a));
    assert!(ok(&callee.wait_with_output().await.unwrap()));
    let seen = cap.stop().await;

    let from_relay = |lo: u16, hi: u16| {
        seen.iter().filter(move |d| (62000..=62499).contains(&d.src.port()) && (lo..=hi).contains(&d.dst.port()))
    };
    let at_callee = pcmu_samples(from_relay(13000, 13499));
    let at_caller = pcmu_samples(from_relay(13500, 13999));
    assert!(at_callee.len() >= 8000, "the callee received at least a second of audio ({} samples)", at_callee.len());
    assert!(at_caller.len() >= 8000, "the caller received at least a second of audio ({} samples)", at_caller.len());
    assert!(rms(&at_callee) > 1000.0 && rms(&at_caller) > 1000.0, "not silence");
    let (c440, c880) = (tone_share(&at_callee, 440.0), tone_share(&at_callee, 880.0));
    assert!(c440 > 0.5 && c880 < 0.05, "the callee hears the caller's 440 Hz (440: {c440:.2}, 880: {c880:.2})");
    let (a880, a440) = (tone_share(&at_caller, 880.0), tone_share(&at_caller, 440.0));
    assert!(a880 > 0.5 && a440 < 0.05, "the caller hears the callee's 880 Hz (880: {a880:.2}, 440: {a440:.2})");
}

/// The agent (caller 1001) holds and resumes through the command channel: meanwhile the
/// callee hears the music on hold (its notes, not the caller's 440 Hz) and the holder hears
/// nothing; after resuming, the callee hears the caller again.
#[tokio::test]
async fn hold_plays_music_to_the_held_party_and_nothing_to_the_holder() {
    use crate::capture::now;
    use telephony::events::{CallCommand, CallEventKind};
    let srv = server_with_settings(|s| s.rtp_ports = (62500, 62998)).await;
    let mut rx = srv.subscribe();
    let cap = Capture::start("udp and portrange 17000-17999").await;
    let port = free_port();
    register(&srv, "1002", "acme-1002-pw", port).await;
    let callee = phone("uas_answer.xml", port, 17000, &[]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let args =
        ["-s", "1002", "-au", "1001", "-ap", "acme-1001-pw", "-key", "caller", "1001", "-mp", "17500", "-d", "4500"];
    let target = srv.local_addr();
    let caller = tokio::spawn(async move { sipp("call_uac.xml", target, &args).await });
    let call_id = crate::harness::wait_for(&mut rx, CallEventKind::Answered).await.call.call_id;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let held_at = now();
    srv.command(1, &call_id, CallCommand::Hold).unwrap();
    assert_eq!(rx.recv().await.unwrap().kind, CallEventKind::Held);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let resumed_at = now();
    srv.command(1, &call_id, CallCommand::Resume).unwrap();
    assert_eq!(rx.recv().await.unwrap().kind, CallEventKind::Resumed);
    assert_eq!(
        srv.command(2, &call_id, CallCommand::Hold),
        Err(telephony::CallError::NoSuchCall),
        "another organization cannot reach the call"
    );
    let a = caller.await.unwrap();
    assert!(ok(&a), "caller: {}", explain(&a));
    assert!(ok(&callee.wait_with_output().await.unwrap()));
    let seen = cap.stop().await;

    let window = |lo: u16, hi: u16, from: f64, to: f64| {
        seen.iter().filter(move |d| {
            (62500..=62999).contains(&d.src.port()) && (lo..=hi).contains(&d.dst.port()) && d.at > from && d.at < to
        })
    };
    let callee_on_hold = pcmu_samples(window(17000, 17499, held_at + 0.2, resumed_at - 0.1));
    assert!(callee_on_hold.len() >= 8000, "the held party received audio all along ({} samples)", callee_on_hold.len());
    assert!(rms(&callee_on_hold) > 1000.0, "music, not silence (rms {:.0})", rms(&callee_on_hold));
    let notes = blocks_dominated_by(&callee_on_hold, &[523.25, 659.25, 783.99]);
    let voice = blocks_dominated_by(&callee_on_hold, &[440.0]);
    assert!(
        notes > 0.8 && voice == 0.0,
        "the held party hears the music, not the caller (blocks of the notes {notes:.2}, of 440 Hz {voice:.2})"
    );
    let holder_on_hold = window(17500, 17999, held_at + 0.2, resumed_at - 0.1).count();
    assert!(holder_on_hold <= 2, "the holder hears nothing ({holder_on_hold} packets)");
    let after = pcmu_samples(window(17000, 17499, resumed_at + 0.3, f64::MAX));
    assert!(after.len() >= 4000 && tone_share(&after, 440.0) > 0.5, "after resuming the callee hears the caller again");
}

/// Recording started and stopped by command: a stereo WAV with the caller (440 Hz) on the left
/// channel and the callee (880 Hz) on the right.
#[tokio::test]
async fn a_recording_holds_both_sides_one_per_channel() {
    use telephony::events::{CallCommand, CallEventKind};
    let dir = tempfile::tempdir().unwrap();
    let rec_dir = dir.path().to_path_buf();
    let srv = server_with_settings(move |s| {
        s.rtp_ports = (63000, 63498);
        s.recordings = Some(rec_dir);
    })
    .await;
    let mut rx = srv.subscribe();
    let port = free_port();
    register(&srv, "1002", "acme-1002-pw", port).await;
    let callee = phone("uas_answer.xml", port, 18000, &[]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let args =
        ["-s", "1002", "-au", "1001", "-ap", "acme-1001-pw", "-key", "caller", "1001", "-mp", "18500", "-d", "3000"];
    let target = srv.local_addr();
    let caller = tokio::spawn(async move { sipp("call_uac.xml", target, &args).await });
    let call_id = crate::harness::wait_for(&mut rx, CallEventKind::Answered).await.call.call_id;
    tokio::time::sleep(Duration::from_millis(400)).await;
    srv.command(1, &call_id, CallCommand::RecordStart).unwrap();
    assert!(matches!(rx.recv().await.unwrap().kind, CallEventKind::RecordingStarted { .. }));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    srv.command(1, &call_id, CallCommand::RecordStop).unwrap();
    let path = match rx.recv().await.unwrap().kind {
        CallEventKind::RecordingStopped { path } => path,
        other => panic!("{other:?}"),
    };
    assert!(ok(&caller.await.unwrap()));
    assert!(ok(&callee.wait_with_output().await.unwrap()));
    assert!(path.starts_with(dir.path().join("1").to_str().unwrap()), "in the organization's folder: {path}");
    let mut wav = hound::WavReader::open(&path).unwrap();
    let spec = wav.spec();
    assert_eq!((spec.channels, spec.sample_rate, spec.bits_per_sample), (2, 8000, 16));
    let samples: Vec<i16> = wav.samples::<i16>().map(|s| s.unwrap()).collect();
    let left: Vec<f64> = samples.iter().step_by(2).map(|&s| s as f64).collect();
    let right: Vec<f64> = samples.iter().skip(1).step_by(2).map(|&s| s as f64).collect();
    assert!(left.len() >= 8000, "over a second recorded ({} samples)", left.len());
    // Share of 50 ms blocks each tone dominates (robust to the packet-timeline joins).
    let share = |ch: &[f64], f: f64| blocks_dominated_by(ch, &[f]);
    let (l440, l880, r880, r440) =
        (share(&left, 440.0), share(&left, 880.0), share(&right, 880.0), share(&right, 440.0));
    assert!(l440 > 0.8 && l880 == 0.0, "left is the caller (440: {l440:.2}, 880: {l880:.2})");
    assert!(r880 > 0.8 && r440 == 0.0, "right is the callee (880: {r880:.2}, 440: {r440:.2})");
}

/// A conference of three (see the tests below), with the capture running.
struct Conference {
    srv: telephony::SipServer,
    rx: tokio::sync::broadcast::Receiver<telephony::events::CallEvent>,
    cap: Capture,
    agent: tokio::process::Child,
    third: tokio::process::Child,
    customer: tokio::task::JoinHandle<std::process::Output>,
    call_id: String,
}

/// The customer (440 Hz, from the trunk, media at `base`) calls 1002 (880 Hz, `base` + 200),
/// who consults 1003 (1320 Hz, `base` + 400) and merges; the server's RTP ports are `rtp`, the
/// capture takes `base` to `base` + 999. The customer hangs up after 5 s.
async fn conference(rtp: (u16, u16), base: u16, caller: &'static str) -> Conference {
    use crate::harness::{DID_1002, phone_rendered, render, server_with_carrier, sipp_from, wait_for};
    use telephony::events::{CallCommand, CallEventKind};
    let srv = server_with_carrier(None, |s| s.rtp_ports = rtp).await;
    let mut rx = srv.subscribe();
    let cap = Capture::start(&format!("udp and portrange {base}-{}", base + 999)).await;
    let p2 = free_port();
    register(&srv, "1002", "acme-1002-pw", p2).await;
    let agent = phone("uas_answer.xml", p2, base + 200, &[]);
    let p3 = free_port();
    register(&srv, "1003", "acme-1003-pw", p3).await;
    let third = phone_rendered("127.0.0.1", &render("uas_answer.xml", 1320, &[]), p3, base + 400, &[]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let target = srv.local_addr();
    let customer = tokio::spawn(async move {
        let media = base.to_string();
        let args = ["-s", DID_1002, "-key", "caller", caller, "-mp", &media, "-d", "5000"];
        sipp_from("127.0.0.2", "trunk_uac.xml", target, &args).await
    });
    let call_id = wait_for(&mut rx, CallEventKind::Answered).await.call.call_id;
    srv.command(1, &call_id, CallCommand::ConsultStart { to: "1003".into() }).unwrap();
    wait_for(&mut rx, CallEventKind::Held).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    srv.command(1, &call_id, CallCommand::ConferenceMerge).unwrap();
    wait_for(&mut rx, CallEventKind::ConferenceJoined { party: "1003".into() }).await;
    Conference { srv, rx, cap, agent, third, customer, call_id }
}

/// Conference: the customer (440 Hz, from the trunk) talks to 1002 (880 Hz), who consults 1003
/// (1320 Hz) and merges: each of the three hears the other two, and not itself.
#[tokio::test]
async fn in_a_conference_each_party_hears_the_other_two() {
    use crate::capture::{mean_block_share, now};
    // The server lives to the end of the test.
    let Conference { srv: _srv, cap, agent, third, customer, .. } =
        conference((63500, 63998), 23000, "48600111888").await;
    let from = now() + 0.3;
    tokio::time::sleep(Duration::from_millis(1800)).await;
    let to = now();
    let c = customer.await.unwrap();
    assert!(ok(&c), "customer: {}", explain(&c));
    assert!(ok(&agent.wait_with_output().await.unwrap()), "the agent got its hang-up");
    assert!(ok(&third.wait_with_output().await.unwrap()), "the third party got its hang-up");
    let seen = cap.stop().await;
    let heard = |lo: u16| {
        pcmu_samples(seen.iter().filter(|d| {
            (63500..=63999).contains(&d.src.port())
                && (lo..lo + 200).contains(&d.dst.port())
                && d.at > from
                && d.at < to
        }))
    };
    for (who, port, own, others) in [
        ("customer", 23000, 440.0, [880.0, 1320.0]),
        ("agent", 23200, 880.0, [440.0, 1320.0]),
        ("third", 23400, 1320.0, [440.0, 880.0]),
    ] {
        let s = heard(port);
        assert!(s.len() >= 8000, "the {who} received a second of the conference ({} samples)", s.len());
        let (a, b, me) = (mean_block_share(&s, others[0]), mean_block_share(&s, others[1]), mean_block_share(&s, own));
        assert!(
            a > 0.25 && b > 0.25 && me < 0.05,
            "the {who} hears {} Hz ({a:.2}) and {} Hz ({b:.2}), not itself ({me:.2})",
            others[0],
            others[1]
        );
    }
}

/// The agent leaves a conference: the customer (440 Hz) and the third party (1320 Hz) go on
/// hearing each other, and no longer the agent (880 Hz), who is hung up at once.
#[tokio::test]
async fn the_agent_leaving_a_conference_leaves_the_other_two_talking() {
    use crate::capture::{mean_block_share, now};
    use crate::harness::wait_for;
    use telephony::events::{CallCommand, CallEventKind};
    let Conference { srv, mut rx, cap, agent, third, customer, call_id } =
        conference((64500, 64998), 27000, "48600111889").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    srv.command(1, &call_id, CallCommand::ConferenceLeave).unwrap();
    wait_for(&mut rx, CallEventKind::Transferred { to: "1003".into() }).await;
    assert!(ok(&agent.wait_with_output().await.unwrap()), "the agent was hung up when she left");
    let from = now() + 0.3;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let to = now();
    let c = customer.await.unwrap();
    assert!(ok(&c), "customer: {}", explain(&c));
    assert!(ok(&third.wait_with_output().await.unwrap()), "the third party got its hang-up from the customer");
    let seen = cap.stop().await;
    let heard = |lo: u16| {
        pcmu_samples(seen.iter().filter(|d| {
            (64500..=64999).contains(&d.src.port())
                && (lo..lo + 200).contains(&d.dst.port())
                && d.at > from
                && d.at < to
        }))
    };
    for (who, port, other, own) in [("customer", 27000, 1320.0, 440.0), ("third", 27400, 440.0, 1320.0)] {
        let s = heard(port);
        assert!(s.len() >= 8000, "the {who} received a second after the agent left ({} samples)", s.len());
        let (them, agent, me) = (mean_block_share(&s, other), mean_block_share(&s, 880.0), mean_block_share(&s, own));
        assert!(
            them > 0.5 && agent < 0.05 && me < 0.05,
            "the {who} hears {other} Hz ({them:.2}), not the agent ({agent:.2}), not itself ({me:.2})"
        );
    }
}

/// The agent (caller 1001) sends keys 1, 2, # by command: the callee receives them as RFC 4733
/// events (payload type 101 from its SDP), each key once.
#[tokio::test]
async fn keys_sent_by_command_reach_the_other_party_as_events() {
    use telephony::events::{CallCommand, CallEventKind};
    let srv = server_with_settings(|s| s.rtp_ports = (64000, 64498)).await;
    let mut rx = srv.subscribe();
    let cap = Capture::start("udp and portrange 26000-26999").await;
    let port = free_port();
    register(&srv, "1002", "acme-1002-pw", port).await;
    let callee = phone("uas_answer.xml", port, 26000, &[]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let args =
        ["-s", "1002", "-au", "1001", "-ap", "acme-1001-pw", "-key", "caller", "1001", "-mp", "26500", "-d", "2500"];
    let target = srv.local_addr();
    let mut caller = tokio::spawn(async move { sipp("call_uac.xml", target, &args).await });
    // (Once flaky on a busy machine: a caller that fails says why instead of "no Answered".)
    let call_id = tokio::select! {
        ev = crate::harness::wait_for(&mut rx, CallEventKind::Answered) => ev.call.call_id,
        out = &mut caller => panic!("the call ended before its answer: {}", explain(&out.unwrap())),
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    srv.command(1, &call_id, CallCommand::SendDtmf { digits: "12#".into() }).unwrap();
    assert!(ok(&caller.await.unwrap()));
    assert!(ok(&callee.wait_with_output().await.unwrap()));
    let seen = cap.stop().await;
    let mut detector = media::dtmf::Detector::default();
    let keys: String = seen
        .iter()
        .filter(|d| (64000..=64499).contains(&d.src.port()) && (26000..26500).contains(&d.dst.port()))
        .filter_map(|d| {
            let (h, off) = media::rtp::Header::parse(&d.payload)?;
            (h.payload_type == 101).then(|| detector.feed(h.ssrc, h.timestamp, &d.payload[off..])).flatten()
        })
        .collect();
    assert_eq!(keys, "12#");
}

/// An organization that records every call: the recording starts when the call is answered,
/// the agent cannot stop it, and it is closed when the call ends. One that records none
/// refuses the command.
#[tokio::test]
async fn the_recording_policy_records_every_call_or_none() {
    use telephony::events::{CallCommand, CallEventKind};
    for (policy, ports, media) in [
        (telephony::RecordingPolicy::Always, (63500, 63598), 18600),
        (telephony::RecordingPolicy::Never, (63600, 63698), 18700),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let rec_dir = dir.path().to_path_buf();
        let srv = crate::harness::server_recording(None, false, policy, move |s| {
            s.rtp_ports = ports;
            s.recordings = Some(rec_dir);
        })
        .await;
        let mut rx = srv.subscribe();
        let port = free_port();
        register(&srv, "1002", "acme-1002-pw", port).await;
        let callee = phone("uas_answer.xml", port, media, &[]);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mp = (media + 50).to_string();
        let args = [
            "-s",
            "1002",
            "-au",
            "1001",
            "-ap",
            "acme-1001-pw",
            "-key",
            "caller",
            "1001",
            "-mp",
            mp.as_str(),
            "-d",
            "2500",
        ];
        let target = srv.local_addr();
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let caller = tokio::spawn(async move {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            sipp("call_uac.xml", target, &a).await
        });
        let call_id = crate::harness::wait_for(&mut rx, CallEventKind::Answered).await.call.call_id;
        tokio::time::sleep(Duration::from_millis(600)).await;
        // The agent tries to stop (always) or start (never) it: refused either way.
        let cmd = if policy == telephony::RecordingPolicy::Always {
            CallCommand::RecordStop
        } else {
            CallCommand::RecordStart
        };
        srv.command(1, &call_id, cmd).unwrap();
        assert!(ok(&caller.await.unwrap()));
        assert!(ok(&callee.wait_with_output().await.unwrap()));
        let mut kinds = vec![];
        while let Ok(Ok(ev)) = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await {
            kinds.push(ev.kind);
        }
        let started = kinds.iter().any(|k| matches!(k, CallEventKind::RecordingStarted { .. }));
        let stopped = kinds.iter().position(|k| matches!(k, CallEventKind::RecordingStopped { .. }));
        let ended = kinds.iter().position(|k| matches!(k, CallEventKind::Ended { .. }));
        if policy == telephony::RecordingPolicy::Always {
            let path = kinds
                .iter()
                .find_map(|k| match k {
                    CallEventKind::RecordingStopped { path } => Some(path.clone()),
                    _ => None,
                })
                .unwrap();
            assert!(stopped < ended, "closed with the call, not before: {kinds:?}");
            let wav = hound::WavReader::open(&path).unwrap();
            assert!(wav.duration() >= 8000, "the whole call is in it ({} samples)", wav.duration());
        } else {
            assert!(!started && stopped.is_none(), "nothing recorded: {kinds:?}");
        }
    }
}

/// Its sipp phones stream from 24000+ (1002), 24200+ (1003), the caller from 24500+.
/// A caller into a queue is answered at once and hears the music while the distributor's
/// first offer rings an agent who lets it ring out; the second agent answers, and then the
/// two hear each other. The events say so: queued, ringing, back in the queue, ringing,
/// answered by 1002.
#[tokio::test]
async fn a_queued_caller_hears_music_until_an_agent_answers() {
    use crate::harness::{DID_QUEUE, sipp_from};
    use telephony::events::CallEventKind;
    let srv = server_with_settings(|s| s.rtp_ports = (63000, 63498)).await;
    let mut rx = srv.subscribe();
    let cap = Capture::start("udp and portrange 24000-24999").await;
    let (p2, p3) = (free_port(), free_port());
    register(&srv, "1002", "acme-1002-pw", p2).await;
    register(&srv, "1003", "acme-1003-pw", p3).await;
    let answering = phone("uas_answer.xml", p2, 24000, &[]);
    let ringing = phone("uas_ring.xml", p3, 24200, &[]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t0 = crate::capture::now();
    let args = ["-s", DID_QUEUE, "-key", "caller", "48600111555", "-mp", "24500", "-d", "6000"];
    let a = sipp_from("127.0.0.2", "trunk_uac.xml", srv.local_addr(), &args).await;
    assert!(ok(&a), "the caller was answered at once and stayed: {}", explain(&a));
    assert!(ok(&answering.wait_with_output().await.unwrap()), "1002 answered");
    assert!(ok(&ringing.wait_with_output().await.unwrap()), "1003 rang and was cancelled");
    let seen = cap.stop().await;
    let mut kinds = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        kinds.push((ev.kind.clone(), ev.call.extension.clone(), ev.call.ringing.clone()));
    }
    let names: Vec<&CallEventKind> = kinds.iter().map(|(k, _, _)| k).collect();
    assert_eq!(
        names[..5],
        [
            &CallEventKind::Queued,
            &CallEventKind::Ringing,
            &CallEventKind::Queued,
            &CallEventKind::Ringing,
            &CallEventKind::Answered
        ]
    );
    assert_eq!(kinds[1].2, vec!["1003".to_string()], "the first offer rang 1003");
    assert_eq!(kinds[4].1.as_deref(), Some("1002"), "answered by 1002");

    let to_caller = |from: f64, to: f64| {
        pcmu_samples(seen.iter().filter(move |d| {
            (63000..=63499).contains(&d.src.port())
                && (24500..=24999).contains(&d.dst.port())
                && d.at > t0 + from
                && d.at < t0 + to
        }))
    };
    let waiting = to_caller(0.3, 2.3);
    let notes = blocks_dominated_by(&waiting, &[523.25, 659.25, 783.99]);
    assert!(rms(&waiting) > 1000.0 && notes > 0.8, "the waiting caller hears the music ({notes:.2})");
    let talking = to_caller(4.0, 5.5);
    assert!(tone_share(&talking, 880.0) > 0.5, "connected, the caller hears 1002's 880 Hz");
}

/// An outsider on another address sprays every port of the relay's range with a loud 1700 Hz
/// tone from before the call until after it, ringing and talking: it receives nothing, neither
/// party hears it, and both keep hearing each other (the relay takes a party's packets only
/// from the address its SDP named; ports are chosen at random).
#[tokio::test]
async fn an_outsider_spraying_the_rtp_range_receives_nothing_and_is_not_heard() {
    let srv = server_with_settings(|s| s.rtp_ports = (59000, 59498)).await;
    let cap = Capture::start("udp and portrange 27000-27999").await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sprayer = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let sock = tokio::net::UdpSocket::bind("127.0.0.9:0").await.unwrap();
            let mut packet = vec![0x80u8, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78];
            packet.extend((0..160).map(|i| {
                let s = (f64::sin(2.0 * std::f64::consts::PI * 1700.0 * i as f64 / 8000.0) * 16000.0) as i16;
                media::g711::linear_to_ulaw(s)
            }));
            let sock = std::sync::Arc::new(sock);
            let received = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
            let listener = {
                let (sock, received) = (sock.clone(), received.clone());
                tokio::spawn(async move {
                    let mut buf = [0u8; 2048];
                    while sock.recv_from(&mut buf).await.is_ok() {
                        received.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                })
            };
            let mut sent = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for port in (59000..=59498).step_by(2) {
                    let _ = sock.send_to(&packet, ("127.0.0.1", port)).await;
                    sent += 1;
                }
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            listener.abort();
            let received = received.load(std::sync::atomic::Ordering::Relaxed);
            (sent, received)
        })
    };
    let port = free_port();
    register(&srv, "1002", "acme-1002-pw", port).await;
    // The spray is queued at the call's sockets before the callee answers (ringing), and goes
    // on while the parties talk.
    let callee = phone("uas_answer.xml", port, 27000, &[]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let args =
        ["-s", "1002", "-au", "1001", "-ap", "acme-1001-pw", "-key", "caller", "1001", "-mp", "27500", "-d", "3000"];
    let a = sipp("call_uac.xml", srv.local_addr(), &args).await;
    assert!(ok(&a), "caller: {}", explain(&a));
    assert!(ok(&callee.wait_with_output().await.unwrap()));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (sent, received) = sprayer.await.unwrap();
    let seen = cap.stop().await;

    assert!(sent > 10_000, "the outsider sprayed the range ({sent} packets)");
    assert_eq!(received, 0, "the outsider received none of the call's audio");
    let from_relay = |lo: u16, hi: u16| {
        seen.iter().filter(move |d| (59000..=59499).contains(&d.src.port()) && (lo..=hi).contains(&d.dst.port()))
    };
    let at_callee = pcmu_samples(from_relay(27000, 27499));
    let at_caller = pcmu_samples(from_relay(27500, 27999));
    assert!(at_callee.len() >= 8000 && at_caller.len() >= 8000, "both parties received audio");
    for (who, heard, hz) in [("callee", &at_callee, 440.0), ("caller", &at_caller, 880.0)] {
        let (own, outsider) = (tone_share(heard, hz), tone_share(heard, 1700.0));
        assert!(
            own > 0.5 && outsider < 0.05,
            "the {who} hears the other party ({own:.2}), not the outsider ({outsider:.2})"
        );
    }
}

/// A waiting caller is told their place and the expected wait, then hears the music again:
/// measured on the RTP the caller receives (the recorded words here are tones of their own).
#[tokio::test]
async fn a_waiting_caller_hears_their_place_and_the_expected_wait() {
    use crate::harness::{DID_ANNOUNCE, sipp_from};
    let words = tempfile::tempdir().unwrap();
    let en = words.path().join("en");
    std::fs::create_dir_all(&en).unwrap();
    for (name, hz) in [("place", 700), ("3", 1100), ("wait", 1500), ("2", 1900)] {
        let ok = std::process::Command::new("sox")
            .args(["-n", "-r", "8000", "-c", "1", "-b", "16"])
            .arg(en.join(format!("{name}.wav")))
            .args(["synth", "0.6", "sine", &hz.to_string()])
            .status()
            .expect("sox is installed");
        assert!(ok.success());
    }
    let dir = words.path().to_path_buf();
    let srv = server_with_settings(move |s| {
        s.rtp_ports = (62500, 62598);
        s.prompts = Some(dir);
    })
    .await;
    let media = 27600;
    let cap = Capture::start(&format!("udp and dst port {media}")).await;
    let args = ["-s", DID_ANNOUNCE, "-key", "caller", "48600111777", "-mp", &media.to_string()];
    let o = sipp_from("127.0.0.2", "trunk_uac_wait_bye.xml", srv.local_addr(), &args).await;
    assert!(ok(&o), "waited, then let go: {}", explain(&o));
    let seen = cap.stop().await;
    let samples = pcmu_samples(seen.iter());
    // In 50 ms blocks: which of the words (or the music) each block is.
    let words = [700.0, 1100.0, 1500.0, 1900.0];
    let said: Vec<usize> = samples
        .chunks_exact(400)
        .filter_map(|b| words.iter().position(|f| blocks_dominated_by(b, &[*f]) > 0.5))
        .collect();
    let mut order = said.clone();
    order.dedup();
    assert_eq!(order, [0, 1, 2, 3], "place, 3, wait, 2 — in that order ({said:?})");
    for w in 0..4 {
        let n = said.iter().filter(|x| **x == w).count();
        assert!((10..=13).contains(&n), "each word whole: 0.6 s is 12 blocks, word {w} had {n}");
    }
    // The music before the first word and after the last.
    let blocks: Vec<&[f64]> = samples.chunks_exact(400).collect();
    let is_word = |b: &[f64]| words.iter().any(|f| blocks_dominated_by(b, &[*f]) > 0.5);
    let first = blocks.iter().position(|b| is_word(b)).unwrap();
    let last = blocks.iter().rposition(|b| is_word(b)).unwrap();
    let music = |bs: &[&[f64]]| bs.iter().filter(|b| blocks_dominated_by(b, &[523.25, 659.25, 783.99]) > 0.5).count();
    assert!(music(&blocks[..first]) >= 3, "music before the words");
    assert!(music(&blocks[last + 1..]) >= 3, "music after the words");
}

/// A waiting caller who presses 1 is told they will be called back, whole, and then let go: the
/// call ends as a callback asked for (measured on the RTP the caller receives; the recorded
/// words here are a tone of their own).
#[tokio::test]
async fn a_caller_who_presses_1_hears_they_will_be_called_back_and_is_let_go() {
    use crate::harness::{DID_CALLBACK, sipp_from};
    let words = tempfile::tempdir().unwrap();
    let en = words.path().join("en");
    std::fs::create_dir_all(&en).unwrap();
    let made = std::process::Command::new("sox")
        .args(["-n", "-r", "8000", "-c", "1", "-b", "16"])
        .arg(en.join("callback-confirm.wav"))
        .args(["synth", "0.8", "sine", "1300"])
        .status()
        .expect("sox is installed");
    assert!(made.success());
    let dir = words.path().to_path_buf();
    let srv = server_with_settings(move |s| {
        s.rtp_ports = (62600, 62698);
        s.prompts = Some(dir);
    })
    .await;
    let mut events = srv.subscribe();
    let media = 27700;
    let cap = Capture::start(&format!("udp and dst port {media}")).await;
    let args = ["-s", DID_CALLBACK, "-key", "caller", "48600111778", "-mp", &media.to_string()];
    let o = sipp_from("127.0.0.2", "trunk_uac_press1_wait_bye.xml", srv.local_addr(), &args).await;
    assert!(ok(&o), "pressed 1, then let go: {}", explain(&o));
    let seen = cap.stop().await;
    let samples = pcmu_samples(seen.iter());
    let blocks: Vec<&[f64]> = samples.chunks_exact(400).collect();
    let said = blocks.iter().filter(|b| blocks_dominated_by(b, &[1300.0]) > 0.5).count();
    assert!((14..=17).contains(&said), "the confirmation whole: 0.8 s is 16 blocks, heard {said}");
    let last = blocks.iter().rposition(|b| blocks_dominated_by(b, &[1300.0]) > 0.5).unwrap();
    assert!(blocks.len() - last <= 20, "let go within a second of the words ({} blocks after)", blocks.len() - last);
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let ev = events.recv().await.unwrap();
            if let telephony::events::CallEventKind::Ended { cause } = ev.kind {
                return cause;
            }
        }
    })
    .await
    .expect("the call ended");
    assert_eq!(ended, telephony::events::EndCause::CallbackRequested);
}
