//! Queues without a network: callers enter through the SIP side's door (`queue_enter`), offers
//! are answered through its report, and call events arrive as from the B2BUA.

use super::{crms, ev, new_user, send};
use chrono::Duration;
use crm::agents::status::AgentState;
use crm::queues::{MemberForm, QueueForm, Strategy};
use crm::{Crm, OrgId, OrgSlug, User};
use store::entities::queue_event::QueueEventKind;
use telephony::SipDirectory;
use telephony::events::{CallEventKind as K, Direction as D, EndCause};
use telephony::queue::{QueueExit, QueueOrder, QueueReport, QueueTicket};
use tokio::sync::mpsc::UnboundedReceiver;

struct Team {
    org: OrgId,
    manager: User,
    agents: Vec<User>,
}

async fn team(crm: &Crm) -> Team {
    let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
    let manager = crm.create_user(o.id, new_user("mia", "109", "manager")).await.unwrap();
    let mut agents = Vec::new();
    for (n, e) in [("ala", "101"), ("bea", "102"), ("cyd", "103")] {
        agents.push(crm.create_user(o.id, new_user(n, e, "agent")).await.unwrap());
    }
    Team { org: o.id, manager, agents }
}

async fn queue(crm: &Crm, t: &Team, name: &str, f: QueueForm, members: &[(usize, i32)]) -> i64 {
    let q = crm.save_queue(&t.manager, None, QueueForm { name: name.into(), ..f }).await.unwrap();
    let m: Vec<MemberForm> =
        members.iter().map(|(i, p)| MemberForm { user_id: t.agents[*i].id, penalty: *p }).collect();
    crm.set_queue_members(&t.manager, q.id, &m).await.unwrap();
    q.id
}

fn call(org: OrgId, id: &str) -> telephony::ActiveCall {
    telephony::ActiveCall::new(id.into(), org.0, D::Inbound, "48600111222".into(), "48221234567".into(), None)
}

async fn enter(crm: &Crm, org: OrgId, id: &str, q: i64) -> UnboundedReceiver<QueueOrder> {
    match crm.queue_enter(&call(org, id), q).await {
        QueueTicket::Wait(rx) => rx,
        QueueTicket::Leave(e) => panic!("{id} refused: {e:?}"),
    }
}

async fn next_ring(rx: &mut UnboundedReceiver<QueueOrder>) -> Vec<String> {
    match tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv()).await {
        Ok(Some(QueueOrder::Ring { extensions, .. })) => extensions,
        other => panic!("no offer: {other:?}"),
    }
}

/// The agent with `ext` answers call `id`, talks, and hangs up.
async fn answer_and_end(crm: &Crm, org: OrgId, id: &str, ext: &str, q: i64) {
    crm.queue_report(org.0, id, QueueReport::Rang { answered_by: Some(ext.into()) });
    let at = crm.clock().now();
    let mk = |kind| {
        let mut e = ev(org.0, id, D::Inbound, "48600111222", "48221234567", Some(ext), at, kind);
        e.call.queue = Some(q);
        e
    };
    send(crm, mk(K::Answered)).await;
    send(crm, mk(K::Ended { cause: EndCause::Answered })).await;
}

async fn state(crm: &Crm, u: &User) -> AgentState {
    crm.agent_status(u).await.unwrap().state
}

#[tokio::test]
async fn each_strategy_distributes_as_it_says() {
    let dir = tempfile::tempdir().unwrap();
    let expected: [(Strategy, &[&str]); 5] = [
        (Strategy::InOrder, &["101", "101", "101", "101"]),
        (Strategy::RoundRobin, &["101", "102", "103", "101"]),
        // Round robin ended with 101: 102 has been idle longest, then 103.
        (Strategy::LongestIdle, &["102", "103", "101", "102"]),
        // A new queue: nobody answered any of its calls, so the longest idle first; then the
        // ones with none yet.
        (Strategy::FewestCalls, &["103", "101", "102", "103"]),
        (Strategy::RingAll, &["101,102,103", "101,102,103"]),
    ];
    for (b, crm) in crms(dir.path()).await {
        let t = team(&crm).await;
        for a in &t.agents {
            crm.set_agent_status(a, true, None).await.unwrap();
            crm.clock().advance(Duration::seconds(1));
        }
        for (n, (strategy, want)) in expected.iter().enumerate() {
            let f = QueueForm { strategy: *strategy, wrap_up_seconds: 0, ..Default::default() };
            let q = queue(&crm, &t, &format!("q{n}"), f, &[(0, 0), (1, 0), (2, 0)]).await;
            let mut got = Vec::new();
            for i in 0..want.len() {
                let id = format!("{b}-{n}-{i}");
                let mut rx = enter(&crm, t.org, &id, q).await;
                let rung = next_ring(&mut rx).await;
                got.push(rung.join(","));
                answer_and_end(&crm, t.org, &id, &rung[0], q).await;
                crm.clock().advance(Duration::seconds(1));
            }
            assert_eq!(&got, want, "{b}: {strategy:?}");
        }
        // Penalty 1 is offered only while nobody of penalty 0 is free.
        let f = QueueForm { strategy: Strategy::InOrder, wrap_up_seconds: 0, ..Default::default() };
        let q = queue(&crm, &t, "tiers", f, &[(2, 0), (0, 1)]).await;
        let mut rx = enter(&crm, t.org, &format!("{b}-tier-1"), q).await;
        assert_eq!(next_ring(&mut rx).await, vec!["103"], "{b}");
        let mut rx2 = enter(&crm, t.org, &format!("{b}-tier-2"), q).await;
        assert_eq!(next_ring(&mut rx2).await, vec!["101"], "{b}: 103 is reserved, so penalty 1");
        // Weighted random reaches every member over many calls.
        let f = QueueForm { strategy: Strategy::WeightedRandom, wrap_up_seconds: 0, ..Default::default() };
        let q = queue(&crm, &t, "random", f, &[(0, 0), (1, 0)]).await;
        let mut seen = std::collections::HashSet::new();
        for i in 0..30 {
            let id = format!("{b}-w-{i}");
            let mut rx = enter(&crm, t.org, &id, q).await;
            let rung = next_ring(&mut rx).await;
            seen.insert(rung[0].clone());
            crm.queue_report(t.org.0, &id, QueueReport::CallerLeft);
        }
        assert!(seen.contains("102"), "{b}: weighted random offered 102 too: {seen:?}");
    }
}

#[tokio::test]
async fn wrap_up_holds_an_agent_out_of_every_queue_until_ready() {
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let t = team(&crm).await;
        let (ala, bea) = (&t.agents[0], &t.agents[1]);
        assert_eq!(state(&crm, ala).await, AgentState::LoggedOut, "{b}");
        crm.set_agent_status(ala, true, None).await.unwrap();
        crm.clock().advance(Duration::seconds(5));
        crm.set_agent_status(bea, true, None).await.unwrap();
        let f = QueueForm { strategy: Strategy::LongestIdle, wrap_up_seconds: 60, ..Default::default() };
        let sales = queue(&crm, &t, "sales", f.clone(), &[(0, 0), (1, 0)]).await;
        let support = queue(&crm, &t, "support", f, &[(0, 0), (1, 0)]).await;
        let mut rx = enter(&crm, t.org, "c1", sales).await;
        assert_eq!(next_ring(&mut rx).await, vec!["101"], "{b}: ala waited longest");
        assert_eq!(state(&crm, ala).await, AgentState::Reserved, "{b}");
        crm.queue_report(t.org.0, "c1", QueueReport::Rang { answered_by: Some("101".into()) });
        assert_eq!(state(&crm, ala).await, AgentState::InCall, "{b}");
        let at = crm.clock().now();
        let mut end = ev(
            t.org.0,
            "c1",
            D::Inbound,
            "48600111222",
            "48221234567",
            Some("101"),
            at,
            K::Ended { cause: EndCause::Answered },
        );
        end.call.queue = Some(sales);
        send(&crm, end).await;
        let s = crm.agent_status(ala).await.unwrap();
        assert_eq!(s.state, AgentState::WrapUp, "{b}");
        assert!(s.wrap_until.is_some(), "{b}");
        // A caller of the other queue goes to bea: ala's after-call work holds in every queue.
        crm.clock().advance(Duration::seconds(30));
        let mut rx = enter(&crm, t.org, "c2", support).await;
        assert_eq!(next_ring(&mut rx).await, vec!["102"], "{b}");
        crm.queue_report(t.org.0, "c2", QueueReport::Rang { answered_by: Some("102".into()) });
        // A third caller waits while ala wraps up; her "ready" offers it to her at once.
        let mut rx = enter(&crm, t.org, "c3", support).await;
        assert!(rx.try_recv().is_err(), "{b}: nobody is free");
        assert_eq!(crm.end_wrap_up(ala).await.unwrap().state, AgentState::Reserved, "{b}");
        assert_eq!(next_ring(&mut rx).await, vec!["101"], "{b}");
        // The state stretches are stored: reserved, in call, wrap-up, reserved again.
        crm.flush_queue_journal().await;
        let why = crm.queue_decisions(t.org, "c1").await.unwrap();
        let kinds: Vec<QueueEventKind> = why.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            vec![QueueEventKind::Enter, QueueEventKind::Offer, QueueEventKind::Connect, QueueEventKind::Complete],
            "{b}"
        );
        let detail: serde_json::Value = serde_json::from_str(why[1].detail.as_deref().unwrap()).unwrap();
        assert_eq!(detail["strategy"], "longest_idle", "{b}");
        assert_eq!(detail["candidates"].as_array().unwrap().len(), 2, "{b}: both were free: {detail}");
    }
}

#[tokio::test]
async fn the_longest_waiting_caller_across_queues_is_served_first_unless_a_queue_comes_first() {
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let t = team(&crm).await;
        let ala = &t.agents[0];
        let lunch = crm.add_status_reason(&t.manager, "Lunch").await.unwrap();
        crm.set_agent_status(ala, false, Some(lunch.id)).await.unwrap();
        let f = QueueForm { wrap_up_seconds: 0, ..Default::default() };
        let q1 = queue(&crm, &t, "one", f.clone(), &[(0, 0)]).await;
        let q2 = queue(&crm, &t, "two", f.clone(), &[(0, 0)]).await;
        let mut early = enter(&crm, t.org, "early", q2).await;
        crm.clock().advance(Duration::seconds(10));
        let mut late = enter(&crm, t.org, "late", q1).await;
        crm.set_agent_status(ala, true, None).await.unwrap();
        assert_eq!(next_ring(&mut early).await, vec!["101"], "{b}: waited longest, in another queue");
        assert!(late.try_recv().is_err(), "{b}");
        crm.queue_report(t.org.0, "early", QueueReport::CallerLeft);
        assert_eq!(next_ring(&mut late).await, vec!["101"], "{b}");
        crm.queue_report(t.org.0, "late", QueueReport::CallerLeft);

        // A queue of higher priority comes first, however long the other caller waited.
        let vip = queue(&crm, &t, "vip", QueueForm { priority: 5, ..f }, &[(0, 0)]).await;
        crm.set_agent_status(ala, false, Some(lunch.id)).await.unwrap();
        let mut old = enter(&crm, t.org, "old", q1).await;
        crm.clock().advance(Duration::seconds(60));
        let mut important = enter(&crm, t.org, "important", vip).await;
        crm.set_agent_status(ala, true, None).await.unwrap();
        assert_eq!(next_ring(&mut important).await, vec!["101"], "{b}");
        assert!(old.try_recv().is_err(), "{b}");
    }
}

#[tokio::test]
async fn a_full_queue_or_nobody_logged_in_sends_callers_to_the_exit() {
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let t = team(&crm).await;
        let f = QueueForm { exit: QueueExit::Extension("109".into()), max_waiting: 1, ..Default::default() };
        let q = queue(&crm, &t, "sales", f, &[(0, 0)]).await;
        // Nobody logged in: to the exit at once.
        match crm.queue_enter(&call(t.org, "x1"), q).await {
            QueueTicket::Leave(QueueExit::Extension(e)) => assert_eq!(e, "109", "{b}"),
            other => panic!("{b}: {other:?}"),
        }
        // Logged in but on a break: callers wait, one at most.
        let lunch = crm.add_status_reason(&t.manager, "Lunch").await.unwrap();
        crm.set_agent_status(&t.agents[0], false, Some(lunch.id)).await.unwrap();
        let _first = enter(&crm, t.org, "x2", q).await;
        assert!(matches!(crm.queue_enter(&call(t.org, "x3"), q).await, QueueTicket::Leave(_)), "{b}: full");
        // "Why?" says why each was refused, and where they went.
        crm.flush_queue_journal().await;
        use crm::queues::ExitKind;
        use crm::queues::exit::Refusal;
        for (call_id, why) in [("x1", Refusal::NobodyLoggedIn), ("x3", Refusal::Full)] {
            let (_, steps) = crm.call_journey(&t.manager, call_id).await.unwrap();
            let left = steps.last().unwrap();
            assert_eq!(left.refusal, Some(why), "{b}: {call_id}");
            assert_eq!(left.exit, Some((ExitKind::Extension, "109".to_string())), "{b}: {call_id}");
        }
        // Queues that would pass callers round for ever are refused when the loop closes.
        let to = |q: i64| QueueForm { exit: QueueExit::Queue(q), ..Default::default() };
        let a = queue(&crm, &t, "A", QueueForm::default(), &[]).await;
        let b2 = queue(&crm, &t, "B", to(a), &[]).await;
        let c = queue(&crm, &t, "C", to(b2), &[]).await;
        let closing = QueueForm { name: "A".into(), ..to(c) };
        assert_eq!(crm.save_queue(&t.manager, Some(a), closing).await.unwrap_err().code(), "err-queue-loop", "{b}");
        let to_self = QueueForm { name: "A".into(), ..to(a) };
        assert_eq!(crm.save_queue(&t.manager, Some(a), to_self).await.unwrap_err().code(), "err-queue-unknown", "{b}");
        let fine = QueueForm { name: "A".into(), exit: QueueExit::Extension("109".into()), ..Default::default() };
        crm.save_queue(&t.manager, Some(a), fine).await.unwrap();
        // Bad settings are refused with their field.
        let bad = QueueForm { name: "bad".into(), ring_seconds: 1, ..Default::default() };
        assert_eq!(crm.save_queue(&t.manager, None, bad).await.unwrap_err().code(), "err-out-of-range", "{b}");
        let bad = QueueForm { name: "bad".into(), exit: QueueExit::Queue(999), ..Default::default() };
        assert_eq!(crm.save_queue(&t.manager, None, bad).await.unwrap_err().code(), "err-queue-unknown", "{b}");
        let agent_made =
            crm.save_queue(&t.agents[0], None, QueueForm { name: "mine".into(), ..Default::default() }).await;
        assert!(agent_made.is_err(), "{b}: agents do not set up queues");
    }
}

/// A manager gives a waiting caller to an agent of their choosing (here one who is on a break),
/// logged as theirs; a caller already ringing someone, or an agent in a call, is refused; an
/// agent may not do it.
#[tokio::test]
async fn a_manager_gives_a_waiting_caller_to_an_agent() {
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let t = team(&crm).await;
        let f = QueueForm { leave_when_empty: false, wrap_up_seconds: 0, ..Default::default() };
        let q = queue(&crm, &t, "sales", f, &[(0, 0), (1, 0)]).await;
        let mut rx = enter(&crm, t.org, &format!("{b}-h1"), q).await;
        // Nobody is logged in: the caller waits.
        let call = format!("{b}-h1");
        assert!(matches!(
            crm.hand_waiting_call(&t.agents[0], &call, t.agents[1].id).await,
            Err(crm::CrmError::Forbidden)
        ));
        crm.hand_waiting_call(&t.manager, &call, t.agents[1].id).await.unwrap();
        assert_eq!(next_ring(&mut rx).await, vec!["102"], "{b}");
        assert_eq!(state(&crm, &t.agents[1]).await, AgentState::Reserved);
        let again = crm.hand_waiting_call(&t.manager, &call, t.agents[0].id).await.unwrap_err();
        assert_eq!(again.code(), "err-hand-ringing", "{b}");
        let offers = crm.queue_decisions(t.org, &call).await.unwrap();
        let o = offers.iter().find(|e| e.kind == QueueEventKind::Offer).unwrap();
        assert!(o.detail.as_deref().unwrap_or("").contains(&format!("\"handed_by\":{}", t.manager.id.0)), "{b}: {o:?}");
        // Bea answers; a second caller cannot be given to her while she talks.
        answer_and_end(&crm, t.org, &call, "102", q).await;
        let _rx2 = enter(&crm, t.org, &format!("{b}-h2"), q).await;
        let mut ev = super::ev(
            t.org.0,
            "other",
            D::Inbound,
            "48600111999",
            "48221234567",
            Some("102"),
            crm.clock().now(),
            K::Answered,
        );
        ev.call.extension = Some("102".into());
        send(&crm, ev).await;
        let busy = crm.hand_waiting_call(&t.manager, &format!("{b}-h2"), t.agents[1].id).await.unwrap_err();
        assert_eq!(busy.code(), "err-hand-busy", "{b}");
        assert!(matches!(
            crm.hand_waiting_call(&t.manager, "no-such-call", t.agents[1].id).await,
            Err(crm::CrmError::NotFound)
        ));
    }
}

/// A queue call in the call log starts when its caller entered the queue, not when an agent's
/// phone rang: the wait is part of the call.
#[tokio::test]
async fn a_queue_call_in_the_call_log_starts_when_the_caller_entered_the_queue() {
    use crm::calls::log::CallLogFilter;
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let t = team(&crm).await;
        let entered = chrono::Utc::now() - Duration::seconds(40);
        let mut e = ev(t.org.0, "q-1", D::Inbound, "48600111222", "48221234567", None, chrono::Utc::now(), K::Ringing);
        e.call.queue = Some(1);
        e.call.queued_at = Some(entered);
        e.call.ringing = vec!["101".into()];
        send(&crm, e).await;
        let log = crm.call_log(&t.agents[0], &CallLogFilter::default()).await.unwrap();
        let row = log.iter().find(|c| c.call_id == "q-1").expect("the call is in the agent's log");
        assert_eq!(row.started_at.timestamp(), entered.timestamp(), "{b}: from the queue entry");
    }
}

/// A queue that speaks tells each waiting caller their place and the expected wait 5 s after
/// they entered, then at its interval; one ringing an agent is told nothing.
#[tokio::test]
async fn waiting_callers_are_told_their_place_and_the_expected_wait() {
    use telephony::queue::Announcement;
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let t = team(&crm).await;
        let lunch = crm.add_status_reason(&t.manager, "Lunch").await.unwrap();
        crm.set_agent_status(&t.agents[0], false, Some(lunch.id)).await.unwrap();
        let f = QueueForm { announce_seconds: 20, language: crm::Language::Pl, ..Default::default() };
        let q = queue(&crm, &t, "talking", f, &[(0, 0)]).await;
        let mut first = enter(&crm, t.org, "a1", q).await;
        crm.clock().advance(Duration::seconds(2));
        let mut second = enter(&crm, t.org, "a2", q).await;
        let step = || async { crm.set_agent_status(&t.agents[1], false, Some(lunch.id)).await.unwrap() };
        crm.clock().advance(Duration::seconds(4));
        step().await;
        // One member logged in, 3 minutes a call assumed: the first waits 3, the second 6.
        let told = |rx: &mut UnboundedReceiver<QueueOrder>| match rx.try_recv() {
            Ok(QueueOrder::Announce(a)) => Some(a),
            _ => None,
        };
        let a = |position, minutes| Announcement {
            language: "pl".into(),
            position: Some(position),
            wait_minutes: Some(minutes),
            callback: false,
        };
        assert_eq!(told(&mut first), Some(a(1, 3)), "{b}");
        assert_eq!(told(&mut second), None, "{b}: not yet 5 s for the second");
        crm.clock().advance(Duration::seconds(2));
        step().await;
        assert_eq!(told(&mut second), Some(a(2, 6)), "{b}");
        assert_eq!(told(&mut first), None, "{b}: the next one comes at its interval");
        crm.clock().advance(Duration::seconds(19));
        step().await;
        assert_eq!(told(&mut first), Some(a(1, 3)), "{b}: 20 s after its first");
        assert_eq!(told(&mut second), None, "{b}");
        // Bad intervals are refused with their field.
        let bad = QueueForm { name: "bad".into(), announce_seconds: 5, ..Default::default() };
        assert_eq!(crm.save_queue(&t.manager, None, bad).await.unwrap_err().code(), "err-out-of-range", "{b}");
    }
}

/// A queue that offers callbacks says so; a caller who presses 1 is told they will be called
/// back, leaves the line and keeps their place (ahead of those who came after); a callback not
/// reached in its time makes the caller a missed call. Every step is in the call's queue events.
#[tokio::test]
async fn a_caller_who_presses_1_keeps_their_place_off_the_line_and_is_missed_when_it_expires() {
    use telephony::queue::Announcement;
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let t = team(&crm).await;
        let lunch = crm.add_status_reason(&t.manager, "Lunch").await.unwrap();
        crm.set_agent_status(&t.agents[0], false, Some(lunch.id)).await.unwrap();
        let f = QueueForm { callback_minutes: 10, language: crm::Language::Pl, ..Default::default() };
        let q = queue(&crm, &t, "callback", f, &[(0, 0)]).await;
        let mut first = enter(&crm, t.org, "c1", q).await;
        crm.clock().advance(Duration::seconds(1));
        let _second = enter(&crm, t.org, "c2", q).await;
        let step = || async { crm.set_agent_status(&t.agents[1], false, Some(lunch.id)).await.unwrap() };
        crm.clock().advance(Duration::seconds(5));
        step().await;
        // No places told (not asked for): only the offer.
        let offer = Announcement { language: "pl".into(), position: None, wait_minutes: Some(3), callback: true };
        assert_eq!(first.try_recv().ok(), Some(QueueOrder::Announce(offer)), "{b}");
        crm.queue_report(t.org.0, "c1", QueueReport::Key('2'));
        assert!(first.try_recv().is_err(), "{b}: another key does nothing");
        crm.queue_report(t.org.0, "c1", QueueReport::Key('1'));
        assert_eq!(first.try_recv().ok(), Some(QueueOrder::CallBackLater { language: "pl".into() }), "{b}");
        // The B2BUA lets the caller go: the place stays, first in the line.
        let at = crm.clock().now();
        send(
            &crm,
            ev(
                t.org.0,
                "c1",
                D::Inbound,
                "48600111222",
                "48221234567",
                None,
                at,
                K::Ended { cause: EndCause::CallbackRequested },
            ),
        )
        .await;
        crm.queue_report(t.org.0, "c1", QueueReport::CallerLeft);
        let waiting = crm.waiting_callers(t.org).await.unwrap();
        let line: Vec<(&str, bool)> = waiting.iter().map(|w| (w.call_id.as_str(), w.callback)).collect();
        assert_eq!(line, [("c1", true), ("c2", false)], "{b}");
        assert!(crm.missed_calls(t.org, Default::default(), 10).await.unwrap().is_empty(), "{b}: not missed yet");
        // Past the queue's longest wait (5 min) the caller still waits for the callback; past
        // its 10 minutes, they are a missed call.
        crm.clock().advance(Duration::minutes(6));
        crm.wake_desk(t.org);
        let waiting = crm.waiting_callers(t.org).await.unwrap();
        assert_eq!(waiting.iter().map(|w| w.call_id.as_str()).collect::<Vec<_>>(), ["c1"], "{b}");
        crm.clock().advance(Duration::minutes(5));
        crm.wake_desk(t.org);
        assert!(crm.waiting_callers(t.org).await.unwrap().is_empty(), "{b}");
        let missed = tokio::time::timeout(std::time::Duration::from_secs(5), async {
            loop {
                let m = crm.missed_calls(t.org, Default::default(), 10).await.unwrap();
                if !m.is_empty() {
                    return m;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the expired callback is a missed call");
        assert_eq!((missed[0].caller.as_str(), missed[0].called_number.as_str()), ("48600111222", "48221234567"));
        crm.flush_queue_journal().await;
        let kinds: Vec<QueueEventKind> =
            crm.queue_decisions(t.org, "c1").await.unwrap().into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [QueueEventKind::Enter, QueueEventKind::Callback, QueueEventKind::CallbackMissed], "{b}");
        let journey = crm.call_journey(&t.manager, "c1").await.unwrap().1;
        assert_eq!(journey[1].callback_number.as_deref(), Some("48600111222"), "{b}");
        assert_eq!(journey[2].callback.as_deref(), Some("expired"), "{b}");
        // Out-of-range validity is refused with its field.
        let bad = QueueForm { name: "bad".into(), callback_minutes: 2, ..Default::default() };
        assert_eq!(crm.save_queue(&t.manager, None, bad).await.unwrap_err().code(), "err-out-of-range", "{b}");
    }
}

/// One state for every call: an agent logged out of the queues who takes or places a call at
/// their desk is shown in a call (not "logged out") while it lasts, and logged out after it.
#[tokio::test]
async fn an_agent_logged_out_of_the_queues_is_shown_in_a_call_while_taking_one() {
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let t = team(&crm).await;
        let ala = &t.agents[0];
        let shown = || async {
            let now = crm.agents_now(&t.manager).await.unwrap();
            now.into_iter().find(|a| a.user_id == ala.id).unwrap().state
        };
        assert_eq!(shown().await, AgentState::LoggedOut, "{b}");
        let at = crm.clock().now();
        // A customer's call straight to her extension, answered at her desk.
        let mk = |kind| {
            let mut e = ev(t.org.0, "desk-1", D::Inbound, "48600111222", "48221234567", Some("101"), at, kind);
            e.call.ringing = vec!["101".into()];
            e
        };
        send(&crm, mk(K::Ringing)).await;
        assert_eq!(shown().await, AgentState::Reserved, "{b}: her phone rings");
        send(&crm, mk(K::Answered)).await;
        assert_eq!(shown().await, AgentState::InCall, "{b}: in a call, not logged out");
        send(&crm, mk(K::Ended { cause: EndCause::Answered })).await;
        assert_eq!(shown().await, AgentState::LoggedOut, "{b}: logged out again after it");
        // A call she places from her desk phone to a colleague.
        let out = |kind| ev(t.org.0, "desk-2", D::Internal, "101", "102", None, at, kind);
        send(&crm, out(K::Ringing)).await;
        assert_eq!(shown().await, AgentState::InCall, "{b}: placing a call");
        send(&crm, out(K::Ended { cause: EndCause::NoAnswer })).await;
        assert_eq!(shown().await, AgentState::LoggedOut, "{b}");
    }
}

/// A callback promised before the node stopped (kill -9) waits again in its place after the
/// node's next start, and still runs out in its time (a missed call then).
#[tokio::test]
async fn a_callback_asked_for_before_a_restart_waits_again_after_it() {
    let dir = tempfile::tempdir().unwrap();
    for (b, store) in store::testing::backends(dir.path()).await {
        let settings = || crm::CrmSettings {
            files: dir.path().join(format!("files-{b}")),
            node: Some("n1".into()),
            ..Default::default()
        };
        let crm = Crm::start_with(store.clone(), settings()).await.unwrap();
        let t = team(&crm).await;
        let lunch = crm.add_status_reason(&t.manager, "Lunch").await.unwrap();
        crm.set_agent_status(&t.agents[0], false, Some(lunch.id)).await.unwrap();
        let f = QueueForm { callback_minutes: 10, ..Default::default() };
        let q = queue(&crm, &t, "callback", f, &[(0, 0)]).await;
        let _first = enter(&crm, t.org, "c1", q).await;
        crm.queue_report(t.org.0, "c1", QueueReport::Key('1'));
        crm.flush_queue_journal().await;
        drop(crm);

        // The node starts again: the caller is back in the line, off it, to be called back.
        let again = Crm::start_with(store.clone(), settings()).await.unwrap();
        let waiting = again.waiting_callers(t.org).await.unwrap();
        let line: Vec<(&str, bool, &str)> =
            waiting.iter().map(|w| (w.call_id.as_str(), w.callback, w.from.as_str())).collect();
        assert_eq!(line, [("c1", true, "48600111222")], "{b}");
        // Another node does not take this node's callbacks.
        let other =
            Crm::start_with(store.clone(), crm::CrmSettings { node: Some("n2".into()), ..settings() }).await.unwrap();
        assert!(other.waiting_callers(t.org).await.unwrap().is_empty(), "{b}");
        again.clock().advance(Duration::minutes(11));
        again.wake_desk(t.org);
        assert!(again.waiting_callers(t.org).await.unwrap().is_empty(), "{b}: ran out");
        let missed = tokio::time::timeout(std::time::Duration::from_secs(5), async {
            loop {
                let m = again.missed_calls(t.org, Default::default(), 10).await.unwrap();
                if !m.is_empty() {
                    return m;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the expired callback is a missed call");
        assert_eq!(missed[0].caller, "48600111222", "{b}");
    }
}
