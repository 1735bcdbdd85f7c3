//! The billing page: a manager keeps a trunk's rate table (bad input refused in their language,
//! nothing changed), sees the calls priced with their totals and exports exactly them; an agent
//! without a billing section is refused.

use crate::TestApp;
use reqwest::StatusCode;

#[tokio::test]
async fn a_manager_keeps_the_rates_and_sees_the_calls_priced() {
    let app = TestApp::spawn().await;
    let alice = app.browser_as("alice").await;
    let org = app.acme_admin.org_id;
    let t = crm::sip::trunks::NewTrunk {
        name: "Carrier".into(),
        host: "192.0.2.2".into(),
        port: 5060,
        transport: "udp".into(),
        ..Default::default()
    };
    let trunk = app.crm.create_trunk(org, t).await.unwrap().id.to_string();
    let fields = |per_minute: &'static str| {
        let trunk = trunk.clone();
        move || {
            vec![
                ("trunk_id", trunk.clone()),
                ("direction", "outbound".to_string()),
                ("prefix", "48".to_string()),
                ("per_minute", per_minute.to_string()),
                ("first_seconds", "1".to_string()),
                ("increment_seconds", "1".to_string()),
                ("connect_fee", String::new()),
            ]
        }
    };
    let post = |f: Vec<(&'static str, String)>| {
        let (alice, app) = (&alice, &app);
        async move {
            let owned: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form(alice, "/billing", "/billing/rates", &owned).await
        }
    };
    let bad = post(fields("0.12345")()).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("up to four decimals"), "the error in her words");
    assert!(app.crm.trunk_rates(org).await.unwrap().is_empty(), "nothing saved");
    assert_eq!(post(fields("0,12")()).await.status(), StatusCode::SEE_OTHER);
    let rates = app.crm.trunk_rates(org).await.unwrap();
    assert_eq!((rates.len(), rates[0].per_minute), (1, 1200));

    let page = app.get(&alice, "/billing").await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("id=\"rate-table\"") && page.contains("0.1200"), "the rate listed");
    assert!(page.contains("id=\"total-calls\""), "the totals shown");
    let csv = app.get(&alice, "/billing/export?from=2026-01-01&to=2026-01-31").await;
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.text().await.unwrap();
    assert!(csv.contains("Cost") && csv.lines().count() == 1, "headers only: no calls then: {csv}");

    // A period the wrong way round: said so, in her language.
    let r = app.get(&alice, "/billing?from=2026-02-01&to=2026-01-01").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // An agent given no billing section is refused the page and the export.
    let bob = app.browser_as("bob").await;
    assert_eq!(app.get(&bob, "/billing").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get(&bob, "/billing/export").await.status(), StatusCode::FORBIDDEN);
}
