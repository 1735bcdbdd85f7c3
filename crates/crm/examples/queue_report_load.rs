//! How fast the queue reports answer over many queue events: an organization with 5 queues and
//! N events (default 10,000,000: one every 3 seconds for about a year, the five-event life of a
//! call — enter, offer, connect, complete — and abandons), written with one INSERT … SELECT on
//! PostgreSQL (BENCH_PG=URL of a server's admin; SQLite in a temporary file otherwise), then
//! counted into the quarter-hour table from the log (the "recount" a manager can ask for), then
//! M reports (default 300) of three shapes drawn at random — a month by day, a week by hour, a
//! year by month — each timed end to end through `Crm::report_queues`. Prints the load and
//! recount times and p50/p99 per shape. Run by bench/queue_report.sh.

use chrono::{Duration, NaiveDate, Utc};
use crm::reports::{Grouping, Period};
use crm::{Crm, OrgSlug};
use std::time::Instant;
use store::sea_orm::ConnectionTrait;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let events: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000_000);
    let reports: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);
    let dir = tempfile::tempdir().unwrap();
    let url = match std::env::var("BENCH_PG").ok().filter(|u| !u.is_empty()) {
        Some(admin) => store::testing::fresh_pg_url(&admin).await,
        None => store::testing::fresh_sqlite_url(dir.path()),
    };
    let store = store::Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let pg = store.is_postgres();
    let crm = Crm::start(store.clone()).await.unwrap();
    let org = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
    let mia = crm
        .create_user(
            org.id,
            crm::identity::users::NewUser {
                username: "mia".into(),
                full_name: "Mia".into(),
                extension: "100".into(),
                role: "manager".into(),
                language: "en".into(),
                password: "bench-password-1".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut queues = Vec::new();
    for name in ["Sales", "Support", "Billing", "Returns", "VIP"] {
        let f = crm::queues::QueueForm { name: name.into(), ..Default::default() };
        queues.push(crm.save_queue(&mia, None, f).await.unwrap().id);
    }
    let (q0, q4) = (queues[0], queues[4]);

    // Event g: queue q0 + g % 5, kind by g % 6, at now - 3 s * g, waits of 0-119 s.
    let t = Instant::now();
    let kinds = "CASE g % 6 WHEN 0 THEN 'enter' WHEN 1 THEN 'offer' WHEN 2 THEN 'connect' \
                 WHEN 3 THEN 'complete' WHEN 4 THEN 'abandon' ELSE 'no_answer' END";
    let sql = if pg {
        format!(
            "INSERT INTO queue_events (org_id, queue_id, call_id, kind, user_id, at, wait_ms) \
             SELECT {o}, {q0} + g % 5, 'c' || (g / 6), {kinds}, NULL, now() - g * interval '3 seconds', (g * 7919) % 120000 \
             FROM generate_series(CAST(1 AS BIGINT), {events}) AS g",
            o = org.id.0
        )
    } else {
        format!(
            "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {events}) \
             INSERT INTO queue_events (org_id, queue_id, call_id, kind, user_id, at, wait_ms) \
             SELECT {o}, {q0} + g % 5, 'c' || (g / 6), {kinds}, NULL, \
             strftime('%Y-%m-%d %H:%M:%S+00:00', 'now', '-' || (g * 3) || ' seconds'), (g * 7919) % 120000 FROM s",
            o = org.id.0
        )
    };
    store.conn().execute_unprepared(&sql).await.unwrap();
    let loaded = t.elapsed();
    assert_eq!(q4, q0 + 4, "the five queues have consecutive ids");
    let t = Instant::now();
    crm.recount_queue_events(&mia).await.unwrap();
    let recounted = t.elapsed();
    println!(
        "{} events on {}: written in {:.1} s, counted into quarter hours and days in {:.1} s",
        events,
        if pg { "PostgreSQL" } else { "SQLite" },
        loaded.as_secs_f64(),
        recounted.as_secs_f64()
    );

    let today = Utc::now().date_naive();
    let span_days = events * 3 / 86_400;
    let mut times: [Vec<f64>; 3] = [vec![], vec![], vec![]];
    let shapes = [
        (30, Grouping::Day, "a month by day"),
        (7, Grouping::Hour, "a week by hour"),
        (365, Grouping::Month, "a year by month"),
    ];
    let mut sizes = [0usize; 3];
    for i in 0..reports {
        let k = i % 3;
        let (days, by, _) = shapes[k];
        let back = (i as i64 * 7919) % (span_days - days).max(1);
        let to: NaiveDate = today - Duration::days(back);
        let from = to - Duration::days(days - 1);
        let t = Instant::now();
        let r = crm.report_queues(&mia, Period { from, to, by }).await.unwrap();
        times[k].push(t.elapsed().as_secs_f64() * 1000.0);
        sizes[k] = sizes[k].max(r.rows.len());
    }
    for (k, (_, _, name)) in shapes.iter().enumerate() {
        let v = &mut times[k];
        v.sort_by(|a, b| a.total_cmp(b));
        let p = |q: f64| v[((v.len() as f64 * q) as usize).min(v.len() - 1)];
        println!(
            "report over {name}: p50 {:.1} ms, p99 {:.1} ms, slowest {:.1} ms ({} reports, up to {} rows)",
            p(0.5),
            p(0.99),
            v[v.len() - 1],
            v.len(),
            sizes[k]
        );
    }
}
