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
}

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
    let text = std::fs::read_to_string(scenario(name)).unwrap().replace("[tone]", &tone(hz));
    let path = temp_dir().join(format!("{hz}-{name}"));
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
    let mut args: Vec<String> = vec![
        target.to_string(),
        "-sf".into(),
        scenario_with_tone(scenario_name, 440),
        "-m".into(),
        "1".into(),
        "-i".into(),
        "127.0.0.1".into(),
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
    let mut secrets = HashMap::new();
    secrets.insert((1, "1001".into()), "acme-1001-pw".into());
    secrets.insert((1, "1002".into()), "acme-1002-pw".into());
    secrets.insert((2, "1001".into()), "globex-1001-pw".into());
    let dir: Arc<dyn SipDirectory> = Arc::new(Directory { secrets });
    let mut s = SipSettings::new("127.0.0.1:0".parse().unwrap());
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
    tokio::process::Command::new("sipp")
        .args(["-sf", &scenario_with_tone(scenario_name, 880), "-m", "1", "-i", "127.0.0.1", "-p", &port.to_string()])
        .args(["-nostdin", "-timeout", "20s", "-timeout_error"])
        .args(["-mp", &rtp_base.to_string()])
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("sipp")
}
