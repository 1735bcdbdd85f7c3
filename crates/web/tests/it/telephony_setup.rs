//! Telephony set-up on the admin page: what the CLI does, with its checks, in the user's
//! language; nobody but administrators may touch it.

use crate::TestApp;
use reqwest::StatusCode;

#[tokio::test]
async fn an_administrator_sets_up_trunk_group_number_and_dial_rules_on_the_page() {
    let app = TestApp::spawn().await;
    let alice = app.browser_as("alice").await;
    let page = "/admin/telephony";
    let form = |action: &'static str, fields: &'static [(&'static str, &'static str)]| {
        let (alice, app) = (&alice, &app);
        async move { app.post_form(alice, page, action, fields).await }
    };
    let r = form("/admin/telephony/trunks", &[("name", "Carrier"), ("host", "192.0.2.2"), ("port", "5070")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r =
        form("/admin/telephony/groups", &[("name", "Sales"), ("members", "100, 101"), ("ring_seconds", "15")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let org = app.acme_admin.org_id;
    let group = app.crm.ring_groups(org).await.unwrap()[0].id;
    let target = format!("group:{group}");
    let r = app
        .post_form(&alice, page, "/admin/telephony/numbers", &[("number", "+48 22 123 45 67"), ("target", &target)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = form("/admin/telephony/numbers", &[("number", "48221234568"), ("target", "ext:101")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        form("/admin/telephony/rules", &[("prefix", "48"), ("action", "allow")]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        form("/admin/telephony/rules", &[("prefix", "48700"), ("action", "deny")]).await.status(),
        StatusCode::SEE_OTHER
    );
    let shown = app.get(&alice, page).await.text().await.unwrap();
    for text in ["Carrier", "192.0.2.2:5070 UDP", "Sales", "+48221234567", "+48221234568", "48700…"] {
        assert!(shown.contains(text), "{text} listed: {shown}");
    }
    let trunks = app.crm.trunks(org).await.unwrap();
    assert_eq!((trunks.len(), trunks[0].port, trunks[0].inbound_addresses.as_str()), (1, 5070, "192.0.2.2"));
    assert_eq!(app.crm.numbers(org).await.unwrap().len(), 2);
    let rules = app.crm.dial_rules(org).await.unwrap();
    assert!(
        crm::sip::trunks::dial_allowed(&rules, "48221111111") && !crm::sip::trunks::dial_allowed(&rules, "48700123456")
    );

    // Bad values: a clear error in the user's language, and nothing changes.
    app.post_form(&alice, "/account", "/account/language", &[("language", "pl")]).await;
    let r = form("/admin/telephony/trunks", &[("name", "Bad"), ("host", "bad host!"), ("port", "99999")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("Wpisz nazwę lub adres serwera operatora."), "{body}");
    let r = form("/admin/telephony/numbers", &[("number", "48221234568"), ("target", "ext:101")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "a number in use");
    let r = form("/admin/telephony/numbers", &[("number", "48229999999"), ("target", "ext:999")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "no such extension");
    let r = form("/admin/telephony/rules", &[("prefix", "48 abc"), ("action", "allow")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = form("/admin/telephony/sip-domain", &[("sip_domain", "bad domain")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.crm.trunks(org).await.unwrap().len(), 1);
    assert_eq!(app.crm.numbers(org).await.unwrap().len(), 2);
    assert_eq!(app.crm.dial_rules(org).await.unwrap().len(), 2);
    // The SIP domain changes, and routing knows it at once.
    let r = form("/admin/telephony/sip-domain", &[("sip_domain", "Acme.Example")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    use telephony::SipDirectory;
    assert_eq!(app.crm.tenant_for_domain("acme.example").await.map(|t| t.id), Some(org.0));

    // An agent may not see or change any of it.
    let bob = app.browser_as("bob").await;
    assert_eq!(app.get(&bob, page).await.status(), StatusCode::FORBIDDEN);
}

/// An administrator tries trunks that point at Switchboard itself or are not host names: each
/// is refused with the field's message in Polish, and nothing is stored.
#[tokio::test]
async fn trunks_that_point_at_switchboard_itself_or_are_no_host_are_refused_in_the_users_language() {
    let app = TestApp::spawn().await;
    app.crm.listening_on(&["127.0.0.1:8080".parse().unwrap(), "10.20.30.40:5060".parse().unwrap()]);
    let alice = app.browser_as("alice").await;
    app.post_form(&alice, "/account", "/account/language", &[("language", "pl")]).await;
    let long_host = format!("{}carrier.pl", "a.".repeat(130));
    let long_name = "N".repeat(101);
    let own = "To adres samego Switchboard";
    let cases: Vec<(&str, &str, &str, &str, &str)> = vec![
        ("Carrier", "127.0.0.1", "5060", "", own),
        ("Carrier", "127.0.0.53", "5060", "", own),
        ("Carrier", "localhost", "5060", "", own),
        ("Carrier", "0.0.0.0", "5060", "", own),
        ("Carrier", "::", "5060", "", own),
        ("Carrier", "[::1]", "5060", "", own),
        ("Carrier", "10.20.30.40", "5070", "", own),
        ("Carrier", "192.0.2.10", "5060", "127.0.0.1", own),
        ("Carrier", &long_host, "5060", "192.0.2.10", "Wpisz nazwę lub adres serwera operatora."),
        ("Carrier", "sip.carrier.pl;x=1", "5060", "192.0.2.10", "Wpisz nazwę lub adres serwera operatora."),
        (&long_name, "192.0.2.10", "5060", "", "Nazwa trunku może mieć najwyżej 100 znaków."),
    ];
    for (name, host, port, inbound, message) in cases {
        let fields = [("name", name), ("host", host), ("port", port), ("inbound", inbound)];
        let r = app.post_form(&alice, "/admin/telephony", "/admin/telephony/trunks", &fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{host}:{port} ({inbound})");
        let body = r.text().await.unwrap();
        assert!(body.contains(message), "{host}:{port}: {message} in {body}");
    }
    assert!(app.crm.trunks(app.acme_admin.org_id).await.unwrap().is_empty(), "nothing stored");
}

#[tokio::test]
async fn a_user_sees_what_a_phone_needs_and_the_sip_password_only_when_asked() {
    let app = TestApp::spawn().await;
    let bob = app.browser_as("bob").await;
    let page = app.get(&bob, "/account").await.text().await.unwrap();
    let secret = app.crm.user(app.acme_agent.org_id, app.acme_agent.id).await.unwrap().sip_password;
    assert!(page.contains("acme.switchboard") && page.contains(">101<"), "domain and user name: {page}");
    assert!(!page.contains(&secret), "the SIP password is not on the page until asked for");
    let r = app.post_form(&bob, "/account", "/account/phone", &[("action", "show")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains(&secret), "shown on demand");
    // A new one: the old one no longer registers.
    let r = app.post_form(&bob, "/account", "/account/phone", &[("action", "new")]).await;
    let body = r.text().await.unwrap();
    let fresh = app.crm.user(app.acme_agent.org_id, app.acme_agent.id).await.unwrap().sip_password;
    assert!(fresh != secret && body.contains(&fresh), "a new SIP password, shown");
    use telephony::SipDirectory;
    let tenant = app.crm.tenant_for_domain("acme.switchboard").await.unwrap();
    assert_eq!(app.crm.extension_secret(&tenant, "101").await.as_deref(), Some(fresh.as_str()));
    // Without the form's token nothing happens.
    let r = bob.post(app.url("/account/phone")).form(&[("action", "new")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.crm.user(app.acme_agent.org_id, app.acme_agent.id).await.unwrap().sip_password, fresh);
    // A manager may not see an administrator's phone; the administrator sees anyone's.
    let admin = &app.acme_admin;
    assert!(matches!(app.crm.phone_setup(&app.acme_agent, admin.id, true).await, Err(crm::CrmError::Forbidden)));
    assert!(app.crm.phone_setup(admin, app.acme_agent.id, true).await.unwrap().password.is_some());
}
