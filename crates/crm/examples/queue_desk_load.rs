//! How fast a freed agent gets the next caller: one organization with A agents (default 200)
//! in 5 queues (each agent in two), all available, and C callers (default 1,000) entering the
//! queues through the SIP side's door; the first A are offered and answered. Then, N times
//! (default 500), one talking agent's call ends (a call event, as the B2BUA sends it) and the
//! time until the desk orders the next waiting caller's call to ring an agent is measured; that
//! offer is answered, so A agents keep talking and callers keep waiting. Prints p50 and p99.
//! The desk's part only: the B2BUA then sends the INVITE (bench/sip_setups.sh measures those).
//! The queue event log and state stretches are written to SQLite as in production.
//! Run by bench/queue_desk.sh.

use chrono::Utc;
use crm::queues::{MemberForm, QueueForm, Strategy};
use crm::{Crm, OrgSlug};
use std::time::Instant;
use telephony::SipDirectory;
use telephony::events::{ActiveCall, CallEvent, CallEventKind, Direction, EndCause};
use telephony::queue::{QueueOrder, QueueReport, QueueTicket};
use tokio::sync::mpsc;

fn event(org: i64, call: &str, ext: &str, queue: i64, kind: CallEventKind) -> CallEvent {
    let mut c = ActiveCall::new(call.into(), org, Direction::Inbound, "48600111222".into(), "48221234567".into(), None);
    c.extension = Some(ext.into());
    c.queue = Some(queue);
    CallEvent { call: c, at: Utc::now(), kind }
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let agents: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let callers: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(500);
    let dir = tempfile::tempdir().unwrap();
    let store = store::Store::connect(&store::testing::fresh_sqlite_url(dir.path())).await.unwrap();
    store.migrate().await.unwrap();
    let crm = Crm::start(store).await.unwrap();
    let org = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
    let user = |name: String, ext: String, role: &str| crm::identity::users::NewUser {
        username: name.clone(),
        full_name: name,
        extension: ext,
        role: role.into(),
        language: "en".into(),
        password: "bench-password-1".into(),
        ..Default::default()
    };
    let mia = crm.create_user(org.id, user("mia".into(), "9999".into(), "manager")).await.unwrap();
    let mut team = Vec::new();
    for i in 0..agents {
        team.push(crm.create_user(org.id, user(format!("agent{i}"), format!("{}", 1000 + i), "agent")).await.unwrap());
    }
    let mut queues = Vec::new();
    for (k, strategy) in
        [Strategy::LongestIdle, Strategy::RoundRobin, Strategy::FewestCalls, Strategy::InOrder, Strategy::RingAll]
            .into_iter()
            .enumerate()
    {
        let f = QueueForm {
            name: format!("q{k}"),
            strategy,
            wrap_up_seconds: 0,
            max_waiting: 0,
            max_wait_seconds: 3600,
            ..Default::default()
        };
        let q = crm.save_queue(&mia, None, f).await.unwrap();
        // Agent i is in queues i % 5 and (i + 1) % 5.
        let members: Vec<MemberForm> = team
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 5 == k || (i + 1) % 5 == k)
            .map(|(_, u)| MemberForm { user_id: u.id, penalty: 0 })
            .collect();
        crm.set_queue_members(&mia, q.id, &members).await.unwrap();
        queues.push(q.id);
    }
    for u in &team {
        crm.set_agent_status(u, true, None).await.unwrap();
    }
    let (events, _) = tokio::sync::broadcast::channel(4096);
    let _following = crm.follow(events.subscribe());

    // Every caller's orders, fanned in: (caller index, order).
    let (orders_tx, mut orders) = mpsc::unbounded_channel::<(usize, QueueOrder)>();
    let t = Instant::now();
    for i in 0..callers {
        let q = queues[i % queues.len()];
        let call = ActiveCall::new(
            format!("c{i}"),
            org.id.0,
            Direction::Inbound,
            format!("48600{i:06}"),
            "48221234567".into(),
            None,
        );
        let QueueTicket::Wait(mut rx) = crm.queue_enter(&call, q).await else { panic!("caller {i} refused") };
        let tx = orders_tx.clone();
        tokio::spawn(async move {
            while let Some(o) = rx.recv().await {
                if tx.send((i, o)).is_err() {
                    return;
                }
            }
        });
    }
    println!(
        "{callers} callers entered {} queues with {agents} agents in {:.2} s",
        queues.len(),
        t.elapsed().as_secs_f64()
    );

    // Answers an offer: the first extension it rings takes it. Returns (extension, queue).
    let answer = |i: usize, o: QueueOrder| {
        let QueueOrder::Ring { extensions, .. } = o else { return None };
        let ext = extensions.first()?.clone();
        let q = queues[i % queues.len()];
        crm.queue_report(org.id.0, &format!("c{i}"), QueueReport::Rang { answered_by: Some(ext.clone()) });
        let _ = events.send(event(org.id.0, &format!("c{i}"), &ext, q, CallEventKind::Answered));
        Some((i, ext, q))
    };
    let mut talking = std::collections::VecDeque::new();
    while talking.len() < agents.min(callers) {
        let (i, o) = orders.recv().await.unwrap();
        if let Some(t) = answer(i, o) {
            talking.push_back(t);
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    crm.flush_queue_journal().await;

    let mut took = Vec::with_capacity(rounds);
    for _ in 0..rounds.min(callers.saturating_sub(agents)) {
        let (i, ext, q) = talking.pop_front().unwrap();
        let t = Instant::now();
        let _ =
            events.send(event(org.id.0, &format!("c{i}"), &ext, q, CallEventKind::Ended { cause: EndCause::Answered }));
        let (j, o) = orders.recv().await.unwrap();
        took.push(t.elapsed().as_secs_f64() * 1000.0);
        if let Some(t) = answer(j, o) {
            talking.push_back(t);
        }
    }
    took.sort_by(|a, b| a.total_cmp(b));
    let p = |q: f64| took[((took.len() as f64 * q) as usize).min(took.len() - 1)];
    println!(
        "agent free -> next caller ringing (the desk's order), {} times with {} waiting: p50 {:.2} ms, p99 {:.2} ms, slowest {:.2} ms",
        took.len(),
        callers - agents,
        p(0.5),
        p(0.99),
        took[took.len() - 1]
    );
}
