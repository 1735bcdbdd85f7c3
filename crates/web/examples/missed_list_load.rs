//! How fast the missed-call list answers with many rows: an organization with N rows (default
//! 100,000) in a fresh SQLite file, the web app on loopback, and M requests (default 2,000) for
//! filtered pages over HTTP with an API token: views, last statuses, periods and page numbers
//! mixed. Prints p50, p99 and the slowest. Run by bench/missed_list.sh.

use chrono::{Duration, Utc};
use crm::{Crm, OrgSlug};
use std::time::Instant;
use store::entities::missed_call as mc;
use store::sea_orm::{EntityTrait, Set};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let requests: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let dir = tempfile::tempdir().unwrap();
    let store = store::Store::connect(&store::testing::fresh_sqlite_url(dir.path())).await.unwrap();
    store.migrate().await.unwrap();
    let crm = Crm::start(store.clone()).await.unwrap();
    let org = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
    let user = crm
        .create_user(
            org.id,
            crm::identity::users::NewUser {
                username: "ada".into(),
                full_name: "Ada".into(),
                extension: "100".into(),
                role: "admin".into(),
                language: "en".into(),
                password: "bench-password-1".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (token, _) = crm.create_token(&user, "bench").await.unwrap();

    let t = Instant::now();
    let now = Utc::now();
    use crm::missed::{LastAction as A, MissedState as S, RemovalCause};
    let states = [S::Visible, S::Visible, S::Visible, S::Hidden, S::Removed];
    let actions = [A::None, A::None, A::CallbackFailed, A::Sms, A::CallbackOk];
    let txn = store.write().await.unwrap();
    for chunk in (0..rows).collect::<Vec<_>>().chunks(1000) {
        let batch = chunk.iter().map(|&i| {
            let at = now - Duration::minutes(i as i64 * 3);
            let state = states[i % states.len()];
            mc::ActiveModel {
                org_id: Set(org.id.0),
                caller: Set(format!("48600{i:06}")),
                called_number: Set("48221234567".into()),
                count: Set(1 + (i % 4) as i32),
                first_at: Set(at),
                last_at: Set(at),
                state: Set(state),
                removed_cause: Set((state == S::Removed).then_some(RemovalCause::Retention)),
                removed_at: Set((state == S::Removed).then_some(at)),
                last_action: Set(actions[(i / 5) % actions.len()]),
                ..Default::default()
            }
        });
        mc::Entity::insert_many(batch).exec(&txn).await.unwrap();
    }
    txn.commit().await.unwrap();
    println!("{rows} rows stored in {:.1} s", t.elapsed().as_secs_f64());

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(web::serve(listener, web::AppState::new(crm, false), std::future::pending()));
    let client = reqwest::Client::new();
    let day = |d: i64| (now - Duration::days(d)).format("%Y-%m-%d").to_string();
    let queries: Vec<String> = (0..requests)
        .map(|i| match i % 6 {
            0 => "view=visible".to_string(),
            1 => format!("view=visible&page={}", 1 + i % 200),
            2 => "view=all&status=never_tried".to_string(),
            3 => format!("view=hidden&from={}&to={}", day(60), day(30)),
            4 => format!("view=removed&status=sms_sent&page={}", 1 + i % 20),
            _ => format!("view=all&from={}&page=3", day(100)),
        })
        .collect();
    // Warm up (connection, caches).
    for q in queries.iter().take(20) {
        client.get(format!("{base}/api/v1/missed?{q}")).bearer_auth(&token).send().await.unwrap();
    }
    let mut times = Vec::with_capacity(requests);
    let mut by_kind: Vec<Vec<std::time::Duration>> = vec![vec![]; 6];
    let mut total_items = 0;
    for (i, q) in queries.iter().enumerate() {
        let t = Instant::now();
        let r = client.get(format!("{base}/api/v1/missed?{q}")).bearer_auth(&token).send().await.unwrap();
        assert!(r.status().is_success(), "{q}: {}", r.status());
        let v: serde_json::Value = r.json().await.unwrap();
        times.push(t.elapsed());
        by_kind[i % 6].push(t.elapsed());
        total_items += v["items"].as_array().map(|a| a.len()).unwrap_or(0);
    }
    times.sort();
    for (k, mut v) in by_kind.into_iter().enumerate() {
        v.sort();
        let p99 = v[((v.len() as f64 * 0.99) as usize).min(v.len() - 1)];
        println!("  {:<45} p99 {:.2} ms", queries[k].split("&page").next().unwrap_or(""), p99.as_secs_f64() * 1000.0);
    }
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "{requests} filtered pages of 50 over HTTP ({} rows returned): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (goal: p99 <= 50 ms)",
        total_items,
        ms(pct(0.50)),
        ms(pct(0.99)),
        ms(*times.last().unwrap())
    );
}
