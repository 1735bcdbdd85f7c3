//! Settings: built-in defaults, then `switchboard.toml`, then `SWITCHBOARD_*` environment
//! variables (`SWITCHBOARD_DATA_DIR`, `SWITCHBOARD_HTTP_ADDR`, `SWITCHBOARD_SIP_ADDR`,
//! `SWITCHBOARD_DATABASE_URL`; a secret can also come from a file named by `…_FILE`).

use anyhow::{Context, Result};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// Where the SQLite file, recordings and attachments live.
    pub data_dir: PathBuf,
    pub http_addr: String,
    pub sip_addr: String,
    /// `sqlite:PATH` or `postgres://…`; empty means `sqlite:DATA_DIR/switchboard.db`.
    pub database_url: String,
    pub database_url_file: Option<PathBuf>,
    /// Mark cookies Secure: set when a TLS proxy serves Switchboard over HTTPS.
    pub secure_cookies: bool,
    /// Trunks may point at loopback addresses (carriers played by sipp on 127.0.0.2 in tests
    /// and benchmarks); never set in production.
    pub loopback_trunks: bool,
    /// The token `/metrics` asks for (`Authorization: Bearer …`); empty: it answers only
    /// requests from this machine that came through no proxy.
    pub metrics_token: String,
    /// Calls up at once in one organization, and ringing or placed by one extension.
    pub max_calls_per_organization: usize,
    pub max_calls_per_extension: usize,
    /// SIP TCP connections open at once, in all and from one address (the total is lowered to
    /// a quarter of the process's open-files limit where that is less).
    pub max_sip_tcp_connections: usize,
    pub max_sip_tcp_per_address: usize,
    /// Megabytes of uploaded files (case attachments, import files) one organization may keep.
    pub max_storage_per_organization_mb: u64,
    /// RTP ports for calls, "FIRST-LAST".
    pub rtp_ports: String,
    /// The address put in SDP for our RTP (default: the SIP address).
    pub media_ip: Option<String>,
    /// Music on hold: an 8 kHz mono 16-bit WAV (default: a melody made by Switchboard).
    pub music_on_hold: Option<PathBuf>,
    /// The words queues say to waiting callers (`scripts/prompts.sh` makes them; default: the
    /// data directory's `prompts`).
    pub prompts_dir: Option<PathBuf>,
    /// Missed calls leave the list this many days after the caller's latest miss.
    pub missed_retention_days: i64,
    /// A browser phone whose page stays away this long during a call gives the call up.
    pub browser_phone_grace_seconds: u64,
    /// tracing filter, e.g. "info" or "web=debug,info".
    pub log: String,
    /// This node's name, the same from one run to the next: the calls a crash left open are
    /// closed at its next start. Empty: the machine's host name and the SIP address.
    pub node: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./data"),
            http_addr: "127.0.0.1:8080".into(),
            sip_addr: "127.0.0.1:5060".into(),
            database_url: String::new(),
            database_url_file: None,
            secure_cookies: false,
            loopback_trunks: false,
            metrics_token: String::new(),
            max_calls_per_organization: 200,
            max_calls_per_extension: 8,
            max_sip_tcp_connections: 2_000,
            max_sip_tcp_per_address: 50,
            max_storage_per_organization_mb: 10_240,
            rtp_ports: "20000-30000".into(),
            media_ip: None,
            music_on_hold: None,
            prompts_dir: None,
            missed_retention_days: 30,
            browser_phone_grace_seconds: 60,
            log: "info".into(),
            node: String::new(),
        }
    }
}

impl Config {
    pub fn load(file: &Path) -> Result<Config> {
        let mut c: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("SWITCHBOARD_").only(&[
                "data_dir",
                "http_addr",
                "sip_addr",
                "database_url",
                "database_url_file",
                "secure_cookies",
                "loopback_trunks",
                "metrics_token",
                "max_calls_per_organization",
                "max_calls_per_extension",
                "max_sip_tcp_connections",
                "max_sip_tcp_per_address",
                "max_storage_per_organization_mb",
                "rtp_ports",
                "media_ip",
                "music_on_hold",
                "prompts_dir",
                "missed_retention_days",
                "browser_phone_grace_seconds",
                "log",
                "node",
            ]))
            .extract()
            .with_context(|| format!("reading settings (defaults, {}, SWITCHBOARD_* variables)", file.display()))?;
        if let Some(f) = &c.database_url_file {
            c.database_url = std::fs::read_to_string(f)
                .with_context(|| format!("reading SWITCHBOARD_DATABASE_URL_FILE {}", f.display()))?
                .trim()
                .to_string();
        }
        if c.database_url.is_empty() {
            c.database_url = format!("sqlite:{}", c.data_dir.join("switchboard.db").display());
        }
        if c.node.trim().is_empty() {
            let host = std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "switchboard".into());
            c.node = format!("{host}/{}", c.sip_addr);
        }
        Ok(c)
    }

    /// The RTP port range, checked.
    pub fn rtp_range(&self) -> Result<(u16, u16)> {
        let parsed =
            self.rtp_ports.split_once('-').and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)));
        match parsed {
            Some((a, b)) if 1024 <= a && a + 10 <= b => Ok((a, b)),
            _ => anyhow::bail!("SWITCHBOARD_RTP_PORTS {} is not a range like 20000-30000", self.rtp_ports),
        }
    }

    /// What the domain is built with: uploaded files under the data directory, the retention.
    pub fn crm_settings(&self) -> crm::CrmSettings {
        crm::CrmSettings {
            missed_retention_days: i32::try_from(self.missed_retention_days.clamp(1, 3650)).unwrap_or(30),
            files: self.data_dir.join("files"),
            storage_per_organization: self.max_storage_per_organization_mb.saturating_mul(1 << 20),
            spool: Some(self.data_dir.join("spool")),
            node: Some(self.node.clone()),
            carriers: crm::sip::carriers::CarrierRules {
                loopback_allowed: self.loopback_trunks,
                own: [&self.sip_addr, &self.http_addr].iter().filter_map(|a| a.parse().ok()).collect(),
            },
        }
    }

    /// The database URL with any password hidden, for logs.
    pub fn database_url_for_log(&self) -> String {
        match (self.database_url.find("://"), self.database_url.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}://***{}", &self.database_url[..s], &self.database_url[at..]),
            _ => self.database_url.clone(),
        }
    }
}
