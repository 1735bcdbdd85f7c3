//! The missed-calls screens over HTTP: the list with its history and actions, who may hide,
//! the settings page, the statistics' SVG pies and their links, the badge over SSE.

use crate::{TestApp, location};
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;
use telephony::events::{CallEvent, CallEventKind, EndCause};

fn miss(app: &TestApp, caller: &str) -> CallEvent {
    let ended = CallEventKind::Ended { cause: EndCause::NoAnswer };
    crate::inbound(app.acme_admin.org_id, &format!("in-{caller}"), caller, None, chrono::Utc::now(), ended)
}

#[tokio::test]
async fn the_list_shows_each_caller_once_with_its_history_and_actions() {
    let app = TestApp::spawn().await;
    for caller in ["48600111222", "48600111222", "48600333444"] {
        app.call_event(miss(&app, caller)).await;
    }
    let rows = app
        .crm
        .missed_calls(app.acme_admin.org_id, crm::missed::MissedView::In(crm::missed::MissedState::Visible), 10)
        .await
        .unwrap();
    let id = rows.iter().find(|r| r.caller == "48600111222").unwrap().id;
    let bob = app.browser_as("bob").await;
    let page = app.get(&bob, "/missed").await.text().await.unwrap();
    assert_eq!(page.matches("class=\"mrow ").count(), 2, "one row per caller");
    // A number of the organization's country in its national format.
    assert!(page.contains("600 111 222") && page.contains("2×"), "the count");
    assert!(page.contains("/missed/") && page.contains("/callback") && page.contains("/sms"));
    assert!(!page.contains("/hide\""), "an agent is not offered hiding");
    // An agent may not hide: 403, and nothing changes.
    let r = app.post_form(&bob, "/missed", &format!("/missed/{id}/hide"), &[("reason", "spam")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let token = app.token_for(&app.acme_agent).await;
    let api = reqwest::Client::new();
    let r = api.post(app.url(&format!("/api/v1/missed/{id}/hide"))).bearer_auth(&token).json(&json!({})).send();
    assert_eq!(r.await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(app.crm.missed_call(app.acme_admin.org_id, id).await.unwrap().1.len(), 2, "history untouched");
    // SMS from the row: back to the list with a confirmation, and in the history.
    let r = app.post_form(&bob, "/missed", &format!("/missed/{id}/sms"), &[("text", "Oddzwonimy o 15:00")]).await;
    assert_eq!((r.status(), location(&r)), (StatusCode::SEE_OTHER, "/missed?ok=missed-sms-recorded".to_string()));
    let page = app.get(&bob, "/missed?ok=missed-sms-recorded").await.text().await.unwrap();
    assert!(page.contains("The SMS is recorded.") && page.contains("Oddzwonimy o 15:00"), "{page}");
    // A callback needs a phone: the list says why, and records nothing.
    let r = app.post_form(&bob, "/missed", &format!("/missed/{id}/callback"), &[("back", "view=all")]).await;
    assert_eq!(location(&r), "/missed?view=all&err=err-call-refused", "the list comes back as it was");
    let page = app.get(&bob, &location(&r)).await.text().await.unwrap();
    assert!(page.contains("class=\"flash error\""));
    assert_eq!(app.crm.missed_call(app.acme_admin.org_id, id).await.unwrap().1.len(), 3);
    // The administrator hides it; it moves to the hidden view.
    let alice = app.browser_as("alice").await;
    let r = app.post_form(&alice, "/missed", &format!("/missed/{id}/hide"), &[("reason", "wrong number")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let hidden = app.get(&alice, "/missed?view=hidden").await.text().await.unwrap();
    assert!(hidden.contains("600 111 222") && hidden.contains("wrong number") && hidden.contains("/restore"));
    let visible = app.get(&alice, "/missed").await.text().await.unwrap();
    assert!(!visible.contains("600 111 222"));
    // Bad filters are refused clearly.
    assert_eq!(app.get(&alice, "/missed?view=secret").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get(&alice, "/missed?from=yesterday").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // In Hebrew the page is right-to-left.
    let he = app.post_form(&alice, "/account", "/account/language", &[("language", "he")]).await;
    assert_eq!(he.status(), StatusCode::SEE_OTHER);
    let page = app.get(&alice, "/missed?view=all").await.text().await.unwrap();
    assert!(page.contains("dir=\"rtl\"") && page.contains("שיחות שלא נענו"));
}

#[tokio::test]
async fn managers_set_the_rules_and_see_the_statistics() {
    let app = TestApp::spawn().await;
    let bob = app.browser_as("bob").await;
    assert_eq!(app.get(&bob, "/missed/settings").await.status(), StatusCode::FORBIDDEN);
    let alice = app.browser_as("alice").await;
    let form = app.get(&alice, "/missed/settings").await.text().await.unwrap();
    assert!(form.contains("name=\"retention_days\"") && form.contains("value=\"30\""));
    let bad = [("retention_days", "0"), ("min_callback_seconds", "5"), ("hide_role", "agent")];
    let r = app.post_form(&alice, "/missed/settings", "/missed/settings", &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Retention is 1 to 3650 days."));
    let good = [("retention_days", "14"), ("min_callback_seconds", "5"), ("hide_role", "agent")];
    let r = app.post_form(&alice, "/missed/settings", "/missed/settings", &good).await;
    assert_eq!(location(&r), "/missed/settings?ok=settings-saved");
    let s = app.crm.missed_settings(app.acme_admin.org_id).await.unwrap();
    assert_eq!(
        (s.retention_days, s.min_callback_seconds, s.hide_role, s.email_offered),
        (14, 5, crm::Role::Agent, false)
    );
    // Now agents may hide.
    app.call_event(miss(&app, "48600111222")).await;
    assert!(app.get(&bob, "/missed").await.text().await.unwrap().contains("/hide\""));
    // The API shows the same settings; only managers change them.
    let api = reqwest::Client::new();
    let agent = app.token_for(&app.acme_agent).await;
    let got: serde_json::Value =
        api.get(app.url("/api/v1/missed-settings")).bearer_auth(&agent).send().await.unwrap().json().await.unwrap();
    assert_eq!(got["retention_days"], 14);
    let put = json!({"retention_days": 20, "min_callback_seconds": 0, "hide_role": "manager", "email_offered": true});
    let r = api.put(app.url("/api/v1/missed-settings")).bearer_auth(&agent).json(&put).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Statistics: two SVG pies whose slices open exactly those rows.
    let token = app.token_for(&app.acme_admin).await;
    let id = app
        .crm
        .missed_calls(app.acme_admin.org_id, crm::missed::MissedView::In(crm::missed::MissedState::Visible), 1)
        .await
        .unwrap()[0]
        .id;
    let sms = api.post(app.url(&format!("/api/v1/missed/{id}/sms"))).bearer_auth(&token).json(&json!({"text": "hi"}));
    assert_eq!(sms.send().await.unwrap().status(), StatusCode::CREATED);
    app.call_event(miss(&app, "48600999000")).await;
    let stats = app.get(&alice, "/missed/stats").await.text().await.unwrap();
    assert_eq!(stats.matches("<svg class=\"pie\"").count(), 2);
    assert!(stats.contains("href=\"/missed?view=all&amp;status=sms_sent\""), "{stats}");
    let slice = app.get(&alice, "/missed?view=all&status=sms_sent").await.text().await.unwrap();
    assert_eq!(slice.matches("class=\"mrow ").count(), 1);
    assert!(slice.contains("600 111 222") && !slice.contains("600 999 000"));
    let n: serde_json::Value =
        api.get(app.url("/api/v1/missed-stats")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        (n["sms_sent"].as_u64(), n["never_tried"].as_u64(), n["still_listed"].as_u64()),
        (Some(1), Some(1), Some(2))
    );
}

#[tokio::test]
async fn the_badge_counts_rows_live_and_a_miss_is_announced() {
    let app = TestApp::spawn().await;
    app.call_event(miss(&app, "48600111222")).await;
    let bob = app.browser_as("bob").await;
    let page = app.get(&bob, "/agent").await.text().await.unwrap();
    assert!(page.contains("id=\"missed-badge\"") && page.contains("data-missed-notice="));
    let mut s = bob.get(app.url("/events")).send().await.unwrap().bytes_stream();
    let mut seen = String::new();
    let first = tokio::time::timeout(Duration::from_secs(5), async {
        while !seen.contains("\"visible\":1") {
            seen.push_str(&String::from_utf8_lossy(&s.next().await.unwrap().unwrap()));
        }
    });
    assert!(first.await.is_ok(), "the badge starts from the count: {seen}");
    app.call_event(miss(&app, "48600333444")).await;
    let next = tokio::time::timeout(Duration::from_secs(5), async {
        while !seen.contains("\"visible\":2") {
            seen.push_str(&String::from_utf8_lossy(&s.next().await.unwrap().unwrap()));
        }
    });
    assert!(next.await.is_ok(), "{seen}");
    assert!(seen.contains("\"caller\":\"48600333444\""), "the new miss is named: {seen}");
}

#[tokio::test]
async fn account_preferences_and_the_outgoing_mail_page() {
    let app = TestApp::spawn().await;
    let bob = app.browser_as("bob").await;
    let r = app.post_form(&bob, "/account", "/account/preferences", &[("email", "bob@"), ("missed_email", "1")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form(&bob, "/account", "/account/preferences", &[("email", "bob@acme.test"), ("missed_email", "1")])
        .await;
    assert_eq!(location(&r), "/account?ok=settings-saved");
    let p = app.crm.preferences(&app.acme_agent).await.unwrap();
    assert_eq!((p.email.as_str(), p.missed_email), ("bob@acme.test", true));
    assert_eq!(app.get(&bob, "/admin/mail").await.status(), StatusCode::FORBIDDEN);
    let alice = app.browser_as("alice").await;
    let fields = [("host", "127.0.0.1"), ("port", "2525"), ("security", "none"), ("from_address", "noreply@acme.test")];
    let r = app.post_form(&alice, "/admin/mail", "/admin/mail", &fields).await;
    assert_eq!(location(&r), "/admin/mail?ok=settings-saved");
    let page = app.get(&alice, "/admin/mail").await.text().await.unwrap();
    assert!(page.contains("value=\"2525\"") && page.contains("noreply@acme.test"));
    let bad = [("host", ""), ("port", "x"), ("security", "ssl"), ("from_address", "nobody")];
    let r = app.post_form(&alice, "/admin/mail", "/admin/mail", &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.crm.mail_settings(app.acme_admin.org_id).await.unwrap().unwrap().port, 2525, "unchanged");
}
