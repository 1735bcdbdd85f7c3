//! The real binary: its subcommands, its settings, and several nodes on one PostgreSQL.

use futures_util::StreamExt;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

mod dialer;
mod leftovers;
mod load;

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");

fn cmd(dir: &Path, envs: &[(&str, &str)]) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir);
    for k in ["SWITCHBOARD_DATABASE_URL", "SWITCHBOARD_HTTP_ADDR", "SWITCHBOARD_DATA_DIR", "SWITCHBOARD_SIP_ADDR"] {
        c.env_remove(k);
    }
    // The server's RTP ports (chosen at random in their range) stay clear of the tests' sipp
    // media ports (3000-30000) and of the kernel's ephemeral ports (32768-60999).
    c.env("SWITCHBOARD_LOG", "warn")
        .env("SWITCHBOARD_SIP_ADDR", "127.0.0.1:0")
        .env("SWITCHBOARD_RTP_PORTS", "61000-64998");
    // The carriers here are sipp on 127.0.0.2/127.0.0.3: loopback trunks are for tests only.
    c.env("SWITCHBOARD_LOOPBACK_TRUNKS", "true");
    // The load tests ring one extension with hundreds of calls: its share is lifted here (the
    // shares themselves are tested in telephony).
    c.env("SWITCHBOARD_MAX_CALLS_PER_ORGANIZATION", "100000").env("SWITCHBOARD_MAX_CALLS_PER_EXTENSION", "100000");
    for (k, v) in envs {
        c.env(k, v);
    }
    c
}

fn add_user(dir: &Path, envs: &[(&str, &str)], args: &[&str], pw: &str) -> std::process::Output {
    let mut child = cmd(dir, envs)
        .args(["user", "add"])
        .args(args)
        .arg("--password-stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{pw}\n").as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// A running `switchboard serve`; killed on drop.
struct Server {
    child: Child,
    base: String,
    banner: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path, envs: &[(&str, &str)]) -> Server {
    serve_with(dir, envs, Stdio::inherit())
}

/// `serve` with the server's log (its stderr) in `log`.
fn serve_logging(dir: &Path, envs: &[(&str, &str)], log: &Path) -> Server {
    serve_with(dir, envs, std::fs::File::create(log).unwrap().into())
}

fn serve_with(dir: &Path, envs: &[(&str, &str)], stderr: Stdio) -> Server {
    let mut child = cmd(dir, envs).arg("serve").stdout(Stdio::piped()).stderr(stderr).spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut banner = Vec::new();
    let mut base = String::new();
    let mut line = String::new();
    while base.is_empty() && out.read_line(&mut line).unwrap() > 0 {
        if let Some(at) = line.find("listening on ") {
            base = line[at + "listening on ".len()..].trim().to_string();
        }
        banner.push(line.trim_end().to_string());
        line.clear();
    }
    assert!(!base.is_empty(), "the server said where it listens: {banner:?}");
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in out.lines() {});
    Server { child, base, banner }
}

/// The calls in progress of the token's user (`GET /api/v1/calls`).
async fn calls_in_progress(api: &reqwest::Client, base: &str, token: &str) -> serde_json::Value {
    api.get(format!("{base}/api/v1/calls")).bearer_auth(token).send().await.unwrap().json().await.unwrap()
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn login(base: &str, c: &reqwest::Client, ident: &str, pw: &str) -> reqwest::StatusCode {
    let page = c.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = page[at..].split('"').next().unwrap().to_string();
    let form = [("csrf", csrf.as_str()), ("identifier", ident), ("password", pw), ("language", "en")];
    c.post(format!("{base}/login")).form(&form).send().await.unwrap().status()
}

/// The sipp scenarios of the telephony crate.
/// Held by the tests that load the machine most (fifty calls at once, a minute of predictive
/// dialing): run side by side on two cores, each measured the other's load.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn sipp_scenarios() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../telephony/tests/sipp")
}

/// A scenario copied into `dir` with `[tone]` set to a sox-made tone there (sipp does not
/// expand keywords in rtp_stream), plus any other `(keyword, value)` replacements.
fn render_scenario(dir: &Path, name: &str, subs: &[(&str, &str)]) -> String {
    let tone = dir.join("tone.wav");
    if !tone.exists() {
        let made = Command::new("sox")
            .args(["-n", "-r", "8000", "-c", "1", "-e", "u-law"])
            .arg(&tone)
            .args(["synth", "20", "sine", "600"])
            .status();
        assert!(made.expect("sox is installed").success());
    }
    let mut text =
        std::fs::read_to_string(sipp_scenarios().join(name)).unwrap().replace("[tone]", tone.to_str().unwrap());
    for (k, v) in subs {
        text = text.replace(k, v);
    }
    let p = dir.join(format!("{}-{name}", subs.iter().map(|(_, v)| v.replace('/', "_")).collect::<String>()));
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// A sipp run from `ip:port` (against `target`, or waiting for calls when `None`).
fn sipp_cmd(ip: &str, port: &str, scenario: &str, extra: &[&str], target: Option<&str>) -> Command {
    let mut c = Command::new("sipp");
    if let Some(t) = target {
        c.arg(t);
    }
    c.args(["-sf", scenario, "-m", "1", "-i", ip, "-p", port, "-nostdin", "-timeout", "15s", "-timeout_error"])
        .args(extra);
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

fn free_udp_port(ip: &str) -> String {
    std::net::UdpSocket::bind(format!("{ip}:0")).unwrap().local_addr().unwrap().port().to_string()
}

fn sip_password_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("SIP password: ").map(str::to_string))
        .expect("SIP password printed")
}

/// Registers `ext` from 127.0.0.1:`port` against the server at `sip`.
fn register_phone(sip: &str, port: &str, ext: &str, pw: &str) {
    let reg = sipp_cmd(
        "127.0.0.1",
        port,
        sipp_scenarios().join("register.xml").to_str().unwrap(),
        &["-s", ext, "-au", ext, "-ap", pw, "-key", "domain", "127.0.0.1"],
        Some(sip),
    )
    .output()
    .unwrap();
    assert!(reg.status.success(), "register {ext}: {}", String::from_utf8_lossy(&reg.stderr));
}

#[tokio::test]
async fn first_start_prints_a_one_time_admin_password_that_works() {
    let dir = tempfile::tempdir().unwrap();
    let srv = serve(dir.path(), &[("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0")]);
    assert!(dir.path().join("data/switchboard.db").exists(), "SQLite file under ./data");
    let line = srv.banner.iter().find(|l| l.contains("one-time password: ")).expect("the password is printed");
    let pw = line.rsplit(": ").next().unwrap();
    let c = browser();
    assert_eq!(login(&srv.base, &c, "admin", pw).await, reqwest::StatusCode::SEE_OTHER);
    let r = c.get(format!("{}/agent", srv.base)).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/account/password", "the one-time password must be changed");
    drop(srv);
    // A second start creates no second admin.
    let again = serve(dir.path(), &[("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0")]);
    assert!(!again.banner.iter().any(|l| l.contains("one-time password")));
}

#[tokio::test]
async fn settings_come_from_defaults_then_the_file_then_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("switchboard.toml"), "data_dir = \"from-file\"\nhttp_addr = \"127.0.0.1:1\"\n")
        .unwrap();
    // The file's data dir is used; the environment's address wins over the file's.
    let srv = serve(dir.path(), &[("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0")]);
    assert!(dir.path().join("from-file/switchboard.db").exists());
    let port = srv.base.rsplit(':').next().unwrap().to_string();
    let addr = format!("127.0.0.1:{port}");
    let ok = cmd(dir.path(), &[("SWITCHBOARD_HTTP_ADDR", &addr)]).arg("healthcheck").output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    drop(srv);
    let down = cmd(dir.path(), &[("SWITCHBOARD_HTTP_ADDR", &addr)]).arg("healthcheck").output().unwrap();
    assert!(!down.status.success(), "a stopped server is unhealthy");
    let bad = cmd(dir.path(), &[("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0"), ("SWITCHBOARD_RTP_PORTS", "30000-20000")])
        .arg("serve")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("is not a range like 20000-30000"),
        "a clear error for a bad setting"
    );
    let url = format!("sqlite:{}", dir.path().join("elsewhere.db").display());
    let m = cmd(dir.path(), &[("SWITCHBOARD_DATABASE_URL", &url)]).arg("migrate").output().unwrap();
    assert!(m.status.success() && dir.path().join("elsewhere.db").exists());
}

#[tokio::test]
async fn user_add_creates_the_organization_and_refuses_bad_input_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("SWITCHBOARD_DATA_DIR", "d")];
    let o = add_user(
        dir.path(),
        &env,
        &["--org", "acme", "--name", "anna", "--role", "agent", "--extension", "1001"],
        "anna-secret-1",
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("created user anna (extension 1001, agent) in organization acme")
    );
    let dup = add_user(
        dir.path(),
        &env,
        &["--org", "acme", "--name", "beata", "--role", "agent", "--extension", "1001"],
        "beata-secret-1",
    );
    assert!(!dup.status.success());
    assert!(
        String::from_utf8_lossy(&dup.stderr).contains("This extension is already used"),
        "{}",
        String::from_utf8_lossy(&dup.stderr)
    );
    let short = add_user(
        dir.path(),
        &env,
        &["--org", "acme", "--name", "celina", "--role", "agent", "--extension", "1003"],
        "short",
    );
    assert!(String::from_utf8_lossy(&short.stderr).contains("A password has 8 to 200 characters"));
    let seats = cmd(dir.path(), &env).args(["org", "seats", "--org", "acme", "3"]).output().unwrap();
    assert!(String::from_utf8_lossy(&seats.stdout).contains("acme has 3 licences"));
    let locale = ["org", "locale", "--org", "acme", "--time-zone", "Asia/Jerusalem", "--country", "IL"];
    let out = cmd(dir.path(), &env).args(locale).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("time zone Asia/Jerusalem, default country IL"));
    let bad =
        cmd(dir.path(), &env).args(["org", "locale", "--org", "acme", "--time-zone", "Mars/Base"]).output().unwrap();
    assert!(
        !bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("Choose a time zone from the list.")
    );
    let srv = serve(dir.path(), &[("SWITCHBOARD_DATA_DIR", "d"), ("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0")]);
    assert_eq!(login(&srv.base, &browser(), "1001", "anna-secret-1").await, reqwest::StatusCode::SEE_OTHER);
}

/// Two server processes on one PostgreSQL database: an event published on one reaches an
/// SSE client of the other (LISTEN/NOTIFY).
#[tokio::test]
async fn events_cross_nodes_over_postgres() {
    let Some(admin) = store::testing::pg_admin_url() else {
        eprintln!("no PostgreSQL for this run: skipped");
        return;
    };
    let url = store::testing::fresh_pg_url(&admin).await;
    let dir = tempfile::tempdir().unwrap();
    let env = [("SWITCHBOARD_DATABASE_URL", url.as_str())];
    assert!(cmd(dir.path(), &env).arg("migrate").output().unwrap().status.success());
    add_user(
        dir.path(),
        &env,
        &["--org", "acme", "--name", "mia", "--role", "manager", "--extension", "200"],
        "mia-secret-1",
    );
    add_user(
        dir.path(),
        &env,
        &["--org", "acme", "--name", "ola", "--role", "agent", "--extension", "201"],
        "ola-secret-1",
    );
    let node_env = [("SWITCHBOARD_DATABASE_URL", url.as_str()), ("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0")];
    let a = serve(dir.path(), &node_env);
    let b = serve(dir.path(), &node_env);
    assert_ne!(a.base, b.base);

    // ola watches node B.
    let ola = browser();
    assert_eq!(login(&b.base, &ola, "ola", "ola-secret-1").await, reqwest::StatusCode::SEE_OTHER);
    let mut stream = ola.get(format!("{}/events", b.base)).send().await.unwrap().bytes_stream();
    let mut seen = String::new();
    while !seen.contains("event: ready") {
        seen.push_str(&String::from_utf8_lossy(&stream.next().await.unwrap().unwrap()));
    }
    // mia publishes on node A, with an API token made in the shared database.
    let crm = crm::Crm::start(store::Store::connect(&url).await.unwrap()).await.unwrap();
    let org = crm.find_org_by_slug(&crm::OrgSlug::parse("acme").unwrap()).await.unwrap().unwrap();
    let mia = crm.find_user_by_login(org.id, "mia").await.unwrap().unwrap();
    let (token, _) = crm.create_token(&mia, "node test").await.unwrap();
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/events", a.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({"kind": "notice", "data": {"text": "z węzła A"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED);
    let got = tokio::time::timeout(Duration::from_secs(5), async {
        while !seen.contains("z węzła A") {
            seen.push_str(&String::from_utf8_lossy(&stream.next().await.unwrap().unwrap()));
        }
    })
    .await;
    assert!(got.is_ok(), "node B's client received node A's event: {seen}");
    assert!(seen.contains("event: notice"));
}

/// A real SIP phone (sipp) registers with the SIP password `user add` printed, on the SIP
/// address `serve` announced; a wrong password is refused.
#[tokio::test]
async fn a_phone_registers_with_the_sip_password_of_its_user() {
    let dir = tempfile::tempdir().unwrap();
    let o = add_user(
        dir.path(),
        &[],
        &["--org", "acme", "--name", "anna", "--role", "agent", "--extension", "1001"],
        "anna-secret-1",
    );
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let sip_pw = out.lines().find_map(|l| l.strip_prefix("SIP password: ")).expect("SIP password printed").to_string();
    // Everything a phone needs is printed: its domain tells the server which organization it is.
    for line in ["SIP domain: acme.switchboard", "SIP user name: 1001", "SIP server: "] {
        assert!(out.contains(line), "{line} in {out}");
    }
    let srv = serve(dir.path(), &[("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0")]);
    let sip = srv
        .banner
        .iter()
        .find_map(|l| l.strip_prefix("SIP (UDP and TCP) on "))
        .expect("SIP address printed")
        .to_string();
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("../telephony/tests/sipp");
    let run = |scenario: &str, pw: &str| {
        let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
        Command::new("sipp")
            .args([
                sip.as_str(),
                "-sf",
                scenarios.join(scenario).to_str().unwrap(),
                "-m",
                "1",
                "-i",
                "127.0.0.1",
                "-p",
                &port,
            ])
            .args([
                "-nostdin",
                "-timeout",
                "10s",
                "-timeout_error",
                "-s",
                "1001",
                "-au",
                "1001",
                "-ap",
                pw,
                "-key",
                "domain",
                "127.0.0.1",
            ])
            .output()
            .expect("sipp (Debian sip-tester)")
    };
    let ok = run("register.xml", &sip_pw);
    assert!(ok.status.success(), "registered: {}", String::from_utf8_lossy(&ok.stderr));
    let refused = run("register_refused.xml", "anna-secret-1");
    assert!(refused.status.success(), "the log-in password is not the SIP password");
}

/// The real binary set up through its CLI: a trunk, a number ringing an extension, a dial
/// rule. A carrier (sipp from 127.0.0.2) calls the number and the agent's phone answers; the
/// agent calls a national number and the carrier (sipp on 127.0.0.3) takes it.
#[tokio::test]
async fn a_trunk_set_up_with_the_cli_carries_calls_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let render = |name: &str| render_scenario(dir.path(), name, &[]);
    let pw1001 = sip_password_of(&add_user(
        dir.path(),
        &[],
        &["--org", "acme", "--name", "anna", "--role", "agent", "--extension", "1001"],
        "anna-secret-1",
    ));
    let pw1002 = sip_password_of(&add_user(
        dir.path(),
        &[],
        &["--org", "acme", "--name", "bea", "--role", "agent", "--extension", "1002"],
        "bea-secret-12",
    ));
    let carrier_port = std::net::UdpSocket::bind("127.0.0.3:0").unwrap().local_addr().unwrap().port().to_string();
    let cli = |args: &[&str]| {
        let o = cmd(dir.path(), &[]).args(args).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    cli(&[
        "trunk",
        "add",
        "--org",
        "acme",
        "--name",
        "carrier",
        "--host",
        "127.0.0.3",
        "--port",
        &carrier_port,
        "--inbound",
        "127.0.0.2,127.0.0.3",
    ]);
    cli(&["trunk", "number", "--org", "acme", "--number", "+48 22 123 45 67", "--extension", "1002"]);
    cli(&["trunk", "dial-rule", "--org", "acme", "--prefix", "0"]);
    cli(&["trunk", "dial-rule", "--org", "acme", "--prefix", "00", "--deny"]);
    let srv = serve(dir.path(), &[("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0")]);
    let sip = srv.banner.iter().find_map(|l| l.strip_prefix("SIP (UDP and TCP) on ")).unwrap().to_string();
    let free = || free_udp_port("127.0.0.1");
    let sipp = sipp_cmd;
    // 1002's phone registers, then waits for the call.
    let phone_port = free();
    register_phone(&sip, &phone_port, "1002", &pw1002);
    let phone = sipp("127.0.0.1", &phone_port, &render("uas_answer.xml"), &["-mp", "16200"], None).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let inbound = sipp(
        "127.0.0.2",
        &free(),
        &render("trunk_uac.xml"),
        &["-s", "48221234567", "-key", "caller", "48600111222", "-mp", "16400", "-d", "500"],
        Some(&sip),
    )
    .output()
    .unwrap();
    assert!(inbound.status.success(), "the carrier's call was answered: {}", String::from_utf8_lossy(&inbound.stderr));
    assert!(phone.wait_with_output().unwrap().status.success(), "1002's phone answered it");
    // 1001 calls out.
    let carrier_file = dir.path().join("carrier.xml");
    std::fs::write(
        &carrier_file,
        std::fs::read_to_string(render("carrier_answer.xml")).unwrap().replace("[callerid]", "48221234567"),
    )
    .unwrap();
    let carrier =
        sipp("127.0.0.3", &carrier_port, carrier_file.to_str().unwrap(), &["-mp", "16600"], None).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let out = sipp(
        "127.0.0.1",
        &free(),
        &render("call_uac.xml"),
        &["-s", "0229876543", "-au", "1001", "-ap", &pw1001, "-key", "caller", "1001", "-mp", "16800", "-d", "500"],
        Some(&sip),
    )
    .output()
    .unwrap();
    assert!(out.status.success(), "1001's outbound call: {}", String::from_utf8_lossy(&out.stderr));
    let carrier = carrier.wait_with_output().unwrap();
    assert!(
        carrier.status.success(),
        "the carrier took it, with the number as caller ID: {}",
        String::from_utf8_lossy(&carrier.stderr)
    );
    let refused = sipp(
        "127.0.0.1",
        &free(),
        &render("call_uac_403.xml"),
        &["-s", "0012125550100", "-au", "1001", "-ap", &pw1001, "-key", "caller", "1001", "-mp", "17000"],
        Some(&sip),
    )
    .output()
    .unwrap();
    assert!(refused.status.success(), "international refused by the dial rules");
}

/// Click-to-call over the API, on the real binary: anna's phone (1001) auto-answers, then
/// bea's (1002) rings and answers; anna's browser gets the call events over SSE; the API hangs
/// up. Bad requests and other users' calls are refused.
#[tokio::test]
async fn click_to_call_over_the_api_with_events_in_the_agents_browser() {
    let dir = tempfile::tempdir().unwrap();
    let pw1001 = sip_password_of(&add_user(
        dir.path(),
        &[],
        &["--org", "acme", "--name", "anna", "--role", "agent", "--extension", "1001"],
        "anna-secret-1",
    ));
    let pw1002 = sip_password_of(&add_user(
        dir.path(),
        &[],
        &["--org", "acme", "--name", "bea", "--role", "agent", "--extension", "1002"],
        "bea-secret-12",
    ));
    let srv = serve(dir.path(), &[("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0")]);
    let sip = srv.banner.iter().find_map(|l| l.strip_prefix("SIP (UDP and TCP) on ")).unwrap().to_string();
    let (p1, p2) = (free_udp_port("127.0.0.1"), free_udp_port("127.0.0.1"));
    register_phone(&sip, &p1, "1001", &pw1001);
    register_phone(&sip, &p2, "1002", &pw1002);
    let anna_phone =
        sipp_cmd("127.0.0.1", &p1, &render_scenario(dir.path(), "uas_autoanswer.xml", &[]), &["-mp", "18000"], None)
            .spawn()
            .unwrap();
    let bea_phone =
        sipp_cmd("127.0.0.1", &p2, &render_scenario(dir.path(), "uas_answer.xml", &[]), &["-mp", "18200"], None)
            .spawn()
            .unwrap();

    // anna's browser listens; her integration has an API token.
    let browser = browser();
    assert_eq!(login(&srv.base, &browser, "anna", "anna-secret-1").await, reqwest::StatusCode::SEE_OTHER);
    let mut stream = browser.get(format!("{}/events", srv.base)).send().await.unwrap().bytes_stream();
    let mut seen = String::new();
    while !seen.contains("event: ready") {
        seen.push_str(&String::from_utf8_lossy(&stream.next().await.unwrap().unwrap()));
    }
    let store =
        store::Store::connect(&format!("sqlite:{}", dir.path().join("data/switchboard.db").display())).await.unwrap();
    let crm = crm::Crm::start(store).await.unwrap();
    let org = crm.find_org_by_slug(&crm::OrgSlug::parse("acme").unwrap()).await.unwrap().unwrap();
    let anna = crm.find_user_by_login(org.id, "anna").await.unwrap().unwrap();
    let bea = crm.find_user_by_login(org.id, "bea").await.unwrap().unwrap();
    let (anna_token, _) = crm.create_token(&anna, "click to call").await.unwrap();
    let (bea_token, _) = crm.create_token(&bea, "other").await.unwrap();
    let api = reqwest::Client::new();
    let post = |path: &str, token: &str, body: serde_json::Value| {
        api.post(format!("{}{path}", srv.base)).bearer_auth(token.to_string()).json(&body).send()
    };

    let bad = post("/api/v1/calls", &anna_token, serde_json::json!({"number": "call me"})).await.unwrap();
    assert_eq!(bad.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let bad =
        post("/api/v1/calls", &anna_token, serde_json::json!({"number": "1002", "caller_id": "123456"})).await.unwrap();
    assert_eq!(bad.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY, "a caller ID that is not the organization's");
    let r = post("/api/v1/calls", &anna_token, serde_json::json!({"number": "1002"})).await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED);
    let call_id = r.json::<serde_json::Value>().await.unwrap()["call_id"].as_str().unwrap().to_string();
    let answered = tokio::time::timeout(Duration::from_secs(10), async {
        while !seen.contains("event: call.answered") {
            seen.push_str(&String::from_utf8_lossy(&stream.next().await.unwrap().unwrap()));
        }
    })
    .await;
    assert!(answered.is_ok(), "anna's browser saw the call answered: {seen}");
    assert!(seen.contains("event: call.ringing") && seen.contains(&call_id));
    let listed = calls_in_progress(&api, &srv.base, &anna_token).await;
    assert_eq!(listed[0]["call_id"], call_id.as_str());
    let cmd = |token: &str, body: serde_json::Value| post(&format!("/api/v1/calls/{call_id}/commands"), token, body);
    assert_eq!(
        cmd(&bea_token, serde_json::json!({"command": "hangup"})).await.unwrap().status(),
        reqwest::StatusCode::NOT_FOUND,
        "bea may not command anna's call"
    );
    assert_eq!(
        cmd(&anna_token, serde_json::json!({"command": "explode"})).await.unwrap().status(),
        reqwest::StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        cmd(&anna_token, serde_json::json!({"command": "hold"})).await.unwrap().status(),
        reqwest::StatusCode::ACCEPTED
    );
    assert_eq!(
        cmd(&anna_token, serde_json::json!({"command": "hangup"})).await.unwrap().status(),
        reqwest::StatusCode::ACCEPTED
    );
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while !seen.contains("event: call.ended") {
            seen.push_str(&String::from_utf8_lossy(&stream.next().await.unwrap().unwrap()));
        }
    })
    .await;
    assert!(ended.is_ok(), "and ended: {seen}");
    assert!(seen.contains("event: call.held"));
    assert!(anna_phone.wait_with_output().unwrap().status.success(), "anna's phone auto-answered and was hung up");
    assert!(bea_phone.wait_with_output().unwrap().status.success(), "bea's phone answered and was hung up");
}

/// Missed calls on the real binary: a customer calls a number three times through the trunk
/// and nobody answers; the list shows one row for the caller, with a count of 3. Then the
/// agent calls back from the row: her phone answers by itself, the carrier answers, they talk
/// for more than the minimum, and the row leaves the list as "callback answered", with the
/// attempt in its history. An agent may not hide rows (403, nothing changes).
#[tokio::test]
async fn three_missed_calls_make_one_row_and_an_answered_callback_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let pw = sip_password_of(&add_user(
        dir.path(),
        &[],
        &["--org", "acme", "--name", "anna", "--role", "agent", "--extension", "1002"],
        "anna-secret-1",
    ));
    let carrier_port = free_udp_port("127.0.0.2");
    let cli = |args: &[&str]| assert!(cmd(dir.path(), &[]).args(args).output().unwrap().status.success(), "{args:?}");
    cli(&[
        "trunk",
        "add",
        "--org",
        "acme",
        "--name",
        "carrier",
        "--host",
        "127.0.0.2",
        "--port",
        &carrier_port,
        "--inbound",
        "127.0.0.2",
    ]);
    cli(&["trunk", "number", "--org", "acme", "--number", "48221234567", "--extension", "1002"]);
    cli(&["trunk", "dial-rule", "--org", "acme", "--prefix", "48"]);
    let srv = serve(dir.path(), &[("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0")]);
    let sip = srv.banner.iter().find_map(|l| l.strip_prefix("SIP (UDP and TCP) on ")).unwrap().to_string();
    let scenario = render_scenario(dir.path(), "trunk_uac_480.xml", &[]);
    for i in 0..3 {
        let mp = (18400 + i * 100).to_string();
        let o = sipp_cmd(
            "127.0.0.2",
            &free_udp_port("127.0.0.2"),
            &scenario,
            &["-s", "48221234567", "-key", "caller", "48600111222", "-mp", &mp],
            Some(&sip),
        )
        .output()
        .unwrap();
        assert!(o.status.success(), "call {i} was not answered: {}", String::from_utf8_lossy(&o.stderr));
    }
    let store =
        store::Store::connect(&format!("sqlite:{}", dir.path().join("data/switchboard.db").display())).await.unwrap();
    let crm = crm::Crm::start(store).await.unwrap();
    let org = crm.find_org_by_slug(&crm::OrgSlug::parse("acme").unwrap()).await.unwrap().unwrap();
    let anna = crm.find_user_by_login(org.id, "anna").await.unwrap().unwrap();
    let (token, _) = crm.create_token(&anna, "missed").await.unwrap();
    let api = reqwest::Client::new();
    let get = |path: String| {
        let r = api.get(format!("{}{path}", srv.base)).bearer_auth(&token).send();
        async move { r.await.unwrap().json::<serde_json::Value>().await.unwrap() }
    };
    let rows = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let rows = get("/api/v1/missed".into()).await;
            if rows["items"][0]["count"] == 3 {
                return rows["items"].clone();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("one row with a count of 3");
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(
        (rows[0]["caller"].as_str(), rows[0]["called_number"].as_str()),
        (Some("48600111222"), Some("48221234567"))
    );
    let id = rows[0]["id"].as_i64().unwrap();
    let post = |path: String, body: serde_json::Value| {
        api.post(format!("{}{path}", srv.base)).bearer_auth(&token).json(&body).send()
    };
    let r = post(format!("/api/v1/missed/{id}/hide"), serde_json::json!({"reason": "spam"})).await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::FORBIDDEN, "agents may not hide by default");

    // The callback: anna's phone answers by itself, then the carrier answers the customer's leg.
    let phone_port = free_udp_port("127.0.0.1");
    register_phone(&sip, &phone_port, "1002", &pw);
    let phone = sipp_cmd(
        "127.0.0.1",
        &phone_port,
        &render_scenario(dir.path(), "uas_autoanswer.xml", &[]),
        &["-mp", "18800"],
        None,
    )
    .spawn()
    .unwrap();
    let carrier_file = dir.path().join("carrier.xml");
    let carrier_xml = std::fs::read_to_string(render_scenario(dir.path(), "carrier_answer.xml", &[])).unwrap();
    std::fs::write(&carrier_file, carrier_xml.replace("[callerid]", "48221234567")).unwrap();
    let carrier =
        sipp_cmd("127.0.0.2", &carrier_port, carrier_file.to_str().unwrap(), &["-mp", "19000"], None).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let r = post(format!("/api/v1/missed/{id}/callback"), serde_json::json!({})).await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED);
    let call_id = r.json::<serde_json::Value>().await.unwrap()["call_id"].as_str().unwrap().to_string();
    // They talk for longer than the minimum (10 s by default: the test's organization sets 1 s).
    let manager_settings = crm::missed::MissedSettings { min_callback_seconds: 1, ..Default::default() };
    let boss = crm
        .create_user(
            org.id,
            crm::identity::users::NewUser {
                username: "boss".into(),
                full_name: "Boss".into(),
                extension: "1009".into(),
                role: "manager".into(),
                language: "en".into(),
                password: "boss-secret-12".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    crm.set_missed_settings(&boss, manager_settings).await.unwrap();
    let answered = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let d = get(format!("/api/v1/missed/{id}")).await;
            let h = d["history"].as_array().unwrap().clone();
            if h.iter().any(|s| s["kind"] == "callback") {
                let listed = get("/api/v1/calls".into()).await;
                if listed.as_array().is_some_and(|a| !a.is_empty()) {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(answered.is_ok(), "the callback is in the history and the call is up");
    tokio::time::sleep(Duration::from_millis(1800)).await;
    let r = post(format!("/api/v1/calls/{call_id}/commands"), serde_json::json!({"command": "hangup"})).await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED);
    let removed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let d = get(format!("/api/v1/missed/{id}")).await;
            if d["state"] == "removed" {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the answered callback removed the row");
    assert_eq!(removed["removed_cause"], "callback_answered");
    assert_eq!(removed["last_status"], "called_back");
    let steps: Vec<(String, Option<String>)> = removed["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["kind"].as_str().unwrap().to_string(), s["result"].as_str().map(str::to_string)))
        .collect();
    let kinds: Vec<&str> = steps.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["missed", "missed", "missed", "callback", "removed"]);
    assert_eq!(steps[3].1.as_deref(), Some("answered"));
    assert_eq!(removed["history"][3]["user_id"], anna.id.0);
    assert!(get("/api/v1/missed".into()).await["items"].as_array().unwrap().is_empty(), "the list is empty");
    assert!(phone.wait_with_output().unwrap().status.success(), "anna's phone auto-answered and was hung up");
    assert!(carrier.wait_with_output().unwrap().status.success(), "the carrier answered and was hung up");
}

/// Callback in queue, end to end: a customer waiting in a queue presses 1, is let go, and keeps
/// their place; when an agent becomes free, the agent's phone rings first (as any call), and once
/// answered the customer is called back through the trunk; every step is in the call's queue
/// path, and nothing is left as a missed call. The queue and the agent's state are set over the API.
#[tokio::test]
async fn a_caller_who_presses_1_is_called_back_through_the_agent_when_their_turn_comes() {
    let dir = tempfile::tempdir().unwrap();
    let pw = sip_password_of(&add_user(
        dir.path(),
        &[],
        &["--org", "acme", "--name", "anna", "--role", "agent", "--extension", "1002"],
        "anna-secret-1",
    ));
    add_user(
        dir.path(),
        &[],
        &["--org", "acme", "--name", "boss", "--role", "admin", "--extension", "1009"],
        "boss-secret-12",
    );
    let carrier_port = free_udp_port("127.0.0.2");
    let cli = |args: &[&str]| assert!(cmd(dir.path(), &[]).args(args).output().unwrap().status.success(), "{args:?}");
    cli(&[
        "trunk",
        "add",
        "--org",
        "acme",
        "--name",
        "carrier",
        "--host",
        "127.0.0.2",
        "--port",
        &carrier_port,
        "--inbound",
        "127.0.0.2",
    ]);
    cli(&["trunk", "dial-rule", "--org", "acme", "--prefix", "48"]);
    let srv = serve(dir.path(), &[("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0")]);
    let sip = srv.banner.iter().find_map(|l| l.strip_prefix("SIP (UDP and TCP) on ")).unwrap().to_string();
    let store =
        store::Store::connect(&format!("sqlite:{}", dir.path().join("data/switchboard.db").display())).await.unwrap();
    let crm = crm::Crm::start(store).await.unwrap();
    let org = crm.find_org_by_slug(&crm::OrgSlug::parse("acme").unwrap()).await.unwrap().unwrap();
    let anna = crm.find_user_by_login(org.id, "anna").await.unwrap().unwrap();
    let boss = crm.find_user_by_login(org.id, "boss").await.unwrap().unwrap();
    let anna_token = crm.create_token(&anna, "phone").await.unwrap().0;
    let boss_token = crm.create_token(&boss, "setup").await.unwrap().0;
    let api = reqwest::Client::new();
    let call_api = |method: reqwest::Method, path: &str, token: &str, body: Option<serde_json::Value>| {
        let mut r = api.request(method, format!("{}/api/v1{path}", srv.base)).bearer_auth(token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        async move {
            let r = r.send().await.unwrap();
            let status = r.status();
            (status, r.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };
    use reqwest::Method;
    let body = serde_json::json!({"name": "Support", "callback_minutes": 10, "leave_when_empty": false,
        "members": [{"user_id": anna.id.0}]});
    let (st, q) = call_api(Method::POST, "/queues", &boss_token, Some(body)).await;
    assert_eq!(st, reqwest::StatusCode::CREATED, "{q}");
    let number = serde_json::json!({"number": "48221234567", "queue_id": q["id"]});
    let (st, n) = call_api(Method::POST, "/numbers", &boss_token, Some(number)).await;
    assert_eq!(st, reqwest::StatusCode::CREATED, "{n}");

    // The customer calls, presses 1, and is let go; nobody was free.
    let caller = render_scenario(dir.path(), "trunk_uac_press1_wait_bye.xml", &[]);
    let o = sipp_cmd(
        "127.0.0.2",
        &free_udp_port("127.0.0.2"),
        &caller,
        &["-s", "48221234567", "-key", "caller", "48600111222", "-mp", "19200"],
        Some(&sip),
    )
    .output()
    .unwrap();
    assert!(o.status.success(), "pressed 1 and was let go: {}", String::from_utf8_lossy(&o.stderr));
    let (_, waiting) = call_api(Method::GET, "/queues/waiting", &boss_token, None).await;
    assert_eq!(waiting.as_array().map(Vec::len), Some(1), "{waiting}");
    assert_eq!((waiting[0]["callback"].as_bool(), waiting[0]["caller"].as_str()), (Some(true), Some("48600111222")));
    let queue_call = waiting[0]["call_id"].as_str().unwrap().to_string();

    // Anna's phone and the carrier wait; anna becomes available: her phone rings, she answers,
    // the customer is called back.
    let phone_port = free_udp_port("127.0.0.1");
    register_phone(&sip, &phone_port, "1002", &pw);
    let phone = sipp_cmd(
        "127.0.0.1",
        &phone_port,
        &render_scenario(dir.path(), "uas_answer.xml", &[]),
        &["-mp", "19400"],
        None,
    )
    .spawn()
    .unwrap();
    let carrier_file = dir.path().join("carrier.xml");
    let carrier_xml = std::fs::read_to_string(render_scenario(dir.path(), "carrier_answer.xml", &[])).unwrap();
    std::fs::write(&carrier_file, carrier_xml.replace("[callerid]", "48221234567")).unwrap();
    let carrier =
        sipp_cmd("127.0.0.2", &carrier_port, carrier_file.to_str().unwrap(), &["-mp", "19600"], None).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let (st, me) =
        call_api(Method::PUT, "/me/status", &anna_token, Some(serde_json::json!({"state": "available"}))).await;
    assert_eq!(st, reqwest::StatusCode::OK, "{me}");
    let call_id = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            let (_, calls) = call_api(Method::GET, "/calls", &anna_token, None).await;
            if let Some(c) = calls.as_array().and_then(|a| a.first()) {
                let (_, waiting) = call_api(Method::GET, "/queues/waiting", &boss_token, None).await;
                if waiting.as_array().is_some_and(|w| w.is_empty()) {
                    return c["call_id"].as_str().unwrap().to_string();
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the callback is up and the caller waits no more");
    let (_, now) = call_api(Method::GET, "/me/status", &anna_token, None).await;
    assert_eq!(now["state"], "in_call", "{now}");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let hangup = serde_json::json!({"command": "hangup"});
    let (st, _) = call_api(Method::POST, &format!("/calls/{call_id}/commands"), &anna_token, Some(hangup)).await;
    assert_eq!(st, reqwest::StatusCode::ACCEPTED);
    assert!(phone.wait_with_output().unwrap().status.success(), "anna's phone rang, answered and was hung up");
    assert!(carrier.wait_with_output().unwrap().status.success(), "the customer answered the callback");

    // The queue path of the customer's call names every step.
    let kinds = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let events = crm.queue_decisions(org.id, &queue_call).await.unwrap();
            let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
            if kinds.last() == Some(&"complete") {
                return kinds.iter().map(|k| k.to_string()).collect::<Vec<_>>();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the callback completed in the queue's log");
    assert_eq!(kinds, ["enter", "callback", "offer", "connect", "complete"]);
    let (_, missed) = call_api(Method::GET, "/missed", &boss_token, None).await;
    assert_eq!(missed["items"], serde_json::json!([]), "nothing missed");
    let log = crm.call_log(&anna, &crm::calls::log::CallLogFilter { limit: 5, ..Default::default() }).await.unwrap();
    let back = log.iter().find(|c| c.call_id == call_id).expect("the callback in anna's log");
    assert_eq!((back.number.as_str(), back.answered_at.is_some()), ("48600111222", true));
}

/// An import killed half-way (SIGKILL) leaves whole batches and no half one; run again, it
/// adds the rest and nothing twice.
#[tokio::test]
async fn an_import_killed_half_way_is_run_again_without_duplicates() {
    use store::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let dir = tempfile::tempdir().unwrap();
    add_user(
        dir.path(),
        &[],
        &["--org", "acme", "--name", "ada", "--role", "admin", "--extension", "100"],
        "ada-secret-123",
    );
    let rows = 200_000u64;
    let csv = dir.path().join("big.csv");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
        writeln!(f, "first_name;last_name;phone").unwrap();
        for i in 0..rows {
            writeln!(f, "Anna;Kowalska {i};5{:08}", i).unwrap();
        }
    }
    let store =
        store::Store::connect(&format!("sqlite:{}", dir.path().join("data/switchboard.db").display())).await.unwrap();
    let settings = crm::CrmSettings { files: dir.path().join("data/files"), ..Default::default() };
    let crm = crm::Crm::start_with(store.clone(), settings).await.unwrap();
    let org = crm.find_org_by_slug(&crm::OrgSlug::parse("acme").unwrap()).await.unwrap().unwrap();
    let ada = crm.find_user_by_login(org.id, "ada").await.unwrap().unwrap();
    let imp = crm.upload_import(&ada, crm::imports::Target::Contacts, "big", "", "big.csv", &csv).await.unwrap();
    let s = crm::imports::Settings {
        mapping: vec!["first_name".into(), "last_name".into(), "phone1".into()],
        ..imp.settings()
    };
    assert_eq!(crm.check_import(&ada, imp.id, &s).await.unwrap().new, rows);
    let count = || {
        store::entities::contact::Entity::find()
            .filter(store::entities::contact::Column::ImportId.eq(imp.id))
            .count(store.conn())
    };
    let id = imp.id.to_string();
    let mut run = cmd(dir.path(), &[]).args(["import", "run", "--org", "acme", "--id", &id]).spawn().unwrap();
    let mut seen = 0;
    for _ in 0..20_000 {
        seen = count().await.unwrap();
        if seen > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    run.kill().unwrap(); // SIGKILL
    let _ = run.wait();
    let after_kill = count().await.unwrap();
    assert!(after_kill >= seen && after_kill < rows, "killed half-way: {after_kill} of {rows}");
    assert_eq!(after_kill % 50_000, 0, "whole batches only: {after_kill}");
    assert_eq!(crm.import(org.id, imp.id).await.unwrap().state, crm::imports::ImportState::Checked, "not marked done");
    let again = cmd(dir.path(), &[]).args(["import", "run", "--org", "acme", "--id", &id]).output().unwrap();
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert_eq!(count().await.unwrap(), rows, "the rest, and nothing twice");
    let lines: std::collections::HashSet<Option<i64>> = store::entities::contact::Entity::find()
        .filter(store::entities::contact::Column::ImportId.eq(imp.id))
        .all(store.conn())
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.import_line)
        .collect();
    assert_eq!(lines.len() as u64, rows, "every line once");
    assert_eq!(crm.import(org.id, imp.id).await.unwrap().state, crm::imports::ImportState::Done);
}

/// kill -9 of the server while one carrier call is answered and another still rings: at the
/// next start both are closed in the call log as interrupted (at the node's last sign of life,
/// not left open at 0:00:00 forever), and the caller nobody answered is a missed call.
#[tokio::test]
async fn calls_open_when_the_server_is_killed_are_closed_as_interrupted_at_the_next_start() {
    use store::entities::{call_log, missed_call};
    use store::sea_orm::EntityTrait;
    let dir = tempfile::tempdir().unwrap();
    let render = |name: &str| render_scenario(dir.path(), name, &[]);
    let user = |name: &str, ext: &str| {
        sip_password_of(&add_user(
            dir.path(),
            &[],
            &["--org", "acme", "--name", name, "--role", "agent", "--extension", ext],
            &format!("{name}-secret-12"),
        ))
    };
    let (pw1001, pw1002) = (user("anna", "1001"), user("bea", "1002"));
    let cli = |args: &[&str]| {
        let o = cmd(dir.path(), &[]).args(args).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    cli(&["trunk", "add", "--org", "acme", "--name", "carrier", "--host", "127.0.0.3", "--inbound", "127.0.0.2"]);
    cli(&["trunk", "number", "--org", "acme", "--number", "+48 22 123 45 67", "--extension", "1002"]);
    cli(&["trunk", "number", "--org", "acme", "--number", "+48 22 123 45 68", "--extension", "1001"]);
    let mut srv = serve(dir.path(), &[("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0")]);
    let sip = srv.banner.iter().find_map(|l| l.strip_prefix("SIP (UDP and TCP) on ")).unwrap().to_string();
    let free = || free_udp_port("127.0.0.1");
    // bea's phone answers; anna's only rings.
    let (bea_port, anna_port) = (free(), free());
    register_phone(&sip, &bea_port, "1002", &pw1002);
    register_phone(&sip, &anna_port, "1001", &pw1001);
    let mut phones = vec![
        sipp_cmd("127.0.0.1", &bea_port, &render("uas_answer.xml"), &["-mp", "17200"], None).spawn().unwrap(),
        sipp_cmd("127.0.0.1", &anna_port, &render("uas_ring.xml"), &["-mp", "17400"], None).spawn().unwrap(),
    ];
    std::thread::sleep(Duration::from_millis(300));
    let carrier = |to: &str, caller: &str, mp: &str| {
        sipp_cmd(
            "127.0.0.2",
            &free(),
            &render("trunk_uac.xml"),
            &["-s", to, "-key", "caller", caller, "-mp", mp, "-d", "30000"],
            Some(&sip),
        )
        .spawn()
        .unwrap()
    };
    phones.push(carrier("48221234567", "48600111222", "17600"));
    phones.push(carrier("48221234568", "48600333444", "17800"));
    let db = format!("sqlite:{}", dir.path().join("data/switchboard.db").display());
    let store = store::Store::connect(&db).await.unwrap();
    // Both calls are recorded as going on (one answered), and the node has said it is alive.
    let started = std::time::Instant::now();
    loop {
        let rows = call_log::Entity::find().all(store.conn()).await.unwrap();
        if rows.len() == 2 && rows.iter().any(|r| r.answered_at.is_some()) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "the calls are up: {rows:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(6)); // a heartbeat after the answer
    srv.child.kill().unwrap(); // SIGKILL
    let _ = srv.child.wait();
    let killed_at = chrono::Utc::now();
    for p in &mut phones {
        let _ = p.kill();
        let _ = p.wait();
    }
    let open = call_log::Entity::find().all(store.conn()).await.unwrap();
    assert!(open.iter().all(|r| r.ended_at.is_none()), "the kill left both open: {open:?}");

    let _srv = serve(dir.path(), &[("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0")]);
    let rows = call_log::Entity::find().all(store.conn()).await.unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    for r in &rows {
        assert_eq!(r.end_cause, Some(call_log::EndReason::Interrupted), "{r:?}");
        let end = r.ended_at.expect("closed");
        assert!(end <= killed_at && end >= r.started_at, "at the last sign of life: {r:?}");
    }
    let talked = rows.iter().find(|r| r.extension == "1002").unwrap();
    // The heartbeat comes every 5 s: the last one was at least a second after the answer.
    assert!(talked.talk_seconds >= 1, "bea's talk time runs to the last sign of life: {talked:?}");
    let rang = rows.iter().find(|r| r.extension == "1001").unwrap();
    assert_eq!(rang.kind, call_log::CallKind::Missed, "{rang:?}");
    let missed = missed_call::Entity::find().all(store.conn()).await.unwrap();
    assert_eq!(missed.iter().map(|m| m.caller.as_str()).collect::<Vec<_>>(), ["48600333444"], "{missed:?}");
}

/// What the CLI changes while a server runs on the same SQLite file is in force without a
/// restart: a new organization's user registers, a trunk's change and removal apply.
#[tokio::test]
async fn cli_changes_made_while_the_server_runs_are_in_force_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = add_user(
        dir.path(),
        &[],
        &["--org", "acme", "--name", "ann", "--role", "agent", "--extension", "101", "--phone", "sip"],
        "ann-secret-1",
    );
    assert!(first.status.success());
    let srv = serve(dir.path(), &[("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0")]);
    let sip = srv.banner.iter().find_map(|l| l.strip_prefix("SIP (UDP and TCP) on ")).unwrap().to_string();
    let o = add_user(
        dir.path(),
        &[],
        &["--org", "globex", "--name", "gil", "--role", "agent", "--extension", "201", "--phone", "sip"],
        "gil-secret-1",
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let pw = sip_password_of(&o);
    // The running server learns of the new organization within its refresh (5 s).
    let started = std::time::Instant::now();
    loop {
        let reg = sipp_cmd(
            "127.0.0.1",
            &free_udp_port("127.0.0.1"),
            sipp_scenarios().join("register.xml").to_str().unwrap(),
            &["-s", "201", "-au", "201", "-ap", &pw, "-key", "domain", "globex.switchboard"],
            Some(&sip),
        )
        .output()
        .unwrap();
        if reg.status.success() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no restart needed: {}",
            String::from_utf8_lossy(&reg.stderr)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // The CLI lists, changes and (only with --yes) removes a trunk.
    let run = |args: &[&str]| {
        let o = cmd(dir.path(), &[]).args(args).output().unwrap();
        (o.status.success(), String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr))
    };
    let (ok, out) = run(&["trunk", "add", "--org", "globex", "--name", "carier", "--host", "192.0.2.1"]);
    assert!(ok, "{out}");
    let (_, list) = run(&["trunk", "list", "--org", "globex"]);
    let id = list.lines().find_map(|l| l.strip_prefix("trunk ")?.split(':').next()).unwrap().to_string();
    let (ok, out) = run(&["trunk", "edit", "--org", "globex", "--id", &id, "--name", "carrier", "--port", "0"]);
    assert!(!ok && out.contains("port"), "refused with its reason: {out}");
    let (ok, out) = run(&["trunk", "edit", "--org", "globex", "--id", &id, "--name", "carrier", "--host", "192.0.2.2"]);
    assert!(ok && out.contains("192.0.2.2"), "{out}");
    let (ok, out) = run(&["trunk", "remove", "--org", "globex", "--id", &id]);
    assert!(ok && out.contains("--yes"), "asks first: {out}");
    assert!(run(&["trunk", "list", "--org", "globex"]).1.contains("carrier"), "nothing removed without --yes");
    let (ok, out) = run(&["trunk", "remove", "--org", "globex", "--id", &id, "--yes"]);
    assert!(ok, "{out}");
    assert!(!run(&["trunk", "list", "--org", "globex"]).1.contains("carrier"));
    let (ok, out) = run(&["trunk", "remove", "--org", "acme", "--id", &id, "--yes"]);
    assert!(!ok, "another organization's trunk is not found: {out}");
}

/// Progressive dialing on the real binary: a manager sets a list of two numbers to progressive;
/// the agent starts dialing over the API; her phone answers by itself and the carrier gets the
/// first number; she hangs up and gives the outcome, and the second number is called at once;
/// after its outcome nothing is left. The carrier got exactly the list's two numbers.
#[tokio::test]
async fn progressive_dialing_calls_the_next_number_once_the_outcome_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let pw = sip_password_of(&add_user(
        dir.path(),
        &[],
        &["--org", "acme", "--name", "anna", "--role", "agent", "--extension", "1002"],
        "anna-secret-1",
    ));
    add_user(
        dir.path(),
        &[],
        &["--org", "acme", "--name", "mia", "--role", "manager", "--extension", "1009"],
        "mia-secret-12",
    );
    let carrier_port = free_udp_port("127.0.0.2");
    let cli = |args: &[&str]| assert!(cmd(dir.path(), &[]).args(args).output().unwrap().status.success(), "{args:?}");
    cli(&["trunk", "add", "--org", "acme", "--name", "carrier", "--host", "127.0.0.2", "--port", &carrier_port]);
    cli(&["trunk", "number", "--org", "acme", "--number", "48221234567", "--extension", "1002"]);
    cli(&["trunk", "dial-rule", "--org", "acme", "--prefix", "48"]);
    let srv = serve(dir.path(), &[("SWITCHBOARD_HTTP_ADDR", "127.0.0.1:0")]);
    let sip = srv.banner.iter().find_map(|l| l.strip_prefix("SIP (UDP and TCP) on ")).unwrap().to_string();
    let phone_port = free_udp_port("127.0.0.1");
    register_phone(&sip, &phone_port, "1002", &pw);
    let phone_xml = render_scenario(dir.path(), "uas_autoanswer.xml", &[]);
    let phone = sipp_cmd("127.0.0.1", &phone_port, &phone_xml, &["-mp", "21000", "-m", "2"], None).spawn().unwrap();
    let carrier_file = dir.path().join("carrier.xml");
    let carrier_xml = std::fs::read_to_string(render_scenario(dir.path(), "carrier_answer.xml", &[])).unwrap();
    std::fs::write(&carrier_file, carrier_xml.replace("[callerid]", "48221234567")).unwrap();
    let carrier = sipp_cmd(
        "127.0.0.2",
        &carrier_port,
        carrier_file.to_str().unwrap(),
        &["-mp", "21200", "-m", "2", "-trace_msg", "-message_file", dir.path().join("carrier.log").to_str().unwrap()],
        None,
    )
    .spawn()
    .unwrap();

    let store =
        store::Store::connect(&format!("sqlite:{}", dir.path().join("data/switchboard.db").display())).await.unwrap();
    let crm = crm::Crm::start(store).await.unwrap();
    let org = crm.find_org_by_slug(&crm::OrgSlug::parse("acme").unwrap()).await.unwrap().unwrap();
    let anna = crm.find_user_by_login(org.id, "anna").await.unwrap().unwrap();
    let mia = crm.find_user_by_login(org.id, "mia").await.unwrap().unwrap();
    let list = crm.create_call_list(&mia, "Autumn", "").await.unwrap();
    let rows: Vec<crm::outbound::NewNumber> = ["600 100 001", "600 100 002"]
        .iter()
        .map(|n| crm::outbound::NewNumber { typed: n.to_string(), ..Default::default() })
        .collect();
    crm.add_list_numbers(&mia, list.id, &rows).await.unwrap();
    crm.set_dial_mode(&mia, list.id, crm::outbound::dialer::DialMode::Progressive).await.unwrap();
    let done = crm.add_list_outcome(&mia, "Done", crm::outbound::Kind::Final, 0).await.unwrap();
    let (token, _) = crm.create_token(&anna, "dialing").await.unwrap();
    let api = reqwest::Client::new();
    let get = |path: &str| {
        let r = api.get(format!("{}{path}", srv.base)).bearer_auth(&token).send();
        async move { r.await.unwrap().json::<serde_json::Value>().await.unwrap() }
    };
    let r = api
        .put(format!("{}/api/v1/call-lists/dialing", srv.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({"dialing": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    for (i, number) in ["48600100001", "48600100002"].iter().enumerate() {
        // The number is hers and its call is up (her phone first, then the carrier).
        let (held, call_id) = tokio::time::timeout(Duration::from_secs(15), async {
            loop {
                let held = get("/api/v1/call-lists/held").await;
                let calls = get("/api/v1/calls").await;
                if let (Some(n), Some(c)) = (held.get(0), calls.get(0)) {
                    return (n.clone(), c["call_id"].as_str().unwrap().to_string());
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("call {i} up"));
        assert_eq!(held["number"], *number, "call {i}: the list's numbers in order");
        // Her phone answers by itself at once, the carrier a moment later.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let hang = serde_json::json!({"command": "hangup"});
        let r = api
            .post(format!("{}/api/v1/calls/{call_id}/commands", srv.base))
            .bearer_auth(&token)
            .json(&hang)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED);
        tokio::time::timeout(Duration::from_secs(10), async {
            while get("/api/v1/calls").await.as_array().is_some_and(|a| !a.is_empty()) {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await
        .expect("the call ended");
        let id = held["id"].as_i64().unwrap();
        let r = api
            .post(format!("{}/api/v1/call-lists/numbers/{id}/outcome", srv.base))
            .bearer_auth(&token)
            .json(&serde_json::json!({"outcome_id": done.id}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::OK, "call {i}: the outcome");
    }
    assert!(phone.wait_with_output().unwrap().status.success(), "her phone answered both calls");
    assert!(carrier.wait_with_output().unwrap().status.success(), "the carrier answered both numbers");
    let called = std::fs::read_to_string(dir.path().join("carrier.log")).unwrap();
    assert!(called.contains("INVITE sip:48600100001@") && called.contains("INVITE sip:48600100002@"), "{called}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(get("/api/v1/call-lists/held").await.as_array().unwrap().is_empty(), "nothing left to call");
}
