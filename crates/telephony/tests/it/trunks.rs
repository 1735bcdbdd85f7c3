//! Calls through acme's trunk, with sipp as the carrier (sending from 127.0.0.2, taking
//! outbound calls on 127.0.0.3) and as the phones.

use crate::harness::{
    DID_1002, DID_GROUP, explain, free_port, ok, phone, phone_rendered, register, render, server_with_carrier, sipp,
    sipp_from,
};
use std::time::Duration;
use telephony::SipServer;
use telephony::events::{CallEvent, CallEventKind, Direction, EndCause};
use tokio::sync::broadcast::Receiver;

async fn events_until_end(rx: &mut Receiver<CallEvent>) -> Vec<CallEvent> {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(ev) = rx.recv().await {
            let end = matches!(ev.kind, CallEventKind::Ended { .. });
            out.push(ev);
            if end {
                break;
            }
        }
    })
    .await;
    out
}

async fn phone_of(srv: &SipServer, ext: &str, scenario: &str, rtp_base: u16) -> tokio::process::Child {
    let port = free_port();
    register(srv, ext, &format!("acme-{ext}-pw"), port).await;
    phone(scenario, port, rtp_base, &[])
}

fn kinds(evs: &[CallEvent]) -> Vec<CallEventKind> {
    evs.iter().map(|e| e.kind.clone()).collect()
}

#[tokio::test]
async fn a_call_from_the_trunk_to_a_number_rings_its_extension() {
    let srv = server_with_carrier(None, |_| {}).await;
    let mut rx = srv.subscribe();
    let b = phone_of(&srv, "1002", "uas_answer.xml", 14000).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let args = ["-s", DID_1002, "-key", "caller", "48600111222", "-mp", "14200", "-d", "800"];
    let a = sipp_from("127.0.0.2", "trunk_uac.xml", srv.local_addr(), &args).await;
    assert!(ok(&a), "carrier: {}", explain(&a));
    assert!(ok(&b.wait_with_output().await.unwrap()));
    let evs = events_until_end(&mut rx).await;
    assert_eq!(
        kinds(&evs),
        vec![CallEventKind::Ringing, CallEventKind::Answered, CallEventKind::Ended { cause: EndCause::Answered }]
    );
    let last = evs.last().unwrap();
    assert_eq!(
        (last.call.direction, last.call.from.as_str(), last.call.to.as_str()),
        (Direction::Inbound, "48600111222", DID_1002)
    );
    assert_eq!(last.call.extension.as_deref(), Some("1002"), "the answering extension");
    assert!(!last.is_missed());
}

#[tokio::test]
async fn an_unanswered_call_from_the_trunk_is_a_missed_call() {
    let srv = server_with_carrier(None, |s| s.ring_timeout = Duration::from_secs(2)).await;
    let mut rx = srv.subscribe();
    let b = phone_of(&srv, "1002", "uas_ring.xml", 14400).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let args = ["-s", DID_1002, "-key", "caller", "48600111333", "-mp", "14600"];
    let a = sipp_from("127.0.0.2", "trunk_uac_480.xml", srv.local_addr(), &args).await;
    assert!(ok(&a), "carrier: {}", explain(&a));
    assert!(ok(&b.wait_with_output().await.unwrap()), "the phone stopped ringing");
    let evs = events_until_end(&mut rx).await;
    assert_eq!(kinds(&evs), vec![CallEventKind::Ringing, CallEventKind::Ended { cause: EndCause::NoAnswer }]);
    assert!(evs.last().unwrap().is_missed(), "recognisable as missed");
}

#[tokio::test]
async fn a_ring_group_in_order_moves_on_to_the_next_member() {
    let srv = server_with_carrier(None, |_| {}).await;
    let mut rx = srv.subscribe();
    let first = phone_of(&srv, "1002", "uas_ring.xml", 14800).await;
    let second = phone_of(&srv, "1003", "uas_answer.xml", 15000).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let args = ["-s", DID_GROUP, "-key", "caller", "48600111444", "-mp", "15200", "-d", "500"];
    let a = sipp_from("127.0.0.2", "trunk_uac.xml", srv.local_addr(), &args).await;
    assert!(ok(&a), "carrier: {}", explain(&a));
    assert!(ok(&first.wait_with_output().await.unwrap()), "1002 rang and was cancelled");
    assert!(ok(&second.wait_with_output().await.unwrap()), "1003 answered");
    let evs = events_until_end(&mut rx).await;
    assert_eq!(
        evs.iter().find(|e| e.kind == CallEventKind::Answered).and_then(|e| e.call.extension.as_deref()),
        Some("1003")
    );
}

#[tokio::test]
async fn numbers_that_are_not_the_organizations_and_strangers_are_refused() {
    let srv = server_with_carrier(None, |_| {}).await;
    let a = sipp_from(
        "127.0.0.2",
        "trunk_uac_404.xml",
        srv.local_addr(),
        &["-s", "48999999999", "-key", "caller", "1", "-mp", "15400"],
    )
    .await;
    assert!(ok(&a), "unknown number: {}", explain(&a));
    // An INVITE from an address that is no trunk must authenticate like a phone.
    let a = sipp_from(
        "127.0.0.4",
        "stranger_uac_401.xml",
        srv.local_addr(),
        &["-s", DID_1002, "-key", "caller", "1", "-mp", "15500"],
    )
    .await;
    assert!(ok(&a), "stranger: {}", explain(&a));
}

#[tokio::test]
async fn an_extension_calls_out_through_the_trunk_with_the_organizations_caller_id() {
    let carrier_port = free_port();
    let carrier = format!("127.0.0.3:{carrier_port}").parse().unwrap();
    let srv = server_with_carrier(Some(carrier), |_| {}).await;
    let mut rx = srv.subscribe();
    let scenario = render("carrier_answer.xml", 880, &[("[callerid]", DID_1002)]);
    let c = phone_rendered("127.0.0.3", &scenario, carrier_port, 15600, &[]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let args = [
        "-s",
        "0221234567",
        "-au",
        "1001",
        "-ap",
        "acme-1001-pw",
        "-key",
        "caller",
        "1001",
        "-mp",
        "15800",
        "-d",
        "500",
    ];
    let a = sipp("call_uac.xml", srv.local_addr(), &args).await;
    assert!(ok(&a), "caller: {}", explain(&a));
    let c = c.wait_with_output().await.unwrap();
    assert!(ok(&c), "the carrier got the call with the caller ID: {}", explain(&c));
    let evs = events_until_end(&mut rx).await;
    let last = evs.last().unwrap();
    assert_eq!(
        (last.call.direction, last.call.to.as_str(), last.call.extension.as_deref()),
        (Direction::Outbound, "0221234567", Some("1001"))
    );
    assert_eq!(last.kind, CallEventKind::Ended { cause: EndCause::Answered });
}

#[tokio::test]
async fn dial_rules_refuse_what_they_do_not_allow() {
    let srv = server_with_carrier(None, |_| {}).await;
    let args = ["-s", "0048700123456", "-au", "1001", "-ap", "acme-1001-pw", "-key", "caller", "1001", "-mp", "16000"];
    let a = sipp("call_uac_403.xml", srv.local_addr(), &args).await;
    assert!(ok(&a), "international numbers are not allowed: {}", explain(&a));
}

/// Click-to-call: the agent's phone (1001) rings first with an auto-answer header and answers;
/// then the customer's number rings at the carrier, with the organization's caller ID; the CRM
/// hangs up and both phones get their BYE.
#[tokio::test]
async fn click_to_call_rings_the_agent_then_the_customer() {
    let carrier_port = free_port();
    let carrier = format!("127.0.0.3:{carrier_port}").parse().unwrap();
    let srv = server_with_carrier(Some(carrier), |_| {}).await;
    let mut rx = srv.subscribe();
    let agent = phone_of(&srv, "1001", "uas_autoanswer.xml", 16200).await;
    let scenario = render("carrier_answer.xml", 880, &[("[callerid]", DID_1002)]);
    let customer = phone_rendered("127.0.0.3", &scenario, carrier_port, 16400, &[]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let o = |number: &str, ext: &str| telephony::Originate {
        tenant: crate::harness::acme(),
        extension: ext.into(),
        number: number.into(),
        caller_id: None,
        call_id: None,
        auto_answer: true,
        ring: None,
        queue: None,
    };
    assert!(srv.originate(o("0221234567", "1002")).await.is_err(), "1002 has no phone registered");
    assert!(srv.originate(o("0048221234567", "1001")).await.is_err(), "the dial rules refuse international numbers");
    let call_id = srv.originate(o("0221234567", "1001")).await.unwrap();
    let answered = crate::harness::wait_for(&mut rx, CallEventKind::Answered).await;
    assert_eq!(
        (answered.call.call_id.as_str(), answered.call.direction, answered.call.extension.as_deref()),
        (call_id.as_str(), Direction::Outbound, Some("1001"))
    );
    assert_eq!(srv.calls(1).len(), 1, "the call is listed while it lasts");
    tokio::time::sleep(Duration::from_millis(500)).await;
    srv.command(1, &call_id, telephony::events::CallCommand::Hangup).unwrap();
    let a = agent.wait_with_output().await.unwrap();
    assert!(ok(&a), "the agent's phone auto-answered and got its BYE: {}", explain(&a));
    let c = customer.wait_with_output().await.unwrap();
    assert!(ok(&c), "the customer got the call with the caller ID, and its BYE: {}", explain(&c));
    assert_eq!(kinds(&events_until_end(&mut rx).await), vec![CallEventKind::Ended { cause: EndCause::Answered }]);
    assert!(srv.calls(1).is_empty());
}

/// A customer's call from the trunk is answered by 1002, who transfers it blind to 1003:
/// 1002 is hung up at once, 1003 rings and answers, and the customer's hang-up reaches 1003.
#[tokio::test]
async fn blind_transfer_hands_the_customer_to_another_extension() {
    let srv = server_with_carrier(None, |_| {}).await;
    let mut rx = srv.subscribe();
    let first = phone_of(&srv, "1002", "uas_answer.xml", 17200).await;
    let second = phone_of(&srv, "1003", "uas_answer.xml", 17400).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let args = ["-s", DID_1002, "-key", "caller", "48600111555", "-mp", "17600", "-d", "3000"];
    let target = srv.local_addr();
    let customer = tokio::spawn(async move { sipp_from("127.0.0.2", "trunk_uac.xml", target, &args).await });
    let call_id = crate::harness::wait_for(&mut rx, CallEventKind::Answered).await.call.call_id;
    let to = |t: &str| telephony::events::CallCommand::BlindTransfer { to: t.into() };
    srv.command(1, &call_id, to("0048999")).unwrap(); // refused: nothing happens to the call
    srv.command(1, &call_id, to("1003")).unwrap();
    let first = first.wait_with_output().await.unwrap();
    assert!(ok(&first), "1002 was hung up by the transfer: {}", explain(&first));
    let c = customer.await.unwrap();
    assert!(ok(&c), "the customer talked on and hung up: {}", explain(&c));
    let second = second.wait_with_output().await.unwrap();
    assert!(ok(&second), "1003 answered and got the customer's hang-up: {}", explain(&second));
    let evs = events_until_end(&mut rx).await;
    assert_eq!(
        kinds(&evs),
        vec![
            CallEventKind::Held,
            CallEventKind::Transferred { to: "1003".into() },
            CallEventKind::Ended { cause: EndCause::Answered }
        ]
    );
    assert_eq!(evs.last().unwrap().call.extension.as_deref(), Some("1003"), "the call now belongs to 1003");
}

/// Attended transfer: 1002 answers a customer, consults 1003 (the customer waits with music),
/// then hands the customer over: 1002 is hung up, the customer's hang-up reaches 1003.
#[tokio::test]
async fn attended_transfer_consults_then_hands_over() {
    use telephony::events::CallCommand;
    let srv = server_with_carrier(None, |_| {}).await;
    let mut rx = srv.subscribe();
    let agent = phone_of(&srv, "1002", "uas_answer.xml", 18600).await;
    let third = phone_of(&srv, "1003", "uas_answer.xml", 18800).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let args = ["-s", DID_1002, "-key", "caller", "48600111666", "-mp", "19000", "-d", "3500"];
    let target = srv.local_addr();
    let customer = tokio::spawn(async move { sipp_from("127.0.0.2", "trunk_uac.xml", target, &args).await });
    let call_id = crate::harness::wait_for(&mut rx, CallEventKind::Answered).await.call.call_id;
    srv.command(1, &call_id, CallCommand::ConsultStart { to: "1003".into() }).unwrap();
    crate::harness::wait_for(&mut rx, CallEventKind::Held).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    srv.command(1, &call_id, CallCommand::ConsultComplete).unwrap();
    let ev = crate::harness::wait_for(&mut rx, CallEventKind::Transferred { to: "1003".into() }).await;
    assert_eq!(ev.call.extension.as_deref(), Some("1003"));
    let a = agent.wait_with_output().await.unwrap();
    assert!(ok(&a), "1002 left the call: {}", explain(&a));
    let c = customer.await.unwrap();
    assert!(ok(&c), "the customer talked on and hung up: {}", explain(&c));
    let t = third.wait_with_output().await.unwrap();
    assert!(ok(&t), "1003 took the customer and got the hang-up: {}", explain(&t));
    assert_eq!(kinds(&events_until_end(&mut rx).await), vec![CallEventKind::Ended { cause: EndCause::Answered }]);
}

/// A consultation cancelled: the consulted 1003 is hung up and 1002 is back with the customer.
#[tokio::test]
async fn a_cancelled_consultation_returns_the_agent_to_the_customer() {
    use telephony::events::CallCommand;
    let srv = server_with_carrier(None, |_| {}).await;
    let mut rx = srv.subscribe();
    let agent = phone_of(&srv, "1002", "uas_answer.xml", 19200).await;
    let third = phone_of(&srv, "1003", "uas_answer.xml", 19400).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let args = ["-s", DID_1002, "-key", "caller", "48600111777", "-mp", "19600", "-d", "3500"];
    let target = srv.local_addr();
    let customer = tokio::spawn(async move { sipp_from("127.0.0.2", "trunk_uac.xml", target, &args).await });
    let call_id = crate::harness::wait_for(&mut rx, CallEventKind::Answered).await.call.call_id;
    srv.command(1, &call_id, CallCommand::ConsultStart { to: "1003".into() }).unwrap();
    crate::harness::wait_for(&mut rx, CallEventKind::Held).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    srv.command(1, &call_id, CallCommand::ConsultCancel).unwrap();
    crate::harness::wait_for(&mut rx, CallEventKind::Resumed).await;
    let t = third.wait_with_output().await.unwrap();
    assert!(ok(&t), "1003 was hung up: {}", explain(&t));
    let c = customer.await.unwrap();
    assert!(ok(&c), "the customer hung up at the end: {}", explain(&c));
    let a = agent.wait_with_output().await.unwrap();
    assert!(ok(&a), "1002 was back on the call and got the hang-up: {}", explain(&a));
    let evs = events_until_end(&mut rx).await;
    assert_eq!(evs.last().unwrap().call.extension.as_deref(), Some("1002"));
}

/// An agent answers a ringing call from the CRM: the phone is rung again with the auto-answer
/// header and picks up by itself.
#[tokio::test]
async fn answering_from_the_crm_makes_the_phone_pick_up() {
    use telephony::events::CallCommand;
    let srv = server_with_carrier(None, |_| {}).await;
    let mut rx = srv.subscribe();
    let phone = phone_of(&srv, "1002", "uas_ring_autoanswer.xml", 20400).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let args = ["-s", DID_1002, "-key", "caller", "48600111999", "-mp", "20600", "-d", "1000"];
    let target = srv.local_addr();
    let customer = tokio::spawn(async move { sipp_from("127.0.0.2", "trunk_uac.xml", target, &args).await });
    let ringing = crate::harness::wait_for(&mut rx, CallEventKind::Ringing).await;
    assert_eq!(srv.calls(1)[0].ringing, vec!["1002".to_string()], "listed as ringing 1002");
    srv.command(1, &ringing.call.call_id, CallCommand::Answer).unwrap();
    let answered = crate::harness::wait_for(&mut rx, CallEventKind::Answered).await;
    assert_eq!(answered.call.extension.as_deref(), Some("1002"));
    let c = customer.await.unwrap();
    assert!(ok(&c), "the customer talked and hung up: {}", explain(&c));
    let p = phone.wait_with_output().await.unwrap();
    assert!(ok(&p), "the phone auto-answered the second INVITE: {}", explain(&p));
}

/// An agent refuses a ringing call from the CRM: the caller gets busy, and it counts as missed.
#[tokio::test]
async fn hanging_up_a_ringing_call_from_the_crm_refuses_it() {
    use telephony::events::CallCommand;
    let srv = server_with_carrier(None, |_| {}).await;
    let mut rx = srv.subscribe();
    let phone = phone_of(&srv, "1002", "uas_ring.xml", 20800).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let args = ["-s", DID_1002, "-key", "caller", "48600111000", "-mp", "21200"];
    let target = srv.local_addr();
    let customer = tokio::spawn(async move { sipp_from("127.0.0.2", "trunk_uac_486.xml", target, &args).await });
    let ringing = crate::harness::wait_for(&mut rx, CallEventKind::Ringing).await;
    srv.command(1, &ringing.call.call_id, CallCommand::Hangup).unwrap();
    let end = crate::harness::wait_for(&mut rx, CallEventKind::Ended { cause: EndCause::Busy }).await;
    assert!(end.is_missed());
    assert!(ok(&customer.await.unwrap()), "the customer got busy");
    assert!(ok(&phone.wait_with_output().await.unwrap()), "the phone stopped ringing");
    assert!(srv.calls(1).is_empty());
}

/// A trunk whose carrier wants a registration: Switchboard REGISTERs with the trunk's
/// credentials, answers the carrier's challenge, and reports the registration standing.
#[tokio::test]
async fn a_trunk_registers_at_its_carrier() {
    let carrier_port = free_port();
    let carrier = format!("127.0.0.3:{carrier_port}").parse().unwrap();
    let registrar = phone_rendered("127.0.0.3", &render("carrier_registrar.xml", 880, &[]), carrier_port, 19000, &[]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let srv = crate::harness::server_with_directory(Some(carrier), true, |_| {}).await;
    let r = registrar.wait_with_output().await.unwrap();
    assert!(ok(&r), "the carrier challenged and accepted the trunk: {}", explain(&r));
    let standing = tokio::time::timeout(Duration::from_secs(5), async {
        while srv.trunk_registered(7) != Some(true) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(standing.is_ok(), "reported as registered: {:?}", srv.trunk_registered(7));
}
