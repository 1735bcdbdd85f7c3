//! How many call events the CRM records per second, and how long from the SIP event to the
//! committed rows (p50/p99), with CALLS calls in progress (default 200): each call rings, is
//! answered or given up (a third), ends; a new call takes its place. Events enter through
//! `Crm::follow` — the same path as the SIP server's — and are counted once committed.
//! Then an open-loop run at RATE events/s (default: twice what the B2BUA sustains, see
//! bench/call_events.sh) checks that nothing is lost: every call in the log once with its end,
//! every unanswered one in the missed calls once.
//!   call_events_load CALLS EVENTS RATE        (SQLite in a temporary folder)
//!   BENCH_PG=postgres://… call_events_load …  (a fresh PostgreSQL database instead)

use crm::{Crm, OrgSlug};
use std::time::{Duration, Instant};
use telephony::events::{ActiveCall, CallEvent, CallEventKind, CallState, Direction, EndCause};

struct Gen {
    org: i64,
    next: u64,
    live: Vec<(String, u8, String)>,
    i: usize,
}

impl Gen {
    /// The next event of the calls in progress, round robin: ringing, answered (two calls in
    /// three), ended; an ended call is replaced by a new one.
    fn next(&mut self) -> CallEvent {
        self.i = (self.i + 1) % self.live.len();
        let (id, step, ext) = self.live[self.i].clone();
        let n: u64 = id[1..].parse().unwrap();
        let answered = !n.is_multiple_of(3);
        let mut call = ActiveCall::new(
            id.clone(),
            self.org,
            Direction::Inbound,
            format!("4860{n:07}"),
            "48221234567".into(),
            Some(ext.clone()),
        );
        call.ringing = vec![ext.clone()];
        let at = chrono::Utc::now();
        let kind = match (step, answered) {
            (0, _) => CallEventKind::Ringing,
            (1, true) => {
                (call.state, call.answered_at) = (CallState::Talking, Some(at));
                CallEventKind::Answered
            }
            (1, false) => CallEventKind::Ended { cause: EndCause::Cancelled },
            _ => {
                (call.state, call.answered_at) = (CallState::Talking, Some(at));
                CallEventKind::Ended { cause: EndCause::Answered }
            }
        };
        if matches!(kind, CallEventKind::Ended { .. }) {
            self.next += 1;
            self.live[self.i] = (format!("c{}", self.next), 0, ext);
        } else {
            self.live[self.i].1 += 1;
        }
        CallEvent { call, at, kind }
    }
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let calls: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let events: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let rate: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0.0);
    let dir = tempfile::tempdir().unwrap();
    let (label, url) = match std::env::var("BENCH_PG") {
        Ok(admin) => ("PostgreSQL", store::testing::fresh_pg_url(&admin).await),
        Err(_) => ("SQLite", store::testing::fresh_sqlite_url(dir.path())),
    };
    let store = store::Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let settings = crm::CrmSettings {
        files: dir.path().join("files"),
        spool: Some(dir.path().join("spool")),
        ..Default::default()
    };
    let crm = Crm::start_with(store, settings).await.unwrap();
    let org = crm.create_org(&OrgSlug::parse("bench").unwrap(), "Bench").await.unwrap();
    let exts: Vec<String> = (0..calls).map(|i| format!("{}", 2000 + i)).collect();
    for e in &exts {
        let u = crm::identity::users::NewUser {
            username: format!("u{e}"),
            full_name: format!("Agent {e}"),
            extension: e.clone(),
            role: "agent".into(),
            language: "pl".into(),
            password: "bench-password-1".into(),
            ..Default::default()
        };
        crm.create_user(org.id, u).await.unwrap();
    }
    let calls_from = |start: u64| Gen {
        org: org.id.0,
        next: start + calls as u64,
        live: exts.iter().enumerate().map(|(i, e)| (format!("c{}", start + i as u64), 0u8, e.clone())).collect(),
        i: 0,
    };

    // 1. As fast as it goes, with up to CALLS events waiting at once.
    let (tx, _) = tokio::sync::broadcast::channel(65_536);
    let mut following = crm.follow(tx.subscribe());
    let mut g = calls_from(1_000_000);
    let mut sent: Vec<Instant> = Vec::with_capacity(events);
    let mut lat = Vec::with_capacity(events);
    let t = Instant::now();
    for n in 0..events {
        if n >= calls {
            following.recorded((n - calls + 1) as u64).await;
            lat.push(sent[n - calls].elapsed());
        }
        sent.push(Instant::now());
        tx.send(g.next()).unwrap();
    }
    let tail = events.saturating_sub(calls);
    for (n, s) in sent.iter().enumerate().skip(tail) {
        following.recorded((n + 1) as u64).await;
        lat.push(s.elapsed());
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{label}: {events} call events with {calls} calls in progress: {:.0} events/s; SIP event → committed p50 {:.1} ms, p99 {:.1} ms",
        events as f64 / secs,
        pct(&mut lat, 0.50),
        pct(&mut lat, 0.99)
    );

    // 2. Open loop at RATE events/s: nothing lost.
    if rate > 0.0 {
        let (tx, _) = tokio::sync::broadcast::channel(1 << 20);
        let mut following = crm.follow(tx.subscribe());
        let mut g = calls_from(5_000_000);
        let total = (rate * 10.0) as usize;
        let t = Instant::now();
        let mut sent_at = Vec::with_capacity(total);
        for n in 0..total {
            let due = Duration::from_secs_f64(n as f64 / rate);
            if let Some(wait) = due.checked_sub(t.elapsed()) {
                tokio::time::sleep(wait).await;
            }
            sent_at.push(Instant::now());
            tx.send(g.next()).unwrap();
        }
        let mut lat = Vec::with_capacity(total);
        for (n, s) in sent_at.iter().enumerate() {
            following.recorded((n + 1) as u64).await;
            lat.push(s.elapsed());
        }
        // Calls that ended in this run: every one in the log once with its end.
        use store::sea_orm::{ConnectionTrait, Statement};
        let db = crm.store().conn();
        let q = |sql: &str| Statement::from_string(db.get_database_backend(), sql.to_string());
        let row = db
            .query_one_raw(q("SELECT COUNT(*) AS n, COUNT(DISTINCT call_id) AS d, SUM(CASE WHEN ended_at IS NULL THEN 1 ELSE 0 END) AS open FROM call_log WHERE call_id >= 'c5000000'"))
            .await
            .unwrap()
            .unwrap();
        let (n, d, open): (i64, i64, i64) = (
            row.try_get("", "n").unwrap(),
            row.try_get("", "d").unwrap(),
            row.try_get::<Option<i64>>("", "open").unwrap().unwrap_or(0),
        );
        let ended = (g.next - 5_000_000 - calls as u64) as i64;
        println!(
            "{label}: open loop at {rate:.0} events/s for 10 s: {total} events, p99 {:.1} ms; call-log rows {n} for {d} calls ({open} still in progress of {calls}, {ended} ended), {} spooled",
            pct(&mut lat, 0.99),
            crm.call_events_spooled()
        );
        assert_eq!(n, d, "every call once");
        assert!(open <= calls as i64, "only the calls in progress are open");
    }
}
