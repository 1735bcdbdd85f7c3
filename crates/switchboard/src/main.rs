//! `switchboard`: the one binary. `serve` runs the web app and the SIP server;
//! the other subcommands administer the database and users.

mod config;
mod files;
mod heap;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use config::Config;
use crm::{Crm, OrgSlug};
use std::io::Read;
use std::path::PathBuf;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Parser)]
#[command(name = "switchboard", version, about = "Contact-center CRM with its own telephony")]
struct Cli {
    /// Settings file (optional; environment variables override it).
    #[arg(long, global = true, default_value = "switchboard.toml")]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run Switchboard (migrates the database, creates the first admin on a new install).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Exit 0 when the running server answers its health check.
    Healthcheck,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage organizations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Telephony set-up of an organization: trunks, numbers, ring groups, dial rules.
    Trunk {
        #[command(subcommand)]
        command: TrunkCommand,
    },
    /// Contact imports (prepared in the import wizard).
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Run a checked import (as the wizard's "Import" does); run again, it goes on after the
    /// last line written.
    Run {
        #[arg(long)]
        org: String,
        #[arg(long)]
        id: i64,
    },
}

#[derive(Subcommand)]
enum TrunkCommand {
    /// Add a carrier trunk; its password, if any, is read from stdin.
    Add {
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        host: String,
        #[arg(long, default_value_t = 5060)]
        port: u16,
        #[arg(long, default_value = "udp", value_parser = ["udp", "tcp"])]
        transport: String,
        #[arg(long)]
        username: Option<String>,
        #[arg(long)]
        password_stdin: bool,
        /// Addresses calls from this carrier come from (comma-separated); the host by default.
        #[arg(long, value_delimiter = ',')]
        inbound: Vec<String>,
        /// Keep a registration at the carrier with --username and the password.
        #[arg(long)]
        register: bool,
    },
    /// Add a number (DID) of the organization, ringing an extension or a ring group.
    Number {
        #[arg(long)]
        org: String,
        #[arg(long)]
        number: String,
        #[arg(long, conflicts_with_all = ["group", "queue"])]
        extension: Option<String>,
        #[arg(long, conflicts_with = "queue")]
        group: Option<i64>,
        /// A call queue's id: callers wait with music for a free agent.
        #[arg(long)]
        queue: Option<i64>,
    },
    /// Add a ring group of extensions (comma-separated), ringing together or --in-order.
    Group {
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_delimiter = ',', required = true)]
        members: Vec<String>,
        #[arg(long)]
        in_order: bool,
        #[arg(long, default_value_t = 20)]
        ring_seconds: u32,
    },
    /// Allow (or with --deny, refuse) outside numbers starting with a prefix.
    DialRule {
        #[arg(long)]
        org: String,
        #[arg(long)]
        prefix: String,
        #[arg(long)]
        deny: bool,
    },
    /// The organization's trunks, numbers, ring groups and dial rules, with the ids the other
    /// commands take.
    List {
        #[arg(long)]
        org: String,
    },
    /// Change a trunk: only what is given changes (a new password is read from stdin).
    Edit {
        #[arg(long)]
        org: String,
        #[arg(long)]
        id: i64,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        host: Option<String>,
        #[arg(long)]
        port: Option<u16>,
        #[arg(long, value_parser = ["udp", "tcp"])]
        transport: Option<String>,
        /// An empty value removes the user name.
        #[arg(long)]
        username: Option<String>,
        #[arg(long)]
        password_stdin: bool,
        #[arg(long, value_delimiter = ',')]
        inbound: Option<Vec<String>>,
        #[arg(long)]
        register: Option<bool>,
    },
    /// Remove a trunk (with --yes; without, says what would go).
    Remove {
        #[arg(long)]
        org: String,
        #[arg(long)]
        id: i64,
        #[arg(long)]
        yes: bool,
    },
    /// Change a number: its digits and where it rings.
    NumberEdit {
        #[arg(long)]
        org: String,
        #[arg(long)]
        id: i64,
        #[arg(long)]
        number: Option<String>,
        #[arg(long, conflicts_with_all = ["group", "queue"])]
        extension: Option<String>,
        #[arg(long, conflicts_with = "queue")]
        group: Option<i64>,
        #[arg(long)]
        queue: Option<i64>,
    },
    /// Remove a number (with --yes).
    NumberRemove {
        #[arg(long)]
        org: String,
        #[arg(long)]
        id: i64,
        #[arg(long)]
        yes: bool,
    },
    /// Change a ring group: only what is given changes.
    GroupEdit {
        #[arg(long)]
        org: String,
        #[arg(long)]
        id: i64,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_delimiter = ',')]
        members: Option<Vec<String>>,
        #[arg(long)]
        in_order: Option<bool>,
        #[arg(long)]
        ring_seconds: Option<u32>,
    },
    /// Remove a ring group no number rings (with --yes).
    GroupRemove {
        #[arg(long)]
        org: String,
        #[arg(long)]
        id: i64,
        #[arg(long)]
        yes: bool,
    },
    /// Change the dial rule for --prefix: its prefix (--new-prefix) and whether it allows.
    DialRuleEdit {
        #[arg(long)]
        org: String,
        #[arg(long)]
        prefix: String,
        #[arg(long)]
        new_prefix: Option<String>,
        #[arg(long)]
        deny: bool,
    },
    /// Remove the dial rule for --prefix (with --yes).
    DialRuleRemove {
        #[arg(long)]
        org: String,
        #[arg(long)]
        prefix: String,
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user (creating the organization when missing); the password is read from stdin.
    Add {
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["admin", "manager", "agent"])]
        role: String,
        #[arg(long)]
        extension: String,
        /// Shown name (defaults to the user name).
        #[arg(long)]
        full_name: Option<String>,
        /// en, pl or he.
        #[arg(long, default_value = "en")]
        language: String,
        /// Where the user's calls ring: the phone in the browser, a SIP phone, or both.
        #[arg(long, default_value = "browser", value_parser = ["browser", "sip", "both"])]
        phone: String,
        /// Read the log-in password from standard input (required: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Set how many users of the organization may be logged in at once.
    Seats {
        #[arg(long)]
        org: String,
        seats: i64,
    },
    /// Set the organization's SIP domain (its digest realm): a name, or an address of this
    /// server that phones of this organization register to.
    SipDomain {
        #[arg(long)]
        org: String,
        domain: String,
    },
    /// Set the organization's time zone (times are shown and days counted in it) and default
    /// country (phone numbers typed without a calling code); what is not given stays.
    Locale {
        #[arg(long)]
        org: String,
        /// An IANA time zone, e.g. Asia/Jerusalem.
        #[arg(long)]
        time_zone: Option<String>,
        /// An ISO 3166 country code, e.g. IL.
        #[arg(long)]
        country: Option<String>,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let cfg = Config::load(&cli.config)?;
    tracing_subscriber::fmt()
        // rsipstack logs every packet at info: keep it quiet unless asked for by name.
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(format!("rsipstack=warn,{}", cfg.log))
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(run(cli.command, cfg))
}

async fn run(cmd: Command, cfg: Config) -> Result<()> {
    match cmd {
        Command::Serve => serve(cfg).await,
        Command::Migrate => {
            open_store(&cfg).await?;
            println!("database is up to date ({})", cfg.database_url_for_log());
            Ok(())
        }
        Command::Healthcheck => healthcheck(&cfg).await,
        Command::User {
            command: UserCommand::Add { org, name, role, extension, full_name, language, phone, password_stdin: _ },
        } => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password).context("reading the password from stdin")?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            let crm = Crm::start(open_store(&cfg).await?).await?;
            let o = crm.ensure_org(&parse_org(&org)?).await?;
            let new = crm::identity::users::NewUser {
                full_name: full_name.unwrap_or_else(|| name.clone()),
                username: name,
                extension,
                role,
                language,
                password,
                sip_password: String::new(),
                must_change_password: false,
                phone_type: phone,
            };
            match crm.create_user(o.id, new).await {
                Ok(u) => {
                    println!(
                        "created user {} (extension {}, {}) in organization {}",
                        u.username,
                        u.extension,
                        u.role.as_str(),
                        o.slug
                    );
                    // What a desk phone needs to register as this extension.
                    if cfg.sip_addr.ends_with(":0") {
                        println!("SIP server: the address `switchboard serve` announces");
                    } else {
                        println!("SIP server: {}", cfg.sip_addr);
                    }
                    println!("SIP domain: {}", o.sip_domain);
                    println!("SIP user name: {}", u.extension);
                    println!("SIP password: {}", u.sip_password);
                    Ok(())
                }
                Err(e) => Err(explain(e)),
            }
        }
        Command::Trunk { command } => trunk_command(&cfg, command).await,
        Command::Import { command: ImportCommand::Run { org, id } } => {
            let crm = Crm::start_with(open_store(&cfg).await?, cfg.crm_settings()).await?;
            let o = find_org(&crm, &org).await?;
            let admin = crm
                .users(o.id)
                .await?
                .into_iter()
                .find(|u| u.is_admin() && u.active)
                .context("the organization has no active administrator")?;
            let s = crm.run_import(&admin, id).await.map_err(explain)?;
            println!(
                "import {id}: {} new contacts, {} duplicates, {} invalid rows of {}",
                s.new, s.duplicates, s.invalid, s.total
            );
            // A large import builds the search indexes again after it: let that finish too.
            crm.store().contact_search_settled().await;
            Ok(())
        }
        Command::Org { command: OrgCommand::SipDomain { org, domain } } => {
            let crm = Crm::start(open_store(&cfg).await?).await?;
            let o = find_org(&crm, &org).await?;
            let o = crm.set_sip_domain(o.id, &domain).await.map_err(explain)?;
            println!("organization {} has the SIP domain {}", o.slug, o.sip_domain);
            Ok(())
        }
        Command::Org { command: OrgCommand::Locale { org, time_zone, country } } => {
            let crm = Crm::start(open_store(&cfg).await?).await?;
            let o = find_org(&crm, &org).await?;
            let tz = time_zone.unwrap_or(o.time_zone);
            let country = country.unwrap_or(o.default_country);
            let o = crm.update_org_settings(o.id, None, &tz, &country).await.map_err(explain)?;
            println!("organization {}: time zone {}, default country {}", o.slug, o.time_zone, o.default_country);
            Ok(())
        }
        Command::Org { command: OrgCommand::Seats { org, seats } } => {
            let crm = Crm::start(open_store(&cfg).await?).await?;
            let o = find_org(&crm, &org).await?;
            let o = crm.set_seats(o.id, seats).await.map_err(explain)?;
            println!("organization {} has {} licences", o.slug, o.seats);
            Ok(())
        }
    }
}

async fn trunk_command(cfg: &Config, command: TrunkCommand) -> Result<()> {
    let crm = Crm::start_with(open_store(cfg).await?, cfg.crm_settings()).await?;
    use crm::sip::trunks::{NewTrunk, NumberRoute};
    // A removal needs --yes: without it, what would go is said and nothing changes.
    let confirm = |yes: bool, what: String| -> Result<bool> {
        if !yes {
            println!("{what} would be removed: run again with --yes to remove it");
        }
        Ok(yes)
    };
    match command {
        TrunkCommand::Add { org, name, host, port, transport, username, password_stdin, inbound, register } => {
            let o = find_org(&crm, &org).await?;
            let password = if password_stdin {
                let mut p = String::new();
                std::io::stdin().read_to_string(&mut p)?;
                Some(p.trim_end_matches(['\r', '\n']).to_string())
            } else {
                None
            };
            let t = crm::sip::trunks::NewTrunk {
                name,
                host,
                port,
                transport,
                username,
                password,
                inbound_addresses: inbound,
                register,
            };
            let t = crm.create_trunk(o.id, t).await.map_err(explain)?;
            println!(
                "trunk {} ({}:{} {}) added; calls accepted from {}",
                t.id, t.host, t.port, t.transport, t.inbound_addresses
            );
        }
        TrunkCommand::Number { org, number, extension, group, queue } => {
            let o = find_org(&crm, &org).await?;
            let route = crm::sip::trunks::NumberRoute::of(extension.as_deref(), group, queue);
            let n = crm.add_number(o.id, &number, route).await.map_err(explain)?;
            println!("number {} added", n.number);
        }
        TrunkCommand::Group { org, name, members, in_order, ring_seconds } => {
            let o = find_org(&crm, &org).await?;
            let g = crm.create_ring_group(o.id, &name, &members, !in_order, ring_seconds).await.map_err(explain)?;
            println!("ring group {} added: {}", g.id, g.members);
        }
        TrunkCommand::DialRule { org, prefix, deny } => {
            let o = find_org(&crm, &org).await?;
            let r = crm.add_dial_rule(o.id, &prefix, !deny).await.map_err(explain)?;
            println!("numbers starting with \"{}\" are {}", r.prefix, if r.allow { "allowed" } else { "refused" });
        }
        TrunkCommand::List { org } => {
            let o = find_org(&crm, &org).await?;
            for t in crm.trunks(o.id).await? {
                println!(
                    "trunk {}: {} {}:{} {} from {}",
                    t.id, t.name, t.host, t.port, t.transport, t.inbound_addresses
                );
            }
            for n in crm.numbers(o.id).await? {
                let to = match (&n.route_extension, n.route_group_id, n.route_queue_id) {
                    (Some(e), _, _) => format!("extension {e}"),
                    (None, Some(g), _) => format!("ring group {g}"),
                    (None, None, Some(q)) => format!("queue {q}"),
                    _ => "nothing".into(),
                };
                println!("number {}: +{} rings {to}", n.id, n.number);
            }
            for g in crm.ring_groups(o.id).await? {
                let how = if g.parallel { "together" } else { "in order" };
                println!("ring group {}: {} ({}), {how}, {} s", g.id, g.name, g.members, g.ring_seconds);
            }
            for (prefix, allow) in crm.dial_rules(o.id).await? {
                println!("dial rule \"{prefix}\": {}", if allow { "allowed" } else { "refused" });
            }
        }
        TrunkCommand::Edit { org, id, name, host, port, transport, username, password_stdin, inbound, register } => {
            let o = find_org(&crm, &org).await?;
            let t = crm.trunk(o.id, id).await.map_err(explain)?;
            let password = if password_stdin {
                let mut p = String::new();
                std::io::stdin().read_to_string(&mut p)?;
                Some(p.trim_end_matches(['\r', '\n']).to_string())
            } else {
                None
            };
            let inbound_now = t.inbound_addresses.split_whitespace().map(str::to_string).collect();
            let changed = NewTrunk {
                name: name.unwrap_or(t.name),
                host: host.unwrap_or(t.host),
                port: port.unwrap_or(u16::try_from(t.port).unwrap_or(0)),
                transport: transport.unwrap_or(t.transport),
                username: Some(username.unwrap_or(t.username.unwrap_or_default())),
                password,
                inbound_addresses: inbound.unwrap_or(inbound_now),
                register: register.unwrap_or(t.register),
            };
            let t = crm.update_trunk(o.id, id, changed).await.map_err(explain)?;
            println!(
                "trunk {} ({}:{} {}) changed; calls accepted from {}",
                t.id, t.host, t.port, t.transport, t.inbound_addresses
            );
        }
        TrunkCommand::Remove { org, id, yes } => {
            let o = find_org(&crm, &org).await?;
            let t = crm.trunk(o.id, id).await.map_err(explain)?;
            if confirm(yes, format!("trunk {id} ({}, {}:{})", t.name, t.host, t.port))? {
                crm.delete_trunk(o.id, id).await.map_err(explain)?;
                println!("trunk {id} removed");
            }
        }
        TrunkCommand::NumberEdit { org, id, number, extension, group, queue } => {
            let o = find_org(&crm, &org).await?;
            let n = crm.number(o.id, id).await.map_err(explain)?;
            let digits = number.unwrap_or_else(|| n.number.clone());
            let route = if extension.is_none() && group.is_none() && queue.is_none() {
                NumberRoute::of(n.route_extension.as_deref(), n.route_group_id, n.route_queue_id)
            } else {
                NumberRoute::of(extension.as_deref(), group, queue)
            };
            let m = crm.update_number(o.id, id, &digits, route).await.map_err(explain)?;
            println!("number {} changed: +{}", m.id, m.number);
        }
        TrunkCommand::NumberRemove { org, id, yes } => {
            let o = find_org(&crm, &org).await?;
            let n = crm.number(o.id, id).await.map_err(explain)?;
            if confirm(yes, format!("number {id} (+{})", n.number))? {
                crm.delete_number(o.id, id).await.map_err(explain)?;
                println!("number {id} removed");
            }
        }
        TrunkCommand::GroupEdit { org, id, name, members, in_order, ring_seconds } => {
            let o = find_org(&crm, &org).await?;
            let g = crm.ring_group(o.id, id).await.map_err(explain)?;
            let members = members.unwrap_or_else(|| g.members.split(',').map(str::to_string).collect());
            let parallel = in_order.map_or(g.parallel, |o| !o);
            let ring = ring_seconds.unwrap_or(u32::try_from(g.ring_seconds).unwrap_or(0));
            let name = name.unwrap_or(g.name);
            let g = crm.update_ring_group(o.id, id, &name, &members, parallel, ring).await.map_err(explain)?;
            println!("ring group {} changed: {}", g.id, g.members);
        }
        TrunkCommand::GroupRemove { org, id, yes } => {
            let o = find_org(&crm, &org).await?;
            let g = crm.ring_group(o.id, id).await.map_err(explain)?;
            if confirm(yes, format!("ring group {id} ({})", g.name))? {
                crm.delete_ring_group(o.id, id).await.map_err(explain)?;
                println!("ring group {id} removed");
            }
        }
        TrunkCommand::DialRuleEdit { org, prefix, new_prefix, deny } => {
            let o = find_org(&crm, &org).await?;
            let to = new_prefix.unwrap_or_else(|| prefix.clone());
            crm.update_dial_rule(o.id, &prefix, &to, !deny).await.map_err(explain)?;
            println!("numbers starting with \"{to}\" are {}", if deny { "refused" } else { "allowed" });
        }
        TrunkCommand::DialRuleRemove { org, prefix, yes } => {
            let o = find_org(&crm, &org).await?;
            if !crm.dial_rules(o.id).await?.iter().any(|(p, _)| *p == prefix) {
                anyhow::bail!("there is no dial rule for \"{prefix}\"");
            }
            if confirm(yes, format!("the dial rule for \"{prefix}\""))? {
                crm.delete_dial_rule(o.id, &prefix).await.map_err(explain)?;
                println!("the dial rule for \"{prefix}\" removed");
            }
        }
    }
    Ok(())
}

fn parse_org(org: &str) -> Result<OrgSlug> {
    OrgSlug::parse(org).map_err(|e| anyhow::anyhow!("--org: {}", e.code))
}

/// The organization named with --org.
async fn find_org(crm: &Crm, org: &str) -> Result<crm::Organization> {
    crm.find_org_by_slug(&parse_org(org)?).await?.with_context(|| format!("no organization {org}"))
}

/// A domain error as the command line says it (in English).
fn explain(e: crm::CrmError) -> anyhow::Error {
    anyhow::anyhow!(web::i18n::tr(crm::Language::En, e.code()))
}

async fn open_store(cfg: &Config) -> Result<store::Store> {
    if cfg.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&cfg.data_dir).with_context(|| format!("creating {}", cfg.data_dir.display()))?;
    }
    let store = store::Store::connect(&cfg.database_url)
        .await
        .with_context(|| format!("connecting to {}", cfg.database_url_for_log()))?;
    store.migrate().await.context("migrating the database")?;
    Ok(store)
}

async fn serve(cfg: Config) -> Result<()> {
    let store = open_store(&cfg).await?;
    let crm = Crm::start_with(store, cfg.crm_settings()).await?;
    // Before any call: what a crash of this node left open is closed as interrupted.
    crm.recover_calls().await.context("closing the calls the previous run left open")?;
    crm.keep_heartbeat();
    heap::keep_returning_free_memory();
    let open_files = files::raise_limit();
    if let Some(n) = open_files {
        tracing::info!("open files: up to {n}");
    }
    let first = match crm.bootstrap().await {
        Ok(f) => f,
        // Another node bootstrapped at the same moment: its admin is the first one.
        Err(crm::CrmError::Conflict(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let sip_addr: std::net::SocketAddr = cfg
        .sip_addr
        .parse()
        .with_context(|| format!("SWITCHBOARD_SIP_ADDR {} is not an address:port", cfg.sip_addr))?;
    let directory: std::sync::Arc<dyn telephony::SipDirectory> = std::sync::Arc::new(crm.clone());
    let mut sip_settings = telephony::SipSettings::new(sip_addr);
    sip_settings.recordings = Some(cfg.data_dir.join("recordings"));
    sip_settings.prompts = Some(cfg.prompts_dir.clone().unwrap_or_else(|| cfg.data_dir.join("prompts")));
    sip_settings.rtp_ports = cfg.rtp_range()?;
    sip_settings.limits = telephony::admission::Limits {
        per_organization: cfg.max_calls_per_organization.max(1),
        per_extension: cfg.max_calls_per_extension.max(1),
    };
    // SIP TCP connections never take more than a quarter of the process's files: the web
    // pages, the database and the calls' RTP sockets keep the rest.
    let tcp_total = open_files.map_or(cfg.max_sip_tcp_connections, |n| {
        cfg.max_sip_tcp_connections.min(usize::try_from(n / 4).unwrap_or(usize::MAX))
    });
    sip_settings.tcp = telephony::tcp::TcpLimits {
        total: tcp_total.max(1),
        per_address: cfg.max_sip_tcp_per_address.max(1),
        ..Default::default()
    };
    if let Some(ip) = &cfg.media_ip {
        sip_settings.media_ip =
            Some(ip.parse().with_context(|| format!("SWITCHBOARD_MEDIA_IP {ip} is not an address"))?);
    }
    if let Some(wav) = &cfg.music_on_hold {
        sip_settings.music = Some(media::Music::from_wav(wav)?);
    }
    let sip = std::sync::Arc::new(telephony::SipServer::start(sip_settings, directory).await?);
    println!("SIP (UDP and TCP) on {}", sip.local_addr());
    // Call events reach the CRM (missed calls, the call log, the browsers of the users on the
    // calls) through this one subscription.
    crm.attach(sip.clone());
    let listener = tokio::net::TcpListener::bind(&cfg.http_addr)
        .await
        .with_context(|| format!("binding the web address {}", cfg.http_addr))?;
    let addr = listener.local_addr()?;
    crm.listening_on(&[addr, sip.local_addr(), std::net::SocketAddr::new(sip.media_ip(), 0)]);
    println!("database: {}", cfg.database_url_for_log());
    if let Some((org, user, password)) = first {
        println!();
        println!("  First start: organization \"{}\" and its administrator were created.", org.slug);
        println!("  Log in at http://{addr}/login as \"{}\" with the one-time password: {password}", user.username);
        println!("  You will choose a new password after logging in.");
        println!();
    }
    // Last line of the start-up banner: scripts wait for it.
    println!("Switchboard {} is listening on http://{addr}", web::VERSION);
    let housekeeping = crm.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = housekeeping.purge_sessions().await {
                tracing::warn!("purging sessions: {e}");
            }
            if let Err(e) = housekeeping.expire_all_missed().await {
                tracing::warn!("expiring missed calls: {e}");
            }
        }
    });
    // The browser phones register with this node's SIP server over loopback.
    let sip_local = sip.local_addr();
    let gateway_sip = if sip_local.ip().is_unspecified() {
        std::net::SocketAddr::new(std::net::IpAddr::from([127, 0, 0, 1]), sip_local.port())
    } else {
        sip_local
    };
    let mut phones = webphone::GatewaySettings::new(gateway_sip, sip.media_ip());
    phones.internal_key = Some(sip.internal_key());
    phones.rtp_ports = cfg.rtp_range()?;
    phones.grace = std::time::Duration::from_secs(cfg.browser_phone_grace_seconds.max(2));
    let phones = webphone::Gateway::start(phones).await?;
    let mut state = web::AppState::new(crm, cfg.secure_cookies);
    state.metrics_token = Some(cfg.metrics_token.trim().to_string()).filter(|t| !t.is_empty());
    state.phones = Some(phones);
    web::serve(listener, state, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// GET /healthz over plain TCP: the health check needs no HTTP client library.
async fn healthcheck(cfg: &Config) -> Result<()> {
    let addr = cfg.http_addr.replace("0.0.0.0", "127.0.0.1").replace("[::]", "[::1]");
    let fut = async {
        let mut s = tokio::net::TcpStream::connect(&addr).await?;
        s.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes()).await?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await?;
        anyhow::Ok(String::from_utf8_lossy(&buf).to_string())
    };
    let reply = tokio::time::timeout(std::time::Duration::from_secs(5), fut)
        .await
        .context("the server did not answer within 5 s")?
        .with_context(|| format!("connecting to {addr}"))?;
    if reply.starts_with("HTTP/1.1 200") {
        println!("healthy");
        Ok(())
    } else {
        bail!("unhealthy: {}", reply.lines().next().unwrap_or(""))
    }
}
