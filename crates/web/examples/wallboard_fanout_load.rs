//! How fast a wallboard change reaches many supervisors: S managers (default 200) logged in
//! over HTTP, each with the live event stream (`/events`, SSE) open as the wallboard page keeps
//! it; R times (default 50) one `board.changed` event is published, and the time until each
//! stream has received it is measured. Prints p50 and p99 of one delivery and of the last of
//! each round (all S reached). Run by bench/wallboard_fanout.sh.

use futures_util::StreamExt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let supervisors: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let dir = tempfile::tempdir().unwrap();
    let store = store::Store::connect(&store::testing::fresh_sqlite_url(dir.path())).await.unwrap();
    store.migrate().await.unwrap();
    let crm = crm::Crm::start(store).await.unwrap();
    let org = crm.create_org(&crm::OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
    crm.set_seats(org.id, supervisors as i64 + 10).await.unwrap();
    let pw = "bench-password-1";
    for i in 0..supervisors {
        let u = crm::identity::users::NewUser {
            username: format!("sup{i}"),
            full_name: format!("Supervisor {i}"),
            extension: format!("{}", 2000 + i),
            role: "manager".into(),
            language: "en".into(),
            password: pw.into(),
            ..Default::default()
        };
        crm.create_user(org.id, u).await.unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(web::serve(listener, web::AppState::new(crm.clone(), false), std::future::pending()));

    let sent: Arc<Mutex<Option<Instant>>> = Arc::default();
    let (got_tx, mut got) = mpsc::unbounded_channel::<Duration>();
    let (ready_tx, mut ready) = mpsc::unbounded_channel::<()>();
    let t = Instant::now();
    for i in 0..supervisors {
        let c =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let page = c.get(format!("{base}/login?lang=en")).send().await.unwrap().text().await.unwrap();
        let at = page.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
        let csrf = page[at..].split('"').next().unwrap().to_string();
        let ident = format!("sup{i}");
        let form = [("csrf", csrf.as_str()), ("identifier", ident.as_str()), ("password", pw), ("language", "en")];
        let r = c.post(format!("{base}/login")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 303, "log-in of {ident}");
        let (sent, got_tx, ready_tx, base) = (sent.clone(), got_tx.clone(), ready_tx.clone(), base.clone());
        tokio::spawn(async move {
            let r = c.get(format!("{base}/events")).send().await.unwrap();
            let mut body = r.bytes_stream();
            let mut buf = String::new();
            while let Some(Ok(chunk)) = body.next().await {
                buf.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buf.find("\n\n") {
                    let msg: String = buf.drain(..end + 2).collect();
                    if msg.contains("event: ready") {
                        let _ = ready_tx.send(());
                    } else if msg.contains("event: board.changed") {
                        let t0 = sent.lock().unwrap().unwrap_or_else(Instant::now);
                        let _ = got_tx.send(t0.elapsed());
                    }
                }
            }
        });
    }
    for _ in 0..supervisors {
        ready.recv().await.unwrap();
    }
    println!("{supervisors} supervisors logged in with their streams open in {:.1} s", t.elapsed().as_secs_f64());

    let (mut each, mut last) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        *sent.lock().unwrap() = Some(Instant::now());
        let ev = crm::Event {
            org_id: org.id,
            audience: crm::Audience::Role(crm::Role::Manager),
            kind: "board.changed".into(),
            data: serde_json::Value::Null,
        };
        crm.publish(ev).await.unwrap();
        let mut round = Duration::ZERO;
        for _ in 0..supervisors {
            let d = got.recv().await.unwrap();
            each.push(d.as_secs_f64() * 1000.0);
            round = round.max(d);
        }
        last.push(round.as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stats = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        let p = |q: f64| v[((v.len() as f64 * q) as usize).min(v.len() - 1)];
        (p(0.5), p(0.99))
    };
    let (e50, e99) = stats(&mut each);
    let (l50, l99) = stats(&mut last);
    println!(
        "board.changed to {supervisors} SSE streams, {rounds} times: one delivery p50 {e50:.2} ms, p99 {e99:.2} ms; \
         all {supervisors} reached p50 {l50:.2} ms, p99 {l99:.2} ms"
    );
}
