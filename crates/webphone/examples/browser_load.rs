//! Load for the browser phone: N "browsers" in this process, each a str0m WebRTC client (full
//! ICE, DTLS-SRTP) logged in as its own user, dial the echo test `*43` over the page's
//! WebSocket and send 20 ms PCMU frames for a while; Switchboard bridges each to RTP and the
//! echo sends it back. Prints the packets each way, the loss, and Switchboard's CPU per packet
//! it bridged (from /proc of the server's pid), for bench/browser_phone.sh.
//!   browser_load BASE_URL PASSWORD SERVER_PID USER... (users: 100 101 …, browser phones)

use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use str0m::change::SdpAnswer;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, RtcConfig};
use tokio::net::UdpSocket;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[derive(Default)]
struct Counts {
    sent: AtomicU64,
    received: AtomicU64,
    connected: AtomicU64,
}

const WARM_UP: Duration = Duration::from_secs(4);
const MEASURE: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (base, password, pid) = (args[1].clone(), args[2].clone(), args[3].parse::<u32>().expect("pid"));
    let users: Vec<String> = args[4..].to_vec();
    let counts = Arc::new(Counts::default());
    let start = Instant::now() + Duration::from_secs(2);
    let mut tasks = Vec::new();
    for u in users.clone() {
        let (base, password, counts) = (base.clone(), password.clone(), counts.clone());
        tasks.push(tokio::spawn(async move {
            if let Err(e) = browser(&base, &u, &password, counts, start).await {
                eprintln!("browser {u}: {e}");
            }
        }));
    }
    // Steady state: every call connected and talking for a while.
    tokio::time::sleep_until((start + WARM_UP).into()).await;
    let (c0, s0, r0) = (cpu(pid), counts.sent.load(Ordering::Relaxed), counts.received.load(Ordering::Relaxed));
    tokio::time::sleep(MEASURE).await;
    let (c1, s1, r1) = (cpu(pid), counts.sent.load(Ordering::Relaxed), counts.received.load(Ordering::Relaxed));
    let (sent, got) = (s1 - s0, r1 - r0);
    let calls = counts.connected.load(Ordering::Relaxed);
    let cpu_s = c1 - c0;
    // Each packet crosses the bridge twice (page → RTP on the way in, RTP → page on the way
    // back), and the echo once: per bridged packet is the CPU over both directions' packets.
    let bridged = sent + got;
    println!("{calls} of {} browser-phone calls connected (DTLS-SRTP ⇄ RTP, echo test)", users.len());
    println!(
        "in {:.0} s: {sent} packets sent by the browsers, {got} echoed back, loss {:.2}%",
        MEASURE.as_secs_f64(),
        if sent > 0 { 100.0 * (sent as f64 - got as f64).max(0.0) / sent as f64 } else { 100.0 }
    );
    if bridged > 0 {
        println!(
            "Switchboard CPU: {:.2} s, {:.1} µs per bridged packet (each way counted), {:.0}% of one core",
            cpu_s,
            cpu_s * 1e6 / bridged as f64,
            100.0 * cpu_s / MEASURE.as_secs_f64()
        );
    }
    for t in tasks {
        t.abort();
    }
}

/// CPU seconds (user + system) of a process so far.
fn cpu(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 =
        f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0) + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

async fn browser(base: &str, user: &str, password: &str, counts: Arc<Counts>, start: Instant) -> Result<(), String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder().cookie_provider(jar.clone()).build().map_err(|x| e(&x))?;
    let form = http.get(format!("{base}/login")).send().await.map_err(|x| e(&x))?.text().await.map_err(|x| e(&x))?;
    let csrf = form.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).ok_or("no csrf")?;
    http.post(format!("{base}/login"))
        .form(&[("identifier", user), ("password", password), ("csrf", csrf), ("language", "en")])
        .send()
        .await
        .map_err(|x| e(&x))?;
    let url: reqwest::Url = base.parse().map_err(|x| e(&x))?;
    use reqwest::cookie::CookieStore;
    let cookie = jar.cookies(&url).ok_or("not logged in")?;
    let host = url.host_str().unwrap_or("127.0.0.1").to_string();
    let port = url.port().unwrap_or(80);
    let mut req = format!("ws://{host}:{port}/phone").into_client_request().map_err(|x| e(&x))?;
    req.headers_mut().insert("cookie", cookie);
    req.headers_mut().insert("origin", format!("http://{host}:{port}").parse().map_err(|x| e(&x))?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.map_err(|x| e(&x))?;
    // Ready, then dial the echo test with our offer.
    loop {
        let m = ws.next().await.ok_or("socket closed")?.map_err(|x| e(&x))?;
        if let Message::Text(t) = m
            && t.contains("\"ready\"")
        {
            break;
        }
    }
    let sock = UdpSocket::bind("127.0.0.1:0").await.map_err(|x| e(&x))?;
    let local = sock.local_addr().map_err(|x| e(&x))?;
    let mut rtc = RtcConfig::new().clear_codecs().enable_pcmu(true).build(Instant::now());
    rtc.add_local_candidate(Candidate::host(local, "udp").map_err(|x| e(&x))?);
    let mut api = rtc.sdp_api();
    let mid = api.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
    let (offer, pending) = api.apply().ok_or("no offer")?;
    tokio::time::sleep_until(start.into()).await;
    let dial = serde_json::json!({ "type": "dial", "number": "*43", "sdp": offer.to_sdp_string() });
    ws.send(Message::Text(dial.to_string().into())).await.map_err(|x| e(&x))?;
    let answer = loop {
        let m = ws.next().await.ok_or("socket closed")?.map_err(|x| e(&x))?;
        if let Message::Text(t) = m {
            let v: serde_json::Value = serde_json::from_str(&t).unwrap_or_default();
            match v["type"].as_str() {
                Some("sdp") => break v["sdp"].as_str().unwrap_or_default().to_string(),
                Some("ended") | Some("error") => return Err(format!("refused: {t}")),
                _ => {}
            }
        }
    };
    rtc.sdp_api().accept_answer(pending, SdpAnswer::from_sdp_string(&answer).map_err(|x| e(&x))?).map_err(|x| e(&x))?;
    let mut buf = vec![0u8; 2048];
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let frame = vec![0xffu8; 160];
    let (mut ts, mut connected) = (0u64, false);
    loop {
        let deadline = loop {
            match rtc.poll_output().map_err(|x| e(&x))? {
                Output::Timeout(t) => break t,
                Output::Transmit(t) => {
                    let _ = sock.send_to(&t.contents, t.destination).await;
                }
                Output::Event(Event::Connected) => {
                    connected = true;
                    counts.connected.fetch_add(1, Ordering::Relaxed);
                }
                Output::Event(Event::MediaData(_)) => {
                    counts.received.fetch_add(1, Ordering::Relaxed);
                }
                Output::Event(_) => {}
            }
        };
        tokio::select! {
            r = sock.recv_from(&mut buf) => {
                let Ok((n, source)) = r else { continue };
                let Ok(contents) = buf[..n].try_into() else { continue };
                let input = Input::Receive(Instant::now(), Receive { proto: Protocol::Udp, source, destination: local, contents });
                let _ = rtc.handle_input(input);
            }
            _ = tokio::time::sleep_until(deadline.into()) => {
                let _ = rtc.handle_input(Input::Timeout(Instant::now()));
            }
            _ = tick.tick(), if connected => {
                let pt = rtc.writer(mid).and_then(|w| w.payload_params().next().map(|p| p.pt()));
                if let (Some(pt), Some(w)) = (pt, rtc.writer(mid))
                    && w.write(pt, Instant::now(), MediaTime::new(ts, Frequency::EIGHT_KHZ), frame.clone()).is_ok()
                {
                    counts.sent.fetch_add(1, Ordering::Relaxed);
                }
                ts += 160;
            }
        }
    }
}
