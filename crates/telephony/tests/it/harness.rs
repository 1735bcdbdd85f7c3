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
    let mut secrets = HashMap::new();
    secrets.insert((1, "1001".into()), "acme-1001-pw".into());
    secrets.insert((1, "1002".into()), "acme-1002-pw".into());
    secrets.insert((2, "1001".into()), "globex-1001-pw".into());
    let dir: Arc<dyn SipDirectory> = Arc::new(Directory { secrets });
    SipServer::start(SipSettings { addr: "127.0.0.1:0".parse().unwrap() }, dir).await.unwrap()
}

pub fn scenario(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sipp").join(name)
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
        scenario(scenario_name).display().to_string(),
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
