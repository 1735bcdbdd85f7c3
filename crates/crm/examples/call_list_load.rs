//! How the call lists hold up at size (issue 18's figures): a generated CSV of N numbers
//! (default 1,000,000; categories, a name, the agent on some rows) imported into a list through
//! the import engine (dry run, then run); the export of every number of the list as CSV; then
//! 200 agents asking "next number": first all at the same moment (they wait for each other),
//! 100 times — the p50/p99 of "next number" when everyone asks at once; then flat out, each
//! asking again as soon as their outcome is written — numbers handed out per second. Run by
//! bench/call_lists.sh. BENCH_PG=URL (of a PostgreSQL server's admin) runs it on a fresh
//! PostgreSQL database instead of SQLite; BENCH_KEEP=1 keeps the database to look at;
//! BENCH_IMPORT_ONLY=1 stops after the import.

use std::io::Write;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let rows: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let agents: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("numbers.csv");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
        writeln!(f, "Numer;Nazwa;Kategoria").unwrap();
        let cats = ["Nowi", "Powracający", "VIP", "Jesień", "Zima"];
        for i in 0..rows {
            let phone = format!("{} {:03} {:03}", 500 + i / 1_000_000, (i / 1000) % 1000, i % 1000);
            writeln!(f, "{phone};Klient {i};{}", cats[(i % 5) as usize]).unwrap();
        }
    }
    let url = match std::env::var("BENCH_PG") {
        Ok(admin) => store::testing::fresh_pg_url(&admin).await,
        Err(_) => store::testing::fresh_sqlite_url(dir.path()),
    };
    println!("database: {}", if url.starts_with("sqlite") { "SQLite" } else { "PostgreSQL" });
    let store = store::Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let settings = crm::CrmSettings { files: dir.path().join("files"), ..Default::default() };
    let crm = crm::Crm::start_with(store, settings).await.unwrap();
    let org = crm.create_org(&crm::OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
    let user = |name: String, ext: String, role: &str| crm::identity::users::NewUser {
        username: name.clone(),
        full_name: name,
        extension: ext,
        role: role.into(),
        language: "pl".into(),
        password: "bench-password-1".into(),
        ..Default::default()
    };
    let manager = crm.create_user(org.id, user("ada".into(), "100".into(), "manager")).await.unwrap();
    let list = crm.create_call_list(&manager, "Bench", "").await.unwrap();
    let upload = dir.path().join("upload.csv");
    std::fs::copy(&csv, &upload).unwrap();
    let target = crm::imports::Target::CallList(list.id);
    let imp = crm.upload_import(&manager, target, "bench", "", "numbers.csv", &upload).await.unwrap();
    let s = imp.settings();
    let t = Instant::now();
    let check = crm.check_import(&manager, imp.id, &s).await.unwrap();
    let dry = t.elapsed().as_secs_f64();
    println!("dry run: {} rows, {} new in {dry:.2} s", check.total, check.new);
    let t = Instant::now();
    let done = crm.run_import(&manager, imp.id).await.unwrap();
    let run = t.elapsed().as_secs_f64();
    println!(
        "import: {} numbers written in {run:.2} s ({:.0} rows/s) (goal: <= 5 s for 1M numbers)",
        done.new,
        done.new as f64 / run
    );
    // SQLite: what of the write-ahead log is not yet in the database file (a checkpoint runs
    // behind each batch of a load) is copied now, so the export does not share the disk with it.
    let t = Instant::now();
    crm.store().checkpoint().await.unwrap();
    println!("then the rest of the log copied into the database file in {:.2} s", t.elapsed().as_secs_f64());
    if std::env::var_os("BENCH_IMPORT_ONLY").is_some() {
        return;
    }

    // The export of every number of the list (the filter matches them all).
    let f = crm::outbound::base::NumberFilter { list: Some(list.id), ..Default::default() };
    let t = Instant::now();
    let table = crm.export_numbers(&manager, &f, vec![String::new(); 10]).await.unwrap();
    let bytes = table.to_csv_named("utf-8").map(|(b, _)| b.len()).unwrap_or(0);
    println!(
        "export: {} rows, {:.0} MB of CSV in {:.2} s",
        table.rows.len(),
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    drop(table);

    // Agents asking at once, round after round: next number, then an outcome.
    let outcome = crm.add_list_outcome(&manager, "Koniec", crm::outbound::Kind::Final, 0).await.unwrap();
    let mut people = vec![];
    for i in 0..agents {
        people.push(crm.create_user(org.id, user(format!("a{i}"), format!("{}", 1000 + i), "agent")).await.unwrap());
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pct = |waits: &mut Vec<Duration>, q: f64| {
        waits.sort();
        waits
            .get(((waits.len() as f64 * q) as usize).min(waits.len().saturating_sub(1)))
            .copied()
            .map(ms)
            .unwrap_or(0.0)
    };

    // 1. Bursts: every agent asks at the same moment (they wait for each other), then each
    // gives an outcome; ROUNDS times. The latency of "next number" when all ask at once.
    const ROUNDS: usize = 100;
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(agents));
    let t = Instant::now();
    let tasks: Vec<_> = people
        .iter()
        .cloned()
        .map(|a| {
            let (crm, barrier) = (crm.clone(), barrier.clone());
            tokio::spawn(async move {
                let mut waits = vec![];
                for _ in 0..ROUNDS {
                    barrier.wait().await;
                    let t = Instant::now();
                    let n = crm.next_number(&a).await.unwrap();
                    waits.push(t.elapsed());
                    if let Some(n) = n {
                        crm.give_outcome(&a, n.id, outcome.id, None, "", None).await.unwrap();
                    }
                }
                waits
            })
        })
        .collect();
    let mut waits = gather(tasks).await;
    let took = t.elapsed().as_secs_f64();
    println!(
        "next number, all at once: {agents} agents asking at the same moment, {ROUNDS} times over {} numbers: \
         p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} handed out in {took:.1} s) (goal: p99 <= 10 ms)",
        done.new,
        pct(&mut waits, 0.5),
        pct(&mut waits, 0.99),
        pct(&mut waits, 1.0),
        waits.len(),
    );

    // 2. Flat out: each agent asks again as soon as its outcome is written, for `seconds`.
    let until = Instant::now() + Duration::from_secs(seconds);
    let t = Instant::now();
    let tasks: Vec<_> = people
        .into_iter()
        .map(|a| {
            let crm = crm.clone();
            tokio::spawn(async move {
                let mut waits = vec![];
                while Instant::now() < until {
                    let t = Instant::now();
                    let Some(n) = crm.next_number(&a).await.unwrap() else { break };
                    waits.push(t.elapsed());
                    crm.give_outcome(&a, n.id, outcome.id, None, "", None).await.unwrap();
                }
                waits
            })
        })
        .collect();
    let mut waits = gather(tasks).await;
    let took = t.elapsed().as_secs_f64();
    println!(
        "next number, flat out: {agents} agents each asking again as soon as their outcome is written: \
         {} handed out in {took:.1} s ({:.0}/s with an outcome each), p50 {:.1} ms, p99 {:.1} ms",
        waits.len(),
        waits.len() as f64 / took,
        pct(&mut waits, 0.5),
        pct(&mut waits, 0.99),
    );
    // BENCH_KEEP=1: the database is kept, to look at afterwards.
    if std::env::var_os("BENCH_KEEP").is_some() {
        println!("kept in {}", dir.keep().display());
    }
}

/// Every agent's waits, once all are done.
async fn gather(tasks: Vec<tokio::task::JoinHandle<Vec<Duration>>>) -> Vec<Duration> {
    let mut waits = vec![];
    for task in tasks {
        waits.extend(task.await.unwrap());
    }
    waits
}
