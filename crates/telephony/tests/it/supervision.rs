//! A manager supervising a call, measured on the wire: the customer (440 Hz, from the trunk)
//! talks to agent 1002 (880 Hz); supervisor 1003 (1320 Hz) listens, whispers, barges, leaves.

use crate::capture::{Capture, mean_block_share, now, pcmu_samples};
use crate::harness::{DID_1002, explain, free_port, ok, phone, phone_rendered, register, render, server_with_carrier};
use crate::harness::{sipp_from, wait_for};
use std::time::Duration;
use telephony::events::{CallCommand, CallEventKind, SuperviseMode};

/// Where each party's sipp receives (the capture takes 29000-29999; our relay's ports are
/// 65000-65498).
const CUSTOMER: u16 = 29000;
const AGENT: u16 = 29200;
const SUPERVISOR: u16 = 29400;

#[tokio::test]
async fn the_customer_hears_a_supervisor_only_when_they_barge_and_the_agent_when_they_whisper() {
    let srv = server_with_carrier(None, |s| s.rtp_ports = (65000, 65498)).await;
    let mut rx = srv.subscribe();
    let cap = Capture::start("udp and portrange 29000-29999").await;
    let p2 = free_port();
    register(&srv, "1002", "acme-1002-pw", p2).await;
    let agent = phone("uas_answer.xml", p2, AGENT, &[]);
    let p3 = free_port();
    register(&srv, "1003", "acme-1003-pw", p3).await;
    let supervisor = phone_rendered("127.0.0.1", &render("uas_answer.xml", 1320, &[]), p3, SUPERVISOR, &[]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let target = srv.local_addr();
    let customer = tokio::spawn(async move {
        let media = CUSTOMER.to_string();
        let args = ["-s", DID_1002, "-key", "caller", "48600111890", "-mp", &media, "-d", "9000"];
        sipp_from("127.0.0.2", "trunk_uac.xml", target, &args).await
    });
    let call_id = wait_for(&mut rx, CallEventKind::Answered).await.call.call_id;

    // Each stretch: the mode is set, then 1.2 s of audio is measured (after 0.3 s to settle).
    let mut windows = Vec::new();
    for mode in SuperviseMode::ALL {
        let cmd = if mode == SuperviseMode::Listen {
            CallCommand::Supervise { extension: "1003".into(), mode }
        } else {
            CallCommand::SupervisionMode { mode }
        };
        srv.command(1, &call_id, cmd).unwrap();
        let ev = wait_for(&mut rx, CallEventKind::Supervised { supervisor: "1003".into(), mode }).await;
        assert_eq!(ev.call.supervisor.as_ref().map(|s| (s.joined, s.mode)), Some((true, mode)));
        let from = now() + 0.3;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        windows.push((Some(mode), from, now()));
    }
    srv.command(1, &call_id, CallCommand::SupervisionEnd).unwrap();
    wait_for(&mut rx, CallEventKind::SupervisionEnded { supervisor: "1003".into() }).await;
    assert!(ok(&supervisor.wait_with_output().await.unwrap()), "the supervisor's phone was hung up when they left");
    assert!(srv.calls(1).iter().all(|c| c.supervisor.is_none()), "the call is no longer supervised");
    let from = now() + 0.3;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    windows.push((None, from, now()));

    let c = customer.await.unwrap();
    assert!(ok(&c), "customer: {}", explain(&c));
    assert!(ok(&agent.wait_with_output().await.unwrap()), "the agent got the customer's hang-up");
    let seen = cap.stop().await;
    for (mode, from, to) in windows {
        let heard = |lo: u16| {
            let s = pcmu_samples(seen.iter().filter(|d| {
                (65000..=65499).contains(&d.src.port())
                    && (lo..lo + 200).contains(&d.dst.port())
                    && d.at > from
                    && d.at < to
            }));
            assert!(s.len() >= 6400, "{mode:?}: port {lo} received 0.8 s of audio ({} samples)", s.len());
            [440.0, 880.0, 1320.0].map(|f| mean_block_share(&s, f))
        };
        let [c440, c880, c1320] = heard(CUSTOMER);
        let [a440, a880, a1320] = heard(AGENT);
        let says = format!(
            "{mode:?}: the customer hears 440 {c440:.2} 880 {c880:.2} 1320 {c1320:.2}; \
             the agent 440 {a440:.2} 880 {a880:.2} 1320 {a1320:.2}"
        );
        assert!(c880 > 0.25 && c440 < 0.05 && a440 > 0.25 && a880 < 0.05, "the two sides hear each other: {says}");
        let (customer_hears, agent_hears) = match mode {
            Some(m) => (m.customer_hears(), m.agent_hears()),
            None => (false, false),
        };
        assert_eq!(c1320 > 0.25, customer_hears, "{says}");
        assert!(customer_hears || c1320 < 0.02, "the customer hears nothing of the supervisor: {says}");
        assert_eq!(a1320 > 0.25, agent_hears, "{says}");
        assert!(agent_hears || a1320 < 0.02, "the agent hears nothing of the supervisor: {says}");
        if mode.is_some() {
            let [s440, s880, s1320] = heard(SUPERVISOR);
            assert!(
                s440 > 0.25 && s880 > 0.25 && s1320 < 0.05,
                "{mode:?}: the supervisor hears both sides (440 {s440:.2}, 880 {s880:.2}), not themself ({s1320:.2})"
            );
        }
    }
}
