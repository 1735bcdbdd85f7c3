//! Predictive dialing on the real binary, with sipp as the carrier (its customers answer at
//! once) and as the agents' phones: anna's answers by itself, bea's only rings. Both start
//! dialing a predictive list of two numbers; the pacer calls both customers at once. The one
//! given to anna talks to her; the one given to bea is not taken within the drop time and hears
//! the information message — measured on the carrier's side: from its answer to the first
//! packet of the message, within 2 s — and is kept as abandoned with that moment.

use super::*;
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

#[tokio::test]
async fn predictive_dialing_connects_an_answered_customer_or_plays_the_message_within_2_s() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let user = |name: &str, ext: &str, role: &str| {
        let args = ["--org", "acme", "--name", name, "--role", role, "--extension", ext];
        sip_password_of(&add_user(d, &[], &args, &format!("{name}-secret-12")))
    };
    let anna_pw = user("anna", "1002", "agent");
    let bea_pw = user("bea", "1003", "agent");
    user("mia", "1009", "manager");
    let carrier_port = free_udp_port("127.0.0.2");
    let cli = |args: &[&str]| assert!(cmd(d, &[]).args(args).output().unwrap().status.success(), "{args:?}");
    cli(&["trunk", "add", "--org", "acme", "--name", "carrier", "--host", "127.0.0.2", "--port", &carrier_port]);
    cli(&["trunk", "number", "--org", "acme", "--number", "48221234567", "--extension", "1002"]);
    cli(&["trunk", "dial-rule", "--org", "acme", "--prefix", "48"]);
    let srv = serve_logging(d, &[("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0")], &d.join("server.log"));
    let sip = srv.banner.iter().find_map(|l| l.strip_prefix("SIP (UDP and TCP) on ")).unwrap().to_string();
    let phone = |ext: &str, pw: &str, scenario: &str, mp: &str| {
        let port = free_udp_port("127.0.0.1");
        register_phone(&sip, &port, ext, pw);
        let xml = render_scenario(d, scenario, &[]);
        sipp_cmd("127.0.0.1", &port, &xml, &["-mp", mp, "-timeout", "40s"], None).spawn().unwrap()
    };
    let anna_phone = phone("1002", &anna_pw, "uas_autoanswer.xml", "21400");
    let bea_phone = phone("1003", &bea_pw, "uas_ring.xml", "21600");
    // What the customers hear arrives at this socket; the carrier notes when it answered.
    let ears = tokio::net::UdpSocket::bind("127.0.0.2:0").await.unwrap();
    let listen_port = ears.local_addr().unwrap().port().to_string();
    let answers = d.join("answers.txt");
    let carrier_xml = render_scenario(
        d,
        "carrier_answer_log.xml",
        &[("[listen_ip]", "127.0.0.2"), ("[listen_port]", &listen_port), ("[answers]", answers.to_str().unwrap())],
    );
    let carrier =
        sipp_cmd("127.0.0.2", &carrier_port, &carrier_xml, &["-mp", "21800", "-m", "2", "-timeout", "40s"], None)
            .spawn()
            .unwrap();
    let heard = tokio::spawn(async move {
        // The first packet from each of our media ports, as seconds since 1970, and how many.
        let mut first: HashMap<u16, (f64, u32)> = HashMap::new();
        let mut buf = [0u8; 2048];
        // Until 4 s without a packet (25 s before the first).
        let wait = |any: bool| Duration::from_secs(if any { 4 } else { 25 });
        while let Ok(Ok((_, from))) = tokio::time::timeout(wait(!first.is_empty()), ears.recv_from(&mut buf)).await {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
            first.entry(from.port()).or_insert((now, 0)).1 += 1;
        }
        first
    });

    let store = store::Store::connect(&format!("sqlite:{}", d.join("data/switchboard.db").display())).await.unwrap();
    let crm = crm::Crm::start(store).await.unwrap();
    let org = crm.find_org_by_slug(&crm::OrgSlug::parse("acme").unwrap()).await.unwrap().unwrap();
    let find = async |n: &str| crm.find_user_by_login(org.id, n).await.unwrap().unwrap();
    let (anna, bea, mia) = (find("anna").await, find("bea").await, find("mia").await);
    let list = crm.create_call_list(&mia, "Autumn", "").await.unwrap();
    let rows: Vec<crm::outbound::NewNumber> = ["600 100 001", "600 100 002"]
        .iter()
        .map(|n| crm::outbound::NewNumber { typed: n.to_string(), ..Default::default() })
        .collect();
    crm.add_list_numbers(&mia, list.id, &rows).await.unwrap();
    crm.set_dial_mode(&mia, list.id, crm::outbound::dialer::DialMode::Predictive).await.unwrap();
    let api = reqwest::Client::new();
    let mut tokens = vec![];
    for who in [&anna, &bea] {
        let (token, _) = crm.create_token(who, "dialing").await.unwrap();
        tokens.push(token.clone());
        let r = api
            .put(format!("{}/api/v1/call-lists/dialing", srv.base))
            .bearer_auth(&token)
            .json(&serde_json::json!({"dialing": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::OK);
    }

    // Both customers called at once; one connected to anna, one abandoned with its message.
    let settled = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let calls =
                crm.dialer_calls(org.id, list.id, chrono::Utc::now() - chrono::Duration::hours(1)).await.unwrap();
            let settled = calls.iter().filter(|c| c.result != crm::outbound::dialer::DialResult::Dialing).count();
            if calls.len() == 2 && settled == 2 {
                return (calls, crm.held_numbers(&anna).await.unwrap());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    let Ok((calls, numbers)) = settled else {
        let calls = crm.dialer_calls(org.id, list.id, chrono::Utc::now() - chrono::Duration::hours(1)).await.unwrap();
        let log = std::fs::read_to_string(d.join("server.log")).unwrap_or_default();
        panic!("both calls were answered and settled: {calls:?}\n{log}");
    };
    use crm::outbound::dialer::DialResult;
    let abandoned: Vec<_> = calls.iter().filter(|c| c.result == DialResult::Abandoned).collect();
    let connected: Vec<_> = calls.iter().filter(|c| c.result == DialResult::Connected).collect();
    assert_eq!((abandoned.len(), connected.len()), (1, 1), "{calls:?}");
    assert_eq!(connected[0].agent_id, Some(anna.id.0), "anna's phone answered by itself");
    assert_eq!(numbers.len(), 1, "the connected number is anna's to give its outcome");
    assert_eq!(numbers[0].id, connected[0].number_id);
    let a = abandoned[0];
    let message_after = (a.message_at.unwrap() - a.answered_at.unwrap()).num_milliseconds();
    assert!((0..2000).contains(&message_after), "the message began {message_after} ms after the answer");

    // The carrier's side: the abandoned customer heard the message within 2 s of answering.
    let noted = std::fs::read_to_string(&answers).unwrap();
    let line = noted
        .lines()
        .find(|l| l.starts_with(a.number.trim_start_matches('+')))
        .unwrap_or_else(|| panic!("the carrier answered {}: {noted}", a.number));
    let mut parts = line.split_whitespace().skip(1);
    let port: u16 = parts.next().unwrap().parse().unwrap();
    let answered_at: f64 = parts.next().unwrap().parse().unwrap();
    // anna hangs up; the abandoned call was hung up once its message was played whole: the
    // carrier saw both BYEs.
    let id = connected[0].call_id.clone().unwrap();
    let r = api
        .post(format!("{}/api/v1/calls/{id}/commands", srv.base))
        .bearer_auth(&tokens[0])
        .json(&serde_json::json!({"command": "hangup"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED, "anna hangs up");
    let c = carrier.wait_with_output().unwrap();
    assert!(c.status.success(), "the carrier: {}", String::from_utf8_lossy(&c.stderr));
    let first = heard.await.unwrap();
    let (message, packets) = first.get(&port).unwrap_or_else(|| panic!("the message reached the customer ({first:?})"));
    let delay = message - answered_at;
    // The spoken message (seconds of it), not the second of tone that stands in without espeak-ng.
    assert!(*packets > 150, "the spoken message was played whole: {packets} packets of 20 ms");
    eprintln!("the abandoned customer heard the message {:.0} ms after answering", delay * 1000.0);
    assert!((0.0..2.0).contains(&delay), "the message within 2 s of the answer: {delay:.3} s");
    for (who, p) in [("anna", anna_phone), ("bea", bea_phone)] {
        let o = p.wait_with_output().unwrap();
        assert!(o.status.success(), "{who}'s phone: {}", String::from_utf8_lossy(&o.stderr));
    }
}
