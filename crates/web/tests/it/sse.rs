use crate::TestApp;
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

async fn wait_ready(r: reqwest::Response) -> impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> {
    let mut s = r.bytes_stream();
    let mut seen = String::new();
    while !seen.contains("event: ready") {
        seen.push_str(&String::from_utf8_lossy(&s.next().await.unwrap().unwrap()));
    }
    s
}

async fn collect(s: impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>>, within: Duration) -> String {
    let mut out = String::new();
    let mut s = Box::pin(s);
    let _ = tokio::time::timeout(within, async {
        while let Some(Ok(c)) = s.next().await {
            out.push_str(&String::from_utf8_lossy(&c));
        }
    })
    .await;
    out
}

#[tokio::test]
async fn events_reach_exactly_the_browsers_that_may_see_them() {
    let app = TestApp::spawn().await;
    let bob = app.browser_as("bob").await;
    let gina = app.browser_as("gina").await;
    let bob_stream = wait_ready(bob.get(app.url("/events")).send().await.unwrap()).await;
    let gina_stream = wait_ready(gina.get(app.url("/events")).send().await.unwrap()).await;
    let api = reqwest::Client::new();
    let admin = app.token_for(&app.acme_admin).await;
    let send = |body: serde_json::Value| api.post(app.url("/api/v1/events")).bearer_auth(&admin).json(&body).send();
    assert_eq!(
        send(json!({"kind": "notice", "data": {"text": "dla wszystkich"}})).await.unwrap().status(),
        StatusCode::ACCEPTED
    );
    send(json!({"kind": "managers-only", "data": {}, "role": "manager"})).await.unwrap();
    send(json!({"kind": "for-bob", "data": {"n": 1}, "user_id": app.acme_agent.id.0})).await.unwrap();
    let bob_saw = collect(bob_stream, Duration::from_millis(700)).await;
    let gina_saw = collect(gina_stream, Duration::from_millis(300)).await;
    assert!(bob_saw.contains("event: notice") && bob_saw.contains("dla wszystkich"), "{bob_saw}");
    assert!(bob_saw.contains("event: for-bob"));
    assert!(!bob_saw.contains("managers-only"), "agents do not get manager events");
    assert!(
        !gina_saw.contains("notice") && !gina_saw.contains("for-bob"),
        "another organization sees nothing: {gina_saw}"
    );

    let agent = app.token_for(&app.acme_agent).await;
    let r = api.post(app.url("/api/v1/events")).bearer_auth(&agent).json(&json!({"kind": "x"})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = send(json!({"kind": "bad kind!", "data": {}})).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A forged call (a screen pop that opens a page), a script link, an endless payload: refused.
    let forged = json!({"kind": "call.ringing", "data": {"call": {"pop": {"url": "https://evil.example"}}}});
    for body in [
        forged,
        json!({"kind": "notice", "data": {"text": "x", "url": "javascript:alert(document.cookie)"}}),
        json!({"kind": "notice", "data": {"text": "x".repeat(20_000)}}),
    ] {
        let r = send(body).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = send(json!({"kind": "x", "user_id": app.globex_admin.id.0})).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "no events to another organization's users");
}

#[tokio::test]
async fn the_event_stream_needs_a_login_and_ends_with_the_session() {
    let app = TestApp::spawn().await;
    let r = TestApp::browser().get(app.url("/events")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let bob = app.browser_as("bob").await;
    let stream = wait_ready(bob.get(app.url("/events")).send().await.unwrap()).await;
    let upd = crm::identity::users::UserUpdate { active: Some(false), ..Default::default() };
    app.crm.update_user(app.acme_agent.org_id, app.acme_agent.id, upd).await.unwrap();
    let mut s = Box::pin(stream);
    let closed =
        tokio::time::timeout(Duration::from_secs(3), async { while let Some(Ok(_)) = s.next().await {} }).await;
    assert!(closed.is_ok(), "a deactivated user's event stream is closed");
}
