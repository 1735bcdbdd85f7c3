use crate::TestApp;
use reqwest::StatusCode;

#[tokio::test]
async fn health_and_metrics() {
    let app = TestApp::spawn().await;
    let r = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["status"], "ok");
    reqwest::get(app.url("/login")).await.unwrap();
    let m = reqwest::get(app.url("/metrics")).await.unwrap().text().await.unwrap();
    assert!(m.contains("http_requests_total") && m.contains("path=\"/login\""), "{m}");
    // Through a proxy (which says whom it forwards for), without the token: not there.
    let proxied = reqwest::Client::new().get(app.url("/metrics")).header("x-forwarded-for", "203.0.113.9").send();
    assert_eq!(proxied.await.unwrap().status(), StatusCode::NOT_FOUND);
}

/// With a token set, `/metrics` asks for it from everyone.
#[tokio::test]
async fn metrics_behind_a_token() {
    let app = TestApp::spawn_with(|s| s.metrics_token = Some("m-secret".into())).await;
    let c = reqwest::Client::new();
    assert_eq!(c.get(app.url("/metrics")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let wrong = c.get(app.url("/metrics")).bearer_auth("guess").send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
    let ok = c.get(app.url("/metrics")).bearer_auth("m-secret").send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    // The list of SIP dialogs and transactions behind the gauges: the same guard.
    assert_eq!(c.get(app.url("/metrics/sip")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let ok = c.get(app.url("/metrics/sip")).bearer_auth("m-secret").send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
}

/// Every page carries the security headers; a signed-in user's pages are not cached.
#[tokio::test]
async fn pages_carry_security_headers() {
    let app = TestApp::spawn().await;
    let r = reqwest::get(app.url("/login")).await.unwrap();
    let h = r.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert!(h.get("cache-control").is_none_or(|v| v != "no-store"), "a visitor's log-in page may be cached");
    let bob = app.browser_as("bob").await;
    let r = app.get(&bob, "/agent").await;
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(r.headers().contains_key("content-security-policy"));
}

#[tokio::test]
async fn unknown_pages_are_a_localized_404() {
    let app = TestApp::spawn().await;
    let c = app.browser_as("bob").await;
    app.post_form(&c, "/account", "/account/language", &[("language", "pl")]).await;
    let r = app.get(&c, "/no/such/page").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a request id: {id}");
    let page = r.text().await.unwrap();
    assert!(page.contains("Nie znaleziono"), "{page}");
    assert!(page.contains(&id) && page.contains("Identyfikator żądania"), "the page names the request: {page}");
    // A domain error on a page (an unknown contact) speaks the user's language too.
    let r = app.get(&c, "/contacts/999999").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("Nie znaleziono"));
    // A visitor's error page follows the browser.
    let r = reqwest::Client::new().get(app.url("/nowhere")).header("accept-language", "he-IL,he;q=0.9").send().await;
    assert!(r.unwrap().text().await.unwrap().contains("לא נמצא"));
}

/// A page number past any list, or a NUL byte in a search: a clear 4xx, never a panic or a 500,
/// on SQLite and PostgreSQL.
#[tokio::test]
async fn absurd_pages_and_nul_bytes_in_searches_are_refused_clearly() {
    for (b, app) in TestApp::spawn_all().await {
        let bob = app.browser_as("bob").await;
        for path in [
            "/contacts?page=18446744073709551615",
            "/contacts?page=100001",
            "/cases?page=18446744073709551615",
            "/contacts?f0=any&o0=contains&v0=%00abc",
            "/cases?f0=name&o0=contains&v0=a%00b",
            "/missed?page=18446744073709551615",
        ] {
            let r = app.get(&bob, path).await;
            assert!(r.status().is_client_error(), "{b}: {path} gave {}", r.status());
        }
        let r = app.get(&bob, "/contacts?page=2").await;
        assert_eq!(r.status(), StatusCode::OK, "{b}: an ordinary page");
    }
}

/// A name stored with a right-to-left override shows the override as U+FFFD on the pages, so it
/// cannot turn "gnp.exe" into "exe.png" (nor scramble a Hebrew page).
#[tokio::test]
async fn bidi_controls_in_stored_names_are_shown_not_obeyed() {
    let app = TestApp::spawn().await;
    let org = app.acme_admin.org_id;
    let n = crm::contacts::NewContact {
        first_name: "Ann\u{202E}gnp.exe".into(),
        last_name: "Nowak".into(),
        ..Default::default()
    };
    app.crm.create_contact(org, n).await.unwrap();
    let bob = app.browser_as("bob").await;
    let page = app.get(&bob, "/contacts").await.text().await.unwrap();
    assert!(page.contains("Ann\u{FFFD}gnp.exe"), "the override is shown");
    assert!(!page.contains('\u{202E}'), "and never sent to the browser");
}
