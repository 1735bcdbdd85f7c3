//! Calls leave nothing behind: a thousand calls through the real binary, of every kind a
//! contact center makes — carrier calls answered at a desk phone, desk phone to desk phone,
//! callers who give up while it rings, numbers the dial rules refuse, a queue that answers some
//! and loses others, the echo test, callers that never acknowledge the answer, blind transfers,
//! conferences and a manager listening in — and afterwards every live-object gauge of
//! `/metrics` is back where it was (calls, dialogs, transactions, legs, relays, media ports,
//! tasks) within T1 × 64 of the last call's end. The browser phone's gauges are checked by the
//! browser test `browser-phone.test.mjs`.

use super::*;
use std::collections::HashMap;
use std::time::Instant;

/// RFC 3261's T1 × 64: how long a transaction may wait for a peer that went silent.
const T1X64: Duration = Duration::from_secs(32);

const TRUNK_ANSWERED: usize = 400;
const DESK: usize = 200;
const GIVEN_UP: usize = 150;
const REFUSED: usize = 100;
const QUEUED: usize = 60;
const ECHO: usize = 30;
const NO_ACK: usize = 30;
const TRANSFERRED: usize = 12;
const CONFERENCES: usize = 10;
const SUPERVISED: usize = 8;

/// An HTTP client that keeps no connection open: the server's task count then holds no
/// connection of ours.
fn no_keep_alive() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap()
}

/// The live-object gauges of `/metrics` (name without `switchboard_` → value).
async fn gauges(api: &reqwest::Client, base: &str) -> HashMap<String, f64> {
    let text = api.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k.strip_prefix("switchboard_")?.to_string(), v.trim().parse().ok()?))
        })
        .collect()
}

const PER_CALL: [&str; 8] = [
    "calls",
    "sip_dialogs",
    "sip_transactions",
    "sip_waiting_ack",
    "call_legs",
    "relays",
    "rtp_ports_in_use",
    "browser_phone_bridges",
];

/// A sipp run of `n` calls from `ip` to `to` (`-l n` at once, `rate` per second).
#[allow(clippy::too_many_arguments)]
fn calls(dir: &Path, sip: &str, ip: &str, scenario: &str, to: &str, n: usize, mp: u32, extra: &[&str]) -> Child {
    calls_as(dir, sip, ip, scenario, to, n, mp, extra, &format!("4870{mp}[call_number]"))
}

/// Like `calls`, with the From user `caller` (a desk phone's calls say its own extension: the
/// server takes its credentials only for itself).
#[allow(clippy::too_many_arguments)]
fn calls_as(
    dir: &Path,
    sip: &str,
    ip: &str,
    scenario: &str,
    to: &str,
    n: usize,
    mp: u32,
    extra: &[&str],
    caller: &str,
) -> Child {
    let file = render_scenario(dir, scenario, &[("[caller]", caller)]);
    let n = n.to_string();
    Command::new("sipp")
        .arg(sip)
        .args(["-sf", &file, "-i", ip, "-p", &free_udp_port(ip), "-nostdin", "-mp", &mp.to_string()])
        .args(["-s", to, "-m", &n, "-l", &n, "-r", "50", "-timeout", "90s", "-max_socket", "2000"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// `n` carrier calls to anna (1001) that talk 6 s; on each, once it is up, the commands `act`
/// are sent by anna's API token — or, with `mia`, mia listens in. `seen`: the calls acted on
/// before (anna's calls list holds every call of hers).
#[allow(clippy::too_many_arguments)]
async fn with_command(
    seen: &mut std::collections::HashSet<String>,
    dir: &Path,
    sip: &str,
    base: &str,
    token: &str,
    n: usize,
    mp: u32,
    act: &[serde_json::Value],
    mia: Option<(&reqwest::Client, &str)>,
) -> Child {
    let api = no_keep_alive();
    let caller = calls(dir, sip, "127.0.0.2", "trunk_uac.xml", "48221000001", n, mp, &["-d", "6000", "-r", "5"]);
    let mut done = 0;
    let mut acting = vec![];
    let mut first_seen = HashMap::new();
    let started = Instant::now();
    while done < n && started.elapsed() < Duration::from_secs(30) {
        for c in calls_in_progress(&api, base, token).await.as_array().into_iter().flatten() {
            let id = c["call_id"].as_str().unwrap_or_default().to_string();
            // The carrier's calls (not the legs the server makes, e.g. to the consulted one),
            // answered by the sipp phone at once: talking well within half a second.
            if !id.ends_with("@127.0.0.2")
                || seen.contains(&id)
                || first_seen.entry(id.clone()).or_insert_with(Instant::now).elapsed().as_millis() < 500
            {
                continue;
            }
            match mia {
                Some((browser, csrf)) => {
                    let r = browser
                        .post(format!("{base}/wallboard/calls/{id}/supervise"))
                        .header("x-csrf-token", csrf)
                        .json(&serde_json::json!({"mode": "listen"}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED, "mia listens to {id}");
                }
                None => {
                    // Each call's commands in a task of its own: the batch's calls overlap.
                    let (api, base, token, act) = (api.clone(), base.to_string(), token.to_string(), act.to_vec());
                    acting.push(tokio::spawn(async move {
                        for (i, body) in act.iter().enumerate() {
                            if i > 0 {
                                tokio::time::sleep(Duration::from_millis(1500)).await;
                            }
                            let r = api
                                .post(format!("{base}/api/v1/calls/{id}/commands"))
                                .bearer_auth(&token)
                                .json(body)
                                .send()
                                .await
                                .unwrap();
                            assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED, "{body} on {id}");
                        }
                    }));
                }
            }
            seen.insert(c["call_id"].as_str().unwrap_or_default().to_string());
            done += 1;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for a in acting {
        a.await.unwrap();
    }
    if done < n {
        let list = calls_in_progress(&api, base, token).await;
        let o = caller.wait_with_output().unwrap();
        panic!(
            "every call of the batch was reached ({act:?}): {done} of {n}; calls {list}; sipp: {} {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    caller
}

#[tokio::test]
async fn a_thousand_calls_of_every_kind_leave_every_gauge_back_at_zero() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let envs: Vec<(&str, &str)> = vec![("SWITCHBOARD_RTP_PORTS", "25000-29999")];
    let user = |name: &str, ext: &str, role: &str| {
        let args = ["--org", "acme", "--name", name, "--role", role, "--extension", ext];
        sip_password_of(&add_user(d, &envs, &args, &format!("{name}-secret-12")))
    };
    let anna = user("anna", "1001", "agent");
    let bea = user("bea", "1002", "agent");
    let cora = user("cora", "1003", "agent");
    let dora = user("dora", "1004", "agent");
    let mia = user("mia", "1009", "manager");
    let cli = |args: &[&str]| {
        let o = cmd(d, &envs).args(args).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    cli(&["trunk", "add", "--org", "acme", "--name", "carrier", "--host", "127.0.0.3", "--inbound", "127.0.0.2"]);
    for (n, ext) in [("48221000001", "1001"), ("48221000002", "1002")] {
        cli(&["trunk", "number", "--org", "acme", "--number", n, "--extension", ext]);
    }
    let db = format!("sqlite:{}", d.join("data/switchboard.db").display());
    let store = store::Store::connect(&db).await.unwrap();
    let crm =
        crm::Crm::start_with(store, crm::CrmSettings { files: d.join("files"), ..Default::default() }).await.unwrap();
    let org = crm.find_org_by_slug(&crm::OrgSlug::parse("acme").unwrap()).await.unwrap().unwrap();
    let find = async |n: &str| crm.find_user_by_login(org.id, n).await.unwrap().unwrap();
    let (anna_u, mia_u, dora_u) = (find("anna").await, find("mia").await, find("dora").await);
    let form =
        crm::queues::QueueForm { name: "Sales".into(), ring_seconds: 5, wrap_up_seconds: 0, ..Default::default() };
    let q = crm.save_queue(&mia_u, None, form).await.unwrap();
    crm.set_queue_members(&mia_u, q.id, &[crm::queues::MemberForm { user_id: dora_u.id, penalty: 0 }]).await.unwrap();
    crm.set_agent_status(&dora_u, true, None).await.unwrap();
    crm.flush_queue_journal().await;
    let (token, _) = crm.create_token(&anna_u, "commands").await.unwrap();
    drop(crm);
    cli(&["trunk", "number", "--org", "acme", "--number", "48221000004", "--queue", &q.id.to_string()]);

    let log = d.join("server.log");
    let srv = serve_logging(d, &[&envs[..], &[("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0")]].concat(), &log);
    let sip = srv.banner.iter().find_map(|l| l.strip_prefix("SIP (UDP and TCP) on ")).unwrap().to_string();
    let base = srv.base.clone();
    let api = no_keep_alive();
    // The routing snapshot is loaded before the phones register.
    for _ in 0..50 {
        if api.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let phone = |ext: &str, pw: &str, scenario: &str, mp: &str| {
        let port = free_udp_port("127.0.0.1");
        register_phone(&sip, &port, ext, pw);
        Command::new("sipp")
            .args(["-sf", &render_scenario(d, scenario, &[]), "-i", "127.0.0.1", "-p", &port, "-nostdin", "-mp", mp])
            .args(["-timeout", "200s", "-max_socket", "2000"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut phones = vec![
        phone("1001", &anna, "uas_answer.xml", "3000"),
        phone("1002", &bea, "uas_ring.xml", "3400"),
        phone("1004", &dora, "uas_answer.xml", "3800"),
        phone("1009", &mia, "uas_answer.xml", "4200"),
    ];
    std::thread::sleep(Duration::from_millis(300));
    let before = gauges(&api, &base).await;
    let browser = browser();
    assert_eq!(login(&base, &browser, "mia", "mia-secret-12").await, reqwest::StatusCode::SEE_OTHER);
    let page = browser.get(format!("{base}/wallboard")).send().await.unwrap().text().await.unwrap();
    let at = page.find("data-csrf=\"").expect("the page carries its CSRF token") + 11;
    let csrf = page[at..].split('"').next().unwrap().to_string();

    // First the calls an agent or a manager acts on, then everything else at once while the
    // last of those still talk; the desk phone 1003 authenticates as itself.
    let to_mia = serde_json::json!({"command": "blind_transfer", "to": "1009"});
    let consult = serde_json::json!({"command": "consult", "to": "1009"});
    let merge = serde_json::json!({"command": "conference_merge"});
    let mut seen = std::collections::HashSet::new();
    let s = &mut seen;
    let mut runs = vec![
        ("transferred", with_command(s, d, &sip, &base, &token, TRANSFERRED, 4600, &[to_mia], None).await),
        ("conference", with_command(s, d, &sip, &base, &token, CONFERENCES, 5000, &[consult, merge], None).await),
        ("supervised", with_command(s, d, &sip, &base, &token, SUPERVISED, 5400, &[], Some((&browser, &csrf))).await),
    ];
    let desk = |scenario: &str, to: &str, n: usize, mp: u32, extra: &[&str]| {
        let mut args = vec!["-au", "1003", "-ap", cora.as_str()];
        args.extend(extra);
        calls_as(d, &sip, "127.0.0.1", scenario, to, n, mp, &args, "1003")
    };
    let trunk = |scenario: &str, to: &str, n: usize, mp: u32, extra: &[&str]| {
        calls(d, &sip, "127.0.0.2", scenario, to, n, mp, extra)
    };
    runs.extend([
        ("trunk, answered", trunk("trunk_uac.xml", "48221000001", TRUNK_ANSWERED, 6000, &["-d", "300"])),
        ("desk to desk", desk("call_uac.xml", "1001", DESK, 7500, &["-d", "300"])),
        ("given up ringing", trunk("trunk_uac_cancel.xml", "48221000002", GIVEN_UP, 9000, &[])),
        ("refused by the dial rules", desk("call_uac_403.xml", "0048600000000", REFUSED, 10000, &[])),
        ("queue", trunk("trunk_uac.xml", "48221000004", QUEUED, 11000, &["-d", "1500", "-r", "10"])),
        ("echo", desk("call_uac.xml", "*43", ECHO, 12500, &["-d", "800"])),
        ("never acknowledged", trunk("trunk_uac_noack.xml", "48221000001", NO_ACK, 13500, &[])),
    ]);
    // Each kind's calls were made (sipp's count of calls it completed as its scenario says; on a
    // loaded machine a ringing call may end otherwise now and then, which leaves no less to free).
    for (what, c) in runs {
        let o = c.wait_with_output().unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        let done: usize = out
            .lines()
            .rfind(|l| l.contains("Successful call"))
            .and_then(|l| l.rsplit('|').next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0);
        assert!(
            o.status.success() || done > 0,
            "the {what} calls were made: {out} {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // Whatever a conference left with anna and mia is hung up from her API.
    for c in calls_in_progress(&api, &base, &token).await.as_array().into_iter().flatten() {
        let id = c["call_id"].as_str().unwrap();
        let _ = api
            .post(format!("{base}/api/v1/calls/{id}/commands"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"command": "hangup"}))
            .send()
            .await;
    }
    drop(browser);
    let ended = Instant::now();
    let total =
        TRUNK_ANSWERED + DESK + GIVEN_UP + REFUSED + QUEUED + ECHO + NO_ACK + TRANSFERRED + CONFERENCES + SUPERVISED;
    assert_eq!(total, 1000);

    // The unacknowledged answers are given up after T1 × 64; from then on, T1 × 64 for the rest.
    let mut now = gauges(&api, &base).await;
    let zero = |g: &HashMap<String, f64>| PER_CALL.iter().all(|k| g.get(*k).copied().unwrap_or(0.0) == 0.0);
    while !zero(&now) && ended.elapsed() < T1X64 * 2 + Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        now = gauges(&api, &base).await;
    }
    let left: Vec<_> = PER_CALL.iter().map(|k| (*k, now.get(*k).copied().unwrap_or(0.0))).collect();
    if !zero(&now) {
        // What is left, and what the server's log says of those calls.
        let detail = api.get(format!("{base}/metrics/sip")).send().await.unwrap().text().await.unwrap();
        let server_log = std::fs::read_to_string(&log).unwrap_or_default();
        let about: Vec<&str> = server_log
            .lines()
            .filter(|l| detail.lines().any(|d| d.split(['_', ' ', ';']).any(|w| w.len() > 8 && l.contains(w))))
            .take(200)
            .collect();
        panic!("after {:?} every per-call gauge is 0: {left:?}\n{detail}\nlog:\n{}", ended.elapsed(), about.join("\n"));
    }
    eprintln!("{total} calls: every per-call gauge at 0 {:?} after the last call ended", ended.elapsed());
    // Transactions kept to absorb retransmissions go within T1 × 64 more; the tasks are back
    // to what the idle server runs.
    let settled = Instant::now();
    let idle = |g: &HashMap<String, f64>| {
        g["sip_transactions_finished"] <= before["sip_transactions_finished"] && g["tasks"] <= before["tasks"]
    };
    while !idle(&now) && settled.elapsed() < T1X64 + Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        now = gauges(&api, &base).await;
    }
    assert!(
        idle(&now),
        "finished transactions {} (before {}), tasks {} (before {})",
        now["sip_transactions_finished"],
        before["sip_transactions_finished"],
        now["tasks"],
        before["tasks"]
    );
    for p in &mut phones {
        let _ = p.kill();
        let _ = p.wait();
    }
}
