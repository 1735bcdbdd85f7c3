//! Nothing a caller did is lost when the store fails: call events that cannot be written wait
//! in the spool (on disk) and are recorded once the store is back — also by the next process.

use super::{ev, new_user};
use crm::calls::log::{CallKind, CallLogFilter, EndReason};
use crm::missed::MissedView;
use crm::{Crm, OrgSlug};
use std::time::Duration;
use telephony::events::{CallEventKind as K, Direction as D, EndCause};

async fn wait_until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..200 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

/// The database is locked by another writer for longer than its busy timeout (as a long
/// maintenance statement or another process would): an inbound call rings and is given up
/// meanwhile. Its events go to the spool, the process stops, the next one starts with the store
/// back and records them: the call is in the log with its end, and in the missed calls, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_the_store_refuses_wait_in_the_spool_and_are_recorded_once_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let url = store::testing::fresh_sqlite_url(dir.path());
    let spool = dir.path().join("spool");
    let settings =
        || crm::CrmSettings { files: dir.path().join("files"), spool: Some(spool.clone()), ..Default::default() };
    // The first process waits at most 100 ms for a busy database.
    let s1 = store::Store::connect_with(&url, Duration::from_millis(100)).await.unwrap();
    s1.migrate().await.unwrap();
    let crm1 = Crm::start_with(s1, settings()).await.unwrap();
    let o = crm1.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
    let anna = crm1.create_user(o.id, new_user("anna", "101", "agent")).await.unwrap();

    // Another connection holds the write lock.
    let other = store::Store::connect(&url).await.unwrap();
    let lock = other.write().await.unwrap();
    use store::sea_orm::ConnectionTrait;
    lock.execute_unprepared("UPDATE organizations SET name = name").await.unwrap();

    let mut browser = crm1.bus().subscribe();
    let (tx, _) = tokio::sync::broadcast::channel(16);
    let _following = crm1.follow(tx.subscribe());
    let at = chrono::Utc::now();
    let call = |kind, secs| {
        ev(
            o.id.0,
            "lost-1",
            D::Inbound,
            "48600111222",
            "48221234567",
            Some("101"),
            at + chrono::Duration::seconds(secs),
            kind,
        )
    };
    tx.send(call(K::Ringing, 0)).unwrap();
    tx.send(call(K::Ended { cause: EndCause::Cancelled }, 8)).unwrap();
    // anna's page hears the call ring and end although nothing can be written.
    let mut heard = vec![];
    while heard.len() < 2 {
        let e = tokio::time::timeout(Duration::from_secs(5), browser.recv()).await.expect("the page is told").unwrap();
        if e.audience == crm::Audience::User(anna.id) {
            heard.push(e.kind.clone());
        }
    }
    assert_eq!(heard, ["call.ringing", "call.ended"], "the page never stays ringing");
    wait_until("both events are in the spool", async || crm1.call_events_spooled() == 2).await;
    assert!(
        std::fs::read_to_string(spool.join("call-events.jsonl")).unwrap().lines().count() == 2,
        "the spool is on disk"
    );
    // The process stops (its stream ends) while the store still refuses.
    drop(tx);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(crm1.call_log(&anna, &CallLogFilter { limit: 10, ..Default::default() }).await.unwrap().len(), 0);

    // The store is back; the next process drains the spool first.
    lock.commit().await.unwrap();
    let s2 = store::Store::connect(&url).await.unwrap();
    let crm2 = Crm::start_with(s2, settings()).await.unwrap();
    let (tx2, _) = tokio::sync::broadcast::channel::<telephony::events::CallEvent>(16);
    let mut following = crm2.follow(tx2.subscribe());
    tokio::time::timeout(Duration::from_secs(10), following.recorded(2)).await.expect("the spool drains");
    let log = crm2.call_log(&anna, &CallLogFilter { limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(log.len(), 1, "the call is in the log once");
    assert_eq!((log[0].kind, log[0].end), (CallKind::Missed, Some(EndReason::Cancelled)));
    assert_eq!(log[0].ended_at, Some(at + chrono::Duration::seconds(8)), "with its real end time");
    let missed = crm2.missed_calls(o.id, MissedView::All, 10).await.unwrap();
    assert_eq!((missed.len(), missed[0].count), (1, 1), "one missed call, counted once");
    assert!(!spool.join("call-events.jsonl").exists(), "the spool is empty");
    assert_eq!(crm2.call_events_spooled(), 0);
}

/// A node stops mid-call (kill -9): its next start closes what it left open at its last sign
/// of life — the answered call ends as interrupted with its talk time, the call that was still
/// ringing becomes a missed call, the supervision stretch ends — and a node that stays away is
/// closed the same way by another node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_closes_the_calls_the_stopped_node_left_open() {
    use telephony::events::{SuperviseMode, Supervisor};
    let dir = tempfile::tempdir().unwrap();
    for (b, store) in store::testing::backends(dir.path()).await {
        let settings = |node: &str| crm::CrmSettings {
            files: dir.path().join(format!("files-{b}")),
            spool: Some(dir.path().join(format!("spool-{b}-{node}"))),
            node: Some(node.into()),
            ..Default::default()
        };
        let crm1 = Crm::start_with(store.clone(), settings("n1")).await.unwrap();
        assert_eq!(crm1.recover_calls().await.unwrap(), 0, "{b}: a first start closes nothing");
        let o = crm1.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let anna = crm1.create_user(o.id, new_user("anna", "101", "agent")).await.unwrap();
        let bea = crm1.create_user(o.id, new_user("bea", "102", "agent")).await.unwrap();
        let mia = crm1.create_user(o.id, new_user("mia", "109", "manager")).await.unwrap();
        let t0 = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 0) - chrono::Duration::minutes(5);
        let s = |n: i64| t0 + chrono::Duration::seconds(n);
        let (tx, _) = tokio::sync::broadcast::channel(16);
        let mut following = crm1.follow(tx.subscribe());
        let talk = |kind, at| {
            let mut e = ev(o.id.0, "talk-1", D::Inbound, "48600111222", "48221234567", Some("101"), at, kind);
            if e.kind != K::Ringing {
                // As the SIP server says it: answered at 5 s, talking.
                (e.call.answered_at, e.call.state) = (Some(s(5)), telephony::events::CallState::Talking);
            }
            e
        };
        tx.send(talk(K::Ringing, s(0))).unwrap();
        tx.send(talk(K::Answered, s(5))).unwrap();
        let mut supervised = talk(K::Supervised { supervisor: "109".into(), mode: SuperviseMode::Listen }, s(20));
        supervised.call.supervisor =
            Some(Supervisor { extension: "109".into(), mode: SuperviseMode::Listen, joined: true });
        tx.send(supervised).unwrap();
        let ring = |kind, at| ev(o.id.0, "ring-1", D::Inbound, "48600333444", "48221234567", Some("102"), at, kind);
        tx.send(ring(K::Ringing, s(30))).unwrap();
        tokio::time::timeout(Duration::from_secs(10), following.recorded(4)).await.unwrap();
        // The node's last sign of life: a minute after the call was answered.
        use store::sea_orm::{ConnectionTrait, EntityTrait};
        let seen = s(65);
        let mut me: store::entities::node::ActiveModel = store::entities::node::Entity::find_by_id("n1".to_string())
            .one(store.conn())
            .await
            .unwrap()
            .unwrap()
            .into();
        me.seen_at = store::sea_orm::Set(seen);
        store::sea_orm::ActiveModelTrait::update(me, store.conn()).await.unwrap();
        drop(tx);

        // kill -9; the node starts again.
        let crm2 = Crm::start_with(store.clone(), settings("n1")).await.unwrap();
        assert_eq!(crm2.recover_calls().await.unwrap(), 2, "{b}: both calls were closed");
        let filter = CallLogFilter { limit: 10, ..Default::default() };
        let log = |u| crm2.call_log(u, &filter);
        let a = log(&anna).await.unwrap();
        assert_eq!(a.len(), 1, "{b}");
        assert_eq!(
            (a[0].kind, a[0].end, a[0].ended_at),
            (CallKind::Incoming, Some(EndReason::Interrupted), Some(seen)),
            "{b}"
        );
        assert_eq!(a[0].talk_seconds, 60, "{b}: talked from the answer to the last sign of life");
        let r = log(&bea).await.unwrap();
        assert_eq!((r[0].kind, r[0].end), (CallKind::Missed, Some(EndReason::Interrupted)), "{b}: a missed call");
        let missed = crm2.missed_calls(o.id, MissedView::All, 10).await.unwrap();
        assert_eq!(missed.iter().map(|m| m.caller.as_str()).collect::<Vec<_>>(), ["48600333444"], "{b}");
        let sup = crm2.supervision_log(&mia, t0 - chrono::Duration::hours(1), chrono::Utc::now()).await.unwrap();
        assert_eq!((sup.len(), sup[0].open, sup[0].seconds), (1, false, 45), "{b}: the stretch ended");
        assert_eq!(sup[0].customer.as_deref(), Some("48600111222"), "{b}: the log names the call's customer");
        let left = store
            .conn()
            .query_all_raw(store::sea_orm::Statement::from_string(
                store.conn().get_database_backend(),
                "SELECT call_id FROM live_calls",
            ))
            .await
            .unwrap();
        assert!(left.is_empty(), "{b}: nothing is left open");
        assert_eq!(crm2.recover_calls().await.unwrap(), 0, "{b}: closed once only");

        // Another node (n2) takes a call and goes silent: n1 closes it once n2 is taken for dead.
        let crm3 = Crm::start_with(store.clone(), settings("n2")).await.unwrap();
        crm3.recover_calls().await.unwrap();
        let (tx3, _) = tokio::sync::broadcast::channel(4);
        let mut f3 = crm3.follow(tx3.subscribe());
        tx3.send(ev(o.id.0, "n2-call", D::Inbound, "48600555666", "48221234567", Some("101"), s(100), K::Ringing))
            .unwrap();
        tokio::time::timeout(Duration::from_secs(10), f3.recorded(1)).await.unwrap();
        assert_eq!(crm2.close_dead_nodes().await.unwrap(), 0, "{b}: n2 is alive");
        let old = chrono::Utc::now() - chrono::Duration::minutes(2);
        store
            .conn()
            .execute_raw(store::sea_orm::Statement::from_sql_and_values(
                store.conn().get_database_backend(),
                if b == "postgres" {
                    "UPDATE nodes SET seen_at = $1 WHERE name = 'n2'"
                } else {
                    "UPDATE nodes SET seen_at = ? WHERE name = 'n2'"
                },
                [old.into()],
            ))
            .await
            .unwrap();
        assert_eq!(crm2.close_dead_nodes().await.unwrap(), 1, "{b}: n2's call is closed by n1");
        assert_eq!(crm2.close_dead_nodes().await.unwrap(), 0, "{b}: once");
        let missed = crm2.missed_calls(o.id, MissedView::All, 10).await.unwrap();
        assert!(missed.iter().any(|m| m.caller == "48600555666"), "{b}: its caller is a missed call");
    }
}
