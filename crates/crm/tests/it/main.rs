//! Domain rules, proven on every available backend (SQLite always, PostgreSQL when present).

use chrono::Duration;
use crm::identity::auth::LoginRequest;
use crm::identity::users::{NewUser, UserUpdate};
use crm::missed::{MissedState, RemovalCause, StepKind, StepResult};
use crm::sip::trunks::NumberRoute;
use crm::{Crm, CrmError, Language, OrgSlug, Role, UserId};

mod billing;
mod outbound;
mod queues;
mod recording;
mod reports;
mod telephony_edits;

async fn crms(dir: &std::path::Path) -> Vec<(&'static str, Crm)> {
    let mut out = Vec::new();
    for (name, store) in store::testing::backends(dir).await {
        let settings = crm::CrmSettings { files: dir.join(format!("files-{name}")), ..Default::default() };
        out.push((name, Crm::start_with(store, settings).await.unwrap()));
    }
    out
}

fn new_user(name: &str, ext: &str, role: &str) -> NewUser {
    NewUser {
        username: name.into(),
        full_name: format!("{name} Kowalska"),
        extension: ext.into(),
        role: role.into(),
        language: "pl".into(),
        password: format!("{name}-password"),
        ..Default::default()
    }
}

fn login<'a>(ident: &'a str, pw: &'a str) -> LoginRequest<'a> {
    LoginRequest { identifier: ident, password: pw, address: "192.0.2.1", language: Language::En, previous: None }
}

#[tokio::test]
async fn login_by_name_or_extension_and_organization_suffix() {
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let acme = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let globex = crm.create_org(&OrgSlug::parse("globex").unwrap(), "Globex").await.unwrap();
        crm.create_user(acme.id, new_user("anna", "1001", "agent")).await.unwrap();
        crm.create_user(globex.id, new_user("gina", "1001", "agent")).await.unwrap();
        assert_eq!(crm.login(login("anna", "anna-password")).await.unwrap().user.username, "anna", "{b}");
        // 1001 exists in two organizations: ambiguous without the suffix, clear with it.
        assert!(matches!(crm.login(login("1001", "anna-password")).await, Err(CrmError::AmbiguousOrganization)), "{b}");
        let u = crm.login(login("1001@globex", "gina-password")).await.unwrap().user;
        assert_eq!((u.username.as_str(), u.org_id), ("gina", globex.id), "{b}");
        assert!(
            matches!(crm.login(login("1001@acme", "gina-password")).await, Err(CrmError::InvalidCredentials)),
            "{b}"
        );
    }
}

#[tokio::test]
async fn five_failures_in_a_minute_lock_the_account_for_a_while() {
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        crm.create_user(o.id, new_user("anna", "1001", "agent")).await.unwrap();
        for _ in 0..5 {
            assert!(
                matches!(crm.login(login("anna", "wrong-password")).await, Err(CrmError::InvalidCredentials)),
                "{b}"
            );
        }
        assert!(matches!(crm.login(login("anna", "anna-password")).await, Err(CrmError::LoginLocked)), "{b}: locked");
        crm.clock().advance(Duration::minutes(6));
        assert!(crm.login(login("anna", "anna-password")).await.is_ok(), "{b}: the lock ends");
    }
}

#[tokio::test]
async fn an_address_that_keeps_failing_is_locked_for_every_account() {
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        crm.create_user(o.id, new_user("anna", "1001", "agent")).await.unwrap();
        for i in 0..crm::identity::throttle::MAX_ADDRESS_FAILURES {
            let name = format!("nobody{i}");
            assert!(crm.login(login(&name, "whatever-pass")).await.is_err());
        }
        assert!(matches!(crm.login(login("anna", "anna-password")).await, Err(CrmError::LoginLocked)), "{b}");
        let other = LoginRequest { address: "192.0.2.99", ..login("anna", "anna-password") };
        assert!(crm.login(other).await.is_ok(), "{b}: another address is not locked");
    }
}

/// Forty wrong passwords sent at once get five password checks, not forty; every name of a
/// user (name, extension, with or without @organization, any case) is one account; the real
/// user logs in from another address meanwhile; a new password ends the user's other sessions.
#[tokio::test]
async fn password_guessing_is_counted_at_once_per_account_and_a_new_password_ends_other_sessions() {
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        crm.create_user(o.id, new_user("anna", "1001", "agent")).await.unwrap();
        crm.create_user(o.id, new_user("beata", "1002", "agent")).await.unwrap();
        let tries = (0..40).map(|i| {
            let crm = crm.clone();
            async move { crm.login(login("anna", &format!("guess-{i:02}-pass"))).await }
        });
        let results = futures_util::future::join_all(tries).await;
        let checked = results.iter().filter(|r| matches!(r, Err(CrmError::InvalidCredentials))).count();
        let refused = results.iter().filter(|r| matches!(r, Err(CrmError::LoginLocked))).count();
        assert!(checked <= crm::identity::throttle::MAX_FAILURES, "{b}: {checked} passwords checked");
        assert_eq!(checked + refused, 40, "{b}");
        let elsewhere = LoginRequest { address: "192.0.2.77", ..login("anna", "anna-password") };
        let first = crm.login(elsewhere).await.expect("the real user, from another address");

        for name in ["beata", "1002", "BEATA@acme", "1002@acme", "Beata"] {
            assert!(matches!(crm.login(login(name, "wrong-password")).await, Err(CrmError::InvalidCredentials)));
        }
        assert!(
            matches!(crm.login(login("beata@acme", "beata-password")).await, Err(CrmError::LoginLocked)),
            "{b}: five names of one account"
        );

        let second = crm.login(LoginRequest { address: "192.0.2.78", ..login("anna", "anna-password") }).await.unwrap();
        let (secret, _) = crm.create_token(&second.user, "integration").await.unwrap();
        crm.change_own_password(&second.user, "anna-password", "anna-new-password", Some(&second.session), false)
            .await
            .unwrap();
        assert!(crm.session(&first.token).await.unwrap().is_none(), "{b}: the other session ended");
        assert!(crm.session(&second.token).await.unwrap().is_some(), "{b}: the one it was changed from stays");
        assert!(crm.authenticate_token(&secret).await.unwrap().is_some(), "{b}: tokens stay unless asked");
        let anna = crm.session_user(&crm.session(&second.token).await.unwrap().unwrap()).await.unwrap().unwrap();
        crm.change_own_password(&anna, "anna-new-password", "anna-third-password", Some(&second.session), true)
            .await
            .unwrap();
        assert!(crm.authenticate_token(&secret).await.unwrap().is_none(), "{b}: and revoked when asked");
    }
}

#[tokio::test]
async fn seats_limit_concurrent_users_and_logout_frees_one() {
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        crm.set_seats(o.id, 1).await.unwrap_or_else(|e| panic!("{b}: {e:?}"));
        crm.create_user(o.id, new_user("anna", "1001", "agent")).await.unwrap();
        crm.create_user(o.id, new_user("beata", "1002", "agent")).await.unwrap();
        let anna = crm.login(login("anna", "anna-password")).await.unwrap();
        assert!(matches!(crm.login(login("beata", "beata-password")).await, Err(CrmError::NoFreeLicences)), "{b}");
        // The same user on a second device takes no second seat.
        assert!(crm.login(login("anna", "anna-password")).await.is_ok(), "{b}");
        crm.end_session(&anna.session).await.unwrap();
        let again = crm.session(&anna.token).await.unwrap();
        assert!(again.is_none(), "{b}: an ended session is gone");
        // anna's second session still holds the seat.
        assert!(matches!(crm.login(login("beata", "beata-password")).await, Err(CrmError::NoFreeLicences)), "{b}");
        crm.clock().advance(Duration::hours(13));
        assert!(
            crm.login(login("beata", "beata-password")).await.is_ok(),
            "{b}: idle sessions expire and free their seat"
        );
    }
}

#[tokio::test]
async fn login_starts_a_new_session_and_ends_the_anonymous_one() {
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        crm.create_user(o.id, new_user("anna", "1001", "agent")).await.unwrap();
        let (anon_token, anon) = crm.anonymous_session(Language::He).await.unwrap();
        let req = LoginRequest { previous: Some(&anon), language: Language::He, ..login("anna", "anna-password") };
        let done = crm.login(req).await.unwrap();
        assert_ne!(done.token, anon_token, "{b}");
        assert_ne!(done.session.csrf_token, anon.csrf_token, "{b}");
        assert!(crm.session(&anon_token).await.unwrap().is_none(), "{b}: the old id is dead");
        assert_eq!(done.user.language, Language::He, "{b}: the chosen language is remembered");
    }
}

#[tokio::test]
async fn invalid_users_are_refused_whole_and_unique_per_org() {
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let bad = NewUser {
            extension: "12a".into(),
            role: "boss".into(),
            password: "short".into(),
            ..new_user("anna", "", "")
        };
        match crm.create_user(o.id, bad).await {
            Err(CrmError::Invalid(fields)) => {
                let names: Vec<_> = fields.iter().map(|f| f.field).collect();
                assert_eq!(names, ["extension", "role", "password"], "{b}: every bad field is named");
            }
            other => panic!("{b}: {other:?}"),
        }
        assert!(crm.users(o.id).await.unwrap().is_empty(), "{b}: nothing written");
        crm.create_user(o.id, new_user("anna", "1001", "admin")).await.unwrap();
        let e = crm.create_user(o.id, new_user("beata", "1001", "agent")).await.unwrap_err();
        assert_eq!(e.code(), "err-extension-taken", "{b}");
        let e = crm.create_user(o.id, new_user("ANNA", "1002", "agent")).await.unwrap_err();
        assert_eq!(e.code(), "err-username-taken", "{b}: names are case-insensitive");
    }
}

#[tokio::test]
async fn the_last_admin_stays_and_deactivation_ends_sessions() {
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let admin = crm.create_user(o.id, new_user("anna", "1001", "admin")).await.unwrap();
        let agent = crm.create_user(o.id, new_user("beata", "1002", "agent")).await.unwrap();
        let e = crm.update_user(o.id, admin.id, UserUpdate { role: Some("agent".into()), ..Default::default() }).await;
        assert_eq!(e.unwrap_err().code(), "err-last-admin", "{b}");
        assert_eq!(crm.user(o.id, admin.id).await.unwrap().role, Role::Admin, "{b}: unchanged");
        let s = crm.login(login("beata", "beata-password")).await.unwrap();
        crm.update_user(o.id, agent.id, UserUpdate { active: Some(false), ..Default::default() }).await.unwrap();
        assert!(crm.session(&s.token).await.unwrap().is_none(), "{b}: the session ended");
        assert!(matches!(crm.login(login("beata", "beata-password")).await, Err(CrmError::InvalidCredentials)), "{b}");
    }
}

#[tokio::test]
async fn one_organization_never_reads_another() {
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let a = crm.create_org(&OrgSlug::parse("a").unwrap(), "A").await.unwrap();
        let z = crm.create_org(&OrgSlug::parse("z").unwrap(), "Z").await.unwrap();
        let ua = crm.create_user(a.id, new_user("anna", "1001", "admin")).await.unwrap();
        let uz = crm.create_user(z.id, new_user("zofia", "1001", "admin")).await.unwrap();
        assert!(matches!(crm.user(a.id, uz.id).await, Err(CrmError::NotFound)), "{b}");
        let upd = UserUpdate { full_name: Some("hacked".into()), ..Default::default() };
        assert!(matches!(crm.update_user(a.id, uz.id, upd).await, Err(CrmError::NotFound)), "{b}");
        assert_eq!(crm.user(z.id, uz.id).await.unwrap().full_name, "zofia Kowalska", "{b}");
        let (_, tz) = crm.create_token(&uz, "z-token").await.unwrap();
        assert!(matches!(crm.revoke_token(&ua, tz.id).await, Err(CrmError::NotFound)), "{b}");
        assert_eq!(crm.users(a.id).await.unwrap().len(), 1, "{b}");
        assert!(matches!(crm.user(a.id, UserId(999_999)).await, Err(CrmError::NotFound)));
    }
}

#[tokio::test]
async fn tokens_authenticate_until_revoked() {
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let u = crm.create_user(o.id, new_user("anna", "1001", "agent")).await.unwrap();
        let (secret, t) = crm.create_token(&u, "crm sync").await.unwrap();
        assert!(secret.starts_with("sbt_") && secret.starts_with(&t.prefix), "{b}");
        assert_eq!(crm.authenticate_token(&secret).await.unwrap().unwrap().id, u.id, "{b}");
        assert!(crm.authenticate_token("sbt_nope").await.unwrap().is_none(), "{b}");
        crm.revoke_token(&u, t.id).await.unwrap();
        assert!(crm.authenticate_token(&secret).await.unwrap().is_none(), "{b}: revoked");
    }
}

#[tokio::test]
async fn bootstrap_creates_one_admin_with_a_one_time_password_once() {
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let (org, admin, pw) = crm.bootstrap().await.unwrap().expect("first start");
        assert!(admin.must_change_password && admin.is_admin(), "{b}");
        assert_eq!(org.slug, "default");
        assert!(crm.bootstrap().await.unwrap().is_none(), "{b}: only once");
        let done = crm.login(login("admin", &pw)).await.unwrap();
        crm.change_own_password(&done.user, &pw, "a-new-password", Some(&done.session), false).await.unwrap();
        let u = crm.user(org.id, admin.id).await.unwrap();
        assert!(!u.must_change_password, "{b}");
    }
}

#[tokio::test]
async fn trunks_numbers_groups_and_dial_rules_route_calls() {
    use telephony::{InboundRoute, SipDirectory};
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let acme = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let globex = crm.create_org(&OrgSlug::parse("globex").unwrap(), "Globex").await.unwrap();
        crm.create_user(acme.id, new_user("anna", "1001", "agent")).await.unwrap();
        crm.create_user(acme.id, new_user("beata", "1002", "agent")).await.unwrap();
        crm.create_user(globex.id, new_user("gina", "1001", "agent")).await.unwrap();
        let t = crm::sip::trunks::NewTrunk {
            name: "carrier".into(),
            host: "192.0.2.10".into(),
            port: 5060,
            transport: "udp".into(),
            inbound_addresses: vec!["192.0.2.10".into(), "192.0.2.11".into()],
            ..Default::default()
        };
        crm.create_trunk(acme.id, t).await.unwrap();
        crm.add_number(acme.id, "+48 22 123 45 67", NumberRoute::of(Some("1002"), None, None)).await.unwrap();
        let g = crm.create_ring_group(acme.id, "sales", &["1001".into(), "1002".into()], false, 15).await.unwrap();
        crm.add_number(acme.id, "48220000001", NumberRoute::of(None, Some(g.id), None)).await.unwrap();
        crm.add_dial_rule(acme.id, "0", true).await.unwrap();
        crm.add_dial_rule(acme.id, "00", false).await.unwrap();

        let trunks = crm.trunks_for_source("192.0.2.11".parse().unwrap()).await;
        assert_eq!(trunks.len(), 1, "{b}: a carrier address");
        let trunk = trunks[0].clone();
        assert_eq!(trunk.tenant.id, acme.id.0, "{b}");
        assert!(crm.trunks_for_source("192.0.2.99".parse().unwrap()).await.is_empty(), "{b}: not a carrier");
        assert_eq!(
            crm.route_inbound(&trunk.tenant, "48221234567").await,
            Some(InboundRoute::Extension("1002".into())),
            "{b}"
        );
        match crm.route_inbound(&trunk.tenant, "+48220000001").await {
            Some(InboundRoute::Group { members, parallel: false, ring }) => {
                assert_eq!((members, ring.as_secs()), (vec!["1001".to_string(), "1002".to_string()], 15), "{b}")
            }
            other => panic!("{b}: {other:?}"),
        }
        let out = crm.route_outbound(&trunk.tenant, "1002", "0221234567").await.expect("national allowed");
        assert_eq!((out.caller_id.as_str(), out.trunk.host.as_str()), ("48221234567", "192.0.2.10"), "{b}");
        assert!(
            crm.route_outbound(&trunk.tenant, "1002", "0012125550100").await.is_none(),
            "{b}: international refused"
        );
        // The same number dressed up: never past the rules, and what goes out is what they saw.
        for dressed in ["0-0012125550100", "0*0012125550100", "0#0012125550100", "0%2B12125550100", "0%30012125550100"]
        {
            assert!(crm.route_outbound(&trunk.tenant, "1002", dressed).await.is_none(), "{b}: {dressed}");
        }
        let out = crm.route_outbound(&trunk.tenant, "1002", "0-22-123-45-67").await.expect("national allowed");
        assert_eq!(out.number, "0221234567", "{b}: the carrier gets the number the rules judged");
        // Another organization has no trunk, no rules, and never reaches acme's numbers.
        let gt = crm.tenant_for_domain(&globex.sip_domain).await.unwrap();
        assert!(crm.route_inbound(&gt, "48221234567").await.is_none(), "{b}");
        assert!(crm.route_outbound(&gt, "1001", "0221234567").await.is_none(), "{b}");
        // Both organizations use the same carrier: a call from its address is offered to both,
        // and each number routes in its own organization only.
        let shared = crm::sip::trunks::NewTrunk {
            name: "same carrier".into(),
            host: "192.0.2.10".into(),
            port: 5060,
            transport: "udp".into(),
            ..Default::default()
        };
        crm.create_trunk(globex.id, shared).await.unwrap();
        crm.add_number(globex.id, "48229990000", NumberRoute::of(Some("1001"), None, None)).await.unwrap();
        let both = crm.trunks_for_source("192.0.2.10".parse().unwrap()).await;
        let orgs: Vec<i64> = both.iter().map(|t| t.tenant.id).collect();
        assert_eq!(orgs, vec![acme.id.0, globex.id.0], "{b}");
        assert_eq!(
            crm.route_inbound(&both[1].tenant, "48229990000").await,
            Some(InboundRoute::Extension("1001".into()))
        );
        assert!(crm.route_inbound(&both[0].tenant, "48229990000").await.is_none(), "{b}: not acme's number");
        // Bad set-up is refused clearly.
        assert_eq!(
            crm.add_number(acme.id, "48221234567", NumberRoute::of(Some("1001"), None, None)).await.unwrap_err().code(),
            "err-number-taken"
        );
        assert_eq!(
            crm.add_number(acme.id, "48229999999", NumberRoute::of(Some("7777"), None, None)).await.unwrap_err().code(),
            "err-extension-unknown"
        );
        assert_eq!(
            crm.add_number(globex.id, "48229999999", NumberRoute::of(None, Some(g.id), None)).await.unwrap_err().code(),
            "err-group-unknown",
            "{b}: another organization's group"
        );
        assert_eq!(crm.add_dial_rule(acme.id, "1a", true).await.unwrap_err().code(), "err-dial-prefix");
        assert!(crm.trunks_to_register().await.is_empty(), "{b}: nothing registers by default");
        let reg = crm::sip::trunks::NewTrunk {
            name: "reg".into(),
            host: "192.0.2.20".into(),
            port: 5060,
            transport: "udp".into(),
            register: true,
            ..Default::default()
        };
        assert_eq!(
            crm.create_trunk(acme.id, reg.clone()).await.unwrap_err().code(),
            "err-trunk-register",
            "{b}: registering needs a user name"
        );
        crm.create_trunk(
            acme.id,
            crm::sip::trunks::NewTrunk { username: Some("acme".into()), password: Some("pw".into()), ..reg },
        )
        .await
        .unwrap();
        let regs = crm.trunks_to_register().await;
        assert_eq!((regs.len(), regs[0].host.as_str(), regs[0].tenant.id), (1, "192.0.2.20", acme.id.0), "{b}");
    }
}

#[tokio::test]
async fn an_organization_owns_the_address_set_as_its_sip_domain() {
    use telephony::SipDirectory;
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let a = crm.create_org(&OrgSlug::parse("a").unwrap(), "A").await.unwrap();
        let z = crm.create_org(&OrgSlug::parse("z").unwrap(), "Z").await.unwrap();
        assert!(crm.tenant_for_domain("10.1.2.3").await.is_none(), "{b}: two organizations, nobody owns it yet");
        crm.set_sip_domain(z.id, "10.1.2.3").await.unwrap();
        let t = crm.tenant_for_domain("10.1.2.3").await.unwrap();
        assert_eq!((t.id, t.realm.as_str()), (z.id.0, "10.1.2.3"), "{b}");
        assert_eq!(crm.set_sip_domain(a.id, "10.1.2.3").await.unwrap_err().code(), "err-sip-domain-taken", "{b}");
        assert_eq!(crm.set_sip_domain(a.id, "bad domain").await.unwrap_err().code(), "err-sip-domain", "{b}");
        assert_eq!(crm.tenant_for_domain(&a.sip_domain).await.unwrap().id, a.id.0, "{b}: a still has its own");
    }
}

fn call_event(
    tenant: i64,
    from: &str,
    direction: telephony::events::Direction,
    cause: telephony::events::EndCause,
    minute: i64,
) -> telephony::events::CallEvent {
    let at = chrono::Utc::now() + Duration::minutes(minute);
    let kind = telephony::events::CallEventKind::Ended { cause };
    ev(tenant, &format!("c{minute}"), direction, from, "48221234567", None, at, kind)
}

/// Gives the CRM a call event the way the SIP server does (`Crm::follow`, which `Crm::attach`
/// uses), and waits until it is recorded.
async fn send(crm: &Crm, ev: telephony::events::CallEvent) {
    let (tx, _) = tokio::sync::broadcast::channel(4);
    let mut following = crm.follow(tx.subscribe());
    tx.send(ev).unwrap();
    following.recorded(1).await;
}

#[tokio::test]
async fn missed_calls_keep_one_row_per_caller_until_the_caller_gets_through() {
    use crm::missed::MissedView;
    use telephony::events::{Direction, EndCause};
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let z = crm.create_org(&OrgSlug::parse("zeta").unwrap(), "Zeta").await.unwrap();
        let t = o.id.0;
        for (i, cause) in [EndCause::NoAnswer, EndCause::Cancelled, EndCause::Busy].into_iter().enumerate() {
            send(&crm, call_event(t, "+48 600 111 222", Direction::Inbound, cause, i as i64)).await;
        }
        send(&crm, call_event(t, "48600999888", Direction::Inbound, EndCause::NoAnswer, 5)).await;
        // Not missed: outbound and internal calls, and answered ones.
        send(&crm, call_event(t, "1001", Direction::Internal, EndCause::NoAnswer, 6)).await;
        send(&crm, call_event(t, "1001", Direction::Outbound, EndCause::Busy, 7)).await;
        let rows = crm.missed_calls(o.id, MissedView::In(crm::missed::MissedState::Visible), 100).await.unwrap();
        assert_eq!(rows.len(), 2, "{b}: one row per caller");
        let first = rows.iter().find(|r| r.caller == "48600111222").unwrap();
        assert_eq!((first.count, first.called_number.as_str()), (3, "48221234567"), "{b}");
        assert!(
            crm.missed_calls(z.id, MissedView::All, 100).await.unwrap().is_empty(),
            "{b}: another organization sees none"
        );
        assert!(matches!(crm.missed_call(z.id, first.id).await, Err(CrmError::NotFound)), "{b}");

        // The caller calls again and is answered: the row leaves the list, with its cause.
        send(&crm, call_event(t, "48600111222", Direction::Inbound, EndCause::Answered, 10)).await;
        assert_eq!(
            crm.missed_calls(o.id, MissedView::In(crm::missed::MissedState::Visible), 100).await.unwrap().len(),
            1,
            "{b}"
        );
        let (row, history) = crm.missed_call(o.id, first.id).await.unwrap();
        assert_eq!((row.state, row.removed_cause), (MissedState::Removed, Some(RemovalCause::AnsweredAgain)), "{b}");
        let kinds: Vec<&str> = history.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(kinds, ["missed", "missed", "missed", "removed"], "{b}: the whole story");
        assert_eq!(
            crm.missed_calls(o.id, MissedView::In(crm::missed::MissedState::Removed), 100).await.unwrap().len(),
            1,
            "{b}"
        );

        // Missing again later starts a new row; the removed one stays in the record.
        send(&crm, call_event(t, "48600111222", Direction::Inbound, EndCause::NoAnswer, 20)).await;
        assert_eq!(crm.missed_calls(o.id, MissedView::All, 100).await.unwrap().len(), 3, "{b}");
    }
}

#[tokio::test]
async fn only_managers_hide_and_restore_and_old_rows_expire() {
    use crm::missed::MissedView;
    use telephony::events::{Direction, EndCause};
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let agent = crm.create_user(o.id, new_user("anna", "1001", "agent")).await.unwrap();
        let manager = crm.create_user(o.id, new_user("beata", "1002", "manager")).await.unwrap();
        send(&crm, call_event(o.id.0, "48600111222", Direction::Inbound, EndCause::NoAnswer, 0)).await;
        let id = crm.missed_calls(o.id, MissedView::In(crm::missed::MissedState::Visible), 10).await.unwrap()[0].id;
        assert!(matches!(crm.hide_missed(&agent, id, "spam").await, Err(CrmError::Forbidden)), "{b}");
        assert_eq!(crm.missed_call(o.id, id).await.unwrap().0.state, MissedState::Visible, "{b}: nothing changed");
        crm.hide_missed(&manager, id, "a wrong number").await.unwrap();
        assert!(
            crm.missed_calls(o.id, MissedView::In(crm::missed::MissedState::Visible), 10).await.unwrap().is_empty(),
            "{b}"
        );
        assert_eq!(
            crm.missed_calls(o.id, MissedView::In(crm::missed::MissedState::Hidden), 10).await.unwrap().len(),
            1,
            "{b}"
        );
        assert_eq!(crm.hide_missed(&manager, id, "again").await.unwrap_err().code(), "err-missed-state", "{b}");
        crm.restore_missed(&manager, id).await.unwrap();
        let (_, history) = crm.missed_call(o.id, id).await.unwrap();
        let steps: Vec<(&str, Option<i64>)> = history.iter().map(|s| (s.kind.as_str(), s.user_id)).collect();
        assert_eq!(
            steps,
            [("missed", None), ("hidden", Some(manager.id.0)), ("restored", Some(manager.id.0))],
            "{b}: who did what"
        );
        assert_eq!(history[1].detail, "a wrong number");
        // Retention: 30 days without a new miss and the row is removed.
        assert_eq!(crm.expire_missed(o.id).await.unwrap(), 0, "{b}");
        crm.clock().advance(Duration::days(31));
        assert_eq!(crm.expire_missed(o.id).await.unwrap(), 1, "{b}");
        let (row, _) = crm.missed_call(o.id, id).await.unwrap();
        assert_eq!((row.state, row.removed_cause), (MissedState::Removed, Some(RemovalCause::Retention)), "{b}");
    }
}

#[tokio::test]
async fn settings_decide_who_hides_and_how_long_rows_stay() {
    use crm::missed::{MissedSettings, MissedView};
    use telephony::events::{Direction, EndCause};
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let agent = crm.create_user(o.id, new_user("anna", "1001", "agent")).await.unwrap();
        let manager = crm.create_user(o.id, new_user("beata", "1002", "manager")).await.unwrap();
        assert_eq!(crm.missed_settings(o.id).await.unwrap(), MissedSettings::default(), "{b}");
        let everyone = MissedSettings { retention_days: 7, hide_role: Role::Agent, ..Default::default() };
        assert!(matches!(crm.set_missed_settings(&agent, everyone).await, Err(CrmError::Forbidden)), "{b}");
        let bad = MissedSettings { retention_days: 0, min_callback_seconds: 4000, ..everyone };
        let e = crm.set_missed_settings(&manager, bad).await.unwrap_err();
        let CrmError::Invalid(fields) = e else { panic!("{b}: {e:?}") };
        let codes: Vec<&str> = fields.iter().map(|f| f.code).collect();
        assert_eq!(codes, ["err-retention-days", "err-min-callback"], "{b}: every mistake at once");
        assert_eq!(crm.missed_settings(o.id).await.unwrap(), MissedSettings::default(), "{b}: nothing changed");
        crm.set_missed_settings(&manager, everyone).await.unwrap();
        send(&crm, call_event(o.id.0, "48600111222", Direction::Inbound, EndCause::Cancelled, 0)).await;
        let id = crm.missed_calls(o.id, MissedView::In(crm::missed::MissedState::Visible), 10).await.unwrap()[0].id;
        crm.hide_missed(&agent, id, "").await.expect("everyone may hide now");
        crm.restore_missed(&agent, id).await.unwrap();
        crm.clock().advance(Duration::days(8));
        assert_eq!(crm.expire_all_missed().await.unwrap(), 1, "{b}: seven days of retention");
    }
}

#[tokio::test]
async fn sms_and_callbacks_from_a_row_are_its_history_and_its_statistics() {
    use crm::missed::{LastStatus, MissedFilter, MissedView};
    use telephony::events::{Direction, EndCause};
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let z = crm.create_org(&OrgSlug::parse("zeta").unwrap(), "Zeta").await.unwrap();
        let agent = crm.create_user(o.id, new_user("anna", "1001", "agent")).await.unwrap();
        for (i, caller) in ["48600000001", "48600000002", "48600000003"].iter().enumerate() {
            send(&crm, call_event(o.id.0, caller, Direction::Inbound, EndCause::NoAnswer, i as i64)).await;
        }
        let rows = crm.missed_calls(o.id, MissedView::In(crm::missed::MissedState::Visible), 10).await.unwrap();
        let (first, second) = (rows[2].id, rows[1].id);
        // SMS: recorded (no SMS channel yet), counted as an attempt.
        assert_eq!(crm.missed_sms(&agent, first, "  ").await.unwrap_err().code(), "err-sms-text", "{b}");
        assert_eq!(crm.missed_sms(&agent, first, &"x".repeat(1001)).await.unwrap_err().code(), "err-sms-text");
        let step = crm.missed_sms(&agent, first, "We will call you back at 3 pm").await.unwrap();
        assert_eq!((step.kind, step.result), (StepKind::Sms, Some(StepResult::Recorded)), "{b}");
        // Another organization's row is not found.
        let stranger = crm.create_user(z.id, new_user("zoe", "2001", "agent")).await.unwrap();
        assert!(matches!(crm.missed_sms(&stranger, first, "hi").await, Err(CrmError::NotFound)), "{b}");
        // A callback needs the telephony side; refused, it leaves nothing in the history.
        assert!(matches!(crm.missed_callback(&agent, second, None).await, Err(CrmError::CallRefused(_))), "{b}");
        let (row, history) = crm.missed_call(o.id, second).await.unwrap();
        assert_eq!((row.last_status, history.len()), (LastStatus::NeverTried, 1), "{b}");
        let (row, history) = crm.missed_call(o.id, first).await.unwrap();
        assert_eq!(row.last_status, LastStatus::SmsSent, "{b}");
        assert_eq!(history.iter().map(|s| s.user_id).collect::<Vec<_>>(), [None, Some(agent.id.0)], "{b}");
        // Statistics and the slices' lists.
        let all = MissedFilter { view: MissedView::All, per_page: 50, ..Default::default() };
        let s = crm.missed_stats(o.id, &all).await.unwrap();
        assert_eq!(
            s.by_status,
            [
                (LastStatus::CalledBack, 0),
                (LastStatus::SmsSent, 1),
                (LastStatus::Tried, 0),
                (LastStatus::NeverTried, 2)
            ],
            "{b}"
        );
        assert_eq!((s.removed, s.hidden, s.listed), (0, 0, 3), "{b}");
        let sms = MissedFilter { status: Some(LastStatus::SmsSent), ..all.clone() };
        let page = crm.missed_page(o.id, &sms).await.unwrap();
        assert_eq!((page.total, page.items[0].id), (1, first), "{b}");
        // A period that holds none of them.
        let later = MissedFilter { from: Some(chrono::Utc::now() + Duration::days(2)), ..all.clone() };
        assert_eq!(crm.missed_stats(o.id, &later).await.unwrap().listed, 0, "{b}");
        // Pages.
        let one = MissedFilter { per_page: 2, page: 2, ..all };
        let page = crm.missed_page(o.id, &one).await.unwrap();
        assert_eq!((page.total, page.items.len(), page.items[0].id), (3, 1, first), "{b}: latest first");
    }
}

/// A real SMTP server on loopback (Debian's python3-aiosmtpd), storing what it gets in a
/// maildir under `dir`.
struct SmtpServer {
    child: std::process::Child,
    port: u16,
    maildir: std::path::PathBuf,
}

impl SmtpServer {
    fn start(dir: &std::path::Path) -> SmtpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let maildir = dir.join(format!("maildir-{port}"));
        let mut child = std::process::Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3-aiosmtpd (scripts/test.sh installs it)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return SmtpServer { child, port, maildir };
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the SMTP server did not start");
    }

    /// The messages received so far, raw.
    fn messages(&self) -> Vec<String> {
        let Ok(rd) = std::fs::read_dir(self.maildir.join("new")) else { return vec![] };
        rd.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect()
    }

    async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..100 {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.messages()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn users_who_asked_get_an_email_for_every_missed_call() {
    use crm::identity::preferences::Preferences;
    use crm::missed::{MissedSettings, MissedView};
    use crm::organization::mail::MailSettings;
    use telephony::events::{Direction, EndCause};
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let smtp = SmtpServer::start(dir.path());
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let admin = crm.create_user(o.id, new_user("ada", "1000", "admin")).await.unwrap();
        let anna = crm.create_user(o.id, new_user("anna", "1001", "agent")).await.unwrap();
        let bea = crm.create_user(o.id, new_user("bea", "1002", "agent")).await.unwrap();
        let mail = MailSettings {
            host: "127.0.0.1".into(),
            port: smtp.port,
            security: "none".into(),
            from_address: "Switchboard <noreply@acme.test>".into(),
            ..Default::default()
        };
        assert!(matches!(crm.set_mail_settings(&anna, mail.clone()).await, Err(CrmError::Forbidden)), "{b}");
        let bad = MailSettings { from_address: "not an address".into(), port: 0, ..mail.clone() };
        assert!(matches!(crm.set_mail_settings(&admin, bad).await, Err(CrmError::Invalid(v)) if v.len() == 2), "{b}");
        crm.set_mail_settings(&admin, mail).await.unwrap();
        let p = |email: &str, on| Preferences { email: email.into(), missed_email: on, ..Default::default() };
        assert_eq!(crm.set_preferences(&anna, p("", true)).await.unwrap_err().code(), "err-email-needed", "{b}");
        assert_eq!(crm.set_preferences(&anna, p("anna@", true)).await.unwrap_err().code(), "err-email", "{b}");
        crm.set_preferences(&anna, p("anna@acme.test", true)).await.unwrap();
        crm.set_preferences(&bea, p("bea@acme.test", false)).await.unwrap();
        send(&crm, call_event(o.id.0, "48600111222", Direction::Inbound, EndCause::NoAnswer, 0)).await;
        let got = smtp.wait_for(1).await;
        assert_eq!(got.len(), 1, "{b}: anna asked, bea did not");
        assert!(got[0].contains("To: anna@acme.test") && got[0].contains("+48600111222"), "{b}: {}", got[0]);
        // The organization stops offering it: no more e-mails.
        let manager = crm.create_user(o.id, new_user("mia", "1003", "manager")).await.unwrap();
        let off = MissedSettings { email_offered: false, ..Default::default() };
        crm.set_missed_settings(&manager, off).await.unwrap();
        send(&crm, call_event(o.id.0, "48600111222", Direction::Inbound, EndCause::NoAnswer, 1)).await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(smtp.messages().len(), 1, "{b}");
        // A mail server that is down loses no missed call.
        drop(smtp);
        crm.set_missed_settings(&manager, MissedSettings::default()).await.unwrap();
        send(&crm, call_event(o.id.0, "48600111222", Direction::Inbound, EndCause::NoAnswer, 2)).await;
        let rows = crm.missed_calls(o.id, MissedView::In(crm::missed::MissedState::Visible), 10).await.unwrap();
        assert_eq!(rows[0].count, 3, "{b}");
        assert!(crm.send_mail(o.id, "x@acme.test", "s", "b").await.is_err(), "{b}: the failure is reported");
    }
}

#[allow(clippy::too_many_arguments)]
fn ev(
    tenant: i64,
    call: &str,
    direction: telephony::events::Direction,
    from: &str,
    to: &str,
    ext: Option<&str>,
    at: chrono::DateTime<chrono::Utc>,
    kind: telephony::events::CallEventKind,
) -> telephony::events::CallEvent {
    let call =
        telephony::ActiveCall::new(call.into(), tenant, direction, from.into(), to.into(), ext.map(str::to_string));
    telephony::events::CallEvent { call, at, kind }
}

#[tokio::test]
async fn the_call_log_and_shift_statistics_follow_the_call_events() {
    use crm::calls::log::{CallKind, CallLogFilter};
    use crm::contacts::NewContact;
    use telephony::events::{CallEventKind as K, Direction as D, EndCause};
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let anna = crm.create_user(o.id, new_user("anna", "101", "agent")).await.unwrap();
        let bea = crm.create_user(o.id, new_user("bea", "102", "agent")).await.unwrap();
        let manager = crm.create_user(o.id, new_user("mia", "109", "manager")).await.unwrap();
        let jan = NewContact {
            first_name: "Jan".into(),
            last_name: "Kowalski".into(),
            phone1: "600 111 222".into(),
            ..Default::default()
        };
        let jan = crm.create_contact(o.id, jan).await.unwrap();
        assert_eq!((jan.code.as_str(), jan.phone1_e164.as_str()), ("C000001", "48600111222"), "{b}");
        let bad = NewContact { last_name: "X".into(), phone1: "call me".into(), ..Default::default() };
        assert_eq!(crm.create_contact(o.id, bad).await.unwrap_err().code(), "err-phone", "{b}");
        // The screen pop names the contact; an unknown number offers a new one.
        let pop = crm.screen_pop(o.id, "48600111222").await.unwrap();
        assert_eq!(pop.contacts[0].name, "Jan Kowalski", "{b}");
        let pop = crm.screen_pop(o.id, "48600999888").await.unwrap();
        assert_eq!((pop.contacts.len(), pop.e164.as_deref()), (0, Some("48600999888")), "{b}");

        // The shift happens at noon in the organization's zone (whatever the time the test runs
        // at): "today" does not turn over in the middle of it.
        let tz = crm.org_tz(o.id).await.unwrap();
        let tomorrow = crm.clock().now().with_timezone(&tz).date_naive() + chrono::Days::new(1);
        let noon = tomorrow.and_hms_opt(12, 0, 0).unwrap().and_local_timezone(tz).unwrap();
        crm.clock().advance(noon.with_timezone(&chrono::Utc) - crm.clock().now());
        // anna: available, then a break (a reason managers keep).
        let lunch = crm.add_status_reason(&manager, "Lunch").await.unwrap();
        assert!(matches!(crm.add_status_reason(&anna, "Nap").await, Err(CrmError::Forbidden)), "{b}");
        assert_eq!(crm.set_agent_status(&anna, false, None).await.unwrap_err().code(), "err-reason-needed", "{b}");
        crm.set_agent_status(&anna, true, None).await.unwrap();
        crm.clock().advance(Duration::minutes(30));
        crm.set_agent_status(&anna, false, Some(lunch.id)).await.unwrap();
        crm.clock().advance(Duration::minutes(10));
        crm.set_agent_status(&anna, true, None).await.unwrap();

        // An inbound call from Jan: anna answers, talks 90 s, transfers to bea, who talks 30 s.
        let t0 = crm.clock().now();
        let s = |n: i64| t0 + Duration::seconds(n);
        let inbound =
            |kind, ext: Option<&str>, at| ev(o.id.0, "in-1", D::Inbound, "48600111222", "48221234567", ext, at, kind);
        send(&crm, inbound(K::Ringing, Some("101"), s(0))).await;
        send(&crm, inbound(K::Answered, Some("101"), s(5))).await;
        send(&crm, inbound(K::Held, Some("101"), s(60))).await;
        send(&crm, inbound(K::Transferred { to: "102".into() }, Some("102"), s(95))).await;
        send(&crm, inbound(K::Ended { cause: EndCause::Answered }, Some("102"), s(125))).await;
        // A call anna misses, and one she places.
        let missed = |kind, at| ev(o.id.0, "in-2", D::Inbound, "48600999888", "48221234567", Some("101"), at, kind);
        send(&crm, missed(K::Ringing, s(200))).await;
        send(&crm, missed(K::Ended { cause: EndCause::Cancelled }, s(220))).await;
        let out = |kind, at| ev(o.id.0, "out-1", D::Outbound, "101", "48600111222", Some("101"), at, kind);
        send(&crm, out(K::Ringing, s(300))).await;
        send(&crm, out(K::Answered, s(310))).await;
        send(&crm, out(K::Ended { cause: EndCause::Answered }, s(370))).await;

        let log = crm.call_log(&anna, &CallLogFilter { limit: 50, ..Default::default() }).await.unwrap();
        let seen: Vec<(CallKind, &str, i32, Option<&str>)> =
            log.iter().map(|c| (c.kind, c.number.as_str(), c.talk_seconds, c.contact_name.as_deref())).collect();
        assert_eq!(
            seen,
            [
                (CallKind::Outgoing, "48600111222", 60, Some("Jan Kowalski")),
                (CallKind::Missed, "48600999888", 0, None),
                (CallKind::Incoming, "48600111222", 90, Some("Jan Kowalski")),
            ],
            "{b}"
        );
        let bea_log = crm.call_log(&bea, &CallLogFilter { limit: 50, ..Default::default() }).await.unwrap();
        assert_eq!((bea_log.len(), bea_log[0].talk_seconds), (1, 30), "{b}: bea's part of the transferred call");
        let only_missed = CallLogFilter { kind: Some(CallKind::Missed), limit: 50, ..Default::default() };
        assert_eq!(crm.call_log(&anna, &only_missed).await.unwrap().len(), 1, "{b}");
        assert!(crm.call_log(&manager, &CallLogFilter { limit: 50, ..Default::default() }).await.unwrap().is_empty());
        assert_eq!(crm.contact_calls(o.id, jan.id, 10).await.unwrap().len(), 3, "{b}: the card shows every part");

        crm.clock().advance(Duration::seconds(400));
        let st = crm.shift_stats(&anna, None).await.unwrap();
        assert_eq!((st.available_secs, st.unavailable_secs), (30 * 60 + 400, 10 * 60), "{b}");
        assert_eq!(st.per_reason, [("Lunch".to_string(), 600)], "{b}");
        assert_eq!((st.incoming, st.outgoing, st.missed), (1, 1, 1), "{b}");
        assert_eq!((st.incoming_secs, st.outgoing_secs, st.average_call_secs), (90, 60, 75), "{b}");
        assert_eq!(st.answer_rate, Some(50), "{b}");

        // Echo tests, dialled (*43) and from the account page: in the log as test calls, and
        // no call of the shift's figures.
        let t0 = crm.clock().now();
        let dialled =
            |kind, secs| ev(o.id.0, "echo-1", D::Internal, "101", "*43", None, t0 + Duration::seconds(secs), kind);
        send(&crm, dialled(K::Answered, 1)).await;
        send(&crm, dialled(K::Ended { cause: EndCause::Answered }, 20)).await;
        let mut rung =
            telephony::ActiveCall::new("echo-2".into(), o.id.0, D::Internal, "*43".into(), "101".into(), None);
        rung.ringing = vec!["101".into()];
        rung.extension = Some("101".into());
        for (kind, secs) in [(K::Answered, 30), (K::Ended { cause: EndCause::Answered }, 45)] {
            let at = t0 + Duration::seconds(secs);
            send(&crm, telephony::events::CallEvent { call: rung.clone(), at, kind }).await;
        }
        let tests = CallLogFilter { kind: Some(CallKind::Test), limit: 50, ..Default::default() };
        let logged: Vec<(CallKind, String)> =
            crm.call_log(&anna, &tests).await.unwrap().into_iter().map(|c| (c.kind, c.number)).collect();
        assert_eq!(logged, [(CallKind::Test, "*43".to_string()), (CallKind::Test, "*43".to_string())], "{b}");
        let st = crm.shift_stats(&anna, None).await.unwrap();
        assert_eq!((st.incoming, st.outgoing, st.missed, st.internal), (1, 1, 1, 0), "{b}: tests are no calls");
    }
}

#[tokio::test]
async fn phonebooks_and_handling_windows_belong_to_their_user() {
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let anna = crm.create_user(o.id, new_user("anna", "101", "agent")).await.unwrap();
        let bea = crm.create_user(o.id, new_user("bea", "102", "agent")).await.unwrap();
        let manager = crm.create_user(o.id, new_user("mia", "109", "manager")).await.unwrap();
        let e = crm.add_personal_entry(&anna, "Mama", "+48 600 000 111").await.unwrap();
        assert_eq!(crm.add_personal_entry(&anna, "", "x").await.unwrap_err().code(), "err-entry-name", "{b}");
        assert_eq!(crm.personal_phonebook(&anna, "").await.unwrap().len(), 1, "{b}");
        assert!(crm.personal_phonebook(&bea, "").await.unwrap().is_empty(), "{b}: nobody else sees it");
        assert!(matches!(crm.remove_personal_entry(&bea, e.id.unwrap()).await, Err(CrmError::NotFound)), "{b}");
        let dir_all = crm.directory(&bea, "anna", 50).await.unwrap();
        assert_eq!(dir_all.iter().map(|e| e.number.as_str()).collect::<Vec<_>>(), ["101"], "{b}: the directory");
        // Handling: tags from the managers' list only; saved notes show for the number.
        crm.add_call_tag(&manager, "Complaint").await.unwrap();
        // A window only for a call the agent is or was on, with that call's number.
        use telephony::events::{CallEventKind as K, Direction as D};
        let now = chrono::Utc::now();
        let answered = ev(o.id.0, "call-1", D::Inbound, "48600111222", "48221234567", Some("101"), now, K::Answered);
        send(&crm, answered).await;
        for (who, call) in [(&bea, "call-1"), (&anna, "call-9"), (&manager, "call-1")] {
            let refused = crm.open_handling(who, call).await;
            assert!(matches!(refused, Err(CrmError::NotFound)), "{b}: {} on {call}", who.extension.as_str());
        }
        let w = crm.open_handling(&anna, "call-1").await.unwrap();
        assert!(w.saved_at.is_none());
        assert_eq!(w.number, "48600111222", "{b}");
        let e = crm.save_handling(&anna, "call-1", &["Spam".into()], "x", true).await.unwrap_err();
        assert_eq!(e.code(), "err-tag-unknown", "{b}");
        assert!(matches!(crm.save_handling(&bea, "call-1", &[], "x", true).await, Err(CrmError::NotFound)), "{b}");
        assert_eq!(crm.open_windows(&anna).await.unwrap().len(), 1, "{b}");
        crm.save_handling(&anna, "call-1", &["Complaint".into()], "Wants a refund", true).await.unwrap();
        assert!(crm.open_windows(&anna).await.unwrap().is_empty(), "{b}: saved and finished");
        let notes = crm.notes_for_number(o.id, "+48 600 111 222", 5).await.unwrap();
        assert_eq!(
            (notes[0].tags.clone(), notes[0].notes.as_str()),
            (vec!["Complaint".to_string()], "Wants a refund"),
            "{b}"
        );
    }
}

#[tokio::test]
async fn a_windows_1250_csv_is_checked_then_imported_once_and_undone() {
    use crm::imports::Settings;
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let anna = crm.create_user(o.id, new_user("anna", "101", "agent")).await.unwrap();
        let existing =
            crm::contacts::NewContact { last_name: "Stary".into(), phone1: "600 000 001".into(), ..Default::default() };
        crm.create_contact(o.id, existing).await.unwrap();
        let text = "Imię;Nazwisko;Telefon;E-mail\n\
                    Łucja;Żółkiewska;600 111 222;lucja@example.pl\n\
                    Zbigniew;Gęśla;600 000 001;\n\
                    ;;;\n\
                    ;;600 333 444;brak@example.pl\n\
                    Świętosław;Źdźbło;600 111 222;\n\
                    Ćma;Nowak;zadzwoń;\n\
                    Anna;\"Kowalska; z d. Nowak\";+48 600 555 666;anna@example.pl\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1250.encode(text);
        let tmp = dir.path().join(format!("upload-{b}.csv"));
        std::fs::write(&tmp, &bytes).unwrap();
        let imp = crm
            .upload_import(&anna, crm::imports::Target::Contacts, "Klienci", "z targów", "klienci.csv", &tmp)
            .await
            .unwrap();
        assert_eq!((imp.encoding.as_str(), imp.separator.as_str(), imp.has_header), ("windows-1250", ";", true), "{b}");
        assert_eq!(imp.mapping, ["first_name", "last_name", "phone1", "email"], "{b}: by the header's names");
        let mut s = Settings { has_header: true, ..imp.settings() };
        // The preview in the right encoding keeps the Polish letters; in a wrong one it shows as such.
        let p = crm.import_preview(o.id, imp.id, &s).await.unwrap();
        assert_eq!(p.rows[0][..2], ["Łucja".to_string(), "Żółkiewska".to_string()], "{b}");
        assert!(!p.garbled, "{b}");
        let wrong = Settings { encoding: "utf-8".into(), ..s.clone() };
        assert!(crm.import_preview(o.id, imp.id, &wrong).await.unwrap().garbled, "{b}: UTF-8 shows it is not");
        let twice = Settings { mapping: vec!["phone1".into(), "phone1".into()], ..s.clone() };
        assert_eq!(
            crm.check_import(&anna, imp.id, &twice).await.unwrap_err().code(),
            "err-import-mapping-twice",
            "{b}"
        );
        // The dry run: counts and each problem's line; nothing written.
        let sum = crm.check_import(&anna, imp.id, &s).await.unwrap();
        assert_eq!((sum.total, sum.new, sum.duplicates, sum.invalid), (6, 2, 2, 2), "{b}");
        let problems: Vec<(u64, &str)> = sum.problems.iter().map(|p| (p.line, p.reason)).collect();
        assert_eq!(problems, [(3, "dup-phone"), (5, "err-contact-name"), (6, "dup-phone"), (7, "err-phone")], "{b}");
        assert_eq!(crm.find_contacts(o.id, "", 100).await.unwrap().len(), 1, "{b}: nothing written yet");
        // The run.
        let done = crm.run_import(&anna, imp.id).await.unwrap();
        assert_eq!(done.new, 2, "{b}");
        let all = crm.find_contacts(o.id, "", 100).await.unwrap();
        let names: Vec<String> = all.iter().map(|c| c.name()).collect();
        assert!(
            names.contains(&"Łucja Żółkiewska".to_string()) && names.contains(&"Anna Kowalska; z d. Nowak".to_string()),
            "{b}: {names:?}"
        );
        assert_eq!(crm.contacts_by_phone(o.id, "48600555666").await.unwrap().len(), 1, "{b}");
        // Killed before it finished: the state says checked; running again adds nothing twice.
        s.mapping = crm.import(o.id, imp.id).await.unwrap().mapping;
        {
            use store::sea_orm::{ActiveModelTrait, EntityTrait, Set};
            let m = store::entities::import::Entity::find_by_id(imp.id).one(crm.store().conn()).await.unwrap().unwrap();
            let mut am: store::entities::import::ActiveModel = m.into();
            am.state = Set(crm::imports::ImportState::Checked);
            am.update(crm.store().conn()).await.unwrap();
        }
        assert_eq!(crm.run_import(&anna, imp.id).await.unwrap().new, 2, "{b}");
        assert_eq!(crm.find_contacts(o.id, "", 100).await.unwrap().len(), 3, "{b}: no duplicates");
        assert_eq!(crm.run_import(&anna, imp.id).await.unwrap_err().code(), "err-import-state", "{b}");
        // Undone while unused.
        assert_eq!(crm.undo_import(&anna, imp.id).await.unwrap(), 2, "{b}");
        assert_eq!(crm.find_contacts(o.id, "", 100).await.unwrap().len(), 1, "{b}");
        assert_eq!(crm.imports(o.id).await.unwrap()[0].state, crm::imports::ImportState::Undone, "{b}");
        // Another organization sees none of it.
        let z = crm.create_org(&OrgSlug::parse("zeta").unwrap(), "Zeta").await.unwrap();
        assert!(matches!(crm.import(z.id, imp.id).await, Err(CrmError::NotFound)), "{b}");
        let _ = s;
    }
}

#[tokio::test]
async fn processes_campaigns_and_cases_follow_their_rules() {
    use crm::cases::campaigns::CampaignIn;
    use crm::cases::processes::StatusIn;
    use crm::contacts::NewContact;
    use crm::search::{Cond, Target};
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let manager = crm.create_user(o.id, new_user("mia", "109", "manager")).await.unwrap();
        let anna = crm.create_user(o.id, new_user("anna", "101", "agent")).await.unwrap();
        let bea = crm.create_user(o.id, new_user("bea", "102", "agent")).await.unwrap();
        let st =
            |name: &str, initial, closing| StatusIn { id: None, name: name.into(), initial, closing, active: true };
        // Exactly one initial status.
        let none = [st("New", false, false), st("Done", false, true)];
        assert_eq!(
            crm.save_process(&manager, None, "Sales", &none).await.unwrap_err().code(),
            "err-process-initial",
            "{b}"
        );
        assert!(matches!(
            crm.save_process(&anna, None, "Sales", &[st("New", true, false)]).await,
            Err(CrmError::Forbidden)
        ));
        let p = crm
            .save_process(
                &manager,
                None,
                "Sales",
                &[st("New", true, false), st("Offer", false, false), st("Won", false, true)],
            )
            .await
            .unwrap();
        let c = CampaignIn {
            name: "Spring".into(),
            kind: "outbound".into(),
            process_id: p.id,
            active: true,
            agents_may_add: true,
            shown: true,
            agents: vec![anna.id.0],
        };
        let camp = crm.save_campaign(&manager, None, c.clone()).await.unwrap();
        let bad = CampaignIn { kind: "sideways".into(), ..c.clone() };
        assert_eq!(crm.save_campaign(&manager, None, bad).await.unwrap_err().code(), "err-campaign-kind", "{b}");
        let jan = crm
            .create_contact(
                o.id,
                NewContact {
                    first_name: "Anna".into(),
                    last_name: "Kowalska".into(),
                    email: "anna@systell.pl".into(),
                    phone1: "600 111 222".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        // Only assigned agents create cases.
        assert_eq!(
            crm.create_case(&bea, jan.id, camp.id, "").await.unwrap_err().code(),
            "err-case-not-assigned",
            "{b}"
        );
        let k1 = crm.create_case(&anna, jan.id, camp.id, "").await.unwrap();
        let k2 = crm.create_case(&anna, jan.id, camp.id, "Second matter").await.unwrap();
        assert_eq!((k1.number, k2.number), (1, 2), "{b}: numbered per organization");
        assert_eq!(k1.name, "Anna Kowalska – Spring", "{b}");
        let won = p.statuses.iter().find(|s| s.name == "Won").unwrap().id;
        let k1 =
            crm.update_case(&anna, k1.id, Some("Renamed"), Some(won), None, Some("Signed the contract")).await.unwrap();
        assert!(k1.closed_at.is_some(), "{b}: a closing status closes the case");
        let kinds: Vec<&str> =
            crm.case_timeline(o.id, k1.id).await.unwrap().into_iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["created", "renamed", "status", "note"], "{b}");
        assert_eq!(crm.campaign_successes(o.id, camp.id).await.unwrap(), [(anna.id, 1)], "{b}");
        // The process changes while in use: "Offer" renamed, "Won" retired but kept on its case.
        let mut edit: Vec<StatusIn> = p
            .statuses
            .iter()
            .map(|s| StatusIn {
                id: Some(s.id),
                name: s.name.clone(),
                initial: s.initial,
                closing: s.closing,
                active: true,
            })
            .collect();
        edit[1].name = "Proposal".into();
        edit[2].active = false;
        edit.push(st("Closed", false, true));
        let p2 = crm.save_process(&manager, Some(p.id), "Sales", &edit).await.unwrap();
        let names: Vec<(&str, bool)> = p2.statuses.iter().map(|s| (s.name.as_str(), s.active)).collect();
        assert_eq!(names, [("New", true), ("Proposal", true), ("Won", false), ("Closed", true)], "{b}");
        assert_eq!(crm.case(o.id, k1.id).await.unwrap().status_id, won, "{b}: the case keeps its status");
        assert_eq!(
            crm.update_case(&anna, k2.id, None, Some(won), None, None).await.unwrap_err().code(),
            "err-case-status",
            "{b}"
        );
        // Search: combined conditions.
        let cond = |f: &str, op: &str, v: &str| Cond { field: f.into(), op: op.into(), value: v.into() };
        crm.create_contact(
            o.id,
            NewContact {
                first_name: "Anna".into(),
                last_name: "Nowak".into(),
                email: "anna@example.pl".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let found = crm
            .search_contacts(o.id, &[cond("email", "contains", "SYSTELL"), cond("first_name", "equals", "Anna")], 1, 50)
            .await
            .unwrap();
        assert_eq!((found.total, found.items[0].id), (1, jan.id), "{b}");
        let found = crm.search_contacts(o.id, &[cond("phone", "equals", "+48 600-111-222")], 1, 50).await.unwrap();
        assert_eq!(found.total, 1, "{b}: numbers compare as E.164");
        assert_eq!(
            crm.search_contacts(o.id, &[cond("password", "equals", "x")], 1, 50).await.unwrap_err().code(),
            "err-search-field"
        );
        let cases = crm
            .search_cases(o.id, &[cond("status", "equals", "Won"), cond("campaign", "contains", "spr")], 1, 50)
            .await
            .unwrap();
        assert_eq!((cases.total, cases.items[0].number), (1, 1), "{b}");
        let s = crm
            .save_search(&anna, "Systell Annas", Target::Contacts, &[cond("email", "contains", "systell")])
            .await
            .unwrap();
        assert_eq!(crm.saved_searches(&anna, Target::Contacts).await.unwrap().len(), 1, "{b}");
        assert!(crm.saved_searches(&bea, Target::Contacts).await.unwrap().is_empty(), "{b}: one's own");
        assert!(matches!(crm.delete_saved_search(&bea, s.id).await, Err(CrmError::NotFound)), "{b}");
        // Duplicates and merge; delete and restore.
        let twin = crm
            .create_contact(
                o.id,
                NewContact { company: "Kowalska sp.".into(), phone1: "+48600111222".into(), ..Default::default() },
            )
            .await
            .unwrap();
        assert_eq!(
            crm.duplicates_of(o.id, &twin).await.unwrap().iter().map(|c| c.id).collect::<Vec<_>>(),
            [jan.id],
            "{b}"
        );
        crm.create_case(&anna, twin.id, camp.id, "").await.unwrap();
        let merged = crm.merge_contacts(o.id, jan.id, twin.id).await.unwrap();
        assert_eq!(merged.company, "Kowalska sp.", "{b}: empty fields filled");
        assert_eq!(crm.contact_cases(o.id, jan.id).await.unwrap().len(), 3, "{b}: the cases moved");
        assert!(matches!(crm.contact(o.id, twin.id).await, Err(CrmError::NotFound)), "{b}");
        crm.delete_contact(o.id, jan.id).await.unwrap();
        assert!(crm.search_contacts(o.id, &[], 1, 50).await.unwrap().items.iter().all(|c| c.id != jan.id), "{b}");
        crm.restore_contact(o.id, jan.id).await.unwrap();
        assert_eq!(crm.contact(o.id, jan.id).await.unwrap().id, jan.id, "{b}");
        // Another organization sees none of it.
        let z = crm.create_org(&OrgSlug::parse("zeta").unwrap(), "Zeta").await.unwrap();
        assert!(matches!(crm.case(z.id, k1.id).await, Err(CrmError::NotFound)), "{b}");
        assert!(matches!(crm.campaign(z.id, camp.id).await, Err(CrmError::NotFound)), "{b}");
    }
}

#[tokio::test]
async fn searching_many_imported_contacts_uses_the_indexes_and_finds_what_a_scan_finds() {
    use crm::search::Cond;
    use store::sea_orm::ConnectionTrait;
    let dir = tempfile::tempdir().unwrap();
    let cond = |f: &str, o: &str, v: &str| Cond { field: f.into(), op: o.into(), value: v.into() };
    for (b, crm) in crms(dir.path()).await {
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let anna = crm.create_user(o.id, new_user("anna", "101", "manager")).await.unwrap();
        // 12,000 rows: enough for a bulk load (its indexes suspended, then built again) and for
        // the count to stop at 10,000.
        let first = ["Anna", "Marek", "Łucja", "Michał"];
        let last = ["Nowak", "Woźniak", "Kowalska", "Żak", "Mazur"];
        let mut text = String::from("Imię;Nazwisko;Telefon;E-mail\n");
        // Line, first name, last name, phone, e-mail.
        type Row<'a> = (usize, &'a str, &'a str, String, String);
        let rows: Vec<Row> = (0..12_000usize)
            .map(|i| {
                let domain = if i % 7 == 0 { "Systell.pl" } else { "example.pl" };
                (
                    i,
                    first[i % 4],
                    last[i / 4 % 5],
                    format!("500 {:03} {:03}", i / 1000, i % 1000),
                    format!("k{i}@{domain}"),
                )
            })
            .collect();
        for (_, f, l, p, e) in &rows {
            text.push_str(&format!("{f};{l};{p};{e}\n"));
        }
        let tmp = dir.path().join(format!("many-{b}.csv"));
        std::fs::write(&tmp, &text).unwrap();
        let imp = crm.upload_import(&anna, crm::imports::Target::Contacts, "many", "", "many.csv", &tmp).await.unwrap();
        let s = crm::imports::Settings { has_header: true, ..imp.settings() };
        crm.check_import(&anna, imp.id, &s).await.unwrap();
        assert_eq!(crm.run_import(&anna, imp.id).await.unwrap().new, 12_000, "{b}");
        crm.store().contact_search_settled().await;
        assert_eq!(crm.store().contacts_fts_ready().await.unwrap(), b == "sqlite", "{b}: the full-text index is whole");
        let expect = |p: &dyn Fn(&Row) -> bool| rows.iter().filter(|r| p(r)).count() as u64;
        let searches: Vec<(Vec<Cond>, u64)> = vec![
            (
                vec![cond("email", "contains", "SYSTELL"), cond("first_name", "equals", "anna")],
                expect(&|r| r.0 % 7 == 0 && r.1 == "Anna"),
            ),
            (
                vec![cond("email", "contains", "k1234"), cond("last_name", "starts", "now")],
                expect(&|r| r.4.contains("k1234") && r.2 == "Nowak"),
            ),
            (
                vec![cond("phone", "starts", "500 01"), cond("first_name", "equals", "Marek")],
                expect(&|r| r.3.replace(' ', "").starts_with("50001") && r.1 == "Marek"),
            ),
            (
                vec![cond("phone", "contains", "0 99"), cond("last_name", "equals", "Mazur")],
                expect(&|r| format!("48{}", r.3.replace(' ', "")).contains("099") && r.2 == "Mazur"),
            ),
            (vec![cond("email", "contains", "k11")], expect(&|r| r.4.contains("k11"))),
            // Any field: the text fields, or the phones' digits for a number.
            (vec![cond("any", "contains", "K1234")], expect(&|r| r.4.contains("k1234"))),
            (
                vec![cond("any", "contains", "Żak"), cond("first_name", "equals", "Anna")],
                expect(&|r| r.1 == "Anna" && r.2 == "Żak"),
            ),
            (
                vec![cond("any", "contains", "0 99"), cond("last_name", "starts", "Maz")],
                expect(&|r| format!("48{}", r.3.replace(' ', "")).contains("099") && r.2 == "Mazur"),
            ),
        ];
        // The same answers with the full-text index and without it (a bulk load in progress).
        for fts in [true, false] {
            if b == "sqlite" {
                let sql = format!("UPDATE search_state SET ready = {}", fts as i32);
                crm.store().conn().execute_unprepared(&sql).await.unwrap();
            }
            for (conds, n) in &searches {
                let found = crm.search_contacts(o.id, conds, 1, 50).await.unwrap();
                assert_eq!((found.total, found.more), (*n, false), "{b} fts={fts}: {conds:?}");
                assert_eq!(found.items.len() as u64, (*n).min(50), "{b}");
                let names: Vec<String> = found.items.iter().map(|c| c.last_name.to_lowercase()).collect();
                assert!(names.windows(2).all(|w| w[0] <= w[1]), "{b}: by last name");
            }
        }
        assert_eq!(
            crm.search_contacts(o.id, &[cond("any", "equals", "x")], 1, 50).await.unwrap_err().code(),
            "err-search-op",
            "{b}: any field only contains"
        );
        let all = crm.search_contacts(o.id, &[], 3, 50).await.unwrap();
        assert_eq!((all.total, all.more, all.items.len()), (10_000, true, 50), "{b}: counted up to 10,000");
        assert_eq!(all.items[0].last_name, "Kowalska", "{b}: page 3 in order");
        // An edited contact is found by its new name only (the triggers keep the index).
        let id =
            crm.search_contacts(o.id, &[cond("email", "equals", "k43@example.pl")], 1, 50).await.unwrap().items[0].id;
        let edit = crm::contacts::NewContact {
            first_name: "Zyzzyva".into(),
            last_name: "Quokka".into(),
            email: "k43@example.pl".into(),
            ..Default::default()
        };
        crm.update_contact(o.id, id, edit).await.unwrap();
        let by = |v: &str| vec![cond("last_name", "contains", v)];
        assert_eq!(crm.search_contacts(o.id, &by("uokk"), 1, 50).await.unwrap().total, 1, "{b}");
        assert_eq!(crm.search_contacts(o.id, &by("zyzz"), 1, 50).await.unwrap().total, 0, "{b}: not a last name");
        // Another organization finds none of them.
        let z = crm.create_org(&OrgSlug::parse("zeta").unwrap(), "Zeta").await.unwrap();
        assert_eq!(crm.search_contacts(z.id, &by("uokk"), 1, 50).await.unwrap().total, 0, "{b}");
        // The same file imported there and undone (bulk loads both): the index stays whole.
        let zed = crm.create_user(z.id, new_user("zed", "101", "manager")).await.unwrap();
        std::fs::write(&tmp, &text).unwrap();
        let imp = crm.upload_import(&zed, crm::imports::Target::Contacts, "many", "", "many.csv", &tmp).await.unwrap();
        crm.check_import(&zed, imp.id, &s).await.unwrap();
        crm.run_import(&zed, imp.id).await.unwrap();
        assert_eq!(crm.undo_import(&zed, imp.id).await.unwrap(), 12_000, "{b}");
        crm.store().contact_search_settled().await;
        assert_eq!(crm.store().contacts_fts_ready().await.unwrap(), b == "sqlite", "{b}");
        assert_eq!(crm.search_contacts(z.id, &searches[0].0, 1, 50).await.unwrap().total, 0, "{b}");
        assert_eq!(crm.search_contacts(o.id, &by("uokk"), 1, 50).await.unwrap().total, 1, "{b}");
    }
}

#[tokio::test]
async fn users_present_only_the_numbers_listed_for_them() {
    let dir = tempfile::tempdir().unwrap();
    for (b, crm) in crms(dir.path()).await {
        let acme = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let globex = crm.create_org(&OrgSlug::parse("globex").unwrap(), "Globex").await.unwrap();
        let admin = crm.create_user(acme.id, new_user("ada", "1000", "admin")).await.unwrap();
        let anna = crm.create_user(acme.id, new_user("anna", "1001", "agent")).await.unwrap();
        let gina = crm.create_user(globex.id, new_user("gina", "1001", "admin")).await.unwrap();
        crm.add_number(acme.id, "48221111111", NumberRoute::of(Some("1001"), None, None)).await.unwrap();
        crm.add_number(acme.id, "48222222222", NumberRoute::of(Some("1000"), None, None)).await.unwrap();
        crm.add_number(globex.id, "48223333333", NumberRoute::of(Some("1001"), None, None)).await.unwrap();
        // None listed: all of the organization's.
        assert_eq!(crm.caller_ids(&anna).await.unwrap(), ["48221111111", "48222222222"], "{b}");
        // Listed: only those; a number of another organization, or none of ours, is refused.
        assert_eq!(crm.set_caller_ids(&admin, anna.id, &["+48 22 222 22 22".into()]).await.unwrap(), ["48222222222"]);
        assert_eq!(crm.caller_ids(&anna).await.unwrap(), ["48222222222"], "{b}");
        let e = crm.set_caller_ids(&admin, anna.id, &["48223333333".into()]).await.unwrap_err();
        assert_eq!(e.code(), "err-caller-id", "{b}: {e:?}");
        assert_eq!(crm.caller_ids(&anna).await.unwrap(), ["48222222222"], "a refused change changes nothing");
        assert!(matches!(crm.set_caller_ids(&anna, anna.id, &[]).await, Err(CrmError::Forbidden)), "{b}");
        assert!(matches!(crm.set_caller_ids(&gina, anna.id, &[]).await, Err(CrmError::NotFound)), "{b}");
        // Presenting a number not listed is refused before anything rings.
        let e = crm.click_to_call(&anna, "600111222", Some("48221111111")).await.unwrap_err();
        let CrmError::Invalid(fields) = e else { panic!("{b}: {e:?}") };
        assert_eq!((fields[0].field, fields[0].code), ("caller_id", "err-caller-id"), "{b}");
        // Emptied: all again.
        crm.set_caller_ids(&admin, anna.id, &[]).await.unwrap();
        assert_eq!(crm.caller_ids(&anna).await.unwrap().len(), 2, "{b}");
    }
}

/// Two nodes on one PostgreSQL: a dial rule added on one is in force on the other at once,
/// not only after the routing cache's refresh.
#[tokio::test]
async fn a_routing_change_on_one_node_is_in_force_on_the_other_at_once() {
    let Some(admin) = store::testing::pg_admin_url() else {
        eprintln!("no PostgreSQL for this run: skipped");
        return;
    };
    let url = store::testing::fresh_pg_url(&admin).await;
    let first = store::Store::connect(&url).await.unwrap();
    first.migrate().await.unwrap();
    let a = Crm::start(first).await.unwrap();
    let b = Crm::start(store::Store::connect(&url).await.unwrap()).await.unwrap();
    let org = a.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
    assert!(!b.routing().await.unwrap().rules.contains_key(&org.id.0), "node B has read the routing");
    let at = std::time::Instant::now();
    a.add_dial_rule(org.id, "48", true).await.unwrap();
    let seen = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        while !b.routing().await.unwrap().rules.contains_key(&org.id.0) {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(seen.is_ok(), "node B follows node A's change well before its own refresh (5 s)");
    assert!(at.elapsed() < crm::sip::cache::REFRESH);
}

/// The attack: one organization uploading without end filled the disk every organization
/// shares. Now an upload past the organization's quota is refused with a clear error and
/// stores nothing; the other organization keeps uploading.
#[tokio::test]
async fn uploads_stop_at_the_organizations_quota_and_store_nothing_beyond() {
    use crm::cases::{campaigns::CampaignIn, processes::StatusIn};
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in store::testing::backends(dir.path()).await {
        let files = dir.path().join(format!("quota-{name}"));
        let settings =
            crm::CrmSettings { files: files.clone(), storage_per_organization: 25_000, ..Default::default() };
        let crm = Crm::start_with(store, settings).await.unwrap();
        let b = name;
        let o = crm.create_org(&OrgSlug::parse("acme").unwrap(), "Acme").await.unwrap();
        let g = crm.create_org(&OrgSlug::parse("globex").unwrap(), "Globex").await.unwrap();
        let manager = crm.create_user(o.id, new_user("mia", "109", "manager")).await.unwrap();
        let zed = crm.create_user(g.id, new_user("zed", "101", "agent")).await.unwrap();
        let st =
            |name: &str, initial, closing| StatusIn { id: None, name: name.into(), initial, closing, active: true };
        let p =
            crm.save_process(&manager, None, "Sales", &[st("New", true, false), st("Won", false, true)]).await.unwrap();
        let c = CampaignIn {
            name: "Spring".into(),
            kind: "outbound".into(),
            process_id: p.id,
            active: true,
            agents_may_add: true,
            shown: true,
            agents: vec![manager.id.0],
        };
        let camp = crm.save_campaign(&manager, None, c).await.unwrap();
        let jan = crm
            .create_contact(o.id, crm::contacts::NewContact { last_name: "Kowalski".into(), ..Default::default() })
            .await
            .unwrap();
        let case = crm.create_case(&manager, jan.id, camp.id, "").await.unwrap();
        let file = |n: &str, size: usize| {
            let p = dir.path().join(format!("{b}-{n}"));
            std::fs::write(&p, "a;b\n".repeat(size / 4)).unwrap();
            p
        };
        crm.attach_file(&manager, case.id, "one.txt", "text/plain", &file("one", 10_000)).await.unwrap();
        crm.upload_import(&manager, crm::imports::Target::Contacts, "list", "", "list.csv", &file("list", 10_000))
            .await
            .unwrap();
        assert_eq!(crm.storage(o.id).await.unwrap().used, 20_000, "{b}");
        let refused = crm.attach_file(&manager, case.id, "two.txt", "text/plain", &file("two", 10_000)).await;
        assert_eq!(refused.unwrap_err().code(), "err-storage-full", "{b}");
        let refused = crm
            .upload_import(&manager, crm::imports::Target::Contacts, "more", "", "more.csv", &file("more", 10_000))
            .await;
        assert_eq!(refused.unwrap_err().code(), "err-storage-full", "{b}");
        assert_eq!(crm.attachments(o.id, case.id).await.unwrap().len(), 1, "{b}: nothing more stored");
        assert_eq!(crm.imports(o.id).await.unwrap().len(), 1, "{b}");
        assert_eq!(crm.storage(o.id).await.unwrap().used, 20_000, "{b}");
        // A smaller file still fits, and the other organization has its own room.
        crm.attach_file(&manager, case.id, "small.txt", "text/plain", &file("small", 4_000)).await.unwrap();
        crm.upload_import(&zed, crm::imports::Target::Contacts, "list", "", "list.csv", &file("g", 20_000))
            .await
            .unwrap();
        assert_eq!(crm.storage(g.id).await.unwrap().used, 20_000, "{b}");
    }
}
