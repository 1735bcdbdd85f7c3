//! A user of organization A gets 404 for every id of organization B, on every route that
//! takes an id. The routes are read from the source, so a new route cannot be forgotten here.

use crate::TestApp;
use reqwest::{Method, StatusCode};
use std::collections::BTreeSet;

/// Every `"…{id}…"` path in the router sources, with the API's prefix.
fn id_routes_in_source() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (file, prefix) in [("src/routes.rs", ""), ("src/api/mod.rs", "/api/v1")] {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/").to_string() + file).unwrap();
        for line in text.lines().filter(|l| l.contains(".route(\"")) {
            let path = line.split('"').nth(1).unwrap();
            if path.contains('{') {
                out.insert(format!("{prefix}{path}"));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_route_with_an_id_hides_other_organizations() {
    for (backend, app) in TestApp::spawn_all().await {
        let alice = app.browser_as("alice").await;
        let alice_token = app.token_for(&app.acme_admin).await;
        let gina_token = app.crm.create_token(&app.globex_admin, "globex").await.unwrap().1;
        let g = app.globex_admin.id.0;
        let t = gina_token.id.0;
        // A missed call of globex's.
        let ended = telephony::events::CallEventKind::Ended { cause: telephony::events::EndCause::NoAnswer };
        let miss = crate::inbound(app.globex_admin.org_id, "m", "48600111222", None, chrono::Utc::now(), ended);
        app.call_event(miss.clone()).await;
        let m = app.crm.missed_calls(app.globex_admin.org_id, crm::missed::MissedView::All, 10).await.unwrap()[0].id;
        // A contact, a personal phonebook entry, a reason and a logged call of globex's.
        let gina_user = app.globex_admin.clone();
        let contact = crm::contacts::NewContact {
            last_name: "Globex".into(),
            phone1: "+48 600 777 888".into(),
            ..Default::default()
        };
        let c = app.crm.create_contact(gina_user.org_id, contact).await.unwrap().id;
        let pe = app.crm.add_personal_entry(&gina_user, "Mum", "600777888").await.unwrap().id.unwrap();
        let reason = app.crm.add_status_reason(&gina_user, "Lunch").await.unwrap().id;
        let mut ring = miss.clone();
        ring.call.call_id = "globex-call".into();
        ring.call.extension = Some("200".into());
        ring.kind = telephony::events::CallEventKind::Ringing;
        app.call_event(ring).await;
        let log = app
            .crm
            .call_log(&gina_user, &crm::calls::log::CallLogFilter { limit: 5, ..Default::default() })
            .await
            .unwrap();
        let call = log[0].id;
        let upload = app.crm.files().join("g.csv");
        std::fs::create_dir_all(app.crm.files()).unwrap();
        std::fs::write(&upload, "Name;Phone\nGlobex;600777999\n").unwrap();
        let imp = app
            .crm
            .upload_import(&gina_user, crm::imports::Target::Contacts, "globex", "", "g.csv", &upload)
            .await
            .unwrap()
            .id;
        // A process, campaign, case, attachment and saved search of globex's.
        let st = crm::cases::processes::StatusIn {
            id: None,
            name: "New".into(),
            initial: true,
            closing: false,
            active: true,
        };
        let proc_ = app.crm.save_process(&gina_user, None, "Globex sales", &[st]).await.unwrap().id;
        let camp_in = crm::cases::campaigns::CampaignIn {
            name: "Globex".into(),
            kind: "inbound".into(),
            process_id: proc_,
            active: true,
            agents_may_add: true,
            shown: true,
            agents: vec![gina_user.id.0],
        };
        let camp = app.crm.save_campaign(&gina_user, None, camp_in).await.unwrap().id;
        let kase = app.crm.create_case(&gina_user, c, camp, "").await.unwrap().id;
        let queue_form = crm::queues::QueueForm { name: "Globex line".into(), ..Default::default() };
        let queue = app.crm.save_queue(&gina_user, None, queue_form).await.unwrap().id;
        let file = app.crm.files().join("a.txt");
        std::fs::write(&file, "secret").unwrap();
        let attachment = app.crm.attach_file(&gina_user, kase, "a.txt", "text/plain", &file).await.unwrap().id;
        // A trunk, ring group and number of globex's.
        let trunk_in = crm::sip::trunks::NewTrunk {
            name: "Globex carrier".into(),
            host: "192.0.2.50".into(),
            port: 5060,
            transport: "udp".into(),
            ..Default::default()
        };
        let trunk = app.crm.create_trunk(gina_user.org_id, trunk_in).await.unwrap().id;
        let ext = gina_user.extension.as_str().to_string();
        let group =
            app.crm.create_ring_group(gina_user.org_id, "G", std::slice::from_ref(&ext), true, 20).await.unwrap().id;
        let route = crm::sip::trunks::NumberRoute::Extension(&ext);
        let number = app.crm.add_number(gina_user.org_id, "48220005555", route).await.unwrap().id;
        // A call list of globex's with a number gina holds.
        let call_list = app.crm.create_call_list(&gina_user, "Globex list", "").await.unwrap().id;
        let one = crm::outbound::NewNumber { typed: "+48 600 777 111".into(), ..Default::default() };
        app.crm.add_list_numbers(&gina_user, call_list, &[one]).await.unwrap();
        let held = app.crm.next_number(&gina_user).await.unwrap().unwrap().id;
        let g_outcome =
            app.crm.add_list_outcome(&gina_user, "Globex done", crm::outbound::Kind::Final, 0).await.unwrap().id;
        let g_category = app.crm.add_list_category(&gina_user, "Globex VIP").await.unwrap().id;
        let cond = crm::search::Cond { field: "email".into(), op: "contains".into(), value: "x".into() };
        let saved = app.crm.save_search(&gina_user, "mine", crm::search::Target::Contacts, &[cond]).await.unwrap().id;
        let rate_in = crm::billing::RateIn {
            trunk_id: trunk,
            direction: "outbound".into(),
            prefix: "48".into(),
            per_minute: "0.1".into(),
            ..Default::default()
        };
        let rate = app.crm.save_rate(&gina_user, rate_in).await.unwrap().id;
        app.crm.add_dnc_numbers(&gina_user, "600 777 222").await.unwrap().unwrap();
        let dnc = app.crm.dnc_numbers(&gina_user, "", 1).await.unwrap()[0].id;
        // (method, route pattern, concrete path, page form?) for organization B's ids.
        let walk: Vec<(Method, &str, String, bool)> = vec![
            (Method::GET, "/admin/users/{id}", format!("/admin/users/{g}"), false),
            (Method::POST, "/admin/users/{id}", format!("/admin/users/{g}"), true),
            (Method::POST, "/admin/users/{id}/deactivate", format!("/admin/users/{g}/deactivate"), true),
            (Method::POST, "/admin/users/{id}/activate", format!("/admin/users/{g}/activate"), true),
            (Method::POST, "/admin/users/{id}/phone", format!("/admin/users/{g}/phone"), true),
            (Method::POST, "/admin/users/{id}/caller-ids", format!("/admin/users/{g}/caller-ids"), true),
            (Method::POST, "/account/tokens/{id}/revoke", format!("/account/tokens/{t}/revoke"), true),
            (Method::GET, "/api/v1/users/{id}", format!("/api/v1/users/{g}"), false),
            (Method::PATCH, "/api/v1/users/{id}", format!("/api/v1/users/{g}"), false),
            (Method::DELETE, "/api/v1/tokens/{id}", format!("/api/v1/tokens/{t}"), false),
            (Method::GET, "/api/v1/missed/{id}", format!("/api/v1/missed/{m}"), false),
            (Method::POST, "/api/v1/missed/{id}/hide", format!("/api/v1/missed/{m}/hide"), false),
            (Method::POST, "/api/v1/missed/{id}/restore", format!("/api/v1/missed/{m}/restore"), false),
            (Method::POST, "/api/v1/missed/{id}/callback", format!("/api/v1/missed/{m}/callback"), false),
            (Method::POST, "/api/v1/missed/{id}/sms", format!("/api/v1/missed/{m}/sms"), false),
            (Method::POST, "/agent/calls/{id}/command", "/agent/calls/globex-call/command".to_string(), false),
            (Method::GET, "/agent/recordings/{id}", format!("/agent/recordings/{call}"), false),
            (Method::POST, "/agent/phonebook/{id}/delete", format!("/agent/phonebook/{pe}/delete"), true),
            (
                Method::POST,
                "/agent/settings/reasons/{id}/retire",
                format!("/agent/settings/reasons/{reason}/retire"),
                true,
            ),
            (Method::GET, "/contacts/{id}", format!("/contacts/{c}"), false),
            (Method::POST, "/contacts/{id}", format!("/contacts/{c}"), true),
            (Method::GET, "/contacts/{id}/edit", format!("/contacts/{c}/edit"), false),
            (Method::POST, "/contacts/{id}/delete", format!("/contacts/{c}/delete"), true),
            (Method::POST, "/contacts/{id}/restore", format!("/contacts/{c}/restore"), true),
            (Method::POST, "/contacts/{id}/merge", format!("/contacts/{c}/merge"), true),
            (Method::GET, "/cases/{id}", format!("/cases/{kase}"), false),
            (Method::POST, "/cases/{id}", format!("/cases/{kase}"), true),
            (Method::POST, "/cases/{id}/attachments", format!("/cases/{kase}/attachments"), true),
            (Method::GET, "/attachments/{id}", format!("/attachments/{attachment}"), false),
            (Method::GET, "/campaigns/{id}", format!("/campaigns/{camp}"), false),
            (Method::POST, "/campaigns/{id}", format!("/campaigns/{camp}"), true),
            (Method::GET, "/processes/{id}", format!("/processes/{proc_}"), false),
            (Method::GET, "/queues/{id}", format!("/queues/{queue}"), false),
            (Method::GET, "/queues/calls/{id}", "/queues/calls/globex-call".to_string(), false),
            (Method::POST, "/queues/{id}", format!("/queues/{queue}"), true),
            (Method::GET, "/queues/{id}/remove", format!("/queues/{queue}/remove"), false),
            (Method::POST, "/queues/{id}/remove", format!("/queues/{queue}/remove"), true),
            (Method::PUT, "/api/v1/trunks/{id}", format!("/api/v1/trunks/{trunk}"), false),
            (Method::DELETE, "/api/v1/trunks/{id}", format!("/api/v1/trunks/{trunk}"), false),
            (Method::PUT, "/api/v1/numbers/{id}", format!("/api/v1/numbers/{number}"), false),
            (Method::POST, "/call-lists/{id}/numbers", format!("/call-lists/{call_list}/numbers"), true),
            (Method::POST, "/call-lists/{id}/rules", format!("/call-lists/{call_list}/rules"), true),
            (
                Method::POST,
                "/call-lists/outcomes/{id}/retire",
                format!("/call-lists/outcomes/{g_outcome}/retire"),
                true,
            ),
            (
                Method::POST,
                "/call-lists/categories/{id}/retire",
                format!("/call-lists/categories/{g_category}/retire"),
                true,
            ),
            (Method::POST, "/call-lists/numbers/{id}/outcome", format!("/call-lists/numbers/{held}/outcome"), true),
            (Method::POST, "/billing/rates/{id}/delete", format!("/billing/rates/{rate}/delete"), true),
            (Method::POST, "/call-lists/dnc/{id}/remove", format!("/call-lists/dnc/{dnc}/remove"), true),
            (Method::POST, "/api/v1/call-lists/{id}/numbers", format!("/api/v1/call-lists/{call_list}/numbers"), false),
            (Method::GET, "/api/v1/call-lists/numbers/{id}", format!("/api/v1/call-lists/numbers/{held}"), false),
            (
                Method::POST,
                "/api/v1/call-lists/numbers/{id}/outcome",
                format!("/api/v1/call-lists/numbers/{held}/outcome"),
                false,
            ),
            (Method::PUT, "/api/v1/groups/{id}", format!("/api/v1/groups/{group}"), false),
            (Method::DELETE, "/api/v1/groups/{id}", format!("/api/v1/groups/{group}"), false),
            (Method::PUT, "/api/v1/queues/{id}", format!("/api/v1/queues/{queue}"), false),
            (Method::DELETE, "/api/v1/queues/{id}", format!("/api/v1/queues/{queue}"), false),
            (
                Method::POST,
                "/api/v1/queues/waiting/{call_id}/hand",
                "/api/v1/queues/waiting/globex-call/hand".to_string(),
                false,
            ),
            (Method::PUT, "/api/v1/agents/{id}/status", format!("/api/v1/agents/{g}/status"), false),
            (
                Method::POST,
                "/api/v1/calls/{id}/supervision",
                "/api/v1/calls/globex-call/supervision".to_string(),
                false,
            ),
            (
                Method::DELETE,
                "/api/v1/calls/{id}/supervision",
                "/api/v1/calls/globex-call/supervision".to_string(),
                false,
            ),
            (Method::DELETE, "/api/v1/numbers/{id}", format!("/api/v1/numbers/{number}"), false),
            (Method::POST, "/admin/telephony/trunks/{id}", format!("/admin/telephony/trunks/{trunk}"), true),
            (
                Method::POST,
                "/admin/telephony/trunks/{id}/remove",
                format!("/admin/telephony/trunks/{trunk}/remove"),
                true,
            ),
            (Method::POST, "/admin/telephony/numbers/{id}", format!("/admin/telephony/numbers/{number}"), true),
            (
                Method::POST,
                "/admin/telephony/numbers/{id}/remove",
                format!("/admin/telephony/numbers/{number}/remove"),
                true,
            ),
            (Method::POST, "/admin/telephony/groups/{id}", format!("/admin/telephony/groups/{group}"), true),
            (
                Method::POST,
                "/admin/telephony/groups/{id}/remove",
                format!("/admin/telephony/groups/{group}/remove"),
                true,
            ),
            (Method::POST, "/processes/{id}", format!("/processes/{proc_}"), true),
            (Method::POST, "/search/{id}/delete", format!("/search/{saved}/delete"), true),
            (Method::GET, "/contacts/import/{id}", format!("/contacts/import/{imp}"), false),
            (Method::POST, "/contacts/import/{id}/check", format!("/contacts/import/{imp}/check"), true),
            (Method::POST, "/contacts/import/{id}/run", format!("/contacts/import/{imp}/run"), true),
            (Method::POST, "/contacts/import/{id}/undo", format!("/contacts/import/{imp}/undo"), true),
            (Method::POST, "/missed/{id}/callback", format!("/missed/{m}/callback"), true),
            (Method::POST, "/missed/{id}/sms", format!("/missed/{m}/sms"), true),
            (Method::POST, "/missed/{id}/hide", format!("/missed/{m}/hide"), true),
            (Method::POST, "/missed/{id}/restore", format!("/missed/{m}/restore"), true),
            (Method::POST, "/wallboard/agents/{id}/status", format!("/wallboard/agents/{g}/status"), false),
            (Method::POST, "/wallboard/waiting/{id}/give", "/wallboard/waiting/globex-call/give".to_string(), false),
            (
                Method::POST,
                "/wallboard/calls/{id}/supervise",
                "/wallboard/calls/globex-call/supervise".to_string(),
                false,
            ),
            (
                Method::POST,
                "/wallboard/calls/{id}/supervise/end",
                "/wallboard/calls/globex-call/supervise/end".to_string(),
                false,
            ),
            // A call id of anything but one's own calls is unknown.
            (
                Method::POST,
                "/api/v1/calls/{id}/commands",
                "/api/v1/calls/sb-0123456789abcdef/commands".to_string(),
                false,
            ),
        ];
        let covered: BTreeSet<String> = walk.iter().map(|w| w.1.to_string()).collect();
        assert_eq!(covered, id_routes_in_source(), "every route with an id is walked");

        let csrf = app.csrf(&alice, "/admin/users").await;
        for (method, _, path, form) in &walk {
            let r = if path.starts_with("/api/") {
                let mut rb = reqwest::Client::new().request(method.clone(), app.url(path)).bearer_auth(&alice_token);
                if *method == Method::PATCH {
                    rb = rb.json(&serde_json::json!({"full_name": "taken over", "active": false}));
                }
                if path.ends_with("/hide") {
                    rb = rb.json(&serde_json::json!({"reason": "taken over"}));
                }
                if path.ends_with("/restore") || path.ends_with("/callback") {
                    rb = rb.json(&serde_json::json!({}));
                }
                if path.ends_with("/sms") {
                    rb = rb.json(&serde_json::json!({"text": "taken over"}));
                }
                if path.contains("/calls/") {
                    rb = rb.json(&serde_json::json!({"command": "hangup"}));
                }
                if *method == Method::PUT && path.contains("/trunks/") {
                    rb = rb.json(&serde_json::json!({"name": "taken over", "host": "192.0.2.9"}));
                }
                if path.ends_with("/numbers") {
                    rb = rb.json(&serde_json::json!({"numbers": [{"number": "600 111 999"}]}));
                }
                if path.ends_with("/outcome") {
                    rb = rb.json(&serde_json::json!({"outcome_id": 1}));
                }
                if path.ends_with("/supervision") {
                    rb = rb.json(&serde_json::json!({"mode": "listen"}));
                }
                if *method == Method::PUT && path.contains("/groups/") {
                    rb = rb.json(&serde_json::json!({"name": "taken over", "members": ["100"]}));
                }
                if *method == Method::PUT && path.contains("/queues/") {
                    rb = rb.json(&serde_json::json!({"name": "taken over", "callback_minutes": 10}));
                }
                if path.ends_with("/hand") {
                    rb = rb.json(&serde_json::json!({"user_id": 1}));
                }
                if path.ends_with("/status") {
                    rb = rb.json(&serde_json::json!({"state": "available"}));
                }
                if *method == Method::PUT && path.contains("/numbers/") {
                    rb = rb.json(&serde_json::json!({"number": "48220009999", "extension": "100"}));
                }
                rb.send().await.unwrap()
            } else if path.starts_with("/agent/calls/") || path.starts_with("/wallboard/") {
                // The page's script: JSON with the CSRF token in a header.
                alice
                    .post(app.url(path))
                    .header("x-csrf-token", &csrf)
                    .json(&serde_json::json!({"command": "hangup", "mode": "listen", "set": "available", "user_id": 1}))
                    .send()
                    .await
                    .unwrap()
            } else {
                let mut rb = alice.request(method.clone(), app.url(path));
                if *form {
                    rb = rb.form(&[
                        ("csrf", csrf.as_str()),
                        ("full_name", "taken over"),
                        ("extension", "999"),
                        ("role", "agent"),
                        ("language", "en"),
                        ("text", "taken over"),
                        ("reason", "taken over"),
                        ("name", "taken over"),
                        ("kind", "inbound"),
                        ("process_id", "1"),
                        ("s0_name", "taken over"),
                        ("initial", "0"),
                        ("note", "taken over"),
                    ]);
                }
                rb.send().await.unwrap()
            };
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{backend}: {method} {path}");
        }
        let gina = app.crm.user(app.globex_admin.org_id, app.globex_admin.id).await.unwrap();
        assert_eq!(
            (gina.full_name.as_str(), gina.extension.as_str(), gina.active),
            ("gina Nowak", "200", true),
            "{backend}: untouched"
        );
        let still = app.crm.missed_call(app.globex_admin.org_id, m).await.unwrap().0;
        assert_eq!(
            still.state,
            crm::missed::MissedState::Visible,
            "{backend}: the other organization's missed call was not hidden"
        );
        let (_, steps) = app.crm.missed_call(app.globex_admin.org_id, m).await.unwrap();
        assert_eq!(steps.len(), 1, "{backend}: nothing was added to its history");
        assert_eq!(app.crm.personal_phonebook(&gina_user, "").await.unwrap().len(), 1, "{backend}: her entry stays");
        assert_eq!(
            app.crm.import(gina_user.org_id, imp).await.unwrap().state,
            crm::imports::ImportState::Uploaded,
            "{backend}: her import untouched"
        );
        assert!(app.crm.status_reasons(gina_user.org_id).await.unwrap()[0].active, "{backend}: her reason stays");
        let g_org = gina_user.org_id;
        assert_eq!(app.crm.trunk(g_org, trunk).await.unwrap().name, "Globex carrier", "{backend}: her trunk stays");
        assert_eq!(app.crm.number(g_org, number).await.unwrap().number, "48220005555", "{backend}");
        assert_eq!(app.crm.ring_group(g_org, group).await.unwrap().name, "G", "{backend}");
        assert!(app.crm.queue_conf(g_org, queue).await.unwrap().queue.active, "{backend}: her queue stays");
        assert!(app.crm.list_outcomes(g_org).await.unwrap()[0].active, "{backend}: her outcome stays");
        assert!(app.crm.list_categories(g_org).await.unwrap()[0].active, "{backend}: her category stays");
        let still_held = app.crm.list_number(g_org, held).await.unwrap();
        assert_eq!(
            (still_held.leased_by, still_held.attempts),
            (Some(gina_user.id.0), 0),
            "{backend}: her number untouched"
        );
        let tokens = app.crm.tokens(app.globex_admin.org_id, app.globex_admin.id).await.unwrap();
        assert!(!tokens[0].revoked, "{backend}: the other organization's token still works");
        // Listing shows only one's own organization.
        let list: serde_json::Value = reqwest::Client::new()
            .get(app.url("/api/v1/users"))
            .bearer_auth(&alice_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let names: Vec<&str> = list.as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
        assert_eq!(names, ["alice", "bob"], "{backend}");
    }
}
