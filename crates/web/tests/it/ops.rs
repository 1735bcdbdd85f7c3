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
