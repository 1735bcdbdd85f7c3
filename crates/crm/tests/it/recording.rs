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
