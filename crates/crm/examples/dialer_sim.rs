//! A simulated hour of dialing (`crm::outbound::simulation`) with A agents (default 10) over the
//! same traffic in predictive and in progressive mode: abandonment, the longest wait for the
//! message, occupancy and connected calls per agent-hour side by side. Run by bench/dialer.sh.

use crm::outbound::dialer::DialMode;
use crm::outbound::simulation::{Traffic, run};

#[tokio::main]
async fn main() {
    let agents: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    let seconds: u32 = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(3600);
    let traffic = Traffic { seconds, ..Default::default() };
    println!(
        "traffic: {:.0}% answer after {}-{} s, {:.0}% busy, the rest ring out after {} s; talk {:.0} s (mean), wrap-up {} s; {agents} agents, {seconds} s",
        traffic.answer * 100.0,
        traffic.answer_after.0,
        traffic.answer_after.1,
        traffic.busy * 100.0,
        traffic.ring_out,
        traffic.talk,
        traffic.wrap
    );
    for mode in [DialMode::Progressive, DialMode::Predictive] {
        let dir = tempfile::tempdir().unwrap();
        let store = store::Store::connect(&store::testing::fresh_sqlite_url(dir.path())).await.unwrap();
        store.migrate().await.unwrap();
        let settings = crm::CrmSettings { files: dir.path().join("files"), ..Default::default() };
        let crm = crm::Crm::start_with(store, settings).await.unwrap();
        let org = crm.create_org(&crm::OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let user = |i: usize, role: &str| crm::identity::users::NewUser {
            username: format!("u{i}"),
            full_name: format!("User {i}"),
            extension: format!("{}", 100 + i),
            role: role.into(),
            password: "bench-password-1".into(),
            ..Default::default()
        };
        let manager = crm.create_user(org.id, user(0, "manager")).await.unwrap();
        let mut people = vec![];
        for i in 1..=agents {
            people.push(crm.create_user(org.id, user(i, "agent")).await.unwrap());
        }
        let list = crm.create_call_list(&manager, "Bench", "").await.unwrap();
        let rows: Vec<crm::outbound::NewNumber> = (0..(seconds as usize * agents / 8).max(500))
            .map(|i| crm::outbound::NewNumber {
                typed: format!("600 {:03} {:03}", i / 1000, i % 1000),
                ..Default::default()
            })
            .collect();
        crm.add_list_numbers(&manager, list.id, &rows).await.unwrap();
        let outcome = crm.add_list_outcome(&manager, "Done", crm::outbound::Kind::Final, 0).await.unwrap();
        let t = std::time::Instant::now();
        let r = run(&crm, &people, list.id, outcome.id, mode, &traffic).await.unwrap();
        println!(
            "{mode:?}: {} placed, {} answered, {} connected, {} abandoned ({:.2}%, cap 3%), longest wait for the message {:.0} s, occupancy {:.0}%, {:.1} calls per agent-hour (simulated in {:.0} s)",
            r.placed,
            r.answered,
            r.connected,
            r.abandoned,
            r.abandonment * 100.0,
            r.longest_message_delay,
            r.occupancy * 100.0,
            r.calls_per_agent_hour,
            t.elapsed().as_secs_f64()
        );
    }
}
