//! A SIP server with a fixed directory, and sipp runs against it.

use async_trait::async_trait;
use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::Output;
use std::sync::Arc;
use telephony::{SipDirectory, SipServer, SipSettings, Tenant};

/// Two organizations: acme owns 127.0.0.1 (the server's own address) and acme.example;
/// globex owns globex.example. Both have an extension 1001, with different passwords.
pub struct Directory {
    secrets: HashMap<(i64, String), String>,
    /// Where acme's carrier takes outbound calls (its trunk also sends from 127.0.0.2).
    carrier: Option<std::net::SocketAddr>,
    /// acme's trunk registers at the carrier (as trunkuser / trunkpass).
    registering: bool,
    /// Reports of calls waiting in acme's queue, for the test's scripted distributor.
    queue_reports: std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedSender<telephony::queue::QueueReport>>>,
    /// acme's recording policy.
    recording: telephony::RecordingPolicy,
}

/// acme's trunk: calls come from 127.0.0.2 (or the carrier's own address) and go to the carrier.
fn acme_trunk(carrier: Option<std::net::SocketAddr>) -> telephony::Trunk {
    let c = carrier.unwrap_or_else(|| "127.0.0.3:5060".parse().unwrap());
    telephony::Trunk {
        id: 7,
        tenant: acme(),
        host: c.ip().to_string(),
        port: c.port(),
        tcp: false,
        username: None,
        password: None,
        register: false,
    }
}

/// acme's numbers: 48221234567 rings 1002; 48220000001 is a ring group, 1002 then 1003.
pub const DID_1002: &str = "48221234567";
pub const DID_GROUP: &str = "48220000001";
/// acme's queue: the scripted distributor offers a caller to 1003 (for 1 s) after 1.5 s, then to
/// 1002 (for 5 s) once 1003 let it ring out.
pub const DID_QUEUE: &str = "48220000002";
/// Queues 7 and 8: each refuses its callers at once and sends them to the other.
pub const DID_LOOP: &str = "48220000007";
/// Queue 9: says "your place: 3, expected wait in minutes: 2" after 0.5 s, lets the caller go
/// 5 s later.
pub const DID_ANNOUNCE: &str = "48220000009";
/// Queue 10: offers a callback; a caller who presses 1 is told "we will call you back" and let
/// go (nobody is offered the call).
pub const DID_CALLBACK: &str = "48220000010";
/// Callers that entered queues 7 and 8 (one test calls them).
pub static LOOP_ENTRIES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

pub fn acme() -> Tenant {
    Tenant { id: 1, realm: "acme.example".into() }
}

pub fn globex() -> Tenant {
    Tenant { id: 2, realm: "globex.example".into() }
}

#[async_trait]
impl SipDirectory for Directory {
    async fn tenant_for_domain(&self, domain: &str) -> Option<Tenant> {
        match domain {
            "127.0.0.1" | "acme.example" => Some(acme()),
            "globex.example" => Some(globex()),
            _ => None,
        }
    }

    async fn extension_secret(&self, tenant: &Tenant, extension: &str) -> Option<String> {
        self.secrets.get(&(tenant.id, extension.to_string())).cloned()
    }

    async fn trunks_for_source(&self, source: std::net::IpAddr) -> Vec<telephony::Trunk> {
        let carrier_ip = self.carrier.map(|c| c.ip());
        (source.to_string() == "127.0.0.2" || Some(source) == carrier_ip)
            .then(|| acme_trunk(self.carrier))
            .into_iter()
            .collect()
    }

    async fn route_inbound(&self, tenant: &Tenant, number: &str) -> Option<telephony::InboundRoute> {
        match (tenant.id, number) {
            (1, DID_1002) => Some(telephony::InboundRoute::Extension("1002".into())),
            (1, DID_QUEUE) => Some(telephony::InboundRoute::Queue(1)),
            (1, DID_LOOP) => Some(telephony::InboundRoute::Queue(7)),
            (1, DID_ANNOUNCE) => Some(telephony::InboundRoute::Queue(9)),
            (1, DID_CALLBACK) => Some(telephony::InboundRoute::Queue(10)),
            (1, DID_GROUP) => Some(telephony::InboundRoute::Group {
                members: vec!["1002".into(), "1003".into()],
                parallel: false,
                ring: std::time::Duration::from_secs(1),
            }),
            _ => None,
        }
    }

    async fn queue_enter(&self, _call: &telephony::ActiveCall, queue: i64) -> telephony::queue::QueueTicket {
        use telephony::queue::{QueueExit, QueueOrder, QueueReport, QueueTicket};
        if queue == 9 {
            let (orders, rx) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                let a = telephony::queue::Announcement {
                    language: "en".into(),
                    position: Some(3),
                    wait_minutes: Some(2),
                    callback: false,
                };
                let _ = orders.send(QueueOrder::Announce(a));
                tokio::time::sleep(std::time::Duration::from_millis(5000)).await;
                let _ = orders.send(QueueOrder::Leave(QueueExit::HangUp));
            });
            return QueueTicket::Wait(rx);
        }
        if queue == 10 {
            let (orders, rx) = tokio::sync::mpsc::unbounded_channel();
            let (reports_tx, mut reports) = tokio::sync::mpsc::unbounded_channel();
            *self.queue_reports.lock().unwrap() = Some(reports_tx);
            tokio::spawn(async move {
                let pressed = tokio::time::timeout(std::time::Duration::from_secs(10), async {
                    while let Some(r) = reports.recv().await {
                        if r == QueueReport::Key('1') {
                            return true;
                        }
                    }
                    false
                });
                let order = match pressed.await {
                    Ok(true) => QueueOrder::CallBackLater { language: "en".into() },
                    _ => QueueOrder::Leave(QueueExit::HangUp),
                };
                let _ = orders.send(order);
            });
            return QueueTicket::Wait(rx);
        }
        if queue == 7 || queue == 8 {
            LOOP_ENTRIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return QueueTicket::Leave(QueueExit::Queue(15 - queue));
        }
        let (orders, rx) = tokio::sync::mpsc::unbounded_channel();
        let (reports_tx, mut reports) = tokio::sync::mpsc::unbounded_channel();
        *self.queue_reports.lock().unwrap() = Some(reports_tx);
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
            let ring = |ext: &str, secs| QueueOrder::Ring {
                extensions: vec![ext.to_string()],
                ring: std::time::Duration::from_secs(secs),
            };
            let _ = orders.send(ring("1003", 1));
            if reports.recv().await == Some(QueueReport::Rang { answered_by: None }) {
                let _ = orders.send(ring("1002", 5));
            }
            let _ = reports.recv().await;
        });
        QueueTicket::Wait(rx)
    }

    fn queue_report(&self, _tenant: i64, _call_id: &str, report: telephony::queue::QueueReport) {
        if let Some(tx) = self.queue_reports.lock().unwrap().as_ref() {
            let _ = tx.send(report);
        }
    }

    /// National numbers (0…) go out with caller ID 48221234567; international (00…) never.
    async fn recording_policy(&self, tenant: i64) -> telephony::RecordingPolicy {
        if tenant == 1 { self.recording } else { telephony::RecordingPolicy::OnDemand }
    }

    async fn trunks_to_register(&self) -> Vec<telephony::Trunk> {
        if !self.registering {
            return vec![];
        }
        let t = acme_trunk(self.carrier);
        vec![telephony::Trunk {
            username: Some("trunkuser".into()),
            password: Some("trunkpass".into()),
            register: true,
            ..t
        }]
    }

    async fn route_outbound(&self, tenant: &Tenant, _ext: &str, dialled: &str) -> Option<telephony::OutboundRoute> {
        let allowed = tenant.id == 1 && dialled.starts_with('0') && !dialled.starts_with("00");
        allowed.then(|| telephony::OutboundRoute {
            trunk: acme_trunk(self.carrier),
            number: dialled.to_string(),
            caller_id: DID_1002.into(),
        })
    }
}

pub async fn server() -> SipServer {
    server_with_settings(|_| {}).await
}

pub fn scenario(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sipp").join(name)
}

fn temp_dir() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

/// The scenario with `[tone]` replaced by a sox-made tone of `hz` (sipp does not expand
/// keywords inside `rtp_stream`).
pub fn scenario_with_tone(name: &str, hz: u32) -> String {
    render(name, hz, &[])
}

/// The scenario with `[tone]` and the given `(keyword, value)` pairs replaced (sipp does not
/// expand keywords inside `rtp_stream` or `regexp`).
pub fn render(name: &str, hz: u32, subs: &[(&str, &str)]) -> String {
    let mut text = std::fs::read_to_string(scenario(name)).unwrap().replace("[tone]", &tone(hz));
    let mut tag = String::new();
    for (k, v) in subs {
        text = text.replace(k, v);
        tag.push_str(v);
    }
    let path = temp_dir().join(format!("{hz}-{tag}-{name}"));
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A free local port for sipp (UDP and TCP).
pub fn free_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap().port()
}

/// Runs one sipp call of `scenario` against `target`; `extra` adds sipp arguments.
pub async fn sipp(scenario_name: &str, target: SocketAddr, extra: &[&str]) -> Output {
    sipp_from("127.0.0.1", scenario_name, target, extra).await
}

/// Like `sipp`, from local address `ip` (127.0.0.2 is acme's carrier).
pub async fn sipp_from(ip: &str, scenario_name: &str, target: SocketAddr, extra: &[&str]) -> Output {
    let mut args: Vec<String> = vec![
        target.to_string(),
        "-sf".into(),
        scenario_with_tone(scenario_name, 440),
        "-m".into(),
        "1".into(),
        "-i".into(),
        ip.into(),
        "-p".into(),
        free_port().to_string(),
        "-nostdin".into(),
        "-timeout".into(),
        "10s".into(),
        "-timeout_error".into(),
        "-max_retrans".into(),
        "3".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    tokio::process::Command::new("sipp").args(&args).output().await.expect("sipp is installed (Debian sip-tester)")
}

pub fn ok(o: &Output) -> bool {
    o.status.success()
}

pub fn explain(o: &Output) -> String {
    format!(
        "exit {:?}\n{}\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub async fn server_with(ring_timeout: std::time::Duration) -> SipServer {
    server_with_settings(|s| s.ring_timeout = ring_timeout).await
}

pub async fn server_with_settings(f: impl FnOnce(&mut SipSettings)) -> SipServer {
    server_with_carrier(None, f).await
}

pub async fn server_with_carrier(carrier: Option<std::net::SocketAddr>, f: impl FnOnce(&mut SipSettings)) -> SipServer {
    server_with_directory(carrier, false, f).await
}

pub async fn server_with_directory(
    carrier: Option<std::net::SocketAddr>,
    registering: bool,
    f: impl FnOnce(&mut SipSettings),
) -> SipServer {
    server_recording(carrier, registering, telephony::RecordingPolicy::OnDemand, f).await
}

/// A server whose directory gives acme the recording policy `recording`.
pub async fn server_recording(
    carrier: Option<std::net::SocketAddr>,
    registering: bool,
    recording: telephony::RecordingPolicy,
    f: impl FnOnce(&mut SipSettings),
) -> SipServer {
    let mut secrets = HashMap::new();
    secrets.insert((1, "1003".into()), "acme-1003-pw".into());
    secrets.insert((1, "1001".into()), "acme-1001-pw".into());
    secrets.insert((1, "1002".into()), "acme-1002-pw".into());
    secrets.insert((2, "1001".into()), "globex-1001-pw".into());
    let dir: Arc<dyn SipDirectory> =
        Arc::new(Directory { secrets, carrier, registering, recording, queue_reports: Default::default() });
    let mut s = SipSettings::new("127.0.0.1:0".parse().unwrap());
    // Every fixed port of the tests stays out of the kernel's ephemeral range (32768-60999),
    // where parallel tests' sockets bound to port 0 could take it.
    s.rtp_ports = (61000, 61998);
    f(&mut s);
    SipServer::start(s, dir).await.unwrap()
}

/// A μ-law WAV tone of `hz` made by sox, for sipp to stream.
pub fn tone(hz: u32) -> String {
    let path = temp_dir().join(format!("tone{hz}.wav"));
    if !path.exists() {
        let ok = std::process::Command::new("sox")
            .args(["-n", "-r", "8000", "-c", "1", "-e", "u-law"])
            .arg(&path)
            .args(["synth", "30", "sine", &hz.to_string()])
            .status()
            .expect("sox is installed");
        assert!(ok.success());
    }
    path.display().to_string()
}

/// Registers `ext` from local port `port` (where its sipp phone will then listen).
pub async fn register(srv: &SipServer, ext: &str, pw: &str, port: u16) {
    let o = tokio::process::Command::new("sipp")
        .arg(srv.local_addr().to_string())
        .args([
            "-sf",
            scenario("register.xml").to_str().unwrap(),
            "-m",
            "1",
            "-i",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .args([
            "-nostdin",
            "-timeout",
            "10s",
            "-timeout_error",
            "-s",
            ext,
            "-au",
            ext,
            "-ap",
            pw,
            "-key",
            "domain",
            "127.0.0.1",
        ])
        .output()
        .await
        .unwrap();
    assert!(ok(&o), "register {ext}: {}", explain(&o));
}

/// Starts a sipp phone that waits for calls on `port`.
pub fn phone(scenario_name: &str, port: u16, rtp_base: u16, extra: &[&str]) -> tokio::process::Child {
    phone_at("127.0.0.1", scenario_name, port, rtp_base, extra)
}

/// Like `phone`, listening on local address `ip`.
pub fn phone_at(ip: &str, scenario_name: &str, port: u16, rtp_base: u16, extra: &[&str]) -> tokio::process::Child {
    phone_rendered(ip, &scenario_with_tone(scenario_name, 880), port, rtp_base, extra)
}

/// A sipp phone on `ip:port` running the scenario file at `path` (see `render`).
pub fn phone_rendered(ip: &str, path: &str, port: u16, rtp_base: u16, extra: &[&str]) -> tokio::process::Child {
    tokio::process::Command::new("sipp")
        .args(["-sf", path, "-m", "1", "-i", ip, "-p", &port.to_string()])
        .args(["-nostdin", "-timeout", "20s", "-timeout_error"])
        .args(["-mp", &rtp_base.to_string()])
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("sipp")
}

/// The first event of `kind` (within 10 s).
pub async fn wait_for(
    rx: &mut tokio::sync::broadcast::Receiver<telephony::events::CallEvent>,
    kind: telephony::events::CallEventKind,
) -> telephony::events::CallEvent {
    // A margin that holds on a loaded 2-core machine (sipp's own timeout is 10 s a message).
    tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            let ev = rx.recv().await.unwrap();
            if ev.kind == kind {
                return ev;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {kind:?} event"))
}
