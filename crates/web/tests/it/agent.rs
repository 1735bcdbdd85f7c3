//! The agent workspace over HTTP: the page, its JSON endpoints (CSRF in a header), status,
//! workspace settings, the handling window, the phonebook, the settings managers keep, and
//! contacts.

use crate::{TestApp, location};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_page_and_its_endpoints_need_the_session_and_its_token() {
    let app = TestApp::spawn().await;
    let bob = app.browser_as("bob").await;
    let page = app.get(&bob, "/agent").await.text().await.unwrap();
    assert!(
        page.contains("id=\"call-panel\"") && page.contains("id=\"dial-form\"") && page.contains("/static/agent.js")
    );
    let csrf = crate::csrf_in(&page).unwrap();
    // Without the token, or from another site: refused, nothing changes.
    let r = bob.post(app.url("/agent/status")).json(&json!({"available": true})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = bob
        .post(app.url("/agent/status"))
        .header("x-csrf-token", &csrf)
        .header("origin", "https://evil.example")
        .json(&json!({"available": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(app.crm.agent_status(&app.acme_agent).await.unwrap().since.is_none());
    let post =
        |path: &str, body: serde_json::Value| bob.post(app.url(path)).header("x-csrf-token", &csrf).json(&body).send();
    let r = post("/agent/status", json!({"available": true})).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(app.crm.agent_status(&app.acme_agent).await.unwrap().available);
    let r = post("/agent/status", json!({"available": false, "reason_id": 999})).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a reason of the organization's");
    // Dialing without a phone: a clear refusal. A bad number: 422.
    assert_eq!(
        post("/agent/dial", json!({"number": "call me"})).await.unwrap().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let r = post("/agent/dial", json!({"number": "48600111222"})).await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("telephony"));
    // Workspace settings.
    let ws = json!({"silent_ring": true, "suppress_popups": true, "auto_handling": false, "show_dialer": false});
    assert_eq!(post("/agent/workspace", ws).await.unwrap().status(), StatusCode::OK);
    let p = app.crm.preferences(&app.acme_agent).await.unwrap();
    assert!(p.silent_ring && p.suppress_popups && !p.show_dialer);
    let page = app.get(&bob, "/agent").await.text().await.unwrap();
    assert!(page.contains("class=\"card dialer collapsed\"") && page.contains("data-silent=\"true\""));
    // The handling window: only for a call of one's own (another's, or one that never was, is
    // not found; the number is the call's, whatever the page sends), tags from the list only,
    // saved and finished.
    let org = app.acme_agent.org_id;
    let answered = telephony::events::CallEventKind::Answered;
    app.call_event(crate::inbound(org, "c-1", "48600111222", Some("101"), chrono::Utc::now(), answered.clone())).await;
    app.call_event(crate::inbound(org, "c-2", "48600999888", Some("100"), chrono::Utc::now(), answered)).await;
    for call in ["c-2", "c-3"] {
        let r = post("/agent/handling", json!({"call_id": call, "number": "48600111222"})).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{call}");
    }
    let w: serde_json::Value =
        post("/agent/handling", json!({"call_id": "c-1", "number": "999"})).await.unwrap().json().await.unwrap();
    assert_eq!(w["window"]["number"], "48600111222");
    let r =
        post("/agent/handling/save", json!({"call_id": "c-1", "tags": ["Nope"], "notes": "x", "finish": true})).await;
    assert_eq!(r.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r =
        post("/agent/handling/save", json!({"call_id": "c-1", "notes": "Called about the invoice", "finish": true}));
    assert_eq!(r.await.unwrap().status(), StatusCode::OK);
    // A call that is not one's own is unknown.
    let r = post("/agent/calls/sb-0000000000000000/command", json!({"command": "hold"})).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn managers_keep_reasons_tags_and_the_screen_pop_url() {
    let app = TestApp::spawn().await;
    let bob = app.browser_as("bob").await;
    assert_eq!(app.get(&bob, "/agent/settings").await.status(), StatusCode::FORBIDDEN);
    let alice = app.browser_as("alice").await;
    let r = app.post_form(&alice, "/agent/settings", "/agent/settings/reasons", &[("name", "Lunch")]).await;
    assert_eq!(location(&r), "/agent/settings");
    let r = app.post_form(&alice, "/agent/settings", "/agent/settings/reasons", &[("name", "lunch")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "no two reasons alike");
    app.post_form(&alice, "/agent/settings", "/agent/settings/tags", &[("name", "Complaint")]).await;
    let r = app
        .post_form(&alice, "/agent/settings", "/agent/settings/pop", &[("screen_pop_url", "javascript:alert(1)")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let url = "https://crm.example/find?phone={caller}";
    let r = app.post_form(&alice, "/agent/settings", "/agent/settings/pop", &[("screen_pop_url", url)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let pop = app.crm.screen_pop(app.acme_admin.org_id, "+48 600 111 222").await.unwrap();
    assert_eq!(pop.url.as_deref(), Some("https://crm.example/find?phone=48600111222"));
    let page = app.get(&bob, "/agent").await.text().await.unwrap();
    assert!(page.contains(">Lunch</button>") && page.contains("data-tags=\"Complaint\""));
}

#[tokio::test]
async fn contacts_phonebook_call_log_and_statistics_pages() {
    let app = TestApp::spawn().await;
    let bob = app.browser_as("bob").await;
    let r = app
        .post_form(
            &bob,
            "/contacts/new",
            "/contacts",
            &[("first_name", "Łucja"), ("last_name", "Żak"), ("phone1", "abc")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("This is not a phone number."));
    let r = app
        .post_form(
            &bob,
            "/contacts/new",
            "/contacts",
            &[("first_name", "Łucja"), ("last_name", "Żak"), ("phone1", "600 111 222")],
        )
        .await;
    let card = location(&r);
    assert!(card.starts_with("/contacts/"));
    let page = app.get(&bob, &card).await.text().await.unwrap();
    assert!(page.contains("Łucja Żak") && page.contains("data-dial=\"48600111222\""));
    let list = app.get(&bob, "/contacts?q=%C5%BBak").await.text().await.unwrap();
    assert!(list.contains("Łucja Żak"));
    // Phonebook: the directory has the colleagues and the contact; the personal part is bob's.
    let r = app
        .post_form(&bob, "/agent/phonebook", "/agent/phonebook", &[("name", "Dentist"), ("number", "+48 22 000 11 22")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let book = app.get(&bob, "/agent/phonebook").await.text().await.unwrap();
    assert!(book.contains("alice Nowak") && book.contains("Łucja Żak") && book.contains("Dentist"));
    let alice = app.browser_as("alice").await;
    assert!(
        !app.get(&alice, "/agent/phonebook").await.text().await.unwrap().contains("Dentist"),
        "nobody else sees it"
    );
    // Call log filters and statistics.
    assert_eq!(app.get(&bob, "/agent/calls?kind=weird").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get(&bob, "/agent/calls?kind=missed&from=2026-01-01").await.status(), StatusCode::OK);
    // A caller who left before anyone was rung: in the managers' log of everyone's calls, as
    // nobody's; an agent asking for everyone's calls sees their own.
    let left = telephony::events::CallEventKind::Ended { cause: telephony::events::EndCause::Cancelled };
    app.call_event(crate::inbound(app.acme_admin.org_id, "left", "48600999000", None, chrono::Utc::now(), left)).await;
    let everyone = app.get(&alice, "/agent/calls?whose=everyone").await.text().await.unwrap();
    assert!(everyone.contains("data-dial=\"48600999000\"") && everyone.contains("Nobody rung"), "{everyone}");
    assert_eq!(
        app.get(&bob, "/call-lists/numbers").await.status(),
        StatusCode::FORBIDDEN,
        "the number base is managers'"
    );
    assert_eq!(app.get(&bob, "/call-lists/numbers/export").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get(&alice, "/call-lists/numbers?from=yesterday").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bobs = app.get(&bob, "/agent/calls?whose=everyone").await.text().await.unwrap();
    assert!(!bobs.contains("48600999000"), "an agent sees only their own calls");
    let mine = app.get(&bob, "/agent/stats").await.text().await.unwrap();
    assert_eq!(mine.matches("<tr data-user=").count(), 1, "an agent sees their own");
    let all = app.get(&alice, "/agent/stats").await.text().await.unwrap();
    assert_eq!(all.matches("<tr data-user=").count(), 2, "a manager sees every agent");
}
