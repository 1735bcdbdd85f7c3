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
    /// tracing filter, e.g. "info" or "web=debug,info".
    pub log: String,
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
            log: "info".into(),
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
                "log",
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
        Ok(c)
    }

    /// The database URL with any password hidden, for logs.
    pub fn database_url_for_log(&self) -> String {
        match (self.database_url.find("://"), self.database_url.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}://***{}", &self.database_url[..s], &self.database_url[at..]),
            _ => self.database_url.clone(),
        }
    }
}
