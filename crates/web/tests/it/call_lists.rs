//! The do-not-call list on the call lists page: a paste with a line that is no number is refused
//! in the manager's language, naming the line, and adds nothing; a good paste adds its numbers;
//! agents cannot.

use crate::TestApp;
use reqwest::StatusCode;

#[tokio::test]
async fn a_manager_pastes_numbers_onto_the_do_not_call_list() {
    let app = TestApp::spawn().await;
    let alice = app.browser_as("alice").await;
    let org = app.acme_admin.org_id;
    let r = app.post_form(&alice, "/call-lists", "/call-lists/dnc", &[("numbers", "600 100 200\nnope")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    let said = body.split("These lines are no phone number: ").nth(1).expect("the lines named");
    assert!(said.trim_start_matches('\u{2068}').starts_with('2'), "line 2 named: {said}");
    assert_eq!(app.crm.dnc_count(org).await.unwrap(), 0, "nothing added");
    let r = app.post_form(&alice, "/call-lists", "/call-lists/dnc", &[("numbers", "600 100 200; 600 100 201")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.crm.dnc_count(org).await.unwrap(), 2);
    let page = app.get(&alice, "/call-lists?dnc=100201").await.text().await.unwrap();
    assert!(page.contains("id=\"dnc-list\"") && page.contains("100 201"), "found: {page}");
    let bob = app.browser_as("bob").await;
    let token = app.csrf(&bob, "/call-lists").await;
    let r =
        bob.post(app.url("/call-lists/dnc")).form(&[("csrf", token.as_str()), ("numbers", "600 100 202")]).send().await;
    assert_eq!(r.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(app.crm.dnc_count(org).await.unwrap(), 2);
}
