//! Screen-pop latency: from an INVITE sent to the SIP port to the `call.ringing` event with the
//! contact card reaching a browser's event stream, with N contacts (default 1,000,000) in the
//! store. The real binary (`switchboard serve`, path in SWITCHBOARD_BIN) on a fresh SQLite
//! file; the agent's phone is sipp (it rings, 180, and is cancelled); the calls come from a
//! trunk address as raw SIP over UDP, one after another, each from a different contact's
//! number. The first 5 calls warm the caches up and are not counted. Prints p50 and p99.
//! Run by bench/screen_pop.sh.

use futures_util::StreamExt;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use store::entities::contact;
use store::sea_orm::{EntityTrait, Set};
use tokio::net::UdpSocket;

const PASSWORD: &str = "bench-password-1";

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let contacts: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let calls: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);
    let bin = std::env::var("SWITCHBOARD_BIN").expect("SWITCHBOARD_BIN");
    let sipp_dir = std::env::var("SIPP_SCENARIOS").expect("SIPP_SCENARIOS");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();

    // The organization, its agent, trunk and number, and the contacts.
    let store =
        store::Store::connect(&format!("sqlite:{}?mode=rwc", data.join("switchboard.db").display())).await.unwrap();
    store.migrate().await.unwrap();
    let crm = crm::Crm::start(store.clone()).await.unwrap();
    let org = crm.create_org(&crm::OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
    let agent = crm
        .create_user(
            org.id,
            crm::identity::users::NewUser {
                username: "anna".into(),
                full_name: "Anna".into(),
                extension: "101".into(),
                role: "agent".into(),
                language: "en".into(),
                password: PASSWORD.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let trunk = crm::sip::trunks::NewTrunk {
        name: "carrier".into(),
        host: "127.0.0.2".into(),
        port: 5060,
        transport: "udp".into(),
        inbound_addresses: vec!["127.0.0.2".into()],
        ..Default::default()
    };
    crm.create_trunk(org.id, trunk).await.unwrap();
    crm.add_number(org.id, "48221234567", crm::sip::trunks::NumberRoute::Extension("101")).await.unwrap();
    let t = Instant::now();
    let now = store::sea_orm::prelude::ChronoUtc::now();
    // A bulk load, as a large import is: the search indexes are built once after it.
    let bulk = store.begin_bulk_contacts().await.unwrap();
    let txn = store.write().await.unwrap();
    let mut i = 0u64;
    while i < contacts {
        let n = (contacts - i).min(2000);
        let batch = (i..i + n).map(|k| contact::ActiveModel {
            org_id: Set(org.id.0),
            code: Set(format!("C{k:07}")),
            first_name: Set(format!("Jan{k}")),
            last_name: Set("Kowalski".into()),
            company: Set(String::new()),
            phone1: Set(format!("5{k:08}")),
            phone1_e164: Set(format!("485{k:08}")),
            phone2: Set(String::new()),
            phone2_e164: Set(String::new()),
            email: Set(String::new()),
            notes: Set(String::new()),
            created_at: Set(now),
            updated_at: Set(now),
            deleted_at: Set(None),
            import_id: Set(None),
            import_line: Set(None),
            ..Default::default()
        });
        contact::Entity::insert_many(batch).exec(&txn).await.unwrap();
        i += n;
    }
    txn.commit().await.unwrap();
    bulk.finish().await;
    store.contact_search_settled().await;
    println!("{contacts} contacts stored (and their search indexes) in {:.1} s", t.elapsed().as_secs_f64());
    drop(crm);
    drop(store);

    // The real server.
    let mut child = Command::new(&bin)
        .arg("serve")
        .env("SWITCHBOARD_DATA_DIR", &data)
        .env("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0")
        .env("SWITCHBOARD_SIP_ADDR", "127.0.0.1:0")
        .env("SWITCHBOARD_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (mut base, mut sip) = (String::new(), String::new());
    let mut line = String::new();
    while base.is_empty() && out.read_line(&mut line).unwrap() > 0 {
        if let Some(a) = line.strip_prefix("SIP (UDP and TCP) on ") {
            sip = a.trim().into();
        }
        if let Some(at) = line.find("listening on ") {
            base = line[at + 13..].trim().into();
        }
        line.clear();
    }
    std::thread::spawn(move || for _ in out.lines() {});

    // The agent's phone: registers, then rings for every call.
    let phone_port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let sipp = |scenario: &str, extra: &[&str], target: Option<&str>| {
        let mut c = Command::new("sipp");
        if let Some(t) = target {
            c.arg(t);
        }
        c.args(["-sf", &format!("{sipp_dir}/{scenario}"), "-i", "127.0.0.1", "-p", &phone_port, "-nostdin"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };
    let reg = sipp(
        "register.xml",
        &["-m", "1", "-s", "101", "-au", "101", "-ap", &agent.sip_password, "-key", "domain", "127.0.0.1"],
        Some(&sip),
    )
    .status()
    .unwrap();
    assert!(reg.success(), "the phone registered");
    let mut phone = sipp("uas_ring.xml", &["-m", &(calls + 5).to_string(), "-mp", "23000"], None).spawn().unwrap();

    // The agent's browser: logged in, listening.
    let http =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = http.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = page[at..].split('"').next().unwrap().to_string();
    let r = http
        .post(format!("{base}/login"))
        .form(&[("csrf", csrf.as_str()), ("identifier", "anna"), ("password", PASSWORD), ("language", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER, "logged in");
    let mut events = http.get(format!("{base}/events")).send().await.unwrap().bytes_stream();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, Instant, bool)>();
    tokio::spawn(async move {
        let mut buf = String::new();
        while let Some(Ok(chunk)) = events.next().await {
            let got = Instant::now();
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let msg: String = buf.drain(..end + 2).collect();
                if msg.contains("event: call.ringing") {
                    let data = msg.lines().find_map(|l| l.strip_prefix("data: ")).unwrap_or("{}");
                    let v: serde_json::Value = serde_json::from_str(data).unwrap_or_default();
                    // The message names the call as the agent sees it, with its screen pop.
                    let call = &v["call"];
                    let named = call["pop"]["contacts"][0]["name"].as_str().is_some_and(|n| n.starts_with("Jan"));
                    let _ = tx.send((call["call_id"].as_str().unwrap_or("").to_string(), got, named));
                }
            }
        }
    });

    // The calls.
    let udp = UdpSocket::bind("127.0.0.2:0").await.unwrap();
    let local = udp.local_addr().unwrap();
    let mut lat = Vec::with_capacity(calls);
    let mut rings = Vec::with_capacity(calls);
    let mut unnamed = 0;
    let mut buf = vec![0u8; 4096];
    const WARM_UP: usize = 5;
    for n in 0..calls + WARM_UP {
        let k = (n as u64 * 7919 + 13) % contacts;
        let caller = format!("485{k:08}");
        let call_id = format!("pop-{n}-{}", std::process::id());
        let branch = format!("z9hG4bK-pop-{n}");
        let sdp = "v=0\r\no=b 1 1 IN IP4 127.0.0.2\r\ns=b\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 24000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
        let head = |method: &str, to_tag: &str| {
            format!(
                "{method} sip:48221234567@{sip} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch={branch}\r\nFrom: <sip:{caller}@127.0.0.2>;tag=f{n}\r\nTo: <sip:48221234567@{sip}>{to_tag}\r\nCall-ID: {call_id}\r\nCSeq: 1 {method}\r\nMax-Forwards: 70\r\n"
            )
        };
        let invite = format!(
            "{}Contact: <sip:{caller}@{local}>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            head("INVITE", ""),
            sdp.len()
        );
        let t0 = Instant::now();
        udp.send_to(invite.as_bytes(), &sip).await.unwrap();
        // The caller hears it ring (the 180 relayed from the phone).
        let rang = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                let (len, _) = udp.recv_from(&mut buf).await.unwrap();
                let msg = String::from_utf8_lossy(&buf[..len]).to_string();
                if msg.starts_with("SIP/2.0 180") && msg.contains(&call_id) {
                    return Instant::now();
                }
            }
        })
        .await
        .expect("180");
        if n >= WARM_UP {
            rings.push(rang - t0);
        }
        let got = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                let (id, at, named) = rx.recv().await.unwrap();
                if id == call_id {
                    return (at, named);
                }
            }
        })
        .await
        .expect("the ringing event arrived");
        if n >= WARM_UP {
            lat.push(got.0 - t0);
        }
        unnamed += usize::from(!got.1);
        // Give up the call: CANCEL, then ACK the 487.
        udp.send_to(format!("{}Content-Length: 0\r\n\r\n", head("CANCEL", "")).as_bytes(), &sip).await.unwrap();
        let end = Instant::now() + Duration::from_secs(5);
        loop {
            let r = tokio::time::timeout_at(end.into(), udp.recv_from(&mut buf)).await;
            let Ok(Ok((len, _))) = r else { break };
            let msg = String::from_utf8_lossy(&buf[..len]).to_string();
            if msg.starts_with("SIP/2.0 487") && msg.contains(&call_id) {
                let tag = msg
                    .lines()
                    .find(|l| l.to_ascii_lowercase().starts_with("to:"))
                    .and_then(|l| l.find(";tag=").map(|i| l[i..].trim().to_string()))
                    .unwrap_or_default();
                let ack = format!("{}Content-Length: 0\r\n\r\n", head("ACK", &tag));
                udp.send_to(ack.as_bytes(), &sip).await.unwrap();
                break;
            }
        }
    }
    let _ = phone.kill();
    let _ = phone.wait();
    let _ = child.kill();
    let _ = child.wait();
    lat.sort();
    rings.sort();
    println!(
        "  (the 180 reached the caller: p50 {:.2} ms, p99 {:.2} ms)",
        rings[rings.len() / 2].as_secs_f64() * 1000.0,
        rings[((rings.len() as f64 * 0.99) as usize).min(rings.len() - 1)].as_secs_f64() * 1000.0
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    println!(
        "{calls} calls (after 5 to warm up), {contacts} contacts: INVITE to ringing event with the contact card: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (goal: p99 <= 10 ms); {} without a name",
        ms(pct(0.5)),
        ms(pct(0.99)),
        ms(*lat.last().unwrap()),
        unnamed
    );
}
