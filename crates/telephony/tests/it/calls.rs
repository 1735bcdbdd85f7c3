//! Calls between extensions through the B2BUA, with sipp phones on both ends.

use crate::harness::{explain, free_port, ok, phone, register, server, server_with, sipp};
use std::time::Duration;
use telephony::SipServer;
use telephony::events::{CallEventKind, EndCause};
use tokio::sync::broadcast::Receiver;

/// The kinds of the call events seen until the call ended (or 10 s passed).
async fn call_events(rx: &mut Receiver<telephony::events::CallEvent>) -> Vec<CallEventKind> {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(ev) = rx.recv().await {
            let end = matches!(ev.kind, CallEventKind::Ended { .. });
            out.push(ev.kind);
            if end {
                break;
            }
        }
    })
    .await;
    out
}

async fn callee(srv: &SipServer, scenario: &str, rtp_base: u16) -> tokio::process::Child {
    let port = free_port();
    register(srv, "1002", "acme-1002-pw", port).await;
    let p = phone(scenario, port, rtp_base, &[]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    p
}

/// A caller 1001 phoning `to`; `rtp_base` keeps parallel tests' RTP ports apart.
fn caller_args<'a>(to: &'a str, rtp_base: &'a str) -> Vec<&'a str> {
    vec!["-s", to, "-au", "1001", "-ap", "acme-1001-pw", "-key", "caller", "1001", "-mp", rtp_base]
}

#[tokio::test]
async fn an_extension_calls_another_which_answers_and_hangs_up_cleanly() {
    let srv = server_with(Duration::from_secs(10)).await;
    let mut rx = srv.subscribe();
    let b = callee(&srv, "uas_answer.xml", 10000).await;
    let mut args = caller_args("1002", "11000");
    args.extend(["-d", "1500"]);
    let a = sipp("call_uac.xml", srv.local_addr(), &args).await;
    assert!(ok(&a), "caller: {}", explain(&a));
    let b = b.wait_with_output().await.unwrap();
    assert!(ok(&b), "callee: {}", explain(&b));
    let kinds = call_events(&mut rx).await;
    assert_eq!(
        kinds,
        vec![CallEventKind::Ringing, CallEventKind::Answered, CallEventKind::Ended { cause: EndCause::Answered }]
    );
}

#[tokio::test]
async fn a_busy_extension_gives_busy() {
    let srv = server_with(Duration::from_secs(10)).await;
    let mut rx = srv.subscribe();
    let b = callee(&srv, "uas_busy.xml", 10200).await;
    let a = sipp("call_uac_486.xml", srv.local_addr(), &caller_args("1002", "11200")).await;
    assert!(ok(&a), "caller: {}", explain(&a));
    assert!(ok(&b.wait_with_output().await.unwrap()));
    assert_eq!(call_events(&mut rx).await, vec![CallEventKind::Ended { cause: EndCause::Busy }]);
}

#[tokio::test]
async fn an_unanswered_call_stops_ringing_after_the_timeout() {
    let srv = server_with(Duration::from_secs(2)).await;
    let mut rx = srv.subscribe();
    let b = callee(&srv, "uas_ring.xml", 10400).await;
    let a = sipp("call_uac_480.xml", srv.local_addr(), &caller_args("1002", "11400")).await;
    assert!(ok(&a), "caller: {}", explain(&a));
    let b = b.wait_with_output().await.unwrap();
    assert!(ok(&b), "the callee's phone was cancelled: {}", explain(&b));
    assert_eq!(
        call_events(&mut rx).await,
        vec![CallEventKind::Ringing, CallEventKind::Ended { cause: EndCause::NoAnswer }]
    );
}

#[tokio::test]
async fn a_caller_who_hangs_up_while_it_rings_cancels_the_callee() {
    let srv = server_with(Duration::from_secs(10)).await;
    let mut rx = srv.subscribe();
    let b = callee(&srv, "uas_ring.xml", 10600).await;
    let a = sipp("call_uac_cancel.xml", srv.local_addr(), &caller_args("1002", "11600")).await;
    assert!(ok(&a), "caller: {}", explain(&a));
    let b = b.wait_with_output().await.unwrap();
    assert!(ok(&b), "the callee's phone was cancelled: {}", explain(&b));
    assert_eq!(
        call_events(&mut rx).await,
        vec![CallEventKind::Ringing, CallEventKind::Ended { cause: EndCause::Cancelled }]
    );
}

/// A phone that rings and then never answers our CANCEL (it lost the call) is given up: its
/// INVITE, its CANCELs and its dialog are gone well before Timer C's three minutes.
#[tokio::test]
async fn a_phone_that_never_answers_the_cancel_is_given_up() {
    let srv = server_with(Duration::from_secs(10)).await;
    let mut rx = srv.subscribe();
    let b = callee(&srv, "uas_ring_deaf.xml", 30200).await;
    let a = sipp("call_uac_cancel.xml", srv.local_addr(), &caller_args("1002", "30400")).await;
    assert!(ok(&a), "the caller's call ended as it asked: {}", explain(&a));
    let b = b.wait_with_output().await.unwrap();
    assert!(ok(&b), "the phone saw the CANCEL: {}", explain(&b));
    assert_eq!(
        call_events(&mut rx).await,
        vec![CallEventKind::Ringing, CallEventKind::Ended { cause: EndCause::Cancelled }]
    );
    let cancelled = std::time::Instant::now();
    let mut live = srv.live();
    while (live.dialogs > 0 || live.transactions > 0) && cancelled.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        live = srv.live();
    }
    let took = cancelled.elapsed();
    assert_eq!((live.dialogs, live.transactions), (0, 0), "nothing held {took:?} after the CANCEL");
    assert!(took < Duration::from_secs(52), "given up 32 × T1 after the CANCEL, ended 64 × T1 later: {took:?}");
}

#[tokio::test]
async fn calls_to_unregistered_extensions_or_forbidden_numbers_are_refused() {
    let srv = server_with(Duration::from_secs(10)).await;
    let a = sipp("call_uac_480.xml", srv.local_addr(), &caller_args("1002", "11800")).await;
    assert!(ok(&a), "1002 exists but no phone is registered: {}", explain(&a));
    let a = sipp("call_uac_403.xml", srv.local_addr(), &caller_args("1999", "12000")).await;
    assert!(ok(&a), "1999 is no extension, and no dial rule lets it out: {}", explain(&a));
}

#[tokio::test]
async fn a_phone_that_holds_with_its_own_button_is_seen_as_holding() {
    let srv = server_with(Duration::from_secs(10)).await;
    let mut rx = srv.subscribe();
    let b = callee(&srv, "uas_answer.xml", 10800).await;
    let a = sipp("call_uac_hold.xml", srv.local_addr(), &caller_args("1002", "12200")).await;
    assert!(ok(&a), "caller: {}", explain(&a));
    assert!(ok(&b.wait_with_output().await.unwrap()));
    assert_eq!(
        call_events(&mut rx).await,
        vec![
            CallEventKind::Ringing,
            CallEventKind::Answered,
            CallEventKind::Held,
            CallEventKind::Resumed,
            CallEventKind::Ended { cause: EndCause::Answered }
        ]
    );
}

#[tokio::test]
async fn a_key_pressed_on_the_phone_is_reported_once() {
    let srv = server_with(Duration::from_secs(10)).await;
    let mut rx = srv.subscribe();
    let b = callee(&srv, "uas_answer.xml", 12400).await;
    let a = sipp("call_uac_dtmf.xml", srv.local_addr(), &caller_args("1002", "12600")).await;
    assert!(ok(&a), "caller: {}", explain(&a));
    assert!(ok(&b.wait_with_output().await.unwrap()));
    let kinds = call_events(&mut rx).await;
    assert_eq!(kinds.iter().filter(|k| **k == CallEventKind::Dtmf { digit: '5' }).count(), 1, "{kinds:?}");
}

/// 1001 calls 1002, then presses its phone's transfer button (REFER to 1003): 1001 is hung up,
/// 1002 waits with music while 1003 rings, then talks to 1003.
#[tokio::test]
async fn a_phones_transfer_button_transfers_the_call() {
    use telephony::events::CallCommand;
    let srv = server_with(Duration::from_secs(10)).await;
    let mut rx = srv.subscribe();
    let b = callee(&srv, "uas_answer.xml", 19800).await;
    let port = crate::harness::free_port();
    crate::harness::register(&srv, "1003", "acme-1003-pw", port).await;
    let c = crate::harness::phone("uas_answer.xml", port, 20000, &[]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut args = caller_args("1002", "20200");
    args.extend(["-key", "transfer_to", "1003"]);
    let a = sipp("call_uac_refer.xml", srv.local_addr(), &args).await;
    assert!(ok(&a), "1001 transferred and was hung up: {}", explain(&a));
    let ev = crate::harness::wait_for(&mut rx, CallEventKind::Transferred { to: "1003".into() }).await;
    srv.command(1, &ev.call.call_id, CallCommand::Hangup).unwrap();
    assert!(ok(&b.wait_with_output().await.unwrap()), "1002 talked to 1003 until the hang-up");
    assert!(ok(&c.wait_with_output().await.unwrap()), "1003 answered the transferred call");
}

/// A phone (1001) with two calls — to 1002, and to 1003 — joins them with its transfer button
/// (REFER with Replaces): 1002 and 1003 talk, and the phone is hung up on both calls.
#[tokio::test]
async fn a_phone_joins_its_two_calls_with_refer_and_replaces() {
    use telephony::events::CallCommand;
    let srv = server_with(Duration::from_secs(10)).await;
    let mut rx = srv.subscribe();
    let b = callee(&srv, "uas_answer.xml", 21400).await;
    let port = crate::harness::free_port();
    crate::harness::register(&srv, "1003", "acme-1003-pw", port).await;
    let c = crate::harness::phone("uas_answer.xml", port, 21600, &[]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let target = srv.local_addr();
    let first = tokio::spawn(async move {
        let mut args = caller_args("1002", "21800");
        args.extend(["-key", "transfer_to", "1003", "-key", "replaces", "attended-y%40test"]);
        sipp("call_uac_refer_replaces.xml", target, &args).await
    });
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mut args = caller_args("1003", "22000");
    args.extend(["-cid_str", "attended-y@test"]);
    let second = sipp("call_uac_wait_bye.xml", srv.local_addr(), &args).await;
    assert!(ok(&second), "the phone's second call was hung up by the join: {}", explain(&second));
    let first = first.await.unwrap();
    assert!(ok(&first), "the phone's first call: REFER accepted, then hung up: {}", explain(&first));
    let ev = crate::harness::wait_for(&mut rx, CallEventKind::Transferred { to: "1003".into() }).await;
    srv.command(1, &ev.call.call_id, CallCommand::Hangup).unwrap();
    assert!(ok(&b.wait_with_output().await.unwrap()), "1002 talked to 1003 until the hang-up");
    assert!(ok(&c.wait_with_output().await.unwrap()), "1003 too");
}

/// Waits until the server holds nothing of its calls (within T1 × 64 = 32 s and a margin).
async fn nothing_left(srv: &SipServer) -> telephony::Live {
    let mut live = srv.live();
    for _ in 0..400 {
        live = srv.live();
        if live.calls == 0 && live.dialogs == 0 && live.legs == 0 && live.transactions == 0 && live.waiting_ack == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    live
}

/// One call of a kind on a server of its own; what the server holds afterwards.
async fn one_call(callee_scenario: Option<&str>, caller_scenario: &str, to: &str, rtp: u16) -> telephony::Live {
    let srv = server_with(Duration::from_secs(10)).await;
    let b = match callee_scenario {
        Some(sc) => Some(callee(&srv, sc, rtp + 1000).await),
        None => None,
    };
    let a = sipp(caller_scenario, srv.local_addr(), &caller_args(to, &rtp.to_string())).await;
    assert!(ok(&a), "{caller_scenario}: {}", explain(&a));
    if let Some(b) = b {
        assert!(ok(&b.wait_with_output().await.unwrap()), "{callee_scenario:?}");
    }
    nothing_left(&srv).await
}

/// Calls that are answered, refused busy, given up while ringing, or to a number the dial rules
/// refuse leave nothing in the server: no call, dialog, transaction or leg (within T1 × 64).
#[tokio::test]
async fn calls_answered_busy_cancelled_or_refused_leave_nothing_behind() {
    let (answered, busy, cancelled, refused) = tokio::join!(
        one_call(Some("uas_answer.xml"), "call_uac.xml", "1002", 27000),
        one_call(Some("uas_busy.xml"), "call_uac_486.xml", "1002", 27200),
        one_call(Some("uas_ring.xml"), "call_uac_cancel.xml", "1002", 27400),
        one_call(None, "call_uac_403.xml", "1999", 27600),
    );
    for (what, live) in [("answered", answered), ("busy", busy), ("cancelled", cancelled), ("refused", refused)] {
        assert_eq!(
            (live.calls, live.dialogs, live.legs, live.transactions, live.waiting_ack),
            (0, 0, 0, 0, 0),
            "{what}: everything the call held is freed: {live:?}"
        );
    }
}

/// The echo test is one per user at a time: while 1001's first echo call runs, a second one
/// from 1001 is refused as busy (an echo is no reflector to multiply), and the first goes on.
#[tokio::test]
async fn a_second_echo_test_of_the_same_user_is_refused_while_the_first_runs() {
    let srv = server().await;
    let addr = srv.local_addr();
    let first = tokio::spawn(async move {
        let mut args = caller_args(telephony::ECHO_EXTENSION, "12800");
        args.extend(["-d", "3000"]);
        sipp("call_uac.xml", addr, &args).await
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let second = sipp("call_uac_486.xml", srv.local_addr(), &caller_args(telephony::ECHO_EXTENSION, "12900")).await;
    assert!(ok(&second), "the second echo is refused as busy: {}", explain(&second));
    let first = first.await.unwrap();
    assert!(ok(&first), "the first echo went on: {}", explain(&first));
    // Over: the user may test again.
    let again = {
        let mut args = caller_args(telephony::ECHO_EXTENSION, "12800");
        args.extend(["-d", "300"]);
        sipp("call_uac.xml", srv.local_addr(), &args).await
    };
    assert!(ok(&again), "{}", explain(&again));
}

/// Thirty carrier calls at once to 1002's number (its phone rings and never answers): only the
/// extension's share (8 here) rings, the others get 486 and hold no RTP port; meanwhile 1001 still
/// calls 1003, who answers.
#[tokio::test]
async fn one_extension_flooded_with_calls_holds_only_its_share() {
    let srv = crate::harness::server_with_settings(|s| {
        s.rtp_ports = (58000, 58098);
        s.ring_timeout = Duration::from_secs(8);
        s.limits = telephony::admission::Limits { per_organization: 200, per_extension: 8 };
    })
    .await;
    let ringing = callee(&srv, "uas_ring.xml", 22000).await;
    let flood = {
        let addr = srv.local_addr();
        tokio::spawn(async move {
            let args = ["-s", crate::harness::DID_1002, "-m", "30", "-l", "30", "-r", "100", "-mp", "22300"];
            crate::harness::sipp_from("127.0.0.2", "trunk_uac_486.xml", addr, &args).await
        })
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let live = srv.live();
    assert!(live.calls <= 8, "at most 8 calls ring 1002 ({} up)", live.calls);
    assert!(live.rtp_ports.is_none_or(|p| p <= 16), "they hold at most 16 RTP ports ({:?})", live.rtp_ports);
    let port = free_port();
    register(&srv, "1003", "acme-1003-pw", port).await;
    let answering = phone("uas_answer.xml", port, 22600, &[]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut args = caller_args("1003", "22800");
    args.extend(["-d", "500"]);
    let a = sipp("call_uac.xml", srv.local_addr(), &args).await;
    assert!(ok(&a), "1001 still reaches 1003 during the flood: {}", explain(&a));
    let _ = answering.wait_with_output().await;
    flood.abort();
    drop(ringing);
}

/// Queues whose exits send their callers to each other (both refusing at once) once spun a call
/// forever; now the caller is let go after a bounded chain, at once.
#[tokio::test]
async fn a_loop_of_queue_exits_lets_the_caller_go_at_once() {
    use crate::harness::{DID_LOOP, LOOP_ENTRIES, sipp_from};
    use std::sync::atomic::Ordering;
    let srv = server().await;
    let mut rx = srv.subscribe();
    let started = std::time::Instant::now();
    let args = ["-s", DID_LOOP, "-key", "caller", "48600111666"];
    let o = sipp_from("127.0.0.2", "trunk_uac_wait_bye.xml", srv.local_addr(), &args).await;
    assert!(ok(&o), "answered, then let go with a BYE: {}", explain(&o));
    assert!(started.elapsed() < Duration::from_secs(5), "at once ({:?})", started.elapsed());
    let entries = LOOP_ENTRIES.load(Ordering::Relaxed);
    assert_eq!(entries, telephony::MAX_QUEUE_HOPS + 1, "the chain stops after its bound");
    let mut ended = None;
    while let Ok(ev) = rx.try_recv() {
        if let telephony::events::CallEventKind::Ended { cause } = ev.kind {
            ended = Some(cause);
        }
    }
    assert_eq!(ended, Some(telephony::events::EndCause::NoAnswer));
    assert_eq!(srv.live().calls, 0);
}

/// A colleague who dials one of the organization's numbers that routes to a queue waits in
/// that queue like a customer (before, the call went out through the dial rules).
#[tokio::test]
async fn an_extension_dialling_a_queue_number_waits_in_the_queue() {
    use crate::harness::DID_ANNOUNCE;
    let srv = server().await;
    let mut rx = srv.subscribe();
    let args = ["-s", DID_ANNOUNCE, "-au", "1001", "-ap", "acme-1001-pw", "-key", "caller", "1001"];
    let o = sipp("call_uac_wait_bye.xml", srv.local_addr(), &args).await;
    assert!(ok(&o), "answered by the queue, then let go: {}", explain(&o));
    let mut queued = None;
    while let Ok(ev) = rx.try_recv() {
        if ev.kind == CallEventKind::Queued {
            queued = Some(ev.call);
        }
    }
    let call = queued.expect("the call waited in a queue");
    assert_eq!((call.from.as_str(), call.queue), ("1001", Some(9)));
}
